/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the xensim XenStore server through its wire protocol (xs_wire.h):
 * the input is what up to three clients send on their real sockets, and
 * the server parses, checks permissions, runs transactions and fires
 * watches as it does in the hub. A tiny hub below stands in for hub.c:
 * it polls the server's fds and calls their handlers, as epoll would.
 *
 * Input: one octet of setup, then xsd_sockmsg messages back to back.
 *   setup bits 0-1, 2-3, 4-5  the domain of client 0, 1, 2 (0: dom0,
 *                             else that guest)
 *   setup bit 6               client 2 reads its replies only when it
 *                             must (its writes block) and at the end:
 *                             the server's output queueing and pausing
 *   message: header, then header.len payload octets (fewer if the input
 *            ends: a partial message). req_id, opaque to the server,
 *            routes it: req_id % 3 is the client, bit 8 sends it in two
 *            writes with the server running in between. A header whose
 *            len exceeds XENSTORE_PAYLOAD_MAX is sent alone (the server
 *            drops that connection; the client reconnects when next used).
 *   INTRODUCE / RELEASE "<domid>" from dom0, which the server refuses
 *   (domains come and go through the hub), also make the hub introduce
 *   or release guest domid, as `xensim destroy` does.
 *
 * Checked: every request gets exactly one reply, in order, with its
 * req_id, tx_id and type (or ERROR with a known error name); watch events
 * carry a path and a token; a commit never half-applies (the server logs
 * that, see xenstore-txn.c); after every message the store, the
 * transactions' snapshots, owner counts, watch and transaction counts and
 * quotas are consistent; at the end every fd is closed and (LeakSanitizer)
 * every allocation freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xen/xen.h>

#include "fuzz-input.h"
#include "xenstore-private.h"

#define N_CLIENTS	3
#define LAZY_CLIENT	2
#define LONGEST_INPUT	(16 * 1024)	/* longer inputs are ignored */
#define MAX_OUTSTANDING	(LONGEST_INPUT / 16)	/* a message is 16 octets at least */
#define MAX_ROUNDS	1000	/* of the hub loop before we call it a hang */
#define FD_PROBE	64	/* fds from the first free one checked closed */
#define SMALL_SNDBUF	4096	/* so the server's own queue is reached */

static const uint32_t domids[4] = { 0, 1, 2, 3 };

/*
 * The directory of the server's sockets: made once per process (several
 * libFuzzer jobs each have their own), read-only afterwards. The only
 * static state here, because libFuzzer's entry points take no context.
 */
static char sock_dir[64];

/* ---- the hub ---- */

struct source {
	struct source *next;
	int fd;
	uint32_t events;
	hub_fd_func func;
	void *data;
	bool removed;
};

struct hub {
	struct source *sources;
	struct source *dead;	/* removed during a dispatch round */
	unsigned int n_sources;
	bool log;		/* XS_FUZZ_LOG set: print the server's log */
};

int hub_add_fd(struct hub *hub, int fd, uint32_t events, hub_fd_func func,
	       void *data)
{
	struct source *src = calloc(1, sizeof(*src));
	int sndbuf = SMALL_SNDBUF;

	if (!src)
		return -ENOMEM;
	/* A small socket buffer makes a client that does not read fill the
	 * server's output queue within a short input. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	src->fd = fd;
	src->events = events;
	src->func = func;
	src->data = data;
	src->next = hub->sources;
	hub->sources = src;
	hub->n_sources++;
	return 0;
}

static struct source *find_source(struct hub *hub, int fd)
{
	for (struct source *s = hub->sources; s; s = s->next)
		if (s->fd == fd)
			return s;
	return NULL;
}

int hub_mod_fd(struct hub *hub, int fd, uint32_t events)
{
	struct source *src = find_source(hub, fd);

	FUZZ_ASSERT(src != NULL);	/* the server only modifies its own */
	src->events = events;
	return 0;
}

void hub_remove_fd(struct hub *hub, int fd)
{
	for (struct source **link = &hub->sources; *link; link = &(*link)->next) {
		struct source *src = *link;

		if (src->fd != fd)
			continue;
		*link = src->next;
		src->removed = true;
		src->next = hub->dead;
		hub->dead = src;
		hub->n_sources--;
		return;
	}
}

const char *hub_dir(const struct hub *hub)
{
	return sock_dir;
}

void hub_log(const struct hub *hub, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (hub->log)
		fprintf(stderr, "%s\n", line);
	/* xenstore-txn.c: "cannot happen short of ENOMEM", and allocations
	 * do not fail here. */
	FUZZ_ASSERT(strstr(line, "the commit is incomplete") == NULL);
}

static void free_sources(struct source *s)
{
	while (s) {
		struct source *next = s->next;

		free(s);
		s = next;
	}
}

/* One poll of every fd the server watches, handlers called as epoll
 * would. Returns how many handlers ran. */
static int hub_round(struct hub *hub)
{
	struct pollfd pfd[64];
	struct source *src[64];
	unsigned int n = 0;
	int ran = 0;

	for (struct source *s = hub->sources; s && n < 64; s = s->next) {
		pfd[n] = (struct pollfd){ .fd = s->fd, .events = s->events };
		src[n++] = s;
	}
	FUZZ_ASSERT(n == hub->n_sources);
	if (poll(pfd, n, 0) <= 0)
		return 0;
	/* POLLIN/OUT/ERR/HUP have the values of their EPOLL* twins. */
	for (unsigned int i = 0; i < n; i++) {
		if (pfd[i].revents && !src[i]->removed) {
			src[i]->func(src[i]->data, src[i]->fd, pfd[i].revents);
			ran++;
		}
	}
	free_sources(hub->dead);
	hub->dead = NULL;
	return ran;
}

/* Run the server until it has nothing left to do. */
static void hub_settle(struct hub *hub)
{
	int rounds = 0;

	while (hub_round(hub))
		FUZZ_ASSERT(++rounds < MAX_ROUNDS);
}

/* ---- the clients ---- */

struct pending {
	uint32_t type, req_id, tx_id;
};

struct client {
	int fd;			/* -1: not connected */
	uint32_t domid;
	bool lazy;
	bool log;		/* XS_FUZZ_LOG: print what it receives */
	struct pending fifo[MAX_OUTSTANDING];
	unsigned int head, count;
	unsigned char rx[2 * (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)];
	size_t rx_len;
};

struct fuzz {
	struct hub hub;
	struct xs_server *xs;
	struct client clients[N_CLIENTS];
};

static bool known_error(const char *payload, uint32_t len)
{
	if (len == 0 || payload[len - 1] != '\0')
		return false;
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (strcmp(payload, xsd_errors[i].errstring) == 0)
			return true;
	return false;
}

/* One message from the server. */
static void check_reply(struct client *c, const struct xsd_sockmsg *hdr,
			const char *payload)
{
	if (c->log) {
		fprintf(stderr, "dom%u <- type %u req %u tx %u:", c->domid,
			hdr->type, hdr->req_id, hdr->tx_id);
		for (uint32_t i = 0; i < hdr->len && i < 60; i++)
			fputc(payload[i] ? payload[i] : '|', stderr);
		fputc('\n', stderr);
	}
	if (hdr->type == XS_WATCH_EVENT) {
		const char *nul = memchr(payload, '\0', hdr->len);

		FUZZ_ASSERT(hdr->req_id == 0 && hdr->tx_id == 0);
		FUZZ_ASSERT(nul && memchr(nul + 1, '\0', payload + hdr->len - nul - 1));
		return;
	}
	FUZZ_ASSERT(c->count > 0);	/* a reply nobody asked for */
	struct pending *p = &c->fifo[c->head];

	FUZZ_ASSERT(hdr->req_id == p->req_id && hdr->tx_id == p->tx_id);
	FUZZ_ASSERT(hdr->type == p->type || hdr->type == XS_ERROR);
	if (hdr->type == XS_ERROR)
		FUZZ_ASSERT(known_error(payload, hdr->len));
	c->head = (c->head + 1) % MAX_OUTSTANDING;
	c->count--;
}

static void client_disconnect(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->count = 0;
	c->head = 0;
	c->rx_len = 0;
}

/* Read and check whatever the server sent. False: it hung up. */
static bool client_drain(struct client *c)
{
	while (c->fd >= 0) {
		ssize_t n = recv(c->fd, c->rx + c->rx_len, sizeof(c->rx) - c->rx_len,
				 MSG_DONTWAIT);
		size_t pos = 0;

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n <= 0) {
			/* Hung up; a queue it dropped may end mid-message. */
			client_disconnect(c);
			return false;
		}
		c->rx_len += n;
		while (c->rx_len - pos >= sizeof(struct xsd_sockmsg)) {
			struct xsd_sockmsg hdr;

			memcpy(&hdr, c->rx + pos, sizeof(hdr));
			FUZZ_ASSERT(hdr.len <= XENSTORE_PAYLOAD_MAX);
			if (c->rx_len - pos < sizeof(hdr) + hdr.len)
				break;
			check_reply(c, &hdr, (const char *)c->rx + pos + sizeof(hdr));
			pos += sizeof(hdr) + hdr.len;
		}
		memmove(c->rx, c->rx + pos, c->rx_len - pos);
		c->rx_len -= pos;
	}
	return false;
}

/* Let the server run, and the clients that read, read. */
static void settle(struct fuzz *f, bool everyone)
{
	int rounds = 0;

	do {
		FUZZ_ASSERT(++rounds < MAX_ROUNDS);
		hub_settle(&f->hub);
		for (int i = 0; i < N_CLIENTS; i++)
			if (everyone || !f->clients[i].lazy)
				client_drain(&f->clients[i]);
	} while (hub_round(&f->hub));
}

static int client_connect(struct fuzz *f, struct client *c)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	/* A released domain comes back as a new one with the same id. */
	if (xs_server_introduce(f->xs, c->domid) < 0)
		return -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/dom%u/xenstored.sock",
		 sock_dir, c->domid);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FUZZ_ASSERT(c->fd >= 0);
	if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		client_disconnect(c);
		return -1;
	}
	hub_settle(&f->hub);	/* the server accepts */
	return 0;
}

/* Send all of data, letting the server catch up when the socket is full.
 * False if the server hung up. */
static bool client_send(struct fuzz *f, struct client *c, const void *data,
			size_t len)
{
	const unsigned char *p = data;
	int stuck = 0;

	while (len && c->fd >= 0) {
		ssize_t n = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Even a lazy client reads when it must. */
			FUZZ_ASSERT(++stuck < MAX_ROUNDS);
			hub_settle(&f->hub);
			client_drain(c);
			continue;
		}
		if (n < 0) {
			client_drain(c);	/* the replies before it hung up */
			client_disconnect(c);
			return false;
		}
		p += n;
		len -= n;
	}
	return c->fd >= 0;
}

static void expect_reply(struct client *c, const struct xsd_sockmsg *hdr)
{
	FUZZ_ASSERT(c->count < MAX_OUTSTANDING);
	c->fifo[(c->head + c->count) % MAX_OUTSTANDING] =
		(struct pending){ hdr->type, hdr->req_id, hdr->tx_id };
	c->count++;
}

/* dom0 asked to introduce or release a guest: do it as the hub would. */
static void hub_domain_op(struct fuzz *f, const struct xsd_sockmsg *hdr,
			  const char *payload)
{
	char arg[16];
	char *end;
	unsigned long domid;

	if (hdr->len == 0 || hdr->len >= sizeof(arg))
		return;
	memcpy(arg, payload, hdr->len);
	arg[hdr->len] = '\0';
	domid = strtoul(arg, &end, 10);
	if (end == arg || domid == 0 || domid > 3)
		return;
	if (hdr->type == XS_INTRODUCE)
		FUZZ_ASSERT(xs_server_introduce(f->xs, domid) == 0);
	else
		xs_server_release(f->xs, domid);
}

/* ---- consistency ---- */

static const char node_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				 "abcdefghijklmnopqrstuvwxyz0123456789-_@";

struct owners {
	struct xs_owner_count counts[64];
	unsigned int n;
};

static void count_owner(struct owners *o, uint32_t domid)
{
	for (unsigned int i = 0; i < o->n; i++) {
		if (o->counts[i].domid == domid) {
			o->counts[i].nodes++;
			return;
		}
	}
	FUZZ_ASSERT(o->n < 64);
	o->counts[o->n++] = (struct xs_owner_count){ domid, 1 };
}

static void check_node(const struct xs_tree *tree, const struct xs_node *node,
		       size_t path_len, struct owners *owners)
{
	size_t children_len = 0;

	FUZZ_ASSERT(node->nperms >= 1 && node->perms != NULL);
	for (unsigned int i = 0; i < node->nperms; i++)
		FUZZ_ASSERT(node->perms[i].id < DOMID_FIRST_RESERVED);
	FUZZ_ASSERT(node->value != NULL && node->value[node->len] == '\0');
	FUZZ_ASSERT(node->generation != 0 && node->generation <= *tree->generation);
	FUZZ_ASSERT(node->nchildren <= node->children_cap);
	FUZZ_ASSERT(path_len <= XENSTORE_ABS_PATH_MAX);
	count_owner(owners, node->perms[0].id);
	for (unsigned int i = 0; i < node->nchildren; i++) {
		const struct xs_node *child = node->children[i];
		size_t len = strlen(child->name);

		FUZZ_ASSERT(child->parent == node);
		FUZZ_ASSERT(len > 0 && strspn(child->name, node_chars) == len);
		for (unsigned int j = 0; j < i; j++)
			FUZZ_ASSERT(strcmp(node->children[j]->name, child->name) != 0);
		children_len += len + 1;
		check_node(tree, child, path_len + (path_len > 1) + len, owners);
	}
	FUZZ_ASSERT(children_len == node->children_len);
}

static void check_tree(const struct xs_server *xs, const struct xs_tree *tree)
{
	struct owners owners = { .n = 0 };

	FUZZ_ASSERT(tree->generation == &xs->generation);
	FUZZ_ASSERT(tree->root && tree->root->parent == NULL &&
		    tree->root->name[0] == '\0');
	check_node(tree, tree->root, 1, &owners);
	/* The quota's bookkeeping says what the tree says. */
	for (unsigned int i = 0; i < owners.n; i++)
		FUZZ_ASSERT(xs_tree_owned(tree, owners.counts[i].domid) ==
			    owners.counts[i].nodes);
	for (unsigned int i = 0; i < tree->nowners; i++) {
		uint32_t counted = 0;

		for (unsigned int j = 0; j < owners.n; j++)
			if (owners.counts[j].domid == tree->owners[i].domid)
				counted = owners.counts[j].nodes;
		FUZZ_ASSERT(tree->owners[i].nodes == counted);
	}
}

static void check_conn(const struct xs_server *xs, const struct xs_conn *conn,
		       unsigned int *watches, unsigned int *txns)
{
	for (const struct xs_watch *w = conn->watches; w; w = w->next) {
		FUZZ_ASSERT(w->path && w->token);
		FUZZ_ASSERT(w->path[0] == '/' || w->path[0] == '@');
		(*watches)++;
	}
	for (const struct xs_txn *t = conn->txns; t; t = t->next) {
		FUZZ_ASSERT(t->id != 0);
		for (const struct xs_txn *u = t->next; u; u = u->next)
			FUZZ_ASSERT(u->id != t->id);
		FUZZ_ASSERT(t->naccessed <= t->accessed_cap && t->nops <= t->ops_cap);
		check_tree(xs, t->snapshot);
		(*txns)++;
	}
	FUZZ_ASSERT(conn->in_len < sizeof(conn->in));
	FUZZ_ASSERT(conn->out_len <= conn->out_cap && conn->out_len <= XS_OUT_MAX);
}

static void check_server(const struct xs_server *xs)
{
	check_tree(xs, xs->tree);
	for (int i = 0; i < 2; i++)
		FUZZ_ASSERT(xs->special_nperms[i] >= 1 &&
			    xs->special_nperms[i] <= XS_MAX_PERMS);
	for (const struct xs_domain *d = xs->domains; d; d = d->next) {
		unsigned int watches = 0, txns = 0;

		for (const struct xs_domain *e = d->next; e; e = e->next)
			FUZZ_ASSERT(e->domid != d->domid);
		for (const struct xs_conn *c = d->conns; c; c = c->next) {
			FUZZ_ASSERT(c->domain == d);
			check_conn(xs, c, &watches, &txns);
		}
		FUZZ_ASSERT(watches == d->nwatches && txns == d->ntxns);
		if (d->domid != 0) {
			FUZZ_ASSERT(d->nwatches <= XS_QUOTA_WATCHES_PER_DOMAIN);
			FUZZ_ASSERT(d->ntxns <= XS_QUOTA_TRANSACTIONS_PER_DOMAIN);
		}
	}
}

/* ---- one input ---- */

static void deliver(struct fuzz *f, struct client *c, struct input *in)
{
	unsigned char msg[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	struct xsd_sockmsg hdr;
	size_t len, first;

	if (in->n < sizeof(hdr)) {
		/* A partial header: the server keeps it for later. */
		len = in->n;
		take_bytes(in, msg, len);
		client_send(f, c, msg, len);
		return;
	}
	take_bytes(in, &hdr, sizeof(hdr));
	memcpy(msg, &hdr, sizeof(hdr));
	if (hdr.len > XENSTORE_PAYLOAD_MAX) {
		if (client_send(f, c, msg, sizeof(hdr)))
			settle(f, false);	/* the server hangs up */
		return;
	}
	len = in->n < hdr.len ? in->n : hdr.len;
	take_bytes(in, msg + sizeof(hdr), len);
	len += sizeof(hdr);
	if (len == sizeof(hdr) + hdr.len)
		expect_reply(c, &hdr);
	first = hdr.req_id & 0x100 ? len / 2 : len;
	if (!client_send(f, c, msg, first))
		return;
	if (first < len) {
		settle(f, false);
		if (!client_send(f, c, msg + first, len - first))
			return;
	}
	settle(f, false);
	if (c->domid == 0 && len == sizeof(hdr) + hdr.len &&
	    (hdr.type == XS_INTRODUCE || hdr.type == XS_RELEASE)) {
		hub_domain_op(f, &hdr, (const char *)msg + sizeof(hdr));
		settle(f, false);
	}
}

/* Which of the fds from the first free one on are open: every fd the
 * server opened must be closed again at the end. */
static uint64_t open_fds(int base)
{
	uint64_t mask = 0;

	for (int i = 0; i < FD_PROBE; i++)
		if (fcntl(base + i, F_GETFD) >= 0)
			mask |= (uint64_t)1 << i;
	return mask;
}

static int first_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	FUZZ_ASSERT(fd >= 0);
	close(fd);
	return fd;
}

static void cleanup_dir(void)
{
	char path[sizeof(sock_dir) + 16];

	for (size_t i = 0; i < sizeof(domids) / sizeof(domids[0]); i++) {
		snprintf(path, sizeof(path), "%s/dom%u", sock_dir, domids[i]);
		rmdir(path);
	}
	rmdir(sock_dir);
}

/* Every input binds new sockets: on tmpfs that costs a fraction of what
 * it costs on a disk file system. $TMPDIR wins if set. */
static const char *socket_parent(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp && strlen(tmp) < sizeof(sock_dir) - 16)
		return tmp;
	if (access("/dev/shm", W_OK) == 0)
		return "/dev/shm";
	return "/tmp";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(sock_dir, sizeof(sock_dir), "%s/xs-fuzz-XXXXXX", socket_parent());
	if (!mkdtemp(sock_dir)) {
		fprintf(stderr, "fuzz-xenstore: cannot make a directory in %s for "
			"the server's sockets: %s\n", socket_parent(), strerror(errno));
		exit(1);
	}
	atexit(cleanup_dir);
	return 0;
}

/* A server with the domains of the setup octet's clients. */
static struct fuzz *fuzz_new(uint8_t setup)
{
	struct fuzz *f = calloc(1, sizeof(*f));

	FUZZ_ASSERT(f != NULL);
	f->hub.log = getenv("XS_FUZZ_LOG") != NULL;
	f->xs = xs_server_new(&f->hub);
	FUZZ_ASSERT(f->xs != NULL);
	for (int i = 0; i < N_CLIENTS; i++) {
		f->clients[i].fd = -1;
		f->clients[i].domid = domids[(setup >> (2 * i)) & 3];
		f->clients[i].log = f->hub.log;
	}
	f->clients[LAZY_CLIENT].lazy = setup & 0x40;
	/* The domains exist before their clients talk, as under the hub. */
	for (int i = 0; i < N_CLIENTS; i++)
		FUZZ_ASSERT(xs_server_introduce(f->xs, f->clients[i].domid) == 0);
	return f;
}

static void fuzz_free(struct fuzz *f)
{
	xs_server_free(f->xs);
	/* The server let go of every fd it gave the hub. */
	FUZZ_ASSERT(f->hub.sources == NULL && f->hub.n_sources == 0);
	free_sources(f->hub.dead);
	for (int i = 0; i < N_CLIENTS; i++)
		client_disconnect(&f->clients[i]);
	free(f);
}

/* The message at in goes to the client its req_id names. */
static void route(struct fuzz *f, struct input *in)
{
	struct xsd_sockmsg peek = { 0 };
	struct client *c;
	size_t skip;

	memcpy(&peek, in->p, in->n < sizeof(peek) ? in->n : sizeof(peek));
	c = &f->clients[peek.req_id % N_CLIENTS];
	if (c->fd >= 0 || client_connect(f, c) == 0) {
		deliver(f, c, in);
		return;
	}
	/* Cannot happen short of ENOMEM: skip the message. */
	take_bytes(in, &peek, sizeof(peek));
	skip = in->n < peek.len ? in->n : peek.len;
	in->p += skip;
	in->n -= skip;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct fuzz *f;
	int fd_base;
	uint64_t fds_before;

	if (size > LONGEST_INPUT)
		return 0;
	fd_base = first_free_fd();
	fds_before = open_fds(fd_base);
	f = fuzz_new(take_u8(&in));
	while (in.n) {
		route(f, &in);
		check_server(f->xs);
	}
	settle(f, true);
	check_server(f->xs);
	fuzz_free(f);
	FUZZ_ASSERT(open_fds(fd_base) == fds_before);
	return 0;
}
