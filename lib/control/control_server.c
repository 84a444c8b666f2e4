/*
 * control_server.c - the daemon's side of the control socket (doc/control.md).
 *
 * Single-threaded and non-blocking: one listening socket and at most
 * max_clients connections, each with its own input line buffer (bounded by
 * max_request) and output buffer (bounded by max_reply).  Every call to
 * control_server_poll() does one poll() and handles what is ready, so it
 * never blocks longer than its timeout (handlers aside).  Clients that send
 * a line too slowly, stay idle too long or do not read their replies are
 * dropped after a bounded time.
 */
#include "control/control_server.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/make_dirs.h"

#define MAX_ARGS     64
#define ACCEPT_BURST 64
#define MAX_GROUPS   1024

struct client {
	int fd;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	bool closing;          /* close once the output is sent */
	int64_t last_activity; /* ms, monotonic */
	int64_t line_start;    /* ms when the current partial line began */
	int64_t write_since;   /* ms since output has been pending, 0 none */
};

struct control_server {
	struct control_server_options opt;
	char *path;
	char *group;
	int fd;
	dev_t dev;
	ino_t ino;
	bool have_gid;
	gid_t gid;
	uid_t self_uid;
	const struct control_command *commands;
	size_t n_commands;
	void *ctx;
	struct client *clients; /* max_clients slots, fd -1 when free */
	size_t n_clients;
	struct pollfd *pfd;
	size_t *pfd_client;
	struct json_out reply;
	int64_t accept_paused_until; /* out of file descriptors: back off */
};

void control_server_options_default(struct control_server_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->path = "/run/synack/synackd.sock";
	opt->group = "synack";
	opt->mode = 0660;
	opt->max_clients = 16;
	opt->max_request = 4096;
	opt->max_reply = 1 << 20;
	opt->request_timeout_ms = 5000;
	opt->idle_timeout_ms = 60000;
	opt->write_timeout_ms = 5000;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void server_warn(struct control_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void server_warn(struct control_server *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->opt.warn)
		s->opt.warn(s->ctx, msg);
	else
		fprintf(stderr, "control: warning: %s\n", msg);
}

/* mkdir -p for the parent of path, new directories 0755. */
static int make_parent(const char *path, char *err, size_t errlen)
{
	char failed[PATH_MAX];
	if (make_parent_dirs(path, 0755, failed, sizeof(failed)) != 0) {
		seterr(err, errlen, "cannot create directory %s: %s", failed, strerror(errno));
		return -1;
	}
	char *dir = strdup(path);
	if (!dir) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		struct stat st;
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			seterr(err, errlen, "%s is not a directory", dir);
			rc = -1;
		}
	}
	free(dir);
	return rc;
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/*
 * An existing file at path: a socket nobody listens on is stale and
 * removed; a live one (connect succeeds or its backlog is full) means
 * another daemon; anything else is left alone and is an error.
 */
static int clear_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;
	struct sockaddr_un sa;
	int fd, rc;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		seterr(err, errlen, "cannot stat %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		seterr(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	fill_addr(&sa, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		seterr(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		close(fd);
		seterr(err, errlen, "another synackd is running on %s", path);
		return -1;
	}
	int e = errno;
	close(fd);
	if (e != ECONNREFUSED && e != ENOENT) {
		seterr(err, errlen, "cannot check existing socket %s: %s", path, strerror(e));
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		seterr(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

struct control_server *control_server_open(const struct control_server_options *opt,
                                           const struct control_command *commands,
                                           size_t n_commands, void *ctx, char *err, size_t errlen)
{
	struct control_server_options def;
	struct control_server *s;
	struct sockaddr_un sa;
	struct stat st;

	control_server_options_default(&def);
	if (!opt)
		opt = &def;
	s = calloc(1, sizeof(*s));
	if (!s) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = -1;
	s->opt = *opt;
	if (!s->opt.path || !*s->opt.path)
		s->opt.path = def.path;
	if (!s->opt.group)
		s->opt.group = def.group;
	if (!s->opt.mode)
		s->opt.mode = def.mode;
	if (!s->opt.max_clients)
		s->opt.max_clients = def.max_clients;
	if (s->opt.max_request < 16)
		s->opt.max_request = s->opt.max_request ? 16 : def.max_request;
	if (!s->opt.max_reply)
		s->opt.max_reply = def.max_reply;
	if (s->opt.request_timeout_ms <= 0)
		s->opt.request_timeout_ms = def.request_timeout_ms;
	if (s->opt.idle_timeout_ms <= 0)
		s->opt.idle_timeout_ms = def.idle_timeout_ms;
	if (s->opt.write_timeout_ms <= 0)
		s->opt.write_timeout_ms = def.write_timeout_ms;
	s->commands = commands;
	s->n_commands = n_commands;
	s->ctx = ctx;
	s->self_uid = geteuid();
	json_out_init(&s->reply);
	s->path = strdup(s->opt.path);
	s->group = strdup(s->opt.group);
	s->clients = calloc(s->opt.max_clients, sizeof(*s->clients));
	s->pfd = calloc(s->opt.max_clients + 1, sizeof(*s->pfd));
	s->pfd_client = calloc(s->opt.max_clients + 1, sizeof(*s->pfd_client));
	if (!s->path || !s->group || !s->clients || !s->pfd || !s->pfd_client) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	s->opt.path = s->path;
	s->opt.group = s->group;
	for (size_t i = 0; i < s->opt.max_clients; i++)
		s->clients[i].fd = -1;

	if (fill_addr(&sa, s->path) != 0) {
		seterr(err, errlen, "socket path too long (max %zu bytes): %s",
		       sizeof(sa.sun_path) - 1, s->path);
		goto fail;
	}
	if (make_parent(s->path, err, errlen) != 0 || clear_stale(s->path, err, errlen) != 0)
		goto fail;

	if (*s->group) {
		struct group gr, *res = NULL;
		char buf[16384];
		if (getgrnam_r(s->group, &gr, buf, sizeof(buf), &res) == 0 && res) {
			s->have_gid = true;
			s->gid = res->gr_gid;
		}
	}
	if (!s->have_gid) {
		if (*s->group)
			server_warn(s,
			            "group '%s' does not exist; control socket %s is for root only "
			            "(mode 0600)",
			            s->group, s->path);
		s->opt.mode = 0600;
	}

	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		seterr(err, errlen, "socket: %s", strerror(errno));
		goto fail;
	}
	/* Created without any access; permissions opened below once owned. */
	mode_t old = umask(0777);
	int rc = bind(s->fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (rc != 0) {
		seterr(err, errlen, "cannot bind %s: %s", s->path, strerror(e));
		goto fail;
	}
	if (s->have_gid && chown(s->path, (uid_t)-1, s->gid) != 0) {
		server_warn(s, "cannot give %s to group '%s': %s; root only (mode 0600)", s->path,
		            s->group, strerror(errno));
		s->have_gid = false;
		s->opt.mode = 0600;
	}
	if (chmod(s->path, s->opt.mode & 0777) != 0) {
		seterr(err, errlen, "cannot chmod %s: %s", s->path, strerror(errno));
		unlink(s->path);
		goto fail;
	}
	if (stat(s->path, &st) == 0) {
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}
	if (listen(s->fd, 64) != 0) {
		seterr(err, errlen, "cannot listen on %s: %s", s->path, strerror(errno));
		unlink(s->path);
		goto fail;
	}
	return s;
fail:
	if (s->fd >= 0)
		close(s->fd);
	json_out_free(&s->reply);
	free(s->path);
	free(s->group);
	free(s->clients);
	free(s->pfd);
	free(s->pfd_client);
	free(s);
	return NULL;
}

size_t control_server_clients(const struct control_server *s)
{
	return s ? s->n_clients : 0;
}

const char *control_server_path(const struct control_server *s)
{
	return s ? s->path : NULL;
}

static void client_drop(struct control_server *s, struct client *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	s->n_clients--;
}

/* Queues bytes; a client whose backlog passes max_reply is dropped. */
static int client_queue(struct control_server *s, struct client *c, const char *data, size_t n)
{
	size_t pending = c->out_len - c->out_off;

	if (pending + n > s->opt.max_reply) {
		client_drop(s, c);
		return -1;
	}
	if (c->out_off > 0 && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (c->out_len + n > c->out_cap) {
		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off, pending);
			c->out_len = pending;
			c->out_off = 0;
		}
		if (c->out_len + n > c->out_cap) {
			size_t cap = c->out_cap ? c->out_cap : 1024;
			while (cap < c->out_len + n)
				cap *= 2;
			char *p = realloc(c->out, cap);
			if (!p) {
				client_drop(s, c);
				return -1;
			}
			c->out = p;
			c->out_cap = cap;
		}
	}
	memcpy(c->out + c->out_len, data, n);
	c->out_len += n;
	if (!c->write_since)
		c->write_since = now_ms();
	return 0;
}

/* Sends what the socket takes now; drops the client on errors. */
static void client_flush(struct control_server *s, struct client *c)
{
	while (c->fd >= 0 && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->out_off += (size_t)n;
			c->write_since = now_ms(); /* progress restarts the clock */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		client_drop(s, c);
		return;
	}
	if (c->fd >= 0) {
		c->out_off = c->out_len = 0;
		c->write_since = 0;
		if (c->closing)
			client_drop(s, c);
	}
}

/* A one-line {"ok":false,"error":msg} reply. */
static void error_line(struct json_out *j, const char *msg)
{
	json_out_reset(j);
	json_out_object_begin(j, NULL);
	json_out_bool(j, "ok", false);
	json_out_string(j, "error", msg);
	json_out_object_end(j);
}

static int reply_error(struct control_server *s, struct client *c, bool close_after,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int reply_error(struct control_server *s, struct client *c, bool close_after,
                       const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	error_line(&s->reply, msg);
	if (s->reply.failed || client_queue(s, c, s->reply.buf, s->reply.len) != 0 ||
	    client_queue(s, c, "\n", 1) != 0)
		return -1;
	if (close_after)
		c->closing = true;
	return 0;
}

static int builtin_help(struct control_server *s, struct json_out *out)
{
	bool have_help = false;

	json_out_array_begin(out, "commands");
	for (size_t i = 0; i < s->n_commands; i++) {
		json_out_object_begin(out, NULL);
		json_out_string(out, "name", s->commands[i].name);
		json_out_string(out, "help", s->commands[i].help ? s->commands[i].help : "");
		json_out_object_end(out);
		if (strcmp(s->commands[i].name, "help") == 0)
			have_help = true;
	}
	if (!have_help) {
		json_out_object_begin(out, NULL);
		json_out_string(out, "name", "help");
		json_out_string(out, "help", "list the commands");
		json_out_object_end(out);
	}
	json_out_array_end(out);
	return 0;
}

int control_parse_request(char *line, size_t len, char **argv, int max_args, bool *fatal, char *err,
                          size_t errlen)
{
	int argc = 0;

	*fatal = false;
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];
		if (ch == '\t')
			continue;
		if (ch < 0x20 || ch == 0x7f) {
			*fatal = true;
			seterr(err, errlen, "malformed request: control byte 0x%02x at offset %zu",
			       ch, i);
			return -1;
		}
	}
	for (char *p = line; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (argc == max_args) {
			seterr(err, errlen, "too many arguments (max %d)", max_args - 1);
			return -1;
		}
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	argv[argc] = NULL;
	if (argc == 0) {
		seterr(err, errlen, "empty request");
		return -1;
	}
	return argc;
}

/* Handles one complete line (without the newline). */
static void handle_line(struct control_server *s, struct client *c, char *line, size_t len)
{
	char *argv[MAX_ARGS + 1];
	char why[512];
	bool fatal;
	int argc = control_parse_request(line, len, argv, MAX_ARGS, &fatal, why, sizeof(why));

	if (argc < 0) {
		reply_error(s, c, fatal, "%s", why);
		return;
	}

	const struct control_command *cmd = NULL;
	for (size_t i = 0; i < s->n_commands; i++)
		if (strcmp(s->commands[i].name, argv[0]) == 0) {
			cmd = &s->commands[i];
			break;
		}
	if (!cmd && strcmp(argv[0], "help") != 0) {
		char shown[64];
		snprintf(shown, sizeof(shown), "%s", argv[0]);
		reply_error(s, c, false, "unknown command '%s' (try 'help')", shown);
		return;
	}

	struct control_request req = {.command = argv[0], .argc = argc - 1, .argv = argv + 1};
	struct json_out *j = &s->reply;
	int rc;

	json_out_reset(j);
	json_out_object_begin(j, NULL);
	json_out_bool(j, "ok", true);
	if (!cmd || !cmd->handler)
		rc = builtin_help(s, j);
	else
		rc = cmd->handler(s->ctx, &req, j);
	if (rc != 0) {
		char msg[sizeof(j->error)];
		memcpy(msg, j->error, sizeof(msg));
		error_line(j, msg[0] ? msg : "request failed");
	} else {
		while (j->depth > 0)
			json_out_object_end(j); /* a handler left something open */
	}
	if (j->failed) {
		reply_error(s, c, false, "reply could not be built (out of memory)");
		return;
	}
	if (client_queue(s, c, j->buf, j->len) == 0)
		client_queue(s, c, "\n", 1);
}

/* Reads what is there and answers complete lines; returns requests done. */
static int client_read(struct control_server *s, struct client *c)
{
	int done = 0;
	int64_t t = now_ms();

	for (int rounds = 0; c->fd >= 0 && !c->closing && rounds < 16; rounds++) {
		size_t room = s->opt.max_request - c->in_len;
		ssize_t n;

		if (room == 0) {
			reply_error(s, c, true, "request too long (max %zu bytes)",
			            s->opt.max_request - 1);
			break;
		}
		n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* EOF or error: answer nothing more, but let queued
			 * replies go out (half-closed clients still read). */
			if (n == 0 && c->out_len > c->out_off) {
				c->closing = true;
				c->in_len = 0;
			} else {
				client_drop(s, c);
			}
			break;
		}
		if (c->in_len == 0)
			c->line_start = t;
		c->in_len += (size_t)n;
		c->last_activity = t;

		/* Complete lines. */
		size_t start = 0;
		for (;;) {
			char *nl = memchr(c->in + start, '\n', c->in_len - start);
			if (!nl)
				break;
			size_t len = (size_t)(nl - (c->in + start));
			if (memchr(c->in + start, '\0', len)) {
				reply_error(s, c, true, "malformed request: NUL byte");
				break;
			}
			*nl = '\0';
			handle_line(s, c, c->in + start, len);
			done++;
			start += len + 1;
			if (c->fd < 0 || c->closing)
				break;
		}
		if (c->fd < 0)
			break;
		if (c->closing) {
			c->in_len = 0;
			break;
		}
		if (start > 0) {
			memmove(c->in, c->in + start, c->in_len - start);
			c->in_len -= start;
			c->line_start = t;
		}
	}
	return done;
}

static void accept_clients(struct control_server *s)
{
	for (int i = 0; i < ACCEPT_BURST; i++) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			/* Out of file descriptors: the pending connection stays
			 * in the backlog and poll() would report it at once
			 * forever; stop listening for a moment instead. */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				s->accept_paused_until = now_ms() + 100;
			return; /* EAGAIN: all taken */
		}
		if (s->n_clients >= s->opt.max_clients) {
			static const char busy[] =
			    "{\"ok\":false,\"error\":\"too many clients\"}\n";
			(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		struct client *c = NULL;
		for (size_t k = 0; k < s->opt.max_clients; k++)
			if (s->clients[k].fd < 0) {
				c = &s->clients[k];
				break;
			}
		c->in = malloc(s->opt.max_request);
		if (!c->in) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->last_activity = now_ms();
		s->n_clients++;

		struct ucred cred;
		socklen_t len = sizeof(cred);
		bool allowed = false;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
			allowed =
			    cred.uid == 0 || cred.uid == s->self_uid ||
			    (s->have_gid && (cred.gid == s->gid ||
			                     control_peer_in_group(cred.pid, cred.uid, s->gid)));
		if (!allowed)
			reply_error(s, c, true, "permission denied");
	}
}

/*
 * Whether the process pid (of user uid) has gid among its groups:
 * /proc/PID/status "Groups:" (checked to belong to uid), else the user's
 * groups from the group database.
 */
int control_peer_in_group(pid_t pid, uid_t uid, gid_t gid)
{
	char path[64], line[4096];
	FILE *f;
	int found = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	f = pid > 0 ? fopen(path, "re") : NULL;
	if (f) {
		bool uid_ok = false;
		while (fgets(line, sizeof(line), f)) {
			if (strncmp(line, "Uid:", 4) == 0) {
				unsigned long r;
				uid_ok = sscanf(line + 4, "%lu", &r) == 1 && (uid_t)r == uid;
			} else if (strncmp(line, "Groups:", 7) == 0 && uid_ok) {
				char *p = line + 7, *end;
				found = 0;
				for (;;) {
					unsigned long g = strtoul(p, &end, 10);
					if (end == p)
						break;
					if ((gid_t)g == gid)
						found = 1;
					p = end;
				}
			}
		}
		fclose(f);
		if (found >= 0)
			return found;
	}
	/* Fallback: the group database. */
	struct passwd pw, *res = NULL;
	char buf[16384];
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return 0;
	gid_t groups[MAX_GROUPS];
	int ng = MAX_GROUPS;
	if (getgrouplist(res->pw_name, res->pw_gid, groups, &ng) < 0)
		return 0;
	for (int i = 0; i < ng; i++)
		if (groups[i] == gid)
			return 1;
	return 0;
}

/* Drops clients past their deadlines; returns ms to the next deadline. */
static int expire(struct control_server *s, int64_t t)
{
	int64_t next = INT64_MAX;

	for (size_t i = 0; i < s->opt.max_clients; i++) {
		struct client *c = &s->clients[i];
		int64_t d;
		if (c->fd < 0)
			continue;
		if (c->out_len > c->out_off) {
			d = c->write_since + s->opt.write_timeout_ms;
		} else if (c->in_len > 0) {
			d = c->line_start + s->opt.request_timeout_ms;
		} else {
			d = c->last_activity + s->opt.idle_timeout_ms;
		}
		if (t >= d) {
			client_drop(s, c);
			continue;
		}
		if (d < next)
			next = d;
	}
	if (next == INT64_MAX)
		return -1;
	return (int)(next - t);
}

int control_server_poll(struct control_server *s, int timeout_ms)
{
	int64_t t0 = now_ms();
	int wait, until, rc, done = 0;
	size_t n = 0;

	if (!s)
		return -1;
	until = expire(s, t0);
	if (t0 < s->accept_paused_until) {
		int p = (int)(s->accept_paused_until - t0);
		if (until < 0 || p < until)
			until = p;
	}
	wait = timeout_ms < 0 ? -1 : timeout_ms;
	if (until >= 0 && (wait < 0 || until < wait))
		wait = until;

	s->pfd[n].fd = t0 < s->accept_paused_until ? -1 : s->fd; /* -1: ignored */
	s->pfd[n].events = POLLIN;
	s->pfd[n].revents = 0;
	n++;
	for (size_t i = 0; i < s->opt.max_clients; i++) {
		struct client *c = &s->clients[i];
		if (c->fd < 0)
			continue;
		s->pfd[n].fd = c->fd;
		s->pfd[n].events =
		    (short)((c->closing ? 0 : POLLIN) | (c->out_len > c->out_off ? POLLOUT : 0));
		s->pfd[n].revents = 0;
		s->pfd_client[n] = i;
		n++;
	}
	rc = poll(s->pfd, (nfds_t)n, wait);
	if (rc < 0)
		return errno == EINTR ? 0 : -1;

	for (size_t k = 1; k < n; k++) {
		struct client *c = &s->clients[s->pfd_client[k]];
		short re = s->pfd[k].revents;
		if (!re || c->fd != s->pfd[k].fd)
			continue;
		if (re & (POLLIN | POLLHUP | POLLERR)) {
			if (!c->closing)
				done += client_read(s, c);
			else if (re & (POLLHUP | POLLERR))
				client_drop(s, c);
		}
		if (c->fd >= 0 && c->out_len > c->out_off)
			client_flush(s, c);
		else if (c->fd >= 0 && c->closing)
			client_drop(s, c);
	}
	if (s->pfd[0].revents & POLLIN)
		accept_clients(s);
	/* New clients refused for permissions: their error goes out now. */
	for (size_t i = 0; i < s->opt.max_clients; i++) {
		struct client *c = &s->clients[i];
		if (c->fd >= 0 && c->closing && c->out_len > c->out_off)
			client_flush(s, c);
	}
	expire(s, now_ms());
	return done;
}

void control_server_close(struct control_server *s)
{
	struct stat st;

	if (!s)
		return;
	for (size_t i = 0; i < s->opt.max_clients; i++)
		client_drop(s, &s->clients[i]);
	if (s->fd >= 0)
		close(s->fd);
	/* Remove the socket only if it is still ours. */
	if (lstat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	json_out_free(&s->reply);
	free(s->path);
	free(s->group);
	free(s->clients);
	free(s->pfd);
	free(s->pfd_client);
	free(s);
}
