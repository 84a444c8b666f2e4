/*
 * store.h - the SQLite database (DATA/synack.db): inventory of services,
 * the paper's hourly view and daily roll-ups.  Schema in doc/schema.md.
 *
 * Rows are batched: records are aggregated in memory (bounded) and written
 * in one transaction per flush interval or per batch size.  WAL mode.
 * By default a commit thread owned by the store runs the transactions from
 * a frozen copy of the aggregates, so the caller (the writer lcore) only
 * aggregates; while a commit runs the caller keeps aggregating, and at the
 * memory bound max_pending it waits for the commit thread (counted).  The
 * thread's commits are paced: at most one per flush interval, and none
 * sooner than twice the last one's duration after it started (the thread
 * works at most about half the time), earlier only at three quarters of
 * max_pending and on store_commit, store_close and store_prune.
 * Without the thread the caller commits itself: under load the interval
 * stretches to 3x the duration of the last commit (the writer spends at
 * most ~25 % of its time in SQLite).  One caller thread per store.
 */
#ifndef SYNACK_STORE_H
#define SYNACK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct store_options {
	uint64_t flush_interval_ns; /* default 1 s */
	size_t batch_records;       /* commit after this many records, once they are at
	                               least 4 per pending row; default 1000000 */
	size_t max_pending;         /* bound on aggregated rows in memory; default 1<<20 */
	const char *timezone;       /* for daily roll-ups; NULL or "UTC" default */
	uint32_t sensor_id;         /* recorded in meta when the database is created */
	int busy_timeout_ms;        /* wait for a lock at each commit; default 20 ms */
	size_t max_commit_rows;     /* rows per timed commit (bounds the pause of the
	                               writer); a backlog is written in chunks of
	                               max(this, backlog / 8); 0 = all; default 16384.
	                               store_commit, store_close and the memory bound
	                               write everything.  Without the commit thread only. */
	bool commit_thread;         /* commit in a thread of the store (created by
	                               store_open, inheriting its CPU affinity);
	                               default true */
};

void store_options_default(struct store_options *opt);

struct store;

struct store *store_open(const char *db_path, const struct store_options *opt, char *err,
                         size_t errlen);

/* Add records; FTP-data records (rec->ftp != 0) are counted but never
 * become services. */
int store_add(struct store *s, const struct synack_record *recs, size_t n, uint64_t now_ns);
int store_tick(struct store *s, uint64_t now_ns); /* commits when due */
int store_commit(struct store *s);                /* commit now */
/* With a commit thread: hand everything pending to it and return at once,
 * so that other work overlaps the commit; the next store_commit() waits
 * for it and reports.  Without one: nothing (store_commit() does it all).
 * The result of an earlier commit that it reads is counted in
 * store_counts (errors, stored, dropped). */
void store_commit_start(struct store *s);
/* store_add, store_tick and store_commit return 0 when done (or nothing to
 * do), 1 when the commit was deferred because another connection holds the
 * write lock (SQLITE_BUSY: the aggregates stay in memory and the next tick
 * retries), -1 on an error (store_error tells; the aggregates stay too,
 * unless out of memory or at the memory bound: store_counts.dropped).
 * store_commit's result is that of the last commit it waited for: 0 means
 * everything added before the call is committed. */

struct store_stats {
	uint64_t records;          /* records added (FTP data included) */
	uint64_t ftp_records;      /* of which FTP data */
	uint64_t commits;          /* successful transactions */
	uint64_t busy;             /* commits deferred by SQLITE_BUSY */
	uint64_t errors;           /* failed commits (not busy) */
	uint64_t stored;           /* records in committed rows (as store_counts) */
	uint64_t dropped;          /* records whose aggregates were dropped (out of memory, or
	                              the memory bound hit while the database stayed
	                              unavailable; still in the logs) */
	uint64_t pending_rows;     /* aggregated rows in memory now */
	uint64_t pending_records;  /* records behind them */
	uint64_t statements;       /* SQL statements executed by commits */
	uint64_t commit_ns;        /* time spent in commits (monotonic) */
	uint64_t commit_cpu_ns;    /* CPU time of the thread running the commits in them */
	uint64_t waits;            /* times the caller waited for the commit thread at the
	                              memory bound */
	uint64_t wait_ns;          /* time spent in those waits (monotonic) */
	uint64_t max_pending_rows; /* highest pending_rows at a hand-over */
};
void store_get_stats(const struct store *s, struct store_stats *st);

/* What became of the records added, as the caller's thread last learned it
 * from the commits' results (no lock: cheap enough per batch).  At every
 * moment records added = stored + dropped + pending. */
struct store_counts {
	uint64_t stored;  /* in rows of committed transactions */
	uint64_t dropped; /* aggregates dropped, never to be committed: out of memory,
	                     or the memory bound hit while the database stayed
	                     unavailable (still in the logs: synackctl rebuild) */
	uint64_t pending; /* aggregated and not committed yet (in memory) */
	uint64_t errors;  /* failed commits, each counted once when its result is read
	                     (by any call, store_commit_start included), and calls of
	                     store_add that ran out of memory */
};
void store_get_counts(const struct store *s, struct store_counts *c);

/* Schema version this code writes (doc/schema.md). */
#define STORE_SCHEMA_VERSION 3
const char *store_error(const struct store *s);

/* Delete hourly, daily and per-peer rows older than cutoff (Unix seconds),
 * then the addresses no row uses any more; services and hosts stay.
 * Returns 0 or -1; *deleted gets the row count, addresses included. */
int store_prune(struct store *s, uint64_t cutoff_unix, uint64_t *deleted);
/* Commits what is pending; records it cannot store (the database stays
 * locked or fails) are dropped and reported on stderr.  NULL ok. */
void store_close(struct store *s);

#endif /* SYNACK_STORE_H */
