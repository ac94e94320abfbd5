/* SPDX-License-Identifier: MIT */
/*
 * Parsers for the PCM settings as XenStore (and xl.cfg) write them, and
 * their inverse. Values are strict: decimal digits only, no sign, no
 * spaces, because both ends must read the same value the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>
#include <xen/xen.h>
#include <xen/io/sndif.h>

#include <xensnd/config.h>
#include <xensnd/format.h>

/* One list item: [start, start + len) of the value. */
struct item {
	const char *start;
	size_t len;
};

static bool next_item(const char **cursor, char sep, struct item *it)
{
	const char *p = *cursor;
	const char *end;

	if (p == NULL)
		return false;
	end = strchr(p, sep);
	it->start = p;
	it->len = end ? (size_t)(end - p) : strlen(p);
	*cursor = end ? end + 1 : NULL;
	return true;
}

/* Decimal digits only; 0 with *v, -1 "not a number", -2 "too large". */
static int parse_decimal(const char *s, size_t len, uint64_t *v)
{
	uint64_t value = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		value = value * 10 + (uint64_t)(s[i] - '0');
		if (value > UINT32_MAX)
			return -2;
	}
	*v = value;
	return 0;
}

int xensnd_parse_u32(const char *value, uint32_t min, uint32_t max,
		     uint32_t *out, char *err, size_t err_size)
{
	uint64_t v;
	int r = parse_decimal(value, strlen(value), &v);

	if (r == -1) {
		snprintf(err, err_size, "not a number");
		return -EINVAL;
	}
	if (r == -2 || v < min || v > max) {
		snprintf(err, err_size, "out of range (%u..%u)", min, max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int xensnd_parse_rates(const char *value, char sep, uint32_t *rates,
		       uint32_t *n_rates, char *err, size_t err_size)
{
	const char *cursor = value;
	struct item it;
	uint32_t n = 0;

	if (value[0] == '\0') {
		snprintf(err, err_size, "empty list");
		return -EINVAL;
	}
	while (next_item(&cursor, sep, &it)) {
		uint64_t v;
		int r = parse_decimal(it.start, it.len, &v);

		if (r == -1) {
			snprintf(err, err_size, "not a number");
			return -EINVAL;
		}
		if (r == -2 || v == 0) {
			snprintf(err, err_size, "out of range (1..%u)", UINT32_MAX);
			return -EINVAL;
		}
		if (n == XENSND_MAX_RATES) {
			snprintf(err, err_size, "more than %u rates", XENSND_MAX_RATES);
			return -EINVAL;
		}
		rates[n++] = (uint32_t)v;
	}
	qsort(rates, n, sizeof(rates[0]), cmp_u32);
	for (uint32_t i = 1; i < n; i++) {
		if (rates[i] == rates[i - 1]) {
			snprintf(err, err_size, "duplicate entry %u", rates[i]);
			return -EINVAL;
		}
	}
	*n_rates = n;
	return 0;
}

int xensnd_parse_formats(const char *value, char sep, uint64_t *formats,
			 char *err, size_t err_size)
{
	const char *cursor = value;
	struct item it;
	uint64_t mask = 0;

	if (value[0] == '\0') {
		snprintf(err, err_size, "empty list");
		return -EINVAL;
	}
	while (next_item(&cursor, sep, &it)) {
		char name[XENSND_SAMPLE_FORMAT_MAX_LEN + 1];
		const struct xensnd_format *f = NULL;

		if (it.len < sizeof(name)) {
			memcpy(name, it.start, it.len);
			name[it.len] = '\0';
			f = xensnd_format_from_name(name);
		}
		if (f == NULL) {
			snprintf(err, err_size, "unknown format \"%.*s\"",
				 (int)(it.len > 32 ? 32 : it.len), it.start);
			return -EINVAL;
		}
		if (mask & (UINT64_C(1) << f->sndif)) {
			snprintf(err, err_size, "duplicate entry \"%s\"", f->name);
			return -EINVAL;
		}
		mask |= UINT64_C(1) << f->sndif;
	}
	*formats = mask;
	return 0;
}

/* Append to out at *used; -ENOSPC when it does not fit. */
static int append(char *out, size_t out_size, size_t *used, const char *fmt_sep,
		  const char *text)
{
	int n = snprintf(out + *used, out_size - *used, "%s%s", fmt_sep, text);

	if (n < 0 || (size_t)n >= out_size - *used)
		return -ENOSPC;
	*used += (size_t)n;
	return 0;
}

int xensnd_format_rates(const uint32_t *rates, uint32_t n_rates, char sep,
			char *out, size_t out_size)
{
	char sep_str[2] = { sep, '\0' };
	size_t used = 0;

	if (out_size == 0)
		return -ENOSPC;
	out[0] = '\0';
	for (uint32_t i = 0; i < n_rates; i++) {
		char num[16];

		snprintf(num, sizeof(num), "%u", rates[i]);
		if (append(out, out_size, &used, i ? sep_str : "", num) < 0)
			return -ENOSPC;
	}
	return 0;
}

int xensnd_format_formats(uint64_t formats, char sep, char *out, size_t out_size)
{
	char sep_str[2] = { sep, '\0' };
	size_t used = 0;
	bool first = true;

	if (formats >> XENSND_FORMAT_COUNT)
		return -EINVAL;	/* bits no sndif format has */
	if (out_size == 0)
		return -ENOSPC;
	out[0] = '\0';
	for (unsigned i = 0; i < XENSND_FORMAT_COUNT; i++) {
		if (!(formats & (UINT64_C(1) << i)))
			continue;
		if (append(out, out_size, &used, first ? "" : sep_str,
			   xensnd_format_from_sndif(i)->name) < 0)
			return -ENOSPC;
		first = false;
	}
	return 0;
}
