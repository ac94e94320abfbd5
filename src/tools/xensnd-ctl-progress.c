/* SPDX-License-Identifier: MIT */
/* Progress reporting for play and record (see xensnd-ctl-transfer.h). */
#include <stdio.h>

#include "xensnd-ctl-transfer.h"

#define PROGRESS_INTERVAL_MS	100

void ctl_progress_start(struct ctl_progress *p, const struct ctl_transfer_opts *opts,
			const char *verb, const struct ctl_stream *s,
			uint64_t total_bytes)
{
	p->opts = opts;
	p->verb = verb;
	p->stream = s->name;
	p->total_bytes = total_bytes;
	p->bytes_per_second = s->rate * s->frame_bytes;
	p->started_ms = ctl_now_ms();
	p->shown_ms = 0;
}

static double seconds(const struct ctl_progress *p, uint64_t bytes)
{
	return p->bytes_per_second ? (double)bytes / p->bytes_per_second : 0.0;
}

void ctl_progress_update(struct ctl_progress *p, uint64_t done_bytes)
{
	uint64_t now = ctl_now_ms();

	if (!p->opts->progress || now - p->shown_ms < PROGRESS_INTERVAL_MS)
		return;
	p->shown_ms = now;
	fprintf(stderr, "\r%s %s: %.1f / %.1f s ", p->verb, p->stream,
		seconds(p, done_bytes), seconds(p, p->total_bytes));
	fflush(stderr);
}

void ctl_progress_end(struct ctl_progress *p, uint64_t done_bytes)
{
	double wall = (double)(ctl_now_ms() - p->started_ms) / 1000.0;

	if (p->opts->progress) {
		p->shown_ms = 0;
		ctl_progress_update(p, done_bytes);
		fputc('\n', stderr);
	}
	if (p->opts->verbose)
		fprintf(stderr, "%s %s: %.3f s of audio in %.3f s\n", p->verb,
			p->stream, seconds(p, done_bytes), wall);
}

unsigned ctl_stall_ms(const struct ctl_stream *s)
{
	uint64_t buffer_ms = (uint64_t)s->buffer_bytes * 1000u /
			     ((uint64_t)s->rate * s->frame_bytes);
	uint64_t ms = 2 * buffer_ms;

	return ms < CTL_REQUEST_TIMEOUT_MS ? CTL_REQUEST_TIMEOUT_MS :
	       ms > 60000 ? 60000 : (unsigned)ms;
}
