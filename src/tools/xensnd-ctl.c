/* SPDX-License-Identifier: MIT */
/*
 * xensnd-ctl: the aplay/arecord/alsamixer of sndif, for the guest side.
 * This file is one function per command, the command table and main().
 * The command line is parsed in xensnd-ctl-cmdline.c, the frame of every
 * stream command is xensnd-ctl-session.c, and the work is in the card
 * (xensnd-ctl-card.c), the stream (xensnd-ctl-stream.c), play/record and
 * list.
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
#include "xensnd-ctl-cmdline.h"
#include "xensnd-ctl-list.h"
#include "xensnd-ctl-parse.h"
#include "xensnd-ctl-session.h"
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

/* ---- commands ---- */

static int cmd_list(const struct ctl_command *cmd, struct ctl_options *o)
{
	struct xs_handle *xs = ctl_open_xenstore();

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

static void print_query(const struct ctl_session *ss,
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
static int query_wanted(const struct ctl_session *ss, const struct ctl_options *o,
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
	    ((o->given & OPT_RATE) && !ctl_rate_allowed(c, o->rate)) ||
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

static int cmd_query(const struct ctl_command *cmd, struct ctl_options *o)
{
	struct ctl_session ss;
	struct xensnd_query_hw_param wanted, offered;
	int ret = ctl_session_open(&ss, cmd, o->operands[0]);

	if (ret == CTL_EXIT_OK)
		ret = query_wanted(&ss, o, &wanted);
	if (ret == CTL_EXIT_OK)
		ret = ctl_session_connect(&ss, o->given & OPT_VERBOSE);
	if (ret == CTL_EXIT_OK)
		ret = ctl_stream_query(&ss.stream, &wanted, &offered);
	if (ret == CTL_EXIT_OK)
		print_query(&ss, &offered);
	return ctl_session_close(&ss, ret);
}

static struct ctl_transfer_opts transfer_opts(const struct ctl_options *o)
{
	struct ctl_transfer_opts t = {
		.progress = (o->given & OPT_PROGRESS) || isatty(STDERR_FILENO),
		.verbose = o->given & OPT_VERBOSE,
	};
	return t;
}

static int cmd_play(const struct ctl_command *cmd, struct ctl_options *o)
{
	struct ctl_session ss;
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
	ret = ctl_session_open(&ss, cmd, o->operands[0]);
	if (ret == CTL_EXIT_OK)
		ret = ctl_session_check_direction(&ss, false);
	if (ret == CTL_EXIT_OK) {
		ctl_session_pick_params(&ss, o, true, &p);
		p.format = info.sndif_format;
		p.rate = info.rate;
		p.channels = info.channels;
		ret = ctl_session_open_stream(&ss, &p, topts.verbose);
	}
	if (ret == CTL_EXIT_OK)
		ret = ctl_play(&ss.stream, f, name, info.data_bytes, &topts);
	fclose(f);
	return ctl_session_close(&ss, ret);
}

static int cmd_record(const struct ctl_command *cmd, struct ctl_options *o)
{
	struct ctl_session ss;
	struct ctl_stream_params p;
	struct ctl_transfer_opts topts = transfer_opts(o);
	char err[XENSND_ERROR_MAX];
	const char *name = o->operands[1];
	FILE *f = NULL;
	uint64_t got = 0;
	int ret;

	if (!(o->given & OPT_SECONDS))
		return ctl_usage_error(cmd, "--seconds N is required");
	if ((o->given & OPT_FORMAT) && !ctl_wav_can_write(o->format->sndif))
		return ctl_usage_error(cmd, "format %s has no WAV representation", o->format->name);
	ret = ctl_session_open(&ss, cmd, o->operands[0]);
	if (ret == CTL_EXIT_OK)
		ret = ctl_session_check_direction(&ss, true);
	if (ret == CTL_EXIT_OK) {
		ctl_session_pick_params(&ss, o, true, &p);
		ret = ctl_session_open_stream(&ss, &p, topts.verbose);
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
		/* At least one frame: a tiny --seconds still records something. */
		uint64_t frames = (uint64_t)(o->seconds * p.rate + 0.5);
		frames = frames ? frames : 1;

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
	return ctl_session_close(&ss, ret);
}

/*
 * Volume and mute travel through the stream buffer, so the stream is
 * opened (with default settings) for them; the backend keeps them per
 * stream.
 */
static int open_for_control(struct ctl_session *ss, const struct ctl_command *cmd,
			    const struct ctl_options *o, uint32_t want_channels)
{
	struct ctl_stream_params p;
	int ret = ctl_session_open(ss, cmd, o->operands[0]);

	if (ret != CTL_EXIT_OK)
		return ret;
	ctl_session_pick_params(ss, o, false, &p);
	if (!(o->given & OPT_CHANNELS) && want_channels > 1)
		p.channels = want_channels;
	return ctl_session_open_stream(ss, &p, o->given & OPT_VERBOSE);
}

static void print_volumes(const struct ctl_stream *s, const int32_t *mdb)
{
	printf("%s volume:", s->name);
	for (uint32_t i = 0; i < s->channels; i++)
		printf("%s %.3f dB", i ? "," : "", mdb[i] / 1000.0);
	putchar('\n');
}

static int cmd_volume(const struct ctl_command *cmd, struct ctl_options *o)
{
	int32_t mdb[CTL_VOLUME_MAX_CHANNELS];
	uint32_t n = 0;
	char err[XENSND_ERROR_MAX];
	struct ctl_session ss;
	bool set = o->n_operands > 1;

	if (set && ctl_parse_volumes(o->operands[1], mdb, CTL_VOLUME_MAX_CHANNELS,
				     &n, err, sizeof(err)) < 0)
		return ctl_usage_error(cmd, "%s", err);
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
	return ctl_session_close(&ss, ret);
}

static int cmd_mute(const struct ctl_command *cmd, struct ctl_options *o)
{
	bool mute = strcmp(cmd->name, "mute") == 0;
	struct ctl_session ss;
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
	return ctl_session_close(&ss, ret);
}

static const struct ctl_command commands[] = {
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
	struct ctl_options o;

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
		const struct ctl_command *cmd = &commands[i];

		if (strcmp(argv[1], cmd->name) != 0)
			continue;
		int ret = ctl_parse_command_line(cmd, argc - 1, argv + 1, &o);
		if (ret != CTL_EXIT_OK)
			return ret;
		if (o.given & OPT_HELP) {
			ctl_print_usage(stdout, cmd);
			fputs(cmd->help, stdout);
			return CTL_EXIT_OK;
		}
		return cmd->run(cmd, &o);
	}
	fprintf(stderr, "xensnd-ctl: unknown command \"%s\"\n", argv[1]);
	print_main_usage(stderr);
	return CTL_EXIT_USAGE;
}

