/*
 * fake_synackd.c - app/synackd/control_commands.c against a fake appliance
 * (no DPDK): plausible status and stats that grow with time, and requests
 * that can be made to fail.  For the control and synackctl tests.
 *
 *   fake_synackd --socket PATH [--reload-error-file FILE] [--run-ms MS]
 *                [--slow-ms MS]
 *
 * reload fails with the content of FILE while it exists (as a broken config
 * would); --slow-ms delays rotate/flush (a busy writer).  Prints
 * "ready PATH" once listening; exits after 'stop', SIGTERM or --run-ms.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control_commands.h"
#include "synackd.h"

static volatile sig_atomic_t stop_flag;
static const char *reload_error_file;
static long slow_ms;
static double t_start, t_last_stats;
static unsigned rotations, flushes, reloads;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

void synackd_status_json(struct json_out *out)
{
	json_out_string(out, "version", "0.1.0");
	json_out_u64(out, "uptime_s", (uint64_t)(now_s() - t_start) + 93784);
	json_out_string(out, "mode", "ports");
	json_out_array_begin(out, "ports");
	for (int p = 0; p < 2; p++) {
		json_out_object_begin(out, NULL);
		json_out_u64(out, "port", (uint64_t)p);
		json_out_string(out, "name", p ? "0000:01:00.1" : "0000:01:00.0");
		json_out_string(out, "driver", "net_ixgbe");
		json_out_bool(out, "link_up", p == 0);
		json_out_u64(out, "speed_mbps", p == 0 ? 10000 : 0);
		json_out_u64(out, "rx_queues", 1);
		json_out_bool(out, "rss", true);
		json_out_object_end(out);
	}
	json_out_array_end(out);
	json_out_array_begin(out, "lcores");
	static const struct {
		int lcore;
		const char *role;
		int port, queue;
	} lc[] = {
	    {0, "main", -1, -1}, {1, "worker", 0, 0}, {2, "worker", 1, 0}, {3, "writer", -1, -1}};
	for (size_t i = 0; i < 4; i++) {
		json_out_object_begin(out, NULL);
		json_out_u64(out, "lcore", (uint64_t)lc[i].lcore);
		json_out_string(out, "role", lc[i].role);
		if (lc[i].port >= 0) {
			json_out_u64(out, "port", (uint64_t)lc[i].port);
			json_out_u64(out, "queue", (uint64_t)lc[i].queue);
		}
		json_out_object_end(out);
	}
	json_out_array_end(out);
	json_out_string(out, "data_dir", "/var/lib/synack");
	json_out_string(out, "current_log", "/var/lib/synack/logs/2026/11/25/19.log.zst");
	json_out_string(out, "config_file", "/etc/synack/synackd.conf");
}

static void worker_counters(struct json_out *out, const char *key, uint64_t pk)
{
	json_out_object_begin(out, key);
	json_out_u64(out, "frames", pk);
	json_out_u64(out, "bytes", pk * 64);
	json_out_u64(out, "synack", pk / 100);
	json_out_u64(out, "ipv4", pk / 100 - pk / 1000);
	json_out_u64(out, "ipv6", pk / 1000);
	json_out_u64(out, "excluded", 7);
	json_out_u64(out, "ring_drops", 0);
	json_out_u64(out, "ring_waits", 0);
	json_out_object_begin(out, "results");
	json_out_u64(out, "match", pk / 100);
	json_out_u64(out, "not_tcp", pk / 2);
	json_out_object_end(out);
	json_out_object_begin(out, "flags");
	json_out_u64(out, "0x012", pk / 100);
	json_out_object_end(out);
	json_out_object_end(out);
}

/* The shape of app/synackd/stats.c's reply. */
void synackd_stats_json(struct json_out *out)
{
	double t = now_s(), el = t - t_start;
	double interval = t - t_last_stats;
	uint64_t pk = (uint64_t)(el * 1000000) + 5000000;

	t_last_stats = t;
	json_out_array_begin(out, "ports");
	for (int p = 0; p < 2; p++) {
		json_out_object_begin(out, NULL);
		json_out_u64(out, "port", (uint64_t)p);
		json_out_string(out, "name", p ? "0000:01:00.1" : "0000:01:00.0");
		json_out_u64(out, "ipackets", pk);
		json_out_u64(out, "ibytes", pk * 64);
		json_out_u64(out, "imissed", p ? 12 : 0);
		json_out_u64(out, "ierrors", 0);
		json_out_u64(out, "rx_nombuf", 0);
		json_out_array_begin(out, "queues");
		json_out_object_begin(out, NULL);
		json_out_u64(out, "queue", 0);
		json_out_u64(out, "ipackets", pk);
		json_out_u64(out, "errors", 0);
		json_out_object_end(out);
		json_out_array_end(out);
		json_out_object_end(out);
	}
	json_out_array_end(out);
	json_out_array_begin(out, "workers");
	for (int w = 0; w < 2; w++) {
		json_out_object_begin(out, NULL);
		json_out_u64(out, "worker", (uint64_t)w);
		json_out_u64(out, "lcore", (uint64_t)w + 1);
		worker_counters(out, "counters", pk);
		json_out_object_end(out);
	}
	json_out_array_end(out);
	json_out_object_begin(out, "writer");
	json_out_u64(out, "records", pk / 50);
	json_out_u64(out, "logged", pk / 50);
	json_out_u64(out, "stored", pk / 50);
	json_out_u64(out, "ftp_active", 1);
	json_out_u64(out, "ftp_passive", 2);
	json_out_u64(out, "log_errors", 0);
	json_out_u64(out, "db_errors", 0);
	json_out_object_end(out);
	worker_counters(out, "totals", 2 * pk);
	json_out_object_begin(out, "rates");
	json_out_double(out, "interval_s", interval);
	json_out_double(out, "frames_per_s", 2000000.0);
	json_out_double(out, "synack_per_s", 20000.0);
	json_out_object_end(out);
	/* test-only: what the requests did */
	json_out_object_begin(out, "fake");
	json_out_u64(out, "rotations", rotations);
	json_out_u64(out, "flushes", flushes);
	json_out_u64(out, "reloads", reloads);
	json_out_object_end(out);
}

int synackd_request_rotate(char *err, size_t errlen)
{
	if (slow_ms)
		usleep((useconds_t)slow_ms * 1000);
	rotations++;
	return 0;
}

int synackd_request_flush(char *err, size_t errlen)
{
	if (slow_ms)
		usleep((useconds_t)slow_ms * 1000);
	flushes++;
	return 0;
}

int synackd_request_reload(char *err, size_t errlen)
{
	FILE *f = reload_error_file ? fopen(reload_error_file, "r") : NULL;
	if (f) {
		if (!fgets(err, (int)errlen, f))
			snprintf(err, errlen, "reload failed");
		err[strcspn(err, "\n")] = '\0';
		fclose(f);
		return -1;
	}
	reloads++;
	return 0;
}

void synackd_request_stop(void)
{
	stop_flag = 1;
}

const char *synackd_data_dir(void)
{
	return "/var/lib/synack";
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	long run_ms = 30000;
	char err[512];

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--socket"))
			path = argv[i + 1];
		else if (!strcmp(argv[i], "--reload-error-file"))
			reload_error_file = argv[i + 1];
		else if (!strcmp(argv[i], "--run-ms"))
			run_ms = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--slow-ms"))
			slow_ms = atol(argv[i + 1]);
		else {
			fprintf(stderr, "fake_synackd: unknown option %s\n", argv[i]);
			return 64;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	t_start = t_last_stats = now_s();
	if (control_commands_open(path, err, sizeof(err)) != 0) {
		fprintf(stderr, "fake_synackd: %s\n", err);
		return 1;
	}
	printf("ready %s\n", control_commands_path());
	fflush(stdout);
	while (!stop_flag && now_s() - t_start < run_ms / 1000.0)
		control_commands_poll(100);
	control_commands_poll(10); /* the reply to 'stop' */
	control_commands_close();
	return 0;
}
