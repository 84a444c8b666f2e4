/*
 * writer_gen.c - synack-writer-gen DATA_DIR N: pushes N generated records
 * (several internal hosts incl. 10.0.0.2/10.0.0.10 and IPv6, an FTP server
 * with passive data, active-mode data, ~2 days) through the writer into
 * DATA_DIR (logs + synack.db).  For the synackctl services/rebuild tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writer/writer.h"
#include "xorshift.h"

#define S 1000000000ull

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next_rand(void)
{
	return xorshift64(&rng);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: synack-writer-gen DATA_DIR N\n");
		return 64;
	}
	size_t n = strtoul(argv[2], NULL, 10);
	struct writer_options o;
	char err[512];
	writer_options_default(&o);
	o.data_dir = argv[1];
	struct writer *w = writer_open(&o, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "synack-writer-gen: %s\n", err);
		return 1;
	}
	static const uint8_t hosts[] = {2, 10, 21, 99, 100};
	static const uint16_t ports[] = {22, 80, 443, 8080, 3389};
	uint64_t t = 1700000000ull * S;
	int last_ctl = 0;
	for (size_t i = 0; i < n; i++) {
		struct synack_record r;
		memset(&r, 0, sizeof(r));
		t += (next_rand() % (40 * S)) / 1000 * 1000;
		r.time_ns = t;
		r.flags = 0x12;
		r.family = SYNACK_FAMILY_IPV4;
		int peer = (int)(next_rand() % 300);
		int h = (int)(next_rand() % 5);
		r.dport = (uint16_t)(32768 + next_rand() % 20000);
		r.sport = ports[next_rand() % 5];
		if (hosts[h] == 21) {
			if (next_rand() % 2) {
				r.sport = 21;
				last_ctl = peer;
			} else {
				r.sport = (uint16_t)(50000 + next_rand() % 100);
				peer = last_ctl;
			}
		} else if (hosts[h] == 99) {
			r.sport = (uint16_t)(40000 + next_rand() % 100);
			r.dport = 20;
		}
		if (h == 4 && next_rand() % 2) {
			r.family = SYNACK_FAMILY_IPV6;
			uint8_t s6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1};
			uint8_t d6[16] = {
			    0x20, 0x01, 0x0d, 0xb8, 0xee, [14] = 1, [15] = (uint8_t)peer};
			memcpy(r.saddr, s6, 16);
			memcpy(r.daddr, d6, 16);
		} else {
			uint8_t s4[4] = {10, 0, 0, hosts[h]};
			uint8_t d4[4] = {198, 51, (uint8_t)(peer >> 8), (uint8_t)peer};
			memcpy(r.saddr, s4, 4);
			memcpy(r.daddr, d4, 4);
		}
		if (writer_push(w, &r, 1, t) != 0 || writer_tick(w, t) != 0) {
			fprintf(stderr, "synack-writer-gen: %s\n", writer_error(w));
			writer_close(w);
			return 1;
		}
	}
	struct writer_stats st;
	writer_get_stats(w, &st);
	writer_close(w);
	printf("records=%llu ftp_active=%llu ftp_passive=%llu\n", (unsigned long long)st.records,
	       (unsigned long long)st.ftp_active, (unsigned long long)st.ftp_passive);
	return 0;
}
