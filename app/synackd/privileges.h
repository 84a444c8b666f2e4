/*
 * privileges.h - synackd gives up its capabilities once start-up is over.
 */
#ifndef SYNACKD_PRIVILEGES_H
#define SYNACKD_PRIVILEGES_H

#include <stddef.h>

/* Every thread of the process drops every capability (permitted,
 * effective, inheritable, and the bounding set where it may) and sets
 * no_new_privs.  Returns the number of threads checked, or -1 with err
 * naming the thread that kept any. */
int privileges_drop(char *err, size_t errlen);

#endif /* SYNACKD_PRIVILEGES_H */
