/* SPDX-License-Identifier: MIT */
/*
 * The hub's hypervisor part, shared between its files:
 *   hv_server.c  domains, their sockets, connections, message dispatch
 *   hv_evtchn.c  each domain's event channel table
 *   hv_grant.c   each domain's grant table and unmap notifications
 * Everything hangs off struct hv_server, which main() owns via the hub.
 */
#ifndef XENSIM_HV_SERVER_PRIV_H
#define XENSIM_HV_SERVER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hub.h"
#include "hv_proto.h"
#include "hv_shared.h"

enum hv_port_state {
	HV_PORT_FREE = 0,
	HV_PORT_UNBOUND,	/* waiting for remote_domid to bind to it */
	HV_PORT_INTERDOMAIN,	/* connected to remote_domid:remote_port */
};

struct hv_conn;

struct hv_port {
	enum hv_port_state state;
	struct hv_conn *owner;
	uint32_t remote_domid;
	evtchn_port_t remote_port;
	uint32_t serial;
};

/* A memfd that grants point into; refcounted by grants and notify records. */
struct hv_memory {
	int fd;			/* read-write, sealed against shrinking */
	int ro_fd;		/* the same file opened read-only, or -1 */
	uint32_t pages;
	unsigned refs;
};

struct hv_grant {
	struct hv_memory *mem;	/* NULL: this ref is free */
	struct hv_conn *owner;	/* the sharing handle */
	uint32_t grantee;
	uint32_t page;
	bool writable;
};

/* What to do when a share is unshared or a mapping unmapped (or their
 * handle goes away): clear a byte, notify a port of the handle's domain. */
struct hv_notify {
	struct hv_notify *next;
	uint64_t id;
	struct hv_memory *mem;
	uint64_t byte_offset;	/* into mem, if flags & HV_FLAG_NOTIFY_BYTE */
	uint32_t flags;
	evtchn_port_t port;
};

struct hv_domain {
	struct hv_domain *next;
	struct hv_server *hv;
	uint32_t domid;
	int listen_fd;
	char path[108];		/* sizeof(sockaddr_un.sun_path) */
	struct hv_conn *conns;
	struct hv_port ports[HV_NR_PORTS];
	struct hv_grant *grants;	/* indexed by ref */
	uint32_t nr_grants;		/* allocated entries */
	uint32_t next_ref;		/* where the search for a free ref starts */
};

struct hv_conn {
	struct hv_conn *next;
	struct hv_domain *dom;
	int fd;
	uint64_t id;
	/* The event channel handle, once HV_OP_EVTCHN_OPEN was asked. */
	bool evtchn;
	uint32_t restrict_domid;	/* XENSIM_MAX_DOMID: unrestricted */
	int eventfd;
	int pending_fd;
	int control_fd;
	int control_ro_fd;
	struct hv_pending_page *pending;
	struct hv_control_page *control;
	struct hv_notify *notifies;
};

struct hv_server {
	struct hub *hub;
	struct hv_domain *domains;
	uint64_t next_conn_id;
	uint64_t next_notify_id;
	uint32_t next_serial;
	/* The request being served and its reply's tail: the hub serves one
	 * request at a time. */
	struct {
		struct hv_req req;
		uint8_t tail[HV_MAX_TAIL];
	} in;
	uint32_t scratch[HV_MAX_TAIL / sizeof(uint32_t)];
};

/* A reply: result, fixed part, tail and fds to pass. */
struct hv_reply {
	struct hv_rsp rsp;
	const void *tail;
	size_t tail_len;
	int fds[HV_MAX_FDS];
	unsigned nr_fds;
};

struct hv_domain *hv_domain_find(struct hv_server *hv, uint32_t domid);
int hv_memfd_page(size_t size, const char *name);
void hv_log(const struct hv_server *hv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* hv_evtchn.c */
int hv_evtchn_open(struct hv_conn *conn, struct hv_reply *reply);
int hv_evtchn_bind_unbound(struct hv_conn *conn, uint32_t remote_domid,
			   struct hv_reply *reply);
int hv_evtchn_bind_interdomain(struct hv_conn *conn, uint32_t remote_domid,
			       evtchn_port_t remote_port,
			       struct hv_reply *reply);
int hv_evtchn_unbind(struct hv_conn *conn, evtchn_port_t port);
int hv_evtchn_peer(struct hv_conn *conn, evtchn_port_t port,
		   struct hv_reply *reply);
int hv_evtchn_restrict(struct hv_conn *conn, uint32_t domid);
/* Send an event on a port of dom, as a notify from its owner would. */
void hv_evtchn_send(struct hv_domain *dom, evtchn_port_t port);
/* The connection goes away: close its ports, unmap its pages. */
void hv_evtchn_close(struct hv_conn *conn);

/* hv_grant.c */
int hv_grant_share(struct hv_conn *conn, const struct hv_req *req,
		   int memfd, uint32_t *refs, struct hv_reply *reply);
int hv_grant_unshare(struct hv_conn *conn, const struct hv_req *req,
		     const uint32_t *refs);
int hv_grant_map(struct hv_conn *conn, const struct hv_req *req,
		 const struct hv_grant_ref *refs, struct hv_map_page *pages,
		 struct hv_reply *reply);
int hv_grant_unmap_notify(struct hv_conn *conn, uint64_t id);
/* The connection goes away: fire its notify records, revoke its grants. */
void hv_grant_close(struct hv_conn *conn);
void hv_grant_table_free(struct hv_domain *dom);

#endif
