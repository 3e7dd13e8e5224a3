/* nts_ke.c - see nts_ke.h (being written). */
#include "net/nts_ke.h"