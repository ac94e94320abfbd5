/* SPDX-License-Identifier: MIT */
/* sndif PCM formats and their SPA twins (see include/xensnd/format.h). */
#include <stddef.h>
#include <string.h>

#include <spa/param/audio/raw.h>
#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/sndif.h>

#include <xensnd/format.h>

#define ROW(fmt, spa, bytes) \
	[XENSND_PCM_FORMAT_##fmt] = { XENSND_PCM_FORMAT_##fmt, \
		XENSND_PCM_FORMAT_##fmt##_STR, spa, bytes }

/*
 * Indexed by XENSND_PCM_FORMAT_*. sndif's 24-bit formats live in 32 bits
 * (like ALSA's S24_LE), so their twins are SPA's S24_32 ones. IEC958
 * subframes are 32-bit words but no PCM PipeWire can carry; ADPCM, MPEG
 * and GSM are compressed and have no fixed sample size.
 */
static const struct xensnd_format format_table[XENSND_FORMAT_COUNT] = {
	ROW(S8, SPA_AUDIO_FORMAT_S8, 1),
	ROW(U8, SPA_AUDIO_FORMAT_U8, 1),
	ROW(S16_LE, SPA_AUDIO_FORMAT_S16_LE, 2),
	ROW(S16_BE, SPA_AUDIO_FORMAT_S16_BE, 2),
	ROW(U16_LE, SPA_AUDIO_FORMAT_U16_LE, 2),
	ROW(U16_BE, SPA_AUDIO_FORMAT_U16_BE, 2),
	ROW(S24_LE, SPA_AUDIO_FORMAT_S24_32_LE, 4),
	ROW(S24_BE, SPA_AUDIO_FORMAT_S24_32_BE, 4),
	ROW(U24_LE, SPA_AUDIO_FORMAT_U24_32_LE, 4),
	ROW(U24_BE, SPA_AUDIO_FORMAT_U24_32_BE, 4),
	ROW(S32_LE, SPA_AUDIO_FORMAT_S32_LE, 4),
	ROW(S32_BE, SPA_AUDIO_FORMAT_S32_BE, 4),
	ROW(U32_LE, SPA_AUDIO_FORMAT_U32_LE, 4),
	ROW(U32_BE, SPA_AUDIO_FORMAT_U32_BE, 4),
	ROW(F32_LE, SPA_AUDIO_FORMAT_F32_LE, 4),
	ROW(F32_BE, SPA_AUDIO_FORMAT_F32_BE, 4),
	ROW(F64_LE, SPA_AUDIO_FORMAT_F64_LE, 8),
	ROW(F64_BE, SPA_AUDIO_FORMAT_F64_BE, 8),
	ROW(IEC958_SUBFRAME_LE, SPA_AUDIO_FORMAT_UNKNOWN, 4),
	ROW(IEC958_SUBFRAME_BE, SPA_AUDIO_FORMAT_UNKNOWN, 4),
	ROW(MU_LAW, SPA_AUDIO_FORMAT_ULAW, 1),
	ROW(A_LAW, SPA_AUDIO_FORMAT_ALAW, 1),
	ROW(IMA_ADPCM, SPA_AUDIO_FORMAT_UNKNOWN, 0),
	ROW(MPEG, SPA_AUDIO_FORMAT_UNKNOWN, 0),
	ROW(GSM, SPA_AUDIO_FORMAT_UNKNOWN, 0),
};

const struct xensnd_format *xensnd_format_from_sndif(unsigned sndif)
{
	if (sndif >= XENSND_FORMAT_COUNT)
		return NULL;
	return &format_table[sndif];
}

const struct xensnd_format *xensnd_format_from_name(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < XENSND_FORMAT_COUNT; i++)
		if (strcmp(format_table[i].name, name) == 0)
			return &format_table[i];
	return NULL;
}

const struct xensnd_format *xensnd_format_from_spa(uint32_t spa_format)
{
	if (spa_format == SPA_AUDIO_FORMAT_UNKNOWN)
		return NULL;
	for (size_t i = 0; i < XENSND_FORMAT_COUNT; i++)
		if (format_table[i].spa_format == spa_format)
			return &format_table[i];
	return NULL;
}

bool xensnd_format_is_supported(const struct xensnd_format *f)
{
	return f != NULL && f->spa_format != SPA_AUDIO_FORMAT_UNKNOWN;
}

uint32_t xensnd_frame_bytes(unsigned sndif, unsigned channels)
{
	const struct xensnd_format *f = xensnd_format_from_sndif(sndif);

	if (f == NULL || channels > 255)
		return 0;
	return (uint32_t)f->sample_bytes * channels;
}
