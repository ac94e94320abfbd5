/* SPDX-License-Identifier: MIT */
/*
 * Transactions. TRANSACTION_START copies the store; the transaction's
 * requests read and change that snapshot, and remember (a) the generation
 * of every node whose state decided an answer, as first seen, and (b) the
 * changing requests themselves. TRANSACTION_END "T" fails with EAGAIN if
 * any remembered node changed in the store meanwhile (xenstored 4.17's
 * rule: only conflicting changes count), else replays the changes on the
 * store -- which, with every node they depend on unchanged, gives the same
 * results, and fires the watches then, as xenstored does at commit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore-private.h"

struct xs_txn *xs_txn_find(struct xs_conn *conn, uint32_t id)
{
	for (struct xs_txn *txn = conn->txns; txn; txn = txn->next)
		if (txn->id == id)
			return txn;
	return NULL;
}

static void txn_free(struct xs_txn *txn)
{
	for (unsigned int i = 0; i < txn->naccessed; i++)
		free(txn->accessed[i].path);
	free(txn->accessed);
	for (unsigned int i = 0; i < txn->nops; i++)
		free(txn->ops[i].payload);
	free(txn->ops);
	xs_tree_free(txn->snapshot);
	free(txn);
}

static void txn_unlink(struct xs_conn *conn, struct xs_txn *txn)
{
	for (struct xs_txn **link = &conn->txns; *link; link = &(*link)->next) {
		if (*link == txn) {
			*link = txn->next;
			conn->domain->ntxns--;
			return;
		}
	}
}

void xs_txn_free_all(struct xs_conn *conn)
{
	while (conn->txns) {
		struct xs_txn *txn = conn->txns;

		txn_unlink(conn, txn);
		txn_free(txn);
	}
}

int xs_txn_start(struct xs_conn *conn, const struct xs_request *req,
		 struct xs_reply *reply)
{
	struct xs_domain *domain = conn->domain;
	struct xs_txn *txn;
	char id[16];

	if (domain->domid != 0 &&
	    domain->ntxns >= XS_QUOTA_TRANSACTIONS_PER_DOMAIN)
		return ENOSPC;
	txn = calloc(1, sizeof(*txn));
	if (!txn)
		return ENOMEM;
	txn->snapshot = xs_tree_clone(domain->xs->tree);
	if (!txn->snapshot) {
		free(txn);
		return ENOMEM;
	}
	txn->owned_at_start = xs_tree_owned(txn->snapshot, domain->domid);
	/* 0 is "no transaction"; skip ids still in use after a wrap. */
	do {
		txn->id = ++conn->next_txn_id;
	} while (txn->id == 0 || xs_txn_find(conn, txn->id));
	txn->next = conn->txns;
	conn->txns = txn;
	domain->ntxns++;
	snprintf(id, sizeof(id), "%u", txn->id);
	return xs_reply_add(reply, id, strlen(id) + 1);
}

bool xs_txn_over_quota(const struct xs_conn *conn, const struct xs_txn *txn)
{
	return conn->domain->domid != 0 &&
	       (txn->naccessed >= XS_QUOTA_TRANSACTION_NODES ||
		txn->nops >= XS_QUOTA_TRANSACTION_NODES);
}

void xs_txn_note(struct xs_op_ctx *ctx, const char *path)
{
	struct xs_txn *txn = ctx->txn;
	const struct xs_node *node;

	if (!txn)
		return;
	for (unsigned int i = 0; i < txn->naccessed; i++)
		if (!strcmp(txn->accessed[i].path, path))
			return;
	if (txn->naccessed == txn->accessed_cap) {
		unsigned int cap = txn->accessed_cap ? txn->accessed_cap * 2 : 8;
		struct xs_access *grown = realloc(txn->accessed,
						  cap * sizeof(*grown));
		if (!grown)
			goto fail;
		txn->accessed = grown;
		txn->accessed_cap = cap;
	}
	node = xs_tree_lookup(txn->snapshot, path);
	txn->accessed[txn->naccessed].path = strdup(path);
	if (!txn->accessed[txn->naccessed].path)
		goto fail;
	txn->accessed[txn->naccessed++].generation = node ? node->generation : 0;
	return;
fail:
	txn->failed = true;
}

int xs_txn_log(struct xs_op_ctx *ctx, const struct xs_request *req)
{
	struct xs_txn *txn = ctx->txn;
	struct xs_logged_op *op;

	if (txn->nops == txn->ops_cap) {
		unsigned int cap = txn->ops_cap ? txn->ops_cap * 2 : 8;
		struct xs_logged_op *grown = realloc(txn->ops,
						     cap * sizeof(*grown));
		if (!grown)
			goto fail;
		txn->ops = grown;
		txn->ops_cap = cap;
	}
	op = &txn->ops[txn->nops];
	op->type = req->hdr.type;
	op->len = req->hdr.len;
	op->payload = malloc(req->hdr.len + 1);
	if (!op->payload)
		goto fail;
	memcpy(op->payload, req->payload, req->hdr.len);
	op->payload[req->hdr.len] = '\0';
	txn->nops++;
	return 0;
fail:
	txn->failed = true;
	return ENOMEM;
}

static bool txn_conflicts(const struct xs_txn *txn, const struct xs_tree *store)
{
	for (unsigned int i = 0; i < txn->naccessed; i++) {
		const struct xs_node *node = xs_tree_lookup(store,
							    txn->accessed[i].path);
		uint64_t now = node ? node->generation : 0;

		if (now != txn->accessed[i].generation)
			return true;
	}
	return false;
}

static int replay(struct xs_conn *conn, const struct xs_logged_op *op)
{
	struct xs_op_ctx ctx = {
		.xs = conn->domain->xs,
		.tree = conn->domain->xs->tree,
		.domain = conn->domain,
		.replay = true,
	};
	struct xs_request req = {
		.hdr = { .type = op->type, .len = op->len },
		.payload = op->payload,
	};
	struct xs_reply *reply = malloc(sizeof(*reply));
	int err;

	if (!reply)
		return ENOMEM;
	reply->len = 0;
	switch (op->type) {
	case XS_WRITE: err = xs_op_write(&ctx, &req, reply); break;
	case XS_MKDIR: err = xs_op_mkdir(&ctx, &req, reply); break;
	case XS_RM: err = xs_op_rm(&ctx, &req, reply); break;
	case XS_SET_PERMS: err = xs_op_set_perms(&ctx, &req, reply); break;
	default: err = EINVAL; break;
	}
	free(reply);
	return err;
}

/*
 * Each transaction checked the nodes quota against its own snapshot, so
 * several of them could each add up to the quota: as xenstored's
 * transaction_fix_domains(), a guest's commit that adds nodes must leave
 * it within the quota in the store itself.
 */
static bool txn_exceeds_quota(const struct xs_conn *conn, const struct xs_txn *txn,
			      const struct xs_tree *store)
{
	uint32_t domid = conn->domain->domid;
	uint32_t now = xs_tree_owned(txn->snapshot, domid);

	if (domid == 0 || now <= txn->owned_at_start)
		return false;
	return xs_tree_owned(store, domid) + (now - txn->owned_at_start) >
	       XS_QUOTA_NODES_PER_DOMAIN;
}

static int txn_commit(struct xs_conn *conn, struct xs_txn *txn)
{
	struct xs_server *xs = conn->domain->xs;

	if (txn->failed)
		return ENOMEM;
	if (txn_conflicts(txn, xs->tree))
		return EAGAIN;
	if (txn_exceeds_quota(conn, txn, xs->tree))
		return ENOSPC;
	for (unsigned int i = 0; i < txn->nops; i++) {
		int err = replay(conn, &txn->ops[i]);

		/* Cannot happen short of ENOMEM: every node the change
		 * depended on is as the transaction saw it. */
		if (err)
			hub_log(xs->hub, "xenstore: dom%u: transaction %u: "
				"replaying change %u failed (%s); the commit "
				"is incomplete", conn->domain->domid, txn->id,
				i, strerror(err));
	}
	return 0;
}

int xs_txn_end(struct xs_conn *conn, struct xs_txn *txn,
	       const struct xs_request *req)
{
	const char *arg = xs_one_arg(req);
	int err = 0;

	if (!arg || (strcmp(arg, "T") && strcmp(arg, "F")))
		return EINVAL;
	if (!txn)
		return ENOENT;
	txn_unlink(conn, txn);
	if (!strcmp(arg, "T"))
		err = txn_commit(conn, txn);
	txn_free(txn);
	return err;
}
