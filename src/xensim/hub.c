/* SPDX-License-Identifier: MIT */
/*
 * The hub: one epoll loop for the XenStore and hypervisor parts, the
 * domains' lifetimes, and DIR/control.sock through which `xensim exec`,
 * `destroy` and `stop` talk to it. DIR/xensim.pid holds the hub's pid and
 * an exclusive flock for the hub's whole life: that lock, not the pid,
 * decides whether a hub is alive (a pid may be reused; a lock dies with
 * its process).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hub.h"
#include "hub-main.h"

#define CONTROL_LINE_MAX 128

struct hub_source {
	struct hub_source *next;
	int fd;
	hub_fd_func func;
	void *data;
	bool removed;	/* freed after the current batch of events */
};

struct control_conn {
	struct hub *hub;
	int fd;
	char line[CONTROL_LINE_MAX];
	size_t len;
};

struct hub {
	char *dir;
	int log_fd;	/* DIR/xensim.log of a background hub, else -1 */
	int epfd;
	int lock_fd;
	int control_fd;
	int signal_fd;
	bool stopping;
	struct hub_source *sources;
	struct hub_source *dead;
	/* One bit per domain id: introduced and not yet destroyed. */
	unsigned char domains[(XENSIM_MAX_DOMID + 7) / 8];
	struct xs_server *xs;
	struct hv_server *hv;
};

/* ---- the loop ---- */

int hub_add_fd(struct hub *hub, int fd, uint32_t events, hub_fd_func func,
	       void *data)
{
	struct hub_source *src = calloc(1, sizeof(*src));
	struct epoll_event ev = { .events = events };

	if (!src)
		return -ENOMEM;
	src->fd = fd;
	src->func = func;
	src->data = data;
	ev.data.ptr = src;
	if (epoll_ctl(hub->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;
		free(src);
		return err;
	}
	src->next = hub->sources;
	hub->sources = src;
	return 0;
}

static struct hub_source *find_source(struct hub *hub, int fd)
{
	for (struct hub_source *src = hub->sources; src; src = src->next)
		if (src->fd == fd)
			return src;
	return NULL;
}

int hub_mod_fd(struct hub *hub, int fd, uint32_t events)
{
	struct hub_source *src = find_source(hub, fd);
	struct epoll_event ev = { .events = events };

	if (!src)
		return -ENOENT;
	ev.data.ptr = src;
	return epoll_ctl(hub->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void hub_remove_fd(struct hub *hub, int fd)
{
	for (struct hub_source **link = &hub->sources; *link;
	     link = &(*link)->next) {
		struct hub_source *src = *link;

		if (src->fd != fd)
			continue;
		epoll_ctl(hub->epfd, EPOLL_CTL_DEL, fd, NULL);
		*link = src->next;
		/* Events for it may still wait in this batch. */
		src->removed = true;
		src->next = hub->dead;
		hub->dead = src;
		return;
	}
}

static void free_sources(struct hub_source *src)
{
	while (src) {
		struct hub_source *next = src->next;
		free(src);
		src = next;
	}
}

const char *hub_dir(const struct hub *hub)
{
	return hub->dir;
}

void hub_log(const struct hub *hub, const char *fmt, ...)
{
	char line[1024], stamp[32];
	struct timespec now;
	struct tm tm;
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	dprintf(hub && hub->log_fd >= 0 ? hub->log_fd : STDERR_FILENO,
		"%s.%03ld xensim[%ld]: %s\n", stamp, now.tv_nsec / 1000000,
		(long)getpid(), line);
}

static void run_loop(struct hub *hub)
{
	struct epoll_event events[32];

	while (!hub->stopping) {
		int n = epoll_wait(hub->epfd, events, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			hub_log(hub, "hub: epoll_wait: %s; stopping",
				strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct hub_source *src = events[i].data.ptr;

			if (!src->removed)
				src->func(src->data, src->fd, events[i].events);
		}
		free_sources(hub->dead);
		hub->dead = NULL;
	}
}

/* ---- domains ---- */

static bool domain_exists(const struct hub *hub, uint32_t domid)
{
	return hub->domains[domid / 8] & (1u << (domid % 8));
}

static void domain_mark(struct hub *hub, uint32_t domid, bool exists)
{
	if (exists)
		hub->domains[domid / 8] |= 1u << (domid % 8);
	else
		hub->domains[domid / 8] &= ~(1u << (domid % 8));
}

static void domain_rmdir(struct hub *hub, uint32_t domid)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/dom%u", hub->dir, domid);
	rmdir(path);	/* fails harmlessly if a part left something */
}

/* The hypervisor part first, so the domain is whole when XenStore fires
 * @introduceDomain. */
static int introduce(struct hub *hub, uint32_t domid, char *err, size_t size)
{
	int ret = 0;

	ret = hv_server_introduce(hub->hv, domid);
	if (ret < 0) {
		snprintf(err, size, "hypervisor part cannot create dom%u: %s",
			 domid, strerror(-ret));
		return ret;
	}
	ret = xs_server_introduce(hub->xs, domid);
	if (ret < 0) {
		snprintf(err, size, "XenStore cannot create dom%u: %s", domid,
			 strerror(-ret));
		return ret;
	}
	domain_mark(hub, domid, true);
	return 0;
}

static void destroy(struct hub *hub, uint32_t domid)
{
	xs_server_release(hub->xs, domid);
	hv_server_release(hub->hv, domid);
	domain_mark(hub, domid, false);
	domain_rmdir(hub, domid);
	hub_log(hub, "hub: dom%u destroyed", domid);
}

/* ---- control.sock ---- */

static bool parse_domid(const char *s, uint32_t *domid)
{
	char *end;
	unsigned long value;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	value = strtoul(s, &end, 10);
	if (errno || *end || value >= XENSIM_MAX_DOMID)
		return false;
	*domid = value;
	return true;
}

static void control_request(struct hub *hub, const char *line, char *reply,
			    size_t size)
{
	char err[256];
	uint32_t domid;

	snprintf(reply, size, "ok");
	if (!strcmp(line, "ping"))
		return;
	if (!strcmp(line, "stop")) {
		hub_log(hub, "hub: stop requested");
		hub->stopping = true;
		return;
	}
	if (!strncmp(line, "introduce ", 10) && parse_domid(line + 10, &domid)) {
		if (!domain_exists(hub, domid) &&
		    introduce(hub, domid, err, sizeof(err)) < 0)
			snprintf(reply, size, "error %s", err);
		return;
	}
	if (!strncmp(line, "destroy ", 8) && parse_domid(line + 8, &domid)) {
		if (domid == 0)
			snprintf(reply, size, "error dom0 cannot be destroyed "
				 "(stop the hub instead)");
		else if (!domain_exists(hub, domid))
			snprintf(reply, size, "error dom%u does not exist",
				 domid);
		else
			destroy(hub, domid);
		return;
	}
	snprintf(reply, size, "error unknown request '%.64s' (expected ping, "
		 "introduce N, destroy N or stop)", line);
}

static void control_close(struct control_conn *cc)
{
	hub_remove_fd(cc->hub, cc->fd);
	close(cc->fd);
	free(cc);
}

static void on_control_conn(void *data, int fd, uint32_t events)
{
	struct control_conn *cc = data;
	char reply[512];
	char *nl;
	ssize_t n = recv(fd, cc->line + cc->len, sizeof(cc->line) - 1 - cc->len,
			 MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		control_close(cc);
		return;
	}
	cc->len += n;
	cc->line[cc->len] = '\0';
	nl = strchr(cc->line, '\n');
	if (!nl && cc->len < sizeof(cc->line) - 1)
		return;	/* the rest of the line is on its way */
	if (nl)
		*nl = '\0';
	if (nl)
		control_request(cc->hub, cc->line, reply, sizeof(reply));
	else
		snprintf(reply, sizeof(reply), "error request too long");
	strcat(reply, "\n");
	/* A fresh socket's buffer takes a line: this does not block. */
	if (send(fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		hub_log(cc->hub, "hub: control reply lost: %s",
			strerror(errno));
	control_close(cc);
}

static void on_control_accept(void *data, int fd, uint32_t events)
{
	struct hub *hub = data;
	struct control_conn *cc;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return;
	cc = calloc(1, sizeof(*cc));
	if (!cc || hub_add_fd(hub, cfd, EPOLLIN, on_control_conn, cc) < 0) {
		hub_log(hub, "hub: cannot serve a control connection");
		free(cc);
		close(cfd);
		return;
	}
	cc->hub = hub;
	cc->fd = cfd;
}

static void on_signal(void *data, int fd, uint32_t events)
{
	struct hub *hub = data;
	struct signalfd_siginfo info;

	if (read(fd, &info, sizeof(info)) == sizeof(info)) {
		hub_log(hub, "hub: signal %u, stopping", info.ssi_signo);
		hub->stopping = true;
	}
}

/* ---- setup and teardown ---- */

static int control_path(const char *dir, struct sockaddr_un *addr)
{
	addr->sun_family = AF_UNIX;
	if (snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/control.sock",
		     dir) >= (int)sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Take DIR/xensim.pid's lock, or say who holds it. */
static int take_lock(struct hub *hub)
{
	char path[4096], pid[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/xensim.pid", hub->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "xensim: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = pread(fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		fprintf(stderr, "xensim: a hub already runs on %s (pid %s); "
			"stop it first with `xensim stop --dir %s`\n",
			hub->dir, pid[0] ? pid : "unknown", hub->dir);
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, n, 0) != n) {
		fprintf(stderr, "xensim: cannot write %s: %s\n", path,
			strerror(errno));
		close(fd);
		return -1;
	}
	hub->lock_fd = fd;
	return 0;
}

/* Sockets a dead hub left behind (its lock is gone: we hold it now). */
static void remove_stale(struct hub *hub)
{
	DIR *dir = opendir(hub->dir);
	struct dirent *ent;
	char path[4096];

	if (!dir)
		return;
	while ((ent = readdir(dir))) {
		if (strncmp(ent->d_name, "dom", 3) ||
		    strspn(ent->d_name + 3, "0123456789") !=
		    strlen(ent->d_name + 3) || !ent->d_name[3])
			continue;
		snprintf(path, sizeof(path), "%s/%s/xenstored.sock", hub->dir,
			 ent->d_name);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s/hypervisor.sock", hub->dir,
			 ent->d_name);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s", hub->dir, ent->d_name);
		rmdir(path);
	}
	closedir(dir);
}

static int listen_control(struct hub *hub)
{
	struct sockaddr_un addr;
	int fd;

	if (control_path(hub->dir, &addr) < 0) {
		fprintf(stderr, "xensim: %s is too long for a unix socket "
			"path; use a shorter --dir\n", hub->dir);
		return -1;
	}
	unlink(addr.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(fd, 16) < 0 ||
	    hub_add_fd(hub, fd, EPOLLIN, on_control_accept, hub) < 0) {
		fprintf(stderr, "xensim: cannot listen on %s: %s\n",
			addr.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	hub->control_fd = fd;
	return 0;
}

static int watch_signals(struct hub *hub)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	hub->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (hub->signal_fd < 0 ||
	    hub_add_fd(hub, hub->signal_fd, EPOLLIN, on_signal, hub) < 0) {
		fprintf(stderr, "xensim: cannot watch signals: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

static int start_parts(struct hub *hub)
{
	char err[256];

	hub->xs = xs_server_new(hub);
	if (!hub->xs) {
		fprintf(stderr, "xensim: out of memory starting XenStore\n");
		return -1;
	}
	hub->hv = hv_server_new(hub);
	if (!hub->hv) {
		fprintf(stderr, "xensim: cannot start the hypervisor part\n");
		return -1;
	}
	if (introduce(hub, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "xensim: %s\n", err);
		return -1;
	}
	return 0;
}

static void hub_free(struct hub *hub)
{
	struct sockaddr_un addr;

	if (hub->xs) {
		xs_server_free(hub->xs);
		hv_server_free(hub->hv);
		for (uint32_t domid = 0; domid < XENSIM_MAX_DOMID; domid++)
			if (domain_exists(hub, domid))
				domain_rmdir(hub, domid);
	}
	if (hub->control_fd >= 0) {
		close(hub->control_fd);
		if (!control_path(hub->dir, &addr))
			unlink(addr.sun_path);
	}
	if (hub->signal_fd >= 0)
		close(hub->signal_fd);
	free_sources(hub->sources);
	free_sources(hub->dead);
	if (hub->epfd >= 0)
		close(hub->epfd);
	if (hub->lock_fd >= 0) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/xensim.pid", hub->dir);
		unlink(path);	/* still ours: we hold the lock */
		close(hub->lock_fd);
	}
	if (hub->log_fd >= 0)
		close(hub->log_fd);
	free(hub->dir);
	free(hub);
}

static struct hub *hub_new(const char *dir)
{
	struct hub *hub = calloc(1, sizeof(*hub));

	if (!hub)
		return NULL;
	hub->epfd = hub->lock_fd = hub->control_fd = hub->signal_fd = -1;
	hub->log_fd = -1;
	hub->dir = strdup(dir);
	hub->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!hub->dir || hub->epfd < 0) {
		hub_free(hub);
		return NULL;
	}
	return hub;
}

/* From now on the caller's terminal is not ours: stray output (a
 * sanitizer's report) goes to the log too. */
static void signal_ready(struct hub *hub, int ready_fd)
{
	if (hub->log_fd >= 0) {
		dup2(hub->log_fd, STDERR_FILENO);
		dup2(hub->log_fd, STDOUT_FILENO);
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "", 1) != 1)
			hub_log(hub, "hub: cannot tell the parent we are "
				"ready: %s", strerror(errno));
		close(ready_fd);
	}
}

int hub_main(const char *dir, int ready_fd, const char *log_path)
{
	struct hub *hub;
	int err = mkdir_p(dir);

	if (err < 0) {
		fprintf(stderr, "xensim: cannot create %s: %s\n", dir,
			strerror(-err));
		return 1;
	}
	hub = hub_new(dir);
	if (!hub) {
		fprintf(stderr, "xensim: out of memory\n");
		return 1;
	}
	if (log_path) {
		hub->log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND |
				   O_CLOEXEC, 0644);
		if (hub->log_fd < 0) {
			fprintf(stderr, "xensim: cannot open %s: %s\n",
				log_path, strerror(errno));
			hub_free(hub);
			return 1;
		}
	}
	if (take_lock(hub) < 0) {
		hub_free(hub);
		return 1;
	}
	remove_stale(hub);
	if (listen_control(hub) < 0 || watch_signals(hub) < 0 ||
	    start_parts(hub) < 0) {
		hub_free(hub);
		return 1;
	}
	signal_ready(hub, ready_fd);
	hub_log(hub, "hub: serving %s (pid %ld)", dir, (long)getpid());
	run_loop(hub);
	hub_log(hub, "hub: stopped");
	hub_free(hub);
	return 0;
}

/* ---- the client side ---- */

int hub_control(const char *dir, const char *request, char *reply,
		size_t size)
{
	struct sockaddr_un addr;
	size_t len = 0;
	int fd, err;

	if (control_path(dir, &addr) < 0)
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    dprintf(fd, "%s\n", request) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	while (len < size - 1) {
		ssize_t n = read(fd, reply + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	reply[len] = '\0';
	reply[strcspn(reply, "\n")] = '\0';
	return len ? 0 : -ECONNRESET;
}

/* Gone, or a zombie its parent has not reaped yet (a foreground hub
 * started by a shell): either way it serves no more. */
static bool process_gone(pid_t pid)
{
	char path[64], stat[256], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "re");
	if (!f)
		return true;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = '\0';
	paren = strrchr(stat, ')');
	return !paren || paren[1] != ' ' || paren[2] == 'Z' || paren[2] == 'X';
}

int hub_wait_exit(const char *dir, int timeout_ms)
{
	char path[4096], buf[32];
	pid_t pid = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/xensim.pid", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		pid = atol(buf);
	}
	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		/* The lock goes with the hub's last close, the process a
		 * moment later. */
		bool unlocked = fd < 0 || flock(fd, LOCK_SH | LOCK_NB) == 0;

		if (unlocked && (pid <= 0 || process_gone(pid))) {
			if (fd >= 0)
				close(fd);
			return 0;
		}
		usleep(10000);
	}
	if (fd >= 0)
		close(fd);
	return -ETIMEDOUT;
}
