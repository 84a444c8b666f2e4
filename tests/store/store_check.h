/*
 * store_check.h - compares a synack.db with expectations computed from the
 * records a test generated: the records go into a TEMP table of a separate
 * connection and plain GROUP BY queries give every table's expected rows.
 * Shared by tests/store and tests/writer.
 */
#ifndef SYNACK_TESTS_STORE_CHECK_H
#define SYNACK_TESTS_STORE_CHECK_H

#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "record.h"

static inline void rec_addr_text(const struct synack_record *r, const uint8_t *a, char *out)
{
	inet_ntop(r->family == SYNACK_FAMILY_IPV6 ? AF_INET6 : AF_INET, a, out, INET6_ADDRSTRLEN);
}

/* Number of rows of "(a) EXCEPT (b)". */
static inline long except_count(sqlite3 *db, const char *a, const char *b)
{
	char sql[4096];
	sqlite3_stmt *st;
	long n = -1;
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (%s EXCEPT %s)", a, b);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "prepare failed: %s\n  %s\n", sqlite3_errmsg(db), sql);
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static inline long query_long(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "prepare failed: %s\n  %s\n", sqlite3_errmsg(db), sql);
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Tables compared by check_db_tables (a mask of them). */
enum {
	CHECK_HOURLY = 1 << 0,
	CHECK_PAPER = 1 << 1,
	CHECK_SERVICES = 1 << 2,
	CHECK_SERVICE_PEERS = 1 << 3,
	CHECK_DAILY_SERVICES = 1 << 4,
	CHECK_DAILY_PEERS = 1 << 5,
	CHECK_HOSTS = 1 << 6,
	CHECK_FTP = 1 << 7,
	CHECK_ALL = 0xff,
};

/* tz_offset_s: fixed offset of the store's days (0 for UTC). */
static inline void check_db_tables(const char *db_path, const struct synack_record *recs, size_t n,
                                   long tz_offset_s, const char *label, unsigned tables)
{
	sqlite3 *db;
	sqlite3_stmt *ins;
	char a[64], b[64];

	CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
	                   "CREATE TEMP TABLE raw(t INTEGER, day TEXT, saddr TEXT, "
	                   "sport INTEGER, daddr TEXT, ftp INTEGER)",
	                   NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(
	          db,
	          "INSERT INTO temp.raw VALUES(?1, date(?1 + ?2, 'unixepoch'), ?3, ?4, "
	          "?5, ?6)",
	          -1, &ins, NULL) == SQLITE_OK);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		rec_addr_text(&recs[i], recs[i].saddr, a);
		rec_addr_text(&recs[i], recs[i].daddr, b);
		sqlite3_bind_int64(ins, 1, (sqlite3_int64)(recs[i].time_ns / 1000000000ull));
		sqlite3_bind_int64(ins, 2, tz_offset_s);
		sqlite3_bind_text(ins, 3, a, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, 4, recs[i].sport);
		sqlite3_bind_text(ins, 5, b, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(ins, 6, recs[i].ftp);
		CHECK(sqlite3_step(ins) == SQLITE_DONE);
		sqlite3_reset(ins);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_finalize(ins);

	static const char *const pairs[][2] = {
	    {"SELECT hour, saddr, sport, daddr, packets FROM hourly",
	     "SELECT t - t % 3600, saddr, sport, daddr, count(*) FROM raw WHERE ftp = 0 "
	     "GROUP BY 1, 2, 3, 4"},
	    {"SELECT date, hour, saddr, sport, daddr, dport, packets FROM paper",
	     "SELECT date(t, 'unixepoch'), CAST(strftime('%H', t, 'unixepoch') AS INTEGER), "
	     "saddr, sport, daddr, NULL, count(*) FROM raw WHERE ftp = 0 GROUP BY 1, 2, 3, 4, 5"},
	    {"SELECT addr, port, first_seen, last_seen, packets, peers, days_seen FROM services",
	     "SELECT saddr, sport, min(t), max(t), count(*), count(DISTINCT daddr), "
	     "count(DISTINCT day) FROM raw WHERE ftp = 0 GROUP BY saddr, sport"},
	    {"SELECT addr, port, peer, first_seen, last_seen, packets FROM service_peers",
	     "SELECT saddr, sport, daddr, min(t), max(t), count(*) FROM raw WHERE ftp = 0 "
	     "GROUP BY saddr, sport, daddr"},
	    {"SELECT day, addr, port, packets, peers FROM daily_services",
	     "SELECT day, saddr, sport, count(*), count(DISTINCT daddr) FROM raw WHERE ftp = 0 "
	     "GROUP BY day, saddr, sport"},
	    {"SELECT day, peer, packets, services, hosts FROM daily_peers",
	     "SELECT day, daddr, count(*), count(DISTINCT saddr || '/' || sport), "
	     "count(DISTINCT saddr) FROM raw WHERE ftp = 0 GROUP BY day, daddr"},
	    {"SELECT addr, first_seen, last_seen, ports, packets FROM hosts",
	     "SELECT saddr, min(t), max(t), count(DISTINCT sport), count(*) FROM raw "
	     "WHERE ftp = 0 GROUP BY saddr"},
	    {"SELECT day, mode, packets FROM ftp_data",
	     "SELECT day, CASE ftp WHEN 1 THEN 'active' ELSE 'passive' END, count(*) FROM raw "
	     "WHERE ftp <> 0 GROUP BY 1, 2"},
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (!(tables & (1u << i)))
			continue;
		long extra = except_count(db, pairs[i][0], pairs[i][1]);
		long missing = except_count(db, pairs[i][1], pairs[i][0]);
		if (extra != 0 || missing != 0)
			fprintf(stderr,
			        "%s: table query '%.60s...': %ld rows not expected, %ld missing\n",
			        label, pairs[i][0], extra, missing);
		CHECK(extra == 0);
		CHECK(missing == 0);
	}
	sqlite3_stmt *ic;
	CHECK(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &ic, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(ic) == SQLITE_ROW);
	CHECK(strcmp((const char *)sqlite3_column_text(ic, 0), "ok") == 0);
	sqlite3_finalize(ic);
	sqlite3_close(db);
}

static inline void check_db_equals(const char *db_path, const struct synack_record *recs, size_t n,
                                   long tz_offset_s, const char *label)
{
	check_db_tables(db_path, recs, n, tz_offset_s, label, CHECK_ALL);
}

#endif
