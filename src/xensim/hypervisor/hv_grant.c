/* SPDX-License-Identifier: MIT */
/*
 * Each domain's grant table, with Xen's rules: refs are numbered per
 * granting domain, the first GNTTAB_NR_RESERVED_ENTRIES (and so ref 0) are
 * never handed out, a ref maps only for the domain it was granted to, a
 * read-only grant maps only read-only, a revoked ref does not map.
 *
 * A granted page is a page of the sharer's memfd. A mapper gets that memfd
 * (read-only when it maps read-only) and mmaps it itself, so its mapping
 * lives until it unmaps, whatever the sharer does later — Xen's lifetime.
 * The hub drops its own reference when the grant is revoked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv_server_priv.h"

/* One domain cannot grow the hub without bound. */
#define MAX_GRANTS_PER_DOMAIN	65536

static void mem_unref(struct hv_memory *mem)
{
	if (--mem->refs > 0)
		return;
	close(mem->fd);
	if (mem->ro_fd >= 0)
		close(mem->ro_fd);
	free(mem);
}

/* Adopt a client's memfd after checking that it is one we can trust: read-
 * write, sealed against shrinking, big enough. */
static int mem_new(int fd, uint32_t pages, struct hv_memory **out)
{
	struct hv_memory *mem;
	struct stat st;
	int seals, flags;

	seals = fcntl(fd, F_GET_SEALS);
	flags = fcntl(fd, F_GETFL);
	if (seals < 0 || !(seals & F_SEAL_SHRINK) || flags < 0 ||
	    (flags & O_ACCMODE) != O_RDWR || fstat(fd, &st) < 0 ||
	    (uint64_t)st.st_size < (uint64_t)pages * HV_PAGE_SIZE)
		return -EINVAL;
	mem = calloc(1, sizeof(*mem));
	if (!mem)
		return -ENOMEM;
	mem->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (mem->fd < 0) {
		free(mem);
		return -errno;
	}
	mem->ro_fd = -1;
	mem->pages = pages;
	*out = mem;
	return 0;
}

static int mem_fd(struct hv_memory *mem, bool writable)
{
	char path[64];

	if (writable)
		return mem->fd;
	if (mem->ro_fd < 0) {
		/* A fresh read-only open of the same file: the mapper cannot
		 * turn its mapping writable. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", mem->fd);
		mem->ro_fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	return mem->ro_fd;
}

static int grow_table(struct hv_domain *dom)
{
	uint32_t n = dom->nr_grants ? dom->nr_grants * 2 : 64;
	struct hv_grant *g;

	if (n > MAX_GRANTS_PER_DOMAIN)
		n = MAX_GRANTS_PER_DOMAIN;
	if (n <= dom->nr_grants)
		return -ENOSPC;
	g = realloc(dom->grants, n * sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (uint32_t i = dom->nr_grants; i < n; i++)
		g[i] = (struct hv_grant){ 0 };
	dom->grants = g;
	dom->nr_grants = n;
	return 0;
}

/* A free ref, searching round-robin from next_ref so that a just-revoked
 * ref is not handed out again at once. 0 if the table is full. */
static uint32_t alloc_ref(struct hv_domain *dom)
{
	for (;;) {
		uint32_t span = dom->nr_grants > GNTTAB_NR_RESERVED_ENTRIES ?
			dom->nr_grants - GNTTAB_NR_RESERVED_ENTRIES : 0;

		for (uint32_t i = 0; i < span; i++) {
			uint32_t ref = dom->next_ref;

			dom->next_ref = ref + 1 < dom->nr_grants ? ref + 1 :
					GNTTAB_NR_RESERVED_ENTRIES;
			if (!dom->grants[ref].mem)
				return ref;
		}
		if (grow_table(dom) < 0)
			return 0;
		dom->next_ref = span + GNTTAB_NR_RESERVED_ENTRIES;
	}
}

static void revoke_grant(struct hv_domain *dom, uint32_t ref)
{
	struct hv_grant *g = &dom->grants[ref];

	mem_unref(g->mem);
	*g = (struct hv_grant){ 0 };
}

static int add_notify(struct hv_conn *conn, const struct hv_req *req,
		      struct hv_memory *mem, uint32_t page, uint64_t *id)
{
	struct hv_notify *n;

	*id = 0;
	if (!(req->flags & (HV_FLAG_NOTIFY_BYTE | HV_FLAG_NOTIFY_PORT)))
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->id = conn->dom->hv->next_notify_id++;
	n->mem = mem;
	mem->refs++;
	n->byte_offset = (uint64_t)page * HV_PAGE_SIZE + req->notify_offset;
	n->flags = req->flags;
	n->port = req->port;
	n->next = conn->notifies;
	conn->notifies = n;
	*id = n->id;
	return 0;
}

static int check_notify(const struct hv_req *req)
{
	if ((req->flags & (HV_FLAG_NOTIFY_BYTE | HV_FLAG_NOTIFY_PORT)) &&
	    req->count != 1)
		return -EINVAL;
	if ((req->flags & HV_FLAG_NOTIFY_BYTE) &&
	    req->notify_offset >= HV_PAGE_SIZE)
		return -EINVAL;
	return 0;
}

int hv_grant_share(struct hv_conn *conn, const struct hv_req *req,
		   int memfd, uint32_t *refs, struct hv_reply *reply)
{
	struct hv_domain *dom = conn->dom;
	struct hv_memory *mem = NULL;
	uint32_t i;
	int err;

	if (req->domid >= XENSIM_MAX_DOMID)
		return -EINVAL;
	err = check_notify(req);
	if (!err)
		err = mem_new(memfd, req->count, &mem);
	if (err)
		return err;
	mem->refs = 1;		/* ours while we fill the table */
	for (i = 0; i < req->count; i++) {
		refs[i] = alloc_ref(dom);
		if (!refs[i]) {
			err = -ENOSPC;
			break;
		}
		dom->grants[refs[i]] = (struct hv_grant){
			.mem = mem, .owner = conn, .grantee = req->domid,
			.page = i, .writable = req->flags & HV_FLAG_WRITABLE,
		};
		mem->refs++;
	}
	if (!err)
		err = add_notify(conn, req, mem, 0, &reply->rsp.id);
	if (err)
		while (i-- > 0)
			revoke_grant(dom, refs[i]);
	mem_unref(mem);
	if (err)
		return err;
	reply->rsp.count = req->count;
	reply->tail = refs;
	reply->tail_len = req->count * sizeof(*refs);
	return 0;
}

static struct hv_grant *find_grant(struct hv_domain *dom, uint32_t ref)
{
	if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= dom->nr_grants ||
	    !dom->grants[ref].mem)
		return NULL;
	return &dom->grants[ref];
}

/* Pop the notify record id of conn, or NULL. */
static struct hv_notify *take_notify(struct hv_conn *conn, uint64_t id)
{
	for (struct hv_notify **p = &conn->notifies; *p; p = &(*p)->next) {
		struct hv_notify *n = *p;

		if (n->id == id) {
			*p = n->next;
			return n;
		}
	}
	return NULL;
}

/* Clear the byte, then send the event: pwrite() is a syscall, finished
 * before the seq_cst pending store in hv_evtchn_send, so a peer woken by
 * the event reads the cleared byte. */
static void fire_notify(struct hv_domain *dom, struct hv_notify *n)
{
	static const uint8_t zero;

	if ((n->flags & HV_FLAG_NOTIFY_BYTE) &&
	    pwrite(n->mem->fd, &zero, 1, (off_t)n->byte_offset) != 1)
		hv_log(dom->hv, "dom%u: cannot clear the unmap notify byte",
		       dom->domid);
	if (n->flags & HV_FLAG_NOTIFY_PORT)
		hv_evtchn_send(dom, n->port);
	mem_unref(n->mem);
	free(n);
}

int hv_grant_unshare(struct hv_conn *conn, const struct hv_req *req,
		     const uint32_t *refs)
{
	struct hv_domain *dom = conn->dom;
	struct hv_notify *n = NULL;

	for (uint32_t i = 0; i < req->count; i++) {
		struct hv_grant *g = find_grant(dom, refs[i]);

		if (!g || g->owner != conn)
			return -EINVAL;
	}
	if (req->id) {
		n = take_notify(conn, req->id);
		if (!n)
			return -EINVAL;
	}
	for (uint32_t i = 0; i < req->count; i++)
		if (dom->grants[refs[i]].mem)	/* a ref listed twice */
			revoke_grant(dom, refs[i]);
	if (n)
		fire_notify(dom, n);
	return 0;
}

/* Xen's checks for one ref, as GNTST_* turned errno. */
static int check_map(struct hv_conn *conn, const struct hv_grant_ref *gr,
		     bool writable, struct hv_grant **out)
{
	struct hv_domain *gdom = hv_domain_find(conn->dom->hv, gr->domid);
	struct hv_grant *g;

	if (!gdom)
		return -ESRCH;		/* GNTST_bad_domain */
	g = find_grant(gdom, gr->ref);
	if (!g)
		return -EINVAL;		/* GNTST_bad_gntref */
	if (g->grantee != conn->dom->domid || (writable && !g->writable))
		return -EPERM;		/* GNTST_permission_denied */
	*out = g;
	return 0;
}

/* Index of fd in the reply's fds, adding it if new. */
static int reply_fd(struct hv_reply *reply, int fd)
{
	for (unsigned i = 0; i < reply->nr_fds; i++)
		if (reply->fds[i] == fd)
			return (int)i;
	if (reply->nr_fds >= HV_MAX_FDS)
		return -E2BIG;
	reply->fds[reply->nr_fds] = fd;
	return (int)reply->nr_fds++;
}

int hv_grant_map(struct hv_conn *conn, const struct hv_req *req,
		 const struct hv_grant_ref *refs, struct hv_map_page *pages,
		 struct hv_reply *reply)
{
	bool writable = req->flags & HV_FLAG_WRITABLE;
	struct hv_grant *g = NULL;
	int err = check_notify(req);

	/* Linux's gntdev clears the notify byte through the mapping. */
	if (!err && (req->flags & HV_FLAG_NOTIFY_BYTE) && !writable)
		err = -EINVAL;
	for (uint32_t i = 0; !err && i < req->count; i++) {
		int fd, idx;

		err = check_map(conn, &refs[i], writable, &g);
		if (err)
			break;
		fd = mem_fd(g->mem, writable);
		idx = fd < 0 ? -ENOMEM : reply_fd(reply, fd);
		if (idx < 0)
			err = idx;
		else
			pages[i] = (struct hv_map_page){ (uint32_t)idx,
							 g->page };
	}
	if (!err)
		err = add_notify(conn, req, g->mem, g->page, &reply->rsp.id);
	if (err) {
		reply->nr_fds = 0;
		return err;
	}
	reply->rsp.count = req->count;
	reply->tail = pages;
	reply->tail_len = req->count * sizeof(*pages);
	return 0;
}

int hv_grant_unmap_notify(struct hv_conn *conn, uint64_t id)
{
	struct hv_notify *n = take_notify(conn, id);

	if (!n)
		return -EINVAL;
	fire_notify(conn->dom, n);
	return 0;
}

void hv_grant_close(struct hv_conn *conn)
{
	struct hv_domain *dom = conn->dom;

	while (conn->notifies) {
		struct hv_notify *n = conn->notifies;

		conn->notifies = n->next;
		fire_notify(dom, n);
	}
	for (uint32_t ref = 0; ref < dom->nr_grants; ref++)
		if (dom->grants[ref].mem && dom->grants[ref].owner == conn)
			revoke_grant(dom, ref);
}

void hv_grant_table_free(struct hv_domain *dom)
{
	for (uint32_t ref = 0; ref < dom->nr_grants; ref++)
		if (dom->grants[ref].mem)
			revoke_grant(dom, ref);
	free(dom->grants);
	dom->grants = NULL;
	dom->nr_grants = 0;
}
