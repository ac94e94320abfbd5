/* SPDX-License-Identifier: MIT */
/* Every sndif format row, both directions, and frame sizes. */
#include <stdint.h>

#include <spa/param/audio/raw.h>
#include <xen/xen.h>
#include <xen/io/sndif.h>

#include <xensnd/format.h>

#include "check.h"

/* The expected table, written out from sndif.h and spa/param/audio/raw.h. */
static const struct {
	unsigned sndif;
	const char *name;
	uint32_t spa;
	unsigned bytes;
} expected[] = {
	{ XENSND_PCM_FORMAT_S8, "s8", SPA_AUDIO_FORMAT_S8, 1 },
	{ XENSND_PCM_FORMAT_U8, "u8", SPA_AUDIO_FORMAT_U8, 1 },
	{ XENSND_PCM_FORMAT_S16_LE, "s16_le", SPA_AUDIO_FORMAT_S16_LE, 2 },
	{ XENSND_PCM_FORMAT_S16_BE, "s16_be", SPA_AUDIO_FORMAT_S16_BE, 2 },
	{ XENSND_PCM_FORMAT_U16_LE, "u16_le", SPA_AUDIO_FORMAT_U16_LE, 2 },
	{ XENSND_PCM_FORMAT_U16_BE, "u16_be", SPA_AUDIO_FORMAT_U16_BE, 2 },
	{ XENSND_PCM_FORMAT_S24_LE, "s24_le", SPA_AUDIO_FORMAT_S24_32_LE, 4 },
	{ XENSND_PCM_FORMAT_S24_BE, "s24_be", SPA_AUDIO_FORMAT_S24_32_BE, 4 },
	{ XENSND_PCM_FORMAT_U24_LE, "u24_le", SPA_AUDIO_FORMAT_U24_32_LE, 4 },
	{ XENSND_PCM_FORMAT_U24_BE, "u24_be", SPA_AUDIO_FORMAT_U24_32_BE, 4 },
	{ XENSND_PCM_FORMAT_S32_LE, "s32_le", SPA_AUDIO_FORMAT_S32_LE, 4 },
	{ XENSND_PCM_FORMAT_S32_BE, "s32_be", SPA_AUDIO_FORMAT_S32_BE, 4 },
	{ XENSND_PCM_FORMAT_U32_LE, "u32_le", SPA_AUDIO_FORMAT_U32_LE, 4 },
	{ XENSND_PCM_FORMAT_U32_BE, "u32_be", SPA_AUDIO_FORMAT_U32_BE, 4 },
	{ XENSND_PCM_FORMAT_F32_LE, "float_le", SPA_AUDIO_FORMAT_F32_LE, 4 },
	{ XENSND_PCM_FORMAT_F32_BE, "float_be", SPA_AUDIO_FORMAT_F32_BE, 4 },
	{ XENSND_PCM_FORMAT_F64_LE, "float64_le", SPA_AUDIO_FORMAT_F64_LE, 8 },
	{ XENSND_PCM_FORMAT_F64_BE, "float64_be", SPA_AUDIO_FORMAT_F64_BE, 8 },
	{ XENSND_PCM_FORMAT_IEC958_SUBFRAME_LE, "iec958_subframe_le", SPA_AUDIO_FORMAT_UNKNOWN, 4 },
	{ XENSND_PCM_FORMAT_IEC958_SUBFRAME_BE, "iec958_subframe_be", SPA_AUDIO_FORMAT_UNKNOWN, 4 },
	{ XENSND_PCM_FORMAT_MU_LAW, "mu_law", SPA_AUDIO_FORMAT_ULAW, 1 },
	{ XENSND_PCM_FORMAT_A_LAW, "a_law", SPA_AUDIO_FORMAT_ALAW, 1 },
	{ XENSND_PCM_FORMAT_IMA_ADPCM, "ima_adpcm", SPA_AUDIO_FORMAT_UNKNOWN, 0 },
	{ XENSND_PCM_FORMAT_MPEG, "mpeg", SPA_AUDIO_FORMAT_UNKNOWN, 0 },
	{ XENSND_PCM_FORMAT_GSM, "gsm", SPA_AUDIO_FORMAT_UNKNOWN, 0 },
};

#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

static void test_rows(struct check *c)
{
	unsigned supported = 0;

	CHECK_EQ(c, N_EXPECTED, XENSND_FORMAT_COUNT);
	for (size_t i = 0; i < N_EXPECTED; i++) {
		const struct xensnd_format *f = xensnd_format_from_sndif(expected[i].sndif);

		if (!CHECK(c, f != NULL))
			continue;
		CHECK_EQ(c, f->sndif, expected[i].sndif);
		CHECK_STR(c, f->name, expected[i].name);
		CHECK_EQ(c, f->spa_format, expected[i].spa);
		CHECK_EQ(c, f->sample_bytes, expected[i].bytes);
		/* name -> row */
		CHECK(c, xensnd_format_from_name(expected[i].name) == f);
		/* spa -> row, exactly for the rows that have a twin */
		if (expected[i].spa != SPA_AUDIO_FORMAT_UNKNOWN) {
			CHECK(c, xensnd_format_from_spa(expected[i].spa) == f);
			CHECK(c, xensnd_format_is_supported(f));
			supported++;
		} else {
			CHECK(c, !xensnd_format_is_supported(f));
		}
		CHECK_EQ(c, xensnd_frame_bytes(expected[i].sndif, 2), 2 * expected[i].bytes);
	}
	CHECKED(c, "%zu format rows both ways (sndif <-> name <-> SPA), %u with an SPA twin",
		N_EXPECTED, supported);
	CHECK_EQ(c, supported, 20);
}

static void test_misses(struct check *c)
{
	CHECK(c, xensnd_format_from_sndif(XENSND_FORMAT_COUNT) == NULL);
	CHECK(c, xensnd_format_from_sndif(255) == NULL);
	CHECK(c, xensnd_format_from_name("S16_LE") == NULL);
	CHECK(c, xensnd_format_from_name("s16") == NULL);
	CHECK(c, xensnd_format_from_name("") == NULL);
	CHECK(c, xensnd_format_from_name(NULL) == NULL);
	CHECK(c, xensnd_format_from_spa(SPA_AUDIO_FORMAT_UNKNOWN) == NULL);
	/* Packed 24-bit is not sndif's 24-in-32: no row. */
	CHECK(c, xensnd_format_from_spa(SPA_AUDIO_FORMAT_S24_LE) == NULL);
	CHECK(c, xensnd_format_from_spa(SPA_AUDIO_FORMAT_F32P) == NULL);
	CHECK(c, !xensnd_format_is_supported(NULL));
	CHECKED(c, "unknown numbers, names (case-sensitive) and SPA formats give NULL");
}

static void test_frames(struct check *c)
{
	CHECK_EQ(c, xensnd_frame_bytes(XENSND_PCM_FORMAT_S16_LE, 2), 4);
	CHECK_EQ(c, xensnd_frame_bytes(XENSND_PCM_FORMAT_S24_LE, 6), 24);
	CHECK_EQ(c, xensnd_frame_bytes(XENSND_PCM_FORMAT_F64_BE, 8), 64);
	CHECK_EQ(c, xensnd_frame_bytes(XENSND_PCM_FORMAT_U8, 255), 255);
	CHECK_EQ(c, xensnd_frame_bytes(XENSND_PCM_FORMAT_S16_LE, 256), 0);
	CHECK_EQ(c, xensnd_frame_bytes(XENSND_PCM_FORMAT_GSM, 2), 0);
	CHECK_EQ(c, xensnd_frame_bytes(99, 2), 0);
	CHECKED(c, "frame sizes for 2..255 channels; 0 for compressed and unknown formats");
}

int main(void)
{
	struct check c = { "format" };

	test_rows(&c);
	test_misses(&c);
	test_frames(&c);
	return check_done(&c);
}
