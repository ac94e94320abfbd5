/* SPDX-License-Identifier: MIT */
/*
 * xensnd-ctl: what every part of the tool shares -- exit codes and the
 * error reporting convention.
 *
 * Every command function returns an exit code. A failing step prints one
 * line naming what failed and what to do next, and the caller only passes
 * the code up: one message per failure, printed where the facts are.
 */
#ifndef XENSND_CTL_H
#define XENSND_CTL_H

enum ctl_exit {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILURE = 1,	/* runtime: XenStore, backend, files */
	CTL_EXIT_USAGE = 2,	/* bad command line */
};

/* "xensnd-ctl: " + message + newline, on stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
