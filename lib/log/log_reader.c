/*
 * log_reader.c - decode hourly logs (doc/log-format.md).
 *
 * The file is read whole.  It is cut into segments at the synack header
 * markers (skippable zstd frames); each segment holds one zstd frame: of
 * range-coded blocks and, in version 3, column blocks; in version 1, of
 * zstd-compressed column blocks.  A segment whose frame is cut off or damaged yields the
 * blocks decoded before the damage and marks the reader truncated; reading
 * goes on at the next marker (a restart appends a new segment after a
 * crash).
 */
#include "log/log_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "log/log_codec.h"
#include "log/log_columns.h"
#include "log/log_dict.h"
#include "log/log_format.h"

struct log_reader {
	uint8_t *buf;
	size_t size;
	size_t pos;            /* next byte of the file to look at */
	size_t seg_end;        /* end of the current segment */
	bool in_frame;         /* decoding a zstd frame */
	int version;           /* of the current segment */
	bool v2_checksum;      /* the frame ends with a content checksum */
	uint64_t frame_blocks; /* blocks of the current frame */
	uint64_t sessions, blocks;
	struct logf2_state v2;      /* version 2 and 3 coder state */
	struct logf3_coder columns; /* made at the first column block */
	bool have_header;
	bool truncated;
	uint32_t sensor_id;
	ZSTD_DCtx *dctx;
	/* decoded bytes not yet parsed into blocks */
	uint8_t *dec;
	size_t dec_len, dec_cap;
	/* per-frame state */
	uint64_t prev_us;
	struct logf_dict svc, ext, misc;
	/* decoded records of the current block */
	struct synack_record *recs;
	size_t nrecs, next;
	uint64_t *idx; /* scratch */
	char error[256];
};

static void set_err(struct log_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(struct log_reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

static bool is_marker(const uint8_t *p, size_t avail)
{
	if (avail < LOGF_HDR_TOTAL)
		return false;
	uint32_t magic = logf_get_u32(p);
	uint32_t size = logf_get_u32(p + 4);
	return (magic & LOGF_SKIP_MAGIC_MASK) == LOGF_SKIP_MAGIC_BASE && size >= LOGF_HDR_PAYLOAD &&
	       size <= 65536 && memcmp(p + 8, LOGF_HDR_MAGIC, LOGF_HDR_MAGIC_LEN) == 0 &&
	       avail - 8 >= size;
}

/* Offset of the first marker that starts in [from, upto), or size. */
static size_t find_marker_before(const struct log_reader *r, size_t from, size_t upto)
{
	size_t p = from;
	if (upto > r->size)
		upto = r->size;
	while (p < upto && p + LOGF_HDR_TOTAL <= r->size) {
		size_t span = upto - p + LOGF_HDR_MAGIC_LEN - 1; /* magic starting before upto+8 */
		if (span > r->size - p - 8)
			span = r->size - p - 8;
		const uint8_t *hit =
		    memmem(r->buf + p + 8, span, LOGF_HDR_MAGIC, LOGF_HDR_MAGIC_LEN);
		if (!hit)
			break;
		size_t at = (size_t)(hit - r->buf) - 8;
		if (is_marker(r->buf + at, r->size - at))
			return at;
		p = at + 1;
	}
	return r->size;
}

/* Offset of the next marker at or after from, or size. */
static size_t find_marker(const struct log_reader *r, size_t from)
{
	return find_marker_before(r, from, r->size);
}

struct log_reader *log_reader_open(const char *path, char *err, size_t errlen)
{
	struct log_reader *r = calloc(1, sizeof(*r));
	struct stat st;
	int fd = -1;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	r->size = (size_t)st.st_size;
	r->buf = malloc(r->size ? r->size : 1);
	if (!r->buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	size_t got = 0;
	while (got < r->size) {
		ssize_t n = read(fd, r->buf + got, r->size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break; /* shrank while reading */
		got += (size_t)n;
	}
	r->size = got;
	close(fd);
	fd = -1;
	if (r->size > 0) {
		/* must start with a header (possibly cut short) */
		static const uint8_t want[14] = {0x53, 0x2a, 0x4d, 0x18, LOGF_HDR_PAYLOAD,
		                                 0,    0,    0,    'S',  'Y',
		                                 'N',  'A',  'C',  'K'};
		size_t m = r->size < 14 ? r->size : 14;
		bool ok = (r->buf[0] & 0xf0) == 0x50 &&
		          (m < 2 || memcmp(r->buf + 1, want + 1, 3 < m - 1 ? 3 : m - 1) == 0) &&
		          (m <= 8 || memcmp(r->buf + 8, want + 8, m - 8) == 0);
		if (!ok && find_marker(r, 0) >= r->size) { /* no header anywhere */
			snprintf(err, errlen, "%s: not a synack log", path);
			goto fail;
		}
	}
	if (is_marker(r->buf, r->size)) {
		r->sensor_id = logf_get_u32(r->buf + 16);
		r->have_header = true;
	}
	r->dctx = ZSTD_createDCtx();
	r->dec_cap = 1 << 20;
	r->dec = malloc(r->dec_cap);
	r->recs = malloc(LOGF_BLOCK_MAX * sizeof(*r->recs));
	r->idx = malloc(LOGF_BLOCK_MAX * sizeof(*r->idx));
	if (!r->dctx || !r->dec || !r->recs || !r->idx || logf2_state_init(&r->v2) < 0 ||
	    logf_dict_init(&r->svc, LOGF_SVC_DICT_MAX) < 0 ||
	    logf_dict_init(&r->ext, LOGF_EXT_DICT_MAX) < 0 ||
	    logf_dict_init(&r->misc, LOGF_MISC_DICT_MAX) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return r;
fail:
	if (fd >= 0)
		close(fd);
	log_reader_close(r);
	return NULL;
}

/* Start decoding a zstd frame at r->pos (inside the current segment). */
static void frame_start(struct log_reader *r)
{
	ZSTD_DCtx_reset(r->dctx, ZSTD_reset_session_only);
	r->in_frame = true;
	r->dec_len = 0;
	r->prev_us = 0;
	r->svc.n = r->ext.n = r->misc.n = 0;
}

/* Start a version 2 or 3 frame at r->pos: check its header (magic, no content
 * size, no dictionary, a window) and reset the coder. */
static void frame2_start(struct log_reader *r)
{
	const uint8_t *p = r->buf + r->pos;
	size_t avail = r->seg_end - r->pos;

	r->in_frame = false;
	if (avail < LOGF2_FRAME_HDR_LEN || logf_get_u32(p) != ZSTD_MAGICNUMBER || (p[4] & ~0x04u)) {
		r->truncated = true; /* cut or damaged frame header */
		r->pos = r->seg_end;
		return;
	}
	r->v2_checksum = (p[4] & 0x04) != 0;
	r->pos += LOGF2_FRAME_HDR_LEN;
	r->in_frame = true;
	r->frame_blocks = 0;
	logf2_state_reset(&r->v2);
}

/* Skip the rest of the segment after damage or a cut. */
static void segment_broken(struct log_reader *r)
{
	r->truncated = true;
	r->in_frame = false;
	r->pos = r->seg_end;
}

/* The header of the raw zstd block at p (avail bytes): its size, or -1
 * when it is not a raw block, is cut, or its payload is. */
static long raw_block_size(const uint8_t *p, size_t avail, uint32_t *bh)
{
	if (avail < LOGF2_BLOCK_HDR_LEN)
		return -1;
	*bh = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
	size_t size = *bh >> 3;
	if (((*bh >> 1) & 3) != 0 || size > LOGF2_BLOCK_BYTES || avail - LOGF2_BLOCK_HDR_LEN < size)
		return -1;
	return (long)size;
}

/* Next block of a version 2 or 3 frame.  Returns 1 with records, 0
 * otherwise (the frame ended, was cut, or held an empty block), -1 out of
 * memory. */
static int block2_next(struct log_reader *r)
{
	size_t avail = r->seg_end - r->pos;
	uint32_t bh;

	if (avail == 0) {
		/* a frame that was never ended: a cut, unless nothing was in it
		 * (a crash right after opening loses nothing) */
		if (r->frame_blocks)
			r->truncated = true;
		r->in_frame = false;
		return 0;
	}
	long size = raw_block_size(r->buf + r->pos, avail, &bh);
	if (size < 0) {
		segment_broken(r); /* not a raw block (damage), or cut inside */
		return 0;
	}
	bool columns = r->version == LOGF_VERSION && size == 0 && !(bh & 1);
	if (columns) {
		/* the marker: the next raw block is a column block */
		r->pos += LOGF2_BLOCK_HDR_LEN;
		size = raw_block_size(r->buf + r->pos, r->seg_end - r->pos, &bh);
		if (size <= 0) {
			segment_broken(r); /* cut after the marker, or damage */
			return 0;
		}
		if (!r->columns.planes && logf3_coder_init(&r->columns) < 0) {
			logf3_coder_free(&r->columns);
			set_err(r, "out of memory");
			return -1;
		}
	}
	r->pos += LOGF2_BLOCK_HDR_LEN;
	long n = 0;
	if (size) {
		const uint8_t *payload = r->buf + r->pos;
		n = columns ? logf3_columns_decode(&r->columns, payload, (size_t)size, r->recs)
		            : logf2_block_decode(&r->v2, payload, (size_t)size, r->recs);
		if (n < 0) {
			segment_broken(r);
			return 0;
		}
		r->frame_blocks++;
		r->blocks++;
	}
	r->pos += (size_t)size;
	if (bh & 1) { /* last block */
		r->in_frame = false;
		if (r->v2_checksum) {
			if (r->seg_end - r->pos < 4)
				segment_broken(r);
			else
				r->pos += 4;
		}
	}
	r->nrecs = (size_t)n;
	r->next = 0;
	return n > 0;
}

/* Go to the next segment: returns false at the end of the file. */
static bool next_segment(struct log_reader *r)
{
	size_t at = find_marker(r, r->pos);
	if (at != r->pos)
		r->truncated = true; /* bytes that belong to no segment */
	/* A header cut short by a failed write (a full disk, a crash) is
	 * followed by the next session's header inside the payload it declares:
	 * that one is the segment. */
	while (at < r->size) {
		size_t inner =
		    find_marker_before(r, at + 1, at + 8 + logf_get_u32(r->buf + at + 4));
		if (inner >= r->size)
			break;
		r->truncated = true;
		at = inner;
	}
	if (at >= r->size) {
		r->pos = r->size;
		return false;
	}
	const uint8_t *h = r->buf + at;
	uint32_t plen = logf_get_u32(h + 4);
	uint16_t version = (uint16_t)(h[14] | h[15] << 8);
	if (!r->have_header) {
		r->sensor_id = logf_get_u32(h + 16);
		r->have_header = true;
	}
	r->pos = at + 8 + plen;
	r->seg_end = find_marker(r, r->pos);
	r->sessions++;
	r->version = version;
	if (version != LOGF_VERSION_1 && version != LOGF_VERSION_2 && version != LOGF_VERSION) {
		/* unknown version: skip the segment, say so */
		r->truncated = true;
		r->pos = r->seg_end;
		return true;
	}
	if (r->pos < r->seg_end) {
		if (version != LOGF_VERSION_1)
			frame2_start(r);
		else
			frame_start(r);
	}
	return true;
}

/* Decode one block at the start of r->dec into r->recs.
 * Returns 1 done, 0 need more bytes, -1 malformed. */
static int parse_block(struct log_reader *r)
{
	const uint8_t *p = r->dec, *end = r->dec + r->dec_len;
	uint64_t count, plen;
	size_t k;

	if (!(k = logf_get_varint(p, end, &count))) {
		return r->dec_len >= 10 ? -1 : 0;
	}
	p += k;
	if (!(k = logf_get_varint(p, end, &plen)))
		return (size_t)(end - p) >= 10 ? -1 : 0;
	p += k;
	if (count == 0 || count > LOGF_BLOCK_MAX || plen > 128u * LOGF_BLOCK_MAX)
		return -1;
	if ((uint64_t)(end - p) < plen)
		return 0;
	const uint8_t *q = p, *qe = p + plen;
	size_t n = (size_t)count;
	struct synack_record *recs = r->recs;

	memset(recs, 0, n * sizeof(*recs));
	/* time: four byte planes of zigzag deltas, then escapes */
	if ((size_t)(qe - q) < 4 * n)
		return -1;
	{
		const uint8_t *planes = q;
		q += 4 * n;
		for (size_t i = 0; i < n; i++) {
			uint64_t z = (uint64_t)planes[i] | (uint64_t)planes[n + i] << 8 |
			             (uint64_t)planes[2 * n + i] << 16 |
			             (uint64_t)planes[3 * n + i] << 24;
			if (z == LOGF_TIME_ESCAPE) {
				if (!(k = logf_get_varint(q, qe, &z)))
					return -1;
				q += k;
			}
			r->prev_us += (uint64_t)logf_unzigzag(z);
			recs[i].time_ns = r->prev_us * 1000;
		}
	}
	/* internal address + port */
	size_t nnew = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(k = logf_get_varint(q, qe, &r->idx[i])))
			return -1;
		q += k;
		if (r->idx[i] == 0)
			nnew++;
	}
	if ((size_t)(qe - q) < nnew)
		return -1;
	const uint8_t *kinds = q, *addrs = q + nnew;
	size_t abytes = 0;
	for (size_t j = 0; j < nnew; j++) {
		if (kinds[j] != LOGF_ADDR_V4 && kinds[j] != LOGF_ADDR_16)
			return -1;
		abytes += kinds[j];
	}
	if ((size_t)(qe - addrs) < abytes + 5 * nnew)
		return -1;
	const uint8_t *phi = addrs + abytes, *plo = phi + nnew, *vhi = plo + nnew,
	              *vlo = vhi + nnew, *fam = vlo + nnew;
	q = fam + nnew;
	{
		size_t j = 0;
		const uint8_t *a = addrs;
		for (size_t i = 0; i < n; i++) {
			struct logf_key key;
			if (r->idx[i] == 0) {
				uint8_t addr[16] = {0};
				if (fam[j] != SYNACK_FAMILY_IPV4 && fam[j] != SYNACK_FAMILY_IPV6)
					return -1; /* damaged: no such family */
				memcpy(addr, a, kinds[j]);
				a += kinds[j];
				logf_svc_key(&key, addr, (uint16_t)(phi[j] << 8 | plo[j]),
				             (uint16_t)(vhi[j] << 8 | vlo[j]), fam[j]);
				j++;
				if (logf_dict_add(&r->svc, &key, 0, false) < 0 &&
				    r->svc.n < r->svc.max)
					return -1;
			} else {
				if (r->idx[i] > r->svc.n)
					return -1;
				key = r->svc.keys[r->idx[i] - 1];
			}
			memcpy(recs[i].saddr, &key.w[0], 16);
			recs[i].sport = (uint16_t)key.w[2];
			recs[i].vlan = (uint16_t)(key.w[2] >> 16);
			recs[i].family = (uint8_t)(key.w[2] >> 32);
		}
	}
	/* external address */
	nnew = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(k = logf_get_varint(q, qe, &r->idx[i])))
			return -1;
		q += k;
		if (r->idx[i] == 0)
			nnew++;
	}
	if ((size_t)(qe - q) < nnew)
		return -1;
	kinds = q;
	addrs = q + nnew;
	abytes = 0;
	for (size_t j = 0; j < nnew; j++) {
		if (kinds[j] != LOGF_ADDR_V4 && kinds[j] != LOGF_ADDR_16)
			return -1;
		abytes += kinds[j];
	}
	if ((size_t)(qe - addrs) < abytes)
		return -1;
	q = addrs + abytes;
	{
		size_t j = 0;
		const uint8_t *a = addrs;
		for (size_t i = 0; i < n; i++) {
			struct logf_key key;
			if (r->idx[i] == 0) {
				uint8_t addr[16] = {0};
				memcpy(addr, a, kinds[j]);
				a += kinds[j];
				j++;
				logf_ext_key(&key, addr);
				if (logf_dict_add(&r->ext, &key, 0, false) < 0 &&
				    r->ext.n < r->ext.max)
					return -1;
			} else {
				if (r->idx[i] > r->ext.n)
					return -1;
				key = r->ext.keys[r->idx[i] - 1];
			}
			memcpy(recs[i].daddr, &key.w[0], 16);
		}
	}
	/* external port, two byte planes */
	if ((size_t)(qe - q) < 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++)
		recs[i].dport = (uint16_t)(q[i] << 8 | q[n + i]);
	q += 2 * n;
	/* flags, family, ftp, worker, vlan */
	nnew = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(k = logf_get_varint(q, qe, &r->idx[i])))
			return -1;
		q += k;
		if (r->idx[i] == 0)
			nnew++;
	}
	if ((size_t)(qe - q) != 8 * nnew)
		return -1;
	for (size_t i = 0, j = 0; i < n; i++) {
		struct logf_key key;
		if (r->idx[i] == 0) {
			memset(&key, 0, sizeof(key));
			key.w[0] = logf_get_u64(q + 8 * j++);
			if (logf_dict_add(&r->misc, &key, 0, false) < 0 && r->misc.n < r->misc.max)
				return -1;
		} else {
			if (r->idx[i] > r->misc.n)
				return -1;
			key = r->misc.keys[r->idx[i] - 1];
		}
		uint64_t m = key.w[0];
		recs[i].flags = (uint16_t)m;
		recs[i].ftp = (uint8_t)(m >> 16);
		recs[i].worker = (uint8_t)(m >> 24);
	}
	/* consume */
	size_t used = (size_t)(qe - r->dec);
	memmove(r->dec, qe, r->dec_len - used);
	r->dec_len -= used;
	r->nrecs = n;
	r->next = 0;
	r->blocks++;
	return 1;
}

/* Produce the next block of records. Returns 1, 0 at the end, -1 error. */
static int fill(struct log_reader *r)
{
	for (;;) {
		if (r->version != LOGF_VERSION_1 && r->in_frame) {
			int rc = block2_next(r);
			if (rc != 0)
				return rc;
			continue;
		}
		if (r->dec_len) {
			int pb = parse_block(r);
			if (pb == 1)
				return 1;
			if (pb < 0 || !r->in_frame) {
				/* damaged block, or a block cut at the end of its
				 * frame: keep what came before, skip the rest */
				r->truncated = true;
				r->dec_len = 0;
				if (r->in_frame) {
					r->in_frame = false;
					r->pos = r->seg_end;
				}
				continue;
			}
		}
		if (r->in_frame) {
			if (r->dec_cap - r->dec_len < ZSTD_DStreamOutSize()) {
				size_t nc = r->dec_cap * 2;
				uint8_t *nd = realloc(r->dec, nc);
				if (!nd) {
					set_err(r, "out of memory");
					return -1;
				}
				r->dec = nd;
				r->dec_cap = nc;
			}
			ZSTD_inBuffer in = {r->buf + r->pos, r->seg_end - r->pos, 0};
			ZSTD_outBuffer out = {r->dec + r->dec_len, r->dec_cap - r->dec_len, 0};
			size_t ret = ZSTD_decompressStream(r->dctx, &out, &in);
			r->pos += in.pos;
			r->dec_len += out.pos;
			if (ZSTD_isError(ret)) {
				/* damaged frame: blocks already decoded still count */
				r->truncated = true;
				r->in_frame = false;
				r->pos = r->seg_end;
			} else if (ret == 0) {
				r->in_frame = false; /* frame complete */
			} else if (in.pos == in.size && out.pos == 0) {
				/* the segment ends inside the frame: cut off */
				r->truncated = true;
				r->in_frame = false;
				r->pos = r->seg_end;
			}
			continue;
		}
		if (r->pos < r->seg_end) {
			/* another frame in the same segment, or junk */
			if (r->version == LOGF_VERSION_1 && r->seg_end - r->pos >= 4 &&
			    logf_get_u32(r->buf + r->pos) == ZSTD_MAGICNUMBER) {
				frame_start(r);
			} else {
				r->truncated = true;
				r->pos = r->seg_end;
			}
			continue;
		}
		if (!next_segment(r))
			return 0;
	}
}

long log_reader_next(struct log_reader *r, struct synack_record *recs, size_t max)
{
	size_t got = 0;

	while (got < max) {
		if (r->next == r->nrecs) {
			int rc = fill(r);
			if (rc < 0)
				return got ? (long)got : -1;
			if (rc == 0)
				break;
		}
		size_t take = r->nrecs - r->next;
		if (take > max - got)
			take = max - got;
		memcpy(recs + got, r->recs + r->next, take * sizeof(*recs));
		r->next += take;
		got += take;
	}
	return (long)got;
}

bool log_reader_truncated(const struct log_reader *r)
{
	return r->truncated;
}

void log_reader_counts(const struct log_reader *r, uint64_t *sessions, uint64_t *blocks)
{
	*sessions = r->sessions;
	*blocks = r->blocks;
}

uint32_t log_reader_sensor_id(const struct log_reader *r)
{
	return r->sensor_id;
}

const char *log_reader_error(const struct log_reader *r)
{
	return r->error;
}

void log_reader_close(struct log_reader *r)
{
	if (!r)
		return;
	free(r->buf);
	ZSTD_freeDCtx(r->dctx);
	free(r->dec);
	free(r->recs);
	free(r->idx);
	logf_dict_free(&r->svc);
	logf_dict_free(&r->ext);
	logf_dict_free(&r->misc);
	logf2_state_free(&r->v2);
	logf3_coder_free(&r->columns);
	free(r);
}
