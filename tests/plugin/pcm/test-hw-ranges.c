/* SPDX-License-Identifier: MIT */
/*
 * The node's trust rules for XENSND_OP_HW_PARAM_QUERY answers, without a
 * backend: pcm.c is compiled in here so its static checker can be fed
 * answers no honest backend gives. An empty, inverted or disjoint answer
 * is refused (the node keeps its XenStore configuration); a wider one is
 * clamped to the configuration; nonsensical buffer/period ranges are
 * dropped on their own. Then EnumFormat must show exactly the narrowing.
 */
#include "../../../spa/plugins/xensnd/pcm.c"


#include <pipewire/pipewire.h>

#define F(x)	(UINT64_C(1) << XENSND_PCM_FORMAT_##x)

static int failures;

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		failures++;							\
	}									\
} while (0)

static struct xensnd_query_hw_param honest(void)
{
	return (struct xensnd_query_hw_param){
		.formats = F(S16_LE) | F(F32_LE),
		.rates = { 44100, 48000 },
		.channels = { 1, 2 },
		.buffer = { 16, 16384 },
		.period = { 16, 8192 },
	};
}

/* The rates EnumFormat offers, as "44100,48000". */
static void enum_rates(struct xensnd_pcm *this, char *out, size_t size)
{
	uint8_t buffer[4096];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	struct spa_pod *param = NULL;
	const struct spa_pod_prop *prop;
	uint32_t n, choice;

	out[0] = '\0';
	if (build_enum_format(this, 0, &b, &param) != 1)
		return;
	prop = spa_pod_find_prop(param, NULL, SPA_FORMAT_AUDIO_rate);
	struct spa_pod *vals = spa_pod_get_values(&prop->value, &n, &choice);
	int32_t *rates = SPA_POD_BODY(vals);
	for (uint32_t i = 1; i < n; i++)
		snprintf(out + strlen(out), size - strlen(out), "%s%d", i > 1 ? "," : "",
			 rates[i]);
}

int main(int argc, char **argv)
{
	struct xensnd_stream_cfg stream = {
		.params = {
			.formats = F(S16_LE) | F(F32_LE) | F(S24_LE),
			.rates = { 8000, 44100, 48000 }, .n_rates = 3,
			.channels_min = 1, .channels_max = 2,
			.buffer_size = 65536,
		},
	};
	struct xensnd_transport transport = { .stream = &stream, .path = "device/vsnd/0/0/0" };
	static struct xensnd_pcm node;
	struct xensnd_pcm *this = &node;
	struct xensnd_query_hw_param a;
	struct xensnd_pcm_hw_ranges r;
	char rates[128];

	pw_init(&argc, &argv);
	this->log = pw_log_get();
	this->transport = &transport;
	snprintf(this->name, sizeof(this->name), "test");

	/* Honest: narrowed, and the formats only where both agree. */
	a = honest();
	CHECK(hw_ranges_from_answer(this, &a, &r));
	CHECK(r.formats == (F(S16_LE) | F(F32_LE)));
	CHECK(r.rate_min == 44100 && r.rate_max == 48000);
	CHECK(r.buffer_min == 16 && r.buffer_max == 16384);
	CHECK(r.period_min == 16 && r.period_max == 8192);
	this->hw = r;
	enum_rates(this, rates, sizeof(rates));
	CHECK(strcmp(rates, "44100,48000") == 0);

	/* Wider than asked: clamped to the configuration. */
	a = honest();
	a.formats = ~UINT64_C(0);
	a.rates.min = 0;
	a.rates.max = 1000000;
	a.channels.min = 0;
	a.channels.max = 255;
	CHECK(hw_ranges_from_answer(this, &a, &r));
	CHECK(r.formats == stream.params.formats);
	CHECK(r.rate_min == 8000 && r.rate_max == 48000);
	CHECK(r.channels_min == 1 && r.channels_max == 2);

	/* Refused: no format, inverted or disjoint rates, disjoint channels. */
	a = honest();
	a.formats = F(MPEG);
	CHECK(!hw_ranges_from_answer(this, &a, &r));
	a = honest();
	a.rates.min = 48000;
	a.rates.max = 44100;
	CHECK(!hw_ranges_from_answer(this, &a, &r));
	a = honest();
	a.rates.min = 96000;
	a.rates.max = 192000;
	CHECK(!hw_ranges_from_answer(this, &a, &r));
	a = honest();
	a.channels.min = 4;
	a.channels.max = 8;
	CHECK(!hw_ranges_from_answer(this, &a, &r));
	a = honest();
	a.channels.min = 2;
	a.channels.max = 1;
	CHECK(!hw_ranges_from_answer(this, &a, &r));

	/* Nonsensical buffer and period ranges are dropped, the rest kept. */
	a = honest();
	a.buffer.min = 4096;
	a.buffer.max = 16;
	a.period.min = 0;
	a.period.max = 0xffffffff;
	CHECK(hw_ranges_from_answer(this, &a, &r));
	CHECK(r.buffer_min == 0 && r.buffer_max == 0);
	CHECK(r.period_min == 0 && r.period_max == 0);
	a = honest();
	a.buffer.max = 0xffffffff;	/* more than buffer-size holds: clamped */
	CHECK(hw_ranges_from_answer(this, &a, &r));
	CHECK(r.buffer_max == 65536 / 2);

	/* Without a valid answer EnumFormat is the configuration. */
	spa_zero(this->hw);
	enum_rates(this, rates, sizeof(rates));
	CHECK(strcmp(rates, "8000,44100,48000") == 0);

	pw_deinit();
	if (failures == 0)
		printf("PASS: HW_PARAM_QUERY answers are validated and clamped\n");
	return failures ? 1 : 0;
}
