/*
 * time_zone.c - checks a time zone name (time_zone.h).
 */
#include "util/time_zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool time_zone_is_utc(const char *tz)
{
	return !tz || !*tz || strcmp(tz, "UTC") == 0 || strcmp(tz, "Etc/UTC") == 0 ||
	       strcmp(tz, "UTC0") == 0 || strcmp(tz, "Etc/GMT") == 0 || strcmp(tz, "GMT") == 0;
}

int time_zone_check(const char *tz, char *err, size_t errlen)
{
	if (time_zone_is_utc(tz))
		return 0;
	const char *dir = getenv("TZDIR");
	char path[4200];
	struct stat sb;
	if (tz[0] == ':')
		tz++;
	if (strstr(tz, "..") || tz[0] == '/') {
		snprintf(err, errlen, "bad time zone '%s' (want a name such as Europe/Berlin)", tz);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", tz);
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(
		    err, errlen,
		    "unknown time zone '%s' (not in %s; want a name such as Europe/Berlin or UTC)",
		    tz, dir && *dir ? dir : "/usr/share/zoneinfo");
		return -1;
	}
	return 0;
}
