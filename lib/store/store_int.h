/*
 * store_int.h - the two halves of the store and what passes between them.
 *
 * The front half (store.c) runs on the writer lcore: it only aggregates
 * records into an in-memory map.  The back half (store_commit.c) owns the
 * SQLite connection: it takes a frozen map, merges it into the rows it
 * keeps (rows a failed or capped commit left, and the known keys of the
 * last commits) and writes them in one transaction (store_rows.c).  With
 * the commit thread on, the back half runs in that thread; otherwise in the
 * caller.
 */
#ifndef SYNACK_STORE_INT_H
#define SYNACK_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/agg_map.h"
#include "store/key_sort.h"
#include "store/store.h"

enum {
	ST_HOURLY,      /* one hourly row (UPSERT) */
	ST_HOURLY_MANY, /* STORE_BATCH hourly rows in one UPSERT */
	ST_PEER,        /* one service peer (UPSERT) */
	ST_PEER_MANY,   /* STORE_BATCH service peers in one UPSERT */
	ST_PEER_INSERT, /* one service peer that may be new (INSERT OR IGNORE) */
	ST_PEER_ADD,    /* one service peer that exists (UPDATE) */
	ST_DSP_INSERT,  /* one daily-set row (INSERT OR IGNORE) */
	ST_DSP_MANY,    /* STORE_BATCH daily-set rows in one INSERT OR IGNORE */
	ST_DSP_OTHER_PORT,
	ST_DAILY_SVC,
	ST_DAILY_PEER,      /* one peer-day row (UPSERT) */
	ST_DAILY_PEER_MANY, /* STORE_BATCH peer-day rows in one UPSERT */
	ST_SERVICE,
	ST_HOST,
	ST_FTP,
	ST_ADDR_GET,
	ST_ADDR_PUT,
	ST_ADDR_SEEN,
	ST_ADDR_MAX,
	ST_COUNT
};

/* Rows per multi-row statement: one statement's overhead (a VDBE run, its
 * cursors, a step and a reset) is shared by that many B-tree writes. */
enum { STORE_BATCH = 32 };

/* agg_val.n3 of a row in the back half: its rows in hourly_ids,
 * service_peer_ids and daily_service_peer_ids exist (committed before). */
enum { ROW_KNOWN = 1 };

/* addrs.last_day is raised only when a row is this many days or more past
 * it (one update per address in that many days, not one a day): every row
 * that uses an address is of a day before last_day + ADDR_DAY_STEP. */
enum { ADDR_DAY_STEP = 8 };

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
	uint64_t stored_records;   /* records behind the rows this job committed */
	uint64_t dropped_records;  /* records whose rows this job dropped */
	uint64_t deleted;          /* JOB_PRUNE */
	uint64_t took_ns;          /* duration of the job */
};

/* Values of up to STORE_BATCH rows waiting for a multi-row statement. */
struct store_batch {
	int many, one; /* ST_* of the multi-row statement and of its one-row twin */
	int cols;      /* parameters per row */
	int n;         /* rows waiting */
	int64_t v[STORE_BATCH][6];
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
	uint32_t *order; /* active rows in hourly_ids key order */
	uint32_t order_n, order_cap, done_n;
	struct key_item *items, *items_tmp; /* rows with a packed key, for the sorts */
	uint32_t items_n;                   /* items of the table being written */
	int64_t first_new_id; /* addrs ids from here on were inserted by this commit */
	struct agg_map svc, host, dsvc, dpeer; /* derived rows of one commit */
	struct agg_map addr_ids; /* address -> addrs.id (n1), last_day (n2); at most max_pending */
	struct store_batch batch;

	/* counters, read by the front half under the store's mutex */
	uint64_t commits, busy, errors, dropped, statements, commit_ns, cpu_ns;
	uint64_t stored_records; /* records behind the rows committed */
	char err[4608];
};

void store_back_init(struct store_back *b);
void store_back_free(struct store_back *b); /* finalizes statements, closes */
int store_back_prepare(struct store_back *b);
void store_back_run(struct store_back *b, const struct store_job *job, struct store_result *res);

/* store_rows.c: the rows b->order[0..lim) of a commit (ids resolved, in key
 * order) and the derived tables, inside the open transaction.  Returns
 * SQLITE_OK or the error. */
int store_rows_write(struct store_back *b, uint32_t lim);

/* Helpers shared by the back half's files. */
static inline bool store_step_ok(int rc)
{
	return rc == SQLITE_DONE || rc == SQLITE_ROW;
}
int store_run(struct store_back *b, sqlite3_stmt *st, int64_t *ret);
size_t store_addr_text(uint8_t family, const uint8_t *a, char *out);

#endif
