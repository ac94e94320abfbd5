/* SPDX-License-Identifier: MIT */
/* A card session of xensnd-ctl (see xensnd-ctl-card.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <xen/io/sndif.h>

#include "xensnd-ctl.h"
#include "xensnd-ctl-card.h"

#define WATCH_TOKEN	"xensnd-ctl"

uint64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Read a key of ours as a string; NULL (with errno) if missing. */
static char *read_key(struct ctl_card *card, const char *dir, const char *key)
{
	char path[CTL_PATH_MAX * 2];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(card->xs, XBT_NULL, path, &len);
}

static int read_backend_location(struct ctl_card *card)
{
	char *id = read_key(card, card->path, "backend-id");
	char *path = read_key(card, card->path, "backend");
	char err[XENSND_ERROR_MAX];
	uint32_t value;
	int ret = CTL_EXIT_FAILURE;

	if (id == NULL || path == NULL) {
		ctl_error("%s: no backend-id/backend key: the toolstack did not finish attaching card %s",
			  card->path, card->dev_id);
		goto out;
	}
	if (ctl_parse_uint("backend-id", id, 0, DOMID_FIRST_RESERVED - 1, &value,
			   err, sizeof(err)) < 0) {
		ctl_error("%s/%s", card->path, err);
		goto out;
	}
	if (strlen(path) >= sizeof(card->backend_path)) {
		ctl_error("%s/backend: path too long", card->path);
		goto out;
	}
	card->backend_id = (domid_t)value;
	strcpy(card->backend_path, path);
	ret = CTL_EXIT_OK;
out:
	free(id);
	free(path);
	return ret;
}

int ctl_card_open(struct ctl_card *card, struct xs_handle *xs,
		  const char *dev_id, int signal_fd)
{
	struct xensnd_xs_reader reader;
	char err[XENSND_ERROR_MAX];

	memset(card, 0, sizeof(*card));
	card->xs = xs;
	card->signal_fd = signal_fd;
	snprintf(card->dev_id, sizeof(card->dev_id), "%s", dev_id);
	snprintf(card->path, sizeof(card->path), "device/%s/%s",
		 XENSND_DRIVER_NAME, dev_id);

	unsigned int len;
	char *state = xs_read(xs, XBT_NULL, card->path, &len);
	if (state == NULL) {
		ctl_error("card %s: no %s in XenStore (%s); `xensnd-ctl list` shows the cards of this domain",
			  dev_id, card->path, strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	free(state);

	xensnd_xs_reader_init(&reader, xs, XBT_NULL);
	if (xensnd_card_cfg_read(&card->cfg, &reader.reader, card->path, err,
				 sizeof(err)) < 0) {
		ctl_error("card %s: bad configuration: %s", dev_id, err);
		return CTL_EXIT_FAILURE;
	}
	return read_backend_location(card);
}

const struct xensnd_stream_cfg *ctl_card_stream(const struct ctl_card *card,
						uint32_t pcm, uint32_t stream,
						uint32_t *index)
{
	uint32_t before = 0;

	if (pcm >= card->cfg.n_pcms) {
		ctl_error("card %s has no PCM %u (it has %u)", card->dev_id, pcm,
			  card->cfg.n_pcms);
		return NULL;
	}
	for (uint32_t p = 0; p < pcm; p++)
		before += card->cfg.pcms[p].n_streams;
	if (stream >= card->cfg.pcms[pcm].n_streams) {
		ctl_error("card %s PCM %u has no stream %u (it has %u)",
			  card->dev_id, pcm, stream, card->cfg.pcms[pcm].n_streams);
		return NULL;
	}
	*index = before + stream;
	return &card->cfg.pcms[pcm].streams[stream];
}

static enum xenbus_state front_state(struct ctl_card *card)
{
	return xensnd_read_state(card->xs, XBT_NULL, card->path);
}

static enum xenbus_state back_state(struct ctl_card *card)
{
	return xensnd_read_state(card->xs, XBT_NULL, card->backend_path);
}

/* Throw away queued watch events; we re-read the state anyway. */
static void drain_watch(struct ctl_card *card)
{
	char **event;

	while ((event = xs_check_watch(card->xs)) != NULL)
		free(event);
}

static void take_signal(struct ctl_card *card)
{
	struct signalfd_siginfo si;

	if (read(card->signal_fd, &si, sizeof(si)) > 0)
		ctl_error("%s received: stopping", strsignal((int)si.ssi_signo));
	card->interrupted = true;
}

/* While connected: has the backend left? Said once, with its state. */
static bool backend_left(struct ctl_card *card)
{
	drain_watch(card);
	enum xenbus_state back = back_state(card);
	if (back == XenbusStateConnected)
		return false;
	ctl_error("card %s: backend domain %u left the connection (state %s); its log says why",
		  card->dev_id, card->backend_id, xensnd_state_name(back));
	card->backend_gone = true;
	return true;
}

int ctl_card_wait_fd(struct ctl_card *card, int fd, const char *what,
		     uint64_t deadline_ms)
{
	/* While connected, the backend's state is watched too: if it goes,
	 * we hear it at once instead of waiting for a timeout. */
	int xs_fd = card->connected && card->watching && !card->backend_gone ?
		    xs_fileno(card->xs) : -1;
	struct pollfd fds[3] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = card->signal_fd, .events = POLLIN },
		{ .fd = xs_fd != fd ? xs_fd : -1, .events = POLLIN },
	};

	for (;;) {
		uint64_t now = ctl_now_ms();
		if (now >= deadline_ms)
			return 0;
		int r = poll(fds, 3, (int)(deadline_ms - now));	/* fd -1: skipped */
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (fds[1].revents & POLLIN) {
			take_signal(card);
			return -EINTR;
		}
		if ((fds[2].revents & POLLIN) && backend_left(card))
			return -ENOTCONN;
		if (fds[0].revents & POLLIN)
			return 1;
		/* Hung up without data: waiting on would spin to the deadline. */
		if (fds[0].revents) {
			ctl_error("%s closed while we waited on it", what);
			return -EPIPE;
		}
	}
}

static int start_watch(struct ctl_card *card)
{
	char path[CTL_PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/state", card->backend_path);
	if (!xs_watch(card->xs, path, WATCH_TOKEN)) {
		ctl_error("card %s: cannot watch %s: %s", card->dev_id, path,
			  strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	card->watching = true;
	return CTL_EXIT_OK;
}

static void stop_watch(struct ctl_card *card)
{
	char path[CTL_PATH_MAX + 8];

	if (!card->watching)
		return;
	snprintf(path, sizeof(path), "%s/state", card->backend_path);
	xs_unwatch(card->xs, path, WATCH_TOKEN);
	drain_watch(card);
	card->watching = false;
}

/*
 * Wait, bounded, until the backend's state satisfies done(). Returns 1
 * when it does, 0 on timeout, -EINTR on a signal. *last gets the state
 * last seen, for the caller's message.
 */
static int wait_back_state(struct ctl_card *card, bool (*done)(enum xenbus_state),
			   unsigned timeout_ms, enum xenbus_state *last)
{
	uint64_t deadline = ctl_now_ms() + timeout_ms;

	for (;;) {
		drain_watch(card);
		*last = back_state(card);
		if (done(*last))
			return 1;
		int r = ctl_card_wait_fd(card, xs_fileno(card->xs), "the XenStore connection",
				     deadline);
		if (r <= 0)
			return r;
	}
}

static bool back_ready_for_us(enum xenbus_state back)
{
	return xensnd_front_next(XenbusStateInitialising, back) ==
	       XENSND_FRONT_INITIALISE;
}

static bool back_connected_or_gone(enum xenbus_state back)
{
	return back == XenbusStateConnected || back == XenbusStateClosing ||
	       back == XenbusStateClosed || back == XenbusStateUnknown;
}

static bool back_let_go(enum xenbus_state back)
{
	return back != XenbusStateConnected && back != XenbusStateClosing;
}

static void say_no_backend(struct ctl_card *card, enum xenbus_state last)
{
	ctl_error("card %s: backend domain %u did not connect within %u s (its state: %s); "
		  "is xensnd-backend running in domain %u?",
		  card->dev_id, card->backend_id, CTL_CONNECT_TIMEOUT_MS / 1000,
		  xensnd_state_name(last), card->backend_id);
}

/* Someone else's card: say whose and what to do. */
static int check_card_free(struct ctl_card *card)
{
	enum xenbus_state front = front_state(card);

	if (front == XenbusStateInitialising)
		return CTL_EXIT_OK;
	if (front == XenbusStateInitialised || front == XenbusStateConnected)
		ctl_error("card %s is busy: another frontend holds it (frontend state %s, backend %s), "
			  "e.g. the PipeWire xensnd plugin; stop that first",
			  card->dev_id, xensnd_state_name(front),
			  xensnd_state_name(back_state(card)));
	else
		ctl_error("card %s is not ready: frontend state %s (expected Initialising); "
			  "another frontend may be closing it, or the toolstack is removing it",
			  card->dev_id, xensnd_state_name(front));
	return CTL_EXIT_FAILURE;
}

static int open_channels(struct ctl_card *card)
{
	uint32_t n = xensnd_card_cfg_n_streams(&card->cfg);

	card->gntshr = xengntshr_open(NULL, 0);
	if (card->gntshr == NULL) {
		ctl_error("cannot open the grant sharing device: %s", strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	card->channels = calloc(n, sizeof(*card->channels));
	if (card->channels == NULL) {
		ctl_error("out of memory");
		return CTL_EXIT_FAILURE;
	}
	for (uint32_t i = 0; i < n; i++) {
		int r = xensnd_front_channel_open(&card->channels[i], card->gntshr,
						  card->backend_id);
		if (r < 0) {
			ctl_error("card %s: cannot set up stream %u's ring and event channels: %s",
				  card->dev_id, i, strerror(-r));
			return CTL_EXIT_FAILURE;
		}
		card->n_channels = i + 1;
	}
	return CTL_EXIT_OK;
}

static int publish(struct ctl_card *card)
{
	struct xensnd_stream_keys *keys;
	char version[16];
	char *versions = read_key(card, card->backend_path, XENSND_FIELD_BE_VERSIONS);
	int r, ret = CTL_EXIT_FAILURE;

	if (versions == NULL || xensnd_pick_version(versions, version,
						    sizeof(version)) < 0) {
		ctl_error("card %s: backend offers protocol versions \"%s\", none of which we speak (up to %d)",
			  card->dev_id, versions ? versions : "(none)",
			  XENSND_PROTOCOL_VERSION);
		free(versions);
		return CTL_EXIT_FAILURE;
	}
	free(versions);
	keys = calloc(card->n_channels, sizeof(*keys));
	if (keys == NULL) {
		ctl_error("out of memory");
		return CTL_EXIT_FAILURE;
	}
	for (uint32_t i = 0; i < card->n_channels; i++)
		keys[i] = card->channels[i].keys;
	r = xensnd_front_publish(card->xs, card->path, &card->cfg, keys, version);
	if (r < 0) {
		ctl_error("card %s: cannot publish the stream keys in %s: %s",
			  card->dev_id, card->path, strerror(-r));
		goto out;
	}
	card->published = true;
	ret = CTL_EXIT_OK;
out:
	free(keys);
	return ret;
}

int ctl_card_connect(struct ctl_card *card)
{
	enum xenbus_state back;
	int r, ret;

	ret = check_card_free(card);
	if (ret != CTL_EXIT_OK)
		return ret;
	ret = start_watch(card);
	if (ret != CTL_EXIT_OK)
		return ret;
	r = wait_back_state(card, back_ready_for_us, CTL_CONNECT_TIMEOUT_MS, &back);
	if (r <= 0) {
		if (r == 0)
			say_no_backend(card, back);
		return CTL_EXIT_FAILURE;
	}
	/* Checked again just before claiming: narrows the race with another frontend. */
	ret = check_card_free(card);
	if (ret == CTL_EXIT_OK)
		ret = open_channels(card);
	if (ret == CTL_EXIT_OK)
		ret = publish(card);
	if (ret != CTL_EXIT_OK)
		return ret;
	r = wait_back_state(card, back_connected_or_gone, CTL_CONNECT_TIMEOUT_MS, &back);
	if (r <= 0) {
		if (r == 0)
			say_no_backend(card, back);
		return CTL_EXIT_FAILURE;
	}
	if (back != XenbusStateConnected) {
		ctl_error("card %s: backend domain %u refused the connection (state %s); its log says why",
			  card->dev_id, card->backend_id, xensnd_state_name(back));
		return CTL_EXIT_FAILURE;
	}
	r = xensnd_write_state(card->xs, XBT_NULL, card->path, XenbusStateConnected);
	if (r < 0) {
		ctl_error("card %s: cannot write %s/state: %s", card->dev_id,
			  card->path, strerror(-r));
		return CTL_EXIT_FAILURE;
	}
	card->connected = true;
	return CTL_EXIT_OK;
}

/*
 * Closing first, and the backend's unmapping awaited, before the grants
 * are revoked: revoking pages the backend still maps would leave them to
 * the backend until it lets go.
 */
void ctl_card_disconnect(struct ctl_card *card)
{
	enum xenbus_state back;

	if (!card->published || card->disconnected)
		return;
	card->disconnected = true;
	if (xensnd_write_state(card->xs, XBT_NULL, card->path, XenbusStateClosing) == 0 &&
	    card->watching &&
	    wait_back_state(card, back_let_go, CTL_REQUEST_TIMEOUT_MS, &back) == 0)
		ctl_error("card %s: backend domain %u did not let go within %u s (state %s); "
			  "revoking our pages anyway",
			  card->dev_id, card->backend_id,
			  CTL_REQUEST_TIMEOUT_MS / 1000, xensnd_state_name(back));
}

void ctl_card_close(struct ctl_card *card)
{
	bool restore = card->published;

	ctl_card_disconnect(card);
	for (uint32_t i = 0; i < card->n_channels; i++)
		xensnd_front_channel_close(&card->channels[i]);
	free(card->channels);
	card->channels = NULL;
	card->n_channels = 0;
	if (card->published)
		xensnd_front_unpublish(card->xs, card->path, &card->cfg);
	/* sndif "Recovery flow": Initialising again, the state we found. */
	if (restore &&
	    xensnd_write_state(card->xs, XBT_NULL, card->path, XenbusStateInitialising) < 0)
		ctl_error("card %s: cannot put %s/state back to Initialising; "
			  "the next frontend will find the card busy", card->dev_id, card->path);
	card->published = false;
	card->connected = false;
	card->disconnected = false;
	card->backend_gone = false;
	stop_watch(card);
	if (card->gntshr)
		xengntshr_close(card->gntshr);
	card->gntshr = NULL;
	xensnd_card_cfg_clear(&card->cfg);
}
