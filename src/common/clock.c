/* clock.c - the one place time is read; see clock.h. */
#include "common/clock.h"

static void system_source(clockid_t id, struct timespec *ts)
{
	if (clock_gettime(id, ts) != 0) {
		ts->tv_sec = 0;
		ts->tv_nsec = 0;
	}
}

static clock_source_fn source = system_source;

void clock_set_source(clock_source_fn fn)
{
	source = fn ? fn : system_source;
}

void clock_realtime(struct timespec *ts)
{
	source(CLOCK_REALTIME, ts);
}

void clock_monotonic(struct timespec *ts)
{
	source(CLOCK_MONOTONIC, ts);
}

double clock_real_sec(void)
{
	struct timespec ts;
	clock_realtime(&ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double clock_mono_sec(void)
{
	struct timespec ts;
	clock_monotonic(&ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double clock_ts_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) + (double)(a->tv_nsec - b->tv_nsec) * 1e-9;
}
