/* SPDX-License-Identifier: MIT */
/*
 * wavcmp EXPECTED.wav ACTUAL.wav: is ACTUAL's audio EXPECTED's, sample for
 * sample? The graph adds silence before and after a stream, so each file
 * is compared from its first non-zero sample; after that every sample of
 * EXPECTED (up to its last non-zero one) must be in ACTUAL, exactly.
 *
 * Samples are compared by value, not by container: 24-bit samples packed
 * in three octets equal the same 24 bits in a 32-bit container
 * (WAVE_FORMAT_EXTENSIBLE, valid bits 24, as xensnd-backend writes
 * s24_le); integer samples are scaled to 32 bits; float is compared by
 * its bits. Both files must have the same channel count and kind.
 *
 * wavcmp --testsignal ACTUAL.wav: is ACTUAL xensnd-backend's capture test
 * signal (xensnd-backend(8): k = (f * (c + 1)) mod 64, v = (k < 32 ? k :
 * k - 64) * 2^24), from its first non-zero frame (frame 1) on, exactly?
 *
 * Exit: 0 identical, 1 different (the first difference is printed), 2 usage
 * or unreadable file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_PCM		1
#define TAG_FLOAT	3
#define TAG_EXTENSIBLE	0xfffe

struct wav {
	uint16_t tag, channels, bits, valid_bits;
	uint32_t rate;
	uint8_t *data;
	size_t size;
	int64_t *values;	/* decoded samples */
	size_t n_values;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int parse_chunks(struct wav *w, const uint8_t *all, size_t len, const char *path)
{
	size_t at = 12;
	bool have_fmt = false;

	while (at + 8 <= len) {
		uint32_t n = le32(all + at + 4);
		const uint8_t *body = all + at + 8;
		size_t avail = len - at - 8;

		if (memcmp(all + at, "fmt ", 4) == 0 && n >= 16 && avail >= 16) {
			w->tag = le16(body);
			w->channels = le16(body + 2);
			w->rate = le32(body + 4);
			w->bits = le16(body + 14);
			w->valid_bits = w->bits;
			if (w->tag == TAG_EXTENSIBLE && n >= 40 && avail >= 40) {
				w->valid_bits = le16(body + 18);
				w->tag = le16(body + 24);	/* the SubFormat GUID's first field */
			}
			have_fmt = true;
		} else if (memcmp(all + at, "data", 4) == 0) {
			/* A header written before the last append may lag: take what is there. */
			w->size = n < avail ? n : avail;
			w->data = malloc(w->size ? w->size : 1);
			if (w->data == NULL)
				return -ENOMEM;
			memcpy(w->data, body, w->size);
			break;
		}
		at += 8 + (size_t)n + (n & 1);
	}
	if (!have_fmt || w->data == NULL || w->channels == 0 || w->bits % 8 != 0 || w->bits == 0) {
		fprintf(stderr, "wavcmp: %s: no usable fmt and data chunks\n", path);
		return -EINVAL;
	}
	if (w->tag != TAG_PCM && w->tag != TAG_FLOAT) {
		fprintf(stderr, "wavcmp: %s: format tag %u is not PCM or float\n", path, w->tag);
		return -EINVAL;
	}
	return 0;
}

/* One sample as a 32-bit-scaled integer (PCM) or its bits (float). */
static int64_t decode(const struct wav *w, const uint8_t *p)
{
	unsigned bytes = w->bits / 8;
	uint64_t u = 0;

	for (unsigned i = 0; i < bytes; i++)
		u |= (uint64_t)p[i] << (8 * i);
	if (w->tag == TAG_FLOAT)
		return (int64_t)u;
	if (bytes == 1)
		return ((int64_t)u - 128) << 24;	/* WAV 8-bit is unsigned */
	/* Only the valid bits, sign-extended, then scaled to 32 bits. */
	unsigned valid = w->valid_bits && w->valid_bits < w->bits ? w->valid_bits : w->bits;
	uint64_t mask = valid >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << valid) - 1;
	int64_t v = (int64_t)(u & mask);
	if (v & (INT64_C(1) << (valid - 1)))
		v -= INT64_C(1) << valid;
	return valid <= 32 ? v * (INT64_C(1) << (32 - valid)) : v >> (valid - 32);
}

static int wav_read(struct wav *w, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *all = NULL;
	long len;
	int res = -EINVAL;

	if (f == NULL) {
		fprintf(stderr, "wavcmp: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 12 || fseek(f, 0, SEEK_SET) != 0 ||
	    (all = malloc((size_t)len)) == NULL || fread(all, 1, (size_t)len, f) != (size_t)len ||
	    memcmp(all, "RIFF", 4) != 0 || memcmp(all + 8, "WAVE", 4) != 0) {
		fprintf(stderr, "wavcmp: %s: not a RIFF/WAVE file\n", path);
		goto out;
	}
	if ((res = parse_chunks(w, all, (size_t)len, path)) < 0)
		goto out;
	w->n_values = w->size / (w->bits / 8);
	w->values = malloc((w->n_values ? w->n_values : 1) * sizeof(int64_t));
	if (w->values == NULL) {
		res = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < w->n_values; i++)
		w->values[i] = decode(w, w->data + i * (w->bits / 8));
	res = 0;
out:
	free(all);
	fclose(f);
	return res;
}

static bool is_zero(const struct wav *w, int64_t v)
{
	/* -0.0f counts as silence too. */
	return v == 0 || (w->tag == TAG_FLOAT && (uint32_t)v == 0x80000000u);
}

/* First sample of the frame holding the first non-zero sample. */
static size_t first_sound(const struct wav *w)
{
	size_t i = 0;
	while (i < w->n_values && is_zero(w, w->values[i]))
		i++;
	return i - i % w->channels;
}

static size_t last_sound(const struct wav *w)
{
	size_t i = w->n_values;
	while (i > 0 && is_zero(w, w->values[i - 1]))
		i--;
	return i + (w->channels - i % w->channels) % w->channels;
}

/* The backend's test signal as decode() gives it for w's kind. */
static int64_t signal_value(const struct wav *w, uint64_t frame, unsigned ch)
{
	int64_t k = (int64_t)((frame * (ch + 1u)) % 64u);
	int64_t v = (k < 32 ? k : k - 64) * (INT64_C(1) << 24);
	float f;
	uint32_t bits;

	if (w->tag != TAG_FLOAT)
		return v;
	f = (float)v / 2147483648.0f;
	memcpy(&bits, &f, sizeof(bits));
	return (int64_t)bits;
}

static int check_testsignal(const char *path)
{
	struct wav got = { 0 };
	size_t g0, frames;
	int res = 2;

	if (wav_read(&got, path) < 0)
		goto out;
	if (got.tag == TAG_FLOAT && got.bits != 32) {
		fprintf(stderr, "wavcmp: %s: only 32-bit float is checked\n", path);
		goto out;
	}
	g0 = first_sound(&got);
	frames = (got.n_values - g0) / got.channels;
	res = 1;
	if (frames < 64) {
		fprintf(stderr, "wavcmp: %s: %zu frames of sound, too few\n", path, frames);
		goto out;
	}
	/* Trailing silence after the recording stopped is not the signal. */
	frames = (last_sound(&got) - g0) / got.channels;
	for (size_t f = 0; f < frames; f++) {
		for (unsigned c = 0; c < got.channels; c++) {
			int64_t want = signal_value(&got, f + 1, c);
			int64_t have = got.values[g0 + f * got.channels + c];
			if (want != have) {
				fprintf(stderr, "wavcmp: %s: frame %zu channel %u is %lld, the test "
					"signal has %lld there\n", path, f + 1, c, (long long)have,
					(long long)want);
				goto out;
			}
		}
	}
	printf("wavcmp: %zu frames of the test signal, bit-exact\n", frames);
	res = 0;
out:
	free(got.data);
	free(got.values);
	return res;
}

int main(int argc, char **argv)
{
	struct wav want = { 0 }, got = { 0 };
	size_t w0, w1, g0, n;
	int res = 2;

	if (argc == 3 && strcmp(argv[1], "--testsignal") == 0)
		return check_testsignal(argv[2]);
	if (argc != 3) {
		fprintf(stderr, "usage: wavcmp EXPECTED.wav ACTUAL.wav\n"
			"       wavcmp --testsignal ACTUAL.wav\n");
		return 2;
	}
	if (wav_read(&want, argv[1]) < 0 || wav_read(&got, argv[2]) < 0)
		goto out;
	if (want.channels != got.channels || want.rate != got.rate ||
	    (want.tag == TAG_FLOAT) != (got.tag == TAG_FLOAT)) {
		fprintf(stderr, "wavcmp: %s is %u ch %u Hz %s, %s is %u ch %u Hz %s\n",
			argv[1], want.channels, want.rate, want.tag == TAG_FLOAT ? "float" : "PCM",
			argv[2], got.channels, got.rate, got.tag == TAG_FLOAT ? "float" : "PCM");
		res = 1;
		goto out;
	}
	w0 = first_sound(&want);
	w1 = last_sound(&want);
	g0 = first_sound(&got);
	if (w0 >= w1) {
		fprintf(stderr, "wavcmp: %s is silent\n", argv[1]);
		goto out;
	}
	n = w1 - w0;
	res = 1;
	if (got.n_values - g0 < n) {
		fprintf(stderr, "wavcmp: %s has %zu frames of sound, %s only %zu after its "
			"first non-zero sample\n", argv[1], n / want.channels, argv[2],
			(got.n_values - g0) / got.channels);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (want.values[w0 + i] != got.values[g0 + i]) {
			fprintf(stderr, "wavcmp: frame %zu channel %zu differs: %lld expected, "
				"%lld found (after %zu and %zu frames of silence)\n",
				i / want.channels, i % want.channels,
				(long long)want.values[w0 + i], (long long)got.values[g0 + i],
				w0 / want.channels, g0 / got.channels);
			goto out;
		}
	}
	printf("wavcmp: %zu frames identical (%zu / %zu leading silent frames)\n",
	       n / want.channels, w0 / want.channels, g0 / got.channels);
	res = 0;
out:
	free(want.data);
	free(want.values);
	free(got.data);
	free(got.values);
	return res;
}
