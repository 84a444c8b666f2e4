/*
 * bench_writer.c - bench-writer: records/s through the writer (FTP filter,
 * hourly logs, SQLite) on one core, and database bytes per record.
 *
 *   bench-writer [--records N] [--peers P] [--dir DIR] [--month N] [--quick] [--alerts]
 *   (--alerts: the writer also feeds the alerts, as synackd does by default)
 *
 * The store commits in its own thread (the default): the writer's rate is
 * given per CPU second of the thread calling writer_push, next to the
 * commit thread's CPU, the process CPU and the wall-clock rate; the same
 * writer with the commit thread off (commits on the writer's thread) runs
 * in the same process for comparison.
 *
 * Workloads (records are generated in memory before timing starts):
 *  storm    every frame a SYN+ACK: a SYN flood / scan storm answered by a few
 *           services (4 internal services) towards P distinct peers
 *           (default 65536), at 2 M records per second of record time.
 *  month    a month-like stream at small scale: 30 days, 120 internal hosts
 *           with 2-6 services each, Zipf-like popularity, 40000 peers, ~3 %
 *           IPv6, some FTP; N records spread over the month in visits (bursts
 *           of 1-40 SYN+ACKs, mean ~7, from one service to one client within
 *           a few seconds).
 * For each: writer with logs + db, db only, logs only; and the baseline in
 * the same run: the same records inserted naively (one INSERT per record,
 * one big transaction, prepared statement) into a one-table database.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "writer/writer.h"
#include "xorshift.h"

#define S 1000000000ull

/* --alerts: feed the alerts too (synackd does by default). */
static bool with_alerts;

static uint64_t rng = 0x853c49e6748fea9bull;
static inline uint64_t next_rand(void)
{
	return xorshift64(&rng);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * S + (uint64_t)ts.tv_nsec;
}

static struct synack_record *gen_storm(size_t n, uint32_t peers)
{
	struct synack_record *r = calloc(n, sizeof(*r));
	uint64_t t0 = 1700000000ull * S;
	static const uint16_t ports[] = {80, 443};
	for (size_t i = 0; i < n; i++) {
		r[i].time_ns = t0 + i * 500; /* 2 M/s */
		r[i].family = SYNACK_FAMILY_IPV4;
		r[i].flags = 0x12;
		uint64_t x = next_rand();
		uint8_t s4[4] = {163, 209, 1, (uint8_t)(10 + (x & 1))};
		uint32_t p = (uint32_t)((x >> 8) % peers);
		uint8_t d4[4] = {(uint8_t)(1 + (p >> 24) % 223), (uint8_t)(p >> 16),
		                 (uint8_t)(p >> 8), (uint8_t)p};
		memcpy(r[i].saddr, s4, 4);
		memcpy(r[i].daddr, d4, 4);
		r[i].sport = ports[(x >> 1) & 1];
		r[i].dport = (uint16_t)(1024 + (x >> 40) % 64000);
		r[i].worker = (uint8_t)((x >> 3) & 3);
	}
	return r;
}

static struct synack_record *gen_month(size_t n)
{
	enum { HOSTS = 120, PEERS = 40000 };
	static const uint16_t ports[] = {22, 25, 53, 80, 110, 143, 443, 587, 993, 3306, 3389, 8080};
	uint16_t svc_port[HOSTS][6];
	int nsvc[HOSTS];
	for (int h = 0; h < HOSTS; h++) {
		nsvc[h] = 2 + (int)(next_rand() % 5);
		for (int k = 0; k < nsvc[h]; k++)
			svc_port[h][k] = ports[next_rand() % 12];
	}
	struct synack_record *r = calloc(n, sizeof(*r));
	uint64_t t0 = 1698796800ull * S; /* 2023-11-01 */
	uint64_t span = 30ull * 86400 * S;
	size_t i = 0;
	while (i < n) {
		/* one visit: a burst of SYN+ACKs from one service to one client (a
		 * browser opening several connections, a mail client reconnecting) */
		size_t burst = 1;
		while (burst < 40 && next_rand() % 8 != 0)
			burst++;
		double u = (double)(next_rand() % 1000000) / 1e6;
		int h = (int)(HOSTS * u * u); /* Zipf-like: few busy hosts */
		double v = (double)(next_rand() % 1000000) / 1e6;
		uint32_t p = (uint32_t)(PEERS * v * v * v); /* few heavy clients */
		uint16_t port = svc_port[h][next_rand() % (uint64_t)nsvc[h]];
		bool ftp_data = next_rand() % 200 == 0;
		uint64_t t = t0 + (uint64_t)((double)span * (double)i / (double)n) / 1000 * 1000;
		for (size_t b = 0; b < burst && i < n; b++, i++) {
			struct synack_record *x = &r[i];
			x->time_ns = t + b * (next_rand() % (2 * S) / 1000 * 1000);
			x->flags = next_rand() % 10 ? 0x12 : 0x52;
			x->sport = port;
			x->dport = (uint16_t)(32768 + next_rand() % 28000);
			if (h % 40 == 7) {
				x->family = SYNACK_FAMILY_IPV6;
				uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = (uint8_t)h};
				uint8_t d6[16] = {0x2a,
				                  0x00,
				                  0x14,
				                  0x50,
				                  [12] = (uint8_t)(p >> 24),
				                  [13] = (uint8_t)(p >> 16),
				                  [14] = (uint8_t)(p >> 8),
				                  [15] = (uint8_t)p};
				memcpy(x->saddr, s6, 16);
				memcpy(x->daddr, d6, 16);
			} else {
				x->family = SYNACK_FAMILY_IPV4;
				uint8_t s4[4] = {163, 209, (uint8_t)(h / 50),
				                 (uint8_t)(1 + h % 50)};
				uint8_t d4[4] = {(uint8_t)(20 + p % 200), (uint8_t)(p >> 8),
				                 (uint8_t)(p * 7), (uint8_t)(p >> 16)};
				memcpy(x->saddr, s4, 4);
				memcpy(x->daddr, d4, 4);
			}
			if (ftp_data) { /* active FTP data from an internal client */
				x->sport = (uint16_t)(40000 + next_rand() % 20000);
				x->dport = 20;
			}
		}
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

static long long du_bytes(const char *p)
{
	char cmd[700];
	long long b = 0;
	snprintf(cmd, sizeof(cmd), "du -sb '%s' 2>/dev/null", p);
	FILE *f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%lld", &b) != 1)
			b = 0;
		pclose(f);
	}
	return b;
}

struct result {
	double rate;       /* records per CPU second of the writer's thread */
	double proc_rate;  /* records per CPU second of the process (all threads) */
	double writer_cpu; /* CPU seconds of the writer's thread */
	double wall_rate;
	long long db_bytes, log_bytes;
	struct store_stats ss;
};

/* Push recs through a writer in batches of 256 (as the writer lcore does). */
static int run_writer(const char *base, const struct synack_record *src, size_t n, bool logs,
                      bool db, bool commit_thread, struct result *res)
{
	char d[512], err[512];
	snprintf(d, sizeof(d), "%s/w", base);
	rm_rf(d);
	mkdir(d, 0755);
	struct synack_record *r = malloc(n * sizeof(*r));
	memcpy(r, src, n * sizeof(*r));
	struct writer_options o;
	writer_options_default(&o);
	o.data_dir = d;
	o.write_logs = logs;
	o.write_db = db;
	o.alerts = with_alerts && db;
	o.alerts_opt.syslog = false;
	o.store.commit_thread = commit_thread;
	struct writer *w = writer_open(&o, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "bench-writer: %s\n", err);
		free(r);
		return -1;
	}
	double t0 = now_s(), c0 = cpu_s(), w0 = thread_cpu_s();
	for (size_t i = 0; i < n; i += 256) {
		size_t k = n - i < 256 ? n - i : 256;
		uint64_t now = wall_ns();
		writer_push(w, r + i, k, now);
		writer_tick(w, now);
	}
	writer_flush(w);
	res->writer_cpu = thread_cpu_s() - w0;
	if (db)
		store_get_stats(writer_store(w), &res->ss);
	writer_close(w);
	double el = now_s() - t0;
	res->rate = (double)n / res->writer_cpu;
	res->proc_rate = (double)n / (cpu_s() - c0);
	res->wall_rate = (double)n / el;
	char p[600];
	snprintf(p, sizeof(p), "%s/synack.db", d);
	res->db_bytes = db ? du_bytes(p) : 0;
	snprintf(p, sizeof(p), "%s/logs", d);
	res->log_bytes = logs ? du_bytes(p) : 0;
	free(r);
	return 0;
}

/* The naive way: one INSERT per record into one table, one transaction. */
static double run_naive(const char *base, const struct synack_record *r, size_t n, long long *bytes)
{
	char p[600];
	sqlite3 *db;
	sqlite3_stmt *st;
	snprintf(p, sizeof(p), "%s/naive.db", base);
	unlink(p);
	double t0 = cpu_s();
	sqlite3_open(p, &db);
	sqlite3_exec(db,
	             "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
	             "CREATE TABLE syn(t INTEGER, saddr TEXT, sport INTEGER, daddr TEXT, "
	             "dport INTEGER, flags INTEGER)",
	             NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO syn VALUES(?1,?2,?3,?4,?5,?6)", -1, &st, NULL);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
		int af = r[i].family == SYNACK_FAMILY_IPV6 ? AF_INET6 : AF_INET;
		inet_ntop(af, r[i].saddr, a, sizeof(a));
		inet_ntop(af, r[i].daddr, b, sizeof(b));
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(r[i].time_ns / S));
		sqlite3_bind_text(st, 2, a, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 3, r[i].sport);
		sqlite3_bind_text(st, 4, b, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 5, r[i].dport);
		sqlite3_bind_int(st, 6, r[i].flags);
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(st);
	sqlite3_close(db);
	double el = cpu_s() - t0;
	*bytes = du_bytes(p);
	unlink(p);
	return (double)n / el;
}

static void print_store(const char *label, const struct result *x, size_t n)
{
	printf("  %s: commits %llu, SQL statements %llu (%.3f per record), %.2f s in commits, "
	       "commit CPU %.2f s; pending rows max %llu, writer waits %llu (%.3f s), "
	       "dropped %llu\n",
	       label, (unsigned long long)x->ss.commits, (unsigned long long)x->ss.statements,
	       (double)x->ss.statements / (double)n, (double)x->ss.commit_ns / 1e9,
	       (double)x->ss.commit_cpu_ns / 1e9, (unsigned long long)x->ss.max_pending_rows,
	       (unsigned long long)x->ss.waits, (double)x->ss.wait_ns / 1e9,
	       (unsigned long long)x->ss.dropped);
}

static void workload(const char *name, const char *base, const struct synack_record *r, size_t n)
{
	struct result full, dbo, lgo, sync;
	long long naive_bytes = 0;
	memset(&full, 0, sizeof(full));
	memset(&dbo, 0, sizeof(dbo));
	memset(&lgo, 0, sizeof(lgo));
	memset(&sync, 0, sizeof(sync));
	if (run_writer(base, r, n, true, true, true, &full) ||
	    run_writer(base, r, n, false, true, true, &dbo) ||
	    run_writer(base, r, n, true, false, true, &lgo) ||
	    run_writer(base, r, n, true, true, false, &sync))
		return;
	double naive = run_naive(base, r, n, &naive_bytes);
	printf("%s: %zu records (rates per CPU second of the writer's thread; process CPU and "
	       "wall-clock rates in brackets)\n",
	       name, n);
	printf("  writer (FTP + logs + SQLite):  %10.0f records/s  (%.2f x naive) "
	       "[%.0f/s process CPU, %.0f/s wall; writer %.2f CPU s]\n",
	       full.rate, full.rate / naive, full.proc_rate, full.wall_rate, full.writer_cpu);
	printf("  writer, SQLite only:           %10.0f records/s  (%.2f x naive) "
	       "[%.0f/s process CPU, %.0f/s wall]\n",
	       dbo.rate, dbo.rate / naive, dbo.proc_rate, dbo.wall_rate);
	printf("  writer, logs only:             %10.0f records/s\n", lgo.rate);
	printf("  writer, commits on its thread: %10.0f records/s  (%.2f x naive) "
	       "[%.0f/s wall]\n",
	       sync.rate, sync.rate / naive, sync.wall_rate);
	printf("  naive (1 INSERT/record, 1 tx): %10.0f records/s\n", naive);
	print_store("commit thread", &full, n);
	print_store("commits on the writer", &sync, n);
	printf("  database %lld bytes = %.2f bytes/record; logs %lld bytes = %.2f bytes/record; "
	       "naive table %.2f bytes/record\n",
	       full.db_bytes, (double)full.db_bytes / (double)n, full.log_bytes,
	       (double)full.log_bytes / (double)n, (double)naive_bytes / (double)n);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	size_t storm_n = 4000000, month_n = 1000000;
	uint32_t peers = 0; /* 0: both 4096 and 65536 */
	const char *dir = NULL;
	static const struct option options[] = {
	    {"records", required_argument, NULL, 'n'},
	    {"month", required_argument, NULL, 'm'},
	    {"peers", required_argument, NULL, 'p'},
	    {"dir", required_argument, NULL, 'd'},
	    {"quick", no_argument, NULL, 'q'},
	    {"alerts", no_argument, NULL, 'a'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "n:m:p:d:qa", options, NULL)) != -1) {
		switch (c) {
		case 'n':
			storm_n = strtoull(optarg, NULL, 10);
			break;
		case 'm':
			month_n = strtoull(optarg, NULL, 10);
			break;
		case 'p':
			peers = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'a':
			with_alerts = true;
			break;
		case 'q':
			storm_n = 500000;
			month_n = 100000;
			break;
		default:
			fprintf(stderr, "usage: bench-writer [--records N] [--peers P] [--month N] "
			                "[--dir DIR] [--quick] [--alerts]\n");
			return 64;
		}
	}
	char base[512];
	snprintf(base, sizeof(base), "%s/bench-writer.XXXXXX", dir ? dir : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	printf("bench-writer: data in %s\n", base);
	static const uint32_t default_peers[] = {4096, 65536};
	for (int k = 0; k < 2; k++) {
		uint32_t p = peers ? peers : default_peers[k];
		struct synack_record *sr = gen_storm(storm_n, p);
		char name[128];
		snprintf(name, sizeof(name), "storm (4 services, %u peers, 2 M/s of record time)",
		         p);
		workload(name, base, sr, storm_n);
		free(sr);
		if (peers)
			break;
	}
	struct synack_record *r = gen_month(month_n);
	workload("month (30 days, 120 hosts, 40000 peers)", base, r, month_n);
	free(r);
	rm_rf(base);
	return 0;
}
