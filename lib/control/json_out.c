/*
 * json_out.c - writes one JSON object into a growable buffer.
 *
 * The buffer is always NUL-terminated (when allocated).  Commas are
 * tracked per nesting level in need_comma[depth]; nesting deeper than the
 * array allows, or an allocation failure, sets failed and further output
 * is dropped.  Strings are escaped per RFC 8259; bytes that are not valid
 * UTF-8 are replaced by U+FFFD so the output is always valid JSON.
 * Non-finite doubles are written as null.
 */
#include "control/json_out.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH ((int)(sizeof(((struct json_out *)0)->need_comma) / sizeof(bool)))

void json_out_init(struct json_out *j)
{
	memset(j, 0, sizeof(*j));
}

void json_out_free(struct json_out *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

void json_out_reset(struct json_out *j)
{
	j->len = 0;
	if (j->buf)
		j->buf[0] = '\0';
	j->depth = 0;
	memset(j->need_comma, 0, sizeof(j->need_comma));
	j->failed = false;
	j->error[0] = '\0';
}

static bool reserve(struct json_out *j, size_t extra)
{
	if (j->failed)
		return false;
	if (j->len + extra + 1 <= j->cap)
		return true;
	size_t cap = j->cap ? j->cap : 256;
	while (cap < j->len + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			j->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(j->buf, cap);
	if (!p) {
		j->failed = true;
		return false;
	}
	j->buf = p;
	j->cap = cap;
	return true;
}

static void put(struct json_out *j, const char *s, size_t n)
{
	if (!reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void putc_(struct json_out *j, char c)
{
	put(j, &c, 1);
}

/* Appends the escaped body of a string (no quotes). */
static void put_escaped(struct json_out *j, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	while (*p && !j->failed) {
		/* Copy a run of plain ASCII at once. */
		const unsigned char *run = p;
		while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			put(j, (const char *)run, (size_t)(p - run));
		if (!*p)
			break;
		unsigned char c = *p;
		if (c < 0x80) {
			char esc[7];
			switch (c) {
			case '"':
				put(j, "\\\"", 2);
				break;
			case '\\':
				put(j, "\\\\", 2);
				break;
			case '\n':
				put(j, "\\n", 2);
				break;
			case '\r':
				put(j, "\\r", 2);
				break;
			case '\t':
				put(j, "\\t", 2);
				break;
			case '\b':
				put(j, "\\b", 2);
				break;
			case '\f':
				put(j, "\\f", 2);
				break;
			default:
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				put(j, esc, 6);
				break;
			}
			p++;
			continue;
		}
		/* UTF-8 sequence: validate, copy or replace with U+FFFD. */
		size_t n;
		uint32_t cp, min;
		if ((c & 0xe0) == 0xc0) {
			n = 2, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4, cp = c & 0x07, min = 0x10000;
		} else {
			put(j, "\xef\xbf\xbd", 3);
			p++;
			continue;
		}
		size_t k;
		for (k = 1; k < n; k++) {
			if ((p[k] & 0xc0) != 0x80)
				break;
			cp = (cp << 6) | (p[k] & 0x3f);
		}
		if (k < n || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			put(j, "\xef\xbf\xbd", 3);
			p += k; /* skip the lead byte and the valid continuations */
			continue;
		}
		put(j, (const char *)p, n);
		p += n;
	}
}

/* Comma and key before a value. */
static bool prefix(struct json_out *j, const char *key)
{
	if (j->failed)
		return false;
	if (j->depth > 0 && j->depth <= JSON_MAX_DEPTH) {
		if (j->need_comma[j->depth - 1])
			putc_(j, ',');
		j->need_comma[j->depth - 1] = true;
	}
	if (key && j->depth > 0) {
		putc_(j, '"');
		put_escaped(j, key);
		put(j, "\":", 2);
	}
	return !j->failed;
}

static void begin(struct json_out *j, const char *key, char open)
{
	if (!prefix(j, key))
		return;
	if (j->depth >= JSON_MAX_DEPTH) {
		j->failed = true;
		return;
	}
	putc_(j, open);
	j->need_comma[j->depth] = false;
	j->depth++;
}

static void end(struct json_out *j, char close)
{
	if (j->failed || j->depth <= 0)
		return;
	j->depth--;
	putc_(j, close);
}

void json_out_object_begin(struct json_out *j, const char *key)
{
	begin(j, key, '{');
}

void json_out_object_end(struct json_out *j)
{
	end(j, '}');
}

void json_out_array_begin(struct json_out *j, const char *key)
{
	begin(j, key, '[');
}

void json_out_array_end(struct json_out *j)
{
	end(j, ']');
}

void json_out_string(struct json_out *j, const char *key, const char *value)
{
	if (!value) {
		json_out_null(j, key);
		return;
	}
	if (!prefix(j, key))
		return;
	putc_(j, '"');
	put_escaped(j, value);
	putc_(j, '"');
}

void json_out_u64(struct json_out *j, const char *key, uint64_t value)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, value);
	if (prefix(j, key))
		put(j, b, (size_t)n);
}

void json_out_i64(struct json_out *j, const char *key, int64_t value)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRId64, value);
	if (prefix(j, key))
		put(j, b, (size_t)n);
}

void json_out_double(struct json_out *j, const char *key, double value)
{
	char b[40];
	int n;

	if (!isfinite(value)) {
		json_out_null(j, key);
		return;
	}
	/* Whole numbers (counters, rates) as integers: 2000000, not 2e+06;
	 * otherwise the shortest %g form that reads back exactly. */
	if (fabs(value) < 1e15 && value == trunc(value)) {
		n = snprintf(b, sizeof(b), "%.0f", value);
		if (prefix(j, key))
			put(j, b, (size_t)n);
		return;
	}
	n = snprintf(b, sizeof(b), "%.17g", value);
	for (int prec = 6; prec < 17; prec++) {
		char t[40];
		int m = snprintf(t, sizeof(t), "%.*g", prec, value);
		if (strtod(t, NULL) == value) {
			memcpy(b, t, (size_t)m + 1);
			n = m;
			break;
		}
	}
	/* Make sure it reads back as a number with a fraction or exponent
	 * only when needed; plain integers stay integers ("3"), which is
	 * valid JSON.  Locale: %g may use ',' as decimal point - fix it. */
	for (int i = 0; i < n; i++)
		if (b[i] == ',')
			b[i] = '.';
	if (prefix(j, key))
		put(j, b, (size_t)n);
}

void json_out_bool(struct json_out *j, const char *key, bool value)
{
	if (prefix(j, key))
		put(j, value ? "true" : "false", value ? 4 : 5);
}

void json_out_null(struct json_out *j, const char *key)
{
	if (prefix(j, key))
		put(j, "null", 4);
}

void json_out_error(struct json_out *j, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(j->error, sizeof(j->error), fmt, ap);
	va_end(ap);
	if (!j->error[0])
		snprintf(j->error, sizeof(j->error), "error");
}
