/* SPDX-License-Identifier: MIT */
#include <time.h>

#include "clock.h"

/* Frames per second scaled by 1e6 + ppm, so one multiplication and one
 * division give frames without accumulating rounding error: the count
 * is always computed from start_ns, never summed tick by tick. */
#define PPM_SCALE	1000000u
#define NS_PER_S	1000000000u

__extension__ typedef unsigned __int128 u128;

static u128 scaled_rate(const struct device_clock *c)
{
	return (u128)c->rate * (u128)(int64_t)(PPM_SCALE + c->drift_ppm);
}

void device_clock_init(struct device_clock *c, uint32_t rate, int32_t drift_ppm)
{
	*c = (struct device_clock){ .rate = rate, .drift_ppm = drift_ppm };
}

void device_clock_start(struct device_clock *c, uint64_t now_ns)
{
	if (c->running)
		return;
	c->start_ns = now_ns;
	c->running = true;
}

void device_clock_stop(struct device_clock *c, uint64_t now_ns)
{
	if (!c->running)
		return;
	c->base_frames = device_clock_frames(c, now_ns);
	c->running = false;
}

uint64_t device_clock_frames(const struct device_clock *c, uint64_t now_ns)
{
	u128 elapsed;

	if (!c->running || now_ns <= c->start_ns)
		return c->base_frames;
	elapsed = (u128)(now_ns - c->start_ns) * scaled_rate(c) /
		  ((u128)NS_PER_S * PPM_SCALE);
	return c->base_frames + (uint64_t)elapsed;
}

uint64_t device_clock_time_of(const struct device_clock *c, uint64_t frame)
{
	u128 rate = scaled_rate(c);
	u128 ns;

	if (frame <= c->base_frames || rate == 0)
		return c->start_ns;
	/* Round up: at the returned time the count has reached frame. */
	ns = ((u128)(frame - c->base_frames) * NS_PER_S * PPM_SCALE + rate - 1) /
	     rate;
	return c->start_ns + (uint64_t)ns;
}

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}
