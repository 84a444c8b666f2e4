/*
 * log_prune.c - deletes hourly logs older than the retention period.
 *
 * Walks DATA/logs/YYYY/MM/DD/ and removes synack-YYYYMMDD-HH.zst files
 * whose hour ended before the cutoff (and a .zst.seal that a crash during
 * sealing left behind), then the folders left empty.  The
 * hour comes from the file name, never from file times.  Symbolic links are
 * never followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW): an entry that is not a
 * plain file or folder is left alone.
 */
#include "log/log_prune.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Unix time of the start of hour HH on YYYYMMDD from a log's name, or -1. */
static long long hour_of_name(const char *name)
{
	int y, mo, d, h;
	char tail[16];
	struct tm tm = {0};

	if (sscanf(name, "synack-%4d%2d%2d-%2d.%15s", &y, &mo, &d, &h, tail) != 5 ||
	    (strcmp(tail, "zst") != 0 && strcmp(tail, "zst.seal") != 0))
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	return (long long)timegm(&tm);
}

static int open_dir_at(int parent, const char *name)
{
	return openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Walk one level; depth 0..2 are YYYY, MM, DD folders, depth 3 files. */
static void prune_dir(int dirfd, int depth, long long cutoff, struct log_prune_result *res)
{
	DIR *dir = fdopendir(dirfd);
	struct dirent *e;

	if (!dir) {
		close(dirfd);
		res->errors++;
		return;
	}
	while ((e = readdir(dir)) != NULL) {
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			res->errors++;
			continue;
		}
		if (depth < 3 && S_ISDIR(st.st_mode)) {
			int sub = open_dir_at(dirfd, e->d_name);
			if (sub < 0) {
				res->errors++;
				continue;
			}
			prune_dir(sub, depth + 1, cutoff, res);
			/* Fails harmlessly (ENOTEMPTY) when something is left. */
			if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) == 0)
				res->dirs_removed++;
		} else if (depth == 3 && S_ISREG(st.st_mode)) {
			long long start = hour_of_name(e->d_name);
			if (start < 0 || start + 3600 > cutoff)
				continue;
			if (unlinkat(dirfd, e->d_name, 0) == 0) {
				res->files_removed++;
				res->bytes_removed += (uint64_t)st.st_size;
			} else {
				res->errors++;
			}
		}
	}
	closedir(dir);
}

int log_prune(const char *data_dir, uint64_t cutoff_unix, struct log_prune_result *res)
{
	int data_fd, logs_fd;

	memset(res, 0, sizeof(*res));
	data_fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (data_fd < 0)
		return -1;
	logs_fd = open_dir_at(data_fd, "logs");
	close(data_fd);
	if (logs_fd < 0)
		return errno == ENOENT ? 0 : -1;
	prune_dir(logs_fd, 0, (long long)cutoff_unix, res);
	return res->errors ? -1 : 0;
}
