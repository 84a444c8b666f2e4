/*
 * log_seal.h - seals an hourly log: the same records, in order, as one
 * session with large blocks, put in place of the file atomically.
 *
 * While an hour is written, a block ends at every flush (once a second at
 * low rates), and restarts or late records add sessions.  Once the hour is
 * over and closed, sealing removes that overhead: the records are re-encoded
 * into a temporary file in the same directory, which is fsynced and renamed
 * over the original, and the directory is fsynced.  A crash at any point
 * leaves either the old or the new file, both complete.  A file whose
 * reading reports a cut is left as it is, as is a file that would not shrink
 * or is already one session of large blocks.
 */
#ifndef SYNACK_LOG_SEAL_H
#define SYNACK_LOG_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct log_seal_result {
	bool sealed;      /* the file was replaced */
	uint64_t records; /* records in the file */
	uint64_t bytes_before, bytes_after;
};

/* The steps of a seal, in order, for crash tests (log_seal_file_until). */
enum log_seal_step {
	LOG_SEAL_TEMP_WRITTEN = 1, /* temporary file written, not synced */
	LOG_SEAL_TEMP_SYNCED,      /* temporary file fsynced */
	LOG_SEAL_RENAMED,          /* renamed over the original */
	LOG_SEAL_DONE,             /* directory fsynced */
};

/* Seal path.  Returns 0 (sealed or left as it is: res tells, res may be
 * NULL), -1 on an error (err says; the original file is untouched). */
int log_seal_file(const char *path, struct log_seal_result *res, char *err, size_t errlen);

/* The same, stopping right after the given step as if the process had died
 * there (the temporary file is left behind). */
int log_seal_file_until(const char *path, enum log_seal_step stop, struct log_seal_result *res,
                        char *err, size_t errlen);

/* Name of the temporary file of path (path + ".seal"). */
int log_seal_temp_path(const char *path, char *out, size_t outlen);

#endif /* SYNACK_LOG_SEAL_H */
