/*
 * main.c - synackctl, the operator's tool: global options and dispatch.
 *
 * Offline subcommands read the data directory (logs, database); daemon
 * subcommands talk to synackd over its unix socket.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "synack_version.h"

struct command {
	const char *name;
	int (*run)(const struct global_options *g, int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
    {"cat", cmd_cat, "decode hourly logs to CSV"},
    {"services", cmd_services, "list the inventory of open ports"},
    {"rebuild", cmd_rebuild, "rebuild the database from the logs"},
    {"status", cmd_status, "synackd: version, uptime, ports, lcores, current log"},
    {"stats", cmd_stats, "synackd: packet counters and rates (--watch SECONDS)"},
    {"rotate", cmd_rotate, "synackd: start a new hourly log now"},
    {"flush", cmd_flush, "synackd: write buffered records now"},
    {"reload", cmd_reload, "synackd: re-read prefixes, exclusions, FTP ports"},
    {"stop", cmd_stop, "synackd: stop in order"},
    {"report", cmd_report, "daily figures, top ports, hosts (text, csv, json, html)"},
    {"compare", cmd_compare, "compare the inventory with nmap, masscan or Nessus results"},
    {"events", cmd_events, "new and returning services and hosts (alerts)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: synackctl [--data-dir DIR] [--socket PATH] [--json] COMMAND [ARGS]\n\n"
	             "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n'synackctl COMMAND --help' shows the options of a command.\n");
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
			return commands[i].run(&g, argc - first, argv + first);
		}
	}
	fprintf(stderr, "synackctl: unknown command '%s'\n", argv[optind]);
	usage(stderr);
	return EXIT_USAGE;
}
