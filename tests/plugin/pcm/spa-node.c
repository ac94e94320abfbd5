/* SPDX-License-Identifier: MIT */
/*
 * spa-node: drive one xensnd PCM node directly, without PipeWire's graph,
 * against a real xensnd-backend (both under xensim; run in guest domain 1).
 *
 * The test is its own tiny device: it reads the card from XenStore, opens
 * every stream's channel with libxensnd, runs the frontend handshake and
 * hands the node a struct xensnd_transport, as api.xensnd.device does.
 * Then it loads the node from the built plugin (dlopen +
 * spa_handle_factory_enum, like PipeWire's spa tests), checks EnumFormat,
 * sets a Format, starts the node as the graph driver and answers its
 * cycles:
 *   sink:   every cycle it hands over a known ramp; spa-node.sh checks
 *           that the backend's WAV holds it bit-exact.
 *   source: every cycle it takes the node's buffer and checks it against
 *           the backend's test signal (testsignal.h's formula).
 *
 * Usage: spa-node PLUGIN CARD-PATH sink|source [options]
 *   --expect-rates R,R..   EnumFormat must offer exactly these rates
 *   --format NAME          sndif format to set (s16_le)
 *   --rate N --channels N --quantum N --cycles N
 *   --volume GAIN          set channelVolumes to GAIN after start
 *   --wav FILE             sink: the backend's WAV, compared after Pause
 *   --follow               the node follows our clock (we drive its cycles
 *                          from a data-loop timer); checks rate matching
 *   --stall-marker FILE    after --cycles, create FILE (the script then
 *                          SIGSTOPs the backend) and pass only if the node
 *                          reports an error within 5 s (request deadlines)
 * Exit: 0 pass, 1 fail, 2 usage, 77 skipped.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <spa/node/node.h>
#include <spa/node/utils.h>
#include <spa/param/audio/format-utils.h>
#include <spa/param/props.h>
#include <spa/pod/builder.h>
#include <spa/support/plugin.h>
#include <spa/utils/result.h>

#include <pipewire/pipewire.h>

#include <xensnd/channel.h>
#include <xensnd/config.h>
#include <xensnd/format.h>
#include <xensnd/xenbus.h>

#include "../../../spa/plugins/xensnd/defs.h"

#define MAX_STREAMS	16
#define N_BUFFERS	2

struct options {
	const char *plugin;
	const char *card_path;
	bool capture;
	const char *expect_rates;
	const char *format;
	uint32_t rate, channels, quantum, cycles;
	float volume;
	const char *wav;
	const char *stall_marker;
	bool follow;
};

/* The tiny device: what api.xensnd.device owns for a card. */
struct card {
	struct xs_handle *xs;
	xengntshr_handle *gntshr;
	struct xensnd_card_cfg cfg;
	char path[256];
	char backend_path[256];
	domid_t backend_domid;
	struct xensnd_transport transports[MAX_STREAMS];
	uint32_t n_transports;
};

struct test {
	struct options opt;
	struct card card;
	struct pw_loop *main_loop;
	struct pw_data_loop *data_loop;
	void *dl;
	struct spa_handle *handle;
	struct spa_node *node;
	const struct xensnd_format *xf;
	uint32_t frame_bytes;

	struct spa_io_position position;
	struct spa_io_clock node_clock;		/* --follow: the node's own, not the graph's */
	struct spa_io_rate_match rate_match;
	struct spa_source *driver_timer;	/* --follow: on the data loop */
	struct spa_io_buffers io;
	struct spa_buffer *buffers[N_BUFFERS];
	struct spa_buffer buf_structs[N_BUFFERS];
	struct spa_data datas[N_BUFFERS];
	struct spa_chunk chunks[N_BUFFERS];
	uint8_t *mem[N_BUFFERS];

	/* data loop */
	atomic_uint cycles;
	uint64_t frame;			/* sink: frames produced; source: frames taken */
	uint8_t *played;		/* sink: everything we produced */
	uint64_t capture_first;		/* source: signal frame of the first non-zero */
	bool capture_aligned;
	atomic_uint mismatches;
	atomic_int node_error;
};

static int fail(const char *what)
{
	fprintf(stderr, "FAIL: %s\n", what);
	return 1;
}

/* ------------------------------------------------------ the tiny device */

static char *read_key(struct card *c, const char *dir, const char *key)
{
	char path[512];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return xs_read(c->xs, XBT_NULL, path, &len);
}

static bool wait_backend_state(struct card *c, enum xenbus_state want, int seconds)
{
	for (int i = 0; i < seconds * 50; i++) {
		if (xensnd_read_state(c->xs, XBT_NULL, c->backend_path) == want)
			return true;
		usleep(20000);
	}
	return false;
}

static void card_close(struct card *c)
{
	for (uint32_t i = 0; i < c->n_transports; i++) {
		struct xensnd_transport *t = &c->transports[i];
		if (t->connected)
			xensnd_transport_emit_disconnecting(t);
		t->connected = false;
		xensnd_front_channel_close(&t->channel);
		xensnd_transport_emit_destroy(t);
	}
	c->n_transports = 0;
	if (c->xs && c->path[0])
		xensnd_write_state(c->xs, XBT_NULL, c->path, XenbusStateClosed);
	xensnd_card_cfg_clear(&c->cfg);
	if (c->gntshr)
		xengntshr_close(c->gntshr);
	if (c->xs)
		xs_close(c->xs);
	c->gntshr = NULL;
	c->xs = NULL;
}

static int card_connect(struct card *c, const char *path, struct spa_log *log)
{
	struct xensnd_xs_reader reader;
	struct xensnd_stream_keys keys[MAX_STREAMS];
	char err[XENSND_ERROR_MAX], version[16];
	char *s;
	int res;

	snprintf(c->path, sizeof(c->path), "%s", path);
	c->xs = xs_open(0);
	if (c->xs == NULL)
		return fprintf(stderr, "SKIP: no XenStore (run under xensim exec)\n"), 77;
	xensnd_xs_reader_init(&reader, c->xs, XBT_NULL);
	if ((res = xensnd_card_cfg_read(&c->cfg, &reader.reader, path, err, sizeof(err))) < 0)
		return fprintf(stderr, "FAIL: %s: %s\n", path, err), 1;
	if ((s = read_key(c, path, "backend")) == NULL)
		return fail("card has no backend path");
	snprintf(c->backend_path, sizeof(c->backend_path), "%s", s);
	free(s);
	if ((s = read_key(c, path, "backend-id")) == NULL)
		return fail("card has no backend-id");
	c->backend_domid = (domid_t)atoi(s);
	free(s);
	c->gntshr = xengntshr_open(NULL, 0);
	if (c->gntshr == NULL)
		return fail("xengntshr_open");
	/* A card left Closed by an earlier run starts over (sndif recovery). */
	xensnd_write_state(c->xs, XBT_NULL, path, XenbusStateInitialising);
	if (!wait_backend_state(c, XenbusStateInitWait, 10))
		return fail("backend did not reach InitWait in 10 s");

	for (uint32_t p = 0; p < c->cfg.n_pcms; p++) {
		struct xensnd_pcm_cfg *pcm = &c->cfg.pcms[p];
		for (uint32_t i = 0; i < pcm->n_streams && c->n_transports < MAX_STREAMS; i++) {
			struct xensnd_transport *t = &c->transports[c->n_transports];

			memset(t, 0, sizeof(*t));
			t->log = log;
			t->backend_domid = c->backend_domid;
			t->card = &c->cfg;
			t->pcm = pcm;
			t->stream = &pcm->streams[i];
			t->gntshr = c->gntshr;
			snprintf(t->path, sizeof(t->path), "%s/%u/%u", path, p, i);
			spa_hook_list_init(&t->listener_list);
			if ((res = xensnd_front_channel_open(&t->channel, c->gntshr,
							     c->backend_domid)) < 0)
				return fail("xensnd_front_channel_open");
			keys[c->n_transports++] = t->channel.keys;
		}
	}
	if ((s = read_key(c, c->backend_path, "versions")) == NULL ||
	    xensnd_pick_version(s, version, sizeof(version)) < 0) {
		free(s);
		return fail("backend versions");
	}
	free(s);
	if ((res = xensnd_front_publish(c->xs, path, &c->cfg, keys, version)) < 0)
		return fail("xensnd_front_publish");
	if (!wait_backend_state(c, XenbusStateConnected, 10))
		return fail("backend did not connect in 10 s");
	xensnd_write_state(c->xs, XBT_NULL, path, XenbusStateConnected);
	for (uint32_t i = 0; i < c->n_transports; i++)
		c->transports[i].connected = true;
	return 0;
}

/* ------------------------------------------------------------ signals */

/* The sink's ramp: never zero, so the first non-zero sample is frame 0. */
static void sink_sample(struct test *t, uint64_t frame, uint32_t ch, uint8_t *out)
{
	int32_t v = (int32_t)(((frame * 977 + ch * 131) % 60000) + 1000);

	switch (t->xf->sndif) {
	case XENSND_PCM_FORMAT_S16_LE: {
		int16_t s = (int16_t)(v - 31000);
		memcpy(out, &s, 2);
		break;
	}
	case XENSND_PCM_FORMAT_S24_LE: {
		int32_t s = (v - 31000) * 256;
		memcpy(out, &s, 4);
		break;
	}
	case XENSND_PCM_FORMAT_S32_LE: {
		int32_t s = (v - 31000) * 65536;
		memcpy(out, &s, 4);
		break;
	}
	case XENSND_PCM_FORMAT_F32_LE: {
		float f = (float)(v - 31000) / 32768.0f;
		memcpy(out, &f, 4);
		break;
	}
	default:
		memset(out, 0x11, t->xf->sample_bytes);
		break;
	}
}

/* The backend's capture test signal (see xensnd-backend(1)). */
static int32_t signal_value(uint64_t frame, uint32_t ch)
{
	int64_t k = (int64_t)((frame * (ch + 1u)) % 64u);
	return (int32_t)((k < 32 ? k : k - 64) * (INT64_C(1) << 24));
}

static void signal_sample(struct test *t, uint64_t frame, uint32_t ch, uint8_t *out)
{
	int32_t v = signal_value(frame, ch);

	switch (t->xf->sndif) {
	case XENSND_PCM_FORMAT_S16_LE: {
		int16_t s = (int16_t)(v / 65536);
		memcpy(out, &s, 2);
		break;
	}
	case XENSND_PCM_FORMAT_S24_LE: {
		int32_t s = v / 256;
		memcpy(out, &s, 4);
		break;
	}
	case XENSND_PCM_FORMAT_S32_LE:
		memcpy(out, &v, 4);
		break;
	case XENSND_PCM_FORMAT_F32_LE: {
		float f = (float)v / 2147483648.0f;
		memcpy(out, &f, 4);
		break;
	}
	default:
		memset(out, 0, t->xf->sample_bytes);
		break;
	}
}

/* -------------------------------------------------- node callbacks */

static void check_capture(struct test *t, const uint8_t *data, uint32_t frames)
{
	uint8_t want[64];
	uint32_t sb = t->xf->sample_bytes;

	for (uint32_t f = 0; f < frames; f++) {
		const uint8_t *frame = data + (size_t)f * t->frame_bytes;
		if (!t->capture_aligned) {
			bool zero = true;
			for (uint32_t i = 0; i < t->frame_bytes; i++)
				zero &= frame[i] == 0;
			if (zero)
				continue;
			/* The signal's first non-zero frame is frame 1. */
			t->capture_aligned = true;
			t->capture_first = 1;
			t->frame = 0;
		}
		for (uint32_t c = 0; c < t->opt.channels; c++) {
			signal_sample(t, t->capture_first + t->frame, c, want);
			if (memcmp(frame + c * sb, want, sb) != 0) {
				if (atomic_fetch_add(&t->mismatches, 1) < 5)
					fprintf(stderr, "capture frame %" PRIu64 " ch %u differs\n",
						t->capture_first + t->frame, c);
			}
		}
		t->frame++;
	}
}

static int node_ready(void *data, int status)
{
	struct test *t = data;

	/* A stall test keeps the node busy: there must be requests in flight. */
	if (atomic_load(&t->cycles) >= t->opt.cycles && t->opt.stall_marker == NULL)
		return 0;
	if (t->frame + t->opt.quantum > (uint64_t)t->opt.cycles * t->opt.quantum)
		t->frame = 0;	/* stall test: reuse the record of what we played */
	if (!t->opt.capture) {
		uint32_t id = atomic_load(&t->cycles) % N_BUFFERS;
		uint8_t *p = t->mem[id];

		for (uint32_t f = 0; f < t->opt.quantum; f++)
			for (uint32_t c = 0; c < t->opt.channels; c++)
				sink_sample(t, t->frame + f, c,
					    p + (size_t)f * t->frame_bytes + c * t->xf->sample_bytes);
		memcpy(t->played + t->frame * t->frame_bytes, p,
		       (size_t)t->opt.quantum * t->frame_bytes);
		t->frame += t->opt.quantum;
		t->chunks[id].offset = 0;
		t->chunks[id].size = t->opt.quantum * t->frame_bytes;
		t->chunks[id].stride = (int32_t)t->frame_bytes;
		t->io.buffer_id = id;
		t->io.status = SPA_STATUS_HAVE_DATA;
		spa_node_process(t->node);
	} else {
		if (t->io.status == SPA_STATUS_HAVE_DATA && t->io.buffer_id < N_BUFFERS) {
			struct spa_chunk *ck = &t->chunks[t->io.buffer_id];
			check_capture(t, t->mem[t->io.buffer_id] + ck->offset,
				      ck->size / t->frame_bytes);
			t->io.status = SPA_STATUS_NEED_DATA;
		}
	}
	atomic_fetch_add(&t->cycles, 1);
	return 0;
}

/* --follow: we are the driver; every tick is one graph cycle. */
static void on_driver_tick(void *data, uint64_t expirations)
{
	struct test *t = data;

	if (t->opt.capture)
		spa_node_process(t->node);
	node_ready(t, 0);
}

static int do_add_driver(struct spa_loop *loop, bool async, uint32_t seq,
			 const void *data, size_t size, void *user_data)
{
	struct test *t = user_data;
	struct pw_loop *l = pw_data_loop_get_loop(t->data_loop);
	uint64_t ns = (uint64_t)t->opt.quantum * SPA_NSEC_PER_SEC / t->opt.rate;
	struct timespec value = { 0, 1 }, interval = { ns / SPA_NSEC_PER_SEC, ns % SPA_NSEC_PER_SEC };

	t->driver_timer = pw_loop_add_timer(l, on_driver_tick, t);
	if (t->driver_timer == NULL)
		return -errno;
	return pw_loop_update_timer(l, t->driver_timer, &value, &interval, false);
}

static int do_remove_driver(struct spa_loop *loop, bool async, uint32_t seq,
			    const void *data, size_t size, void *user_data)
{
	struct test *t = user_data;

	if (t->driver_timer)
		pw_loop_destroy_source(pw_data_loop_get_loop(t->data_loop), t->driver_timer);
	t->driver_timer = NULL;
	return 0;
}

static int invoke_data_loop(struct test *t, spa_invoke_func_t func)
{
	return pw_loop_invoke(pw_data_loop_get_loop(t->data_loop), func, 0, NULL, 0, true, t);
}

static const struct spa_node_callbacks node_callbacks = {
	SPA_VERSION_NODE_CALLBACKS,
	.ready = node_ready,
};

static void node_event(void *data, const struct spa_event *event)
{
	struct test *t = data;
	if (SPA_NODE_EVENT_ID(event) == SPA_NODE_EVENT_Error)
		atomic_store(&t->node_error, 1);
}

static const struct spa_node_events node_events = {
	SPA_VERSION_NODE_EVENTS,
	.event = node_event,
};

/* ---------------------------------------------------------- the checks */

static int load_node(struct test *t, struct xensnd_transport *tr, const struct spa_support *support,
		     uint32_t n_support)
{
	spa_handle_factory_enum_func_t enum_func;
	const struct spa_handle_factory *factory = NULL;
	const char *want = t->opt.capture ? XENSND_FACTORY_SOURCE : XENSND_FACTORY_SINK;
	char pointer[64];
	uint32_t index = 0;
	void *iface;
	int res;

	t->dl = dlopen(t->opt.plugin, RTLD_NOW);
	if (t->dl == NULL)
		return fprintf(stderr, "FAIL: %s\n", dlerror()), 1;
	enum_func = (spa_handle_factory_enum_func_t)dlsym(t->dl, SPA_HANDLE_FACTORY_ENUM_FUNC_NAME);
	if (enum_func == NULL)
		return fail("no spa_handle_factory_enum");
	while (enum_func(&factory, &index) > 0)
		if (strcmp(factory->name, want) == 0)
			break;
	if (factory == NULL || strcmp(factory->name, want) != 0)
		return fprintf(stderr, "FAIL: plugin has no %s\n", want), 1;

	t->handle = calloc(1, spa_handle_factory_get_size(factory, NULL));
	/* Without a transport the factory must refuse. */
	if (spa_handle_factory_init(factory, t->handle, &SPA_DICT_INIT(NULL, 0),
				    support, n_support) != -EINVAL)
		return fail("node initialised without a transport");

	snprintf(pointer, sizeof(pointer), "pointer:%p", (void *)tr);
	struct spa_dict_item items[] = { SPA_DICT_ITEM_INIT(XENSND_KEY_TRANSPORT, pointer) };
	if ((res = spa_handle_factory_init(factory, t->handle, &SPA_DICT_INIT_ARRAY(items),
					   support, n_support)) < 0)
		return fprintf(stderr, "FAIL: init: %s\n", spa_strerror(res)), 1;
	if (spa_handle_get_interface(t->handle, SPA_TYPE_INTERFACE_Node, &iface) < 0)
		return fail("no Node interface");
	t->node = iface;
	return 0;
}

/* EnumFormat offers the stream's configured rates (as narrowed). */
static int check_enum_format(struct test *t, enum spa_direction dir)
{
	uint8_t buffer[4096];
	uint32_t state = 0, n_objects = 0;
	char got[256] = "";
	bool have_format = false;

	while (true) {
		struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
		struct spa_pod *param;
		const struct spa_pod_prop *prop;
		uint32_t n_vals, choice;
		struct spa_pod *vals;

		if (spa_node_port_enum_params_sync(t->node, dir, 0, SPA_PARAM_EnumFormat,
						   &state, NULL, &param, &b) != 1)
			break;
		n_objects++;
		if ((prop = spa_pod_find_prop(param, NULL, SPA_FORMAT_AUDIO_format))) {
			vals = spa_pod_get_values(&prop->value, &n_vals, &choice);
			uint32_t *ids = SPA_POD_BODY(vals);
			for (uint32_t i = 1; i < n_vals; i++)
				have_format |= ids[i] == t->xf->spa_format;
		}
		if (n_objects == 1 && (prop = spa_pod_find_prop(param, NULL, SPA_FORMAT_AUDIO_rate))) {
			vals = spa_pod_get_values(&prop->value, &n_vals, &choice);
			int32_t *rates = SPA_POD_BODY(vals);
			for (uint32_t i = choice == SPA_CHOICE_None ? 0 : 1; i < n_vals; i++)
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%d",
					 got[0] ? "," : "", rates[i]);
		}
	}
	if (n_objects == 0)
		return fail("no EnumFormat");
	if (!have_format)
		return fprintf(stderr, "FAIL: EnumFormat lacks %s\n", t->xf->name), 1;
	printf("EnumFormat: %u objects, rates %s\n", n_objects, got);
	if (t->opt.expect_rates && strcmp(got, t->opt.expect_rates) != 0)
		return fprintf(stderr, "FAIL: EnumFormat rates %s, expected %s\n", got,
			       t->opt.expect_rates), 1;
	return 0;
}

static int set_format(struct test *t, enum spa_direction dir)
{
	uint8_t buffer[1024];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	struct spa_audio_info_raw info = {
		.format = t->xf->spa_format, .rate = t->opt.rate, .channels = t->opt.channels,
	};
	static const uint32_t pos[2] = { SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR };
	int res;

	if (t->opt.channels == 1)
		info.position[0] = SPA_AUDIO_CHANNEL_MONO;
	else
		memcpy(info.position, pos, sizeof(pos));
	struct spa_pod *fmt = spa_format_audio_raw_build(&b, SPA_PARAM_Format, &info);
	if ((res = spa_node_port_set_param(t->node, dir, 0, SPA_PARAM_Format, 0, fmt)) < 0)
		return fprintf(stderr, "FAIL: set Format: %s\n", spa_strerror(res)), 1;
	return 0;
}

static int set_buffers(struct test *t, enum spa_direction dir)
{
	size_t size = (size_t)t->opt.quantum * t->frame_bytes * 4;
	int res;

	for (int i = 0; i < N_BUFFERS; i++) {
		t->mem[i] = calloc(1, size);
		t->datas[i] = (struct spa_data){ .type = SPA_DATA_MemPtr, .maxsize = (uint32_t)size,
						 .data = t->mem[i], .chunk = &t->chunks[i] };
		t->buf_structs[i] = (struct spa_buffer){ .n_datas = 1, .datas = &t->datas[i] };
		t->buffers[i] = &t->buf_structs[i];
	}
	t->io = (struct spa_io_buffers){ .status = SPA_STATUS_NEED_DATA, .buffer_id = SPA_ID_INVALID };
	if ((res = spa_node_port_use_buffers(t->node, dir, 0, 0, t->buffers, N_BUFFERS)) < 0 ||
	    (res = spa_node_port_set_io(t->node, dir, 0, SPA_IO_Buffers, &t->io, sizeof(t->io))) < 0)
		return fprintf(stderr, "FAIL: buffers: %s\n", spa_strerror(res)), 1;
	return 0;
}

static int set_volume(struct test *t)
{
	uint8_t buffer[512];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	float vols[2] = { t->opt.volume, t->opt.volume };
	struct spa_pod *p = spa_pod_builder_add_object(&b, SPA_TYPE_OBJECT_Props, SPA_PARAM_Props,
		SPA_PROP_channelVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float,
						       t->opt.channels, vols));
	return spa_node_set_param(t->node, SPA_PARAM_Props, 0, p);
}

/* The backend is stopped now: the node must notice (request deadline). */
static int wait_for_error(struct test *t, struct spa_hook *listener)
{
	struct spa_command pause = SPA_NODE_COMMAND_INIT(SPA_NODE_COMMAND_Pause);
	FILE *f = fopen(t->opt.stall_marker, "w");
	int ms = 0;

	if (f == NULL)
		return fail("cannot create the stall marker");
	fclose(f);
	while (!atomic_load(&t->node_error) && ms < 5000) {
		usleep(10000);
		ms += 10;
	}
	spa_node_send_command(t->node, &pause);
	spa_hook_remove(listener);
	if (!atomic_load(&t->node_error))
		return fail("the node did not report an error for a stalled backend in 5 s");
	printf("the node reported an error %d ms after the backend stalled\n", ms);
	return 0;
}

static int run(struct test *t)
{
	enum spa_direction dir = t->opt.capture ? SPA_DIRECTION_OUTPUT : SPA_DIRECTION_INPUT;
	struct spa_command start = SPA_NODE_COMMAND_INIT(SPA_NODE_COMMAND_Start);
	struct spa_command pause = SPA_NODE_COMMAND_INIT(SPA_NODE_COMMAND_Pause);
	struct spa_hook listener;
	int res;

	spa_zero(listener);
	spa_node_add_listener(t->node, &listener, &node_events, t);
	if ((res = check_enum_format(t, dir)) != 0)
		return res;
	if ((res = set_format(t, dir)) != 0 || (res = set_buffers(t, dir)) != 0)
		return res;

	/* We are the graph: the node's clock is the position's, so it drives;
	 * with --follow the node gets a clock of its own and follows ours. */
	t->position.clock.id = 42;
	t->position.clock.duration = t->opt.quantum;
	t->position.clock.rate = SPA_FRACTION(1, t->opt.rate);
	t->node_clock.id = 43;
	spa_node_set_io(t->node, SPA_IO_Position, &t->position, sizeof(t->position));
	if (t->opt.follow) {
		spa_node_set_io(t->node, SPA_IO_Clock, &t->node_clock, sizeof(t->node_clock));
		spa_node_port_set_io(t->node, dir, 0, SPA_IO_RateMatch, &t->rate_match,
				     sizeof(t->rate_match));
	} else {
		spa_node_set_io(t->node, SPA_IO_Clock, &t->position.clock,
				sizeof(t->position.clock));
		spa_node_set_callbacks(t->node, &node_callbacks, t);
	}

	if ((res = spa_node_send_command(t->node, &start)) < 0)
		return fprintf(stderr, "FAIL: Start: %s\n", spa_strerror(res)), 1;
	if (t->opt.follow && (res = invoke_data_loop(t, do_add_driver)) < 0)
		return fprintf(stderr, "FAIL: driver timer: %s\n", spa_strerror(res)), 1;
	if (t->opt.volume >= 0.0f && (res = set_volume(t)) < 0)
		return fprintf(stderr, "FAIL: volume: %s\n", spa_strerror(res)), 1;

	uint64_t limit_ms = (uint64_t)t->opt.cycles * t->opt.quantum * 1000 / t->opt.rate * 3 + 3000;
	for (uint64_t ms = 0; atomic_load(&t->cycles) < t->opt.cycles; ms += 10) {
		if (ms > limit_ms)
			return fprintf(stderr, "FAIL: only %u of %u cycles in %" PRIu64 " ms\n",
				       atomic_load(&t->cycles), t->opt.cycles, limit_ms), 1;
		if (atomic_load(&t->node_error))
			return fail("the node reported an error");
		usleep(10000);
	}
	if (t->opt.stall_marker)
		return wait_for_error(t, &listener);
	if (t->opt.follow)
		invoke_data_loop(t, do_remove_driver);
	if ((res = spa_node_send_command(t->node, &pause)) < 0)
		return fprintf(stderr, "FAIL: Pause: %s\n", spa_strerror(res)), 1;
	spa_hook_remove(&listener);
	printf("%u cycles of %u frames, rate_diff %f\n", atomic_load(&t->cycles),
	       t->opt.quantum, t->position.clock.rate_diff);
	if (atomic_load(&t->node_error))
		return fail("the node reported an error");
	if (t->opt.follow) {
		/* The same clock on both sides: matching is on and close to 1. */
		printf("follower: rate_match %f flags 0x%x\n", t->rate_match.rate,
		       t->rate_match.flags);
		if (!(t->rate_match.flags & SPA_IO_RATE_MATCH_FLAG_ACTIVE) ||
		    t->rate_match.rate < 0.99 || t->rate_match.rate > 1.01)
			return fail("follower: rate matching is off or out of range");
	}
	if (t->opt.capture) {
		if (!t->capture_aligned || t->frame < (uint64_t)t->opt.quantum * t->opt.cycles / 2)
			return fprintf(stderr, "FAIL: only %" PRIu64 " signal frames captured\n",
				       t->frame), 1;
		if (atomic_load(&t->mismatches))
			return fprintf(stderr, "FAIL: %u samples differ from the test signal\n",
				       atomic_load(&t->mismatches)), 1;
		printf("captured %" PRIu64 " frames of the test signal bit-exact\n", t->frame);
	}
	return 0;
}

/* The data chunk of a RIFF/WAVE file, read whole. */
static uint8_t *wav_data(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *all = NULL, *data = NULL;
	long len;
	size_t at = 12;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 12 && fseek(f, 0, SEEK_SET) == 0 &&
	    (all = malloc((size_t)len)) && fread(all, 1, (size_t)len, f) == (size_t)len &&
	    memcmp(all, "RIFF", 4) == 0 && memcmp(all + 8, "WAVE", 4) == 0) {
		while (at + 8 <= (size_t)len) {
			uint32_t n;
			memcpy(&n, all + at + 4, 4);
			if (memcmp(all + at, "data", 4) == 0) {
				/* The header may lag the data: take what is there. */
				*size = SPA_MIN((size_t)n, (size_t)len - at - 8);
				data = malloc(*size ? *size : 1);
				if (data)
					memcpy(data, all + at + 8, *size);
				break;
			}
			at += 8 + n + (n & 1);
		}
	}
	free(all);
	fclose(f);
	return data;
}

/* Everything we played is in the WAV, bit-exact, after its leading silence. */
static int check_wav(struct test *t)
{
	size_t size = 0, first = 0, want = (size_t)t->frame * t->frame_bytes;
	uint8_t *data;
	int res = 0;

	if (t->opt.capture || t->opt.wav == NULL)
		return 0;
	if ((data = wav_data(t->opt.wav, &size)) == NULL)
		return fprintf(stderr, "FAIL: %s: no WAV data\n", t->opt.wav), 1;
	while (first < size && data[first] == 0)
		first++;
	first -= first % t->frame_bytes;
	if (size - first < want) {
		res = fprintf(stderr, "FAIL: %s holds %zu frames after its silence, we "
			      "played %" PRIu64 "\n", t->opt.wav,
			      (size - first) / t->frame_bytes, t->frame) > 0;
	} else if (memcmp(data + first, t->played, want) != 0) {
		size_t i = 0;
		while (data[first + i] == t->played[i])
			i++;
		res = fprintf(stderr, "FAIL: %s differs from what we played at frame %zu\n",
			      t->opt.wav, i / t->frame_bytes) > 0;
	} else {
		printf("backend WAV: %" PRIu64 " frames bit-exact after %zu frames of "
		       "silence\n", t->frame, first / t->frame_bytes);
	}
	free(data);
	return res;
}

static int parse_options(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "expect-rates", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "rate", required_argument, NULL, 'r' },
		{ "channels", required_argument, NULL, 'c' },
		{ "quantum", required_argument, NULL, 'q' },
		{ "cycles", required_argument, NULL, 'n' },
		{ "volume", required_argument, NULL, 'v' },
		{ "wav", required_argument, NULL, 'w' },
		{ "stall-marker", required_argument, NULL, 'm' },
		{ "follow", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .format = "s16_le", .rate = 48000, .channels = 2,
			       .quantum = 256, .cycles = 100, .volume = -1.0f };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o->expect_rates = optarg; break;
		case 'f': o->format = optarg; break;
		case 'r': o->rate = (uint32_t)atoi(optarg); break;
		case 'c': o->channels = (uint32_t)atoi(optarg); break;
		case 'q': o->quantum = (uint32_t)atoi(optarg); break;
		case 'n': o->cycles = (uint32_t)atoi(optarg); break;
		case 'v': o->volume = (float)atof(optarg); break;
		case 'w': o->wav = optarg; break;
		case 'm': o->stall_marker = optarg; break;
		case 'F': o->follow = true; break;
		default: return 2;
		}
	}
	if (argc - optind != 3 || o->channels < 1 || o->channels > 2 || o->quantum < 16 ||
	    o->rate == 0 || o->cycles == 0) {
		fprintf(stderr, "usage: spa-node PLUGIN CARD-PATH sink|source [options]\n");
		return 2;
	}
	o->plugin = argv[optind];
	o->card_path = argv[optind + 1];
	o->capture = strcmp(argv[optind + 2], "source") == 0;
	return 0;
}

int main(int argc, char **argv)
{
	struct test *t = calloc(1, sizeof(*t));
	struct spa_support support[5];
	struct xensnd_transport *tr = NULL;
	int res;

	if ((res = parse_options(&t->opt, argc, argv)) != 0)
		return res;
	t->xf = xensnd_format_from_name(t->opt.format);
	if (t->xf == NULL || !xensnd_format_is_supported(t->xf))
		return fprintf(stderr, "unknown --format %s\n", t->opt.format), 2;
	t->frame_bytes = xensnd_frame_bytes(t->xf->sndif, t->opt.channels);
	t->played = calloc((size_t)t->opt.cycles * t->opt.quantum, t->frame_bytes);

	pw_init(&argc, &argv);
	t->main_loop = pw_loop_new(NULL);
	t->data_loop = pw_data_loop_new(NULL);
	pw_data_loop_start(t->data_loop);
	support[0] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_Log, pw_log_get());
	support[1] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_Loop, t->main_loop->loop);
	support[2] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_System, t->main_loop->system);
	support[3] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_DataLoop,
				      pw_data_loop_get_loop(t->data_loop)->loop);
	support[4] = SPA_SUPPORT_INIT(SPA_TYPE_INTERFACE_DataSystem,
				      pw_data_loop_get_loop(t->data_loop)->system);

	if ((res = card_connect(&t->card, t->opt.card_path, pw_log_get())) != 0)
		goto out;
	/* The first stream of the requested direction. */
	for (uint32_t i = 0; i < t->card.n_transports && tr == NULL; i++)
		if (t->card.transports[i].stream->capture == t->opt.capture)
			tr = &t->card.transports[i];
	if (tr == NULL) {
		res = fail("the card has no stream of that direction");
		goto out;
	}
	if ((res = load_node(t, tr, support, SPA_N_ELEMENTS(support))) != 0)
		goto out;
	res = run(t);
	if (res == 0)
		res = check_wav(t);
out:
	if (t->node)
		spa_handle_clear(t->handle);
	card_close(&t->card);
	pw_data_loop_stop(t->data_loop);
	pw_data_loop_destroy(t->data_loop);
	pw_loop_destroy(t->main_loop);
	for (int i = 0; i < N_BUFFERS; i++)
		free(t->mem[i]);
	free(t->handle);
	free(t->played);
	if (t->dl)
		dlclose(t->dl);
	free(t);
	pw_deinit();
	if (res == 0)
		printf("PASS\n");
	return res;
}
