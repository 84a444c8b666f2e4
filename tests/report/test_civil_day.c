/*
 * test_civil_day.c - lib/util/civil_day against the C library's gmtime_r()
 * and timegm(): every day from 0001-01-01 to 9999-12-31 gives the same text,
 * and each text's date gives the day back.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "util/civil_day.h"

int main(void)
{
	/* 0001-01-01 and 9999-12-31 in days since 1970-01-01 */
	const int32_t first = -719162, last = 2932896;
	unsigned text_bad = 0, back_bad = 0;

	for (int32_t z = first; z <= last; z++) {
		time_t t = (time_t)z * 86400;
		struct tm tm;
		char want[32], got[11];
		gmtime_r(&t, &tm);
		snprintf(want, sizeof want, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
		         tm.tm_mday);
		civil_day_text(z, got);
		text_bad += strcmp(got, want) != 0;
		back_bad += civil_day_from_date(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1,
		                                (unsigned)tm.tm_mday) != z;
	}
	CHECK_EQ(text_bad, 0);
	CHECK_EQ(back_bad, 0);

	struct tm leap = {.tm_year = 2024 - 1900, .tm_mon = 1, .tm_mday = 29};
	CHECK_EQ(civil_day_from_date(2024, 2, 29), (int64_t)(timegm(&leap) / 86400));
	char out[11];
	civil_day_text(first - 1, out); /* year 0 */
	CHECK(strcmp(out, "0000-12-31") == 0);
	civil_day_text(last + 1, out); /* year 10000: out of range */
	CHECK(strncmp(out, "0000-", 5) == 0);
	return check_done("civil_day");
}
