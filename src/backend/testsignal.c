/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include <xensnd/ring.h>	/* xen/io/sndif.h with what it needs first */

#include "testsignal.h"

int32_t testsignal_value(uint64_t frame, unsigned channel)
{
	int64_t k = (int64_t)((frame * (channel + 1u)) % 64u);

	return (int32_t)((k < 32 ? k : k - 64) * (INT64_C(1) << 24));
}

uint8_t g711_mulaw_encode(int16_t s)
{
	int v = s;
	uint8_t sign = 0;
	int exp = 7;

	if (v < 0) {
		v = -v;
		sign = 0x80;
	}
	if (v > 32635)
		v = 32635;
	v += 0x84;
	while (exp > 0 && !(v & (0x4000 >> (7 - exp))))
		exp--;
	return (uint8_t)~(sign | (exp << 4) | ((v >> (exp + 3)) & 0x0f));
}

uint8_t g711_alaw_encode(int16_t s)
{
	int v = s;
	uint8_t mask = 0xd5;	/* positive: sign bit set, even bits inverted */
	uint8_t out;

	if (v < 0) {
		v = -v - 1;
		mask = 0x55;
	}
	if (v > 32767)
		v = 32767;
	if (v < 256) {
		out = (uint8_t)(v >> 4);
	} else {
		int exp = 7;

		while (exp > 1 && !(v & (0x4000 >> (7 - exp))))
			exp--;
		out = (uint8_t)((exp << 4) | ((v >> (exp + 3)) & 0x0f));
	}
	return out ^ mask;
}

/* Store the low `bytes` octets of u, little- or big-endian. */
static void store(uint8_t *p, uint64_t u, unsigned bytes, int big)
{
	for (unsigned i = 0; i < bytes; i++) {
		uint8_t b = (uint8_t)(u >> (8 * i));

		p[big ? bytes - 1 - i : i] = b;
	}
}

static int encode(uint8_t *p, unsigned sndif, int32_t v)
{
	int64_t s8 = v / (1 << 24), s16 = v / (1 << 16), s24 = v / (1 << 8);
	float f = (float)v / 2147483648.0f;
	double d = (double)v / 2147483648.0;
	uint32_t fbits;
	uint64_t dbits;

	memcpy(&fbits, &f, sizeof(fbits));
	memcpy(&dbits, &d, sizeof(dbits));
	switch (sndif) {
	case XENSND_PCM_FORMAT_S8: store(p, (uint64_t)s8, 1, 0); return 1;
	case XENSND_PCM_FORMAT_U8: store(p, (uint64_t)(s8 + 128), 1, 0); return 1;
	case XENSND_PCM_FORMAT_S16_LE: store(p, (uint64_t)s16, 2, 0); return 2;
	case XENSND_PCM_FORMAT_S16_BE: store(p, (uint64_t)s16, 2, 1); return 2;
	case XENSND_PCM_FORMAT_U16_LE: store(p, (uint64_t)(s16 + 32768), 2, 0); return 2;
	case XENSND_PCM_FORMAT_U16_BE: store(p, (uint64_t)(s16 + 32768), 2, 1); return 2;
	case XENSND_PCM_FORMAT_S24_LE: store(p, (uint64_t)s24, 4, 0); return 4;
	case XENSND_PCM_FORMAT_S24_BE: store(p, (uint64_t)s24, 4, 1); return 4;
	case XENSND_PCM_FORMAT_U24_LE: store(p, (uint64_t)(s24 + 0x800000), 4, 0); return 4;
	case XENSND_PCM_FORMAT_U24_BE: store(p, (uint64_t)(s24 + 0x800000), 4, 1); return 4;
	case XENSND_PCM_FORMAT_S32_LE: store(p, (uint64_t)(int64_t)v, 4, 0); return 4;
	case XENSND_PCM_FORMAT_S32_BE: store(p, (uint64_t)(int64_t)v, 4, 1); return 4;
	case XENSND_PCM_FORMAT_U32_LE: store(p, (uint64_t)((int64_t)v + 0x80000000), 4, 0); return 4;
	case XENSND_PCM_FORMAT_U32_BE: store(p, (uint64_t)((int64_t)v + 0x80000000), 4, 1); return 4;
	case XENSND_PCM_FORMAT_F32_LE: store(p, fbits, 4, 0); return 4;
	case XENSND_PCM_FORMAT_F32_BE: store(p, fbits, 4, 1); return 4;
	case XENSND_PCM_FORMAT_F64_LE: store(p, dbits, 8, 0); return 8;
	case XENSND_PCM_FORMAT_F64_BE: store(p, dbits, 8, 1); return 8;
	case XENSND_PCM_FORMAT_MU_LAW: *p = g711_mulaw_encode((int16_t)s16); return 1;
	case XENSND_PCM_FORMAT_A_LAW: *p = g711_alaw_encode((int16_t)s16); return 1;
	}
	return -ENOTSUP;
}

int testsignal_fill(uint8_t *out, unsigned sndif, unsigned channels,
		    uint64_t first, uint32_t n_frames)
{
	for (uint32_t i = 0; i < n_frames; i++)
		for (unsigned c = 0; c < channels; c++) {
			int n = encode(out, sndif, testsignal_value(first + i, c));

			if (n < 0)
				return n;
			out += n;
		}
	return 0;
}
