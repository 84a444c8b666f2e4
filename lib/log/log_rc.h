/*
 * log_rc.h - internal: the adaptive binary range coder of log format 2.
 *
 * A 32-bit range coder over binary decisions.  Each decision has its own
 * probability (16 bits, the chance of a 0), which moves 1/32 of the way
 * towards every bit it codes, so the statistics of a column are learnt as
 * the records go by and are kept from one block to the next.  Bits that
 * carry no pattern (the low bits of a port, a new address) are "direct":
 * they cost exactly their width.  The encoder writes into a caller's buffer
 * (carries go back into the bytes already written); the decoder reads zero
 * bytes past the end of its input, so the encoder ends a block with the
 * shortest tail that decodes right and drops trailing zero bytes.
 * doc/log-format.md describes the arithmetic exactly.
 */
#ifndef SYNACK_LOG_RC_H
#define SYNACK_LOG_RC_H

#include <stddef.h>
#include <stdint.h>

#define RC_PROB_BITS 16
#define RC_PROB_INIT 0x8000u
#define RC_ADAPT     5
#define RC_TOP       (1u << 24)
/* the target of a probability after a 0, in the encoder's masked update */
#define RC_PROB_TOWARDS_0 ((1u << RC_PROB_BITS) - (1u << RC_ADAPT) + 1u)

/* The coder's functions are always inlined, so that a caller that works on
 * a local copy of struct rc_enc or rc_dec keeps it in registers. */
#define RC_ENC_INLINE static inline __attribute__((always_inline))
#define RC_DEC_INLINE RC_ENC_INLINE

typedef uint16_t rc_prob;

struct rc_enc {
	uint8_t *buf;
	size_t pos;
	uint64_t low; /* 32 bits and a carry */
	uint32_t range;
};

struct rc_dec {
	const uint8_t *buf;
	size_t len, pos; /* pos may run past len: those bytes read as 0 */
	uint32_t code, range;
	int bad; /* a direct value out of range: the input is damaged */
};

static inline void rc_probs_init(rc_prob *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = RC_PROB_INIT;
}

/* ---- encoder ---- */

static inline void rc_enc_init(struct rc_enc *e, uint8_t *buf)
{
	e->buf = buf;
	e->pos = 0;
	e->low = 0;
	e->range = 0xFFFFFFFFu;
}

/* low passed 2^32: add one to the bytes already written. */
RC_ENC_INLINE void rc_enc_carry(struct rc_enc *e)
{
	size_t i = e->pos;
	while (i > 0 && ++e->buf[--i] == 0)
		;
	e->low &= 0xFFFFFFFFu;
}

/* Output the top bytes of low while range is below 2^24.  A carry is only
 * settled here: every step keeps [low, low + range) inside the interval
 * before it, so low stays below 2^33 in between and carries at most 1.  The
 * carry (0 or 1) is added to the last byte without a branch on it; only a
 * last byte that wraps (0xFF + 1) takes it further back. */
RC_ENC_INLINE void rc_enc_shift(struct rc_enc *e)
{
	if (e->pos) {
		unsigned carry = (unsigned)(e->low >> 32);
		uint8_t last = (uint8_t)(e->buf[e->pos - 1] + carry);
		e->buf[e->pos - 1] = last;
		e->low &= 0xFFFFFFFFu;
		if ((last == 0) & carry) {
			e->pos--;
			rc_enc_carry(e);
			e->pos++;
		}
	}
	do {
		e->buf[e->pos++] = (uint8_t)(e->low >> 24);
		e->low = (e->low << 8) & 0xFFFFFFFFu;
		e->range <<= 8;
	} while (e->range < RC_TOP);
}

RC_ENC_INLINE void rc_enc_normalize(struct rc_enc *e)
{
	if (e->range < RC_TOP)
		rc_enc_shift(e);
}

/* bit is 0 or 1.  Both outcomes are computed and one is kept by masks:
 * the bits of a record are too random for branch prediction. */
RC_ENC_INLINE void rc_enc_bit(struct rc_enc *e, rc_prob *p, unsigned bit)
{
	uint32_t prob = *p;
	uint32_t bound = (e->range >> RC_PROB_BITS) * prob;
	uint32_t one = 0u - (uint32_t)bit; /* all ones for a 1 */

	e->low += bound & one;
	e->range = bound + ((e->range - 2 * bound) & one); /* 0: bound, 1: range - bound */
	/* 0: p += (65536 - p) >> 5, 1: p -= p >> 5, as p -= (p - t) >> 5 with
	 * an arithmetic shift and t = 65536 - 31 or 0 */
	int32_t t = (int32_t)(RC_PROB_TOWARDS_0 & ~one);
	*p = (rc_prob)(prob - (uint32_t)(((int32_t)prob - t) >> RC_ADAPT));
	rc_enc_normalize(e);
}

/* n (1..16) bits of v, all values equally likely. */
RC_ENC_INLINE void rc_enc_direct(struct rc_enc *e, uint32_t v, unsigned n)
{
	e->range >>= n;
	e->low += (uint64_t)v * e->range;
	rc_enc_normalize(e);
}

/* Any number of direct bits (0..64), high chunks first. */
RC_ENC_INLINE void rc_enc_bits(struct rc_enc *e, uint64_t v, unsigned n)
{
	while (n > 16) {
		n -= 16;
		rc_enc_direct(e, (uint32_t)(v >> n) & 0xFFFFu, 16);
	}
	if (n)
		rc_enc_direct(e, (uint32_t)v & ((1u << n) - 1), n);
}

/* An n-bit symbol through a binary tree of probabilities p[1 .. 2^n - 1]. */
RC_ENC_INLINE void rc_enc_tree(struct rc_enc *e, rc_prob *p, unsigned n, unsigned sym)
{
	unsigned m = 1;

#pragma GCC unroll 8
	for (unsigned i = n; i-- > 0;) {
		unsigned b = (sym >> i) & 1;
		rc_enc_bit(e, &p[m], b);
		m = (m << 1) | b;
	}
}

/* End the stream: the value in [low, low + range) with the most trailing
 * zero bits, its leading bytes only.  Returns the length without trailing
 * zero bytes (the decoder reads them back as zeros). */
static inline size_t rc_enc_finish(struct rc_enc *e)
{
	if (e->low >> 32)
		rc_enc_carry(e);
	for (unsigned k = 32; k >= 8; k -= 8) {
		uint64_t mask = (1ull << k) - 1;
		uint64_t v = (e->low + mask) & ~mask;
		if (v < e->low + e->range) {
			e->low = v;
			if (e->low >> 32)
				rc_enc_carry(e);
			for (unsigned j = 0; j < (32 - k) / 8; j++) {
				e->buf[e->pos++] = (uint8_t)(e->low >> 24);
				e->low = (e->low << 8) & 0xFFFFFFFFu;
			}
			break;
		}
	}
	while (e->pos > 0 && e->buf[e->pos - 1] == 0)
		e->pos--;
	return e->pos;
}

/* ---- decoder ---- */

RC_DEC_INLINE uint8_t rc_dec_byte(struct rc_dec *d)
{
	uint8_t b = d->pos < d->len ? d->buf[d->pos] : 0;
	d->pos++;
	return b;
}

static inline void rc_dec_init(struct rc_dec *d, const uint8_t *buf, size_t len)
{
	d->buf = buf;
	d->len = len;
	d->pos = 0;
	d->bad = 0;
	d->range = 0xFFFFFFFFu;
	d->code = 0;
	for (int i = 0; i < 4; i++)
		d->code = d->code << 8 | rc_dec_byte(d);
}

RC_DEC_INLINE void rc_dec_normalize(struct rc_dec *d)
{
	while (d->range < RC_TOP) {
		d->code = d->code << 8 | rc_dec_byte(d);
		d->range <<= 8;
	}
}

RC_DEC_INLINE unsigned rc_dec_bit(struct rc_dec *d, rc_prob *p)
{
	uint32_t bound = (d->range >> RC_PROB_BITS) * *p;
	unsigned bit;

	/* a branch, unlike the encoder: the next bit's probability depends on
	 * this one, and prediction is faster than waiting for it */
	if (d->code < bound) {
		d->range = bound;
		*p = (rc_prob)(*p + (((1u << RC_PROB_BITS) - *p) >> RC_ADAPT));
		bit = 0;
	} else {
		d->code -= bound;
		d->range -= bound;
		*p = (rc_prob)(*p - (*p >> RC_ADAPT));
		bit = 1;
	}
	rc_dec_normalize(d);
	return bit;
}

RC_DEC_INLINE uint32_t rc_dec_direct(struct rc_dec *d, unsigned n)
{
	d->range >>= n;
	uint32_t v = d->code / d->range;
	if (v >> n) { /* only damaged input gets here */
		d->bad = 1;
		v = (1u << n) - 1;
	}
	d->code -= v * d->range;
	rc_dec_normalize(d);
	return v;
}

RC_DEC_INLINE uint64_t rc_dec_bits(struct rc_dec *d, unsigned n)
{
	uint64_t v = 0;

	while (n > 16) {
		n -= 16;
		v |= (uint64_t)rc_dec_direct(d, 16) << n;
	}
	if (n)
		v |= rc_dec_direct(d, n);
	return v;
}

RC_DEC_INLINE unsigned rc_dec_tree(struct rc_dec *d, rc_prob *p, unsigned n)
{
	unsigned m = 1;

#pragma GCC unroll 8
	for (unsigned i = 0; i < n; i++)
		m = (m << 1) | rc_dec_bit(d, &p[m]);
	return m - (1u << n);
}

/* ---- unsigned integers: bit length through a tree, then the bit below
 * the leading one modelled per length, the rest direct ---- */

struct rc_uint_model {
	rc_prob len[128];
	rc_prob second[65];
};

static inline void rc_uint_init(struct rc_uint_model *m)
{
	rc_probs_init(m->len, 128);
	rc_probs_init(m->second, 65);
}

static inline unsigned rc_bit_length(uint64_t v)
{
	return 64u - (unsigned)__builtin_clzll(v | 1) - (v == 0);
}

RC_ENC_INLINE void rc_enc_uint(struct rc_enc *e, struct rc_uint_model *m, uint64_t v)
{
	unsigned b = rc_bit_length(v);

	rc_enc_tree(e, m->len, 7, b);
	if (b < 2)
		return;
	rc_enc_bit(e, &m->second[b], (unsigned)(v >> (b - 2)) & 1);
	rc_enc_bits(e, v, b - 2);
}

/* Returns 0, or -1 for a length that no encoder writes. */
RC_DEC_INLINE int rc_dec_uint(struct rc_dec *d, struct rc_uint_model *m, uint64_t *out)
{
	unsigned b = rc_dec_tree(d, m->len, 7);

	if (b > 64)
		return -1;
	if (b < 2) {
		*out = b;
		return 0;
	}
	uint64_t v = 1ull << (b - 1);
	v |= (uint64_t)rc_dec_bit(d, &m->second[b]) << (b - 2);
	v |= rc_dec_bits(d, b - 2);
	*out = v;
	return 0;
}

#endif /* SYNACK_LOG_RC_H */
