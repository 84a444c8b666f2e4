/*
 * frame_builder.c - test frames and pcap/pcapng writing (see frame_builder.h).
 */
#include "frame_builder.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

void fb_packet_init(struct fb_packet *p, int family)
{
	memset(p, 0, sizeof(*p));
	static const uint8_t smac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
	static const uint8_t dmac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
	memcpy(p->src_mac, smac, 6);
	memcpy(p->dst_mac, dmac, 6);
	p->family = family;
	p->ttl = 64;
	p->proto = FB_PROTO_TCP;
	p->window = 65535;
	p->ip_id = 1;
}

int fb_addr4(uint8_t out[16], const char *text)
{
	memset(out, 0, 16);
	return inet_pton(AF_INET, text, out) == 1 ? 0 : -1;
}

int fb_addr6(uint8_t out[16], const char *text)
{
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Transport header + payload at out; returns length. */
static size_t build_l4(const struct fb_packet *p, uint8_t *out, size_t cap)
{
	size_t hl = 0;
	if (p->proto == FB_PROTO_TCP) {
		size_t ol = p->tcp_options_len & ~(size_t)3;
		if (ol > 40)
			ol = 40;
		hl = 20 + ol;
		if (hl + p->payload_len > cap)
			return 0;
		memset(out, 0, hl);
		put16(out, p->sport);
		put16(out + 2, p->dport);
		put32(out + 4, p->seq);
		put32(out + 8, p->ack);
		int doff = p->tcp_doff ? p->tcp_doff : (int)(hl / 4);
		out[12] = (uint8_t)((doff & 0xf) << 4 | ((p->flags >> 8) & 0x0f));
		out[13] = (uint8_t)p->flags;
		put16(out + 14, p->window);
		if (ol >= 4) {
			out[20] = 2; /* MSS */
			out[21] = 4;
			put16(out + 22, 1460);
			for (size_t i = 24; i < hl; i++)
				out[i] = 1; /* NOP */
		}
	} else if (p->proto == FB_PROTO_UDP) {
		hl = 8;
		if (hl + p->payload_len > cap)
			return 0;
		put16(out, p->sport);
		put16(out + 2, p->dport);
		put16(out + 4, (uint16_t)(8 + p->payload_len));
		put16(out + 6, 0);
	} else if (p->proto == FB_PROTO_ICMP) {
		hl = 8;
		if (hl + p->payload_len > cap)
			return 0;
		memset(out, 0, 8);
		out[0] = 8; /* echo request */
	}
	if (hl + p->payload_len > cap)
		return 0;
	memset(out + hl, p->payload_byte, p->payload_len);
	return hl + p->payload_len;
}

static void l4_checksum(const struct fb_packet *p, uint8_t *l4, size_t l4len)
{
	int off;
	if (p->proto == FB_PROTO_TCP)
		off = 16;
	else if (p->proto == FB_PROTO_UDP)
		off = 6;
	else if (p->proto == FB_PROTO_ICMP && p->family == 4) {
		if (l4len >= 8) {
			put16(l4 + 2, 0);
			put16(l4 + 2, csum_fold(csum_add(0, l4, l4len)));
		}
		return;
	} else
		return;
	if ((size_t)off + 2 > l4len)
		return;
	uint32_t sum = 0;
	uint8_t ph[40];
	if (p->family == 4) {
		memcpy(ph, p->src, 4);
		memcpy(ph + 4, p->dst, 4);
		ph[8] = 0;
		ph[9] = p->proto;
		put16(ph + 10, (uint16_t)l4len);
		sum = csum_add(sum, ph, 12);
	} else {
		memcpy(ph, p->src, 16);
		memcpy(ph + 16, p->dst, 16);
		put32(ph + 32, (uint32_t)l4len);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = p->proto;
		sum = csum_add(sum, ph, 40);
	}
	put16(l4 + off, 0);
	uint16_t c = csum_fold(csum_add(sum, l4, l4len));
	if (p->proto == FB_PROTO_UDP && c == 0)
		c = 0xffff;
	put16(l4 + off, c);
}

size_t fb_build_ip(const struct fb_packet *p, uint8_t *out, size_t cap)
{
	if (p->family == 4) {
		size_t ol = p->ip4_options_len & ~(size_t)3;
		if (ol > 40)
			ol = 40;
		size_t ihl = 20 + ol;
		if (ihl > cap)
			return 0;
		bool has_l4 = p->ip4_frag_offset == 0;
		size_t l4len = 0;
		if (has_l4) {
			l4len = build_l4(p, out + ihl, cap - ihl);
			if (l4len == 0)
				return 0;
		} else {
			if (ihl + p->payload_len > cap)
				return 0;
			memset(out + ihl, p->payload_byte, p->payload_len);
			l4len = p->payload_len;
		}
		memset(out, 0, ihl);
		out[0] = (uint8_t)(0x40 | (ihl / 4));
		out[1] = p->tos;
		put16(out + 2, (uint16_t)(ihl + l4len));
		put16(out + 4, p->ip_id);
		uint16_t fo = (uint16_t)(p->ip4_frag_offset & 0x1fff);
		if (p->ip4_more_frags)
			fo |= 0x2000;
		if (p->ip4_dont_frag)
			fo |= 0x4000;
		put16(out + 6, fo);
		out[8] = p->ttl;
		out[9] = p->proto;
		memcpy(out + 12, p->src, 4);
		memcpy(out + 16, p->dst, 4);
		for (size_t i = 20; i < ihl; i++)
			out[i] = 1; /* NOP options */
		if (ol)
			out[ihl - 1] = 0; /* EOL */
		put16(out + 10, csum_fold(csum_add(0, out, ihl)));
		if (has_l4 && !p->ip4_more_frags)
			l4_checksum(p, out + ihl, l4len);
		return ihl + l4len;
	}
	/* IPv6 */
	if (cap < 40)
		return 0;
	size_t o = 40;
	uint8_t first_next = p->ext6_count > 0 ? p->ext6[0].type : p->proto;
	bool has_l4 = true;
	for (int i = 0; i < p->ext6_count && i < 10; i++) {
		const struct fb_ext6 *e = &p->ext6[i];
		uint8_t next = i + 1 < p->ext6_count ? p->ext6[i + 1].type : p->proto;
		size_t len;
		if (e->type == 44)
			len = 8;
		else if (e->type == 51)
			len = ((size_t)e->len8 + 2) * 4;
		else
			len = ((size_t)e->len8 + 1) * 8;
		if (o + len > cap)
			return 0;
		memset(out + o, 0, len);
		out[o] = next;
		if (e->type == 44) {
			put16(out + o + 2,
			      (uint16_t)(e->frag_offset << 3 | (e->frag_more ? 1 : 0)));
			put32(out + o + 4, 0x12345678);
			if (e->frag_offset != 0)
				has_l4 = false;
		} else {
			out[o + 1] = e->len8;
			if (e->type == 0 || e->type == 60) {
				/* PadN filling the option area */
				out[o + 2] = 1;
				out[o + 3] = (uint8_t)(len - 4);
			}
		}
		o += len;
	}
	size_t l4len;
	if (has_l4) {
		l4len = build_l4(p, out + o, cap - o);
		if (l4len == 0)
			return 0;
	} else {
		if (o + p->payload_len > cap)
			return 0;
		memset(out + o, p->payload_byte, p->payload_len);
		l4len = p->payload_len;
	}
	put32(out, 0x60000000u | (uint32_t)p->tos << 20);
	put16(out + 4, (uint16_t)(o - 40 + l4len));
	out[6] = first_next;
	out[7] = p->ttl;
	memcpy(out + 8, p->src, 16);
	memcpy(out + 24, p->dst, 16);
	if (has_l4)
		l4_checksum(p, out + o, l4len);
	return o + l4len;
}

static size_t eth_header(const struct fb_packet *p, uint16_t ethertype, uint8_t *out, size_t cap)
{
	int n = p->vlan_count < 0 ? 0 : p->vlan_count > 8 ? 8 : p->vlan_count;
	size_t hl = 14 + 4 * (size_t)n;
	if (hl > cap)
		return 0;
	memcpy(out, p->dst_mac, 6);
	memcpy(out + 6, p->src_mac, 6);
	size_t o = 12;
	for (int i = 0; i < n; i++) {
		uint16_t tpid = p->vlan_tpid[i] ? p->vlan_tpid[i] : 0x8100;
		put16(out + o, tpid);
		put16(out + o + 2, p->vlan_id[i] & 0x0fff);
		o += 4;
	}
	put16(out + o, ethertype);
	return hl;
}

static size_t pad(const struct fb_packet *p, uint8_t *out, size_t len, size_t cap)
{
	size_t want = p->pad_to;
	if (want > cap)
		want = cap;
	if (len < want) {
		memset(out + len, 0, want - len);
		len = want;
	}
	return len;
}

size_t fb_build_ethernet(const struct fb_packet *p, uint8_t *out, size_t cap)
{
	size_t hl = eth_header(p, p->family == 6 ? 0x86dd : 0x0800, out, cap);
	if (!hl)
		return 0;
	size_t n = fb_build_ip(p, out + hl, cap - hl);
	if (!n)
		return 0;
	return pad(p, out, hl + n, cap);
}

size_t fb_build_arp(const struct fb_packet *p, const uint8_t sip[4], const uint8_t tip[4],
                    uint8_t *out, size_t cap)
{
	size_t hl = eth_header(p, 0x0806, out, cap);
	if (!hl || hl + 28 > cap)
		return 0;
	uint8_t *a = out + hl;
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);
	memcpy(a + 8, p->src_mac, 6);
	memcpy(a + 14, sip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, tip, 4);
	size_t len = hl + 28;
	if (len < 60 && cap >= 60) {
		memset(out + len, 0, 60 - len);
		len = 60;
	}
	return pad(p, out, len, cap);
}

size_t fb_wrap_linktype(int linktype, uint16_t ethertype, const uint8_t *ip, size_t iplen,
                        uint8_t *out, size_t cap)
{
	size_t hl;
	switch (linktype) {
	case 1: {
		struct fb_packet p;
		fb_packet_init(&p, 4);
		hl = eth_header(&p, ethertype, out, cap);
		if (!hl)
			return 0;
		break;
	}
	case 0:   /* NULL: host byte order family */
	case 108: /* LOOP: network byte order family */
	{
		if (ethertype != 0x0800 && ethertype != 0x86dd)
			return 0;
		uint32_t fam = ethertype == 0x0800 ? 2 : 24; /* AF_INET6 as on NetBSD/OpenBSD */
		hl = 4;
		if (cap < 4)
			return 0;
		if (linktype == 108)
			put32(out, fam);
		else
			memcpy(out, &fam, 4);
		break;
	}
	case 101:
		if (ethertype != 0x0800 && ethertype != 0x86dd)
			return 0;
		hl = 0;
		break;
	case 228:
		if (ethertype != 0x0800)
			return 0;
		hl = 0;
		break;
	case 229:
		if (ethertype != 0x86dd)
			return 0;
		hl = 0;
		break;
	case 113: /* LINUX_SLL */
		hl = 16;
		if (cap < hl)
			return 0;
		memset(out, 0, 16);
		put16(out, 0);     /* packet type: to us */
		put16(out + 2, 1); /* ARPHRD_ETHER */
		put16(out + 4, 6); /* address length */
		out[6] = 0x02;     /* address */
		out[11] = 0x01;
		put16(out + 14, ethertype);
		break;
	case 276: /* LINUX_SLL2 */
		hl = 20;
		if (cap < hl)
			return 0;
		memset(out, 0, 20);
		put16(out, ethertype);
		put32(out + 4, 2); /* interface index */
		put16(out + 8, 1); /* ARPHRD_ETHER */
		out[10] = 0;       /* packet type */
		out[11] = 6;
		out[12] = 0x02;
		out[17] = 0x01;
		break;
	default:
		return 0;
	}
	if (hl + iplen > cap)
		return 0;
	memmove(out + hl, ip, iplen);
	size_t len = hl + iplen;
	if (linktype == 1 && len < 60 && cap >= 60) {
		memset(out + len, 0, 60 - len);
		len = 60;
	}
	return len;
}

size_t fb_build_linktype(const struct fb_packet *p, int linktype, uint8_t *out, size_t cap)
{
	if (linktype == 1)
		return fb_build_ethernet(p, out, cap);
	uint8_t ip[FB_MAX_FRAME];
	size_t n = fb_build_ip(p, ip, sizeof(ip));
	if (!n)
		return 0;
	n = fb_wrap_linktype(linktype, p->family == 6 ? 0x86dd : 0x0800, ip, n, out, cap);
	if (!n)
		return 0;
	return pad(p, out, n, cap);
}

/* ------------------------------------------------------------ writer */

struct fb_writer {
	FILE *f;
	bool own;
	enum fb_format fmt;
	bool swap;
	bool error;
	uint32_t snaplen; /* pcap */
	uint32_t nifs;
	uint32_t if_snaplen[64];
	uint8_t if_tsresol[64];
	uint64_t frames;
};

static uint16_t w16(const struct fb_writer *w, uint16_t v)
{
	return w->swap ? __builtin_bswap16(v) : v;
}

static uint32_t w32(const struct fb_writer *w, uint32_t v)
{
	return w->swap ? __builtin_bswap32(v) : v;
}

static void out(struct fb_writer *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		w->error = true;
}

static void out32(struct fb_writer *w, uint32_t v)
{
	v = w32(w, v);
	out(w, &v, 4);
}

static void out16(struct fb_writer *w, uint16_t v)
{
	v = w16(w, v);
	out(w, &v, 2);
}

static void out_pad(struct fb_writer *w, size_t n)
{
	static const uint8_t z[4];
	out(w, z, (4 - (n & 3)) & 3);
}

static void shb(struct fb_writer *w)
{
	out32(w, 0x0A0D0D0A);
	out32(w, 28);
	out32(w, 0x1A2B3C4D);
	out16(w, 1);
	out16(w, 0);
	uint64_t sl = UINT64_MAX;
	out(w, &sl, 8);
	out32(w, 28);
}

int fb_writer_add_interface(struct fb_writer *w, int linktype, uint32_t snaplen, uint8_t tsresol)
{
	if (w->fmt != FB_PCAPNG || w->nifs >= 64)
		return -1;
	/* IDB: 8 header + 8 body + option if_tsresol (4 + 1 + 3 pad) + opt_endofopt (4) + 4 */
	uint32_t tlen = 8 + 8 + 8 + 4 + 4;
	out32(w, 1);
	out32(w, tlen);
	out16(w, (uint16_t)linktype);
	out16(w, 0);
	out32(w, snaplen);
	out16(w, 9);
	out16(w, 1);
	uint8_t opt[4] = {tsresol, 0, 0, 0};
	out(w, opt, 4);
	out32(w, 0);
	out32(w, tlen);
	w->if_snaplen[w->nifs] = snaplen;
	w->if_tsresol[w->nifs] = tsresol;
	return (int)w->nifs++;
}

int fb_writer_new_section(struct fb_writer *w, bool swap)
{
	if (w->fmt != FB_PCAPNG)
		return -1;
	w->swap = swap;
	w->nifs = 0;
	shb(w);
	return w->error ? -1 : 0;
}

int fb_writer_raw_block(struct fb_writer *w, uint32_t type, const uint8_t *body, uint32_t len)
{
	if (w->fmt != FB_PCAPNG)
		return -1;
	uint32_t padded = (len + 3) & ~3u;
	out32(w, type);
	out32(w, 12 + padded);
	out(w, body, len);
	out_pad(w, len);
	out32(w, 12 + padded);
	return w->error ? -1 : 0;
}

struct fb_writer *fb_writer_fopen(FILE *f, enum fb_format fmt, int linktype, uint32_t snaplen,
                                  bool swap)
{
	struct fb_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->f = f;
	w->fmt = fmt;
	w->swap = swap;
	w->snaplen = snaplen ? snaplen : 262144;
	if (fmt == FB_PCAPNG) {
		shb(w);
		fb_writer_add_interface(w, linktype, snaplen, 9);
	} else {
		out32(w, fmt == FB_PCAP_NS ? 0xa1b23c4d : 0xa1b2c3d4);
		out16(w, 2);
		out16(w, 4);
		out32(w, 0);
		out32(w, 0);
		out32(w, w->snaplen);
		out32(w, (uint32_t)linktype);
	}
	return w;
}

struct fb_writer *fb_writer_open(const char *path, enum fb_format fmt, int linktype,
                                 uint32_t snaplen, bool swap)
{
	bool std = strcmp(path, "-") == 0;
	FILE *f = std ? stdout : fopen(path, "wb");
	if (!f)
		return NULL;
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	struct fb_writer *w = fb_writer_fopen(f, fmt, linktype, snaplen, swap);
	if (!w) {
		if (!std)
			fclose(f);
		return NULL;
	}
	w->own = !std;
	return w;
}

static uint64_t ts_units(uint8_t tsresol, uint64_t time_ns)
{
	if (tsresol == 9)
		return time_ns;
	if (tsresol & 0x80) {
		unsigned n = tsresol & 0x7f;
		unsigned __int128 v = (unsigned __int128)time_ns << n;
		return (uint64_t)(v / 1000000000u);
	}
	uint64_t u = 1;
	for (unsigned i = 0; i < tsresol; i++)
		u *= 10;
	if (u <= 1000000000ull)
		return time_ns / (1000000000ull / u);
	return time_ns * (u / 1000000000ull);
}

int fb_write_if(struct fb_writer *w, uint32_t iface, uint64_t time_ns, const uint8_t *data,
                size_t len)
{
	if (w->fmt != FB_PCAPNG) {
		uint32_t cap = len > w->snaplen ? w->snaplen : (uint32_t)len;
		uint32_t sec = (uint32_t)(time_ns / 1000000000ull);
		uint32_t frac = (uint32_t)(time_ns % 1000000000ull);
		if (w->fmt == FB_PCAP_US)
			frac /= 1000;
		out32(w, sec);
		out32(w, frac);
		out32(w, cap);
		out32(w, (uint32_t)len);
		out(w, data, cap);
	} else {
		if (iface >= w->nifs)
			return -1;
		uint32_t sl = w->if_snaplen[iface];
		uint32_t cap = sl && len > sl ? sl : (uint32_t)len;
		uint32_t padded = (cap + 3) & ~3u;
		uint32_t tlen = 32 + padded;
		uint64_t ts = ts_units(w->if_tsresol[iface], time_ns);
		out32(w, 6);
		out32(w, tlen);
		out32(w, iface);
		out32(w, (uint32_t)(ts >> 32));
		out32(w, (uint32_t)ts);
		out32(w, cap);
		out32(w, (uint32_t)len);
		out(w, data, cap);
		out_pad(w, cap);
		out32(w, tlen);
	}
	w->frames++;
	return w->error ? -1 : 0;
}

int fb_write(struct fb_writer *w, uint64_t time_ns, const uint8_t *data, size_t len)
{
	return fb_write_if(w, 0, time_ns, data, len);
}

int fb_write_spb(struct fb_writer *w, const uint8_t *data, size_t len)
{
	if (w->fmt != FB_PCAPNG || w->nifs == 0)
		return -1;
	uint32_t sl = w->if_snaplen[0];
	uint32_t cap = sl && len > sl ? sl : (uint32_t)len;
	uint32_t padded = (cap + 3) & ~3u;
	uint32_t tlen = 16 + padded;
	out32(w, 3);
	out32(w, tlen);
	out32(w, (uint32_t)len);
	out(w, data, cap);
	out_pad(w, cap);
	out32(w, tlen);
	w->frames++;
	return w->error ? -1 : 0;
}

int fb_write_opb(struct fb_writer *w, uint16_t iface, uint64_t time_ns, const uint8_t *data,
                 size_t len)
{
	if (w->fmt != FB_PCAPNG || iface >= w->nifs)
		return -1;
	uint32_t sl = w->if_snaplen[iface];
	uint32_t cap = sl && len > sl ? sl : (uint32_t)len;
	uint32_t padded = (cap + 3) & ~3u;
	uint32_t tlen = 32 + padded;
	uint64_t ts = ts_units(w->if_tsresol[iface], time_ns);
	out32(w, 2);
	out32(w, tlen);
	out16(w, iface);
	out16(w, 0);
	out32(w, (uint32_t)(ts >> 32));
	out32(w, (uint32_t)ts);
	out32(w, cap);
	out32(w, (uint32_t)len);
	out(w, data, cap);
	out_pad(w, cap);
	out32(w, tlen);
	w->frames++;
	return w->error ? -1 : 0;
}

uint64_t fb_writer_frames(const struct fb_writer *w)
{
	return w->frames;
}

int fb_writer_close(struct fb_writer *w)
{
	if (!w)
		return -1;
	int rc = w->error ? -1 : 0;
	if (fflush(w->f) != 0)
		rc = -1;
	if (w->own && fclose(w->f) != 0)
		rc = -1;
	free(w);
	return rc;
}
