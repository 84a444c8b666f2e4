/*
 * test_time_arg.c - lib/util/time_arg: the DATE and TIME arguments of every
 * synackctl command.  Expected values are Unix times written out by hand
 * (2025-03-04T00:00:00Z = 1741046400) or computed with timegm().
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "util/time_arg.h"

static int64_t parse(const char *s, int64_t now, int *rc)
{
	char err[256] = "";
	int64_t t = -12345;
	*rc = time_arg_parse(s, now, &t, err, sizeof(err));
	return t;
}

static void accepted(const char *s, int64_t want)
{
	int rc;
	int64_t got = parse(s, 1741100000, &rc);
	CHECK(rc == 0);
	CHECK_EQ((unsigned long long)got, (unsigned long long)want);
}

static void refused(const char *s)
{
	int rc;
	parse(s, 1741100000, &rc);
	CHECK(rc == -1);
}

static void days(void)
{
	int32_t day = -1;
	CHECK(time_arg_parse_day("2025-03-04", &day) == 0);
	CHECK_EQ(day, 1741046400 / 86400);
	CHECK(time_arg_parse_day("2024-02-29", &day) == 0); /* leap day */
	CHECK_EQ(day, 19782);
	CHECK(time_arg_parse_day("1970-01-01", &day) == 0);
	CHECK_EQ(day, 0);
	const char *bad[] = {"2025-02-29",      "2025-02-30", "2025-02-31", "2025-04-31",
	                     "2025-3-4",        "2025-03-4",  "2025/03/04", "25-03-04",
	                     "1969-12-31",      "2025-13-01", "2025-00-10", "2025-03-00",
	                     "2025-03-04x",     "",           "today",      "+025-03-04",
	                     "2025-03-04T00:00"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(time_arg_parse_day(bad[i], &day) == -1);
}

static void times(void)
{
	accepted("2025-03-04", 1741046400);
	accepted("2025-03-04T10:20", 1741046400 + 10 * 3600 + 20 * 60);
	accepted("2025-03-04T10:20Z", 1741046400 + 10 * 3600 + 20 * 60);
	accepted("2025-03-04 10:20:30", 1741046400 + 10 * 3600 + 20 * 60 + 30);
	accepted("2025-03-04T23:59:59Z", 1741046400 + 86399);
	accepted("@1741046400", 1741046400);
	accepted("@0", 0);
	accepted("24h", 1741100000 - 86400);
	accepted("7d", 1741100000 - 7 * 86400);
	accepted("2w", 1741100000 - 14 * 86400);
	accepted("30m", 1741100000 - 1800);
	accepted("90s", 1741100000 - 90);

	struct tm tm = {.tm_year = 2024 - 1900, .tm_mon = 1, .tm_mday = 29, .tm_hour = 12};
	accepted("2024-02-29T12:00:00", (int64_t)timegm(&tm));

	refused("2025-02-30");
	refused("2025-02-31");
	refused("2025-3-4");
	refused("2025-02-30T10:00");
	refused("2025-03-04T24:00");
	refused("2025-03-04T10:60");
	refused("2025-03-04T10:00:60");
	refused("2025-03-04T1:00");
	refused("2025-03-04X10:00");
	refused("2025-03-04Z");
	refused("1741046400"); /* bare seconds: @1741046400 */
	refused("@");
	refused("@-5");
	refused("@12x");
	refused("24");
	refused("h");
	refused("24y");
	refused("-24h");
	refused("yesterday");
	refused("");

	char err[256] = "";
	int64_t t;
	CHECK(time_arg_parse("1741046400", 0, &t, err, sizeof(err)) == -1);
	CHECK(strstr(err, "@1741046400") != NULL);
	CHECK(time_arg_parse("2025-02-30", 0, &t, err, sizeof(err)) == -1);
	CHECK(strstr(err, "YYYY-MM-DD") != NULL);
}

int main(void)
{
	days();
	times();
	return check_done("time_arg");
}
