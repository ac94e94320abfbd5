/* SPDX-License-Identifier: MIT */
/*
 * The XenStore server: one listening unix socket per domain
 * (DIR/dom<N>/xenstored.sock), so a connection's domain is the socket it
 * came in on. Each connection has its own input and output buffer and
 * never blocks the hub: input is taken as it comes, output queued and
 * flushed when the socket takes it. A malformed message (longer than
 * XENSTORE_PAYLOAD_MAX) closes that connection only, as in xenstored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "xenstore-private.h"

/* ---- replies ---- */

int xs_reply_add(struct xs_reply *reply, const void *data, size_t len)
{
	if (len > sizeof(reply->data) - reply->len)
		return E2BIG;
	memcpy(reply->data + reply->len, data, len);
	reply->len += len;
	return 0;
}

char *xs_canonicalize(const struct xs_domain *domain, const char *path)
{
	char *abs;

	if (path[0] == '/' || path[0] == '@')
		return strdup(path);
	if (asprintf(&abs, "%s/%s", domain->home, path) < 0)
		return NULL;
	return abs;
}

/* ---- connections ---- */

static void conn_update_events(struct xs_conn *conn)
{
	uint32_t events = 0;

	if (conn->closed)
		return;
	conn->paused = conn->out_len > XS_OUT_PAUSE;
	if (!conn->paused)
		events |= EPOLLIN;
	if (conn->out_len)
		events |= EPOLLOUT;
	if (events != conn->events &&
	    hub_mod_fd(conn->domain->xs->hub, conn->fd, events) == 0)
		conn->events = events;
}

/* why == NULL: an ordinary end, not worth a log line. */
static void conn_close(struct xs_conn *conn, const char *why)
{
	struct xs_server *xs = conn->domain->xs;

	if (conn->closed)
		return;
	if (why)
		hub_log(xs->hub, "xenstore: dom%u: closing connection (fd %d): "
			"%s", conn->domain->domid, conn->fd, why);
	hub_remove_fd(xs->hub, conn->fd);
	close(conn->fd);
	conn->fd = -1;
	conn->closed = true;
	xs->need_reap = true;
}

void xs_conn_fail(struct xs_conn *conn, const char *why)
{
	conn_close(conn, why);
}

/* Send what the socket takes now; the rest waits for EPOLLOUT. */
static void conn_flush(struct xs_conn *conn)
{
	while (conn->out_len) {
		ssize_t n = send(conn->fd, conn->out, conn->out_len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				xs_conn_fail(conn, strerror(errno));
			break;
		}
		memmove(conn->out, conn->out + n, conn->out_len - n);
		conn->out_len -= n;
	}
}

void xs_conn_send(struct xs_conn *conn, uint32_t type, uint32_t req_id,
		  uint32_t tx_id, const void *data, uint32_t len)
{
	struct xsd_sockmsg hdr = {
		.type = type, .req_id = req_id, .tx_id = tx_id, .len = len,
	};
	size_t need = conn->out_len + sizeof(hdr) + len;

	if (conn->closed)
		return;
	if (need > XS_OUT_MAX) {
		xs_conn_fail(conn, "it does not read its replies and watch "
			     "events (output queue full)");
		return;
	}
	if (need > conn->out_cap) {
		size_t cap = conn->out_cap ? conn->out_cap : 4096;
		unsigned char *grown;

		while (cap < need)
			cap *= 2;
		grown = realloc(conn->out, cap);
		if (!grown) {
			xs_conn_fail(conn, "out of memory for its output");
			return;
		}
		conn->out = grown;
		conn->out_cap = cap;
	}
	memcpy(conn->out + conn->out_len, &hdr, sizeof(hdr));
	memcpy(conn->out + conn->out_len + sizeof(hdr), data, len);
	conn->out_len = need;
	/* Sent when the loop comes back (EPOLLOUT), or at the end of this
	 * connection's own input: many messages leave in one send(). */
	conn_update_events(conn);
}

static void conn_free(struct xs_conn *conn)
{
	xs_watch_free_all(conn);
	xs_txn_free_all(conn);
	free(conn->out);
	free(conn);
}

/* Free the connections xs_conn_fail() closed, now that no caller up the
 * stack holds them. */
static void xs_reap(struct xs_server *xs)
{
	if (!xs->need_reap)
		return;
	xs->need_reap = false;
	for (struct xs_domain *d = xs->domains; d; d = d->next) {
		struct xs_conn **link = &d->conns;

		while (*link) {
			struct xs_conn *conn = *link;

			if (conn->closed) {
				*link = conn->next;
				conn_free(conn);
			} else {
				link = &conn->next;
			}
		}
	}
}

/* ---- dispatch ---- */

static void send_error(struct xs_conn *conn, const struct xs_request *req,
		       int err)
{
	const char *name = "EINVAL";

	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
		if (xsd_errors[i].errnum == err) {
			name = xsd_errors[i].errstring;
			break;
		}
	}
	xs_conn_send(conn, XS_ERROR, req->hdr.req_id, req->hdr.tx_id,
		     name, strlen(name) + 1);
}

static int parse_domid(const char *arg, uint32_t *domid)
{
	char *end;
	unsigned long value;

	if (!arg || arg[0] < '0' || arg[0] > '9')
		return EINVAL;
	errno = 0;
	value = strtoul(arg, &end, 10);
	if (errno || *end || value >= XENSIM_MAX_DOMID)
		return EINVAL;
	*domid = value;
	return 0;
}

static struct xs_domain *find_domain(struct xs_server *xs, uint32_t domid)
{
	for (struct xs_domain *d = xs->domains; d; d = d->next)
		if (d->domid == domid)
			return d;
	return NULL;
}

static int op_get_domain_path(const struct xs_request *req,
			      struct xs_reply *reply)
{
	uint32_t domid;
	char path[32];
	int err = parse_domid(xs_one_arg(req), &domid);

	if (err)
		return err;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	return xs_reply_add(reply, path, strlen(path) + 1);
}

static int op_is_domain_introduced(struct xs_server *xs,
				   const struct xs_request *req,
				   struct xs_reply *reply)
{
	uint32_t domid;
	int err = parse_domid(xs_one_arg(req), &domid);

	if (err)
		return err;
	return xs_reply_add(reply, find_domain(xs, domid) ? "T" : "F", 2);
}

/* CONTROL: only what cannot hurt -- "print <text>" to the log. */
static int op_control(struct xs_server *xs, struct xs_conn *conn,
		      const struct xs_request *req, struct xs_reply *reply)
{
	const char *cmd = req->payload;

	if (!memchr(req->payload, '\0', req->hdr.len))
		return EINVAL;
	if (!strcmp(cmd, "print") && strlen(cmd) + 1 < req->hdr.len) {
		const char *text = cmd + strlen(cmd) + 1;

		hub_log(xs->hub, "xenstore: dom%u: %.*s", conn->domain->domid,
			(int)strnlen(text, req->hdr.len - strlen(cmd) - 1),
			text);
		return xs_reply_add(reply, "OK", sizeof("OK"));
	}
	return EINVAL;
}

static void reset_watches(struct xs_conn *conn)
{
	xs_watch_free_all(conn);
	xs_txn_free_all(conn);
}

static bool is_tree_op(uint32_t type)
{
	switch (type) {
	case XS_READ: case XS_WRITE: case XS_MKDIR: case XS_RM:
	case XS_DIRECTORY: case XS_DIRECTORY_PART:
	case XS_GET_PERMS: case XS_SET_PERMS:
		return true;
	default:
		return false;
	}
}

static int tree_op(struct xs_op_ctx *ctx, const struct xs_request *req,
		   struct xs_reply *reply)
{
	switch (req->hdr.type) {
	case XS_READ: return xs_op_read(ctx, req, reply);
	case XS_WRITE: return xs_op_write(ctx, req, reply);
	case XS_MKDIR: return xs_op_mkdir(ctx, req, reply);
	case XS_RM: return xs_op_rm(ctx, req, reply);
	case XS_DIRECTORY: return xs_op_directory(ctx, req, reply);
	case XS_DIRECTORY_PART: return xs_op_directory_part(ctx, req, reply);
	case XS_GET_PERMS: return xs_op_get_perms(ctx, req, reply);
	case XS_SET_PERMS: return xs_op_set_perms(ctx, req, reply);
	default: return ENOSYS;
	}
}

static bool is_privileged_op(uint32_t type)
{
	switch (type) {
	case XS_CONTROL: case XS_INTRODUCE: case XS_RELEASE:
	case XS_IS_DOMAIN_INTRODUCED: case XS_RESUME: case XS_SET_TARGET:
		return true;
	default:
		return false;
	}
}

/* Everything but the tree operations. -1: already answered. */
static int other_op(struct xs_conn *conn, struct xs_txn *txn,
		    const struct xs_request *req, struct xs_reply *reply)
{
	struct xs_server *xs = conn->domain->xs;

	switch (req->hdr.type) {
	case XS_WATCH: {
		int err = xs_watch_add(conn, req);
		return err ? err : -1;
	}
	case XS_UNWATCH: {
		int err = xs_watch_remove(conn, req);
		return err ? err : xs_reply_add(reply, "OK", 3);
	}
	case XS_TRANSACTION_START:
		/* No nesting: tx_id must be 0 (xenstored's EBUSY). */
		if (req->hdr.tx_id)
			return txn ? EBUSY : ENOENT;
		return xs_txn_start(conn, req, reply);
	case XS_TRANSACTION_END: {
		int err = xs_txn_end(conn, txn, req);
		return err ? err : xs_reply_add(reply, "OK", 3);
	}
	case XS_GET_DOMAIN_PATH:
		return op_get_domain_path(req, reply);
	case XS_IS_DOMAIN_INTRODUCED:
		return op_is_domain_introduced(xs, req, reply);
	case XS_RESET_WATCHES:
		reset_watches(conn);
		return xs_reply_add(reply, "OK", 3);
	case XS_CONTROL:
		return op_control(xs, conn, req, reply);
	default:
		/* INTRODUCE, RELEASE, RESUME, SET_TARGET: domains come and
		 * go through `xensim exec` / `xensim destroy`, not here. */
		return ENOSYS;
	}
}

static void process_request(struct xs_conn *conn, const struct xs_request *req)
{
	struct xs_server *xs = conn->domain->xs;
	struct xs_txn *txn = NULL;
	struct xs_reply *reply;
	bool notid = req->hdr.type == XS_WATCH || req->hdr.type == XS_UNWATCH;
	int err;

	if (req->hdr.type >= XS_TYPE_COUNT || req->hdr.type == XS_WATCH_EVENT ||
	    req->hdr.type == XS_ERROR) {
		send_error(conn, req, ENOSYS);
		return;
	}
	if (is_privileged_op(req->hdr.type) && conn->domain->domid != 0) {
		send_error(conn, req, EACCES);
		return;
	}
	if (req->hdr.tx_id && !notid) {
		txn = xs_txn_find(conn, req->hdr.tx_id);
		if (!txn) {
			send_error(conn, req, ENOENT);
			return;
		}
		if (req->hdr.type != XS_TRANSACTION_END &&
		    xs_txn_over_quota(conn, txn)) {
			send_error(conn, req, ENOSPC);
			return;
		}
	}
	reply = malloc(sizeof(*reply));
	if (!reply) {
		send_error(conn, req, ENOMEM);
		return;
	}
	reply->len = 0;
	if (is_tree_op(req->hdr.type)) {
		struct xs_op_ctx ctx = {
			.xs = xs,
			.tree = txn ? txn->snapshot : xs->tree,
			.domain = conn->domain,
			.txn = txn,
		};
		err = tree_op(&ctx, req, reply);
	} else {
		err = other_op(conn, txn, req, reply);
	}
	if (err > 0)
		send_error(conn, req, err);
	else if (err == 0)
		xs_conn_send(conn, req->hdr.type, req->hdr.req_id,
			     req->hdr.tx_id, reply->data, reply->len);
	free(reply);
}

/* Handle every complete message in the input buffer. */
static void process_input(struct xs_conn *conn)
{
	size_t pos = 0;

	while (!conn->closed && conn->in_len - pos >= sizeof(struct xsd_sockmsg)) {
		struct xs_request req;
		char payload[XENSTORE_PAYLOAD_MAX + 1];

		memcpy(&req.hdr, conn->in + pos, sizeof(req.hdr));
		if (req.hdr.len > XENSTORE_PAYLOAD_MAX) {
			char why[128];

			snprintf(why, sizeof(why), "message of %u bytes (type "
				 "%u) exceeds XENSTORE_PAYLOAD_MAX",
				 req.hdr.len, req.hdr.type);
			xs_conn_fail(conn, why);
			return;
		}
		if (conn->in_len - pos < sizeof(req.hdr) + req.hdr.len)
			break;
		memcpy(payload, conn->in + pos + sizeof(req.hdr), req.hdr.len);
		payload[req.hdr.len] = '\0';
		req.payload = payload;
		pos += sizeof(req.hdr) + req.hdr.len;
		process_request(conn, &req);
	}
	memmove(conn->in, conn->in + pos, conn->in_len - pos);
	conn->in_len -= pos;
}

static void conn_read(struct xs_conn *conn)
{
	ssize_t n = recv(conn->fd, conn->in + conn->in_len,
			 sizeof(conn->in) - conn->in_len, MSG_DONTWAIT);

	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			xs_conn_fail(conn, strerror(errno));
		return;
	}
	if (n == 0) {
		/* The peer is gone: worth a log line only if it left half
		 * a message behind. */
		conn_close(conn, conn->in_len ? "peer closed in the middle "
			   "of a message" : NULL);
		return;
	}
	conn->in_len += n;
	process_input(conn);
}

static void on_conn_io(void *data, int fd, uint32_t events)
{
	struct xs_conn *conn = data;
	struct xs_server *xs = conn->domain->xs;

	if (events & EPOLLOUT) {
		conn_flush(conn);
		conn_update_events(conn);
	}
	if (!conn->closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) &&
	    !conn->paused)
		conn_read(conn);
	else if (!conn->closed && (events & (EPOLLHUP | EPOLLERR)))
		xs_conn_fail(conn, "socket error or hang-up");
	if (!conn->closed) {
		conn_flush(conn);	/* the replies to what it just sent */
		conn_update_events(conn);
	}
	xs_reap(xs);
}

static void on_accept(void *data, int fd, uint32_t events)
{
	struct xs_domain *domain = data;
	struct xs_server *xs = domain->xs;
	struct xs_conn *conn;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0) {
		if (errno != EAGAIN && errno != EINTR)
			hub_log(xs->hub, "xenstore: dom%u: accept: %s",
				domain->domid, strerror(errno));
		return;
	}
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		hub_log(xs->hub, "xenstore: dom%u: out of memory for a new "
			"connection; refused", domain->domid);
		close(cfd);
		return;
	}
	conn->domain = domain;
	conn->fd = cfd;
	conn->events = EPOLLIN;
	if (hub_add_fd(xs->hub, cfd, EPOLLIN, on_conn_io, conn) < 0) {
		hub_log(xs->hub, "xenstore: dom%u: cannot watch a new "
			"connection; refused", domain->domid);
		close(cfd);
		free(conn);
		return;
	}
	conn->next = domain->conns;
	domain->conns = conn;
}

/* ---- domains ---- */

static int listen_on(struct xs_server *xs, struct xs_domain *domain)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char dir[sizeof(addr.sun_path)];
	int fd;

	if (snprintf(dir, sizeof(dir), "%s/dom%u", hub_dir(xs->hub),
		     domain->domid) >= (int)sizeof(dir) ||
	    asprintf(&domain->sock_path, "%s/xenstored.sock", dir) < 0 ||
	    strlen(domain->sock_path) >= sizeof(addr.sun_path)) {
		hub_log(xs->hub, "xenstore: socket path for dom%u under %s is "
			"too long for a unix socket; use a shorter --dir",
			domain->domid, hub_dir(xs->hub));
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		int err = -errno;
		hub_log(xs->hub, "xenstore: cannot create %s: %s", dir,
			strerror(errno));
		return err;
	}
	strcpy(addr.sun_path, domain->sock_path);
	unlink(addr.sun_path);	/* a stale one from a dead hub */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 64) < 0) {
		int err = -errno;
		hub_log(xs->hub, "xenstore: cannot listen on %s: %s",
			addr.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return err;
	}
	domain->listen_fd = fd;
	return 0;
}

/* The toolstack's part: /local/domain/N with domid and name, owned by N
 * and readable by dom0 (dom0 reads everything anyway; the entry says
 * so for `xenstore-ls -p`). */
static int create_home(struct xs_server *xs, struct xs_domain *domain)
{
	struct xs_tree *tree = xs->tree;
	struct xs_permissions perms[2] = {
		{ .id = domain->domid, .perms = XS_PERM_NONE },
		{ .id = 0, .perms = XS_PERM_READ },
	};
	unsigned int nperms = domain->domid ? 2 : 1;
	char value[32], path[64];
	struct xs_node *home = xs_tree_create(tree, domain->home, false, 0);
	static const char *const keys[] = { "domid", "name" };

	if (!home || xs_node_set_perms(tree, home, perms, nperms))
		return -ENOMEM;
	xs_fire(xs, domain->home, home, NULL, 0, false);
	for (size_t i = 0; i < 2; i++) {
		struct xs_node *node;

		snprintf(path, sizeof(path), "%s/%s", domain->home, keys[i]);
		if (i == 0)
			snprintf(value, sizeof(value), "%u", domain->domid);
		else if (domain->domid == 0)
			snprintf(value, sizeof(value), "Domain-0");
		else
			snprintf(value, sizeof(value), "guest%u", domain->domid);
		node = xs_tree_create(tree, path, false, 0);
		if (!node || xs_node_set_value(tree, node, value, strlen(value)))
			return -ENOMEM;
		xs_fire(xs, path, node, NULL, 0, false);
	}
	return 0;
}

static void domain_free(struct xs_server *xs, struct xs_domain *domain)
{
	while (domain->conns) {
		struct xs_conn *conn = domain->conns;

		domain->conns = conn->next;
		if (!conn->closed) {
			hub_remove_fd(xs->hub, conn->fd);
			close(conn->fd);
		}
		conn_free(conn);
	}
	if (domain->listen_fd >= 0) {
		hub_remove_fd(xs->hub, domain->listen_fd);
		close(domain->listen_fd);
		unlink(domain->sock_path);
	}
	free(domain->sock_path);
	free(domain);
}

int xs_server_introduce(struct xs_server *xs, uint32_t domid)
{
	struct xs_domain *domain;
	int err;

	if (domid >= XENSIM_MAX_DOMID)
		return -EINVAL;
	if (find_domain(xs, domid))
		return 0;
	domain = calloc(1, sizeof(*domain));
	if (!domain)
		return -ENOMEM;
	domain->xs = xs;
	domain->domid = domid;
	domain->listen_fd = -1;
	snprintf(domain->home, sizeof(domain->home), "/local/domain/%u", domid);
	err = listen_on(xs, domain);
	if (!err)
		err = hub_add_fd(xs->hub, domain->listen_fd, EPOLLIN, on_accept,
				 domain);
	if (err) {
		domain_free(xs, domain);
		return err;
	}
	domain->next = xs->domains;
	xs->domains = domain;
	err = create_home(xs, domain);
	if (err)
		hub_log(xs->hub, "xenstore: dom%u: out of memory creating %s",
			domid, domain->home);
	hub_log(xs->hub, "xenstore: dom%u introduced: %s", domid,
		domain->sock_path);
	xs_fire_special(xs, XS_SPECIAL_INTRODUCE);
	return err;
}

void xs_server_release(struct xs_server *xs, uint32_t domid)
{
	struct xs_domain *dom0 = find_domain(xs, 0);
	struct xs_domain **link;
	struct xs_domain *domain = NULL;

	for (link = &xs->domains; *link; link = &(*link)->next) {
		if ((*link)->domid == domid) {
			domain = *link;
			*link = domain->next;
			break;
		}
	}
	if (!domain)
		return;
	/* Remove its home as dom0 would, so watchers see it go. */
	if (dom0) {
		char payload[32];
		struct xs_request req = { .hdr = { .type = XS_RM } };
		struct xs_reply *reply = malloc(sizeof(*reply));
		struct xs_op_ctx ctx = {
			.xs = xs, .tree = xs->tree, .domain = dom0,
		};

		req.hdr.len = snprintf(payload, sizeof(payload), "%s",
				       domain->home) + 1;
		req.payload = payload;
		if (reply) {
			reply->len = 0;
			xs_op_rm(&ctx, &req, reply);
		}
		free(reply);
	}
	xs_tree_forget_domain(xs->tree, domid);
	domain_free(xs, domain);
	hub_log(xs->hub, "xenstore: dom%u released", domid);
	xs_fire_special(xs, XS_SPECIAL_RELEASE);
}

struct xs_server *xs_server_new(struct hub *hub)
{
	struct xs_server *xs = calloc(1, sizeof(*xs));

	if (!xs)
		return NULL;
	xs->hub = hub;
	xs->tree = xs_tree_new(&xs->generation);
	if (!xs->tree) {
		free(xs);
		return NULL;
	}
	/* The specials belong to dom0 and nobody else sees them. */
	for (int i = 0; i < 2; i++) {
		xs->special_perms[i][0] =
			(struct xs_permissions){ .id = 0, .perms = XS_PERM_NONE };
		xs->special_nperms[i] = 1;
	}
	return xs;
}

void xs_server_free(struct xs_server *xs)
{
	if (!xs)
		return;
	while (xs->domains) {
		struct xs_domain *domain = xs->domains;

		xs->domains = domain->next;
		domain_free(xs, domain);
	}
	xs_tree_free(xs->tree);
	free(xs);
}
