/*
 * time_arg.c - parses the DATE and TIME arguments of synackctl's commands.
 */
#include "util/time_arg.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/civil_day.h"

/* The value of n digits at s; -1 when one of them is not a digit. */
static int64_t digits(const char *s, size_t n)
{
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* The YYYY-MM-DD at the start of s (10 bytes, which must be there). */
static int parse_day_prefix(const char *s, int32_t *day)
{
	if (s[4] != '-' || s[7] != '-')
		return -1;
	int64_t y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	int64_t z = civil_day_from_date(y, (unsigned)m, (unsigned)d);
	char back[11];
	civil_day_text((int32_t)z, back);
	if (memcmp(back, s, 10) != 0) /* 2025-02-30 */
		return -1;
	*day = (int32_t)z;
	return 0;
}

int time_arg_parse_day(const char *s, int32_t *day)
{
	if (!s || strlen(s) != 10)
		return -1;
	return parse_day_prefix(s, day);
}

/* HH:MM, HH:MM:SS, either with a Z: seconds into the day, or -1. */
static int64_t parse_clock(const char *s)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == 'Z')
		n--;
	if ((n != 5 && n != 8) || s[2] != ':' || (n == 8 && s[5] != ':'))
		return -1;
	int64_t h = digits(s, 2), m = digits(s + 3, 2), sec = n == 8 ? digits(s + 6, 2) : 0;
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
		return -1;
	return h * 3600 + m * 60 + sec;
}

static int64_t unit_seconds(char unit)
{
	switch (unit) {
	case 's':
		return 1;
	case 'm':
		return 60;
	case 'h':
		return 3600;
	case 'd':
		return 86400;
	case 'w':
		return 604800;
	default:
		return 0;
	}
}

/* Digits and a unit, at most 9 digits (enough for 31 years in seconds). */
static int parse_age(const char *s, int64_t now, int64_t *out)
{
	size_t n = strlen(s);
	if (n < 2 || n > 10 || !unit_seconds(s[n - 1]))
		return -1;
	int64_t v = digits(s, n - 1);
	if (v < 0)
		return -1;
	*out = now - v * unit_seconds(s[n - 1]);
	return 0;
}

static int parse_date_time(const char *s, int64_t *out)
{
	int32_t day;
	size_t n = strlen(s);
	if (n < 10 || parse_day_prefix(s, &day) != 0)
		return -1;
	int64_t clock = 0;
	if (n > 10) {
		if (s[10] != 'T' && s[10] != ' ')
			return -1;
		clock = parse_clock(s + 11);
		if (clock < 0)
			return -1;
	}
	*out = (int64_t)day * 86400 + clock;
	return 0;
}

int time_arg_parse(const char *s, int64_t now, int64_t *out, char *err, size_t errlen)
{
	if (s[0] == '@' && all_digits(s + 1) && strlen(s + 1) <= 12) {
		*out = digits(s + 1, strlen(s + 1));
		return 0;
	}
	if (parse_age(s, now, out) == 0 || parse_date_time(s, out) == 0)
		return 0;
	if (all_digits(s))
		snprintf(err, errlen, "a bare number; Unix seconds are written @%s", s);
	else
		snprintf(err, errlen, "want " TIME_ARG_FORMS);
	return -1;
}
