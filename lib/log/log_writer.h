/*
 * log_writer.h - the lossless hourly archive of every SYN+ACK record.
 *
 * Each record goes into the log of its own UTC hour:
 *   DATA/logs/YYYY/MM/DD/synack-YYYYMMDD-HH.zst
 * Files are zstd streams of range-coded blocks (doc/log-format.md).  The
 * writer flushes at most every flush interval so a crash loses at most that
 * much, fsyncs at rotation and at a configurable interval, and never
 * overwrites an existing file: a restart appends a new session.  An hour
 * closed on time is sealed: replaced, atomically, by the same records in
 * one session with large blocks.
 */
#ifndef SYNACK_LOG_WRITER_H
#define SYNACK_LOG_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct log_options {
	uint32_t sensor_id;
	uint64_t flush_interval_ns; /* default 1 s */
	uint64_t fsync_interval_ns; /* default 60 s; 0 = only at rotation */
	uint64_t grace_ns;          /* keep the previous hour open this long; default 120 s */
	int compression_level;      /* zstd level of version 1 logs; unused since version 2 */
	int seal;                   /* 1 (default): re-encode an hour closed on time as one
	                               session with large blocks (doc/log-format.md) */
};

void log_options_default(struct log_options *opt);

struct log_writer;

/* data_dir must exist; logs/ below it is created as needed. */
struct log_writer *log_writer_open(const char *data_dir, const struct log_options *opt, char *err,
                                   size_t errlen);

/* Append records (any hour; each goes to its own hour's file).  now_ns is
 * the wall clock (drives flush, fsync and closing of old hours). */
int log_writer_append(struct log_writer *w, const struct synack_record *recs, size_t n,
                      uint64_t now_ns);

/* Call regularly (every few ms) even when idle: flushes and rotates by time. */
int log_writer_tick(struct log_writer *w, uint64_t now_ns);

int log_writer_flush(struct log_writer *w);  /* flush + fsync everything now */
int log_writer_rotate(struct log_writer *w); /* close all files; next append opens anew */

/* Path of the file most recently written (empty string if none). */
const char *log_writer_current_path(const struct log_writer *w);

/* Last error text (after a -1 return). */
const char *log_writer_error(const struct log_writer *w);

/* Seals that failed (the files stay complete, unsealed) and the last one's
 * message (last may be NULL). */
uint64_t log_writer_seal_failures(const struct log_writer *w, const char **last);

/* Every record handed to log_writer_append is written, lost, or waiting in
 * an open block (written at the next flush, or lost if that fails):
 * records = records_written + records_lost + waiting, and nothing waits
 * after log_writer_flush or log_writer_rotate. */
struct log_writer_stats {
	uint64_t records;         /* handed to log_writer_append */
	uint64_t records_written; /* in blocks written to the files */
	uint64_t records_lost;    /* not archived: their block could not be written
	                             (or coded), or their file could not be opened */
	uint64_t files_closed;    /* hour files closed (frame ended), for any reason */
	uint64_t files_sealed;    /* closed hours replaced by their sealed copy */
	uint64_t seal_failures;   /* as log_writer_seal_failures() */
};

void log_writer_get_stats(const struct log_writer *w, struct log_writer_stats *st);

void log_writer_close(struct log_writer *w); /* flush, fsync, close; NULL ok */

#endif /* SYNACK_LOG_WRITER_H */
