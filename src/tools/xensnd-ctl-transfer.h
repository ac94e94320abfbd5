/* SPDX-License-Identifier: MIT */
/*
 * play and record: moving audio between a WAV file and an opened stream,
 * paced by the backend's CUR_POS events.
 *
 * Playback keeps at most the buffer outstanding: written - position <=
 * buffer, where position is the backend's CUR_POS, never taken beyond
 * what was written. The buffer is filled before TRIGGER start, and the
 * end is drained (position reaches what was written) before stopping.
 * Capture reads only what the backend reported as captured. A backend
 * that stops moving the position for longer than the stall limit ends
 * the transfer with a message instead of a hang.
 */
#ifndef XENSND_CTL_TRANSFER_H
#define XENSND_CTL_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "xensnd-ctl-stream.h"
#include "xensnd-ctl-wav.h"

struct ctl_transfer_opts {
	bool progress;		/* a progress line on stderr */
	bool verbose;		/* a summary line with the timing */
};

/* The progress line and the summary, shared by play and record. */
struct ctl_progress {
	const struct ctl_transfer_opts *opts;
	const char *verb;		/* "play", "record" */
	const char *stream;
	uint64_t total_bytes;
	uint32_t bytes_per_second;
	uint64_t started_ms, shown_ms;
};

void ctl_progress_start(struct ctl_progress *p, const struct ctl_transfer_opts *opts,
			const char *verb, const struct ctl_stream *s,
			uint64_t total_bytes);
/* At most ten updates a second. */
void ctl_progress_update(struct ctl_progress *p, uint64_t done_bytes);
void ctl_progress_end(struct ctl_progress *p, uint64_t done_bytes);

/*
 * How long the position may stand still before the backend counts as
 * stalled: two buffers' worth of time, at least the request timeout.
 */
unsigned ctl_stall_ms(const struct ctl_stream *s);

/* Play data_bytes from f (positioned at the samples). Exit code. */
int ctl_play(struct ctl_stream *s, FILE *f, const char *name,
	     uint64_t data_bytes, const struct ctl_transfer_opts *opts);

/* Record frames into f (its header written). *got: octets stored. */
int ctl_record(struct ctl_stream *s, FILE *f, const char *name,
	       uint64_t frames, uint64_t *got,
	       const struct ctl_transfer_opts *opts);

#endif
