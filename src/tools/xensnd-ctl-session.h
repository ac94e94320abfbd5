/* SPDX-License-Identifier: MIT */
/*
 * What every stream command of xensnd-ctl does around its own work: parse
 * the CARD/PCM/STREAM target, open XenStore and the signal fd, read the
 * card, check the wanted settings against the stream's configuration,
 * connect, open the stream, and close everything in the right order.
 * Functions return exit codes (ctl_exit) and print their own messages.
 */
#ifndef XENSND_CTL_SESSION_H
#define XENSND_CTL_SESSION_H

#include <stdbool.h>
#include <stddef.h>	/* offsetof, which xen/io/ring.h uses */
#include <stdint.h>

#include "xensnd-ctl-card.h"
#include "xensnd-ctl-cmdline.h"
#include "xensnd-ctl-parse.h"
#include "xensnd-ctl-stream.h"

struct ctl_session {
	struct xs_handle *xs;
	int signal_fd;
	struct ctl_target target;
	struct ctl_card card;
	bool card_open;
	const struct xensnd_stream_cfg *cfg;
	uint32_t index;
	struct ctl_stream stream;
	bool stream_init;
};

int ctl_session_open(struct ctl_session *ss, const struct ctl_command *cmd,
		     const char *target);
/* Handshake, and the stream bound to its channel. */
int ctl_session_connect(struct ctl_session *ss, bool verbose);
/* Check, connect, OPEN. */
int ctl_session_open_stream(struct ctl_session *ss,
			    const struct ctl_stream_params *p, bool verbose);
/* Close all that is open; returns ret, or 1 if a signal cut the session short. */
int ctl_session_close(struct ctl_session *ss, int ret);

bool ctl_rate_allowed(const struct xensnd_pcm_params *p, uint32_t rate);
int ctl_session_check_configured(const struct ctl_session *ss, uint8_t format,
				 uint32_t rate, uint32_t channels);
int ctl_session_check_direction(const struct ctl_session *ss, bool capture);
/* Settings from the options, else defaults inside the configuration. */
void ctl_session_pick_params(const struct ctl_session *ss,
			     const struct ctl_options *o, bool wav_only,
			     struct ctl_stream_params *p);
/* XenStore, with a message saying what to check when it is not there. */
struct xs_handle *ctl_open_xenstore(void);

#endif
