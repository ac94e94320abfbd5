/* SPDX-License-Identifier: MIT */
/*
 * A sndif test frontend for xensnd-backend's tests, on libxensnd's
 * frontend side. Run it as a guest: `xensim exec --domid G -- testfront ...`.
 *
 *   testfront [--dev D] query S [--format F] [--rate R] [--channels C]
 *   testfront [--dev D] play S FILE.wav --format F [--buffer OCTETS]
 *             [--period OCTETS] [--chunk OCTETS] [--repeat N]
 *             [--pause-at OCTETS --pause-ms MS] [--hold-ms MS]
 *   testfront [--dev D] record S OUT.wav --format F --rate R --channels C
 *             --frames N [--buffer OCTETS] [--period OCTETS]
 *   testfront [--dev D] volume S --format F --rate R --channels C
 *             --set V,V,... [--mute M,M,...] [--hold-ms MS]
 *   testfront [--dev D] bad S [--format F --rate R --channels C]
 *   testfront [--dev D] connect [--hold-ms MS]
 *   testfront [--dev D] hostile S RULE --format F --rate R --channels C
 *             (RULE: see cmd_hostile; exit 0 when refused or survived)
 *
 * --chunk: play WRITEs this long (default a period), each one waited for,
 * as Linux's xen-snd-front writes what ALSA hands it.
 * --hold-ms keeps the card (and for volume, the stream) open that long,
 * or until SIGUSR1.
 * S is the stream's position in the card (PCMs in order). Every command
 * does the whole xenbus handshake first and closes the card at the end.
 * Exit 0 when everything the command checks held, 1 otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xenstore.h>
#include <xengnttab.h>

#include <xensnd/channel.h>
#include <xensnd/config.h>
#include <xensnd/format.h>
#include <xensnd/pagedir.h>
#include <xensnd/ring.h>
#include <xensnd/xenbus.h>

#include "wav.h"

#define TIMEOUT_MS	5000

struct args {
	unsigned dev;
	const char *cmd;
	unsigned stream;
	const char *file;
	int format;
	uint32_t rate, channels, frames;
	uint32_t buffer, period, chunk;
	unsigned repeat;
	uint64_t pause_at;
	unsigned pause_ms, hold_ms;
	const char *set, *mute;
};

struct front {
	struct xs_handle *xs;
	xengntshr_handle *gntshr;
	char card[128];
	domid_t backend;
	struct xensnd_card_cfg cfg;
	struct xensnd_front_channel *chans;
	uint32_t n;
	bool connected;
};

/* Per stream: what the events said. */
struct tracker {
	struct xensnd_front_channel *ch;
	uint64_t position;
	uint64_t n_events;
	/* CUR_POS timing: first and last event, and the largest error. */
	uint64_t t_first, p_first, t_last, p_last;
	double bytes_per_ns;
	double max_err_ns;
	/* Least-squares fit of position against time (both from the first
	 * event): the measured rate, insensitive to wake-up jitter. */
	double sum_t, sum_p, sum_tt, sum_tp;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

static void fail(const char *fmt, const char *what, int r)
{
	fprintf(stderr, "testfront: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, ": %s\n", r ? strerror(r < 0 ? -r : r) : "failed");
}

/* ---- xenbus ---- */

static enum xenbus_state back_state(struct front *f)
{
	char path[200], *be;
	unsigned int len;
	enum xenbus_state s;

	snprintf(path, sizeof(path), "%s/backend", f->card);
	be = xs_read(f->xs, XBT_NULL, path, &len);
	if (be == NULL)
		return XenbusStateUnknown;
	s = xensnd_read_state(f->xs, XBT_NULL, be);
	free(be);
	return s;
}

static int wait_back(struct front *f, enum xenbus_state want)
{
	for (int i = 0; i < TIMEOUT_MS / 5; i++) {
		if (back_state(f) == want)
			return 0;
		sleep_ms(5);
	}
	fprintf(stderr, "testfront: backend did not reach %s (it is %s)\n",
		xensnd_state_name(want), xensnd_state_name(back_state(f)));
	return -ETIMEDOUT;
}

static char *read_str(struct front *f, const char *key)
{
	char path[200];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", f->card, key);
	return xs_read(f->xs, XBT_NULL, path, &len);
}

static int front_connect(struct front *f, unsigned dev)
{
	struct xensnd_xs_reader reader;
	struct xensnd_stream_keys *keys = NULL;
	char err[XENSND_ERROR_MAX], version[16], *s;
	int r;

	f->xs = xs_open(0);
	f->gntshr = xengntshr_open(NULL, 0);
	if (f->xs == NULL || f->gntshr == NULL) {
		fail("%s", "opening XenStore / gntshr", errno);
		return -EIO;
	}
	s = xs_read(f->xs, XBT_NULL, "domid", &(unsigned int){ 0 });
	snprintf(f->card, sizeof(f->card), "/local/domain/%s/device/vsnd/%u",
		 s ? s : "?", dev);
	free(s);
	s = read_str(f, "backend-id");
	f->backend = (domid_t)(s ? atoi(s) : 0);
	free(s);
	xensnd_xs_reader_init(&reader, f->xs, XBT_NULL);
	r = xensnd_card_cfg_read(&f->cfg, &reader.reader, f->card, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "testfront: %s\n", err);
		return r;
	}
	f->n = xensnd_card_cfg_n_streams(&f->cfg);
	f->chans = calloc(f->n, sizeof(*f->chans));
	keys = calloc(f->n, sizeof(*keys));
	if (f->chans == NULL || keys == NULL)
		return -ENOMEM;
	/* Start over whatever a previous run left (sndif recovery flow). */
	xensnd_write_state(f->xs, XBT_NULL, f->card, XenbusStateInitialising);
	r = wait_back(f, XenbusStateInitWait);
	for (uint32_t i = 0; r == 0 && i < f->n; i++) {
		r = xensnd_front_channel_open(&f->chans[i], f->gntshr, f->backend);
		keys[i] = f->chans[i].keys;
	}
	if (r == 0) {
		char path[200], *be;

		s = NULL;
		snprintf(path, sizeof(path), "%s/backend", f->card);
		be = xs_read(f->xs, XBT_NULL, path, &(unsigned int){ 0 });
		if (be) {
			snprintf(path, sizeof(path), "%s/versions", be);
			s = xs_read(f->xs, XBT_NULL, path, &(unsigned int){ 0 });
		}
		free(be);
		r = xensnd_pick_version(s ? s : "", version, sizeof(version));
		free(s);
	}
	if (r == 0)
		r = xensnd_front_publish(f->xs, f->card, &f->cfg, keys, version);
	if (r == 0)
		r = wait_back(f, XenbusStateConnected);
	if (r == 0)
		r = xensnd_write_state(f->xs, XBT_NULL, f->card, XenbusStateConnected);
	free(keys);
	if (r < 0) {
		fail("%s", "handshake", r);
		return r;
	}
	f->connected = true;
	return 0;
}

static void front_close(struct front *f)
{
	if (f->xs && f->connected) {
		xensnd_write_state(f->xs, XBT_NULL, f->card, XenbusStateClosing);
		wait_back(f, XenbusStateClosed);
	}
	for (uint32_t i = 0; f->chans && i < f->n; i++)
		xensnd_front_channel_close(&f->chans[i]);
	free(f->chans);
	if (f->xs)
		xensnd_write_state(f->xs, XBT_NULL, f->card, XenbusStateClosed);
	xensnd_card_cfg_clear(&f->cfg);
	if (f->gntshr)
		xengntshr_close(f->gntshr);
	if (f->xs)
		xs_close(f->xs);
}

/* ---- requests and events ---- */

static void take_events(struct tracker *t)
{
	struct xensnd_evt evts[XENSND_IN_RING_LEN];
	int n = xensnd_front_ring_events(&t->ch->ring, evts, XENSND_IN_RING_LEN);
	uint64_t now = now_ns();

	for (int i = 0; i < n; i++) {
		uint64_t pos = evts[i].op.cur_pos.position;

		if (evts[i].type != XENSND_EVT_CUR_POS)
			continue;
		if (pos < t->position)
			fprintf(stderr, "testfront: CUR_POS went back: %" PRIu64
				" after %" PRIu64 "\n", pos, t->position);
		t->position = pos;
		t->n_events++;
		if (t->n_events == 1) {
			t->t_first = now;
			t->p_first = pos;
		} else if (t->bytes_per_ns > 0) {
			double want = (double)t->t_first +
				      (double)(pos - t->p_first) / t->bytes_per_ns;
			double err = fabs((double)now - want);

			if (err > t->max_err_ns)
				t->max_err_ns = err;
		}
		t->t_last = now;
		t->p_last = pos;
		{
			double dt = (double)(now - t->t_first), dp = (double)(pos - t->p_first);

			t->sum_t += dt;
			t->sum_p += dp;
			t->sum_tt += dt * dt;
			t->sum_tp += dt * dp;
		}
	}
}

/* Wait for channel activity (or timeout_ms); take events. */
static void wait_activity(struct tracker *t, int timeout_ms, bool *responses)
{
	struct pollfd pfd = { .fd = xensnd_front_channel_fd(t->ch), .events = POLLIN };
	bool resp = false, evt = false;

	poll(&pfd, 1, timeout_ms);
	xensnd_front_channel_pending(t->ch, &resp, &evt);
	take_events(t);
	if (responses)
		*responses = resp;
}

/* Send one request and wait for its response; returns its status. */
static int request(struct tracker *t, struct xensnd_req *req)
{
	struct xensnd_resp resp[XENSND_RING_SIZE];
	bool notify = false;
	uint64_t deadline = now_ns() + (uint64_t)TIMEOUT_MS * 1000000u;
	int r = xensnd_front_ring_push(&t->ch->ring, req, &notify);

	if (r < 0)
		return r;
	if (notify)
		xensnd_front_channel_notify(t->ch);
	while (now_ns() < deadline) {
		int n = xensnd_front_ring_responses(&t->ch->ring, resp, XENSND_RING_SIZE);

		if (n < 0) {
			fprintf(stderr, "testfront: bad response: %s\n", t->ch->ring.error);
			return -EPROTO;
		}
		for (int i = 0; i < n; i++)
			if (resp[i].id == req->id) {
				/* Events the backend sent before this response
				 * (a last CUR_POS before PAUSE) count first. */
				take_events(t);
				if (req->operation == XENSND_OP_HW_PARAM_QUERY)
					req->op.hw_param = resp[i].resp.hw_param;
				return resp[i].status;
			}
		wait_activity(t, 50, NULL);
	}
	fprintf(stderr, "testfront: no response to %s\n", xensnd_op_name(req->operation));
	return -ETIMEDOUT;
}

static int send_open(struct tracker *t, struct xensnd_front_buffer *buf,
		     int format, uint32_t rate, uint32_t channels,
		     uint32_t buffer_sz, uint32_t period_sz)
{
	struct xensnd_req req;

	xensnd_req_open(&req, rate, (uint8_t)format, (uint8_t)channels, buffer_sz,
			buf->dir_refs[0], period_sz);
	return request(t, &req);
}

static int send_simple(struct tracker *t, uint8_t op, uint32_t offset, uint32_t length)
{
	struct xensnd_req req;

	if (op == XENSND_OP_CLOSE)
		xensnd_req_close(&req);
	else
		xensnd_req_rw(&req, op, offset, length);
	return request(t, &req);
}

static int send_trigger(struct tracker *t, uint8_t type)
{
	struct xensnd_req req;

	xensnd_req_trigger(&req, type);
	return request(t, &req);
}

/* ---- commands ---- */

static int cmd_query(struct tracker *t, const struct args *a)
{
	struct xensnd_query_hw_param q = {
		.formats = a->format >= 0 ? UINT64_C(1) << a->format : ~UINT64_C(0),
		.rates = { a->rate ? a->rate : 0, a->rate ? a->rate : UINT32_MAX },
		.channels = { a->channels ? a->channels : 0,
			      a->channels ? a->channels : UINT32_MAX },
		.buffer = { 0, UINT32_MAX },
		.period = { 0, UINT32_MAX },
	};
	struct xensnd_req req;
	int r;

	xensnd_req_hw_param_query(&req, &q);
	r = request(t, &req);
	if (r < 0) {
		printf("query: status %d\n", r);
		return 1;
	}
	q = req.op.hw_param;
	printf("formats=0x%" PRIx64 " rates=%u:%u channels=%u:%u buffer=%u:%u period=%u:%u\n",
	       q.formats, q.rates.min, q.rates.max, q.channels.min, q.channels.max,
	       q.buffer.min, q.buffer.max, q.period.min, q.period.max);
	return 0;
}

/* Write [from, to) of data (octet stream offsets) into the ring buffer. */
static int write_range(struct tracker *t, struct xensnd_front_buffer *buf,
		       const uint8_t *data, uint32_t data_len, uint64_t from,
		       uint64_t to, uint32_t chunk)
{
	while (from < to) {
		uint32_t off = (uint32_t)(from % buf->size);
		uint64_t n = to - from;
		int r;

		if (n > chunk)
			n = chunk;
		if (n > buf->size - off)
			n = buf->size - off;
		for (uint64_t i = 0; i < n; i++)
			buf->data[off + i] = data[(from + i) % data_len];
		r = send_simple(t, XENSND_OP_WRITE, off, (uint32_t)n);
		if (r < 0) {
			fprintf(stderr, "testfront: WRITE %u+%" PRIu64 ": status %d\n", off, n, r);
			return r;
		}
		from += n;
	}
	return 0;
}

static int play_once(struct tracker *t, struct xensnd_front_buffer *buf,
		     const struct wav_file *w, const struct args *a, uint32_t period,
		     uint64_t base)
{
	uint64_t total = w->size, written = 0;
	uint32_t chunk = a->chunk ? a->chunk : period;
	bool paused_once = false;
	uint64_t deadline;
	int r;

	/* Prefill, start, then keep the buffer full as CUR_POS frees room. */
	uint64_t first = total < buf->size ? total : buf->size;

	r = write_range(t, buf, w->data, w->size, 0, first, chunk);
	written = first;
	if (r == 0)
		r = send_trigger(t, XENSND_OP_TRIGGER_START);
	if (r < 0)
		return r;
	deadline = now_ns() + (uint64_t)(total * 1e9 / (t->bytes_per_ns * 1e9)) +
		   (uint64_t)TIMEOUT_MS * 1000000u + (uint64_t)a->pause_ms * 1000000u;
	while (t->position - base < total) {
		if (now_ns() > deadline) {
			fprintf(stderr, "testfront: playback stuck at %" PRIu64 " of %" PRIu64 "\n",
				t->position - base, total);
			return -ETIMEDOUT;
		}
		if (a->pause_ms && !paused_once && t->position - base >= a->pause_at) {
			uint64_t held;

			paused_once = true;
			r = send_trigger(t, XENSND_OP_TRIGGER_PAUSE);
			if (r < 0)
				return r;
			held = t->position;
			for (uint64_t end = now_ns() + a->pause_ms * 1000000ull; now_ns() < end;)
				wait_activity(t, 10, NULL);
			if (t->position != held) {
				fprintf(stderr, "testfront: position moved while paused: %"
					PRIu64 " -> %" PRIu64 "\n", held, t->position);
				return -EPROTO;
			}
			printf("pause held position %" PRIu64 " for %u ms\n", held, a->pause_ms);
			r = send_trigger(t, XENSND_OP_TRIGGER_RESUME);
			if (r < 0)
				return r;
		}
		if (written < total && t->position - base + buf->size >= written + chunk) {
			uint64_t to = t->position - base + buf->size;

			if (to > total)
				to = total;
			r = write_range(t, buf, w->data, w->size, written, to, chunk);
			if (r < 0)
				return r;
			written = to;
			continue;
		}
		wait_activity(t, 100, NULL);
	}
	return send_trigger(t, XENSND_OP_TRIGGER_STOP);
}

static void report_timing(const struct tracker *t, uint32_t rate)
{
	double secs = (double)(t->t_last - t->t_first) / 1e9;
	double n = (double)t->n_events;
	double den = n * t->sum_tt - t->sum_t * t->sum_t;
	/* octets per second from the fit's slope (octets per ns) */
	double measured = n > 2 && den > 0 ?
		(n * t->sum_tp - t->sum_t * t->sum_p) / den * 1e9 : 0;
	double nominal = t->bytes_per_ns * 1e9;

	printf("cur_pos events=%" PRIu64 " span_ms=%.1f max_err_us=%.0f drift_ppm=%.0f\n",
	       t->n_events, secs * 1000, t->max_err_ns / 1000,
	       nominal > 0 && measured > 0 ? (measured / nominal - 1) * 1e6 : 0);
	(void)rate;
}

static int open_buffer(struct front *f, struct xensnd_front_buffer *buf, uint32_t size)
{
	int r = xensnd_front_buffer_alloc(buf, f->gntshr, f->backend, size);

	if (r < 0)
		fail("%s", "allocating the stream buffer", r);
	return r;
}

static int cmd_play(struct front *f, struct tracker *t, const struct args *a)
{
	struct xensnd_front_buffer buf = { 0 };
	struct wav_file w;
	char err[256];
	uint32_t fb, period, bufsz;
	int r;

	if (wav_file_read(&w, a->file, err, sizeof(err)) < 0) {
		fprintf(stderr, "testfront: %s\n", err);
		return 1;
	}
	fb = xensnd_frame_bytes((unsigned)a->format, w.fmt.channels);
	bufsz = a->buffer ? a->buffer : 16 * 1024 / fb * fb;
	period = a->period ? a->period : bufsz / 4 / fb * fb;
	t->bytes_per_ns = (double)w.fmt.rate * fb / 1e9;
	r = open_buffer(f, &buf, bufsz);
	if (r == 0)
		r = send_open(t, &buf, a->format, w.fmt.rate, w.fmt.channels, bufsz, period);
	if (r < 0)
		fprintf(stderr, "testfront: OPEN: status %d\n", r);
	for (unsigned i = 0; r == 0 && i < (a->repeat ? a->repeat : 1); i++)
		r = play_once(t, &buf, &w, a, period, t->position);
	if (r == 0)
		r = send_simple(t, XENSND_OP_CLOSE, 0, 0);
	if (r == 0) {
		printf("played %u octets x%u\n", w.size, a->repeat ? a->repeat : 1);
		report_timing(t, w.fmt.rate);
		fflush(stdout);
		if (a->hold_ms)
			sleep_ms(a->hold_ms);
	}
	xensnd_front_buffer_free(&buf);
	wav_file_free(&w);
	return r == 0 ? 0 : 1;
}

static int save_wav(const char *path, const struct args *a, const uint8_t *data,
		    uint32_t n)
{
	struct wav_format fmt;
	struct wav_conversion conv;
	struct wav_writer w;
	uint8_t *copy = malloc(n ? n : 1);
	int r;

	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, data, n);
	unlink(path);
	r = wav_format_for_sndif((unsigned)a->format, a->channels, a->rate, &fmt, &conv);
	if (r == 0) {
		wav_convert(&conv, copy, n);
		r = wav_writer_open(&w, path, &fmt);
	}
	if (r == 0) {
		r = wav_writer_append(&w, copy, n);
		wav_writer_close(&w);
	}
	free(copy);
	return r;
}

static int cmd_record(struct front *f, struct tracker *t, const struct args *a)
{
	struct xensnd_front_buffer buf = { 0 };
	uint32_t fb = xensnd_frame_bytes((unsigned)a->format, a->channels);
	uint32_t bufsz, period;
	uint64_t want, got = 0, deadline;
	uint8_t *out;
	int r;

	if (fb == 0)
		return 1;
	bufsz = a->buffer ? a->buffer : 16 * 1024 / fb * fb;
	period = a->period ? a->period : bufsz / 4 / fb * fb;
	want = (uint64_t)a->frames * fb;
	out = malloc(want ? want : 1);
	t->bytes_per_ns = (double)a->rate * fb / 1e9;
	r = open_buffer(f, &buf, bufsz);
	if (r == 0)
		r = send_open(t, &buf, a->format, a->rate, a->channels, bufsz, period);
	if (r == 0)
		r = send_trigger(t, XENSND_OP_TRIGGER_START);
	deadline = now_ns() + (uint64_t)(want / t->bytes_per_ns) + TIMEOUT_MS * 1000000ull;
	while (r == 0 && got < want) {
		uint64_t avail = t->position - got;

		if (now_ns() > deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (avail == 0) {
			wait_activity(t, 100, NULL);
			continue;
		}
		if (avail > want - got)
			avail = want - got;
		while (r == 0 && avail > 0) {
			uint32_t off = (uint32_t)(got % bufsz);
			uint32_t n = (uint32_t)(avail < bufsz - off ? avail : bufsz - off);

			r = send_simple(t, XENSND_OP_READ, off, n);
			if (r == 0)
				memcpy(out + got, buf.data + off, n);
			got += n;
			avail -= n;
		}
	}
	if (r == 0)
		r = send_trigger(t, XENSND_OP_TRIGGER_STOP);
	if (r == 0)
		r = send_simple(t, XENSND_OP_CLOSE, 0, 0);
	if (r == 0)
		r = save_wav(a->file, a, out, (uint32_t)want);
	if (r == 0) {
		printf("recorded %" PRIu64 " frames\n", want / fb);
		report_timing(t, a->rate);
	} else {
		fprintf(stderr, "testfront: record: status %d\n", r);
	}
	free(out);
	xensnd_front_buffer_free(&buf);
	return r == 0 ? 0 : 1;
}

static int parse_list(const char *s, int32_t *out, unsigned max)
{
	unsigned n = 0;

	while (s && *s && n < max) {
		char *end;

		out[n++] = (int32_t)strtol(s, &end, 10);
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return (int)n;
}

static int cmd_volume(struct front *f, struct tracker *t, const struct args *a)
{
	struct xensnd_front_buffer buf = { 0 };
	int32_t vol[256], mute[256], back[256];
	int nv = parse_list(a->set, vol, 256), nm = parse_list(a->mute, mute, 256);
	uint32_t fb = xensnd_frame_bytes((unsigned)a->format, a->channels);
	int r;

	if (nv != (int)a->channels || (a->mute && nm != (int)a->channels)) {
		fprintf(stderr, "testfront: give one value per channel\n");
		return 1;
	}
	r = open_buffer(f, &buf, 4096);
	if (r == 0)
		r = send_open(t, &buf, a->format, a->rate, a->channels, 4096 / fb * fb, 0);
	if (r == 0) {
		memcpy(buf.data, vol, a->channels * 4);
		r = send_simple(t, XENSND_OP_SET_VOLUME, 0, a->channels * 4);
	}
	if (r == 0) {
		memset(buf.data + 1024, 0x5a, a->channels * 4);
		r = send_simple(t, XENSND_OP_GET_VOLUME, 1024, a->channels * 4);
		memcpy(back, buf.data + 1024, a->channels * 4);
		if (r == 0 && memcmp(back, vol, a->channels * 4) != 0) {
			fprintf(stderr, "testfront: GET_VOLUME gave other values\n");
			r = -EPROTO;
		}
	}
	if (r == 0 && a->mute) {
		/* Mute the listed channels, then unmute those that are 0. */
		for (unsigned c = 0; c < a->channels; c++)
			buf.data[2048 + c] = mute[c] != 0;
		r = send_simple(t, XENSND_OP_MUTE, 2048, a->channels);
	}
	if (r == 0)
		printf("volume set and read back\n");
	else
		fprintf(stderr, "testfront: volume: status %d\n", r);
	fflush(stdout);
	if (r == 0 && a->hold_ms)
		sleep_ms(a->hold_ms);
	if (r == 0 && a->mute) {
		for (unsigned c = 0; c < a->channels; c++)
			buf.data[2048 + c] = 1;
		r = send_simple(t, XENSND_OP_UNMUTE, 2048, a->channels);
	}
	if (r == 0)
		r = send_simple(t, XENSND_OP_CLOSE, 0, 0);
	xensnd_front_buffer_free(&buf);
	return r == 0 ? 0 : 1;
}

/* ---- bad requests: each must be refused and leave the stream usable ---- */

struct bad_ctx {
	struct front *f;
	struct tracker *t;
	const struct args *a;
	uint32_t fb;
	struct xensnd_front_buffer buf;		/* 4 pages */
};

static int open_good(struct bad_ctx *c)
{
	return send_open(c->t, &c->buf, c->a->format, c->a->rate, c->a->channels,
			 c->buf.size, c->buf.size / 4 / c->fb * c->fb);
}

static int bad_open(struct bad_ctx *c, const char *rule)
{
	const struct args *a = c->a;
	struct xensnd_req req;
	uint32_t size = c->buf.size, period = size / 4 / c->fb * c->fb;

	xensnd_req_open(&req, a->rate, (uint8_t)a->format, (uint8_t)a->channels,
			size, c->buf.dir_refs[0], period);
	if (!strcmp(rule, "open-rate"))
		req.op.open.pcm_rate = 12345;
	else if (!strcmp(rule, "open-format"))
		req.op.open.pcm_format = XENSND_PCM_FORMAT_GSM;
	else if (!strcmp(rule, "open-format-unknown"))
		req.op.open.pcm_format = 250;
	else if (!strcmp(rule, "open-channels"))
		req.op.open.pcm_channels = 200;
	else if (!strcmp(rule, "open-buffer-big"))
		req.op.open.buffer_sz = 16u << 20;
	else if (!strcmp(rule, "open-buffer-unaligned"))
		req.op.open.buffer_sz = size - 1;
	else if (!strcmp(rule, "open-period-big"))
		req.op.open.period_sz = size * 2;
	else if (!strcmp(rule, "open-gref0"))
		req.op.open.gref_directory = 0;
	else if (!strcmp(rule, "open-dir-short"))
		req.op.open.buffer_sz = size * 4;	/* more pages than the directory lists */
	else if (!strcmp(rule, "open-dir-bogus"))
		req.op.open.gref_directory = 0xfff0;	/* never granted */
	return request(c->t, &req);
}

static int bad_after_open(struct bad_ctx *c, const char *rule)
{
	uint32_t size = c->buf.size;
	struct xensnd_req req;
	int r = open_good(c), status;

	if (r < 0) {
		fprintf(stderr, "testfront: good OPEN failed: %d\n", r);
		return 1;
	}
	if (!strcmp(rule, "open-twice"))
		status = open_good(c);
	else if (!strcmp(rule, "write-outside"))
		status = send_simple(c->t, XENSND_OP_WRITE, size - c->fb, 2 * c->fb);
	else if (!strcmp(rule, "write-wrap"))
		status = send_simple(c->t, XENSND_OP_WRITE, 0xffffffffu - c->fb + 2, 2 * c->fb);
	else if (!strcmp(rule, "write-unaligned"))
		status = c->fb > 1 ? send_simple(c->t, XENSND_OP_WRITE, 1, c->fb)
				   : send_simple(c->t, XENSND_OP_WRITE, 0, 0);
	else if (!strcmp(rule, "write-empty"))
		status = send_simple(c->t, XENSND_OP_WRITE, 0, 0);
	else if (!strcmp(rule, "write-full")) {
		/* Not started: the queue holds one buffer, not two. */
		status = send_simple(c->t, XENSND_OP_WRITE, 0, size / c->fb * c->fb);
		if (status == 0)
			status = send_simple(c->t, XENSND_OP_WRITE, 0, c->fb);
		else
			status = 1;
	} else if (!strcmp(rule, "read-on-playback"))
		status = send_simple(c->t, XENSND_OP_READ, 0, c->fb);
	else if (!strcmp(rule, "trigger-pause-stopped"))
		status = send_trigger(c->t, XENSND_OP_TRIGGER_PAUSE);
	else if (!strcmp(rule, "trigger-resume-stopped"))
		status = send_trigger(c->t, XENSND_OP_TRIGGER_RESUME);
	else if (!strcmp(rule, "trigger-stop-stopped"))
		status = send_trigger(c->t, XENSND_OP_TRIGGER_STOP);
	else if (!strcmp(rule, "trigger-start-twice")) {
		status = send_trigger(c->t, XENSND_OP_TRIGGER_START);
		status = status == 0 ? send_trigger(c->t, XENSND_OP_TRIGGER_START) : 1;
		send_trigger(c->t, XENSND_OP_TRIGGER_STOP);
	} else if (!strcmp(rule, "trigger-unknown"))
		status = send_trigger(c->t, 9);
	else if (!strcmp(rule, "volume-length"))
		status = send_simple(c->t, XENSND_OP_SET_VOLUME, 0, c->a->channels * 4 + 4);
	else if (!strcmp(rule, "volume-outside"))
		status = send_simple(c->t, XENSND_OP_GET_VOLUME, size - 2, c->a->channels * 4);
	else if (!strcmp(rule, "mute-length"))
		status = send_simple(c->t, XENSND_OP_MUTE, 0, c->a->channels + 1);
	else if (!strcmp(rule, "unknown-op")) {
		xensnd_req_close(&req);
		req.operation = 77;
		status = request(c->t, &req);
	} else {
		fprintf(stderr, "testfront: unknown rule %s\n", rule);
		status = 1;
	}
	r = send_simple(c->t, XENSND_OP_CLOSE, 0, 0);
	if (r < 0) {
		fprintf(stderr, "testfront: CLOSE after %s failed: %d\n", rule, r);
		return 1;
	}
	return status;
}

static int bad_query(struct bad_ctx *c)
{
	struct xensnd_query_hw_param q = {
		.formats = UINT64_C(1) << XENSND_PCM_FORMAT_GSM,
		.rates = { 0, UINT32_MAX }, .channels = { 0, UINT32_MAX },
		.buffer = { 0, UINT32_MAX }, .period = { 0, UINT32_MAX },
	};
	struct xensnd_req req;

	xensnd_req_hw_param_query(&req, &q);
	return request(c->t, &req);
}

static int cmd_bad(struct front *f, struct tracker *t, const struct args *a)
{
	static const char *const before_open[] = {
		"open-rate", "open-format", "open-format-unknown", "open-channels",
		"open-buffer-big", "open-buffer-unaligned", "open-period-big",
		"open-gref0", "open-dir-short", "open-dir-bogus",
	};
	static const char *const after_open[] = {
		"open-twice", "write-outside", "write-wrap", "write-unaligned",
		"write-empty", "write-full", "read-on-playback",
		"trigger-pause-stopped", "trigger-resume-stopped",
		"trigger-stop-stopped", "trigger-start-twice", "trigger-unknown",
		"volume-length", "volume-outside", "mute-length", "unknown-op",
	};
	struct bad_ctx c = { .f = f, .t = t, .a = a };
	int failures = 0, s;

	c.fb = xensnd_frame_bytes((unsigned)a->format, a->channels);
	if (c.fb == 0 || open_buffer(f, &c.buf, 4 * 4096) < 0)
		return 1;
#define EXPECT(rule, status) do { \
	s = (status); \
	printf("%-24s status %d\n", rule, s); \
	if (s >= 0) { \
		fprintf(stderr, "testfront: %s was accepted\n", rule); \
		failures++; \
	} \
} while (0)
	/* Requests on a stream that is not open. */
	EXPECT("write-closed", send_simple(t, XENSND_OP_WRITE, 0, c.fb));
	EXPECT("read-closed", send_simple(t, XENSND_OP_READ, 0, c.fb));
	EXPECT("close-closed", send_simple(t, XENSND_OP_CLOSE, 0, 0));
	EXPECT("trigger-closed", send_trigger(t, XENSND_OP_TRIGGER_START));
	EXPECT("volume-closed", send_simple(t, XENSND_OP_SET_VOLUME, 0, a->channels * 4));
	EXPECT("query-empty", bad_query(&c));
	for (size_t i = 0; i < sizeof(before_open) / sizeof(*before_open); i++)
		EXPECT(before_open[i], bad_open(&c, before_open[i]));
	for (size_t i = 0; i < sizeof(after_open) / sizeof(*after_open); i++)
		EXPECT(after_open[i], bad_after_open(&c, after_open[i]));
#undef EXPECT
	xensnd_front_buffer_free(&c.buf);
	printf("bad requests: %d accepted\n", failures);
	return failures ? 1 : 0;
}

/* ---- a hostile guest: what bad.sh does not try ---- */

/*
 * One rule per run (`testfront hostile S RULE`): page directories that
 * loop, are too long, or name pages the backend was never granted;
 * requests after CLOSE; floods of requests and notifications; a guest
 * that never consumes events; random requests; a request producer a
 * ring ahead. Each must be refused or survived; the backend must go on
 * serving (checked by the script, with another guest playing).
 */
#define FOREIGN_DOMID_OFFSET	42	/* a domain that is not the backend */

struct hostile_ctx {
	struct front *f;
	struct tracker *t;
	const struct args *a;
	uint32_t fb;
};

static int hostile_open(struct hostile_ctx *c, struct xensnd_front_buffer *buf,
			grant_ref_t dir_ref)
{
	struct xensnd_req req;
	uint32_t period = buf->size / 4 / c->fb * c->fb;

	xensnd_req_open(&req, c->a->rate, (uint8_t)c->a->format,
			(uint8_t)c->a->channels, buf->size, dir_ref, period);
	return request(c->t, &req);
}

/* A page granted to some domain that is not the backend (or to it). */
static void *share_one(struct hostile_ctx *c, domid_t to, grant_ref_t *ref)
{
	void *p = xengntshr_share_pages(c->f->gntshr, to, 1, ref, 0);

	if (p != NULL)
		memset(p, 0, XENSND_PAGE_SIZE);
	return p;
}

/* Every directory rule; the status of the OPEN (expected negative). */
static int hostile_dir(struct hostile_ctx *c, const char *rule)
{
	bool two_pages = !strcmp(rule, "dir-loop-2");
	uint32_t size = two_pages ? (XENSND_PAGEDIR_REFS_PER_PAGE + 8) * XENSND_PAGE_SIZE
				  : 4 * XENSND_PAGE_SIZE;
	domid_t foreign = (domid_t)(c->f->backend + FOREIGN_DOMID_OFFSET);
	struct xensnd_front_buffer buf;
	struct xensnd_page_directory *dir;
	grant_ref_t ref = 0, first;
	void *extra = NULL;
	int status;

	if (open_buffer(c->f, &buf, size) < 0)
		return 1;
	dir = buf.dir;
	first = buf.dir_refs[0];
	if (!strcmp(rule, "dir-loop"))
		dir->gref_dir_next_page = buf.dir_refs[0];	/* itself */
	else if (two_pages)	/* page 1 leads back to page 0 */
		((struct xensnd_page_directory *)((uint8_t *)buf.dir +
			XENSND_PAGE_SIZE))->gref_dir_next_page = buf.dir_refs[0];
	else if (!strcmp(rule, "dir-long")) {
		extra = share_one(c, c->f->backend, &ref);
		dir->gref_dir_next_page = ref;	/* one page more than needed */
	} else if (!strcmp(rule, "dir-foreign")) {
		extra = share_one(c, foreign, &ref);
		if (extra)
			memcpy(extra, buf.dir, XENSND_PAGE_SIZE);
		first = ref;
	} else if (!strcmp(rule, "buf-foreign")) {
		extra = share_one(c, foreign, &ref);
		dir->gref[1] = ref;
	} else if (!strcmp(rule, "buf-ref0"))
		dir->gref[2] = 0;
	else if (!strcmp(rule, "buf-ungranted"))
		dir->gref[3] = 0xfff0;
	if ((strstr(rule, "long") || strstr(rule, "foreign")) && extra == NULL) {
		fail("%s", "sharing the extra page", -errno);
		xensnd_front_buffer_free(&buf);
		return 1;
	}
	status = hostile_open(c, &buf, first);
	if (status == 0)
		send_simple(c->t, XENSND_OP_CLOSE, 0, 0);
	if (extra)
		xengntshr_unshare(c->f->gntshr, extra, 1);
	xensnd_front_buffer_free(&buf);
	return status;
}

/* WRITE, TRIGGER and CLOSE after a CLOSE: the first refused is returned. */
static int hostile_after_close(struct hostile_ctx *c)
{
	struct xensnd_front_buffer buf;
	int s[3], r;

	if (open_buffer(c->f, &buf, 4 * XENSND_PAGE_SIZE) < 0)
		return 1;
	r = hostile_open(c, &buf, buf.dir_refs[0]);
	if (r == 0)
		r = send_simple(c->t, XENSND_OP_CLOSE, 0, 0);
	if (r != 0) {
		fail("%s", "the good OPEN/CLOSE", r);
		xensnd_front_buffer_free(&buf);
		return 1;
	}
	s[0] = send_simple(c->t, XENSND_OP_WRITE, 0, c->fb);
	s[1] = send_trigger(c->t, XENSND_OP_TRIGGER_START);
	s[2] = send_simple(c->t, XENSND_OP_CLOSE, 0, 0);
	printf("after CLOSE: WRITE %d, TRIGGER %d, CLOSE %d\n", s[0], s[1], s[2]);
	xensnd_front_buffer_free(&buf);
	return s[0] < 0 && s[1] < 0 && s[2] < 0 ? -EINVAL : 0;
}

/* Take every response there is; count the refused ones. */
static int drain_responses(struct tracker *t, unsigned *answered, unsigned *refused)
{
	struct xensnd_resp resp[XENSND_RING_SIZE];
	int n = xensnd_front_ring_responses(&t->ch->ring, resp, XENSND_RING_SIZE);

	if (n < 0) {
		fprintf(stderr, "testfront: bad response: %s\n", t->ch->ring.error);
		return n;
	}
	for (int i = 0; i < n; i++)
		*refused += resp[i].status < 0;
	*answered += (unsigned)n;
	return n;
}

/* n requests made by make(), as fast as the ring takes them. */
static int flood(struct hostile_ctx *c, unsigned n, bool random_bytes)
{
	uint64_t t0 = now_ns(), deadline = t0 + 20000000000ull;
	unsigned sent = 0, answered = 0, refused = 0;

	while (answered < n && now_ns() < deadline) {
		bool notify = false, any = false;

		while (sent < n && xensnd_front_ring_can_push(&c->t->ch->ring)) {
			struct xensnd_req req;

			if (random_bytes)
				for (size_t k = 0; k < sizeof(req); k++)
					((uint8_t *)&req)[k] = (uint8_t)rand();
			else
				xensnd_req_rw(&req, XENSND_OP_WRITE, 0, c->fb);
			if (xensnd_front_ring_push(&c->t->ch->ring, &req, &notify) < 0)
				break;
			any = true;
			sent++;
		}
		if (any)
			xensnd_front_channel_notify(c->t->ch);
		if (drain_responses(c->t, &answered, &refused) < 0)
			return 1;
		if (answered < sent)
			wait_activity(c->t, 10, NULL);
	}
	printf("flood: %u requests sent, %u answered, %u refused, %.0f per second\n",
	       sent, answered, refused,
	       answered * 1e9 / (double)(now_ns() - t0 + 1));
	if (answered != n) {
		fprintf(stderr, "testfront: only %u of %u requests answered\n", answered, n);
		return 1;
	}
	/* Random requests may be valid ones; a WRITE on a closed stream never is. */
	return random_bytes || refused == n ? 0 : 1;
}

static int notify_flood(struct hostile_ctx *c, unsigned n)
{
	uint64_t t0 = now_ns();
	struct xensnd_query_hw_param q = { 0 };
	struct xensnd_req req;
	int r;

	for (unsigned i = 0; i < n; i++)
		xensnd_front_channel_notify(c->t->ch);
	printf("notify flood: %u notifications in %.0f ms\n", n,
	       (double)(now_ns() - t0) / 1e6);
	/* Still served. */
	xensnd_req_hw_param_query(&req, &q);
	r = request(c->t, &req);
	return r == 0 || r == -EINVAL ? 0 : 1;
}

/*
 * Play for ms without ever taking an event: the event page fills and
 * stays full. WRITEs are answered all the same.
 */
static int never_consume(struct hostile_ctx *c, unsigned ms)
{
	struct xensnd_front_buffer buf;
	struct xensnd_event_page *page = c->t->ch->ring.evt_page;
	uint32_t period = 4 * XENSND_PAGE_SIZE / 4 / c->fb * c->fb;
	uint64_t end, queued = 0, t0;
	unsigned answered = 0, refused = 0, sent = 0;
	int r;

	if (open_buffer(c->f, &buf, 4 * XENSND_PAGE_SIZE) < 0)
		return 1;
	r = hostile_open(c, &buf, buf.dir_refs[0]);
	if (r == 0)
		r = send_trigger(c->t, XENSND_OP_TRIGGER_START);
	if (r != 0) {
		xensnd_front_buffer_free(&buf);
		return 1;
	}
	t0 = now_ns();
	end = t0 + (uint64_t)ms * 1000000u;
	while (now_ns() < end) {
		uint64_t played = (now_ns() - t0) * c->a->rate / 1000000000u * c->fb;
		struct pollfd pfd = { .fd = xensnd_front_channel_fd(c->t->ch), .events = POLLIN };
		bool resp, evt, notify = false;
		struct xensnd_req req;

		/* Keep about two periods queued, by our own clock. */
		if (queued < played + 2 * period &&
		    xensnd_front_ring_can_push(&c->t->ch->ring)) {
			xensnd_req_rw(&req, XENSND_OP_WRITE, (uint32_t)(queued % buf.size), period);
			if (xensnd_front_ring_push(&c->t->ch->ring, &req, &notify) >= 0) {
				xensnd_front_channel_notify(c->t->ch);
				queued += period;
				sent++;
			}
		}
		poll(&pfd, 1, 5);
		xensnd_front_channel_pending(c->t->ch, &resp, &evt);
		if (drain_responses(c->t, &answered, &refused) < 0)
			break;
	}
	printf("never consumed: %u WRITEs, %u answered, %u refused; event page "
	       "in_prod %u in_cons %u\n", sent, answered, refused,
	       page->in_prod, page->in_cons);
	r = (page->in_prod - page->in_cons == XENSND_IN_RING_LEN - 1 ||
	     page->in_prod - page->in_cons == XENSND_IN_RING_LEN) && answered > 0 ? 0 : 1;
	/* Now take them, and stop cleanly. */
	send_trigger(c->t, XENSND_OP_TRIGGER_STOP);
	send_simple(c->t, XENSND_OP_CLOSE, 0, 0);
	xensnd_front_buffer_free(&buf);
	return r;
}

/* req_prod two rings ahead: the backend must drop the card, not read on. */
static int req_prod_ahead(struct hostile_ctx *c)
{
	struct xen_sndif_front_ring *ring = &c->t->ch->ring.ring;

	__atomic_thread_fence(__ATOMIC_RELEASE);	/* the ring before the index */
	ring->sring->req_prod = ring->req_prod_pvt + 2 * RING_SIZE(ring);
	xensnd_front_channel_notify(c->t->ch);
	for (int i = 0; i < TIMEOUT_MS / 20; i++) {
		if (back_state(c->f) >= XenbusStateClosing) {
			printf("req_prod ahead: the backend went %s\n",
			       xensnd_state_name(back_state(c->f)));
			return 0;
		}
		sleep_ms(20);
	}
	fprintf(stderr, "testfront: the backend did not close after req_prod ran ahead\n");
	return 1;
}

static int cmd_hostile(struct front *f, struct tracker *t, const struct args *a)
{
	static const char *const dir_rules[] = {
		"dir-loop", "dir-loop-2", "dir-long", "dir-foreign", "buf-foreign",
		"buf-ref0", "buf-ungranted",
	};
	struct hostile_ctx c = { .f = f, .t = t, .a = a };
	const char *rule = a->file;

	c.fb = xensnd_frame_bytes((unsigned)a->format, a->channels);
	if (c.fb == 0 || rule == NULL)
		return 1;
	for (size_t i = 0; i < sizeof(dir_rules) / sizeof(*dir_rules); i++)
		if (!strcmp(rule, dir_rules[i])) {
			int s = hostile_dir(&c, rule);

			printf("%-16s status %d\n", rule, s);
			return s < 0 ? 0 : 1;
		}
	if (!strcmp(rule, "after-close"))
		return hostile_after_close(&c) < 0 ? 0 : 1;
	if (!strcmp(rule, "req-flood"))
		return flood(&c, 20000, false);
	if (!strcmp(rule, "req-garbage"))
		return flood(&c, 2000, true);
	if (!strcmp(rule, "notify-flood"))
		return notify_flood(&c, 100000);
	if (!strcmp(rule, "never-consume"))
		return never_consume(&c, 1500);
	if (!strcmp(rule, "req-prod-ahead"))
		return req_prod_ahead(&c);
	fprintf(stderr, "testfront: unknown hostile rule %s\n", rule);
	return 2;
}

/* ---- main ---- */

static int parse_args(struct args *a, int argc, char **argv)
{
	int i = 1;

	*a = (struct args){ .format = -1 };
	if (i + 1 < argc && !strcmp(argv[i], "--dev")) {
		a->dev = (unsigned)atoi(argv[i + 1]);
		i += 2;
	}
	if (i >= argc)
		return -1;
	a->cmd = argv[i++];
	if (strcmp(a->cmd, "connect") != 0) {
		if (i >= argc)
			return -1;
		a->stream = (unsigned)atoi(argv[i++]);
	}
	if ((!strcmp(a->cmd, "play") || !strcmp(a->cmd, "record") ||
	     !strcmp(a->cmd, "hostile")) && i < argc)
		a->file = argv[i++];
	for (; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--format")) {
			const struct xensnd_format *f = xensnd_format_from_name(v);

			if (f == NULL)
				return -1;
			a->format = f->sndif;
		} else if (!strcmp(k, "--rate")) a->rate = (uint32_t)atol(v);
		else if (!strcmp(k, "--channels")) a->channels = (uint32_t)atol(v);
		else if (!strcmp(k, "--frames")) a->frames = (uint32_t)atol(v);
		else if (!strcmp(k, "--buffer")) a->buffer = (uint32_t)atol(v);
		else if (!strcmp(k, "--period")) a->period = (uint32_t)atol(v);
		else if (!strcmp(k, "--chunk")) a->chunk = (uint32_t)atol(v);
		else if (!strcmp(k, "--repeat")) a->repeat = (unsigned)atoi(v);
		else if (!strcmp(k, "--pause-at")) a->pause_at = (uint64_t)atoll(v);
		else if (!strcmp(k, "--pause-ms")) a->pause_ms = (unsigned)atoi(v);
		else if (!strcmp(k, "--hold-ms")) a->hold_ms = (unsigned)atoi(v);
		else if (!strcmp(k, "--set")) a->set = v;
		else if (!strcmp(k, "--mute")) a->mute = v;
		else
			return -1;
	}
	return i == argc ? 0 : -1;
}

/* SIGUSR1 ends a --hold-ms early (nanosleep returns on a handled signal). */
static void on_usr1(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct front f = { 0 };
	struct tracker t = { 0 };
	struct args a;
	int code = 1;

	sigaction(SIGUSR1, &sa, NULL);
	if (parse_args(&a, argc, argv) < 0) {
		fprintf(stderr, "usage: see the comment at the top of testfront.c\n");
		return 2;
	}
	if (front_connect(&f, a.dev) < 0)
		goto out;
	if (!strcmp(a.cmd, "connect")) {
		printf("connected %s, %u stream(s)\n", f.card, f.n);
		fflush(stdout);
		sleep_ms(a.hold_ms);
		code = 0;
		goto out;
	}
	if (a.stream >= f.n) {
		fprintf(stderr, "testfront: no stream %u\n", a.stream);
		goto out;
	}
	t.ch = &f.chans[a.stream];
	if (!strcmp(a.cmd, "query"))
		code = cmd_query(&t, &a);
	else if (!strcmp(a.cmd, "play") && a.format >= 0)
		code = cmd_play(&f, &t, &a);
	else if (!strcmp(a.cmd, "record") && a.format >= 0)
		code = cmd_record(&f, &t, &a);
	else if (!strcmp(a.cmd, "volume") && a.format >= 0)
		code = cmd_volume(&f, &t, &a);
	else if (!strcmp(a.cmd, "bad") && a.format >= 0)
		code = cmd_bad(&f, &t, &a);
	else if (!strcmp(a.cmd, "hostile") && a.format >= 0)
		code = cmd_hostile(&f, &t, &a);
	else
		fprintf(stderr, "testfront: unknown command or missing --format\n");
out:
	front_close(&f);
	return code;
}
