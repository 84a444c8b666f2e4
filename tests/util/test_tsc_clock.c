/*
 * test_tsc_clock.c - TSC readings to wall-clock nanoseconds, around the
 * anchor: after it, at it, and before it (a reading older than the newest
 * anchor must give a time just before the anchor's, not centuries later).
 */
#include <stdint.h>

#include "check.h"
#include "util/tsc_clock.h"

/* The expected time, computed independently in floating point. */
static int64_t expected_ns(uint64_t hz, uint64_t anchor_tsc, uint64_t anchor_ns, uint64_t tsc)
{
	long double cycles = (long double)tsc - (long double)anchor_tsc;
	return (int64_t)anchor_ns + (int64_t)(cycles * 1e9L / (long double)hz);
}

/* Within 2 ns, plus 1 ns per 100 ms from the anchor (the 32.32 multiplier
 * is truncated; anchors are refreshed about once a second). */
static int near(uint64_t got, int64_t want, uint64_t anchor_ns)
{
	int64_t d = (int64_t)got - want;
	int64_t from_anchor = want - (int64_t)anchor_ns;
	int64_t slack = 2 + (from_anchor < 0 ? -from_anchor : from_anchor) / 100000000;
	return d >= -slack && d <= slack;
}

int main(void)
{
	const uint64_t hzs[] = {1000000000ull, 2495000000ull, 3600000000ull};
	const uint64_t anchor_ns = 1795000000ull * 1000000000ull; /* 2026-11-18 */
	const uint64_t anchor_tsc = 5000000000000ull;
	const int64_t offsets[] = {0,  1,     1000,     2500000000ll, 30000000000ll,
	                           -1, -2495, -1000000, -2000000000ll};

	for (unsigned h = 0; h < sizeof hzs / sizeof hzs[0]; h++) {
		uint64_t mult = tsc_clock_mult(hzs[h]);
		for (unsigned i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
			uint64_t tsc = anchor_tsc + (uint64_t)offsets[i];
			uint64_t got = tsc_clock_ns(anchor_tsc, anchor_ns, mult, tsc);
			CHECK(
			    near(got, expected_ns(hzs[h], anchor_tsc, anchor_ns, tsc), anchor_ns));
		}
	}
	/* one cycle before the anchor is never later than the anchor */
	CHECK(tsc_clock_ns(anchor_tsc, anchor_ns, tsc_clock_mult(2495000000ull), anchor_tsc - 1) <=
	      anchor_ns);
	return check_done("tsc_clock");
}
