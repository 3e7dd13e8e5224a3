/* alert.h - the collector's alerts: rules read from `alert` directives,
 * evaluated against every sample of the series they match, each series'
 * state held until the new one has lasted `hold` samples, so that one lost
 * packet pages nobody.  Pure: no I/O, no clock, no logging; the collector
 * logs, exports and notifies from the changes it is handed.  Not
 * thread-safe (the collector's loop owns it).
 *
 * Rule syntax (the words after "alert" in sundial.conf(5)):
 *
 *   alert METRIC[{LABEL="VALUE",...}] COND LEVEL [, COND LEVEL] [hold N] [name NAME]
 *
 *   METRIC   a metric family name as in /metrics ("sundial_daemon_offset_seconds")
 *   {...}    optional label matchers: only series with these label values
 *            (exact match; LABEL=VALUE or LABEL="VALUE", 1 to ALERT_MAX_MATCH
 *            of them, separated by ',', each label at most once; LABEL is
 *            [a-zA-Z_][a-zA-Z0-9_]*, METRIC [a-zA-Z_:][a-zA-Z0-9_:]*).  A
 *            quoted VALUE may be empty and holds \" and \\ as escapes; a
 *            bare one is printable and holds none of {}",=\ or blanks.  A
 *            label the series does not have matches "" (as in Prometheus).
 *            conf(5) refuses a quote inside an unquoted word, so in
 *            sundial.conf a quoted VALUE needs the whole word quoted:
 *            "metric{device=\"/dev/ttyS0\"}" (or write metric{device=/dev/ttyS0})
 *   COND     [abs] OP NUMBER      OP one of > >= < <= == !=; abs compares |v|
 *            changes              the value differs from the previous sample
 *                                 (see "changes" below)
 *            missing              the series had no value at this sample
 *                                 (the source failed or did not give it)
 *   LEVEL    warn | crit          (at most one COND per level; a comma word
 *                                 "," or a trailing comma on LEVEL separates)
 *   hold N   samples a new state must last before it is taken (1 .. 1000;
 *            default 3).  A change to OK needs hold samples too.
 *   name     the alert's name as shown and exported (default: METRIC with
 *            "sundial_" removed, then the first COND, e.g.
 *            "daemon_offset_seconds abs > 0.01"); [A-Za-z0-9_.:-], 1..64 chars.
 *
 * Examples:
 *   alert sundial_daemon_offset_seconds abs > 0.010 warn, abs > 0.100 crit
 *   alert sundial_collect_up == 0 crit hold 2
 *   alert sundial_daemon_stratum changes warn
 *   alert sundial_gps_satellites_used{device=/dev/ttyS0} < 4 warn, < 1 crit
 *   alert "sundial_traffic_clients{window=\"5m\"}" == 0 warn name no-clients
 *
 * A NUMBER is a decimal or exponent float ("0.010", "1e-3", "-5"), finite,
 * no "nan", "inf" or hex; no units.  When both levels' conditions hold, crit
 * wins.
 *
 * Evaluation, per (rule, series): each sample gives a candidate state:
 * CRITICAL if the crit condition holds, else WARNING if the warn one holds,
 * else OK.  A missing value (NAN) is no sample at all for a rule without a
 * "missing" condition: its state, what is pending and the count stay as
 * they are (a source that fails does not make its offset alert recover);
 * for a rule with one, it makes "missing" hold and every comparison false.
 * A candidate equal
 * to the current state clears what was pending; a state is taken when
 * candidates away from the current state have lasted `hold` consecutive
 * samples.  Candidates on the same side of the current state count
 * together, and the one taken is the least far from it: from OK, the
 * samples warn, crit, crit give WARNING (a value hovering around the crit
 * threshold still alerts); from CRITICAL, ok, warn, ok give WARNING.  A
 * candidate on the other side restarts the count, so a value flapping
 * across a threshold never changes the state.  alert_eval() never gives
 * UNKNOWN; it is there for the collector's own use.
 *
 * "changes": the first value of a series only sets the value to compare
 * with; a NAN keeps the previous value (it is no change).  A sample whose
 * value differs from the last one makes the condition hold for that sample
 * and the hold - 1 samples after it (each further change starts that over),
 * so the state turns to the level after hold samples and back to OK hold
 * samples after the condition stopped holding.
 */
#ifndef SUNDIAL_COLLECT_ALERT_H
#define SUNDIAL_COLLECT_ALERT_H

#include <stdbool.h>
#include <stddef.h>

#define ALERT_MAX_MATCH 4
#define ALERT_NAME_MAX 65

/* Nagios' order and numbers. */
enum alert_state { ALERT_OK = 0, ALERT_WARNING = 1, ALERT_CRITICAL = 2, ALERT_UNKNOWN = 3 };

const char *alert_state_name(enum alert_state s); /* "OK", "WARNING", ... */

enum alert_op {
	ALERT_GT,
	ALERT_GE,
	ALERT_LT,
	ALERT_LE,
	ALERT_EQ,
	ALERT_NE,
	ALERT_CHANGES,
	ALERT_MISSING
};

struct alert_cond {
	bool set; /* this level has a condition */
	bool abs;
	enum alert_op op;
	double value;
};

struct alert_rule {
	char name[ALERT_NAME_MAX];
	char metric[128];
	size_t n_match;
	char match_label[ALERT_MAX_MATCH][64];
	char match_value[ALERT_MAX_MATCH][128];
	struct alert_cond warn, crit;
	unsigned hold;
};

/* Parses the words after "alert" (argv[0] is the metric).  0, or -EINVAL
 * with a message for people in err (without file:line; the caller adds it),
 * e.g. "expected warn or crit after '> 0.01', got 'foo'"; the words it
 * quotes are cut to 40 octets and show other octets than printable ASCII
 * as '?'.  *out is written only on success; out may be NULL (a check). */
int alert_rule_parse(size_t argc, const char *const *argv, struct alert_rule *out, char *err,
		     size_t errlen) __attribute__((warn_unused_result));

/* The rules the collector uses unless told "alert defaults off" (an `alert`
 * of the same name replaces one; others are added): offset, jitter, reach
 * below 100 %, stratum change, unsynchronised, refclock status not
 * nominal, GPS fix lost or too few satellites, no clients seen,
 * response-time p99, a source that fails.  *n set to their number;
 * static storage. */
const struct alert_rule *alert_default_rules(size_t *n);

typedef struct alert_set alert_set;

/* A set evaluating a copy of rules[0..n) (n may be 0).  NULL if a rule is
 * malformed: hold outside 1 .. 1000, no condition, more than ALERT_MAX_MATCH
 * matchers, a comparison with a value that is not finite.  Allocation
 * failure is fatal (common/mem). */
alert_set *alert_set_new(const struct alert_rule *rules, size_t n);
void alert_set_free(alert_set *a); /* accepts NULL */

/* A state change handed back by alert_eval(). */
struct alert_change {
	const struct alert_rule *rule; /* borrowed from the set */
	const char *series_key;	       /* borrowed, until the next alert_eval() */
	enum alert_state from, to;
	double t, value;  /* the sample that completed the hold (value NAN if missing) */
	char reason[160]; /* "0.153 > 0.1 (crit)", "|-0.153| > 0.1 (crit)" (abs),
			     "changed 2 -> 3 (warn)", "no value (crit)", "back to normal:
			     0.002", "no longer crit: 0.002" (CRITICAL to WARNING); numbers
			     as %g */
};

/* One sample of a series: metric is its family name, labels its label
 * names and values (n of each; the source's own "source" and "target"
 * come first), key a string naming the series uniquely (the collector's
 * RRD path will do), t the sample's time, v its value (NAN: missing).
 * Each rule that matches metric and labels updates the state it keeps for
 * (rule, key), created on first use in ALERT_OK with nothing held (the
 * labels are copied then).  When a state has held for rule->hold
 * consecutive samples and differs from the current one, the change is
 * written to out (up to max; the count of changes is returned, even beyond
 * max).  The first sample of a series with "changes" sets only the value to
 * compare with.  A NULL set, metric or key, or n_labels > 0 with NULL
 * arrays, is ignored (0); a NULL label name is skipped, a NULL value is "". */
size_t alert_eval(alert_set *a, const char *metric, const char *const *label_names,
		  const char *const *label_values, size_t n_labels, const char *key, double t,
		  double v, struct alert_change *out, size_t max);

/* Forgets every state of a series (its source was removed), for all rules;
 * accepts a key it does not know. */
void alert_forget(alert_set *a, const char *key);

/* Every (rule, series) state the set holds, for the dashboard and for
 * /metrics: calls fn once for each, in the order they were created (the
 * view is borrowed for the call; fn must not change the set). */
struct alert_view {
	const struct alert_rule *rule;
	const char *series_key;
	const char *const *label_names, *const *label_values; /* as first given */
	size_t n_labels;
	enum alert_state state;
	double since;	   /* time of the change into it (the first sample for OK) */
	double last_value; /* NAN if missing */
	char reason[160];  /* why it is in this state ("" for OK from the start) */
};
void alert_each(const alert_set *a, void (*fn)(void *arg, const struct alert_view *v), void *arg);

/* The worst state of the series whose key starts with prefix ("" or NULL for
 * all), by severity CRITICAL > WARNING > UNKNOWN > OK; OK when none matches:
 * the overview's verdict for a source. */
enum alert_state alert_worst(const alert_set *a, const char *key_prefix);

#endif
