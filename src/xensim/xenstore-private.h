/* SPDX-License-Identifier: MIT */
/*
 * The XenStore server's own objects, shared by its files:
 *
 *   xenstore.c        server, domains, connections, wire I/O, dispatch
 *   xenstore-ops.c    the requests that touch the tree (READ, WRITE, ...)
 *   xenstore-watch.c  WATCH/UNWATCH and firing events
 *   xenstore-txn.c    transactions
 *   xenstore-tree.c   the tree itself
 *
 * Ownership: the server owns its domains, a domain its connections, a
 * connection its watches and transactions, a transaction its snapshot.
 */
#ifndef XENSIM_XENSTORE_PRIVATE_H
#define XENSIM_XENSTORE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <xenstore_lib.h>
#include <xen/io/xs_wire.h>

#include "hub.h"
#include "xenstore-tree.h"

/* Quotas for unprivileged domains: xenstored 4.17's defaults. */
#define XS_QUOTA_NODES_PER_DOMAIN	1000	/* ENOSPC */
#define XS_QUOTA_NODE_SIZE		2048	/* value + child names, ENOSPC */
#define XS_QUOTA_WATCHES_PER_DOMAIN	128	/* E2BIG */
#define XS_QUOTA_TRANSACTIONS_PER_DOMAIN 10	/* ENOSPC */
#define XS_QUOTA_PERMS_PER_NODE		5	/* ENOSPC */
/* Nodes one transaction accesses, and changes it logs (XSA-326: C
 * xenstored limits the nodes, oxenstored the requests, both to 1024);
 * beyond, its requests get ENOSPC until it ends. What it remembers for
 * the commit then stays bounded. */
#define XS_QUOTA_TRANSACTION_NODES	1024	/* ENOSPC */
/* Even dom0 gets ENOSPC beyond this many entries in one SET_PERMS. */
#define XS_MAX_PERMS			64

/* A connection whose peer does not read what we send it is closed once
 * this much is queued; reading from it pauses above XS_OUT_PAUSE. */
#define XS_OUT_MAX		(1024 * 1024)
#define XS_OUT_PAUSE		(64 * 1024)

#define XS_SPECIAL_INTRODUCE	"@introduceDomain"
#define XS_SPECIAL_RELEASE	"@releaseDomain"

struct xs_watch {
	struct xs_watch *next;
	char *path;		/* absolute, or a special @name */
	char *token;
	bool relative;		/* events are reported relative to home */
};

struct xs_access {
	char *path;
	uint64_t generation;	/* 0: the node did not exist */
};

struct xs_logged_op {
	uint32_t type;
	uint32_t len;
	char *payload;
};

struct xs_txn {
	struct xs_txn *next;
	uint32_t id;
	struct xs_tree *snapshot;
	/* Every node whose state decided an answer, as first seen. */
	struct xs_access *accessed;
	unsigned int naccessed;
	unsigned int accessed_cap;
	/* The changes, replayed on the store at commit. */
	struct xs_logged_op *ops;
	unsigned int nops;
	unsigned int ops_cap;
	bool failed;		/* out of memory on the way: cannot commit */
	/* Nodes the domain owned in the snapshot at the start: what the
	 * transaction adds is checked against the quota again at commit. */
	uint32_t owned_at_start;
};

struct xs_domain;

struct xs_conn {
	struct xs_conn *next;
	struct xs_domain *domain;
	int fd;
	bool closed;		/* fd gone; freed by xs_reap() */
	bool paused;		/* not reading until output drains */
	uint32_t events;	/* what the hub polls it for */
	unsigned char in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX];
	size_t in_len;
	unsigned char *out;
	size_t out_len;
	size_t out_cap;
	struct xs_watch *watches;
	struct xs_txn *txns;
	uint32_t next_txn_id;
};

struct xs_domain {
	struct xs_domain *next;
	struct xs_server *xs;
	uint32_t domid;
	int listen_fd;
	char *sock_path;
	char home[32];		/* /local/domain/N */
	struct xs_conn *conns;
	unsigned int nwatches;
	unsigned int ntxns;
};

struct xs_server {
	struct hub *hub;
	uint64_t generation;
	struct xs_tree *tree;
	struct xs_domain *domains;
	bool need_reap;
	/* Who may see @introduceDomain / @releaseDomain (SET_PERMS). */
	struct xs_permissions special_perms[2][XS_MAX_PERMS];
	unsigned int special_nperms[2];
};

/* One request, parsed. payload is nul-terminated one past len. */
struct xs_request {
	struct xsd_sockmsg hdr;
	const char *payload;
};

/* Where a request's tree operations apply. */
struct xs_op_ctx {
	struct xs_server *xs;
	struct xs_tree *tree;
	struct xs_domain *domain;	/* whose request (domid, home) */
	struct xs_txn *txn;		/* NULL: the live store */
	bool replay;			/* a commit replaying: no quotas */
};

/* A reply body under construction. */
struct xs_reply {
	char data[XENSTORE_PAYLOAD_MAX];
	uint32_t len;
};

/* xenstore.c */
void xs_conn_send(struct xs_conn *conn, uint32_t type, uint32_t req_id,
		  uint32_t tx_id, const void *data, uint32_t len);
void xs_conn_fail(struct xs_conn *conn, const char *why);
/* The absolute path for a request's path, or NULL (ENOMEM). Relative
 * paths resolve below the domain's home; the caller frees. */
char *xs_canonicalize(const struct xs_domain *domain, const char *path);
int xs_reply_add(struct xs_reply *reply, const void *data, size_t len);

/* xenstore-ops.c: each returns 0 (reply filled) or an errno. */
int xs_op_read(struct xs_op_ctx *ctx, const struct xs_request *req,
	       struct xs_reply *reply);
int xs_op_write(struct xs_op_ctx *ctx, const struct xs_request *req,
		struct xs_reply *reply);
int xs_op_mkdir(struct xs_op_ctx *ctx, const struct xs_request *req,
		struct xs_reply *reply);
int xs_op_rm(struct xs_op_ctx *ctx, const struct xs_request *req,
	     struct xs_reply *reply);
int xs_op_directory(struct xs_op_ctx *ctx, const struct xs_request *req,
		    struct xs_reply *reply);
int xs_op_directory_part(struct xs_op_ctx *ctx, const struct xs_request *req,
			 struct xs_reply *reply);
int xs_op_get_perms(struct xs_op_ctx *ctx, const struct xs_request *req,
		    struct xs_reply *reply);
int xs_op_set_perms(struct xs_op_ctx *ctx, const struct xs_request *req,
		    struct xs_reply *reply);
/* Exactly one nul-terminated string fills the payload? */
const char *xs_one_arg(const struct xs_request *req);

/* xenstore-watch.c */
int xs_watch_add(struct xs_conn *conn, const struct xs_request *req);
int xs_watch_remove(struct xs_conn *conn, const struct xs_request *req);
void xs_watch_free_all(struct xs_conn *conn);
/* A node at path changed (node: as it is now, or about to be removed;
 * old_perms: its permissions before a SET_PERMS). exact: only watches on
 * path itself fire (the descendants of an RM's root). */
void xs_fire(struct xs_server *xs, const char *path,
	     const struct xs_node *node, const struct xs_permissions *old_perms,
	     unsigned int old_nperms, bool exact);
void xs_fire_special(struct xs_server *xs, const char *special);
int xs_set_special_perms(struct xs_op_ctx *ctx, const char *special,
			 const struct xs_permissions *perms,
			 unsigned int nperms);

/* xenstore-txn.c */
struct xs_txn *xs_txn_find(struct xs_conn *conn, uint32_t id);
int xs_txn_start(struct xs_conn *conn, const struct xs_request *req,
		 struct xs_reply *reply);
int xs_txn_end(struct xs_conn *conn, struct xs_txn *txn,
	       const struct xs_request *req);
void xs_txn_free_all(struct xs_conn *conn);
/* Remember the state of path as the transaction first sees it. */
void xs_txn_note(struct xs_op_ctx *ctx, const char *path);
/* A guest's transaction that reached XS_QUOTA_TRANSACTION_NODES. */
bool xs_txn_over_quota(const struct xs_conn *conn, const struct xs_txn *txn);
/* Remember a change for the commit; 0 or ENOMEM. */
int xs_txn_log(struct xs_op_ctx *ctx, const struct xs_request *req);

#endif
