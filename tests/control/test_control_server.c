/*
 * test_control_server.c - the control socket server, in-process.
 *
 * The server runs in a thread polling in a loop; the test is the client.
 * Covers: replies and their format, every error (unknown command, empty,
 * too long, control bytes, NUL, handler failure, too many arguments),
 * pipelining, max_clients, slow/idle/non-reading clients being dropped,
 * a bounded flood of connections and garbage, stale and live sockets,
 * parent directory creation, socket mode and group, unlink on close.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "control/control_server.h"

static char tmpdir[64];
static char sock_path[100];

static struct control_server *server;
static atomic_int stop_server;
static pthread_t server_thread;
static int server_clients_seen;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	json_out_u64(out, "partial", 1);
	json_out_error(out, "failed on purpose");
	return -1;
}

static int h_big(void *ctx, const struct control_request *req, struct json_out *out)
{
	static char s[200001];
	memset(s, 'x', sizeof(s) - 1);
	json_out_string(out, "data", s);
	return 0;
}

static int h_clients(void *ctx, const struct control_request *req, struct json_out *out)
{
	json_out_u64(out, "clients", control_server_clients(server));
	return 0;
}

static int h_open(void *ctx, const struct control_request *req, struct json_out *out)
{
	json_out_object_begin(out, "left_open"); /* the server closes it */
	json_out_u64(out, "x", 1);
	return 0;
}

static const struct control_command commands[] = {
    {"echo", h_echo, "echo"},       {"fail", h_fail, "fail"},
    {"big", h_big, "200 kB reply"}, {"clients", h_clients, "clients"},
    {"open", h_open, "unbalanced"},
};

static int warnings;
static char last_warning[512];

static void on_warn(void *ctx, const char *msg)
{
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

static void *server_main(void *arg)
{
	while (!atomic_load(&stop_server)) {
		if (control_server_poll(server, 20) < 0)
			break;
		int n = (int)control_server_clients(server);
		if (n > server_clients_seen)
			server_clients_seen = n;
	}
	return NULL;
}

static void base_options(struct control_server_options *opt)
{
	control_server_options_default(opt);
	opt->path = sock_path;
	opt->group = "";
	opt->mode = 0600;
	opt->max_clients = 8;
	opt->max_request = 256;
	opt->max_reply = 300000;
	opt->request_timeout_ms = 400;
	opt->idle_timeout_ms = 1500;
	opt->write_timeout_ms = 400;
	opt->warn = on_warn;
}

static int start(const struct control_server_options *opt)
{
	char err[512] = "";

	server = control_server_open(opt, commands, sizeof(commands) / sizeof(commands[0]), NULL,
	                             err, sizeof(err));
	if (!server) {
		fprintf(stderr, "open: %s\n", err);
		return -1;
	}
	atomic_store(&stop_server, 0);
	pthread_create(&server_thread, NULL, server_main, NULL);
	return 0;
}

static void stop(void)
{
	atomic_store(&stop_server, 1);
	pthread_join(server_thread, NULL);
	control_server_close(server);
	server = NULL;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_str(int fd, const char *s, size_t n)
{
	(void)!send(fd, s, n, MSG_NOSIGNAL);
}

/* One reply line into buf (without the newline); -1 on EOF/timeout.
 * Peeks so that bytes after the newline stay for the next call. */
static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t len = 0;
	long long end = now_ms() + timeout_ms;
	char tmp[65536];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(end - now_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return -1;
		ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_PEEK);
		if (n <= 0)
			return -1;
		char *nl = memchr(tmp, '\n', (size_t)n);
		size_t take = nl ? (size_t)(nl - tmp) + 1 : (size_t)n;
		if (recv(fd, tmp, take, 0) != (ssize_t)take)
			return -1;
		size_t data = nl ? take - 1 : take;
		size_t copy = len + data < cap ? data : (cap - 1 > len ? cap - 1 - len : 0);
		memcpy(buf + len, tmp, copy);
		len += copy;
		if (nl) {
			buf[len] = '\0';
			return (int)len;
		}
	}
}

/* Whether the server closed the connection within timeout_ms. */
static int closed_within(int fd, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	char b[4096];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left = (int)(end - now_ms());
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return 0;
		ssize_t n = read(fd, b, sizeof(b));
		if (n <= 0)
			return 1;
	}
}

static int ask(int fd, const char *line, char *reply, size_t cap)
{
	send_str(fd, line, strlen(line));
	return read_line(fd, reply, cap, 3000);
}

static void check_reply(int fd, const char *line, const char *want)
{
	char reply[1024];
	int n = ask(fd, line, reply, sizeof(reply));
	CHECK(n >= 0);
	if (n < 0 || strcmp(reply, want) != 0)
		fprintf(stderr, "  request %s  got  %s\n  want %s\n", line,
		        n < 0 ? "(none)" : reply, want);
	else
		CHECK(1);
}

static void test_requests(void)
{
	struct control_server_options opt;
	char reply[300000];

	base_options(&opt);
	CHECK(start(&opt) == 0);
	int fd = connect_to(sock_path);
	CHECK(fd >= 0);

	check_reply(fd, "echo a b  c\n", "{\"ok\":true,\"args\":[\"a\",\"b\",\"c\"]}");
	check_reply(fd, "echo\ttab\r\n", "{\"ok\":true,\"args\":[\"tab\"]}");
	check_reply(fd, "echo \"q\\\n", "{\"ok\":true,\"args\":[\"\\\"q\\\\\"]}");
	check_reply(fd, "echo caf\xc3\xa9\n", "{\"ok\":true,\"args\":[\"caf\xc3\xa9\"]}");
	check_reply(fd, "fail\n", "{\"ok\":false,\"error\":\"failed on purpose\"}");
	check_reply(fd, "nosuch x\n",
	            "{\"ok\":false,\"error\":\"unknown command 'nosuch' (try 'help')\"}");
	check_reply(fd, "\n", "{\"ok\":false,\"error\":\"empty request\"}");
	check_reply(fd, "   \n", "{\"ok\":false,\"error\":\"empty request\"}");
	check_reply(fd, "open\n", "{\"ok\":true,\"left_open\":{\"x\":1}}");
	check_reply(
	    fd, "help\n",
	    "{\"ok\":true,\"commands\":[{\"name\":\"echo\",\"help\":\"echo\"},"
	    "{\"name\":\"fail\",\"help\":\"fail\"},{\"name\":\"big\",\"help\":\"200 kB reply\"},"
	    "{\"name\":\"clients\",\"help\":\"clients\"},{\"name\":\"open\",\"help\":"
	    "\"unbalanced\"},{\"name\":\"help\",\"help\":\"list the commands\"}]}");
	/* too many arguments: the connection stays */
	char many[256] = "echo";
	for (int i = 0; i < 70; i++)
		strcat(many, " a");
	strcat(many, "\n");
	check_reply(fd, many, "{\"ok\":false,\"error\":\"too many arguments (max 63)\"}");

	/* pipelining: three requests in one write, three replies in order */
	send_str(fd, "echo 1\necho 2\nfail\n", 19);
	CHECK(read_line(fd, reply, sizeof(reply), 3000) >= 0 &&
	      !strcmp(reply, "{\"ok\":true,\"args\":[\"1\"]}"));
	CHECK(read_line(fd, reply, sizeof(reply), 3000) >= 0 &&
	      !strcmp(reply, "{\"ok\":true,\"args\":[\"2\"]}"));
	CHECK(read_line(fd, reply, sizeof(reply), 3000) >= 0 &&
	      !strcmp(reply, "{\"ok\":false,\"error\":\"failed on purpose\"}"));
	/* a request split over several writes */
	send_str(fd, "ec", 2);
	usleep(50000);
	send_str(fd, "ho sp", 5);
	usleep(50000);
	send_str(fd, "lit\n", 4);
	CHECK(read_line(fd, reply, sizeof(reply), 3000) >= 0 &&
	      !strcmp(reply, "{\"ok\":true,\"args\":[\"split\"]}"));
	/* a big reply arrives whole */
	int n = ask(fd, "big\n", reply, sizeof(reply));
	CHECK_EQ(n, 200000 + strlen("{\"ok\":true,\"data\":\"\"}"));
	close(fd);

	/* too long: error, then closed */
	fd = connect_to(sock_path);
	char longline[400];
	memset(longline, 'a', sizeof(longline));
	send_str(fd, longline, sizeof(longline));
	CHECK(read_line(fd, reply, sizeof(reply), 3000) >= 0 &&
	      !strcmp(reply, "{\"ok\":false,\"error\":\"request too long (max 255 bytes)\"}"));
	CHECK(closed_within(fd, 2000));
	close(fd);

	/* exactly max_request - 1 bytes plus newline is fine */
	fd = connect_to(sock_path);
	char fits[256];
	memset(fits, 'b', sizeof(fits));
	memcpy(fits, "echo ", 5);
	fits[255] = '\n';
	send_str(fd, fits, sizeof(fits));
	CHECK(read_line(fd, reply, sizeof(reply), 3000) > 250 &&
	      !strncmp(reply, "{\"ok\":true,\"args\":[\"bbb", 23));
	close(fd);

	/* control bytes and NUL: error, then closed */
	fd = connect_to(sock_path);
	send_str(fd, "echo \x01\x02\n", 8);
	CHECK(read_line(fd, reply, sizeof(reply), 3000) >= 0 &&
	      !strcmp(reply, "{\"ok\":false,\"error\":\"malformed request: control byte 0x01 at "
	                     "offset 5\"}"));
	CHECK(closed_within(fd, 2000));
	close(fd);
	fd = connect_to(sock_path);
	send_str(fd, "echo a\0b\n", 9);
	CHECK(read_line(fd, reply, sizeof(reply), 3000) >= 0 &&
	      !strcmp(reply, "{\"ok\":false,\"error\":\"malformed request: NUL byte\"}"));
	CHECK(closed_within(fd, 2000));
	close(fd);

	/* a client that closes its side right after sending still gets a reply */
	fd = connect_to(sock_path);
	send_str(fd, "echo bye\n", 9);
	shutdown(fd, SHUT_WR);
	CHECK(read_line(fd, reply, sizeof(reply), 3000) >= 0 &&
	      !strcmp(reply, "{\"ok\":true,\"args\":[\"bye\"]}"));
	CHECK(closed_within(fd, 2000));
	close(fd);
	stop();
}

static void test_limits(void)
{
	struct control_server_options opt;
	char reply[1024];
	int fds[8];

	base_options(&opt);
	opt.max_clients = 4;
	CHECK(start(&opt) == 0);

	for (int i = 0; i < 4; i++) {
		fds[i] = connect_to(sock_path);
		CHECK(fds[i] >= 0);
		check_reply(fds[i], "echo x\n", "{\"ok\":true,\"args\":[\"x\"]}");
	}
	/* the fifth gets an error and is closed */
	int extra = connect_to(sock_path);
	CHECK(extra >= 0);
	CHECK(read_line(extra, reply, sizeof(reply), 3000) >= 0 &&
	      !strcmp(reply, "{\"ok\":false,\"error\":\"too many clients\"}"));
	CHECK(closed_within(extra, 2000));
	close(extra);
	/* the others still work; freeing a slot lets a new one in */
	check_reply(fds[0], "clients\n", "{\"ok\":true,\"clients\":4}");
	close(fds[3]);
	usleep(100000);
	fds[3] = connect_to(sock_path);
	check_reply(fds[3], "echo again\n", "{\"ok\":true,\"args\":[\"again\"]}");
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	usleep(100000);

	/* slow client: half a line, then nothing: dropped after request_timeout */
	int slow = connect_to(sock_path);
	send_str(slow, "ech", 3);
	long long t0 = now_ms();
	CHECK(closed_within(slow, 3000));
	long long took = now_ms() - t0;
	CHECK(took >= 300 && took < 2000);
	close(slow);

	/* idle client: dropped after idle_timeout */
	int idle = connect_to(sock_path);
	check_reply(idle, "echo x\n", "{\"ok\":true,\"args\":[\"x\"]}");
	t0 = now_ms();
	CHECK(closed_within(idle, 5000));
	took = now_ms() - t0;
	CHECK(took >= 1200 && took < 4000);
	close(idle);

	/* a client that never reads: dropped once its replies pile up or stall;
	 * meanwhile another client is served promptly */
	int deaf = connect_to(sock_path);
	int rcvbuf = 4096;
	setsockopt(deaf, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	fcntl(deaf, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 20; i++)
		send_str(deaf, "big\n", 4);
	int other = connect_to(sock_path);
	t0 = now_ms();
	check_reply(other, "echo prompt\n", "{\"ok\":true,\"args\":[\"prompt\"]}");
	CHECK(now_ms() - t0 < 500);
	fcntl(deaf, F_SETFL, 0);
	usleep(1000000); /* the write timeout passes */
	check_reply(other, "clients\n", "{\"ok\":true,\"clients\":1}");
	close(deaf);
	close(other);
	stop();
}

static void test_flood(void)
{
	struct control_server_options opt;
	char reply[1024];
	long long end;
	int opened = 0;

	base_options(&opt);
	opt.max_clients = 16;
	CHECK(start(&opt) == 0);
	srand(1);
	end = now_ms() + 3000;
	/* connections that send garbage, binary, half lines, or nothing */
	for (int i = 0; i < 600 && now_ms() < end; i++) {
		int fd = connect_to(sock_path);
		if (fd < 0)
			continue;
		opened++;
		char junk[512];
		size_t n = (size_t)(rand() % (int)sizeof(junk));
		for (size_t k = 0; k < n; k++)
			junk[k] = (char)(rand() % 256);
		switch (i % 4) {
		case 0:
			send_str(fd, junk, n);
			break;
		case 1:
			send_str(fd, "echo ok\nnosuch\n\n", 16);
			break;
		case 2:
			send_str(fd, "echo half", 9);
			break;
		default:
			break;
		}
		close(fd);
	}
	CHECK(opened > 100);
	/* many at once past max_clients */
	int many[64];
	for (int i = 0; i < 64; i++)
		many[i] = connect_to(sock_path);
	for (int i = 0; i < 64; i++)
		if (many[i] >= 0)
			close(many[i]);
	/* still answering, and back to one client */
	usleep(200000);
	int fd = connect_to(sock_path);
	CHECK(fd >= 0);
	check_reply(fd, "echo alive\n", "{\"ok\":true,\"args\":[\"alive\"]}");
	int ok = 0;
	for (int i = 0; i < 50 && !ok; i++) {
		if (ask(fd, "clients\n", reply, sizeof(reply)) >= 0 &&
		    !strcmp(reply, "{\"ok\":true,\"clients\":1}"))
			ok = 1;
		else
			usleep(50000);
	}
	CHECK(ok);
	CHECK(server_clients_seen <= 16);
	close(fd);
	stop();
}

static void test_socket_file(void)
{
	struct control_server_options opt;
	struct stat st;
	char err[512];
	struct control_server *s2;

	/* stale socket from a dead process is replaced */
	{
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
		unlink(sock_path);
		CHECK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
		close(fd);
		CHECK(lstat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode));
	}
	base_options(&opt);
	CHECK(start(&opt) == 0);
	int fd = connect_to(sock_path);
	check_reply(fd, "echo fresh\n", "{\"ok\":true,\"args\":[\"fresh\"]}");
	close(fd);

	/* a live one is an error */
	s2 = control_server_open(&opt, commands, 1, NULL, err, sizeof(err));
	CHECK(s2 == NULL);
	char want[700];
	snprintf(want, sizeof(want), "another synackd is running on %s", sock_path);
	CHECK(!strcmp(err, want));
	/* and the running server is undisturbed */
	fd = connect_to(sock_path);
	check_reply(fd, "echo still\n", "{\"ok\":true,\"args\":[\"still\"]}");
	close(fd);
	stop();
	/* close removed the socket */
	CHECK(lstat(sock_path, &st) != 0 && errno == ENOENT);

	/* a regular file in the way is not touched */
	FILE *f = fopen(sock_path, "w");
	fclose(f);
	s2 = control_server_open(&opt, commands, 1, NULL, err, sizeof(err));
	CHECK(s2 == NULL);
	snprintf(want, sizeof(want), "%s exists and is not a socket", sock_path);
	CHECK(!strcmp(err, want));
	CHECK(lstat(sock_path, &st) == 0 && S_ISREG(st.st_mode));
	unlink(sock_path);

	/* too long a path */
	char longpath[200];
	memset(longpath, 'p', sizeof(longpath));
	longpath[0] = '/';
	longpath[199] = '\0';
	opt.path = longpath;
	s2 = control_server_open(&opt, commands, 1, NULL, err, sizeof(err));
	CHECK(s2 == NULL && strstr(err, "socket path too long") != NULL);

	/* missing parent directories are created 0755 */
	char nested[512];
	snprintf(nested, sizeof(nested), "%s/run/synack/x.sock", tmpdir);
	opt.path = nested;
	s2 = control_server_open(&opt, commands, 1, NULL, err, sizeof(err));
	CHECK(s2 != NULL);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/run/synack", tmpdir);
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755);
	control_server_close(s2);
	CHECK(lstat(nested, &st) != 0);

	/* a parent that is a file */
	snprintf(nested, sizeof(nested), "%s/file/x.sock", tmpdir);
	snprintf(dir, sizeof(dir), "%s/file", tmpdir);
	f = fopen(dir, "w");
	fclose(f);
	s2 = control_server_open(&opt, commands, 1, NULL, err, sizeof(err));
	CHECK(s2 == NULL && strstr(err, "not a directory") != NULL);

	/* group: a missing group means root-only 0600 and a warning */
	opt.path = sock_path;
	opt.group = "no-such-group-synack-test";
	opt.mode = 0660;
	warnings = 0;
	s2 = control_server_open(&opt, commands, 1, NULL, err, sizeof(err));
	CHECK(s2 != NULL);
	CHECK(warnings == 1 && strstr(last_warning, "does not exist") != NULL);
	CHECK(stat(sock_path, &st) == 0 && (st.st_mode & 0777) == 0600);
	control_server_close(s2);

	/* an existing group (our own): mode as asked, group owner set */
	struct group *gr = getgrgid(getegid());
	CHECK(gr != NULL);
	if (gr) {
		char gname[256];
		snprintf(gname, sizeof(gname), "%s", gr->gr_name);
		opt.group = gname;
		warnings = 0;
		s2 = control_server_open(&opt, commands, 1, NULL, err, sizeof(err));
		CHECK(s2 != NULL);
		CHECK(warnings == 0);
		CHECK(stat(sock_path, &st) == 0 && (st.st_mode & 0777) == 0660 &&
		      st.st_gid == getegid());
		control_server_close(s2);
	}

	/* close does not remove a socket that is no longer ours */
	opt.group = "";
	opt.mode = 0600;
	s2 = control_server_open(&opt, commands, 1, NULL, err, sizeof(err));
	CHECK(s2 != NULL);
	unlink(sock_path);
	f = fopen(sock_path, "w");
	fclose(f);
	control_server_close(s2);
	CHECK(lstat(sock_path, &st) == 0 && S_ISREG(st.st_mode));
	unlink(sock_path);
}

/* CPU seconds used so far by process pid (utime + stime). */
static double cpu_of(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* after the command name */
	unsigned long ut = 0, st = 0;
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * Out of file descriptors: the server neither spins on the connection it
 * cannot accept nor dies, and serves again once descriptors are free.  The
 * server runs in a child with a low RLIMIT_NOFILE; the clients are here.
 */
static void test_out_of_fds(void)
{
	int go[2];
	CHECK(pipe(go) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		struct control_server_options opt;
		char c;
		close(go[1]);
		base_options(&opt);
		opt.max_clients = 64;
		opt.idle_timeout_ms = 10000;
		if (start(&opt) != 0)
			_exit(1);
		int probe = dup(0);
		close(probe);
		struct rlimit rl;
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = (rlim_t)probe + 4;
		setrlimit(RLIMIT_NOFILE, &rl);
		(void)!read(go[0], &c, 1); /* until the parent is done */
		stop();
		_exit(0);
	}
	close(go[0]);
	usleep(200000);
	int fds[32], n = 0;
	for (int i = 0; i < 32; i++) {
		fds[n] = connect_to(sock_path);
		if (fds[n] >= 0)
			n++;
	}
	CHECK(n > 8);
	usleep(200000);
	double c0 = cpu_of(pid);
	usleep(800000);
	double used = cpu_of(pid) - c0;
	CHECK(c0 >= 0 && used < 0.4);
	fprintf(stderr, "  out of fds: %d clients, server CPU %.2f s in 0.8 s\n", n, used);
	if (used >= 0.4)
		fprintf(stderr, "  server used %.2f s CPU in 0.8 s while out of fds\n", used);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	usleep(300000);
	int fd = connect_to(sock_path);
	check_reply(fd, "echo back\n", "{\"ok\":true,\"args\":[\"back\"]}");
	if (fd >= 0)
		close(fd);
	close(go[1]);
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_peer_groups(void)
{
	gid_t groups[256];
	int n = getgroups(256, groups);

	for (int i = 0; i < n; i++)
		CHECK(control_peer_in_group(getpid(), getuid(), groups[i]) == 1);
	CHECK(control_peer_in_group(getpid(), getuid(), 64999) == 0);
	/* wrong uid for the pid: falls back to the group database */
	CHECK(control_peer_in_group(getpid(), 64998, 64999) == 0);
	/* no such process */
	CHECK(control_peer_in_group(0, 64998, 64999) == 0);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_control_XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s/c.sock", tmpdir);
	test_requests();
	test_limits();
	test_flood();
	test_socket_file();
	test_out_of_fds();
	test_peer_groups();
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	(void)!system(cmd);
	return check_done("test_control_server");
}
