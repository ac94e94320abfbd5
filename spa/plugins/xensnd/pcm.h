/* SPDX-License-Identifier: MIT */
/*
 * The machinery the sndif PCM sink and source share (as alsa-pcm.c is for
 * alsa-pcm-sink.c / alsa-pcm-source.c): one node with one port, fed by a
 * stream transport the device hands over.
 *
 * pcm.c owns everything that does not depend on the direction: the node
 * interface, params (EnumFormat narrowed by HW_PARAM_QUERY, Format,
 * Buffers, Latency), props and volume, the stream's life cycle (buffer
 * grants, OPEN/CLOSE), request bookkeeping, the timer and the DLL.
 * pcm-sink.c / pcm-source.c fill in struct xensnd_pcm_dir_ops: how a cycle
 * moves audio between the graph and the shared buffer.
 *
 * Threads. Main loop: params, props, format, start/stop, buffer allocation,
 * OPEN/CLOSE/QUERY/volume requests, transport events. Data loop: the
 * timer, the channel fd (responses and CUR_POS events), process(), and
 * every push on the request ring (the ring has a single user, see ring.h).
 * The main thread hands a request to the data loop with spa_loop_invoke
 * and waits for its response on an eventfd the data loop signals.
 *
 * The other way, the data loop never calls spa_loop_invoke(main_loop) for
 * work that blocks: WirePlumber "enters" its main loop only while it
 * dispatches, and spa_loop_invoke on a loop nobody has entered runs the
 * callback at once, in the caller's thread. A reopen run that way blocked
 * the data loop (nobody read the CLOSE/OPEN responses, both timed out) and
 * freed the buffer under the process() that asked for it. So the data
 * loop asks for a reopen (or a new Latency, see pcm.c raise_headroom) by
 * signalling `main_source`, an eventfd source on the main loop, and the
 * main thread does it.
 *
 * The stream buffer: the main thread allocates, grants and frees it; the
 * data loop reaches it only through `ring_data`, which do_stream_start sets
 * (after the buffer is set up and OPEN answered) and do_stream_stop clears
 * (before it is freed), both on the data loop by a blocking invoke.
 */
#ifndef SPA_XENSND_PCM_H
#define SPA_XENSND_PCM_H

#include <stdbool.h>
#include <stdint.h>

#include <spa/support/plugin.h>
#include <spa/utils/dict.h>
#include <spa/node/node.h>
#include <spa/node/event.h>
#include <spa/pod/event.h>
#include <spa/node/io.h>
#include <spa/node/utils.h>
#include <spa/param/audio/format-utils.h>
#include <spa/param/latency-utils.h>
#include <spa/support/log.h>
#include <spa/support/loop.h>
#include <spa/support/system.h>
#include <spa/utils/dll.h>
#include <spa/utils/hook.h>
#include <spa/utils/list.h>

#include <xensnd/channel.h>
#include <xensnd/format.h>

#include "defs.h"

/* Node property (and Props param) of this node, beside defs.h's keys. */
#define XENSND_KEY_HEADROOM		"api.xensnd.headroom"

#define XENSND_PCM_MAX_BUFFERS		32
#define XENSND_PCM_MAX_CHANNELS		SPA_AUDIO_MAX_CHANNELS
/* A request the backend has not answered by then is a dead backend. */
#define XENSND_PCM_REQUEST_TIMEOUT_NS	(1000 * SPA_NSEC_PER_MSEC)
/*
 * Wake-ups of the event channel in one graph cycle that bring neither a
 * response nor an event, before the channel is left alone until the next
 * cycle: a backend flooding it (hostile or broken) must not keep the data
 * loop, which every other node of the process shares, spinning.
 */
#define XENSND_PCM_MAX_EMPTY_WAKES	8
/* Periods in the shared ring buffer (fewer if buffer-size forbids). */
#define XENSND_PCM_PERIODS		4
#define XENSND_PCM_MIN_PERIODS		2
#define XENSND_PCM_DEFAULT_QUANTUM	1024
/* Frames kept in the backend beyond the cycle's own: the notification path
 * (event channel, and the hub under xensim) has a few ms of jitter. */
#define XENSND_PCM_DEFAULT_HEADROOM	256
/* After the graph ran late the headroom may grow to this many times its
 * start (or one cycle, if that is more), until the stream stops. */
#define XENSND_PCM_HEADROOM_GROWTH	4
/* The ring holds at least this much, whatever the quantum. */
#define XENSND_PCM_MIN_RING_FRAMES	2048
/* Volume as sent to the backend is clamped to this floor (0.001 dB). */
#define XENSND_PCM_MIN_VOLUME_MDB	(-144000)

struct xensnd_pcm;

/* What differs between a sink and a source. Every call runs on the data loop. */
struct xensnd_pcm_dir_ops {
	enum spa_direction port_direction;	/* INPUT for a sink */
	const char *media_class;		/* "Audio/Sink" */
	/* The stream was (re)opened and triggered: reset the data path. */
	void (*start)(struct xensnd_pcm *this);
	/* A READ/WRITE was answered (status already checked). */
	void (*rw_done)(struct xensnd_pcm *this, uint16_t id);
	/* The driver's timer fired: frames the backend holds for us (sink)
	 * or has ready for us (source), for the DLL. */
	int64_t (*delay)(struct xensnd_pcm *this, uint64_t now);
	/* New CUR_POS position(s) arrived. */
	void (*position)(struct xensnd_pcm *this);
	/* The driver's cycle: tell the graph (spa_node_call_ready). */
	void (*cycle)(struct xensnd_pcm *this);
	/* spa_node_process */
	int (*process)(struct xensnd_pcm *this);
};

struct xensnd_pcm_buffer {
	uint32_t id;
#define BUFFER_FLAG_OUT	(1u << 0)
	uint32_t flags;
	struct spa_buffer *buf;
	struct spa_list link;
};

/* Volume and mute as the node's Props. */
struct xensnd_pcm_props {
	float volume;
	bool mute;
	uint32_t n_channels;
	float channel_volumes[XENSND_PCM_MAX_CHANNELS];
	uint32_t channel_map[XENSND_PCM_MAX_CHANNELS];
	uint32_t period_frames;		/* api.xensnd.period-frames; 0: the quantum */
	uint32_t headroom;		/* api.xensnd.headroom, frames */
};

/* The backend's answer to HW_PARAM_QUERY, validated and clamped to config. */
struct xensnd_pcm_hw_ranges {
	bool valid;
	uint64_t formats;
	uint32_t rate_min, rate_max;
	uint32_t channels_min, channels_max;
	uint32_t buffer_min, buffer_max;	/* frames; 0: no limit given */
	uint32_t period_min, period_max;	/* frames; 0: no limit given */
};

/* One READ or WRITE in flight, in ring order. */
struct xensnd_pcm_rw {
	uint16_t id;
	bool done;
	bool retry;		/* READ refused with EAGAIN: post again on CUR_POS */
	uint32_t offset;	/* octets into the audio ring */
	uint32_t frames;
	uint64_t sent_ns;
};

struct xensnd_pcm_port {
	uint64_t info_all;
	struct spa_port_info info;
#define PORT_EnumFormat	0
#define PORT_Meta	1
#define PORT_IO		2
#define PORT_Format	3
#define PORT_Buffers	4
#define PORT_Latency	5
#define N_PORT_PARAMS	6
	struct spa_param_info params[N_PORT_PARAMS];

	struct spa_io_buffers *io;
	struct spa_io_rate_match *rate_match;
	struct spa_latency_info latency[2];

	bool have_format;
	struct spa_audio_info_raw format;
	const struct xensnd_format *xformat;
	uint32_t frame_bytes;

	struct xensnd_pcm_buffer buffers[XENSND_PCM_MAX_BUFFERS];
	uint32_t n_buffers;
	struct spa_list free;	/* source: buffers we may fill */
	struct spa_list ready;	/* source: filled, not yet handed out */
};

struct xensnd_pcm {
	struct spa_handle handle;
	struct spa_node node;

	struct spa_log *log;
	struct spa_loop *main_loop;
	struct spa_loop *data_loop;
	struct spa_system *main_system;
	struct spa_system *data_system;

	const struct xensnd_pcm_dir_ops *ops;
	struct xensnd_transport *transport;
	struct spa_hook transport_listener;
	char name[192];			/* "card <dev> (<short-name>) stream <path>", for log lines */

	struct spa_hook_list hooks;
	struct spa_callbacks callbacks;

	uint64_t info_all;
	struct spa_node_info info;
#define NODE_PropInfo		0
#define NODE_Props		1
#define NODE_IO			2
#define NODE_ProcessLatency	3
#define N_NODE_PARAMS		4
	struct spa_param_info params[N_NODE_PARAMS];
	struct spa_process_latency_info process_latency;

	struct xensnd_pcm_props props;
	uint32_t quantum_limit;
	char latency_str[32];		/* node.latency we ask for */
	char period_str[16];

	struct spa_io_clock *clock;
	struct spa_io_position *position;

	struct xensnd_pcm_port port;
	struct xensnd_pcm_hw_ranges hw;

	/* ---- main loop: the stream in the backend ---- */
	bool started;			/* Start command seen, not paused */
	bool channel_added;		/* the channel fd is on the data loop */
	bool stream_open;		/* OPEN answered, buffer granted */
	bool backend_volume;		/* the backend took SET_VOLUME */
	bool error;			/* node is in error until re-start */
	struct xensnd_front_buffer buffer;
	uint32_t rate;			/* of the open stream */
	uint32_t period_frames;
	uint32_t opened_cycle;	/* cycle frames the period was chosen for */
	uint32_t n_periods;
	uint32_t ring_bytes;		/* audio part of the buffer */
	uint32_t ring_frames;
	uint32_t volume_offset;		/* tail area for SET_VOLUME/MUTE payloads */
	uint32_t buffer_bytes;		/* ring + tail: OPEN's buffer_sz */

	/* ---- the data loop asks the main loop to re-OPEN or report ---- */
	struct spa_source main_source;		/* eventfd on the main loop */
	bool main_source_added;

	/* ---- a main-thread request waiting for its response ---- */
	int sync_fd;			/* eventfd, signalled by the data loop */
	struct {
		bool waiting;		/* data loop: hand the response over */
		uint16_t id;
		int push_res;
		struct xensnd_resp resp;
	} sync;

	/* ---- data loop ---- */
	struct spa_source channel_source;
	struct spa_source timer_source;
	struct xensnd_front_ring *ring;	/* &transport->channel.ring while added */
	/* The stream buffer while the data path may use it: set by
	 * do_stream_start, NULL after do_stream_stop / do_remove_channel. */
	uint8_t *ring_data;
	bool following;
	bool running;			/* data path active (stream open, started) */
	bool tracking;			/* CUR_POS followed (running, or draining) */
	bool freerun;			/* backend gone while driving: clock only */
	bool triggered;			/* TRIGGER start sent */
	uint16_t trigger_id;
	uint64_t trigger_sent_ns;	/* 0 once answered */
	bool failed;			/* data loop hit an error, reported once */
	bool reopen_pending;		/* asked the main loop to re-OPEN (until
					 * the next start or stop) */
	bool latency_pending;		/* asked it to report the new target */
	/* Frames added to api.xensnd.headroom because the graph ran late,
	 * up to headroom_max (set at OPEN: the ring has room for it); back
	 * to 0 when the stream stops. */
	uint32_t headroom_boost;
	uint32_t headroom_max;
	bool headroom_filling;		/* raised; the fill is not there yet */
	uint64_t next_time;
	uint64_t cycle_time;		/* when the current cycle started */
	struct spa_dll dll;
	double max_error;

	uint64_t frames_done;		/* sink: written; source: taken out */
	uint64_t frames_posted;		/* source: READs posted */
	uint64_t acked_frames;		/* WRITE/READ answered */
	uint64_t backend_pos;		/* frames, from CUR_POS */
	uint64_t backend_pos_time;
	bool have_pos;
	/* A bad CUR_POS is logged as a warning once per start, then at
	 * debug level: a backend sending one every period must not turn the
	 * data loop into a log writer. */
	bool warned_pos_back;
	bool warned_pos_ahead;
	bool warned_no_pos;
	uint64_t started_ns;		/* when the data loop started the stream */
	uint32_t write_offset;		/* octets into the ring */
	uint32_t xruns;
	uint32_t read_retries;		/* READs refused with EAGAIN, posted again */
	bool capture_primed;		/* source: enough answered READs to start */
	bool read_refused;		/* since the last READ answered: log once */
	uint32_t dll_reports;		/* DLL state lines logged at info level */
	/* Wake-ups of the channel that brought nothing, this cycle; past
	 * XENSND_PCM_MAX_EMPTY_WAKES the channel is muted until the next. */
	uint32_t empty_wakes;
	bool channel_muted;
	bool warned_flood;

	struct xensnd_pcm_rw rw[XENSND_RING_SIZE];
	uint32_t rw_head, rw_count;	/* FIFO of READ/WRITE in flight */
};

/* Factories' common parts. */
/* The sink and source factories differ only in init. */
size_t xensnd_pcm_factory_get_size(const struct spa_handle_factory *factory,
				   const struct spa_dict *params);
int xensnd_pcm_factory_enum_interface_info(const struct spa_handle_factory *factory,
					   const struct spa_interface_info **info,
					   uint32_t *index);
int xensnd_pcm_init(struct xensnd_pcm *this, const struct xensnd_pcm_dir_ops *ops,
		    const struct spa_dict *info, const struct spa_support *support,
		    uint32_t n_support);
int xensnd_pcm_get_interface(struct spa_handle *handle, const char *type,
			     void **interface);
int xensnd_pcm_clear(struct spa_handle *handle);

/* ---- for the direction halves (data loop) ---- */

/* Frames of the graph cycle (the quantum). */
uint32_t xensnd_pcm_cycle_frames(struct xensnd_pcm *this);
/* The fill the DLL aims at when the node wakes: frames the backend holds
 * (sink) or has captured for us (source). */
int64_t xensnd_pcm_target(struct xensnd_pcm *this);
/* Post a READ/WRITE of frames at offset; adds it to the in-flight FIFO. */
int xensnd_pcm_post_rw(struct xensnd_pcm *this, uint8_t op, uint32_t offset,
		       uint32_t frames);
/* The oldest READ/WRITE in flight, or NULL. */
struct xensnd_pcm_rw *xensnd_pcm_rw_oldest(struct xensnd_pcm *this);
void xensnd_pcm_rw_pop(struct xensnd_pcm *this);
/* Post again, in their places, the READs the backend refused with EAGAIN. */
void xensnd_pcm_retry_reads(struct xensnd_pcm *this);
/* Post TRIGGER start once. */
void xensnd_pcm_trigger_start(struct xensnd_pcm *this);
/* Backend frames played/captured by now (extrapolated from CUR_POS). */
uint64_t xensnd_pcm_backend_frames(struct xensnd_pcm *this, uint64_t now);
/* Feed the DLL with err; as driver it also sets the clock. Returns corr. */
double xensnd_pcm_update_time(struct xensnd_pcm *this, uint64_t now,
			      int64_t delay, int64_t target);
/* Whether the graph quantum differs from the one the stream was opened for. */
bool xensnd_pcm_quantum_changed(struct xensnd_pcm *this);
/* The quantum changed: ask the main loop to re-OPEN with a matching period. */
void xensnd_pcm_request_reopen(struct xensnd_pcm *this);
/* Put the node in error (log line names card and stream), once. */
void xensnd_pcm_fail(struct xensnd_pcm *this, int res, const char *what);
/* Software volume (when the backend does not do it), in place. */
void xensnd_pcm_soft_volume(struct xensnd_pcm *this, void *data, uint32_t frames);
uint64_t xensnd_pcm_now(struct xensnd_pcm *this);

#endif
