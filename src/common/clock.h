/* clock.h - the one place time is read.
 *
 * Logic that depends on time (timeouts, schedules, windows, rates) reads it
 * through clock_realtime() and clock_monotonic(), so that tests can drive a
 * fake clock with clock_set_source().
 */
#ifndef SUNDIAL_COMMON_CLOCK_H
#define SUNDIAL_COMMON_CLOCK_H

#include <time.h>

/* A clock source: fills *ts for clock id CLOCK_REALTIME or CLOCK_MONOTONIC. */
typedef void (*clock_source_fn)(clockid_t id, struct timespec *ts);

/* The wall clock (UTC) now. */
void clock_realtime(struct timespec *ts);

/* A clock that never steps, for intervals and timeouts. */
void clock_monotonic(struct timespec *ts);

/* The real time in seconds since the epoch, as a double. */
double clock_real_sec(void);
/* Seconds of the monotonic clock, as a double. */
double clock_mono_sec(void);

/* Replaces the source of both clocks; NULL restores the system clocks. */
void clock_set_source(clock_source_fn fn);

/* a - b in seconds. */
double clock_ts_diff(const struct timespec *a, const struct timespec *b);

#endif
