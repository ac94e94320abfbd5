/* SPDX-License-Identifier: MIT */
/*
 * The sndif PCM node: what sink and source share (see pcm.h).
 *
 * Order of this file: helpers → props → requests to the backend →
 * hardware ranges and formats → the stream (OPEN/CLOSE) → data loop
 * (channel fd, timer, DLL) → node interface → port interface →
 * transport events → init/clear.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <spa/node/keys.h>
#include <spa/param/audio/raw.h>
#include <spa/param/param.h>
#include <spa/pod/filter.h>
#include <spa/pod/parser.h>
#include <spa/utils/keys.h>
#include <spa/monitor/device.h>	/* SPA_KEY_DEVICE_API */
#include <spa/support/plugin.h>
#include <spa/utils/names.h>
#include <spa/utils/result.h>
#include <spa/utils/string.h>

#include <xen/errno.h>

#include <xensnd/ring.h>

#include "pcm.h"

static struct spa_log_topic log_topic = SPA_LOG_TOPIC(0, "spa.xensnd.pcm");
#undef SPA_LOG_TOPIC_DEFAULT
#define SPA_LOG_TOPIC_DEFAULT &log_topic

#define DEFAULT_QUANTUM_LIMIT	8192u
#define BW_PERIOD		(3 * SPA_NSEC_PER_SEC)
#define HEADROOM_HOLD_NS	(1 * SPA_NSEC_PER_SEC)	/* see raise_headroom */

/* The standard SPA layouts for 1..8 channels (ALSA's default maps). */
const uint32_t xensnd_channel_layouts[8][8] = {
	{ SPA_AUDIO_CHANNEL_MONO },
	{ SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR },
	{ SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_LFE },
	{ SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_RL,
	  SPA_AUDIO_CHANNEL_RR },
	{ SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_RL,
	  SPA_AUDIO_CHANNEL_RR, SPA_AUDIO_CHANNEL_FC },
	{ SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_RL,
	  SPA_AUDIO_CHANNEL_RR, SPA_AUDIO_CHANNEL_FC, SPA_AUDIO_CHANNEL_LFE },
	{ SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_RL,
	  SPA_AUDIO_CHANNEL_RR, SPA_AUDIO_CHANNEL_FC, SPA_AUDIO_CHANNEL_LFE,
	  SPA_AUDIO_CHANNEL_RC },
	{ SPA_AUDIO_CHANNEL_FL, SPA_AUDIO_CHANNEL_FR, SPA_AUDIO_CHANNEL_RL,
	  SPA_AUDIO_CHANNEL_RR, SPA_AUDIO_CHANNEL_FC, SPA_AUDIO_CHANNEL_LFE,
	  SPA_AUDIO_CHANNEL_SL, SPA_AUDIO_CHANNEL_SR },
};

/* sndif formats in the order we prefer them as the default. */
static const uint8_t preferred_formats[] = {
	XENSND_PCM_FORMAT_F32_LE, XENSND_PCM_FORMAT_S32_LE,
	XENSND_PCM_FORMAT_S24_LE, XENSND_PCM_FORMAT_S16_LE,
};

uint64_t xensnd_pcm_now(struct xensnd_pcm *this)
{
	struct timespec now;
	spa_system_clock_gettime(this->data_system, CLOCK_MONOTONIC, &now);
	return SPA_TIMESPEC_TO_NSEC(&now);
}

static const struct xensnd_pcm_params *stream_params(struct xensnd_pcm *this)
{
	return &this->transport->stream->params;
}

/* ------------------------------------------------------------------ props */

static void props_reset(struct xensnd_pcm_props *props)
{
	props->volume = 1.0f;
	props->mute = false;
	props->n_channels = 0;
	for (uint32_t i = 0; i < XENSND_PCM_MAX_CHANNELS; i++) {
		props->channel_volumes[i] = 1.0f;
		props->channel_map[i] = SPA_AUDIO_CHANNEL_UNKNOWN;
	}
	props->period_frames = 0;
	props->headroom = XENSND_PCM_DEFAULT_HEADROOM;
}

/* Linear gain to sndif volume: 0.001 dB steps, clamped. */
static int32_t gain_to_mdb(float gain)
{
	if (!(gain > 0.0f))
		return XENSND_PCM_MIN_VOLUME_MDB;
	double mdb = 20.0 * log10(gain) * 1000.0;
	if (mdb < XENSND_PCM_MIN_VOLUME_MDB)
		return XENSND_PCM_MIN_VOLUME_MDB;
	if (mdb > 0.0)
		return 0;	/* the backend attenuates only; gains > 1 are clamped */
	return (int32_t)lrint(mdb);
}

static float channel_gain(const struct xensnd_pcm *this, uint32_t ch)
{
	const struct xensnd_pcm_props *p = &this->props;
	float v = p->volume;
	if (p->n_channels > 0)
		v *= p->channel_volumes[SPA_MIN(ch, p->n_channels - 1)];
	return v;
}

/* ---------------------------------------------------------- node info */

static void emit_node_info(struct xensnd_pcm *this, bool full)
{
	uint64_t old = full ? this->info.change_mask : 0;

	if (full)
		this->info.change_mask = this->info_all;
	if (this->info.change_mask) {
		struct spa_dict_item items[6];
		uint32_t n = 0;

		items[n++] = SPA_DICT_ITEM_INIT(SPA_KEY_DEVICE_API, "xensnd");
		items[n++] = SPA_DICT_ITEM_INIT(SPA_KEY_MEDIA_CLASS, this->ops->media_class);
		items[n++] = SPA_DICT_ITEM_INIT(SPA_KEY_NODE_DRIVER, "true");
		items[n++] = SPA_DICT_ITEM_INIT(SPA_KEY_NODE_LATENCY, this->latency_str);
		items[n++] = SPA_DICT_ITEM_INIT(XENSND_KEY_VOLUME_MODE,
				this->backend_volume ? "backend" : "software");
		snprintf(this->period_str, sizeof(this->period_str), "%u",
			 this->props.period_frames);
		items[n++] = SPA_DICT_ITEM_INIT(XENSND_KEY_PERIOD_FRAMES, this->period_str);
		this->info.props = &SPA_DICT_INIT(items, n);

		if (this->info.change_mask & SPA_NODE_CHANGE_MASK_PARAMS) {
			for (uint32_t i = 0; i < this->info.n_params; i++) {
				if (this->params[i].user > 0) {
					this->params[i].flags ^= SPA_PARAM_INFO_SERIAL;
					this->params[i].user = 0;
				}
			}
		}
		spa_node_emit_info(&this->hooks, &this->info);
		this->info.change_mask = old;
	}
}

static void emit_port_info(struct xensnd_pcm *this, bool full)
{
	struct xensnd_pcm_port *port = &this->port;
	uint64_t old = full ? port->info.change_mask : 0;

	if (full)
		port->info.change_mask = port->info_all;
	if (port->info.change_mask) {
		if (port->info.change_mask & SPA_PORT_CHANGE_MASK_PARAMS) {
			for (uint32_t i = 0; i < port->info.n_params; i++) {
				if (port->params[i].user > 0) {
					port->params[i].flags ^= SPA_PARAM_INFO_SERIAL;
					port->params[i].user = 0;
				}
			}
		}
		spa_node_emit_port_info(&this->hooks, this->ops->port_direction, 0,
					&port->info);
		port->info.change_mask = old;
	}
}

static void node_param_changed(struct xensnd_pcm *this, uint32_t idx)
{
	this->info.change_mask |= SPA_NODE_CHANGE_MASK_PARAMS;
	this->params[idx].user++;
}

static void port_param_changed(struct xensnd_pcm *this, uint32_t idx)
{
	this->port.info.change_mask |= SPA_PORT_CHANGE_MASK_PARAMS;
	this->port.params[idx].user++;
}

/* -------------------------------------------------- errors (any thread) */

static int do_emit_error(struct spa_loop *loop, bool async, uint32_t seq,
			 const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;
	uint8_t buffer[64];
	struct spa_pod_builder b = SPA_POD_BUILDER_INIT(buffer, sizeof(buffer));
	struct spa_event *event;

	/* Built, not SPA_NODE_EVENT_INIT: 0.3.65's macro does not compile. */
	event = spa_pod_builder_add_object(&b, SPA_TYPE_EVENT_Node, SPA_NODE_EVENT_Error);
	this->error = true;
	spa_node_emit_event(&this->hooks, event);
	return 0;
}

/*
 * The backend failed us. Log once, stop the data path and raise the node
 * Error event on the main loop (PipeWire then shows the node in error).
 * Other cards have their own transports and keep playing.
 */
void xensnd_pcm_fail(struct xensnd_pcm *this, int res, const char *what)
{
	if (this->failed)
		return;
	this->failed = true;
	this->running = false;
	spa_log_error(this->log, "%p: %s: %s (%s); the stream stops until it is "
		      "restarted or the backend reconnects", this, this->name, what,
		      spa_strerror(res));
	spa_loop_invoke(this->main_loop, do_emit_error, 0, NULL, 0, false, this);
}

/* ------------------------------------------- requests from the main loop */

/*
 * Why the main thread hands its requests to the data loop and waits on an
 * eventfd: the request ring has a single user (ring.h), and the data loop
 * owns it because it posts READ/WRITE every cycle. So OPEN/CLOSE/QUERY and
 * volume are pushed by a blocking spa_loop_invoke (which only queues them,
 * it never waits for the backend), and the data loop's channel handler,
 * which consumes every response anyway, hands this one over through an
 * eventfd the main thread polls with a 1 s timeout. The data loop never
 * blocks; the main loop blocks at most 1 s, as ALSA's hw_params may.
 */
static int do_push_sync(struct spa_loop *loop, bool async, uint32_t seq,
			const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;
	struct xensnd_req req = *(const struct xensnd_req *)data;
	bool notify = false;
	int res;

	if (this->ring == NULL)
		return -ENOTCONN;
	/* Its answer is waited for: wake us, even while the ring is polled. */
	xensnd_front_ring_notify_next(this->ring);
	if ((res = xensnd_front_ring_push(this->ring, &req, &notify)) < 0)
		return res;
	this->sync.id = req.id;
	this->sync.waiting = true;
	if (notify)
		xensnd_front_channel_notify(&this->transport->channel);
	return 0;
}

static int do_cancel_sync(struct spa_loop *loop, bool async, uint32_t seq,
			  const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;
	this->sync.waiting = false;
	return 0;
}

static bool sync_signalled(struct xensnd_pcm *this, int timeout_ms)
{
	struct pollfd pfd = { .fd = this->sync_fd, .events = POLLIN };
	uint64_t count;
	int res;

	do {
		res = poll(&pfd, 1, timeout_ms);
	} while (res < 0 && errno == EINTR);
	if (res <= 0)
		return false;
	return spa_system_eventfd_read(this->main_system, this->sync_fd, &count) == 0;
}

/* Main loop: send req and wait up to 1 s for its response. 0 or -errno. */
static int request_sync(struct xensnd_pcm *this, struct xensnd_req *req,
			struct xensnd_resp *resp)
{
	const char *op = xensnd_op_name(req->operation);
	int res;

	if (!this->channel_added)
		return -ENOTCONN;
	/* Forget a signal left by a request that timed out before. */
	sync_signalled(this, 0);

	res = spa_loop_invoke(this->data_loop, do_push_sync, 0, req, sizeof(*req),
			      true, this);
	if (res < 0) {
		spa_log_error(this->log, "%p: %s: cannot send %s: %s", this,
			      this->name, op, spa_strerror(res));
		return res;
	}
	if (!sync_signalled(this, XENSND_PCM_REQUEST_TIMEOUT_NS / SPA_NSEC_PER_MSEC)) {
		spa_loop_invoke(this->data_loop, do_cancel_sync, 0, NULL, 0, true, this);
		/* It may have come in between. */
		if (!sync_signalled(this, 0)) {
			spa_log_error(this->log, "%p: %s: backend did not answer %s "
				      "within %d ms", this, this->name, op,
				      (int)(XENSND_PCM_REQUEST_TIMEOUT_NS / SPA_NSEC_PER_MSEC));
			return -ETIMEDOUT;
		}
	}
	*resp = this->sync.resp;
	if (resp->status != 0) {
		spa_log_debug(this->log, "%p: %s: %s answered %d", this, this->name,
			      op, resp->status);
		return resp->status < 0 ? resp->status : -EIO;
	}
	return 0;
}

/* ------------------------------------- hardware ranges (HW_PARAM_QUERY) */

static uint32_t min_frame_bytes(const struct xensnd_pcm_params *p)
{
	uint32_t best = UINT32_MAX;
	for (unsigned f = 0; f < XENSND_FORMAT_COUNT; f++) {
		uint32_t b;
		if (!(p->formats & (UINT64_C(1) << f)))
			continue;
		b = xensnd_frame_bytes(f, p->channels_min);
		if (b > 0)
			best = SPA_MIN(best, b);
	}
	return best == UINT32_MAX ? 0 : best;
}

static bool config_has_rate_in(const struct xensnd_pcm_params *p, uint32_t lo, uint32_t hi)
{
	for (uint32_t i = 0; i < p->n_rates; i++)
		if (p->rates[i] >= lo && p->rates[i] <= hi)
			return true;
	return false;
}

/*
 * Check the backend's answer against what we asked (our configuration).
 * Never trusted blindly: an empty, inverted or disjoint range is logged
 * and ignored (we fall back to the configuration); a range wider than the
 * configuration is clamped to it. Returns whether anything is usable.
 */
static bool hw_ranges_from_answer(struct xensnd_pcm *this,
				  const struct xensnd_query_hw_param *a,
				  struct xensnd_pcm_hw_ranges *out)
{
	const struct xensnd_pcm_params *p = stream_params(this);
	uint32_t max_frames = p->buffer_size / SPA_MAX(min_frame_bytes(p), 1u);

	spa_zero(*out);
	out->formats = a->formats & p->formats;
	if (out->formats == 0) {
		spa_log_warn(this->log, "%p: %s: backend offers no configured format "
			     "(mask 0x%" PRIx64 "): ignoring its answer", this,
			     this->name, a->formats);
		return false;
	}
	if (a->rates.min > a->rates.max ||
	    !config_has_rate_in(p, a->rates.min, a->rates.max)) {
		spa_log_warn(this->log, "%p: %s: backend rate range %u..%u holds no "
			     "configured rate: ignoring its answer", this, this->name,
			     a->rates.min, a->rates.max);
		return false;
	}
	out->rate_min = SPA_MAX(a->rates.min, p->rates[0]);
	out->rate_max = SPA_MIN(a->rates.max, p->rates[p->n_rates - 1]);

	if (a->channels.min > a->channels.max || a->channels.max < p->channels_min ||
	    a->channels.min > p->channels_max) {
		spa_log_warn(this->log, "%p: %s: backend channel range %u..%u is "
			     "outside %u..%u: ignoring its answer", this, this->name,
			     a->channels.min, a->channels.max, p->channels_min,
			     p->channels_max);
		return false;
	}
	out->channels_min = SPA_MAX(a->channels.min, p->channels_min);
	out->channels_max = SPA_MIN(a->channels.max, p->channels_max);

	/* Buffer and period ranges only bound what we pick at OPEN; a
	 * nonsensical one is dropped on its own. */
	if (a->buffer.min > 0 && a->buffer.min <= a->buffer.max &&
	    a->buffer.min <= max_frames) {
		out->buffer_min = a->buffer.min;
		out->buffer_max = SPA_MIN(a->buffer.max, max_frames);
	} else if (a->buffer.min != 0 || a->buffer.max != 0) {
		spa_log_warn(this->log, "%p: %s: ignoring backend buffer range %u..%u",
			     this, this->name, a->buffer.min, a->buffer.max);
	}
	if (a->period.min > 0 && a->period.min <= a->period.max &&
	    a->period.min <= max_frames / XENSND_PCM_MIN_PERIODS) {
		out->period_min = a->period.min;
		out->period_max = a->period.max;
	} else if (a->period.min != 0 || a->period.max != 0) {
		spa_log_warn(this->log, "%p: %s: ignoring backend period range %u..%u",
			     this, this->name, a->period.min, a->period.max);
	}
	out->valid = true;
	return true;
}

/* Main loop, when connected: narrow our configuration by the backend's. */
static void query_hw_ranges(struct xensnd_pcm *this)
{
	const struct xensnd_pcm_params *p = stream_params(this);
	struct xensnd_query_hw_param wanted;
	struct xensnd_req req;
	struct xensnd_resp resp;
	struct xensnd_pcm_hw_ranges ranges;
	int res;

	spa_zero(wanted);
	wanted.formats = p->formats;
	wanted.rates.min = p->n_rates ? p->rates[0] : 0;
	wanted.rates.max = p->n_rates ? p->rates[p->n_rates - 1] : 0;
	wanted.channels.min = p->channels_min;
	wanted.channels.max = p->channels_max;
	wanted.buffer.min = 1;
	wanted.buffer.max = p->buffer_size / SPA_MAX(min_frame_bytes(p), 1u);
	wanted.period.min = 1;
	wanted.period.max = wanted.buffer.max / XENSND_PCM_MIN_PERIODS;

	spa_zero(req);
	spa_zero(ranges);
	xensnd_req_hw_param_query(&req, &wanted);
	if ((res = request_sync(this, &req, &resp)) < 0)
		spa_log_info(this->log, "%p: %s: HW_PARAM_QUERY failed (%s): using "
			     "the XenStore configuration", this, this->name,
			     spa_strerror(res));
	else
		hw_ranges_from_answer(this, &resp.resp.hw_param, &ranges);
	/*
	 * Only a real change is announced: an adapter drops its negotiated
	 * format on new EnumFormat, which would leave a running node without
	 * one when the same backend merely reconnects.
	 */
	if (memcmp(&ranges, &this->hw, sizeof(ranges)) == 0)
		return;
	this->hw = ranges;
	if (ranges.valid)
		spa_log_info(this->log, "%p: %s: backend narrows to formats 0x%" PRIx64
			     " rates %u..%u channels %u..%u buffer %u..%u period %u..%u",
			     this, this->name, ranges.formats, ranges.rate_min,
			     ranges.rate_max, ranges.channels_min, ranges.channels_max,
			     ranges.buffer_min, ranges.buffer_max, ranges.period_min,
			     ranges.period_max);
	port_param_changed(this, PORT_EnumFormat);
	emit_port_info(this, false);
}

static uint64_t allowed_formats(struct xensnd_pcm *this)
{
	uint64_t mask = stream_params(this)->formats;
	uint64_t out = 0;

	if (this->hw.valid)
		mask &= this->hw.formats;
	for (unsigned f = 0; f < XENSND_FORMAT_COUNT; f++)
		if ((mask & (UINT64_C(1) << f)) &&
		    xensnd_format_is_supported(xensnd_format_from_sndif(f)))
			out |= UINT64_C(1) << f;
	return out;
}

static bool rate_allowed(struct xensnd_pcm *this, uint32_t rate)
{
	const struct xensnd_pcm_params *p = stream_params(this);
	if (this->hw.valid && (rate < this->hw.rate_min || rate > this->hw.rate_max))
		return false;
	for (uint32_t i = 0; i < p->n_rates; i++)
		if (p->rates[i] == rate)
			return true;
	return false;
}

static void channel_range(struct xensnd_pcm *this, uint32_t *min, uint32_t *max)
{
	const struct xensnd_pcm_params *p = stream_params(this);
	*min = this->hw.valid ? this->hw.channels_min : p->channels_min;
	*max = this->hw.valid ? this->hw.channels_max : p->channels_max;
	*max = SPA_MIN(*max, (uint32_t)XENSND_PCM_MAX_CHANNELS);
}

/*
 * ONE EnumFormat object, with the stream's widest channel count (as an ACP
 * profile has one), not one per count: PulseAudio clients see a sink's
 * channel map through pipewire-pulse, which takes it from whichever
 * EnumFormat it parsed last, so several counts made the sink's channel
 * count change as its params arrived, and pavucontrol aborts on that
 * (DeviceWidget::setVolume asserts). A client that wants fewer channels
 * gets them mixed by the adapter; Format still accepts any count in range.
 */
static int build_enum_format(struct xensnd_pcm *this, uint32_t index,
			     struct spa_pod_builder *b, struct spa_pod **param)
{
	const struct xensnd_pcm_params *p = stream_params(this);
	uint64_t formats = allowed_formats(this);
	uint32_t ch_min, ch_max, channels, default_rate = 0, default_fmt = 0;
	struct spa_pod_frame f[2];

	channel_range(this, &ch_min, &ch_max);
	if (formats == 0 || ch_min > ch_max || index > 0)
		return 0;
	channels = ch_max;

	for (uint32_t i = 0; i < p->n_rates; i++) {
		if (!rate_allowed(this, p->rates[i]))
			continue;
		if (default_rate == 0 || p->rates[i] == 48000)
			default_rate = p->rates[i];
	}
	if (default_rate == 0)
		return 0;
	for (size_t i = SPA_N_ELEMENTS(preferred_formats); i > 0; i--)
		if (formats & (UINT64_C(1) << preferred_formats[i - 1]))
			default_fmt = preferred_formats[i - 1];
	if (default_fmt == 0)
		default_fmt = (uint32_t)__builtin_ctzll(formats);

	spa_pod_builder_push_object(b, &f[0], SPA_TYPE_OBJECT_Format, SPA_PARAM_EnumFormat);
	spa_pod_builder_add(b,
		SPA_FORMAT_mediaType, SPA_POD_Id(SPA_MEDIA_TYPE_audio),
		SPA_FORMAT_mediaSubtype, SPA_POD_Id(SPA_MEDIA_SUBTYPE_raw), 0);

	spa_pod_builder_prop(b, SPA_FORMAT_AUDIO_format, 0);
	spa_pod_builder_push_choice(b, &f[1], SPA_CHOICE_Enum, 0);
	spa_pod_builder_id(b, xensnd_format_from_sndif(default_fmt)->spa_format);
	for (unsigned fmt = 0; fmt < XENSND_FORMAT_COUNT; fmt++)
		if (formats & (UINT64_C(1) << fmt))
			spa_pod_builder_id(b, xensnd_format_from_sndif(fmt)->spa_format);
	spa_pod_builder_pop(b, &f[1]);

	spa_pod_builder_prop(b, SPA_FORMAT_AUDIO_rate, 0);
	spa_pod_builder_push_choice(b, &f[1], SPA_CHOICE_Enum, 0);
	spa_pod_builder_int(b, (int32_t)default_rate);
	for (uint32_t i = 0; i < p->n_rates; i++)
		if (rate_allowed(this, p->rates[i]))
			spa_pod_builder_int(b, (int32_t)p->rates[i]);
	spa_pod_builder_pop(b, &f[1]);

	spa_pod_builder_add(b, SPA_FORMAT_AUDIO_channels, SPA_POD_Int(channels), 0);
	if (channels <= SPA_N_ELEMENTS(xensnd_channel_layouts)) {
		spa_pod_builder_prop(b, SPA_FORMAT_AUDIO_position, 0);
		spa_pod_builder_array(b, sizeof(uint32_t), SPA_TYPE_Id, channels,
				      xensnd_channel_layouts[channels - 1]);
	}
	*param = spa_pod_builder_pop(b, &f[0]);
	return 1;
}

/* ----------------------------------------- the stream (main loop only) */

static uint32_t graph_quantum(struct xensnd_pcm *this)
{
	if (this->position && this->position->clock.duration > 0)
		return (uint32_t)SPA_MIN(this->position->clock.duration,
					 (uint64_t)this->quantum_limit);
	return XENSND_PCM_DEFAULT_QUANTUM;
}

/* The graph's rate: a stream at another one is resampled by the adapter. */
static uint32_t graph_rate(struct xensnd_pcm *this)
{
	if (this->position && this->position->clock.rate.denom > 0)
		return this->position->clock.rate.denom;
	return this->port.format.rate;
}

/*
 * One graph cycle in the stream's frames (ALSA's threshold): a 44.1 kHz
 * stream in a 48 kHz graph plays 941 frames of a 1024-frame quantum. The
 * stream's timing (target fill, period, DLL) counts these; the graph's
 * clock counts the quantum.
 */
uint32_t xensnd_pcm_cycle_frames(struct xensnd_pcm *this)
{
	uint32_t q = graph_quantum(this), rate = this->port.format.rate;
	uint32_t grate = graph_rate(this);

	if (rate == 0 || grate == 0 || rate == grate)
		return q;
	return (uint32_t)SPA_SCALE32_UP(q, rate, grate);
}

/* The target fill without its headroom. */
static int64_t target_cycles(struct xensnd_pcm *this)
{
	uint32_t q = xensnd_pcm_cycle_frames(this);
	/* A source waits for two captured periods: the older one's READ is
	 * surely answered by then. */
	uint32_t cycles = this->ops->port_direction == SPA_DIRECTION_INPUT ? 1 : 2;
	return (int64_t)q * cycles;
}

int64_t xensnd_pcm_target(struct xensnd_pcm *this)
{
	return target_cycles(this) + this->props.headroom + this->headroom_boost;
}

/*
 * Period: api.xensnd.period-frames or the graph quantum, inside the
 * backend's period range. Ring: room for the target fill with its largest
 * headroom (raise_headroom) plus three more periods or quanta, whichever
 * is longer (a cycle writes a whole quantum: a ring sized by a shorter
 * period overflowed and dropped it), and never less than
 * XENSND_PCM_PERIODS periods or XENSND_PCM_MIN_RING_FRAMES; fewer if the
 * configured buffer-size or the backend's buffer range says so, and the
 * headroom then grows less. Then a small tail for volume/mute.
 */
static int choose_geometry(struct xensnd_pcm *this, uint32_t frame_bytes)
{
	const struct xensnd_pcm_params *p = stream_params(this);
	uint32_t period = this->props.period_frames ? this->props.period_frames
						   : xensnd_pcm_cycle_frames(this);
	/* The tail holds one int32 per channel, in whole frames: the backend
	 * wants buffer_sz to be whole frames. */
	uint32_t tail_frames = (this->port.format.channels * (uint32_t)sizeof(int32_t) +
				frame_bytes - 1) / frame_bytes;
	uint32_t tail = tail_frames * frame_bytes;
	uint32_t max_frames, periods, step;
	uint64_t want, grown, room;

	if (this->hw.period_min)
		period = SPA_CLAMP(period, this->hw.period_min, this->hw.period_max);
	step = SPA_MAX(period, xensnd_pcm_cycle_frames(this));
	grown = XENSND_PCM_HEADROOM_GROWTH *
		(uint64_t)SPA_MAX(this->props.headroom, xensnd_pcm_cycle_frames(this));
	want = SPA_MAX((uint64_t)target_cycles(this) + grown + 3ull * step,
		       (uint64_t)XENSND_PCM_MIN_RING_FRAMES);
	periods = (uint32_t)SPA_MAX((want + period - 1) / period,
				    (uint64_t)XENSND_PCM_PERIODS);
	if (p->buffer_size <= tail)
		return -ENOSPC;
	max_frames = (p->buffer_size - tail) / frame_bytes;
	if (this->hw.buffer_max)
		max_frames = SPA_MIN(max_frames, this->hw.buffer_max);
	while (periods > XENSND_PCM_MIN_PERIODS && (uint64_t)period * periods > max_frames)
		periods--;
	if ((uint64_t)period * periods > max_frames)
		period = max_frames / periods;
	if (period == 0 || (this->hw.buffer_min && period * periods < this->hw.buffer_min)) {
		spa_log_error(this->log, "%p: %s: buffer-size %u cannot hold %u periods "
			      "of %u-octet frames", this, this->name, p->buffer_size,
			      periods, frame_bytes);
		return -ENOSPC;
	}
	this->period_frames = period;
	this->opened_cycle = xensnd_pcm_cycle_frames(this);
	this->n_periods = periods;
	this->ring_frames = period * periods;
	room = (uint64_t)this->ring_frames - SPA_MIN((uint64_t)target_cycles(this) + 3ull * step,
						     (uint64_t)this->ring_frames);
	this->headroom_max = (uint32_t)SPA_MAX(SPA_MIN(grown, room),
					       (uint64_t)this->props.headroom);
	this->ring_bytes = this->ring_frames * frame_bytes;
	this->volume_offset = this->ring_bytes;
	this->buffer_bytes = this->ring_bytes + tail;
	return 0;
}

/*
 * What sits between the graph and the backend's clock: the fill the DLL
 * keeps (the target). A sink: the first frame of a cycle is played once
 * the target frames queued before it are (the cycle's own frames come
 * after it, they add nothing to its latency; tests/bench/latency.sh
 * measures this to within a few tenths of a ms). A source: the target,
 * the age of the oldest frame it hands out.
 */
static void report_latency(struct xensnd_pcm *this, uint32_t frames)
{
	struct xensnd_pcm_port *port = &this->port;
	enum spa_direction d = this->ops->port_direction;
	struct spa_latency_info info = SPA_LATENCY_INFO(d);

	info.min_rate = info.max_rate = frames;
	spa_process_latency_info_add(&this->process_latency, &info);
	port->latency[d] = info;
	port_param_changed(this, PORT_Latency);
}

/* Main loop, while the data path is stopped (it changes the target). */
static void update_latency(struct xensnd_pcm *this)
{
	report_latency(this, this->stream_open ? (uint32_t)xensnd_pcm_target(this) : 0);
}

static int send_rw_payload(struct xensnd_pcm *this, uint8_t op, uint32_t length)
{
	struct xensnd_req req;
	struct xensnd_resp resp;

	spa_zero(req);
	xensnd_req_rw(&req, op, this->volume_offset, length);
	return request_sync(this, &req, &resp);
}

/*
 * Volume and mute to the backend, through the tail of the buffer. If the
 * backend refuses SET_VOLUME (the reference backend answers -EINVAL) we
 * apply volume in the copy loop instead, and say so in api.xensnd.volume.
 */
static void apply_volume(struct xensnd_pcm *this)
{
	uint32_t channels = this->port.format.channels;
	int32_t mdb[XENSND_PCM_MAX_CHANNELS];
	bool was = this->backend_volume;
	int res;

	if (!this->stream_open)
		return;
	for (uint32_t i = 0; i < channels; i++)
		mdb[i] = gain_to_mdb(channel_gain(this, i));
	memcpy(this->buffer.data + this->volume_offset, mdb, channels * sizeof(int32_t));
	res = send_rw_payload(this, XENSND_OP_SET_VOLUME, channels * sizeof(int32_t));
	if (res == 0) {
		memset(this->buffer.data + this->volume_offset, 1, channels);
		res = send_rw_payload(this, this->props.mute ? XENSND_OP_MUTE
							     : XENSND_OP_UNMUTE, channels);
	}
	this->backend_volume = res == 0;
	/* The device tells the adapter's converter whether to apply it. */
	xensnd_transport_report_volume(this->transport, this->backend_volume);
	if (was != this->backend_volume || res != 0) {
		spa_log_info(this->log, "%p: %s: volume applied by the %s%s%s", this,
			     this->name, this->backend_volume ? "backend" : "node (software)",
			     res ? ": backend said " : "", res ? spa_strerror(res) : "");
		this->info.change_mask |= SPA_NODE_CHANGE_MASK_PROPS;
		emit_node_info(this, false);
	}
}

static int do_stream_stop(struct spa_loop *loop, bool async, uint32_t seq,
			  const void *data, size_t size, void *user_data);
static int do_stream_start(struct spa_loop *loop, bool async, uint32_t seq,
			   const void *data, size_t size, void *user_data);

static int do_stream_pause(struct spa_loop *loop, bool async, uint32_t seq,
			   const void *data, size_t size, void *user_data);

static int do_get_undrained(struct spa_loop *loop, bool async, uint32_t seq,
			    const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;
	uint64_t left;

	if (!this->tracking || this->ring == NULL)
		return 0;
	left = this->frames_done - SPA_MIN(this->backend_pos, this->frames_done);
	return (int)SPA_MIN(left, (uint64_t)INT32_MAX);
}

/*
 * A sink that stops lets the backend play what it already has (pw-play's
 * last quantum must reach the speaker), bounded by the ring's duration:
 * CLOSE would drop it. The backend reports the position when its queue
 * runs dry, so this ends as soon as the last frame is played.
 */
static void drain_playback(struct xensnd_pcm *this)
{
	uint64_t limit_ms = (uint64_t)this->ring_frames * 1000 / SPA_MAX(this->rate, 1u) + 200;
	struct timespec tick = { .tv_nsec = 2 * SPA_NSEC_PER_MSEC };
	int left = 0;

	for (uint64_t waited = 0; waited < limit_ms; waited += 2) {
		left = spa_loop_invoke(this->data_loop, do_get_undrained, 0, NULL, 0,
				       true, this);
		if (left <= 0)
			return;
		nanosleep(&tick, NULL);
	}
	spa_log_warn(this->log, "%p: %s: backend did not play its last %d frames "
		     "within %" PRIu64 " ms; closing anyway", this, this->name, left,
		     limit_ms);
}

/*
 * CLOSE and revoke the buffer: an idle node holds nothing in the backend.
 * The order matters: the data path stops first (do_stream_stop, on the data
 * loop: nothing touches the buffer after it returns), and the channel
 * source stays on the data loop, the only reader of responses, so CLOSE
 * gets its answer; the buffer is freed last.
 */
static void stream_close(struct xensnd_pcm *this, bool tell_backend)
{
	struct xensnd_req req;
	struct xensnd_resp resp;

	spa_loop_invoke(this->data_loop, do_stream_pause, 0, NULL, 0, true, this);
	if (this->stream_open && tell_backend && this->channel_added && !this->failed &&
	    this->ops->port_direction == SPA_DIRECTION_INPUT)
		drain_playback(this);
	spa_loop_invoke(this->data_loop, do_stream_stop, 0, NULL, 0, true, this);
	if (!this->stream_open)
		return;
	if (tell_backend && this->channel_added) {
		spa_zero(req);
		xensnd_req_close(&req);
		request_sync(this, &req, &resp);
	}
	xensnd_front_buffer_free(&this->buffer);
	this->stream_open = false;
	spa_log_info(this->log, "%p: %s: stream closed", this, this->name);
}

/* Allocate, zero and grant the buffer; OPEN; set volume; start the data path. */
static int stream_open(struct xensnd_pcm *this)
{
	struct xensnd_pcm_port *port = &this->port;
	struct xensnd_req req;
	struct xensnd_resp resp;
	int res;

	if (!port->have_format || !this->channel_added)
		return 0;
	if (this->stream_open)
		return 0;	/* already open and running */
	if ((res = choose_geometry(this, port->frame_bytes)) < 0)
		return res;
	res = xensnd_front_buffer_alloc(&this->buffer, this->transport->gntshr,
					this->transport->backend_domid,
					this->buffer_bytes);
	if (res < 0) {
		spa_log_error(this->log, "%p: %s: cannot grant a %u-octet buffer: %s",
			      this, this->name, this->ring_bytes, spa_strerror(res));
		return res;
	}
	spa_zero(req);
	xensnd_req_open(&req, port->format.rate, port->xformat->sndif,
			(uint8_t)port->format.channels, this->buffer.size,
			this->buffer.dir_refs[0], this->period_frames * port->frame_bytes);
	if ((res = request_sync(this, &req, &resp)) < 0) {
		spa_log_error(this->log, "%p: %s: OPEN %s %u Hz %u ch failed: %s", this,
			      this->name, port->xformat->name, port->format.rate,
			      port->format.channels, spa_strerror(res));
		xensnd_front_buffer_free(&this->buffer);
		return res;
	}
	this->stream_open = true;
	this->rate = port->format.rate;
	spa_log_info(this->log, "%p: %s: opened %s %u Hz %u ch, %u periods of %u frames",
		     this, this->name, port->xformat->name, this->rate,
		     port->format.channels, this->n_periods, this->period_frames);
	apply_volume(this);
	update_latency(this);
	emit_port_info(this, false);
	spa_loop_invoke(this->data_loop, do_stream_start, 0, NULL, 0, true, this);
	return 0;
}

/*
 * Main loop: a new period for a new quantum means CLOSE + OPEN. stream_close
 * stops the data path first (do_stream_stop: no WRITE/READ, no timer, no
 * ring_data) but keeps the channel source on the data loop, which reads the
 * drain's CUR_POS and CLOSE's response; stream_open starts the data path
 * only after the new buffer is granted and OPEN answered.
 */
static void reopen_for_quantum(struct xensnd_pcm *this)
{
	int res;

	if (!this->started || !this->stream_open)
		return;
	/* Asked before a Pause/Start that already reopened for it. */
	if (!xensnd_pcm_quantum_changed(this))
		return;
	spa_log_info(this->log, "%p: %s: quantum is now %u frames: reopening", this,
		     this->name, graph_quantum(this));
	stream_close(this, true);
	if ((res = stream_open(this)) < 0)
		xensnd_pcm_fail(this, res, "cannot reopen the stream for the new quantum");
}

/* Data loop: take its requests over. The new target, or -1 if unchanged. */
static int do_take_requests(struct spa_loop *loop, bool async, uint32_t seq,
			    const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;

	this->reopen_pending = false;
	if (!this->latency_pending)
		return -1;
	this->latency_pending = false;
	return (int)SPA_MIN(xensnd_pcm_target(this), (int64_t)INT32_MAX);
}

/* Main loop: the data loop signalled main_source. */
static void on_main_event(struct spa_source *source)
{
	struct xensnd_pcm *this = source->data;
	uint64_t count;
	int target;

	if (spa_system_eventfd_read(this->main_system, source->fd, &count) < 0)
		return;
	/* First let the data loop ask again: if the quantum went back and
	 * this reopen is skipped, a later change must still get one. */
	target = spa_loop_invoke(this->data_loop, do_take_requests, 0, NULL, 0, true, this);
	if (target >= 0 && this->stream_open) {
		report_latency(this, (uint32_t)target);
		emit_port_info(this, false);
	}
	reopen_for_quantum(this);
}

bool xensnd_pcm_quantum_changed(struct xensnd_pcm *this)
{
	return this->props.period_frames == 0 &&
		xensnd_pcm_cycle_frames(this) != this->opened_cycle;
}

/* Data loop: never reopen here (see pcm.h); wake the main loop, once. */
void xensnd_pcm_request_reopen(struct xensnd_pcm *this)
{
	if (this->reopen_pending || this->props.period_frames != 0)
		return;
	this->reopen_pending = true;
	spa_system_eventfd_write(this->data_system, this->main_source.fd, 1);
}

/* --------------------------------------------------------- data loop */

static int set_timeout(struct xensnd_pcm *this, uint64_t time)
{
	struct itimerspec ts = {
		.it_value = { .tv_sec = time / SPA_NSEC_PER_SEC,
			      .tv_nsec = time % SPA_NSEC_PER_SEC },
	};
	return spa_system_timerfd_settime(this->data_system, this->timer_source.fd,
					  SPA_FD_TIMER_ABSTIME, &ts, NULL);
}

static bool is_following(struct xensnd_pcm *this)
{
	return this->position && this->clock &&
		this->position->clock.id != this->clock->id;
}

static void set_timers(struct xensnd_pcm *this)
{
	this->following = is_following(this);
	if ((this->running || this->freerun) && !this->following) {
		this->next_time = xensnd_pcm_now(this);
		/* A source's first cycle waits until the target is captured,
		 * where the DLL should settle (no wind-up at the start). */
		if (this->running && this->dll.bw == 0.0 &&
		    this->ops->port_direction == SPA_DIRECTION_OUTPUT &&
		    this->rate > 0)
			this->next_time += (uint64_t)xensnd_pcm_target(this) *
					   SPA_NSEC_PER_SEC / this->rate;
		set_timeout(this, this->next_time);
	} else {
		set_timeout(this, 0);
	}
}

static void rw_reset(struct xensnd_pcm *this)
{
	this->rw_head = this->rw_count = 0;
}


struct xensnd_pcm_rw *xensnd_pcm_rw_oldest(struct xensnd_pcm *this)
{
	return this->rw_count ? &this->rw[this->rw_head] : NULL;
}

void xensnd_pcm_rw_pop(struct xensnd_pcm *this)
{
	if (this->rw_count == 0)
		return;
	this->rw_head = (this->rw_head + 1) % XENSND_RING_SIZE;
	this->rw_count--;
}

int xensnd_pcm_post_rw(struct xensnd_pcm *this, uint8_t op, uint32_t offset,
		       uint32_t frames)
{
	struct xensnd_req req;
	struct xensnd_pcm_rw *rw;
	bool notify = false;
	int res;

	if (this->rw_count >= XENSND_RING_SIZE || !xensnd_front_ring_can_push(this->ring))
		return -EBUSY;
	spa_zero(req);
	xensnd_req_rw(&req, op, offset, frames * this->port.frame_bytes);
	if ((res = xensnd_front_ring_push(this->ring, &req, &notify)) < 0)
		return res;
	rw = &this->rw[(this->rw_head + this->rw_count) % XENSND_RING_SIZE];
	rw->id = req.id;
	rw->done = rw->retry = false;
	rw->offset = offset;
	rw->frames = frames;
	rw->sent_ns = xensnd_pcm_now(this);
	this->rw_count++;
	if (notify)
		xensnd_front_channel_notify(&this->transport->channel);
	return 0;
}

void xensnd_pcm_retry_reads(struct xensnd_pcm *this)
{
	bool notify = false;

	for (uint32_t i = 0; i < this->rw_count; i++) {
		struct xensnd_pcm_rw *rw = &this->rw[(this->rw_head + i) % XENSND_RING_SIZE];
		struct xensnd_req req;
		bool nfy = false;

		if (!rw->retry)
			continue;
		if (!xensnd_front_ring_can_push(this->ring))
			break;	/* the next CUR_POS tries again */
		spa_zero(req);
		xensnd_req_rw(&req, XENSND_OP_READ, rw->offset,
			      rw->frames * this->port.frame_bytes);
		if (xensnd_front_ring_push(this->ring, &req, &nfy) < 0)
			break;
		notify |= nfy;
		rw->id = req.id;
		rw->retry = false;
		rw->sent_ns = xensnd_pcm_now(this);
	}
	if (notify)
		xensnd_front_channel_notify(&this->transport->channel);
}

void xensnd_pcm_trigger_start(struct xensnd_pcm *this)
{
	struct xensnd_req req;
	bool notify = false;

	if (this->triggered)
		return;
	spa_zero(req);
	xensnd_req_trigger(&req, XENSND_OP_TRIGGER_START);
	if (xensnd_front_ring_push(this->ring, &req, &notify) < 0)
		return;	/* ring full: try again next cycle */
	this->triggered = true;
	this->trigger_id = req.id;
	this->trigger_sent_ns = xensnd_pcm_now(this);
	if (notify)
		xensnd_front_channel_notify(&this->transport->channel);
}

/* A request older than the timeout means the backend stopped serving us. */
static void check_deadlines(struct xensnd_pcm *this, uint64_t now)
{
	if (this->trigger_sent_ns && now > this->trigger_sent_ns + XENSND_PCM_REQUEST_TIMEOUT_NS) {
		xensnd_pcm_fail(this, -ETIMEDOUT, "TRIGGER not answered");
		return;
	}
	for (uint32_t i = 0; i < this->rw_count; i++) {
		struct xensnd_pcm_rw *rw = &this->rw[(this->rw_head + i) % XENSND_RING_SIZE];
		if (!rw->done && now > rw->sent_ns + XENSND_PCM_REQUEST_TIMEOUT_NS) {
			xensnd_pcm_fail(this, -ETIMEDOUT, this->ops->port_direction ==
					SPA_DIRECTION_INPUT ? "WRITE not answered"
							    : "READ not answered");
			return;
		}
	}
	/* No CUR_POS at all: a sink goes on at the nominal rate, but a
	 * backend that never reports its clock is worth one line. */
	if (!this->have_pos && !this->warned_no_pos && this->started_ns != 0 &&
	    now > this->started_ns + XENSND_PCM_REQUEST_TIMEOUT_NS) {
		spa_log_warn(this->log, "%p: %s: backend sent no CUR_POS within %d ms "
			     "of the start; following the nominal rate", this, this->name,
			     (int)(XENSND_PCM_REQUEST_TIMEOUT_NS / SPA_NSEC_PER_MSEC));
		this->warned_no_pos = true;
	}
}

uint64_t xensnd_pcm_backend_frames(struct xensnd_pcm *this, uint64_t now)
{
	uint64_t frames = this->backend_pos;

	/* Between CUR_POS events the backend's clock runs at the nominal rate
	 * as far as we know; the DLL corrects the difference. A late event
	 * (delivery jitter) is bridged for two periods or 10 ms; beyond that
	 * a stalled backend shows as a growing delay. */
	if (this->have_pos && now > this->backend_pos_time && this->rate > 0) {
		uint64_t ahead = (now - this->backend_pos_time) * this->rate / SPA_NSEC_PER_SEC;
		frames += SPA_MIN(ahead, SPA_MAX(2ull * this->period_frames,
						 (uint64_t)this->rate / 100));
	}
	return frames;
}

/*
 * The graph ran late: a driving sink's timer found the backend left
 * with less than 3/4 of the headroom. (A graph one cycle late leaves it
 * the whole headroom, which happens when links come and go; the quarter
 * is for the DLL's wandering.) As PulseAudio raises its wake-up
 * watermark, the headroom doubles, up to headroom_max, until the stream
 * stops (an idle node suspends, so the next play starts low again). The
 * DLL then runs the graph a little faster until the fill reaches the new
 * target: nothing is dropped and no silence is inserted. Sinks only: a
 * source's fill falls when the backend is late, not the graph. Not in
 * the first second either: the first cycles make links and fault pages
 * in, which says nothing of the rest.
 */
static void raise_headroom(struct xensnd_pcm *this, uint64_t now, int64_t delay,
			   int64_t target)
{
	uint32_t cycle = xensnd_pcm_cycle_frames(this);
	uint32_t headroom = this->props.headroom + this->headroom_boost;
	bool low = delay < target - cycle - (int64_t)headroom / 4;
	uint32_t raised;

	/* Once per shortfall: the fill first climbs back above the new mark. */
	if (this->headroom_filling) {
		this->headroom_filling = low;
		return;
	}
	if (SPA_LIKELY(!low) || this->following || headroom >= this->headroom_max ||
	    now < this->started_ns + HEADROOM_HOLD_NS)
		return;
	raised = SPA_MIN(SPA_MAX(2 * headroom, headroom + cycle), this->headroom_max);
	this->headroom_boost = raised - this->props.headroom;
	spa_log_info(this->log, "%p: %s: the graph ran late, the backend had %" PRIi64
		     " of %" PRIi64 " frames left: headroom raised to %u frames "
		     "(%.1f ms) until the stream stops; api.xensnd.headroom sets "
		     "where it starts", this, this->name, delay, target, raised,
		     raised * 1e3 / SPA_MAX(this->rate, 1u));
	/* Reach the new target in about a second, then settle again. */
	spa_dll_set_bw(&this->dll, SPA_DLL_BW_MAX, cycle, this->rate);
	this->cycle_time = this->next_time;
	this->headroom_filling = true;
	this->latency_pending = true;
	spa_system_eventfd_write(this->data_system, this->main_source.fd, 1);
}

double xensnd_pcm_update_time(struct xensnd_pcm *this, uint64_t now,
			      int64_t delay, int64_t target)
{
	bool playback = this->ops->port_direction == SPA_DIRECTION_INPUT;
	uint32_t cycle = xensnd_pcm_cycle_frames(this);
	double err, corr;

	/* A driver checks request deadlines on its timer; a follower here. */
	if (this->following)
		check_deadlines(this, now);
	err = playback ? (double)(delay - target) : (double)(target - delay);
	if (SPA_UNLIKELY(this->dll.bw == 0.0)) {
		spa_dll_set_bw(&this->dll, SPA_DLL_BW_MAX, cycle, this->rate);
		this->next_time = now;
		this->cycle_time = now;
	} else if (playback) {
		raise_headroom(this, now, delay, target);
	}
	this->max_error = SPA_MAX(256.0, cycle / 2.0);
	err = SPA_CLAMP(err, -this->max_error, this->max_error);
	corr = spa_dll_update(&this->dll, err);

	if (SPA_UNLIKELY(this->next_time - this->cycle_time > BW_PERIOD)) {
		this->cycle_time = this->next_time;
		if (this->dll.bw > SPA_DLL_BW_MIN)
			spa_dll_set_bw(&this->dll, this->dll.bw / 2.0, cycle, this->rate);
		/* The first half minute at info level: how the clock settled. */
		if (this->dll_reports < 10) {
			this->dll_reports++;
			spa_log_info(this->log, "%p: %s: %s rate_diff %f bw %f delay %" PRIi64
				     " target %" PRIi64 " xruns %u", this, this->name,
				     this->following ? "follower" : "driver", corr,
				     this->dll.bw, delay, target, this->xruns);
		} else {
			spa_log_debug(this->log, "%p: %s: rate_diff %f delay %" PRIi64
				      " xruns %u", this, this->name, corr, delay, this->xruns);
		}
	}
	if (this->port.rate_match) {
		this->port.rate_match->rate = playback ? corr : 1.0 / corr;
		SPA_FLAG_UPDATE(this->port.rate_match->flags,
				SPA_IO_RATE_MATCH_FLAG_ACTIVE, this->following);
	}
	if (!this->following) {
		uint32_t duration = graph_quantum(this);

		this->next_time += (uint64_t)(cycle / corr * 1e9 / this->rate);
		if (this->clock) {
			this->clock->nsec = now;
			this->clock->position += duration;
			this->clock->duration = duration;
			this->clock->delay = playback ? -delay : delay;
			this->clock->rate_diff = corr;
			this->clock->next_nsec = this->next_time;
		}
	}
	return corr;
}

static void channel_mute(struct xensnd_pcm *this, bool mute)
{
	this->channel_muted = mute;
	this->channel_source.mask = mute ? 0 : SPA_IO_IN;
	spa_loop_update_source(this->data_loop, &this->channel_source);
}

/* A wake-up that brought nothing: a flood is muted until the next cycle. */
static void count_empty_wake(struct xensnd_pcm *this)
{
	if (++this->empty_wakes < XENSND_PCM_MAX_EMPTY_WAKES || this->channel_muted)
		return;
	if (!this->warned_flood)
		spa_log_warn(this->log, "%p: %s: the backend notifies with nothing to "
			     "read (%u times in a cycle): its channel is read once a "
			     "cycle while this lasts", this, this->name, this->empty_wakes);
	this->warned_flood = true;
	channel_mute(this, true);
}

static int read_channel(struct xensnd_pcm *this);

/*
 * A new graph cycle: the responses the backend was not asked to notify
 * are read now (the ring is polled while running), and a muted channel
 * is polled again (what is pending wakes the loop at once).
 */
static void channel_new_cycle(struct xensnd_pcm *this)
{
	if (this->ring == NULL)
		return;
	this->empty_wakes = 0;
	if (SPA_UNLIKELY(this->channel_muted))
		channel_mute(this, false);
	if (this->ring->polled)
		read_channel(this);
}

/*
 * The backend went away while the graph was running with us as its
 * driver: keep the graph's clock going at the nominal rate (the data is
 * dropped), so the streams linked to us do not stall until it is back.
 */
static void freerun_cycle(struct xensnd_pcm *this)
{
	uint32_t duration = graph_quantum(this);
	uint64_t now = this->next_time;

	this->next_time += (uint64_t)duration * SPA_NSEC_PER_SEC / graph_rate(this);
	if (this->clock) {
		this->clock->nsec = now;
		this->clock->position += duration;
		this->clock->duration = duration;
		this->clock->delay = 0;
		this->clock->rate_diff = 1.0;
		this->clock->next_nsec = this->next_time;
	}
	set_timeout(this, this->next_time);
	this->ops->cycle(this);
}

static void on_timeout(struct spa_source *source)
{
	struct xensnd_pcm *this = source->data;
	uint64_t expirations, now;
	int res;

	if (SPA_UNLIKELY((res = spa_system_timerfd_read(this->data_system,
				this->timer_source.fd, &expirations)) < 0)) {
		if (res != -EAGAIN)
			spa_log_error(this->log, "%p: timerfd error: %s", this,
				      spa_strerror(res));
		return;
	}
	if (this->following)
		return;
	if (this->freerun) {
		freerun_cycle(this);
		return;
	}
	if (!this->running)
		return;

	now = this->next_time;
	channel_new_cycle(this);
	check_deadlines(this, xensnd_pcm_now(this));
	if (!this->running)
		return;
	xensnd_pcm_update_time(this, now, this->ops->delay(this, now),
			       xensnd_pcm_target(this));
	set_timeout(this, this->next_time);
	this->ops->cycle(this);
}

static void handle_rw_response(struct xensnd_pcm *this, const struct xensnd_resp *r)
{
	for (uint32_t i = 0; i < this->rw_count; i++) {
		struct xensnd_pcm_rw *rw = &this->rw[(this->rw_head + i) % XENSND_RING_SIZE];
		if (rw->id != r->id || rw->done || rw->retry)
			continue;
		/* The backend has fewer frames than CUR_POS promised: it dropped
		 * some in an overrun we did not see yet (our data loop was not
		 * scheduled in time). Not an error: post it again on the next
		 * CUR_POS; the graph gets silence meanwhile. */
		if (r->operation == XENSND_OP_READ && r->status == -XEN_EAGAIN) {
			rw->retry = true;
			this->read_retries++;
			if (!this->read_refused)
				spa_log_info(this->log, "%p: %s: READ of %u frames refused "
					     "with EAGAIN (backend overrun): retried on the "
					     "next CUR_POS", this, this->name, rw->frames);
			this->read_refused = true;
			return;
		}
		if (r->status != 0) {
			xensnd_pcm_fail(this, r->status < 0 ? r->status : -EIO,
					r->operation == XENSND_OP_WRITE ? "WRITE refused"
									: "READ refused");
			return;
		}
		rw->done = true;
		this->read_refused = false;
		this->acked_frames += rw->frames;
		this->ops->rw_done(this, r->id);
		return;
	}
	/* A READ/WRITE from before a restart: nothing to do. */
}

static void handle_response(struct xensnd_pcm *this, const struct xensnd_resp *r)
{
	if (this->sync.waiting && r->id == this->sync.id) {
		this->sync.resp = *r;
		this->sync.waiting = false;
		spa_system_eventfd_write(this->data_system, this->sync_fd, 1);
		return;
	}
	switch (r->operation) {
	case XENSND_OP_WRITE:
	case XENSND_OP_READ:
		if (this->running)
			handle_rw_response(this, r);
		break;
	case XENSND_OP_TRIGGER:
		if (r->id == this->trigger_id)
			this->trigger_sent_ns = 0;
		if (r->status != 0 && this->running)
			xensnd_pcm_fail(this, r->status < 0 ? r->status : -EIO,
					"TRIGGER refused");
		break;
	default:
		spa_log_debug(this->log, "%p: %s: late %s response ignored", this,
			      this->name, xensnd_op_name(r->operation));
		break;
	}
}

/* CUR_POS: the backend's device clock, in octets since OPEN. */
static void handle_cur_pos(struct xensnd_pcm *this, uint64_t position, uint64_t now)
{
	bool playback = this->ops->port_direction == SPA_DIRECTION_INPUT;
	uint64_t frames;

	if (!this->tracking || this->port.frame_bytes == 0)
		return;
	frames = position / this->port.frame_bytes;
	if (frames < this->backend_pos) {
		spa_log_lev(this->log, this->warned_pos_back ? SPA_LOG_LEVEL_DEBUG
							      : SPA_LOG_LEVEL_WARN,
			    "%p: %s: backend position went back from %" PRIu64 " to %"
			    PRIu64 " frames; ignored", this, this->name,
			    this->backend_pos, frames);
		this->warned_pos_back = true;
		return;
	}
	/* A sink's backend cannot have played what we never wrote. */
	if (playback && frames > this->frames_done) {
		spa_log_lev(this->log, this->warned_pos_ahead ? SPA_LOG_LEVEL_DEBUG
							       : SPA_LOG_LEVEL_WARN,
			    "%p: %s: backend position %" PRIu64 " is beyond the %"
			    PRIu64 " frames written; clamped", this, this->name,
			    frames, this->frames_done);
		this->warned_pos_ahead = true;
		frames = this->frames_done;
	}
	this->backend_pos = frames;
	this->backend_pos_time = now;
	this->have_pos = true;
}

/*
 * Everything the backend sent: responses, then events. Both are read on
 * every wake-up: cheap, and no notification is lost when the two channels
 * fire together. Bounded by the ring sizes. The number read, or < 0 once
 * the node failed.
 */
static int read_channel(struct xensnd_pcm *this)
{
	struct xensnd_resp resps[XENSND_RING_SIZE];
	struct xensnd_evt evts[XENSND_IN_RING_LEN];
	uint64_t now;
	int n, n_resps;

	n = xensnd_front_ring_responses(this->ring, resps, SPA_N_ELEMENTS(resps));
	if (n < 0) {
		xensnd_pcm_fail(this, n, this->ring->error);
		return n;
	}
	for (int i = 0; i < n; i++)
		handle_response(this, &resps[i]);
	n_resps = n;

	n = xensnd_front_ring_events(this->ring, evts, SPA_N_ELEMENTS(evts));
	if (n < 0) {
		xensnd_pcm_fail(this, n, this->ring->error);
		return n;
	}
	now = xensnd_pcm_now(this);
	for (int i = 0; i < n; i++) {
		if (evts[i].type == XENSND_EVT_CUR_POS)
			handle_cur_pos(this, evts[i].op.cur_pos.position, now);
		else
			spa_log_debug(this->log, "%p: %s: unknown event type %u skipped",
				      this, this->name, evts[i].type);
	}
	if (n > 0 && this->running)
		this->ops->position(this);
	return n_resps + n;
}

static void on_channel_event(struct spa_source *source)
{
	struct xensnd_pcm *this = source->data;
	bool responses = false, events = false;
	int res;

	if (this->ring == NULL)
		return;
	if ((res = xensnd_front_channel_pending(&this->transport->channel,
						&responses, &events)) < 0) {
		xensnd_pcm_fail(this, res, "event channel error");
		return;
	}
	/* Only while the graph runs: its cycles unmute the channel again. */
	if (read_channel(this) == 0 && this->running)
		count_empty_wake(this);
}

static int do_add_channel(struct spa_loop *loop, bool async, uint32_t seq,
			  const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;

	this->ring = &this->transport->channel.ring;
	this->channel_source.func = on_channel_event;
	this->channel_source.data = this;
	this->channel_source.fd = xensnd_front_channel_fd(&this->transport->channel);
	this->channel_source.mask = SPA_IO_IN;
	this->channel_source.rmask = 0;
	this->channel_muted = false;
	this->empty_wakes = 0;
	return spa_loop_add_source(this->data_loop, &this->channel_source);
}

static int do_remove_channel(struct spa_loop *loop, bool async, uint32_t seq,
			     const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;

	this->freerun = this->running && this->rate > 0;
	this->running = false;
	this->tracking = false;
	this->ring_data = NULL;
	set_timers(this);
	if (this->channel_source.loop)
		spa_loop_remove_source(this->data_loop, &this->channel_source);
	this->ring = NULL;
	if (this->sync.waiting) {
		this->sync.waiting = false;
	}
	rw_reset(this);
	return 0;
}

static int do_stream_start(struct spa_loop *loop, bool async, uint32_t seq,
			   const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;

	if (!this->started || this->ring == NULL)
		return 0;
	this->frames_done = this->frames_posted = this->acked_frames = 0;
	this->backend_pos = this->backend_pos_time = 0;
	this->have_pos = false;
	this->warned_pos_back = this->warned_pos_ahead = this->warned_no_pos = false;
	this->started_ns = xensnd_pcm_now(this);
	this->write_offset = 0;
	this->triggered = false;
	this->trigger_sent_ns = 0;
	this->failed = false;
	rw_reset(this);
	spa_dll_init(&this->dll);
	this->dll_reports = 0;
	this->xruns = 0;
	this->freerun = false;
	this->reopen_pending = false;
	/* The buffer is granted and OPEN answered: the data path may use it. */
	this->ring_data = this->buffer.data;
	this->running = true;
	this->tracking = true;
	/* Each cycle reads the responses: the backend need not wake us. */
	xensnd_front_ring_poll(this->ring, true);
	this->ops->start(this);
	set_timers(this);
	return 0;
}

/* Not running: responses wake us again; read what came unannounced. */
static void stop_polling(struct xensnd_pcm *this)
{
	if (this->ring == NULL || !this->ring->polled)
		return;
	xensnd_front_ring_poll(this->ring, false);
	read_channel(this);
}

/* Stop the cycles; positions are still followed (for the drain). */
static int do_stream_pause(struct spa_loop *loop, bool async, uint32_t seq,
			   const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;

	this->running = false;
	this->freerun = false;
	set_timers(this);
	stop_polling(this);
	return 0;
}

static int do_stream_stop(struct spa_loop *loop, bool async, uint32_t seq,
			  const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;

	this->running = false;
	this->tracking = false;
	this->freerun = false;
	this->reopen_pending = false;
	this->latency_pending = false;
	this->headroom_filling = false;
	this->headroom_boost = 0;
	/* From here the main thread may free or reallocate the buffer. */
	this->ring_data = NULL;
	set_timers(this);
	rw_reset(this);
	stop_polling(this);
	return 0;
}

static int do_reassign_follower(struct spa_loop *loop, bool async, uint32_t seq,
				const void *data, size_t size, void *user_data)
{
	set_timers(user_data);
	return 0;
}

/* ----------------------------------------------------- node interface */

static int impl_node_enum_params(void *object, int seq, uint32_t id, uint32_t start,
				 uint32_t num, const struct spa_pod *filter)
{
	struct xensnd_pcm *this = object;
	struct spa_pod_builder b = { 0 };
	uint8_t buffer[4096];
	struct spa_pod *param;
	struct spa_result_node_params result;
	struct xensnd_pcm_props *p = &this->props;
	uint32_t count = 0;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(num != 0, -EINVAL);

	result.id = id;
	result.next = start;
next:
	result.index = result.next++;
	spa_pod_builder_init(&b, buffer, sizeof(buffer));

	switch (id) {
	case SPA_PARAM_PropInfo:
		switch (result.index) {
		case 0:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_PropInfo, id,
				SPA_PROP_INFO_id, SPA_POD_Id(SPA_PROP_volume),
				SPA_PROP_INFO_description, SPA_POD_String("Volume"),
				SPA_PROP_INFO_type, SPA_POD_CHOICE_RANGE_Float(p->volume, 0.0, 10.0));
			break;
		case 1:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_PropInfo, id,
				SPA_PROP_INFO_id, SPA_POD_Id(SPA_PROP_mute),
				SPA_PROP_INFO_description, SPA_POD_String("Mute"),
				SPA_PROP_INFO_type, SPA_POD_CHOICE_Bool(p->mute));
			break;
		case 2:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_PropInfo, id,
				SPA_PROP_INFO_id, SPA_POD_Id(SPA_PROP_channelVolumes),
				SPA_PROP_INFO_description, SPA_POD_String("Channel Volumes"),
				SPA_PROP_INFO_type, SPA_POD_CHOICE_RANGE_Float(1.0, 0.0, 10.0),
				SPA_PROP_INFO_container, SPA_POD_Id(SPA_TYPE_Array));
			break;
		case 3:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_PropInfo, id,
				SPA_PROP_INFO_id, SPA_POD_Id(SPA_PROP_channelMap),
				SPA_PROP_INFO_description, SPA_POD_String("Channel Map"),
				SPA_PROP_INFO_type, SPA_POD_Id(SPA_AUDIO_CHANNEL_UNKNOWN),
				SPA_PROP_INFO_container, SPA_POD_Id(SPA_TYPE_Array));
			break;
		case 4:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_PropInfo, id,
				SPA_PROP_INFO_name, SPA_POD_String(XENSND_KEY_PERIOD_FRAMES),
				SPA_PROP_INFO_description, SPA_POD_String("Period in frames, 0: the graph quantum"),
				SPA_PROP_INFO_type, SPA_POD_CHOICE_RANGE_Int(
					(int32_t)p->period_frames, 0, (int32_t)this->quantum_limit),
				SPA_PROP_INFO_params, SPA_POD_Bool(true));
			break;
		case 5:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_PropInfo, id,
				SPA_PROP_INFO_name, SPA_POD_String(XENSND_KEY_HEADROOM),
				SPA_PROP_INFO_description, SPA_POD_String("Frames kept in the backend beyond a cycle"),
				SPA_PROP_INFO_type, SPA_POD_CHOICE_RANGE_Int(
					(int32_t)p->headroom, 0, (int32_t)this->quantum_limit),
				SPA_PROP_INFO_params, SPA_POD_Bool(true));
			break;
		default:
			return 0;
		}
		break;
	case SPA_PARAM_Props:
	{
		struct spa_pod_frame f[2];
		if (result.index > 0)
			return 0;
		spa_pod_builder_push_object(&b, &f[0], SPA_TYPE_OBJECT_Props, id);
		spa_pod_builder_add(&b,
			SPA_PROP_volume, SPA_POD_Float(p->volume),
			SPA_PROP_mute, SPA_POD_Bool(p->mute),
			SPA_PROP_channelVolumes, SPA_POD_Array(sizeof(float), SPA_TYPE_Float,
				p->n_channels, p->channel_volumes),
			SPA_PROP_channelMap, SPA_POD_Array(sizeof(uint32_t), SPA_TYPE_Id,
				p->n_channels, p->channel_map), 0);
		spa_pod_builder_prop(&b, SPA_PROP_params, 0);
		spa_pod_builder_push_struct(&b, &f[1]);
		spa_pod_builder_string(&b, XENSND_KEY_PERIOD_FRAMES);
		spa_pod_builder_int(&b, (int32_t)p->period_frames);
		spa_pod_builder_string(&b, XENSND_KEY_HEADROOM);
		spa_pod_builder_int(&b, (int32_t)p->headroom);
		spa_pod_builder_pop(&b, &f[1]);
		param = spa_pod_builder_pop(&b, &f[0]);
		break;
	}
	case SPA_PARAM_IO:
		switch (result.index) {
		case 0:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_ParamIO, id,
				SPA_PARAM_IO_id, SPA_POD_Id(SPA_IO_Clock),
				SPA_PARAM_IO_size, SPA_POD_Int(sizeof(struct spa_io_clock)));
			break;
		case 1:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_ParamIO, id,
				SPA_PARAM_IO_id, SPA_POD_Id(SPA_IO_Position),
				SPA_PARAM_IO_size, SPA_POD_Int(sizeof(struct spa_io_position)));
			break;
		default:
			return 0;
		}
		break;
	case SPA_PARAM_ProcessLatency:
		if (result.index > 0)
			return 0;
		param = spa_process_latency_build(&b, id, &this->process_latency);
		break;
	default:
		return -ENOENT;
	}

	if (spa_pod_filter(&b, &result.param, param, filter) < 0)
		goto next;
	spa_node_emit_result(&this->hooks, seq, 0, SPA_RESULT_TYPE_NODE_PARAMS, &result);
	if (++count != num)
		goto next;
	return 0;
}

/* SPA_PROP_params: a struct of key/value pairs (like api.alsa.* in alsa-pcm). */
static void parse_prop_params(struct xensnd_pcm *this, const struct spa_pod *params)
{
	struct spa_pod_parser prs;
	struct spa_pod_frame f;

	spa_pod_parser_pod(&prs, params);
	if (spa_pod_parser_push_struct(&prs, &f) < 0)
		return;
	while (true) {
		const char *name;
		struct spa_pod *pod;
		int32_t value;

		if (spa_pod_parser_get_string(&prs, &name) < 0)
			break;
		if (spa_pod_parser_get_pod(&prs, &pod) < 0)
			break;
		uint32_t *field;
		if (spa_streq(name, XENSND_KEY_PERIOD_FRAMES))
			field = &this->props.period_frames;
		else if (spa_streq(name, XENSND_KEY_HEADROOM))
			field = &this->props.headroom;
		else
			continue;
		if (spa_pod_get_int(pod, &value) < 0 || value < 0 ||
		    (uint32_t)value > this->quantum_limit) {
			spa_log_warn(this->log, "%p: %s: %s must be 0..%u; ignored", this,
				     this->name, name, this->quantum_limit);
			continue;
		}
		*field = (uint32_t)value;
	}
}

static int set_props(struct xensnd_pcm *this, const struct spa_pod *param)
{
	struct xensnd_pcm_props *p = &this->props;
	struct spa_pod *params = NULL;
	uint32_t n_vols = 0, n_map = 0;
	float vols[XENSND_PCM_MAX_CHANNELS];
	uint32_t map[XENSND_PCM_MAX_CHANNELS];

	if (param == NULL) {
		props_reset(p);
	} else {
		spa_pod_parse_object(param, SPA_TYPE_OBJECT_Props, NULL,
			SPA_PROP_volume, SPA_POD_OPT_Float(&p->volume),
			SPA_PROP_mute, SPA_POD_OPT_Bool(&p->mute),
			SPA_PROP_params, SPA_POD_OPT_Pod(&params));
		const struct spa_pod_prop *prop;
		if ((prop = spa_pod_find_prop(param, NULL, SPA_PROP_channelVolumes)))
			n_vols = spa_pod_copy_array(&prop->value, SPA_TYPE_Float, vols,
						    XENSND_PCM_MAX_CHANNELS);
		if ((prop = spa_pod_find_prop(param, NULL, SPA_PROP_channelMap)))
			n_map = spa_pod_copy_array(&prop->value, SPA_TYPE_Id, map,
						   XENSND_PCM_MAX_CHANNELS);
		if (n_vols > 0) {
			p->n_channels = n_vols;
			memcpy(p->channel_volumes, vols, n_vols * sizeof(float));
		}
		if (n_map > 0)
			memcpy(p->channel_map, map, n_map * sizeof(uint32_t));
		if (params)
			parse_prop_params(this, params);
	}
	if (!(p->volume >= 0.0f) || p->volume > 10.0f)
		p->volume = 1.0f;
	node_param_changed(this, NODE_Props);
	this->info.change_mask |= SPA_NODE_CHANGE_MASK_PROPS;
	apply_volume(this);
	emit_node_info(this, false);
	return 0;
}

static int impl_node_set_param(void *object, uint32_t id, uint32_t flags,
			       const struct spa_pod *param)
{
	struct xensnd_pcm *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	switch (id) {
	case SPA_PARAM_Props:
		return set_props(this, param);
	case SPA_PARAM_ProcessLatency:
	{
		struct spa_process_latency_info info;
		int res;
		if (param == NULL)
			spa_zero(info);
		else if ((res = spa_process_latency_parse(param, &info)) < 0)
			return res;
		this->process_latency = info;
		node_param_changed(this, NODE_ProcessLatency);
		emit_node_info(this, false);
		update_latency(this);
		emit_port_info(this, false);
		return 0;
	}
	default:
		return -ENOENT;
	}
}

static int impl_node_set_io(void *object, uint32_t id, void *data, size_t size)
{
	struct xensnd_pcm *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	switch (id) {
	case SPA_IO_Clock:
		this->clock = data;
		if (this->clock && this->transport)
			/* Each stream has its own clock in the backend. */
			snprintf(this->clock->name, sizeof(this->clock->name),
				 "clock.xensnd.%u.%u.%u", this->transport->dev_id,
				 this->transport->pcm ? this->transport->pcm->index : 0,
				 this->transport->stream->index);
		break;
	case SPA_IO_Position:
		this->position = data;
		break;
	default:
		return -ENOENT;
	}
	spa_loop_invoke(this->data_loop, do_reassign_follower, 0, NULL, 0, true, this);
	return 0;
}

static int impl_node_send_command(void *object, const struct spa_command *command)
{
	struct xensnd_pcm *this = object;
	int res;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(command != NULL, -EINVAL);

	switch (SPA_NODE_COMMAND_ID(command)) {
	case SPA_NODE_COMMAND_Start:
		if (!this->port.have_format)
			return -EIO;
		if (this->port.n_buffers == 0)
			return -EIO;
		if (this->started && this->stream_open)
			return 0;
		this->started = true;
		this->error = false;
		/* Without a connection we start on the next `connected`. */
		if ((res = stream_open(this)) < 0) {
			this->started = false;
			return res;
		}
		break;
	case SPA_NODE_COMMAND_Suspend:
	case SPA_NODE_COMMAND_Pause:
		this->started = false;
		stream_close(this, true);
		update_latency(this);
		emit_port_info(this, false);
		break;
	default:
		return -ENOTSUP;
	}
	return 0;
}

static int impl_node_add_listener(void *object, struct spa_hook *listener,
				  const struct spa_node_events *events, void *data)
{
	struct xensnd_pcm *this = object;
	struct spa_hook_list save;

	spa_return_val_if_fail(this != NULL, -EINVAL);

	spa_hook_list_isolate(&this->hooks, &save, listener, events, data);
	emit_node_info(this, true);
	emit_port_info(this, true);
	spa_hook_list_join(&this->hooks, &save);
	return 0;
}

static int impl_node_set_callbacks(void *object, const struct spa_node_callbacks *callbacks,
				   void *data)
{
	struct xensnd_pcm *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	this->callbacks = SPA_CALLBACKS_INIT(callbacks, data);
	return 0;
}

static int impl_node_sync(void *object, int seq)
{
	struct xensnd_pcm *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_node_emit_result(&this->hooks, seq, 0, 0, NULL);
	return 0;
}

static int impl_node_add_port(void *object, enum spa_direction direction, uint32_t port_id,
			      const struct spa_dict *props)
{
	return -ENOTSUP;
}

static int impl_node_remove_port(void *object, enum spa_direction direction, uint32_t port_id)
{
	return -ENOTSUP;
}

static bool is_our_port(struct xensnd_pcm *this, enum spa_direction direction, uint32_t port_id)
{
	return direction == this->ops->port_direction && port_id == 0;
}

static int port_enum_formats(struct xensnd_pcm *this, uint32_t index,
			     struct spa_pod_builder *b, struct spa_pod **param)
{
	if (this->transport == NULL)
		return 0;
	return build_enum_format(this, index, b, param);
}

static int impl_node_port_enum_params(void *object, int seq, enum spa_direction direction,
				      uint32_t port_id, uint32_t id, uint32_t start,
				      uint32_t num, const struct spa_pod *filter)
{
	struct xensnd_pcm *this = object;
	struct xensnd_pcm_port *port = &this->port;
	struct spa_pod_builder b = { 0 };
	uint8_t buffer[4096];
	struct spa_pod *param;
	struct spa_result_node_params result;
	uint32_t count = 0;
	int res;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(num != 0, -EINVAL);
	spa_return_val_if_fail(is_our_port(this, direction, port_id), -EINVAL);

	result.id = id;
	result.next = start;
next:
	result.index = result.next++;
	spa_pod_builder_init(&b, buffer, sizeof(buffer));

	switch (id) {
	case SPA_PARAM_EnumFormat:
		if ((res = port_enum_formats(this, result.index, &b, &param)) <= 0)
			return res;
		break;
	case SPA_PARAM_Format:
		if (!port->have_format)
			return -EIO;
		if (result.index > 0)
			return 0;
		param = spa_format_audio_raw_build(&b, id, &port->format);
		break;
	case SPA_PARAM_Buffers:
		if (!port->have_format)
			return -EIO;
		if (result.index > 0)
			return 0;
		param = spa_pod_builder_add_object(&b,
			SPA_TYPE_OBJECT_ParamBuffers, id,
			SPA_PARAM_BUFFERS_buffers, SPA_POD_CHOICE_RANGE_Int(2, 1, XENSND_PCM_MAX_BUFFERS),
			SPA_PARAM_BUFFERS_blocks, SPA_POD_Int(1),
			SPA_PARAM_BUFFERS_size, SPA_POD_CHOICE_RANGE_Int(
				(int32_t)(this->quantum_limit * port->frame_bytes),
				(int32_t)(16 * port->frame_bytes), INT32_MAX),
			SPA_PARAM_BUFFERS_stride, SPA_POD_Int((int32_t)port->frame_bytes));
		break;
	case SPA_PARAM_Meta:
		return 0;
	case SPA_PARAM_IO:
		switch (result.index) {
		case 0:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_ParamIO, id,
				SPA_PARAM_IO_id, SPA_POD_Id(SPA_IO_Buffers),
				SPA_PARAM_IO_size, SPA_POD_Int(sizeof(struct spa_io_buffers)));
			break;
		case 1:
			param = spa_pod_builder_add_object(&b,
				SPA_TYPE_OBJECT_ParamIO, id,
				SPA_PARAM_IO_id, SPA_POD_Id(SPA_IO_RateMatch),
				SPA_PARAM_IO_size, SPA_POD_Int(sizeof(struct spa_io_rate_match)));
			break;
		default:
			return 0;
		}
		break;
	case SPA_PARAM_Latency:
		if (result.index > 1)
			return 0;
		param = spa_latency_build(&b, id, &port->latency[result.index]);
		break;
	default:
		return -ENOENT;
	}

	if (spa_pod_filter(&b, &result.param, param, filter) < 0)
		goto next;
	spa_node_emit_result(&this->hooks, seq, 0, SPA_RESULT_TYPE_NODE_PARAMS, &result);
	if (++count != num)
		goto next;
	return 0;
}

static void clear_buffers(struct xensnd_pcm *this)
{
	this->port.n_buffers = 0;
	spa_list_init(&this->port.free);
	spa_list_init(&this->port.ready);
}

static int port_set_format(struct xensnd_pcm *this, uint32_t flags, const struct spa_pod *format)
{
	struct xensnd_pcm_port *port = &this->port;
	struct spa_audio_info info = { 0 };
	const struct xensnd_format *xf;
	uint32_t ch_min, ch_max;
	int res;

	if (format == NULL) {
		if (this->stream_open)
			stream_close(this, true);
		port->have_format = false;
		clear_buffers(this);
		goto done;
	}
	if (this->transport == NULL)
		return -EIO;	/* the device is gone: nothing to play to */
	if ((res = spa_format_parse(format, &info.media_type, &info.media_subtype)) < 0)
		return res;
	if (info.media_type != SPA_MEDIA_TYPE_audio ||
	    info.media_subtype != SPA_MEDIA_SUBTYPE_raw)
		return -EINVAL;
	if (spa_format_audio_raw_parse(format, &info.info.raw) < 0)
		return -EINVAL;

	xf = xensnd_format_from_spa(info.info.raw.format);
	channel_range(this, &ch_min, &ch_max);
	if (xf == NULL || !(allowed_formats(this) & (UINT64_C(1) << xf->sndif)) ||
	    !rate_allowed(this, info.info.raw.rate) ||
	    info.info.raw.channels < ch_min || info.info.raw.channels > ch_max) {
		spa_log_warn(this->log, "%p: %s: format %u rate %u channels %u is not "
			     "offered by this stream", this, this->name,
			     info.info.raw.format, info.info.raw.rate,
			     info.info.raw.channels);
		return -EINVAL;
	}
	/* A new format needs a new OPEN: close the old one now. */
	if (this->stream_open)
		stream_close(this, true);
	port->format = info.info.raw;
	port->xformat = xf;
	port->frame_bytes = xensnd_frame_bytes(xf->sndif, info.info.raw.channels);
	port->have_format = true;
	if (this->props.n_channels == 0 || this->props.n_channels != port->format.channels) {
		this->props.n_channels = port->format.channels;
		memcpy(this->props.channel_map, port->format.position,
		       port->format.channels * sizeof(uint32_t));
		for (uint32_t i = 0; i < port->format.channels; i++)
			this->props.channel_volumes[i] = 1.0f;
		node_param_changed(this, NODE_Props);
		emit_node_info(this, false);
	}
done:
	port->info.change_mask |= SPA_PORT_CHANGE_MASK_PARAMS;
	if (port->have_format) {
		port->params[PORT_Format] = SPA_PARAM_INFO(SPA_PARAM_Format, SPA_PARAM_INFO_READWRITE);
		port->params[PORT_Buffers] = SPA_PARAM_INFO(SPA_PARAM_Buffers, SPA_PARAM_INFO_READ);
	} else {
		port->params[PORT_Format] = SPA_PARAM_INFO(SPA_PARAM_Format, SPA_PARAM_INFO_WRITE);
		port->params[PORT_Buffers] = SPA_PARAM_INFO(SPA_PARAM_Buffers, 0);
	}
	emit_port_info(this, false);
	return 0;
}

static int impl_node_port_set_param(void *object, enum spa_direction direction,
				    uint32_t port_id, uint32_t id, uint32_t flags,
				    const struct spa_pod *param)
{
	struct xensnd_pcm *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(is_our_port(this, direction, port_id), -EINVAL);

	switch (id) {
	case SPA_PARAM_Format:
		return port_set_format(this, flags, param);
	case SPA_PARAM_Latency:
		return 0;	/* we report ours; the other direction is not ours to use */
	default:
		return -ENOENT;
	}
}

static int impl_node_port_use_buffers(void *object, enum spa_direction direction,
				      uint32_t port_id, uint32_t flags,
				      struct spa_buffer **buffers, uint32_t n_buffers)
{
	struct xensnd_pcm *this = object;
	struct xensnd_pcm_port *port = &this->port;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(is_our_port(this, direction, port_id), -EINVAL);

	if (n_buffers > 0 && !port->have_format)
		return -EIO;
	if (n_buffers > XENSND_PCM_MAX_BUFFERS)
		return -ENOSPC;
	if (this->running)
		stream_close(this, true);
	clear_buffers(this);
	for (uint32_t i = 0; i < n_buffers; i++) {
		struct xensnd_pcm_buffer *b = &port->buffers[i];
		struct spa_data *d = buffers[i]->datas;

		if (buffers[i]->n_datas < 1 || d[0].data == NULL) {
			spa_log_error(this->log, "%p: buffer %u has no memory", this, i);
			return -EINVAL;
		}
		b->id = i;
		b->flags = 0;
		b->buf = buffers[i];
		spa_list_append(&port->free, &b->link);
	}
	port->n_buffers = n_buffers;
	return 0;
}

static int impl_node_port_set_io(void *object, enum spa_direction direction, uint32_t port_id,
				 uint32_t id, void *data, size_t size)
{
	struct xensnd_pcm *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	spa_return_val_if_fail(is_our_port(this, direction, port_id), -EINVAL);

	switch (id) {
	case SPA_IO_Buffers:
		this->port.io = data;
		break;
	case SPA_IO_RateMatch:
		this->port.rate_match = data;
		break;
	default:
		return -ENOENT;
	}
	return 0;
}

static int impl_node_port_reuse_buffer(void *object, uint32_t port_id, uint32_t buffer_id)
{
	struct xensnd_pcm *this = object;
	struct xensnd_pcm_buffer *b;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	if (port_id != 0 || buffer_id >= this->port.n_buffers)
		return -EINVAL;
	b = &this->port.buffers[buffer_id];
	if (SPA_FLAG_IS_SET(b->flags, BUFFER_FLAG_OUT)) {
		SPA_FLAG_CLEAR(b->flags, BUFFER_FLAG_OUT);
		spa_list_append(&this->port.free, &b->link);
	}
	return 0;
}

static int impl_node_process(void *object)
{
	struct xensnd_pcm *this = object;

	spa_return_val_if_fail(this != NULL, -EINVAL);
	/* A driver did this on its timer, just before this cycle began. */
	if (this->following)
		channel_new_cycle(this);
	return this->ops->process(this);
}

static const struct spa_node_methods impl_node = {
	SPA_VERSION_NODE_METHODS,
	.add_listener = impl_node_add_listener,
	.set_callbacks = impl_node_set_callbacks,
	.sync = impl_node_sync,
	.enum_params = impl_node_enum_params,
	.set_param = impl_node_set_param,
	.set_io = impl_node_set_io,
	.send_command = impl_node_send_command,
	.add_port = impl_node_add_port,
	.remove_port = impl_node_remove_port,
	.port_enum_params = impl_node_port_enum_params,
	.port_set_param = impl_node_port_set_param,
	.port_use_buffers = impl_node_port_use_buffers,
	.port_set_io = impl_node_port_set_io,
	.port_reuse_buffer = impl_node_port_reuse_buffer,
	.process = impl_node_process,
};

/* ------------------------------------------------ software volume */

/*
 * Volume in the copy loop, for a backend that refused SET_VOLUME. Not when
 * an audioconvert sits in front of us (an adapter gives us its RateMatch
 * io): it applies the same Props to the samples already, and doing it
 * twice would square the gain.
 */
void xensnd_pcm_soft_volume(struct xensnd_pcm *this, void *data, uint32_t frames)
{
	uint32_t channels = this->port.format.channels;
	float gain[XENSND_PCM_MAX_CHANNELS];
	bool unity = !this->props.mute;

	if (this->backend_volume || this->port.rate_match != NULL)
		return;
	for (uint32_t c = 0; c < channels; c++) {
		gain[c] = this->props.mute ? 0.0f : channel_gain(this, c);
		if (gain[c] != 1.0f)
			unity = false;
	}
	if (unity)
		return;	/* bit-exact path */

	switch (this->port.format.format) {
	case SPA_AUDIO_FORMAT_F32_LE: {
		float *s = data;
		for (uint32_t i = 0; i < frames; i++)
			for (uint32_t c = 0; c < channels; c++, s++)
				*s *= gain[c];
		break;
	}
	case SPA_AUDIO_FORMAT_S16_LE: {
		int16_t *s = data;
		for (uint32_t i = 0; i < frames; i++)
			for (uint32_t c = 0; c < channels; c++, s++)
				*s = (int16_t)SPA_CLAMP(lrintf(*s * gain[c]), INT16_MIN, INT16_MAX);
		break;
	}
	case SPA_AUDIO_FORMAT_S32_LE:
	case SPA_AUDIO_FORMAT_S24_32_LE: {
		bool s24 = this->port.format.format == SPA_AUDIO_FORMAT_S24_32_LE;
		long long lo = s24 ? -(1LL << 23) : INT32_MIN;
		long long hi = s24 ? (1LL << 23) - 1 : INT32_MAX;
		int32_t *s = data;
		for (uint32_t i = 0; i < frames; i++)
			for (uint32_t c = 0; c < channels; c++, s++)
				*s = (int32_t)SPA_CLAMP(llrint((double)*s * gain[c]), lo, hi);
		break;
	}
	default:
		/* Other formats are carried untouched; volume is logged as
		 * unsupported once, when the format is set. */
		break;
	}
}

/* ------------------------------------------------ transport events */

static void transport_connected(void *data)
{
	struct xensnd_pcm *this = data;
	int res;

	if (this->channel_added)
		return;
	res = spa_loop_invoke(this->data_loop, do_add_channel, 0, NULL, 0, true, this);
	if (res < 0) {
		spa_log_error(this->log, "%p: %s: cannot watch the event channel: %s",
			      this, this->name, spa_strerror(res));
		return;
	}
	this->channel_added = true;
	spa_log_info(this->log, "%p: %s: backend connected", this, this->name);
	query_hw_ranges(this);
	if (this->started && (res = stream_open(this)) < 0)
		xensnd_pcm_fail(this, res, "cannot reopen the stream after reconnect");
}

static void transport_disconnecting(void *data)
{
	struct xensnd_pcm *this = data;

	if (!this->channel_added)
		return;
	/* Stop the data loop using the ring before the device closes it. */
	spa_loop_invoke(this->data_loop, do_remove_channel, 0, NULL, 0, true, this);
	this->channel_added = false;
	/* The backend is going away: no CLOSE, but the grants are revoked. */
	stream_close(this, false);
	spa_log_info(this->log, "%p: %s: backend disconnecting; the node stays and "
		     "resumes when it reconnects", this, this->name);
}

static void transport_destroy(void *data)
{
	struct xensnd_pcm *this = data;

	transport_disconnecting(this);
	spa_hook_remove(&this->transport_listener);
	this->transport = NULL;
}

static const struct xensnd_transport_events transport_events = {
	XENSND_VERSION_TRANSPORT_EVENTS,
	.connected = transport_connected,
	.disconnecting = transport_disconnecting,
	.destroy = transport_destroy,
};

/* ------------------------------------------------------ init / clear */

static const struct spa_interface_info pcm_interfaces[] = {
	{ SPA_TYPE_INTERFACE_Node },
};

size_t xensnd_pcm_factory_get_size(const struct spa_handle_factory *factory,
				   const struct spa_dict *params)
{
	return sizeof(struct xensnd_pcm);
}

int xensnd_pcm_factory_enum_interface_info(const struct spa_handle_factory *factory,
					   const struct spa_interface_info **info,
					   uint32_t *index)
{
	spa_return_val_if_fail(info != NULL, -EINVAL);
	spa_return_val_if_fail(index != NULL, -EINVAL);
	if (*index >= SPA_N_ELEMENTS(pcm_interfaces))
		return 0;
	*info = &pcm_interfaces[(*index)++];
	return 1;
}

int xensnd_pcm_get_interface(struct spa_handle *handle, const char *type, void **interface)
{
	struct xensnd_pcm *this = (struct xensnd_pcm *)handle;

	spa_return_val_if_fail(handle != NULL, -EINVAL);
	spa_return_val_if_fail(interface != NULL, -EINVAL);
	if (!spa_streq(type, SPA_TYPE_INTERFACE_Node))
		return -ENOENT;
	*interface = &this->node;
	return 0;
}

static int do_add_timer(struct spa_loop *loop, bool async, uint32_t seq,
			const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;
	return spa_loop_add_source(this->data_loop, &this->timer_source);
}

static int do_remove_timer(struct spa_loop *loop, bool async, uint32_t seq,
			   const void *data, size_t size, void *user_data)
{
	struct xensnd_pcm *this = user_data;
	if (this->timer_source.loop)
		spa_loop_remove_source(this->data_loop, &this->timer_source);
	return 0;
}

int xensnd_pcm_clear(struct spa_handle *handle)
{
	struct xensnd_pcm *this = (struct xensnd_pcm *)handle;

	if (this->transport) {
		/* Still connected: tell the backend we are gone (CLOSE). */
		stream_close(this, true);
		transport_disconnecting(this);
		spa_hook_remove(&this->transport_listener);
		this->transport = NULL;
	}
	if (this->timer_source.fd >= 0) {
		spa_loop_invoke(this->data_loop, do_remove_timer, 0, NULL, 0, true, this);
		spa_system_close(this->data_system, this->timer_source.fd);
		this->timer_source.fd = -1;
	}
	if (this->main_source_added) {
		spa_loop_remove_source(this->main_loop, &this->main_source);
		this->main_source_added = false;
	}
	if (this->main_source.fd >= 0) {
		spa_system_close(this->main_system, this->main_source.fd);
		this->main_source.fd = -1;
	}
	if (this->sync_fd >= 0) {
		spa_system_close(this->main_system, this->sync_fd);
		this->sync_fd = -1;
	}
	return 0;
}

static int parse_init_props(struct xensnd_pcm *this, const struct spa_dict *info)
{
	const char *str;
	void *ptr = NULL;

	if (info == NULL || (str = spa_dict_lookup(info, XENSND_KEY_TRANSPORT)) == NULL ||
	    sscanf(str, "pointer:%p", &ptr) != 1 || ptr == NULL) {
		spa_log_error(this->log, "%p: missing or malformed %s: a xensnd node is "
			      "created by its api.xensnd.device, in the same process",
			      this, XENSND_KEY_TRANSPORT);
		return -EINVAL;
	}
	this->transport = ptr;
	if ((str = spa_dict_lookup(info, "clock.quantum-limit")))
		spa_atou32(str, &this->quantum_limit, 0);
	if (this->quantum_limit == 0)
		this->quantum_limit = DEFAULT_QUANTUM_LIMIT;
	if ((str = spa_dict_lookup(info, XENSND_KEY_PERIOD_FRAMES))) {
		uint32_t v = 0;
		if (!spa_atou32(str, &v, 0) || v > this->quantum_limit)
			spa_log_warn(this->log, "%p: %s=%s must be 0..%u; ignored", this,
				     XENSND_KEY_PERIOD_FRAMES, str, this->quantum_limit);
		else
			this->props.period_frames = v;
	}
	if ((str = spa_dict_lookup(info, XENSND_KEY_HEADROOM))) {
		uint32_t v = 0;
		if (!spa_atou32(str, &v, 0) || v > this->quantum_limit)
			spa_log_warn(this->log, "%p: %s=%s must be 0..%u; ignored", this,
				     XENSND_KEY_HEADROOM, str, this->quantum_limit);
		else
			this->props.headroom = v;
	}
	if ((str = spa_dict_lookup(info, SPA_KEY_NODE_LATENCY)))
		snprintf(this->latency_str, sizeof(this->latency_str), "%s", str);
	return 0;
}

int xensnd_pcm_init(struct xensnd_pcm *this, const struct xensnd_pcm_dir_ops *ops,
		    const struct spa_dict *info, const struct spa_support *support,
		    uint32_t n_support)
{
	struct xensnd_pcm_port *port = &this->port;
	int res;

	this->ops = ops;
	this->sync_fd = -1;
	this->main_source.fd = -1;
	this->timer_source.fd = -1;
	this->log = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_Log);
	spa_log_topic_init(this->log, &log_topic);
	this->main_loop = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_Loop);
	this->data_loop = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_DataLoop);
	this->main_system = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_System);
	this->data_system = spa_support_find(support, n_support, SPA_TYPE_INTERFACE_DataSystem);
	if (this->main_loop == NULL || this->data_loop == NULL ||
	    this->main_system == NULL || this->data_system == NULL) {
		spa_log_error(this->log, "%p: a main loop, data loop and both systems are "
			      "needed", this);
		return -EINVAL;
	}

	props_reset(&this->props);
	snprintf(this->latency_str, sizeof(this->latency_str), "%u/48000",
		 XENSND_PCM_DEFAULT_QUANTUM);
	if ((res = parse_init_props(this, info)) < 0)
		return res;
	if (this->transport->stream == NULL || this->transport->stream->params.n_rates == 0) {
		spa_log_error(this->log, "%p: transport %s has no stream configuration",
			      this, this->transport->path);
		this->transport = NULL;
		return -EINVAL;
	}
	snprintf(this->name, sizeof(this->name), "card %u (%s) stream %s",
		 this->transport->dev_id, this->transport->card ?
		 this->transport->card->short_name : "?", this->transport->path);

	this->sync_fd = spa_system_eventfd_create(this->main_system,
			SPA_FD_CLOEXEC | SPA_FD_NONBLOCK);
	if (this->sync_fd < 0)
		return this->sync_fd;
	/* From here on every failure path releases what init took. */
	this->main_source.func = on_main_event;
	this->main_source.data = this;
	this->main_source.fd = spa_system_eventfd_create(this->main_system,
			SPA_FD_CLOEXEC | SPA_FD_NONBLOCK);
	this->main_source.mask = SPA_IO_IN;
	this->main_source.rmask = 0;
	if (this->main_source.fd < 0) {
		res = this->main_source.fd;
		goto fail;
	}
	if ((res = spa_loop_add_source(this->main_loop, &this->main_source)) < 0)
		goto fail;
	this->main_source_added = true;

	this->node.iface = SPA_INTERFACE_INIT(SPA_TYPE_INTERFACE_Node, SPA_VERSION_NODE,
					      &impl_node, this);
	spa_hook_list_init(&this->hooks);

	this->info_all = SPA_NODE_CHANGE_MASK_FLAGS | SPA_NODE_CHANGE_MASK_PROPS |
			 SPA_NODE_CHANGE_MASK_PARAMS;
	this->info = SPA_NODE_INFO_INIT();
	this->info.max_input_ports = ops->port_direction == SPA_DIRECTION_INPUT ? 1 : 0;
	this->info.max_output_ports = ops->port_direction == SPA_DIRECTION_OUTPUT ? 1 : 0;
	this->info.flags = SPA_NODE_FLAG_RT;
	this->params[NODE_PropInfo] = SPA_PARAM_INFO(SPA_PARAM_PropInfo, SPA_PARAM_INFO_READ);
	this->params[NODE_Props] = SPA_PARAM_INFO(SPA_PARAM_Props, SPA_PARAM_INFO_READWRITE);
	this->params[NODE_IO] = SPA_PARAM_INFO(SPA_PARAM_IO, SPA_PARAM_INFO_READ);
	this->params[NODE_ProcessLatency] = SPA_PARAM_INFO(SPA_PARAM_ProcessLatency,
							   SPA_PARAM_INFO_READWRITE);
	this->info.params = this->params;
	this->info.n_params = N_NODE_PARAMS;

	port->info_all = SPA_PORT_CHANGE_MASK_FLAGS | SPA_PORT_CHANGE_MASK_PARAMS;
	port->info = SPA_PORT_INFO_INIT();
	port->info.flags = SPA_PORT_FLAG_LIVE | SPA_PORT_FLAG_PHYSICAL | SPA_PORT_FLAG_TERMINAL;
	port->params[PORT_EnumFormat] = SPA_PARAM_INFO(SPA_PARAM_EnumFormat, SPA_PARAM_INFO_READ);
	port->params[PORT_Meta] = SPA_PARAM_INFO(SPA_PARAM_Meta, SPA_PARAM_INFO_READ);
	port->params[PORT_IO] = SPA_PARAM_INFO(SPA_PARAM_IO, SPA_PARAM_INFO_READ);
	port->params[PORT_Format] = SPA_PARAM_INFO(SPA_PARAM_Format, SPA_PARAM_INFO_WRITE);
	port->params[PORT_Buffers] = SPA_PARAM_INFO(SPA_PARAM_Buffers, 0);
	port->params[PORT_Latency] = SPA_PARAM_INFO(SPA_PARAM_Latency, SPA_PARAM_INFO_READWRITE);
	port->info.params = port->params;
	port->info.n_params = N_PORT_PARAMS;
	port->latency[SPA_DIRECTION_INPUT] = SPA_LATENCY_INFO(SPA_DIRECTION_INPUT);
	port->latency[SPA_DIRECTION_OUTPUT] = SPA_LATENCY_INFO(SPA_DIRECTION_OUTPUT);
	clear_buffers(this);

	this->timer_source.func = on_timeout;
	this->timer_source.data = this;
	this->timer_source.fd = spa_system_timerfd_create(this->data_system, CLOCK_MONOTONIC,
			SPA_FD_CLOEXEC | SPA_FD_NONBLOCK);
	this->timer_source.mask = SPA_IO_IN;
	this->timer_source.rmask = 0;
	if (this->timer_source.fd < 0) {
		res = this->timer_source.fd;
		goto fail;
	}
	if ((res = spa_loop_invoke(this->data_loop, do_add_timer, 0, NULL, 0, true, this)) < 0)
		goto fail;

	xensnd_transport_add_listener(this->transport, &this->transport_listener,
				      &transport_events, this);
	if (this->transport->connected)
		transport_connected(this);
	return 0;

fail:
	this->transport = NULL;
	xensnd_pcm_clear(&this->handle);
	return res;
}
