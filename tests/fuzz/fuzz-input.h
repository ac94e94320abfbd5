/* SPDX-License-Identifier: MIT */
/* Reading a libFuzzer input as a stream of little fields, and asserting. */
#ifndef XENSND_FUZZ_INPUT_H
#define XENSND_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct input {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t take_u8(struct input *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint32_t take_u32(struct input *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)take_u8(in) << (8 * i);
	return v;
}

/* Copy up to len bytes into out; the rest of out is zero. */
static inline void take_bytes(struct input *in, void *out, size_t len)
{
	size_t k = in->n < len ? in->n : len;

	memset(out, 0, len);
	memcpy(out, in->p, k);
	in->p += k;
	in->n -= k;
}

/* An invariant of the library that an input broke: a crash to report. */
#define FUZZ_ASSERT(cond) do { if (!(cond)) __builtin_trap(); } while (0)

#endif
