/* SPDX-License-Identifier: MIT */
/*
 * The shim side of hv_proto.h: connect to this domain's hypervisor socket
 * and run one request/response exchange. Used by both shim libraries; no
 * state outside the caller's handle.
 */
#ifndef XENSIM_HV_CLIENT_H
#define XENSIM_HV_CLIENT_H

#include <stddef.h>
#include <stdio.h>

#include "hv_proto.h"

struct xentoollog_logger;

/* Log an error the way libxen* do: on the logger if there is one, else on
 * stderr. */
void hv_client_log(struct xentoollog_logger *logger, const char *context,
		   const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Connect to $XENSIM_DIR/dom$XENSIM_DOMID/hypervisor.sock. Returns the
 * socket or -1 with errno set (ENOENT when not run under `xensim exec`),
 * after logging why. */
int hv_client_connect(struct xentoollog_logger *logger, const char *context,
		      int cloexec);

/* What one exchange sends and receives. */
struct hv_call {
	struct hv_req req;
	const void *tail;
	size_t tail_len;
	int send_fd;		/* -1: none */
	struct hv_rsp rsp;
	void *rsp_tail;		/* room for the response's tail */
	size_t rsp_tail_len;	/* in: room, out: received */
	int fds[HV_MAX_FDS];	/* received; the caller owns them */
	unsigned nr_fds;
};

/* Run one exchange. 0 when the hub answered success; -1 with errno set
 * (to the hub's error, or to the transport's). Received fds are closed
 * on failure. */
int hv_client_call(int sock, struct hv_call *call);

#endif
