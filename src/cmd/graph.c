/* graph.c - `sundial graph` (being written). */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_graph(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "sundial graph: not written yet\n");
	return 64;
}