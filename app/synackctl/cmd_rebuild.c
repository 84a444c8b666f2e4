/*
 * cmd_rebuild.c - synackctl rebuild (placeholder until implemented).
 */
#include <stdio.h>

#include "commands.h"

int cmd_rebuild(const struct global_options *g, int argc, char **argv)
{
	fprintf(stderr, "synackctl: 'rebuild' is not implemented yet\n");
	return EXIT_ERROR;
}
