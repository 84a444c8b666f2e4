/*
 * test_classifier.c - the SYN+ACK classifier on hand-built frames.
 *
 * Every expected result is written by hand.  Every frame is also fed to the
 * classifier cut to every length 0..n, each time in an exactly-sized heap
 * buffer (so ASan catches any read past len): a prefix that ends before the
 * base TCP header is complete must never MATCH, and one that still holds it
 * must give the same answer as the whole frame.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "classify/classifier.h"
#include "classify/classifier_inline.h"
#include "cls_builder.h"
#include "prefix/prefix_set.h"

#define INT4  "198.18.1.10"
#define INT4B "198.18.2.20"
#define EXCL4 "198.18.99.5"
#define EXT4  "203.0.113.7"
#define EXT4B "192.0.2.99"
#define INT6  "2001:db8:1::10"
#define INT6B "2001:db8:1:5::20"
#define EXCL6 "2001:db8:1:99::5"
#define EXT6  "2001:db8:2::7"

enum { SYNACK = 0x012 };

static struct prefix_set *internal_set, *excluded_set;
static struct classify_policy P;        /* default */
static struct classify_policy P_STRICT; /* strict flags */
static struct classify_policy P_ANY;    /* peers_any */
static struct classify_policy P_NOEXCL; /* no excluded set */
static struct classify_policy P_NOINT;  /* no internal set at all */

static const char *rname(enum classify_result r)
{
	return classify_result_name(r);
}

/* Classify n bytes of b copied into an exactly-sized heap buffer, through
 * every entry point that applies; they must agree. */
static enum classify_result run(const struct classify_policy *p, int lt, const uint8_t *b, size_t n,
                                struct classify_tuple *t, int line)
{
	uint8_t *buf = malloc(n ? n : 1);
	const uint8_t *ptr = n ? buf : buf + 1; /* len 0: any read is out of bounds */
	enum classify_result r, r2;

	memcpy(buf, b, n);
	r = classify_frame(p, lt, ptr, n, t);
	if (lt == LINKTYPE_ETHERNET) {
		r2 = classify_ethernet(p, ptr, n, NULL);
		check_at(r2 == r, "classify_ethernet agrees", __FILE__, line);
		r2 = classify_ethernet_inline(p, ptr, n, NULL);
		check_at(r2 == r, "classify_ethernet_inline agrees", __FILE__, line);
	} else if (lt == LINKTYPE_RAW) {
		r2 = classify_ip(p, ptr, n, NULL);
		check_at(r2 == r, "classify_ip agrees", __FILE__, line);
	}
	free(buf);
	return r;
}

/* Every frame a test builds, kept as a seed for test_mutations(). */
#define MAX_SEEDS 1024
static struct seed {
	int lt;
	size_t n;
	uint8_t b[sizeof(((struct fb *)0)->b)];
} * seeds;
static size_t nseeds;

static void expect_at(int line, const struct classify_policy *p, int lt, struct fb *f,
                      enum classify_result want, struct classify_tuple *tout)
{
	struct classify_tuple t;

	if (nseeds < MAX_SEEDS) {
		seeds[nseeds].lt = lt;
		seeds[nseeds].n = f->n;
		memcpy(seeds[nseeds].b, f->b, f->n);
		nseeds++;
	}
	enum classify_result r = run(p, lt, f->b, f->n, &t, line);

	check_at(r == want, "result", __FILE__, line);
	if (r != want)
		fprintf(stderr, "  got %s, want %s (frame of %zu bytes)\n", rname(r), rname(want),
		        f->n);
	for (size_t k = 0; k < f->n; k++) {
		struct classify_tuple tk;
		enum classify_result rk = run(p, lt, f->b, k, &tk, line);
		int bad = 0;
		if (rk == CLASSIFY_MATCH && (f->tcp_end == 0 || k < f->tcp_end))
			bad = 1;
		if (f->tcp_end && k >= f->tcp_end && r >= CLASSIFY_NOT_SYNACK && rk != r)
			bad = 1;
		if ((unsigned)rk >= CLASSIFY_RESULT_COUNT)
			bad = 1;
		if (bad) {
			check_at(0, "prefix result", __FILE__, line);
			fprintf(stderr, "  prefix of %zu/%zu bytes: %s (whole frame: %s)\n", k,
			        f->n, rname(rk), rname(r));
			break;
		}
	}
	if (tout)
		*tout = t;
}
#define EXPECT(p, lt, f, want)      expect_at(__LINE__, p, lt, f, want, NULL)
#define EXPECT_T(p, lt, f, want, t) expect_at(__LINE__, p, lt, f, want, t)
#define ETH                         LINKTYPE_ETHERNET

static int addr_is(const uint8_t *a, int v6, const char *text)
{
	uint8_t b[16] = {0};
	inet_pton(v6 ? AF_INET6 : AF_INET, text, b);
	return memcmp(a, b, 16) == 0;
}

/* Check a tuple against hand-written values. */
static void tuple_at(int line, const struct classify_tuple *t, int family, const char *s,
                     const char *d, unsigned sport, unsigned dport, unsigned flags, unsigned nvlan,
                     unsigned v0, unsigned v1, unsigned v2, unsigned v3)
{
	int v6 = family == SYNACK_FAMILY_IPV6;
	check_eq_u64_at(t->family, (unsigned)family, "family", __FILE__, line);
	check_at(addr_is(t->saddr, v6, s), "saddr", __FILE__, line);
	check_at(addr_is(t->daddr, v6, d), "daddr", __FILE__, line);
	check_eq_u64_at(t->sport, sport, "sport", __FILE__, line);
	check_eq_u64_at(t->dport, dport, "dport", __FILE__, line);
	check_eq_u64_at(t->flags, flags, "flags", __FILE__, line);
	check_eq_u64_at(t->vlan_count, nvlan, "vlan_count", __FILE__, line);
	unsigned v[4] = {v0, v1, v2, v3};
	for (unsigned i = 0; i < nvlan && i < 4; i++)
		check_eq_u64_at(t->vlan[i], v[i], "vlan id", __FILE__, line);
}
#define TUPLE(t, fam, s, d, sp, dp, fl, nv, a, b, c, e)                                            \
	tuple_at(__LINE__, t, fam, s, d, sp, dp, fl, nv, a, b, c, e)

/* Common frames: Ethernet + IPv4/IPv6 + 20-byte TCP, 443 -> 51000. */
static void mk4(struct fb *f, const char *s, const char *d, unsigned flags)
{
	fb_init(f);
	fb_eth(f, 0x0800);
	fb_ipv4(f, s, d, 6, 0);
	fb_tcp(f, 443, 51000, flags, 5, 0);
	fb_finish(f);
}

static void mk6(struct fb *f, const char *s, const char *d, unsigned flags)
{
	fb_init(f);
	fb_eth(f, 0x86DD);
	fb_ipv6(f, s, d, 6);
	fb_tcp(f, 22, 40000, flags, 5, 0);
	fb_finish(f);
}

static void test_flags(void)
{
	struct fb f;
	struct classify_tuple t;
	static const struct {
		unsigned flags;
		enum classify_result def, strict;
	} cases[] = {
	    {0x012, CLASSIFY_MATCH, CLASSIFY_MATCH},           /* SYN+ACK */
	    {0x052, CLASSIFY_MATCH, CLASSIFY_NOT_SYNACK},      /* ECN-setup (ECE) */
	    {0x092, CLASSIFY_MATCH, CLASSIFY_NOT_SYNACK},      /* AccECN (CWR) */
	    {0x0D2, CLASSIFY_MATCH, CLASSIFY_NOT_SYNACK},      /* AccECN (ECE+CWR) */
	    {0x112, CLASSIFY_MATCH, CLASSIFY_MATCH},           /* AE: tcp[13] is still 0x12 */
	    {0x152, CLASSIFY_MATCH, CLASSIFY_NOT_SYNACK},      /* AE+ECE */
	    {0x1D2, CLASSIFY_MATCH, CLASSIFY_NOT_SYNACK},      /* AE+CWR+ECE */
	    {0x01A, CLASSIFY_MATCH, CLASSIFY_NOT_SYNACK},      /* PSH too */
	    {0x032, CLASSIFY_MATCH, CLASSIFY_NOT_SYNACK},      /* URG too */
	    {0x013, CLASSIFY_NOT_SYNACK, CLASSIFY_NOT_SYNACK}, /* FIN */
	    {0x016, CLASSIFY_NOT_SYNACK, CLASSIFY_NOT_SYNACK}, /* RST */
	    {0x002, CLASSIFY_NOT_SYNACK, CLASSIFY_NOT_SYNACK}, /* SYN */
	    {0x010, CLASSIFY_NOT_SYNACK, CLASSIFY_NOT_SYNACK}, /* ACK */
	    {0x018, CLASSIFY_NOT_SYNACK, CLASSIFY_NOT_SYNACK}, /* PSH+ACK */
	    {0x004, CLASSIFY_NOT_SYNACK, CLASSIFY_NOT_SYNACK}, /* RST */
	    {0x0FF, CLASSIFY_NOT_SYNACK, CLASSIFY_NOT_SYNACK}, /* all eight */
	    {0x000, CLASSIFY_NOT_SYNACK, CLASSIFY_NOT_SYNACK}, /* none */
	    {0x100, CLASSIFY_NOT_SYNACK, CLASSIFY_NOT_SYNACK}, /* AE only */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mk4(&f, INT4, EXT4, cases[i].flags);
		EXPECT_T(&P, ETH, &f, cases[i].def, &t);
		if (cases[i].def == CLASSIFY_MATCH)
			TUPLE(&t, 4, INT4, EXT4, 443, 51000, cases[i].flags, 0, 0, 0, 0, 0);
		EXPECT(&P_STRICT, ETH, &f, cases[i].strict);
		mk6(&f, INT6, EXT6, cases[i].flags);
		EXPECT_T(&P, ETH, &f, cases[i].def, &t);
		if (cases[i].def == CLASSIFY_MATCH)
			TUPLE(&t, 6, INT6, EXT6, 22, 40000, cases[i].flags, 0, 0, 0, 0, 0);
		EXPECT(&P_STRICT, ETH, &f, cases[i].strict);
	}
}

static void test_direction(void)
{
	struct fb f;
	struct classify_tuple t;

	/* IPv4 */
	mk4(&f, INT4, EXT4, SYNACK);
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	EXPECT(&P_ANY, ETH, &f, CLASSIFY_MATCH);
	EXPECT(&P_NOINT, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	mk4(&f, EXT4, INT4, SYNACK); /* external server answering an internal client */
	EXPECT_T(&P, ETH, &f, CLASSIFY_WRONG_DIRECTION, &t);
	TUPLE(&t, 4, EXT4, INT4, 443, 51000, SYNACK, 0, 0, 0, 0, 0);
	EXPECT(&P_ANY, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	mk4(&f, INT4, INT4B, SYNACK); /* internal to internal */
	EXPECT(&P, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	EXPECT(&P_ANY, ETH, &f, CLASSIFY_MATCH);
	mk4(&f, EXT4, EXT4B, SYNACK); /* transit */
	EXPECT(&P, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	EXPECT(&P_ANY, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	mk4(&f, EXCL4, EXT4, SYNACK); /* honeypot */
	EXPECT_T(&P, ETH, &f, CLASSIFY_EXCLUDED, &t);
	TUPLE(&t, 4, EXCL4, EXT4, 443, 51000, SYNACK, 0, 0, 0, 0, 0);
	EXPECT(&P_ANY, ETH, &f, CLASSIFY_EXCLUDED);
	EXPECT(&P_NOEXCL, ETH, &f, CLASSIFY_MATCH);
	mk4(&f, EXCL4, INT4, SYNACK); /* excluded to internal: direction first */
	EXPECT(&P, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	EXPECT(&P_ANY, ETH, &f, CLASSIFY_EXCLUDED);
	mk4(&f, INT4, EXCL4, SYNACK); /* to an excluded (internal) host */
	EXPECT(&P, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	EXPECT(&P_ANY, ETH, &f, CLASSIFY_MATCH);
	mk4(&f, EXT4, INT4, 0x010); /* not a SYN+ACK: direction does not matter */
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_SYNACK);

	/* IPv6 */
	mk6(&f, INT6, EXT6, SYNACK);
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	mk6(&f, EXT6, INT6, SYNACK);
	EXPECT(&P, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	mk6(&f, INT6, INT6B, SYNACK);
	EXPECT(&P, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	EXPECT(&P_ANY, ETH, &f, CLASSIFY_MATCH);
	mk6(&f, EXCL6, EXT6, SYNACK);
	EXPECT(&P, ETH, &f, CLASSIFY_EXCLUDED);
	EXPECT(&P_NOEXCL, ETH, &f, CLASSIFY_MATCH);
	mk6(&f, "::ffff:198.18.1.10", EXT6, SYNACK); /* v4-mapped is not v4 */
	EXPECT(&P, ETH, &f, CLASSIFY_WRONG_DIRECTION);
	EXPECT(&P_NOINT, ETH, &f, CLASSIFY_WRONG_DIRECTION);
}

static void tagged(struct fb *f, int ntags, const unsigned *tpids, const unsigned *vids, int v6)
{
	fb_init(f);
	fb_eth_macs(f);
	for (int i = 0; i < ntags; i++)
		fb_tag(f, tpids[i], vids[i], i == 0 ? 0x5 : 0); /* PCP 2, DEI 1 on the first */
	if (v6) {
		fb_u16(f, 0x86DD);
		fb_ipv6(f, INT6, EXT6, 6);
	} else {
		fb_u16(f, 0x0800);
		fb_ipv4(f, INT4, EXT4, 6, 0);
	}
	fb_tcp(f, 80, 33333, SYNACK, 5, 0);
	fb_finish(f);
}

static void test_tags(void)
{
	struct fb f;
	struct classify_tuple t;
	static const unsigned tp1[] = {0x8100};
	static const unsigned tp2[] = {0x88A8, 0x8100};
	static const unsigned tp2b[] = {0x9100, 0x8100};
	static const unsigned tp3[] = {0x88A8, 0x9100, 0x8100};
	static const unsigned tp4[] = {0x88A8, 0x88A8, 0x9100, 0x8100};
	static const unsigned tp5[] = {0x88A8, 0x88A8, 0x9100, 0x8100, 0x8100};
	static const unsigned vids[] = {100, 200, 300, 4095, 7};

	for (int v6 = 0; v6 <= 1; v6++) {
		const char *s = v6 ? INT6 : INT4, *d = v6 ? EXT6 : EXT4;
		int fam = v6 ? 6 : 4;
		tagged(&f, 1, tp1, vids, v6);
		EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 80, 33333, SYNACK, 1, 100, 0, 0, 0);
		tagged(&f, 2, tp2, vids, v6); /* QinQ 802.1ad */
		EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 80, 33333, SYNACK, 2, 100, 200, 0, 0);
		tagged(&f, 2, tp2b, vids, v6); /* old QinQ 0x9100 */
		EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 80, 33333, SYNACK, 2, 100, 200, 0, 0);
		tagged(&f, 3, tp3, vids, v6);
		EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 80, 33333, SYNACK, 3, 100, 200, 300, 0);
		tagged(&f, 4, tp4, vids, v6);
		EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 80, 33333, SYNACK, 4, 100, 200, 300, 4095);
		struct synack_record rec;
		memset(&rec, 0xee, sizeof(rec));
		classify_tuple_to_record(&t, 123456789ull, 3, &rec);
		CHECK_EQ(rec.vlan, 100); /* outermost */
		CHECK_EQ(rec.time_ns, 123456789ull);
		CHECK_EQ(rec.worker, 3);
		tagged(&f, 5, tp5, vids, v6); /* fifth tag: we give up */
		EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	}
	/* tag followed by something that is not IP */
	fb_init(&f);
	fb_eth_macs(&f);
	fb_tag(&f, 0x8100, 10, 0);
	fb_u16(&f, 0x0806);
	fb_zeros(&f, 28);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_IP);
}

static void test_ipv4(void)
{
	struct fb f;
	struct classify_tuple t;

	/* options */
	fb_init(&f);
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, INT4, EXT4, 6, 4);
	fb_tcp(&f, 8080, 1234, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
	TUPLE(&t, 4, INT4, EXT4, 8080, 1234, SYNACK, 0, 0, 0, 0, 0);
	fb_init(&f);
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, INT4, EXT4, 6, 40); /* IHL 15 */
	fb_tcp(&f, 8080, 1234, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
	TUPLE(&t, 4, INT4, EXT4, 8080, 1234, SYNACK, 0, 0, 0, 0, 0);

	/* bad IHL */
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		mk4(&f, INT4, EXT4, SYNACK);
		f.b[14] = (uint8_t)(0x40 | ihl);
		EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	}
	/* ethertype IPv4 but another version */
	mk4(&f, INT4, EXT4, SYNACK);
	f.b[14] = 0x65;
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	/* total length below the header length */
	mk4(&f, INT4, EXT4, SYNACK);
	fb_set16(&f, 16, 16);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	/* total length leaves no room for the TCP header */
	mk4(&f, INT4, EXT4, SYNACK);
	fb_set16(&f, 16, 20);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	mk4(&f, INT4, EXT4, SYNACK);
	fb_set16(&f, 16, 39);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	mk4(&f, INT4, EXT4, SYNACK);
	fb_set16(&f, 16, 0); /* TSO-style zero */
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	/* total length beyond the capture (snaplen) is fine */
	mk4(&f, INT4, EXT4, SYNACK);
	fb_set16(&f, 16, 1500);
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	/* Ethernet padding after a short datagram is ignored */
	mk4(&f, INT4, EXT4, SYNACK);
	fb_zeros(&f, 6);
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	/* not TCP */
	fb_init(&f);
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, INT4, EXT4, 17, 0);
	fb_u16(&f, 53);
	fb_u16(&f, 5353);
	fb_u16(&f, 8);
	fb_u16(&f, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_TCP);
	fb_init(&f);
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, INT4, EXT4, 1, 0);
	fb_zeros(&f, 8);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_TCP);
	/* fragments */
	mk4(&f, INT4, EXT4, SYNACK);
	fb_set16(&f, 20, 0x2000); /* first fragment, MF */
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	mk4(&f, INT4, EXT4, SYNACK);
	fb_set16(&f, 20, 0x2000 | 185); /* middle fragment */
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_TCP);
	mk4(&f, INT4, EXT4, SYNACK);
	fb_set16(&f, 20, 1); /* last fragment, offset 8 bytes */
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_TCP);
	mk4(&f, INT4, EXT4, SYNACK);
	fb_set16(&f, 20, 0x8000); /* reserved flag only: still offset 0 */
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	/* first fragment too short to hold the TCP header */
	fb_init(&f);
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, INT4, EXT4, 6, 0);
	fb_u16(&f, 443);
	fb_u16(&f, 51000);
	fb_u32(&f, 1);
	fb_finish(&f);
	fb_set16(&f, 20, 0x2000);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);

	/* TCP data offset */
	for (unsigned doff = 0; doff < 5; doff++) {
		fb_init(&f);
		fb_eth(&f, 0x0800);
		fb_ipv4(&f, INT4, EXT4, 6, 0);
		fb_tcp(&f, 443, 51000, SYNACK, doff, 0);
		fb_finish(&f);
		EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	}
	fb_init(&f); /* doff 15 but the datagram holds only 20 TCP bytes */
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, INT4, EXT4, 6, 0);
	fb_tcp(&f, 443, 51000, SYNACK, 15, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	fb_init(&f); /* doff 15 with all its options */
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, INT4, EXT4, 6, 0);
	fb_tcp(&f, 443, 51000, SYNACK, 15, 40);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	fb_init(&f); /* options announced, datagram complete, capture cut after 20 */
	fb_eth(&f, 0x0800);
	fb_ipv4(&f, INT4, EXT4, 6, 0);
	fb_tcp(&f, 443, 51000, SYNACK, 10, 20);
	fb_finish(&f);
	f.n -= 20;
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
}

static void test_ipv6(void)
{
	struct fb f;
	struct classify_tuple t;

	/* each extension header before TCP */
	static const unsigned ext_types[] = {0, 43, 60};
	for (int i = 0; i < 3; i++) {
		fb_init(&f);
		fb_eth(&f, 0x86DD);
		fb_ipv6(&f, INT6, EXT6, ext_types[i]);
		fb_v6opts(&f, 6, i == 1 ? 24 : 8);
		fb_tcp(&f, 22, 40000, SYNACK, 5, 0);
		fb_finish(&f);
		EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, 6, INT6, EXT6, 22, 40000, SYNACK, 0, 0, 0, 0, 0);
	}
	/* fragment header: offset 0 (atomic or first) carries TCP */
	for (int more = 0; more <= 1; more++) {
		fb_init(&f);
		fb_eth(&f, 0x86DD);
		fb_ipv6(&f, INT6, EXT6, 44);
		fb_v6frag(&f, 6, 0, more);
		fb_tcp(&f, 22, 40000, SYNACK, 5, 0);
		fb_finish(&f);
		EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	}
	fb_init(&f);
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 44);
	fb_v6frag(&f, 6, 1, 0); /* offset 8: no TCP header here */
	fb_tcp(&f, 22, 40000, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_TCP);
	fb_init(&f);
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 44);
	fb_v6frag(&f, 6, 8191, 1);
	fb_tcp(&f, 22, 40000, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_TCP);
	/* AH: (len + 2) * 4 bytes */
	fb_init(&f);
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 51);
	fb_v6ah(&f, 6, 24);
	fb_tcp(&f, 22, 40000, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	fb_init(&f); /* AH whose length is in 4-byte units, not 8: 12 bytes */
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 51);
	fb_v6ah(&f, 6, 12);
	fb_tcp(&f, 22, 40000, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	/* ESP, no next header, UDP, ICMPv6, unknown: not TCP */
	static const unsigned not_tcp[] = {50, 59, 17, 58, 253};
	for (int i = 0; i < 5; i++) {
		fb_init(&f);
		fb_eth(&f, 0x86DD);
		fb_ipv6(&f, INT6, EXT6, not_tcp[i]);
		fb_zeros(&f, 24);
		fb_finish(&f);
		EXPECT(&P, ETH, &f, CLASSIFY_NOT_TCP);
	}
	fb_init(&f); /* ESP after a destination options header */
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 60);
	fb_v6opts(&f, 50, 8);
	fb_zeros(&f, 24);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_TCP);
	/* a long mixed chain of exactly 8 headers is walked */
	fb_init(&f);
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 0);
	fb_v6opts(&f, 60, 8);
	fb_v6opts(&f, 43, 16);
	fb_v6opts(&f, 44, 24);
	fb_v6frag(&f, 51, 0, 1);
	fb_v6ah(&f, 60, 16);
	fb_v6opts(&f, 60, 8);
	fb_v6opts(&f, 60, 8);
	fb_v6opts(&f, 6, 8);
	fb_tcp(&f, 22, 40000, 0x052, 5, 0);
	fb_finish(&f);
	EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
	TUPLE(&t, 6, INT6, EXT6, 22, 40000, 0x052, 0, 0, 0, 0, 0);
	/* nine: too long */
	fb_init(&f);
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 60);
	for (int i = 0; i < 8; i++)
		fb_v6opts(&f, 60, 8);
	fb_v6opts(&f, 6, 8);
	fb_tcp(&f, 22, 40000, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	/* eight, then something that is not TCP */
	fb_init(&f);
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 60);
	for (int i = 0; i < 7; i++)
		fb_v6opts(&f, 60, 8);
	fb_v6opts(&f, 17, 8);
	fb_zeros(&f, 8);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_TCP);
	/* an extension header running past the payload length */
	fb_init(&f);
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 60);
	fb_v6opts(&f, 6, 8);
	fb_tcp(&f, 22, 40000, SYNACK, 5, 0);
	fb_finish(&f);
	f.b[14 + 40 + 1] = 200; /* claims 1608 bytes */
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	/* payload length too small for TCP, or zero */
	mk6(&f, INT6, EXT6, SYNACK);
	fb_set16(&f, 18, 19);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	mk6(&f, INT6, EXT6, SYNACK);
	fb_set16(&f, 18, 0);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	/* payload length beyond the capture is fine */
	mk6(&f, INT6, EXT6, SYNACK);
	fb_set16(&f, 18, 1440);
	EXPECT(&P, ETH, &f, CLASSIFY_MATCH);
	/* ethertype IPv6, version 4 */
	mk6(&f, INT6, EXT6, SYNACK);
	f.b[14] = 0x45;
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	/* doff < 5 and doff beyond the payload */
	fb_init(&f);
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 6);
	fb_tcp(&f, 22, 40000, SYNACK, 4, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	fb_init(&f);
	fb_eth(&f, 0x86DD);
	fb_ipv6(&f, INT6, EXT6, 6);
	fb_tcp(&f, 22, 40000, SYNACK, 8, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
}

static void test_other_ethertypes(void)
{
	struct fb f;
	struct classify_tuple t;

	fb_init(&f); /* ARP */
	fb_eth(&f, 0x0806);
	fb_zeros(&f, 28);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_IP);
	fb_init(&f); /* LLDP */
	fb_eth(&f, 0x88CC);
	fb_zeros(&f, 40);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_IP);
	fb_init(&f); /* 802.3 length field + LLC */
	fb_eth(&f, 0x0026);
	fb_u8(&f, 0x42);
	fb_u8(&f, 0x42);
	fb_u8(&f, 0x03);
	fb_zeros(&f, 35);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_IP);
	fb_init(&f); /* MPLS: not decoded */
	fb_eth(&f, 0x8847);
	fb_u32(&f, 0x00010140);
	fb_ipv4(&f, INT4, EXT4, 6, 0);
	fb_tcp(&f, 443, 51000, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_IP);

	/* PPPoE session, IPv4 and IPv6, and over QinQ */
	fb_init(&f);
	fb_eth(&f, 0x8864);
	fb_pppoe(&f, 0x0021);
	fb_ipv4(&f, INT4, EXT4, 6, 0);
	fb_tcp(&f, 443, 51000, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
	TUPLE(&t, 4, INT4, EXT4, 443, 51000, SYNACK, 0, 0, 0, 0, 0);
	f.b[14] = 0x12; /* bad version/type */
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	f.b[14] = 0x11;
	f.b[15] = 0x09; /* discovery code inside a session frame */
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
	fb_init(&f);
	fb_eth_macs(&f);
	fb_tag(&f, 0x88A8, 11, 0);
	fb_tag(&f, 0x8100, 22, 0);
	fb_u16(&f, 0x8864);
	fb_pppoe(&f, 0x0057);
	fb_ipv6(&f, INT6, EXT6, 6);
	fb_tcp(&f, 443, 51000, 0x0D2, 5, 0);
	fb_finish(&f);
	EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
	TUPLE(&t, 6, INT6, EXT6, 443, 51000, 0x0D2, 2, 11, 22, 0, 0);
	fb_init(&f); /* PPP LCP */
	fb_eth(&f, 0x8864);
	fb_pppoe(&f, 0xC021);
	fb_zeros(&f, 10);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_IP);
	fb_init(&f); /* PPPoE discovery */
	fb_eth(&f, 0x8863);
	fb_pppoe(&f, 0x0101);
	fb_zeros(&f, 10);
	EXPECT(&P, ETH, &f, CLASSIFY_NOT_IP);
	fb_init(&f); /* PPP says IPv4, packet is IPv6 */
	fb_eth(&f, 0x8864);
	fb_pppoe(&f, 0x0021);
	fb_ipv6(&f, INT6, EXT6, 6);
	fb_tcp(&f, 443, 51000, SYNACK, 5, 0);
	fb_finish(&f);
	EXPECT(&P, ETH, &f, CLASSIFY_MALFORMED);
}

/* Build an IPv4 or IPv6 SYN+ACK after whatever link header f holds. */
static void ip_synack(struct fb *f, int v6)
{
	if (v6)
		fb_ipv6(f, INT6, EXT6, 6);
	else
		fb_ipv4(f, INT4, EXT4, 6, 0);
	fb_tcp(f, 993, 50505, SYNACK, 5, 0);
	fb_finish(f);
}

static void test_linktypes(void)
{
	struct fb f;
	struct classify_tuple t;

	for (int v6 = 0; v6 <= 1; v6++) {
		const char *s = v6 ? INT6 : INT4, *d = v6 ? EXT6 : EXT4;
		int fam = v6 ? 6 : 4;
		/* RAW */
		fb_init(&f);
		ip_synack(&f, v6);
		EXPECT_T(&P, LINKTYPE_RAW, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 993, 50505, SYNACK, 0, 0, 0, 0, 0);
		/* pcap_datalink()'s DLT_RAW values 12 and 14 */
		EXPECT(&P, 12, &f, CLASSIFY_MATCH);
		EXPECT(&P, 14, &f, CLASSIFY_MATCH);
		/* IPV4 / IPV6: right and wrong version */
		EXPECT(&P, v6 ? LINKTYPE_IPV6 : LINKTYPE_IPV4, &f, CLASSIFY_MATCH);
		EXPECT(&P, v6 ? LINKTYPE_IPV4 : LINKTYPE_IPV6, &f, CLASSIFY_MALFORMED);
		/* NULL/LOOP in both byte orders, every AF_INET6 value */
		static const unsigned af6[] = {10, 24, 28, 30};
		for (int i = 0; i < (v6 ? 4 : 1); i++) {
			unsigned af = v6 ? af6[i] : 2;
			for (int be = 0; be <= 1; be++) {
				fb_init(&f);
				if (be)
					fb_u32(&f, af);
				else {
					fb_u8(&f, af);
					fb_zeros(&f, 3);
				}
				ip_synack(&f, v6);
				EXPECT_T(&P, LINKTYPE_NULL, &f, CLASSIFY_MATCH, &t);
				TUPLE(&t, fam, s, d, 993, 50505, SYNACK, 0, 0, 0, 0, 0);
				EXPECT(&P, LINKTYPE_LOOP, &f, CLASSIFY_MATCH);
				EXPECT(&P, 12, &f, CLASSIFY_MATCH); /* OpenBSD DLT_LOOP */
			}
		}
		fb_init(&f); /* family does not fit the packet */
		fb_u32(&f, v6 ? 2 : 10);
		ip_synack(&f, v6);
		EXPECT(&P, LINKTYPE_NULL, &f, CLASSIFY_MALFORMED);
		fb_init(&f); /* unknown family */
		fb_u32(&f, 7);
		ip_synack(&f, v6);
		EXPECT(&P, LINKTYPE_NULL, &f, CLASSIFY_NOT_IP);
		fb_init(&f); /* garbage in the family word */
		fb_u32(&f, 0x01000002);
		ip_synack(&f, v6);
		EXPECT(&P, LINKTYPE_LOOP, &f, CLASSIFY_NOT_IP);
		/* LINUX_SLL: 16 bytes, protocol at 14 */
		fb_init(&f);
		fb_u16(&f, 0);   /* packet type: to us */
		fb_u16(&f, 1);   /* ARPHRD_ETHER */
		fb_u16(&f, 6);   /* address length */
		fb_zeros(&f, 8); /* address */
		fb_u16(&f, v6 ? 0x86DD : 0x0800);
		ip_synack(&f, v6);
		EXPECT_T(&P, LINKTYPE_LINUX_SLL, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 993, 50505, SYNACK, 0, 0, 0, 0, 0);
		fb_init(&f); /* SLL with a VLAN tag left in */
		fb_u16(&f, 0);
		fb_u16(&f, 1);
		fb_u16(&f, 6);
		fb_zeros(&f, 8);
		fb_u16(&f, 0x8100);
		fb_u16(&f, 42);
		fb_u16(&f, v6 ? 0x86DD : 0x0800);
		ip_synack(&f, v6);
		EXPECT_T(&P, LINKTYPE_LINUX_SLL, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 993, 50505, SYNACK, 1, 42, 0, 0, 0);
		/* LINUX_SLL2: 20 bytes, protocol at 0 */
		fb_init(&f);
		fb_u16(&f, v6 ? 0x86DD : 0x0800);
		fb_u16(&f, 0); /* reserved */
		fb_u32(&f, 3); /* interface index */
		fb_u16(&f, 1); /* ARPHRD_ETHER */
		fb_u8(&f, 4);  /* packet type: outgoing */
		fb_u8(&f, 6);  /* address length */
		fb_zeros(&f, 8);
		ip_synack(&f, v6);
		EXPECT_T(&P, LINKTYPE_LINUX_SLL2, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 993, 50505, SYNACK, 0, 0, 0, 0, 0);
		/* NFLOG */
		fb_init(&f);
		fb_nflog(&f, v6 ? 10 : 2);
		ip_synack(&f, v6);
		EXPECT_T(&P, LINKTYPE_NFLOG, &f, CLASSIFY_MATCH, &t);
		TUPLE(&t, fam, s, d, 993, 50505, SYNACK, 0, 0, 0, 0, 0);
	}
	/* SLL: not IP */
	fb_init(&f);
	fb_zeros(&f, 14);
	fb_u16(&f, 0x0806);
	fb_zeros(&f, 28);
	EXPECT(&P, LINKTYPE_LINUX_SLL, &f, CLASSIFY_NOT_IP);
	/* RAW: neither version */
	fb_init(&f);
	ip_synack(&f, 0);
	f.b[0] = 0x55;
	EXPECT(&P, LINKTYPE_RAW, &f, CLASSIFY_NOT_IP);
	/* NFLOG without payload TLV, with a broken TLV length */
	fb_init(&f);
	fb_nflog(&f, 2);
	f.n -= 4; /* drop the payload TLV header */
	EXPECT(&P, LINKTYPE_NFLOG, &f, CLASSIFY_NOT_IP);
	fb_init(&f);
	fb_nflog(&f, 2);
	ip_synack(&f, 0);
	uint16_t two = 2;
	memcpy(f.b + 4, &two, 2); /* first TLV claims 2 bytes */
	EXPECT(&P, LINKTYPE_NFLOG, &f, CLASSIFY_MALFORMED);
	fb_init(&f); /* first TLV runs past the end */
	fb_nflog(&f, 2);
	ip_synack(&f, 0);
	uint16_t big = 4000;
	memcpy(f.b + 4, &big, 2);
	EXPECT(&P, LINKTYPE_NFLOG, &f, CLASSIFY_NOT_IP);

	/* unknown link types */
	static const int unknown[] = {6, 9, 10, 105, 127, 147, 220, -1, 1000};
	/* (12 and 14 are DLT_RAW aliases, tested above) */
	for (int i = 0; i < 9; i++) {
		fb_init(&f);
		fb_eth(&f, 0x0800);
		ip_synack(&f, 0);
		CHECK(!classify_linktype_supported(unknown[i]));
		EXPECT(&P, unknown[i], &f, CLASSIFY_NOT_IP);
	}
	static const int known[] = {LINKTYPE_NULL,
	                            LINKTYPE_ETHERNET,
	                            LINKTYPE_RAW,
	                            LINKTYPE_LOOP,
	                            LINKTYPE_LINUX_SLL,
	                            LINKTYPE_IPV4,
	                            LINKTYPE_IPV6,
	                            LINKTYPE_NFLOG,
	                            LINKTYPE_LINUX_SLL2,
	                            12,
	                            14};
	for (int i = 0; i < 11; i++)
		CHECK(classify_linktype_supported(known[i]));
	CHECK_EQ(LINKTYPE_NFLOG, 239);
}

static void test_api(void)
{
	static const char *names[] = {"not_ip",          "not_tcp",  "malformed", "not_synack",
	                              "wrong_direction", "excluded", "match"};
	for (int i = 0; i < CLASSIFY_RESULT_COUNT; i++)
		CHECK(strcmp(classify_result_name((enum classify_result)i), names[i]) == 0);
	CHECK(strcmp(classify_result_name(CLASSIFY_RESULT_COUNT), "unknown") == 0);
	CHECK_EQ(CLASSIFY_RESULT_COUNT, 7);

	/* tuple -> record: IPv4 in the first 4 bytes, the rest zero */
	struct fb f;
	struct classify_tuple t;
	struct synack_record rec;
	static const struct synack_record zero;
	mk4(&f, INT4, EXT4, 0x152);
	EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
	memset(&rec, 0xa5, sizeof(rec));
	classify_tuple_to_record(&t, 1700000000123456789ull, 7, &rec);
	CHECK_EQ(rec.time_ns, 1700000000123456789ull);
	CHECK(addr_is(rec.saddr, 0, INT4));
	CHECK(addr_is(rec.daddr, 0, EXT4));
	CHECK_EQ(rec.sport, 443);
	CHECK_EQ(rec.dport, 51000);
	CHECK_EQ(rec.flags, 0x152);
	CHECK_EQ(rec.vlan, 0);
	CHECK_EQ(rec.family, SYNACK_FAMILY_IPV4);
	CHECK_EQ(rec.ftp, 0);
	CHECK_EQ(rec.worker, 7);
	CHECK_EQ(rec.reserved, 0);
	CHECK_EQ(rec.reserved2, 0);
	CHECK(memcmp(rec.saddr + 4, zero.saddr + 4, 12) == 0);
	CHECK(memcmp(rec.daddr + 4, zero.daddr + 4, 12) == 0);
	mk6(&f, INT6, EXT6, SYNACK);
	EXPECT_T(&P, ETH, &f, CLASSIFY_MATCH, &t);
	classify_tuple_to_record(&t, 5, 0, &rec);
	CHECK(addr_is(rec.saddr, 1, INT6));
	CHECK(addr_is(rec.daddr, 1, EXT6));
	CHECK_EQ(rec.family, SYNACK_FAMILY_IPV6);
	CHECK_EQ(rec.sport, 22);

	/* out may be NULL */
	CHECK(classify_ethernet(&P, f.b, f.n, NULL) == CLASSIFY_MATCH);
	CHECK(classify_ip(&P, f.b + 14, f.n - 14, NULL) == CLASSIFY_MATCH);
	CHECK(classify_frame(&P, LINKTYPE_ETHERNET, f.b, f.n, NULL) == CLASSIFY_MATCH);
	CHECK(classify_ip(&P, f.b, 0, NULL) == CLASSIFY_MALFORMED);
}

/*
 * Random damage to every seed frame: bytes overwritten with random or
 * boundary values (tag and IP types, extension header numbers, lengths),
 * random cuts, every link type.  Only asserts sane results; ASan and UBSan
 * do the rest.
 */
static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void test_mutations(void)
{
	static const uint8_t interesting[] = {0x00, 0xff, 0x81, 0x88, 0xa8, 0x91, 0x08, 0x86,
	                                      0xdd, 0x88, 0x64, 0x11, 0x21, 0x57, 0x06, 0x00,
	                                      0x2b, 0x2c, 0x3c, 0x33, 0x32, 0x3b, 0x40, 0x45,
	                                      0x4f, 0x60, 0x12, 0x52, 0x09, 0x02, 0x0a, 0x1e};
	static const int lts[] = {LINKTYPE_ETHERNET,  LINKTYPE_RAW,
	                          LINKTYPE_NULL,      LINKTYPE_LOOP,
	                          LINKTYPE_IPV4,      LINKTYPE_IPV6,
	                          LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
	                          LINKTYPE_NFLOG,     12};
	long bad = 0, matches = 0;

	for (long iter = 0; iter < 300000 && nseeds; iter++) {
		const struct seed *sd = &seeds[rnd() % nseeds];
		uint8_t tmp[sizeof(sd->b)];
		size_t n = sd->n;
		memcpy(tmp, sd->b, n);
		int k = 1 + (int)(rnd() % 4);
		for (int j = 0; j < k && n; j++) {
			size_t at = rnd() % n;
			tmp[at] =
			    (rnd() & 1) ? (uint8_t)rnd() : interesting[rnd() % sizeof(interesting)];
		}
		if (rnd() % 4 == 0 && n)
			n = rnd() % (n + 1);
		int lt = (rnd() % 4 == 0) ? lts[rnd() % 10] : sd->lt;
		uint8_t *buf = malloc(n ? n : 1);
		memcpy(buf, tmp, n);
		struct classify_tuple t;
		enum classify_result r = classify_frame(&P, lt, n ? buf : buf + 1, n, &t);
		if ((unsigned)r >= CLASSIFY_RESULT_COUNT)
			bad++;
		if (r == CLASSIFY_MATCH) {
			matches++;
			if ((t.family != 4 && t.family != 6) || t.vlan_count > 4 ||
			    (t.flags & 0x17) != 0x12)
				bad++;
		}
		free(buf);
	}
	CHECK_EQ(bad, 0);
	CHECK(matches > 0); /* the damage leaves some frames intact */
}

int main(void)
{
	seeds = calloc(MAX_SEEDS, sizeof(*seeds));
	char err[256];

	internal_set = prefix_set_parse("198.18.0.0/16, 2001:db8:1::/48", err, sizeof(err));
	excluded_set = prefix_set_parse("198.18.99.0/24, 2001:db8:1:99::/64", err, sizeof(err));
	if (!internal_set || !excluded_set) {
		fprintf(stderr, "prefix sets: %s\n", err);
		return 1;
	}
	P = (struct classify_policy){internal_set, excluded_set, false, false};
	P_STRICT = (struct classify_policy){internal_set, excluded_set, true, false};
	P_ANY = (struct classify_policy){internal_set, excluded_set, false, true};
	P_NOEXCL = (struct classify_policy){internal_set, NULL, false, false};
	P_NOINT = (struct classify_policy){NULL, NULL, false, false};

	test_flags();
	test_direction();
	test_tags();
	test_ipv4();
	test_ipv6();
	test_other_ethertypes();
	test_linktypes();
	test_api();
	test_mutations();
	free(seeds);

	prefix_set_free(internal_set);
	prefix_set_free(excluded_set);
	return check_done("test_classifier");
}
