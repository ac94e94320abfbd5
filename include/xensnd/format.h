/* SPDX-License-Identifier: MIT */
/*
 * sndif PCM formats: their XenStore names, their SPA twins, their sizes.
 *
 * The table covers every XENSND_PCM_FORMAT_* of xen/io/sndif.h. A format
 * without an SPA twin (IEC958 subframes, IMA ADPCM, MPEG, GSM) keeps
 * spa_format == SPA_AUDIO_FORMAT_UNKNOWN: it is reported as unsupported
 * by name, never mapped to something close. sndif's 24-bit formats are
 * 24 bits in 32, so their twins are SPA's S24_32/U24_32 ones.
 */
#ifndef XENSND_FORMAT_H
#define XENSND_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#define XENSND_FORMAT_COUNT	(XENSND_PCM_FORMAT_GSM + 1)

struct xensnd_format {
	uint8_t sndif;		/* XENSND_PCM_FORMAT_* */
	const char *name;	/* XENSND_PCM_FORMAT_*_STR, as written in XenStore */
	uint32_t spa_format;	/* SPA_AUDIO_FORMAT_*, or SPA_AUDIO_FORMAT_UNKNOWN */
	uint8_t sample_bytes;	/* bytes one sample takes in the buffer; 0: compressed */
};

/* NULL when sndif is not a XENSND_PCM_FORMAT_* value. */
const struct xensnd_format *xensnd_format_from_sndif(unsigned sndif);
/* By XenStore name ("s16_le"); exact, case-sensitive match. NULL if unknown. */
const struct xensnd_format *xensnd_format_from_name(const char *name);
/* The sndif format whose SPA twin is spa_format; NULL if there is none. */
const struct xensnd_format *xensnd_format_from_spa(uint32_t spa_format);

/* Whether the format can be carried by PipeWire (has an SPA twin). */
bool xensnd_format_is_supported(const struct xensnd_format *f);

/* Bytes of one frame, 0 when the format is unknown or not linear PCM. */
uint32_t xensnd_frame_bytes(unsigned sndif, unsigned channels);

#endif
