/* SPDX-License-Identifier: MIT */
/* Unit tests of xensnd-ctl's WAV reading and writing (xensnd-ctl-wav.c). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/sndif.h>

#include "ctl-check.h"
#include "xensnd-ctl-wav.h"

/* Write a file with the writer, read it back with the reader. */
static void round_trip(int *failures, uint8_t format, uint32_t rate,
		       uint32_t channels, uint32_t frames)
{
	char err[256];
	struct ctl_wav_info info;
	FILE *f = tmpfile();
	uint32_t frame = ctl_wav_sample_bytes(format) * channels;
	uint64_t bytes = (uint64_t)frame * frames;

	CHECK(failures, ctl_wav_write_header(f, "t.wav", format, rate, channels, err,
					     sizeof(err)) == 0);
	for (uint64_t i = 0; i < bytes; i++)
		fputc((int)(i * 7 % 251), f);
	CHECK(failures, ctl_wav_finish(f, "t.wav", bytes, err, sizeof(err)) == 0);
	rewind(f);
	CHECK(failures, ctl_wav_read_header(f, "t.wav", &info, err, sizeof(err)) == 0);
	CHECK(failures, info.sndif_format == format);
	CHECK(failures, info.rate == rate && info.channels == channels);
	CHECK(failures, info.frame_bytes == frame);
	CHECK(failures, info.data_bytes == bytes);
	/* The reader leaves the file at the first sample, which is intact. */
	for (uint64_t i = 0; i < bytes && i < 100; i++)
		CHECK(failures, fgetc(f) == (int)(i * 7 % 251));
	fclose(f);
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* A hand-made basic WAV: tag, channels, bits, block align, data size. */
static FILE *make_wav(uint16_t tag, uint16_t channels, uint16_t bits,
		      uint16_t align, uint32_t data_size, uint32_t data_present,
		      bool odd_chunk_first)
{
	uint8_t h[44];
	FILE *f = tmpfile();

	memcpy(h, "RIFF", 4);
	put32(h + 4, 36 + data_size);
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, 16);
	put16(h + 20, tag);
	put16(h + 22, channels);
	put32(h + 24, 8000);
	put32(h + 28, 8000u * align);
	put16(h + 32, align);
	put16(h + 34, bits);
	fwrite(h, 1, 36, f);
	if (odd_chunk_first)
		fwrite("LIST\x03\x00\x00\x00" "abc\x00", 1, 12, f);	/* odd size, padded */
	memcpy(h, "data", 4);
	put32(h + 4, data_size);
	fwrite(h, 1, 8, f);
	for (uint32_t i = 0; i < data_present; i++)
		fputc(0x55, f);
	rewind(f);
	return f;
}

static int read_made(FILE *f, struct ctl_wav_info *info, char *err, size_t n)
{
	int r = ctl_wav_read_header(f, "m.wav", info, err, n);
	fclose(f);
	return r;
}

static void test_refusals(int *failures)
{
	struct ctl_wav_info info;
	char err[256];

	/* Packed 24-bit has no sndif twin (s24_le is 24 in 32). */
	CHECK(failures, read_made(make_wav(1, 2, 24, 6, 60, 60, false), &info, err,
				  sizeof(err)) == -ENOTSUP);
	CHECK(failures, strstr(err, "m.wav: PCM, 24-bit samples (24 valid) has no sndif twin") == err);
	CHECK(failures, read_made(make_wav(2, 1, 4, 256, 256, 256, false), &info, err,
				  sizeof(err)) == -ENOTSUP);
	CHECK(failures, strstr(err, "MS ADPCM") != NULL);
	CHECK(failures, read_made(make_wav(1, 2, 16, 6, 60, 60, false), &info, err,
				  sizeof(err)) == -EINVAL);
	CHECK(failures, strstr(err, "block align 6") != NULL);
	CHECK(failures, read_made(make_wav(1, 0, 16, 2, 60, 60, false), &info, err,
				  sizeof(err)) == -EINVAL);

	FILE *f = tmpfile();
	fputs("RIFX....WAVE", f);
	rewind(f);
	CHECK(failures, read_made(f, &info, err, sizeof(err)) == -EINVAL);
	CHECK(failures, strstr(err, "not a WAV file") != NULL);
	f = tmpfile();
	fwrite("RIFF\x04\x00\x00\x00WAVEdata\x00\x00\x00\x00", 1, 20, f);
	rewind(f);
	CHECK(failures, read_made(f, &info, err, sizeof(err)) == -EINVAL);
	CHECK(failures, strstr(err, "data chunk before the fmt chunk") != NULL);
	f = tmpfile();
	fwrite("RIFF\x04\x00\x00\x00WAVE", 1, 12, f);
	rewind(f);
	CHECK(failures, read_made(f, &info, err, sizeof(err)) == -EINVAL);
}

static void test_lenient(int *failures)
{
	struct ctl_wav_info info;
	char err[256];

	/* Odd-sized chunk before data: skipped with its pad octet. */
	CHECK(failures, read_made(make_wav(1, 2, 16, 4, 40, 40, true), &info, err,
				  sizeof(err)) == 0);
	CHECK(failures, info.data_bytes == 40 && info.data_offset == 56);
	/* Streamed: size 0 or too big means "to the end of the file", whole frames. */
	CHECK(failures, read_made(make_wav(1, 2, 16, 4, 0, 42, false), &info, err,
				  sizeof(err)) == 0);
	CHECK(failures, info.data_bytes == 40);
	CHECK(failures, read_made(make_wav(1, 1, 16, 2, 0xffffffff, 10, false), &info,
				  err, sizeof(err)) == 0);
	CHECK(failures, info.data_bytes == 10);
	/* A-law and mu-law map to their sndif twins. */
	CHECK(failures, read_made(make_wav(6, 1, 8, 1, 8, 8, false), &info, err,
				  sizeof(err)) == 0 && info.sndif_format == XENSND_PCM_FORMAT_A_LAW);
	CHECK(failures, read_made(make_wav(7, 1, 8, 1, 8, 8, false), &info, err,
				  sizeof(err)) == 0 && info.sndif_format == XENSND_PCM_FORMAT_MU_LAW);
}

int main(void)
{
	int failures = 0;
	static const uint8_t formats[] = {
		XENSND_PCM_FORMAT_U8, XENSND_PCM_FORMAT_S16_LE, XENSND_PCM_FORMAT_S24_LE,
		XENSND_PCM_FORMAT_S32_LE, XENSND_PCM_FORMAT_F32_LE, XENSND_PCM_FORMAT_F64_LE,
	};

	for (size_t i = 0; i < sizeof(formats); i++) {
		round_trip(&failures, formats[i], 48000, 1, 101);
		round_trip(&failures, formats[i], 44100, 2, 100);
		round_trip(&failures, formats[i], 8000, 8, 3);	/* EXTENSIBLE */
	}
	round_trip(&failures, XENSND_PCM_FORMAT_U8, 8000, 1, 3);	/* odd: padded */
	CHECK(&failures, !ctl_wav_can_write(XENSND_PCM_FORMAT_S16_BE));
	CHECK(&failures, !ctl_wav_can_write(XENSND_PCM_FORMAT_GSM));
	test_refusals(&failures);
	test_lenient(&failures);
	return failures ? 1 : 0;
}
