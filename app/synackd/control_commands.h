/*
 * control_commands.h - synackd's control socket: the commands of
 * doc/control.md mapped onto synackd.h.  Called from the main lcore only.
 */
#ifndef SYNACKD_CONTROL_COMMANDS_H
#define SYNACKD_CONTROL_COMMANDS_H

#include <stddef.h>

/*
 * Opens the socket.  socket_path NULL or "" means the default:
 * $RUNTIME_DIRECTORY/synackd.sock under systemd (RuntimeDirectory=synack),
 * else /run/synack/synackd.sock.  0, or -1 with err (e.g. "another synackd
 * is running on PATH").
 */
int control_commands_open(const char *socket_path, char *err, size_t errlen);

/* Serves clients for at most timeout_ms (0: only what is ready now). */
void control_commands_poll(int timeout_ms);

/* Closes all connections and removes the socket. */
void control_commands_close(void);

/* The socket path chosen by control_commands_open (NULL when closed). */
const char *control_commands_path(void);

#endif /* SYNACKD_CONTROL_COMMANDS_H */
