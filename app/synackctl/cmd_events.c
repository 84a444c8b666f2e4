/*
 * cmd_events.c - synackctl events: reads DATA/events.jsonl (doc/alerts.md).
 *
 *   synackctl --data-dir DIR events [--since TIME] [--type T[,T...]]
 *             [--no-baseline] [--format text|json]
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "control/json_in.h"
#include "util/time_arg.h"

#define ME "synackctl events"

static const char *const types[] = {"new_host", "new_service", "returning_service", "gone_service"};

static void usage(FILE *out)
{
	fprintf(out, "usage: synackctl [--data-dir DIR] events [--since TIME] [--type T[,T...]]\n"
	             "                 [--no-baseline] [--format text|json]\n\n"
	             "Shows the events in DIR/events.jsonl, oldest first.\n"
	             "  --since TIME    only events at or after TIME: YYYY-MM-DD,\n"
	             "                  YYYY-MM-DDTHH:MM[:SS][Z] (UTC), @UNIXSECONDS, or an age\n"
	             "                  such as 30m, 24h, 7d, 2w (event times are record times)\n"
	             "  --type T        new_host, new_service, returning_service, gone_service\n"
	             "  --no-baseline   leave out events recorded during the learning period\n"
	             "  --format F      text (default) or json (an array of the event objects)\n");
}

static const char *str(const struct json_value *o, const char *key)
{
	const struct json_value *v = json_get(o, key);
	if (!v)
		return "-";
	if (v->type == JSON_STRING || v->type == JSON_NUMBER)
		return v->text;
	return "-";
}

int cmd_events(const struct global_options *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"since", required_argument, NULL, 's'}, {"type", required_argument, NULL, 't'},
	    {"no-baseline", no_argument, NULL, 'B'}, {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
	};
	const char *format = g->json ? "json" : "text";
	int64_t since = INT64_MIN;
	int want[4] = {1, 1, 1, 1};
	int no_baseline = 0;
	char why[256];
	int c;

	while ((c = getopt_long(argc, argv, "s:t:Bf:h", options, NULL)) != -1) {
		switch (c) {
		case 's':
			if (time_arg_parse(optarg, (int64_t)time(NULL), &since, why, sizeof(why)) !=
			    0) {
				fprintf(stderr, ME ": bad --since '%s' (%s)\n", optarg, why);
				return EXIT_USAGE;
			}
			break;
		case 't': {
			char buf[256];
			snprintf(buf, sizeof(buf), "%s", optarg);
			memset(want, 0, sizeof(want));
			char *save = NULL;
			for (char *t = strtok_r(buf, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				int k;
				for (k = 0; k < 4; k++)
					if (strcmp(t, types[k]) == 0)
						break;
				if (k == 4) {
					fprintf(stderr,
					        ME ": bad --type '%s' (new_host, new_service, "
					           "returning_service, gone_service)\n",
					        t);
					return EXIT_USAGE;
				}
				want[k] = 1;
			}
			break;
		}
		case 'B':
			no_baseline = 1;
			break;
		case 'f':
			format = optarg;
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
		fprintf(stderr, ME ": unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	int json = strcmp(format, "json") == 0;
	if (!json && strcmp(format, "text") != 0) {
		fprintf(stderr, ME ": bad --format '%s' (text or json)\n", format);
		return EXIT_USAGE;
	}
	char path[4200];
	struct stat sb;
	if (stat(g->data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, ME ": no data directory %s\n", g->data_dir);
		return EXIT_ERROR;
	}
	snprintf(path, sizeof(path), "%s/events.jsonl", g->data_dir);
	FILE *f = fopen(path, "r");
	if (!f && errno != ENOENT) {
		fprintf(stderr, ME ": %s: %s\n", path, strerror(errno));
		return EXIT_ERROR;
	}
	int status = EXIT_OK, first = 1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	if (json)
		printf("[");
	else
		printf("%-20s %-17s %-39s %5s  %-20s %-20s %s\n", "TIME", "TYPE", "ADDR", "PORT",
		       "FIRST_SEEN", "LAST_SEEN", "DETAILS");
	while (f && (n = getline(&line, &cap, f)) > 0) {
		lineno++;
		int complete = line[n - 1] == '\n';
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		char err[256];
		struct json_value *v = json_parse(line, (size_t)n, err, sizeof(err));
		if (!v || v->type != JSON_OBJECT) {
			fprintf(stderr, ME ": %s:%ld: %s%s\n", path, lineno,
			        v ? "not a JSON object" : err,
			        complete ? "" : " (cut-off last line)");
			json_value_free(v);
			status = EXIT_ERROR;
			continue;
		}
		const char *type = str(v, "type");
		int k;
		for (k = 0; k < 4; k++)
			if (strcmp(type, types[k]) == 0)
				break;
		const struct json_value *b = json_get(v, "baseline");
		int baseline = b && b->type == JSON_BOOL && b->boolean;
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *ts = str(v, "time");
		const char *e = strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
		int64_t t = e && !*e ? (int64_t)timegm(&tm) : INT64_MIN;
		if ((k < 4 && !want[k]) ||
		    (k == 4 && !(want[0] && want[1] && want[2] && want[3])) ||
		    (baseline && no_baseline) || t < since) {
			json_value_free(v);
			continue;
		}
		if (json) {
			printf("%s\n%s", first ? "" : ",", line);
		} else {
			char details[512] = "";
			const struct json_value *d = json_get(v, "details");
			for (size_t i = 0; d && d->type == JSON_OBJECT && i < d->n; i++) {
				size_t l = strlen(details);
				const struct json_value *x = d->items[i];
				snprintf(details + l, sizeof(details) - l, "%s%s=%s", l ? " " : "",
				         d->keys[i],
				         x->type == JSON_STRING || x->type == JSON_NUMBER ? x->text
				                                                          : "?");
			}
			if (baseline) {
				size_t l = strlen(details);
				snprintf(details + l, sizeof(details) - l, "%s(baseline)",
				         l ? " " : "");
			}
			printf("%-20s %-17s %-39s %5s  %-20s %-20s %s\n", ts, type, str(v, "addr"),
			       str(v, "port"), str(v, "first_seen"), str(v, "last_seen"), details);
		}
		first = 0;
		json_value_free(v);
	}
	if (json)
		printf("%s]\n", first ? "" : "\n");
	free(line);
	if (f)
		fclose(f);
	if (fflush(stdout) != 0)
		status = EXIT_ERROR;
	return status;
}
