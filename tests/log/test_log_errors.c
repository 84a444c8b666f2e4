/*
 * test_log_errors.c - a write error (file size limit standing in for a full
 * disk) is reported, the writer keeps going, and once space is back the
 * records after the error are written and read back; the reader recovers
 * past the cut frame.
 */
#include <signal.h>
#include <sys/resource.h>

#include "check.h"
#include "log_test_util.h"

int main(void)
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
	tu_rm_rf(dir);
	free(dir);
	return check_done("test_log_errors");
}
