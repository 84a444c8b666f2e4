/*
 * config.c - synackd configuration: INI-like parser and validator.
 */
#include "config/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix/prefix_set.h"
#include "util/time_zone.h"

/* Characters of a user name that [security] user accepts (useradd's). */
#define USER_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

/* Characters of a zoneinfo name (Asia/Tokyo, Etc/GMT+9, America/Port-au-Prince). */
#define ZONE_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-."

enum key_id {
	K_LCORES,
	K_MAIN_LCORE,
	K_ALLOW,
	K_VDEV,
	K_MEMORY_MB,
	K_HUGEPAGES,
	K_PCI,
	K_FILE_PREFIX,
	K_EAL_ARGS,
	K_PORT,
	K_RX,
	K_WRITER_LCORE,
	K_INTERNAL,
	K_INTERNAL_FILE,
	K_EXCLUDE,
	K_EXCLUDE_FILE,
	K_SYNACK_RULE,
	K_PEERS,
	K_DATA_DIR,
	K_SENSOR_ID,
	K_FLUSH_INTERVAL,
	K_FSYNC_INTERVAL,
	K_TIMEZONE,
	K_WRITE_LOGS,
	K_WRITE_DB,
	K_FTP,
	K_FTP_SERVICE_PORTS,
	K_FTP_PASSIVE_TIMEOUT,
	K_RING_SIZE,
	K_MBUF_POOL_SIZE,
	K_RX_DESCRIPTORS,
	K_BURST_SIZE,
	K_STATS_INTERVAL,
	K_EXIT_ON_IDLE,
	K_CONTROL_SOCKET,
	K_LOG_RETENTION_DAYS,
	K_DB_RETENTION_DAYS,
	K_MIN_FREE_MB,
	K_ALERTS,
	K_ALERT_EXEC,
	K_ALERT_TIMEOUT,
	K_RETURN_DAYS,
	K_GONE_DAYS,
	K_LEARNING_DAYS,
	K_DROP_CAPABILITIES,
	K_USER,
	K_COUNT
};

_Static_assert(K_COUNT <= sizeof((struct synackd_config *)0)->key_line / sizeof(int),
               "key_line has a slot for every key");

static const struct {
	const char *name;
	const char *section;
} keys[K_COUNT] = {
    [K_LCORES] = {"lcores", "eal"},
    [K_MAIN_LCORE] = {"main_lcore", "eal"},
    [K_ALLOW] = {"allow", "eal"},
    [K_VDEV] = {"vdev", "eal"},
    [K_MEMORY_MB] = {"memory_mb", "eal"},
    [K_HUGEPAGES] = {"hugepages", "eal"},
    [K_PCI] = {"pci", "eal"},
    [K_FILE_PREFIX] = {"file_prefix", "eal"},
    [K_EAL_ARGS] = {"eal_args", "eal"},
    [K_PORT] = {"port", "ports"},
    [K_RX] = {"rx", "lcores"},
    [K_WRITER_LCORE] = {"writer_lcore", "lcores"},
    [K_INTERNAL] = {"internal", "classify"},
    [K_INTERNAL_FILE] = {"internal_file", "classify"},
    [K_EXCLUDE] = {"exclude", "classify"},
    [K_EXCLUDE_FILE] = {"exclude_file", "classify"},
    [K_SYNACK_RULE] = {"synack_rule", "classify"},
    [K_PEERS] = {"peers", "classify"},
    [K_DATA_DIR] = {"data_dir", "writer"},
    [K_SENSOR_ID] = {"sensor_id", "writer"},
    [K_FLUSH_INTERVAL] = {"flush_interval", "writer"},
    [K_FSYNC_INTERVAL] = {"fsync_interval", "writer"},
    [K_TIMEZONE] = {"timezone", "writer"},
    [K_WRITE_LOGS] = {"write_logs", "writer"},
    [K_WRITE_DB] = {"write_db", "writer"},
    [K_FTP] = {"ftp", "ftp"},
    [K_FTP_SERVICE_PORTS] = {"ftp_service_ports", "ftp"},
    [K_FTP_PASSIVE_TIMEOUT] = {"ftp_passive_timeout", "ftp"},
    [K_RING_SIZE] = {"ring_size", "tuning"},
    [K_MBUF_POOL_SIZE] = {"mbuf_pool_size", "tuning"},
    [K_RX_DESCRIPTORS] = {"rx_descriptors", "tuning"},
    [K_BURST_SIZE] = {"burst_size", "tuning"},
    [K_STATS_INTERVAL] = {"stats_interval", "tuning"},
    [K_EXIT_ON_IDLE] = {"exit_on_idle", "tuning"},
    [K_CONTROL_SOCKET] = {"control_socket", "control"},
    [K_LOG_RETENTION_DAYS] = {"log_retention_days", "retention"},
    [K_DB_RETENTION_DAYS] = {"db_retention_days", "retention"},
    [K_MIN_FREE_MB] = {"min_free_mb", "retention"},
    [K_ALERTS] = {"alerts", "alerts"},
    [K_ALERT_EXEC] = {"alert_exec", "alerts"},
    [K_ALERT_TIMEOUT] = {"alert_timeout", "alerts"},
    [K_RETURN_DAYS] = {"return_days", "alerts"},
    [K_GONE_DAYS] = {"gone_days", "alerts"},
    [K_LEARNING_DAYS] = {"learning_days", "alerts"},
    [K_DROP_CAPABILITIES] = {"drop_capabilities", "security"},
    [K_USER] = {"user", "security"},
};

static const char *const sections[] = {"eal",       "ports",  "lcores",  "classify",
                                       "writer",    "ftp",    "tuning",  "control",
                                       "retention", "alerts", "security"};

static const char *line_ref(const struct synackd_config *c, int line, char *buf, size_t n);

struct parse_ctx {
	struct synackd_config *c;
	const char *file;
	int line;
	char *err;
	size_t errlen;
};

/* The byte order mark some editors put at the start of a UTF-8 file. */
#define UTF8_BOM "\xef\xbb\xbf"

/* Longest piece of a line that a message repeats. */
#define ECHO_MAX 64

/* src with every byte that is not printable ASCII written as \xHH, so that
 * no message can carry a terminal control sequence; cut to fit n bytes. */
static void escape_text(char *dst, size_t n, const char *src)
{
	size_t o = 0;
	for (; *src && o + 1 < n; src++) {
		unsigned char ch = (unsigned char)*src;
		if (ch >= 0x20 && ch < 0x7f) {
			dst[o++] = (char)ch;
			continue;
		}
		if (o + 5 > n)
			break;
		snprintf(dst + o, 5, "\\x%02x", ch);
		o += 4;
	}
	dst[o] = '\0';
}

/* s, or its first ECHO_MAX bytes and "...", for a message that repeats it. */
static const char *clip(const char *s, char *buf, size_t n)
{
	if (strlen(s) <= ECHO_MAX || n < ECHO_MAX + 4)
		return s;
	snprintf(buf, n, "%.*s...", ECHO_MAX, s);
	return buf;
}

/* "FILE:LINE: message" (or "FILE: message" without a line) into err. */
static int write_error(char *err, size_t errlen, const char *file, int line, const char *msg)
{
	char raw[1024];
	if (line > 0)
		snprintf(raw, sizeof raw, "%s:%d: %s", file, line, msg);
	else
		snprintf(raw, sizeof raw, "%s: %s", file, msg);
	escape_text(err, errlen, raw);
	return -1;
}

__attribute__((format(printf, 2, 3))) static int fail(struct parse_ctx *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return write_error(p->err, p->errlen, p->file, p->line, msg);
}

/* The CPUs of the process when the first configuration was made: before
 * EAL pins the main thread to one, so that a reload checks the same set. */
static cpu_set_t start_cpus;
static pthread_once_t start_cpus_once = PTHREAD_ONCE_INIT;

static void read_start_cpus(void)
{
	if (sched_getaffinity(0, sizeof start_cpus, &start_cpus) != 0)
		memset(&start_cpus, 0xff, sizeof start_cpus); /* unknown: EAL will tell */
}

void config_defaults(struct synackd_config *c)
{
	memset(c, 0, sizeof *c);
	c->main_lcore = 0;
	c->hugepages = true;
	c->pci = true;
	snprintf(c->file_prefix, sizeof c->file_prefix, "synackd");
	c->writer_lcore = 3;
	snprintf(c->data_dir, sizeof c->data_dir, "/var/lib/synack");
	c->flush_interval_ns = 1000000000ull;
	c->fsync_interval_ns = 60000000000ull;
	snprintf(c->timezone, sizeof c->timezone, "UTC");
	c->write_logs = true;
	c->write_db = true;
	c->ftp = true;
	c->ftp_passive_timeout_ns = 600000000000ull;
	c->ring_size = 65536;
	c->mbuf_pool_size = 0;
	c->rx_descriptors = 4096;
	c->burst_size = 64;
	c->stats_interval_ns = 60000000000ull;
	c->internal_text = strdup("");
	c->exclude_text = strdup("");
	c->log_retention_days = 400;
	c->db_retention_days = 400;
	c->min_free_mb = 1024;
	c->alerts = true;
	c->alert_timeout_ns = 10000000000ull;
	c->return_days = 7;
	c->gone_days = 7;
	c->learning_days = 14;
	c->drop_capabilities = true;
	pthread_once(&start_cpus_once, read_start_cpus);
	c->cpus = start_cpus;
}

void config_free(struct synackd_config *c)
{
	free(c->internal_text);
	free(c->exclude_text);
	c->internal_text = c->exclude_text = NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int config_parse_bool(const char *s, bool *b)
{
	static const char *const t[] = {"yes", "true", "on", "1"};
	static const char *const f[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, t[i]) == 0) {
			*b = true;
			return 0;
		}
		if (strcasecmp(s, f[i]) == 0) {
			*b = false;
			return 0;
		}
	}
	return -1;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Nanoseconds in one unit of a duration ("" = seconds); 0 for no unit. */
static uint64_t unit_ns(const char *u)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {{"", 1000000000ull},    {"s", 1000000000ull},  {"ms", 1000000ull},
	             {"us", 1000ull},        {"m", 60000000000ull}, {"min", 60000000000ull},
	             {"h", 3600000000000ull}};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(u, units[i].name) == 0)
			return units[i].ns;
	return 0;
}

/* "10", "10s", "500ms", "2m", "1h", "1.5s": decimal digits, an optional
 * decimal fraction, an optional unit; plain numbers are seconds. */
int config_parse_duration(const char *s, uint64_t *ns)
{
	const uint64_t limit = 1000000000000000000ull; /* 1e18 ns, 31 years */
	uint64_t whole = 0, frac = 0, scale = 1;
	if (!isdigit((unsigned char)*s))
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		if (whole > limit / 10)
			return -1;
		whole = whole * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return -1;
		for (; isdigit((unsigned char)*s); s++)
			if (scale < 1000000000000ull) { /* further digits are below 1 ns */
				frac = frac * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
	}
	uint64_t mul = unit_ns(s);
	if (mul == 0 || whole > limit / mul)
		return -1;
	uint64_t r = whole * mul + (uint64_t)((double)frac / (double)scale * (double)mul + 0.5);
	if (r > limit)
		return -1;
	*ns = r;
	return 0;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 40 || lb > 40)
		return 99;
	size_t d[41][41];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
			d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	return d[la][lb];
}

static const char *suggest(const char *name, const char *const *cands, size_t n,
                           size_t stride_dummy)
{
	(void)stride_dummy;
	const char *best = NULL;
	size_t bestd = 4;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(name, cands[i]);
		if (d < bestd || (strstr(cands[i], name) && strlen(name) >= 3 && d < 8 && !best)) {
			bestd = d;
			best = cands[i];
		}
	}
	return best;
}

static int append_text(struct parse_ctx *p, char **dst, const char *text)
{
	size_t a = strlen(*dst), b = strlen(text);
	char *n = realloc(*dst, a + b + 2);
	if (!n)
		return fail(p, "out of memory");
	if (a)
		n[a++] = '\n';
	memcpy(n + a, text, b + 1);
	*dst = n;
	return 0;
}

static int check_prefixes(struct parse_ctx *p, const char *key, const char *what, const char *text)
{
	char perr[256];
	struct prefix_set *s = prefix_set_parse(text, perr, sizeof perr);
	if (!s)
		return fail(p, "%s: %s%s", key, what, perr);
	prefix_set_free(s);
	return 0;
}

/* The whole file in a new buffer (NUL after the end); its length in *len. */
static int read_whole(const char *path, char **out, size_t *outlen)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return -1;
	}
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
			cap *= 2;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

static int prefix_key(struct parse_ctx *p, const char *key, char **dst, const char *value,
                      bool is_file)
{
	if (!is_file) {
		if (check_prefixes(p, key, "", value) < 0)
			return -1;
		return append_text(p, dst, value);
	}
	if (*value != '/')
		return fail(p, "%s: '%s' should be an absolute path", key, value);
	char *text;
	size_t len;
	if (read_whole(value, &text, &len) < 0)
		return fail(p, "%s: cannot read '%s': %s", key, value, strerror(errno));
	char what[CONFIG_STR + 16];
	snprintf(what, sizeof what, "in '%s': ", value);
	if (strlen(text) != len) {
		free(text);
		return fail(p, "%s: %sNUL byte in the file", key, what);
	}
	const char *body = strncmp(text, UTF8_BOM, 3) == 0 ? text + 3 : text;
	int rc = check_prefixes(p, key, what, body);
	if (rc == 0)
		rc = append_text(p, dst, body);
	free(text);
	return rc;
}

static int num_key(struct parse_ctx *p, const char *key, const char *v, uint64_t min, uint64_t max,
                   uint64_t *out)
{
	if (parse_u64(v, UINT64_MAX, out) < 0)
		return fail(p, "%s: bad number '%s'", key, v);
	if (*out < min || *out > max)
		return fail(p, "%s: %s is out of range %llu-%llu", key, v, (unsigned long long)min,
		            (unsigned long long)max);
	return 0;
}

static int dur_key(struct parse_ctx *p, const char *key, const char *v, uint64_t *out)
{
	if (config_parse_duration(v, out) < 0)
		return fail(p, "%s: bad duration '%s' (examples: 10, 10s, 500ms, 5m, 1h)", key, v);
	return 0;
}

static int bool_key(struct parse_ctx *p, const char *key, const char *v, bool *out)
{
	if (config_parse_bool(v, out) < 0)
		return fail(p, "%s: expected yes or no, got '%s'", key, v);
	return 0;
}

static int str_key(struct parse_ctx *p, const char *key, const char *v, char *dst, size_t n)
{
	if (strlen(v) >= n)
		return fail(p, "%s: value too long (max %zu characters)", key, n - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* port = NAME [queues=N] */
static int port_key(struct parse_ctx *p, char *v)
{
	struct synackd_config *c = p->c;
	if (c->n_port >= CONFIG_MAX_PORTS)
		return fail(p, "port: too many ports (max %d)", CONFIG_MAX_PORTS);
	char *sp = v;
	while (*sp && !isspace((unsigned char)*sp))
		sp++;
	char *rest = NULL;
	if (*sp) {
		*sp = '\0';
		rest = trim(sp + 1);
	}
	if (*v == '\0')
		return fail(p, "port: missing device name");
	char ref[CONFIG_STR + 16];
	for (unsigned i = 0; i < c->n_port; i++)
		if (strcmp(c->port[i].name, v) == 0)
			return fail(p, "port: '%s' is already port %u (%s)", v, i,
			            line_ref(c, c->port[i].line, ref, sizeof ref));
	struct config_port *pt = &c->port[c->n_port];
	memset(pt, 0, sizeof *pt);
	if (str_key(p, "port", v, pt->name, sizeof pt->name) < 0)
		return -1;
	if (rest && *rest) {
		uint64_t q;
		if (strncmp(rest, "queues=", 7) != 0)
			return fail(p, "port: expected 'queues=N' after the device name, got '%s'",
			            rest);
		if (parse_u64(rest + 7, UINT64_MAX, &q) < 0)
			return fail(p, "port: bad number '%s' in queues=", rest + 7);
		if (q < 1 || q > CONFIG_MAX_QUEUES)
			return fail(p,
			            "port: queues=%llu: more queues than RSS allows (1-%d; 16 on "
			            "82599)",
			            (unsigned long long)q, CONFIG_MAX_QUEUES);
		pt->queues = (unsigned)q;
	}
	pt->line = p->line;
	c->n_port++;
	return 0;
}

/* The three numbers of "PORT,QUEUE,LCORE" (every field present, none
 * empty).  -1 with f[0] = UINT64_MAX when the fields are not three, or
 * with the bad field moved to the start of buf. */
static int rx_fields(char *buf, uint64_t f[3])
{
	char *field = buf;
	for (int i = 0;; i++) {
		char *comma = strchr(field, ',');
		if (comma)
			*comma = '\0';
		char *tok = trim(field);
		if (i >= 3 || *tok == '\0') {
			f[0] = UINT64_MAX;
			return -1;
		}
		if (parse_u64(tok, UINT64_MAX, &f[i]) < 0) {
			memmove(buf, tok, strlen(tok) + 1);
			f[0] = 0;
			return -1;
		}
		if (!comma && i != 2) {
			f[0] = UINT64_MAX;
			return -1;
		}
		if (!comma)
			return 0;
		field = comma + 1;
	}
}

/* rx = PORT,QUEUE,LCORE (like l3fwd's --config (port,queue,lcore)) */
static int rx_key(struct parse_ctx *p, const char *v)
{
	struct synackd_config *c = p->c;
	char buf[CONFIG_STR];
	if (strlen(v) >= sizeof buf)
		return fail(p, "rx: value too long");
	/* accept "(0,0,1)" too */
	const char *s = v;
	if (*s == '(')
		s++;
	snprintf(buf, sizeof buf, "%s", s);
	size_t n = strlen(buf);
	if (n && buf[n - 1] == ')')
		buf[n - 1] = '\0';
	uint64_t f[3];
	if (rx_fields(buf, f) < 0) {
		if (f[0] == UINT64_MAX)
			return fail(p, "rx: expected port,queue,lcore, got '%s'", v);
		return fail(p, "rx: bad number '%s' in '%s' (expected port,queue,lcore)", buf, v);
	}
	if (c->n_rx >= CONFIG_MAX_RX)
		return fail(p, "rx: too many rx lines (max %d)", CONFIG_MAX_RX);
	if (f[1] >= CONFIG_MAX_QUEUES)
		return fail(p, "rx: queue %llu: more queues than RSS allows (0-%d; 16 on 82599)",
		            (unsigned long long)f[1], CONFIG_MAX_QUEUES - 1);
	if (f[2] >= CONFIG_MAX_LCORE)
		return fail(p, "rx: lcore %llu out of range 0-%d", (unsigned long long)f[2],
		            CONFIG_MAX_LCORE - 1);
	if (f[0] >= CONFIG_MAX_PORTS)
		return fail(p, "rx: port %llu out of range 0-%d", (unsigned long long)f[0],
		            CONFIG_MAX_PORTS - 1);
	struct config_rx *r = &c->rx[c->n_rx++];
	r->port = (unsigned)f[0];
	r->queue = (unsigned)f[1];
	r->lcore = (unsigned)f[2];
	r->line = p->line;
	c->rx_given = true;
	return 0;
}

/* Largest CPU number an lcore may be mapped to, plus one. */
#define MAX_CPU CPU_SETSIZE

/* The lcores an EAL lcore list starts, and the CPUs they run on. */
struct lcore_map {
	bool lcore[CONFIG_MAX_LCORE];
	bool cpu[MAX_CPU];
};

/* A decimal number below max at *s; *s moves past it. */
static int parse_id(const char **s, unsigned max, unsigned *id)
{
	unsigned v = 0;
	if (!isdigit((unsigned char)**s))
		return -1;
	for (; isdigit((unsigned char)**s); (*s)++) {
		v = v * 10 + (unsigned)(**s - '0');
		if (v >= max)
			return -1;
	}
	*id = v;
	return 0;
}

/* A number, a range "a-b", or a group "(a,b-c)" at *s, added to set. */
static int parse_id_set(const char **s, bool *set, unsigned max)
{
	bool group = **s == '(';
	if (group)
		(*s)++;
	for (;;) {
		unsigned a, b;
		if (parse_id(s, max, &a) < 0)
			return -1;
		b = a;
		if (**s == '-') {
			(*s)++;
			if (parse_id(s, max, &b) < 0 || b < a)
				return -1;
		}
		for (unsigned i = a; i <= b; i++)
			set[i] = true;
		if (!group)
			return 0;
		if (**s == ')') {
			(*s)++;
			return 0;
		}
		if (**s != ',')
			return -1;
		(*s)++;
	}
}

/* EAL's -l list ("0-3", "0,1,2") or --lcores mapping ("0@0,1@1,(2,3)@(0-1)"):
 * elements LCORES[@CPUS] separated by commas; without @CPUS an lcore runs
 * on the CPU of its own number. */
static int lcore_map_parse(const char *text, struct lcore_map *m)
{
	memset(m, 0, sizeof *m);
	for (const char *s = text;;) {
		bool el[CONFIG_MAX_LCORE] = {false};
		if (parse_id_set(&s, el, CONFIG_MAX_LCORE) < 0)
			return -1;
		bool mapped = *s == '@';
		if (mapped && (s++, parse_id_set(&s, m->cpu, MAX_CPU) < 0))
			return -1;
		for (unsigned i = 0; i < CONFIG_MAX_LCORE; i++) {
			m->lcore[i] = m->lcore[i] || el[i];
			m->cpu[i] = m->cpu[i] || (el[i] && !mapped);
		}
		if (*s == '\0')
			return 0;
		if (*s++ != ',')
			return -1;
	}
}

/* ftp_service_ports: ports 1-65535 separated by commas or spaces; a comma
 * with no port since the previous one is an error, as in prefix lists. */
static int port_list_key(struct parse_ctx *p, char *v)
{
	bool item = false; /* a port since the last comma */
	for (char *s = v; *s;) {
		if (*s == ',' && !item)
			return fail(
			    p, "ftp_service_ports: empty item in '%s' (a comma with no port)", v);
		if (*s == ',' || isspace((unsigned char)*s)) {
			item = item && *s != ',';
			s++;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return fail(p, "ftp_service_ports: bad port list '%s'", v);
		char *end;
		errno = 0;
		unsigned long n = strtoul(s, &end, 10);
		if (errno || n == 0 || n > 65535)
			return fail(p, "ftp_service_ports: port %.*s out of range 1-65535",
			            (int)(end - s), s);
		item = true;
		s = end;
	}
	return str_key(p, keys[K_FTP_SERVICE_PORTS].name, v, p->c->ftp_service_ports,
	               sizeof p->c->ftp_service_ports);
}

/* timezone: UTC or a zone of the zoneinfo database, named by letters,
 * digits and "/_+-" only (the database records it for good). */
static int timezone_key(struct parse_ctx *p, char *v)
{
	if (strspn(v, ZONE_NAME_CHARS) != strlen(v) || *v == '/')
		return fail(p, "timezone: '%s' is not a zone name (example: Asia/Tokyo)", v);
	char zerr[512];
	if (time_zone_check(v, zerr, sizeof zerr) < 0)
		return fail(p, "timezone: %s", zerr);
	return str_key(p, keys[K_TIMEZONE].name, v, p->c->timezone, sizeof p->c->timezone);
}

static int apply(struct parse_ctx *p, enum key_id k, char *v)
{
	struct synackd_config *c = p->c;
	const char *key = keys[k].name;
	uint64_t u;
	c->key_line[k] = p->line;
	switch (k) {
	case K_LCORES: {
		struct lcore_map m;
		if (*v && lcore_map_parse(v, &m) < 0)
			return fail(p, "lcores: bad lcore list '%s' (example: 0-3 or 0,1,2,3)", v);
		return str_key(p, key, v, c->lcores, sizeof c->lcores);
	}
	case K_MAIN_LCORE:
		if (num_key(p, key, v, 0, CONFIG_MAX_LCORE - 1, &u) < 0)
			return -1;
		c->main_lcore = (unsigned)u;
		return 0;
	case K_ALLOW:
		if (c->n_allow >= CONFIG_MAX_LIST)
			return fail(p, "allow: too many devices (max %d)", CONFIG_MAX_LIST);
		return str_key(p, key, v, c->allow[c->n_allow++], CONFIG_STR);
	case K_VDEV:
		if (c->n_vdev >= CONFIG_MAX_LIST)
			return fail(p, "vdev: too many devices (max %d)", CONFIG_MAX_LIST);
		if (strncmp(v, "net_", 4) != 0 && strncmp(v, "crypto_", 7) != 0)
			return fail(p, "vdev: '%s' does not look like a DPDK vdev (net_pcap0,...)",
			            v);
		return str_key(p, key, v, c->vdev[c->n_vdev++], CONFIG_STR);
	case K_MEMORY_MB:
		if (num_key(p, key, v, 0, 1u << 20, &u) < 0)
			return -1;
		c->memory_mb = (unsigned)u;
		return 0;
	case K_HUGEPAGES:
		return bool_key(p, key, v, &c->hugepages);
	case K_PCI:
		return bool_key(p, key, v, &c->pci);
	case K_FILE_PREFIX:
		for (const char *s = v; *s; s++)
			if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
				return fail(
				    p, "file_prefix: '%s' may hold only letters, digits, - _ .", v);
		return str_key(p, key, v, c->file_prefix, sizeof c->file_prefix);
	case K_EAL_ARGS:
		return str_key(p, key, v, c->eal_args, sizeof c->eal_args);
	case K_PORT:
		return port_key(p, v);
	case K_RX:
		return rx_key(p, v);
	case K_WRITER_LCORE:
		if (num_key(p, key, v, 0, CONFIG_MAX_LCORE - 1, &u) < 0)
			return -1;
		c->writer_lcore = (unsigned)u;
		return 0;
	case K_INTERNAL:
		return prefix_key(p, key, &c->internal_text, v, false);
	case K_INTERNAL_FILE:
		return prefix_key(p, key, &c->internal_text, v, true);
	case K_EXCLUDE:
		return prefix_key(p, key, &c->exclude_text, v, false);
	case K_EXCLUDE_FILE:
		return prefix_key(p, key, &c->exclude_text, v, true);
	case K_SYNACK_RULE:
		if (strcmp(v, "default") == 0)
			c->strict = false;
		else if (strcmp(v, "strict") == 0)
			c->strict = true;
		else
			return fail(p, "synack_rule: expected default or strict, got '%s'", v);
		return 0;
	case K_PEERS:
		if (strcmp(v, "external") == 0)
			c->peers_any = false;
		else if (strcmp(v, "any") == 0)
			c->peers_any = true;
		else
			return fail(p, "peers: expected external or any, got '%s'", v);
		return 0;
	case K_DATA_DIR:
		if (*v != '/')
			return fail(p, "data_dir: '%s' should be an absolute path", v);
		return str_key(p, key, v, c->data_dir, sizeof c->data_dir);
	case K_SENSOR_ID:
		if (num_key(p, key, v, 0, UINT32_MAX, &u) < 0)
			return -1;
		c->sensor_id = (uint32_t)u;
		return 0;
	case K_FLUSH_INTERVAL:
		if (dur_key(p, key, v, &c->flush_interval_ns) < 0)
			return -1;
		if (c->flush_interval_ns < 1000000ull)
			return fail(p, "flush_interval: %s is too short (at least 1ms)", v);
		return 0;
	case K_FSYNC_INTERVAL:
		return dur_key(p, key, v, &c->fsync_interval_ns);
	case K_TIMEZONE:
		return timezone_key(p, v);
	case K_WRITE_LOGS:
		return bool_key(p, key, v, &c->write_logs);
	case K_WRITE_DB:
		return bool_key(p, key, v, &c->write_db);
	case K_FTP:
		return bool_key(p, key, v, &c->ftp);
	case K_FTP_SERVICE_PORTS:
		return port_list_key(p, v);
	case K_FTP_PASSIVE_TIMEOUT:
		return dur_key(p, key, v, &c->ftp_passive_timeout_ns);
	case K_RING_SIZE:
		if (num_key(p, key, v, 64, 1u << 26, &u) < 0)
			return -1;
		if (u & (u - 1))
			return fail(p, "ring_size: %s is not a power of two", v);
		c->ring_size = (unsigned)u;
		return 0;
	case K_MBUF_POOL_SIZE:
		if (num_key(p, key, v, 0, 1u << 26, &u) < 0)
			return -1;
		if (u != 0 && u < 1024)
			return fail(
			    p, "mbuf_pool_size: %s is too small (0 = automatic, or >= 1024)", v);
		c->mbuf_pool_size = (unsigned)u;
		return 0;
	case K_RX_DESCRIPTORS:
		if (num_key(p, key, v, 32, 32768, &u) < 0)
			return -1;
		c->rx_descriptors = (unsigned)u;
		return 0;
	case K_BURST_SIZE:
		if (num_key(p, key, v, 1, 512, &u) < 0)
			return -1;
		c->burst_size = (unsigned)u;
		return 0;
	case K_STATS_INTERVAL:
		return dur_key(p, key, v, &c->stats_interval_ns);
	case K_EXIT_ON_IDLE:
		return dur_key(p, key, v, &c->exit_on_idle_ns);
	case K_CONTROL_SOCKET:
		if (*v && *v != '/')
			return fail(p, "control_socket: '%s' should be an absolute path", v);
		return str_key(p, key, v, c->control_socket, sizeof c->control_socket);
	case K_LOG_RETENTION_DAYS:
		if (num_key(p, key, v, 0, 100000, &u) < 0)
			return -1;
		c->log_retention_days = (unsigned)u;
		return 0;
	case K_DB_RETENTION_DAYS:
		if (num_key(p, key, v, 0, 100000, &u) < 0)
			return -1;
		c->db_retention_days = (unsigned)u;
		return 0;
	case K_MIN_FREE_MB:
		if (num_key(p, key, v, 0, 1u << 30, &u) < 0)
			return -1;
		c->min_free_mb = (unsigned)u;
		return 0;
	case K_ALERTS:
		return bool_key(p, key, v, &c->alerts);
	case K_DROP_CAPABILITIES:
		return bool_key(p, key, v, &c->drop_capabilities);
	case K_USER:
		if (*v && (*v == '-' || strspn(v, USER_NAME_CHARS) != strlen(v) || strlen(v) > 32))
			return fail(p, "user: '%s' is not a user name", v);
		return str_key(p, key, v, c->user, sizeof c->user);
	case K_ALERT_EXEC:
		if (*v && *v != '/')
			return fail(p,
			            "alert_exec: '%s' should start with an absolute program path "
			            "(it runs without a shell)",
			            v);
		return str_key(p, key, v, c->alert_exec, sizeof c->alert_exec);
	case K_ALERT_TIMEOUT:
		if (dur_key(p, key, v, &c->alert_timeout_ns) < 0)
			return -1;
		if (c->alert_timeout_ns < 1000000000ull)
			return fail(p, "alert_timeout: %s is too short (at least 1s)", v);
		if (c->alert_timeout_ns > 86400000000000ull)
			return fail(p, "alert_timeout: %s is too long (at most 1 day)", v);
		return 0;
	case K_RETURN_DAYS:
		if (num_key(p, key, v, 1, 100000, &u) < 0)
			return -1;
		c->return_days = (unsigned)u;
		return 0;
	case K_GONE_DAYS:
		if (num_key(p, key, v, 0, 100000, &u) < 0)
			return -1;
		c->gone_days = (unsigned)u;
		return 0;
	case K_LEARNING_DAYS:
		if (num_key(p, key, v, 0, 100000, &u) < 0)
			return -1;
		c->learning_days = (unsigned)u;
		return 0;
	case K_COUNT:
		break;
	}
	return fail(p, "internal error");
}

static int find_key(const char *name)
{
	for (int k = 0; k < K_COUNT; k++)
		if (strcmp(keys[k].name, name) == 0)
			return k;
	return -1;
}

static int unknown_key(struct parse_ctx *p, const char *name)
{
	const char *names[K_COUNT];
	for (int k = 0; k < K_COUNT; k++)
		names[k] = keys[k].name;
	const char *s = suggest(name, names, K_COUNT, 0);
	char buf[ECHO_MAX + 4];
	if (s)
		return fail(p, "unknown key '%s' (did you mean '%s'?)", clip(name, buf, sizeof buf),
		            s);
	return fail(p, "unknown key '%s'", clip(name, buf, sizeof buf));
}

/* Cut the line at its comment: a '#' at the start or after whitespace, and
 * outside double quotes.  A quote left open is an error. */
static int strip_comment(struct parse_ctx *p, char *line)
{
	bool quoted = false;
	for (char *s = line; *s; s++) {
		if (*s == '"')
			quoted = !quoted;
		else if (*s == '#' && !quoted && (s == line || isspace((unsigned char)s[-1]))) {
			*s = '\0';
			break;
		}
	}
	if (quoted)
		return fail(p, "unbalanced quote: a '\"' is never closed");
	return 0;
}

static int parse_line(struct parse_ctx *p, char *line, char *section, size_t seclen)
{
	if (strip_comment(p, line) < 0)
		return -1;
	char *l = trim(line);
	char buf[ECHO_MAX + 4];
	if (*l == '\0')
		return 0;
	if (*l == '[') {
		size_t n = strlen(l);
		if (l[n - 1] != ']')
			return fail(p, "section header '%s' lacks ']'", clip(l, buf, sizeof buf));
		l[n - 1] = '\0';
		char *name = trim(l + 1);
		for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
			if (strcmp(sections[i], name) == 0) {
				snprintf(section, seclen, "%s", name);
				return 0;
			}
		const char *s = suggest(name, sections, sizeof sections / sizeof sections[0], 0);
		const char *shown = clip(name, buf, sizeof buf);
		if (s)
			return fail(p, "unknown section [%s] (did you mean [%s]?)", shown, s);
		return fail(p, "unknown section [%s]", shown);
	}
	char *eq = strchr(l, '=');
	if (!eq)
		return fail(p, "expected 'key = value', got '%s'", clip(l, buf, sizeof buf));
	*eq = '\0';
	char *key = trim(l), *value = trim(eq + 1);
	if (*key == '\0')
		return fail(p, "missing key before '='");
	/* optional quotes around the value */
	size_t vn = strlen(value);
	if (vn >= 2 && value[0] == '"' && value[vn - 1] == '"') {
		value[vn - 1] = '\0';
		value++;
	}
	int k = find_key(key);
	if (k < 0)
		return unknown_key(p, key);
	if (*section && strcmp(section, keys[k].section) != 0)
		return fail(p, "key '%s' belongs in section [%s], not [%s]", key, keys[k].section,
		            section);
	if (*value == '\0' && k != K_CONTROL_SOCKET && k != K_EAL_ARGS && k != K_INTERNAL &&
	    k != K_EXCLUDE && k != K_FTP_SERVICE_PORTS && k != K_LCORES && k != K_ALERT_EXEC)
		return fail(p, "%s: missing value", key);
	return apply(p, (enum key_id)k, value);
}

/* One line of text (without its newline) parsed in a buffer of its own. */
static int parse_one_line(struct parse_ctx *p, const char *s, size_t n, char *section,
                          size_t seclen)
{
	if (memchr(s, '\0', n) != NULL)
		return fail(p, "NUL byte in line");
	char *line = malloc(n + 1);
	if (!line)
		return fail(p, "out of memory");
	memcpy(line, s, n);
	line[n] = '\0';
	int rc = parse_line(p, line, section, seclen);
	free(line);
	return rc;
}

int config_parse_buffer(struct synackd_config *c, const char *name, const char *text, size_t len,
                        char *err, size_t errlen)
{
	struct parse_ctx p = {c, name, 0, err, errlen};
	char section[32] = "";
	const char *s = text, *end = text + len;
	if (len >= 3 && memcmp(text, UTF8_BOM, 3) == 0)
		s += 3; /* written by some Windows editors */
	while (s < end) {
		const char *e = memchr(s, '\n', (size_t)(end - s));
		size_t n = e ? (size_t)(e - s) : (size_t)(end - s);
		p.line++;
		if (parse_one_line(&p, s, n, section, sizeof section) < 0)
			return -1;
		s += n + (e != NULL);
	}
	return 0;
}

int config_parse_text(struct synackd_config *c, const char *name, const char *text, char *err,
                      size_t errlen)
{
	return config_parse_buffer(c, name, text, strlen(text), err, errlen);
}

int config_load(struct synackd_config *c, const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	if (read_whole(path, &text, &len) < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	snprintf(c->path, sizeof c->path, "%s", path);
	int rc = config_parse_buffer(c, path, text, len, err, errlen);
	free(text);
	return rc;
}

int config_set(struct synackd_config *c, const char *key, const char *value, char *err,
               size_t errlen)
{
	return config_set_option(c, NULL, key, value, err, errlen);
}

int config_set_option(struct synackd_config *c, const char *option, const char *key,
                      const char *value, char *err, size_t errlen)
{
	struct parse_ctx p = {c, "command line", CONFIG_LINE_COMMAND, err, errlen};
	if (c->n_cmdline < CONFIG_MAX_SET) {
		if (option)
			snprintf(c->cmdline[c->n_cmdline], sizeof c->cmdline[0], "%s %s", option,
			         value);
		else
			snprintf(c->cmdline[c->n_cmdline], sizeof c->cmdline[0], "--set %s=%s", key,
			         value);
		p.line = -1 - (int)c->n_cmdline++;
	}
	int k = find_key(key);
	if (k < 0)
		return unknown_key(&p, key);
	char *v = strdup(value);
	if (!v)
		return fail(&p, "out of memory");
	int rc = apply(&p, (enum key_id)k, v);
	free(v);
	return rc;
}

const char *config_origin(const struct synackd_config *c, int line, char *buf, size_t n)
{
	const char *file = c->path[0] ? c->path : "configuration";
	unsigned set = line < 0 && line != CONFIG_LINE_COMMAND ? (unsigned)(-1 - line) : ~0u;
	if (line > 0)
		snprintf(buf, n, "%s:%d", file, line);
	else if (line < 0 && set < c->n_cmdline)
		snprintf(buf, n, "command line: %s", c->cmdline[set]);
	else if (line < 0)
		snprintf(buf, n, "command line");
	else
		snprintf(buf, n, "%s", file);
	return buf;
}

/* Where a setting came from, inside a message: "line 3" or "--set rx=0,0,1". */
static const char *line_ref(const struct synackd_config *c, int line, char *buf, size_t n)
{
	if (line > 0)
		snprintf(buf, n, "line %d", line);
	else if (line < 0 && line != CONFIG_LINE_COMMAND && (unsigned)(-1 - line) < c->n_cmdline)
		snprintf(buf, n, "%s", c->cmdline[-1 - line]);
	else
		snprintf(buf, n, line < 0 ? "command line" : "default");
	return buf;
}

/* Messages of the validator name the line of the key involved. */
static int vfail(struct synackd_config *c, char *err, size_t errlen, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int vfail(struct synackd_config *c, char *err, size_t errlen, int line, const char *fmt, ...)
{
	char msg[512], where[CONFIG_STR + 32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return write_error(err, errlen, config_origin(c, line, where, sizeof where), 0, msg);
}

int config_lcore_role(const struct synackd_config *c, unsigned lcore)
{
	if (lcore == c->main_lcore)
		return 0;
	if (lcore == c->writer_lcore)
		return 2;
	for (unsigned i = 0; i < c->n_rx; i++)
		if (c->rx[i].lcore == lcore)
			return 1;
	return -1;
}

/* [security] user: an existing user other than root, and capabilities
 * dropped (becoming that user drops them anyway). */
static int validate_user(struct synackd_config *c, char *err, size_t errlen)
{
	if (!c->user[0])
		return 0;
	int line = c->key_line[K_USER];
	if (!c->drop_capabilities)
		return vfail(c, err, errlen, line,
		             "user = %s needs drop_capabilities = yes: a process of another user "
		             "has no capability",
		             c->user);
	errno = 0;
	const struct passwd *pw = getpwnam(c->user);
	if (!pw)
		return vfail(c, err, errlen, line, "user '%s': %s", c->user,
		             errno ? strerror(errno) : "no such user (see config/synack.sysusers)");
	if (pw->pw_uid == 0)
		return vfail(c, err, errlen, line,
		             "user '%s' has uid 0; leave user unset to stay uid 0", c->user);
	c->user_uid = pw->pw_uid;
	c->user_gid = pw->pw_gid;
	return 0;
}

/* "0-1,4" for the CPUs in set. */
static void cpu_list(const cpu_set_t *set, char *buf, size_t n)
{
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < MAX_CPU && o < n; i++) {
		if (!CPU_ISSET(i, set) || (i > 0 && CPU_ISSET(i - 1, set)))
			continue;
		unsigned j = i;
		while (j + 1 < MAX_CPU && CPU_ISSET(j + 1, set))
			j++;
		if (j == i)
			o += (size_t)snprintf(buf + o, n - o, "%s%u", o ? "," : "", i);
		else
			o += (size_t)snprintf(buf + o, n - o, "%s%u-%u", o ? "," : "", i, j);
	}
}

/* The line to blame for lcore l's role when lcores is empty. */
static int role_line(const struct synackd_config *c, unsigned l)
{
	if (l == c->main_lcore)
		return c->key_line[K_MAIN_LCORE];
	if (l == c->writer_lcore)
		return c->key_line[K_WRITER_LCORE];
	for (unsigned i = 0; i < c->n_rx; i++)
		if (c->rx[i].lcore == l)
			return c->rx_given ? c->rx[i].line : 0;
	return 0;
}

/* Every CPU an lcore runs on must be one this process may use. */
static int validate_cpus(struct synackd_config *c, const struct lcore_map *m, char *err,
                         size_t errlen)
{
	char list[256];
	cpu_list(&c->cpus, list, sizeof list);
	for (unsigned cpu = 0; cpu < MAX_CPU; cpu++) {
		if (!m->cpu[cpu] || CPU_ISSET(cpu, &c->cpus))
			continue;
		if (c->lcores[0])
			return vfail(c, err, errlen, c->key_line[K_LCORES],
			             "lcores: CPU %u is not one this process may run on (CPUs %s)",
			             cpu, list);
		return vfail(c, err, errlen, role_line(c, cpu),
		             "lcore %u would run on CPU %u, which this process may not use (CPUs "
		             "%s); map the lcores onto them (lcores = 0@0,1@1,2@0,...)",
		             cpu, cpu, list);
	}
	return 0;
}

/* main_lcore, writer_lcore and every rx lcore must be in lcores, and every
 * CPU of lcores one the process may run on.  Empty lcores: the lcores with
 * a role, each on the CPU of its number (what the daemon passes as -l). */
static int validate_lcores(struct synackd_config *c, char *err, size_t errlen)
{
	struct lcore_map m;
	int line = c->key_line[K_LCORES];
	if (!c->lcores[0]) {
		memset(&m, 0, sizeof m);
		for (unsigned l = 0; l < CONFIG_MAX_LCORE; l++)
			m.lcore[l] = m.cpu[l] = config_lcore_role(c, l) >= 0;
		return validate_cpus(c, &m, err, errlen);
	}
	if (lcore_map_parse(c->lcores, &m) < 0)
		return vfail(c, err, errlen, line,
		             "lcores: bad lcore list '%s' (example: 0-3 or 0,1,2,3)", c->lcores);
	int ml = c->key_line[K_MAIN_LCORE], wl = c->key_line[K_WRITER_LCORE];
	if (!m.lcore[c->main_lcore])
		return vfail(c, err, errlen, ml ? ml : line, "main_lcore %u is not in lcores '%s'",
		             c->main_lcore, c->lcores);
	if (!m.lcore[c->writer_lcore])
		return vfail(c, err, errlen, wl ? wl : line,
		             "writer_lcore %u is not in lcores '%s'", c->writer_lcore, c->lcores);
	for (unsigned i = 0; i < c->n_rx; i++)
		if (!m.lcore[c->rx[i].lcore])
			return vfail(c, err, errlen, c->rx_given ? c->rx[i].line : line,
			             "rx: lcore %u (port %u queue %u) is not in lcores '%s'",
			             c->rx[i].lcore, c->rx[i].port, c->rx[i].queue, c->lcores);
	return validate_cpus(c, &m, err, errlen);
}

/* Add "ORIGIN: message" to c's warnings (the first CONFIG_MAX_WARN). */
__attribute__((format(printf, 3, 4))) static void warn(struct synackd_config *c, int line,
                                                       const char *fmt, ...)
{
	char msg[512], where[CONFIG_STR + 32];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (c->n_warning >= CONFIG_MAX_WARN)
		return;
	char *w = c->warning[c->n_warning++];
	write_error(w, sizeof c->warning[0], config_origin(c, line, where, sizeof where), 0, msg);
}

/* The address of "ADDR/LEN" into addr (16 bytes; IPv4 in the first 4). */
static int cidr_addr(const char *cidr, uint8_t addr[16], bool *v6)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%.*s", (int)strcspn(cidr, "/"), cidr);
	*v6 = strchr(buf, ':') != NULL;
	return inet_pton(*v6 ? AF_INET6 : AF_INET, buf, addr) == 1 ? 0 : -1;
}

static bool set_contains(const struct prefix_set *s, const uint8_t addr[16], bool v6)
{
	return v6 ? prefix_set_contains6(s, addr) : prefix_set_contains4(s, addr);
}

/* Whether the prefix cidr shares an address with set (prefixes are nested or
 * disjoint: one holds the other's first address). */
static bool cidr_meets(const char *cidr, const struct prefix_set *set, const char *set_text)
{
	uint8_t a[16];
	bool v6;
	if (cidr_addr(cidr, a, &v6) < 0 || set_contains(set, a, v6))
		return true;
	struct prefix_set *one = prefix_set_parse(cidr, NULL, 0);
	bool met = false;
	char *copy = strdup(set_text), *save = NULL;
	for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t && !met && one;
	     t = strtok_r(NULL, ", ", &save))
		met = cidr_addr(t, a, &v6) == 0 && set_contains(one, a, v6);
	free(copy);
	prefix_set_free(one);
	return met || !one;
}

/* The canonical text of set, in a new buffer. */
static char *set_text(const struct prefix_set *set)
{
	size_t n = prefix_set_format(set, NULL, 0) + 1;
	char *t = malloc(n);
	if (t)
		prefix_set_format(set, t, n);
	return t;
}

/* Exclusions outside internal, exclusions covering it, and internal = every
 * address with peers = external: valid, but nothing can ever match. */
void config_warn_never_match(struct synackd_config *c)
{
	int xl = c->key_line[K_EXCLUDE] ? c->key_line[K_EXCLUDE] : c->key_line[K_EXCLUDE_FILE];
	int il = c->key_line[K_INTERNAL] ? c->key_line[K_INTERNAL] : c->key_line[K_INTERNAL_FILE];
	struct prefix_set *in = prefix_set_parse(c->internal_text, NULL, 0);
	struct prefix_set *ex = prefix_set_parse(c->exclude_text, NULL, 0);
	size_t n = strlen(c->internal_text) + strlen(c->exclude_text) + 2;
	char *both = malloc(n);
	if (both)
		snprintf(both, n, "%s\n%s", c->internal_text, c->exclude_text);
	struct prefix_set *un = both ? prefix_set_parse(both, NULL, 0) : NULL;
	char *tin = in ? set_text(in) : NULL, *tex = ex ? set_text(ex) : NULL;
	char *tun = un ? set_text(un) : NULL;
	if (tin && tex && tun) {
		char *save = NULL;
		for (char *t = strtok_r(tex, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
			if (!cidr_meets(t, in, tin))
				warn(c, xl,
				     "exclude: %s lies outside every internal prefix; it excludes "
				     "nothing",
				     t);
		free(tex);
		tex = ex ? set_text(ex) : NULL;
		if (tex && *tex && strcmp(tun, tex) == 0)
			warn(c, xl, "exclude covers every internal prefix: no SYN+ACK is kept");
	}
	if (tin && strcmp(tin, "0.0.0.0/0, ::/0") == 0 && !c->peers_any)
		warn(c, c->key_line[K_PEERS] ? c->key_line[K_PEERS] : il,
		     "internal covers every address and peers = external: no peer is external, "
		     "no SYN+ACK is kept");
	free(tin);
	free(tex);
	free(tun);
	free(both);
	prefix_set_free(in);
	prefix_set_free(ex);
	prefix_set_free(un);
}

int config_validate(struct synackd_config *c, char *err, size_t errlen)
{
	c->n_warning = 0;
	if (c->n_port == 0)
		return vfail(c, err, errlen, 0, "no port configured (port = PCI address or vdev)");
	if (c->writer_lcore == c->main_lcore)
		return vfail(c, err, errlen, c->key_line[K_WRITER_LCORE],
		             "writer_lcore %u is the main lcore; give the writer its own lcore",
		             c->writer_lcore);
	if (!c->rx_given) {
		/* default: one worker per queue, lcores after main, skipping the writer */
		unsigned l = 0;
		c->n_rx = 0;
		for (unsigned pi = 0; pi < c->n_port; pi++) {
			unsigned nq = c->port[pi].queues ? c->port[pi].queues : 1;
			for (unsigned q = 0; q < nq; q++) {
				while (l == c->main_lcore || l == c->writer_lcore)
					l++;
				if (c->n_rx >= CONFIG_MAX_RX || l >= CONFIG_MAX_LCORE)
					return vfail(c, err, errlen, c->port[pi].line,
					             "too many queues to give each its own lcore");
				c->rx[c->n_rx++] = (struct config_rx){pi, q, l++, c->port[pi].line};
			}
		}
	}
	for (unsigned i = 0; i < c->n_rx; i++) {
		struct config_rx *r = &c->rx[i];
		if (r->port >= c->n_port)
			return vfail(c, err, errlen, r->line,
			             "rx: port %u is not configured (%u port%s: 0-%u)", r->port,
			             c->n_port, c->n_port == 1 ? "" : "s", c->n_port - 1);
		if (r->lcore == c->main_lcore)
			return vfail(c, err, errlen, r->line,
			             "rx: lcore %u is the main lcore; it cannot also be a worker",
			             r->lcore);
		if (r->lcore == c->writer_lcore)
			return vfail(c, err, errlen, r->line,
			             "rx: lcore %u is the writer lcore (writer_lcore); it cannot "
			             "also be a worker",
			             r->lcore);
		char ref[CONFIG_STR + 16];
		for (unsigned j = 0; j < i; j++)
			if (c->rx[j].port == r->port && c->rx[j].queue == r->queue)
				return vfail(c, err, errlen, r->line,
				             "rx: port %u queue %u is already served by lcore %u "
				             "(%s)",
				             r->port, r->queue, c->rx[j].lcore,
				             line_ref(c, c->rx[j].line, ref, sizeof ref));
	}
	if (validate_lcores(c, err, errlen) < 0)
		return -1;
	/* every queue of every port served; queue counts consistent */
	for (unsigned pi = 0; pi < c->n_port; pi++) {
		unsigned maxq = 0, n = 0;
		for (unsigned i = 0; i < c->n_rx; i++)
			if (c->rx[i].port == pi) {
				n++;
				if (c->rx[i].queue + 1 > maxq)
					maxq = c->rx[i].queue + 1;
			}
		if (n == 0)
			return vfail(c, err, errlen, c->port[pi].line,
			             "port %u (%s) has no rx line: no lcore serves it", pi,
			             c->port[pi].name);
		if (c->port[pi].queues && maxq > c->port[pi].queues)
			return vfail(c, err, errlen, c->port[pi].line,
			             "port %u (%s) has queues=%u but an rx line serves queue %u",
			             pi, c->port[pi].name, c->port[pi].queues, maxq - 1);
		unsigned nq = c->port[pi].queues ? c->port[pi].queues : maxq;
		if (nq > CONFIG_MAX_QUEUES)
			return vfail(c, err, errlen, c->port[pi].line,
			             "port %u: %u queues, more than RSS allows (16 on 82599)", pi,
			             nq);
		for (unsigned q = 0; q < nq; q++) {
			bool found = false;
			for (unsigned i = 0; i < c->n_rx; i++)
				if (c->rx[i].port == pi && c->rx[i].queue == q)
					found = true;
			if (!found)
				return vfail(
				    c, err, errlen, c->port[pi].line,
				    "port %u (%s) queue %u is served by no lcore (add rx = "
				    "%u,%u,LCORE)",
				    pi, c->port[pi].name, q, pi, q);
		}
		c->port[pi].queues = nq;
	}
	if (c->burst_size > c->rx_descriptors)
		return vfail(c, err, errlen, c->key_line[K_BURST_SIZE],
		             "burst_size %u is larger than rx_descriptors %u", c->burst_size,
		             c->rx_descriptors);
	if (c->ring_size < c->burst_size * 2)
		return vfail(c, err, errlen, c->key_line[K_RING_SIZE],
		             "ring_size %u is smaller than twice burst_size (%u)", c->ring_size,
		             c->burst_size);
	if (c->internal_text == NULL ||
	    strspn(c->internal_text, " \t\r\n,") == strlen(c->internal_text)) {
		return vfail(c, err, errlen, 0,
		             "no internal prefixes (internal = ... or internal_file = ...)");
	}
	if (validate_user(c, err, errlen) < 0)
		return -1;
	config_warn_never_match(c);
	return 0;
}
