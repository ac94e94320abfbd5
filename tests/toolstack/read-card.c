/* SPDX-License-Identifier: MIT */
/*
 * read-card PATH: read a vsnd card from XenStore the way the frontend
 * does (libxensnd's xensnd_card_cfg_read, through libxenstore) and print
 * what it understood, one line per stream:
 *
 *   PCM/STREAM TYPE unique-id=ID rates=R,R formats=F,F channels=MIN-MAX buffer=N
 *
 * so a test can check that what the toolstack wrote is what the frontend
 * reads, inheritance included. Exit 1 with the reader's message if it
 * refuses the card.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <xenstore.h>
#include <xen/io/sndif.h>
#include <xensnd/config.h>

static char *reader_read(void *data, const char *path)
{
	unsigned int len;

	return xs_read(data, XBT_NULL, path, &len);
}

static char **reader_directory(void *data, const char *path, unsigned int *num)
{
	return xs_directory(data, XBT_NULL, path, num);
}

static void print_stream(const struct xensnd_pcm_cfg *pcm, const struct xensnd_stream_cfg *s)
{
	const struct xensnd_pcm_params *p = &s->params;
	char rates[512], formats[512];

	xensnd_format_rates(p->rates, p->n_rates, XENSND_LIST_SEPARATOR[0], rates, sizeof(rates));
	xensnd_format_formats(p->formats, XENSND_LIST_SEPARATOR[0], formats, sizeof(formats));
	printf("%u/%u %s unique-id=%s rates=%s formats=%s channels=%u-%u buffer=%u\n",
	       pcm->index, s->index, s->capture ? XENSND_STREAM_TYPE_CAPTURE :
	       XENSND_STREAM_TYPE_PLAYBACK, s->unique_id, rates, formats,
	       p->channels_min, p->channels_max, p->buffer_size);
}

int main(int argc, char **argv)
{
	struct xensnd_card_cfg cfg;
	struct xensnd_reader reader = {
		.read = reader_read,
		.directory = reader_directory,
	};
	char err[XENSND_ERROR_MAX];
	int status = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: read-card PATH\n");
		return 2;
	}
	reader.data = xs_open(0);
	if (!reader.data) {
		perror("read-card: xs_open");
		return 1;
	}
	if (xensnd_card_cfg_read(&cfg, &reader, argv[1], err, sizeof(err)) < 0) {
		fprintf(stderr, "read-card: %s\n", err);
		goto out;
	}
	printf("short-name=%s long-name=%s\n", cfg.short_name, cfg.long_name);
	for (uint32_t p = 0; p < cfg.n_pcms; p++) {
		printf("%u name=%s\n", cfg.pcms[p].index, cfg.pcms[p].name);
		for (uint32_t s = 0; s < cfg.pcms[p].n_streams; s++)
			print_stream(&cfg.pcms[p], &cfg.pcms[p].streams[s]);
	}
	xensnd_card_cfg_clear(&cfg);
	status = 0;
out:
	xs_close(reader.data);
	return status;
}
