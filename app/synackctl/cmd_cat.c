/*
 * cmd_cat.c - synackctl cat: decode hourly logs to CSV.
 *
 *   synackctl cat [--fields LIST] [--from TIME] [--to TIME] [--addr PREFIXES]
 *                 [--no-header] [FILE|DIR...]
 *
 * Directories are walked for *.zst in name order (which is time order for
 * the logs/YYYY/MM/DD/synack-YYYYMMDD-HH.zst layout); without FILE the data
 * directory's logs/ is read.  --from is inclusive, --to exclusive.  A file
 * cut off by a crash prints what it holds, a warning naming it goes to
 * stderr, and the exit status stays 0; a file that cannot be read at all is
 * an error (exit 1, after the other files).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "commands.h"
#include "log/log_reader.h"
#include "prefix/prefix_set.h"
#include "record.h"
#include "util/time_arg.h"

enum field {
	F_TIME,
	F_DATE,
	F_HOUR,
	F_SADDR,
	F_SPORT,
	F_DADDR,
	F_DPORT,
	F_FLAGS,
	F_FTP,
	F_WORKER,
	F_VLAN,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
    "time", "date", "hour", "saddr", "sport", "daddr", "dport", "flags", "ftp", "worker", "vlan",
};

#define DEFAULT_FIELDS "date,hour,saddr,sport,daddr,dport"
#define NS_PER_S       1000000000ull

struct cat_state {
	enum field fields[64];
	int nfields;
	bool has_from, has_to;
	uint64_t from_ns, to_ns; /* [from, to) */
	struct prefix_set *addrs;
	int status;
	/* time formatting cache */
	uint64_t cached_sec;
	char date[16];
	char hms[16];
	int hour;
};

static void cat_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: synackctl cat [--fields LIST] [--from TIME] [--to TIME] [--addr PREFIXES]\n"
	    "                     [--no-header] [FILE|DIR...]\n\n"
	    "Decode hourly logs to CSV (one line per SYN+ACK, with a header line).\n"
	    "Directories are searched for *.zst in name order; without FILE, the data\n"
	    "directory's logs/ is read.\n\n"
	    "  --fields LIST    comma-separated, from: time,date,hour,saddr,sport,daddr,dport,\n"
	    "                   flags,ftp,worker,vlan (default: " DEFAULT_FIELDS ")\n"
	    "                   time is ISO-8601 UTC with microseconds, flags hex (0x012),\n"
	    "                   ftp 0 none / 1 active data / 2 passive data\n"
	    "  --from TIME      only records at or after TIME\n"
	    "  --to TIME        only records before TIME\n"
	    "                   TIME: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC),\n"
	    "                   @UNIXSECONDS, or an age such as 30m, 24h, 7d, 2w\n"
	    "  --addr PREFIXES  only records whose saddr or daddr is in PREFIXES\n"
	    "                   (e.g. \"10.0.0.0/8, 2001:db8::/32\")\n"
	    "  --no-header      omit the header line\n"
	    "  --help           this text\n\n"
	    "A file cut off by a crash prints its complete records and a warning on\n"
	    "stderr; the exit status is still 0. Unreadable files give exit status 1.\n");
}

static int parse_fields(struct cat_state *st, const char *list)
{
	char *copy = strdup(list);
	char *save = NULL;
	st->nfields = 0;
	if (!copy)
		return -1;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*tok))
			tok++;
		size_t l = strlen(tok);
		while (l && isspace((unsigned char)tok[l - 1]))
			tok[--l] = 0;
		int f = -1;
		for (int i = 0; i < F_COUNT; i++)
			if (strcmp(tok, field_names[i]) == 0)
				f = i;
		if (f < 0 || st->nfields == (int)(sizeof(st->fields) / sizeof(st->fields[0]))) {
			fprintf(stderr, "synackctl cat: unknown field '%s'; valid fields: ", tok);
			for (int i = 0; i < F_COUNT; i++)
				fprintf(stderr, "%s%s", i ? "," : "", field_names[i]);
			fprintf(stderr, "\n");
			free(copy);
			return -1;
		}
		st->fields[st->nfields++] = (enum field)f;
	}
	free(copy);
	if (st->nfields == 0) {
		fprintf(stderr, "synackctl cat: --fields is empty\n");
		return -1;
	}
	return 0;
}

static int parse_time(const char *s, uint64_t *ns, char *err, size_t errlen)
{
	int64_t t;
	if (time_arg_parse(s, (int64_t)time(NULL), &t, err, errlen) != 0)
		return -1;
	if (t < 0) {
		snprintf(err, errlen, "before 1970");
		return -1;
	}
	/* records carry 64-bit nanoseconds: later than 2554 is "the end" */
	*ns = (uint64_t)t > UINT64_MAX / NS_PER_S ? UINT64_MAX : (uint64_t)t * NS_PER_S;
	return 0;
}

/* Hour of a file named synack-YYYYMMDD-HH.zst, for skipping; -1 unknown. */
static int64_t file_hour_ns(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	int y, mo, d, h, n = 0;
	if (sscanf(b, "synack-%4d%2d%2d-%2d.zst%n", &y, &mo, &d, &h, &n) != 4 || b[n] != 0)
		return -1;
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	time_t t = timegm(&tm);
	return t < 0 ? -1 : (int64_t)t * (int64_t)NS_PER_S;
}

static bool keep(const struct cat_state *st, const struct synack_record *r)
{
	if (st->has_from && r->time_ns < st->from_ns)
		return false;
	if (st->has_to && r->time_ns >= st->to_ns)
		return false;
	if (st->addrs) {
		if (r->family == SYNACK_FAMILY_IPV6)
			return prefix_set_contains6(st->addrs, r->saddr) ||
			       prefix_set_contains6(st->addrs, r->daddr);
		return prefix_set_contains4(st->addrs, r->saddr) ||
		       prefix_set_contains4(st->addrs, r->daddr);
	}
	return true;
}

/* Formatting by hand: cat prints tens of millions of lines on a storm day. */
static char *put_u(char *p, unsigned v)
{
	char tmp[12];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_addr(char *p, const struct synack_record *r, const uint8_t *a)
{
	if (r->family != SYNACK_FAMILY_IPV6) {
		for (int i = 0; i < 4; i++) {
			if (i)
				*p++ = '.';
			p = put_u(p, a[i]);
		}
		return p;
	}
	if (!inet_ntop(AF_INET6, a, p, INET6_ADDRSTRLEN)) {
		*p++ = '?';
		return p;
	}
	return p + strlen(p);
}

static void print_record(struct cat_state *st, const struct synack_record *r)
{
	static const char hex[] = "0123456789abcdef";
	char line[64 * 64], *p = line; /* <= 64 fields of <= 46 bytes */
	uint64_t sec = r->time_ns / NS_PER_S;

	if (sec != st->cached_sec || !st->date[0]) {
		time_t t = (time_t)sec;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(st->date, sizeof(st->date), "%Y-%m-%d", &tm);
		strftime(st->hms, sizeof(st->hms), "%H:%M:%S", &tm);
		st->hour = tm.tm_hour;
		st->cached_sec = sec;
	}
	for (int i = 0; i < st->nfields; i++) {
		if (i)
			*p++ = ',';
		switch (st->fields[i]) {
		case F_TIME: {
			unsigned us = (unsigned)(r->time_ns / 1000 % 1000000);
			size_t dl = strlen(st->date), hl = strlen(st->hms);
			memcpy(p, st->date, dl);
			p += dl;
			*p++ = 'T';
			memcpy(p, st->hms, hl);
			p += hl;
			*p++ = '.';
			for (int k = 5; k >= 0; k--, us /= 10)
				p[k] = (char)('0' + us % 10);
			p += 6;
			*p++ = 'Z';
			break;
		}
		case F_DATE: {
			size_t dl = strlen(st->date);
			memcpy(p, st->date, dl);
			p += dl;
			break;
		}
		case F_HOUR:
			p = put_u(p, (unsigned)st->hour);
			break;
		case F_SADDR:
			p = put_addr(p, r, r->saddr);
			break;
		case F_SPORT:
			p = put_u(p, r->sport);
			break;
		case F_DADDR:
			p = put_addr(p, r, r->daddr);
			break;
		case F_DPORT:
			p = put_u(p, r->dport);
			break;
		case F_FLAGS:
			*p++ = '0';
			*p++ = 'x';
			if (r->flags > 0xfff)
				*p++ = hex[(r->flags >> 12) & 15];
			*p++ = hex[(r->flags >> 8) & 15];
			*p++ = hex[(r->flags >> 4) & 15];
			*p++ = hex[r->flags & 15];
			break;
		case F_FTP:
			p = put_u(p, r->ftp);
			break;
		case F_WORKER:
			p = put_u(p, r->worker);
			break;
		case F_VLAN:
			p = put_u(p, r->vlan);
			break;
		case F_COUNT:
			break;
		}
	}
	*p++ = '\n';
	fwrite(line, 1, (size_t)(p - line), stdout);
}

static void cat_file(struct cat_state *st, const char *path)
{
	char err[512];
	int64_t fh = file_hour_ns(path);
	if (fh >= 0) {
		uint64_t h0 = (uint64_t)fh, h1 = h0 + 3600ull * NS_PER_S;
		if ((st->has_from && h1 <= st->from_ns) || (st->has_to && h0 >= st->to_ns))
			return; /* every record of a log is in its hour */
	}
	struct log_reader *r = log_reader_open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "synackctl cat: %s\n", err);
		st->status = EXIT_ERROR;
		return;
	}
	static struct synack_record recs[1024];
	long n;
	while ((n = log_reader_next(r, recs, 1024)) > 0)
		for (long i = 0; i < n; i++)
			if (keep(st, &recs[i]))
				print_record(st, &recs[i]);
	if (n < 0) {
		fprintf(stderr, "synackctl cat: %s: %s\n", path, log_reader_error(r));
		st->status = EXIT_ERROR;
	} else if (log_reader_truncated(r)) {
		fprintf(stderr,
		        "synackctl cat: warning: %s is cut off or damaged (crash or full disk?); "
		        "printed its complete records\n",
		        path);
	}
	log_reader_close(r);
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static void cat_path(struct cat_state *st, const char *path, bool top)
{
	struct stat sb;
	if (stat(path, &sb) < 0) {
		fprintf(stderr, "synackctl cat: %s: %s\n", path, strerror(errno));
		st->status = EXIT_ERROR;
		return;
	}
	if (!S_ISDIR(sb.st_mode)) {
		cat_file(st, path);
		return;
	}
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, name_cmp);
	if (n < 0) {
		fprintf(stderr, "synackctl cat: %s: %s\n", path, strerror(errno));
		st->status = EXIT_ERROR;
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		if (nm[0] == '.') {
			free(ents[i]);
			continue;
		}
		size_t len = strlen(path) + strlen(nm) + 2;
		char *child = malloc(len);
		if (child) {
			snprintf(child, len, "%s/%s", path, nm);
			struct stat cs;
			if (lstat(child, &cs) == 0) {
				size_t nl = strlen(nm);
				if (S_ISDIR(cs.st_mode))
					cat_path(st, child, false);
				else if (S_ISREG(cs.st_mode) && nl > 4 &&
				         strcmp(nm + nl - 4, ".zst") == 0)
					cat_file(st, child);
			}
			free(child);
		}
		free(ents[i]);
	}
	free(ents);
	(void)top;
}

int cmd_cat(const struct global_options *g, int argc, char **argv)
{
	static const struct option options[] = {
	    {"fields", required_argument, NULL, 'f'},
	    {"from", required_argument, NULL, 'F'},
	    {"to", required_argument, NULL, 'T'},
	    {"addr", required_argument, NULL, 'a'},
	    {"no-header", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cat_state st;
	const char *fields = DEFAULT_FIELDS;
	bool header = true;
	char err[512];
	int c;

	memset(&st, 0, sizeof(st));
	while ((c = getopt_long(argc, argv, "+f:F:T:a:nh", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			fields = optarg;
			break;
		case 'F':
		case 'T': {
			uint64_t ns;
			if (parse_time(optarg, &ns, err, sizeof(err)) < 0) {
				fprintf(stderr, "synackctl cat: bad --%s '%s' (%s)\n",
				        c == 'F' ? "from" : "to", optarg, err);
				prefix_set_free(st.addrs);
				return EXIT_USAGE;
			}
			if (c == 'F') {
				st.has_from = true;
				st.from_ns = ns;
			} else {
				st.has_to = true;
				st.to_ns = ns;
			}
			break;
		}
		case 'a':
			if (!st.addrs) {
				st.addrs = prefix_set_parse(optarg, err, sizeof(err));
				if (!st.addrs) {
					fprintf(stderr, "synackctl cat: --addr: %s\n", err);
					return EXIT_USAGE;
				}
			} else if (prefix_set_add_text(st.addrs, optarg, err, sizeof(err)) < 0) {
				fprintf(stderr, "synackctl cat: --addr: %s\n", err);
				prefix_set_free(st.addrs);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			header = false;
			break;
		case 'h':
			cat_usage(stdout);
			prefix_set_free(st.addrs);
			return EXIT_OK;
		default:
			cat_usage(stderr);
			prefix_set_free(st.addrs);
			return EXIT_USAGE;
		}
	}
	if (parse_fields(&st, fields) < 0) {
		prefix_set_free(st.addrs);
		return EXIT_USAGE;
	}

	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (header) {
		for (int i = 0; i < st.nfields; i++)
			printf("%s%s", i ? "," : "", field_names[st.fields[i]]);
		putchar('\n');
	}
	if (optind >= argc) {
		size_t len = strlen(g->data_dir) + 8;
		char *logs = malloc(len);
		if (logs) {
			snprintf(logs, len, "%s/logs", g->data_dir);
			cat_path(&st, logs, true);
			free(logs);
		}
	}
	for (int i = optind; i < argc; i++)
		cat_path(&st, argv[i], true);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "synackctl cat: write error: %s\n", strerror(errno));
		st.status = EXIT_ERROR;
	}
	prefix_set_free(st.addrs);
	return st.status;
}
