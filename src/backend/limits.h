/* SPDX-License-Identifier: MIT */
/*
 * What the backend's output or input can do, as the command line says
 * (--formats, --rates, --channels, --period-frames, --buffer-frames), and
 * the checks every request from a frontend goes through before the
 * backend acts on it. Pure functions: no Xen, no I/O, so they are unit
 * tested on their own.
 */
#ifndef XENSND_BACKEND_LIMITS_H
#define XENSND_BACKEND_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xensnd/ring.h>	/* xen/io/sndif.h with what it needs first */

#include <xensnd/config.h>

struct u32_range {
	uint32_t min;
	uint32_t max;
};

struct backend_limits {
	uint64_t formats;		/* bit (1 << XENSND_PCM_FORMAT_*) */
	uint32_t rates[XENSND_MAX_RATES];	/* ascending */
	uint32_t n_rates;		/* 0: any rate the configuration gives */
	struct u32_range channels;
	struct u32_range period_frames;
	struct u32_range buffer_frames;
};

/* Formats the backend can carry (it can write them all to WAV). */
uint64_t limits_supported_formats(void);

/* No restriction beyond what the backend supports. */
void limits_init_default(struct backend_limits *lim);

/*
 * XENSND_OP_HW_PARAM_QUERY: narrow the frontend's wanted ranges to the
 * intersection with the stream's configuration and the limits. 0 and
 * *resp, or -EINVAL with the reason in err when any range is empty.
 */
int limits_hw_query(const struct xensnd_pcm_params *cfg,
		    const struct backend_limits *lim,
		    const struct xensnd_query_hw_param *req,
		    struct xensnd_query_hw_param *resp,
		    char *err, size_t err_size);

/*
 * XENSND_OP_OPEN's parameters: format, rate and channels inside the
 * configuration and the limits, buffer_sz inside buffer-size and
 * frame-aligned, period_sz 0 or frame-aligned and not above buffer_sz.
 * 0 or -EINVAL with the reason in err.
 */
int limits_check_open(const struct xensnd_pcm_params *cfg,
		      const struct backend_limits *lim,
		      const struct xensnd_open_req *open,
		      char *err, size_t err_size);

/*
 * READ/WRITE: inside the buffer and whole frames. -EINVAL with err.
 */
int limits_check_rw(uint32_t buffer_sz, uint32_t frame_bytes,
		    uint32_t offset, uint32_t length, char *err, size_t err_size);

/*
 * SET/GET_VOLUME (bytes_per_channel 4) and MUTE/UNMUTE (1): the length
 * is exactly one value per channel, inside the buffer. -EINVAL with err.
 */
int limits_check_control(uint32_t buffer_sz, uint32_t channels,
			 uint32_t bytes_per_channel, uint32_t offset,
			 uint32_t length, char *err, size_t err_size);

/* The states an opened stream goes through (sndif TRIGGER). */
enum stream_run_state {
	RUN_STOPPED,		/* opened, not started, or stopped */
	RUN_RUNNING,
	RUN_PAUSED,
};

const char *run_state_name(enum stream_run_state s);

/*
 * XENSND_OP_TRIGGER_*: start from stopped, pause from running, resume
 * from paused, stop from running or paused. 0 and *next, or -EINVAL.
 */
int limits_trigger(enum stream_run_state cur, unsigned type,
		   enum stream_run_state *next, char *err, size_t err_size);

#endif
