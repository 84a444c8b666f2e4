/*
 * log_rank.c - the ranked dictionaries of log format 2: allocation, reset
 * and adding entries (the lookups and uses are inline in log_rank.h).
 */
#include "log/log_rank.h"

#include <stdlib.h>

#define INITIAL_ENTRIES 256u
#define INITIAL_SLOTS   512u

static void set_table(struct logf2_dict *d, struct logf2_slot *table, uint32_t slots)
{
	d->table = table;
	d->mask = slots - 1;
	d->shift = 64u - (unsigned)__builtin_ctz(slots);
}

int logf2_dict_init(struct logf2_dict *d, uint32_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
	d->cap = INITIAL_ENTRIES;
	d->kcap = INITIAL_ENTRIES;
	d->by_rank = malloc(d->cap * sizeof(*d->by_rank));
	d->first = malloc((LOGF2_COUNT_MAX + 2) * sizeof(*d->first));
	d->keys = malloc(d->kcap * sizeof(*d->keys));
	struct logf2_slot *t = calloc(INITIAL_SLOTS, sizeof(*t));
	set_table(d, t, INITIAL_SLOTS);
	if (!d->by_rank || !d->first || !d->keys || !t) {
		logf2_dict_free(d);
		return -1;
	}
	return 0;
}

void logf2_dict_free(struct logf2_dict *d)
{
	free(d->by_rank);
	free(d->first);
	free(d->keys);
	free(d->table);
	memset(d, 0, sizeof(*d));
}

/* Empty the dictionary; the table keeps its size.  Emptying the slots in
 * use one by one is cheaper than clearing a large table for a few. */
void logf2_dict_reset(struct logf2_dict *d)
{
	if ((uint64_t)d->in_table * 8 < (uint64_t)d->mask + 1) {
		for (uint32_t r = 0; r < d->in_table; r++)
			d->table[d->by_rank[r].ref].rank1 = 0;
	} else {
		memset(d->table, 0, ((size_t)d->mask + 1) * sizeof(*d->table));
	}
	d->n = 0;
	d->nkeys = 0;
	d->in_table = 0;
}

static int grow_ranks(struct logf2_dict *d)
{
	if (d->n < d->cap)
		return 0;
	uint32_t nc = d->cap * 2;
	struct logf2_ranked *k = realloc(d->by_rank, nc * sizeof(*k));
	if (!k)
		return -1;
	d->by_rank = k;
	d->cap = nc;
	return 0;
}

static int push_key(struct logf2_dict *d, const struct logf_key *key)
{
	if (d->nkeys == d->kcap) {
		uint32_t nc = d->kcap * 2;
		struct logf_key *k = realloc(d->keys, nc * sizeof(*k));
		if (!k)
			return -1;
		d->keys = k;
		d->kcap = nc;
	}
	d->keys[d->nkeys++] = *key;
	return 0;
}

/* The new entry (referring to ref) takes the last rank with 1 use. */
static void rank_append(struct logf2_dict *d, uint32_t ref)
{
	uint32_t e = d->n;

	d->by_rank[e].ref = ref;
	d->by_rank[e].count = 1;
	if (!logf2_rank_live(d, 1, e))
		d->first[1] = e;
	d->n++;
}

static uint64_t slot_hash(const struct logf2_slot *s)
{
	return s->b & LOGF2_LONG ? s->a : logf2_short_hash(s->a, s->b);
}

/* Twice the slots: every entry moves, and its rank follows it. */
static int grow_table(struct logf2_dict *d)
{
	uint32_t slots = (d->mask + 1) * 2;
	struct logf2_slot *t = calloc(slots, sizeof(*t));

	if (!t)
		return -1;
	struct logf2_slot *old = d->table;
	set_table(d, t, slots);
	for (uint32_t r = 0; r < d->n; r++) {
		const struct logf2_slot *s = &old[d->by_rank[r].ref];
		uint32_t i = (uint32_t)(slot_hash(s) >> d->shift);
		while (t[i].rank1)
			i = (i + 1) & d->mask;
		t[i] = *s;
		d->by_rank[r].ref = i;
	}
	free(old);
	return 0;
}

int logf2_dict_add_probe(struct logf2_dict *d, const struct logf2_probe *p)
{
	if (d->n >= d->max)
		return 0;
	if (grow_ranks(d) < 0)
		return -1;
	if ((uint64_t)(d->n + 1) * 2 > (uint64_t)d->mask + 1 && grow_table(d) < 0)
		return -1;
	struct logf2_slot s = {.a = p->a, .b = p->b, .rank1 = d->n + 1};
	if (p->is_long) {
		if (push_key(d, &p->key) < 0)
			return -1;
		s.b = LOGF2_LONG | (d->nkeys - 1);
	}
	uint32_t i = logf2_dict_find(d, p);
	d->table[i] = s;
	rank_append(d, i);
	d->in_table++;
	return 0;
}

int logf2_dict_add_key(struct logf2_dict *d, const struct logf_key *key)
{
	if (d->n >= d->max)
		return 0;
	if (grow_ranks(d) < 0 || push_key(d, key) < 0)
		return -1;
	rank_append(d, d->nkeys - 1);
	return 0;
}
