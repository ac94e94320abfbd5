/* SPDX-License-Identifier: MIT */
/* play: a WAV file into a playback stream (see xensnd-ctl-transfer.h). */
#include <errno.h>
#include <string.h>

#include "xensnd-ctl.h"
#include "xensnd-ctl-transfer.h"

struct player {
	struct ctl_stream *s;
	FILE *f;
	const char *name;
	uint64_t total;		/* octets to play */
	uint64_t written;	/* octets handed to the backend */
	uint64_t underruns;	/* positions reported beyond what we wrote */
	uint64_t last_beyond;	/* the last such position, counted once */
};

/*
 * What the backend has played, as far as we believe it: its position,
 * but never beyond what we wrote (a position ahead of that is an underrun
 * or a lie; either way nothing more than the buffer gets outstanding).
 */
static uint64_t played(struct player *pl)
{
	uint64_t position = pl->s->position;

	if (position <= pl->written)
		return position;
	if (position != pl->last_beyond) {
		pl->last_beyond = position;
		pl->underruns++;
	}
	return pl->written;
}

/* Room for the next chunk: at most one period, never across the end. */
static uint32_t next_chunk(struct player *pl)
{
	struct ctl_stream *s = pl->s;
	uint64_t outstanding = pl->written - played(pl);
	uint64_t room = s->buffer_bytes - outstanding;
	uint32_t offset = (uint32_t)(pl->written % s->buffer_bytes);
	uint64_t len = s->period_bytes;

	if (len > s->buffer_bytes - offset)
		len = s->buffer_bytes - offset;
	if (len > pl->total - pl->written)
		len = pl->total - pl->written;
	/* Wait for a whole chunk's room unless the file ends sooner. */
	return len <= room ? (uint32_t)len : 0;
}

static int write_chunk(struct player *pl, uint32_t len)
{
	struct ctl_stream *s = pl->s;
	uint32_t offset = (uint32_t)(pl->written % s->buffer_bytes);

	if (fread(s->buf.data + offset, 1, len, pl->f) != len) {
		ctl_error("%s: %s", pl->name,
			  ferror(pl->f) ? strerror(errno) : "file ended early (it shrank?)");
		return CTL_EXIT_FAILURE;
	}
	int ret = ctl_stream_rw(s, XENSND_OP_WRITE, offset, len);
	if (ret == CTL_EXIT_OK)
		pl->written += len;
	return ret;
}

/* Wait for the position to move; a standstill is the backend's fault. */
static int wait_progress(struct player *pl, const char *doing)
{
	struct ctl_stream *s = pl->s;
	unsigned stall = ctl_stall_ms(s);
	int r = ctl_stream_wait_position(s, played(pl), stall);

	if (r > 0)
		return CTL_EXIT_OK;
	if (r == 0)
		ctl_error("%s: backend stopped consuming while %s: position stuck at %llu of %llu octets for %u ms",
			  s->name, doing, (unsigned long long)s->position,
			  (unsigned long long)pl->written, stall);
	return CTL_EXIT_FAILURE;
}

static int fill(struct player *pl, struct ctl_progress *progress)
{
	while (pl->written < pl->total) {
		uint32_t len = next_chunk(pl);
		int ret = len ? write_chunk(pl, len) : wait_progress(pl, "playing");

		if (ret != CTL_EXIT_OK)
			return ret;
		ctl_progress_update(progress, played(pl));
	}
	return CTL_EXIT_OK;
}

static int drain(struct player *pl, struct ctl_progress *progress)
{
	while (played(pl) < pl->written) {
		int ret = wait_progress(pl, "draining");

		if (ret != CTL_EXIT_OK)
			return ret;
		ctl_progress_update(progress, played(pl));
	}
	return CTL_EXIT_OK;
}

int ctl_play(struct ctl_stream *s, FILE *f, const char *name,
	     uint64_t data_bytes, const struct ctl_transfer_opts *opts)
{
	struct player pl = { .s = s, .f = f, .name = name, .total = data_bytes };
	struct ctl_progress progress;
	int ret;

	ctl_progress_start(&progress, opts, "play", s, data_bytes);
	/* Prefill: the buffer is full before the clock starts, as ALSA does. */
	while (pl.written < pl.total && pl.written < s->buffer_bytes) {
		uint32_t len = next_chunk(&pl);

		if (len == 0)
			break;	/* full: the fill loop takes over */
		ret = write_chunk(&pl, len);
		if (ret != CTL_EXIT_OK)
			return ret;
	}
	ret = ctl_stream_trigger(s, XENSND_OP_TRIGGER_START);
	if (ret == CTL_EXIT_OK)
		ret = fill(&pl, &progress);
	if (ret == CTL_EXIT_OK)
		ret = drain(&pl, &progress);
	ctl_progress_end(&progress, played(&pl));
	if (opts->verbose)
		fprintf(stderr, "%s: %llu CUR_POS events, %llu stale, %llu beyond the data written\n",
			s->name, (unsigned long long)s->n_events,
			(unsigned long long)s->n_stale_events,
			(unsigned long long)pl.underruns);
	return ret;
}
