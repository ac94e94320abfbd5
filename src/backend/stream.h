/* SPDX-License-Identifier: MIT */
/*
 * One sndif stream of a connected card: its ring and event channels, the
 * request handling (every request validated first, see limits.h), the
 * device clock that consumes playback / produces capture, the WAV
 * output, and CUR_POS events.
 *
 * Position (XENSND_EVT_CUR_POS) is in octets, as sndif.h says and the
 * Linux frontend reads it (bytes_to_frames): the octets the device has
 * played or captured since the stream's OPEN.
 */
#ifndef XENSND_BACKEND_STREAM_H
#define XENSND_BACKEND_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include <xensnd/channel.h>
#include <xensnd/config.h>

#include "backend.h"
#include "clock.h"
#include "limits.h"
#include "pwio.h"
#include "wav.h"

struct stream {
	struct backend *be;
	struct card *card;
	const struct xensnd_stream_cfg *cfg;	/* the card's, borrowed */
	char name[64];			/* "dom1 vsnd0 pcm0 stream1" for logs */
	char wav_base[96];		/* "dom1-vsnd0-pcm0-stream1" */
	uint32_t pcm;

	struct xensnd_back_channel ch;
	bool ch_open;
	struct loop_source ch_src;
	int timer_fd;
	struct loop_source timer_src;
	struct backend_limits limits;	/* the options', narrowed by --input */

	/* Between OPEN and CLOSE. */
	bool opened;
	enum stream_run_state run;
	struct xensnd_back_buffer buf;
	uint8_t format;
	uint8_t channels;
	uint32_t rate;
	uint32_t frame_bytes;
	uint32_t buffer_sz;
	uint32_t period_sz;
	struct device_clock clock;
	uint64_t device_frames;		/* the clock's count at the last update */
	uint64_t position;		/* octets played/captured since OPEN */
	uint64_t last_period;		/* position / period_sz at the last event */
	/* Playback: WRITE data waiting for the clock (a ring of buffer_sz). */
	uint8_t *queue;
	uint32_t q_head;
	uint32_t q_len;
	bool started_consuming;
	uint64_t silent_frames;		/* --impulse-log: silence played before */
	bool in_underrun;
	/* Capture: frames produced by the clock and already READ. */
	uint64_t read_frames;
	/* The position of the last CUR_POS put in the event ring: overruns
	 * drop relative to it, so the frontend can tell how much was lost. */
	uint64_t reported_frames;
	bool in_overrun;
	struct pwio_stream *pw;		/* --output/--input pipewire */
	struct wav_writer wav;
	struct wav_conversion wav_conv;
	uint8_t *convert_buf;

	/* Kept for the whole connection. */
	int32_t volume[XENSND_MAX_CHANNELS];	/* 0.001 dB */
	uint8_t mute[XENSND_MAX_CHANNELS];
	uint32_t opens;
	uint64_t underruns;
	uint64_t overruns;
	uint64_t dropped_octets;	/* queued playback dropped by STOP/CLOSE */
	uint64_t requests;
	uint64_t errors;
	uint64_t events;
	/* The longest wait between two WRITEs while running (a stalled
	 * guest shows here before it underruns), and the last WRITE's time. */
	uint64_t max_write_gap_us;
	uint64_t late_writes;		/* gaps over a period (two if polled) + slack */
	/* The ring was polled since the last WRITE: the next one may have
	 * waited up to a period for the clock's tick to read it. */
	bool polled_since_write;
	/* Refusals logged in the current second, and those not logged. */
	uint64_t refusal_window_ns;
	uint32_t refusals_logged;
	uint64_t refusals_unlogged;
	uint64_t last_write_ns;
	/* The clock timer's last expiry (or the TRIGGER that started it). */
	uint64_t timer_ns;
	uint64_t timer_stalls;
};

/*
 * Map the ring and bind the channels of the stream whose keys are given.
 * On failure nothing stays taken; the reason is logged. 0 or -errno.
 */
int stream_init(struct stream *s, struct backend *be, struct card *card,
		uint32_t guest, uint32_t devid, uint32_t pcm,
		const struct xensnd_stream_cfg *cfg,
		const struct xensnd_stream_keys *keys);
/* Close the opened stream (if any), unbind, unmap. */
void stream_fini(struct stream *s);

/*
 * A running stream's timer fires at least once a period. If it stayed
 * silent much longer while the loop ran, say so and re-arm it: a stream
 * whose clock stops would hold its frontend forever.
 */
void stream_check_clock(struct stream *s, uint64_t now);

/* One line for the state file. */
void stream_describe(const struct stream *s, char *out, size_t out_size);

#endif
