/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the xl vsnd item syntax (vsnd-spec.h) as `xensim vsnd-attach`
 * takes it: the input is a list of items, one a line, e.g.
 * "PCM, name=Main". Each item is added, the device checked and its
 * frontend nodes laid out (vsnd-front.h), as vsnd-attach does.
 *
 * Checked: a refused item names itself and leaves the device unchanged;
 * an accepted one keeps its values non-empty, within their sndif field
 * and on a level that takes them; a device that passes vsnd_spec_check
 * is complete; and -- vsnd-front.c's promise -- whatever the toolstack
 * lays out, the frontend's configuration reader (libxensnd) accepts, with
 * the same PCMs, streams, types and unique-ids.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/config.h>

#include "fuzz-input.h"
#include "table-reader.h"
#include "vsnd-front.h"
#include "vsnd-spec.h"

#define CARD		"device/vsnd/0"
#define MAX_ITEMS	512

/* The keys a level may hold besides the common PCM settings. */
static bool key_allowed(enum vsnd_level_kind kind, enum vsnd_key key)
{
	if (key < VSND_N_COMMON_KEYS)
		return true;
	switch (kind) {
	case VSND_LEVEL_CARD:
		return key == VSND_KEY_BACKEND || key == VSND_KEY_SHORT_NAME ||
		       key == VSND_KEY_LONG_NAME;
	case VSND_LEVEL_PCM:
		return key == VSND_KEY_NAME;
	default:
		return key == VSND_KEY_UNIQUE_ID || key == VSND_KEY_TYPE;
	}
}

static size_t key_max(enum vsnd_key key)
{
	switch (key) {
	case VSND_KEY_SHORT_NAME: return XENSND_SHORT_NAME_MAX - 1;
	case VSND_KEY_LONG_NAME:
	case VSND_KEY_NAME: return XENSND_NAME_MAX - 1;
	case VSND_KEY_UNIQUE_ID: return XENSND_UNIQUE_ID_MAX - 1;
	default: return SIZE_MAX;
	}
}

static void check_level(const struct vsnd_level *level, enum vsnd_level_kind kind)
{
	for (unsigned int k = 0; k < VSND_KEY_COUNT; k++) {
		const char *v = level->values[k];

		if (!v)
			continue;
		FUZZ_ASSERT(key_allowed(kind, k));
		FUZZ_ASSERT(v[0] != '\0' && strlen(v) <= key_max(k));
		if (k == VSND_KEY_TYPE)
			FUZZ_ASSERT(strcmp(v, "p") == 0 || strcmp(v, "c") == 0);
	}
}

static void check_spec(const struct vsnd_spec *spec)
{
	check_level(&spec->card, VSND_LEVEL_CARD);
	FUZZ_ASSERT(spec->card.item <= spec->n_items);
	for (unsigned int p = 0; p < spec->n_pcms; p++) {
		const struct vsnd_pcm *pcm = &spec->pcms[p];

		check_level(&pcm->level, VSND_LEVEL_PCM);
		for (unsigned int s = 0; s < pcm->n_streams; s++) {
			check_level(&pcm->streams[s], VSND_LEVEL_STREAM);
			FUZZ_ASSERT(pcm->streams[s].item >= 1 &&
				    pcm->streams[s].item <= spec->n_items);
		}
	}
}

/* The shape a refused item must not have changed. */
struct shape {
	unsigned int n_items, n_pcms, n_streams, card_item;
};

static struct shape shape_of(const struct vsnd_spec *spec)
{
	return (struct shape){
		spec->n_items, spec->n_pcms,
		spec->n_pcms ? spec->pcms[spec->n_pcms - 1].n_streams : 0,
		spec->card.item,
	};
}

static bool names_item(const char *err, unsigned int number)
{
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "item %u '", number);
	return strncmp(err, prefix, strlen(prefix)) == 0;
}

static void add_items(struct vsnd_spec *spec, char *text)
{
	char *save = NULL, err[512];
	unsigned int count = 0;

	for (char *line = strtok_r(text, "\n", &save); line && count < MAX_ITEMS;
	     line = strtok_r(NULL, "\n", &save), count++) {
		struct shape before = shape_of(spec), after;
		int ret;

		err[0] = '\0';
		ret = vsnd_spec_add_item(spec, line, err, sizeof(err));
		after = shape_of(spec);
		if (ret == 0) {
			FUZZ_ASSERT(after.n_items == before.n_items + 1);
			continue;
		}
		FUZZ_ASSERT(ret == -EINVAL || ret == -ENOMEM);
		if (ret == -EINVAL)
			FUZZ_ASSERT(names_item(err, before.n_items + 1));
		FUZZ_ASSERT(memcmp(&before, &after, sizeof(before)) == 0);
	}
	check_spec(spec);
}

static void check_complete(const struct vsnd_spec *spec)
{
	FUZZ_ASSERT(spec->n_pcms >= 1);
	for (unsigned int p = 0; p < spec->n_pcms; p++) {
		const struct vsnd_pcm *pcm = &spec->pcms[p];

		FUZZ_ASSERT(pcm->n_streams >= 1);
		for (unsigned int s = 0; s < pcm->n_streams; s++) {
			FUZZ_ASSERT(pcm->streams[s].values[VSND_KEY_TYPE]);
			FUZZ_ASSERT(pcm->streams[s].values[VSND_KEY_UNIQUE_ID]);
		}
	}
}

/* What the toolstack writes, read back by the frontend's reader. */
static void read_back(const struct vsnd_spec *spec, const struct vsnd_front *front)
{
	struct table_entry *entries = calloc(front->n_entries + 1, sizeof(*entries));
	char **paths = calloc(front->n_entries + 1, sizeof(*paths));
	struct xensnd_card_cfg cfg;
	struct table table;
	struct xensnd_reader reader;
	char err[XENSND_ERROR_MAX];
	int ret;

	for (size_t i = 0; i < front->n_entries; i++) {
		FUZZ_ASSERT(asprintf(&paths[i], CARD "/%s", front->entries[i].path) > 0);
		entries[i] = (struct table_entry){ paths[i], front->entries[i].value };
	}
	table = (struct table){ entries, front->n_entries, NULL, 0 };
	reader = table_reader(&table);
	err[0] = '\0';
	ret = xensnd_card_cfg_read(&cfg, &reader, CARD, err, sizeof(err));
	if (ret != 0 && getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "frontend refuses what the toolstack wrote: %s\n", err);
	FUZZ_ASSERT(ret == 0);
	FUZZ_ASSERT(cfg.n_pcms == spec->n_pcms);
	for (uint32_t p = 0; p < cfg.n_pcms; p++) {
		const struct vsnd_pcm *pcm = &spec->pcms[p];

		FUZZ_ASSERT(cfg.pcms[p].n_streams == pcm->n_streams);
		for (uint32_t s = 0; s < cfg.pcms[p].n_streams; s++) {
			const struct xensnd_stream_cfg *st = &cfg.pcms[p].streams[s];
			const struct vsnd_level *lv = &pcm->streams[s];

			FUZZ_ASSERT(strcmp(st->unique_id, lv->values[VSND_KEY_UNIQUE_ID]) == 0);
			FUZZ_ASSERT(st->capture == (lv->values[VSND_KEY_TYPE][0] == 'c'));
		}
	}
	xensnd_card_cfg_clear(&cfg);
	for (size_t i = 0; i < front->n_entries; i++)
		free(paths[i]);
	free(paths);
	free(entries);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsnd_spec spec;
	struct vsnd_front front;
	char *text, err[512];
	int ret;

	if (size > 64 * 1024)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	vsnd_spec_init(&spec);
	add_items(&spec, text);

	err[0] = '\0';
	ret = vsnd_spec_check(&spec, err, sizeof(err));
	if (ret != 0) {
		FUZZ_ASSERT(ret == -EINVAL && err[0] != '\0');
		goto out;
	}
	check_complete(&spec);
	ret = vsnd_front_build(&spec, &front, err, sizeof(err));
	if (ret == 0) {
		read_back(&spec, &front);
		vsnd_front_clear(&front);
	} else {
		FUZZ_ASSERT(ret == -EINVAL || ret == -ENOMEM);
		FUZZ_ASSERT(err[0] != '\0');
		FUZZ_ASSERT(front.entries == NULL && front.n_entries == 0);
	}
out:
	vsnd_spec_clear(&spec);
	free(text);
	return 0;
}
