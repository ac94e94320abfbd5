/* SPDX-License-Identifier: MIT */
/*
 * The default capture input: a signal whose every sample follows from
 * its frame index f (counted from the stream's OPEN), its channel c and
 * the format, so a test can check a recording sample by sample:
 *
 *   k = (f * (c + 1)) mod 64
 *   v = (k < 32 ? k : k - 64) * 2^24          (signed 32-bit, -12 dBFS sawtooth)
 *
 *   s8 = v / 2^24, s16 = v / 2^16, s24 (in 32) = v / 2^8, s32 = v,
 *   float/float64 = v / 2^31; unsigned formats add 2^(bits-1);
 *   mu_law / a_law = G.711 encoding of the s16 value;
 *   big-endian formats are the same values with their octets reversed.
 * All divisions are exact.
 */
#ifndef XENSND_BACKEND_TESTSIGNAL_H
#define XENSND_BACKEND_TESTSIGNAL_H

#include <stdint.h>

/* v above. */
int32_t testsignal_value(uint64_t frame, unsigned channel);

/* G.711 encoders (ITU-T G.711, as the reference tables). */
uint8_t g711_mulaw_encode(int16_t s);
uint8_t g711_alaw_encode(int16_t s);

/*
 * Write n_frames frames starting at frame first in sndif format into out
 * (n_frames * frame bytes). -ENOTSUP for formats the signal does not
 * cover (IEC958, compressed).
 */
int testsignal_fill(uint8_t *out, unsigned sndif, unsigned channels,
		    uint64_t first, uint32_t n_frames);

#endif
