/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of xensnd-backend's pure parts: request checks and
 * HW_PARAM_QUERY narrowing, the device clock, the WAV writer and reader,
 * the test signal, the command line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xensnd/format.h>

#include "clock.h"
#include "limits.h"
#include "options.h"
#include "testsignal.h"
#include "wav.h"

static int failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		failures++; \
	} \
} while (0)

#define BIT(f) (UINT64_C(1) << (f))

static struct xensnd_pcm_params cfg_48k(void)
{
	struct xensnd_pcm_params p = {
		.formats = BIT(XENSND_PCM_FORMAT_S16_LE) | BIT(XENSND_PCM_FORMAT_F32_LE),
		.rates = { 8000, 44100, 48000 },
		.n_rates = 3,
		.channels_min = 1,
		.channels_max = 2,
		.buffer_size = 65536,
	};
	return p;
}

static struct xensnd_query_hw_param any_query(void)
{
	return (struct xensnd_query_hw_param){
		.formats = ~UINT64_C(0),
		.rates = { 0, UINT32_MAX },
		.channels = { 0, UINT32_MAX },
		.buffer = { 0, UINT32_MAX },
		.period = { 0, UINT32_MAX },
	};
}

static void test_hw_query(void)
{
	struct xensnd_pcm_params cfg = cfg_48k();
	struct backend_limits lim;
	struct xensnd_query_hw_param q = any_query(), r;
	char err[256];

	limits_init_default(&lim);
	CHECK(limits_hw_query(&cfg, &lim, &q, &r, err, sizeof(err)) == 0);
	CHECK(r.formats == cfg.formats);
	CHECK(r.rates.min == 8000 && r.rates.max == 48000);
	CHECK(r.channels.min == 1 && r.channels.max == 2);
	/* 65536 octets of the smallest frame (s16 mono, 2 octets). */
	CHECK(r.buffer.max == 32768);
	CHECK(r.period.min == 16 && r.period.max == 32768);

	/* A restricted backend narrows further. */
	lim.formats = BIT(XENSND_PCM_FORMAT_S16_LE);
	lim.rates[0] = 44100;
	lim.n_rates = 1;
	lim.channels = (struct u32_range){ 2, 2 };
	lim.period_frames = (struct u32_range){ 64, 1024 };
	lim.buffer_frames = (struct u32_range){ 128, 4096 };
	CHECK(limits_hw_query(&cfg, &lim, &q, &r, err, sizeof(err)) == 0);
	CHECK(r.formats == BIT(XENSND_PCM_FORMAT_S16_LE));
	CHECK(r.rates.min == 44100 && r.rates.max == 44100);
	CHECK(r.channels.min == 2 && r.channels.max == 2);
	CHECK(r.buffer.min == 128 && r.buffer.max == 4096);
	CHECK(r.period.min == 64 && r.period.max == 1024);

	/* Empty intersections. */
	q = any_query();
	q.formats = BIT(XENSND_PCM_FORMAT_F32_LE);
	CHECK(limits_hw_query(&cfg, &lim, &q, &r, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "formats") != NULL);
	q = any_query();
	q.rates.min = q.rates.max = 48000;
	CHECK(limits_hw_query(&cfg, &lim, &q, &r, err, sizeof(err)) == -EINVAL);
	q = any_query();
	q.channels.min = 3;
	CHECK(limits_hw_query(&cfg, &lim, &q, &r, err, sizeof(err)) == -EINVAL);
	q = any_query();
	q.buffer.max = 100;
	CHECK(limits_hw_query(&cfg, &lim, &q, &r, err, sizeof(err)) == -EINVAL);
	q = any_query();
	q.period.min = 2000;
	CHECK(limits_hw_query(&cfg, &lim, &q, &r, err, sizeof(err)) == -EINVAL);
	q = any_query();
	q.rates.min = 50000;	/* min above max of anything */
	CHECK(limits_hw_query(&cfg, &lim, &q, &r, err, sizeof(err)) == -EINVAL);
}

static void test_open_checks(void)
{
	struct xensnd_pcm_params cfg = cfg_48k();
	struct backend_limits lim;
	struct xensnd_open_req good = {
		.pcm_rate = 48000, .pcm_format = XENSND_PCM_FORMAT_S16_LE,
		.pcm_channels = 2, .buffer_sz = 16384, .gref_directory = 8,
		.period_sz = 4096,
	}, o;
	char err[256];

	limits_init_default(&lim);
	CHECK(limits_check_open(&cfg, &lim, &good, err, sizeof(err)) == 0);
	o = good; o.pcm_rate = 22050;
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "22050") != NULL);
	o = good; o.pcm_format = XENSND_PCM_FORMAT_S32_LE;
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	o = good; o.pcm_format = 200;
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	o = good; o.pcm_channels = 3;
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	o = good; o.pcm_channels = 0;
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	o = good; o.buffer_sz = 65540;
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	o = good; o.buffer_sz = 0;
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	o = good; o.buffer_sz = 16386;	/* not whole 4-octet frames */
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	o = good; o.period_sz = 4094;
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	o = good; o.period_sz = 32768;	/* above buffer_sz */
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	o = good; o.period_sz = 0;	/* no events: allowed */
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == 0);
	o = good; o.gref_directory = 0;
	CHECK(limits_check_open(&cfg, &lim, &o, err, sizeof(err)) == -EINVAL);
	lim.period_frames = (struct u32_range){ 2048, 4096 };
	CHECK(limits_check_open(&cfg, &lim, &good, err, sizeof(err)) == -EINVAL);
}

static void test_rw_checks(void)
{
	char err[256];

	CHECK(limits_check_rw(4096, 4, 0, 4096, err, sizeof(err)) == 0);
	CHECK(limits_check_rw(4096, 4, 4092, 4, err, sizeof(err)) == 0);
	CHECK(limits_check_rw(4096, 4, 4092, 8, err, sizeof(err)) == -EINVAL);
	CHECK(limits_check_rw(4096, 4, 0xfffffffcu, 8, err, sizeof(err)) == -EINVAL);
	CHECK(limits_check_rw(4096, 4, 2, 4, err, sizeof(err)) == -EINVAL);
	CHECK(limits_check_rw(4096, 4, 0, 6, err, sizeof(err)) == -EINVAL);
	CHECK(limits_check_rw(4096, 4, 0, 0, err, sizeof(err)) == -EINVAL);
	CHECK(limits_check_control(4096, 2, 4, 0, 8, err, sizeof(err)) == 0);
	CHECK(limits_check_control(4096, 2, 4, 0, 4, err, sizeof(err)) == -EINVAL);
	CHECK(limits_check_control(4096, 2, 4, 4090, 8, err, sizeof(err)) == -EINVAL);
	CHECK(limits_check_control(4096, 2, 1, 100, 2, err, sizeof(err)) == 0);
}

static void test_trigger(void)
{
	enum stream_run_state n;
	char err[256];

	CHECK(limits_trigger(RUN_STOPPED, XENSND_OP_TRIGGER_START, &n, err, sizeof(err)) == 0 && n == RUN_RUNNING);
	CHECK(limits_trigger(RUN_RUNNING, XENSND_OP_TRIGGER_PAUSE, &n, err, sizeof(err)) == 0 && n == RUN_PAUSED);
	CHECK(limits_trigger(RUN_PAUSED, XENSND_OP_TRIGGER_RESUME, &n, err, sizeof(err)) == 0 && n == RUN_RUNNING);
	CHECK(limits_trigger(RUN_PAUSED, XENSND_OP_TRIGGER_STOP, &n, err, sizeof(err)) == 0 && n == RUN_STOPPED);
	CHECK(limits_trigger(RUN_RUNNING, XENSND_OP_TRIGGER_STOP, &n, err, sizeof(err)) == 0 && n == RUN_STOPPED);
	CHECK(limits_trigger(RUN_RUNNING, XENSND_OP_TRIGGER_START, &n, err, sizeof(err)) == -EINVAL);
	CHECK(limits_trigger(RUN_STOPPED, XENSND_OP_TRIGGER_PAUSE, &n, err, sizeof(err)) == -EINVAL);
	CHECK(limits_trigger(RUN_STOPPED, XENSND_OP_TRIGGER_RESUME, &n, err, sizeof(err)) == -EINVAL);
	CHECK(limits_trigger(RUN_STOPPED, XENSND_OP_TRIGGER_STOP, &n, err, sizeof(err)) == -EINVAL);
	CHECK(limits_trigger(RUN_RUNNING, XENSND_OP_TRIGGER_RESUME, &n, err, sizeof(err)) == -EINVAL);
	CHECK(limits_trigger(RUN_RUNNING, 9, &n, err, sizeof(err)) == -EINVAL);
}

static void test_clock(void)
{
	struct device_clock c;
	const uint64_t s = 1000000000u;

	device_clock_init(&c, 48000, 0);
	CHECK(device_clock_frames(&c, 5 * s) == 0);	/* not running */
	device_clock_start(&c, 10 * s);
	CHECK(device_clock_frames(&c, 10 * s) == 0);
	CHECK(device_clock_frames(&c, 11 * s) == 48000);
	CHECK(device_clock_frames(&c, 10 * s + 500000) == 24);	/* 0.5 ms */
	CHECK(device_clock_time_of(&c, 48000) == 11 * s);
	/* time_of is the first instant the count reaches the frame. */
	for (uint64_t f = 1; f < 2000; f += 37) {
		uint64_t t = device_clock_time_of(&c, f);

		CHECK(device_clock_frames(&c, t) >= f);
		CHECK(device_clock_frames(&c, t - 1) < f);
	}
	device_clock_stop(&c, 12 * s);
	CHECK(device_clock_frames(&c, 100 * s) == 96000);
	device_clock_start(&c, 200 * s);
	CHECK(device_clock_frames(&c, 201 * s) == 144000);
	/* An hour at 192 kHz does not overflow. */
	device_clock_init(&c, 192000, 0);
	device_clock_start(&c, 0);
	CHECK(device_clock_frames(&c, 3600 * s) == 192000ull * 3600);
	/* Drift: +1000 ppm plays 0.1 % more frames. */
	device_clock_init(&c, 48000, 1000);
	device_clock_start(&c, 0);
	CHECK(device_clock_frames(&c, 10 * s) == 480480);
	device_clock_init(&c, 48000, -1000);
	device_clock_start(&c, 0);
	CHECK(device_clock_frames(&c, 10 * s) == 479520);
}

static void test_signal(void)
{
	uint8_t buf[64];

	CHECK(testsignal_value(0, 0) == 0);
	CHECK(testsignal_value(1, 0) == (1 << 24));
	CHECK(testsignal_value(31, 0) == 31 * (1 << 24));
	CHECK(testsignal_value(32, 0) == -32 * (1 << 24));
	CHECK(testsignal_value(1, 1) == 2 * (1 << 24));
	CHECK(testsignal_value(64, 3) == 0);
	CHECK(testsignal_fill(buf, XENSND_PCM_FORMAT_S16_LE, 2, 1, 1) == 0);
	CHECK(buf[0] == 0x00 && buf[1] == 0x01 && buf[2] == 0x00 && buf[3] == 0x02);
	CHECK(testsignal_fill(buf, XENSND_PCM_FORMAT_S16_BE, 1, 1, 1) == 0);
	CHECK(buf[0] == 0x01 && buf[1] == 0x00);
	CHECK(testsignal_fill(buf, XENSND_PCM_FORMAT_U8, 1, 32, 1) == 0);
	CHECK(buf[0] == 128 - 32);
	CHECK(testsignal_fill(buf, XENSND_PCM_FORMAT_S24_LE, 1, 1, 1) == 0);
	CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 1 && buf[3] == 0);
	CHECK(testsignal_fill(buf, XENSND_PCM_FORMAT_F32_LE, 1, 32, 1) == 0);
	{
		float f;

		memcpy(&f, buf, 4);
		CHECK(f == -0.25f);
	}
	/* G.711 reference points. */
	CHECK(g711_mulaw_encode(0) == 0xff);
	CHECK(g711_mulaw_encode(-1) == 0x7f);
	CHECK(g711_mulaw_encode(32767) == 0x80);
	CHECK(g711_alaw_encode(0) == 0xd5);
	CHECK(g711_alaw_encode(-1) == 0x55);
	CHECK(g711_alaw_encode(32767) == 0xaa);
	CHECK(testsignal_fill(buf, XENSND_PCM_FORMAT_GSM, 1, 0, 1) == -ENOTSUP);
}

static void test_wav_roundtrip(unsigned sndif, unsigned channels, bool extensible)
{
	char path[] = "/tmp/xensnd-test-wav-XXXXXX";
	struct wav_format fmt;
	struct wav_conversion conv;
	struct wav_writer w, w2;
	struct wav_file f;
	uint8_t data[8 * 8 * 10];
	char err[256];
	uint32_t fb = xensnd_frame_bytes(sndif, channels);
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	CHECK(wav_format_for_sndif(sndif, channels, 44100, &fmt, &conv) == 0);
	CHECK(fmt.extensible == extensible);
	CHECK(wav_writer_open(&w, path, &fmt) == 0);
	CHECK(wav_writer_open(&w2, path, &fmt) == -EEXIST);	/* never overwrites */
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	CHECK(wav_writer_append(&w, data, fb * 5) == 0);
	/* Valid mid-stream; the header's sizes may lag the data by less
	 * than WAV_SIZES_EVERY octets (here: all of it). */
	CHECK(wav_file_read(&f, path, err, sizeof(err)) == 0);
	CHECK(f.size <= fb * 5 && f.size + WAV_SIZES_EVERY > fb * 5);
	wav_file_free(&f);
	CHECK(wav_writer_append(&w, data + fb * 5, fb * 5) == 0);
	wav_writer_close(&w);
	CHECK(wav_file_read(&f, path, err, sizeof(err)) == 0);
	CHECK(f.size == fb * 10);
	CHECK(f.data && memcmp(f.data, data, f.size) == 0);
	CHECK(f.fmt.channels == channels && f.fmt.rate == 44100);
	CHECK(f.fmt.extensible == extensible);
	CHECK(wav_format_to_sndif(&f.fmt) == (int)sndif);
	wav_file_free(&f);
	unlink(path);
}

/* The header's sizes catch up every WAV_SIZES_EVERY octets, and on close. */
static void test_wav_sizes_follow(void)
{
	char path[] = "/tmp/xensnd-test-wav-XXXXXX";
	static uint8_t data[WAV_SIZES_EVERY];
	struct wav_format fmt;
	struct wav_conversion conv;
	struct wav_writer w;
	struct wav_file f;
	char err[256];
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	unlink(path);
	CHECK(wav_format_for_sndif(XENSND_PCM_FORMAT_S16_LE, 2, 48000, &fmt, &conv) == 0);
	CHECK(wav_writer_open(&w, path, &fmt) == 0);
	CHECK(wav_writer_append(&w, data, 4) == 0);
	CHECK(wav_writer_append(&w, data, sizeof(data)) == 0);
	CHECK(wav_file_read(&f, path, err, sizeof(err)) == 0);
	CHECK(f.size == sizeof(data) + 4);	/* crossed the threshold */
	wav_file_free(&f);
	CHECK(wav_writer_append(&w, data, 8) == 0);
	CHECK(wav_file_read(&f, path, err, sizeof(err)) == 0);
	CHECK(f.size == sizeof(data) + 4);	/* lagging, still valid */
	wav_file_free(&f);
	wav_writer_close(&w);
	CHECK(wav_file_read(&f, path, err, sizeof(err)) == 0);
	CHECK(f.size == sizeof(data) + 12);	/* exact once closed */
	wav_file_free(&f);
	unlink(path);
}

static void test_wav(void)
{
	struct wav_format fmt;
	struct wav_conversion conv;
	uint8_t s[8] = { 0x12, 0x34, 0x56, 0x78 };

	test_wav_roundtrip(XENSND_PCM_FORMAT_S16_LE, 2, false);
	test_wav_roundtrip(XENSND_PCM_FORMAT_S16_LE, 6, true);
	test_wav_roundtrip(XENSND_PCM_FORMAT_S24_LE, 2, true);
	test_wav_roundtrip(XENSND_PCM_FORMAT_S32_LE, 1, false);
	test_wav_roundtrip(XENSND_PCM_FORMAT_F32_LE, 8, true);
	test_wav_roundtrip(XENSND_PCM_FORMAT_F64_LE, 2, false);
	test_wav_roundtrip(XENSND_PCM_FORMAT_U8, 1, false);
	test_wav_roundtrip(XENSND_PCM_FORMAT_A_LAW, 2, false);
	test_wav_roundtrip(XENSND_PCM_FORMAT_MU_LAW, 3, false);
	CHECK(wav_format_for_sndif(XENSND_PCM_FORMAT_GSM, 2, 8000, &fmt, &conv) == -ENOTSUP);
	CHECK(wav_format_for_sndif(XENSND_PCM_FORMAT_IEC958_SUBFRAME_LE, 2, 8000, &fmt, &conv) == -ENOTSUP);
	/* Big-endian is swapped; unsigned has its sign flipped. */
	CHECK(wav_format_for_sndif(XENSND_PCM_FORMAT_S16_BE, 1, 8000, &fmt, &conv) == 0);
	wav_convert(&conv, s, 4);
	CHECK(s[0] == 0x34 && s[1] == 0x12 && s[2] == 0x78 && s[3] == 0x56);
	CHECK(wav_format_for_sndif(XENSND_PCM_FORMAT_U24_BE, 1, 8000, &fmt, &conv) == 0);
	memcpy(s, (uint8_t[]){ 0x00, 0x80, 0x00, 0x01 }, 4);
	wav_convert(&conv, s, 4);	/* -> 01 00 80 00, then bit 23 flipped */
	CHECK(s[0] == 0x01 && s[1] == 0x00 && s[2] == 0x00 && s[3] == 0x00);
}

static void test_options(void)
{
	struct backend_options o;
	char err[512];
	char *ok[] = { "b", "--formats", "s16_le,float_le", "--rates", "44100,48000",
		       "--channels", "1:2", "--period-frames", "64:", "--clock-drift",
		       "-250", "--output-dir", "/tmp", "--verbose", NULL };
	char *bad_range[] = { "b", "--channels", "3:2", NULL };
	char *bad_fmt[] = { "b", "--formats", "gsm", NULL };
	char *bad_drift[] = { "b", "--clock-drift", "1e9", NULL };
	char *extra[] = { "b", "stray", NULL };
	char *help[] = { "b", "--help", NULL };

	CHECK(options_parse(&o, 14, ok, err, sizeof(err)) == OPTIONS_RUN);
	CHECK(o.limits.formats == (BIT(XENSND_PCM_FORMAT_S16_LE) | BIT(XENSND_PCM_FORMAT_F32_LE)));
	CHECK(o.limits.n_rates == 2 && o.limits.rates[1] == 48000);
	CHECK(o.limits.channels.min == 1 && o.limits.channels.max == 2);
	CHECK(o.limits.period_frames.min == 64 && o.limits.period_frames.max == UINT32_MAX);
	CHECK(o.clock_drift_ppm == -250 && o.verbose && o.output_dir);
	CHECK(options_parse(&o, 3, bad_range, err, sizeof(err)) == OPTIONS_ERROR);
	CHECK(strstr(err, "--channels") != NULL);
	CHECK(options_parse(&o, 3, bad_fmt, err, sizeof(err)) == OPTIONS_ERROR);
	CHECK(options_parse(&o, 3, bad_drift, err, sizeof(err)) == OPTIONS_ERROR);
	CHECK(options_parse(&o, 2, extra, err, sizeof(err)) == OPTIONS_ERROR);
	CHECK(options_parse(&o, 2, help, err, sizeof(err)) == OPTIONS_HELP);
}

int main(void)
{
	test_hw_query();
	test_open_checks();
	test_rw_checks();
	test_trigger();
	test_clock();
	test_signal();
	test_wav();
	test_wav_sizes_follow();
	test_options();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("all backend unit checks passed\n");
	return 0;
}
