/*
 * store.h - the SQLite database (DATA/synack.db): inventory of services,
 * the paper's hourly view and daily roll-ups.  Schema in doc/schema.md.
 *
 * Rows are batched: records are aggregated in memory (bounded) and written
 * in one transaction per flush interval or per batch size.  WAL mode.
 */
#ifndef SYNACK_STORE_H
#define SYNACK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct store_options {
	uint64_t flush_interval_ns; /* default 1 s */
	size_t batch_records;       /* commit after this many records; default 100000 */
	size_t max_pending;         /* bound on aggregated rows in memory; default 1<<20 */
	const char *timezone;       /* for daily roll-ups; NULL or "UTC" default */
};

void store_options_default(struct store_options *opt);

struct store;

struct store *store_open(const char *db_path, const struct store_options *opt, char *err,
			 size_t errlen);

/* Add records; FTP-data records (rec->ftp != 0) are counted but never
 * become services. */
int store_add(struct store *s, const struct synack_record *recs, size_t n, uint64_t now_ns);
int store_tick(struct store *s, uint64_t now_ns); /* commits when due */
int store_commit(struct store *s);                /* commit now */
const char *store_error(const struct store *s);
void store_close(struct store *s); /* commits; NULL ok */

#endif /* SYNACK_STORE_H */
