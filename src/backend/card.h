/* SPDX-License-Identifier: MIT */
/*
 * One vsnd device of one guest (a card): the backend side of its xenbus
 * handshake (xenbus.h), its configuration read from the frontend's
 * XenStore directory, and its streams while Connected.
 */
#ifndef XENSND_BACKEND_CARD_H
#define XENSND_BACKEND_CARD_H

#include <stdbool.h>
#include <stdint.h>

#include <xensnd/config.h>

#include "backend.h"

struct stream;

struct card {
	struct backend *be;
	struct card *next;
	uint32_t guest;
	uint32_t devid;
	char name[32];			/* "dom1 vsnd0" */
	char be_path[96];		/* backend/vsnd/<guest>/<devid> (ours) */
	char fe_path[128];		/* the "frontend" key */
	char fe_state_path[160];
	bool fe_watched;
	bool seen;			/* rescan mark */
	bool connected;
	bool connect_refused;		/* wait for the frontend to start over */
	struct xensnd_card_cfg cfg;
	struct stream *streams;
	uint32_t n_streams;
};

/* A new card for backend/vsnd/<guest>/<devid>; NULL on failure (logged). */
struct card *card_new(struct backend *be, uint32_t guest, uint32_t devid);
/* Tear down (no XenStore writes) and free. */
void card_free(struct card *card);
/* Act on the frontend's and our state (xensnd_back_next). */
void card_update(struct card *card);
/* Close all streams and state Closed: the frontend broke the protocol. */
void card_fail(struct card *card, const char *why);
/* Close all streams; write state Closed when write_state. */
void card_disconnect(struct card *card, bool write_state);

#endif
