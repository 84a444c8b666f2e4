/*
 * writer.c - the writer lcore's work: FTP mark, hourly log, database.
 *
 * A failing log (disk full, I/O error) does not stop the database or the
 * counters: the records it could not write are counted in log_errors and
 * the writer goes on.
 * A failing database commit is counted in db_errors; the store keeps its
 * aggregates (bounded) and retries at the next tick.  stored, db_dropped,
 * db_pending and db_errors are the store's own counts (store_counts):
 * stored only counts records in committed transactions.
 *
 * On its tick the writer also keeps the data directory healthy: a disk
 * guard checks the free space every few seconds and holds the logs back
 * while it is below the threshold (the database and the counters go on,
 * and logging resumes by itself), and retention deletes logs and database
 * rows older than their periods once an hour.
 */
#include "writer/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "log/log_prune.h"

enum {
	DISK_CHECK_INTERVAL_S = 5,
	RETENTION_INTERVAL_S = 3600,
};

struct writer {
	struct ftp_filter *ftp;
	struct log_writer *log;
	struct store *db;
	struct alerts *alerts;
	struct writer_stats st;
	char err[512];
	char data_dir[4096];
	unsigned log_retention_days, db_retention_days;
	uint64_t min_free_bytes;
	uint64_t next_disk_check_ns;
	uint64_t next_retention_ns;
};

void writer_options_default(struct writer_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->data_dir = ".";
	opt->write_logs = true;
	opt->write_db = true;
	log_options_default(&opt->log);
	store_options_default(&opt->store);
	ftp_options_default(&opt->ftp);
	opt->db_path = NULL;
	opt->alerts = false;
	alerts_options_default(&opt->alerts_opt);
	/* Off in the library: replaying old captures or rebuilding must never
	 * delete anything.  synackd sets the appliance's defaults. */
	opt->log_retention_days = 0;
	opt->db_retention_days = 0;
	opt->min_free_bytes = 0;
}

struct writer *writer_open(const struct writer_options *opt, char *err, size_t errlen)
{
	struct writer *w = calloc(1, sizeof(*w));
	char path[4200];

	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->ftp = ftp_filter_new(&opt->ftp);
	if (!w->ftp) {
		snprintf(err, errlen, "out of memory (FTP filter)");
		goto fail;
	}
	if (opt->write_logs) {
		w->log = log_writer_open(opt->data_dir, &opt->log, err, errlen);
		if (!w->log)
			goto fail;
	}
	if (opt->write_db) {
		const char *db = opt->db_path;
		if (!db) {
			snprintf(path, sizeof(path), "%s/synack.db", opt->data_dir);
			db = path;
		}
		w->db = store_open(db, &opt->store, err, errlen);
		if (!w->db)
			goto fail;
	}
	if (opt->alerts) {
		w->alerts = alerts_open(opt->data_dir, &opt->alerts_opt, err, errlen);
		if (!w->alerts)
			goto fail;
	}
	snprintf(w->data_dir, sizeof(w->data_dir), "%s", opt->data_dir);
	w->log_retention_days = opt->log_retention_days;
	w->db_retention_days = opt->db_retention_days;
	w->min_free_bytes = opt->min_free_bytes;
	return w;
fail:
	store_close(w->db);
	log_writer_close(w->log);
	ftp_filter_free(w->ftp);
	free(w);
	return NULL;
}

int writer_push(struct writer *w, struct synack_record *recs, size_t n, uint64_t now_ns)
{
	int ret = 0;

	w->st.records += n;
	for (size_t i = 0; i < n; i++) {
		int m = ftp_filter_mark(w->ftp, &recs[i]);
		if (m == SYNACK_FTP_ACTIVE)
			w->st.ftp_active++;
		else if (m == SYNACK_FTP_PASSIVE)
			w->st.ftp_passive++;
	}
	if (w->alerts)
		alerts_observe(w->alerts, recs, n);
	if (w->log && w->st.disk_low) {
		w->st.log_paused += n;
	} else if (w->log && log_writer_append(w->log, recs, n, now_ns) < 0) {
		snprintf(w->err, sizeof(w->err), "log: %s", log_writer_error(w->log));
		ret = -1;
	}
	if (w->db) {
		int rc = store_add(w->db, recs, n, now_ns);
		if (rc < 0) {
			snprintf(w->err, sizeof(w->err), "database: %s", store_error(w->db));
			ret = -1;
		}
	}
	return ret;
}

/* Disk guard: engage below the threshold, release above it plus 10 %, so
 * that the logs do not flap around the limit. */
static void check_disk(struct writer *w, uint64_t now_ns)
{
	struct statvfs vfs;
	uint64_t free_bytes;

	if (!w->min_free_bytes || now_ns < w->next_disk_check_ns)
		return;
	w->next_disk_check_ns = now_ns + DISK_CHECK_INTERVAL_S * 1000000000ULL;
	if (statvfs(w->data_dir, &vfs) != 0)
		return;
	free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	w->st.free_bytes = free_bytes;
	if (!w->st.disk_low && free_bytes < w->min_free_bytes) {
		w->st.disk_low = 1;
		w->st.disk_low_events++;
		if (w->log)
			log_writer_rotate(w->log); /* close cleanly what was written */
		fprintf(stderr,
		        "synack: ALERT: free space on %s is %llu MiB, below %llu MiB: "
		        "hourly logs paused, database and counters go on\n",
		        w->data_dir, (unsigned long long)(free_bytes >> 20),
		        (unsigned long long)(w->min_free_bytes >> 20));
	} else if (w->st.disk_low && free_bytes > w->min_free_bytes + w->min_free_bytes / 10) {
		w->st.disk_low = 0;
		fprintf(stderr,
		        "synack: free space on %s is back to %llu MiB: hourly logs resume "
		        "(%llu records were not archived)\n",
		        w->data_dir, (unsigned long long)(free_bytes >> 20),
		        (unsigned long long)w->st.log_paused);
	}
}

/* Retention, once an hour: logs by file name, database rows by time. */
static void apply_retention(struct writer *w, uint64_t now_ns)
{
	uint64_t now_s = now_ns / 1000000000ULL;

	if (now_ns < w->next_retention_ns)
		return;
	w->next_retention_ns = now_ns + RETENTION_INTERVAL_S * 1000000000ULL;
	if (w->log && w->log_retention_days) {
		struct log_prune_result res;
		uint64_t cutoff = now_s - (uint64_t)w->log_retention_days * 86400;
		if (log_prune(w->data_dir, cutoff, &res) != 0)
			fprintf(stderr, "synack: retention: %llu log files could not be removed\n",
			        (unsigned long long)res.errors);
		w->st.pruned_files += res.files_removed;
	}
	if (w->db && w->db_retention_days) {
		uint64_t deleted = 0;
		uint64_t cutoff = now_s - (uint64_t)w->db_retention_days * 86400;
		if (store_prune(w->db, cutoff, &deleted) != 0)
			fprintf(stderr, "synack: retention: %s\n", store_error(w->db));
		w->st.pruned_rows += deleted;
	}
}

int writer_tick(struct writer *w, uint64_t now_ns)
{
	int ret = 0;
	check_disk(w, now_ns);
	apply_retention(w, now_ns);
	if (w->alerts && alerts_tick(w->alerts, now_ns) < 0) {
		snprintf(w->err, sizeof(w->err), "alerts: %s", alerts_error(w->alerts));
		ret = -1;
	}
	if (w->log && log_writer_tick(w->log, now_ns) != 0) {
		snprintf(w->err, sizeof(w->err), "log: %s", log_writer_error(w->log));
		ret = -1;
	}
	if (w->db) {
		int rc = store_tick(w->db, now_ns);
		if (rc < 0)
			ret = -1;
	}
	return ret;
}

int writer_flush(struct writer *w)
{
	int ret = 0;
	if (w->db)
		store_commit_start(w->db); /* the database commits while the log syncs */
	if (w->log && log_writer_flush(w->log) != 0)
		ret = -1;
	if (w->alerts)
		alerts_save(w->alerts);
	if (w->db) {
		int rc = store_commit(w->db);
		if (rc != 0)
			snprintf(w->err, sizeof(w->err), "database: %s", store_error(w->db));
		if (rc < 0)
			ret = WRITER_FAILED;
		else if (rc > 0 && ret == 0)
			ret = WRITER_DEFERRED;
	}
	return ret;
}

int writer_rotate(struct writer *w)
{
	int ret = 0;
	if (w->db)
		store_commit_start(w->db);
	if (w->log && log_writer_rotate(w->log) != 0)
		ret = -1;
	if (w->db && store_commit(w->db) < 0)
		ret = -1;
	return ret;
}

void writer_set_ftp(struct writer *w, const struct ftp_options *opt)
{
	ftp_filter_configure(w->ftp, opt);
}

/* The log writer counts what it wrote and what it lost (with a failed
 * write, in a push or in a tick); logged includes its open blocks. */
static void get_log_stats(const struct writer *w, struct writer_stats *st)
{
	struct log_writer_stats log;

	if (!w->log)
		return;
	log_writer_get_stats(w->log, &log);
	st->logged = log.records - log.records_lost;
	st->log_errors = log.records_lost;
	st->seal_failures = log.seal_failures;
}

void writer_get_stats(const struct writer *w, struct writer_stats *st)
{
	*st = w->st;
	if (w->db) {
		struct store_counts c;
		store_get_counts(w->db, &c);
		st->stored = c.stored;
		st->db_dropped = c.dropped;
		st->db_pending = c.pending;
		st->db_errors = c.errors;
	}
	get_log_stats(w, st);
}

const char *writer_current_log(const struct writer *w)
{
	return w->log ? log_writer_current_path(w->log) : "";
}

const char *writer_error(const struct writer *w)
{
	return w->err;
}

struct store *writer_store(struct writer *w)
{
	return w->db;
}

void writer_close(struct writer *w)
{
	if (!w)
		return;
	log_writer_close(w->log);
	alerts_close(w->alerts);
	store_close(w->db);
	ftp_filter_free(w->ftp);
	free(w);
}
