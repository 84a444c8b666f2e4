/*
 * test_guard.c - the writer's disk guard and retention.
 *
 *   test_guard guard DIR      DIR is a small filesystem of its own (the
 *                             wrapper mounts a tmpfs): filling it below the
 *                             threshold pauses the logs, the database and
 *                             the counters go on, freeing it resumes them.
 *   test_guard retention DIR  logs and database rows older than the
 *                             retention periods go; the inventory stays.
 *
 * Expected numbers come from what the test pushes, never from the writer.
 */
#include <fcntl.h>
#include <glob.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "log/log_reader.h"
#include "writer/writer.h"

#define SEC 1000000000ull

/* One SYN+ACK from 198.18.0.<host>:<port> to 198.19.<peer>. */
static struct synack_record make(uint64_t t_ns, int host, int port, int peer)
{
	struct synack_record r;
	memset(&r, 0, sizeof(r));
	r.time_ns = t_ns;
	r.family = SYNACK_FAMILY_IPV4;
	r.saddr[0] = 198, r.saddr[1] = 18, r.saddr[3] = (uint8_t)host;
	r.daddr[0] = 198, r.daddr[1] = 19, r.daddr[2] = (uint8_t)(peer >> 8);
	r.daddr[3] = (uint8_t)peer;
	r.sport = (uint16_t)port;
	r.dport = (uint16_t)(40000 + peer);
	r.flags = 0x012;
	return r;
}

static size_t count_log_records(const char *dir)
{
	char pattern[512];
	glob_t g;
	size_t total = 0;
	struct synack_record buf[256];

	snprintf(pattern, sizeof(pattern), "%s/logs/*/*/*/*.zst", dir);
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char err[256];
		struct log_reader *r = log_reader_open(g.gl_pathv[i], err, sizeof(err));
		long n;
		if (!r)
			continue;
		while ((n = log_reader_next(r, buf, 256)) > 0)
			total += (size_t)n;
		log_reader_close(r);
	}
	globfree(&g);
	return total;
}

static long long query_int(const char *dir, const char *sql)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/synack.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Write a filler file until the filesystem has less than `leave` bytes free. */
static int fill(const char *path, size_t bytes)
{
	static char block[65536];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	for (size_t done = 0; done < bytes; done += sizeof(block))
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block))
			break;
	close(fd);
	return 0;
}

static void push(struct writer *w, uint64_t t0, int n, int first_peer)
{
	struct synack_record r[64];
	for (int done = 0; done < n;) {
		int k = n - done < 64 ? n - done : 64;
		for (int i = 0; i < k; i++)
			r[i] = make(t0 + (uint64_t)(done + i) * 1000, 1 + (done + i) % 5, 443,
			            first_peer + done + i);
		writer_push(w, r, (size_t)k, t0);
		done += k;
	}
}

static void test_guard(const char *dir)
{
	struct writer_options o;
	struct writer_stats st;
	char err[512], filler[512];
	uint64_t t0 = 1700000000ull * SEC;

	writer_options_default(&o);
	o.data_dir = dir;
	o.min_free_bytes = 8u << 20; /* the tmpfs is 24 MiB */
	struct writer *w = writer_open(&o, err, sizeof(err));
	CHECK(w != NULL);
	if (!w) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	writer_tick(w, t0);
	push(w, t0, 1000, 0);
	writer_flush(w);
	writer_get_stats(w, &st);
	CHECK_EQ(st.disk_low, 0);
	CHECK_EQ(st.logged, 1000);

	/* Leave about 4 MiB free: below the 8 MiB threshold. */
	snprintf(filler, sizeof(filler), "%s/filler", dir);
	fill(filler, 20u << 20);
	writer_tick(w, t0 + 10 * SEC);
	writer_get_stats(w, &st);
	CHECK_EQ(st.disk_low, 1);
	CHECK_EQ(st.disk_low_events, 1);
	push(w, t0 + 11 * SEC, 500, 1000);
	writer_flush(w);
	writer_get_stats(w, &st);
	CHECK_EQ(st.log_paused, 500);
	CHECK_EQ(st.logged, 1000);
	CHECK_EQ(st.stored, 1500);

	/* Space returns: logging resumes by itself at the next check. */
	unlink(filler);
	writer_tick(w, t0 + 20 * SEC);
	writer_get_stats(w, &st);
	CHECK_EQ(st.disk_low, 0);
	push(w, t0 + 21 * SEC, 300, 1500);
	writer_close(w);

	CHECK_EQ(count_log_records(dir), 1300);
	CHECK_EQ(query_int(dir, "SELECT sum(packets) FROM services"), 1800);
	CHECK_EQ(query_int(dir, "SELECT count(*) FROM service_peers"), 1800);
}

static void test_retention(const char *dir)
{
	struct writer_options o;
	struct writer_stats st;
	char err[512];
	uint64_t day = 86400 * SEC;
	uint64_t t0 = 1700006400ull * SEC; /* 2023-11-15 00:00 UTC */

	/* Ten days of records, one hour each day, through a writer that keeps
	 * everything. */
	writer_options_default(&o);
	o.data_dir = dir;
	struct writer *w = writer_open(&o, err, sizeof(err));
	CHECK(w != NULL);
	if (!w)
		return;
	for (int d = 0; d < 10; d++)
		push(w, t0 + (uint64_t)d * day + 3600 * SEC, 100, d * 100);
	writer_close(w);
	CHECK_EQ(count_log_records(dir), 1000);

	/* Now it is day 12: keep 5 days of logs and 3 days of rows. */
	o.log_retention_days = 5;
	o.db_retention_days = 3;
	w = writer_open(&o, err, sizeof(err));
	CHECK(w != NULL);
	if (!w)
		return;
	writer_tick(w, t0 + 12 * day);
	writer_get_stats(w, &st);
	writer_close(w);
	/* Cutoff for logs: day 7 00:00; the hours of days 7, 8, 9 stay. */
	CHECK_EQ(st.pruned_files, 7);
	CHECK_EQ(count_log_records(dir), 300);
	/* Cutoff for rows: day 9 00:00; only day 9's rows stay. */
	CHECK_EQ(query_int(dir, "SELECT count(*) FROM daily_services"), 5);
	CHECK_EQ(query_int(dir, "SELECT sum(packets) FROM hourly"), 100);
	/* The inventory is history: all 1000 packets of the 5 services. */
	CHECK_EQ(query_int(dir, "SELECT count(*) FROM services"), 5);
	CHECK_EQ(query_int(dir, "SELECT sum(packets) FROM services"), 1000);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: test_guard guard|retention DIR\n");
		return 2;
	}
	if (strcmp(argv[1], "guard") == 0)
		test_guard(argv[2]);
	else
		test_retention(argv[2]);
	return check_done(argv[1]);
}
