/* SPDX-License-Identifier: MIT */
/*
 * xensim vsnd-list: one line per vsnd device of a guest, with the states
 * of both halves. Devices are those libxl knows (/libxl/G/device/vsnd)
 * and any other frontend directory under the guest's device/vsnd.
 */
#include "toolstack-private.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD		"vsnd-list"
#define PATH_MAX_LEN	256
#define NO_VALUE	-1

struct device_info {
	uint32_t devid;
	long backend_domid;	/* NO_VALUE when unknown */
	long fe_state;		/* NO_VALUE when missing */
	long be_state;
	char *short_name;	/* NULL when missing */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xensim " CMD " [--dir DIR] [--json] DOMID\n"
		"\n"
		"List the vsnd devices of guest DOMID: device id, backend domain,\n"
		"frontend and backend xenbus states (1 Initialising, 2 InitWait,\n"
		"3 Initialised, 4 Connected, 5 Closing, 6 Closed; - when missing) and\n"
		"the card's short-name.\n"
		"\n"
		"  --json       one JSON array instead of the table\n"
		"  -h, --help   this text\n");
}

static long read_state(struct xs_handle *h, const char *dir)
{
	char path[PATH_MAX_LEN + 16];
	unsigned int state;

	snprintf(path, sizeof(path), "%s/state", dir);
	return xsu_read_uint(h, XBT_NULL, path, &state) == 0 ? (long)state : NO_VALUE;
}

/* The backend's path: libxl's copy, else what the frontend says. */
static char *backend_path(struct xs_handle *h, uint32_t guest, uint32_t devid,
			  const char *frontend)
{
	char path[PATH_MAX_LEN + 16];
	unsigned int len;
	char *value;

	snprintf(path, sizeof(path), LIBXL_ROOT "/%u/device/" VSND_KIND "/%u/backend",
		 guest, devid);
	value = xs_read(h, XBT_NULL, path, &len);
	if (value)
		return value;
	snprintf(path, sizeof(path), "%s/backend", frontend);
	return xs_read(h, XBT_NULL, path, &len);
}

static void device_info_read(struct xs_handle *h, uint32_t guest, uint32_t devid,
			     struct device_info *info)
{
	char frontend[PATH_MAX_LEN], path[PATH_MAX_LEN + 16];
	unsigned int len, be_domid;
	char *backend;

	memset(info, 0, sizeof(*info));
	info->devid = devid;
	snprintf(frontend, sizeof(frontend), "/local/domain/%u/device/" VSND_KIND "/%u",
		 guest, devid);
	info->fe_state = read_state(h, frontend);
	backend = backend_path(h, guest, devid, frontend);
	info->be_state = backend ? read_state(h, backend) : NO_VALUE;
	info->backend_domid = backend && sscanf(backend, "/local/domain/%u/", &be_domid) == 1 ?
		(long)be_domid : NO_VALUE;
	free(backend);
	snprintf(path, sizeof(path), "%s/short-name", frontend);
	info->short_name = xs_read(h, XBT_NULL, path, &len);
}

/* Both directories' device ids, ascending, each once. */
static int list_devids(struct xs_handle *h, uint32_t guest, uint32_t **ids, unsigned int *n)
{
	char libxl_dir[PATH_MAX_LEN], fe_dir[PATH_MAX_LEN];
	uint32_t *a = NULL, *b = NULL, *all;
	unsigned int na = 0, nb = 0, i = 0, j = 0, k = 0;

	snprintf(libxl_dir, sizeof(libxl_dir), LIBXL_ROOT "/%u/device/" VSND_KIND, guest);
	snprintf(fe_dir, sizeof(fe_dir), "/local/domain/%u/device/" VSND_KIND, guest);
	if (xsu_list_devids(h, XBT_NULL, libxl_dir, &a, &na) < 0 ||
	    xsu_list_devids(h, XBT_NULL, fe_dir, &b, &nb) < 0 ||
	    !(all = calloc(na + nb + 1, sizeof(*all)))) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	while (i < na || j < nb) {
		uint32_t next = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];

		all[k++] = next;
		while (i < na && a[i] == next)
			i++;
		while (j < nb && b[j] == next)
			j++;
	}
	free(a);
	free(b);
	*ids = all;
	*n = k;
	return 0;
}

static void print_number(long value, int width)
{
	if (value == NO_VALUE)
		printf("%-*s", width, "-");
	else
		printf("%-*ld", width, value);
}

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_json_number(const char *key, long value)
{
	printf(", \"%s\": ", key);
	if (value == NO_VALUE)
		printf("null");
	else
		printf("%ld", value);
}

static void print_device(const struct device_info *info, bool json, bool first)
{
	if (json) {
		printf("%s\n  {\"devid\": %u", first ? "" : ",", info->devid);
		print_json_number("backend-domid", info->backend_domid);
		print_json_number("frontend-state", info->fe_state);
		print_json_number("backend-state", info->be_state);
		printf(", \"short-name\": ");
		if (info->short_name)
			print_json_string(info->short_name);
		else
			printf("null");
		putchar('}');
		return;
	}
	printf("%-6u ", info->devid);
	print_number(info->backend_domid, 4);
	putchar(' ');
	print_number(info->fe_state, 9);
	putchar(' ');
	print_number(info->be_state, 9);
	printf(" %s\n", info->short_name ? info->short_name : "-");
}

static int list(struct xs_handle *h, uint32_t guest, bool json)
{
	char err[256];
	uint32_t *ids;
	unsigned int n;

	if (xsu_check_domain(h, guest, "guest", err, sizeof(err)) < 0) {
		toolstack_error(CMD, "%s", err);
		return -ENOENT;
	}
	if (list_devids(h, guest, &ids, &n) < 0) {
		toolstack_error(CMD, "out of memory");
		return -ENOMEM;
	}
	if (json)
		putchar('[');
	else
		printf("%-6s %-4s %-9s %-9s %s\n", "Devid", "BE", "FE-state", "BE-state",
		       "Short-name");
	for (unsigned int i = 0; i < n; i++) {
		struct device_info info;

		device_info_read(h, guest, ids[i], &info);
		print_device(&info, json, i == 0);
		free(info.short_name);
	}
	if (json)
		printf("%s]\n", n ? "\n" : "");
	free(ids);
	return fflush(stdout) == 0 ? 0 : -EIO;
}

int vsnd_list_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct xs_handle *h;
	bool json = false;
	uint32_t guest;
	int opt, status;

	optind = 0;	/* GNU getopt: start afresh, main() may have used it */
	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return TOOLSTACK_OK;
		default:
			usage(stderr);
			return TOOLSTACK_USAGE;
		}
	}
	if (argc - optind != 1 || parse_domid(argv[optind], &guest) < 0) {
		toolstack_error(CMD, "expected one DOMID (see --help)");
		return TOOLSTACK_USAGE;
	}
	h = xsu_open(CMD);
	if (!h)
		return TOOLSTACK_FAILURE;
	status = list(h, guest, json) == 0 ? TOOLSTACK_OK : TOOLSTACK_FAILURE;
	xs_close(h);
	return status;
}
