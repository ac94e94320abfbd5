/* SPDX-License-Identifier: MIT */
/*
 * One vsnd device (a card) as the toolstack is told about it: the
 * `xl vsnd-attach` / xl.cfg `vsnd=` item syntax (xl.cfg(5), section vsnd),
 *
 *   'CARD, short-name=Main, sample-formats=s16_le;s24_le'
 *   'PCM, name=Main'
 *   'STREAM, unique-id=0, type=p, channels-max=2'
 *
 * parsed into a tree of levels that still hold the values as written.
 * Checking the values themselves (rates, formats, subset rules) needs
 * libxensnd and lives in vsnd-front.c; this part only knows the syntax,
 * which keys exist and where, and the shape of the tree.
 *
 * As in xl: identifiers are case-insensitive, a PCM belongs to the card, a
 * STREAM to the last PCM (a STREAM before any PCM opens PCM 0), and the
 * CARD item may come anywhere. Stricter than xl, because xl silently
 * accepts them and the guest then sees a broken card: unknown keys, a key
 * given twice on one level, empty values and a second CARD item are
 * rejected, and (in vsnd_spec_check) every PCM needs a stream and every
 * stream a type and a unique-id, unique on the card.
 */
#ifndef XENSIM_TOOLSTACK_VSND_SPEC_H
#define XENSIM_TOOLSTACK_VSND_SPEC_H

#include <stdbool.h>
#include <stddef.h>

/* Every key an item may carry. The common PCM settings come first. */
enum vsnd_key {
	VSND_KEY_SAMPLE_RATES,
	VSND_KEY_SAMPLE_FORMATS,
	VSND_KEY_CHANNELS_MIN,
	VSND_KEY_CHANNELS_MAX,
	VSND_KEY_BUFFER_SIZE,
	VSND_KEY_BACKEND,	/* CARD: backend domain, id or name */
	VSND_KEY_SHORT_NAME,	/* CARD */
	VSND_KEY_LONG_NAME,	/* CARD */
	VSND_KEY_NAME,		/* PCM */
	VSND_KEY_UNIQUE_ID,	/* STREAM, also spelt "id" */
	VSND_KEY_TYPE,		/* STREAM: "p" or "c" */
	VSND_KEY_COUNT
};
#define VSND_N_COMMON_KEYS	(VSND_KEY_BUFFER_SIZE + 1)

enum vsnd_level_kind {
	VSND_LEVEL_CARD,
	VSND_LEVEL_PCM,
	VSND_LEVEL_STREAM,
};

/* The XenStore node name of a key ("backend" has none: it is not written
 * under the frontend), and the level's name as items spell it. */
const char *vsnd_key_name(enum vsnd_key key);
const char *vsnd_level_name(enum vsnd_level_kind kind);

/* One CARD, PCM or STREAM: the values given for it, NULL where not. */
struct vsnd_level {
	char *values[VSND_KEY_COUNT];
	unsigned int item;	/* 1-based number of the item that opened it;
				   0 for a card no CARD item mentioned */
	char *text;		/* that item as written, for messages */
};

struct vsnd_pcm {
	struct vsnd_level level;
	struct vsnd_level *streams;
	unsigned int n_streams;
};

struct vsnd_spec {
	struct vsnd_level card;
	struct vsnd_pcm *pcms;
	unsigned int n_pcms;
	unsigned int n_items;	/* items added so far */
};

void vsnd_spec_init(struct vsnd_spec *spec);
void vsnd_spec_clear(struct vsnd_spec *spec);

/*
 * Add one item. Returns 0, -EINVAL with one line in err naming the item
 * (its number and text) and the key, or -ENOMEM. On error the spec is
 * unchanged.
 */
int vsnd_spec_add_item(struct vsnd_spec *spec, const char *item,
		       char *err, size_t err_size);

/* The tree is complete: at least one PCM, a stream in every PCM, type and
 * unique-id on every stream, no unique-id twice. 0 or -EINVAL with err. */
int vsnd_spec_check(const struct vsnd_spec *spec, char *err, size_t err_size);

#endif
