/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pwio.h"

#ifndef HAVE_PIPEWIRE

bool pwio_available(void) { return false; }
int pwio_new(struct pwio **out, char *err, size_t err_size)
{
	*out = NULL;
	snprintf(err, err_size, "this xensnd-backend was built without PipeWire");
	return -ENOTSUP;
}
void pwio_free(struct pwio *pw) {}
struct pwio_stream *pwio_stream_new(struct pwio *pw, const char *name,
				    const char *description, bool capture,
				    uint32_t spa_format, uint32_t rate,
				    uint32_t channels, uint32_t frame_bytes,
				    uint32_t ring_bytes, char *err, size_t err_size)
{
	snprintf(err, err_size, "built without PipeWire");
	return NULL;
}
void pwio_stream_free(struct pwio_stream *s) {}
void pwio_stream_write(struct pwio_stream *s, const uint8_t *data, uint32_t n) {}
uint32_t pwio_stream_read(struct pwio_stream *s, uint8_t *out, uint32_t n) { return 0; }
void pwio_stream_set_volume(struct pwio_stream *s, const int32_t *mdb,
			    const uint8_t *mute, uint32_t channels) {}

#else

#include <pipewire/pipewire.h>
#include <spa/param/audio/format-utils.h>
#include <spa/param/props.h>
#include <spa/utils/ringbuffer.h>

struct pwio {
	struct pw_thread_loop *loop;
	struct pw_context *context;
	struct pw_core *core;
};

struct pwio_stream {
	struct pwio *pw;
	struct pw_stream *stream;
	struct spa_hook listener;
	bool capture;
	uint32_t frame_bytes;
	struct spa_ringbuffer ring;
	uint8_t *data;
	uint32_t size;			/* power of two */
	/* The guest's volume, applied again whenever the node is (re)configured:
	 * a control set before the format is negotiated does not stick. */
	float volumes[SPA_AUDIO_MAX_CHANNELS];
	uint32_t n_volumes;
};

bool pwio_available(void) { return true; }

int pwio_new(struct pwio **out, char *err, size_t err_size)
{
	struct pwio *pw = calloc(1, sizeof(*pw));

	*out = NULL;
	if (pw == NULL)
		return -ENOMEM;
	pw_init(NULL, NULL);
	pw->loop = pw_thread_loop_new("xensnd-backend", NULL);
	if (pw->loop == NULL)
		goto fail;
	pw->context = pw_context_new(pw_thread_loop_get_loop(pw->loop), NULL, 0);
	if (pw->context == NULL || pw_thread_loop_start(pw->loop) < 0)
		goto fail;
	pw_thread_loop_lock(pw->loop);
	pw->core = pw_context_connect(pw->context, NULL, 0);
	pw_thread_loop_unlock(pw->loop);
	if (pw->core == NULL)
		goto fail;
	*out = pw;
	return 0;
fail:
	snprintf(err, err_size, "cannot connect to PipeWire (%s); is it running "
		 "for this user (PIPEWIRE_RUNTIME_DIR / XDG_RUNTIME_DIR)?",
		 strerror(errno));
	pwio_free(pw);
	return -EIO;
}

void pwio_free(struct pwio *pw)
{
	if (pw == NULL)
		return;
	if (pw->loop)
		pw_thread_loop_stop(pw->loop);
	if (pw->core)
		pw_core_disconnect(pw->core);
	if (pw->context)
		pw_context_destroy(pw->context);
	if (pw->loop)
		pw_thread_loop_destroy(pw->loop);
	free(pw);
	pw_deinit();
}

/* PipeWire's thread: move what the ring holds into the graph (playback)
 * or from the graph into the ring (capture). */
static void on_process(void *data)
{
	struct pwio_stream *s = data;
	struct pw_buffer *b = pw_stream_dequeue_buffer(s->stream);
	struct spa_data *d;
	uint32_t index, avail, n;

	if (b == NULL)
		return;
	d = &b->buffer->datas[0];
	if (d->data == NULL)
		goto done;
	if (s->capture) {
		uint32_t off = SPA_MIN(d->chunk->offset, d->maxsize);
		uint32_t room;

		n = SPA_MIN(d->chunk->size, d->maxsize - off);
		avail = (uint32_t)spa_ringbuffer_get_write_index(&s->ring, &index);
		room = s->size - avail;
		n = SPA_MIN(n, room) / s->frame_bytes * s->frame_bytes;
		spa_ringbuffer_write_data(&s->ring, s->data, s->size, index % s->size,
					  SPA_PTROFF(d->data, off, void), n);
		spa_ringbuffer_write_update(&s->ring, (int32_t)(index + n));
		goto done;
	}
	n = d->maxsize / s->frame_bytes * s->frame_bytes;
	if (b->requested)
		n = SPA_MIN(n, (uint32_t)b->requested * s->frame_bytes);
	avail = (uint32_t)spa_ringbuffer_get_read_index(&s->ring, &index);
	avail = SPA_MIN(avail, n);
	spa_ringbuffer_read_data(&s->ring, s->data, s->size, index % s->size,
				 d->data, avail);
	spa_ringbuffer_read_update(&s->ring, (int32_t)(index + avail));
	memset(SPA_PTROFF(d->data, avail, void), 0, n - avail);	/* underflow: silence */
	d->chunk->offset = 0;
	d->chunk->stride = (int32_t)s->frame_bytes;
	d->chunk->size = n;
done:
	pw_stream_queue_buffer(s->stream, b);
}

/* PipeWire's thread, loop locked. */
static void apply_volume(struct pwio_stream *s)
{
	if (s->n_volumes > 0)
		pw_stream_set_control(s->stream, SPA_PROP_channelVolumes,
				      s->n_volumes, s->volumes, 0);
}

static void on_param_changed(void *data, uint32_t id, const struct spa_pod *param)
{
	if (id == SPA_PARAM_Format && param != NULL)
		apply_volume(data);
}

static void on_state_changed(void *data, enum pw_stream_state old,
			     enum pw_stream_state state, const char *error)
{
	if (state == PW_STREAM_STATE_PAUSED || state == PW_STREAM_STATE_STREAMING)
		apply_volume(data);
}

static const struct pw_stream_events stream_events = {
	PW_VERSION_STREAM_EVENTS,
	.state_changed = on_state_changed,
	.param_changed = on_param_changed,
	.process = on_process,
};

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 4096;

	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct pwio_stream *pwio_stream_new(struct pwio *pw, const char *name,
				    const char *description, bool capture,
				    uint32_t spa_format, uint32_t rate,
				    uint32_t channels, uint32_t frame_bytes,
				    uint32_t ring_bytes, char *err, size_t err_size)
{
	struct pwio_stream *s = calloc(1, sizeof(*s));
	uint8_t pod_buf[1024];
	struct spa_pod_builder pb = SPA_POD_BUILDER_INIT(pod_buf, sizeof(pod_buf));
	struct spa_audio_info_raw info = {
		.format = spa_format, .rate = rate, .channels = channels,
		.flags = SPA_AUDIO_FLAG_UNPOSITIONED,
	};
	const struct spa_pod *params[1];
	struct pw_properties *props;
	int r;

	if (s == NULL)
		return NULL;
	s->pw = pw;
	s->capture = capture;
	s->frame_bytes = frame_bytes;
	s->size = pow2_at_least(ring_bytes * 2);
	s->data = malloc(s->size);
	spa_ringbuffer_init(&s->ring);
	/* Each guest stream is its own application to the session manager
	 * (application.id): one guest's saved volume is never another's.
	 * The guest owns its volume (SET_VOLUME), so WirePlumber should not
	 * restore an old one over it. */
	props = pw_properties_new(PW_KEY_MEDIA_TYPE, "Audio",
				  PW_KEY_MEDIA_CATEGORY, capture ? "Capture" : "Playback",
				  PW_KEY_NODE_NAME, name,
				  PW_KEY_NODE_DESCRIPTION, description,
				  PW_KEY_MEDIA_NAME, description,
				  PW_KEY_APP_NAME, "xensnd-backend",
				  PW_KEY_APP_ID, name,
				  "state.restore-props", "false", NULL);
	if (s->data == NULL || props == NULL) {
		pw_properties_free(props);
		goto fail;
	}
	pw_properties_setf(props, PW_KEY_NODE_RATE, "1/%u", rate);
	params[0] = spa_format_audio_raw_build(&pb, SPA_PARAM_EnumFormat, &info);
	pw_thread_loop_lock(pw->loop);
	s->stream = pw_stream_new(pw->core, name, props);
	if (s->stream != NULL) {
		pw_stream_add_listener(s->stream, &s->listener, &stream_events, s);
		r = pw_stream_connect(s->stream,
				      capture ? PW_DIRECTION_INPUT : PW_DIRECTION_OUTPUT,
				      PW_ID_ANY,
				      PW_STREAM_FLAG_AUTOCONNECT | PW_STREAM_FLAG_MAP_BUFFERS |
				      PW_STREAM_FLAG_RT_PROCESS, params, 1);
		if (r < 0) {
			pw_stream_destroy(s->stream);
			s->stream = NULL;
		}
	}
	pw_thread_loop_unlock(pw->loop);
	if (s->stream == NULL)
		goto fail;
	return s;
fail:
	snprintf(err, err_size, "cannot create a PipeWire stream for %s", name);
	free(s->data);
	free(s);
	return NULL;
}

void pwio_stream_free(struct pwio_stream *s)
{
	if (s == NULL)
		return;
	pw_thread_loop_lock(s->pw->loop);
	pw_stream_destroy(s->stream);
	pw_thread_loop_unlock(s->pw->loop);
	free(s->data);
	free(s);
}

void pwio_stream_write(struct pwio_stream *s, const uint8_t *data, uint32_t n)
{
	uint32_t index;
	int32_t filled = spa_ringbuffer_get_write_index(&s->ring, &index);
	uint32_t room = s->size - (uint32_t)SPA_CLAMP(filled, 0, (int32_t)s->size);

	n = SPA_MIN(n, room) / s->frame_bytes * s->frame_bytes;
	spa_ringbuffer_write_data(&s->ring, s->data, s->size, index % s->size, data, n);
	spa_ringbuffer_write_update(&s->ring, (int32_t)(index + n));
}

uint32_t pwio_stream_read(struct pwio_stream *s, uint8_t *out, uint32_t n)
{
	uint32_t index;
	int32_t avail = spa_ringbuffer_get_read_index(&s->ring, &index);

	n = SPA_MIN(n, (uint32_t)SPA_MAX(avail, 0)) / s->frame_bytes * s->frame_bytes;
	spa_ringbuffer_read_data(&s->ring, s->data, s->size, index % s->size, out, n);
	spa_ringbuffer_read_update(&s->ring, (int32_t)(index + n));
	return n;
}

void pwio_stream_set_volume(struct pwio_stream *s, const int32_t *mdb,
			    const uint8_t *mute, uint32_t channels)
{
	uint32_t n = SPA_MIN(channels, (uint32_t)SPA_AUDIO_MAX_CHANNELS);

	pw_thread_loop_lock(s->pw->loop);
	/* 0.001 dB to a linear factor; a muted channel is silent. */
	for (uint32_t c = 0; c < n; c++)
		s->volumes[c] = mute[c] ? 0.0f : powf(10.0f, (float)mdb[c] / 20000.0f);
	s->n_volumes = n;
	apply_volume(s);
	pw_thread_loop_unlock(s->pw->loop);
}

#endif
