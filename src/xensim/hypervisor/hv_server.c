/* SPDX-License-Identifier: MIT */
/*
 * The hub's hypervisor part: one listening socket per domain,
 * DIR/dom<N>/hypervisor.sock, and one connection per shim library handle.
 * Requests are dispatched to hv_evtchn.c and hv_grant.c; see hv_proto.h for
 * the messages.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hv_server_priv.h"

void hv_log(const struct hv_server *hv, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	hub_log(hv->hub, "hypervisor: %s", line);
}

/* A sealed memfd of size bytes: nobody holding it can shrink it under the
 * mappings of others (which would turn their accesses into SIGBUS). */
int hv_memfd_page(size_t size, const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

struct hv_domain *hv_domain_find(struct hv_server *hv, uint32_t domid)
{
	for (struct hv_domain *dom = hv->domains; dom; dom = dom->next)
		if (dom->domid == domid)
			return dom;
	return NULL;
}

struct hv_server *hv_server_new(struct hub *hub)
{
	struct hv_server *hv = calloc(1, sizeof(*hv));

	if (!hv)
		return NULL;
	hv->hub = hub;
	hv->next_conn_id = 1;
	hv->next_notify_id = 1;
	hv->next_serial = 1;
	return hv;
}

/* ---- connections ---- */

static void conn_free(struct hv_conn *conn)
{
	struct hv_domain *dom = conn->dom;

	for (struct hv_conn **p = &dom->conns; *p; p = &(*p)->next) {
		if (*p == conn) {
			*p = conn->next;
			break;
		}
	}
	hub_remove_fd(dom->hv->hub, conn->fd);
	/* Notify records first: a mapping torn down by death still clears its
	 * byte and signals its port while that port is bound. */
	hv_grant_close(conn);
	hv_evtchn_close(conn);
	close(conn->fd);
	free(conn);
}

static void close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
}

static int send_reply(struct hv_conn *conn, struct hv_reply *reply)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HV_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov[2] = {
		{ .iov_base = &reply->rsp, .iov_len = sizeof(reply->rsp) },
		{ .iov_base = (void *)reply->tail, .iov_len = reply->tail_len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };

	if (reply->nr_fds > 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * reply->nr_fds);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int) * reply->nr_fds);
		memcpy(CMSG_DATA(cmsg), reply->fds,
		       sizeof(int) * reply->nr_fds);
	}
	/* The client waits for this answer, so the socket has room; if it
	 * has not, the client is not playing by the protocol. */
	if (sendmsg(conn->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Check that a request carries what its op needs; -EINVAL otherwise. */
static int check_shape(const struct hv_req *req, size_t tail_len,
		       unsigned nr_fds)
{
	switch (req->op) {
	case HV_OP_GNT_SHARE:
		return nr_fds == 1 && tail_len == 0 && req->count > 0 &&
		       req->count <= HV_MAX_SHARE_PAGES ? 0 : -EINVAL;
	case HV_OP_GNT_UNSHARE:
		return nr_fds == 0 && req->count > 0 &&
		       req->count <= HV_MAX_SHARE_PAGES &&
		       tail_len == req->count * sizeof(uint32_t) ? 0 : -EINVAL;
	case HV_OP_GNT_MAP:
		return nr_fds == 0 && req->count > 0 &&
		       req->count <= HV_MAX_MAP_PAGES &&
		       tail_len == req->count * sizeof(struct hv_grant_ref) ?
		       0 : -EINVAL;
	default:
		return nr_fds == 0 && tail_len == 0 ? 0 : -EINVAL;
	}
}

static int dispatch(struct hv_conn *conn, const struct hv_req *req,
		    const void *tail, int fd, struct hv_reply *reply,
		    void *scratch)
{
	switch (req->op) {
	case HV_OP_EVTCHN_OPEN:
		return hv_evtchn_open(conn, reply);
	case HV_OP_EVTCHN_BIND_UNBOUND:
		return hv_evtchn_bind_unbound(conn, req->domid, reply);
	case HV_OP_EVTCHN_BIND_INTERDOMAIN:
		return hv_evtchn_bind_interdomain(conn, req->domid, req->port,
						  reply);
	case HV_OP_EVTCHN_UNBIND:
		return hv_evtchn_unbind(conn, req->port);
	case HV_OP_EVTCHN_PEER:
		return hv_evtchn_peer(conn, req->port, reply);
	case HV_OP_EVTCHN_RESTRICT:
		return hv_evtchn_restrict(conn, req->domid);
	case HV_OP_GNT_SHARE:
		return hv_grant_share(conn, req, fd, scratch, reply);
	case HV_OP_GNT_UNSHARE:
		return hv_grant_unshare(conn, req, tail);
	case HV_OP_GNT_MAP:
		return hv_grant_map(conn, req, tail, scratch, reply);
	case HV_OP_GNT_UNMAP_NOTIFY:
		return hv_grant_unmap_notify(conn, req->id);
	default:
		return -ENOSYS;
	}
}

/* Receive one request. Returns its length, 0 on hangup, -errno on error;
 * fills fds (the caller owns them). */
static ssize_t recv_request(int sock, void *buf, size_t len, int *fds,
			    unsigned *nr_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	*nr_fds = 0;
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (unsigned i = 0; i < k && *nr_fds < 4; i++)
			memcpy(&fds[(*nr_fds)++],
			       CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EMSGSIZE;
	return n;
}

/* Handle one request; false when the connection must be closed. */
static bool serve_request(struct hv_conn *conn)
{
	static_assert(sizeof(((struct hv_server *)0)->scratch) >=
		      HV_MAX_MAP_PAGES * sizeof(struct hv_map_page),
		      "a map reply fits the scratch tail");
	struct hv_server *hv = conn->dom->hv;
	struct hv_reply reply = { 0 };
	int fds[4];
	unsigned nr_fds = 0;
	bool keep = false;
	ssize_t n;

	n = recv_request(conn->fd, &hv->in, sizeof(hv->in), fds, &nr_fds);
	if (n == -EAGAIN || n == -EINTR) {
		keep = true;
		goto out;
	}
	if (n <= 0 || (size_t)n < sizeof(hv->in.req)) {
		if (n != 0)
			hv_log(hv, "dom%u: bad request (%zd bytes, %s): closing "
			       "the connection", conn->dom->domid, n,
			       n < 0 ? strerror((int)-n) : "too short");
		goto out;
	}
	reply.rsp.result = check_shape(&hv->in.req,
				       (size_t)n - sizeof(hv->in.req), nr_fds);
	if (reply.rsp.result == 0)
		reply.rsp.result = dispatch(conn, &hv->in.req, hv->in.tail,
					    nr_fds ? fds[0] : -1, &reply,
					    hv->scratch);
	keep = send_reply(conn, &reply) == 0;
	if (!keep)
		hv_log(hv, "dom%u: cannot answer a client: closing its "
		       "connection", conn->dom->domid);
out:
	close_fds(fds, nr_fds);
	return keep;
}

static void on_conn(void *data, int fd, uint32_t events)
{
	struct hv_conn *conn = data;

	if ((events & EPOLLIN) && serve_request(conn))
		return;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_free(conn);
}

static void on_listen(void *data, int fd, uint32_t events)
{
	struct hv_domain *dom = data;
	struct hv_conn *conn;
	int sock = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (sock < 0)
		return;
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		close(sock);
		return;
	}
	conn->dom = dom;
	conn->fd = sock;
	conn->id = dom->hv->next_conn_id++;
	conn->restrict_domid = XENSIM_MAX_DOMID;
	conn->eventfd = conn->pending_fd = -1;
	conn->control_fd = conn->control_ro_fd = -1;
	if (hub_add_fd(dom->hv->hub, sock, EPOLLIN, on_conn, conn) < 0) {
		hv_log(dom->hv, "dom%u: cannot watch a new connection",
		       dom->domid);
		close(sock);
		free(conn);
		return;
	}
	conn->next = dom->conns;
	dom->conns = conn;
}

/* ---- domains ---- */

static int listen_at(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);	/* a stale socket of a hub that died */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 64) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int hv_server_introduce(struct hv_server *hv, uint32_t domid)
{
	char dir[sizeof(((struct hv_domain *)0)->path)];
	struct hv_domain *dom;
	int n, fd;

	if (domid >= XENSIM_MAX_DOMID)
		return -EINVAL;
	if (hv_domain_find(hv, domid))
		return 0;
	n = snprintf(dir, sizeof(dir), "%s/dom%u", hub_dir(hv->hub), domid);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	dom = calloc(1, sizeof(*dom));
	if (!dom)
		return -ENOMEM;
	dom->hv = hv;
	dom->domid = domid;
	dom->next_ref = GNTTAB_NR_RESERVED_ENTRIES;
	n = snprintf(dom->path, sizeof(dom->path), "%s/hypervisor.sock", dir);
	fd = n < 0 || (size_t)n >= sizeof(dom->path) ? -ENAMETOOLONG :
	     listen_at(dom->path);
	if (fd < 0) {
		hv_log(hv, "dom%u: cannot listen on %s/hypervisor.sock: %s",
		       domid, dir, strerror(-fd));
		free(dom);
		return fd;
	}
	dom->listen_fd = fd;
	n = hub_add_fd(hv->hub, fd, EPOLLIN, on_listen, dom);
	if (n < 0) {
		close(fd);
		unlink(dom->path);
		free(dom);
		return n;
	}
	dom->next = hv->domains;
	hv->domains = dom;
	return 0;
}

static void domain_free(struct hv_domain *dom)
{
	while (dom->conns)
		conn_free(dom->conns);
	hub_remove_fd(dom->hv->hub, dom->listen_fd);
	close(dom->listen_fd);
	unlink(dom->path);
	hv_grant_table_free(dom);
	free(dom);
}

void hv_server_release(struct hv_server *hv, uint32_t domid)
{
	for (struct hv_domain **p = &hv->domains; *p; p = &(*p)->next) {
		struct hv_domain *dom = *p;

		if (dom->domid == domid) {
			*p = dom->next;
			domain_free(dom);
			return;
		}
	}
}

void hv_server_free(struct hv_server *hv)
{
	if (!hv)
		return;
	while (hv->domains) {
		struct hv_domain *dom = hv->domains;

		hv->domains = dom->next;
		domain_free(dom);
	}
	free(hv);
}
