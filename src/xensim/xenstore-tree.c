/* SPDX-License-Identifier: MIT */
/* The XenStore database tree; see xenstore-tree.h. */
#include "xenstore-tree.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/io/xs_wire.h>

static uint64_t next_generation(struct xs_tree *tree)
{
	return ++*tree->generation;
}

/* ---- owner accounting ---- */

static struct xs_owner_count *owner_slot(struct xs_tree *tree, uint32_t domid,
					 bool create)
{
	for (unsigned int i = 0; i < tree->nowners; i++)
		if (tree->owners[i].domid == domid)
			return &tree->owners[i];
	if (!create)
		return NULL;
	struct xs_owner_count *grown = realloc(tree->owners,
		(tree->nowners + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	tree->owners = grown;
	grown[tree->nowners] = (struct xs_owner_count){ .domid = domid };
	return &grown[tree->nowners++];
}

/* The count only feeds a quota: a failed allocation here under-counts
 * one node, which is harmless, rather than failing the operation. */
static void owner_add(struct xs_tree *tree, uint32_t domid, int delta)
{
	struct xs_owner_count *slot = owner_slot(tree, domid, delta > 0);

	if (slot)
		slot->nodes += delta;
}

uint32_t xs_tree_owned(const struct xs_tree *tree, uint32_t domid)
{
	for (unsigned int i = 0; i < tree->nowners; i++)
		if (tree->owners[i].domid == domid)
			return tree->owners[i].nodes;
	return 0;
}

/* ---- nodes ---- */

static void node_free(struct xs_node *node)
{
	if (!node)
		return;
	for (unsigned int i = 0; i < node->nchildren; i++)
		node_free(node->children[i]);
	free(node->children);
	free(node->name);
	free(node->value);
	free(node->perms);
	free(node);
}

static struct xs_node *node_new(const char *name, size_t namelen,
				const struct xs_permissions *perms,
				unsigned int nperms)
{
	struct xs_node *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	node->name = strndup(name, namelen);
	node->value = strdup("");
	node->perms = malloc(nperms * sizeof(*perms));
	if (!node->name || !node->value || !node->perms) {
		node_free(node);
		return NULL;
	}
	memcpy(node->perms, perms, nperms * sizeof(*perms));
	node->nperms = nperms;
	return node;
}

static int node_add_child(struct xs_node *parent, struct xs_node *child)
{
	if (parent->nchildren == parent->children_cap) {
		unsigned int cap = parent->children_cap ? parent->children_cap * 2 : 4;
		struct xs_node **grown = realloc(parent->children,
						 cap * sizeof(*grown));
		if (!grown)
			return ENOMEM;
		parent->children = grown;
		parent->children_cap = cap;
	}
	parent->children[parent->nchildren++] = child;
	parent->children_len += strlen(child->name) + 1;
	child->parent = parent;
	return 0;
}

static void node_unlink(struct xs_node *child)
{
	struct xs_node *parent = child->parent;

	for (unsigned int i = 0; i < parent->nchildren; i++) {
		if (parent->children[i] != child)
			continue;
		memmove(&parent->children[i], &parent->children[i + 1],
			(parent->nchildren - i - 1) * sizeof(child));
		parent->nchildren--;
		parent->children_len -= strlen(child->name) + 1;
		break;
	}
	child->parent = NULL;
}

static struct xs_node *node_child(const struct xs_node *node, const char *name,
				  size_t namelen)
{
	for (unsigned int i = 0; i < node->nchildren; i++) {
		struct xs_node *child = node->children[i];

		if (strncmp(child->name, name, namelen) == 0 &&
		    child->name[namelen] == '\0')
			return child;
	}
	return NULL;
}

/* ---- tree ---- */

struct xs_tree *xs_tree_new(uint64_t *generation)
{
	static const struct xs_permissions root_perms = {
		.id = 0, .perms = XS_PERM_NONE,
	};
	struct xs_tree *tree = calloc(1, sizeof(*tree));

	if (!tree)
		return NULL;
	tree->generation = generation;
	tree->root = node_new("", 0, &root_perms, 1);
	if (!tree->root) {
		free(tree);
		return NULL;
	}
	tree->root->generation = next_generation(tree);
	owner_add(tree, 0, 1);
	return tree;
}

void xs_tree_free(struct xs_tree *tree)
{
	if (!tree)
		return;
	node_free(tree->root);
	free(tree->owners);
	free(tree);
}

static struct xs_node *node_clone(const struct xs_node *src)
{
	struct xs_node *copy = node_new(src->name, strlen(src->name),
					src->perms, src->nperms);

	if (!copy)
		return NULL;
	free(copy->value);
	copy->value = malloc(src->len + 1);
	if (!copy->value)
		goto fail;
	memcpy(copy->value, src->value, src->len + 1);
	copy->len = src->len;
	copy->generation = src->generation;
	for (unsigned int i = 0; i < src->nchildren; i++) {
		struct xs_node *child = node_clone(src->children[i]);

		if (!child)
			goto fail;
		if (node_add_child(copy, child)) {
			node_free(child);
			goto fail;
		}
	}
	return copy;
fail:
	node_free(copy);
	return NULL;
}

struct xs_tree *xs_tree_clone(const struct xs_tree *tree)
{
	struct xs_tree *copy = calloc(1, sizeof(*copy));

	if (!copy)
		return NULL;
	copy->generation = tree->generation;
	copy->root = node_clone(tree->root);
	copy->owners = malloc((tree->nowners + 1) * sizeof(*copy->owners));
	if (!copy->root || !copy->owners) {
		xs_tree_free(copy);
		return NULL;
	}
	memcpy(copy->owners, tree->owners, tree->nowners * sizeof(*copy->owners));
	copy->nowners = tree->nowners;
	return copy;
}

/* ---- paths ---- */

static bool valid_chars(const char *path)
{
	return strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz"
			    "0123456789-/_@") == strlen(path);
}

bool xs_path_is_valid(const char *path)
{
	size_t len = strlen(path);
	unsigned int domid;
	int local_off = 0;

	if (path[0] != '/')
		return false;
	if (len > 1 && path[len - 1] == '/')
		return false;
	if (strstr(path, "//"))
		return false;
	if (len > XENSTORE_ABS_PATH_MAX)
		return false;
	/* The relative-path quota counts below a domain's home, as
	 * xenstored counts it. */
	if (sscanf(path, "/local/domain/%5u/%n", &domid, &local_off) != 1)
		local_off = 0;
	if (len > (size_t)local_off + XENSTORE_REL_PATH_MAX)
		return false;
	return valid_chars(path);
}

bool xs_path_is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return true;
	if (strncmp(child, parent, len) != 0)
		return false;
	return child[len] == '/' || child[len] == '\0';
}

struct xs_node *xs_tree_lookup(const struct xs_tree *tree, const char *path)
{
	struct xs_node *node = tree->root;
	const char *p = path + 1;

	while (node && *p) {
		const char *slash = strchr(p, '/');
		size_t namelen = slash ? (size_t)(slash - p) : strlen(p);

		node = node_child(node, p, namelen);
		p += namelen;
		if (*p == '/')
			p++;
	}
	return node;
}

struct xs_node *xs_tree_nearest_parent(const struct xs_tree *tree,
				       const char *path)
{
	struct xs_node *node = tree->root;
	const char *p = path + 1;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t namelen = slash ? (size_t)(slash - p) : strlen(p);
		struct xs_node *child;

		if (!slash)
			break;	/* p is the last component: path itself */
		child = node_child(node, p, namelen);
		if (!child)
			break;
		node = child;
		p = slash + 1;
	}
	return node;
}

void xs_node_path(const struct xs_node *node, char *buf, size_t size)
{
	size_t pos = size - 1;

	buf[pos] = '\0';
	if (!node->parent) {
		snprintf(buf, size, "/");
		return;
	}
	for (; node->parent; node = node->parent) {
		size_t len = strlen(node->name);

		if (len + 1 > pos) {	/* cannot happen for valid paths */
			snprintf(buf, size, "/");
			return;
		}
		pos -= len;
		memcpy(buf + pos, node->name, len);
		buf[--pos] = '/';
	}
	memmove(buf, buf + pos, size - pos);
}

/* ---- changes ---- */

static void account_subtree(struct xs_tree *tree, const struct xs_node *node,
			    int sign)
{
	owner_add(tree, node->perms[0].id, sign);
	for (unsigned int i = 0; i < node->nchildren; i++)
		account_subtree(tree, node->children[i], sign);
}

struct xs_node *xs_tree_create(struct xs_tree *tree, const char *path,
			       bool owner_override, uint32_t owner)
{
	struct xs_node *parent = tree->root, *top = NULL, *top_parent = NULL;
	const char *p = path + 1;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t namelen = slash ? (size_t)(slash - p) : strlen(p);
		struct xs_node *child = node_child(parent, p, namelen);

		if (!child) {
			child = node_new(p, namelen, parent->perms,
					 parent->nperms);
			if (!child || node_add_child(parent, child)) {
				node_free(child);
				goto nomem;
			}
			if (owner_override)
				child->perms[0].id = owner;
			child->generation = next_generation(tree);
			parent->generation = next_generation(tree);
			owner_add(tree, child->perms[0].id, 1);
			if (!top) {
				top = child;
				top_parent = parent;
			}
		}
		parent = child;
		p += namelen;
		if (*p == '/')
			p++;
	}
	return parent;

nomem:
	/* Undo: nothing of this call stays in the tree. */
	if (top) {
		account_subtree(tree, top, -1);
		node_unlink(top);
		node_free(top);
		top_parent->generation = next_generation(tree);
	}
	errno = ENOMEM;
	return NULL;
}

void xs_tree_remove(struct xs_tree *tree, struct xs_node *node)
{
	struct xs_node *parent = node->parent;

	account_subtree(tree, node, -1);
	node_unlink(node);
	parent->generation = next_generation(tree);
	node_free(node);
}

int xs_node_set_value(struct xs_tree *tree, struct xs_node *node,
		      const char *value, unsigned int len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return ENOMEM;
	memcpy(copy, value, len);
	copy[len] = '\0';
	free(node->value);
	node->value = copy;
	node->len = len;
	node->generation = next_generation(tree);
	return 0;
}

int xs_node_set_perms(struct xs_tree *tree, struct xs_node *node,
		      const struct xs_permissions *perms, unsigned int nperms)
{
	struct xs_permissions *copy = malloc(nperms * sizeof(*copy));

	if (!copy)
		return ENOMEM;
	memcpy(copy, perms, nperms * sizeof(*copy));
	owner_add(tree, node->perms[0].id, -1);
	owner_add(tree, copy[0].id, 1);
	free(node->perms);
	node->perms = copy;
	node->nperms = nperms;
	node->generation = next_generation(tree);
	return 0;
}

static void forget_in_node(struct xs_tree *tree, struct xs_node *node,
			   uint32_t domid)
{
	bool changed = false;

	if (node->perms[0].id == domid) {
		owner_add(tree, domid, -1);
		owner_add(tree, 0, 1);
		node->perms[0].id = 0;
		changed = true;
	}
	for (unsigned int i = 1; i < node->nperms;) {
		if (node->perms[i].id == domid) {
			memmove(&node->perms[i], &node->perms[i + 1],
				(node->nperms - i - 1) * sizeof(node->perms[0]));
			node->nperms--;
			changed = true;
		} else {
			i++;
		}
	}
	if (changed)
		node->generation = next_generation(tree);
	for (unsigned int i = 0; i < node->nchildren; i++)
		forget_in_node(tree, node->children[i], domid);
}

void xs_tree_forget_domain(struct xs_tree *tree, uint32_t domid)
{
	if (domid != 0)
		forget_in_node(tree, tree->root, domid);
}

/* ---- permissions ---- */

unsigned int xs_perm_for(const struct xs_permissions *perms,
			 unsigned int nperms, uint32_t domid)
{
	const unsigned int all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;

	/* Owners and the control domain get it all... */
	if (domid == 0 || perms[0].id == domid)
		return all;
	/* ...others their own entry, else the owner entry's default. */
	for (unsigned int i = 1; i < nperms; i++)
		if (perms[i].id == domid)
			return perms[i].perms & all;
	return perms[0].perms & all;
}

bool xs_perm_parse(const char *s, struct xs_permissions *perm)
{
	unsigned long id;
	char *end;

	switch (s[0]) {
	case 'n': perm->perms = XS_PERM_NONE; break;
	case 'r': perm->perms = XS_PERM_READ; break;
	case 'w': perm->perms = XS_PERM_WRITE; break;
	case 'b': perm->perms = XS_PERM_READ | XS_PERM_WRITE; break;
	default: return false;
	}
	if (s[1] < '0' || s[1] > '9')
		return false;
	errno = 0;
	id = strtoul(s + 1, &end, 10);
	if (errno || *end || id >= DOMID_FIRST_RESERVED)
		return false;
	perm->id = id;
	return true;
}

int xs_perm_format(const struct xs_permissions *perm, char *buf, size_t size)
{
	char letter;

	switch (perm->perms & (XS_PERM_READ | XS_PERM_WRITE)) {
	case XS_PERM_READ: letter = 'r'; break;
	case XS_PERM_WRITE: letter = 'w'; break;
	case XS_PERM_READ | XS_PERM_WRITE: letter = 'b'; break;
	default: letter = 'n'; break;
	}
	return snprintf(buf, size, "%c%u", letter, perm->id);
}
