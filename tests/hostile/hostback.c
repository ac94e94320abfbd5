/* SPDX-License-Identifier: MIT */
/*
 * A hostile sndif backend for the plugin's hostile-backend suite. It serves
 * one card of one guest from its own domain (run it as
 * `xensim exec --domid 2 -- hostback --scenario NAME --guest 1 --dev D`)
 * and behaves like a correct backend except for the one misbehaviour the
 * scenario names. It is built on libxensnd's back end, but writes straight
 * into the shared pages (it owns its mappings) where a scenario needs what
 * no polite backend does: rsp_prod and in_prod are just memory.
 *
 * It prints one line per thing it did wrong ("hostback: did ..."), so the
 * test can tell a scenario that ran from one that never got its chance.
 * SIGTERM: state Closed, everything unmapped, exit 0.
 * Exit codes: 0 ok, 1 runtime failure, 2 usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xensnd/ring.h>	/* xen/io/sndif.h with what it needs first */

#include <xensnd/channel.h>
#include <xensnd/config.h>
#include <xensnd/format.h>
#include <xensnd/xenbus.h>

/* ring.h leaves the barriers to its user (see libxensnd's ring-private.h):
 * here between this process and the frontend's, over shared memory. */
#undef xen_wmb
#define xen_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#define STR_(x) #x
#define STR(x) STR_(x)
#define TICK_MS		5
#define CONNECT_TIMEOUT_MS	15000

/* Every misbehaviour; the index is the scenario. */
#define SCENARIOS(X) \
	X(polite,	"a correct backend (the reference run)") \
	X(unknown_id,	"answers a WRITE with an id never sent") \
	X(duplicate_id,	"answers the same WRITE twice") \
	X(wrong_op,	"answers a WRITE saying it was a READ") \
	X(write_error,	"refuses every WRITE with -EIO") \
	X(positive_status, "answers a WRITE with status 5") \
	X(open_error,	"refuses OPEN with -ENODEV") \
	X(trigger_error, "refuses TRIGGER START with -EIO") \
	X(rsp_ahead,	"moves rsp_prod two rings ahead") \
	X(rsp_back,	"moves rsp_prod backwards") \
	X(ring_garbage,	"publishes three responses of random bytes") \
	X(evt_ahead,	"moves in_prod 1000 events beyond in_cons") \
	X(evt_flicker,	"changes in_prod all the time, from a thread") \
	X(curpos_back,	"CUR_POS goes backwards") \
	X(curpos_jump,	"CUR_POS jumps five hours ahead") \
	X(curpos_never,	"never sends CUR_POS") \
	X(write_silent,	"never answers WRITE") \
	X(query_empty,	"HW_PARAM_QUERY: no formats, empty ranges") \
	X(query_inverted, "HW_PARAM_QUERY: min above max") \
	X(query_absurd,	"HW_PARAM_QUERY: 0..4G everything") \
	X(open_silent,	"never answers OPEN") \
	X(open_late,	"answers OPEN after 1.5 s") \
	X(notify_flood,	"notifies both event channels without pause") \
	X(state_flap,	"flips its state Connected/Closing 40 times") \
	X(xs_garbage,	"writes the frontend's nodes, garbage in its own") \
	X(vanish,	"plays until its domain is destroyed")

#define AS_ENUM(name, what) SC_##name,
enum scenario { SCENARIOS(AS_ENUM) SC_COUNT };
#undef AS_ENUM

struct hstream {
	struct xensnd_back_channel ch;
	bool ch_open;
	struct xensnd_back_buffer buf;
	bool buf_mapped;
	bool started;
	uint32_t bytes_per_sec;
	uint64_t queued;		/* octets written by the guest since OPEN */
	uint64_t position;		/* octets "played" */
	uint64_t start_ns;
	uint64_t last_pos_ns;
	unsigned writes;		/* WRITEs seen since OPEN */
	/* open_late: the OPEN we hold back and when it is due */
	struct xensnd_resp late;
	uint64_t late_due_ns;
};

struct flicker {
	pthread_t thread;
	bool running;
	atomic_bool stop;
	struct xensnd_event_page *page;
};

struct hostback {
	enum scenario sc;
	unsigned guest, dev;
	struct xs_handle *xs;
	xengnttab_handle *gnttab;
	char be_path[96];
	char fe_path[128];
	struct xensnd_card_cfg cfg;
	bool cfg_read;
	struct hstream *streams;
	uint32_t n_streams;
	bool did;			/* the misbehaviour happened (once-only ones) */
	struct flicker flicker;
};

static const char *scenario_name(enum scenario sc)
{
#define AS_NAME(name, what) #name,
	static const char *const names[] = { SCENARIOS(AS_NAME) };
#undef AS_NAME
	return sc < SC_COUNT ? names[sc] : "?";
}

static void usage(FILE *f)
{
#define AS_HELP(name, what) "  " #name "\n      " what "\n"
	fprintf(f, "Usage: hostback --scenario NAME --guest DOMID --dev DEVID\n"
		"Serve one vsnd card of DOMID from this domain, misbehaving as\n"
		"NAME says ('-' and '_' are the same in NAME):\n"
		SCENARIOS(AS_HELP));
#undef AS_HELP
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* What the test greps for: one line per misbehaviour. */
static void did(struct hostback *hb, const char *what)
{
	printf("hostback: %s: did %s\n", scenario_name(hb->sc), what);
	fflush(stdout);
}

/* ---- XenStore ---- */

static int be_write(struct hostback *hb, const char *key, const char *value)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", hb->be_path, key);
	return xs_write(hb->xs, XBT_NULL, path, value, strlen(value)) ? 0 : -errno;
}

static void be_state(struct hostback *hb, enum xenbus_state state)
{
	int r = xensnd_write_state(hb->xs, XBT_NULL, hb->be_path, state);

	if (r < 0)
		fprintf(stderr, "hostback: writing %s/state failed: %s\n",
			hb->be_path, strerror(-r));
}

static enum xenbus_state fe_state(struct hostback *hb)
{
	return xensnd_read_state(hb->xs, XBT_NULL, hb->fe_path);
}

/*
 * SIGTERM and SIGINT are blocked and polled: a pending one ends the
 * program at the next check (no handler, so no global flag).
 */
static bool term_pending(void)
{
	sigset_t set;

	return sigpending(&set) == 0 &&
	       (sigismember(&set, SIGTERM) == 1 || sigismember(&set, SIGINT) == 1);
}

static int wait_fe_state(struct hostback *hb, enum xenbus_state want)
{
	for (unsigned ms = 0; ms < CONNECT_TIMEOUT_MS && !term_pending(); ms += 20) {
		if (fe_state(hb) == want)
			return 0;
		sleep_ms(20);
	}
	return -ETIMEDOUT;
}

/* ---- streams ---- */

static void stream_close_buffer(struct hstream *s)
{
	if (s->buf_mapped)
		xensnd_back_buffer_unmap(&s->buf);
	s->buf_mapped = false;
	s->started = false;
}

static void close_streams(struct hostback *hb)
{
	for (uint32_t i = 0; i < hb->n_streams; i++) {
		stream_close_buffer(&hb->streams[i]);
		if (hb->streams[i].ch_open)
			xensnd_back_channel_close(&hb->streams[i].ch);
	}
	free(hb->streams);
	hb->streams = NULL;
	hb->n_streams = 0;
}

static int open_streams(struct hostback *hb)
{
	struct xensnd_xs_reader reader;
	char err[XENSND_ERROR_MAX];
	uint32_t i = 0;
	int r;

	xensnd_xs_reader_init(&reader, hb->xs, XBT_NULL);
	r = xensnd_card_cfg_read(&hb->cfg, &reader.reader, hb->fe_path, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "hostback: %s: %s\n", hb->fe_path, err);
		return r;
	}
	hb->cfg_read = true;
	hb->n_streams = xensnd_card_cfg_n_streams(&hb->cfg);
	hb->streams = calloc(hb->n_streams ? hb->n_streams : 1, sizeof(*hb->streams));
	if (hb->streams == NULL)
		return -ENOMEM;
	for (uint32_t p = 0; p < hb->cfg.n_pcms; p++) {
		const struct xensnd_pcm_cfg *pcm = &hb->cfg.pcms[p];

		for (uint32_t k = 0; k < pcm->n_streams; k++, i++) {
			struct xensnd_stream_keys keys;
			char path[200];

			snprintf(path, sizeof(path), "%s/%u/%u", hb->fe_path,
				 pcm->index, pcm->streams[k].index);
			r = xensnd_back_read_stream_keys(hb->xs, XBT_NULL, path, &keys,
							 err, sizeof(err));
			if (r == 0)
				r = xensnd_back_channel_open(&hb->streams[i].ch, hb->gnttab,
							     (domid_t)hb->guest, &keys);
			if (r < 0) {
				fprintf(stderr, "hostback: %s: %s\n", path,
					r == -EINVAL ? err : strerror(-r));
				return r;
			}
			hb->streams[i].ch_open = true;
		}
	}
	return 0;
}

/* ---- raw writes into the shared pages ---- */

/* A response into the next slot whatever the ring says (duplicates). */
static void raw_respond(struct hstream *s, const struct xensnd_resp *resp)
{
	struct xensnd_back_ring *br = &s->ch.ring;

	memcpy(RING_GET_RESPONSE(&br->ring, br->ring.rsp_prod_pvt), resp, sizeof(*resp));
	br->ring.rsp_prod_pvt++;
	xen_wmb();
	br->ring.sring->rsp_prod = br->ring.rsp_prod_pvt;
	xensnd_back_channel_notify(&s->ch);
}

static void set_rsp_prod(struct hstream *s, RING_IDX prod)
{
	xen_wmb();
	s->ch.ring.ring.sring->rsp_prod = prod;
	xensnd_back_channel_notify(&s->ch);
}

static void set_in_prod(struct hstream *s, uint32_t prod)
{
	struct xensnd_event_page *page = s->ch.ring.evt_page;

	xen_wmb();
	*(volatile uint32_t *)&page->in_prod = prod;
	xensnd_back_channel_notify_event(&s->ch);
}

static void *flicker_main(void *data)
{
	struct flicker *f = data;
	volatile uint32_t *in_prod = &f->page->in_prod;
	uint32_t i = 0;

	/* Between the frontend's read and its use, in_prod is something else. */
	while (!atomic_load(&f->stop)) {
		uint32_t cons = *(volatile uint32_t *)&f->page->in_cons;

		*in_prod = (i & 1) ? cons + 1 : cons + 0x40000000u;
		i++;
	}
	return NULL;
}

/* ---- answering requests ---- */

static void respond(struct hstream *s, const struct xensnd_resp *resp)
{
	bool notify = false;

	if (xensnd_back_ring_respond(&s->ch.ring, resp, &notify) == 0 && notify)
		xensnd_back_channel_notify(&s->ch);
}

static int32_t do_open(struct hostback *hb, struct hstream *s, const struct xensnd_req *req)
{
	const struct xensnd_open_req *o = &req->op.open;
	char err[XENSND_ERROR_MAX];
	uint32_t fb = xensnd_frame_bytes(o->pcm_format, o->pcm_channels);
	int r;

	stream_close_buffer(s);
	if (fb == 0)
		return -EINVAL;
	r = xensnd_back_buffer_map(&s->buf, hb->gnttab, (domid_t)hb->guest,
				   o->gref_directory, o->buffer_sz, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "hostback: OPEN: %s\n", err);
		return r;
	}
	s->buf_mapped = true;
	s->bytes_per_sec = o->pcm_rate * fb;
	s->queued = s->position = 0;
	s->writes = 0;
	return 0;
}

static void answer_query(struct hostback *hb, const struct xensnd_req *req,
			 struct xensnd_resp *resp)
{
	struct xensnd_query_hw_param *h = &resp->resp.hw_param;

	*h = req->op.hw_param;	/* a polite backend grants what is asked */
	switch (hb->sc) {
	case SC_query_empty:
		memset(h, 0, sizeof(*h));
		did(hb, "answer HW_PARAM_QUERY with nothing");
		break;
	case SC_query_inverted:
		h->rates.min = 96000;
		h->rates.max = 8000;
		h->channels.min = 2;
		h->channels.max = 1;
		h->buffer.min = 65536;
		h->buffer.max = 4096;
		did(hb, "answer HW_PARAM_QUERY with inverted ranges");
		break;
	case SC_query_absurd:
		h->formats = UINT64_MAX;
		h->rates.min = 0;
		h->rates.max = UINT32_MAX;
		h->channels.min = 0;
		h->channels.max = UINT32_MAX;
		h->buffer.min = 0;
		h->buffer.max = UINT32_MAX;
		h->period.min = 0;
		h->period.max = UINT32_MAX;
		did(hb, "answer HW_PARAM_QUERY with 0..4G");
		break;
	default:
		break;
	}
}

/* The WRITE misbehaviours. true when the response is taken care of. */
static bool misbehave_on_write(struct hostback *hb, struct hstream *s,
			       struct xensnd_resp *resp)
{
	struct xensnd_back_ring *br = &s->ch.ring;

	if (s->writes < 4)
		return false;	/* the stream gets going first */
	switch (hb->sc) {
	case SC_unknown_id:
		if (hb->did)
			return false;
		resp->id ^= 0x5a5a;
		hb->did = true;
		did(hb, "answer WRITE with an unknown id");
		return false;
	case SC_duplicate_id:
		if (hb->did)
			return false;
		respond(s, resp);
		raw_respond(s, resp);
		hb->did = true;
		did(hb, "answer one WRITE twice");
		return true;
	case SC_wrong_op:
		if (hb->did)
			return false;
		resp->operation = XENSND_OP_READ;
		hb->did = true;
		did(hb, "answer WRITE as READ");
		return false;
	case SC_write_error:
		resp->status = -EIO;
		if (!hb->did)
			did(hb, "refuse WRITE with -EIO");
		hb->did = true;
		return false;
	case SC_positive_status:
		if (hb->did)
			return false;
		resp->status = 5;
		hb->did = true;
		did(hb, "answer WRITE with status 5");
		return false;
	case SC_write_silent:
		if (!hb->did)
			did(hb, "stop answering WRITE");
		hb->did = true;
		br->ring.rsp_prod_pvt++;	/* skipped, never published */
		return true;
	case SC_rsp_ahead:
		if (hb->did)
			return false;
		respond(s, resp);
		set_rsp_prod(s, br->ring.rsp_prod_pvt + 2 * RING_SIZE(&br->ring));
		hb->did = true;
		did(hb, "move rsp_prod two rings ahead");
		return true;
	case SC_rsp_back:
		if (hb->did)
			return false;
		respond(s, resp);
		set_rsp_prod(s, br->ring.rsp_prod_pvt - 3);
		hb->did = true;
		did(hb, "move rsp_prod 3 back");
		return true;
	case SC_ring_garbage:
		if (hb->did)
			return false;
		for (unsigned i = 0; i < 3; i++) {
			uint8_t *slot = (uint8_t *)RING_GET_RESPONSE(&br->ring,
								   br->ring.rsp_prod_pvt + i);
			for (unsigned k = 0; k < sizeof(struct xensnd_resp); k++)
				slot[k] = (uint8_t)rand();
		}
		set_rsp_prod(s, br->ring.rsp_prod_pvt + 3);
		hb->did = true;
		did(hb, "publish 3 random responses");
		return true;
	case SC_evt_ahead:
		if (hb->did)
			return false;
		set_in_prod(s, s->ch.ring.evt_page->in_cons + 1000);
		hb->did = true;
		did(hb, "move in_prod 1000 ahead");
		return false;
	case SC_evt_flicker:
		if (hb->flicker.running)
			return false;
		hb->flicker.page = s->ch.ring.evt_page;
		atomic_store(&hb->flicker.stop, false);
		if (pthread_create(&hb->flicker.thread, NULL, flicker_main,
				   &hb->flicker) == 0) {
			hb->flicker.running = true;
			did(hb, "start flickering in_prod");
		}
		return false;
	default:
		return false;
	}
}

static void handle_request(struct hostback *hb, struct hstream *s,
			   const struct xensnd_req *req)
{
	struct xensnd_resp resp = { .id = req->id, .operation = req->operation };

	switch (req->operation) {
	case XENSND_OP_OPEN:
		if (hb->sc == SC_open_silent) {
			did(hb, "not answer OPEN");
			s->ch.ring.ring.rsp_prod_pvt++;	/* its slot stays unpublished */
			return;
		}
		resp.status = hb->sc == SC_open_error ? -ENODEV : do_open(hb, s, req);
		if (hb->sc == SC_open_error)
			did(hb, "refuse OPEN");
		if (hb->sc == SC_open_late && !hb->did) {
			s->late = resp;
			s->late_due_ns = now_ns() + 1500000000u;
			hb->did = true;
			did(hb, "hold OPEN's answer for 1.5 s");
			return;
		}
		break;
	case XENSND_OP_CLOSE:
		stream_close_buffer(s);
		break;
	case XENSND_OP_WRITE:
	case XENSND_OP_READ:
		if (!s->buf_mapped || req->op.rw.length > s->buf.size ||
		    req->op.rw.offset > s->buf.size - req->op.rw.length) {
			resp.status = -EINVAL;
			break;
		}
		s->queued += req->op.rw.length;
		s->writes++;
		if (misbehave_on_write(hb, s, &resp))
			return;
		break;
	case XENSND_OP_TRIGGER:
		if (req->op.trigger.type == XENSND_OP_TRIGGER_START &&
		    hb->sc == SC_trigger_error) {
			resp.status = -EIO;
			did(hb, "refuse TRIGGER START");
			break;
		}
		if (req->op.trigger.type == XENSND_OP_TRIGGER_START ||
		    req->op.trigger.type == XENSND_OP_TRIGGER_RESUME) {
			s->started = true;
			s->start_ns = now_ns() - s->position * 1000000000u /
				      (s->bytes_per_sec ? s->bytes_per_sec : 1);
		} else {
			s->started = false;
		}
		break;
	case XENSND_OP_HW_PARAM_QUERY:
		answer_query(hb, req, &resp);
		break;
	default:
		resp.status = -ENOTSUP;	/* volume: software volume it is */
		break;
	}
	respond(s, &resp);
}

/* The device clock: CUR_POS every 10 ms while started. */
static void clock_tick(struct hostback *hb, struct hstream *s, uint64_t now)
{
	uint64_t pos, report;

	if (s->late_due_ns && now >= s->late_due_ns) {
		respond(s, &s->late);
		s->late_due_ns = 0;
		did(hb, "answer OPEN late");
	}
	if (!s->started || now - s->last_pos_ns < 10000000u || hb->sc == SC_curpos_never)
		return;
	s->last_pos_ns = now;
	pos = (now - s->start_ns) * s->bytes_per_sec / 1000000000u;
	if (pos > s->queued)
		pos = s->queued;
	s->position = pos;
	report = pos;
	if (hb->sc == SC_curpos_back && s->writes > 20) {
		report = s->writes % 2 ? pos / 2 : pos;
		if (!hb->did)
			did(hb, "send CUR_POS going backwards");
		hb->did = true;
	} else if (hb->sc == SC_curpos_jump && s->writes > 20) {
		report = pos + (uint64_t)s->bytes_per_sec * 3600 * 5;
		if (!hb->did)
			did(hb, "send CUR_POS 5 hours ahead");
		hb->did = true;
	}
	if (xensnd_back_ring_cur_pos(&s->ch.ring, report) == 0)
		xensnd_back_channel_notify_event(&s->ch);
}

static void serve_stream(struct hostback *hb, struct hstream *s)
{
	struct xensnd_req reqs[XENSND_RING_SIZE];
	bool requests;
	int n;

	if (xensnd_back_channel_pending(&s->ch, &requests) < 0)
		return;
	n = xensnd_back_ring_requests(&s->ch.ring, reqs, XENSND_RING_SIZE);
	if (n < 0) {
		fprintf(stderr, "hostback: %s\n", s->ch.ring.error);
		return;
	}
	for (int i = 0; i < n; i++)
		handle_request(hb, s, &reqs[i]);
}

/* ---- the XenStore misbehaviours ---- */

static void try_frontend_writes(struct hostback *hb)
{
	static const char *const keys[] = { "state", "version", "0/0/ring-ref",
					    "0/0/event-channel", "short-name", "new-node" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		char path[200];

		snprintf(path, sizeof(path), "%s/%s", hb->fe_path, keys[i]);
		if (xs_write(hb->xs, XBT_NULL, path, "666", 3))
			printf("hostback: xs_garbage: WRITE ACCEPTED %s\n", path);
		else
			printf("hostback: xs_garbage: write %s refused: %s\n", path,
			       strerror(errno));
	}
	fflush(stdout);
}

/*
 * After a second of good service (so the card is seen connected), flip
 * the state 40 times, 25 ms apart: slower than a XenStore round trip, so
 * the frontend sees some of them (a flip it never reads is harmless).
 */
static void state_flap(struct hostback *hb)
{
	sleep_ms(1000);
	for (unsigned i = 0; i < 40; i++) {
		be_state(hb, i % 2 ? XenbusStateConnected : XenbusStateClosing);
		sleep_ms(25);
	}
	did(hb, "flip the state 40 times");
}

static void notify_flood(struct hostback *hb)
{
	for (uint32_t i = 0; i < hb->n_streams; i++)
		for (unsigned k = 0; k < 200; k++) {
			xensnd_back_channel_notify(&hb->streams[i].ch);
			xensnd_back_channel_notify_event(&hb->streams[i].ch);
		}
}

/* ---- main ---- */

static int parse_args(struct hostback *hb, int argc, char **argv)
{
	const char *sc = NULL;
	char name[40];
	int have = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		}
		if (i + 1 >= argc)
			return -1;
		if (!strcmp(argv[i], "--scenario"))
			sc = argv[++i];
		else if (!strcmp(argv[i], "--guest"))
			hb->guest = (unsigned)strtoul(argv[++i], NULL, 10), have |= 1;
		else if (!strcmp(argv[i], "--dev"))
			hb->dev = (unsigned)strtoul(argv[++i], NULL, 10), have |= 2;
		else
			return -1;
	}
	if (sc == NULL || have != 3 || strlen(sc) >= sizeof(name))
		return -1;
	strcpy(name, sc);
	for (char *p = name; *p; p++)
		if (*p == '-')
			*p = '_';
	for (hb->sc = 0; hb->sc < SC_COUNT; hb->sc++)
		if (!strcmp(name, scenario_name(hb->sc)))
			return 0;
	fprintf(stderr, "hostback: unknown scenario \"%s\"\n", sc);
	return -1;
}

static int handshake(struct hostback *hb)
{
	char path[160], *fe;
	unsigned len;
	int r;

	snprintf(hb->be_path, sizeof(hb->be_path), "backend/vsnd/%u/%u", hb->guest, hb->dev);
	snprintf(path, sizeof(path), "%s/frontend", hb->be_path);
	fe = xs_read(hb->xs, XBT_NULL, path, &len);
	if (fe == NULL || strlen(fe) >= sizeof(hb->fe_path)) {
		fprintf(stderr, "hostback: no usable %s: is this the card's backend domain?\n", path);
		free(fe);
		return -ENOENT;
	}
	strcpy(hb->fe_path, fe);
	free(fe);
	if (hb->sc == SC_xs_garbage) {
		try_frontend_writes(hb);
		be_write(hb, XENSND_FIELD_BE_VERSIONS, "banana,,;99999999999999999999");
		be_state(hb, XenbusStateInitWait);
		did(hb, "write garbage versions");
		sleep_ms(500);
		be_write(hb, "state", "forty-two");
		did(hb, "write state forty-two");
		sleep_ms(500);
		be_write(hb, "state", "99");
		did(hb, "write state 99");
		sleep_ms(500);
	}
	be_write(hb, XENSND_FIELD_BE_VERSIONS, STR(XENSND_PROTOCOL_VERSION));
	/* From wherever an earlier backend left it: through Closed, so the
	 * frontend recovers to Initialising, then InitWait. */
	if (fe_state(hb) != XenbusStateInitialising &&
	    fe_state(hb) != XenbusStateInitialised) {
		be_state(hb, XenbusStateClosed);
		wait_fe_state(hb, XenbusStateInitialising);
	}
	be_state(hb, XenbusStateInitWait);
	if ((r = wait_fe_state(hb, XenbusStateInitialised)) < 0) {
		fprintf(stderr, "hostback: %s never became Initialised\n", hb->fe_path);
		return r;
	}
	if ((r = open_streams(hb)) < 0)
		return r;
	be_state(hb, XenbusStateConnected);
	printf("hostback: %s: connected %u streams\n", scenario_name(hb->sc), hb->n_streams);
	fflush(stdout);
	return 0;
}


static void serve(struct hostback *hb)
{
	struct pollfd pfds[16];
	uint32_t n;

	if (hb->sc == SC_state_flap) {
		/* Then connect again, as the recovery flow allows. */
		state_flap(hb);
		close_streams(hb);
		xensnd_card_cfg_clear(&hb->cfg);
		hb->cfg_read = false;
		if (handshake(hb) < 0)
			return;
	}
	n = hb->n_streams < 16 ? hb->n_streams : 16;
	while (!term_pending()) {
		uint64_t now;

		for (uint32_t i = 0; i < n; i++)
			pfds[i] = (struct pollfd){ .fd = xensnd_back_channel_fd(&hb->streams[i].ch),
						   .events = POLLIN };
		if (hb->sc == SC_notify_flood) {
			notify_flood(hb);
			if (!hb->did)
				did(hb, "flood notifications");
			hb->did = true;
		}
		poll(pfds, n, hb->sc == SC_notify_flood ? 0 : TICK_MS);
		for (uint32_t i = 0; i < n; i++) {
			/* Make the frontend look at the flickering in_prod. */
			if (hb->flicker.running)
				xensnd_back_channel_notify_event(&hb->streams[i].ch);
			serve_stream(hb, &hb->streams[i]);
			/* After serving: a START just handled is not in the future. */
			now = now_ns();
			clock_tick(hb, &hb->streams[i], now);
		}
	}
}

int main(int argc, char **argv)
{
	sigset_t term;
	struct hostback hb = { 0 };
	int code = 1;

	if (parse_args(&hb, argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, NULL);
	hb.xs = xs_open(0);
	hb.gnttab = xengnttab_open(NULL, 0);
	if (hb.xs == NULL || hb.gnttab == NULL) {
		fprintf(stderr, "hostback: cannot open XenStore or the grant table "
			"(%s); run it under xensim exec\n", strerror(errno));
		goto out;
	}
	if (handshake(&hb) == 0) {
		serve(&hb);
		code = 0;
	}
	if (hb.flicker.running) {
		atomic_store(&hb.flicker.stop, true);
		pthread_join(hb.flicker.thread, NULL);
	}
	if (hb.be_path[0])
		be_state(&hb, XenbusStateClosed);
out:
	close_streams(&hb);
	if (hb.cfg_read)
		xensnd_card_cfg_clear(&hb.cfg);
	if (hb.gnttab)
		xengnttab_close(hb.gnttab);
	if (hb.xs)
		xs_close(hb.xs);
	return code;
}
