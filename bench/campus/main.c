/*
 * main.c - synack-campus: writes a month of synthetic mirror-port traffic
 * calibrated to the paper's January 2019 at a scale factor, and an answers
 * file with what synackd and synackctl must make of it (doc/campus.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campus.h"

static const char usage[] =
    "usage: synack-campus (-o FILE | --daily PREFIX) -a ANSWERS [options]\n"
    "\n"
    "Writes a month of synthetic mirror-port traffic calibrated to the paper's\n"
    "January 2019 (57.9 M SYN+ACKs at scale 1.0) and an answers file (JSON).\n"
    "\n"
    "  -o, --output FILE      one pcap file for all days\n"
    "      --daily PREFIX     one pcap file per day: PREFIX-YYYY-MM-DD.pcap\n"
    "  -a, --answers FILE     answers file (JSON)\n"
    "  -s, --scale F          packets and external hosts relative to the paper\n"
    "                         (default 0.01; hosts and ports do not scale)\n"
    "      --seed N           random seed (default 1)\n"
    "      --days N           days from the start (1-31, default 31)\n"
    "      --start DATE       first day, YYYY-MM-DD (default 2019-01-01)\n"
    "      --scan-day N       day of the scan burst, 1-based; 0 = none (default 23)\n"
    "      --background R     non-SYN+ACK frames per SYN+ACK (default 0.1)\n"
    "      --burst B          SYN+ACKs of a client's visit to a service come\n"
    "                         together, B per visit on average (default 1: each\n"
    "                         SYN+ACK placed in the day on its own)\n"
    "  -q, --quiet            no summary on stderr\n"
    "  -h, --help             this text\n";

static int parse_date(const char *text, int64_t *out)
{
	struct tm tm = {0};
	const char *end = strptime(text, "%Y-%m-%d", &tm);
	if (!end || *end)
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

static int parse_options(int argc, char **argv, struct campus_options *o)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    {"daily", required_argument, NULL, 'D'},
	    {"answers", required_argument, NULL, 'a'},
	    {"scale", required_argument, NULL, 's'},
	    {"seed", required_argument, NULL, 'S'},
	    {"days", required_argument, NULL, 'n'},
	    {"start", required_argument, NULL, 't'},
	    {"scan-day", required_argument, NULL, 'x'},
	    {"background", required_argument, NULL, 'b'},
	    {"burst", required_argument, NULL, 'B'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int scan_day = 23, c;
	*o = (struct campus_options){
	    .scale = 0.01, .seed = 1, .days = 31, .background = 0.1, .burst = 1};
	parse_date("2019-01-01", &o->start);
	while ((c = getopt_long(argc, argv, "o:a:s:qh", longopts, NULL)) != -1) {
		char *end = NULL;
		errno = 0;
		switch (c) {
		case 'o':
			o->output = optarg;
			break;
		case 'D':
			o->daily_prefix = optarg;
			break;
		case 'a':
			o->answers = optarg;
			break;
		case 's':
			o->scale = strtod(optarg, &end);
			if (*end || !(o->scale > 0 && o->scale <= 10))
				return -1;
			break;
		case 'S':
			o->seed = strtoull(optarg, &end, 10);
			break;
		case 'n':
			o->days = (int)strtol(optarg, &end, 10);
			if (o->days < 1 || o->days > CAMPUS_MAX_DAYS)
				return -1;
			break;
		case 't':
			if (parse_date(optarg, &o->start) < 0)
				return -1;
			break;
		case 'x':
			scan_day = (int)strtol(optarg, &end, 10);
			break;
		case 'b':
			o->background = strtod(optarg, &end);
			if (o->background < 0 || o->background > 1)
				return -1;
			break;
		case 'B':
			o->burst = strtod(optarg, &end);
			if (!(o->burst >= 1 && o->burst <= 100))
				return -1;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			fputs(usage, stdout);
			exit(0);
		default:
			return -1;
		}
		if (end && (*end || errno))
			return -1;
	}
	o->scan_day = scan_day - 1;
	if (optind != argc || !o->answers || !o->output == !o->daily_prefix)
		return -1;
	return 0;
}

static struct fb_writer *open_capture(const char *path, FILE **file)
{
	*file = fopen(path, "wb");
	if (!*file)
		return NULL;
	setvbuf(*file, NULL, _IOFBF, 8 << 20);
	struct fb_writer *w = fb_writer_fopen(*file, FB_PCAP_US, 1, 65535, false);
	if (!w) {
		fclose(*file);
		*file = NULL;
	}
	return w;
}

static int close_capture(struct fb_writer *w, FILE *file)
{
	int rc = fb_writer_close(w);
	if (fclose(file) != 0)
		rc = -1;
	return rc;
}

static int run(const struct campus_model *m, struct campus_traffic *t)
{
	const struct campus_options *o = &m->opt;
	FILE *file = NULL;
	struct fb_writer *w = NULL;
	for (int d = 0; d < o->days; d++) {
		char path[4096];
		if (o->daily_prefix) {
			time_t day = (time_t)(o->start + (int64_t)d * 86400);
			struct tm tm;
			gmtime_r(&day, &tm);
			char date[16];
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
			snprintf(path, sizeof(path), "%s-%s.pcap", o->daily_prefix, date);
		} else {
			snprintf(path, sizeof(path), "%s", o->output);
		}
		if (!w && !(w = open_capture(path, &file))) {
			fprintf(stderr, "synack-campus: cannot write %s: %s\n", path,
			        strerror(errno));
			return -1;
		}
		if (campus_traffic_day(t, d, w) < 0) {
			fprintf(stderr, "synack-campus: day %d: write error or out of memory\n",
			        d + 1);
			close_capture(w, file);
			return -1;
		}
		if (o->daily_prefix || d + 1 == o->days) {
			if (close_capture(w, file) < 0) {
				fprintf(stderr, "synack-campus: cannot write %s\n", path);
				return -1;
			}
			w = NULL;
		}
		if (!o->quiet)
			fprintf(stderr, "synack-campus: day %d: %llu SYN+ACKs so far\n", d + 1,
			        (unsigned long long)campus_traffic_synacks(t));
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct campus_options o;
	if (parse_options(argc, argv, &o) < 0) {
		fputs(usage, stderr);
		return 64;
	}
	static struct campus_model m;
	struct campus_answers *a = NULL;
	struct campus_traffic *t = NULL;
	int rc = 1;
	if (campus_model_build(&m, &o) < 0 || !(a = campus_answers_new(&m)) ||
	    !(t = campus_traffic_new(&m, a))) {
		fprintf(stderr, "synack-campus: out of memory\n");
		goto out;
	}
	if (run(&m, t) < 0)
		goto out;
	if (campus_answers_write(a, o.answers) < 0) {
		fprintf(stderr, "synack-campus: cannot write the answers to %s\n", o.answers);
		goto out;
	}
	if (!o.quiet)
		fprintf(stderr, "synack-campus: %llu frames, %llu SYN+ACKs, answers in %s\n",
		        (unsigned long long)campus_traffic_frames(t),
		        (unsigned long long)campus_traffic_synacks(t), o.answers);
	rc = 0;
out:
	campus_traffic_free(t);
	campus_answers_free(a);
	campus_model_free(&m);
	return rc;
}
