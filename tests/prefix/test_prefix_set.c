/*
 * test_prefix_set.c - prefix set parsing, merging, lookups and formatting,
 * checked against hand-written expectations and a brute-force reference.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "prefix/prefix_set.h"

static int has4(const struct prefix_set *s, const char *a)
{
	uint8_t b[4];
	if (inet_pton(AF_INET, a, b) != 1) {
		fprintf(stderr, "test bug: bad address %s\n", a);
		abort();
	}
	return prefix_set_contains4(s, b);
}

static int has6(const struct prefix_set *s, const char *a)
{
	uint8_t b[16];
	if (inet_pton(AF_INET6, a, b) != 1) {
		fprintf(stderr, "test bug: bad address %s\n", a);
		abort();
	}
	return prefix_set_contains6(s, b);
}

/* Parse must fail with a message containing every one of the fragments. */
static void expect_error(const char *text, const char *frag1, const char *frag2, int line)
{
	char err[256] = "";
	struct prefix_set *s = prefix_set_parse(text, err, sizeof(err));
	check_at(s == NULL, "parse fails", __FILE__, line);
	if (s != NULL) {
		fprintf(stderr, "  text: '%s' parsed\n", text);
		prefix_set_free(s);
		return;
	}
	int ok1 = frag1 == NULL || strstr(err, frag1) != NULL;
	int ok2 = frag2 == NULL || strstr(err, frag2) != NULL;
	check_at(ok1 && ok2, "error message", __FILE__, line);
	if (!ok1 || !ok2)
		fprintf(stderr, "  text '%s': got error '%s'\n", text, err);
}
#define EXPECT_ERROR(t, a, b) expect_error(t, a, b, __LINE__)

static void expect_format(const char *text, const char *want, int line)
{
	char err[256] = "", buf[1024];
	struct prefix_set *s = prefix_set_parse(text, err, sizeof(err));
	check_at(s != NULL, "parse", __FILE__, line);
	if (s == NULL) {
		fprintf(stderr, "  '%s': %s\n", text, err);
		return;
	}
	size_t n = prefix_set_format(s, buf, sizeof(buf));
	check_at(n == strlen(want) && strcmp(buf, want) == 0, "format", __FILE__, line);
	if (strcmp(buf, want) != 0)
		fprintf(stderr, "  '%s': got '%s', want '%s'\n", text, buf, want);
	prefix_set_free(s);
}
#define EXPECT_FORMAT(t, w) expect_format(t, w, __LINE__)

static void test_basic(void)
{
	char err[256];
	struct prefix_set *s =
	    prefix_set_parse("163.209.0.0/16, 2001:db8:1::/48", err, sizeof(err));
	CHECK(s != NULL);
	CHECK(has4(s, "163.209.0.0"));
	CHECK(has4(s, "163.209.255.255"));
	CHECK(has4(s, "163.209.17.4"));
	CHECK(!has4(s, "163.208.255.255"));
	CHECK(!has4(s, "163.210.0.0"));
	CHECK(!has4(s, "0.0.0.0"));
	CHECK(!has4(s, "255.255.255.255"));
	CHECK(has6(s, "2001:db8:1::"));
	CHECK(has6(s, "2001:db8:1:ffff:ffff:ffff:ffff:ffff"));
	CHECK(!has6(s, "2001:db8:0:ffff:ffff:ffff:ffff:ffff"));
	CHECK(!has6(s, "2001:db8:2::"));
	/* v4 and v6 are independent: ::a3d1:0 is not 163.209.0.0 */
	CHECK(!has6(s, "::163.209.0.0"));
	CHECK(!has6(s, "::ffff:163.209.0.0"));
	CHECK_EQ(prefix_set_count(s), 2);
	struct prefix_set_stats st;
	prefix_set_stats(s, &st);
	CHECK_EQ(st.prefixes4, 1);
	CHECK_EQ(st.prefixes6, 1);
	CHECK_EQ(st.ranges4, 1);
	CHECK_EQ(st.ranges6, 1);
	prefix_set_free(s);

	/* separators, comments, hosts without a length */
	s = prefix_set_parse("# internal networks\n"
	                     "10.0.0.0/8,\t192.0.2.1   # a host\n"
	                     "\r\n  2001:db8::5 ,198.51.100.0/24,\n"
	                     "# end\n",
	                     err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "  %s\n", err);
		return;
	}
	CHECK_EQ(prefix_set_count(s), 4);
	CHECK(has4(s, "10.255.255.255"));
	CHECK(has4(s, "192.0.2.1"));
	CHECK(!has4(s, "192.0.2.0"));
	CHECK(!has4(s, "192.0.2.2"));
	CHECK(has6(s, "2001:db8::5"));
	CHECK(!has6(s, "2001:db8::4"));
	CHECK(!has6(s, "2001:db8::6"));
	CHECK(has4(s, "198.51.100.255"));
	CHECK(!has4(s, "198.51.101.0"));
	prefix_set_free(s);

	/* empty texts give empty sets */
	const char *empties[] = {"", "   \n\t", "# only a comment", "\n# a\n# b\n", NULL};
	for (int i = 0; i < 5; i++) {
		s = prefix_set_parse(empties[i], err, sizeof(err));
		CHECK(s != NULL);
		CHECK_EQ(prefix_set_count(s), 0);
		CHECK(!has4(s, "0.0.0.0"));
		CHECK(!has6(s, "::"));
		char buf[8] = "x";
		CHECK_EQ(prefix_set_format(s, buf, sizeof(buf)), 0);
		CHECK(buf[0] == '\0');
		prefix_set_free(s);
	}
	/* NULL set: contains nothing */
	CHECK(!has4(NULL, "10.0.0.1"));
	CHECK(!has6(NULL, "::1"));
	CHECK_EQ(prefix_set_count(NULL), 0);
	prefix_set_free(NULL);
}

static void test_errors(void)
{
	EXPECT_ERROR("10.0.0.0/33", "'10.0.0.0/33'", "IPv4 prefix length must be 0-32");
	EXPECT_ERROR("2001:db8::/129", "'2001:db8::/129'", "IPv6 prefix length must be 0-128");
	EXPECT_ERROR("10.0.0.0/0008", "'10.0.0.0/0008'", "prefix length must be");
	EXPECT_ERROR("10.0.0.0/", "'10.0.0.0/'", "missing prefix length");
	EXPECT_ERROR("/8", "'/8'", "missing address");
	EXPECT_ERROR("10.0.0.0/8/9", "'10.0.0.0/8/9'", "more than one '/'");
	EXPECT_ERROR("10.0.0.0/-1", "'10.0.0.0/-1'", "unexpected character '-'");
	EXPECT_ERROR("10.0.0.0/+8", "'10.0.0.0/+8'", "unexpected character '+'");
	EXPECT_ERROR("10.0.0/8", "'10.0.0/8'", "not a valid IPv4");
	EXPECT_ERROR("10.0.0.256", "'10.0.0.256'", "not a valid IPv4");
	EXPECT_ERROR("abc", "'abc'", "not a valid IPv4");
	EXPECT_ERROR("2001:db8:::1/64", "'2001:db8:::1/64'", "not a valid IPv6");
	EXPECT_ERROR("1:2:3:4:5:6:7:8:9", NULL, "not a valid IPv6");
	EXPECT_ERROR("fe80::1%eth0", "'fe80::1%eth0'", "unexpected character '%'");
	EXPECT_ERROR("host.example.org", "'host.example.org'", "unexpected character 'h'");
	EXPECT_ERROR("10.0.0.0/8;", "'10.0.0.0/8;'", "unexpected character ';'");
	EXPECT_ERROR("10.0.0.0/8\x01", NULL, "unexpected byte 0x01");
	EXPECT_ERROR("163.209.1.0/16", "'163.209.1.0/16'",
	             "host bits set, did you mean 163.209.0.0/16?");
	EXPECT_ERROR("10.0.0.1/0", NULL, "did you mean 0.0.0.0/0?");
	EXPECT_ERROR("2001:db8::1/32", "'2001:db8::1/32'",
	             "host bits set, did you mean 2001:db8::/32?");
	EXPECT_ERROR("::1/0", NULL, "did you mean ::/0?");
	EXPECT_ERROR("10.0.0.0/8,,11.0.0.0/8", "empty prefix", NULL);
	EXPECT_ERROR(", 10.0.0.0/8", "empty prefix", NULL);
	EXPECT_ERROR("10.0.0.0/8, ,", "empty prefix", NULL);
	/* line numbers for multi-line texts */
	EXPECT_ERROR("10.0.0.0/8\n# comment\n10.0.0.0/40\n", "'10.0.0.0/40'", "(line 3)");
	EXPECT_ERROR("10.0.0.0/8\n\n,,", "empty prefix", "(line 3)");
	/* a token longer than any address */
	char longtok[300];
	memset(longtok, '1', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	EXPECT_ERROR(longtok, "token too long", NULL);

	/* err may be NULL or tiny */
	CHECK(prefix_set_parse("10.0.0.0/33", NULL, 0) == NULL);
	char tiny[4] = "zzz";
	CHECK(prefix_set_parse("10.0.0.0/33", tiny, sizeof(tiny)) == NULL);
	CHECK(strlen(tiny) == 3);

	/* a failed add leaves the set as it was */
	char err[256];
	struct prefix_set *s = prefix_set_parse("10.0.0.0/8", err, sizeof(err));
	CHECK(s != NULL);
	CHECK(prefix_set_add_text(s, "11.0.0.0/8, 12.0.0.0/99", err, sizeof(err)) == -1);
	CHECK(strstr(err, "12.0.0.0/99") != NULL);
	CHECK(!has4(s, "11.0.0.1"));
	CHECK(has4(s, "10.0.0.1"));
	CHECK_EQ(prefix_set_count(s), 1);
	CHECK(prefix_set_add_text(s, "11.0.0.0/8 2001:db8::/32", err, sizeof(err)) == 0);
	CHECK(has4(s, "11.0.0.1"));
	CHECK(has6(s, "2001:db8::1"));
	CHECK_EQ(prefix_set_count(s), 3);
	CHECK(prefix_set_add_text(NULL, "10.0.0.0/8", err, sizeof(err)) == -1);
	prefix_set_free(s);
}

static void test_merge_and_format(void)
{
	EXPECT_FORMAT("10.0.0.0/8, 10.1.0.0/16", "10.0.0.0/8");
	EXPECT_FORMAT("10.1.0.0/16, 10.0.0.0/8", "10.0.0.0/8");
	EXPECT_FORMAT("10.0.0.0/9, 10.128.0.0/9", "10.0.0.0/8");         /* adjacent */
	EXPECT_FORMAT("10.0.0.0/8 10.0.0.0/8 10.0.0.0/8", "10.0.0.0/8"); /* duplicates */
	EXPECT_FORMAT("10.0.0.1 10.0.0.2", "10.0.0.1/32, 10.0.0.2/32");  /* not a /31 */
	EXPECT_FORMAT("10.0.0.0 10.0.0.1 10.0.0.2", "10.0.0.0/31, 10.0.0.2/32");
	EXPECT_FORMAT("11.0.0.0/8, 2001:db8::/32, 10.0.0.0/8",
	              "10.0.0.0/7, 2001:db8::/32"); /* 10/8 + 11/8 = 10/7 */
	EXPECT_FORMAT("12.0.0.0/8, 10.0.0.0/8", "10.0.0.0/8, 12.0.0.0/8");
	EXPECT_FORMAT("0.0.0.0/0", "0.0.0.0/0");
	EXPECT_FORMAT("::/0", "::/0");
	EXPECT_FORMAT("0.0.0.0/1, 128.0.0.0/1", "0.0.0.0/0");
	EXPECT_FORMAT("255.255.255.255, 255.255.255.254", "255.255.255.254/31");
	EXPECT_FORMAT("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, ::",
	              "::/128, ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	EXPECT_FORMAT("2001:DB8:0:0::/64 2001:db8:0:1::/64", "2001:db8::/63");
	EXPECT_FORMAT("10.0.0.0/32", "10.0.0.0/32");
	EXPECT_FORMAT("", "");

	char err[256], buf[64];
	struct prefix_set *s = prefix_set_parse(
	    "10.0.0.0/8, 10.1.0.0/16, 192.0.2.0/24, 2001:db8::/32, 2001:db8:5::/48", err,
	    sizeof(err));
	CHECK(s != NULL);
	struct prefix_set_stats st;
	prefix_set_stats(s, &st);
	CHECK_EQ(st.prefixes4, 3);
	CHECK_EQ(st.prefixes6, 2);
	CHECK_EQ(st.ranges4, 2);
	CHECK_EQ(st.ranges6, 1);
	/* short buffers: truncated, NUL-terminated, full length returned */
	const char *want = "10.0.0.0/8, 192.0.2.0/24, 2001:db8::/32";
	CHECK_EQ(prefix_set_format(s, NULL, 0), strlen(want));
	CHECK_EQ(prefix_set_format(s, buf, 5), strlen(want));
	CHECK(strcmp(buf, "10.0") == 0);
	CHECK_EQ(prefix_set_format(s, buf, sizeof(buf)), strlen(want));
	CHECK(strcmp(buf, want) == 0);
	prefix_set_free(s);

	/* whole address spaces, and v4/v6 independence */
	s = prefix_set_parse("0.0.0.0/0", err, sizeof(err));
	CHECK(has4(s, "0.0.0.0"));
	CHECK(has4(s, "255.255.255.255"));
	CHECK(has4(s, "127.0.0.1"));
	CHECK(!has6(s, "::"));
	CHECK(!has6(s, "::ffff:1.2.3.4"));
	prefix_set_free(s);
	s = prefix_set_parse("::/0", err, sizeof(err));
	CHECK(has6(s, "::"));
	CHECK(has6(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	CHECK(!has4(s, "0.0.0.0"));
	CHECK(!has4(s, "1.2.3.4"));
	prefix_set_free(s);
	/* range edges between several ranges */
	s = prefix_set_parse("10.0.0.0/24 10.0.2.0/24 10.0.4.0/23 ::1 ::3 8000::/1", err,
	                     sizeof(err));
	CHECK(has4(s, "10.0.0.0"));
	CHECK(has4(s, "10.0.0.255"));
	CHECK(!has4(s, "10.0.1.0"));
	CHECK(!has4(s, "10.0.1.255"));
	CHECK(has4(s, "10.0.2.0"));
	CHECK(has4(s, "10.0.2.255"));
	CHECK(!has4(s, "10.0.3.255"));
	CHECK(has4(s, "10.0.4.0"));
	CHECK(has4(s, "10.0.5.255"));
	CHECK(!has4(s, "10.0.6.0"));
	CHECK(!has4(s, "9.255.255.255"));
	CHECK(!has6(s, "::"));
	CHECK(has6(s, "::1"));
	CHECK(!has6(s, "::2"));
	CHECK(has6(s, "::3"));
	CHECK(!has6(s, "::4"));
	CHECK(!has6(s, "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	CHECK(has6(s, "8000::"));
	CHECK(has6(s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
	prefix_set_free(s);
}

/* ---- random prefixes against a brute-force reference ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct ref {
	int v6;
	uint8_t addr[16];
	unsigned len;
};

/* Is a inside the reference prefix p?  Bit by bit, nothing clever. */
static int ref_match(const struct ref *p, int v6, const uint8_t *a)
{
	if (p->v6 != v6)
		return 0;
	for (unsigned i = 0; i < p->len; i++) {
		int bp = (p->addr[i / 8] >> (7 - i % 8)) & 1;
		int ba = (a[i / 8] >> (7 - i % 8)) & 1;
		if (bp != ba)
			return 0;
	}
	return 1;
}

static int ref_contains(const struct ref *r, size_t n, int v6, const uint8_t *a)
{
	for (size_t i = 0; i < n; i++)
		if (ref_match(&r[i], v6, a))
			return 1;
	return 0;
}

static void clear_host_bits(uint8_t *a, unsigned bytes, unsigned len)
{
	for (unsigned i = len; i < bytes * 8; i++)
		a[i / 8] &= (uint8_t) ~(1u << (7 - i % 8));
}

/* Make an address near a reference prefix edge: its first or last address,
 * or one outside on either side. */
static void edge_addr(const struct ref *p, unsigned bytes, int which, uint8_t *out)
{
	memcpy(out, p->addr, bytes);
	if (which & 1) /* last address */
		for (unsigned i = p->len; i < bytes * 8; i++)
			out[i / 8] |= (uint8_t)(1u << (7 - i % 8));
	if (which & 2) { /* step one outside: -1 from first, +1 from last */
		if (which & 1) {
			for (int i = (int)bytes - 1; i >= 0; i--)
				if (++out[i] != 0)
					break;
		} else {
			for (int i = (int)bytes - 1; i >= 0; i--)
				if (out[i]-- != 0)
					break;
		}
	}
}

static void test_random_round(int nprefix, int short_prefixes)
{
	struct ref *r = calloc((size_t)nprefix, sizeof(*r));
	size_t textcap = (size_t)nprefix * 64 + 1;
	char *text = malloc(textcap);
	size_t tl = 0;
	char err[256];

	for (int i = 0; i < nprefix; i++) {
		r[i].v6 = (rnd() % 3) == 0;
		unsigned bytes = r[i].v6 ? 16 : 4;
		for (unsigned b = 0; b < bytes; b++)
			r[i].addr[b] = (uint8_t)rnd();
		/* Concentrate addresses so prefixes overlap and touch. */
		if (r[i].v6) {
			r[i].addr[0] = 0x20;
			r[i].addr[1] = 0x01;
			r[i].addr[2] = 0x0d;
			r[i].addr[3] = (uint8_t)(0xb8 + rnd() % 2);
			r[i].len = short_prefixes ? 24 + (unsigned)(rnd() % 40)
			                          : 32 + (unsigned)(rnd() % 97);
		} else {
			r[i].addr[0] = (uint8_t)(10 + rnd() % 3);
			r[i].len = short_prefixes ? 6 + (unsigned)(rnd() % 20)
			                          : 8 + (unsigned)(rnd() % 25);
		}
		clear_host_bits(r[i].addr, bytes, r[i].len);
		char a[INET6_ADDRSTRLEN];
		inet_ntop(r[i].v6 ? AF_INET6 : AF_INET, r[i].addr, a, sizeof(a));
		const char *sep[] = {", ", " ", "\n", ",\n", "\t# comment\n"};
		tl += (size_t)snprintf(text + tl, textcap - tl, "%s/%u%s", a, r[i].len,
		                       sep[rnd() % 5]);
	}
	struct prefix_set *s = prefix_set_parse(text, err, sizeof(err));
	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "  %s\n", err);
		goto out;
	}
	CHECK_EQ(prefix_set_count(s), nprefix);

	/* The canonical text must describe the same set. */
	size_t fl = prefix_set_format(s, NULL, 0);
	char *ftext = malloc(fl + 1);
	CHECK_EQ(prefix_set_format(s, ftext, fl + 1), fl);
	struct prefix_set *s2 = prefix_set_parse(ftext, err, sizeof(err));
	CHECK(s2 != NULL);
	size_t fl2 = prefix_set_format(s2, NULL, 0);
	char *ftext2 = malloc(fl2 + 1);
	prefix_set_format(s2, ftext2, fl2 + 1);
	CHECK(strcmp(ftext, ftext2) == 0);

	/* Adding the same prefixes in chunks gives the same set. */
	struct prefix_set *s3 = prefix_set_parse("", err, sizeof(err));
	for (int i = 0; i < nprefix; i++) {
		char a[INET6_ADDRSTRLEN + 8], p[INET6_ADDRSTRLEN];
		inet_ntop(r[i].v6 ? AF_INET6 : AF_INET, r[i].addr, p, sizeof(p));
		snprintf(a, sizeof(a), "%s/%u", p, r[i].len);
		CHECK(prefix_set_add_text(s3, a, err, sizeof(err)) == 0);
	}
	size_t fl3 = prefix_set_format(s3, NULL, 0);
	char *ftext3 = malloc(fl3 + 1);
	prefix_set_format(s3, ftext3, fl3 + 1);
	CHECK(strcmp(ftext, ftext3) == 0);

	int mismatches = 0;
	/* Edges of every prefix, and random addresses in the populated area. */
	for (int i = 0; i < nprefix; i++) {
		unsigned bytes = r[i].v6 ? 16 : 4;
		for (int which = 0; which < 4; which++) {
			uint8_t a[16];
			edge_addr(&r[i], bytes, which, a);
			int want = ref_contains(r, (size_t)nprefix, r[i].v6, a);
			int got = r[i].v6 ? prefix_set_contains6(s, a) : prefix_set_contains4(s, a);
			int got2 =
			    r[i].v6 ? prefix_set_contains6(s2, a) : prefix_set_contains4(s2, a);
			if (want != got || want != got2)
				mismatches++;
			if (which < 2 && !got)
				mismatches++; /* first and last address are always inside */
		}
	}
	for (int i = 0; i < 20000; i++) {
		uint8_t a[16];
		int v6 = (int)(rnd() & 1);
		for (int b = 0; b < 16; b++)
			a[b] = (uint8_t)rnd();
		if (v6) {
			a[0] = 0x20;
			a[1] = 0x01;
			a[2] = 0x0d;
			a[3] = (uint8_t)(0xb8 + rnd() % 2);
		} else {
			a[0] = (uint8_t)(9 + rnd() % 5);
		}
		int want = ref_contains(r, (size_t)nprefix, v6, a);
		int got = v6 ? prefix_set_contains6(s, a) : prefix_set_contains4(s, a);
		int got2 = v6 ? prefix_set_contains6(s2, a) : prefix_set_contains4(s2, a);
		if (want != got || want != got2)
			mismatches++;
	}
	CHECK_EQ(mismatches, 0);
	free(ftext);
	free(ftext2);
	free(ftext3);
	prefix_set_free(s2);
	prefix_set_free(s3);
	prefix_set_free(s);
out:
	free(text);
	free(r);
}

int main(void)
{
	test_basic();
	test_errors();
	test_merge_and_format();
	for (int round = 0; round < 10; round++)
		test_random_round(100 + 50 * round, round & 1);
	test_random_round(1, 0);
	test_random_round(2, 1);
	return check_done("test_prefix_set");
}
