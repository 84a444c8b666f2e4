/*
 * prefix_set.c - sets of IPv4 and IPv6 prefixes as sorted disjoint ranges.
 *
 * Every prefix becomes an inclusive address range [lo, hi].  Ranges of one
 * family are sorted and merged (overlapping or adjacent ranges become one),
 * so a lookup is one binary search for the last range with lo <= addr and a
 * comparison with its hi.  IPv4 ranges are uint32_t, IPv6 ranges unsigned
 * __int128 (GCC and Clang on every 64-bit target DPDK supports).
 */
#include "prefix/prefix_set.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

struct prefix_set {
	/* IPv4: lo4[i] <= hi4[i] < lo4[i+1], no two ranges adjacent. */
	uint32_t *lo4, *hi4;
	size_t n4;
	/* IPv6: same invariants. */
	u128 *lo6, *hi6;
	size_t n6;
	/* Prefixes as given, per family (duplicates counted). */
	size_t given4, given6;
};

/* A range while building. */
struct range4 {
	uint32_t lo, hi;
};
struct range6 {
	u128 lo, hi;
};

struct builder {
	struct range4 *r4;
	size_t n4, cap4;
	struct range6 *r6;
	size_t n6, cap6;
	size_t given4, given6;
};

#define PREFIX_TOKEN_MAX 128 /* longer tokens cannot be addresses */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint64_t load_be64(const uint8_t *a)
{
	uint64_t v;

	memcpy(&v, a, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static u128 load_u128(const uint8_t a[16])
{
	return (u128)load_be64(a) << 64 | load_be64(a + 8);
}

static void store_u128(u128 v, uint8_t a[16])
{
	for (int i = 15; i >= 0; i--) {
		a[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint32_t load_u32(const uint8_t a[4])
{
	uint32_t v;

	memcpy(&v, a, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static int push4(struct builder *b, uint32_t lo, uint32_t hi)
{
	if (b->n4 == b->cap4) {
		size_t cap = b->cap4 ? b->cap4 * 2 : 16;
		struct range4 *r = realloc(b->r4, cap * sizeof(*r));
		if (r == NULL)
			return -1;
		b->r4 = r;
		b->cap4 = cap;
	}
	b->r4[b->n4].lo = lo;
	b->r4[b->n4].hi = hi;
	b->n4++;
	return 0;
}

static int push6(struct builder *b, u128 lo, u128 hi)
{
	if (b->n6 == b->cap6) {
		size_t cap = b->cap6 ? b->cap6 * 2 : 16;
		struct range6 *r = realloc(b->r6, cap * sizeof(*r));
		if (r == NULL)
			return -1;
		b->r6 = r;
		b->cap6 = cap;
	}
	b->r6[b->n6].lo = lo;
	b->r6[b->n6].hi = hi;
	b->n6++;
	return 0;
}

/* Parse a decimal prefix length: digits only, no sign, at most 3 digits. */
static int parse_len(const char *s, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (s[0] == '\0')
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 3)
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/*
 * Parse one token ("addr" or "addr/len") into the builder.  line is for
 * messages.  Returns 0 or -1 with err filled.
 */
static int parse_token(struct builder *b, const char *tok, unsigned line, char *err, size_t errlen)
{
	char addr[PREFIX_TOKEN_MAX + 1];
	char where[32] = "";
	const char *slash = strchr(tok, '/');
	size_t alen = slash ? (size_t)(slash - tok) : strlen(tok);
	unsigned plen = 0;
	bool has_len = slash != NULL;
	uint8_t bytes[16];
	bool v6;

	if (line > 1)
		snprintf(where, sizeof(where), " (line %u)", line);
	if (alen == 0) {
		set_err(err, errlen, "bad prefix '%s': missing address before '/'%s", tok, where);
		return -1;
	}
	memcpy(addr, tok, alen);
	addr[alen] = '\0';
	v6 = strchr(addr, ':') != NULL;
	if (has_len) {
		if (strchr(slash + 1, '/') != NULL) {
			set_err(err, errlen, "bad prefix '%s': more than one '/'%s", tok, where);
			return -1;
		}
		if (slash[1] == '\0') {
			set_err(err, errlen, "bad prefix '%s': missing prefix length after '/'%s",
			        tok, where);
			return -1;
		}
		if (parse_len(slash + 1, &plen) != 0 || plen > (v6 ? 128u : 32u)) {
			set_err(err, errlen, "bad prefix '%s': %s prefix length must be 0-%u%s",
			        tok, v6 ? "IPv6" : "IPv4", v6 ? 128u : 32u, where);
			return -1;
		}
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, addr, bytes) != 1) {
		set_err(err, errlen, "bad prefix '%s': '%s' is not a valid %s address%s", tok, addr,
		        v6 ? "IPv6" : "IPv4 (dotted quad)", where);
		return -1;
	}
	if (!v6) {
		uint32_t a = load_u32(bytes);
		if (!has_len)
			plen = 32;
		uint32_t host = plen == 0 ? 0xffffffffu : (plen == 32 ? 0 : 0xffffffffu >> plen);
		if (a & host) {
			char buf[INET_ADDRSTRLEN];
			uint32_t net = htonl(a & ~host);
			inet_ntop(AF_INET, &net, buf, sizeof(buf));
			set_err(err, errlen,
			        "bad prefix '%s': host bits set, did you mean %s/%u?%s", tok, buf,
			        plen, where);
			return -1;
		}
		if (push4(b, a, a | host) != 0)
			goto nomem;
		b->given4++;
	} else {
		u128 a = load_u128(bytes);
		if (!has_len)
			plen = 128;
		u128 host = plen == 0 ? ~(u128)0 : (plen == 128 ? 0 : (~(u128)0) >> plen);
		if (a & host) {
			char buf[INET6_ADDRSTRLEN];
			uint8_t nb[16];
			store_u128(a & ~host, nb);
			inet_ntop(AF_INET6, nb, buf, sizeof(buf));
			set_err(err, errlen,
			        "bad prefix '%s': host bits set, did you mean %s/%u?%s", tok, buf,
			        plen, where);
			return -1;
		}
		if (push6(b, a, a | host) != 0)
			goto nomem;
		b->given6++;
	}
	return 0;
nomem:
	set_err(err, errlen, "out of memory");
	return -1;
}

static bool is_sep(char c)
{
	return c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/*
 * Tokenise text: tokens are runs of characters other than separators and
 * '#'.  '#' starts a comment to the end of the line.  A comma that follows
 * another comma (or the start of the text) with no token in between is an
 * empty entry and an error; a trailing comma is allowed.
 */
static int parse_text(struct builder *b, const char *text, char *err, size_t errlen)
{
	const char *p = text;
	unsigned line = 1;
	bool token_since_comma = false;

	if (text == NULL)
		return 0;
	while (*p != '\0') {
		char c = *p;
		if (c == '#') {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (c == '\n') {
			line++;
			p++;
			continue;
		}
		if (c == ',') {
			if (!token_since_comma) {
				if (line > 1)
					set_err(
					    err, errlen,
					    "empty prefix: ',' with nothing before it (line %u)",
					    line);
				else
					set_err(err, errlen,
					        "empty prefix: ',' with nothing before it");
				return -1;
			}
			token_since_comma = false;
			p++;
			continue;
		}
		if (is_sep(c)) {
			p++;
			continue;
		}
		/* A token. */
		const char *start = p;
		while (*p != '\0' && !is_sep(*p) && *p != '#')
			p++;
		size_t tlen = (size_t)(p - start);
		char tok[PREFIX_TOKEN_MAX + 1];
		if (tlen > PREFIX_TOKEN_MAX) {
			set_err(err, errlen,
			        "bad prefix '%.40s...': token too long (%zu characters)", start,
			        tlen);
			return -1;
		}
		memcpy(tok, start, tlen);
		tok[tlen] = '\0';
		for (size_t i = 0; i < tlen; i++) {
			unsigned char uc = (unsigned char)tok[i];
			if (isxdigit(uc) || uc == '.' || uc == ':' || uc == '/')
				continue;
			char where[32] = "";
			if (line > 1)
				snprintf(where, sizeof(where), " (line %u)", line);
			if (isprint(uc))
				set_err(err, errlen, "bad prefix '%s': unexpected character '%c'%s",
				        tok, uc, where);
			else
				set_err(err, errlen, "bad prefix '%s': unexpected byte 0x%02x%s",
				        tok, uc, where);
			return -1;
		}
		if (parse_token(b, tok, line, err, errlen) != 0)
			return -1;
		token_since_comma = true;
	}
	return 0;
}

static int cmp4(const void *a, const void *b)
{
	const struct range4 *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : (x->hi > y->hi);
}

static int cmp6(const void *a, const void *b)
{
	const struct range6 *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : (x->hi > y->hi);
}

/* Sort and merge ranges in place; returns the new count. */
static size_t merge4(struct range4 *r, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), cmp4);
	for (size_t i = 1; i < n; i++) {
		struct range4 *last = &r[out];
		/* overlap or adjacency (careful at the top of the space) */
		if (last->hi == UINT32_MAX || r[i].lo <= last->hi + 1) {
			if (r[i].hi > last->hi)
				last->hi = r[i].hi;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

static size_t merge6(struct range6 *r, size_t n)
{
	size_t out = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), cmp6);
	for (size_t i = 1; i < n; i++) {
		struct range6 *last = &r[out];
		if (last->hi == ~(u128)0 || r[i].lo <= last->hi + 1) {
			if (r[i].hi > last->hi)
				last->hi = r[i].hi;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

static void builder_free(struct builder *b)
{
	free(b->r4);
	free(b->r6);
}

/* Replace set's arrays with the merged contents of builder b. */
static int install(struct prefix_set *set, struct builder *b)
{
	size_t n4 = merge4(b->r4, b->n4);
	size_t n6 = merge6(b->r6, b->n6);
	uint32_t *lo4 = NULL, *hi4 = NULL;
	u128 *lo6 = NULL, *hi6 = NULL;

	if (n4) {
		lo4 = malloc(n4 * sizeof(*lo4));
		hi4 = malloc(n4 * sizeof(*hi4));
	}
	if (n6) {
		lo6 = malloc(n6 * sizeof(*lo6));
		hi6 = malloc(n6 * sizeof(*hi6));
	}
	if ((n4 && (!lo4 || !hi4)) || (n6 && (!lo6 || !hi6))) {
		free(lo4);
		free(hi4);
		free(lo6);
		free(hi6);
		return -1;
	}
	for (size_t i = 0; i < n4; i++) {
		lo4[i] = b->r4[i].lo;
		hi4[i] = b->r4[i].hi;
	}
	for (size_t i = 0; i < n6; i++) {
		lo6[i] = b->r6[i].lo;
		hi6[i] = b->r6[i].hi;
	}
	free(set->lo4);
	free(set->hi4);
	free(set->lo6);
	free(set->hi6);
	set->lo4 = lo4;
	set->hi4 = hi4;
	set->n4 = n4;
	set->lo6 = lo6;
	set->hi6 = hi6;
	set->n6 = n6;
	set->given4 = b->given4;
	set->given6 = b->given6;
	return 0;
}

int prefix_set_add_text(struct prefix_set *set, const char *text, char *err, size_t errlen)
{
	struct builder b = {0};

	if (set == NULL) {
		set_err(err, errlen, "no prefix set");
		return -1;
	}
	/* Start from the existing ranges so a failure leaves set untouched. */
	for (size_t i = 0; i < set->n4; i++)
		if (push4(&b, set->lo4[i], set->hi4[i]) != 0)
			goto nomem;
	for (size_t i = 0; i < set->n6; i++)
		if (push6(&b, set->lo6[i], set->hi6[i]) != 0)
			goto nomem;
	b.given4 = set->given4;
	b.given6 = set->given6;
	if (parse_text(&b, text, err, errlen) != 0) {
		builder_free(&b);
		return -1;
	}
	if (install(set, &b) != 0)
		goto nomem;
	builder_free(&b);
	return 0;
nomem:
	builder_free(&b);
	set_err(err, errlen, "out of memory");
	return -1;
}

struct prefix_set *prefix_set_parse(const char *text, char *err, size_t errlen)
{
	struct prefix_set *set = calloc(1, sizeof(*set));

	if (set == NULL) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	if (prefix_set_add_text(set, text, err, errlen) != 0) {
		prefix_set_free(set);
		return NULL;
	}
	return set;
}

void prefix_set_free(struct prefix_set *set)
{
	if (set == NULL)
		return;
	free(set->lo4);
	free(set->hi4);
	free(set->lo6);
	free(set->hi6);
	free(set);
}

bool prefix_set_contains4(const struct prefix_set *set, const uint8_t addr[4])
{
	if (set == NULL || set->n4 == 0)
		return false;
	uint32_t a = load_u32(addr);
	const uint32_t *base = set->lo4;
	size_t n = set->n4;
	/* Branch-free search for the last lo <= a (or index 0). */
	while (n > 1) {
		size_t half = n / 2;
		base = (base[half] <= a) ? base + half : base;
		n -= half;
	}
	size_t i = (size_t)(base - set->lo4);
	return set->lo4[i] <= a && a <= set->hi4[i];
}

bool prefix_set_contains6(const struct prefix_set *set, const uint8_t addr[16])
{
	if (set == NULL || set->n6 == 0)
		return false;
	u128 a = load_u128(addr);
	const u128 *base = set->lo6;
	size_t n = set->n6;
	while (n > 1) {
		size_t half = n / 2;
		base = (base[half] <= a) ? base + half : base;
		n -= half;
	}
	size_t i = (size_t)(base - set->lo6);
	return set->lo6[i] <= a && a <= set->hi6[i];
}

size_t prefix_set_count(const struct prefix_set *set)
{
	return set ? set->given4 + set->given6 : 0;
}

void prefix_set_stats(const struct prefix_set *set, struct prefix_set_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (set == NULL)
		return;
	st->prefixes4 = set->given4;
	st->prefixes6 = set->given6;
	st->ranges4 = set->n4;
	st->ranges6 = set->n6;
}

/* snprintf-like appender */
struct out {
	char *buf;
	size_t len, cap;
};

static void out_str(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->len < o->cap) {
		size_t room = o->cap - o->len - 1;
		size_t k = n < room ? n : room;
		memcpy(o->buf + o->len, s, k);
		o->buf[o->len + k] = '\0';
	}
	o->len += n;
}

static void out_prefix(struct out *o, int af, const void *addr, unsigned len)
{
	char a[INET6_ADDRSTRLEN];
	char s[INET6_ADDRSTRLEN + 8];

	inet_ntop(af, addr, a, sizeof(a));
	snprintf(s, sizeof(s), "%s%s/%u", o->len ? ", " : "", a, len);
	out_str(o, s);
}

/*
 * Canonical text: the merged ranges, each written as the fewest CIDR
 * prefixes that cover it exactly, IPv4 first, both in address order.  Equal
 * sets give equal text, and parsing the text gives the same set.
 */
size_t prefix_set_format(const struct prefix_set *set, char *buf, size_t buflen)
{
	struct out o = {buf, 0, buflen};

	if (buf && buflen)
		buf[0] = '\0';
	if (set == NULL)
		return 0;
	for (size_t i = 0; i < set->n4; i++) {
		uint64_t lo = set->lo4[i], hi = set->hi4[i];
		while (lo <= hi) {
			unsigned k = 32; /* host bits */
			while (k > 0 &&
			       ((lo & ((1ull << k) - 1)) != 0 || (lo | ((1ull << k) - 1)) > hi))
				k--;
			uint32_t net = htonl((uint32_t)lo);
			out_prefix(&o, AF_INET, &net, 32 - k);
			lo = (lo | ((1ull << k) - 1)) + 1;
		}
	}
	for (size_t i = 0; i < set->n6; i++) {
		u128 lo = set->lo6[i], hi = set->hi6[i];
		for (;;) {
			unsigned k = 128;
			for (;;) {
				u128 mask = k == 128 ? ~(u128)0 : (((u128)1 << k) - 1);
				if (k == 0 || ((lo & mask) == 0 && (lo | mask) <= hi))
					break;
				k--;
			}
			u128 mask = k == 128 ? ~(u128)0 : (((u128)1 << k) - 1);
			uint8_t b[16];
			store_u128(lo, b);
			out_prefix(&o, AF_INET6, b, 128 - k);
			if ((lo | mask) >= hi)
				break;
			lo = (lo | mask) + 1;
		}
	}
	return o.len;
}
