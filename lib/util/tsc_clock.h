/*
 * tsc_clock.h - wall-clock nanoseconds from a TSC reading and an anchor.
 *
 * synackd's main lcore publishes anchors (a TSC value and the
 * CLOCK_REALTIME nanoseconds read at that moment) about once a second;
 * workers turn a TSC reading into UTC nanoseconds with one multiply.  A
 * reading may be a little older than the newest anchor (main re-anchored
 * between a worker's rdtsc and its load of the anchor, or the worker's TSC
 * lags main's): it is then before the anchor, never 2^64 cycles after it.
 */
#ifndef SYNACK_TSC_CLOCK_H
#define SYNACK_TSC_CLOCK_H

#include <stdint.h>

/* tsc_clock_mult(): nanoseconds per TSC cycle in 32.32 fixed point. */
static inline uint64_t tsc_clock_mult(uint64_t tsc_hz)
{
	return (uint64_t)(((unsigned __int128)1000000000ull << 32) / tsc_hz);
}

static inline uint64_t tsc_clock_ns(uint64_t anchor_tsc, uint64_t anchor_ns,
                                    uint64_t ns_per_cycle_q32, uint64_t tsc)
{
	if (tsc < anchor_tsc)
		return anchor_ns -
		       (uint64_t)(((unsigned __int128)(anchor_tsc - tsc) * ns_per_cycle_q32) >> 32);
	return anchor_ns +
	       (uint64_t)(((unsigned __int128)(tsc - anchor_tsc) * ns_per_cycle_q32) >> 32);
}

#endif /* SYNACK_TSC_CLOCK_H */
