/*
 * compare_fixture.c - builds DATA/synack.db from a small text file, one
 * SYN+ACK per line: "YYYY-MM-DDTHH:MM:SSZ INTERNAL_ADDR PORT [EXTERNAL_ADDR]".
 * Lines starting with '#' and blank lines are skipped.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: synack-compare-fixture DATA_DIR RECORDS.txt\n");
		return 64;
	}
	char path[4200], err[1024], line[512];
	snprintf(path, sizeof(path), "%s/synack.db", argv[1]);
	struct store *s = store_open(path, NULL, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		return 1;
	}
	int n = 0, lineno = 0;
	while (fgets(line, sizeof(line), f)) {
		char when[64], src[64], dst[64] = "198.51.100.7";
		unsigned port;
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%63s %63s %u %63s", when, src, &port, dst) < 3) {
			fprintf(stderr, "%s:%d: bad line\n", argv[2], lineno);
			return 1;
		}
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		if (!strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
			fprintf(stderr, "%s:%d: bad time\n", argv[2], lineno);
			return 1;
		}
		struct synack_record r;
		memset(&r, 0, sizeof(r));
		r.time_ns = (uint64_t)timegm(&tm) * 1000000000ull;
		int v6 = strchr(src, ':') != NULL;
		r.family = v6 ? SYNACK_FAMILY_IPV6 : SYNACK_FAMILY_IPV4;
		if (inet_pton(v6 ? AF_INET6 : AF_INET, src, r.saddr) != 1 ||
		    inet_pton(strchr(dst, ':') ? AF_INET6 : AF_INET, dst, r.daddr) != 1) {
			fprintf(stderr, "%s:%d: bad address\n", argv[2], lineno);
			return 1;
		}
		r.sport = (uint16_t)port;
		r.dport = 40000;
		r.flags = 0x12;
		if (store_add(s, &r, 1, r.time_ns) < 0) {
			fprintf(stderr, "%s\n", store_error(s));
			return 1;
		}
		n++;
	}
	fclose(f);
	if (store_commit(s) != 0) {
		fprintf(stderr, "%s\n", store_error(s));
		return 1;
	}
	store_close(s);
	printf("%d records\n", n);
	return 0;
}
