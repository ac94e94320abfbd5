/* SPDX-License-Identifier: MIT */
/*
 * api.xensnd.pcm.source: a capture stream, the sink's mirror image. A READ
 * asks the backend to copy frames it has already captured into the ring
 * (it refuses frames it does not have yet), so a period-sized READ is
 * posted as soon as CUR_POS says a whole period was captured; the answer
 * comes at once. Each cycle the oldest answered READ is copied out into a
 * graph buffer. Everything here runs on the data loop.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <spa/support/plugin.h>
#include <spa/utils/names.h>
#include <spa/utils/result.h>

#include "pcm.h"

static struct spa_log_topic log_topic = SPA_LOG_TOPIC(0, "spa.xensnd.source");
#undef SPA_LOG_TOPIC_DEFAULT
#define SPA_LOG_TOPIC_DEFAULT &log_topic

/*
 * The backend keeps one buffer (buffer_sz) of frames before the position
 * it reported and drops older ones (an overrun: our data loop was not
 * scheduled in time, xensnd-backend(8)). Skip what it dropped rather than
 * ask for it: those READs would be refused.
 */
static void skip_overrun(struct xensnd_pcm *this)
{
	uint64_t kept = this->buffer_bytes / this->port.frame_bytes;
	uint64_t lost;

	if (this->backend_pos <= this->frames_posted + kept)
		return;
	lost = this->backend_pos - kept - this->frames_posted;
	spa_log_info(this->log, "%p: %s: backend overrun: %" PRIu64 " frames lost",
		     this, this->name, lost);
	/* Counted as taken out: in flight and the delay stay right. */
	this->frames_posted += lost;
	this->frames_done += lost;
	this->xruns++;
}

static void post_reads(struct xensnd_pcm *this)
{
	uint32_t fb = this->port.frame_bytes;

	skip_overrun(this);
	while (this->backend_pos >= this->frames_posted + this->period_frames &&
	       this->frames_posted - this->frames_done + this->period_frames <= this->ring_frames) {
		/* The ring holds whole periods, so a READ never wraps. */
		if (xensnd_pcm_post_rw(this, XENSND_OP_READ, this->write_offset,
				       this->period_frames) < 0)
			return;
		this->frames_posted += this->period_frames;
		this->write_offset = (this->write_offset + this->period_frames * fb) %
				     this->ring_bytes;
	}
}

static void source_start(struct xensnd_pcm *this)
{
	this->capture_primed = false;
	xensnd_pcm_trigger_start(this);
}

/*
 * Captured data is handed out only once two READs are answered (a start
 * threshold, as ALSA capture has). Started on the first one, the node
 * would sit exactly one period behind the backend with no margin: a
 * follower's graph cycle that comes a little before the next answer,
 * which its phase against the backend's clock allows, would then get a
 * period of silence. One answered period in hand absorbs that jitter.
 */
#define CAPTURE_START_READS	2

static bool capture_ready(struct xensnd_pcm *this)
{
	uint32_t done = 0;

	if (this->capture_primed)
		return true;
	for (uint32_t i = 0; i < this->rw_count && done < CAPTURE_START_READS; i++) {
		if (!this->rw[(this->rw_head + i) % XENSND_RING_SIZE].done)
			break;
		done++;
	}
	this->capture_primed = done >= CAPTURE_START_READS;
	return this->capture_primed;
}

static void source_position(struct xensnd_pcm *this)
{
	xensnd_pcm_retry_reads(this);
	post_reads(this);
}

static void source_rw_done(struct xensnd_pcm *this, uint16_t id)
{
	/* The answered READ is taken out by the next cycle. */
}

/* Frames the backend captured that we have not taken out yet. */
static int64_t source_delay(struct xensnd_pcm *this, uint64_t now)
{
	uint64_t captured = xensnd_pcm_backend_frames(this, now);
	return captured <= this->frames_done ? 0 : (int64_t)(captured - this->frames_done);
}

static void recycle_buffer(struct xensnd_pcm *this, uint32_t id)
{
	struct xensnd_pcm_buffer *b = &this->port.buffers[id];

	if (SPA_FLAG_IS_SET(b->flags, BUFFER_FLAG_OUT)) {
		SPA_FLAG_CLEAR(b->flags, BUFFER_FLAG_OUT);
		spa_list_append(&this->port.free, &b->link);
	}
}

/* Fill one graph buffer from the oldest answered READ (silence if late). */
static void produce(struct xensnd_pcm *this)
{
	struct xensnd_pcm_port *port = &this->port;
	struct xensnd_pcm_buffer *b;
	struct xensnd_pcm_rw *rw;
	struct spa_data *d;
	uint32_t fb = port->frame_bytes, frames;

	if (spa_list_is_empty(&port->free)) {
		this->xruns++;
		return;
	}
	b = spa_list_first(&port->free, struct xensnd_pcm_buffer, link);
	d = &b->buf->datas[0];

	rw = xensnd_pcm_rw_oldest(this);
	if (!capture_ready(this)) {
		/* Starting: silence until the start threshold, not an xrun. */
		frames = SPA_MIN(xensnd_pcm_cycle_frames(this), d->maxsize / fb);
		memset(d->data, 0, (size_t)frames * fb);
	} else if (rw != NULL && rw->done && this->ring_data != NULL) {
		frames = SPA_MIN(rw->frames, d->maxsize / fb);
		memcpy(d->data, this->ring_data + rw->offset, (size_t)frames * fb);
		this->frames_done += rw->frames;
		xensnd_pcm_rw_pop(this);
	} else {
		/* The backend is late: the graph still needs a cycle. */
		frames = SPA_MIN(xensnd_pcm_cycle_frames(this), d->maxsize / fb);
		memset(d->data, 0, (size_t)frames * fb);
		this->xruns++;
	}
	xensnd_pcm_soft_volume(this, d->data, frames);
	d->chunk->offset = 0;
	d->chunk->size = frames * fb;
	d->chunk->stride = (int32_t)fb;
	d->chunk->flags = 0;

	spa_list_remove(&b->link);
	spa_list_append(&port->ready, &b->link);
	if (this->running)
		post_reads(this);
}

/* Hand the oldest ready buffer to the graph. */
static int hand_out(struct xensnd_pcm *this)
{
	struct xensnd_pcm_port *port = &this->port;
	struct spa_io_buffers *io = port->io;
	struct xensnd_pcm_buffer *b;

	if (io->status == SPA_STATUS_HAVE_DATA)
		return SPA_STATUS_HAVE_DATA;
	if (io->buffer_id < port->n_buffers) {
		recycle_buffer(this, io->buffer_id);
		io->buffer_id = SPA_ID_INVALID;
	}
	if (spa_list_is_empty(&port->ready))
		return SPA_STATUS_OK;
	b = spa_list_first(&port->ready, struct xensnd_pcm_buffer, link);
	spa_list_remove(&b->link);
	SPA_FLAG_SET(b->flags, BUFFER_FLAG_OUT);
	io->buffer_id = b->id;
	io->status = SPA_STATUS_HAVE_DATA;
	return SPA_STATUS_HAVE_DATA;
}

static void source_cycle(struct xensnd_pcm *this)
{
	if (this->port.io == NULL)
		return;
	if (xensnd_pcm_quantum_changed(this))
		xensnd_pcm_request_reopen(this);
	produce(this);
	hand_out(this);
	spa_node_call_ready(&this->callbacks, SPA_STATUS_HAVE_DATA);
}

static int source_process(struct xensnd_pcm *this)
{
	struct xensnd_pcm_port *port = &this->port;
	struct spa_io_buffers *io = port->io;

	if (SPA_UNLIKELY(io == NULL))
		return -EIO;
	if (io->status == SPA_STATUS_HAVE_DATA)
		return SPA_STATUS_HAVE_DATA;
	if (this->running && this->following && spa_list_is_empty(&port->ready)) {
		uint64_t now = xensnd_pcm_now(this);
		if (xensnd_pcm_quantum_changed(this))
			xensnd_pcm_request_reopen(this);
		produce(this);
		/* Measured after taking a cycle out: one cycle below the target. */
		xensnd_pcm_update_time(this, now, source_delay(this, now),
				       xensnd_pcm_target(this) - this->period_frames);
	}
	return hand_out(this);
}

static const struct xensnd_pcm_dir_ops source_ops = {
	.port_direction = SPA_DIRECTION_OUTPUT,
	.media_class = "Audio/Source",
	.start = source_start,
	.rw_done = source_rw_done,
	.position = source_position,
	.delay = source_delay,
	.cycle = source_cycle,
	.process = source_process,
};

static int impl_init(const struct spa_handle_factory *factory, struct spa_handle *handle,
		     const struct spa_dict *info, const struct spa_support *support,
		     uint32_t n_support)
{
	spa_return_val_if_fail(factory != NULL, -EINVAL);
	spa_return_val_if_fail(handle != NULL, -EINVAL);

	handle->get_interface = xensnd_pcm_get_interface;
	handle->clear = xensnd_pcm_clear;
	spa_log_topic_init(spa_support_find(support, n_support, SPA_TYPE_INTERFACE_Log),
			   &log_topic);
	return xensnd_pcm_init((struct xensnd_pcm *)handle, &source_ops, info, support,
			       n_support);
}

static const struct spa_dict_item info_items[] = {
	{ SPA_KEY_FACTORY_AUTHOR, "pipewire-xensnd" },
	{ SPA_KEY_FACTORY_DESCRIPTION, "Capture audio from a Xen para-virtual sound (sndif) stream" },
	{ SPA_KEY_FACTORY_USAGE, XENSND_KEY_TRANSPORT "=<transport>" },
};

static const struct spa_dict info = SPA_DICT_INIT_ARRAY(info_items);

const struct spa_handle_factory xensnd_pcm_source_factory = {
	SPA_VERSION_HANDLE_FACTORY,
	XENSND_FACTORY_SOURCE,
	&info,
	xensnd_pcm_factory_get_size,
	impl_init,
	xensnd_pcm_factory_enum_interface_info,
};
