/*
 * check.h - the smallest possible unit-test harness.
 *
 * CHECK(cond) records a failure with file and line and goes on;
 * check_done() prints a summary and returns the exit status for main().
 * Each test program is one meson test.
 */
#ifndef SYNACK_TESTS_CHECK_H
#define SYNACK_TESTS_CHECK_H

#include <stdio.h>

static int check_failures;
static int check_count;

static inline void check_at(int ok, const char *expr, const char *file, int line)
{
	check_count++;
	if (!ok) {
		check_failures++;
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
	}
}

#define CHECK(cond) check_at((cond) ? 1 : 0, #cond, __FILE__, __LINE__)

static inline void check_eq_u64_at(unsigned long long got, unsigned long long want,
                                   const char *expr, const char *file, int line)
{
	check_count++;
	if (got != want) {
		check_failures++;
		fprintf(stderr, "%s:%d: %s: got %llu, want %llu\n", file, line, expr, got, want);
	}
}

#define CHECK_EQ(got, want)                                                                        \
	check_eq_u64_at((unsigned long long)(got), (unsigned long long)(want), #got, __FILE__,     \
	                __LINE__)

static inline int check_done(const char *name)
{
	fprintf(stderr, "%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif /* SYNACK_TESTS_CHECK_H */
