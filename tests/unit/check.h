/* SPDX-License-Identifier: MIT */
/*
 * A tiny assertion helper for the unit tests: each CHECK counts, a
 * failed one prints where and what; check_done() prints the tally and
 * gives the exit code (0 when everything held).
 */
#ifndef XENSND_TEST_CHECK_H
#define XENSND_TEST_CHECK_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct check {
	const char *name;
	unsigned int passed;
	unsigned int failed;
};

static inline bool check_(struct check *c, bool ok, const char *what,
			  const char *file, int line)
{
	if (ok) {
		c->passed++;
	} else {
		c->failed++;
		printf("FAILED %s:%d: %s\n", file, line, what);
	}
	return ok;
}

#define CHECK(c, cond) check_((c), (cond), #cond, __FILE__, __LINE__)

/* Integers, with both values printed on failure; true when equal. */
static inline bool check_eq_(struct check *c, long long a, long long b,
			     const char *what, const char *file, int line)
{
	if (!check_(c, a == b, what, file, line)) {
		printf("       %lld != %lld\n", a, b);
		return false;
	}
	return true;
}

#define CHECK_EQ(c, a, b) \
	check_eq_((c), (long long)(a), (long long)(b), #a " == " #b, __FILE__, __LINE__)

#define CHECK_STR(c, a, b) do {						\
	const char *a_ = (a), *b_ = (b);				\
	bool ok_ = a_ && b_ && strcmp(a_, b_) == 0;			\
	if (!check_((c), ok_, #a " == " #b, __FILE__, __LINE__))	\
		printf("       got:      %s\n       expected: %s\n",	\
		       a_ ? a_ : "(null)", b_ ? b_ : "(null)");		\
} while (0)

/* Print what a group of checks covered, as the test goes. */
#define CHECKED(c, ...) do {						\
	printf("%s: ", (c)->name);					\
	printf(__VA_ARGS__);						\
	printf("\n");							\
} while (0)

static inline int check_done(const struct check *c)
{
	printf("%s: %u checks passed, %u failed\n", c->name, c->passed, c->failed);
	return c->failed ? 1 : 0;
}

#endif
