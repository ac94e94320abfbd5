/* SPDX-License-Identifier: MIT */
/*
 * Check a device's PCM settings level by level and lay out its frontend
 * nodes (see vsnd-front.h). The subset rules are the ones libxensnd's
 * configuration reader applies when the frontend reads the nodes back, so
 * whatever vsnd-attach accepts, the frontend accepts too; here the
 * messages name items instead of XenStore paths.
 */
#include "vsnd-front.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/sndif.h>
#include <xensnd/config.h>
#include <xensnd/format.h>
#include <xensnd/pagedir.h>

#define VALUE_MAX	512	/* 32 rates of 10 digits, every format name */

/* One level's common settings as parsed, and for an effective (inherited)
 * set, which item gave each of them. */
struct params {
	bool has[VSND_N_COMMON_KEYS];
	const struct vsnd_level *from[VSND_N_COMMON_KEYS];
	uint32_t rates[XENSND_MAX_RATES];
	uint32_t n_rates;
	uint64_t formats;
	uint32_t channels_min;
	uint32_t channels_max;
	uint32_t buffer_size;
};

static const char subset_rule[] = "a lower level must be a subset of the level above it";

static int level_error(char *err, size_t err_size, const struct vsnd_level *level,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int level_error(char *err, size_t err_size, const struct vsnd_level *level,
		       const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, err_size, "item %u '%s': ", level->item,
		     level->text ? level->text : "");
	if (n < 0 || (size_t)n >= err_size)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + n, err_size - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Parse one common key of level into p. */
static int parse_key(const struct vsnd_level *level, enum vsnd_key key,
		     struct params *p, char *err, size_t err_size)
{
	const char *value = level->values[key];
	char why[XENSND_ERROR_MAX / 2];
	int ret;

	switch (key) {
	case VSND_KEY_SAMPLE_RATES:
		/* xl.cfg separates list entries with ';': ',' ends the parameter. */
		ret = xensnd_parse_rates(value, ';', p->rates, &p->n_rates, why, sizeof(why));
		break;
	case VSND_KEY_SAMPLE_FORMATS:
		ret = xensnd_parse_formats(value, ';', &p->formats, why, sizeof(why));
		break;
	case VSND_KEY_CHANNELS_MIN:
		ret = xensnd_parse_u32(value, 1, XENSND_MAX_CHANNELS, &p->channels_min,
				       why, sizeof(why));
		break;
	case VSND_KEY_CHANNELS_MAX:
		ret = xensnd_parse_u32(value, 1, XENSND_MAX_CHANNELS, &p->channels_max,
				       why, sizeof(why));
		break;
	default:
		ret = xensnd_parse_u32(value, 1, XENSND_BUFFER_SIZE_MAX, &p->buffer_size,
				       why, sizeof(why));
		break;
	}
	if (ret < 0)
		return level_error(err, err_size, level, "%s=%s: %s",
				   vsnd_key_name(key), value, why);
	p->has[key] = true;
	p->from[key] = level;
	return 0;
}

static int check_rates(const struct vsnd_level *level, const struct params *own,
		       const struct params *parent, char *err, size_t err_size)
{
	for (uint32_t i = 0; i < own->n_rates; i++) {
		bool found = false;

		for (uint32_t j = 0; j < parent->n_rates && !found; j++)
			found = parent->rates[j] == own->rates[i];
		if (!found)
			return level_error(err, err_size, level,
					   "sample-rates: %u is not in sample-rates=%s of item %u; %s",
					   own->rates[i],
					   parent->from[VSND_KEY_SAMPLE_RATES]->values[VSND_KEY_SAMPLE_RATES],
					   parent->from[VSND_KEY_SAMPLE_RATES]->item, subset_rule);
	}
	return 0;
}

static int check_formats(const struct vsnd_level *level, const struct params *own,
			 const struct params *parent, char *err, size_t err_size)
{
	uint64_t extra = own->formats & ~parent->formats;
	const struct vsnd_level *from = parent->from[VSND_KEY_SAMPLE_FORMATS];

	if (extra == 0)
		return 0;
	return level_error(err, err_size, level,
			   "sample-formats: %s is not in sample-formats=%s of item %u; %s",
			   xensnd_format_from_sndif((unsigned)__builtin_ctzll(extra))->name,
			   from->values[VSND_KEY_SAMPLE_FORMATS], from->item, subset_rule);
}

/* A bound or size outside the parent's: "channels-max=8 is above ...". */
static int bound_error(const struct vsnd_level *level, enum vsnd_key key,
		       const char *direction, const struct params *parent,
		       enum vsnd_key parent_key, char *err, size_t err_size)
{
	const struct vsnd_level *from = parent->from[parent_key];

	return level_error(err, err_size, level, "%s=%s is %s %s=%s of item %u; %s",
			   vsnd_key_name(key), level->values[key], direction,
			   vsnd_key_name(parent_key), from->values[parent_key],
			   from->item, subset_rule);
}

/* own against the nearest levels above that give the same keys. */
static int check_subset(const struct vsnd_level *level, const struct params *own,
			const struct params *parent, char *err, size_t err_size)
{
	int ret = 0;

	if (own->has[VSND_KEY_SAMPLE_RATES] && parent->has[VSND_KEY_SAMPLE_RATES])
		ret = check_rates(level, own, parent, err, err_size);
	if (ret == 0 && own->has[VSND_KEY_SAMPLE_FORMATS] &&
	    parent->has[VSND_KEY_SAMPLE_FORMATS])
		ret = check_formats(level, own, parent, err, err_size);
	if (ret == 0 && own->has[VSND_KEY_CHANNELS_MIN] && parent->has[VSND_KEY_CHANNELS_MIN] &&
	    own->channels_min < parent->channels_min)
		ret = bound_error(level, VSND_KEY_CHANNELS_MIN, "below", parent,
				  VSND_KEY_CHANNELS_MIN, err, err_size);
	if (ret == 0 && own->has[VSND_KEY_CHANNELS_MAX] && parent->has[VSND_KEY_CHANNELS_MAX] &&
	    own->channels_max > parent->channels_max)
		ret = bound_error(level, VSND_KEY_CHANNELS_MAX, "above", parent,
				  VSND_KEY_CHANNELS_MAX, err, err_size);
	if (ret == 0 && own->has[VSND_KEY_BUFFER_SIZE] && parent->has[VSND_KEY_BUFFER_SIZE] &&
	    own->buffer_size > parent->buffer_size)
		ret = bound_error(level, VSND_KEY_BUFFER_SIZE, "above", parent,
				  VSND_KEY_BUFFER_SIZE, err, err_size);
	return ret;
}

/* parent's settings overridden by the ones level gives. */
static void inherit(struct params *eff, const struct params *parent,
		    const struct params *own)
{
	*eff = *parent;
	if (own->has[VSND_KEY_SAMPLE_RATES]) {
		memcpy(eff->rates, own->rates, sizeof(own->rates));
		eff->n_rates = own->n_rates;
	}
	if (own->has[VSND_KEY_SAMPLE_FORMATS])
		eff->formats = own->formats;
	if (own->has[VSND_KEY_CHANNELS_MIN])
		eff->channels_min = own->channels_min;
	if (own->has[VSND_KEY_CHANNELS_MAX])
		eff->channels_max = own->channels_max;
	if (own->has[VSND_KEY_BUFFER_SIZE])
		eff->buffer_size = own->buffer_size;
	for (unsigned int k = 0; k < VSND_N_COMMON_KEYS; k++) {
		if (own->has[k]) {
			eff->has[k] = true;
			eff->from[k] = own->from[k];
		}
	}
}

/* Where a level gives a channel bound, the range it ends up with must not
 * be empty; a bound nobody gives adapts (the frontend's defaults do). */
static int check_channels(const struct vsnd_level *level, const struct params *own,
			  const struct params *eff, char *err, size_t err_size)
{
	bool gave_min = own->has[VSND_KEY_CHANNELS_MIN];
	const struct vsnd_level *min_from, *max_from;

	if (!(gave_min || own->has[VSND_KEY_CHANNELS_MAX]) ||
	    !eff->has[VSND_KEY_CHANNELS_MIN] || !eff->has[VSND_KEY_CHANNELS_MAX] ||
	    eff->channels_min <= eff->channels_max)
		return 0;
	min_from = eff->from[VSND_KEY_CHANNELS_MIN];
	max_from = eff->from[VSND_KEY_CHANNELS_MAX];
	return level_error(err, err_size, level,
			   "channels-min=%s (item %u) is above channels-max=%s (item %u)",
			   min_from->values[VSND_KEY_CHANNELS_MIN], min_from->item,
			   max_from->values[VSND_KEY_CHANNELS_MAX], max_from->item);
}

/* Parse level's settings, check them against parent, give the result. */
static int check_level(const struct vsnd_level *level, const struct params *parent,
		       struct params *own, struct params *eff, char *err, size_t err_size)
{
	int ret;

	memset(own, 0, sizeof(*own));
	for (unsigned int k = 0; k < VSND_N_COMMON_KEYS; k++) {
		if (!level->values[k])
			continue;
		ret = parse_key(level, k, own, err, err_size);
		if (ret < 0)
			return ret;
	}
	ret = check_subset(level, own, parent, err, err_size);
	if (ret < 0)
		return ret;
	inherit(eff, parent, own);
	return check_channels(level, own, eff, err, err_size);
}

/* ---- the entries ---- */

static int add_entry(struct vsnd_front *front, const char *prefix,
		     const char *key, const char *value)
{
	struct vsnd_entry *entries, *e;

	entries = realloc(front->entries, (front->n_entries + 1) * sizeof(*entries));
	if (!entries)
		return -ENOMEM;
	front->entries = entries;
	e = &entries[front->n_entries];
	e->value = strdup(value);
	if (asprintf(&e->path, "%s%s", prefix, key) < 0)
		e->path = NULL;
	if (!e->path || !e->value) {
		free(e->path);
		free(e->value);
		return -ENOMEM;
	}
	front->n_entries++;
	return 0;
}

static int add_string(struct vsnd_front *front, const char *prefix,
		      const struct vsnd_level *level, enum vsnd_key key)
{
	if (!level->values[key])
		return 0;
	return add_entry(front, prefix, vsnd_key_name(key), level->values[key]);
}

/* The common settings a level gives, normalised, in libxl's order. */
static int add_params(struct vsnd_front *front, const char *prefix,
		      const struct params *own)
{
	const char sep = XENSND_LIST_SEPARATOR[0];
	char value[VALUE_MAX];
	int ret = 0;

	for (unsigned int k = 0; k < VSND_N_COMMON_KEYS && ret == 0; k++) {
		if (!own->has[k])
			continue;
		switch (k) {
		case VSND_KEY_SAMPLE_RATES:
			ret = xensnd_format_rates(own->rates, own->n_rates, sep, value,
						  sizeof(value));
			break;
		case VSND_KEY_SAMPLE_FORMATS:
			ret = xensnd_format_formats(own->formats, sep, value, sizeof(value));
			break;
		case VSND_KEY_CHANNELS_MIN:
			snprintf(value, sizeof(value), "%u", own->channels_min);
			break;
		case VSND_KEY_CHANNELS_MAX:
			snprintf(value, sizeof(value), "%u", own->channels_max);
			break;
		default:
			snprintf(value, sizeof(value), "%u", own->buffer_size);
			break;
		}
		if (ret == 0)
			ret = add_entry(front, prefix, vsnd_key_name(k), value);
	}
	return ret;
}

static int build_stream(const struct vsnd_level *stream, const char *prefix,
			const struct params *parent, struct vsnd_front *front,
			char *err, size_t err_size)
{
	struct params own, eff;
	int ret;

	ret = check_level(stream, parent, &own, &eff, err, err_size);
	if (ret == 0)
		ret = add_string(front, prefix, stream, VSND_KEY_UNIQUE_ID);
	if (ret == 0)
		ret = add_string(front, prefix, stream, VSND_KEY_TYPE);
	if (ret == 0)
		ret = add_params(front, prefix, &own);
	return ret;
}

static int build_pcm(const struct vsnd_pcm *pcm, unsigned int index,
		     const struct params *card, struct vsnd_front *front,
		     char *err, size_t err_size)
{
	struct params own, eff;
	char prefix[32];
	int ret;

	snprintf(prefix, sizeof(prefix), "%u/", index);
	ret = check_level(&pcm->level, card, &own, &eff, err, err_size);
	if (ret == 0)
		ret = add_string(front, prefix, &pcm->level, VSND_KEY_NAME);
	if (ret == 0)
		ret = add_params(front, prefix, &own);
	for (unsigned int s = 0; s < pcm->n_streams && ret == 0; s++) {
		snprintf(prefix, sizeof(prefix), "%u/%u/", index, s);
		ret = build_stream(&pcm->streams[s], prefix, &eff, front, err, err_size);
	}
	return ret;
}

int vsnd_front_build(const struct vsnd_spec *spec, struct vsnd_front *front,
		     char *err, size_t err_size)
{
	struct params none = { 0 }, own, eff;
	int ret;

	memset(front, 0, sizeof(*front));
	ret = check_level(&spec->card, &none, &own, &eff, err, err_size);
	if (ret == 0)
		ret = add_string(front, "", &spec->card, VSND_KEY_LONG_NAME);
	if (ret == 0)
		ret = add_string(front, "", &spec->card, VSND_KEY_SHORT_NAME);
	if (ret == 0)
		ret = add_params(front, "", &own);
	for (unsigned int p = 0; p < spec->n_pcms && ret == 0; p++)
		ret = build_pcm(&spec->pcms[p], p, &eff, front, err, err_size);
	if (ret < 0 && ret != -EINVAL)
		snprintf(err, err_size, "cannot lay out the frontend nodes: %s", strerror(-ret));
	if (ret < 0)
		vsnd_front_clear(front);
	return ret;
}

void vsnd_front_clear(struct vsnd_front *front)
{
	for (size_t i = 0; i < front->n_entries; i++) {
		free(front->entries[i].path);
		free(front->entries[i].value);
	}
	free(front->entries);
	memset(front, 0, sizeof(*front));
}
