/* SPDX-License-Identifier: MIT */
/*
 * xensnd-ctl's command line: the options every command may take, how a
 * command is described, and parsing one command's arguments into
 * struct options. Usage errors print the command's usage and return
 * CTL_EXIT_USAGE.
 */
#ifndef XENSND_CTL_CMDLINE_H
#define XENSND_CTL_CMDLINE_H

#include <stdint.h>
#include <stdio.h>

#include <xensnd/format.h>

enum ctl_opt {
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

#define CTL_MAX_OPERANDS	3

struct ctl_options {
	unsigned given;			/* enum ctl_opt bits */
	const struct xensnd_format *format;
	uint32_t rate, channels, period_frames, buffer_frames;
	double seconds;
	int n_operands;
	const char *operands[CTL_MAX_OPERANDS];
};

struct ctl_command {
	const char *name;
	int (*run)(const struct ctl_command *cmd, struct ctl_options *o);
	unsigned options;		/* enum ctl_opt bits it takes */
	int min_operands, max_operands;
	const char *usage;
	const char *help;
};

void ctl_print_usage(FILE *out, const struct ctl_command *cmd);
int ctl_usage_error(const struct ctl_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Options and operands of cmd from argv (argv[0] is the command name). */
int ctl_parse_command_line(const struct ctl_command *cmd, int argc, char **argv,
			   struct ctl_options *o);

#endif
