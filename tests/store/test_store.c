/*
 * test_store.c - the SQLite store: every table against expectations the
 * test computes from its own records (store_check.h), incremental commits,
 * the memory bound, SQLITE_BUSY, schema versions, time zones; with the
 * commit thread (the default) and without it.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "store/store.h"
#include "store_check.h"
#include "xorshift.h"

#define S 1000000000ull

static char dir[256];
static bool threaded; /* the commit thread on in the tests run in both modes */

static void options(struct store_options *o)
{
	store_options_default(o);
	o->commit_thread = threaded;
}

static void path_in(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static void remove_db(const char *p)
{
	char x[600];
	unlink(p);
	snprintf(x, sizeof(x), "%s-wal", p);
	unlink(x);
	snprintf(x, sizeof(x), "%s-shm", p);
	unlink(x);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	return xorshift64(&rng);
}

/* A mixed stream: v4 and v6 hosts, several services, many peers, three
 * days crossing midnight, some FTP-marked records.  Time-ordered. */
static struct synack_record *gen(size_t n, uint64_t t0, int npeers)
{
	struct synack_record *r = calloc(n, sizeof(*r));
	uint64_t t = t0;
	static const uint16_t ports[] = {22, 25, 80, 443, 3389, 8080};
	for (size_t i = 0; i < n; i++) {
		t += next_rand() % (200 * S);
		r[i].time_ns = t;
		r[i].flags = 0x12;
		r[i].dport = (uint16_t)(1024 + next_rand() % 60000);
		int h = (int)(next_rand() % 6);
		int p = (int)(next_rand() % (uint64_t)npeers);
		if (h < 4) {
			r[i].family = SYNACK_FAMILY_IPV4;
			uint8_t s4[4] = {10, 0, (uint8_t)(h * 50), (uint8_t)(h + 1)};
			uint8_t d4[4] = {192, 0, (uint8_t)(p >> 8), (uint8_t)p};
			memcpy(r[i].saddr, s4, 4);
			memcpy(r[i].daddr, d4, 4);
		} else {
			r[i].family = SYNACK_FAMILY_IPV6;
			uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
			uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff};
			s6[15] = (uint8_t)h;
			d6[14] = (uint8_t)(p >> 8);
			d6[15] = (uint8_t)p;
			memcpy(r[i].saddr, s6, 16);
			memcpy(r[i].daddr, d6, 16);
		}
		r[i].sport = ports[(h + next_rand() % 3) % 6];
		if (next_rand() % 50 == 0) {
			r[i].ftp = (uint8_t)(1 + next_rand() % 2);
			r[i].sport = (uint16_t)(30000 + next_rand() % 1000);
		}
	}
	return r;
}

static void test_round_trip(void)
{
	char db[512];
	char err[512];
	struct store_options o;
	size_t n = 6000;
	/* 2023-11-14 20:00 UTC; ~6000 * 100 s average = ~7 days */
	struct synack_record *r = gen(n, 1699992000ull * S, 300);

	path_in(db, sizeof(db), threaded ? "rt-thread.db" : "rt.db");
	remove_db(db);
	options(&o);
	o.batch_records = 257;  /* many commits, rows updated across them */
	o.max_commit_rows = 40; /* timed commits write chunks of the backlog */
	o.sensor_id = 42;
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	size_t i = 0, batches = 0;
	while (i < n) {
		size_t k = 1 + next_rand() % 97;
		if (k > n - i)
			k = n - i;
		CHECK(store_add(s, r + i, k, r[i].time_ns) == 0);
		i += k;
		if (next_rand() % 5 == 0)
			CHECK(store_tick(s, r[i - 1].time_ns) == 0);
		/* the thread skips ticks while it writes: rows updated across
		 * commits, surely */
		if (threaded && ++batches % 10 == 0) {
			if (batches % 20 == 0) /* records keep coming while it commits */
				store_commit_start(s);
			else
				CHECK(store_commit(s) == 0);
		}
	}
	struct store_stats st;
	store_get_stats(s, &st);
	CHECK_EQ(st.records, n);
	CHECK(st.commits > 10);
	CHECK(st.commit_cpu_ns > 0);
	store_close(s);
	check_db_equals(db, r, n, 0, "round trip");

	/* reopen and add more: rows keep growing correctly; with a commit
	 * thread, store_commit_start writes them without store_commit */
	s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	struct synack_record *r2 = gen(2000, r[n - 1].time_ns, 400);
	CHECK(store_add(s, r2, 2000, 0) == 0);
	if (threaded) {
		sqlite3 *peek;
		CHECK(sqlite3_open(db, &peek) == SQLITE_OK);
		const char *q = "SELECT coalesce(sum(packets), 0) FROM hosts";
		long before = query_long(peek, q), now = before;
		store_commit_start(s);
		for (int tries = 0; tries < 200 && now == before; tries++) {
			usleep(10000);
			now = query_long(peek, q);
		}
		CHECK(now > before);
		CHECK(store_commit(s) == 0); /* nothing was left for it */
		CHECK_EQ(query_long(peek, q), now);
		sqlite3_close(peek);
	}
	CHECK(store_commit(s) == 0);
	store_close(s);
	struct synack_record *all = malloc((n + 2000) * sizeof(*all));
	memcpy(all, r, n * sizeof(*r));
	memcpy(all + n, r2, 2000 * sizeof(*r));
	check_db_equals(db, all, n + 2000, 0, "reopened");

	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK_EQ(query_long(h, "SELECT value FROM meta WHERE key = 'sensor_id'"), 42);
	CHECK_EQ(query_long(h, "SELECT value FROM meta WHERE key = 'schema_version'"),
	         STORE_SCHEMA_VERSION);
	CHECK_EQ(
	    query_long(
	        h,
	        "SELECT count(*) FROM services_iso WHERE first_seen LIKE '____-__-__T__:__:__Z'"),
	    query_long(h, "SELECT count(*) FROM services"));
	CHECK(query_long(h, "SELECT count(*) FROM services WHERE port >= 30000") == 0);
	sqlite3_close(h);
	free(all);
	free(r2);
	free(r);
}

/* Exact, hand-checked values on a tiny stream. */
static void test_small_exact(void)
{
	char db[512], err[512];
	struct store_options o;
	path_in(db, sizeof(db), threaded ? "small-thread.db" : "small.db");
	remove_db(db);
	options(&o);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	struct synack_record r[5];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 5; i++) {
		r[i].family = SYNACK_FAMILY_IPV4;
		uint8_t a[4] = {163, 209, 1, 2}, b[4] = {8, 8, 4, (uint8_t)(i < 3 ? 4 : 5)};
		memcpy(r[i].saddr, a, 4);
		memcpy(r[i].daddr, b, 4);
		r[i].sport = 443;
		r[i].dport = (uint16_t)(50000 + i);
	}
	r[0].time_ns = 1700000000ull * S + 5; /* 2023-11-14 22:13:20 */
	r[1].time_ns = 1700003600ull * S;     /* 23:13:20 */
	r[2].time_ns = 1700010000ull * S;     /* 2023-11-15 01:00:00 */
	r[3].time_ns = 1700010001ull * S;
	r[4].time_ns = 1700010002ull * S;
	r[4].sport = 40000;
	r[4].ftp = SYNACK_FTP_PASSIVE;
	CHECK(store_add(s, r, 5, 0) == 0);
	store_close(s);
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK_EQ(query_long(h, "SELECT count(*) FROM services"), 1);
	CHECK_EQ(
	    query_long(h, "SELECT packets FROM services WHERE addr='163.209.1.2' AND port=443"), 4);
	CHECK_EQ(query_long(h, "SELECT peers FROM services"), 2);
	CHECK_EQ(query_long(h, "SELECT days_seen FROM services"), 2);
	CHECK_EQ(query_long(h, "SELECT first_seen FROM services"), 1700000000);
	CHECK_EQ(query_long(h, "SELECT last_seen FROM services"), 1700010001);
	CHECK_EQ(query_long(h, "SELECT count(*) FROM hourly"), 4);
	CHECK_EQ(
	    query_long(h, "SELECT packets FROM hourly WHERE hour = 1700010000 - 1700010000 % 3600 "
	                  "AND daddr = '8.8.4.4'"),
	    1);
	CHECK_EQ(query_long(h, "SELECT count(*) FROM paper WHERE date = '2023-11-15' AND hour = 1"),
	         2);
	CHECK_EQ(
	    query_long(
	        h, "SELECT packets FROM ftp_data WHERE day = '2023-11-15' AND mode = 'passive'"),
	    1);
	CHECK_EQ(query_long(h, "SELECT peers FROM daily_services WHERE day = '2023-11-15'"), 2);
	CHECK_EQ(query_long(h, "SELECT ports FROM hosts"), 1);
	sqlite3_close(h);
}

static void test_bounded(void)
{
	char db[512], err[512];
	struct store_options o;
	size_t n = 20000;
	path_in(db, sizeof(db), threaded ? "bounded-thread.db" : "bounded.db");
	remove_db(db);
	options(&o);
	o.max_pending = 64;
	o.batch_records = 1000000;
	o.flush_interval_ns = 3600 * S;
	/* a storm: 20000 records, ~5000 distinct peers, few services */
	struct synack_record *r = gen(n, 1699992000ull * S, 5000);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	size_t max_seen = 0;
	for (size_t i = 0; i < n; i++) {
		CHECK(store_add(s, r + i, 1, 0) == 0);
		struct store_stats st;
		store_get_stats(s, &st);
		if (st.pending_rows > max_seen)
			max_seen = st.pending_rows;
	}
	/* with the thread, the rows in flight count too: at most the bound */
	CHECK(threaded ? max_seen <= 64 : max_seen < 64);
	struct store_stats st;
	store_get_stats(s, &st);
	CHECK(st.commits > 100);
	CHECK_EQ(st.dropped, 0);
	CHECK(st.max_pending_rows <= 64);
	if (threaded)
		CHECK(st.waits > 0 && st.wait_ns > 0); /* the writer outruns the commits */
	else
		CHECK_EQ(st.waits, 0);
	store_close(s);
	check_db_equals(db, r, n, 0, "bounded");
	free(r);
}

static void test_busy(void)
{
	char db[512], err[512];
	struct store_options o;
	size_t n = 3000;
	path_in(db, sizeof(db), "busy.db");
	remove_db(db);
	store_options_default(&o);
	o.commit_thread = false; /* the tick's return values, step by step */
	o.busy_timeout_ms = 5;
	o.flush_interval_ns = 1 * S;
	struct synack_record *r = gen(n, 1699992000ull * S, 200);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);

	/* another connection (e.g. an operator's sqlite3 shell) holds the write lock */
	sqlite3 *other;
	CHECK(sqlite3_open(db, &other) == SQLITE_OK);
	CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO meta VALUES('x', 'y')", NULL, NULL,
	                   NULL) == SQLITE_OK);
	uint64_t now = 1000 * S;
	CHECK(store_add(s, r, n / 2, now) == 0);
	CHECK_EQ(store_tick(s, now + 2 * S), 1);        /* deferred */
	CHECK_EQ(store_tick(s, now + 2 * S + 1000), 1); /* backing off, still pending */
	CHECK(store_add(s, r + n / 2, n - n / 2, now) == 0);
	CHECK_EQ(store_tick(s, now + 3 * S), 1);
	struct store_stats st;
	store_get_stats(s, &st);
	CHECK(st.busy >= 2);
	CHECK_EQ(st.pending_records, n);
	CHECK_EQ(st.commits, 0);
	/* a reader meanwhile is fine (WAL) */
	sqlite3 *reader;
	CHECK(sqlite3_open(db, &reader) == SQLITE_OK);
	CHECK_EQ(query_long(reader, "SELECT count(*) FROM services"), 0);
	sqlite3_close(reader);
	/* lock released: the next tick stores everything */
	CHECK(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(other);
	CHECK_EQ(store_tick(s, now + 4 * S), 0);
	store_get_stats(s, &st);
	CHECK_EQ(st.pending_records, 0);
	CHECK_EQ(st.commits, 1);
	CHECK_EQ(st.dropped, 0);
	store_close(s);
	check_db_equals(db, r, n, 0, "busy");
	free(r);
}

/* Locked for good while the memory bound is hit: rows are dropped (counted),
 * memory stays bounded, and the store works again once the lock is gone. */
static void test_busy_full(void)
{
	char db[512], err[512];
	struct store_options o;
	size_t n = 400;
	path_in(db, sizeof(db), threaded ? "busyfull-thread.db" : "busyfull.db");
	remove_db(db);
	options(&o);
	o.busy_timeout_ms = 1;
	o.max_pending = 32;
	struct synack_record *r = gen(n, 1699992000ull * S, 1000);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	sqlite3 *other;
	CHECK(sqlite3_open(db, &other) == SQLITE_OK);
	CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO meta VALUES('x', 'y')", NULL, NULL,
	                   NULL) == SQLITE_OK);
	int deferred = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = store_add(s, r + i, 1, 0);
		deferred += rc != 0;
		if (rc < 0 && failed++ == 0) /* a drop is an error, not a deferral */
			CHECK(strstr(store_error(s), "records dropped") != NULL);
		struct store_stats st;
		store_get_stats(s, &st);
		CHECK(st.pending_rows <= 32);
	}
	struct store_stats st;
	store_get_stats(s, &st);
	CHECK(deferred > 0);
	CHECK(st.dropped > 0);
	CHECK_EQ(st.dropped + st.pending_records, n);
	CHECK(failed > 0);
	struct store_counts c;
	store_get_counts(s, &c);
	CHECK_EQ(c.stored, 0);
	CHECK_EQ(c.dropped, st.dropped);
	CHECK_EQ(c.pending, st.pending_records);
	CHECK(c.errors > 0);
	CHECK(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(other);
	/* what was still pending is stored; the dropped part is not */
	uint64_t kept = st.pending_records;
	CHECK_EQ(store_commit(s), 0);
	store_get_counts(s, &c);
	CHECK_EQ(c.stored, kept);
	CHECK_EQ(c.pending, 0);
	CHECK_EQ(c.stored + c.dropped, n);
	store_close(s);
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK_EQ(query_long(h, "SELECT coalesce(sum(packets), 0) FROM services") +
	             query_long(h, "SELECT coalesce(sum(packets), 0) FROM ftp_data"),
	         kept);
	sqlite3_close(h);
	free(r);
}

/* A timed commit writes at most max(max_commit_rows, backlog / 8) rows; the
 * rest follows at the next ticks; an explicit commit writes everything. */
static void test_chunks(void)
{
	char db[512], err[512];
	struct store_options o;
	size_t n = 3000;
	path_in(db, sizeof(db), "chunks.db");
	remove_db(db);
	store_options_default(&o);
	o.commit_thread = false; /* chunks bound the pause of a writer that commits itself */
	o.max_commit_rows = 100;
	struct synack_record *r = gen(n, 1699992000ull * S, 3000);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	CHECK(store_add(s, r, n, 1) == 0);
	struct store_stats st;
	store_get_stats(s, &st);
	uint64_t rows0 = st.pending_rows;
	CHECK(rows0 > 1600);
	CHECK_EQ(store_tick(s, 10 * S), 0);
	store_get_stats(s, &st);
	uint64_t chunk = rows0 / 8 > 100 ? rows0 / 8 : 100;
	CHECK_EQ(st.pending_rows, rows0 - chunk);
	CHECK_EQ(st.commits, 1);
	CHECK(st.pending_records < n);
	CHECK_EQ(store_tick(s, 1000 * S), 0);
	store_get_stats(s, &st);
	CHECK_EQ(st.commits, 2);
	CHECK(st.pending_rows < rows0 - chunk);
	CHECK_EQ(store_commit(s), 0);
	store_get_stats(s, &st);
	CHECK_EQ(st.pending_rows, 0);
	CHECK_EQ(st.pending_records, 0);
	store_close(s);
	check_db_equals(db, r, n, 0, "chunks");
	free(r);
}

/* The commit thread meets a lock: the result comes back at a later tick,
 * nothing is lost, store_commit waits and tells. */
static void test_busy_thread(void)
{
	char db[512], err[512];
	struct store_options o;
	size_t n = 3000;
	path_in(db, sizeof(db), "busy-thread.db");
	remove_db(db);
	store_options_default(&o);
	o.busy_timeout_ms = 5;
	o.flush_interval_ns = 1 * S;
	struct synack_record *r = gen(n, 1699992000ull * S, 200);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	sqlite3 *other;
	CHECK(sqlite3_open(db, &other) == SQLITE_OK);
	CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO meta VALUES('x', 'y')", NULL, NULL,
	                   NULL) == SQLITE_OK);
	uint64_t now = 1000 * S;
	CHECK(store_add(s, r, n / 2, now) == 0);
	/* ticks hand the rows over, then report the deferral (bounded: 5 s) */
	int rc = 0;
	for (int i = 0; i < 5000 && rc == 0; i++) {
		now += 2 * S;
		rc = store_tick(s, now);
		if (rc == 0)
			usleep(1000);
	}
	CHECK_EQ(rc, 1);
	CHECK(strstr(store_error(s), "locked") != NULL);
	CHECK_EQ(store_commit(s), 1); /* waits for its own attempt, deferred too */
	CHECK(store_add(s, r + n / 2, n - n / 2, now) == 0);
	struct store_stats st;
	store_get_stats(s, &st);
	CHECK(st.busy >= 2);
	CHECK_EQ(st.pending_records, n);
	CHECK_EQ(st.commits, 0);
	CHECK(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(other);
	CHECK_EQ(store_commit(s), 0);
	store_get_stats(s, &st);
	CHECK_EQ(st.pending_records, 0);
	CHECK_EQ(st.pending_rows, 0);
	CHECK_EQ(st.commits, 1);
	CHECK_EQ(st.dropped, 0);
	store_close(s);
	check_db_equals(db, r, n, 0, "busy thread");
	free(r);
}

/* The stats while the commit thread works: its counters only grow, the
 * writer's are exact at every step, and nothing stays pending at the end. */
static void test_stats_thread(void)
{
	char db[512], err[512];
	struct store_options o;
	size_t n = 20000;
	path_in(db, sizeof(db), "stats-thread.db");
	remove_db(db);
	store_options_default(&o);
	o.flush_interval_ns = 1;
	struct synack_record *r = gen(n, 1699992000ull * S, 3000);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	struct store_stats prev;
	memset(&prev, 0, sizeof(prev));
	int shrank = 0;
	for (size_t i = 0; i < n; i += 100) {
		CHECK(store_add(s, r + i, 100, r[i].time_ns) == 0);
		CHECK(store_tick(s, r[i + 99].time_ns) == 0);
		struct store_stats st;
		store_get_stats(s, &st);
		CHECK_EQ(st.records, i + 100);
		CHECK(st.pending_records <= i + 100);
		if (st.commits < prev.commits || st.statements < prev.statements ||
		    st.commit_ns < prev.commit_ns)
			shrank++;
		prev = st;
	}
	CHECK_EQ(shrank, 0);
	CHECK_EQ(store_commit(s), 0);
	struct store_stats st;
	store_get_stats(s, &st);
	CHECK(st.commits >= 1);
	CHECK_EQ(st.pending_rows, 0);
	CHECK_EQ(st.pending_records, 0);
	store_close(s);
	check_db_equals(db, r, n, 0, "stats thread");
	free(r);
}

/* A storm inside one UTC hour: 2 hosts x 2 ports towards npeers peers. */
static struct synack_record *gen_hour(size_t n, uint64_t hour_start_s, int npeers)
{
	struct synack_record *r = calloc(n, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		uint64_t x = next_rand();
		int p = (int)((x >> 8) % (uint64_t)npeers);
		uint8_t s4[4] = {10, 1, 0, (uint8_t)(1 + (x & 1))};
		uint8_t d4[4] = {198, 51, (uint8_t)(p >> 8), (uint8_t)p};
		r[i].family = SYNACK_FAMILY_IPV4;
		r[i].flags = 0x12;
		r[i].time_ns = (hour_start_s + (x >> 40) % 3600) * S;
		memcpy(r[i].saddr, s4, 4);
		memcpy(r[i].daddr, d4, 4);
		r[i].sport = (x >> 1) & 1 ? 443 : 80;
		r[i].dport = (uint16_t)(1024 + (x >> 20) % 60000);
	}
	return r;
}

/* After a prune the keys the commit thread knew have no rows any more:
 * the same keys coming back make their rows again, daily sets included. */
static void test_prune_known(void)
{
	char db[512], err[512];
	struct store_options o;
	const uint64_t hour = 1700002800; /* 2023-11-14 23:00 UTC */
	path_in(db, sizeof(db), threaded ? "prune-thread.db" : "prune.db");
	remove_db(db);
	options(&o);
	struct synack_record *r1 = gen_hour(2000, hour, 60);
	struct synack_record *r2 = gen_hour(1500, hour, 60);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(store_add(s, r1, 2000, 0) == 0);
	CHECK_EQ(store_commit(s), 0);
	uint64_t deleted = 0;
	CHECK_EQ(store_prune(s, hour + 2 * 86400, &deleted), 0);
	CHECK(deleted > 240);                  /* 240 hourly rows at most, and the rest */
	CHECK(store_add(s, r2, 1500, 0) == 0); /* the same keys again */
	CHECK_EQ(store_commit(s), 0);
	store_close(s);
	check_db_tables(db, r2, 1500, 0, "after prune",
	                CHECK_HOURLY | CHECK_PAPER | CHECK_SERVICE_PEERS | CHECK_DAILY_SERVICES |
	                    CHECK_DAILY_PEERS);
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK_EQ(query_long(h, "SELECT sum(packets) FROM services"), 3500);
	CHECK_EQ(query_long(h, "SELECT sum(packets) FROM hosts"), 3500);
	sqlite3_close(h);
	free(r1);
	free(r2);
}

/* An address, or an (internal address, port, peer), as the test knows it;
 * zeroed first (calloc), so that memcmp compares whole keys. */
struct test_key {
	uint8_t family, a[16], b[16];
	uint16_t port;
};

static int cmp_key(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct test_key));
}

/* Distinct keys of t[0..n); frees t. */
static long distinct_keys(struct test_key *t, size_t n)
{
	qsort(t, n, sizeof(*t), cmp_key);
	long distinct = 0;
	for (size_t i = 0; i < n; i++)
		distinct += i == 0 || cmp_key(&t[i - 1], &t[i]) != 0;
	free(t);
	return distinct;
}

/* Distinct addresses (internal and external) of some record arrays. */
static long distinct_addrs(const struct synack_record *const *recs, const size_t *n, int arrays)
{
	size_t total = 0, k = 0;
	for (int j = 0; j < arrays; j++)
		total += 2 * n[j];
	struct test_key *t = calloc(total, sizeof(*t));
	for (int j = 0; j < arrays; j++)
		for (size_t i = 0; i < n[j]; i++) {
			t[k].family = recs[j][i].family;
			memcpy(t[k++].a, recs[j][i].saddr, 16);
			t[k].family = recs[j][i].family;
			memcpy(t[k++].a, recs[j][i].daddr, 16);
		}
	return distinct_keys(t, total);
}

/* Distinct (internal address, port, peer) of two record arrays. */
static long distinct_service_peers(const struct synack_record *a, size_t na,
                                   const struct synack_record *b, size_t nb)
{
	struct test_key *t = calloc(na + nb, sizeof(*t));
	for (size_t i = 0; i < na + nb; i++) {
		const struct synack_record *r = i < na ? &a[i] : &b[i - na];
		t[i].family = r->family;
		memcpy(t[i].a, r->saddr, 16);
		memcpy(t[i].b, r->daddr, 16);
		t[i].port = r->sport;
	}
	return distinct_keys(t, na + nb);
}

/* Rows whose address id is not in addrs (0 in a sound database). */
static long dangling_ids(sqlite3 *h)
{
	static const char *const sql[] = {
	    "SELECT count(*) FROM hourly_ids WHERE saddr_id NOT IN (SELECT id FROM addrs) "
	    "OR daddr_id NOT IN (SELECT id FROM addrs)",
	    "SELECT count(*) FROM service_peer_ids WHERE addr_id NOT IN (SELECT id FROM addrs) "
	    "OR peer_id NOT IN (SELECT id FROM addrs)",
	    "SELECT count(*) FROM daily_service_peer_ids WHERE addr_id NOT IN (SELECT id FROM "
	    "addrs) OR peer_id NOT IN (SELECT id FROM addrs)",
	    "SELECT count(*) FROM daily_peer_ids WHERE peer_id NOT IN (SELECT id FROM addrs)",
	};
	long n = 0;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		n += query_long(h, sql[i]);
	return n;
}

/* A new database at db with two batches of records, each committed, then
 * pruned at cutoff; the store stays open (NULL if it cannot be opened). */
static struct store *open_commit_prune(const char *db, const struct synack_record *a, size_t na,
                                       const struct synack_record *b, size_t nb, uint64_t cutoff)
{
	char err[512];
	struct store_options o;
	remove_db(db);
	options(&o);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return NULL;
	CHECK(store_add(s, a, na, 0) == 0);
	CHECK_EQ(store_commit(s), 0);
	CHECK(store_add(s, b, nb, 0) == 0);
	CHECK_EQ(store_commit(s), 0);
	uint64_t deleted = 0;
	CHECK_EQ(store_prune(s, cutoff, &deleted), 0);
	CHECK(deleted > 0);
	return s;
}

/*
 * Retention deletes the addresses that no row uses any more, and only
 * those: after a prune addrs holds exactly the addresses of the records
 * newer than the cutoff.  Peers whose addresses went come back later and
 * get ids again (the commit thread's cache of ids is not trusted after a
 * prune).
 */
static void test_prune_addrs(void)
{
	char db[512];
	const uint64_t hour = 1700002800; /* 2023-11-14 23:00 UTC */
	const uint64_t later = hour + 20 * 86400;
	path_in(db, sizeof(db), threaded ? "prune-addrs-thread.db" : "prune-addrs.db");
	struct synack_record *old = gen_hour(2000, hour, 300);  /* peers 0-299 */
	struct synack_record *now = gen_hour(1500, later, 100); /* peers 0-99 */
	struct synack_record *back = gen_hour(2000, later + 3600, 300);
	struct store *s = open_commit_prune(db, old, 2000, now, 1500, hour + 15 * 86400);
	if (!s)
		return;

	const struct synack_record *kept[] = {now, back};
	const size_t kept_n[] = {1500, 2000};
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK_EQ(query_long(h, "SELECT count(*) FROM addrs"), distinct_addrs(kept, kept_n, 1));
	CHECK_EQ(dangling_ids(h), 0);
	sqlite3_close(h);

	CHECK(store_add(s, back, 2000, 0) == 0); /* peers 100-299 again */
	CHECK_EQ(store_commit(s), 0);
	store_close(s);
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK_EQ(query_long(h, "SELECT count(*) FROM addrs"), distinct_addrs(kept, kept_n, 2));
	CHECK_EQ(dangling_ids(h), 0);
	/* service peers seen since the cutoff; those of the peers seen before
	 * it too keep their older first_seen and packets, so only the rows
	 * are compared */
	CHECK_EQ(query_long(h, "SELECT count(*) FROM service_peers"),
	         distinct_service_peers(now, 1500, back, 2000));
	sqlite3_close(h);
	struct synack_record *both = malloc(3500 * sizeof(*both));
	memcpy(both, now, 1500 * sizeof(*both));
	memcpy(both + 1500, back, 2000 * sizeof(*both));
	check_db_tables(db, both, 3500, 0, "after prune of addresses",
	                CHECK_HOURLY | CHECK_PAPER | CHECK_DAILY_SERVICES | CHECK_DAILY_PEERS);
	free(both);
	free(old);
	free(now);
	free(back);
}

/*
 * An address's last_day moves in steps of days (one update per address in
 * several days): used again a week later, its last_day still says the
 * first day, and a prune between the two days must keep it for the rows
 * of the second.
 */
static void test_prune_addrs_step(void)
{
	char db[512];
	const uint64_t hour = 1700002800; /* 2023-11-14 23:00 UTC */
	path_in(db, sizeof(db), "prune-step.db");
	struct synack_record *first = gen_hour(500, hour, 50);
	struct synack_record *week = gen_hour(500, hour + 7 * 86400, 50);
	store_close(open_commit_prune(db, first, 500, week, 500, hour + 6 * 86400));
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	const struct synack_record *kept[] = {week};
	const size_t kept_n[] = {500};
	CHECK_EQ(query_long(h, "SELECT count(*) FROM addrs"), distinct_addrs(kept, kept_n, 1));
	CHECK_EQ(dangling_ids(h), 0);
	CHECK_EQ(query_long(h, "SELECT count(*) FROM service_peers"),
	         distinct_service_peers(week, 500, NULL, 0));
	sqlite3_close(h);
	check_db_tables(db, week, 500, 0, "after prune, a week apart",
	                CHECK_HOURLY | CHECK_PAPER | CHECK_DAILY_SERVICES | CHECK_DAILY_PEERS);
	free(first);
	free(week);
}

/*
 * A database of schema version 2 (no addrs.last_day) is upgraded in place
 * when opened: every address counts as used after the last row's day, so
 * a prune deletes rows but none of the addresses they used.
 */
static void test_upgrade_2(void)
{
	char db[512], err[512];
	struct store_options o;
	const uint64_t hour = 1700002800;
	path_in(db, sizeof(db), "upgrade.db");
	remove_db(db);
	options(&o);
	struct synack_record *r = gen_hour(2000, hour, 300);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(store_add(s, r, 2000, 0) == 0);
	CHECK_EQ(store_commit(s), 0);
	store_close(s);
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h,
	                   "DROP INDEX addrs_last_day; ALTER TABLE addrs DROP COLUMN last_day; "
	                   "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
	                   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);

	s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	uint64_t deleted = 0;
	CHECK_EQ(store_prune(s, hour + 2 * 86400, &deleted), 0);
	CHECK(deleted > 0);
	store_close(s);
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK_EQ(query_long(h, "SELECT value FROM meta WHERE key = 'schema_version'"), 3);
	const struct synack_record *all[] = {r};
	const size_t all_n[] = {2000};
	CHECK_EQ(query_long(h, "SELECT count(*) FROM addrs"), distinct_addrs(all, all_n, 1));
	CHECK(query_long(h, "SELECT min(last_day) FROM addrs") > (long)(time(NULL) / 86400));
	CHECK_EQ(query_long(h, "SELECT count(*) FROM hourly_ids"), 0);
	sqlite3_close(h);
	free(r);
}

/* With the commit thread, a commit starts as soon as the pending rows reach
 * three quarters of max_pending, long before the flush interval or the
 * batch size, and the writer never reaches the bound. */
static void test_early_commit(void)
{
	char db[512], err[512];
	struct store_options o;
	path_in(db, sizeof(db), "early.db");
	remove_db(db);
	store_options_default(&o);
	o.max_pending = 400;
	o.flush_interval_ns = 3600 * S;
	struct synack_record *r = gen_hour(310, 1700002800, 1 << 16);
	for (int i = 0; i < 310; i++) { /* 310 distinct keys */
		r[i].daddr[2] = (uint8_t)(i >> 8);
		r[i].daddr[3] = (uint8_t)i;
	}
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(store_add(s, r, 310, 1) == 0);
	struct store_stats st;
	store_get_stats(s, &st);
	for (int i = 0; i < 5000 && st.commits == 0; i++) { /* bounded: 5 s */
		usleep(1000);
		store_get_stats(s, &st);
	}
	CHECK_EQ(st.commits, 1);
	CHECK_EQ(st.waits, 0);
	CHECK_EQ(st.max_pending_rows, 300);
	CHECK_EQ(store_tick(s, 2), 0); /* reads the result; the interval is not due */
	store_get_stats(s, &st);
	CHECK_EQ(st.pending_rows, 10);
	CHECK_EQ(st.commits, 1);
	store_close(s);
	check_db_equals(db, r, 310, 0, "early commit");
	free(r);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * S + (uint64_t)ts.tv_nsec;
}

/* The commit thread's duty cycle: with a flush interval of 1 ns and a
 * writer that never stops, a commit starts no sooner than twice the last
 * one's duration after it started, so the thread is busy about half the
 * time, not all of it. */
static void test_duty_cycle(void)
{
	char db[512], err[512];
	struct store_options o;
	enum { N = 1 << 20 };
	path_in(db, sizeof(db), "duty.db");
	remove_db(db);
	store_options_default(&o);
	o.flush_interval_ns = 1;
	struct synack_record *r = gen_hour(N, 1700002800, 2000); /* 8000 keys */
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	uint64_t t0 = mono_ns(), now = t0;
	size_t i = 0;
	while (now - t0 < 1500000000ull) { /* 1.5 s, records reused cyclically */
		CHECK(store_add(s, r + i, 256, now) == 0);
		i = (i + 256) % N;
		now = mono_ns();
		CHECK(store_tick(s, now) == 0);
	}
	struct store_stats st;
	store_get_stats(s, &st);
	double busy = (double)st.commit_ns, elapsed = (double)(now - t0);
	fprintf(stderr, "duty cycle: %llu commits, busy %.3f s of %.3f s\n",
	        (unsigned long long)st.commits, busy / 1e9, elapsed / 1e9);
	CHECK(st.commits >= 3);
	CHECK(busy <= 0.75 * elapsed);
	CHECK_EQ(store_commit(s), 0);
	store_close(s);
	free(r);
}

static void test_schema_version(void)
{
	char db[512], err[512];
	path_in(db, sizeof(db), "newer.db");
	remove_db(db);
	struct store *s = store_open(db, NULL, err, sizeof(err));
	CHECK(s != NULL);
	store_close(s);
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "UPDATE meta SET value = '99' WHERE key = 'schema_version'", NULL,
	                   NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	err[0] = 0;
	s = store_open(db, NULL, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "newer") != NULL);
	CHECK(strstr(err, "99") != NULL);
	CHECK(strstr(err, db) != NULL);
	store_close(s);

	/* a version 1 database (text addresses) is refused: rebuild it */
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "UPDATE meta SET value = '1' WHERE key = 'schema_version'", NULL,
	                   NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	err[0] = 0;
	s = store_open(db, NULL, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "older") != NULL);
	CHECK(strstr(err, "synackctl rebuild") != NULL);
	CHECK(strstr(err, db) != NULL);

	/* unopenable path: the message names it */
	s = store_open("/nonexistent-dir/x/synack.db", NULL, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "/nonexistent-dir/x/synack.db") != NULL);
}

static void test_timezone(void)
{
	char db[512], err[512];
	struct store_options o;
	struct stat sb;
	if (stat("/usr/share/zoneinfo/Asia/Kolkata", &sb) != 0) {
		fprintf(stderr, "test_timezone: no tzdata, skipped\n");
		return;
	}
	path_in(db, sizeof(db), "tz.db");
	remove_db(db);
	options(&o);
	o.timezone = "Asia/Kolkata"; /* +05:30, no DST: days split inside a UTC hour */
	o.batch_records = 100;
	struct synack_record *r = gen(3000, 1699992000ull * S, 100);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	CHECK(store_add(s, r, 3000, 0) == 0);
	store_close(s);
	check_db_equals(db, r, 3000, 19800, "Asia/Kolkata");
	/* a different zone on an existing database is refused with a clear message */
	o.timezone = "UTC";
	s = store_open(db, &o, err, sizeof(err));
	CHECK(s == NULL);
	CHECK(strstr(err, "Asia/Kolkata") != NULL);
	free(r);
}

/* Closed while another connection holds the write lock for good: the
 * records are not stored, and the close says so on stderr. */
static void test_close_locked(void)
{
	char db[512], err[512], out[600], text[1024] = "";
	struct store_options o;
	size_t n = 100;
	path_in(db, sizeof(db), threaded ? "closelock-thread.db" : "closelock.db");
	path_in(out, sizeof(out), "close.err");
	remove_db(db);
	options(&o);
	o.busy_timeout_ms = 1;
	struct synack_record *r = gen(n, 1699992000ull * S, 50);
	struct store *s = store_open(db, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	sqlite3 *other;
	CHECK(sqlite3_open(db, &other) == SQLITE_OK);
	CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE; INSERT INTO meta VALUES('x', 'y')", NULL, NULL,
	                   NULL) == SQLITE_OK);
	CHECK(store_add(s, r, n, 0) == 0);
	fflush(stderr);
	int saved = dup(2), fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	store_close(s);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(out, "r");
	if (f) {
		size_t got = fread(text, 1, sizeof(text) - 1, f);
		text[got] = '\0';
		fclose(f);
	}
	CHECK(strstr(text, "100 records not stored in the database at close") != NULL);
	CHECK(strstr(text, "locked") != NULL);
	CHECK(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
	CHECK_EQ(query_long(other, "SELECT count(*) FROM hourly_ids"), 0);
	sqlite3_close(other);
	free(r);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/test_store.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	for (int mode = 0; mode < 2; mode++) {
		threaded = mode == 1;
		test_small_exact();
		test_round_trip();
		test_bounded();
		test_busy_full();
		test_close_locked();
		test_prune_known();
		test_prune_addrs();
	}
	test_early_commit();
	test_duty_cycle();
	test_busy();
	test_busy_thread();
	test_stats_thread();
	test_chunks();
	test_schema_version();
	test_upgrade_2();
	test_prune_addrs_step();
	threaded = true;
	test_timezone(); /* last: sets TZ for the process */
	int rc = check_done("test_store");
	if (rc == 0) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	} else {
		fprintf(stderr, "databases kept in %s\n", dir);
	}
	return rc;
}
