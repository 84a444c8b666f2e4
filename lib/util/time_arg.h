/*
 * time_arg.h - parses the DATE and TIME arguments of synackctl's commands,
 * one parser for all of them (doc/control.md, "Dates and times").
 */
#ifndef SYNACK_TIME_ARG_H
#define SYNACK_TIME_ARG_H

#include <stddef.h>
#include <stdint.h>

/* What a TIME may be, for messages and usage texts. */
#define TIME_ARG_FORMS                                                                             \
	"YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z] (UTC), @UNIXSECONDS, or an age such as 30m, 24h, "   \
	"7d, 2w"

/*
 * DATE is YYYY-MM-DD exactly (four, two and two digits), a calendar date
 * from 1970-01-01 to 9999-12-31: 2025-02-30 and 2025-3-4 are refused.
 * Returns 0 with *day in days since 1970-01-01, or -1.
 */
int time_arg_parse_day(const char *s, int32_t *day);

/*
 * TIME is a DATE (its midnight, UTC), a DATE followed by T or a space and
 * HH:MM or HH:MM:SS, optionally Z (UTC), @UNIXSECONDS, or an age before
 * now: digits and one of s, m, h, d, w.  A bare number is refused (it could
 * be a date written without dashes); Unix seconds take the @.  Returns 0
 * with *out in Unix seconds, or -1 and what was wrong in err.
 */
int time_arg_parse(const char *s, int64_t now, int64_t *out, char *err, size_t errlen);

#endif /* SYNACK_TIME_ARG_H */
