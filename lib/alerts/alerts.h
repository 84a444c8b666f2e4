/*
 * alerts.h - events on new and returning services and hosts (doc/alerts.md).
 *
 * The writer hands every batch of records to alerts_observe() (after the
 * FTP marks; FTP data records are ignored) and calls alerts_tick() on its
 * tick.  The object keeps a bounded in-memory index of every known service
 * (host, port) and host with first and last seen, so it knows the previous
 * last_seen of a service when a record arrives:
 *
 *   new_host           a host never seen before (first record of it)
 *   new_service        a (host, port) never seen before
 *   returning_service  a record of a service whose previous record is at
 *                      least return_days old
 *   gone_service       a service not seen for gone_days (checked at each
 *                      minute of record time, when a record reaches it:
 *                      stamped at the first minute at or after the
 *                      deadline, whatever the replay speed; a sensor that
 *                      lost its feed does not declare everything gone)
 *
 * Each event is one JSON line appended to DATA/events.jsonl, sent to syslog
 * ("synackd", LOG_DAEMON) and to the optional alert_exec command.  During
 * the learning period (learning_days after the first record in the
 * database) events are written with "baseline": true and go nowhere else.
 *
 * State lives in DATA/alerts.db (SQLite, its own file: no lock is shared
 * with the writer's synack.db): the index, the learning start and how far
 * events.jsonl had been written at the last save.  At open, events.jsonl
 * past that point is read back, so a crash between two saves does not
 * alert twice.  A new alerts.db is seeded from synack.db's services and
 * hosts (no events for what the database already knows).
 *
 * alert_exec runs asynchronously: posix_spawn (no shell: argv is the
 * command split on spaces, argv[0] an absolute path), the event JSON on
 * stdin, stdout to /dev/null, stderr inherited, a clean environment
 * (PATH=/usr/bin:/bin, LC_ALL=C, SYNACK_EVENT_TYPE), its own process group
 * killed with SIGKILL after alert_timeout seconds.  At most max_children
 * run at once; up to max_queue events wait, more are dropped and counted.
 * Spawning and reaping happen in alerts_tick(), never in alerts_observe().
 *
 * One thread: all calls on one object from the same thread.
 */
#ifndef SYNACK_ALERTS_H
#define SYNACK_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

struct alerts_options {
	unsigned return_days;     /* default 7 */
	unsigned gone_days;       /* default 7; 0 = no gone events */
	unsigned learning_days;   /* default 14; 0 = alert from the first record */
	const char *alert_exec;   /* NULL or "": none */
	unsigned alert_timeout_s; /* default 10 */
	unsigned max_children;    /* default 4 */
	unsigned max_queue;       /* default 1000 */
	size_t max_entries;       /* bound on known services + hosts; default 1 << 21 */
	bool syslog;              /* default true */
	unsigned save_interval_s; /* default 60 */
	size_t save_batch;        /* rows saved per tick (a save spreads over ticks); 500 */
	const char *db_path;      /* synack.db used to seed a new state; NULL = DATA/synack.db */
};

void alerts_options_default(struct alerts_options *opt);

struct alerts_stats {
	uint64_t events;     /* events written (baseline included) */
	uint64_t baseline;   /* of which during the learning period */
	uint64_t by_type[4]; /* new_host, new_service, returning_service, gone_service */
	uint64_t exec_started;
	uint64_t exec_ok;      /* exited with status 0 */
	uint64_t exec_failed;  /* spawn failed, or exited non-zero */
	uint64_t exec_killed;  /* killed at the timeout */
	uint64_t exec_dropped; /* queue full */
	uint64_t untracked;    /* records of services not indexed (max_entries reached) */
	uint64_t write_errors; /* events.jsonl or alerts.db write failures */
	uint64_t known_services, known_hosts;
	uint64_t queued, running;
};

struct alerts;

struct alerts *alerts_open(const char *data_dir, const struct alerts_options *opt, char *err,
                           size_t errlen);
/* Records in any order; FTP data (rec->ftp != 0) ignored.  Never blocks on
 * a child process; writes events.jsonl lines.  Before a record, the gone
 * checks of the minutes of record time it reaches (all of them, oldest
 * deadline first, in one pass over the index when records jump ahead). */
void alerts_observe(struct alerts *a, const struct synack_record *recs, size_t n);
/* Starts queued alert_exec children, reaps and kills overdue ones, saves
 * the state every
 * save_interval_s (save_batch rows per call, so a large index never
 * stalls the writer for long).  now_ns: wall clock (unused for event times).  Returns 0,
 * or -1 when saving failed (alerts_error tells). */
int alerts_tick(struct alerts *a, uint64_t now_ns);
/* Saves the state now. */
int alerts_save(struct alerts *a);
/* Waits (at most timeout_ms) until no child runs and none is queued. */
void alerts_drain(struct alerts *a, unsigned timeout_ms);
void alerts_get_stats(const struct alerts *a, struct alerts_stats *st);
const char *alerts_error(const struct alerts *a);
/* Saves, waits up to 1 s for children, kills the rest.  NULL ok. */
void alerts_close(struct alerts *a);

/* Event type names, indexes of alerts_stats.by_type. */
extern const char *const alerts_type_names[4];

#endif /* SYNACK_ALERTS_H */
