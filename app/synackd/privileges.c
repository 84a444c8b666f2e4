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
 * Without [security] user the process keeps uid 0, so the files it owns
 * stay writable.  With it, each thread first keeps CAP_SETUID and
 * CAP_SETGID only, then the process becomes that user (glibc makes every
 * thread change its ids), which clears those two; the data directory is
 * given to the user before.  Either way no_new_privs is set, which keeps a
 * program it starts (the alert command) from regaining capabilities: for
 * uid 0, execve would otherwise grant the bounding set.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "privileges.h"

#define ANSWER_TIMEOUT_MS 2000 /* for one thread to run the handler */
#define MAX_PASSES        4    /* rereads of /proc/self/task */

static atomic_uint handled; /* handlers run so far */
static atomic_uint failed;  /* of which failed */

/* What every thread must end with: permitted and effective sets equal to
 * keep (inheritable empty), no_new_privs, and, when ids is set, uid and
 * gid (real, effective, saved, filesystem). */
static struct {
	uint32_t keep;
	bool ids;
	uid_t uid;
	gid_t gid;
} want;

/* The calling thread drops everything.  Only system calls, so it may run
 * in a signal handler.  The bounding set needs CAP_SETPCAP, which a thread
 * started without privileges lacks: that EPERM is not a failure, as such
 * a thread has nothing to drop. */
static int drop_own(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0, 0, 0}};
	data[0].effective = data[0].permitted = want.keep;

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

/* Does one "Uid:" or "Gid:" line of /proc/.../status show id four times? */
static bool ids_are(const char *line, const char *tag, unsigned id)
{
	unsigned r, e, s, f;
	char fmt[32];
	snprintf(fmt, sizeof fmt, "%s:\t%%u\t%%u\t%%u\t%%u", tag);
	return sscanf(line, fmt, &r, &e, &s, &f) == 4 && r == id && e == id && s == id && f == id;
}

/* The supplementary groups of a "Groups:" line are exactly gid. */
static bool only_group(const char *list, unsigned gid)
{
	unsigned g;
	int used = 0;
	return sscanf(list, " %u %n", &g, &used) == 1 && g == gid && list[used] == '\0';
}

/* One thread's state from /proc/self/task/TID/status: 1 when it is as
 * wanted, 0 when not, -1 when it is gone. */
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
		         sscanf(line, "CapEff:\t%llx", &v) == 1) {
			bare &= v == want.keep;
			seen++;
		} else if (sscanf(line, "CapInh:\t%llx", &v) == 1) {
			bare &= v == 0;
			seen++;
		} else if (sscanf(line, "NoNewPrivs:\t%llu", &v) == 1) {
			bare &= v == 1;
			seen++;
		} else if (want.ids && strncmp(line, "Uid:", 4) == 0) {
			bare &= ids_are(line, "Uid", want.uid);
		} else if (want.ids && strncmp(line, "Gid:", 4) == 0) {
			bare &= ids_are(line, "Gid", want.gid);
		} else if (want.ids && strncmp(line, "Groups:", 7) == 0) {
			bare &= only_group(line + 7, want.gid);
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
		if (syscall(SYS_tgkill, getpid(), tid, 0) != 0 && errno == ESRCH)
			return 0; /* it ended before running the handler */
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

/* Passes over the threads until every one is as wanted.  Returns the
 * number of threads, or -1 with err set. */
static int settle_threads(int sig, char *err, size_t errlen)
{
	int threads = 0;
	for (int pass = 0; pass < MAX_PASSES && threads == 0; pass++)
		threads = drop_pass(sig, err, errlen);
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

/* The process becomes uid:gid, with gid as its only group.  glibc has
 * every thread make the same calls, and each still has the two
 * capabilities they need. */
static int become(unsigned uid, unsigned gid, char *err, size_t errlen)
{
	gid_t groups[1] = {(gid_t)gid};
	const char *failed_call = NULL;
	if (setgroups(1, groups) != 0)
		failed_call = "setgroups";
	else if (setresgid((gid_t)gid, (gid_t)gid, (gid_t)gid) != 0)
		failed_call = "setresgid";
	else if (setresuid((uid_t)uid, (uid_t)uid, (uid_t)uid) != 0)
		failed_call = "setresuid";
	if (!failed_call)
		return 0;
	snprintf(err, errlen, "cannot become uid %u gid %u: %s: %s", uid, gid, failed_call,
	         strerror(errno));
	return -1;
}

int privileges_drop(unsigned uid, unsigned gid, char *err, size_t errlen)
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
	want.keep = uid ? 1u << CAP_SETUID | 1u << CAP_SETGID : 0;
	want.ids = false;
	int threads = settle_threads(sig, err, errlen);
	if (threads > 0 && uid != 0) {
		threads = become(uid, gid, err, errlen);
		want.keep = 0;
		want.ids = true;
		want.uid = (uid_t)uid;
		want.gid = (gid_t)gid;
		if (threads == 0)
			threads = settle_threads(sig, err, errlen);
	}
	sigaction(sig, &old, NULL);
	return threads;
}

/* ------------------------------------------------- the data directory */

#define GIVE_MAX_DEPTH 16 /* logs/YYYY/MM/DD is 4 */

/* Gives the entry name of dfd (not a directory) to uid:gid, unless it is
 * theirs already or has another hard link (its other names may be
 * outside).  Checked and changed through one O_PATH descriptor, so the
 * name cannot be swapped in between; a link is changed itself. */
static int give_entry(int dfd, const char *name, uid_t uid, gid_t gid, unsigned *given)
{
	struct stat st;
	int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : errno; /* gone meanwhile: nothing to give */
	int rc = 0;
	if (fstat(fd, &st) != 0)
		rc = errno;
	else if (!S_ISDIR(st.st_mode) && (st.st_uid != uid || st.st_gid != gid) &&
	         st.st_nlink == 1) {
		rc = fchownat(fd, "", uid, gid, AT_EMPTY_PATH) == 0 ? 0 : errno;
		*given += rc == 0;
	}
	close(fd);
	return rc;
}

/* Gives the directory open as dfd, and everything below it, to uid:gid;
 * adds the entries changed to *given.  The contents first, the directory
 * last, so a walk that stopped half-way leaves the top as it was and the
 * next start walks again.  Works on descriptors and never follows a link.
 * 0, or an errno value. */
static int give_tree(int dfd, uid_t uid, gid_t gid, unsigned depth, unsigned *given)
{
	if (depth == GIVE_MAX_DEPTH)
		return ELOOP;
	int copy = dup(dfd);
	DIR *d = copy < 0 ? NULL : fdopendir(copy);
	if (!d) {
		int e = errno;
		if (copy >= 0)
			close(copy);
		return e;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			rc = give_tree(sub, uid, gid, depth + 1, given);
			close(sub);
		} else if (errno == ENOTDIR || errno == ELOOP) {
			rc = give_entry(dfd, e->d_name, uid, gid, given); /* a file or a link */
		} else if (errno != ENOENT) {
			rc = errno;
		}
	}
	closedir(d);
	struct stat st;
	if (rc == 0 && fstat(dfd, &st) != 0)
		rc = errno;
	if (rc == 0 && (st.st_uid != uid || st.st_gid != gid)) {
		rc = fchown(dfd, uid, gid) == 0 ? 0 : errno;
		*given += rc == 0;
	}
	return rc;
}

int privileges_give_dir(const char *dir, unsigned uid, unsigned gid, char *err, size_t errlen)
{
	bool created = mkdir(dir, 0750) == 0;
	if (!created && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	/* The directory itself may be a link (to another disk): followed. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (dfd < 0 || fstat(dfd, &st) != 0) {
		snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	/* Walked at every start, changing only what is not the user's yet: a
	 * walk that stopped half-way, or files root left there since (a
	 * `synackctl rebuild` run as root), are given over the next time. */
	unsigned given = 0;
	int rc = give_tree(dfd, (uid_t)uid, (gid_t)gid, 0, &given);
	close(dfd);
	if (rc != 0) {
		snprintf(err, errlen, "cannot give %s to uid %u gid %u: %s", dir, uid, gid,
		         strerror(rc));
		return -1;
	}
	return created ? 0 : (int)given; /* a new, empty one is not news */
}
