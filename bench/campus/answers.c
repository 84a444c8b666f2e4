/*
 * answers.c - the generator's own account of the SYN+ACKs it wrote, and the
 * answers file (JSON) with what `synackctl report` and `synackctl services`
 * must show for the capture.
 *
 * Every SYN+ACK goes through the FTP rules as doc/ftp.md states them (active:
 * to external port 20 from an internal port >= 1024 not in the service-port
 * list; passive: from a port >= 1024 to an external host within 600 s after
 * the same pair's last SYN+ACK from port 21 or 990), written here from the
 * document, not taken from lib/ftp.  Everything else counts: per service and
 * day, per external host and day, peers per service and per port.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campus.h"

/* The default service-port list of doc/ftp.md. */
static const uint16_t ftp_service_ports[] = {
    1080, 1194,  1433,  1434,  1521,  1723,  1883,  2049,  2082,  2083, 2181, 2375, 2376,
    2379, 2380,  3000,  3128,  3268,  3269,  3306,  3389,  3690,  4443, 4505, 4506, 5000,
    5060, 5061,  5222,  5269,  5432,  5601,  5672,  5900,  5901,  5985, 5986, 6379, 6443,
    6667, 6697,  7001,  7474,  8000,  8008,  8080,  8081,  8086,  8088, 8123, 8161, 8443,
    8444, 8500,  8883,  8888,  9000,  9042,  9090,  9092,  9093,  9100, 9200, 9300, 9418,
    9443, 10000, 10250, 11211, 15672, 25565, 27017, 27018, 50000,
};

static const uint64_t passive_timeout_ns = 600ULL * 1000000000ULL;

/* Open-addressing map of nonzero 64-bit keys to 64-bit values. */
struct key_map {
	uint64_t *keys;
	uint64_t *values;
	size_t cap, count;
};

static size_t key_slot(const struct key_map *h, uint64_t key)
{
	uint64_t x = key * 0x9e3779b97f4a7c15ULL;
	size_t i = (size_t)(x ^ (x >> 29)) & (h->cap - 1);
	while (h->keys[i] && h->keys[i] != key)
		i = (i + 1) & (h->cap - 1);
	return i;
}

static int key_map_grow(struct key_map *h)
{
	struct key_map bigger = {.cap = h->cap ? h->cap * 2 : 1024};
	bigger.keys = calloc(bigger.cap, sizeof(uint64_t));
	bigger.values = calloc(bigger.cap, sizeof(uint64_t));
	if (!bigger.keys || !bigger.values) {
		free(bigger.keys);
		free(bigger.values);
		return -1;
	}
	for (size_t i = 0; i < h->cap; i++) {
		if (!h->keys[i])
			continue;
		size_t j = key_slot(&bigger, h->keys[i]);
		bigger.keys[j] = h->keys[i];
		bigger.values[j] = h->values[i];
	}
	bigger.count = h->count;
	free(h->keys);
	free(h->values);
	*h = bigger;
	return 0;
}

/* The value slot of key, inserted with 0 if new (*added set then); NULL when
 * out of memory. */
static uint64_t *key_map_get(struct key_map *h, uint64_t key, bool *added)
{
	if ((h->count + 1) * 2 > h->cap && key_map_grow(h) < 0)
		return NULL;
	size_t i = key_slot(h, key);
	*added = !h->keys[i];
	if (*added) {
		h->keys[i] = key;
		h->count++;
	}
	return &h->values[i];
}

static uint64_t *key_map_find(const struct key_map *h, uint64_t key)
{
	if (!h->cap)
		return NULL;
	size_t i = key_slot(h, key);
	return h->keys[i] ? &h->values[i] : NULL;
}

enum { TOP_SOURCES = 10 };

struct top_source {
	uint32_t ext;
	uint32_t packets;
};

struct day_answer {
	uint64_t packets, ftp_active, ftp_passive;
	uint32_t externals;
	struct top_source top[TOP_SOURCES];
	int ntop;
};

struct campus_answers {
	const struct campus_model *m;
	uint64_t svc_day[CAMPUS_SERVICES][CAMPUS_MAX_DAYS];
	uint32_t svc_peers[CAMPUS_SERVICES];
	struct key_map service_peers; /* (service, ext) */
	struct key_map port_peers;    /* (port, ext) */
	struct key_map ftp_control;   /* (host, ext) -> time of last control SYN+ACK */
	uint32_t *ext_day;            /* packets of the current day */
	uint32_t *touched;            /* externals with packets today */
	uint32_t ntouched;
	uint8_t *ext_seen;
	uint64_t ext_month;
	int day;
	struct day_answer days[CAMPUS_MAX_DAYS];
	bool failed;
};

struct campus_answers *campus_answers_new(const struct campus_model *m)
{
	struct campus_answers *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->m = m;
	uint32_t n = campus_ext_count(m);
	a->ext_day = calloc(n, sizeof(uint32_t));
	a->touched = calloc(n, sizeof(uint32_t));
	a->ext_seen = calloc(n, 1);
	if (!a->ext_day || !a->touched || !a->ext_seen) {
		campus_answers_free(a);
		return NULL;
	}
	return a;
}

void campus_answers_free(struct campus_answers *a)
{
	if (!a)
		return;
	free(a->service_peers.keys);
	free(a->service_peers.values);
	free(a->port_peers.keys);
	free(a->port_peers.values);
	free(a->ftp_control.keys);
	free(a->ftp_control.values);
	free(a->ext_day);
	free(a->touched);
	free(a->ext_seen);
	free(a);
}

static bool is_ftp_service_port(uint16_t port)
{
	for (size_t i = 0; i < sizeof(ftp_service_ports) / sizeof(ftp_service_ports[0]); i++)
		if (ftp_service_ports[i] == port)
			return true;
	return false;
}

static int ftp_mark(struct campus_answers *a, uint64_t t, int host, uint16_t sport, uint32_t ext,
                    uint16_t dport)
{
	if (dport == 20 && sport >= 1024 && !is_ftp_service_port(sport))
		return 1;
	uint64_t key = ((uint64_t)(host + 2) << 32) | ext;
	if (sport == 21 || sport == 990) {
		bool added;
		uint64_t *last = key_map_get(&a->ftp_control, key, &added);
		if (!last)
			a->failed = true;
		else
			*last = t;
		return 0;
	}
	if (sport < 1024)
		return 0;
	const uint64_t *last = key_map_find(&a->ftp_control, key);
	return last && t - *last <= passive_timeout_ns ? 2 : 0;
}

static int service_of(const struct campus_model *m, int host, uint16_t port)
{
	const struct campus_host *h = &m->hosts[host];
	for (int i = 0; i < h->nports; i++)
		if (m->services[h->service[i]].port == port)
			return h->service[i];
	return -1;
}

int campus_answers_synack(struct campus_answers *a, uint64_t time_ns, int host, uint16_t sport,
                          uint32_t ext, uint16_t dport)
{
	struct day_answer *d = &a->days[a->day];
	int mark = ftp_mark(a, time_ns, host, sport, ext, dport);
	if (mark == 1) {
		d->ftp_active++;
		return mark;
	}
	if (mark == 2) {
		d->ftp_passive++;
		return mark;
	}
	int s = host < 0 ? -1 : service_of(a->m, host, sport);
	if (s < 0) {
		/* The generator only writes SYN+ACKs from known services. */
		a->failed = true;
		return 0;
	}
	d->packets++;
	a->svc_day[s][a->day]++;
	if (a->ext_day[ext]++ == 0)
		a->touched[a->ntouched++] = ext;
	if (!a->ext_seen[ext]) {
		a->ext_seen[ext] = 1;
		a->ext_month++;
	}
	bool added;
	uint64_t *v = key_map_get(&a->service_peers, ((uint64_t)(s + 1) << 32) | ext, &added);
	if (v && added)
		a->svc_peers[s]++;
	if (!v || !key_map_get(&a->port_peers, ((uint64_t)(sport + 1) << 32) | ext, &added))
		a->failed = true;
	return 0;
}

static void addr_text(const struct campus_model *m, int family, const uint8_t *addr, char *out)
{
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out, INET6_ADDRSTRLEN);
	(void)m;
}

static void ext_text(const struct campus_model *m, uint32_t ext, char *out)
{
	uint8_t family, addr[16];
	campus_ext_addr(m, ext, &family, addr);
	addr_text(m, family, addr, out);
}

/* Sorting order of top sources: packets down, then address text. */
static bool ranks_before(const struct campus_model *m, const struct top_source *x,
                         const struct top_source *y)
{
	if (x->packets != y->packets)
		return x->packets > y->packets;
	char tx[INET6_ADDRSTRLEN], ty[INET6_ADDRSTRLEN];
	ext_text(m, x->ext, tx);
	ext_text(m, y->ext, ty);
	return strcmp(tx, ty) < 0;
}

void campus_answers_end_day(struct campus_answers *a, int day)
{
	struct day_answer *d = &a->days[day];
	d->externals = a->ntouched;
	for (uint32_t i = 0; i < a->ntouched; i++) {
		struct top_source c = {a->touched[i], a->ext_day[a->touched[i]]};
		a->ext_day[c.ext] = 0;
		int pos = d->ntop;
		while (pos > 0 && ranks_before(a->m, &c, &d->top[pos - 1]))
			pos--;
		if (pos >= TOP_SOURCES)
			continue;
		int last = d->ntop < TOP_SOURCES ? d->ntop : TOP_SOURCES - 1;
		memmove(&d->top[pos + 1], &d->top[pos], (size_t)(last - pos) * sizeof(d->top[0]));
		d->top[pos] = c;
		if (d->ntop < TOP_SOURCES)
			d->ntop++;
	}
	a->ntouched = 0;
	if (day + 1 < CAMPUS_MAX_DAYS)
		a->day = day + 1;
}

static void day_text(const struct campus_model *m, int day, char *out)
{
	time_t t = (time_t)(m->opt.start + (int64_t)day * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* What the report derives from the service-day counts. */
struct summary {
	int days;
	uint32_t host_days[CAMPUS_HOSTS];       /* bit d: host seen on day d */
	int host_ports[CAMPUS_HOSTS];           /* distinct ports in the period */
	uint32_t day_hosts[CAMPUS_MAX_DAYS];    /* hosts seen that day */
	uint32_t day_services[CAMPUS_MAX_DAYS]; /* services seen that day */
	uint32_t day_ports[CAMPUS_MAX_DAYS];    /* distinct ports that day */
	uint32_t day_new[CAMPUS_MAX_DAYS];
	int hosts, hosts_every_day, services;
};

static uint32_t service_days(const struct campus_answers *a, int s, int days)
{
	uint32_t mask = 0;
	for (int d = 0; d < days; d++)
		if (a->svc_day[s][d])
			mask |= 1u << d;
	return mask;
}

static void summarize(const struct campus_answers *a, struct summary *sum)
{
	const struct campus_model *m = a->m;
	memset(sum, 0, sizeof(*sum));
	sum->days = m->opt.days;
	uint32_t all = sum->days >= 32 ? 0xffffffffu : ((1u << sum->days) - 1);
	for (int s = 0; s < m->nservices; s++) {
		uint32_t mask = service_days(a, s, sum->days);
		if (!mask)
			continue;
		sum->services++;
		sum->host_days[m->services[s].host] |= mask;
		sum->host_ports[m->services[s].host]++;
		for (int d = 0; d < sum->days; d++)
			sum->day_services[d] += mask >> d & 1;
	}
	for (int h = 0; h < CAMPUS_HOSTS; h++) {
		uint32_t mask = sum->host_days[h];
		if (!mask)
			continue;
		sum->hosts++;
		sum->hosts_every_day += mask == all;
		sum->day_new[__builtin_ctz(mask)]++;
		for (int d = 0; d < sum->days; d++)
			sum->day_hosts[d] += mask >> d & 1;
	}
	for (int d = 0; d < sum->days; d++) {
		for (int p = 0; p < CAMPUS_PORTS; p++) {
			bool seen = false;
			for (int s = 0; s < m->nservices && !seen; s++)
				seen = m->services[s].port == m->ports[p] && a->svc_day[s][d];
			sum->day_ports[d] += seen;
		}
	}
}

struct port_row {
	uint16_t port;
	int hosts, hosts_every_day;
	uint64_t externals;
};

static int compare_port_rows(const void *x, const void *y)
{
	const struct port_row *a = x, *b = y;
	if (a->hosts != b->hosts)
		return a->hosts > b->hosts ? -1 : 1;
	if (a->externals != b->externals)
		return a->externals > b->externals ? -1 : 1;
	return (int)a->port - (int)b->port;
}

static int port_rows(const struct campus_answers *a, struct port_row *rows)
{
	const struct campus_model *m = a->m;
	uint32_t all = m->opt.days >= 32 ? 0xffffffffu : ((1u << m->opt.days) - 1);
	static uint64_t externals[65537];
	memset(externals, 0, sizeof(externals));
	const struct key_map *pp = &a->port_peers;
	for (size_t i = 0; i < pp->cap; i++)
		if (pp->keys[i])
			externals[pp->keys[i] >> 32]++;
	int n = 0;
	for (int p = 0; p < CAMPUS_PORTS; p++) {
		struct port_row r = {.port = m->ports[p]};
		for (int s = 0; s < m->nservices; s++) {
			if (m->services[s].port != r.port)
				continue;
			uint32_t mask = service_days(a, s, m->opt.days);
			r.hosts += mask != 0;
			r.hosts_every_day += mask == all;
		}
		if (!r.hosts)
			continue;
		r.externals = externals[r.port + 1];
		rows[n++] = r;
	}
	qsort(rows, (size_t)n, sizeof(rows[0]), compare_port_rows);
	return n;
}

static void write_daily(FILE *f, const struct campus_answers *a, const struct summary *sum)
{
	const struct campus_model *m = a->m;
	uint32_t cumulative = 0;
	fprintf(f, "  \"daily\": [\n");
	for (int d = 0; d < sum->days; d++) {
		const struct day_answer *da = &a->days[d];
		char date[16];
		day_text(m, d, date);
		cumulative += sum->day_new[d];
		fprintf(
		    f,
		    "    {\"date\": \"%s\", \"packets\": %llu, \"hosts\": %u, \"services\": %u, "
		    "\"ports\": %u, \"externals\": %u, \"new_hosts\": %u, "
		    "\"cumulative_hosts\": %u, \"ftp_active\": %llu, \"ftp_passive\": %llu,\n"
		    "     \"top_sources\": [",
		    date, (unsigned long long)da->packets, sum->day_hosts[d], sum->day_services[d],
		    sum->day_ports[d], da->externals, sum->day_new[d], cumulative,
		    (unsigned long long)da->ftp_active, (unsigned long long)da->ftp_passive);
		for (int i = 0; i < da->ntop; i++) {
			char text[INET6_ADDRSTRLEN];
			ext_text(m, da->top[i].ext, text);
			fprintf(f, "%s{\"addr\": \"%s\", \"packets\": %u, \"share\": %.9f}",
			        i ? ", " : "", text, da->top[i].packets,
			        da->packets ? (double)da->top[i].packets / (double)da->packets
			                    : 0.0);
		}
		fprintf(f, "]}%s\n", d + 1 < sum->days ? "," : "");
	}
	fprintf(f, "  ],\n");
}

static void write_distributions(FILE *f, const struct campus_answers *a, const struct summary *sum)
{
	fprintf(f, "  \"days_detected\": [");
	for (int n = 1; n < sum->days; n++) {
		int hosts = 0;
		for (int h = 0; h < CAMPUS_HOSTS; h++)
			hosts += __builtin_popcount(sum->host_days[h]) == n;
		fprintf(f, "%s{\"days\": %d, \"hosts\": %d}", n > 1 ? ", " : "", n, hosts);
	}
	fprintf(f, "],\n  \"ports_per_host\": [");
	bool first = true;
	for (int n = 1; n <= CAMPUS_MAX_PORTS_PER_HOST; n++) {
		int hosts = 0;
		for (int h = 0; h < CAMPUS_HOSTS; h++)
			hosts += sum->host_ports[h] == n;
		if (!hosts)
			continue;
		fprintf(f, "%s{\"ports\": %d, \"hosts\": %d}", first ? "" : ", ", n, hosts);
		first = false;
	}
	fprintf(f, "],\n  \"ports_by_hosts\": [\n");
	struct port_row rows[CAMPUS_PORTS];
	int n = port_rows(a, rows);
	for (int i = 0; i < n; i++)
		fprintf(f,
		        "    {\"rank\": %d, \"port\": %u, \"hosts\": %d, \"hosts_every_day\": %d, "
		        "\"externals\": %llu}%s\n",
		        i + 1, rows[i].port, rows[i].hosts, rows[i].hosts_every_day,
		        (unsigned long long)rows[i].externals, i + 1 < n ? "," : "");
	fprintf(f, "  ],\n");
}

static void write_services(FILE *f, const struct campus_answers *a, const struct summary *sum)
{
	const struct campus_model *m = a->m;
	fprintf(f, "  \"services\": [\n");
	int written = 0;
	for (int s = 0; s < m->nservices; s++) {
		uint32_t mask = service_days(a, s, sum->days);
		if (!mask)
			continue;
		uint64_t packets = 0;
		for (int d = 0; d < sum->days; d++)
			packets += a->svc_day[s][d];
		const struct campus_host *h = &m->hosts[m->services[s].host];
		char text[INET6_ADDRSTRLEN];
		addr_text(m, h->family, h->addr, text);
		written++;
		fprintf(f,
		        "    {\"addr\": \"%s\", \"port\": %u, \"packets\": %llu, \"peers\": %u, "
		        "\"days_seen\": %d}%s\n",
		        text, m->services[s].port, (unsigned long long)packets, a->svc_peers[s],
		        __builtin_popcount(mask), written < sum->services ? "," : "");
	}
	fprintf(f, "  ]\n");
}

int campus_answers_write(const struct campus_answers *a, const char *path)
{
	if (a->failed)
		return -1;
	const struct campus_model *m = a->m;
	struct summary *sum = malloc(sizeof(*sum));
	FILE *f = fopen(path, "w");
	if (!sum || !f) {
		free(sum);
		if (f)
			fclose(f);
		return -1;
	}
	summarize(a, sum);
	uint64_t packets = 0, active = 0, passive = 0;
	for (int d = 0; d < sum->days; d++) {
		packets += a->days[d].packets;
		active += a->days[d].ftp_active;
		passive += a->days[d].ftp_passive;
	}
	int ports = 0;
	for (int p = 0; p < CAMPUS_PORTS; p++) {
		bool seen = false;
		for (int s = 0; s < m->nservices && !seen; s++)
			seen = m->services[s].port == m->ports[p] && service_days(a, s, sum->days);
		ports += seen;
	}
	char from[16], to[16];
	day_text(m, 0, from);
	day_text(m, sum->days - 1, to);
	fprintf(f,
	        "{\n  \"generator\": \"synack-campus\", \"scale\": %g, \"seed\": %llu,\n"
	        "  \"internal\": \"198.18.0.0/16,2001:db8:1::/48\",\n"
	        "  \"from\": \"%s\", \"to\": \"%s\", \"days\": %d,\n"
	        "  \"totals\": {\"packets\": %llu, \"hosts\": %d, \"hosts_every_day\": %d, "
	        "\"externals\": %llu, \"services\": %d, \"ports\": %d, \"ftp_active\": %llu, "
	        "\"ftp_passive\": %llu},\n",
	        m->opt.scale, (unsigned long long)m->opt.seed, from, to, sum->days,
	        (unsigned long long)packets, sum->hosts, sum->hosts_every_day,
	        (unsigned long long)a->ext_month, sum->services, ports, (unsigned long long)active,
	        (unsigned long long)passive);
	write_daily(f, a, sum);
	write_distributions(f, a, sum);
	write_services(f, a, sum);
	fprintf(f, "}\n");
	free(sum);
	return fclose(f) == 0 ? 0 : -1;
}
