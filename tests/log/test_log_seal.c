/*
 * test_log_seal.c - sealing a closed hour: the same records in the same
 * order in one session, a smaller file; a crash at any step of the seal
 * leaves a complete file; a cut file is left as it is; the writer seals an
 * hour it closes on time and not one it closes at shutdown.
 */
#include <fcntl.h>

#include "check.h"
#include "log/log_prune.h"
#include "log/log_seal.h"
#include "log_test_util.h"

#define NREC 3000

static struct synack_record recs[2 * NREC];

/* One writer session over the hour H: n records from recs[off], a flush
 * every simulated second, closed with log_writer_close (no seal). */
static void write_session(const char *dir, uint64_t H, size_t off, size_t n, bool seal_on_time)
{
	char err[256];
	struct log_options opt;
	log_options_default(&opt);
	opt.seal = seal_on_time;
	struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
	CHECK(w != NULL);
	if (!w)
		return;
	for (size_t i = off; i < off + n; i++) {
		CHECK_EQ(log_writer_append(w, &recs[i], 1, recs[i].time_ns), 0);
		CHECK_EQ(log_writer_tick(w, recs[i].time_ns + NS_S), 0);
	}
	if (seal_on_time) /* the hour and its grace period are over */
		CHECK_EQ(log_writer_tick(w, H + NS_H + 3600 * NS_S), 0);
	log_writer_close(w);
}

static void make_records(uint64_t H)
{
	uint64_t t = H + NS_S;
	for (size_t i = 0; i < 2 * NREC; i++) {
		t += 400 * 1000000ull + tu_rand() % 1000000; /* ~2.5 a second */
		tu_random_record(&recs[i], t);
	}
}

/* The file holds exactly want[0..n) in order, uncut, in `sessions` sessions. */
static void check_file(const char *what, const char *path, size_t n, uint64_t sessions)
{
	char err[256];
	struct synack_record *got;
	bool trunc = true;
	long m = tu_read_all(path, &got, &trunc);
	CHECK_EQ(m, (long)n);
	CHECK(!trunc);
	for (long i = 0; i < m && m == (long)n; i++) {
		struct synack_record e = tu_expect(&recs[i]);
		if (memcmp(&e, &got[i], sizeof(e)) != 0) {
			fprintf(stderr, "%s: record %ld differs\n", what, i);
			CHECK(0);
			break;
		}
	}
	free(got);
	struct log_reader *r = log_reader_open(path, err, sizeof(err));
	CHECK(r != NULL);
	if (!r)
		return;
	struct synack_record one[64];
	while (log_reader_next(r, one, 64) > 0)
		;
	uint64_t s = 0, b = 0;
	log_reader_counts(r, &s, &b);
	if (s != sessions)
		fprintf(stderr, "%s: %llu sessions\n", what, (unsigned long long)s);
	CHECK_EQ(s, sessions);
	log_reader_close(r);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void copy_file(const char *from, const char *to)
{
	char cmd[9000];
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	CHECK_EQ(system(cmd), 0);
}

/* Two sessions (a restart) sealed into one, smaller, same records. */
static void test_seal(void)
{
	char *dir = tu_tmpdir();
	char path[4200], tmp[4300], err[256];
	uint64_t H = 1720000000ull * NS_S / NS_H * NS_H;
	make_records(H);
	write_session(dir, H, 0, NREC, false);
	write_session(dir, H, NREC, NREC, false);
	tu_hour_path(path, sizeof(path), dir, H);
	check_file("unsealed", path, 2 * NREC, 2);
	long before = tu_file_size(path);

	struct log_seal_result res;
	CHECK_EQ(log_seal_file(path, &res, err, sizeof(err)), 0);
	CHECK(res.sealed);
	CHECK_EQ(res.records, 2 * NREC);
	CHECK_EQ(res.bytes_before, (uint64_t)before);
	CHECK_EQ(res.bytes_after, (uint64_t)tu_file_size(path));
	CHECK(tu_file_size(path) < before);
	check_file("sealed", path, 2 * NREC, 1);
	CHECK_EQ(log_seal_temp_path(path, tmp, sizeof(tmp)), 0);
	CHECK(!exists(tmp));
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == (0640 & ~(mode_t)022));

	/* sealing a sealed file changes nothing */
	long sealed = tu_file_size(path);
	CHECK_EQ(log_seal_file(path, &res, err, sizeof(err)), 0);
	CHECK(!res.sealed);
	CHECK_EQ(tu_file_size(path), sealed);
	tu_rm_rf(dir);
	free(dir);
}

/* A crash after each step leaves a complete file (old or new), and the next
 * seal succeeds and removes the temporary file. */
static void test_seal_crash(void)
{
	char *dir = tu_tmpdir();
	char path[4200], orig[4300], tmp[4300], err[256];
	uint64_t H = 1720003600ull * NS_S / NS_H * NS_H;
	make_records(H);
	write_session(dir, H, 0, NREC, false);
	write_session(dir, H, NREC, NREC, false);
	tu_hour_path(path, sizeof(path), dir, H);
	snprintf(orig, sizeof(orig), "%s/orig", dir);
	copy_file(path, orig);
	long before = tu_file_size(path);
	CHECK_EQ(log_seal_temp_path(path, tmp, sizeof(tmp)), 0);

	static const enum log_seal_step steps[] = {LOG_SEAL_TEMP_WRITTEN, LOG_SEAL_TEMP_SYNCED,
	                                           LOG_SEAL_RENAMED, LOG_SEAL_DONE};
	for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
		char what[64];
		copy_file(orig, path);
		struct log_seal_result res;
		CHECK_EQ(log_seal_file_until(path, steps[k], &res, err, sizeof(err)), 0);
		bool renamed = steps[k] >= LOG_SEAL_RENAMED;
		snprintf(what, sizeof(what), "crash after step %d", (int)steps[k]);
		CHECK_EQ(res.sealed, renamed);
		CHECK_EQ(exists(tmp), !renamed);
		CHECK_EQ(tu_file_size(path) == before, !renamed);
		check_file(what, path, 2 * NREC, renamed ? 1 : 2);
		/* the restarted writer seals again */
		CHECK_EQ(log_seal_file(path, &res, err, sizeof(err)), 0);
		CHECK_EQ(res.sealed, !renamed);
		CHECK(!exists(tmp));
		check_file(what, path, 2 * NREC, 1);
	}
	tu_rm_rf(dir);
	free(dir);
}

/* A file with a cut is left exactly as it is. */
static void test_seal_cut(void)
{
	char *dir = tu_tmpdir();
	char path[4200], tmp[4300], err[256];
	uint64_t H = 1720007200ull * NS_S / NS_H * NS_H;
	make_records(H);
	write_session(dir, H, 0, NREC, false);
	write_session(dir, H, NREC, NREC, false);
	tu_hour_path(path, sizeof(path), dir, H);
	long full = tu_file_size(path);
	CHECK(truncate(path, full - 5) == 0);
	struct log_seal_result res;
	CHECK_EQ(log_seal_file(path, &res, err, sizeof(err)), 0);
	CHECK(!res.sealed);
	CHECK_EQ(tu_file_size(path), full - 5);
	CHECK_EQ(log_seal_temp_path(path, tmp, sizeof(tmp)), 0);
	CHECK(!exists(tmp));
	/* a missing file is an error */
	tu_rm_rf(path);
	CHECK_EQ(log_seal_file(path, &res, err, sizeof(err)), -1);
	CHECK(strstr(err, path) != NULL);
	tu_rm_rf(dir);
	free(dir);
}

/* The writer seals an hour it closes on time, not one closed at shutdown. */
static void test_writer_seals(void)
{
	char *dir = tu_tmpdir();
	char path[4200];
	uint64_t H = 1720010800ull * NS_S / NS_H * NS_H;
	make_records(H);
	write_session(dir, H, 0, NREC, false);
	tu_hour_path(path, sizeof(path), dir, H);
	long unsealed = tu_file_size(path);
	check_file("shutdown", path, NREC, 1);
	tu_rm_rf(path);
	write_session(dir, H, 0, NREC, true);
	check_file("on time", path, NREC, 1);
	CHECK(tu_file_size(path) < unsealed);
	/* a later session of the same hour is appended to the sealed file */
	write_session(dir, H, NREC, NREC, false);
	check_file("appended", path, 2 * NREC, 2);

	/* a seal that cannot be done (a directory where its temporary file
	 * goes) is counted, is no error of the log, and leaves the file */
	char tmp[4300], err[256];
	CHECK_EQ(log_seal_temp_path(path, tmp, sizeof(tmp)), 0);
	CHECK_EQ(mkdir(tmp, 0700), 0);
	long before = tu_file_size(path);
	struct log_options opt;
	log_options_default(&opt);
	struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
	CHECK(w != NULL);
	if (w) {
		CHECK_EQ(log_writer_append(w, &recs[2 * NREC - 1], 1, recs[2 * NREC - 1].time_ns),
		         0);
		CHECK_EQ(log_writer_tick(w, H + NS_H + 3600 * NS_S), 0);
		const char *msg = NULL;
		CHECK_EQ(log_writer_seal_failures(w, &msg), 1);
		CHECK(msg && strstr(msg, path) != NULL);
		log_writer_close(w);
	}
	CHECK(tu_file_size(path) > before);
	struct synack_record *got;
	bool trunc = true;
	CHECK_EQ(tu_read_all(path, &got, &trunc), 2 * NREC + 1);
	CHECK(!trunc);
	free(got);
	tu_rm_rf(dir);
	free(dir);
}

/* Pruning an old hour removes a .seal file that a crash left beside it. */
static void test_prune_leftover(void)
{
	char *dir = tu_tmpdir();
	char path[4200], tmp[4300], err[256];
	uint64_t H = 1720014400ull * NS_S / NS_H * NS_H;
	make_records(H);
	write_session(dir, H, 0, 100, false);
	tu_hour_path(path, sizeof(path), dir, H);
	struct log_seal_result res;
	CHECK_EQ(log_seal_file_until(path, LOG_SEAL_TEMP_SYNCED, &res, err, sizeof(err)), 0);
	CHECK_EQ(log_seal_temp_path(path, tmp, sizeof(tmp)), 0);
	CHECK(exists(tmp));
	struct log_prune_result pr;
	CHECK_EQ(log_prune(dir, H / NS_S + 3600, &pr), 0);
	CHECK_EQ(pr.files_removed, 2);
	CHECK(!exists(path) && !exists(tmp));
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	umask(022);
	test_seal();
	test_seal_crash();
	test_seal_cut();
	test_writer_seals();
	test_prune_leftover();
	return check_done("test_log_seal");
}
