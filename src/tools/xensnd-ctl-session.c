/* SPDX-License-Identifier: MIT */
/* The frame of every stream command (see xensnd-ctl-session.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <xensnd/format.h>

#include "xensnd-ctl.h"
#include "xensnd-ctl-session.h"
#include "xensnd-ctl-wav.h"

/*
 * SIGINT/SIGTERM/SIGHUP become readable on a signalfd that every wait
 * polls. A signal our parent set to be ignored (a shell does so for
 * SIGINT of background jobs) stays ignored.
 */
static int open_signal_fd(void)
{
	static const int stoppers[] = { SIGINT, SIGTERM, SIGHUP };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(stoppers) / sizeof(stoppers[0]); i++) {
		struct sigaction old;

		if (sigaction(stoppers[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaddset(&set, stoppers[i]);
	}
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

struct xs_handle *ctl_open_xenstore(void)
{
	struct xs_handle *xs = xs_open(0);

	if (xs == NULL)
		ctl_error("cannot connect to XenStore: %s; is this a Xen guest "
			  "(or, under xensim, run through `xensim exec`)?", strerror(errno));
	return xs;
}

/* Parse the target, read the card and find the stream. Exit code. */
int ctl_session_open(struct ctl_session *ss, const struct ctl_command *cmd,
		     const char *target)
{
	char err[XENSND_ERROR_MAX];

	memset(ss, 0, sizeof(*ss));
	ss->signal_fd = -1;
	if (ctl_parse_target(target, &ss->target, err, sizeof(err)) < 0)
		return ctl_usage_error(cmd, "%s", err);
	ss->signal_fd = open_signal_fd();
	if (ss->signal_fd < 0) {
		ctl_error("cannot set up signal handling: %s", strerror(errno));
		return CTL_EXIT_FAILURE;
	}
	ss->xs = ctl_open_xenstore();
	if (ss->xs == NULL)
		return CTL_EXIT_FAILURE;
	int ret = ctl_card_open(&ss->card, ss->xs, ss->target.card, ss->signal_fd);
	ss->card_open = true;
	if (ret != CTL_EXIT_OK)
		return ret;
	ss->cfg = ctl_card_stream(&ss->card, ss->target.pcm, ss->target.stream,
				  &ss->index);
	return ss->cfg ? CTL_EXIT_OK : CTL_EXIT_FAILURE;
}

int ctl_session_connect(struct ctl_session *ss, bool verbose)
{
	int ret = ctl_card_connect(&ss->card);

	if (ret != CTL_EXIT_OK)
		return ret;
	ctl_stream_init(&ss->stream, &ss->card, ss->cfg, ss->index, &ss->target);
	ss->stream_init = true;
	if (verbose)
		fprintf(stderr, "card %s: connected to backend domain %u\n",
			ss->card.dev_id, ss->card.backend_id);
	return CTL_EXIT_OK;
}

/* Exit code: 1 if interrupted, else ret. */
int ctl_session_close(struct ctl_session *ss, int ret)
{
	if (ss->stream_init)
		ctl_stream_close(&ss->stream);
	/* The backend lets go of everything before our pages are revoked. */
	if (ss->card_open)
		ctl_card_disconnect(&ss->card);
	if (ss->stream_init)
		ctl_stream_free(&ss->stream);
	if (ss->card_open) {
		if (ss->card.interrupted && ret == CTL_EXIT_OK)
			ret = CTL_EXIT_FAILURE;
		ctl_card_close(&ss->card);
	}
	if (ss->xs)
		xs_close(ss->xs);
	if (ss->signal_fd >= 0)
		close(ss->signal_fd);
	return ret;
}

bool ctl_rate_allowed(const struct xensnd_pcm_params *p, uint32_t rate)
{
	for (uint32_t i = 0; i < p->n_rates; i++)
		if (p->rates[i] == rate)
			return true;
	return false;
}

/* Whether the stream's XenStore configuration allows these settings. */
int ctl_session_check_configured(const struct ctl_session *ss, uint8_t format,
				 uint32_t rate, uint32_t channels)
{
	const struct xensnd_pcm_params *p = &ss->cfg->params;
	const struct xensnd_format *f = xensnd_format_from_sndif(format);
	char list[512];

	if (!(p->formats & (1ull << format))) {
		xensnd_format_formats(p->formats, ',', list, sizeof(list));
		ctl_error("the stream is not configured for %s (its sample-formats: %s)",
			  f ? f->name : "?", list);
		return CTL_EXIT_FAILURE;
	}
	if (!ctl_rate_allowed(p, rate)) {
		xensnd_format_rates(p->rates, p->n_rates, ',', list, sizeof(list));
		ctl_error("the stream is not configured for %u Hz (its sample-rates: %s)",
			  rate, list);
		return CTL_EXIT_FAILURE;
	}
	if (channels < p->channels_min || channels > p->channels_max) {
		ctl_error("the stream is not configured for %u channels (it takes %u..%u)",
			  channels, p->channels_min, p->channels_max);
		return CTL_EXIT_FAILURE;
	}
	return CTL_EXIT_OK;
}

int ctl_session_check_direction(const struct ctl_session *ss, bool capture)
{
	if (ss->cfg->capture == capture)
		return CTL_EXIT_OK;
	ctl_error("stream %s/%u/%u is a %s stream; use `xensnd-ctl %s`",
		  ss->target.card, ss->target.pcm, ss->target.stream,
		  ss->cfg->capture ? "capture" : "playback",
		  ss->cfg->capture ? "record" : "play");
	return CTL_EXIT_FAILURE;
}

/*
 * Settings from the options, else defaults inside the configuration:
 * s16_le, 48000 Hz, 2 channels where allowed (what players expect).
 */
void ctl_session_pick_params(const struct ctl_session *ss, const struct ctl_options *o,
			     bool wav_only, struct ctl_stream_params *p)
{
	const struct xensnd_pcm_params *c = &ss->cfg->params;

	memset(p, 0, sizeof(*p));
	if (o->given & OPT_FORMAT) {
		p->format = o->format->sndif;
	} else if (c->formats & (1ull << XENSND_PCM_FORMAT_S16_LE)) {
		p->format = XENSND_PCM_FORMAT_S16_LE;
	} else {
		for (unsigned f = 0; f < XENSND_FORMAT_COUNT; f++)
			if ((c->formats & (1ull << f)) &&
			    (!wav_only || ctl_wav_can_write((uint8_t)f)) &&
			    xensnd_frame_bytes(f, 1) > 0) {
				p->format = (uint8_t)f;
				break;
			}
	}
	if (o->given & OPT_RATE)
		p->rate = o->rate;
	else
		p->rate = ctl_rate_allowed(c, 48000) || c->n_rates == 0 ? 48000 :
			  c->rates[c->n_rates - 1];
	if (o->given & OPT_CHANNELS)
		p->channels = o->channels;
	else
		p->channels = 2 < c->channels_min ? c->channels_min :
			      2 > c->channels_max ? c->channels_max : 2;
	p->period_frames = o->period_frames;
	p->buffer_frames = o->buffer_frames;
}


int ctl_session_open_stream(struct ctl_session *ss, const struct ctl_stream_params *p,
			    bool verbose)
{
	int ret = ctl_session_check_configured(ss, p->format, p->rate, p->channels);

	if (ret == CTL_EXIT_OK)
		ret = ctl_session_connect(ss, verbose);
	if (ret == CTL_EXIT_OK)
		ret = ctl_stream_open(&ss->stream, p);
	if (ret == CTL_EXIT_OK && verbose)
		fprintf(stderr, "%s: opened %s %u Hz %u ch, buffer %u octets, period %u octets\n",
			ss->stream.name, xensnd_format_from_sndif(p->format)->name,
			p->rate, p->channels, ss->stream.buffer_bytes,
			ss->stream.period_bytes);
	return ret;
}

