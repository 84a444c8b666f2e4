/*
 * fuzz_config.c - libFuzzer target for synackd's configuration parser:
 * config_parse_text() then config_validate() on arbitrary text.
 *
 * Keys that name files (internal_file, exclude_file) may only name files in
 * a folder the target makes for itself, which holds one prefix file "p":
 * an input with a '/' after "_file" on a line is skipped, so the parser
 * never reads a device or a large file of the machine, and every '%' of the
 * input becomes that folder's absolute path and a '/' (file keys take
 * absolute paths only: "internal_file = %p").  Every error must carry a
 * message.
 *
 *   build-fuzz/tests/fuzz/fuzz_config -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char folder[64];

static void remove_folder(void)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/p", folder);
	unlink(path);
	rmdir(folder);
}

/* A private working folder with a small prefix file "p". */
static void enter_folder(void)
{
	snprintf(folder, sizeof(folder), "/tmp/fuzz_config.XXXXXX");
	if (!mkdtemp(folder) || chdir(folder) != 0)
		abort();
	FILE *f = fopen("p", "w");
	if (!f)
		abort();
	fputs("198.18.0.0/15\n2001:db8::/32\n", f);
	fclose(f);
	atexit(remove_folder);
}

/* Whether a line mentioning "_file" has a '/' after it. */
static int names_outside_file(const char *text)
{
	for (const char *k = strstr(text, "_file"); k; k = strstr(k + 1, "_file")) {
		const char *eol = strchr(k, '\n');
		const char *slash = strchr(k, '/');
		if (slash && (!eol || slash < eol))
			return 1;
	}
	return 0;
}

/* text with each '%' replaced by "FOLDER/"; text is freed. */
static char *expand_folder(char *text)
{
	size_t n = 0, flen = strlen(folder);
	for (const char *p = text; *p; p++)
		n += *p == '%' ? flen + 1 : 1;
	char *out = malloc(n + 1), *o = out;
	if (out) {
		for (const char *p = text; *p; p++) {
			if (*p != '%') {
				*o++ = *p;
				continue;
			}
			memcpy(o, folder, flen);
			o += flen;
			*o++ = '/';
		}
		*o = '\0';
	}
	free(text);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct synackd_config *c;
	char err[512];
	char *text;

	if (folder[0] == '\0')
		enter_folder();
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (strlen(text) != size || names_outside_file(text)) {
		free(text);
		return 0;
	}
	text = expand_folder(text);
	if (!text)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	config_defaults(c);
	err[0] = '\0';
	if (config_parse_text(c, "fuzz.conf", text, err, sizeof(err)) == 0) {
		err[0] = '\0';
		if (config_validate(c, err, sizeof(err)) == 0) {
			for (unsigned l = 0; l < CONFIG_MAX_LCORE + 2; l++)
				(void)config_lcore_role(c, l);
		} else if (err[0] == '\0') {
			abort();
		}
	} else if (err[0] == '\0') {
		abort();
	}
	config_free(c);
	free(c);
	free(text);
	return 0;
}
