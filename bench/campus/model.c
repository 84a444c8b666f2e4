/*
 * model.c - the campus of synack-campus: which internal hosts exist, which
 * ports they open, on which days they and their services are up, how many
 * SYN+ACKs and external hosts each day has, and the pool of external hosts.
 *
 * The structure follows the paper's January 2019 (doc/campus.md): 270 hosts,
 * 204 of them up every day, 207 ports with the paper's top-port counts,
 * 1-59 ports per host (1026 services, mean 3.8).  Only packet and
 * external-host counts depend on the scale.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campus.h"

/* The paper's top ports and the number of hosts that opened them. */
static const uint16_t top_ports[] = {80, 443, 25, 22, 53, 110, 143, 587};
static const int top_port_hosts[] = {169, 106, 51, 39, 38, 37, 31, 27};
enum { TOP_PORTS = 8 };

/* Other open ports, most common first; the list is filled up to 207 ports
 * with high ports. */
static const uint16_t other_ports[] = {
    21,   993,   995,  3389,  8080,  3306,  8443,  111,   139,   445,   5900,  23,    465,   2049,
    5432, 8000,  8888, 990,   636,   389,   548,   631,   873,   1723,  1433,  3000,  5000,  9000,
    9100, 10000, 179,  1194,  1521,  2222,  2375,  3128,  5060,  5222,  5601,  5985,  6379,  7001,
    8008, 8081,  8088, 9090,  9200,  11211, 27017, 8009,  7443,  4443,  81,    82,    88,    8880,
    2082, 2083,  2086, 2087,  2095,  2096,  10443, 18080, 49152, 49153, 49154, 62078, 515,   554,
    1025, 1026,  1027, 1080,  1935,  2000,  3260,  4000,  4848,  5001,  5357,  5666,  5986,  6000,
    6001, 6443,  6666, 7000,  7070,  8001,  8002,  8010,  8020,  8082,  8083,  8090,  8181,  8200,
    8280, 8800,  9001, 9080,  9091,  9443,  9999,  10001, 12345, 1883,  8883,  5672,  15672, 2181,
    9092, 3690,  9418, 25565, 10250, 6667,  5269,  1812,
};

/* Seconds of the paper's day packet counts at scale 1.0. */
static const double month_synacks = 57866550.0;
static const double scan_synacks = 10700000.0;
static const double month_externals = 876688.0;

static bool host_has_port(const struct campus_model *m, const struct campus_host *h, uint16_t port)
{
	for (int i = 0; i < h->nports; i++)
		if (m->services[h->service[i]].port == port)
			return true;
	return false;
}

static void add_service(struct campus_model *m, int host, uint16_t port)
{
	struct campus_host *h = &m->hosts[host];
	int s = m->nservices++;
	m->services[s].host = (uint16_t)host;
	m->services[s].port = port;
	h->service[h->nports++] = (uint16_t)s;
}

static void fill_port_list(struct campus_model *m)
{
	int n = 0;
	for (int i = 0; i < TOP_PORTS; i++)
		m->ports[n++] = top_ports[i];
	for (size_t i = 0; i < sizeof(other_ports) / sizeof(other_ports[0]); i++)
		m->ports[n++] = other_ports[i];
	for (uint32_t p = 30011; n < CAMPUS_PORTS; p += 97)
		m->ports[n++] = (uint16_t)p;
}

static void place_internal_addresses(struct campus_model *m, struct campus_rng *r)
{
	bool v6[CAMPUS_HOSTS] = {false};
	for (int k = 0; k < CAMPUS_HOSTS_V6;) {
		int i = 1 + (int)campus_below(r, CAMPUS_HOSTS - 1);
		if (!v6[i]) {
			v6[i] = true;
			k++;
		}
	}
	for (int i = 0; i < CAMPUS_HOSTS; i++) {
		struct campus_host *h = &m->hosts[i];
		memset(h->addr, 0, 16);
		if (v6[i]) {
			h->family = 6;
			static const uint8_t net[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
			memcpy(h->addr, net, 6);
			h->addr[7] = (uint8_t)(1 + campus_below(r, 200));
			h->addr[14] = (uint8_t)(i >> 8);
			h->addr[15] = (uint8_t)i;
			continue;
		}
		h->family = 4;
		for (;;) {
			h->addr[0] = 198;
			h->addr[1] = 18;
			h->addr[2] = (uint8_t)campus_below(r, 200);
			h->addr[3] = (uint8_t)(1 + campus_below(r, 254));
			bool taken = false;
			for (int j = 0; j < i && !taken; j++)
				taken = memcmp(m->hosts[j].addr, h->addr, 16) == 0;
			if (!taken)
				break;
		}
	}
}

/* Up-days of the hosts: 204 every day, 18 from the first day with gaps, the
 * rest new during the month (about 1.6 a day). */
static void schedule_hosts(struct campus_model *m, struct campus_rng *r)
{
	int days = m->opt.days;
	uint32_t all = days >= 32 ? 0xffffffffu : ((1u << days) - 1);
	int intermittent = 18;
	int fresh = CAMPUS_HOSTS - CAMPUS_HOSTS_EVERY_DAY - intermittent;
	for (int i = 0; i < CAMPUS_HOSTS; i++) {
		struct campus_host *h = &m->hosts[i];
		h->popularity = pow(1.0 - campus_uniform(r), -0.8);
		if (i < CAMPUS_HOSTS_EVERY_DAY) {
			h->first_day = 0;
			h->days_up = all;
			continue;
		}
		if (i < CAMPUS_HOSTS_EVERY_DAY + intermittent || days < 2) {
			h->first_day = 0;
			h->days_up = 1;
			for (int d = 1; d < days; d++)
				if (campus_uniform(r) < 0.6)
					h->days_up |= 1u << d;
			if (days > 1 && h->days_up == all)
				h->days_up &= ~(1u << (1 + campus_below(r, (uint32_t)days - 1)));
			continue;
		}
		int k = i - CAMPUS_HOSTS_EVERY_DAY - intermittent;
		h->first_day = 1 + (int)(((int64_t)k * (days - 1)) / fresh);
		h->days_up = 1u << h->first_day;
		for (int d = h->first_day + 1; d < days; d++)
			if (campus_uniform(r) < 0.4)
				h->days_up |= 1u << d;
	}
}

/* Ports per host: 59, 25, 18, 14, 12 for five big hosts, 1-11 for the others
 * (preferential growth), 1026 in all. */
static void count_ports_per_host(struct campus_model *m, struct campus_rng *r, int *want)
{
	static const int big[] = {59, 25, 18, 14, 12};
	int total = 0;
	for (int i = 0; i < CAMPUS_HOSTS; i++) {
		want[i] = i < 5 ? big[i] : 1;
		total += want[i];
	}
	while (total < CAMPUS_SERVICES) {
		int i = 5 + (int)campus_below(r, CAMPUS_HOSTS - 5);
		if (want[i] >= 11 || campus_below(r, 12) >= (uint32_t)want[i] + 1)
			continue;
		want[i]++;
		total++;
	}
}

/* A host with free slots, chosen in proportion to its free slots, that does
 * not have port yet; -1 if none. */
static int pick_host_for(struct campus_model *m, struct campus_rng *r, const int *want,
                         uint16_t port)
{
	double sum = 0;
	for (int i = 0; i < CAMPUS_HOSTS; i++)
		if (want[i] > m->hosts[i].nports && !host_has_port(m, &m->hosts[i], port))
			sum += want[i] - m->hosts[i].nports;
	if (sum <= 0)
		return -1;
	double x = campus_uniform(r) * sum;
	int last = -1;
	for (int i = 0; i < CAMPUS_HOSTS; i++) {
		if (want[i] <= m->hosts[i].nports || host_has_port(m, &m->hosts[i], port))
			continue;
		last = i;
		x -= want[i] - m->hosts[i].nports;
		if (x < 0)
			return i;
	}
	return last;
}

static void assign_ports(struct campus_model *m, struct campus_rng *r)
{
	int want[CAMPUS_HOSTS];
	count_ports_per_host(m, r, want);
	for (int p = 0; p < TOP_PORTS; p++)
		for (int k = 0; k < top_port_hosts[p]; k++)
			add_service(m, pick_host_for(m, r, want, top_ports[p]), top_ports[p]);
	int others = CAMPUS_PORTS - TOP_PORTS;
	for (int p = 0; p < others; p++)
		add_service(m, pick_host_for(m, r, want, m->ports[TOP_PORTS + p]),
		            m->ports[TOP_PORTS + p]);
	/* Remaining slots: other ports, the common ones more often (Zipf). */
	for (int i = 0; i < CAMPUS_HOSTS; i++) {
		struct campus_host *h = &m->hosts[i];
		while (h->nports < want[i]) {
			double u = campus_uniform(r);
			int p = (int)(others * pow(u, 1.5));
			uint16_t port = m->ports[TOP_PORTS + p];
			if (!host_has_port(m, h, port))
				add_service(m, i, port);
		}
	}
}

static double port_weight(uint16_t port)
{
	switch (port) {
	case 80:
		return 8;
	case 443:
		return 10;
	case 53:
		return 3;
	case 25:
		return 2;
	case 22:
		return 1.5;
	case 21:
		return 1;
	case 587:
		return 0.8;
	default:
		return 0.3;
	}
}

static void schedule_services(struct campus_model *m, struct campus_rng *r)
{
	for (int s = 0; s < m->nservices; s++) {
		struct campus_service *sv = &m->services[s];
		const struct campus_host *h = &m->hosts[sv->host];
		sv->weight = port_weight(sv->port) * h->popularity * (0.5 + campus_uniform(r));
		if (h->service[0] == s) {
			sv->days_up = h->days_up;
			continue;
		}
		double p = campus_uniform(r) < 0.8 ? 0.95 : 0.5;
		sv->days_up = 0;
		for (int d = 0; d < m->opt.days; d++)
			if ((h->days_up >> d & 1) && campus_uniform(r) < p)
				sv->days_up |= 1u << d;
		if (!sv->days_up)
			sv->days_up = 1u << h->first_day;
	}
}

static bool is_weekend(int64_t day_start)
{
	time_t t = (time_t)day_start;
	struct tm tm;
	gmtime_r(&t, &tm);
	return tm.tm_wday == 0 || tm.tm_wday == 6;
}

/* Ordinary SYN+ACKs and external hosts per day: weekdays, weekend dips, a
 * quiet first day (a holiday), scaled to the paper's month. */
static void schedule_volume(struct campus_model *m, struct campus_rng *r)
{
	const struct campus_options *o = &m->opt;
	double weight[CAMPUS_MAX_DAYS], sum = 0;
	for (int d = 0; d < o->days; d++) {
		bool weekend = is_weekend(o->start + (int64_t)d * 86400);
		weight[d] = (weekend || d == 0 ? 0.68 : 1.0) * (0.9 + 0.2 * campus_uniform(r));
		sum += weight[d];
		double ext =
		    weekend ? 47000 + 3000 * campus_uniform(r) : 62000 + 16000 * campus_uniform(r);
		m->day_externals[d] = (uint32_t)fmax(8, round(ext * o->scale));
	}
	double ordinary = (month_synacks - scan_synacks) * o->scale * o->days / 31.0;
	for (int d = 0; d < o->days; d++)
		m->day_packets[d] = (uint64_t)llround(ordinary * weight[d] / sum);
	m->scan_packets = (uint64_t)llround(scan_synacks * o->scale);
	m->ftp_sessions = (uint32_t)fmax(2, round(300 * o->scale));
}

/* The external pool: weights 1/(1 + i/c), most popular first; its size is
 * chosen so that about 877k distinct hosts show up in a month at scale 1. */
static int build_pool(struct campus_model *m)
{
	m->pool = (uint32_t)fmax(64, round(month_externals * 1.6 * m->opt.scale));
	m->pool_weight = malloc(sizeof(double) * m->pool);
	m->pool_prefix = malloc(sizeof(double) * (m->pool + 1));
	if (!m->pool_weight || !m->pool_prefix)
		return -1;
	double c = 0.05 * m->pool;
	m->pool_prefix[0] = 0;
	for (uint32_t i = 0; i < m->pool; i++) {
		m->pool_weight[i] = 1.0 / (1.0 + i / c);
		m->pool_prefix[i + 1] = m->pool_prefix[i] + m->pool_weight[i];
	}
	return 0;
}

int campus_model_build(struct campus_model *m, const struct campus_options *opt)
{
	memset(m, 0, sizeof(*m));
	m->opt = *opt;
	struct campus_rng r;
	campus_rng_seed(&r, opt->seed);
	fill_port_list(m);
	place_internal_addresses(m, &r);
	schedule_hosts(m, &r);
	assign_ports(m, &r);
	schedule_services(m, &r);
	schedule_volume(m, &r);
	return build_pool(m);
}

void campus_model_free(struct campus_model *m)
{
	free(m->pool_weight);
	free(m->pool_prefix);
	m->pool_weight = m->pool_prefix = NULL;
}

static void set_v4(uint8_t addr[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	memset(addr, 0, 16);
	addr[0] = a;
	addr[1] = b;
	addr[2] = c;
	addr[3] = d;
}

/* 2001:db8:2:SUBNET::ID */
static void set_v6(uint8_t addr[16], uint8_t subnet, uint32_t id)
{
	static const uint8_t net[6] = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02};
	memset(addr, 0, 16);
	memcpy(addr, net, 6);
	addr[7] = subnet;
	addr[12] = (uint8_t)(id >> 24);
	addr[13] = (uint8_t)(id >> 16);
	addr[14] = (uint8_t)(id >> 8);
	addr[15] = (uint8_t)id;
}

void campus_ext_addr(const struct campus_model *m, uint32_t id, uint8_t *family, uint8_t addr[16])
{
	if (id < m->pool) {
		/* 198.19.1.0 - 198.19.253.255 for seven of eight, IPv6 for the
		 * rest and for everything beyond the IPv4 block. */
		uint32_t v4 = id - (id + 1) / 8;
		if (id % 8 != 7 && v4 < 253 * 256) {
			*family = 4;
			set_v4(addr, 198, 19, (uint8_t)(1 + v4 / 256), (uint8_t)v4);
		} else {
			*family = 6;
			set_v6(addr, 1, id);
		}
		return;
	}
	uint32_t k = id - m->pool;
	if (k < CAMPUS_SCANNERS) {
		*family = 4;
		set_v4(addr, 198, 19, 254, (uint8_t)(1 + k));
		return;
	}
	k -= CAMPUS_SCANNERS;
	uint8_t block = 254, subnet = 0xf;
	if (k >= CAMPUS_FTP_CLIENTS) {
		k -= CAMPUS_FTP_CLIENTS;
		block = 255;
		subnet = 0xe;
	}
	if (k % 2 == 0) {
		*family = 4;
		set_v4(addr, 198, 19, block, (uint8_t)(10 + k / 2));
	} else {
		*family = 6;
		set_v6(addr, subnet, k);
	}
}

void campus_ftp_client_addr(int k, uint8_t addr[16])
{
	set_v4(addr, 198, 18, 250, (uint8_t)(1 + k % 250));
}

/* Expected number of pool members taken when member i is taken with
 * probability min(1, s w_i). */
static double expected_taken(const struct campus_model *m, double s)
{
	uint32_t lo = 0, hi = m->pool;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s * m->pool_weight[mid] >= 1)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo + s * (m->pool_prefix[m->pool] - m->pool_prefix[lo]);
}

uint32_t campus_day_externals(const struct campus_model *m, struct campus_rng *r, int day,
                              uint32_t *ids)
{
	double target = fmin(m->day_externals[day], m->pool);
	double lo = 1e-12, hi = 1e12;
	for (int i = 0; i < 100; i++) {
		double mid = sqrt(lo * hi);
		if (expected_taken(m, mid) < target)
			lo = mid;
		else
			hi = mid;
	}
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->pool; i++)
		if (campus_uniform(r) < lo * m->pool_weight[i])
			ids[n++] = i;
	return n;
}
