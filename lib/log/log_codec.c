/*
 * log_codec.c - the record model of log format 2 (doc/log-format.md).
 *
 * Every field of a record is coded from what the session has seen so far:
 * time as the difference to the previous record, the (service, external
 * host) pair as one of the four most recent pairs or as dictionary indexes
 * (new entries spelt out), the external port near the pair's last one or by
 * its high byte, flags as one of the four most recent values, the worker as
 * "the same as predicted" or by value.  logf2_encode() and logf2_decode()
 * are mirror images: every change to one must be made to the other.
 */
#include "log/log_codec.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "log/log_format.h"

static const uint16_t initial_flags[LOGF2_FLAGS] = {0x012, 0x052, 0x152, 0x092};

int logf2_state_init(struct logf2_state *s)
{
	memset(s, 0, sizeof(*s));
	if (logf2_dict_init(&s->svc, LOGF_SVC_DICT_MAX) < 0 ||
	    logf2_dict_init(&s->ext, LOGF_EXT_DICT_MAX) < 0) {
		logf2_state_free(s);
		return -1;
	}
	logf2_state_reset(s);
	return 0;
}

void logf2_state_reset(struct logf2_state *s)
{
	struct logf2_models *m = &s->m;

	rc_uint_init(&m->time);
	rc_uint_init(&m->svc);
	rc_uint_init(&m->ext);
	/* every other member is an array of probabilities */
	rc_probs_init(&m->more,
	              (sizeof(*m) - offsetof(struct logf2_models, more)) / sizeof(rc_prob));
	logf2_dict_reset(&s->svc);
	logf2_dict_reset(&s->ext);
	s->npairs = 0;
	memcpy(s->flags, initial_flags, sizeof(s->flags));
	s->prev_us = 0;
	s->last_hit = 0;
	s->prev_worker = 0;
	memset(s->svc_last, 0, sizeof(s->svc_last));
	s->svc_last_vlan = 0;
	memset(s->ext_last, 0, sizeof(s->ext_last));
}

void logf2_state_free(struct logf2_state *s)
{
	logf2_dict_free(&s->svc);
	logf2_dict_free(&s->ext);
}

uint64_t logf2_check_add(uint64_t h, const struct synack_record *r)
{
	uint64_t w[7];

	w[0] = r->time_ns / 1000;
	memcpy(&w[1], r->saddr, 16);
	memcpy(&w[3], r->daddr, 16);
	w[5] = (uint64_t)r->sport | (uint64_t)r->dport << 16 | (uint64_t)r->flags << 32 |
	       (uint64_t)r->vlan << 48;
	w[6] = (uint64_t)r->family | (uint64_t)r->ftp << 8 | (uint64_t)r->worker << 16;
	for (int i = 0; i < 7; i++) {
		h = (h ^ w[i]) * 0x9E3779B97F4A7C15ull;
		h ^= h >> 29;
	}
	return h;
}

static bool same_pair(const struct synack_record *a, const struct synack_record *b)
{
	return a->sport == b->sport && a->vlan == b->vlan && a->family == b->family &&
	       memcmp(a->saddr, b->saddr, 16) == 0 && memcmp(a->daddr, b->daddr, 16) == 0;
}

/* Put r at the front of the recent pairs; it was at position j (or new). */
static void pair_to_front(struct logf2_state *s, unsigned j, const struct synack_record *r,
                          uint64_t tag)
{
	if (j >= s->npairs) {
		if (s->npairs < LOGF2_PAIRS)
			s->npairs++;
		j = s->npairs - 1;
	}
	memmove(&s->pairs[1], &s->pairs[0], j * sizeof(s->pairs[0]));
	memmove(&s->pair_tags[1], &s->pair_tags[0], j * sizeof(s->pair_tags[0]));
	s->pairs[0] = *r;
	s->pair_tags[0] = tag;
}

/* The position of r's pair among the recent pairs, or npairs: the tags
 * are compared all at once, a pair only where its tag matches. */
static unsigned find_recent_pair(const struct logf2_state *s, const struct synack_record *r,
                                 uint64_t tag)
{
	unsigned match = 0;

	for (unsigned i = 0; i < LOGF2_PAIRS; i++)
		match |= (unsigned)(s->pair_tags[i] == tag) << i;
	match &= (1u << s->npairs) - 1;
	while (match) {
		unsigned j = (unsigned)__builtin_ctz(match);
		if (same_pair(&s->pairs[j], r))
			return j;
		match &= match - 1;
	}
	return s->npairs;
}

static void flags_to_front(struct logf2_state *s, unsigned j, uint16_t flags)
{
	if (j >= LOGF2_FLAGS)
		j = LOGF2_FLAGS - 1;
	memmove(&s->flags[1], &s->flags[0], j * sizeof(s->flags[0]));
	s->flags[0] = flags;
}

/* ---- encoder ---- */

RC_ENC_INLINE void enc_addr(struct rc_enc *e, rc_prob *v6p, rc_prob byte[2][16], uint8_t last[16],
                            const uint8_t addr[16])
{
	unsigned v6 = logf_addr_kind(addr) == LOGF_ADDR_16;
	unsigned len = v6 ? 16 : 4;

	rc_enc_bit(e, v6p, v6);
	for (unsigned i = 0; i < len; i++) {
		unsigned differs = addr[i] != last[i];
		rc_enc_bit(e, &byte[v6][i], differs);
		if (differs)
			rc_enc_direct(e, addr[i], 8);
	}
	memcpy(last, addr, 16);
}

/* A dictionary value: its rank + 1 if present (then counted as used once
 * more), else 0 and the caller spells it out and adds it. */
static uint32_t enc_lookup(struct logf2_dict *d, const struct logf2_probe *p)
{
	uint32_t i = logf2_dict_find(d, p);
	uint32_t rank1 = d->table[i].rank1;

	if (rank1)
		logf2_dict_hit_slot(d, i, rank1 - 1);
	return rank1;
}

RC_ENC_INLINE int enc_service(struct logf2_state *s, struct rc_enc *e,
                              const struct synack_record *r, const struct logf2_probe *p)
{
	struct logf2_models *m = &s->m;
	uint32_t rank1 = enc_lookup(&s->svc, p);

	rc_enc_uint(e, &m->svc, rank1);
	if (rank1)
		return 0;
	enc_addr(e, &m->svc_v6, m->svc_byte, s->svc_last, r->saddr);
	rc_enc_tree(e, m->svc_port_hi, 8, r->sport >> 8);
	rc_enc_direct(e, r->sport & 0xFF, 8);
	rc_enc_bit(e, &m->svc_vlan_same, r->vlan != s->svc_last_vlan);
	if (r->vlan != s->svc_last_vlan)
		rc_enc_direct(e, r->vlan, 16);
	s->svc_last_vlan = r->vlan;
	unsigned usual =
	    logf_addr_kind(r->saddr) == LOGF_ADDR_16 ? SYNACK_FAMILY_IPV6 : SYNACK_FAMILY_IPV4;
	rc_enc_bit(e, &m->svc_family_usual, r->family != usual);
	if (r->family != usual)
		rc_enc_direct(e, r->family, 8);
	return logf2_dict_add_probe(&s->svc, p);
}

RC_ENC_INLINE int enc_external(struct logf2_state *s, struct rc_enc *e,
                               const struct synack_record *r, const struct logf2_probe *p)
{
	struct logf2_models *m = &s->m;
	uint32_t rank1 = enc_lookup(&s->ext, p);

	rc_enc_uint(e, &m->ext, rank1);
	if (rank1)
		return 0;
	enc_addr(e, &m->ext_v6, m->ext_byte, s->ext_last, r->daddr);
	return logf2_dict_add_probe(&s->ext, p);
}

void logf2_lookup_prepare(struct logf2_lookup *k, const struct synack_record *r)
{
	logf2_probe_service(&k->svc, r->saddr, r->sport, r->vlan, r->family);
	logf2_probe_external(&k->ext, r->daddr);
}

RC_ENC_INLINE int encode(struct logf2_state *s, struct rc_enc *e, const struct synack_record *r,
                         const struct logf2_lookup *k)
{
	struct logf2_models *m = &s->m;
	uint64_t us = r->time_ns / 1000;

	rc_enc_uint(e, &m->time, logf_zigzag((int64_t)(us - s->prev_us)));
	s->prev_us = us;

	uint64_t tag = logf2_pair_tag(k);
	unsigned j = find_recent_pair(s, r, tag);
	unsigned hit = j < s->npairs;
	rc_enc_tree(e, m->pair[s->last_hit], 3, hit ? j : LOGF2_PAIRS);
	uint16_t near_port = 0;
	uint8_t predicted_worker = s->prev_worker;
	if (hit) {
		near_port = s->pairs[j].dport;
		predicted_worker = s->pairs[j].worker;
	} else if (enc_service(s, e, r, &k->svc) < 0 || enc_external(s, e, r, &k->ext) < 0) {
		return -1;
	}

	uint16_t step = (uint16_t)(r->dport - near_port - 1);
	unsigned near = hit && step < 16;
	if (hit)
		rc_enc_bit(e, &m->dport_near, near);
	if (near) {
		rc_enc_tree(e, m->dport_step, 4, step);
	} else {
		rc_enc_tree(e, m->dport_hi, 8, r->dport >> 8);
		rc_enc_direct(e, r->dport & 0xFF, 8);
	}

	unsigned f = 0;
	while (f < LOGF2_FLAGS && s->flags[f] != r->flags)
		f++;
	rc_enc_tree(e, m->flags, 3, f);
	if (f == LOGF2_FLAGS)
		rc_enc_direct(e, r->flags, 16);
	flags_to_front(s, f, r->flags);

	rc_enc_bit(e, &m->ftp_set, r->ftp != 0);
	if (r->ftp)
		rc_enc_direct(e, r->ftp, 8);

	rc_enc_bit(e, &m->worker_same[hit], r->worker != predicted_worker);
	if (r->worker != predicted_worker)
		rc_enc_tree(e, m->worker, 8, r->worker);
	s->prev_worker = r->worker;
	s->last_hit = hit;
	pair_to_front(s, j, r, tag);
	return 0;
}

int logf2_encode(struct logf2_state *s, struct rc_enc *ep, const struct synack_record *r,
                 const struct logf2_lookup *k)
{
	struct rc_enc e = *ep;
	int rc = encode(s, &e, r, k);
	*ep = e;
	return rc;
}

/* ---- decoder ---- */

RC_DEC_INLINE void dec_addr(struct rc_dec *d, rc_prob *v6p, rc_prob byte[2][16], uint8_t last[16],
                            uint8_t addr[16])
{
	unsigned v6 = rc_dec_bit(d, v6p);
	unsigned len = v6 ? 16 : 4;

	memset(addr, 0, 16);
	for (unsigned i = 0; i < len; i++)
		addr[i] = rc_dec_bit(d, &byte[v6][i]) ? (uint8_t)rc_dec_direct(d, 8) : last[i];
	memcpy(last, addr, 16);
}

/* A dictionary index: 0 = a new value (the caller decodes it), k = the
 * entry at rank k-1, counted as used once more.  Returns its key, NULL for
 * a new value; -1 in *bad for an index beyond the entries. */
static const struct logf_key *dec_lookup(struct logf2_dict *d, uint64_t idx, int *bad)
{
	if (!idx)
		return NULL;
	if (idx > d->n) {
		*bad = 1;
		return NULL;
	}
	const struct logf_key *k = &d->keys[d->by_rank[idx - 1].ref];
	logf2_rank_hit(d, (uint32_t)idx - 1);
	return k;
}

RC_DEC_INLINE int dec_service(struct logf2_state *s, struct rc_dec *d, struct synack_record *r)
{
	struct logf2_models *m = &s->m;
	struct logf_key k;
	uint64_t idx;
	int bad = 0;

	if (rc_dec_uint(d, &m->svc, &idx) < 0)
		return -1;
	const struct logf_key *known = dec_lookup(&s->svc, idx, &bad);
	if (bad)
		return -1;
	if (known) {
		k = *known;
	} else {
		uint8_t addr[16];
		dec_addr(d, &m->svc_v6, m->svc_byte, s->svc_last, addr);
		unsigned hi = rc_dec_tree(d, m->svc_port_hi, 8);
		uint16_t port = (uint16_t)(hi << 8 | rc_dec_direct(d, 8));
		if (rc_dec_bit(d, &m->svc_vlan_same))
			s->svc_last_vlan = (uint16_t)rc_dec_direct(d, 16);
		unsigned family =
		    logf_addr_kind(addr) == LOGF_ADDR_16 ? SYNACK_FAMILY_IPV6 : SYNACK_FAMILY_IPV4;
		if (rc_dec_bit(d, &m->svc_family_usual))
			family = rc_dec_direct(d, 8);
		if (family != SYNACK_FAMILY_IPV4 && family != SYNACK_FAMILY_IPV6)
			return -1;
		logf_svc_key(&k, addr, port, s->svc_last_vlan, (uint8_t)family);
		if (logf2_dict_add_key(&s->svc, &k) < 0)
			return -1;
	}
	memcpy(r->saddr, &k.w[0], 16);
	r->sport = (uint16_t)k.w[2];
	r->vlan = (uint16_t)(k.w[2] >> 16);
	r->family = (uint8_t)(k.w[2] >> 32);
	return 0;
}

RC_DEC_INLINE int dec_external(struct logf2_state *s, struct rc_dec *d, struct synack_record *r)
{
	struct logf2_models *m = &s->m;
	struct logf_key k;
	uint64_t idx;
	int bad = 0;

	if (rc_dec_uint(d, &m->ext, &idx) < 0)
		return -1;
	const struct logf_key *known = dec_lookup(&s->ext, idx, &bad);
	if (bad)
		return -1;
	if (known) {
		memcpy(r->daddr, &known->w[0], 16);
		return 0;
	}
	dec_addr(d, &m->ext_v6, m->ext_byte, s->ext_last, r->daddr);
	logf_ext_key(&k, r->daddr);
	return logf2_dict_add_key(&s->ext, &k);
}

RC_DEC_INLINE int decode(struct logf2_state *s, struct rc_dec *d, struct synack_record *r)
{
	struct logf2_models *m = &s->m;
	uint64_t z;

	memset(r, 0, sizeof(*r));
	if (rc_dec_uint(d, &m->time, &z) < 0)
		return -1;
	s->prev_us += (uint64_t)logf_unzigzag(z);
	r->time_ns = s->prev_us * 1000;

	unsigned j = rc_dec_tree(d, m->pair[s->last_hit], 3);
	if (j > LOGF2_PAIRS || (j < LOGF2_PAIRS && j >= s->npairs))
		return -1;
	unsigned hit = j < LOGF2_PAIRS;
	uint16_t near_port = 0;
	uint8_t predicted_worker = s->prev_worker;
	if (hit) {
		const struct synack_record *p = &s->pairs[j];
		memcpy(r->saddr, p->saddr, 16);
		memcpy(r->daddr, p->daddr, 16);
		r->sport = p->sport;
		r->vlan = p->vlan;
		r->family = p->family;
		near_port = p->dport;
		predicted_worker = p->worker;
	} else if (dec_service(s, d, r) < 0 || dec_external(s, d, r) < 0) {
		return -1;
	}

	if (hit && rc_dec_bit(d, &m->dport_near)) {
		r->dport = (uint16_t)(near_port + 1 + rc_dec_tree(d, m->dport_step, 4));
	} else {
		unsigned hi = rc_dec_tree(d, m->dport_hi, 8);
		r->dport = (uint16_t)(hi << 8 | rc_dec_direct(d, 8));
	}

	unsigned f = rc_dec_tree(d, m->flags, 3);
	if (f > LOGF2_FLAGS)
		return -1;
	r->flags = f < LOGF2_FLAGS ? s->flags[f] : (uint16_t)rc_dec_direct(d, 16);
	flags_to_front(s, f, r->flags);

	if (rc_dec_bit(d, &m->ftp_set))
		r->ftp = (uint8_t)rc_dec_direct(d, 8);

	r->worker = rc_dec_bit(d, &m->worker_same[hit]) ? (uint8_t)rc_dec_tree(d, m->worker, 8)
	                                                : predicted_worker;
	s->prev_worker = r->worker;
	s->last_hit = hit;
	pair_to_front(s, hit ? j : LOGF2_PAIRS, r, 0);
	return d->bad ? -1 : 0;
}

/* ---- blocks ---- */

/* Add one record whose lookup is prepared: 1 when the block is full, 0, -1. */
static int block_add(struct logf2_state *s, struct logf2_block *b, const struct synack_record *r,
                     const struct logf2_lookup *k)
{
	if (b->n == 0) {
		rc_enc_init(&b->enc, b->buf + LOGF2_BLOCK_HDR_LEN);
		b->check = LOGF2_CHECK_SEED;
	} else {
		rc_enc_bit(&b->enc, &s->m.more, 1);
	}
	if (logf2_encode(s, &b->enc, r, k) < 0)
		return -1;
	b->check = logf2_check_add(b->check, r);
	b->n++;
	return logf2_block_full(b);
}

int logf2_block_add(struct logf2_state *s, struct logf2_block *b, const struct synack_record *r)
{
	struct logf2_lookup k;

	logf2_lookup_prepare(&k, r);
	return block_add(s, b, r, &k);
}

/* The run's lookahead: a record's dictionary slots are prefetched
 * SLOTS_AHEAD records before it is coded, and their ranks' entries
 * RANKS_AHEAD records before (the slots have arrived by then). */
#define SLOTS_AHEAD 8
#define RANKS_AHEAD 4
#define RING        16 /* a power of two above SLOTS_AHEAD */

static void prefetch_slots(struct logf2_state *s, struct logf2_lookup *k,
                           const struct synack_record *r)
{
	logf2_lookup_prepare(k, r);
	logf2_dict_prefetch(&s->svc, &k->svc);
	logf2_dict_prefetch(&s->ext, &k->ext);
}

static void prefetch_ranks(struct logf2_state *s, const struct logf2_lookup *k)
{
	logf2_dict_prefetch_rank(&s->svc, &k->svc);
	logf2_dict_prefetch_rank(&s->ext, &k->ext);
}

long logf2_block_add_run(struct logf2_state *s, struct logf2_block *b,
                         const struct synack_record *r, size_t n)
{
	struct logf2_lookup ring[RING];
	size_t i;

	for (i = 0; i < n && i < SLOTS_AHEAD; i++)
		prefetch_slots(s, &ring[i], &r[i]);
	for (i = 0; i < n && i < RANKS_AHEAD; i++)
		prefetch_ranks(s, &ring[i]);
	for (i = 0; i < n;) {
		if (i + SLOTS_AHEAD < n)
			prefetch_slots(s, &ring[(i + SLOTS_AHEAD) % RING], &r[i + SLOTS_AHEAD]);
		if (i + RANKS_AHEAD < n)
			prefetch_ranks(s, &ring[(i + RANKS_AHEAD) % RING]);
		int full = block_add(s, b, &r[i], &ring[i % RING]);
		i++;
		if (full < 0)
			return -1;
		if (full)
			break;
	}
	return (long)i;
}

size_t logf2_block_end(struct logf2_state *s, struct logf2_block *b)
{
	rc_enc_bit(&b->enc, &s->m.more, 0);
	rc_enc_direct(&b->enc, (uint32_t)(b->check >> 48), 16);
	size_t len = rc_enc_finish(&b->enc);
	logf2_block_hdr(b->buf, len, 0);
	b->n = 0;
	return LOGF2_BLOCK_HDR_LEN + len;
}

int logf2_decode(struct logf2_state *s, struct rc_dec *dp, struct synack_record *r)
{
	struct rc_dec d = *dp;
	int rc = decode(s, &d, r);
	*dp = d;
	return rc;
}

long logf2_block_decode(struct logf2_state *s, const uint8_t *p, size_t len,
                        struct synack_record *out)
{
	struct rc_dec d;
	uint64_t check = LOGF2_CHECK_SEED;
	long n = 0;

	rc_dec_init(&d, p, len);
	do {
		if (n == LOGF_BLOCK_MAX || decode(s, &d, &out[n]) < 0)
			return -1;
		check = logf2_check_add(check, &out[n]);
		n++;
	} while (rc_dec_bit(&d, &s->m.more));
	if (rc_dec_direct(&d, 16) != (uint32_t)(check >> 48) || d.bad)
		return -1;
	return n;
}
