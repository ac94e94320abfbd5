/* SPDX-License-Identifier: MIT */
/* A minimal check macro for the xensnd-ctl unit tests: counts failures. */
#ifndef CTL_CHECK_H
#define CTL_CHECK_H

#include <stdio.h>

#define CHECK(failures, cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			(*(failures))++;				\
		}							\
	} while (0)

#endif
