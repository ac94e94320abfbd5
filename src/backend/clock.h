/* SPDX-License-Identifier: MIT */
/*
 * A stream's device clock: how many frames a device running at `rate`
 * has played or captured by a CLOCK_MONOTONIC time, with a drift in
 * parts per million (--clock-drift) to emulate a device crystal that runs
 * fast (positive) or slow (negative). Pure arithmetic; times are in ns.
 */
#ifndef XENSND_BACKEND_CLOCK_H
#define XENSND_BACKEND_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_DRIFT_PPM_MAX	100000	/* 10 %: beyond any real crystal */

struct device_clock {
	uint32_t rate;
	int32_t drift_ppm;
	bool running;
	uint64_t start_ns;	/* when the clock last started running */
	uint64_t base_frames;	/* frames counted before start_ns */
};

void device_clock_init(struct device_clock *c, uint32_t rate, int32_t drift_ppm);
/* Start (or resume) counting from now; a running clock is left alone. */
void device_clock_start(struct device_clock *c, uint64_t now_ns);
/* Stop (or pause) counting: the count freezes at now. */
void device_clock_stop(struct device_clock *c, uint64_t now_ns);
/* Frames counted by now (never less than at an earlier now). */
uint64_t device_clock_frames(const struct device_clock *c, uint64_t now_ns);
/* The first time at which the count reaches frame (>= base). Running only. */
uint64_t device_clock_time_of(const struct device_clock *c, uint64_t frame);

/* CLOCK_MONOTONIC now, in ns. */
uint64_t monotonic_ns(void);

#endif
