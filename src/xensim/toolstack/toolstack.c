/* SPDX-License-Identifier: MIT */
/* toolstack_main: pick the vsnd command; what they share. */
#include "toolstack.h"
#include "toolstack-private.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xen/xen.h>

struct command {
	const char *name;
	int (*main)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "vsnd-attach", vsnd_attach_main },
	{ "vsnd-detach", vsnd_detach_main },
	{ "vsnd-list", vsnd_list_main },
};

int toolstack_main(int argc, char **argv)
{
	if (argc < 1 || !argv[0]) {
		fprintf(stderr, "xensim: toolstack_main without a command\n");
		return TOOLSTACK_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].main(argc, argv);
	}
	fprintf(stderr, "xensim: unknown toolstack command \"%s\"; the toolstack has "
		"vsnd-attach, vsnd-detach and vsnd-list\n", argv[0]);
	return TOOLSTACK_USAGE;
}

void toolstack_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xensim %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Canonical decimal (no sign, blanks or leading zeros) up to max. */
static int parse_decimal(const char *text, unsigned long max, uint32_t *out)
{
	unsigned long v = 0;
	size_t len = strlen(text);

	if (len == 0 || len > 10 || (len > 1 && text[0] == '0'))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(text[i] - '0');
	}
	if (v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int parse_domid(const char *text, uint32_t *domid)
{
	return parse_decimal(text, DOMID_FIRST_RESERVED - 1, domid);
}

int parse_devid(const char *text, uint32_t *devid)
{
	return parse_decimal(text, INT_MAX, devid);
}
