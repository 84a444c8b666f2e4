/*
 * cmd_daemon.c - synackctl subcommands that talk to a running synackd over
 * its control socket (doc/control.md): status, stats, rotate, flush,
 * reload, stop.
 *
 * One request line, one JSON reply line.  Human output is rendered from
 * the reply generically (scalars as aligned "key value" lines, objects as
 * indented blocks, arrays of objects as tables), so new counters in the
 * daemon show up without changes here; --json prints the reply as is.
 *
 * Exit status: 0 ok, 1 the daemon reported an error (or replied nonsense),
 * 2 the daemon is unreachable (connect failed, no reply in time), 64 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "control/json_in.h"

#define DEFAULT_SOCKET "/run/synack/synackd.sock"
#define MAX_REPLY      (64u << 20)

struct conn {
	const char *path;
	int fd;
	int timeout_ms;
	char *buf; /* received bytes not yet returned */
	size_t len, cap;
};

static const char *socket_path(const struct global_options *g)
{
	const char *env = getenv("SYNACK_SOCKET");

	/* --socket wins; the built-in default yields to SYNACK_SOCKET. */
	if (g->socket && strcmp(g->socket, DEFAULT_SOCKET) != 0)
		return g->socket;
	if (env && *env)
		return env;
	return g->socket ? g->socket : DEFAULT_SOCKET;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 0, or EXIT_UNREACHABLE after a message naming the path and the error. */
static int conn_open(struct conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	c->fd = -1;
	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "synackctl: cannot connect to synackd at %s: %s\n", c->path,
		        strerror(ENAMETOOLONG));
		return EXIT_UNREACHABLE;
	}
	memcpy(sa.sun_path, c->path, strlen(c->path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		fprintf(stderr, "synackctl: socket: %s\n", strerror(errno));
		return EXIT_UNREACHABLE;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		if (e == EAGAIN || e == EINPROGRESS) {
			/* Backlog full: wait a little for room. */
			struct pollfd p = {.fd = c->fd, .events = POLLOUT};
			int so = 0;
			socklen_t sl = sizeof(so);
			if (poll(&p, 1, c->timeout_ms) == 1 &&
			    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &sl) == 0 && so == 0)
				return 0;
			e = so ? so : ETIMEDOUT;
		}
		fprintf(stderr, "synackctl: cannot connect to synackd at %s: %s\n", c->path,
		        strerror(e));
		if (e == ENOENT || e == ECONNREFUSED)
			fprintf(stderr, "synackctl: is synackd running? (--socket PATH or "
			                "SYNACK_SOCKET choose another socket)\n");
		close(c->fd);
		c->fd = -1;
		return EXIT_UNREACHABLE;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/*
 * Sends one request and reads one reply line into *reply (malloc'd, no
 * newline).  0, or EXIT_UNREACHABLE after a message.
 */
static int conn_request(struct conn *c, const char *line, char **reply)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	size_t n = strlen(line), off = 0;
	char *req = malloc(n + 2);

	if (!req) {
		fprintf(stderr, "synackctl: out of memory\n");
		return EXIT_ERROR;
	}
	memcpy(req, line, n);
	req[n++] = '\n';
	while (off < n) {
		ssize_t w = send(c->fd, req + off, n - off, MSG_NOSIGNAL);
		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = {.fd = c->fd, .events = POLLOUT};
			int left = (int)(deadline - now_ms());
			if (left > 0 && poll(&p, 1, left) > 0)
				continue;
			errno = ETIMEDOUT;
		}
		/* The daemon may have said why before closing (permission). */
		if (errno == EPIPE || errno == ECONNRESET)
			break;
		fprintf(stderr, "synackctl: cannot send to synackd at %s: %s\n", c->path,
		        strerror(errno));
		free(req);
		return EXIT_UNREACHABLE;
	}
	free(req);

	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		if (nl) {
			size_t l = (size_t)(nl - c->buf);
			*reply = strndup(c->buf, l);
			memmove(c->buf, nl + 1, c->len - l - 1);
			c->len -= l + 1;
			if (!*reply) {
				fprintf(stderr, "synackctl: out of memory\n");
				return EXIT_ERROR;
			}
			return 0;
		}
		if (c->len + 4096 > c->cap) {
			if (c->cap >= MAX_REPLY) {
				fprintf(stderr, "synackctl: reply from synackd too long\n");
				return EXIT_ERROR;
			}
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *b = realloc(c->buf, cap);
			if (!b) {
				fprintf(stderr, "synackctl: out of memory\n");
				return EXIT_ERROR;
			}
			c->buf = b;
			c->cap = cap;
		}
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int left = (int)(deadline - now_ms());
		int pr = left > 0 ? poll(&p, 1, left) : 0;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			fprintf(stderr, "synackctl: no reply from synackd at %s within %d s\n",
			        c->path, (c->timeout_ms + 999) / 1000);
			return EXIT_UNREACHABLE;
		}
		ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			fprintf(stderr, "synackctl: synackd at %s closed the connection: %s\n",
			        c->path, r == 0 ? "no reply" : strerror(errno));
			return EXIT_UNREACHABLE;
		}
		c->len += (size_t)r;
	}
}

/* ---- human rendering ---------------------------------------------------- */

/* Scalars, and empty objects (shown as "-"). */
static bool is_scalar(const struct json_value *v)
{
	return (v->type != JSON_ARRAY && v->type != JSON_OBJECT) ||
	       (v->type == JSON_OBJECT && v->n == 0);
}

static bool is_table(const struct json_value *v)
{
	if (v->type != JSON_ARRAY || v->n == 0)
		return false;
	for (size_t i = 0; i < v->n; i++)
		if (v->items[i]->type != JSON_OBJECT)
			return false;
	return true;
}

static void format_duration(char *out, size_t cap, double s)
{
	unsigned long long t = (unsigned long long)s;
	unsigned long long d = t / 86400, h = t / 3600 % 24, m = t / 60 % 60, sec = t % 60;
	if (d)
		snprintf(out, cap, "%llud %02llu:%02llu:%02llu", d, h, m, sec);
	else
		snprintf(out, cap, "%02llu:%02llu:%02llu", h, m, sec);
}

/* Text of a scalar for display; key gives a few hints (link, uptime). */
static void scalar_text(const char *key, const struct json_value *v, char *out, size_t cap)
{
	switch (v->type) {
	case JSON_NULL:
		snprintf(out, cap, "-");
		break;
	case JSON_BOOL:
		if (key && (!strcmp(key, "link_up") || !strcmp(key, "link")))
			snprintf(out, cap, "%s", v->boolean ? "up" : "down");
		else
			snprintf(out, cap, "%s", v->boolean ? "yes" : "no");
		break;
	case JSON_STRING:
		snprintf(out, cap, "%s", v->text[0] ? v->text : "\"\"");
		break;
	case JSON_NUMBER:
		if (key && !strcmp(key, "uptime_s")) {
			char d[64];
			format_duration(d, sizeof(d), v->number);
			snprintf(out, cap, "%s", d);
		} else if (json_is_integer(v) || fabs(v->number) >= 1e15) {
			snprintf(out, cap, "%s", v->text);
		} else if (fabs(v->number) >= 100) {
			snprintf(out, cap, "%.0f", v->number);
		} else {
			snprintf(out, cap, "%.3g", v->number);
		}
		break;
	default:
		snprintf(out, cap, v->n == 0 ? "-" : "...");
		break;
	}
}

/* "rx_packets" -> "rx packets" for labels. */
static void label(const char *key, char *out, size_t cap, bool upper)
{
	size_t i;
	for (i = 0; key[i] && i + 1 < cap; i++) {
		char ch = key[i] == '_' ? ' ' : key[i];
		out[i] = upper && ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
	}
	out[i] = '\0';
	if (!strcmp(key, "uptime_s"))
		snprintf(out, cap, upper ? "UPTIME" : "uptime");
}

static void render_object(const struct json_value *obj, int indent, const char *skip);

/* Whether key is one of the space-separated words of skip. */
static bool skipped(const char *key, const char *skip)
{
	size_t n = strlen(key);
	for (const char *p = skip; p && *p;) {
		size_t w = strcspn(p, " ");
		if (w == n && !strncmp(p, key, n))
			return true;
		p += w;
		while (*p == ' ')
			p++;
	}
	return false;
}

/*
 * A cell of a table row: a scalar member, or a scalar member of an object
 * member (one level, e.g. a worker's "counters"), found by column name.
 */
static const struct json_value *cell_value(const struct json_value *row, const char *col)
{
	const struct json_value *v = json_get(row, col);
	if (v && is_scalar(v))
		return v;
	for (size_t k = 0; k < row->n; k++) {
		if (row->items[k]->type != JSON_OBJECT)
			continue;
		v = json_get(row->items[k], col);
		if (v && is_scalar(v))
			return v;
	}
	return NULL;
}

static void add_col(const char **cols, size_t *ncol, const char *name)
{
	for (size_t c = 0; c < *ncol; c++)
		if (!strcmp(cols[c], name))
			return;
	if (*ncol < 64)
		cols[(*ncol)++] = name;
}

/*
 * Arrays of objects as tables: one column per scalar member, members of
 * nested objects flattened into columns (one level; deeper objects are
 * left to --json), nested arrays of objects as sub-tables below.
 */
static void render_table(const struct json_value *arr, int indent)
{
	const char *cols[64];
	size_t ncol = 0, width[64];
	bool numeric[64];
	char cell[256], lab[128];
	static const struct json_value null_value = {.type = JSON_NULL};

	for (size_t r = 0; r < arr->n; r++) {
		const struct json_value *row = arr->items[r];
		for (size_t k = 0; k < row->n; k++)
			if (is_scalar(row->items[k]))
				add_col(cols, &ncol, row->keys[k]);
	}
	for (size_t r = 0; r < arr->n; r++) {
		const struct json_value *row = arr->items[r];
		for (size_t k = 0; k < row->n; k++) {
			const struct json_value *o = row->items[k];
			if (o->type != JSON_OBJECT)
				continue;
			for (size_t m = 0; m < o->n; m++)
				if (is_scalar(o->items[m]))
					add_col(cols, &ncol, o->keys[m]);
		}
	}
	for (size_t c = 0; c < ncol; c++) {
		label(cols[c], lab, sizeof(lab), true);
		width[c] = strlen(lab);
		numeric[c] = false;
		for (size_t r = 0; r < arr->n; r++) {
			const struct json_value *v = cell_value(arr->items[r], cols[c]);
			scalar_text(cols[c], v ? v : &null_value, cell, sizeof(cell));
			if (strlen(cell) > width[c])
				width[c] = strlen(cell);
			if (v && v->type == JSON_NUMBER && strcmp(cols[c], "uptime_s"))
				numeric[c] = true; /* right-aligned, "-" too */
		}
	}
	printf("%*s", indent, "");
	for (size_t c = 0; c < ncol; c++) {
		label(cols[c], lab, sizeof(lab), true);
		printf(numeric[c] ? "%*s%s" : "%-*s%s", (int)width[c], lab,
		       c + 1 < ncol ? "  " : "\n");
	}
	for (size_t r = 0; r < arr->n; r++) {
		printf("%*s", indent, "");
		for (size_t c = 0; c < ncol; c++) {
			const struct json_value *v = cell_value(arr->items[r], cols[c]);
			scalar_text(cols[c], v ? v : &null_value, cell, sizeof(cell));
			if (c + 1 == ncol && !numeric[c])
				printf("%s\n", cell);
			else
				printf(numeric[c] ? "%*s%s" : "%-*s%s", (int)width[c], cell,
				       c + 1 < ncol ? "  " : "\n");
		}
	}
	/* Nested tables of rows (a port's queues, ...). */
	for (size_t r = 0; r < arr->n; r++) {
		const struct json_value *row = arr->items[r];
		for (size_t k = 0; k < row->n; k++) {
			if (!is_table(row->items[k]))
				continue;
			char id[400] = "";
			if (ncol > 0) {
				const struct json_value *v = cell_value(row, cols[0]);
				if (v) {
					label(cols[0], lab, sizeof(lab), false);
					scalar_text(cols[0], v, cell, sizeof(cell));
					snprintf(id, sizeof(id), "%s %s ", lab, cell);
				}
			}
			label(row->keys[k], lab, sizeof(lab), false);
			printf("%*s%s%s:\n", indent, "", id, lab);
			render_table(row->items[k], indent + 2);
		}
	}
}

/* Members of obj (but those named in skip): scalars first as aligned
 * lines, then blocks. */
static void render_object(const struct json_value *obj, int indent, const char *skip)
{
	size_t w = 0;
	char lab[128], cell[4096];

	for (size_t k = 0; k < obj->n; k++) {
		if (skipped(obj->keys[k], skip))
			continue;
		const struct json_value *v = obj->items[k];
		if (is_scalar(v) || (v->type == JSON_ARRAY && !is_table(v))) {
			label(obj->keys[k], lab, sizeof(lab), false);
			if (strlen(lab) > w)
				w = strlen(lab);
		}
	}
	bool any = false; /* a blank line between blocks, none at the top */
	for (size_t k = 0; k < obj->n; k++) {
		if (skipped(obj->keys[k], skip))
			continue;
		const struct json_value *v = obj->items[k];
		label(obj->keys[k], lab, sizeof(lab), false);
		if (is_scalar(v) || (v->type == JSON_ARRAY && !is_table(v)))
			any = true;
		if (is_scalar(v)) {
			scalar_text(obj->keys[k], v, cell, sizeof(cell));
			printf("%*s%-*s  %s\n", indent, "", (int)w, lab, cell);
		} else if (v->type == JSON_ARRAY && !is_table(v)) {
			printf("%*s%-*s  ", indent, "", (int)w, lab);
			if (v->n == 0)
				printf("-");
			for (size_t i = 0; i < v->n; i++) {
				scalar_text(NULL, v->items[i], cell, sizeof(cell));
				printf("%s%s", i ? ", " : "", cell);
			}
			printf("\n");
		}
	}
	for (size_t k = 0; k < obj->n; k++) {
		if (skipped(obj->keys[k], skip))
			continue;
		const struct json_value *v = obj->items[k];
		label(obj->keys[k], lab, sizeof(lab), false);
		if (v->type == JSON_OBJECT || is_table(v)) {
			printf("%s%*s%s:\n", any ? "\n" : "", indent, "", lab);
			any = true;
			if (v->type == JSON_OBJECT)
				render_object(v, indent + 2, NULL);
			else
				render_table(v, indent + 2);
		}
	}
}

/* ---- requests ------------------------------------------------------------ */

/*
 * Parses a reply.  Returns 0 with *out for {"ok":true}, EXIT_ERROR after
 * printing the daemon's error (prefixed with what) otherwise.
 */
static int check_reply(const char *what, const char *text, struct json_value **out)
{
	char err[256];
	struct json_value *v = json_parse(text, (size_t)-1, err, sizeof(err));
	const struct json_value *ok;

	*out = NULL;
	if (!v || v->type != JSON_OBJECT || !(ok = json_get(v, "ok")) || ok->type != JSON_BOOL) {
		fprintf(stderr, "synackctl: %s: unexpected reply from synackd (%s)\n", what,
		        v ? "no \"ok\" member" : err);
		json_value_free(v);
		return EXIT_ERROR;
	}
	if (!ok->boolean) {
		const struct json_value *e = json_get(v, "error");
		fprintf(stderr, "synackctl: %s: %s\n", what,
		        e && e->type == JSON_STRING ? e->text : "failed");
		if (e && e->type == JSON_STRING && !strcmp(e->text, "permission denied"))
			fprintf(stderr, "synackctl: the control socket is for root and the "
			                "'synack' group\n");
		*out = v;
		return EXIT_ERROR;
	}
	*out = v;
	return 0;
}

struct daemon_opts {
	bool json;
	double timeout_s;
	double watch_s;
	long count;
	bool wait;
};

static int parse_opts(const struct global_options *g, int argc, char **argv, const char *usage,
                      bool stats, bool stop, struct daemon_opts *o)
{
	static const struct option long_stats[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'},
	    {"watch", required_argument, NULL, 'w'},
	    {"count", required_argument, NULL, 'n'},
	    {"wait", no_argument, NULL, 'W'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	o->json = g->json;
	o->timeout_s = 30;
	o->watch_s = 0;
	o->count = 0;
	o->wait = false;
	while ((c = getopt_long(argc, argv, "+jt:w:n:h", long_stats, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 't':
			o->timeout_s = strtod(optarg, &end);
			if (*end || !(o->timeout_s > 0) || o->timeout_s > 86400) {
				fprintf(stderr, "%s: bad --timeout '%s' (seconds)\n", argv[0],
				        optarg);
				return EXIT_USAGE;
			}
			break;
		case 'w':
			if (!stats)
				goto bad;
			o->watch_s = strtod(optarg, &end);
			if (*end || !(o->watch_s >= 0.1) || o->watch_s > 86400) {
				fprintf(stderr, "%s: bad --watch '%s' (seconds, at least 0.1)\n",
				        argv[0], optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (!stats)
				goto bad;
			o->count = strtol(optarg, &end, 10);
			if (*end || o->count < 1) {
				fprintf(stderr, "%s: bad --count '%s'\n", argv[0], optarg);
				return EXIT_USAGE;
			}
			break;
		case 'W':
			if (!stop)
				goto bad;
			o->wait = true;
			break;
		case 'h':
			printf("%s", usage);
			return -1;
		default:
		bad:
			fprintf(stderr, "%s", usage);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n%s", argv[0], argv[optind], usage);
		return EXIT_USAGE;
	}
	if (o->count && !o->watch_s)
		o->watch_s = 1;
	return 0;
}

/* One request, one reply, rendered; the shape of most subcommands. */
static int simple(const struct global_options *g, int argc, char **argv, const char *request,
                  const char *usage, bool stop)
{
	struct daemon_opts o;
	struct conn c = {.path = socket_path(g)};
	char *text = NULL;
	struct json_value *v = NULL;
	int rc = parse_opts(g, argc, argv, usage, false, stop, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	c.timeout_ms = (int)(o.timeout_s * 1000);
	if ((rc = conn_open(&c)) != 0)
		return rc;
	rc = conn_request(&c, request, &text);
	conn_close(&c);
	free(c.buf);
	if (rc) {
		free(text);
		return rc;
	}
	if (o.json)
		printf("%s\n", text);
	rc = check_reply(request, text, &v);
	if (rc == EXIT_ERROR && !strcmp(request, "reload") && v)
		fprintf(stderr, "synackctl: synackd keeps its previous configuration\n");
	if (rc == 0 && !o.json) {
		const struct json_value *msg = json_get(v, "message");
		if (msg && msg->type == JSON_STRING)
			printf("%s\n", msg->text);
		bool more = false;
		for (size_t k = 0; k < v->n; k++)
			if (strcmp(v->keys[k], "ok") && strcmp(v->keys[k], "message"))
				more = true;
		if (more)
			render_object(v, 0, "ok message");
	}
	if (rc == 0 && stop && o.wait) {
		/* Until the socket stops answering (bounded by --timeout). */
		int64_t deadline = now_ms() + (int64_t)(o.timeout_s * 1000);
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c.path);
		for (;;) {
			int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			int gone = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0;
			close(fd);
			if (gone)
				break;
			if (now_ms() > deadline) {
				fprintf(stderr, "synackctl: synackd still running after %g s\n",
				        o.timeout_s);
				rc = EXIT_ERROR;
				break;
			}
			usleep(100000);
		}
		if (!rc && !o.json)
			printf("synackd stopped\n");
	}
	json_value_free(v);
	free(text);
	return rc;
}

static const char usage_status[] =
    "usage: synackctl [--socket PATH] status [--json] [--timeout SECONDS]\n"
    "  version, uptime, ports and links, lcores and roles, data directory, current log\n";
static const char usage_stats[] =
    "usage: synackctl [--socket PATH] stats [--json] [--watch SECONDS [--count N]]\n"
    "                 [--timeout SECONDS]\n"
    "  packet counters per port, queue, worker and the writer, with rates;\n"
    "  --watch repeats every SECONDS (until interrupted, or N times with --count)\n";
static const char usage_rotate[] = "usage: synackctl [--socket PATH] rotate [--timeout SECONDS]\n"
                                   "  close the current hourly log and start a new one\n";
static const char usage_flush[] = "usage: synackctl [--socket PATH] flush [--timeout SECONDS]\n"
                                  "  write buffered records to the log and the database now\n";
static const char usage_reload[] =
    "usage: synackctl [--socket PATH] reload [--timeout SECONDS]\n"
    "  re-read prefixes, exclusions and FTP ports; a broken file keeps the old ones\n";
static const char usage_stop[] =
    "usage: synackctl [--socket PATH] stop [--wait] [--timeout SECONDS]\n"
    "  stop synackd in order; --wait returns once it is gone\n";

int cmd_status(const struct global_options *g, int argc, char **argv)
{
	struct daemon_opts o;
	struct conn c = {.path = socket_path(g)};
	char *text = NULL;
	struct json_value *v = NULL;
	int rc = parse_opts(g, argc, argv, usage_status, false, false, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	c.timeout_ms = (int)(o.timeout_s * 1000);
	if ((rc = conn_open(&c)) != 0)
		return rc;
	rc = conn_request(&c, "status", &text);
	conn_close(&c);
	free(c.buf);
	if (rc) {
		free(text);
		return rc;
	}
	if (o.json)
		printf("%s\n", text);
	rc = check_reply("status", text, &v);
	if (rc == 0 && !o.json)
		render_object(v, 0, "ok");
	json_value_free(v);
	free(text);
	return rc;
}

int cmd_stats(const struct global_options *g, int argc, char **argv)
{
	struct daemon_opts o;
	struct conn c = {.path = socket_path(g)};
	int rc = parse_opts(g, argc, argv, usage_stats, true, false, &o);

	if (rc)
		return rc < 0 ? EXIT_OK : rc;
	c.timeout_ms = (int)(o.timeout_s * 1000);
	if ((rc = conn_open(&c)) != 0)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (long i = 0;; i++) {
		char *text = NULL;
		struct json_value *v = NULL;
		int64_t t0 = now_ms();

		rc = conn_request(&c, "stats", &text);
		if (rc == EXIT_UNREACHABLE && i > 0) {
			/* Long --watch intervals outlive the daemon's idle
			 * timeout: reconnect once. */
			conn_close(&c);
			free(text);
			text = NULL;
			if ((rc = conn_open(&c)) == 0)
				rc = conn_request(&c, "stats", &text);
		}
		if (rc) {
			free(text);
			break;
		}
		if (o.json)
			printf("%s\n", text);
		rc = check_reply("stats", text, &v);
		if (rc == 0 && !o.json) {
			if (o.watch_s) {
				char ts[64];
				time_t now = time(NULL);
				strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", localtime(&now));
				printf("%s--- %s ---\n", i ? "\n" : "", ts);
			}
			render_object(v, 0, "ok");
		}
		json_value_free(v);
		free(text);
		if (rc || !o.watch_s || (o.count && i + 1 >= o.count))
			break;
		int64_t next = t0 + (int64_t)(o.watch_s * 1000);
		for (int64_t t = now_ms(); t < next; t = now_ms())
			usleep(
			    (useconds_t)((next - t) * 1000 > 200000 ? 200000 : (next - t) * 1000));
	}
	conn_close(&c);
	free(c.buf);
	return rc;
}

int cmd_rotate(const struct global_options *g, int argc, char **argv)
{
	return simple(g, argc, argv, "rotate", usage_rotate, false);
}

int cmd_flush(const struct global_options *g, int argc, char **argv)
{
	return simple(g, argc, argv, "flush", usage_flush, false);
}

int cmd_reload(const struct global_options *g, int argc, char **argv)
{
	return simple(g, argc, argv, "reload", usage_reload, false);
}

int cmd_stop(const struct global_options *g, int argc, char **argv)
{
	return simple(g, argc, argv, "stop", usage_stop, true);
}
