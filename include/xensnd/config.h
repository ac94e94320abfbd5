/* SPDX-License-Identifier: MIT */
/*
 * The configuration of one vsnd device (a card), read from XenStore.
 *
 * Layout (xen/io/sndif.h "Frontend XenBus Nodes"):
 *   <card>/short-name, long-name               card
 *   <card>/<p>/name                            PCM device p = 0, 1, ...
 *   <card>/<p>/<s>/type, unique-id             stream s = 0, 1, ...
 * and at any of the three levels the PCM settings sample-rates,
 * sample-formats, channels-min, channels-max, buffer-size. A lower level
 * overrides its parent and must be a subset of it (sndif.h: "the
 * underlying layer must be a subset of the upper layer range").
 *
 * Settings nobody gives take the Linux frontend's defaults (see
 * XENSND_DEFAULT_*), so a configuration that works with the kernel
 * driver works here. Required: every stream's type and unique-id, at
 * least one PCM, at least one stream per PCM. PCM and stream indexes
 * must be contiguous from 0. Unknown keys are ignored.
 *
 * Reading never trusts the store: every rejection names the path, key,
 * value and reason, e.g.
 *   device/vsnd/0/1/sample-rates: "44100,abc": not a number
 */
#ifndef XENSND_CONFIG_H
#define XENSND_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XENSND_MAX_RATES		32
#define XENSND_MAX_PCMS			64
#define XENSND_MAX_STREAMS		64	/* per PCM */
#define XENSND_MAX_CHANNELS		255	/* channels-* are uint8_t in sndif */
#define XENSND_NAME_MAX			80	/* long-name and name are char[80] */
#define XENSND_SHORT_NAME_MAX		32	/* short-name is char[32] */
#define XENSND_UNIQUE_ID_MAX		128
#define XENSND_ERROR_MAX		256	/* room for any error message */

/* The Linux frontend's defaults for settings no level gives. */
#define XENSND_DEFAULT_CHANNELS_MIN	1
#define XENSND_DEFAULT_CHANNELS_MAX	2
#define XENSND_DEFAULT_BUFFER_SIZE	65536
/* sample-formats: s16_le; sample-rates: 8000..48000, the standard list. */

/* PCM settings of one level, and the effective ones of a stream. */
struct xensnd_pcm_params {
	uint64_t formats;		/* bit (1 << XENSND_PCM_FORMAT_*) */
	uint32_t rates[XENSND_MAX_RATES];	/* ascending, no duplicates */
	uint32_t n_rates;
	uint32_t channels_min;
	uint32_t channels_max;
	uint32_t buffer_size;		/* octets, the most one stream may use */
};

struct xensnd_stream_cfg {
	uint32_t index;			/* <s> in <card>/<p>/<s> */
	bool capture;			/* type "c"; "p" is playback */
	char unique_id[XENSND_UNIQUE_ID_MAX];
	struct xensnd_pcm_params params;	/* effective: card -> PCM -> stream */
};

struct xensnd_pcm_cfg {
	uint32_t index;			/* <p> */
	char name[XENSND_NAME_MAX];	/* "" when not given */
	struct xensnd_stream_cfg *streams;
	uint32_t n_streams;
};

struct xensnd_card_cfg {
	char short_name[XENSND_SHORT_NAME_MAX];	/* "" when not given */
	char long_name[XENSND_NAME_MAX];	/* "" when not given */
	struct xensnd_pcm_cfg *pcms;
	uint32_t n_pcms;
};

/*
 * Where the configuration comes from. Paths are "<dir>/<name>" strings as
 * libxenstore takes them. Both calls return malloc'd memory the caller
 * frees (for directory: the array, which also holds the strings, as
 * xs_directory does) or NULL with errno set; ENOENT means "not there".
 */
struct xensnd_reader {
	char *(*read)(void *data, const char *path);
	char **(*directory)(void *data, const char *path, unsigned int *num);
	void *data;
};

/*
 * Read and validate the card at path. On success returns 0 and fills cfg
 * (free with xensnd_card_cfg_clear). On failure returns a negative errno
 * (-EINVAL for bad configuration, -ENOMEM, or the reader's error), leaves
 * cfg empty, and writes one line saying what and where into err.
 */
int xensnd_card_cfg_read(struct xensnd_card_cfg *cfg,
			 const struct xensnd_reader *reader,
			 const char *path, char *err, size_t err_size);
void xensnd_card_cfg_clear(struct xensnd_card_cfg *cfg);

/* Stream by its card-wide position (PCMs in order, then streams). */
uint32_t xensnd_card_cfg_n_streams(const struct xensnd_card_cfg *cfg);

/*
 * Parse one level's value of a PCM setting, as the reader and the
 * toolstack (xensim vsnd-attach) both need it. sep is the list separator
 * (XENSND_LIST_SEPARATOR in XenStore, ";" in xl.cfg). Return 0 or
 * -EINVAL with the reason (without the path) in err.
 */
int xensnd_parse_rates(const char *value, char sep, uint32_t *rates,
		       uint32_t *n_rates, char *err, size_t err_size);
int xensnd_parse_formats(const char *value, char sep, uint64_t *formats,
			 char *err, size_t err_size);
int xensnd_parse_u32(const char *value, uint32_t min, uint32_t max,
		     uint32_t *out, char *err, size_t err_size);

/* Format a rate list / format mask back as XenStore writes it. */
int xensnd_format_rates(const uint32_t *rates, uint32_t n_rates, char sep,
			char *out, size_t out_size);
int xensnd_format_formats(uint64_t formats, char sep, char *out, size_t out_size);

#endif
