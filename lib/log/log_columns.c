/*
 * log_columns.c - column blocks of log format 3: a block of records as byte
 * planes of their fields, compressed by zstd (doc/log-format.md, "Column
 * block").  The writer uses them under a scan storm, where range coding
 * every record would cost more time than the writer has.
 */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include "log/log_columns.h"

#include <stdlib.h>
#include <string.h>
#include <zstd_errors.h>

int logf3_coder_init(struct logf3_coder *c)
{
	memset(c, 0, sizeof(*c));
	c->cctx = ZSTD_createCCtx();
	c->dctx = ZSTD_createDCtx();
	c->planes = malloc(LOGF3_COLUMNS_MAX);
	c->out_cap = 2 * (LOGF3_MARK_LEN + LOGF2_BLOCK_HDR_LEN + LOGF2_BLOCK_BYTES);
	c->out = malloc(c->out_cap);
	if (!c->cctx || !c->dctx || !c->planes || !c->out)
		return -1;
	if (ZSTD_isError(
	        ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_compressionLevel, LOGF3_COLUMN_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c->cctx, ZSTD_c_checksumFlag, 1)))
		return -1;
	return 0;
}

void logf3_coder_free(struct logf3_coder *c)
{
	ZSTD_freeCCtx(c->cctx);
	ZSTD_freeDCtx(c->dctx);
	free(c->planes);
	free(c->out);
	memset(c, 0, sizeof(*c));
}

/* Byte planes of one record: time 8, addresses 4 or 16 each, sport, dport,
 * flags, vlan 2 each, family, ftp, worker 1 each. */
static inline size_t record_planes(unsigned layout)
{
	return 8 + (layout & LOGF3_WIDE_SADDR ? 16 : 4) + (layout & LOGF3_WIDE_DADDR ? 16 : 4) + 11;
}

/* Bytes 4..15 of an address are not all zero. */
static inline bool addr_wide(const uint8_t a[16])
{
	uint64_t mid;
	uint32_t tail;
	memcpy(&mid, a + 4, 8);
	memcpy(&tail, a + 12, 4);
	return (mid | tail) != 0;
}

static unsigned block_layout(const struct synack_record *r, size_t n)
{
	unsigned layout = 0;
	for (size_t i = 0; i < n; i++)
		layout |= (addr_wide(r[i].saddr) ? LOGF3_WIDE_SADDR : 0u) |
		          (addr_wide(r[i].daddr) ? LOGF3_WIDE_DADDR : 0u);
	return layout;
}

/* Plane b of a 16-bit field: b = 0 the high byte, 1 the low byte. */
static inline uint8_t *put_u16_planes(uint8_t *q, const struct synack_record *r, size_t n,
                                      size_t offset)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t v;
		memcpy(&v, (const uint8_t *)&r[i] + offset, 2);
		q[i] = (uint8_t)(v >> 8);
		q[n + i] = (uint8_t)v;
	}
	return q + 2 * n;
}

static inline uint8_t *put_addr_planes(uint8_t *q, const struct synack_record *r, size_t n,
                                       size_t offset, size_t width)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *a = (const uint8_t *)&r[i] + offset;
		for (size_t b = 0; b < width; b++)
			q[b * n + i] = a[b];
	}
	return q + width * n;
}

/* The uncompressed columns of r[0 .. n-1]; returns their size. */
static size_t put_columns(uint8_t *p, const struct synack_record *r, size_t n)
{
	unsigned layout = block_layout(r, n);
	uint8_t *q = p + LOGF3_COLUMNS_HEAD;
	uint64_t prev_us = 0;

	p[0] = (uint8_t)n;
	p[1] = (uint8_t)(n >> 8);
	p[2] = (uint8_t)layout;
	for (size_t i = 0; i < n; i++) {
		uint64_t us = r[i].time_ns / 1000;
		uint64_t z = logf_zigzag((int64_t)(us - prev_us));
		prev_us = us;
		for (size_t b = 0; b < 8; b++)
			q[b * n + i] = (uint8_t)(z >> (8 * b));
	}
	q += 8 * n;
	q = put_addr_planes(q, r, n, offsetof(struct synack_record, saddr),
	                    layout & LOGF3_WIDE_SADDR ? 16 : 4);
	q = put_addr_planes(q, r, n, offsetof(struct synack_record, daddr),
	                    layout & LOGF3_WIDE_DADDR ? 16 : 4);
	q = put_u16_planes(q, r, n, offsetof(struct synack_record, sport));
	q = put_u16_planes(q, r, n, offsetof(struct synack_record, dport));
	q = put_u16_planes(q, r, n, offsetof(struct synack_record, flags));
	q = put_u16_planes(q, r, n, offsetof(struct synack_record, vlan));
	for (size_t i = 0; i < n; i++) {
		q[i] = r[i].family;
		q[n + i] = r[i].ftp;
		q[2 * n + i] = r[i].worker;
	}
	return (size_t)(q + 3 * n - p);
}

/* One column block (marker, block header, payload) at c->out + at, or
 * split in halves when it does not fit one raw block.  Returns the new end
 * of c->out, 0 on a zstd error. */
static size_t encode_at(struct logf3_coder *c, size_t at, const struct synack_record *r, size_t n)
{
	if (at + LOGF3_MARK_LEN + LOGF2_BLOCK_HDR_LEN + LOGF2_BLOCK_BYTES > c->out_cap)
		return 0; /* cannot happen: half a block always fits (compressBound) */
	size_t len = put_columns(c->planes, r, n);
	uint8_t *mark = c->out + at, *hdr = mark + LOGF3_MARK_LEN;
	uint8_t *payload = hdr + LOGF2_BLOCK_HDR_LEN;
	size_t z = ZSTD_compress2(c->cctx, payload, LOGF2_BLOCK_BYTES, c->planes, len);

	if (ZSTD_isError(z)) {
		if (n < 2 || ZSTD_getErrorCode(z) != ZSTD_error_dstSize_tooSmall)
			return 0;
		size_t end = encode_at(c, at, r, n / 2);
		return end ? encode_at(c, end, r + n / 2, n - n / 2) : 0;
	}
	logf2_block_hdr(mark, 0, 0);
	logf2_block_hdr(hdr, z, 0);
	return at + LOGF3_MARK_LEN + LOGF2_BLOCK_HDR_LEN + z;
}

size_t logf3_columns_encode(struct logf3_coder *c, const struct synack_record *r, size_t n)
{
	return encode_at(c, 0, r, n);
}

static inline const uint8_t *get_u16_planes(const uint8_t *q, struct synack_record *out, size_t n,
                                            size_t offset)
{
	for (size_t i = 0; i < n; i++) {
		uint16_t v = (uint16_t)(q[i] << 8 | q[n + i]);
		memcpy((uint8_t *)&out[i] + offset, &v, 2);
	}
	return q + 2 * n;
}

static inline const uint8_t *get_addr_planes(const uint8_t *q, struct synack_record *out, size_t n,
                                             size_t offset, size_t width)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t *a = (uint8_t *)&out[i] + offset;
		for (size_t b = 0; b < width; b++)
			a[b] = q[b * n + i];
	}
	return q + width * n;
}

/* Parse decompressed columns of len bytes; -1 when they are not what a
 * writer writes. */
static long get_columns(const uint8_t *p, size_t len, struct synack_record *out)
{
	if (len < LOGF3_COLUMNS_HEAD)
		return -1;
	size_t n = (size_t)p[0] | (size_t)p[1] << 8;
	unsigned layout = p[2];
	if (n == 0 || n > LOGF_BLOCK_MAX || layout > 3 ||
	    len != LOGF3_COLUMNS_HEAD + n * record_planes(layout))
		return -1;
	const uint8_t *q = p + LOGF3_COLUMNS_HEAD;
	uint64_t us = 0;

	memset(out, 0, n * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		uint64_t z = 0;
		for (size_t b = 0; b < 8; b++)
			z |= (uint64_t)q[b * n + i] << (8 * b);
		us += (uint64_t)logf_unzigzag(z);
		out[i].time_ns = us * 1000;
	}
	q += 8 * n;
	q = get_addr_planes(q, out, n, offsetof(struct synack_record, saddr),
	                    layout & LOGF3_WIDE_SADDR ? 16 : 4);
	q = get_addr_planes(q, out, n, offsetof(struct synack_record, daddr),
	                    layout & LOGF3_WIDE_DADDR ? 16 : 4);
	q = get_u16_planes(q, out, n, offsetof(struct synack_record, sport));
	q = get_u16_planes(q, out, n, offsetof(struct synack_record, dport));
	q = get_u16_planes(q, out, n, offsetof(struct synack_record, flags));
	q = get_u16_planes(q, out, n, offsetof(struct synack_record, vlan));
	for (size_t i = 0; i < n; i++) {
		out[i].family = q[i];
		out[i].ftp = q[n + i];
		out[i].worker = q[2 * n + i];
		if (out[i].family != SYNACK_FAMILY_IPV4 && out[i].family != SYNACK_FAMILY_IPV6)
			return -1;
	}
	return (long)n;
}

long logf3_columns_decode(struct logf3_coder *c, const uint8_t *p, size_t len,
                          struct synack_record *out)
{
	ZSTD_frameHeader fh;
	if (ZSTD_getFrameHeader(&fh, p, len) != 0 || fh.frameType != ZSTD_frame ||
	    !fh.checksumFlag || fh.frameContentSize > LOGF3_COLUMNS_MAX ||
	    ZSTD_findFrameCompressedSize(p, len) != len)
		return -1; /* not exactly one checksummed frame of columns */
	size_t got = ZSTD_decompressDCtx(c->dctx, c->planes, LOGF3_COLUMNS_MAX, p, len);
	if (ZSTD_isError(got) || got != fh.frameContentSize)
		return -1; /* damage: zstd's checksum or structure */
	return get_columns(c->planes, got, out);
}
