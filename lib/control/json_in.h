/*
 * json_in.h - a small JSON reader (RFC 8259) for replies from the daemon.
 *
 * Parses one text into a tree.  Numbers keep their source text so integers
 * of any size print exactly; objects keep their member order.  Nesting is
 * limited (64) so hostile input cannot exhaust the stack.
 */
#ifndef SYNACK_JSON_IN_H
#define SYNACK_JSON_IN_H

#include <stdbool.h>
#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
	enum json_type type;
	bool boolean;
	double number;
	char *text; /* JSON_STRING: the decoded string; JSON_NUMBER: as written */
	size_t n;   /* members of an array or object */
	struct json_value **items;
	char **keys; /* JSON_OBJECT: member names */
};

/* NULL on error with err = "offset N: what". len may be (size_t)-1 for a
 * NUL-terminated text.  Trailing whitespace is allowed, nothing else. */
struct json_value *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_value_free(struct json_value *v);

/* Member of an object, or NULL (also when v is not an object). */
const struct json_value *json_get(const struct json_value *v, const char *key);

/* Whether a number is written as an integer (no fraction, no exponent). */
bool json_is_integer(const struct json_value *v);

#endif /* SYNACK_JSON_IN_H */
