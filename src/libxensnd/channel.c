/* SPDX-License-Identifier: MIT */
/*
 * A stream's transport over the real Xen libraries (channel.h).
 *
 * Ownership is tracked by the fields themselves: a non-NULL page or
 * handle, a non-zero port or grant reference is held and released by
 * close/free. Xen never hands out event channel port 0 or grant
 * reference 0 (sndif.h, "Assumptions"), so 0 means "none".
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xensnd/channel.h>
#include <xensnd/pagedir.h>

/* Ports drained per call: a channel has two, this bounds a storm. */
#define PENDING_MAX	16

static int errno_or(int fallback)
{
	return errno ? -errno : -fallback;
}

/* ---- front ---- */

static int share_page(xengntshr_handle *gntshr, domid_t backend, void **page,
		      grant_ref_t *ref)
{
	uint32_t r = 0;

	errno = 0;
	*page = xengntshr_share_pages(gntshr, backend, 1, &r, 1);
	if (*page == NULL)
		return errno_or(ENOMEM);
	*ref = r;
	return 0;
}

static int bind_unbound(xenevtchn_handle *evtchn, domid_t remote,
			evtchn_port_t *port)
{
	xenevtchn_port_or_error_t p;

	errno = 0;
	p = xenevtchn_bind_unbound_port(evtchn, remote);
	if (p < 0)
		return errno_or(EIO);
	*port = (evtchn_port_t)p;
	return 0;
}

/* Both ends: unbind a stream's two ports and close their handle. */
static void close_ports(xenevtchn_handle *evtchn, evtchn_port_t port,
			evtchn_port_t evt_port)
{
	if (evtchn == NULL)
		return;
	if (port)
		xenevtchn_unbind(evtchn, port);
	if (evt_port)
		xenevtchn_unbind(evtchn, evt_port);
	xenevtchn_close(evtchn);
}

int xensnd_front_channel_open(struct xensnd_front_channel *ch,
			      xengntshr_handle *gntshr, domid_t backend)
{
	int res;

	memset(ch, 0, sizeof(*ch));
	ch->gntshr = gntshr;
	errno = 0;
	ch->evtchn = xenevtchn_open(NULL, 0);
	if (ch->evtchn == NULL) {
		res = errno_or(EIO);
		goto fail;
	}
	if ((res = share_page(gntshr, backend, &ch->ring_page, &ch->keys.ring_ref)) < 0 ||
	    (res = share_page(gntshr, backend, &ch->evt_page, &ch->keys.evt_ring_ref)) < 0 ||
	    (res = bind_unbound(ch->evtchn, backend, &ch->port)) < 0 ||
	    (res = bind_unbound(ch->evtchn, backend, &ch->evt_port)) < 0)
		goto fail;
	ch->keys.evtchn = ch->port;
	ch->keys.evt_evtchn = ch->evt_port;
	/* Zeroes both pages: fresh shared pages are zero already, but the
	 * backend must never see anything but the ring. */
	xensnd_front_ring_init(&ch->ring, ch->ring_page, ch->evt_page);
	return 0;

fail:
	xensnd_front_channel_close(ch);
	return res;
}

void xensnd_front_channel_close(struct xensnd_front_channel *ch)
{
	close_ports(ch->evtchn, ch->port, ch->evt_port);
	/* Unsharing revokes the grants; Xen keeps a page the backend still
	 * maps until it lets go, so this is safe at any time. */
	if (ch->ring_page)
		xengntshr_unshare(ch->gntshr, ch->ring_page, 1);
	if (ch->evt_page)
		xengntshr_unshare(ch->gntshr, ch->evt_page, 1);
	ch->evtchn = NULL;
	ch->ring_page = ch->evt_page = NULL;
	ch->port = ch->evt_port = 0;
	memset(&ch->keys, 0, sizeof(ch->keys));
}

int xensnd_front_channel_fd(const struct xensnd_front_channel *ch)
{
	return ch->evtchn ? xenevtchn_fd(ch->evtchn) : -1;
}

int xensnd_front_channel_notify(struct xensnd_front_channel *ch)
{
	if (ch->evtchn == NULL || ch->port == 0)
		return -ENOTCONN;
	errno = 0;
	return xenevtchn_notify(ch->evtchn, ch->port) < 0 ? errno_or(EIO) : 0;
}

/*
 * Take pending ports off evtchn without blocking: xenevtchn_pending may
 * block even on a non-blocking fd (see xenevtchn.h), so poll first.
 * Each port is unmasked after it is taken so it can fire again.
 */
static int drain_pending(xenevtchn_handle *evtchn, evtchn_port_t a, bool *fired_a,
			 evtchn_port_t b, bool *fired_b)
{
	int fd = xenevtchn_fd(evtchn);

	for (int i = 0; i < PENDING_MAX; i++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		xenevtchn_port_or_error_t port;
		int r = poll(&pfd, 1, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno_or(EIO);
		if (r == 0 || !(pfd.revents & POLLIN))
			break;
		errno = 0;
		port = xenevtchn_pending(evtchn);
		if (port < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return errno_or(EIO);
		}
		if ((evtchn_port_t)port == a)
			*fired_a = true;
		else if (fired_b && (evtchn_port_t)port == b)
			*fired_b = true;
		if (xenevtchn_unmask(evtchn, (evtchn_port_t)port) < 0)
			return errno_or(EIO);
	}
	return 0;
}

int xensnd_front_channel_pending(struct xensnd_front_channel *ch,
				 bool *responses, bool *events)
{
	*responses = *events = false;
	if (ch->evtchn == NULL)
		return -ENOTCONN;
	return drain_pending(ch->evtchn, ch->port, responses, ch->evt_port, events);
}

/* ---- back ---- */

static int map_page(xengnttab_handle *gnttab, domid_t frontend, grant_ref_t ref,
		    void **page)
{
	errno = 0;
	*page = xengnttab_map_grant_ref(gnttab, frontend, ref,
					PROT_READ | PROT_WRITE);
	return *page ? 0 : errno_or(EIO);
}

static int bind_interdomain(xenevtchn_handle *evtchn, domid_t remote,
			    evtchn_port_t remote_port, evtchn_port_t *port)
{
	xenevtchn_port_or_error_t p;

	errno = 0;
	p = xenevtchn_bind_interdomain(evtchn, remote, remote_port);
	if (p < 0)
		return errno_or(EIO);
	*port = (evtchn_port_t)p;
	return 0;
}

int xensnd_back_channel_open(struct xensnd_back_channel *ch,
			     xengnttab_handle *gnttab, domid_t frontend,
			     const struct xensnd_stream_keys *keys)
{
	int res;

	memset(ch, 0, sizeof(*ch));
	ch->gnttab = gnttab;
	errno = 0;
	ch->evtchn = xenevtchn_open(NULL, 0);
	if (ch->evtchn == NULL) {
		res = errno_or(EIO);
		goto fail;
	}
	if ((res = map_page(gnttab, frontend, keys->ring_ref, &ch->ring_page)) < 0 ||
	    (res = map_page(gnttab, frontend, keys->evt_ring_ref, &ch->evt_page)) < 0 ||
	    (res = bind_interdomain(ch->evtchn, frontend, keys->evtchn, &ch->port)) < 0 ||
	    (res = bind_interdomain(ch->evtchn, frontend, keys->evt_evtchn,
				    &ch->evt_port)) < 0)
		goto fail;
	xensnd_back_ring_init(&ch->ring, ch->ring_page, ch->evt_page);
	return 0;

fail:
	xensnd_back_channel_close(ch);
	return res;
}

void xensnd_back_channel_close(struct xensnd_back_channel *ch)
{
	close_ports(ch->evtchn, ch->port, ch->evt_port);
	if (ch->ring_page)
		xengnttab_unmap(ch->gnttab, ch->ring_page, 1);
	if (ch->evt_page)
		xengnttab_unmap(ch->gnttab, ch->evt_page, 1);
	ch->evtchn = NULL;
	ch->ring_page = ch->evt_page = NULL;
	ch->port = ch->evt_port = 0;
}

int xensnd_back_channel_fd(const struct xensnd_back_channel *ch)
{
	return ch->evtchn ? xenevtchn_fd(ch->evtchn) : -1;
}

static int notify_port(xenevtchn_handle *evtchn, evtchn_port_t port)
{
	if (evtchn == NULL || port == 0)
		return -ENOTCONN;
	errno = 0;
	return xenevtchn_notify(evtchn, port) < 0 ? errno_or(EIO) : 0;
}

int xensnd_back_channel_notify(struct xensnd_back_channel *ch)
{
	return notify_port(ch->evtchn, ch->port);
}

int xensnd_back_channel_notify_event(struct xensnd_back_channel *ch)
{
	return notify_port(ch->evtchn, ch->evt_port);
}

int xensnd_back_channel_pending(struct xensnd_back_channel *ch, bool *requests)
{
	*requests = false;
	if (ch->evtchn == NULL)
		return -ENOTCONN;
	/* The event channel is ours to notify only; if the frontend
	 * signals it anyway, drain and ignore it. */
	return drain_pending(ch->evtchn, ch->port, requests, ch->evt_port, NULL);
}

/* ---- buffers ---- */

int xensnd_front_buffer_alloc(struct xensnd_front_buffer *buf,
			      xengntshr_handle *gntshr, domid_t backend,
			      uint32_t size)
{
	int res;

	memset(buf, 0, sizeof(*buf));
	buf->gntshr = gntshr;
	if (size == 0 || size > XENSND_BUFFER_SIZE_MAX)
		return -EINVAL;
	buf->size = size;
	buf->refs = calloc(xensnd_buffer_pages(size), sizeof(*buf->refs));
	buf->dir_refs = calloc(xensnd_pagedir_pages(size), sizeof(*buf->dir_refs));
	if (buf->refs == NULL || buf->dir_refs == NULL) {
		res = -ENOMEM;
		goto fail;
	}
	errno = 0;
	buf->data = xengntshr_share_pages(gntshr, backend,
					  (int)xensnd_buffer_pages(size), buf->refs, 1);
	if (buf->data == NULL) {
		res = errno_or(ENOMEM);
		goto fail;
	}
	buf->n_pages = xensnd_buffer_pages(size);
	memset(buf->data, 0, (size_t)buf->n_pages * XENSND_PAGE_SIZE);
	/* The backend only reads the directory: grant it read-only. */
	errno = 0;
	buf->dir = xengntshr_share_pages(gntshr, backend,
					 (int)xensnd_pagedir_pages(size), buf->dir_refs, 0);
	if (buf->dir == NULL) {
		res = errno_or(ENOMEM);
		goto fail;
	}
	buf->n_dir = xensnd_pagedir_pages(size);
	res = xensnd_pagedir_fill(buf->dir, buf->dir_refs, buf->n_dir,
				  buf->refs, buf->n_pages);
	if (res < 0)
		goto fail;
	return 0;

fail:
	xensnd_front_buffer_free(buf);
	return res;
}

void xensnd_front_buffer_free(struct xensnd_front_buffer *buf)
{
	if (buf->dir)
		xengntshr_unshare(buf->gntshr, buf->dir, buf->n_dir);
	if (buf->data)
		xengntshr_unshare(buf->gntshr, buf->data, buf->n_pages);
	free(buf->refs);
	free(buf->dir_refs);
	memset(buf, 0, sizeof(*buf));
}

/* Maps one directory page at a time, read-only, for the walk. */
struct dir_mapper {
	xengnttab_handle *gnttab;
	domid_t frontend;
};

static const void *dir_map(void *data, grant_ref_t ref)
{
	struct dir_mapper *m = data;

	return xengnttab_map_grant_ref(m->gnttab, m->frontend, ref, PROT_READ);
}

static void dir_unmap(void *data, const void *page)
{
	struct dir_mapper *m = data;
	union { const void *c; void *p; } u = { .c = page };

	xengnttab_unmap(m->gnttab, u.p, 1);
}

int xensnd_back_buffer_map(struct xensnd_back_buffer *buf,
			   xengnttab_handle *gnttab, domid_t frontend,
			   grant_ref_t gref_directory, uint32_t size,
			   char *err, size_t err_size)
{
	struct dir_mapper m = { gnttab, frontend };
	struct xensnd_pagedir_mapper mapper = { dir_map, dir_unmap, &m };
	uint32_t n_pages = xensnd_buffer_pages(size);
	grant_ref_t *refs;
	int res;

	memset(buf, 0, sizeof(*buf));
	buf->gnttab = gnttab;
	if (size == 0 || size > XENSND_BUFFER_SIZE_MAX) {
		snprintf(err, err_size, "buffer size %u out of range (1..%u)",
			 size, XENSND_BUFFER_SIZE_MAX);
		return -EINVAL;
	}
	refs = calloc(n_pages, sizeof(*refs));
	if (refs == NULL) {
		snprintf(err, err_size, "out of memory for %u grant references", n_pages);
		return -ENOMEM;
	}
	res = xensnd_pagedir_walk(&mapper, gref_directory, size, refs, err, err_size);
	if (res == 0) {
		errno = 0;
		buf->data = xengnttab_map_domain_grant_refs(gnttab, n_pages, frontend,
							    refs, PROT_READ | PROT_WRITE);
		if (buf->data == NULL) {
			res = errno_or(EIO);
			snprintf(err, err_size, "cannot map the %u buffer pages: %s",
				 n_pages, strerror(-res));
		}
	}
	free(refs);
	if (res < 0)
		return res;
	buf->size = size;
	buf->n_pages = n_pages;
	return 0;
}

void xensnd_back_buffer_unmap(struct xensnd_back_buffer *buf)
{
	if (buf->data)
		xengnttab_unmap(buf->gnttab, buf->data, buf->n_pages);
	memset(buf, 0, sizeof(*buf));
}
