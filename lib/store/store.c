/*
 * store.c - the SQLite database (doc/schema.md): the front half, on the
 * writer lcore, and the hand-over to the back half (store_commit.c).
 *
 * store_add() only aggregates: one in-memory row per (UTC hour, local day,
 * internal address, port, external address), plus one per (day, FTP mode).
 * When a commit is due the map is handed over whole (double buffering: the
 * writer goes on with an empty map) and the commit thread writes it in one
 * transaction; while that thread is busy the writer keeps aggregating.  The
 * hand-overs are paced by the flush interval and the thread's duty cycle,
 * earlier near the memory bound.  The writer takes the store's mutex only
 * at a hand-over and to read a result, never per record.  Without the commit thread
 * (store_options.commit_thread false) the same jobs run in the caller, in capped chunks.
 */
#include "store/store.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/agg_map.h"
#include "store/store_int.h"

/* Version 2: the big tables are keyed by integer address ids and day
 * numbers; views with the old names show them with text.  Version 3: each
 * address has the last UTC day a row used it (last_day), so retention can
 * delete addresses no row uses any more. */
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS addrs(\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  addr TEXT NOT NULL UNIQUE,\n"
    "  last_day INTEGER NOT NULL DEFAULT 0);\n"
    "CREATE INDEX IF NOT EXISTS addrs_last_day ON addrs(last_day);\n"
    "CREATE TABLE IF NOT EXISTS hourly_ids(\n"
    "  hour INTEGER NOT NULL,\n"
    "  saddr_id INTEGER NOT NULL,\n"
    "  sport INTEGER NOT NULL,\n"
    "  daddr_id INTEGER NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  PRIMARY KEY(hour, saddr_id, sport, daddr_id)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS services(\n"
    "  addr TEXT NOT NULL,\n"
    "  port INTEGER NOT NULL,\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  peers INTEGER NOT NULL,\n"
    "  days_seen INTEGER NOT NULL,\n"
    "  PRIMARY KEY(addr, port)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS service_peer_ids(\n"
    "  addr_id INTEGER NOT NULL,\n"
    "  port INTEGER NOT NULL,\n"
    "  peer_id INTEGER NOT NULL,\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  PRIMARY KEY(addr_id, port, peer_id)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS daily_service_peer_ids(\n"
    "  day INTEGER NOT NULL,\n"
    "  addr_id INTEGER NOT NULL,\n"
    "  peer_id INTEGER NOT NULL,\n"
    "  port INTEGER NOT NULL,\n"
    "  PRIMARY KEY(day, addr_id, peer_id, port)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS daily_services(\n"
    "  day TEXT NOT NULL,\n"
    "  addr TEXT NOT NULL,\n"
    "  port INTEGER NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  peers INTEGER NOT NULL,\n"
    "  PRIMARY KEY(day, addr, port)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS daily_peer_ids(\n"
    "  day INTEGER NOT NULL,\n"
    "  peer_id INTEGER NOT NULL,\n"
    "  packets INTEGER NOT NULL,\n"
    "  services INTEGER NOT NULL,\n"
    "  hosts INTEGER NOT NULL,\n"
    "  PRIMARY KEY(day, peer_id)) WITHOUT ROWID;\n"
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
    "CREATE VIEW IF NOT EXISTS hourly AS\n"
    "  SELECT h.hour AS hour, s.addr AS saddr, h.sport AS sport, d.addr AS daddr,\n"
    "         h.packets AS packets\n"
    "  FROM hourly_ids h JOIN addrs s ON s.id = h.saddr_id JOIN addrs d ON d.id = h.daddr_id;\n"
    "CREATE VIEW IF NOT EXISTS service_peers AS\n"
    "  SELECT a.addr AS addr, p.port AS port, b.addr AS peer, p.first_seen AS first_seen,\n"
    "         p.last_seen AS last_seen, p.packets AS packets\n"
    "  FROM service_peer_ids p JOIN addrs a ON a.id = p.addr_id JOIN addrs b ON b.id = p.peer_id;\n"
    "CREATE VIEW IF NOT EXISTS daily_service_peers AS\n"
    "  SELECT date(x.day * 86400, 'unixepoch') AS day, a.addr AS addr, b.addr AS peer,\n"
    "         x.port AS port\n"
    "  FROM daily_service_peer_ids x JOIN addrs a ON a.id = x.addr_id\n"
    "       JOIN addrs b ON b.id = x.peer_id;\n"
    "CREATE VIEW IF NOT EXISTS daily_peers AS\n"
    "  SELECT date(x.day * 86400, 'unixepoch') AS day, b.addr AS peer, x.packets AS packets,\n"
    "         x.services AS services, x.hosts AS hosts\n"
    "  FROM daily_peer_ids x JOIN addrs b ON b.id = x.peer_id;\n"
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
	char path[4096];
	struct store_options opt;
	char err[4608];
	bool utc;
	char tz[128];
	int64_t day_slot; /* day cache (15-minute slots) */
	int32_t day_val;

	/* the writer's side */
	struct agg_map cur;
	uint64_t cur_records;
	uint64_t records_since_commit;
	uint64_t last_commit_ns;
	uint64_t retry_at_ns;   /* after SQLITE_BUSY: next attempt, 0 = none */
	uint64_t min_gap_ns;    /* from one commit's start to the next: 2 x (thread) or
	                           3 x (synchronous) the duration of the last commit */
	uint64_t early_pending; /* 3/4 of max_pending: a commit starts early from here */
	uint64_t inflight_rows; /* handed over and not written, as of the last result */
	uint64_t inflight_records;
	uint64_t records, ftp_records, waits, wait_ns, max_pending_rows;
	/* what became of the records, as the results are read (store_counts) */
	uint64_t stored, dropped, errors;

	/* the hand-over */
	struct agg_map in; /* the frozen map; the back half's while a job runs */
	struct store_back back;
	bool threaded;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t jobs_posted;          /* writer only */
	uint64_t jobs_seen;            /* writer only: results read */
	uint64_t jobs_done;            /* written by the back half (atomic) */
	bool job_waiting;              /* under mu: a job for the thread to take */
	struct store_job job;          /* under mu */
	struct store_result res;       /* under mu */
	struct store_stats back_stats; /* under mu: the back half's counters */
	char back_err[4608];           /* under mu */
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
	opt->commit_thread = true;
}

const char *store_error(const struct store *s)
{
	return s ? s->err : "no store";
}

static void set_err(struct store *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s: %s", s->path, what,
	         s->back.db ? sqlite3_errmsg(s->back.db) : "cannot open");
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

/* --- schema ------------------------------------------------------------ */

static int exec_sql(struct store *s, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(s->back.db, sql, NULL, NULL, &msg) != SQLITE_OK) {
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
	if (sqlite3_prepare_v2(s->back.db, "SELECT value FROM meta WHERE key = ?1", -1, &st,
	                       NULL) != SQLITE_OK)
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
	if (sqlite3_prepare_v2(s->back.db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The schema version in meta when this code can open it (2 or 3), else -1
 * with the error set. */
static long check_version(struct store *s, const char *buf)
{
	long v = strtol(buf, NULL, 10);
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(s->err, sizeof(s->err),
		         "%s: database schema version %ld is newer than this synack supports "
		         "(%d); upgrade synack or rebuild the database from the logs",
		         s->path, v, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (v < 1) {
		snprintf(s->err, sizeof(s->err), "%s: bad schema_version '%s' in meta", s->path,
		         buf);
		return -1;
	}
	if (v < 2) {
		snprintf(s->err, sizeof(s->err),
		         "%s: database schema version %ld is older than this synack's (%d: "
		         "addresses as integer ids); stop synackd and run 'synackctl rebuild' to "
		         "recreate it from the logs",
		         s->path, v, STORE_SCHEMA_VERSION);
		return -1;
	}
	return v;
}

/*
 * Version 2 to 3: addresses get last_day.  Which rows use an address is not
 * known without reading them all, so every address counts as used on the
 * latest day of any row, or today if that is later: retention deletes none
 * of them before every row of version 2 is gone.
 */
static int upgrade_to_3(struct store *s)
{
	static const char sql[] =
	    "ALTER TABLE addrs ADD COLUMN last_day INTEGER NOT NULL DEFAULT 0;\n"
	    "UPDATE addrs SET last_day = (SELECT max(CAST(strftime('%s', 'now') AS INTEGER) / "
	    "86400, coalesce((SELECT max(hour) FROM hourly_ids), 0) / 86400, "
	    "coalesce((SELECT max(day) FROM daily_peer_ids), 0)) + 1);\n"
	    "UPDATE meta SET value = '3' WHERE key = 'schema_version';";
	return exec_sql(s, sql);
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
		long version = check_version(s, buf);
		if (version < 0 || (version == 2 && upgrade_to_3(s) != 0))
			goto fail;
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
	sqlite3_exec(s->back.db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* --- the commit thread ---------------------------------------------------- */

static void publish_back(struct store *s)
{
	const struct store_back *b = &s->back;
	s->back_stats.commits = b->commits;
	s->back_stats.busy = b->busy;
	s->back_stats.errors = b->errors;
	s->back_stats.dropped = b->dropped;
	s->back_stats.statements = b->statements;
	s->back_stats.commit_ns = b->commit_ns;
	s->back_stats.commit_cpu_ns = b->cpu_ns;
	memcpy(s->back_err, b->err, sizeof(s->back_err));
}

static void *commit_main(void *arg)
{
	struct store *s = arg;
	struct store_job job;
	struct store_result res;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->job_waiting)
			pthread_cond_wait(&s->cv, &s->mu);
		job = s->job;
		s->job_waiting = false;
		pthread_mutex_unlock(&s->mu);
		store_back_run(&s->back, &job, &res);
		pthread_mutex_lock(&s->mu);
		s->res = res;
		publish_back(s);
		__atomic_store_n(&s->jobs_done, s->jobs_done + 1, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&s->cv);
		if (job.kind == JOB_STOP)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The thread blocks every signal: they belong to the program's threads. */
static int start_thread(struct store *s)
{
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&s->thread, NULL, commit_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(s->err, sizeof(s->err), "%s: cannot start the commit thread: %s", s->path,
		         strerror(rc));
		return -1;
	}
	pthread_setname_np(s->thread, "synack-commit");
	s->threaded = true;
	return 0;
}

static inline bool back_idle(const struct store *s)
{
	return __atomic_load_n(&s->jobs_done, __ATOMIC_ACQUIRE) == s->jobs_posted;
}

static void post(struct store *s, const struct store_job *job)
{
	s->jobs_posted++;
	if (!s->threaded) {
		store_back_run(&s->back, job, &s->res);
		publish_back(s);
		s->jobs_done = s->jobs_posted;
		return;
	}
	pthread_mutex_lock(&s->mu);
	s->job = *job;
	s->job_waiting = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void wait_idle(struct store *s)
{
	if (back_idle(s))
		return;
	pthread_mutex_lock(&s->mu);
	while (s->jobs_done != s->jobs_posted)
		pthread_cond_wait(&s->cv, &s->mu);
	pthread_mutex_unlock(&s->mu);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* At the memory bound: wait for the commit thread, and count the wait. */
static void wait_idle_counted(struct store *s)
{
	if (back_idle(s))
		return;
	uint64_t t0 = mono_ns();
	wait_idle(s);
	s->waits++;
	s->wait_ns += mono_ns() - t0;
}

/* Rows the back half dropped (out of memory, or the memory bound met while
 * the database stayed unavailable) are lost to the database: an error, never
 * a deferral, whatever SQLite said. */
static int report_dropped(struct store *s, uint64_t records)
{
	char why[4096];
	snprintf(why, sizeof(why), "%.4000s", s->err);
	snprintf(s->err, sizeof(s->err), "%llu records dropped, not stored: %s",
	         (unsigned long long)records, why);
	s->retry_at_ns = 0;
	s->errors++;
	return -1;
}

/* Read the result of a finished commit once: 0 done, 1 deferred by a lock,
 * -1 an error (store_error tells).  0 when there is nothing new.  Its
 * records stored or dropped, and an error, are counted here, so a result
 * that a later commit supersedes is counted too (store_counts). */
static int collect(struct store *s, uint64_t now_ns)
{
	struct store_result res;
	if (s->jobs_seen == s->jobs_posted || !back_idle(s))
		return 0;
	if (s->threaded)
		pthread_mutex_lock(&s->mu);
	res = s->res;
	if (res.rc != SQLITE_OK)
		memcpy(s->err, s->back_err, sizeof(s->err));
	if (s->threaded)
		pthread_mutex_unlock(&s->mu);
	s->jobs_seen = s->jobs_posted;
	s->stored += res.stored_records;
	s->dropped += res.dropped_records;
	s->inflight_rows = res.retained_rows;
	s->inflight_records = res.retained_records;
	s->min_gap_ns = (s->threaded ? 2 : 3) * res.took_ns;
	if (res.dropped_records)
		return report_dropped(s, res.dropped_records);
	if (res.rc == SQLITE_OK) {
		s->retry_at_ns = 0;
		return 0;
	}
	if (res.rc == SQLITE_BUSY || res.rc == SQLITE_LOCKED) {
		uint64_t backoff = s->opt.flush_interval_ns < 100000000ull
		                       ? s->opt.flush_interval_ns
		                       : 100000000ull;
		s->retry_at_ns = now_ns + backoff;
		return 1;
	}
	s->retry_at_ns = 0;
	s->errors++;
	return -1;
}

/* Give the aggregated rows to the back half; the writer goes on with an
 * empty map (the one the back half emptied at the last hand-over).  The
 * back half must be idle and its result read. */
static void hand_over(struct store *s, uint64_t now_ns, enum store_job_kind kind, uint32_t cap)
{
	struct agg_map frozen = s->cur;
	s->cur = s->in;
	s->in = frozen;
	s->inflight_rows += s->in.n;
	s->inflight_records += s->cur_records;
	if (s->inflight_rows > s->max_pending_rows)
		s->max_pending_rows = s->inflight_rows;
	s->cur_records = 0;
	s->records_since_commit = 0;
	s->last_commit_ns = now_ns;
	struct store_job job = {.kind = kind, .cap = cap, .in = &s->in};
	post(s, &job);
}

static inline bool nothing_pending(const struct store *s)
{
	return s->cur.n == 0 && s->inflight_rows == 0;
}

/* Wait for the back half, read its result into *rc, and hand it everything
 * pending.  False when nothing was pending. */
static bool start_commit(struct store *s, uint64_t now_ns, enum store_job_kind kind, int *rc)
{
	wait_idle(s);
	*rc = collect(s, now_ns);
	if (nothing_pending(s))
		return false;
	hand_over(s, now_ns, kind, 0);
	return true;
}

/* Write everything now and wait until it is durable. */
static int commit_wait(struct store *s, uint64_t now_ns, enum store_job_kind kind)
{
	int rc;
	if (!start_commit(s, now_ns, kind, &rc))
		return rc;
	wait_idle(s);
	return collect(s, now_ns);
}

/* The memory bound: wait for the commit thread if it is busy.  When the
 * rows it had fit again, hand over and go on; when a commit left rows (a
 * lock, an error, a capped chunk), write everything now, waiting longer
 * for a lock, and drop the rows (counted) if the database cannot take them. */
static int at_bound(struct store *s, uint64_t now_ns)
{
	wait_idle_counted(s);
	int rc = collect(s, now_ns);
	if (s->cur.n + s->inflight_rows < s->opt.max_pending)
		return rc;
	if (s->threaded && s->inflight_rows == 0) {
		hand_over(s, now_ns, JOB_COMMIT, 0);
		return rc;
	}
	return commit_wait(s, now_ns, JOB_FULL);
}

/* A timed or batch commit when the back half is free; otherwise keep
 * aggregating.  Synchronous: capped chunks, paced by the duty cycle. */
static int commit_due(struct store *s, uint64_t now_ns)
{
	if (!back_idle(s))
		return 0;
	int rc = collect(s, now_ns);
	if (nothing_pending(s)) {
		s->last_commit_ns = now_ns;
		s->records_since_commit = 0;
		return rc;
	}
	hand_over(s, now_ns, JOB_COMMIT, s->threaded ? 0 : (uint32_t)s->opt.max_commit_rows);
	if (!s->threaded)
		rc = collect(s, now_ns);
	return rc;
}

/* Whether the pace allows a timed or batch commit now: at most one per
 * gap from the last one's start, the gap being the flush interval (or
 * the given one) or, when longer, the duty cycle of the last commit. */
static inline bool paced_due(const struct store *s, uint64_t now_ns, uint64_t interval_ns)
{
	uint64_t gap = interval_ns > s->min_gap_ns ? interval_ns : s->min_gap_ns;
	return now_ns < s->last_commit_ns || now_ns - s->last_commit_ns >= gap;
}

/* Three quarters of the memory bound (rows in the writer's map and in
 * flight): with the commit thread idle, hand over at once (not paced), so
 * that the bound itself is rarely met.  A lock's back-off is still kept. */
static int near_bound(struct store *s, uint64_t now_ns)
{
	if (!back_idle(s) || (s->retry_at_ns && now_ns < s->retry_at_ns))
		return 0;
	return commit_due(s, now_ns);
}

/* batch_records reached, and aggregation no longer pays much: commit, as
 * soon as the pace allows (the commit thread's duty cycle). */
static int batch_full(struct store *s, uint64_t now_ns)
{
	int rc = 0;
	if (!s->threaded || (back_idle(s) && paced_due(s, now_ns, 0) && !s->retry_at_ns))
		rc = commit_due(s, now_ns);
	s->records_since_commit = 0; /* retry at the next tick, not per record */
	return rc;
}

/* --- open ------------------------------------------------------------------ */

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
	s->early_pending = s->opt.max_pending - s->opt.max_pending / 4;
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
	agg_map_init(&s->cur);
	agg_map_init(&s->in);
	store_back_init(&s->back);
	s->back.path = s->path;
	s->back.busy_timeout_ms = s->opt.busy_timeout_ms;
	s->back.max_pending = s->opt.max_pending;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);

	/* a symbolic link planted in the data directory is never followed */
	struct stat lst;
	if (lstat(db_path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		snprintf(s->err, sizeof(s->err), "%s: is a symbolic link; not followed", s->path);
		goto fail;
	}
	/* after open the connection is used by one thread at a time only */
	if (sqlite3_open_v2(db_path, &s->back.db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		set_err(s, "cannot open database");
		goto fail;
	}
	sqlite3_busy_timeout(s->back.db, 5000); /* opening: wait for a concurrent writer */
	/* Keep -wal and -shm when the database is closed: a reader without
	 * write access to the data directory (the synack group) can then open
	 * the WAL database read-only, which it cannot when it would have to
	 * create them. */
	int persist = 1;
	sqlite3_file_control(s->back.db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
	if (exec_sql(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	                "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-131072; "
	                "PRAGMA wal_autocheckpoint=16384") != 0)
		goto fail;
	if (init_schema(s) != 0)
		goto fail;
	if (store_back_prepare(&s->back) != 0) {
		memcpy(s->err, s->back.err, sizeof(s->err));
		goto fail;
	}
	sqlite3_busy_timeout(s->back.db, s->opt.busy_timeout_ms);
	if (s->opt.commit_thread && start_thread(s) != 0)
		goto fail;
	return s;
fail:
	snprintf(err, errlen, "%s", s->err);
	store_back_free(&s->back);
	agg_map_free(&s->cur);
	agg_map_free(&s->in);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
	return NULL;
}

void store_get_stats(const struct store *s, struct store_stats *st)
{
	struct store *m = (struct store *)s; /* the mutex only */
	if (s->threaded)
		pthread_mutex_lock(&m->mu);
	*st = s->back_stats;
	if (s->threaded)
		pthread_mutex_unlock(&m->mu);
	st->records = s->records;
	st->ftp_records = s->ftp_records;
	st->stored = s->stored;
	st->dropped = s->dropped;
	st->pending_rows = s->cur.n + s->inflight_rows;
	st->pending_records = s->cur_records + s->inflight_records;
	st->waits = s->waits;
	st->wait_ns = s->wait_ns;
	st->max_pending_rows = s->max_pending_rows;
}

void store_get_counts(const struct store *s, struct store_counts *c)
{
	c->stored = s->stored;
	c->dropped = s->dropped;
	c->pending = s->cur_records + s->inflight_records;
	c->errors = s->errors;
}

/* --- the writer's side --------------------------------------------------- */

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

static inline void add_one(struct agg_val *v, uint64_t time_ns)
{
	if (v->packets == 0 || time_ns < v->first_ns)
		v->first_ns = time_ns;
	if (time_ns > v->last_ns)
		v->last_ns = time_ns;
	v->packets++;
}

int store_add(struct store *s, const struct synack_record *recs, size_t n, uint64_t now_ns)
{
	enum { AHEAD = 8 }; /* keys hashed (and index slots prefetched) ahead */
	struct agg_key keys[AHEAD];
	uint64_t hs[AHEAD];
	int ret = 0;
	bool oom = false;

	if (!s->last_commit_ns)
		s->last_commit_ns = now_ns;
	for (size_t j = 0; j < n && j < AHEAD; j++) {
		make_key(s, &recs[j], &keys[j]);
		hs[j] = agg_key_hash(&keys[j]);
		agg_map_prefetch_slot(&s->cur, hs[j]);
	}
	for (size_t i = 0; i < n; i++) {
		const struct synack_record *r = &recs[i];
		size_t slot = i % AHEAD;
		struct agg_key k = keys[slot];
		uint64_t h = hs[slot];
		if (i + AHEAD / 2 < n)
			agg_map_prefetch_entry(&s->cur, hs[(i + AHEAD / 2) % AHEAD]);
		if (i + AHEAD < n) {
			make_key(s, &recs[i + AHEAD], &keys[slot]);
			hs[slot] = agg_key_hash(&keys[slot]);
			agg_map_prefetch_slot(&s->cur, hs[slot]);
		}
		s->records++;
		s->ftp_records += r->ftp != 0;
		struct agg_val *v = agg_map_get_h(&s->cur, &k, h, NULL);
		if (!v) {
			s->dropped++;
			oom = true;
			snprintf(s->err, sizeof(s->err), "%s: out of memory", s->path);
			ret = -1;
			continue;
		}
		add_one(v, r->time_ns);
		s->cur_records++;
		s->records_since_commit++;
		uint64_t pending = s->cur.n + s->inflight_rows;
		int rc = 0;
		if (pending >= s->opt.max_pending)
			rc = at_bound(s, now_ns);
		else if (pending >= s->early_pending && s->threaded)
			rc = near_bound(s, now_ns);
		else if (s->records_since_commit >= s->opt.batch_records &&
		         s->records_since_commit >= s->cur.n * 4ull)
			rc = batch_full(s, now_ns);
		if (rc)
			ret = rc;
	}
	if (oom)
		s->errors++; /* one failure per call, as a commit's */
	return ret;
}

int store_tick(struct store *s, uint64_t now_ns)
{
	if (!s->last_commit_ns)
		s->last_commit_ns = now_ns;
	int rc = collect(s, now_ns);
	if (rc != 0 || !back_idle(s))
		return rc;
	if (s->retry_at_ns) {
		if (now_ns < s->retry_at_ns)
			return 1;
		return commit_due(s, now_ns);
	}
	uint64_t interval = s->opt.flush_interval_ns;
	if (!s->threaded && s->inflight_rows)
		interval = 0; /* finish a capped backlog at the duty-cycle pace */
	if (!paced_due(s, now_ns, interval))
		return 0;
	return commit_due(s, now_ns);
}

int store_commit(struct store *s)
{
	return commit_wait(s, s->last_commit_ns, JOB_COMMIT);
}

void store_commit_start(struct store *s)
{
	int rc; /* counted by collect(); store_commit() reports this commit */
	if (s->threaded)
		(void)start_commit(s, s->last_commit_ns, JOB_COMMIT, &rc);
}

/* Run a job that is not a commit and wait for its result. */
static void run_job(struct store *s, const struct store_job *job, struct store_result *res)
{
	post(s, job);
	wait_idle(s);
	if (s->threaded)
		pthread_mutex_lock(&s->mu);
	*res = s->res;
	if (res->rc != SQLITE_OK)
		memcpy(s->err, s->back_err, sizeof(s->err));
	if (s->threaded)
		pthread_mutex_unlock(&s->mu);
	s->jobs_seen = s->jobs_posted;
}

/* The last commit at close: nobody reads its result any more, so records
 * it could not store are reported on stderr. */
static void commit_at_close(struct store *s)
{
	uint64_t dropped0 = s->dropped;
	int rc = commit_wait(s, s->last_commit_ns, JOB_FULL);
	uint64_t lost = s->dropped - dropped0 + s->cur_records + s->inflight_records;
	if (lost)
		fprintf(stderr,
		        "synack: %llu records not stored in the database at close (%s); the "
		        "hourly logs keep them (synackctl rebuild)\n",
		        (unsigned long long)lost, rc > 0 ? "the database stayed locked" : s->err);
}

void store_close(struct store *s)
{
	struct store_result res;
	if (!s)
		return;
	commit_at_close(s);
	if (s->threaded) {
		struct store_job stop = {.kind = JOB_STOP};
		run_job(s, &stop, &res);
		pthread_join(s->thread, NULL);
	}
	store_back_free(&s->back);
	agg_map_free(&s->cur);
	agg_map_free(&s->in);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

/* Retention (store_commit.c): everything pending is written first. */
int store_prune(struct store *s, uint64_t cutoff_unix, uint64_t *deleted)
{
	struct store_result res;
	if (deleted)
		*deleted = 0;
	if (store_commit(s) < 0)
		return -1;
	struct store_job job = {.kind = JOB_PRUNE, .cutoff = cutoff_unix};
	run_job(s, &job, &res);
	if (deleted)
		*deleted = res.deleted;
	return res.rc == SQLITE_OK ? 0 : -1;
}
