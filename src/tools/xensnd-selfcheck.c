/* SPDX-License-Identifier: MIT */
/*
 * xensnd-selfcheck: the sndif protocol core end to end, in one process,
 * without Xen. It reads the example card of xen/io/sndif.h through the
 * configuration reader, walks the format table, runs a frontend and a
 * backend ring over two local pages (across 2^16 ids and 2^32 ring
 * indexes), and builds and walks page directories. Every check is
 * printed with ok or FAILED; the exit status is 0 only if all passed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/debug/types.h>
#include <spa/param/audio/type-info.h>

#include <xensnd/config.h>
#include <xensnd/format.h>
#include <xensnd/pagedir.h>
#include <xensnd/ring.h>

#define CARD "/local/domain/1/device/vsnd/0"

struct tally {
	unsigned ok, failed;
};

static bool report(struct tally *t, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool report(struct tally *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" ... %s\n", ok ? "ok" : "FAILED");
	if (ok)
		t->ok++;
	else
		t->failed++;
	return ok;
}

/* ---- a XenStore tree in a table: the example of xen/io/sndif.h ---- */

struct node {
	const char *path;
	const char *value;
};

static const struct node sndif_example[] = {
	{ CARD "/short-name", "Card short name" },
	{ CARD "/long-name", "Card long name" },
	{ CARD "/sample-rates", "8000,32000,44100,48000,96000" },
	{ CARD "/sample-formats", "s8,u8,s16_le,s16_be" },
	{ CARD "/buffer-size", "262144" },
	{ CARD "/0/name", "General analog" },
	{ CARD "/0/channels-max", "5" },
	{ CARD "/0/0/type", "p" },
	{ CARD "/0/0/sample-formats", "s8,u8" },
	{ CARD "/0/0/unique-id", "0" },
	{ CARD "/0/1/type", "c" },
	{ CARD "/0/1/channels-max", "2" },
	{ CARD "/0/1/unique-id", "1" },
	{ CARD "/1/name", "HDMI-0" },
	{ CARD "/1/sample-rates", "8000,32000,44100" },
	{ CARD "/1/0/type", "c" },
	{ CARD "/1/0/unique-id", "2" },
	{ CARD "/2/name", "SPDIF" },
	{ CARD "/2/0/type", "p" },
	{ CARD "/2/0/unique-id", "3" },
};

#define N_NODES (sizeof(sndif_example) / sizeof(sndif_example[0]))

static char *table_read(void *data, const char *path)
{
	for (size_t i = 0; i < N_NODES; i++)
		if (strcmp(sndif_example[i].path, path) == 0)
			return strdup(sndif_example[i].value);
	errno = ENOENT;
	return NULL;
}

/* The first path component below dir, or NULL; its length in *len. */
static const char *child_of(const char *dir, const char *path, size_t *len)
{
	size_t n = strlen(dir);
	const char *child, *slash;

	if (strncmp(path, dir, n) != 0 || path[n] != '/')
		return NULL;
	child = path + n + 1;
	slash = strchr(child, '/');
	*len = slash ? (size_t)(slash - child) : strlen(child);
	return child;
}

/* As xs_directory: one allocation, the array followed by the names. */
static char **table_directory(void *data, const char *dir, unsigned int *num)
{
	size_t bytes = (N_NODES + 1) * sizeof(char *), len;
	char **names, *strings;

	for (size_t i = 0; i < N_NODES; i++)
		if (child_of(dir, sndif_example[i].path, &len))
			bytes += len + 1;
	names = malloc(bytes);
	if (names == NULL)
		return NULL;
	strings = (char *)(names + N_NODES + 1);
	*num = 0;
	for (size_t i = 0; i < N_NODES; i++) {
		const char *child = child_of(dir, sndif_example[i].path, &len);
		bool seen = false;

		for (unsigned k = 0; child && k < *num && !seen; k++)
			seen = strlen(names[k]) == len && strncmp(names[k], child, len) == 0;
		if (child == NULL || seen)
			continue;
		memcpy(strings, child, len);
		strings[len] = '\0';
		names[(*num)++] = strings;
		strings += len + 1;
	}
	if (*num == 0) {
		free(names);
		errno = ENOENT;
		return NULL;
	}
	return names;
}

/* ---- configuration ---- */

static void print_stream(const struct xensnd_pcm_cfg *pcm,
			 const struct xensnd_stream_cfg *st)
{
	char formats[512], rates[512];

	xensnd_format_formats(st->params.formats, ',', formats, sizeof(formats));
	xensnd_format_rates(st->params.rates, st->params.n_rates, ',', rates, sizeof(rates));
	printf("    %u/%u \"%s\" %s, unique-id %s: formats %s; rates %s;"
	       " channels %u..%u; buffer %u octets\n", pcm->index, st->index,
	       pcm->name, st->capture ? "capture" : "playback", st->unique_id,
	       formats, rates, st->params.channels_min, st->params.channels_max,
	       st->params.buffer_size);
}

static void check_config(struct tally *t)
{
	struct xensnd_reader reader = { table_read, table_directory, NULL };
	struct xensnd_card_cfg cfg;
	char err[XENSND_ERROR_MAX];
	const struct xensnd_pcm_params *p;
	int res = xensnd_card_cfg_read(&cfg, &reader, CARD, err, sizeof(err));

	if (!report(t, res == 0, "[config] read the example card of xen/io/sndif.h at %s", CARD)) {
		printf("    %s\n", err);
		return;
	}
	printf("    card \"%s\" / \"%s\"\n", cfg.short_name, cfg.long_name);
	for (uint32_t i = 0; i < cfg.n_pcms; i++)
		for (uint32_t s = 0; s < cfg.pcms[i].n_streams; s++)
			print_stream(&cfg.pcms[i], &cfg.pcms[i].streams[s]);
	report(t, cfg.n_pcms == 3 && xensnd_card_cfg_n_streams(&cfg) == 4,
	       "[config] 3 PCM devices, 4 streams");
	p = &cfg.pcms[0].streams[0].params;
	report(t, p->formats == ((1u << XENSND_PCM_FORMAT_S8) | (1u << XENSND_PCM_FORMAT_U8)) &&
	       p->n_rates == 5 && p->channels_max == 5 && p->buffer_size == 262144,
	       "[config] 0/0 narrows the card's formats, keeps its rates and buffer, "
	       "takes channels-max 5 from its PCM");
	p = &cfg.pcms[1].streams[0].params;
	report(t, p->n_rates == 3 && p->rates[2] == 44100 && p->channels_min == 1 &&
	       p->channels_max == 2,
	       "[config] 1/0 takes the PCM's 3 rates and the default 1..2 channels");
	xensnd_card_cfg_clear(&cfg);

	/* A value from a hostile store is refused with the reason. */
	{
		uint32_t rates[XENSND_MAX_RATES], n;

		res = xensnd_parse_rates("44100,abc", ',', rates, &n, err, sizeof(err));
		report(t, res == -EINVAL && strcmp(err, "not a number") == 0,
		       "[config] sample-rates \"44100,abc\" refused: %s", err);
	}
}

/* ---- formats ---- */

static void check_formats(struct tally *t)
{
	unsigned twins = 0, bad = 0;

	for (unsigned i = 0; i < XENSND_FORMAT_COUNT; i++) {
		const struct xensnd_format *f = xensnd_format_from_sndif(i);
		bool ok = f && f->sndif == i && xensnd_format_from_name(f->name) == f;

		if (ok && xensnd_format_is_supported(f)) {
			ok = xensnd_format_from_spa(f->spa_format) == f &&
			     xensnd_frame_bytes(i, 2) == 2u * f->sample_bytes;
			twins++;
		}
		if (!ok)
			bad++;
		printf("    %-20s %-10s %u octets/sample%s\n", f ? f->name : "?",
		       f && xensnd_format_is_supported(f) ?
		       spa_debug_type_find_short_name(spa_type_audio_format, f->spa_format) :
		       "(none)", f ? f->sample_bytes : 0, ok ? "" : "  <- wrong");
	}
	report(t, bad == 0 && twins == 20,
	       "[format] %u sndif formats map both ways; %u have an SPA twin",
	       (unsigned)XENSND_FORMAT_COUNT, twins);
}

/* ---- rings ---- */

struct rings {
	void *ring_page, *evt_page;
	struct xensnd_front_ring fr;
	struct xensnd_back_ring br;
};

/* Both ends' ring indexes at idx, as after a long run. */
static void rings_start_at(struct rings *r, uint32_t idx, uint32_t evt_idx)
{
	struct xen_sndif_sring *s = r->ring_page;
	struct xensnd_event_page *e = r->evt_page;

	s->req_prod = s->rsp_prod = idx;
	s->req_event = s->rsp_event = idx + 1;
	r->fr.ring.req_prod_pvt = r->fr.ring.rsp_cons = idx;
	r->br.ring.req_cons = r->br.ring.rsp_prod_pvt = idx;
	e->in_prod = e->in_cons = evt_idx;
	r->fr.evt_cons = r->br.evt_prod = evt_idx;
}

/*
 * One batch: n WRITEs from the front, answered by the back, then one
 * CUR_POS event per write. False on the first thing that differs.
 */
static bool ring_batch(struct rings *r, unsigned n, uint64_t *position,
		       uint16_t *last_id)
{
	struct xensnd_req req, got[XENSND_RING_SIZE];
	struct xensnd_resp resp, resps[XENSND_RING_SIZE];
	struct xensnd_evt evts[XENSND_IN_RING_LEN];
	bool notify;
	int id = 0;

	for (unsigned i = 0; i < n; i++) {
		xensnd_req_rw(&req, XENSND_OP_WRITE, (uint32_t)(i * 256), 256);
		if ((id = xensnd_front_ring_push(&r->fr, &req, &notify)) < 0)
			return false;
	}
	if (xensnd_back_ring_requests(&r->br, got, XENSND_RING_SIZE) != (int)n)
		return false;
	for (unsigned i = 0; i < n; i++) {
		memset(&resp, 0, sizeof(resp));
		resp.id = got[i].id;
		resp.operation = got[i].operation;
		if (got[i].op.rw.offset != i * 256 ||
		    xensnd_back_ring_respond(&r->br, &resp, &notify) < 0 ||
		    xensnd_back_ring_cur_pos(&r->br, *position + (i + 1) * 256) < 0)
			return false;
	}
	if (xensnd_front_ring_responses(&r->fr, resps, XENSND_RING_SIZE) != (int)n ||
	    resps[n - 1].id != (uint16_t)id ||
	    xensnd_front_ring_events(&r->fr, evts, XENSND_IN_RING_LEN) != (int)n ||
	    evts[n - 1].op.cur_pos.position != *position + n * 256)
		return false;
	*position += n * 256;
	*last_id = (uint16_t)id;
	return true;
}

static void check_rings(struct tally *t)
{
	struct rings r;
	uint64_t position = 0;
	uint16_t last_id = 0;
	unsigned batches = 0, requests = 0;
	bool ok = true, ids_wrapped = false;
	struct xensnd_resp bogus;

	r.ring_page = aligned_alloc(XENSND_PAGE_SIZE, XENSND_PAGE_SIZE);
	r.evt_page = aligned_alloc(XENSND_PAGE_SIZE, XENSND_PAGE_SIZE);
	if (!report(t, r.ring_page && r.evt_page, "[ring] two local pages for ring and events")) {
		free(r.ring_page);
		free(r.evt_page);
		return;
	}
	xensnd_front_ring_init(&r.fr, r.ring_page, r.evt_page);
	xensnd_back_ring_init(&r.br, r.ring_page, r.evt_page);
	ok = ring_batch(&r, 1, &position, &last_id);
	report(t, ok, "[ring] WRITE -> response -> CUR_POS event, %u-slot ring, %zu-slot event page",
	       (unsigned)XENSND_RING_SIZE, (size_t)XENSND_IN_RING_LEN);

	rings_start_at(&r, UINT32_MAX - 100, UINT32_MAX - 2);
	while (ok && requests < 70000) {
		uint16_t before = last_id;

		ok = ring_batch(&r, 3, &position, &last_id);
		ids_wrapped |= last_id < before;
		requests += 3;
		batches++;
	}
	report(t, ok && ids_wrapped && r.fr.ring.rsp_cons < 1000000,
	       "[ring] %u requests in %u batches: ring index from 2^32-101 to %u, "
	       "event index to %u, ids wrapped past 2^16 to %u",
	       requests, batches, r.fr.ring.rsp_cons, r.fr.evt_cons, last_id);

	/* A backend answering an id nobody asked for is caught. */
	memset(&bogus, 0, sizeof(bogus));
	bogus.id = (uint16_t)(last_id + 7);
	bogus.operation = XENSND_OP_WRITE;
	{
		struct xensnd_req req;
		struct xensnd_req got[1];
		bool notify;

		xensnd_req_rw(&req, XENSND_OP_WRITE, 0, 4);
		xensnd_front_ring_push(&r.fr, &req, &notify);
		xensnd_back_ring_requests(&r.br, got, 1);
		xensnd_back_ring_respond(&r.br, &bogus, &notify);
	}
	{
		struct xensnd_resp out[1];
		int res = xensnd_front_ring_responses(&r.fr, out, 1);

		report(t, res == -EPROTO, "[ring] a response to an unknown id is refused: %s",
		       r.fr.error);
	}
	free(r.ring_page);
	free(r.evt_page);
}

/* ---- page directories ---- */

struct dir_pages {
	uint8_t *pages;
	uint32_t n;
	unsigned mapped;
};

#define DIR_REF0 5000u

static const void *dir_map(void *data, grant_ref_t ref)
{
	struct dir_pages *d = data;

	if (ref < DIR_REF0 || ref - DIR_REF0 >= d->n) {
		errno = ENOENT;
		return NULL;
	}
	d->mapped++;
	return d->pages + (size_t)(ref - DIR_REF0) * XENSND_PAGE_SIZE;
}

static void dir_unmap(void *data, const void *page)
{
	struct dir_pages *d = data;

	d->mapped--;
}

static void check_pagedir(struct tally *t, uint32_t n_pages)
{
	uint32_t size = n_pages * XENSND_PAGE_SIZE;
	struct dir_pages d = { NULL, xensnd_pagedir_pages(size), 0 };
	struct xensnd_pagedir_mapper mapper = { dir_map, dir_unmap, &d };
	grant_ref_t *dir_refs = calloc(d.n, sizeof(grant_ref_t));
	grant_ref_t *refs = calloc(n_pages, sizeof(grant_ref_t));
	grant_ref_t *walked = calloc(n_pages, sizeof(grant_ref_t));
	char err[160] = "";
	bool ok;

	d.pages = calloc(d.n, XENSND_PAGE_SIZE);
	ok = dir_refs && refs && walked && d.pages;
	for (uint32_t i = 0; ok && i < d.n; i++)
		dir_refs[i] = DIR_REF0 + i;
	for (uint32_t i = 0; ok && i < n_pages; i++)
		refs[i] = 100000 + 7 * i;
	ok = ok && xensnd_pagedir_fill(d.pages, dir_refs, d.n, refs, n_pages) == 0 &&
	     xensnd_pagedir_walk(&mapper, DIR_REF0, size, walked, err, sizeof(err)) == 0 &&
	     memcmp(refs, walked, n_pages * sizeof(grant_ref_t)) == 0 && d.mapped == 0;
	report(t, ok, "[pagedir] %u buffer pages (%u octets) in %u directory page%s: "
	       "filled, walked, same references%s%s", n_pages, size, d.n,
	       d.n == 1 ? "" : "s", err[0] ? ": " : "", err);
	free(dir_refs);
	free(refs);
	free(walked);
	free(d.pages);
}

static void usage(FILE *out, const char *prog)
{
	fprintf(out, "Usage: %s [--help]\n"
		"Exercise the sndif protocol core (libxensnd) end to end in one\n"
		"process, without Xen: configuration, formats, rings, page\n"
		"directories. Prints every check; exits 0 when all pass, 1 when\n"
		"one failed, 2 on a usage error.\n", prog);
}

int main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tally t = { 0, 0 };
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout, argv[0]);
			return 0;
		}
		usage(stderr, argv[0]);
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\"\n", argv[0], argv[optind]);
		usage(stderr, argv[0]);
		return 2;
	}
	printf("xensnd-selfcheck: the sndif protocol core, end to end, no Xen needed\n");
	check_config(&t);
	check_formats(&t);
	check_rings(&t);
	check_pagedir(&t, 1);
	check_pagedir(&t, XENSND_PAGEDIR_REFS_PER_PAGE);
	check_pagedir(&t, 5000);
	printf("%u checks ok, %u FAILED\n", t.ok, t.failed);
	if (t.failed)
		printf("A protocol check failed: run the unit tests (meson test -C build --suite unit) "
		       "for details.\n");
	return t.failed ? 1 : 0;
}
