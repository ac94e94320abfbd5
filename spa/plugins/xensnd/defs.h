/* SPDX-License-Identifier: MIT */
/*
 * What the xensnd plugin's objects share: factory names, property keys, and
 * the stream transport a device hands to its nodes.
 *
 * Like bluez5's spa_bt_transport: the device (api.xensnd.device, one per
 * vsnd card) owns every stream's transport and its Xen resources; it
 * passes a node its transport as the property XENSND_KEY_TRANSPORT =
 * "pointer:%p". That only works in one process, which is why WirePlumber
 * creates our nodes as LocalNode("adapter", ...). The node refuses to start
 * without one.
 *
 * Volume (as bluez5's device and nodes share it): the device owns the
 * card's Routes, and sends a node its route volume as Props through the
 * session manager (SPA_DEVICE_EVENT_ObjectConfig). The adapter gives those
 * Props to our node, which sends channelVolumes/mute to the backend
 * (SET_VOLUME/MUTE), and to its converter, which applies softVolumes and
 * softMute: 1.0/false while the backend applies volume, the route's volume
 * when it refuses. The node reports which it is in `soft_volume`.
 *
 * Threads: the device and the transport's fields live on the main loop.
 * The node's data-loop side only touches the channel's ring and its
 * event-channel fd between `connected` and `disconnecting` (see events).
 */
#ifndef SPA_XENSND_DEFS_H
#define SPA_XENSND_DEFS_H

#include <stdbool.h>
#include <stdint.h>

#include <spa/support/log.h>
#include <spa/support/loop.h>
#include <spa/utils/hook.h>

#include <xensnd/channel.h>
#include <xensnd/config.h>

#define XENSND_FACTORY_ENUM	"api.xensnd.enum.xenstore"
#define XENSND_FACTORY_DEVICE	"api.xensnd.device"
#define XENSND_FACTORY_SINK	"api.xensnd.pcm.sink"
#define XENSND_FACTORY_SOURCE	"api.xensnd.pcm.source"

/* SPA_KEY_LIBRARY_NAME of every object we emit: where a session manager
 * finds our factories without a context.spa-libs entry. */
#define XENSND_LIBRARY_NAME	"xensnd/libspa-xensnd"

/* Properties on devices and nodes (documented in xensnd(7)). */
#define XENSND_KEY_DEV_ID		"api.xensnd.dev-id"
#define XENSND_KEY_PCM			"api.xensnd.pcm"
#define XENSND_KEY_STREAM		"api.xensnd.stream"
#define XENSND_KEY_UNIQUE_ID		"api.xensnd.unique-id"
#define XENSND_KEY_BACKEND_DOMID	"api.xensnd.backend-domid"
#define XENSND_KEY_PATH			"api.xensnd.path"
#define XENSND_KEY_PERIOD_FRAMES	"api.xensnd.period-frames"
#define XENSND_KEY_VOLUME_MODE		"api.xensnd.volume"	/* "backend" | "software" */
#define XENSND_KEY_TRANSPORT		"api.xensnd.transport"	/* "pointer:%p", in-process */
/* The node's index among its card's devices (= its Route's device), as
 * ALSA (acp) and BlueZ nodes have it: pipewire-pulse and WirePlumber's
 * mixer find the node's Route by it. Not in the SPA headers of 0.3.65. */
#define XENSND_KEY_PROFILE_DEVICE	"card.profile.device"

/* SPA's standard channel positions for 1..8 channels (pcm.c), shared by
 * the nodes' EnumFormat and the device's Route channelMap. */
extern const uint32_t xensnd_channel_layouts[8][8];

struct spa_handle_factory;
extern const struct spa_handle_factory xensnd_enum_factory;
extern const struct spa_handle_factory xensnd_device_factory;
extern const struct spa_handle_factory xensnd_pcm_sink_factory;
extern const struct spa_handle_factory xensnd_pcm_source_factory;

struct xensnd_transport;

struct xensnd_transport_events {
#define XENSND_VERSION_TRANSPORT_EVENTS	1
	uint32_t version;
	/* The backend is Connected and the channel is ready: the node may
	 * add the channel fd to its data loop and send requests. */
	void (*connected)(void *data);
	/* The connection is going away (backend lost, recovery, card
	 * removed). Called on the main loop BEFORE the channel is closed:
	 * the node must synchronously stop using it (remove its data-loop
	 * source with spa_loop_invoke(..., block=true)) and release the
	 * stream buffer grants it holds. */
	void (*disconnecting)(void *data);
	/* The transport is being freed; drop every pointer to it. */
	void (*destroy)(void *data);

	/* Since version 1. Node -> device, the one event a node emits:
	 * `soft_volume` changed, i.e. the node learned (on OPEN, or when
	 * volume was set) whether the backend applies volume. The device
	 * then re-sends the node's Props (ObjectConfig) with softVolumes, so
	 * that the adapter's converter applies the volume only when the
	 * backend does not. Main loop; the device must not call back into
	 * the node from here (it defers). */
	void (*volume_mode)(void *data);
};

struct xensnd_transport {
	struct spa_log *log;
	/* Static description, valid for the transport's whole life. */
	uint32_t dev_id;
	domid_t backend_domid;
	const struct xensnd_card_cfg *card;
	const struct xensnd_pcm_cfg *pcm;
	const struct xensnd_stream_cfg *stream;
	char path[128];			/* device/vsnd/<dev>/<pcm>/<stream> */
	xengntshr_handle *gntshr;	/* the card's, for stream buffers */

	/* Live state, main loop. */
	bool connected;
	/* Written by the node (xensnd_transport_report_volume), read by the
	 * device: the backend refused SET_VOLUME, volume must be applied in
	 * software. false until a refusal is seen: we assume a backend that
	 * does volume (ours does) rather than attenuate twice by default. */
	bool soft_volume;
	struct xensnd_front_channel channel;	/* valid while connected */

	struct spa_hook_list listener_list;
};

#define xensnd_transport_add_listener(t, listener, events, data) \
	spa_hook_list_append(&(t)->listener_list, listener, events, data)

#define xensnd_transport_emit(t, m, v, ...) \
	spa_hook_list_call(&(t)->listener_list, struct xensnd_transport_events, m, v, ##__VA_ARGS__)
#define xensnd_transport_emit_connected(t)	xensnd_transport_emit(t, connected, 0)
#define xensnd_transport_emit_disconnecting(t)	xensnd_transport_emit(t, disconnecting, 0)
#define xensnd_transport_emit_destroy(t)	xensnd_transport_emit(t, destroy, 0)
#define xensnd_transport_emit_volume_mode(t)	xensnd_transport_emit(t, volume_mode, 1)

/* The node's side, the one thing a node writes: whether the backend
 * applies volume. Tells the device when that changes. Main loop. */
static inline void xensnd_transport_report_volume(struct xensnd_transport *t,
						  bool backend)
{
	if (t->soft_volume == !backend)
		return;
	t->soft_volume = !backend;
	xensnd_transport_emit_volume_mode(t);
}

#endif
