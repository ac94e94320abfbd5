/* SPDX-License-Identifier: MIT */
/*
 * libxengnttab.so.1 for xensim: xengnttab (map others' grants) and
 * xengntshr (grant our pages) from /usr/include/xengnttab.h, on the hub.
 *
 * A share is a sealed memfd we map and hand to the hub, which gives out
 * refs for its pages. A map asks the hub for the memfds behind refs (it
 * checks Xen's rules) and maps their pages contiguously: a PROT_NONE
 * reservation, then MAP_FIXED runs of pages. The pages stay ours until we
 * unmap them, whatever their granter does — Xen's lifetime.
 *
 * All state hangs off the handle; one mutex per handle serialises calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xengnttab.h>

#include "hv_client.h"

#define PAGE		HV_PAGE_SIZE
#define NO_NOTIFY	((uint32_t)-1)

/* A range we mapped (xengnttab) or shared (xengntshr). */
struct region {
	struct region *next;
	void *addr;
	uint32_t count;
	uint64_t notify_id;	/* hub's unmap notification record, or 0 */
	uint32_t *refs;		/* shares only */
};

struct xengntdev_handle {
	struct xentoollog_logger *logger;
	pthread_mutex_t lock;
	int sock;
	struct region *regions;
};

/* ---- handles (both kinds are a struct xengntdev_handle) ---- */

static struct xengntdev_handle *handle_open(struct xentoollog_logger *logger,
					    const char *context)
{
	struct xengntdev_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->logger = logger;
	pthread_mutex_init(&h->lock, NULL);
	h->sock = hv_client_connect(logger, context, 1);
	if (h->sock < 0) {
		int err = errno;

		pthread_mutex_destroy(&h->lock);
		free(h);
		errno = err;
		return NULL;
	}
	return h;
}

/* Like closing the Linux device: our mappings stay valid until munmap();
 * the hub revokes our grants and fires our notifications. */
static int handle_close(struct xengntdev_handle *h)
{
	if (!h)
		return 0;
	while (h->regions) {
		struct region *r = h->regions;

		h->regions = r->next;
		free(r->refs);
		free(r);
	}
	close(h->sock);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return 0;
}

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger,
				 unsigned open_flags)
{
	return handle_open(logger, "xengnttab (xensim)");
}

int xengnttab_close(xengnttab_handle *xgt)
{
	return handle_close(xgt);
}

int xengnttab_fd(xengnttab_handle *xgt)
{
	return xgt->sock;
}

xengntshr_handle *xengntshr_open(struct xentoollog_logger *logger,
				 unsigned open_flags)
{
	return handle_open(logger, "xengntshr (xensim)");
}

int xengntshr_close(xengntshr_handle *xgs)
{
	return handle_close(xgs);
}

int xengntshr_fd(xengntshr_handle *xgs)
{
	return xgs->sock;
}

static struct region *region_add(struct xengntdev_handle *h, void *addr,
				 uint32_t count, uint64_t notify_id)
{
	struct region *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->addr = addr;
	r->count = count;
	r->notify_id = notify_id;
	r->next = h->regions;
	h->regions = r;
	return r;
}

/* Unlink the region starting at addr with count pages, or NULL. */
static struct region *region_take(struct xengntdev_handle *h, void *addr,
				  uint32_t count)
{
	for (struct region **p = &h->regions; *p; p = &(*p)->next) {
		struct region *r = *p;

		if (r->addr == addr && r->count == count) {
			*p = r->next;
			return r;
		}
	}
	return NULL;
}

static void notify_flags(struct hv_req *req, uint32_t notify_offset,
			 evtchn_port_t notify_port)
{
	if (notify_offset != NO_NOTIFY)
		req->flags |= HV_FLAG_NOTIFY_BYTE;
	if (notify_port != (evtchn_port_t)-1)
		req->flags |= HV_FLAG_NOTIFY_PORT;
	req->notify_offset = notify_offset;
	req->port = notify_port;
}

static void fire_notify(struct xengntdev_handle *h, uint64_t id)
{
	struct hv_call call = { .req = { .op = HV_OP_GNT_UNMAP_NOTIFY,
					 .id = id }, .send_fd = -1 };

	if (id && hv_client_call(h->sock, &call) < 0)
		hv_client_log(h->logger, "xengnttab (xensim)", "unmap "
			      "notification failed: %s", strerror(errno));
}

/* ---- mapping ---- */

/* Map the pages of one chunk (what the hub answered) at addr. */
static int map_chunk(void *addr, const struct hv_map_page *pages,
		     uint32_t count, const struct hv_call *call, int prot)
{
	uint32_t i = 0;

	while (i < count) {
		uint32_t run = 1;

		if (pages[i].fd_index >= call->nr_fds) {
			errno = EPROTO;
			return -1;
		}
		/* Consecutive pages of one memfd: one mmap. */
		while (i + run < count &&
		       pages[i + run].fd_index == pages[i].fd_index &&
		       pages[i + run].page == pages[i].page + run)
			run++;
		if (mmap((char *)addr + (size_t)i * PAGE, (size_t)run * PAGE,
			 prot, MAP_SHARED | MAP_FIXED,
			 call->fds[pages[i].fd_index],
			 (off_t)pages[i].page * PAGE) == MAP_FAILED)
			return -1;
		i += run;
	}
	return 0;
}

/* One hub request for up to HV_MAX_MAP_PAGES refs, mapped at addr. */
static int map_request(struct xengntdev_handle *h, void *addr,
		       struct hv_req req, const struct hv_grant_ref *refs,
		       int prot, uint64_t *notify_id)
{
	struct hv_map_page pages[HV_MAX_MAP_PAGES];
	struct hv_call call = {
		.req = req, .send_fd = -1,
		.tail = refs, .tail_len = req.count * sizeof(*refs),
		.rsp_tail = pages, .rsp_tail_len = sizeof(pages),
	};
	int rc = -1;

	if (hv_client_call(h->sock, &call) < 0)
		return -1;
	if (call.rsp_tail_len != req.count * sizeof(pages[0])) {
		errno = EPROTO;
		goto out;
	}
	rc = map_chunk(addr, pages, req.count, &call, prot);
	*notify_id = call.rsp.id;
out:
	for (unsigned i = 0; i < call.nr_fds; i++)
		close(call.fds[i]);
	return rc;
}

static void *map_pages(struct xengntdev_handle *h, uint32_t count,
		       const uint32_t *domids, uint32_t domid,
		       const uint32_t *refs, int prot, uint32_t notify_offset,
		       evtchn_port_t notify_port)
{
	struct hv_req req = { .op = HV_OP_GNT_MAP };
	struct hv_grant_ref chunk[HV_MAX_MAP_PAGES];
	uint64_t notify_id = 0;
	void *addr;
	int err;

	if (count == 0 || !refs) {
		errno = EINVAL;
		return NULL;
	}
	if (prot & PROT_WRITE)
		req.flags |= HV_FLAG_WRITABLE;
	notify_flags(&req, notify_offset, notify_port);
	/* Reserve the whole range first so the pages land contiguously. */
	addr = mmap(NULL, (size_t)count * PAGE, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (addr == MAP_FAILED)
		return NULL;
	pthread_mutex_lock(&h->lock);
	for (uint32_t done = 0; done < count; done += req.count) {
		req.count = count - done < HV_MAX_MAP_PAGES ?
			    count - done : HV_MAX_MAP_PAGES;
		for (uint32_t i = 0; i < req.count; i++)
			chunk[i] = (struct hv_grant_ref){
				domids ? domids[done + i] : domid,
				refs[done + i] };
		if (map_request(h, (char *)addr + (size_t)done * PAGE, req,
				chunk, prot, &notify_id) < 0)
			goto fail;
	}
	if (!region_add(h, addr, count, notify_id))
		goto fail;
	pthread_mutex_unlock(&h->lock);
	return addr;
fail:
	err = errno;
	munmap(addr, (size_t)count * PAGE);
	fire_notify(h, notify_id);
	pthread_mutex_unlock(&h->lock);
	errno = err;
	return NULL;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
			      uint32_t ref, int prot)
{
	return map_pages(xgt, 1, NULL, domid, &ref, prot, NO_NOTIFY,
			 (evtchn_port_t)-1);
}

void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count,
			       uint32_t *domids, uint32_t *refs, int prot)
{
	if (!domids) {
		errno = EINVAL;
		return NULL;
	}
	return map_pages(xgt, count, domids, 0, refs, prot, NO_NOTIFY,
			 (evtchn_port_t)-1);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count,
				      uint32_t domid, uint32_t *refs, int prot)
{
	return map_pages(xgt, count, NULL, domid, refs, prot, NO_NOTIFY,
			 (evtchn_port_t)-1);
}

void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt, uint32_t domid,
				     uint32_t ref, int prot,
				     uint32_t notify_offset,
				     evtchn_port_t notify_port)
{
	return map_pages(xgt, 1, NULL, domid, &ref, prot, notify_offset,
			 notify_port);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address,
		    uint32_t count)
{
	struct region *r;

	pthread_mutex_lock(&xgt->lock);
	r = region_take(xgt, start_address, count);
	if (r) {
		munmap(r->addr, (size_t)r->count * PAGE);
		fire_notify(xgt, r->notify_id);
		free(r);
	}
	pthread_mutex_unlock(&xgt->lock);
	if (!r) {
		/* Linux: not the start and size of one of our mappings. */
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
	/* The hub has its own per-domain limit; nothing to set. */
	return 0;
}

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
			 xengnttab_grant_copy_segment_t *segs)
{
	errno = ENOSYS;
	return -1;
}

int xengnttab_dmabuf_exp_from_refs(xengnttab_handle *xgt, uint32_t domid,
				   uint32_t flags, uint32_t count,
				   const uint32_t *refs, uint32_t *fd)
{
	errno = ENOSYS;
	return -1;
}

int xengnttab_dmabuf_exp_wait_released(xengnttab_handle *xgt, uint32_t fd,
				       uint32_t wait_to_ms)
{
	errno = ENOSYS;
	return -1;
}

int xengnttab_dmabuf_imp_to_refs(xengnttab_handle *xgt, uint32_t domid,
				 uint32_t fd, uint32_t count, uint32_t *refs)
{
	errno = ENOSYS;
	return -1;
}

int xengnttab_dmabuf_imp_release(xengnttab_handle *xgt, uint32_t fd)
{
	errno = ENOSYS;
	return -1;
}

/* ---- sharing ---- */

/* Zeroed pages in a memfd sealed so nobody can shrink it under a mapper. */
static int share_memfd(uint32_t count)
{
	int fd = memfd_create("xensim-grant", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)count * PAGE) < 0 ||
	    fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static void *share(xengntshr_handle *xgs, struct hv_req req, uint32_t *refs)
{
	struct hv_call call = { .req = req, .rsp_tail = refs,
				.rsp_tail_len = req.count * sizeof(*refs) };
	struct region *r = NULL;
	void *addr = MAP_FAILED;
	int err;

	call.send_fd = share_memfd(req.count);
	if (call.send_fd < 0)
		return NULL;
	addr = mmap(NULL, (size_t)req.count * PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED, call.send_fd, 0);
	if (addr == MAP_FAILED)
		goto fail;
	pthread_mutex_lock(&xgs->lock);
	if (hv_client_call(xgs->sock, &call) < 0) {
		pthread_mutex_unlock(&xgs->lock);
		goto fail;
	}
	r = region_add(xgs, addr, req.count, call.rsp.id);
	if (r)
		r->refs = malloc(req.count * sizeof(*refs));
	if (r && r->refs)
		memcpy(r->refs, refs, req.count * sizeof(*refs));
	pthread_mutex_unlock(&xgs->lock);
	if (call.rsp_tail_len != req.count * sizeof(*refs) || !r ||
	    !r->refs) {
		/* Keep the region: xengntshr_unshare() can still end it. */
		errno = r ? (r->refs ? EPROTO : ENOMEM) : ENOMEM;
		goto fail;
	}
	close(call.send_fd);
	return addr;
fail:
	err = errno;
	if (r)
		xengntshr_unshare(xgs, addr, req.count);
	else if (addr != MAP_FAILED)
		munmap(addr, (size_t)req.count * PAGE);
	close(call.send_fd);
	errno = err;
	return NULL;
}

void *xengntshr_share_pages(xengntshr_handle *xgs, uint32_t domid,
			    int count, uint32_t *refs, int writable)
{
	struct hv_req req = { .op = HV_OP_GNT_SHARE, .domid = domid,
			      .count = (uint32_t)count,
			      .flags = writable ? HV_FLAG_WRITABLE : 0 };

	if (count <= 0 || count > HV_MAX_SHARE_PAGES || !refs) {
		errno = EINVAL;
		return NULL;
	}
	return share(xgs, req, refs);
}

void *xengntshr_share_page_notify(xengntshr_handle *xgs, uint32_t domid,
				  uint32_t *ref, int writable,
				  uint32_t notify_offset,
				  evtchn_port_t notify_port)
{
	struct hv_req req = { .op = HV_OP_GNT_SHARE, .domid = domid,
			      .count = 1,
			      .flags = writable ? HV_FLAG_WRITABLE : 0 };

	if (!ref) {
		errno = EINVAL;
		return NULL;
	}
	notify_flags(&req, notify_offset, notify_port);
	return share(xgs, req, ref);
}

int xengntshr_unshare(xengntshr_handle *xgs, void *start_address,
		      uint32_t count)
{
	struct hv_call call = { .req = { .op = HV_OP_GNT_UNSHARE },
				.send_fd = -1 };
	struct region *r;
	int rc = 0;

	pthread_mutex_lock(&xgs->lock);
	r = region_take(xgs, start_address, count);
	if (r && r->refs) {
		/* End the grants first: the hub clears the notify byte in
		 * the page we still map. */
		call.req.count = r->count;
		call.req.id = r->notify_id;
		call.tail = r->refs;
		call.tail_len = r->count * sizeof(*r->refs);
		rc = hv_client_call(xgs->sock, &call);
	}
	pthread_mutex_unlock(&xgs->lock);
	if (!r) {
		errno = EINVAL;
		return -1;
	}
	munmap(r->addr, (size_t)r->count * PAGE);
	free(r->refs);
	free(r);
	return rc;
}
