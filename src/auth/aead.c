/* aead.c - see aead.h (being written). */
#include "auth/aead.h"