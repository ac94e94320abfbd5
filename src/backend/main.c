/* SPDX-License-Identifier: MIT */
/*
 * xensnd-backend: a sndif backend for every guest's vsnd devices.
 * main() owns everything: options, loop, XenStore and grant handles,
 * the input file, the signal fd; the parts borrow them (backend.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <xensnd/config.h>

#include "backend.h"
#include "card.h"
#include "clock.h"
#include "options.h"
#include "stream.h"
#include "pwio.h"
#include "wav.h"

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

struct signals {
	int fd;
	struct loop_source src;
	struct backend *be;
};

static void on_signal(struct loop_source *src, uint32_t events)
{
	struct signals *sig = src->data;
	struct signalfd_siginfo si;

	if (read(sig->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGUSR1) {
		be_log("SIGUSR1: state file written");
		backend_state_flush(sig->be, true);
		return;
	}
	be_log("%s: closing every stream", strsignal((int)si.ssi_signo));
	sig->be->loop->quit = true;
}

static int signals_open(struct signals *sig, struct loop *loop, struct backend *be)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig->be = be;
	sig->fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sig->fd < 0)
		return -errno;
	return loop_add(loop, &sig->src, sig->fd, on_signal, sig);
}

static int load_input(const struct backend_options *opts, struct wav_file *in,
		      int *sndif)
{
	char err[XENSND_ERROR_MAX];
	int r;

	if (opts->input_file == NULL)
		return 0;
	r = wav_file_read(in, opts->input_file, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "xensnd-backend: --input %s\n", err);
		return r;
	}
	*sndif = wav_format_to_sndif(&in->fmt);
	if (*sndif < 0 || in->size < (uint32_t)(in->fmt.channels * in->fmt.container_bits / 8)) {
		fprintf(stderr, "xensnd-backend: --input %s: no frames, or a sample "
			"format sndif has no twin for (tag %u, %u bits)\n",
			opts->input_file, in->fmt.tag, in->fmt.container_bits);
		wav_file_free(in);
		return -EINVAL;
	}
	return 0;
}

static int read_own_domid(struct xs_handle *xs, unsigned int *domid)
{
	char err[XENSND_ERROR_MAX];
	unsigned int len;
	uint32_t v;
	char *s = xs_read(xs, XBT_NULL, "domid", &len);
	int r;

	if (s == NULL)
		return -errno;
	r = xensnd_parse_u32(s, 0, UINT32_MAX, &v, err, sizeof(err));
	free(s);
	*domid = v;
	return r;
}

/* Every running stream's clock still ticks (stream_check_clock). */
static void check_clocks(struct backend *be)
{
	uint64_t now = monotonic_ns();

	for (struct card *c = be->cards; c; c = c->next)
		for (uint32_t i = 0; i < c->n_streams; i++)
			stream_check_clock(&c->streams[i], now);
}

static int run(struct backend *be, struct loop *loop)
{
	struct signals sig = { .fd = -1 };
	int r = signals_open(&sig, loop, be);

	if (r < 0) {
		be_log("signalfd: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	r = backend_watch(be);
	if (r < 0) {
		be_log("watching backend/vsnd in XenStore failed: %s", strerror(-r));
	} else {
		be_log("serving vsnd devices of domain %u%s%s", be->self,
		       be->opts->output_dir ? ", writing WAV files to " : "",
		       be->opts->output_dir ? be->opts->output_dir : "");
		backend_state_flush(be, true);
		while (!loop->quit) {
			r = loop_dispatch(loop, 100);
			if (r < 0) {
				be_log("epoll_wait: %s", strerror(-r));
				be->exit_code = EXIT_RUNTIME;
				break;
			}
			check_clocks(be);
			backend_state_flush(be, false);
		}
	}
	backend_shutdown(be);
	loop_remove(loop, &sig.src);
	close(sig.fd);
	return r < 0 ? EXIT_RUNTIME : be->exit_code;
}

int main(int argc, char **argv)
{
	struct backend_options opts;
	struct backend be = { .opts = &opts };
	struct wav_file input = { 0 };
	struct loop loop = { .epfd = -1 };
	char err[512];
	int code = EXIT_RUNTIME;

	switch (options_parse(&opts, argc, argv, err, sizeof(err))) {
	case OPTIONS_HELP:
		options_print_help(argv[0]);
		return 0;
	case OPTIONS_ERROR:
		fprintf(stderr, "xensnd-backend: %s\n", err);
		return EXIT_USAGE;
	case OPTIONS_RUN:
		break;
	}
	if ((opts.output_pipewire || opts.input_pipewire) && !pwio_available()) {
		fprintf(stderr, "xensnd-backend: this build has no PipeWire support; "
			"use --output-dir DIR and --input FILE.wav\n");
		return EXIT_USAGE;
	}
	if (load_input(&opts, &input, &be.input_sndif) < 0)
		return EXIT_USAGE;
	be.input = opts.input_file ? &input : NULL;
	if (opts.impulse_log != NULL) {
		/* Line-buffered: a benchmark reads each line as it is written. */
		be.impulse_log = fopen(opts.impulse_log, "ae");
		if (be.impulse_log == NULL) {
			fprintf(stderr, "xensnd-backend: --impulse-log %s: %s\n",
				opts.impulse_log, strerror(errno));
			wav_file_free(&input);
			return EXIT_USAGE;
		}
		setvbuf(be.impulse_log, NULL, _IOLBF, 0);
	}
	be.loop = &loop;
	if (loop_init(&loop) < 0)
		goto out;
	be.xs = xs_open(0);
	if (be.xs == NULL) {
		fprintf(stderr, "xensnd-backend: cannot connect to XenStore (%s); "
			"is xenstored running (or XENSTORED_PATH set)?\n",
			strerror(errno));
		goto out;
	}
	be.gnttab = xengnttab_open(NULL, 0);
	if (be.gnttab == NULL) {
		fprintf(stderr, "xensnd-backend: cannot open the grant table "
			"device (%s); is this a Xen domain with gntdev?\n",
			strerror(errno));
		goto out;
	}
	if (read_own_domid(be.xs, &be.self) < 0) {
		fprintf(stderr, "xensnd-backend: cannot read our \"domid\" from "
			"XenStore; run in a domain the toolstack created\n");
		goto out;
	}
	/* PipeWire only when asked: the WAV mode never starts it. */
	if ((opts.output_pipewire || opts.input_pipewire) &&
	    pwio_new(&be.pw, err, sizeof(err)) < 0) {
		fprintf(stderr, "xensnd-backend: %s\n", err);
		goto out;
	}
	code = run(&be, &loop);
out:
	pwio_free(be.pw);
	if (be.gnttab)
		xengnttab_close(be.gnttab);
	if (be.xs)
		xs_close(be.xs);
	loop_fini(&loop);
	wav_file_free(&input);
	if (be.impulse_log)
		fclose(be.impulse_log);
	return code;
}
