/*
 * config.h - synackd's configuration file: parse, override, validate.
 *
 * Format (doc/configuration.md): `key = value` lines, '#' comments, optional
 * `[section]` headers for readability (a key must then sit in its own
 * section), repeatable keys (port, rx, vdev, allow, internal, exclude, ...).
 * Every error is "FILE:LINE: message" and comes before any port starts.
 * No DPDK here: the daemon turns the result into EAL arguments and port
 * setup; tests use it without EAL.
 */
#ifndef SYNACK_CONFIG_H
#define SYNACK_CONFIG_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_PORTS  8
#define CONFIG_MAX_RX     64
#define CONFIG_MAX_LIST   16
#define CONFIG_MAX_LCORE  128
#define CONFIG_MAX_QUEUES 16 /* RSS spreads over at most 16 queues on 82599 */
#define CONFIG_STR        256
#define CONFIG_MAX_SET    32 /* command-line settings remembered for messages */
#define CONFIG_MAX_WARN   8

/* The line of a setting (key_line, port, rx): > 0 a line of the file; 0 a
 * default; < 0 the command line: -1 - i for the setting cmdline[i], or
 * CONFIG_LINE_COMMAND past CONFIG_MAX_SET.  config_origin() names it. */
#define CONFIG_LINE_COMMAND (-1 - CONFIG_MAX_SET)

struct config_port {
	char name[CONFIG_STR]; /* PCI address or vdev name */
	unsigned queues;       /* RX queues; 0 = as many as rx lines serve */
	int line;
};

struct config_rx {
	unsigned port, queue, lcore;
	int line;
};

struct synackd_config {
	char path[CONFIG_STR]; /* file read ("" when none) */

	/* [eal] */
	char lcores[CONFIG_STR]; /* EAL -l list; "" = derived from the roles */
	unsigned main_lcore;
	char allow[CONFIG_MAX_LIST][CONFIG_STR];
	unsigned n_allow;
	char vdev[CONFIG_MAX_LIST][CONFIG_STR];
	unsigned n_vdev;
	unsigned memory_mb; /* 0 = EAL default */
	bool hugepages;
	bool pci; /* false adds --no-pci */
	char file_prefix[CONFIG_STR];
	char eal_args[CONFIG_STR]; /* extra EAL words, split at spaces */

	/* [ports] / [lcores] */
	struct config_port port[CONFIG_MAX_PORTS];
	unsigned n_port;
	struct config_rx rx[CONFIG_MAX_RX];
	unsigned n_rx;
	unsigned writer_lcore;

	/* [classify] */
	char *internal_text; /* prefixes, inline and from internal_file, joined */
	char *exclude_text;
	bool strict;
	bool peers_any;

	/* [writer] */
	char data_dir[CONFIG_STR];
	uint32_t sensor_id;
	uint64_t flush_interval_ns;
	uint64_t fsync_interval_ns;
	char timezone[64];
	bool write_logs, write_db;

	/* [ftp] */
	bool ftp;
	char ftp_service_ports[CONFIG_STR * 4]; /* "" = the filter's default list */
	uint64_t ftp_passive_timeout_ns;

	/* [tuning] */
	unsigned ring_size;
	unsigned mbuf_pool_size; /* 0 = sized like l2fwd */
	unsigned rx_descriptors;
	unsigned burst_size;
	uint64_t stats_interval_ns; /* 0 = off */
	uint64_t exit_on_idle_ns;   /* 0 = never (tests on net_pcap files) */

	/* [control] */
	char control_socket[CONFIG_STR]; /* "" = no control socket */

	/* [retention] (live ports only; --pcap mode never deletes) */
	unsigned log_retention_days; /* 0 = keep forever; default 400 */
	unsigned db_retention_days;  /* 0 = keep forever; default 400 */
	unsigned min_free_mb;        /* disk guard threshold; 0 = off; default 1024 */

	/* [alerts] (doc/alerts.md) */
	bool alerts; /* default yes */
	char alert_exec[CONFIG_STR];
	uint64_t alert_timeout_ns;
	unsigned return_days, gone_days, learning_days;

	/* [security] (doc/security.md) */
	bool drop_capabilities;      /* after start-up, in every thread; default yes */
	char user[CONFIG_STR];       /* then become this user; "" = stay uid 0 (default) */
	unsigned user_uid, user_gid; /* the user's, set by config_validate() */

	/* CPUs this process may run on (sched_getaffinity() when
	 * config_defaults() first ran, before EAL pins the main thread, so a
	 * reload checks the same set); every CPU of lcores must be one. */
	cpu_set_t cpus;

	/* Settings that are valid but can never match, found by
	 * config_validate(): "FILE:LINE: message" each, for the daemon to
	 * print (doc/configuration.md, Warnings). */
	char warning[CONFIG_MAX_WARN][CONFIG_STR * 2];
	unsigned n_warning;

	/* line of each scalar key's last setting (for validation messages) */
	int key_line[64];
	char cmdline[CONFIG_MAX_SET][CONFIG_STR]; /* "--set key=value", by config_set() */
	unsigned n_cmdline;
	bool rx_given;
};

/* Fill defaults (the appliance: X520 ports 0 and 1, main 0, workers 1-2, writer 3). */
void config_defaults(struct synackd_config *c);

/* Read a file into c (after config_defaults).  0, or -1 with err =
 * "FILE:LINE: message". */
int config_load(struct synackd_config *c, const char *path, char *err, size_t errlen);

/* Parse len bytes of text as if they were a file named name.  A NUL byte
 * among them is an error ("NAME:LINE: NUL byte in line"). */
int config_parse_buffer(struct synackd_config *c, const char *name, const char *text, size_t len,
                        char *err, size_t errlen);

/* The same for a NUL-terminated text (tests, overrides). */
int config_parse_text(struct synackd_config *c, const char *name, const char *text, char *err,
                      size_t errlen);

/* Set one key as from the command line ("--set key=value"); errors name
 * "command line".  Later messages about the setting name
 * "command line: --set key=value" instead of a line of the file. */
int config_set(struct synackd_config *c, const char *key, const char *value, char *err,
               size_t errlen);
/* The same for an option that stands for a key (synackd --exclude P):
 * messages name it as "OPTION VALUE"; option NULL is "--set key=value". */
int config_set_option(struct synackd_config *c, const char *option, const char *key,
                      const char *value, char *err, size_t errlen);

/* Where a setting of the given line came from, for a message: "FILE:LINE",
 * "command line: --set key=value", or "FILE" for a default (line 0).
 * Returns buf.  For example a port the device rejects:
 *   fprintf(stderr, "%s: port '%s' not found\n",
 *           config_origin(c, c->port[i].line, buf, sizeof buf), c->port[i].name); */
/* The warnings of config_validate() about prefixes that can never match,
 * alone (synackd --pcap has no ports or lcores to validate); appended to
 * c->warning. */
void config_warn_never_match(struct synackd_config *c);

const char *config_origin(const struct synackd_config *c, int line, char *buf, size_t n);

/* Cross-checks (roles, queues, lcores); fills default rx mapping when no
 * rx line was given.  0 or -1 with err naming the file and line.  Settings
 * that can never match are not errors: they land in c->warning[0 ..
 * c->n_warning - 1], which a caller prints after a successful validation:
 *   for (unsigned i = 0; i < c->n_warning; i++)
 *           fprintf(stderr, "synackd: warning: %s\n", c->warning[i]); */
int config_validate(struct synackd_config *c, char *err, size_t errlen);

/* Frees the prefix texts. */
void config_free(struct synackd_config *c);

/* Parse helpers, exported for tests and the command line. */
int config_parse_duration(const char *s, uint64_t *ns);
int config_parse_bool(const char *s, bool *b);

/* Role of an lcore after validation: -1 none, 0 main, 1 worker, 2 writer. */
int config_lcore_role(const struct synackd_config *c, unsigned lcore);

#endif /* SYNACK_CONFIG_H */
