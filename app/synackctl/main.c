/*
 * main.c - synackctl, the operator's tool: global options and dispatch.
 *
 * Offline subcommands read the data directory (logs, database); daemon
 * subcommands talk to synackd over its unix socket.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "synack_version.h"

struct command {
	const char *name;
	int (*run)(const struct global_options *g, int argc, char **argv);
	const char *help;
	bool json; /* has a JSON output for --json */
};

static const struct command commands[] = {
    {"cat", cmd_cat, "decode hourly logs to CSV", false},
    {"services", cmd_services, "list the inventory of open ports", true},
    {"rebuild", cmd_rebuild, "rebuild the database from the logs", false},
    {"status", cmd_status, "synackd: version, uptime, ports, lcores, current log", true},
    {"stats", cmd_stats, "synackd: packet counters and rates (--watch SECONDS)", true},
    {"rotate", cmd_rotate, "synackd: start a new hourly log now", true},
    {"flush", cmd_flush, "synackd: write buffered records now", true},
    {"reload", cmd_reload, "synackd: re-read prefixes, exclusions, FTP ports", true},
    {"stop", cmd_stop, "synackd: stop in order", true},
    {"report", cmd_report, "daily figures, top ports, hosts (text, csv, json, html)", true},
    {"compare", cmd_compare, "compare the inventory with nmap, masscan or Nessus results", true},
    {"events", cmd_events, "new and returning services and hosts (alerts)", true},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: synackctl [--data-dir DIR] [--socket PATH] [--json] COMMAND [ARGS]\n\n"
	             "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n'synackctl COMMAND --help' shows the options of a command.  The global\n"
	             "options may also follow COMMAND.\n");
}

/* The value of a global option at argv[*i] ("--name VALUE" or
 * "--name=VALUE"), advancing *i past it; NULL when argv[*i] is not that
 * option.  *missing is set when the value is missing. */
static const char *option_value(const char *name, char **argv, int argc, int *i, bool *missing)
{
	size_t n = strlen(name);
	const char *a = argv[*i];
	if (strncmp(a, name, n) != 0)
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

/* Takes the global options out of a subcommand's arguments (up to "--"),
 * so that "synackctl cat --data-dir DIR" works like "synackctl --data-dir
 * DIR cat".  out[0] becomes prog (getopt's messages start with it).
 * Returns the new argc, or -1 after a message. */
static int take_global_options(struct global_options *g, int argc, char **argv, char *prog,
                               char **out)
{
	int n = 0;
	out[n++] = prog;
	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				out[n++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			g->json = 1;
		else if ((v = option_value("--data-dir", argv, argc, &i, &missing)))
			g->data_dir = v;
		else if ((v = option_value("--socket", argv, argc, &i, &missing)))
			g->socket = v;
		else if (!missing)
			out[n++] = argv[i];
		if (missing) {
			fprintf(stderr, "%s: option '%s' requires an argument\n", prog, argv[i]);
			return -1;
		}
	}
	out[n] = NULL;
	return n;
}

static int run_command(const struct command *cmd, struct global_options *g, int argc, char **argv)
{
	char prog[64];
	snprintf(prog, sizeof(prog), "synackctl %s", cmd->name);
	char **args = calloc((size_t)argc + 1, sizeof(*args));
	if (!args) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_ERROR;
	}
	int n = take_global_options(g, argc, argv, prog, args);
	int rc = EXIT_USAGE;
	if (n >= 0 && g->json && !cmd->json)
		fprintf(stderr, "%s: --json: this command has no JSON output\n", prog);
	else if (n >= 0)
		rc = cmd->run(g, n, args);
	free(args);
	return rc;
}

int main(int argc, char **argv)
{
	struct global_options g = {
	    .data_dir = "/var/lib/synack",
	    .socket = "/run/synack/synackd.sock",
	};
	static const struct option options[] = {
	    {"data-dir", required_argument, NULL, 'd'}, {"socket", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},           {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},        {NULL, 0, NULL, 0},
	};
	int c;

	/* '+' stops at the first non-option: the subcommand owns the rest. */
	while ((c = getopt_long(argc, argv, "+d:s:jhV", options, NULL)) != -1) {
		switch (c) {
		case 'd':
			g.data_dir = optarg;
			break;
		case 's':
			g.socket = optarg;
			break;
		case 'j':
			g.json = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("synackctl %s\n", SYNACK_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) == 0) {
			int first = optind;

			optind = 0; /* reset getopt for the subcommand (glibc) */
			return run_command(&commands[i], &g, argc - first, argv + first);
		}
	}
	fprintf(stderr, "synackctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
