/*
 * cls_builder.h - a tiny frame builder for the classifier tests.
 *
 * Frames are appended field by field, in wire order, into a fixed buffer;
 * fb_finish() fills IPv4 total length / IPv6 payload length (unless the
 * test overrides them afterwards with fb_set16) and NFLOG TLV lengths.
 * tcp_end remembers where the 20-byte base TCP header ends: a prefix of the
 * frame shorter than that must never MATCH.
 */
#ifndef CLS_BUILDER_H
#define CLS_BUILDER_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fb {
	uint8_t b[1024];
	size_t n;
	size_t ip_off;    /* start of the IP header, 0 = none */
	int ip_ver;       /* 4, 6 or 0 */
	size_t tcp_end;   /* end of the base TCP header, 0 = none */
	size_t nflog_tlv; /* offset of the NFLOG payload TLV, 0 = none */
	size_t pppoe_off; /* offset of the PPPoE header, 0 = none */
};

static inline void fb_init(struct fb *f)
{
	memset(f, 0, sizeof(*f));
}

static inline void fb_u8(struct fb *f, unsigned v)
{
	if (f->n >= sizeof(f->b)) {
		fprintf(stderr, "test frame too long\n");
		abort();
	}
	f->b[f->n++] = (uint8_t)v;
}

static inline void fb_u16(struct fb *f, unsigned v)
{
	fb_u8(f, (v >> 8) & 0xff);
	fb_u8(f, v & 0xff);
}

static inline void fb_u32(struct fb *f, uint32_t v)
{
	fb_u16(f, v >> 16);
	fb_u16(f, v & 0xffff);
}

static inline void fb_zeros(struct fb *f, size_t n)
{
	while (n--)
		fb_u8(f, 0);
}

static inline void fb_set16(struct fb *f, size_t off, unsigned v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

static inline void fb_addr(struct fb *f, int af, const char *text)
{
	uint8_t a[16];
	if (inet_pton(af, text, a) != 1) {
		fprintf(stderr, "test bug: bad address %s\n", text);
		abort();
	}
	for (int i = 0; i < (af == AF_INET ? 4 : 16); i++)
		fb_u8(f, a[i]);
}

/* Ethernet: destination and source MAC; the caller adds tags and the type. */
static inline void fb_eth_macs(struct fb *f)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
	for (int i = 0; i < 12; i++)
		fb_u8(f, macs[i]);
}

/* A tag: TPID then TCI (priority/DEI bits in pcp_dei, top 4 bits). */
static inline void fb_tag(struct fb *f, unsigned tpid, unsigned vid, unsigned pcp_dei)
{
	fb_u16(f, tpid);
	fb_u16(f, (pcp_dei << 12) | (vid & 0x0fff));
}

/* Untagged Ethernet header with this type. */
static inline void fb_eth(struct fb *f, unsigned ethertype)
{
	fb_eth_macs(f);
	fb_u16(f, ethertype);
}

/* PPPoE session header + PPP protocol. */
static inline void fb_pppoe(struct fb *f, unsigned ppp_proto)
{
	f->pppoe_off = f->n;
	fb_u8(f, 0x11);    /* version 1, type 1 */
	fb_u8(f, 0x00);    /* code: session data */
	fb_u16(f, 0x1234); /* session id */
	fb_u16(f, 0);      /* length, filled by fb_finish */
	fb_u16(f, ppp_proto);
}

/* IPv4 header with opt_bytes of options (NOPs; multiple of 4). */
static inline void fb_ipv4(struct fb *f, const char *src, const char *dst, unsigned proto,
                           size_t opt_bytes)
{
	f->ip_off = f->n;
	f->ip_ver = 4;
	fb_u8(f, 0x40 | (unsigned)((20 + opt_bytes) / 4));
	fb_u8(f, 0);       /* DSCP/ECN */
	fb_u16(f, 0);      /* total length, filled by fb_finish */
	fb_u16(f, 0x4242); /* id */
	fb_u16(f, 0x4000); /* DF */
	fb_u8(f, 64);      /* TTL */
	fb_u8(f, proto);
	fb_u16(f, 0); /* checksum: the classifier does not check it */
	fb_addr(f, AF_INET, src);
	fb_addr(f, AF_INET, dst);
	for (size_t i = 0; i < opt_bytes; i++)
		fb_u8(f, 1); /* NOP */
}

static inline void fb_ipv6(struct fb *f, const char *src, const char *dst, unsigned next)
{
	f->ip_off = f->n;
	f->ip_ver = 6;
	fb_u32(f, 0x60000000u);
	fb_u16(f, 0); /* payload length, filled by fb_finish */
	fb_u8(f, next);
	fb_u8(f, 64);
	fb_addr(f, AF_INET6, src);
	fb_addr(f, AF_INET6, dst);
}

/* Hop-by-hop (0), routing (43) or destination options (60) header of
 * total_len bytes (multiple of 8). */
static inline void fb_v6opts(struct fb *f, unsigned next, size_t total_len)
{
	fb_u8(f, next);
	fb_u8(f, (unsigned)(total_len / 8 - 1));
	fb_zeros(f, total_len - 2); /* Pad1/PadN area; routing type 0 etc. */
}

/* Fragment header: offset in 8-octet units, more-fragments flag. */
static inline void fb_v6frag(struct fb *f, unsigned next, unsigned offset, int more)
{
	fb_u8(f, next);
	fb_u8(f, 0);
	fb_u16(f, (offset << 3) | (more ? 1u : 0u));
	fb_u32(f, 0xabcdef01u);
}

/* Authentication header of total_len bytes (multiple of 4, >= 12). */
static inline void fb_v6ah(struct fb *f, unsigned next, size_t total_len)
{
	fb_u8(f, next);
	fb_u8(f, (unsigned)(total_len / 4 - 2));
	fb_u16(f, 0);
	fb_u32(f, 0x100); /* SPI */
	fb_u32(f, 1);     /* sequence */
	fb_zeros(f, total_len - 12);
}

/* TCP header: 12-bit flags, data offset in words (normally 5), followed by
 * opt_bytes of option bytes (NOPs). */
static inline void fb_tcp(struct fb *f, unsigned sport, unsigned dport, unsigned flags,
                          unsigned doff, size_t opt_bytes)
{
	size_t start = f->n;
	fb_u16(f, sport);
	fb_u16(f, dport);
	fb_u32(f, 0x11111111u); /* seq */
	fb_u32(f, 0x22222222u); /* ack */
	fb_u8(f, (doff << 4) | ((flags >> 8) & 1));
	fb_u8(f, flags & 0xff);
	fb_u16(f, 65535); /* window */
	fb_u16(f, 0);     /* checksum */
	fb_u16(f, 0);     /* urgent */
	f->tcp_end = start + 20;
	for (size_t i = 0; i < opt_bytes; i++)
		fb_u8(f, 1);
}

/* NFLOG: header (family, version 0, resource id), a packet-header TLV (type
 * 1) and the payload TLV header (type 9); lengths in host order. */
static inline void fb_nflog(struct fb *f, unsigned family)
{
	uint16_t v;
	fb_u8(f, family);
	fb_u8(f, 0);
	fb_u16(f, 7);
	v = 8; /* NFULA_PACKET_HDR: hw_protocol, hook, pad */
	memcpy(f->b + f->n, &v, 2);
	f->n += 2;
	v = 1;
	memcpy(f->b + f->n, &v, 2);
	f->n += 2;
	fb_u16(f, 0x0800);
	fb_u8(f, 1);
	fb_u8(f, 0);
	f->nflog_tlv = f->n;
	v = 0;
	memcpy(f->b + f->n, &v, 2);
	f->n += 2;
	v = 9; /* NFULA_PAYLOAD */
	memcpy(f->b + f->n, &v, 2);
	f->n += 2;
}

/* Fill in lengths now that the packet is complete. */
static inline void fb_finish(struct fb *f)
{
	if (f->ip_ver == 4)
		fb_set16(f, f->ip_off + 2, (unsigned)(f->n - f->ip_off));
	else if (f->ip_ver == 6)
		fb_set16(f, f->ip_off + 4, (unsigned)(f->n - f->ip_off - 40));
	if (f->pppoe_off)
		fb_set16(f, f->pppoe_off + 4, (unsigned)(f->n - f->pppoe_off - 6));
	if (f->nflog_tlv) {
		uint16_t v = (uint16_t)(f->n - f->nflog_tlv);
		memcpy(f->b + f->nflog_tlv, &v, 2);
	}
}

#endif /* CLS_BUILDER_H */
