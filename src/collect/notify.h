/* notify.h - the `notify` command of the collector's alerts: each state
 * change runs the command once, with the change in environment variables,
 * in a worker thread of its own (one at a time, in order), with a timeout,
 * so the event loop never waits for it.
 *
 * The program gets the collector's environment plus:
 *   SUNDIAL_ALERT           the alert's name ("offset")
 *   SUNDIAL_STATE           OK, WARNING, CRITICAL or UNKNOWN
 *   SUNDIAL_PREVIOUS_STATE  the state before
 *   SUNDIAL_SOURCE          the source kind ("chronyd")
 *   SUNDIAL_TARGET          the source's target
 *   SUNDIAL_SERIES          the series ("sundial_daemon_offset_seconds")
 *   SUNDIAL_VALUE           the value that completed the change ("" if none)
 *   SUNDIAL_REASON          "0.153 > 0.1 (crit)"
 *   SUNDIAL_TIME            Unix seconds of the sample
 * A non-zero exit, a timeout (the process group is killed) or a program that
 * cannot run is logged; the change is not run again. */
#ifndef SUNDIAL_COLLECT_NOTIFY_H
#define SUNDIAL_COLLECT_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#define NOTIFY_QUEUE_MAX 1000

typedef struct notifier notifier;

struct notify_event {
	const char *alert, *state, *previous, *source, *target, *series, *value, *reason;
	double t;
};

/* path: absolute; args: NULL-terminated arguments after it (may be NULL);
 * both copied.  NULL if path is not absolute or timeout not positive. */
notifier *notify_new(const char *path, char *const *args, double timeout);
/* Lets the command that runs finish (at most its timeout), drops what is
 * still queued (logged with its count) and joins the thread.  Accepts NULL. */
void notify_free(notifier *n);

/* Queues one run (the strings are copied).  0, or -ENOSPC when
 * NOTIFY_QUEUE_MAX runs wait already (that change is logged and dropped). */
int notify_post(notifier *n, const struct notify_event *e) __attribute__((warn_unused_result));

/* Runs finished so far, and how many of them failed (for tests and the API). */
void notify_counts(notifier *n, uint64_t *done, uint64_t *failed);

#endif
