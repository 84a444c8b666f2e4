/*
 * scan.c - importers for nmap XML, masscan (-oL, -oJ, -oD, -oX) and
 * Nessus v2 files; coverage of each file (see scan.h).
 */
#include "importers/scan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/json_in.h"
#include "importers/xml.h"

void scan_set_init(struct scan_set *s)
{
	memset(s, 0, sizeof(*s));
}

void scan_set_free(struct scan_set *s)
{
	for (size_t i = 0; i < s->ncover; i++) {
		free(s->cover[i].file);
		free(s->cover[i].hosts);
	}
	free(s->cover);
	free(s->svc);
	memset(s, 0, sizeof(*s));
}

int scan_addr_parse(const char *text, struct scan_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (strchr(text, ':')) {
		if (inet_pton(AF_INET6, text, out->a) != 1)
			return -1;
		out->family = 6;
		return 0;
	}
	if (inet_pton(AF_INET, text, out->a) != 1)
		return -1;
	out->family = 4;
	return 0;
}

int scan_addr_cmp(const struct scan_addr *x, const struct scan_addr *y)
{
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->a, y->a, 16);
}

void scan_addr_text(const struct scan_addr *a, char *out, size_t outlen)
{
	if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, out, (socklen_t)outlen))
		snprintf(out, outlen, "?");
}

static void bit_set(uint8_t *b, unsigned port)
{
	b[port >> 3] |= (uint8_t)(1u << (port & 7));
}

static bool bit_get(const uint8_t *b, unsigned port)
{
	return (b[port >> 3] >> (port & 7)) & 1;
}

static int parse_uint(const char *s, size_t n, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	if (n == 0 || n > 10)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int scan_parse_ports(const char *list, uint8_t *bitmap)
{
	const char *p = list;
	int tcp = 1; /* entries before any T:/U:/S: prefix are TCP */
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		if ((p[0] == 'T' || p[0] == 'U' || p[0] == 'S' || p[0] == 'P') && p[1] == ':') {
			tcp = p[0] == 'T';
			p += 2;
		}
		const char *e = p;
		while (*e && *e != ',' && *e != ' ')
			e++;
		const char *dash = memchr(p, '-', (size_t)(e - p));
		unsigned long lo, hi;
		if (dash) {
			if (parse_uint(p, (size_t)(dash - p), 65535, &lo) ||
			    parse_uint(dash + 1, (size_t)(e - dash - 1), 65535, &hi) || hi < lo)
				return -1;
		} else {
			if (parse_uint(p, (size_t)(e - p), 65535, &lo))
				return -1;
			hi = lo;
		}
		if (tcp)
			for (unsigned long v = lo; v <= hi; v++)
				bit_set(bitmap, (unsigned)v);
		p = e;
	}
	return 0;
}

/* --- building a set ------------------------------------------------- */

static struct scan_cover *new_cover(struct scan_set *s, const char *file, enum scan_kind kind)
{
	struct scan_cover *c = realloc(s->cover, (s->ncover + 1) * sizeof(*c));
	if (!c)
		return NULL;
	s->cover = c;
	c = &s->cover[s->ncover];
	memset(c, 0, sizeof(*c));
	c->file = strdup(file);
	if (!c->file)
		return NULL;
	c->kind = kind;
	snprintf(c->ports_from, sizeof(c->ports_from), "reported");
	s->ncover++;
	return c;
}

static int add_host(struct scan_cover *c, const struct scan_addr *a)
{
	if (c->nhosts == c->hosts_cap) {
		size_t cap = c->hosts_cap ? c->hosts_cap * 2 : 64;
		struct scan_addr *h = realloc(c->hosts, cap * sizeof(*h));
		if (!h)
			return -1;
		c->hosts = h;
		c->hosts_cap = cap;
	}
	c->hosts[c->nhosts++] = *a;
	return 0;
}

static int add_svc(struct scan_set *s, const struct scan_cover *c, const struct scan_addr *a,
                   unsigned port, const char *name)
{
	if (s->nsvc == s->svc_cap) {
		size_t cap = s->svc_cap ? s->svc_cap * 2 : 256;
		struct scan_svc *v = realloc(s->svc, cap * sizeof(*v));
		if (!v)
			return -1;
		s->svc = v;
		s->svc_cap = cap;
	}
	struct scan_svc *v = &s->svc[s->nsvc++];
	memset(v, 0, sizeof(*v));
	v->addr = *a;
	v->port = (uint16_t)port;
	v->kinds = (uint8_t)c->kind;
	if (name)
		snprintf(v->name, sizeof(v->name), "%s", name);
	return 0;
}

static int cmp_addr_q(const void *x, const void *y)
{
	return scan_addr_cmp(x, y);
}

static int cmp_svc(const void *x, const void *y)
{
	const struct scan_svc *a = x, *b = y;
	int c = scan_addr_cmp(&a->addr, &b->addr);
	if (c)
		return c;
	return (a->port > b->port) - (a->port < b->port);
}

/* Sorts v[0..n) by address and port and merges repeats (two Nessus plugins
 * on one port, a masscan banner line after the open line): the kinds are
 * joined, the first name given is kept.  Returns the new count. */
static size_t merge_services(struct scan_svc *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_svc);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (o && cmp_svc(&v[o - 1], &v[i]) == 0) {
			v[o - 1].kinds |= v[i].kinds;
			if (!v[o - 1].name[0])
				memcpy(v[o - 1].name, v[i].name, sizeof(v[i].name));
			continue;
		}
		v[o++] = v[i];
	}
	return o;
}

static void unique_hosts(struct scan_cover *c)
{
	if (!c->nhosts)
		return;
	qsort(c->hosts, c->nhosts, sizeof(*c->hosts), cmp_addr_q);
	size_t o = 0;
	for (size_t i = 0; i < c->nhosts; i++)
		if (o == 0 || scan_addr_cmp(&c->hosts[o - 1], &c->hosts[i]) != 0)
			c->hosts[o++] = c->hosts[i];
	c->nhosts = o;
}

/* End of a file: sort its hosts and services (first = index of the file's
 * first service in s->svc), count its open services, fill "reported"
 * ports.  Port 0 is never probed (it is never an open port either).  A
 * masscan file that reports nothing covers no host: what it probed is
 * unknown. */
static void finish_cover(struct scan_set *s, struct scan_cover *c, size_t first, bool ports_known)
{
	unique_hosts(c);
	c->open_ports = s->nsvc > first ? merge_services(s->svc + first, s->nsvc - first) : 0;
	s->nsvc = first + c->open_ports;
	if (!ports_known)
		for (size_t i = first; i < s->nsvc; i++)
			bit_set(c->ports, s->svc[i].port);
	c->ports[0] &= (uint8_t)~1u;
	if (c->all_hosts && c->open_ports == 0)
		c->all_hosts = false;
}

int scan_set_finish(struct scan_set *s)
{
	s->nsvc = merge_services(s->svc, s->nsvc);
	return 0;
}

const struct scan_svc *scan_find(const struct scan_set *s, const struct scan_addr *a, uint16_t port)
{
	struct scan_svc key;
	if (!s->nsvc)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.addr = *a;
	key.port = port;
	return bsearch(&key, s->svc, s->nsvc, sizeof(*s->svc), cmp_svc);
}

static bool cover_has_host(const struct scan_cover *c, const struct scan_addr *a)
{
	if (c->all_hosts)
		return true;
	return c->nhosts && bsearch(a, c->hosts, c->nhosts, sizeof(*a), cmp_addr_q) != NULL;
}

bool scan_covered(const struct scan_set *s, const struct scan_addr *a, uint16_t port)
{
	for (size_t i = 0; i < s->ncover; i++)
		if (bit_get(s->cover[i].ports, port) && cover_has_host(&s->cover[i], a))
			return true;
	return false;
}

bool scan_port_covered(const struct scan_set *s, uint16_t port)
{
	for (size_t i = 0; i < s->ncover; i++)
		if (bit_get(s->cover[i].ports, port))
			return true;
	return false;
}

bool scan_host_covered(const struct scan_set *s, const struct scan_addr *a)
{
	for (size_t i = 0; i < s->ncover; i++)
		if (cover_has_host(&s->cover[i], a))
			return true;
	return false;
}

__attribute__((format(printf, 3, 4))) static int errf(char *err, size_t errlen, const char *fmt,
                                                      ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* --- nmap XML (and masscan -oX, which uses the same shape) ---------- */

struct host_port {
	unsigned port;
	char name[32];
};

struct host_acc {
	struct scan_addr addr;
	bool has_addr;
	bool up;
	struct host_port *ports;
	size_t n, cap;
};

static int host_port_add(struct host_acc *h, unsigned port, const char *name)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		struct host_port *p = realloc(h->ports, cap * sizeof(*p));
		if (!p)
			return -1;
		h->ports = p;
		h->cap = cap;
	}
	h->ports[h->n].port = port;
	snprintf(h->ports[h->n].name, sizeof(h->ports[h->n].name), "%s", name ? name : "");
	h->n++;
	return 0;
}

static int host_flush(struct scan_set *s, struct scan_cover *c, struct host_acc *h)
{
	if (add_host(c, &h->addr) != 0)
		return -1;
	if (h->up)
		c->hosts_up++;
	for (size_t i = 0; i < h->n; i++)
		if (add_svc(s, c, &h->addr, h->ports[i].port, h->ports[i].name) != 0)
			return -1;
	return 0;
}

static int parse_nmap_xml(struct scan_set *s, const char *name, const char *buf, size_t len,
                          enum scan_kind want, char *err, size_t errlen)
{
	struct xml_parser p;
	struct xml_event ev;
	struct host_acc h;
	memset(&h, 0, sizeof(h));
	int rc = -1;
	bool in_host = false, in_port = false, port_tcp = false, port_open = false;
	bool ports_known = false;
	unsigned port = 0;
	char svc[32] = "";
	int host_line = 0;
	size_t first = s->nsvc;
	struct scan_cover *c = NULL;

	xml_init(&p, name, buf, len);
	for (;;) {
		int t = xml_next(&p, &ev);
		if (t == XML_ERROR) {
			errf(err, errlen, "%s", xml_error(&p));
			goto out;
		}
		if (t == XML_EOF)
			break;
		if (t == XML_TEXT)
			continue;
		if (ev.depth == 1 && t == XML_START) {
			if (strcmp(ev.name, "nmaprun") != 0) {
				errf(err, errlen,
				     "%s:%d: not an nmap/masscan XML file (root element <%s>, "
				     "expected "
				     "<nmaprun>)",
				     name, ev.line, ev.name);
				goto out;
			}
			const char *scanner = xml_attr(&ev, "scanner");
			enum scan_kind k =
			    scanner && strcmp(scanner, "masscan") == 0 ? SCAN_MASSCAN : SCAN_NMAP;
			if (want == SCAN_MASSCAN && k != SCAN_MASSCAN) {
				errf(err, errlen, "%s:%d: an nmap XML file given as masscan output",
				     name, ev.line);
				goto out;
			}
			c = new_cover(s, name, k);
			if (!c) {
				errf(err, errlen, "%s: out of memory", name);
				goto out;
			}
			c->all_hosts = k == SCAN_MASSCAN;
			continue;
		}
		if (!c)
			continue;
		if (t == XML_START && ev.depth == 2 && strcmp(ev.name, "scaninfo") == 0) {
			const char *proto = xml_attr(&ev, "protocol");
			const char *services = xml_attr(&ev, "services");
			if (proto && strcmp(proto, "tcp") == 0 && services && *services) {
				if (scan_parse_ports(services, c->ports) != 0) {
					errf(err, errlen,
					     "%s:%d: bad port list in scaninfo services=\"%.80s\"",
					     name, ev.line, services);
					goto out;
				}
				ports_known = true;
				snprintf(c->ports_from, sizeof(c->ports_from), "scaninfo");
			}
			continue;
		}
		if (ev.depth == 2 && strcmp(ev.name, "host") == 0) {
			if (t == XML_START) {
				in_host = true;
				h.has_addr = false;
				h.up = c->kind == SCAN_MASSCAN;
				h.n = 0;
				host_line = ev.line;
			} else {
				in_host = false;
				if (!h.has_addr) {
					errf(err, errlen, "%s:%d: <host> without an IP <address>",
					     name, host_line);
					goto out;
				}
				if (host_flush(s, c, &h) != 0) {
					errf(err, errlen, "%s: out of memory", name);
					goto out;
				}
			}
			continue;
		}
		if (!in_host)
			continue;
		if (t == XML_START && strcmp(ev.name, "status") == 0 && !in_port) {
			const char *st = xml_attr(&ev, "state");
			h.up = st && strcmp(st, "up") == 0;
		} else if (t == XML_START && strcmp(ev.name, "address") == 0 && !in_port) {
			const char *a = xml_attr(&ev, "addr");
			const char *type = xml_attr(&ev, "addrtype");
			if (type && strcmp(type, "mac") == 0)
				continue;
			if (!a) {
				errf(err, errlen, "%s:%d: <address> without addr", name, ev.line);
				goto out;
			}
			struct scan_addr sa;
			if (scan_addr_parse(a, &sa) != 0) {
				errf(err, errlen, "%s:%d: bad address '%.64s'", name, ev.line, a);
				goto out;
			}
			if (!h.has_addr) {
				h.addr = sa;
				h.has_addr = true;
			}
		} else if (strcmp(ev.name, "port") == 0) {
			if (t == XML_START) {
				const char *proto = xml_attr(&ev, "protocol");
				const char *pid = xml_attr(&ev, "portid");
				unsigned long v;
				if (!proto || !pid) {
					errf(err, errlen,
					     "%s:%d: <port> without protocol or portid", name,
					     ev.line);
					goto out;
				}
				if (parse_uint(pid, strlen(pid), 65535, &v) != 0) {
					errf(err, errlen, "%s:%d: bad portid '%.16s'", name,
					     ev.line, pid);
					goto out;
				}
				in_port = true;
				port = (unsigned)v;
				port_tcp = strcmp(proto, "tcp") == 0;
				port_open = false;
				svc[0] = '\0';
			} else {
				in_port = false;
				if (port_tcp && port_open && port != 0 &&
				    host_port_add(&h, port, svc) != 0) {
					errf(err, errlen, "%s: out of memory", name);
					goto out;
				}
			}
		} else if (t == XML_START && in_port && strcmp(ev.name, "state") == 0) {
			const char *st = xml_attr(&ev, "state");
			if (!st) {
				errf(err, errlen, "%s:%d: <state> without state", name, ev.line);
				goto out;
			}
			port_open = strcmp(st, "open") == 0;
		} else if (t == XML_START && in_port && strcmp(ev.name, "service") == 0) {
			const char *n = xml_attr(&ev, "name");
			snprintf(svc, sizeof(svc), "%s", n ? n : "");
		}
	}
	finish_cover(s, c, first, ports_known);
	rc = 0;
out:
	free(h.ports);
	xml_free(&p);
	return rc;
}

int scan_parse_nmap(struct scan_set *s, const char *name, const char *buf, size_t len, char *err,
                    size_t errlen)
{
	return parse_nmap_xml(s, name, buf, len, SCAN_NMAP, err, errlen);
}

/* --- masscan -------------------------------------------------------- */

static int line_of(const char *buf, size_t off)
{
	int line = 1;
	for (size_t i = 0; i < off; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

/* -oL: "open tcp 80 1.2.3.4 1390000000", "banner tcp 80 1.2.3.4 TS svc ..." */
static int parse_masscan_list(struct scan_set *s, struct scan_cover *c, const char *name,
                              const char *buf, size_t len, char *err, size_t errlen)
{
	size_t pos = 0;
	int line = 0;
	while (pos < len) {
		const char *l = buf + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;
		pos += n + (nl ? 1 : 0);
		line++;
		if (n && l[n - 1] == '\r')
			n--;
		if (memchr(l, '\0', n))
			return errf(err, errlen, "%s:%d: NUL byte", name, line);
		size_t k = 0;
		while (k < n && (l[k] == ' ' || l[k] == '\t'))
			k++;
		if (k == n || l[k] == '#')
			continue;
		char tmp[512];
		if (n - k >= sizeof(tmp))
			return errf(err, errlen, "%s:%d: line longer than %zu bytes", name, line,
			            sizeof(tmp) - 1);
		memcpy(tmp, l + k, n - k);
		tmp[n - k] = '\0';
		char *save = NULL;
		char *f[6] = {0};
		int nf = 0;
		for (char *tok = strtok_r(tmp, " \t", &save); tok && nf < 6;
		     tok = strtok_r(NULL, " \t", &save))
			f[nf++] = tok;
		bool banner = strcmp(f[0], "banner") == 0;
		if (strcmp(f[0], "open") != 0 && strcmp(f[0], "closed") != 0 && !banner)
			return errf(
			    err, errlen,
			    "%s:%d: unknown status '%.32s' (expected open, closed or banner; "
			    "is this masscan -oL output?)",
			    name, line, f[0]);
		if (nf < 5)
			return errf(
			    err, errlen,
			    "%s:%d: expected 'STATUS PROTO PORT ADDRESS TIME', got %d fields", name,
			    line, nf);
		unsigned long port, ts;
		if (parse_uint(f[2], strlen(f[2]), 65535, &port) != 0)
			return errf(err, errlen, "%s:%d: bad port '%.16s'", name, line, f[2]);
		struct scan_addr a;
		if (scan_addr_parse(f[3], &a) != 0)
			return errf(err, errlen, "%s:%d: bad address '%.64s'", name, line, f[3]);
		if (parse_uint(f[4], strlen(f[4]), 0xFFFFFFFFul, &ts) != 0)
			return errf(err, errlen, "%s:%d: bad timestamp '%.16s'", name, line, f[4]);
		if (strcmp(f[1], "tcp") != 0 || port == 0 || strcmp(f[0], "closed") == 0)
			continue;
		if (add_svc(s, c, &a, (unsigned)port, banner && nf > 5 ? f[5] : NULL) != 0)
			return errf(err, errlen, "%s: out of memory", name);
	}
	return 0;
}

static const char *jstr(const struct json_value *o, const char *key)
{
	const struct json_value *v = json_get(o, key);
	return v && v->type == JSON_STRING ? v->text : NULL;
}

static int jport(const struct json_value *o, unsigned long *port)
{
	const struct json_value *v = json_get(o, "port");
	if (!v)
		return -1;
	if (v->type == JSON_NUMBER && json_is_integer(v))
		return parse_uint(v->text, strlen(v->text), 65535, port);
	if (v->type == JSON_STRING)
		return parse_uint(v->text, strlen(v->text), 65535, port);
	return -1;
}

/* One masscan JSON object: -oJ {"ip", "ports":[{port,proto,status|service}]}
 * or -oD {"ip","port","proto","rec_type","data":{...}}. */
static int masscan_object(struct scan_set *s, struct scan_cover *c, const char *name,
                          const char *where, const struct json_value *o, char *err, size_t errlen)
{
	if (o->type != JSON_OBJECT)
		return errf(err, errlen, "%s: expected a JSON object per result", where);
	if (json_get(o, "finished") && !json_get(o, "ip"))
		return 0; /* old masscan's closing {finished: 1} */
	const char *ip = jstr(o, "ip");
	struct scan_addr a;
	if (!ip)
		return errf(err, errlen, "%s: result without \"ip\"", where);
	if (scan_addr_parse(ip, &a) != 0)
		return errf(err, errlen, "%s: bad address '%.64s'", where, ip);
	const struct json_value *ports = json_get(o, "ports");
	if (ports) {
		if (ports->type != JSON_ARRAY)
			return errf(err, errlen, "%s: \"ports\" is not an array", where);
		for (size_t i = 0; i < ports->n; i++) {
			const struct json_value *p = ports->items[i];
			unsigned long port;
			if (p->type != JSON_OBJECT || jport(p, &port) != 0)
				return errf(err, errlen, "%s: a port without a valid \"port\"",
				            where);
			const char *proto = jstr(p, "proto");
			const char *status = jstr(p, "status");
			const struct json_value *service = json_get(p, "service");
			const char *svc = service ? jstr(service, "name") : NULL;
			bool open = (status && strcmp(status, "open") == 0) || (!status && service);
			if (!proto || strcmp(proto, "tcp") != 0 || !open || port == 0)
				continue;
			if (add_svc(s, c, &a, (unsigned)port, svc) != 0)
				return errf(err, errlen, "%s: out of memory", name);
		}
		return 0;
	}
	unsigned long port;
	if (jport(o, &port) != 0)
		return errf(err, errlen, "%s: result without \"ports\" or a valid \"port\"", where);
	const char *proto = jstr(o, "proto");
	const char *rec = jstr(o, "rec_type");
	const struct json_value *data = json_get(o, "data");
	const char *status = data ? jstr(data, "status") : NULL;
	const char *svc = data ? jstr(data, "service_name") : NULL;
	bool open = (rec && strcmp(rec, "banner") == 0) || (status && strcmp(status, "open") == 0);
	if (!proto || strcmp(proto, "tcp") != 0 || !open || port == 0)
		return 0;
	if (add_svc(s, c, &a, (unsigned)port, svc) != 0)
		return errf(err, errlen, "%s: out of memory", name);
	return 0;
}

static int json_err(const char *name, const char *buf, size_t base, const char *jerr, char *err,
                    size_t errlen)
{
	/* jerr is "offset N: what" */
	unsigned long off = 0;
	const char *what = jerr;
	if (sscanf(jerr, "offset %lu:", &off) == 1) {
		const char *colon = strchr(jerr, ':');
		what = colon ? colon + 2 : jerr;
	}
	return errf(err, errlen, "%s:%d: bad JSON: %s", name, line_of(buf, base + off), what);
}

static int parse_masscan_json(struct scan_set *s, struct scan_cover *c, const char *name,
                              const char *buf, size_t len, char *err, size_t errlen)
{
	char jerr[256];
	size_t k = 0;
	while (k < len && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\n' || buf[k] == '\r'))
		k++;
	if (k < len && buf[k] == '{') { /* -oD: one object per line */
		size_t pos = 0;
		int line = 0;
		while (pos < len) {
			const char *l = buf + pos;
			const char *nl = memchr(l, '\n', len - pos);
			size_t n = nl ? (size_t)(nl - l) : len - pos;
			size_t at = pos;
			pos += n + (nl ? 1 : 0);
			line++;
			size_t b = 0;
			while (b < n && (l[b] == ' ' || l[b] == '\t' || l[b] == '\r'))
				b++;
			if (b == n)
				continue;
			struct json_value *v = json_parse(l, n, jerr, sizeof(jerr));
			if (!v)
				return json_err(name, buf, at, jerr, err, errlen);
			char where[600];
			snprintf(where, sizeof(where), "%s:%d", name, line);
			int rc = masscan_object(s, c, name, where, v, err, errlen);
			json_value_free(v);
			if (rc)
				return rc;
		}
		return 0;
	}
	/* -oJ: an array; old masscan versions leave a comma before ']' */
	char *copy = malloc(len + 1);
	if (!copy)
		return errf(err, errlen, "%s: out of memory", name);
	memcpy(copy, buf, len);
	copy[len] = '\0';
	size_t e = len;
	while (e > 0 && strchr(" \t\r\n", copy[e - 1]))
		e--;
	if (e > 0 && copy[e - 1] == ']') {
		size_t q = e - 1;
		while (q > 0 && strchr(" \t\r\n", copy[q - 1]))
			q--;
		if (q > 0 && copy[q - 1] == ',')
			copy[q - 1] = ' ';
	}
	struct json_value *v = json_parse(copy, len, jerr, sizeof(jerr));
	free(copy);
	if (!v)
		return json_err(name, buf, 0, jerr, err, errlen);
	int rc = 0;
	if (v->type != JSON_ARRAY) {
		rc = errf(err, errlen, "%s:1: masscan -oJ output must be a JSON array", name);
	} else {
		for (size_t i = 0; i < v->n && rc == 0; i++) {
			char where[600];
			snprintf(where, sizeof(where), "%s: result %zu", name, i + 1);
			rc = masscan_object(s, c, name, where, v->items[i], err, errlen);
		}
	}
	json_value_free(v);
	return rc;
}

int scan_parse_masscan(struct scan_set *s, const char *name, const char *buf, size_t len, char *err,
                       size_t errlen)
{
	size_t k = 0;
	while (k < len && strchr(" \t\r\n", buf[k]))
		k++;
	if (k < len && buf[k] == '<')
		return parse_nmap_xml(s, name, buf, len, SCAN_MASSCAN, err, errlen);
	size_t first = s->nsvc;
	struct scan_cover *c = new_cover(s, name, SCAN_MASSCAN);
	if (!c)
		return errf(err, errlen, "%s: out of memory", name);
	c->all_hosts = true;
	int rc;
	if (k < len && (buf[k] == '[' || buf[k] == '{'))
		rc = parse_masscan_json(s, c, name, buf, len, err, errlen);
	else
		rc = parse_masscan_list(s, c, name, buf, len, err, errlen);
	if (rc == 0)
		finish_cover(s, c, first, false);
	return rc;
}

/* --- Nessus v2 ------------------------------------------------------ */

int scan_parse_nessus(struct scan_set *s, const char *name, const char *buf, size_t len, char *err,
                      size_t errlen)
{
	struct xml_parser p;
	struct xml_event ev;
	struct host_acc h;
	memset(&h, 0, sizeof(h));
	int rc = -1;
	struct scan_cover *c = NULL;
	size_t first = s->nsvc;
	bool ports_known = false;
	bool in_host = false, in_pref = false;
	char host_name[256] = "";
	int host_line = 0;
	char text[1024];
	size_t text_len = 0;
	bool collecting = false;
	char pref_name[64] = "", pref_value[1024] = "";
	char host_ip[256] = "";

	xml_init(&p, name, buf, len);
	for (;;) {
		int t = xml_next(&p, &ev);
		if (t == XML_ERROR) {
			errf(err, errlen, "%s", xml_error(&p));
			goto out;
		}
		if (t == XML_EOF)
			break;
		if (t == XML_TEXT) {
			if (collecting) {
				size_t n = ev.text_len;
				if (n > sizeof(text) - 1 - text_len)
					n = sizeof(text) - 1 - text_len;
				memcpy(text + text_len, ev.text, n);
				text_len += n;
				text[text_len] = '\0';
			}
			continue;
		}
		if (ev.depth == 1 && t == XML_START) {
			if (strcmp(ev.name, "NessusClientData_v2") != 0) {
				errf(err, errlen,
				     "%s:%d: not a Nessus v2 file (root element <%s>, expected "
				     "<NessusClientData_v2>)",
				     name, ev.line, ev.name);
				goto out;
			}
			c = new_cover(s, name, SCAN_NESSUS);
			if (!c) {
				errf(err, errlen, "%s: out of memory", name);
				goto out;
			}
			continue;
		}
		if (!c)
			continue;
		if (t == XML_START) {
			if (strcmp(ev.name, "preference") == 0) {
				in_pref = true;
				pref_name[0] = pref_value[0] = '\0';
			} else if (in_pref && (strcmp(ev.name, "name") == 0 ||
			                       strcmp(ev.name, "value") == 0)) {
				collecting = true;
				text_len = 0;
				text[0] = '\0';
			} else if (strcmp(ev.name, "ReportHost") == 0) {
				const char *n = xml_attr(&ev, "name");
				in_host = true;
				host_line = ev.line;
				snprintf(host_name, sizeof(host_name), "%s", n ? n : "");
				host_ip[0] = '\0';
				h.n = 0;
				h.up = true;
			} else if (in_host && strcmp(ev.name, "tag") == 0) {
				const char *n = xml_attr(&ev, "name");
				collecting = n && strcmp(n, "host-ip") == 0;
				text_len = 0;
				text[0] = '\0';
			} else if (in_host && strcmp(ev.name, "ReportItem") == 0) {
				const char *port = xml_attr(&ev, "port");
				const char *proto = xml_attr(&ev, "protocol");
				const char *svc = xml_attr(&ev, "svc_name");
				unsigned long v;
				if (!port || !proto) {
					errf(err, errlen,
					     "%s:%d: <ReportItem> without port or protocol", name,
					     ev.line);
					goto out;
				}
				if (parse_uint(port, strlen(port), 65535, &v) != 0) {
					errf(err, errlen, "%s:%d: bad ReportItem port '%.16s'",
					     name, ev.line, port);
					goto out;
				}
				if (strcmp(proto, "tcp") == 0 && v != 0 &&
				    host_port_add(&h, (unsigned)v, svc) != 0) {
					errf(err, errlen, "%s: out of memory", name);
					goto out;
				}
			}
			continue;
		}
		/* XML_END */
		if (in_pref && strcmp(ev.name, "name") == 0 && collecting) {
			snprintf(pref_name, sizeof(pref_name), "%.*s", (int)sizeof(pref_name) - 1,
			         text);
			collecting = false;
		} else if (in_pref && strcmp(ev.name, "value") == 0 && collecting) {
			snprintf(pref_value, sizeof(pref_value), "%s", text);
			collecting = false;
		} else if (strcmp(ev.name, "preference") == 0) {
			in_pref = false;
			if (strcmp(pref_name, "port_range") == 0) {
				if (strcmp(pref_value, "all") == 0) {
					scan_parse_ports("1-65535", c->ports);
					ports_known = true;
				} else if (strcmp(pref_value, "default") != 0 && pref_value[0]) {
					if (scan_parse_ports(pref_value, c->ports) != 0) {
						errf(err, errlen, "%s:%d: bad port_range '%.80s'",
						     name, ev.line, pref_value);
						goto out;
					}
					ports_known = true;
				}
				if (ports_known)
					snprintf(c->ports_from, sizeof(c->ports_from),
					         "port_range");
			}
		} else if (in_host && strcmp(ev.name, "tag") == 0 && collecting) {
			collecting = false;
			snprintf(host_ip, sizeof(host_ip), "%.*s", (int)sizeof(host_ip) - 1, text);
		} else if (strcmp(ev.name, "ReportHost") == 0 && in_host) {
			in_host = false;
			const char *a = host_ip[0] ? host_ip : host_name;
			if (scan_addr_parse(a, &h.addr) != 0) {
				errf(err, errlen,
				     "%s:%d: ReportHost '%.64s' has no host-ip tag and its name is "
				     "not an "
				     "IP address",
				     name, host_line, host_name);
				goto out;
			}
			if (host_flush(s, c, &h) != 0) {
				errf(err, errlen, "%s: out of memory", name);
				goto out;
			}
		}
	}
	finish_cover(s, c, first, ports_known);
	rc = 0;
out:
	free(h.ports);
	xml_free(&p);
	return rc;
}

/* --- files ---------------------------------------------------------- */

typedef int (*parse_fn)(struct scan_set *, const char *, const char *, size_t, char *, size_t);

static int load(struct scan_set *s, const char *path, parse_fn fn, char *err, size_t errlen)
{
	size_t len;
	char *buf = xml_read_file(path, SCAN_MAX_FILE, &len, err, errlen);
	if (!buf)
		return -1;
	int rc = fn(s, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

int scan_load_nmap(struct scan_set *s, const char *path, char *err, size_t errlen)
{
	return load(s, path, scan_parse_nmap, err, errlen);
}

int scan_load_masscan(struct scan_set *s, const char *path, char *err, size_t errlen)
{
	return load(s, path, scan_parse_masscan, err, errlen);
}

int scan_load_nessus(struct scan_set *s, const char *path, char *err, size_t errlen)
{
	return load(s, path, scan_parse_nessus, err, errlen);
}
