/* SPDX-License-Identifier: MIT */
/*
 * What every part of the running backend shares: the options, the loop,
 * the XenStore and grant-table handles, the capture input, and the
 * cards. Owned by main(); the parts get a pointer.
 */
#ifndef XENSND_BACKEND_BACKEND_H
#define XENSND_BACKEND_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <xenstore.h>
#include <xengnttab.h>

#include "loop.h"
#include "options.h"
#include "wav.h"

struct card;

struct backend {
	const struct backend_options *opts;
	struct loop *loop;
	struct xs_handle *xs;
	xengnttab_handle *gnttab;
	struct loop_source xs_src;
	unsigned int self;		/* our domain id */
	const struct wav_file *input;	/* --input FILE, or NULL: test signal */
	int input_sndif;		/* its sndif format */
	struct pwio *pw;		/* NULL unless --output/--input pipewire */
	FILE *impulse_log;		/* --impulse-log, or NULL */
	struct card *cards;		/* list */
	uint64_t mapped_pages;		/* grant pages mapped right now */
	int exit_code;			/* main's, when the loop quits */
	bool state_dirty;
	uint64_t state_written_ns;
};

/* Log one line to stderr, "xensnd-backend: ..." */
void be_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Watch backend/vsnd and @releaseDomain; start serving. 0 or -errno. */
int backend_watch(struct backend *be);
/* Close every stream, set every device Closed, stop watching. */
void backend_shutdown(struct backend *be);

/* The state file (--state-file): mark dirty, or write now. */
void backend_state_changed(struct backend *be);
void backend_state_flush(struct backend *be, bool force);

#endif
