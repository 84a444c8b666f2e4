/*
 * control_server.h - the daemon's side of the control socket.
 *
 * A unix stream socket (default /run/synack/synackd.sock, mode 0660, group
 * synack).  One request per line, one JSON object per reply line
 * (doc/control.md).  Non-blocking: the owner calls control_server_poll()
 * from its own loop (synackd's main lcore), which never blocks longer than
 * the timeout it is given, so a slow or hostile client cannot stall anyone.
 * Peer credentials (SO_PEERCRED) are checked against root and the group.
 */
#ifndef SYNACK_CONTROL_SERVER_H
#define SYNACK_CONTROL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "control/json_out.h"

struct control_server;

/* A parsed request: the command word and its arguments ("key=value" or
 * bare words), as sent on one line. */
struct control_request {
	const char *command;
	int argc;
	char **argv;
};

/*
 * A handler writes the members of the reply object into out (the server
 * adds "ok":true or "ok":false and "error" itself) and returns 0, or
 * returns -1 after json_out_error(out, "message") to fail the request.
 */
typedef int (*control_handler)(void *ctx, const struct control_request *req, struct json_out *out);

/* A NULL handler named "help" gets the built-in help (the list of
 * commands with their help texts); "help" is built in anyway when absent. */
struct control_command {
	const char *name;
	control_handler handler;
	const char *help;
};

struct control_server_options {
	const char *path;       /* socket path */
	const char *group;      /* group allowed besides root; default "synack" */
	unsigned mode;          /* default 0660 */
	size_t max_clients;     /* default 16 */
	size_t max_request;     /* bytes per line; default 4096 */
	size_t max_reply;       /* bytes of unsent replies per client; default 1 MiB */
	int request_timeout_ms; /* a started line must end within; default 5000 */
	int idle_timeout_ms;    /* a connection with nothing to do; default 60000 */
	int write_timeout_ms;   /* a pending reply must drain within; default 5000 */
	/* Warnings (group missing, ...); NULL: stderr.  ctx is the server's. */
	void (*warn)(void *ctx, const char *msg);
};

void control_server_options_default(struct control_server_options *opt);

/*
 * Splits one request line in place into words at spaces and tabs (a
 * trailing '\r' is dropped).  line[len] must be '\0'; argv needs room for
 * max_args + 1 pointers and ends with NULL.  Returns the number of words
 * (at least one, argv[0] the command), or -1 with the reason in err; *fatal
 * then tells whether the line was malformed (a control byte) so that the
 * connection must be closed.  Pure: no I/O, no allocation.
 */
int control_parse_request(char *line, size_t len, char **argv, int max_args, bool *fatal, char *err,
                          size_t errlen);

struct control_server *control_server_open(const struct control_server_options *opt,
                                           const struct control_command *commands,
                                           size_t n_commands, void *ctx, char *err, size_t errlen);

/* Accept, read, dispatch and reply; waits at most timeout_ms.  Returns the
 * number of requests answered, or -1 if poll() itself failed. */
int control_server_poll(struct control_server *s, int timeout_ms);

/* Connected clients (tests, status). */
size_t control_server_clients(const struct control_server *s);

/* Whether process pid, run by uid, has gid among its groups (1/0); reads
 * /proc/PID/status, falls back to the group database.  Used for the peer
 * check, exported for tests. */
int control_peer_in_group(pid_t pid, uid_t uid, gid_t gid);

/* Socket path in use. */
const char *control_server_path(const struct control_server *s);

void control_server_close(struct control_server *s); /* unlinks the socket */

#endif /* SYNACK_CONTROL_SERVER_H */
