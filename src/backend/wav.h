/* SPDX-License-Identifier: MIT */
/*
 * RIFF/WAVE files: how each sndif format is stored, a writer whose header
 * is valid after every append (a file copied mid-stream still plays), and
 * a reader for --input files and the tests.
 *
 * Storage rules (also in xensnd-backend(8)):
 *   little-endian signed PCM, u8, float, float64   bit-exact what the guest sent
 *   s24_le (24 bits in 32)     WAVE_FORMAT_EXTENSIBLE, 32-bit container, 24 valid,
 *                              bit-exact: the 24 bits stay in the low three octets
 *                              as the guest (ALSA S24_LE) has them
 *   mu_law, a_law              WAVE_FORMAT_MULAW (7), WAVE_FORMAT_ALAW (6), bit-exact
 *   big-endian formats         byte-swapped to little-endian (WAV is little-endian)
 *   unsigned 16/24/32, s8      sign bit flipped to the signed (u8: unsigned) twin,
 *                              as WAV has only signed PCM above 8 bits and
 *                              unsigned 8-bit PCM
 * WAVE_FORMAT_EXTENSIBLE is used when there are more than two channels or
 * the container is wider than the valid bits, as Microsoft's rules ask.
 */
#ifndef XENSND_BACKEND_WAV_H
#define XENSND_BACKEND_WAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WAV_TAG_PCM		1
#define WAV_TAG_FLOAT		3
#define WAV_TAG_ALAW		6
#define WAV_TAG_MULAW		7
#define WAV_TAG_EXTENSIBLE	0xfffe

struct wav_format {
	uint16_t tag;		/* WAV_TAG_* of the samples (never EXTENSIBLE) */
	uint16_t channels;
	uint32_t rate;
	uint16_t container_bits;	/* bits per sample in the file */
	uint16_t valid_bits;
	bool extensible;	/* write WAVE_FORMAT_EXTENSIBLE */
};

/* How a sndif format's samples become WAV samples. */
struct wav_conversion {
	uint8_t sample_bytes;
	bool byteswap;		/* big-endian source */
	bool flip_sign;		/* unsigned <-> signed (after any byteswap) */
	uint8_t sign_octet;	/* which octet holds the sign bit, little-endian */
};

/* -ENOTSUP when WAV cannot hold the format. */
int wav_format_for_sndif(unsigned sndif, unsigned channels, uint32_t rate,
			 struct wav_format *fmt, struct wav_conversion *conv);
/* The sndif format a WAV file's samples are (little-endian, signed
 * above 8 bits), or -ENOTSUP. */
int wav_format_to_sndif(const struct wav_format *fmt);

/* Convert n bytes in place (whole samples). */
void wav_convert(const struct wav_conversion *conv, uint8_t *data, size_t n);

struct wav_writer {
	int fd;			/* -1 when closed */
	uint32_t header_bytes;
	uint64_t data_bytes;
	uint64_t declared_bytes;	/* data_bytes the header's sizes say */
};

/* Create path (O_EXCL: never overwrites) with a valid empty file. */
int wav_writer_open(struct wav_writer *w, const char *path,
		    const struct wav_format *fmt);
/*
 * Append samples. The header's sizes follow every WAV_SIZES_EVERY octets
 * and on close: the file is a valid WAV at every moment, at most that
 * much shorter than what was written, and exact once closed. 0 or -errno.
 */
#define WAV_SIZES_EVERY	16384u
int wav_writer_append(struct wav_writer *w, const void *data, size_t n);
/* Write the final sizes and close. */
void wav_writer_close(struct wav_writer *w);

/* A whole file read into memory. */
struct wav_file {
	struct wav_format fmt;
	uint8_t *data;		/* the data chunk */
	uint32_t size;
};

/* 0, or -errno / -EINVAL with the reason in err. */
int wav_file_read(struct wav_file *f, const char *path, char *err,
		  size_t err_size);
void wav_file_free(struct wav_file *f);

#endif
