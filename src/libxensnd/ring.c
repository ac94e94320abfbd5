/* SPDX-License-Identifier: MIT */
/*
 * The sndif request ring and event page, front and back (ring.h).
 *
 * Both ends use xen/io/ring.h's macros for the request ring. What the
 * other end wrote is read once with xensnd_read_shared, checked, then
 * used; entries are copied out with RING_COPY_* (a volatile copy) before
 * any field is looked at.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ring-private.h"

/* ---- requests ---- */

static void req_start(struct xensnd_req *req, uint8_t op)
{
	/* sndif: "All reserved fields in the structures below must be 0." */
	memset(req, 0, sizeof(*req));
	req->operation = op;
}

void xensnd_req_open(struct xensnd_req *req, uint32_t rate, uint8_t format,
		     uint8_t channels, uint32_t buffer_sz,
		     grant_ref_t gref_directory, uint32_t period_sz)
{
	req_start(req, XENSND_OP_OPEN);
	req->op.open.pcm_rate = rate;
	req->op.open.pcm_format = format;
	req->op.open.pcm_channels = channels;
	req->op.open.buffer_sz = buffer_sz;
	req->op.open.gref_directory = gref_directory;
	req->op.open.period_sz = period_sz;
}

void xensnd_req_close(struct xensnd_req *req)
{
	req_start(req, XENSND_OP_CLOSE);
}

void xensnd_req_rw(struct xensnd_req *req, uint8_t op, uint32_t offset,
		   uint32_t length)
{
	req_start(req, op);
	req->op.rw.offset = offset;
	req->op.rw.length = length;
}

void xensnd_req_trigger(struct xensnd_req *req, uint8_t type)
{
	req_start(req, XENSND_OP_TRIGGER);
	req->op.trigger.type = type;
}

void xensnd_req_hw_param_query(struct xensnd_req *req,
			       const struct xensnd_query_hw_param *wanted)
{
	req_start(req, XENSND_OP_HW_PARAM_QUERY);
	req->op.hw_param = *wanted;
}

const char *xensnd_op_name(unsigned op)
{
	static const char *const names[] = {
		[XENSND_OP_OPEN] = "OPEN",
		[XENSND_OP_CLOSE] = "CLOSE",
		[XENSND_OP_READ] = "READ",
		[XENSND_OP_WRITE] = "WRITE",
		[XENSND_OP_SET_VOLUME] = "SET_VOLUME",
		[XENSND_OP_GET_VOLUME] = "GET_VOLUME",
		[XENSND_OP_MUTE] = "MUTE",
		[XENSND_OP_UNMUTE] = "UNMUTE",
		[XENSND_OP_TRIGGER] = "TRIGGER",
		[XENSND_OP_HW_PARAM_QUERY] = "HW_PARAM_QUERY",
	};

	if (op >= sizeof(names) / sizeof(names[0]) || names[op] == NULL)
		return "?";
	return names[op];
}

/* ---- the frontend end ---- */

#define PROTO_ERROR(r, ...) \
	(snprintf((r)->error, sizeof((r)->error), __VA_ARGS__), -EPROTO)

void xensnd_front_ring_init(struct xensnd_front_ring *fr, void *ring_page,
			    void *evt_page)
{
	struct xen_sndif_sring *sring = ring_page;

	memset(fr, 0, sizeof(*fr));
	/* Nothing of ours may reach the backend but the ring itself. */
	memset(ring_page, 0, XENSND_PAGE_SIZE);
	memset(evt_page, 0, XENSND_EVENT_PAGE_SIZE);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&fr->ring, sring, XENSND_PAGE_SIZE);
	fr->evt_page = evt_page;
}

bool xensnd_front_ring_can_push(const struct xensnd_front_ring *fr)
{
	return fr->in_flight < XENSND_RING_SIZE && !RING_FULL(&fr->ring);
}

/* The next id whose slot is free; there is one when in_flight < size. */
static uint16_t take_id(struct xensnd_front_ring *fr)
{
	uint16_t id = fr->next_id;

	while (fr->pending[id % XENSND_RING_SIZE].busy)
		id++;
	fr->next_id = (uint16_t)(id + 1);
	return id;
}

int xensnd_front_ring_push(struct xensnd_front_ring *fr, struct xensnd_req *req,
			   bool *notify)
{
	int do_notify;
	uint16_t id;

	if (!xensnd_front_ring_can_push(fr))
		return -EBUSY;
	id = take_id(fr);
	req->id = id;
	fr->pending[id % XENSND_RING_SIZE].id = id;
	fr->pending[id % XENSND_RING_SIZE].op = req->operation;
	fr->pending[id % XENSND_RING_SIZE].busy = true;
	fr->in_flight++;
	memcpy(RING_GET_REQUEST(&fr->ring, fr->ring.req_prod_pvt), req, sizeof(*req));
	fr->ring.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&fr->ring, do_notify);
	*notify = do_notify;
	return id;
}

/* A copied-out response: is it the answer to something we asked? */
static int check_response(struct xensnd_front_ring *fr,
			  const struct xensnd_resp *resp)
{
	unsigned slot = resp->id % XENSND_RING_SIZE;

	if (!fr->pending[slot].busy || fr->pending[slot].id != resp->id)
		return PROTO_ERROR(fr, "response %s with id %u, which is not outstanding",
				   xensnd_op_name(resp->operation), resp->id);
	if (fr->pending[slot].op != resp->operation)
		return PROTO_ERROR(fr, "response to request %u (%s) says operation %u (%s)",
				   resp->id, xensnd_op_name(fr->pending[slot].op),
				   resp->operation, xensnd_op_name(resp->operation));
	if (resp->status > 0)
		return PROTO_ERROR(fr, "response %u (%s) has status %d; sndif "
				   "allows 0 or a negative error", resp->id,
				   xensnd_op_name(resp->operation), (int)resp->status);
	return 0;
}

int xensnd_front_ring_responses(struct xensnd_front_ring *fr,
				struct xensnd_resp *out, unsigned int max)
{
	unsigned int n = 0;
	int more;

	if (max > XENSND_RING_SIZE)
		max = XENSND_RING_SIZE;
	do {
		RING_IDX prod = xensnd_read_shared(&fr->ring.sring->rsp_prod);
		RING_IDX sent = fr->ring.req_prod_pvt - fr->ring.rsp_cons;

		xen_rmb();	/* read responses only after seeing rsp_prod */
		if (RING_RESPONSE_PROD_OVERFLOW(&fr->ring, prod) ||
		    prod - fr->ring.rsp_cons > sent)
			return PROTO_ERROR(fr, "response producer %u is %u ahead of "
					   "consumer %u, but only %u requests were sent",
					   prod, prod - fr->ring.rsp_cons,
					   fr->ring.rsp_cons, sent);
		while (fr->ring.rsp_cons != prod && n < max) {
			struct xensnd_resp *resp = &out[n];
			int res;

			RING_COPY_RESPONSE(&fr->ring, fr->ring.rsp_cons, resp);
			fr->ring.rsp_cons++;
			if ((res = check_response(fr, resp)) < 0)
				return res;
			fr->pending[resp->id % XENSND_RING_SIZE].busy = false;
			fr->in_flight--;
			n++;
		}
		if (n == max || fr->polled)
			break;
		/* Ask to be notified of the next response, then look again
		 * in case one arrived meanwhile. */
		RING_FINAL_CHECK_FOR_RESPONSES(&fr->ring, more);
	} while (more);
	return (int)n;
}

void xensnd_front_ring_notify_next(struct xensnd_front_ring *fr)
{
	fr->ring.sring->rsp_event = fr->ring.rsp_cons + 1;
	xen_mb();	/* armed before the caller looks at rsp_prod again */
}

void xensnd_front_ring_poll(struct xensnd_front_ring *fr, bool polled)
{
	fr->polled = polled;
	if (!polled)
		xensnd_front_ring_notify_next(fr);
}

int xensnd_front_ring_events(struct xensnd_front_ring *fr,
			     struct xensnd_evt *out, unsigned int max)
{
	struct xensnd_event_page *page = fr->evt_page;
	uint32_t prod = xensnd_read_shared(&page->in_prod);
	uint32_t avail = prod - fr->evt_cons;
	unsigned int n = 0;

	xen_rmb();	/* read events only after seeing in_prod */
	if (avail > XENSND_IN_RING_LEN)
		return PROTO_ERROR(fr, "event producer %u is %u ahead of consumer %u; "
				   "the event ring holds %zu", prod, avail,
				   fr->evt_cons, (size_t)XENSND_IN_RING_LEN);
	while (n < avail && n < max) {
		out[n] = *(volatile struct xensnd_evt *)
			&XENSND_IN_RING_REF(page, fr->evt_cons);
		fr->evt_cons++;
		n++;
	}
	xen_mb();	/* done reading the events before the backend reuses them */
	xensnd_write_shared(&page->in_cons, fr->evt_cons);
	return (int)n;
}

void xensnd_front_ring_reset_pending(struct xensnd_front_ring *fr)
{
	memset(fr->pending, 0, sizeof(fr->pending));
	fr->in_flight = 0;
}

/* ---- the backend end ---- */

void xensnd_back_ring_init(struct xensnd_back_ring *br, void *ring_page,
			   void *evt_page)
{
	memset(br, 0, sizeof(*br));
	BACK_RING_INIT(&br->ring, (struct xen_sndif_sring *)ring_page,
		       XENSND_PAGE_SIZE);
	br->evt_page = evt_page;
}

int xensnd_back_ring_requests(struct xensnd_back_ring *br,
			      struct xensnd_req *out, unsigned int max)
{
	unsigned int n = 0;
	int more;

	if (max > XENSND_RING_SIZE)
		max = XENSND_RING_SIZE;
	do {
		RING_IDX prod = xensnd_read_shared(&br->ring.sring->req_prod);

		xen_rmb();	/* read requests only after seeing req_prod */
		if (RING_REQUEST_PROD_OVERFLOW(&br->ring, prod))
			return PROTO_ERROR(br, "request producer %u is %u ahead of "
					   "our responses (%u); the ring holds %u",
					   prod, prod - br->ring.rsp_prod_pvt,
					   br->ring.rsp_prod_pvt, RING_SIZE(&br->ring));
		while (br->ring.req_cons != prod && n < max &&
		       !RING_REQUEST_CONS_OVERFLOW(&br->ring, br->ring.req_cons)) {
			RING_COPY_REQUEST(&br->ring, br->ring.req_cons, &out[n]);
			br->ring.req_cons++;
			n++;
		}
		if (n == max || br->polled ||
		    RING_REQUEST_CONS_OVERFLOW(&br->ring, br->ring.req_cons))
			break;
		RING_FINAL_CHECK_FOR_REQUESTS(&br->ring, more);
	} while (more);
	return (int)n;
}

void xensnd_back_ring_poll(struct xensnd_back_ring *br, bool polled)
{
	/* Notified all along, each final check armed req_event already. */
	if (!polled && br->polled) {
		br->ring.sring->req_event = br->ring.req_cons + 1;
		xen_mb();	/* armed before the caller looks at req_prod again */
	}
	br->polled = polled;
}

int xensnd_back_ring_respond(struct xensnd_back_ring *br,
			     const struct xensnd_resp *resp, bool *notify)
{
	int do_notify;

	/* A response takes the slot of a request we consumed: with none
	 * unanswered it would overwrite one the frontend has not sent yet. */
	if (br->ring.rsp_prod_pvt == br->ring.req_cons)
		return -EINVAL;
	memcpy(RING_GET_RESPONSE(&br->ring, br->ring.rsp_prod_pvt), resp,
	       sizeof(*resp));
	br->ring.rsp_prod_pvt++;
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&br->ring, do_notify);
	*notify = do_notify;
	return 0;
}

int xensnd_back_ring_cur_pos(struct xensnd_back_ring *br, uint64_t position)
{
	struct xensnd_event_page *page = br->evt_page;
	uint32_t cons = xensnd_read_shared(&page->in_cons);
	struct xensnd_evt evt;

	/* Also catches a frontend whose in_cons runs ahead of us: the
	 * difference wraps to a huge number. */
	if (br->evt_prod - cons >= XENSND_IN_RING_LEN)
		return -ENOSPC;
	xen_mb();	/* the frontend is done with the slot before we write it */
	memset(&evt, 0, sizeof(evt));
	evt.id = br->evt_id++;
	evt.type = XENSND_EVT_CUR_POS;
	evt.op.cur_pos.position = position;
	memcpy(&XENSND_IN_RING_REF(page, br->evt_prod), &evt, sizeof(evt));
	br->evt_prod++;
	xen_wmb();	/* the frontend sees the event before the new in_prod */
	xensnd_write_shared(&page->in_prod, br->evt_prod);
	return 0;
}
