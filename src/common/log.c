/* log.c - messages for people; see log.h. */
#include "common/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "common/clock.h"

static const char *prog = "sundial";
static int verbosity;
static bool to_syslog;

void log_to_syslog(void)
{
	openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	to_syslog = true;
}

void log_init(const char *progname)
{
	if (progname)
		prog = progname;
}

void log_set_verbosity(int v)
{
	verbosity = v;
}

int log_get_verbosity(void)
{
	return verbosity;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	if (lvl == LOG_LVL_INFO && verbosity < 1)
		return;
	if (lvl == LOG_LVL_DEBUG && verbosity < 2)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (to_syslog) {
		static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
		vsyslog(prio[lvl], fmt, ap);
	} else {
		fprintf(stderr, "%s: %s", prog, tag[lvl]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(70);
}

bool log_ratelimit(struct log_limit *l)
{
	double now = clock_mono_sec();
	if (l->last != 0 && now - l->last < l->interval) {
		l->suppressed++;
		return false;
	}
	l->last = now;
	return true;
}
