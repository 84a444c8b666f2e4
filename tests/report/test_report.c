/*
 * test_report.c - lib/report against expectations the test computes from
 * its own records (plain arrays, no SQL, no hash tables).
 *
 * The records go through lib/store into a database built in UTC and one
 * built in Etc/GMT+5 (UTC-5, a fixed offset, so the test can compute local
 * days by itself).  Each database is reported in its own zone (daily
 * tables) and in the other one (regrouped from the hourly table): all four
 * must match the expectation for their zone.  Then --from/--to edges, an
 * empty database, a missing one, bad dates and zones, and the renderers.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "control/json_in.h"
#include "record.h"
#include "report/report.h"
#include "store/store.h"
#include "xorshift.h"

enum { NH = 14, NE = 400, NP_MAX = 64, ND_MAX = 16 };

/* 2026-03-02 00:00:00 UTC is a Monday */
static const int64_t T0 = 1772409600;
static const int NDAYS_UTC = 9; /* records span 2026-03-02 .. 2026-03-10 UTC */

struct rec {
	int64_t t;
	int h, port, e;
	int packets;
	int ftp;
};

static struct rec *recs;
static size_t nrecs, caprecs;
static int host_ports[NH][NP_MAX];
static int host_nports[NH];

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(xorshift64(&rng) % n);
}

static void add(int64_t t, int h, int port, int e, int packets, int ftp)
{
	if (nrecs == caprecs) {
		caprecs = caprecs ? caprecs * 2 : 4096;
		recs = realloc(recs, caprecs * sizeof(*recs));
	}
	recs[nrecs++] = (struct rec){t, h, port, e, packets, ftp};
}

static void host_text(int h, char *out)
{
	if (h == NH - 1)
		snprintf(out, 64, "2001:db8::%x", h + 1); /* one IPv6 host */
	else
		snprintf(out, 64, "10.1.%d.%d", h / 4, 10 + h);
}

static void ext_text(int e, char *out)
{
	if (e >= NE - 2) /* the two scanners */
		snprintf(out, 64, "198.51.100.%d", 7 + (e - (NE - 2)));
	else
		snprintf(out, 64, "203.0.%d.%d", e / 200, e % 200 + 1);
}

/* The records: hosts 0-3 every day; 4-11 on some days; 12 a tarpit (30
 * ports); 13 IPv6.  Two scanners dominate day 3 (UTC).  FTP data too. */
static void make_records(void)
{
	static const int common[] = {22, 80, 443, 3389, 8080, 25, 53, 12345};
	for (int h = 0; h < NH; h++) {
		if (h == 12) {
			for (int p = 0; p < 30; p++)
				host_ports[h][host_nports[h]++] = 1000 + p * 7;
			continue;
		}
		int np = 1 + (int)rnd(4);
		for (int i = 0; i < np; i++) {
			int p = common[(h + i * 3) % 8];
			bool dup = false;
			for (int j = 0; j < host_nports[h]; j++)
				dup |= host_ports[h][j] == p;
			if (!dup)
				host_ports[h][host_nports[h]++] = p;
		}
	}
	for (int d = 0; d < NDAYS_UTC; d++) {
		for (int h = 0; h < NH; h++) {
			bool on = h < 4 || h == 12 || rnd(3) != 0;
			if (h == 13)
				on = d % 2 == 0;
			if (!on)
				continue;
			int n = 20 + (int)rnd(40);
			for (int i = 0; i < n; i++) {
				int64_t t = T0 + (int64_t)d * 86400 + rnd(86400);
				int port = host_ports[h][rnd((uint32_t)host_nports[h])];
				add(t, h, port, (int)rnd(NE - 2), 1 + (int)rnd(3), 0);
			}
			/* every port of the host at least once this day (sometimes) */
			if (rnd(2))
				for (int j = 0; j < host_nports[h]; j++)
					add(T0 + (int64_t)d * 86400 + rnd(86400), h,
					    host_ports[h][j], (int)rnd(NE - 2), 1, 0);
		}
		/* FTP data connections: never services */
		add(T0 + (int64_t)d * 86400 + 5000, 5, 40000 + d, 3, 2, SYNACK_FTP_PASSIVE);
	}
	/* day 3: two scanners sweep hosts 0-11 on many ports' worth of packets */
	for (int s = 0; s < 2; s++)
		for (int h = 0; h < 12; h++)
			add(T0 + 3 * 86400 + 3600 * (10 + s) + h, h, host_ports[h][0], NE - 2 + s,
			    300 + s, 0);
	/* records right at the edges of a UTC day and of a UTC-5 day */
	add(T0 + 5 * 86400 - 1, 6, host_ports[6][0], 17, 1, 0);            /* 23:59:59 UTC */
	add(T0 + 5 * 86400, 7, host_ports[7][0], 18, 1, 0);                /* 00:00:00 UTC */
	add(T0 + 5 * 86400 + 5 * 3600 - 1, 8, host_ports[8][0], 19, 1, 0); /* 23:59:59 -5 */
	add(T0 + 5 * 86400 + 5 * 3600, 9, host_ports[9][0], 20, 1, 0);     /* 00:00:00 -5 */
}

static void to_record(const struct rec *r, int64_t t_ns_extra, struct synack_record *out)
{
	memset(out, 0, sizeof(*out));
	out->time_ns = (uint64_t)r->t * 1000000000ull + (uint64_t)t_ns_extra;
	char a[64], b[64];
	host_text(r->h, a);
	ext_text(r->e, b);
	if (strchr(a, ':')) {
		out->family = SYNACK_FAMILY_IPV6;
		inet_pton(AF_INET6, a, out->saddr);
		/* external of an IPv6 host: 2001:db8:ffff::E */
		snprintf(b, sizeof(b), "2001:db8:ffff::%x", r->e + 1);
		inet_pton(AF_INET6, b, out->daddr);
	} else {
		out->family = SYNACK_FAMILY_IPV4;
		inet_pton(AF_INET, a, out->saddr);
		inet_pton(AF_INET, b, out->daddr);
	}
	out->sport = (uint16_t)r->port;
	out->dport = 50000;
	out->flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
	out->ftp = (uint8_t)r->ftp;
}

static void build_db(const char *path, const char *tz)
{
	struct store_options o;
	char err[512];
	store_options_default(&o);
	o.timezone = tz;
	unlink(path);
	struct store *s = store_open(path, &o, err, sizeof(err));
	CHECK(s != NULL);
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	struct synack_record sr;
	for (size_t i = 0; i < nrecs; i++)
		for (int k = 0; k < recs[i].packets; k++) {
			to_record(&recs[i], k, &sr);
			CHECK(store_add(s, &sr, 1, 0) == 0);
		}
	store_close(s);
}

/* --- the expectation -------------------------------------------------- */

struct expect {
	int day0, ndays; /* local days since the epoch */
	uint64_t packets[ND_MAX];
	bool host_day[ND_MAX][NH];
	bool svc_day[ND_MAX][NH][NP_MAX]; /* by index into host_ports */
	uint64_t ext_pk[ND_MAX][2 * NE];  /* IPv4 externals 0..NE-1, IPv6 NE.. */
	int new_hosts[ND_MAX];
	int before;
};

static int port_index(int h, int port)
{
	for (int j = 0; j < host_nports[h]; j++)
		if (host_ports[h][j] == port)
			return j;
	return -1;
}

static int64_t floordiv(int64_t a, int64_t b)
{
	return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static void expect_for(struct expect *x, long off, int day0, int ndays)
{
	memset(x, 0, sizeof(*x));
	x->day0 = day0;
	x->ndays = ndays;
	int64_t first[NH];
	for (int h = 0; h < NH; h++)
		first[h] = INT64_MAX;
	for (size_t i = 0; i < nrecs; i++) {
		const struct rec *r = &recs[i];
		if (r->ftp)
			continue;
		if (r->t < first[r->h])
			first[r->h] = r->t;
		int d = (int)floordiv(r->t + off, 86400) - day0;
		if (d < 0 || d >= ndays)
			continue;
		x->packets[d] += (uint64_t)r->packets;
		x->host_day[d][r->h] = true;
		x->svc_day[d][r->h][port_index(r->h, r->port)] = true;
		x->ext_pk[d][r->e + (r->h == NH - 1 ? NE : 0)] += (uint64_t)r->packets;
	}
	for (int h = 0; h < NH; h++) {
		int d = (int)floordiv(first[h] + off, 86400) - day0;
		if (d < 0)
			x->before++;
		else if (d < ndays)
			x->new_hosts[d]++;
	}
}

static void ext_index_name(int i, char *out)
{
	if (i >= NE)
		snprintf(out, 64, "2001:db8:ffff::%x", i - NE + 1);
	else
		ext_text(i, out);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void check_stat(const struct report_stat *s, double total, double *v, int n,
                       const char *what)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	bool ok = s->total == total && s->min == v[0] && s->max == v[n - 1] &&
	          s->mean > sum / n - 1e-9 && s->mean < sum / n + 1e-9 && s->median == med;
	if (!ok)
		fprintf(stderr, "%s: stat %s: got %g %g %g %g %g, want %g %g %g %g %g\n", what,
		        s->name, s->total, s->min, s->max, s->mean, s->median, total, v[0],
		        v[n - 1], sum / n, med);
	CHECK(ok);
}

struct exp_port {
	int port;
	uint32_t hosts, every, ext;
};

static int cmp_exp_hosts(const void *a, const void *b)
{
	const struct exp_port *x = a, *y = b;
	if (x->hosts != y->hosts)
		return x->hosts > y->hosts ? -1 : 1;
	if (x->ext != y->ext)
		return x->ext > y->ext ? -1 : 1;
	return x->port - y->port;
}

static int cmp_exp_ext(const void *a, const void *b)
{
	const struct exp_port *x = a, *y = b;
	if (x->ext != y->ext)
		return x->ext > y->ext ? -1 : 1;
	if (x->hosts != y->hosts)
		return x->hosts > y->hosts ? -1 : 1;
	return x->port - y->port;
}

static void compare(const struct report *r, const struct expect *x, const char *what)
{
	int nd = x->ndays;
	CHECK_EQ(r->ndays, nd);
	if ((int)r->ndays != nd) {
		fprintf(stderr, "%s: days differ\n", what);
		return;
	}
	char date[11];
	report_day_text(x->day0, date);
	CHECK(nd == 0 || strcmp(r->from, date) == 0);
	double v[ND_MAX > NH ? ND_MAX : NH];

	/* daily */
	uint64_t total = 0;
	int cum = 0;
	for (int d = 0; d < nd; d++) {
		const struct report_day *rd = &r->days[d];
		report_day_text(x->day0 + d, date);
		CHECK(strcmp(rd->date, date) == 0);
		int wd = (int)(((x->day0 + d) % 7 + 11) % 7); /* 1970-01-01 Thursday = 4 */
		CHECK_EQ(rd->weekday, wd);
		CHECK_EQ(rd->weekend, wd == 0 || wd == 6);
		CHECK_EQ(rd->packets, x->packets[d]);
		total += x->packets[d];
		int hosts = 0, services = 0, exts = 0, ports = 0;
		int seen_ports[NH * NP_MAX], nsp = 0;
		for (int h = 0; h < NH; h++) {
			hosts += x->host_day[d][h];
			for (int j = 0; j < host_nports[h]; j++) {
				if (!x->svc_day[d][h][j])
					continue;
				services++;
				bool dup = false;
				for (int k = 0; k < nsp; k++)
					dup |= seen_ports[k] == host_ports[h][j];
				if (!dup)
					seen_ports[nsp++] = host_ports[h][j];
			}
		}
		ports = nsp;
		for (int e = 0; e < 2 * NE; e++)
			exts += x->ext_pk[d][e] != 0;
		cum += x->new_hosts[d];
		if (rd->hosts != (uint32_t)hosts || rd->externals != (uint32_t)exts)
			fprintf(stderr, "%s: %s: hosts %u/%d externals %u/%d\n", what, date,
			        rd->hosts, hosts, rd->externals, exts);
		CHECK_EQ(rd->hosts, hosts);
		CHECK_EQ(rd->services, services);
		CHECK_EQ(rd->ports, ports);
		CHECK_EQ(rd->externals, exts);
		CHECK_EQ(rd->new_hosts, x->new_hosts[d]);
		CHECK_EQ(rd->cumulative, cum + x->before);

		/* top sources: by packets, then address text */
		uint32_t want_top = 0;
		bool used[2 * NE] = {0};
		for (uint32_t k = 0; k < (uint32_t)r->sources; k++) {
			int best = -1;
			char bn[64], cn[64];
			for (int e = 0; e < 2 * NE; e++) {
				if (!x->ext_pk[d][e] || used[e])
					continue;
				if (best < 0 || x->ext_pk[d][e] > x->ext_pk[d][best]) {
					best = e;
					continue;
				}
				if (x->ext_pk[d][e] == x->ext_pk[d][best]) {
					ext_index_name(e, cn);
					ext_index_name(best, bn);
					if (strcmp(cn, bn) < 0)
						best = e;
				}
			}
			if (best < 0)
				break;
			used[best] = true;
			want_top++;
			if (k < rd->ntop) {
				ext_index_name(best, bn);
				CHECK(strcmp(rd->top[k].addr, bn) == 0);
				CHECK_EQ(rd->top[k].packets, x->ext_pk[d][best]);
				double share = (double)x->ext_pk[d][best] / (double)x->packets[d];
				CHECK(rd->top[k].share > share - 1e-12 &&
				      rd->top[k].share < share + 1e-12);
			}
		}
		CHECK_EQ(rd->ntop, want_top);
	}
	CHECK_EQ(r->packets_total, total);
	CHECK_EQ(r->new_total, cum);
	CHECK_EQ(r->hosts_before, x->before);

	/* hosts: every day, Fig. 3, ports per host, many ports */
	int hosts_total = 0, every = 0, hist[ND_MAX + 1] = {0}, ph[NP_MAX + 1] = {0};
	int nmany = 0;
	uint64_t services_total = 0;
	int nv = 0;
	for (int h = 0; h < NH; h++) {
		int days = 0, np = 0;
		for (int d = 0; d < nd; d++)
			days += x->host_day[d][h];
		for (int j = 0; j < host_nports[h]; j++) {
			bool any = false;
			for (int d = 0; d < nd; d++)
				any |= x->svc_day[d][h][j];
			np += any;
		}
		if (!days)
			continue;
		hosts_total++;
		services_total += (uint64_t)np;
		v[nv++] = np;
		if (days == nd)
			every++;
		else
			hist[days]++;
		ph[np]++;
		if (np > r->many_ports) {
			char a[64];
			host_text(h, a);
			bool found = false;
			for (uint32_t i = 0; i < r->nmany; i++)
				if (strcmp(r->many[i].addr, a) == 0) {
					found = true;
					CHECK_EQ(r->many[i].ports, np);
					CHECK_EQ(r->many[i].days, days);
				}
			CHECK(found);
			nmany++;
		}
	}
	CHECK_EQ(r->nmany, nmany);
	CHECK_EQ(r->hosts_total, hosts_total);
	CHECK_EQ(r->hosts_every_day, every);
	CHECK_EQ(r->services_total, services_total);
	CHECK_EQ(r->nhist, nd > 1 ? nd - 1 : 0);
	for (uint32_t i = 0; i < r->nhist; i++) {
		CHECK_EQ(r->days_hist[i].key, i + 1);
		CHECK_EQ(r->days_hist[i].hosts, hist[i + 1]);
	}
	uint32_t k = 0;
	for (int p = 1; p <= NP_MAX; p++) {
		if (!ph[p])
			continue;
		CHECK(k < r->nports_hist);
		if (k < r->nports_hist) {
			CHECK_EQ(r->ports_hist[k].key, p);
			CHECK_EQ(r->ports_hist[k].hosts, ph[p]);
		}
		k++;
	}
	CHECK_EQ(r->nports_hist, k);
	if (nv)
		check_stat(&r->stats[5], (double)services_total, v, nv, what);

	/* distinct port numbers */
	int np = 0, plist[NH * NP_MAX];
	for (int h = 0; h < NH; h++)
		for (int j = 0; j < host_nports[h]; j++) {
			bool any = false, dup = false;
			for (int d = 0; d < nd; d++)
				any |= x->svc_day[d][h][j];
			for (int q = 0; q < np; q++)
				dup |= plist[q] == host_ports[h][j];
			if (any && !dup)
				plist[np++] = host_ports[h][j];
		}
	CHECK(r->ports_total == (uint32_t)np);

	/* summary */
	for (int d = 0; d < nd; d++)
		v[d] = (double)x->packets[d];
	if (nd)
		check_stat(&r->stats[0], (double)total, v, nd, what);
	for (int d = 0; d < nd; d++)
		v[d] = r->days[d].hosts;
	if (nd)
		check_stat(&r->stats[1], hosts_total, v, nd, what);
}

/* Tables 1 and 2 need the day of each record: done with the offset. */
static void compare_ports(const struct report *r, long off, int day0, int nd, const char *what)
{
	struct exp_port ports[NH * NP_MAX];
	int np = 0;
	static bool svc_day[ND_MAX][NH][NP_MAX];
	memset(svc_day, 0, sizeof(svc_day));
	for (size_t q = 0; q < nrecs; q++) {
		const struct rec *rr = &recs[q];
		int d = (int)floordiv(rr->t + off, 86400) - day0;
		if (rr->ftp || d < 0 || d >= nd)
			continue;
		svc_day[d][rr->h][port_index(rr->h, rr->port)] = true;
	}
	for (int h = 0; h < NH; h++)
		for (int j = 0; j < host_nports[h]; j++) {
			int days = 0;
			for (int d = 0; d < nd; d++)
				days += svc_day[d][h][j];
			if (!days)
				continue;
			int p = host_ports[h][j], i;
			for (i = 0; i < np && ports[i].port != p; i++)
				;
			if (i == np)
				ports[np++] = (struct exp_port){p, 0, 0, 0};
			ports[i].hosts++;
			ports[i].every += days == nd;
		}
	for (int i = 0; i < np; i++) {
		bool seen[2 * NE] = {0};
		for (size_t q = 0; q < nrecs; q++) {
			const struct rec *rr = &recs[q];
			int d = (int)floordiv(rr->t + off, 86400) - day0;
			if (rr->ftp || d < 0 || d >= nd || rr->port != ports[i].port)
				continue;
			int idx = rr->e + (rr->h == NH - 1 ? NE : 0);
			if (!seen[idx]) {
				seen[idx] = true;
				ports[i].ext++;
			}
		}
	}
	uint32_t ntop = (uint32_t)r->top < (uint32_t)np ? (uint32_t)r->top : (uint32_t)np;
	CHECK_EQ(r->nby_hosts, ntop);
	CHECK_EQ(r->nby_ext, ntop);
	qsort(ports, (size_t)np, sizeof(ports[0]), cmp_exp_hosts);
	for (uint32_t i = 0; i < ntop && i < r->nby_hosts; i++) {
		const struct report_port *p = &r->by_hosts[i];
		bool ok = p->port == ports[i].port && p->hosts == ports[i].hosts &&
		          p->hosts_every_day == ports[i].every && p->externals == ports[i].ext;
		if (!ok)
			fprintf(stderr, "%s: table 1 row %u: got %d %u %u %u want %d %u %u %u\n",
			        what, i, p->port, p->hosts, p->hosts_every_day, p->externals,
			        ports[i].port, ports[i].hosts, ports[i].every, ports[i].ext);
		CHECK(ok);
		struct servent *se = getservbyport(htons((uint16_t)p->port), "tcp");
		CHECK(strcmp(p->service, se ? se->s_name : "") == 0);
	}
	qsort(ports, (size_t)np, sizeof(ports[0]), cmp_exp_ext);
	for (uint32_t i = 0; i < ntop && i < r->nby_ext; i++) {
		const struct report_port *p = &r->by_ext[i];
		bool ok = p->port == ports[i].port && p->hosts == ports[i].hosts &&
		          p->externals == ports[i].ext;
		if (!ok)
			fprintf(stderr, "%s: table 2 row %u: got %d %u %u want %d %u %u\n", what, i,
			        p->port, p->externals, p->hosts, ports[i].port, ports[i].ext,
			        ports[i].hosts);
		CHECK(ok);
	}
}

static void run_case(const char *db_path, const char *tz, const char *from, const char *to,
                     long off, int day0, int nd, int top, const char *what)
{
	char err[1024];
	sqlite3 *db;
	CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	struct report_options o;
	report_options_default(&o);
	o.tz = tz;
	o.from = from;
	o.to = to;
	o.top = top;
	o.sources = top == 10 ? 4 : top;
	struct report r;
	int rc = report_compute(db, &o, &r, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", what, err);
	CHECK(rc == 0);
	if (rc == 0) {
		struct expect *x = calloc(1, sizeof(*x));
		expect_for(x, off, day0, nd);
		compare(&r, x, what);
		compare_ports(&r, off, day0, nd, what);
		/* externals per day statistic and total */
		double v[ND_MAX];
		bool any[2 * NE] = {0};
		uint64_t ext_total = 0;
		for (int d = 0; d < nd; d++) {
			int n = 0;
			for (int e = 0; e < 2 * NE; e++)
				if (x->ext_pk[d][e]) {
					n++;
					if (!any[e]) {
						any[e] = true;
						ext_total++;
					}
				}
			v[d] = n;
		}
		CHECK_EQ(r.externals_total, ext_total);
		if (nd)
			check_stat(&r.stats[2], (double)ext_total, v, nd, what);
		free(x);
		report_free(&r);
	}
	sqlite3_close(db);
}

static char *render(const struct report *r, int (*fn)(const struct report *, FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(fn(r, f) == 0);
	fclose(f);
	return buf;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_renderers(const char *db_path)
{
	char err[1024];
	sqlite3 *db;
	CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	struct report_options o;
	report_options_default(&o);
	struct report r;
	CHECK(report_compute(db, &o, &r, err, sizeof(err)) == 0);

	char *t = render(&r, report_write_text);
	CHECK(strstr(t, "2026-03-02 .. 2026-03-10") != NULL);
	CHECK(strstr(t, "Top ports by internal hosts (Table 1)") != NULL);
	CHECK(strstr(t, "Sat*") != NULL);
	CHECK(strstr(t, " ssh ") != NULL || getservbyport(htons(22), "tcp") == NULL);
	CHECK(strstr(t, "198.51.100.8") != NULL);
	free(t);

	char *c = render(&r, report_write_csv);
	static const char *const sections[] = {
	    "# report\n",         "# summary\n",        "# days\n",
	    "# days_detected\n",  "# ports_by_hosts\n", "# ports_by_externals\n",
	    "# ports_per_host\n", "# top_sources\n",    "# many_ports_hosts\n"};
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		CHECK(strstr(c, sections[i]) != NULL);
	CHECK(strstr(c, "\n2026-03-07,Sat,1,") != NULL);
	char line[128];
	snprintf(line, sizeof(line), "\n%s,Tue,0,%llu,", r.days[1].date,
	         (unsigned long long)r.days[1].packets);
	CHECK(strstr(c, line) != NULL);
	free(c);

	char *j = render(&r, report_write_json);
	struct json_value *v = json_parse(j, (size_t)-1, err, sizeof(err));
	CHECK(v != NULL);
	if (v) {
		const struct json_value *daily = json_get(v, "daily");
		CHECK(daily && daily->type == JSON_ARRAY && daily->n == r.ndays);
		if (daily && daily->n > 3) {
			const struct json_value *p = json_get(daily->items[3], "packets");
			CHECK(p && p->number == (double)r.days[3].packets);
			const struct json_value *ts = json_get(daily->items[3], "top_sources");
			CHECK(ts && ts->n == r.days[3].ntop);
		}
		const struct json_value *tot = json_get(v, "totals");
		CHECK(tot && json_get(tot, "hosts_every_day")->number == r.hosts_every_day);
		CHECK(json_get(v, "ports_by_hosts")->n == r.nby_hosts);
		CHECK(json_get(v, "many_ports_hosts")->n == r.nmany);
		CHECK(strcmp(json_get(v, "timezone")->text, "UTC") == 0);
		json_value_free(v);
	}
	free(j);

	char *h = render(&r, report_write_html);
	CHECK(strncmp(h, "<!DOCTYPE html>", 15) == 0);
	CHECK_EQ(count(h, "<svg "), 5);
	/* bars: days in Fig. 1, 2, 4, 5, days - 1 in Fig. 3, plus legend swatches */
	CHECK(count(h, "<rect class=\"bar") >= 4 * r.ndays + r.nhist);
	CHECK(count(h, "<rect class=\"bar alt\" x") >= 4 * 2);
	CHECK(strstr(h, "<script") == NULL);
	CHECK(strstr(h, "http://") == NULL || count(h, "http://") == count(h, "xmlns=\"http://"));
	CHECK(strstr(h, "@media print") != NULL);
	CHECK(strstr(h, "</html>") != NULL);
	free(h);
	report_free(&r);

	/* top 0 and many-ports 0 */
	o.top = 0;
	o.many_ports = 0;
	CHECK(report_compute(db, &o, &r, err, sizeof(err)) == 0);
	CHECK_EQ(r.nby_hosts, 0);
	CHECK_EQ(r.days[0].ntop, 5);
	CHECK_EQ(r.nmany, r.hosts_total);
	report_free(&r);
	sqlite3_close(db);
}

static void test_errors(const char *dir, const char *db_path)
{
	char err[1024];
	sqlite3 *db = report_open_db("/nonexistent/synack-test", err, sizeof(err));
	CHECK(db == NULL);
	CHECK(strstr(err, "no database at /nonexistent/synack-test/synack.db") != NULL);

	db = report_open_db(dir, err, sizeof(err));
	CHECK(db != NULL);
	struct report_options o;
	struct report r;
	static const char *const bad[] = {"2026-02-30", "2026-13-01", "26-03-01",   "yesterday",
	                                  "2026-3-1",   "",           "2026-03-01x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		report_options_default(&o);
		o.from = bad[i];
		CHECK(report_compute(db, &o, &r, err, sizeof(err)) == -1);
		CHECK(strstr(err, "bad --from date") != NULL);
		report_options_default(&o);
		o.to = bad[i];
		CHECK(report_compute(db, &o, &r, err, sizeof(err)) == -1);
		CHECK(strstr(err, "bad --to date") != NULL);
	}
	report_options_default(&o);
	o.from = "2026-03-05";
	o.to = "2026-03-04";
	CHECK(report_compute(db, &o, &r, err, sizeof(err)) == -1);
	CHECK(strstr(err, "after --to") != NULL);
	report_options_default(&o);
	o.tz = "Mars/Olympus_Mons";
	CHECK(report_compute(db, &o, &r, err, sizeof(err)) == -1);
	CHECK(strstr(err, "unknown time zone 'Mars/Olympus_Mons'") != NULL);
	o.tz = "../../etc/passwd";
	CHECK(report_compute(db, &o, &r, err, sizeof(err)) == -1);
	/* a date beyond the data: that day, empty */
	report_options_default(&o);
	o.from = "2026-04-01";
	CHECK(report_compute(db, &o, &r, err, sizeof(err)) == 0);
	CHECK_EQ(r.ndays, 1);
	CHECK_EQ(r.days[0].packets, 0);
	CHECK_EQ(r.hosts_before, NH);
	report_free(&r);
	sqlite3_close(db);
	(void)db_path;
}

static void test_empty(const char *dir)
{
	char path[700], err[1024];
	snprintf(path, sizeof(path), "%s/synack.db", dir);
	struct store *s = store_open(path, NULL, err, sizeof(err));
	CHECK(s != NULL);
	store_close(s);
	sqlite3 *db = report_open_db(dir, err, sizeof(err));
	CHECK(db != NULL);
	struct report_options o;
	report_options_default(&o);
	struct report r;
	CHECK(report_compute(db, &o, &r, err, sizeof(err)) == 0);
	CHECK_EQ(r.ndays, 0);
	CHECK_EQ(r.hosts_total, 0);
	int (*fns[])(const struct report *, FILE *) = {report_write_text, report_write_csv,
	                                               report_write_json, report_write_html};
	for (int i = 0; i < 4; i++) {
		char *b = render(&r, fns[i]);
		CHECK(b && strlen(b) > 20);
		if (i == 2) {
			struct json_value *v = json_parse(b, (size_t)-1, err, sizeof(err));
			CHECK(v != NULL);
			json_value_free(v);
		}
		free(b);
	}
	report_free(&r);
	o.from = "2026-03-01";
	o.to = "2026-03-03";
	o.tz = "Etc/GMT+5";
	CHECK(report_compute(db, &o, &r, err, sizeof(err)) == 0);
	CHECK_EQ(r.ndays, 3);
	CHECK_EQ(r.days[2].packets, 0);
	CHECK(strcmp(r.source, "hourly") == 0);
	report_free(&r);
	sqlite3_close(db);
}

int main(void)
{
	char dir[] = "/tmp/synack-test-report-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char utc_db[700], m5_db[700], utc_dir[100], m5_dir[100], empty_dir[100];
	snprintf(utc_dir, sizeof(utc_dir), "%s/utc", dir);
	snprintf(m5_dir, sizeof(m5_dir), "%s/m5", dir);
	snprintf(empty_dir, sizeof(empty_dir), "%s/empty", dir);
	mkdir(utc_dir, 0700);
	mkdir(m5_dir, 0700);
	mkdir(empty_dir, 0700);
	snprintf(utc_db, sizeof(utc_db), "%s/synack.db", utc_dir);
	snprintf(m5_db, sizeof(m5_db), "%s/synack.db", m5_dir);

	make_records();
	build_db(utc_db, NULL);
	build_db(m5_db, "Etc/GMT+5");
	const long M5 = -5 * 3600;
	const int d0 = (int)(T0 / 86400); /* 2026-03-02 */

	/* whole range: UTC 03-02..03-10; UTC-5 03-01..03-10 */
	run_case(utc_db, NULL, NULL, NULL, 0, d0, NDAYS_UTC, 10, "utc db, utc (daily)");
	run_case(utc_db, "Etc/GMT+5", NULL, NULL, M5, d0 - 1, NDAYS_UTC + 1, 10,
	         "utc db, utc-5 (hourly)");
	run_case(m5_db, NULL, NULL, NULL, M5, d0 - 1, NDAYS_UTC + 1, 10, "utc-5 db, utc-5 (daily)");
	run_case(m5_db, "UTC", NULL, NULL, 0, d0, NDAYS_UTC, 10, "utc-5 db, utc (hourly)");
	/* periods: one day at the boundary records, a middle range, beyond the data */
	run_case(utc_db, NULL, "2026-03-07", "2026-03-07", 0, d0 + 5, 1, 5, "utc 03-07");
	run_case(m5_db, NULL, "2026-03-06", "2026-03-07", M5, d0 + 4, 2, 3, "utc-5 03-06..07");
	run_case(utc_db, "Etc/GMT+5", "2026-03-06", "2026-03-07", M5, d0 + 4, 2, 3,
	         "utc db utc-5 03-06..07");
	run_case(m5_db, "UTC", "2026-03-04", "2026-03-08", 0, d0 + 2, 5, 50,
	         "utc-5 db utc 03-04..08");
	run_case(utc_db, NULL, "2026-03-08", NULL, 0, d0 + 6, 3, 10, "utc from 03-08");
	run_case(utc_db, NULL, NULL, "2026-03-03", 0, d0, 2, 10, "utc to 03-03");
	run_case(utc_db, NULL, "2026-02-27", "2026-03-03", 0, d0 - 3, 5, 10, "utc before data");

	test_renderers(utc_db);
	test_errors(utc_dir, utc_db);
	test_empty(empty_dir);

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	free(recs);
	return check_done("report");
}
