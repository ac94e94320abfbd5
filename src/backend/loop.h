/* SPDX-License-Identifier: MIT */
/*
 * The backend's one event loop (epoll). Every fd it watches is a
 * loop_source embedded in its owner, which removes it before closing the
 * fd. One ready source is dispatched per wait, so a callback may free
 * any other source (a card tearing down all its streams) without a
 * stale event pointing at it afterwards.
 */
#ifndef XENSND_BACKEND_LOOP_H
#define XENSND_BACKEND_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop_source;
typedef void (*loop_func)(struct loop_source *src, uint32_t events);

struct loop_source {
	int fd;			/* -1 when not on a loop */
	loop_func func;
	void *data;
};

struct loop {
	int epfd;
	bool quit;
};

int loop_init(struct loop *l);
void loop_fini(struct loop *l);
/* Watch fd for EPOLLIN. 0 or -errno. */
int loop_add(struct loop *l, struct loop_source *src, int fd, loop_func func,
	     void *data);
/* Safe on a source that is not on the loop. */
void loop_remove(struct loop *l, struct loop_source *src);
/* Wait up to timeout_ms and dispatch one source. 0 or -errno. */
int loop_dispatch(struct loop *l, int timeout_ms);

#endif
