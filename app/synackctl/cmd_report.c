/*
 * cmd_report.c - synackctl report.
 */
#include <stdio.h>

#include "commands.h"

int cmd_report(const struct global_options *g, int argc, char **argv)
{
	fprintf(stderr, "synackctl: 'report' is not available in this build\n");
	return EXIT_ERROR;
}
