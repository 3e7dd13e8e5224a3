/* sched.h - when each collector source samples: every job has its own
 * interval, and a random phase within it so that sources with the same
 * interval do not all fire at once.  Runs stay on their grid (phase + k *
 * interval: no drift, so RRD steps fill evenly); a run that comes due while
 * the job's previous sample is still out is skipped and counted (a slow or
 * dead source never piles up work or delays another).  Pure logic on times
 * the caller passes in (seconds, any monotonic clock), for the event loop and
 * for tests with a fake clock. */
#ifndef SUNDIAL_COLLECT_SCHED_H
#define SUNDIAL_COLLECT_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_MIN_INTERVAL 1.0
#define SCHED_MAX_INTERVAL 86400.0

typedef struct sched sched;

/* seed: for the phases (0: a random one). */
sched *sched_new(uint64_t seed);
void sched_free(sched *s); /* accepts NULL */

/* A job sampling every interval seconds (SCHED_MIN_INTERVAL ..
 * SCHED_MAX_INTERVAL), its first run in [now, now + interval).  Returns its
 * id (>= 0), or -EINVAL for an interval out of range. */
int sched_add(sched *s, double interval, double now);
/* Removes a job; its id is not reused. */
void sched_remove(sched *s, int id);

/* The time the earliest job is due (INFINITY with no jobs). */
double sched_next(const sched *s);
/* The time job id is due next (NAN if there is no such job). */
double sched_due(const sched *s, int id);

/* A job due at or before now whose previous sample is done: marks it busy,
 * moves it to its next grid time after now, and returns its id; -1 if none.
 * A due job that is still busy is moved on the same way and its run counted
 * as skipped. */
int sched_take(sched *s, double now);

/* The job's sample is finished (its next run may start). */
void sched_done(sched *s, int id);

/* Counters of a job: runs started, runs skipped because it was busy. */
bool sched_stats(const sched *s, int id, uint64_t *runs, uint64_t *skipped);

#endif
