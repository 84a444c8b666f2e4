/*
 * agg_map.c - see agg_map.h.
 */
#include "store/agg_map.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct agg_key) == 48, "agg_key is 48 bytes, no padding");

void agg_map_init(struct agg_map *m)
{
	memset(m, 0, sizeof(*m));
}

void agg_map_free(struct agg_map *m)
{
	free(m->e);
	free(m->idx);
	memset(m, 0, sizeof(*m));
}

void agg_map_clear(struct agg_map *m)
{
	if (m->idx && m->n)
		memset(m->idx, 0, ((size_t)m->mask + 1) * sizeof(*m->idx));
	m->n = 0;
}

static inline uint64_t key_hash(const struct agg_key *k)
{
	uint64_t w[6];
	memcpy(w, k, sizeof(w));
	uint64_t h = 0x243f6a8885a308d3ull;
	for (int i = 0; i < 6; i++) {
		h = (h ^ w[i]) * 0x9fb21c651e98df25ull;
		h ^= h >> 29;
	}
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

static int rehash(struct agg_map *m, uint32_t nslots)
{
	uint64_t *idx = calloc(nslots, sizeof(*idx));
	if (!idx)
		return -1;
	free(m->idx);
	m->idx = idx;
	m->mask = nslots - 1;
	for (uint32_t i = 0; i < m->n; i++) {
		uint64_t h = key_hash(&m->e[i].k);
		uint32_t s = (uint32_t)h & m->mask;
		while (idx[s])
			s = (s + 1) & m->mask;
		idx[s] = agg_tag(h) | (i + 1);
	}
	return 0;
}

uint64_t agg_key_hash(const struct agg_key *k)
{
	return key_hash(k);
}

struct agg_val *agg_map_get(struct agg_map *m, const struct agg_key *k, int *is_new)
{
	return agg_map_get_h(m, k, key_hash(k), is_new);
}

struct agg_val *agg_map_get_h(struct agg_map *m, const struct agg_key *k, uint64_t h, int *is_new)
{
	if (!m->idx && rehash(m, 1024) != 0)
		return NULL;
	uint32_t s = (uint32_t)h & m->mask;
	for (;;) {
		uint64_t x = m->idx[s];
		if (!x)
			break;
		uint32_t i = (uint32_t)x;
		if (agg_tag(x) == agg_tag(h) && memcmp(&m->e[i - 1].k, k, sizeof(*k)) == 0) {
			if (is_new)
				*is_new = 0;
			return &m->e[i - 1].v;
		}
		s = (s + 1) & m->mask;
	}
	if (m->n == m->cap) {
		uint32_t ncap = m->cap ? m->cap * 2 : 512;
		struct agg_entry *ne = realloc(m->e, (size_t)ncap * sizeof(*ne));
		if (!ne)
			return NULL;
		m->e = ne;
		m->cap = ncap;
	}
	/* keep the load factor <= 1/2 */
	if ((uint64_t)(m->n + 1) * 2 > (uint64_t)m->mask + 1) {
		if (rehash(m, (m->mask + 1) * 2) != 0)
			return NULL;
		s = (uint32_t)h & m->mask;
		while (m->idx[s])
			s = (s + 1) & m->mask;
	}
	struct agg_entry *e = &m->e[m->n];
	e->k = *k;
	memset(&e->v, 0, sizeof(e->v));
	m->idx[s] = agg_tag(h) | ++m->n;
	if (is_new)
		*is_new = 1;
	return &e->v;
}
