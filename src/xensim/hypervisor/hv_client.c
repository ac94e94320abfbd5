/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xentoollog.h>

#include "hv_client.h"

void hv_client_log(struct xentoollog_logger *logger, const char *context,
		   const char *fmt, ...)
{
	int saved = errno;
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (logger)
		xtl_log(logger, XTL_ERROR, -1, context, "%s", line);
	else
		fprintf(stderr, "%s: %s\n", context, line);
	errno = saved;
}

/* Only decimal domids below DOMID_FIRST_RESERVED. */
static int parse_domid(const char *s, unsigned *domid)
{
	char *end;
	unsigned long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= DOMID_FIRST_RESERVED)
		return -1;
	*domid = (unsigned)v;
	return 0;
}

int hv_client_connect(struct xentoollog_logger *logger, const char *context,
		      int cloexec)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *dir = getenv("XENSIM_DIR");
	const char *domid_s = getenv("XENSIM_DOMID");
	unsigned domid;
	int n, fd;

	if (!dir || !*dir || parse_domid(domid_s, &domid) < 0) {
		hv_client_log(logger, context, "no Xen here: XENSIM_DIR and "
			      "XENSIM_DOMID are %s; run the program under "
			      "`xensim exec --domid N -- ...`",
			      dir && *dir ? "bad" : "not set");
		errno = ENOENT;
		return -1;
	}
	n = snprintf(addr.sun_path, sizeof(addr.sun_path),
		     "%s/dom%u/hypervisor.sock", dir, domid);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path)) {
		hv_client_log(logger, context, "XENSIM_DIR %s is too long for "
			      "a socket path", dir);
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | (cloexec ? SOCK_CLOEXEC : 0), 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;

		hv_client_log(logger, context, "cannot connect to %s: %s; is "
			      "the xensim hub running (`xensim start`) and "
			      "domain %u created?", addr.sun_path,
			      strerror(err), domid);
		close(fd);
		errno = err == ECONNREFUSED ? ENOENT : err;
		return -1;
	}
	return fd;
}

static int send_call(int sock, const struct hv_call *call)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov[2] = {
		{ .iov_base = (void *)&call->req, .iov_len = sizeof(call->req) },
		{ .iov_base = (void *)call->tail, .iov_len = call->tail_len },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n;

	if (call->send_fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &call->send_fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -1 : 0;
}

static void take_fds(struct msghdr *msg, struct hv_call *call)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
	     c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (unsigned i = 0; i < k && call->nr_fds < HV_MAX_FDS; i++)
			memcpy(&call->fds[call->nr_fds++],
			       CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
}

static void close_call_fds(struct hv_call *call)
{
	for (unsigned i = 0; i < call->nr_fds; i++)
		close(call->fds[i]);
	call->nr_fds = 0;
}

static int recv_call(int sock, struct hv_call *call)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * HV_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov[2] = {
		{ .iov_base = &call->rsp, .iov_len = sizeof(call->rsp) },
		{ .iov_base = call->rsp_tail, .iov_len = call->rsp_tail_len },
	};
	struct msghdr msg = {
		.msg_iov = iov, .msg_iovlen = 2,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n;

	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	take_fds(&msg, call);
	if (n < (ssize_t)sizeof(call->rsp) ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		close_call_fds(call);
		/* 0 bytes: the hub closed us (it stopped, or our domain
		 * was destroyed). */
		errno = n == 0 ? EPIPE : EPROTO;
		return -1;
	}
	call->rsp_tail_len = (size_t)n - sizeof(call->rsp);
	return 0;
}

int hv_client_call(int sock, struct hv_call *call)
{
	call->nr_fds = 0;
	if (send_call(sock, call) < 0 || recv_call(sock, call) < 0)
		return -1;
	if (call->rsp.result < 0) {
		close_call_fds(call);
		errno = -call->rsp.result;
		return -1;
	}
	return 0;
}
