/*
 * fuzz_capture.c - libFuzzer target for the capture reader (-Dfuzz=true,
 * clang).  The input is a capture file; it is read through a memfd (the
 * mmap path) and, for small inputs, through a pipe on standard input (the
 * streaming path).  Every returned frame is touched byte by byte so ASan sees
 * any read past the data.
 *
 *   build-fuzz/tests/capture/fuzz_capture -max_total_time=60 CORPUS_DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/capture_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void drain(struct capture_file *c)
{
	struct capture_frame f;
	volatile uint8_t sink = 0;
	int n = 0;
	enum capture_status s;
	while ((s = capture_next(c, &f)) == CAPTURE_FRAME && n++ < 100000) {
		for (uint32_t i = 0; i < f.caplen; i++)
			sink ^= f.data[i];
		if (f.caplen > 256 * 1024)
			__builtin_trap();
	}
	if (s == CAPTURE_ERROR && capture_error(c)[0] == 0)
		__builtin_trap(); /* an error always has a message */
	(void)capture_offset(c);
	(void)capture_linktype(c);
	(void)capture_format(c);
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	int fd = memfd_create("fuzz_capture", 0);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct capture_file *c = capture_open(path, err, sizeof(err));
	if (c) {
		drain(c);
		capture_close(c);
	} else if (err[0] == 0) {
		__builtin_trap();
	}
	close(fd);

	/* streaming path: small inputs fit in a pipe buffer */
	if (size < 60000) {
		int p[2];
		if (pipe(p) == 0) {
			if (size && write(p[1], data, size) != (ssize_t)size) {
				close(p[0]);
				close(p[1]);
				return 0;
			}
			close(p[1]);
			int saved = dup(0);
			dup2(p[0], 0);
			close(p[0]);
			c = capture_open("-", err, sizeof(err));
			if (c) {
				drain(c);
				capture_close(c);
			}
			dup2(saved, 0);
			close(saved);
		}
	}
	return 0;
}
