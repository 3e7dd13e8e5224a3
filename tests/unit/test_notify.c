/* test_notify.c - the alerts' notify command: each posted change runs the
 * program once, in order, with the change in its environment; a program
 * that overstays its timeout is killed and counted as failed, as is one
 * that cannot run or exits non-zero; a full queue refuses more; freeing
 * drops what waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "collect/notify.h"

static char dir[64];

static void script(const char *name, const char *body, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static void wait_done(notifier *n, uint64_t want, double max_s)
{
	uint64_t done = 0, failed = 0;
	for (int i = 0; i < (int)(max_s * 100); i++) {
		notify_counts(n, &done, &failed);
		if (done >= want)
			return;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	fail_msg("only %llu of %llu runs done after %.1f s", (unsigned long long)done,
		 (unsigned long long)want, max_s);
}

static int setup(void **st)
{
	(void)st;
	snprintf(dir, sizeof dir, "/tmp/sundial-notify-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static void runs_once_each_in_order(void **st)
{
	(void)st;
	char path[128], out[128];
	snprintf(out, sizeof out, "%s/out.txt", dir);
	char body[512];
	snprintf(body, sizeof body,
		 "echo \"$1|$SUNDIAL_ALERT|$SUNDIAL_STATE|$SUNDIAL_PREVIOUS_STATE|$SUNDIAL_SOURCE|"
		 "$SUNDIAL_TARGET|$SUNDIAL_SERIES|$SUNDIAL_VALUE|$SUNDIAL_REASON|$SUNDIAL_TIME|"
		 "${HOME+home}\" >>%s",
		 out);
	script("log.sh", body, path, sizeof path);
	char arg1[] = "arg1";
	char *args[] = { arg1, NULL };
	notifier *n = notify_new(path, args, 5);
	assert_non_null(n);
	setenv("SUNDIAL_STATE", "from-the-collector", 1); /* overridden */
	setenv("HOME", "/root", 1);			  /* kept */
	struct notify_event a = { "offset",  "CRITICAL",	   "OK",
				  "chronyd", "/run/chrony.sock",   "sundial_daemon_offset_seconds",
				  "0.153",   "0.153 > 0.1 (crit)", 1795700000 };
	struct notify_event b = a;
	b.state = "OK";
	b.previous = "CRITICAL";
	b.value = NULL;
	b.reason = "back to normal: 0.002";
	assert_int_equal(notify_post(n, &a), 0);
	assert_int_equal(notify_post(n, &b), 0);
	wait_done(n, 2, 10);
	uint64_t done, failed;
	notify_counts(n, &done, &failed);
	assert_int_equal(done, 2);
	assert_int_equal(failed, 0);
	notify_free(n);
	FILE *f = fopen(out, "r");
	assert_non_null(f);
	char line[512];
	assert_non_null(fgets(line, sizeof line, f));
	assert_string_equal(line,
			    "arg1|offset|CRITICAL|OK|chronyd|/run/chrony.sock|"
			    "sundial_daemon_offset_seconds|0.153|0.153 > 0.1 (crit)|1795700000|"
			    "home\n");
	assert_non_null(fgets(line, sizeof line, f));
	assert_string_equal(line, "arg1|offset|OK|CRITICAL|chronyd|/run/chrony.sock|"
				  "sundial_daemon_offset_seconds||back to normal: 0.002|1795700000|"
				  "home\n");
	assert_null(fgets(line, sizeof line, f));
	fclose(f);
	unsetenv("SUNDIAL_STATE");
}

static void failures_counted(void **st)
{
	(void)st;
	char path[128];
	/* killed after its timeout, with what it started */
	script("slow.sh", "sleep 30 & sleep 30", path, sizeof path);
	notifier *n = notify_new(path, NULL, 0.3);
	assert_non_null(n);
	struct notify_event e = { "a", "WARNING", "OK", "ntpd", "h", "m", "1", "r", 1 };
	time_t t0 = time(NULL);
	assert_int_equal(notify_post(n, &e), 0);
	wait_done(n, 1, 5);
	assert_true(time(NULL) - t0 < 4);
	uint64_t done, failed;
	notify_counts(n, &done, &failed);
	assert_int_equal(failed, 1);
	notify_free(n);

	/* a non-zero exit */
	script("fail.sh", "exit 3", path, sizeof path);
	n = notify_new(path, NULL, 5);
	assert_int_equal(notify_post(n, &e), 0);
	wait_done(n, 1, 5);
	notify_counts(n, &done, &failed);
	assert_int_equal(failed, 1);
	notify_free(n);

	/* a program that is not there */
	n = notify_new("/nonexistent/notify", NULL, 5);
	assert_non_null(n);
	assert_int_equal(notify_post(n, &e), 0);
	wait_done(n, 1, 5);
	notify_counts(n, &done, &failed);
	assert_int_equal(failed, 1);
	notify_free(n);
}

static void refusals(void **st)
{
	(void)st;
	assert_null(notify_new("relative/path", NULL, 5));
	assert_null(notify_new(NULL, NULL, 5));
	assert_null(notify_new("/bin/true", NULL, 0));
	assert_null(notify_new("/bin/true", NULL, -1));
	notify_free(NULL);

	/* a full queue refuses one more; freeing drops what waits */
	char path[128];
	script("block.sh", "sleep 0.5", path, sizeof path);
	notifier *n = notify_new(path, NULL, 5);
	struct notify_event e = { "a", "WARNING", "OK", "ntpd", "h", "m", "1", "r", 1 };
	int refused = 0;
	for (int i = 0; i < NOTIFY_QUEUE_MAX + 2; i++)
		if (notify_post(n, &e) == -ENOSPC)
			refused++;
	assert_in_range(refused, 1, 2); /* the worker may have taken one already */
	time_t t0 = time(NULL);
	notify_free(n);
	assert_true(time(NULL) - t0 < 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runs_once_each_in_order),
		cmocka_unit_test(failures_counted),
		cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
