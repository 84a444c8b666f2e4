/*
 * store_int.h - the two halves of the store and what passes between them.
 *
 * The front half (store.c) runs on the writer lcore: it only aggregates
 * records into an in-memory map.  The back half (store_commit.c) owns the
 * SQLite connection: it takes a frozen map, merges it into the rows it
 * keeps (rows a failed or capped commit left, and the known keys of the
 * last commits) and writes them in one transaction.  With the commit
 * thread on, the back half runs in that thread; otherwise in the caller.
 */
#ifndef SYNACK_STORE_INT_H
#define SYNACK_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/agg_map.h"
#include "store/store.h"

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
	ST_ADDR_GET,
	ST_ADDR_PUT,
	ST_COUNT
};

/* What the back half is asked to do. */
enum store_job_kind {
	JOB_COMMIT, /* merge the hand-over map, write the rows */
	JOB_FULL,   /* the same, all rows; on a lock wait longer, then drop (memory bound) */
	JOB_PRUNE,  /* delete rows older than the cutoff */
	JOB_STOP,   /* leave the commit thread */
};

struct store_job {
	enum store_job_kind kind;
	uint32_t cap;        /* rows for this commit, 0 = all */
	uint64_t cutoff;     /* JOB_PRUNE: Unix seconds */
	struct agg_map *in;  /* JOB_COMMIT/JOB_FULL: rows handed over (emptied) */
	uint64_t in_records; /* records behind them */
};

/* What the back half reports when a job is done. */
struct store_result {
	int rc;                    /* SQLITE_OK, SQLITE_BUSY/LOCKED, or another error */
	uint32_t retained_rows;    /* rows still to write (a failure, a capped commit) */
	uint64_t retained_records; /* records behind them */
	uint64_t deleted;          /* JOB_PRUNE */
	uint64_t took_ns;          /* duration of the job */
};

/* The back half: touched only by the thread that runs the jobs. */
struct store_back {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	const char *path;
	int busy_timeout_ms;
	size_t max_pending;

	struct agg_map rows; /* rows to write, and known keys (packets 0) */
	uint32_t active;     /* rows with packets */
	uint64_t active_records;
	uint32_t *order; /* active rows in key order */
	uint32_t order_n, order_cap, done_n;
	struct agg_map svc, host, dsvc, dpeer; /* derived rows of one commit */
	struct agg_map addr_ids; /* address -> addrs.id (value n1), at most max_pending */

	/* counters, read by the front half under the store's mutex */
	uint64_t commits, busy, errors, dropped, statements, commit_ns, cpu_ns;
	char err[4608];
};

void store_back_init(struct store_back *b);
void store_back_free(struct store_back *b); /* finalizes statements, closes */
int store_back_prepare(struct store_back *b);
void store_back_run(struct store_back *b, const struct store_job *job, struct store_result *res);

#endif
