/*
 * cmd_services.c - synackctl services: the inventory of open ports from
 * DATA/synack.db (table services, doc/schema.md).
 *
 *   synackctl --data-dir DIR services [--format table|csv|json]
 *             [--new-since TIME] [--port N[,N...]] [--addr PREFIXES]
 *
 * Sorted by address (numerically, IPv4 before IPv6) then port.  FTP data
 * connections never reach the services table, so their ports never appear.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "control/json_out.h"
#include "prefix/prefix_set.h"
#include "store/store.h"
#include "util/time_arg.h"

struct svc_row {
	int family;
	uint8_t addr[16];
	char text[INET6_ADDRSTRLEN];
	int port;
	int64_t first_seen, last_seen, packets, peers, days_seen;
};

static int cmp_row(const void *a, const void *b)
{
	const struct svc_row *x = a, *y = b;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	int c = memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16);
	if (c)
		return c;
	return (x->port > y->port) - (x->port < y->port);
}

static void iso(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The /etc/services name of a TCP port, "" when it has none. */
static const char *service_name(int port)
{
	struct servent *se = getservbyport(htons((uint16_t)port), "tcp");
	return se ? se->s_name : "";
}

static int parse_ports(const char *s, unsigned char *want)
{
	const char *p = s;
	while (*p) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || errno || v > 65535)
			return -1;
		want[v] = 1;
		p = end;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: synackctl [--data-dir DIR] services [--format table|csv|json]\n"
	        "                 [--new-since TIME] [--port N[,N...]] [--addr PREFIXES]\n\n"
	        "Lists the open ports found so far (DIR/synack.db), sorted by address then port.\n"
	        "  --format F       table (default; aligned, with /etc/services names), csv, json\n"
	        "  --new-since TIME only services first seen at or after TIME: YYYY-MM-DD,\n"
	        "                   YYYY-MM-DDTHH:MM[:SS][Z] (UTC), @UNIXSECONDS, or an age\n"
	        "                   such as 30m, 24h, 7d, 2w\n"
	        "  --port N         only these ports (comma-separated)\n"
	        "  --addr PREFIXES  only internal addresses in these prefixes, e.g.\n"
	        "                   \"163.209.0.0/16, 2001:db8::/32\"\n"
	        "Times are ISO-8601 UTC.\n");
}

int cmd_services(const struct global_options *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"format", required_argument, NULL, 'f'}, {"new-since", required_argument, NULL, 'n'},
	    {"port", required_argument, NULL, 'p'},   {"addr", required_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *format = g->json ? "json" : "table";
	int64_t since = INT64_MIN;
	unsigned char *ports = NULL;
	struct prefix_set *addrs = NULL;
	char err[512];
	int c, status = EXIT_ERROR;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct svc_row *rows = NULL;
	size_t n = 0, cap = 0;

	while ((c = getopt_long(argc, argv, "f:n:p:a:h", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'n':
			if (time_arg_parse(optarg, (int64_t)time(NULL), &since, err, sizeof(err)) !=
			    0) {
				fprintf(stderr, "synackctl services: bad --new-since '%s' (%s)\n",
				        optarg, err);
				status = EXIT_USAGE;
				goto out;
			}
			break;
		case 'p':
			if (!ports)
				ports = calloc(65536, 1);
			if (!ports || parse_ports(optarg, ports) != 0) {
				fprintf(stderr,
				        "synackctl services: bad --port '%s' (want N or "
				        "N,N,... with 0-65535)\n",
				        optarg);
				status = EXIT_USAGE;
				goto out;
			}
			break;
		case 'a':
			prefix_set_free(addrs);
			addrs = prefix_set_parse(optarg, err, sizeof(err));
			if (!addrs) {
				fprintf(stderr, "synackctl services: --addr: %s\n", err);
				status = EXIT_USAGE;
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			status = EXIT_OK;
			goto out;
		default:
			usage(stderr);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "synackctl services: unexpected argument '%s'\n", argv[optind]);
		status = EXIT_USAGE;
		goto out;
	}
	if (strcmp(format, "table") && strcmp(format, "csv") && strcmp(format, "json")) {
		fprintf(stderr, "synackctl services: bad --format '%s' (table, csv or json)\n",
		        format);
		status = EXIT_USAGE;
		goto out;
	}

	char path[4200];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/synack.db", g->data_dir);
	if (stat(path, &sb) != 0) {
		fprintf(stderr,
		        "synackctl services: no database at %s: %s (wrong --data-dir? "
		        "'synackctl rebuild' recreates it from the logs)\n",
		        path, strerror(errno));
		goto out;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, "synackctl services: cannot open %s: %s\n", path,
		        db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
	                       NULL) != SQLITE_OK) {
		fprintf(stderr, "synackctl services: %s is not a synack database: %s\n", path,
		        sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > STORE_SCHEMA_VERSION) {
		fprintf(stderr,
		        "synackctl services: %s has schema version %d, newer than this synackctl "
		        "(%d); upgrade synack\n",
		        path, sqlite3_column_int(st, 0), STORE_SCHEMA_VERSION);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(
	        db,
	        "SELECT addr, port, first_seen, last_seen, packets, peers, days_seen "
	        "FROM services WHERE first_seen >= ?1",
	        -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "synackctl services: %s: %s\n", path, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_bind_int64(st, 1, since);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct svc_row r;
		memset(&r, 0, sizeof(r));
		const char *a = (const char *)sqlite3_column_text(st, 0);
		snprintf(r.text, sizeof(r.text), "%s", a ? a : "");
		if (inet_pton(AF_INET, r.text, r.addr) == 1)
			r.family = 4;
		else if (inet_pton(AF_INET6, r.text, r.addr) == 1)
			r.family = 6;
		else
			r.family = 9; /* unparsable text sorts last */
		r.port = sqlite3_column_int(st, 1);
		r.first_seen = sqlite3_column_int64(st, 2);
		r.last_seen = sqlite3_column_int64(st, 3);
		r.packets = sqlite3_column_int64(st, 4);
		r.peers = sqlite3_column_int64(st, 5);
		r.days_seen = sqlite3_column_int64(st, 6);
		if (ports && (r.port < 0 || r.port > 65535 || !ports[r.port]))
			continue;
		if (addrs && !(r.family == 4   ? prefix_set_contains4(addrs, r.addr)
		               : r.family == 6 ? prefix_set_contains6(addrs, r.addr)
		                               : false))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct svc_row *nr = realloc(rows, cap * sizeof(*rows));
			if (!nr) {
				fprintf(stderr, "synackctl services: out of memory\n");
				goto out;
			}
			rows = nr;
		}
		rows[n++] = r;
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "synackctl services: %s: %s\n", path, sqlite3_errmsg(db));
		goto out;
	}
	if (n > 1)
		qsort(rows, n, sizeof(*rows), cmp_row);

	char f[32], l[32];
	if (strcmp(format, "csv") == 0) {
		printf("addr,port,first_seen,last_seen,packets,peers,days_seen,service\n");
		for (size_t i = 0; i < n; i++) {
			iso(rows[i].first_seen, f);
			iso(rows[i].last_seen, l);
			printf("%s,%d,%s,%s,%lld,%lld,%lld,%s\n", rows[i].text, rows[i].port, f, l,
			       (long long)rows[i].packets, (long long)rows[i].peers,
			       (long long)rows[i].days_seen, service_name(rows[i].port));
		}
	} else if (strcmp(format, "json") == 0) {
		struct json_out j;
		json_out_init(&j);
		json_out_array_begin(&j, NULL);
		for (size_t i = 0; i < n; i++) {
			iso(rows[i].first_seen, f);
			iso(rows[i].last_seen, l);
			json_out_object_begin(&j, NULL);
			json_out_string(&j, "addr", rows[i].text);
			json_out_i64(&j, "port", rows[i].port);
			json_out_string(&j, "first_seen", f);
			json_out_string(&j, "last_seen", l);
			json_out_i64(&j, "packets", rows[i].packets);
			json_out_i64(&j, "peers", rows[i].peers);
			json_out_i64(&j, "days_seen", rows[i].days_seen);
			const char *name = service_name(rows[i].port);
			if (name[0])
				json_out_string(&j, "service", name);
			else
				json_out_null(&j, "service");
			json_out_object_end(&j);
		}
		json_out_array_end(&j);
		if (j.failed) {
			fprintf(stderr, "synackctl services: out of memory\n");
			json_out_free(&j);
			goto out;
		}
		fwrite(j.buf, 1, j.len, stdout);
		putchar('\n');
		json_out_free(&j);
	} else {
		int wa = 4, wpk = 7, wpe = 5;
		char num[32];
		for (size_t i = 0; i < n; i++) {
			int x = (int)strlen(rows[i].text);
			wa = x > wa ? x : wa;
			x = snprintf(num, sizeof(num), "%lld", (long long)rows[i].packets);
			wpk = x > wpk ? x : wpk;
			x = snprintf(num, sizeof(num), "%lld", (long long)rows[i].peers);
			wpe = x > wpe ? x : wpe;
		}
		printf("%-*s %5s %-16s %-20s %-20s %*s %*s %4s\n", wa, "ADDR", "PORT", "SERVICE",
		       "FIRST_SEEN", "LAST_SEEN", wpk, "PACKETS", wpe, "PEERS", "DAYS");
		for (size_t i = 0; i < n; i++) {
			const char *name = service_name(rows[i].port);
			iso(rows[i].first_seen, f);
			iso(rows[i].last_seen, l);
			printf("%-*s %5d %-16.16s %-20s %-20s %*lld %*lld %4lld\n", wa,
			       rows[i].text, rows[i].port, name[0] ? name : "-", f, l, wpk,
			       (long long)rows[i].packets, wpe, (long long)rows[i].peers,
			       (long long)rows[i].days_seen);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "synackctl services: write error: %s\n", strerror(errno));
		goto out;
	}
	status = EXIT_OK;
out:
	endservent();
	sqlite3_finalize(st);
	sqlite3_close(db);
	prefix_set_free(addrs);
	free(ports);
	free(rows);
	return status;
}
