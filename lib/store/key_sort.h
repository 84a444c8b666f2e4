/*
 * key_sort.h - sorts a commit's rows by a packed key: three 64-bit words,
 * most significant first, and the row's number.
 *
 * The store writes each table in its own key order.  Packing the key once
 * and sorting the packed items by radix (one pass per byte that differs
 * among them) costs a few sequential passes, where a comparison sort would
 * read two rows of the aggregation map for every comparison.
 */
#ifndef SYNACK_KEY_SORT_H
#define SYNACK_KEY_SORT_H

#include <stddef.h>
#include <stdint.h>

struct key_item {
	uint64_t k[3]; /* k[0] most significant */
	uint32_t row;  /* entry number in the aggregation map */
	uint32_t pad;
};

/* Sort a[0..n) ascending by k (stable); tmp holds n items. */
void key_sort(struct key_item *a, struct key_item *tmp, size_t n);

#endif
