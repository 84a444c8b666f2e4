/*
 * campus.h - the synthetic campus: a month of mirror-port traffic calibrated
 * to the paper's January 2019 (doc/campus.md), shared by the parts of the
 * synack-campus generator.
 *
 * model.c builds the campus (internal hosts, their open ports, which host and
 * service is up on which day, the external hosts of every day); traffic.c
 * turns one day of it into time-ordered frames; answers.c keeps the
 * generator's own account of every SYN+ACK it wrote (with its own FTP rules)
 * and writes the answers file; main.c reads the options and runs the days.
 */
#ifndef SYNACK_CAMPUS_H
#define SYNACK_CAMPUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "frame_builder.h"

enum {
	CAMPUS_MAX_DAYS = 31,
	CAMPUS_HOSTS = 270,
	CAMPUS_HOSTS_EVERY_DAY = 204,
	CAMPUS_HOSTS_V6 = 20,
	CAMPUS_PORTS = 207,
	CAMPUS_SERVICES = 1026,
	CAMPUS_MAX_PORTS_PER_HOST = 59,
	CAMPUS_SCANNERS = 2,
	CAMPUS_FTP_CLIENTS = 240,
	CAMPUS_FTP_SERVERS = 250,
};

struct campus_options {
	double scale;
	uint64_t seed;
	int days;
	double background;  /* non-SYN+ACK frames per SYN+ACK, on average */
	double burst;       /* mean SYN+ACKs per client visit (1: each one on its own) */
	int scan_day;       /* 0-based day of the scan burst, -1 for none */
	int64_t start;      /* first day, UTC seconds (00:00) */
	const char *output; /* one capture, or NULL with daily_prefix */
	const char *daily_prefix;
	const char *answers;
	bool quiet;
};

/* ------------------------------------------------------------ random */

struct campus_rng {
	uint64_t s[4];
};

static inline uint64_t campus_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** seeded through splitmix64. */
static inline void campus_rng_seed(struct campus_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		r->s[i] = z ^ (z >> 31);
	}
}

static inline uint64_t campus_rand(struct campus_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = campus_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = campus_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, 1). */
static inline double campus_uniform(struct campus_rng *r)
{
	return (double)(campus_rand(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n). */
static inline uint32_t campus_below(struct campus_rng *r, uint32_t n)
{
	return (uint32_t)(((campus_rand(r) >> 32) * (uint64_t)n) >> 32);
}

/* ------------------------------------------------------------ model */

struct campus_host {
	uint8_t family;
	uint8_t addr[16];
	int first_day;    /* first day it is up */
	uint32_t days_up; /* bit d: up on day d */
	int nports;
	uint16_t service[CAMPUS_MAX_PORTS_PER_HOST]; /* indices into services */
	double popularity;
};

struct campus_service {
	uint16_t host;
	uint16_t port;
	double weight;    /* share of the host's clients */
	uint32_t days_up; /* bit d: answers clients on day d */
};

/* External host ids: 0 .. pool-1 the heavy-tailed pool (most popular first),
 * then the scanners, the FTP clients (passive sessions) and the FTP servers
 * (active sessions). */
struct campus_model {
	struct campus_options opt;
	struct campus_host hosts[CAMPUS_HOSTS];
	struct campus_service services[CAMPUS_SERVICES];
	int nservices;
	uint16_t ports[CAMPUS_PORTS];
	uint32_t pool;                           /* external pool size */
	double *pool_weight;                     /* [pool], decreasing */
	double *pool_prefix;                     /* [pool + 1] */
	uint64_t day_packets[CAMPUS_MAX_DAYS];   /* ordinary SYN+ACKs of the day */
	uint64_t scan_packets;                   /* on opt.scan_day */
	uint32_t day_externals[CAMPUS_MAX_DAYS]; /* target size of the day's set */
	uint32_t ftp_sessions;                   /* per mode and day */
};

static inline uint32_t campus_ext_scanner(const struct campus_model *m, int k)
{
	return m->pool + (uint32_t)k;
}
static inline uint32_t campus_ext_ftp_client(const struct campus_model *m, int k)
{
	return m->pool + CAMPUS_SCANNERS + (uint32_t)k;
}
static inline uint32_t campus_ext_ftp_server(const struct campus_model *m, int k)
{
	return m->pool + CAMPUS_SCANNERS + CAMPUS_FTP_CLIENTS + (uint32_t)k;
}
static inline uint32_t campus_ext_count(const struct campus_model *m)
{
	return m->pool + CAMPUS_SCANNERS + CAMPUS_FTP_CLIENTS + CAMPUS_FTP_SERVERS;
}

int campus_model_build(struct campus_model *m, const struct campus_options *opt);
void campus_model_free(struct campus_model *m);
/* The address of external host id (family 4 or 6). */
void campus_ext_addr(const struct campus_model *m, uint32_t id, uint8_t *family, uint8_t addr[16]);
/* Internal addresses that run active-mode FTP clients but offer no service. */
void campus_ftp_client_addr(int k, uint8_t addr[16]);
/* Chooses the day's external hosts from the pool: fills ids (capacity pool),
 * returns how many. */
uint32_t campus_day_externals(const struct campus_model *m, struct campus_rng *r, int day,
                              uint32_t *ids);

/* ------------------------------------------------------------ answers */

struct campus_answers;

struct campus_answers *campus_answers_new(const struct campus_model *m);
/* One SYN+ACK from an internal to an external host, in time order.  host is
 * the internal host's index, or -1 for an address that is not a campus host
 * (active FTP clients).  Returns the FTP mark the rules give it. */
int campus_answers_synack(struct campus_answers *a, uint64_t time_ns, int host, uint16_t sport,
                          uint32_t ext, uint16_t dport);
void campus_answers_end_day(struct campus_answers *a, int day);
int campus_answers_write(const struct campus_answers *a, const char *path);
void campus_answers_free(struct campus_answers *a);

/* ------------------------------------------------------------ traffic */

struct campus_traffic;

struct campus_traffic *campus_traffic_new(const struct campus_model *m,
                                          struct campus_answers *answers);
/* Writes day d's frames to w in time order. */
int campus_traffic_day(struct campus_traffic *t, int day, struct fb_writer *w);
uint64_t campus_traffic_synacks(const struct campus_traffic *t);
uint64_t campus_traffic_frames(const struct campus_traffic *t);
void campus_traffic_free(struct campus_traffic *t);

#endif /* SYNACK_CAMPUS_H */
