/*
 * traffic.c - one day of the campus as time-ordered frames.
 *
 * Three streams are merged by time: the ordinary SYN+ACKs (every external
 * host of the day reaches at least one service, every service that is up
 * answers at least once, the rest is heavy-tailed; arrival times follow a
 * day/night cycle), the scan burst of two external hosts on the scan day
 * (four hours, well-known ports below 1024 only: so no answer of the scan
 * looks like passive FTP data after a port-21 answer), and FTP sessions (passive: a port-21 answer,
 * then data connections from high ports to the same client within 600 s, one of them at exactly 600
 * s; active: internal clients answering data connections from external port 20).  Each SYN+ACK is
 * handed to the answers before it is written; background frames (not internal-to-external SYN+ACKs)
 * follow at the configured ratio.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "campus.h"

enum { MINUTES = 1440 };
static const uint64_t day_us = 86400ULL * 1000000ULL;

struct ftp_event {
	uint64_t t_us;
	int16_t host; /* -1: a non-campus internal client */
	uint8_t client;
	uint16_t sport, dport;
	uint32_t ext;
};

struct campus_traffic {
	const struct campus_model *m;
	struct campus_answers *answers;
	struct campus_rng r;
	double cdf[MINUTES + 1];
	uint32_t *ids;
	uint32_t *ext_by_family[2];
	uint32_t next_by_family[2];
	int svc_by_family[2][CAMPUS_SERVICES];
	double cum_by_family[2][CAMPUS_SERVICES];
	int nsvc[2];
	uint32_t svc_pairs[CAMPUS_SERVICES];
	uint16_t *pair_svc;
	uint32_t *pair_ext;
	size_t npairs, pair_cap;
	uint32_t *seq;
	size_t seq_cap;
	uint32_t *visit_pair; /* with --burst: visits of a client to a service */
	uint16_t *visit_len;
	size_t visit_cap;
	struct ftp_event *ftp;
	size_t nftp, ftp_cap;
	struct fb_writer *w;
	uint64_t synacks, frames;
	uint8_t frame[256];
	int background_kind;
	bool failed;
};

static int family_slot(uint8_t family)
{
	return family == 6;
}

/* Cumulative day/night profile by minute: rate 1 + 0.5 cos(2 pi (h - 14) / 24). */
static void build_diurnal(struct campus_traffic *t)
{
	t->cdf[0] = 0;
	for (int i = 0; i < MINUTES; i++) {
		double hour = (i + 0.5) / 60.0;
		t->cdf[i + 1] = t->cdf[i] + 1 + 0.5 * cos(2 * M_PI * (hour - 14) / 24);
	}
	for (int i = 1; i <= MINUTES; i++)
		t->cdf[i] /= t->cdf[MINUTES];
}

/* Microseconds into the day at cumulative share x in [0, 1). */
static uint64_t diurnal_offset(const struct campus_traffic *t, double x)
{
	int lo = 0, hi = MINUTES;
	while (hi - lo > 1) {
		int mid = (lo + hi) / 2;
		if (t->cdf[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	double f = (x - t->cdf[lo]) / (t->cdf[lo + 1] - t->cdf[lo]);
	uint64_t us = (uint64_t)((lo + f) * 60e6);
	return us < day_us ? us : day_us - 1;
}

struct campus_traffic *campus_traffic_new(const struct campus_model *m,
                                          struct campus_answers *answers)
{
	struct campus_traffic *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->m = m;
	t->answers = answers;
	campus_rng_seed(&t->r, m->opt.seed ^ 0x5ca1ab1eULL);
	build_diurnal(t);
	t->ids = malloc(sizeof(uint32_t) * m->pool);
	t->ext_by_family[0] = malloc(sizeof(uint32_t) * m->pool);
	t->ext_by_family[1] = malloc(sizeof(uint32_t) * m->pool);
	if (!t->ids || !t->ext_by_family[0] || !t->ext_by_family[1]) {
		campus_traffic_free(t);
		return NULL;
	}
	return t;
}

void campus_traffic_free(struct campus_traffic *t)
{
	if (!t)
		return;
	free(t->ids);
	free(t->ext_by_family[0]);
	free(t->ext_by_family[1]);
	free(t->pair_svc);
	free(t->pair_ext);
	free(t->seq);
	free(t->visit_pair);
	free(t->visit_len);
	free(t->ftp);
	free(t);
}

uint64_t campus_traffic_synacks(const struct campus_traffic *t)
{
	return t->synacks;
}

uint64_t campus_traffic_frames(const struct campus_traffic *t)
{
	return t->frames;
}

/* ------------------------------------------------------------ frames */

static void write_frame(struct campus_traffic *t, uint64_t t_us, const struct fb_packet *p)
{
	size_t n = fb_build_ethernet(p, t->frame, sizeof(t->frame));
	if (!n || fb_write(t->w, t_us * 1000, t->frame, n) < 0)
		t->failed = true;
	t->frames++;
}

static void tcp_packet(struct campus_traffic *t, struct fb_packet *p, uint8_t family,
                       const uint8_t *src, const uint8_t *dst, uint16_t sport, uint16_t dport,
                       uint16_t flags)
{
	fb_packet_init(p, family);
	memcpy(p->src, src, 16);
	memcpy(p->dst, dst, 16);
	p->sport = sport;
	p->dport = dport;
	p->flags = flags;
	p->seq = (uint32_t)campus_rand(&t->r);
	p->ack = flags & 0x010 ? (uint32_t)campus_rand(&t->r) : 0;
	p->tcp_options_len = flags & 0x002 ? 4 : 0;
	p->pad_to = 64;
}

/* What else a mirror port carries around a connection: the client's SYN and
 * ACK, resets, FINs, the campus's own outgoing connections (answered by
 * external SYN+ACKs), DNS over UDP. */
static void write_background(struct campus_traffic *t, uint64_t t_us, uint8_t family,
                             const uint8_t *in, const uint8_t *out, uint16_t port, uint16_t client)
{
	struct fb_packet p;
	switch (t->background_kind++ % 7) {
	case 0:
		tcp_packet(t, &p, family, out, in, client, port, 0x002);
		break;
	case 1:
		tcp_packet(t, &p, family, out, in, client, port, 0x010);
		break;
	case 2:
		tcp_packet(t, &p, family, out, in, 443, client, 0x012);
		break;
	case 3:
		tcp_packet(t, &p, family, in, out, port, client, 0x014);
		break;
	case 4:
		tcp_packet(t, &p, family, in, out, port, client, 0x011);
		break;
	case 5:
		tcp_packet(t, &p, family, in, out, client, 443, 0x002);
		break;
	default:
		tcp_packet(t, &p, family, in, out, 53, client, 0);
		p.proto = FB_PROTO_UDP;
		p.payload_len = 40;
		break;
	}
	write_frame(t, t_us, &p);
}

/* One SYN+ACK from an internal host (campus host index, or -1 with the
 * address given) to external host ext. */
static void write_synack(struct campus_traffic *t, uint64_t t_us, int host, const uint8_t *addr,
                         uint16_t sport, uint32_t ext, uint16_t dport)
{
	const struct campus_model *m = t->m;
	uint8_t family, ext_addr[16];
	campus_ext_addr(m, ext, &family, ext_addr);
	if (host >= 0)
		addr = m->hosts[host].addr;
	campus_answers_synack(t->answers, t_us * 1000, host, sport, ext, dport);
	struct fb_packet p;
	tcp_packet(t, &p, family, addr, ext_addr, sport, dport, 0x012);
	write_frame(t, t_us, &p);
	t->synacks++;
	if (campus_uniform(&t->r) < m->opt.background)
		write_background(t, t_us, family, addr, ext_addr, sport, dport);
}

/* ------------------------------------------------------------ the day's plan */

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 1024;
	while (n < need)
		n *= 2;
	void *q = realloc(*p, n * size);
	if (!q)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static void collect_services(struct campus_traffic *t, int day)
{
	const struct campus_model *m = t->m;
	t->nsvc[0] = t->nsvc[1] = 0;
	double sum[2] = {0, 0};
	for (int s = 0; s < m->nservices; s++) {
		const struct campus_service *sv = &m->services[s];
		if (!(sv->days_up >> day & 1))
			continue;
		int f = family_slot(m->hosts[sv->host].family);
		sum[f] += sv->weight;
		t->svc_by_family[f][t->nsvc[f]] = s;
		t->cum_by_family[f][t->nsvc[f]++] = sum[f];
	}
}

static int pick_service(struct campus_traffic *t, int f)
{
	int n = t->nsvc[f];
	double x = campus_uniform(&t->r) * t->cum_by_family[f][n - 1];
	int lo = 0, hi = n - 1;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (t->cum_by_family[f][mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return t->svc_by_family[f][lo];
}

static void add_pair(struct campus_traffic *t, int svc, uint32_t ext)
{
	t->pair_svc[t->npairs] = (uint16_t)svc;
	t->pair_ext[t->npairs++] = ext;
	t->svc_pairs[svc]++;
}

/* Pairs (service, external host) of the day: each external host reaches
 * one service (a fifth of them a second one), then every service that is
 * up and still without a client gets one. */
static int build_pairs(struct campus_traffic *t, int day)
{
	const struct campus_model *m = t->m;
	uint32_t n = campus_day_externals(m, &t->r, day, t->ids);
	size_t cap = 2 * (size_t)n + (size_t)m->nservices;
	if (grow((void **)&t->pair_svc, &t->pair_cap, cap, sizeof(uint16_t)) < 0)
		return -1;
	t->pair_ext = realloc(t->pair_ext, t->pair_cap * sizeof(uint32_t));
	if (!t->pair_ext)
		return -1;
	collect_services(t, day);
	memset(t->svc_pairs, 0, sizeof(t->svc_pairs));
	t->npairs = 0;
	uint32_t count[2] = {0, 0};
	for (uint32_t i = 0; i < n; i++) {
		uint8_t family, addr[16];
		campus_ext_addr(m, t->ids[i], &family, addr);
		int f = family_slot(family);
		if (!t->nsvc[f])
			continue;
		t->ext_by_family[f][count[f]++] = t->ids[i];
		int s = pick_service(t, f);
		add_pair(t, s, t->ids[i]);
		if (campus_uniform(&t->r) < 0.2) {
			int s2 = pick_service(t, f);
			if (s2 != s)
				add_pair(t, s2, t->ids[i]);
		}
	}
	for (int f = 0; f < 2; f++) {
		for (int k = 0; k < t->nsvc[f] && count[f]; k++) {
			int s = t->svc_by_family[f][k];
			if (!t->svc_pairs[s])
				add_pair(t, s, t->ext_by_family[f][campus_below(&t->r, count[f])]);
		}
	}
	return 0;
}

/* The order of the day's ordinary SYN+ACKs: every pair once, the rest drawn
 * with a heavy tail towards the popular external hosts; shuffled. */
static uint32_t popular_pair(struct campus_traffic *t)
{
	double u = campus_uniform(&t->r);
	return (uint32_t)(t->npairs * u * u * u);
}

/* Visit lengths: geometric with mean opt.burst, at most left. */
static uint16_t visit_length(struct campus_traffic *t, size_t left)
{
	double u = campus_uniform(&t->r);
	double len = 1 + floor(log1p(-u) / log1p(-1.0 / t->m->opt.burst));
	if (len > 1000)
		len = 1000;
	return (uint16_t)(len < (double)left ? len : (double)left);
}

/* With --burst: the day's SYN+ACKs come in visits (a client opening a few
 * connections in a row); visits are shuffled, their SYN+ACKs stay together. */
static int build_visits(struct campus_traffic *t, size_t n)
{
	if (grow((void **)&t->visit_pair, &t->visit_cap, n, sizeof(uint32_t)) < 0)
		return -1;
	uint16_t *len = realloc(t->visit_len, t->visit_cap * sizeof(uint16_t));
	if (!len)
		return -1;
	t->visit_len = len;
	size_t visits = 0, left = n;
	for (size_t i = 0; i < t->npairs; i++, visits++) {
		t->visit_pair[visits] = (uint32_t)i;
		t->visit_len[visits] = visit_length(t, left - (t->npairs - i - 1));
		left -= t->visit_len[visits];
	}
	for (; left; visits++) {
		t->visit_pair[visits] = popular_pair(t);
		t->visit_len[visits] = visit_length(t, left);
		left -= t->visit_len[visits];
	}
	for (size_t i = visits - 1; i > 0; i--) {
		size_t j = (size_t)(campus_uniform(&t->r) * (double)(i + 1));
		uint32_t p = t->visit_pair[i];
		uint16_t l = t->visit_len[i];
		t->visit_pair[i] = t->visit_pair[j];
		t->visit_len[i] = t->visit_len[j];
		t->visit_pair[j] = p;
		t->visit_len[j] = l;
	}
	size_t k = 0;
	for (size_t i = 0; i < visits; i++)
		for (uint16_t j = 0; j < t->visit_len[i]; j++)
			t->seq[k++] = t->visit_pair[i];
	return 0;
}

static int build_sequence(struct campus_traffic *t, uint64_t packets, size_t *count)
{
	size_t n = packets > t->npairs ? (size_t)packets : t->npairs;
	if (grow((void **)&t->seq, &t->seq_cap, n, sizeof(uint32_t)) < 0)
		return -1;
	*count = n;
	if (t->m->opt.burst > 1)
		return n ? build_visits(t, n) : 0;
	for (size_t i = 0; i < t->npairs; i++)
		t->seq[i] = (uint32_t)i;
	for (size_t i = t->npairs; i < n; i++)
		t->seq[i] = popular_pair(t);
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(campus_uniform(&t->r) * (double)(i + 1));
		uint32_t x = t->seq[i];
		t->seq[i] = t->seq[j];
		t->seq[j] = x;
	}
	return 0;
}

static int compare_ftp_events(const void *x, const void *y)
{
	const struct ftp_event *a = x, *b = y;
	return a->t_us < b->t_us ? -1 : a->t_us > b->t_us;
}

static int add_ftp(struct campus_traffic *t, struct ftp_event e)
{
	if (grow((void **)&t->ftp, &t->ftp_cap, t->nftp + 1, sizeof(e)) < 0)
		return -1;
	t->ftp[t->nftp++] = e;
	return 0;
}

static uint16_t client_port(struct campus_traffic *t)
{
	return (uint16_t)(32768 + campus_below(&t->r, 28232));
}

static uint64_t session_start(struct campus_traffic *t, uint64_t day_start)
{
	return day_start + (uint64_t)campus_below(&t->r, 86400 - 1300) * 1000000ULL +
	       campus_below(&t->r, 1000000);
}

/* Passive sessions with campus FTP servers (port 21 up today). */
static int plan_passive(struct campus_traffic *t, int day, uint64_t day_start)
{
	const struct campus_model *m = t->m;
	int servers[CAMPUS_SERVICES], n = 0;
	for (int s = 0; s < m->nservices; s++)
		if (m->services[s].port == 21 && (m->services[s].days_up >> day & 1))
			servers[n++] = m->services[s].host;
	for (uint32_t k = 0; n && k < m->ftp_sessions; k++) {
		int host = servers[campus_below(&t->r, (uint32_t)n)];
		int v6 = m->hosts[host].family == 6;
		uint32_t ext = campus_ext_ftp_client(m, (int)(2 * campus_below(&t->r, 120) + v6));
		uint64_t t0 = session_start(t, day_start);
		struct ftp_event e = {t0, (int16_t)host, 0, 21, client_port(t), ext};
		int rc = add_ftp(t, e);
		for (int j = 0; j < 5 && !rc; j++) {
			e.t_us = j == 4 && k == 0 ? t0 + 600000000ULL
			                          : t0 + campus_below(&t->r, 500000000);
			e.sport = (uint16_t)(55000 + campus_below(&t->r, 1000));
			e.dport = client_port(t);
			rc = add_ftp(t, e);
		}
		if (rc)
			return -1;
	}
	return 0;
}

/* Active sessions: campus hosts and other internal clients fetch from
 * external FTP servers, whose data connections come from port 20. */
static int plan_active(struct campus_traffic *t, int day, uint64_t day_start)
{
	const struct campus_model *m = t->m;
	for (uint32_t k = 0; k < m->ftp_sessions; k++) {
		struct ftp_event e = {0};
		int v6 = 0;
		e.host = -1;
		e.client = (uint8_t)campus_below(&t->r, 250);
		if (k % 2 == 0) {
			int h = (int)campus_below(&t->r, CAMPUS_HOSTS);
			if (m->hosts[h].days_up >> day & 1) {
				e.host = (int16_t)h;
				v6 = m->hosts[h].family == 6;
			}
		}
		e.ext = campus_ext_ftp_server(m, (int)(2 * campus_below(&t->r, 125) + v6));
		e.dport = 20;
		uint64_t t0 = session_start(t, day_start);
		for (int j = 0; j < 3; j++) {
			e.t_us = t0 + campus_below(&t->r, 300000000);
			e.sport = (uint16_t)(40000 + campus_below(&t->r, 10000));
			if (add_ftp(t, e) < 0)
				return -1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ the day */

struct streams {
	uint64_t day_start;
	size_t normal, normal_next;
	uint64_t scan, scan_next;
	size_t ftp_next;
	int scan_svc[CAMPUS_SERVICES];
	int nscan_svc;
};

static uint64_t normal_time(struct campus_traffic *t, const struct streams *s)
{
	double x = (s->normal_next + campus_uniform(&t->r)) / (double)s->normal;
	return s->day_start + diurnal_offset(t, x);
}

static uint64_t scan_time(struct campus_traffic *t, const struct streams *s)
{
	double x = (s->scan_next + campus_uniform(&t->r)) / (double)s->scan;
	return s->day_start + 36000000000ULL + (uint64_t)(x * 14400e6);
}

static void write_normal(struct campus_traffic *t, struct streams *s, uint64_t when)
{
	uint32_t pair = t->seq[s->normal_next++];
	const struct campus_service *sv = &t->m->services[t->pair_svc[pair]];
	write_synack(t, when, sv->host, NULL, sv->port, t->pair_ext[pair], client_port(t));
}

static void write_scan(struct campus_traffic *t, struct streams *s, uint64_t when)
{
	const struct campus_service *sv =
	    &t->m->services[s->scan_svc[campus_below(&t->r, (uint32_t)s->nscan_svc)]];
	uint32_t ext = campus_ext_scanner(t->m, campus_uniform(&t->r) < 0.55 ? 0 : 1);
	s->scan_next++;
	write_synack(t, when, sv->host, NULL, sv->port, ext,
	             (uint16_t)(40000 + campus_below(&t->r, 20000)));
}

static void write_ftp(struct campus_traffic *t, struct streams *s)
{
	const struct ftp_event *e = &t->ftp[s->ftp_next++];
	uint8_t addr[16];
	campus_ftp_client_addr(e->client, addr);
	write_synack(t, e->t_us, e->host, addr, e->sport, e->ext, e->dport);
}

int campus_traffic_day(struct campus_traffic *t, int day, struct fb_writer *w)
{
	const struct campus_model *m = t->m;
	struct streams s = {.day_start =
	                        (uint64_t)(m->opt.start + (int64_t)day * 86400) * 1000000ULL};
	t->w = w;
	t->nftp = 0;
	if (build_pairs(t, day) < 0 || build_sequence(t, m->day_packets[day], &s.normal) < 0 ||
	    plan_passive(t, day, s.day_start) < 0 || plan_active(t, day, s.day_start) < 0)
		return -1;
	qsort(t->ftp, t->nftp, sizeof(t->ftp[0]), compare_ftp_events);
	for (int k = 0; k < t->nsvc[0]; k++)
		if (m->services[t->svc_by_family[0][k]].port < 1024)
			s.scan_svc[s.nscan_svc++] = t->svc_by_family[0][k];
	if (day == m->opt.scan_day && s.nscan_svc)
		s.scan = m->scan_packets;
	if (!t->npairs)
		s.normal = 0;
	uint64_t next_normal = s.normal ? normal_time(t, &s) : UINT64_MAX;
	uint64_t next_scan = s.scan ? scan_time(t, &s) : UINT64_MAX;
	for (;;) {
		uint64_t next_ftp = s.ftp_next < t->nftp ? t->ftp[s.ftp_next].t_us : UINT64_MAX;
		if (next_normal == UINT64_MAX && next_scan == UINT64_MAX && next_ftp == UINT64_MAX)
			break;
		if (next_normal <= next_scan && next_normal <= next_ftp) {
			write_normal(t, &s, next_normal);
			next_normal = s.normal_next < s.normal ? normal_time(t, &s) : UINT64_MAX;
		} else if (next_ftp <= next_scan) {
			write_ftp(t, &s);
		} else {
			write_scan(t, &s, next_scan);
			next_scan = s.scan_next < s.scan ? scan_time(t, &s) : UINT64_MAX;
		}
	}
	campus_answers_end_day(t->answers, day);
	return t->failed ? -1 : 0;
}
