/* SPDX-License-Identifier: MIT */
/*
 * Finding devices: a watch on our backend/vsnd directory (the toolstack
 * adds and removes devices there), one on each frontend's state, and
 * @releaseDomain. Every event leads to one rescan that compares what is
 * in XenStore with the cards we have, so a missed or coalesced event
 * never leaves a card behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xensnd/config.h>
#include <xensnd/xenbus.h>

#include "backend.h"
#include "card.h"
#include "clock.h"
#include "stream.h"

#define VSND_DIR	"backend/vsnd"

static bool parse_index(const char *s, uint32_t *out)
{
	char err[XENSND_ERROR_MAX];

	return xensnd_parse_u32(s, 0, UINT32_MAX, out, err, sizeof(err)) == 0;
}

static struct card *find_card(struct backend *be, uint32_t guest, uint32_t devid)
{
	for (struct card *c = be->cards; c; c = c->next)
		if (c->guest == guest && c->devid == devid)
			return c;
	return NULL;
}

static void scan_guest(struct backend *be, const char *guest_name)
{
	char path[64];
	unsigned int n = 0;
	uint32_t guest, devid;
	char **devs;

	if (!parse_index(guest_name, &guest))
		return;
	snprintf(path, sizeof(path), VSND_DIR "/%u", guest);
	devs = xs_directory(be->xs, XBT_NULL, path, &n);
	for (unsigned int i = 0; devs && i < n; i++) {
		struct card *c;

		if (!parse_index(devs[i], &devid))
			continue;
		c = find_card(be, guest, devid);
		if (c == NULL) {
			c = card_new(be, guest, devid);
			if (c == NULL)
				continue;
			c->next = be->cards;
			be->cards = c;
		}
		c->seen = true;
	}
	free(devs);
}

static void rescan(struct backend *be)
{
	unsigned int n = 0;
	char **guests;
	struct card **link;

	for (struct card *c = be->cards; c; c = c->next)
		c->seen = false;
	guests = xs_directory(be->xs, XBT_NULL, VSND_DIR, &n);
	for (unsigned int i = 0; guests && i < n; i++)
		scan_guest(be, guests[i]);
	free(guests);
	/* Devices the toolstack removed. */
	for (link = &be->cards; *link;) {
		struct card *c = *link;

		if (c->seen) {
			link = &c->next;
			continue;
		}
		be_log("%s: device removed", c->name);
		*link = c->next;
		card_free(c);
		backend_state_changed(be);
	}
	for (struct card *c = be->cards; c; c = c->next)
		card_update(c);
}

static void on_xenstore(struct loop_source *src, uint32_t events)
{
	struct backend *be = src->data;
	char **w;

	/* Drain every queued event, then look once. */
	while ((w = xs_check_watch(be->xs)) != NULL)
		free(w);
	if (errno != EAGAIN) {
		be_log("XenStore connection failed: %s; exiting (restart the "
		       "backend when xenstored is back)", strerror(errno));
		be->loop->quit = true;
		be->exit_code = 1;
		return;
	}
	rescan(be);
}

int backend_watch(struct backend *be)
{
	int r;

	if (!xs_watch(be->xs, VSND_DIR, "backend") ||
	    !xs_watch(be->xs, "@releaseDomain", "release"))
		return -errno;
	r = loop_add(be->loop, &be->xs_src, xs_fileno(be->xs), on_xenstore, be);
	if (r < 0)
		return r;
	rescan(be);
	return 0;
}

void backend_shutdown(struct backend *be)
{
	loop_remove(be->loop, &be->xs_src);
	while (be->cards) {
		struct card *c = be->cards;

		be->cards = c->next;
		card_disconnect(c, true);
		card_free(c);
	}
	xs_unwatch(be->xs, VSND_DIR, "backend");
	xs_unwatch(be->xs, "@releaseDomain", "release");
	backend_state_flush(be, true);
}
