/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

int loop_init(struct loop *l)
{
	l->quit = false;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void loop_fini(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

int loop_add(struct loop *l, struct loop_source *src, int fd, loop_func func,
	     void *data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = src };

	src->fd = fd;
	src->func = func;
	src->data = data;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		src->fd = -1;
		return -errno;
	}
	return 0;
}

void loop_remove(struct loop *l, struct loop_source *src)
{
	if (src->fd < 0)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, src->fd, NULL);
	src->fd = -1;
}

int loop_dispatch(struct loop *l, int timeout_ms)
{
	struct epoll_event ev;
	int n = epoll_wait(l->epfd, &ev, 1, timeout_ms);
	struct loop_source *src;

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	src = ev.data.ptr;
	src->func(src, ev.events);
	return 0;
}
