/* SPDX-License-Identifier: MIT */
/*
 * xensim vsnd-attach: create vsnd devices the way libxl does
 * (libxl__device_add_async + libxl__device_generic_add + libxl_vsnd.c):
 *
 *   /libxl/G/device/vsnd/D/{frontend,backend}    paths of the two halves
 *   /libxl/G/device/vsnd/D/{frontend-id,online,state}   copy of the backend's
 *   /local/domain/G/device/vsnd/D                perms n<G>,r<B>
 *       backend, backend-id, state = 1 (Initialising), then the card/PCM/
 *       stream settings, each node with the same perms
 *   /local/domain/B/backend/vsnd/G/D             perms n<B>,r<G>
 *       frontend, frontend-id, online = 1, state = 1 (Initialising)
 *
 * all in one transaction, retried on EAGAIN. The device id is the highest
 * one in use plus one (libxl takes the last entry of the libxl directory
 * plus one); we also look at the guest's device/vsnd so a frontend
 * directory written by someone else is never overwritten.
 */
#include "toolstack-private.h"
#include "vsnd-front.h"
#include "vsnd-spec.h"
#include "xlcfg.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xenbus.h>
#include <xensnd/config.h>

#define CMD		"vsnd-attach"
#define CONFIG_MAX	(1u << 20)	/* an xl.cfg is a few KiB */
#define MAX_ATTEMPTS	32		/* transaction retries on EAGAIN */
#define PATH_MAX_LEN	256
#define ERR_MAX		(2 * XENSND_ERROR_MAX)

struct device {
	struct vsnd_spec spec;
	struct vsnd_front front;
	const char *backend_spec;	/* backend= or --backend-domid, or NULL */
	uint32_t backend;
	uint32_t devid;
};

struct attach {
	uint32_t guest;
	const char *backend_option;
	const char *config;
	struct device *devices;
	size_t n_devices;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xensim " CMD " [--dir DIR] [--backend-domid B] DOMID ITEM...\n"
		"       xensim " CMD " [--dir DIR] [--backend-domid B] --config FILE DOMID\n"
		"\n"
		"Give guest DOMID a virtual sound card, as `xl vsnd-attach` does: the\n"
		"frontend and backend XenStore nodes, their permissions, both in state 1\n"
		"(Initialising), written in one transaction. Prints the new device id.\n"
		"\n"
		"ITEMs, as in the vsnd= line of xl.cfg(5) (a PCM belongs to the card, a\n"
		"STREAM to the PCM before it; lists are separated by ';'):\n"
		"  'CARD, short-name=Main, long-name=..., backend=DOMAIN'\n"
		"  'PCM, name=Main'\n"
		"  'STREAM, unique-id=0, type=p'         (id= works too; type p or c)\n"
		"and on any of them sample-rates=44100;48000, sample-formats=s16_le;s24_le,\n"
		"channels-min=N, channels-max=N, buffer-size=BYTES; a lower level must be\n"
		"a subset of the level above it.\n"
		"\n"
		"  --backend-domid B   the backend domain, id or name (default 0); the\n"
		"                      same as backend= on the CARD item\n"
		"  --config FILE       take the devices from the vsnd = [ [...], ... ]\n"
		"                      setting of an xl.cfg file, one per inner list\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: 0 attached, 1 failed (nothing was written), 2 usage error.\n");
}

static void devices_free(struct attach *a)
{
	for (size_t i = 0; i < a->n_devices; i++) {
		vsnd_spec_clear(&a->devices[i].spec);
		vsnd_front_clear(&a->devices[i].front);
	}
	free(a->devices);
	a->devices = NULL;
	a->n_devices = 0;
}

static struct device *device_new(struct attach *a)
{
	struct device *devices = realloc(a->devices, (a->n_devices + 1) * sizeof(*devices));

	if (!devices)
		return NULL;
	a->devices = devices;
	memset(&devices[a->n_devices], 0, sizeof(devices[0]));
	vsnd_spec_init(&devices[a->n_devices].spec);
	return &devices[a->n_devices++];
}

/* Structure and values of a parsed device; where says where it came from. */
static int device_finish(struct attach *a, struct device *dev, const char *where)
{
	const char *card_backend = dev->spec.card.values[VSND_KEY_BACKEND];
	char err[ERR_MAX];
	int ret = vsnd_spec_check(&dev->spec, err, sizeof(err));

	if (ret == 0)
		ret = vsnd_front_build(&dev->spec, &dev->front, err, sizeof(err));
	if (ret < 0) {
		toolstack_error(CMD, "%s%s", where, err);
		return ret;
	}
	if (card_backend && a->backend_option && strcmp(card_backend, a->backend_option) != 0) {
		toolstack_error(CMD, "%sbackend=%s on the CARD item contradicts "
				"--backend-domid %s; give one of them", where, card_backend,
				a->backend_option);
		return -EINVAL;
	}
	dev->backend_spec = card_backend ? card_backend : a->backend_option;
	return 0;
}

static int devices_from_items(struct attach *a, int n_items, char **items)
{
	struct device *dev = device_new(a);
	char err[ERR_MAX];

	if (!dev)
		return -ENOMEM;
	for (int i = 0; i < n_items; i++) {
		int ret = vsnd_spec_add_item(&dev->spec, items[i], err, sizeof(err));

		if (ret == -EINVAL)
			toolstack_error(CMD, "%s", err);
		if (ret < 0)
			return ret;
	}
	return device_finish(a, dev, "");
}

static char *read_config(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	size_t n;

	if (!f) {
		toolstack_error(CMD, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	text = malloc(CONFIG_MAX + 1);
	n = text ? fread(text, 1, CONFIG_MAX + 1, f) : 0;
	if (text && (ferror(f) || n > CONFIG_MAX || memchr(text, '\0', n))) {
		toolstack_error(CMD, "%s: %s", path, ferror(f) ? strerror(errno) :
				n > CONFIG_MAX ? "larger than 1 MiB, not an xl.cfg" :
				"holds a NUL byte, not an xl.cfg text");
		free(text);
		text = NULL;
	} else if (text) {
		text[n] = '\0';
	}
	fclose(f);
	return text;
}

static int device_from_config(struct attach *a, const struct xlcfg_device *cfg,
			      size_t index)
{
	struct device *dev = device_new(a);
	char err[ERR_MAX], where[PATH_MAX_LEN + 64];

	if (!dev)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_items; i++) {
		int ret = vsnd_spec_add_item(&dev->spec, cfg->items[i].text, err, sizeof(err));

		if (ret == -EINVAL)
			toolstack_error(CMD, "%s:%u: vsnd device %zu: %s", a->config,
					cfg->items[i].line, index + 1, err);
		if (ret < 0)
			return ret;
	}
	snprintf(where, sizeof(where), "%s:%u: vsnd device %zu: ", a->config, cfg->line,
		 index + 1);
	return device_finish(a, dev, where);
}

static int devices_from_config(struct attach *a)
{
	struct xlcfg_vsnd vsnd;
	char err[ERR_MAX];
	char *text = read_config(a->config);
	int ret;

	if (!text)
		return -EINVAL;
	ret = xlcfg_parse_vsnd(text, a->config, &vsnd, err, sizeof(err));
	free(text);
	if (ret < 0) {
		toolstack_error(CMD, "%s", err);
		return ret;
	}
	if (vsnd.n_devices == 0) {
		toolstack_error(CMD, "%s: vsnd = [ ] lists no device", a->config);
		ret = -EINVAL;
	}
	for (size_t d = 0; d < vsnd.n_devices && ret == 0; d++)
		ret = device_from_config(a, &vsnd.devices[d], d);
	xlcfg_vsnd_clear(&vsnd);
	return ret;
}

/* ---- XenStore ---- */

struct device_paths {
	char frontend[PATH_MAX_LEN];
	char backend[PATH_MAX_LEN];
	char libxl[PATH_MAX_LEN];
};

/* Remember the first failure: which path, which errno. */
struct xs_writer {
	struct xs_handle *h;
	xs_transaction_t t;
	char failed_path[PATH_MAX_LEN * 2 + 64];	/* "setting permissions of PATH" */
	int failed_errno;
};

static bool w_failed(struct xs_writer *w, const char *what, const char *path)
{
	if (w->failed_errno == 0) {
		w->failed_errno = errno ? errno : EIO;
		snprintf(w->failed_path, sizeof(w->failed_path), "%s %s", what, path);
	}
	return false;
}

static bool w_write(struct xs_writer *w, const char *dir, const char *key, const char *value)
{
	char path[PATH_MAX_LEN * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	if (!xs_write(w->h, w->t, path, value, strlen(value)))
		return w_failed(w, "writing", path);
	return true;
}

static bool w_write_perms(struct xs_writer *w, const char *dir, const char *key,
			  const char *value, struct xs_permissions *perms)
{
	char path[PATH_MAX_LEN * 2];

	if (!w_write(w, dir, key, value))
		return false;
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	if (!xs_set_permissions(w->h, w->t, path, perms, 2))
		return w_failed(w, "setting permissions of", path);
	return true;
}

static bool w_mkdir_perms(struct xs_writer *w, const char *path, struct xs_permissions *perms)
{
	if (!xs_mkdir(w->h, w->t, path))
		return w_failed(w, "creating", path);
	if (!xs_set_permissions(w->h, w->t, path, perms, 2))
		return w_failed(w, "setting permissions of", path);
	return true;
}

static bool write_frontend(struct xs_writer *w, const struct device *dev, uint32_t guest,
			   const struct device_paths *p)
{
	/* The guest owns its half; the backend may read it. */
	struct xs_permissions perms[2] = {
		{ .id = guest, .perms = XS_PERM_NONE },
		{ .id = dev->backend, .perms = XS_PERM_READ },
	};
	char number[16];
	bool ok;

	snprintf(number, sizeof(number), "%u", dev->backend);
	ok = w_mkdir_perms(w, p->frontend, perms) &&
	     w_write(w, p->frontend, "backend", p->backend) &&
	     w_write_perms(w, p->frontend, "backend-id", number, perms);
	snprintf(number, sizeof(number), "%d", XenbusStateInitialising);
	ok = ok && w_write_perms(w, p->frontend, "state", number, perms);
	for (size_t i = 0; ok && i < dev->front.n_entries; i++)
		ok = w_write_perms(w, p->frontend, dev->front.entries[i].path,
				   dev->front.entries[i].value, perms);
	return ok;
}

/* The backend's entries, written under its directory and copied to libxl's
 * (libxl keeps the copy so it never has to trust the backend's). */
static bool write_backend_entries(struct xs_writer *w, const char *dir, uint32_t guest)
{
	char number[16];

	snprintf(number, sizeof(number), "%u", guest);
	if (!w_write(w, dir, "frontend-id", number) || !w_write(w, dir, "online", "1"))
		return false;
	snprintf(number, sizeof(number), "%d", XenbusStateInitialising);
	return w_write(w, dir, "state", number);
}

static bool write_backend(struct xs_writer *w, const struct device *dev, uint32_t guest,
			  const struct device_paths *p)
{
	/* The backend domain owns its half; the guest may read it. */
	struct xs_permissions perms[2] = {
		{ .id = dev->backend, .perms = XS_PERM_NONE },
		{ .id = guest, .perms = XS_PERM_READ },
	};

	return w_mkdir_perms(w, p->backend, perms) &&
	       w_write(w, p->backend, "frontend", p->frontend) &&
	       write_backend_entries(w, p->backend, guest);
}

static int device_paths_make(struct xs_handle *h, uint32_t guest, const struct device *dev,
			     struct device_paths *p)
{
	char *guest_path = xs_get_domain_path(h, guest);
	char *backend_path = xs_get_domain_path(h, dev->backend);
	int ret = 0;

	if (!guest_path || !backend_path) {
		ret = -errno;
		toolstack_error(CMD, "cannot get the domain paths of %u and %u: %s",
				guest, dev->backend, strerror(errno));
	} else {
		snprintf(p->frontend, sizeof(p->frontend), "%s/device/" VSND_KIND "/%u",
			 guest_path, dev->devid);
		snprintf(p->backend, sizeof(p->backend), "%s/backend/" VSND_KIND "/%u/%u",
			 backend_path, guest, dev->devid);
		snprintf(p->libxl, sizeof(p->libxl), LIBXL_ROOT "/%u/device/" VSND_KIND "/%u",
			 guest, dev->devid);
	}
	free(guest_path);
	free(backend_path);
	return ret;
}

static int write_device(struct xs_writer *w, const struct device *dev, uint32_t guest)
{
	struct device_paths p;
	int ret = device_paths_make(w->h, guest, dev, &p);

	if (ret < 0)
		return ret;
	if (xsu_exists(w->h, w->t, p.libxl) || xsu_exists(w->h, w->t, p.frontend) ||
	    xsu_exists(w->h, w->t, p.backend)) {
		toolstack_error(CMD, "vsnd device %u of domain %u already exists in XenStore",
				dev->devid, guest);
		return -EEXIST;
	}
	if (!w_write(w, p.libxl, "frontend", p.frontend) ||
	    !w_write(w, p.libxl, "backend", p.backend) ||
	    !write_frontend(w, dev, guest, &p) || !write_backend(w, dev, guest, &p) ||
	    !write_backend_entries(w, p.libxl, guest))
		return -EIO;
	return 0;
}

/* The highest device id in use for the guest, plus one. */
static int next_devid(struct xs_handle *h, xs_transaction_t t, uint32_t guest, uint32_t *devid)
{
	char dirs[2][PATH_MAX_LEN];
	uint32_t next = 0;

	snprintf(dirs[0], sizeof(dirs[0]), LIBXL_ROOT "/%u/device/" VSND_KIND, guest);
	snprintf(dirs[1], sizeof(dirs[1]), "/local/domain/%u/device/" VSND_KIND, guest);
	for (int i = 0; i < 2; i++) {
		uint32_t *ids;
		unsigned int n;

		if (xsu_list_devids(h, t, dirs[i], &ids, &n) < 0) {
			toolstack_error(CMD, "out of memory listing %s", dirs[i]);
			return -ENOMEM;
		}
		if (n > 0 && ids[n - 1] + 1 > next)
			next = ids[n - 1] + 1;
		free(ids);
	}
	*devid = next;
	return 0;
}

/* One attempt at the transaction: 0, -EAGAIN to retry, or another -errno. */
static int attach_once(struct xs_handle *h, struct attach *a)
{
	struct xs_writer w = { .h = h };
	uint32_t devid;
	int ret;

	w.t = xs_transaction_start(h);
	if (w.t == XBT_NULL) {
		toolstack_error(CMD, "cannot start a XenStore transaction: %s", strerror(errno));
		return -errno;
	}
	ret = next_devid(h, w.t, a->guest, &devid);
	for (size_t i = 0; i < a->n_devices && ret == 0; i++) {
		a->devices[i].devid = devid + i;
		ret = write_device(&w, &a->devices[i], a->guest);
	}
	if (ret < 0) {
		xs_transaction_end(h, w.t, true);
		if (w.failed_errno)
			toolstack_error(CMD, "%s: %s", w.failed_path, strerror(w.failed_errno));
		return ret;
	}
	if (!xs_transaction_end(h, w.t, false)) {
		if (errno == EAGAIN)
			return -EAGAIN;
		toolstack_error(CMD, "committing the transaction: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int resolve_backends(struct xs_handle *h, struct attach *a)
{
	char err[ERR_MAX];

	if (xsu_check_domain(h, a->guest, "guest", err, sizeof(err)) < 0) {
		toolstack_error(CMD, "%s", err);
		return -ENOENT;
	}
	for (size_t i = 0; i < a->n_devices; i++) {
		struct device *dev = &a->devices[i];

		dev->backend = TOOLSTACK_DOMID;
		if (dev->backend_spec &&
		    xsu_resolve_domain(h, dev->backend_spec, &dev->backend, err, sizeof(err)) < 0) {
			toolstack_error(CMD, "backend %s: %s", dev->backend_spec, err);
			return -ENOENT;
		}
		if (xsu_check_domain(h, dev->backend, "backend", err, sizeof(err)) < 0) {
			toolstack_error(CMD, "%s", err);
			return -ENOENT;
		}
	}
	return 0;
}

static int attach_all(struct attach *a)
{
	struct xs_handle *h = xsu_open(CMD);
	int ret, attempts = 0;

	if (!h)
		return -EIO;
	ret = resolve_backends(h, a);
	if (ret == 0) {
		do
			ret = attach_once(h, a);
		while (ret == -EAGAIN && ++attempts < MAX_ATTEMPTS);
	}
	if (ret == -EAGAIN)
		toolstack_error(CMD, "XenStore kept reporting conflicts (EAGAIN) for %d "
				"attempts; nothing was written, try again", MAX_ATTEMPTS);
	xs_close(h);
	return ret;
}

static int parse_args(int argc, char **argv, struct attach *a, int *first_item)
{
	static const struct option options[] = {
		{ "backend-domid", required_argument, NULL, 'b' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;	/* GNU getopt: start afresh, main() may have used it */
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'b':
			a->backend_option = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'h':
			usage(stdout);
			return TOOLSTACK_OK;
		default:
			usage(stderr);
			return TOOLSTACK_USAGE;
		}
	}
	if (optind >= argc || parse_domid(argv[optind], &a->guest) < 0) {
		toolstack_error(CMD, optind >= argc ? "missing DOMID" :
				"DOMID \"%s\" is not a domain id", argv[optind]);
		return TOOLSTACK_USAGE;
	}
	*first_item = optind + 1;
	if (a->config && *first_item < argc) {
		toolstack_error(CMD, "give ITEMs or --config FILE, not both");
		return TOOLSTACK_USAGE;
	}
	if (!a->config && *first_item >= argc) {
		toolstack_error(CMD, "no ITEM: describe the card, e.g. 'PCM, name=Main' "
				"'STREAM, unique-id=0, type=p' (see --help)");
		return TOOLSTACK_USAGE;
	}
	return -1;
}

int vsnd_attach_main(int argc, char **argv)
{
	struct attach a = { 0 };
	int first_item, status, ret;

	status = parse_args(argc, argv, &a, &first_item);
	if (status >= 0)
		return status;
	if (a.config) {
		ret = devices_from_config(&a);
		status = TOOLSTACK_FAILURE;
	} else {
		/* The items are command-line arguments: a bad one is a usage error. */
		ret = devices_from_items(&a, argc - first_item, argv + first_item);
		status = TOOLSTACK_USAGE;
	}
	if (ret == -ENOMEM)
		toolstack_error(CMD, "out of memory");
	if (ret < 0 && ret != -EINVAL)
		status = TOOLSTACK_FAILURE;
	if (ret == 0) {
		ret = attach_all(&a);
		status = TOOLSTACK_FAILURE;
	}
	if (ret == 0) {
		for (size_t i = 0; i < a.n_devices; i++)
			printf("%u\n", a.devices[i].devid);
		status = fflush(stdout) == 0 ? TOOLSTACK_OK : TOOLSTACK_FAILURE;
	}
	devices_free(&a);
	return status;
}
