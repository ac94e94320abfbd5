/* SPDX-License-Identifier: MIT */
/* record: a capture stream into a WAV file (see xensnd-ctl-transfer.h). */
#include <errno.h>
#include <string.h>

#include "xensnd-ctl.h"
#include "xensnd-ctl-transfer.h"

struct recorder {
	struct ctl_stream *s;
	FILE *f;
	const char *name;
	uint64_t total;		/* octets wanted */
	uint64_t got;		/* octets read and stored */
	uint64_t lost;		/* octets the backend captured past our buffer */
	unsigned refused;	/* READs refused with EAGAIN */
};

/*
 * What the backend captured past our buffer before we read it is gone:
 * the file gets silence (zero octets) in its place, so what follows stays
 * where the backend's clock put it.
 */
static int fill_overrun(struct recorder *rec, uint64_t gap)
{
	static const uint8_t zeros[4096];

	ctl_error("%s: overrun: the backend captured %llu octets more than the buffer holds before we read them",
		  rec->s->name, (unsigned long long)gap);
	rec->lost += gap;
	while (gap > 0 && rec->got < rec->total) {
		uint64_t n = gap < sizeof(zeros) ? gap : sizeof(zeros);

		if (n > rec->total - rec->got)
			n = rec->total - rec->got;
		if (fwrite(zeros, 1, n, rec->f) != n) {
			ctl_error("%s: write failed: %s", rec->name, strerror(errno));
			return CTL_EXIT_FAILURE;
		}
		rec->got += n;
		gap -= n;
	}
	return CTL_EXIT_OK;
}

/* Captured and not yet read, as far as we believe the backend. */
static uint64_t available(const struct recorder *rec)
{
	uint64_t position = rec->s->position;

	return position > rec->got ? position - rec->got : 0;
}

static int wait_position_above(struct recorder *rec, uint64_t above)
{
	struct ctl_stream *s = rec->s;
	unsigned stall = ctl_stall_ms(s);
	int r = ctl_stream_wait_position(s, above, stall);

	if (r > 0)
		return CTL_EXIT_OK;
	if (r == 0)
		ctl_error("%s: backend stopped capturing: position stuck at %llu octets for %u ms",
			  s->name, (unsigned long long)s->position, stall);
	return CTL_EXIT_FAILURE;
}

/*
 * The backend has fewer frames than our view of CUR_POS promised: it
 * overran while we were not scheduled (the events that told of it were
 * dropped or are still on their way) and threw away the oldest ones, so
 * its read point is ahead of ours. A scheduling hiccup is no reason to
 * stop: wait for a CUR_POS newer than what we know, and go on. Once that
 * position shows more than a buffer past what we stored, fill_overrun()
 * puts the lost frames in the file as silence; never more than the backend
 * dropped, as it keeps at least the newest buffer of frames.
 */
static int read_refused(struct recorder *rec)
{
	struct ctl_stream *s = rec->s;

	if (rec->refused++ == 0)
		ctl_error("%s: backend refused a READ with EAGAIN at %llu octets: it dropped frames "
			  "we had not read (overrun); waiting for its next CUR_POS to catch up",
			  s->name, (unsigned long long)rec->got);
	return wait_position_above(rec, s->position);
}

static int read_chunk(struct recorder *rec, uint64_t avail)
{
	struct ctl_stream *s = rec->s;
	uint32_t offset = (uint32_t)(rec->got % s->buffer_bytes);
	uint64_t len = avail;

	if (len > s->buffer_bytes - offset)
		len = s->buffer_bytes - offset;
	if (len > rec->total - rec->got)
		len = rec->total - rec->got;
	int ret = ctl_stream_read(s, offset, (uint32_t)len);
	if (ret == CTL_READ_AGAIN)
		return read_refused(rec);
	if (ret != CTL_EXIT_OK)
		return ret;
	if (fwrite(s->buf.data + offset, 1, len, rec->f) != len) {
		ctl_error("%s: write failed: %s", rec->name, strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	rec->got += len;
	return CTL_EXIT_OK;
}

int ctl_record(struct ctl_stream *s, FILE *f, const char *name,
	       uint64_t frames, uint64_t *got,
	       const struct ctl_transfer_opts *opts)
{
	struct recorder rec = { .s = s, .f = f, .name = name,
				.total = frames * s->frame_bytes };
	struct ctl_progress progress;
	int ret;

	ctl_progress_start(&progress, opts, "record", s, rec.total);
	ret = ctl_stream_trigger(s, XENSND_OP_TRIGGER_START);
	while (ret == CTL_EXIT_OK && rec.got < rec.total) {
		uint64_t avail = available(&rec);

		if (avail > s->buffer_bytes)
			ret = fill_overrun(&rec, avail - s->buffer_bytes);
		else
			ret = avail ? read_chunk(&rec, avail) :
			      wait_position_above(&rec, rec.got);
		ctl_progress_update(&progress, rec.got);
	}
	ctl_progress_end(&progress, rec.got);
	if (opts->verbose)
		fprintf(stderr, "%s: %llu CUR_POS events, %llu stale, %llu octets lost, "
			"%u READs refused\n", s->name, (unsigned long long)s->n_events,
			(unsigned long long)s->n_stale_events,
			(unsigned long long)rec.lost, rec.refused);
	*got = rec.got;
	return ret;
}
