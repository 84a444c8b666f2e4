/*
 * log_reader.h - reads hourly zstd logs back into records.
 *
 * Accepts a file whose last frame was cut off (a crash, a full disk): it
 * returns every complete record and reports the cut instead of failing.
 */
#ifndef SYNACK_LOG_READER_H
#define SYNACK_LOG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct log_reader;

struct log_reader *log_reader_open(const char *path, char *err, size_t errlen);

/* Fill up to max records; returns the number read, 0 at the end, -1 on a
 * hard error (log_reader_error tells). */
long log_reader_next(struct log_reader *r, struct synack_record *recs, size_t max);

/* After the end: true when the file ended inside a frame or block. */
bool log_reader_truncated(const struct log_reader *r);
uint32_t log_reader_sensor_id(const struct log_reader *r);

/* Sessions (headers) and blocks of records met so far. */
void log_reader_counts(const struct log_reader *r, uint64_t *sessions, uint64_t *blocks);
const char *log_reader_error(const struct log_reader *r);

void log_reader_close(struct log_reader *r);

#endif /* SYNACK_LOG_READER_H */
