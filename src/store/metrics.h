/* metrics.h - the metric registry of the collector: one name space for
 * every series a source produces, read by the RRD writer (store/rrd), the
 * Prometheus exposition (/metrics) and the JSON API.
 *
 * Names follow Prometheus conventions: sundial_<area>_<name>_<unit>, base
 * units (seconds, bytes, ratios, celsius), counters end in _total.  A family
 * is a name with its help, type and label names; a series is a family with
 * one value per label.  Values carry the time they were sampled.  No I/O;
 * not thread-safe (the collector's event loop owns it). */
#ifndef SUNDIAL_STORE_METRICS_H
#define SUNDIAL_STORE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_LABELS 8

enum metric_type {
	METRIC_GAUGE,	/* a value that goes up and down (offset, temperature) */
	METRIC_COUNTER, /* a count since some start; resets are allowed */
};

typedef struct metrics metrics;
typedef struct metric_family metric_family;
typedef struct metric_series metric_series;

metrics *metrics_new(void);
void metrics_free(metrics *m); /* accepts NULL */

/* Declares (or finds) a family.  name must match [a-zA-Z_:][a-zA-Z0-9_:]*,
 * counters must end in "_total", label names [a-zA-Z_][a-zA-Z0-9_]* and not
 * start with "__"; at most METRICS_MAX_LABELS, given as a NULL-terminated
 * list (NULL: none), each at most once.  help may be NULL (none).
 * Declaring an existing name again with the same type, labels (in the same
 * order) and help returns it; with different ones, NULL with a message in
 * err (err may be NULL).  The registry owns the family; it lives until
 * metrics_free(). */
metric_family *metrics_family(metrics *m, const char *name, const char *help, enum metric_type type,
			      const char *const *label_names, char *err, size_t errlen);

/* The series of f with these label values (as many as f has label names;
 * any UTF-8 text; a NULL value, or label_values NULL, reads as ""), created
 * on first use; label_values are copied.  Invalid UTF-8 is replaced by
 * U+FFFD first, so values that differ only in their invalid bytes name the
 * same series.  Lookup is a hash table: O(1) on average.  NULL if f is. */
metric_series *metrics_series(metric_family *f, const char *const *label_values);

/* Sets the latest sample: t in seconds since the epoch (the sample's own
 * time), v any finite value (NAN or infinities: the series has no value
 * until the next good one; counters must not be negative, a negative one
 * clears the value too, as does a t that is not finite or beyond 9.2e15
 * seconds).  -0 is kept as 0. */
void metrics_set(metric_series *s, double t, double v);

/* Forgets a series (its source was removed by a reload): s is freed and
 * must not be used again; the other series keep their order.  A family
 * whose series are all gone stays declared but exports nothing. */
void metrics_drop(metric_series *s);

/* Reading. */
size_t metrics_family_count(const metrics *m);
const metric_family *metrics_family_at(const metrics *m, size_t i); /* in declaration order */
const char *metric_family_name(const metric_family *f);
const char *metric_family_help(const metric_family *f);
enum metric_type metric_family_type(const metric_family *f);
size_t metric_family_label_count(const metric_family *f);
const char *metric_family_label_name(const metric_family *f, size_t i);
size_t metric_family_series_count(const metric_family *f);
const metric_series *metric_family_series_at(const metric_family *f, size_t i); /* creation order */
const metric_family *metric_series_family(const metric_series *s);
const char *metric_series_label_value(const metric_series *s, size_t i);
bool metric_series_value(const metric_series *s, double *t, double *v); /* false: no value yet */

/* The Prometheus text exposition format (version 0.0.4) of every family
 * with at least one valued series: # HELP (left out when help is empty; help
 * escaped: backslash, newline) and # TYPE lines, then one line per valued
 * series with its labels escaped (backslash, quote, newline), the value
 * (shortest form that reads back to the same double, as JavaScript prints
 * numbers: "0.1", "1e-9", "123456789012345680"; +Inf/-Inf/NaN never occur),
 * and the sample time in integer milliseconds.  Output is valid UTF-8.
 * Returns a malloc'd string (caller frees; "" when nothing has a value) and
 * its length in *len (len may be NULL). */
char *metrics_prometheus(const metrics *m, size_t *len);

#endif
