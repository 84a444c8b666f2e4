/*
 * test_json_out.c - json_out: structure, commas, escaping, numbers, errors.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "control/json_out.h"

#define CHECK_STR(got, want)                                                                       \
	do {                                                                                       \
		const char *g_ = (got), *w_ = (want);                                              \
		CHECK(g_ &&strcmp(g_, w_) == 0);                                                   \
		if (!g_ || strcmp(g_, w_) != 0)                                                    \
			fprintf(stderr, "  got  %s\n  want %s\n", g_ ? g_ : "(null)", w_);         \
	} while (0)

static void test_structure(void)
{
	struct json_out j;

	json_out_init(&j);
	json_out_object_begin(&j, NULL);
	json_out_string(&j, "a", "x");
	json_out_u64(&j, "b", UINT64_MAX);
	json_out_i64(&j, "c", INT64_MIN);
	json_out_bool(&j, "d", true);
	json_out_bool(&j, "e", false);
	json_out_null(&j, "f");
	json_out_array_begin(&j, "g");
	json_out_u64(&j, NULL, 1);
	json_out_u64(&j, NULL, 2);
	json_out_object_begin(&j, NULL);
	json_out_object_end(&j);
	json_out_array_begin(&j, NULL);
	json_out_array_end(&j);
	json_out_object_begin(&j, NULL);
	json_out_string(&j, "k", NULL);
	json_out_object_end(&j);
	json_out_array_end(&j);
	json_out_object_begin(&j, "h");
	json_out_object_end(&j);
	json_out_object_end(&j);
	CHECK(!j.failed);
	CHECK_EQ(j.depth, 0);
	CHECK_STR(j.buf,
	          "{\"a\":\"x\",\"b\":18446744073709551615,\"c\":-9223372036854775808,"
	          "\"d\":true,\"e\":false,\"f\":null,\"g\":[1,2,{},[],{\"k\":null}],\"h\":{}}");
	CHECK_EQ(j.len, strlen(j.buf));

	/* reset keeps the buffer and starts over */
	json_out_reset(&j);
	CHECK_EQ(j.len, 0);
	json_out_object_begin(&j, NULL);
	json_out_u64(&j, "n", 0);
	json_out_object_end(&j);
	CHECK_STR(j.buf, "{\"n\":0}");
	json_out_free(&j);
	CHECK(j.buf == NULL);
}

static void test_escaping(void)
{
	struct json_out j;

	json_out_init(&j);
	json_out_object_begin(&j, NULL);
	json_out_string(&j, "q\"k", "a\"b\\c/d\n\r\t\b\f\x01\x1f\x7f");
	json_out_string(&j, "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	json_out_string(&j, "bad",
	                "a\xff"
	                "b\xc3"
	                "c\xe2\x82"
	                "d\xc0\xaf"
	                "e\xed\xa0\x80"
	                "f");
	json_out_object_end(&j);
	CHECK(!j.failed);
	CHECK_STR(j.buf, "{\"q\\\"k\":\"a\\\"b\\\\c/d\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\","
	                 "\"utf8\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
	                 "\"bad\":\"a\xef\xbf\xbd"
	                 "b\xef\xbf\xbd"
	                 "c\xef\xbf\xbd"
	                 "d\xef\xbf\xbd"
	                 "e\xef\xbf\xbd"
	                 "f\"}");
	json_out_free(&j);
}

static void test_doubles(void)
{
	struct json_out j;

	json_out_init(&j);
	json_out_array_begin(&j, NULL);
	json_out_double(&j, NULL, 0.0);
	json_out_double(&j, NULL, 1.5);
	json_out_double(&j, NULL, -2.25);
	json_out_double(&j, NULL, 0.1);
	json_out_double(&j, NULL, 1e300);
	json_out_double(&j, NULL, NAN);
	json_out_double(&j, NULL, INFINITY);
	json_out_double(&j, NULL, 123456.789);
	json_out_double(&j, NULL, 2000000.0);
	json_out_double(&j, NULL, -3.0);
	json_out_double(&j, NULL, 1e15);
	json_out_double(&j, NULL, 1.0 / 3);
	json_out_array_end(&j);
	CHECK_STR(j.buf, "[0,1.5,-2.25,0.1,1e+300,null,null,123456.789,2000000,-3,1e+15,"
	                 "0.3333333333333333]");
	json_out_free(&j);
}

static void test_large_and_deep(void)
{
	struct json_out j;
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_out_init(&j);
	json_out_array_begin(&j, NULL);
	for (int i = 0; i < 100; i++)
		json_out_string(&j, NULL, big);
	json_out_array_end(&j);
	CHECK(!j.failed);
	CHECK_EQ(j.len, 2 + 100 * (sizeof(big) - 1 + 2) + 99);
	json_out_free(&j);

	/* nesting past the limit fails cleanly instead of overflowing */
	json_out_init(&j);
	for (int i = 0; i < 40; i++)
		json_out_array_begin(&j, NULL);
	CHECK(j.failed);
	for (int i = 0; i < 40; i++)
		json_out_array_end(&j);
	json_out_reset(&j);
	CHECK(!j.failed);
	for (int i = 0; i < 32; i++)
		json_out_array_begin(&j, NULL);
	CHECK(!j.failed);
	for (int i = 0; i < 32; i++)
		json_out_array_end(&j);
	CHECK(!j.failed);
	CHECK_EQ(j.len, 64);
	/* an unbalanced end is ignored */
	json_out_array_end(&j);
	CHECK_EQ(j.len, 64);
	json_out_free(&j);
}

static void test_error(void)
{
	struct json_out j;

	json_out_init(&j);
	CHECK(j.error[0] == '\0');
	json_out_error(&j, "bad value %d for %s", 7, "x");
	CHECK_STR(j.error, "bad value 7 for x");
	json_out_reset(&j);
	CHECK(j.error[0] == '\0');
	json_out_free(&j);
}

int main(void)
{
	test_structure();
	test_escaping();
	test_doubles();
	test_large_and_deep();
	test_error();
	return check_done("test_json_out");
}
