/*
 * fuzz_prefix_set.c - libFuzzer target: prefix_set_parse() on arbitrary
 * text, then format -> parse -> format must give the same text.
 * Build with -Dfuzz=true (clang).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prefix/prefix_set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];
	memcpy(text, data, size);
	text[size] = '\0';
	struct prefix_set *s = prefix_set_parse(text, err, sizeof(err));
	free(text);
	if (s == NULL) {
		if (strlen(err) == 0)
			abort(); /* every error has a message */
		return 0;
	}
	uint8_t a[16] = {0};
	memcpy(a, data, size < 16 ? size : 16);
	(void)prefix_set_contains4(s, a);
	(void)prefix_set_contains6(s, a);
	size_t n = prefix_set_format(s, NULL, 0);
	char *f1 = malloc(n + 1);
	if (prefix_set_format(s, f1, n + 1) != n)
		abort();
	struct prefix_set *s2 = prefix_set_parse(f1, err, sizeof(err));
	if (s2 == NULL)
		abort(); /* canonical text always parses */
	size_t n2 = prefix_set_format(s2, NULL, 0);
	char *f2 = malloc(n2 + 1);
	prefix_set_format(s2, f2, n2 + 1);
	if (n != n2 || strcmp(f1, f2) != 0)
		abort();
	if (prefix_set_contains4(s, a) != prefix_set_contains4(s2, a) ||
	    prefix_set_contains6(s, a) != prefix_set_contains6(s2, a))
		abort();
	free(f1);
	free(f2);
	prefix_set_free(s);
	prefix_set_free(s2);
	return 0;
}
