/*
 * time_zone.h - checks a time zone name before it is used or stored (the
 * report's --tz, the database's meta.timezone).
 */
#ifndef SYNACK_TIME_ZONE_H
#define SYNACK_TIME_ZONE_H

#include <stdbool.h>
#include <stddef.h>

/* NULL, "", UTC, Etc/UTC, UTC0, GMT, Etc/GMT. */
bool time_zone_is_utc(const char *tz);

/* 0 when tz is UTC or a file of the zone database ($TZDIR, else
 * /usr/share/zoneinfo); -1 and "unknown time zone '...'" (or "bad time
 * zone" for a path) in err. */
int time_zone_check(const char *tz, char *err, size_t errlen);

#endif /* SYNACK_TIME_ZONE_H */
