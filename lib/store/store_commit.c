/*
 * store_commit.c - the back half of the store: jobs, transactions and
 * address ids (doc/schema.md, "Writing").
 *
 * A job hands over a frozen map of rows.  They are merged into the rows the
 * back half keeps (what a failed or capped commit left, and the known keys
 * of earlier commits); their addresses become ids (an in-memory cache, else
 * addrs); they are sorted in the key order of hourly_ids and written in one
 * transaction by store_rows.c.  After a commit the written rows stay as
 * known keys with their counters zeroed: the next commit knows that their
 * rows exist.  A failed commit keeps every row; SQLITE_BUSY defers it.
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

/* Statements of one row; ST_*_MANY are built from the shapes below. */
static const char *const stmt_sql[ST_COUNT] = {
    [ST_PEER_INSERT] = "INSERT OR IGNORE INTO service_peer_ids(addr_id, port, peer_id, "
                       "first_seen, last_seen, packets) VALUES(?1,?2,?3,?4,?5,?6)",
    [ST_PEER_ADD] = "UPDATE service_peer_ids SET first_seen = min(first_seen, ?4), "
                    "last_seen = max(last_seen, ?5), packets = packets + ?6 "
                    "WHERE addr_id = ?1 AND port = ?2 AND peer_id = ?3",
    [ST_DSP_OTHER_PORT] = "SELECT 1 FROM daily_service_peer_ids WHERE day = ?1 AND addr_id = ?2 "
                          "AND peer_id = ?3 AND port <> ?4 LIMIT 1",
    [ST_DAILY_SVC] = "INSERT INTO daily_services(day, addr, port, packets, peers) "
                     "VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET "
                     "packets = packets + excluded.packets, peers = peers + excluded.peers "
                     "RETURNING packets",
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
    [ST_ADDR_GET] = "SELECT id, last_day FROM addrs WHERE addr = ?1",
    [ST_ADDR_PUT] = "INSERT INTO addrs(addr, last_day) VALUES(?1, ?2)",
    [ST_ADDR_SEEN] = "UPDATE addrs SET last_day = ?2 WHERE id = ?1",
    [ST_ADDR_MAX] = "SELECT coalesce(max(id), 0) FROM addrs",
};

/* The statements written in batches: one row (one) and STORE_BATCH rows
 * (many) of the same text, head + tuple x N + tail. */
static const struct batch_shape {
	int one, many;
	const char *head, *tuple, *tail;
} shapes[] = {
    {ST_HOURLY, ST_HOURLY_MANY,
     "INSERT INTO hourly_ids(hour, saddr_id, sport, daddr_id, packets) VALUES", "(?,?,?,?,?)",
     " ON CONFLICT DO UPDATE SET packets = packets + excluded.packets"},
    {ST_PEER, ST_PEER_MANY,
     "INSERT INTO service_peer_ids(addr_id, port, peer_id, first_seen, last_seen, packets) "
     "VALUES",
     "(?,?,?,?,?,?)",
     " ON CONFLICT DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), "
     "last_seen = max(last_seen, excluded.last_seen), packets = packets + excluded.packets"},
    {ST_DAILY_PEER, ST_DAILY_PEER_MANY,
     "INSERT INTO daily_peer_ids(day, peer_id, packets, services, hosts) VALUES", "(?,?,?,?,?)",
     " ON CONFLICT DO UPDATE SET packets = packets + excluded.packets, "
     "services = services + excluded.services, hosts = hosts + excluded.hosts"},
    {ST_DSP_INSERT, ST_DSP_MANY,
     "INSERT OR IGNORE INTO daily_service_peer_ids(day, addr_id, peer_id, port) VALUES",
     "(?,?,?,?)", ""},
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
		/* the -wal file stays (persistent WAL): leave it empty */
		sqlite3_exec(b->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
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
	free(b->items);
	free(b->items_tmp);
	b->order = NULL;
	b->items = b->items_tmp = NULL;
}

static void set_err(struct store_back *b, const char *what)
{
	snprintf(b->err, sizeof(b->err), "%s: %s: %s", b->path, what, sqlite3_errmsg(b->db));
}

static int prepare(struct store_back *b, int i, const char *sql)
{
	if (sqlite3_prepare_v3(b->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &b->st[i], NULL) ==
	    SQLITE_OK)
		return 0;
	set_err(b, "preparing statements");
	return -1;
}

/* head + tuple x rows + tail into out (large enough) */
static void shape_sql(const struct batch_shape *sh, int rows, char *out)
{
	char *p = out + sprintf(out, "%s", sh->head);
	for (int r = 0; r < rows; r++)
		p += sprintf(p, "%s%s", r ? "," : "", sh->tuple);
	sprintf(p, "%s", sh->tail);
}

int store_back_prepare(struct store_back *b)
{
	char sql[8192];
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		shape_sql(&shapes[i], 1, sql);
		if (prepare(b, shapes[i].one, sql) != 0)
			return -1;
		shape_sql(&shapes[i], STORE_BATCH, sql);
		if (prepare(b, shapes[i].many, sql) != 0)
			return -1;
	}
	for (int i = 0; i < ST_COUNT; i++)
		if (stmt_sql[i] && prepare(b, i, stmt_sql[i]) != 0)
			return -1;
	return 0;
}

/* Canonical text of an address; fast path for IPv4. */
size_t store_addr_text(uint8_t family, const uint8_t *a, char *out)
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

/* Runs a bound statement; returns the sqlite result code (ROW/DONE ok).
 * *ret receives column 0 of the first row when ret != NULL. */
int store_run(struct store_back *b, sqlite3_stmt *st, int64_t *ret)
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

/* Looks up an address's id and last_day; *id stays 0 when it is new. */
static int addr_get(struct store_back *b, const char *text, int len, int64_t *id, int64_t *last_day)
{
	sqlite3_stmt *st = b->st[ST_ADDR_GET];
	sqlite3_bind_text(st, 1, text, len, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*last_day = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	b->statements++;
	return rc;
}

/* Raises an address's last_day to day (a UTC day number). */
static int addr_seen(struct store_back *b, int64_t id, int64_t day)
{
	sqlite3_bind_int64(b->st[ST_ADDR_SEEN], 1, id);
	sqlite3_bind_int64(b->st[ST_ADDR_SEEN], 2, day);
	return store_run(b, b->st[ST_ADDR_SEEN], NULL);
}

/*
 * The id of an address in addrs, for a row of the UTC day day: from the
 * cache (n1 the id, n2 its last_day), else looked up, else inserted; its
 * last_day is raised to day when day is ADDR_DAY_STEP days past it, so
 * retention knows it is in use.  Inside the commit's transaction: a failed
 * commit empties the cache, since what it wrote is rolled back.
 */
static int addr_id(struct store_back *b, uint8_t family, const uint8_t *a, int64_t day, int64_t *id)
{
	struct agg_key k;
	int is_new, rc = SQLITE_OK;
	memset(&k, 0, sizeof(k));
	k.family = family;
	memcpy(k.a, a, 16);
	struct agg_val *v = agg_map_get(&b->addr_ids, &k, &is_new);
	if (!v)
		return SQLITE_NOMEM;
	if (is_new) {
		char text[64];
		int len = (int)store_addr_text(family, a, text);
		int64_t found = 0, last_day = 0;
		if (!store_step_ok(rc = addr_get(b, text, len, &found, &last_day)))
			return rc;
		if (!found) {
			sqlite3_bind_text(b->st[ST_ADDR_PUT], 1, text, len, SQLITE_STATIC);
			sqlite3_bind_int64(b->st[ST_ADDR_PUT], 2, day);
			if (!store_step_ok(rc = store_run(b, b->st[ST_ADDR_PUT], NULL)))
				return rc;
			found = sqlite3_last_insert_rowid(b->db);
			last_day = day;
		}
		v->n1 = (uint64_t)found;
		v->n2 = (uint64_t)last_day;
	}
	if ((int64_t)v->n2 + ADDR_DAY_STEP <= day) {
		if (!store_step_ok(rc = addr_seen(b, (int64_t)v->n1, day)))
			return rc;
		v->n2 = (uint64_t)day;
	}
	*id = (int64_t)v->n1;
	return SQLITE_OK;
}

/* Ids of both addresses of every active row, kept in n1 (internal) and n2
 * (external) for the sorts and the statements; a known key has them. */
static int resolve_ids(struct store_back *b)
{
	int64_t max_id = 0;
	int rc;
	if (b->addr_ids.n >= b->max_pending)
		agg_map_clear(&b->addr_ids);
	if (!store_step_ok(rc = store_run(b, b->st[ST_ADDR_MAX], &max_id)))
		return rc;
	/* a new id is above every id in use: retention deletes an address
	 * only when no row holds its id */
	b->first_new_id = max_id + 1;
	for (uint32_t i = 0; i < b->rows.n; i++) {
		struct agg_entry *e = &b->rows.e[i];
		int64_t ia, ib;
		if (!e->v.packets || !e->k.family || (e->v.n3 & ROW_KNOWN))
			continue; /* nothing to write, FTP, or ids kept from its commit */
		int64_t day = e->k.hour / 86400;
		if ((rc = addr_id(b, e->k.family, e->k.a, day, &ia)) != SQLITE_OK ||
		    (rc = addr_id(b, e->k.family, e->k.b, day, &ib)) != SQLITE_OK)
			return rc;
		e->v.n1 = (uint64_t)ia;
		e->v.n2 = (uint64_t)ib;
	}
	return SQLITE_OK;
}

/* Merge the handed-over rows into the kept ones.  A known key (packets 0,
 * n3 ROW_KNOWN: its rows exist) becomes active again and stays known. */
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
		if (is_new) {
			*v = e->v;
			v->n3 = 0;
			b->active++;
		} else if (v->packets == 0) {
			/* a known key keeps its flag and its address ids (n1, n2:
			 * committed, so they stay valid) */
			v->packets = e->v.packets;
			v->first_ns = e->v.first_ns;
			v->last_ns = e->v.last_ns;
			b->active++;
		} else {
			agg_val_merge_times(v, &e->v);
		}
		b->active_records += e->v.packets;
	}
	agg_map_clear(in);
	return ret;
}

/* The hourly_ids order: UTC hour (and, for a zone whose days split an
 * hour, the local day), internal id, port, external id.  FTP rows first. */
static void hourly_item(struct key_item *it, const struct agg_entry *e, uint32_t row)
{
	if (!e->k.family) {
		it->k[0] = 0;
		it->k[1] = (uint32_t)e->k.day;
		it->k[2] = e->k.kind;
	} else {
		int64_t day_delta = e->k.day - e->k.hour / 86400 + 1; /* 0, 1 or 2 */
		it->k[0] = (uint64_t)(e->k.hour / 3600 + 1) << 2 | ((uint64_t)day_delta & 3);
		it->k[1] = e->v.n1;
		it->k[2] = (uint64_t)e->k.port << 48 | e->v.n2;
	}
	it->row = row;
}

/* Room for a packed key per row. */
static int reserve(struct store_back *b)
{
	if (b->order_cap >= b->rows.n)
		return 0;
	size_t n = b->rows.n;
	uint32_t *o = realloc(b->order, n * sizeof(*o));
	if (!o)
		return -1;
	b->order = o;
	struct key_item *it = realloc(b->items, n * sizeof(*it));
	if (!it)
		return -1;
	b->items = it;
	it = realloc(b->items_tmp, n * sizeof(*it));
	if (!it)
		return -1;
	b->items_tmp = it;
	b->order_cap = b->rows.n;
	return 0;
}

/* The active rows in hourly_ids order (ids resolved before): the writes
 * then walk the B-tree forwards, which keeps the pages they touch hot. */
static int sort_rows(struct store_back *b)
{
	if (reserve(b) != 0)
		return -1;
	uint32_t n = 0;
	for (uint32_t i = 0; i < b->rows.n; i++)
		if (b->rows.e[i].v.packets)
			hourly_item(&b->items[n++], &b->rows.e[i], i);
	key_sort(b->items, b->items_tmp, n);
	for (uint32_t i = 0; i < n; i++)
		b->order[i] = b->items[i].row;
	b->order_n = n;
	return 0;
}

/* One transaction: the first cap rows in key order (0 = all). */
static int do_commit(struct store_back *b, uint32_t cap)
{
	int rc = sqlite3_exec(b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
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
	if ((rc = store_rows_write(b, lim)) != SQLITE_OK)
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
 * the next commit updates their rows without asking whether they exist and
 * skips their daily-set row, unless the map is filling up: then start
 * afresh.  The cache stays within max_pending. */
static void keep_known(struct store_back *b)
{
	for (uint32_t oi = 0; oi < b->done_n; oi++) {
		struct agg_val *v = &b->rows.e[b->order[oi]].v;
		b->active_records -= v->packets;
		b->stored_records += v->packets;
		v->packets = 0;
		v->first_ns = v->last_ns = 0;
		v->n3 = ROW_KNOWN;
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

/* After a prune the rows of known keys may be gone: forget them. */
static void forget_known(struct store_back *b)
{
	if (b->active == 0) {
		agg_map_clear(&b->rows);
		return;
	}
	for (uint32_t i = 0; i < b->rows.n; i++)
		b->rows.e[i].v.n3 = 0;
}

/*
 * Retention: delete the time-bound rows older than a cutoff.  The inventory
 * (services, hosts) is history and stays; the hourly rows, the daily
 * roll-ups, the per-peer rows of services last seen before the cutoff and
 * the FTP counts go.  Text days compare as 'YYYY-MM-DD', integer days as
 * day numbers; both against the cutoff's UTC date.
 *
 * Then the addresses that no row uses any more: those whose last_day is
 * more than ADDR_DAY_STEP days before the cutoff's day.  A row left has its
 * hour, its last_seen or its day on or after the cutoff's day, a local day
 * at most one day off the UTC day of its records; so each of its addresses
 * was used on the cutoff's day or the day before, and its last_day is at
 * most ADDR_DAY_STEP - 1 days before that.
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
	    "DELETE FROM addrs WHERE last_day < ?1 / 86400 - ?2",
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
			if (sqlite3_bind_parameter_count(st) == 2)
				sqlite3_bind_int64(st, 2, ADDR_DAY_STEP);
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
	forget_known(b);
	agg_map_clear(&b->addr_ids); /* ids of deleted addresses may come back */
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
	uint64_t stored0 = b->stored_records, dropped0 = b->dropped;
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
	res->stored_records = b->stored_records - stored0;
	res->dropped_records = b->dropped - dropped0;
	res->took_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	b->cpu_ns += clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (job->kind == JOB_COMMIT || job->kind == JOB_FULL)
		b->commit_ns += res->took_ns;
}
