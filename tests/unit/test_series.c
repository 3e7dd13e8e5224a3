/* test_series.c - the collector's series names: the source's own labels
 * first, extra labels in order, the RRD metric with one "@value" per extra
 * label, and refusals (too many labels, a name without a value, a metric
 * too long for its file: never truncated, so two series cannot share one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "collect/series.h"
#include "store/rrd.h"

static void plain(void **st)
{
	(void)st;
	struct collect_series s;
	assert_int_equal(collect_series_name(COLLECT_CHRONYD, "/run/chrony/chronyd.sock",
					     "sundial_daemon_stratum", NULL, &s),
			 0);
	assert_int_equal(s.n_labels, 2);
	assert_string_equal(s.label_names[0], "source");
	assert_string_equal(s.label_values[0], "chronyd");
	assert_string_equal(s.label_names[1], "target");
	assert_string_equal(s.label_values[1], "/run/chrony/chronyd.sock");
	assert_null(s.label_names[2]);
	assert_null(s.label_values[2]);
	assert_string_equal(s.rrd_metric, "sundial_daemon_stratum");
}

static void extra_labels(void **st)
{
	(void)st;
	struct collect_series s;
	const char *ex[] = { "chip", "coretemp", "sensor", "temp1", NULL };
	assert_int_equal(collect_series_name(COLLECT_HWMON, "/sys",
					     "sundial_hwmon_temperature_celsius", ex, &s),
			 0);
	assert_int_equal(s.n_labels, 4);
	assert_string_equal(s.label_values[0], "hwmon");
	assert_string_equal(s.label_names[2], "chip");
	assert_string_equal(s.label_values[3], "temp1");
	assert_null(s.label_names[4]);
	assert_string_equal(s.rrd_metric, "sundial_hwmon_temperature_celsius@coretemp@temp1");

	/* the same values name the same file; others another */
	struct collect_series u, v;
	const char *a[] = { "upstream", "192.0.2.1", NULL };
	const char *b[] = { "upstream", "192.0.2.2", NULL };
	assert_int_equal(collect_series_name(COLLECT_NTPD, "127.0.0.1",
					     "sundial_daemon_source_offset_seconds", a, &u),
			 0);
	assert_int_equal(collect_series_name(COLLECT_NTPD, "127.0.0.1",
					     "sundial_daemon_source_offset_seconds", b, &v),
			 0);
	assert_string_not_equal(u.rrd_metric, v.rrd_metric);
	assert_string_equal(u.rrd_metric, "sundial_daemon_source_offset_seconds@192.0.2.1");

	/* an empty value is a value */
	const char *e[] = { "device", "", NULL };
	assert_int_equal(
		collect_series_name(COLLECT_GPSD, "127.0.0.1:2947", "sundial_gps_hdop", e, &s), 0);
	assert_string_equal(s.rrd_metric, "sundial_gps_hdop@");
	assert_string_equal(s.label_values[2], "");
}

/* The file the store makes of it: '@' and '/' escaped, so a target or a
 * label value cannot reach outside the source's folder. */
static void file_names(void **st)
{
	(void)st;
	struct collect_series s;
	const char *ex[] = { "upstream", "../../etc/passwd", NULL };
	assert_int_equal(collect_series_name(COLLECT_NTPD, "127.0.0.1:123",
					     "sundial_daemon_source_delay_seconds", ex, &s),
			 0);
	char err[256];
	rrd_store *rs = rrd_store_open("/tmp/sundial-test-series", NULL, err, sizeof err);
	assert_non_null(rs);
	struct rrd_series_def d = { "ntpd", "127.0.0.1:123", s.rrd_metric, false, 60 };
	char path[1024];
	assert_true(rrd_store_path(rs, &d, path, sizeof path));
	assert_string_equal(path,
			    "/tmp/sundial-test-series/ntpd/127.0.0.1%3A123/"
			    "sundial_daemon_source_delay_seconds%40..%2F..%2Fetc%2Fpasswd.rrd");
	rrd_store_close(rs);
}

static void refusals(void **st)
{
	(void)st;
	struct collect_series s;
	/* six extra labels fit (8 in all), a seventh does not */
	const char *six[] = { "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6", NULL };
	assert_int_equal(collect_series_name(COLLECT_EXEC, "/bin/x", "sundial_exec_x", six, &s), 0);
	assert_int_equal(s.n_labels, METRICS_MAX_LABELS);
	assert_string_equal(s.rrd_metric, "sundial_exec_x@1@2@3@4@5@6");
	const char *seven[] = { "a", "1", "b", "2", "c", "3", "d", "4",
				"e", "5", "f", "6", "g", "7", NULL };
	assert_int_equal(collect_series_name(COLLECT_EXEC, "/bin/x", "sundial_exec_x", seven, &s),
			 -E2BIG);
	assert_int_equal(s.n_labels, 0);
	assert_null(s.label_names[0]);

	const char *novalue[] = { "upstream", NULL, NULL };
	assert_int_equal(collect_series_name(COLLECT_NTPD, "h", "m", novalue, &s), -EINVAL);
	assert_int_equal(collect_series_name(COLLECT_NTPD, "h", "", NULL, &s), -EINVAL);
	assert_int_equal(collect_series_name(COLLECT_NTPD, "h", NULL, NULL, &s), -EINVAL);
	assert_int_equal(collect_series_name(COLLECT_NTPD, "", "m", NULL, &s), -EINVAL);
	assert_int_equal(collect_series_name(COLLECT_NTPD, NULL, "m", NULL, &s), -EINVAL);

	/* long values: refused at the limit, never cut */
	char lv[300];
	memset(lv, 'x', sizeof lv - 1);
	lv[sizeof lv - 1] = '\0';
	const char *ex[] = { "upstream", lv, NULL };
	assert_int_equal(collect_series_name(COLLECT_NTPD, "h", "m", ex, &s), -ENAMETOOLONG);
	assert_string_equal(s.rrd_metric, "");
	/* "m@" + value = SERIES_METRIC_MAX - 1 octets fits; one more does not */
	lv[SERIES_METRIC_MAX - 3] = '\0';
	assert_int_equal(collect_series_name(COLLECT_NTPD, "h", "m", ex, &s), 0);
	assert_int_equal(strlen(s.rrd_metric), SERIES_METRIC_MAX - 1);
	lv[SERIES_METRIC_MAX - 3] = 'x';
	lv[SERIES_METRIC_MAX - 2] = '\0';
	assert_int_equal(collect_series_name(COLLECT_NTPD, "h", "m", ex, &s), -ENAMETOOLONG);
	char lf[SERIES_METRIC_MAX + 1];
	memset(lf, 'f', sizeof lf - 1);
	lf[sizeof lf - 1] = '\0';
	assert_int_equal(collect_series_name(COLLECT_NTPD, "h", lf, NULL, &s), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain),
		cmocka_unit_test(extra_labels),
		cmocka_unit_test(file_names),
		cmocka_unit_test(refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
