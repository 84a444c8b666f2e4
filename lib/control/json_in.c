/*
 * json_in.c - a small recursive-descent JSON reader (see json_in.h).
 */
#include "control/json_in.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parser *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (p->failed)
		return;
	p->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "offset %zu: %s", p->pos, msg);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	                           p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int peek(struct parser *p)
{
	return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static struct json_value *new_value(struct parser *p, enum json_type t)
{
	struct json_value *v = calloc(1, sizeof(*v));
	if (!v)
		fail(p, "out of memory");
	else
		v->type = t;
	return v;
}

static bool literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos >= n && memcmp(p->s + p->pos, word, n) == 0) {
		p->pos += n;
		return true;
	}
	return false;
}

static int hex4(struct parser *p, uint32_t *out)
{
	uint32_t v = 0;
	if (p->len - p->pos < 4) {
		fail(p, "truncated \\u escape");
		return -1;
	}
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos + i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else {
			fail(p, "bad \\u escape");
			return -1;
		}
	}
	p->pos += 4;
	*out = v;
	return 0;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* At the opening quote; returns the decoded string (malloc). */
static char *parse_string(struct parser *p)
{
	size_t start = ++p->pos, end = start;

	/* The decoded text is never longer than the source. */
	while (end < p->len && p->s[end] != '"') {
		if (p->s[end] == '\\')
			end++;
		end++;
	}
	if (end >= p->len) {
		fail(p, "unterminated string");
		return NULL;
	}
	char *out = malloc(end - start + 1), *o = out;
	if (!out) {
		fail(p, "out of memory");
		return NULL;
	}
	while (p->pos < end) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c < 0x20) {
			fail(p, "control character in string");
			free(out);
			return NULL;
		}
		if (c != '\\') {
			*o++ = (char)c;
			p->pos++;
			continue;
		}
		p->pos++;
		char e = p->s[p->pos++];
		switch (e) {
		case '"':
			*o++ = '"';
			break;
		case '\\':
			*o++ = '\\';
			break;
		case '/':
			*o++ = '/';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'u': {
			uint32_t cp, lo;
			if (hex4(p, &cp) < 0) {
				free(out);
				return NULL;
			}
			if (cp >= 0xd800 && cp <= 0xdbff && p->pos + 6 <= end &&
			    p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
				size_t save = p->pos;
				p->pos += 2;
				if (hex4(p, &lo) < 0) {
					free(out);
					return NULL;
				}
				if (lo >= 0xdc00 && lo <= 0xdfff)
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				else
					p->pos = save;
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd; /* lone surrogate */
			/* \uXXXX is 6 source bytes, at most 4 out: fits. */
			o += utf8_put(o, cp);
			break;
		}
		default:
			p->pos--;
			fail(p, "bad escape '\\%c'", e);
			free(out);
			return NULL;
		}
	}
	*o = '\0';
	p->pos = end + 1;
	return out;
}

static struct json_value *parse_value(struct parser *p, int depth);

static int append(struct parser *p, struct json_value *v, struct json_value *item, char *key)
{
	if ((v->n & (v->n - 1)) == 0) { /* grow at powers of two */
		size_t cap = v->n ? v->n * 2 : 4;
		struct json_value **items = realloc(v->items, cap * sizeof(*items));
		if (!items) {
			fail(p, "out of memory");
			return -1;
		}
		v->items = items;
		if (v->type == JSON_OBJECT) {
			char **keys = realloc(v->keys, cap * sizeof(*keys));
			if (!keys) {
				fail(p, "out of memory");
				return -1;
			}
			v->keys = keys;
		}
	}
	v->items[v->n] = item;
	if (v->type == JSON_OBJECT)
		v->keys[v->n] = key;
	v->n++;
	return 0;
}

static struct json_value *parse_container(struct parser *p, int depth, bool object)
{
	struct json_value *v = new_value(p, object ? JSON_OBJECT : JSON_ARRAY);
	char close = object ? '}' : ']';

	if (!v)
		return NULL;
	p->pos++;
	skip_ws(p);
	if (peek(p) == close) {
		p->pos++;
		return v;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(p);
		if (object) {
			if (peek(p) != '"') {
				fail(p, "expected a member name");
				break;
			}
			key = parse_string(p);
			if (!key)
				break;
			skip_ws(p);
			if (peek(p) != ':') {
				fail(p, "expected ':'");
				free(key);
				break;
			}
			p->pos++;
		}
		struct json_value *item = parse_value(p, depth + 1);
		if (!item || append(p, v, item, key) < 0) {
			json_value_free(item);
			free(key);
			break;
		}
		skip_ws(p);
		if (peek(p) == ',') {
			p->pos++;
			continue;
		}
		if (peek(p) == close) {
			p->pos++;
			return v;
		}
		fail(p, "expected ',' or '%c'", close);
		break;
	}
	json_value_free(v);
	return NULL;
}

static struct json_value *parse_number(struct parser *p)
{
	size_t start = p->pos;
	const char *s = p->s;

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0') {
		p->pos++;
	} else if (peek(p) >= '1' && peek(p) <= '9') {
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	} else {
		fail(p, "bad number");
		return NULL;
	}
	if (peek(p) == '.') {
		p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9')) {
			fail(p, "bad number");
			return NULL;
		}
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!(peek(p) >= '0' && peek(p) <= '9')) {
			fail(p, "bad number");
			return NULL;
		}
		while (peek(p) >= '0' && peek(p) <= '9')
			p->pos++;
	}
	struct json_value *v = new_value(p, JSON_NUMBER);
	if (!v)
		return NULL;
	v->text = strndup(s + start, p->pos - start);
	if (!v->text) {
		fail(p, "out of memory");
		free(v);
		return NULL;
	}
	v->number = strtod(v->text, NULL);
	return v;
}

static struct json_value *parse_value(struct parser *p, int depth)
{
	struct json_value *v;

	if (depth > MAX_DEPTH) {
		fail(p, "nested too deeply");
		return NULL;
	}
	skip_ws(p);
	switch (peek(p)) {
	case '{':
		return parse_container(p, depth, true);
	case '[':
		return parse_container(p, depth, false);
	case '"': {
		char *s = parse_string(p);
		if (!s)
			return NULL;
		v = new_value(p, JSON_STRING);
		if (!v) {
			free(s);
			return NULL;
		}
		v->text = s;
		return v;
	}
	case 't':
	case 'f':
		if (literal(p, "true") || literal(p, "false")) {
			v = new_value(p, JSON_BOOL);
			if (v)
				v->boolean = p->s[p->pos - 1] == 'e' && p->s[p->pos - 2] == 'u';
			return v;
		}
		break;
	case 'n':
		if (literal(p, "null"))
			return new_value(p, JSON_NULL);
		break;
	case -1:
		fail(p, "unexpected end of text");
		return NULL;
	default:
		if (peek(p) == '-' || (peek(p) >= '0' && peek(p) <= '9'))
			return parse_number(p);
		break;
	}
	fail(p, "unexpected character '%c'", peek(p) >= 0x20 && peek(p) < 0x7f ? peek(p) : '?');
	return NULL;
}

struct json_value *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct parser p = {
	    .s = text, .len = len == (size_t)-1 ? strlen(text) : len, .err = err, .errlen = errlen};
	struct json_value *v = parse_value(&p, 0);

	if (!v)
		return NULL;
	skip_ws(&p);
	if (p.pos != p.len) {
		fail(&p, "unexpected text after the value");
		json_value_free(v);
		return NULL;
	}
	return v;
}

void json_value_free(struct json_value *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		json_value_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
	free(v);
}

const struct json_value *json_get(const struct json_value *v, const char *key)
{
	if (!v || v->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return v->items[i];
	return NULL;
}

bool json_is_integer(const struct json_value *v)
{
	return v && v->type == JSON_NUMBER && !strpbrk(v->text, ".eE");
}
