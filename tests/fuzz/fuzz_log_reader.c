/*
 * fuzz_log_reader.c - libFuzzer target for the hourly log reader.
 *
 * The input is a log file.  It is handed to log_reader_open() through a
 * memfd (the reader takes a path), then read to the end in small and large
 * batches.  Every record returned must have a valid family, an error always
 * carries a message, and both readings return the same records, the same
 * cut and the same session and block counts (format 2 decoding is
 * stateful: a batch size must not change it).
 *
 *   build-fuzz/tests/fuzz/fuzz_log_reader -max_total_time=60 CORPUS_DIR
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log/log_reader.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one reading saw. */
struct reading {
	uint64_t hash, records, sessions, blocks;
	bool truncated;
};

static uint64_t mix(uint64_t h, const struct synack_record *rec)
{
	const uint8_t *p = (const uint8_t *)rec;
	for (size_t i = 0; i < sizeof(*rec); i++)
		h = (h ^ p[i]) * 0x100000001B3ull;
	return h;
}

static void read_all(struct log_reader *r, size_t batch, struct reading *out)
{
	struct synack_record recs[64];
	long n;
	int rounds = 0;

	while ((n = log_reader_next(r, recs, batch)) > 0 && rounds++ < 1000000) {
		if ((size_t)n > batch)
			abort();
		for (long i = 0; i < n; i++) {
			if (recs[i].family != SYNACK_FAMILY_IPV4 &&
			    recs[i].family != SYNACK_FAMILY_IPV6)
				abort();
			out->hash = mix(out->hash, &recs[i]);
		}
		out->records += (uint64_t)n;
	}
	if (n < 0 && log_reader_error(r)[0] == '\0')
		abort(); /* an error always has a message */
	out->truncated = log_reader_truncated(r);
	log_reader_counts(r, &out->sessions, &out->blocks);
	(void)log_reader_sensor_id(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256] = "", path[64];
	int fd = memfd_create("fuzz_log_reader", 0);

	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct reading seen[2];
	memset(seen, 0, sizeof(seen));
	int k = 0;
	for (size_t batch = 1; batch <= 64; batch *= 64, k++) {
		struct log_reader *r = log_reader_open(path, err, sizeof(err));
		if (!r) {
			if (err[0] == '\0')
				abort();
			break;
		}
		read_all(r, batch, &seen[k]);
		log_reader_close(r);
	}
	if (k == 2 && memcmp(&seen[0], &seen[1], sizeof(seen[0])) != 0)
		abort(); /* the batch size changed what was read */
	close(fd);
	return 0;
}
