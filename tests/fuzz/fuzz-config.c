/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the configuration reader and the value parsers. The input is a
 * little XenStore tree, one node a line: "<path below the card>=<value>",
 * e.g. "0/0/type=p". Whatever the tree, reading must either fail with a
 * message or give a configuration that keeps config.h's promises.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xensnd/config.h>
#include <xensnd/pagedir.h>
#include <xensnd/xenbus.h>

#include "fuzz-input.h"
#include "table-reader.h"

#define CARD "device/vsnd/0"
#define MAX_NODES 256

struct tree {
	struct table_entry entries[MAX_NODES];
	char *storage;
	size_t n;
};

/* Split the input into nodes; paths get the card's prefix. */
static void tree_parse(struct tree *t, const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL;

	t->n = 0;
	t->storage = malloc(2 * size + MAX_NODES * (sizeof(CARD) + 1) + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *out = t->storage;

	for (line = strtok_r(text, "\n", &save); line && t->n < MAX_NODES;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		size_t plen;

		if (eq == NULL)
			continue;
		*eq = '\0';
		plen = strlen(line);
		t->entries[t->n].path = out;
		memcpy(out, CARD "/", sizeof(CARD));
		memcpy(out + sizeof(CARD), line, plen + 1);
		out += sizeof(CARD) + plen + 1;
		t->entries[t->n].value = out;
		memcpy(out, eq + 1, strlen(eq + 1) + 1);
		out += strlen(eq + 1) + 1;
		t->n++;
	}
	free(text);
}

static void check_params(const struct xensnd_pcm_params *p)
{
	FUZZ_ASSERT(p->formats != 0);
	FUZZ_ASSERT(p->n_rates >= 1 && p->n_rates <= XENSND_MAX_RATES);
	for (uint32_t i = 1; i < p->n_rates; i++)
		FUZZ_ASSERT(p->rates[i - 1] < p->rates[i]);
	FUZZ_ASSERT(p->rates[0] > 0);
	FUZZ_ASSERT(p->channels_min >= 1 && p->channels_min <= p->channels_max);
	FUZZ_ASSERT(p->channels_max <= XENSND_MAX_CHANNELS);
	FUZZ_ASSERT(p->buffer_size >= 1 && p->buffer_size <= XENSND_BUFFER_SIZE_MAX);
}

static void check_card(const struct xensnd_card_cfg *cfg)
{
	FUZZ_ASSERT(cfg->n_pcms >= 1 && cfg->n_pcms <= XENSND_MAX_PCMS);
	for (uint32_t p = 0; p < cfg->n_pcms; p++) {
		const struct xensnd_pcm_cfg *pcm = &cfg->pcms[p];

		FUZZ_ASSERT(pcm->index == p);
		FUZZ_ASSERT(pcm->n_streams >= 1 && pcm->n_streams <= XENSND_MAX_STREAMS);
		for (uint32_t s = 0; s < pcm->n_streams; s++) {
			FUZZ_ASSERT(pcm->streams[s].index == s);
			FUZZ_ASSERT(pcm->streams[s].unique_id[0] != '\0');
			check_params(&pcm->streams[s].params);
		}
	}
}

/* Each value through the parsers, and back through the formatters. */
static void fuzz_values(const struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const char *v = t->entries[i].value;
		uint32_t rates[XENSND_MAX_RATES], n, u;
		uint64_t formats;
		char err[128], out[1024];

		for (int k = 0; k < 2; k++) {
			char sep = k ? ';' : ',';

			if (xensnd_parse_rates(v, sep, rates, &n, err, sizeof(err)) == 0) {
				FUZZ_ASSERT(n >= 1 && n <= XENSND_MAX_RATES);
				FUZZ_ASSERT(xensnd_format_rates(rates, n, sep, out, sizeof(out)) == 0);
			}
			if (xensnd_parse_formats(v, sep, &formats, err, sizeof(err)) == 0) {
				uint64_t again;

				FUZZ_ASSERT(xensnd_format_formats(formats, sep, out, sizeof(out)) == 0);
				FUZZ_ASSERT(xensnd_parse_formats(out, sep, &again, err,
								 sizeof(err)) == 0);
				FUZZ_ASSERT(again == formats);
			}
		}
		if (xensnd_parse_u32(v, 1, 255, &u, err, sizeof(err)) == 0)
			FUZZ_ASSERT(u >= 1 && u <= 255);
		xensnd_pick_version(v, out, sizeof(out));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tree t;
	struct table table;
	struct xensnd_reader reader;
	struct xensnd_card_cfg cfg;
	char err[XENSND_ERROR_MAX];
	int res;

	if (size > 64 * 1024)
		return 0;
	tree_parse(&t, data, size);
	table = (struct table){ t.entries, t.n, NULL, 0 };
	reader = table_reader(&table);
	err[0] = '\0';
	res = xensnd_card_cfg_read(&cfg, &reader, CARD, err, sizeof(err));
	if (res == 0) {
		check_card(&cfg);
		xensnd_card_cfg_clear(&cfg);
	} else {
		/* Every refusal says what and where. */
		FUZZ_ASSERT(res == -EINVAL || res == -ENOMEM);
		FUZZ_ASSERT(strncmp(err, CARD, sizeof(CARD) - 1) == 0);
		FUZZ_ASSERT(cfg.pcms == NULL && cfg.n_pcms == 0);
	}
	fuzz_values(&t);
	free(t.storage);
	return 0;
}
