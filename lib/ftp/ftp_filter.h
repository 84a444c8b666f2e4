/*
 * ftp_filter.h - marks FTP data connections so they never count as open ports.
 *
 * Active mode: SYN+ACK from an internal port >= 1024 to external port 20,
 * unless the internal port is a listed service port.  Passive mode: after
 * an internal host's SYN+ACK from 21 or 990 to an external host, its
 * SYN+ACKs from ports >= 1024 to that same external host within the timeout
 * are data connections.  A SYN+ACK to port 20 from a port < 1024 is never
 * excluded.  Runs in the writer, which sees records in time order.
 */
#ifndef SYNACK_FTP_FILTER_H
#define SYNACK_FTP_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct ftp_options {
	bool enabled;                /* default true */
	uint64_t passive_timeout_ns; /* default 600 s after the last control SYN+ACK */
	uint16_t *service_ports;     /* ports >= 1024 that are services, never data */
	size_t n_service_ports;
	size_t max_sessions; /* memory bound on tracked control pairs; default 1<<20 */
};

/* Fills defaults; service_ports points to a static default list. */
void ftp_options_default(struct ftp_options *opt);

/* Parse "3389, 5900, 8080" into opt (allocates; free with ftp_options_free_ports). */
int ftp_options_parse_ports(struct ftp_options *opt, const char *text, char *err, size_t errlen);
void ftp_options_free_ports(struct ftp_options *opt);

struct ftp_filter;

struct ftp_filter *ftp_filter_new(const struct ftp_options *opt);
void ftp_filter_free(struct ftp_filter *f);

/* Change the rules of a running filter (reload): enabled, passive timeout
 * and service ports.  Tracked control sessions are kept. */
void ftp_filter_configure(struct ftp_filter *f, const struct ftp_options *opt);

/* Sets rec->ftp (SYNACK_FTP_*) and returns it. */
int ftp_filter_mark(struct ftp_filter *f, struct synack_record *rec);

/* Number of (internal, external) control pairs currently tracked. */
size_t ftp_filter_sessions(const struct ftp_filter *f);

#endif /* SYNACK_FTP_FILTER_H */
