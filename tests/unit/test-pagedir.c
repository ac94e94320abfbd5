/* SPDX-License-Identifier: MIT */
/*
 * Page directories: fill on the granting side, walk on the mapping side,
 * for 1 page, exactly one full directory page, one more, many pages and
 * the largest buffer; then broken chains.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/pagedir.h>
#include <xensnd/ring.h>

#include "check.h"

#define DIR_REF_BASE	70000u	/* directory page i is granted as DIR_REF_BASE + i */
#define BUF_REF_BASE	10u	/* buffer page i as BUF_REF_BASE + 3 * i */

/* A stand-in grant table holding the directory pages. */
struct grants {
	uint8_t *dir;		/* n_dir pages */
	uint32_t n_dir;
	grant_ref_t fail_ref;	/* mapping this one fails with EPERM */
	unsigned maps, unmaps;
};

static const void *grants_map(void *data, grant_ref_t ref)
{
	struct grants *g = data;

	if (ref == g->fail_ref) {
		errno = EPERM;
		return NULL;
	}
	if (ref < DIR_REF_BASE || ref - DIR_REF_BASE >= g->n_dir) {
		errno = ENOENT;	/* not granted to us */
		return NULL;
	}
	g->maps++;
	return g->dir + (size_t)(ref - DIR_REF_BASE) * XENSND_PAGE_SIZE;
}

static void grants_unmap(void *data, const void *page)
{
	struct grants *g = data;

	g->unmaps++;
}

struct setup {
	struct grants g;
	grant_ref_t *dir_refs, *buf_refs, *walked;
	uint32_t n_buf;
};

static bool setup_fill(struct setup *s, uint32_t buffer_sz)
{
	memset(s, 0, sizeof(*s));
	s->n_buf = xensnd_buffer_pages(buffer_sz);
	s->g.n_dir = xensnd_pagedir_pages(buffer_sz);
	s->g.dir = malloc((size_t)s->g.n_dir * XENSND_PAGE_SIZE);
	s->dir_refs = calloc(s->g.n_dir, sizeof(grant_ref_t));
	s->buf_refs = calloc(s->n_buf, sizeof(grant_ref_t));
	s->walked = calloc(s->n_buf, sizeof(grant_ref_t));
	if (!s->g.dir || !s->dir_refs || !s->buf_refs || !s->walked)
		return false;
	for (uint32_t i = 0; i < s->g.n_dir; i++)
		s->dir_refs[i] = DIR_REF_BASE + i;
	for (uint32_t i = 0; i < s->n_buf; i++)
		s->buf_refs[i] = BUF_REF_BASE + 3 * i;
	memset(s->g.dir, 0xee, (size_t)s->g.n_dir * XENSND_PAGE_SIZE);
	return xensnd_pagedir_fill(s->g.dir, s->dir_refs, s->g.n_dir,
				   s->buf_refs, s->n_buf) == 0;
}

static void setup_free(struct setup *s)
{
	free(s->g.dir);
	free(s->dir_refs);
	free(s->buf_refs);
	free(s->walked);
}

static int walk(struct setup *s, grant_ref_t first, uint32_t buffer_sz,
		char *err, size_t err_size)
{
	struct xensnd_pagedir_mapper m = { grants_map, grants_unmap, &s->g };

	return xensnd_pagedir_walk(&m, first, buffer_sz, s->walked, err, err_size);
}

static uint32_t *dir_word(struct setup *s, uint32_t page, uint32_t word)
{
	return (uint32_t *)(s->g.dir + (size_t)page * XENSND_PAGE_SIZE) + word;
}

static void test_sizes(struct check *c)
{
	static const struct {
		uint32_t buffer_sz, pages, dir_pages;
		const char *what;
	} sizes[] = {
		{ 1, 1, 1, "1 octet" },
		{ 4096, 1, 1, "1 page" },
		{ 4097, 2, 1, "1 page + 1 octet" },
		{ 1023 * 4096, 1023, 1, "exactly one full directory page (1023)" },
		{ 1024 * 4096, 1024, 2, "1024 pages" },
		{ 1023 * 4096 + 1, 1024, 2, "1023 pages + 1 octet" },
		{ 5000 * 4096, 5000, 5, "5000 pages" },
		{ XENSND_BUFFER_SIZE_MAX, 16384, 17, "64 MiB, the largest" },
	};

	CHECK_EQ(c, XENSND_PAGEDIR_REFS_PER_PAGE, 1023);
	CHECK_EQ(c, xensnd_buffer_pages(0), 0);
	CHECK_EQ(c, xensnd_buffer_pages(UINT32_MAX), 1048576);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct setup s;
		char err[160] = "";
		bool same = true;

		CHECK_EQ(c, xensnd_buffer_pages(sizes[i].buffer_sz), sizes[i].pages);
		CHECK_EQ(c, xensnd_pagedir_pages(sizes[i].buffer_sz), sizes[i].dir_pages);
		if (!CHECK(c, setup_fill(&s, sizes[i].buffer_sz))) {
			setup_free(&s);
			continue;
		}
		/* The last directory page ends the chain; the others link on. */
		CHECK_EQ(c, *dir_word(&s, s.g.n_dir - 1, 0), 0);
		if (s.g.n_dir > 1)
			CHECK_EQ(c, *dir_word(&s, 0, 0), DIR_REF_BASE + 1);
		CHECK_EQ(c, walk(&s, DIR_REF_BASE, sizes[i].buffer_sz, err, sizeof(err)), 0);
		for (uint32_t k = 0; k < s.n_buf; k++)
			same &= s.walked[k] == s.buf_refs[k];
		CHECK(c, same);
		CHECK_EQ(c, s.g.maps, sizes[i].dir_pages);
		CHECK_EQ(c, s.g.unmaps, s.g.maps);
		CHECKED(c, "%s: %u buffer refs in %u directory pages, filled and walked back",
			sizes[i].what, sizes[i].pages, sizes[i].dir_pages);
		setup_free(&s);
	}
}

static void expect_walk_error(struct check *c, struct setup *s, grant_ref_t first,
			      uint32_t buffer_sz, int res, const char *msg)
{
	char err[160] = "";

	s->g.maps = s->g.unmaps = 0;
	CHECK_EQ(c, walk(s, first, buffer_sz, err, sizeof(err)), res);
	CHECK_STR(c, err, msg);
	CHECK_EQ(c, s->g.unmaps, s->g.maps);	/* nothing left mapped */
}

static void test_broken(struct check *c)
{
	const uint32_t sz = 3000 * 4096;	/* 3 directory pages */
	struct setup s;

	if (!CHECK(c, setup_fill(&s, sz))) {
		setup_free(&s);
		return;
	}
	expect_walk_error(c, &s, 0, sz, -EINVAL, "page directory reference is 0");
	expect_walk_error(c, &s, DIR_REF_BASE, 0, -EINVAL,
			  "buffer size 0 out of range (1..67108864)");
	expect_walk_error(c, &s, DIR_REF_BASE, XENSND_BUFFER_SIZE_MAX + 1, -EINVAL,
			  "buffer size 67108865 out of range (1..67108864)");
	/* Short chain: page 1 says it is the last. */
	*dir_word(&s, 1, 0) = 0;
	expect_walk_error(c, &s, DIR_REF_BASE, sz, -EINVAL,
			  "page directory ends after 2 pages; a buffer of 12288000 octets needs 3");
	/* Loop: page 1 points back to page 0. */
	*dir_word(&s, 1, 0) = DIR_REF_BASE;
	expect_walk_error(c, &s, DIR_REF_BASE, sz, -EINVAL,
			  "page directory loops: page 2 is ref 70000 again");
	/* Self loop on the first page. */
	*dir_word(&s, 0, 0) = DIR_REF_BASE;
	expect_walk_error(c, &s, DIR_REF_BASE, sz, -EINVAL,
			  "page directory loops: page 1 is ref 70000 again");
	*dir_word(&s, 0, 0) = DIR_REF_BASE + 1;
	*dir_word(&s, 1, 0) = DIR_REF_BASE + 2;
	/* Long chain: the last page links on. */
	*dir_word(&s, 2, 0) = DIR_REF_BASE + 7;
	expect_walk_error(c, &s, DIR_REF_BASE, sz, -EINVAL,
			  "page directory goes on after 3 pages (next ref 70007); "
			  "a buffer of 12288000 octets needs 3");
	/* A chain longer than the buffer needs, seen from a smaller size. */
	*dir_word(&s, 2, 0) = 0;
	expect_walk_error(c, &s, DIR_REF_BASE, 2046 * 4096, -EINVAL,
			  "page directory goes on after 2 pages (next ref 70002); "
			  "a buffer of 8380416 octets needs 2");
	/* Reference 0 among the buffer's pages. */
	*dir_word(&s, 1, 1 + 17) = 0;
	expect_walk_error(c, &s, DIR_REF_BASE, sz, -EINVAL,
			  "page directory page 1: buffer page 1040 has grant reference 0");
	*dir_word(&s, 1, 1 + 17) = 5;
	/* A reference we cannot map. */
	s.g.fail_ref = DIR_REF_BASE + 2;
	expect_walk_error(c, &s, DIR_REF_BASE, sz, -EPERM,
			  "page directory page 2 (ref 70002): cannot map: Operation not permitted");
	s.g.fail_ref = 0;
	CHECK_EQ(c, walk(&s, DIR_REF_BASE, sz, (char[160]){ 0 }, 160), 0);
	CHECKED(c, "broken chains: ref 0 first, size 0 and too big, short, loops, long, "
		"buffer ref 0, map failure -- each refused with its reason, nothing left mapped");

	/* The granting side refuses inconsistent input too. */
	CHECK_EQ(c, xensnd_pagedir_fill(s.g.dir, s.dir_refs, 2, s.buf_refs, s.n_buf), -EINVAL);
	CHECK_EQ(c, xensnd_pagedir_fill(s.g.dir, s.dir_refs, 3, s.buf_refs, 0), -EINVAL);
	s.buf_refs[7] = 0;
	CHECK_EQ(c, xensnd_pagedir_fill(s.g.dir, s.dir_refs, 3, s.buf_refs, s.n_buf), -EINVAL);
	s.buf_refs[7] = 1;
	s.dir_refs[2] = 0;
	CHECK_EQ(c, xensnd_pagedir_fill(s.g.dir, s.dir_refs, 3, s.buf_refs, s.n_buf), -EINVAL);
	CHECKED(c, "fill: wrong directory size, empty buffer, ref 0 -> -EINVAL");
	setup_free(&s);
}

int main(void)
{
	struct check c = { "pagedir" };

	test_sizes(&c);
	test_broken(&c);
	return check_done(&c);
}
