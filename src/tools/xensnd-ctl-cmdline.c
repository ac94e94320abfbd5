/* SPDX-License-Identifier: MIT */
/* xensnd-ctl's command line (see xensnd-ctl-cmdline.h). */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include <xensnd/config.h>

#include "xensnd-ctl.h"
#include "xensnd-ctl-cmdline.h"
#include "xensnd-ctl-parse.h"

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

void ctl_print_usage(FILE *out, const struct ctl_command *cmd)
{
	fprintf(out, "Usage: xensnd-ctl %s %s\n", cmd->name, cmd->usage);
}

int ctl_usage_error(const struct ctl_command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xensnd-ctl %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ctl_print_usage(stderr, cmd);
	fprintf(stderr, "Try 'xensnd-ctl %s --help'.\n", cmd->name);
	return CTL_EXIT_USAGE;
}

/* One option's value; CTL_EXIT_OK or a usage error. */
static int take_option(const struct ctl_command *cmd, struct ctl_options *o, int c,
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
			return ctl_usage_error(cmd, "unknown sample format \"%s\" (sndif names: s16_le, s24_le, float_le, ...)", arg);
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
		return ctl_usage_error(cmd, "unknown option");
	}
	if (r < 0)
		return ctl_usage_error(cmd, "%s", err);
	if (!(cmd->options & bit) && bit != OPT_HELP) {
		const char *name = "?";

		for (const struct option *lo = long_options; lo->name; lo++)
			if (lo->val == c)
				name = lo->name;
		return ctl_usage_error(cmd, "option --%s is not for this command", name);
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

static int add_operand(const struct ctl_command *cmd, struct ctl_options *o,
		       const char *arg)
{
	if (o->n_operands == CTL_MAX_OPERANDS)
		return ctl_usage_error(cmd, "too many arguments");
	o->operands[o->n_operands++] = arg;
	return CTL_EXIT_OK;
}

int ctl_parse_command_line(const struct ctl_command *cmd, int argc, char **argv,
			   struct ctl_options *o)
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
			return ctl_usage_error(cmd, "unknown option %s", args[optind - 1]);
		if (c == ':')
			return ctl_usage_error(cmd, "option %s needs a value", args[optind - 1]);
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
		return ctl_usage_error(cmd, "missing arguments");
	if (o->n_operands > cmd->max_operands)
		return ctl_usage_error(cmd, "too many arguments");
	return CTL_EXIT_OK;
}

