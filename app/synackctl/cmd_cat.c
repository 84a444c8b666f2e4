/*
 * cmd_cat.c - synackctl cat (placeholder until implemented).
 */
#include <stdio.h>

#include "commands.h"

int cmd_cat(const struct global_options *g, int argc, char **argv)
{
	fprintf(stderr, "synackctl: 'cat' is not implemented yet\n");
	return EXIT_ERROR;
}
