/* SPDX-License-Identifier: MIT */
/* The command line of xensnd-backend (see xensnd-backend(8)). */
#ifndef XENSND_BACKEND_OPTIONS_H
#define XENSND_BACKEND_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

struct backend_options {
	struct backend_limits limits;
	int32_t clock_drift_ppm;
	const char *output_dir;		/* NULL: playback is consumed, not kept */
	bool output_pipewire;
	const char *input_file;		/* NULL: the test signal */
	bool input_pipewire;
	const char *state_file;		/* NULL: no state file */
	const char *impulse_log;	/* NULL: no impulse log */
	bool no_volume;			/* refuse SET_VOLUME/MUTE, as snd_be does */
	bool verbose;
};

enum options_result {
	OPTIONS_RUN,
	OPTIONS_HELP,		/* --help printed */
	OPTIONS_ERROR,		/* message in err */
};

enum options_result options_parse(struct backend_options *o, int argc,
				  char **argv, char *err, size_t err_size);
void options_print_help(const char *argv0);

#endif
