/* log.h - messages for people, on standard error (or syslog).
 *
 * log_error() and friends prefix the program name; log_debug() prints only at
 * verbosity >= 2.  log_ratelimit() lets a caller print at most one line per
 * interval for a noisy condition (malformed input from the network).
 */
#ifndef SUNDIAL_COMMON_LOG_H
#define SUNDIAL_COMMON_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Sets the program name shown before each message (borrowed, must outlive use). */
void log_init(const char *progname);

/* From now on, messages go to syslog (facility daemon, the program name as
 * ident) instead of standard error. */
void log_to_syslog(void);

/* 0 = errors and warnings, 1 = info, 2 = debug. */
void log_set_verbosity(int v);
int log_get_verbosity(void);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Prints the message and exits with status 70 (EX_SOFTWARE).  Only for
 * start-up configuration errors and allocation failure. */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* A per-condition limiter: true at most once per interval seconds. */
struct log_limit {
	double last;
	double interval;
	unsigned long suppressed;
};
bool log_ratelimit(struct log_limit *l);

#endif
