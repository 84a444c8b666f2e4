/*
 * log_dict.h - internal: the per-frame dictionaries of format 1, which the
 * reader still decodes (open addressing over 24-byte keys; entries numbered
 * in order of first use).  Format 2 ranks its entries: log_rank.h.
 */
#ifndef SYNACK_LOG_DICT_H
#define SYNACK_LOG_DICT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log_format.h"

struct logf_dict {
	struct logf_key *keys; /* entries, index order */
	uint32_t n, max, kcap;
	uint32_t *table; /* index + 1, 0 = empty */
	uint32_t mask;   /* table size - 1 */
};

static inline int logf_dict_init(struct logf_dict *d, uint32_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
	d->kcap = 256;
	d->keys = malloc(d->kcap * sizeof(*d->keys));
	d->mask = 511;
	d->table = calloc(d->mask + 1, sizeof(*d->table));
	if (!d->keys || !d->table) {
		free(d->keys);
		free(d->table);
		return -1;
	}
	return 0;
}

static inline void logf_dict_free(struct logf_dict *d)
{
	free(d->keys);
	free(d->table);
	memset(d, 0, sizeof(*d));
}

static inline void logf_dict_reset(struct logf_dict *d)
{
	if (d->n)
		memset(d->table, 0, (size_t)(d->mask + 1) * sizeof(*d->table));
	d->n = 0;
}

/* Returns the index of k, or -1. */
static inline int64_t logf_dict_find(const struct logf_dict *d, const struct logf_key *k,
                                     uint64_t h)
{
	for (uint32_t i = (uint32_t)h & d->mask;; i = (i + 1) & d->mask) {
		uint32_t v = d->table[i];
		if (!v)
			return -1;
		if (memcmp(&d->keys[v - 1], k, sizeof(*k)) == 0)
			return v - 1;
	}
}

static inline int logf_dict_grow(struct logf_dict *d)
{
	uint32_t ncap = (d->mask + 1) * 2;
	uint32_t *nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -1;
	for (uint32_t j = 0; j < d->n; j++) {
		uint64_t h = logf_hash(&d->keys[j]);
		uint32_t i = (uint32_t)h & (ncap - 1);
		while (nt[i])
			i = (i + 1) & (ncap - 1);
		nt[i] = j + 1;
	}
	free(d->table);
	d->table = nt;
	d->mask = ncap - 1;
	return 0;
}

/* Append k (not present).  Returns 0, or -1 when full / out of memory (the
 * entry is then not added: the caller's format rules stay the same). */
static inline int logf_dict_add(struct logf_dict *d, const struct logf_key *k, uint64_t h,
                                bool hashed)
{
	if (d->n >= d->max)
		return -1;
	if (d->n >= d->kcap) {
		uint32_t nk = d->kcap * 2;
		struct logf_key *kk = realloc(d->keys, (size_t)nk * sizeof(*kk));
		if (!kk)
			return -1;
		d->keys = kk;
		d->kcap = nk;
	}
	if (hashed) {
		if ((uint64_t)(d->n + 1) * 2 > (uint64_t)d->mask + 1 && logf_dict_grow(d) < 0)
			return -1;
		uint32_t i = (uint32_t)h & d->mask;
		while (d->table[i])
			i = (i + 1) & d->mask;
		d->table[i] = d->n + 1;
	}
	d->keys[d->n++] = *k;
	return 0;
}

#endif /* SYNACK_LOG_DICT_H */
