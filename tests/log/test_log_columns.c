/*
 * test_log_columns.c - column blocks of log format 3: every field through
 * them, sessions that mix range-coded and column blocks, the writer's rule
 * (a block full before the flush interval starts column blocks until the
 * next flush), cuts and damage inside a column block.
 *
 * Expectations come from the generated records and from walking the raw
 * zstd blocks of the file as doc/log-format.md describes them.
 */
#include "check.h"
#include "log/log_columns.h"
#include "log_test_util.h"

#define H0 (1709244000ull * NS_S) /* 2024-02-29T22:00:00Z */

/* A block of a session as the format describes it. */
struct raw_block {
	long start, end; /* from its header (or its marker) to its payload's end */
	bool columns;    /* a column block (after an empty raw block) */
};

static uint8_t *load(const char *path, long *size)
{
	*size = tu_file_size(path);
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc((size_t)*size + 1);
	if (!f || !buf || fread(buf, 1, (size_t)*size, f) != (size_t)*size)
		*size = -1;
	if (f)
		fclose(f);
	return buf;
}

static void save(const char *path, const uint8_t *buf, long size)
{
	FILE *f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(fwrite(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
}

/* Walk the blocks of a file of one session up to its last block; returns
 * how many (at most max), -1 if the walk leaves the file. */
static int walk_blocks(const uint8_t *buf, long size, struct raw_block *out, int max)
{
	long p = LOGF_HDR_TOTAL + LOGF2_FRAME_HDR_LEN;
	int n = 0;
	while (p + 3 <= size && n < max) {
		uint32_t v =
		    (uint32_t)buf[p] | (uint32_t)buf[p + 1] << 8 | (uint32_t)buf[p + 2] << 16;
		long len = (long)(v >> 3);
		if (v & 1)
			return n; /* the last block */
		if (len == 0) {   /* marker: a column block follows */
			if (p + 6 > size)
				return -1;
			uint32_t c = (uint32_t)buf[p + 3] | (uint32_t)buf[p + 4] << 8 |
			             (uint32_t)buf[p + 5] << 16;
			out[n] = (struct raw_block){p, p + 6 + (long)(c >> 3), true};
		} else {
			out[n] = (struct raw_block){p, p + 3 + len, false};
		}
		p = out[n++].end;
	}
	return p <= size ? n : -1;
}

static bool same_records(const struct synack_record *got, const struct synack_record *gen, long n)
{
	for (long i = 0; i < n; i++) {
		struct synack_record e = tu_expect(&gen[i]);
		if (memcmp(&e, &got[i], sizeof(e)) != 0) {
			fprintf(stderr, "record %ld differs\n", i);
			return false;
		}
	}
	return true;
}

/* Every field, edge values included, through the column coder itself. */
static void test_coder(void)
{
	struct logf3_coder c;
	struct synack_record *r = calloc(LOGF_BLOCK_MAX, sizeof(*r));
	struct synack_record *got = calloc(LOGF_BLOCK_MAX, sizeof(*got));
	CHECK_EQ(logf3_coder_init(&c), 0);

	for (size_t i = 0; i < LOGF_BLOCK_MAX; i++) {
		tu_random_record(&r[i],
		                 (tu_rand() >> 1) / 1000 * 1000); /* any time, backwards too */
		r[i].flags = (uint16_t)tu_rand();                 /* all 16 bits */
		r[i].sport = (uint16_t)tu_rand();
		for (size_t b = 0; b < 16; b++) /* family 4 with 16-byte addresses too */
			r[i].saddr[b] = (uint8_t)tu_rand();
		for (size_t b = 0; b < 16; b++)
			r[i].daddr[b] = (uint8_t)tu_rand();
	}
	r[1].time_ns = 0;
	r[2].time_ns = UINT64_MAX / 1000 * 1000;
	/* random addresses, ports and times of 51 bytes a record do not fit one
	 * raw block: two blocks, each with its marker */
	size_t len = logf3_columns_encode(&c, r, LOGF_BLOCK_MAX);
	CHECK(len > 0);
	uint8_t *out = malloc(len);
	memcpy(out, c.out, len);
	long at = 0, total = 0;
	int blocks = 0;
	while (at + 6 <= (long)len && blocks < 4) {
		CHECK(out[at] == 0 && out[at + 1] == 0 && out[at + 2] == 0); /* the marker */
		uint32_t v = (uint32_t)out[at + 3] | (uint32_t)out[at + 4] << 8 |
		             (uint32_t)out[at + 5] << 16;
		CHECK_EQ(v & 7, 0); /* raw, not last */
		CHECK((v >> 3) <= LOGF2_BLOCK_BYTES);
		long n = logf3_columns_decode(&c, out + at + 6, v >> 3, got);
		CHECK(n > 0);
		if (n <= 0)
			break;
		CHECK(same_records(got, r + total, n));
		total += n;
		at += 6 + (long)(v >> 3);
		blocks++;
	}
	CHECK_EQ(at, (long)len);
	CHECK_EQ(total, LOGF_BLOCK_MAX);
	CHECK_EQ(blocks, 2);

	/* one record, and damage: a flipped byte, a cut, a foreign family */
	len = logf3_columns_encode(&c, r + 3, 1);
	CHECK(len > 6);
	CHECK_EQ(logf3_columns_decode(&c, c.out + 6, len - 6, got), 1);
	CHECK(same_records(got, r + 3, 1));
	for (size_t i = 6; i < len; i++) {
		c.out[i] ^= 0x10;
		/* refused, or (a bit zstd does not interpret) the same record */
		long k = logf3_columns_decode(&c, c.out + 6, len - 6, got);
		CHECK(k == -1 || (k == 1 && same_records(got, r + 3, 1)));
		c.out[i] ^= 0x10;
		CHECK_EQ(logf3_columns_decode(&c, c.out + 6, i - 6, got), -1);
	}
	r[3].family = 5;
	len = logf3_columns_encode(&c, r + 3, 1);
	CHECK_EQ(logf3_columns_decode(&c, c.out + 6, len - 6, got), -1);

	free(out);
	free(r);
	free(got);
	logf3_coder_free(&c);
}

/* count records at t, t + 10 us ...; one append. */
static void gen_storm(struct synack_record *r, size_t count, uint64_t t)
{
	for (size_t i = 0; i < count; i++)
		tu_random_record(&r[i], t + i * 10000 + tu_rand() % 1000);
}

/* A storm in one append: a range-coded block, full column blocks, the
 * rest at close; cuts at every block boundary and inside column blocks. */
static void test_storm_and_cuts(void)
{
	enum { N = 20000, MAXB = 64 };
	char *dir = tu_tmpdir(), path[4200], cut[4300];
	struct synack_record *gen = malloc(N * sizeof(*gen)), *got;
	struct log_options opt;

	log_options_default(&opt);
	gen_storm(gen, N, H0 + NS_S);
	struct log_writer *w = log_writer_open(dir, &opt, NULL, 0);
	CHECK(w != NULL);
	CHECK_EQ(log_writer_append(w, gen, N, H0 + NS_S), 0);
	log_writer_close(w);
	tu_hour_path(path, sizeof(path), dir, H0);

	bool trunc = true;
	CHECK_EQ(tu_read_all(path, &got, &trunc), N);
	CHECK(!trunc);
	CHECK(same_records(got, gen, N));
	free(got);

	long size;
	uint8_t *buf = load(path, &size);
	struct raw_block b[MAXB];
	int nb = walk_blocks(buf, size, b, MAXB);
	CHECK(nb >= 4);
	/* the rule: one range-coded block fills, column blocks follow */
	CHECK(nb > 0 && !b[0].columns);
	for (int i = 1; i < nb; i++)
		CHECK(b[i].columns);

	snprintf(cut, sizeof(cut), "%s/cut.zst", dir);
	long before = -1; /* records before the current column block */
	for (int i = 0; i < nb; i++) {
		save(cut, buf, b[i].start);
		long c0 = tu_read_all(cut, &got, &trunc);
		CHECK(same_records(got, gen, c0));
		CHECK(i == 0 || trunc);
		free(got);
		if (i >= 2) /* full column blocks hold 4096 records */
			CHECK_EQ(c0 - before, LOGF_BLOCK_MAX);
		before = c0;
		if (!b[i].columns)
			continue;
		/* inside: the marker alone, then a sample of payload bytes */
		for (long at = b[i].start + 1; at < b[i].end; at += at < b[i].start + 8 ? 1 : 611) {
			save(cut, buf, at);
			long c = tu_read_all(cut, &got, &trunc);
			CHECK_EQ(c, c0);
			CHECK(trunc);
			CHECK(same_records(got, gen, c));
			free(got);
		}
		/* damage in the payload: the records before, no others */
		long mid = (b[i].start + 6 + b[i].end) / 2;
		buf[mid] ^= 0x40;
		save(cut, buf, size);
		buf[mid] ^= 0x40;
		long c = tu_read_all(cut, &got, &trunc);
		CHECK_EQ(c, c0);
		CHECK(trunc);
		CHECK(same_records(got, gen, c));
		free(got);
	}
	/* cut at the end of the last column block: all records, frame not ended */
	save(cut, buf, b[nb - 1].end);
	CHECK_EQ(tu_read_all(cut, &got, &trunc), N);
	CHECK(trunc);
	free(got);

	free(buf);
	free(gen);
	tu_rm_rf(dir);
	free(dir);
}

/* One hour: quiet, storm, quiet, storm, quiet.  Quiet records come one a
 * millisecond, each appended on its own with the record clock as now (a
 * flush every second); storms come in one append. */
static void test_mixed(void)
{
	enum { QUIET = 1500, STORM = 9000, MAXB = 256 };
	const size_t total = 3 * QUIET + 2 * STORM;
	char *dir = tu_tmpdir(), path[4200];
	struct synack_record *gen = malloc(total * sizeof(*gen)), *got;
	struct log_options opt;
	size_t n = 0;
	uint64_t t = H0 + 60 * NS_S;

	log_options_default(&opt);
	struct log_writer *w = log_writer_open(dir, &opt, NULL, 0);
	CHECK(w != NULL);
	for (int phase = 0; phase < 5; phase++) {
		if (phase % 2 == 0) {
			for (int i = 0; i < QUIET; i++, n++, t += 1000000) {
				tu_random_record(&gen[n], t);
				CHECK_EQ(log_writer_append(w, &gen[n], 1, t), 0);
			}
		} else {
			gen_storm(gen + n, STORM, t);
			CHECK_EQ(log_writer_append(w, gen + n, STORM, t), 0);
			n += STORM;
			t += 2 * NS_S;
		}
	}
	log_writer_close(w);
	CHECK_EQ(n, total);
	tu_hour_path(path, sizeof(path), dir, H0);

	bool trunc = true;
	CHECK_EQ(tu_read_all(path, &got, &trunc), (long)total);
	CHECK(!trunc);
	CHECK(same_records(got, gen, (long)total));
	free(got);

	/* kinds in order: range blocks, column blocks, range, column, range */
	long size;
	uint8_t *buf = load(path, &size);
	struct raw_block b[MAXB];
	int nb = walk_blocks(buf, size, b, MAXB);
	CHECK(nb > 8);
	int runs = 1;
	for (int i = 1; i < nb; i++)
		runs += b[i].columns != b[i - 1].columns;
	CHECK_EQ(runs, 5);
	CHECK(nb > 0 && !b[0].columns && !b[nb - 1].columns);
	free(buf);

	/* sealed hours are range coded through and through */
	free(gen);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	test_coder();
	test_storm_and_cuts();
	test_mixed();
	return check_done("test_log_columns");
}
