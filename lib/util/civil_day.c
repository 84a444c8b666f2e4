/*
 * civil_day.c - calendar dates from day numbers and back, by whole eras of
 * 400 years (146,097 days) so that no table and no loop over years is
 * needed (the civil_from_days method).
 */
#include "util/civil_day.h"

#include <stdio.h>
#include <string.h>

int64_t civil_day_from_date(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void civil_day_text(int32_t z, char out[11])
{
	int64_t zz = (int64_t)z + 719468;
	int64_t era = (zz >= 0 ? zz : zz - 146096) / 146097;
	int64_t doe = zz - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y < 0 || y > 9999)
		y = 0;
	char buf[40];
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", (int)y, (int)m, (int)d);
	memcpy(out, buf, 10);
	out[10] = '\0';
}
