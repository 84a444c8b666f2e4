/*
 * log_rank.h - internal: the ranked dictionaries of log format 2.
 *
 * A dictionary holds values (services or external addresses) ranked by
 * their number of uses, most first (doc/log-format.md, "Coder state"); a
 * record names a value by its rank.  The ranks live in one array of
 * (reference, uses) pairs, so that a use touches the entry's own pair, the
 * pair at the head of its block of equal uses and first[], nothing else.
 *
 * The encoder finds a value by hashing it into an open-addressing table
 * whose 16-byte slots hold the value itself in compact form ("short": an
 * IPv4 address, or an IPv4 service with its port, VLAN and family) and its
 * rank: looking up a short value reads one slot and nothing more.  Other
 * values ("long": IPv6) keep a hash in the slot and the full key in keys[].
 * The reference of a rank is its slot in the encoder and its key in the
 * decoder, which needs no table at all.
 *
 * The encoder's lookups are split so that they can be pipelined across a
 * batch of records: logf2_probe_*() computes the compact value and its hash,
 * logf2_dict_prefetch() asks for its slot, logf2_dict_prefetch_rank() (some
 * records later) reads the slot and asks for the rank's pair.  Prefetches
 * are hints only: the coded output does not depend on them.
 */
#ifndef SYNACK_LOG_RANK_H
#define SYNACK_LOG_RANK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "log/log_format.h"

#define LOGF2_COUNT_MAX 65535u      /* uses counted per dictionary entry */
#define LOGF2_LONG      0x80000000u /* slot.b of a long value: key index follows */

/* A slot of the encoder's table. */
struct logf2_slot {
	uint64_t a;     /* short: the value; long: its hash */
	uint32_t b;     /* short: the rest of the value (< LOGF2_LONG); long: LOGF2_LONG | key */
	uint32_t rank1; /* rank + 1; 0 = an empty slot */
};

/* The entry at a rank. */
struct logf2_ranked {
	uint32_t ref;   /* encoder: the entry's slot; decoder: its key in keys[] */
	uint32_t count; /* uses, at most LOGF2_COUNT_MAX */
};

struct logf2_dict {
	struct logf2_ranked *by_rank;
	uint32_t *first; /* uses -> first rank with that many, while there is one */
	uint32_t n, max, cap;
	struct logf_key *keys; /* decoder: every value; encoder: long values */
	uint32_t nkeys, kcap;
	struct logf2_slot *table; /* encoder only */
	uint32_t in_table;        /* entries in the table: all (encoder) or none */
	uint32_t mask;            /* table size - 1 */
	unsigned shift;           /* 64 - log2(table size): a hash's top bits pick the slot */
};

/* A value to look up, prepared from a record. */
struct logf2_probe {
	uint64_t a, h;
	uint32_t b;
	bool is_long;
	struct logf_key key; /* long values only */
};

int logf2_dict_init(struct logf2_dict *d, uint32_t max); /* 0, or -1 out of memory */
void logf2_dict_reset(struct logf2_dict *d);
void logf2_dict_free(struct logf2_dict *d);

/* Encoder: add the value of p (not present) at the last rank; decoder: add
 * key.  A full dictionary takes nothing (on both sides), returning 0.
 * Returns -1 out of memory. */
int logf2_dict_add_probe(struct logf2_dict *d, const struct logf2_probe *p);
int logf2_dict_add_key(struct logf2_dict *d, const struct logf_key *key);

/* ---- preparing values ---- */

static inline uint64_t logf2_short_hash(uint64_t a, uint32_t b)
{
	uint64_t h = (a ^ (uint64_t)b << 40) * 0x9E3779B97F4A7C15ull;
	h ^= h >> 29;
	return h * 0xBF58476D1CE4E5B9ull;
}

static inline bool logf2_is_v4_kind(const uint8_t addr[16])
{
	uint32_t w1, w2, w3;
	memcpy(&w1, addr + 4, 4);
	memcpy(&w2, addr + 8, 4);
	memcpy(&w3, addr + 12, 4);
	return (w1 | w2 | w3) == 0;
}

static inline void logf2_probe_long(struct logf2_probe *p)
{
	p->is_long = true;
	p->h = logf_hash(&p->key);
	p->a = p->h;
	p->b = LOGF2_LONG;
}

static inline void logf2_probe_service(struct logf2_probe *p, const uint8_t addr[16], uint16_t port,
                                       uint16_t vlan, uint8_t family)
{
	if (logf2_is_v4_kind(addr)) {
		uint32_t a4;
		memcpy(&a4, addr, 4);
		p->is_long = false;
		p->a = (uint64_t)a4 | (uint64_t)port << 32 | (uint64_t)vlan << 48;
		p->b = family;
		p->h = logf2_short_hash(p->a, p->b);
		return;
	}
	logf_svc_key(&p->key, addr, port, vlan, family);
	logf2_probe_long(p);
}

static inline void logf2_probe_external(struct logf2_probe *p, const uint8_t addr[16])
{
	if (logf2_is_v4_kind(addr)) {
		uint32_t a4;
		memcpy(&a4, addr, 4);
		p->is_long = false;
		p->a = a4;
		p->b = 0;
		p->h = logf2_short_hash(p->a, p->b);
		return;
	}
	logf_ext_key(&p->key, addr);
	logf2_probe_long(p);
}

/* ---- the encoder's lookups ---- */

static inline bool logf2_slot_matches(const struct logf2_dict *d, const struct logf2_slot *s,
                                      const struct logf2_probe *p)
{
	if (!p->is_long)
		return s->a == p->a && s->b == p->b;
	return s->a == p->a && (s->b & LOGF2_LONG) &&
	       memcmp(&d->keys[s->b & ~LOGF2_LONG], &p->key, sizeof(p->key)) == 0;
}

/* The slot of p's value, or the empty slot where it would go (rank1 0). */
static inline uint32_t logf2_dict_find(const struct logf2_dict *d, const struct logf2_probe *p)
{
	uint32_t i = (uint32_t)(p->h >> d->shift);

	while (d->table[i].rank1 && !logf2_slot_matches(d, &d->table[i], p))
		i = (i + 1) & d->mask;
	return i;
}

static inline void logf2_dict_prefetch(const struct logf2_dict *d, const struct logf2_probe *p)
{
	__builtin_prefetch(&d->table[p->h >> d->shift]);
}

/* Read p's slot (prefetched before) and prefetch the pair of its rank. */
static inline void logf2_dict_prefetch_rank(const struct logf2_dict *d, const struct logf2_probe *p)
{
	uint32_t rank1 = d->table[logf2_dict_find(d, p)].rank1;
	if (rank1)
		__builtin_prefetch(&d->by_rank[rank1 - 1]);
}

/* ---- ranks ---- */

/* Is there an entry with c uses?  Then it starts at first[c] < limit. */
static inline bool logf2_rank_live(const struct logf2_dict *d, uint32_t c, uint32_t limit)
{
	uint32_t f = d->first[c];
	return f < limit && d->by_rank[f].count == c;
}

/* The entry at rank r was used once more: it changes places with the first
 * entry of as many uses as it had, and so stays in order of uses.  Returns
 * its new rank. */
static inline uint32_t logf2_rank_hit(struct logf2_dict *d, uint32_t r)
{
	struct logf2_ranked *k = d->by_rank;
	uint32_t c = k[r].count;

	if (c >= LOGF2_COUNT_MAX)
		return r;
	uint32_t f = d->first[c];
	uint32_t e = k[r].ref;
	k[r].ref = k[f].ref;
	k[f].ref = e;
	k[f].count = c + 1;
	d->first[c] = f + 1;
	if (!logf2_rank_live(d, c + 1, f))
		d->first[c + 1] = f;
	return f;
}

/* Encoder: the value in slot i (found, at rank r) was used once more. */
static inline void logf2_dict_hit_slot(struct logf2_dict *d, uint32_t i, uint32_t r)
{
	uint32_t f = logf2_rank_hit(d, r);

	/* the entry that was at f is now at r; i's entry at f */
	d->table[d->by_rank[r].ref].rank1 = r + 1;
	d->table[i].rank1 = f + 1;
}

#endif /* SYNACK_LOG_RANK_H */
