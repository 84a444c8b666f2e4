/*
 * commands.h - the subcommands of synackctl, one file each.
 *
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and the global options, and returns the process exit status:
 * 0 ok, 1 an error (reported on stderr), 2 the daemon is unreachable,
 * 64 bad usage.
 */
#ifndef SYNACKCTL_COMMANDS_H
#define SYNACKCTL_COMMANDS_H

enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_UNREACHABLE = 2, EXIT_USAGE = 64 };

struct global_options {
	const char *data_dir; /* --data-dir, default /var/lib/synack */
	const char *socket;   /* --socket, default /run/synack/synackd.sock */
	int json;             /* --json */
};

int cmd_cat(const struct global_options *g, int argc, char **argv);
int cmd_services(const struct global_options *g, int argc, char **argv);
int cmd_rebuild(const struct global_options *g, int argc, char **argv);

/* cmd_daemon.c: talk to synackd over the control socket (--socket, or
 * SYNACK_SOCKET when --socket is not given). */
int cmd_status(const struct global_options *g, int argc, char **argv);
int cmd_stats(const struct global_options *g, int argc, char **argv);
int cmd_rotate(const struct global_options *g, int argc, char **argv);
int cmd_flush(const struct global_options *g, int argc, char **argv);
int cmd_reload(const struct global_options *g, int argc, char **argv);
int cmd_stop(const struct global_options *g, int argc, char **argv);

/* Analysis of the database: cmd_report.c, cmd_compare.c, cmd_events.c. */
int cmd_report(const struct global_options *g, int argc, char **argv);
int cmd_compare(const struct global_options *g, int argc, char **argv);
int cmd_events(const struct global_options *g, int argc, char **argv);

#endif /* SYNACKCTL_COMMANDS_H */
