/* SPDX-License-Identifier: MIT */
/*
 * Command-line values of xensnd-ctl: stream addresses, volumes, numbers.
 * Pure functions (no Xen, no I/O), unit-tested in tests/ctl. Each returns
 * 0, or -EINVAL with the reason in err ("volume "x": not a number").
 */
#ifndef XENSND_CTL_PARSE_H
#define XENSND_CTL_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define CTL_DEV_ID_MAX	16	/* a vsnd dev-id is a small number */
#define CTL_VOLUME_MAX_CHANNELS	255
/* Volumes we accept, in 0.001 dB: no real device goes beyond these. */
#define CTL_VOLUME_MDB_MIN	(-200000)
#define CTL_VOLUME_MDB_MAX	(+60000)

/* CARD/PCM/STREAM, e.g. "0/1/0": CARD is the vsnd dev-id. */
struct ctl_target {
	char card[CTL_DEV_ID_MAX];
	uint32_t pcm;
	uint32_t stream;
};

int ctl_parse_target(const char *text, struct ctl_target *target,
		     char *err, size_t err_size);

/* Decimal integer in [min, max]; what names the value in err. */
int ctl_parse_uint(const char *what, const char *text, uint32_t min,
		   uint32_t max, uint32_t *out, char *err, size_t err_size);

/* Seconds, a positive decimal ("2", "0.5"), at most one day. */
int ctl_parse_seconds(const char *text, double *seconds, char *err,
		      size_t err_size);

/*
 * "DB[,DB...]": one volume per channel in dB ("-6", "-3.5,0"), returned
 * in sndif's unit, 0.001 dB, rounded to the nearest step.
 */
int ctl_parse_volumes(const char *text, int32_t *mdb, uint32_t max,
		      uint32_t *n, char *err, size_t err_size);

#endif
