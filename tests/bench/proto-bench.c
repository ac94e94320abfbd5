/* SPDX-License-Identifier: MIT */
/*
 * proto-bench: what the sndif protocol costs per operation, over libxensnd
 * and xensim's event channels and grants, against pipes in the same run.
 * Two processes in two domains (run each under `xensim exec --domid N`,
 * as tests/hypervisor does), meeting through files in a directory:
 *
 *   proto-bench back DIR FRONT-DOMID     the backend end: answers every
 *                                        request; after a TRIGGER START it
 *                                        sends CUR_POS events until CLOSE
 *   proto-bench front DIR BACK-DOMID ROUNDS
 *
 * The front measures ROUNDS WRITE round trips (request posted and
 * notified -> response taken), then ROUNDS CUR_POS deliveries (the event's
 * position carries the backend's CLOCK_MONOTONIC send time; both ends
 * share the clock), then the same with two pipes and a child process: a
 * round trip, and a one-way write with its send time. Prints one line per
 * figure: "NAME mean_us=M p50_us=P p99_us=Q".
 * Exit: 0 done, 1 a step failed (the message says which), 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xensnd/channel.h>
#include <xensnd/ring.h>

#define TIMEOUT_MS	5000
#define MAX_ROUNDS	1000000u
#define EVENT_GAP_US	200	/* between CUR_POS events: each is delivered alone */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int die(const char *what, int err)
{
	fprintf(stderr, "proto-bench: %s: %s\n", what, strerror(err));
	return 1;
}

/* ---- figures ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *ns, uint32_t n)
{
	double sum = 0;

	qsort(ns, n, sizeof(*ns), cmp_u64);
	for (uint32_t i = 0; i < n; i++)
		sum += (double)ns[i];
	printf("%s mean_us=%.2f p50_us=%.2f p99_us=%.2f\n", name, sum / n / 1e3,
	       (double)ns[n / 2] / 1e3, (double)ns[(uint64_t)n * 99 / 100] / 1e3);
}

/* ---- rendezvous: the front's stream keys, the back's readiness ---- */

static int put_file(const char *dir, const char *name, const char *text)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(tmp, "w");
	if (f == NULL)
		return -errno;
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -errno;
	return 0;
}

/* Wait for DIR/name (up to TIMEOUT_MS) and read it into buf. */
static int get_file(const char *dir, const char *name, char *buf, size_t size)
{
	char path[4096];
	FILE *f = NULL;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (int t = 0; f == NULL && t < TIMEOUT_MS / 10; t++) {
		f = fopen(path, "r");
		if (f == NULL)
			usleep(10000);
	}
	if (f == NULL)
		return -ETIMEDOUT;
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
	return 0;
}

/* Wait for the channel's fd to be readable. */
static int wait_fd(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, TIMEOUT_MS);

	return r > 0 ? 0 : r == 0 ? -ETIMEDOUT : -errno;
}

/* ---- the backend end ---- */

static int back_send_events(struct xensnd_back_channel *ch)
{
	uint64_t t = now_ns();
	int r = xensnd_back_ring_cur_pos(&ch->ring, t);

	if (r == -ENOSPC)
		return 0;	/* the front is behind: superseded by the next */
	if (r < 0)
		return r;
	return xensnd_back_channel_notify_event(ch);
}

/* Answer what came in; *sending and *closed follow TRIGGER START and CLOSE. */
static int back_serve(struct xensnd_back_channel *ch, bool *sending, bool *closed)
{
	struct xensnd_req reqs[XENSND_RING_SIZE];
	int n = xensnd_back_ring_requests(&ch->ring, reqs, XENSND_RING_SIZE), r;
	bool notify = false, one;

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct xensnd_resp resp = { .id = reqs[i].id,
					    .operation = reqs[i].operation };

		if (reqs[i].operation == XENSND_OP_TRIGGER)
			*sending = reqs[i].op.trigger.type == XENSND_OP_TRIGGER_START;
		if (reqs[i].operation == XENSND_OP_CLOSE)
			*closed = true;
		if ((r = xensnd_back_ring_respond(&ch->ring, &resp, &one)) < 0)
			return r;
		notify |= one;
	}
	return notify ? xensnd_back_channel_notify(ch) : 0;
}

static int cmd_back(const char *dir, domid_t front)
{
	struct xensnd_back_channel ch = { 0 };
	struct xensnd_stream_keys keys;
	xengnttab_handle *gnttab;
	bool sending = false, closed = false, requests;
	char text[256];
	int r, code = 1;

	if (get_file(dir, "keys", text, sizeof(text)) < 0 ||
	    sscanf(text, "%u %u %u %u", &keys.ring_ref, &keys.evtchn,
		   &keys.evt_ring_ref, &keys.evt_evtchn) != 4) {
		fprintf(stderr, "proto-bench: no stream keys in %s/keys\n", dir);
		return 1;
	}
	gnttab = xengnttab_open(NULL, 0);
	if (gnttab == NULL)
		return die("xengnttab_open (run under xensim exec)", errno);
	if ((r = xensnd_back_channel_open(&ch, gnttab, front, &keys)) < 0) {
		die("opening the backend channel", -r);
		goto out;
	}
	if ((r = put_file(dir, "ready", "1\n")) < 0) {
		die("writing ready", -r);
		goto out;
	}
	while (!closed) {
		if (sending) {
			usleep(EVENT_GAP_US);
			if ((r = back_send_events(&ch)) < 0) {
				die("sending CUR_POS", -r);
				goto out;
			}
			struct pollfd p = { .fd = xensnd_back_channel_fd(&ch), .events = POLLIN };
			if (poll(&p, 1, 0) <= 0)
				continue;
		} else if ((r = wait_fd(xensnd_back_channel_fd(&ch))) < 0) {
			die("waiting for requests", -r);
			goto out;
		}
		if ((r = xensnd_back_channel_pending(&ch, &requests)) < 0 ||
		    (r = back_serve(&ch, &sending, &closed)) < 0) {
			die(ch.ring.error[0] ? ch.ring.error : "serving requests", -r);
			goto out;
		}
	}
	code = 0;
out:
	xensnd_back_channel_close(&ch);
	xengnttab_close(gnttab);
	return code;
}

/* ---- the frontend end ---- */

static int front_request(struct xensnd_front_channel *ch, struct xensnd_req *req)
{
	struct xensnd_resp resp;
	bool notify, responses = false, events;
	int r;

	if ((r = xensnd_front_ring_push(&ch->ring, req, &notify)) < 0)
		return r;
	if (notify && (r = xensnd_front_channel_notify(ch)) < 0)
		return r;
	for (;;) {
		if ((r = xensnd_front_ring_responses(&ch->ring, &resp, 1)) < 0)
			return r;
		if (r == 1)
			return resp.status;
		if ((r = wait_fd(xensnd_front_channel_fd(ch))) < 0 ||
		    (r = xensnd_front_channel_pending(ch, &responses, &events)) < 0)
			return r;
	}
}

static int front_write_rtts(struct xensnd_front_channel *ch, uint64_t *ns, uint32_t rounds)
{
	struct xensnd_req req;
	int r;

	for (uint32_t i = 0; i < rounds; i++) {
		uint64_t t0 = now_ns();

		xensnd_req_rw(&req, XENSND_OP_WRITE, 0, 256);
		if ((r = front_request(ch, &req)) < 0)
			return r;
		ns[i] = now_ns() - t0;
	}
	return 0;
}

/* CUR_POS events until rounds were timed; each position is a send time. */
static int front_event_deliveries(struct xensnd_front_channel *ch, uint64_t *ns,
				  uint32_t rounds)
{
	struct xensnd_evt evts[XENSND_IN_RING_LEN];
	struct xensnd_req req;
	uint32_t got = 0;
	bool responses, events;
	int r;

	xensnd_req_trigger(&req, XENSND_OP_TRIGGER_START);
	if ((r = front_request(ch, &req)) < 0)
		return r;
	while (got < rounds) {
		if ((r = wait_fd(xensnd_front_channel_fd(ch))) < 0 ||
		    (r = xensnd_front_channel_pending(ch, &responses, &events)) < 0)
			return r;
		uint64_t t = now_ns();
		if ((r = xensnd_front_ring_events(&ch->ring, evts, XENSND_IN_RING_LEN)) < 0)
			return r;
		/* Only an event that arrived alone was timed from its own
		 * notification; the last of a batch is. */
		if (r > 0 && evts[r - 1].type == XENSND_EVT_CUR_POS)
			ns[got++] = t - evts[r - 1].op.cur_pos.position;
	}
	xensnd_req_trigger(&req, XENSND_OP_TRIGGER_STOP);
	if ((r = front_request(ch, &req)) < 0)
		return r;
	xensnd_req_close(&req);
	return front_request(ch, &req);
}

/* The references: pipe round trips, and one-way writes with their time. */
static int pipe_figures(uint64_t *rtt, uint64_t *oneway, uint32_t rounds)
{
	int there[2], back[2];
	uint64_t v;
	pid_t pid;

	if (pipe(there) < 0 || pipe(back) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(there[1]);
		close(back[0]);
		/* Echo each value; then, asked by a 0, send times one-way. */
		while (read(there[0], &v, sizeof(v)) == sizeof(v) && v != 0)
			if (write(back[1], &v, sizeof(v)) != sizeof(v))
				_exit(1);
		for (uint32_t i = 0; i < rounds; i++) {
			usleep(EVENT_GAP_US);
			v = now_ns();
			if (write(back[1], &v, sizeof(v)) != sizeof(v))
				_exit(1);
		}
		_exit(0);
	}
	close(there[0]);
	close(back[1]);
	for (uint32_t i = 0; i < rounds; i++) {
		uint64_t t0 = now_ns(), x = i + 1;

		if (write(there[1], &x, sizeof(x)) != sizeof(x) ||
		    read(back[0], &v, sizeof(v)) != sizeof(v) || v != x)
			return -EIO;
		rtt[i] = now_ns() - t0;
	}
	v = 0;
	if (write(there[1], &v, sizeof(v)) != sizeof(v))
		return -EIO;
	for (uint32_t i = 0; i < rounds; i++) {
		if (read(back[0], &v, sizeof(v)) != sizeof(v))
			return -EIO;
		oneway[i] = now_ns() - v;
	}
	close(there[1]);
	close(back[0]);
	waitpid(pid, NULL, 0);
	return 0;
}

static int cmd_front(const char *dir, domid_t back, uint32_t rounds)
{
	struct xensnd_front_channel ch = { 0 };
	xengntshr_handle *gntshr;
	uint64_t *a = calloc(rounds, sizeof(*a)), *b = calloc(rounds, sizeof(*b));
	char text[256];
	int r, code = 1;

	gntshr = xengntshr_open(NULL, 0);
	if (a == NULL || b == NULL || gntshr == NULL) {
		die("xengntshr_open (run under xensim exec) or memory", errno);
		goto out;
	}
	if ((r = xensnd_front_channel_open(&ch, gntshr, back)) < 0) {
		die("opening the frontend channel", -r);
		goto out;
	}
	snprintf(text, sizeof(text), "%u %u %u %u\n", ch.keys.ring_ref, ch.keys.evtchn,
		 ch.keys.evt_ring_ref, ch.keys.evt_evtchn);
	if ((r = put_file(dir, "keys", text)) < 0 ||
	    (r = get_file(dir, "ready", text, sizeof(text))) < 0) {
		die("meeting the backend end", -r);
		goto out;
	}
	if ((r = front_write_rtts(&ch, a, rounds)) < 0) {
		die(ch.ring.error[0] ? ch.ring.error : "WRITE round trips", -r);
		goto out;
	}
	report("xensnd-write-round-trip", a, rounds);
	if ((r = front_event_deliveries(&ch, a, rounds)) < 0) {
		die(ch.ring.error[0] ? ch.ring.error : "CUR_POS deliveries", -r);
		goto out;
	}
	report("xensnd-cur-pos-delivery", a, rounds);
	if ((r = pipe_figures(a, b, rounds)) < 0) {
		die("pipe reference", -r);
		goto out;
	}
	report("pipe-round-trip", a, rounds);
	report("pipe-one-way", b, rounds);
	code = 0;
out:
	xensnd_front_channel_close(&ch);
	if (gntshr)
		xengntshr_close(gntshr);
	free(a);
	free(b);
	return code;
}

static int parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t dom, rounds = 0;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		printf("Usage: %s back DIR FRONT-DOMID | front DIR BACK-DOMID ROUNDS\n"
		       "(each under xensim exec in its domain; see the source)\n", argv[0]);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "back") && !parse_u32(argv[3], 0x7fef, &dom))
		return cmd_back(argv[2], (domid_t)dom);
	if (argc == 5 && !strcmp(argv[1], "front") && !parse_u32(argv[3], 0x7fef, &dom) &&
	    !parse_u32(argv[4], MAX_ROUNDS, &rounds) && rounds > 0)
		return cmd_front(argv[2], (domid_t)dom, rounds);
	fprintf(stderr, "Usage: %s back DIR FRONT-DOMID | front DIR BACK-DOMID ROUNDS "
		"(try --help)\n", argv[0]);
	return 2;
}
