/*
 * log_seal.c - seal a closed hourly log (log_seal.h, doc/log-format.md):
 * read it whole, re-encode its records as one session of large blocks into
 * PATH.seal, fsync, rename over PATH, fsync the directory.
 */
#include "log/log_seal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/log_codec.h"
#include "log/log_format.h"
#include "log/log_reader.h"

#define SEAL_CHUNK 4096

struct sealer {
	int fd;
	struct logf2_state coder;
	struct logf2_block block;
	uint64_t bytes;
};

int log_seal_temp_path(const char *path, char *out, size_t outlen)
{
	int n = snprintf(out, outlen, "%s.seal", path);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int fsync_dir_of(const char *path)
{
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s", path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* The first session's header of the file (sensor, start, hour). */
static int read_header(const char *path, uint8_t hdr[LOGF_HDR_TOTAL])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = pread(fd, hdr, LOGF_HDR_TOTAL, 0);
	close(fd);
	return n == LOGF_HDR_TOTAL && memcmp(hdr + 8, LOGF_HDR_MAGIC, LOGF_HDR_MAGIC_LEN) == 0 ? 0
	                                                                                       : -1;
}

static int sealer_block(struct sealer *s)
{
	size_t len = logf2_block_end(&s->coder, &s->block);
	s->bytes += len;
	return logf_write_all(s->fd, s->block.buf, len);
}

/* Copy every record of r into s's file as one session. */
static int sealer_copy(struct sealer *s, struct log_reader *r, struct synack_record *chunk,
                       uint64_t *records)
{
	long n;

	while ((n = log_reader_next(r, chunk, SEAL_CHUNK)) > 0) {
		for (long i = 0; i < n;) {
			long k =
			    logf2_block_add_run(&s->coder, &s->block, chunk + i, (size_t)(n - i));
			if (k < 0 || (logf2_block_full(&s->block) && sealer_block(s) < 0))
				return -1;
			i += k;
		}
		*records += (uint64_t)n;
	}
	if (n < 0)
		return -1;
	if (s->block.n && sealer_block(s) < 0)
		return -1;
	static const uint8_t last_block[LOGF2_BLOCK_HDR_LEN] = {1, 0, 0};
	s->bytes += sizeof(last_block);
	return logf_write_all(s->fd, last_block, sizeof(last_block));
}

/* Write the sealed copy to tmp.  Returns 1 written, 0 not worth it or a
 * cut (nothing left behind), -1 error. */
static int write_sealed(const char *path, const char *tmp, struct log_seal_result *res, char *err,
                        size_t errlen)
{
	uint8_t hdr[LOGF_HDR_TOTAL + LOGF2_FRAME_HDR_LEN];
	struct sealer s = {.fd = -1};
	struct synack_record *chunk = NULL;
	int rc = -1;

	struct log_reader *r = log_reader_open(path, err, errlen);
	if (!r)
		return -1;
	if (read_header(path, hdr) < 0) {
		rc = 0; /* damaged start: leave the file as it is */
		goto out;
	}
	chunk = malloc(SEAL_CHUNK * sizeof(*chunk));
	s.block.buf = malloc(LOGF2_BLOCK_HDR_LEN + LOGF2_BLOCK_BYTES);
	if (!chunk || !s.block.buf || logf2_state_init(&s.coder) < 0) {
		snprintf(err, errlen, "seal %s: out of memory", path);
		goto out;
	}
	logf2_session_header(hdr, logf_get_u32(hdr + 16), logf_get_u64(hdr + 24),
	                     logf_get_u64(hdr + 32));
	unlink(tmp);
	s.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (s.fd < 0 || logf_write_all(s.fd, hdr, sizeof(hdr)) < 0) {
		snprintf(err, errlen, "seal %s: %s", tmp, strerror(errno));
		goto out;
	}
	s.bytes = sizeof(hdr);
	if (sealer_copy(&s, r, chunk, &res->records) < 0) {
		snprintf(err, errlen, "seal %s: %s", path,
		         log_reader_error(r)[0] ? log_reader_error(r) : strerror(errno));
		goto out;
	}
	res->bytes_after = s.bytes;
	rc = log_reader_truncated(r) || s.bytes >= res->bytes_before ? 0 : 1;
out:
	if (s.fd >= 0) {
		close(s.fd);
		if (rc != 1)
			unlink(tmp);
	}
	logf2_state_free(&s.coder);
	free(s.block.buf);
	free(chunk);
	log_reader_close(r);
	return rc;
}

int log_seal_file_until(const char *path, enum log_seal_step stop, struct log_seal_result *res,
                        char *err, size_t errlen)
{
	struct log_seal_result local;
	char tmp[4200];
	struct stat st;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (log_seal_temp_path(path, tmp, sizeof(tmp)) < 0) {
		snprintf(err, errlen, "seal %s: path too long", path);
		return -1;
	}
	if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "seal %s: %s", path, errno ? strerror(errno) : "not a file");
		return -1;
	}
	res->bytes_before = (uint64_t)st.st_size;
	int w = write_sealed(path, tmp, res, err, errlen);
	if (w <= 0)
		return w;
	if (stop == LOG_SEAL_TEMP_WRITTEN)
		return 0;
	int fd = open(tmp, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "seal %s: fsync: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (stop == LOG_SEAL_TEMP_SYNCED)
		return 0;
	if (rename(tmp, path) < 0) {
		snprintf(err, errlen, "seal %s: rename: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	res->sealed = true;
	if (stop == LOG_SEAL_RENAMED)
		return 0;
	if (fsync_dir_of(path) < 0) {
		snprintf(err, errlen, "seal %s: fsync of the directory: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int log_seal_file(const char *path, struct log_seal_result *res, char *err, size_t errlen)
{
	return log_seal_file_until(path, LOG_SEAL_DONE, res, err, errlen);
}
