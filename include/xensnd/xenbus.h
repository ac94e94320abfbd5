/* SPDX-License-Identifier: MIT */
/*
 * XenBus for vsnd: states, the handshake's decisions, and the XenStore
 * keys each end publishes. Uses libxenstore; never blocks on a watch.
 *
 * Handshake (xen/io/sndif.h "STATE DIAGRAMS"):
 *   toolstack   front = back = Initialising
 *   backend     -> InitWait (after writing "versions")
 *   frontend    reads config, creates rings and channels, writes "version"
 *               and every stream's keys in one transaction, -> Initialised
 *   backend     maps rings, binds channels, -> Connected
 *   frontend    -> Connected
 * Either end going to Closing/Closed/Unknown ends the connection; the
 * frontend then tears down and, sndif "Recovery flow", returns to
 * Initialising so a backend that comes back can connect again.
 */
#ifndef XENSND_XENBUS_H
#define XENSND_XENBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenstore.h>
#include <xen/event_channel.h>
#include <xen/grant_table.h>
#include <xen/io/xenbus.h>

#include <xensnd/config.h>

/* "Connected"; "Unknown" for values outside the enum. */
const char *xensnd_state_name(int state);

/* Read <dir>/state. XenbusStateUnknown when missing or malformed. */
enum xenbus_state xensnd_read_state(struct xs_handle *xs, xs_transaction_t t,
				    const char *dir);
/* Write <dir>/state. 0 or -errno. */
int xensnd_write_state(struct xs_handle *xs, xs_transaction_t t,
		       const char *dir, enum xenbus_state state);

/*
 * Write <dir>/state = state, but only while <dir>/<guard> exists, in one
 * transaction. The toolstack removes a whole device at once; without the
 * guard, a state written just after that would recreate a removed device
 * (and make the next attach fail with "already exists"). Each end guards
 * with a key only the toolstack writes: "backend-id" in the frontend's
 * directory, "frontend-id" in the backend's. 0, -ENOENT when the device
 * is gone, or -errno.
 */
int xensnd_write_state_guarded(struct xs_handle *xs, const char *dir,
			       const char *guard, enum xenbus_state state);
/* The same for any key of dir. */
int xensnd_write_guarded(struct xs_handle *xs, const char *dir,
			 const char *guard, const char *key, const char *value);

/*
 * A reader (config.h) over libxenstore, in transaction t (XBT_NULL for
 * none): pass &xr->reader to xensnd_card_cfg_read. The reader's callbacks
 * get only one data pointer, so the handle and transaction live in xr,
 * which must outlive the reading.
 */
struct xensnd_xs_reader {
	struct xensnd_reader reader;
	struct xs_handle *xs;
	xs_transaction_t t;
};
void xensnd_xs_reader_init(struct xensnd_xs_reader *xr, struct xs_handle *xs,
			   xs_transaction_t t);

/* What the frontend should do next, from both states. */
enum xensnd_front_action {
	XENSND_FRONT_WAIT,		/* nothing yet */
	XENSND_FRONT_INITIALISE,	/* backend InitWait: publish, -> Initialised */
	XENSND_FRONT_CONNECT,		/* backend Connected: start using the rings */
	XENSND_FRONT_RECOVER,		/* backend gone: tear down, -> Initialising */
	XENSND_FRONT_CLOSE,		/* toolstack removes us: -> Closed */
};
enum xensnd_front_action xensnd_front_next(enum xenbus_state front,
					   enum xenbus_state back);

/* What the backend should do next. */
enum xensnd_back_action {
	XENSND_BACK_WAIT,
	XENSND_BACK_INIT_WAIT,		/* new device: write versions, -> InitWait */
	XENSND_BACK_CONNECT,		/* frontend Initialised: map, bind, -> Connected */
	XENSND_BACK_DISCONNECT,		/* frontend gone or closing: unmap, -> Closed */
	XENSND_BACK_REINIT,		/* frontend back to Initialising: -> InitWait */
};
enum xensnd_back_action xensnd_back_next(enum xenbus_state front,
					 enum xenbus_state back);

/* One stream's transport, as XenStore carries it. */
struct xensnd_stream_keys {
	grant_ref_t ring_ref;
	evtchn_port_t evtchn;
	grant_ref_t evt_ring_ref;
	evtchn_port_t evt_evtchn;
};

/*
 * Frontend: in one transaction (retried on EAGAIN, at most a few times),
 * write "version", every stream's four keys (keys[i] for the card's i-th
 * stream, PCMs in order) and state Initialised. 0 or -errno.
 */
int xensnd_front_publish(struct xs_handle *xs, const char *card_path,
			 const struct xensnd_card_cfg *cfg,
			 const struct xensnd_stream_keys *keys,
			 const char *version);

/* Frontend: remove the stream keys again (on recovery). */
int xensnd_front_unpublish(struct xs_handle *xs, const char *card_path,
			   const struct xensnd_card_cfg *cfg);

/*
 * Backend: read one stream's four keys under stream_path. 0, or -EINVAL
 * with "path/key: "value": reason" in err (0 is never a valid ref).
 */
int xensnd_back_read_stream_keys(struct xs_handle *xs, xs_transaction_t t,
				 const char *stream_path,
				 struct xensnd_stream_keys *keys,
				 char *err, size_t err_size);

/*
 * Pick the protocol version: the highest of the backend's "versions" list
 * that we speak (XENSND_PROTOCOL_VERSION and below). 0 or -EINVAL.
 */
int xensnd_pick_version(const char *versions, char *out, size_t out_size);

#endif
