/*
 * test_alerts.c - lib/alerts fed with records of known times: the events in
 * events.jsonl (types, order, fields, baseline during learning, gone at
 * its deadline in record time however the records are batched), restart
 * and crash without re-alerting, seeding from synack.db, alert_exec (the
 * JSON on stdin, the clean environment, the timeout kill, the bounded
 * queue).  syslog is off.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "check.h"
#include "control/json_in.h"
#include "store/store.h"

#define DAY 86400ull
static const uint64_t T0 = 1546300800ull; /* 2019-01-01T00:00:00Z */

static struct synack_record rec(uint64_t t, const char *addr, uint16_t port)
{
	struct synack_record r;
	memset(&r, 0, sizeof(r));
	r.time_ns = t * 1000000000ull;
	if (strchr(addr, ':')) {
		r.family = SYNACK_FAMILY_IPV6;
		inet_pton(AF_INET6, addr, r.saddr);
		inet_pton(AF_INET6, "2001:db8:ffff::9", r.daddr);
	} else {
		r.family = SYNACK_FAMILY_IPV4;
		inet_pton(AF_INET, addr, r.saddr);
		inet_pton(AF_INET, "198.51.100.7", r.daddr);
	}
	r.sport = port;
	r.dport = 40000;
	r.flags = 0x12;
	return r;
}

static void observe1(struct alerts *a, uint64_t t, const char *addr, uint16_t port)
{
	struct synack_record r = rec(t, addr, port);
	alerts_observe(a, &r, 1);
}

/* The events file, one parsed object per line. */
struct events {
	struct json_value *v[64];
	int n;
};

static void read_events(const char *dir, struct events *ev)
{
	char path[4200], line[4096];
	memset(ev, 0, sizeof(*ev));
	snprintf(path, sizeof(path), "%s/events.jsonl", dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && ev->n < 64) {
		char err[128];
		struct json_value *v = json_parse(line, (size_t)-1, err, sizeof(err));
		CHECK(v != NULL);
		if (v)
			ev->v[ev->n++] = v;
	}
	fclose(f);
}

static void free_events(struct events *ev)
{
	for (int i = 0; i < ev->n; i++)
		json_value_free(ev->v[i]);
}

static const char *str(const struct json_value *o, const char *key)
{
	const struct json_value *v = json_get(o, key);
	return v && v->type == JSON_STRING ? v->text : "";
}

static int is_true(const struct json_value *o, const char *key)
{
	const struct json_value *v = json_get(o, key);
	return v && v->type == JSON_BOOL && v->boolean;
}

static int num(const struct json_value *o, const char *key)
{
	const struct json_value *v = json_get(o, key);
	return v && v->type == JSON_NUMBER ? atoi(v->text) : -1;
}

static int count_lines(const char *dir)
{
	struct events ev;
	read_events(dir, &ev);
	int n = ev.n;
	free_events(&ev);
	return n;
}

static char *make_dir(void)
{
	char tmpl[] = "/tmp/test_alerts.XXXXXX";
	char *d = mkdtemp(tmpl);
	return d ? strdup(d) : NULL;
}

static void rm_rf(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void write_script(const char *path, const char *body)
{
	FILE *f = fopen(path, "w");
	fputs(body, f);
	fclose(f);
	chmod(path, 0755);
}

static void test_events_and_exec(void)
{
	char *dir = make_dir();
	char out[4200], script[4200], cmd[8600];
	snprintf(out, sizeof(out), "%s/out", dir);
	mkdir(out, 0755);
	snprintf(script, sizeof(script), "%s/hook.sh", dir);
	/* writes its stdin and its environment to OUT/N.json and OUT/N.env */
	write_script(script, "#!/bin/sh\n"
	                     "f=$(mktemp \"$1/ev.XXXXXX\")\n"
	                     "cat >\"$f.json.tmp\"\n"
	                     "env >\"$f.env\"\n"
	                     "mv \"$f.json.tmp\" \"$f.json\"\n");
	snprintf(cmd, sizeof(cmd), "%s %s", script, out);
	setenv("SYNACK_TEST_SECRET", "must-not-leak", 1);

	struct alerts_options o;
	alerts_options_default(&o);
	o.syslog = false;
	o.alert_exec = cmd;
	o.gone_days = 14; /* gone after the learning period */
	char err[1024];
	struct alerts *a = alerts_open(dir, &o, err, sizeof(err));
	CHECK(a != NULL);
	if (!a) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	observe1(a, T0, "10.0.0.1", 22);       /* new_host, new_service: baseline */
	observe1(a, T0 + DAY, "10.0.0.1", 22); /* nothing */
	alerts_tick(a, 0);                     /* nothing gone */
	/* :22 gone (14 days), then new_service :80 */
	observe1(a, T0 + 15 * DAY, "10.0.0.1", 80);
	alerts_tick(a, 0);
	observe1(a, T0 + 16 * DAY, "10.0.0.1", 22); /* returning after 15 days */
	struct synack_record ftp = rec(T0 + 16 * DAY, "10.0.0.9", 40001);
	ftp.ftp = SYNACK_FTP_ACTIVE;
	alerts_observe(a, &ftp, 1);                     /* ignored */
	observe1(a, T0 + 16 * DAY, "2001:db8::1", 443); /* new_host, new_service */
	observe1(a, T0 + 16 * DAY + 5, "2001:db8::1", 443);
	observe1(a, T0 + 10 * DAY, "10.0.0.1", 80); /* older record: first_seen moves */
	alerts_tick(a, 0);
	alerts_drain(a, 5000);

	struct alerts_stats st;
	alerts_get_stats(a, &st);
	CHECK_EQ(st.events, 7);
	CHECK_EQ(st.baseline, 2);
	CHECK_EQ(st.by_type[0], 2); /* new_host */
	CHECK_EQ(st.by_type[1], 3); /* new_service */
	CHECK_EQ(st.by_type[2], 1); /* returning */
	CHECK_EQ(st.by_type[3], 1); /* gone */
	CHECK_EQ(st.exec_started, 5);
	CHECK_EQ(st.exec_ok, 5);
	CHECK_EQ(st.known_services, 3);
	CHECK_EQ(st.known_hosts, 2);

	struct events ev;
	read_events(dir, &ev);
	CHECK_EQ(ev.n, 7);
	if (ev.n == 7) {
		const char *want[7] = {"new_host",    "new_service",       "gone_service",
		                       "new_service", "returning_service", "new_host",
		                       "new_service"};
		for (int i = 0; i < 7; i++)
			CHECK(strcmp(str(ev.v[i], "type"), want[i]) == 0);
		CHECK(is_true(ev.v[0], "baseline") && is_true(ev.v[1], "baseline"));
		for (int i = 2; i < 7; i++)
			CHECK(!is_true(ev.v[i], "baseline"));
		CHECK(strcmp(str(ev.v[1], "time"), "2019-01-01T00:00:00Z") == 0);
		CHECK(strcmp(str(ev.v[1], "addr"), "10.0.0.1") == 0 && num(ev.v[1], "port") == 22);
		CHECK(strcmp(str(json_get(ev.v[1], "details"), "peer"), "198.51.100.7") == 0);
		/* gone: at its deadline, 14 days after its last record (day 2),
		 * before the record of that time */
		CHECK(strcmp(str(ev.v[2], "time"), "2019-01-16T00:00:00Z") == 0);
		CHECK(strcmp(str(ev.v[2], "last_seen"), "2019-01-02T00:00:00Z") == 0);
		CHECK(num(json_get(ev.v[2], "details"), "absent_days") == 14);
		CHECK(strcmp(str(ev.v[3], "addr"), "10.0.0.1") == 0 && num(ev.v[3], "port") == 80);
		/* returning: previous last seen and the absence */
		const struct json_value *d = json_get(ev.v[4], "details");
		CHECK(strcmp(str(d, "previous_last_seen"), "2019-01-02T00:00:00Z") == 0);
		CHECK(num(d, "absent_days") == 15);
		CHECK(strcmp(str(ev.v[4], "first_seen"), "2019-01-01T00:00:00Z") == 0);
		CHECK(strcmp(str(ev.v[4], "last_seen"), "2019-01-17T00:00:00Z") == 0);
		CHECK(strcmp(str(ev.v[6], "addr"), "2001:db8::1") == 0);
		CHECK(strcmp(str(json_get(ev.v[6], "details"), "peer"), "2001:db8:ffff::9") == 0);
	}

	/* alert_exec got the 5 non-baseline events, one JSON object each on stdin */
	DIR *dd = opendir(out);
	int njson = 0, nenv_ok = 0, types[4] = {0};
	struct dirent *de;
	while (dd && (de = readdir(dd))) {
		char p[8800], buf[4096];
		size_t len = strlen(de->d_name);
		snprintf(p, sizeof(p), "%s/%s", out, de->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		size_t got = fread(buf, 1, sizeof(buf) - 1, f);
		buf[got] = '\0';
		fclose(f);
		if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0) {
			char e[128];
			CHECK(got > 0 && buf[got - 1] == '\n' &&
			      strchr(buf, '\n') == buf + got - 1);
			struct json_value *v = json_parse(buf, (size_t)-1, e, sizeof(e));
			CHECK(v != NULL);
			if (v) {
				njson++;
				CHECK(!is_true(v, "baseline"));
				for (int t = 0; t < 4; t++)
					if (strcmp(str(v, "type"), alerts_type_names[t]) == 0)
						types[t]++;
				json_value_free(v);
			}
		} else if (len > 4 && strcmp(de->d_name + len - 4, ".env") == 0) {
			/* the clean environment: nothing of ours leaks */
			int ok = strstr(buf, "PATH=/usr/bin:/bin\n") && strstr(buf, "LC_ALL=C\n") &&
			         strstr(buf, "SYNACK_EVENT_TYPE=") &&
			         !strstr(buf, "SYNACK_TEST_SECRET") && !strstr(buf, "HOME=");
			if (!ok)
				fprintf(stderr, "environment of alert_exec:\n%s\n", buf);
			nenv_ok += ok;
		}
	}
	if (dd)
		closedir(dd);
	CHECK_EQ(njson, 5);
	CHECK_EQ(nenv_ok, 5);
	CHECK(types[0] == 1 && types[1] == 2 && types[2] == 1 && types[3] == 1);
	alerts_close(a);

	/* restart: the same records again alert nothing */
	a = alerts_open(dir, &o, err, sizeof(err));
	CHECK(a != NULL);
	if (a) {
		observe1(a, T0 + 16 * DAY + 10, "10.0.0.1", 22);
		observe1(a, T0 + 16 * DAY + 10, "10.0.0.1", 80);
		observe1(a, T0 + 16 * DAY + 10, "2001:db8::1", 443);
		alerts_tick(a, 0);
		CHECK_EQ(count_lines(dir), 7);
		alerts_get_stats(a, &st);
		CHECK_EQ(st.known_services, 3);
		alerts_close(a);
	}

	/* a crash after an event and before a save: the event is not repeated */
	o.alert_exec = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		struct alerts *c = alerts_open(dir, &o, err, sizeof(err));
		if (!c)
			_exit(1);
		observe1(c, T0 + 17 * DAY, "10.0.0.5", 8080); /* new_host, new_service */
		_exit(0);                                     /* no save, no close */
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(count_lines(dir), 9);
	a = alerts_open(dir, &o, err, sizeof(err));
	CHECK(a != NULL);
	if (a) {
		observe1(a, T0 + 17 * DAY + 1, "10.0.0.5", 8080);
		CHECK_EQ(count_lines(dir), 9);
		observe1(a, T0 + 17 * DAY + 1, "10.0.0.5", 8081); /* a new one still alerts */
		CHECK_EQ(count_lines(dir), 10);
		alerts_close(a);
	}
	free_events(&ev);
	rm_rf(dir);
	free(dir);
}

static void test_timeout_and_queue(void)
{
	char *dir = make_dir();
	struct alerts_options o;
	alerts_options_default(&o);
	o.syslog = false;
	o.learning_days = 0;
	o.alert_exec = "/bin/sleep 30";
	o.alert_timeout_s = 1;
	o.max_children = 1;
	o.max_queue = 2;
	char err[1024];
	struct alerts *a = alerts_open(dir, &o, err, sizeof(err));
	CHECK(a != NULL);
	if (!a)
		return;
	observe1(a, T0, "10.0.0.1", 22); /* new_host + new_service: queue full */
	observe1(a, T0, "10.0.0.1", 23); /* dropped */
	observe1(a, T0, "10.0.0.1", 24); /* dropped */
	struct alerts_stats st;
	alerts_get_stats(a, &st);
	CHECK_EQ(st.queued, 2);
	CHECK_EQ(st.exec_dropped, 2);
	CHECK_EQ(count_lines(dir), 4); /* the file has every event */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	alerts_tick(a, 0); /* first child */
	alerts_get_stats(a, &st);
	CHECK_EQ(st.running, 1);
	CHECK_EQ(st.queued, 1);
	alerts_drain(a, 5000); /* both killed after 1 s each */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	alerts_get_stats(a, &st);
	CHECK_EQ(st.exec_started, 2);
	CHECK_EQ(st.exec_killed, 2);
	CHECK_EQ(st.running, 0);
	CHECK(secs >= 1.9 && secs < 4.5);
	alerts_close(a);

	/* a failing command is counted */
	o.alert_exec = "/bin/false";
	o.max_queue = 10;
	a = alerts_open(dir, &o, err, sizeof(err));
	CHECK(a != NULL);
	if (a) {
		observe1(a, T0, "10.0.0.2", 22);
		alerts_drain(a, 5000);
		alerts_get_stats(a, &st);
		CHECK_EQ(st.exec_failed, 2);
		alerts_close(a);
	}

	/* bad commands are refused at open */
	o.alert_exec = "sleep 1";
	CHECK(alerts_open(dir, &o, err, sizeof(err)) == NULL &&
	      strstr(err, "not an absolute path"));
	o.alert_exec = "/nonexistent/hook";
	CHECK(alerts_open(dir, &o, err, sizeof(err)) == NULL && strstr(err, "No such file"));
	o.alert_exec = NULL;
	CHECK(alerts_open("/nonexistent/dir", &o, err, sizeof(err)) == NULL &&
	      strstr(err, "alerts.db"));
	rm_rf(dir);
	free(dir);
}

static void test_seed_and_bound(void)
{
	char *dir = make_dir();
	char path[4200], err[1024];
	snprintf(path, sizeof(path), "%s/synack.db", dir);
	struct store *s = store_open(path, NULL, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		return;
	struct synack_record r[2] = {rec(T0, "10.0.0.1", 22), rec(T0 + 30 * DAY, "10.0.0.1", 80)};
	CHECK(store_add(s, r, 2, 0) == 0);
	CHECK(store_commit(s) == 0);
	store_close(s);

	struct alerts_options o;
	alerts_options_default(&o);
	o.syslog = false;
	struct alerts *a = alerts_open(dir, &o, err, sizeof(err));
	CHECK(a != NULL);
	if (!a)
		return;
	struct alerts_stats st;
	alerts_get_stats(a, &st);
	CHECK_EQ(st.known_services, 2);
	CHECK_EQ(st.known_hosts, 1);
	/* known from the database: nothing; :22, last seen 30 days before the
	 * newest record, was gone before alerts started: no gone event either */
	observe1(a, T0 + 30 * DAY + 60, "10.0.0.1", 80);
	alerts_tick(a, 0);
	CHECK_EQ(count_lines(dir), 0);
	/* learning started 30 days ago: a new service alerts */
	observe1(a, T0 + 30 * DAY + 60, "10.0.0.1", 443);
	struct events ev;
	read_events(dir, &ev);
	CHECK_EQ(ev.n, 1);
	if (ev.n == 1)
		CHECK(strcmp(str(ev.v[0], "type"), "new_service") == 0 &&
		      !is_true(ev.v[0], "baseline"));
	free_events(&ev);
	alerts_close(a);
	rm_rf(dir);
	free(dir);

	/* the index is bounded: records beyond it are counted, not tracked */
	dir = make_dir();
	o.max_entries = 3;
	o.learning_days = 0;
	a = alerts_open(dir, &o, err, sizeof(err));
	CHECK(a != NULL);
	if (a) {
		observe1(a, T0, "10.0.0.1", 22); /* host + service */
		observe1(a, T0, "10.0.0.1", 80); /* third entry */
		observe1(a, T0, "10.0.0.1", 81); /* no room */
		observe1(a, T0, "10.0.0.2", 22); /* no room */
		alerts_get_stats(a, &st);
		CHECK_EQ(st.untracked, 2);
		CHECK_EQ(st.events, 3);
		alerts_close(a);
	}
	rm_rf(dir);
	free(dir);
}

/* Saves spread over ticks (save_batch rows each) while the index grows,
 * then a crash: after a restart every service is known, none re-alerts. */
static void test_incremental_save(void)
{
	char *dir = make_dir();
	char err[1024], addr[32];
	struct alerts_options o;
	alerts_options_default(&o);
	o.syslog = false;
	o.learning_days = 0;
	o.save_interval_s = 0; /* a save step at every tick */
	o.save_batch = 7;
	pid_t pid = fork();
	if (pid == 0) {
		struct alerts *c = alerts_open(dir, &o, err, sizeof(err));
		if (!c)
			_exit(1);
		for (int i = 0; i < 1500; i++) {
			snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 5 / 256, i / 5 % 256);
			observe1(c, T0 + (uint64_t)i, addr, (uint16_t)(1000 + i % 5));
			if (i % 3 == 0)
				alerts_tick(c, 0);
		}
		_exit(0); /* a crash: no close */
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(count_lines(dir), 64); /* read_events keeps 64 */
	struct alerts *a = alerts_open(dir, &o, err, sizeof(err));
	CHECK(a != NULL);
	if (!a)
		return;
	struct alerts_stats st;
	alerts_get_stats(a, &st);
	CHECK_EQ(st.known_services, 1500);
	CHECK_EQ(st.known_hosts, 300);
	for (int i = 0; i < 1500; i++) {
		snprintf(addr, sizeof(addr), "10.0.%d.%d", i / 5 / 256, i / 5 % 256);
		observe1(a, T0 + 2000 + (uint64_t)i, addr, (uint16_t)(1000 + i % 5));
	}
	alerts_get_stats(a, &st);
	CHECK_EQ(st.events, 0);
	alerts_close(a);
	rm_rf(dir);
	free(dir);
}

/* --- gone_service in record time ------------------------------------ */

enum { GONE_DAYS = 7, RETURN_DAYS = 7, MAX_RECS = 128, MAX_WANT = 64 };

struct gen {
	struct synack_record r[MAX_RECS];
	const char *addr[MAX_RECS];
	int n;
};

static void gen_add(struct gen *g, uint64_t t, const char *addr, uint16_t port)
{
	if (g->n < MAX_RECS) {
		g->addr[g->n] = addr;
		g->r[g->n++] = rec(t, addr, port);
	}
}

/* January 2025, one record a day at noon per present service, then jumps:
 * 10.0.0.1:22 absent days 6 to 19, 10.0.0.2:80 every day, 10.0.0.3:443
 * on days 1 and 25, 10.0.0.4:25 on day 1 (13:00:30: its deadline is
 * within a minute), 10.0.0.6:3389 back within the minute of its deadline,
 * 10.0.0.7:21 back exactly at its deadline, 10.0.1.1 ports 1012 down to
 * 1001 on day 26, two a minute; then 10.0.0.2:80 40 days later and a new
 * service 30 years later. */
static void gen_month(struct gen *g)
{
	const uint64_t jan1 = 1735689600ull; /* 2025-01-01T00:00:00Z */
	memset(g, 0, sizeof(*g));
	for (uint64_t d = 1; d <= 30; d++) {
		uint64_t noon = jan1 + (d - 1) * DAY + 12 * 3600;
		if (d == 2)
			gen_add(g, jan1 + DAY + 30, "10.0.0.6", 3389);
		if (d == 3)
			gen_add(g, jan1 + 2 * DAY + 6 * 3600, "10.0.0.7", 21);
		if (d == 9)
			gen_add(g, jan1 + 8 * DAY + 45, "10.0.0.6", 3389);
		if (d == 10)
			gen_add(g, jan1 + 9 * DAY + 6 * 3600, "10.0.0.7", 21);
		if (d <= 5 || d >= 20)
			gen_add(g, noon, "10.0.0.1", 22);
		gen_add(g, noon, "10.0.0.2", 80);
		if (d == 1 || d == 25)
			gen_add(g, noon, "10.0.0.3", 443);
		if (d == 1)
			gen_add(g, noon + 3600 + 30, "10.0.0.4", 25);
		for (int k = 12; d == 26 && k >= 1; k--)
			gen_add(g, noon + (uint64_t)(12 - k) / 2 * 60, "10.0.1.1",
			        (uint16_t)(1000 + k));
	}
	gen_add(g, jan1 + 69 * DAY + 12 * 3600, "10.0.0.2", 80);
	gen_add(g, jan1 + 69 * DAY + 30 * 365 * DAY, "10.0.0.5", 8080);
}

struct want {
	int64_t time, last; /* last: the service's last record (gone) */
	int type, seq;      /* seq: the record (new, returning) */
	const char *addr;
	uint16_t port;
};

static int64_t minute_up(int64_t t)
{
	return (t + 59) / 60 * 60;
}

/* gone events first at equal times (the check precedes the records of its
 * minute), by last record, address and port; record events in input order */
static int want_cmp(const void *x, const void *y)
{
	const struct want *a = x, *b = y;
	int ga = a->type == 3, gb = b->type == 3;
	if (a->time != b->time)
		return a->time < b->time ? -1 : 1;
	if (ga != gb)
		return ga ? -1 : 1;
	if (!ga)
		return a->seq != b->seq ? (a->seq < b->seq ? -1 : 1) : a->type - b->type;
	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	uint32_t na = ntohl(inet_addr(a->addr)), nb = ntohl(inet_addr(b->addr));
	if (na != nb)
		return na < nb ? -1 : 1;
	return (int)a->port - (int)b->port;
}

/* The events of the input, service by service: new at its first record;
 * for each gap between two records, gone at the first minute at or after
 * the gone deadline when a record at or after that minute came, returning
 * when the gap is at least RETURN_DAYS; gone after the last record when
 * the last input record is past that minute. */
static int expected_events(const struct gen *g, struct want *w)
{
	int n = 0;
	int64_t end = (int64_t)(g->r[g->n - 1].time_ns / 1000000000ull);
	for (int i = 0; i < g->n; i++) {
		int64_t t = (int64_t)(g->r[i].time_ns / 1000000000ull), prev = -1;
		int host_seen = 0;
		for (int k = 0; k < i; k++) {
			if (strcmp(g->addr[k], g->addr[i]) != 0)
				continue;
			host_seen = 1;
			if (g->r[k].sport == g->r[i].sport)
				prev = (int64_t)(g->r[k].time_ns / 1000000000ull);
		}
		struct want base = {t, prev, 0, i, g->addr[i], g->r[i].sport};
		if (!host_seen)
			w[n++] = base;
		if (prev < 0) {
			w[n] = base;
			w[n++].type = 1;
			continue;
		}
		int64_t gone_at = minute_up(prev + GONE_DAYS * (int64_t)DAY);
		if (gone_at <= t) {
			w[n] = base;
			w[n].time = gone_at;
			w[n++].type = 3;
		}
		if (t - prev >= RETURN_DAYS * (int64_t)DAY) {
			w[n] = base;
			w[n++].type = 2;
		}
	}
	for (int i = 0; i < g->n; i++) {
		int last = 1;
		for (int k = i + 1; k < g->n; k++)
			if (strcmp(g->addr[k], g->addr[i]) == 0 && g->r[k].sport == g->r[i].sport)
				last = 0;
		int64_t t = (int64_t)(g->r[i].time_ns / 1000000000ull);
		int64_t gone_at = minute_up(t + GONE_DAYS * (int64_t)DAY);
		if (last && gone_at <= end)
			w[n++] = (struct want){gone_at, t, 3, i, g->addr[i], g->r[i].sport};
	}
	qsort(w, (size_t)n, sizeof(*w), want_cmp);
	return n;
}

static void iso_time(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void check_events(const char *dir, const struct want *w, int n)
{
	struct events ev;
	read_events(dir, &ev);
	CHECK_EQ(ev.n, n);
	for (int i = 0; i < ev.n && i < n; i++) {
		char t[32], last[32];
		iso_time(w[i].time, t);
		iso_time(w[i].last, last);
		int ok = strcmp(str(ev.v[i], "type"), alerts_type_names[w[i].type]) == 0 &&
		         strcmp(str(ev.v[i], "time"), t) == 0 &&
		         strcmp(str(ev.v[i], "addr"), w[i].addr) == 0 &&
		         num(ev.v[i], "port") == w[i].port;
		if (ok && w[i].type == 3)
			ok = strcmp(str(ev.v[i], "last_seen"), last) == 0 &&
			     num(json_get(ev.v[i], "details"), "absent_days") == GONE_DAYS;
		if (!ok)
			fprintf(stderr, "event %d: want %s %s %s:%u\n", i,
			        alerts_type_names[w[i].type], t, w[i].addr, w[i].port);
		CHECK(ok);
	}
	free_events(&ev);
}

/* The same records in one call, or one by one with a tick after each (a
 * slow replay): the same events, those of record time.  Each service
 * absent for gone_days is gone at its deadline (rounded up to the minute),
 * before its return; a jump of days or years checks every deadline in
 * between, oldest first. */
static void test_gone_in_record_time(void)
{
	static struct gen g;
	struct want w[MAX_WANT * 2];
	gen_month(&g);
	int n = expected_events(&g, w);
	CHECK(n <= MAX_WANT);
	/* the reproduction: 10.0.0.1:22 gone on 01-12 at noon, before its return */
	int gone22 = -1, back22 = -1;
	for (int i = 0; i < n; i++) {
		if (strcmp(w[i].addr, "10.0.0.1") != 0 || w[i].port != 22)
			continue;
		if (w[i].type == 3 && gone22 < 0)
			gone22 = i;
		if (w[i].type == 2 && back22 < 0)
			back22 = i;
	}
	CHECK(gone22 >= 0 && back22 > gone22);
	CHECK(gone22 >= 0 && w[gone22].time == 1736683200);

	for (int mode = 0; mode < 2; mode++) {
		char *dir = make_dir(), err[1024];
		struct alerts_options o;
		alerts_options_default(&o);
		o.syslog = false;
		o.learning_days = 0;
		o.gone_days = GONE_DAYS;
		o.return_days = RETURN_DAYS;
		struct alerts *a = alerts_open(dir, &o, err, sizeof(err));
		CHECK(a != NULL);
		if (!a)
			return;
		if (mode == 0) {
			alerts_observe(a, g.r, (size_t)g.n);
		} else {
			for (int i = 0; i < g.n; i++) {
				alerts_observe(a, &g.r[i], 1);
				alerts_tick(a, 0);
			}
		}
		check_events(dir, w, n);
		alerts_close(a);
		rm_rf(dir);
		free(dir);
	}
}

/* A service back without returning_service (return_days longer than its
 * absence, or 0) can be gone again: once per absence. */
static void test_gone_again(void)
{
	for (unsigned return_days = 0; return_days <= 30; return_days += 30) {
		char *dir = make_dir(), err[1024];
		struct alerts_options o;
		alerts_options_default(&o);
		o.syslog = false;
		o.learning_days = 0;
		o.gone_days = 7;
		o.return_days = return_days;
		struct alerts *a = alerts_open(dir, &o, err, sizeof(err));
		CHECK(a != NULL);
		if (!a)
			return;
		observe1(a, T0, "10.0.0.1", 22);
		observe1(a, T0 + 10 * DAY, "10.0.0.1", 22); /* gone on day 7, back */
		observe1(a, T0 + 20 * DAY, "10.0.0.2", 80); /* gone again on day 17 */
		struct events ev;
		read_events(dir, &ev);
		const char *want[5][2] = {{"new_host", "2019-01-01T00:00:00Z"},
		                          {"new_service", "2019-01-01T00:00:00Z"},
		                          {"gone_service", "2019-01-08T00:00:00Z"},
		                          {"gone_service", "2019-01-18T00:00:00Z"},
		                          {"new_host", "2019-01-21T00:00:00Z"}};
		CHECK_EQ(ev.n, 6);
		for (int i = 0; i < ev.n && i < 5; i++)
			CHECK(strcmp(str(ev.v[i], "type"), want[i][0]) == 0 &&
			      strcmp(str(ev.v[i], "time"), want[i][1]) == 0);
		free_events(&ev);
		alerts_close(a);
		rm_rf(dir);
		free(dir);
	}
}

int main(void)
{
	test_events_and_exec();
	test_timeout_and_queue();
	test_seed_and_bound();
	test_incremental_save();
	test_gone_in_record_time();
	test_gone_again();
	return check_done("test_alerts");
}
