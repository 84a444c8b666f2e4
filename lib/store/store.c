/*
 * store.c - the SQLite database (doc/schema.md).
 *
 * store_add() only aggregates: one in-memory row per (UTC hour, local day,
 * internal address, port, external address), plus one per (day, FTP mode).
 * A commit turns the pending rows into UPSERTs in one transaction; the
 * derived tables (services, hosts, daily roll-ups) are aggregated again in
 * memory first so each of their rows is written once per commit.  Whether a
 * row is new (a new peer of a service, a new day, a new port of a host) is
 * learned from the database itself: an UPSERT ... RETURNING packets gives
 * back exactly the batch's packets only when the row did not exist before.
 */
#include "store/store.h"

#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/agg_map.h"

enum {
	ST_HOURLY,
	ST_SVC_PEER,
	ST_DSP_INSERT,
	ST_DSP_OTHER_PORT,
	ST_DAILY_SVC,
	ST_DAILY_PEER,
	ST_SERVICE,
	ST_HOST,
	ST_FTP,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_HOURLY] = "INSERT INTO hourly(hour, saddr, sport, daddr, packets) VALUES(?1,?2,?3,?4,?5) "
                  "ON CONFLICT DO UPDATE SET packets = packets + excluded.packets",
    [ST_SVC_PEER] = "INSERT INTO service_peers(addr, port, peer, first_seen, last_seen, packets) "
                    "VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT DO UPDATE SET "
                    "first_seen = min(first_seen, excluded.first_seen), "
                    "last_seen = max(last_seen, excluded.last_seen), "
                    "packets = packets + excluded.packets RETURNING packets",
    [ST_DSP_INSERT] = "INSERT OR IGNORE INTO daily_service_peers(day, addr, peer, port) "
                      "VALUES(?1,?2,?3,?4)",
    [ST_DSP_OTHER_PORT] = "SELECT 1 FROM daily_service_peers WHERE day = ?1 AND addr = ?2 "
                          "AND peer = ?3 AND port <> ?4 LIMIT 1",
    [ST_DAILY_SVC] = "INSERT INTO daily_services(day, addr, port, packets, peers) "
                     "VALUES(?1,?2,?3,?4,?5) ON CONFLICT DO UPDATE SET "
                     "packets = packets + excluded.packets, peers = peers + excluded.peers "
                     "RETURNING packets",
    [ST_DAILY_PEER] = "INSERT INTO daily_peers(day, peer, packets, services, hosts) "
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
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS hourly(\n"
    "  hour INTEGER NOT NULL,\n"
    "  saddr TEXT NOT NULL,\n"
    "  sport INTEGER NOT NULL,\n"
    "  daddr TEXT NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  PRIMARY KEY(hour, saddr, sport, daddr)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS services(\n"
    "  addr TEXT NOT NULL,\n"
    "  port INTEGER NOT NULL,\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  peers INTEGER NOT NULL,\n"
    "  days_seen INTEGER NOT NULL,\n"
    "  PRIMARY KEY(addr, port)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS service_peers(\n"
    "  addr TEXT NOT NULL,\n"
    "  port INTEGER NOT NULL,\n"
    "  peer TEXT NOT NULL,\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  PRIMARY KEY(addr, port, peer)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS daily_service_peers(\n"
    "  day TEXT NOT NULL,\n"
    "  addr TEXT NOT NULL,\n"
    "  peer TEXT NOT NULL,\n"
    "  port INTEGER NOT NULL,\n"
    "  PRIMARY KEY(day, addr, peer, port)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS daily_services(\n"
    "  day TEXT NOT NULL,\n"
    "  addr TEXT NOT NULL,\n"
    "  port INTEGER NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  peers INTEGER NOT NULL,\n"
    "  PRIMARY KEY(day, addr, port)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS daily_peers(\n"
    "  day TEXT NOT NULL,\n"
    "  peer TEXT NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  services INTEGER NOT NULL,\n"
    "  hosts INTEGER NOT NULL,\n"
    "  PRIMARY KEY(day, peer)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS hosts(\n"
    "  addr TEXT NOT NULL PRIMARY KEY,\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL,\n"
    "  ports INTEGER NOT NULL,\n"
    "  packets INTEGER NOT NULL) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS ftp_data(\n"
    "  day TEXT NOT NULL,\n"
    "  mode TEXT NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  PRIMARY KEY(day, mode)) WITHOUT ROWID;\n"
    "CREATE VIEW IF NOT EXISTS paper AS\n"
    "  SELECT date(hour, 'unixepoch') AS date,\n"
    "         CAST(strftime('%H', hour, 'unixepoch') AS INTEGER) AS hour,\n"
    "         saddr, sport, daddr, NULL AS dport, packets\n"
    "  FROM hourly;\n"
    "CREATE VIEW IF NOT EXISTS services_iso AS\n"
    "  SELECT addr, port,\n"
    "         strftime('%Y-%m-%dT%H:%M:%SZ', first_seen, 'unixepoch') AS first_seen,\n"
    "         strftime('%Y-%m-%dT%H:%M:%SZ', last_seen, 'unixepoch') AS last_seen,\n"
    "         packets, peers, days_seen\n"
    "  FROM services;\n"
    "CREATE VIEW IF NOT EXISTS service_peers_iso AS\n"
    "  SELECT addr, port, peer,\n"
    "         strftime('%Y-%m-%dT%H:%M:%SZ', first_seen, 'unixepoch') AS first_seen,\n"
    "         strftime('%Y-%m-%dT%H:%M:%SZ', last_seen, 'unixepoch') AS last_seen,\n"
    "         packets\n"
    "  FROM service_peers;\n"
    "CREATE VIEW IF NOT EXISTS hosts_iso AS\n"
    "  SELECT addr,\n"
    "         strftime('%Y-%m-%dT%H:%M:%SZ', first_seen, 'unixepoch') AS first_seen,\n"
    "         strftime('%Y-%m-%dT%H:%M:%SZ', last_seen, 'unixepoch') AS last_seen,\n"
    "         ports, packets\n"
    "  FROM hosts;\n"
    "CREATE VIEW IF NOT EXISTS hourly_iso AS\n"
    "  SELECT strftime('%Y-%m-%dT%H:%M:%SZ', hour, 'unixepoch') AS hour,\n"
    "         saddr, sport, daddr, packets\n"
    "  FROM hourly;\n";

struct store {
	sqlite3 *db;
	char path[4096];
	struct store_options opt;
	char err[4608];
	sqlite3_stmt *st[ST_COUNT];
	bool utc;
	char tz[128];

	struct agg_map pending;
	uint64_t pending_records;
	uint32_t active; /* pending rows with packets (the others are known rows kept
	                    as a cache: their database rows exist) */
	uint32_t order_n;
	uint32_t commit_limit; /* rows for this commit, 0 = all */
	uint32_t done_n;       /* rows of order[] written by the last commit */
	bool more;             /* a capped commit left rows: continue soon */
	uint64_t records_since_commit;
	uint64_t last_commit_ns;
	uint64_t retry_at_ns; /* after SQLITE_BUSY: next attempt, 0 = none */
	uint64_t min_gap_ns;  /* 3 x the duration of the last commit (duty cycle) */

	uint32_t *order; /* pending rows in key order (commit) */
	uint32_t order_cap;

	/* scratch maps for a commit */
	struct agg_map svc, host, dsvc, dpeer;

	/* day cache (15-minute slots) */
	int64_t day_slot;
	int32_t day_val;

	struct store_stats stats;
};

void store_options_default(struct store_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->flush_interval_ns = 1000000000ull;
	opt->batch_records = 1000000;
	opt->max_pending = (size_t)1 << 20;
	opt->timezone = NULL;
	opt->busy_timeout_ms = 20;
	opt->max_commit_rows = 16384;
}

const char *store_error(const struct store *s)
{
	return s ? s->err : "no store";
}

static void set_err(struct store *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s: %s", s->path, what,
	         s->db ? sqlite3_errmsg(s->db) : "cannot open");
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

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int32_t local_day(struct store *s, int64_t t)
{
	if (s->utc)
		return (int32_t)floor_div(t, 86400);
	int64_t slot = floor_div(t, 900);
	if (slot == s->day_slot)
		return s->day_val;
	time_t tt = (time_t)t;
	struct tm tm;
	localtime_r(&tt, &tm);
	int64_t local = t + tm.tm_gmtoff;
	s->day_slot = slot;
	s->day_val = (int32_t)floor_div(local, 86400);
	return s->day_val;
}

/* Canonical text of an address; fast path for IPv4. */
static size_t addr_text(uint8_t family, const uint8_t *a, char *out)
{
	if (family == SYNACK_FAMILY_IPV4) {
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

static int exec_sql(struct store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(s->err, sizeof(s->err), "%s: %s", s->path, msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int meta_get(struct store *s, const char *key, char *out, size_t outlen)
{
	sqlite3_stmt *st;
	int found = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		snprintf(out, outlen, "%s", v ? (const char *)v : "");
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

static int meta_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)", -1,
	                       &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int init_schema(struct store *s)
{
	char buf[128];
	int rc;

	if (exec_sql(s, "BEGIN IMMEDIATE") != 0)
		return -1;
	if (exec_sql(
	        s, "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)") !=
	    0)
		goto fail;
	rc = meta_get(s, "schema_version", buf, sizeof(buf));
	if (rc < 0) {
		set_err(s, "reading meta");
		goto fail;
	}
	if (rc == 1) {
		long v = strtol(buf, NULL, 10);
		if (v > STORE_SCHEMA_VERSION) {
			snprintf(
			    s->err, sizeof(s->err),
			    "%s: database schema version %ld is newer than this synack supports "
			    "(%d); upgrade synack or rebuild the database from the logs",
			    s->path, v, STORE_SCHEMA_VERSION);
			goto fail;
		}
		if (v < 1) {
			snprintf(s->err, sizeof(s->err), "%s: bad schema_version '%s' in meta",
			         s->path, buf);
			goto fail;
		}
		/* v == 1: current.  Future migrations go here, one version at a time. */
		if (meta_get(s, "timezone", buf, sizeof(buf)) == 1 && strcmp(buf, s->tz) != 0) {
			snprintf(s->err, sizeof(s->err),
			         "%s: database days are in time zone '%s' but '%s' is configured; "
			         "configure '%s' or rebuild the database (synackctl rebuild)",
			         s->path, buf, s->tz, buf);
			goto fail;
		}
	}
	if (exec_sql(s, schema_sql) != 0)
		goto fail;
	if (rc == 0) {
		char now[32], sensor[16], ver[16];
		time_t t = time(NULL);
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(sensor, sizeof(sensor), "%u", s->opt.sensor_id);
		snprintf(ver, sizeof(ver), "%d", STORE_SCHEMA_VERSION);
		if (meta_set(s, "schema_version", ver) || meta_set(s, "created", now) ||
		    meta_set(s, "sensor_id", sensor) || meta_set(s, "timezone", s->tz) ||
		    meta_set(s, "dport",
		             "NULL in hourly/paper: the external port is in the logs")) {
			set_err(s, "writing meta");
			goto fail;
		}
	}
	if (exec_sql(s, "COMMIT") != 0)
		goto fail;
	return 0;
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

struct store *store_open(const char *db_path, const struct store_options *opt, char *err,
                         size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opt)
		s->opt = *opt;
	else
		store_options_default(&s->opt);
	if (!s->opt.max_pending)
		s->opt.max_pending = 1;
	if (!s->opt.batch_records)
		s->opt.batch_records = 100000;
	snprintf(s->path, sizeof(s->path), "%s", db_path);
	const char *tz = s->opt.timezone;
	if (!tz || !*tz || strcmp(tz, "UTC") == 0 || strcmp(tz, "Etc/UTC") == 0) {
		s->utc = true;
		snprintf(s->tz, sizeof(s->tz), "UTC");
	} else {
		/* localtime_r follows TZ: set it once, before the writer runs. */
		snprintf(s->tz, sizeof(s->tz), "%s", tz);
		setenv("TZ", tz, 1);
		tzset();
	}
	s->day_slot = INT64_MIN;
	agg_map_init(&s->pending);
	agg_map_init(&s->svc);
	agg_map_init(&s->host);
	agg_map_init(&s->dsvc);
	agg_map_init(&s->dpeer);

	/* a symbolic link planted in the data directory is never followed */
	struct stat lst;
	if (lstat(db_path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		snprintf(s->err, sizeof(s->err), "%s: is a symbolic link; not followed", s->path);
		goto fail;
	}
	if (sqlite3_open_v2(db_path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		set_err(s, "cannot open database");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000); /* opening: wait for a concurrent writer */
	if (exec_sql(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	                "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-131072; "
	                "PRAGMA wal_autocheckpoint=16384") != 0)
		goto fail;
	if (init_schema(s) != 0)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
		                       NULL) != SQLITE_OK) {
			set_err(s, "preparing statements");
			goto fail;
		}
	}
	sqlite3_busy_timeout(s->db, s->opt.busy_timeout_ms);
	return s;
fail:
	snprintf(err, errlen, "%s", s->err);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	agg_map_free(&s->pending);
	free(s);
	return NULL;
}

void store_get_stats(const struct store *s, struct store_stats *st)
{
	*st = s->stats;
	st->pending_rows = s->active;
	st->pending_records = s->pending_records;
}

/* --- commit ---------------------------------------------------------- */

static inline bool STEP_OK(int rc)
{
	return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

/* Runs a bound statement; returns the sqlite result code (ROW/DONE ok).
 * *ret receives column 0 of the first row when ret != NULL. */
static int run(struct store *s, sqlite3_stmt *st, int64_t *ret)
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
	s->stats.statements++;
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

static const struct agg_entry *sort_base;

/* B-tree order of the keys: hour, then internal address, port, external. */
static int cmp_order(const void *x, const void *y)
{
	const struct agg_key *a = &sort_base[*(const uint32_t *)x].k;
	const struct agg_key *b = &sort_base[*(const uint32_t *)y].k;
	if (a->hour != b->hour)
		return a->hour < b->hour ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->a, b->a, 16);
	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return memcmp(a->b, b->b, 16);
}

/* Visit the pending rows in key order: the UPSERTs then walk each B-tree
 * mostly forwards, which keeps the pages they touch hot. */
static int sort_pending(struct store *s)
{
	if (s->order_cap < s->pending.n) {
		uint32_t *o = realloc(s->order, (size_t)s->pending.n * sizeof(*o));
		if (!o)
			return -1;
		s->order = o;
		s->order_cap = s->pending.n;
	}
	s->order_n = 0;
	for (uint32_t i = 0; i < s->pending.n; i++)
		if (s->pending.e[i].v.packets)
			s->order[s->order_n++] = i;
	sort_base = s->pending.e;
	qsort(s->order, s->order_n, sizeof(*s->order), cmp_order);
	return 0;
}

static int do_commit(struct store *s)
{
	int rc = SQLITE_OK;
	char a[64], b[64], day[32];
	sqlite3_stmt **st = s->st;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	agg_map_clear(&s->svc);
	agg_map_clear(&s->host);
	agg_map_clear(&s->dsvc);
	agg_map_clear(&s->dpeer);

	if (sort_pending(s) != 0)
		return SQLITE_NOMEM;
	uint32_t lim = s->order_n;
	if (s->commit_limit) {
		uint32_t chunk = s->commit_limit > lim / 8 ? s->commit_limit : lim / 8;
		if (lim > chunk)
			lim = chunk; /* FTP rows (hour 0) sort first: always included */
	}
	s->done_n = lim;
	for (uint32_t oi = 0; oi < lim; oi++) {
		uint32_t i = s->order[oi];
		const struct agg_key *k = &s->pending.e[i].k;
		const struct agg_val *v = &s->pending.e[i].v;
		int64_t r = 0;
		int is_new;

		if (k->family == 0)
			continue; /* FTP data, below */
		int la = (int)addr_text(k->family, k->a, a);
		int lb = (int)addr_text(k->family, k->b, b);
		day_text(k->day, day);

		/* the paper's hourly row */
		sqlite3_bind_int64(st[ST_HOURLY], 1, k->hour);
		sqlite3_bind_text(st[ST_HOURLY], 2, a, la, SQLITE_STATIC);
		sqlite3_bind_int(st[ST_HOURLY], 3, k->port);
		sqlite3_bind_text(st[ST_HOURLY], 4, b, lb, SQLITE_STATIC);
		sqlite3_bind_int64(st[ST_HOURLY], 5, (int64_t)v->packets);
		if (!STEP_OK(rc = run(s, st[ST_HOURLY], NULL)))
			goto fail;

		/* the service's peer */
		sqlite3_bind_text(st[ST_SVC_PEER], 1, a, la, SQLITE_STATIC);
		sqlite3_bind_int(st[ST_SVC_PEER], 2, k->port);
		sqlite3_bind_text(st[ST_SVC_PEER], 3, b, lb, SQLITE_STATIC);
		sqlite3_bind_int64(st[ST_SVC_PEER], 4, secs(v->first_ns));
		sqlite3_bind_int64(st[ST_SVC_PEER], 5, secs(v->last_ns));
		sqlite3_bind_int64(st[ST_SVC_PEER], 6, (int64_t)v->packets);
		if (!STEP_OK(rc = run(s, st[ST_SVC_PEER], &r)))
			goto fail;
		bool new_peer = (uint64_t)r == v->packets;
		bool known = v->n3 != 0; /* committed before: its daily set row exists */

		struct agg_key sk = {0};
		sk.family = k->family;
		sk.port = k->port;
		memcpy(sk.a, k->a, 16);
		struct agg_val *sv = agg_map_get(&s->svc, &sk, NULL);
		struct agg_key hk = {0};
		hk.family = k->family;
		memcpy(hk.a, k->a, 16);
		struct agg_val *hv = agg_map_get(&s->host, &hk, NULL);
		struct agg_key dk = sk;
		dk.day = k->day;
		struct agg_val *dv = agg_map_get(&s->dsvc, &dk, NULL);
		struct agg_key pk = {0};
		pk.family = k->family;
		pk.day = k->day;
		memcpy(pk.b, k->b, 16);
		struct agg_val *pv = agg_map_get(&s->dpeer, &pk, &is_new);
		if (!sv || !hv || !dv || !pv) {
			rc = SQLITE_NOMEM;
			goto fail;
		}
		if (new_peer)
			sv->n1++;

		/* the service's peer on this day */
		if (known)
			goto merge;
		sqlite3_bind_text(st[ST_DSP_INSERT], 1, day, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[ST_DSP_INSERT], 2, a, la, SQLITE_STATIC);
		sqlite3_bind_text(st[ST_DSP_INSERT], 3, b, lb, SQLITE_STATIC);
		sqlite3_bind_int(st[ST_DSP_INSERT], 4, k->port);
		if (!STEP_OK(rc = run(s, st[ST_DSP_INSERT], NULL)))
			goto fail;
		if (sqlite3_changes(s->db) == 1) {
			dv->n1++; /* a new peer of this service today */
			pv->n1++; /* a new service of this peer today */
			sqlite3_bind_text(st[ST_DSP_OTHER_PORT], 1, day, -1, SQLITE_STATIC);
			sqlite3_bind_text(st[ST_DSP_OTHER_PORT], 2, a, la, SQLITE_STATIC);
			sqlite3_bind_text(st[ST_DSP_OTHER_PORT], 3, b, lb, SQLITE_STATIC);
			sqlite3_bind_int(st[ST_DSP_OTHER_PORT], 4, k->port);
			r = 0;
			if (!STEP_OK(rc = run(s, st[ST_DSP_OTHER_PORT], &r)))
				goto fail;
			if (r == 0)
				pv->n2++; /* a new internal host of this peer today */
		}
	merge:
		merge_times(sv, v);
		merge_times(hv, v);
		merge_times(dv, v);
		merge_times(pv, v);
	}

	/* daily services first: they tell which services have a new day */
	for (uint32_t i = 0; i < s->dsvc.n; i++) {
		const struct agg_key *k = &s->dsvc.e[i].k;
		const struct agg_val *v = &s->dsvc.e[i].v;
		int64_t r = 0;
		int la = (int)addr_text(k->family, k->a, a);
		day_text(k->day, day);
		sqlite3_bind_text(st[ST_DAILY_SVC], 1, day, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[ST_DAILY_SVC], 2, a, la, SQLITE_STATIC);
		sqlite3_bind_int(st[ST_DAILY_SVC], 3, k->port);
		sqlite3_bind_int64(st[ST_DAILY_SVC], 4, (int64_t)v->packets);
		sqlite3_bind_int64(st[ST_DAILY_SVC], 5, (int64_t)v->n1);
		if (!STEP_OK(rc = run(s, st[ST_DAILY_SVC], &r)))
			goto fail;
		if ((uint64_t)r == v->packets) {
			struct agg_key sk = *k;
			sk.day = 0;
			struct agg_val *sv = agg_map_get(&s->svc, &sk, NULL);
			if (!sv) {
				rc = SQLITE_NOMEM;
				goto fail;
			}
			sv->n2++;
		}
	}
	for (uint32_t i = 0; i < s->dpeer.n; i++) {
		const struct agg_key *k = &s->dpeer.e[i].k;
		const struct agg_val *v = &s->dpeer.e[i].v;
		int lb = (int)addr_text(k->family, k->b, b);
		day_text(k->day, day);
		sqlite3_bind_text(st[ST_DAILY_PEER], 1, day, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[ST_DAILY_PEER], 2, b, lb, SQLITE_STATIC);
		sqlite3_bind_int64(st[ST_DAILY_PEER], 3, (int64_t)v->packets);
		sqlite3_bind_int64(st[ST_DAILY_PEER], 4, (int64_t)v->n1);
		sqlite3_bind_int64(st[ST_DAILY_PEER], 5, (int64_t)v->n2);
		if (!STEP_OK(rc = run(s, st[ST_DAILY_PEER], NULL)))
			goto fail;
	}
	for (uint32_t i = 0; i < s->svc.n; i++) {
		const struct agg_key *k = &s->svc.e[i].k;
		const struct agg_val *v = &s->svc.e[i].v;
		int64_t r = 0;
		int la = (int)addr_text(k->family, k->a, a);
		sqlite3_bind_text(st[ST_SERVICE], 1, a, la, SQLITE_STATIC);
		sqlite3_bind_int(st[ST_SERVICE], 2, k->port);
		sqlite3_bind_int64(st[ST_SERVICE], 3, secs(v->first_ns));
		sqlite3_bind_int64(st[ST_SERVICE], 4, secs(v->last_ns));
		sqlite3_bind_int64(st[ST_SERVICE], 5, (int64_t)v->packets);
		sqlite3_bind_int64(st[ST_SERVICE], 6, (int64_t)v->n1);
		sqlite3_bind_int64(st[ST_SERVICE], 7, (int64_t)v->n2);
		if (!STEP_OK(rc = run(s, st[ST_SERVICE], &r)))
			goto fail;
		if ((uint64_t)r == v->packets) {
			struct agg_key hk = *k;
			hk.port = 0;
			struct agg_val *hv = agg_map_get(&s->host, &hk, NULL);
			if (!hv) {
				rc = SQLITE_NOMEM;
				goto fail;
			}
			hv->n1++;
		}
	}
	for (uint32_t i = 0; i < s->host.n; i++) {
		const struct agg_key *k = &s->host.e[i].k;
		const struct agg_val *v = &s->host.e[i].v;
		int la = (int)addr_text(k->family, k->a, a);
		sqlite3_bind_text(st[ST_HOST], 1, a, la, SQLITE_STATIC);
		sqlite3_bind_int64(st[ST_HOST], 2, secs(v->first_ns));
		sqlite3_bind_int64(st[ST_HOST], 3, secs(v->last_ns));
		sqlite3_bind_int64(st[ST_HOST], 4, (int64_t)v->n1);
		sqlite3_bind_int64(st[ST_HOST], 5, (int64_t)v->packets);
		if (!STEP_OK(rc = run(s, st[ST_HOST], NULL)))
			goto fail;
	}
	for (uint32_t oi = 0; oi < lim; oi++) {
		const struct agg_key *k = &s->pending.e[s->order[oi]].k;
		const struct agg_val *v = &s->pending.e[s->order[oi]].v;
		if (k->family != 0)
			continue;
		day_text(k->day, day);
		sqlite3_bind_text(st[ST_FTP], 1, day, -1, SQLITE_STATIC);
		sqlite3_bind_text(st[ST_FTP], 2,
		                  k->kind == SYNACK_FTP_ACTIVE ? "active" : "passive", -1,
		                  SQLITE_STATIC);
		sqlite3_bind_int64(st[ST_FTP], 3, (int64_t)v->packets);
		if (!STEP_OK(rc = run(s, st[ST_FTP], NULL)))
			goto fail;
	}
	rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	return SQLITE_OK;
fail:
	if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
		set_err(s, "commit");
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc == SQLITE_OK ? SQLITE_ERROR : rc;
}

/* After a commit: keep the rows as known keys (counters zeroed) so the next
 * commit skips the daily-set insert for them, unless the table is filling
 * up: then start afresh.  The cache lives within max_pending. */
static void keep_known(struct store *s)
{
	for (uint32_t oi = 0; oi < s->done_n; oi++) {
		struct agg_val *v = &s->pending.e[s->order[oi]].v;
		s->pending_records -= v->packets;
		v->packets = 0;
		v->first_ns = v->last_ns = 0;
		v->n3 = 1;
	}
	s->active -= s->done_n;
	s->done_n = 0;
	s->more = s->active > 0;
	if (s->active == 0) {
		s->pending_records = 0;
		if ((uint64_t)s->pending.n * 4 >= (uint64_t)s->opt.max_pending * 3)
			agg_map_clear(&s->pending);
	}
}

static int commit_rows(struct store *s, uint64_t now_ns, bool capped)
{
	if (s->active == 0) {
		s->more = false;
		if ((uint64_t)s->pending.n * 4 >= (uint64_t)s->opt.max_pending * 3)
			agg_map_clear(&s->pending); /* only known rows: drop the cache */
		s->last_commit_ns = now_ns;
		s->records_since_commit = 0;
		return 0;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s->commit_limit = capped ? (uint32_t)s->opt.max_commit_rows : 0;
	int rc = do_commit(s);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	uint64_t took = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000ull + (uint64_t)t1.tv_nsec -
	                (uint64_t)t0.tv_nsec;
	s->min_gap_ns = 3 * took;
	s->stats.commit_ns += took;
	if (rc == SQLITE_OK) {
		s->stats.commits++;
		keep_known(s);
		s->records_since_commit = 0;
		s->last_commit_ns = now_ns;
		s->retry_at_ns = 0;
		return 0;
	}
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		uint64_t backoff = s->opt.flush_interval_ns < 100000000ull
		                       ? s->opt.flush_interval_ns
		                       : 100000000ull;
		s->retry_at_ns = now_ns + backoff;
		s->stats.busy++;
		snprintf(s->err, sizeof(s->err), "%s: database is locked; commit deferred",
		         s->path);
		return 1;
	}
	s->stats.errors++;
	return -1;
}

static int commit_now(struct store *s, uint64_t now_ns)
{
	return commit_rows(s, now_ns, false);
}

/* The memory bound is hit: commit, waiting longer for a lock; if the
 * database still cannot take the rows, drop them (counted) to stay bounded. */
static int commit_full(struct store *s, uint64_t now_ns)
{
	int rc = commit_now(s, now_ns);
	if (rc == 0)
		return 0;
	sqlite3_busy_timeout(s->db, 100 * s->opt.busy_timeout_ms); /* 2 s by default */
	rc = commit_now(s, now_ns);
	sqlite3_busy_timeout(s->db, s->opt.busy_timeout_ms);
	if (rc == 0)
		return 0;
	s->stats.dropped += s->pending_records;
	agg_map_clear(&s->pending);
	s->active = 0;
	s->pending_records = 0;
	s->records_since_commit = 0;
	return rc;
}

static inline void make_key(struct store *s, const struct synack_record *r, struct agg_key *k)
{
	int64_t t = (int64_t)(r->time_ns / 1000000000ull);
	memset(k, 0, sizeof(*k));
	k->day = local_day(s, t);
	if (r->ftp) {
		k->kind = r->ftp;
		return;
	}
	k->hour = t - t % 3600;
	k->family = r->family == SYNACK_FAMILY_IPV6 ? 6 : 4;
	k->port = r->sport;
	if (k->family == 4) {
		memcpy(k->a, r->saddr, 4);
		memcpy(k->b, r->daddr, 4);
	} else {
		memcpy(k->a, r->saddr, 16);
		memcpy(k->b, r->daddr, 16);
	}
}

int store_add(struct store *s, const struct synack_record *recs, size_t n, uint64_t now_ns)
{
	enum { AHEAD = 8 }; /* keys hashed (and index slots prefetched) ahead */
	struct agg_key keys[AHEAD];
	uint64_t hs[AHEAD];
	int ret = 0;

	if (!s->last_commit_ns)
		s->last_commit_ns = now_ns;
	for (size_t j = 0; j < n && j < AHEAD; j++) {
		make_key(s, &recs[j], &keys[j]);
		hs[j] = agg_key_hash(&keys[j]);
		agg_map_prefetch_slot(&s->pending, hs[j]);
	}
	for (size_t i = 0; i < n; i++) {
		const struct synack_record *r = &recs[i];
		size_t slot = i % AHEAD;
		struct agg_key k = keys[slot];
		uint64_t h = hs[slot];
		if (i + AHEAD / 2 < n)
			agg_map_prefetch_entry(&s->pending, hs[(i + AHEAD / 2) % AHEAD]);
		if (i + AHEAD < n) {
			make_key(s, &recs[i + AHEAD], &keys[slot]);
			hs[slot] = agg_key_hash(&keys[slot]);
			agg_map_prefetch_slot(&s->pending, hs[slot]);
		}
		if (r->ftp)
			s->stats.ftp_records++;
		struct agg_val *v = agg_map_get_h(&s->pending, &k, h, NULL);
		if (!v) {
			s->stats.dropped++;
			snprintf(s->err, sizeof(s->err), "%s: out of memory", s->path);
			ret = -1;
			continue;
		}
		if (v->packets == 0) {
			v->first_ns = r->time_ns;
			s->active++;
		} else if (r->time_ns < v->first_ns) {
			v->first_ns = r->time_ns;
		}
		if (r->time_ns > v->last_ns)
			v->last_ns = r->time_ns;
		v->packets++;
		s->pending_records++;
		s->records_since_commit++;
		s->stats.records++;
		if (s->pending.n >= s->opt.max_pending) {
			int rc = commit_full(s, now_ns);
			if (rc)
				ret = rc;
		} else if (s->records_since_commit >= s->opt.batch_records &&
		           s->records_since_commit >= s->active * 4ull) {
			/* batch full, and aggregation no longer pays much: commit */
			int rc = commit_rows(s, now_ns, true);
			if (rc)
				ret = rc;
			s->records_since_commit = 0; /* retry at the next tick, not per record */
		}
	}
	return ret;
}

int store_tick(struct store *s, uint64_t now_ns)
{
	if (!s->last_commit_ns)
		s->last_commit_ns = now_ns;
	if (s->retry_at_ns) {
		if (now_ns < s->retry_at_ns)
			return 1;
		return commit_rows(s, now_ns, true);
	}
	uint64_t gap =
	    s->opt.flush_interval_ns > s->min_gap_ns ? s->opt.flush_interval_ns : s->min_gap_ns;
	if (s->more)
		gap = s->min_gap_ns; /* finish a capped backlog at the duty-cycle pace */
	if (now_ns - s->last_commit_ns < gap && now_ns >= s->last_commit_ns)
		return 0;
	return commit_rows(s, now_ns, true);
}

int store_commit(struct store *s)
{
	return commit_now(s, s->last_commit_ns);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->active)
		commit_full(s, s->last_commit_ns);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->db) {
		sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL);
		sqlite3_close(s->db);
	}
	agg_map_free(&s->pending);
	free(s->order);
	agg_map_free(&s->svc);
	agg_map_free(&s->host);
	agg_map_free(&s->dsvc);
	agg_map_free(&s->dpeer);
	free(s);
}

/*
 * Retention: delete the time-bound rows older than a cutoff.  The inventory
 * (services, hosts) is history and stays; the hourly rows, the daily
 * roll-ups, the per-peer rows of services last seen before the cutoff and
 * the FTP counts go.  Days compare as 'YYYY-MM-DD' text.
 */
int store_prune(struct store *s, uint64_t cutoff_unix, uint64_t *deleted)
{
	static const char *const sql[] = {
	    "DELETE FROM hourly WHERE hour < ?1",
	    "DELETE FROM daily_services WHERE day < date(?1, 'unixepoch')",
	    "DELETE FROM daily_peers WHERE day < date(?1, 'unixepoch')",
	    "DELETE FROM daily_service_peers WHERE day < date(?1, 'unixepoch')",
	    "DELETE FROM ftp_data WHERE day < date(?1, 'unixepoch')",
	    "DELETE FROM service_peers WHERE last_seen < ?1",
	};
	uint64_t total = 0;
	int ret = 0;

	if (store_commit(s) < 0)
		return -1;
	if (exec_sql(s, "BEGIN IMMEDIATE") != 0)
		return -1;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && ret == 0; i++) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &st, NULL) != SQLITE_OK) {
			set_err(s, "prune");
			ret = -1;
			break;
		}
		sqlite3_bind_int64(st, 1, (sqlite3_int64)cutoff_unix);
		if (sqlite3_step(st) != SQLITE_DONE) {
			set_err(s, "prune");
			ret = -1;
		} else {
			total += (uint64_t)sqlite3_changes(s->db);
		}
		sqlite3_finalize(st);
	}
	if (exec_sql(s, ret == 0 ? "COMMIT" : "ROLLBACK") != 0)
		ret = -1;
	if (deleted)
		*deleted = total;
	return ret;
}
