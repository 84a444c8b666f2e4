/*
 * control_test_server.c - a control socket with a few test commands, no DPDK.
 *
 *   control_test_server --socket PATH [--group NAME] [--mode OCTAL]
 *       [--max-clients N] [--max-request N] [--max-reply N]
 *       [--request-timeout MS] [--idle-timeout MS] [--write-timeout MS]
 *       [--run-ms MS]
 *
 * Commands: echo ARGS... (replies {"args":[...]}), fail (an error), big N
 * (a string of N 'x'), clients (connected clients), stop, help.
 * Prints "ready PATH" on stdout once listening; exits after 'stop', SIGTERM
 * or --run-ms (default 30000).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/control_server.h"

static volatile sig_atomic_t stop_flag;
static struct control_server *server;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static int h_echo(void *ctx, const struct control_request *req, struct json_out *out)
{
	json_out_array_begin(out, "args");
	for (int i = 0; i < req->argc; i++)
		json_out_string(out, NULL, req->argv[i]);
	json_out_array_end(out);
	return 0;
}

static int h_fail(void *ctx, const struct control_request *req, struct json_out *out)
{
	json_out_u64(out, "partial", 1); /* discarded by the server */
	json_out_error(out, "failed on purpose");
	return -1;
}

static int h_big(void *ctx, const struct control_request *req, struct json_out *out)
{
	size_t n = req->argc > 0 ? strtoul(req->argv[0], NULL, 10) : 1000;
	if (n > 16 << 20) {
		json_out_error(out, "too big: %zu", n);
		return -1;
	}
	char *s = malloc(n + 1);
	if (!s) {
		json_out_error(out, "out of memory");
		return -1;
	}
	memset(s, 'x', n);
	s[n] = '\0';
	json_out_string(out, "data", s);
	free(s);
	return 0;
}

static int h_clients(void *ctx, const struct control_request *req, struct json_out *out)
{
	json_out_u64(out, "clients", control_server_clients(server));
	return 0;
}

static int h_stop(void *ctx, const struct control_request *req, struct json_out *out)
{
	stop_flag = 1;
	json_out_string(out, "message", "stopping");
	return 0;
}

static const struct control_command commands[] = {
    {"echo", h_echo, "echo the arguments"}, {"fail", h_fail, "always fails"},
    {"big", h_big, "a reply of N bytes"},   {"clients", h_clients, "connected clients"},
    {"stop", h_stop, "stop the server"},    {"help", NULL, "list the commands"},
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct control_server_options opt;
	char err[512];
	long run_ms = 30000;

	control_server_options_default(&opt);
	opt.path = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "control_test_server: %s needs a value\n", a);
			return 64;
		}
		i++;
		if (!strcmp(a, "--socket"))
			opt.path = v;
		else if (!strcmp(a, "--group"))
			opt.group = v;
		else if (!strcmp(a, "--mode"))
			opt.mode = (unsigned)strtoul(v, NULL, 8);
		else if (!strcmp(a, "--max-clients"))
			opt.max_clients = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--max-request"))
			opt.max_request = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--max-reply"))
			opt.max_reply = strtoul(v, NULL, 10);
		else if (!strcmp(a, "--request-timeout"))
			opt.request_timeout_ms = atoi(v);
		else if (!strcmp(a, "--idle-timeout"))
			opt.idle_timeout_ms = atoi(v);
		else if (!strcmp(a, "--write-timeout"))
			opt.write_timeout_ms = atoi(v);
		else if (!strcmp(a, "--run-ms"))
			run_ms = atol(v);
		else {
			fprintf(stderr, "control_test_server: unknown option %s\n", a);
			return 64;
		}
	}
	if (!opt.path) {
		fprintf(stderr, "control_test_server: --socket is required\n");
		return 64;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	server = control_server_open(&opt, commands, sizeof(commands) / sizeof(commands[0]), NULL,
	                             err, sizeof(err));
	if (!server) {
		fprintf(stderr, "control_test_server: %s\n", err);
		return 1;
	}
	printf("ready %s\n", control_server_path(server));
	fflush(stdout);
	long long end = now_ms() + run_ms;
	while (!stop_flag && now_ms() < end) {
		if (control_server_poll(server, 100) < 0) {
			perror("control_test_server: poll");
			break;
		}
	}
	/* Let the reply to 'stop' go out. */
	for (int i = 0; i < 5 && control_server_clients(server) > 0; i++)
		control_server_poll(server, 20);
	control_server_close(server);
	return 0;
}
