/*
 * test_log_errors.c - a write error (file size limit standing in for a full
 * disk) is reported, the writer keeps going, and once space is back the
 * records after the error are written and read back; the reader recovers
 * past the cut frame.  The records counted as lost are exactly those
 * missing from the file.
 */
#include <signal.h>
#include <sys/resource.h>

#include "check.h"
#include "log_test_util.h"

static void test_recovery(void)
{
	char *dir = tu_tmpdir();
	char err[256], path[4200];
	uint64_t H = 1700000000ull * NS_S / NS_H * NS_H;
	struct log_options opt;
	log_options_default(&opt);
	opt.flush_interval_ns = NS_S;
	static struct synack_record recs[3000];
	struct rlimit old, lim;

	signal(SIGXFSZ, SIG_IGN);
	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
	CHECK(w != NULL);
	tu_hour_path(path, sizeof(path), dir, H);

	/* session part 1: flushed records under the limit */
	size_t n = 0, flushed = 0;
	uint64_t now = H + 10 * NS_S;
	lim = old;
	lim.rlim_cur = 3000;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
	int failures = 0;
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < 20; i++, n++)
			tu_random_record(&recs[n], H + n * 1000);
		int rc = log_writer_append(w, recs + n - 20, 20, now);
		now += NS_S;
		if (log_writer_tick(w, now) < 0 || rc < 0) {
			failures++;
			CHECK(strstr(log_writer_error(w), "write") != NULL ||
			      strstr(log_writer_error(w), "File too large") != NULL);
		} else if (failures == 0) {
			flushed = n;
		}
	}
	CHECK(failures > 0);
	CHECK(flushed > 0);
	size_t lost_until = n;

	/* space is back: the writer goes on in a new frame */
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 20; i++, n++)
			tu_random_record(&recs[n], H + n * 1000);
		CHECK_EQ(log_writer_append(w, recs + n - 20, 20, now), 0);
		now += NS_S;
		CHECK_EQ(log_writer_tick(w, now), 0);
	}
	log_writer_close(w);

	struct synack_record *got;
	bool trunc = false;
	long m = tu_read_all(path, &got, &trunc);
	CHECK(trunc);
	/* every record flushed before the error, then every record after */
	CHECK(m >= (long)(flushed + (n - lost_until)));
	size_t j = 0;
	for (long i = 0; i < m && j < n; i++) {
		struct synack_record e;
		while (j < n) {
			e = tu_expect(&recs[j]);
			if (memcmp(&e, &got[i], sizeof(e)) == 0)
				break;
			CHECK(j >= flushed && j < lost_until); /* only lost ones skipped */
			j++;
		}
		j++;
	}
	CHECK_EQ(j, n);
	free(got);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	tu_rm_rf(dir);
	free(dir);
}

/* The records read back are recs[0 .. n) less `missing` of them, in order. */
static void check_subsequence(const struct synack_record *recs, size_t n,
                              const struct synack_record *got, size_t m, size_t missing)
{
	size_t j = 0, skipped = 0;

	for (size_t i = 0; i < m; i++, j++) {
		struct synack_record e;
		while (j < n && (e = tu_expect(&recs[j]), memcmp(&e, &got[i], sizeof(e)) != 0)) {
			skipped++;
			j++;
		}
		CHECK(j < n);
	}
	CHECK_EQ(skipped + (n - j), missing);
}

/* Room for this many more bytes in the file at path. */
static void allow_bytes(const char *path, rlim_t room)
{
	long size = tu_file_size(path);
	struct rlimit lim;

	CHECK(getrlimit(RLIMIT_FSIZE, &lim) == 0);
	lim.rlim_cur = (size > 0 ? (rlim_t)size : 0) + room;
	CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0);
}

/* Writes failing at every point (a full block in an append, a column block
 * of a storm, a flush in a tick, a new session's header), with room for
 * everything, for a header and part of a block, or for nothing: each
 * record is counted as written or lost, and the lost ones are the ones
 * missing from the file. */
static void test_accounting(void)
{
	char *dir = tu_tmpdir();
	char err[256], path[4200];
	uint64_t H = 1700000000ull * NS_S / NS_H * NS_H;
	struct log_options opt;
	log_options_default(&opt);
	opt.flush_interval_ns = NS_S;
	enum { MAX_RECORDS = 80000 };
	static struct synack_record recs[MAX_RECORDS];
	static const rlim_t room[] = {1 << 20, 300, 0, 1 << 20, 20000, 1 << 20, 70, 5000};
	struct rlimit old;
	struct log_writer_stats st;

	CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
	struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
	CHECK(w != NULL);
	tu_hour_path(path, sizeof(path), dir, H);
	size_t n = 0;
	int failures = 0;
	uint64_t now = H + 10 * NS_S;
	for (unsigned round = 0; round < 40; round++) {
		/* 4500 records in 45 ms: a full block, then a storm */
		size_t batch = round % 3 == 1 ? 4500 : 20 + round;
		if (n + batch > MAX_RECORDS)
			break;
		for (size_t i = 0; i < batch; i++, n++)
			tu_random_record(&recs[n], H + n * 10000);
		allow_bytes(path, room[round % 8]);
		if (log_writer_append(w, recs + n - batch, batch, now) < 0)
			failures++;
		allow_bytes(path, room[(round + 5) % 8]);
		now += NS_S;
		if (log_writer_tick(w, now) < 0)
			failures++;
	}
	CHECK(failures > 10);
	CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
	CHECK_EQ(log_writer_flush(w), 0);
	log_writer_get_stats(w, &st);
	CHECK_EQ(st.records, n);
	CHECK_EQ(st.records_written + st.records_lost, n);
	CHECK(st.records_lost > n / 10);
	CHECK(st.records_written > n / 10);
	log_writer_close(w);

	struct synack_record *got;
	long m = tu_read_all(path, &got, NULL);
	CHECK_EQ(m, (long)st.records_written);
	if (m >= 0)
		check_subsequence(recs, n, got, (size_t)m, st.records_lost);
	free(got);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	test_recovery();
	test_accounting();
	return check_done("test_log_errors");
}
