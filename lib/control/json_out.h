/*
 * json_out.h - writes one JSON object into a growable buffer.
 *
 * Enough JSON for replies, events and reports: objects, arrays, strings
 * (escaped), integers, doubles, booleans.  Keys are written with the value.
 */
#ifndef SYNACK_JSON_OUT_H
#define SYNACK_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_out {
	char *buf;
	size_t len, cap;
	int depth;
	bool need_comma[32];
	bool failed;     /* out of memory: the text is incomplete */
	char error[256]; /* set by json_out_error() */
};

void json_out_init(struct json_out *j);
void json_out_free(struct json_out *j);
void json_out_reset(struct json_out *j);

/* key may be NULL inside arrays and at top level. */
void json_out_object_begin(struct json_out *j, const char *key);
void json_out_object_end(struct json_out *j);
void json_out_array_begin(struct json_out *j, const char *key);
void json_out_array_end(struct json_out *j);
void json_out_string(struct json_out *j, const char *key, const char *value);
void json_out_u64(struct json_out *j, const char *key, uint64_t value);
void json_out_i64(struct json_out *j, const char *key, int64_t value);
void json_out_double(struct json_out *j, const char *key, double value);
void json_out_bool(struct json_out *j, const char *key, bool value);
void json_out_null(struct json_out *j, const char *key);

/* Records a message for a failed request (control handlers). */
void json_out_error(struct json_out *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* SYNACK_JSON_OUT_H */
