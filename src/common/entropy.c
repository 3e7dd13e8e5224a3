/* entropy.c - see entropy.h. */
#include "common/entropy.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

uint64_t entropy_u64(void)
{
	uint64_t v = 0;
	if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
	}
	return v;
}
