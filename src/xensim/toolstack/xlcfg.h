/* SPDX-License-Identifier: MIT */
/*
 * The `vsnd = [ [ 'item', ... ], ... ]` setting of an xl.cfg(5) file.
 *
 * The whole file is read with xl's grammar (libxlutil): settings
 * `name = value` or `name += value` end at a newline or ';', a value is a
 * 'single' or "double" quoted string, a number, or a [ list ] that may
 * span lines and end with a comma; '#' starts a comment. Other settings
 * (name, memory, disk, ...) are parsed and ignored, so a real guest
 * configuration can be given as it is. As in xl, the last `vsnd =` wins
 * and `vsnd +=` appends to it.
 */
#ifndef XENSIM_TOOLSTACK_XLCFG_H
#define XENSIM_TOOLSTACK_XLCFG_H

#include <stddef.h>

struct xlcfg_item {
	char *text;		/* dequoted */
	unsigned int line;	/* where it starts, 1-based */
};

/* One inner list: the items of one vsnd device (card). */
struct xlcfg_device {
	struct xlcfg_item *items;
	size_t n_items;
	unsigned int line;	/* of its '[' */
};

struct xlcfg_vsnd {
	struct xlcfg_device *devices;
	size_t n_devices;
};

/*
 * Parse text (the file's contents, NUL-terminated; name is used in
 * messages only). Returns 0 and fills out (free with xlcfg_vsnd_clear);
 * -ENOENT when the file has no vsnd setting; -EINVAL with
 * "NAME:LINE: reason" in err for a syntax error or a vsnd value that is not
 * a list of lists of strings; -ENOMEM.
 */
int xlcfg_parse_vsnd(const char *text, const char *name,
		     struct xlcfg_vsnd *out, char *err, size_t err_size);
void xlcfg_vsnd_clear(struct xlcfg_vsnd *vsnd);

#endif
