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
 * "bad prefix '10.0.0.0/33': IPv4 prefix length must be 0-32"; texts of
 * several lines add " (line N)".  A bare address is a host (/32, /128).
 * Host bits set are rejected: "bad prefix '163.209.1.0/16': host bits set,
 * did you mean 163.209.0.0/16?".  A comma with no prefix since the previous
 * one is an error ("empty prefix"); one trailing comma is allowed.
 * An empty text (or only comments) gives an empty set (matches nothing).
 */
struct prefix_set *prefix_set_parse(const char *text, char *err, size_t errlen);

/* Add more prefixes from text to an existing set (same syntax and errors).
 * Returns 0, or -1 with err filled and the set unchanged.  Not for a set
 * that workers may be reading: build a new one and swap pointers. */
int prefix_set_add_text(struct prefix_set *set, const char *text, char *err, size_t errlen);

void prefix_set_free(struct prefix_set *set);

/* addr4 in network byte order as it sits in the packet (4 bytes).  A NULL
 * set contains nothing. */
bool prefix_set_contains4(const struct prefix_set *set, const uint8_t addr[4]);
/* addr6: 16 bytes in network byte order. */
bool prefix_set_contains6(const struct prefix_set *set, const uint8_t addr[16]);

/* Number of prefixes as given (both families, duplicates counted); 0 for
 * NULL. */
size_t prefix_set_count(const struct prefix_set *set);

/* Number of prefixes as given and of merged ranges, per family. */
struct prefix_set_stats {
	size_t prefixes4, prefixes6; /* as given */
	size_t ranges4, ranges6;     /* after merging */
};
void prefix_set_stats(const struct prefix_set *set, struct prefix_set_stats *st);

/* Write the set back as canonical text ("a/len, b/len"): the merged ranges,
 * each as the fewest CIDR prefixes covering it, IPv4 then IPv6, in address
 * order, so equal sets give equal text and parsing it gives the same set.
 * Returns bytes needed without the NUL (like snprintf); buf may be NULL when
 * buflen is 0. */
size_t prefix_set_format(const struct prefix_set *set, char *buf, size_t buflen);

#endif /* SYNACK_PREFIX_SET_H */
