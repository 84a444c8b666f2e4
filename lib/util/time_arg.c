/*
 * time_arg.c - parses the TIME arguments of synackctl's commands.
 */
#include "util/time_arg.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	default:
		return 604800; /* 'w' */
	}
}

int time_arg_parse(const char *s, int64_t now, int64_t *out)
{
	static const char *const formats[] = {
	    "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%MZ",
	    "%Y-%m-%dT%H:%M",     "%Y-%m-%d %H:%M",    "%Y-%m-%d"};
	size_t len = strlen(s);
	char *end;

	if (s[0] == '@') {
		errno = 0;
		long long v = strtoll(s + 1, &end, 10);
		if (errno || end == s + 1 || *end)
			return -1;
		*out = v;
		return 0;
	}
	if (len >= 2 && len < 12 && isdigit((unsigned char)s[0]) && strchr("smhdw", s[len - 1]) &&
	    strspn(s, "0123456789") == len - 1) {
		*out = now - strtoll(s, NULL, 10) * unit_seconds(s[len - 1]);
		return 0;
	}
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, formats[i], &tm);
		if (end && *end == '\0') {
			*out = (int64_t)timegm(&tm);
			return 0;
		}
	}
	return -1;
}
