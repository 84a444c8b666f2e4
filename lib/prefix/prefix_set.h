/*
 * prefix_set.h - sets of IPv4 and IPv6 prefixes (internal, excluded).
 *
 * A set is parsed once from text such as "163.209.0.0/16, 2001:db8:1::/48"
 * (separators: comma, whitespace or newline; '#' starts a comment to the end
 * of the line), merged into sorted, non-overlapping address ranges, and then
 * only read.  Lookups are binary searches over those ranges, so hundreds of
 * prefixes cost a handful of comparisons.  A set is immutable after it is
 * built: to change prefixes at run time, build a new set and swap pointers.
 */
#ifndef SYNACK_PREFIX_SET_H
#define SYNACK_PREFIX_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct prefix_set;

/*
 * Parse text into a new set.  On error returns NULL and writes a message
 * naming the offending token and the reason into err (errlen bytes), e.g.
 * "bad prefix '10.0.0.0/33': IPv4 prefix length must be 0-32".
 * An empty text gives an empty set (matches nothing).
 */
struct prefix_set *prefix_set_parse(const char *text, char *err, size_t errlen);

/* Add more prefixes from text to an existing set (same syntax and errors).
 * Returns 0, or -1 with err filled. */
int prefix_set_add_text(struct prefix_set *set, const char *text, char *err, size_t errlen);

void prefix_set_free(struct prefix_set *set);

/* addr4 in network byte order as it sits in the packet (4 bytes). */
bool prefix_set_contains4(const struct prefix_set *set, const uint8_t addr[4]);
/* addr6: 16 bytes in network byte order. */
bool prefix_set_contains6(const struct prefix_set *set, const uint8_t addr[16]);

/* Number of prefixes as given and of merged ranges, per family. */
size_t prefix_set_count(const struct prefix_set *set);

/* Write the set back as canonical text ("a/len, b/len"); returns bytes
 * needed (like snprintf). */
size_t prefix_set_format(const struct prefix_set *set, char *buf, size_t buflen);

#endif /* SYNACK_PREFIX_SET_H */
