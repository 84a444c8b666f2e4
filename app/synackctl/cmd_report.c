/*
 * cmd_report.c - synackctl report: the paper's figures and tables for a
 * period (lib/report, doc/reports.md).
 *
 *   synackctl --data-dir DIR report [--from DATE] [--to DATE] [--tz ZONE]
 *             [--format text|csv|json|html] [-o FILE] [--top N] [--many-ports N]
 *             [--sources N]
 */
#include <errno.h>
#include <getopt.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "report/report.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: synackctl [--data-dir DIR] report [--from DATE] [--to DATE] [--tz ZONE]\n"
	        "                 [--format text|csv|json|html] [-o FILE] [--top N]\n"
	        "                 [--many-ports N] [--sources N]\n\n"
	        "Daily figures, top ports and hosts for a period, from DIR/synack.db.\n"
	        "  --from DATE      first day, YYYY-MM-DD (default: the first day with data)\n"
	        "  --to DATE        last day, inclusive (default: the last day with data)\n"
	        "  --tz ZONE        time zone of the days, e.g. Europe/Berlin (default: the one\n"
	        "                   the database was built with, see its meta table; UTC if none)\n"
	        "  --format F       text (default), csv, json, html (one self-contained file)\n"
	        "  -o FILE          write to FILE instead of standard output\n"
	        "  --top N          rows of the top-port and top-source tables (default 10)\n"
	        "  --many-ports N   list hosts with more than N open ports (default 20)\n"
	        "  --sources N      top external hosts listed per day, with their share of\n"
	        "                   the day's SYN+ACKs (default 5)\n"
	        "See doc/reports.md for how each figure is computed.\n");
}

static int parse_count(const char *s, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

int cmd_report(const struct global_options *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    {"tz", required_argument, NULL, 'z'},
	    {"format", required_argument, NULL, 'F'},
	    {"output", required_argument, NULL, 'o'},
	    {"top", required_argument, NULL, 'n'},
	    {"many-ports", required_argument, NULL, 'm'},
	    {"sources", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct report_options opt;
	const char *format = g->json ? "json" : "text";
	const char *output = NULL;
	char err[1024];
	int c;

	report_options_default(&opt);
	while ((c = getopt_long(argc, argv, "o:h", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			opt.from = optarg;
			break;
		case 't':
			opt.to = optarg;
			break;
		case 'z':
			opt.tz = optarg;
			break;
		case 'F':
			format = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'n':
			if (parse_count(optarg, &opt.top) != 0) {
				fprintf(stderr,
				        "synackctl report: bad --top '%s' (want 0 or more)\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'm':
			if (parse_count(optarg, &opt.many_ports) != 0) {
				fprintf(
				    stderr,
				    "synackctl report: bad --many-ports '%s' (want 0 or more)\n",
				    optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			if (parse_count(optarg, &opt.sources) != 0) {
				fprintf(stderr,
				        "synackctl report: bad --sources '%s' (want 0 or more)\n",
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "synackctl report: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	int (*writer)(const struct report *, FILE *) =
	    strcmp(format, "text") == 0   ? report_write_text
	    : strcmp(format, "csv") == 0  ? report_write_csv
	    : strcmp(format, "json") == 0 ? report_write_json
	    : strcmp(format, "html") == 0 ? report_write_html
	                                  : NULL;
	if (!writer) {
		fprintf(stderr, "synackctl report: bad --format '%s' (text, csv, json or html)\n",
		        format);
		return EXIT_USAGE;
	}
	struct report_options check = opt; /* dates are checked before the database */
	int32_t day, from_day = 0;
	if (check.from && report_parse_date(check.from, &from_day) != 0) {
		fprintf(stderr, "synackctl report: bad --from date '%s' (want YYYY-MM-DD)\n",
		        check.from);
		return EXIT_USAGE;
	}
	if (check.to && report_parse_date(check.to, &day) != 0) {
		fprintf(stderr, "synackctl report: bad --to date '%s' (want YYYY-MM-DD)\n",
		        check.to);
		return EXIT_USAGE;
	}
	if (check.from && check.to && from_day > day) {
		fprintf(stderr, "synackctl report: --from %s is after --to %s\n", check.from,
		        check.to);
		return EXIT_USAGE;
	}

	sqlite3 *db = report_open_db(g->data_dir, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "synackctl report: %s\n", err);
		return EXIT_ERROR;
	}
	struct report r;
	if (report_compute(db, &opt, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "synackctl report: %s\n", err);
		sqlite3_close(db);
		return EXIT_ERROR;
	}
	sqlite3_close(db);

	FILE *out = stdout;
	char tmp[4200];
	if (output && strcmp(output, "-") != 0) {
		/* write beside, then rename: a reader never sees half a report */
		snprintf(tmp, sizeof(tmp), "%s.tmp", output);
		out = fopen(tmp, "w");
		if (!out) {
			fprintf(stderr, "synackctl report: cannot write %s: %s\n", tmp,
			        strerror(errno));
			report_free(&r);
			return EXIT_ERROR;
		}
	}
	int rc = writer(&r, out);
	report_free(&r);
	if (out != stdout) {
		if (fclose(out) != 0)
			rc = -1;
		if (rc == 0 && rename(tmp, output) != 0)
			rc = -1;
		if (rc != 0) {
			fprintf(stderr, "synackctl report: cannot write %s: %s\n", output,
			        strerror(errno));
			remove(tmp);
			return EXIT_ERROR;
		}
	} else if (fflush(stdout) != 0 || rc != 0) {
		fprintf(stderr, "synackctl report: write error: %s\n", strerror(errno));
		return EXIT_ERROR;
	}
	return EXIT_OK;
}
