/*
 * privileges.c - drops every capability of synackd, in every thread, once
 * start-up is over: EAL initialised, ports started, control socket bound.
 *
 * Nothing the running daemon does needs a capability (doc/security.md):
 * workers read mapped memory, the writer writes root's files as their
 * owner, a reload reads root's configuration.  Capabilities belong to each
 * thread, though, and capset() changes only the caller's, while EAL (lcores,
 * interrupts, telemetry) and the writer have started threads of their own
 * by now.  So each thread listed in /proc/self/task is sent a signal whose
 * handler drops its own capabilities, one thread at a time, and
 * /proc/self/task is read again until every thread shows none.
 *
 * The process keeps uid 0, so the files it owns stay writable.  It sets
 * no_new_privs, which keeps a program it starts (the alert command) from
 * regaining capabilities: for uid 0, execve would otherwise grant the
 * bounding set.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "privileges.h"

#define ANSWER_TIMEOUT_MS 2000 /* for one thread to run the handler */
#define MAX_PASSES        4    /* rereads of /proc/self/task */

static atomic_uint handled; /* handlers run so far */
static atomic_uint failed;  /* of which failed */

/* The calling thread drops everything.  Only system calls, so it may run
 * in a signal handler.  The bounding set needs CAP_SETPCAP, which a thread
 * started without privileges lacks: that EPERM is not a failure, as such
 * a thread has nothing to drop. */
static int drop_own(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0, 0, 0}};

	for (unsigned long cap = 0; cap < 64; cap++) /* EINVAL past the kernel's last */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EPERM && errno != EINVAL)
			return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return syscall(SYS_capset, &hdr, data) == 0 ? 0 : -1;
}

static void on_drop_signal(int sig)
{
	int saved = errno;
	(void)sig;
	if (drop_own() != 0)
		atomic_fetch_add(&failed, 1);
	atomic_fetch_add(&handled, 1);
	errno = saved;
}

/* One thread's state from /proc/self/task/TID/status: 1 when it holds no
 * capability and has no_new_privs, 0 when not, -1 when it is gone. */
static int task_is_bare(pid_t tid, char *comm, size_t commlen)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int bare = 1, seen = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned long long v;
		char name[64];
		if (sscanf(line, "Name:\t%63[^\n]", name) == 1)
			snprintf(comm, commlen, "%s", name);
		else if (sscanf(line, "CapPrm:\t%llx", &v) == 1 ||
		         sscanf(line, "CapEff:\t%llx", &v) == 1 ||
		         sscanf(line, "CapInh:\t%llx", &v) == 1) {
			bare &= v == 0;
			seen++;
		} else if (sscanf(line, "NoNewPrivs:\t%llu", &v) == 1) {
			bare &= v == 1;
			seen++;
		}
	}
	fclose(f);
	return seen == 4 ? bare : 0;
}

/* Run the handler in thread tid and wait for it.  0, or -1 when the
 * thread neither answered in time nor went away. */
static int drop_in(pid_t tid, int sig)
{
	unsigned before = atomic_load(&handled);
	if (syscall(SYS_tgkill, getpid(), tid, sig) != 0)
		return errno == ESRCH ? 0 : -1;
	for (int ms = 0; ms < ANSWER_TIMEOUT_MS; ms++) {
		if (atomic_load(&handled) != before)
			return 0;
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	}
	return -1;
}

/* One pass over /proc/self/task: signal every other thread that still
 * holds anything.  Returns the threads seen, 0 when one had to be
 * signalled (read again), or -1 with err set. */
static int drop_pass(int sig, char *err, size_t errlen)
{
	DIR *d = opendir("/proc/self/task");
	if (!d) {
		snprintf(err, errlen, "cannot list /proc/self/task: %s", strerror(errno));
		return -1;
	}
	pid_t self = (pid_t)syscall(SYS_gettid);
	int seen = 0, signalled = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(e->d_name);
		char comm[64] = "?";
		if (tid <= 0)
			continue;
		seen++;
		if (task_is_bare(tid, comm, sizeof comm) != 0)
			continue; /* nothing left, or gone */
		if (tid == self) {
			if (drop_own() != 0)
				atomic_fetch_add(&failed, 1);
		} else if (drop_in(tid, sig) != 0) {
			snprintf(err, errlen, "thread %d (%s) did not drop its capabilities",
			         (int)tid, comm);
			closedir(d);
			return -1;
		}
		signalled++;
	}
	closedir(d);
	return signalled ? 0 : seen;
}

int privileges_drop(char *err, size_t errlen)
{
	int sig = SIGRTMIN + 2;
	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_drop_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, &old) != 0) {
		snprintf(err, errlen, "sigaction: %s", strerror(errno));
		return -1;
	}
	int threads = 0;
	for (int pass = 0; pass < MAX_PASSES && threads == 0; pass++)
		threads = drop_pass(sig, err, errlen);
	sigaction(sig, &old, NULL);
	if (threads < 0)
		return -1; /* err set by drop_pass() */
	if (atomic_load(&failed) != 0) {
		snprintf(err, errlen,
		         "a thread could not drop its capabilities (prctl or capset failed)");
		return -1;
	}
	if (threads == 0) {
		snprintf(err, errlen, "threads still held capabilities after %d passes",
		         MAX_PASSES);
		return -1;
	}
	return threads;
}
