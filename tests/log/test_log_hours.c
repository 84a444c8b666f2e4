/*
 * test_log_hours.c - hour placement (boundaries, out of order within the
 * grace period, later than it), the open-file limit, and restart appends.
 */
#include "check.h"
#include "log_test_util.h"

#define MAXR 64

struct expect {
	uint64_t hour_t; /* any time in the hour */
	struct synack_record recs[MAXR];
	size_t n;
};

static struct synack_record mk(uint64_t t, uint16_t sport)
{
	struct synack_record r;
	memset(&r, 0, sizeof(r));
	r.time_ns = t;
	r.family = SYNACK_FAMILY_IPV4;
	r.saddr[0] = 10;
	r.saddr[3] = 1;
	r.daddr[0] = 198;
	r.daddr[3] = (uint8_t)sport;
	r.sport = sport;
	r.dport = 40000;
	r.flags = 0x12;
	return r;
}

static void check_file(const char *dir, const struct expect *e, const char *what)
{
	char path[4200];
	struct synack_record *got;
	bool trunc = false;
	tu_hour_path(path, sizeof(path), dir, e->hour_t);
	long n = tu_read_all(path, &got, &trunc);
	CHECK_EQ(n, e->n);
	CHECK(!trunc);
	for (long i = 0; i < n && (size_t)n == e->n; i++) {
		struct synack_record x = tu_expect(&e->recs[i]);
		if (memcmp(&x, &got[i], sizeof(x)) != 0) {
			fprintf(stderr, "%s: %s record %ld differs\n", what, path, i);
			CHECK(0);
		}
	}
	free(got);
}

/* A log writer on dir with a grace period of 120 s. */
static struct log_writer *open_with_grace(const char *dir)
{
	char err[256];
	struct log_options opt;
	log_options_default(&opt);
	opt.grace_ns = 120 * NS_S;
	struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
	CHECK(w != NULL);
	return w;
}

static void test_boundaries(void)
{
	char *dir = tu_tmpdir();
	struct log_writer *w = open_with_grace(dir);

	uint64_t H = 1735689600ull * NS_S - NS_H; /* 2024-12-31T23:00Z: day/month/year change */
	static struct expect e0, e1, e2;
	memset(&e0, 0, sizeof(e0));
	memset(&e1, 0, sizeof(e1));
	memset(&e2, 0, sizeof(e2));
	e0.hour_t = H;
	e1.hour_t = H + NS_H;
	e2.hour_t = H + 2 * NS_H;
	struct synack_record r;

	/* last ns of the hour and first of the next */
	r = mk(H + NS_H - 1, 1);
	e0.recs[e0.n++] = r;
	CHECK_EQ(log_writer_append(w, &r, 1, H + NS_H - 1), 0);
	r = mk(H + NS_H, 2);
	e1.recs[e1.n++] = r;
	CHECK_EQ(log_writer_append(w, &r, 1, H + NS_H), 0);
	/* out of order within the grace period: previous hour still open */
	r = mk(H + NS_H - 5 * NS_S, 3);
	e0.recs[e0.n++] = r;
	CHECK_EQ(log_writer_append(w, &r, 1, H + NS_H + 60 * NS_S), 0);
	/* a batch mixing both hours */
	struct synack_record batch[4] = {mk(H + NS_H + 61 * NS_S, 4), mk(H + NS_H - 2 * NS_S, 5),
	                                 mk(H + NS_H + 62 * NS_S, 6), mk(H + 10, 7)};
	e1.recs[e1.n++] = batch[0];
	e0.recs[e0.n++] = batch[1];
	e1.recs[e1.n++] = batch[2];
	e0.recs[e0.n++] = batch[3];
	CHECK_EQ(log_writer_append(w, batch, 4, H + NS_H + 62 * NS_S), 0);
	/* past the grace period: hour 0 gets closed by tick */
	CHECK_EQ(log_writer_tick(w, H + NS_H + 200 * NS_S), 0);
	r = mk(H + NS_H + 300 * NS_S, 8);
	e1.recs[e1.n++] = r;
	CHECK_EQ(log_writer_append(w, &r, 1, H + NS_H + 300 * NS_S), 0);
	/* later than grace: still goes to its own hour (reopened, new frame) */
	r = mk(H + 30 * 60 * NS_S, 9);
	e0.recs[e0.n++] = r;
	CHECK_EQ(log_writer_append(w, &r, 1, H + NS_H + 400 * NS_S), 0);
	r = mk(H + 2 * NS_H + 1, 10);
	e2.recs[e2.n++] = r;
	CHECK_EQ(log_writer_append(w, &r, 1, H + 2 * NS_H + 1), 0);
	/* a much later one, days back */
	log_writer_close(w);

	check_file(dir, &e0, "hour0");
	check_file(dir, &e1, "hour1");
	check_file(dir, &e2, "hour2");
	char p[4200];
	snprintf(p, sizeof(p), "%s/logs/2024/12/31/synack-20241231-23.zst", dir);
	CHECK(tu_file_size(p) > 0);
	snprintf(p, sizeof(p), "%s/logs/2025/01/01/synack-20250101-00.zst", dir);
	CHECK(tu_file_size(p) > 0);
	tu_rm_rf(dir);
	free(dir);
}

/* Records spread over 10 hours in random order: at most 4 files open, every
 * record in its hour, order within each hour kept. */
static void test_many_hours(void)
{
	char *dir = tu_tmpdir();
	char err[256];
	struct log_writer *w = log_writer_open(dir, NULL, err, sizeof(err));
	CHECK(w != NULL);
	uint64_t H = 1600000000ull * NS_S / NS_H * NS_H;
	static struct expect e[10];
	memset(e, 0, sizeof(e));
	for (int h = 0; h < 10; h++)
		e[h].hour_t = H + (uint64_t)h * NS_H;
	for (int i = 0; i < 600; i++) {
		int h = (int)(tu_rand() % 10);
		if (e[h].n == MAXR)
			continue;
		struct synack_record r = mk(H + (uint64_t)h * NS_H + tu_rand() % NS_H, (uint16_t)i);
		e[h].recs[e[h].n++] = r;
		CHECK_EQ(log_writer_append(w, &r, 1, H + 5 * NS_H), 0);
		CHECK_EQ(log_writer_tick(w, H + 5 * NS_H), 0);
	}
	log_writer_close(w);
	for (int h = 0; h < 10; h++)
		check_file(dir, &e[h], "many");
	tu_rm_rf(dir);
	free(dir);
}

/* A writer opened twice on the same directory appends; nothing is lost. */
static void test_restart(void)
{
	char *dir = tu_tmpdir();
	char err[256], path[4200];
	uint64_t H = 1650000000ull * NS_S / NS_H * NS_H;
	static struct expect e;
	memset(&e, 0, sizeof(e));
	e.hour_t = H;
	for (int s = 0; s < 3; s++) {
		struct log_options opt;
		log_options_default(&opt);
		opt.sensor_id = 7;
		struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
		CHECK(w != NULL);
		for (int i = 0; i < 10; i++) {
			struct synack_record r =
			    mk(H + (uint64_t)(s * 10 + i) * NS_S, (uint16_t)(s * 100 + i));
			e.recs[e.n++] = r;
			CHECK_EQ(log_writer_append(w, &r, 1, H + 100 * NS_S), 0);
		}
		log_writer_close(w);
	}
	check_file(dir, &e, "restart");
	tu_hour_path(path, sizeof(path), dir, H);
	struct log_reader *r = log_reader_open(path, err, sizeof(err));
	CHECK(r && log_reader_sensor_id(r) == 7);
	log_reader_close(r);
	tu_rm_rf(dir);
	free(dir);
}

/* The writer never follows a symlink where a log should be. */
static void test_nofollow(void)
{
	char *dir = tu_tmpdir();
	char err[256], path[4200], target[4200];
	uint64_t H = 1650000000ull * NS_S / NS_H * NS_H;
	struct log_writer *w = log_writer_open(dir, NULL, err, sizeof(err));
	struct synack_record r = mk(H, 1);
	CHECK_EQ(log_writer_append(w, &r, 1, H), 0);
	log_writer_rotate(w);
	tu_hour_path(path, sizeof(path), dir, H);
	snprintf(target, sizeof(target), "%s/victim", dir);
	FILE *f = fopen(target, "w");
	fclose(f);
	unlink(path);
	CHECK(symlink(target, path) == 0);
	CHECK(log_writer_append(w, &r, 1, H) < 0);
	CHECK(strstr(log_writer_error(w), "open") != NULL);
	CHECK_EQ(tu_file_size(target), 0);
	log_writer_close(w);
	CHECK(log_writer_open("/nonexistent/dir", NULL, err, sizeof(err)) == NULL);
	tu_rm_rf(dir);
	free(dir);
}

static struct log_writer_stats stats_of(const struct log_writer *w)
{
	struct log_writer_stats st;
	log_writer_get_stats(w, &st);
	return st;
}

/* One record from the far future (a corrupt time stamp, a wall clock that
 * was ahead and is set back) does not make every later record's hour old
 * on the record clock: the current hour is closed once, not at every
 * append and tick, and keeps every record. */
static void test_future_record(void)
{
	char *dir = tu_tmpdir();
	struct log_writer *w = open_with_grace(dir);
	uint64_t H = 1700000000ull * NS_S / NS_H * NS_H;
	static struct expect now_hour, future_hour;
	memset(&now_hour, 0, sizeof(now_hour));
	memset(&future_hour, 0, sizeof(future_hour));
	now_hour.hour_t = H;
	future_hour.hour_t = 4000000000ull * NS_S; /* 2096 */

	struct synack_record r = mk(H + NS_S, 1);
	now_hour.recs[now_hour.n++] = r;
	CHECK_EQ(log_writer_append(w, &r, 1, H + NS_S), 0);
	r = mk(future_hour.hour_t, 2);
	future_hour.recs[future_hour.n++] = r;
	CHECK_EQ(log_writer_append(w, &r, 1, H + 2 * NS_S), 0);
	for (uint64_t s = 3; now_hour.n < MAXR; s++) {
		r = mk(H + s * NS_S, (uint16_t)(s + 10));
		now_hour.recs[now_hour.n++] = r;
		CHECK_EQ(log_writer_append(w, &r, 1, H + s * NS_S), 0);
		CHECK_EQ(log_writer_tick(w, H + s * NS_S + NS_S / 2), 0);
	}
	/* closed by the record clock when the future record came, then not
	 * again while its records go on */
	CHECK(stats_of(w).files_closed <= 1);
	/* the idle wall clock still closes the hour once it is over */
	CHECK_EQ(log_writer_tick(w, H + NS_H + 200 * NS_S), 0);
	CHECK(stats_of(w).files_closed <= 2);
	CHECK(stats_of(w).files_sealed <= 2);
	log_writer_close(w);
	check_file(dir, &now_hour, "future: this hour");
	check_file(dir, &future_hour, "future: 2096");
	tu_rm_rf(dir);
	free(dir);
}

/* Replaying a capture: records of an hour that come after the record clock
 * has closed it reopen its file, which takes the later stragglers too and
 * is closed (and sealed) again a grace period of record time later, once,
 * not at every straggler. */
static void test_stragglers(void)
{
	char *dir = tu_tmpdir();
	struct log_writer *w = open_with_grace(dir);
	uint64_t H = 1700000000ull * NS_S / NS_H * NS_H;
	uint64_t now = H + 30 * NS_H; /* the wall clock: much later */
	static struct expect e0, e1;
	memset(&e0, 0, sizeof(e0));
	memset(&e1, 0, sizeof(e1));
	e0.hour_t = H;
	e1.hour_t = H + NS_H;
	uint16_t port = 1;

	for (int i = 0; i < 10; i++) {
		struct synack_record r = mk(H + (uint64_t)i * 60 * NS_S, port++);
		e0.recs[e0.n++] = r;
		CHECK_EQ(log_writer_append(w, &r, 1, now), 0);
	}
	/* the next hour, past the grace period: hour 0 is closed and sealed */
	uint64_t t = H + NS_H;
	for (int i = 0; i < 10; i++, t += 30 * NS_S) {
		struct synack_record r = mk(t, port++);
		e1.recs[e1.n++] = r;
		CHECK_EQ(log_writer_append(w, &r, 1, now), 0);
	}
	CHECK_EQ(stats_of(w).files_closed, 1);
	CHECK_EQ(stats_of(w).files_sealed, 0); /* one session of one block */
	/* stragglers of hour 0 within 50 s of record time: one more session */
	for (int i = 0; i < 10; i++, t += 5 * NS_S) {
		struct synack_record late = mk(H + NS_H - NS_S, port++);
		struct synack_record r = mk(t, port++);
		e0.recs[e0.n++] = late;
		e1.recs[e1.n++] = r;
		CHECK_EQ(log_writer_append(w, &late, 1, now), 0);
		CHECK_EQ(log_writer_append(w, &r, 1, now), 0);
		CHECK_EQ(log_writer_tick(w, now), 0);
	}
	CHECK_EQ(stats_of(w).files_closed, 1);
	/* a grace period of record time later it is closed and sealed */
	struct synack_record r = mk(t + 120 * NS_S, port++);
	e1.recs[e1.n++] = r;
	CHECK_EQ(log_writer_append(w, &r, 1, now), 0);
	CHECK_EQ(stats_of(w).files_closed, 2);
	CHECK_EQ(stats_of(w).files_sealed, 1);
	log_writer_close(w);
	check_file(dir, &e0, "stragglers: hour 0");
	check_file(dir, &e1, "stragglers: hour 1");
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	test_boundaries();
	test_many_hours();
	test_restart();
	test_nofollow();
	test_future_record();
	test_stragglers();
	return check_done("test_log_hours");
}
