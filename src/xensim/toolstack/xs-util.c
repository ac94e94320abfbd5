/* SPDX-License-Identifier: MIT */
/* Small XenStore helpers the toolstack commands share. */
#include "toolstack-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/xen.h>
#include <xen/io/xenbus.h>

struct xs_handle *xsu_open(const char *cmd)
{
	struct xs_handle *h = xs_open(0);

	if (!h) {
		const char *path = getenv("XENSTORED_PATH");

		toolstack_error(cmd, "cannot connect to XenStore%s%s: %s; is the xensim hub "
				"running (xensim start --dir DIR)?", path ? " at " : "",
				path ? path : "", strerror(errno));
	}
	return h;
}

bool xsu_exists(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	unsigned int len;
	char *value = xs_read(h, t, path, &len);

	free(value);
	return value != NULL;
}

int xsu_read_uint(struct xs_handle *h, xs_transaction_t t, const char *path,
		  unsigned int *value)
{
	unsigned int len;
	char *text = xs_read(h, t, path, &len);
	uint32_t v;
	int ret;

	if (!text)
		return errno == ENOENT ? -ENOENT : -errno;
	ret = parse_devid(text, &v);
	if (ret == 0)
		*value = v;
	free(text);
	return ret;
}

/* The domain whose /local/domain/N/name is name; -ENOENT, or -EEXIST when
 * two domains share it. */
static int find_domain_by_name(struct xs_handle *h, const char *name, uint32_t *domid)
{
	unsigned int n = 0, found = 0;
	char **doms = xs_directory(h, XBT_NULL, "/local/domain", &n);

	for (unsigned int i = 0; i < n; i++) {
		char path[64];
		char *dom_name;
		unsigned int len;
		uint32_t id;

		if (parse_domid(doms[i], &id) < 0)
			continue;
		snprintf(path, sizeof(path), "/local/domain/%u/name", id);
		dom_name = xs_read(h, XBT_NULL, path, &len);
		if (dom_name && strcmp(dom_name, name) == 0) {
			*domid = id;
			found++;
		}
		free(dom_name);
	}
	free(doms);
	if (found == 0)
		return -ENOENT;
	return found == 1 ? 0 : -EEXIST;
}

int xsu_resolve_domain(struct xs_handle *h, const char *spec, uint32_t *domid,
		       char *err, size_t err_size)
{
	int ret;

	if (spec[0] >= '0' && spec[0] <= '9') {
		if (parse_domid(spec, domid) == 0)
			return 0;
		snprintf(err, err_size, "\"%s\" is not a domain id (0..%u)", spec,
			 DOMID_FIRST_RESERVED - 1);
		return -EINVAL;
	}
	/* xl's dom0 is "Domain-0" whatever the store says: under xensim a
	 * guest owns its name node and could claim that name. */
	if (strcmp(spec, "Domain-0") == 0) {
		*domid = TOOLSTACK_DOMID;
		return 0;
	}
	ret = find_domain_by_name(h, spec, domid);
	if (ret == -ENOENT)
		snprintf(err, err_size, "no domain is named \"%s\" (no /local/domain/*/name "
			 "holds it)", spec);
	else if (ret == -EEXIST)
		snprintf(err, err_size, "more than one domain is named \"%s\"; give its id", spec);
	return ret;
}

int xsu_check_domain(struct xs_handle *h, uint32_t domid, const char *role,
		     char *err, size_t err_size)
{
	char path[64];

	if (domid == TOOLSTACK_DOMID)
		return 0;
	snprintf(path, sizeof(path), "/local/domain/%u", domid);
	if (xsu_exists(h, XBT_NULL, path))
		return 0;
	snprintf(err, err_size, "%s domain %u does not exist (no %s); start a process in it "
		 "with `xensim exec --domid %u -- CMD`", role, domid, path, domid);
	return -ENOENT;
}

/* The node has an empty value and no children. */
static bool is_empty_dir(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	unsigned int len, n = 0;
	char *value = xs_read(h, t, path, &len);
	char **children;
	bool empty = value && len == 0;

	free(value);
	if (!empty)
		return false;
	children = xs_directory(h, t, path, &n);
	free(children);
	return children && n == 0;
}

bool xsu_path_cleanup(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	char *copy, *slash;
	bool ok = true;

	if (!xs_rm(h, t, path) && errno != ENOENT)
		return false;
	copy = strdup(path);
	if (!copy)
		return false;
	while ((slash = strrchr(copy, '/')) != NULL && slash != copy) {
		*slash = '\0';
		if (!is_empty_dir(h, t, copy))
			break;
		if (!xs_rm(h, t, copy) && errno != ENOENT) {
			ok = false;
			break;
		}
	}
	free(copy);
	return ok;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int xsu_list_devids(struct xs_handle *h, xs_transaction_t t, const char *dir,
		    uint32_t **devids, unsigned int *n)
{
	unsigned int count = 0;
	char **entries = xs_directory(h, t, dir, &count);
	uint32_t *ids;

	*devids = NULL;
	*n = 0;
	if (!entries || count == 0) {
		free(entries);
		return 0;
	}
	ids = calloc(count, sizeof(*ids));
	if (!ids) {
		free(entries);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < count; i++) {
		if (parse_devid(entries[i], &ids[*n]) == 0)
			(*n)++;
	}
	free(entries);
	qsort(ids, *n, sizeof(ids[0]), cmp_u32);
	*devids = ids;
	return 0;
}

const char *xsu_state_name(unsigned int state)
{
	static const char *const names[] = {
		[XenbusStateUnknown] = "Unknown",
		[XenbusStateInitialising] = "Initialising",
		[XenbusStateInitWait] = "InitWait",
		[XenbusStateInitialised] = "Initialised",
		[XenbusStateConnected] = "Connected",
		[XenbusStateClosing] = "Closing",
		[XenbusStateClosed] = "Closed",
		[XenbusStateReconfiguring] = "Reconfiguring",
		[XenbusStateReconfigured] = "Reconfigured",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "?";
}
