/* SPDX-License-Identifier: MIT */
/*
 * Reading one vsnd card's configuration out of XenStore (config.h).
 *
 * Each level (card, PCM, stream) starts from its parent's effective
 * settings, replaces what it gives itself, and must stay inside what an
 * ancestor gave. Defaults fill in only what no level gave, so a card that
 * lists rates the defaults lack is still fine.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/sndif.h>

#include <xensnd/config.h>
#include <xensnd/format.h>
#include <xensnd/pagedir.h>

/* XenStore paths are at most 3072 octets (xs_wire.h); keys are short. */
#define CFG_PATH_MAX	3200
/* Longest piece of a bad value quoted in an error message. */
#define QUOTE_MAX	64

static const uint32_t default_rates[] = {
	8000, 11025, 16000, 22050, 32000, 44100, 48000,
};

/* One reading pass: where values come from, where errors go. */
struct cfg_ctx {
	const struct xensnd_reader *reader;
	char *err;
	size_t err_size;
};

/* A level's effective settings, and which of them some level gave. */
struct level {
	struct xensnd_pcm_params p;
	bool has_formats, has_rates, has_cmin, has_cmax, has_buffer;
};

static int fail(struct cfg_ctx *ctx, int res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct cfg_ctx *ctx, int res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->err, ctx->err_size, fmt, ap);
	va_end(ap);
	return res;
}

/* "<path>/<key>: "<value>": <reason>", the value cut to QUOTE_MAX. */
static int fail_value(struct cfg_ctx *ctx, const char *path, const char *key,
		      const char *value, const char *reason)
{
	bool cut = strlen(value) > QUOTE_MAX;

	return fail(ctx, -EINVAL, "%s/%s: \"%.*s%s\": %s", path, key,
		    QUOTE_MAX, value, cut ? "..." : "", reason);
}

static int join(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, CFG_PATH_MAX, "%s/%s", dir, name);

	return n < 0 || n >= CFG_PATH_MAX ? -ENAMETOOLONG : 0;
}

/*
 * Read <dir>/<key> into *value (malloc'd). 0 when present, 1 when not
 * there, negative errno (with err written) on a reader failure.
 */
static int read_key(struct cfg_ctx *ctx, const char *dir, const char *key,
		    char **value)
{
	char path[CFG_PATH_MAX];

	if (join(path, dir, key) < 0)
		return fail(ctx, -ENAMETOOLONG, "%s/%s: path too long", dir, key);
	errno = 0;
	*value = ctx->reader->read(ctx->reader->data, path);
	if (*value != NULL)
		return 0;
	if (errno == ENOENT)
		return 1;
	int res = errno ? -errno : -EIO;

	return fail(ctx, res, "%s: cannot read: %s", path, strerror(-res));
}

static int read_name(struct cfg_ctx *ctx, const char *dir, const char *key,
		     char *out, size_t out_size)
{
	char *value;
	int res = read_key(ctx, dir, key, &value);

	if (res != 0)
		return res > 0 ? 0 : res;
	if (strlen(value) >= out_size) {
		char reason[48];

		snprintf(reason, sizeof(reason), "longer than %zu characters",
			 out_size - 1);
		res = fail_value(ctx, dir, key, value, reason);
	} else {
		memcpy(out, value, strlen(value) + 1);
	}
	free(value);
	return res;
}

/* ---- one level's PCM settings ---- */

static int check_rates_subset(const struct level *parent, const uint32_t *rates,
			      uint32_t n, char *reason, size_t size)
{
	if (parent == NULL || !parent->has_rates)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		bool found = false;

		for (uint32_t j = 0; j < parent->p.n_rates && !found; j++)
			found = parent->p.rates[j] == rates[i];
		if (!found) {
			snprintf(reason, size, "not a subset of the parent: "
				 "%u not in its sample-rates", rates[i]);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_formats_subset(const struct level *parent, uint64_t formats,
				char *reason, size_t size)
{
	uint64_t extra;

	if (parent == NULL || !parent->has_formats)
		return 0;
	extra = formats & ~parent->p.formats;
	if (extra == 0)
		return 0;
	snprintf(reason, size, "not a subset of the parent: %s not in its "
		 "sample-formats",
		 xensnd_format_from_sndif((unsigned)__builtin_ctzll(extra))->name);
	return -EINVAL;
}

/* Parse key's value into lv, checking it against parent. */
static int apply_key(const char *key, const char *value,
		     const struct level *parent, struct level *lv,
		     char *reason, size_t size)
{
	char sep = XENSND_LIST_SEPARATOR[0];
	uint32_t v;

	if (strcmp(key, XENSND_FIELD_SAMPLE_RATES) == 0) {
		uint32_t rates[XENSND_MAX_RATES], n;

		if (xensnd_parse_rates(value, sep, rates, &n, reason, size) < 0 ||
		    check_rates_subset(parent, rates, n, reason, size) < 0)
			return -EINVAL;
		memcpy(lv->p.rates, rates, n * sizeof(rates[0]));
		lv->p.n_rates = n;
		lv->has_rates = true;
	} else if (strcmp(key, XENSND_FIELD_SAMPLE_FORMATS) == 0) {
		uint64_t formats;

		if (xensnd_parse_formats(value, sep, &formats, reason, size) < 0 ||
		    check_formats_subset(parent, formats, reason, size) < 0)
			return -EINVAL;
		lv->p.formats = formats;
		lv->has_formats = true;
	} else if (strcmp(key, XENSND_FIELD_CHANNELS_MIN) == 0) {
		if (xensnd_parse_u32(value, 1, XENSND_MAX_CHANNELS, &v, reason, size) < 0)
			return -EINVAL;
		if (parent && parent->has_cmin && v < parent->p.channels_min) {
			snprintf(reason, size, "not a subset of the parent: "
				 "below its channels-min %u", parent->p.channels_min);
			return -EINVAL;
		}
		lv->p.channels_min = v;
		lv->has_cmin = true;
	} else if (strcmp(key, XENSND_FIELD_CHANNELS_MAX) == 0) {
		if (xensnd_parse_u32(value, 1, XENSND_MAX_CHANNELS, &v, reason, size) < 0)
			return -EINVAL;
		if (parent && parent->has_cmax && v > parent->p.channels_max) {
			snprintf(reason, size, "not a subset of the parent: "
				 "above its channels-max %u", parent->p.channels_max);
			return -EINVAL;
		}
		lv->p.channels_max = v;
		lv->has_cmax = true;
	} else {	/* XENSND_FIELD_BUFFER_SIZE */
		if (xensnd_parse_u32(value, 1, XENSND_BUFFER_SIZE_MAX, &v, reason, size) < 0)
			return -EINVAL;
		if (parent && parent->has_buffer && v > parent->p.buffer_size) {
			snprintf(reason, size, "not a subset of the parent: "
				 "above its buffer-size %u", parent->p.buffer_size);
			return -EINVAL;
		}
		lv->p.buffer_size = v;
		lv->has_buffer = true;
	}
	return 0;
}

static const char *const pcm_keys[] = {
	XENSND_FIELD_SAMPLE_RATES,
	XENSND_FIELD_SAMPLE_FORMATS,
	XENSND_FIELD_CHANNELS_MIN,
	XENSND_FIELD_CHANNELS_MAX,
	XENSND_FIELD_BUFFER_SIZE,
};

/* channels-min > channels-max is an error where a level gave one of them. */
static int check_channels(struct cfg_ctx *ctx, const char *dir,
			  const struct level *lv, bool gave_min, bool gave_max)
{
	const char *key = gave_min ? XENSND_FIELD_CHANNELS_MIN : XENSND_FIELD_CHANNELS_MAX;
	char value[16], reason[64];

	if (!(gave_min || gave_max) || !lv->has_cmin || !lv->has_cmax ||
	    lv->p.channels_min <= lv->p.channels_max)
		return 0;
	snprintf(value, sizeof(value), "%u",
		 gave_min ? lv->p.channels_min : lv->p.channels_max);
	snprintf(reason, sizeof(reason), "channels-min %u > channels-max %u",
		 lv->p.channels_min, lv->p.channels_max);
	return fail_value(ctx, dir, key, value, reason);
}

static int read_level(struct cfg_ctx *ctx, const char *dir,
		      const struct level *parent, struct level *lv)
{
	bool gave[5] = { false };

	if (parent)
		*lv = *parent;
	else
		memset(lv, 0, sizeof(*lv));
	for (size_t i = 0; i < sizeof(pcm_keys) / sizeof(pcm_keys[0]); i++) {
		char reason[XENSND_ERROR_MAX / 2];
		char *value;
		int res = read_key(ctx, dir, pcm_keys[i], &value);

		if (res > 0)
			continue;
		if (res < 0)
			return res;
		res = apply_key(pcm_keys[i], value, parent, lv, reason, sizeof(reason));
		if (res < 0)
			res = fail_value(ctx, dir, pcm_keys[i], value, reason);
		free(value);
		if (res < 0)
			return res;
		gave[i] = true;
	}
	return check_channels(ctx, dir, lv, gave[2], gave[3]);
}

/* What nobody gave takes the Linux frontend's defaults. */
static void finish_params(const struct level *lv, struct xensnd_pcm_params *out)
{
	*out = lv->p;
	if (!lv->has_formats)
		out->formats = UINT64_C(1) << XENSND_PCM_FORMAT_S16_LE;
	if (!lv->has_rates) {
		out->n_rates = sizeof(default_rates) / sizeof(default_rates[0]);
		memcpy(out->rates, default_rates, sizeof(default_rates));
	}
	if (!lv->has_cmin)
		out->channels_min = XENSND_DEFAULT_CHANNELS_MIN;
	if (!lv->has_cmax)
		out->channels_max = out->channels_min > XENSND_DEFAULT_CHANNELS_MAX ?
			out->channels_min : XENSND_DEFAULT_CHANNELS_MAX;
	if (!lv->has_buffer)
		out->buffer_size = XENSND_DEFAULT_BUFFER_SIZE;
}

/* ---- the tree ---- */

/* A child directory name that is an index: canonical decimal. */
static bool parse_index(const char *name, uint32_t *index)
{
	size_t len = strlen(name);
	uint32_t v = 0;

	if (len == 0 || len > 6 || (len > 1 && name[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(name[i] - '0');
	}
	*index = v;
	return true;
}

/*
 * Count the numbered children of dir, which must be 0..n-1, at most max.
 * what names them in errors ("PCM devices", "streams").
 */
static int count_children(struct cfg_ctx *ctx, const char *dir, uint32_t max,
			  const char *what, uint32_t *count)
{
	unsigned int num = 0;
	char **names;
	uint32_t n = 0;
	uint64_t *seen;
	int res = 0;

	errno = 0;
	names = ctx->reader->directory(ctx->reader->data, dir, &num);
	if (names == NULL) {
		res = errno ? -errno : -EIO;
		if (res == -ENOENT)
			return fail(ctx, -EINVAL, "%s: not found", dir);
		return fail(ctx, res, "%s: cannot list: %s", dir, strerror(-res));
	}
	/* One bit per possible index 0..max: duplicates cannot occur in a
	 * directory, but a reader is only an interface. */
	seen = calloc((max + 64) / 64, sizeof(*seen));
	if (seen == NULL) {
		free(names);
		return fail(ctx, -ENOMEM, "%s: out of memory", dir);
	}
	for (unsigned int i = 0; i < num && res == 0; i++) {
		uint32_t idx;

		if (!parse_index(names[i], &idx))
			continue;	/* a key, not a child */
		if (idx >= max)
			res = fail(ctx, -EINVAL, "%s: more than %u %s", dir, max, what);
		else if (!(seen[idx / 64] & (UINT64_C(1) << (idx % 64)))) {
			seen[idx / 64] |= UINT64_C(1) << (idx % 64);
			n++;
		}
	}
	for (uint32_t i = 0; i < n && res == 0; i++) {
		if (!(seen[i / 64] & (UINT64_C(1) << (i % 64))))
			res = fail(ctx, -EINVAL, "%s: %s not contiguous: %u is missing",
				   dir, what, i);
	}
	free(seen);
	free(names);
	if (res == 0 && n == 0)
		res = fail(ctx, -EINVAL, "%s: no %s", dir, what);
	*count = n;
	return res;
}

static int read_stream_type(struct cfg_ctx *ctx, const char *dir,
			    struct xensnd_stream_cfg *st)
{
	char *value;
	int res = read_key(ctx, dir, XENSND_FIELD_TYPE, &value);

	if (res > 0)
		return fail(ctx, -EINVAL, "%s/%s: missing", dir, XENSND_FIELD_TYPE);
	if (res < 0)
		return res;
	if (strcmp(value, XENSND_STREAM_TYPE_PLAYBACK) == 0)
		st->capture = false;
	else if (strcmp(value, XENSND_STREAM_TYPE_CAPTURE) == 0)
		st->capture = true;
	else
		res = fail_value(ctx, dir, XENSND_FIELD_TYPE, value,
				 "not \"" XENSND_STREAM_TYPE_PLAYBACK "\" or \""
				 XENSND_STREAM_TYPE_CAPTURE "\"");
	free(value);
	return res;
}

/* unique-id: present, not empty, not used by an earlier stream of the card. */
static int read_unique_id(struct cfg_ctx *ctx, const char *card_path,
			  const char *dir, const struct xensnd_card_cfg *cfg,
			  struct xensnd_stream_cfg *st)
{
	const char *key = XENSND_FIELD_STREAM_UNIQUE_ID;
	int res = read_name(ctx, dir, key, st->unique_id, sizeof(st->unique_id));

	if (res < 0)
		return res;
	if (st->unique_id[0] == '\0') {
		char *value;

		/* Tell "missing" from "empty". */
		res = read_key(ctx, dir, key, &value);
		if (res < 0)
			return res;
		if (res > 0)
			return fail(ctx, -EINVAL, "%s/%s: missing", dir, key);
		free(value);
		return fail(ctx, -EINVAL, "%s/%s: \"\": empty", dir, key);
	}
	for (uint32_t p = 0; p < cfg->n_pcms; p++) {
		const struct xensnd_pcm_cfg *pcm = &cfg->pcms[p];

		for (uint32_t s = 0; s < pcm->n_streams; s++) {
			if (&pcm->streams[s] == st)
				return 0;	/* only earlier streams */
			if (strcmp(pcm->streams[s].unique_id, st->unique_id) != 0)
				continue;
			char reason[XENSND_ERROR_MAX / 2];

			snprintf(reason, sizeof(reason), "duplicate of %.60s/%u/%u",
				 card_path, p, s);
			return fail_value(ctx, dir, key, st->unique_id, reason);
		}
	}
	return 0;
}

static int read_stream(struct cfg_ctx *ctx, const char *card_path,
		       const char *pcm_path, const struct level *pcm_level,
		       const struct xensnd_card_cfg *cfg, struct xensnd_stream_cfg *st)
{
	char dir[CFG_PATH_MAX], name[16];
	struct level lv;
	int res;

	snprintf(name, sizeof(name), "%u", st->index);
	if (join(dir, pcm_path, name) < 0)
		return fail(ctx, -ENAMETOOLONG, "%s/%s: path too long", pcm_path, name);
	if ((res = read_stream_type(ctx, dir, st)) < 0 ||
	    (res = read_unique_id(ctx, card_path, dir, cfg, st)) < 0 ||
	    (res = read_level(ctx, dir, pcm_level, &lv)) < 0)
		return res;
	finish_params(&lv, &st->params);
	return 0;
}

static int read_pcm(struct cfg_ctx *ctx, const char *card_path,
		    const struct level *card_level, struct xensnd_card_cfg *cfg,
		    struct xensnd_pcm_cfg *pcm)
{
	char dir[CFG_PATH_MAX], name[16];
	struct level lv;
	int res;

	snprintf(name, sizeof(name), "%u", pcm->index);
	if (join(dir, card_path, name) < 0)
		return fail(ctx, -ENAMETOOLONG, "%s/%s: path too long", card_path, name);
	if ((res = read_name(ctx, dir, XENSND_FIELD_DEVICE_NAME, pcm->name,
			     sizeof(pcm->name))) < 0 ||
	    (res = read_level(ctx, dir, card_level, &lv)) < 0 ||
	    (res = count_children(ctx, dir, XENSND_MAX_STREAMS, "streams",
				  &pcm->n_streams)) < 0)
		return res;
	pcm->streams = calloc(pcm->n_streams, sizeof(*pcm->streams));
	if (pcm->streams == NULL)
		return fail(ctx, -ENOMEM, "%s: out of memory", dir);
	for (uint32_t s = 0; s < pcm->n_streams; s++) {
		pcm->streams[s].index = s;
		/* Streams read so far are visible to the unique-id check. */
		res = read_stream(ctx, card_path, dir, &lv, cfg, &pcm->streams[s]);
		if (res < 0)
			return res;
	}
	return 0;
}

int xensnd_card_cfg_read(struct xensnd_card_cfg *cfg,
			 const struct xensnd_reader *reader,
			 const char *path, char *err, size_t err_size)
{
	struct cfg_ctx ctx = { reader, err, err_size };
	struct level card_level;
	uint32_t n_pcms;
	int res;

	memset(cfg, 0, sizeof(*cfg));
	if (err_size > 0)
		err[0] = '\0';
	if ((res = read_name(&ctx, path, XENSND_FIELD_VCARD_SHORT_NAME,
			     cfg->short_name, sizeof(cfg->short_name))) < 0 ||
	    (res = read_name(&ctx, path, XENSND_FIELD_VCARD_LONG_NAME,
			     cfg->long_name, sizeof(cfg->long_name))) < 0 ||
	    (res = read_level(&ctx, path, NULL, &card_level)) < 0 ||
	    (res = count_children(&ctx, path, XENSND_MAX_PCMS, "PCM devices",
				  &n_pcms)) < 0)
		goto fail;
	cfg->pcms = calloc(n_pcms, sizeof(*cfg->pcms));
	if (cfg->pcms == NULL) {
		res = fail(&ctx, -ENOMEM, "%s: out of memory", path);
		goto fail;
	}
	/* n_pcms grows as PCMs are read: the unique-id check and clear()
	 * see exactly the PCMs that exist so far. */
	for (uint32_t p = 0; p < n_pcms; p++) {
		cfg->pcms[p].index = p;
		cfg->n_pcms = p + 1;
		res = read_pcm(&ctx, path, &card_level, cfg, &cfg->pcms[p]);
		if (res < 0)
			goto fail;
	}
	return 0;

fail:
	xensnd_card_cfg_clear(cfg);
	return res;
}

void xensnd_card_cfg_clear(struct xensnd_card_cfg *cfg)
{
	for (uint32_t p = 0; p < cfg->n_pcms; p++)
		free(cfg->pcms[p].streams);
	free(cfg->pcms);
	memset(cfg, 0, sizeof(*cfg));
}

uint32_t xensnd_card_cfg_n_streams(const struct xensnd_card_cfg *cfg)
{
	uint32_t n = 0;

	for (uint32_t p = 0; p < cfg->n_pcms; p++)
		n += cfg->pcms[p].n_streams;
	return n;
}
