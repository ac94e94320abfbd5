/* SPDX-License-Identifier: MIT */
/*
 * Unit test of xensim's XenStore tree (xenstore-tree.c): path rules,
 * creation with inherited permissions, removal, owner accounting,
 * generations, clones and xenstored's access rule.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "xenstore-tree.h"

static int failures;

#define CHECK(cond) do {						\
	if (cond) {							\
		printf("ok: %s\n", #cond);				\
	} else {							\
		fprintf(stderr, "FAIL: %s:%d: %s\n", __FILE__,		\
			__LINE__, #cond);				\
		failures++;						\
	}								\
} while (0)

static void test_paths(void)
{
	char longpath[XENSTORE_ABS_PATH_MAX + 16];

	CHECK(xs_path_is_valid("/"));
	CHECK(xs_path_is_valid("/local/domain/3/device/vsnd/0"));
	CHECK(xs_path_is_valid("/a-b_c@d"));
	CHECK(!xs_path_is_valid(""));
	CHECK(!xs_path_is_valid("relative"));
	CHECK(!xs_path_is_valid("/trailing/"));
	CHECK(!xs_path_is_valid("/double//slash"));
	CHECK(!xs_path_is_valid("/bad char"));
	CHECK(!xs_path_is_valid("/bad.dot"));
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(!xs_path_is_valid(longpath));

	CHECK(xs_path_is_child("/a/b", "/a"));
	CHECK(xs_path_is_child("/a", "/a"));
	CHECK(xs_path_is_child("/anything", "/"));
	CHECK(!xs_path_is_child("/ab", "/a"));
	CHECK(!xs_path_is_child("/a", "/a/b"));
}

static void test_perms(void)
{
	struct xs_permissions p[3] = {
		{ .id = 1, .perms = XS_PERM_READ },
		{ .id = 2, .perms = XS_PERM_WRITE },
		{ .id = 3, .perms = XS_PERM_NONE },
	};
	const unsigned int all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
	struct xs_permissions parsed;
	char buf[16];

	CHECK(xs_perm_for(p, 3, 0) == all);		/* dom0 */
	CHECK(xs_perm_for(p, 3, 1) == all);		/* owner */
	CHECK(xs_perm_for(p, 3, 2) == XS_PERM_WRITE);	/* own entry */
	CHECK(xs_perm_for(p, 3, 3) == XS_PERM_NONE);
	CHECK(xs_perm_for(p, 3, 4) == XS_PERM_READ);	/* the default */

	CHECK(xs_perm_parse("b12", &parsed) && parsed.id == 12 &&
	      parsed.perms == (XS_PERM_READ | XS_PERM_WRITE));
	CHECK(xs_perm_parse("n0", &parsed) && parsed.perms == XS_PERM_NONE);
	CHECK(!xs_perm_parse("x1", &parsed));
	CHECK(!xs_perm_parse("r", &parsed));
	CHECK(!xs_perm_parse("r-1", &parsed));
	CHECK(!xs_perm_parse("r1x", &parsed));
	CHECK(!xs_perm_parse("r99999", &parsed));
	parsed = (struct xs_permissions){ .id = 7, .perms = XS_PERM_WRITE };
	xs_perm_format(&parsed, buf, sizeof(buf));
	CHECK(!strcmp(buf, "w7"));
}

static void test_tree(void)
{
	uint64_t generation = 0;
	struct xs_tree *tree = xs_tree_new(&generation), *copy;
	struct xs_permissions home[2] = {
		{ .id = 5, .perms = XS_PERM_NONE },
		{ .id = 0, .perms = XS_PERM_READ },
	};
	struct xs_node *node, *dir;
	uint64_t before;
	char path[64];

	CHECK(tree && xs_tree_lookup(tree, "/") == tree->root);
	CHECK(xs_tree_owned(tree, 0) == 1);

	/* Missing parents are created and inherit; dom0 keeps the owner. */
	node = xs_tree_create(tree, "/local/domain/5", false, 0);
	CHECK(node && xs_tree_owned(tree, 0) == 4);
	CHECK(xs_node_set_perms(tree, node, home, 2) == 0);
	CHECK(xs_tree_owned(tree, 5) == 1 && xs_tree_owned(tree, 0) == 3);

	/* A guest owns what it creates, the rest inherited. */
	node = xs_tree_create(tree, "/local/domain/5/data/x", true, 6);
	CHECK(node && node->perms[0].id == 6 && node->nperms == 2 &&
	      node->perms[1].id == 0 && node->perms[1].perms == XS_PERM_READ);
	CHECK(xs_tree_owned(tree, 6) == 2);
	xs_node_path(node, path, sizeof(path));
	CHECK(!strcmp(path, "/local/domain/5/data/x"));
	dir = xs_tree_lookup(tree, "/local/domain/5/data");
	CHECK(dir && dir->nchildren == 1 && dir->children_len == 2);
	CHECK(xs_tree_nearest_parent(tree, "/local/domain/5/data/x/y/z") == node);
	CHECK(xs_tree_nearest_parent(tree, "/local/domain/5/data/x") == dir);

	/* Generations move with every change, and only there. */
	before = node->generation;
	CHECK(xs_node_set_value(tree, node, "abc", 3) == 0);
	CHECK(node->generation > before && node->len == 3 &&
	      !strcmp(node->value, "abc"));
	before = dir->generation;
	xs_tree_create(tree, "/local/domain/5/data/y", false, 0);
	CHECK(dir->generation > before && dir->nchildren == 2);

	/* A clone is deep and independent, generations included. */
	copy = xs_tree_clone(tree);
	node = copy ? xs_tree_lookup(copy, "/local/domain/5/data/x") : NULL;
	CHECK(node && !strcmp(node->value, "abc") &&
	      node->generation == xs_tree_lookup(tree,
			"/local/domain/5/data/x")->generation);
	CHECK(copy && xs_tree_owned(copy, 6) == 3);	/* data, x, y */
	if (node)
		xs_tree_remove(copy, node->parent);
	CHECK(xs_tree_lookup(tree, "/local/domain/5/data/x") != NULL);
	CHECK(copy && !xs_tree_lookup(copy, "/local/domain/5/data") &&
	      xs_tree_owned(copy, 6) == 0);
	xs_tree_free(copy);

	/* Domain death: its nodes go to dom0, its entries vanish. */
	xs_tree_forget_domain(tree, 6);
	node = xs_tree_lookup(tree, "/local/domain/5/data/x");
	CHECK(node && node->perms[0].id == 0 && xs_tree_owned(tree, 6) == 0);
	xs_tree_forget_domain(tree, 0);	/* dom0 never dies */
	CHECK(node->perms[0].id == 0);

	xs_tree_remove(tree, xs_tree_lookup(tree, "/local"));
	CHECK(tree->root->nchildren == 0 && tree->root->children_len == 0);
	CHECK(xs_tree_owned(tree, 0) == 1 && xs_tree_owned(tree, 5) == 0);
	xs_tree_free(tree);
}

int main(void)
{
	test_paths();
	test_perms();
	test_tree();
	return failures ? 1 : 0;
}
