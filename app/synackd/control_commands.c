/*
 * control_commands.c - the control socket commands of synackd
 * (doc/control.md): status, stats, rotate, flush, reload, stop, help,
 * version.  Each maps onto a function of synackd.h; the socket itself is
 * lib/control/control_server.c.  No DPDK here, so the tests link this file
 * against a fake synackd.
 */
#include "control_commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_server.h"
#include "synack_version.h"
#include "synackd.h"

static struct control_server *server;

static int no_args(const struct control_request *req, struct json_out *out)
{
	if (req->argc == 0)
		return 0;
	json_out_error(out, "'%s' takes no arguments", req->command);
	return -1;
}

static int c_status(void *ctx, const struct control_request *req, struct json_out *out)
{
	if (no_args(req, out))
		return -1;
	synackd_status_json(out);
	return 0;
}

static int c_stats(void *ctx, const struct control_request *req, struct json_out *out)
{
	if (no_args(req, out))
		return -1;
	synackd_stats_json(out);
	return 0;
}

typedef int (*request_fn)(char *err, size_t errlen);

static int run_request(const struct control_request *req, struct json_out *out, request_fn fn,
                       const char *done)
{
	char err[200] = "";

	if (no_args(req, out))
		return -1;
	if (fn(err, sizeof(err)) != 0) {
		json_out_error(out, "%s", err[0] ? err : "failed");
		return -1;
	}
	json_out_string(out, "message", done);
	return 0;
}

static int c_rotate(void *ctx, const struct control_request *req, struct json_out *out)
{
	return run_request(req, out, synackd_request_rotate, "log rotated");
}

static int c_flush(void *ctx, const struct control_request *req, struct json_out *out)
{
	return run_request(req, out, synackd_request_flush, "flushed");
}

static int c_reload(void *ctx, const struct control_request *req, struct json_out *out)
{
	return run_request(req, out, synackd_request_reload, "configuration reloaded");
}

static int c_stop(void *ctx, const struct control_request *req, struct json_out *out)
{
	if (no_args(req, out))
		return -1;
	synackd_request_stop();
	json_out_string(out, "message", "stopping");
	return 0;
}

static int c_version(void *ctx, const struct control_request *req, struct json_out *out)
{
	if (no_args(req, out))
		return -1;
	json_out_string(out, "name", "synackd");
	json_out_string(out, "version", SYNACK_VERSION);
	return 0;
}

static const struct control_command commands[] = {
    {"status", c_status, "version, uptime, ports, lcores, data directory, current log"},
    {"stats", c_stats, "packet counters per port, queue, worker and the writer, with rates"},
    {"rotate", c_rotate, "close the current hourly log and start a new one"},
    {"flush", c_flush, "write buffered records to the log and the database now"},
    {"reload", c_reload, "re-read prefixes, exclusions and FTP ports from the config file"},
    {"stop", c_stop, "stop synackd in order (as SIGTERM)"},
    {"version", c_version, "synackd's version"},
    {"help", NULL, "list the commands"},
};

static void on_warn(void *ctx, const char *msg)
{
	fprintf(stderr, "synackd: control socket: warning: %s\n", msg);
}

int control_commands_open(const char *socket_path, char *err, size_t errlen)
{
	struct control_server_options opt;
	char path[512];

	if (server)
		return 0;
	control_server_options_default(&opt);
	if (socket_path && *socket_path) {
		opt.path = socket_path;
	} else {
		const char *rt = getenv("RUNTIME_DIRECTORY");
		if (rt && *rt) {
			/* RuntimeDirectory= may list several, ':'-separated. */
			size_t n = strcspn(rt, ":");
			snprintf(path, sizeof(path), "%.*s/synackd.sock", (int)n, rt);
			opt.path = path;
		}
	}
	opt.warn = on_warn;
	server = control_server_open(&opt, commands, sizeof(commands) / sizeof(commands[0]), NULL,
	                             err, errlen);
	return server ? 0 : -1;
}

void control_commands_poll(int timeout_ms)
{
	if (server)
		control_server_poll(server, timeout_ms);
}

void control_commands_close(void)
{
	control_server_close(server);
	server = NULL;
}

const char *control_commands_path(void)
{
	return server ? control_server_path(server) : NULL;
}
