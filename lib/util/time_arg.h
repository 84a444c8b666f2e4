/*
 * time_arg.h - parses the TIME arguments of synackctl's commands.
 */
#ifndef SYNACK_TIME_ARG_H
#define SYNACK_TIME_ARG_H

#include <stdint.h>

/*
 * TIME is YYYY-MM-DD, YYYY-MM-DD[T ]HH:MM[:SS][Z] (UTC), @UNIXSECONDS, or
 * an age before now: Ns, Nm, Nh, Nd or Nw.  Returns 0 with *out in Unix
 * seconds, or -1.
 */
int time_arg_parse(const char *s, int64_t now, int64_t *out);

#endif /* SYNACK_TIME_ARG_H */
