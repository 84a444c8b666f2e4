/*
 * cmd_services.c - synackctl services (placeholder until implemented).
 */
#include <stdio.h>

#include "commands.h"

int cmd_services(const struct global_options *g, int argc, char **argv)
{
	fprintf(stderr, "synackctl: 'services' is not implemented yet\n");
	return EXIT_ERROR;
}
