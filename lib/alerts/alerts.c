/*
 * alerts.c - events on new, returning and gone services (see alerts.h and
 * doc/alerts.md).
 */
#include "alerts/alerts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "control/json_in.h"
#include "control/json_out.h"

const char *const alerts_type_names[4] = {"new_host", "new_service", "returning_service",
                                          "gone_service"};
enum { EV_NEW_HOST, EV_NEW_SERVICE, EV_RETURNING, EV_GONE };

enum { KIND_SERVICE = 0, KIND_HOST = 1 };
enum { MAX_ARGS = 32 };
#define DAY        86400
#define CHECK_STEP 60 /* the gone check: once a minute of record time */

struct ent {
	uint8_t used, kind, family, gone, dirty;
	uint16_t port;
	uint8_t addr[16];
	int64_t first, last; /* Unix seconds */
};

struct qitem {
	char *json;
	int type;
};

struct child {
	pid_t pid;
	uint64_t deadline_ns;
	int killed;
};

struct alerts {
	struct alerts_options opt;
	char dir[4096];
	char events_path[4200];
	char state_path[4200];
	char err[8800];
	int events_fd;
	sqlite3 *db;

	struct ent *tab;
	size_t cap, n, nsvc, nhost;

	int64_t learning_start;  /* 0: not yet known */
	int64_t clock;           /* newest record time seen */
	int64_t last_gone_check; /* record time of the last gone check */
	int64_t next_gone;       /* no service is gone before this record time */
	struct ent **gone;       /* services found gone by one check */
	size_t gone_cap;
	uint64_t last_save_ns;
	int round;            /* a save round is under way */
	int64_t round_offset; /* events.jsonl size when it began */
	size_t cursor;        /* next slot of the index to save */

	char *argv_buf;
	char *argv[MAX_ARGS + 1];

	struct qitem *q;
	size_t qhead, qlen;
	struct child *kids;
	size_t nkids;

	struct alerts_stats st;
	struct json_out j;
};

void alerts_options_default(struct alerts_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->return_days = 7;
	opt->gone_days = 7;
	opt->learning_days = 14;
	opt->alert_timeout_s = 10;
	opt->max_children = 4;
	opt->max_queue = 1000;
	opt->max_entries = (size_t)1 << 21;
	opt->syslog = true;
	opt->save_interval_s = 60;
	opt->save_batch = 500;
}

const char *alerts_error(const struct alerts *a)
{
	return a ? a->err : "no alerts";
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void iso(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t parse_iso(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (!s)
		return 0;
	const char *e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!e || *e)
		return 0;
	return (int64_t)timegm(&tm);
}

/* --- the index ------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t hash_key(uint8_t kind, uint8_t family, const uint8_t *addr, uint16_t port)
{
	uint64_t a0, a1;
	memcpy(&a0, addr, 8);
	memcpy(&a1, addr + 8, 8);
	uint64_t x = (uint64_t)kind | (uint64_t)family << 8 | (uint64_t)port << 16;
	return mix64(a0 ^ mix64(a1 ^ mix64(x)));
}

static struct ent *slot(struct ent *tab, size_t cap, uint8_t kind, uint8_t family,
                        const uint8_t *addr, uint16_t port)
{
	size_t i = (size_t)hash_key(kind, family, addr, port) & (cap - 1);
	for (;;) {
		struct ent *e = &tab[i];
		if (!e->used || (e->kind == kind && e->family == family && e->port == port &&
		                 memcmp(e->addr, addr, 16) == 0))
			return e;
		i = (i + 1) & (cap - 1);
	}
}

static int grow(struct alerts *a)
{
	size_t cap = a->cap ? a->cap * 2 : 1024;
	struct ent *t = calloc(cap, sizeof(*t));
	if (!t)
		return -1;
	for (size_t i = 0; i < a->cap; i++) {
		struct ent *e = &a->tab[i];
		if (e->used)
			*slot(t, cap, e->kind, e->family, e->addr, e->port) = *e;
	}
	free(a->tab);
	a->tab = t;
	a->cap = cap;
	a->cursor = 0; /* slots moved: a save round rescans (dirty flags stay) */
	return 0;
}

/* Finds or (when room) inserts; *is_new tells.  NULL: index full. */
static struct ent *lookup(struct alerts *a, uint8_t kind, uint8_t family, const uint8_t *addr,
                          uint16_t port, int *is_new)
{
	*is_new = 0;
	if (a->cap) {
		struct ent *e = slot(a->tab, a->cap, kind, family, addr, port);
		if (e->used)
			return e;
	}
	if (a->n >= a->opt.max_entries)
		return NULL;
	if ((a->n + 1) * 2 > a->cap && grow(a) != 0)
		return NULL;
	struct ent *e = slot(a->tab, a->cap, kind, family, addr, port);
	memset(e, 0, sizeof(*e));
	e->used = 1;
	e->kind = kind;
	e->family = family;
	e->port = port;
	memcpy(e->addr, addr, 16);
	e->dirty = 1;
	a->n++;
	if (kind == KIND_HOST)
		a->nhost++;
	else
		a->nsvc++;
	*is_new = 1;
	return e;
}

static int addr_parse(const char *text, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (text && strchr(text, ':')) {
		*family = 6;
		return inet_pton(AF_INET6, text, addr) == 1 ? 0 : -1;
	}
	*family = 4;
	return text && inet_pton(AF_INET, text, addr) == 1 ? 0 : -1;
}

static void addr_text(uint8_t family, const uint8_t *addr, char *out, size_t n)
{
	inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, out, (socklen_t)n);
}

/* --- alert_exec ----------------------------------------------------- */

static void queue_exec(struct alerts *a, const char *json, size_t len, int type)
{
	if (!a->argv[0])
		return;
	if (a->qlen >= a->opt.max_queue) {
		a->st.exec_dropped++;
		return;
	}
	char *copy = malloc(len + 1);
	if (!copy) {
		a->st.exec_dropped++;
		return;
	}
	memcpy(copy, json, len);
	copy[len] = '\0';
	size_t i = (a->qhead + a->qlen) % a->opt.max_queue;
	a->q[i].json = copy;
	a->q[i].type = type;
	a->qlen++;
}

static void spawn_one(struct alerts *a, struct qitem *it)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		a->st.exec_failed++;
		return;
	}
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	char typeenv[64];
	snprintf(typeenv, sizeof(typeenv), "SYNACK_EVENT_TYPE=%s", alerts_type_names[it->type]);
	char *envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", typeenv, NULL};

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                                  POSIX_SPAWN_SETPGROUP);
	pid_t pid;
	int rc = posix_spawn(&pid, a->argv[0], &fa, &at, a->argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		close(fds[0]);
		close(fds[1]);
		a->st.exec_failed++;
		snprintf(a->err, sizeof(a->err), "alert_exec %s: %s", a->argv[0], strerror(rc));
		return;
	}
	/* One event is far below PIPE_BUF: the write is atomic and cannot block
	 * on an empty pipe; the read end is still open here, so no SIGPIPE. */
	size_t len = strlen(it->json);
	ssize_t w = write(fds[1], it->json, len);
	(void)w;
	close(fds[1]);
	close(fds[0]);
	a->kids[a->nkids].pid = pid;
	a->kids[a->nkids].deadline_ns =
	    mono_ns() + (uint64_t)a->opt.alert_timeout_s * 1000000000ull;
	a->kids[a->nkids].killed = 0;
	a->nkids++;
	a->st.exec_started++;
}

static void run_children(struct alerts *a)
{
	uint64_t now = mono_ns();
	for (size_t i = 0; i < a->nkids;) {
		struct child *c = &a->kids[i];
		int status = 0;
		pid_t r = waitpid(c->pid, &status, WNOHANG);
		if (r == c->pid || (r < 0 && errno == ECHILD)) {
			if (c->killed)
				a->st.exec_killed++;
			else if (r < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 0))
				a->st.exec_ok++;
			else
				a->st.exec_failed++;
			a->kids[i] = a->kids[--a->nkids];
			continue;
		}
		if (!c->killed && now >= c->deadline_ns) {
			kill(-c->pid, SIGKILL); /* its process group */
			kill(c->pid, SIGKILL);
			c->killed = 1;
		}
		i++;
	}
	while (a->qlen && a->nkids < a->opt.max_children) {
		struct qitem *it = &a->q[a->qhead];
		spawn_one(a, it);
		free(it->json);
		it->json = NULL;
		a->qhead = (a->qhead + 1) % a->opt.max_queue;
		a->qlen--;
	}
}

void alerts_drain(struct alerts *a, unsigned timeout_ms)
{
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		run_children(a);
		if ((!a->nkids && !a->qlen) || mono_ns() >= end)
			return;
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
}

/* --- events --------------------------------------------------------- */

static void emit(struct alerts *a, int type, int64_t t, const struct ent *e, uint16_t port,
                 int64_t first, int64_t last, const char *peer, int64_t prev_last)
{
	char addr[64], ts[32], f[32], l[32];
	bool baseline = a->opt.learning_days && a->learning_start &&
	                t < a->learning_start + (int64_t)a->opt.learning_days * DAY;
	addr_text(e->family, e->addr, addr, sizeof(addr));
	iso(t, ts);
	iso(first, f);
	iso(last, l);
	struct json_out *j = &a->j;
	json_out_reset(j);
	json_out_object_begin(j, NULL);
	json_out_string(j, "time", ts);
	json_out_string(j, "type", alerts_type_names[type]);
	json_out_string(j, "addr", addr);
	json_out_u64(j, "port", port);
	json_out_string(j, "first_seen", f);
	json_out_string(j, "last_seen", l);
	json_out_object_begin(j, "details");
	if (peer)
		json_out_string(j, "peer", peer);
	if (type == EV_RETURNING) {
		char p[32];
		iso(prev_last, p);
		json_out_string(j, "previous_last_seen", p);
		json_out_i64(j, "absent_days", (t - prev_last) / DAY);
		json_out_u64(j, "return_days", a->opt.return_days);
	} else if (type == EV_GONE) {
		json_out_i64(j, "absent_days", (t - last) / DAY);
		json_out_u64(j, "gone_days", a->opt.gone_days);
	}
	json_out_object_end(j);
	json_out_bool(j, "baseline", baseline);
	json_out_object_end(j);
	if (j->failed) {
		a->st.write_errors++;
		return;
	}
	a->st.events++;
	a->st.by_type[type]++;
	if (baseline)
		a->st.baseline++;
	size_t len = j->len;
	char *line = j->buf;
	line[len] = '\n'; /* json_out keeps room for the terminator */
	if (a->events_fd >= 0 && write(a->events_fd, line, len + 1) != (ssize_t)(len + 1)) {
		a->st.write_errors++;
		snprintf(a->err, sizeof(a->err), "%s: %s", a->events_path, strerror(errno));
	}
	if (!baseline)
		queue_exec(a, line, len + 1, type); /* one line on stdin */
	line[len] = '\0';
	if (!baseline && a->opt.syslog)
		syslog(LOG_NOTICE, "%s %s port %u: %s", alerts_type_names[type], addr, port, line);
}

static int64_t gone_deadline(const struct alerts *a, const struct ent *e)
{
	return e->last + (int64_t)a->opt.gone_days * DAY;
}

/* The first check point at or after t. */
static int64_t check_point_after(int64_t t)
{
	int64_t r = t % CHECK_STEP;
	return r ? t - r + CHECK_STEP : t;
}

/* A service's deadline moved earlier than any known one (a new or returned
 * service): the next check point at or after it scans the index. */
static void note_deadline(struct alerts *a, const struct ent *e)
{
	if (a->opt.gone_days && gone_deadline(a, e) < a->next_gone)
		a->next_gone = gone_deadline(a, e);
}

static int by_deadline(const void *x, const void *y)
{
	const struct ent *a = *(struct ent *const *)x, *b = *(struct ent *const *)y;
	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int c = memcmp(a->addr, b->addr, 16);
	if (c)
		return c;
	return a->port < b->port ? -1 : a->port > b->port;
}

static int gone_push(struct alerts *a, size_t n, struct ent *e)
{
	if (n == a->gone_cap) {
		size_t cap = a->gone_cap ? a->gone_cap * 2 : 64;
		struct ent **g = realloc(a->gone, cap * sizeof(*g));
		if (!g)
			return -1;
		a->gone = g;
		a->gone_cap = cap;
	}
	a->gone[n] = e;
	return 0;
}

/* The checks of the check points from..upto in one pass: every service
 * whose deadline is at most upto is gone at the first check point at or
 * after its deadline (from at the earliest), oldest deadline first.  Sets
 * next_gone to the earliest deadline left.  -1: out of memory, nothing
 * done. */
static int check_gone(struct alerts *a, int64_t from, int64_t upto)
{
	size_t n = 0;
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < a->cap; i++) {
		struct ent *e = &a->tab[i];
		if (!e->used || e->kind != KIND_SERVICE || e->gone)
			continue;
		int64_t d = gone_deadline(a, e);
		if (d > upto) {
			if (d < next)
				next = d;
		} else if (gone_push(a, n++, e) != 0) {
			snprintf(a->err, sizeof(a->err), "gone check: out of memory");
			return -1;
		}
	}
	if (n > 1)
		qsort(a->gone, n, sizeof(*a->gone), by_deadline);
	for (size_t k = 0; k < n; k++) {
		struct ent *e = a->gone[k];
		int64_t t = check_point_after(gone_deadline(a, e));
		e->gone = 1;
		e->dirty = 1;
		emit(a, EV_GONE, t > from ? t : from, e, e->port, e->first, e->last, NULL, 0);
	}
	a->next_gone = next;
	return 0;
}

/* Runs the gone checks of the check points that record time t has passed,
 * before a record of time t makes its own events.  A scan of the index only
 * when a deadline may have passed (next_gone), one scan for any jump. */
static void catch_up_gone(struct alerts *a, int64_t t)
{
	int64_t upto = t - t % CHECK_STEP;
	if (!a->opt.gone_days || upto <= a->last_gone_check)
		return;
	int64_t from = check_point_after(a->last_gone_check + 1);
	if (upto >= a->next_gone && check_gone(a, from, upto) != 0) {
		a->st.write_errors++; /* tried again at the next record */
		return;
	}
	a->last_gone_check = upto;
}

void alerts_observe(struct alerts *a, const struct synack_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct synack_record *r = &recs[i];
		if (r->ftp)
			continue;
		int64_t t = (int64_t)(r->time_ns / 1000000000ull);
		uint8_t fam = r->family == SYNACK_FAMILY_IPV6 ? 6 : 4;
		uint8_t addr[16];
		memcpy(addr, r->saddr, 16);
		if (fam == 4)
			memset(addr + 4, 0, 12);
		catch_up_gone(a, t);
		if (t > a->clock)
			a->clock = t;
		if (!a->learning_start)
			a->learning_start = t; /* an empty database: learning starts now */
		char peer[64];
		int is_new;
		/* a known service means a known host: one lookup per record */
		struct ent *s =
		    a->cap ? slot(a->tab, a->cap, KIND_SERVICE, fam, addr, r->sport) : NULL;
		if (!s || !s->used) {
			/* the host first (its insertion may move the table) */
			addr_text(fam, r->daddr, peer, sizeof(peer));
			struct ent *h = lookup(a, KIND_HOST, fam, addr, 0, &is_new);
			if (h && is_new) {
				h->first = h->last = t;
				emit(a, EV_NEW_HOST, t, h, r->sport, t, t, peer, 0);
			} else if (h) {
				if (t > h->last)
					h->last = t;
				if (t < h->first)
					h->first = t;
				h->dirty = 1;
			}
			s = lookup(a, KIND_SERVICE, fam, addr, r->sport, &is_new);
			if (!s || !h) {
				a->st.untracked++;
				if (!s)
					continue;
			}
			s->first = s->last = t;
			note_deadline(a, s);
			emit(a, EV_NEW_SERVICE, t, s, r->sport, t, t, peer, 0);
			continue;
		}
		if (t > s->last) {
			int64_t prev = s->last;
			s->last = t;
			s->dirty = 1;
			s->gone = 0; /* back, with or without returning_service */
			note_deadline(a, s);
			if (a->opt.return_days && t - prev >= (int64_t)a->opt.return_days * DAY) {
				addr_text(fam, r->daddr, peer, sizeof(peer));
				emit(a, EV_RETURNING, t, s, r->sport, s->first, t, peer, prev);
			}
		} else if (t < s->first) {
			s->first = t;
			s->dirty = 1;
		}
	}
}

/* --- state ---------------------------------------------------------- */

static const char state_schema[] =
    "CREATE TABLE IF NOT EXISTS alert_state(\n"
    "  kind INTEGER NOT NULL,\n" /* 0 service, 1 host */
    "  addr TEXT NOT NULL,\n"
    "  port INTEGER NOT NULL,\n"
    "  first_seen INTEGER NOT NULL,\n"
    "  last_seen INTEGER NOT NULL,\n"
    "  gone INTEGER NOT NULL,\n"
    "  PRIMARY KEY(kind, addr, port)) WITHOUT ROWID;\n"
    "CREATE TABLE IF NOT EXISTS alert_meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);\n";

static int meta_get(struct alerts *a, const char *key, int64_t *v)
{
	sqlite3_stmt *st;
	int found = 0;
	if (sqlite3_prepare_v2(a->db, "SELECT value FROM alert_meta WHERE key = ?1", -1, &st,
	                       NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* One step of a save round: at most max_rows dirty rows (and 16 times as
 * many slots looked at) in one transaction.  A round begins by noting the
 * size of events.jsonl; when its scan of the index ends, every row that was
 * dirty then has been written, so events.jsonl before that size needs no
 * replay: the meta row says so.  Rows dirtied meanwhile wait for the next
 * round, and their events lie after the noted size.  Returns 1 when the
 * round ended, 0 when more steps are needed, -1 on an error. */
static int save_step(struct alerts *a, size_t max_rows)
{
	sqlite3_stmt *st = NULL, *mt = NULL;
	char addr[64];
	struct stat sb;
	if (!a->round) {
		a->round = 1;
		a->cursor = 0;
		a->round_offset = 0;
		if (a->events_fd >= 0 && fstat(a->events_fd, &sb) == 0)
			a->round_offset = (int64_t)sb.st_size;
	}
	if (sqlite3_exec(a->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(a->db,
	                       "INSERT OR REPLACE INTO alert_state(kind, addr, port, first_seen, "
	                       "last_seen, gone) VALUES(?1,?2,?3,?4,?5,?6)",
	                       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, "INSERT OR REPLACE INTO alert_meta(key, value) VALUES(?1,?2)",
	                       -1, &mt, NULL) != SQLITE_OK)
		goto fail;
	size_t rows = 0, scanned = 0, end = a->cursor;
	size_t max_scan = max_rows * 16 > max_rows ? max_rows * 16 : SIZE_MAX;
	for (; end < a->cap && rows < max_rows && scanned < max_scan; end++, scanned++) {
		struct ent *e = &a->tab[end];
		if (!e->used || !e->dirty)
			continue;
		addr_text(e->family, e->addr, addr, sizeof(addr));
		sqlite3_bind_int(st, 1, e->kind);
		sqlite3_bind_text(st, 2, addr, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(st, 3, e->port);
		sqlite3_bind_int64(st, 4, e->first);
		sqlite3_bind_int64(st, 5, e->last);
		sqlite3_bind_int(st, 6, e->gone);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(st);
		rows++;
	}
	int done = end >= a->cap;
	const char *keys[] = {"learning_start", "clock", "last_gone_check", "events_offset"};
	int64_t vals[] = {a->learning_start, a->clock, a->last_gone_check, a->round_offset};
	for (int k = 0; k < (done ? 4 : 3); k++) {
		sqlite3_bind_text(mt, 1, keys[k], -1, SQLITE_STATIC);
		sqlite3_bind_int64(mt, 2, vals[k]);
		if (sqlite3_step(mt) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(mt);
	}
	if (sqlite3_exec(a->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_finalize(st);
	sqlite3_finalize(mt);
	for (size_t i = a->cursor; i < end; i++)
		a->tab[i].dirty = 0;
	a->cursor = end;
	if (done) {
		a->round = 0;
		a->last_save_ns = mono_ns();
	}
	return done;
fail:
	snprintf(a->err, sizeof(a->err), "%s: %s", a->state_path, sqlite3_errmsg(a->db));
	sqlite3_finalize(st);
	sqlite3_finalize(mt);
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	a->st.write_errors++;
	a->round = 0;
	a->last_save_ns = mono_ns(); /* retry at the next interval, not at every tick */
	return -1;
}

int alerts_save(struct alerts *a)
{
	a->round = 0; /* a full round now, whatever step a round was at */
	int rc;
	while ((rc = save_step(a, SIZE_MAX / 32)) == 0)
		;
	return rc < 0 ? -1 : 0;
}

static int load_state(struct alerts *a)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(
	        a->db, "SELECT kind, addr, port, first_seen, last_seen, gone FROM alert_state", -1,
	        &st, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint8_t fam, addr[16];
		int is_new;
		if (addr_parse((const char *)sqlite3_column_text(st, 1), &fam, addr) != 0)
			continue;
		struct ent *e = lookup(a, (uint8_t)sqlite3_column_int(st, 0), fam, addr,
		                       (uint16_t)sqlite3_column_int(st, 2), &is_new);
		if (!e)
			break;
		e->first = sqlite3_column_int64(st, 3);
		e->last = sqlite3_column_int64(st, 4);
		e->gone = (uint8_t)sqlite3_column_int(st, 5);
		e->dirty = 0;
	}
	sqlite3_finalize(st);
	return 0;
}

/* A new state: what synack.db already knows is known (no events). */
static void seed(struct alerts *a)
{
	char path[4200];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	struct stat sb;
	if (a->opt.db_path)
		snprintf(path, sizeof(path), "%s", a->opt.db_path);
	else
		snprintf(path, sizeof(path), "%s/synack.db", a->dir);
	if (stat(path, &sb) != 0)
		return;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db,
	                       "SELECT 0, addr, port, first_seen, last_seen FROM services "
	                       "UNION ALL SELECT 1, addr, 0, first_seen, last_seen FROM hosts",
	                       -1, &st, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint8_t fam, addr[16];
		int is_new;
		if (addr_parse((const char *)sqlite3_column_text(st, 1), &fam, addr) != 0)
			continue;
		struct ent *e = lookup(a, (uint8_t)sqlite3_column_int(st, 0), fam, addr,
		                       (uint16_t)sqlite3_column_int(st, 2), &is_new);
		if (!e)
			break;
		e->first = sqlite3_column_int64(st, 3);
		e->last = sqlite3_column_int64(st, 4);
		if (!a->learning_start || e->first < a->learning_start)
			a->learning_start = e->first;
		if (e->last > a->clock)
			a->clock = e->last;
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* services already gone before alerts started: no gone event for them */
	for (size_t i = 0; a->opt.gone_days && i < a->cap; i++) {
		struct ent *e = &a->tab[i];
		if (e->used && e->kind == KIND_SERVICE &&
		    a->clock - e->last >= (int64_t)a->opt.gone_days * DAY)
			e->gone = 1;
	}
}

/* Events written after the last save (a crash): known now. */
static void replay(struct alerts *a, int64_t offset)
{
	int fd = open(a->events_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || sb.st_size <= offset) {
		close(fd);
		return;
	}
	size_t len = (size_t)(sb.st_size - offset);
	char *buf = malloc(len + 1);
	ssize_t got = buf ? pread(fd, buf, len, offset) : -1;
	close(fd);
	if (got != (ssize_t)len) {
		free(buf);
		return;
	}
	buf[len] = '\0';
	char *p = buf;
	for (;;) {
		char *nl = strchr(p, '\n');
		if (!nl)
			break; /* a cut-off last line is ignored */
		*nl = '\0';
		char jerr[128];
		struct json_value *v = json_parse(p, (size_t)-1, jerr, sizeof(jerr));
		p = nl + 1;
		if (!v)
			continue;
		const struct json_value *type = json_get(v, "type");
		const struct json_value *addr = json_get(v, "addr");
		const struct json_value *port = json_get(v, "port");
		const struct json_value *fs = json_get(v, "first_seen");
		const struct json_value *ls = json_get(v, "last_seen");
		uint8_t fam, ab[16];
		int is_new;
		if (type && type->type == JSON_STRING && addr && addr->type == JSON_STRING &&
		    port && port->type == JSON_NUMBER && fs && fs->type == JSON_STRING && ls &&
		    ls->type == JSON_STRING && addr_parse(addr->text, &fam, ab) == 0) {
			int host = strcmp(type->text, "new_host") == 0;
			int gone = strcmp(type->text, "gone_service") == 0;
			int64_t first = parse_iso(fs->text), last = parse_iso(ls->text);
			struct ent *e = lookup(a, host ? KIND_HOST : KIND_SERVICE, fam, ab,
			                       host ? 0 : (uint16_t)atoi(port->text), &is_new);
			if (e) {
				if (is_new || first < e->first)
					e->first = first;
				if (is_new || last > e->last) {
					e->last = last;
					e->gone = 0;
				}
				if (gone && last == e->last)
					e->gone = 1;
				e->dirty = 1;
				if (!a->learning_start || first < a->learning_start)
					a->learning_start = first;
				if (last > a->clock)
					a->clock = last;
			}
		}
		json_value_free(v);
	}
	free(buf);
}

static int split_exec(struct alerts *a, const char *cmd)
{
	a->argv_buf = strdup(cmd);
	if (!a->argv_buf)
		return -1;
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(a->argv_buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n >= MAX_ARGS) {
			snprintf(a->err, sizeof(a->err), "alert_exec: more than %d arguments",
			         MAX_ARGS);
			return -1;
		}
		a->argv[n++] = t;
	}
	a->argv[n] = NULL;
	if (n == 0)
		return 0;
	if (a->argv[0][0] != '/') {
		snprintf(a->err, sizeof(a->err),
		         "alert_exec: '%s' is not an absolute path (no shell, no PATH search)",
		         a->argv[0]);
		return -1;
	}
	if (access(a->argv[0], X_OK) != 0) {
		snprintf(a->err, sizeof(a->err), "alert_exec: %s: %s", a->argv[0], strerror(errno));
		return -1;
	}
	return 0;
}

struct alerts *alerts_open(const char *data_dir, const struct alerts_options *opt, char *err,
                           size_t errlen)
{
	struct alerts *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opt)
		a->opt = *opt;
	else
		alerts_options_default(&a->opt);
	if (!a->opt.max_children)
		a->opt.max_children = 1;
	if (!a->opt.max_queue)
		a->opt.max_queue = 1;
	if (!a->opt.max_entries)
		a->opt.max_entries = 1;
	if (!a->opt.save_batch)
		a->opt.save_batch = 500;
	if (!a->opt.alert_timeout_s)
		a->opt.alert_timeout_s = 10;
	a->events_fd = -1;
	json_out_init(&a->j);
	snprintf(a->dir, sizeof(a->dir), "%s", data_dir);
	snprintf(a->events_path, sizeof(a->events_path), "%s/events.jsonl", data_dir);
	snprintf(a->state_path, sizeof(a->state_path), "%s/alerts.db", data_dir);
	a->q = calloc(a->opt.max_queue, sizeof(*a->q));
	a->kids = calloc(a->opt.max_children, sizeof(*a->kids));
	if (!a->q || !a->kids) {
		snprintf(a->err, sizeof(a->err), "out of memory");
		goto fail;
	}
	if (a->opt.alert_exec && a->opt.alert_exec[0] && split_exec(a, a->opt.alert_exec) != 0)
		goto fail;

	/* a symbolic link planted in the data directory is never followed */
	struct stat lst;
	if (lstat(a->state_path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		snprintf(a->err, sizeof(a->err), "%s: is a symbolic link; not followed",
		         a->state_path);
		goto fail;
	}
	if (sqlite3_open_v2(a->state_path, &a->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		snprintf(a->err, sizeof(a->err), "%s: %s", a->state_path,
		         a->db ? sqlite3_errmsg(a->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(a->db, 2000);
	char *msg = NULL;
	if (sqlite3_exec(a->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
	                 NULL) != SQLITE_OK ||
	    sqlite3_exec(a->db, state_schema, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(a->err, sizeof(a->err), "%s: %s", a->state_path,
		         msg ? msg : sqlite3_errmsg(a->db));
		sqlite3_free(msg);
		goto fail;
	}
	int64_t offset = 0;
	int have = meta_get(a, "learning_start", &a->learning_start);
	if (have < 0) {
		snprintf(a->err, sizeof(a->err), "%s: %s", a->state_path, sqlite3_errmsg(a->db));
		goto fail;
	}
	if (have) {
		meta_get(a, "events_offset", &offset);
		meta_get(a, "clock", &a->clock);
		meta_get(a, "last_gone_check", &a->last_gone_check);
		if (load_state(a) != 0) {
			snprintf(a->err, sizeof(a->err), "%s: %s", a->state_path,
			         sqlite3_errmsg(a->db));
			goto fail;
		}
	} else {
		seed(a);
		offset = 0;
	}
	replay(a, offset);

	a->events_fd =
	    open(a->events_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (a->events_fd < 0) {
		snprintf(a->err, sizeof(a->err), "%s: %s", a->events_path, strerror(errno));
		goto fail;
	}
	/* a line cut off by a crash: start the next one on a line of its own */
	struct stat sb;
	char last;
	if (fstat(a->events_fd, &sb) == 0 && sb.st_size > 0) {
		int rfd = open(a->events_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (rfd >= 0 && pread(rfd, &last, 1, sb.st_size - 1) == 1 && last != '\n' &&
		    write(a->events_fd, "\n", 1) != 1)
			a->st.write_errors++;
		if (rfd >= 0)
			close(rfd);
	}
	if (a->opt.syslog)
		openlog("synackd", LOG_PID, LOG_DAEMON);
	if (alerts_save(a) != 0)
		goto fail;
	return a;
fail:
	snprintf(err, errlen, "%s", a->err);
	a->opt.syslog = false;
	alerts_close(a);
	return NULL;
}

int alerts_tick(struct alerts *a, uint64_t now_ns)
{
	(void)now_ns;
	run_children(a);
	if (a->round ||
	    mono_ns() - a->last_save_ns >= (uint64_t)a->opt.save_interval_s * 1000000000ull)
		return save_step(a, a->opt.save_batch) < 0 ? -1 : 0;
	return 0;
}

void alerts_get_stats(const struct alerts *a, struct alerts_stats *st)
{
	*st = a->st;
	st->known_services = a->nsvc;
	st->known_hosts = a->nhost;
	st->queued = a->qlen;
	st->running = a->nkids;
}

void alerts_close(struct alerts *a)
{
	if (!a)
		return;
	if (a->db && a->events_fd >= 0)
		alerts_save(a);
	if (a->kids) {
		alerts_drain(a, 1000);
		for (size_t i = 0; i < a->nkids; i++) {
			kill(-a->kids[i].pid, SIGKILL);
			kill(a->kids[i].pid, SIGKILL);
			waitpid(a->kids[i].pid, NULL, 0);
			a->st.exec_killed++;
		}
	}
	if (a->q)
		for (size_t i = 0; i < a->qlen; i++)
			free(a->q[(a->qhead + i) % a->opt.max_queue].json);
	if (a->events_fd >= 0)
		close(a->events_fd);
	if (a->db)
		sqlite3_close(a->db);
	if (a->opt.syslog)
		closelog();
	json_out_free(&a->j);
	free(a->tab);
	free(a->gone);
	free(a->q);
	free(a->kids);
	free(a->argv_buf);
	free(a);
}
