/* SPDX-License-Identifier: MIT */
/*
 * Test client for xensim's XenStore: what xenstore-utils cannot show.
 * Run under `xensim exec --domid N --`; it finds the store through
 * XENSTORED_PATH like any libxenstore program.
 *
 *   xs-client txn            transactions: conflict (EAGAIN), isolation,
 *                            abort, non-conflicting commit, bad tx id
 *   xs-client quota-nodes    nodes per domain (ENOSPC), as a guest
 *   xs-client quota-size     node size (ENOSPC), as a guest
 *   xs-client quota-watches  watches per domain (E2BIG), as a guest
 *   xs-client quota-txns     open transactions per domain (ENOSPC)
 *   xs-client quota-txn-nodes  transactions cannot add up past the node
 *                            quota: the second commit is refused
 *   xs-client quota-txn-size  nodes accessed and changes logged in one
 *                            transaction (ENOSPC; it can still end)
 *   xs-client chown          a guest cannot give its node away (EPERM)
 *   xs-client big-dir        a directory longer than one message
 *   xs-client raw            malformed wire messages, on raw sockets
 *   xs-client slow           a client that never reads is cut off; the
 *                            others go on (run as dom0: no watch quota)
 *
 * Exit 0 when every check holds, 1 with "FAIL: ..." otherwise.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <xenstore.h>

static int failures;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs(ok ? "ok: " : "FAIL: ", ok ? stdout : stderr);
	vfprintf(ok ? stdout : stderr, fmt, ap);
	fputc('\n', ok ? stdout : stderr);
	va_end(ap);
	if (!ok)
		failures++;
}

static struct xs_handle *open_store(void)
{
	struct xs_handle *h = xs_open(0);

	if (!h) {
		fprintf(stderr, "FAIL: xs_open (XENSTORED_PATH=%s): %s\n",
			getenv("XENSTORED_PATH") ? getenv("XENSTORED_PATH") : "",
			strerror(errno));
		exit(1);
	}
	return h;
}

static bool put(struct xs_handle *h, xs_transaction_t t, const char *path,
		const char *value)
{
	return xs_write(h, t, path, value, strlen(value));
}

/* The value at path, or "<errno name>" when it cannot be read. */
static const char *get(struct xs_handle *h, xs_transaction_t t,
		       const char *path)
{
	static char buf[256];
	unsigned int len;
	char *value = xs_read(h, t, path, &len);

	if (!value) {
		snprintf(buf, sizeof(buf), "<%s>", strerror(errno));
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	free(value);
	return buf;
}

static int test_txn(void)
{
	struct xs_handle *a = open_store(), *b = open_store();
	xs_transaction_t t;
	bool ok;

	check(put(a, XBT_NULL, "/test/txn/x", "0") &&
	      put(a, XBT_NULL, "/test/txn/y", "0"), "setup writes");

	/* Conflict: t read x, someone else changed x, t's commit fails. */
	t = xs_transaction_start(a);
	check(t != XBT_NULL, "transaction start");
	check(!strcmp(get(a, t, "/test/txn/x"), "0"), "read x in t");
	check(put(b, XBT_NULL, "/test/txn/x", "1"), "other writes x");
	check(put(a, t, "/test/txn/x", "2"), "t writes x");
	ok = xs_transaction_end(a, t, false);
	check(!ok && errno == EAGAIN, "conflicting commit fails with EAGAIN "
	      "(got %s)", ok ? "success" : strerror(errno));
	check(!strcmp(get(b, XBT_NULL, "/test/txn/x"), "1"),
	      "failed commit changed nothing (x=%s)",
	      get(b, XBT_NULL, "/test/txn/x"));

	/* Isolation, then a commit that others' unrelated writes do not
	 * disturb. */
	t = xs_transaction_start(a);
	check(put(a, t, "/test/txn/x", "5"), "t writes x=5");
	check(!strcmp(get(b, XBT_NULL, "/test/txn/x"), "1"),
	      "others do not see t's write before commit");
	check(!strcmp(get(a, t, "/test/txn/x"), "5"), "t sees its own write");
	check(put(b, XBT_NULL, "/test/txn/y", "1"), "other writes y");
	check(xs_transaction_end(a, t, false),
	      "commit untouched by others' write to y succeeds (%s)",
	      strerror(errno));
	check(!strcmp(get(b, XBT_NULL, "/test/txn/x"), "5"),
	      "commit visible to others");

	/* Abort discards. */
	t = xs_transaction_start(a);
	check(put(a, t, "/test/txn/x", "7") && xs_rm(a, t, "/test/txn/y"),
	      "t writes x, removes y");
	check(xs_transaction_end(a, t, true), "abort");
	check(!strcmp(get(a, XBT_NULL, "/test/txn/x"), "5") &&
	      !strcmp(get(a, XBT_NULL, "/test/txn/y"), "1"),
	      "aborted changes are gone");

	/* A removed-and-recreated tree inside one transaction. */
	t = xs_transaction_start(a);
	check(xs_rm(a, t, "/test/txn") && put(a, t, "/test/txn/z", "9"),
	      "t removes the tree and writes z");
	check(xs_transaction_end(a, t, false), "commit (%s)", strerror(errno));
	check(!strcmp(get(b, XBT_NULL, "/test/txn/z"), "9") &&
	      !strcmp(get(b, XBT_NULL, "/test/txn/x"), "<No such file or "
		      "directory>"), "the commit replayed rm, then write");

	/* An unknown transaction id. */
	check(xs_read(a, 4242, "/test/txn/z", NULL) == NULL && errno == ENOENT,
	      "unknown transaction id gives ENOENT");
	check(!xs_transaction_end(a, 4242, false) && errno == ENOENT,
	      "ending an unknown transaction gives ENOENT");
	xs_close(a);
	xs_close(b);
	return failures ? 1 : 0;
}

static int test_quota_nodes(void)
{
	struct xs_handle *h = open_store();
	char path[64];
	int i, err = 0;

	for (i = 0; i < 1100; i++) {
		/* Spread out: a node's child list counts towards its size. */
		snprintf(path, sizeof(path), "data/q/%d/%d", i / 32, i % 32);
		if (!put(h, XBT_NULL, path, "x")) {
			err = errno;
			break;
		}
	}
	check(i < 1000 && i > 900, "node quota stops a guest near 1000 nodes "
	      "(after %d)", i);
	check(err == ENOSPC, "with ENOSPC (got %s)", strerror(err));
	check(xs_rm(h, XBT_NULL, "data/q"), "removing them");
	check(put(h, XBT_NULL, "data/q/again", "x"),
	      "frees the quota (%s)", strerror(errno));
	xs_close(h);
	return failures ? 1 : 0;
}

static int test_quota_size(void)
{
	struct xs_handle *h = open_store();
	char big[3000];

	memset(big, 'v', sizeof(big));
	check(xs_write(h, XBT_NULL, "data/small", big, 2000),
	      "2000-byte value accepted (%s)", strerror(errno));
	check(!xs_write(h, XBT_NULL, "data/big", big, 2049) && errno == ENOSPC,
	      "2049-byte value refused with ENOSPC (%s)", strerror(errno));
	check(!xs_write(h, XBT_NULL, "data/small", big, 3000) &&
	      errno == ENOSPC, "growing a node past the quota refused (%s)",
	      strerror(errno));
	xs_close(h);
	return failures ? 1 : 0;
}

static int test_quota_watches(void)
{
	struct xs_handle *h = open_store();
	char token[32];
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(token, sizeof(token), "t%d", i);
		if (!xs_watch(h, "data", token))
			break;
	}
	check(i == 128, "a guest gets 128 watches (got %d)", i);
	check(errno == E2BIG, "then E2BIG (%s)", strerror(errno));
	check(xs_unwatch(h, "data", "t0"), "unwatch one");
	check(xs_watch(h, "data", "again"), "and one more fits");
	check(!xs_unwatch(h, "data", "no-such-token") && errno == ENOENT,
	      "unwatching an unknown watch gives ENOENT");
	xs_close(h);
	return failures ? 1 : 0;
}

static int test_quota_txns(void)
{
	struct xs_handle *h = open_store();
	xs_transaction_t t[12];
	int i;

	for (i = 0; i < 12; i++) {
		t[i] = xs_transaction_start(h);
		if (t[i] == XBT_NULL)
			break;
	}
	check(i == 10, "a guest gets 10 open transactions (got %d)", i);
	check(errno == ENOSPC, "then ENOSPC (%s)", strerror(errno));
	check(xs_transaction_end(h, t[0], true), "ending one");
	check(xs_transaction_start(h) != XBT_NULL, "makes room for another");
	xs_close(h);
	return failures ? 1 : 0;
}

/* Two transactions each create 600 nodes, within the quota as each sees
 * it from its snapshot; together they would pass it. */
static int test_quota_txn_nodes(void)
{
	struct xs_handle *h = open_store();
	xs_transaction_t t[2];
	char path[64];
	bool ok = true;

	/* Apart, so that the commits do not conflict (EAGAIN). */
	check(put(h, XBT_NULL, "data/tq/0", "") && put(h, XBT_NULL, "data/tq/1", ""),
	      "two directories (%s)", strerror(errno));
	for (int k = 0; k < 2; k++)
		t[k] = xs_transaction_start(h);
	check(t[0] != XBT_NULL && t[1] != XBT_NULL, "two transactions");
	for (int k = 0; k < 2 && ok; k++) {
		for (int i = 0; i < 600 && ok; i++) {
			snprintf(path, sizeof(path), "data/tq/%d/%d/%d", k, i / 32, i % 32);
			ok = put(h, t[k], path, "x");
		}
	}
	check(ok, "600 nodes in each (%s)", strerror(errno));
	check(xs_transaction_end(h, t[0], false), "the first commits (%s)",
	      strerror(errno));
	/* The hub answers ENOSPC, as xenstored does; Debian's libxenstore
	 * 4.17 reports that commit failure as EAGAIN. */
	check(!xs_transaction_end(h, t[1], false),
	      "the second would pass the quota: refused");
	check(xs_read(h, XBT_NULL, "data/tq/1/0/0", NULL) == NULL && errno == ENOENT,
	      "and none of its nodes are in the store (%s)", strerror(errno));
	check(xs_rm(h, XBT_NULL, "data/tq"), "removing the first's nodes");
	xs_close(h);
	return failures ? 1 : 0;
}

/* One transaction may access 1024 nodes and log 1024 changes (XSA-326);
 * past either its requests fail with ENOSPC, but it can still end, and
 * the next transaction starts afresh. */
static int test_quota_txn_size(void)
{
	struct xs_handle *h = open_store();
	xs_transaction_t t = xs_transaction_start(h);
	char path[64];
	int i;

	check(t != XBT_NULL, "a transaction");
	for (i = 0; i < 1100 && put(h, t, "data/tr", "x"); i++)
		;
	check(i == 1024, "1024 writes of one node in it (got %d)", i);
	check(errno == ENOSPC, "then ENOSPC (%s)", strerror(errno));
	check(xs_read(h, t, "data/tr", NULL) == NULL && errno == ENOSPC,
	      "for reads too (%s)", strerror(errno));
	check(xs_transaction_end(h, t, true), "it still ends");

	t = xs_transaction_start(h);
	check(t != XBT_NULL, "another transaction");
	for (i = 0; i < 1100; i++) {
		snprintf(path, sizeof(path), "data/none/%d", i);
		if (xs_read(h, t, path, NULL) == NULL && errno != ENOENT)
			break;
	}
	check(i < 1024 && errno == ENOSPC,
	      "reads of missing nodes stop at the node quota (%d, %s)", i, strerror(errno));
	check(xs_transaction_end(h, t, true), "it still ends");
	t = xs_transaction_start(h);
	check(t != XBT_NULL && put(h, t, "data/tr", "y") && xs_transaction_end(h, t, false),
	      "the next one writes and commits (%s)", strerror(errno));
	xs_close(h);
	return failures ? 1 : 0;
}

static int test_chown(void)
{
	struct xs_handle *h = open_store();
	struct xs_permissions mine[2], theirs[1];
	unsigned int domid = atoi(getenv("XENSIM_DOMID"));

	check(put(h, XBT_NULL, "data/owned", "1"), "guest writes a node");
	mine[0] = (struct xs_permissions){ .id = domid, .perms = XS_PERM_NONE };
	mine[1] = (struct xs_permissions){ .id = 0, .perms = XS_PERM_READ };
	check(xs_set_permissions(h, XBT_NULL, "data/owned", mine, 2),
	      "guest sets perms of its node (%s)", strerror(errno));
	theirs[0] = (struct xs_permissions){ .id = 0, .perms = XS_PERM_NONE };
	check(!xs_set_permissions(h, XBT_NULL, "data/owned", theirs, 1) &&
	      errno == EPERM, "guest cannot give it away: EPERM (%s)",
	      strerror(errno));
	xs_close(h);
	return failures ? 1 : 0;
}

static int test_big_dir(void)
{
	struct xs_handle *h = open_store();
	char path[64];
	char **names;
	unsigned int num = 0;
	xs_transaction_t t = xs_transaction_start(h);

	for (int i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "/test/big/child-%05d", i);
		put(h, t, path, "");
	}
	check(xs_transaction_end(h, t, false), "600 children in one "
	      "transaction (%s)", strerror(errno));
	names = xs_directory(h, XBT_NULL, "/test/big", &num);
	check(names && num == 600, "DIRECTORY_PART gives all 600 (%u)", num);
	check(names && !strcmp(names[0], "child-00000") &&
	      !strcmp(names[599], "child-00599"), "in creation order");
	free(names);
	xs_close(h);
	return failures ? 1 : 0;
}

/* ---- raw wire ---- */

static int raw_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s",
		 getenv("XENSTORED_PATH"));
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "FAIL: connect %s: %s\n", addr.sun_path,
			strerror(errno));
		exit(1);
	}
	return fd;
}

/* Read one reply; false on EOF or after 2 s. */
static bool raw_reply(int fd, struct xsd_sockmsg *hdr, char *body, size_t size)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;

	while (got < sizeof(*hdr)) {
		ssize_t n;

		if (poll(&pfd, 1, 2000) <= 0)
			return false;
		n = read(fd, (char *)hdr + got, sizeof(*hdr) - got);
		if (n <= 0)
			return false;
		got += n;
	}
	if (hdr->len >= size)
		return false;
	for (got = 0; got < hdr->len;) {
		ssize_t n = read(fd, body + got, hdr->len - got);

		if (n <= 0)
			return false;
		got += n;
	}
	body[hdr->len] = '\0';
	return true;
}

static bool raw_send(int fd, uint32_t type, const void *body, uint32_t len)
{
	struct xsd_sockmsg hdr = { .type = type, .req_id = 7, .len = len };

	return write(fd, &hdr, sizeof(hdr)) == sizeof(hdr) &&
	       write(fd, body, len) == (ssize_t)len;
}

static bool closed_by_peer(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&pfd, 1, 2000) == 1 && read(fd, &c, 1) == 0;
}

static int test_raw(void)
{
	int good = raw_connect(), bad = raw_connect();
	struct xsd_sockmsg hdr;
	char body[XENSTORE_PAYLOAD_MAX + 1];
	static const char garbage[] = "\xff\xff\xff\x7f garbage garbage";

	check(raw_send(good, XS_WRITE, "data/raw\0v", 10) &&
	      raw_reply(good, &hdr, body, sizeof(body)) &&
	      hdr.type == XS_WRITE && hdr.req_id == 7 && !strcmp(body, "OK"),
	      "raw WRITE answered OK with the req_id echoed");

	check(raw_send(bad, 999, "x", 1) &&
	      raw_reply(bad, &hdr, body, sizeof(body)) &&
	      hdr.type == XS_ERROR && !strcmp(body, "ENOSYS"),
	      "unknown type answered ENOSYS, connection kept");
	check(raw_send(bad, XS_READ, "no-nul", 6) &&
	      raw_reply(bad, &hdr, body, sizeof(body)) &&
	      hdr.type == XS_ERROR && !strcmp(body, "EINVAL"),
	      "READ without a nul answered EINVAL");
	check(raw_send(bad, XS_READ, "/bad//path", 11) &&
	      raw_reply(bad, &hdr, body, sizeof(body)) &&
	      hdr.type == XS_ERROR && !strcmp(body, "EINVAL"),
	      "invalid path answered EINVAL");

	/* A header announcing more than XENSTORE_PAYLOAD_MAX. */
	struct xsd_sockmsg huge = { .type = XS_WRITE,
				    .len = XENSTORE_PAYLOAD_MAX + 1 };
	check(write(bad, &huge, sizeof(huge)) == sizeof(huge) &&
	      closed_by_peer(bad), "oversized message closes the connection");
	close(bad);

	bad = raw_connect();
	check(write(bad, garbage, sizeof(garbage)) == sizeof(garbage) &&
	      closed_by_peer(bad), "garbage closes the connection");
	close(bad);

	check(raw_send(good, XS_READ, "data/raw", 9) &&
	      raw_reply(good, &hdr, body, sizeof(body)) &&
	      hdr.type == XS_READ && !strcmp(body, "v"),
	      "the other connection still works");
	close(good);
	return failures ? 1 : 0;
}

static int test_slow(void)
{
	int slow = raw_connect();
	struct xs_handle *h = open_store();
	char token[16], path[64], msg[64];
	int i, watches = 100;

	/* 100 watches on /: every write queues 100 events for it. */
	for (i = 0; i < watches; i++) {
		int len = snprintf(token, sizeof(token), "t%d", i);

		memcpy(msg, "/", 2);
		memcpy(msg + 2, token, len + 1);
		if (!raw_send(slow, XS_WATCH, msg, len + 3))
			break;
	}
	check(i == watches, "slow client registered its watches");
	for (i = 0; i < 600; i++) {
		snprintf(path, sizeof(path), "/test/slow/n%d", i);
		if (!put(h, XBT_NULL, path, "some value"))
			break;
	}
	check(i == 600, "600 writes went through while it did not read (%d)",
	      i);
	/* Drain it: it must end (closed by the hub), not stream forever. */
	char buf[65536];
	size_t total = 0;
	ssize_t n = -1;
	struct pollfd pfd = { .fd = slow, .events = POLLIN };

	while (poll(&pfd, 1, 2000) == 1 &&
	       (n = read(slow, buf, sizeof(buf))) > 0)
		total += n;
	check(total < 4 * 1024 * 1024 && n == 0,
	      "the hub closed it after %zu bytes", total);
	close(slow);
	xs_close(h);
	return failures ? 1 : 0;
}

static const struct {
	const char *name;
	int (*run)(void);
} tests[] = {
	{ "txn", test_txn },
	{ "quota-nodes", test_quota_nodes },
	{ "quota-size", test_quota_size },
	{ "quota-watches", test_quota_watches },
	{ "quota-txns", test_quota_txns },
	{ "quota-txn-nodes", test_quota_txn_nodes },
	{ "quota-txn-size", test_quota_txn_size },
	{ "chown", test_chown },
	{ "big-dir", test_big_dir },
	{ "raw", test_raw },
	{ "slow", test_slow },
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: xs-client TEST (see the source)\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (!strcmp(argv[1], tests[i].name))
			return tests[i].run();
	fprintf(stderr, "xs-client: unknown test '%s'\n", argv[1]);
	return 2;
}
