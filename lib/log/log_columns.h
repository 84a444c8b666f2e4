/*
 * log_columns.h - internal: the column blocks of log format 3
 * (doc/log-format.md, "Version 3").
 *
 * Under a scan storm the writer stores a block of records as byte planes of
 * their fields, compressed by zstd at a low level, instead of range coding
 * them: several times faster to write, a little larger.  A column block is
 * self-contained: it neither reads nor changes the range coder's state.
 * In the file it is an empty raw zstd block (the marker) followed by a raw
 * zstd block whose payload is one zstd frame of the columns.
 */
#ifndef SYNACK_LOG_COLUMNS_H
#define SYNACK_LOG_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "log/log_format.h"
#include "record.h"

#define LOGF3_COLUMN_LEVEL  1                   /* zstd level of column blocks */
#define LOGF3_MARK_LEN      LOGF2_BLOCK_HDR_LEN /* the empty raw block before one */
#define LOGF3_COLUMNS_HEAD  3                   /* count (16 bits), layout byte */
#define LOGF3_WIDE_SADDR    0x01                /* layout: 16 byte planes of saddr, else 4 */
#define LOGF3_WIDE_DADDR    0x02
#define LOGF3_RECORD_PLANES 51 /* byte planes of a record at most */
#define LOGF3_COLUMNS_MAX   (LOGF3_COLUMNS_HEAD + LOGF3_RECORD_PLANES * LOGF_BLOCK_MAX)

/* Buffers to code column blocks with (one per writer, reader or sealer). */
struct logf3_coder {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	uint8_t *planes; /* LOGF3_COLUMNS_MAX bytes */
	uint8_t *out;    /* the coded blocks: room for two of them */
	size_t out_cap;
};

int logf3_coder_init(struct logf3_coder *c); /* 0, or -1 out of memory */
void logf3_coder_free(struct logf3_coder *c);

/* Code records r[0 .. n-1] (1 .. LOGF_BLOCK_MAX) as column blocks (one, or
 * more when the compressed columns would not fit one raw block), each with
 * its marker, into c->out.  Returns the bytes to write, 0 on a zstd error. */
size_t logf3_columns_encode(struct logf3_coder *c, const struct synack_record *r, size_t n);

/* Decode the payload of a column block into out (room for LOGF_BLOCK_MAX).
 * Returns the number of records, or -1 when the block is damaged. */
long logf3_columns_decode(struct logf3_coder *c, const uint8_t *p, size_t len,
                          struct synack_record *out);

#endif /* SYNACK_LOG_COLUMNS_H */
