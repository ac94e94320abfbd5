/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xensnd/ring.h>	/* xen/io/sndif.h with what it needs first */

#include "wav.h"

/* The GUID tail of KSDATAFORMAT_SUBTYPE_*: the subformat is the tag in
 * the first two octets, then 00 00 00 00 10 00 80 00 00 AA 00 38 9B 71. */
static const uint8_t guid_tail[14] = {
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
	0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

struct sndif_storage {
	uint8_t tag;
	uint8_t bytes;
	uint8_t valid_bits;
	bool byteswap;
	bool flip_sign;
};

static int storage_of(unsigned sndif, struct sndif_storage *s)
{
	switch (sndif) {
#define CASE(f, t, b, v, sw, fl) \
	case f: *s = (struct sndif_storage){ t, b, v, sw, fl }; return 0
	CASE(XENSND_PCM_FORMAT_S8, WAV_TAG_PCM, 1, 8, false, true);
	CASE(XENSND_PCM_FORMAT_U8, WAV_TAG_PCM, 1, 8, false, false);
	CASE(XENSND_PCM_FORMAT_S16_LE, WAV_TAG_PCM, 2, 16, false, false);
	CASE(XENSND_PCM_FORMAT_S16_BE, WAV_TAG_PCM, 2, 16, true, false);
	CASE(XENSND_PCM_FORMAT_U16_LE, WAV_TAG_PCM, 2, 16, false, true);
	CASE(XENSND_PCM_FORMAT_U16_BE, WAV_TAG_PCM, 2, 16, true, true);
	CASE(XENSND_PCM_FORMAT_S24_LE, WAV_TAG_PCM, 4, 24, false, false);
	CASE(XENSND_PCM_FORMAT_S24_BE, WAV_TAG_PCM, 4, 24, true, false);
	CASE(XENSND_PCM_FORMAT_U24_LE, WAV_TAG_PCM, 4, 24, false, true);
	CASE(XENSND_PCM_FORMAT_U24_BE, WAV_TAG_PCM, 4, 24, true, true);
	CASE(XENSND_PCM_FORMAT_S32_LE, WAV_TAG_PCM, 4, 32, false, false);
	CASE(XENSND_PCM_FORMAT_S32_BE, WAV_TAG_PCM, 4, 32, true, false);
	CASE(XENSND_PCM_FORMAT_U32_LE, WAV_TAG_PCM, 4, 32, false, true);
	CASE(XENSND_PCM_FORMAT_U32_BE, WAV_TAG_PCM, 4, 32, true, true);
	CASE(XENSND_PCM_FORMAT_F32_LE, WAV_TAG_FLOAT, 4, 32, false, false);
	CASE(XENSND_PCM_FORMAT_F32_BE, WAV_TAG_FLOAT, 4, 32, true, false);
	CASE(XENSND_PCM_FORMAT_F64_LE, WAV_TAG_FLOAT, 8, 64, false, false);
	CASE(XENSND_PCM_FORMAT_F64_BE, WAV_TAG_FLOAT, 8, 64, true, false);
	CASE(XENSND_PCM_FORMAT_MU_LAW, WAV_TAG_MULAW, 1, 8, false, false);
	CASE(XENSND_PCM_FORMAT_A_LAW, WAV_TAG_ALAW, 1, 8, false, false);
#undef CASE
	}
	return -ENOTSUP;
}

int wav_format_for_sndif(unsigned sndif, unsigned channels, uint32_t rate,
			 struct wav_format *fmt, struct wav_conversion *conv)
{
	struct sndif_storage s;
	bool pcm_like;

	if (storage_of(sndif, &s) < 0 || channels == 0 || channels > 0xffff)
		return -ENOTSUP;
	pcm_like = s.tag == WAV_TAG_PCM || s.tag == WAV_TAG_FLOAT;
	*fmt = (struct wav_format){
		.tag = s.tag,
		.channels = (uint16_t)channels,
		.rate = rate,
		.container_bits = (uint16_t)(s.bytes * 8),
		.valid_bits = s.valid_bits,
		.extensible = pcm_like && (channels > 2 || s.valid_bits != s.bytes * 8),
	};
	*conv = (struct wav_conversion){ s.bytes, s.byteswap, s.flip_sign,
					 (uint8_t)(s.valid_bits / 8 - 1) };
	return 0;
}

int wav_format_to_sndif(const struct wav_format *fmt)
{
	switch (fmt->tag) {
	case WAV_TAG_ALAW:
		return fmt->container_bits == 8 ? XENSND_PCM_FORMAT_A_LAW : -ENOTSUP;
	case WAV_TAG_MULAW:
		return fmt->container_bits == 8 ? XENSND_PCM_FORMAT_MU_LAW : -ENOTSUP;
	case WAV_TAG_FLOAT:
		if (fmt->container_bits == 32)
			return XENSND_PCM_FORMAT_F32_LE;
		return fmt->container_bits == 64 ? XENSND_PCM_FORMAT_F64_LE : -ENOTSUP;
	case WAV_TAG_PCM:
		break;
	default:
		return -ENOTSUP;
	}
	switch (fmt->container_bits) {
	case 8: return XENSND_PCM_FORMAT_U8;
	case 16: return XENSND_PCM_FORMAT_S16_LE;
	case 32:
		if (fmt->valid_bits == 24)
			return XENSND_PCM_FORMAT_S24_LE;
		return fmt->valid_bits == 32 ? XENSND_PCM_FORMAT_S32_LE : -ENOTSUP;
	}
	return -ENOTSUP;
}

void wav_convert(const struct wav_conversion *conv, uint8_t *data, size_t n)
{
	size_t b = conv->sample_bytes;

	if (b == 0 || (!conv->byteswap && !conv->flip_sign))
		return;
	for (size_t i = 0; i + b <= n; i += b) {
		uint8_t *s = data + i;

		if (conv->byteswap)
			for (size_t k = 0; k < b / 2; k++) {
				uint8_t t = s[k];

				s[k] = s[b - 1 - k];
				s[b - 1 - k] = t;
			}
		/* Little-endian now: the sign bit is the top bit of the
		 * highest valid octet (the third one for 24 bits in 32). */
		if (conv->flip_sign)
			s[conv->sign_octet] ^= 0x80;
	}
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v & 0xff; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

/* Build the header for data_bytes of data; returns its length. */
static uint32_t build_header(uint8_t *h, const struct wav_format *fmt,
			     uint32_t data_bytes)
{
	uint32_t fmt_len = fmt->extensible ? 40 : 16;
	uint16_t block = (uint16_t)(fmt->channels * fmt->container_bits / 8);
	uint32_t hdr = 12 + 8 + fmt_len + 8;
	uint8_t *f = h + 20;

	memcpy(h, "RIFF", 4);
	put32(h + 4, hdr - 8 + data_bytes);
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, fmt_len);
	put16(f, fmt->extensible ? WAV_TAG_EXTENSIBLE : fmt->tag);
	put16(f + 2, fmt->channels);
	put32(f + 4, fmt->rate);
	put32(f + 8, fmt->rate * block);
	put16(f + 12, block);
	put16(f + 14, fmt->container_bits);
	if (fmt->extensible) {
		put16(f + 16, 22);
		put16(f + 18, fmt->valid_bits);
		put32(f + 20, 0);	/* channel mask: not given */
		put16(f + 24, fmt->tag);
		memcpy(f + 26, guid_tail, sizeof(guid_tail));
	}
	memcpy(h + hdr - 8, "data", 4);
	put32(h + hdr - 4, data_bytes);
	return hdr;
}

int wav_writer_open(struct wav_writer *w, const char *path,
		    const struct wav_format *fmt)
{
	uint8_t h[80];
	uint32_t n = build_header(h, fmt, 0);

	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (w->fd < 0)
		return -errno;
	w->header_bytes = n;
	w->data_bytes = 0;
	w->declared_bytes = 0;
	if (write(w->fd, h, n) != (ssize_t)n) {
		int r = errno ? -errno : -EIO;

		wav_writer_close(w);
		return r;
	}
	return 0;
}

/* Make the header's RIFF and data sizes say what was written. */
static int write_sizes(struct wav_writer *w)
{
	uint8_t size[4];

	put32(size, (uint32_t)(w->header_bytes - 8 + w->data_bytes));
	if (pwrite(w->fd, size, 4, 4) != 4)
		return errno ? -errno : -EIO;
	put32(size, (uint32_t)w->data_bytes);
	if (pwrite(w->fd, size, 4, w->header_bytes - 4) != 4)
		return errno ? -errno : -EIO;
	w->declared_bytes = w->data_bytes;
	return 0;
}

int wav_writer_append(struct wav_writer *w, const void *data, size_t n)
{
	const uint8_t *p = data;

	if (w->data_bytes + n > UINT32_MAX - w->header_bytes)
		return -EFBIG;	/* RIFF sizes are 32-bit */
	while (n > 0) {
		ssize_t k = pwrite(w->fd, p, n, w->header_bytes + (off_t)w->data_bytes);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += k;
		n -= (size_t)k;
		w->data_bytes += (uint64_t)k;
	}
	/* Sizes follow the data now and then, not on every append: two
	 * more system calls per graph cycle were most of the backend's
	 * (tests/bench/profile.sh); the file stays valid meanwhile. */
	if (w->data_bytes - w->declared_bytes >= WAV_SIZES_EVERY)
		return write_sizes(w);
	return 0;
}

void wav_writer_close(struct wav_writer *w)
{
	if (w->fd >= 0) {
		if (w->data_bytes != w->declared_bytes)
			write_sizes(w);	/* an error here has no one to tell */
		close(w->fd);
	}
	w->fd = -1;
}

static int parse_fmt(struct wav_format *fmt, const uint8_t *c, uint32_t len,
		     char *err, size_t err_size)
{
	uint16_t tag;

	if (len < 16) {
		snprintf(err, err_size, "fmt chunk of %u octets is too short", len);
		return -EINVAL;
	}
	tag = get16(c);
	*fmt = (struct wav_format){
		.tag = tag,
		.channels = get16(c + 2),
		.rate = get32(c + 4),
		.container_bits = get16(c + 14),
	};
	fmt->valid_bits = fmt->container_bits;
	if (tag == WAV_TAG_EXTENSIBLE) {
		if (len < 40 || memcmp(c + 26, guid_tail, sizeof(guid_tail)) != 0) {
			snprintf(err, err_size, "WAVE_FORMAT_EXTENSIBLE with an unknown subformat");
			return -EINVAL;
		}
		fmt->extensible = true;
		fmt->valid_bits = get16(c + 18);
		fmt->tag = get16(c + 24);
	}
	if (fmt->channels == 0 || fmt->rate == 0 || fmt->container_bits % 8 != 0 ||
	    fmt->container_bits == 0) {
		snprintf(err, err_size, "fmt: %u channels, %u Hz, %u bits is not audio",
			 fmt->channels, fmt->rate, fmt->container_bits);
		return -EINVAL;
	}
	return 0;
}

static int read_all(const char *path, uint8_t **out, size_t *len)
{
	FILE *fp = fopen(path, "rbe");
	uint8_t *buf = NULL;
	size_t cap = 0, n = 0;
	int r = 0;

	if (fp == NULL)
		return -errno;
	for (;;) {
		if (n == cap) {
			uint8_t *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		size_t k = fread(buf + n, 1, cap - n, fp);

		n += k;
		if (k == 0) {
			if (ferror(fp))
				r = -EIO;
			break;
		}
	}
	fclose(fp);
	if (r < 0) {
		free(buf);
		return r;
	}
	*out = buf;
	*len = n;
	return 0;
}

int wav_file_read(struct wav_file *f, const char *path, char *err,
		  size_t err_size)
{
	uint8_t *raw = NULL;
	size_t len = 0, pos = 12;
	bool have_fmt = false;
	int r;

	*f = (struct wav_file){ 0 };
	r = read_all(path, &raw, &len);
	if (r < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(-r));
		return r;
	}
	r = -EINVAL;
	if (len < 12 || memcmp(raw, "RIFF", 4) || memcmp(raw + 8, "WAVE", 4)) {
		snprintf(err, err_size, "%s: not a RIFF/WAVE file", path);
		goto out;
	}
	while (pos + 8 <= len) {
		uint32_t clen = get32(raw + pos + 4);
		const uint8_t *body = raw + pos + 8;
		size_t avail = len - pos - 8;

		if (memcmp(raw + pos, "fmt ", 4) == 0) {
			if (clen > avail) {
				snprintf(err, err_size, "%s: fmt chunk is truncated", path);
				goto out;
			}
			if (parse_fmt(&f->fmt, body, clen, err, err_size) < 0)
				goto out;
			have_fmt = true;
		} else if (memcmp(raw + pos, "data", 4) == 0) {
			if (!have_fmt) {
				snprintf(err, err_size, "%s: data before fmt", path);
				goto out;
			}
			/* A file cut short (still being written) keeps what is there. */
			f->size = (uint32_t)(clen < avail ? clen : avail);
			f->data = malloc(f->size ? f->size : 1);
			if (f->data == NULL) {
				r = -ENOMEM;
				goto out;
			}
			memcpy(f->data, body, f->size);
			r = 0;
			goto out;
		}
		pos += 8 + (size_t)clen + (clen & 1);
	}
	snprintf(err, err_size, "%s: no data chunk", path);
out:
	free(raw);
	return r;
}

void wav_file_free(struct wav_file *f)
{
	free(f->data);
	*f = (struct wav_file){ 0 };
}
