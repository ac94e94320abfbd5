/* SPDX-License-Identifier: MIT */
/*
 * A minimal stand-in for the xensim hub, for testing the hypervisor part
 * alone: the hub.h loop functions plus a control FIFO DIR/ctl taking lines
 * "introduce N", "destroy N" and "stop". Used by fake-xensim.sh only when
 * the real `xensim` is not built.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hub.h"

struct hub_watch {
	struct hub_watch *next;
	int fd;
	hub_fd_func func;
	void *data;
};

struct hub {
	const char *dir;
	int epfd;
	struct hub_watch *watches;
	struct hv_server *hv;
	int ctl_fd;
	bool stop;
	char line[256];
	size_t line_len;
};

int hub_add_fd(struct hub *hub, int fd, uint32_t events, hub_fd_func func,
	       void *data)
{
	struct hub_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events, .data.ptr = w };

	if (!w)
		return -ENOMEM;
	*w = (struct hub_watch){ hub->watches, fd, func, data };
	if (epoll_ctl(hub->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(w);
		return -errno;
	}
	hub->watches = w;
	return 0;
}

int hub_mod_fd(struct hub *hub, int fd, uint32_t events)
{
	for (struct hub_watch *w = hub->watches; w; w = w->next) {
		if (w->fd == fd) {
			struct epoll_event ev = { .events = events,
						  .data.ptr = w };

			return epoll_ctl(hub->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ?
			       -errno : 0;
		}
	}
	return -ENOENT;
}

void hub_remove_fd(struct hub *hub, int fd)
{
	for (struct hub_watch **p = &hub->watches; *p; p = &(*p)->next) {
		struct hub_watch *w = *p;

		if (w->fd == fd) {
			epoll_ctl(hub->epfd, EPOLL_CTL_DEL, fd, NULL);
			*p = w->next;
			free(w);
			return;
		}
	}
}

const char *hub_dir(const struct hub *hub)
{
	return hub->dir;
}

void hub_log(const struct hub *hub, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("test-hub: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void run_command(struct hub *hub, const char *line)
{
	unsigned domid;

	if (sscanf(line, "introduce %u", &domid) == 1) {
		int err = hv_server_introduce(hub->hv, domid);

		if (err < 0)
			hub_log(hub, "introduce %u: %s", domid, strerror(-err));
	} else if (sscanf(line, "destroy %u", &domid) == 1) {
		hv_server_release(hub->hv, domid);
	} else if (strcmp(line, "stop") == 0) {
		hub->stop = true;
	} else {
		hub_log(hub, "unknown command '%s'", line);
	}
}

static void on_ctl(void *data, int fd, uint32_t events)
{
	struct hub *hub = data;
	char c;

	while (read(fd, &c, 1) == 1) {
		if (c != '\n') {
			if (hub->line_len < sizeof(hub->line) - 1)
				hub->line[hub->line_len++] = c;
			continue;
		}
		hub->line[hub->line_len] = '\0';
		hub->line_len = 0;
		run_command(hub, hub->line);
	}
}

int main(int argc, char **argv)
{
	struct hub hub = { 0 };
	char path[4096];
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	hub.dir = argv[1];
	hub.epfd = epoll_create1(EPOLL_CLOEXEC);
	hub.hv = hv_server_new(&hub);
	snprintf(path, sizeof(path), "%s/ctl", hub.dir);
	if (hub.epfd < 0 || !hub.hv ||
	    (mkfifo(path, 0600) < 0 && errno != EEXIST))
		goto out;
	/* O_RDWR: the FIFO never reads EOF between writers. */
	hub.ctl_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (hub.ctl_fd < 0 || hub_add_fd(&hub, hub.ctl_fd, EPOLLIN, on_ctl,
					 &hub) < 0)
		goto out;
	while (!hub.stop) {
		struct epoll_event ev;
		/* One event at a time: a callback may free other watches. */
		int n = epoll_wait(hub.epfd, &ev, 1, -1);

		if (n < 0 && errno != EINTR)
			goto out;
		if (n == 1) {
			struct hub_watch *w = ev.data.ptr;

			w->func(w->data, w->fd, ev.events);
		}
	}
	rc = 0;
out:
	hv_server_free(hub.hv);
	if (hub.ctl_fd > 0) {
		hub_remove_fd(&hub, hub.ctl_fd);
		close(hub.ctl_fd);
	}
	if (hub.epfd >= 0)
		close(hub.epfd);
	return rc;
}
