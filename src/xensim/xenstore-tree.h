/* SPDX-License-Identifier: MIT */
/*
 * The XenStore database: a tree of nodes in memory, each with a value,
 * a permission list and its children in creation order (the order
 * xenstored's DIRECTORY returns them in).
 *
 * Nothing here knows about connections, watches or transactions; the
 * permission *rules* live here (xs_perm_for) so that every caller applies
 * xenstored's, but the checks are made by xenstore-ops.c.
 */
#ifndef XENSIM_XENSTORE_TREE_H
#define XENSIM_XENSTORE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenstore_lib.h>

struct xs_node {
	char *name;			/* last path component, "" for / */
	struct xs_node *parent;
	struct xs_node **children;	/* in creation order */
	unsigned int nchildren;
	unsigned int children_cap;
	/* Bytes of the DIRECTORY reply: every child name plus its nul. */
	size_t children_len;
	char *value;
	unsigned int len;
	struct xs_permissions *perms;	/* perms[0]: owner + everyone else */
	unsigned int nperms;
	/* Changes whenever value, perms or the children list change: the
	 * DIRECTORY_PART gencnt, and what transactions compare. Never 0. */
	uint64_t generation;
};

struct xs_owner_count {
	uint32_t domid;
	uint32_t nodes;
};

struct xs_tree {
	struct xs_node *root;
	/* Shared by the store and its transaction snapshots, so a
	 * generation is never handed out twice. Owned by the server. */
	uint64_t *generation;
	/* How many nodes each domain owns (the nodes-per-domain quota). */
	struct xs_owner_count *owners;
	unsigned int nowners;
};

/* A tree holding only "/", owned by dom0 and closed to others. */
struct xs_tree *xs_tree_new(uint64_t *generation);
void xs_tree_free(struct xs_tree *tree);
/* A deep copy, generations included (a transaction's snapshot). */
struct xs_tree *xs_tree_clone(const struct xs_tree *tree);

/* Is path a syntactically valid absolute node name (xenstored's rules:
 * leading /, no // nor trailing /, [A-Za-z0-9-/_@], length quota)? */
bool xs_path_is_valid(const char *path);
/* Is child equal to parent or below it? */
bool xs_path_is_child(const char *child, const char *parent);

/* The node at an absolute valid path, or NULL. O(depth x fan-out). */
struct xs_node *xs_tree_lookup(const struct xs_tree *tree, const char *path);
/* The nearest existing strict ancestor of path (never NULL for a valid
 * path: / always exists). */
struct xs_node *xs_tree_nearest_parent(const struct xs_tree *tree,
				       const char *path);

/* Create path and its missing parents with empty values. Each new node
 * inherits its parent's permissions; when owner_override is true its
 * owner becomes owner (xenstored: "unprivileged domains own what they
 * create"). Returns the node at path, or NULL (ENOMEM, nothing created). */
struct xs_node *xs_tree_create(struct xs_tree *tree, const char *path,
			       bool owner_override, uint32_t owner);
/* Remove node and everything below it. node must not be the root. */
void xs_tree_remove(struct xs_tree *tree, struct xs_node *node);

/* 0 or ENOMEM. */
int xs_node_set_value(struct xs_tree *tree, struct xs_node *node,
		      const char *value, unsigned int len);
int xs_node_set_perms(struct xs_tree *tree, struct xs_node *node,
		      const struct xs_permissions *perms, unsigned int nperms);

/* Nodes owned by domid. */
uint32_t xs_tree_owned(const struct xs_tree *tree, uint32_t domid);

/* Domain death: nodes owned by domid become dom0's, and domid's own
 * entries in other nodes' lists are dropped, so a later domain with the
 * same id inherits nothing (what xenstored does on release). */
void xs_tree_forget_domain(struct xs_tree *tree, uint32_t domid);

/* The absolute path of node into buf (at least XENSTORE_ABS_PATH_MAX+1). */
void xs_node_path(const struct xs_node *node, char *buf, size_t size);

/* xenstored's access rule: XS_PERM_READ|WRITE|OWNER bits that domid has
 * on a node with these permissions. dom0 has everything. */
unsigned int xs_perm_for(const struct xs_permissions *perms,
			 unsigned int nperms, uint32_t domid);

/* Parse "r3" etc. (n, r, w, b and a decimal domid < DOMID_FIRST_RESERVED)
 * Returns false for anything else. */
bool xs_perm_parse(const char *s, struct xs_permissions *perm);
/* Format one permission, as GET_PERMS sends it. */
int xs_perm_format(const struct xs_permissions *perm, char *buf, size_t size);

#endif
