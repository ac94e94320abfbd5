/* SPDX-License-Identifier: MIT */
/*
 * --output pipewire / --input pipewire: each guest stream becomes a
 * pw_stream in this domain's PipeWire. The Xen side never waits for
 * PipeWire: the device clock (clock.h) still paces the guest, and the
 * samples cross between the backend's loop and PipeWire's thread through
 * a lock-free ring per stream (overflow drops, underflow plays silence).
 * PipeWire is initialised only when one of the options asks for it.
 */
#ifndef XENSND_BACKEND_PWIO_H
#define XENSND_BACKEND_PWIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pwio;
struct pwio_stream;

/* Start PipeWire's thread and connect. 0, or -errno with err. */
int pwio_new(struct pwio **out, char *err, size_t err_size);
void pwio_free(struct pwio *pw);

/* One stream: spa_format is an SPA_AUDIO_FORMAT_*; ring_bytes is how
 * much it may hold (the guest's buffer). NULL with err on failure. */
struct pwio_stream *pwio_stream_new(struct pwio *pw, const char *name,
				    const char *description, bool capture,
				    uint32_t spa_format, uint32_t rate,
				    uint32_t channels, uint32_t frame_bytes,
				    uint32_t ring_bytes, char *err, size_t err_size);
void pwio_stream_free(struct pwio_stream *s);

/* Playback: queue n octets for PipeWire (what does not fit is dropped). */
void pwio_stream_write(struct pwio_stream *s, const uint8_t *data, uint32_t n);
/* Capture: take up to n octets PipeWire recorded; returns how many. */
uint32_t pwio_stream_read(struct pwio_stream *s, uint8_t *out, uint32_t n);
/* Per channel: volume in 0.001 dB, mute non-zero. */
void pwio_stream_set_volume(struct pwio_stream *s, const int32_t *mdb,
			    const uint8_t *mute, uint32_t channels);

/* Whether this build has PipeWire support. */
bool pwio_available(void);

#endif
