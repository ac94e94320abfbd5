/* SPDX-License-Identifier: MIT */
/*
 * impulse-play: play silence and impulses (one frame each) into PipeWire,
 * and say when each impulse entered the graph: the CLOCK_MONOTONIC time of
 * the graph cycle that carried it plus its offset in that cycle, and the
 * delay to the device the graph reported then (pw_time.delay). A sink
 * that timestamps where it plays the impulse (xensnd-backend
 * --impulse-log) gives the measured latency; the delay is the reported.
 *
 * Usage: impulse-play [--target NODE] [--lead SECONDS] [--count N]
 *                     [--interval SECONDS]
 * Prints a line per impulse: written_ns=T delay_ns=D quantum=Q rate=R
 * Exit: 0 played, 1 PipeWire failed or an impulse never played, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipewire/pipewire.h>
#include <spa/param/audio/format-utils.h>

#define RATE		48000u
#define CHANNELS	2u
#define IMPULSE_VALUE	0.5f
#define MAX_IMPULSES	1000

struct impulse {
	int64_t written_ns;		/* the cycle's time + the offset in it */
	int64_t delay_ns;		/* the graph's delay to the device then */
	uint32_t quantum;
};

struct player {
	struct pw_main_loop *loop;
	struct pw_stream *stream;
	uint64_t lead_frames;		/* silence before the first impulse */
	uint64_t interval_frames;	/* from one impulse to the next */
	uint32_t count;
	uint64_t total_frames;
	uint64_t written;		/* data thread only, until done */
	struct impulse impulses[MAX_IMPULSES];
	atomic_uint played;		/* impulses[] filled so far */
	atomic_bool done;
};

/* An impulse is in this buffer: remember when the graph took it. */
static void note_impulse(struct player *p, uint64_t offset, uint32_t n_frames)
{
	unsigned i = atomic_load(&p->played);
	struct impulse *im = &p->impulses[i];
	struct pw_time t;

	if (pw_stream_get_time_n(p->stream, &t, sizeof(t)) < 0 || t.rate.denom == 0)
		return;
	im->written_ns = t.now + (int64_t)(offset * SPA_NSEC_PER_SEC / RATE);
	im->delay_ns = t.delay * (int64_t)SPA_NSEC_PER_SEC * t.rate.num / t.rate.denom;
	im->quantum = n_frames;
	atomic_store(&p->played, i + 1);
}

/* The frame of the next impulse, or UINT64_MAX when all are played. */
static uint64_t next_impulse(const struct player *p)
{
	unsigned i = atomic_load(&p->played);

	return i < p->count ? p->lead_frames + i * p->interval_frames : UINT64_MAX;
}

/* Data thread (PW_STREAM_FLAG_RT_PROCESS): the buffer is the graph's
 * current cycle, as pw-play's is. */
static void on_process(void *data)
{
	struct player *p = data;
	struct pw_buffer *b = pw_stream_dequeue_buffer(p->stream);
	struct spa_data *d;
	uint32_t stride = sizeof(float) * CHANNELS, n_frames;
	float *out;

	if (b == NULL)
		return;
	d = &b->buffer->datas[0];
	out = d->data;
	if (out == NULL)
		return;
	n_frames = d->maxsize / stride;
	if (b->requested && b->requested < n_frames)
		n_frames = (uint32_t)b->requested;
	memset(out, 0, (size_t)n_frames * stride);
	for (uint64_t f = next_impulse(p); f >= p->written && f < p->written + n_frames;
	     f = next_impulse(p)) {
		uint64_t offset = f - p->written;

		for (uint32_t c = 0; c < CHANNELS; c++)
			out[offset * CHANNELS + c] = IMPULSE_VALUE;
		note_impulse(p, offset, n_frames);
	}
	p->written += n_frames;
	if (p->written >= p->total_frames)
		atomic_store(&p->done, true);
	d->chunk->offset = 0;
	d->chunk->stride = (int32_t)stride;
	d->chunk->size = n_frames * stride;
	pw_stream_queue_buffer(p->stream, b);
}

static void on_state(void *data, enum pw_stream_state old,
		     enum pw_stream_state state, const char *error)
{
	struct player *p = data;

	(void)old;
	if (state == PW_STREAM_STATE_ERROR) {
		fprintf(stderr, "impulse-play: stream error: %s\n", error ? error : "?");
		pw_main_loop_quit(p->loop);
	}
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.process = on_process,
	.state_changed = on_state,
};

static void on_tick(void *data, uint64_t expirations)
{
	struct player *p = data;

	(void)expirations;
	if (atomic_load(&p->done))
		pw_main_loop_quit(p->loop);
}

static int usage(const char *argv0, int code)
{
	fprintf(code ? stderr : stdout,
		"Usage: %s [--target NODE] [--lead SECONDS] [--count N]\n"
		"          [--interval SECONDS]\n"
		"Play --lead of silence (default 1 s), then N impulses (default 1), one\n"
		"frame each, --interval apart (default 0.5 s), then that much silence\n"
		"(48 kHz stereo float); print when each impulse entered the graph:\n"
		"written_ns=T delay_ns=D quantum=Q rate=R (CLOCK_MONOTONIC, ns).\n",
		argv0);
	return code;
}

static int parse_seconds(const char *arg, const char *what, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno || *end || !(*out >= 0.0 && *out <= 600.0)) {
		fprintf(stderr, "impulse-play: %s \"%s\" must be 0..600 seconds\n",
			what, arg);
		return -1;
	}
	return 0;
}

static int run(struct player *p, const char *target)
{
	uint8_t pod[1024];
	struct spa_pod_builder builder = SPA_POD_BUILDER_INIT(pod, sizeof(pod));
	struct spa_audio_info_raw info = {
		.format = SPA_AUDIO_FORMAT_F32, .rate = RATE, .channels = CHANNELS,
		.position = { SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR },
	};
	const struct spa_pod *params[1];
	struct pw_properties *props;
	struct spa_source *tick;
	struct timespec interval = { 0, 50 * 1000 * 1000 };
	int r;

	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio",
				  PW_KEY_MEDIA_CATEGORY, "Playback",
				  PW_KEY_MEDIA_ROLE, "Music",
				  PW_KEY_NODE_NAME, "impulse-play", NULL);
	if (props == NULL)
		return -ENOMEM;
	if (target != NULL)
		pw_properties_set(props, PW_KEY_TARGET_OBJECT, target);
	p->stream = pw_stream_new_simple(pw_main_loop_get_loop(p->loop),
					 "impulse-play", props, &stream_events, p);
	if (p->stream == NULL)
		return -errno;
	params[0] = spa_format_audio_raw_build(&builder, SPA_PARAM_EnumFormat, &info);
	r = pw_stream_connect(p->stream, PW_DIRECTION_OUTPUT, PW_ID_ANY,
			      PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
			      PW_STREAM_FLAG_RT_PROCESS, params, 1);
	if (r < 0)
		return r;
	tick = pw_loop_add_timer(pw_main_loop_get_loop(p->loop), on_tick, p);
	if (tick == NULL)
		return -errno;
	pw_loop_update_timer(pw_main_loop_get_loop(p->loop), tick, &interval,
			     &interval, false);
	pw_main_loop_run(p->loop);
	pw_loop_destroy_source(pw_main_loop_get_loop(p->loop), tick);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "lead", required_argument, NULL, 'l' },
		{ "count", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct player p = { 0 };
	const char *target = NULL;
	double lead = 1.0, interval = 0.5;
	char *end;
	unsigned long count = 1;
	int c, r, code = 1;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 'l': if (parse_seconds(optarg, "--lead", &lead) < 0) return 2; break;
		case 'i':
			if (parse_seconds(optarg, "--interval", &interval) < 0)
				return 2;
			break;
		case 'c':
			errno = 0;
			count = strtoul(optarg, &end, 10);
			if (errno || *end || count < 1 || count > MAX_IMPULSES) {
				fprintf(stderr, "impulse-play: --count \"%s\" must be "
					"1..%u\n", optarg, MAX_IMPULSES);
				return 2;
			}
			break;
		case 'h': return usage(argv[0], 0);
		default: return usage(argv[0], 2);
		}
	}
	if (optind != argc)
		return usage(argv[0], 2);
	p.lead_frames = (uint64_t)(lead * RATE);
	p.interval_frames = (uint64_t)(interval * RATE);
	if (p.interval_frames < RATE / 5 && count > 1) {
		fprintf(stderr, "impulse-play: --interval must be at least 0.2 s "
			"(a sink tells impulses apart by the silence between)\n");
		return 2;
	}
	p.count = (uint32_t)count;
	p.total_frames = p.lead_frames + p.count * p.interval_frames + RATE / 5;

	pw_init(&argc, &argv);
	p.loop = pw_main_loop_new(NULL);
	if (p.loop == NULL) {
		fprintf(stderr, "impulse-play: cannot make a main loop\n");
		goto out;
	}
	r = run(&p, target);
	if (r < 0)
		fprintf(stderr, "impulse-play: cannot play into PipeWire: %s "
			"(is PIPEWIRE_REMOTE right?)\n", strerror(-r));
	else if (atomic_load(&p.played) < p.count)
		fprintf(stderr, "impulse-play: the stream stopped after %u of %u "
			"impulses\n", atomic_load(&p.played), p.count);
	else {
		for (unsigned i = 0; i < p.count; i++)
			printf("written_ns=%" PRIi64 " delay_ns=%" PRIi64 " quantum=%u"
			       " rate=%u\n", p.impulses[i].written_ns,
			       p.impulses[i].delay_ns, p.impulses[i].quantum, RATE);
		code = 0;
	}
out:
	if (p.stream)
		pw_stream_destroy(p.stream);
	if (p.loop)
		pw_main_loop_destroy(p.loop);
	pw_deinit();
	return code;
}
