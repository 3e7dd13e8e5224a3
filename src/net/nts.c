/* nts.c - see nts.h (being written). */
#include "net/nts.h"