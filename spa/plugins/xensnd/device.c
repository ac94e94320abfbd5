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

enum profile {
	PROFILE_OFF,
	PROFILE_ON,		/* every configured stream is a node */
	N_PROFILES,
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
	struct spa_param_info params[2];

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
	uint32_t n_transports;
	bool published;

	enum profile profile;
	bool nodes_emitted;
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
	char dev_id[16], pcm[16], stream[16], domid[16], pointer[64];
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

	info = SPA_DEVICE_OBJECT_INFO_INIT();
	info.type = SPA_TYPE_INTERFACE_Node;
	info.factory_name = capture ? XENSND_FACTORY_SOURCE : XENSND_FACTORY_SINK;
	info.change_mask = SPA_DEVICE_OBJECT_CHANGE_MASK_PROPS;
	info.props = &SPA_DICT_INIT(items, n_items);

	spa_device_emit_object_info(&this->hooks, id, &info);
}

static void emit_nodes(struct impl *this)
{
	uint32_t i;

	for (i = 0; i < this->n_transports; i++)
		emit_node(this, i, &this->transports[i]);
	this->nodes_emitted = true;
}

static void remove_nodes(struct impl *this)
{
	uint32_t i;

	if (!this->nodes_emitted)
		return;
	for (i = 0; i < this->n_transports; i++)
		spa_device_emit_object_info(&this->hooks, i, NULL);
	this->nodes_emitted = false;
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

static void count_directions(struct impl *this, uint32_t *n_sinks,
			     uint32_t *n_sources)
{
	uint32_t i;

	*n_sinks = *n_sources = 0;
	for (i = 0; i < this->n_transports; i++) {
		if (this->transports[i].stream->capture)
			(*n_sources)++;
		else
			(*n_sinks)++;
	}
}

static struct spa_pod *build_profile(struct impl *this, struct spa_pod_builder *b,
				     uint32_t id, enum profile index)
{
	struct spa_pod_frame f[2];
	uint32_t n_sinks, n_sources;
	bool on = index == PROFILE_ON;

	count_directions(this, &n_sinks, &n_sources);
	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_ParamProfile, id);
	spa_pod_builder_add(b,
		SPA_PARAM_PROFILE_index, SPA_POD_Int(index),
		SPA_PARAM_PROFILE_name, SPA_POD_String(on ? "on" : "off"),
		SPA_PARAM_PROFILE_description, SPA_POD_String(on ? "On" : "Off"),
		SPA_PARAM_PROFILE_available, SPA_POD_Id(SPA_PARAM_AVAILABILITY_yes),
		SPA_PARAM_PROFILE_priority, SPA_POD_Int(on ? 1 : 0),
		0);
	if (on) {
		/* What the profile gives, as pavucontrol counts it. */
		spa_pod_builder_prop(b, SPA_PARAM_PROFILE_classes, 0);
		spa_pod_builder_push_struct(b, &f[1]);
		spa_pod_builder_int(b, (n_sinks > 0) + (n_sources > 0));
		if (n_sinks > 0)
			spa_pod_builder_add_struct(b, SPA_POD_String("Audio/Sink"),
						   SPA_POD_Int(n_sinks));
		if (n_sources > 0)
			spa_pod_builder_add_struct(b, SPA_POD_String("Audio/Source"),
						   SPA_POD_Int(n_sources));
		spa_pod_builder_pop(b, &f[1]);
	}
	return spa_pod_builder_pop(b, &f[0]);
}

static int set_profile(struct impl *this, uint32_t index)
{
	if (index >= N_PROFILES)
		return -EINVAL;
	if (index == this->profile)
		return 0;

	spa_log_info(this->log, "%p: %s: profile %s", this, this->path,
		     index == PROFILE_ON ? "on" : "off");
	this->profile = index;
	/* The new Profile first: whoever sees the nodes change can read it. */
	this->info.change_mask |= SPA_DEVICE_CHANGE_MASK_PARAMS;
	this->params[IDX_Profile].user++;
	emit_info(this, false);

	if (index == PROFILE_ON)
		emit_nodes(this);
	else
		remove_nodes(this);
	return 0;
}

/* ---- the spa_device interface ---- */

static int impl_add_listener(void *object, struct spa_hook *listener,
			     const struct spa_device_events *events, void *data)
{
	struct impl *this = object;
	struct spa_hook_list save;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(events != NULL, -EINVAL);

	spa_hook_list_isolate(&this->hooks, &save, listener, events, data);
	emit_info(this, true);
	if (this->profile == PROFILE_ON)
		emit_nodes(this);
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
	uint8_t buffer[1024];
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
		param = build_profile(this, &b, id, result.index);
		break;
	case SPA_PARAM_Profile:
		if (result.index > 0)
			return 0;
		param = build_profile(this, &b, id, this->profile);
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
	if (this->transports != NULL) {
		close_transports(this);
		for (i = 0; i < this->n_transports; i++)
			xensnd_transport_clear(&this->transports[i]);
		free(this->transports);
		this->transports = NULL;
		this->n_transports = 0;
	}
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
	if (this->transports == NULL)
		return -ENOMEM;
	for (p = 0; p < this->cfg.n_pcms; p++) {
		const struct xensnd_pcm_cfg *pcm = &this->cfg.pcms[p];
		for (s = 0; s < pcm->n_streams && i < this->n_transports; s++)
			xensnd_transport_init(&this->transports[i++], this->log,
					      this->dev_id, this->backend_domid,
					      &this->cfg, pcm, &pcm->streams[s],
					      this->path, this->gntshr);
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
