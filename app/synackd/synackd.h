/*
 * synackd.h - what the rest of the daemon (control socket, telemetry,
 * signals) may ask of the running appliance.  Implemented in app/synackd;
 * every function here is called from the main lcore only.
 */
#ifndef SYNACKD_H
#define SYNACKD_H

#include <stddef.h>

#include "control/json_out.h"

/* Members of the status object: version, uptime_s, mode ("ports"/"pcap"),
 * ports [{port, name, driver, link_up, speed_mbps, rx_queues, rss}],
 * lcores [{lcore, role, port, queue}], data_dir, current_log, config_file. */
void synackd_status_json(struct json_out *out);

/* Members of the stats object: ports (per port and queue), workers, writer,
 * totals, with rates since the previous stats call of the same caller
 * (see doc/control.md). */
void synackd_stats_json(struct json_out *out);

/* Requests carried out by the writer lcore; they return once it is done
 * (or with -1 and err filled). */
int synackd_request_rotate(char *err, size_t errlen);
int synackd_request_flush(char *err, size_t errlen);

/* Re-read prefixes, exclusions and FTP ports from the configuration file
 * and swap them in atomically; a broken file keeps the old settings and
 * err says why. */
int synackd_request_reload(char *err, size_t errlen);

/* Ask for an orderly stop (as SIGTERM). */
void synackd_request_stop(void);

/* Data directory in use. */
const char *synackd_data_dir(void);

#endif /* SYNACKD_H */
