/*
 * cmd_events.c - synackctl events.
 */
#include <stdio.h>

#include "commands.h"

int cmd_events(const struct global_options *g, int argc, char **argv)
{
	fprintf(stderr, "synackctl: 'events' is not available in this build\n");
	return EXIT_ERROR;
}
