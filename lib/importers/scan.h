/*
 * scan.h - results of active scans (nmap XML, masscan -oL/-oJ/-oD/-oX,
 * Nessus v2 .nessus) as open TCP services plus what each scan covered.
 *
 * Open means: nmap state "open" only (not open|filtered, filtered,
 * closed); masscan status "open" (and banner lines, which need an open
 * port); Nessus a ReportItem with protocol tcp and port != 0 (Nessus hangs
 * its findings on ports its scanners found open).
 *
 * Coverage (what a file probed), per file:
 *   hosts: nmap: every <host> reported, up or down; Nessus: every
 *          ReportHost; masscan: unknown (it lists only hosts with open
 *          ports), so every host counts as probed.
 *   ports: nmap: <scaninfo protocol="tcp" services="...">; Nessus: the
 *          policy's port_range when it is a list ("all" = 1-65535);
 *          otherwise (masscan, Nessus "default", nmap without scaninfo) the
 *          ports that the file reports open on any host: a scan probes the
 *          same ports on every host, so those were probed everywhere.
 *          Port 0 is never probed.  A masscan file without any open port
 *          covers no host.
 */
#ifndef SYNACK_SCAN_H
#define SYNACK_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum scan_kind { SCAN_NMAP = 1, SCAN_MASSCAN = 2, SCAN_NESSUS = 4 };

/* An address: family 4 or 6; IPv4 in the first 4 bytes, rest zero. */
struct scan_addr {
	uint8_t family;
	uint8_t a[16];
};

struct scan_svc {
	struct scan_addr addr;
	uint16_t port;
	uint8_t kinds; /* enum scan_kind bits: which kinds of scan found it open */
	char name[32]; /* service name reported (nmap service@name, masscan
	                  banner service, Nessus svc_name), may be empty */
};

struct scan_cover {
	char *file;
	enum scan_kind kind;
	char ports_from[24];     /* "scaninfo", "port_range", "reported" */
	bool all_hosts;          /* masscan: hosts not listed */
	struct scan_addr *hosts; /* sorted, unique */
	size_t nhosts, hosts_cap;
	size_t hosts_up;
	uint8_t ports[65536 / 8]; /* bitmap of probed TCP ports */
	size_t open_ports;        /* open services (distinct host, port) in this file */
};

struct scan_set {
	struct scan_svc *svc; /* after scan_set_finish: sorted by addr, port; unique */
	size_t nsvc, svc_cap;
	struct scan_cover *cover;
	size_t ncover;
};

void scan_set_init(struct scan_set *s);
void scan_set_free(struct scan_set *s);

/* Load one file.  0 on success; -1 with "FILE:LINE: reason" in err. */
int scan_load_nmap(struct scan_set *s, const char *path, char *err, size_t errlen);
int scan_load_masscan(struct scan_set *s, const char *path, char *err, size_t errlen);
int scan_load_nessus(struct scan_set *s, const char *path, char *err, size_t errlen);

/* The same from memory (name is used in messages). */
int scan_parse_nmap(struct scan_set *s, const char *name, const char *buf, size_t len, char *err,
                    size_t errlen);
int scan_parse_masscan(struct scan_set *s, const char *name, const char *buf, size_t len, char *err,
                       size_t errlen);
int scan_parse_nessus(struct scan_set *s, const char *name, const char *buf, size_t len, char *err,
                      size_t errlen);

/* Sort and merge services (same address and port from several files). */
int scan_set_finish(struct scan_set *s);

/* Whether any loaded file probed this host and port. */
bool scan_covered(const struct scan_set *s, const struct scan_addr *a, uint16_t port);
/* Whether any file probed this port on some host; this host on some port. */
bool scan_port_covered(const struct scan_set *s, uint16_t port);
bool scan_host_covered(const struct scan_set *s, const struct scan_addr *a);
const struct scan_svc *scan_find(const struct scan_set *s, const struct scan_addr *a,
                                 uint16_t port);

/* Port list "1-1000,3389,T:8080,U:53" (TCP entries; U: ignored) into a
 * bitmap.  -1 on a syntax error. */
int scan_parse_ports(const char *list, uint8_t *bitmap);

/* Text address -> scan_addr; -1 if not an IPv4/IPv6 address. */
int scan_addr_parse(const char *text, struct scan_addr *out);
int scan_addr_cmp(const struct scan_addr *x, const struct scan_addr *y);
void scan_addr_text(const struct scan_addr *a, char *out, size_t outlen);

enum { SCAN_MAX_FILE = 512 << 20 }; /* larger files are refused */

#endif /* SYNACK_SCAN_H */
