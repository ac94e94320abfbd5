/* SPDX-License-Identifier: MIT */
/*
 * WAV files for xensnd-ctl: what play reads and record writes.
 *
 * Only WAV codings that have an sndif twin are taken, sample for sample:
 *   PCM 8 bit          u8              PCM 16 bit            s16_le
 *   PCM 32 bit         s32_le          PCM 24 valid in 32    s24_le
 *   IEEE float 32/64   float_le / float64_le
 *   mu-law / A-law     mu_law / a_law
 * (WAVE_FORMAT_EXTENSIBLE is understood for all of them.) Packed 24-bit
 * PCM, ADPCM and the rest are refused by name: sndif's s24_le is 24 bits
 * in a 32-bit container, so a packed file would need converting, and the
 * tool never converts behind the user's back.
 *
 * Pure stdio; every error names the file and what is wrong with it.
 */
#ifndef XENSND_CTL_WAV_H
#define XENSND_CTL_WAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ctl_wav_info {
	uint8_t sndif_format;	/* XENSND_PCM_FORMAT_* */
	uint32_t rate;
	uint32_t channels;
	uint32_t frame_bytes;	/* block align */
	uint64_t data_offset;	/* of the first sample in the file */
	uint64_t data_bytes;	/* whole frames only */
};

/*
 * Read the header of an open file and leave it positioned at the first
 * sample. 0, or -EINVAL (not a WAV / broken) or -ENOTSUP (no sndif twin)
 * with "name: reason" in err.
 */
int ctl_wav_read_header(FILE *f, const char *name, struct ctl_wav_info *info,
			char *err, size_t err_size);

/* Whether an sndif format can be written as WAV (record's --format). */
bool ctl_wav_can_write(uint8_t sndif_format);

/*
 * Writing: header first with the sizes unknown (0), the samples, then
 * finish puts the real sizes in. 0 or -errno with the reason in err.
 */
int ctl_wav_write_header(FILE *f, const char *name, uint8_t sndif_format,
			 uint32_t rate, uint32_t channels, char *err,
			 size_t err_size);
int ctl_wav_finish(FILE *f, const char *name, uint64_t data_bytes, char *err,
		   size_t err_size);

/* Bytes of one sample of a format the WAV side knows; 0 otherwise. */
uint32_t ctl_wav_sample_bytes(uint8_t sndif_format);

#endif
