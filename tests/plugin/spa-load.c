/* SPDX-License-Identifier: MIT */
/*
 * Load libspa-xensnd.so the way PipeWire does (dlopen, then
 * spa_handle_factory_enum), without PipeWire: fast checks of the factories,
 * and of the monitor and device objects against a XenStore (under xensim).
 *
 *   spa-load PLUGIN factories NAME...
 *       the plugin has exactly these factories, each with an interface
 *   spa-load PLUGIN has NAME
 *       exit 0 when the plugin has factory NAME, 1 when not (quietly)
 *   spa-load PLUGIN card DEV-ID DESCRIPTION NODE-NAME...
 *       the monitor emits the card DEV-ID (api.xensnd.device, device.name
 *       xensnd_card.DEV-ID, device.description DESCRIPTION) within 5 s, and
 *       that device, created from those props, emits exactly the nodes
 *       NODE-NAME... with the right factory, media.class and a transport
 *
 * The support interfaces (log, system, loop) come from PipeWire's own
 * support/libspa-support.so, found through SPA_PLUGIN_DIR like PipeWire.
 * Exit 0 pass, 1 fail, 2 usage, 77 skip (no support library).
 */

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <spa/monitor/device.h>
#include <spa/node/node.h>
#include <spa/support/log.h>
#include <spa/support/loop.h>
#include <spa/support/plugin.h>
#include <spa/support/system.h>
#include <spa/utils/names.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#define EXIT_SKIP	77
#define MAX_OBJECTS	64
#define MAX_PROPS	32
#define WAIT_SECONDS	5

struct library {
	void *dl;
	spa_handle_factory_enum_func_t enum_func;
};

/* What an object_info said, copied out of the callback. */
struct object {
	bool present;
	char factory[64];
	char type[64];
	uint32_t n_props;
	char keys[MAX_PROPS][64];
	char values[MAX_PROPS][256];
};

struct listener_data {
	struct object objects[MAX_OBJECTS];
	uint32_t n_infos;
};

struct support {
	struct library lib;
	struct spa_handle *log_handle, *system_handle, *loop_handle;
	struct spa_support items[4];
	uint32_t n_items;
	struct spa_loop_control *control;
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int library_open(struct library *lib, const char *path)
{
	lib->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib->dl == NULL) {
		fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
		return -ENOENT;
	}
	lib->enum_func = (spa_handle_factory_enum_func_t)
		dlsym(lib->dl, SPA_HANDLE_FACTORY_ENUM_FUNC_NAME);
	if (lib->enum_func == NULL) {
		fprintf(stderr, "%s has no %s\n", path, SPA_HANDLE_FACTORY_ENUM_FUNC_NAME);
		dlclose(lib->dl);
		return -EINVAL;
	}
	return 0;
}

static const struct spa_handle_factory *find_factory(struct library *lib,
						      const char *name)
{
	const struct spa_handle_factory *f;
	uint32_t i = 0;

	while (lib->enum_func(&f, &i) > 0)
		if (spa_streq(f->name, name))
			return f;
	return NULL;
}

static struct spa_handle *make_handle(struct library *lib, const char *name,
				      const struct spa_dict *info,
				      const struct spa_support *support,
				      uint32_t n_support)
{
	const struct spa_handle_factory *f = find_factory(lib, name);
	struct spa_handle *h;
	int res;

	if (f == NULL) {
		fprintf(stderr, "no factory %s\n", name);
		return NULL;
	}
	h = calloc(1, spa_handle_factory_get_size(f, info));
	if (h == NULL)
		return NULL;
	res = spa_handle_factory_init(f, h, info, support, n_support);
	if (res < 0) {
		fprintf(stderr, "%s: init failed: %s\n", name, spa_strerror(res));
		free(h);
		return NULL;
	}
	return h;
}

static void free_handle(struct spa_handle *h)
{
	if (h != NULL) {
		spa_handle_clear(h);
		free(h);
	}
}

static void *get_iface(struct spa_handle *h, const char *type)
{
	void *iface = NULL;

	if (spa_handle_get_interface(h, type, &iface) < 0)
		return NULL;
	return iface;
}

/* support/libspa-support.so from the first SPA_PLUGIN_DIR entry that has it. */
static int support_open(struct support *s)
{
	const char *dirs = getenv("SPA_PLUGIN_DIR");
	char path[4096], *list, *dir, *save = NULL;
	int res = -ENOENT;

	list = strdup(dirs ? dirs : "/usr/lib/x86_64-linux-gnu/spa-0.2");
	if (list == NULL)
		return -ENOMEM;
	for (dir = strtok_r(list, ":", &save); dir && res < 0;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/support/libspa-support.so", dir);
		if (access(path, R_OK) == 0)
			res = library_open(&s->lib, path);
	}
	free(list);
	if (res < 0)
		return res;

	s->log_handle = make_handle(&s->lib, SPA_NAME_SUPPORT_LOG, NULL, NULL, 0);
	if (s->log_handle == NULL)
		return -EIO;
	s->items[s->n_items++] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_Log,
			get_iface(s->log_handle, SPA_TYPE_INTERFACE_Log));
	s->system_handle = make_handle(&s->lib, SPA_NAME_SUPPORT_SYSTEM, NULL,
				       s->items, s->n_items);
	if (s->system_handle == NULL)
		return -EIO;
	s->items[s->n_items++] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_System,
			get_iface(s->system_handle, SPA_TYPE_INTERFACE_System));
	s->loop_handle = make_handle(&s->lib, SPA_NAME_SUPPORT_LOOP, NULL,
				     s->items, s->n_items);
	if (s->loop_handle == NULL)
		return -EIO;
	s->items[s->n_items++] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_Loop,
			get_iface(s->loop_handle, SPA_TYPE_INTERFACE_Loop));
	s->control = get_iface(s->loop_handle, SPA_TYPE_INTERFACE_LoopControl);
	return s->control ? 0 : -EIO;
}

static void support_close(struct support *s)
{
	free_handle(s->loop_handle);
	free_handle(s->system_handle);
	free_handle(s->log_handle);
	if (s->lib.dl)
		dlclose(s->lib.dl);
}

static void on_object_info(void *data, uint32_t id,
			   const struct spa_device_object_info *info)
{
	struct listener_data *d = data;
	struct object *o;
	const struct spa_dict_item *it;

	d->n_infos++;
	if (id >= MAX_OBJECTS)
		return;
	o = &d->objects[id];
	spa_zero(*o);
	if (info == NULL)
		return;
	o->present = true;
	snprintf(o->factory, sizeof(o->factory), "%s", info->factory_name);
	snprintf(o->type, sizeof(o->type), "%s", info->type);
	spa_dict_for_each(it, info->props) {
		if (o->n_props == MAX_PROPS)
			break;
		snprintf(o->keys[o->n_props], sizeof(o->keys[0]), "%s", it->key);
		snprintf(o->values[o->n_props], sizeof(o->values[0]), "%s", it->value);
		o->n_props++;
	}
}

static const struct spa_device_events device_events = {
	SPA_VERSION_DEVICE_EVENTS,
	.object_info = on_object_info,
};

static const char *object_prop(const struct object *o, const char *key)
{
	uint32_t i;

	for (i = 0; i < o->n_props; i++)
		if (spa_streq(o->keys[i], key))
			return o->values[i];
	return NULL;
}

static int check_factories(struct library *lib, int n_names, char **names)
{
	const struct spa_handle_factory *f;
	const struct spa_interface_info *ii;
	uint32_t i = 0, j, count = 0;
	int n, errors = 0;

	while (lib->enum_func(&f, &i) > 0) {
		bool expected = false;
		for (n = 0; n < n_names; n++)
			expected |= spa_streq(f->name, names[n]);
		if (!expected)
			errors += fail("unexpected factory %s", f->name);
		j = 0;
		if (spa_handle_factory_enum_interface_info(f, &ii, &j) <= 0)
			errors += fail("factory %s has no interface", f->name);
		else
			printf("factory %s: %s\n", f->name, ii->type);
		count++;
	}
	for (n = 0; n < n_names; n++)
		if (find_factory(lib, names[n]) == NULL)
			errors += fail("factory %s is missing", names[n]);
	if (count != (uint32_t)n_names)
		errors += fail("%u factories, expected %d", count, n_names);
	return errors ? 1 : 0;
}

/* Run the loop until pred says done or WAIT_SECONDS pass. */
static bool iterate_until(struct support *s, bool (*pred)(void *), void *arg)
{
	time_t end = time(NULL) + WAIT_SECONDS;

	spa_loop_control_enter(s->control);
	while (!pred(arg) && time(NULL) <= end)
		spa_loop_control_iterate(s->control, 100);
	spa_loop_control_leave(s->control);
	return pred(arg);
}

struct card_wait {
	struct listener_data *d;
	uint32_t dev_id;
};

static bool card_seen(void *arg)
{
	struct card_wait *w = arg;
	return w->dev_id < MAX_OBJECTS && w->d->objects[w->dev_id].present;
}

static int check_device_object(const struct object *o, uint32_t dev_id,
			       const char *description)
{
	char name[64];
	int errors = 0;

	snprintf(name, sizeof(name), "xensnd_card.%u", dev_id);
	if (!spa_streq(o->factory, "api.xensnd.device"))
		errors += fail("card factory %s", o->factory);
	if (!spa_streq(o->type, SPA_TYPE_INTERFACE_Device))
		errors += fail("card type %s", o->type);
	if (!spa_streq(object_prop(o, "device.name"), name))
		errors += fail("device.name %s, expected %s",
			       object_prop(o, "device.name"), name);
	if (!spa_streq(object_prop(o, "device.description"), description))
		errors += fail("device.description \"%s\", expected \"%s\"",
			       object_prop(o, "device.description"), description);
	if (!spa_streq(object_prop(o, "device.api"), "xensnd"))
		errors += fail("device.api %s", object_prop(o, "device.api"));
	if (object_prop(o, "api.xensnd.backend-domid") == NULL ||
	    object_prop(o, "api.xensnd.path") == NULL)
		errors += fail("card without api.xensnd.backend-domid/path");
	return errors;
}

static int check_node(const struct object *o, const char *name)
{
	bool input = spa_strstartswith(name, "xensnd_input.");
	int errors = 0;

	if (!spa_streq(o->factory, input ? "api.xensnd.pcm.source" : "api.xensnd.pcm.sink"))
		errors += fail("%s: factory %s", name, o->factory);
	if (!spa_streq(o->type, SPA_TYPE_INTERFACE_Node))
		errors += fail("%s: type %s", name, o->type);
	if (!spa_streq(object_prop(o, "media.class"), input ? "Audio/Source" : "Audio/Sink"))
		errors += fail("%s: media.class %s", name, object_prop(o, "media.class"));
	if (!spa_strstartswith(object_prop(o, "api.xensnd.transport"), "pointer:"))
		errors += fail("%s: no transport pointer", name);
	if (object_prop(o, "node.description") == NULL ||
	    object_prop(o, "node.nick") == NULL)
		errors += fail("%s: no node.description/node.nick", name);
	printf("node %s: \"%s\"\n", name, object_prop(o, "node.description"));
	return errors;
}

/* Create the device from the card object's props; its nodes must be names. */
static int check_nodes(struct library *lib, struct support *s,
		       const struct object *card, int n_names, char **names)
{
	struct spa_dict_item items[MAX_PROPS];
	struct listener_data d = { 0 };
	struct spa_hook listener = { 0 };
	struct spa_handle *h;
	struct spa_device *device;
	uint32_t i;
	int n, errors = 0, found = 0;

	for (i = 0; i < card->n_props; i++)
		items[i] = SPA_DICT_ITEM_INIT(card->keys[i], card->values[i]);
	h = make_handle(lib, card->factory, &SPA_DICT_INIT(items, card->n_props),
			s->items, s->n_items);
	if (h == NULL)
		return fail("cannot create the card's device");
	device = get_iface(h, SPA_TYPE_INTERFACE_Device);
	spa_device_add_listener(device, &listener, &device_events, &d);

	for (i = 0; i < MAX_OBJECTS; i++) {
		const char *name = d.objects[i].present ?
			object_prop(&d.objects[i], "node.name") : NULL;
		bool expected = false;
		if (name == NULL)
			continue;
		for (n = 0; n < n_names; n++)
			expected |= spa_streq(name, names[n]);
		if (!expected)
			errors += fail("unexpected node %s", name);
		else
			found++;
		errors += check_node(&d.objects[i], name);
	}
	if (found != n_names)
		errors += fail("%d of the %d expected nodes", found, n_names);

	spa_hook_remove(&listener);
	free_handle(h);
	return errors;
}

static int check_card(struct library *lib, const char *dev_id_str,
		      const char *description, int n_names, char **names)
{
	struct support s = { 0 };
	struct listener_data d = { 0 };
	struct spa_hook listener = { 0 };
	struct spa_handle *h = NULL;
	struct spa_device *monitor;
	struct card_wait w = { &d, (uint32_t)strtoul(dev_id_str, NULL, 10) };
	int errors = 0;

	if (support_open(&s) < 0) {
		fprintf(stderr, "SKIP: no usable support/libspa-support.so\n");
		support_close(&s);
		return EXIT_SKIP;
	}
	h = make_handle(lib, "api.xensnd.enum.xenstore", NULL, s.items, s.n_items);
	if (h == NULL) {
		errors += fail("cannot create the monitor");
		goto out;
	}
	monitor = get_iface(h, SPA_TYPE_INTERFACE_Device);
	spa_device_add_listener(monitor, &listener, &device_events, &d);
	if (!iterate_until(&s, card_seen, &w)) {
		errors += fail("card %s not emitted within %d s", dev_id_str,
			       WAIT_SECONDS);
		goto out;
	}
	printf("card %s: %s\n", dev_id_str,
	       object_prop(&d.objects[w.dev_id], "device.description"));
	errors += check_device_object(&d.objects[w.dev_id], w.dev_id, description);
	errors += check_nodes(lib, &s, &d.objects[w.dev_id], n_names, names);
out:
	if (h != NULL) {
		spa_hook_remove(&listener);
		free_handle(h);
	}
	support_close(&s);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct library lib;
	int res;

	if (argc < 3 || spa_streq(argv[1], "--help")) {
		fprintf(stderr, "usage: %s PLUGIN factories NAME...\n"
			"       %s PLUGIN has NAME\n"
			"       %s PLUGIN card DEV-ID DESCRIPTION NODE-NAME...\n",
			argv[0], argv[0], argv[0]);
		return argc >= 2 && spa_streq(argv[1], "--help") ? 0 : 2;
	}
	if (library_open(&lib, argv[1]) < 0)
		return 1;
	if (spa_streq(argv[2], "factories"))
		res = check_factories(&lib, argc - 3, argv + 3);
	else if (spa_streq(argv[2], "has") && argc == 4)
		return find_factory(&lib, argv[3]) ? 0 : 1;
	else if (spa_streq(argv[2], "card") && argc >= 5)
		res = check_card(&lib, argv[3], argv[4], argc - 5, argv + 5);
	else
		res = 2;
	dlclose(lib.dl);
	if (res == 0)
		printf("PASS\n");
	return res;
}
