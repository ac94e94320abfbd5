/* SPDX-License-Identifier: MIT */
/*
 * The memory an event channel handle shares, playing Xen's shared-info
 * page. Each xenevtchn handle owns, created by the hub at open:
 *
 *   pending page  one bit per port. Any process holding a channel to one of
 *                 the handle's ports sets bits here (read-write mapping).
 *   control page  mask bits (written by the owner) and the binding serial
 *                 of each port (written by the hub). Peers map it read-only
 *                 to see the mask; only the owner and the hub can write it.
 *   eventfd       the handle's xenevtchn_fd(): readable when some port has
 *                 an unmasked event.
 *
 * A notify is raise() on the peer's pages plus one write() to the peer's
 * eventfd: no hub round trip, one syscall, like an event on Xen's
 * shared-info page plus an upcall.
 *
 * Ports are numbered per domain (as in Xen); a handle's pages are indexed by
 * those numbers and hold bits only for the ports it owns.
 *
 * Trust: a peer can set any pending bit of a handle it has a channel to,
 * i.e. cause spurious events there. Xen's contract already requires
 * drivers to tolerate spurious events, and a peer cannot mask, unbind or
 * read anything. Both pages are sealed memfds, so nobody can shrink them.
 */
#ifndef XENSIM_HV_SHARED_H
#define XENSIM_HV_SHARED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <xen/event_channel.h>	/* EVTCHN_2L_NR_CHANNELS, evtchn_port_t */

#define HV_NR_PORTS	EVTCHN_2L_NR_CHANNELS
#define HV_PORT_WORDS	(HV_NR_PORTS / 64)

struct hv_pending_page {
	_Atomic uint64_t pending[HV_PORT_WORDS];
};

struct hv_control_page {
	_Atomic uint64_t mask[HV_PORT_WORDS];
	/* Nonzero while the port is connected to a remote port; changes with
	 * every new connection, so a notifier knows its cached peer is stale. */
	_Atomic uint32_t serial[HV_NR_PORTS];
};

static inline uint64_t hv_port_bit(evtchn_port_t port)
{
	return UINT64_C(1) << (port % 64);
}

/*
 * Mark port pending. Returns whether the owner must be woken (the port is
 * not masked).
 *
 * Barriers: the fetch_or is seq_cst, so (1) everything the notifier wrote
 * before (ring contents) is visible to an owner that sees the bit (release
 * half), and (2) the pending store is ordered before the mask load. The
 * owner's unmask does the mirror image (mask store, then pending load, both
 * seq_cst): of the two, at least one sees the other's store, so an event
 * raced with an unmask is never lost — either we see it unmasked and wake,
 * or the owner sees the pending bit and wakes itself.
 */
static inline bool hv_raise(struct hv_pending_page *pend,
			    const struct hv_control_page *ctl,
			    evtchn_port_t port)
{
	uint64_t bit = hv_port_bit(port);

	atomic_fetch_or_explicit(&pend->pending[port / 64], bit,
				 memory_order_seq_cst);
	return !(atomic_load_explicit(&ctl->mask[port / 64],
				      memory_order_seq_cst) & bit);
}

#endif
