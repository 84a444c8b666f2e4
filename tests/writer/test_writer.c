/*
 * test_writer.c - the writer glue: FTP mark -> log -> database, counters,
 * a failing log that must not stop the database, records counted as logged
 * or lost as the logs hold them when writes fail, the logs read back equal
 * to what was pushed, and a database rebuilt from the logs equal to the
 * one built live.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../store/store_check.h"
#include "check.h"
#include "log/log_reader.h"
#include "writer/writer.h"
#include "xorshift.h"

#define S 1000000000ull

static char dir[256];

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t next_rand(void)
{
	return xorshift64(&rng);
}

/* Realistic-ish stream with FTP sessions: a few internal servers (one an
 * FTP server), many clients, port-20 scans, active-mode data from internal
 * FTP clients.  Time-ordered, a few hours. */
static struct synack_record *gen(size_t n, uint64_t t0)
{
	struct synack_record *r = calloc(n, sizeof(*r));
	uint64_t t = t0;
	static const uint16_t ports[] = {22, 80, 443, 25, 3389};
	int last_ctl_peer = 0;
	for (size_t i = 0; i < n; i++) {
		struct synack_record *x = &r[i];
		t += next_rand() % (3 * S) / 1000 * 1000; /* the logs keep microseconds */
		x->time_ns = t;
		x->flags = 0x12;
		x->family = SYNACK_FAMILY_IPV4;
		x->worker = (uint8_t)(next_rand() % 4);
		int peer = (int)(next_rand() % 500);
		uint8_t d4[4] = {198, 51, (uint8_t)(peer >> 8), (uint8_t)peer};
		memcpy(x->daddr, d4, 4);
		x->dport = (uint16_t)(32768 + next_rand() % 28000);
		int kind = (int)(next_rand() % 20);
		uint8_t s4[4] = {10, 1, 0, (uint8_t)(1 + next_rand() % 5)};
		if (kind == 0) { /* FTP control on server .21 */
			s4[3] = 21;
			x->sport = 21;
			last_ctl_peer = peer;
		} else if (kind == 1) { /* passive data from .21, mostly to the last client */
			if (next_rand() % 4)
				peer = last_ctl_peer;
			d4[2] = (uint8_t)(peer >> 8);
			d4[3] = (uint8_t)peer;
			memcpy(x->daddr, d4, 4);
			s4[3] = 21;
			x->sport = (uint16_t)(50000 + next_rand() % 1000);
		} else if (kind == 2) { /* active data from an internal client */
			s4[3] = 99;
			x->sport = (uint16_t)(40000 + next_rand() % 1000);
			x->dport = 20;
		} else if (kind == 3) { /* port-20 scan answered by a low port */
			x->sport = 22;
			x->dport = 20;
		} else if (kind == 4) { /* IPv6 */
			x->family = SYNACK_FAMILY_IPV6;
			uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1};
			uint8_t d6[16] = {0x20, 0x01, 0x0d, 0xb8, 0xee};
			s6[15] = (uint8_t)(1 + next_rand() % 3);
			d6[15] = (uint8_t)peer;
			memset(s4, 0, 4);
			memcpy(x->saddr, s6, 16);
			memset(x->daddr, 0, 16);
			memcpy(x->daddr, d6, 16);
			x->sport = 443;
		} else {
			x->sport = ports[next_rand() % 5];
		}
		if (x->family == SYNACK_FAMILY_IPV4)
			memcpy(x->saddr, s4, 4);
		if (next_rand() % 10 == 0)
			x->flags = 0x52;
	}
	return r;
}

static void rm_rf(const char *p)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", p);
}

static void push_all(struct writer *w, struct synack_record *r, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t k = 1 + next_rand() % 300;
		if (k > n - i)
			k = n - i;
		CHECK(writer_push(w, r + i, k, r[i + k - 1].time_ns) == 0);
		CHECK(writer_tick(w, r[i + k - 1].time_ns) == 0);
		i += k;
	}
}

static void test_db_only(void)
{
	char d[300], db[400], err[512];
	size_t n = 20000;
	snprintf(d, sizeof(d), "%s/dbonly", dir);
	mkdir(d, 0755);
	struct writer_options o;
	writer_options_default(&o);
	o.data_dir = d;
	o.write_logs = false;
	struct writer *w = writer_open(&o, err, sizeof(err));
	CHECK(w != NULL);
	if (!w)
		return;
	struct synack_record *r = gen(n, 1700000000ull * S);
	push_all(w, r, n);
	CHECK(writer_flush(w) == 0);
	struct writer_stats st;
	writer_get_stats(w, &st);
	CHECK_EQ(st.records, n);
	CHECK_EQ(st.stored, n);
	CHECK_EQ(st.logged, 0);
	CHECK_EQ(st.log_errors, 0);
	CHECK_EQ(st.db_errors, 0);
	CHECK(st.ftp_active > 500);
	CHECK(st.ftp_passive > 100);
	uint64_t act = 0, pas = 0, scan20 = 0;
	for (size_t i = 0; i < n; i++) {
		act += r[i].ftp == SYNACK_FTP_ACTIVE;
		pas += r[i].ftp == SYNACK_FTP_PASSIVE;
		scan20 += r[i].dport == 20 && r[i].sport == 22;
		if (r[i].sport < 1024)
			CHECK(r[i].ftp == 0);
	}
	CHECK_EQ(st.ftp_active, act);
	CHECK_EQ(st.ftp_passive, pas);
	CHECK(scan20 > 0);
	CHECK(*writer_current_log(w) == '\0');
	writer_close(w);
	snprintf(db, sizeof(db), "%s/synack.db", d);
	check_db_equals(db, r, n, 0, "writer db only");
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	/* FTP data ports never become services; the port-20 scan's port 22 does */
	CHECK_EQ(query_long(h, "SELECT count(*) FROM services WHERE port BETWEEN 40000 AND 41000"),
	         0);
	CHECK_EQ(query_long(h, "SELECT count(*) FROM services WHERE addr = '10.1.0.99'"), 0);
	CHECK_EQ(query_long(h, "SELECT sum(packets) FROM ftp_data"), act + pas);
	sqlite3_close(h);
	free(r);
}

/* Reads every log under d/logs in name order. */
/* Every record of the logs below d; *cut tells whether any file has a cut
 * (a write that failed). */
static struct synack_record *read_logs_cut(const char *d, size_t *out_n, bool *cut)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "find '%s/logs' -name '*.zst' | sort", d);
	FILE *p = popen(cmd, "r");
	size_t n = 0, cap = 1024;
	struct synack_record *all = malloc(cap * sizeof(*all));
	char line[512];
	while (p && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		char err[256];
		struct log_reader *lr = log_reader_open(line, err, sizeof(err));
		CHECK(lr != NULL);
		if (!lr)
			continue;
		long got;
		for (;;) {
			if (n + 4096 > cap) {
				cap *= 2;
				all = realloc(all, cap * sizeof(*all));
			}
			got = log_reader_next(lr, all + n, 4096);
			if (got <= 0)
				break;
			n += (size_t)got;
		}
		CHECK(got == 0);
		*cut = *cut || log_reader_truncated(lr);
		log_reader_close(lr);
	}
	if (p)
		pclose(p);
	*out_n = n;
	return all;
}

static struct synack_record *read_logs(const char *d, size_t *out_n)
{
	bool cut = false;
	struct synack_record *all = read_logs_cut(d, out_n, &cut);
	CHECK(!cut);
	return all;
}

static int cmp_rec(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct synack_record));
}

static void test_logs_and_rebuild(void)
{
	char d[300], db[400], db2[400], err[512];
	size_t n = 30000;
	snprintf(d, sizeof(d), "%s/full", dir);
	mkdir(d, 0755);
	struct writer_options o;
	writer_options_default(&o);
	o.data_dir = d;
	struct writer *w = writer_open(&o, err, sizeof(err));
	CHECK(w != NULL);
	if (!w) {
		fprintf(stderr, "writer_open: %s\n", err);
		return;
	}
	struct synack_record *r = gen(n, 1700000000ull * S);
	push_all(w, r, n);
	CHECK(writer_rotate(w) == 0);
	struct writer_stats st;
	writer_get_stats(w, &st);
	CHECK_EQ(st.logged, n);
	CHECK_EQ(st.stored, n);
	CHECK(strstr(writer_current_log(w), "/logs/") != NULL);
	writer_close(w);
	snprintf(db, sizeof(db), "%s/synack.db", d);
	check_db_equals(db, r, n, 0, "writer live");

	/* the logs hold every record, marks included */
	size_t m = 0;
	struct synack_record *back = read_logs(d, &m);
	CHECK_EQ(m, n);
	if (m == n) {
		struct synack_record *a = malloc(n * sizeof(*a));
		memcpy(a, r, n * sizeof(*a));
		qsort(a, n, sizeof(*a), cmp_rec);
		qsort(back, n, sizeof(*back), cmp_rec);
		size_t diff = 0;
		for (size_t i = 0; i < n; i++) {
			if (memcmp(&a[i], &back[i], sizeof(*a)) != 0 && diff++ < 3) {
				const unsigned char *x = (const void *)&a[i],
				                    *y = (const void *)&back[i];
				fprintf(stderr, "record %zu differs:\n pushed", i);
				for (size_t j = 0; j < sizeof(*a); j++)
					fprintf(stderr, " %02x", x[j]);
				fprintf(stderr, "\n logged");
				for (size_t j = 0; j < sizeof(*a); j++)
					fprintf(stderr, " %02x", y[j]);
				fprintf(stderr, "\n");
			}
		}
		CHECK_EQ(diff, 0);
		free(a);
	}
	free(back);

	/* rebuild: the logs in order, marks cleared, through a fresh writer */
	back = read_logs(d, &m);
	for (size_t i = 0; i < m; i++)
		back[i].ftp = 0xee;
	snprintf(db2, sizeof(db2), "%s/rebuilt.db", d);
	writer_options_default(&o);
	o.data_dir = d;
	o.write_logs = false;
	o.db_path = db2;
	w = writer_open(&o, err, sizeof(err));
	CHECK(w != NULL);
	CHECK(writer_push(w, back, m, 0) == 0);
	writer_close(w);
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	char sql[600];
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS r", db2);
	CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	static const char *const tables[] = {"services",       "service_peers", "hourly",
	                                     "daily_services", "daily_peers",   "hosts",
	                                     "ftp_data"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char a[100], b[100];
		snprintf(a, sizeof(a), "SELECT * FROM main.%s", tables[i]);
		snprintf(b, sizeof(b), "SELECT * FROM r.%s", tables[i]);
		CHECK_EQ(except_count(h, a, b), 0);
		CHECK_EQ(except_count(h, b, a), 0);
	}
	sqlite3_close(h);
	free(back);
	free(r);
}

static void test_log_failure(void)
{
	char d[300], db[400], blocker[400], err[512];
	size_t n = 5000;
	snprintf(d, sizeof(d), "%s/logfail", dir);
	mkdir(d, 0755);
	snprintf(blocker, sizeof(blocker), "%s/logs", d);
	mkdir(blocker, 0755);
	/* a file where the year directory should go: every log write fails */
	snprintf(blocker, sizeof(blocker), "%s/logs/2023", d);
	FILE *f = fopen(blocker, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	struct writer_options o;
	writer_options_default(&o);
	o.data_dir = d;
	struct writer *w = writer_open(&o, err, sizeof(err));
	CHECK(w != NULL);
	if (!w)
		return;
	struct synack_record *r = gen(n, 1700000000ull * S);
	size_t failed_pushes = 0;
	for (size_t i = 0; i < n; i += 100) {
		if (writer_push(w, r + i, 100, r[i].time_ns) != 0)
			failed_pushes++;
		writer_tick(w, r[i].time_ns);
	}
	writer_flush(w);
	struct writer_stats st;
	writer_get_stats(w, &st);
	CHECK_EQ(st.records, n);
	CHECK_EQ(st.stored, n);
	CHECK(st.log_errors > 0);
	CHECK_EQ(st.logged + st.log_errors, n);
	CHECK(failed_pushes > 0);
	CHECK_EQ(st.db_errors, 0);
	CHECK(strlen(writer_error(w)) > 0);
	writer_close(w);
	snprintf(db, sizeof(db), "%s/synack.db", d);
	check_db_equals(db, r, n, 0, "log failure");
	free(r);
}

/* Records the database holds: hourly rows (services) and FTP data counts. */
static long db_records(const char *db)
{
	sqlite3 *h;
	long n = -1;
	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
		n = query_long(h, "SELECT (SELECT coalesce(sum(packets), 0) FROM hourly_ids) + "
		                  "(SELECT coalesce(sum(packets), 0) FROM ftp_data)");
	sqlite3_close(h);
	return n;
}

/* A writer with the database only, in DIR/name; the database's path in db. */
static struct writer *open_db_writer(const char *name, const struct store_options *so, char *db,
                                     size_t dblen)
{
	char d[300], err[512];
	snprintf(d, sizeof(d), "%s/%s", dir, name);
	mkdir(d, 0755);
	snprintf(db, dblen, "%s/synack.db", d);
	struct writer_options o;
	writer_options_default(&o);
	o.data_dir = d;
	o.write_logs = false;
	o.store = *so;
	struct writer *w = writer_open(&o, err, sizeof(err));
	if (!w)
		fprintf(stderr, "writer_open: %s\n", err);
	return w;
}

/* Another connection (an operator's sqlite3 shell) takes the write lock. */
static sqlite3 *hold_lock(const char *db)
{
	sqlite3 *h = NULL;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h, "BEGIN IMMEDIATE; INSERT INTO meta VALUES('lock', 'held')", NULL,
	                   NULL, NULL) == SQLITE_OK);
	return h;
}

static void release_lock(sqlite3 *h)
{
	CHECK(sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
}

/* The memory bound met while the database stays locked: the dropped
 * records are not stored; stored is what the database holds. */
static void test_dropped_not_stored(void)
{
	char db[400];
	size_t n = 400;
	struct store_options so;
	store_options_default(&so);
	so.max_pending = 32;
	so.busy_timeout_ms = 1;
	struct writer *w = open_db_writer("dropped", &so, db, sizeof(db));
	CHECK(w != NULL);
	if (!w)
		return;
	struct synack_record *r = gen(n, 1700000000ull * S);
	sqlite3 *lock = hold_lock(db);
	size_t failed = 0;
	for (size_t i = 0; i < n; i++)
		failed += writer_push(w, r + i, 1, r[i].time_ns) != 0;
	struct writer_stats st;
	writer_get_stats(w, &st);
	CHECK(failed > 0);
	CHECK_EQ(st.records, n);
	CHECK_EQ(st.stored, 0);
	CHECK(st.db_dropped > 0);
	CHECK_EQ(st.db_dropped + st.db_pending, n);
	release_lock(lock);
	CHECK_EQ(writer_flush(w), WRITER_FLUSHED);
	writer_get_stats(w, &st);
	CHECK_EQ(st.db_pending, 0);
	CHECK_EQ(st.stored + st.db_dropped, n);
	CHECK(st.stored < n);
	writer_close(w);
	CHECK_EQ(db_records(db), st.stored);
	free(r);
}

/* A flush while another connection holds the write lock says so, commits
 * nothing and counts nothing as stored; the next flush commits it all. */
static void test_flush_deferred(void)
{
	char db[400];
	size_t n = 3000;
	struct store_options so;
	store_options_default(&so);
	so.busy_timeout_ms = 5;
	struct writer *w = open_db_writer("deferred", &so, db, sizeof(db));
	CHECK(w != NULL);
	if (!w)
		return;
	struct synack_record *r = gen(n, 1700000000ull * S);
	sqlite3 *lock = hold_lock(db);
	CHECK(writer_push(w, r, n, r[n - 1].time_ns) == 0);
	CHECK_EQ(writer_flush(w), WRITER_DEFERRED);
	CHECK(strstr(writer_error(w), "locked") != NULL);
	struct writer_stats st;
	writer_get_stats(w, &st);
	CHECK_EQ(st.stored, 0);
	CHECK_EQ(st.db_pending, n);
	CHECK_EQ(st.db_dropped, 0);
	CHECK_EQ(st.db_errors, 0);
	CHECK_EQ(db_records(db), 0);
	release_lock(lock);
	CHECK_EQ(writer_flush(w), WRITER_FLUSHED);
	writer_get_stats(w, &st);
	CHECK_EQ(st.stored, n);
	CHECK_EQ(st.db_pending, 0);
	CHECK_EQ(db_records(db), n);
	writer_close(w);
	check_db_equals(db, r, n, 0, "flush deferred");
	free(r);
}

/* A timed commit fails (a trigger another connection planted aborts it)
 * and no tick reads its result before a flush: the flush's commit stores
 * everything, and the failure is counted all the same. */
static void test_error_before_flush(void)
{
	char db[400];
	size_t n = 2000;
	struct store_options so;
	store_options_default(&so);
	struct writer *w = open_db_writer("errflush", &so, db, sizeof(db));
	CHECK(w != NULL);
	if (!w)
		return;
	struct synack_record *r = gen(n, 1700000000ull * S);
	sqlite3 *h;
	CHECK(sqlite3_open(db, &h) == SQLITE_OK);
	CHECK(sqlite3_exec(h,
	                   "CREATE TRIGGER fail_hourly BEFORE INSERT ON hourly_ids "
	                   "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
	                   NULL, NULL, NULL) == SQLITE_OK);
	uint64_t now = 1000 * S;
	CHECK(writer_push(w, r, n, now) == 0);
	CHECK(writer_tick(w, now + 2 * S) == 0); /* hands the rows to the commit thread */
	struct store_stats ss;
	store_get_stats(writer_store(w), &ss);
	for (int i = 0; i < 500 && ss.errors == 0; i++) {
		usleep(10000);
		store_get_stats(writer_store(w), &ss);
	}
	CHECK_EQ(ss.errors, 1);
	CHECK(sqlite3_exec(h, "DROP TRIGGER fail_hourly", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(h);
	CHECK_EQ(writer_flush(w), WRITER_FLUSHED);
	struct writer_stats st;
	writer_get_stats(w, &st);
	CHECK_EQ(st.db_errors, 1);
	CHECK_EQ(st.stored, n);
	CHECK_EQ(st.db_pending, 0);
	CHECK_EQ(db_records(db), n);
	writer_close(w);
	free(r);
}

/* Whether every record of part[0 .. m) is one of all[0 .. n), each used at
 * most once; both are sorted on the way. */
static bool contained(struct synack_record *all, size_t n, struct synack_record *part, size_t m)
{
	size_t j = 0;

	qsort(all, n, sizeof(*all), cmp_rec);
	qsort(part, m, sizeof(*part), cmp_rec);
	for (size_t i = 0; i < m; i++, j++) {
		while (j < n && cmp_rec(&all[j], &part[i]) < 0)
			j++;
		if (j == n || cmp_rec(&all[j], &part[i]) != 0)
			return false;
	}
	return true;
}

/* Log writes that fail now and then (a file size limit standing in for a
 * full disk, in pushes and in ticks): logged is what the logs hold, and
 * log_errors the records missing from them. */
static void test_log_write_failures(void)
{
	char d[300], err[512];
	size_t n = 20000;
	struct rlimit old, lim;
	snprintf(d, sizeof(d), "%s/logcut", dir);
	mkdir(d, 0755);
	struct writer_options o;
	writer_options_default(&o);
	o.data_dir = d;
	o.write_db = false;
	struct writer *w = writer_open(&o, err, sizeof(err));
	CHECK(w != NULL);
	if (!w)
		return;
	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	struct synack_record *r = gen(n, 1700000000ull * S);
	size_t failures = 0;
	for (size_t i = 0, round = 0; i < n; round++) {
		size_t k = 1 + next_rand() % 300;
		if (k > n - i)
			k = n - i;
		lim = old;
		if (round % 4 == 1)
			lim.rlim_cur = 3000 + next_rand() % 20000;
		CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
		uint64_t now = r[i + k - 1].time_ns;
		failures += writer_push(w, r + i, k, now) != 0;
		failures += writer_tick(w, now + S) != 0;
		i += k;
	}
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	CHECK(failures > 0);
	CHECK_EQ(writer_flush(w), 0);
	struct writer_stats st;
	writer_get_stats(w, &st);
	writer_close(w);
	CHECK_EQ(st.records, n);
	CHECK_EQ(st.logged + st.log_errors, n);
	CHECK(st.log_errors > 0);

	size_t m = 0;
	bool cut = false;
	struct synack_record *back = read_logs_cut(d, &m, &cut);
	CHECK(cut);
	CHECK_EQ(m, st.logged);
	CHECK(contained(r, n, back, m));
	free(back);
	free(r);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/test_writer.XXXXXX", tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_db_only();
	test_logs_and_rebuild();
	test_log_failure();
	test_dropped_not_stored();
	test_flush_deferred();
	test_error_before_flush();
	test_log_write_failures();
	int rc = check_done("test_writer");
	if (rc == 0)
		rm_rf(dir);
	else
		fprintf(stderr, "files kept in %s\n", dir);
	return rc;
}
