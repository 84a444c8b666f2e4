/*
 * writer.c - the writer lcore's work: FTP mark, hourly log, database.
 *
 * A failing log (disk full, I/O error) does not stop the database or the
 * counters: the records are counted in log_errors and the writer goes on.
 * A failing database commit is counted in db_errors; the store keeps its
 * aggregates (bounded) and retries at the next tick.
 */
#include "writer/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct writer {
	struct ftp_filter *ftp;
	struct log_writer *log;
	struct store *db;
	struct writer_stats st;
	char err[512];
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
	return w;
fail:
	log_writer_close(w->log);
	ftp_filter_free(w->ftp);
	free(w);
	return NULL;
}

static void note_db(struct writer *w, int rc)
{
	if (rc < 0)
		w->st.db_errors++;
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
	if (w->log) {
		if (log_writer_append(w->log, recs, n, now_ns) == 0) {
			w->st.logged += n;
		} else {
			w->st.log_errors += n;
			snprintf(w->err, sizeof(w->err), "log: %s", log_writer_error(w->log));
			ret = -1;
		}
	}
	if (w->db) {
		int rc = store_add(w->db, recs, n, now_ns);
		w->st.stored += n;
		note_db(w, rc);
		if (rc < 0) {
			snprintf(w->err, sizeof(w->err), "database: %s", store_error(w->db));
			ret = -1;
		}
	}
	return ret;
}

int writer_tick(struct writer *w, uint64_t now_ns)
{
	int ret = 0;
	if (w->log && log_writer_tick(w->log, now_ns) != 0) {
		snprintf(w->err, sizeof(w->err), "log: %s", log_writer_error(w->log));
		ret = -1;
	}
	if (w->db) {
		int rc = store_tick(w->db, now_ns);
		note_db(w, rc);
		if (rc < 0)
			ret = -1;
	}
	return ret;
}

int writer_flush(struct writer *w)
{
	int ret = 0;
	if (w->log && log_writer_flush(w->log) != 0)
		ret = -1;
	if (w->db) {
		int rc = store_commit(w->db);
		note_db(w, rc);
		if (rc < 0)
			ret = -1;
		else if (rc > 0 && ret == 0)
			ret = 1;
	}
	return ret;
}

int writer_rotate(struct writer *w)
{
	int ret = 0;
	if (w->log && log_writer_rotate(w->log) != 0)
		ret = -1;
	if (w->db && store_commit(w->db) < 0) {
		w->st.db_errors++;
		ret = -1;
	}
	return ret;
}

void writer_get_stats(const struct writer *w, struct writer_stats *st)
{
	*st = w->st;
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
	store_close(w->db);
	ftp_filter_free(w->ftp);
	free(w);
}
