/*
 * xorshift.h - the tests' repeatable pseudo-random numbers.
 *
 * xorshift64 (Marsaglia): each call advances *state (never 0) and returns
 * it.  Same seed, same sequence, on every machine.
 */
#ifndef SYNACK_TESTS_XORSHIFT_H
#define SYNACK_TESTS_XORSHIFT_H

#include <stdint.h>

static inline uint64_t xorshift64(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

#endif /* SYNACK_TESTS_XORSHIFT_H */
