/*
 * fuzz_scan.h - the body shared by the importer targets (fuzz_nmap,
 * fuzz_masscan, fuzz_nessus): parse the input with one importer from an
 * exactly-sized buffer (so ASan sees any read past len), finish the set and
 * query every service and coverage entry found.
 */
#ifndef SYNACK_FUZZ_SCAN_H
#define SYNACK_FUZZ_SCAN_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "importers/scan.h"

typedef int (*scan_parser)(struct scan_set *s, const char *name, const char *buf, size_t len,
                           char *err, size_t errlen);

static inline void fuzz_scan_check(const struct scan_set *s)
{
	for (size_t i = 0; i < s->nsvc; i++) {
		const struct scan_svc *v = &s->svc[i];
		char text[64];
		if (v->addr.family != 4 && v->addr.family != 6)
			abort();
		if (i > 0 && scan_addr_cmp(&s->svc[i - 1].addr, &v->addr) == 0 &&
		    s->svc[i - 1].port >= v->port)
			abort(); /* sorted and unique after scan_set_finish */
		if (scan_find(s, &v->addr, v->port) == NULL)
			abort();
		scan_addr_text(&v->addr, text, sizeof(text));
		(void)scan_covered(s, &v->addr, v->port);
		(void)scan_host_covered(s, &v->addr);
		(void)scan_port_covered(s, v->port);
	}
	for (size_t i = 0; i < s->ncover; i++)
		for (size_t h = 0; h < s->cover[i].nhosts; h++)
			(void)scan_host_covered(s, &s->cover[i].hosts[h]);
}

static inline int fuzz_scan(scan_parser parse, const uint8_t *data, size_t size)
{
	struct scan_set s;
	char err[512];
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	scan_set_init(&s);
	err[0] = '\0';
	if (parse(&s, "fuzz", buf, size, err, sizeof(err)) == 0) {
		if (scan_set_finish(&s) == 0)
			fuzz_scan_check(&s);
	} else if (err[0] == '\0') {
		abort(); /* every refusal has a reason */
	}
	scan_set_free(&s);
	free(buf);
	return 0;
}

#endif /* SYNACK_FUZZ_SCAN_H */
