/* alert.c - see alert.h (being written). */
#include "collect/alert.h"
