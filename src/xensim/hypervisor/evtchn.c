/* SPDX-License-Identifier: MIT */
/*
 * libxenevtchn.so.1 for xensim: the API of /usr/include/xenevtchn.h with
 * Xen's semantics (and Linux's evtchn driver's errnos), on top of the hub.
 *
 * Binding goes through the hub; events do not. A handle owns a pending page
 * and a control page (mask bits, binding serials) and an eventfd, all made
 * by the hub (hv_shared.h). To notify, it sets the bit in the peer handle's
 * pending page and writes the peer's eventfd; the peer's fds and pages are
 * fetched from the hub once per binding and cached here, keyed by the
 * binding serial the hub keeps up to date in our control page.
 *
 * All state hangs off the handle. One mutex per handle serialises its
 * calls (Linux allows concurrent ioctls on one evtchn fd); pending() waits
 * without holding it. Differences from Linux's driver are listed in
 * README.md next to this file.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenevtchn.h>

#include "hv_client.h"
#include "hv_shared.h"

#define CONTEXT "xenevtchn (xensim)"

/* Another handle at the other end of some of our ports. */
struct peer {
	struct peer *next;
	uint64_t id;		/* the hub's id of that handle */
	unsigned users;		/* ports whose cache points here */
	int eventfd;
	struct hv_pending_page *pending;
	const struct hv_control_page *control;	/* read-only */
};

struct port_cache {
	uint32_t serial;	/* binding this entry is for; 0: none */
	evtchn_port_t remote_port;
	struct peer *peer;
};

struct xenevtchn_handle {
	struct xentoollog_logger *logger;
	pthread_mutex_t lock;
	int sock;
	int eventfd;
	struct hv_pending_page *pending;
	struct hv_control_page *control;
	uint64_t owned[HV_PORT_WORDS];	/* ports bound by this handle */
	struct peer *peers;
	struct port_cache cache[HV_NR_PORTS];
};

static bool valid_port(evtchn_port_t port)
{
	return port > 0 && port < HV_NR_PORTS;
}

static bool is_owned(const xenevtchn_handle *xce, evtchn_port_t port)
{
	return valid_port(port) && (xce->owned[port / 64] & hv_port_bit(port));
}

static void wake_self(xenevtchn_handle *xce)
{
	uint64_t one = 1;

	/* EAGAIN: the counter is saturated, the fd is readable anyway. */
	if (write(xce->eventfd, &one, sizeof(one)) < 0)
		return;
}

/* ---- open / close ---- */

static int map_page(int fd, size_t size, int prot, void **out)
{
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -1;
	*out = p;
	return 0;
}

static int open_pages(xenevtchn_handle *xce, unsigned flags)
{
	struct hv_call call = { .req.op = HV_OP_EVTCHN_OPEN, .send_fd = -1 };
	void *pending = NULL, *control = NULL;
	int rc = -1;

	if (hv_client_call(xce->sock, &call) < 0)
		return -1;
	if (call.nr_fds != 3) {
		errno = EPROTO;
		goto out;
	}
	if (map_page(call.fds[1], sizeof(*xce->pending),
		     PROT_READ | PROT_WRITE, &pending) < 0 ||
	    map_page(call.fds[2], sizeof(*xce->control),
		     PROT_READ | PROT_WRITE, &control) < 0)
		goto out;
	xce->pending = pending;
	xce->control = control;
	pending = control = NULL;
	xce->eventfd = call.fds[0];
	call.fds[0] = -1;
	if ((flags & XENEVTCHN_NO_CLOEXEC) &&
	    fcntl(xce->eventfd, F_SETFD, 0) < 0)
		goto out;
	rc = 0;
out:
	if (pending)
		munmap(pending, sizeof(*xce->pending));
	for (unsigned i = 0; i < call.nr_fds; i++)
		if (call.fds[i] >= 0)
			close(call.fds[i]);
	return rc;
}

static void handle_free(xenevtchn_handle *xce)
{
	while (xce->peers) {
		struct peer *p = xce->peers;

		xce->peers = p->next;
		close(p->eventfd);
		munmap(p->pending, sizeof(*p->pending));
		munmap((void *)p->control, sizeof(*p->control));
		free(p);
	}
	if (xce->pending)
		munmap(xce->pending, sizeof(*xce->pending));
	if (xce->control)
		munmap(xce->control, sizeof(*xce->control));
	if (xce->eventfd >= 0)
		close(xce->eventfd);
	if (xce->sock >= 0)
		close(xce->sock);
	pthread_mutex_destroy(&xce->lock);
	free(xce);
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
				 unsigned int flags)
{
	xenevtchn_handle *xce = calloc(1, sizeof(*xce));
	int err;

	if (!xce)
		return NULL;
	xce->logger = logger;
	xce->eventfd = -1;
	pthread_mutex_init(&xce->lock, NULL);
	xce->sock = hv_client_connect(logger, CONTEXT,
				      !(flags & XENEVTCHN_NO_CLOEXEC));
	if (xce->sock < 0 || open_pages(xce, flags) < 0) {
		err = errno;
		if (xce->sock >= 0)
			hv_client_log(logger, CONTEXT, "cannot open an event "
				      "channel handle: %s", strerror(err));
		handle_free(xce);
		errno = err;
		return NULL;
	}
	return xce;
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger,
				   int fd, unsigned open_flags)
{
	/* An evtchn device fd does not exist under xensim. */
	hv_client_log(logger, CONTEXT, "xenevtchn_fdopen is not supported");
	errno = ENOSYS;
	return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
	/* Closing our socket makes the hub close all our ports. */
	if (xce)
		handle_free(xce);
	return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce->eventfd;
}

/* ---- the peer cache ---- */

static void peer_put(xenevtchn_handle *xce, struct peer *peer)
{
	if (!peer || --peer->users > 0)
		return;
	for (struct peer **p = &xce->peers; *p; p = &(*p)->next) {
		if (*p == peer) {
			*p = peer->next;
			break;
		}
	}
	close(peer->eventfd);
	munmap(peer->pending, sizeof(*peer->pending));
	munmap((void *)peer->control, sizeof(*peer->control));
	free(peer);
}

static void cache_clear(xenevtchn_handle *xce, evtchn_port_t port)
{
	peer_put(xce, xce->cache[port].peer);
	xce->cache[port] = (struct port_cache){ 0 };
}

/* The known peer with the hub's id, or a new one made from call's fds. */
static struct peer *peer_get(xenevtchn_handle *xce, struct hv_call *call)
{
	struct peer *peer;
	void *pending, *control;

	for (peer = xce->peers; peer; peer = peer->next)
		if (peer->id == call->rsp.id)
			return peer;
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return NULL;
	if (map_page(call->fds[1], sizeof(*peer->pending),
		     PROT_READ | PROT_WRITE, &pending) < 0) {
		free(peer);
		return NULL;
	}
	if (map_page(call->fds[2], sizeof(*peer->control), PROT_READ,
		     &control) < 0) {
		munmap(pending, sizeof(*peer->pending));
		free(peer);
		return NULL;
	}
	peer->id = call->rsp.id;
	peer->pending = pending;
	peer->control = control;
	peer->eventfd = call->fds[0];
	call->fds[0] = -1;
	peer->next = xce->peers;
	xce->peers = peer;
	return peer;
}

/* Ask the hub who is at the other end of port now. 0 (cache updated, maybe
 * to "nobody") or -1. */
static int cache_refresh(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct hv_call call = { .req = { .op = HV_OP_EVTCHN_PEER,
					 .port = port }, .send_fd = -1 };
	struct peer *peer = NULL;
	int rc = -1;

	if (hv_client_call(xce->sock, &call) < 0)
		return -1;
	cache_clear(xce, port);
	if (call.rsp.serial == 0) {
		rc = 0;
		goto out;
	}
	if (call.nr_fds != 3 || !valid_port(call.rsp.port)) {
		errno = EPROTO;
		goto out;
	}
	peer = peer_get(xce, &call);
	if (!peer)
		goto out;
	peer->users++;
	xce->cache[port] = (struct port_cache){
		.serial = call.rsp.serial, .remote_port = call.rsp.port,
		.peer = peer,
	};
	rc = 0;
out:
	for (unsigned i = 0; i < call.nr_fds; i++)
		if (call.fds[i] >= 0)
			close(call.fds[i]);
	return rc;
}

/* ---- notify ---- */

static int notify_locked(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct port_cache *c;
	uint32_t serial;
	uint64_t one = 1;

	if (!is_owned(xce, port)) {
		errno = ENOTCONN;	/* Linux: not a port of this handle */
		return -1;
	}
	/* Acquire: pairs with the hub's release store of a new binding. */
	serial = atomic_load_explicit(&xce->control->serial[port],
				      memory_order_acquire);
	if (serial == 0)
		return 0;	/* unbound or closed: Xen drops the event */
	c = &xce->cache[port];
	if (c->serial != serial && cache_refresh(xce, port) < 0)
		return -1;
	if (!c->peer)
		return 0;
	if (hv_raise(c->peer->pending, c->peer->control, c->remote_port) &&
	    write(c->peer->eventfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -1;
	return 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	int rc;

	pthread_mutex_lock(&xce->lock);
	rc = notify_locked(xce, port);
	pthread_mutex_unlock(&xce->lock);
	return rc;
}

/* ---- binding ---- */

/* Unmask port; wake ourselves if it was raised while masked.
 * Barriers: seq_cst mask store, then seq_cst pending load: the mirror of
 * hv_raise() (see there), so an event racing this unmask is not lost. */
static void enable_port(xenevtchn_handle *xce, evtchn_port_t port)
{
	uint64_t bit = hv_port_bit(port);

	atomic_fetch_and_explicit(&xce->control->mask[port / 64], ~bit,
				  memory_order_seq_cst);
	if (atomic_load_explicit(&xce->pending->pending[port / 64],
				 memory_order_seq_cst) & bit)
		wake_self(xce);
}

static xenevtchn_port_or_error_t bind_port(xenevtchn_handle *xce,
				      struct hv_req req)
{
	struct hv_call call = { .req = req, .send_fd = -1 };
	evtchn_port_t port;
	int rc = -1;

	pthread_mutex_lock(&xce->lock);
	if (hv_client_call(xce->sock, &call) < 0)
		goto out;
	port = call.rsp.port;
	if (!valid_port(port)) {
		errno = EPROTO;
		goto out;
	}
	xce->owned[port / 64] |= hv_port_bit(port);
	cache_clear(xce, port);
	/* A new binding starts unmasked, as with Linux's evtchn driver. */
	enable_port(xce, port);
	rc = (int)port;
out:
	pthread_mutex_unlock(&xce->lock);
	return rc;
}

xenevtchn_port_or_error_t
xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
	return bind_port(xce, (struct hv_req){ .op = HV_OP_EVTCHN_BIND_UNBOUND,
					  .domid = domid });
}

xenevtchn_port_or_error_t
xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
			   evtchn_port_t remote_port)
{
	return bind_port(xce, (struct hv_req){ .op = HV_OP_EVTCHN_BIND_INTERDOMAIN,
					  .domid = domid,
					  .port = remote_port });
}

xenevtchn_port_or_error_t
xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
	/* No virtual IRQs without a hypervisor. */
	errno = ENOSYS;
	return -1;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct hv_call call = { .req = { .op = HV_OP_EVTCHN_UNBIND,
					 .port = port }, .send_fd = -1 };
	int rc = -1;

	pthread_mutex_lock(&xce->lock);
	if (!is_owned(xce, port)) {
		errno = ENOTCONN;
		goto out;
	}
	rc = hv_client_call(xce->sock, &call);
	xce->owned[port / 64] &= ~hv_port_bit(port);
	cache_clear(xce, port);
out:
	pthread_mutex_unlock(&xce->lock);
	return rc;
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
	struct hv_call call = { .req = { .op = HV_OP_EVTCHN_RESTRICT,
					 .domid = domid }, .send_fd = -1 };
	int rc;

	pthread_mutex_lock(&xce->lock);
	rc = hv_client_call(xce->sock, &call);
	pthread_mutex_unlock(&xce->lock);
	return rc;
}

/* ---- delivery ---- */

static bool deliverable(const xenevtchn_handle *xce, unsigned w,
			uint64_t *bits)
{
	/* Acquire: pairs with the notifier's seq_cst fetch_or, so what it
	 * wrote before notifying is visible once we return its port. */
	*bits = atomic_load_explicit(&xce->pending->pending[w],
				     memory_order_acquire) &
		~atomic_load_explicit(&xce->control->mask[w],
				      memory_order_relaxed) &
		xce->owned[w];
	return *bits != 0;
}

/* Take one pending unmasked port: mask it, then clear its pending bit.
 * Masking first means a notify landing in between leaves the bit pending
 * but wakes nobody, so the port is not delivered twice before unmask. */
static int take_pending(xenevtchn_handle *xce)
{
	uint64_t bits;

	for (unsigned w = 0; w < HV_PORT_WORDS; w++) {
		if (!deliverable(xce, w, &bits))
			continue;
		uint64_t bit = bits & -bits;

		atomic_fetch_or_explicit(&xce->control->mask[w], bit,
					 memory_order_seq_cst);
		atomic_fetch_and_explicit(&xce->pending->pending[w], ~bit,
					  memory_order_acq_rel);
		return (int)(w * 64 + (unsigned)__builtin_ctzll(bit));
	}
	return -1;
}

static bool any_deliverable(const xenevtchn_handle *xce)
{
	uint64_t bits;

	for (unsigned w = 0; w < HV_PORT_WORDS; w++)
		if (deliverable(xce, w, &bits))
			return true;
	return false;
}

/* Reset the eventfd; true if it had been written. */
static bool drain(xenevtchn_handle *xce)
{
	uint64_t count;

	return read(xce->eventfd, &count, sizeof(count)) == sizeof(count);
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	bool first = true;

	for (;;) {
		/* Drain before scanning: an event after the scan leaves the
		 * eventfd readable, so no wake-up is lost. */
		bool woken = drain(xce);
		bool more;
		int port;

		pthread_mutex_lock(&xce->lock);
		port = take_pending(xce);
		more = port >= 0 && any_deliverable(xce);
		pthread_mutex_unlock(&xce->lock);
		if (more)
			wake_self(xce);	/* keep the fd readable */
		if (port >= 0)
			return port;
		/* Woken for a port that got masked meanwhile: tell a caller
		 * that polled us instead of blocking its loop. */
		if (woken && first) {
			errno = EAGAIN;
			return -1;
		}
		first = false;
		struct pollfd pfd = { .fd = xce->eventfd, .events = POLLIN };

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			return -1;
	}
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	pthread_mutex_lock(&xce->lock);
	/* Linux ignores ports that are not this handle's. */
	if (is_owned(xce, port))
		enable_port(xce, port);
	pthread_mutex_unlock(&xce->lock);
	return 0;
}
