/*
 * time_zone.h - checks a time zone name against the zoneinfo database, for
 * the reports' --tz and the configuration's timezone.
 */
#ifndef SYNACK_TIME_ZONE_H
#define SYNACK_TIME_ZONE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether tz names UTC (NULL, "", "UTC", "Etc/UTC", "UTC0", "GMT", ...). */
bool time_zone_is_utc(const char *tz);

/*
 * 0 when tz is UTC or a zone of the zoneinfo database ($TZDIR, else
 * /usr/share/zoneinfo): a regular file there that begins with "TZif".  A
 * leading ':' (as in TZ) is allowed.  -1 with a message in err for a name
 * that leaves the database ("bad time zone 'a/../b' ...": a '/' at the
 * start, an empty, "." or ".." component) or is not in it ("unknown time
 * zone 'Asia/Tokio' (not in /usr/share/zoneinfo; ...)").
 */
int time_zone_check(const char *tz, char *err, size_t errlen);

#endif /* SYNACK_TIME_ZONE_H */
