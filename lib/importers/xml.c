/*
 * xml.c - strict, bounded XML pull tokenizer (see xml.h).
 */
#include "importers/xml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void xml_init(struct xml_parser *p, const char *file, const char *buf, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->file = file ? file : "(input)";
	p->buf = buf;
	p->len = len;
	p->line = 1;
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		p->pos = p->line_pos = 3; /* a UTF-8 byte order mark */
}

void xml_free(struct xml_parser *p)
{
	free(p->scratch);
	p->scratch = NULL;
	p->scratch_cap = 0;
}

const char *xml_error(const struct xml_parser *p)
{
	return p->err;
}

#define stack_at(p, i) (&(p)->stack[(i)])

static int line_at(struct xml_parser *p, size_t pos)
{
	if (pos > p->len)
		pos = p->len;
	if (pos < p->line_pos) { /* not expected: recount */
		p->line = 1;
		p->line_pos = 0;
	}
	for (size_t i = p->line_pos; i < pos; i++)
		if (p->buf[i] == '\n')
			p->line++;
	p->line_pos = pos;
	return p->line;
}

__attribute__((format(printf, 3, 4))) static int fail(struct xml_parser *p, size_t pos,
                                                      const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, sizeof(p->err), "%s:%d: %s", p->file, line_at(p, pos), msg);
	return XML_ERROR;
}

static int reserve(struct xml_parser *p, size_t n)
{
	if (n <= p->scratch_cap)
		return 0;
	size_t cap = p->scratch_cap ? p->scratch_cap : 256;
	while (cap < n)
		cap *= 2;
	char *s = realloc(p->scratch, cap);
	if (!s)
		return -1;
	p->scratch = s;
	p->scratch_cap = cap;
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
	       c >= 0x80;
}

static int name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* Reads a name at p->pos; returns its length (0: none). */
static size_t scan_name(struct xml_parser *p, size_t pos)
{
	size_t i = pos;
	if (i >= p->len || !name_start((unsigned char)p->buf[i]))
		return 0;
	while (i < p->len && name_char((unsigned char)p->buf[i]))
		i++;
	return i - pos;
}

static size_t put_utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

/* Decodes buf[from, to) into out (which has room for to - from + 1 bytes:
 * a decoded text is never longer).  attr: normalise \t \n \r to spaces.
 * Returns the decoded length, or (size_t)-1 after fail(). */
static size_t decode(struct xml_parser *p, size_t from, size_t to, char *out, int attr)
{
	size_t o = 0;
	for (size_t i = from; i < to; i++) {
		char c = p->buf[i];
		if (c == '\0') {
			fail(p, i, "NUL byte in the text");
			return (size_t)-1;
		}
		if (c != '&') {
			out[o++] = attr && is_space(c) ? ' ' : c;
			continue;
		}
		size_t semi = i + 1;
		while (semi < to && semi - i <= 12 && p->buf[semi] != ';')
			semi++;
		if (semi >= to || p->buf[semi] != ';') {
			fail(p, i, "'&' not followed by an entity reference ending in ';'");
			return (size_t)-1;
		}
		const char *e = p->buf + i + 1;
		size_t el = semi - i - 1;
		if (el == 2 && memcmp(e, "lt", 2) == 0) {
			out[o++] = '<';
		} else if (el == 2 && memcmp(e, "gt", 2) == 0) {
			out[o++] = '>';
		} else if (el == 3 && memcmp(e, "amp", 3) == 0) {
			out[o++] = '&';
		} else if (el == 4 && memcmp(e, "quot", 4) == 0) {
			out[o++] = '"';
		} else if (el == 4 && memcmp(e, "apos", 4) == 0) {
			out[o++] = '\'';
		} else if (el >= 1 && e[0] == '#') {
			uint32_t v = 0;
			int hex = e[1] == 'x';
			size_t k = hex ? 2 : 1;
			if (k >= el)
				goto bad_ref;
			for (; k < el; k++) {
				char d = e[k];
				uint32_t dv;
				if (d >= '0' && d <= '9')
					dv = (uint32_t)(d - '0');
				else if (hex && d >= 'a' && d <= 'f')
					dv = (uint32_t)(d - 'a' + 10);
				else if (hex && d >= 'A' && d <= 'F')
					dv = (uint32_t)(d - 'A' + 10);
				else
					goto bad_ref;
				v = v * (hex ? 16u : 10u) + dv;
				if (v > 0x10FFFF)
					goto bad_ref;
			}
			if (v == 0 || (v >= 0xD800 && v <= 0xDFFF))
				goto bad_ref;
			o += put_utf8(out + o, v);
		} else {
			fail(
			    p, i,
			    "unknown entity '&%.*s;' (only lt gt amp quot apos and &#N; are known)",
			    (int)el, e);
			return (size_t)-1;
		}
		i = semi;
		continue;
	bad_ref:
		fail(p, i, "bad character reference '&%.*s;'", (int)el, e);
		return (size_t)-1;
	}
	out[o] = '\0';
	return o;
}

static const char *find(const char *hay, size_t n, const char *needle)
{
	size_t m = strlen(needle);
	if (m > n)
		return NULL;
	return memmem(hay, n, needle, m);
}

const char *xml_attr(const struct xml_event *ev, const char *name)
{
	for (int i = 0; i < ev->nattrs; i++)
		if (strcmp(ev->attrs[i].name, name) == 0)
			return ev->attrs[i].value;
	return NULL;
}

static int end_of_input(struct xml_parser *p, struct xml_event *ev)
{
	if (p->depth > 0) {
		struct xml_open_elem *s = stack_at(p, p->depth - 1);
		return ev->type = fail(p, p->len, "end of file inside element <%.*s>", (int)s->len,
		                       p->buf + s->off);
	}
	if (!p->seen_root)
		return ev->type = fail(p, p->len, "no root element (empty or not an XML file)");
	return ev->type = XML_EOF;
}

static int start_tag(struct xml_parser *p, struct xml_event *ev)
{
	size_t start = p->pos; /* at '<' */
	size_t i = start + 1;
	size_t nl = scan_name(p, i);
	if (nl == 0)
		return fail(p, start, "'<' not followed by an element name");
	if (nl > XML_MAX_NAME)
		return fail(p, start, "element name longer than %d bytes", XML_MAX_NAME);
	if (p->depth == 0 && p->seen_root)
		return fail(p, start, "a second root element <%.*s>", (int)nl, p->buf + i);
	if (p->depth >= XML_MAX_DEPTH)
		return fail(p, start, "elements nested deeper than %d", XML_MAX_DEPTH);
	/* find the end of the tag, skipping quoted values */
	size_t end = i + nl;
	char q = 0;
	while (end < p->len) {
		char c = p->buf[end];
		if (q) {
			if (c == q)
				q = 0;
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (c == '>') {
			break;
		} else if (c == '<') {
			return fail(p, end, "'<' inside the tag <%.*s>", (int)nl, p->buf + i);
		}
		end++;
	}
	if (end >= p->len)
		return fail(p, start, "end of file inside the tag <%.*s>", (int)nl, p->buf + i);
	if (reserve(p, (end - start) + 2 * XML_MAX_ATTRS + 8) != 0)
		return fail(p, start, "out of memory");
	char *s = p->scratch;
	size_t so = 0;
	memcpy(s, p->buf + i, nl);
	s[nl] = '\0';
	so = nl + 1;
	int nattrs = 0;
	size_t attr_off[XML_MAX_ATTRS][2];
	size_t k = i + nl;
	int empty = 0;
	for (;;) {
		size_t ws = k;
		while (k < end && is_space(p->buf[k]))
			k++;
		if (k == end)
			break;
		if (p->buf[k] == '/') {
			if (k + 1 != end)
				return fail(p, k, "'/' inside the tag <%s>", s);
			empty = 1;
			break;
		}
		if (k == ws)
			return fail(p, k, "attributes of <%s> must be separated by white space", s);
		size_t an = scan_name(p, k);
		if (an == 0)
			return fail(p, k, "bad attribute name in <%s>", s);
		if (an > XML_MAX_NAME)
			return fail(p, k, "attribute name longer than %d bytes", XML_MAX_NAME);
		if (nattrs >= XML_MAX_ATTRS)
			return fail(p, k, "more than %d attributes in <%s>", XML_MAX_ATTRS, s);
		size_t aname = k;
		k += an;
		while (k < end && is_space(p->buf[k]))
			k++;
		if (k >= end || p->buf[k] != '=')
			return fail(p, k, "attribute '%.*s' of <%s> has no '=value'", (int)an,
			            p->buf + aname, s);
		k++;
		while (k < end && is_space(p->buf[k]))
			k++;
		if (k >= end || (p->buf[k] != '"' && p->buf[k] != '\''))
			return fail(p, k, "value of attribute '%.*s' of <%s> is not quoted",
			            (int)an, p->buf + aname, s);
		char qc = p->buf[k++];
		size_t vs = k;
		while (k < end && p->buf[k] != qc) {
			if (p->buf[k] == '<')
				return fail(p, k, "'<' in the value of attribute '%.*s'", (int)an,
				            p->buf + aname);
			k++;
		}
		if (k >= end)
			return fail(p, vs, "unterminated value of attribute '%.*s'", (int)an,
			            p->buf + aname);
		/* duplicate? */
		for (int a = 0; a < nattrs; a++) {
			if (strlen(s + attr_off[a][0]) == an &&
			    memcmp(s + attr_off[a][0], p->buf + aname, an) == 0)
				return fail(p, aname, "duplicate attribute '%.*s' in <%s>", (int)an,
				            p->buf + aname, s);
		}
		attr_off[nattrs][0] = so;
		memcpy(s + so, p->buf + aname, an);
		s[so + an] = '\0';
		so += an + 1;
		attr_off[nattrs][1] = so;
		size_t dl = decode(p, vs, k, s + so, 1);
		if (dl == (size_t)-1)
			return XML_ERROR;
		so += dl + 1;
		nattrs++;
		k++; /* closing quote */
	}
	for (int a = 0; a < nattrs; a++) {
		p->attrs[a].name = s + attr_off[a][0];
		p->attrs[a].value = s + attr_off[a][1];
	}
	struct xml_open_elem *se = stack_at(p, p->depth);
	se->off = i;
	se->len = nl;
	p->depth++;
	p->seen_root = 1;
	ev->type = XML_START;
	ev->name = s;
	ev->attrs = p->attrs;
	ev->nattrs = nattrs;
	ev->depth = p->depth;
	ev->line = line_at(p, start);
	p->pos = end + 1;
	p->pending_end = empty;
	return XML_START;
}

static int end_tag(struct xml_parser *p, struct xml_event *ev)
{
	size_t start = p->pos; /* at "</" */
	size_t i = start + 2;
	size_t nl = scan_name(p, i);
	if (nl == 0)
		return fail(p, start, "'</' not followed by an element name");
	size_t k = i + nl;
	while (k < p->len && is_space(p->buf[k]))
		k++;
	if (k >= p->len || p->buf[k] != '>')
		return fail(p, start, "bad end tag </%.*s", (int)nl, p->buf + i);
	if (p->depth == 0)
		return fail(p, start, "end tag </%.*s> without a start tag", (int)nl, p->buf + i);
	struct xml_open_elem *se = stack_at(p, p->depth - 1);
	if (se->len != nl || memcmp(p->buf + se->off, p->buf + i, nl) != 0)
		return fail(p, start, "end tag </%.*s> does not match <%.*s>", (int)nl, p->buf + i,
		            (int)se->len, p->buf + se->off);
	if (reserve(p, nl + 1) != 0)
		return fail(p, start, "out of memory");
	memcpy(p->scratch, p->buf + i, nl);
	p->scratch[nl] = '\0';
	ev->type = XML_END;
	ev->name = p->scratch;
	ev->nattrs = 0;
	ev->depth = p->depth;
	ev->line = line_at(p, start);
	p->depth--;
	p->pos = k + 1;
	return XML_END;
}

int xml_next(struct xml_parser *p, struct xml_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (p->err[0])
		return ev->type = XML_ERROR;
	if (p->pending_end) {
		p->pending_end = 0;
		/* the start event's name is still first in scratch */
		ev->type = XML_END;
		ev->name = p->scratch;
		ev->depth = p->depth;
		ev->line = line_at(p, p->pos);
		p->depth--;
		return XML_END;
	}
	for (;;) {
		if (p->pos >= p->len)
			return end_of_input(p, ev);
		const char *b = p->buf + p->pos;
		size_t left = p->len - p->pos;
		if (b[0] != '<') {
			/* character data up to the next '<' */
			const char *lt = memchr(b, '<', left);
			size_t n = lt ? (size_t)(lt - b) : left;
			if (p->depth == 0) {
				for (size_t k = 0; k < n; k++) {
					if (b[k] == '\0')
						return ev->type = fail(p, p->pos + k, "NUL byte");
					if (!is_space(b[k]))
						return ev->type =
						           fail(p, p->pos + k,
						                "text outside the root element");
				}
				p->pos += n;
				continue;
			}
			if (reserve(p, n + 1) != 0)
				return ev->type = fail(p, p->pos, "out of memory");
			size_t dl = decode(p, p->pos, p->pos + n, p->scratch, 0);
			if (dl == (size_t)-1)
				return ev->type = XML_ERROR;
			ev->type = XML_TEXT;
			ev->text = p->scratch;
			ev->text_len = dl;
			ev->depth = p->depth;
			ev->line = line_at(p, p->pos);
			p->pos += n;
			return XML_TEXT;
		}
		if (left >= 4 && memcmp(b, "<!--", 4) == 0) {
			const char *e = find(b + 4, left - 4, "-->");
			if (!e)
				return ev->type = fail(p, p->pos, "unterminated comment");
			p->pos = (size_t)(e - p->buf) + 3;
			continue;
		}
		if (left >= 9 && memcmp(b, "<![CDATA[", 9) == 0) {
			if (p->depth == 0)
				return ev->type = fail(p, p->pos, "CDATA outside the root element");
			const char *e = find(b + 9, left - 9, "]]>");
			if (!e)
				return ev->type = fail(p, p->pos, "unterminated CDATA section");
			size_t n = (size_t)(e - (b + 9));
			if (reserve(p, n + 1) != 0)
				return ev->type = fail(p, p->pos, "out of memory");
			if (memchr(b + 9, '\0', n))
				return ev->type = fail(p, p->pos, "NUL byte in CDATA");
			memcpy(p->scratch, b + 9, n);
			p->scratch[n] = '\0';
			ev->type = XML_TEXT;
			ev->text = p->scratch;
			ev->text_len = n;
			ev->depth = p->depth;
			ev->line = line_at(p, p->pos);
			p->pos = (size_t)(e - p->buf) + 3;
			return XML_TEXT;
		}
		if (left >= 2 && b[1] == '?') {
			const char *e = find(b + 2, left - 2, "?>");
			if (!e)
				return ev->type =
				           fail(p, p->pos, "unterminated processing instruction");
			if (scan_name(p, p->pos + 2) == 0)
				return ev->type = fail(p, p->pos,
				                       "processing instruction without a target");
			p->pos = (size_t)(e - p->buf) + 2;
			continue;
		}
		if (left >= 9 && memcmp(b, "<!DOCTYPE", 9) == 0) {
			if (p->seen_root)
				return ev->type = fail(p, p->pos, "DOCTYPE after the root element");
			size_t k = p->pos + 9;
			char q = 0;
			for (; k < p->len; k++) {
				char c = p->buf[k];
				if (q) {
					if (c == q)
						q = 0;
				} else if (c == '"' || c == '\'') {
					q = c;
				} else if (c == '[') {
					return ev->type =
					           fail(p, k,
					                "DOCTYPE with an internal subset is not "
					                "accepted (it may define entities)");
				} else if (c == '>') {
					break;
				}
			}
			if (k >= p->len)
				return ev->type = fail(p, p->pos, "unterminated DOCTYPE");
			p->pos = k + 1;
			continue;
		}
		if (left >= 2 && b[1] == '!')
			return ev->type = fail(p, p->pos, "unknown markup '<!%.*s'",
			                       (int)(left > 9 ? 8 : left - 2), b + 2);
		if (left >= 2 && b[1] == '/')
			return ev->type = end_tag(p, ev);
		return ev->type = start_tag(p, ev);
	}
}

char *xml_read_file(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory", path);
		fclose(f);
		return NULL;
	}
	size_t cap = max < 65536 ? max : 65536, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				snprintf(err, errlen, "%s: larger than the limit of %zu bytes",
				         path, max);
				goto fail;
			}
			size_t nc = cap * 2 > max ? max : cap * 2;
			char *nb = realloc(buf, nc + 1);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			buf = nb;
			cap = nc;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
				goto fail;
			}
			break;
		}
	}
	/* one more byte may show that the file is over the limit */
	if (n == max && fgetc(f) != EOF) {
		snprintf(err, errlen, "%s: larger than the limit of %zu bytes", path, max);
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	fclose(f);
	return NULL;
}
