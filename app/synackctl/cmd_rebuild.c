/*
 * cmd_rebuild.c - synackctl rebuild: recreate DATA/synack.db from the
 * hourly logs (DATA/logs/YYYY/MM/DD/synack-YYYYMMDD-HH.zst).
 *
 * The logs are read in time order (their names sort by hour) through the
 * same FTP filter and store the daemon uses, into DATA/synack.db.rebuild.
 * Then the current database (if any) is kept as synack.db.old and the new
 * one renamed over synack.db.  Stop synackd first: a database in use (its
 * -wal file stays after we close it) is refused.
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "log/log_reader.h"
#include "util/time_zone.h"
#include "writer/writer.h"

static char **files;
static size_t nfiles, capfiles;

static int collect(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	size_t len = strlen(path);
	if (type != FTW_F || len < 4 || strcmp(path + len - 4, ".zst") != 0)
		return 0;
	if (nfiles == capfiles) {
		capfiles = capfiles ? capfiles * 2 : 256;
		char **nf = realloc(files, capfiles * sizeof(*files));
		if (!nf)
			return -1;
		files = nf;
	}
	files[nfiles] = strdup(path);
	if (!files[nfiles])
		return -1;
	nfiles++;
	return 0;
}

static int cmp_base(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
	int c = strcmp(bx ? bx + 1 : x, by ? by + 1 : y);
	return c ? c : strcmp(x, y);
}

static void remove_db(const char *p)
{
	char x[2200];
	unlink(p);
	snprintf(x, sizeof(x), "%s-wal", p);
	unlink(x);
	snprintf(x, sizeof(x), "%s-shm", p);
	unlink(x);
}

/* Reads a meta value of an existing database into out (empty if none). */
static void old_meta(const char *db_path, const char *key, char *out, size_t len)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	out[0] = '\0';
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) ==
	        SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* Checkpoints and closes a database (its -wal and -shm go); fails when
 * someone else has it open. */
static int release_db(const char *db_path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	char wal[2200];
	struct stat sb;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open %s: %s", db_path,
		         db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 2000);
	sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(db);
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	if (stat(wal, &sb) == 0) {
		snprintf(err, errlen,
		         "%s is still in use (its -wal file remains): stop synackd before "
		         "rebuilding",
		         db_path);
		return -1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: synackctl [--data-dir DIR] rebuild [--timezone TZ] [--ftp-ports LIST]\n"
	        "                 [--ftp-timeout SECONDS] [--no-ftp] [--sensor-id N]\n\n"
	        "Rebuilds DIR/synack.db from the hourly logs DIR/logs/**.zst (in time order,\n"
	        "through the FTP filter), keeping the previous database as synack.db.old.\n"
	        "Stop synackd first.  The time zone and sensor id default to those of the\n"
	        "existing database (else UTC and 0); FTP options default to synackd's.\n");
}

int cmd_rebuild(const struct global_options *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"timezone", required_argument, NULL, 'z'},
	    {"ftp-ports", required_argument, NULL, 'P'},
	    {"ftp-timeout", required_argument, NULL, 'T'},
	    {"no-ftp", no_argument, NULL, 'N'},
	    {"sensor-id", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct writer_options wo;
	char db_path[2048], new_path[2100], old_path[2100], logs[2048], err[4096];
	char tz[128], sensor[32];
	const char *tz_opt = NULL, *sensor_opt = NULL;
	int c, status = EXIT_ERROR;
	struct writer *w = NULL;
	struct synack_record *buf = NULL;
	uint64_t total = 0;
	size_t truncated = 0;

	writer_options_default(&wo);
	while ((c = getopt_long(argc, argv, "z:P:T:NS:h", options, NULL)) != -1) {
		switch (c) {
		case 'z':
			if (time_zone_check(optarg, err, sizeof(err)) != 0) {
				fprintf(stderr, "synackctl rebuild: --timezone: %s\n", err);
				status = EXIT_USAGE;
				goto out;
			}
			tz_opt = optarg;
			break;
		case 'P':
			if (ftp_options_parse_ports(&wo.ftp, optarg, err, sizeof(err)) != 0) {
				fprintf(stderr, "synackctl rebuild: --ftp-ports: %s\n", err);
				status = EXIT_USAGE;
				goto out;
			}
			break;
		case 'T': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (end == optarg || *end) {
				fprintf(stderr, "synackctl rebuild: bad --ftp-timeout '%s'\n",
				        optarg);
				status = EXIT_USAGE;
				goto out;
			}
			wo.ftp.passive_timeout_ns = (uint64_t)v * 1000000000ull;
			break;
		}
		case 'N':
			wo.ftp.enabled = false;
			break;
		case 'S':
			sensor_opt = optarg;
			break;
		case 'h':
			usage(stdout);
			status = EXIT_OK;
			goto out;
		default:
			usage(stderr);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "synackctl rebuild: unexpected argument '%s'\n", argv[optind]);
		status = EXIT_USAGE;
		goto out;
	}

	snprintf(db_path, sizeof(db_path), "%s/synack.db", g->data_dir);
	snprintf(new_path, sizeof(new_path), "%s.rebuild", db_path);
	snprintf(old_path, sizeof(old_path), "%s.old", db_path);
	snprintf(logs, sizeof(logs), "%s/logs", g->data_dir);

	struct stat sb;
	bool have_old = stat(db_path, &sb) == 0;
	if (have_old) {
		old_meta(db_path, "timezone", tz, sizeof(tz));
		old_meta(db_path, "sensor_id", sensor, sizeof(sensor));
	} else {
		tz[0] = sensor[0] = '\0';
	}
	if (tz_opt)
		snprintf(tz, sizeof(tz), "%s", tz_opt);
	else if (time_zone_check(tz, err, sizeof(err)) != 0) {
		fprintf(stderr, "synackctl rebuild: meta.timezone of %s: %s; give --timezone\n",
		        db_path, err);
		goto out;
	}
	if (sensor_opt)
		snprintf(sensor, sizeof(sensor), "%s", sensor_opt);
	wo.store.timezone = tz[0] ? tz : NULL;
	wo.store.sensor_id = (uint32_t)strtoul(sensor, NULL, 10);

	errno = 0;
	if (stat(logs, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "synackctl rebuild: no logs at %s: %s\n", logs,
		        errno ? strerror(errno) : "not a directory");
		goto out;
	}
	if (nftw(logs, collect, 32, FTW_PHYS) != 0) {
		fprintf(stderr, "synackctl rebuild: cannot list %s: %s\n", logs, strerror(errno));
		goto out;
	}
	if (nfiles > 1)
		qsort(files, nfiles, sizeof(*files), cmp_base);

	remove_db(new_path);
	wo.data_dir = g->data_dir;
	wo.db_path = new_path;
	wo.write_logs = false;
	wo.write_db = true;
	wo.store.flush_interval_ns = UINT64_MAX / 2; /* commit by batch size only */
	wo.store.batch_records = 2000000;
	wo.store.busy_timeout_ms = 5000;
	w = writer_open(&wo, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "synackctl rebuild: %s\n", err);
		goto out;
	}
	enum { BATCH = 8192 };
	buf = malloc(BATCH * sizeof(*buf));
	if (!buf) {
		fprintf(stderr, "synackctl rebuild: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < nfiles; i++) {
		struct log_reader *r = log_reader_open(files[i], err, sizeof(err));
		if (!r) {
			fprintf(stderr, "synackctl rebuild: %s\n", err);
			goto out;
		}
		long got;
		while ((got = log_reader_next(r, buf, BATCH)) > 0) {
			if (writer_push(w, buf, (size_t)got, buf[got - 1].time_ns) != 0) {
				fprintf(stderr, "synackctl rebuild: %s\n", writer_error(w));
				log_reader_close(r);
				goto out;
			}
			total += (uint64_t)got;
		}
		if (got < 0) {
			fprintf(stderr, "synackctl rebuild: %s: %s\n", files[i],
			        log_reader_error(r));
			log_reader_close(r);
			goto out;
		}
		if (log_reader_truncated(r)) {
			fprintf(stderr,
			        "synackctl rebuild: warning: %s ends inside a frame "
			        "(a crash or a full disk); its complete records are used\n",
			        files[i]);
			truncated++;
		}
		log_reader_close(r);
	}
	if (writer_flush(w) != 0) {
		fprintf(stderr, "synackctl rebuild: %s\n", store_error(writer_store(w)));
		goto out;
	}
	struct writer_stats ws;
	writer_get_stats(w, &ws);
	writer_close(w);
	w = NULL;
	/* the store keeps -wal and -shm after close: checkpoint into the file */
	if (release_db(new_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "synackctl rebuild: %s\n", err);
		goto out;
	}

	if (have_old) {
		if (release_db(db_path, err, sizeof(err)) != 0) {
			fprintf(stderr, "synackctl rebuild: %s; the rebuilt database is %s\n", err,
			        new_path);
			goto out;
		}
		remove_db(old_path);
		if (link(db_path, old_path) != 0) {
			fprintf(stderr, "synackctl rebuild: cannot keep %s as %s: %s\n", db_path,
			        old_path, strerror(errno));
			goto out;
		}
	}
	if (rename(new_path, db_path) != 0) {
		fprintf(stderr, "synackctl rebuild: cannot rename %s to %s: %s\n", new_path,
		        db_path, strerror(errno));
		goto out;
	}
	fprintf(stderr,
	        "synackctl rebuild: %zu log files (%zu cut off), %llu records "
	        "(%llu active-mode and %llu passive-mode FTP data) -> %s%s%s\n",
	        nfiles, truncated, (unsigned long long)total, (unsigned long long)ws.ftp_active,
	        (unsigned long long)ws.ftp_passive, db_path, have_old ? "; previous kept as " : "",
	        have_old ? old_path : "");
	status = EXIT_OK;
out:
	writer_close(w);
	free(buf);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	files = NULL;
	nfiles = capfiles = 0;
	ftp_options_free_ports(&wo.ftp);
	return status;
}
