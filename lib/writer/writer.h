/*
 * writer.h - what the writer lcore does with records: FTP marking, the
 * hourly logs and the database, in that order.  One object, one thread.
 */
#ifndef SYNACK_WRITER_H
#define SYNACK_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/alerts.h"
#include "ftp/ftp_filter.h"
#include "log/log_writer.h"
#include "record.h"
#include "store/store.h"

struct writer_options {
	const char *data_dir;
	bool write_logs; /* default true */
	bool write_db;   /* default true */
	struct log_options log;
	struct store_options store;
	struct ftp_options ftp;
	const char *db_path; /* NULL: DATA/synack.db (rebuild writes elsewhere) */
	bool alerts;         /* events on new services (doc/alerts.md); default false */
	struct alerts_options alerts_opt;
	unsigned log_retention_days; /* delete logs older than this; 0 = keep (default) */
	unsigned db_retention_days;  /* delete hourly/daily rows older; 0 = keep (default) */
	uint64_t min_free_bytes;     /* disk guard: below this free space on the data
	                                dir, logs pause (database and counters go
	                                on); 0 = off (default) */
};

void writer_options_default(struct writer_options *opt);

struct writer_stats {
	uint64_t records;         /* records handed to the writer */
	uint64_t logged;          /* records written to the logs (or in a block
	                             written at the next flush) */
	uint64_t stored;          /* records committed to the database (write_db) */
	uint64_t db_dropped;      /* records the database will never hold: out of memory,
	                             or the memory bound met while it stayed locked or
	                             failing (still in the logs: synackctl rebuild) */
	uint64_t db_pending;      /* records aggregated, not committed yet; with write_db,
	                             records = stored + db_dropped + db_pending */
	uint64_t ftp_active;      /* marked as active-mode FTP data */
	uint64_t ftp_passive;     /* marked as passive-mode FTP data */
	uint64_t log_errors;      /* records lost by failed log writes (not
	                             archived); logged + log_errors + log_paused
	                             = records */
	uint64_t db_errors;       /* failed database commits (each once, also one that a
	                             flush superseded) and out-of-memory aggregations */
	uint64_t log_paused;      /* records not archived because the disk was low */
	uint64_t disk_low;        /* 1 while the disk guard holds the logs back */
	uint64_t disk_low_events; /* times the guard engaged */
	uint64_t free_bytes;      /* free space on the data dir at the last check */
	uint64_t pruned_files;    /* logs deleted by retention */
	uint64_t pruned_rows;     /* database rows deleted by retention */
	uint64_t seal_failures;   /* closed hours left as written (doc/log-format.md) */
};

struct writer;

struct writer *writer_open(const struct writer_options *opt, char *err, size_t errlen);
/* Records are modified in place (ftp mark). */
/* Returns 0, or -1 when the log or the database reported an error (the
 * records are still counted; see writer_stats). */
int writer_push(struct writer *w, struct synack_record *recs, size_t n, uint64_t now_ns);
int writer_tick(struct writer *w, uint64_t now_ns);

/* Results of writer_flush. */
enum writer_flush_result {
	WRITER_FLUSHED = 0,  /* logs synced and every record pushed before committed */
	WRITER_DEFERRED = 1, /* logs synced, but another connection holds the
	                        database's write lock: the records stay pending
	                        (db_pending) and a later tick commits them;
	                        writer_error tells */
	WRITER_FAILED = -1,  /* a log or database error (see writer_stats) */
};
/* Flush and sync the logs and commit the database: a writer_flush_result. */
int writer_flush(struct writer *w);
/* Close the logs' files and commit: 0, or -1 on a log or database error.  A
 * commit deferred by a lock is not an error here (a later tick commits). */
int writer_rotate(struct writer *w);
/* New FTP rules (reload); the filter's tracked sessions are kept. */
void writer_set_ftp(struct writer *w, const struct ftp_options *opt);
void writer_get_stats(const struct writer *w, struct writer_stats *st);
const char *writer_current_log(const struct writer *w);
/* Last error text after a -1 return. */
const char *writer_error(const struct writer *w);
/* The store behind the writer (NULL when write_db is false), for its stats. */
struct store *writer_store(struct writer *w);
void writer_close(struct writer *w);

#endif /* SYNACK_WRITER_H */
