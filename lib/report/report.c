/*
 * report.c - computes the report (report.h, doc/reports.md).
 *
 * SQL only reads ranges of primary keys (day or hour first); every
 * DISTINCT and GROUP BY is done here with hash tables, so the cost is one
 * sequential pass over the period's rows of each table:
 *   A  (day, internal host, port, packets)  daily_services, or regrouped
 *   B  (day, external host, packets)        daily_peer_ids, or regrouped
 *   C  (port, external host) pairs          daily_service_peer_ids, or regrouped
 * External hosts are counted by their address ids (schema version 2); the
 * text of an address is looked up only for a row that may enter a top list.
 */
#include "report/report.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/store.h"
#include "util/civil_day.h"
#include "util/time_arg.h"
#include "util/time_zone.h"

enum { MAX_DAYS = 20000 };

/* --- dates --------------------------------------------------------------- */

void report_day_text(int32_t z, char out[11])
{
	civil_day_text(z, out);
}

int report_parse_date(const char *s, int32_t *day)
{
	return time_arg_parse_day(s, day);
}

/* Local day (days since 1970-01-01 in the report's zone; TZ is set). */
static int32_t local_day(int64_t t, bool utc)
{
	if (utc)
		return (int32_t)((t >= 0 ? t : t - 86399) / 86400);
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	return (int32_t)civil_day_from_date(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
	                                    (unsigned)tm.tm_mday);
}

/* The UTC time of local midnight starting day z. */
static int64_t local_midnight(int32_t z, bool utc)
{
	if (utc)
		return (int64_t)z * 86400;
	char txt[11];
	report_day_text(z, txt);
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(txt) - 1900;
	tm.tm_mon = atoi(txt + 5) - 1;
	tm.tm_mday = atoi(txt + 8);
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* --- hash tables ------------------------------------------------------- */

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/* uint64 -> uint64; keys are stored + 1 (0 = empty). */
struct u64map {
	uint64_t *k, *v;
	size_t n, cap;
};

static void u64map_free(struct u64map *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static int u64map_grow(struct u64map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 1024;
	uint64_t *nk = calloc(ncap, sizeof(*nk)), *nv = calloc(ncap, sizeof(*nv));
	if (!nk || !nv) {
		free(nk);
		free(nv);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->k[i])
			continue;
		size_t j = mix64(m->k[i]) & (ncap - 1);
		while (nk[j])
			j = (j + 1) & (ncap - 1);
		nk[j] = m->k[i];
		nv[j] = m->v[i];
	}
	free(m->k);
	free(m->v);
	m->k = nk;
	m->v = nv;
	m->cap = ncap;
	return 0;
}

/* The value slot of key (created as 0; *is_new tells).  NULL: no memory. */
static uint64_t *u64map_get(struct u64map *m, uint64_t key, bool *is_new)
{
	if ((m->n + 1) * 2 > m->cap && u64map_grow(m) != 0)
		return NULL;
	key++;
	size_t j = mix64(key) & (m->cap - 1);
	while (m->k[j]) {
		if (m->k[j] == key) {
			if (is_new)
				*is_new = false;
			return &m->v[j];
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->k[j] = key;
	m->v[j] = 0;
	m->n++;
	if (is_new)
		*is_new = true;
	return &m->v[j];
}

/* Keys to count distinct values of: appended in a pass over the rows, then
 * sorted (LSD radix, 8 bits a pass) and counted.  Cheaper than a hash set
 * of millions: the memory is only ever walked in order. */
struct keyrec {
	uint64_t key;
	uint32_t port;
	uint32_t pad;
};

struct keyvec {
	struct keyrec *v;
	size_t n, cap;
};

static int keyvec_add(struct keyvec *kv, uint64_t key, uint32_t port)
{
	if (kv->n == kv->cap) {
		size_t ncap = kv->cap ? kv->cap * 2 : 65536;
		struct keyrec *nv = realloc(kv->v, ncap * sizeof(*nv));
		if (!nv)
			return -1;
		kv->v = nv;
		kv->cap = ncap;
	}
	kv->v[kv->n++] = (struct keyrec){key, port, 0};
	return 0;
}

static int keyvec_sort(struct keyvec *kv)
{
	size_t n = kv->n;
	if (n < 2)
		return 0;
	struct keyrec *tmp = malloc(n * sizeof(*tmp)), *a = kv->v, *b = tmp;
	if (!tmp)
		return -1;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t cnt[256] = {0};
		for (size_t i = 0; i < n; i++)
			cnt[(a[i].key >> shift) & 255]++;
		if (cnt[(a[0].key >> shift) & 255] == n)
			continue; /* one bucket: nothing to do */
		size_t pos = 0;
		for (int d = 0; d < 256; d++) {
			size_t c = cnt[d];
			cnt[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[(a[i].key >> shift) & 255]++] = a[i];
		struct keyrec *t = a;
		a = b;
		b = t;
	}
	if (a != kv->v) {
		memcpy(kv->v, a, n * sizeof(*a));
		free(a);
	} else {
		free(b);
	}
	return 0;
}

/* strings -> dense ids 0..n-1 */
struct strtab {
	char *arena;
	size_t len, acap;
	size_t *off; /* id -> offset */
	uint32_t n, ocap;
	uint64_t *slot; /* hash << 32 | (id + 1), 0 = empty */
	size_t scap;
};

static void strtab_free(struct strtab *t)
{
	free(t->arena);
	free(t->off);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static inline const char *strtab_str(const struct strtab *t, uint32_t id)
{
	return t->arena + t->off[id];
}

static uint64_t hash_str(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return mix64(h);
}

static int strtab_rehash(struct strtab *t)
{
	size_t ncap = t->scap ? t->scap * 2 : 1024;
	uint64_t *ns = calloc(ncap, sizeof(*ns));
	if (!ns)
		return -1;
	for (size_t i = 0; i < t->scap; i++) {
		if (!t->slot[i])
			continue;
		size_t j = (size_t)(t->slot[i] >> 32) & (ncap - 1);
		while (ns[j])
			j = (j + 1) & (ncap - 1);
		ns[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = ns;
	t->scap = ncap;
	return 0;
}

/* id of s (added when missing); -1: no memory.  *is_new tells.  The slots
 * keep 32 bits of the hash: a probe rarely touches another string. */
static int64_t strtab_id_h(struct strtab *t, const char *s, size_t len, uint64_t h, bool *is_new)
{
	if ((size_t)(t->n + 1) * 2 > t->scap && strtab_rehash(t) != 0)
		return -1;
	uint64_t h32 = h >> 32;
	size_t j = (size_t)h32 & (t->scap - 1);
	while (t->slot[j]) {
		if (t->slot[j] >> 32 == h32) {
			uint32_t id = (uint32_t)t->slot[j] - 1;
			const char *x = strtab_str(t, id);
			if (memcmp(x, s, len) == 0 && x[len] == '\0') {
				if (is_new)
					*is_new = false;
				return id;
			}
		}
		j = (j + 1) & (t->scap - 1);
	}
	if (t->len + len + 1 > t->acap) {
		size_t ncap = t->acap ? t->acap * 2 : 65536;
		while (ncap < t->len + len + 1)
			ncap *= 2;
		char *na = realloc(t->arena, ncap);
		if (!na)
			return -1;
		t->arena = na;
		t->acap = ncap;
	}
	if (t->n == t->ocap) {
		uint32_t ncap = t->ocap ? t->ocap * 2 : 1024;
		size_t *no = realloc(t->off, (size_t)ncap * sizeof(*no));
		if (!no)
			return -1;
		t->off = no;
		t->ocap = ncap;
	}
	memcpy(t->arena + t->len, s, len);
	t->arena[t->len + len] = '\0';
	t->off[t->n] = t->len;
	t->len += len + 1;
	t->slot[j] = h32 << 32 | (t->n + 1);
	if (is_new)
		*is_new = true;
	return t->n++;
}

static int64_t strtab_id(struct strtab *t, const char *s, size_t len, bool *is_new)
{
	return strtab_id_h(t, s, len, hash_str(s, len), is_new);
}

/* --- computation ------------------------------------------------------- */

struct arow { /* one (day, internal host, port) */
	uint32_t d, aid;
	uint16_t port;
	uint64_t packets;
};

struct ctx {
	sqlite3 *db;
	struct report *r;
	char *err;
	size_t errlen;
	int32_t day0;
	bool utc;

	struct strtab in;      /* internal addresses */
	struct keyvec peers;   /* address ids of external hosts (B) */
	struct keyvec pairs64; /* (external id << 16 | port) (C) */
	sqlite3_stmt *addr_st; /* id -> text */
	struct arow *a;
	size_t na, acap;
	uint32_t *port_ext; /* [65536] */
};

static int oom(struct ctx *c)
{
	snprintf(c->err, c->errlen, "out of memory");
	return -1;
}

static int sql_err(struct ctx *c, const char *what)
{
	snprintf(c->err, c->errlen, "%s: %s", what, sqlite3_errmsg(c->db));
	return -1;
}

static int add_service(struct ctx *c, uint32_t d, uint32_t aid, int port, uint64_t packets)
{
	if (c->na == c->acap) {
		size_t ncap = c->acap ? c->acap * 2 : 4096;
		struct arow *na = realloc(c->a, ncap * sizeof(*na));
		if (!na)
			return oom(c);
		c->a = na;
		c->acap = ncap;
	}
	c->a[c->na++] = (struct arow){d, aid, (uint16_t)port, packets};
	return 0;
}

static int cmp_src(const void *x, const void *y)
{
	const struct report_source *a = x, *b = y;
	if (a->packets != b->packets)
		return a->packets > b->packets ? -1 : 1;
	return strcmp(a->addr, b->addr);
}

/* B: one (day, external host, packets); the host is new in the period
 * when is_new (the caller knows). */
static int add_peer(struct ctx *c, uint32_t d, const char *peer, size_t len, uint64_t packets,
                    bool is_new)
{
	struct report_day *day = &c->r->days[d];
	day->externals++;
	if (is_new)
		c->r->externals_total++;
	int top = c->r->sources;
	if (top <= 0)
		return 0;
	if (day->ntop == (uint32_t)top && packets < day->top[top - 1].packets)
		return 0;
	struct report_source s;
	if (len >= sizeof(s.addr))
		len = sizeof(s.addr) - 1;
	memcpy(s.addr, peer, len);
	s.addr[len] = '\0';
	s.packets = packets;
	s.share = 0;
	if (day->ntop == (uint32_t)top && cmp_src(&s, &day->top[top - 1]) >= 0)
		return 0;
	if (!day->top) {
		day->top = calloc((size_t)top, sizeof(*day->top));
		if (!day->top)
			return oom(c);
	}
	uint32_t i = day->ntop < (uint32_t)top ? day->ntop++ : (uint32_t)top - 1;
	while (i > 0 && cmp_src(&s, &day->top[i - 1]) < 0) {
		day->top[i] = day->top[i - 1];
		i--;
	}
	day->top[i] = s;
	return 0;
}

/* The text of an address id (addrs). */
static int addr_of(struct ctx *c, int64_t id, char *out, size_t outlen)
{
	if (!c->addr_st && sqlite3_prepare_v2(c->db, "SELECT addr FROM addrs WHERE id = ?1", -1,
	                                      &c->addr_st, NULL) != SQLITE_OK)
		return sql_err(c, "addrs");
	sqlite3_bind_int64(c->addr_st, 1, id);
	int rc = sqlite3_step(c->addr_st);
	const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(c->addr_st, 0) : NULL;
	snprintf(out, outlen, "%s", t ? (const char *)t : "?");
	sqlite3_reset(c->addr_st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sql_err(c, "addrs");
	return 0;
}

/* B by address id: the text is looked up only when the row may enter the
 * day's top list (the same test add_peer makes first). */
static int add_peer_id(struct ctx *c, uint32_t d, int64_t id, uint64_t packets)
{
	struct report_day *day = &c->r->days[d];
	int top = c->r->sources;
	char text[64];
	if (keyvec_add(&c->peers, (uint64_t)id, 0) != 0)
		return oom(c);
	if (top <= 0 || (day->ntop == (uint32_t)top && packets < day->top[top - 1].packets)) {
		day->externals++;
		return 0;
	}
	if (addr_of(c, id, text, sizeof(text)) != 0)
		return -1;
	return add_peer(c, d, text, strlen(text), packets, false);
}

static inline uint64_t pair_key(int64_t peer_id, int port)
{
	return (uint64_t)peer_id << 16 | (uint64_t)(port & 0xffff);
}

/* distinct externals, distinct (port, external) */
static int count_distinct(struct ctx *c)
{
	if (keyvec_sort(&c->peers) != 0 || keyvec_sort(&c->pairs64) != 0)
		return oom(c);
	for (size_t i = 0; i < c->peers.n; i++)
		if (i == 0 || c->peers.v[i].key != c->peers.v[i - 1].key)
			c->r->externals_total++;
	for (size_t i = 0; i < c->pairs64.n; i++)
		if (i == 0 || c->pairs64.v[i].key != c->pairs64.v[i - 1].key)
			c->port_ext[c->pairs64.v[i].port & 0xffff]++;
	return 0;
}

static int day_index(struct ctx *c, const unsigned char *txt, uint32_t *d)
{
	int32_t z;
	if (!txt || report_parse_date((const char *)txt, &z) != 0)
		return -1;
	if (z < c->day0 || (uint32_t)(z - c->day0) >= c->r->ndays)
		return -1;
	*d = (uint32_t)(z - c->day0);
	return 0;
}

static int read_daily(struct ctx *c)
{
	sqlite3_stmt *st = NULL;
	int rc;
	char from[11], to[11];
	report_day_text(c->day0, from);
	report_day_text(c->day0 + (int32_t)c->r->ndays - 1, to);

	/* A */
	if (sqlite3_prepare_v2(c->db,
	                       "SELECT day, addr, port, packets FROM daily_services "
	                       "WHERE day BETWEEN ?1 AND ?2",
	                       -1, &st, NULL) != SQLITE_OK)
		return sql_err(c, "daily_services");
	sqlite3_bind_text(st, 1, from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t d;
		if (day_index(c, sqlite3_column_text(st, 0), &d) != 0)
			continue;
		const char *a = (const char *)sqlite3_column_text(st, 1);
		int64_t aid = strtab_id(&c->in, a ? a : "", a ? strlen(a) : 0, NULL);
		if (aid < 0 || add_service(c, d, (uint32_t)aid, sqlite3_column_int(st, 2),
		                           (uint64_t)sqlite3_column_int64(st, 3)) != 0) {
			sqlite3_finalize(st);
			return oom(c);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_err(c, "daily_services");

	/* B */
	if (sqlite3_prepare_v2(c->db,
	                       "SELECT day, peer_id, packets FROM daily_peer_ids "
	                       "WHERE day BETWEEN ?1 AND ?2",
	                       -1, &st, NULL) != SQLITE_OK)
		return sql_err(c, "daily_peer_ids");
	sqlite3_bind_int64(st, 1, c->day0);
	sqlite3_bind_int64(st, 2, c->day0 + (int64_t)c->r->ndays - 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t z = sqlite3_column_int64(st, 0);
		if (z < c->day0 || (uint64_t)(z - c->day0) >= c->r->ndays)
			continue;
		if (add_peer_id(c, (uint32_t)(z - c->day0), sqlite3_column_int64(st, 1),
		                (uint64_t)sqlite3_column_int64(st, 2)) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_err(c, "daily_peer_ids");

	/* C */
	if (sqlite3_prepare_v2(c->db,
	                       "SELECT port, peer_id FROM daily_service_peer_ids "
	                       "WHERE day BETWEEN ?1 AND ?2",
	                       -1, &st, NULL) != SQLITE_OK)
		return sql_err(c, "daily_service_peer_ids");
	sqlite3_bind_int64(st, 1, c->day0);
	sqlite3_bind_int64(st, 2, c->day0 + (int64_t)c->r->ndays - 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int port = sqlite3_column_int(st, 0) & 0xffff;
		if (keyvec_add(&c->pairs64, pair_key(sqlite3_column_int64(st, 1), port),
		               (uint32_t)port) != 0) {
			sqlite3_finalize(st);
			return oom(c);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_err(c, "daily_service_peer_ids");

	return count_distinct(c);
}

/* One local day of the hourly path: its external hosts (ids) and their packets. */
static int hday_flush(struct ctx *c, struct u64map *h, int64_t d)
{
	for (size_t i = 0; i < h->cap; i++)
		if (h->k[i] && add_peer_id(c, (uint32_t)d, (int64_t)(h->k[i] - 1), h->v[i]) != 0)
			return -1;
	u64map_free(h);
	return 0;
}

/* The report's id of an internal address id: its text interned once. */
static int64_t internal_id(struct ctx *c, struct u64map *ids, int64_t addr_id)
{
	bool is_new;
	uint64_t *v = u64map_get(ids, (uint64_t)addr_id, &is_new);
	char text[64];
	if (!v)
		return oom(c);
	if (!is_new)
		return (int64_t)*v;
	if (addr_of(c, addr_id, text, sizeof(text)) != 0)
		return -1;
	int64_t aid = strtab_id(&c->in, text, strlen(text), NULL);
	if (aid < 0 || aid >= (1ll << 32))
		return oom(c);
	*v = (uint64_t)aid;
	return aid;
}

/* Regroups the hourly rows into local days.  The rows come in hour order,
 * so the local days come one after the other: each day's external hosts
 * are gathered in a table of that day only. */
static int read_hourly(struct ctx *c)
{
	sqlite3_stmt *st = NULL;
	int rc;
	struct u64map svc = {0}; /* (d, port, aid) -> packets */
	struct u64map h = {0};   /* external id -> packets, of the current day */
	struct u64map ids = {0}; /* internal address id -> aid */
	int64_t lo = local_midnight(c->day0, c->utc);
	int64_t hi = local_midnight(c->day0 + (int32_t)c->r->ndays, c->utc);
	int ret = -1;

	if (sqlite3_prepare_v2(c->db,
	                       "SELECT hour, saddr_id, sport, daddr_id, packets FROM hourly_ids "
	                       "WHERE hour >= ?1 AND hour < ?2",
	                       -1, &st, NULL) != SQLITE_OK)
		return sql_err(c, "hourly_ids");
	/* an hour belongs to the day its start falls in */
	sqlite3_bind_int64(st, 1, lo - 3600);
	sqlite3_bind_int64(st, 2, hi + 3600);
	int64_t last_hour = INT64_MIN, cur = -1;
	int32_t z = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t hr = sqlite3_column_int64(st, 0);
		if (hr != last_hour) {
			last_hour = hr;
			z = local_day(hr, c->utc);
		}
		if (z < c->day0 || (uint32_t)(z - c->day0) >= c->r->ndays)
			continue;
		int64_t d = z - c->day0;
		if (d != cur) {
			if (cur >= 0 && hday_flush(c, &h, cur) != 0)
				goto out;
			cur = d;
		}
		int64_t aid = internal_id(c, &ids, sqlite3_column_int64(st, 1));
		int port = sqlite3_column_int(st, 2) & 0xffff;
		int64_t pid = sqlite3_column_int64(st, 3);
		uint64_t p = (uint64_t)sqlite3_column_int64(st, 4);
		if (aid < 0)
			goto out;
		uint64_t *hp = u64map_get(&h, (uint64_t)pid, NULL);
		if (!hp)
			goto nomem;
		*hp += p;
		uint64_t *v = u64map_get(
		    &svc, (uint64_t)d << 48 | (uint64_t)port << 32 | (uint64_t)aid, NULL);
		if (!v)
			goto nomem;
		*v += p;
		if (keyvec_add(&c->pairs64, pair_key(pid, port), (uint32_t)port) != 0)
			goto nomem;
	}
	if (rc != SQLITE_DONE) {
		sql_err(c, "hourly_ids");
		goto out;
	}
	if (cur >= 0 && hday_flush(c, &h, cur) != 0)
		goto out;
	for (size_t i = 0; i < svc.cap; i++) {
		if (!svc.k[i])
			continue;
		uint64_t k = svc.k[i] - 1;
		if (add_service(c, (uint32_t)(k >> 48), (uint32_t)k, (int)(k >> 32 & 0xffff),
		                svc.v[i]) != 0)
			goto out;
	}
	ret = count_distinct(c);
	goto out;
nomem:
	oom(c);
out:
	sqlite3_finalize(st);
	u64map_free(&svc);
	u64map_free(&h);
	u64map_free(&ids);
	return ret;
}

static int read_new_hosts(struct ctx *c)
{
	sqlite3_stmt *st;
	int rc;
	if (sqlite3_prepare_v2(c->db, "SELECT first_seen FROM hosts", -1, &st, NULL) != SQLITE_OK)
		return sql_err(c, "hosts");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int32_t z = local_day(sqlite3_column_int64(st, 0), c->utc);
		if (z < c->day0)
			c->r->hosts_before++;
		else if ((uint32_t)(z - c->day0) < c->r->ndays) {
			c->r->days[z - c->day0].new_hosts++;
			c->r->new_total++;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sql_err(c, "hosts");
	uint64_t cum = c->r->hosts_before; /* all hosts known by the end of each day */
	for (uint32_t d = 0; d < c->r->ndays; d++) {
		cum += c->r->days[d].new_hosts;
		c->r->days[d].cumulative = cum;
	}
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static void set_stat(struct report_stat *s, const char *name, double total, double *v, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->total = total;
	if (!n)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s->min = v[0];
	s->max = v[n - 1];
	s->mean = sum / (double)n;
	s->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmp_by_hosts(const void *x, const void *y)
{
	const struct report_port *a = x, *b = y;
	if (a->hosts != b->hosts)
		return a->hosts > b->hosts ? -1 : 1;
	if (a->externals != b->externals)
		return a->externals > b->externals ? -1 : 1;
	return a->port - b->port;
}

static int cmp_by_ext(const void *x, const void *y)
{
	const struct report_port *a = x, *b = y;
	if (a->externals != b->externals)
		return a->externals > b->externals ? -1 : 1;
	if (a->hosts != b->hosts)
		return a->hosts > b->hosts ? -1 : 1;
	return a->port - b->port;
}

static int cmp_many(const void *x, const void *y)
{
	const struct report_host *a = x, *b = y;
	if (a->ports != b->ports)
		return a->ports > b->ports ? -1 : 1;
	return strcmp(a->addr, b->addr);
}

static int finish(struct ctx *c)
{
	struct report *r = c->r;
	uint32_t nh = c->in.n, nd = r->ndays;
	int ret = -1;
	uint32_t *host_days = calloc(nh + 1, sizeof(uint32_t));
	uint32_t *host_ports = calloc(nh + 1, sizeof(uint32_t));
	uint64_t *host_packets = calloc(nh + 1, sizeof(uint64_t));
	uint32_t *port_hosts = calloc(65536, sizeof(uint32_t));
	uint32_t *port_every = calloc(65536, sizeof(uint32_t));
	double *v = calloc((size_t)(nd > nh ? nd : nh) + 1, sizeof(double));
	struct u64map dh = {0}, dp = {0}, hp = {0}, ps = {0};
	if (!host_days || !host_ports || !host_packets || !port_hosts || !port_every || !v)
		goto nomem;

	for (size_t i = 0; i < c->na; i++) {
		const struct arow *a = &c->a[i];
		struct report_day *day = &r->days[a->d];
		bool is_new;
		uint64_t *x;
		day->packets += a->packets;
		day->services++;
		r->packets_total += a->packets;
		host_packets[a->aid] += a->packets;
		if (!(x = u64map_get(&dh, (uint64_t)a->d << 32 | a->aid, &is_new)))
			goto nomem;
		if (is_new) {
			day->hosts++;
			host_days[a->aid]++;
		}
		if (!(x = u64map_get(&dp, (uint64_t)a->d << 32 | a->port, &is_new)))
			goto nomem;
		if (is_new)
			day->ports++;
		if (!(x = u64map_get(&hp, (uint64_t)a->aid << 16 | a->port, &is_new)))
			goto nomem;
		(*x)++; /* days of this service */
		if (is_new) {
			host_ports[a->aid]++;
			port_hosts[a->port]++;
			r->services_total++;
		}
		if (!(x = u64map_get(&ps, a->port, &is_new)))
			goto nomem;
		if (is_new)
			r->ports_total++;
	}
	for (size_t i = 0; i < hp.cap; i++)
		if (hp.k[i] && hp.v[i] == nd)
			port_every[(hp.k[i] - 1) & 0xffff]++;

	/* hosts: every day, Fig. 3 histogram, ports per host, many ports */
	uint32_t *hist = calloc((size_t)nd + 1, sizeof(uint32_t));
	uint32_t maxp = 0;
	if (!hist)
		goto nomem;
	for (uint32_t h = 0; h < nh; h++) {
		if (!host_days[h])
			continue;
		r->hosts_total++;
		if (host_days[h] == nd)
			r->hosts_every_day++;
		else
			hist[host_days[h]]++;
		if (host_ports[h] > maxp)
			maxp = host_ports[h];
		if (host_ports[h] > (uint32_t)r->many_ports)
			r->nmany++;
	}
	r->nhist = nd > 1 ? nd - 1 : 0;
	r->days_hist = calloc((size_t)r->nhist + 1, sizeof(*r->days_hist));
	if (!r->days_hist) {
		free(hist);
		goto nomem;
	}
	for (uint32_t k = 1; k < nd; k++)
		r->days_hist[k - 1] = (struct report_count){k, hist[k]};
	free(hist);

	uint32_t *ph = calloc((size_t)maxp + 1, sizeof(uint32_t));
	if (!ph)
		goto nomem;
	for (uint32_t h = 0; h < nh; h++)
		if (host_days[h])
			ph[host_ports[h]]++;
	for (uint32_t k = 1; k <= maxp; k++)
		if (ph[k])
			r->nports_hist++;
	r->ports_hist = calloc((size_t)r->nports_hist + 1, sizeof(*r->ports_hist));
	if (!r->ports_hist) {
		free(ph);
		goto nomem;
	}
	for (uint32_t k = 1, j = 0; k <= maxp; k++)
		if (ph[k])
			r->ports_hist[j++] = (struct report_count){k, ph[k]};
	free(ph);

	r->many = calloc((size_t)r->nmany + 1, sizeof(*r->many));
	if (!r->many)
		goto nomem;
	for (uint32_t h = 0, j = 0; h < nh; h++) {
		if (!host_days[h] || host_ports[h] <= (uint32_t)r->many_ports)
			continue;
		struct report_host *m = &r->many[j++];
		snprintf(m->addr, sizeof(m->addr), "%s", strtab_str(&c->in, h));
		m->ports = host_ports[h];
		m->days = host_days[h];
		m->packets = host_packets[h];
	}
	qsort(r->many, r->nmany, sizeof(*r->many), cmp_many);

	/* Tables 1 and 2 */
	uint32_t nports = 0;
	for (int p = 0; p < 65536; p++)
		if (port_hosts[p] || c->port_ext[p])
			nports++;
	struct report_port *all = calloc((size_t)nports + 1, sizeof(*all));
	if (!all)
		goto nomem;
	for (int p = 0, j = 0; p < 65536; p++) {
		if (!port_hosts[p] && !c->port_ext[p])
			continue;
		struct report_port *x = &all[j++];
		x->port = p;
		x->hosts = port_hosts[p];
		x->hosts_every_day = port_every[p];
		x->externals = c->port_ext[p];
		struct servent *se = getservbyport(htons((uint16_t)p), "tcp");
		snprintf(x->service, sizeof(x->service), "%s", se ? se->s_name : "");
	}
	uint32_t ntop = r->top < 0 ? 0 : (uint32_t)r->top;
	if (ntop > nports)
		ntop = nports;
	r->by_hosts = calloc((size_t)ntop + 1, sizeof(*r->by_hosts));
	r->by_ext = calloc((size_t)ntop + 1, sizeof(*r->by_ext));
	if (!r->by_hosts || !r->by_ext) {
		free(all);
		goto nomem;
	}
	qsort(all, nports, sizeof(*all), cmp_by_hosts);
	memcpy(r->by_hosts, all, ntop * sizeof(*all));
	qsort(all, nports, sizeof(*all), cmp_by_ext);
	memcpy(r->by_ext, all, ntop * sizeof(*all));
	r->nby_hosts = r->nby_ext = ntop;
	free(all);

	/* top sources: shares */
	for (uint32_t d = 0; d < nd; d++) {
		struct report_day *day = &r->days[d];
		for (uint32_t i = 0; i < day->ntop; i++)
			day->top[i].share =
			    day->packets ? (double)day->top[i].packets / (double)day->packets : 0;
	}

	/* summary */
	for (uint32_t d = 0; d < nd; d++)
		v[d] = (double)r->days[d].packets;
	set_stat(&r->stats[0], "SYN+ACK packets per day", (double)r->packets_total, v, nd);
	for (uint32_t d = 0; d < nd; d++)
		v[d] = r->days[d].hosts;
	set_stat(&r->stats[1], "internal hosts per day", r->hosts_total, v, nd);
	for (uint32_t d = 0; d < nd; d++)
		v[d] = r->days[d].externals;
	set_stat(&r->stats[2], "external hosts per day", (double)r->externals_total, v, nd);
	for (uint32_t d = 0; d < nd; d++)
		v[d] = r->days[d].services;
	set_stat(&r->stats[3], "open ports (host/port pairs) per day", (double)r->services_total, v,
	         nd);
	for (uint32_t d = 0; d < nd; d++)
		v[d] = r->days[d].ports;
	set_stat(&r->stats[4], "distinct port numbers per day", r->ports_total, v, nd);
	uint32_t j = 0;
	for (uint32_t h = 0; h < nh; h++)
		if (host_days[h])
			v[j++] = host_ports[h];
	set_stat(&r->stats[5], "open ports per host", (double)r->services_total, v, j);
	ret = 0;
	goto out;
nomem:
	oom(c);
out:
	free(host_days);
	free(host_ports);
	free(host_packets);
	free(port_hosts);
	free(port_every);
	free(v);
	u64map_free(&dh);
	u64map_free(&dp);
	u64map_free(&hp);
	u64map_free(&ps);
	return ret;
}

/* --- entry points ------------------------------------------------------ */

void report_options_default(struct report_options *o)
{
	memset(o, 0, sizeof(*o));
	o->top = 10;
	o->many_ports = 20;
	o->sources = 5;
}

struct sqlite3 *report_open_db(const char *data_dir, char *err, size_t errlen)
{
	char path[4200];
	struct stat sb;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	snprintf(path, sizeof(path), "%s/synack.db", data_dir);
	if (stat(path, &sb) != 0) {
		snprintf(err, errlen,
		         "no database at %s: %s (wrong --data-dir? 'synackctl rebuild' recreates "
		         "it from the logs)",
		         path, strerror(errno));
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		         db ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
	                       NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s is not a synack database: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (v < 2 || v > STORE_SCHEMA_VERSION) { /* 2 and 3 differ only in addrs.last_day */
		snprintf(err, errlen, "%s has schema version %d; this synackctl reads version %d%s",
		         path, v, STORE_SCHEMA_VERSION,
		         v < STORE_SCHEMA_VERSION ? " (run 'synackctl rebuild' to recreate it)"
		                                  : "");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_exec(db, "PRAGMA cache_size=-16384; PRAGMA mmap_size=4294967296", NULL, NULL, NULL);
	return db;
}

static int query_range(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return -1;
	return sqlite3_step(*st) == SQLITE_ROW ? 0 : -1;
}

int report_compute(sqlite3 *db, const struct report_options *opt, struct report *r, char *err,
                   size_t errlen)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(r, 0, sizeof(*r));
	struct ctx c = {.db = db, .r = r, .err = err, .errlen = errlen};
	sqlite3_stmt *st = NULL;
	int ret = -1;
	int32_t from = 0, to = -1;
	bool have_from = false, have_to = false;

	r->top = opt->top < 0 ? 0 : opt->top;
	r->many_ports = opt->many_ports < 0 ? 0 : opt->many_ports;
	r->sources = opt->sources < 0 ? 0 : opt->sources;
	if (opt->from) {
		if (report_parse_date(opt->from, &from) != 0) {
			snprintf(err, errlen, "bad --from date '%s' (want YYYY-MM-DD)", opt->from);
			return -1;
		}
		have_from = true;
	}
	if (opt->to) {
		if (report_parse_date(opt->to, &to) != 0) {
			snprintf(err, errlen, "bad --to date '%s' (want YYYY-MM-DD)", opt->to);
			return -1;
		}
		have_to = true;
	}
	if (have_from && have_to && from > to) {
		snprintf(err, errlen, "--from %s is after --to %s", opt->from, opt->to);
		return -1;
	}

	/* time zones */
	snprintf(r->db_tz, sizeof(r->db_tz), "UTC");
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'timezone'", -1, &st,
	                       NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(r->db_tz, sizeof(r->db_tz), "%s",
		         (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	st = NULL;
	const char *tz = opt->tz && *opt->tz ? opt->tz : r->db_tz;
	if (time_zone_check(tz, err, errlen) != 0)
		return -1;
	snprintf(r->tz, sizeof(r->tz), "%s", time_zone_is_utc(tz) ? "UTC" : tz);
	c.utc = time_zone_is_utc(tz);
	bool daily = strcmp(r->tz, time_zone_is_utc(r->db_tz) ? "UTC" : r->db_tz) == 0;
	r->source = daily ? "daily" : "hourly";
	if (!c.utc) {
		setenv("TZ", r->tz, 1);
		tzset();
	}

	/* the period: default the data's range */
	if (!have_from || !have_to) {
		int32_t lo = 0, hi = -1;
		bool any = false;
		if (daily) {
			if (query_range(db, "SELECT min(day), max(day) FROM daily_services", &st) ==
			        0 &&
			    sqlite3_column_type(st, 0) != SQLITE_NULL) {
				any = report_parse_date((const char *)sqlite3_column_text(st, 0),
				                        &lo) == 0 &&
				      report_parse_date((const char *)sqlite3_column_text(st, 1),
				                        &hi) == 0;
			}
		} else {
			if (query_range(db, "SELECT min(hour), max(hour) FROM hourly_ids", &st) ==
			        0 &&
			    sqlite3_column_type(st, 0) != SQLITE_NULL) {
				lo = local_day(sqlite3_column_int64(st, 0), c.utc);
				hi = local_day(sqlite3_column_int64(st, 1), c.utc);
				any = true;
			}
		}
		sqlite3_finalize(st);
		st = NULL;
		if (any) {
			if (!have_from)
				from = lo;
			if (!have_to)
				to = hi;
		} else if (have_from) {
			to = from;
		} else if (have_to) {
			from = to;
		} else {
			from = 0;
			to = -1; /* no data, no dates: an empty report */
		}
		/* one date beyond the data: a period of that one (empty) day */
		if (have_from && from > to)
			to = from;
		if (have_to && from > to)
			from = to;
	}
	if (to >= from) {
		if ((int64_t)to - from + 1 > MAX_DAYS) {
			snprintf(err, errlen, "the period is too long (%lld days, at most %d)",
			         (long long)to - from + 1, MAX_DAYS);
			return -1;
		}
		r->ndays = (uint32_t)(to - from + 1);
		report_day_text(from, r->from);
		report_day_text(to, r->to);
	}
	c.day0 = from;
	r->days = calloc((size_t)r->ndays + 1, sizeof(*r->days));
	c.port_ext = calloc(65536, sizeof(uint32_t));
	if (!r->days || !c.port_ext) {
		oom(&c);
		goto out;
	}
	for (uint32_t d = 0; d < r->ndays; d++) {
		struct report_day *day = &r->days[d];
		report_day_text(from + (int32_t)d, day->date);
		day->weekday = (int)(((int64_t)from + d + 4) % 7); /* 1970-01-01 was a Thursday */
		if (day->weekday < 0)
			day->weekday += 7;
		day->weekend = day->weekday == 0 || day->weekday == 6;
	}

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) { /* one snapshot */
		sql_err(&c, "begin");
		goto out;
	}
	if (r->ndays) {
		if ((daily ? read_daily(&c) : read_hourly(&c)) != 0 || read_new_hosts(&c) != 0) {
			sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
			goto out;
		}
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (finish(&c) != 0)
		goto out;
	ret = 0;
out:
	sqlite3_finalize(c.addr_st);
	strtab_free(&c.in);
	free(c.a);
	free(c.peers.v);
	free(c.pairs64.v);
	free(c.port_ext);
	if (ret != 0)
		report_free(r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r->elapsed_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return ret;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (uint32_t d = 0; r->days && d < r->ndays; d++)
		free(r->days[d].top);
	free(r->days);
	free(r->days_hist);
	free(r->by_hosts);
	free(r->by_ext);
	free(r->ports_hist);
	free(r->many);
	r->days = NULL;
	r->days_hist = NULL;
	r->by_hosts = r->by_ext = NULL;
	r->ports_hist = NULL;
	r->many = NULL;
}
