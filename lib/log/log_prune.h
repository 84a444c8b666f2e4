/*
 * log_prune.h - deletes hourly logs older than the retention period.
 */
#ifndef SYNACK_LOG_PRUNE_H
#define SYNACK_LOG_PRUNE_H

#include <stdint.h>

struct log_prune_result {
	uint64_t files_removed;
	uint64_t bytes_removed;
	uint64_t dirs_removed;
	uint64_t errors;
};

/* Remove every log of DATA/logs whose hour ended at or before cutoff_unix.
 * Returns 0, or -1 when something could not be read or removed (res->errors
 * counts them; the rest is still pruned).  A missing logs/ is not an error. */
int log_prune(const char *data_dir, uint64_t cutoff_unix, struct log_prune_result *res);

#endif /* SYNACK_LOG_PRUNE_H */
