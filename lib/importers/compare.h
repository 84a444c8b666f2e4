/*
 * compare.h - passive inventory against active scans (doc/compare.md).
 *
 * Every service (host, port) seen on either side gets one status:
 *   both          seen passively and found open by a scan
 *   passive_only  seen passively; a scan probed this host and port and did
 *                 not report it open (the scan missed it, or a firewall
 *                 hid it from the scanner)
 *   not_scanned   seen passively; no scan probed this host and port
 *   active_only   found open by a scan, never seen passively
 * Hosts and port numbers get the same four statuses one level up (a host
 * is "both" when it has open ports on both sides, "not_scanned" when no
 * scan covered it at all, and so on).
 */
#ifndef SYNACK_COMPARE_H
#define SYNACK_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "importers/scan.h"

enum cmp_status { CMP_BOTH, CMP_PASSIVE_ONLY, CMP_NOT_SCANNED, CMP_ACTIVE_ONLY, CMP_NSTATUS };

const char *cmp_status_name(enum cmp_status st);

struct cmp_passive {
	struct scan_addr addr;
	uint16_t port;
	int64_t first_seen, last_seen; /* Unix seconds */
	int64_t packets;
};

struct cmp_row {
	struct scan_addr addr;
	uint16_t port;
	enum cmp_status status;
	const struct cmp_passive *passive; /* NULL: active only */
	const struct scan_svc *active;     /* NULL: not found open by a scan */
};

/* One host or one port number: how many of the other thing each side saw. */
struct cmp_group {
	struct scan_addr addr; /* hosts */
	uint16_t port;         /* ports */
	enum cmp_status status;
	size_t passive, active, both; /* ports of a host / hosts of a port */
};

struct cmp_counts {
	size_t passive, active, n[CMP_NSTATUS];
};

struct cmp_result {
	struct cmp_row *rows; /* by address, port */
	size_t nrows;
	struct cmp_group *hosts; /* by address */
	size_t nhosts;
	struct cmp_group *ports; /* by port */
	size_t nports;
	struct cmp_counts services, host_counts, port_counts;
};

/* passive must be sorted by (addr, port) and unique (cmp_sort_passive);
 * scans finished (scan_set_finish).  Pointers into both are kept. */
int cmp_run(const struct cmp_passive *passive, size_t npassive, const struct scan_set *scans,
            struct cmp_result *out);
void cmp_sort_passive(struct cmp_passive *p, size_t *n); /* sorts, merges duplicates */
void cmp_free(struct cmp_result *r);

#endif /* SYNACK_COMPARE_H */
