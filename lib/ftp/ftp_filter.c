/*
 * ftp_filter.c - marks FTP data connections (doc/ftp.md).
 *
 * Active mode is a pure function of the record (ports and the service-port
 * bitmap).  Passive mode needs state: a table of (internal, external) pairs
 * that had a control-connection SYN+ACK (from port 21 or 990), with the time
 * of the last one.  The table is a chained hash (indices, no pointers) over a
 * dense entry array plus an LRU list; at max_sessions the least recently
 * refreshed pair is evicted.  It grows by doubling up to max_sessions, so an
 * idle sensor uses almost nothing.
 */
#include "ftp/ftp_filter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NIL UINT32_MAX

/* Ports >= 1024 that are services, never active-mode data (doc/ftp.md). */
static uint16_t default_service_ports[] = {
    1080, 1194,  1433,  1434,  1521,  1723,  1883,  2049,  2082,  2083, 2181, 2375, 2376,
    2379, 2380,  3000,  3128,  3268,  3269,  3306,  3389,  3690,  4443, 4505, 4506, 5000,
    5060, 5061,  5222,  5269,  5432,  5601,  5672,  5900,  5901,  5985, 5986, 6379, 6443,
    6667, 6697,  7001,  7474,  8000,  8008,  8080,  8081,  8088,  8086, 8123, 8161, 8443,
    8444, 8500,  8883,  8888,  9000,  9042,  9090,  9092,  9093,  9100, 9200, 9300, 9418,
    9443, 10000, 10250, 11211, 15672, 25565, 27017, 27018, 50000,
};

void ftp_options_default(struct ftp_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->enabled = true;
	opt->passive_timeout_ns = 600ull * 1000000000ull;
	opt->service_ports = default_service_ports;
	opt->n_service_ports = sizeof(default_service_ports) / sizeof(default_service_ports[0]);
	opt->max_sessions = (size_t)1 << 20;
}

int ftp_options_parse_ports(struct ftp_options *opt, const char *text, char *err, size_t errlen)
{
	size_t cap = 16, n = 0;
	uint16_t *ports = malloc(cap * sizeof(*ports));
	const char *p = text ? text : "";

	if (!ports) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (*p == '\0')
			break;
		const char *start = p;
		char *end;
		errno = 0;
		unsigned long v = strtoul(p, &end, 10);
		size_t toklen = strcspn(start, ", \t\r\n");
		if (end == p || errno || (size_t)(end - start) != toklen || v == 0 || v > 65535) {
			snprintf(err, errlen, "bad FTP service port '%.*s': want a number 1-65535",
			         (int)toklen, start);
			free(ports);
			return -1;
		}
		if (n == cap) {
			uint16_t *np = realloc(ports, 2 * cap * sizeof(*ports));
			if (!np) {
				free(ports);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			ports = np;
			cap *= 2;
		}
		ports[n++] = (uint16_t)v;
		p = end;
	}
	ftp_options_free_ports(opt);
	opt->service_ports = ports;
	opt->n_service_ports = n;
	return 0;
}

void ftp_options_free_ports(struct ftp_options *opt)
{
	if (opt->service_ports && opt->service_ports != default_service_ports)
		free(opt->service_ports);
	opt->service_ports = NULL;
	opt->n_service_ports = 0;
}

struct session {
	uint8_t internal[16];
	uint8_t external[16];
	uint64_t last_ns; /* last control-connection SYN+ACK */
	uint32_t next;    /* hash chain */
	uint32_t prev_lru, next_lru;
	uint8_t family;
};

struct ftp_filter {
	bool enabled;
	uint64_t timeout_ns;
	uint64_t service_bits[65536 / 64];
	size_t max_sessions;

	struct session *s; /* dense array, cap entries */
	uint32_t n, cap;
	uint32_t live;               /* sessions in the table */
	uint32_t free_head;          /* free list through .next (after evictions) */
	uint32_t *bucket;            /* nbucket heads */
	uint32_t nbucket;            /* power of two */
	uint32_t lru_head, lru_tail; /* head = oldest */
};

static uint32_t pair_hash(uint8_t family, const uint8_t *a, const uint8_t *b)
{
	uint64_t x[4];
	memcpy(x, a, 16);
	memcpy(x + 2, b, 16);
	uint64_t h = 0x9e3779b97f4a7c15ull ^ family;
	for (int i = 0; i < 4; i++) {
		h ^= x[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)(h ^ (h >> 29));
}

struct ftp_filter *ftp_filter_new(const struct ftp_options *opt)
{
	struct ftp_filter *f = calloc(1, sizeof(*f));
	struct ftp_options def;

	if (!f)
		return NULL;
	if (!opt) {
		ftp_options_default(&def);
		opt = &def;
	}
	f->max_sessions = opt->max_sessions ? opt->max_sessions : 1;
	if (f->max_sessions > (size_t)1 << 30)
		f->max_sessions = (size_t)1 << 30;
	ftp_filter_configure(f, opt);
	f->free_head = NIL;
	f->lru_head = f->lru_tail = NIL;
	return f;
}

void ftp_filter_free(struct ftp_filter *f)
{
	if (!f)
		return;
	free(f->s);
	free(f->bucket);
	free(f);
}

static void lru_unlink(struct ftp_filter *f, uint32_t i)
{
	struct session *e = &f->s[i];
	if (e->prev_lru != NIL)
		f->s[e->prev_lru].next_lru = e->next_lru;
	else
		f->lru_head = e->next_lru;
	if (e->next_lru != NIL)
		f->s[e->next_lru].prev_lru = e->prev_lru;
	else
		f->lru_tail = e->prev_lru;
}

static void lru_push_tail(struct ftp_filter *f, uint32_t i)
{
	struct session *e = &f->s[i];
	e->prev_lru = f->lru_tail;
	e->next_lru = NIL;
	if (f->lru_tail != NIL)
		f->s[f->lru_tail].next_lru = i;
	else
		f->lru_head = i;
	f->lru_tail = i;
}

static uint32_t *chain_slot(struct ftp_filter *f, uint8_t family, const uint8_t *a,
                            const uint8_t *b)
{
	uint32_t *slot = &f->bucket[pair_hash(family, a, b) & (f->nbucket - 1)];
	while (*slot != NIL) {
		struct session *e = &f->s[*slot];
		if (e->family == family && memcmp(e->internal, a, 16) == 0 &&
		    memcmp(e->external, b, 16) == 0)
			return slot;
		slot = &e->next;
	}
	return slot;
}

static uint32_t lookup(const struct ftp_filter *f, const struct synack_record *r)
{
	if (!f->nbucket)
		return NIL;
	return *chain_slot((struct ftp_filter *)f, r->family, r->saddr, r->daddr);
}

static int grow(struct ftp_filter *f)
{
	uint32_t ncap = f->cap ? f->cap * 2 : 1024;
	if (ncap > f->max_sessions)
		ncap = (uint32_t)f->max_sessions;
	struct session *ns = realloc(f->s, (size_t)ncap * sizeof(*ns));
	if (!ns)
		return -1;
	f->s = ns;
	f->cap = ncap;
	uint32_t nb = 1;
	while (nb < ncap * 2u)
		nb <<= 1;
	if (nb != f->nbucket) {
		uint32_t *b = malloc((size_t)nb * sizeof(*b));
		if (!b)
			return -1;
		free(f->bucket);
		f->bucket = b;
		f->nbucket = nb;
		memset(b, 0xff, (size_t)nb * sizeof(*b));
		for (uint32_t i = f->lru_head; i != NIL; i = f->s[i].next_lru) {
			uint32_t *slot =
			    &b[pair_hash(f->s[i].family, f->s[i].internal, f->s[i].external) &
			       (nb - 1)];
			f->s[i].next = *slot;
			*slot = i;
		}
	}
	return 0;
}

static void evict_oldest(struct ftp_filter *f)
{
	uint32_t i = f->lru_head;
	struct session *e = &f->s[i];
	uint32_t *slot = chain_slot(f, e->family, e->internal, e->external);
	*slot = e->next;
	lru_unlink(f, i);
	e->next = f->free_head;
	f->free_head = i;
	f->live--;
}

static void note_control(struct ftp_filter *f, const struct synack_record *r)
{
	uint32_t i = lookup(f, r);
	if (i != NIL) {
		if (r->time_ns > f->s[i].last_ns)
			f->s[i].last_ns = r->time_ns;
		lru_unlink(f, i);
		lru_push_tail(f, i);
		return;
	}
	if (f->free_head == NIL && f->n == f->cap) {
		if (f->cap < f->max_sessions) {
			if (grow(f) != 0 && f->n == 0)
				return; /* out of memory: passive detection off */
		}
		if (f->n == f->cap && f->lru_head != NIL)
			evict_oldest(f);
	}
	if (f->free_head != NIL) {
		i = f->free_head;
		f->free_head = f->s[i].next;
	} else if (f->n < f->cap) {
		i = f->n++;
	} else {
		return;
	}
	struct session *e = &f->s[i];
	memcpy(e->internal, r->saddr, 16);
	memcpy(e->external, r->daddr, 16);
	e->family = r->family;
	e->last_ns = r->time_ns;
	uint32_t *slot = chain_slot(f, r->family, r->saddr, r->daddr);
	e->next = NIL;
	*slot = i;
	lru_push_tail(f, i);
	f->live++;
}

int ftp_filter_mark(struct ftp_filter *f, struct synack_record *rec)
{
	rec->ftp = SYNACK_FTP_NONE;
	if (!f || !f->enabled)
		return rec->ftp;
	uint16_t sp = rec->sport;
	if (sp == 21 || sp == 990) {
		note_control(f, rec);
		return rec->ftp;
	}
	if (sp < 1024)
		return rec->ftp; /* includes port-20 scans from low ports */
	if (rec->dport == 20 && !(f->service_bits[sp >> 6] & (1ull << (sp & 63)))) {
		rec->ftp = SYNACK_FTP_ACTIVE;
		return rec->ftp;
	}
	uint32_t i = lookup(f, rec);
	if (i != NIL) {
		uint64_t last = f->s[i].last_ns;
		if (rec->time_ns <= last || rec->time_ns - last <= f->timeout_ns)
			rec->ftp = SYNACK_FTP_PASSIVE;
	}
	return rec->ftp;
}

size_t ftp_filter_sessions(const struct ftp_filter *f)
{
	return f ? f->live : 0;
}

void ftp_filter_configure(struct ftp_filter *f, const struct ftp_options *opt)
{
	f->enabled = opt->enabled;
	f->timeout_ns = opt->passive_timeout_ns;
	memset(f->service_bits, 0, sizeof(f->service_bits));
	for (size_t i = 0; i < opt->n_service_ports; i++)
		f->service_bits[opt->service_ports[i] >> 6] |= 1ull << (opt->service_ports[i] & 63);
}
