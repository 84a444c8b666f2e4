/*
 * report.h - the paper's figures and tables for a period, from synack.db
 * (lib/store, doc/schema.md), and their renderers (text, csv, json, html).
 * How every figure is computed: doc/reports.md.
 *
 * Days are calendar days in the report's time zone.  When that zone is the
 * one the database was built with (meta 'timezone'), the daily roll-up
 * tables are read (daily_services, daily_peers, daily_service_peers);
 * otherwise the rows of the hourly table are regrouped into local days
 * (an hour belongs to the local day its start falls in).
 */
#ifndef SYNACK_REPORT_H
#define SYNACK_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sqlite3;

struct report_options {
	const char *from; /* YYYY-MM-DD inclusive, NULL: first day with data */
	const char *to;   /* YYYY-MM-DD inclusive, NULL: last day with data */
	const char *tz;   /* NULL: the database's time zone */
	int top;          /* rows of the top tables; default 10 */
	int many_ports;   /* hosts with more open ports than this; default 20 */
	int sources;      /* top external hosts listed per day; default 5 */
};

void report_options_default(struct report_options *o);

struct report_source {
	char addr[48];
	uint64_t packets;
	double share; /* of the day's packets, 0..1 */
};

struct report_day {
	char date[11];       /* YYYY-MM-DD */
	int weekday;         /* 0 Sunday .. 6 Saturday */
	bool weekend;        /* Saturday or Sunday */
	uint64_t packets;    /* SYN+ACKs (Fig. 1) */
	uint32_t hosts;      /* internal hosts with an open port (Fig. 2) */
	uint32_t services;   /* (host, port) pairs seen */
	uint32_t ports;      /* distinct port numbers */
	uint32_t externals;  /* distinct external hosts (Fig. 5) */
	uint32_t new_hosts;  /* hosts first seen ever on this day (Fig. 4) */
	uint64_t cumulative; /* hosts first seen on or before this day (ever) */
	uint32_t ntop;
	struct report_source *top; /* top external hosts by packets */
};

struct report_port {
	int port;
	char service[32];         /* /etc/services name, "" if none */
	uint32_t hosts;           /* internal hosts with the port open */
	uint32_t hosts_every_day; /* of which seen with it on every day */
	uint32_t externals;       /* external hosts that got a SYN+ACK from the port */
};

struct report_host {
	char addr[48];
	uint32_t ports; /* open ports in the period */
	uint32_t days;  /* days seen */
	uint64_t packets;
};

struct report_count { /* one histogram bin */
	uint32_t key; /* days detected, or ports per host */
	uint32_t hosts;
};

struct report_stat {
	const char *name;
	double total, min, max, mean, median;
};

enum { REPORT_NSTATS = 6 };

struct report {
	char tz[128];
	char db_tz[128];
	char from[11], to[11]; /* "" when the database has no data and no dates given */
	const char *source;    /* "daily" or "hourly" */
	uint32_t ndays;
	struct report_day *days;

	uint32_t hosts_total;     /* distinct internal hosts in the period */
	uint32_t hosts_every_day; /* seen on every day of the period */
	uint32_t nhist;           /* Fig. 3: hosts detected on k days, k = 1..ndays-1 */
	struct report_count *days_hist;
	uint32_t new_total;    /* hosts first seen within the period */
	uint32_t hosts_before; /* hosts first seen before the period */

	uint64_t packets_total;
	uint64_t externals_total; /* distinct external hosts */
	uint64_t services_total;  /* distinct (host, port) */
	uint32_t ports_total;     /* distinct port numbers */

	uint32_t nby_hosts, nby_ext, nports_hist, nmany;
	struct report_port *by_hosts;    /* Table 1 */
	struct report_port *by_ext;      /* Table 2 */
	struct report_count *ports_hist; /* Table 3: hosts with k open ports */
	struct report_host *many;        /* hosts with > many_ports open ports */
	int top, many_ports, sources;

	struct report_stat stats[REPORT_NSTATS];
	double elapsed_s;
};

/* Opens DATA/synack.db read-only: NULL and a message when it is missing or
 * not a synack database. */
struct sqlite3 *report_open_db(const char *data_dir, char *err, size_t errlen);

/* 0 on success; -1 and a message (bad date, bad zone, SQL error). */
int report_compute(struct sqlite3 *db, const struct report_options *opt, struct report *r,
                   char *err, size_t errlen);
void report_free(struct report *r);

/* Renderers: 0 on success, -1 on a write error. */
int report_write_text(const struct report *r, FILE *out);
int report_write_csv(const struct report *r, FILE *out);
int report_write_json(const struct report *r, FILE *out);
int report_write_html(const struct report *r, FILE *out);

/* Helpers shared with the tests. */
int report_parse_date(const char *s, int32_t *day); /* days since 1970-01-01 */
void report_day_text(int32_t day, char out[11]);

#endif /* SYNACK_REPORT_H */
