/*
 * test_key_sort.c - the radix sort of packed keys against qsort with a
 * plain comparison, on keys that differ in few bytes, in many, in the
 * sign bit, and with runs of equal keys (the sort must be stable).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "store/key_sort.h"
#include "xorshift.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t next_rand(void)
{
	return xorshift64(&rng);
}

/* By key, then by row: the order a stable sort gives to items numbered in
 * their input order. */
static int cmp_items(const void *x, const void *y)
{
	const struct key_item *a = x, *b = y;
	for (int i = 0; i < 3; i++)
		if (a->k[i] != b->k[i])
			return a->k[i] < b->k[i] ? -1 : 1;
	return a->row < b->row ? -1 : a->row > b->row;
}

static void check_one(size_t n, uint64_t mask0, uint64_t mask1, uint64_t mask2)
{
	struct key_item *a = calloc(n + 1, sizeof(*a));
	struct key_item *want = calloc(n + 1, sizeof(*want));
	struct key_item *tmp = calloc(n + 1, sizeof(*tmp));
	for (size_t i = 0; i < n; i++) {
		a[i].k[0] = next_rand() & mask0;
		a[i].k[1] = next_rand() & mask1;
		a[i].k[2] = next_rand() & mask2;
		a[i].row = (uint32_t)i;
	}
	memcpy(want, a, n * sizeof(*a));
	qsort(want, n, sizeof(*want), cmp_items);
	key_sort(a, tmp, n);
	size_t bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += memcmp(&a[i], &want[i], sizeof(*a)) != 0;
	CHECK_EQ(bad, 0);
	free(a);
	free(want);
	free(tmp);
}

int main(void)
{
	check_one(0, ~0ull, ~0ull, ~0ull);
	check_one(1, ~0ull, ~0ull, ~0ull);
	check_one(2, 1, 0, 0);
	check_one(1000, ~0ull, ~0ull, ~0ull);         /* every byte differs */
	check_one(5000, 0, 0x3ff, 0xffff00000000ull); /* few bytes, gaps */
	check_one(5000, 3, 1, 7);                     /* long runs of equal keys */
	check_one(3000, 0x8000000000000000ull, 0, 1); /* the top bit only */
	check_one(100000, 0xff, 0xfffff, 0xffffffffffffull);
	return check_done("test_key_sort");
}
