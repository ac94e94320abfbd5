/* SPDX-License-Identifier: MIT */
/* The lifecycle of a stream's transport, owned by its device. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <spa/utils/result.h>

#include "transport.h"

static struct spa_log_topic log_topic = SPA_LOG_TOPIC(0, "spa.xensnd.transport");
#undef SPA_LOG_TOPIC_DEFAULT
#define SPA_LOG_TOPIC_DEFAULT &log_topic

void xensnd_transport_init(struct xensnd_transport *t, struct spa_log *log,
			   uint32_t dev_id, domid_t backend_domid,
			   const struct xensnd_card_cfg *card,
			   const struct xensnd_pcm_cfg *pcm,
			   const struct xensnd_stream_cfg *stream,
			   const char *card_path, xengntshr_handle *gntshr)
{
	spa_zero(*t);
	t->log = log;
	spa_log_topic_init(log, &log_topic);
	t->dev_id = dev_id;
	t->backend_domid = backend_domid;
	t->card = card;
	t->pcm = pcm;
	t->stream = stream;
	snprintf(t->path, sizeof(t->path), "%s/%u/%u", card_path,
		 pcm->index, stream->index);
	t->gntshr = gntshr;
	spa_hook_list_init(&t->listener_list);
}

bool xensnd_transport_is_open(const struct xensnd_transport *t)
{
	/* The channel owns its xenevtchn handle exactly while it is open;
	 * we zero the channel on close, so the handle doubles as the flag. */
	return t->channel.evtchn != NULL;
}

int xensnd_transport_open(struct xensnd_transport *t)
{
	int res;

	if (xensnd_transport_is_open(t))
		return 0;
	res = xensnd_front_channel_open(&t->channel, t->gntshr, t->backend_domid);
	if (res < 0) {
		spa_log_error(t->log, "%p: %s: cannot open the stream's ring and "
			      "event channels for backend domain %u: %s", t,
			      t->path, t->backend_domid, spa_strerror(res));
		spa_zero(t->channel);
		return res;
	}
	spa_log_debug(t->log, "%p: %s: ring-ref %u event-channel %u "
		      "evt-ring-ref %u evt-event-channel %u", t, t->path,
		      t->channel.keys.ring_ref, t->channel.keys.evtchn,
		      t->channel.keys.evt_ring_ref, t->channel.keys.evt_evtchn);
	return 0;
}

void xensnd_transport_connect(struct xensnd_transport *t)
{
	if (t->connected || !xensnd_transport_is_open(t))
		return;
	t->connected = true;
	spa_log_info(t->log, "%p: %s: connected", t, t->path);
	xensnd_transport_emit_connected(t);
}

void xensnd_transport_close(struct xensnd_transport *t)
{
	if (t->connected) {
		/* Nodes stop touching the channel before we release it. */
		spa_log_info(t->log, "%p: %s: disconnecting", t, t->path);
		xensnd_transport_emit_disconnecting(t);
		t->connected = false;
	}
	if (xensnd_transport_is_open(t)) {
		xensnd_front_channel_close(&t->channel);
		spa_zero(t->channel);
	}
}

void xensnd_transport_clear(struct xensnd_transport *t)
{
	xensnd_transport_close(t);
	xensnd_transport_emit_destroy(t);
	/* defs.h: listeners remove themselves in destroy. One that did not
	 * would be called on freed memory later; say so while we still can. */
	if (!spa_list_is_empty(&t->listener_list.list)) {
		spa_log_warn(t->log, "%p: %s: a listener kept its hook after "
			     "destroy; removing it", t, t->path);
		spa_hook_list_clean(&t->listener_list);
	}
}
