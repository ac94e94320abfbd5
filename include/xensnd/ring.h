/* SPDX-License-Identifier: MIT */
/*
 * The sndif request ring and event page, for both ends.
 *
 * The structs and macros are xen/io/sndif.h's and xen/io/ring.h's; this
 * module adds what they leave to each driver: request ids, and the trust
 * rules. Everything read from the other end's shared memory is read once
 * (into a private copy) and then validated; indexes are checked before
 * use; no call does more than one ring's worth of work.
 *
 * Return conventions: functions returning int give >= 0 on success and a
 * negative errno on failure. -EPROTO means the other end broke the
 * protocol: the caller should disconnect it; the reason is in ->error.
 *
 * Threading: a ring is used by one thread at a time (in the plugin, the
 * data loop). Nothing here blocks, allocates or makes a system call.
 */
#ifndef XENSND_RING_H
#define XENSND_RING_H

#include <stdbool.h>
#include <stddef.h>	/* offsetof, for __CONST_RING_SIZE */
#include <stdint.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/io/sndif.h>

#define XENSND_PAGE_SIZE	4096u	/* XEN_PAGE_SIZE; sndif pages are 4 KiB */
/* Requests that fit the one-page ring: (4096 - 64) / 64 rounded down to 2^n. */
#define XENSND_RING_SIZE	__CONST_RING_SIZE(xen_sndif, XENSND_PAGE_SIZE)

/* ---- building requests (both ends use these to build and to check) ---- */

void xensnd_req_open(struct xensnd_req *req, uint32_t rate, uint8_t format,
		     uint8_t channels, uint32_t buffer_sz,
		     grant_ref_t gref_directory, uint32_t period_sz);
void xensnd_req_close(struct xensnd_req *req);
/* op: XENSND_OP_READ, _WRITE, _SET_VOLUME, _GET_VOLUME, _MUTE, _UNMUTE */
void xensnd_req_rw(struct xensnd_req *req, uint8_t op, uint32_t offset,
		   uint32_t length);
/* type: XENSND_OP_TRIGGER_* */
void xensnd_req_trigger(struct xensnd_req *req, uint8_t type);
void xensnd_req_hw_param_query(struct xensnd_req *req,
			       const struct xensnd_query_hw_param *wanted);

const char *xensnd_op_name(unsigned op);	/* "WRITE"; "?" if unknown */

/* ---- the frontend end ---- */

struct xensnd_front_ring {
	struct xen_sndif_front_ring ring;
	struct xensnd_event_page *evt_page;
	uint32_t evt_cons;		/* private: the event page's in_cons is ours */
	uint16_t next_id;
	uint32_t in_flight;		/* requests without a response yet */
	/*
	 * The outstanding requests, at id % XENSND_RING_SIZE. ids count up
	 * (wrapping at 2^16, a multiple of the ring size); id is kept so
	 * that a response naming another id of the same slot is refused.
	 */
	struct {
		uint16_t id;
		uint8_t op;
		bool busy;
	} pending[XENSND_RING_SIZE];
	/* Responses are read on the frontend's own schedule: no notification
	 * is asked for after each read (see xensnd_front_ring_poll). */
	bool polled;
	char error[160];
};

/*
 * Set up both shared pages (zeroes them, SHARED_RING_INIT) and the private
 * state. The pages must be the frontend's own, before granting.
 */
void xensnd_front_ring_init(struct xensnd_front_ring *fr, void *ring_page,
			    void *evt_page);

/* Room for another request. */
bool xensnd_front_ring_can_push(const struct xensnd_front_ring *fr);

/*
 * Post req (its id is filled in and returned). *notify tells whether the
 * backend must be notified (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY).
 * -EBUSY when a ring's worth of requests is outstanding.
 */
int xensnd_front_ring_push(struct xensnd_front_ring *fr, struct xensnd_req *req,
			   bool *notify);

/*
 * Take up to max responses (max <= XENSND_RING_SIZE is enough) into out.
 * Each is copied out once, then checked: its id must be outstanding and
 * its operation the one sent with that id; the producer index may not run
 * more than a ring ahead. Returns the number taken, or -EPROTO.
 */
int xensnd_front_ring_responses(struct xensnd_front_ring *fr,
				struct xensnd_resp *out, unsigned int max);

/*
 * Polled: a frontend that reads responses every cycle anyway (a running
 * PCM node) need not be woken for each. xensnd_front_ring_responses then
 * leaves rsp_event where it is, so the backend's
 * RING_PUSH_RESPONSES_AND_CHECK_NOTIFY stops notifying. Back to notified,
 * rsp_event is armed at once; read the ring after, for what came before.
 */
void xensnd_front_ring_poll(struct xensnd_front_ring *fr, bool polled);
/* Ask for one notification at the next response (a request waited on). */
void xensnd_front_ring_notify_next(struct xensnd_front_ring *fr);

/*
 * Take up to max events (XENSND_IN_RING_LEN is enough) into out and
 * advance in_cons. in_prod is read once; more than XENSND_IN_RING_LEN
 * unconsumed events is -EPROTO. Events of unknown type are returned as they
 * are, for the caller to log and skip.
 */
int xensnd_front_ring_events(struct xensnd_front_ring *fr,
			     struct xensnd_evt *out, unsigned int max);

/* Forget outstanding requests (after a timeout or reconnect). */
void xensnd_front_ring_reset_pending(struct xensnd_front_ring *fr);

/* ---- the backend end ---- */

struct xensnd_back_ring {
	struct xen_sndif_back_ring ring;
	struct xensnd_event_page *evt_page;
	uint32_t evt_prod;		/* private: the event page's in_prod is ours */
	uint16_t evt_id;
	bool polled;
	char error[160];
};

/* Pages mapped from the frontend. Does not touch their contents. */
void xensnd_back_ring_init(struct xensnd_back_ring *br, void *ring_page,
			   void *evt_page);

/*
 * Take up to max requests into out. req_prod is read once; more than a
 * ring's worth unconsumed is -EPROTO (RING_REQUEST_PROD_OVERFLOW). Uses
 * RING_FINAL_CHECK_FOR_REQUESTS so no notification is lost.
 */
int xensnd_back_ring_requests(struct xensnd_back_ring *br,
			      struct xensnd_req *out, unsigned int max);

/*
 * Polled: a backend that reads the ring at every tick of its own clock
 * anyway (a running playback stream) need not be woken for each WRITE.
 * xensnd_back_ring_requests then leaves req_event where it is, so the
 * frontend's RING_PUSH_REQUESTS_AND_CHECK_NOTIFY stops notifying. Back to
 * notified, req_event is armed at once; read the ring after, for what came
 * before.
 */
void xensnd_back_ring_poll(struct xensnd_back_ring *br, bool polled);

/* Post a response; *notify as RING_PUSH_RESPONSES_AND_CHECK_NOTIFY. */
int xensnd_back_ring_respond(struct xensnd_back_ring *br,
			     const struct xensnd_resp *resp, bool *notify);

/*
 * Post a XENSND_EVT_CUR_POS event. in_cons is read once; when the
 * frontend has not made room (it stopped consuming) the event is dropped
 * and -ENOSPC returned: a position event is superseded by the next one.
 */
int xensnd_back_ring_cur_pos(struct xensnd_back_ring *br, uint64_t position);

#endif
