/* SPDX-License-Identifier: MIT */
/*
 * `xensnd-ctl list`: the vsnd cards of our own domain (device/vsnd), each
 * with its PCMs and streams, their effective configuration (card -> PCM
 * -> stream inheritance already applied, defaults filled in) and the
 * xenbus states of both ends; as text, or as JSON for scripts.
 */
#ifndef XENSND_CTL_LIST_H
#define XENSND_CTL_LIST_H

#include <stdbool.h>

#include <xenstore.h>

/* only_card: a dev-id, or NULL for all. Exit code. */
int ctl_list(struct xs_handle *xs, const char *only_card, bool json);

#endif
