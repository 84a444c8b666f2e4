/*
 * test_log_flush.c - after log_writer_tick past the flush interval, a reader
 * opened while the writer is still open sees every record appended before.
 */
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
	opt.fsync_interval_ns = 5 * NS_S;
	struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
	CHECK(w != NULL);
	static struct synack_record recs[20000];
	size_t n = 0;
	uint64_t now = H + 100 * NS_S;
	tu_hour_path(path, sizeof(path), dir, H);

	for (int round = 0; round < 8; round++) {
		size_t b = round == 3 ? 9000 : 1 + tu_rand() % 500; /* one round spans blocks */
		for (size_t i = 0; i < b; i++, n++)
			tu_random_record(&recs[n], H + n * 1000);
		CHECK_EQ(log_writer_append(w, recs + n - b, b, now), 0);
		/* before the interval: not necessarily visible; after: all */
		now += NS_S / 2;
		CHECK_EQ(log_writer_tick(w, now), 0);
		now += NS_S / 2;
		CHECK_EQ(log_writer_tick(w, now), 0);

		struct synack_record *got;
		bool trunc = false;
		long m = tu_read_all(path, &got, &trunc);
		CHECK_EQ(m, n);
		CHECK(trunc); /* the frame is still open */
		for (long i = 0; i < m && (size_t)m == n; i++) {
			struct synack_record e = tu_expect(&recs[i]);
			if (memcmp(&e, &got[i], sizeof(e)) != 0) {
				fprintf(stderr, "round %d: record %ld differs\n", round, i);
				CHECK(0);
				break;
			}
		}
		free(got);
	}

	/* flush at most every interval: a second tick right away writes nothing */
	struct synack_record r;
	tu_random_record(&r, H + 5 * NS_S);
	CHECK_EQ(log_writer_append(w, &r, 1, now), 0);
	long before = tu_file_size(path);
	CHECK_EQ(log_writer_tick(w, now + NS_S / 10), 0);
	CHECK_EQ(tu_file_size(path), before);
	/* log_writer_flush makes it visible at once */
	CHECK_EQ(log_writer_flush(w), 0);
	CHECK(tu_file_size(path) > before);
	struct synack_record *got;
	long m = tu_read_all(path, &got, NULL);
	CHECK_EQ(m, n + 1);
	free(got);

	/* idle writer closes the hour after its end plus the grace period */
	CHECK_EQ(log_writer_tick(w, H + NS_H + opt.grace_ns + NS_S), 0);
	bool trunc = true;
	m = tu_read_all(path, &got, &trunc);
	CHECK_EQ(m, n + 1);
	CHECK(!trunc);
	free(got);
	log_writer_close(w);
	tu_rm_rf(dir);
	free(dir);
	return check_done("test_log_flush");
}
