/*
 * fuzz_json_in.c - libFuzzer target for the JSON reader (meson -Dfuzz=true,
 * clang).  Whatever parses must also walk without trouble.
 */
#include <stddef.h>
#include <stdint.h>

#include "control/json_in.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const struct json_value *v)
{
	size_t n = 1;
	for (size_t i = 0; i < v->n; i++)
		n += walk(v->items[i]);
	if (v->type == JSON_OBJECT && v->n)
		(void)json_get(v, v->keys[v->n - 1]);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	struct json_value *v = json_parse((const char *)data, size, err, sizeof(err));
	if (v)
		(void)walk(v);
	json_value_free(v);
	return 0;
}
