/*
 * synackd - the DPDK SYN+ACK capture appliance (doc/synackd.md).
 *
 *   synackd -c /etc/synack/synackd.conf [overrides]      live ports
 *   synackd --pcap FILE... --internal P --data-dir DIR   capture files
 *
 * Exit status: 0 clean stop or end of input; 1 usage or configuration
 * error (nothing started); 2 an input file was unreadable or damaged
 * (everything read before the damage is stored); 3 runtime failure (EAL,
 * ports, writer).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "control_commands.h"
#include "privileges.h"
#include "synack_version.h"
#include "synackd.h"
#include "synackd_int.h"
#include "util/make_dirs.h"

struct synackd g;

static volatile sig_atomic_t sig_stop, sig_reload;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_reload = 1;
	else
		sig_stop = 1;
}

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: synackd -c FILE [options]                 capture on DPDK ports\n"
	    "       synackd --pcap FILE... --internal PREFIXES [options]   read capture files\n"
	    "\n"
	    "  -c, --config FILE       configuration file (doc/configuration.md)\n"
	    "      --set KEY=VALUE     override any configuration key (repeatable)\n"
	    "      --internal P        internal prefixes (adds to the file's)\n"
	    "      --exclude P         excluded prefixes (adds to the file's)\n"
	    "      --strict            accept only flags == 0x12 (the paper's filter)\n"
	    "      --peers any|external  destinations counted (default external)\n"
	    "      --data-dir DIR      where logs/ and synack.db go\n"
	    "      --sensor-id N       sensor id written into the logs and the database\n"
	    "      --ring-size N       records per worker ring (a power of two)\n"
	    "      --file-prefix NAME  EAL file prefix (live ports only)\n"
	    "      --stats-interval D  periodic stats line (e.g. 10s; 0 = off)\n"
	    "      --exit-on-idle D    stop after D without a received frame (vdev tests)\n"
	    "      --summary-json      at exit, print the counters as one JSON object\n"
	    "  --pcap mode:\n"
	    "      --pcap              the remaining arguments are pcap/pcapng files\n"
	    "      --workers N         worker threads (files round-robin; one pcap file is read\n"
	    "                          in N parts; default 1)\n"
	    "      --progress          show progress on stderr even when it is not a tty\n"
	    "      --summary-json      print the summary as one JSON object\n"
	    "  -h, --help, --version\n");
}

enum {
	OPT_SET = 256,
	OPT_INTERNAL,
	OPT_EXCLUDE,
	OPT_STRICT,
	OPT_PEERS,
	OPT_DATA_DIR,
	OPT_SENSOR,
	OPT_PREFIX,
	OPT_STATS,
	OPT_IDLE,
	OPT_PCAP,
	OPT_WORKERS,
	OPT_PROGRESS,
	OPT_SUMMARY_JSON,
	OPT_VERSION,
	OPT_RING
};

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"set", required_argument, NULL, OPT_SET},
    {"internal", required_argument, NULL, OPT_INTERNAL},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"strict", no_argument, NULL, OPT_STRICT},
    {"peers", required_argument, NULL, OPT_PEERS},
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"sensor-id", required_argument, NULL, OPT_SENSOR},
    {"file-prefix", required_argument, NULL, OPT_PREFIX},
    {"stats-interval", required_argument, NULL, OPT_STATS},
    {"exit-on-idle", required_argument, NULL, OPT_IDLE},
    {"ring-size", required_argument, NULL, OPT_RING},
    {"pcap", no_argument, NULL, OPT_PCAP},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"progress", no_argument, NULL, OPT_PROGRESS},
    {"summary-json", no_argument, NULL, OPT_SUMMARY_JSON},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Settings that are valid but can never match (config_validate). */
static void print_warnings(const struct synackd_config *c)
{
	for (unsigned i = 0; i < c->n_warning; i++)
		fprintf(stderr, "synackd: warning: %s\n", c->warning[i]);
}

/* Command-line overrides, applied after the file in the order given. */
struct override {
	const char *key;
	const char *value;
	const char *option; /* the option that set it; NULL for --set */
};

/* A directory named on the command line, relative to the current one, as an
 * absolute path (the configuration file itself requires absolute paths).
 * Lives until exit. */
static const char *absolute_path(const char *path)
{
	static char buf[4096];
	if (path[0] == '/' || !getcwd(buf, sizeof buf) ||
	    strlen(buf) + 1 + strlen(path) >= sizeof buf)
		return path;
	strcat(buf, "/");
	strcat(buf, path);
	return buf;
}

static int die_config(const char *msg)
{
	fprintf(stderr, "synackd: %s\n", msg);
	return 1;
}

/* ------------------------------------------------------------ EAL args */

struct argv_buf {
	char *v[96];
	int n;
	char store[8192];
	size_t used;
};

static void arg_add(struct argv_buf *a, const char *s)
{
	if (a->n >= (int)RTE_DIM(a->v) - 1)
		return;
	size_t n = strlen(s) + 1;
	if (a->used + n > sizeof a->store)
		return;
	memcpy(a->store + a->used, s, n);
	a->v[a->n++] = a->store + a->used;
	a->used += n;
	a->v[a->n] = NULL;
}

static void arg_addf(struct argv_buf *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void arg_addf(struct argv_buf *a, const char *fmt, ...)
{
	char buf[CONFIG_STR + 64];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	arg_add(a, buf);
}

static void eal_args_ports(struct argv_buf *a, const struct synackd_config *c)
{
	arg_add(a, "synackd");
	if (c->lcores[0]) {
		bool mapped = strpbrk(c->lcores, "@(") != NULL;
		arg_add(a, mapped ? "--lcores" : "-l");
		arg_add(a, c->lcores);
	} else {
		/* the lcores that have a role */
		char list[CONFIG_STR] = "";
		size_t off = 0;
		for (unsigned l = 0; l < CONFIG_MAX_LCORE; l++)
			if (config_lcore_role(c, l) >= 0)
				off += (size_t)snprintf(list + off, sizeof list - off, "%s%u",
				                        off ? "," : "", l);
		arg_add(a, "-l");
		arg_add(a, list);
	}
	arg_addf(a, "--main-lcore=%u", c->main_lcore);
	arg_addf(a, "--file-prefix=%s", c->file_prefix);
	if (!c->hugepages) {
		arg_add(a, "--no-huge");
		arg_add(a, "--no-shconf");
	}
	if (c->memory_mb)
		arg_addf(a, "-m%u", c->memory_mb);
	else if (!c->hugepages)
		arg_add(a, "-m512");
	if (!c->pci)
		arg_add(a, "--no-pci");
	for (unsigned i = 0; i < c->n_allow; i++)
		arg_addf(a, "--allow=%s", c->allow[i]);
	for (unsigned i = 0; i < c->n_vdev; i++)
		arg_addf(a, "--vdev=%s", c->vdev[i]);
	if (c->eal_args[0]) {
		char tmp[CONFIG_STR];
		snprintf(tmp, sizeof tmp, "%s", c->eal_args);
		char *save = NULL;
		for (char *t = strtok_r(tmp, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
			arg_add(a, t);
	}
}

/* ------------------------------------------------------ synackd.h API */

/* Wait until the writer has marked the request done; false at deadline. */
static bool wait_request_done(uint64_t timeout_ns)
{
	uint64_t deadline = wall_ns() + timeout_ns;
	while (__atomic_load_n(&g.req_state, __ATOMIC_ACQUIRE) != REQ_DONE) {
		if (wall_ns() > deadline)
			return false;
		usleep(1000);
	}
	return true;
}

/* Post a request to the writer and wait for its answer.  0 done, -1 failed
 * or withdrawn (nothing changed), -2 the writer took it but has not finished
 * in time: it still uses the request's data, which the caller must keep. */
static int writer_request(int kind, char *err, size_t errlen)
{
	if (!g.writer) {
		snprintf(err, errlen, "writer not running");
		return -1;
	}
	int state = __atomic_load_n(&g.req_state, __ATOMIC_ACQUIRE);
	if (state == REQ_TAKEN && !wait_request_done(5000000000ull)) {
		snprintf(err, errlen, "the writer is still busy with an earlier request");
		return -1;
	}
	g.req_kind = kind;
	__atomic_store_n(&g.req_state, REQ_POSTED, __ATOMIC_RELEASE);
	if (!wait_request_done(5000000000ull)) {
		int posted = REQ_POSTED;
		if (__atomic_compare_exchange_n(&g.req_state, &posted, REQ_IDLE, false,
		                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			snprintf(err, errlen,
			         "the writer did not answer within 5 s; nothing was changed");
			return -1;
		}
		if (!wait_request_done(60000000000ull)) {
			snprintf(err, errlen,
			         "the writer took the request but has not "
			         "finished it within 65 s");
			return -2;
		}
	}
	const char *what = kind == REQ_ROTATE ? "rotate" : kind == REQ_FLUSH ? "flush" : "ftp";
	if (kind == REQ_FLUSH && g.req_rc == WRITER_DEFERRED) {
		snprintf(err, errlen,
		         "flush deferred: %s; the records stay in memory and are committed once "
		         "the database is free",
		         g.req_err[0] ? g.req_err : "database busy");
		return -1;
	}
	if (g.req_rc < 0) {
		snprintf(err, errlen, "%s failed: %s", what,
		         g.req_err[0] ? g.req_err : "see the daemon's log");
		return -1;
	}
	return 0;
}

int synackd_request_rotate(char *err, size_t errlen)
{
	return writer_request(REQ_ROTATE, err, errlen);
}

int synackd_request_flush(char *err, size_t errlen)
{
	return writer_request(REQ_FLUSH, err, errlen);
}

void synackd_request_stop(void)
{
	sig_stop = 1;
}

const char *synackd_data_dir(void)
{
	return g.cfg.data_dir;
}

/* Wait until every running worker has passed a quiescent point (or ended),
 * then the old policy can no longer be in use. */
static bool wait_quiescent(uint64_t timeout_ns)
{
	uint64_t seen[MAX_WORKERS];
	for (unsigned i = 0; i < g.n_workers; i++)
		seen[i] = __atomic_load_n(&g.workers[i].epoch, __ATOMIC_ACQUIRE);
	uint64_t deadline = wall_ns() + timeout_ns;
	for (unsigned i = 0; i < g.n_workers; i++) {
		while (__atomic_load_n(&g.workers[i].running, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&g.workers[i].epoch, __ATOMIC_ACQUIRE) == seen[i]) {
			if (wall_ns() > deadline)
				return false;
			usleep(100);
		}
	}
	return true;
}

/* Overrides from the command line, kept to re-apply on reload. */
static struct override *overrides;
static int n_overrides;

static int apply_overrides(struct synackd_config *c, char *err, size_t errlen)
{
	for (int i = 0; i < n_overrides; i++)
		if (config_set_option(c, overrides[i].option, overrides[i].key, overrides[i].value,
		                      err, errlen) < 0)
			return -1;
	return 0;
}

/* Hand changed FTP rules to the writer, which owns the filter. */
static int reload_ftp(const struct synackd_config *c, char *err, size_t errlen)
{
	if (strcmp(c->ftp_service_ports, g.cfg.ftp_service_ports) == 0 && c->ftp == g.cfg.ftp &&
	    c->ftp_passive_timeout_ns == g.cfg.ftp_passive_timeout_ns)
		return 0;
	struct ftp_options fo;
	ftp_options_default(&fo);
	fo.enabled = c->ftp;
	fo.passive_timeout_ns = c->ftp_passive_timeout_ns;
	if (c->ftp_service_ports[0] &&
	    ftp_options_parse_ports(&fo, c->ftp_service_ports, err, errlen) < 0)
		return -1;
	g.req_ftp = fo;
	int rc = writer_request(REQ_FTP, err, errlen);
	if (rc == -2)
		return -1; /* the writer still reads fo's ports: they stay allocated */
	if (c->ftp_service_ports[0])
		ftp_options_free_ports(&fo);
	if (rc < 0)
		return -1;
	g.cfg.ftp = c->ftp;
	g.cfg.ftp_passive_timeout_ns = c->ftp_passive_timeout_ns;
	snprintf(g.cfg.ftp_service_ports, sizeof g.cfg.ftp_service_ports, "%s",
	         c->ftp_service_ports);
	fprintf(stderr, "synackd: reload: FTP rules updated\n");
	return 0;
}

int synackd_request_reload(char *err, size_t errlen)
{
	if (!g.config_file[0]) {
		snprintf(err, errlen, "no configuration file to reload (started without -c)");
		return -1;
	}
	struct synackd_config c;
	config_defaults(&c);
	if (config_load(&c, g.config_file, err, errlen) < 0 ||
	    apply_overrides(&c, err, errlen) < 0 || config_validate(&c, err, errlen) < 0) {
		config_free(&c);
		return -1;
	}
	print_warnings(&c);
	struct policy *np = policy_build(&c, err, errlen);
	if (!np) {
		config_free(&c);
		return -1;
	}
	if (reload_ftp(&c, err, errlen) < 0) {
		policy_free(np);
		config_free(&c);
		return -1;
	}
	struct policy *old = __atomic_exchange_n(&g.policy, np, __ATOMIC_ACQ_REL);
	/* keep the new texts for status; the rest of the running config stays */
	free(g.cfg.internal_text);
	free(g.cfg.exclude_text);
	g.cfg.internal_text = c.internal_text;
	g.cfg.exclude_text = c.exclude_text;
	g.cfg.strict = c.strict;
	g.cfg.peers_any = c.peers_any;
	c.internal_text = c.exclude_text = NULL;
	config_free(&c);
	if (wait_quiescent(2000000000ull))
		policy_free(old);
	else
		fprintf(stderr, "synackd: reload: a worker did not pass a quiescent point in 2 s; "
		                "the old policy is kept in memory\n");
	fprintf(stderr, "synackd: reload: prefixes and exclusions from %s are in use\n",
	        g.config_file);
	return 0;
}

/* Without capabilities uid 0 writes only where the file modes let it: a
 * data directory that root could write only by overriding them (owned by
 * another user, mode 0700) would fail at the first file.  Say so now.  A
 * directory that does not exist yet is the writer's to create.  With
 * [security] user the directory was given to the user just before; if
 * that did not take, turning the drop off is no way out. */
static int data_dir_writable(const struct synackd_config *c)
{
	struct stat st;
	const char *dir = c->data_dir;
	if (stat(dir, &st) != 0 || faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) == 0)
		return 0;
	fprintf(stderr,
	        "synackd: data directory %s: not writable without capabilities (owner uid %u, "
	        "mode %04o): give it to uid %u%s\n",
	        dir, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), (unsigned)geteuid(),
	        c->user[0] ? " (the handover to user did not take: a file system that ignores "
	                     "chown?)"
	                   : ", or set drop_capabilities = no in [security]");
	return -1;
}

/* [security] user: the data directory becomes the user's before the
 * process does, as systemd does with a StateDirectory. */
static int give_data_dir(const struct synackd_config *c)
{
	char err[512];
	int given = privileges_give_dir(c->data_dir, c->user_uid, c->user_gid, err, sizeof err);
	if (given < 0) {
		fprintf(stderr, "synackd: data directory: %s\n", err);
		return -1;
	}
	if (given > 0)
		fprintf(stderr, "synackd: data directory %s given to user %s (%d files)\n",
		        c->data_dir, c->user, given);
	return 0;
}

/* Live ports: the control socket and telemetry, then no capability from
 * here on.  This comes before the writer starts its threads, which block
 * every signal and so could not be asked to drop theirs. */
static int open_live_services(const struct synackd_config *c, bool *control)
{
	char err[512];

	if (c->control_socket[0]) {
		if (control_commands_open(c->control_socket, err, sizeof err) < 0) {
			fprintf(stderr, "synackd: control socket %s: %s\n", c->control_socket, err);
			return -1;
		}
		*control = true;
	}
	telemetry_register();
	if (!c->drop_capabilities)
		return 0;
	if (c->user[0] && give_data_dir(c) < 0)
		return -1;
	int threads = privileges_drop(c->user_uid, c->user_gid, err, sizeof err);
	if (threads < 0) {
		fprintf(stderr,
		        "synackd: %s; not starting (drop_capabilities = no in [security] keeps "
		        "them)\n",
		        err);
		return -1;
	}
	if (c->user[0])
		fprintf(stderr, "synackd: capabilities dropped in all %d threads, now user %s\n",
		        threads, c->user);
	else
		fprintf(stderr, "synackd: capabilities dropped in all %d threads\n", threads);
	g.capabilities_dropped = true;
	return data_dir_writable(c);
}

/* ------------------------------------------------------------- writer */

/* mkdir -p: the missing parents of path (0755) and path itself (0750). */
static int make_dirs(const char *path)
{
	if (make_parent_dirs(path, 0755, NULL, 0) != 0)
		return -1;
	return mkdir(path, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

/* The data directory exists (made if missing), is a directory, and this
 * process may create files in it. */
static int prepare_data_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (make_dirs(dir) < 0 && errno != ENOTDIR) {
		snprintf(err, errlen, "data directory %s: cannot create it: %s", dir,
		         strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "data directory %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "data directory %s: exists and is not a directory", dir);
		return -1;
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0 && errno == EACCES) {
		snprintf(err, errlen,
		         "data directory %s: not writable by uid %u (owner uid %u, mode %04o)", dir,
		         (unsigned)geteuid(), (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

static int open_writer(char *err, size_t errlen)
{
	const struct synackd_config *c = &g.cfg;
	if (prepare_data_dir(c->data_dir, err, errlen) < 0)
		return -1;
	struct writer_options wo;
	writer_options_default(&wo);
	wo.data_dir = c->data_dir;
	wo.write_logs = c->write_logs;
	wo.write_db = c->write_db;
	wo.log.sensor_id = c->sensor_id;
	wo.store.sensor_id = c->sensor_id;
	wo.log.flush_interval_ns = c->flush_interval_ns;
	wo.log.fsync_interval_ns = c->fsync_interval_ns;
	wo.store.flush_interval_ns = c->flush_interval_ns;
	wo.store.timezone = c->timezone;
	wo.ftp.enabled = c->ftp;
	wo.ftp.passive_timeout_ns = c->ftp_passive_timeout_ns;
	wo.min_free_bytes = (uint64_t)c->min_free_mb << 20;
	if (!g.pcap_mode) {
		/* Old captures must never be pruned as they are read. */
		wo.log_retention_days = c->log_retention_days;
		wo.db_retention_days = c->db_retention_days;
	}
	wo.alerts = c->alerts && c->write_db;
	wo.alerts_opt.alert_exec = c->alert_exec[0] ? c->alert_exec : NULL;
	wo.alerts_opt.alert_timeout_s =
	    (unsigned)((c->alert_timeout_ns + 999999999ull) / 1000000000ull);
	wo.alerts_opt.return_days = c->return_days;
	wo.alerts_opt.gone_days = c->gone_days;
	wo.alerts_opt.learning_days = c->learning_days;
	bool ports_alloc = false;
	if (c->ftp_service_ports[0]) {
		if (ftp_options_parse_ports(&wo.ftp, c->ftp_service_ports, err, errlen) < 0)
			return -1;
		ports_alloc = true;
	}
	g.writer = writer_open(&wo, err, errlen);
	if (ports_alloc)
		ftp_options_free_ports(&wo.ftp);
	return g.writer ? 0 : -1;
}

/* ---------------------------------------------------------- main loop */

static void progress_line(bool final)
{
	uint64_t done = 0, total = 0;
	for (unsigned i = 0; i < g.n_workers; i++) {
		done += g.workers[i].progress_bytes;
		total += g.workers[i].total_bytes;
	}
	struct worker_stats t;
	stats_totals(&t);
	if (total)
		fprintf(stderr, "\rsynackd: %5.1f%%  %" PRIu64 " frames  %" PRIu64 " SYN+ACKs%s",
		        100.0 * (double)done / (double)total, t.frames, t.result[CLASSIFY_MATCH],
		        final ? "\n" : "");
	else
		fprintf(stderr, "\rsynackd: %" PRIu64 " frames  %" PRIu64 " SYN+ACKs%s", t.frames,
		        t.result[CLASSIFY_MATCH], final ? "\n" : "");
}

static bool workers_running(void)
{
	for (unsigned i = 0; i < g.n_workers; i++)
		if (__atomic_load_n(&g.workers[i].running, __ATOMIC_ACQUIRE))
			return true;
	return false;
}

static void main_loop(bool control)
{
	const uint64_t sec = 1000000000ull;
	uint64_t now = wall_ns();
	uint64_t next_anchor = now + sec, next_poll = now + sec;
	uint64_t next_stats = g.cfg.stats_interval_ns ? now + g.cfg.stats_interval_ns : UINT64_MAX;
	uint64_t next_progress = now + sec;
	uint64_t idle_since = now, last_frames = 0;
	bool show_progress = g.pcap_mode && (g.progress || isatty(2));

	while (!sig_stop) {
		if (control)
			control_commands_poll(10);
		else
			usleep(10000);
		now = wall_ns();
		if (sig_reload) {
			sig_reload = 0;
			char err[512];
			if (g.pcap_mode)
				fprintf(stderr, "synackd: SIGHUP ignored in --pcap mode\n");
			else if (synackd_request_reload(err, sizeof err) < 0)
				fprintf(stderr, "synackd: reload failed, old settings kept: %s\n",
				        err);
		}
		if (now >= next_anchor) {
			time_anchor();
			next_anchor = now + sec;
		}
		if (now >= next_poll) {
			stats_poll_ports(); /* ixgbe's 32-bit counters need a poll every few s */
			next_poll = now + sec;
		}
		if (now >= next_stats) {
			stats_log_line();
			next_stats = now + g.cfg.stats_interval_ns;
		}
		if (show_progress && now >= next_progress) {
			progress_line(false);
			next_progress = now + sec;
		}
		if (g.pcap_mode && !workers_running())
			break;
		if (g.writer_failed && !g.pcap_mode) {
			/* keep capturing: counted as errors; logged once */
			static bool said;
			if (!said)
				fprintf(stderr, "synackd: writer: %s\n", g.writer_error);
			said = true;
		}
		if (g.cfg.exit_on_idle_ns) {
			struct worker_stats t;
			stats_totals(&t);
			if (t.frames != last_frames) {
				last_frames = t.frames;
				idle_since = now;
			} else if (now - idle_since >= g.cfg.exit_on_idle_ns) {
				fprintf(stderr,
				        "synackd: no frame for %.1f s (exit_on_idle), stopping\n",
				        (double)g.cfg.exit_on_idle_ns / 1e9);
				break;
			}
		}
	}
	if (show_progress)
		progress_line(true);
}

/* Stop workers, let the writer drain every ring to empty, flush. */
static void stop_all(void)
{
	__atomic_store_n(&g.stop_workers, 1, __ATOMIC_RELEASE);
	if (g.pcap_mode) {
		threads_join_workers();
		__atomic_store_n(&g.workers_done, 1, __ATOMIC_RELEASE);
		threads_join_writer();
		return;
	}
	for (unsigned i = 0; i < g.n_workers; i++)
		rte_eal_wait_lcore(g.workers[i].lcore);
	__atomic_store_n(&g.workers_done, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(g.writer_lcore);
}

/* Live ports: the writer, then the workers, each on its lcore. */
static int launch_lcores(char *err, size_t errlen)
{
	int rc = rte_eal_remote_launch(writer_main, NULL, g.writer_lcore);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the writer on lcore %u: %s", g.writer_lcore,
		         rte_strerror(-rc));
		return -1;
	}
	for (unsigned i = 0; i < g.n_workers; i++) {
		g.workers[i].running = 1;
		rc = rte_eal_remote_launch(worker_main_ports, &g.workers[i], g.workers[i].lcore);
		if (rc != 0) {
			g.workers[i].running = 0;
			snprintf(err, errlen, "cannot start worker %u on lcore %u: %s", i,
			         g.workers[i].lcore, rte_strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* Only a regular file can be read in byte ranges by several workers: a
 * pipe's start would be eaten by the first look at it. */
static bool regular_file(const char *path)
{
	struct stat st;
	return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* A capture named twice (or by two names) is read twice, and its SYN+ACKs
 * are counted twice: allowed, but said. */
static void warn_repeated_files(char **files, int n)
{
	for (int i = 0; i < n; i++) {
		struct stat a, b;
		if (strcmp(files[i], "-") == 0 || stat(files[i], &a) != 0)
			continue;
		for (int k = i + 1; k < n; k++)
			if (strcmp(files[k], "-") != 0 && stat(files[k], &b) == 0 &&
			    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
				fprintf(stderr,
				        "synackd: warning: %s and %s are the same file: it is read "
				        "twice and its SYN+ACKs are counted twice\n",
				        files[i], files[k]);
				break;
			}
	}
}

/* CPUs this process may run on. */
static unsigned cpus_available(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 1;
	return (unsigned)CPU_COUNT(&set);
}

int main(int argc, char **argv)
{
	char err[1024];
	const char *config_path = NULL;
	bool pcap = false;
	unsigned n_workers_pcap = 1;
	const char *pcap_only = NULL, *live_only = NULL; /* options of one mode, if given */
	/* The inventory of open ports is sensitive: data files 0640, folders
	 * 0750, whatever the caller's umask (doc/security.md). */
	umask(027);
	overrides = calloc((size_t)argc + 1, sizeof *overrides);
	if (!overrides)
		return 3;

	int opt;
	while ((opt = getopt_long(argc, argv, "c:h", long_opts, NULL)) != -1) {
		struct override o = {NULL, NULL, NULL};
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case OPT_SET: {
			char *eq = strchr(optarg, '=');
			if (!eq) {
				fprintf(stderr, "synackd: --set %s: expected KEY=VALUE\n", optarg);
				return 1;
			}
			*eq = '\0';
			o = (struct override){optarg, eq + 1, NULL};
			break;
		}
		case OPT_INTERNAL:
			o = (struct override){"internal", optarg, "--internal"};
			break;
		case OPT_EXCLUDE:
			o = (struct override){"exclude", optarg, "--exclude"};
			break;
		case OPT_STRICT:
			o = (struct override){"synack_rule", "strict", "--strict"};
			break;
		case OPT_PEERS:
			o = (struct override){"peers", optarg, "--peers"};
			break;
		case OPT_DATA_DIR:
			o = (struct override){"data_dir", absolute_path(optarg), "--data-dir"};
			break;
		case OPT_SENSOR:
			o = (struct override){"sensor_id", optarg, "--sensor-id"};
			break;
		case OPT_PREFIX:
			o = (struct override){"file_prefix", optarg, "--file-prefix"};
			live_only = "--file-prefix";
			break;
		case OPT_STATS:
			o = (struct override){"stats_interval", optarg, "--stats-interval"};
			break;
		case OPT_IDLE:
			o = (struct override){"exit_on_idle", optarg, "--exit-on-idle"};
			break;
		case OPT_RING:
			o = (struct override){"ring_size", optarg, "--ring-size"};
			break;
		case OPT_PCAP:
			pcap = true;
			break;
		case OPT_WORKERS: {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*end || n < 1 || n > MAX_WORKERS - 1) {
				fprintf(stderr, "synackd: --workers %s: expected 1-%d\n", optarg,
				        MAX_WORKERS - 1);
				return 1;
			}
			n_workers_pcap = (unsigned)n;
			pcap_only = "--workers";
			break;
		}
		case OPT_PROGRESS:
			g.progress = true;
			pcap_only = "--progress";
			break;
		case OPT_SUMMARY_JSON:
			g.summary_json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_VERSION:
			printf("synackd %s\n", SYNACK_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
		if (o.key)
			overrides[n_overrides++] = o;
	}

	if (pcap && live_only) {
		fprintf(stderr, "synackd: %s is for live ports; --pcap starts no EAL\n", live_only);
		return 1;
	}
	if (!pcap && pcap_only) {
		fprintf(stderr,
		        "synackd: %s is for --pcap; on live ports the rx lines of [lcores] place "
		        "the workers and the stats line shows progress\n",
		        pcap_only);
		return 1;
	}
	struct synackd_config *c = &g.cfg;
	config_defaults(c);
	if (pcap) {
		/* --pcap: sensible local defaults, no file needed */
		c->ring_size = 16384;
		c->stats_interval_ns = 0;
		snprintf(c->data_dir, sizeof c->data_dir, "./synack-data");
	}
	if (config_path) {
		if (config_load(c, config_path, err, sizeof err) < 0)
			return die_config(err);
		snprintf(g.config_file, sizeof g.config_file, "%s", config_path);
	} else if (!pcap) {
		fprintf(stderr, "synackd: give a configuration file (-c FILE) or --pcap FILE...\n");
		usage(stderr);
		return 1;
	}
	if (apply_overrides(c, err, sizeof err) < 0)
		return die_config(err);

	g.pcap_mode = pcap;
	if (pcap) {
		int nfiles = argc - optind;
		if (nfiles <= 0) {
			fprintf(stderr, "synackd: --pcap needs at least one capture file\n");
			return 1;
		}
		if (nfiles > MAX_PCAP_FILES) {
			fprintf(stderr, "synackd: at most %d files per run\n", MAX_PCAP_FILES);
			return 1;
		}
		if (strspn(c->internal_text, " \t\r\n,") == strlen(c->internal_text)) {
			fprintf(stderr, "synackd: --pcap needs --internal PREFIXES\n");
			return 1;
		}
		config_warn_never_match(c);
		print_warnings(c);
		warn_repeated_files(argv + optind, nfiles);
		/* More workers than files: one file is read in parts (byte ranges),
		 * one per worker; several files go to workers round-robin. */
		if (nfiles == 1 && n_workers_pcap > 1 && !regular_file(argv[optind])) {
			fprintf(stderr,
			        "synackd: %s is not a regular file (a pipe?): one worker reads it "
			        "whole\n",
			        argv[optind]);
			n_workers_pcap = 1;
		}
		unsigned n_parts = nfiles == 1 ? n_workers_pcap : 1;
		if (n_workers_pcap > (unsigned)nfiles && nfiles > 1)
			n_workers_pcap = (unsigned)nfiles;
		g.n_workers = n_workers_pcap;
		for (int i = 0; i < nfiles; i++) {
			struct stat sb;
			uint64_t size = stat(argv[optind + i], &sb) == 0 ? (uint64_t)sb.st_size : 0;
			for (unsigned k = 0; k < n_parts; k++) {
				struct worker *w = &g.workers[((unsigned)i + k) % g.n_workers];
				w->files[w->n_files++] = argv[optind + i];
				w->total_bytes += size / n_parts;
			}
		}
		for (unsigned i = 0; i < g.n_workers; i++) {
			g.workers[i].index = i;
			g.workers[i].lcore = i + 1;
			g.workers[i].part = n_parts > 1 ? i : 0;
			g.workers[i].n_parts = n_parts;
		}
		g.writer_lcore = g.n_workers + 1;
		/* the writer is seldom busy all the time; the workers are */
		g.pcap_prefault = g.n_workers < cpus_available();
	} else {
		if (optind < argc) {
			fprintf(stderr, "synackd: unexpected argument '%s' (files need --pcap)\n",
			        argv[optind]);
			return 1;
		}
		if (config_validate(c, err, sizeof err) < 0)
			return die_config(err);
		print_warnings(c);
		/* group rx lines by lcore: one worker per lcore */
		for (unsigned i = 0; i < c->n_rx; i++) {
			struct worker *w = NULL;
			for (unsigned k = 0; k < g.n_workers; k++)
				if (g.workers[k].lcore == c->rx[i].lcore)
					w = &g.workers[k];
			if (!w) {
				if (g.n_workers >= MAX_WORKERS)
					return die_config("too many worker lcores");
				w = &g.workers[g.n_workers];
				w->index = g.n_workers++;
				w->lcore = c->rx[i].lcore;
			}
			if (w->n_q >= MAX_WORKER_QUEUES)
				return die_config("too many queues on one lcore (max 16)");
			w->q[w->n_q].port = (uint16_t)c->rx[i].port;
			w->q[w->n_q].queue = (uint16_t)c->rx[i].queue;
			w->n_q++;
		}
		g.writer_lcore = c->writer_lcore;
	}

	/* The policy is built before EAL: a bad prefix stops us here. */
	g.policy = policy_build(c, err, sizeof err);
	if (!g.policy)
		return die_config(err);

	/* --pcap needs no EAL: no NIC, no hugepages, and its start-up (driver
	 * plugins, TSC calibration) would cost more than reading a large file. */
	if (!pcap) {
		struct argv_buf ea;
		memset(&ea, 0, sizeof ea);
		eal_args_ports(&ea, c);
		int rc = rte_eal_init(ea.n, ea.v);
		if (rc < 0) {
			fprintf(stderr, "synackd: EAL initialisation failed: %s\n",
			        rte_strerror(rte_errno));
			return 3;
		}
	}
	g.start_ns = wall_ns();
	time_anchor();
	int status = 0;
	bool control = false;
	/* Handlers only set flags, which main_loop() reads: from here on a
	 * SIGHUP (sent as soon as the control socket appears, say) no longer
	 * kills the process before it runs. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pcap)
		goto start;

	/* every role's lcore must exist */
	if (!rte_lcore_is_enabled(g.writer_lcore)) {
		fprintf(stderr, "synackd: writer lcore %u is not enabled in EAL (lcores = %s)\n",
		        g.writer_lcore, c->lcores);
		status = 1;
		goto out_eal;
	}
	for (unsigned i = 0; i < g.n_workers; i++)
		if (!rte_lcore_is_enabled(g.workers[i].lcore)) {
			fprintf(stderr,
			        "synackd: worker lcore %u is not enabled in EAL (lcores = %s)\n",
			        g.workers[i].lcore, c->lcores);
			status = 1;
			goto out_eal;
		}
	if (rte_get_main_lcore() != c->main_lcore) {
		fprintf(stderr, "synackd: main lcore is %u, not %u\n", rte_get_main_lcore(),
		        c->main_lcore);
		status = 1;
		goto out_eal;
	}

	/* All DPDK memory (mbuf pool, rings) is reserved before the capabilities
	 * go: without CAP_IPC_LOCK, VFIO would count new DMA mappings against
	 * RLIMIT_MEMLOCK. */
	if (ports_setup(err, sizeof err) < 0 || rings_create(err, sizeof err) < 0) {
		fprintf(stderr, "synackd: %s\n", err);
		status = 3;
		goto out_ports;
	}
	if (open_live_services(c, &control) < 0) {
		status = 3;
		goto out_control;
	}
start:
	if ((pcap && rings_create(err, sizeof err) < 0) || open_writer(err, sizeof err) < 0) {
		fprintf(stderr, "synackd: %s\n", err);
		status = 3;
		goto out_control;
	}

	if (pcap) {
		if (threads_launch_pcap(err, sizeof err) < 0) {
			fprintf(stderr, "synackd: %s\n", err);
			status = 3;
			stop_all();
			goto out_writer;
		}
	} else if (launch_lcores(err, sizeof err) < 0) {
		fprintf(stderr, "synackd: %s\n", err);
		status = 3;
		stop_all();
		goto out_writer;
	}
	if (!pcap)
		fprintf(stderr, "synackd: %u worker%s, writer on lcore %u, data in %s\n",
		        g.n_workers, g.n_workers == 1 ? "" : "s", g.writer_lcore, c->data_dir);

	main_loop(control);
	if (sig_stop && !pcap)
		fprintf(stderr, "synackd: stopping: workers first, then the writer drains\n");
	stop_all();
	stats_poll_ports();
	if (control)
		control_commands_close();
	control = false;

	if (g.writer_failed) {
		fprintf(stderr, "synackd: writer: %s\n", g.writer_error);
		status = 3;
	}
	{
		char errors[2048] = "";
		size_t off = 0;
		for (unsigned i = 0; i < g.n_workers; i++)
			if (g.workers[i].failed) {
				fprintf(stderr, "synackd: %s\n", g.workers[i].error);
				off += (size_t)snprintf(
				    errors + off, off < sizeof errors ? sizeof errors - off : 0,
				    "%s%s", off ? "; " : "", g.workers[i].error);
				if (status == 0)
					status = 2;
			}
		if (pcap) {
			if (sig_stop)
				fprintf(stderr, "synackd: interrupted; what was read is stored\n");
			summary_print(g.summary_json, status, errors);
		} else {
			stats_log_line();
			if (g.summary_json)
				summary_print(true, status, errors);
		}
	}

out_writer:
	writer_close(g.writer);
	g.writer = NULL;
out_control:
	if (control)
		control_commands_close();
out_ports:
	if (!pcap)
		ports_stop();
out_eal:
	rings_free();
	if (!pcap)
		rte_eal_cleanup();
	policy_free(g.policy);
	config_free(c);
	free(overrides);
	return status;
}
