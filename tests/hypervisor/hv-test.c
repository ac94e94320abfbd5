/* SPDX-License-Identifier: MIT */
/*
 * Test program for xensim's event channels and grants. It is linked
 * against Debian's real libxenevtchn/libxengnttab and run under
 * `xensim exec --domid N`, so it uses the xensim shims exactly as a program
 * on Xen would use the real ones. Processes meet through files in a
 * rendezvous directory (port and ref numbers).
 *
 *   hv-test noenv                      open fails with ENOENT, no crash
 *   hv-test local                      one-domain rules and semantics
 *   hv-test offer DIR PEER ROUNDS      ping-pong server, shares 64 pages
 *   hv-test connect DIR PEER ROUNDS [--bench MAPS]
 *   hv-test rules-granter DIR | rules-dom2 DIR | rules-dom3 DIR
 *   hv-test death-granter DIR | death-mapper DIR
 *   hv-test hostile                    malformed requests on the raw socket
 *
 * Exit 0: every check passed; 1: a check failed (the message says which).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "hv_proto.h"	/* the shims' private protocol, for "hostile" */

#define PAGE		4096
#define SHARED_PAGES	64
#define TIMEOUT_MS	10000

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			fail(__LINE__, #cond, __VA_ARGS__); \
	} while (0)

static void fail(int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hv-test:%d: check failed: %s: ", line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (errno %d %s)\n", errno, strerror(errno));
	exit(1);
}

/* ---- rendezvous files ---- */

static void put_values(const char *dir, const char *name, const uint32_t *v,
		       unsigned n)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	CHECK(f, "cannot write %s", tmp);
	for (unsigned i = 0; i < n; i++)
		fprintf(f, "%u\n", v[i]);
	CHECK(fclose(f) == 0, "cannot write %s", tmp);
	CHECK(rename(tmp, path) == 0, "cannot rename %s", tmp);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Wait up to timeout_ms for DIR/name and read n values from it. */
static void get_values_within(const char *dir, const char *name, uint32_t *v,
			      unsigned n, unsigned timeout_ms)
{
	char path[4096];
	FILE *f = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (unsigned t = 0; !f && t < timeout_ms / 10; t++) {
		f = fopen(path, "r");
		if (!f)
			sleep_ms(10);
	}
	CHECK(f, "no %s after %u ms", path, timeout_ms);
	for (unsigned i = 0; i < n; i++)
		CHECK(fscanf(f, "%u", &v[i]) == 1, "short %s", path);
	fclose(f);
}

static void get_values(const char *dir, const char *name, uint32_t *v,
		       unsigned n)
{
	get_values_within(dir, name, v, n, TIMEOUT_MS);
}

static void wait_file(const char *dir, const char *name)
{
	get_values(dir, name, NULL, 0);
}

/* ---- event channel helpers ---- */

static bool readable(xenevtchn_handle *xce, int timeout_ms)
{
	struct pollfd pfd = { .fd = xenevtchn_fd(xce), .events = POLLIN };

	return poll(&pfd, 1, timeout_ms) == 1 && (pfd.revents & POLLIN);
}

/* Wait for the next event, check it is on port, unmask it. */
static void expect_event(xenevtchn_handle *xce, evtchn_port_t port)
{
	for (;;) {
		int p;

		CHECK(readable(xce, TIMEOUT_MS), "no event on port %u", port);
		p = xenevtchn_pending(xce);
		if (p < 0 && errno == EAGAIN)
			continue;	/* woken for a masked port */
		CHECK(p == (int)port, "event on port %d, expected %u", p, port);
		CHECK(xenevtchn_unmask(xce, port) == 0, "unmask %u", port);
		return;
	}
}

static void expect_no_event(xenevtchn_handle *xce, const char *why)
{
	CHECK(!readable(xce, 50), "unexpected event: %s", why);
}

static xenevtchn_handle *evtchn_open(void)
{
	xenevtchn_handle *xce = xenevtchn_open(NULL, 0);

	CHECK(xce, "xenevtchn_open");
	return xce;
}

static uint32_t my_domid(void)
{
	const char *s = getenv("XENSIM_DOMID");

	CHECK(s, "XENSIM_DOMID is not set: run under xensim exec");
	return (uint32_t)atoi(s);
}

/* ---- noenv ---- */

static int cmd_noenv(void)
{
	unsetenv("XENSIM_DIR");
	unsetenv("XENSIM_DOMID");
	errno = 0;
	CHECK(!xenevtchn_open(NULL, 0) && errno == ENOENT, "evtchn open");
	errno = 0;
	CHECK(!xengnttab_open(NULL, 0) && errno == ENOENT, "gnttab open");
	errno = 0;
	CHECK(!xengntshr_open(NULL, 0) && errno == ENOENT, "gntshr open");
	return 0;
}

/* ---- local: everything one domain can check alone ---- */

static void local_unsupported(xenevtchn_handle *xce, xengnttab_handle *xgt)
{
	xengnttab_grant_copy_segment_t seg = { 0 };
	uint32_t ref = 8, fd;

	errno = 0;
	CHECK(xenevtchn_bind_virq(xce, 0) == -1 && errno == ENOSYS, "virq");
	errno = 0;
	CHECK(!xenevtchn_fdopen(NULL, 0, 0) && errno == ENOSYS, "fdopen");
	CHECK(xengnttab_grant_copy(xgt, 1, &seg) == -1 && errno == ENOSYS,
	      "grant_copy");
	CHECK(xengnttab_dmabuf_exp_from_refs(xgt, 0, 0, 1, &ref, &fd) == -1 &&
	      errno == ENOSYS, "dmabuf_exp_from_refs");
	CHECK(xengnttab_dmabuf_exp_wait_released(xgt, 0, 0) == -1 &&
	      errno == ENOSYS, "dmabuf_exp_wait_released");
	CHECK(xengnttab_dmabuf_imp_to_refs(xgt, 0, 0, 1, &ref) == -1 &&
	      errno == ENOSYS, "dmabuf_imp_to_refs");
	CHECK(xengnttab_dmabuf_imp_release(xgt, 0) == -1 && errno == ENOSYS,
	      "dmabuf_imp_release");
	CHECK(xengnttab_set_max_grants(xgt, 128) == 0, "set_max_grants");
	CHECK(xengnttab_fd(xgt) >= 0, "xengnttab_fd");
}

/* Two handles of this domain connected to each other: a at pa, b at pb. */
static void local_connect(xenevtchn_handle *a, xenevtchn_handle *b,
			  evtchn_port_t *pa, evtchn_port_t *pb)
{
	int p = xenevtchn_bind_unbound_port(a, my_domid());

	CHECK(p > 0, "bind_unbound_port(self)");
	*pa = (evtchn_port_t)p;
	p = xenevtchn_bind_interdomain(b, my_domid(), *pa);
	CHECK(p > 0 && (evtchn_port_t)p != *pa, "bind_interdomain(self)");
	*pb = (evtchn_port_t)p;
	/* Xen raises a freshly bound interdomain port. */
	expect_event(b, *pb);
	expect_no_event(a, "a got an event from b's bind");
}

static void local_events(void)
{
	xenevtchn_handle *a = evtchn_open(), *b = evtchn_open();
	xenevtchn_handle *c = evtchn_open();
	evtchn_port_t pa, pb;
	int p;

	local_connect(a, b, &pa, &pb);
	/* Delivery both ways. */
	CHECK(xenevtchn_notify(a, pa) == 0, "notify a");
	expect_event(b, pb);
	CHECK(xenevtchn_notify(b, pb) == 0, "notify b");
	expect_event(a, pa);
	/* Two notifies before delivery coalesce into one event. */
	CHECK(xenevtchn_notify(a, pa) == 0 && xenevtchn_notify(a, pa) == 0,
	      "notify twice");
	expect_event(b, pb);
	expect_no_event(b, "a second event for two coalesced notifies");
	/* pending() masks the port until unmask. */
	CHECK(xenevtchn_notify(a, pa) == 0, "notify");
	CHECK(readable(b, TIMEOUT_MS), "notify did not wake b");
	CHECK(xenevtchn_pending(b) == (int)pb, "pending");
	CHECK(xenevtchn_notify(a, pa) == 0, "notify while masked");
	expect_no_event(b, "event delivered while masked");
	CHECK(xenevtchn_unmask(b, pb) == 0, "unmask");
	expect_event(b, pb);	/* the held event arrives on unmask */
	/* Only the handle that bound a port may use it. */
	errno = 0;
	CHECK(xenevtchn_notify(a, pb) == -1 && errno == ENOTCONN,
	      "notify on another handle's port");
	CHECK(xenevtchn_notify(c, 77) == -1 && errno == ENOTCONN,
	      "notify on an unbound port");
	CHECK(xenevtchn_unbind(c, pa) == -1 && errno == ENOTCONN,
	      "unbind another handle's port");
	/* A port is bound once. */
	CHECK(xenevtchn_bind_interdomain(c, my_domid(), pa) == -1,
	      "bind_interdomain to a connected port");
	/* restrict(): once, and then no unbound ports, only that domain. */
	CHECK(xenevtchn_restrict(c, 7) == 0, "restrict");
	CHECK(xenevtchn_restrict(c, 8) == -1, "restrict twice");
	errno = 0;
	CHECK(xenevtchn_bind_unbound_port(c, 7) == -1 && errno == EACCES,
	      "bind_unbound_port on a restricted handle");
	p = xenevtchn_bind_unbound_port(a, my_domid());
	CHECK(p > 0, "bind_unbound_port");
	/* Xen drops a notify on a port nobody has bound to yet. */
	CHECK(xenevtchn_notify(a, (evtchn_port_t)p) == 0,
	      "notify on an unbound (reserved) port");
	expect_no_event(a, "event from a port with no remote end");
	errno = 0;
	CHECK(xenevtchn_bind_interdomain(c, my_domid(), (evtchn_port_t)p) ==
	      -1 && errno == EACCES, "bind_interdomain outside restriction");
	CHECK(xenevtchn_unbind(a, (evtchn_port_t)p) == 0, "unbind unbound");
	/* Closing one end: the other sees an event, then its notifies are
	 * dropped (Xen: the port is unbound again). */
	CHECK(xenevtchn_unbind(a, pa) == 0, "unbind a");
	expect_event(b, pb);
	CHECK(xenevtchn_notify(b, pb) == 0, "notify on a closed port");
	expect_no_event(a, "event through a closed port");
	errno = 0;
	CHECK(xenevtchn_notify(a, pa) == -1 && errno == ENOTCONN,
	      "notify after unbind");
	CHECK(xenevtchn_unbind(a, pa) == -1 && errno == ENOTCONN,
	      "unbind twice");
	/* The closed port is unbound, reserved for our domain: we can bind to
	 * it again, as on Xen. */
	p = xenevtchn_bind_interdomain(a, my_domid(), pb);
	CHECK(p > 0, "rebind to a closed port");
	expect_event(a, (evtchn_port_t)p);
	CHECK(xenevtchn_notify(b, pb) == 0, "notify after rebind");
	expect_event(a, (evtchn_port_t)p);
	CHECK(xenevtchn_close(c) == 0 && xenevtchn_close(b) == 0 &&
	      xenevtchn_close(a) == 0, "close");
}

static void fill(void *p, uint8_t v, size_t len)
{
	memset(p, v, len);
}

static bool all(const void *p, uint8_t v, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		if (b[i] != v)
			return false;
	return true;
}

static void local_grants(void)
{
	xengntshr_handle *xgs = xengntshr_open(NULL, 0);
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	xenevtchn_handle *a = evtchn_open(), *b = evtchn_open();
	uint32_t refs[2], ref;
	evtchn_port_t pa, pb;
	uint8_t *share, *map;

	CHECK(xgs && xgt, "open gntshr/gnttab");
	local_connect(a, b, &pa, &pb);
	share = xengntshr_share_pages(xgs, my_domid(), 2, refs, 1);
	CHECK(share, "share 2 pages");
	CHECK(all(share, 0, 2 * PAGE), "shared pages are not zeroed");
	CHECK(refs[0] >= 8 && refs[1] >= 8 && refs[0] != refs[1],
	      "refs %u %u (0..7 are reserved)", refs[0], refs[1]);
	fill(share, 0x11, PAGE);
	fill(share + PAGE, 0x22, PAGE);
	map = xengnttab_map_domain_grant_refs(xgt, 2, my_domid(), refs,
					      PROT_READ | PROT_WRITE);
	CHECK(map, "map 2 pages");
	CHECK(all(map, 0x11, PAGE) && all(map + PAGE, 0x22, PAGE),
	      "mapped pages are not the shared ones, contiguously");
	map[5] = 0x33;
	CHECK(share[5] == 0x33, "write through the mapping not shared");
	errno = 0;
	CHECK(xengnttab_unmap(xgt, map, 1) == -1 && errno == EINVAL,
	      "unmap with a wrong count");
	CHECK(xengnttab_unmap(xgt, map + PAGE, 1) == -1, "unmap mid-range");
	CHECK(xengnttab_unmap(xgt, map, 2) == 0, "unmap");
	/* Unmap notification of a mapper: clear the byte, notify the port. */
	map = xengnttab_map_grant_ref_notify(xgt, my_domid(), refs[0],
					     PROT_READ | PROT_WRITE, 100, pa);
	CHECK(map, "map_grant_ref_notify");
	share[100] = 0xff;
	CHECK(xengnttab_unmap(xgt, map, 1) == 0, "unmap with notify");
	CHECK(share[100] == 0, "notify byte not cleared on unmap");
	expect_event(b, pb);
	CHECK(xengntshr_unshare(xgs, share, 2) == 0, "unshare");
	/* Unshare notification of a sharer, and Xen's lifetime: the mapper
	 * keeps the page after the grant is gone; the ref no longer maps. */
	share = xengntshr_share_page_notify(xgs, my_domid(), &ref, 1, 200, pa);
	CHECK(share, "share_page_notify");
	map = xengnttab_map_grant_ref(xgt, my_domid(), ref, PROT_READ);
	CHECK(map, "map");
	share[200] = 0xee;
	share[201] = 0xdd;
	CHECK(xengntshr_unshare(xgs, share, 1) == 0, "unshare with notify");
	expect_event(b, pb);
	CHECK(map[200] == 0 && map[201] == 0xdd,
	      "notify byte not cleared or page lost after unshare");
	errno = 0;
	CHECK(!xengnttab_map_grant_ref(xgt, my_domid(), ref, PROT_READ),
	      "a revoked ref mapped");
	CHECK(xengnttab_unmap(xgt, map, 1) == 0, "unmap after unshare");
	CHECK(xengntshr_unshare(xgs, share, 1) == -1, "unshare twice");
	xenevtchn_close(a);
	xenevtchn_close(b);
	xengnttab_close(xgt);
	xengntshr_close(xgs);
}

/* A share bigger than one map request: the shim maps it in chunks, all
 * contiguous. Over the per-share limit, sharing fails cleanly. */
static void local_big_grants(void)
{
	enum { N = 2 * HV_MAX_MAP_PAGES + 44 };
	xengntshr_handle *xgs = xengntshr_open(NULL, 0);
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	static uint32_t refs[HV_MAX_SHARE_PAGES + 1];
	uint8_t *share, *map;

	CHECK(xgs && xgt, "open gntshr/gnttab");
	share = xengntshr_share_pages(xgs, my_domid(), N, refs, 0);
	CHECK(share, "share %d pages", N);
	for (unsigned i = 0; i < N; i++)
		share[(size_t)i * PAGE + i % PAGE] = (uint8_t)(i | 1);
	map = xengnttab_map_domain_grant_refs(xgt, N, my_domid(), refs,
					      PROT_READ);
	CHECK(map, "map %d pages", N);
	for (unsigned i = 0; i < N; i++)
		CHECK(map[(size_t)i * PAGE + i % PAGE] == (uint8_t)(i | 1),
		      "page %u of a chunked map", i);
	CHECK(xengnttab_unmap(xgt, map, N) == 0, "unmap");
	CHECK(xengntshr_unshare(xgs, share, N) == 0, "unshare");
	errno = 0;
	CHECK(!xengntshr_share_pages(xgs, my_domid(), HV_MAX_SHARE_PAGES + 1,
				     refs, 1) && errno == EINVAL,
	      "a share over the limit");
	share = xengntshr_share_pages(xgs, my_domid(), HV_MAX_SHARE_PAGES,
				      refs, 1);
	CHECK(share, "a share of %d pages", HV_MAX_SHARE_PAGES);
	CHECK(xengntshr_unshare(xgs, share, HV_MAX_SHARE_PAGES) == 0,
	      "unshare");
	xengnttab_close(xgt);
	xengntshr_close(xgs);
}

/* A mapper that dies without unmapping still clears its notify byte and
 * notifies its port, as Linux's gntdev does when the process exits. */
static void local_mapper_death(void)
{
	xengntshr_handle *xgs = xengntshr_open(NULL, 0);
	xenevtchn_handle *b = evtchn_open();
	uint32_t ref;
	int pb, status;
	volatile uint8_t *share;
	pid_t pid;

	CHECK(xgs, "gntshr open");
	share = xengntshr_share_pages(xgs, my_domid(), 1, &ref, 1);
	CHECK(share, "share");
	share[300] = 0xab;
	pb = xenevtchn_bind_unbound_port(b, my_domid());
	CHECK(pb > 0, "bind_unbound_port");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		xengnttab_handle *xgt = xengnttab_open(NULL, 0);
		xenevtchn_handle *a = xenevtchn_open(NULL, 0);
		int pa = a ? xenevtchn_bind_interdomain(a, my_domid(),
						       (evtchn_port_t)pb) : -1;

		if (!xgt || pa < 0 ||
		    !xengnttab_map_grant_ref_notify(xgt, my_domid(), ref,
						    PROT_READ | PROT_WRITE,
						    300, (evtchn_port_t)pa))
			_exit(1);
		_exit(0);	/* without unmapping or closing anything */
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "the mapping child failed");
	expect_event(b, (evtchn_port_t)pb);
	/* The event may come from the child's closed event channel, which
	 * the hub can see go before its grant handle: give it time. */
	for (unsigned t = 0; share[300] != 0 && t < TIMEOUT_MS / 10; t++)
		sleep_ms(10);
	CHECK(share[300] == 0, "a dead mapper's notify byte was not cleared");
	xengntshr_unshare(xgs, (void *)share, 1);
	xenevtchn_close(b);
	xengntshr_close(xgs);
}

static int cmd_local(void)
{
	xenevtchn_handle *xce = evtchn_open();
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);

	CHECK(xgt, "xengnttab_open");
	local_unsupported(xce, xgt);
	xengnttab_close(xgt);
	xenevtchn_close(xce);
	local_events();
	local_grants();
	local_big_grants();
	local_mapper_death();
	return 0;
}

/* ---- ping-pong between two domains ---- */

struct pingpong_page {
	volatile uint32_t ping;
	volatile uint32_t pong;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmd_offer(const char *dir, uint32_t peer, uint32_t rounds)
{
	xenevtchn_handle *xce = evtchn_open();
	xengntshr_handle *xgs = xengntshr_open(NULL, 0);
	uint32_t offer[1 + 2 * SHARED_PAGES];
	void *single[SHARED_PAGES];
	struct pingpong_page *pp;
	uint8_t *pages;
	int port;

	CHECK(xgs, "gntshr open");
	/* 64 pages in one share, and 64 shares of one page each (a granter
	 * that grants page by page). */
	for (unsigned i = 0; i < SHARED_PAGES; i++) {
		single[i] = xengntshr_share_pages(xgs, peer, 1,
						  &offer[1 + SHARED_PAGES + i], 1);
		CHECK(single[i], "share page %u", i);
	}
	port = xenevtchn_bind_unbound_port(xce, peer);
	CHECK(port > 0, "bind_unbound_port(%u)", peer);
	pages = xengntshr_share_pages(xgs, peer, SHARED_PAGES, offer + 1, 1);
	CHECK(pages, "share %d pages", SHARED_PAGES);
	for (unsigned i = 1; i < SHARED_PAGES; i++)
		fill(pages + i * PAGE, (uint8_t)i, PAGE);
	offer[0] = (uint32_t)port;
	put_values(dir, "offer", offer, 1 + 2 * SHARED_PAGES);
	pp = (struct pingpong_page *)pages;
	for (uint32_t i = 1; i <= rounds; i++) {
		expect_event(xce, (evtchn_port_t)port);
		CHECK(pp->ping == i, "ping %u, expected %u", pp->ping, i);
		pp->pong = i;
		CHECK(xenevtchn_notify(xce, (evtchn_port_t)port) == 0, "notify");
	}
	/* The connector may still be benchmarking maps of our pages. */
	get_values_within(dir, "connector-done", NULL, 0, 100000);
	CHECK(xengntshr_unshare(xgs, pages, SHARED_PAGES) == 0, "unshare");
	for (unsigned i = 0; i < SHARED_PAGES; i++)
		CHECK(xengntshr_unshare(xgs, single[i], 1) == 0, "unshare");
	xengntshr_close(xgs);
	xenevtchn_close(xce);
	return 0;
}

/* The same number of round trips through two pipes and a child process. */
static double pipe_pingpong(uint32_t rounds)
{
	int there[2], back[2];
	uint32_t v;
	double t0;
	pid_t pid;

	CHECK(pipe(there) == 0 && pipe(back) == 0, "pipe");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(there[1]);
		close(back[0]);
		while (read(there[0], &v, sizeof(v)) == sizeof(v))
			if (write(back[1], &v, sizeof(v)) != sizeof(v))
				_exit(1);
		_exit(0);
	}
	close(there[0]);
	close(back[1]);
	t0 = now();
	for (uint32_t i = 1; i <= rounds; i++) {
		CHECK(write(there[1], &i, sizeof(i)) == sizeof(i), "pipe write");
		CHECK(read(back[0], &v, sizeof(v)) == sizeof(v) && v == i,
		      "pipe read");
	}
	t0 = now() - t0;
	close(there[1]);
	close(back[0]);
	waitpid(pid, NULL, 0);
	return t0;
}

static void bench_maps(uint32_t peer, const uint32_t *refs, uint32_t maps,
		       const char *what)
{
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	double t0;

	CHECK(xgt, "gnttab open");
	t0 = now();
	for (uint32_t i = 0; i < maps; i++) {
		uint8_t *m = xengnttab_map_domain_grant_refs(
			xgt, SHARED_PAGES, peer, (uint32_t *)refs,
			PROT_READ | PROT_WRITE);

		CHECK(m, "map %d pages", SHARED_PAGES);
		CHECK(xengnttab_unmap(xgt, m, SHARED_PAGES) == 0, "unmap");
	}
	t0 = now() - t0;
	printf("grant map+unmap of %d pages (%s): %.1f us per map+unmap "
	       "(%.2f us per page), %u iterations\n", SHARED_PAGES, what,
	       t0 / maps * 1e6, t0 / maps / SHARED_PAGES * 1e6, maps);
	xengnttab_close(xgt);
}

static int cmd_connect(const char *dir, uint32_t peer, uint32_t rounds,
		       uint32_t bench_maps_n)
{
	xenevtchn_handle *xce = evtchn_open();
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	uint32_t offer[1 + 2 * SHARED_PAGES];
	struct pingpong_page *pp;
	uint8_t *pages;
	double t0;
	int port;

	CHECK(xgt, "gnttab open");
	get_values(dir, "offer", offer, 1 + 2 * SHARED_PAGES);
	port = xenevtchn_bind_interdomain(xce, peer, offer[0]);
	CHECK(port > 0, "bind_interdomain(%u, %u)", peer, offer[0]);
	expect_event(xce, (evtchn_port_t)port);	/* raised by the bind */
	pages = xengnttab_map_domain_grant_refs(xgt, SHARED_PAGES, peer,
						offer + 1,
						PROT_READ | PROT_WRITE);
	CHECK(pages, "map %d pages of dom%u", SHARED_PAGES, peer);
	for (unsigned i = 1; i < SHARED_PAGES; i++)
		CHECK(all(pages + i * PAGE, (uint8_t)i, PAGE),
		      "page %u holds the wrong data", i);
	pp = (struct pingpong_page *)pages;
	t0 = now();
	for (uint32_t i = 1; i <= rounds; i++) {
		pp->ping = i;
		CHECK(xenevtchn_notify(xce, (evtchn_port_t)port) == 0, "notify");
		expect_event(xce, (evtchn_port_t)port);
		CHECK(pp->pong == i, "pong %u, expected %u", pp->pong, i);
	}
	t0 = now() - t0;
	CHECK(xengnttab_unmap(xgt, pages, SHARED_PAGES) == 0, "unmap");
	if (bench_maps_n) {
		double tp = pipe_pingpong(rounds);

		printf("event channel round trip: %.2f us (%u round trips)\n",
		       t0 / rounds * 1e6, rounds);
		printf("pipe round trip (reference): %.2f us\n",
		       tp / rounds * 1e6);
		bench_maps(peer, offer + 1, bench_maps_n, "one share");
		bench_maps(peer, offer + 1 + SHARED_PAGES, bench_maps_n,
			   "64 one-page shares");
	}
	put_values(dir, "connector-done", NULL, 0);
	xengnttab_close(xgt);
	xenevtchn_close(xce);
	return 0;
}

/* ---- denials across domains ---- */

enum { RULE_RW, RULE_RO, RULE_REVOKED, RULE_PORT2, RULE_PORT3, RULE_N };

static int cmd_rules_granter(const char *dir)
{
	xenevtchn_handle *xce = evtchn_open();
	xengntshr_handle *xgs = xengntshr_open(NULL, 0);
	uint32_t v[RULE_N];
	uint8_t *rw, *ro, *gone;
	int p2, p3;

	CHECK(xgs, "gntshr open");
	rw = xengntshr_share_pages(xgs, 2, 1, &v[RULE_RW], 1);
	ro = xengntshr_share_pages(xgs, 2, 1, &v[RULE_RO], 0);
	gone = xengntshr_share_pages(xgs, 2, 1, &v[RULE_REVOKED], 1);
	CHECK(rw && ro && gone, "share");
	fill(rw, 0xa5, PAGE);
	fill(ro, 0x5a, PAGE);
	CHECK(xengntshr_unshare(xgs, gone, 1) == 0, "unshare");
	p2 = xenevtchn_bind_unbound_port(xce, 2);
	p3 = xenevtchn_bind_unbound_port(xce, 3);
	CHECK(p2 > 0 && p3 > 0, "bind_unbound_port");
	v[RULE_PORT2] = (uint32_t)p2;
	v[RULE_PORT3] = (uint32_t)p3;
	put_values(dir, "rules", v, RULE_N);
	wait_file(dir, "dom2-done");
	CHECK(rw[0] == 0x42, "dom2's write through its mapping is missing");
	xengntshr_close(xgs);
	xenevtchn_close(xce);
	return 0;
}

static void *map1(xengnttab_handle *xgt, uint32_t domid, uint32_t ref,
		  int prot)
{
	errno = 0;
	return xengnttab_map_grant_ref(xgt, domid, ref, prot);
}

static int cmd_rules_dom3(const char *dir)
{
	xenevtchn_handle *xce = evtchn_open();
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	uint32_t v[RULE_N];

	CHECK(xgt, "gnttab open");
	get_values(dir, "rules", v, RULE_N);
	CHECK(!map1(xgt, 1, v[RULE_RW], PROT_READ | PROT_WRITE) &&
	      errno == EPERM, "dom3 mapped a grant made to dom2");
	CHECK(!map1(xgt, 1, v[RULE_RO], PROT_READ) && errno == EPERM,
	      "dom3 mapped a read-only grant made to dom2");
	errno = 0;
	CHECK(xenevtchn_bind_interdomain(xce, 1, v[RULE_PORT2]) == -1 &&
	      errno == EINVAL, "dom3 bound a port reserved for dom2");
	CHECK(xenevtchn_bind_interdomain(xce, 1, v[RULE_PORT3]) > 0,
	      "dom3 cannot bind the port reserved for it");
	xengnttab_close(xgt);
	xenevtchn_close(xce);
	return 0;
}

static void rules_dom2_grants(xengnttab_handle *xgt, const uint32_t *v)
{
	uint32_t domids[2] = { 1, 1 }, refs[2] = { v[RULE_RW], v[RULE_REVOKED] };
	uint8_t *m;

	CHECK(!map1(xgt, 1, v[RULE_RO], PROT_READ | PROT_WRITE) &&
	      errno == EPERM, "a read-only grant mapped writable");
	m = map1(xgt, 1, v[RULE_RO], PROT_READ);
	CHECK(m && all(m, 0x5a, PAGE), "read-only grant, mapped read-only");
	CHECK(mprotect(m, PAGE, PROT_READ | PROT_WRITE) == -1,
	      "a read-only mapping turned writable");
	CHECK(xengnttab_unmap(xgt, m, 1) == 0, "unmap");
	CHECK(!map1(xgt, 1, v[RULE_REVOKED], PROT_READ) && errno == EINVAL,
	      "a revoked grant mapped");
	CHECK(!map1(xgt, 1, 0, PROT_READ) && errno == EINVAL, "ref 0 mapped");
	CHECK(!map1(xgt, 1, 7, PROT_READ), "a reserved ref mapped");
	CHECK(!map1(xgt, 1, 99999, PROT_READ), "a never granted ref mapped");
	CHECK(!map1(xgt, 9, v[RULE_RW], PROT_READ) && errno == ESRCH,
	      "a ref of a domain that does not exist mapped");
	errno = 0;
	CHECK(!xengnttab_map_grant_refs(xgt, 2, domids, refs, PROT_READ),
	      "a batch with one revoked ref mapped");
	m = map1(xgt, 1, v[RULE_RW], PROT_READ | PROT_WRITE);
	CHECK(m && all(m, 0xa5, PAGE), "read-write grant");
	m[0] = 0x42;
	errno = 0;
	CHECK(xengnttab_unmap(xgt, m + 1, 1) == -1 && errno == EINVAL,
	      "unmap of a wrong address");
	CHECK(xengnttab_unmap(xgt, m, 1) == 0, "unmap");
}

static void rules_dom2_events(xenevtchn_handle *xce, const uint32_t *v)
{
	int port;

	errno = 0;
	CHECK(xenevtchn_bind_interdomain(xce, 1, v[RULE_PORT3]) == -1 &&
	      errno == EINVAL, "dom2 bound a port reserved for dom3");
	CHECK(xenevtchn_bind_interdomain(xce, 1, 4000) == -1 &&
	      errno == EINVAL, "dom2 bound a free port");
	CHECK(xenevtchn_bind_interdomain(xce, 1, 0) == -1, "bound port 0");
	CHECK(xenevtchn_bind_interdomain(xce, 9, 1) == -1 && errno == ESRCH,
	      "bound to a domain that does not exist");
	port = xenevtchn_bind_interdomain(xce, 1, v[RULE_PORT2]);
	CHECK(port > 0, "dom2 cannot bind the port reserved for it");
	CHECK(xenevtchn_bind_interdomain(xce, 1, v[RULE_PORT2]) == -1,
	      "a port bound twice");
	errno = 0;
	CHECK(xenevtchn_notify(xce, (evtchn_port_t)port + 77) == -1 &&
	      errno == ENOTCONN, "notify on an unbound port");
	CHECK(xenevtchn_notify(xce, (evtchn_port_t)port) == 0, "notify");
}

static int cmd_rules_dom2(const char *dir)
{
	xenevtchn_handle *xce = evtchn_open();
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	uint32_t v[RULE_N];

	CHECK(xgt, "gnttab open");
	get_values(dir, "rules", v, RULE_N);
	rules_dom2_grants(xgt, v);
	rules_dom2_events(xce, v);
	put_values(dir, "dom2-done", NULL, 0);
	xengnttab_close(xgt);
	xenevtchn_close(xce);
	return 0;
}

/* ---- domain death ---- */

static int cmd_death_granter(const char *dir)
{
	xenevtchn_handle *xce = evtchn_open();
	xengntshr_handle *xgs = xengntshr_open(NULL, 0);
	uint32_t v[3];
	uint8_t *page;
	int port;

	CHECK(xgs, "gntshr open");
	port = xenevtchn_bind_unbound_port(xce, 2);
	CHECK(port > 0, "bind_unbound_port");
	page = xengntshr_share_pages(xgs, 2, 1, &v[1], 1);
	CHECK(page, "share");
	fill(page, 0x77, PAGE);
	CHECK(xengntshr_share_pages(xgs, 2, 1, &v[2], 1), "share");
	v[0] = (uint32_t)port;
	put_values(dir, "death", v, 3);
	/* Wait to be killed; the domain dies under us first. */
	pause();
	return 0;
}

static int cmd_death_mapper(const char *dir)
{
	xenevtchn_handle *xce = evtchn_open();
	xengnttab_handle *xgt = xengnttab_open(NULL, 0);
	uint32_t v[3];
	uint8_t *page;
	int port;

	CHECK(xgt, "gnttab open");
	get_values(dir, "death", v, 3);
	port = xenevtchn_bind_interdomain(xce, 1, v[0]);
	CHECK(port > 0, "bind_interdomain");
	expect_event(xce, (evtchn_port_t)port);
	page = map1(xgt, 1, v[1], PROT_READ | PROT_WRITE);
	CHECK(page && all(page, 0x77, PAGE), "map");
	CHECK(xenevtchn_notify(xce, (evtchn_port_t)port) == 0, "notify");
	put_values(dir, "mapped", NULL, 0);
	wait_file(dir, "destroyed");
	/* The peer's death shows as an event on our port, which is closed:
	 * notifies are dropped. */
	expect_event(xce, (evtchn_port_t)port);
	CHECK(xenevtchn_notify(xce, (evtchn_port_t)port) == 0,
	      "notify on a port whose peer died");
	expect_no_event(xce, "event on a closed port");
	/* The mapped page outlives its granter; its other grant is gone. */
	CHECK(all(page, 0x77, PAGE), "the mapped page lost its contents");
	page[0] = 1;
	CHECK(!map1(xgt, 1, v[2], PROT_READ), "a dead domain's grant mapped");
	CHECK(xengnttab_unmap(xgt, page, 1) == 0, "unmap");
	xengnttab_close(xgt);
	xenevtchn_close(xce);
	return 0;
}

/* ---- a hostile client: the hub answers or hangs up, never crashes ---- */

static int raw_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	CHECK(fd >= 0, "socket");
	snprintf(addr.sun_path, sizeof(addr.sun_path),
		 "%s/dom%u/hypervisor.sock", getenv("XENSIM_DIR"), my_domid());
	CHECK(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0,
	      "connect %s", addr.sun_path);
	return fd;
}

/* Send len bytes of msg (and fd if >= 0); return the hub's result, or 1
 * if it hung up. */
static int raw_call(int sock, const void *msg, size_t len, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct { struct hv_rsp rsp; char tail[HV_MAX_TAIL]; } in;
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *c;

		m.msg_control = control.buf;
		m.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sock, &m, MSG_NOSIGNAL) < 0)
		return 1;
	n = recv(sock, &in, sizeof(in), 0);
	if (n <= 0)
		return 1;
	CHECK((size_t)n >= sizeof(in.rsp), "short answer");
	return in.rsp.result;
}

static int raw_req(int sock, struct hv_req req, int fd)
{
	return raw_call(sock, &req, sizeof(req), fd);
}

static int cmd_hostile(void)
{
	static char big[HV_MAX_MSG + 4096];
	int sock = raw_connect(), fd;
	struct hv_req unsealed = { .op = HV_OP_GNT_SHARE, .count = 1,
				   .domid = 0 };

	CHECK(raw_req(sock, (struct hv_req){ .op = 999 }, -1) == -ENOSYS,
	      "unknown op");
	CHECK(raw_req(sock, (struct hv_req){ .op = HV_OP_EVTCHN_BIND_UNBOUND },
		      -1) == -EBADF, "bind before open");
	CHECK(raw_req(sock, unsealed, -1) == -EINVAL, "share without memfd");
	fd = memfd_create("unsealed", MFD_CLOEXEC);
	CHECK(fd >= 0 && ftruncate(fd, PAGE) == 0, "memfd");
	CHECK(raw_req(sock, unsealed, fd) == -EINVAL,
	      "a memfd its sharer can still shrink was accepted");
	close(fd);
	CHECK(raw_req(sock, (struct hv_req){ .op = HV_OP_GNT_MAP, .count = 3 },
		      -1) == -EINVAL, "map with a missing tail");
	CHECK(raw_req(sock, (struct hv_req){ .op = HV_OP_GNT_UNMAP_NOTIFY,
					     .id = 12345 }, -1) == -EINVAL,
	      "unmap notify of a record that is not ours");
	CHECK(raw_req(sock, (struct hv_req){ .op = HV_OP_EVTCHN_OPEN }, -1) == 0,
	      "open");
	CHECK(raw_req(sock, (struct hv_req){ .op = HV_OP_EVTCHN_OPEN }, -1) ==
	      -EBUSY, "second open on one connection");
	CHECK(raw_req(sock, (struct hv_req){ .op = HV_OP_EVTCHN_PEER,
					     .port = 99999 }, -1) == -ENOTCONN,
	      "peer of a port out of range");
	/* Garbage: the hub hangs up on this connection only. */
	CHECK(raw_call(sock, "xyz", 3, -1) == 1, "a 3-byte request answered");
	close(sock);
	sock = raw_connect();
	CHECK(raw_call(sock, big, sizeof(big), -1) == 1,
	      "an oversized request answered");
	close(sock);
	/* And the hub still serves. */
	xenevtchn_close(evtchn_open());
	return 0;
}

static uint32_t num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || v > UINT32_MAX) {
		fprintf(stderr, "hv-test: '%s' is not a number\n", s);
		exit(2);
	}
	return (uint32_t)v;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "noenv") && argc == 2)
		return cmd_noenv();
	if (!strcmp(cmd, "local") && argc == 2)
		return cmd_local();
	if (!strcmp(cmd, "hostile") && argc == 2)
		return cmd_hostile();
	if (!strcmp(cmd, "offer") && argc == 5)
		return cmd_offer(argv[2], num(argv[3]), num(argv[4]));
	if (!strcmp(cmd, "connect") && argc == 5)
		return cmd_connect(argv[2], num(argv[3]), num(argv[4]), 0);
	if (!strcmp(cmd, "connect") && argc == 7 && !strcmp(argv[5], "--bench"))
		return cmd_connect(argv[2], num(argv[3]), num(argv[4]),
				   num(argv[6]));
	if (!strcmp(cmd, "rules-granter") && argc == 3)
		return cmd_rules_granter(argv[2]);
	if (!strcmp(cmd, "rules-dom2") && argc == 3)
		return cmd_rules_dom2(argv[2]);
	if (!strcmp(cmd, "rules-dom3") && argc == 3)
		return cmd_rules_dom3(argv[2]);
	if (!strcmp(cmd, "death-granter") && argc == 3)
		return cmd_death_granter(argv[2]);
	if (!strcmp(cmd, "death-mapper") && argc == 3)
		return cmd_death_mapper(argv[2]);
	fprintf(stderr, "usage: see the comment at the top of hv-test.c\n");
	return 2;
}
