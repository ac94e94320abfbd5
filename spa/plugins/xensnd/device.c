/* SPDX-License-Identifier: MIT */
/*
 * api.xensnd.device: one vsnd card.
 *
 * Owns the card's XenStore handle, its xengntshr handle and one transport
 * (ring, event page, event channels) per configured stream. Runs the
 * frontend side of the xenbus handshake from watches on both ends' state
 * (xenbus.h decides what to do), and emits one node object per stream,
 * handing the node its transport as "pointer:%p" (like bluez5-device.c).
 *
 * The nodes outlive the connection: when the backend goes away the
 * transports are closed (nodes hear `disconnecting` first) and the card
 * goes back to Initialising (sndif "Recovery flow"); when a backend comes
 * back the same transports reopen and the nodes hear `connected`. When the
 * toolstack removes the card (backend "online" = 0, then Closing) we close
 * for good instead (Closed), so that it can remove the nodes; the monitor
 * then removes this device.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/monitor/device.h>
#include <spa/monitor/utils.h>
#include <spa/node/keys.h>

/* Only the key names; the plugin does not link libpipewire. */
#include <pipewire/keys.h>
#include <spa/node/node.h>
#include <spa/param/param.h>
#include <spa/param/profile.h>
#include <spa/param/props.h>
#include <spa/param/route.h>
#include <spa/param/audio/raw.h>
#include <spa/monitor/event.h>
#include <spa/pod/builder.h>
#include <spa/pod/filter.h>
#include <spa/pod/parser.h>
#include <spa/support/log.h>
#include <spa/support/loop.h>
#include <spa/support/plugin.h>
#include <spa/utils/keys.h>
#include <spa/utils/names.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#include <xenstore.h>

#include <xensnd/channel.h>
#include <xensnd/config.h>
#include <xensnd/xenbus.h>

#include "defs.h"
#include "transport.h"

static struct spa_log_topic log_topic = SPA_LOG_TOPIC(0, "spa.xensnd.device");
#undef SPA_LOG_TOPIC_DEFAULT
#define SPA_LOG_TOPIC_DEFAULT &log_topic

#define TOKEN_FRONT	"front-state"
#define TOKEN_BACK	"back-state"

/* How often a XenStore transaction is retried on EAGAIN (a conflict with
 * another writer, e.g. the backend); more means something is wrong. */
#define TRANSACTION_RETRIES	8

/* /local/domain/<domid>/backend/vsnd/<domid>/<dev-id> is under 64; a
 * "backend" key far longer than that is not one the toolstack wrote. */
#define XENSND_BACKEND_PATH_MAX	200

/* A card with playback and capture streams has all four; one with a
 * single direction has off and on (EnumProfile skips the others). */
enum profile {
	PROFILE_OFF,
	PROFILE_ON,		/* every configured stream is a node */
	PROFILE_OUTPUT,		/* only the playback streams */
	PROFILE_INPUT,		/* only the capture streams */
	N_PROFILES,
};

#define ROUTE_MAX_CHANNELS	8	/* xensnd_channel_layouts */

/*
 * One Route per stream, with the same index as its transport and its
 * node's card.profile.device. The route's volume is the user's; the node
 * gets it as Props (ObjectConfig), see defs.h.
 */
struct route {
	struct impl *impl;
	uint32_t index;
	struct spa_hook transport_listener;	/* volume_mode */
	bool node_emitted;
	bool config_pending;	/* volume mode changed: re-send Props */
	bool save;		/* the user set it: the session manager keeps it */
	bool mute;
	uint32_t n_channels;
	float volumes[ROUTE_MAX_CHANNELS];
	uint32_t channel_map[ROUTE_MAX_CHANNELS];
};

struct impl {
	struct spa_handle handle;
	struct spa_device device;

	struct spa_log *log;
	struct spa_loop *main_loop;

	struct spa_hook_list hooks;
	uint64_t info_all;
	struct spa_device_info info;
#define IDX_EnumProfile	0
#define IDX_Profile	1
#define IDX_EnumRoute	2
#define IDX_Route	3
	struct spa_param_info params[4];
	struct spa_loop_utils *loop_utils;	/* optional: defers Props */
	struct spa_source *config_event;

	uint32_t dev_id;
	domid_t backend_domid;
	char path[64];			/* device/vsnd/<dev-id> */
	char *backend_path;		/* the "backend" key, malloc'd */
	char description[XENSND_NAME_MAX + 32];

	struct xensnd_card_cfg cfg;
	bool cfg_read;

	struct xs_handle *xs;
	xengntshr_handle *gntshr;
	struct spa_source source;
	bool source_added;
	bool front_watched;
	bool back_watched;

	struct xensnd_transport *transports;	/* one per stream, card order */
	struct route *routes;			/* one per transport */
	uint32_t n_transports;
	bool published;

	enum profile profile;
	bool removed;			/* the toolstack detached the card */
};

/* ---- XenStore helpers ---- */

static char *read_key(struct impl *this, const char *dir, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(this->xs, XBT_NULL, path, &len);
}

/*
 * Write our state, unless the toolstack removed the device meanwhile:
 * xs_write would otherwise recreate device/vsnd/<id>/state as an orphan
 * that the monitor would then take for a broken card.
 */
static void set_front_state(struct impl *this, enum xenbus_state state)
{
	int res = xensnd_write_state_guarded(this->xs, this->path, "backend-id",
					     state);

	if (res == -ENOENT)
		spa_log_debug(this->log, "%p: %s is gone; not writing state %s",
			      this, this->path, xensnd_state_name(state));
	else if (res < 0)
		spa_log_error(this->log, "%p: %s: cannot write state %s: %s", this,
			      this->path, xensnd_state_name(state), spa_strerror(res));
	else
		spa_log_info(this->log, "%p: %s: state %s", this, this->path,
			     xensnd_state_name(state));
}

/* ---- the connection ---- */

/* Nodes first hear `disconnecting`, then every channel is given back. */
static void close_transports(struct impl *this)
{
	uint32_t i;
	int res;

	for (i = 0; i < this->n_transports; i++)
		xensnd_transport_close(&this->transports[i]);
	if (this->published) {
		res = xensnd_front_unpublish(this->xs, this->path, &this->cfg);
		if (res < 0 && res != -ENOENT)
			spa_log_warn(this->log, "%p: %s: cannot remove the stream "
				     "keys: %s", this, this->path, spa_strerror(res));
		this->published = false;
	}
}

static int open_transports(struct impl *this)
{
	uint32_t i;
	int res;

	for (i = 0; i < this->n_transports; i++) {
		res = xensnd_transport_open(&this->transports[i]);
		if (res < 0)
			return res;
	}
	return 0;
}

/* Backend InitWait: channels, version and stream keys in one transaction,
 * and Initialised (xensnd_front_publish writes the state too). */
static int initialise(struct impl *this)
{
	struct xensnd_stream_keys *keys = NULL;
	char version[16], *versions = NULL;
	uint32_t i;
	int res;

	/* A backend that restarted without us seeing it leave: start over. */
	close_transports(this);

	versions = read_key(this, this->backend_path, "versions");
	if (versions == NULL) {
		res = -errno;
		spa_log_error(this->log, "%p: %s: backend %s has no \"versions\"; "
			      "it is not a vsnd backend", this, this->path,
			      this->backend_path);
		goto out;
	}
	res = xensnd_pick_version(versions, version, sizeof(version));
	if (res < 0) {
		spa_log_error(this->log, "%p: %s: backend %s offers protocol "
			      "versions \"%s\", none of which we speak", this,
			      this->path, this->backend_path, versions);
		goto out;
	}

	res = open_transports(this);
	if (res < 0)
		goto out;

	keys = calloc(this->n_transports, sizeof(*keys));
	if (keys == NULL) {
		res = -ENOMEM;
		goto out;
	}
	for (i = 0; i < this->n_transports; i++)
		keys[i] = this->transports[i].channel.keys;

	res = xensnd_front_publish(this->xs, this->path, &this->cfg, keys, version);
	if (res < 0) {
		spa_log_error(this->log, "%p: %s: cannot publish the stream keys: %s",
			      this, this->path, spa_strerror(res));
		goto out;
	}
	this->published = true;
	spa_log_info(this->log, "%p: %s: published %u streams, protocol %s; "
		     "Initialised", this, this->path, this->n_transports, version);
out:
	if (res < 0)
		close_transports(this);
	free(keys);
	free(versions);
	return res;
}

static void connect_card(struct impl *this)
{
	uint32_t i;

	if (!this->published) {
		/* Connected without our keys: a stale backend state from
		 * before we started. Recovery makes it re-read them. */
		spa_log_warn(this->log, "%p: %s: backend is Connected before we "
			     "published; restarting the handshake", this, this->path);
		set_front_state(this, XenbusStateInitialising);
		return;
	}
	set_front_state(this, XenbusStateConnected);
	for (i = 0; i < this->n_transports; i++)
		xensnd_transport_connect(&this->transports[i]);
}

/* sndif "Recovery flow": keep the nodes, release the connection, and be
 * ready for a backend that comes back. */
static void recover(struct impl *this, enum xenbus_state back)
{
	spa_log_warn(this->log, "%p: %s: backend %s is %s; waiting for it to "
		     "come back", this, this->path, this->backend_path,
		     xensnd_state_name(back));
	close_transports(this);
	set_front_state(this, XenbusStateInitialising);
}

/*
 * The toolstack removed the device (vsnd-detach) while we were writing:
 * a write that lands after the removal recreates device/vsnd/<id>/... as
 * an orphan. Give back the channels and remove what we recreated, in a
 * transaction that checks the device is still gone (a re-attach of the
 * same id in between makes it conflict, and we look again).
 */
static void card_removed(struct impl *this)
{
	char path[128];
	int i;

	if (!this->removed)
		spa_log_info(this->log, "%p: %s: detached by the toolstack",
			     this, this->path);
	this->removed = true;
	this->published = false;	/* the keys went with the directory */
	close_transports(this);

	snprintf(path, sizeof(path), "%s/backend-id", this->path);
	for (i = 0; i < TRANSACTION_RETRIES; i++) {
		xs_transaction_t t = xs_transaction_start(this->xs);
		unsigned int len;
		char *attached;

		if (t == XBT_NULL)
			return;
		attached = xs_read(this->xs, t, path, &len);
		if (attached != NULL) {
			free(attached);
			xs_transaction_end(this->xs, t, true);
			return;
		}
		xs_rm(this->xs, t, this->path);
		if (xs_transaction_end(this->xs, t, false) || errno != EAGAIN)
			return;
	}
}

/* libxl and xensim set the backend's "online" to 0 when they start removing
 * a device (then Closing); a backend closing on its own leaves it at 1. */
static bool being_removed(struct impl *this)
{
	char *online = read_key(this, this->backend_path, "online");
	bool removing = online != NULL && spa_streq(online, "0");

	free(online);
	return removing;
}

static bool card_attached(struct impl *this)
{
	char *value = read_key(this, this->path, "backend-id");

	free(value);
	return value != NULL;
}

static void on_state_change(struct impl *this)
{
	enum xenbus_state front, back;

	if (!card_attached(this)) {
		card_removed(this);
		return;
	}

	front = xensnd_read_state(this->xs, XBT_NULL, this->path);
	back = xensnd_read_state(this->xs, XBT_NULL, this->backend_path);
	spa_log_debug(this->log, "%p: %s: front %s, back %s", this, this->path,
		      xensnd_state_name(front), xensnd_state_name(back));

	switch (xensnd_front_next(front, back)) {
	case XENSND_FRONT_WAIT:
		break;
	case XENSND_FRONT_INITIALISE:
		if (initialise(this) < 0)
			spa_log_error(this->log, "%p: %s: not connecting to backend "
				      "domain %u; re-attach the card to retry",
				      this, this->path, this->backend_domid);
		break;
	case XENSND_FRONT_CONNECT:
		connect_card(this);
		break;
	case XENSND_FRONT_RECOVER:
		if (being_removed(this)) {
			/* vsnd-detach / xl: the toolstack waits for us to
			 * close before it removes the device; a backend
			 * that restarts is not coming for this one. */
			spa_log_info(this->log, "%p: %s: the toolstack is removing "
				     "the card", this, this->path);
			close_transports(this);
			set_front_state(this, XenbusStateClosed);
		} else {
			recover(this, back);
		}
		break;
	case XENSND_FRONT_CLOSE:
		close_transports(this);
		set_front_state(this, XenbusStateClosed);
		break;
	}
}

static void on_xenstore_event(struct spa_source *source)
{
	struct impl *this = source->data;
	bool changed = false;
	char **event;

	if (source->rmask & (SPA_IO_ERR | SPA_IO_HUP)) {
		spa_log_error(this->log, "%p: %s: lost the XenStore connection; "
			      "the card stops here", this, this->path);
		spa_loop_remove_source(this->main_loop, &this->source);
		this->source_added = false;
		close_transports(this);
		return;
	}
	while ((event = xs_check_watch(this->xs)) != NULL) {
		if (spa_streq(event[XS_WATCH_TOKEN], TOKEN_FRONT) ||
		    spa_streq(event[XS_WATCH_TOKEN], TOKEN_BACK))
			changed = true;
		free(event);
	}
	if (changed)
		on_state_change(this);
}

/* ---- nodes ---- */

static void stream_description(struct impl *this, const struct xensnd_pcm_cfg *pcm,
			       char *desc, size_t desc_size, char *nick,
			       size_t nick_size)
{
	if (pcm->name[0]) {
		snprintf(desc, desc_size, "%s %s", this->description, pcm->name);
		snprintf(nick, nick_size, "%s", pcm->name);
	} else {
		snprintf(desc, desc_size, "%s PCM %u", this->description, pcm->index);
		snprintf(nick, nick_size, "PCM %u", pcm->index);
	}
}

static void emit_node(struct impl *this, uint32_t id, struct xensnd_transport *t)
{
	struct spa_device_object_info info;
	struct spa_dict_item items[16];
	uint32_t n_items = 0;
	char name[96], desc[XENSND_NAME_MAX * 2 + 48], nick[XENSND_NAME_MAX + 16];
	char dev_id[16], pcm[16], stream[16], domid[16], pointer[64], stream_index[16];
	bool capture = t->stream->capture;

	snprintf(name, sizeof(name), "%s.%u.%u.%u",
		 capture ? "xensnd_input" : "xensnd_output",
		 t->dev_id, t->pcm->index, t->stream->index);
	stream_description(this, t->pcm, desc, sizeof(desc), nick, sizeof(nick));
	snprintf(dev_id, sizeof(dev_id), "%u", t->dev_id);
	snprintf(pcm, sizeof(pcm), "%u", t->pcm->index);
	snprintf(stream, sizeof(stream), "%u", t->stream->index);
	snprintf(domid, sizeof(domid), "%u", t->backend_domid);
	snprintf(pointer, sizeof(pointer), "pointer:%p", (void *)t);
	snprintf(stream_index, sizeof(stream_index), "%u", id);

	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_NODE_NAME, name);
	items[n_items++] = SPA_DICT_ITEM_INIT(PW_KEY_NODE_DESCRIPTION, desc);
	items[n_items++] = SPA_DICT_ITEM_INIT(PW_KEY_NODE_NICK, nick);
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_MEDIA_CLASS,
			capture ? "Audio/Source" : "Audio/Sink");
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_LIBRARY_NAME, XENSND_LIBRARY_NAME);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_DEV_ID, dev_id);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_PCM, pcm);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_STREAM, stream);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_UNIQUE_ID, t->stream->unique_id);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_BACKEND_DOMID, domid);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_PATH, t->path);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_TRANSPORT, pointer);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_PROFILE_DEVICE, stream_index);

	info = SPA_DEVICE_OBJECT_INFO_INIT();
	info.type = SPA_TYPE_INTERFACE_Node;
	info.factory_name = capture ? XENSND_FACTORY_SOURCE : XENSND_FACTORY_SINK;
	info.change_mask = SPA_DEVICE_OBJECT_CHANGE_MASK_PROPS;
	info.props = &SPA_DICT_INIT(items, n_items);

	spa_device_emit_object_info(&this->hooks, id, &info);
}

static bool stream_in_profile(const struct xensnd_transport *t, enum profile profile)
{
	switch (profile) {
	case PROFILE_ON: return true;
	case PROFILE_OUTPUT: return !t->stream->capture;
	case PROFILE_INPUT: return t->stream->capture;
	default: return false;
	}
}

static void emit_node_config(struct impl *this, struct route *r);

/* Make the device's nodes those of `profile`: add the missing, remove
 * the extra. A node that stays is left alone (it may be playing). */
static void sync_nodes(struct impl *this, enum profile profile)
{
	uint32_t i;

	for (i = 0; i < this->n_transports; i++) {
		struct route *r = &this->routes[i];
		bool want = stream_in_profile(&this->transports[i], profile);

		if (want && !r->node_emitted) {
			emit_node(this, i, &this->transports[i]);
			r->node_emitted = true;
			emit_node_config(this, r);
		} else if (!want && r->node_emitted) {
			spa_device_emit_object_info(&this->hooks, i, NULL);
			r->node_emitted = false;
		}
	}
}

/* ---- device info, profiles ---- */

static void emit_info(struct impl *this, bool full)
{
	struct spa_dict_item items[8];
	uint32_t n_items = 0;
	char dev_id[16], domid[16], name[48];
	uint64_t old = full ? this->info.change_mask : 0;

	if (full)
		this->info.change_mask = this->info_all;
	if (this->info.change_mask == 0)
		return;

	snprintf(name, sizeof(name), "xensnd_card.%u", this->dev_id);
	snprintf(dev_id, sizeof(dev_id), "%u", this->dev_id);
	snprintf(domid, sizeof(domid), "%u", this->backend_domid);
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_API, "xensnd");
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_NAME, name);
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_DESCRIPTION, this->description);
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_MEDIA_CLASS, "Audio/Device");
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_DEV_ID, dev_id);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_BACKEND_DOMID, domid);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_PATH, this->path);
	this->info.props = &SPA_DICT_INIT(items, n_items);

	if (this->info.change_mask & SPA_DEVICE_CHANGE_MASK_PARAMS) {
		uint32_t i;
		/* Tell listeners to re-read a param by flipping its serial. */
		for (i = 0; i < SPA_N_ELEMENTS(this->params); i++) {
			if (this->params[i].user > 0) {
				this->params[i].flags ^= SPA_PARAM_INFO_SERIAL;
				this->params[i].user = 0;
			}
		}
	}
	spa_device_emit_info(&this->hooks, &this->info);
	this->info.change_mask = old;
}

static bool has_direction(struct impl *this, bool capture)
{
	for (uint32_t i = 0; i < this->n_transports; i++)
		if (this->transports[i].stream->capture == capture)
			return true;
	return false;
}

/* Per-direction profiles only where the card has both directions. */
static bool profile_exists(struct impl *this, enum profile index)
{
	switch (index) {
	case PROFILE_OFF:
	case PROFILE_ON:
		return true;
	case PROFILE_OUTPUT:
	case PROFILE_INPUT:
		return has_direction(this, false) && has_direction(this, true);
	default:
		return false;
	}
}

static const struct {
	const char *name;
	const char *description;
	int32_t priority;	/* the session manager's pick: everything first */
} profile_info[N_PROFILES] = {
	[PROFILE_OFF] = { "off", "Off", 0 },
	[PROFILE_ON] = { "on", "On", 3 },
	[PROFILE_OUTPUT] = { "output", "Playback only", 2 },
	[PROFILE_INPUT] = { "input", "Capture only", 1 },
};

/* One class of a profile, as acp and bluez5 write it: the media class,
 * its node count, and which card.profile.device indexes they are (the
 * session manager restores those devices' routes on a profile switch). */
static void build_profile_class(struct impl *this, struct spa_pod_builder *b,
				enum profile index, bool capture)
{
	struct spa_pod_frame f[2];
	uint32_t i, n = 0;

	for (i = 0; i < this->n_transports; i++)
		if (this->transports[i].stream->capture == capture &&
		    stream_in_profile(&this->transports[i], index))
			n++;
	if (n == 0)
		return;
	spa_pod_builder_push_struct(b, &f[0]);
	spa_pod_builder_string(b, capture ? "Audio/Source" : "Audio/Sink");
	spa_pod_builder_int(b, (int32_t)n);
	spa_pod_builder_string(b, "card.profile.devices");
	spa_pod_builder_push_array(b, &f[1]);
	for (i = 0; i < this->n_transports; i++)
		if (this->transports[i].stream->capture == capture &&
		    stream_in_profile(&this->transports[i], index))
			spa_pod_builder_int(b, (int32_t)i);
	spa_pod_builder_pop(b, &f[1]);
	spa_pod_builder_pop(b, &f[0]);
}

static uint32_t count_classes(struct impl *this, enum profile index)
{
	bool sinks = false, sources = false;

	for (uint32_t i = 0; i < this->n_transports; i++) {
		if (!stream_in_profile(&this->transports[i], index))
			continue;
		if (this->transports[i].stream->capture)
			sources = true;
		else
			sinks = true;
	}
	return (uint32_t)sinks + (uint32_t)sources;
}

static struct spa_pod *build_profile(struct impl *this, struct spa_pod_builder *b,
				     uint32_t id, enum profile index)
{
	struct spa_pod_frame f[2];

	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_ParamProfile, id);
	spa_pod_builder_add(b,
		SPA_PARAM_PROFILE_index, SPA_POD_Int(index),
		SPA_PARAM_PROFILE_name, SPA_POD_String(profile_info[index].name),
		SPA_PARAM_PROFILE_description, SPA_POD_String(profile_info[index].description),
		SPA_PARAM_PROFILE_available, SPA_POD_Id(SPA_PARAM_AVAILABILITY_yes),
		SPA_PARAM_PROFILE_priority, SPA_POD_Int(profile_info[index].priority),
		0);
	if (index != PROFILE_OFF) {
		/* What the profile gives, as pavucontrol counts it. */
		spa_pod_builder_prop(b, SPA_PARAM_PROFILE_classes, 0);
		spa_pod_builder_push_struct(b, &f[1]);
		spa_pod_builder_int(b, (int32_t)count_classes(this, index));
		build_profile_class(this, b, index, false);
		build_profile_class(this, b, index, true);
		spa_pod_builder_pop(b, &f[1]);
	}
	return spa_pod_builder_pop(b, &f[0]);
}

static int set_profile(struct impl *this, uint32_t index)
{
	if (index >= N_PROFILES || !profile_exists(this, index))
		return -EINVAL;
	if (index == this->profile)
		return 0;

	spa_log_info(this->log, "%p: %s: profile %s", this, this->path,
		     profile_info[index].name);
	this->profile = index;
	/* The new Profile first: whoever sees the nodes change can read it. */
	this->info.change_mask |= SPA_DEVICE_CHANGE_MASK_PARAMS;
	this->params[IDX_Profile].user++;
	this->params[IDX_Route].user++;
	emit_info(this, false);
	sync_nodes(this, index);
	return 0;
}

/* ---- routes and volume ---- */

static void route_init(struct impl *this, struct route *r, uint32_t index)
{
	const struct xensnd_pcm_params *p = &this->transports[index].stream->params;
	uint32_t channels = SPA_CLAMP(p->channels_max, 1u, (uint32_t)ROUTE_MAX_CHANNELS);

	r->impl = this;
	r->index = index;
	r->n_channels = channels;
	for (uint32_t c = 0; c < channels; c++) {
		r->volumes[c] = 1.0f;
		r->channel_map[c] = xensnd_channel_layouts[channels - 1][c];
	}
}

/* What the adapter's converter applies: nothing while the backend does
 * volume, the route's volume when the backend refused it (defs.h). */
static void soft_volumes(struct impl *this, const struct route *r, float *soft,
			 bool *soft_mute)
{
	bool software = this->transports[r->index].soft_volume;

	for (uint32_t c = 0; c < r->n_channels; c++)
		soft[c] = software ? r->volumes[c] : 1.0f;
	*soft_mute = software && r->mute;
}

/* The route's volume to its node, through the session manager, as
 * bluez5's node_set_volume does. */
static void emit_node_config(struct impl *this, struct route *r)
{
	struct spa_pod_builder b = { 0 };
	struct spa_pod_frame f[1];
	uint8_t buffer[1024];
	float soft[ROUTE_MAX_CHANNELS];
	bool soft_mute;
	struct spa_event *event;

	if (!r->node_emitted)
		return;
	soft_volumes(this, r, soft, &soft_mute);
	spa_pod_builder_init(&b, buffer, sizeof(buffer));
	spa_pod_builder_push_object(&b, &f[0], SPA_TYPE_EVENT_Device,
				    SPA_DEVICE_EVENT_ObjectConfig);
	spa_pod_builder_prop(&b, SPA_EVENT_DEVICE_Object, 0);
	spa_pod_builder_int(&b, (int32_t)r->index);
	spa_pod_builder_prop(&b, SPA_EVENT_DEVICE_Props, 0);
	spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Props, SPA_EVENT_DEVICE_Props,
		SPA_PROP_mute, SPA_POD_Bool(r->mute),
		SPA_PROP_softMute, SPA_POD_Bool(soft_mute),
		SPA_PROP_channelVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float,
			r->n_channels, r->volumes),
		SPA_PROP_softVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float,
			r->n_channels, soft),
		SPA_PROP_channelMap, SPA_POD_Array(sizeof(uint32_t), SPA_TYPE_Id,
			r->n_channels, r->channel_map));
	event = spa_pod_builder_pop(&b, &f[0]);
	spa_log_debug(this->log, "%p: %s: route %u volume %f%s, soft %f", this,
		      this->path, r->index, r->volumes[0], r->mute ? " muted" : "",
		      soft[0]);
	spa_device_emit_event(&this->hooks, event);
}

/* Main loop, later: the node that reported its volume mode is out of
 * its own call stack by now. */
static void on_config_event(void *data, uint64_t count)
{
	struct impl *this = data;

	for (uint32_t i = 0; i < this->n_transports; i++) {
		struct route *r = &this->routes[i];
		if (!r->config_pending)
			continue;
		r->config_pending = false;
		emit_node_config(this, r);
	}
}

static void route_volume_mode(void *data)
{
	struct route *r = data;
	struct impl *this = r->impl;

	r->config_pending = true;
	if (this->config_event != NULL)
		spa_loop_utils_signal_event(this->loop_utils, this->config_event);
	else
		on_config_event(this, 1);	/* no loop utils: a plain host */
}

static void route_transport_destroy(void *data)
{
	struct route *r = data;
	spa_hook_remove(&r->transport_listener);
}

static const struct xensnd_transport_events route_transport_events = {
	XENSND_VERSION_TRANSPORT_EVENTS,
	.volume_mode = route_volume_mode,
	.destroy = route_transport_destroy,
};

static void route_description(struct impl *this, const struct xensnd_transport *t,
			      char *name, size_t name_size, char *desc,
			      size_t desc_size)
{
	const char *dir = t->stream->capture ? "input" : "output";

	snprintf(name, name_size, "xensnd-%s-%u-%u", dir, t->pcm->index,
		 t->stream->index);
	if (t->pcm->name[0])
		snprintf(desc, desc_size, "%s", t->pcm->name);
	else
		snprintf(desc, desc_size, "PCM %u", t->pcm->index);
}

static void build_route_props(struct impl *this, struct spa_pod_builder *b,
			      const struct route *r)
{
	struct spa_pod_frame f[1];

	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_Props, SPA_PARAM_Route);
	spa_pod_builder_add(b,
		SPA_PROP_mute, SPA_POD_Bool(r->mute),
		SPA_PROP_channelVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float,
			r->n_channels, r->volumes),
		SPA_PROP_channelMap, SPA_POD_Array(sizeof(uint32_t), SPA_TYPE_Id,
			r->n_channels, r->channel_map),
		/* 0 dB is the backend's unity gain; it resolves 0.001 dB, so
		 * the finest step the desktop offers (1/65536, PulseAudio's
		 * PA_VOLUME_NORM) is never coarser than what arrives. */
		SPA_PROP_volumeBase, SPA_POD_Float(1.0f),
		SPA_PROP_volumeStep, SPA_POD_Float(1.0f / 65536.0f),
		0);
	spa_pod_builder_pop(b, &f[0]);
}

/* EnumRoute (every route) or Route (the active one of a node that
 * exists, with its device, volume and save flag). */
static struct spa_pod *build_route(struct impl *this, struct spa_pod_builder *b,
				   uint32_t id, uint32_t index)
{
	const struct xensnd_transport *t = &this->transports[index];
	const struct route *r = &this->routes[index];
	char name[64], desc[XENSND_NAME_MAX + 16];
	struct spa_pod_frame f[2];
	bool capture = t->stream->capture;
	enum profile p;

	route_description(this, t, name, sizeof(name), desc, sizeof(desc));
	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_ParamRoute, id);
	spa_pod_builder_add(b,
		SPA_PARAM_ROUTE_index, SPA_POD_Int(index),
		SPA_PARAM_ROUTE_direction, SPA_POD_Id(capture ? SPA_DIRECTION_INPUT
							     : SPA_DIRECTION_OUTPUT),
		SPA_PARAM_ROUTE_name, SPA_POD_String(name),
		SPA_PARAM_ROUTE_description, SPA_POD_String(desc),
		SPA_PARAM_ROUTE_priority, SPA_POD_Int(0),
		SPA_PARAM_ROUTE_available, SPA_POD_Id(SPA_PARAM_AVAILABILITY_yes),
		0);
	spa_pod_builder_prop(b, SPA_PARAM_ROUTE_profiles, 0);
	spa_pod_builder_push_array(b, &f[1]);
	for (p = PROFILE_ON; p < N_PROFILES; p++)
		if (profile_exists(this, p) && stream_in_profile(t, p))
			spa_pod_builder_int(b, (int32_t)p);
	spa_pod_builder_pop(b, &f[1]);
	spa_pod_builder_prop(b, SPA_PARAM_ROUTE_devices, 0);
	spa_pod_builder_push_array(b, &f[1]);
	spa_pod_builder_int(b, (int32_t)index);
	spa_pod_builder_pop(b, &f[1]);
	if (id == SPA_PARAM_Route) {
		spa_pod_builder_add(b,
			SPA_PARAM_ROUTE_device, SPA_POD_Int(index),
			SPA_PARAM_ROUTE_profile, SPA_POD_Int(this->profile),
			SPA_PARAM_ROUTE_save, SPA_POD_Bool(r->save),
			0);
		spa_pod_builder_prop(b, SPA_PARAM_ROUTE_props, 0);
		build_route_props(this, b, r);
	}
	return spa_pod_builder_pop(b, &f[0]);
}

/* volume (all channels), channelVolumes, mute: what pipewire-pulse and
 * WirePlumber's mixer and default-routes send. */
static bool route_apply_props(struct impl *this, struct route *r,
			      const struct spa_pod *props)
{
	const struct spa_pod_prop *prop;
	float vols[SPA_AUDIO_MAX_CHANNELS], volume;
	uint32_t n, c;
	bool changed = false;

	SPA_POD_OBJECT_FOREACH((const struct spa_pod_object *)props, prop) {
		switch (prop->key) {
		case SPA_PROP_volume:
			if (spa_pod_get_float(&prop->value, &volume) < 0)
				break;
			for (c = 0; c < r->n_channels; c++)
				r->volumes[c] = volume;
			changed = true;
			break;
		case SPA_PROP_channelVolumes:
			n = spa_pod_copy_array(&prop->value, SPA_TYPE_Float, vols,
					       SPA_N_ELEMENTS(vols));
			/* default-routes sends one value for all channels. */
			for (c = 0; n > 0 && c < r->n_channels; c++)
				r->volumes[c] = vols[c % n];
			changed |= n > 0;
			break;
		case SPA_PROP_mute:
			changed |= spa_pod_get_bool(&prop->value, &r->mute) == 0;
			break;
		default:
			break;
		}
	}
	for (c = 0; c < r->n_channels; c++)
		if (!(r->volumes[c] >= 0.0f) || r->volumes[c] > 10.0f)
			r->volumes[c] = 1.0f;	/* NaN or absurd: unity */
	return changed;
}

static int set_route(struct impl *this, const struct spa_pod *param)
{
	struct spa_pod *props = NULL;
	int32_t index, device;
	bool save = false;
	struct route *r;
	int res;

	if (param == NULL)
		return -EINVAL;
	res = spa_pod_parse_object(param, SPA_TYPE_OBJECT_ParamRoute, NULL,
			SPA_PARAM_ROUTE_index, SPA_POD_Int(&index),
			SPA_PARAM_ROUTE_device, SPA_POD_Int(&device),
			SPA_PARAM_ROUTE_props, SPA_POD_OPT_Pod(&props),
			SPA_PARAM_ROUTE_save, SPA_POD_OPT_Bool(&save));
	if (res < 0) {
		spa_log_warn(this->log, "%p: %s: a Route param without index and "
			     "device: %s", this, this->path, spa_strerror(res));
		return res;
	}
	/* One route per device: route i is stream i's. */
	if (device < 0 || (uint32_t)device >= this->n_transports || index != device) {
		spa_log_warn(this->log, "%p: %s: no route %d on device %d (the card "
			     "has %u)", this, this->path, index, device,
			     this->n_transports);
		return -EINVAL;
	}
	r = &this->routes[device];
	if (props != NULL && spa_pod_is_object_type(props, SPA_TYPE_OBJECT_Props))
		route_apply_props(this, r, props);
	r->save = save;
	spa_log_info(this->log, "%p: %s: route %d volume %f%s%s", this, this->path,
		     index, r->volumes[0], r->mute ? " muted" : "",
		     save ? " (save)" : "");
	emit_node_config(this, r);
	this->info.change_mask |= SPA_DEVICE_CHANGE_MASK_PARAMS;
	this->params[IDX_Route].user++;
	emit_info(this, false);
	return 0;
}

/* ---- the spa_device interface ---- */

static int impl_add_listener(void *object, struct spa_hook *listener,
			     const struct spa_device_events *events, void *data)
{
	struct impl *this = object;
	struct spa_hook_list save;
	uint32_t i;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(events != NULL, -EINVAL);

	spa_hook_list_isolate(&this->hooks, &save, listener, events, data);
	emit_info(this, true);
	/* The new listener hears of every node of the profile. */
	for (i = 0; i < this->n_transports; i++) {
		if (!stream_in_profile(&this->transports[i], this->profile))
			continue;
		emit_node(this, i, &this->transports[i]);
		this->routes[i].node_emitted = true;
	}
	spa_hook_list_join(&this->hooks, &save);
	return 0;
}

static int impl_sync(void *object, int seq)
{
	struct impl *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_device_emit_result(&this->hooks, seq, 0, 0, NULL);
	return 0;
}

static int impl_enum_params(void *object, int seq, uint32_t id, uint32_t start,
			    uint32_t num, const struct spa_pod *filter)
{
	struct impl *this = object;
	struct spa_result_device_params result;
	struct spa_pod_builder b = { 0 };
	uint8_t buffer[2048];
	struct spa_pod *param;
	uint32_t count = 0;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(num != 0, -EINVAL);

	result.id = id;
	result.next = start;
next:
	result.index = result.next++;
	spa_pod_builder_init(&b, buffer, sizeof(buffer));

	switch (id) {
	case SPA_PARAM_EnumProfile:
		if (result.index >= N_PROFILES)
			return 0;
		if (!profile_exists(this, result.index))
			goto next;
		param = build_profile(this, &b, id, result.index);
		break;
	case SPA_PARAM_Profile:
		if (result.index > 0)
			return 0;
		param = build_profile(this, &b, id, this->profile);
		break;
	case SPA_PARAM_EnumRoute:
		if (result.index >= this->n_transports)
			return 0;
		param = build_route(this, &b, id, result.index);
		break;
	case SPA_PARAM_Route:
		/* Active routes: those of the profile's nodes. */
		if (result.index >= this->n_transports)
			return 0;
		if (!stream_in_profile(&this->transports[result.index], this->profile))
			goto next;
		param = build_route(this, &b, id, result.index);
		break;
	default:
		return -ENOENT;
	}

	if (spa_pod_filter(&b, &result.param, param, filter) < 0)
		goto next;

	spa_device_emit_result(&this->hooks, seq, 0,
			       SPA_RESULT_TYPE_DEVICE_PARAMS, &result);
	if (++count != num)
		goto next;
	return 0;
}

static int impl_set_param(void *object, uint32_t id, uint32_t flags,
			  const struct spa_pod *param)
{
	struct impl *this = object;
	uint32_t index;
	int res;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	switch (id) {
	case SPA_PARAM_Profile:
		if (param == NULL)
			return -EINVAL;
		res = spa_pod_parse_object(param, SPA_TYPE_OBJECT_ParamProfile, NULL,
					   SPA_PARAM_PROFILE_index, SPA_POD_Int(&index));
		if (res < 0) {
			spa_log_warn(this->log, "%p: %s: a Profile param without an "
				     "index: %s", this, this->path, spa_strerror(res));
			return res;
		}
		return set_profile(this, index);
	case SPA_PARAM_Route:
		return set_route(this, param);
	default:
		return -ENOENT;
	}
}

static const struct spa_device_methods impl_device = {
	SPA_VERSION_DEVICE_METHODS,
	.add_listener = impl_add_listener,
	.sync = impl_sync,
	.enum_params = impl_enum_params,
	.set_param = impl_set_param,
};

/* ---- the handle ---- */

static int impl_get_interface(struct spa_handle *handle, const char *type,
			      void **interface)
{
	struct impl *this;

	spa_return_val_if_fail(handle != NULL, -EINVAL);
	spa_return_val_if_fail(interface != NULL, -EINVAL);

	this = (struct impl *)handle;
	if (!spa_streq(type, SPA_TYPE_INTERFACE_Device))
		return -ENOENT;
	*interface = &this->device;
	return 0;
}

static void stop_watching(struct impl *this)
{
	char path[300];

	if (this->source_added) {
		spa_loop_remove_source(this->main_loop, &this->source);
		this->source_added = false;
	}
	if (this->front_watched) {
		snprintf(path, sizeof(path), "%s/state", this->path);
		xs_unwatch(this->xs, path, TOKEN_FRONT);
		this->front_watched = false;
	}
	if (this->back_watched) {
		snprintf(path, sizeof(path), "%s/state", this->backend_path);
		xs_unwatch(this->xs, path, TOKEN_BACK);
		this->back_watched = false;
	}
}

/* Releases everything impl_init took, in reverse; safe on a half-done init. */
static void release_all(struct impl *this)
{
	uint32_t i;
	bool had_channels = this->published;

	if (this->xs != NULL)
		stop_watching(this);
	if (this->config_event != NULL) {
		spa_loop_utils_destroy_source(this->loop_utils, this->config_event);
		this->config_event = NULL;
	}
	if (this->transports != NULL) {
		close_transports(this);
		/* Each route's listener leaves in the transport's destroy. */
		for (i = 0; i < this->n_transports; i++)
			xensnd_transport_clear(&this->transports[i]);
		free(this->transports);
		this->transports = NULL;
		this->n_transports = 0;
	}
	free(this->routes);
	this->routes = NULL;
	/* The toolstack or backend sees the frontend leave. */
	if (this->xs != NULL && had_channels)
		set_front_state(this, XenbusStateClosed);
	if (this->gntshr != NULL) {
		xengntshr_close(this->gntshr);
		this->gntshr = NULL;
	}
	if (this->cfg_read) {
		xensnd_card_cfg_clear(&this->cfg);
		this->cfg_read = false;
	}
	free(this->backend_path);
	this->backend_path = NULL;
	if (this->xs != NULL) {
		xs_close(this->xs);
		this->xs = NULL;
	}
}

static int impl_clear(struct spa_handle *handle)
{
	struct impl *this = (struct impl *)handle;

	spa_log_info(this->log, "%p: %s: closing", this, this->path);
	release_all(this);
	return 0;
}

static size_t impl_get_size(const struct spa_handle_factory *factory,
			    const struct spa_dict *params)
{
	return sizeof(struct impl);
}

/* Which card: api.xensnd.path, else api.xensnd.dev-id. */
static int parse_card_props(struct impl *this, const struct spa_dict *info)
{
	const char *path = info ? spa_dict_lookup(info, XENSND_KEY_PATH) : NULL;
	const char *dev_id = info ? spa_dict_lookup(info, XENSND_KEY_DEV_ID) : NULL;
	const char *slash;
	char err[XENSND_ERROR_MAX];

	if (path == NULL && dev_id == NULL) {
		spa_log_error(this->log, "%p: neither %s nor %s given: which card?",
			      this, XENSND_KEY_PATH, XENSND_KEY_DEV_ID);
		return -EINVAL;
	}
	if (path != NULL) {
		slash = strrchr(path, '/');
		if (slash == NULL || strlen(path) >= sizeof(this->path) ||
		    xensnd_parse_u32(slash + 1, 0, UINT32_MAX, &this->dev_id,
				     err, sizeof(err)) < 0) {
			spa_log_error(this->log, "%p: %s \"%s\" is not a vsnd device "
				      "path (device/vsnd/<dev-id>)", this,
				      XENSND_KEY_PATH, path);
			return -EINVAL;
		}
		snprintf(this->path, sizeof(this->path), "%s", path);
		return 0;
	}
	if (xensnd_parse_u32(dev_id, 0, UINT32_MAX, &this->dev_id, err,
			     sizeof(err)) < 0) {
		spa_log_error(this->log, "%p: %s \"%s\": %s", this,
			      XENSND_KEY_DEV_ID, dev_id, err);
		return -EINVAL;
	}
	snprintf(this->path, sizeof(this->path), "device/vsnd/%u", this->dev_id);
	return 0;
}

/* The xenbus keys the toolstack wrote: backend path and domain. */
static int read_backend(struct impl *this)
{
	char err[XENSND_ERROR_MAX], *domid;
	uint32_t value;
	int res;

	this->backend_path = read_key(this, this->path, "backend");
	domid = read_key(this, this->path, "backend-id");
	if (this->backend_path == NULL || domid == NULL) {
		spa_log_error(this->log, "%p: %s has no backend/backend-id: not a "
			      "vsnd device the toolstack attached", this, this->path);
		free(domid);
		return -ENOENT;
	}
	/* We append "/state" and friends to it in fixed buffers. */
	if (strlen(this->backend_path) > XENSND_BACKEND_PATH_MAX) {
		spa_log_error(this->log, "%p: %s/backend: \"%.64s...\": longer than "
			      "%d characters", this, this->path, this->backend_path,
			      XENSND_BACKEND_PATH_MAX);
		free(domid);
		return -EINVAL;
	}
	res = xensnd_parse_u32(domid, 0, DOMID_FIRST_RESERVED - 1, &value,
			       err, sizeof(err));
	if (res < 0)
		spa_log_error(this->log, "%p: %s/backend-id: \"%s\": %s", this,
			      this->path, domid, err);
	else
		this->backend_domid = (domid_t)value;
	free(domid);
	return res;
}

static int read_config(struct impl *this)
{
	struct xensnd_xs_reader reader;
	char err[XENSND_ERROR_MAX] = "";
	int res;

	xensnd_xs_reader_init(&reader, this->xs, XBT_NULL);
	res = xensnd_card_cfg_read(&this->cfg, &reader.reader, this->path, err, sizeof(err));
	if (res < 0) {
		spa_log_error(this->log, "%p: %s: bad card configuration: %s", this,
			      this->path, err[0] ? err : spa_strerror(res));
		return res;
	}
	this->cfg_read = true;

	if (this->cfg.long_name[0])
		snprintf(this->description, sizeof(this->description), "%s",
			 this->cfg.long_name);
	else if (this->cfg.short_name[0])
		snprintf(this->description, sizeof(this->description), "%s",
			 this->cfg.short_name);
	else
		snprintf(this->description, sizeof(this->description),
			 "Xen sound card %u", this->dev_id);
	return 0;
}

static int create_transports(struct impl *this)
{
	uint32_t p, s, i = 0;

	this->n_transports = xensnd_card_cfg_n_streams(&this->cfg);
	this->transports = calloc(this->n_transports, sizeof(*this->transports));
	this->routes = calloc(this->n_transports, sizeof(*this->routes));
	if (this->transports == NULL || this->routes == NULL)
		return -ENOMEM;
	for (p = 0; p < this->cfg.n_pcms; p++) {
		const struct xensnd_pcm_cfg *pcm = &this->cfg.pcms[p];
		for (s = 0; s < pcm->n_streams && i < this->n_transports; s++)
			xensnd_transport_init(&this->transports[i++], this->log,
					      this->dev_id, this->backend_domid,
					      &this->cfg, pcm, &pcm->streams[s],
					      this->path, this->gntshr);
	}
	for (i = 0; i < this->n_transports; i++) {
		route_init(this, &this->routes[i], i);
		xensnd_transport_add_listener(&this->transports[i],
					      &this->routes[i].transport_listener,
					      &route_transport_events, &this->routes[i]);
	}
	return 0;
}

/*
 * A frontend left behind by an earlier process (a crashed or restarted
 * session manager) still says Initialised/Connected: withdraw its keys and
 * go back to Initialising so the backend starts over with us.
 */
static void reset_stale_state(struct impl *this)
{
	enum xenbus_state front = xensnd_read_state(this->xs, XBT_NULL, this->path);

	if (front == XenbusStateInitialising)
		return;
	spa_log_info(this->log, "%p: %s: found state %s from an earlier frontend;"
		     " starting over", this, this->path, xensnd_state_name(front));
	xensnd_front_unpublish(this->xs, this->path, &this->cfg);
	set_front_state(this, XenbusStateInitialising);
}

static int watch_states(struct impl *this)
{
	char path[300];
	int res;

	/* Both watches fire once on registration, which starts the
	 * handshake from whatever state the backend is in. */
	snprintf(path, sizeof(path), "%s/state", this->path);
	if (!xs_watch(this->xs, path, TOKEN_FRONT))
		goto error;
	this->front_watched = true;
	snprintf(path, sizeof(path), "%s/state", this->backend_path);
	if (!xs_watch(this->xs, path, TOKEN_BACK))
		goto error;
	this->back_watched = true;

	this->source.func = on_xenstore_event;
	this->source.data = this;
	this->source.fd = xs_fileno(this->xs);
	this->source.mask = SPA_IO_IN | SPA_IO_ERR | SPA_IO_HUP;
	this->source.rmask = 0;
	if (this->source.fd < 0) {
		spa_log_error(this->log, "%p: libxenstore has no watch fd", this);
		return -EIO;
	}
	res = spa_loop_add_source(this->main_loop, &this->source);
	if (res < 0) {
		spa_log_error(this->log, "%p: cannot add the XenStore fd to the "
			      "main loop: %s", this, spa_strerror(res));
		return res;
	}
	this->source_added = true;
	return 0;
error:
	res = -errno;
	spa_log_error(this->log, "%p: cannot watch %s: %s", this, path,
		      spa_strerror(res));
	return res;
}

static int impl_init(const struct spa_handle_factory *factory,
		     struct spa_handle *handle, const struct spa_dict *info,
		     const struct spa_support *support, uint32_t n_support)
{
	struct impl *this;
	int res;

	spa_return_val_if_fail(factory != NULL, -EINVAL);
	spa_return_val_if_fail(handle != NULL, -EINVAL);

	handle->get_interface = impl_get_interface;
	handle->clear = impl_clear;

	this = (struct impl *)handle;
	this->log = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_Log);
	spa_log_topic_init(this->log, &log_topic);
	this->main_loop = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_Loop);
	if (this->main_loop == NULL) {
		spa_log_error(this->log, "%p: a main loop is needed", this);
		return -EINVAL;
	}
	spa_hook_list_init(&this->hooks);
	/* PipeWire and WirePlumber give one; a bare SPA host may not. */
	this->loop_utils = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_LoopUtils);

	res = parse_card_props(this, info);
	if (res < 0)
		return res;

	this->xs = xs_open(0);
	if (this->xs == NULL) {
		res = errno > 0 ? -errno : -EIO;
		spa_log_error(this->log, "%p: %s: cannot connect to XenStore: %s",
			      this, this->path, spa_strerror(res));
		return res;
	}
	if ((res = read_backend(this)) < 0 || (res = read_config(this)) < 0)
		goto error;

	this->gntshr = xengntshr_open(NULL, 0);
	if (this->gntshr == NULL) {
		res = errno > 0 ? -errno : -EIO;
		spa_log_error(this->log, "%p: %s: cannot open the grant-sharing "
			      "device (/dev/xen/gntalloc): %s", this, this->path,
			      spa_strerror(res));
		goto error;
	}
	if ((res = create_transports(this)) < 0)
		goto error;

	if (this->loop_utils != NULL) {
		this->config_event = spa_loop_utils_add_event(this->loop_utils,
							      on_config_event, this);
		if (this->config_event == NULL) {
			res = errno > 0 ? -errno : -ENOMEM;
			spa_log_error(this->log, "%p: %s: cannot add a main-loop event: %s",
				      this, this->path, spa_strerror(res));
			goto error;
		}
	}

	reset_stale_state(this);
	if ((res = watch_states(this)) < 0)
		goto error;

	this->device.iface = SPA_INTERFACE_INIT(SPA_TYPE_INTERFACE_Device,
			SPA_VERSION_DEVICE, &impl_device, this);
	this->info = SPA_DEVICE_INFO_INIT();
	this->info_all = SPA_DEVICE_CHANGE_MASK_PROPS | SPA_DEVICE_CHANGE_MASK_PARAMS;
	this->params[IDX_EnumProfile] = SPA_PARAM_INFO(SPA_PARAM_EnumProfile,
						       SPA_PARAM_INFO_READ);
	this->params[IDX_Profile] = SPA_PARAM_INFO(SPA_PARAM_Profile,
						   SPA_PARAM_INFO_READWRITE);
	this->params[IDX_EnumRoute] = SPA_PARAM_INFO(SPA_PARAM_EnumRoute,
						     SPA_PARAM_INFO_READ);
	this->params[IDX_Route] = SPA_PARAM_INFO(SPA_PARAM_Route,
						 SPA_PARAM_INFO_READWRITE);
	this->info.params = this->params;
	this->info.n_params = SPA_N_ELEMENTS(this->params);
	this->profile = PROFILE_ON;

	spa_log_info(this->log, "%p: %s: \"%s\", %u streams, backend %s "
		     "(domain %u)", this, this->path, this->description,
		     this->n_transports, this->backend_path, this->backend_domid);
	return 0;
error:
	release_all(this);
	return res;
}

static const struct spa_interface_info impl_interfaces[] = {
	{ SPA_TYPE_INTERFACE_Device, },
};

static int impl_enum_interface_info(const struct spa_handle_factory *factory,
				    const struct spa_interface_info **info,
				    uint32_t *index)
{
	spa_return_val_if_fail(factory != NULL, -EINVAL);
	spa_return_val_if_fail(info != NULL, -EINVAL);
	spa_return_val_if_fail(index != NULL, -EINVAL);

	if (*index >= SPA_N_ELEMENTS(impl_interfaces))
		return 0;
	*info = &impl_interfaces[(*index)++];
	return 1;
}

const struct spa_handle_factory xensnd_device_factory = {
	SPA_VERSION_HANDLE_FACTORY,
	XENSND_FACTORY_DEVICE,
	NULL,
	impl_get_size,
	impl_init,
	impl_enum_interface_info,
};
