/* SPDX-License-Identifier: MIT */
/*
 * api.xensnd.enum.xenstore: the guest's vsnd devices as SPA device objects.
 *
 * Watches the relative path device/vsnd (the guest's own
 * /local/domain/<id>/device/vsnd) and emits one object per <dev-id>,
 * created by api.xensnd.device; removes it when the toolstack removes the
 * directory. Like alsa-udev's monitor, but the event source is a XenStore
 * watch: libxenstore's fd sits on the main loop and xs_check_watch never
 * blocks.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spa/monitor/device.h>
#include <spa/monitor/utils.h>
#include <spa/support/log.h>
#include <spa/support/loop.h>
#include <spa/support/plugin.h>
#include <spa/utils/keys.h>
#include <spa/utils/list.h>
#include <spa/utils/names.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#include <xenstore.h>

#include <xensnd/config.h>
#include <xensnd/xenbus.h>

#include "defs.h"

static struct spa_log_topic log_topic = SPA_LOG_TOPIC(0, "spa.xensnd.monitor");
#undef SPA_LOG_TOPIC_DEFAULT
#define SPA_LOG_TOPIC_DEFAULT &log_topic

#define VSND_DIR	"device/vsnd"
#define WATCH_TOKEN	"xensnd-monitor"

/* One directory entry under device/vsnd, emitted or (bad config) not. */
struct card {
	struct spa_list link;
	uint32_t dev_id;
	bool emitted;
	bool seen;			/* still listed in this refresh */
	char error[XENSND_ERROR_MAX];	/* last logged reason it was skipped */
};

struct impl {
	struct spa_handle handle;
	struct spa_device device;

	struct spa_log *log;
	struct spa_loop *main_loop;

	struct spa_hook_list hooks;
	uint64_t info_all;
	struct spa_device_info info;

	struct xs_handle *xs;
	struct spa_source source;
	bool watching;
	bool source_added;

	struct spa_list cards;
};

static struct card *find_card(struct impl *this, uint32_t dev_id)
{
	struct card *c;

	spa_list_for_each(c, &this->cards, link)
		if (c->dev_id == dev_id)
			return c;
	return NULL;
}

static char *read_key(struct impl *this, const char *dir, const char *key)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(this->xs, XBT_NULL, path, &len);
}

/* backend-id is the toolstack's: it is there exactly while the device is
 * attached (the frontend never writes it). */
static bool card_attached(struct impl *this, uint32_t dev_id)
{
	char path[64], *value;

	snprintf(path, sizeof(path), "%s/%u", VSND_DIR, dev_id);
	value = read_key(this, path, "backend-id");
	free(value);
	return value != NULL;
}

/* The device object's properties, from the card's config and xenbus keys. */
static void emit_card(struct impl *this, struct card *c,
		      const struct xensnd_card_cfg *cfg, uint32_t backend_domid,
		      const char *path)
{
	struct spa_device_object_info info;
	struct spa_dict_item items[16];
	uint32_t n_items = 0;
	char name[64], dev_id[16], domid[16], fallback[64];
	const char *description, *nick;

	snprintf(name, sizeof(name), "xensnd_card.%u", c->dev_id);
	snprintf(dev_id, sizeof(dev_id), "%u", c->dev_id);
	snprintf(domid, sizeof(domid), "%u", backend_domid);
	snprintf(fallback, sizeof(fallback), "Xen sound card %u", c->dev_id);
	description = cfg->long_name[0] ? cfg->long_name :
		cfg->short_name[0] ? cfg->short_name : fallback;
	nick = cfg->short_name[0] ? cfg->short_name : description;

	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_NAME, name);
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_API, "xensnd");
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_DESCRIPTION, description);
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_NICK, nick);
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_MEDIA_CLASS, "Audio/Device");
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_BUS, "xen");
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_ICON_NAME, "audio-card");
	items[n_items++] = SPA_DICT_ITEM_INIT(SPA_KEY_LIBRARY_NAME, XENSND_LIBRARY_NAME);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_DEV_ID, dev_id);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_BACKEND_DOMID, domid);
	items[n_items++] = SPA_DICT_ITEM_INIT(XENSND_KEY_PATH, path);

	info = SPA_DEVICE_OBJECT_INFO_INIT();
	info.type = SPA_TYPE_INTERFACE_Device;
	info.factory_name = XENSND_FACTORY_DEVICE;
	info.change_mask = SPA_DEVICE_OBJECT_CHANGE_MASK_PROPS;
	info.props = &SPA_DICT_INIT(items, n_items);

	spa_log_info(this->log, "%p: card %s: %s (backend domain %u)", this,
		     path, description, backend_domid);
	spa_device_emit_object_info(&this->hooks, c->dev_id, &info);
	c->emitted = true;
	c->error[0] = '\0';
}

/* Log why a card is skipped, once per distinct reason: the watch fires for
 * every change below device/vsnd, and each one re-reads skipped cards. */
static void skip_card(struct impl *this, struct card *c, const char *reason)
{
	if (spa_streq(c->error, reason))
		return;
	snprintf(c->error, sizeof(c->error), "%s", reason);
	spa_log_error(this->log, "%p: skipping Xen sound card %s/%u: %s; fix the "
		      "vsnd configuration and re-attach it", this, VSND_DIR,
		      c->dev_id, reason);
}

/* Read a listed card; emit it when its xenbus keys and config are good. */
static void try_card(struct impl *this, struct card *c)
{
	struct xensnd_card_cfg cfg;
	struct xensnd_xs_reader reader;
	char path[64], err[XENSND_ERROR_MAX], *backend_id;
	uint32_t domid;
	int res;

	snprintf(path, sizeof(path), "%s/%u", VSND_DIR, c->dev_id);

	/* The toolstack writes backend-id with the rest of the device; until
	 * it is there the device is not ready, which is not an error. */
	backend_id = read_key(this, path, "backend-id");
	if (backend_id == NULL) {
		spa_log_debug(this->log, "%p: %s: no backend-id yet", this, path);
		return;
	}
	res = xensnd_parse_u32(backend_id, 0, DOMID_FIRST_RESERVED - 1, &domid,
			       err, sizeof(err));
	if (res < 0) {
		char reason[XENSND_ERROR_MAX + 128];
		snprintf(reason, sizeof(reason), "%s/backend-id: \"%s\": %s",
			 path, backend_id, err);
		free(backend_id);
		skip_card(this, c, reason);
		return;
	}
	free(backend_id);

	xensnd_xs_reader_init(&reader, this->xs, XBT_NULL);
	res = xensnd_card_cfg_read(&cfg, &reader.reader, path, err, sizeof(err));
	if (res < 0) {
		skip_card(this, c, err[0] ? err : spa_strerror(res));
		return;
	}
	emit_card(this, c, &cfg, domid, path);
	xensnd_card_cfg_clear(&cfg);
}

static void remove_card(struct impl *this, struct card *c)
{
	if (c->emitted) {
		spa_log_info(this->log, "%p: card %s/%u removed", this, VSND_DIR,
			     c->dev_id);
		spa_device_emit_object_info(&this->hooks, c->dev_id, NULL);
	}
	spa_list_remove(&c->link);
	free(c);
}

/* <dev-id> is a decimal number (xl numbers devices from 0). */
static bool parse_dev_id(const char *name, uint32_t *dev_id)
{
	char *end;
	unsigned long v;

	if (name[0] < '0' || name[0] > '9')
		return false;
	errno = 0;
	v = strtoul(name, &end, 10);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX)
		return false;
	*dev_id = (uint32_t)v;
	return true;
}

static void note_listed(struct impl *this, const char *name)
{
	struct card *c;
	uint32_t dev_id;

	if (!parse_dev_id(name, &dev_id)) {
		spa_log_debug(this->log, "%p: ignoring %s/%s: not a device id",
			      this, VSND_DIR, name);
		return;
	}
	c = find_card(this, dev_id);
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			spa_log_error(this->log, "%p: out of memory for card %u",
				      this, dev_id);
			return;
		}
		c->dev_id = dev_id;
		spa_list_append(&this->cards, &c->link);
	}
	c->seen = true;
	if (!c->emitted)
		try_card(this, c);
	else if (!card_attached(this, c->dev_id))
		/* The toolstack removed it; what is listed is left over
		 * from a frontend write that raced the removal. */
		c->seen = false;
}

/* Bring the emitted objects in line with what device/vsnd lists now. */
static void refresh(struct impl *this)
{
	struct card *c, *tmp;
	unsigned int i, num = 0;
	char **names;

	names = xs_directory(this->xs, XBT_NULL, VSND_DIR, &num);
	if (names == NULL && errno != ENOENT)
		spa_log_warn(this->log, "%p: cannot list %s: %m", this, VSND_DIR);

	spa_list_for_each(c, &this->cards, link)
		c->seen = false;
	for (i = 0; names != NULL && i < num; i++)
		note_listed(this, names[i]);
	free(names);

	spa_list_for_each_safe(c, tmp, &this->cards, link)
		if (!c->seen)
			remove_card(this, c);
}

static void on_xenstore_event(struct spa_source *source)
{
	struct impl *this = source->data;
	bool changed = false;
	char **event;

	if (source->rmask & (SPA_IO_ERR | SPA_IO_HUP)) {
		spa_log_error(this->log, "%p: lost the XenStore connection; "
			      "Xen sound cards are no longer tracked", this);
		spa_loop_remove_source(this->main_loop, &this->source);
		this->source_added = false;
		return;
	}
	/* Drain every queued event, then look once. */
	while ((event = xs_check_watch(this->xs)) != NULL) {
		if (spa_streq(event[XS_WATCH_TOKEN], WATCH_TOKEN))
			changed = true;
		free(event);
	}
	if (changed)
		refresh(this);
}

static int start_watching(struct impl *this)
{
	int res;

	if (this->watching)
		return 0;
	if (!xs_watch(this->xs, VSND_DIR, WATCH_TOKEN)) {
		res = -errno;
		spa_log_error(this->log, "%p: cannot watch %s: %s", this, VSND_DIR,
			      spa_strerror(res));
		return res;
	}
	this->watching = true;

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
}

static void stop_watching(struct impl *this)
{
	if (this->source_added) {
		spa_loop_remove_source(this->main_loop, &this->source);
		this->source_added = false;
	}
	if (this->watching) {
		xs_unwatch(this->xs, VSND_DIR, WATCH_TOKEN);
		this->watching = false;
	}
}

static void emit_device_info(struct impl *this, bool full)
{
	static const struct spa_dict_item items[] = {
		{ SPA_KEY_DEVICE_API, "xensnd" },
		{ SPA_KEY_DEVICE_NICK, "xensnd-xenstore" },
	};
	uint64_t old = full ? this->info.change_mask : 0;

	if (full)
		this->info.change_mask = this->info_all;
	if (this->info.change_mask) {
		this->info.props = &SPA_DICT_INIT_ARRAY(items);
		spa_device_emit_info(&this->hooks, &this->info);
		this->info.change_mask = old;
	}
}

/* Re-read and emit the cards already emitted (for a new listener). */
static void emit_known_cards(struct impl *this)
{
	struct card *c;

	spa_list_for_each(c, &this->cards, link)
		if (c->emitted)
			try_card(this, c);
}

static int impl_add_listener(void *object, struct spa_hook *listener,
			     const struct spa_device_events *events, void *data)
{
	struct impl *this = object;
	struct spa_hook_list save;
	int res = 0;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(events != NULL, -EINVAL);

	spa_hook_list_isolate(&this->hooks, &save, listener, events, data);

	emit_device_info(this, true);
	if (this->watching)
		/* A late listener hears about the cards the others know. */
		emit_known_cards(this);
	spa_hook_list_join(&this->hooks, &save);

	if (!this->watching) {
		/* The watch fires once on registration: that event lists the
		 * cards already attached. Listing now as well makes them
		 * appear without waiting for the loop. */
		res = start_watching(this);
		if (res >= 0)
			refresh(this);
	}
	return res;
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
	return -ENOTSUP;
}

static int impl_set_param(void *object, uint32_t id, uint32_t flags,
			  const struct spa_pod *param)
{
	return -ENOTSUP;
}

static const struct spa_device_methods impl_device = {
	SPA_VERSION_DEVICE_METHODS,
	.add_listener = impl_add_listener,
	.sync = impl_sync,
	.enum_params = impl_enum_params,
	.set_param = impl_set_param,
};

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

static int impl_clear(struct spa_handle *handle)
{
	struct impl *this = (struct impl *)handle;
	struct card *c;

	stop_watching(this);
	spa_list_consume(c, &this->cards, link) {
		spa_list_remove(&c->link);
		free(c);
	}
	if (this->xs != NULL) {
		xs_close(this->xs);
		this->xs = NULL;
	}
	return 0;
}

static size_t impl_get_size(const struct spa_handle_factory *factory,
			    const struct spa_dict *params)
{
	return sizeof(struct impl);
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
	spa_list_init(&this->cards);
	spa_hook_list_init(&this->hooks);

	/* xs_open(0): libxenstore finds xenstored (or xensim) through
	 * XENSTORED_PATH or the platform default. */
	this->xs = xs_open(0);
	if (this->xs == NULL) {
		res = -errno;
		spa_log_error(this->log, "%p: cannot connect to XenStore (%s): is "
			      "this a Xen guest, or is XENSTORED_PATH set under "
			      "xensim?", this, spa_strerror(res));
		return res < 0 ? res : -EIO;
	}

	this->device.iface = SPA_INTERFACE_INIT(SPA_TYPE_INTERFACE_Device,
			SPA_VERSION_DEVICE, &impl_device, this);

	this->info = SPA_DEVICE_INFO_INIT();
	this->info_all = SPA_DEVICE_CHANGE_MASK_FLAGS | SPA_DEVICE_CHANGE_MASK_PROPS;
	this->info.flags = 0;
	return 0;
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

const struct spa_handle_factory xensnd_enum_factory = {
	SPA_VERSION_HANDLE_FACTORY,
	XENSND_FACTORY_ENUM,
	NULL,
	impl_get_size,
	impl_init,
	impl_enum_interface_info,
};
