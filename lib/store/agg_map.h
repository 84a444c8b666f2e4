/*
 * agg_map.h - the in-memory aggregation table of the store.
 *
 * Fixed 48-byte keys, fixed 48-byte values, open addressing (linear probing)
 * over an index of 64-bit slots, each the entry's number and the high half
 * of its key's hash (a tag): a probe that meets another key's slot moves on
 * without reading that entry, so a look-up touches one entry, not 1.5 on
 * average.  Entries are dense in insertion order so a commit walks them
 * sequentially.  Clearing is O(capacity of the index).
 */
#ifndef SYNACK_AGG_MAP_H
#define SYNACK_AGG_MAP_H

#include <stddef.h>
#include <stdint.h>

struct agg_key {
	int64_t hour;   /* UTC hour start (s); 0 when not part of the key */
	int32_t day;    /* local day number (days since 1970-01-01 in the store's zone) */
	uint8_t family; /* 4 or 6; 0 when no address in the key */
	uint8_t kind;   /* FTP mode for ftp keys */
	uint16_t port;  /* internal port */
	uint8_t a[16];  /* internal address */
	uint8_t b[16];  /* external address */
};

struct agg_val {
	uint64_t packets;
	uint64_t first_ns, last_ns;
	uint64_t n1, n2, n3; /* table-specific counts of new rows */
};

/* Fold v's packets and time span into d (d empty: packets 0). */
static inline void agg_val_merge_times(struct agg_val *d, const struct agg_val *v)
{
	if (d->packets == 0 || v->first_ns < d->first_ns)
		d->first_ns = v->first_ns;
	if (v->last_ns > d->last_ns)
		d->last_ns = v->last_ns;
	d->packets += v->packets;
}

struct agg_entry {
	struct agg_key k;
	struct agg_val v;
};

struct agg_map {
	struct agg_entry *e;
	uint32_t n, cap; /* entries used, allocated */
	uint64_t *idx;   /* slots: tag | entry index + 1; 0 = empty */
	uint32_t mask;   /* index size - 1 */
};

void agg_map_init(struct agg_map *m);
void agg_map_free(struct agg_map *m);
void agg_map_clear(struct agg_map *m);
/* Find or add the key (value zeroed when new); NULL when out of memory. */
struct agg_val *agg_map_get(struct agg_map *m, const struct agg_key *k, int *is_new);

/* The same with the key's hash computed beforehand (agg_key_hash), and
 * prefetch hints: a caller processing a stream of keys hashes a few keys
 * ahead, prefetches their index slots, then their entries, so the cache
 * misses of a large table overlap instead of adding up. */
uint64_t agg_key_hash(const struct agg_key *k);
struct agg_val *agg_map_get_h(struct agg_map *m, const struct agg_key *k, uint64_t h, int *is_new);
/* The high half of a hash, kept in the slot beside the entry's number. */
static inline uint64_t agg_tag(uint64_t h)
{
	return h & 0xffffffff00000000ull;
}

static inline void agg_map_prefetch_slot(const struct agg_map *m, uint64_t h)
{
	if (m->idx)
		__builtin_prefetch(&m->idx[(uint32_t)h & m->mask]);
}

/* Prefetch the entry of the first slot with the key's tag (a few probes). */
static inline void agg_map_prefetch_entry(const struct agg_map *m, uint64_t h)
{
	if (!m->idx)
		return;
	uint32_t s = (uint32_t)h & m->mask;
	for (int probe = 0; probe < 4; probe++) {
		uint64_t x = m->idx[s];
		if (!x)
			return;
		if (agg_tag(x) == agg_tag(h)) {
			__builtin_prefetch(&m->e[(uint32_t)x - 1]);
			return;
		}
		s = (s + 1) & m->mask;
	}
}

#endif
