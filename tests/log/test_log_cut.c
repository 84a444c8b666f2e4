/*
 * test_log_cut.c - a log cut at any byte of its last frame gives back exactly
 * the records of the blocks flushed before the cut and reports the cut; a
 * cut frame or a cut session header followed by a restart's session loses
 * nothing after the cut.
 */
#include <fcntl.h>

#include "check.h"
#include "log_test_util.h"

struct flushpoint {
	long size;   /* file size after the flush */
	size_t nrec; /* records written before it */
};

/* Write nflush groups of records with a flush after each; returns records
 * and flush points. */
static size_t write_session(const char *dir, uint64_t H, struct synack_record *recs, size_t off,
                            int nflush, struct flushpoint *fp, char *path, size_t plen)
{
	char err[256];
	struct log_options opt;
	log_options_default(&opt);
	opt.flush_interval_ns = NS_S;
	struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
	CHECK(w != NULL);
	size_t n = off;
	uint64_t now = H + 10 * NS_S;
	for (int f = 0; f < nflush; f++) {
		size_t b = 1 + tu_rand() % 40;
		for (size_t i = 0; i < b; i++) {
			tu_random_record(&recs[n], H + (n + 1) * 1000003ull);
			CHECK_EQ(log_writer_append(w, &recs[n], 1, now), 0);
			n++;
		}
		now += NS_S;
		CHECK_EQ(log_writer_tick(w, now), 0);
		snprintf(path, plen, "%s", log_writer_current_path(w));
		fp[f].size = tu_file_size(path);
		fp[f].nrec = n;
	}
	log_writer_close(w);
	return n;
}

static void check_prefix(const char *what, const struct synack_record *got, long n,
                         const struct synack_record *want, size_t nwant)
{
	CHECK_EQ(n, nwant);
	for (long i = 0; i < n && (size_t)n == nwant; i++) {
		struct synack_record e = tu_expect(&want[i]);
		if (memcmp(&e, &got[i], sizeof(e)) != 0) {
			fprintf(stderr, "%s: record %ld differs\n", what, i);
			CHECK(0);
			break;
		}
	}
}

static void copy_prefix(const char *from, const char *to, long len)
{
	FILE *a = fopen(from, "rb");
	FILE *b = fopen(to, "wb");
	char *buf = malloc((size_t)len + 1);
	size_t got = fread(buf, 1, (size_t)len, a);
	CHECK_EQ(got, (size_t)len);
	fwrite(buf, 1, got, b);
	fclose(a);
	fclose(b);
	free(buf);
}

static void test_cut_everywhere(void)
{
	char *dir = tu_tmpdir();
	char path[4200], cut[4200];
	uint64_t H = 1700000000ull * NS_S / NS_H * NS_H;
	static struct synack_record recs[4000];
	static struct flushpoint fp[64], fp1[64];
	/* two sessions: cuts in the first frame, and in the last one */
	size_t n1 = write_session(dir, H, recs, 0, 5, fp1, path, sizeof(path));
	long s1 = tu_file_size(path);
	size_t n = write_session(dir, H, recs, n1, 25, fp, path, sizeof(path));
	long full = tu_file_size(path);
	CHECK(full > s1);
	snprintf(cut, sizeof(cut), "%s/cut.zst", dir);

	int cases = 0;
	for (long len = 1; len <= full; len++) {
		size_t want = 0;
		/* a header without any frame bytes, or with only the frame's
		 * header (6 bytes, written with it) is not a cut */
		bool want_trunc = len != full && len != s1 && len != 40 && len != 46 &&
		                  len != s1 + 40 && len != s1 + 46;
		if (len < s1 && len % 7 != 0 && len > 48)
			continue; /* a sample of the first frame, every byte of the last */
		if (len < s1) {
			for (int f = 0; f < 5; f++)
				if (fp1[f].size <= len)
					want = fp1[f].nrec;
		} else {
			want = n1;
			for (int f = 0; f < 25; f++)
				if (fp[f].size <= len)
					want = fp[f].nrec;
		}
		copy_prefix(path, cut, len);
		struct synack_record *got;
		bool trunc = false;
		long m = tu_read_all(cut, &got, &trunc);
		char what[64];
		snprintf(what, sizeof(what), "cut at %ld", len);
		check_prefix(what, got, m, recs, want);
		if (trunc != want_trunc) {
			fprintf(stderr, "cut at %ld of %ld: truncated %d\n", len, full, trunc);
			CHECK(0);
		}
		free(got);
		cases++;
	}
	CHECK(cases > 100);
	(void)n;
	tu_rm_rf(dir);
	free(dir);
}

/* Cut a frame (crash), then a restart appends: records after the cut are
 * all read back, as well as the complete blocks before it. */
static void test_cut_restart(void)
{
	char *dir = tu_tmpdir();
	char path[4200];
	uint64_t H = 1710000000ull * NS_S / NS_H * NS_H;
	static struct synack_record recs[4000], want[4000];
	static struct flushpoint fp[64];

	for (int trial = 0; trial < 40; trial++) {
		tu_rm_rf(dir);
		mkdir(dir, 0700);
		size_t n1 = write_session(dir, H, recs, 0, 10, fp, path, sizeof(path));
		long s1 = tu_file_size(path);
		/* cut somewhere in the frame (after the header) */
		long len = 41 + (long)(tu_rand() % (uint64_t)(s1 - 41));
		if (trial == 0)
			len = 40; /* just the header */
		CHECK(truncate(path, len) == 0);
		size_t keep = 0;
		for (int f = 0; f < 10; f++)
			if (fp[f].size <= len)
				keep = fp[f].nrec;
		memcpy(want, recs, keep * sizeof(*recs));
		size_t n2 = write_session(dir, H, recs, n1, 7, fp, path, sizeof(path));
		memcpy(want + keep, recs + n1, (n2 - n1) * sizeof(*recs));

		struct synack_record *got;
		bool trunc = false;
		long m = tu_read_all(path, &got, &trunc);
		check_prefix("cut+restart", got, m, want, keep + n2 - n1);
		CHECK(trunc == (len != 40 && len != s1));
		free(got);
	}
	tu_rm_rf(dir);
	free(dir);
}

/* A session header cut short (a failed write, a crash while opening), then
 * a restart appends a new session: its header starts inside the payload the
 * cut one declares, and every record of the new session is read back. */
static void test_cut_header_restart(void)
{
	char *dir = tu_tmpdir();
	char path[4200];
	uint64_t H = 1720000000ull * NS_S / NS_H * NS_H;
	static struct synack_record recs[4000];
	static struct flushpoint fp[64];
	static const long cuts[] = {8, 13, 14, 20, 30, 39};

	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		tu_rm_rf(dir);
		mkdir(dir, 0700);
		size_t n1 = write_session(dir, H, recs, 0, 3, fp, path, sizeof(path));
		CHECK(truncate(path, cuts[c]) == 0);
		size_t n2 = write_session(dir, H, recs, n1, 4, fp, path, sizeof(path));

		struct synack_record *got;
		bool trunc = false;
		long m = tu_read_all(path, &got, &trunc);
		char what[64];
		snprintf(what, sizeof(what), "header cut at %ld + restart", cuts[c]);
		check_prefix(what, got, m, recs + n1, n2 - n1);
		CHECK(trunc);
		free(got);
	}
	tu_rm_rf(dir);
	free(dir);
}

/* Garbage in the middle of a file: the reader skips to the next header. */
static void test_garbage(void)
{
	char *dir = tu_tmpdir();
	char path[4200];
	uint64_t H = 1720000000ull * NS_S / NS_H * NS_H;
	static struct synack_record recs[4000];
	static struct flushpoint fp[64];
	size_t n1 = write_session(dir, H, recs, 0, 3, fp, path, sizeof(path));
	int fd = open(path, O_WRONLY | O_APPEND);
	char junk[300];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)tu_rand();
	CHECK(write(fd, junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	close(fd);
	size_t n2 = write_session(dir, H, recs, n1, 3, fp, path, sizeof(path));
	struct synack_record *got;
	bool trunc = false;
	long m = tu_read_all(path, &got, &trunc);
	check_prefix("garbage", got, m, recs, n2);
	CHECK(trunc);
	free(got);
	tu_rm_rf(dir);
	free(dir);
}

#define LOGF_HDR_TOTAL_TEST 40

/* Damaged bytes anywhere (not only cuts): never a crash, never more records
 * than written, and records before the damaged frame are all there. */
static void test_corrupt(void)
{
	char *dir = tu_tmpdir();
	char path[4200], bad[4200];
	uint64_t H = 1730000000ull * NS_S / NS_H * NS_H;
	static struct synack_record recs[4000];
	static struct flushpoint fp[64];
	size_t n1 = write_session(dir, H, recs, 0, 6, fp, path, sizeof(path));
	long s1 = tu_file_size(path);
	size_t n = write_session(dir, H, recs, n1, 6, fp, path, sizeof(path));
	long full = tu_file_size(path);
	snprintf(bad, sizeof(bad), "%s/bad.zst", dir);
	FILE *f = fopen(path, "rb");
	uint8_t *orig = malloc((size_t)full);
	CHECK(fread(orig, 1, (size_t)full, f) == (size_t)full);
	fclose(f);
	for (int trial = 0; trial < 400; trial++) {
		uint8_t *copy = malloc((size_t)full);
		memcpy(copy, orig, (size_t)full);
		int flips = 1 + (int)(tu_rand() % 3);
		long first = full;
		for (int k = 0; k < flips; k++) {
			long at = (long)(tu_rand() % (uint64_t)full);
			copy[at] ^= (uint8_t)(1 + tu_rand() % 255);
			if (at < first)
				first = at;
		}
		f = fopen(bad, "wb");
		fwrite(copy, 1, (size_t)full, f);
		fclose(f);
		struct synack_record *got = NULL;
		bool trunc = false;
		long m = tu_read_all(bad, &got, &trunc);
		if (first < LOGF_HDR_TOTAL_TEST) {
			CHECK(m <= (long)n); /* both headers hit: may be refused */
		} else {
			CHECK(m >= 0 && m <= (long)n);
			if (first >= s1) /* damage in the second session only */
				CHECK(m >= (long)n1);
		}
		free(got);
		free(copy);
	}
	free(orig);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	test_cut_everywhere();
	test_cut_restart();
	test_cut_header_restart();
	test_garbage();
	test_corrupt();
	return check_done("test_log_cut");
}
