/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of vsnd-front.c, no XenStore: the frontend nodes a device
 * gets (values normalised by libxensnd, libxl's order) and every rule on
 * the values: they parse, channel ranges are not empty, and a lower level
 * is a subset of the nearest level above that gives the same setting.
 */
#include "vsnd-front.h"
#include "vsnd-spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#define MAX_ITEMS 10

/* Build the front of items (NULL-terminated); the return of
 * vsnd_front_build, with its message in err. */
static int build_items(struct vsnd_front *front, char *err, size_t err_size,
		       const char *const *items)
{
	struct vsnd_spec spec;
	int ret = 0;

	vsnd_spec_init(&spec);
	memset(front, 0, sizeof(*front));
	for (size_t i = 0; items[i] && ret == 0; i++)
		ret = vsnd_spec_add_item(&spec, items[i], err, err_size);
	if (ret == 0)
		ret = vsnd_spec_check(&spec, err, err_size);
	if (ret == 0)
		ret = vsnd_front_build(&spec, front, err, err_size);
	vsnd_spec_clear(&spec);
	return ret;
}

/* "path=value" lines of the front, joined by '\n'. */
static char *front_text(const struct vsnd_front *front)
{
	char *text = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&text, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < front->n_entries; i++)
		fprintf(f, "%s=%s\n", front->entries[i].path, front->entries[i].value);
	fclose(f);
	return text;
}

static void check_front(const char *const *items, const char *want, int line)
{
	struct vsnd_front front;
	char err[512] = "";
	char *got;

	if (build_items(&front, err, sizeof(err), items) != 0) {
		fprintf(stderr, "%s:%d: rejected: %s\n", __FILE__, line, err);
		failures++;
		return;
	}
	got = front_text(&front);
	if (!got || strcmp(got, want) != 0) {
		fprintf(stderr, "%s:%d: got\n%s\nwant\n%s\n", __FILE__, line,
			got ? got : "(null)", want);
		failures++;
	}
	free(got);
	vsnd_front_clear(&front);
}

static void check_rejected(const char *const *items, const char *want, int line)
{
	struct vsnd_front front;
	char err[512] = "";
	int ret = build_items(&front, err, sizeof(err), items);

	if (ret != -EINVAL || strcmp(err, want) != 0) {
		fprintf(stderr, "%s:%d: ret %d, message\n  %s\nwant\n  %s\n", __FILE__, line,
			ret, err, want);
		failures++;
	}
	if (front.n_entries != 0 || front.entries != NULL) {
		fprintf(stderr, "%s:%d: a rejected device kept entries\n", __FILE__, line);
		failures++;
	}
}

#define FRONT(want, ...) do { \
	const char *const items_[MAX_ITEMS] = { __VA_ARGS__, NULL }; \
	check_front(items_, want, __LINE__); \
} while (0)

#define REJECTED(want, ...) do { \
	const char *const items_[MAX_ITEMS] = { __VA_ARGS__, NULL }; \
	check_rejected(items_, want, __LINE__); \
} while (0)

/* sndif.h's example configuration, node for node, in libxl's order. */
static void test_sndif_example(void)
{
	FRONT("long-name=Card long name\n"
	      "short-name=Card short name\n"
	      "sample-rates=8000,32000,44100,48000,96000\n"
	      "sample-formats=s8,u8,s16_le,s16_be\n"
	      "buffer-size=262144\n"
	      "0/name=General analog\n"
	      "0/channels-max=5\n"
	      "0/0/unique-id=0\n"
	      "0/0/type=p\n"
	      "0/0/sample-formats=s8,u8\n"
	      "0/1/unique-id=1\n"
	      "0/1/type=c\n"
	      "0/1/channels-max=2\n"
	      "1/name=HDMI-0\n"
	      "1/sample-rates=8000,32000,44100\n"
	      "1/0/unique-id=2\n"
	      "1/0/type=c\n"
	      "2/name=SPDIF\n"
	      "2/0/unique-id=3\n"
	      "2/0/type=p\n",
	      "CARD, short-name=Card short name, long-name=Card long name, "
	      "sample-rates=8000;32000;44100;48000;96000, "
	      "sample-formats=s8;u8;s16_le;s16_be, buffer-size=262144",
	      "PCM, name=General analog, channels-max=5",
	      "STREAM, unique-id=0, type=p, sample-formats=s8;u8",
	      "STREAM, unique-id=1, type=c, channels-max=2",
	      "PCM, name=HDMI-0, sample-rates=8000;32000;44100",
	      "STREAM, unique-id=2, type=c",
	      "PCM, name=SPDIF",
	      "STREAM, unique-id=3, type=p");
}

static void test_accepted(void)
{
	/* Lists come out in canonical order with XENSND_LIST_SEPARATOR. */
	FRONT("sample-rates=8000,44100,48000\n"
	      "sample-formats=s8,s16_le,u32_be\n"
	      "0/0/unique-id=a\n"
	      "0/0/type=p\n"
	      "0/0/channels-min=1\n"
	      "0/0/channels-max=8\n"
	      "0/0/buffer-size=4096\n",
	      "CARD, sample-rates=48000;8000;44100, sample-formats=s16_le;s8;u32_be",
	      "PCM", "STREAM, id=a, type=p, channels-min=1, channels-max=8, buffer-size=4096");
	/* A subset of a subset; equal ranges are subsets too. */
	FRONT("channels-min=1\n"
	      "channels-max=8\n"
	      "0/channels-min=2\n"
	      "0/channels-max=6\n"
	      "0/0/unique-id=a\n"
	      "0/0/type=c\n"
	      "0/0/channels-min=2\n"
	      "0/0/channels-max=2\n",
	      "CARD, channels-min=1, channels-max=8",
	      "PCM, channels-min=2, channels-max=6",
	      "STREAM, id=a, type=c, channels-min=2, channels-max=2");
	/* Where nobody above gives a setting, a level may choose freely, and
	 * a bound nobody gives adapts (as the frontend's defaults do). */
	FRONT("0/0/unique-id=a\n"
	      "0/0/type=p\n"
	      "0/0/sample-rates=192000\n"
	      "0/0/channels-min=6\n",
	      "PCM", "STREAM, id=a, type=p, sample-rates=192000, channels-min=6");
	/* The nearest level that gives a setting is the one that counts. */
	FRONT("sample-rates=8000,48000\n"
	      "0/sample-rates=48000\n"
	      "0/0/unique-id=a\n"
	      "0/0/type=p\n"
	      "0/0/sample-rates=48000\n",
	      "CARD, sample-rates=8000;48000", "PCM, sample-rates=48000",
	      "STREAM, id=a, type=p, sample-rates=48000");
}

static void test_rejected(void)
{
	/* Values libxensnd cannot parse. */
	REJECTED("item 1 'CARD, sample-rates=8000;abc': sample-rates=8000;abc: not a number",
		 "CARD, sample-rates=8000;abc", "PCM", "STREAM, id=a, type=p");
	REJECTED("item 1 'PCM, sample-rates=8000;8000': sample-rates=8000;8000: duplicate entry 8000",
		 "PCM, sample-rates=8000;8000", "STREAM, id=a, type=p");
	REJECTED("item 2 'STREAM, id=a, type=p, sample-formats=s16_le;s18_le': "
		 "sample-formats=s16_le;s18_le: unknown format \"s18_le\"",
		 "PCM", "STREAM, id=a, type=p, sample-formats=s16_le;s18_le");
	REJECTED("item 2 'STREAM, id=a, type=p, channels-max=0': channels-max=0: out of range (1..255)",
		 "PCM", "STREAM, id=a, type=p, channels-max=0");
	REJECTED("item 1 'PCM, channels-min=256': channels-min=256: out of range (1..255)",
		 "PCM, channels-min=256", "STREAM, id=a, type=p");
	REJECTED("item 1 'CARD, buffer-size=67108865': buffer-size=67108865: out of range (1..67108864)",
		 "CARD, buffer-size=67108865", "PCM", "STREAM, id=a, type=p");
	REJECTED("item 1 'CARD, buffer-size=-1': buffer-size=-1: not a number",
		 "CARD, buffer-size=-1", "PCM", "STREAM, id=a, type=p");

	/* Not a subset of the level above. */
	REJECTED("item 2 'PCM, sample-rates=44100;96000': sample-rates: 96000 is not in "
		 "sample-rates=8000;44100;48000 of item 1; a lower level must be a subset of "
		 "the level above it",
		 "CARD, sample-rates=8000;44100;48000", "PCM, sample-rates=44100;96000",
		 "STREAM, id=a, type=p");
	REJECTED("item 3 'STREAM, id=a, type=p, sample-rates=96000': sample-rates: 96000 is not "
		 "in sample-rates=48000 of item 1; a lower level must be a subset of the level "
		 "above it",
		 "CARD, sample-rates=48000", "PCM", "STREAM, id=a, type=p, sample-rates=96000");
	REJECTED("item 3 'STREAM, id=a, type=p, sample-formats=s16_le': sample-formats: s16_le "
		 "is not in sample-formats=s24_le of item 2; a lower level must be a subset of "
		 "the level above it",
		 "CARD, sample-formats=s16_le;s24_le", "PCM, sample-formats=s24_le",
		 "STREAM, id=a, type=p, sample-formats=s16_le");
	REJECTED("item 2 'STREAM, id=a, type=p, channels-min=1': channels-min=1 is below "
		 "channels-min=2 of item 1; a lower level must be a subset of the level above it",
		 "PCM, channels-min=2", "STREAM, id=a, type=p, channels-min=1");
	REJECTED("item 3 'STREAM, id=a, type=c, channels-max=6': channels-max=6 is above "
		 "channels-max=5 of item 2; a lower level must be a subset of the level above it",
		 "CARD, channels-max=8", "PCM, channels-max=5", "STREAM, id=a, type=c, channels-max=6");
	REJECTED("item 2 'PCM, buffer-size=65536': buffer-size=65536 is above buffer-size=4096 "
		 "of item 1; a lower level must be a subset of the level above it",
		 "CARD, buffer-size=4096", "PCM, buffer-size=65536", "STREAM, id=a, type=p");

	/* Empty channel ranges, within a level or against an inherited bound. */
	REJECTED("item 1 'PCM, channels-min=4, channels-max=2': channels-min=4 (item 1) is above "
		 "channels-max=2 (item 1)",
		 "PCM, channels-min=4, channels-max=2", "STREAM, id=a, type=p");
	REJECTED("item 3 'STREAM, id=b, type=p, channels-min=4': channels-min=4 (item 3) is "
		 "above channels-max=2 (item 1)",
		 "PCM, channels-max=2", "STREAM, id=a, type=p", "STREAM, id=b, type=p, channels-min=4");
}

int main(void)
{
	test_sndif_example();
	test_accepted();
	test_rejected();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
