/* SPDX-License-Identifier: MIT */
/*
 * WAV helpers for the backend tests:
 *   wavtool gen FORMAT RATE CHANNELS FRAMES OUT.wav   deterministic noise
 *   wavtool same FORMAT SENT.wav GOT.wav [REPEAT]      GOT holds SENT's samples
 *                                                    REPEAT times, as the backend
 *                                                    stores FORMAT (wav.h)
 *   wavtool signal FORMAT FILE.wav                    FILE is the test signal
 *                                                    from frame 0, sample by sample
 *   wavtool looped SRC.wav GOT.wav                    GOT is SRC's data over and
 *                                                    over (GOT[i] = SRC[i mod size])
 *   wavtool loud s16_le FILE.wav                      at least 1/4 of FILE's
 *                                                    samples are not silence
 * Exit 0 when the check holds, 1 when not (with the first difference).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xensnd/format.h>

#include "testsignal.h"
#include "wav.h"

static int format_arg(const char *name)
{
	const struct xensnd_format *f = xensnd_format_from_name(name);

	if (f == NULL) {
		fprintf(stderr, "wavtool: unknown format %s\n", name);
		exit(2);
	}
	return f->sndif;
}

static int gen(int fmt, unsigned rate, unsigned ch, unsigned frames, const char *out)
{
	struct wav_format wf;
	struct wav_conversion conv;
	struct wav_writer w;
	uint32_t n = xensnd_frame_bytes((unsigned)fmt, ch) * frames;
	uint8_t *d = malloc(n ? n : 1);
	uint32_t x = 0x12345678u ^ (uint32_t)fmt ^ rate ^ ch;
	int r;

	if (d == NULL || wav_format_for_sndif((unsigned)fmt, ch, rate, &wf, &conv) < 0) {
		free(d);
		return 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		d[i] = (uint8_t)x;
	}
	/* The file holds what the guest sends: raw, not converted. */
	unlink(out);
	if (wav_writer_open(&w, out, &wf) < 0) {
		free(d);
		return 1;
	}
	r = wav_writer_append(&w, d, n);
	wav_writer_close(&w);
	free(d);
	return r < 0 ? 1 : 0;
}

static int first_diff(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (int)i;
	return -1;
}

static int load(struct wav_file *f, const char *path)
{
	char err[256];

	if (wav_file_read(f, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "wavtool: %s\n", err);
		return -1;
	}
	return 0;
}

static int compare(int fmt, const struct wav_file *sent, const struct wav_file *got,
		   const char *name, unsigned repeat);

static int same(int fmt, const char *sent, const char *got, unsigned repeat)
{
	struct wav_file a = { 0 }, b = { 0 };
	int r = 1;

	if (load(&a, sent) == 0 && load(&b, got) == 0)
		r = compare(fmt, &a, &b, got, repeat);
	wav_file_free(&a);
	wav_file_free(&b);
	return r;
}

static int compare(int fmt, const struct wav_file *sent, const struct wav_file *b,
		   const char *got, unsigned repeat)
{
	struct wav_file a = *sent;
	struct wav_format wf;
	struct wav_conversion conv;
	int d;

	wav_format_for_sndif((unsigned)fmt, a.fmt.channels, a.fmt.rate, &wf, &conv);
	wav_convert(&conv, a.data, a.size);
	if (b->fmt.channels != a.fmt.channels || b->fmt.rate != a.fmt.rate ||
	    b->fmt.tag != wf.tag || b->fmt.container_bits != wf.container_bits ||
	    b->fmt.valid_bits != wf.valid_bits || b->fmt.extensible != wf.extensible) {
		fprintf(stderr, "wavtool: %s: header is not the expected format\n", got);
		return 1;
	}
	if (b->size != a.size * repeat) {
		fprintf(stderr, "wavtool: %s has %u octets, expected %u\n", got, b->size,
			a.size * repeat);
		return 1;
	}
	for (unsigned r = 0; r < repeat; r++) {
		d = first_diff(a.data, b->data + (size_t)r * a.size, a.size);
		if (d >= 0) {
			fprintf(stderr, "wavtool: %s differs at octet %u (copy %u)\n", got,
				(unsigned)d, r);
			return 1;
		}
	}
	printf("%s: %u octets bit-exact\n", got, b->size);
	return 0;
}

static int signal_check(int fmt, const char *path)
{
	struct wav_file f;
	struct wav_format wf;
	struct wav_conversion conv;
	uint32_t fb;
	uint8_t *want;
	int d;

	if (load(&f, path) < 0)
		return 1;
	fb = xensnd_frame_bytes((unsigned)fmt, f.fmt.channels);
	if (fb == 0 || f.size == 0 || f.size % fb) {
		fprintf(stderr, "wavtool: %s: no whole frames\n", path);
		wav_file_free(&f);
		return 1;
	}
	want = malloc(f.size);
	if (want == NULL) {
		wav_file_free(&f);
		return 1;
	}
	testsignal_fill(want, (unsigned)fmt, f.fmt.channels, 0, f.size / fb);
	wav_format_for_sndif((unsigned)fmt, f.fmt.channels, f.fmt.rate, &wf, &conv);
	wav_convert(&conv, want, f.size);
	d = first_diff(want, f.data, f.size);
	free(want);
	if (d >= 0) {
		wav_file_free(&f);
		fprintf(stderr, "wavtool: %s: sample at octet %d (frame %u) is not the "
			"test signal\n", path, d, (unsigned)d / fb);
		return 1;
	}
	printf("%s: %u frames are the test signal\n", path, f.size / fb);
	wav_file_free(&f);
	return 0;
}

static int looped(const char *src, const char *got)
{
	struct wav_file a = { 0 }, b = { 0 };
	int r = 1;

	if (load(&a, src) == 0 && load(&b, got) == 0 && a.size > 0 && b.size > a.size) {
		r = 0;
		for (uint32_t i = 0; i < b.size && r == 0; i++)
			if (b.data[i] != a.data[i % a.size]) {
				fprintf(stderr, "wavtool: %s: octet %u is not %s's octet %u\n",
					got, i, src, i % a.size);
				r = 1;
			}
		if (r == 0)
			printf("%s: %s looped %.2f times\n", got, src, (double)b.size / a.size);
	}
	wav_file_free(&a);
	wav_file_free(&b);
	return r;
}

static int loud(const char *path)
{
	struct wav_file f;
	uint32_t n, nonzero = 0;

	if (load(&f, path) < 0)
		return 1;
	n = f.size / 2;
	for (uint32_t i = 0; i < n; i++) {
		int16_t v = (int16_t)(f.data[2 * i] | f.data[2 * i + 1] << 8);

		nonzero += v > 64 || v < -64;
	}
	wav_file_free(&f);
	printf("%s: %u of %u samples loud\n", path, nonzero, n);
	return n > 0 && nonzero >= n / 4 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "looped"))
		return looped(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "loud") && !strcmp(argv[2], "s16_le"))
		return loud(argv[3]);
	if (argc == 7 && !strcmp(argv[1], "gen"))
		return gen(format_arg(argv[2]), (unsigned)atoi(argv[3]),
			   (unsigned)atoi(argv[4]), (unsigned)atoi(argv[5]), argv[6]);
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "same"))
		return same(format_arg(argv[2]), argv[3], argv[4],
			    argc == 6 ? (unsigned)atoi(argv[5]) : 1);
	if (argc == 4 && !strcmp(argv[1], "signal"))
		return signal_check(format_arg(argv[2]), argv[3]);
	fprintf(stderr, "usage: see the comment at the top of wavtool.c\n");
	return 2;
}
