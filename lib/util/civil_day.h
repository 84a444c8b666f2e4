/*
 * civil_day.h - days since 1970-01-01 (UTC) to and from calendar dates of
 * the proleptic Gregorian calendar, for the store's day texts and the
 * reports.
 */
#ifndef SYNACK_CIVIL_DAY_H
#define SYNACK_CIVIL_DAY_H

#include <stdint.h>

/* The day number of year y, month m (1-12), day d (1-31). */
int64_t civil_day_from_date(int64_t y, unsigned m, unsigned d);

/* "YYYY-MM-DD" of day z; a year outside 0-9999 is written as 0000. */
void civil_day_text(int32_t z, char out[11]);

#endif /* SYNACK_CIVIL_DAY_H */
