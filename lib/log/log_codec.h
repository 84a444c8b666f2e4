/*
 * log_codec.h - internal: the record model of log format 2, shared by the
 * writer and the reader (doc/log-format.md, "Version 2").
 *
 * A session's coder state (dictionaries, recent pairs, adaptive
 * probabilities) lives as long as its zstd frame: every block of the frame
 * continues it, so a block of a few records costs little more than its
 * records.  Encoder and decoder make the same updates in the same order.
 */
#ifndef SYNACK_LOG_CODEC_H
#define SYNACK_LOG_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log/log_format.h"
#include "log/log_rank.h"
#include "log/log_rc.h"
#include "record.h"

#define LOGF2_PAIRS 4 /* recent (service, external host) pairs */
#define LOGF2_FLAGS 4 /* recent flag values */

struct logf2_models {
	struct rc_uint_model time, svc, ext;
	rc_prob more;          /* another record in the block? */
	rc_prob pair[2][8];    /* recent pair 0..3, or 4 = none; [last was recent] */
	rc_prob dport_hi[256]; /* high byte of the external port */
	rc_prob dport_near;    /* port = recent pair's port + 1..16 */
	rc_prob dport_step[16];
	rc_prob flags[8];        /* recent flag value 0..3, or 4 = literal */
	rc_prob ftp_set;         /* ftp != 0 */
	rc_prob worker_same[2];  /* worker = predicted; [pair was recent] */
	rc_prob worker[256];     /* otherwise, the worker */
	rc_prob svc_v6, ext_v6;  /* address kind of a definition */
	rc_prob svc_byte[2][16]; /* byte = previous definition's byte; [v6][i] */
	rc_prob ext_byte[2][16];
	rc_prob svc_port_hi[256];
	rc_prob svc_vlan_same, svc_family_usual;
};

struct logf2_state {
	struct logf2_models m;
	struct logf2_dict svc, ext;              /* ranked by uses (log_rank.h) */
	struct synack_record pairs[LOGF2_PAIRS]; /* most recent first */
	uint64_t pair_tags[LOGF2_PAIRS];         /* encoder: logf2_pair_tag() of each */
	unsigned npairs;
	uint16_t flags[LOGF2_FLAGS]; /* most recent first */
	uint64_t prev_us;
	unsigned last_hit; /* the last record's pair was a recent one */
	uint8_t prev_worker;
	uint8_t svc_last[16]; /* previous definitions */
	uint16_t svc_last_vlan;
	uint8_t ext_last[16];
};

int logf2_state_init(struct logf2_state *s);   /* 0, or -1 out of memory */
void logf2_state_reset(struct logf2_state *s); /* start of a session */
void logf2_state_free(struct logf2_state *s);

/* The dictionary values of a record, prepared ahead of its coding. */
struct logf2_lookup {
	struct logf2_probe svc, ext;
};

void logf2_lookup_prepare(struct logf2_lookup *k, const struct synack_record *r);

/* A hash of a record's (service, external host) pair: the recent pairs are
 * compared by it first. */
static inline uint64_t logf2_pair_tag(const struct logf2_lookup *k)
{
	return k->svc.h ^ (k->ext.h >> 7 | k->ext.h << 57);
}

/* One record, its lookup prepared.  Returns 0, or -1 when a dictionary
 * cannot grow (memory). */
int logf2_encode(struct logf2_state *s, struct rc_enc *e, const struct synack_record *r,
                 const struct logf2_lookup *k);

/* Returns 0, or -1 on input that no encoder writes. */
int logf2_decode(struct logf2_state *s, struct rc_dec *d, struct synack_record *r);

/* Block check: a hash of the records as the reader returns them. */
uint64_t logf2_check_add(uint64_t h, const struct synack_record *r);

/* A block being written: a raw zstd block header, then the coded records,
 * "no more records" and 16 bits of the check. */
struct logf2_block {
	uint8_t *buf; /* LOGF2_BLOCK_HDR_LEN + LOGF2_BLOCK_BYTES bytes */
	struct rc_enc enc;
	uint32_t n;
	uint64_t check;
};

/* Add a record.  Returns 1 when the block is full and must be ended now, 0
 * when it can take more, -1 out of memory (the block is then unusable). */
int logf2_block_add(struct logf2_state *s, struct logf2_block *b, const struct synack_record *r);

/* Add records r[0 .. n-1] until the block is full, looking up the
 * dictionaries of later records ahead (prefetching) while coding the
 * earlier ones: the same bytes as logf2_block_add() one by one.  Returns
 * the number of records added (1 .. n; fewer when the block became full:
 * check logf2_block_full()), or -1 out of memory. */
long logf2_block_add_run(struct logf2_state *s, struct logf2_block *b,
                         const struct synack_record *r, size_t n);

static inline bool logf2_block_full(const struct logf2_block *b)
{
	return b->n == LOGF_BLOCK_MAX || b->enc.pos > LOGF2_BLOCK_BYTES - LOGF2_RECORD_MAX;
}

/* End the block (n > 0): returns the bytes to write from b->buf (the block
 * header included); the next add starts a new block. */
size_t logf2_block_end(struct logf2_state *s, struct logf2_block *b);

/* Decode the payload of one block into out (room for LOGF_BLOCK_MAX).
 * Returns the number of records, or -1 when the block is damaged. */
long logf2_block_decode(struct logf2_state *s, const uint8_t *p, size_t len,
                        struct synack_record *out);

#endif /* SYNACK_LOG_CODEC_H */
