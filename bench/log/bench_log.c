/*
 * bench_log.c - bench-log: size and speed of the hourly logs on synthetic
 * but realistic SYN+ACK streams.
 *
 *   bench-log [--days-realistic N] [--storm-records N] [--fast-records N]
 *             [--level L] [--flush-ms MS] [--const LIST] [--no-seal] [--dir DIR]
 *             [--seed S]
 *
 * Streams (times simulated; the writer's clock is the record clock, so it
 * flushes once per simulated second as in production):
 *   realistic  one day, Poisson arrivals at 1.47 M/day (diurnal +-50 %),
 *              230 internal hosts with 1-59 ports (heavy tailed; 80, 443,
 *              25, 22, 53 ... first), external hosts Zipf over 60 k/day,
 *              client ports uniform 32768-60999, flags 0x12 (3 % 0x52),
 *              4 workers (batches drained per worker: slightly out of order),
 *              VLAN per host, 5 % IPv6, rare FTP marks.
 *   storm      the realistic day plus a scan storm: a few scanners sweeping
 *              all ports of the internal /16 for 6 hours; three "tarpit"
 *              hosts answer on every port.
 *   fast       realistic mix at 500 k/s simulated, for writer throughput.
 * Baseline in the same run: the same records as raw 56-byte structs through
 * plain zstd streaming at --level (default 3), same hourly frames and
 * flushes (the logs are range coded, or under a storm column blocks at zstd
 * level 1: the level does not apply to them).
 * --no-seal keeps the hours as written instead of sealing them at close.
 * Every log is read back and checked (count and order-free hash).
 * --const dport,ext,svc,worker,time holds those fields of the realistic
 * records constant (time: whole seconds), to see what each field costs.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zstd.h>

#include "log/log_reader.h"
#include "log/log_writer.h"
#include "record.h"

#define NS_S 1000000000ull
#define NS_H (3600ull * NS_S)
#define DAY0 1718409600ull /* 2024-06-15T00:00:00Z */

static uint64_t rng_s = 88172645463325252ull;
static uint64_t flush_ms = 1000;
static const char *const_fields; /* --const: fields held constant (cost breakdown) */
static int seal = 1;             /* --no-seal: keep the files as written */

static uint64_t rnd(void)
{
	rng_s ^= rng_s << 13;
	rng_s ^= rng_s >> 7;
	rng_s ^= rng_s << 17;
	return rng_s;
}

static double urand(void)
{
	return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* CPU time of this thread (user + system): the cost on one core, robust
 * against other load on the machine; wall time is printed too. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Zipf sampler over n ranks (CDF + binary search). */
struct zipf {
	double *cdf;
	size_t n;
};

static void zipf_init(struct zipf *z, size_t n, double s)
{
	z->n = n;
	z->cdf = malloc(n * sizeof(double));
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		z->cdf[i] = (sum += 1.0 / pow((double)(i + 1), s));
	for (size_t i = 0; i < n; i++)
		z->cdf[i] /= sum;
}

static size_t zipf_draw(const struct zipf *z)
{
	double u = urand();
	size_t lo = 0, hi = z->n - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- the synthetic network ---- */

#define NHOSTS 230

struct service {
	int host;
	uint16_t port;
};

struct host {
	uint8_t v4[4];
	uint8_t v6[16];
	bool has_v6;
	uint16_t vlan;
};

static struct host hosts[NHOSTS];
static struct service *services;
static size_t nservices;
static struct zipf svc_zipf, ext_zipf;

static const uint16_t top_ports[] = {80,   443,  25,   22,   53,   21,  110, 143, 993, 995,  587,
                                     3389, 8080, 3306, 5432, 8443, 465, 123, 389, 636, 1433, 5900};

static void build_network(void)
{
	services = malloc(NHOSTS * 60 * sizeof(*services));
	for (int h = 0; h < NHOSTS; h++) {
		struct host *ho = &hosts[h];
		uint32_t a =
		    0xA3D10000u | (uint32_t)(mix64((uint64_t)h + 1) & 0xffff); /* 163.209/16 */
		ho->v4[0] = (uint8_t)(a >> 24);
		ho->v4[1] = (uint8_t)(a >> 16);
		ho->v4[2] = (uint8_t)(a >> 8);
		ho->v4[3] = (uint8_t)a;
		ho->has_v6 = h % 10 == 0;
		uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
		v6[14] = (uint8_t)(h >> 8);
		v6[15] = (uint8_t)h;
		memcpy(ho->v6, v6, 16);
		ho->vlan = (uint16_t)(10 + h % 3);
		/* ports per host: heavy tailed 1..59 */
		int np = 1 + (int)(58.0 * pow(urand(), 6.0));
		for (int i = 0; i < np; i++) {
			uint16_t port;
			if (i < (int)(sizeof(top_ports) / sizeof(top_ports[0])) && urand() < 0.7)
				port = top_ports[(
				    size_t)(pow(urand(), 2.0) *
				            (double)(sizeof(top_ports) / sizeof(top_ports[0])))];
			else
				port = (uint16_t)(1024 + rnd() % 60000);
			bool dup = false;
			for (size_t j = 0; j < nservices; j++)
				if (services[j].host == h && services[j].port == port)
					dup = true;
			if (!dup)
				services[nservices++] = (struct service){h, port};
		}
	}
	/* shuffle services so that popularity is independent of host order */
	for (size_t i = nservices - 1; i > 0; i--) {
		size_t j = rnd() % (i + 1);
		struct service t = services[i];
		services[i] = services[j];
		services[j] = t;
	}
	zipf_init(&svc_zipf, nservices, 1.1);
	zipf_init(&ext_zipf, 60000, 1.0);
}

static void ext_addr(uint64_t rank, uint64_t day, bool v6, uint8_t out[16])
{
	/* half of the population changes every day */
	uint64_t k = mix64(rank * 2 + (rank % 2 ? day : 0) * 0x9E3779B97F4A7C15ull + 77);
	memset(out, 0, 16);
	if (v6) {
		out[0] = 0x2a;
		out[1] = (uint8_t)(k >> 56);
		for (int i = 2; i < 8; i++)
			out[i] = (uint8_t)(k >> (8 * i));
		out[15] = (uint8_t)(k >> 3);
		return;
	}
	uint32_t a = (uint32_t)k;
	if ((a >> 24) == 0 || (a >> 24) >= 224 || (a >> 16) == 0xA3D1)
		a ^= 0x40000000u;
	out[0] = (uint8_t)(a >> 24);
	out[1] = (uint8_t)(a >> 16);
	out[2] = (uint8_t)(a >> 8);
	out[3] = (uint8_t)a;
}

static void normal_record(struct synack_record *r, uint64_t t, uint64_t day)
{
	const struct service *s = &services[zipf_draw(&svc_zipf)];
	const struct host *h = &hosts[s->host];
	memset(r, 0, sizeof(*r));
	r->time_ns = t;
	bool v6 = h->has_v6 && urand() < 0.5;
	r->family = v6 ? SYNACK_FAMILY_IPV6 : SYNACK_FAMILY_IPV4;
	if (v6)
		memcpy(r->saddr, h->v6, 16);
	else
		memcpy(r->saddr, h->v4, 4);
	ext_addr(zipf_draw(&ext_zipf), day, v6, r->daddr);
	r->sport = s->port;
	r->dport = (uint16_t)(32768 + rnd() % (60999 - 32768 + 1));
	r->flags = urand() < 0.03 ? 0x52 : 0x12;
	r->vlan = h->vlan;
	r->worker = (uint8_t)(rnd() % 4);
	r->ftp = urand() < 0.001 ? SYNACK_FTP_PASSIVE : SYNACK_FTP_NONE;
	const char *c = const_fields;
	if (c) {
		if (strstr(c, "dport"))
			r->dport = 40000;
		if (strstr(c, "ext")) {
			memset(r->daddr, 0, 16);
			r->daddr[0] = 8;
		}
		if (strstr(c, "svc")) {
			memcpy(r->saddr, hosts[0].v4, 4);
			memset(r->saddr + 4, 0, 12);
			r->family = 4;
			r->sport = 80;
		}
		if (strstr(c, "worker"))
			r->worker = 0;
		if (strstr(c, "time"))
			r->time_ns = r->time_ns / 1000000000 * 1000000000;
	}
}

/* Scan storm: scanner sweeps (host, port) in random order; responders are
 * the open services and three tarpit hosts that answer every port. */
static void storm_record(struct synack_record *r, uint64_t t, uint64_t day)
{
	int scanner = (int)(rnd() % 3);
	memset(r, 0, sizeof(*r));
	r->time_ns = t;
	r->family = SYNACK_FAMILY_IPV4;
	int h;
	uint16_t port;
	if (urand() < 0.8) {
		h = (int)(rnd() % 3); /* tarpits */
		port = (uint16_t)(1 + rnd() % 65535);
	} else {
		const struct service *s = &services[rnd() % nservices];
		h = s->host;
		port = s->port;
	}
	memcpy(r->saddr, hosts[h].v4, 4);
	uint8_t sc[4] = {185, 220, 101, (uint8_t)(17 + scanner)};
	memcpy(r->daddr, sc, 4);
	r->sport = port;
	r->dport = (uint16_t)(scanner == 0 ? 61000 : 40000 + rnd() % 2000); /* masscan style */
	r->flags = 0x12;
	r->vlan = hosts[h].vlan;
	r->worker = (uint8_t)(rnd() % 4);
	(void)day;
}

static uint64_t rec_hash(const struct synack_record *r)
{
	struct synack_record c = *r;
	c.time_ns = c.time_ns / 1000 * 1000;
	const uint64_t *w = (const uint64_t *)(const void *)&c;
	uint64_t h = 0;
	for (size_t i = 0; i < sizeof(c) / 8; i++)
		h = mix64(h ^ w[i]);
	return h;
}

/* ---- running a stream ---- */

struct baseline {
	ZSTD_CCtx *cctx;
	uint64_t hour;
	bool open;
	uint64_t bytes;
	uint8_t *out;
	size_t cap;
};

static void base_run(struct baseline *b, const void *src, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {src, len, 0};
	for (;;) {
		ZSTD_outBuffer out = {b->out, b->cap, 0};
		size_t rem = ZSTD_compressStream2(b->cctx, &out, &in, mode);
		b->bytes += out.pos;
		if (ZSTD_isError(rem)) {
			fprintf(stderr, "zstd: %s\n", ZSTD_getErrorName(rem));
			exit(1);
		}
		if (mode == ZSTD_e_continue ? in.pos == in.size : rem == 0)
			break;
	}
}

struct result {
	const char *name;
	uint64_t records;
	uint64_t bytes, base_bytes;
	double write_s, read_s, base_s, write_wall;
	bool ok;
};

static uint64_t dir_bytes(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "du -sb --apparent-size '%s/logs' 2>/dev/null", dir);
	FILE *p = popen(cmd, "r");
	unsigned long long b = 0;
	if (p) {
		if (fscanf(p, "%llu", &b) != 1)
			b = 0;
		pclose(p);
	}
	return b;
}

enum kind { K_REALISTIC, K_STORM, K_FAST };

#define CHUNK 65536

static struct result run(const char *name, enum kind kind, uint64_t days, uint64_t storm_n,
                         uint64_t fast_n, int level, const char *topdir)
{
	struct result res = {.name = name};
	char dir[4096], err[256], cmd[8300];
	snprintf(dir, sizeof(dir), "%s/%s", topdir, name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, dir);
	if (system(cmd) != 0)
		exit(1);

	struct log_options opt;
	log_options_default(&opt);
	opt.compression_level = level;
	opt.flush_interval_ns = flush_ms * 1000000ull;
	opt.seal = seal;
	struct log_writer *w = log_writer_open(dir, &opt, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	struct baseline b = {.cctx = ZSTD_createCCtx(), .cap = ZSTD_CStreamOutSize()};
	b.out = malloc(b.cap);
	ZSTD_CCtx_setParameter(b.cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(b.cctx, ZSTD_c_checksumFlag, 1);

	struct synack_record *chunk = malloc(CHUNK * sizeof(*chunk));
	struct synack_record *tmp = malloc(CHUNK * sizeof(*chunk));
	uint64_t hash = 0;
	uint64_t t_end = DAY0 * NS_S + days * 24 * NS_H;
	double t = (double)(DAY0 * NS_S), ts = t; /* normal and storm clocks (ns) */
	double storm_rate = storm_n ? (double)storm_n / (6.0 * 3600.0) : 0; /* per s */
	double storm_start = (double)(DAY0 * NS_S + 9 * NS_H),
	       storm_stop = storm_start + 6.0 * NS_H;
	double base_rate = 1.47e6 / 86400.0;
	uint64_t last_flush_s = 0;
	if (kind == K_FAST) {
		base_rate = 500000.0;
		t_end = (uint64_t)t + (uint64_t)((double)fast_n / base_rate * 1e9);
	}
	if (kind == K_STORM)
		ts = storm_start;

	for (;;) {
		size_t n = 0;
		while (n < CHUNK) {
			/* next normal arrival (thinning for the diurnal cycle) */
			double tn = t;
			for (;;) {
				tn += -log(1.0 - urand()) / (base_rate * 1.5) * 1e9;
				double hod = fmod(tn / 1e9, 86400.0) / 3600.0;
				double f = 1.0 + 0.5 * sin((hod - 9.0) / 24.0 * 2 * M_PI);
				if (kind == K_FAST) {
					tn = tn - (tn - t) + (tn - t) * 1.5; /* undo the 1.5 */
					break;
				}
				if (urand() * 1.5 < f)
					break;
			}
			double tstorm = 1e300;
			if (kind == K_STORM && ts < storm_stop)
				tstorm = ts - log(1.0 - urand()) / storm_rate * 1e9;
			if (tn >= (double)t_end && tstorm >= storm_stop)
				break;
			uint64_t day = (uint64_t)(tn / 1e9 - (double)DAY0) / 86400;
			if (tstorm < tn) {
				ts = tstorm;
				storm_record(&chunk[n++], (uint64_t)ts, day);
			} else {
				t = tn;
				normal_record(&chunk[n++], (uint64_t)t, day);
			}
		}
		if (n == 0)
			break;
		/* workers: the writer drains the workers' rings one after the
		 * other every 100 us, so records of one drain period arrive
		 * grouped by worker (slightly out of time order) */
		for (size_t i = 0; i < n;) {
			uint64_t per = chunk[i].time_ns / 100000;
			size_t m = 1, k = 0;
			while (i + m < n && chunk[i + m].time_ns / 100000 == per)
				m++;
			if (m > 1) {
				for (int wk = 0; wk < 4; wk++)
					for (size_t j = i; j < i + m; j++)
						if (chunk[j].worker == wk)
							tmp[k++] = chunk[j];
				memcpy(chunk + i, tmp, m * sizeof(*tmp));
			}
			i += m;
		}
		for (size_t i = 0; i < n; i++)
			hash += rec_hash(&chunk[i]);

		/* the writer: batches of up to 64 records of one second with the
		 * record clock as now, and a tick at the end of every second in
		 * which records came (synackd ticks every few ms), so that the
		 * flush interval holds at low rates too */
		double t0 = now_s(), w0 = wall_s();
		for (size_t i = 0; i < n;) {
			uint64_t sec = chunk[i].time_ns / NS_S;
			size_t m = 1;
			while (i + m < n && m < 64 && chunk[i + m].time_ns / NS_S == sec)
				m++;
			int rc = log_writer_append(w, chunk + i, m, chunk[i + m - 1].time_ns);
			i += m;
			if (rc == 0 && i < n && chunk[i].time_ns / NS_S != sec)
				rc = log_writer_tick(w, (sec + 1) * NS_S);
			if (rc < 0) {
				fprintf(stderr, "append: %s\n", log_writer_error(w));
				exit(1);
			}
		}
		double t1 = now_s();
		res.write_s += t1 - t0;
		res.write_wall += wall_s() - w0;

		/* baseline: raw structs, hourly frames, flush once per second */
		for (size_t i = 0; i < n; i++) {
			uint64_t hour = chunk[i].time_ns / NS_H;
			uint64_t sec = chunk[i].time_ns / NS_S;
			if (b.open && hour > b.hour) {
				base_run(&b, NULL, 0, ZSTD_e_end);
				b.open = false;
			}
			if (!b.open) {
				ZSTD_CCtx_reset(b.cctx, ZSTD_reset_session_only);
				b.open = true;
				b.hour = hour;
				b.bytes += 40; /* same header as ours, for fairness */
			}
			base_run(&b, &chunk[i], sizeof(chunk[i]), ZSTD_e_continue);
			if (sec >= last_flush_s + flush_ms / 1000) {
				base_run(&b, NULL, 0, ZSTD_e_flush);
				last_flush_s = sec;
			}
		}
		res.base_s += now_s() - t1;
		res.records += n;
	}
	double t0 = now_s(), w0 = wall_s();
	log_writer_close(w);
	res.write_s += now_s() - t0;
	res.write_wall += wall_s() - w0;
	if (b.open)
		base_run(&b, NULL, 0, ZSTD_e_end);
	res.base_bytes = b.bytes;
	res.bytes = dir_bytes(dir);

	/* read everything back */
	snprintf(cmd, sizeof(cmd), "find '%s/logs' -name '*.zst' | sort", dir);
	FILE *p = popen(cmd, "r");
	char path[4200];
	uint64_t got = 0, ghash = 0;
	bool trunc = false;
	t0 = now_s();
	while (p && fgets(path, sizeof(path), p)) {
		path[strcspn(path, "\n")] = 0;
		struct log_reader *r = log_reader_open(path, err, sizeof(err));
		if (!r) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
		long k;
		while ((k = log_reader_next(r, chunk, CHUNK)) > 0) {
			for (long i = 0; i < k; i++)
				ghash += rec_hash(&chunk[i]);
			got += (uint64_t)k;
		}
		trunc |= log_reader_truncated(r) || k < 0;
		log_reader_close(r);
	}
	if (p)
		pclose(p);
	res.read_s = now_s() - t0;
	res.ok = got == res.records && ghash == hash && !trunc;
	free(chunk);
	free(tmp);
	free(b.out);
	ZSTD_freeCCtx(b.cctx);
	return res;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
	    {"days-realistic", required_argument, NULL, 'd'},
	    {"storm-records", required_argument, NULL, 's'},
	    {"fast-records", required_argument, NULL, 'f'},
	    {"level", required_argument, NULL, 'l'},
	    {"dir", required_argument, NULL, 'D'},
	    {"seed", required_argument, NULL, 'S'},
	    {"flush-ms", required_argument, NULL, 'F'},
	    {"const", required_argument, NULL, 'C'},
	    {"no-seal", no_argument, NULL, 'N'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t days = 1, storm_n = 20000000, fast_n = 10000000;
	int level = 3, c;
	const char *dir = "/tmp/synack-bench-log";
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			days = strtoull(optarg, NULL, 10);
			break;
		case 's':
			storm_n = strtoull(optarg, NULL, 10);
			break;
		case 'f':
			fast_n = strtoull(optarg, NULL, 10);
			break;
		case 'l':
			level = atoi(optarg);
			break;
		case 'D':
			dir = optarg;
			break;
		case 'C':
			const_fields = optarg;
			break;
		case 'N':
			seal = 0;
			break;
		case 'F':
			flush_ms = strtoull(optarg, NULL, 10);
			break;
		case 'S':
			rng_s = strtoull(optarg, NULL, 10) | 1;
			break;
		default:
			fprintf(stderr,
			        "usage: bench-log [--days-realistic N] [--storm-records N] "
			        "[--fast-records N] [--level L] [--flush-ms MS] [--const LIST]\n"
			        "                 [--no-seal] [--dir DIR] [--seed S]\n");
			return c == 'h' ? 0 : 64;
		}
	}
	mkdir(dir, 0755);
	build_network();
	printf("bench-log: zstd %s level %d, flush every %llu ms, %zu internal services on %d "
	       "hosts%s%s\n",
	       ZSTD_versionString(), level, (unsigned long long)flush_ms, nservices, NHOSTS,
	       const_fields ? ", constant: " : "", const_fields ? const_fields : "");
	printf("%-10s %11s %12s %7s %12s %7s %12s %12s %12s %s\n", "stream", "records", "log bytes",
	       "B/rec", "raw+zstd", "B/rec", "write rec/s", "(wall)", "read rec/s", "check");
	struct result rs[3];
	memset(rs, 0, sizeof(rs));
	if (days)
		rs[0] = run("realistic", K_REALISTIC, days, 0, 0, level, dir);
	if (storm_n)
		rs[1] = run("storm", K_STORM, 1, storm_n, 0, level, dir);
	if (fast_n)
		rs[2] = run("fast", K_FAST, 0, 0, fast_n, level, dir);
	int fail = 0;
	for (int i = 0; i < 3; i++) {
		struct result *r = &rs[i];
		if (!r->records)
			continue;
		printf("%-10s %11llu %12llu %7.2f %12llu %7.2f %12.0f %12.0f %12.0f %s (ratio "
		       "%.1fx)\n",
		       r->name, (unsigned long long)r->records, (unsigned long long)r->bytes,
		       (double)r->bytes / (double)r->records, (unsigned long long)r->base_bytes,
		       (double)r->base_bytes / (double)r->records, (double)r->records / r->write_s,
		       (double)r->records / r->write_wall, (double)r->records / r->read_s,
		       r->ok ? "ok" : "MISMATCH", (double)r->base_bytes / (double)r->bytes);
		fail |= !r->ok;
	}
	return fail;
}
