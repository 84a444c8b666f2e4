/*
 * make_dirs.h - mkdir -p for the folders above a path (the control
 * socket's folder, synackd's data directory).
 */
#ifndef SYNACK_MAKE_DIRS_H
#define SYNACK_MAKE_DIRS_H

#include <stddef.h>
#include <sys/types.h>

/* Creates every missing folder above path (not path itself) with mode.
 * 0, or -1 with errno set and, when failed is given, the folder that could
 * not be made in it. */
int make_parent_dirs(const char *path, mode_t mode, char *failed, size_t failedlen);

#endif /* SYNACK_MAKE_DIRS_H */
