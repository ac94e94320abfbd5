/* SPDX-License-Identifier: MIT */
/*
 * The backend's state file (--state-file) and its log lines: what tests
 * and people read to see each card and stream (xensnd-backend(8)).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "card.h"
#include "clock.h"
#include "stream.h"

#define STATE_FLUSH_NS	100000000u	/* counters: at most 10 writes a second */

void be_log(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "xensnd-backend: %s\n", line);
}

void backend_state_changed(struct backend *be)
{
	be->state_dirty = true;
}

static void write_state_file(struct backend *be, FILE *f)
{
	unsigned cards = 0;
	char line[1024];

	for (struct card *c = be->cards; c; c = c->next)
		cards++;
	fprintf(f, "backend pid=%d domid=%u mapped_pages=%" PRIu64 " cards=%u\n",
		(int)getpid(), be->self, be->mapped_pages, cards);
	for (struct card *c = be->cards; c; c = c->next) {
		fprintf(f, "card dom%u-vsnd%u state=%s streams=%u\n", c->guest,
			c->devid, c->connected ? "connected" : "disconnected",
			c->n_streams);
		for (uint32_t i = 0; i < c->n_streams; i++) {
			stream_describe(&c->streams[i], line, sizeof(line));
			fprintf(f, "%s\n", line);
		}
	}
}

void backend_state_flush(struct backend *be, bool force)
{
	const char *path = be->opts->state_file;
	uint64_t now = monotonic_ns();
	char tmp[4200];
	FILE *f;

	if (path == NULL || (!force && !be->state_dirty) ||
	    (!force && now - be->state_written_ns < STATE_FLUSH_NS))
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (f == NULL) {
		be_log("--state-file %s: %s", tmp, strerror(errno));
		return;
	}
	write_state_file(be, f);
	/* rename: a reader never sees half a file. */
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		be_log("--state-file %s: %s", path, strerror(errno));
	be->state_dirty = false;
	be->state_written_ns = now;
}
