/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the backend's consumption of requests: the input plays a hostile
 * frontend writing the ring page and the event page's in_cons at will,
 * between the backend's reads, responses and position events. The
 * backend may refuse (-EPROTO) but must never take more than it can
 * answer, nor write outside its ring.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/ring.h>

#include "fuzz-input.h"

struct state {
	void *ring_page, *evt_page;
	struct xensnd_back_ring br;
	uint32_t unanswered;	/* requests taken, not yet answered */
	struct xensnd_req taken[XENSND_RING_SIZE];
};

static void restart(struct state *s)
{
	memset(s->ring_page, 0, XENSND_PAGE_SIZE);
	memset(s->evt_page, 0, XENSND_PAGE_SIZE);
	SHARED_RING_INIT((struct xen_sndif_sring *)s->ring_page);
	xensnd_back_ring_init(&s->br, s->ring_page, s->evt_page);
	s->unanswered = 0;
}

static void take_requests(struct state *s, struct input *in)
{
	struct xensnd_req out[XENSND_RING_SIZE];
	unsigned max = take_u8(in) % (XENSND_RING_SIZE + 8);
	int n = xensnd_back_ring_requests(&s->br, out, max);

	if (n == -EPROTO) {
		FUZZ_ASSERT(s->br.error[0] != '\0');
		restart(s);
		return;
	}
	FUZZ_ASSERT(n >= 0 && (unsigned)n <= max);
	s->unanswered += (uint32_t)n;
	FUZZ_ASSERT(s->unanswered <= XENSND_RING_SIZE);
	FUZZ_ASSERT(s->br.ring.req_cons - s->br.ring.rsp_prod_pvt == s->unanswered);
	if (n > 0)
		s->taken[0] = out[n - 1];
}

static void respond(struct state *s, struct input *in)
{
	unsigned count = take_u8(in) % 8;

	for (unsigned i = 0; i < count; i++) {
		struct xensnd_resp resp;
		bool notify;
		int res;

		memset(&resp, 0, sizeof(resp));
		resp.id = s->taken[0].id;
		resp.operation = s->taken[0].operation;
		res = xensnd_back_ring_respond(&s->br, &resp, &notify);
		if (s->unanswered == 0) {
			FUZZ_ASSERT(res == -EINVAL);
			return;
		}
		FUZZ_ASSERT(res == 0);
		s->unanswered--;
	}
}

static void cur_pos(struct state *s, struct input *in)
{
	struct xensnd_event_page *evt = s->evt_page;
	uint32_t before = s->br.evt_prod;
	int res = xensnd_back_ring_cur_pos(&s->br, take_u32(in));

	FUZZ_ASSERT(res == 0 || res == -ENOSPC);
	FUZZ_ASSERT(s->br.evt_prod - before == (res == 0 ? 1u : 0u));
	FUZZ_ASSERT(evt->in_prod == s->br.evt_prod);
}

static void evil_request(struct state *s, struct input *in)
{
	struct xen_sndif_sring *sring = s->ring_page;
	uint32_t slot = take_u8(in) % XENSND_RING_SIZE;

	take_bytes(in, &sring->ring[slot].req, sizeof(sring->ring[slot].req));
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

		switch (take_u8(&in) % 8) {
		case 0: take_requests(s, &in); break;
		case 1: respond(s, &in); break;
		case 2: cur_pos(s, &in); break;
		case 3: evil_request(s, &in); break;
		case 4: sring->req_prod += take_u8(&in) % 40; break;
		case 5: sring->req_prod = take_u32(&in); break;
		case 6: evt->in_cons += take_u8(&in) % 70; break;
		case 7: evt->in_cons = take_u32(&in); sring->req_event = take_u32(&in); break;
		}
	}
	free(s->ring_page);
	free(s->evt_page);
	free(s);
	return 0;
}
