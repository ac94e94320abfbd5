/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/config.h>

#include "clock.h"
#include "options.h"

void options_print_help(const char *argv0)
{
	printf("Usage: %s [OPTION]...\n"
	       "Serve the para-virtual sound devices (vsnd) of every guest from this\n"
	       "domain: a Xen sndif backend.\n\n"
	       "Outputs and inputs:\n"
	       "  --output-dir DIR        write each playback stream to DIR/dom<G>-vsnd<D>-\n"
	       "                          pcm<P>-stream<S>[.<n>].wav (bit-exact)\n"
	       "  --output pipewire       play into this domain's PipeWire\n"
	       "  --input FILE.wav        loop FILE into capture streams\n"
	       "  --input pipewire        record from this domain's PipeWire\n"
	       "                          default input: the test signal (see the man page)\n\n"
	       "Emulated hardware (restricts what HW_PARAM_QUERY and OPEN accept):\n"
	       "  --formats F,F,...       sample formats, XenStore names (s16_le,float_le)\n"
	       "  --rates R,R,...         sample rates in Hz\n"
	       "  --channels MIN:MAX      channel counts\n"
	       "  --period-frames MIN:MAX period sizes in frames (default 16:)\n"
	       "  --buffer-frames MIN:MAX buffer sizes in frames (default 16:)\n"
	       "  --clock-drift PPM       device clock error, -100000..100000 ppm\n"
	       "  --no-volume             refuse SET_VOLUME, GET_VOLUME, MUTE and UNMUTE\n"
	       "                          (-EINVAL, as the reference backend snd_be does)\n\n"
	       "Diagnostics:\n"
	       "  --state-file PATH       keep every stream's state in PATH (rewritten on\n"
	       "                          each change, and on SIGUSR1)\n"
	       "  --impulse-log FILE      append to FILE when the device clock plays a\n"
	       "                          sound after an OPEN or 100 ms of silence\n"
	       "                          (latency benchmarks)\n"
	       "  --verbose               log every request\n"
	       "  --help                  show this help\n\n"
	       "Exit status: 0 stopped by SIGTERM/SIGINT, 1 runtime failure, 2 usage error.\n",
	       argv0);
}

static int parse_range(const char *arg, struct u32_range *r, char *err,
		       size_t err_size)
{
	const char *colon = strchr(arg, ':');
	char lo[16] = "", reason[XENSND_ERROR_MAX];
	size_t n = colon ? (size_t)(colon - arg) : strlen(arg);

	if (n >= sizeof(lo)) {
		snprintf(err, err_size, "\"%s\": expected MIN:MAX", arg);
		return -EINVAL;
	}
	memcpy(lo, arg, n);
	if (n > 0 && xensnd_parse_u32(lo, 1, UINT32_MAX, &r->min, reason,
				      sizeof(reason)) < 0) {
		snprintf(err, err_size, "\"%s\": %s", arg, reason);
		return -EINVAL;
	}
	if (colon == NULL)
		r->max = r->min;	/* one value: exactly that */
	else if (colon[1] != '\0' &&
		 xensnd_parse_u32(colon + 1, 1, UINT32_MAX, &r->max, reason,
				  sizeof(reason)) < 0) {
		snprintf(err, err_size, "\"%s\": %s", arg, reason);
		return -EINVAL;
	}
	if (r->min > r->max) {
		snprintf(err, err_size, "\"%s\": MIN is above MAX", arg);
		return -EINVAL;
	}
	return 0;
}

static int parse_drift(const char *arg, int32_t *out, char *err, size_t err_size)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < -CLOCK_DRIFT_PPM_MAX ||
	    v > CLOCK_DRIFT_PPM_MAX) {
		snprintf(err, err_size, "\"%s\": expected ppm in -%d..%d", arg,
			 CLOCK_DRIFT_PPM_MAX, CLOCK_DRIFT_PPM_MAX);
		return -EINVAL;
	}
	*out = (int32_t)v;
	return 0;
}

static int parse_formats(const char *arg, uint64_t *formats, char *err,
			 size_t err_size)
{
	char reason[XENSND_ERROR_MAX];
	uint64_t unsupported;

	if (xensnd_parse_formats(arg, ',', formats, reason, sizeof(reason)) < 0) {
		snprintf(err, err_size, "\"%s\": %s", arg, reason);
		return -EINVAL;
	}
	unsupported = *formats & ~limits_supported_formats();
	if (unsupported) {
		snprintf(err, err_size,
			 "\"%s\": has formats WAV cannot hold (mask 0x%llx)", arg,
			 (unsigned long long)unsupported);
		return -EINVAL;
	}
	return 0;
}

enum opt_id {
	OPT_OUTPUT_DIR = 256, OPT_OUTPUT, OPT_INPUT, OPT_FORMATS, OPT_RATES,
	OPT_CHANNELS, OPT_PERIOD, OPT_BUFFER, OPT_DRIFT, OPT_STATE,
	OPT_IMPULSE_LOG, OPT_VERBOSE, OPT_HELP, OPT_NO_VOLUME,
};

static int apply(struct backend_options *o, int id, const char *arg,
		 char *err, size_t err_size)
{
	struct backend_limits *lim = &o->limits;
	char reason[XENSND_ERROR_MAX];

	switch (id) {
	case OPT_OUTPUT_DIR: o->output_dir = arg; return 0;
	case OPT_OUTPUT:
		if (strcmp(arg, "pipewire") != 0) {
			snprintf(err, err_size, "\"%s\": the only output is \"pipewire\" "
				 "(or --output-dir DIR)", arg);
			return -EINVAL;
		}
		o->output_pipewire = true;
		return 0;
	case OPT_INPUT:
		if (strcmp(arg, "pipewire") == 0)
			o->input_pipewire = true;
		else
			o->input_file = arg;
		return 0;
	case OPT_FORMATS: return parse_formats(arg, &lim->formats, err, err_size);
	case OPT_RATES:
		if (xensnd_parse_rates(arg, ',', lim->rates, &lim->n_rates, reason,
				       sizeof(reason)) < 0) {
			snprintf(err, err_size, "\"%s\": %s", arg, reason);
			return -EINVAL;
		}
		return 0;
	case OPT_CHANNELS: return parse_range(arg, &lim->channels, err, err_size);
	case OPT_PERIOD: return parse_range(arg, &lim->period_frames, err, err_size);
	case OPT_BUFFER: return parse_range(arg, &lim->buffer_frames, err, err_size);
	case OPT_DRIFT: return parse_drift(arg, &o->clock_drift_ppm, err, err_size);
	case OPT_STATE: o->state_file = arg; return 0;
	case OPT_IMPULSE_LOG: o->impulse_log = arg; return 0;
	case OPT_VERBOSE: o->verbose = true; return 0;
	case OPT_NO_VOLUME: o->no_volume = true; return 0;
	}
	snprintf(err, err_size, "unknown option (try --help)");
	return -EINVAL;
}

enum options_result options_parse(struct backend_options *o, int argc,
				  char **argv, char *err, size_t err_size)
{
	static const struct option longopts[] = {
		{ "output-dir", required_argument, NULL, OPT_OUTPUT_DIR },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "input", required_argument, NULL, OPT_INPUT },
		{ "formats", required_argument, NULL, OPT_FORMATS },
		{ "rates", required_argument, NULL, OPT_RATES },
		{ "channels", required_argument, NULL, OPT_CHANNELS },
		{ "period-frames", required_argument, NULL, OPT_PERIOD },
		{ "buffer-frames", required_argument, NULL, OPT_BUFFER },
		{ "clock-drift", required_argument, NULL, OPT_DRIFT },
		{ "state-file", required_argument, NULL, OPT_STATE },
		{ "impulse-log", required_argument, NULL, OPT_IMPULSE_LOG },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "no-volume", no_argument, NULL, OPT_NO_VOLUME },
		{ NULL, 0, NULL, 0 },
	};
	int id;

	*o = (struct backend_options){ 0 };
	limits_init_default(&o->limits);
	opterr = 0;
	optind = 1;
	while ((id = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		char reason[XENSND_ERROR_MAX];

		if (id == OPT_HELP)
			return OPTIONS_HELP;
		if (id == '?') {
			snprintf(err, err_size, "unknown option or missing value: %s "
				 "(try --help)", argv[optind - 1]);
			return OPTIONS_ERROR;
		}
		if (apply(o, id, optarg, reason, sizeof(reason)) < 0) {
			snprintf(err, err_size, "--%s %s", longopts[id - 256].name,
				 reason);
			return OPTIONS_ERROR;
		}
	}
	if (optind < argc) {
		snprintf(err, err_size, "unexpected argument \"%s\" (try --help)",
			 argv[optind]);
		return OPTIONS_ERROR;
	}
	return OPTIONS_RUN;
}
