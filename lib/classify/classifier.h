/*
 * classifier.h - decides whether a frame is an internal host's TCP SYN+ACK
 * to an external host, and extracts its tuple.
 *
 * Works on (bytes, captured length) only, so DPDK workers (on
 * rte_pktmbuf_mtod of each mbuf), capture files and the fuzzer share it.  It
 * never reads past len and trusts no length field in the frame.
 */
#ifndef SYNACK_CLASSIFIER_H
#define SYNACK_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prefix/prefix_set.h"
#include "record.h"

/* The policy a classifier applies.  Immutable once published to workers:
 * swap the pointer to change it (see app/synackd). */
struct classify_policy {
	const struct prefix_set *internal; /* our networks */
	const struct prefix_set *excluded; /* honeypots etc.; may be NULL */
	bool strict;                       /* accept only tcp[13] == 0x12 (AE bit ignored) */
	bool peers_any;                    /* do not require an external destination */
};

/* Outcome of classifying one frame; counters are indexed by it. */
enum classify_result {
	CLASSIFY_NOT_IP = 0,      /* not IPv4/IPv6 (ARP, LLDP, unknown ethertype) */
	CLASSIFY_NOT_TCP,         /* IP but not TCP, or a non-first fragment */
	CLASSIFY_MALFORMED,       /* truncated or inconsistent headers */
	CLASSIFY_NOT_SYNACK,      /* TCP but flags do not make a SYN+ACK */
	CLASSIFY_WRONG_DIRECTION, /* SYN+ACK, but not internal -> external */
	CLASSIFY_EXCLUDED,        /* SYN+ACK from an excluded internal host */
	CLASSIFY_MATCH,           /* count it: *out is filled */
	/* *out is also filled for WRONG_DIRECTION and EXCLUDED (a SYN+ACK was
	 * parsed); for the other results its contents are unspecified. */
	CLASSIFY_RESULT_COUNT
};

/* Everything the classifier extracts from a matching frame. */
struct classify_tuple {
	uint8_t family; /* SYNACK_FAMILY_IPV4 / _IPV6 */
	uint8_t vlan_count;
	uint16_t vlan[4]; /* VLAN ids, outermost first */
	uint16_t sport, dport;
	uint16_t flags;
	uint8_t saddr[16], daddr[16]; /* IPv4 in the first 4 bytes */
};

/* Link-layer types understood by classify_frame(), numbered as pcap's
 * LINKTYPE_* so capture files can pass theirs through.  libpcap's
 * pcap_datalink() returns DLT_* values, equal to these except DLT_RAW (12,
 * or 14 on OpenBSD, where 12 is DLT_LOOP): classify_frame() accepts 12 and
 * 14 too, as raw IP when the first nibble is an IP version and as a
 * NULL/LOOP header otherwise. */
enum classify_linktype {
	LINKTYPE_NULL = 0,
	LINKTYPE_ETHERNET = 1,
	LINKTYPE_DLT_RAW12 = 12, /* DLT_RAW (most systems), DLT_LOOP (OpenBSD) */
	LINKTYPE_DLT_RAW14 = 14, /* DLT_RAW (OpenBSD) */
	LINKTYPE_RAW = 101,
	LINKTYPE_LOOP = 108,
	LINKTYPE_LINUX_SLL = 113,
	LINKTYPE_IPV4 = 228,
	LINKTYPE_IPV6 = 229,
	LINKTYPE_NFLOG = 239,
	LINKTYPE_LINUX_SLL2 = 276,
};

/* Ethernet II frame (with up to four 802.1Q/802.1ad/0x9100 tags, and PPPoE
 * session frames). The fast path; classifier_inline.h has it as a static
 * inline function, classify_ethernet_inline().  out may be NULL. */
enum classify_result classify_ethernet(const struct classify_policy *policy, const uint8_t *frame,
                                       size_t len, struct classify_tuple *out);

/* A packet that starts at the IPv4 or IPv6 header (version nibble decides). */
enum classify_result classify_ip(const struct classify_policy *policy, const uint8_t *pkt,
                                 size_t len, struct classify_tuple *out);

/* Any supported link type; returns CLASSIFY_NOT_IP for unknown ones.
 * classify_linktype_supported() tells which are known. */
enum classify_result classify_frame(const struct classify_policy *policy, int linktype,
                                    const uint8_t *frame, size_t len, struct classify_tuple *out);
bool classify_linktype_supported(int linktype);

/* Copy a matched tuple into a record (time and worker set by the caller). */
void classify_tuple_to_record(const struct classify_tuple *t, uint64_t time_ns, uint8_t worker,
                              struct synack_record *rec);

const char *classify_result_name(enum classify_result r);

#endif /* SYNACK_CLASSIFIER_H */
