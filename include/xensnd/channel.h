/* SPDX-License-Identifier: MIT */
/*
 * A stream's transport over the real Xen libraries: request ring page,
 * event page, and their two event channels; and the granted stream
 * buffer with its page directory.
 *
 * Front: shares two zeroed pages with the backend (xengntshr), allocates
 * two unbound event channels for it (one xenevtchn handle per stream, so
 * each stream has its own pollable fd), and builds the ring on them.
 * Back: maps the two pages (xengnttab) and binds to the channels.
 *
 * Ownership: a channel owns its pages, grants, ports and handle; close
 * releases all of them and may be called on a half-opened or closed
 * channel. Open and close run on one thread (the main loop); notify and
 * the ring calls may run on another (the data loop).
 */
#ifndef XENSND_CHANNEL_H
#define XENSND_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include <xensnd/ring.h>
#include <xensnd/xenbus.h>

struct xensnd_front_channel {
	xengntshr_handle *gntshr;	/* borrowed from the card */
	xenevtchn_handle *evtchn;	/* owned; xenevtchn_fd() goes on a loop */
	void *ring_page;
	void *evt_page;
	struct xensnd_stream_keys keys;	/* what we publish */
	evtchn_port_t port;		/* local end of keys.evtchn */
	evtchn_port_t evt_port;		/* local end of keys.evt_evtchn */
	struct xensnd_front_ring ring;
};

/* 0 or -errno; on failure everything taken is given back. */
int xensnd_front_channel_open(struct xensnd_front_channel *ch,
			      xengntshr_handle *gntshr, domid_t backend);
void xensnd_front_channel_close(struct xensnd_front_channel *ch);
int xensnd_front_channel_fd(const struct xensnd_front_channel *ch);
/* Notify the request channel. */
int xensnd_front_channel_notify(struct xensnd_front_channel *ch);
/*
 * Drain pending ports of this channel's handle (unmasking each). Sets
 * *requests / *events when the request-ring / event-page channel fired.
 * Never blocks. 0 or -errno.
 */
int xensnd_front_channel_pending(struct xensnd_front_channel *ch,
				 bool *responses, bool *events);

struct xensnd_back_channel {
	xengnttab_handle *gnttab;	/* borrowed */
	xenevtchn_handle *evtchn;	/* owned */
	void *ring_page;
	void *evt_page;
	evtchn_port_t port;		/* local, bound to the front's evtchn */
	evtchn_port_t evt_port;		/* local, bound to the front's evt_evtchn */
	struct xensnd_back_ring ring;
};

int xensnd_back_channel_open(struct xensnd_back_channel *ch,
			     xengnttab_handle *gnttab, domid_t frontend,
			     const struct xensnd_stream_keys *keys);
void xensnd_back_channel_close(struct xensnd_back_channel *ch);
int xensnd_back_channel_fd(const struct xensnd_back_channel *ch);
int xensnd_back_channel_notify(struct xensnd_back_channel *ch);	/* responses */
int xensnd_back_channel_notify_event(struct xensnd_back_channel *ch);	/* events */
/* Drain pending ports; *requests when the request channel fired. */
int xensnd_back_channel_pending(struct xensnd_back_channel *ch, bool *requests);

/*
 * A stream buffer granted to the backend through a page directory.
 * Pages are zeroed before they are granted (memory never leaks to the
 * other domain), and the grants are revoked by free.
 */
struct xensnd_front_buffer {
	xengntshr_handle *gntshr;	/* borrowed */
	uint8_t *data;			/* buffer_sz octets, page-rounded */
	uint32_t size;			/* buffer_sz */
	uint32_t n_pages;
	grant_ref_t *refs;		/* n_pages */
	void *dir;			/* directory pages */
	uint32_t n_dir;
	grant_ref_t *dir_refs;		/* n_dir; dir_refs[0] is gref_directory */
};

int xensnd_front_buffer_alloc(struct xensnd_front_buffer *buf,
			      xengntshr_handle *gntshr, domid_t backend,
			      uint32_t size);
void xensnd_front_buffer_free(struct xensnd_front_buffer *buf);

/* The backend's mapping of a frontend's buffer. */
struct xensnd_back_buffer {
	xengnttab_handle *gnttab;	/* borrowed */
	uint8_t *data;
	uint32_t size;
	uint32_t n_pages;
};

/* Walk the directory (pagedir.h rules), map the buffer. -EINVAL with err. */
int xensnd_back_buffer_map(struct xensnd_back_buffer *buf,
			   xengnttab_handle *gnttab, domid_t frontend,
			   grant_ref_t gref_directory, uint32_t size,
			   char *err, size_t err_size);
void xensnd_back_buffer_unmap(struct xensnd_back_buffer *buf);

#endif
