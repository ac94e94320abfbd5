/* SPDX-License-Identifier: MIT */
/*
 * The requests that read or change the tree, with xenstored 4.17's
 * permission rules and quotas. They work on ctx->tree, which is the live
 * store or a transaction's snapshot; watches fire only on the live store
 * (a transaction's changes fire when its commit replays them).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore-private.h"

static uint32_t ctx_domid(const struct xs_op_ctx *ctx)
{
	return ctx->domain->domid;
}

static bool ctx_quota_applies(const struct xs_op_ctx *ctx)
{
	return ctx_domid(ctx) != 0 && !ctx->replay;
}

const char *xs_one_arg(const struct xs_request *req)
{
	if (req->hdr.len == 0 ||
	    memchr(req->payload, '\0', req->hdr.len) !=
	    req->payload + req->hdr.len - 1)
		return NULL;
	return req->payload;
}

/* Number of nul-terminated strings; 0 if the payload does not end with
 * a nul (then its last part is not a string). */
static unsigned int count_strings(const struct xs_request *req)
{
	unsigned int n = 0;

	if (req->hdr.len == 0 || req->payload[req->hdr.len - 1] != '\0')
		return 0;
	for (uint32_t i = 0; i < req->hdr.len; i++)
		n += req->payload[i] == '\0';
	return n;
}

/*
 * xenstored's get_node(): EINVAL for a bad name, EACCES without the
 * permission, ENOENT for a missing node -- unless the nearest existing
 * parent does not grant the permission either, then EACCES, so that a
 * missing node tells nothing about trees one cannot see.
 */
static int get_node(struct xs_op_ctx *ctx, const char *path, unsigned int perm,
		    struct xs_node **out)
{
	struct xs_node *node, *parent;
	char parent_path[XENSTORE_ABS_PATH_MAX + 2];

	*out = NULL;
	if (!xs_path_is_valid(path))
		return EINVAL;
	xs_txn_note(ctx, path);
	node = xs_tree_lookup(ctx->tree, path);
	if (node) {
		if ((xs_perm_for(node->perms, node->nperms, ctx_domid(ctx)) &
		     perm) != perm)
			return EACCES;
		*out = node;
		return 0;
	}
	parent = xs_tree_nearest_parent(ctx->tree, path);
	xs_node_path(parent, parent_path, sizeof(parent_path));
	xs_txn_note(ctx, parent_path);
	if (xs_perm_for(parent->perms, parent->nperms, ctx_domid(ctx)) & perm)
		return ENOENT;
	return EACCES;
}

/* The node a one-path request names (relative to the caller's home), if
 * the caller may access it as perm says. */
static int get_arg_node(struct xs_op_ctx *ctx, const struct xs_request *req,
			unsigned int perm, struct xs_node **out)
{
	const char *arg = xs_one_arg(req);
	char *path;
	int err;

	*out = NULL;
	if (!arg)
		return EINVAL;
	path = xs_canonicalize(ctx->domain, arg);
	if (!path)
		return ENOMEM;
	err = get_node(ctx, path, perm, out);
	free(path);
	return err;
}

static unsigned int node_depth(const struct xs_node *node)
{
	unsigned int depth = 0;

	for (; node->parent; node = node->parent)
		depth++;
	return depth;
}

static unsigned int path_depth(const char *path)
{
	unsigned int depth = 0;

	if (strcmp(path, "/") == 0)
		return 0;
	for (; *path; path++)
		depth += *path == '/';
	return depth;
}

/* The name of the first missing component of path below parent. */
static size_t first_missing_len(const char *path, unsigned int parent_depth,
				const char **start)
{
	const char *p = path;

	for (unsigned int i = 0; i <= parent_depth; i++)
		p = strchr(p, '/') + 1;
	*start = p;
	return strcspn(p, "/");
}

/*
 * Quotas for creating path (missing) and storing len bytes in it: the
 * nodes a domain owns, and the size of the new node and of the existing
 * parent whose child list grows.
 */
static int check_create_quota(struct xs_op_ctx *ctx, const char *path,
			      unsigned int len)
{
	struct xs_node *parent = xs_tree_nearest_parent(ctx->tree, path);
	unsigned int parent_depth = node_depth(parent);
	unsigned int missing = path_depth(path) - parent_depth;
	const char *name;
	size_t namelen = first_missing_len(path, parent_depth, &name);

	if (!ctx_quota_applies(ctx))
		return 0;
	if (xs_tree_owned(ctx->tree, ctx_domid(ctx)) + missing >
	    XS_QUOTA_NODES_PER_DOMAIN)
		return ENOSPC;
	if (len > XS_QUOTA_NODE_SIZE ||
	    parent->len + parent->children_len + namelen + 1 >
	    XS_QUOTA_NODE_SIZE)
		return ENOSPC;
	return 0;
}

/* Mark the transaction's view of the nodes this creation touches: the
 * missing ones (absent) and the parent whose child list changes. */
static void note_creation(struct xs_op_ctx *ctx, const char *path)
{
	char buf[XENSTORE_ABS_PATH_MAX + 2];
	char *slash;

	if (!ctx->txn)
		return;
	snprintf(buf, sizeof(buf), "%s", path);
	while ((slash = strrchr(buf, '/')) && slash != buf) {
		*slash = '\0';
		xs_txn_note(ctx, buf);
		if (xs_tree_lookup(ctx->tree, buf))
			break;
	}
}

static int reply_ok(struct xs_reply *reply)
{
	return xs_reply_add(reply, "OK", sizeof("OK"));
}

static void fire_changed(struct xs_op_ctx *ctx, const char *path,
			 const struct xs_node *node)
{
	if (!ctx->txn)
		xs_fire(ctx->xs, path, node, NULL, 0, false);
}

/* A change went into a transaction's snapshot: remember it for the
 * commit. If that fails the transaction cannot commit (ENOMEM then). */
static void log_change(struct xs_op_ctx *ctx, const struct xs_request *req)
{
	if (ctx->txn)
		xs_txn_log(ctx, req);
}

int xs_op_read(struct xs_op_ctx *ctx, const struct xs_request *req,
	       struct xs_reply *reply)
{
	struct xs_node *node;
	int err = get_arg_node(ctx, req, XS_PERM_READ, &node);

	if (err)
		return err;
	return xs_reply_add(reply, node->value, node->len);
}

/* WRITE and MKDIR: create path if missing; store value if value != NULL. */
static int write_or_mkdir(struct xs_op_ctx *ctx, const struct xs_request *req,
			  const char *arg, const char *value, unsigned int len,
			  struct xs_reply *reply)
{
	struct xs_node *node;
	char *path = xs_canonicalize(ctx->domain, arg);
	int err;

	if (!path)
		return ENOMEM;
	err = get_node(ctx, path, XS_PERM_WRITE, &node);
	if (err == ENOENT) {
		note_creation(ctx, path);
		err = check_create_quota(ctx, path, value ? len : 0);
		if (!err) {
			node = xs_tree_create(ctx->tree, path,
					      ctx_domid(ctx) != 0,
					      ctx_domid(ctx));
			err = node ? 0 : ENOMEM;
		}
		if (!err && !value)
			fire_changed(ctx, path, node);
	} else if (!err && value && ctx_quota_applies(ctx) &&
		   len + node->children_len > XS_QUOTA_NODE_SIZE) {
		err = ENOSPC;
	}
	if (!err && value) {
		err = xs_node_set_value(ctx->tree, node, value, len);
		if (!err)
			fire_changed(ctx, path, node);
	}
	free(path);
	if (err)
		return err;
	log_change(ctx, req);
	return reply_ok(reply);
}

int xs_op_write(struct xs_op_ctx *ctx, const struct xs_request *req,
		struct xs_reply *reply)
{
	size_t pathlen = strnlen(req->payload, req->hdr.len);

	if (pathlen == req->hdr.len)
		return EINVAL;	/* no nul: there is no path */
	return write_or_mkdir(ctx, req, req->payload,
			      req->payload + pathlen + 1,
			      req->hdr.len - pathlen - 1, reply);
}

int xs_op_mkdir(struct xs_op_ctx *ctx, const struct xs_request *req,
		struct xs_reply *reply)
{
	const char *arg = xs_one_arg(req);

	if (!arg)
		return EINVAL;
	return write_or_mkdir(ctx, req, arg, NULL, 0, reply);
}

/* Transactions must see a later change anywhere in what they delete. */
static void note_subtree(struct xs_op_ctx *ctx, const struct xs_node *node,
			 char *path, size_t pathlen)
{
	xs_txn_note(ctx, path);
	for (unsigned int i = 0; i < node->nchildren; i++) {
		const struct xs_node *child = node->children[i];
		size_t len = pathlen + 1 + strlen(child->name);

		if (len > XENSTORE_ABS_PATH_MAX)
			continue;
		snprintf(path + pathlen, XENSTORE_ABS_PATH_MAX + 2 - pathlen,
			 "/%s", child->name);
		note_subtree(ctx, child, path, len);
		path[pathlen] = '\0';
	}
}

/* Children first, then the node, as xenstored walks an RM: the root of
 * the removal fires watches on it and above, descendants only watches
 * set exactly on them. */
static void fire_removed(struct xs_op_ctx *ctx, const struct xs_node *node,
			 char *path, size_t pathlen, bool is_root)
{
	for (unsigned int i = 0; i < node->nchildren; i++) {
		const struct xs_node *child = node->children[i];
		size_t len = pathlen + 1 + strlen(child->name);

		if (len > XENSTORE_ABS_PATH_MAX)
			continue;
		snprintf(path + pathlen, XENSTORE_ABS_PATH_MAX + 2 - pathlen,
			 "/%s", child->name);
		fire_removed(ctx, child, path, len, false);
		path[pathlen] = '\0';
	}
	xs_fire(ctx->xs, path, node, NULL, 0, !is_root);
}

static int parent_exists(struct xs_op_ctx *ctx, const char *path)
{
	char parent[XENSTORE_ABS_PATH_MAX + 2];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	xs_txn_note(ctx, parent);
	return xs_tree_lookup(ctx->tree, parent) != NULL;
}

int xs_op_rm(struct xs_op_ctx *ctx, const struct xs_request *req,
	     struct xs_reply *reply)
{
	const char *arg = xs_one_arg(req);
	char path[XENSTORE_ABS_PATH_MAX + 2];
	struct xs_node *node;
	char *canonical;
	int err;

	if (!arg)
		return EINVAL;
	canonical = xs_canonicalize(ctx->domain, arg);
	if (!canonical)
		return ENOMEM;
	err = get_node(ctx, canonical, XS_PERM_WRITE, &node);
	if (!err || err == ENOENT)
		snprintf(path, sizeof(path), "%s", canonical);
	free(canonical);
	/* Removing what is not there is fine, if its parent is there. */
	if (err == ENOENT)
		return parent_exists(ctx, path) ? reply_ok(reply) : ENOENT;
	if (err)
		return err;
	if (!node->parent)
		return EINVAL;	/* never "/" */
	parent_exists(ctx, path);
	if (ctx->txn)
		note_subtree(ctx, node, path, strlen(path));
	else
		fire_removed(ctx, node, path, strlen(path), true);
	xs_tree_remove(ctx->tree, node);
	log_change(ctx, req);
	return reply_ok(reply);
}

int xs_op_directory(struct xs_op_ctx *ctx, const struct xs_request *req,
		    struct xs_reply *reply)
{
	struct xs_node *node;
	int err = get_arg_node(ctx, req, XS_PERM_READ, &node);

	if (err)
		return err;
	/* Too long for one reply: libxenstore then asks DIRECTORY_PART. */
	if (node->children_len > sizeof(reply->data))
		return E2BIG;
	for (unsigned int i = 0; i < node->nchildren; i++) {
		const char *name = node->children[i]->name;

		err = xs_reply_add(reply, name, strlen(name) + 1);
		if (err)
			return err;
	}
	return 0;
}

static char *children_list(const struct xs_node *node)
{
	char *list = malloc(node->children_len + 1);
	size_t pos = 0;

	if (!list)
		return NULL;
	for (unsigned int i = 0; i < node->nchildren; i++) {
		size_t len = strlen(node->children[i]->name) + 1;

		memcpy(list + pos, node->children[i]->name, len);
		pos += len;
	}
	return list;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && !*end && *out <= max;
}

/*
 * <gencnt>|<child>|*, the children from byte offset <offset> of the whole
 * list, as many as fit; an extra empty string marks the end of the list
 * (libxenstore stops when the reply ends in two nuls).
 */
int xs_op_directory_part(struct xs_op_ctx *ctx, const struct xs_request *req,
			 struct xs_reply *reply)
{
	struct xs_node *node;
	unsigned long off;
	char gen[24], *path, *list;
	size_t genlen, len = 0, maxlen;
	int err;

	if (count_strings(req) != 2)
		return EINVAL;
	if (!parse_uint(req->payload + strlen(req->payload) + 1, UINT32_MAX,
			&off))
		return EINVAL;
	path = xs_canonicalize(ctx->domain, req->payload);
	if (!path)
		return ENOMEM;
	err = get_node(ctx, path, XS_PERM_READ, &node);
	free(path);
	if (err)
		return err;

	genlen = snprintf(gen, sizeof(gen), "%" PRIu64, node->generation) + 1;
	err = xs_reply_add(reply, gen, genlen);
	if (err || off >= node->children_len)
		return err ? err : xs_reply_add(reply, "", 1);
	list = children_list(node);
	if (!list)
		return ENOMEM;
	maxlen = XENSTORE_PAYLOAD_MAX - genlen - 1;
	while (off + len < node->children_len) {
		size_t namelen = strlen(list + off + len) + 1;

		if (len + namelen > maxlen)
			break;
		len += namelen;
	}
	err = xs_reply_add(reply, list + off, len);
	if (!err && off + len == node->children_len)
		err = xs_reply_add(reply, "", 1);
	free(list);
	return err;
}

int xs_op_get_perms(struct xs_op_ctx *ctx, const struct xs_request *req,
		    struct xs_reply *reply)
{
	struct xs_node *node;
	int err = get_arg_node(ctx, req, XS_PERM_READ, &node);

	for (unsigned int i = 0; !err && i < node->nperms; i++) {
		char buf[16];
		int len = xs_perm_format(&node->perms[i], buf, sizeof(buf));

		err = xs_reply_add(reply, buf, len + 1);
	}
	return err;
}

/* <path>|<perm>|+ : the permissions, parsed strictly. */
static int parse_perms(const struct xs_request *req,
		       struct xs_permissions *perms, unsigned int *nperms)
{
	unsigned int n = count_strings(req);
	const char *s = req->payload + strlen(req->payload) + 1;

	if (n < 2)
		return EINVAL;
	if (n - 1 > XS_MAX_PERMS)
		return ENOSPC;
	for (unsigned int i = 0; i < n - 1; i++) {
		if (!xs_perm_parse(s, &perms[i]))
			return EINVAL;
		s += strlen(s) + 1;
	}
	*nperms = n - 1;
	return 0;
}

int xs_op_set_perms(struct xs_op_ctx *ctx, const struct xs_request *req,
		    struct xs_reply *reply)
{
	struct xs_permissions perms[XS_MAX_PERMS], *old = NULL;
	unsigned int nperms, nold;
	struct xs_node *node;
	char *path;
	int err = parse_perms(req, perms, &nperms);

	if (err)
		return err;
	if (ctx_quota_applies(ctx) && nperms > XS_QUOTA_PERMS_PER_NODE)
		return ENOSPC;
	if (req->payload[0] == '@') {
		err = xs_set_special_perms(ctx, req->payload, perms, nperms);
		return err ? err : reply_ok(reply);
	}
	path = xs_canonicalize(ctx->domain, req->payload);
	if (!path)
		return ENOMEM;
	err = get_node(ctx, path, XS_PERM_WRITE | XS_PERM_OWNER, &node);
	/* Only the control domain may give a node away. */
	if (!err && ctx_domid(ctx) != 0 && perms[0].id != node->perms[0].id)
		err = EPERM;
	if (!err && !ctx->txn) {
		nold = node->nperms;
		old = malloc(nold * sizeof(*old));
		err = old ? 0 : ENOMEM;
		if (old)
			memcpy(old, node->perms, nold * sizeof(*old));
	}
	if (!err)
		err = xs_node_set_perms(ctx->tree, node, perms, nperms);
	if (!err && old)
		xs_fire(ctx->xs, path, node, old, nold, false);
	free(old);
	free(path);
	if (err)
		return err;
	log_change(ctx, req);
	return reply_ok(reply);
}
