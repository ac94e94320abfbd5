/* SPDX-License-Identifier: MIT */
/*
 * api.xensnd.pcm.sink: a playback stream. Each cycle the quantum is
 * copied into the shared ring buffer at the write offset and posted with
 * XENSND_OP_WRITE, without waiting for the answer; the answer frees that
 * part of the ring again. Everything here runs on the data loop.
 */
#include <errno.h>
#include <string.h>

#include <spa/support/plugin.h>
#include <spa/utils/names.h>
#include <spa/utils/result.h>

#include "pcm.h"

static struct spa_log_topic log_topic = SPA_LOG_TOPIC(0, "spa.xensnd.sink");
#undef SPA_LOG_TOPIC_DEFAULT
#define SPA_LOG_TOPIC_DEFAULT &log_topic

/*
 * Frames the backend holds: written but not yet played by its last
 * CUR_POS. The backend queues a WRITE at once and has room for buffer_sz
 * octets (ring + tail), so keeping this within the ring never overflows
 * it; and a WRITE's part of the ring is only reused after it was answered.
 */
static uint64_t frames_queued(struct xensnd_pcm *this)
{
	uint64_t unacked = this->frames_done - this->acked_frames;
	uint64_t unplayed = this->frames_done - SPA_MIN(this->backend_pos, this->frames_done);
	return SPA_MAX(unacked, unplayed);
}

/* Copy into the ring at the write offset (wrapping), post one WRITE per piece. */
static int write_ring(struct xensnd_pcm *this, const uint8_t *src, uint32_t frames)
{
	uint32_t fb = this->port.frame_bytes;
	uint32_t left = frames;
	int res;

	/* Not started, or stopped for a close/reopen: the main thread may be
	 * freeing or reallocating the buffer. */
	if (this->ring_data == NULL)
		return -EIO;
	if (frames_queued(this) + frames > this->ring_frames)
		return -ENOSPC;
	while (left > 0) {
		uint32_t room = (this->ring_bytes - this->write_offset) / fb;
		uint32_t n = SPA_MIN(left, room);
		uint8_t *dst = this->ring_data + this->write_offset;

		if (src) {
			memcpy(dst, src, (size_t)n * fb);
			xensnd_pcm_soft_volume(this, dst, n);
			src += (size_t)n * fb;
		} else {
			memset(dst, 0, (size_t)n * fb);
		}
		if ((res = xensnd_pcm_post_rw(this, XENSND_OP_WRITE, this->write_offset, n)) < 0)
			return res;
		this->frames_done += n;
		this->write_offset = (this->write_offset + n * fb) % this->ring_bytes;
		left -= n;
	}
	return 0;
}

static void sink_start(struct xensnd_pcm *this)
{
	/* Silence up to the target fill first (as ALSA prefills), so the
	 * backend never starves while the graph produces the first quantum,
	 * and the DLL starts where it should settle instead of winding up;
	 * then the backend's clock runs. */
	write_ring(this, NULL, (uint32_t)SPA_MIN(xensnd_pcm_target(this),
						 (int64_t)this->ring_frames / 2));
	xensnd_pcm_trigger_start(this);
}

/* Answers come in ring order; drop the answered head of the FIFO. */
static void sink_rw_done(struct xensnd_pcm *this, uint16_t id)
{
	struct xensnd_pcm_rw *rw;

	while ((rw = xensnd_pcm_rw_oldest(this)) != NULL && rw->done)
		xensnd_pcm_rw_pop(this);
}

/* Frames the backend still has to play. */
static int64_t sink_delay(struct xensnd_pcm *this, uint64_t now)
{
	uint64_t played = xensnd_pcm_backend_frames(this, now);
	return played >= this->frames_done ? 0 : (int64_t)(this->frames_done - played);
}

static void sink_position(struct xensnd_pcm *this)
{
	/* The timer paces us; positions only feed the DLL. */
}

static void sink_cycle(struct xensnd_pcm *this)
{
	spa_node_call_ready(&this->callbacks, SPA_STATUS_NEED_DATA);
}

static void write_buffer(struct xensnd_pcm *this, struct spa_buffer *buf)
{
	struct spa_data *d = &buf->datas[0];
	uint32_t offset = SPA_MIN(d->chunk->offset, d->maxsize);
	uint32_t size = SPA_MIN(d->chunk->size, d->maxsize - offset);
	uint32_t frames = size / this->port.frame_bytes;
	int res;

	if (frames == 0)
		return;
	if (xensnd_pcm_quantum_changed(this))
		xensnd_pcm_request_reopen(this);
	if ((res = write_ring(this, SPA_PTROFF(d->data, offset, const uint8_t), frames)) < 0) {
		this->xruns++;
		spa_log_debug(this->log, "%p: ring full, %u frames dropped (%s)", this,
			      frames, spa_strerror(res));
		return;
	}
	if (!this->triggered)
		xensnd_pcm_trigger_start(this);
	if (this->following) {
		/* Measured right after writing: one cycle above the target. */
		uint64_t now = xensnd_pcm_now(this);
		xensnd_pcm_update_time(this, now, sink_delay(this, now),
				       xensnd_pcm_target(this) + this->period_frames);
	}
}

static int sink_process(struct xensnd_pcm *this)
{
	struct xensnd_pcm_port *port = &this->port;
	struct spa_io_buffers *io = port->io;

	if (SPA_UNLIKELY(io == NULL))
		return -EIO;
	if (io->status != SPA_STATUS_HAVE_DATA)
		return io->status;
	if (io->buffer_id >= port->n_buffers) {
		io->status = -EINVAL;
		return io->status;
	}
	if (this->running)
		write_buffer(this, port->buffers[io->buffer_id].buf);
	io->status = SPA_STATUS_NEED_DATA;
	return SPA_STATUS_HAVE_DATA;
}

static const struct xensnd_pcm_dir_ops sink_ops = {
	.port_direction = SPA_DIRECTION_INPUT,
	.media_class = "Audio/Sink",
	.start = sink_start,
	.rw_done = sink_rw_done,
	.position = sink_position,
	.delay = sink_delay,
	.cycle = sink_cycle,
	.process = sink_process,
};

static int impl_init(const struct spa_handle_factory *factory, struct spa_handle *handle,
		     const struct spa_dict *info, const struct spa_support *support,
		     uint32_t n_support)
{
	struct xensnd_pcm *this;

	spa_return_val_if_fail(factory != NULL, -EINVAL);
	spa_return_val_if_fail(handle != NULL, -EINVAL);

	handle->get_interface = xensnd_pcm_get_interface;
	handle->clear = xensnd_pcm_clear;
	this = (struct xensnd_pcm *)handle;
	spa_log_topic_init(spa_support_find(support, n_support, SPA_TYPE_INTERFACE_Log),
			   &log_topic);
	return xensnd_pcm_init(this, &sink_ops, info, support, n_support);
}

static const struct spa_dict_item info_items[] = {
	{ SPA_KEY_FACTORY_AUTHOR, "pipewire-xensnd" },
	{ SPA_KEY_FACTORY_DESCRIPTION, "Play audio to a Xen para-virtual sound (sndif) stream" },
	{ SPA_KEY_FACTORY_USAGE, XENSND_KEY_TRANSPORT "=<transport>" },
};

static const struct spa_dict info = SPA_DICT_INIT_ARRAY(info_items);

const struct spa_handle_factory xensnd_pcm_sink_factory = {
	SPA_VERSION_HANDLE_FACTORY,
	XENSND_FACTORY_SINK,
	&info,
	xensnd_pcm_factory_get_size,
	impl_init,
	xensnd_pcm_factory_enum_interface_info,
};
