/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <xen/errno.h>

#include <xensnd/format.h>

#include "card.h"
#include "stream.h"
#include "testsignal.h"

#define ERR_MAX	XENSND_ERROR_MAX

/* Responses carry -XEN_E*, the hypervisor's numbers (sndif.h). */
static int32_t xen_status(int err)
{
	switch (err) {
	case 0: return 0;
	case -EBUSY: return -XEN_EBUSY;
	case -ENOSPC: return -XEN_ENOSPC;
	case -EAGAIN: return -XEN_EAGAIN;
	case -ENOMEM: return -XEN_ENOMEM;
	case -EIO: return -XEN_EIO;
	case -EOPNOTSUPP: return -XEN_EOPNOTSUPP;
	}
	return -XEN_EINVAL;
}

static void arm_timer(struct stream *s);

/* ---- output ---- */

static void output_append(struct stream *s, const uint8_t *data, uint32_t n)
{
	const uint8_t *out = data;
	int r;

	if (s->pw != NULL)
		pwio_stream_write(s->pw, data, n);
	if (s->wav.fd < 0 || n == 0)
		return;
	if (s->convert_buf != NULL) {
		memcpy(s->convert_buf, data, n);
		wav_convert(&s->wav_conv, s->convert_buf, n);
		out = s->convert_buf;
	}
	r = wav_writer_append(&s->wav, out, n);
	if (r < 0) {
		be_log("%s: writing the WAV output failed (%s); the rest of this "
		       "OPEN is not kept", s->name, strerror(-r));
		wav_writer_close(&s->wav);
	}
}

static int pipewire_open(struct stream *s, char *err)
{
	const struct backend_options *o = s->be->opts;
	const struct xensnd_format *f = xensnd_format_from_sndif(s->format);
	char desc[256];

	if (s->be->pw == NULL || (s->cfg->capture ? !o->input_pipewire : !o->output_pipewire))
		return 0;
	snprintf(desc, sizeof(desc), "%s %s (%s)", s->card->cfg.short_name[0] ?
		 s->card->cfg.short_name : s->card->name,
		 s->cfg->unique_id, s->name);
	s->pw = pwio_stream_new(s->be->pw, s->wav_base, desc, s->cfg->capture,
				f->spa_format, s->rate, s->channels, s->frame_bytes,
				s->buffer_sz, err, ERR_MAX);
	if (s->pw == NULL)
		return -EIO;
	pwio_stream_set_volume(s->pw, s->volume, s->mute, s->channels);
	return 0;
}

static int output_open(struct stream *s, char *err)
{
	const char *dir = s->be->opts->output_dir;
	struct wav_format fmt;
	char path[4096];
	int r = pipewire_open(s, err);

	if (r < 0 || dir == NULL || s->cfg->capture)
		return r;
	if (wav_format_for_sndif(s->format, s->channels, s->rate, &fmt,
				 &s->wav_conv) < 0) {
		snprintf(err, ERR_MAX, "format %u has no WAV representation", s->format);
		return -EINVAL;
	}
	if (s->wav_conv.byteswap || s->wav_conv.flip_sign) {
		s->convert_buf = malloc(s->buffer_sz);
		if (s->convert_buf == NULL)
			return -ENOMEM;
	}
	/* Never overwrite: the first free of name.wav, name.1.wav, ... */
	for (unsigned n = 0; n < 10000; n++) {
		if (n == 0)
			snprintf(path, sizeof(path), "%s/%s.wav", dir, s->wav_base);
		else
			snprintf(path, sizeof(path), "%s/%s.%u.wav", dir, s->wav_base, n);
		r = wav_writer_open(&s->wav, path, &fmt);
		if (r == 0) {
			be_log("%s: writing %s", s->name, path);
			return 0;
		}
		if (r != -EEXIST) {
			snprintf(err, ERR_MAX, "%s: %s", path, strerror(-r));
			return -EIO;
		}
	}
	snprintf(err, ERR_MAX, "%s/%s.*.wav: no free file name", dir, s->wav_base);
	return -EIO;
}

/* ---- the clock ---- */

static void send_position(struct stream *s)
{
	int r;

	if (xensnd_back_ring_cur_pos(&s->ch.ring, s->position) < 0)
		return;	/* frontend not consuming events: superseded later */
	if (s->frame_bytes)
		s->reported_frames = s->position / s->frame_bytes;
	r = xensnd_back_channel_notify_event(&s->ch);
	if (r < 0)
		be_log("%s: notifying CUR_POS failed: %s", s->name, strerror(-r));
	s->events++;
}

static void maybe_send_position(struct stream *s, bool force)
{
	uint64_t period;

	if (s->period_sz == 0)
		return;
	period = s->position / s->period_sz;
	if (period > s->last_period || force) {
		s->last_period = period;
		send_position(s);
	}
}

static void consume(struct stream *s, uint64_t frames)
{
	uint32_t n = (uint32_t)(frames * s->frame_bytes);
	uint32_t first = s->buffer_sz - s->q_head;

	if (first > n)
		first = n;
	output_append(s, s->queue + s->q_head, first);
	output_append(s, s->queue, n - first);
	s->q_head = (s->q_head + n) % s->buffer_sz;
	s->q_len -= n;
	s->position += n;
}

/* Whether the queued frame at index f (from q_head) has a non-zero octet. */
static bool frame_sounds(const struct stream *s, uint64_t f)
{
	uint32_t at = (uint32_t)((s->q_head + f * s->frame_bytes) % s->buffer_sz);

	for (uint32_t b = 0; b < s->frame_bytes; b++)
		if (s->queue[(at + b) % s->buffer_sz] != 0)
			return true;
	return false;
}

/*
 * --impulse-log: a line for each sounding frame that follows the OPEN or
 * at least IMPULSE_SILENCE_DIVISOR-th of a second of silence, with the
 * time at which the device clock plays it; `first_clock_frame` is the
 * clock's count at the first of the frames about to be consumed. The time
 * is the clock's (CLOCK_MONOTONIC), not the moment the timer ran, so the
 * figure does not include this process's wake-up lateness.
 */
#define IMPULSE_SILENCE_DIVISOR	10	/* 100 ms */

static void log_impulses(struct stream *s, uint64_t first_clock_frame,
			 uint64_t frames)
{
	uint64_t silence = s->rate / IMPULSE_SILENCE_DIVISOR;

	for (uint64_t f = 0; f < frames; f++) {
		if (!frame_sounds(s, f)) {
			s->silent_frames++;
			continue;
		}
		if (s->silent_frames >= silence)
			fprintf(s->be->impulse_log, "impulse %s open=%u frame=%" PRIu64
				" time_ns=%" PRIu64 "\n", s->wav_base, s->opens,
				s->position / s->frame_bytes + f,
				device_clock_time_of(&s->clock, first_clock_frame + f));
		s->silent_frames = 0;
	}
}

static void update_playback(struct stream *s, uint64_t want)
{
	uint64_t queued = s->q_len / s->frame_bytes;
	uint64_t take = want < queued ? want : queued;
	bool emptied = take > 0 && take == queued;

	if (s->be->impulse_log != NULL && !s->cfg->capture)
		log_impulses(s, s->device_frames - want, take);
	consume(s, take);
	if (take > 0)
		s->started_consuming = true;
	if (take < want && s->started_consuming && !s->in_underrun) {
		s->in_underrun = true;
		s->underruns++;
		be_log("%s: underrun at position %" PRIu64 ": the guest sent no data "
		       "in time; the device plays silence until it does",
		       s->name, s->position);
	} else if (take == want && take > 0) {
		s->in_underrun = false;
	}
	/* A draining frontend waits for its last frames: report the
	 * position when the queue runs dry even off a period boundary. */
	maybe_send_position(s, emptied && s->position % (s->period_sz ? s->period_sz : 1));
}

/*
 * Frames are lost only once the guest has been told of more than a
 * buffer past what it read, and exactly that many: the newest buffer
 * before the reported position is kept. A frontend that sees position P
 * while it has read G then knows that P - G - buffer frames are gone. Had
 * the drop followed the clock instead (at a READ, or between events), the
 * backend's read point would move by amounts the frontend cannot see, and
 * every later READ would be served from a place the frontend does not
 * expect (its file shifted, READs refused with EAGAIN).
 */
static void update_capture(struct stream *s)
{
	uint64_t buffer_frames = s->buffer_sz / s->frame_bytes;

	s->position = s->device_frames * s->frame_bytes;
	maybe_send_position(s, false);
	if (s->reported_frames > s->read_frames &&
	    s->reported_frames - s->read_frames > buffer_frames) {
		if (!s->in_overrun) {
			s->overruns++;
			be_log("%s: overrun at frame %" PRIu64 ": the guest did not "
			       "READ in time; the oldest frames are lost",
			       s->name, s->reported_frames);
		}
		s->in_overrun = true;
		s->read_frames = s->reported_frames - buffer_frames;
	}
}

static void stream_update(struct stream *s, uint64_t now)
{
	uint64_t frames, want;

	if (!s->opened)
		return;
	frames = device_clock_frames(&s->clock, now);
	want = frames - s->device_frames;
	s->device_frames = frames;
	if (s->cfg->capture)
		update_capture(s);
	else
		update_playback(s, want);
}

static void arm_timer(struct stream *s)
{
	struct itimerspec its = { 0 };
	uint64_t period, next, t;

	if (s->opened && s->run == RUN_RUNNING) {
		uint64_t queued = s->q_len / s->frame_bytes;
		uint64_t played = s->position / s->frame_bytes;

		period = s->period_sz ? s->period_sz / s->frame_bytes : 0;
		if (period == 0)
			period = s->rate / 100 ? s->rate / 100 : 1;	/* 10 ms */
		/* Wake where the position (what was played: an underrun holds
		 * it back against the clock) reaches the next period, as a
		 * period interrupt comes: each tick then has one to report. */
		next = s->device_frames + (played / period + 1) * period - played;
		/* Wake when the queue runs dry if that comes first, so its
		 * last frames are reported when they are really played. */
		if (!s->cfg->capture && queued > 0 && s->device_frames + queued < next)
			next = s->device_frames + queued;
		t = device_clock_time_of(&s->clock, next);
		its.it_value.tv_sec = (time_t)(t / 1000000000u);
		its.it_value.tv_nsec = (long)(t % 1000000000u);
	}
	timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Silent for a second, or for two periods if those are longer. */
#define CLOCK_SILENT_NS	1000000000u

/* Armed to fire within limit, or fired and waiting for the loop (a late
 * loop is not a stopped clock). */
static bool timer_will_fire(const struct stream *s, uint64_t limit)
{
	struct itimerspec cur;
	struct pollfd pfd = { .fd = s->timer_fd, .events = POLLIN };
	uint64_t left;

	if (timerfd_gettime(s->timer_fd, &cur) < 0)
		return true;	/* cannot tell: do not cry wolf */
	left = (uint64_t)cur.it_value.tv_sec * 1000000000u + (uint64_t)cur.it_value.tv_nsec;
	if (left > 0 && left <= limit)
		return true;
	return poll(&pfd, 1, 0) > 0;
}

void stream_check_clock(struct stream *s, uint64_t now)
{
	uint64_t limit = CLOCK_SILENT_NS, period_ns;

	if (!s->opened || s->run != RUN_RUNNING || s->rate == 0 || s->frame_bytes == 0)
		return;
	period_ns = (uint64_t)s->period_sz / s->frame_bytes * 1000000000u / s->rate;
	if (limit < 2 * period_ns)
		limit = 2 * period_ns;
	if (now < s->timer_ns || now - s->timer_ns < limit || timer_will_fire(s, limit))
		return;
	s->timer_stalls++;
	be_log("%s: the clock timer has not fired for %" PRIu64 " ms while running "
	       "(position %" PRIu64 ", %u octets queued); re-armed. This is a bug: "
	       "please report it with this log", s->name,
	       (now - s->timer_ns) / 1000000u, s->position, s->q_len);
	s->timer_ns = now;
	stream_update(s, now);
	arm_timer(s);
	backend_state_changed(s->be);
}

/* ---- requests ---- */

static void close_opened(struct stream *s, const char *why)
{
	if (!s->opened)
		return;
	if (s->q_len > 0) {
		s->dropped_octets += s->q_len;
		be_log("%s: %s dropped %u queued octets not yet played", s->name,
		       why, s->q_len);
	}
	wav_writer_close(&s->wav);
	pwio_stream_free(s->pw);
	s->pw = NULL;
	s->be->mapped_pages -= s->buf.n_pages;
	xensnd_back_buffer_unmap(&s->buf);
	free(s->queue);
	free(s->convert_buf);
	s->queue = NULL;
	s->convert_buf = NULL;
	s->q_len = 0;
	s->opened = false;
	s->run = RUN_STOPPED;
	arm_timer(s);
}

static int do_open(struct stream *s, const struct xensnd_open_req *o, char *err)
{
	struct backend *be = s->be;
	int r;

	if (s->opened) {
		snprintf(err, ERR_MAX, "already open (CLOSE first)");
		return -EBUSY;
	}
	r = limits_check_open(&s->cfg->params, &s->limits, o, err, ERR_MAX);
	if (r < 0)
		return r;
	snprintf(err, ERR_MAX, "cannot map the page directory at grant %u",
		 o->gref_directory);	/* the walk gives a closer reason if it has one */
	r = xensnd_back_buffer_map(&s->buf, be->gnttab, (domid_t)s->card->guest,
				   o->gref_directory, o->buffer_sz, err, ERR_MAX);
	if (r < 0)
		return r;
	s->format = o->pcm_format;
	s->channels = o->pcm_channels;
	s->rate = o->pcm_rate;
	s->frame_bytes = xensnd_frame_bytes(o->pcm_format, o->pcm_channels);
	s->buffer_sz = o->buffer_sz;
	s->period_sz = o->period_sz;
	s->wav.fd = -1;
	s->opened = true;	/* from here close_opened undoes everything */
	be->mapped_pages += s->buf.n_pages;
	if (!s->cfg->capture) {
		s->queue = malloc(s->buffer_sz);
		if (s->queue == NULL) {
			close_opened(s, "failed OPEN");
			return -ENOMEM;
		}
	}
	r = output_open(s, err);
	if (r < 0) {
		close_opened(s, "failed OPEN");
		return r;
	}
	device_clock_init(&s->clock, s->rate, be->opts->clock_drift_ppm);
	s->run = RUN_STOPPED;
	s->device_frames = s->position = s->last_period = 0;
	s->q_head = s->q_len = 0;
	s->read_frames = s->reported_frames = 0;
	s->in_underrun = s->in_overrun = s->started_consuming = false;
	s->silent_frames = UINT64_MAX / 2;	/* an OPEN counts as silence */
	s->opens++;
	return 0;
}

static int do_close(struct stream *s, char *err)
{
	if (!s->opened) {
		snprintf(err, ERR_MAX, "not open");
		return -EINVAL;
	}
	stream_update(s, monotonic_ns());
	close_opened(s, "CLOSE");
	return 0;
}

static int check_opened(const struct stream *s, bool capture, char *err)
{
	if (!s->opened) {
		snprintf(err, ERR_MAX, "stream is not open (OPEN first)");
		return -EINVAL;
	}
	if (s->cfg->capture != capture) {
		snprintf(err, ERR_MAX, "%s on a %s stream", capture ? "READ" : "WRITE",
			 s->cfg->capture ? "capture" : "playback");
		return -EINVAL;
	}
	return 0;
}

/* A guest whose WRITEs come more than this late (after a period's worth
 * of time) has stalled: 10 ms, the budget of a desktop audio cycle. */
#define LATE_WRITE_SLACK_NS	10000000ull

/* Only while running: before START and after STOP the guest may rest. */
static void note_write_gap(struct stream *s, uint64_t now)
{
	uint64_t gap, period_ns;

	if (s->run != RUN_RUNNING) {
		s->last_write_ns = 0;
		return;
	}
	if (s->last_write_ns != 0) {
		gap = now - s->last_write_ns;
		period_ns = (uint64_t)s->period_sz / s->frame_bytes * 1000000000ull / s->rate;
		if (gap / 1000 > s->max_write_gap_us)
			s->max_write_gap_us = gap / 1000;
		if (s->polled_since_write)
			period_ns *= 2;
		if (gap > period_ns + LATE_WRITE_SLACK_NS)
			s->late_writes++;
	}
	s->last_write_ns = now;
	s->polled_since_write = s->ch.ring.polled;
}

/* A READ (capture) or WRITE the stream can serve: opened that way, and
 * inside the buffer in whole frames. */
static int check_rw(struct stream *s, bool capture, const struct xensnd_rw_req *rw,
		    char *err)
{
	int r = check_opened(s, capture, err);

	if (r < 0)
		return r;
	return limits_check_rw(s->buffer_sz, s->frame_bytes, rw->offset, rw->length,
			       err, ERR_MAX);
}

static int do_write(struct stream *s, const struct xensnd_rw_req *rw, char *err)
{
	uint32_t tail, first;
	int r = check_rw(s, false, rw, err);

	if (r < 0)
		return r;
	/* Account the time before this data arrived first, so an underrun
	 * does not swallow it. Read from a polled ring, it came before the
	 * tick that reads it, and that tick accounts the time after. */
	if (!s->ch.ring.polled)
		stream_update(s, monotonic_ns());
	if (rw->length > s->buffer_sz - s->q_len) {
		snprintf(err, ERR_MAX, "%u octets do not fit: %u of %u queued "
			 "(wait for CUR_POS)", rw->length, s->q_len, s->buffer_sz);
		return -ENOSPC;
	}
	/* Copied out at once: the guest may reuse its buffer after the reply. */
	tail = (s->q_head + s->q_len) % s->buffer_sz;
	first = s->buffer_sz - tail;
	if (first > rw->length)
		first = rw->length;
	memcpy(s->queue + tail, s->buf.data + rw->offset, first);
	memcpy(s->queue, s->buf.data + rw->offset + first, rw->length - first);
	s->q_len += rw->length;
	note_write_gap(s, monotonic_ns());
	return 0;
}

static void fill_from_input(struct stream *s, uint8_t *out, uint32_t frames)
{
	const struct wav_file *in = s->be->input;

	if (s->pw != NULL) {
		uint32_t want = frames * s->frame_bytes;
		uint32_t got = pwio_stream_read(s->pw, out, want);

		memset(out + got, 0, want - got);	/* PipeWire was late: silence */
		return;
	}
	if (in == NULL) {
		testsignal_fill(out, s->format, s->channels, s->read_frames, frames);
		return;
	}
	/* The limits made the stream's format the file's: copy, looping. */
	uint64_t total = in->size / s->frame_bytes;

	for (uint32_t done = 0; done < frames;) {
		uint64_t at = (s->read_frames + done) % total;
		uint64_t n = total - at;

		if (n > frames - done)
			n = frames - done;
		memcpy(out + (size_t)done * s->frame_bytes,
		       in->data + at * s->frame_bytes, n * s->frame_bytes);
		done += (uint32_t)n;
	}
}

static int do_read(struct stream *s, const struct xensnd_rw_req *rw, char *err)
{
	uint32_t frames;
	int r = check_rw(s, true, rw, err);

	if (r < 0)
		return r;
	stream_update(s, monotonic_ns());
	frames = rw->length / s->frame_bytes;
	if (frames > s->device_frames - s->read_frames) {
		snprintf(err, ERR_MAX, "%u frames asked, %" PRIu64 " captured so far "
			 "(wait for CUR_POS)", frames, s->device_frames - s->read_frames);
		return -EAGAIN;
	}
	fill_from_input(s, s->buf.data + rw->offset, frames);
	s->read_frames += frames;
	s->in_overrun = false;
	return 0;
}

static void log_volume(const struct stream *s)
{
	char line[512];
	size_t n = 0;

	for (unsigned c = 0; c < s->channels && n < sizeof(line) - 32; c++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%.3f%s",
				      c ? "," : "", s->volume[c] / 1000.0,
				      s->mute[c] ? "(muted)" : "");
	be_log("%s: volume %s dB", s->name, line);
}

static int do_control(struct stream *s, const struct xensnd_req *req, char *err)
{
	const struct xensnd_rw_req *rw = &req->op.rw;
	bool volume = req->operation == XENSND_OP_SET_VOLUME ||
		      req->operation == XENSND_OP_GET_VOLUME;
	uint8_t *at;
	int r;

	if (s->be->opts->no_volume) {
		snprintf(err, ERR_MAX, "volume control is off (--no-volume)");
		return -EINVAL;
	}
	if (!s->opened) {
		snprintf(err, ERR_MAX, "stream is not open (OPEN first)");
		return -EINVAL;
	}
	r = limits_check_control(s->buffer_sz, s->channels, volume ? 4 : 1,
				 rw->offset, rw->length, err, ERR_MAX);
	if (r < 0)
		return r;
	at = s->buf.data + rw->offset;
	switch (req->operation) {
	case XENSND_OP_SET_VOLUME:
		memcpy(s->volume, at, rw->length);	/* int32, guest order */
		break;
	case XENSND_OP_GET_VOLUME:
		memcpy(at, s->volume, rw->length);
		return 0;
	case XENSND_OP_MUTE:
	case XENSND_OP_UNMUTE:
		for (unsigned c = 0; c < s->channels; c++)
			if (at[c])
				s->mute[c] = req->operation == XENSND_OP_MUTE;
		break;
	}
	if (s->pw != NULL)
		pwio_stream_set_volume(s->pw, s->volume, s->mute, s->channels);
	log_volume(s);
	return 0;
}

static int do_trigger(struct stream *s, uint8_t type, char *err)
{
	enum stream_run_state next;
	uint64_t now = monotonic_ns();
	int r;

	if (!s->opened) {
		snprintf(err, ERR_MAX, "stream is not open (OPEN first)");
		return -EINVAL;
	}
	r = limits_trigger(s->run, type, &next, err, ERR_MAX);
	if (r < 0)
		return r;
	stream_update(s, now);
	if (next == RUN_RUNNING) {
		device_clock_start(&s->clock, now);
		s->timer_ns = now;
		if (type == XENSND_OP_TRIGGER_START)
			s->started_consuming = s->in_underrun = false;
	} else {
		device_clock_stop(&s->clock, now);
	}
	if (type == XENSND_OP_TRIGGER_STOP && s->q_len > 0) {
		/* STOP is ALSA's drop: what was not played is discarded. */
		s->dropped_octets += s->q_len;
		s->q_len = 0;
		s->q_head = 0;
	}
	s->run = next;
	s->last_write_ns = 0;	/* a gap spans WRITEs of one run only */
	arm_timer(s);
	return 0;
}

static int dispatch(struct stream *s, const struct xensnd_req *req,
		    struct xensnd_resp *resp, char *err)
{
	switch (req->operation) {
	case XENSND_OP_OPEN: return do_open(s, &req->op.open, err);
	case XENSND_OP_CLOSE: return do_close(s, err);
	case XENSND_OP_WRITE: return do_write(s, &req->op.rw, err);
	case XENSND_OP_READ: return do_read(s, &req->op.rw, err);
	case XENSND_OP_SET_VOLUME:
	case XENSND_OP_GET_VOLUME:
	case XENSND_OP_MUTE:
	case XENSND_OP_UNMUTE: return do_control(s, req, err);
	case XENSND_OP_TRIGGER: return do_trigger(s, req->op.trigger.type, err);
	case XENSND_OP_HW_PARAM_QUERY:
		return limits_hw_query(&s->cfg->params, &s->limits,
				       &req->op.hw_param, &resp->resp.hw_param,
				       err, ERR_MAX);
	}
	snprintf(err, ERR_MAX, "unknown operation %u", req->operation);
	return -EOPNOTSUPP;
}

/*
 * A guest can send a ring of bad requests per notification, forever: one
 * log line each would let it fill the host's disk. So at most
 * REFUSALS_LOGGED_PER_SECOND lines a second per stream, then one line
 * saying how many were not logged.
 */
#define REFUSALS_LOGGED_PER_SECOND	100

static void log_refusal(struct stream *s, const struct xensnd_req *req, int32_t status,
			const char *err)
{
	uint64_t now = monotonic_ns();

	if (now - s->refusal_window_ns >= 1000000000ull) {
		if (s->refusals_unlogged > 0)
			be_log("%s: %" PRIu64 " more requests refused in the last second "
			       "(not logged one by one)", s->name, s->refusals_unlogged);
		s->refusal_window_ns = now;
		s->refusals_logged = 0;
		s->refusals_unlogged = 0;
	}
	if (s->refusals_logged >= REFUSALS_LOGGED_PER_SECOND) {
		s->refusals_unlogged++;
		return;
	}
	s->refusals_logged++;
	be_log("%s: %s (id %u) refused with %d: %s", s->name,
	       xensnd_op_name(req->operation), req->id, status, err);
}

static void handle_request(struct stream *s, const struct xensnd_req *req,
			   struct xensnd_resp *resp)
{
	char err[ERR_MAX] = "";
	int r;

	*resp = (struct xensnd_resp){ .id = req->id, .operation = req->operation };
	r = dispatch(s, req, resp, err);
	resp->status = xen_status(r);
	s->requests++;
	if (r < 0) {
		s->errors++;
		log_refusal(s, req, resp->status, err);
	} else if (s->be->opts->verbose) {
		be_log("%s: %s (id %u) ok", s->name, xensnd_op_name(req->operation),
		       req->id);
	}
	backend_state_changed(s->be);
	/* Tests read volume and state changes right after the reply. A
	 * refusal changed nothing but a counter: the main loop writes it
	 * within 100 ms, and a flood of them costs no file write each. */
	if (r == 0 && req->operation != XENSND_OP_WRITE && req->operation != XENSND_OP_READ)
		backend_state_flush(s->be, true);
}

/*
 * Polled while a running playback stream has a period queued, what the
 * clock's next tick plays: a WRITE need not wake us then, that tick reads
 * it (one wake-up per period instead of two). Below that every request is
 * served as it comes, so a frontend that waits for each answer (Linux's
 * xen-snd-front does) refills at its own pace.
 */
static bool ring_polled(const struct stream *s)
{
	return s->opened && s->run == RUN_RUNNING && !s->cfg->capture &&
	       s->period_sz > 0 && s->q_len >= s->period_sz;
}

/* Returns -EPROTO when the card must be disconnected. */
static int serve_requests(struct stream *s)
{
	struct xensnd_req reqs[XENSND_RING_SIZE];
	bool notify = false, polled;
	int n;

	do {
		/* Leaving polled mode arms req_event before reading, so a
		 * WRITE that came meanwhile is read now or notified. */
		polled = ring_polled(s);
		xensnd_back_ring_poll(&s->ch.ring, polled);
		s->polled_since_write |= polled;
		n = xensnd_back_ring_requests(&s->ch.ring, reqs, XENSND_RING_SIZE);
		if (n < 0)
			return n;
		for (int i = 0; i < n; i++) {
			struct xensnd_resp resp;
			bool nfy = false;

			handle_request(s, &reqs[i], &resp);
			if (xensnd_back_ring_respond(&s->ch.ring, &resp, &nfy) < 0)
				return -EPROTO;
			notify |= nfy;
		}
	} while (n == (int)XENSND_RING_SIZE || polled != ring_polled(s));
	if (notify)
		xensnd_back_channel_notify(&s->ch);
	return 0;
}

/* The card goes with its ring: frees s, so nothing may use it after. */
static void stream_fail(struct stream *s, int err)
{
	char why[300];

	snprintf(why, sizeof(why), "%s: %s", s->name,
		 err == -EPROTO ? s->ch.ring.error : strerror(-err));
	card_fail(s->card, why);
}

static void on_channel(struct loop_source *src, uint32_t events)
{
	struct stream *s = src->data;
	bool requests = false;
	int r = xensnd_back_channel_pending(&s->ch, &requests);

	if (r == 0 && requests)
		r = serve_requests(s);
	if (r < 0) {
		stream_fail(s, r);
		return;
	}
	arm_timer(s);	/* the requests may have started, moved or ended it */
}

/*
 * A polled stream's WRITEs came before this tick: they are queued before
 * the clock consumes, as a device finds in its buffer what was written
 * before it got there. After it the queue left decides how the ring is
 * read until the next tick.
 */
static void on_timer(struct loop_source *src, uint32_t events)
{
	struct stream *s = src->data;
	uint64_t expirations;
	int r;

	if (read(s->timer_fd, &expirations, sizeof(expirations)) < 0)
		return;
	if (s->ch.ring.polled && (r = serve_requests(s)) < 0)
		goto fail;
	s->timer_ns = monotonic_ns();
	stream_update(s, s->timer_ns);
	if ((r = serve_requests(s)) < 0)
		goto fail;
	arm_timer(s);
	backend_state_changed(s->be);
	return;
fail:
	stream_fail(s, r);	/* frees s */
}

/* ---- life ---- */

/* The formats PipeWire can carry: those with an SPA twin. */
static uint64_t spa_formats(void)
{
	uint64_t mask = 0;

	for (unsigned f = 0; f < XENSND_FORMAT_COUNT; f++)
		if (xensnd_format_is_supported(xensnd_format_from_sndif(f)))
			mask |= UINT64_C(1) << f;
	return mask;
}

static void narrow_to_input(struct stream *s)
{
	const struct wav_file *in = s->be->input;
	const struct backend_options *o = s->be->opts;

	if (s->cfg->capture ? o->input_pipewire : o->output_pipewire)
		s->limits.formats &= spa_formats();

	if (!s->cfg->capture || in == NULL || o->input_pipewire)
		return;
	/* A looped file is played as it is: capture offers its format only. */
	s->limits.formats &= UINT64_C(1) << s->be->input_sndif;
	s->limits.rates[0] = in->fmt.rate;
	s->limits.n_rates = 1;
	s->limits.channels.min = s->limits.channels.max = in->fmt.channels;
}

int stream_init(struct stream *s, struct backend *be, struct card *card,
		uint32_t guest, uint32_t devid, uint32_t pcm,
		const struct xensnd_stream_cfg *cfg,
		const struct xensnd_stream_keys *keys)
{
	int r;

	*s = (struct stream){ .be = be, .card = card, .cfg = cfg, .pcm = pcm,
			      .timer_fd = -1 };
	s->ch_src.fd = s->timer_src.fd = -1;
	s->wav.fd = -1;
	snprintf(s->name, sizeof(s->name), "dom%u vsnd%u pcm%u stream%u", guest,
		 devid, pcm, cfg->index);
	snprintf(s->wav_base, sizeof(s->wav_base), "dom%u-vsnd%u-pcm%u-stream%u",
		 guest, devid, pcm, cfg->index);
	s->limits = be->opts->limits;
	narrow_to_input(s);
	r = xensnd_back_channel_open(&s->ch, be->gnttab, (domid_t)guest, keys);
	if (r < 0) {
		be_log("%s: mapping the ring or binding its channels failed: %s",
		       s->name, strerror(-r));
		return r;
	}
	s->ch_open = true;
	be->mapped_pages += 2;
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer_fd < 0) {
		r = -errno;
		goto fail;
	}
	r = loop_add(be->loop, &s->ch_src, xensnd_back_channel_fd(&s->ch),
		     on_channel, s);
	if (r == 0)
		r = loop_add(be->loop, &s->timer_src, s->timer_fd, on_timer, s);
	if (r < 0)
		goto fail;
	return 0;
fail:
	be_log("%s: setting up its loop sources failed: %s", s->name, strerror(-r));
	stream_fini(s);
	return r;
}

void stream_fini(struct stream *s)
{
	close_opened(s, "disconnect");
	loop_remove(s->be->loop, &s->ch_src);
	loop_remove(s->be->loop, &s->timer_src);
	if (s->timer_fd >= 0)
		close(s->timer_fd);
	s->timer_fd = -1;
	if (s->ch_open) {
		xensnd_back_channel_close(&s->ch);
		s->be->mapped_pages -= 2;
	}
	s->ch_open = false;
}

void stream_describe(const struct stream *s, char *out, size_t out_size)
{
	const struct xensnd_format *f = xensnd_format_from_sndif(s->format);
	char vol[256] = "", mute[128] = "";
	size_t nv = 0, nm = 0;
	unsigned ch = s->opened ? s->channels : 0;

	for (unsigned c = 0; c < ch && nv < sizeof(vol) - 16 && nm < sizeof(mute) - 4; c++) {
		nv += (size_t)snprintf(vol + nv, sizeof(vol) - nv, "%s%d", c ? "," : "",
				       s->volume[c]);
		nm += (size_t)snprintf(mute + nm, sizeof(mute) - nm, "%s%u", c ? "," : "",
				       s->mute[c]);
	}
	snprintf(out, out_size,
		 "stream %s type=%s state=%s format=%s rate=%u channels=%u "
		 "buffer=%u period=%u position=%" PRIu64 " clock=%" PRIu64 " queued=%u "
		 "underruns=%" PRIu64 " overruns=%" PRIu64 " dropped=%" PRIu64
		 " opens=%u requests=%" PRIu64 " errors=%" PRIu64 " events=%" PRIu64
		 " max_write_gap_us=%" PRIu64 " late_writes=%" PRIu64
		 " timer_stalls=%" PRIu64 " volume=%s mute=%s",
		 s->wav_base, s->cfg->capture ? "c" : "p",
		 s->opened ? run_state_name(s->run) : "closed",
		 s->opened && f ? f->name : "-", s->opened ? s->rate : 0, ch,
		 s->opened ? s->buffer_sz : 0, s->opened ? s->period_sz : 0,
		 s->position, s->device_frames, s->q_len, s->underruns, s->overruns,
		 s->dropped_octets, s->opens, s->requests, s->errors, s->events,
		 s->max_write_gap_us, s->late_writes, s->timer_stalls, ch ? vol : "-", ch ? mute : "-");
}
