/*
 * classifier_inline.h - the classifier's hot path as static inline functions.
 *
 * Include this (instead of calling classify_ethernet()) where the per-frame
 * call matters, e.g. the synackd worker loop and bench/classify: the common
 * case (untagged or tagged IPv4/IPv6 TCP that is not a SYN+ACK) then costs a
 * few loads and compares with no call.  Everything rare (PPPoE, IPv6
 * extension headers, prefix lookups and filling the tuple of a SYN+ACK) is
 * out of line in classifier.c.  The results are identical to the functions
 * in classifier.h, which are built from these.
 *
 * Order of tests: ethertype (and tags) -> IP header sanity -> IP protocol ->
 * fragment offset -> TCP header present and sane -> TCP flags -> (SYN+ACKs
 * only) prefix lookups.  See doc/classifier.md.
 */
#ifndef SYNACK_CLASSIFIER_INLINE_H
#define SYNACK_CLASSIFIER_INLINE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "classify/classifier.h"

#if defined(__GNUC__)
#define CLS_LIKELY(x)   __builtin_expect(!!(x), 1)
#define CLS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define CLS_LIKELY(x)   (x)
#define CLS_UNLIKELY(x) (x)
#endif

/* A 16-bit constant in network byte order, for comparing raw loads. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define CLS_BE16(x) ((uint16_t)(x))
#else
#define CLS_BE16(x) ((uint16_t)((((x)&0xffu) << 8) | (((x) >> 8) & 0xffu)))
#endif

#define CLS_ETH_IPV4   0x0800
#define CLS_ETH_IPV6   0x86DD
#define CLS_ETH_8021Q  0x8100
#define CLS_ETH_8021AD 0x88A8
#define CLS_ETH_QINQ   0x9100
#define CLS_ETH_PPPOES 0x8864

#define CLASSIFY_MAX_TAGS     4 /* 802.1Q/802.1ad/0x9100 tags before the payload */
#define CLASSIFY_MAX_IPV6_EXT 8 /* IPv6 extension headers walked */

/* Out-of-line parts (classifier.c).  Internal: use the classifier.h API. */
enum classify_result classify__direction(const struct classify_policy *policy, int family,
                                         const uint8_t *saddr, const uint8_t *daddr,
                                         const uint8_t *th, const uint8_t *tags, unsigned ntags,
                                         struct classify_tuple *out);
/* Walks the extension headers of an IPv6 packet whose next header is not
 * TCP.  Returns CLASSIFY_MATCH with *thoff set when a TCP header follows,
 * else the result for the packet. */
enum classify_result classify__ipv6_ext(const uint8_t *ip, size_t end, size_t *thoff);
enum classify_result classify__pppoe(const struct classify_policy *policy, const uint8_t *p,
                                     size_t cap, const uint8_t *tags, unsigned ntags,
                                     struct classify_tuple *out);

static inline uint16_t cls_raw16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline size_t cls_be16(const uint8_t *p)
{
	return (size_t)p[0] << 8 | p[1];
}

static inline int cls_is_tag(uint16_t raw)
{
	return raw == CLS_BE16(CLS_ETH_8021Q) || raw == CLS_BE16(CLS_ETH_8021AD) ||
	       raw == CLS_BE16(CLS_ETH_QINQ);
}

/* The TCP header at th has 20 bytes inside the packet; check data offset
 * (against the IP-declared end, not the capture) and flags. */
static inline enum classify_result cls_tcp(const struct classify_policy *policy, int family,
                                           const uint8_t *saddr, const uint8_t *daddr,
                                           const uint8_t *th, size_t room, const uint8_t *tags,
                                           unsigned ntags, struct classify_tuple *out)
{
	size_t doff = (size_t)(th[12] >> 4) * 4;
	unsigned mask = policy->strict ? 0xffu : 0x17u; /* strict: tcp[13] == 0x12 */

	if (CLS_UNLIKELY(doff < 20 || doff > room))
		return CLASSIFY_MALFORMED;
	if (CLS_LIKELY((th[13] & mask) != 0x12))
		return CLASSIFY_NOT_SYNACK;
	return classify__direction(policy, family, saddr, daddr, th, tags, ntags, out);
}

/* ip: the IPv4 header; cap: captured bytes from ip on. */
static inline enum classify_result classify_ipv4_inline(const struct classify_policy *policy,
                                                        const uint8_t *ip, size_t cap,
                                                        const uint8_t *tags, unsigned ntags,
                                                        struct classify_tuple *out)
{
	if (CLS_UNLIKELY(cap < 20))
		return CLASSIFY_MALFORMED;
	unsigned vihl = ip[0];
	size_t hl = (size_t)(vihl & 0x0f) * 4;
	size_t tot = cls_be16(ip + 2);
	if (CLS_UNLIKELY((vihl & 0xf0) != 0x40 || hl < 20 || tot < hl))
		return CLASSIFY_MALFORMED;
	if (ip[9] != 6)
		return CLASSIFY_NOT_TCP;
	if (CLS_UNLIKELY((cls_raw16(ip + 6) & CLS_BE16(0x1fff)) != 0))
		return CLASSIFY_NOT_TCP;    /* non-first fragment: no TCP header */
	size_t end = tot < cap ? tot : cap; /* never past the capture or the datagram */
	if (CLS_UNLIKELY(hl + 20 > end))
		return CLASSIFY_MALFORMED;
	return cls_tcp(policy, SYNACK_FAMILY_IPV4, ip + 12, ip + 16, ip + hl, tot - hl, tags, ntags,
	               out);
}

/* ip: the IPv6 header; cap: captured bytes from ip on. */
static inline enum classify_result classify_ipv6_inline(const struct classify_policy *policy,
                                                        const uint8_t *ip, size_t cap,
                                                        const uint8_t *tags, unsigned ntags,
                                                        struct classify_tuple *out)
{
	if (CLS_UNLIKELY(cap < 40 || (ip[0] & 0xf0) != 0x60))
		return CLASSIFY_MALFORMED;
	size_t tot = 40 + cls_be16(ip + 4);
	size_t end = tot < cap ? tot : cap;
	size_t thoff = 40;
	if (CLS_UNLIKELY(ip[6] != 6)) {
		enum classify_result r = classify__ipv6_ext(ip, end, &thoff);
		if (r != CLASSIFY_MATCH)
			return r;
	}
	if (CLS_UNLIKELY(thoff + 20 > end))
		return CLASSIFY_MALFORMED;
	return cls_tcp(policy, SYNACK_FAMILY_IPV6, ip + 8, ip + 24, ip + thoff, tot - thoff, tags,
	               ntags, out);
}

/*
 * The frame's payload starts at off with ethertype et (raw, network order):
 * IPv4 and IPv6 are tested first, then up to four tags are skipped, then
 * PPPoE session.  Requires off <= len.
 */
static inline enum classify_result classify_ethertype_inline(const struct classify_policy *policy,
                                                             const uint8_t *frame, size_t len,
                                                             size_t off, uint16_t et,
                                                             struct classify_tuple *out)
{
	const uint8_t *tags = frame + off;
	unsigned ntags = 0;

	for (;;) {
		if (CLS_LIKELY(et == CLS_BE16(CLS_ETH_IPV4)))
			return classify_ipv4_inline(policy, frame + off, len - off, tags, ntags,
			                            out);
		if (et == CLS_BE16(CLS_ETH_IPV6))
			return classify_ipv6_inline(policy, frame + off, len - off, tags, ntags,
			                            out);
		if (!cls_is_tag(et))
			break;
		if (ntags == CLASSIFY_MAX_TAGS || len - off < 4)
			return CLASSIFY_MALFORMED; /* fifth tag, or tag cut off */
		et = cls_raw16(frame + off + 2);
		off += 4;
		ntags++;
	}
	if (et == CLS_BE16(CLS_ETH_PPPOES))
		return classify__pppoe(policy, frame + off, len - off, tags, ntags, out);
	return CLASSIFY_NOT_IP;
}

/* Same as classify_ethernet(). */
static inline enum classify_result classify_ethernet_inline(const struct classify_policy *policy,
                                                            const uint8_t *frame, size_t len,
                                                            struct classify_tuple *out)
{
	if (CLS_UNLIKELY(len < 14))
		return CLASSIFY_MALFORMED;
	return classify_ethertype_inline(policy, frame, len, 14, cls_raw16(frame + 12), out);
}

#endif /* SYNACK_CLASSIFIER_INLINE_H */
