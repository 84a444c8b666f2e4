/*
 * privileges.h - synackd gives up its capabilities once start-up is over,
 * and becomes [security] user when one is set.
 */
#ifndef SYNACKD_PRIVILEGES_H
#define SYNACKD_PRIVILEGES_H

#include <stddef.h>

/* Every thread of the process drops every capability (permitted,
 * effective, inheritable, and the bounding set where it may) and sets
 * no_new_privs; with uid != 0 the process then becomes uid:gid (gid its
 * only group).  Returns the number of threads checked, or -1 with err
 * naming the thread that kept any. */
int privileges_drop(unsigned uid, unsigned gid, char *err, size_t errlen);

/* Creates dir (one level) if missing and gives it, with everything under
 * it, to uid:gid, unless it is theirs already.  dir may be a link; links
 * inside it are changed themselves, not followed.  Returns the number of
 * entries that changed owner (0 for a new directory), or -1 with err set. */
int privileges_give_dir(const char *dir, unsigned uid, unsigned gid, char *err, size_t errlen);

#endif /* SYNACKD_PRIVILEGES_H */
