/*
 * classifier.c - the out-of-line classifier API and the rare paths of the
 * inline hot path (classifier_inline.h).  Rules: doc/classifier.md.
 */
#include "classify/classifier.h"

#include <string.h>

#include "classify/classifier_inline.h"

static int is_ipv6_ext(unsigned nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51;
}

enum classify_result classify__ipv6_ext(const uint8_t *ip, size_t end, size_t *thoff)
{
	unsigned nh = ip[6];
	size_t off = 40;

	for (int i = 0; i < CLASSIFY_MAX_IPV6_EXT; i++) {
		size_t hlen;

		switch (nh) {
		case 6:
			*thoff = off;
			return CLASSIFY_MATCH;
		case 0:  /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			if (off + 2 > end)
				return CLASSIFY_MALFORMED;
			hlen = ((size_t)ip[off + 1] + 1) * 8;
			break;
		case 44: /* fragment: only offset 0 carries the TCP header */
			if (off + 8 > end)
				return CLASSIFY_MALFORMED;
			if ((cls_be16(ip + off + 2) & 0xfff8) != 0)
				return CLASSIFY_NOT_TCP;
			hlen = 8;
			break;
		case 51: /* authentication header: length in 4-octet units, minus 2 */
			if (off + 2 > end)
				return CLASSIFY_MALFORMED;
			hlen = ((size_t)ip[off + 1] + 2) * 4;
			break;
		default: /* ESP (50), no next header (59), UDP, ICMPv6, unknown */
			return CLASSIFY_NOT_TCP;
		}
		nh = ip[off];
		off += hlen;
		if (off > end)
			return CLASSIFY_MALFORMED;
	}
	if (nh == 6) {
		*thoff = off;
		return CLASSIFY_MATCH;
	}
	/* More than CLASSIFY_MAX_IPV6_EXT extension headers: we do not walk it. */
	return is_ipv6_ext(nh) ? CLASSIFY_MALFORMED : CLASSIFY_NOT_TCP;
}

enum classify_result classify__pppoe(const struct classify_policy *policy, const uint8_t *p,
                                     size_t cap, const uint8_t *tags, unsigned ntags,
                                     struct classify_tuple *out)
{
	/* ver/type (0x11), code (0x00 in session), session id, length, PPP protocol */
	if (cap < 8)
		return CLASSIFY_MALFORMED;
	if (p[0] != 0x11 || p[1] != 0x00)
		return CLASSIFY_MALFORMED;
	size_t proto = cls_be16(p + 6);
	if (proto == 0x0021)
		return classify_ipv4_inline(policy, p + 8, cap - 8, tags, ntags, out);
	if (proto == 0x0057)
		return classify_ipv6_inline(policy, p + 8, cap - 8, tags, ntags, out);
	return CLASSIFY_NOT_IP; /* LCP, IPCP, ... */
}

static inline bool in_set(const struct prefix_set *set, int family, const uint8_t *addr)
{
	if (set == NULL)
		return false;
	return family == SYNACK_FAMILY_IPV4 ? prefix_set_contains4(set, addr)
	                                    : prefix_set_contains6(set, addr);
}

enum classify_result classify__direction(const struct classify_policy *policy, int family,
                                         const uint8_t *saddr, const uint8_t *daddr,
                                         const uint8_t *th, const uint8_t *tags, unsigned ntags,
                                         struct classify_tuple *out)
{
	enum classify_result r;

	if (!in_set(policy->internal, family, saddr))
		r = CLASSIFY_WRONG_DIRECTION;
	else if (!policy->peers_any && in_set(policy->internal, family, daddr))
		r = CLASSIFY_WRONG_DIRECTION;
	else if (in_set(policy->excluded, family, saddr))
		r = CLASSIFY_EXCLUDED;
	else
		r = CLASSIFY_MATCH;

	if (out != NULL) {
		size_t alen = family == SYNACK_FAMILY_IPV4 ? 4 : 16;

		memset(out, 0, sizeof(*out));
		out->family = (uint8_t)family;
		out->vlan_count = (uint8_t)ntags;
		for (unsigned i = 0; i < ntags; i++)
			out->vlan[i] = (uint16_t)(cls_be16(tags + 4 * i) & 0x0fff);
		out->sport = (uint16_t)cls_be16(th);
		out->dport = (uint16_t)cls_be16(th + 2);
		out->flags = (uint16_t)(((th[12] & 0x01u) << 8) | th[13]);
		memcpy(out->saddr, saddr, alen);
		memcpy(out->daddr, daddr, alen);
	}
	return r;
}

enum classify_result classify_ethernet(const struct classify_policy *policy, const uint8_t *frame,
                                       size_t len, struct classify_tuple *out)
{
	return classify_ethernet_inline(policy, frame, len, out);
}

enum classify_result classify_ip(const struct classify_policy *policy, const uint8_t *pkt,
                                 size_t len, struct classify_tuple *out)
{
	if (len < 1)
		return CLASSIFY_MALFORMED;
	switch (pkt[0] >> 4) {
	case 4:
		return classify_ipv4_inline(policy, pkt, len, NULL, 0, out);
	case 6:
		return classify_ipv6_inline(policy, pkt, len, NULL, 0, out);
	default:
		return CLASSIFY_NOT_IP;
	}
}

/* An IP packet announced as IPv4 (want 4) or IPv6 (want 6) by the link layer. */
static enum classify_result classify_ip_as(const struct classify_policy *policy, int want,
                                           const uint8_t *pkt, size_t len,
                                           struct classify_tuple *out)
{
	if (len < 1)
		return CLASSIFY_MALFORMED;
	if ((pkt[0] >> 4) != want)
		return CLASSIFY_MALFORMED;
	return want == 4 ? classify_ipv4_inline(policy, pkt, len, NULL, 0, out)
	                 : classify_ipv6_inline(policy, pkt, len, NULL, 0, out);
}

/* LINKTYPE_NULL / LINKTYPE_LOOP: a 4-byte address family, host order for
 * NULL and network order for LOOP; files from other machines use either, so
 * both orders are accepted for both. */
static enum classify_result classify_null(const struct classify_policy *policy, const uint8_t *f,
                                          size_t len, struct classify_tuple *out)
{
	unsigned fam;

	if (len < 4)
		return CLASSIFY_MALFORMED;
	if (f[0] == 0 && f[1] == 0 && f[2] == 0)
		fam = f[3]; /* big-endian */
	else if (f[1] == 0 && f[2] == 0 && f[3] == 0)
		fam = f[0]; /* little-endian */
	else
		return CLASSIFY_NOT_IP;
	switch (fam) {
	case 2: /* AF_INET everywhere */
		return classify_ip_as(policy, 4, f + 4, len - 4, out);
	case 10: /* AF_INET6: Linux */
	case 24: /* NetBSD, OpenBSD, BSD/OS */
	case 28: /* FreeBSD, DragonFly */
	case 30: /* macOS */
		return classify_ip_as(policy, 6, f + 4, len - 4, out);
	default:
		return CLASSIFY_NOT_IP;
	}
}

/* LINKTYPE_NFLOG: 4-byte header (family, version, resource id), then TLVs
 * whose length and type are in host byte order (libpcap converts files from
 * the other byte order); length includes the 4-byte TLV header and TLVs are
 * padded to 4 bytes.  Type 9 (NFULA_PAYLOAD) holds the IP packet. */
static enum classify_result classify_nflog(const struct classify_policy *policy, const uint8_t *f,
                                           size_t len, struct classify_tuple *out)
{
	size_t off = 4;

	if (len < 4)
		return CLASSIFY_MALFORMED;
	while (len - off >= 4) {
		uint16_t tlen, type;

		memcpy(&tlen, f + off, 2);
		memcpy(&type, f + off + 2, 2);
		if (tlen < 4)
			return CLASSIFY_MALFORMED;
		if ((type & 0x3fff) == 9) { /* NLA_TYPE_MASK */
			size_t plen = (size_t)tlen - 4;
			size_t room = len - off - 4;
			return classify_ip(policy, f + off + 4, plen < room ? plen : room, out);
		}
		size_t step = ((size_t)tlen + 3) & ~(size_t)3;
		if (step > len - off)
			break;
		off += step;
	}
	return CLASSIFY_NOT_IP; /* no payload TLV (within the capture) */
}

bool classify_linktype_supported(int linktype)
{
	switch (linktype) {
	case LINKTYPE_NULL:
	case LINKTYPE_ETHERNET:
	case LINKTYPE_RAW:
	case LINKTYPE_LOOP:
	case LINKTYPE_LINUX_SLL:
	case LINKTYPE_IPV4:
	case LINKTYPE_IPV6:
	case LINKTYPE_NFLOG:
	case LINKTYPE_LINUX_SLL2:
	case LINKTYPE_DLT_RAW12:
	case LINKTYPE_DLT_RAW14:
		return true;
	default:
		return false;
	}
}

enum classify_result classify_frame(const struct classify_policy *policy, int linktype,
                                    const uint8_t *frame, size_t len, struct classify_tuple *out)
{
	switch (linktype) {
	case LINKTYPE_ETHERNET:
		return classify_ethernet_inline(policy, frame, len, out);
	case LINKTYPE_RAW:
		return classify_ip(policy, frame, len, out);
	case LINKTYPE_IPV4:
		return classify_ip_as(policy, 4, frame, len, out);
	case LINKTYPE_IPV6:
		return classify_ip_as(policy, 6, frame, len, out);
	case LINKTYPE_NULL:
	case LINKTYPE_LOOP:
		return classify_null(policy, frame, len, out);
	case LINKTYPE_DLT_RAW12: /* raw IP, or OpenBSD's DLT_LOOP */
	case LINKTYPE_DLT_RAW14:
		if (len >= 1 && ((frame[0] >> 4) == 4 || (frame[0] >> 4) == 6))
			return classify_ip(policy, frame, len, out);
		return classify_null(policy, frame, len, out);
	case LINKTYPE_LINUX_SLL: /* 16 bytes, protocol (an ethertype) at 14 */
		if (len < 16)
			return CLASSIFY_MALFORMED;
		return classify_ethertype_inline(policy, frame, len, 16, cls_raw16(frame + 14),
		                                 out);
	case LINKTYPE_LINUX_SLL2: /* 20 bytes, protocol at 0 */
		if (len < 20)
			return CLASSIFY_MALFORMED;
		return classify_ethertype_inline(policy, frame, len, 20, cls_raw16(frame), out);
	case LINKTYPE_NFLOG:
		return classify_nflog(policy, frame, len, out);
	default:
		return CLASSIFY_NOT_IP;
	}
}

void classify_tuple_to_record(const struct classify_tuple *t, uint64_t time_ns, uint8_t worker,
                              struct synack_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->time_ns = time_ns;
	if (t->family == SYNACK_FAMILY_IPV4) {
		memcpy(rec->saddr, t->saddr, 4);
		memcpy(rec->daddr, t->daddr, 4);
	} else {
		memcpy(rec->saddr, t->saddr, 16);
		memcpy(rec->daddr, t->daddr, 16);
	}
	rec->sport = t->sport;
	rec->dport = t->dport;
	rec->flags = t->flags;
	rec->vlan = t->vlan_count ? t->vlan[0] : 0;
	rec->family = t->family;
	rec->worker = worker;
}

const char *classify_result_name(enum classify_result r)
{
	switch (r) {
	case CLASSIFY_NOT_IP:
		return "not_ip";
	case CLASSIFY_NOT_TCP:
		return "not_tcp";
	case CLASSIFY_MALFORMED:
		return "malformed";
	case CLASSIFY_NOT_SYNACK:
		return "not_synack";
	case CLASSIFY_WRONG_DIRECTION:
		return "wrong_direction";
	case CLASSIFY_EXCLUDED:
		return "excluded";
	case CLASSIFY_MATCH:
		return "match";
	default:
		return "unknown";
	}
}
