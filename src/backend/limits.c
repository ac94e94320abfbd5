/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include <xensnd/format.h>
#include <xensnd/pagedir.h>

#include "limits.h"

#define BIT(f)	(UINT64_C(1) << (f))

uint64_t limits_supported_formats(void)
{
	/* Every linear PCM format and the two G.711 companders: all of them
	 * have a WAV representation (wav.h). IEC958 subframes and the
	 * compressed formats do not, so they are never offered. */
	return BIT(XENSND_PCM_FORMAT_S8) | BIT(XENSND_PCM_FORMAT_U8) |
	       BIT(XENSND_PCM_FORMAT_S16_LE) | BIT(XENSND_PCM_FORMAT_S16_BE) |
	       BIT(XENSND_PCM_FORMAT_U16_LE) | BIT(XENSND_PCM_FORMAT_U16_BE) |
	       BIT(XENSND_PCM_FORMAT_S24_LE) | BIT(XENSND_PCM_FORMAT_S24_BE) |
	       BIT(XENSND_PCM_FORMAT_U24_LE) | BIT(XENSND_PCM_FORMAT_U24_BE) |
	       BIT(XENSND_PCM_FORMAT_S32_LE) | BIT(XENSND_PCM_FORMAT_S32_BE) |
	       BIT(XENSND_PCM_FORMAT_U32_LE) | BIT(XENSND_PCM_FORMAT_U32_BE) |
	       BIT(XENSND_PCM_FORMAT_F32_LE) | BIT(XENSND_PCM_FORMAT_F32_BE) |
	       BIT(XENSND_PCM_FORMAT_F64_LE) | BIT(XENSND_PCM_FORMAT_F64_BE) |
	       BIT(XENSND_PCM_FORMAT_MU_LAW) | BIT(XENSND_PCM_FORMAT_A_LAW);
}

void limits_init_default(struct backend_limits *lim)
{
	*lim = (struct backend_limits){
		.formats = limits_supported_formats(),
		.n_rates = 0,
		.channels = { 1, XENSND_MAX_CHANNELS },
		/* Shorter periods than this would wake the backend more than
		 * ten thousand times a second at 192 kHz; no device does that. */
		.period_frames = { 16, UINT32_MAX },
		.buffer_frames = { 16, UINT32_MAX },
	};
}

static uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }
static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

static bool rate_allowed(const struct backend_limits *lim, uint32_t rate)
{
	if (lim->n_rates == 0)
		return true;
	for (uint32_t i = 0; i < lim->n_rates; i++)
		if (lim->rates[i] == rate)
			return true;
	return false;
}

static bool rate_in_cfg(const struct xensnd_pcm_params *cfg, uint32_t rate)
{
	for (uint32_t i = 0; i < cfg->n_rates; i++)
		if (cfg->rates[i] == rate)
			return true;
	return false;
}

/* Smallest frame any of the formats makes with channels channels. */
static uint32_t smallest_frame(uint64_t formats, uint32_t channels)
{
	uint32_t best = 0;

	for (unsigned f = 0; f < XENSND_FORMAT_COUNT; f++) {
		uint32_t fb;

		if (!(formats & BIT(f)))
			continue;
		fb = xensnd_frame_bytes(f, channels);
		if (fb != 0 && (best == 0 || fb < best))
			best = fb;
	}
	return best;
}

static int narrow_rates(const struct xensnd_pcm_params *cfg,
			const struct backend_limits *lim,
			const struct xensnd_query_hw_param *req,
			struct xensnd_query_hw_param *resp,
			char *err, size_t err_size)
{
	bool any = false;

	for (uint32_t i = 0; i < cfg->n_rates; i++) {
		uint32_t r = cfg->rates[i];

		if (r < req->rates.min || r > req->rates.max ||
		    !rate_allowed(lim, r))
			continue;
		if (!any)
			resp->rates.min = r;
		resp->rates.max = r;
		any = true;
	}
	if (!any) {
		snprintf(err, err_size,
			 "no configured rate in %u..%u that the backend plays",
			 req->rates.min, req->rates.max);
		return -EINVAL;
	}
	return 0;
}

static int narrow_range(const char *what, struct u32_range wanted,
			struct u32_range a, struct u32_range b,
			uint32_t *out_min, uint32_t *out_max,
			char *err, size_t err_size)
{
	uint32_t lo = max_u32(wanted.min, max_u32(a.min, b.min));
	uint32_t hi = min_u32(wanted.max, min_u32(a.max, b.max));

	if (lo > hi) {
		snprintf(err, err_size, "%s %u..%u: nothing the backend offers",
			 what, wanted.min, wanted.max);
		return -EINVAL;
	}
	*out_min = lo;
	*out_max = hi;
	return 0;
}

int limits_hw_query(const struct xensnd_pcm_params *cfg,
		    const struct backend_limits *lim,
		    const struct xensnd_query_hw_param *req,
		    struct xensnd_query_hw_param *resp,
		    char *err, size_t err_size)
{
	struct u32_range cfg_channels = { cfg->channels_min, cfg->channels_max };
	struct u32_range cfg_buffer;
	uint32_t frame;
	int r;

	*resp = (struct xensnd_query_hw_param){ 0 };
	resp->formats = req->formats & cfg->formats & lim->formats;
	if (resp->formats == 0) {
		snprintf(err, err_size,
			 "formats 0x%llx: none configured that the backend plays",
			 (unsigned long long)req->formats);
		return -EINVAL;
	}
	r = narrow_rates(cfg, lim, req, resp, err, err_size);
	if (r < 0)
		return r;
	r = narrow_range("channels",
			 (struct u32_range){ req->channels.min, req->channels.max },
			 cfg_channels, lim->channels, &resp->channels.min,
			 &resp->channels.max, err, err_size);
	if (r < 0)
		return r;
	/* buffer-size is in octets; the largest buffer in frames is what the
	 * smallest frame of the remaining choices allows. */
	frame = smallest_frame(resp->formats, resp->channels.min);
	cfg_buffer = (struct u32_range){ 1, frame ? cfg->buffer_size / frame : 0 };
	r = narrow_range("buffer frames",
			 (struct u32_range){ req->buffer.min, req->buffer.max },
			 cfg_buffer, lim->buffer_frames, &resp->buffer.min,
			 &resp->buffer.max, err, err_size);
	if (r < 0)
		return r;
	return narrow_range("period frames",
			    (struct u32_range){ req->period.min, req->period.max },
			    (struct u32_range){ 1, resp->buffer.max },
			    lim->period_frames, &resp->period.min,
			    &resp->period.max, err, err_size);
}

static int check_format(const struct xensnd_pcm_params *cfg,
			const struct backend_limits *lim, unsigned format,
			char *err, size_t err_size)
{
	const struct xensnd_format *f = xensnd_format_from_sndif(format);

	if (f == NULL) {
		snprintf(err, err_size, "format %u is not a sndif format", format);
		return -EINVAL;
	}
	if (!(cfg->formats & BIT(format))) {
		snprintf(err, err_size, "format %s is not in sample-formats",
			 f->name);
		return -EINVAL;
	}
	if (!(lim->formats & BIT(format))) {
		snprintf(err, err_size, "format %s is not one the backend plays",
			 f->name);
		return -EINVAL;
	}
	return 0;
}

static int check_rate_channels(const struct xensnd_pcm_params *cfg,
			       const struct backend_limits *lim,
			       const struct xensnd_open_req *open,
			       char *err, size_t err_size)
{
	if (!rate_in_cfg(cfg, open->pcm_rate)) {
		snprintf(err, err_size, "rate %u is not in sample-rates",
			 open->pcm_rate);
		return -EINVAL;
	}
	if (!rate_allowed(lim, open->pcm_rate)) {
		snprintf(err, err_size, "rate %u is not one the backend plays",
			 open->pcm_rate);
		return -EINVAL;
	}
	if (open->pcm_channels < cfg->channels_min ||
	    open->pcm_channels > cfg->channels_max ||
	    open->pcm_channels < lim->channels.min ||
	    open->pcm_channels > lim->channels.max) {
		snprintf(err, err_size, "%u channels: outside %u..%u",
			 open->pcm_channels,
			 max_u32(cfg->channels_min, lim->channels.min),
			 min_u32(cfg->channels_max, lim->channels.max));
		return -EINVAL;
	}
	return 0;
}

static int check_sizes(const struct xensnd_pcm_params *cfg,
		       const struct backend_limits *lim,
		       const struct xensnd_open_req *open, uint32_t frame,
		       char *err, size_t err_size)
{
	uint32_t buf_frames = open->buffer_sz / frame;
	uint32_t per_frames = open->period_sz / frame;

	if (open->buffer_sz == 0 || open->buffer_sz > cfg->buffer_size ||
	    open->buffer_sz > XENSND_BUFFER_SIZE_MAX) {
		snprintf(err, err_size, "buffer_sz %u: outside 1..%u (buffer-size)",
			 open->buffer_sz, cfg->buffer_size);
		return -EINVAL;
	}
	if (open->buffer_sz % frame != 0) {
		snprintf(err, err_size, "buffer_sz %u is not whole %u-octet frames",
			 open->buffer_sz, frame);
		return -EINVAL;
	}
	if (buf_frames < lim->buffer_frames.min ||
	    buf_frames > lim->buffer_frames.max) {
		snprintf(err, err_size, "buffer of %u frames: outside %u..%u",
			 buf_frames, lim->buffer_frames.min,
			 lim->buffer_frames.max);
		return -EINVAL;
	}
	if (open->period_sz == 0)
		return 0;	/* sndif: no CUR_POS events wanted */
	if (open->period_sz % frame != 0 || open->period_sz > open->buffer_sz) {
		snprintf(err, err_size,
			 "period_sz %u is not whole frames within buffer_sz %u",
			 open->period_sz, open->buffer_sz);
		return -EINVAL;
	}
	if (per_frames < lim->period_frames.min ||
	    per_frames > lim->period_frames.max) {
		snprintf(err, err_size, "period of %u frames: outside %u..%u",
			 per_frames, lim->period_frames.min,
			 lim->period_frames.max);
		return -EINVAL;
	}
	return 0;
}

int limits_check_open(const struct xensnd_pcm_params *cfg,
		      const struct backend_limits *lim,
		      const struct xensnd_open_req *open,
		      char *err, size_t err_size)
{
	uint32_t frame;
	int r;

	r = check_format(cfg, lim, open->pcm_format, err, err_size);
	if (r < 0)
		return r;
	r = check_rate_channels(cfg, lim, open, err, err_size);
	if (r < 0)
		return r;
	frame = xensnd_frame_bytes(open->pcm_format, open->pcm_channels);
	if (frame == 0) {
		snprintf(err, err_size, "format %u has no frame size",
			 open->pcm_format);
		return -EINVAL;
	}
	if (open->gref_directory == 0) {
		snprintf(err, err_size, "gref_directory 0 is never a valid grant");
		return -EINVAL;
	}
	return check_sizes(cfg, lim, open, frame, err, err_size);
}

int limits_check_rw(uint32_t buffer_sz, uint32_t frame_bytes,
		    uint32_t offset, uint32_t length, char *err, size_t err_size)
{
	/* 64-bit sum: offset + length must not wrap around to look small. */
	if ((uint64_t)offset + length > buffer_sz) {
		snprintf(err, err_size,
			 "offset %u + length %u is outside buffer_sz %u",
			 offset, length, buffer_sz);
		return -EINVAL;
	}
	if (length == 0 || length % frame_bytes != 0 ||
	    offset % frame_bytes != 0) {
		snprintf(err, err_size,
			 "offset %u / length %u are not whole %u-octet frames",
			 offset, length, frame_bytes);
		return -EINVAL;
	}
	return 0;
}

int limits_check_control(uint32_t buffer_sz, uint32_t channels,
			 uint32_t bytes_per_channel, uint32_t offset,
			 uint32_t length, char *err, size_t err_size)
{
	if ((uint64_t)offset + length > buffer_sz) {
		snprintf(err, err_size,
			 "offset %u + length %u is outside buffer_sz %u",
			 offset, length, buffer_sz);
		return -EINVAL;
	}
	if (length != channels * bytes_per_channel) {
		snprintf(err, err_size,
			 "length %u is not %u channels x %u octets",
			 length, channels, bytes_per_channel);
		return -EINVAL;
	}
	return 0;
}

const char *run_state_name(enum stream_run_state s)
{
	switch (s) {
	case RUN_STOPPED: return "stopped";
	case RUN_RUNNING: return "running";
	case RUN_PAUSED: return "paused";
	}
	return "?";
}

int limits_trigger(enum stream_run_state cur, unsigned type,
		   enum stream_run_state *next, char *err, size_t err_size)
{
	static const char *const names[] = { "start", "pause", "stop", "resume" };
	bool ok;

	switch (type) {
	case XENSND_OP_TRIGGER_START:
		ok = cur == RUN_STOPPED;
		*next = RUN_RUNNING;
		break;
	case XENSND_OP_TRIGGER_PAUSE:
		ok = cur == RUN_RUNNING;
		*next = RUN_PAUSED;
		break;
	case XENSND_OP_TRIGGER_RESUME:
		ok = cur == RUN_PAUSED;
		*next = RUN_RUNNING;
		break;
	case XENSND_OP_TRIGGER_STOP:
		ok = cur == RUN_RUNNING || cur == RUN_PAUSED;
		*next = RUN_STOPPED;
		break;
	default:
		snprintf(err, err_size, "trigger type %u is unknown", type);
		return -EINVAL;
	}
	if (!ok) {
		snprintf(err, err_size, "trigger %s while %s", names[type],
			 run_state_name(cur));
		return -EINVAL;
	}
	return 0;
}
