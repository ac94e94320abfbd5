/* SPDX-License-Identifier: MIT */
/* Page directories of stream buffers, both sides (pagedir.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xensnd/pagedir.h>
#include <xensnd/ring.h>

#define REFS_PER_PAGE	XENSND_PAGEDIR_REFS_PER_PAGE
/* Directory pages of the largest buffer: the walk remembers them all. */
#define MAX_DIR_PAGES \
	(((XENSND_BUFFER_SIZE_MAX / XENSND_PAGE_SIZE) + REFS_PER_PAGE - 1) / REFS_PER_PAGE)

/*
 * The layout of one directory page, addressed without the one-element
 * gref[] array of struct xensnd_page_directory (indexing past it is
 * undefined behaviour, and sanitizers say so).
 */
static grant_ref_t *dir_next(void *page)
{
	return (grant_ref_t *)((char *)page +
		offsetof(struct xensnd_page_directory, gref_dir_next_page));
}

static grant_ref_t *dir_refs(void *page)
{
	return (grant_ref_t *)((char *)page +
		offsetof(struct xensnd_page_directory, gref));
}

uint32_t xensnd_buffer_pages(uint32_t buffer_sz)
{
	return (uint32_t)(((uint64_t)buffer_sz + XENSND_PAGE_SIZE - 1) /
			  XENSND_PAGE_SIZE);
}

uint32_t xensnd_pagedir_pages(uint32_t buffer_sz)
{
	return (xensnd_buffer_pages(buffer_sz) + REFS_PER_PAGE - 1) / REFS_PER_PAGE;
}

int xensnd_pagedir_fill(void *dir_pages, const grant_ref_t *dir_refs_in,
			uint32_t n_dir, const grant_ref_t *buf_refs,
			uint32_t n_buf)
{
	uint32_t done = 0;

	if (n_buf == 0 || n_dir != (n_buf + REFS_PER_PAGE - 1) / REFS_PER_PAGE)
		return -EINVAL;
	for (uint32_t i = 0; i < n_dir; i++)
		if (dir_refs_in[i] == 0)
			return -EINVAL;
	for (uint32_t i = 0; i < n_buf; i++)
		if (buf_refs[i] == 0)
			return -EINVAL;
	for (uint32_t i = 0; i < n_dir; i++) {
		void *page = (char *)dir_pages + (size_t)i * XENSND_PAGE_SIZE;
		uint32_t count = n_buf - done < REFS_PER_PAGE ? n_buf - done : REFS_PER_PAGE;

		/* Unused tail entries are 0, never stale memory. */
		memset(page, 0, XENSND_PAGE_SIZE);
		*dir_next(page) = i + 1 < n_dir ? dir_refs_in[i + 1] : 0;
		memcpy(dir_refs(page), buf_refs + done, count * sizeof(grant_ref_t));
		done += count;
	}
	return 0;
}

/* Map directory page ref, copy it into copy, unmap it. */
static int copy_dir_page(const struct xensnd_pagedir_mapper *mapper,
			 grant_ref_t ref, uint32_t index, void *copy,
			 char *err, size_t err_size)
{
	const void *page;

	errno = 0;
	page = mapper->map(mapper->data, ref);
	if (page == NULL) {
		int res = errno ? -errno : -EIO;

		snprintf(err, err_size, "page directory page %u (ref %u): "
			 "cannot map: %s", index, ref, strerror(-res));
		return res;
	}
	/* The frontend may change the page while we read it: copy once. */
	memcpy(copy, page, XENSND_PAGE_SIZE);
	mapper->unmap(mapper->data, page);
	return 0;
}

static int walk_fail(char *err, size_t err_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int walk_fail(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int xensnd_pagedir_walk(const struct xensnd_pagedir_mapper *mapper,
			grant_ref_t first, uint32_t buffer_sz,
			grant_ref_t *buf_refs, char *err, size_t err_size)
{
	uint32_t n_buf = xensnd_buffer_pages(buffer_sz);
	uint32_t n_dir = xensnd_pagedir_pages(buffer_sz);
	grant_ref_t seen[MAX_DIR_PAGES];
	uint32_t page_copy[XENSND_PAGE_SIZE / sizeof(uint32_t)];
	grant_ref_t ref = first;
	uint32_t done = 0;

	if (buffer_sz == 0 || buffer_sz > XENSND_BUFFER_SIZE_MAX)
		return walk_fail(err, err_size, "buffer size %u out of range (1..%u)",
				 buffer_sz, XENSND_BUFFER_SIZE_MAX);
	for (uint32_t i = 0; i < n_dir; i++) {
		uint32_t count = n_buf - done < REFS_PER_PAGE ? n_buf - done : REFS_PER_PAGE;
		int res;

		if (ref == 0 && i == 0)
			return walk_fail(err, err_size, "page directory reference is 0");
		if (ref == 0)
			return walk_fail(err, err_size, "page directory ends after %u "
					 "pages; a buffer of %u octets needs %u",
					 i, buffer_sz, n_dir);
		for (uint32_t j = 0; j < i; j++)
			if (seen[j] == ref)
				return walk_fail(err, err_size, "page directory loops: "
						 "page %u is ref %u again", i, ref);
		seen[i] = ref;
		res = copy_dir_page(mapper, ref, i, page_copy, err, err_size);
		if (res < 0)
			return res;
		for (uint32_t k = 0; k < count; k++) {
			grant_ref_t r = dir_refs(page_copy)[k];

			if (r == 0)
				return walk_fail(err, err_size, "page directory page %u: "
						 "buffer page %u has grant reference 0",
						 i, done + k);
			buf_refs[done + k] = r;
		}
		done += count;
		ref = *dir_next(page_copy);
	}
	if (ref != 0)
		return walk_fail(err, err_size, "page directory goes on after %u pages "
				 "(next ref %u); a buffer of %u octets needs %u",
				 n_dir, ref, buffer_sz, n_dir);
	return 0;
}
