/* SPDX-License-Identifier: MIT */
/* `xensnd-ctl list` (see xensnd-ctl-list.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/config.h>
#include <xensnd/format.h>
#include <xensnd/xenbus.h>
#include <xen/io/sndif.h>

#include "xensnd-ctl.h"
#include "xensnd-ctl-json.h"
#include "xensnd-ctl-list.h"
#include "xensnd-ctl-parse.h"

#define PATH_LEN	256

/* What list knows of one card. */
struct card_info {
	const char *dev_id;
	char path[PATH_LEN];
	char *backend_path;		/* NULL if missing */
	char *backend_id;		/* NULL if missing */
	enum xenbus_state front, back;
	struct xensnd_card_cfg cfg;
	bool cfg_ok;
	char error[XENSND_ERROR_MAX];
};

static char *read_rel(struct xs_handle *xs, const char *dir, const char *key)
{
	char path[PATH_LEN * 2];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(xs, XBT_NULL, path, &len);
}

static void card_info_read(struct xs_handle *xs, const char *dev_id,
			   struct card_info *ci)
{
	struct xensnd_xs_reader reader;

	memset(ci, 0, sizeof(*ci));
	ci->dev_id = dev_id;
	snprintf(ci->path, sizeof(ci->path), "device/%s/%s", XENSND_DRIVER_NAME, dev_id);
	ci->backend_path = read_rel(xs, ci->path, "backend");
	ci->backend_id = read_rel(xs, ci->path, "backend-id");
	ci->front = xensnd_read_state(xs, XBT_NULL, ci->path);
	ci->back = ci->backend_path ?
		   xensnd_read_state(xs, XBT_NULL, ci->backend_path) :
		   XenbusStateUnknown;
	xensnd_xs_reader_init(&reader, xs, XBT_NULL);
	ci->cfg_ok = xensnd_card_cfg_read(&ci->cfg, &reader.reader, ci->path, ci->error,
					  sizeof(ci->error)) == 0;
}

static void card_info_clear(struct card_info *ci)
{
	free(ci->backend_path);
	free(ci->backend_id);
	if (ci->cfg_ok)
		xensnd_card_cfg_clear(&ci->cfg);
}

/* ---- text ---- */

static void print_params_text(const struct xensnd_pcm_params *p)
{
	char formats[512], rates[XENSND_MAX_RATES * 12];

	if (xensnd_format_formats(p->formats, ',', formats, sizeof(formats)) < 0)
		snprintf(formats, sizeof(formats), "?");
	if (xensnd_format_rates(p->rates, p->n_rates, ',', rates, sizeof(rates)) < 0)
		snprintf(rates, sizeof(rates), "?");
	printf("      formats %s\n      rates %s\n      channels %u..%u, buffer-size %u octets\n",
	       formats, rates, p->channels_min, p->channels_max, p->buffer_size);
}

static void print_card_text(const struct card_info *ci)
{
	printf("card %s: %s%s%s  frontend %s, backend %s (domain %s)\n",
	       ci->dev_id, ci->cfg_ok ? ci->cfg.short_name : "?",
	       ci->cfg_ok && ci->cfg.long_name[0] ? " - " : "",
	       ci->cfg_ok ? ci->cfg.long_name : "",
	       xensnd_state_name(ci->front), xensnd_state_name(ci->back),
	       ci->backend_id ? ci->backend_id : "?");
	if (!ci->cfg_ok) {
		printf("  bad configuration: %s\n", ci->error);
		return;
	}
	for (uint32_t p = 0; p < ci->cfg.n_pcms; p++) {
		const struct xensnd_pcm_cfg *pcm = &ci->cfg.pcms[p];

		printf("  pcm %u: %s\n", pcm->index, pcm->name);
		for (uint32_t s = 0; s < pcm->n_streams; s++) {
			const struct xensnd_stream_cfg *st = &pcm->streams[s];

			printf("    stream %s/%u/%u: %s, unique-id %s\n", ci->dev_id,
			       pcm->index, st->index,
			       st->capture ? "capture" : "playback", st->unique_id);
			print_params_text(&st->params);
		}
	}
}

/* ---- JSON: the sndif.h XenStore layout, with effective values ---- */

static void json_params(struct ctl_json *j, const struct xensnd_pcm_params *p)
{
	ctl_json_key(j, XENSND_FIELD_SAMPLE_FORMATS);
	ctl_json_begin_array(j);
	for (unsigned f = 0; f < XENSND_FORMAT_COUNT; f++) {
		const struct xensnd_format *fmt = xensnd_format_from_sndif(f);

		if ((p->formats & (1ull << f)) && fmt)
			ctl_json_string(j, fmt->name);
	}
	ctl_json_end_array(j);
	ctl_json_key(j, XENSND_FIELD_SAMPLE_RATES);
	ctl_json_begin_array(j);
	for (uint32_t i = 0; i < p->n_rates; i++)
		ctl_json_uint(j, p->rates[i]);
	ctl_json_end_array(j);
	ctl_json_key(j, XENSND_FIELD_CHANNELS_MIN);
	ctl_json_uint(j, p->channels_min);
	ctl_json_key(j, XENSND_FIELD_CHANNELS_MAX);
	ctl_json_uint(j, p->channels_max);
	ctl_json_key(j, XENSND_FIELD_BUFFER_SIZE);
	ctl_json_uint(j, p->buffer_size);
}

static void json_stream(struct ctl_json *j, const struct card_info *ci,
			const struct xensnd_pcm_cfg *pcm,
			const struct xensnd_stream_cfg *st)
{
	char address[64];

	snprintf(address, sizeof(address), "%s/%u/%u", ci->dev_id, pcm->index, st->index);
	ctl_json_begin_object(j);
	ctl_json_key(j, "index");
	ctl_json_uint(j, st->index);
	ctl_json_key(j, "stream");
	ctl_json_string(j, address);
	ctl_json_key(j, XENSND_FIELD_TYPE);
	ctl_json_string(j, st->capture ? XENSND_STREAM_TYPE_CAPTURE :
					 XENSND_STREAM_TYPE_PLAYBACK);
	ctl_json_key(j, XENSND_FIELD_STREAM_UNIQUE_ID);
	ctl_json_string(j, st->unique_id);
	json_params(j, &st->params);
	ctl_json_end_object(j);
}

static void json_card(struct ctl_json *j, const struct card_info *ci)
{
	ctl_json_begin_object(j);
	ctl_json_key(j, "dev-id");
	ctl_json_string(j, ci->dev_id);
	ctl_json_key(j, "path");
	ctl_json_string(j, ci->path);
	ctl_json_key(j, "backend");
	ctl_json_string(j, ci->backend_path ? ci->backend_path : "");
	ctl_json_key(j, "backend-id");
	ctl_json_string(j, ci->backend_id ? ci->backend_id : "");
	ctl_json_key(j, "frontend-state");
	ctl_json_string(j, xensnd_state_name(ci->front));
	ctl_json_key(j, "backend-state");
	ctl_json_string(j, xensnd_state_name(ci->back));
	if (!ci->cfg_ok) {
		ctl_json_key(j, "error");
		ctl_json_string(j, ci->error);
		ctl_json_end_object(j);
		return;
	}
	ctl_json_key(j, XENSND_FIELD_VCARD_SHORT_NAME);
	ctl_json_string(j, ci->cfg.short_name);
	ctl_json_key(j, XENSND_FIELD_VCARD_LONG_NAME);
	ctl_json_string(j, ci->cfg.long_name);
	ctl_json_key(j, "pcms");
	ctl_json_begin_array(j);
	for (uint32_t p = 0; p < ci->cfg.n_pcms; p++) {
		const struct xensnd_pcm_cfg *pcm = &ci->cfg.pcms[p];

		ctl_json_begin_object(j);
		ctl_json_key(j, "index");
		ctl_json_uint(j, pcm->index);
		ctl_json_key(j, XENSND_FIELD_DEVICE_NAME);
		ctl_json_string(j, pcm->name);
		ctl_json_key(j, "streams");
		ctl_json_begin_array(j);
		for (uint32_t s = 0; s < pcm->n_streams; s++)
			json_stream(j, ci, pcm, &pcm->streams[s]);
		ctl_json_end_array(j);
		ctl_json_end_object(j);
	}
	ctl_json_end_array(j);
	ctl_json_end_object(j);
}

/* ---- the command ---- */

static int compare_dev_ids(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	unsigned long nx = strtoul(x, NULL, 10), ny = strtoul(y, NULL, 10);

	return nx < ny ? -1 : nx > ny ? 1 : strcmp(x, y);
}

int ctl_list(struct xs_handle *xs, const char *only_card, bool json)
{
	char dir[64];
	unsigned int n = 0, len;
	char **ids;
	int ret = CTL_EXIT_OK;
	struct ctl_json j;
	char *domid = xs_read(xs, XBT_NULL, "domid", &len);

	snprintf(dir, sizeof(dir), "device/%s", XENSND_DRIVER_NAME);
	ids = xs_directory(xs, XBT_NULL, dir, &n);
	if (ids == NULL && errno != ENOENT) {
		ctl_error("cannot read %s: %s", dir, strerror(errno));
		free(domid);
		return CTL_EXIT_FAILURE;
	}
	if (ids)
		qsort(ids, n, sizeof(*ids), compare_dev_ids);
	if (json) {
		ctl_json_init(&j, stdout);
		ctl_json_begin_object(&j);
		ctl_json_key(&j, "domid");
		ctl_json_string(&j, domid ? domid : "");
		ctl_json_key(&j, "cards");
		ctl_json_begin_array(&j);
	}
	unsigned shown = 0;
	for (unsigned i = 0; i < n; i++) {
		struct card_info ci;

		if (only_card && strcmp(only_card, ids[i]) != 0)
			continue;
		card_info_read(xs, ids[i], &ci);
		if (json)
			json_card(&j, &ci);
		else
			print_card_text(&ci);
		if (!ci.cfg_ok)
			ret = CTL_EXIT_FAILURE;	/* listed, and said what is wrong */
		card_info_clear(&ci);
		shown++;
	}
	if (json) {
		ctl_json_end_array(&j);
		ctl_json_end_object(&j);
		ctl_json_finish(&j);
	}
	if (only_card && shown == 0) {
		ctl_error("no card %s in %s", only_card, dir);
		ret = CTL_EXIT_FAILURE;
	} else if (shown == 0 && !json) {
		printf("no vsnd cards in %s of domain %s\n", dir, domid ? domid : "?");
	}
	free(ids);
	free(domid);
	return ret;
}
