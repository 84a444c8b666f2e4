/*
 * time_zone.c - checks a time zone name against the zoneinfo database.
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

/* Whether every '/'-separated component of name is a plain name: not empty,
 * not "." and not "..". */
static bool plain_components(const char *name)
{
	for (const char *s = name;;) {
		size_t n = strcspn(s, "/");
		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (s[n] == '\0')
			return true;
		s += n + 1;
	}
}

/* Whether path is a regular file that begins with the zoneinfo magic. */
static bool is_tzif_file(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return false;
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	char magic[4];
	bool ok = fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "TZif", 4) == 0;
	fclose(f);
	return ok;
}

int time_zone_check(const char *tz, char *err, size_t errlen)
{
	if (time_zone_is_utc(tz))
		return 0;
	const char *env = getenv("TZDIR");
	const char *dir = env && *env ? env : "/usr/share/zoneinfo";
	if (tz[0] == ':')
		tz++;
	if (!plain_components(tz)) {
		snprintf(err, errlen, "bad time zone '%s' (want a name such as Europe/Berlin)", tz);
		return -1;
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/%s", dir, tz);
	if (!is_tzif_file(path)) {
		snprintf(
		    err, errlen,
		    "unknown time zone '%s' (not in %s; want a name such as Europe/Berlin or UTC)",
		    tz, dir);
		return -1;
	}
	return 0;
}
