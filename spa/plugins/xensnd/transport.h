/* SPDX-License-Identifier: MIT */
/*
 * The device's side of struct xensnd_transport (defs.h): its lifecycle.
 * Nodes listen (and report their volume mode, defs.h); the device alone
 * opens, connects, closes and frees.
 * Everything here runs on the main loop.
 *
 *   init -> open (channel taken) -> connect (emit connected)
 *        -> close (emit disconnecting, channel given back) -> open ...
 *        -> clear (close, emit destroy)
 */
#ifndef SPA_XENSND_TRANSPORT_H
#define SPA_XENSND_TRANSPORT_H

#include "defs.h"

void xensnd_transport_init(struct xensnd_transport *t, struct spa_log *log,
			   uint32_t dev_id, domid_t backend_domid,
			   const struct xensnd_card_cfg *card,
			   const struct xensnd_pcm_cfg *pcm,
			   const struct xensnd_stream_cfg *stream,
			   const char *card_path, xengntshr_handle *gntshr);

/* Whether the channel is open (between open and close). */
bool xensnd_transport_is_open(const struct xensnd_transport *t);

/* Take the stream's ring, event page and event channels. 0 or -errno. */
int xensnd_transport_open(struct xensnd_transport *t);

/* The backend is Connected: mark the transport usable and tell the nodes. */
void xensnd_transport_connect(struct xensnd_transport *t);

/* Tell the nodes (if they were told `connected`), then give the channel
 * back. Safe on a transport that is not open. */
void xensnd_transport_close(struct xensnd_transport *t);

/* Close, then emit destroy: listeners drop their pointers. */
void xensnd_transport_clear(struct xensnd_transport *t);

#endif
