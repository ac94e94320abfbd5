/* SPDX-License-Identifier: MIT */
/* What the toolstack's commands share. */
#ifndef XENSIM_TOOLSTACK_PRIVATE_H
#define XENSIM_TOOLSTACK_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xenstore.h>

#define TOOLSTACK_OK		0
#define TOOLSTACK_FAILURE	1
#define TOOLSTACK_USAGE		2

/* The toolstack runs in dom0, and libxl's private tree lives here. */
#define TOOLSTACK_DOMID		0
#define LIBXL_ROOT		"/libxl"
#define VSND_KIND		"vsnd"

/* Each command; argv[0] is its name. */
int vsnd_attach_main(int argc, char **argv);
int vsnd_detach_main(int argc, char **argv);
int vsnd_list_main(int argc, char **argv);

/* Log one line "xensim CMD: ..." to stderr. */
void toolstack_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A domain id argument: decimal, below DOMID_FIRST_RESERVED. 0 or -EINVAL. */
int parse_domid(const char *text, uint32_t *domid);
/* A non-negative decimal that fits an int. 0 or -EINVAL. */
int parse_devid(const char *text, uint32_t *devid);

/* ---- XenStore helpers (xs-util.c) ---- */

/* Connect as dom0; NULL with a message naming XENSTORED_PATH. */
struct xs_handle *xsu_open(const char *cmd);

/* The node exists (a directory reads as ""). */
bool xsu_exists(struct xs_handle *h, xs_transaction_t t, const char *path);

/* A node holding a xenbus state or other small number; -ENOENT when the
 * node is missing, -EINVAL when it does not hold one. */
int xsu_read_uint(struct xs_handle *h, xs_transaction_t t, const char *path,
		  unsigned int *value);

/* A domain by id or by name (/local/domain/N/name; a name two domains
 * claim is refused); "Domain-0" is always 0. 0, or -errno with err. */
int xsu_resolve_domain(struct xs_handle *h, const char *spec, uint32_t *domid,
		       char *err, size_t err_size);

/* /local/domain/N exists (always true for the toolstack's own domain,
 * whose node xensim may not have written). 0, or -ENOENT with err. */
int xsu_check_domain(struct xs_handle *h, uint32_t domid, const char *role,
		     char *err, size_t err_size);

/* Remove path, then each parent that is left empty with an empty value,
 * as libxl__xs_path_cleanup does. false with errno. */
bool xsu_path_cleanup(struct xs_handle *h, xs_transaction_t t, const char *path);

/* Directory entries that are device ids, ascending; *n 0 and NULL when the
 * directory is missing. -ENOMEM only. */
int xsu_list_devids(struct xs_handle *h, xs_transaction_t t, const char *dir,
		    uint32_t **devids, unsigned int *n);

/* A short name for a xenbus state number, "?" when out of range. */
const char *xsu_state_name(unsigned int state);

#endif
