/* SPDX-License-Identifier: MIT */
/* A small streaming JSON writer (see xensnd-ctl-json.h). */
#include <inttypes.h>
#include <string.h>

#include "xensnd-ctl-json.h"

void ctl_json_init(struct ctl_json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->first[0] = true;
}

/* Separator and indentation before a new member or element. */
static void before_value(struct ctl_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		fputs(j->first[j->depth] ? "\n" : ",\n", j->out);
		for (unsigned i = 0; i < j->depth; i++)
			fputs("  ", j->out);
	} else if (!j->first[0]) {
		j->broken = true;	/* a second top-level value */
	}
	j->first[j->depth] = false;
}

static void open_nested(struct ctl_json *j, char c)
{
	before_value(j);
	if (j->depth + 1 >= CTL_JSON_MAX_DEPTH) {
		j->broken = true;
		return;
	}
	fputc(c, j->out);
	j->depth++;
	j->first[j->depth] = true;
}

static void close_nested(struct ctl_json *j, char c)
{
	if (j->depth == 0 || j->after_key) {
		j->broken = true;
		return;
	}
	bool empty = j->first[j->depth];
	j->depth--;
	if (!empty) {
		fputc('\n', j->out);
		for (unsigned i = 0; i < j->depth; i++)
			fputs("  ", j->out);
	}
	fputc(c, j->out);
}

void ctl_json_begin_object(struct ctl_json *j) { open_nested(j, '{'); }
void ctl_json_end_object(struct ctl_json *j) { close_nested(j, '}'); }
void ctl_json_begin_array(struct ctl_json *j) { open_nested(j, '['); }
void ctl_json_end_array(struct ctl_json *j) { close_nested(j, ']'); }

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t utf8_sequence(const unsigned char *s)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) { len = 2; cp = s[0] & 0x1f; }
	else if ((s[0] & 0xf0) == 0xe0) { len = 3; cp = s[0] & 0x0f; }
	else if ((s[0] & 0xf8) == 0xf0) { len = 4; cp = s[0] & 0x07; }
	else return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are not UTF-8. */
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void write_string(FILE *out, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;

	fputc('"', out);
	while (*s) {
		size_t len = utf8_sequence(s);

		if (len == 0) {
			fputs("\\ufffd", out);
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s++);
		} else {
			fwrite(s, 1, len, out);
			s += len;
		}
	}
	fputc('"', out);
}

void ctl_json_key(struct ctl_json *j, const char *key)
{
	if (j->depth == 0 || j->after_key) {
		j->broken = true;
		return;
	}
	before_value(j);
	write_string(j->out, key);
	fputs(": ", j->out);
	j->after_key = true;
}

void ctl_json_string(struct ctl_json *j, const char *value)
{
	before_value(j);
	write_string(j->out, value);
}

void ctl_json_uint(struct ctl_json *j, uint64_t value)
{
	before_value(j);
	fprintf(j->out, "%" PRIu64, value);
}

void ctl_json_int(struct ctl_json *j, int64_t value)
{
	before_value(j);
	fprintf(j->out, "%" PRId64, value);
}

void ctl_json_bool(struct ctl_json *j, bool value)
{
	before_value(j);
	fputs(value ? "true" : "false", j->out);
}

int ctl_json_finish(struct ctl_json *j)
{
	if (j->depth != 0 || j->after_key)
		j->broken = true;
	fputc('\n', j->out);
	return j->broken ? -1 : 0;
}
