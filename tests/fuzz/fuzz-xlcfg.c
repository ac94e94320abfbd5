/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the xl.cfg reader (xlcfg.h) `xensim vsnd-attach --config` uses:
 * the input is the file. Whatever it holds, the reader returns a list of
 * devices of item strings, or refuses with "NAME:LINE: reason" (or says
 * there is no vsnd setting) and gives nothing back.
 *
 * Checked besides: line numbers lie within the file and items come after
 * their device's '['; the devices written back as an xl.cfg
 * `vsnd = [ [ '...', ... ], ... ]` (quotes, backslashes and newlines
 * escaped) read again as exactly the same items; and the items go
 * through the item syntax (vsnd-spec.h) as vsnd-attach sends them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-input.h"
#include "vsnd-spec.h"
#include "xlcfg.h"

#define NAME	"fuzz.cfg"

static unsigned int count_lines(const char *text)
{
	unsigned int n = 1;

	for (; *text; text++)
		n += *text == '\n';
	return n;
}

static void check_refusal(int ret, const char *err, const struct xlcfg_vsnd *out)
{
	FUZZ_ASSERT(ret == -EINVAL || ret == -ENOENT || ret == -ENOMEM);
	FUZZ_ASSERT(strncmp(err, NAME ":", strlen(NAME ":")) == 0);
	FUZZ_ASSERT(out->devices == NULL && out->n_devices == 0);
}

/* Append s to the growing buffer, escaped as an xl.cfg '...' string. */
static void put_escaped(char **buf, size_t *len, const char *s)
{
	char *p = *buf + *len;

	*p++ = '\'';
	for (; *s; s++) {
		if (*s == '\\' || *s == '\'') {
			*p++ = '\\';
			*p++ = *s;
		} else if (*s == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else {
			*p++ = *s;
		}
	}
	*p++ = '\'';
	*len = p - *buf;
}

/* vsnd as an xl.cfg of its own. Every item is a part of the file: an
 * octet doubles at most when escaped, and an item ('' at least) or a
 * device ([] at least) adds at most four more. */
static char *write_back(const struct xlcfg_vsnd *vsnd, size_t text_size)
{
	size_t cap = 6 * text_size + 64, len = 0;
	char *buf = malloc(cap);

	len = (size_t)sprintf(buf, "vsnd = [");
	for (size_t d = 0; d < vsnd->n_devices; d++) {
		const struct xlcfg_device *dev = &vsnd->devices[d];

		len += (size_t)sprintf(buf + len, "%s[", d ? ", " : "");
		for (size_t i = 0; i < dev->n_items; i++) {
			if (i)
				len += (size_t)sprintf(buf + len, ", ");
			FUZZ_ASSERT(len + 2 * strlen(dev->items[i].text) + 8 < cap);
			put_escaped(&buf, &len, dev->items[i].text);
		}
		buf[len++] = ']';
	}
	sprintf(buf + len, "]\n");
	return buf;
}

static void check_round_trip(const struct xlcfg_vsnd *vsnd, size_t text_size)
{
	char *again_text = write_back(vsnd, text_size), err[512];
	struct xlcfg_vsnd again;
	int ret = xlcfg_parse_vsnd(again_text, NAME, &again, err, sizeof(err));

	FUZZ_ASSERT(ret == 0);
	FUZZ_ASSERT(again.n_devices == vsnd->n_devices);
	for (size_t d = 0; d < vsnd->n_devices; d++) {
		FUZZ_ASSERT(again.devices[d].n_items == vsnd->devices[d].n_items);
		for (size_t i = 0; i < vsnd->devices[d].n_items; i++)
			FUZZ_ASSERT(strcmp(again.devices[d].items[i].text,
					   vsnd->devices[d].items[i].text) == 0);
	}
	xlcfg_vsnd_clear(&again);
	free(again_text);
}

static void check_devices(const struct xlcfg_vsnd *vsnd, unsigned int lines)
{
	for (size_t d = 0; d < vsnd->n_devices; d++) {
		const struct xlcfg_device *dev = &vsnd->devices[d];
		struct vsnd_spec spec;
		char err[512];

		FUZZ_ASSERT(dev->line >= 1 && dev->line <= lines);
		FUZZ_ASSERT(dev->n_items == 0 || dev->items != NULL);
		vsnd_spec_init(&spec);
		for (size_t i = 0; i < dev->n_items; i++) {
			const struct xlcfg_item *item = &dev->items[i];

			FUZZ_ASSERT(item->text != NULL);
			FUZZ_ASSERT(item->line >= dev->line && item->line <= lines);
			vsnd_spec_add_item(&spec, item->text, err, sizeof(err));
		}
		vsnd_spec_check(&spec, err, sizeof(err));
		vsnd_spec_clear(&spec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlcfg_vsnd vsnd;
	char *text, err[512];
	int ret;

	if (size > 64 * 1024)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	ret = xlcfg_parse_vsnd(text, NAME, &vsnd, err, sizeof(err));
	if (ret == 0) {
		check_devices(&vsnd, count_lines(text));
		check_round_trip(&vsnd, strlen(text));
		xlcfg_vsnd_clear(&vsnd);
	} else {
		check_refusal(ret, err, &vsnd);
	}
	free(text);
	return 0;
}
