/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/ring.h>	/* xen/io/sndif.h with what it needs first */

#include <xensnd/xenbus.h>

#include "card.h"
#include "stream.h"

#define STR_(x) #x
#define STR(x) STR_(x)
/* The protocol versions we speak, as "versions" lists them. */
#define OUR_VERSIONS	STR(XENSND_PROTOCOL_VERSION)

static char *read_key(struct xs_handle *xs, const char *dir, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(xs, XBT_NULL, path, &len);
}

struct card *card_new(struct backend *be, uint32_t guest, uint32_t devid)
{
	struct card *card = calloc(1, sizeof(*card));
	char prefix[48];
	char *fe;

	if (card == NULL)
		return NULL;
	card->be = be;
	card->guest = guest;
	card->devid = devid;
	snprintf(card->name, sizeof(card->name), "dom%u vsnd%u", guest, devid);
	snprintf(card->be_path, sizeof(card->be_path), "backend/vsnd/%u/%u",
		 guest, devid);
	fe = read_key(be->xs, card->be_path, "frontend");
	snprintf(prefix, sizeof(prefix), "/local/domain/%u/", guest);
	/* The toolstack writes "frontend" with the device; until it is there
	 * (or if it points outside the guest) there is nothing to serve. */
	if (fe == NULL || strncmp(fe, prefix, strlen(prefix)) != 0 ||
	    strlen(fe) >= sizeof(card->fe_path)) {
		if (fe != NULL)
			be_log("%s: %s/frontend is \"%s\", not under %s; ignoring "
			       "the device", card->name, card->be_path, fe, prefix);
		free(fe);
		free(card);
		return NULL;
	}
	strcpy(card->fe_path, fe);
	free(fe);
	snprintf(card->fe_state_path, sizeof(card->fe_state_path), "%s/state",
		 card->fe_path);
	card->fe_watched = xs_watch(be->xs, card->fe_state_path, "frontend");
	if (!card->fe_watched)
		be_log("%s: cannot watch %s (%s); following it only through our "
		       "own device's changes", card->name, card->fe_state_path,
		       strerror(errno));
	be_log("%s: new device, frontend %s", card->name, card->fe_path);
	return card;
}

static void free_streams(struct card *card, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		stream_fini(&card->streams[i]);
	free(card->streams);
	card->streams = NULL;
	card->n_streams = 0;
}

static void write_state(struct card *card, enum xenbus_state state)
{
	int r;

	/* Writing the value it already has would fire our own watch again
	 * and again: only real changes are written. */
	if (xensnd_read_state(card->be->xs, XBT_NULL, card->be_path) == state)
		return;
	r = xensnd_write_state_guarded(card->be->xs, card->be_path,
				       "frontend-id", state);
	if (r == -ENOENT)
		return;		/* the toolstack removed the device: leave it gone */
	if (r < 0)
		be_log("%s: writing %s/state = %s failed: %s", card->name,
		       card->be_path, xensnd_state_name(state), strerror(-r));
}

void card_disconnect(struct card *card, bool write)
{
	if (card->connected)
		be_log("%s: disconnected", card->name);
	free_streams(card, card->n_streams);
	xensnd_card_cfg_clear(&card->cfg);
	card->connected = false;
	if (write)
		write_state(card, XenbusStateClosed);
	backend_state_changed(card->be);
	backend_state_flush(card->be, true);
}

void card_fail(struct card *card, const char *why)
{
	be_log("%s: the frontend broke the protocol (%s); closing the device, "
	       "it may reconnect", card->name, why);
	card_disconnect(card, true);
	card->connect_refused = true;
}

void card_free(struct card *card)
{
	card_disconnect(card, false);
	if (card->fe_watched)
		xs_unwatch(card->be->xs, card->fe_state_path, "frontend");
	free(card);
}

/* The toolstack sets online = 0 before it removes a device (as libxl
 * does): such a device gets no new connection, whatever its frontend does. */
static bool going_offline(struct card *card)
{
	char *online = read_key(card->be->xs, card->be_path, "online");
	bool offline = online != NULL && strcmp(online, "0") == 0;

	free(online);
	return offline;
}

static void init_wait(struct card *card)
{
	int r;

	if (going_offline(card))
		return;
	r = xensnd_write_guarded(card->be->xs, card->be_path, "frontend-id",
				 XENSND_FIELD_BE_VERSIONS, OUR_VERSIONS);
	if (r == -ENOENT)
		return;		/* removed by the toolstack meanwhile */
	if (r < 0)
		be_log("%s: writing %s/%s failed: %s", card->name, card->be_path,
		       XENSND_FIELD_BE_VERSIONS, strerror(-r));
	write_state(card, XenbusStateInitWait);
}

static int check_version(struct card *card)
{
	char *v = read_key(card->be->xs, card->fe_path, XENSND_FIELD_FE_VERSION);
	int r = 0;

	if (v == NULL || strcmp(v, OUR_VERSIONS) != 0) {
		be_log("%s: %s/%s is \"%s\"; this backend speaks version %s",
		       card->name, card->fe_path, XENSND_FIELD_FE_VERSION,
		       v ? v : "(missing)", OUR_VERSIONS);
		r = -EINVAL;
	}
	free(v);
	return r;
}

static int open_streams(struct card *card)
{
	struct backend *be = card->be;
	uint32_t n = xensnd_card_cfg_n_streams(&card->cfg), i = 0;

	card->streams = calloc(n ? n : 1, sizeof(*card->streams));
	if (card->streams == NULL)
		return -ENOMEM;
	for (uint32_t p = 0; p < card->cfg.n_pcms; p++) {
		const struct xensnd_pcm_cfg *pcm = &card->cfg.pcms[p];

		for (uint32_t k = 0; k < pcm->n_streams; k++, i++) {
			const struct xensnd_stream_cfg *sc = &pcm->streams[k];
			struct xensnd_stream_keys keys;
			char path[200], err[XENSND_ERROR_MAX];
			int r;

			snprintf(path, sizeof(path), "%s/%u/%u", card->fe_path,
				 pcm->index, sc->index);
			r = xensnd_back_read_stream_keys(be->xs, XBT_NULL, path, &keys,
							 err, sizeof(err));
			if (r < 0) {
				be_log("%s: %s", card->name, err);
				free_streams(card, i);
				return r;
			}
			r = stream_init(&card->streams[i], be, card, card->guest,
					card->devid, pcm->index, sc, &keys);
			if (r < 0) {
				free_streams(card, i);
				return r;
			}
		}
	}
	card->n_streams = n;
	return 0;
}

static int connect_card(struct card *card)
{
	struct xensnd_xs_reader reader;
	char err[XENSND_ERROR_MAX];
	int r = check_version(card);

	if (r < 0)
		return r;
	xensnd_xs_reader_init(&reader, card->be->xs, XBT_NULL);
	r = xensnd_card_cfg_read(&card->cfg, &reader.reader, card->fe_path, err,
				 sizeof(err));
	if (r < 0) {
		be_log("%s: bad configuration: %s", card->name, err);
		return r;
	}
	r = open_streams(card);
	if (r < 0) {
		xensnd_card_cfg_clear(&card->cfg);
		return r;
	}
	card->connected = true;
	write_state(card, XenbusStateConnected);
	be_log("%s: connected, %u PCM(s), %u stream(s)", card->name,
	       card->cfg.n_pcms, card->n_streams);
	backend_state_changed(card->be);
	backend_state_flush(card->be, true);
	return 0;
}

void card_update(struct card *card)
{
	struct xs_handle *xs = card->be->xs;
	enum xenbus_state front = xensnd_read_state(xs, XBT_NULL, card->fe_path);
	enum xenbus_state back = xensnd_read_state(xs, XBT_NULL, card->be_path);

	if (front != XenbusStateInitialised)
		card->connect_refused = false;
	/* A frontend that vanished (guest destroyed) or is closing loses its
	 * connection whatever the state machine would wait for. */
	if (card->connected && (front == XenbusStateUnknown ||
				front >= XenbusStateClosing)) {
		card_disconnect(card, true);
		return;
	}
	switch (xensnd_back_next(front, back)) {
	case XENSND_BACK_WAIT:
		break;
	case XENSND_BACK_INIT_WAIT:
		init_wait(card);
		break;
	case XENSND_BACK_CONNECT:
		if (card->connected || card->connect_refused)
			break;
		if (connect_card(card) < 0) {
			be_log("%s: not connecting; the frontend must reinitialise",
			       card->name);
			card->connect_refused = true;
			write_state(card, XenbusStateClosed);
		}
		break;
	case XENSND_BACK_DISCONNECT:
		card_disconnect(card, true);
		break;
	case XENSND_BACK_REINIT:
		card_disconnect(card, false);
		init_wait(card);
		break;
	}
}
