/* nts.c - see nts.h (being written). */
#include "wire/nts.h"