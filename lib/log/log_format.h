/*
 * log_format.h - internal: constants and helpers shared by the log writer
 * and reader (doc/log-format.md describes the bytes).
 */
#ifndef SYNACK_LOG_FORMAT_H
#define SYNACK_LOG_FORMAT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* Skippable zstd frame that starts every session in a file. */
#define LOGF_SKIP_MAGIC      0x184D2A53u /* any 0x184D2A50..5F is accepted */
#define LOGF_SKIP_MAGIC_MASK 0xFFFFFFF0u
#define LOGF_SKIP_MAGIC_BASE 0x184D2A50u
#define LOGF_HDR_MAGIC       "SYNACK"
#define LOGF_HDR_MAGIC_LEN   6
#define LOGF_VERSION         3 /* written; versions 1 and 2 are still read */
#define LOGF_VERSION_1       1
#define LOGF_VERSION_2       2  /* version 3 without column blocks */
#define LOGF_HDR_PAYLOAD     32 /* bytes of header payload (versions 1 to 3) */
#define LOGF_HDR_TOTAL       (8 + LOGF_HDR_PAYLOAD)

/* Column blocks inside the zstd frame. */
#define LOGF_BLOCK_MAX     4096u   /* records per block at most */
#define LOGF_SVC_DICT_MAX  65536u  /* internal (addr, port) entries per frame */
#define LOGF_EXT_DICT_MAX  262144u /* external address entries per frame */
#define LOGF_MISC_DICT_MAX 65536u  /* (flags, family, ftp, worker, vlan) tuples */

/* Version 2: one zstd frame per session, made of raw zstd blocks (one per
 * block of records) that hold range-coded records (log_codec.h). */
#define LOGF2_FRAME_HDR_LEN 6    /* magic, descriptor 0x00, window 128 KiB */
#define LOGF2_FHD           0x00 /* no content size, no checksum, no dictionary */
#define LOGF2_WINDOW        0x38 /* window log 17: blocks of up to 128 KiB */
#define LOGF2_BLOCK_HDR_LEN 3
#define LOGF2_BLOCK_BYTES   131072u /* largest raw zstd block */
#define LOGF2_RECORD_MAX    512u    /* more than one record ever takes, coded */
#define LOGF2_CHECK_SEED    0x5359414Eull

/* Time deltas of 2^32-1 us (71 min) and more go to the escape column. */
#define LOGF_TIME_ESCAPE 0xFFFFFFFFu

/* Address kinds in dictionary definitions. */
#define LOGF_ADDR_V4 4  /* 4 bytes follow, bytes 4..15 are zero */
#define LOGF_ADDR_16 16 /* all 16 bytes follow */

/* Dictionary key: 24 bytes, compared with memcmp. */
struct logf_key {
	uint64_t w[3];
};

static inline uint64_t logf_hash(const struct logf_key *k)
{
	uint64_t h = k->w[0] * 0x9E3779B97F4A7C15ull;
	h ^= (k->w[1] + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
	h ^= (k->w[2] + 0x165667B19E3779F9ull) * 0x94D049BB133111EBull;
	h ^= h >> 31;
	h *= 0xBF58476D1CE4E5B9ull;
	h ^= h >> 29;
	return h;
}

/* svc key: saddr (16) | sport, vlan, family (the VLAN and the family go
 * with the internal host, so they cost nothing more in the dictionary) */
static inline void logf_svc_key(struct logf_key *k, const uint8_t addr[16], uint16_t port,
                                uint16_t vlan, uint8_t family)
{
	memset(k, 0, sizeof(*k));
	memcpy(&k->w[0], addr, 16);
	k->w[2] = (uint64_t)port | (uint64_t)vlan << 16 | (uint64_t)family << 32;
}

static inline void logf_ext_key(struct logf_key *k, const uint8_t addr[16])
{
	memset(k, 0, sizeof(*k));
	memcpy(&k->w[0], addr, 16);
}

/* misc tuple: flags (16) | ftp (8) | worker (8) */
static inline uint64_t logf_misc_pack(uint16_t flags, uint8_t ftp, uint8_t worker)
{
	return (uint64_t)flags | (uint64_t)ftp << 16 | (uint64_t)worker << 24;
}

static inline int logf_addr_kind(const uint8_t addr[16])
{
	static const uint8_t zero[12];
	return memcmp(addr + 4, zero, 12) == 0 ? LOGF_ADDR_V4 : LOGF_ADDR_16;
}

static inline uint8_t *logf_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Returns bytes used, 0 on overrun or overlong. */
static inline size_t logf_get_varint(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;
	const uint8_t *s = p;

	while (p < end && shift < 64) {
		uint8_t b = *p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return (size_t)(p - s);
		}
		shift += 7;
	}
	return 0;
}

static inline uint64_t logf_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t logf_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline void logf_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void logf_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void logf_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t logf_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* zstd block header: last flag, type (0 = raw), size. */
static inline void logf2_block_hdr(uint8_t *p, size_t size, int last)
{
	uint32_t v = (uint32_t)size << 3 | (last ? 1u : 0u);
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
}

static inline uint64_t logf_get_u64(const uint8_t *p)
{
	return (uint64_t)logf_get_u32(p) | (uint64_t)logf_get_u32(p + 4) << 32;
}

/* A version 3 (or 2) session's start: the header (skippable frame) and the zstd
 * frame header, LOGF_HDR_TOTAL + LOGF2_FRAME_HDR_LEN bytes. */
static inline void logf2_session_header(uint8_t *p, uint32_t sensor_id, uint64_t start_ns,
                                        uint64_t hour_unix)
{
	memset(p, 0, LOGF_HDR_TOTAL);
	logf_put_u32(p, LOGF_SKIP_MAGIC);
	logf_put_u32(p + 4, LOGF_HDR_PAYLOAD);
	memcpy(p + 8, LOGF_HDR_MAGIC, LOGF_HDR_MAGIC_LEN);
	logf_put_u16(p + 14, LOGF_VERSION);
	logf_put_u32(p + 16, sensor_id);
	logf_put_u64(p + 24, start_ns);
	logf_put_u64(p + 32, hour_unix);
	p += LOGF_HDR_TOTAL;
	logf_put_u32(p, 0xFD2FB528u); /* zstd frame magic */
	p[4] = LOGF2_FHD;
	p[5] = LOGF2_WINDOW;
}

/* Writes all of buf (retrying short writes and EINTR); 0 or -1 with errno. */
static inline int logf_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += (size_t)n;
		len -= (size_t)n;
	}
	return 0;
}

#endif /* SYNACK_LOG_FORMAT_H */
