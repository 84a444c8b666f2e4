/*
 * cmd_compare.c - synackctl compare: the passive inventory (DATA/synack.db)
 * against active scans (nmap XML, masscan, Nessus v2).  doc/compare.md.
 *
 *   synackctl --data-dir DIR compare --nmap FILE.xml [--masscan FILE]
 *             [--nessus FILE.nessus] [--from DATE --to DATE]
 *             [--format text|csv|json]
 */
#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "control/json_out.h"
#include "importers/compare.h"
#include "importers/scan.h"
#include "store/store.h"
#include "util/time_arg.h"

#define ME "synackctl compare"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: synackctl [--data-dir DIR] compare [--nmap FILE.xml] [--masscan FILE]\n"
	        "                 [--nessus FILE.nessus] [--from DATE] [--to DATE]\n"
	        "                 [--format text|csv|json]\n\n"
	        "Compares the passive inventory (DIR/synack.db) with active scan results.\n"
	        "Each option may be repeated; at least one scan file is needed.\n"
	        "  --nmap FILE      nmap XML (-oX); only state \"open\" counts\n"
	        "  --masscan FILE   masscan -oL list, -oJ JSON, -oD NDJSON or -oX XML\n"
	        "  --nessus FILE    Nessus v2 (.nessus) export\n"
	        "  --from DATE      passive side: days from DATE (YYYY-MM-DD, database days)\n"
	        "  --to DATE        passive side: days up to DATE included\n"
	        "                   (without --from/--to: the whole inventory)\n"
	        "  --format F       text (default), csv (one row per service), json\n"
	        "Statuses: both, passive_only (scan probed it and missed it), not_scanned\n"
	        "(the scan did not probe that host or port), active_only.\n");
}

static int64_t day_epoch(const char *s)
{
	int32_t day;
	return time_arg_parse_day(s, &day) == 0 ? (int64_t)day * 86400 : 0;
}

/* A passive first or last seen: a time, or with --from/--to a day. */
static void seen_text(int64_t t, bool days, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, days ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *kind_name(int k)
{
	return k == SCAN_NMAP ? "nmap" : k == SCAN_MASSCAN ? "masscan" : "nessus";
}

static void kinds_text(int kinds, char *out, size_t n)
{
	out[0] = '\0';
	for (int k = SCAN_NMAP; k <= SCAN_NESSUS; k <<= 1) {
		if (!(kinds & k))
			continue;
		size_t l = strlen(out);
		snprintf(out + l, n - l, "%s%s", l ? "+" : "", kind_name(k));
	}
}

static size_t ports_probed(const struct scan_cover *c)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof(c->ports); i++)
		n += (size_t)__builtin_popcount(c->ports[i]);
	return n;
}

/* A file without any host or open port is most likely not what was meant
 * (an empty masscan list, the wrong file); it counts as probing nothing. */
static void warn_if_empty(const struct scan_cover *c)
{
	if (c->nhosts || c->open_ports)
		return;
	fprintf(stderr,
	        ME ": warning: %s: no host and no open port in this %s file; it counts as "
	           "probing nothing\n",
	        c->file, kind_name(c->kind));
}

/* Reads the passive side.  Returns -1 after printing an error. */
static int read_passive(const char *data_dir, const char *from, const char *to,
                        struct cmp_passive **out, size_t *nout)
{
	char path[4200];
	struct stat sb;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct cmp_passive *v = NULL;
	size_t n = 0, cap = 0;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/synack.db", data_dir);
	if (stat(path, &sb) != 0) {
		fprintf(stderr, ME ": no database at %s: %s (wrong --data-dir?)\n", path,
		        strerror(errno));
		return -1;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		fprintf(stderr, ME ": cannot open %s: %s\n", path,
		        db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
	                       NULL) != SQLITE_OK) {
		fprintf(stderr, ME ": %s is not a synack database: %s\n", path, sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > STORE_SCHEMA_VERSION) {
		fprintf(stderr, ME ": %s has schema version %d, newer than this synackctl (%d)\n",
		        path, sqlite3_column_int(st, 0), STORE_SCHEMA_VERSION);
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	const char *sql =
	    (from || to)
	        ? "SELECT addr, port, min(day), max(day), sum(packets) FROM daily_services "
	          "WHERE day >= ?1 AND day <= ?2 GROUP BY addr, port"
	        : "SELECT addr, port, first_seen, last_seen, packets FROM services";
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, ME ": %s: %s\n", path, sqlite3_errmsg(db));
		goto out;
	}
	if (from || to) {
		sqlite3_bind_text(st, 1, from ? from : "0000-00-00", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, to ? to : "9999-99-99", -1, SQLITE_STATIC);
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		struct cmp_passive p;
		memset(&p, 0, sizeof(p));
		if (!a || scan_addr_parse(a, &p.addr) != 0) {
			fprintf(stderr, ME ": %s: skipping bad address '%s'\n", path, a ? a : "");
			continue;
		}
		int port = sqlite3_column_int(st, 1);
		if (port < 0 || port > 65535)
			continue;
		p.port = (uint16_t)port;
		if (from || to) {
			p.first_seen = day_epoch((const char *)sqlite3_column_text(st, 2));
			p.last_seen = day_epoch((const char *)sqlite3_column_text(st, 3));
		} else {
			p.first_seen = sqlite3_column_int64(st, 2);
			p.last_seen = sqlite3_column_int64(st, 3);
		}
		p.packets = sqlite3_column_int64(st, 4);
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct cmp_passive *nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				fprintf(stderr, ME ": out of memory\n");
				goto out;
			}
			v = nv;
		}
		v[n++] = p;
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, ME ": %s: %s\n", path, sqlite3_errmsg(db));
		goto out;
	}
	cmp_sort_passive(v, &n);
	*out = v;
	*nout = n;
	v = NULL;
	ret = 0;
out:
	free(v);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}

static void json_counts(struct json_out *j, const char *key, const struct cmp_counts *c)
{
	json_out_object_begin(j, key);
	json_out_u64(j, "passive", c->passive);
	json_out_u64(j, "active", c->active);
	for (int s = 0; s < CMP_NSTATUS; s++)
		json_out_u64(j, cmp_status_name((enum cmp_status)s), c->n[s]);
	json_out_object_end(j);
}

static double mean_ports(const struct cmp_result *r, int side)
{
	size_t hosts = 0, ports = 0;
	for (size_t i = 0; i < r->nhosts; i++) {
		size_t n = side == 0 ? r->hosts[i].passive : r->hosts[i].active;
		if (n) {
			hosts++;
			ports += n;
		}
	}
	return hosts ? (double)ports / (double)hosts : 0.0;
}

static void print_json(const struct scan_set *scans, const struct cmp_result *r, const char *from,
                       const char *to)
{
	bool days = from || to;
	struct json_out j;
	char a[64], f[32], l[32], k[32];
	json_out_init(&j);
	json_out_object_begin(&j, NULL);
	json_out_object_begin(&j, "passive");
	if (from || to) {
		json_out_string(&j, "table", "daily_services");
		if (from)
			json_out_string(&j, "from", from);
		if (to)
			json_out_string(&j, "to", to);
	} else {
		json_out_string(&j, "table", "services");
	}
	json_out_object_end(&j);
	json_out_array_begin(&j, "scans");
	for (size_t i = 0; i < scans->ncover; i++) {
		const struct scan_cover *c = &scans->cover[i];
		json_out_object_begin(&j, NULL);
		json_out_string(&j, "file", c->file);
		json_out_string(&j, "kind", kind_name(c->kind));
		if (c->all_hosts)
			json_out_null(&j, "hosts");
		else
			json_out_u64(&j, "hosts", c->nhosts);
		json_out_u64(&j, "hosts_up", c->hosts_up);
		json_out_u64(&j, "ports_probed", ports_probed(c));
		json_out_string(&j, "ports_from", c->ports_from);
		json_out_u64(&j, "open", c->open_ports);
		json_out_object_end(&j);
	}
	json_out_array_end(&j);
	json_out_object_begin(&j, "summary");
	json_counts(&j, "hosts", &r->host_counts);
	json_counts(&j, "ports", &r->port_counts);
	json_counts(&j, "services", &r->services);
	json_out_double(&j, "ports_per_host_passive", mean_ports(r, 0));
	json_out_double(&j, "ports_per_host_active", mean_ports(r, 1));
	json_out_object_end(&j);
	json_out_array_begin(&j, "ports");
	for (size_t i = 0; i < r->nports; i++) {
		const struct cmp_group *g = &r->ports[i];
		json_out_object_begin(&j, NULL);
		json_out_u64(&j, "port", g->port);
		json_out_string(&j, "status", cmp_status_name(g->status));
		json_out_u64(&j, "hosts_passive", g->passive);
		json_out_u64(&j, "hosts_active", g->active);
		json_out_u64(&j, "hosts_both", g->both);
		json_out_object_end(&j);
	}
	json_out_array_end(&j);
	json_out_array_begin(&j, "hosts");
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct cmp_group *g = &r->hosts[i];
		scan_addr_text(&g->addr, a, sizeof(a));
		json_out_object_begin(&j, NULL);
		json_out_string(&j, "addr", a);
		json_out_string(&j, "status", cmp_status_name(g->status));
		json_out_u64(&j, "ports_passive", g->passive);
		json_out_u64(&j, "ports_active", g->active);
		json_out_u64(&j, "ports_both", g->both);
		json_out_object_end(&j);
	}
	json_out_array_end(&j);
	json_out_array_begin(&j, "services");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct cmp_row *w = &r->rows[i];
		scan_addr_text(&w->addr, a, sizeof(a));
		json_out_object_begin(&j, NULL);
		json_out_string(&j, "addr", a);
		json_out_u64(&j, "port", w->port);
		json_out_string(&j, "status", cmp_status_name(w->status));
		if (w->passive) {
			seen_text(w->passive->first_seen, days, f);
			seen_text(w->passive->last_seen, days, l);
			json_out_string(&j, "first_seen", f);
			json_out_string(&j, "last_seen", l);
			json_out_i64(&j, "packets", w->passive->packets);
		}
		if (w->active) {
			kinds_text(w->active->kinds, k, sizeof(k));
			json_out_string(&j, "scans", k);
			json_out_string(&j, "service", w->active->name);
		}
		json_out_object_end(&j);
	}
	json_out_array_end(&j);
	json_out_object_end(&j);
	fwrite(j.buf, 1, j.len, stdout);
	putchar('\n');
	json_out_free(&j);
}

static void csv_field(const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

static void print_csv(const struct cmp_result *r, bool days)
{
	char a[64], f[32], l[32], k[32];
	printf("addr,port,status,first_seen,last_seen,packets,scans,service\n");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct cmp_row *w = &r->rows[i];
		scan_addr_text(&w->addr, a, sizeof(a));
		printf("%s,%u,%s,", a, w->port, cmp_status_name(w->status));
		if (w->passive) {
			seen_text(w->passive->first_seen, days, f);
			seen_text(w->passive->last_seen, days, l);
			printf("%s,%s,%lld,", f, l, (long long)w->passive->packets);
		} else {
			printf(",,,");
		}
		if (w->active) {
			kinds_text(w->active->kinds, k, sizeof(k));
			printf("%s,", k);
			csv_field(w->active->name);
		} else {
			putchar(',');
		}
		putchar('\n');
	}
}

static void text_counts(const char *what, const struct cmp_counts *c)
{
	printf("%-9s %8zu %8zu %8zu %13zu %12zu %12zu\n", what, c->passive, c->active,
	       c->n[CMP_BOTH], c->n[CMP_PASSIVE_ONLY], c->n[CMP_NOT_SCANNED],
	       c->n[CMP_ACTIVE_ONLY]);
}

static void print_text(const struct scan_set *scans, const struct cmp_result *r, const char *from,
                       const char *to)
{
	bool days = from || to;
	char a[64], f[32], l[32], k[32];
	if (from || to)
		printf("Passive: daily_services from %s to %s\n", from ? from : "the start",
		       to ? to : "the end");
	else
		printf("Passive: the whole inventory (services)\n");
	printf("Scans:\n");
	for (size_t i = 0; i < scans->ncover; i++) {
		const struct scan_cover *c = &scans->cover[i];
		char hosts[64];
		if (c->all_hosts)
			snprintf(hosts, sizeof(hosts), "hosts not listed (all counted as probed)");
		else
			snprintf(hosts, sizeof(hosts), "%zu hosts (%zu up)", c->nhosts,
			         c->hosts_up);
		printf("  %-7s %s: %s, %zu ports probed (%s), %zu open\n", kind_name(c->kind),
		       c->file, hosts, ports_probed(c), c->ports_from, c->open_ports);
	}
	printf("\n%-9s %8s %8s %8s %13s %12s %12s\n", "", "PASSIVE", "ACTIVE", "BOTH",
	       "PASSIVE_ONLY", "NOT_SCANNED", "ACTIVE_ONLY");
	text_counts("hosts", &r->host_counts);
	text_counts("ports", &r->port_counts);
	text_counts("services", &r->services);
	printf("ports per host (mean): passive %.2f, active %.2f\n", mean_ports(r, 0),
	       mean_ports(r, 1));

	printf("\nHosts per port:\n%-6s %8s %8s %8s  %s\n", "PORT", "PASSIVE", "ACTIVE", "BOTH",
	       "STATUS");
	for (size_t i = 0; i < r->nports; i++) {
		const struct cmp_group *g = &r->ports[i];
		printf("%-6u %8zu %8zu %8zu  %s\n", g->port, g->passive, g->active, g->both,
		       cmp_status_name(g->status));
	}
	printf("\nPorts per host:\n%-39s %8s %8s %8s  %s\n", "ADDR", "PASSIVE", "ACTIVE", "BOTH",
	       "STATUS");
	for (size_t i = 0; i < r->nhosts; i++) {
		const struct cmp_group *g = &r->hosts[i];
		scan_addr_text(&g->addr, a, sizeof(a));
		printf("%-39s %8zu %8zu %8zu  %s\n", a, g->passive, g->active, g->both,
		       cmp_status_name(g->status));
	}
	printf("\nServices:\n%-39s %-5s %-12s %-20s %-20s %-15s %s\n", "ADDR", "PORT", "STATUS",
	       "FIRST_SEEN", "LAST_SEEN", "SCANS", "SERVICE");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct cmp_row *w = &r->rows[i];
		scan_addr_text(&w->addr, a, sizeof(a));
		if (w->passive) {
			seen_text(w->passive->first_seen, days, f);
			seen_text(w->passive->last_seen, days, l);
		} else {
			snprintf(f, sizeof(f), "-");
			snprintf(l, sizeof(l), "-");
		}
		if (w->active)
			kinds_text(w->active->kinds, k, sizeof(k));
		else
			snprintf(k, sizeof(k), "-");
		printf("%-39s %-5u %-12s %-20s %-20s %-15s %s\n", a, w->port,
		       cmp_status_name(w->status), f, l, k,
		       w->active && w->active->name[0] ? w->active->name : "-");
	}
}

int cmd_compare(const struct global_options *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"nmap", required_argument, NULL, 'n'},   {"masscan", required_argument, NULL, 'm'},
	    {"nessus", required_argument, NULL, 'N'}, {"from", required_argument, NULL, 'F'},
	    {"to", required_argument, NULL, 'T'},     {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
	};
	const char *format = g->json ? "json" : "text";
	const char *from = NULL, *to = NULL;
	struct scan_set scans;
	struct cmp_passive *passive = NULL;
	size_t npassive = 0;
	struct cmp_result res;
	char err[1024];
	int c, status = EXIT_ERROR, nfiles = 0;
	int32_t day;

	memset(&res, 0, sizeof(res));
	scan_set_init(&scans);
	/* first pass: options other than files, so usage errors come first */
	while ((c = getopt_long(argc, argv, "n:m:N:F:T:f:h", options, NULL)) != -1) {
		switch (c) {
		case 'n':
		case 'm':
		case 'N':
			nfiles++;
			break;
		case 'F':
		case 'T':
			if (time_arg_parse_day(optarg, &day) != 0) {
				fprintf(stderr, ME ": bad --%s '%s' (want a date, YYYY-MM-DD)\n",
				        c == 'F' ? "from" : "to", optarg);
				status = EXIT_USAGE;
				goto out;
			}
			if (c == 'F')
				from = optarg;
			else
				to = optarg;
			break;
		case 'f':
			format = optarg;
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
		fprintf(stderr, ME ": unexpected argument '%s'\n", argv[optind]);
		status = EXIT_USAGE;
		goto out;
	}
	if (strcmp(format, "text") && strcmp(format, "csv") && strcmp(format, "json")) {
		fprintf(stderr, ME ": bad --format '%s' (text, csv or json)\n", format);
		status = EXIT_USAGE;
		goto out;
	}
	if (nfiles == 0) {
		fprintf(stderr, ME ": give at least one --nmap, --masscan or --nessus file\n");
		status = EXIT_USAGE;
		goto out;
	}
	if (from && to && strcmp(from, to) > 0) {
		fprintf(stderr, ME ": --from %s is after --to %s\n", from, to);
		status = EXIT_USAGE;
		goto out;
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, "n:m:N:F:T:f:h", options, NULL)) != -1) {
		int rc = 0;
		if (c == 'n')
			rc = scan_load_nmap(&scans, optarg, err, sizeof(err));
		else if (c == 'm')
			rc = scan_load_masscan(&scans, optarg, err, sizeof(err));
		else if (c == 'N')
			rc = scan_load_nessus(&scans, optarg, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, ME ": %s\n", err);
			goto out;
		}
		if (c == 'n' || c == 'm' || c == 'N')
			warn_if_empty(&scans.cover[scans.ncover - 1]);
	}
	scan_set_finish(&scans);
	if (read_passive(g->data_dir, from, to, &passive, &npassive) != 0)
		goto out;
	if (cmp_run(passive, npassive, &scans, &res) != 0) {
		fprintf(stderr, ME ": out of memory\n");
		goto out;
	}
	if (strcmp(format, "json") == 0)
		print_json(&scans, &res, from, to);
	else if (strcmp(format, "csv") == 0)
		print_csv(&res, from || to);
	else
		print_text(&scans, &res, from, to);
	status = fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
out:
	cmp_free(&res);
	free(passive);
	scan_set_free(&scans);
	return status;
}
