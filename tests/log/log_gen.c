/*
 * log_gen.c - synack-log-gen DIR: writes a deterministic set of records over
 * three hours into DIR/logs and prints them as the CSV that
 * `synackctl cat --fields time,date,hour,saddr,sport,daddr,dport,flags,ftp,worker,vlan`
 * must produce (with header).
 *
 * synack-log-gen DIR storm: instead, one hour with a quiet start, a storm
 * of 30,000 records in half a second (a full block before the flush
 * interval: column blocks) and a quiet end, all fields varied.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log_writer.h"
#include "record.h"

static void print_record(const struct synack_record *r)
{
	char sa[INET6_ADDRSTRLEN], da[INET6_ADDRSTRLEN], ts[64], ds[16];
	int af = r->family == SYNACK_FAMILY_IPV6 ? AF_INET6 : AF_INET;
	inet_ntop(af, r->saddr, sa, sizeof(sa));
	inet_ntop(af, r->daddr, da, sizeof(da));
	time_t t = (time_t)(r->time_ns / 1000000000ull);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(ds, sizeof(ds), "%Y-%m-%d", &tm);
	printf("%s.%06uZ,%s,%d,%s,%u,%s,%u,0x%03x,%u,%u,%u\n", ts,
	       (unsigned)(r->time_ns / 1000 % 1000000), ds, tm.tm_hour, sa, r->sport, da, r->dport,
	       r->flags, r->ftp, r->worker, r->vlan);
}

/* Three hours of a few records a second. */
static void quiet_record(struct synack_record *r, int i, uint64_t base, uint64_t *rng)
{
	memset(r, 0, sizeof(*r));
	*rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
	r->time_ns = base + (uint64_t)i * 3600ull * 1000000000ull * 3 / 3000 + (*rng >> 40) % 1000;
	bool v6 = i % 5 == 0;
	r->family = v6 ? SYNACK_FAMILY_IPV6 : SYNACK_FAMILY_IPV4;
	if (v6) {
		uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8, 0, (uint8_t)(1 + i % 2)};
		uint8_t d[16] = {0x2a, 0x00, 0, 0, 0, 0, 0, 0,
		                 0,    0,    0, 0, 0, 0, 0, (uint8_t)(i % 7)};
		s[15] = (uint8_t)(i % 3);
		memcpy(r->saddr, s, 16);
		memcpy(r->daddr, d, 16);
	} else {
		uint8_t s[4] = {10, (uint8_t)(1 + i % 2), 0, (uint8_t)(i % 9)};
		uint8_t d[4] = {192, 0, 2, (uint8_t)(i % 13)};
		memcpy(r->saddr, s, 4);
		memcpy(r->daddr, d, 4);
	}
	r->sport = (uint16_t)(i % 4 == 0 ? 443 : 80);
	r->dport = (uint16_t)(32768 + (*rng >> 33) % 28000);
	r->flags = (uint16_t)(i % 11 == 0 ? 0x52 : 0x12);
	r->vlan = (uint16_t)(i % 6 == 0 ? 100 : 0);
	r->ftp = (uint8_t)(i % 17 == 0 ? 2 : 0);
	r->worker = (uint8_t)(i % 4);
}

/* One hour: 200 records 10 ms apart, 30,000 in half a second (every field
 * varied, IPv6 one in seven), 200 records 10 ms apart. */
static void storm_record(struct synack_record *r, int i, uint64_t base, uint64_t *rng)
{
	memset(r, 0, sizeof(*r));
	*rng = *rng * 6364136223846793005ull + 1442695040888963407ull;
	uint64_t x = *rng >> 11;
	if (i < 200)
		r->time_ns = base + (uint64_t)i * 10000000ull;
	else if (i < 30200)
		r->time_ns = base + 3000000000ull + (uint64_t)(i - 200) * 16666ull;
	else
		r->time_ns = base + 10000000000ull + (uint64_t)(i - 30200) * 10000000ull;
	bool v6 = i % 7 == 3;
	r->family = v6 ? SYNACK_FAMILY_IPV6 : SYNACK_FAMILY_IPV4;
	if (v6) {
		uint8_t s[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
		uint8_t d[16] = {0x2a,
		                 0x01,
		                 0,
		                 (uint8_t)x,
		                 0,
		                 0,
		                 0,
		                 0,
		                 0,
		                 0,
		                 0,
		                 0,
		                 0,
		                 0,
		                 (uint8_t)(x >> 8),
		                 (uint8_t)(x >> 16)};
		s[14] = (uint8_t)(i % 251);
		memcpy(r->saddr, s, 16);
		memcpy(r->daddr, d, 16);
	} else {
		uint8_t s[4] = {10, 3, (uint8_t)(i >> 8), (uint8_t)i};
		uint8_t d[4] = {198, 51, 100, (uint8_t)(x >> 24)};
		memcpy(r->saddr, s, 4);
		memcpy(r->daddr, d, 4);
	}
	r->sport = (uint16_t)(x >> 32);
	r->dport = (uint16_t)(x >> 16);
	r->flags = (uint16_t)(i % 3 == 0 ? (x >> 40) & 0xfff : 0x12);
	r->vlan = (uint16_t)(i % 5 == 0 ? (x >> 28) & 0xfff : 0);
	r->ftp = (uint8_t)(i % 13 == 0 ? 1 + i % 2 : 0);
	r->worker = (uint8_t)(x >> 50);
}

int main(int argc, char **argv)
{
	char err[256];
	bool storm = argc == 3 && strcmp(argv[2], "storm") == 0;
	if (argc != 2 && !storm) {
		fprintf(stderr, "usage: synack-log-gen DIR [storm]\n");
		return 64;
	}
	struct log_writer *w = log_writer_open(argv[1], NULL, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* 2024-02-29T22:00:00Z */
	uint64_t base = 1709244000ull * 1000000000ull;
	uint64_t rng = 12345;
	int count = storm ? 30400 : 3000;
	printf("time,date,hour,saddr,sport,daddr,dport,flags,ftp,worker,vlan\n");
	for (int i = 0; i < count; i++) {
		struct synack_record r;
		if (storm)
			storm_record(&r, i, base, &rng);
		else
			quiet_record(&r, i, base, &rng);
		if (log_writer_append(w, &r, 1, r.time_ns) < 0) {
			fprintf(stderr, "%s\n", log_writer_error(w));
			return 1;
		}
		print_record(&r);
	}
	log_writer_close(w);
	return 0;
}
