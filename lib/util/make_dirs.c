/*
 * make_dirs.c - mkdir -p for the folders above a path (make_dirs.h).
 */
#include "util/make_dirs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int make_parent_dirs(const char *path, mode_t mode, char *failed, size_t failedlen)
{
	size_t len = strlen(path);
	if (len == 0)
		return 0;
	char *buf = malloc(len + 1);
	if (!buf) {
		if (failed)
			snprintf(failed, failedlen, "%s", path);
		errno = ENOMEM;
		return -1;
	}
	memcpy(buf, path, len + 1);
	int error = 0;
	for (char *p = strchr(buf + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(buf, mode) != 0 && errno != EEXIST) {
			error = errno;
			if (failed)
				snprintf(failed, failedlen, "%s", buf);
			break;
		}
		*p = '/';
	}
	free(buf);
	errno = error;
	return error ? -1 : 0;
}
