/*
 * frame_builder.h - builds test frames and writes pcap/pcapng files.
 *
 * For tests and tools only (dependency `framegen_dep`).  Frames: Ethernet II
 * with 0-4 VLAN tags (any TPID), IPv4 (options, fragments) or IPv6 (extension
 * headers, fragment header), TCP with any 12-bit flags, UDP, raw IP protocol
 * payloads, ARP; other link-layer headers (Linux SLL/SLL2, NULL/LOOP, raw IP)
 * around an IP packet.  Checksums are computed.  The writer produces classic
 * pcap (microsecond or nanosecond, either byte order) and pcapng (several
 * interfaces, each with its link type, snaplen and if_tsresol; EPB, SPB and
 * OPB packet blocks; several sections; either byte order).
 *
 * Example:
 *     struct fb_packet p;
 *     fb_packet_init(&p, 4);
 *     fb_addr4(p.src, "198.18.0.5"); fb_addr4(p.dst, "198.19.1.2");
 *     p.sport = 443; p.dport = 51000; p.flags = 0x012;
 *     uint8_t buf[FB_MAX_FRAME];
 *     size_t n = fb_build_ethernet(&p, buf, sizeof buf);
 */
#ifndef SYNACK_FRAME_BUILDER_H
#define SYNACK_FRAME_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FB_MAX_FRAME 16384

enum { FB_PROTO_TCP = 6, FB_PROTO_UDP = 17, FB_PROTO_ICMP = 1, FB_PROTO_GRE = 47 };

struct fb_ext6 {
	uint8_t type;         /* 0 hop-by-hop, 43 routing, 60 dest opts, 44 fragment, 51 AH, ... */
	uint8_t len8;         /* hdr-ext-len field (units of 8 bytes beyond the first 8; AH: 4-byte
	                       * units minus 2) - ignored for fragment (always 8 bytes) */
	uint16_t frag_offset; /* fragment header: offset in 8-byte units */
	bool frag_more;
};

struct fb_packet {
	/* link layer (Ethernet) */
	uint8_t src_mac[6], dst_mac[6];
	int vlan_count;        /* 0-4 (more are written if asked: up to 8) */
	uint16_t vlan_tpid[8]; /* 0 -> 0x8100 for all tags (0x88a8 for the outer of QinQ if set) */
	uint16_t vlan_id[8];   /* 12-bit ids, outermost first */
	/* IP */
	int family; /* 4 or 6 */
	uint8_t src[16], dst[16];
	uint8_t ttl;
	uint8_t tos;              /* IPv4 TOS / IPv6 traffic class (ECN bits live here) */
	uint8_t proto;            /* FB_PROTO_TCP (default), FB_PROTO_UDP, anything else */
	size_t ip4_options_len;   /* IPv4 options, multiple of 4, max 40 (NOPs + EOL) */
	uint16_t ip4_frag_offset; /* in 8-byte units */
	bool ip4_more_frags;
	bool ip4_dont_frag;
	uint16_t ip_id;
	int ext6_count; /* IPv6 extension headers before the transport header */
	struct fb_ext6 ext6[10];
	/* transport */
	uint16_t sport, dport;
	uint16_t flags; /* 12 bits: byte 13 plus AE (0x100) in byte 12 */
	uint32_t seq, ack;
	uint16_t window;
	size_t tcp_options_len; /* multiple of 4, max 40 (MSS first when >= 4) */
	int tcp_doff;           /* 0: computed; else written as given (for malformed tests) */
	/* payload */
	size_t payload_len;
	uint8_t payload_byte;
	size_t pad_to; /* pad the whole frame with zeros to at least this many bytes */
};

/* Defaults: family 4 or 6, TCP, TTL 64, window 65535, fixed MACs. */
void fb_packet_init(struct fb_packet *p, int family);

/* Parse a dotted or colon address into p->src/dst (returns 0, or -1). */
int fb_addr4(uint8_t out[16], const char *text);
int fb_addr6(uint8_t out[16], const char *text);

/* Build the IP packet (IPv4/IPv6 header onwards).  Returns its length, or 0 if
 * it does not fit in cap. */
size_t fb_build_ip(const struct fb_packet *p, uint8_t *out, size_t cap);

/* Ethernet II frame with p->vlan_count tags around fb_build_ip(). */
size_t fb_build_ethernet(const struct fb_packet *p, uint8_t *out, size_t cap);

/* ARP request (who-has tip tell sip) in an Ethernet frame (with p's VLANs). */
size_t fb_build_arp(const struct fb_packet *p, const uint8_t sip[4], const uint8_t tip[4],
                    uint8_t *out, size_t cap);

/* The packet in the given pcap link type: 1 Ethernet, 0 NULL, 108 LOOP,
 * 101 RAW, 228 IPV4, 229 IPV6, 113 LINUX_SLL, 276 LINUX_SLL2.  0 if the
 * link type is not supported by the builder. */
size_t fb_build_linktype(const struct fb_packet *p, int linktype, uint8_t *out, size_t cap);

/* Wrap an already built IP packet in a link-layer header; ethertype tells
 * what it is (0x0800, 0x86dd, 0x0806). */
size_t fb_wrap_linktype(int linktype, uint16_t ethertype, const uint8_t *ip, size_t iplen,
                        uint8_t *out, size_t cap);

/* ------------------------------------------------------------ writer */

enum fb_format {
	FB_PCAP_US = 0, /* classic pcap, microseconds (a1b2c3d4) */
	FB_PCAP_NS,     /* classic pcap, nanoseconds (a1b23c4d) */
	FB_PCAPNG,
};

struct fb_writer;

/* Opens path ("-" = stdout).  For pcap, linktype and snaplen go into the file
 * header; for pcapng a section header and one interface (linktype, snaplen,
 * tsresol 9 = nanoseconds) are written.  swap: write the other byte order. */
struct fb_writer *fb_writer_open(const char *path, enum fb_format fmt, int linktype,
                                 uint32_t snaplen, bool swap);
/* Same on an open stream (not closed by fb_writer_close). */
struct fb_writer *fb_writer_fopen(FILE *f, enum fb_format fmt, int linktype, uint32_t snaplen,
                                  bool swap);

/* pcapng: another interface; tsresol byte as in if_tsresol (6 = µs, 9 = ns,
 * 0x80|n = 2^-n).  Returns its index or -1. */
int fb_writer_add_interface(struct fb_writer *w, int linktype, uint32_t snaplen, uint8_t tsresol);
/* pcapng: a new section (byte order as given); interfaces start again at 0
 * (with none described: add some). */
int fb_writer_new_section(struct fb_writer *w, bool swap);
/* pcapng: an unknown/custom block to be skipped by readers. */
int fb_writer_raw_block(struct fb_writer *w, uint32_t type, const uint8_t *body, uint32_t len);

/* Writes a frame: the first min(len, snaplen) bytes, wire length len.
 * pcapng: an EPB on interface 0. */
int fb_write(struct fb_writer *w, uint64_t time_ns, const uint8_t *data, size_t len);
/* pcapng: EPB on interface iface. */
int fb_write_if(struct fb_writer *w, uint32_t iface, uint64_t time_ns, const uint8_t *data,
                size_t len);
/* pcapng: simple packet block (interface 0, no time). */
int fb_write_spb(struct fb_writer *w, const uint8_t *data, size_t len);
/* pcapng: obsolete packet block. */
int fb_write_opb(struct fb_writer *w, uint16_t iface, uint64_t time_ns, const uint8_t *data,
                 size_t len);

uint64_t fb_writer_frames(const struct fb_writer *w);
/* Flushes and closes; returns 0 or -1 on a write error. */
int fb_writer_close(struct fb_writer *w);

#endif /* SYNACK_FRAME_BUILDER_H */
