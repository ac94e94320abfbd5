/* SPDX-License-Identifier: MIT */
/*
 * xensim vsnd-detach: remove a vsnd device the way libxl does
 * (libxl__initiate_device_generic_remove, libxl__device_destroy):
 *
 *  1. in one transaction: backend online = 0 and, unless it is Closed
 *     already, backend state = 5 (Closing);
 *  2. wait, bounded, until the frontend has closed (state 6) or the
 *     backend reports Closed. A frontend still in Initialising (1) or gone
 *     has no driver to answer, so there is nothing to wait for;
 *  3. in one transaction: remove the frontend, libxl and backend
 *     directories and every parent they leave empty.
 *
 * libxl waits 10 s and then removes anyway; here a timeout leaves the
 * nodes in place and says so, and --force removes without waiting.
 */
#include "toolstack-private.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <xen/io/xenbus.h>

#define CMD			"vsnd-detach"
#define DEFAULT_TIMEOUT_S	5
#define MAX_TIMEOUT_S		3600
#define MAX_ATTEMPTS		32
#define RECHECK_MS		200	/* re-read even without a watch event */
#define PATH_MAX_LEN		256

struct detach {
	uint32_t guest;
	uint32_t devid;
	uint32_t timeout_s;
	bool force;
	char libxl[PATH_MAX_LEN];
	char frontend[PATH_MAX_LEN];
	char backend[PATH_MAX_LEN];
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xensim " CMD " [--dir DIR] [--force] [--timeout SECONDS] DOMID DEVID\n"
		"\n"
		"Remove vsnd device DEVID of guest DOMID, as `xl vsnd-detach` does: the\n"
		"backend goes to Closing (5), the guest's frontend is given up to\n"
		"SECONDS (default %d) to reach Closed (6), then the frontend, backend\n"
		"and toolstack nodes are removed. A frontend that never started\n"
		"(state 1, Initialising) is not waited for.\n"
		"\n"
		"  --force              remove the nodes without waiting for the guest\n"
		"  --timeout SECONDS    how long to wait for the frontend (0..%d)\n"
		"  -h, --help           this text\n"
		"\n"
		"Exit status: 0 removed, 1 failed or timed out (nodes left in place),\n"
		"2 usage error.\n", DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S);
}

/* Where the halves are, from libxl's own copy: the guest can write its
 * frontend's "backend" node, so that one is not trusted. */
static int find_device(struct xs_handle *h, struct detach *d)
{
	char path[PATH_MAX_LEN + 16];
	char *halves[2] = { NULL, NULL };
	static const char *const keys[2] = { "frontend", "backend" };
	char *dests[2] = { d->frontend, d->backend };
	int ret = 0;

	snprintf(d->libxl, sizeof(d->libxl), LIBXL_ROOT "/%u/device/" VSND_KIND "/%u",
		 d->guest, d->devid);
	for (int i = 0; i < 2 && ret == 0; i++) {
		unsigned int len;

		snprintf(path, sizeof(path), "%s/%s", d->libxl, keys[i]);
		halves[i] = xs_read(h, XBT_NULL, path, &len);
		if (!halves[i] || len == 0 || len >= PATH_MAX_LEN || halves[i][0] != '/')
			ret = -ENOENT;
		else
			memcpy(dests[i], halves[i], len + 1);
	}
	if (ret < 0)
		toolstack_error(CMD, "domain %u has no vsnd device %u (no valid %s); "
				"`xensim vsnd-list %u` shows its devices", d->guest, d->devid,
				d->libxl, d->guest);
	free(halves[0]);
	free(halves[1]);
	return ret;
}

/* Step 1, one attempt: 0, -EAGAIN, or -errno. */
static int set_closing_once(struct xs_handle *h, const struct detach *d)
{
	char state_path[PATH_MAX_LEN + 16], online_path[PATH_MAX_LEN + 16], value[16];
	unsigned int state;
	xs_transaction_t t;
	int ret;

	snprintf(state_path, sizeof(state_path), "%s/state", d->backend);
	snprintf(online_path, sizeof(online_path), "%s/online", d->backend);
	t = xs_transaction_start(h);
	if (t == XBT_NULL)
		return -errno;
	ret = xsu_read_uint(h, t, state_path, &state);
	if (ret == -ENOENT) {
		/* The backend is gone already (its domain died): only clean up. */
		xs_transaction_end(h, t, true);
		return 0;
	}
	if (!xs_write(h, t, online_path, "0", 1))
		goto fail;
	if (ret < 0 || state != XenbusStateClosed) {
		snprintf(value, sizeof(value), "%d", XenbusStateClosing);
		if (!xs_write(h, t, state_path, value, strlen(value)))
			goto fail;
	}
	if (!xs_transaction_end(h, t, false))
		return errno == EAGAIN ? -EAGAIN : -errno;
	return 0;
fail:
	ret = -errno;
	xs_transaction_end(h, t, true);
	return ret;
}

/*
 * Nothing left to wait for; else *fe_state is what the frontend is in.
 * The frontend's state is the guest's to write: a value that is no state
 * at all means no driver is speaking xenbus there, so nothing to wait for.
 */
static bool closed_enough(struct xs_handle *h, const struct detach *d,
			  unsigned int *fe_state)
{
	char path[PATH_MAX_LEN + 16];
	unsigned int state;
	int ret;

	snprintf(path, sizeof(path), "%s/state", d->backend);
	ret = xsu_read_uint(h, XBT_NULL, path, &state);
	if (ret == -ENOENT || (ret == 0 && state == XenbusStateClosed))
		return true;
	snprintf(path, sizeof(path), "%s/state", d->frontend);
	if (xsu_read_uint(h, XBT_NULL, path, &state) < 0)
		return true;
	*fe_state = state;
	return state == XenbusStateUnknown || state == XenbusStateInitialising ||
	       state == XenbusStateClosed;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain_watch_events(struct xs_handle *h)
{
	char **event;

	while ((event = xs_check_watch(h)) != NULL)
		free(event);
}

/* Step 2: 0 once closed, -ETIMEDOUT with *fe_state. */
static int wait_closed(struct xs_handle *h, const struct detach *d, unsigned int *fe_state)
{
	char fe_path[PATH_MAX_LEN + 16], be_path[PATH_MAX_LEN + 16];
	int64_t deadline = now_ms() + (int64_t)d->timeout_s * 1000;
	bool watching;
	int ret = 0;

	snprintf(fe_path, sizeof(fe_path), "%s/state", d->frontend);
	snprintf(be_path, sizeof(be_path), "%s/state", d->backend);
	/* Watches wake us at once; the periodic re-read covers a hub without them. */
	watching = xs_watch(h, fe_path, "fe") && xs_watch(h, be_path, "be");
	while (!closed_enough(h, d, fe_state)) {
		int64_t left = deadline - now_ms();
		struct pollfd pfd = { .fd = watching ? xs_fileno(h) : -1, .events = POLLIN };

		if (left <= 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, left < RECHECK_MS ? (int)left : RECHECK_MS) > 0)
			drain_watch_events(h);
	}
	xs_unwatch(h, fe_path, "fe");
	xs_unwatch(h, be_path, "be");
	return ret;
}

/* Step 3, one attempt. */
static int remove_once(struct xs_handle *h, const struct detach *d)
{
	xs_transaction_t t = xs_transaction_start(h);

	if (t == XBT_NULL)
		return -errno;
	if (!xsu_path_cleanup(h, t, d->frontend) || !xsu_path_cleanup(h, t, d->libxl) ||
	    !xsu_path_cleanup(h, t, d->backend)) {
		int ret = -errno;

		xs_transaction_end(h, t, true);
		return ret;
	}
	if (!xs_transaction_end(h, t, false))
		return errno == EAGAIN ? -EAGAIN : -errno;
	return 0;
}

static int retry(struct xs_handle *h, const struct detach *d,
		 int (*step)(struct xs_handle *, const struct detach *), const char *what)
{
	int ret, attempts = 0;

	while ((ret = step(h, d)) == -EAGAIN && ++attempts < MAX_ATTEMPTS)
		;
	if (ret < 0)
		toolstack_error(CMD, "%s of vsnd device %u of domain %u failed: %s", what,
				d->devid, d->guest, strerror(-ret));
	return ret;
}

static int detach(struct xs_handle *h, struct detach *d)
{
	unsigned int fe_state = 0;
	int ret;

	ret = find_device(h, d);
	if (ret == 0)
		ret = retry(h, d, set_closing_once, "closing the backend");
	if (ret == 0 && !d->force && wait_closed(h, d, &fe_state) < 0) {
		toolstack_error(CMD, "the frontend of vsnd device %u of domain %u is still in "
				"state %u (%s) after %u s: the guest's driver did not close it. "
				"The backend is Closing; run `xensim " CMD " --force %u %u` to "
				"remove the nodes anyway", d->devid, d->guest, fe_state,
				xsu_state_name(fe_state), d->timeout_s, d->guest, d->devid);
		return -ETIMEDOUT;
	}
	if (ret == 0)
		ret = retry(h, d, remove_once, "removing the nodes");
	return ret;
}

static int parse_args(int argc, char **argv, struct detach *d)
{
	static const struct option options[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	d->timeout_s = DEFAULT_TIMEOUT_S;
	optind = 0;	/* GNU getopt: start afresh, main() may have used it */
	while ((opt = getopt_long(argc, argv, "fh", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			d->force = true;
			break;
		case 't':
			if (parse_devid(optarg, &d->timeout_s) < 0 || d->timeout_s > MAX_TIMEOUT_S) {
				toolstack_error(CMD, "--timeout %s: not a number of seconds "
						"(0..%d)", optarg, MAX_TIMEOUT_S);
				return TOOLSTACK_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return TOOLSTACK_OK;
		default:
			usage(stderr);
			return TOOLSTACK_USAGE;
		}
	}
	if (argc - optind != 2) {
		toolstack_error(CMD, "expected DOMID DEVID (see --help)");
		return TOOLSTACK_USAGE;
	}
	if (parse_domid(argv[optind], &d->guest) < 0) {
		toolstack_error(CMD, "DOMID \"%s\" is not a domain id", argv[optind]);
		return TOOLSTACK_USAGE;
	}
	if (parse_devid(argv[optind + 1], &d->devid) < 0) {
		toolstack_error(CMD, "DEVID \"%s\" is not a device id", argv[optind + 1]);
		return TOOLSTACK_USAGE;
	}
	return -1;
}

int vsnd_detach_main(int argc, char **argv)
{
	struct detach d = { 0 };
	struct xs_handle *h;
	int status = parse_args(argc, argv, &d);

	if (status >= 0)
		return status;
	h = xsu_open(CMD);
	if (!h)
		return TOOLSTACK_FAILURE;
	status = detach(h, &d) == 0 ? TOOLSTACK_OK : TOOLSTACK_FAILURE;
	xs_close(h);
	return status;
}
