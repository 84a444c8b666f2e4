/*
 * control_test_client.c - sends request lines to a control socket and prints
 * the reply lines.
 *
 *   control_test_client [--timeout MS] SOCKET [LINE...]
 *
 * Without LINEs, lines are read from stdin.  Exit 0 when every request got
 * a reply, 2 when the socket cannot be reached (message names the path and
 * the error), 3 when the connection ends or times out before a reply.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int read_reply(int fd, int timeout_ms)
{
	char c;
	int got = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, timeout_ms) <= 0) {
			fprintf(stderr, "control_test_client: timed out waiting for a reply\n");
			return 3;
		}
		ssize_t n = read(fd, &c, 1);
		if (n <= 0) {
			if (got)
				putchar('\n');
			fprintf(stderr, "control_test_client: connection closed\n");
			return 3;
		}
		got = 1;
		putchar(c);
		if (c == '\n')
			return 0;
	}
}

static int request(int fd, const char *line, int timeout_ms)
{
	size_t len = strlen(line);
	char *b = malloc(len + 1);
	if (!b)
		return 3;
	memcpy(b, line, len);
	b[len] = '\n';
	ssize_t n = send(fd, b, len + 1, MSG_NOSIGNAL);
	free(b);
	if (n < 0 && errno != EPIPE && errno != ECONNRESET) {
		fprintf(stderr, "control_test_client: send: %s\n", strerror(errno));
		return 3;
	}
	/* Even when sending failed, the server may have said why. */
	return read_reply(fd, timeout_ms);
}

int main(int argc, char **argv)
{
	int timeout_ms = 5000, i = 1, rc = 0;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (i + 1 < argc && strcmp(argv[i], "--timeout") == 0) {
		timeout_ms = atoi(argv[i + 1]);
		i += 2;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: control_test_client [--timeout MS] SOCKET [LINE...]\n");
		return 64;
	}
	const char *path = argv[i++];
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "control_test_client: path too long\n");
		return 2;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "control_test_client: cannot connect to %s: %s\n", path,
		        strerror(errno));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (i < argc) {
		for (; i < argc && rc == 0; i++)
			rc = request(fd, argv[i], timeout_ms);
	} else {
		char line[65536];
		while (rc == 0 && fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\n")] = '\0';
			rc = request(fd, line, timeout_ms);
		}
	}
	close(fd);
	return rc;
}
