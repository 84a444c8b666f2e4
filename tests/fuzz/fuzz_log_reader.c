/*
 * fuzz_log_reader.c - libFuzzer target for the hourly log reader.
 *
 * The input is a log file.  It is handed to log_reader_open() through a
 * memfd (the reader takes a path), then read to the end in small and large
 * batches.  Every record returned must have a valid family, and an error
 * always carries a message.
 *
 *   build-fuzz/tests/fuzz/fuzz_log_reader -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log/log_reader.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(struct log_reader *r, size_t batch)
{
	struct synack_record recs[64];
	long n;
	int rounds = 0;

	while ((n = log_reader_next(r, recs, batch)) > 0 && rounds++ < 1000000) {
		if ((size_t)n > batch)
			abort();
		for (long i = 0; i < n; i++)
			if (recs[i].family != SYNACK_FAMILY_IPV4 &&
			    recs[i].family != SYNACK_FAMILY_IPV6)
				abort();
	}
	if (n < 0 && log_reader_error(r)[0] == '\0')
		abort(); /* an error always has a message */
	(void)log_reader_truncated(r);
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
	for (size_t batch = 1; batch <= 64; batch *= 64) {
		struct log_reader *r = log_reader_open(path, err, sizeof(err));
		if (!r) {
			if (err[0] == '\0')
				abort();
			break;
		}
		read_all(r, batch);
		log_reader_close(r);
	}
	close(fd);
	return 0;
}
