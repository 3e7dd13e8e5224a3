/* graph.c - see graph.h (being written). */
#include "store/graph.h"
