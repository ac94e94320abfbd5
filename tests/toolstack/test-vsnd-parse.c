/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the toolstack's parsers, no XenStore: the vsnd item
 * syntax (vsnd-item.c) and the xl.cfg reader (xlcfg.c), including every
 * rejection and what its message names.
 */
#include "vsnd-spec.h"
#include "xlcfg.h"

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

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!g_ || strcmp(g_, w_) != 0) { \
		fprintf(stderr, "%s:%d: got \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
			g_ ? g_ : "(null)", w_); \
		failures++; \
	} \
} while (0)

#define CHECK_CONTAINS(msg, part) do { \
	if (!strstr((msg), (part))) { \
		fprintf(stderr, "%s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, \
			__LINE__, (msg), (part)); \
		failures++; \
	} \
} while (0)

/* Add items (NULL-terminated) to a fresh spec; 0 or the first error. */
static int build(struct vsnd_spec *spec, char *err, size_t err_size, ...)
{
	const char *item;
	va_list ap;
	int ret = 0;

	vsnd_spec_init(spec);
	va_start(ap, err_size);
	while (ret == 0 && (item = va_arg(ap, const char *)) != NULL)
		ret = vsnd_spec_add_item(spec, item, err, err_size);
	va_end(ap);
	return ret;
}

/* sndif.h's example configuration, as items. */
static void test_sndif_example(void)
{
	struct vsnd_spec spec;
	char err[512] = "";
	int ret;

	ret = build(&spec, err, sizeof(err),
		    "CARD, short-name=Card short name, long-name=Card long name, "
		    "sample-rates=8000;32000;44100;48000;96000, "
		    "sample-formats=s8;u8;s16_le;s16_be, buffer-size=262144",
		    "PCM, name=General analog, channels-max=5",
		    "STREAM, unique-id=0, type=p, sample-formats=s8;u8",
		    "STREAM, unique-id=1, type=c, channels-max=2",
		    "PCM, name=HDMI-0, sample-rates=8000;32000;44100",
		    "STREAM, unique-id=2, type=c",
		    "PCM, name=SPDIF",
		    "STREAM, unique-id=3, type=p",
		    NULL);
	CHECK(ret == 0);
	CHECK(vsnd_spec_check(&spec, err, sizeof(err)) == 0);
	CHECK(spec.n_items == 8);
	CHECK_STR(spec.card.values[VSND_KEY_SHORT_NAME], "Card short name");
	CHECK_STR(spec.card.values[VSND_KEY_LONG_NAME], "Card long name");
	CHECK_STR(spec.card.values[VSND_KEY_SAMPLE_RATES], "8000;32000;44100;48000;96000");
	CHECK_STR(spec.card.values[VSND_KEY_BUFFER_SIZE], "262144");
	CHECK(spec.card.item == 1);
	CHECK(spec.n_pcms == 3);
	if (spec.n_pcms == 3) {
		CHECK_STR(spec.pcms[0].level.values[VSND_KEY_NAME], "General analog");
		CHECK_STR(spec.pcms[0].level.values[VSND_KEY_CHANNELS_MAX], "5");
		CHECK(spec.pcms[0].n_streams == 2);
		CHECK_STR(spec.pcms[0].streams[0].values[VSND_KEY_TYPE], "p");
		CHECK_STR(spec.pcms[0].streams[0].values[VSND_KEY_SAMPLE_FORMATS], "s8;u8");
		CHECK_STR(spec.pcms[0].streams[1].values[VSND_KEY_UNIQUE_ID], "1");
		CHECK(spec.pcms[0].streams[1].item == 4);
		CHECK(spec.pcms[1].n_streams == 1);
		CHECK_STR(spec.pcms[1].level.values[VSND_KEY_SAMPLE_RATES], "8000;32000;44100");
		CHECK(spec.pcms[2].n_streams == 1);
		CHECK_STR(spec.pcms[2].streams[0].values[VSND_KEY_UNIQUE_ID], "3");
		CHECK(spec.pcms[2].streams[0].values[VSND_KEY_CHANNELS_MAX] == NULL);
	}
	vsnd_spec_clear(&spec);
}

/* xl's leniencies: case of the identifier, the "id" spelling, blanks,
 * a STREAM before any PCM, the CARD item after the PCMs. */
static void test_xl_compatible_forms(void)
{
	struct vsnd_spec spec;
	char err[512] = "";

	CHECK(build(&spec, err, sizeof(err),
		    "stream, id = 7 , type=c",
		    "Pcm,name=Second",
		    "STREAM,id=8,type=p",
		    "  card , backend=Domain-0, short-name=Late  ",
		    NULL) == 0);
	CHECK(vsnd_spec_check(&spec, err, sizeof(err)) == 0);
	CHECK(spec.n_pcms == 2);
	if (spec.n_pcms == 2) {
		CHECK(spec.pcms[0].level.values[VSND_KEY_NAME] == NULL);
		CHECK(spec.pcms[0].n_streams == 1);
		CHECK_STR(spec.pcms[0].streams[0].values[VSND_KEY_UNIQUE_ID], "7");
		CHECK_STR(spec.pcms[1].level.values[VSND_KEY_NAME], "Second");
	}
	CHECK_STR(spec.card.values[VSND_KEY_BACKEND], "Domain-0");
	CHECK_STR(spec.card.values[VSND_KEY_SHORT_NAME], "Late");
	CHECK(spec.card.item == 4);
	vsnd_spec_clear(&spec);

	/* A value may itself hold '=' and blanks inside. */
	CHECK(build(&spec, err, sizeof(err), "CARD, long-name=a = b", NULL) == 0);
	CHECK_STR(spec.card.values[VSND_KEY_LONG_NAME], "a = b");
	vsnd_spec_clear(&spec);
}

struct rejection {
	const char *items[4];		/* the last one is rejected */
	const char *message;		/* the whole message */
};

static const struct rejection rejections[] = {
	{ { "FOO, name=x" },
	  "item 1 'FOO, name=x': unknown item type \"FOO\"; an item starts with CARD, PCM or STREAM" },
	{ { "" }, "item 1 '': empty item; it starts with CARD, PCM or STREAM" },
	{ { " , name=x" }, "item 1 ' , name=x': empty item; it starts with CARD, PCM or STREAM" },
	{ { "PCM, name" }, "item 1 'PCM, name': parameter \"name\" is not KEY=VALUE" },
	{ { "PCM, sample-rates=8000,44100" }, "item 1 'PCM, sample-rates=8000,44100': "
	  "parameter \"44100\" is not KEY=VALUE (separate list entries with ';', not ',')" },
	{ { "PCM, name=a", "STREAM, id=0, typo=p" },
	  "item 2 'STREAM, id=0, typo=p': unknown key \"typo\"; a STREAM item takes "
	  "unique-id (or id), type, sample-rates, sample-formats, channels-min, "
	  "channels-max, buffer-size" },
	{ { "PCM, short-name=x" },
	  "item 1 'PCM, short-name=x': key \"short-name\" does not belong to a PCM item; "
	  "it takes name, sample-rates, sample-formats, channels-min, channels-max, buffer-size" },
	{ { "CARD, name=x" },
	  "item 1 'CARD, name=x': key \"name\" does not belong to a CARD item; it takes "
	  "backend, short-name, long-name, sample-rates, sample-formats, channels-min, "
	  "channels-max, buffer-size" },
	{ { "STREAM, type=p, backend=1" },
	  "item 1 'STREAM, type=p, backend=1': key \"backend\" does not belong to a STREAM item; "
	  "it takes unique-id (or id), type, sample-rates, sample-formats, channels-min, "
	  "channels-max, buffer-size" },
	{ { "STREAM, id=0, unique-id=1" },
	  "item 1 'STREAM, id=0, unique-id=1': key \"unique-id\" given twice" },
	{ { "CARD, sample-rates=8000, sample-rates=8000" },
	  "item 1 'CARD, sample-rates=8000, sample-rates=8000': key \"sample-rates\" given twice" },
	{ { "PCM, name=" }, "item 1 'PCM, name=': name=: empty value" },
	{ { "STREAM, type=x" },
	  "item 1 'STREAM, type=x': type=x: type must be p (playback) or c (capture)" },
	{ { "PCM, , name=a" },
	  "item 1 'PCM, , name=a': empty parameter (two commas in a row, or a trailing comma)" },
	{ { "PCM, name=a," },
	  "item 1 'PCM, name=a,': empty parameter (two commas in a row, or a trailing comma)" },
	{ { "PCM, =a" }, "item 1 'PCM, =a': unknown key \"\"; a PCM item takes name, "
	  "sample-rates, sample-formats, channels-min, channels-max, buffer-size" },
	{ { "CARD, short-name=0123456789012345678901234567890123456789" },
	  "item 1 'CARD, short-name=0123456789012345678901234567890123456789': "
	  "short-name=0123456789012345678901234567890123456789: value too long for the sndif field" },
	{ { "CARD, short-name=A", "PCM, name=B", "CARD, long-name=C" },
	  "item 3 'CARD, long-name=C': second CARD item (item 1 was the first); one device "
	  "has one card, start another device for another card" },
};

static void test_rejections(void)
{
	for (size_t r = 0; r < sizeof(rejections) / sizeof(rejections[0]); r++) {
		const struct rejection *rej = &rejections[r];
		struct vsnd_spec spec;
		char err[512] = "";
		unsigned int n_pcms, n_items;
		size_t last = 0;
		int ret = 0;

		while (last + 1 < 4 && rej->items[last + 1])
			last++;
		vsnd_spec_init(&spec);
		for (size_t i = 0; i < last; i++)
			CHECK(vsnd_spec_add_item(&spec, rej->items[i], err, sizeof(err)) == 0);
		n_pcms = spec.n_pcms;
		n_items = spec.n_items;
		ret = vsnd_spec_add_item(&spec, rej->items[last], err, sizeof(err));
		CHECK(ret == -EINVAL);
		CHECK_STR(err, rej->message);
		/* A rejected item leaves no trace. */
		CHECK(spec.n_pcms == n_pcms);
		CHECK(spec.n_items == n_items);
		vsnd_spec_clear(&spec);
	}
}

static void check_incomplete(const char *message, ...)
{
	struct vsnd_spec spec;
	char err[512] = "";
	const char *item;
	va_list ap;

	vsnd_spec_init(&spec);
	va_start(ap, message);
	while ((item = va_arg(ap, const char *)) != NULL)
		CHECK(vsnd_spec_add_item(&spec, item, err, sizeof(err)) == 0);
	va_end(ap);
	CHECK(vsnd_spec_check(&spec, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, message);
	vsnd_spec_clear(&spec);
}

static void test_incomplete(void)
{
	check_incomplete("no PCM: a device needs at least one 'PCM, ...' item followed "
			 "by its 'STREAM, ...' items", "CARD, short-name=A", NULL);
	check_incomplete("no PCM: a device needs at least one 'PCM, ...' item followed "
			 "by its 'STREAM, ...' items", NULL);
	check_incomplete("item 3 'PCM, name=B': PCM 1 has no STREAM item after it",
			 "PCM, name=A", "STREAM, id=0, type=p", "PCM, name=B", NULL);
	check_incomplete("item 2 'STREAM, id=0': stream 0 of PCM 0 has no type= (p or c)",
			 "PCM, name=A", "STREAM, id=0", NULL);
	check_incomplete("item 3 'STREAM, type=c': stream 1 of PCM 0 has no unique-id=",
			 "PCM, name=A", "STREAM, id=0, type=p", "STREAM, type=c", NULL);
	check_incomplete("item 4 'STREAM, id=0, type=c': unique-id \"0\" is already used by item 2",
			 "PCM", "STREAM, id=0, type=p", "PCM", "STREAM, id=0, type=c", NULL);
}

/* The frontend's reader takes at most XENSND_MAX_PCMS PCMs and
 * XENSND_MAX_STREAMS streams a PCM: the 65th of either is refused where
 * it is given, and the device stays as it was. */
static void test_limits(void)
{
	struct vsnd_spec spec;
	char err[512] = "", item[64];

	vsnd_spec_init(&spec);
	CHECK(vsnd_spec_add_item(&spec, "PCM", err, sizeof(err)) == 0);
	for (int s = 0; s < 64; s++) {
		snprintf(item, sizeof(item), "STREAM, id=s%d, type=p", s);
		CHECK(vsnd_spec_add_item(&spec, item, err, sizeof(err)) == 0);
	}
	CHECK(vsnd_spec_add_item(&spec, "STREAM, id=x, type=c", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "item 66 'STREAM, id=x, type=c': PCM 0 already has 64 streams, "
		  "the most a PCM can have; start another 'PCM, ...' item");
	CHECK(spec.n_items == 65 && spec.pcms[0].n_streams == 64);
	for (int p = 1; p < 64; p++) {
		snprintf(item, sizeof(item), "STREAM, id=p%d, type=p", p);
		CHECK(vsnd_spec_add_item(&spec, "PCM", err, sizeof(err)) == 0);
		CHECK(vsnd_spec_add_item(&spec, item, err, sizeof(err)) == 0);
	}
	CHECK(vsnd_spec_add_item(&spec, "PCM, name=65th", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "item 192 'PCM, name=65th': a card has at most 64 PCMs");
	CHECK(spec.n_pcms == 64);
	CHECK(vsnd_spec_check(&spec, err, sizeof(err)) == 0);
	vsnd_spec_clear(&spec);
}

/* ---- xl.cfg ---- */

static void test_xlcfg_file(void)
{
	static const char text[] =
		"# A guest configuration with more than vsnd in it\n"
		"name = \"guest\"\n"
		"memory = 512; vcpus = 2\n"
		"disk = [ 'format=raw, vdev=xvda, target=/dev/vg/guest' ]\n"
		"vsnd = [\n"
		"    ['CARD, short-name=Main, sample-formats=s16_le;s8;u32_be',\n"
		"        'PCM, name=Main',   # the first PCM\n"
		"            'STREAM, id=0, type=p',\n"
		"            \"STREAM, id=1, type=c, channels-max=2\"\n"
		"    ],\n"
		"    ['CARD, short-name=Second',\n"
		"        'PCM, name=Sec\\'ond, buffer-size=1024',\n"
		"            'STREAM, id=2, type=p',\n"
		"            'STREAM, id=3, type=c',\n"
		"    ],\n"
		"]\n"
		"extra = [ ]\n"
		"on_crash = 'destroy'";	/* no newline at the end, as xl allows */
	struct xlcfg_vsnd vsnd;
	char err[512] = "";

	CHECK(xlcfg_parse_vsnd(text, "guest.cfg", &vsnd, err, sizeof(err)) == 0);
	CHECK(vsnd.n_devices == 2);
	if (vsnd.n_devices == 2) {
		CHECK(vsnd.devices[0].n_items == 4);
		CHECK(vsnd.devices[0].line == 6);
		CHECK_STR(vsnd.devices[0].items[0].text,
			  "CARD, short-name=Main, sample-formats=s16_le;s8;u32_be");
		CHECK_STR(vsnd.devices[0].items[3].text, "STREAM, id=1, type=c, channels-max=2");
		CHECK(vsnd.devices[0].items[3].line == 9);
		CHECK(vsnd.devices[1].n_items == 4);
		CHECK_STR(vsnd.devices[1].items[1].text, "PCM, name=Sec'ond, buffer-size=1024");
		CHECK(vsnd.devices[1].items[1].line == 12);
	}
	xlcfg_vsnd_clear(&vsnd);
}

static void test_xlcfg_assignments(void)
{
	struct xlcfg_vsnd vsnd;
	char err[512] = "";

	/* The last `vsnd =` wins ... */
	CHECK(xlcfg_parse_vsnd("vsnd = [ ['PCM'] ]\nvsnd = [ ['PCM, name=b'], ['PCM, name=c'] ]\n",
			       "f", &vsnd, err, sizeof(err)) == 0);
	CHECK(vsnd.n_devices == 2);
	if (vsnd.n_devices == 2)
		CHECK_STR(vsnd.devices[0].items[0].text, "PCM, name=b");
	xlcfg_vsnd_clear(&vsnd);

	/* ... and `vsnd +=` appends, as in xl. */
	CHECK(xlcfg_parse_vsnd("vsnd = [ ['PCM, name=a'] ]\nvsnd += [ ['PCM, name=b'] ]\n",
			       "f", &vsnd, err, sizeof(err)) == 0);
	CHECK(vsnd.n_devices == 2);
	if (vsnd.n_devices == 2)
		CHECK_STR(vsnd.devices[1].items[0].text, "PCM, name=b");
	xlcfg_vsnd_clear(&vsnd);

	/* Escapes in double-quoted strings, an empty list. */
	CHECK(xlcfg_parse_vsnd("vsnd = [ [ \"PCM, name=a\\tb\\\\\" ], [] ]", "f", &vsnd,
			       err, sizeof(err)) == 0);
	CHECK(vsnd.n_devices == 2);
	if (vsnd.n_devices == 2) {
		CHECK_STR(vsnd.devices[0].items[0].text, "PCM, name=a\tb\\");
		CHECK(vsnd.devices[1].n_items == 0);
	}
	xlcfg_vsnd_clear(&vsnd);
}

struct xlcfg_rejection {
	const char *text;
	int ret;
	const char *message;
};

static const struct xlcfg_rejection xlcfg_rejections[] = {
	{ "name = 'x'\n", -ENOENT, "t.cfg: no vsnd setting; expected "
	  "vsnd = [ [ 'CARD, ...', 'PCM, ...', 'STREAM, ...' ] ]" },
	{ "\nvsnd = 'PCM'\n", -EINVAL, "t.cfg:2: vsnd must be a list of cards: "
	  "vsnd = [ [ 'CARD, ...', 'PCM, ...', 'STREAM, ...' ] ]" },
	{ "vsnd = [ 'PCM', 'STREAM' ]", -EINVAL, "t.cfg:1: vsnd: device 1 is not a list; "
	  "write each card as [ 'CARD, ...', 'PCM, ...', 'STREAM, ...' ]" },
	{ "vsnd = [ [ 'PCM' ],\n [ 'PCM', 5 ] ]", -EINVAL, "t.cfg:2: vsnd: device 2, "
	  "element 2 is not a quoted item string like 'PCM, name=Main'" },
	{ "vsnd = [ [ 'PCM' ], [ ['PCM'] ] ]", -EINVAL, "t.cfg:1: vsnd: device 2, "
	  "element 1 is not a quoted item string like 'PCM, name=Main'" },
	{ "a = 1\n\nvsnd = [ [ 'PCM, name=x ] ]\n", -EINVAL,
	  "t.cfg:3: string not closed: missing '" },
	{ "vsnd = ( 'PCM' )\n", -EINVAL, "t.cfg:1: unexpected '(' (xl.cfg is not Python: "
	  "values are 'strings', numbers or [ lists ])" },
	{ "vsnd = [ [ 'PCM' 'STREAM' ] ]\n", -EINVAL,
	  "t.cfg:1: expected ',' or ']' in the list opened on line 1" },
	{ "vsnd = [ [ \"PCM, name=\\q\" ] ]\n", -EINVAL,
	  "t.cfg:1: unsupported escape \\q in a string" },
	{ "vsnd =\n[ [ 'PCM' ] ]\n", -EINVAL,
	  "t.cfg:1: expected a value: a 'string', a number or a [ list ]" },
	{ "vsnd = [ [ 'PCM' ]", -EINVAL,
	  "t.cfg:1: file ends inside the list opened on line 1: missing ']'" },
	{ "vsnd = [ [ 'PCM' ],\n", -EINVAL, "t.cfg:2: file ends where a value was expected" },
	{ "vsnd [ [ 'PCM' ] ]", -EINVAL, "t.cfg:1: expected '=' or '+=' after a setting's name" },
	{ "vsnd = [ ] x = 1", -EINVAL,
	  "t.cfg:1: expected the end of the line after a setting (or ';')" },
	{ "= 1", -EINVAL, "t.cfg:1: expected a setting: NAME = VALUE" },
	{ "vsnd = 'a'\nvsnd += [ ]", -EINVAL, "t.cfg:2: vsnd += needs lists on both sides" },
	{ "vsnd = [[[[[[[[[[ ]]]]]]]]]]", -EINVAL, "t.cfg:1: lists nested deeper than 8" },
	{ "vsnd = [ \x01 ]", -EINVAL, "t.cfg:1: unexpected byte 0x01" },
};

static void test_xlcfg_rejections(void)
{
	for (size_t r = 0; r < sizeof(xlcfg_rejections) / sizeof(xlcfg_rejections[0]); r++) {
		const struct xlcfg_rejection *rej = &xlcfg_rejections[r];
		struct xlcfg_vsnd vsnd;
		char err[512] = "";
		int ret;

		ret = xlcfg_parse_vsnd(rej->text, "t.cfg", &vsnd, err, sizeof(err));
		if (ret != rej->ret)
			fprintf(stderr, "case %zu: ret %d\n", r, ret);
		CHECK(ret == rej->ret);
		CHECK_STR(err, rej->message);
		CHECK(vsnd.n_devices == 0 && vsnd.devices == NULL);
	}
}

/* xl.cfg(5)'s own example goes through both parsers. */
static void test_manual_example(void)
{
	static const char text[] =
		"vsnd = [\n"
		"    ['CARD, short-name=Main, sample-formats=s16_le;s8;u32_be',\n"
		"        'PCM, name=Main',\n"
		"            'STREAM, id=0, type=p',\n"
		"            'STREAM, id=1, type=c, channels-max=2'\n"
		"    ],\n"
		"    ['CARD, short-name=Second',\n"
		"        'PCM, name=Second, buffer-size=1024',\n"
		"            'STREAM, id=2, type=p',\n"
		"            'STREAM, id=3, type=c'\n"
		"    ]\n"
		"]\n";
	struct xlcfg_vsnd vsnd;
	char err[512] = "";

	CHECK(xlcfg_parse_vsnd(text, "xl.cfg.5", &vsnd, err, sizeof(err)) == 0);
	CHECK(vsnd.n_devices == 2);
	for (size_t d = 0; d < vsnd.n_devices; d++) {
		struct vsnd_spec spec;

		vsnd_spec_init(&spec);
		for (size_t i = 0; i < vsnd.devices[d].n_items; i++)
			CHECK(vsnd_spec_add_item(&spec, vsnd.devices[d].items[i].text,
						 err, sizeof(err)) == 0);
		CHECK(vsnd_spec_check(&spec, err, sizeof(err)) == 0);
		CHECK(spec.n_pcms == 1 && spec.pcms[0].n_streams == 2);
		vsnd_spec_clear(&spec);
	}
	xlcfg_vsnd_clear(&vsnd);
}

int main(void)
{
	test_sndif_example();
	test_xl_compatible_forms();
	test_rejections();
	test_incomplete();
	test_limits();
	test_xlcfg_file();
	test_xlcfg_assignments();
	test_xlcfg_rejections();
	test_manual_example();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
