/*
 * store_commit.c - the back half of the store: writes aggregated rows to
 * SQLite in one transaction (doc/schema.md, "Writing").
 *
 * A job hands over a frozen map of rows.  They are merged into the rows the
 * back half keeps (what a failed or capped commit left, and the known keys
 * of earlier commits), then written as UPSERTs in key order.  The derived
 * tables (services, hosts, daily roll-ups) are aggregated again in memory
 * first so each of their rows is written once per commit.  Whether a row is
 * new (a new peer of a service, a new day, a new port of a host) is learned
 * from the database itself: an UPSERT ... RETURNING packets gives back
 * exactly the batch's packets only when the row did not exist before.
 *
 * Everything here runs in one thread at a time: the commit thread, or the
 * writer itself when the store is synchronous.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"

static const char *const stmt_sql[ST_COUNT] = {
    [ST_HOURLY] = "INSERT INTO hourly_ids(hour, saddr_id, sport, daddr_id, packets) "
                  "VALUES(?1,?2,?3,?4,?5) "
                  "ON CONFLICT DO UPDATE SET packets = packets + excluded.packets",
    [ST_SVC_PEER] = "INSERT INTO service_peer_ids(addr_id, port, peer_id, first_seen, last_seen, "
                    "packets) VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT DO UPDATE SET "
                    "first_seen = min(first_seen, excluded.first_seen), "
                    "last_seen = max(last_seen, excluded.last_seen), "
                    "packets = packets + excluded.packets RETURNING packets",
    [ST_DSP_INSERT] = "INSERT OR IGNORE INTO daily_service_peer_ids(day, addr_id, peer_id, port) "
                      "VALUES(?1,?2,?3,?4)",
    [ST_DSP_OTHER_PORT] = "SELECT 1 FROM daily_service_peer_ids WHERE day = ?1 AND addr_id = ?2 "
                          "AND peer_id = ?3 AND port <> ?4 LIMIT 1",
    [ST_DAILY_SVC] = "INSERT INTO daily_services(day, addr, port, packets, peers) "
                     "VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET "
                     "packets = packets + excluded.packets, peers = peers + excluded.peers "
                     "RETURNING packets",
    [ST_DAILY_PEER] = "INSERT INTO daily_peer_ids(day, peer_id, packets, services, hosts) "
                      "VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET "
                      "packets = packets + excluded.packets, "
                      "services = services + excluded.services, hosts = hosts + excluded.hosts",
    [ST_SERVICE] = "INSERT INTO services(addr, port, first_seen, last_seen, packets, peers, "
                   "days_seen) VALUES(?1,?2,?3,?4,?5,?6,?7) ON CONFLICT DO UPDATE SET "
                   "first_seen = min(first_seen, excluded.first_seen), "
                   "last_seen = max(last_seen, excluded.last_seen), "
                   "packets = packets + excluded.packets, peers = peers + excluded.peers, "
                   "days_seen = days_seen + excluded.days_seen RETURNING packets",
    [ST_HOST] = "INSERT INTO hosts(addr, first_seen, last_seen, ports, packets) "
                "VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET "
                "first_seen = min(first_seen, excluded.first_seen), "
                "last_seen = max(last_seen, excluded.last_seen), "
                "ports = ports + excluded.ports, packets = packets + excluded.packets",
    [ST_FTP] = "INSERT INTO ftp_data(day, mode, packets) VALUES(?1,?2,?3) "
               "ON CONFLICT DO UPDATE SET packets = packets + excluded.packets",
    [ST_ADDR_GET] = "SELECT id FROM addrs WHERE addr = ?1",
    [ST_ADDR_PUT] = "INSERT INTO addrs(addr) VALUES(?1)",
};

void store_back_init(struct store_back *b)
{
	agg_map_init(&b->rows);
	agg_map_init(&b->svc);
	agg_map_init(&b->host);
	agg_map_init(&b->dsvc);
	agg_map_init(&b->dpeer);
	agg_map_init(&b->addr_ids);
}

void store_back_free(struct store_back *b)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(b->st[i]);
		b->st[i] = NULL;
	}
	if (b->db) {
		sqlite3_exec(b->db, "PRAGMA optimize", NULL, NULL, NULL);
		sqlite3_close(b->db);
		b->db = NULL;
	}
	agg_map_free(&b->rows);
	agg_map_free(&b->svc);
	agg_map_free(&b->host);
	agg_map_free(&b->dsvc);
	agg_map_free(&b->dpeer);
	agg_map_free(&b->addr_ids);
	free(b->order);
	b->order = NULL;
}

static void set_err(struct store_back *b, const char *what)
{
	snprintf(b->err, sizeof(b->err), "%s: %s: %s", b->path, what, sqlite3_errmsg(b->db));
}

int store_back_prepare(struct store_back *b)
{
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(b->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &b->st[i],
		                       NULL) != SQLITE_OK) {
			set_err(b, "preparing statements");
			return -1;
		}
	}
	return 0;
}

/* days since 1970-01-01 -> "YYYY-MM-DD" (H. Hinnant's civil_from_days) */
static void day_text(int32_t z, char out[32])
{
	int64_t zz = (int64_t)z + 719468;
	int64_t era = (zz >= 0 ? zz : zz - 146096) / 146097;
	int64_t doe = zz - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	snprintf(out, 32, "%04d-%02d-%02d", (int)y, (int)m, (int)d);
}

/* Canonical text of an address; fast path for IPv4. */
static size_t addr_text(uint8_t family, const uint8_t *a, char *out)
{
	if (family == 4) {
		char *p = out;
		for (int i = 0; i < 4; i++) {
			unsigned v = a[i];
			if (v >= 100) {
				*p++ = (char)('0' + v / 100);
				*p++ = (char)('0' + v / 10 % 10);
			} else if (v >= 10) {
				*p++ = (char)('0' + v / 10);
			}
			*p++ = (char)('0' + v % 10);
			if (i < 3)
				*p++ = '.';
		}
		*p = '\0';
		return (size_t)(p - out);
	}
	inet_ntop(AF_INET6, a, out, INET6_ADDRSTRLEN);
	return strlen(out);
}

static inline bool step_ok(int rc)
{
	return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

/* Runs a bound statement; returns the sqlite result code (ROW/DONE ok).
 * *ret receives column 0 of the first row when ret != NULL. */
static int run(struct store_back *b, sqlite3_stmt *st, int64_t *ret)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && ret)
		*ret = sqlite3_column_int64(st, 0);
	if (rc == SQLITE_ROW) {
		int rc2 = sqlite3_step(st);
		if (rc2 != SQLITE_DONE && rc2 != SQLITE_ROW)
			rc = rc2;
	}
	sqlite3_reset(st);
	b->statements++;
	return rc;
}

static inline int64_t secs(uint64_t ns)
{
	return (int64_t)(ns / 1000000000ull);
}

static void merge_times(struct agg_val *d, const struct agg_val *v)
{
	if (d->packets == 0 || v->first_ns < d->first_ns)
		d->first_ns = v->first_ns;
	if (v->last_ns > d->last_ns)
		d->last_ns = v->last_ns;
	d->packets += v->packets;
}

/* The id of an address in addrs: from the cache, else looked up, else
 * inserted.  Inside the commit's transaction: a failed commit empties the
 * cache, since the ids it inserted are rolled back. */
static int addr_id(struct store_back *b, uint8_t family, const uint8_t *a, int64_t *id)
{
	struct agg_key k;
	int is_new, rc;
	memset(&k, 0, sizeof(k));
	k.family = family;
	memcpy(k.a, a, 16);
	struct agg_val *v = agg_map_get(&b->addr_ids, &k, &is_new);
	if (!v)
		return SQLITE_NOMEM;
	if (!is_new) {
		*id = (int64_t)v->n1;
		return SQLITE_OK;
	}
	char text[64];
	int len = (int)addr_text(family, a, text);
	int64_t found = 0;
	sqlite3_bind_text(b->st[ST_ADDR_GET], 1, text, len, SQLITE_STATIC);
	if (!step_ok(rc = run(b, b->st[ST_ADDR_GET], &found)))
		return rc;
	if (!found) {
		sqlite3_bind_text(b->st[ST_ADDR_PUT], 1, text, len, SQLITE_STATIC);
		if (!step_ok(rc = run(b, b->st[ST_ADDR_PUT], NULL)))
			return rc;
		found = sqlite3_last_insert_rowid(b->db);
	}
	v->n1 = (uint64_t)found;
	*id = found;
	return SQLITE_OK;
}

/* Ids of both addresses of every active row, kept in n1 (internal) and n2
 * (external) for the sort and the statements. */
static int resolve_ids(struct store_back *b)
{
	if (b->addr_ids.n >= b->max_pending)
		agg_map_clear(&b->addr_ids);
	for (uint32_t i = 0; i < b->rows.n; i++) {
		struct agg_entry *e = &b->rows.e[i];
		int64_t ia, ib;
		int rc;
		if (!e->v.packets || !e->k.family)
			continue;
		if ((rc = addr_id(b, e->k.family, e->k.a, &ia)) != SQLITE_OK ||
		    (rc = addr_id(b, e->k.family, e->k.b, &ib)) != SQLITE_OK)
			return rc;
		e->v.n1 = (uint64_t)ia;
		e->v.n2 = (uint64_t)ib;
	}
	return SQLITE_OK;
}

/* Merge the handed-over rows into the kept ones.  A known key (packets 0,
 * n3 1: its daily-set row exists) becomes active again and stays known. */
static int merge_in(struct store_back *b, struct agg_map *in)
{
	int ret = 0;
	for (uint32_t i = 0; i < in->n; i++) {
		const struct agg_entry *e = &in->e[i];
		int is_new;
		struct agg_val *v = agg_map_get(&b->rows, &e->k, &is_new);
		if (!v) {
			b->dropped += e->v.packets;
			ret = -1;
			continue;
		}
		if (is_new || v->packets == 0) {
			uint64_t known = is_new ? 0 : v->n3;
			*v = e->v;
			v->n3 = known;
			b->active++;
		} else {
			merge_times(v, &e->v);
		}
		b->active_records += e->v.packets;
	}
	agg_map_clear(in);
	return ret;
}

/* B-tree order of the keys: hour, then internal address id, port, day,
 * external address id (ids resolved before the sort). */
static int cmp_order(const void *x, const void *y, void *base)
{
	const struct agg_entry *ex = &((const struct agg_entry *)base)[*(const uint32_t *)x];
	const struct agg_entry *ey = &((const struct agg_entry *)base)[*(const uint32_t *)y];
	const struct agg_key *a = &ex->k, *b = &ey->k;
	if (a->hour != b->hour)
		return a->hour < b->hour ? -1 : 1;
	if (ex->v.n1 != ey->v.n1)
		return ex->v.n1 < ey->v.n1 ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	if (ex->v.n2 != ey->v.n2)
		return ex->v.n2 < ey->v.n2 ? -1 : 1;
	return a->kind - b->kind;
}

/* Visit the active rows in key order: the UPSERTs then walk each B-tree
 * mostly forwards, which keeps the pages they touch hot. */
static int sort_rows(struct store_back *b)
{
	if (b->order_cap < b->rows.n) {
		uint32_t *o = realloc(b->order, (size_t)b->rows.n * sizeof(*o));
		if (!o)
			return -1;
		b->order = o;
		b->order_cap = b->rows.n;
	}
	b->order_n = 0;
	for (uint32_t i = 0; i < b->rows.n; i++)
		if (b->rows.e[i].v.packets)
			b->order[b->order_n++] = i;
	qsort_r(b->order, b->order_n, sizeof(*b->order), cmp_order, b->rows.e);
	return 0;
}

/* One pending row: hourly, service peer, daily set; merged into the derived maps. */
static int write_row(struct store_back *b, const struct agg_key *k, const struct agg_val *v)
{
	sqlite3_stmt **st = b->st;
	int64_t ia = (int64_t)v->n1, ib = (int64_t)v->n2;
	int64_t r = 0;
	int rc;

	/* the paper's hourly row */
	sqlite3_bind_int64(st[ST_HOURLY], 1, k->hour);
	sqlite3_bind_int64(st[ST_HOURLY], 2, ia);
	sqlite3_bind_int(st[ST_HOURLY], 3, k->port);
	sqlite3_bind_int64(st[ST_HOURLY], 4, ib);
	sqlite3_bind_int64(st[ST_HOURLY], 5, (int64_t)v->packets);
	if (!step_ok(rc = run(b, st[ST_HOURLY], NULL)))
		return rc;

	/* the service's peer */
	sqlite3_bind_int64(st[ST_SVC_PEER], 1, ia);
	sqlite3_bind_int(st[ST_SVC_PEER], 2, k->port);
	sqlite3_bind_int64(st[ST_SVC_PEER], 3, ib);
	sqlite3_bind_int64(st[ST_SVC_PEER], 4, secs(v->first_ns));
	sqlite3_bind_int64(st[ST_SVC_PEER], 5, secs(v->last_ns));
	sqlite3_bind_int64(st[ST_SVC_PEER], 6, (int64_t)v->packets);
	if (!step_ok(rc = run(b, st[ST_SVC_PEER], &r)))
		return rc;
	bool new_peer = (uint64_t)r == v->packets;
	bool known = v->n3 != 0; /* committed before: its daily set row exists */

	struct agg_key sk = {0};
	sk.family = k->family;
	sk.port = k->port;
	memcpy(sk.a, k->a, 16);
	struct agg_val *sv = agg_map_get(&b->svc, &sk, NULL);
	struct agg_key hk = {0};
	hk.family = k->family;
	memcpy(hk.a, k->a, 16);
	struct agg_val *hv = agg_map_get(&b->host, &hk, NULL);
	struct agg_key dk = sk;
	dk.day = k->day;
	struct agg_val *dv = agg_map_get(&b->dsvc, &dk, NULL);
	struct agg_key pk = {0};
	pk.family = k->family;
	pk.day = k->day;
	memcpy(pk.b, k->b, 16);
	struct agg_val *pv = agg_map_get(&b->dpeer, &pk, NULL);
	if (!sv || !hv || !dv || !pv)
		return SQLITE_NOMEM;
	pv->n3 = (uint64_t)ib;
	if (new_peer)
		sv->n1++;

	/* the service's peer on this day */
	if (!known) {
		sqlite3_bind_int(st[ST_DSP_INSERT], 1, k->day);
		sqlite3_bind_int64(st[ST_DSP_INSERT], 2, ia);
		sqlite3_bind_int64(st[ST_DSP_INSERT], 3, ib);
		sqlite3_bind_int(st[ST_DSP_INSERT], 4, k->port);
		if (!step_ok(rc = run(b, st[ST_DSP_INSERT], NULL)))
			return rc;
		if (sqlite3_changes(b->db) == 1) {
			dv->n1++; /* a new peer of this service today */
			pv->n1++; /* a new service of this peer today */
			sqlite3_bind_int(st[ST_DSP_OTHER_PORT], 1, k->day);
			sqlite3_bind_int64(st[ST_DSP_OTHER_PORT], 2, ia);
			sqlite3_bind_int64(st[ST_DSP_OTHER_PORT], 3, ib);
			sqlite3_bind_int(st[ST_DSP_OTHER_PORT], 4, k->port);
			r = 0;
			if (!step_ok(rc = run(b, st[ST_DSP_OTHER_PORT], &r)))
				return rc;
			if (r == 0)
				pv->n2++; /* a new internal host of this peer today */
		}
	}
	merge_times(sv, v);
	merge_times(hv, v);
	merge_times(dv, v);
	merge_times(pv, v);
	return SQLITE_OK;
}

/* Daily services first: they tell which services have a new day. */
static int write_daily_services(struct store_back *b)
{
	char a[64], day[32];
	for (uint32_t i = 0; i < b->dsvc.n; i++) {
		const struct agg_key *k = &b->dsvc.e[i].k;
		const struct agg_val *v = &b->dsvc.e[i].v;
		sqlite3_stmt *st = b->st[ST_DAILY_SVC];
		int64_t r = 0;
		int rc;
		int la = (int)addr_text(k->family, k->a, a);
		day_text(k->day, day);
		sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a, la, SQLITE_STATIC);
		sqlite3_bind_int(st, 3, k->port);
		sqlite3_bind_int64(st, 4, (int64_t)v->packets);
		sqlite3_bind_int64(st, 5, (int64_t)v->n1);
		if (!step_ok(rc = run(b, st, &r)))
			return rc;
		if ((uint64_t)r == v->packets) {
			struct agg_key sk = *k;
			sk.day = 0;
			struct agg_val *sv = agg_map_get(&b->svc, &sk, NULL);
			if (!sv)
				return SQLITE_NOMEM;
			sv->n2++;
		}
	}
	return SQLITE_OK;
}

static int write_daily_peers(struct store_back *b)
{
	for (uint32_t i = 0; i < b->dpeer.n; i++) {
		const struct agg_key *k = &b->dpeer.e[i].k;
		const struct agg_val *v = &b->dpeer.e[i].v;
		sqlite3_stmt *st = b->st[ST_DAILY_PEER];
		int rc;
		sqlite3_bind_int(st, 1, k->day);
		sqlite3_bind_int64(st, 2, (int64_t)v->n3); /* the peer's id */
		sqlite3_bind_int64(st, 3, (int64_t)v->packets);
		sqlite3_bind_int64(st, 4, (int64_t)v->n1);
		sqlite3_bind_int64(st, 5, (int64_t)v->n2);
		if (!step_ok(rc = run(b, st, NULL)))
			return rc;
	}
	return SQLITE_OK;
}

/* Services; a new one adds a port to its host. */
static int write_services(struct store_back *b)
{
	char a[64];
	for (uint32_t i = 0; i < b->svc.n; i++) {
		const struct agg_key *k = &b->svc.e[i].k;
		const struct agg_val *v = &b->svc.e[i].v;
		sqlite3_stmt *st = b->st[ST_SERVICE];
		int64_t r = 0;
		int rc;
		int la = (int)addr_text(k->family, k->a, a);
		sqlite3_bind_text(st, 1, a, la, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, k->port);
		sqlite3_bind_int64(st, 3, secs(v->first_ns));
		sqlite3_bind_int64(st, 4, secs(v->last_ns));
		sqlite3_bind_int64(st, 5, (int64_t)v->packets);
		sqlite3_bind_int64(st, 6, (int64_t)v->n1);
		sqlite3_bind_int64(st, 7, (int64_t)v->n2);
		if (!step_ok(rc = run(b, st, &r)))
			return rc;
		if ((uint64_t)r == v->packets) {
			struct agg_key hk = *k;
			hk.port = 0;
			struct agg_val *hv = agg_map_get(&b->host, &hk, NULL);
			if (!hv)
				return SQLITE_NOMEM;
			hv->n1++;
		}
	}
	return SQLITE_OK;
}

static int write_hosts(struct store_back *b)
{
	char a[64];
	for (uint32_t i = 0; i < b->host.n; i++) {
		const struct agg_key *k = &b->host.e[i].k;
		const struct agg_val *v = &b->host.e[i].v;
		sqlite3_stmt *st = b->st[ST_HOST];
		int rc;
		int la = (int)addr_text(k->family, k->a, a);
		sqlite3_bind_text(st, 1, a, la, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, secs(v->first_ns));
		sqlite3_bind_int64(st, 3, secs(v->last_ns));
		sqlite3_bind_int64(st, 4, (int64_t)v->n1);
		sqlite3_bind_int64(st, 5, (int64_t)v->packets);
		if (!step_ok(rc = run(b, st, NULL)))
			return rc;
	}
	return SQLITE_OK;
}

static int write_ftp(struct store_back *b, const struct agg_key *k, const struct agg_val *v)
{
	sqlite3_stmt *st = b->st[ST_FTP];
	char day[32];
	day_text(k->day, day);
	sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, k->kind == SYNACK_FTP_ACTIVE ? "active" : "passive", -1,
	                  SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (int64_t)v->packets);
	return run(b, st, NULL);
}

/* One transaction: the first cap rows in key order (0 = all). */
static int do_commit(struct store_back *b, uint32_t cap)
{
	int rc = sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	agg_map_clear(&b->svc);
	agg_map_clear(&b->host);
	agg_map_clear(&b->dsvc);
	agg_map_clear(&b->dpeer);

	if ((rc = resolve_ids(b)) != SQLITE_OK)
		goto fail;
	if (sort_rows(b) != 0) {
		rc = SQLITE_NOMEM;
		goto fail;
	}
	uint32_t lim = b->order_n;
	if (cap) {
		uint32_t chunk = cap > lim / 8 ? cap : lim / 8;
		if (lim > chunk)
			lim = chunk; /* FTP rows (hour 0) sort first: always included */
	}
	b->done_n = lim;
	for (uint32_t oi = 0; oi < lim; oi++) {
		const struct agg_entry *e = &b->rows.e[b->order[oi]];
		rc = e->k.family ? write_row(b, &e->k, &e->v) : write_ftp(b, &e->k, &e->v);
		if (!step_ok(rc) && rc != SQLITE_OK)
			goto fail;
	}
	if ((rc = write_daily_services(b)) != SQLITE_OK ||
	    (rc = write_daily_peers(b)) != SQLITE_OK || (rc = write_services(b)) != SQLITE_OK ||
	    (rc = write_hosts(b)) != SQLITE_OK)
		goto fail;
	rc = sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	return SQLITE_OK;
fail:
	if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		set_err(b, "commit");
	sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	agg_map_clear(&b->addr_ids); /* ids inserted by this transaction are gone */
	return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/* After a commit: keep the written rows as known keys (counters zeroed) so
 * the next commit skips the daily-set insert for them, unless the map is
 * filling up: then start afresh.  The cache stays within max_pending. */
static void keep_known(struct store_back *b)
{
	for (uint32_t oi = 0; oi < b->done_n; oi++) {
		struct agg_val *v = &b->rows.e[b->order[oi]].v;
		b->active_records -= v->packets;
		v->packets = 0;
		v->first_ns = v->last_ns = 0;
		v->n3 = 1;
	}
	b->active -= b->done_n;
	b->done_n = 0;
	if (b->active == 0) {
		b->active_records = 0;
		if ((uint64_t)b->rows.n * 4 >= (uint64_t)b->max_pending * 3)
			agg_map_clear(&b->rows);
	}
}

static int commit_rows(struct store_back *b, uint32_t cap)
{
	if (b->active == 0) {
		if ((uint64_t)b->rows.n * 4 >= (uint64_t)b->max_pending * 3)
			agg_map_clear(&b->rows); /* only known rows: drop the cache */
		return SQLITE_OK;
	}
	int rc = do_commit(b, cap);
	if (rc == SQLITE_OK) {
		b->commits++;
		keep_known(b);
	} else if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		b->busy++;
		snprintf(b->err, sizeof(b->err), "%s: database is locked; commit deferred",
		         b->path);
	} else {
		b->errors++;
	}
	return rc;
}

/* The memory bound: write everything, waiting longer for a lock; if the
 * database still cannot take the rows, drop them (counted) to stay bounded. */
static int commit_full(struct store_back *b)
{
	int rc = commit_rows(b, 0);
	if (rc == SQLITE_OK)
		return rc;
	sqlite3_busy_timeout(b->db, 100 * b->busy_timeout_ms); /* 2 s by default */
	rc = commit_rows(b, 0);
	sqlite3_busy_timeout(b->db, b->busy_timeout_ms);
	if (rc == SQLITE_OK)
		return rc;
	b->dropped += b->active_records;
	agg_map_clear(&b->rows);
	b->active = 0;
	b->active_records = 0;
	return rc;
}

/*
 * Retention: delete the time-bound rows older than a cutoff.  The inventory
 * (services, hosts) is history and stays; the hourly rows, the daily
 * roll-ups, the per-peer rows of services last seen before the cutoff and
 * the FTP counts go.  Text days compare as 'YYYY-MM-DD', integer days as
 * day numbers; both against the cutoff's UTC date.  Addresses stay.
 */
static int prune(struct store_back *b, uint64_t cutoff, uint64_t *deleted)
{
	static const char *const sql[] = {
	    "DELETE FROM hourly_ids WHERE hour < ?1",
	    "DELETE FROM daily_services WHERE day < date(?1, 'unixepoch')",
	    "DELETE FROM daily_peer_ids WHERE day < ?1 / 86400",
	    "DELETE FROM daily_service_peer_ids WHERE day < ?1 / 86400",
	    "DELETE FROM ftp_data WHERE day < date(?1, 'unixepoch')",
	    "DELETE FROM service_peer_ids WHERE last_seen < ?1",
	};
	int rc = sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	*deleted = 0;
	if (rc != SQLITE_OK) {
		set_err(b, "prune");
		return rc;
	}
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == SQLITE_OK; i++) {
		sqlite3_stmt *st = NULL;
		rc = sqlite3_prepare_v2(b->db, sql[i], -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(st, 1, (sqlite3_int64)cutoff);
			rc = sqlite3_step(st);
			if (rc == SQLITE_DONE) {
				rc = SQLITE_OK;
				*deleted += (uint64_t)sqlite3_changes(b->db);
			}
		}
		if (rc != SQLITE_OK)
			set_err(b, "prune");
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(b->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void store_back_run(struct store_back *b, const struct store_job *job, struct store_result *res)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	memset(res, 0, sizeof(*res));
	res->rc = SQLITE_OK;
	if (job->in && merge_in(b, job->in) != 0) {
		snprintf(b->err, sizeof(b->err), "%s: out of memory", b->path);
		res->rc = SQLITE_NOMEM;
	}
	switch (job->kind) {
	case JOB_COMMIT:
		if (res->rc == SQLITE_OK)
			res->rc = commit_rows(b, job->cap);
		else
			commit_rows(b, job->cap);
		break;
	case JOB_FULL:
		if (res->rc == SQLITE_OK)
			res->rc = commit_full(b);
		else
			commit_full(b);
		break;
	case JOB_PRUNE:
		res->rc = prune(b, job->cutoff, &res->deleted);
		break;
	case JOB_STOP:
		break;
	}
	res->retained_rows = b->active;
	res->retained_records = b->active_records;
	res->took_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	b->cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (job->kind == JOB_COMMIT || job->kind == JOB_FULL)
		b->commit_ns += res->took_ns;
}
