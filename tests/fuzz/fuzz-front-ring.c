/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the frontend's consumption of responses and events: the input
 * plays a hostile backend that writes whatever it likes into the shared
 * ring page and event page, between the frontend's own pushes and reads.
 * The frontend may refuse (-EPROTO, then it starts over) but must never
 * hand out a response to something it did not ask, nor more than asked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/ring.h>

#include "fuzz-input.h"

struct state {
	void *ring_page, *evt_page;
	struct xensnd_front_ring fr;
	/* Our own record of what is outstanding, kept apart from the ring's. */
	struct {
		uint16_t id;
		uint8_t op;
		bool used;
	} sent[XENSND_RING_SIZE];
};

static int find_sent(struct state *s, uint16_t id)
{
	for (int i = 0; i < (int)XENSND_RING_SIZE; i++)
		if (s->sent[i].used && s->sent[i].id == id)
			return i;
	return -1;
}

static void restart(struct state *s)
{
	xensnd_front_ring_init(&s->fr, s->ring_page, s->evt_page);
	memset(s->sent, 0, sizeof(s->sent));
}

static void push(struct state *s, struct input *in)
{
	struct xensnd_req req;
	bool notify;
	int id;

	xensnd_req_rw(&req, take_u8(in) % 12, take_u32(in), take_u32(in));
	id = xensnd_front_ring_push(&s->fr, &req, &notify);
	if (id == -EBUSY) {
		FUZZ_ASSERT(!xensnd_front_ring_can_push(&s->fr));
		return;
	}
	FUZZ_ASSERT(id >= 0 && id <= 0xffff && find_sent(s, (uint16_t)id) < 0);
	for (int i = 0; i < (int)XENSND_RING_SIZE; i++) {
		if (!s->sent[i].used) {
			s->sent[i].id = (uint16_t)id;
			s->sent[i].op = req.operation;
			s->sent[i].used = true;
			return;
		}
	}
	FUZZ_ASSERT(!"more outstanding than the ring holds");
}

static void take_responses(struct state *s, struct input *in)
{
	struct xensnd_resp out[XENSND_RING_SIZE];
	unsigned max = take_u8(in) % (XENSND_RING_SIZE + 8);
	int n = xensnd_front_ring_responses(&s->fr, out, max);

	if (n == -EPROTO) {
		FUZZ_ASSERT(s->fr.error[0] != '\0');
		restart(s);
		return;
	}
	FUZZ_ASSERT(n >= 0 && (unsigned)n <= max);
	for (int i = 0; i < n; i++) {
		int k = find_sent(s, out[i].id);

		FUZZ_ASSERT(k >= 0);
		FUZZ_ASSERT(s->sent[k].op == out[i].operation);
		FUZZ_ASSERT(out[i].status <= 0);
		s->sent[k].used = false;
	}
	FUZZ_ASSERT(s->fr.in_flight <= XENSND_RING_SIZE);
}

static void take_events(struct state *s, struct input *in)
{
	struct xensnd_evt out[XENSND_IN_RING_LEN];
	unsigned max = take_u8(in) % (XENSND_IN_RING_LEN + 8);
	uint32_t before = s->fr.evt_cons;
	int n = xensnd_front_ring_events(&s->fr, out, max);

	if (n == -EPROTO) {
		restart(s);
		return;
	}
	FUZZ_ASSERT(n >= 0 && (unsigned)n <= max && (unsigned)n <= XENSND_IN_RING_LEN);
	FUZZ_ASSERT(s->fr.evt_cons - before == (uint32_t)n);
	FUZZ_ASSERT(((struct xensnd_event_page *)s->evt_page)->in_cons == s->fr.evt_cons);
}

/* The hostile backend's moves. */
static void evil_response(struct state *s, struct input *in)
{
	struct xen_sndif_sring *sring = s->ring_page;
	uint32_t slot = take_u8(in) % XENSND_RING_SIZE;

	take_bytes(in, &sring->ring[slot].rsp, sizeof(sring->ring[slot].rsp));
}

static void evil_event(struct state *s, struct input *in)
{
	uint32_t slot = take_u8(in) % XENSND_IN_RING_LEN;

	take_bytes(in, &XENSND_IN_RING(s->evt_page)[slot], sizeof(struct xensnd_evt));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct state *s = calloc(1, sizeof(*s));

	s->ring_page = aligned_alloc(XENSND_PAGE_SIZE, XENSND_PAGE_SIZE);
	s->evt_page = aligned_alloc(XENSND_PAGE_SIZE, XENSND_PAGE_SIZE);
	restart(s);
	while (in.n) {
		struct xen_sndif_sring *sring = s->ring_page;
		struct xensnd_event_page *evt = s->evt_page;

		switch (take_u8(&in) % 9) {
		case 0: push(s, &in); break;
		case 1: take_responses(s, &in); break;
		case 2: take_events(s, &in); break;
		case 3: evil_response(s, &in); break;
		case 4: sring->rsp_prod += take_u8(&in) % 40; break;
		case 5: sring->rsp_prod = take_u32(&in); break;
		case 6: evil_event(s, &in); break;
		case 7: evt->in_prod += take_u8(&in) % 70; break;
		case 8: evt->in_prod = take_u32(&in); evt->in_cons = take_u32(&in); break;
		}
	}
	free(s->ring_page);
	free(s->evt_page);
	free(s);
	return 0;
}
