/* SPDX-License-Identifier: MIT */
/*
 * One stream of a connected card, driven synchronously: one request on
 * the ring at a time, each awaited with a timeout, CUR_POS events taken
 * as they come. What the backend says is untrusted: libxensnd copies and
 * checks responses and events; here statuses become messages, and the
 * position only moves forward (play and record bound it further by what
 * they wrote or read).
 */
#ifndef XENSND_CTL_STREAM_H
#define XENSND_CTL_STREAM_H

#include <stdbool.h>
#include <stddef.h>	/* offsetof, which xen/io/ring.h uses */
#include <stdint.h>

#include <xensnd/channel.h>
#include <xensnd/config.h>

#include "xensnd-ctl-card.h"

struct ctl_stream {
	struct ctl_card *card;			/* borrowed, connected */
	struct xensnd_front_channel *ch;	/* borrowed from the card */
	const struct xensnd_stream_cfg *cfg;
	char name[64];				/* "stream 0/0/1", for messages */

	struct xensnd_front_buffer buf;		/* granted on open */
	bool opened;				/* OPEN succeeded, CLOSE owed */
	bool running;				/* TRIGGER start sent */
	uint8_t format;
	uint32_t rate, channels, frame_bytes;
	uint32_t buffer_bytes, period_bytes;

	uint64_t position;			/* highest CUR_POS seen, octets */
	uint64_t n_events;
	uint64_t n_stale_events;		/* positions that went backwards */
	bool broken;				/* protocol error or timeout: stop */
};

/* The stream's settings chosen for OPEN. */
struct ctl_stream_params {
	uint8_t format;
	uint32_t rate;
	uint32_t channels;
	uint32_t buffer_frames;		/* 0: choose */
	uint32_t period_frames;		/* 0: choose */
};

/* cfg and index from ctl_card_stream(); the card must be connected. */
void ctl_stream_init(struct ctl_stream *s, struct ctl_card *card,
		     const struct xensnd_stream_cfg *cfg, uint32_t index,
		     const struct ctl_target *target);

/* HW_PARAM_QUERY. Exit code; a refusal prints the backend's status. */
int ctl_stream_query(struct ctl_stream *s,
		     const struct xensnd_query_hw_param *wanted,
		     struct xensnd_query_hw_param *offered);

/*
 * Narrow with HW_PARAM_QUERY, pick buffer and period inside what is
 * offered (or take the caller's), allocate and grant the buffer, OPEN.
 */
int ctl_stream_open(struct ctl_stream *s, const struct ctl_stream_params *p);

int ctl_stream_trigger(struct ctl_stream *s, uint8_t type);

/* WRITE / READ / volume ops on [offset, offset + length) of the buffer. */
int ctl_stream_rw(struct ctl_stream *s, uint8_t op, uint32_t offset,
		  uint32_t length);

/*
 * READ [offset, offset + length): CTL_EXIT_OK, CTL_EXIT_FAILURE (printed),
 * or CTL_READ_AGAIN when the backend refused it with EAGAIN (it has not
 * captured that much: it dropped frames we never read, in an overrun we
 * did not see yet). Not printed: the caller waits for CUR_POS and retries.
 */
#define CTL_READ_AGAIN	(-1)
int ctl_stream_read(struct ctl_stream *s, uint32_t offset, uint32_t length);

/*
 * Wait until the position passes `above` or timeout_ms passes: 1 (see
 * ->position), 0 (timed out), or negative (signal, broken). Events that
 * repeat a position do not extend the wait: a backend that stands still
 * is caught however chatty it is.
 */
int ctl_stream_wait_position(struct ctl_stream *s, uint64_t above,
			     unsigned timeout_ms);

/* TRIGGER stop if running, CLOSE if open. */
void ctl_stream_close(struct ctl_stream *s);

/* Revoke and free the buffer: after CLOSE, or after ctl_card_disconnect(). */
void ctl_stream_free(struct ctl_stream *s);

/* "EINVAL" for a sndif status (-XEN_EINVAL), from xen/errno.h. */
const char *ctl_status_name(int32_t status);

#endif
