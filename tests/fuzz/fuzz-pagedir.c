/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the page-directory walk: the input is a buffer size, the first
 * directory reference, then the contents of up to 20 directory pages
 * granted as references 1..20 (a hostile frontend's chain). The walk
 * either refuses with a reason or returns exactly the buffer's number
 * of non-zero references, having unmapped every page it mapped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/pagedir.h>
#include <xensnd/ring.h>

#include "fuzz-input.h"

#define POOL_PAGES 20

struct pool {
	uint8_t pages[POOL_PAGES][XENSND_PAGE_SIZE];
	int mapped;
};

static const void *pool_map(void *data, grant_ref_t ref)
{
	struct pool *p = data;

	if (ref == 0 || ref > POOL_PAGES) {
		errno = EINVAL;
		return NULL;
	}
	p->mapped++;
	return p->pages[ref - 1];
}

static void pool_unmap(void *data, const void *page)
{
	struct pool *p = data;

	p->mapped--;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pool *pool = calloc(1, sizeof(*pool));
	/* room for the largest buffer */
	grant_ref_t *refs = calloc(xensnd_buffer_pages(XENSND_BUFFER_SIZE_MAX), sizeof(*refs));
	struct input in = { data, size };
	struct xensnd_pagedir_mapper mapper = { pool_map, pool_unmap, NULL };
	uint32_t buffer_sz, first;
	char err[160] = "";
	int res;

	mapper.data = pool;
	/* Mostly sizes a few directory pages long, sometimes anything. */
	buffer_sz = take_u32(&in);
	if (!(buffer_sz & 0x80000000u))
		buffer_sz %= 24u << 20;
	first = take_u8(&in) % (POOL_PAGES + 2);
	for (int i = 0; i < POOL_PAGES; i++)
		take_bytes(&in, pool->pages[i], XENSND_PAGE_SIZE);
	pool->mapped = 0;
	res = xensnd_pagedir_walk(&mapper, first, buffer_sz, refs, err, sizeof(err));
	FUZZ_ASSERT(pool->mapped == 0);
	if (res == 0) {
		uint32_t n = xensnd_buffer_pages(buffer_sz);

		FUZZ_ASSERT(buffer_sz >= 1 && buffer_sz <= XENSND_BUFFER_SIZE_MAX);
		for (uint32_t i = 0; i < n; i++)
			FUZZ_ASSERT(refs[i] != 0);
	} else {
		FUZZ_ASSERT(res == -EINVAL);	/* the pool's map fails with EINVAL too */
		FUZZ_ASSERT(err[0] != '\0');
	}
	free(pool);
	free(refs);
	return 0;
}
