/*
 * test_log_rank.c - the ranked dictionaries of log format 2 (log_rank.h)
 * against a plain model of the ranking rule of doc/log-format.md, and the
 * pipelined block coder (logf2_block_add_run) against coding one record at
 * a time and against the records themselves after decoding.
 *
 * The model keeps the values in rank order in an array and finds a value
 * and "the first rank with c uses" by scanning it: slow, but nothing of the
 * hash table, the slots or first[] of the code under test.
 */
#include "check.h"
#include "log_test_util.h"

#include "log/log_codec.h"
#include "log/log_rank.h"

/* ---- the model ---- */

struct model_entry {
	struct logf_key key;
	uint32_t count;
};

struct model {
	struct model_entry *e;
	uint32_t n, max;
};

static long model_find(const struct model *m, const struct logf_key *k)
{
	for (uint32_t r = 0; r < m->n; r++)
		if (memcmp(&m->e[r].key, k, sizeof(*k)) == 0)
			return r;
	return -1;
}

/* A use of the value at rank r: it changes places with the first entry of
 * as many uses, then has one more (at 65535 uses it stays). */
static void model_hit(struct model *m, uint32_t r)
{
	uint32_t c = m->e[r].count;
	if (c >= 65535)
		return;
	uint32_t f = 0;
	while (m->e[f].count != c)
		f++;
	struct model_entry t = m->e[f];
	m->e[f] = m->e[r];
	m->e[r] = t;
	m->e[f].count = c + 1;
}

static void model_add(struct model *m, const struct logf_key *k)
{
	if (m->n >= m->max)
		return;
	m->e[m->n].key = *k;
	m->e[m->n].count = 1;
	m->n++;
}

/* ---- values ---- */

/* Value number v (0 .. nvalues-1) as an external address or a service;
 * every fifth one IPv6 (a long value). */
static void value_probe(struct logf2_probe *p, struct logf_key *k, uint32_t v, bool service)
{
	uint8_t addr[16] = {0};
	bool v6 = v % 5 == 0;

	if (v6) {
		addr[0] = 0x2a;
		addr[1] = 0x01;
		memcpy(addr + 8, &v, 4);
	} else {
		uint32_t a = v * 2654435761u; /* spread over the address space */
		memcpy(addr, &a, 4);
	}
	if (service) {
		uint16_t port = (uint16_t)(v % 7 == 0 ? 443 : 80);
		uint16_t vlan = (uint16_t)(v % 3);
		uint8_t family = v6 ? SYNACK_FAMILY_IPV6 : SYNACK_FAMILY_IPV4;
		logf2_probe_service(p, addr, port, vlan, family);
		logf_svc_key(k, addr, port, vlan, family);
	} else {
		logf2_probe_external(p, addr);
		logf_ext_key(k, addr);
	}
}

/* A skewed draw: a few values very often (some past 65535 uses), most
 * rarely. */
static uint32_t draw(uint32_t nvalues)
{
	uint64_t x = tu_rand();
	if (x % 4 == 0)
		return (uint32_t)(x >> 8) % 3;
	if (x % 4 == 1)
		return (uint32_t)(x >> 8) % 64;
	return (uint32_t)(x >> 8) % nvalues;
}

/* Encoder and decoder dictionaries against the model, over ops uses of
 * nvalues values in a dictionary of at most max entries; reset half way. */
static void ranks_match_model(uint32_t nvalues, uint32_t max, size_t ops, bool service)
{
	struct logf2_dict enc, dec;
	struct model m = {.e = calloc(max, sizeof(*m.e)), .max = max};
	size_t mismatches = 0, hits = 0, adds = 0;

	CHECK(logf2_dict_init(&enc, max) == 0);
	CHECK(logf2_dict_init(&dec, max) == 0);
	for (size_t i = 0; i < ops; i++) {
		if (i == ops / 2) { /* a new session */
			logf2_dict_reset(&enc);
			logf2_dict_reset(&dec);
			m.n = 0;
		}
		struct logf2_probe p;
		struct logf_key k;
		value_probe(&p, &k, draw(nvalues), service);
		long want = model_find(&m, &k);
		uint32_t slot = logf2_dict_find(&enc, &p);
		uint32_t rank1 = enc.table[slot].rank1;
		if ((long)rank1 - 1 != want)
			mismatches++;
		if (want >= 0) {
			/* the decoder's entry at that rank is the value */
			if (memcmp(&dec.keys[dec.by_rank[want].ref], &k, sizeof(k)) != 0)
				mismatches++;
			if (rank1)
				logf2_dict_hit_slot(&enc, slot, rank1 - 1);
			logf2_rank_hit(&dec, (uint32_t)want);
			model_hit(&m, (uint32_t)want);
			hits++;
		} else {
			CHECK(logf2_dict_add_probe(&enc, &p) == 0);
			CHECK(logf2_dict_add_key(&dec, &k) == 0);
			model_add(&m, &k);
			adds++;
		}
	}
	CHECK_EQ(mismatches, 0);
	CHECK_EQ(enc.n, m.n);
	CHECK_EQ(dec.n, m.n);
	/* every rank holds the model's value with its uses */
	size_t wrong = 0;
	for (uint32_t r = 0; r < m.n && r < enc.n; r++) {
		const struct logf2_slot *s = &enc.table[enc.by_rank[r].ref];
		if (s->rank1 != r + 1 || enc.by_rank[r].count != m.e[r].count ||
		    dec.by_rank[r].count != m.e[r].count ||
		    memcmp(&dec.keys[dec.by_rank[r].ref], &m.e[r].key, sizeof(m.e[r].key)) != 0)
			wrong++;
	}
	CHECK_EQ(wrong, 0);
	CHECK(hits > 0 && adds > 0);
	logf2_dict_free(&enc);
	logf2_dict_free(&dec);
	free(m.e);
}

/* ---- the pipelined block coder ---- */

static uint8_t *new_block_buf(void)
{
	return malloc(LOGF2_BLOCK_HDR_LEN + LOGF2_BLOCK_BYTES);
}

/* Code recs one by one and in runs of random lengths: the same blocks,
 * byte for byte; the blocks decode to the records. */
static void runs_match_single(size_t n, uint32_t peers)
{
	struct synack_record *recs = malloc(n * sizeof(*recs));
	uint64_t t = 1700000000ull * NS_S;

	for (size_t i = 0; i < n; i++) {
		t += tu_rand() % 3000;
		tu_random_record(&recs[i], t);
		uint32_t p = (uint32_t)(tu_rand() % peers);
		if (recs[i].family == SYNACK_FAMILY_IPV4)
			memcpy(recs[i].daddr, &p, 4);
		if (i % 3 == 0 && i > 0) { /* a visit: the last pair again */
			memcpy(recs[i].saddr, recs[i - 1].saddr, 16);
			memcpy(recs[i].daddr, recs[i - 1].daddr, 16);
			recs[i].sport = recs[i - 1].sport;
			recs[i].vlan = recs[i - 1].vlan;
			recs[i].family = recs[i - 1].family;
			recs[i].dport = (uint16_t)(recs[i - 1].dport + 1);
		}
	}

	struct logf2_state one, run, dec;
	struct logf2_block b1 = {.buf = new_block_buf()}, b2 = {.buf = new_block_buf()};
	struct synack_record *out = malloc(LOGF_BLOCK_MAX * sizeof(*out));
	CHECK(logf2_state_init(&one) == 0 && logf2_state_init(&run) == 0 &&
	      logf2_state_init(&dec) == 0);
	size_t i = 0, j = 0, blocks = 0, differ = 0, decoded = 0, wrong = 0;
	while (i < n) {
		/* one block the simple way */
		int full = 0;
		size_t start = i;
		while (i < n && !full)
			full = logf2_block_add(&one, &b1, &recs[i++]);
		CHECK(full >= 0);
		/* the same records in runs of 1 .. 300 */
		while (j < i) {
			size_t want = 1 + tu_rand() % 300;
			if (want > i - j)
				want = i - j;
			long k = logf2_block_add_run(&run, &b2, &recs[j], want);
			CHECK(k >= 1);
			if (k < 1)
				return;
			j += (size_t)k;
			if (logf2_block_full(&b2))
				break;
		}
		CHECK_EQ(j, i);
		size_t len1 = logf2_block_end(&one, &b1);
		size_t len2 = logf2_block_end(&run, &b2);
		if (len1 != len2 || memcmp(b1.buf, b2.buf, len1) != 0)
			differ++;
		long got = logf2_block_decode(&dec, b1.buf + LOGF2_BLOCK_HDR_LEN,
		                              len1 - LOGF2_BLOCK_HDR_LEN, out);
		CHECK_EQ(got, i - start);
		for (long r = 0; r < got; r++) {
			struct synack_record e = tu_expect(&recs[start + (size_t)r]);
			if (memcmp(&out[r], &e, sizeof(e)) != 0)
				wrong++;
		}
		decoded += got > 0 ? (size_t)got : 0;
		blocks++;
	}
	CHECK_EQ(differ, 0);
	CHECK_EQ(wrong, 0);
	CHECK_EQ(decoded, n);
	CHECK(blocks > 1);
	logf2_state_free(&one);
	logf2_state_free(&run);
	logf2_state_free(&dec);
	free(b1.buf);
	free(b2.buf);
	free(out);
	free(recs);
}

int main(void)
{
	/* few values; a table that grows; values past the uses cap */
	ranks_match_model(50, LOGF_EXT_DICT_MAX, 400000, false);
	ranks_match_model(5000, LOGF_EXT_DICT_MAX, 200000, false);
	ranks_match_model(3000, LOGF_SVC_DICT_MAX, 100000, true);
	/* a full dictionary takes no more values, on both sides */
	ranks_match_model(1000, 100, 50000, false);
	ranks_match_model(1000, 100, 50000, true);

	runs_match_single(30000, 64);
	runs_match_single(60000, 1u << 20); /* the external dictionary grows */
	return check_done("test_log_rank");
}
