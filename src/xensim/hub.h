/* SPDX-License-Identifier: MIT */
/*
 * The xensim hub: one process that plays the hypervisor and xenstored for
 * every simulated domain. Its parts share one epoll loop:
 *
 *   xenstore.c   the XenStore server (xs_wire.h), one socket per domain:
 *                DIR/dom<N>/xenstored.sock
 *   hypervisor.c event channels and grant tables for the shim libraries,
 *                one socket per domain: DIR/dom<N>/hypervisor.sock
 *   hub.c        the loop, domain lifetimes, DIR/control.sock, main of
 *                `xensim start`
 *
 * A connection's domain is the socket it came in on; nothing a client says
 * can change it. All state lives in the structs below, owned by main().
 */
#ifndef XENSIM_HUB_H
#define XENSIM_HUB_H

#include <stdbool.h>
#include <stdint.h>

#define XENSIM_MAX_DOMID	32752	/* DOMID_FIRST_RESERVED */

struct hub;

typedef void (*hub_fd_func)(void *data, int fd, uint32_t events);

/* Watch fd for EPOLL* events; func runs on the loop. 0 or -errno. */
int hub_add_fd(struct hub *hub, int fd, uint32_t events, hub_fd_func func,
	       void *data);
int hub_mod_fd(struct hub *hub, int fd, uint32_t events);
void hub_remove_fd(struct hub *hub, int fd);

/* DIR, and the directory of one domain's sockets (DIR/dom<N>). */
const char *hub_dir(const struct hub *hub);

/* Log one line, prefixed with the part ("xenstore: ..."), to stderr. */
void hub_log(const struct hub *hub, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- the XenStore part ---- */
struct xs_server;
struct xs_server *xs_server_new(struct hub *hub);
void xs_server_free(struct xs_server *xs);
/* Create domain N: its socket and /local/domain/N (domid, name, perms),
 * then fire @introduceDomain. Idempotent. 0 or -errno. */
int xs_server_introduce(struct xs_server *xs, uint32_t domid);
/* Domain death: close its connections, fire @releaseDomain. */
void xs_server_release(struct xs_server *xs, uint32_t domid);

/* ---- the event channel + grant part ---- */
struct hv_server;
struct hv_server *hv_server_new(struct hub *hub);
void hv_server_free(struct hv_server *hv);
/* Create domain N's hypervisor socket. Idempotent. 0 or -errno. */
int hv_server_introduce(struct hv_server *hv, uint32_t domid);
/* Domain death: close its event channels (peers see them closed), revoke
 * nothing that others have mapped (Xen keeps mapped pages alive). */
void hv_server_release(struct hv_server *hv, uint32_t domid);

#endif
