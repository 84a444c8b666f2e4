/*
 * key_sort.c - see key_sort.h.  Least significant digit radix sort, one
 * byte per pass; the histograms of all 24 bytes come from one read of the
 * items, and a byte that is the same in every item costs no pass.
 */
#include "store/key_sort.h"

#include <string.h>

enum { KEY_BYTES = 24 };

/* Byte b of the key, 0 = least significant (k[2] bits 0-7). */
static inline unsigned key_byte(const struct key_item *x, unsigned b)
{
	return (unsigned)(x->k[2 - b / 8] >> (8 * (b % 8))) & 0xffu;
}

void key_sort(struct key_item *a, struct key_item *tmp, size_t n)
{
	uint32_t count[KEY_BYTES][256];
	struct key_item *src = a, *dst = tmp;

	if (n < 2)
		return;
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (unsigned b = 0; b < KEY_BYTES; b++)
			count[b][key_byte(&a[i], b)]++;
	for (unsigned b = 0; b < KEY_BYTES; b++) {
		uint32_t *c = count[b];
		if (c[key_byte(&a[0], b)] == n)
			continue; /* the same in every item */
		uint32_t at = 0;
		for (unsigned d = 0; d < 256; d++) {
			uint32_t k = c[d];
			c[d] = at;
			at += k;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[key_byte(&src[i], b)]++] = src[i];
		struct key_item *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}
