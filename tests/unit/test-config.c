/* SPDX-License-Identifier: MIT */
/*
 * The card configuration reader: the sndif.h example, defaults,
 * inheritance, and every rejection with its exact message.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <xen/xen.h>
#include <xen/io/sndif.h>

#include <xensnd/config.h>

#include "check.h"
#include "table-reader.h"

#define CARD "device/vsnd/0"
#define MAX_ENTRIES 40
#define BIT(f) (UINT64_C(1) << XENSND_PCM_FORMAT_##f)

/* A table ends at the first entry without a path. */
static size_t table_len(const struct table_entry *e)
{
	size_t n = 0;

	while (n < MAX_ENTRIES && e[n].path)
		n++;
	return n;
}

static int read_card(const struct table_entry *e, struct xensnd_card_cfg *cfg,
		     char *err, size_t err_size)
{
	struct table t = { e, table_len(e), NULL, 0 };
	struct xensnd_reader r = table_reader(&t);

	return xensnd_card_cfg_read(cfg, &r, CARD, err, err_size);
}

static bool same_rates(const struct xensnd_pcm_params *p, const uint32_t *rates,
		       uint32_t n)
{
	if (p->n_rates != n)
		return false;
	for (uint32_t i = 0; i < n; i++)
		if (p->rates[i] != rates[i])
			return false;
	return true;
}

/* The example configuration of xen/io/sndif.h. */
static const struct table_entry sndif_example[] = {
	{ CARD "/short-name", "Card short name" },
	{ CARD "/long-name", "Card long name" },
	{ CARD "/sample-rates", "8000,32000,44100,48000,96000" },
	{ CARD "/sample-formats", "s8,u8,s16_le,s16_be" },
	{ CARD "/buffer-size", "262144" },
	{ CARD "/backend-id", "0" },		/* not ours: ignored */
	{ CARD "/state", "1" },
	{ CARD "/0/name", "General analog" },
	{ CARD "/0/channels-max", "5" },
	{ CARD "/0/0/type", "p" },
	{ CARD "/0/0/sample-formats", "s8,u8" },
	{ CARD "/0/0/unique-id", "0" },
	{ CARD "/0/0/ring-ref", "386" },
	{ CARD "/0/1/type", "c" },
	{ CARD "/0/1/channels-max", "2" },
	{ CARD "/0/1/unique-id", "1" },
	{ CARD "/1/name", "HDMI-0" },
	{ CARD "/1/sample-rates", "8000,32000,44100" },
	{ CARD "/1/0/type", "c" },
	{ CARD "/1/0/unique-id", "2" },
	{ CARD "/2/name", "SPDIF" },
	{ CARD "/2/0/type", "p" },
	{ CARD "/2/0/unique-id", "3" },
	{ NULL, NULL },
};

static void test_sndif_example(struct check *c)
{
	static const uint32_t card_rates[] = { 8000, 32000, 44100, 48000, 96000 };
	static const uint32_t hdmi_rates[] = { 8000, 32000, 44100 };
	const uint64_t card_formats = BIT(S8) | BIT(U8) | BIT(S16_LE) | BIT(S16_BE);
	struct xensnd_card_cfg cfg;
	char err[XENSND_ERROR_MAX] = "";
	const struct xensnd_stream_cfg *st;

	if (!CHECK_EQ(c, read_card(sndif_example, &cfg, err, sizeof(err)), 0)) {
		printf("       error: %s\n", err);
		return;
	}
	CHECK_STR(c, cfg.short_name, "Card short name");
	CHECK_STR(c, cfg.long_name, "Card long name");
	CHECK_EQ(c, cfg.n_pcms, 3);
	CHECK_EQ(c, xensnd_card_cfg_n_streams(&cfg), 4);
	if (cfg.n_pcms != 3 || cfg.pcms[0].n_streams != 2 ||
	    cfg.pcms[1].n_streams != 1 || cfg.pcms[2].n_streams != 1) {
		CHECK(c, !"PCM/stream layout as in sndif.h");
		xensnd_card_cfg_clear(&cfg);
		return;
	}
	CHECK_STR(c, cfg.pcms[0].name, "General analog");
	CHECK_STR(c, cfg.pcms[1].name, "HDMI-0");
	CHECK_STR(c, cfg.pcms[2].name, "SPDIF");

	st = &cfg.pcms[0].streams[0];	/* formats narrowed, channels from PCM */
	CHECK(c, !st->capture);
	CHECK_STR(c, st->unique_id, "0");
	CHECK_EQ(c, st->params.formats, BIT(S8) | BIT(U8));
	CHECK(c, same_rates(&st->params, card_rates, 5));
	CHECK_EQ(c, st->params.channels_min, 1);
	CHECK_EQ(c, st->params.channels_max, 5);
	CHECK_EQ(c, st->params.buffer_size, 262144);

	st = &cfg.pcms[0].streams[1];	/* channels narrowed */
	CHECK(c, st->capture);
	CHECK_EQ(c, st->index, 1);
	CHECK_EQ(c, st->params.formats, card_formats);
	CHECK_EQ(c, st->params.channels_max, 2);

	st = &cfg.pcms[1].streams[0];	/* rates from the PCM */
	CHECK(c, st->capture);
	CHECK(c, same_rates(&st->params, hdmi_rates, 3));
	CHECK_EQ(c, st->params.channels_min, 1);
	CHECK_EQ(c, st->params.channels_max, 2);	/* default */

	st = &cfg.pcms[2].streams[0];	/* everything from the card */
	CHECK(c, !st->capture);
	CHECK_STR(c, st->unique_id, "3");
	CHECK_EQ(c, st->params.formats, card_formats);
	CHECK(c, same_rates(&st->params, card_rates, 5));
	CHECK_EQ(c, st->params.buffer_size, 262144);
	xensnd_card_cfg_clear(&cfg);
	CHECK(c, cfg.pcms == NULL && cfg.n_pcms == 0);
	CHECKED(c, "sndif.h example: 3 PCMs, 4 streams, card -> PCM -> stream inheritance");
}

static void test_defaults(struct check *c)
{
	static const struct table_entry minimal[] = {
		{ CARD "/0/0/type", "p" },
		{ CARD "/0/0/unique-id", "only" },
		{ NULL, NULL },
	};
	static const uint32_t std_rates[] = {
		8000, 11025, 16000, 22050, 32000, 44100, 48000,
	};
	struct xensnd_card_cfg cfg;
	char err[XENSND_ERROR_MAX];
	const struct xensnd_pcm_params *p;

	if (!CHECK_EQ(c, read_card(minimal, &cfg, err, sizeof(err)), 0)) {
		printf("       error: %s\n", err);
		return;
	}
	if (cfg.n_pcms != 1) {
		CHECK(c, !"one PCM");
		return;
	}
	p = &cfg.pcms[0].streams[0].params;
	CHECK_STR(c, cfg.short_name, "");
	CHECK_STR(c, cfg.pcms[0].name, "");
	CHECK_EQ(c, p->formats, BIT(S16_LE));
	CHECK(c, same_rates(p, std_rates, 7));
	CHECK_EQ(c, p->channels_min, XENSND_DEFAULT_CHANNELS_MIN);
	CHECK_EQ(c, p->channels_max, XENSND_DEFAULT_CHANNELS_MAX);
	CHECK_EQ(c, p->buffer_size, XENSND_DEFAULT_BUFFER_SIZE);
	xensnd_card_cfg_clear(&cfg);
	CHECKED(c, "defaults: s16_le, 8000..48000 (7 rates), 1..2 channels, 65536 octets");
}

/* Cases that must read, and what one stream's effective params are. */
struct good_case {
	const char *what;
	struct table_entry e[MAX_ENTRIES];
	uint32_t pcm, stream;
	uint64_t formats;
	uint32_t rates[4], n_rates;
	uint32_t cmin, cmax, buffer;
};

static const struct good_case good_cases[] = {
	{ "rates the defaults lack are fine at the card",
	  { { CARD "/sample-rates", "192000,96000" },
	    { CARD "/0/0/type", "p" }, { CARD "/0/0/unique-id", "a" } },
	  0, 0, BIT(S16_LE), { 96000, 192000 }, 2, 1, 2, 65536 },
	{ "stream narrows card rates, PCM narrows formats",
	  { { CARD "/sample-rates", "48000,44100,96000" },
	    { CARD "/sample-formats", "s16_le,s32_le,float_le" },
	    { CARD "/0/sample-formats", "s32_le,float_le" },
	    { CARD "/0/0/sample-rates", "48000" },
	    { CARD "/0/0/type", "p" }, { CARD "/0/0/unique-id", "a" } },
	  0, 0, BIT(S32_LE) | BIT(F32_LE), { 48000 }, 1, 1, 2, 65536 },
	{ "channels-min alone raises the default channels-max",
	  { { CARD "/channels-min", "4" },
	    { CARD "/0/0/type", "p" }, { CARD "/0/0/unique-id", "a" } },
	  0, 0, BIT(S16_LE), { 8000, 11025, 16000, 22050 }, 7, 4, 4, 65536 },
	{ "channels range narrowed at each level, buffer shrinks",
	  { { CARD "/channels-min", "1" }, { CARD "/channels-max", "8" },
	    { CARD "/buffer-size", "1048576" },
	    { CARD "/0/channels-min", "2" }, { CARD "/0/buffer-size", "524288" },
	    { CARD "/0/0/channels-max", "6" }, { CARD "/0/0/buffer-size", "4096" },
	    { CARD "/0/0/type", "c" }, { CARD "/0/0/unique-id", "a" } },
	  0, 0, BIT(S16_LE), { 8000, 11025, 16000, 22050 }, 7, 2, 6, 4096 },
	{ "second PCM inherits from the card, not from the first PCM",
	  { { CARD "/channels-max", "8" },
	    { CARD "/0/channels-max", "2" },
	    { CARD "/0/0/type", "p" }, { CARD "/0/0/unique-id", "a" },
	    { CARD "/1/0/type", "p" }, { CARD "/1/0/unique-id", "b" } },
	  1, 0, BIT(S16_LE), { 8000, 11025, 16000, 22050 }, 7, 1, 8, 65536 },
	{ "unknown keys and non-index children are ignored",
	  { { CARD "/frobnicate", "yes" }, { CARD "/00/0/type", "x" },
	    { CARD "/0/0/type", "p" }, { CARD "/0/0/unique-id", "a" },
	    { CARD "/0/0/colour", "blue" } },
	  0, 0, BIT(S16_LE), { 8000, 11025, 16000, 22050 }, 7, 1, 2, 65536 },
};

static void test_good_cases(struct check *c)
{
	for (size_t i = 0; i < sizeof(good_cases) / sizeof(good_cases[0]); i++) {
		const struct good_case *g = &good_cases[i];
		struct xensnd_card_cfg cfg;
		char err[XENSND_ERROR_MAX] = "";
		const struct xensnd_pcm_params *p;
		int res = read_card(g->e, &cfg, err, sizeof(err));

		CHECK_EQ(c, res, 0);
		if (res < 0) {
			printf("       %s: %s\n", g->what, err);
			continue;
		}
		p = &cfg.pcms[g->pcm].streams[g->stream].params;
		CHECK_EQ(c, p->formats, g->formats);
		CHECK_EQ(c, p->n_rates, g->n_rates);
		for (uint32_t k = 0; k < 4 && k < g->n_rates; k++)
			CHECK_EQ(c, p->rates[k], g->rates[k]);
		CHECK_EQ(c, p->channels_min, g->cmin);
		CHECK_EQ(c, p->channels_max, g->cmax);
		CHECK_EQ(c, p->buffer_size, g->buffer);
		xensnd_card_cfg_clear(&cfg);
		CHECKED(c, "inheritance: %s", g->what);
	}
}

/* Cases that must fail, with the exact message. */
struct bad_case {
	struct table_entry e[MAX_ENTRIES];
	const char *error;
};

#define STREAM00 { CARD "/0/0/type", "p" }, { CARD "/0/0/unique-id", "0" }

static const struct bad_case bad_cases[] = {
	{ { STREAM00, { CARD "/1/sample-rates", "44100,abc" },
	    { CARD "/1/0/type", "p" }, { CARD "/1/0/unique-id", "1" } },
	  CARD "/1/sample-rates: \"44100,abc\": not a number" },
	{ { STREAM00, { CARD "/sample-rates", "-44100" } },
	  CARD "/sample-rates: \"-44100\": not a number" },
	{ { STREAM00, { CARD "/sample-rates", "44100,,48000" } },
	  CARD "/sample-rates: \"44100,,48000\": not a number" },
	{ { STREAM00, { CARD "/channels-max", "two" } },
	  CARD "/channels-max: \"two\": not a number" },
	{ { STREAM00, { CARD "/buffer-size", " 4096" } },
	  CARD "/buffer-size: \" 4096\": not a number" },
	{ { STREAM00, { CARD "/sample-rates", "0" } },
	  CARD "/sample-rates: \"0\": out of range (1..4294967295)" },
	{ { STREAM00, { CARD "/sample-rates", "44100,4294967296" } },
	  CARD "/sample-rates: \"44100,4294967296\": out of range (1..4294967295)" },
	{ { STREAM00, { CARD "/channels-max", "256" } },
	  CARD "/channels-max: \"256\": out of range (1..255)" },
	{ { STREAM00, { CARD "/0/0/channels-min", "0" } },
	  CARD "/0/0/channels-min: \"0\": out of range (1..255)" },
	{ { STREAM00, { CARD "/buffer-size", "67108865" } },
	  CARD "/buffer-size: \"67108865\": out of range (1..67108864)" },
	{ { STREAM00, { CARD "/buffer-size", "99999999999999999999" } },
	  CARD "/buffer-size: \"99999999999999999999\": out of range (1..67108864)" },
	{ { STREAM00, { CARD "/sample-rates", "48000,44100,48000" } },
	  CARD "/sample-rates: \"48000,44100,48000\": duplicate entry 48000" },
	{ { STREAM00, { CARD "/0/sample-formats", "s16_le,u8,s16_le" } },
	  CARD "/0/sample-formats: \"s16_le,u8,s16_le\": duplicate entry \"s16_le\"" },
	{ { STREAM00, { CARD "/0/sample-formats", "" } },
	  CARD "/0/sample-formats: \"\": empty list" },
	{ { STREAM00, { CARD "/sample-rates", "" } },
	  CARD "/sample-rates: \"\": empty list" },
	{ { STREAM00, { CARD "/sample-formats", "s16_le,s17_le" } },
	  CARD "/sample-formats: \"s16_le,s17_le\": unknown format \"s17_le\"" },
	{ { STREAM00, { CARD "/sample-formats", "s16_le;u8" } },
	  CARD "/sample-formats: \"s16_le;u8\": unknown format \"s16_le;u8\"" },
	{ { STREAM00, { CARD "/0/0/channels-min", "3" }, { CARD "/0/0/channels-max", "2" } },
	  CARD "/0/0/channels-min: \"3\": channels-min 3 > channels-max 2" },
	{ { STREAM00, { CARD "/channels-min", "2" }, { CARD "/0/channels-max", "1" } },
	  CARD "/0/channels-max: \"1\": channels-min 2 > channels-max 1" },
	{ { { CARD "/0/0/type", "x" }, { CARD "/0/0/unique-id", "0" } },
	  CARD "/0/0/type: \"x\": not \"p\" or \"c\"" },
	{ { { CARD "/0/0/type", "" }, { CARD "/0/0/unique-id", "0" } },
	  CARD "/0/0/type: \"\": not \"p\" or \"c\"" },
	{ { { CARD "/0/0/unique-id", "0" } },
	  CARD "/0/0/type: missing" },
	{ { { CARD "/0/0/type", "c" } },
	  CARD "/0/0/unique-id: missing" },
	{ { { CARD "/0/0/type", "c" }, { CARD "/0/0/unique-id", "" } },
	  CARD "/0/0/unique-id: \"\": empty" },
	{ { STREAM00, { CARD "/1/0/type", "c" }, { CARD "/1/0/unique-id", "0" } },
	  CARD "/1/0/unique-id: \"0\": duplicate of " CARD "/0/0" },
	{ { STREAM00, { CARD "/0/1/type", "c" }, { CARD "/0/1/unique-id", "0" } },
	  CARD "/0/1/unique-id: \"0\": duplicate of " CARD "/0/0" },
	{ { STREAM00, { CARD "/2/0/type", "p" }, { CARD "/2/0/unique-id", "2" } },
	  CARD ": PCM devices not contiguous: 1 is missing" },
	{ { STREAM00, { CARD "/0/2/type", "p" }, { CARD "/0/2/unique-id", "2" } },
	  CARD "/0: streams not contiguous: 1 is missing" },
	{ { { CARD "/1/0/type", "p" }, { CARD "/1/0/unique-id", "2" } },
	  CARD ": PCM devices not contiguous: 0 is missing" },
	{ { STREAM00, { CARD "/64/0/type", "p" } },
	  CARD ": more than 64 PCM devices" },
	{ { STREAM00, { CARD "/0/64/type", "p" } },
	  CARD "/0: more than 64 streams" },
	{ { { CARD "/short-name", "card" }, { CARD "/sample-rates", "48000" } },
	  CARD ": no PCM devices" },
	{ { STREAM00, { CARD "/1/name", "lonely" } },
	  CARD "/1: no streams" },
	{ { STREAM00, { CARD "/sample-rates",
	    "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
	    "27,28,29,30,31,32,33" } },
	  CARD "/sample-rates: \"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,2"
	  "...\": more than 32 rates" },
	{ { STREAM00, { CARD "/0/sample-rates", "44100,48000" },
	    { CARD "/0/0/sample-rates", "48000,96000" } },
	  CARD "/0/0/sample-rates: \"48000,96000\": not a subset of the parent: "
	  "96000 not in its sample-rates" },
	{ { STREAM00, { CARD "/sample-formats", "s16_le" },
	    { CARD "/0/0/sample-formats", "s16_le,float_le" } },
	  CARD "/0/0/sample-formats: \"s16_le,float_le\": not a subset of the parent: "
	  "float_le not in its sample-formats" },
	{ { STREAM00, { CARD "/channels-min", "2" }, { CARD "/0/channels-min", "1" } },
	  CARD "/0/channels-min: \"1\": not a subset of the parent: below its channels-min 2" },
	{ { STREAM00, { CARD "/0/channels-max", "4" }, { CARD "/0/0/channels-max", "6" } },
	  CARD "/0/0/channels-max: \"6\": not a subset of the parent: above its channels-max 4" },
	{ { STREAM00, { CARD "/buffer-size", "8192" }, { CARD "/0/0/buffer-size", "8193" } },
	  CARD "/0/0/buffer-size: \"8193\": not a subset of the parent: above its buffer-size 8192" },
	{ { STREAM00, { CARD "/short-name", "0123456789012345678901234567890123" } },
	  CARD "/short-name: \"0123456789012345678901234567890123\": longer than 31 characters" },
	{ { STREAM00, { CARD "/0/name",
	    "a name that is much too long for the eighty characters that sndif gives it, really" } },
	  CARD "/0/name: \"a name that is much too long for the eighty characters that sndi...\": "
	  "longer than 79 characters" },
	{ { { NULL, NULL } },
	  CARD ": not found" },
};

static void test_bad_cases(struct check *c)
{
	size_t n = sizeof(bad_cases) / sizeof(bad_cases[0]);

	for (size_t i = 0; i < n; i++) {
		struct xensnd_card_cfg cfg;
		char err[XENSND_ERROR_MAX] = "";

		CHECK_EQ(c, read_card(bad_cases[i].e, &cfg, err, sizeof(err)), -EINVAL);
		CHECK_STR(c, err, bad_cases[i].error);
		CHECK(c, cfg.pcms == NULL && cfg.n_pcms == 0);
	}
	CHECKED(c, "%zu bad configurations rejected with their exact messages", n);
}

static void test_reader_errors(struct check *c)
{
	static const struct table_entry e[] = {
		{ CARD "/0/name", "x" }, STREAM00, { NULL, NULL },
	};
	struct table t = { e, 3, CARD "/0/name", EACCES };
	struct xensnd_reader r = table_reader(&t);
	struct xensnd_card_cfg cfg;
	char err[XENSND_ERROR_MAX] = "";

	CHECK_EQ(c, xensnd_card_cfg_read(&cfg, &r, CARD, err, sizeof(err)), -EACCES);
	CHECK_STR(c, err, CARD "/0/name: cannot read: Permission denied");
	t.fail_path = CARD "/0";
	t.fail_errno = EIO;
	CHECK_EQ(c, xensnd_card_cfg_read(&cfg, &r, CARD, err, sizeof(err)), -EIO);
	CHECK_STR(c, err, CARD "/0: cannot list: Input/output error");
	CHECK(c, cfg.pcms == NULL);
	CHECKED(c, "reader failures pass their errno up, naming the path");
}

static void test_parsers(struct check *c)
{
	uint32_t rates[XENSND_MAX_RATES], n = 0, v = 0;
	uint64_t formats = 0;
	char err[128], out[128];

	/* xl.cfg lists are ';'-separated */
	CHECK_EQ(c, xensnd_parse_rates("48000;8000;44100", ';', rates, &n, err, sizeof(err)), 0);
	CHECK_EQ(c, n, 3);
	CHECK_EQ(c, rates[0], 8000);
	CHECK_EQ(c, rates[2], 48000);
	CHECK_EQ(c, xensnd_format_rates(rates, n, ',', out, sizeof(out)), 0);
	CHECK_STR(c, out, "8000,44100,48000");
	CHECK_EQ(c, xensnd_format_rates(rates, n, ',', out, 10), -ENOSPC);
	CHECK_EQ(c, xensnd_parse_formats("float64_be;mu_law;s8", ';', &formats, err, sizeof(err)), 0);
	CHECK_EQ(c, formats, BIT(F64_BE) | BIT(MU_LAW) | BIT(S8));
	CHECK_EQ(c, xensnd_format_formats(formats, ',', out, sizeof(out)), 0);
	CHECK_STR(c, out, "s8,float64_be,mu_law");
	CHECK_EQ(c, xensnd_parse_formats(out, ',', &formats, err, sizeof(err)), 0);
	CHECK_EQ(c, formats, BIT(F64_BE) | BIT(MU_LAW) | BIT(S8));
	CHECK_EQ(c, xensnd_format_formats(UINT64_C(1) << 40, ',', out, sizeof(out)), -EINVAL);
	CHECK_EQ(c, xensnd_parse_u32("4294967295", 0, UINT32_MAX, &v, err, sizeof(err)), 0);
	CHECK_EQ(c, v, UINT32_MAX);
	CHECK_EQ(c, xensnd_parse_u32("4294967296", 0, UINT32_MAX, &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(c, err, "out of range (0..4294967295)");
	CHECK_EQ(c, xensnd_parse_u32("+1", 0, 9, &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(c, err, "not a number");
	CHECK_EQ(c, xensnd_parse_u32("", 0, 9, &v, err, sizeof(err)), -EINVAL);
	CHECK_STR(c, err, "not a number");
	CHECKED(c, "value parsers with ',' and xl.cfg's ';', and formatting back");
}

int main(void)
{
	struct check c = { "config" };

	test_sndif_example(&c);
	test_defaults(&c);
	test_good_cases(&c);
	test_bad_cases(&c);
	test_reader_errors(&c);
	test_parsers(&c);
	return check_done(&c);
}
