/* SPDX-License-Identifier: MIT */
/* One stream of a connected card (see xensnd-ctl-stream.h). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <xensnd/format.h>
#include <xensnd/ring.h>

#include "xensnd-ctl.h"
#include "xensnd-ctl-stream.h"

/* Defaults when the user gives none: the kernel front's feel, low latency. */
#define DEFAULT_PERIOD_MS	10
#define DEFAULT_PERIODS		8

static const struct {
	int value;
	const char *name;
} xen_errnos[] = {
#define XEN_ERRNO(name, value) { value, #name },
#include <xen/errno.h>
};
/* Again, the default way: the XEN_E* constants. */
#include <xen/errno.h>

const char *ctl_status_name(int32_t status)
{
	for (size_t i = 0; i < sizeof(xen_errnos) / sizeof(xen_errnos[0]); i++)
		if (xen_errnos[i].value == -status)
			return xen_errnos[i].name;
	return "unknown status";
}

void ctl_stream_init(struct ctl_stream *s, struct ctl_card *card,
		     const struct xensnd_stream_cfg *cfg, uint32_t index,
		     const struct ctl_target *target)
{
	memset(s, 0, sizeof(*s));
	s->card = card;
	s->ch = &card->channels[index];
	s->cfg = cfg;
	snprintf(s->name, sizeof(s->name), "stream %s/%u/%u", target->card,
		 target->pcm, target->stream);
}

static void take_events(struct ctl_stream *s)
{
	struct xensnd_evt evts[XENSND_IN_RING_LEN];
	int n = xensnd_front_ring_events(&s->ch->ring, evts, XENSND_IN_RING_LEN);

	if (n < 0) {
		ctl_error("%s: backend broke the event protocol: %s", s->name,
			  s->ch->ring.error);
		s->broken = true;
		return;
	}
	for (int i = 0; i < n; i++) {
		if (evts[i].type != XENSND_EVT_CUR_POS)
			continue;	/* unknown events are skipped, as sndif allows */
		uint64_t pos = evts[i].op.cur_pos.position;
		s->n_events++;
		if (pos < s->position)
			s->n_stale_events++;	/* reordered or bogus: keep the highest */
		else
			s->position = pos;
	}
}

/*
 * One round of waiting on the channel: events are taken; a response, if
 * any, lands in *resp (at most one is ever outstanding). 1 something
 * arrived, 0 timeout, < 0 error/signal.
 */
static int pump(struct ctl_stream *s, uint64_t deadline, struct xensnd_resp *resp,
		bool *got_resp)
{
	bool responses = false, events = false;
	int r = ctl_card_wait_fd(s->card, xensnd_front_channel_fd(s->ch),
				 "the event channel", deadline);

	if (r == -ENOTCONN || r == -EPIPE)
		s->broken = true;	/* nobody left to answer CLOSE */
	if (r <= 0)
		return r;
	r = xensnd_front_channel_pending(s->ch, &responses, &events);
	if (r < 0) {
		ctl_error("%s: event channel failed: %s", s->name, strerror(-r));
		s->broken = true;
		return r;
	}
	/* Check both every time: a notification may cover both. */
	take_events(s);
	struct xensnd_resp got[XENSND_RING_SIZE];
	int n = xensnd_front_ring_responses(&s->ch->ring, got, XENSND_RING_SIZE);
	if (n < 0) {
		ctl_error("%s: backend broke the ring protocol: %s", s->name,
			  s->ch->ring.error);
		s->broken = true;
		return -EPROTO;
	}
	if (n > 0 && resp) {
		*resp = got[n - 1];
		*got_resp = true;
	}
	return s->broken ? -EPROTO : 1;
}

/* Post req, wait for its response (bounded). 0, or -errno (printed). */
static int request(struct ctl_stream *s, struct xensnd_req *req,
		   struct xensnd_resp *resp)
{
	bool notify = false, got = false;
	uint8_t op = req->operation;

	if (s->broken)
		return -EPIPE;
	int r = xensnd_front_ring_push(&s->ch->ring, req, &notify);
	if (r < 0) {
		ctl_error("%s: cannot post %s: %s", s->name, xensnd_op_name(op),
			  strerror(-r));
		return r;
	}
	if (notify)
		xensnd_front_channel_notify(s->ch);
	uint64_t deadline = ctl_now_ms() + CTL_REQUEST_TIMEOUT_MS;
	while (!got) {
		r = pump(s, deadline, resp, &got);
		if (r == 0) {
			ctl_error("%s: backend did not answer %s within %u s",
				  s->name, xensnd_op_name(op),
				  CTL_REQUEST_TIMEOUT_MS / 1000);
			xensnd_front_ring_reset_pending(&s->ch->ring);
			s->broken = true;
			return -ETIMEDOUT;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* A request whose refusal is reported with the backend's status. */
static int request_ok(struct ctl_stream *s, struct xensnd_req *req,
		      struct xensnd_resp *resp, const char *what)
{
	uint8_t op = req->operation;
	int r = request(s, req, resp);

	if (r < 0)
		return r;
	if (resp->status != 0) {
		ctl_error("%s: backend refused %s%s%s: status %d (%s)", s->name,
			  xensnd_op_name(op), what[0] ? " " : "", what,
			  resp->status, ctl_status_name(resp->status));
		return -EREMOTEIO;
	}
	return 0;
}

/* One interval of an answer: ordered and inside what was asked. */
static bool range_ok(uint32_t min, uint32_t max, uint32_t want_min,
		     uint32_t want_max)
{
	return min <= max && min >= want_min && max <= want_max;
}

/*
 * The backend narrows, it never widens: an answer outside the request is
 * refused rather than used to size buffers.
 */
static int check_offer(const struct ctl_stream *s,
		       const struct xensnd_query_hw_param *w,
		       const struct xensnd_query_hw_param *o)
{
	const char *bad = NULL;

	if (o->formats == 0 || (o->formats & ~w->formats))
		bad = "formats";
	else if (!range_ok(o->rates.min, o->rates.max, w->rates.min, w->rates.max))
		bad = "rates";
	else if (!range_ok(o->channels.min, o->channels.max, w->channels.min,
			   w->channels.max))
		bad = "channels";
	else if (!range_ok(o->buffer.min, o->buffer.max, w->buffer.min, w->buffer.max))
		bad = "buffer";
	else if (!range_ok(o->period.min, o->period.max, w->period.min, w->period.max))
		bad = "period";
	if (bad == NULL)
		return CTL_EXIT_OK;
	ctl_error("%s: backend answered HW_PARAM_QUERY with %s outside what was asked; "
		  "not using it", s->name, bad);
	return CTL_EXIT_FAILURE;
}

/* HW_PARAM_QUERY; what names the settings in a refusal. */
static int query(struct ctl_stream *s, const struct xensnd_query_hw_param *wanted,
		 struct xensnd_query_hw_param *offered, const char *what)
{
	struct xensnd_req req;
	struct xensnd_resp resp;

	xensnd_req_hw_param_query(&req, wanted);
	if (request_ok(s, &req, &resp, what) < 0)
		return CTL_EXIT_FAILURE;
	*offered = resp.resp.hw_param;
	return check_offer(s, wanted, offered);
}

int ctl_stream_query(struct ctl_stream *s,
		     const struct xensnd_query_hw_param *wanted,
		     struct xensnd_query_hw_param *offered)
{
	return query(s, wanted, offered, "");
}

static uint32_t clamp_u32(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/*
 * Buffer and period in frames: the caller's, or 10 ms periods, 8 of them
 * in the buffer, inside what the backend offers and the configuration's
 * buffer-size allows.
 */
static int choose_sizes(struct ctl_stream *s, const struct ctl_stream_params *p,
			const struct xensnd_query_hw_param *offered,
			uint32_t *buffer_frames, uint32_t *period_frames)
{
	uint32_t cfg_frames = s->cfg->params.buffer_size / s->frame_bytes;
	uint32_t period = p->period_frames, buffer = p->buffer_frames;

	if (period == 0) {
		period = p->rate * DEFAULT_PERIOD_MS / 1000;
		period = clamp_u32(period, offered->period.min, offered->period.max);
	}
	if (buffer == 0) {
		uint64_t want = (uint64_t)period * DEFAULT_PERIODS;
		buffer = want > cfg_frames ? cfg_frames : (uint32_t)want;
		buffer = clamp_u32(buffer, offered->buffer.min, offered->buffer.max);
		if (p->period_frames == 0 && period > buffer / 2)
			period = buffer / 2;
	}
	if (buffer == 0 || period == 0 || period > buffer) {
		ctl_error("%s: no buffer/period fits: buffer %u frames, period %u frames "
			  "(backend offers buffer %u..%u, period %u..%u frames)",
			  s->name, buffer, period, offered->buffer.min,
			  offered->buffer.max, offered->period.min, offered->period.max);
		return CTL_EXIT_FAILURE;
	}
	if ((uint64_t)buffer * s->frame_bytes > s->cfg->params.buffer_size) {
		ctl_error("%s: a buffer of %u frames (%llu octets) exceeds the configured buffer-size %u",
			  s->name, buffer, (unsigned long long)buffer * s->frame_bytes,
			  s->cfg->params.buffer_size);
		return CTL_EXIT_FAILURE;
	}
	*buffer_frames = buffer;
	*period_frames = period;
	return CTL_EXIT_OK;
}

/* Allocate, zero and grant the buffer, then OPEN with it. */
static int grant_and_open(struct ctl_stream *s, const struct xensnd_format *f,
			  uint32_t buffer_frames, uint32_t period_frames)
{
	struct xensnd_req req;
	struct xensnd_resp resp;
	char what[96];
	int r;

	s->buffer_bytes = buffer_frames * s->frame_bytes;
	s->period_bytes = period_frames * s->frame_bytes;
	r = xensnd_front_buffer_alloc(&s->buf, s->card->gntshr, s->card->backend_id,
				      s->buffer_bytes);
	if (r < 0) {
		ctl_error("%s: cannot allocate and grant a %u-octet buffer: %s",
			  s->name, s->buffer_bytes, strerror(-r));
		memset(&s->buf, 0, sizeof(s->buf));	/* alloc gave it all back */
		return CTL_EXIT_FAILURE;
	}
	xensnd_req_open(&req, s->rate, s->format, (uint8_t)s->channels,
			s->buffer_bytes, s->buf.dir_refs[0], s->period_bytes);
	snprintf(what, sizeof(what), "%s %u Hz %u ch, buffer %u, period %u frames",
		 f->name, s->rate, s->channels, buffer_frames, period_frames);
	if (request_ok(s, &req, &resp, what) < 0)
		return CTL_EXIT_FAILURE;
	s->opened = true;
	s->position = 0;
	return CTL_EXIT_OK;
}

int ctl_stream_open(struct ctl_stream *s, const struct ctl_stream_params *p)
{
	struct xensnd_query_hw_param wanted = {
		.formats = 1ull << p->format,
		.rates = { p->rate, p->rate },
		.channels = { p->channels, p->channels },
		.buffer = { 1, UINT32_MAX },
		.period = { 1, UINT32_MAX },
	}, offered;
	const struct xensnd_format *f = xensnd_format_from_sndif(p->format);
	uint32_t buffer_frames, period_frames;
	char what[64];

	s->frame_bytes = xensnd_frame_bytes(p->format, p->channels);
	if (f == NULL || s->frame_bytes == 0) {
		ctl_error("%s: format %u is not linear PCM; cannot size frames",
			  s->name, p->format);
		return CTL_EXIT_FAILURE;
	}
	s->format = p->format;
	s->rate = p->rate;
	s->channels = p->channels;
	snprintf(what, sizeof(what), "%s %u Hz %u ch", f->name, p->rate, p->channels);
	if (query(s, &wanted, &offered, what) != CTL_EXIT_OK ||
	    choose_sizes(s, p, &offered, &buffer_frames, &period_frames) != CTL_EXIT_OK)
		return CTL_EXIT_FAILURE;
	return grant_and_open(s, f, buffer_frames, period_frames);
}

int ctl_stream_trigger(struct ctl_stream *s, uint8_t type)
{
	static const char *names[] = { "start", "pause", "stop", "resume" };
	struct xensnd_req req;
	struct xensnd_resp resp;

	xensnd_req_trigger(&req, type);
	if (request_ok(s, &req, &resp, type < 4 ? names[type] : "") < 0)
		return CTL_EXIT_FAILURE;
	s->running = type == XENSND_OP_TRIGGER_START || type == XENSND_OP_TRIGGER_RESUME;
	return CTL_EXIT_OK;
}

int ctl_stream_rw(struct ctl_stream *s, uint8_t op, uint32_t offset,
		  uint32_t length)
{
	struct xensnd_req req;
	struct xensnd_resp resp;

	if (!s->opened || length > s->buffer_bytes ||
	    offset > s->buffer_bytes - length) {
		ctl_error("%s: internal error: %s outside the buffer", s->name,
			  xensnd_op_name(op));
		return CTL_EXIT_FAILURE;
	}
	xensnd_req_rw(&req, op, offset, length);
	if (request_ok(s, &req, &resp, "") < 0)
		return CTL_EXIT_FAILURE;
	return CTL_EXIT_OK;
}

int ctl_stream_read(struct ctl_stream *s, uint32_t offset, uint32_t length)
{
	struct xensnd_req req;
	struct xensnd_resp resp;

	if (!s->opened || length > s->buffer_bytes ||
	    offset > s->buffer_bytes - length) {
		ctl_error("%s: internal error: READ outside the buffer", s->name);
		return CTL_EXIT_FAILURE;
	}
	xensnd_req_rw(&req, XENSND_OP_READ, offset, length);
	if (request(s, &req, &resp) < 0)
		return CTL_EXIT_FAILURE;
	if (resp.status == -XEN_EAGAIN)
		return CTL_READ_AGAIN;
	if (resp.status != 0) {
		ctl_error("%s: backend refused READ: status %d (%s)", s->name,
			  resp.status, ctl_status_name(resp.status));
		return CTL_EXIT_FAILURE;
	}
	return CTL_EXIT_OK;
}

int ctl_stream_wait_position(struct ctl_stream *s, uint64_t above,
			     unsigned timeout_ms)
{
	uint64_t deadline = ctl_now_ms() + timeout_ms;

	if (s->broken)
		return -EPIPE;
	while (s->position <= above) {
		int r = pump(s, deadline, NULL, NULL);
		if (r <= 0)
			return r;
	}
	return 1;
}

void ctl_stream_close(struct ctl_stream *s)
{
	struct xensnd_req req;
	struct xensnd_resp resp;

	/* A broken or interrupted stream still gets its CLOSE tried: bounded. */
	if (s->opened && s->running && !s->broken)
		ctl_stream_trigger(s, XENSND_OP_TRIGGER_STOP);
	if (s->opened && !s->broken) {
		xensnd_req_close(&req);
		request_ok(s, &req, &resp, "");
	}
	s->opened = false;
	s->running = false;
}

void ctl_stream_free(struct ctl_stream *s)
{
	if (s->buf.gntshr)
		xensnd_front_buffer_free(&s->buf);
	memset(&s->buf, 0, sizeof(s->buf));
}
