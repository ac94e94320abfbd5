/* SPDX-License-Identifier: MIT */
/* Unit tests of xensnd-ctl's command-line values (xensnd-ctl-parse.c). */
#include <errno.h>
#include <string.h>

#include "ctl-check.h"
#include "xensnd-ctl-parse.h"

static void test_target(int *failures)
{
	struct ctl_target t;
	char err[256];

	CHECK(failures, ctl_parse_target("0/1/2", &t, err, sizeof(err)) == 0);
	CHECK(failures, strcmp(t.card, "0") == 0 && t.pcm == 1 && t.stream == 2);
	CHECK(failures, ctl_parse_target("12/0/0", &t, err, sizeof(err)) == 0);
	CHECK(failures, strcmp(t.card, "12") == 0);

	static const char *bad[] = {
		"", "0", "0/0", "0/0/", "/0/0", "0//0", "0/0/0/0", "a/0/0",
		"0/-1/0", "0/+1/0", "0/0/0x1", " 0/0/0", "0/0/99999999999",
		"123456789012345678/0/0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(failures, ctl_parse_target(bad[i], &t, err, sizeof(err)) == -EINVAL);
		CHECK(failures, strstr(err, "stream \"") == err);	/* names the value */
	}
}

static void test_uint(int *failures)
{
	uint32_t v;
	char err[256];

	CHECK(failures, ctl_parse_uint("--rate", "48000", 1, 192000, &v, err, sizeof(err)) == 0);
	CHECK(failures, v == 48000);
	CHECK(failures, ctl_parse_uint("--rate", "0", 1, 192000, &v, err, sizeof(err)) == -EINVAL);
	CHECK(failures, strstr(err, "must be 1 to 192000") != NULL);
	CHECK(failures, ctl_parse_uint("--rate", "4294967296", 1, UINT32_MAX, &v, err,
				       sizeof(err)) == -EINVAL);
	CHECK(failures, ctl_parse_uint("--rate", "4294967295", 1, UINT32_MAX, &v, err,
				       sizeof(err)) == 0 && v == UINT32_MAX);
	CHECK(failures, ctl_parse_uint("--rate", "48k", 1, 192000, &v, err, sizeof(err)) == -EINVAL);
	CHECK(failures, strstr(err, "--rate \"48k\": not a decimal number") != NULL);
	CHECK(failures, ctl_parse_uint("--rate", "", 1, 192000, &v, err, sizeof(err)) == -EINVAL);
}

static void test_seconds(int *failures)
{
	double s;
	char err[256];

	CHECK(failures, ctl_parse_seconds("2", &s, err, sizeof(err)) == 0 && s == 2.0);
	CHECK(failures, ctl_parse_seconds("0.25", &s, err, sizeof(err)) == 0 && s == 0.25);
	CHECK(failures, ctl_parse_seconds("0", &s, err, sizeof(err)) == -EINVAL);
	CHECK(failures, ctl_parse_seconds("-1", &s, err, sizeof(err)) == -EINVAL);
	CHECK(failures, ctl_parse_seconds("nan", &s, err, sizeof(err)) == -EINVAL);
	CHECK(failures, ctl_parse_seconds("1e9", &s, err, sizeof(err)) == -EINVAL);
	CHECK(failures, ctl_parse_seconds("2s", &s, err, sizeof(err)) == -EINVAL);
}

static void test_volumes(int *failures)
{
	int32_t v[8];
	uint32_t n;
	char err[256];

	CHECK(failures, ctl_parse_volumes("-6", v, 8, &n, err, sizeof(err)) == 0);
	CHECK(failures, n == 1 && v[0] == -6000);
	CHECK(failures, ctl_parse_volumes("-3.5,0,+1.0005", v, 8, &n, err, sizeof(err)) == 0);
	CHECK(failures, n == 3 && v[0] == -3500 && v[1] == 0 && v[2] == 1001);
	CHECK(failures, ctl_parse_volumes("-0.0004", v, 8, &n, err, sizeof(err)) == 0);
	CHECK(failures, v[0] == 0);
	CHECK(failures, ctl_parse_volumes("-201", v, 8, &n, err, sizeof(err)) == -EINVAL);
	CHECK(failures, ctl_parse_volumes("61", v, 8, &n, err, sizeof(err)) == -EINVAL);
	CHECK(failures, ctl_parse_volumes("-6,", v, 8, &n, err, sizeof(err)) == -EINVAL);
	CHECK(failures, ctl_parse_volumes(",-6", v, 8, &n, err, sizeof(err)) == -EINVAL);
	CHECK(failures, ctl_parse_volumes("loud", v, 8, &n, err, sizeof(err)) == -EINVAL);
	CHECK(failures, strstr(err, "volume \"loud\"") != NULL);
	CHECK(failures, ctl_parse_volumes("1,2,3", v, 2, &n, err, sizeof(err)) == -EINVAL);
	CHECK(failures, strstr(err, "more values than channels") != NULL);
}

int main(void)
{
	int failures = 0;

	test_target(&failures);
	test_uint(&failures);
	test_seconds(&failures);
	test_volumes(&failures);
	return failures ? 1 : 0;
}
