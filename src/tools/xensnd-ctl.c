/* SPDX-License-Identifier: MIT */
/*
 * xensnd-ctl: the aplay/arecord/alsamixer of sndif, for the guest side.
 * This file is the command line: options, one function per command, and
 * main(). The work is in the card session (xensnd-ctl-card.c), the stream
 * (xensnd-ctl-stream.c), play/record and list.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <xensnd/format.h>
#include <xensnd/ring.h>

#include "xensnd-ctl.h"
#include "xensnd-ctl-card.h"
#include "xensnd-ctl-list.h"
#include "xensnd-ctl-parse.h"
#include "xensnd-ctl-stream.h"
#include "xensnd-ctl-transfer.h"
#include "xensnd-ctl-wav.h"

void ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("xensnd-ctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- options ---- */

enum opt {
	OPT_JSON = 1 << 0,
	OPT_FORMAT = 1 << 1,
	OPT_RATE = 1 << 2,
	OPT_CHANNELS = 1 << 3,
	OPT_SECONDS = 1 << 4,
	OPT_PERIOD = 1 << 5,
	OPT_BUFFER = 1 << 6,
	OPT_PROGRESS = 1 << 7,
	OPT_VERBOSE = 1 << 8,
	OPT_HELP = 1 << 9,
};

#define MAX_OPERANDS	3

struct options {
	unsigned given;			/* enum opt bits */
	const struct xensnd_format *format;
	uint32_t rate, channels, period_frames, buffer_frames;
	double seconds;
	int n_operands;
	const char *operands[MAX_OPERANDS];
};

static const struct option long_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "format", required_argument, NULL, 'f' },
	{ "rate", required_argument, NULL, 'r' },
	{ "channels", required_argument, NULL, 'c' },
	{ "seconds", required_argument, NULL, 'd' },
	{ "period-frames", required_argument, NULL, 'p' },
	{ "buffer-frames", required_argument, NULL, 'b' },
	{ "progress", no_argument, NULL, 'P' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct command {
	const char *name;
	int (*run)(const struct command *cmd, struct options *o);
	unsigned options;		/* enum opt bits it takes */
	int min_operands, max_operands;
	const char *usage;
	const char *help;
};

static void print_usage(FILE *out, const struct command *cmd)
{
	fprintf(out, "Usage: xensnd-ctl %s %s\n", cmd->name, cmd->usage);
}

static int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xensnd-ctl %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage(stderr, cmd);
	fprintf(stderr, "Try 'xensnd-ctl %s --help'.\n", cmd->name);
	return CTL_EXIT_USAGE;
}

/* One option's value; CTL_EXIT_OK or a usage error. */
static int take_option(const struct command *cmd, struct options *o, int c,
		       const char *arg)
{
	char err[XENSND_ERROR_MAX];
	int r = 0;
	unsigned bit;

	switch (c) {
	case 'j': bit = OPT_JSON; break;
	case 'f':
		bit = OPT_FORMAT;
		o->format = xensnd_format_from_name(arg);
		if (o->format == NULL)
			return usage_error(cmd, "unknown sample format \"%s\" (sndif names: s16_le, s24_le, float_le, ...)", arg);
		break;
	case 'r':
		bit = OPT_RATE;
		r = ctl_parse_uint("--rate", arg, 1, UINT32_MAX, &o->rate, err, sizeof(err));
		break;
	case 'c':
		bit = OPT_CHANNELS;
		r = ctl_parse_uint("--channels", arg, 1, XENSND_MAX_CHANNELS, &o->channels,
				   err, sizeof(err));
		break;
	case 'd':
		bit = OPT_SECONDS;
		r = ctl_parse_seconds(arg, &o->seconds, err, sizeof(err));
		break;
	case 'p':
		bit = OPT_PERIOD;
		r = ctl_parse_uint("--period-frames", arg, 1, UINT32_MAX,
				   &o->period_frames, err, sizeof(err));
		break;
	case 'b':
		bit = OPT_BUFFER;
		r = ctl_parse_uint("--buffer-frames", arg, 1, UINT32_MAX,
				   &o->buffer_frames, err, sizeof(err));
		break;
	case 'P': bit = OPT_PROGRESS; break;
	case 'v': bit = OPT_VERBOSE; break;
	case 'h': bit = OPT_HELP; break;
	default:
		return usage_error(cmd, "unknown option");
	}
	if (r < 0)
		return usage_error(cmd, "%s", err);
	if (!(cmd->options & bit) && bit != OPT_HELP) {
		const char *name = "?";

		for (const struct option *lo = long_options; lo->name; lo++)
			if (lo->val == c)
				name = lo->name;
		return usage_error(cmd, "option --%s is not for this command", name);
	}
	o->given |= bit;
	return CTL_EXIT_OK;
}

/*
 * A volume like "-6" looks like an option to getopt: arguments that start
 * with '-' and a digit or '.' are operands, whatever their position.
 */
static bool looks_like_number(const char *arg)
{
	return arg[0] == '-' && ((arg[1] >= '0' && arg[1] <= '9') || arg[1] == '.');
}

/* Where arg came from in argv: getopt permutes, operands keep their order. */
static int argv_index(char **argv, int argc, const char *arg)
{
	for (int i = 0; i < argc; i++)
		if (argv[i] == arg)
			return i;
	return argc;
}

static int add_operand(const struct command *cmd, struct options *o,
		       const char *arg)
{
	if (o->n_operands == MAX_OPERANDS)
		return usage_error(cmd, "too many arguments");
	o->operands[o->n_operands++] = arg;
	return CTL_EXIT_OK;
}

static int parse_command_line(const struct command *cmd, int argc, char **argv,
			      struct options *o)
{
	char *args[argc + 1];
	const char *numbers[argc + 1];
	int n_args = 0, n_numbers = 0, ret;

	memset(o, 0, sizeof(*o));
	/* Numbers are operands wherever they are; getopt sees the rest. */
	for (int i = 0; i < argc; i++) {
		if (i > 0 && looks_like_number(argv[i]))
			numbers[n_numbers++] = argv[i];
		else
			args[n_args++] = argv[i];
	}
	args[n_args] = NULL;
	optind = 1;
	opterr = 0;
	for (;;) {
		int c = getopt_long(n_args, args, ":", long_options, NULL);

		if (c == -1)
			break;
		if (c == '?')
			return usage_error(cmd, "unknown option %s", args[optind - 1]);
		if (c == ':')
			return usage_error(cmd, "option %s needs a value", args[optind - 1]);
		ret = take_option(cmd, o, c, optarg);
		if (ret != CTL_EXIT_OK)
			return ret;
	}
	/* Merge the two operand lists back into command-line order. */
	int a = optind, n = 0;
	while (a < n_args || n < n_numbers) {
		bool take_number = a >= n_args ||
			(n < n_numbers && argv_index(argv, argc, numbers[n]) <
					  argv_index(argv, argc, args[a]));
		ret = add_operand(cmd, o, take_number ? numbers[n++] : args[a++]);
		if (ret != CTL_EXIT_OK)
			return ret;
	}
	if (o->given & OPT_HELP)
		return CTL_EXIT_OK;
	if (o->n_operands < cmd->min_operands)
		return usage_error(cmd, "missing arguments");
	if (o->n_operands > cmd->max_operands)
		return usage_error(cmd, "too many arguments");
	return CTL_EXIT_OK;
}

/* ---- what every stream command needs ---- */

struct session {
	struct xs_handle *xs;
	int signal_fd;
	struct ctl_target target;
	struct ctl_card card;
	bool card_open;
	const struct xensnd_stream_cfg *cfg;
	uint32_t index;
	struct ctl_stream stream;
	bool stream_init;
};

/*
 * SIGINT/SIGTERM/SIGHUP become readable on a signalfd that every wait
 * polls. A signal our parent set to be ignored (a shell does so for
 * SIGINT of background jobs) stays ignored.
 */
static int open_signal_fd(void)
{
	static const int stoppers[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(stoppers) / sizeof(stoppers[0]); i++) {
		struct sigaction old;

		if (sigaction(stoppers[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaddset(&set, stoppers[i]);
	}
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

static struct xs_handle *open_xenstore(void)
{
	struct xs_handle *xs = xs_open(0);

	if (xs == NULL)
		ctl_error("cannot connect to XenStore: %s; is this a Xen guest "
			  "(or, under xensim, run through `xensim exec`)?", strerror(errno));
	return xs;
}

/* Parse the target, read the card and find the stream. Exit code. */
static int session_open(struct session *ss, const struct command *cmd,
			const char *target)
{
	char err[XENSND_ERROR_MAX];

	memset(ss, 0, sizeof(*ss));
	ss->signal_fd = -1;
	if (ctl_parse_target(target, &ss->target, err, sizeof(err)) < 0)
		return usage_error(cmd, "%s", err);
	ss->signal_fd = open_signal_fd();
	if (ss->signal_fd < 0) {
		ctl_error("cannot set up signal handling: %s", strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	ss->xs = open_xenstore();
	if (ss->xs == NULL)
		return CTL_EXIT_FAILURE;
	int ret = ctl_card_open(&ss->card, ss->xs, ss->target.card, ss->signal_fd);
	ss->card_open = true;
	if (ret != CTL_EXIT_OK)
		return ret;
	ss->cfg = ctl_card_stream(&ss->card, ss->target.pcm, ss->target.stream,
				  &ss->index);
	return ss->cfg ? CTL_EXIT_OK : CTL_EXIT_FAILURE;
}

static int session_connect(struct session *ss, bool verbose)
{
	int ret = ctl_card_connect(&ss->card);

	if (ret != CTL_EXIT_OK)
		return ret;
	ctl_stream_init(&ss->stream, &ss->card, ss->cfg, ss->index, &ss->target);
	ss->stream_init = true;
	if (verbose)
		fprintf(stderr, "card %s: connected to backend domain %u\n",
			ss->card.dev_id, ss->card.backend_id);
	return CTL_EXIT_OK;
}

/* Exit code: 1 if interrupted, else ret. */
static int session_close(struct session *ss, int ret)
{
	if (ss->stream_init)
		ctl_stream_close(&ss->stream);
	/* The backend lets go of everything before our pages are revoked. */
	if (ss->card_open)
		ctl_card_disconnect(&ss->card);
	if (ss->stream_init)
		ctl_stream_free(&ss->stream);
	if (ss->card_open) {
		if (ss->card.interrupted && ret == CTL_EXIT_OK)
			ret = CTL_EXIT_FAILURE;
		ctl_card_close(&ss->card);
	}
	if (ss->xs)
		xs_close(ss->xs);
	if (ss->signal_fd >= 0)
		close(ss->signal_fd);
	return ret;
}

static bool rate_allowed(const struct xensnd_pcm_params *p, uint32_t rate)
{
	for (uint32_t i = 0; i < p->n_rates; i++)
		if (p->rates[i] == rate)
			return true;
	return false;
}

/* Whether the stream's XenStore configuration allows these settings. */
static int check_configured(const struct session *ss, uint8_t format,
			    uint32_t rate, uint32_t channels)
{
	const struct xensnd_pcm_params *p = &ss->cfg->params;
	const struct xensnd_format *f = xensnd_format_from_sndif(format);
	char list[512];

	if (!(p->formats & (1ull << format))) {
		xensnd_format_formats(p->formats, ',', list, sizeof(list));
		ctl_error("the stream is not configured for %s (its sample-formats: %s)",
			  f ? f->name : "?", list);
		return CTL_EXIT_FAILURE;
	}
	if (!rate_allowed(p, rate)) {
		xensnd_format_rates(p->rates, p->n_rates, ',', list, sizeof(list));
		ctl_error("the stream is not configured for %u Hz (its sample-rates: %s)",
			  rate, list);
		return CTL_EXIT_FAILURE;
	}
	if (channels < p->channels_min || channels > p->channels_max) {
		ctl_error("the stream is not configured for %u channels (it takes %u..%u)",
			  channels, p->channels_min, p->channels_max);
		return CTL_EXIT_FAILURE;
	}
	return CTL_EXIT_OK;
}

static int check_direction(const struct session *ss, bool capture)
{
	if (ss->cfg->capture == capture)
		return CTL_EXIT_OK;
	ctl_error("stream %s/%u/%u is a %s stream; use `xensnd-ctl %s`",
		  ss->target.card, ss->target.pcm, ss->target.stream,
		  ss->cfg->capture ? "capture" : "playback",
		  ss->cfg->capture ? "record" : "play");
	return CTL_EXIT_FAILURE;
}

/*
 * Settings from the options, else defaults inside the configuration:
 * s16_le, 48000 Hz, 2 channels where allowed (what players expect).
 */
static void pick_params(const struct session *ss, const struct options *o,
			bool wav_only, struct ctl_stream_params *p)
{
	const struct xensnd_pcm_params *c = &ss->cfg->params;

	memset(p, 0, sizeof(*p));
	if (o->given & OPT_FORMAT) {
		p->format = o->format->sndif;
	} else if (c->formats & (1ull << XENSND_PCM_FORMAT_S16_LE)) {
		p->format = XENSND_PCM_FORMAT_S16_LE;
	} else {
		for (unsigned f = 0; f < XENSND_FORMAT_COUNT; f++)
			if ((c->formats & (1ull << f)) &&
			    (!wav_only || ctl_wav_can_write((uint8_t)f)) &&
			    xensnd_frame_bytes(f, 1) > 0) {
				p->format = (uint8_t)f;
				break;
			}
	}
	if (o->given & OPT_RATE)
		p->rate = o->rate;
	else
		p->rate = rate_allowed(c, 48000) || c->n_rates == 0 ? 48000 :
			  c->rates[c->n_rates - 1];
	if (o->given & OPT_CHANNELS)
		p->channels = o->channels;
	else
		p->channels = 2 < c->channels_min ? c->channels_min :
			      2 > c->channels_max ? c->channels_max : 2;
	p->period_frames = o->period_frames;
	p->buffer_frames = o->buffer_frames;
}

/* ---- commands ---- */

static int cmd_list(const struct command *cmd, struct options *o)
{
	struct xs_handle *xs = open_xenstore();

	if (xs == NULL)
		return CTL_EXIT_FAILURE;
	int ret = ctl_list(xs, o->n_operands ? o->operands[0] : NULL,
			   o->given & OPT_JSON);
	xs_close(xs);
	return ret;
}

static void print_formats(uint64_t formats)
{
	for (unsigned f = 0; f < XENSND_FORMAT_COUNT; f++) {
		const struct xensnd_format *fmt = xensnd_format_from_sndif(f);

		if ((formats & (1ull << f)) && fmt)
			printf(" %s", fmt->name);
	}
	putchar('\n');
}

static void print_query(const struct session *ss,
			const struct xensnd_query_hw_param *q)
{
	printf("stream %s/%u/%u (%s): backend offers\n", ss->target.card,
	       ss->target.pcm, ss->target.stream,
	       ss->cfg->capture ? "capture" : "playback");
	printf("  formats: ");
	print_formats(q->formats);
	printf("  rates:    %u..%u Hz\n", q->rates.min, q->rates.max);
	printf("  channels: %u..%u\n", q->channels.min, q->channels.max);
	printf("  buffer:   %u..%u frames\n", q->buffer.min, q->buffer.max);
	printf("  period:   %u..%u frames\n", q->period.min, q->period.max);
}

/* The configuration's space, narrowed by the options. */
static int query_wanted(const struct session *ss, const struct options *o,
			struct xensnd_query_hw_param *w)
{
	const struct xensnd_pcm_params *c = &ss->cfg->params;
	uint32_t min_frame = UINT32_MAX;

	memset(w, 0, sizeof(*w));
	w->formats = (o->given & OPT_FORMAT) ? 1ull << o->format->sndif : c->formats;
	w->rates.min = (o->given & OPT_RATE) ? o->rate : c->rates[0];
	w->rates.max = (o->given & OPT_RATE) ? o->rate : c->rates[c->n_rates - 1];
	w->channels.min = (o->given & OPT_CHANNELS) ? o->channels : c->channels_min;
	w->channels.max = (o->given & OPT_CHANNELS) ? o->channels : c->channels_max;
	if ((w->formats & c->formats) != w->formats ||
	    ((o->given & OPT_RATE) && !rate_allowed(c, o->rate)) ||
	    w->channels.min < c->channels_min || w->channels.max > c->channels_max) {
		ctl_error("the options ask for more than stream %s/%u/%u is configured for; "
			  "`xensnd-ctl list` shows its configuration",
			  ss->target.card, ss->target.pcm, ss->target.stream);
		return CTL_EXIT_FAILURE;
	}
	/* Frames of the configured buffer-size, for the smallest frame asked. */
	for (unsigned f = 0; f < XENSND_FORMAT_COUNT; f++) {
		uint32_t fb = xensnd_frame_bytes(f, w->channels.min);

		if ((w->formats & (1ull << f)) && fb && fb < min_frame)
			min_frame = fb;
	}
	if (min_frame == UINT32_MAX)
		min_frame = 1;
	w->buffer.min = 1;
	w->buffer.max = c->buffer_size / min_frame;
	w->period.min = 1;
	w->period.max = w->buffer.max;
	return CTL_EXIT_OK;
}

static int cmd_query(const struct command *cmd, struct options *o)
{
	struct session ss;
	struct xensnd_query_hw_param wanted, offered;
	int ret = session_open(&ss, cmd, o->operands[0]);

	if (ret == CTL_EXIT_OK)
		ret = query_wanted(&ss, o, &wanted);
	if (ret == CTL_EXIT_OK)
		ret = session_connect(&ss, o->given & OPT_VERBOSE);
	if (ret == CTL_EXIT_OK)
		ret = ctl_stream_query(&ss.stream, &wanted, &offered);
	if (ret == CTL_EXIT_OK)
		print_query(&ss, &offered);
	return session_close(&ss, ret);
}

static int open_stream(struct session *ss, const struct ctl_stream_params *p,
		       bool verbose)
{
	int ret = check_configured(ss, p->format, p->rate, p->channels);

	if (ret == CTL_EXIT_OK)
		ret = session_connect(ss, verbose);
	if (ret == CTL_EXIT_OK)
		ret = ctl_stream_open(&ss->stream, p);
	if (ret == CTL_EXIT_OK && verbose)
		fprintf(stderr, "%s: opened %s %u Hz %u ch, buffer %u octets, period %u octets\n",
			ss->stream.name, xensnd_format_from_sndif(p->format)->name,
			p->rate, p->channels, ss->stream.buffer_bytes,
			ss->stream.period_bytes);
	return ret;
}

static struct ctl_transfer_opts transfer_opts(const struct options *o)
{
	struct ctl_transfer_opts t = {
		.progress = (o->given & OPT_PROGRESS) || isatty(STDERR_FILENO),
		.verbose = o->given & OPT_VERBOSE,
	};
	return t;
}

static int cmd_play(const struct command *cmd, struct options *o)
{
	struct session ss;
	struct ctl_wav_info info;
	struct ctl_stream_params p;
	struct ctl_transfer_opts topts = transfer_opts(o);
	char err[XENSND_ERROR_MAX];
	const char *name = o->operands[1];
	FILE *f = fopen(name, "rb");
	int ret;

	if (f == NULL) {
		ctl_error("%s: %s", name, strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	if (ctl_wav_read_header(f, name, &info, err, sizeof(err)) < 0) {
		ctl_error("%s", err);
		fclose(f);
		return CTL_EXIT_FAILURE;
	}
	ret = session_open(&ss, cmd, o->operands[0]);
	if (ret == CTL_EXIT_OK)
		ret = check_direction(&ss, false);
	if (ret == CTL_EXIT_OK) {
		pick_params(&ss, o, true, &p);
		p.format = info.sndif_format;
		p.rate = info.rate;
		p.channels = info.channels;
		ret = open_stream(&ss, &p, topts.verbose);
	}
	if (ret == CTL_EXIT_OK)
		ret = ctl_play(&ss.stream, f, name, info.data_bytes, &topts);
	fclose(f);
	return session_close(&ss, ret);
}

static int cmd_record(const struct command *cmd, struct options *o)
{
	struct session ss;
	struct ctl_stream_params p;
	struct ctl_transfer_opts topts = transfer_opts(o);
	char err[XENSND_ERROR_MAX];
	const char *name = o->operands[1];
	FILE *f = NULL;
	uint64_t got = 0;
	int ret;

	if (!(o->given & OPT_SECONDS))
		return usage_error(cmd, "--seconds N is required");
	if ((o->given & OPT_FORMAT) && !ctl_wav_can_write(o->format->sndif))
		return usage_error(cmd, "format %s has no WAV representation", o->format->name);
	ret = session_open(&ss, cmd, o->operands[0]);
	if (ret == CTL_EXIT_OK)
		ret = check_direction(&ss, true);
	if (ret == CTL_EXIT_OK) {
		pick_params(&ss, o, true, &p);
		ret = open_stream(&ss, &p, topts.verbose);
	}
	/* The file is made once the stream is open: no empty file on failure. */
	if (ret == CTL_EXIT_OK) {
		f = fopen(name, "wb");
		if (f == NULL) {
			ctl_error("%s: %s", name, strerror(errno));
			ret = CTL_EXIT_FAILURE;
		} else if (ctl_wav_write_header(f, name, p.format, p.rate, p.channels,
						err, sizeof(err)) < 0) {
			ctl_error("%s", err);
			ret = CTL_EXIT_FAILURE;
		}
	}
	if (ret == CTL_EXIT_OK) {
		uint64_t frames = (uint64_t)(o->seconds * p.rate + 0.5);
		ret = ctl_record(&ss.stream, f, name, frames, &got, &topts);
	}
	if (f) {
		/* Even a cut-short recording gets a valid header. */
		if (ctl_wav_finish(f, name, got, err, sizeof(err)) < 0) {
			ctl_error("%s", err);
			ret = CTL_EXIT_FAILURE;
		}
		if (fclose(f) != 0 && ret == CTL_EXIT_OK) {
			ctl_error("%s: %s", name, strerror(errno));
			ret = CTL_EXIT_FAILURE;
		}
	}
	return session_close(&ss, ret);
}

/*
 * Volume and mute travel through the stream buffer, so the stream is
 * opened (with default settings) for them; the backend keeps them per
 * stream.
 */
static int open_for_control(struct session *ss, const struct command *cmd,
			    const struct options *o, uint32_t want_channels)
{
	struct ctl_stream_params p;
	int ret = session_open(ss, cmd, o->operands[0]);

	if (ret != CTL_EXIT_OK)
		return ret;
	pick_params(ss, o, false, &p);
	if (!(o->given & OPT_CHANNELS) && want_channels > 1)
		p.channels = want_channels;
	return open_stream(ss, &p, o->given & OPT_VERBOSE);
}

static void print_volumes(const struct ctl_stream *s, const int32_t *mdb)
{
	printf("%s volume:", s->name);
	for (uint32_t i = 0; i < s->channels; i++)
		printf("%s %.3f dB", i ? "," : "", mdb[i] / 1000.0);
	putchar('\n');
}

static int cmd_volume(const struct command *cmd, struct options *o)
{
	int32_t mdb[CTL_VOLUME_MAX_CHANNELS];
	uint32_t n = 0;
	char err[XENSND_ERROR_MAX];
	struct session ss;
	bool set = o->n_operands > 1;

	if (set && ctl_parse_volumes(o->operands[1], mdb, CTL_VOLUME_MAX_CHANNELS,
				     &n, err, sizeof(err)) < 0)
		return usage_error(cmd, "%s", err);
	int ret = open_for_control(&ss, cmd, o, n);
	struct ctl_stream *s = &ss.stream;
	if (ret == CTL_EXIT_OK && set && n != 1 && n != s->channels) {
		ctl_error("%u volumes for %u channels: give one, or one per channel", n,
			  s->channels);
		ret = CTL_EXIT_FAILURE;
	}
	if (ret == CTL_EXIT_OK && set) {
		for (uint32_t i = 0; i < s->channels; i++)
			memcpy(s->buf.data + 4 * i, &mdb[n == 1 ? 0 : i], 4);
		ret = ctl_stream_rw(s, XENSND_OP_SET_VOLUME, 0, 4 * s->channels);
	}
	if (ret == CTL_EXIT_OK) {
		ret = ctl_stream_rw(s, XENSND_OP_GET_VOLUME, 0, 4 * s->channels);
		if (ret == CTL_EXIT_OK) {
			memcpy(mdb, s->buf.data, 4 * s->channels);
			print_volumes(s, mdb);
		} else if (set) {
			ret = CTL_EXIT_OK;	/* set worked; reading back is optional in sndif */
		}
	}
	return session_close(&ss, ret);
}

static int cmd_mute(const struct command *cmd, struct options *o)
{
	bool mute = strcmp(cmd->name, "mute") == 0;
	struct session ss;
	int ret = open_for_control(&ss, cmd, o, 0);
	struct ctl_stream *s = &ss.stream;

	if (ret == CTL_EXIT_OK) {
		/* Every channel's flag set: "this channel is to be (un)muted". */
		memset(s->buf.data, 1, s->channels);
		ret = ctl_stream_rw(s, mute ? XENSND_OP_MUTE : XENSND_OP_UNMUTE, 0,
				    s->channels);
	}
	if (ret == CTL_EXIT_OK)
		printf("%s %s\n", s->name, mute ? "muted" : "unmuted");
	return session_close(&ss, ret);
}

static const struct command commands[] = {
	{ "list", cmd_list, OPT_JSON, 0, 1, "[--json] [CARD]",
	  "List this domain's vsnd cards, their PCMs and streams with their\n"
	  "effective configuration, and the xenbus states of both ends.\n"
	  "  --json     machine-readable output (sndif.h key names)\n" },
	{ "query", cmd_query, OPT_FORMAT | OPT_RATE | OPT_CHANNELS | OPT_VERBOSE, 1, 1,
	  "CARD/PCM/STREAM [--format F] [--rate R] [--channels C]",
	  "Ask the backend (XENSND_OP_HW_PARAM_QUERY) which formats, rates,\n"
	  "channels, buffer and period sizes it offers for the stream, within\n"
	  "its configuration, narrowed by the options.\n" },
	{ "play", cmd_play, OPT_PERIOD | OPT_BUFFER | OPT_PROGRESS | OPT_VERBOSE, 2, 2,
	  "CARD/PCM/STREAM FILE.wav [--period-frames N] [--buffer-frames N] [--progress] [--verbose]",
	  "Play a WAV file on a playback stream, in the file's own format, rate\n"
	  "and channels (no conversion). Connects the card if needed and leaves\n"
	  "it as it was found.\n"
	  "  --period-frames N, --buffer-frames N   sizes (default 10 ms, 8 periods)\n"
	  "  --progress   progress line on stderr (default when stderr is a tty)\n"
	  "  --verbose    connection details and timing\n" },
	{ "record", cmd_record,
	  OPT_SECONDS | OPT_FORMAT | OPT_RATE | OPT_CHANNELS | OPT_PERIOD | OPT_BUFFER |
	  OPT_PROGRESS | OPT_VERBOSE, 2, 2,
	  "CARD/PCM/STREAM FILE.wav --seconds N [--format F] [--rate R] [--channels C] [...]",
	  "Record N seconds from a capture stream into a WAV file. Defaults:\n"
	  "s16_le, 48000 Hz, 2 channels where the configuration allows them.\n"
	  "Takes --period-frames, --buffer-frames, --progress and --verbose as play does.\n" },
	{ "volume", cmd_volume, OPT_FORMAT | OPT_RATE | OPT_CHANNELS | OPT_VERBOSE, 1, 2,
	  "CARD/PCM/STREAM [DB[,DB...]] [--channels C]",
	  "Set the stream's volume in dB, one value for all channels or one per\n"
	  "channel (0.001 dB steps, e.g. -6 or -6,-3.5), then read it back;\n"
	  "without a value, only read it.\n" },
	{ "mute", cmd_mute, OPT_FORMAT | OPT_RATE | OPT_CHANNELS | OPT_VERBOSE, 1, 1,
	  "CARD/PCM/STREAM [--channels C]", "Mute every channel of the stream.\n" },
	{ "unmute", cmd_mute, OPT_FORMAT | OPT_RATE | OPT_CHANNELS | OPT_VERBOSE, 1, 1,
	  "CARD/PCM/STREAM [--channels C]", "Unmute every channel of the stream.\n" },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_main_usage(FILE *out)
{
	fputs("Usage: xensnd-ctl COMMAND [ARGS...]\n"
	      "Inspect and use this Xen guest's para-virtual sound (vsnd) cards.\n\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].usage);
	fputs("\nCARD is the vsnd dev-id; PCM and STREAM are indexes, as `list` shows.\n"
	      "`xensnd-ctl COMMAND --help` for details; man xensnd-ctl(1).\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n", out);
}

int main(int argc, char **argv)
{
	struct options o;

	if (argc < 2) {
		print_main_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		print_main_usage(stdout);
		return CTL_EXIT_OK;
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *cmd = &commands[i];

		if (strcmp(argv[1], cmd->name) != 0)
			continue;
		int ret = parse_command_line(cmd, argc - 1, argv + 1, &o);
		if (ret != CTL_EXIT_OK)
			return ret;
		if (o.given & OPT_HELP) {
			print_usage(stdout, cmd);
			fputs(cmd->help, stdout);
			return CTL_EXIT_OK;
		}
		return cmd->run(cmd, &o);
	}
	fprintf(stderr, "xensnd-ctl: unknown command \"%s\"\n", argv[1]);
	print_main_usage(stderr);
	return CTL_EXIT_USAGE;
}
