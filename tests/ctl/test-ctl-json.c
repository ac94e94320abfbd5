/* SPDX-License-Identifier: MIT */
/* Unit tests of xensnd-ctl's JSON writer (xensnd-ctl-json.c). */
#include <stdlib.h>
#include <string.h>

#include "ctl-check.h"
#include "xensnd-ctl-json.h"

/* Run a writer sequence into memory; returns the text (caller frees). */
static char *render(void (*build)(struct ctl_json *j), int *finish_ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct ctl_json j;

	ctl_json_init(&j, f);
	build(&j);
	*finish_ret = ctl_json_finish(&j);
	fclose(f);
	return text;
}

static void build_nested(struct ctl_json *j)
{
	ctl_json_begin_object(j);
	ctl_json_key(j, "name");
	ctl_json_string(j, "Main");
	ctl_json_key(j, "rates");
	ctl_json_begin_array(j);
	ctl_json_uint(j, 44100);
	ctl_json_uint(j, 48000);
	ctl_json_end_array(j);
	ctl_json_key(j, "empty");
	ctl_json_begin_array(j);
	ctl_json_end_array(j);
	ctl_json_key(j, "ok");
	ctl_json_bool(j, true);
	ctl_json_key(j, "db");
	ctl_json_int(j, -6000);
	ctl_json_end_object(j);
}

static void build_escapes(struct ctl_json *j)
{
	/* Quote, backslash, control, DEL, valid UTF-8, invalid and overlong UTF-8. */
	ctl_json_string(j, "a\"b\\c\n\x01\x7f caf\xc3\xa9 \xff \xc0\xaf \xed\xa0\x80");
}

static void build_unbalanced(struct ctl_json *j)
{
	ctl_json_begin_object(j);
	ctl_json_key(j, "x");
}

static void build_two_roots(struct ctl_json *j)
{
	ctl_json_uint(j, 1);
	ctl_json_uint(j, 2);
}

int main(void)
{
	int failures = 0, r;
	char *text;

	text = render(build_nested, &r);
	CHECK(&failures, r == 0);
	CHECK(&failures, strcmp(text,
		"{\n  \"name\": \"Main\",\n  \"rates\": [\n    44100,\n    48000\n  ],\n"
		"  \"empty\": [],\n  \"ok\": true,\n  \"db\": -6000\n}\n") == 0);
	free(text);

	text = render(build_escapes, &r);
	CHECK(&failures, r == 0);
	CHECK(&failures, strcmp(text,
		"\"a\\\"b\\\\c\\u000a\\u0001\\u007f caf\xc3\xa9 \\ufffd \\ufffd\\ufffd "
		"\\ufffd\\ufffd\\ufffd\"\n") == 0);
	if (failures)
		fprintf(stderr, "got: %s", text);
	free(text);

	text = render(build_unbalanced, &r);
	CHECK(&failures, r == -1);
	free(text);
	text = render(build_two_roots, &r);
	CHECK(&failures, r == -1);
	free(text);
	return failures ? 1 : 0;
}
