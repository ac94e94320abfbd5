/* SPDX-License-Identifier: MIT */
/* XenBus states, handshake decisions and per-stream keys (xenbus.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/xenbus.h>

#include <xen/io/sndif.h>

#define XB_PATH_MAX	3200	/* XenStore paths are at most 3072 octets */
/* Transactions that keep conflicting are given up after this many tries. */
#define PUBLISH_TRIES	8

const char *xensnd_state_name(int state)
{
	static const char *const names[] = {
		[XenbusStateUnknown] = "Unknown",
		[XenbusStateInitialising] = "Initialising",
		[XenbusStateInitWait] = "InitWait",
		[XenbusStateInitialised] = "Initialised",
		[XenbusStateConnected] = "Connected",
		[XenbusStateClosing] = "Closing",
		[XenbusStateClosed] = "Closed",
		[XenbusStateReconfiguring] = "Reconfiguring",
		[XenbusStateReconfigured] = "Reconfigured",
	};

	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
		return "Unknown";
	return names[state];
}

static int make_path(char *out, const char *dir, const char *rest)
{
	int n = snprintf(out, XB_PATH_MAX, "%s/%s", dir, rest);

	return n < 0 || n >= XB_PATH_MAX ? -ENAMETOOLONG : 0;
}

enum xenbus_state xensnd_read_state(struct xs_handle *xs, xs_transaction_t t,
				    const char *dir)
{
	char path[XB_PATH_MAX], err[64];
	unsigned int len;
	uint32_t state = XenbusStateUnknown;
	char *value;

	if (make_path(path, dir, "state") < 0)
		return XenbusStateUnknown;
	value = xs_read(xs, t, path, &len);
	if (value == NULL)
		return XenbusStateUnknown;
	if (xensnd_parse_u32(value, XenbusStateUnknown, XenbusStateReconfigured,
			     &state, err, sizeof(err)) < 0)
		state = XenbusStateUnknown;
	free(value);
	return (enum xenbus_state)state;
}

static int write_value(struct xs_handle *xs, xs_transaction_t t,
		       const char *dir, const char *key, const char *value)
{
	char path[XB_PATH_MAX];

	if (make_path(path, dir, key) < 0)
		return -ENAMETOOLONG;
	if (!xs_write(xs, t, path, value, (unsigned int)strlen(value)))
		return errno ? -errno : -EIO;
	return 0;
}

static int write_u32(struct xs_handle *xs, xs_transaction_t t,
		     const char *dir, const char *key, uint32_t v)
{
	char value[16];

	snprintf(value, sizeof(value), "%u", v);
	return write_value(xs, t, dir, key, value);
}

int xensnd_write_state(struct xs_handle *xs, xs_transaction_t t,
		       const char *dir, enum xenbus_state state)
{
	return write_u32(xs, t, dir, "state", (uint32_t)state);
}

/* ---- the config reader over libxenstore ---- */

static char *xs_reader_read(void *data, const char *path)
{
	struct xensnd_xs_reader *xr = data;
	unsigned int len;

	/* xs_read NUL-terminates what it returns. */
	return xs_read(xr->xs, xr->t, path, &len);
}

static char **xs_reader_directory(void *data, const char *path, unsigned int *num)
{
	struct xensnd_xs_reader *xr = data;

	return xs_directory(xr->xs, xr->t, path, num);
}

void xensnd_xs_reader_init(struct xensnd_xs_reader *xr, struct xs_handle *xs,
			   xs_transaction_t t)
{
	xr->reader.read = xs_reader_read;
	xr->reader.directory = xs_reader_directory;
	xr->reader.data = xr;
	xr->xs = xs;
	xr->t = t;
}

/* ---- the handshake ---- */

static bool is_gone(enum xenbus_state s)
{
	return s == XenbusStateUnknown || s == XenbusStateClosing ||
	       s == XenbusStateClosed;
}

enum xensnd_front_action xensnd_front_next(enum xenbus_state front,
					   enum xenbus_state back)
{
	switch (front) {
	case XenbusStateClosing:
		return XENSND_FRONT_CLOSE;
	case XenbusStateInitialising:
		return back == XenbusStateInitWait ? XENSND_FRONT_INITIALISE
						   : XENSND_FRONT_WAIT;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (back == XenbusStateConnected)
			return front == XenbusStateInitialised ? XENSND_FRONT_CONNECT
							       : XENSND_FRONT_WAIT;
		/* Backend gone, or restarted (back at the start of the
		 * handshake while we hold rings it no longer knows). */
		if (is_gone(back) || back == XenbusStateInitialising ||
		    (back == XenbusStateInitWait && front == XenbusStateConnected))
			return XENSND_FRONT_RECOVER;
		return XENSND_FRONT_WAIT;
	default:
		return XENSND_FRONT_WAIT;
	}
}

enum xensnd_back_action xensnd_back_next(enum xenbus_state front,
					 enum xenbus_state back)
{
	switch (back) {
	case XenbusStateInitialising:
		return is_gone(front) ? XENSND_BACK_WAIT : XENSND_BACK_INIT_WAIT;
	case XenbusStateInitWait:
		if (front == XenbusStateInitialised)
			return XENSND_BACK_CONNECT;
		return is_gone(front) ? XENSND_BACK_DISCONNECT : XENSND_BACK_WAIT;
	case XenbusStateConnected:
		if (is_gone(front))
			return XENSND_BACK_DISCONNECT;
		/* The frontend recovered and wants a new connection. */
		return front == XenbusStateInitialising ? XENSND_BACK_REINIT
							: XENSND_BACK_WAIT;
	case XenbusStateClosing:
	case XenbusStateClosed:
		return front == XenbusStateInitialising ? XENSND_BACK_REINIT
							: XENSND_BACK_WAIT;
	default:
		return XENSND_BACK_WAIT;
	}
}

/* ---- the per-stream keys ---- */

static int stream_dir(char *out, const char *card_path, uint32_t pcm, uint32_t stream)
{
	int n = snprintf(out, XB_PATH_MAX, "%s/%u/%u", card_path, pcm, stream);

	return n < 0 || n >= XB_PATH_MAX ? -ENAMETOOLONG : 0;
}

static int write_stream_keys(struct xs_handle *xs, xs_transaction_t t,
			     const char *dir, const struct xensnd_stream_keys *k)
{
	int res;

	if ((res = write_u32(xs, t, dir, XENSND_FIELD_RING_REF, k->ring_ref)) < 0 ||
	    (res = write_u32(xs, t, dir, XENSND_FIELD_EVT_CHNL, k->evtchn)) < 0 ||
	    (res = write_u32(xs, t, dir, XENSND_FIELD_EVT_RING_REF, k->evt_ring_ref)) < 0 ||
	    (res = write_u32(xs, t, dir, XENSND_FIELD_EVT_EVT_CHNL, k->evt_evtchn)) < 0)
		return res;
	return 0;
}

static int write_all(struct xs_handle *xs, xs_transaction_t t,
		     const char *card_path, const struct xensnd_card_cfg *cfg,
		     const struct xensnd_stream_keys *keys, const char *version)
{
	uint32_t i = 0;
	int res;

	if ((res = write_value(xs, t, card_path, XENSND_FIELD_FE_VERSION, version)) < 0)
		return res;
	for (uint32_t p = 0; p < cfg->n_pcms; p++) {
		for (uint32_t s = 0; s < cfg->pcms[p].n_streams; s++) {
			char dir[XB_PATH_MAX];

			if ((res = stream_dir(dir, card_path, p, s)) < 0 ||
			    (res = write_stream_keys(xs, t, dir, &keys[i++])) < 0)
				return res;
		}
	}
	return xensnd_write_state(xs, t, card_path, XenbusStateInitialised);
}

static int remove_all(struct xs_handle *xs, xs_transaction_t t,
		      const char *card_path, const struct xensnd_card_cfg *cfg)
{
	static const char *const keys[] = {
		XENSND_FIELD_RING_REF, XENSND_FIELD_EVT_CHNL,
		XENSND_FIELD_EVT_RING_REF, XENSND_FIELD_EVT_EVT_CHNL,
	};

	for (uint32_t p = 0; p < cfg->n_pcms; p++) {
		for (uint32_t s = 0; s < cfg->pcms[p].n_streams; s++) {
			char dir[XB_PATH_MAX], path[XB_PATH_MAX];

			if (stream_dir(dir, card_path, p, s) < 0)
				return -ENAMETOOLONG;
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				if (make_path(path, dir, keys[k]) < 0)
					return -ENAMETOOLONG;
				if (!xs_rm(xs, t, path) && errno != ENOENT)
					return errno ? -errno : -EIO;
			}
		}
	}
	return 0;
}

/*
 * Run one write step in a transaction, retrying when it conflicts with
 * another writer (EAGAIN), as Xen's libxenvchan does.
 */
typedef int (*txn_step)(struct xs_handle *xs, xs_transaction_t t, void *data);

static int in_transaction(struct xs_handle *xs, txn_step step, void *data)
{
	for (int attempt = 0; attempt < PUBLISH_TRIES; attempt++) {
		xs_transaction_t t = xs_transaction_start(xs);
		int res;

		if (t == XBT_NULL)
			return errno ? -errno : -EIO;
		res = step(xs, t, data);
		if (res < 0) {
			xs_transaction_end(xs, t, true);
			return res;
		}
		if (xs_transaction_end(xs, t, false))
			return 0;
		if (errno != EAGAIN)
			return errno ? -errno : -EIO;
	}
	return -EAGAIN;
}

struct guarded_write_args {
	const char *dir;
	const char *guard;
	const char *key;
	const char *value;
};

static int guarded_write_step(struct xs_handle *xs, xs_transaction_t t,
			      void *data)
{
	const struct guarded_write_args *a = data;
	char path[XB_PATH_MAX];
	unsigned int len;
	char *guard;
	int res = make_path(path, a->dir, a->guard);

	if (res < 0)
		return res;
	guard = xs_read(xs, t, path, &len);
	if (guard == NULL)
		return errno ? -errno : -EIO;
	free(guard);
	if ((res = make_path(path, a->dir, a->key)) < 0)
		return res;
	if (!xs_write(xs, t, path, a->value, strlen(a->value)))
		return errno ? -errno : -EIO;
	return 0;
}

int xensnd_write_guarded(struct xs_handle *xs, const char *dir,
			 const char *guard, const char *key, const char *value)
{
	struct guarded_write_args args = { dir, guard, key, value };

	return in_transaction(xs, guarded_write_step, &args);
}

int xensnd_write_state_guarded(struct xs_handle *xs, const char *dir,
			       const char *guard, enum xenbus_state state)
{
	char value[12];

	snprintf(value, sizeof(value), "%d", (int)state);
	return xensnd_write_guarded(xs, dir, guard, "state", value);
}

struct publish_args {
	const char *card_path;
	const struct xensnd_card_cfg *cfg;
	const struct xensnd_stream_keys *keys;
	const char *version;
};

static int publish_step(struct xs_handle *xs, xs_transaction_t t, void *data)
{
	const struct publish_args *a = data;

	return write_all(xs, t, a->card_path, a->cfg, a->keys, a->version);
}

static int unpublish_step(struct xs_handle *xs, xs_transaction_t t, void *data)
{
	const struct publish_args *a = data;

	return remove_all(xs, t, a->card_path, a->cfg);
}

int xensnd_front_publish(struct xs_handle *xs, const char *card_path,
			 const struct xensnd_card_cfg *cfg,
			 const struct xensnd_stream_keys *keys,
			 const char *version)
{
	struct publish_args a = { card_path, cfg, keys, version };

	return in_transaction(xs, publish_step, &a);
}

int xensnd_front_unpublish(struct xs_handle *xs, const char *card_path,
			   const struct xensnd_card_cfg *cfg)
{
	struct publish_args a = { card_path, cfg, NULL, NULL };

	return in_transaction(xs, unpublish_step, &a);
}

/* <dir>/<key> as a grant reference or port: decimal, never 0. */
static int read_key_u32(struct xs_handle *xs, xs_transaction_t t,
			const char *dir, const char *key, uint32_t *out,
			char *err, size_t err_size)
{
	char path[XB_PATH_MAX], reason[64];
	unsigned int len;
	char *value;
	int res;

	if (make_path(path, dir, key) < 0) {
		snprintf(err, err_size, "%s/%s: path too long", dir, key);
		return -EINVAL;
	}
	value = xs_read(xs, t, path, &len);
	if (value == NULL) {
		if (errno == ENOENT) {
			snprintf(err, err_size, "%s: missing", path);
			return -EINVAL;
		}
		res = errno ? -errno : -EIO;
		snprintf(err, err_size, "%s: cannot read: %s", path, strerror(-res));
		return res;
	}
	res = xensnd_parse_u32(value, 1, UINT32_MAX, out, reason, sizeof(reason));
	if (res < 0)
		snprintf(err, err_size, "%s: \"%.32s%s\": %s", path, value,
			 strlen(value) > 32 ? "..." : "", reason);
	free(value);
	return res;
}

int xensnd_back_read_stream_keys(struct xs_handle *xs, xs_transaction_t t,
				 const char *stream_path,
				 struct xensnd_stream_keys *keys,
				 char *err, size_t err_size)
{
	int res;

	if ((res = read_key_u32(xs, t, stream_path, XENSND_FIELD_RING_REF,
				&keys->ring_ref, err, err_size)) < 0 ||
	    (res = read_key_u32(xs, t, stream_path, XENSND_FIELD_EVT_CHNL,
				&keys->evtchn, err, err_size)) < 0 ||
	    (res = read_key_u32(xs, t, stream_path, XENSND_FIELD_EVT_RING_REF,
				&keys->evt_ring_ref, err, err_size)) < 0 ||
	    (res = read_key_u32(xs, t, stream_path, XENSND_FIELD_EVT_EVT_CHNL,
				&keys->evt_evtchn, err, err_size)) < 0)
		return res;
	return 0;
}

int xensnd_pick_version(const char *versions, char *out, size_t out_size)
{
	const char *p = versions;
	uint32_t best = 0;

	if (versions == NULL || versions[0] == '\0')
		return -EINVAL;
	while (p != NULL) {
		const char *end = strchr(p, XENSND_LIST_SEPARATOR[0]);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char item[16], reason[64];
		uint32_t v;

		if (len == 0 || len >= sizeof(item))
			return -EINVAL;
		memcpy(item, p, len);
		item[len] = '\0';
		if (xensnd_parse_u32(item, 1, UINT32_MAX, &v, reason, sizeof(reason)) < 0)
			return -EINVAL;
		if (v <= XENSND_PROTOCOL_VERSION && v > best)
			best = v;
		p = end ? end + 1 : NULL;
	}
	if (best == 0)
		return -EINVAL;
	if ((size_t)snprintf(out, out_size, "%u", best) >= out_size)
		return -EINVAL;
	return 0;
}
