/* SPDX-License-Identifier: MIT */
/*
 * Watches, as xenstored 4.17 keeps them: per connection, (path, token)
 * unique, one event straight after registration, events for the node and
 * everything below it, reported relative when registered relative, and
 * only to domains that may read the node (or its parent, or it before a
 * permission change). @introduceDomain / @releaseDomain go to dom0 and to
 * the domains their SET_PERMS lets read them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xenstore-private.h"

static void watch_free(struct xs_watch *watch)
{
	free(watch->path);
	free(watch->token);
	free(watch);
}

/* The path an event reports to this watch. */
static const char *event_path(const struct xs_watch *watch,
			      const struct xs_domain *domain, const char *path)
{
	if (watch->relative) {
		path += strlen(domain->home);
		if (*path == '/')
			path++;
	}
	return path;
}

static void send_event(struct xs_conn *conn, const struct xs_watch *watch,
		       const char *path)
{
	const char *epath = event_path(watch, conn->domain, path);
	size_t plen = strlen(epath) + 1, tlen = strlen(watch->token) + 1;
	char body[XENSTORE_PAYLOAD_MAX];

	/* Both parts were accepted in one message, so they fit in one. */
	if (plen + tlen > sizeof(body))
		return;
	memcpy(body, epath, plen);
	memcpy(body + plen, watch->token, tlen);
	xs_conn_send(conn, XS_WATCH_EVENT, 0, 0, body, plen + tlen);
}

static int check_watch_path(const struct xs_domain *domain, const char *arg,
			    char **path, bool *relative)
{
	if (arg[0] == '@') {
		if (strlen(arg) > XENSTORE_REL_PATH_MAX)
			return EINVAL;
		*relative = false;
		*path = strdup(arg);
		return *path ? 0 : ENOMEM;
	}
	*relative = arg[0] != '/';
	*path = xs_canonicalize(domain, arg);
	if (!*path)
		return ENOMEM;
	if (!xs_path_is_valid(*path)) {
		free(*path);
		*path = NULL;
		return EINVAL;
	}
	return 0;
}

/* <wpath>|<token>|, with an optional depth that we do not offer. */
static int watch_args(const struct xs_request *req, const char **wpath,
		      const char **token)
{
	const char *end = req->payload + req->hdr.len;
	const char *nul = memchr(req->payload, '\0', req->hdr.len);

	if (!nul || !memchr(nul + 1, '\0', end - nul - 1))
		return EINVAL;
	*wpath = req->payload;
	*token = nul + 1;
	return 0;
}

int xs_watch_add(struct xs_conn *conn, const struct xs_request *req)
{
	struct xs_domain *domain = conn->domain;
	const char *arg, *token;
	struct xs_watch *watch;
	char *path;
	bool relative;
	int err = watch_args(req, &arg, &token);

	if (err)
		return err;
	err = check_watch_path(domain, arg, &path, &relative);
	if (err)
		return err;
	for (watch = conn->watches; watch; watch = watch->next) {
		if (!strcmp(watch->path, path) && !strcmp(watch->token, token)) {
			free(path);
			return EEXIST;
		}
	}
	if (domain->domid != 0 &&
	    domain->nwatches >= XS_QUOTA_WATCHES_PER_DOMAIN) {
		free(path);
		return E2BIG;
	}
	watch = calloc(1, sizeof(*watch));
	if (!watch || !(watch->token = strdup(token))) {
		free(watch);
		free(path);
		return ENOMEM;
	}
	watch->path = path;
	watch->relative = relative;
	watch->next = conn->watches;
	conn->watches = watch;
	domain->nwatches++;

	xs_conn_send(conn, XS_WATCH, req->hdr.req_id, req->hdr.tx_id,
		     "OK", sizeof("OK"));
	/* Fired once up front, after the reply, as xenstored does. */
	send_event(conn, watch, watch->path);
	return 0;
}

int xs_watch_remove(struct xs_conn *conn, const struct xs_request *req)
{
	const char *arg, *token;
	char *path;
	int err = watch_args(req, &arg, &token);

	if (err)
		return err;
	path = arg[0] == '@' ? strdup(arg) : xs_canonicalize(conn->domain, arg);
	if (!path)
		return ENOMEM;
	for (struct xs_watch **link = &conn->watches; *link;
	     link = &(*link)->next) {
		struct xs_watch *watch = *link;

		if (strcmp(watch->path, path) || strcmp(watch->token, token))
			continue;
		*link = watch->next;
		watch_free(watch);
		conn->domain->nwatches--;
		free(path);
		return 0;
	}
	free(path);
	return ENOENT;
}

void xs_watch_free_all(struct xs_conn *conn)
{
	while (conn->watches) {
		struct xs_watch *watch = conn->watches;

		conn->watches = watch->next;
		watch_free(watch);
		conn->domain->nwatches--;
	}
}

/* xenstored's watch_permitted(). */
static bool may_see(uint32_t domid, const struct xs_node *node,
		    const struct xs_permissions *old_perms,
		    unsigned int old_nperms)
{
	if (old_perms &&
	    (xs_perm_for(old_perms, old_nperms, domid) & XS_PERM_READ))
		return true;
	if (xs_perm_for(node->perms, node->nperms, domid) & XS_PERM_READ)
		return true;
	return node->parent &&
	       (xs_perm_for(node->parent->perms, node->parent->nperms, domid) &
		XS_PERM_READ);
}

void xs_fire(struct xs_server *xs, const char *path,
	     const struct xs_node *node, const struct xs_permissions *old_perms,
	     unsigned int old_nperms, bool exact)
{
	for (struct xs_domain *d = xs->domains; d; d = d->next) {
		if (!may_see(d->domid, node, old_perms, old_nperms))
			continue;
		for (struct xs_conn *c = d->conns; c; c = c->next) {
			if (c->closed)
				continue;
			for (struct xs_watch *w = c->watches; w; w = w->next) {
				bool match = exact ? !strcmp(path, w->path)
					: xs_path_is_child(path, w->path);

				/* "/" is the parent of every path but no
				 * special's: @names live outside the tree. */
				if (match && w->path[0] != '@')
					send_event(c, w, path);
			}
		}
	}
}

static int special_index(const char *special)
{
	if (!strcmp(special, XS_SPECIAL_INTRODUCE))
		return 0;
	if (!strcmp(special, XS_SPECIAL_RELEASE))
		return 1;
	return -1;
}

void xs_fire_special(struct xs_server *xs, const char *special)
{
	int idx = special_index(special);

	for (struct xs_domain *d = xs->domains; d; d = d->next) {
		if (!(xs_perm_for(xs->special_perms[idx],
				  xs->special_nperms[idx], d->domid) &
		      XS_PERM_READ))
			continue;
		for (struct xs_conn *c = d->conns; c; c = c->next) {
			if (c->closed)
				continue;
			for (struct xs_watch *w = c->watches; w; w = w->next)
				if (!strcmp(w->path, special))
					send_event(c, w, special);
		}
	}
}

int xs_set_special_perms(struct xs_op_ctx *ctx, const char *special,
			 const struct xs_permissions *perms,
			 unsigned int nperms)
{
	struct xs_server *xs = ctx->xs;
	int idx = special_index(special);

	if (idx < 0)
		return EINVAL;
	/* Only the owner of the special (dom0) may change who sees it. */
	if ((xs_perm_for(xs->special_perms[idx], xs->special_nperms[idx],
			 ctx->domain->domid) &
	     (XS_PERM_WRITE | XS_PERM_OWNER)) !=
	    (XS_PERM_WRITE | XS_PERM_OWNER))
		return EACCES;
	if (nperms > XS_MAX_PERMS)
		return ENOSPC;
	memcpy(xs->special_perms[idx], perms, nperms * sizeof(*perms));
	xs->special_nperms[idx] = nperms;
	return 0;
}
