/*
 * test_json_in.c - the JSON reader: values, escapes, errors, round trip
 * through json_out, bounded nesting.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "control/json_in.h"
#include "control/json_out.h"

static void test_values(void)
{
	char err[256];
	struct json_value *v = json_parse(" {\"a\":1,\"b\":-2.5e3,\"c\":\"x\\\"y\\\\z\\/"
	                                  "\\n\\u00e9\\ud83d\\ude00\",\"d\":[true,false,"
	                                  "null,[],{}],\"e\":{\"f\":18446744073709551615}} \n",
	                                  (size_t)-1, err, sizeof(err));
	CHECK(v != NULL);
	if (!v) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	CHECK(v->type == JSON_OBJECT && v->n == 5);
	const struct json_value *a = json_get(v, "a");
	CHECK(a && a->type == JSON_NUMBER && a->number == 1 && json_is_integer(a));
	const struct json_value *b = json_get(v, "b");
	CHECK(b && b->number == -2500 && !json_is_integer(b) && !strcmp(b->text, "-2.5e3"));
	const struct json_value *c = json_get(v, "c");
	CHECK(c && c->type == JSON_STRING &&
	      !strcmp(c->text, "x\"y\\z/\n\xc3\xa9\xf0\x9f\x98\x80"));
	const struct json_value *d = json_get(v, "d");
	CHECK(d && d->type == JSON_ARRAY && d->n == 5);
	if (d && d->n == 5) {
		CHECK(d->items[0]->type == JSON_BOOL && d->items[0]->boolean);
		CHECK(d->items[1]->type == JSON_BOOL && !d->items[1]->boolean);
		CHECK(d->items[2]->type == JSON_NULL);
		CHECK(d->items[3]->type == JSON_ARRAY && d->items[3]->n == 0);
		CHECK(d->items[4]->type == JSON_OBJECT && d->items[4]->n == 0);
	}
	const struct json_value *f = json_get(json_get(v, "e"), "f");
	CHECK(f && !strcmp(f->text, "18446744073709551615"));
	CHECK(json_get(v, "nope") == NULL);
	CHECK(json_get(a, "x") == NULL);
	json_value_free(v);
}

static void test_errors(void)
{
	static const char *const bad[] = {
	    "",    "{",    "{\"a\"}",    "{\"a\":}", "[1,]",    "[1 2]",     "01",
	    "1.",  "-",    "1e",         "\"abc",    "\"\\x\"", "\"\\u12\"", "tru",
	    "nul", "{} x", "{\"a\":1,}", "\"a\nb\"", "[\"\\",   "{1:2}",     "+1",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		struct json_value *v = json_parse(bad[i], (size_t)-1, err, sizeof(err));
		CHECK(v == NULL);
		CHECK(!strncmp(err, "offset ", 7));
		if (v) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			json_value_free(v);
		}
	}
	/* deep nesting is refused, not a stack overflow */
	char deep[20001];
	memset(deep, '[', 20000);
	deep[20000] = '\0';
	CHECK(json_parse(deep, (size_t)-1, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "nested too deeply") != NULL);
	/* 60 levels are fine */
	char ok[121];
	memset(ok, '[', 60);
	memset(ok + 60, ']', 60);
	ok[120] = '\0';
	struct json_value *v = json_parse(ok, (size_t)-1, err, sizeof(err));
	CHECK(v != NULL);
	json_value_free(v);
	/* length-limited: the text need not be terminated */
	v = json_parse("[1]garbage", 3, err, sizeof(err));
	CHECK(v != NULL && v->n == 1);
	json_value_free(v);
}

static void test_round_trip(void)
{
	struct json_out j;
	char err[256];

	json_out_init(&j);
	json_out_object_begin(&j, NULL);
	json_out_string(&j, "s", "tab\there \x01 caf\xc3\xa9");
	json_out_double(&j, "d", 1234.5);
	json_out_i64(&j, "i", -7);
	json_out_array_begin(&j, "a");
	for (int i = 0; i < 100; i++)
		json_out_u64(&j, NULL, (uint64_t)i * 1000003);
	json_out_array_end(&j);
	json_out_object_end(&j);
	struct json_value *v = json_parse(j.buf, j.len, err, sizeof(err));
	CHECK(v != NULL);
	if (v) {
		CHECK(!strcmp(json_get(v, "s")->text, "tab\there \x01 caf\xc3\xa9"));
		CHECK(json_get(v, "d")->number == 1234.5);
		CHECK(json_get(v, "i")->number == -7);
		const struct json_value *a = json_get(v, "a");
		CHECK(a && a->n == 100 && a->items[99]->number == 99.0 * 1000003);
	}
	json_value_free(v);
	json_out_free(&j);
}

int main(void)
{
	test_values();
	test_errors();
	test_round_trip();
	return check_done("test_json_in");
}
