/* SPDX-License-Identifier: MIT */
/*
 * The private wire protocol between the shim libraries (libxenevtchn.so.1,
 * libxengnttab.so.1) and the hub's hypervisor part.
 *
 * One SOCK_SEQPACKET connection per library handle, to
 * DIR/dom<N>/hypervisor.sock: the socket names the domain, nothing in a
 * message can change it. Strictly request/response: the client sends one
 * struct hv_req (plus a tail and maybe file descriptors), the hub answers
 * with one struct hv_rsp (plus a tail and maybe file descriptors). The hub
 * never sends anything unasked, so a handle needs no reader thread.
 *
 * Only binding, unbinding, sharing and mapping go through the hub. A notify
 * never does: see hv_shared.h.
 */
#ifndef XENSIM_HV_PROTO_H
#define XENSIM_HV_PROTO_H

#include <stdint.h>
#include <xen/grant_table.h>	/* GNTTAB_NR_RESERVED_ENTRIES */
#include <xen/xen.h>		/* DOMID_SELF, DOMID_FIRST_RESERVED */

/* Xen's page, the unit of a grant: XC_PAGE_SIZE of <xenctrl.h>, which
 * cannot be included in C11 (it needs GNU extensions). */
#define HV_PAGE_SIZE	4096u

enum hv_op {
	/* Open this connection's event channel handle.
	 * rsp fds: [eventfd, pending memfd, control memfd] (hv_shared.h) */
	HV_OP_EVTCHN_OPEN = 1,
	/* req.domid = remote domain. rsp.port = new local port */
	HV_OP_EVTCHN_BIND_UNBOUND,
	/* req.domid, req.port = remote port. rsp.port = new local port */
	HV_OP_EVTCHN_BIND_INTERDOMAIN,
	/* req.port */
	HV_OP_EVTCHN_UNBIND,
	/* req.port: who is at the other end now. rsp.serial = binding serial
	 * (0: not connected, no fds), rsp.port = remote port, rsp.id = the
	 * remote handle's id. rsp fds: [eventfd, pending memfd,
	 * read-only control memfd] of the remote handle */
	HV_OP_EVTCHN_PEER,
	/* req.domid */
	HV_OP_EVTCHN_RESTRICT,
	/* req.domid = grantee, req.count pages, req.flags, notify fields.
	 * req fds: [sealed memfd of count pages]. rsp tail: uint32_t refs[],
	 * rsp.id = notify record (0: none) */
	HV_OP_GNT_SHARE,
	/* req tail: uint32_t refs[req.count]; req.id = notify record to fire */
	HV_OP_GNT_UNSHARE,
	/* req tail: struct hv_grant_ref[req.count], req.flags, notify fields.
	 * rsp tail: struct hv_map_page[count]; rsp fds: the memfds they name;
	 * rsp.id = notify record (0: none) */
	HV_OP_GNT_MAP,
	/* req.id: the mapping's notify record; fire it and forget it */
	HV_OP_GNT_UNMAP_NOTIFY,
};

/* req.flags */
#define HV_FLAG_WRITABLE	(1u << 0)
#define HV_FLAG_NOTIFY_BYTE	(1u << 1)	/* clear byte at notify_offset */
#define HV_FLAG_NOTIFY_PORT	(1u << 2)	/* notify req.port */

/* Limits of one message. The shims split bigger maps into several. */
#define HV_MAX_SHARE_PAGES	16384	/* 64 MiB in one share */
#define HV_MAX_MAP_PAGES	128	/* fds per message stay < SCM_MAX_FD */

struct hv_req {
	uint32_t op;
	uint32_t domid;
	uint32_t port;
	uint32_t count;
	uint32_t flags;
	uint32_t notify_offset;
	uint64_t id;
};

struct hv_rsp {
	int32_t result;		/* 0 or -errno */
	uint32_t port;
	uint32_t count;
	uint32_t serial;
	uint64_t id;
};

struct hv_grant_ref {
	uint32_t domid;
	uint32_t ref;
};

struct hv_map_page {
	uint32_t fd_index;	/* into the response's fds */
	uint32_t page;		/* page number inside that memfd */
};

/* The longest tail: a share's refs (a map's are far shorter). */
#define HV_MAX_TAIL	(HV_MAX_SHARE_PAGES * sizeof(uint32_t))
#define HV_MAX_MSG	(sizeof(struct hv_req) + HV_MAX_TAIL)
#define HV_MAX_FDS	HV_MAX_MAP_PAGES

#endif
