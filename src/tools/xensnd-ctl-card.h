/* SPDX-License-Identifier: MIT */
/*
 * A card session of xensnd-ctl: one vsnd device of our own domain, its
 * configuration, and the frontend side of its xenbus handshake.
 *
 * connect() runs the handshake for the whole card, as the kernel front
 * and the PipeWire plugin do: every stream gets its ring, event page and
 * event channels, all published in one transaction, Initialised, then the
 * backend's Connected is awaited (bounded). release() undoes it all and
 * puts the card back as it was found -- frontend Initialising, the
 * "Recovery flow" state of sndif.h from which the backend returns to
 * InitWait -- so the next user (another xensnd-ctl, the plugin) finds a
 * card ready to connect.
 *
 * A card whose frontend state is not Initialising belongs to another
 * frontend (the PipeWire plugin, another xensnd-ctl): connect refuses it
 * and says so, it never takes a card over.
 */
#ifndef XENSND_CTL_CARD_H
#define XENSND_CTL_CARD_H

#include <stdbool.h>
#include <stddef.h>	/* offsetof, which xen/io/ring.h uses */
#include <stdint.h>

#include <xensnd/channel.h>
#include <xensnd/config.h>
#include <xensnd/xenbus.h>

#include "xensnd-ctl-parse.h"

#define CTL_CONNECT_TIMEOUT_MS	5000	/* backend InitWait / Connected */
#define CTL_REQUEST_TIMEOUT_MS	2000	/* one ring request, one state change */
#define CTL_PATH_MAX		256

struct ctl_card {
	struct xs_handle *xs;		/* borrowed */
	int signal_fd;			/* borrowed: readable on SIGINT/SIGTERM */
	bool interrupted;		/* a signal arrived: finish up, exit 1 */
	char dev_id[CTL_DEV_ID_MAX];
	char path[CTL_PATH_MAX];	/* device/vsnd/<dev-id>, relative */
	char backend_path[CTL_PATH_MAX];
	domid_t backend_id;
	struct xensnd_card_cfg cfg;

	/* The connection, while we hold one. */
	xengntshr_handle *gntshr;
	struct xensnd_front_channel *channels;	/* one per stream, card order */
	uint32_t n_channels;
	bool watching;			/* watch on the backend's state */
	bool published;			/* our keys are in XenStore */
	bool connected;
	bool disconnected;		/* Closing written, backend awaited */
	bool backend_gone;		/* it left while we were connected */
};

/*
 * Read the card's configuration and where its backend is. Prints what is
 * wrong and returns an exit code (ctl_exit).
 */
int ctl_card_open(struct ctl_card *card, struct xs_handle *xs,
		  const char *dev_id, int signal_fd);

/* The stream pcm/stream and its card-wide index; NULL (printed) if none. */
const struct xensnd_stream_cfg *ctl_card_stream(const struct ctl_card *card,
						uint32_t pcm, uint32_t stream,
						uint32_t *index);

/* Run the frontend handshake (see above). Exit code. */
int ctl_card_connect(struct ctl_card *card);

/*
 * Closing, and wait (bounded) for the backend to let go of every mapping.
 * Before the stream buffers are revoked: the backend may still map them
 * when a stream could not be closed cleanly.
 */
void ctl_card_disconnect(struct ctl_card *card);

/* Disconnect if still connected, restore the card's state, free everything. */
void ctl_card_close(struct ctl_card *card);

/*
 * Wait until fd is readable, the deadline (CLOCK_MONOTONIC, ms) passes or
 * a signal arrives: 1, 0 (timed out), -EINTR (and card->interrupted), or
 * -errno (-EPIPE: fd hung up; said on stderr, naming what). The one place the tool sleeps, so every wait is bounded and
 * interruptible.
 */
int ctl_card_wait_fd(struct ctl_card *card, int fd, const char *what,
		     uint64_t deadline_ms);

uint64_t ctl_now_ms(void);

#endif
