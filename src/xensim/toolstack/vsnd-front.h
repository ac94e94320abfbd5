/* SPDX-License-Identifier: MIT */
/*
 * From a parsed device (vsnd-spec.h) to the frontend nodes the toolstack
 * writes under /local/domain/<guest>/device/vsnd/<devid>: the card, PCM
 * and stream settings, in the order libxl writes them, with the values
 * checked and normalised by libxensnd (lists joined with
 * XENSND_LIST_SEPARATOR instead of xl.cfg's ';').
 *
 * Checked here: every common setting parses; at each level
 * channels-min <= channels-max (counting the frontend's defaults for a
 * bound nobody gives); and each level is a subset of the nearest level
 * above that gives the same setting (xl.cfg(5): "the underlying layer
 * must be a subset of the upper layer range"): its rates and formats are
 * among the parent's, its channel range inside the parent's, its
 * buffer-size not larger.
 */
#ifndef XENSIM_TOOLSTACK_VSND_FRONT_H
#define XENSIM_TOOLSTACK_VSND_FRONT_H

#include <stddef.h>

#include "vsnd-spec.h"

struct vsnd_entry {
	char *path;		/* relative to the device: "0/1/type" */
	char *value;
};

struct vsnd_front {
	struct vsnd_entry *entries;
	size_t n_entries;
};

/* 0, -EINVAL with one line naming the item, key and reason, or -ENOMEM.
 * spec must have passed vsnd_spec_check(). */
int vsnd_front_build(const struct vsnd_spec *spec, struct vsnd_front *front,
		     char *err, size_t err_size);
void vsnd_front_clear(struct vsnd_front *front);

#endif
