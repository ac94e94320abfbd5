/* SPDX-License-Identifier: MIT */
/*
 * Page directories: how a stream buffer of buffer_sz octets is described
 * to the backend (xen/io/sndif.h, struct xensnd_page_directory).
 *
 * Directory page i holds the grant reference of page i + 1 (0 on the
 * last), then as many buffer grant references as fit. The buffer has
 * ceil(buffer_sz / 4096) pages; the directory as many pages as it takes to
 * list them.
 */
#ifndef XENSND_PAGEDIR_H
#define XENSND_PAGEDIR_H

#include <stddef.h>
#include <stdint.h>

#include <xen/grant_table.h>
#include <xen/io/sndif.h>	/* struct xensnd_page_directory */

/* Buffer references one directory page holds: (4096 - 4) / 4 = 1023. */
#define XENSND_PAGEDIR_REFS_PER_PAGE \
	((4096u - offsetof(struct xensnd_page_directory, gref)) / sizeof(grant_ref_t))

/* Largest buffer we accept from either side: 64 MiB. */
#define XENSND_BUFFER_SIZE_MAX	(64u << 20)

uint32_t xensnd_buffer_pages(uint32_t buffer_sz);
uint32_t xensnd_pagedir_pages(uint32_t buffer_sz);

/*
 * Granting side: fill n_dir directory pages (dir_pages, each 4096 octets,
 * contiguous) so that they chain dir_refs[] and list buf_refs[].
 * n_dir must be xensnd_pagedir_pages() of the buffer. -EINVAL if not.
 */
int xensnd_pagedir_fill(void *dir_pages, const grant_ref_t *dir_refs,
			uint32_t n_dir, const grant_ref_t *buf_refs,
			uint32_t n_buf);

/*
 * Mapping side: walk the chain that starts at first, for a buffer of
 * buffer_sz octets, and collect the buffer's references into buf_refs
 * (room for xensnd_buffer_pages(buffer_sz)). map/unmap give access to one
 * directory page at a time; each page is copied once before use. The
 * chain must have exactly xensnd_pagedir_pages() pages, end with 0, never
 * repeat a directory page, and contain no reference 0. Returns 0, or
 * -EINVAL with the reason in err; a map failure returns its errno.
 */
struct xensnd_pagedir_mapper {
	/* Map one page read-only; NULL with errno on failure. */
	const void *(*map)(void *data, grant_ref_t ref);
	void (*unmap)(void *data, const void *page);
	void *data;
};

int xensnd_pagedir_walk(const struct xensnd_pagedir_mapper *mapper,
			grant_ref_t first, uint32_t buffer_sz,
			grant_ref_t *buf_refs, char *err, size_t err_size);

#endif
