/* SPDX-License-Identifier: MIT */
/*
 * Each domain's event channel table, with Xen's rules (xen/common/
 * event_channel.c): a port is free, unbound (reserved for one remote
 * domain) or interdomain (connected to one remote port). Ports are numbered
 * per domain; port 0 is never handed out.
 *
 * The hub only binds and unbinds. Events themselves travel between the
 * shims through the pages described in hv_shared.h; the hub writes those
 * pages only to announce a closed peer and for unmap notifications.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv_server_priv.h"

/* Both pages are rounded up to whole pages by mmap; their sizes are what
 * every party maps. */
#define PENDING_SIZE	sizeof(struct hv_pending_page)
#define CONTROL_SIZE	sizeof(struct hv_control_page)

static void wake(struct hv_conn *conn)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is saturated: the owner is awake anyway. */
	if (write(conn->eventfd, &one, sizeof(one)) < 0)
		return;
}

/* Make port of conn pending and wake its owner unless it is masked. */
static void raise_port(struct hv_conn *conn, evtchn_port_t port)
{
	if (hv_raise(conn->pending, conn->control, port))
		wake(conn);
}

/* The serial tells a notifier whether its cached peer is still the one at
 * the other end. Release: a notifier that reads the new serial and asks the
 * hub sees the new connection. */
static void set_serial(struct hv_conn *conn, evtchn_port_t port,
		       uint32_t serial)
{
	atomic_store_explicit(&conn->control->serial[port], serial,
			      memory_order_release);
}

static uint32_t new_serial(struct hv_server *hv)
{
	uint32_t serial = hv->next_serial++;

	if (hv->next_serial == 0)	/* 0 means "not connected" */
		hv->next_serial = 1;
	return serial;
}

static int map_shared(int fd, size_t size, void **out)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

/* The control page as peers get it: the same file, read-only, so a peer
 * can read the mask but not write it. */
static int reopen_read_only(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int hv_evtchn_open(struct hv_conn *conn, struct hv_reply *reply)
{
	void *pending = NULL, *control = NULL;
	int err;

	if (conn->evtchn)
		return -EBUSY;
	conn->eventfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (conn->eventfd < 0)
		return -errno;
	conn->pending_fd = hv_memfd_page(PENDING_SIZE, "xensim-evtchn-pending");
	conn->control_fd = hv_memfd_page(CONTROL_SIZE, "xensim-evtchn-control");
	err = conn->pending_fd < 0 ? conn->pending_fd :
	      conn->control_fd < 0 ? conn->control_fd : 0;
	if (!err)
		err = conn->control_ro_fd = reopen_read_only(conn->control_fd);
	if (err >= 0)
		err = map_shared(conn->pending_fd, PENDING_SIZE, &pending);
	if (!err)
		err = map_shared(conn->control_fd, CONTROL_SIZE, &control);
	conn->pending = pending;
	conn->control = control;
	conn->evtchn = true;
	if (err < 0) {
		hv_evtchn_close(conn);
		return err;
	}
	reply->fds[0] = conn->eventfd;
	reply->fds[1] = conn->pending_fd;
	reply->fds[2] = conn->control_fd;
	reply->nr_fds = 3;
	return 0;
}

static int alloc_port(struct hv_domain *dom)
{
	for (evtchn_port_t port = 1; port < HV_NR_PORTS; port++)
		if (dom->ports[port].state == HV_PORT_FREE)
			return (int)port;
	return -ENOSPC;
}

/* Give port to conn, clean: no stale pending bit from an earlier user. */
static void claim_port(struct hv_conn *conn, evtchn_port_t port,
		       enum hv_port_state state, uint32_t remote_domid)
{
	struct hv_port *p = &conn->dom->ports[port];

	*p = (struct hv_port){ .state = state, .owner = conn,
			       .remote_domid = remote_domid };
	/* Relaxed: nobody can raise a port that is not bound yet, and the
	 * owner learns the port from our reply, after this. */
	atomic_fetch_and_explicit(&conn->pending->pending[port / 64],
				  ~hv_port_bit(port), memory_order_relaxed);
	set_serial(conn, port, 0);
}

int hv_evtchn_bind_unbound(struct hv_conn *conn, uint32_t remote_domid,
			   struct hv_reply *reply)
{
	int port;

	if (!conn->evtchn)
		return -EBADF;
	/* Linux's evtchn driver: a restricted handle cannot reserve ports. */
	if (conn->restrict_domid != XENSIM_MAX_DOMID)
		return -EACCES;
	if (remote_domid == DOMID_SELF)
		remote_domid = conn->dom->domid;
	if (remote_domid >= XENSIM_MAX_DOMID)
		return -EINVAL;
	port = alloc_port(conn->dom);
	if (port < 0)
		return port;
	claim_port(conn, (evtchn_port_t)port, HV_PORT_UNBOUND, remote_domid);
	reply->rsp.port = (uint32_t)port;
	return 0;
}

static void connect_ports(struct hv_port *a, evtchn_port_t a_port,
			  struct hv_port *b, evtchn_port_t b_port,
			  uint32_t serial)
{
	a->state = b->state = HV_PORT_INTERDOMAIN;
	a->remote_port = b_port;
	b->remote_port = a_port;
	a->serial = b->serial = serial;
	set_serial(a->owner, a_port, serial);
	set_serial(b->owner, b_port, serial);
}

int hv_evtchn_bind_interdomain(struct hv_conn *conn, uint32_t remote_domid,
			       evtchn_port_t remote_port,
			       struct hv_reply *reply)
{
	struct hv_domain *dom = conn->dom, *rdom;
	struct hv_port *rp;
	int port;

	if (!conn->evtchn)
		return -EBADF;
	if (remote_domid == DOMID_SELF)
		remote_domid = dom->domid;
	if (conn->restrict_domid != XENSIM_MAX_DOMID &&
	    conn->restrict_domid != remote_domid)
		return -EACCES;
	rdom = hv_domain_find(dom->hv, remote_domid);
	if (!rdom)
		return -ESRCH;
	if (remote_port == 0 || remote_port >= HV_NR_PORTS)
		return -EINVAL;
	rp = &rdom->ports[remote_port];
	/* Xen: only a port reserved for us, and not yet taken. */
	if (rp->state != HV_PORT_UNBOUND || rp->remote_domid != dom->domid)
		return -EINVAL;
	port = alloc_port(dom);
	if (port < 0)
		return port;
	claim_port(conn, (evtchn_port_t)port, HV_PORT_INTERDOMAIN,
		   remote_domid);
	connect_ports(&dom->ports[port], (evtchn_port_t)port, rp, remote_port,
		      new_serial(dom->hv));
	/* Xen sets the new local port pending: notifications sent to the
	 * unbound remote port before we bound would otherwise be lost. */
	raise_port(conn, (evtchn_port_t)port);
	reply->rsp.port = (uint32_t)port;
	return 0;
}

static struct hv_port *owned_port(struct hv_conn *conn, evtchn_port_t port)
{
	struct hv_port *p;

	if (!conn->evtchn || port == 0 || port >= HV_NR_PORTS)
		return NULL;
	p = &conn->dom->ports[port];
	return p->state != HV_PORT_FREE && p->owner == conn ? p : NULL;
}

/* The remote end of an interdomain port, or NULL. */
static struct hv_port *remote_of(struct hv_domain *dom, const struct hv_port *p,
				 evtchn_port_t *rport)
{
	struct hv_domain *rdom;
	struct hv_port *rp;

	if (p->state != HV_PORT_INTERDOMAIN)
		return NULL;
	rdom = hv_domain_find(dom->hv, p->remote_domid);
	if (!rdom)
		return NULL;
	rp = &rdom->ports[p->remote_port];
	if (rp->state != HV_PORT_INTERDOMAIN || rp->serial != p->serial)
		return NULL;
	*rport = p->remote_port;
	return rp;
}

/* Close one port. Its remote end goes back to unbound, reserved for our
 * domain (Xen's evtchn_close), and is raised so its owner notices; later
 * notifies on it are dropped, as Xen drops them on an unbound port. */
static void close_port(struct hv_conn *conn, evtchn_port_t port)
{
	struct hv_port *p = &conn->dom->ports[port];
	evtchn_port_t rport;
	struct hv_port *rp = remote_of(conn->dom, p, &rport);

	if (rp) {
		rp->state = HV_PORT_UNBOUND;
		rp->remote_domid = conn->dom->domid;
		rp->serial = 0;
		set_serial(rp->owner, rport, 0);
		raise_port(rp->owner, rport);
	}
	set_serial(conn, port, 0);
	*p = (struct hv_port){ .state = HV_PORT_FREE };
}

int hv_evtchn_unbind(struct hv_conn *conn, evtchn_port_t port)
{
	if (!owned_port(conn, port))
		return -ENOTCONN;
	close_port(conn, port);
	return 0;
}

int hv_evtchn_peer(struct hv_conn *conn, evtchn_port_t port,
		   struct hv_reply *reply)
{
	struct hv_port *p = owned_port(conn, port), *rp;
	evtchn_port_t rport;

	if (!p)
		return -ENOTCONN;
	rp = remote_of(conn->dom, p, &rport);
	if (!rp)
		return 0;	/* serial 0: not connected, drop events */
	reply->rsp.serial = p->serial;
	reply->rsp.port = rport;
	reply->rsp.id = rp->owner->id;
	reply->fds[0] = rp->owner->eventfd;
	reply->fds[1] = rp->owner->pending_fd;
	reply->fds[2] = rp->owner->control_ro_fd;
	reply->nr_fds = 3;
	return 0;
}

int hv_evtchn_restrict(struct hv_conn *conn, uint32_t domid)
{
	/* Linux's evtchn driver: once, and only to a real domain. */
	if (conn->restrict_domid != XENSIM_MAX_DOMID)
		return -EACCES;
	if (domid >= XENSIM_MAX_DOMID)
		return -EINVAL;
	conn->restrict_domid = domid;
	return 0;
}

void hv_evtchn_send(struct hv_domain *dom, evtchn_port_t port)
{
	struct hv_port *p, *rp;
	evtchn_port_t rport;

	if (port == 0 || port >= HV_NR_PORTS)
		return;
	p = &dom->ports[port];
	rp = remote_of(dom, p, &rport);
	if (rp)
		raise_port(rp->owner, rport);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void hv_evtchn_close(struct hv_conn *conn)
{
	if (!conn->evtchn)
		return;
	for (evtchn_port_t port = 1; port < HV_NR_PORTS; port++)
		if (owned_port(conn, port))
			close_port(conn, port);
	if (conn->pending)
		munmap(conn->pending, PENDING_SIZE);
	if (conn->control)
		munmap(conn->control, CONTROL_SIZE);
	conn->pending = NULL;
	conn->control = NULL;
	close_fd(&conn->eventfd);
	close_fd(&conn->pending_fd);
	close_fd(&conn->control_fd);
	close_fd(&conn->control_ro_fd);
	conn->evtchn = false;
}
