/* SPDX-License-Identifier: MIT */
/*
 * A small streaming JSON writer for `xensnd-ctl list --json`: objects,
 * arrays, strings (escaped per RFC 8259), numbers, booleans. It tracks
 * nesting and commas so callers only say what comes next. Strings from
 * XenStore are the other domain's: every byte is escaped as needed, and
 * invalid UTF-8 bytes are replaced with U+FFFD so the output always parses.
 */
#ifndef XENSND_CTL_JSON_H
#define XENSND_CTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_JSON_MAX_DEPTH	16

struct ctl_json {
	FILE *out;
	unsigned depth;
	bool first[CTL_JSON_MAX_DEPTH];	/* no member written yet at depth */
	bool after_key;			/* a value completes "key": */
	bool broken;			/* misuse (too deep, unbalanced) */
};

void ctl_json_init(struct ctl_json *j, FILE *out);
void ctl_json_begin_object(struct ctl_json *j);
void ctl_json_end_object(struct ctl_json *j);
void ctl_json_begin_array(struct ctl_json *j);
void ctl_json_end_array(struct ctl_json *j);
void ctl_json_key(struct ctl_json *j, const char *key);
void ctl_json_string(struct ctl_json *j, const char *value);
void ctl_json_uint(struct ctl_json *j, uint64_t value);
void ctl_json_int(struct ctl_json *j, int64_t value);
void ctl_json_bool(struct ctl_json *j, bool value);
/* Ends the document with a newline. 0, or -1 if it was misused. */
int ctl_json_finish(struct ctl_json *j);

#endif
