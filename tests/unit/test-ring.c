/* SPDX-License-Identifier: MIT */
/*
 * The request ring and event page, both ends over two local pages:
 * round trips, index and id wrap-around, and hostile peers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/ring.h>

#include "check.h"

struct pair {
	void *ring_page;
	void *evt_page;
	struct xensnd_front_ring fr;
	struct xensnd_back_ring br;
};

/* Both ends anew on the same pages (garbage first: init must zero). */
static void pair_reset(struct pair *p)
{
	memset(p->ring_page, 0xa5, XENSND_PAGE_SIZE);
	memset(p->evt_page, 0x5a, XENSND_PAGE_SIZE);
	xensnd_front_ring_init(&p->fr, p->ring_page, p->evt_page);
	xensnd_back_ring_init(&p->br, p->ring_page, p->evt_page);
}

static bool pair_init(struct pair *p)
{
	p->ring_page = aligned_alloc(XENSND_PAGE_SIZE, XENSND_PAGE_SIZE);
	p->evt_page = aligned_alloc(XENSND_PAGE_SIZE, XENSND_PAGE_SIZE);
	if (!p->ring_page || !p->evt_page)
		return false;
	pair_reset(p);
	return true;
}

static void pair_free(struct pair *p)
{
	free(p->ring_page);
	free(p->evt_page);
}

/* Move both ends' indexes to idx / evt_idx, as after a long run. */
static void pair_start_at(struct pair *p, uint32_t idx, uint32_t evt_idx)
{
	struct xen_sndif_sring *s = p->ring_page;
	struct xensnd_event_page *e = p->evt_page;

	s->req_prod = s->rsp_prod = idx;
	s->req_event = s->rsp_event = idx + 1;
	p->fr.ring.req_prod_pvt = p->fr.ring.rsp_cons = idx;
	p->br.ring.req_cons = p->br.ring.rsp_prod_pvt = idx;
	e->in_prod = e->in_cons = evt_idx;
	p->fr.evt_cons = p->br.evt_prod = evt_idx;
}

static uint8_t op_for(unsigned i)
{
	return (uint8_t)(i % (XENSND_OP_HW_PARAM_QUERY + 1));
}

static void build(struct xensnd_req *req, unsigned i)
{
	struct xensnd_query_hw_param q = { .formats = 4, .rates = { 8000, 48000 } };

	switch (op_for(i)) {
	case XENSND_OP_OPEN:
		xensnd_req_open(req, 48000, 2, 2, 65536, 100 + i, 1024);
		break;
	case XENSND_OP_CLOSE:
		xensnd_req_close(req);
		break;
	case XENSND_OP_TRIGGER:
		xensnd_req_trigger(req, XENSND_OP_TRIGGER_START);
		break;
	case XENSND_OP_HW_PARAM_QUERY:
		xensnd_req_hw_param_query(req, &q);
		break;
	default:
		xensnd_req_rw(req, op_for(i), i * 64, 64);
		break;
	}
}

/*
 * Push n requests, let the back answer all (echoing id and op, status
 * -i for odd i), take the responses. Returns false at the first
 * mismatch. ids[] gets the ids used.
 */
static bool round_trip(struct check *c, struct pair *p, unsigned n, unsigned base,
		       uint16_t *ids)
{
	struct xensnd_req sent[XENSND_RING_SIZE], got[XENSND_RING_SIZE];
	struct xensnd_resp resps[XENSND_RING_SIZE];
	bool notify;
	int r;

	for (unsigned i = 0; i < n; i++) {
		build(&sent[i], base + i);
		r = xensnd_front_ring_push(&p->fr, &sent[i], &notify);
		if (!CHECK(c, r >= 0))
			return false;
		ids[i] = (uint16_t)r;
	}
	r = xensnd_back_ring_requests(&p->br, got, XENSND_RING_SIZE);
	if (!CHECK_EQ(c, r, n))
		return false;
	for (unsigned i = 0; i < n; i++) {
		struct xensnd_resp resp;

		if (!CHECK(c, memcmp(&sent[i], &got[i], sizeof(got[i])) == 0))
			return false;
		memset(&resp, 0, sizeof(resp));
		resp.id = got[i].id;
		resp.operation = got[i].operation;
		resp.status = (base + i) % 2 ? -(int32_t)((base + i) % 100) : 0;
		if (resp.operation == XENSND_OP_HW_PARAM_QUERY)
			resp.resp.hw_param = got[i].op.hw_param;
		if (!CHECK_EQ(c, xensnd_back_ring_respond(&p->br, &resp, &notify), 0))
			return false;
	}
	r = xensnd_front_ring_responses(&p->fr, resps, XENSND_RING_SIZE);
	if (!CHECK_EQ(c, r, n))
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (!CHECK_EQ(c, resps[i].id, ids[i]) ||
		    !CHECK_EQ(c, resps[i].operation, op_for(base + i)))
			return false;
	}
	return CHECK_EQ(c, p->fr.in_flight, 0);
}

static void test_round_trip(struct check *c)
{
	struct pair p;
	uint16_t ids[XENSND_RING_SIZE];
	struct xensnd_req req;
	bool notify;

	if (!CHECK(c, pair_init(&p)))
		return;
	CHECK_EQ(c, XENSND_RING_SIZE, 32);
	CHECK_EQ(c, XENSND_IN_RING_LEN, 63);
	CHECK(c, round_trip(c, &p, 10, 0, ids));
	CHECK_EQ(c, ids[0], 0);
	CHECK_EQ(c, ids[9], 9);
	/* Full ring: 32 outstanding, the 33rd is refused. */
	for (unsigned i = 0; i < XENSND_RING_SIZE; i++) {
		xensnd_req_close(&req);
		CHECK(c, xensnd_front_ring_push(&p.fr, &req, &notify) >= 0);
	}
	CHECK(c, !xensnd_front_ring_can_push(&p.fr));
	CHECK_EQ(c, xensnd_front_ring_push(&p.fr, &req, &notify), -EBUSY);
	xensnd_front_ring_reset_pending(&p.fr);
	CHECK_EQ(c, p.fr.in_flight, 0);
	CHECK_STR(c, xensnd_op_name(XENSND_OP_HW_PARAM_QUERY), "HW_PARAM_QUERY");
	CHECK_STR(c, xensnd_op_name(XENSND_OP_WRITE), "WRITE");
	CHECK_STR(c, xensnd_op_name(200), "?");
	pair_free(&p);
	CHECKED(c, "every request type front -> back -> front; full ring refuses a 33rd");
}

static void test_notify(struct check *c)
{
	struct pair p;
	struct xensnd_req req, got[4];
	struct xensnd_resp resp = { 0 };
	bool notify = false;

	if (!CHECK(c, pair_init(&p)))
		return;
	xensnd_req_close(&req);
	xensnd_front_ring_push(&p.fr, &req, &notify);
	CHECK(c, notify);		/* req_event starts at 1 */
	xensnd_front_ring_push(&p.fr, &req, &notify);
	CHECK(c, !notify);		/* the back has not looked yet */
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got, 4), 2);
	xensnd_front_ring_push(&p.fr, &req, &notify);
	CHECK(c, notify);		/* the back's final check asked for it */
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got, 4), 1);
	resp.id = got[0].id;
	resp.operation = XENSND_OP_CLOSE;
	xensnd_back_ring_respond(&p.br, &resp, &notify);
	CHECK(c, notify);		/* rsp_event starts at 1 */
	pair_free(&p);
	CHECKED(c, "notification hold-off both ways (RING_*_AND_CHECK_NOTIFY)");
}

/* Either end polled is not woken while it polls, and is at once after. */
static void test_polled(struct check *c)
{
	struct pair p;
	struct xensnd_req req, got[4];
	struct xensnd_resp resp = { .operation = XENSND_OP_CLOSE }, out[4];
	bool notify = false;

	if (!CHECK(c, pair_init(&p)))
		return;
	xensnd_back_ring_poll(&p.br, true);
	xensnd_req_close(&req);
	xensnd_front_ring_push(&p.fr, &req, &notify);
	CHECK(c, notify);		/* req_event starts at 1 */
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got, 4), 1);
	xensnd_front_ring_push(&p.fr, &req, &notify);
	CHECK(c, !notify);		/* a polled back did not ask for it */
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got + 1, 3), 1);
	xensnd_back_ring_poll(&p.br, false);
	xensnd_front_ring_push(&p.fr, &req, &notify);
	CHECK(c, notify);		/* armed again by leaving polled mode */
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got + 2, 2), 1);

	xensnd_front_ring_poll(&p.fr, true);
	for (int i = 0; i < 3; i++) {
		resp.id = got[i].id;
		xensnd_back_ring_respond(&p.br, &resp, &notify);
		CHECK(c, notify == (i == 0));	/* rsp_event starts at 1 */
		CHECK_EQ(c, xensnd_front_ring_responses(&p.fr, out, 4), 1);
	}
	xensnd_front_ring_poll(&p.fr, false);
	xensnd_front_ring_push(&p.fr, &req, &notify);
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got, 4), 1);
	resp.id = got[0].id;
	xensnd_back_ring_respond(&p.br, &resp, &notify);
	CHECK(c, notify);
	pair_free(&p);
	CHECKED(c, "a polled end is not notified, and is again once notified");
}

static void test_wrap(struct check *c)
{
	struct pair p;
	uint16_t ids[XENSND_RING_SIZE];
	unsigned rounds = 0;
	bool ok = true, saw_id_wrap = false;
	uint16_t last = 0;

	if (!CHECK(c, pair_init(&p)))
		return;
	/* Ring indexes cross 2^32, then ids cross 2^16. */
	pair_start_at(&p, UINT32_MAX - 40, 0);
	for (unsigned total = 0; ok && total < 70000; total += 31, rounds++) {
		ok = round_trip(c, &p, 31, total, ids);
		for (unsigned i = 0; ok && i < 31; i++) {
			if (total + i > 0 && ids[i] != (uint16_t)(last + 1)) {
				ok = CHECK_EQ(c, ids[i], (uint16_t)(last + 1));
			}
			if (ids[i] < last)
				saw_id_wrap = true;
			last = ids[i];
		}
	}
	CHECK(c, ok);
	CHECK(c, saw_id_wrap);
	CHECK(c, p.fr.ring.rsp_cons < 100000);	/* wrapped past 2^32 */
	CHECKED(c, "%u rounds of 31: ring indexes from 2^32-41 past 2^32, ids past 2^16 (now %u)",
		rounds, last);

	/* Event indexes past 2^32, a few events at a time. */
	pair_start_at(&p, 0, UINT32_MAX - 100);
	ok = true;
	for (uint64_t pos = 0; ok && pos < 300; pos += 3) {
		struct xensnd_evt evts[XENSND_IN_RING_LEN];

		for (unsigned k = 0; k < 3; k++)
			ok &= CHECK_EQ(c, xensnd_back_ring_cur_pos(&p.br, pos + k), 0);
		ok &= CHECK_EQ(c, xensnd_front_ring_events(&p.fr, evts, XENSND_IN_RING_LEN), 3);
		for (unsigned k = 0; ok && k < 3; k++) {
			ok &= CHECK_EQ(c, evts[k].type, XENSND_EVT_CUR_POS);
			ok &= CHECK_EQ(c, evts[k].op.cur_pos.position, pos + k);
		}
	}
	CHECK(c, p.fr.evt_cons < 1000);
	pair_free(&p);
	CHECKED(c, "300 CUR_POS events with in_prod/in_cons crossing 2^32");
}

/* A hostile backend writes a response of its own into the ring. */
static void evil_response(struct pair *p, uint16_t id, uint8_t op, int32_t status)
{
	struct xen_sndif_sring *s = p->ring_page;
	struct xensnd_resp *slot = &s->ring[s->rsp_prod % XENSND_RING_SIZE].rsp;

	memset(slot, 0, sizeof(*slot));
	slot->id = id;
	slot->operation = op;
	slot->status = status;
	s->rsp_prod++;
}

static void push_n(struct pair *p, unsigned n, uint8_t op)
{
	struct xensnd_req req;
	bool notify;

	for (unsigned i = 0; i < n; i++) {
		xensnd_req_rw(&req, op, 0, 64);
		xensnd_front_ring_push(&p->fr, &req, &notify);
	}
}

static int take_responses(struct pair *p)
{
	struct xensnd_resp out[XENSND_RING_SIZE];

	return xensnd_front_ring_responses(&p->fr, out, XENSND_RING_SIZE);
}

static void test_hostile_backend(struct check *c)
{
	struct pair p;
	struct xen_sndif_sring *s;
	struct xensnd_event_page *e;
	struct xensnd_evt evts[XENSND_IN_RING_LEN];

	if (!CHECK(c, pair_init(&p)))
		return;
	s = p.ring_page;
	e = p.evt_page;

	push_n(&p, 2, XENSND_OP_WRITE);		/* ids 0, 1 */
	evil_response(&p, 5, XENSND_OP_WRITE, 0);
	CHECK_EQ(c, take_responses(&p), -EPROTO);
	CHECK_STR(c, p.fr.error, "response WRITE with id 5, which is not outstanding");

	pair_reset(&p);
	push_n(&p, 2, XENSND_OP_WRITE);
	evil_response(&p, 0, XENSND_OP_WRITE, 0);
	evil_response(&p, 0, XENSND_OP_WRITE, 0);
	CHECK_EQ(c, take_responses(&p), -EPROTO);
	CHECK_STR(c, p.fr.error, "response WRITE with id 0, which is not outstanding");

	pair_reset(&p);
	push_n(&p, 1, XENSND_OP_WRITE);
	evil_response(&p, 32, XENSND_OP_WRITE, 0);	/* same slot, other id */
	CHECK_EQ(c, take_responses(&p), -EPROTO);

	pair_reset(&p);
	push_n(&p, 1, XENSND_OP_WRITE);
	evil_response(&p, 0, XENSND_OP_READ, 0);
	CHECK_EQ(c, take_responses(&p), -EPROTO);
	CHECK_STR(c, p.fr.error, "response to request 0 (WRITE) says operation 2 (READ)");

	pair_reset(&p);
	push_n(&p, 1, XENSND_OP_WRITE);
	evil_response(&p, 0, XENSND_OP_WRITE, 5);
	CHECK_EQ(c, take_responses(&p), -EPROTO);

	pair_reset(&p);
	push_n(&p, 1, XENSND_OP_WRITE);
	s->rsp_prod = 2;	/* two responses to one request */
	CHECK_EQ(c, take_responses(&p), -EPROTO);
	CHECK_STR(c, p.fr.error, "response producer 2 is 2 ahead of consumer 0, "
		  "but only 1 requests were sent");

	pair_reset(&p);
	push_n(&p, 3, XENSND_OP_WRITE);
	s->rsp_prod = 0x80000000u;	/* far ahead */
	CHECK_EQ(c, take_responses(&p), -EPROTO);
	CHECKED(c, "responses: unknown id, duplicate id, aliased id, wrong operation, "
		"positive status, producer ahead of requests -> -EPROTO with a reason");

	pair_reset(&p);
	e->in_prod = 64;
	CHECK_EQ(c, xensnd_front_ring_events(&p.fr, evts, XENSND_IN_RING_LEN), -EPROTO);
	CHECK_STR(c, p.fr.error, "event producer 64 is 64 ahead of consumer 0; "
		  "the event ring holds 63");
	pair_reset(&p);
	e->in_prod = UINT32_MAX;	/* "behind" us: wraps to far ahead */
	CHECK_EQ(c, xensnd_front_ring_events(&p.fr, evts, XENSND_IN_RING_LEN), -EPROTO);
	pair_reset(&p);
	e->in_prod = 63;		/* a full ring is fine */
	CHECK_EQ(c, xensnd_front_ring_events(&p.fr, evts, 10), 10);	/* bounded */
	CHECK_EQ(c, e->in_cons, 10);
	e->in_cons = 1000;	/* scribbled: our own count is what counts */
	CHECK_EQ(c, xensnd_front_ring_events(&p.fr, evts, XENSND_IN_RING_LEN), 53);
	CHECK_EQ(c, e->in_cons, 63);
	pair_reset(&p);
	XENSND_IN_RING_REF(p.evt_page, 0).type = 77;
	e->in_prod = 1;
	CHECK_EQ(c, xensnd_front_ring_events(&p.fr, evts, 4), 1);
	CHECK_EQ(c, evts[0].type, 77);	/* returned for the caller to skip */
	pair_free(&p);
	CHECKED(c, "events: in_prod far ahead or behind -> -EPROTO; bounded by max; "
		"in_cons is ours; unknown types passed on");
}

static void test_hostile_frontend(struct check *c)
{
	struct pair p;
	struct xen_sndif_sring *s;
	struct xensnd_event_page *e;
	struct xensnd_req got[XENSND_RING_SIZE];
	struct xensnd_resp resp = { 0 };
	bool notify;

	if (!CHECK(c, pair_init(&p)))
		return;
	s = p.ring_page;
	e = p.evt_page;

	s->req_prod = 33;	/* more than a ring's worth */
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got, XENSND_RING_SIZE), -EPROTO);
	CHECK_STR(c, p.br.error, "request producer 33 is 33 ahead of our responses (0); "
		  "the ring holds 32");
	pair_reset(&p);
	s->req_prod = UINT32_MAX;
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got, XENSND_RING_SIZE), -EPROTO);

	/* 32 requests consumed and not answered: no room for more. */
	pair_reset(&p);
	push_n(&p, 32, XENSND_OP_WRITE);
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got, 5), 5);	/* bounded */
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got, XENSND_RING_SIZE), 27);
	s->req_prod += 1;	/* the frontend pretends to post a 33rd */
	CHECK_EQ(c, xensnd_back_ring_requests(&p.br, got, XENSND_RING_SIZE), -EPROTO);

	pair_reset(&p);
	resp.operation = XENSND_OP_WRITE;
	CHECK_EQ(c, xensnd_back_ring_respond(&p.br, &resp, &notify), -EINVAL);

	/* A frontend that stops consuming events. */
	pair_reset(&p);
	for (unsigned i = 0; i < XENSND_IN_RING_LEN; i++)
		CHECK_EQ(c, xensnd_back_ring_cur_pos(&p.br, i), 0);
	CHECK_EQ(c, xensnd_back_ring_cur_pos(&p.br, 99), -ENOSPC);
	e->in_cons = 5000;	/* ahead of anything we produced */
	CHECK_EQ(c, xensnd_back_ring_cur_pos(&p.br, 99), -ENOSPC);
	e->in_cons = 1;
	CHECK_EQ(c, xensnd_back_ring_cur_pos(&p.br, 99), 0);
	CHECK_EQ(c, e->in_prod, 64);
	pair_free(&p);
	CHECKED(c, "requests: req_prod overflow -> -EPROTO, bounded by max and by "
		"unanswered requests; events dropped (-ENOSPC) when the frontend stalls");
}

int main(void)
{
	struct check c = { "ring" };

	test_round_trip(&c);
	test_notify(&c);
	test_polled(&c);
	test_wrap(&c);
	test_hostile_backend(&c);
	test_hostile_frontend(&c);
	return check_done(&c);
}
