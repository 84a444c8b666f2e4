/*
 * log_writer.c - the lossless hourly archive: range-coded blocks in zstd
 * frames, column blocks under a scan storm (doc/log-format.md, version 3).
 *
 * Each open hour file has its own session: a header, then one zstd frame
 * whose raw blocks hold range-coded records (log_codec.h).  Records are
 * coded as they arrive into the file's open block; a block is written when
 * it is full or at a flush, so everything appended until a flush is in the
 * file and decodable.  When a block fills with records that span less
 * than the flush interval of record time (a storm), the following records
 * go to column blocks (log_columns.h),
 * several times cheaper to write, until the next flush.  Closing writes the frame's last block and
 * fsyncs; an hour closed on time (its grace period over) is then sealed: re-encoded as one session
 * with large blocks (log_seal.c).
 */
#include "log/log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/log_codec.h"
#include "log/log_columns.h"
#include "log/log_format.h"
#include "log/log_seal.h"

#define NS_PER_HOUR 3600000000000ull
#define MAX_OPEN    4
#define PATH_LEN    4096

struct hour_file {
	bool used;
	uint64_t hour; /* time_ns / NS_PER_HOUR */
	int fd;
	char path[PATH_LEN];
	struct logf2_state coder;
	struct logf2_block block;
	bool storm;                    /* records go to column blocks until a flush */
	uint64_t block_first_ns;       /* record time of the open block's first record */
	struct synack_record *pending; /* the open column block (LOGF_BLOCK_MAX) */
	uint32_t npending;
	uint64_t last_flush_ns;
	uint64_t last_fsync_ns;
	uint64_t last_append_ns;
	uint64_t records_deadline_ns; /* closed once the record clock reaches this */
	uint64_t lru;
	bool unflushed;           /* records in the open block */
	bool unsynced;            /* bytes written since the last fsync */
	bool appended;            /* the file had other sessions before this one */
	uint64_t records, blocks; /* of this session */
};

/* A session of one file whose blocks hold this many records on average
 * gains next to nothing from sealing (a few bytes per block). */
#define SEAL_MIN_RECORDS_PER_BLOCK 256

struct log_writer {
	char data_dir[PATH_LEN];
	struct log_options opt;
	struct hour_file files[MAX_OPEN];
	struct logf3_coder columns;
	uint64_t lru_clock;
	uint64_t record_clock_ns; /* newest record time seen */
	char current[PATH_LEN];
	const struct hour_file *current_file; /* whose path is in current */
	char error[256];
	char seal_error[256];
	struct log_writer_stats st;
};

static void set_err(struct log_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_err(struct log_writer *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
}

void log_options_default(struct log_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->flush_interval_ns = 1000000000ull;
	opt->fsync_interval_ns = 60000000000ull;
	opt->grace_ns = 120000000000ull;
	opt->compression_level = 3;
	opt->seal = 1;
}

static int mkdir_one(const char *path)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return 0;
	return -1;
}

/* Create DATA/logs/YYYY/MM/DD (0750) and fill path with the hour's file. */
static int hour_path(struct log_writer *w, uint64_t hour, char *path, size_t len)
{
	time_t t = (time_t)(hour * 3600ull);
	struct tm tm;
	char dir[PATH_LEN];

	if (!gmtime_r(&t, &tm)) {
		set_err(w, "hour %llu out of range", (unsigned long long)hour);
		return -1;
	}
	int y = tm.tm_year + 1900, mo = tm.tm_mon + 1, d = tm.tm_mday;
	const char *levels[] = {"logs", NULL, NULL, NULL};
	char part[3][16];
	snprintf(part[0], sizeof(part[0]), "%04d", y);
	snprintf(part[1], sizeof(part[1]), "%02d", mo);
	snprintf(part[2], sizeof(part[2]), "%02d", d);
	levels[1] = part[0];
	levels[2] = part[1];
	levels[3] = part[2];
	size_t off = (size_t)snprintf(dir, sizeof(dir), "%s", w->data_dir);
	for (int i = 0; i < 4; i++) {
		int n = snprintf(dir + off, sizeof(dir) - off, "/%s", levels[i]);
		if (n < 0 || (size_t)n >= sizeof(dir) - off) {
			set_err(w, "path too long");
			return -1;
		}
		off += (size_t)n;
		if (mkdir_one(dir) < 0) {
			set_err(w, "mkdir %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	int n = snprintf(path, len, "%s/synack-%04d%02d%02d-%02d.zst", dir, y, mo, d, tm.tm_hour);
	if (n < 0 || (size_t)n >= len) {
		set_err(w, "path too long");
		return -1;
	}
	return 0;
}

static int write_out(struct log_writer *w, struct hour_file *f, const void *buf, size_t len)
{
	if (logf_write_all(f->fd, buf, len) < 0) {
		set_err(w, "write %s: %s", f->path, strerror(errno));
		return -1;
	}
	f->unsynced = true;
	return 0;
}

/* Count the records of a block that was written, or that was not. */
static int block_done(struct log_writer *w, uint32_t records, int rc)
{
	if (rc < 0)
		w->st.records_lost += records;
	else
		w->st.records_written += records;
	return rc;
}

/* Write the open block of f, if any. */
static int block_write(struct log_writer *w, struct hour_file *f)
{
	uint32_t records = f->block.n;

	if (records == 0)
		return 0;
	size_t len = logf2_block_end(&f->coder, &f->block);
	f->blocks++;
	return block_done(w, records, write_out(w, f, f->block.buf, len));
}

/* Write the open column block of f, if any. */
static int columns_write(struct log_writer *w, struct hour_file *f)
{
	uint32_t records = f->npending;

	if (records == 0)
		return 0;
	size_t len = logf3_columns_encode(&w->columns, f->pending, records);
	f->npending = 0;
	if (len == 0) {
		set_err(w, "%s: zstd failed on a column block", f->path);
		return block_done(w, records, -1);
	}
	f->blocks++;
	return block_done(w, records, write_out(w, f, w->columns.out, len));
}

/* Close f without writing: the records of its open blocks are lost. */
static void file_release(struct log_writer *w, struct hour_file *f)
{
	w->st.records_lost += f->block.n + f->npending;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	f->used = false;
	f->block.n = 0;
	f->npending = 0;
}

/* Write everything appended so far; a storm ends with the flush. */
static int file_flush(struct log_writer *w, struct hour_file *f, uint64_t now_ns)
{
	if (f->unflushed) {
		if (block_write(w, f) < 0 || columns_write(w, f) < 0)
			return -1;
		f->unflushed = false;
	}
	f->storm = false;
	f->last_flush_ns = now_ns;
	return 0;
}

static int file_sync(struct log_writer *w, struct hour_file *f, uint64_t now_ns)
{
	if (f->unsynced && fsync(f->fd) < 0) {
		set_err(w, "fsync %s: %s", f->path, strerror(errno));
		return -1;
	}
	f->unsynced = false;
	f->last_fsync_ns = now_ns;
	return 0;
}

/* A seal that fails leaves the complete file as it was: counted, not an
 * error of the log. */
static void seal_hour(struct log_writer *w, const char *path)
{
	struct log_seal_result res;

	if (log_seal_file(path, &res, w->seal_error, sizeof(w->seal_error)) < 0)
		w->st.seal_failures++;
	else if (res.sealed)
		w->st.files_sealed++;
}

/* End the frame, fsync, close; seal the file when asked and the hour is
 * over.  The slot is free afterwards even on error. */
static int file_close(struct log_writer *w, struct hour_file *f, bool seal)
{
	static const uint8_t last_block[LOGF2_BLOCK_HDR_LEN] = {1, 0, 0};
	char path[PATH_LEN];
	int rc = 0;

	if (!f->used)
		return 0;
	if (block_write(w, f) < 0 || columns_write(w, f) < 0 ||
	    write_out(w, f, last_block, sizeof(last_block)) < 0 || file_sync(w, f, 0) < 0)
		rc = -1;
	snprintf(path, sizeof(path), "%s", f->path);
	seal = seal && w->opt.seal &&
	       (f->appended || f->records < SEAL_MIN_RECORDS_PER_BLOCK * f->blocks);
	file_release(w, f);
	w->st.files_closed++;
	if (rc == 0 && seal)
		seal_hour(w, path);
	return rc;
}

/* The record clock at which an hour's file is closed: its end plus the grace
 * period, or, for a file opened when the record clock was already past that
 * (a late record, or a record clock pushed far ahead by a record from the
 * future), the grace period after the record clock at its opening. */
static uint64_t records_deadline(const struct log_writer *w, uint64_t hour)
{
	uint64_t end = (hour + 1) * NS_PER_HOUR + w->opt.grace_ns;
	uint64_t late = w->record_clock_ns + w->opt.grace_ns;

	if (late < w->record_clock_ns)
		return UINT64_MAX;
	return late > end ? late : end;
}

static int file_open(struct log_writer *w, struct hour_file *f, uint64_t hour, uint64_t now_ns)
{
	char path[PATH_LEN];
	uint8_t hdr[LOGF_HDR_TOTAL + LOGF2_FRAME_HDR_LEN];

	if (hour_path(w, hour, path, sizeof(path)) < 0)
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0) {
		set_err(w, "open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	bool appended = fstat(fd, &st) == 0 && st.st_size > 0;
	logf2_session_header(hdr, w->opt.sensor_id, now_ns, hour * 3600ull);
	/* A crash can leave a cut frame at the end: the header re-syncs the
	 * reader, so a restart simply appends. */
	if (logf_write_all(fd, hdr, sizeof(hdr)) < 0) {
		set_err(w, "write %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	f->used = true;
	f->fd = fd;
	if (w->current_file == f)
		w->current_file = NULL;
	f->hour = hour;
	snprintf(f->path, sizeof(f->path), "%s", path);
	logf2_state_reset(&f->coder);
	f->block.n = 0;
	f->storm = false;
	f->npending = 0;
	f->appended = appended;
	f->records = f->blocks = 0;
	f->last_flush_ns = now_ns;
	f->last_fsync_ns = now_ns;
	f->last_append_ns = now_ns;
	f->records_deadline_ns = records_deadline(w, hour);
	f->unflushed = false;
	f->unsynced = true;
	return 0;
}

struct log_writer *log_writer_open(const char *data_dir, const struct log_options *opt, char *err,
                                   size_t errlen)
{
	struct log_writer *w = calloc(1, sizeof(*w));
	struct stat st;

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opt)
		w->opt = *opt;
	else
		log_options_default(&w->opt);
	if (w->opt.flush_interval_ns == 0)
		w->opt.flush_interval_ns = 1000000000ull;
	if (w->opt.compression_level == 0)
		w->opt.compression_level = 3;
	if (snprintf(w->data_dir, sizeof(w->data_dir), "%s", data_dir) >=
	    (int)sizeof(w->data_dir) - 64) {
		snprintf(err, errlen, "data dir path too long");
		free(w);
		return NULL;
	}
	if (stat(data_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "data dir %s: %s", data_dir,
		         errno ? strerror(errno) : "not a directory");
		free(w);
		return NULL;
	}
	bool ok = true;
	for (int i = 0; i < MAX_OPEN; i++)
		w->files[i].fd = -1;
	for (int i = 0; i < MAX_OPEN && ok; i++) {
		struct hour_file *f = &w->files[i];
		f->block.buf = malloc(LOGF2_BLOCK_HDR_LEN + LOGF2_BLOCK_BYTES);
		f->pending = malloc(LOGF_BLOCK_MAX * sizeof(*f->pending));
		if (!f->block.buf || !f->pending || logf2_state_init(&f->coder) < 0)
			ok = false;
	}
	if (ok && logf3_coder_init(&w->columns) < 0)
		ok = false;
	if (!ok) {
		snprintf(err, errlen, "out of memory");
		log_writer_close(w);
		return NULL;
	}
	return w;
}

static struct hour_file *file_for(struct log_writer *w, uint64_t hour, uint64_t now_ns, int *rc)
{
	struct hour_file *victim = NULL;

	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		if (f->used && f->hour == hour)
			return f;
	}
	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		if (!f->used) {
			victim = f;
			break;
		}
		if (!victim || f->lru < victim->lru)
			victim = f;
	}
	if (victim->used && file_close(w, victim, false) < 0)
		*rc = -1;
	if (file_open(w, victim, hour, now_ns) < 0)
		return NULL;
	return victim;
}

/* The records of recs[0 .. n-1] from the first on that belong to the same
 * hour as the first. */
static size_t same_hour_run(const struct synack_record *recs, size_t n, uint64_t hour)
{
	size_t k = 1;

	while (k < n && recs[k].time_ns / NS_PER_HOUR == hour)
		k++;
	return k;
}

/* Take records into the open column block of f, writing it when full.
 * Returns the number taken, or -1 when the write failed. */
static long columns_add(struct log_writer *w, struct hour_file *f, const struct synack_record *recs,
                        size_t n)
{
	size_t k = LOGF_BLOCK_MAX - f->npending;

	if (k > n)
		k = n;
	memcpy(f->pending + f->npending, recs, k * sizeof(*recs));
	f->npending += (uint32_t)k;
	f->records += k;
	f->unflushed = true;
	if (f->npending == LOGF_BLOCK_MAX && columns_write(w, f) < 0)
		return -1;
	return (long)k;
}

/* Code records of one hour into its file, writing each block that fills.
 * *done tells how many were taken: all n, or on error (set; the file must
 * then be released) those up to the one that failed, which are counted as
 * lost with their block; the rest goes to a new session.  Returns 0 or -1. */
static int append_run(struct log_writer *w, struct hour_file *f, const struct synack_record *recs,
                      size_t n, size_t *done)
{
	*done = 0;
	while (*done < n) {
		if (f->storm) {
			long k = columns_add(w, f, recs + *done, n - *done);
			if (k < 0)
				return -1;
			*done += (size_t)k;
			continue;
		}
		uint32_t before = f->block.n;
		if (before == 0)
			f->block_first_ns = recs[*done].time_ns;
		long k = logf2_block_add_run(&f->coder, &f->block, recs + *done, n - *done);
		if (k < 0) {
			/* the records added and the one that failed are lost */
			set_err(w, "%s: out of memory", f->path);
			*done += f->block.n - before + 1;
			w->st.records_lost++;
			return -1;
		}
		f->records += (uint64_t)k;
		f->unflushed = true;
		*done += (size_t)k;
		if (logf2_block_full(&f->block)) {
			/* A storm: the block filled within one flush interval of
			 * record time (of the traffic, not of how fast a capture
			 * file is read). */
			uint64_t last = recs[*done - 1].time_ns;
			f->storm = last < f->block_first_ns + w->opt.flush_interval_ns;
			if (block_write(w, f) < 0)
				return -1;
		}
	}
	return 0;
}

int log_writer_append(struct log_writer *w, const struct synack_record *recs, size_t n,
                      uint64_t now_ns)
{
	int rc = 0;

	w->st.records += n;
	for (size_t i = 0; i < n;) {
		uint64_t hour = recs[i].time_ns / NS_PER_HOUR;
		size_t k = same_hour_run(recs + i, n - i, hour);

		for (size_t j = i; j < i + k; j++)
			if (recs[j].time_ns > w->record_clock_ns)
				w->record_clock_ns = recs[j].time_ns;
		struct hour_file *f = file_for(w, hour, now_ns, &rc);
		if (!f) {
			rc = -1; /* error set; the record is lost, try the others */
			w->st.records_lost++;
			i++;
			continue;
		}
		f->last_append_ns = now_ns;
		f->lru = ++w->lru_clock;
		if (f != w->current_file) {
			snprintf(w->current, sizeof(w->current), "%s", f->path);
			w->current_file = f;
		}
		size_t done;
		if (append_run(w, f, recs + i, k, &done) < 0) {
			file_release(w, f);
			rc = -1;
		}
		i += done;
	}
	if (log_writer_tick(w, now_ns) < 0)
		rc = -1;
	return rc;
}

int log_writer_tick(struct log_writer *w, uint64_t now_ns)
{
	int rc = 0;

	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		if (!f->used)
			continue;
		uint64_t end = (f->hour + 1) * NS_PER_HOUR + w->opt.grace_ns;
		/* Close an hour once records (replays) are past its deadline or
		 * the idle wall clock past its end plus the grace period. */
		bool old_by_records = w->record_clock_ns >= f->records_deadline_ns;
		bool old_by_clock = now_ns >= end && now_ns >= f->last_append_ns &&
		                    now_ns - f->last_append_ns >= w->opt.grace_ns;
		if (old_by_records || old_by_clock) {
			if (file_close(w, f, true) < 0)
				rc = -1;
			continue;
		}
		if (f->unflushed && now_ns - f->last_flush_ns >= w->opt.flush_interval_ns) {
			if (file_flush(w, f, now_ns) < 0) {
				file_release(w, f);
				rc = -1;
				continue;
			}
		}
		if (w->opt.fsync_interval_ns && f->unsynced && !f->unflushed &&
		    now_ns - f->last_fsync_ns >= w->opt.fsync_interval_ns) {
			if (file_sync(w, f, now_ns) < 0) {
				file_release(w, f);
				rc = -1;
			}
		}
	}
	return rc;
}

int log_writer_flush(struct log_writer *w)
{
	int rc = 0;

	/* The caller's clock is not known here: keep the interval stamps. */
	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		if (!f->used)
			continue;
		if (file_flush(w, f, f->last_flush_ns) < 0 ||
		    file_sync(w, f, f->last_fsync_ns) < 0) {
			file_release(w, f);
			rc = -1;
		}
	}
	return rc;
}

int log_writer_rotate(struct log_writer *w)
{
	int rc = 0;
	for (int i = 0; i < MAX_OPEN; i++)
		if (w->files[i].used && file_close(w, &w->files[i], false) < 0)
			rc = -1;
	return rc;
}

const char *log_writer_current_path(const struct log_writer *w)
{
	return w->current;
}

const char *log_writer_error(const struct log_writer *w)
{
	return w->error;
}

uint64_t log_writer_seal_failures(const struct log_writer *w, const char **last)
{
	if (last)
		*last = w->seal_error;
	return w->st.seal_failures;
}

void log_writer_get_stats(const struct log_writer *w, struct log_writer_stats *st)
{
	*st = w->st;
}

void log_writer_close(struct log_writer *w)
{
	if (!w)
		return;
	log_writer_rotate(w);
	for (int i = 0; i < MAX_OPEN; i++) {
		struct hour_file *f = &w->files[i];
		free(f->block.buf);
		free(f->pending);
		logf2_state_free(&f->coder);
	}
	logf3_coder_free(&w->columns);
	free(w);
}
