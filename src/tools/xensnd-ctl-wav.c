/* SPDX-License-Identifier: MIT */
/* WAV files for xensnd-ctl (see xensnd-ctl-wav.h). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>

#include "xensnd-ctl-wav.h"

#include <xen/io/sndif.h>

/* Format tags of the WAV (RIFF) specification. */
enum wav_tag {
	WAV_TAG_PCM = 0x0001,
	WAV_TAG_ADPCM = 0x0002,
	WAV_TAG_FLOAT = 0x0003,
	WAV_TAG_ALAW = 0x0006,
	WAV_TAG_MULAW = 0x0007,
	WAV_TAG_EXTENSIBLE = 0xfffe,
};

#define WAV_FMT_BASIC_SIZE	16
#define WAV_FMT_EXT_SIZE	40
/* KSDATAFORMAT_SUBTYPE_*: the tag, then this fixed GUID tail. */
static const uint8_t wav_guid_tail[14] = {
	0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
	0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
};

/* How each WAV coding we take maps to sndif. */
struct wav_coding {
	uint8_t sndif;
	uint16_t tag;		/* basic tag: PCM, FLOAT, ALAW, MULAW */
	uint16_t container_bits;
	uint16_t valid_bits;
};

static const struct wav_coding wav_codings[] = {
	{ XENSND_PCM_FORMAT_U8, WAV_TAG_PCM, 8, 8 },
	{ XENSND_PCM_FORMAT_S16_LE, WAV_TAG_PCM, 16, 16 },
	{ XENSND_PCM_FORMAT_S24_LE, WAV_TAG_PCM, 32, 24 },
	{ XENSND_PCM_FORMAT_S32_LE, WAV_TAG_PCM, 32, 32 },
	{ XENSND_PCM_FORMAT_F32_LE, WAV_TAG_FLOAT, 32, 32 },
	{ XENSND_PCM_FORMAT_F64_LE, WAV_TAG_FLOAT, 64, 64 },
	{ XENSND_PCM_FORMAT_A_LAW, WAV_TAG_ALAW, 8, 8 },
	{ XENSND_PCM_FORMAT_MU_LAW, WAV_TAG_MULAW, 8, 8 },
};

static int fail(char *err, size_t err_size, int code, const char *name,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t err_size, int code, const char *name,
		const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, err_size, "%s: ", name);

	if (n >= 0 && (size_t)n < err_size) {
		va_start(ap, fmt);
		vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return code;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static const struct wav_coding *coding_of_sndif(uint8_t sndif)
{
	for (size_t i = 0; i < sizeof(wav_codings) / sizeof(wav_codings[0]); i++)
		if (wav_codings[i].sndif == sndif)
			return &wav_codings[i];
	return NULL;
}

static const struct wav_coding *coding_of_wav(uint16_t tag, uint16_t container,
					      uint16_t valid)
{
	for (size_t i = 0; i < sizeof(wav_codings) / sizeof(wav_codings[0]); i++) {
		const struct wav_coding *c = &wav_codings[i];

		if (c->tag == tag && c->container_bits == container &&
		    c->valid_bits == valid)
			return c;
	}
	return NULL;
}

uint32_t ctl_wav_sample_bytes(uint8_t sndif_format)
{
	const struct wav_coding *c = coding_of_sndif(sndif_format);

	return c ? c->container_bits / 8u : 0;
}

bool ctl_wav_can_write(uint8_t sndif_format)
{
	return coding_of_sndif(sndif_format) != NULL;
}

static const char *tag_name(uint16_t tag)
{
	switch (tag) {
	case WAV_TAG_PCM: return "PCM";
	case WAV_TAG_ADPCM: return "MS ADPCM";
	case WAV_TAG_FLOAT: return "IEEE float";
	case WAV_TAG_ALAW: return "A-law";
	case WAV_TAG_MULAW: return "mu-law";
	default: return "unknown coding";
	}
}

/* The fmt chunk (raw, up to 40 octets) to an sndif coding. */
static int parse_fmt(const uint8_t *fmt, uint32_t size, const char *name,
		     struct ctl_wav_info *info, char *err, size_t err_size)
{
	if (size < WAV_FMT_BASIC_SIZE)
		return fail(err, err_size, -EINVAL, name,
			    "fmt chunk of %u octets is too short", size);
	uint16_t tag = le16(fmt), channels = le16(fmt + 2);
	uint32_t rate = le32(fmt + 4);
	uint16_t block_align = le16(fmt + 12), bits = le16(fmt + 14);
	uint16_t valid = bits;

	if (tag == WAV_TAG_EXTENSIBLE) {
		if (size < WAV_FMT_EXT_SIZE)
			return fail(err, err_size, -EINVAL, name,
				    "WAVE_FORMAT_EXTENSIBLE fmt chunk of %u octets is too short",
				    size);
		valid = le16(fmt + 18);
		tag = le16(fmt + 24);
		if (memcmp(fmt + 26, wav_guid_tail, sizeof(wav_guid_tail)) != 0)
			return fail(err, err_size, -ENOTSUP, name,
				    "WAVE_FORMAT_EXTENSIBLE with a non-standard sub-format GUID has no sndif twin");
	}
	if (channels == 0 || channels > 255)
		return fail(err, err_size, -EINVAL, name,
			    "%u channels (sndif carries 1 to 255)", channels);
	if (rate == 0)
		return fail(err, err_size, -EINVAL, name, "sample rate 0");

	const struct wav_coding *c = coding_of_wav(tag, bits, valid);
	if (c == NULL)
		return fail(err, err_size, -ENOTSUP, name,
			    "%s, %u-bit samples (%u valid) has no sndif twin; "
			    "convert it, e.g. sox IN -b 16 -e signed OUT.wav",
			    tag_name(tag), bits, valid);
	if (block_align != channels * (bits / 8u))
		return fail(err, err_size, -EINVAL, name,
			    "block align %u does not match %u channels of %u bits",
			    block_align, channels, bits);
	info->sndif_format = c->sndif;
	info->rate = rate;
	info->channels = channels;
	info->frame_bytes = block_align;
	return 0;
}

static uint64_t file_size(FILE *f)
{
	struct stat st;

	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode))
		return UINT64_MAX;	/* a pipe: trust the header */
	return (uint64_t)st.st_size;
}

int ctl_wav_read_header(FILE *f, const char *name, struct ctl_wav_info *info,
			char *err, size_t err_size)
{
	uint8_t riff[12], chunk[8], fmt[WAV_FMT_EXT_SIZE];
	uint64_t pos = sizeof(riff), size_of_file = file_size(f);
	bool have_fmt = false;
	int r;

	memset(info, 0, sizeof(*info));
	if (fread(riff, 1, sizeof(riff), f) != sizeof(riff) ||
	    memcmp(riff, "RIFF", 4) != 0 || memcmp(riff + 8, "WAVE", 4) != 0)
		return fail(err, err_size, -EINVAL, name,
			    "not a WAV file (no RIFF/WAVE header)");

	/* Chunks until "data"; a bounded number, so a looping file cannot hang us. */
	for (int n_chunks = 0; n_chunks < 64; n_chunks++) {
		if (fread(chunk, 1, sizeof(chunk), f) != sizeof(chunk))
			return fail(err, err_size, -EINVAL, name,
				    have_fmt ? "no data chunk" : "no fmt chunk");
		uint32_t size = le32(chunk + 4);
		pos += sizeof(chunk);

		if (memcmp(chunk, "data", 4) == 0) {
			if (!have_fmt)
				return fail(err, err_size, -EINVAL, name,
					    "data chunk before the fmt chunk");
			uint64_t bytes = size;
			/* Streamed WAVs leave the size 0 or too big: take what is there. */
			if (size_of_file != UINT64_MAX &&
			    (bytes == 0 || bytes > size_of_file - pos))
				bytes = size_of_file - pos;
			info->data_offset = pos;
			info->data_bytes = bytes - bytes % info->frame_bytes;
			return 0;
		}
		uint32_t padded = size + (size & 1);
		if (memcmp(chunk, "fmt ", 4) == 0 && !have_fmt) {
			uint32_t take = size < sizeof(fmt) ? size : sizeof(fmt);

			if (fread(fmt, 1, take, f) != take)
				return fail(err, err_size, -EINVAL, name,
					    "fmt chunk cut short");
			r = parse_fmt(fmt, size, name, info, err, err_size);
			if (r < 0)
				return r;
			have_fmt = true;
			padded -= take;
			pos += take;
		}
		if (fseeko(f, (off_t)padded, SEEK_CUR) < 0)
			return fail(err, err_size, -EINVAL, name,
				    "cannot skip a chunk: %s", strerror(errno));
		pos += padded;
	}
	return fail(err, err_size, -EINVAL, name, "no data chunk in the first 64 chunks");
}

int ctl_wav_write_header(FILE *f, const char *name, uint8_t sndif_format,
			 uint32_t rate, uint32_t channels, char *err,
			 size_t err_size)
{
	const struct wav_coding *c = coding_of_sndif(sndif_format);
	uint8_t h[12 + 8 + WAV_FMT_EXT_SIZE + 8];
	size_t n = 0;

	if (c == NULL)
		return fail(err, err_size, -ENOTSUP, name,
			    "sndif format %u has no WAV representation", sndif_format);
	/* EXTENSIBLE where the basic header cannot say it (Microsoft's rule). */
	bool extensible = channels > 2 || c->valid_bits != c->container_bits;
	uint16_t block_align = (uint16_t)(channels * c->container_bits / 8u);

	memcpy(h, "RIFF", 4);
	put32(h + 4, 0);
	memcpy(h + 8, "WAVEfmt ", 8);
	put32(h + 16, extensible ? WAV_FMT_EXT_SIZE : WAV_FMT_BASIC_SIZE);
	put16(h + 20, extensible ? WAV_TAG_EXTENSIBLE : c->tag);
	put16(h + 22, (uint16_t)channels);
	put32(h + 24, rate);
	put32(h + 28, rate * block_align);
	put16(h + 32, block_align);
	put16(h + 34, c->container_bits);
	n = 36;
	if (extensible) {
		put16(h + 36, 22);		/* cbSize */
		put16(h + 38, c->valid_bits);
		put32(h + 40, 0);		/* channel mask: not given */
		put16(h + 44, c->tag);
		memcpy(h + 46, wav_guid_tail, sizeof(wav_guid_tail));
		n = 60;
	}
	memcpy(h + n, "data", 4);
	put32(h + n + 4, 0);
	n += 8;
	if (fwrite(h, 1, n, f) != n)
		return fail(err, err_size, -EIO, name, "write failed: %s",
			    strerror(errno));
	return 0;
}

int ctl_wav_finish(FILE *f, const char *name, uint64_t data_bytes, char *err,
		   size_t err_size)
{
	uint8_t v[4];
	off_t end = ftello(f);

	if (end < 0 || (uint64_t)end < data_bytes + 44)
		return fail(err, err_size, -EIO, name, "cannot find the header");
	if (data_bytes > UINT32_MAX - 64)
		return fail(err, err_size, -EFBIG, name,
			    "%llu octets of samples do not fit a WAV file",
			    (unsigned long long)data_bytes);
	/* RIFF chunks are word aligned: an odd data chunk gets a pad octet. */
	if (data_bytes & 1) {
		if (fputc(0, f) == EOF)
			goto io_error;
		end++;
	}
	off_t data_size_at = end - (off_t)(data_bytes + (data_bytes & 1)) - 4;
	put32(v, (uint32_t)end - 8);
	if (fseeko(f, 4, SEEK_SET) < 0 || fwrite(v, 1, 4, f) != 4)
		goto io_error;
	put32(v, (uint32_t)data_bytes);
	if (fseeko(f, data_size_at, SEEK_SET) < 0 || fwrite(v, 1, 4, f) != 4)
		goto io_error;
	if (fseeko(f, end, SEEK_SET) < 0 || fflush(f) != 0)
		goto io_error;
	return 0;
io_error:
	return fail(err, err_size, -EIO, name, "write failed: %s", strerror(errno));
}
