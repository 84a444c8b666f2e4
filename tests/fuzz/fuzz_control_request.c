/*
 * fuzz_control_request.c - libFuzzer target for the control protocol's
 * request line parser, control_parse_request().
 *
 * The input is the bytes of one line, as the server hands it over: split
 * at the first NUL (the server refuses lines with a NUL before parsing)
 * and NUL-terminated in an exactly-sized buffer.  Checks: words are
 * non-empty, hold no space, tab or control byte, lie inside the line, in
 * order, and argv ends with NULL.
 *
 *   build-fuzz/tests/fuzz/fuzz_control_request -max_total_time=60 CORPUS_DIR
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_WORDS = 64 };

static void check_words(char *line, size_t len, char **argv, int argc)
{
	const char *prev_end = line;

	if (argc < 1 || argc > MAX_WORDS || argv[argc] != NULL)
		abort();
	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);
		if (n == 0 || argv[i] < prev_end || argv[i] + n > line + len)
			abort();
		for (size_t k = 0; k < n; k++) {
			unsigned char ch = (unsigned char)argv[i][k];
			if (ch <= 0x20 || ch == 0x7f)
				abort();
		}
		prev_end = argv[i] + n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t len = nul ? (size_t)(nul - data) : size;
	char *line = malloc(len + 1);
	char *argv[MAX_WORDS + 1];
	char err[512];
	bool fatal;

	if (!line)
		return 0;
	memcpy(line, data, len);
	line[len] = '\0';
	err[0] = '\0';
	int argc = control_parse_request(line, len, argv, MAX_WORDS, &fatal, err, sizeof(err));
	if (argc < 0) {
		if (err[0] == '\0')
			abort(); /* every refusal has a reason */
	} else {
		check_words(line, len, argv, argc);
	}
	free(line);
	return 0;
}
