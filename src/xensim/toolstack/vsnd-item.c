/* SPDX-License-Identifier: MIT */
/*
 * The vsnd item syntax: "IDENT, key=value, key=value, ..." (see
 * vsnd-spec.h). Only syntax and structure here; the values of the common
 * PCM settings are checked in vsnd-front.c.
 */
#include "vsnd-spec.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <xen/io/sndif.h>
#include <xensnd/config.h>

#define LEVEL_BIT(kind)	(1u << (kind))
#define ANY_LEVEL	(LEVEL_BIT(VSND_LEVEL_CARD) | LEVEL_BIT(VSND_LEVEL_PCM) | \
			 LEVEL_BIT(VSND_LEVEL_STREAM))

struct key_info {
	const char *name;	/* as written in items and in XenStore */
	const char *alias;	/* another spelling items may use, or NULL */
	unsigned int levels;	/* LEVEL_BIT()s where the key is allowed */
};

/* xl.cfg(5) documents unique-id while its own example writes id. */
static const struct key_info keys[VSND_KEY_COUNT] = {
	[VSND_KEY_SAMPLE_RATES] = { XENSND_FIELD_SAMPLE_RATES, NULL, ANY_LEVEL },
	[VSND_KEY_SAMPLE_FORMATS] = { XENSND_FIELD_SAMPLE_FORMATS, NULL, ANY_LEVEL },
	[VSND_KEY_CHANNELS_MIN] = { XENSND_FIELD_CHANNELS_MIN, NULL, ANY_LEVEL },
	[VSND_KEY_CHANNELS_MAX] = { XENSND_FIELD_CHANNELS_MAX, NULL, ANY_LEVEL },
	[VSND_KEY_BUFFER_SIZE] = { XENSND_FIELD_BUFFER_SIZE, NULL, ANY_LEVEL },
	[VSND_KEY_BACKEND] = { "backend", NULL, LEVEL_BIT(VSND_LEVEL_CARD) },
	[VSND_KEY_SHORT_NAME] = { XENSND_FIELD_VCARD_SHORT_NAME, NULL,
				  LEVEL_BIT(VSND_LEVEL_CARD) },
	[VSND_KEY_LONG_NAME] = { XENSND_FIELD_VCARD_LONG_NAME, NULL,
				 LEVEL_BIT(VSND_LEVEL_CARD) },
	[VSND_KEY_NAME] = { XENSND_FIELD_DEVICE_NAME, NULL, LEVEL_BIT(VSND_LEVEL_PCM) },
	[VSND_KEY_UNIQUE_ID] = { XENSND_FIELD_STREAM_UNIQUE_ID, "id",
				 LEVEL_BIT(VSND_LEVEL_STREAM) },
	[VSND_KEY_TYPE] = { XENSND_FIELD_TYPE, NULL, LEVEL_BIT(VSND_LEVEL_STREAM) },
};

static const char *const level_names[] = {
	[VSND_LEVEL_CARD] = "CARD",
	[VSND_LEVEL_PCM] = "PCM",
	[VSND_LEVEL_STREAM] = "STREAM",
};

/* Longest value per key, from the sndif structures' field sizes (room for
 * the terminating NUL) as the frontend's configuration reader keeps them. */
static size_t key_max_len(enum vsnd_key key)
{
	switch (key) {
	case VSND_KEY_SHORT_NAME:
		return XENSND_SHORT_NAME_MAX - 1;
	case VSND_KEY_LONG_NAME:
	case VSND_KEY_NAME:
		return XENSND_NAME_MAX - 1;
	case VSND_KEY_UNIQUE_ID:
		return XENSND_UNIQUE_ID_MAX - 1;
	default:
		return SIZE_MAX;
	}
}

const char *vsnd_key_name(enum vsnd_key key)
{
	return keys[key].name;
}

const char *vsnd_level_name(enum vsnd_level_kind kind)
{
	return level_names[kind];
}

void vsnd_spec_init(struct vsnd_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
}

static void level_clear(struct vsnd_level *level)
{
	for (unsigned int k = 0; k < VSND_KEY_COUNT; k++)
		free(level->values[k]);
	free(level->text);
	memset(level, 0, sizeof(*level));
}

void vsnd_spec_clear(struct vsnd_spec *spec)
{
	level_clear(&spec->card);
	for (unsigned int p = 0; p < spec->n_pcms; p++) {
		struct vsnd_pcm *pcm = &spec->pcms[p];

		for (unsigned int s = 0; s < pcm->n_streams; s++)
			level_clear(&pcm->streams[s]);
		free(pcm->streams);
		level_clear(&pcm->level);
	}
	free(spec->pcms);
	vsnd_spec_init(spec);
}

/* Strip blanks at both ends, in place. */
static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* "item 3 'STREAM, typo=p': " followed by the reason. */
static int item_error(char *err, size_t err_size, unsigned int number,
		      const char *item, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int item_error(char *err, size_t err_size, unsigned int number,
		      const char *item, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, err_size, "item %u '%s': ", number, item);
	if (n < 0 || (size_t)n >= err_size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, err_size - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int find_level(const char *ident, enum vsnd_level_kind *kind)
{
	for (unsigned int l = 0; l < sizeof(level_names) / sizeof(level_names[0]); l++) {
		if (strcasecmp(ident, level_names[l]) == 0) {
			*kind = l;
			return 0;
		}
	}
	return -ENOENT;
}

static int find_key(const char *name, enum vsnd_key *key)
{
	for (unsigned int k = 0; k < VSND_KEY_COUNT; k++) {
		if (strcmp(name, keys[k].name) == 0 ||
		    (keys[k].alias && strcmp(name, keys[k].alias) == 0)) {
			*key = k;
			return 0;
		}
	}
	return -ENOENT;
}

/* "unique-id (or id), type, sample-rates, ..." for one level. */
static void list_keys(enum vsnd_level_kind kind, char *out, size_t out_size)
{
	size_t used = 0;

	out[0] = '\0';
	/* Level-specific keys first: they are what people get wrong. */
	for (unsigned int pass = 0; pass < 2; pass++) {
		for (unsigned int k = 0; k < VSND_KEY_COUNT; k++) {
			bool common = k < VSND_N_COMMON_KEYS;
			int n;

			if (!(keys[k].levels & LEVEL_BIT(kind)) || common != (pass == 1))
				continue;
			n = snprintf(out + used, out_size - used, "%s%s%s%s%s",
				     used ? ", " : "", keys[k].name,
				     keys[k].alias ? " (or " : "",
				     keys[k].alias ? keys[k].alias : "",
				     keys[k].alias ? ")" : "");
			if (n < 0 || (size_t)n >= out_size - used)
				return;
			used += n;
		}
	}
}

static int check_value(enum vsnd_key key, const char *value, const char **why)
{
	if (value[0] == '\0') {
		*why = "empty value";
		return -EINVAL;
	}
	if (strlen(value) > key_max_len(key)) {
		*why = "value too long for the sndif field";
		return -EINVAL;
	}
	if (key == VSND_KEY_TYPE && strcmp(value, XENSND_STREAM_TYPE_PLAYBACK) != 0 &&
	    strcmp(value, XENSND_STREAM_TYPE_CAPTURE) != 0) {
		*why = "type must be " XENSND_STREAM_TYPE_PLAYBACK " (playback) or "
		       XENSND_STREAM_TYPE_CAPTURE " (capture)";
		return -EINVAL;
	}
	return 0;
}

/* One "key=value" of an item into level. *last is the key before it, so
 * "sample-rates=8000,44100" gets a hint rather than a puzzle. */
static int parse_param(struct vsnd_level *level, enum vsnd_level_kind kind,
		       char *param, enum vsnd_key *last, unsigned int number,
		       const char *item, char *err, size_t err_size)
{
	char *eq, *name, *value;
	char allowed[256];
	enum vsnd_key key;
	const char *why;

	param = trim(param);
	if (param[0] == '\0')
		return item_error(err, err_size, number, item,
				  "empty parameter (two commas in a row, or a trailing comma)");
	eq = strchr(param, '=');
	if (!eq)
		return item_error(err, err_size, number, item,
				  "parameter \"%s\" is not KEY=VALUE%s", param,
				  *last == VSND_KEY_SAMPLE_RATES || *last == VSND_KEY_SAMPLE_FORMATS ?
				  " (separate list entries with ';', not ',')" : "");
	*eq = '\0';
	name = trim(param);
	value = trim(eq + 1);

	list_keys(kind, allowed, sizeof(allowed));
	if (find_key(name, &key) < 0)
		return item_error(err, err_size, number, item,
				  "unknown key \"%s\"; a %s item takes %s",
				  name, level_names[kind], allowed);
	if (!(keys[key].levels & LEVEL_BIT(kind)))
		return item_error(err, err_size, number, item,
				  "key \"%s\" does not belong to a %s item; it takes %s",
				  name, level_names[kind], allowed);
	if (level->values[key])
		return item_error(err, err_size, number, item,
				  "key \"%s\" given twice", keys[key].name);
	if (check_value(key, value, &why) < 0)
		return item_error(err, err_size, number, item, "%s=%s: %s",
				  name, value, why);

	level->values[key] = strdup(value);
	*last = key;
	return level->values[key] ? 0 : -ENOMEM;
}

/* Parse "IDENT, k=v, ..." into a fresh level. */
static int parse_item(const char *item, unsigned int number,
		      enum vsnd_level_kind *kind, struct vsnd_level *level,
		      char *err, size_t err_size)
{
	char *copy, *ident, *next, *param;
	enum vsnd_key last = VSND_KEY_COUNT;
	int ret;

	copy = strdup(item);
	if (!copy)
		return -ENOMEM;
	next = copy;
	ident = trim(strsep(&next, ","));
	if (ident[0] == '\0') {
		ret = item_error(err, err_size, number, item,
				 "empty item; it starts with CARD, PCM or STREAM");
		goto out;
	}
	if (find_level(ident, kind) < 0) {
		ret = item_error(err, err_size, number, item,
				 "unknown item type \"%s\"; an item starts with CARD, PCM or STREAM",
				 ident);
		goto out;
	}
	while ((param = strsep(&next, ",")) != NULL) {
		ret = parse_param(level, *kind, param, &last, number, item, err, err_size);
		if (ret < 0)
			goto out;
	}
	level->item = number;
	level->text = strdup(item);
	ret = level->text ? 0 : -ENOMEM;
out:
	free(copy);
	return ret;
}

static int add_pcm(struct vsnd_spec *spec, struct vsnd_level *level)
{
	struct vsnd_pcm *pcms;

	pcms = realloc(spec->pcms, (spec->n_pcms + 1) * sizeof(*pcms));
	if (!pcms)
		return -ENOMEM;
	spec->pcms = pcms;
	memset(&pcms[spec->n_pcms], 0, sizeof(pcms[0]));
	pcms[spec->n_pcms].level = *level;
	spec->n_pcms++;
	memset(level, 0, sizeof(*level));
	return 0;
}

static int add_stream(struct vsnd_spec *spec, struct vsnd_level *level)
{
	struct vsnd_level *streams;
	struct vsnd_pcm *pcm;

	if (spec->n_pcms == 0) {
		/* As xl: a STREAM before any PCM opens PCM 0. */
		struct vsnd_level implicit = { .item = level->item };
		int ret = add_pcm(spec, &implicit);

		if (ret < 0)
			return ret;
	}
	pcm = &spec->pcms[spec->n_pcms - 1];
	streams = realloc(pcm->streams, (pcm->n_streams + 1) * sizeof(*streams));
	if (!streams)
		return -ENOMEM;
	pcm->streams = streams;
	streams[pcm->n_streams++] = *level;
	memset(level, 0, sizeof(*level));
	return 0;
}

int vsnd_spec_add_item(struct vsnd_spec *spec, const char *item,
		       char *err, size_t err_size)
{
	struct vsnd_level level = { 0 };
	enum vsnd_level_kind kind = VSND_LEVEL_CARD;
	unsigned int number = spec->n_items + 1;
	int ret;

	ret = parse_item(item, number, &kind, &level, err, err_size);
	if (ret < 0)
		goto out;

	switch (kind) {
	case VSND_LEVEL_CARD:
		if (spec->card.item) {
			ret = item_error(err, err_size, number, item,
					 "second CARD item (item %u was the first); one device has one card, "
					 "start another device for another card", spec->card.item);
			goto out;
		}
		spec->card = level;
		memset(&level, 0, sizeof(level));
		break;
	case VSND_LEVEL_PCM:
		/* The frontend's reader (libxensnd) refuses a card with more. */
		if (spec->n_pcms >= XENSND_MAX_PCMS) {
			ret = item_error(err, err_size, number, item,
					 "a card has at most %d PCMs", XENSND_MAX_PCMS);
			goto out;
		}
		ret = add_pcm(spec, &level);
		break;
	case VSND_LEVEL_STREAM:
		if (spec->n_pcms && spec->pcms[spec->n_pcms - 1].n_streams >= XENSND_MAX_STREAMS) {
			ret = item_error(err, err_size, number, item,
					 "PCM %u already has %d streams, the most a PCM can have; "
					 "start another 'PCM, ...' item", spec->n_pcms - 1,
					 XENSND_MAX_STREAMS);
			goto out;
		}
		ret = add_stream(spec, &level);
		break;
	}
	if (ret == 0)
		spec->n_items = number;
out:
	level_clear(&level);
	return ret;
}

static int check_stream(const struct vsnd_spec *spec, unsigned int p,
			unsigned int s, char *err, size_t err_size)
{
	const struct vsnd_level *stream = &spec->pcms[p].streams[s];
	const char *id = stream->values[VSND_KEY_UNIQUE_ID];

	if (!stream->values[VSND_KEY_TYPE])
		return item_error(err, err_size, stream->item, stream->text,
				  "stream %u of PCM %u has no type= (p or c)", s, p);
	if (!id)
		return item_error(err, err_size, stream->item, stream->text,
				  "stream %u of PCM %u has no unique-id=", s, p);
	/* The frontend finds a stream by unique-id; two would be ambiguous. */
	for (unsigned int q = 0; q <= p; q++) {
		const struct vsnd_pcm *pcm = &spec->pcms[q];

		for (unsigned int t = 0; t < (q == p ? s : pcm->n_streams); t++) {
			if (strcmp(pcm->streams[t].values[VSND_KEY_UNIQUE_ID], id) == 0)
				return item_error(err, err_size, stream->item, stream->text,
						  "unique-id \"%s\" is already used by item %u",
						  id, pcm->streams[t].item);
		}
	}
	return 0;
}

int vsnd_spec_check(const struct vsnd_spec *spec, char *err, size_t err_size)
{
	if (spec->n_pcms == 0) {
		snprintf(err, err_size, "no PCM: a device needs at least one "
			 "'PCM, ...' item followed by its 'STREAM, ...' items");
		return -EINVAL;
	}
	for (unsigned int p = 0; p < spec->n_pcms; p++) {
		const struct vsnd_pcm *pcm = &spec->pcms[p];
		int ret;

		if (pcm->n_streams == 0)
			return item_error(err, err_size, pcm->level.item,
					  pcm->level.text ? pcm->level.text : "",
					  "PCM %u has no STREAM item after it", p);
		for (unsigned int s = 0; s < pcm->n_streams; s++) {
			ret = check_stream(spec, p, s, err, err_size);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}
