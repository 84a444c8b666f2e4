/*
 * test_log_roundtrip.c - every record field survives writer and reader
 * (time at microsecond resolution), across many blocks and dictionaries.
 */
#include "check.h"
#include "log_test_util.h"

static int rec_eq(const struct synack_record *a, const struct synack_record *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* many_hosts: random internal hosts (the dictionaries overflow at large n);
 * visits: half of the records repeat one of the last pairs with a nearby
 * external port (the recent-pair coding). */
static void roundtrip(size_t n, bool many_hosts, bool visits)
{
	char *dir = tu_tmpdir();
	char err[256], path[4200];
	struct log_options opt;
	log_options_default(&opt);
	opt.sensor_id = 0xC0FFEE;
	struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
	CHECK(w != NULL);
	if (!w)
		return;

	uint64_t base = 1700000000ull * NS_S / NS_H * NS_H + 17; /* hour start + 17 ns */
	struct synack_record *recs = malloc(n * sizeof(*recs));
	uint64_t t = base;
	for (size_t i = 0; i < n; i++) {
		t += tu_rand() % 500000; /* up to 0.5 ms, ns digits too */
		tu_random_record(&recs[i], t);
		if (many_hosts) {
			recs[i].saddr[0] = (uint8_t)tu_rand();
			recs[i].saddr[1] = (uint8_t)tu_rand();
		}
		recs[i].flags = (uint16_t)(i & 0xfff); /* every flag value */
		if (i % 97 == 0)
			recs[i].time_ns = base + tu_rand() % (t - base + 1); /* out of order */
		if (i == 5) /* IPv4 family with a 16-byte-looking address */
			recs[i].daddr[9] = 1;
		if (visits && i > 4 && tu_rand() % 2) {
			const struct synack_record *p = &recs[i - 1 - tu_rand() % 4];
			memcpy(recs[i].saddr, p->saddr, 16);
			memcpy(recs[i].daddr, p->daddr, 16);
			recs[i].sport = p->sport;
			recs[i].vlan = p->vlan;
			recs[i].family = p->family;
			recs[i].dport = (uint16_t)(p->dport + tu_rand() % 24);
			if (tu_rand() % 4)
				recs[i].worker = p->worker;
		}
	}
	/* in batches of odd sizes, with flushes in between */
	uint64_t now = base;
	for (size_t i = 0; i < n;) {
		size_t b = 1 + tu_rand() % 3000;
		if (b > n - i)
			b = n - i;
		CHECK_EQ(log_writer_append(w, recs + i, b, now), 0);
		i += b;
		now += (tu_rand() % 3) * NS_S / 2;
		CHECK_EQ(log_writer_tick(w, now), 0);
	}
	tu_hour_path(path, sizeof(path), dir, base);
	CHECK(strcmp(log_writer_current_path(w), path) == 0);
	log_writer_close(w);

	struct synack_record *got;
	bool trunc = true;
	long m = tu_read_all(path, &got, &trunc);
	CHECK_EQ(m, n);
	CHECK(!trunc);
	size_t bad = 0;
	for (size_t i = 0; m == (long)n && i < n; i++) {
		struct synack_record e = tu_expect(&recs[i]);
		if (!rec_eq(&e, &got[i]) && bad++ < 3)
			fprintf(stderr, "record %zu differs\n", i);
	}
	CHECK_EQ(bad, 0);

	char e2[256];
	struct log_reader *r = log_reader_open(path, e2, sizeof(e2));
	CHECK(r && log_reader_sensor_id(r) == 0xC0FFEE);
	log_reader_close(r);

	/* file and directory modes */
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == (0640 & ~0u));
	char d[4200];
	snprintf(d, sizeof(d), "%s/logs", dir);
	CHECK(stat(d, &st) == 0 && (st.st_mode & 0777) == 0750);
	free(got);
	free(recs);
	tu_rm_rf(dir);
	free(dir);
}

int main(void)
{
	umask(022);
	roundtrip(1, false, false);
	roundtrip(100, false, false);
	roundtrip(50000, false, false);
	roundtrip(30000, true, false); /* svc dictionary indices beyond one byte */
	roundtrip(20000, false, true);
	roundtrip(300000, true, true); /* both dictionaries overflow */

	/* not a log */
	char err[256];
	char *dir = tu_tmpdir();
	char p[4200];
	snprintf(p, sizeof(p), "%s/junk.zst", dir);
	FILE *f = fopen(p, "w");
	fputs("hello world, not a log", f);
	fclose(f);
	CHECK(log_reader_open(p, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a synack log") != NULL);
	tu_rm_rf(dir);
	free(dir);
	return check_done("test_log_roundtrip");
}
