/*
 * log_test_util.h - helpers for the log tests: temp dirs, random records,
 * reading a whole log back.
 */
#ifndef SYNACK_TESTS_LOG_UTIL_H
#define SYNACK_TESTS_LOG_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log/log_reader.h"
#include "log/log_writer.h"
#include "record.h"

#define NS_S 1000000000ull
#define NS_H (3600ull * NS_S)

static uint64_t tu_rng = 0x2545F4914F6CDD1Dull;

static inline uint64_t tu_rand(void)
{
	tu_rng ^= tu_rng << 13;
	tu_rng ^= tu_rng >> 7;
	tu_rng ^= tu_rng << 17;
	return tu_rng;
}

static inline void tu_rm_rf(const char *path)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "rm -rf %s failed\n", path);
}

static inline char *tu_tmpdir(void)
{
	char tmpl[] = "/tmp/synack-logtest-XXXXXX";
	char *d = mkdtemp(tmpl);
	return d ? strdup(d) : NULL;
}

/* A random record at time t (ns); IPv6 with probability 1/4. */
static inline void tu_random_record(struct synack_record *r, uint64_t t)
{
	memset(r, 0, sizeof(*r));
	r->time_ns = t;
	bool v6 = tu_rand() % 4 == 0;
	r->family = v6 ? SYNACK_FAMILY_IPV6 : SYNACK_FAMILY_IPV4;
	size_t alen = v6 ? 16 : 4;
	/* a few internal hosts, many external ones */
	uint64_t h = tu_rand() % 20;
	for (size_t i = 0; i < alen; i++)
		r->saddr[i] = (uint8_t)(i == alen - 1 ? h : 10 + i);
	for (size_t i = 0; i < alen; i++)
		r->daddr[i] = (uint8_t)tu_rand();
	r->sport = (uint16_t)(tu_rand() % 8 == 0 ? tu_rand() : 80 + tu_rand() % 4);
	r->dport = (uint16_t)tu_rand();
	r->flags = (uint16_t)(tu_rand() & 0xfff);
	r->vlan = (uint16_t)(tu_rand() % 3 == 0 ? tu_rand() & 0xfff : 0);
	r->ftp = (uint8_t)(tu_rand() % 3);
	r->worker = (uint8_t)tu_rand();
}

/* The record as the reader returns it: time at microsecond resolution. */
static inline struct synack_record tu_expect(const struct synack_record *r)
{
	struct synack_record e = *r;
	e.time_ns = r->time_ns / 1000 * 1000;
	return e;
}

/* Read a whole log; returns count (or -1), *out malloc'd. */
static inline long tu_read_all(const char *path, struct synack_record **out, bool *truncated)
{
	char err[256];
	if (truncated)
		*truncated = false;
	struct log_reader *r = log_reader_open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "open %s: %s\n", path, err);
		*out = NULL;
		return -1;
	}
	size_t cap = 1024, n = 0;
	struct synack_record *v = malloc(cap * sizeof(*v));
	for (;;) {
		if (n + 512 > cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
		}
		long got = log_reader_next(r, v + n, 512);
		if (got < 0) {
			fprintf(stderr, "read %s: %s\n", path, log_reader_error(r));
			log_reader_close(r);
			free(v);
			*out = NULL;
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (truncated)
		*truncated = log_reader_truncated(r);
	log_reader_close(r);
	*out = v;
	return (long)n;
}

/* Path of the log of the hour containing t below dir. */
static inline void tu_hour_path(char *buf, size_t len, const char *dir, uint64_t t_ns)
{
	time_t t = (time_t)(t_ns / NS_S);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%s/logs/%04d/%02d/%02d/synack-%04d%02d%02d-%02d.zst", dir,
	         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour);
}

static inline long tu_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

#endif
