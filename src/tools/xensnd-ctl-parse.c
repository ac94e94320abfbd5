/* SPDX-License-Identifier: MIT */
/* Command-line values of xensnd-ctl (see xensnd-ctl-parse.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xensnd-ctl-parse.h"

static int fail(char *err, size_t err_size, const char *what,
		const char *text, const char *reason)
{
	snprintf(err, err_size, "%s \"%s\": %s", what, text, reason);
	return -EINVAL;
}

/* Digits only: strtoul alone would take "+1", " 1" and "0x1". */
static int parse_digits(const char *text, const char **end, uint64_t *out)
{
	uint64_t value = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		value = value * 10 + (uint64_t)(*p - '0');
		if (value > UINT32_MAX)
			return -ERANGE;
	}
	*end = p;
	*out = value;
	return 0;
}

int ctl_parse_uint(const char *what, const char *text, uint32_t min,
		   uint32_t max, uint32_t *out, char *err, size_t err_size)
{
	const char *end;
	uint64_t value;
	int r = parse_digits(text, &end, &value);

	if (r == -EINVAL || (r == 0 && *end != '\0'))
		return fail(err, err_size, what, text, "not a decimal number");
	if (r == -ERANGE || value < min || value > max) {
		char reason[64];

		snprintf(reason, sizeof(reason), "must be %u to %u", min, max);
		return fail(err, err_size, what, text, reason);
	}
	*out = (uint32_t)value;
	return 0;
}

int ctl_parse_target(const char *text, struct ctl_target *target,
		     char *err, size_t err_size)
{
	static const char *form = "expected CARD/PCM/STREAM, e.g. 0/0/0";
	const char *p = text, *end;
	uint64_t card, pcm, stream;

	if (parse_digits(p, &end, &card) < 0 || *end != '/')
		return fail(err, err_size, "stream", text, form);
	p = end + 1;
	if (parse_digits(p, &end, &pcm) < 0 || *end != '/')
		return fail(err, err_size, "stream", text, form);
	p = end + 1;
	if (parse_digits(p, &end, &stream) < 0 || *end != '\0')
		return fail(err, err_size, "stream", text, form);

	/* The card keeps its spelling: it is a XenStore directory name. */
	size_t card_len = (size_t)(strchr(text, '/') - text);
	if (card_len >= sizeof(target->card))
		return fail(err, err_size, "stream", text, "card number too long");
	memcpy(target->card, text, card_len);
	target->card[card_len] = '\0';
	target->pcm = (uint32_t)pcm;
	target->stream = (uint32_t)stream;
	return 0;
}

int ctl_parse_seconds(const char *text, double *seconds, char *err,
		      size_t err_size)
{
	char *end;
	double value;

	errno = 0;
	value = strtod(text, &end);
	if (end == text || *end != '\0' || errno != 0 || !isfinite(value))
		return fail(err, err_size, "seconds", text, "not a number");
	if (value <= 0 || value > 86400)
		return fail(err, err_size, "seconds", text,
			    "must be more than 0 and at most 86400");
	*seconds = value;
	return 0;
}

static int parse_one_volume(const char *text, int32_t *mdb, char *err,
			    size_t err_size)
{
	char *end;
	double db;

	errno = 0;
	db = strtod(text, &end);
	if (end == text || *end != '\0' || errno != 0 || !isfinite(db))
		return fail(err, err_size, "volume", text,
			    "not a number of dB (e.g. -6 or -3.5)");
	double steps = round(db * 1000.0);
	if (steps < CTL_VOLUME_MDB_MIN || steps > CTL_VOLUME_MDB_MAX)
		return fail(err, err_size, "volume", text,
			    "must be -200 dB to +60 dB");
	*mdb = (int32_t)steps;
	return 0;
}

int ctl_parse_volumes(const char *text, int32_t *mdb, uint32_t max,
		      uint32_t *n, char *err, size_t err_size)
{
	char item[32];
	const char *p = text;
	uint32_t count = 0;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (count == max)
			return fail(err, err_size, "volume", text,
				    "more values than channels");
		if (len == 0 || len >= sizeof(item))
			return fail(err, err_size, "volume", text,
				    "expected DB[,DB...], e.g. -6 or -6,-3");
		memcpy(item, p, len);
		item[len] = '\0';
		int r = parse_one_volume(item, &mdb[count], err, err_size);
		if (r < 0)
			return r;
		count++;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	*n = count;
	return 0;
}
