/*
 * cmd_compare.c - synackctl compare.
 */
#include <stdio.h>

#include "commands.h"

int cmd_compare(const struct global_options *g, int argc, char **argv)
{
	fprintf(stderr, "synackctl: 'compare' is not available in this build\n");
	return EXIT_ERROR;
}
