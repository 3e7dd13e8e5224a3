/* test_graph.c - the graph catalogue and file finder (src/store/graph.c)
 * and drawing through librrd (rrd_store_graph() in src/store/rrd.c).
 * Each test works in its own mkdtemp folder (KEEP=1 keeps it).
 *
 * 1. The catalogue: every kind has graphs, ids unique per kind and of
 *    [a-z0-9_], texts present, the collector's two graphs last; an unknown
 *    kind gives NULL.  exec specs from metric names; bad names refused.
 * 2. Spans: names and seconds, parse round trip, anything else refused.
 * 3. graph_lines() on a folder of made-up names (empty files: it does not
 *    open them): labels unescaped and joined, natural order (192.0.2.9
 *    before 192.0.2.10, 5m before 1h), short names for files without labels,
 *    several families in order, dated files of a definition change skipped,
 *    hostile names (%zz, %00, lowercase and needless escapes, raw bytes,
 *    control characters, bad UTF-8, too long, folders) skipped, max.
 * 4. graph_each_source(): sorted pairs, unescaped; hostile names skipped.
 * 5. rrd_store_graph() on files written by rrd_store_update() under the
 *    collector's names: SVG ("<?xml", the title in <title>, XML-escaped),
 *    PNG (its signature), labels with ':', '\', '=' and '%'; errors:
 *    missing file -ENOENT, no lines / bad size / bad span -EINVAL, a file
 *    that is not an RRD -EIO with librrd's text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/snmp_profile.h"
#include "store/graph.h"
#include "store/rrd.h"

/* As in src/cmd/graph.c: fontconfig and pango keep their font caches. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n"
	       "leak:libpango\n";
}

/* 2023-11-14T22:10:00Z, a multiple of 60. */
#define T0 1699999800.0

static const char *const kinds[] = { "server", "ntpd", "chronyd", "gpsd", "capture",
				     "hwmon",  "exec", "snmp",	  "adsb" };

static char tmpdir[256];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_graph.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) == 0 ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	(void)state;
	const char *keep = getenv("KEEP");
	if (keep && strcmp(keep, "1") == 0) {
		printf("kept %s\n", tmpdir);
		return 0;
	}
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(mkdir(buf, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
	assert_true(mkdir(buf, 0755) == 0 || errno == EEXIST);
}

/* An empty file dir/name. */
static void touch(const char *dir, const char *name)
{
	char path[PATH_MAX * 2];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		fail_msg("cannot create %s", path);
	fclose(f);
}

static const struct graph_spec *spec_of(const char *kind, const char *id)
{
	size_t n;
	const struct graph_spec *g = graph_catalogue(kind, &n);
	assert_non_null(g);
	for (size_t i = 0; i < n; i++)
		if (strcmp(g[i].id, id) == 0)
			return &g[i];
	fail_msg("%s has no graph '%s'", kind, id);
	return NULL;
}

/* --- 1. the catalogue ----------------------------------------------------- */

static void test_catalogue(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		size_t n = 99;
		const struct graph_spec *g = graph_catalogue(kinds[k], &n);
		assert_non_null(g);
		assert_true(n >= 2);
		for (size_t i = 0; i < n; i++) {
			assert_non_null(g[i].id);
			assert_true(strlen(g[i].id) > 0);
			for (const char *p = g[i].id; *p; p++)
				if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
				      *p == '_'))
					fail_msg("%s: id '%s' has '%c'", kinds[k], g[i].id, *p);
			for (size_t j = 0; j < i; j++)
				if (strcmp(g[i].id, g[j].id) == 0)
					fail_msg("%s: id '%s' twice", kinds[k], g[i].id);
			assert_true(g[i].title && *g[i].title);
			assert_true(g[i].unit && *g[i].unit);
			assert_true(g[i].legend && strlen(g[i].legend) > 40);
			assert_non_null(g[i].metrics[0]);
			for (size_t m = 0; m < GRAPH_MAX_METRICS && g[i].metrics[m]; m++)
				assert_int_equal(strncmp(g[i].metrics[m], "sundial_", 8), 0);
			assert_true(g[i].scale > 0);
		}
		assert_string_equal(g[n - 2].id, "sample_time");
		assert_string_equal(g[n - 2].metrics[0], "sundial_collect_sample_seconds");
		assert_string_equal(g[n - 1].id, "up");
		assert_string_equal(g[n - 1].metrics[0], "sundial_collect_up");
		assert_true(g[n - 1].scale == 100);
	}
	/* a few that the collector's names must match */
	assert_string_equal(spec_of("chronyd", "offset")->metrics[0],
			    "sundial_daemon_offset_seconds");
	assert_true(spec_of("ntpd", "packets")->counter);
	assert_string_equal(spec_of("ntpd", "packets")->metrics[2],
			    "sundial_daemon_packets_dropped_total");
	assert_true(spec_of("chronyd", "reach")->scale == 100);
	assert_true(spec_of("server", "reachable")->scale == 100);
	assert_string_equal(spec_of("hwmon", "temperature")->unit, "\xC2\xB0"
								   "C");
	assert_true(spec_of("capture", "kernel_drops")->counter);
	assert_true(spec_of("adsb", "messages")->counter);
	assert_string_equal(spec_of("adsb", "messages")->metrics[0], "sundial_adsb_messages_total");
	assert_string_equal(spec_of("adsb", "aircraft")->metrics[1],
			    "sundial_adsb_aircraft_with_position");
	assert_true(spec_of("adsb", "range")->scale == 0.001);
	assert_string_equal(spec_of("adsb", "signal")->unit, "dBFS");
	assert_true(spec_of("adsb", "strong")->scale == 100);
	assert_false(spec_of("capture", "clients")->counter);

	/* The snmp graphs draw what the shipped profiles name (and the
	 * Meinberg refclock values the source derives). */
	struct snmp_profile pr[2];
	char err[1024];
	assert_int_equal(snmp_profile_load(TEST_DATA_DIR "/../../profiles/meinberg.profile", &pr[0],
					   err, sizeof err),
			 0);
	assert_int_equal(snmp_profile_load(TEST_DATA_DIR "/../../profiles/host.profile", &pr[1],
					   err, sizeof err),
			 0);
	size_t ns = 0;
	const struct graph_spec *sg = graph_catalogue("snmp", &ns);
	for (size_t i = 0; i + 2 < ns; i++) {
		for (size_t m = 0; m < GRAPH_MAX_METRICS && sg[i].metrics[m]; m++) {
			const char *want = sg[i].metrics[m];
			bool found = strstr(want, "_satellites_") ||
				     strstr(want, "_correlation_") ||
				     strstr(want, "_field_strength_");
			for (size_t k = 0; k < 2 && !found; k++) {
				for (size_t o = 0; o < pr[k].n_scalar && !found; o++)
					found = strcmp(pr[k].scalar[o].metric, want) == 0;
				for (size_t t = 0; t < pr[k].n_table && !found; t++)
					for (size_t c = 0; c < pr[k].table[t].n_col && !found; c++)
						found = strcmp(pr[k].table[t].col[c].metric,
							       want) == 0;
			}
			if (!found)
				fail_msg("snmp graph %s: no shipped profile object gives %s",
					 sg[i].id, want);
		}
	}
	snmp_profile_free(&pr[0]);
	snmp_profile_free(&pr[1]);

	size_t n = 99;
	assert_null(graph_catalogue("nosuch", &n));
	assert_int_equal(n, 0);
	n = 99;
	assert_null(graph_catalogue(NULL, &n));
	assert_int_equal(n, 0);
	assert_null(graph_catalogue("", NULL));
	assert_null(graph_catalogue("CHRONYD", NULL));
}

static void test_exec_spec(void **state)
{
	(void)state;
	struct graph_spec s;
	char buf[256];
	assert_true(graph_exec_spec("sundial_exec_Room_Temp2", &s, buf, sizeof buf));
	assert_string_equal(s.id, "exec_room_temp2");
	assert_string_equal(s.metrics[0], "sundial_exec_Room_Temp2");
	assert_null(s.metrics[1]);
	assert_non_null(strstr(s.title, "Room_Temp2"));
	assert_true(s.unit && *s.unit && s.legend && *s.legend);
	assert_true(s.scale == 1);
	assert_false(s.counter);
	/* the longest name an exec source allows fits in 256 bytes */
	char longname[128];
	snprintf(longname, sizeof longname, "sundial_exec_%s",
		 "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijk");
	assert_true(graph_exec_spec(longname, &s, buf, sizeof buf));
	assert_string_equal(s.metrics[0], longname);

	assert_false(graph_exec_spec("sundial_daemon_offset_seconds", &s, buf, sizeof buf));
	assert_false(graph_exec_spec("sundial_exec_", &s, buf, sizeof buf));
	assert_false(graph_exec_spec("sundial_exec_a-b", &s, buf, sizeof buf));
	assert_false(graph_exec_spec("sundial_exec_a@b", &s, buf, sizeof buf));
	assert_false(graph_exec_spec("sundial_exec_a.20240101T000000Z", &s, buf, sizeof buf));
	assert_false(graph_exec_spec("sundial_exec_x", &s, buf, 20));
	assert_false(graph_exec_spec(NULL, &s, buf, sizeof buf));
}

/* --- 2. spans ------------------------------------------------------------- */

static void test_spans(void **state)
{
	(void)state;
	static const char *const names[] = { "day", "week", "month", "year" };
	static const double secs[] = { 86400, 7 * 86400, 31 * 86400, 366 * 86400 };
	for (int i = 0; i < GRAPH_N_SPANS; i++) {
		enum graph_span s = GRAPH_YEAR;
		assert_string_equal(graph_span_name((enum graph_span)i), names[i]);
		assert_true(graph_span_seconds((enum graph_span)i) == secs[i]);
		assert_true(graph_span_parse(names[i], &s));
		assert_int_equal(s, i);
	}
	assert_int_equal(GRAPH_DAY, 0);
	enum graph_span s = GRAPH_WEEK;
	assert_false(graph_span_parse("all", &s));
	assert_false(graph_span_parse("Day", &s));
	assert_false(graph_span_parse("", &s));
	assert_false(graph_span_parse("days", &s));
	assert_false(graph_span_parse(NULL, &s));
	assert_int_equal(s, GRAPH_WEEK);
	assert_string_equal(graph_span_name((enum graph_span)7), "?");
	assert_true(graph_span_seconds((enum graph_span)7) == 0);
}

/* --- 3. graph_lines ------------------------------------------------------- */

static int lines_of(const char *source, const char *target, const struct graph_spec *spec,
		    struct graph_line *out, size_t max)
{
	return graph_lines(tmpdir, source, target, spec, out, max);
}

static void test_lines(void **state)
{
	(void)state;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/chronyd/127.0.0.1", tmpdir);
	mkdirs(dir);
	const char *fam = "sundial_daemon_source_offset_seconds";
	char name[PATH_MAX * 2];
	static const char *const good[] = { "192.0.2.10", "192.0.2.9", "192.0.2.1",
					    "time%3A%20a%3Db", "caf%C3%A9" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(name, sizeof name, "%s%%40%s.rrd", fam, good[i]);
		touch(dir, name);
	}
	/* dated files of a definition change */
	static const char *const retired[] = { ".20240101T000000Z", ".20240101T000000Z-2",
					       ".20991231T235959Z-17" };
	for (size_t i = 0; i < sizeof retired / sizeof retired[0]; i++) {
		snprintf(name, sizeof name, "%s%%40192.0.2.1%s.rrd", fam, retired[i]);
		touch(dir, name);
	}
	/* hostile or foreign names */
	static const char *const bad[] = {
		"%zz",
		"%4",
		"%00x",
		"%2f",
		"%41", /* needless: 'A' */
		"a b",
		"a@b",
		"%0A",
		"%7F",
		"%FF",
		"%C3",
		"%C2%80",
		"%ED%A0%80" /* a surrogate */,
		"%C0%AF" /* overlong '/' */,
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(name, sizeof name, "%s%%40%s.rrd", fam, bad[i]);
		touch(dir, name);
	}
	char longlabel[200];
	memset(longlabel, 'x', 150);
	longlabel[150] = '\0';
	snprintf(name, sizeof name, "%s%%40%s.rrd", fam, longlabel);
	touch(dir, name);
	touch(dir, "sundial_daemon_source_offset_secondsX.rrd");
	touch(dir, "sundial_daemon_source_offset_seconds%40x.rrd.tmp");
	touch(dir, "sundial_daemon_source_offset_seconds%40x.RRD");
	touch(dir, ".rrd");
	touch(dir, "sundial_daemon_source_jitter_seconds%40192.0.2.1.rrd");
	snprintf(name, sizeof name, "%s/%s%%40folder.rrd", dir, fam);
	mkdirs(name);

	struct graph_line l[GRAPH_MAX_LINES];
	const struct graph_spec *up = spec_of("chronyd", "upstream_offset");
	int n = lines_of("chronyd", "127.0.0.1", up, l, GRAPH_MAX_LINES);
	assert_int_equal(n, 5);
	assert_string_equal(l[0].label, "192.0.2.1");
	assert_string_equal(l[1].label, "192.0.2.9");
	assert_string_equal(l[2].label, "192.0.2.10");
	assert_string_equal(l[3].label, "caf\xC3\xA9");
	assert_string_equal(l[4].label, "time: a=b");
	snprintf(name, sizeof name, "%s/%s%%40192.0.2.1.rrd", dir, fam);
	assert_string_equal(l[0].path, name);

	/* at most max written, all counted */
	memset(l, 0, sizeof l);
	assert_int_equal(lines_of("chronyd", "127.0.0.1", up, l, 2), 5);
	assert_string_equal(l[1].label, "192.0.2.9");
	assert_string_equal(l[2].label, "");
	assert_int_equal(lines_of("chronyd", "127.0.0.1", up, NULL, 0), 5);

	/* other graphs of the folder: none yet, then short names in order */
	const struct graph_spec *root = spec_of("chronyd", "root");
	assert_int_equal(lines_of("chronyd", "127.0.0.1", root, l, GRAPH_MAX_LINES), 0);
	touch(dir, "sundial_daemon_root_dispersion_seconds.rrd");
	touch(dir, "sundial_daemon_root_delay_seconds.rrd");
	touch(dir, "sundial_daemon_root_delay_seconds.20240101T000000Z.rrd");
	assert_int_equal(lines_of("chronyd", "127.0.0.1", root, l, GRAPH_MAX_LINES), 2);
	assert_string_equal(l[0].label, "delay");
	assert_string_equal(l[1].label, "dispersion");
	const struct graph_spec *off = spec_of("chronyd", "offset");
	assert_int_equal(lines_of("chronyd", "127.0.0.1", off, l, GRAPH_MAX_LINES), 0);
	touch(dir, "sundial_daemon_offset_seconds.rrd");
	assert_int_equal(lines_of("chronyd", "127.0.0.1", off, l, GRAPH_MAX_LINES), 1);
	assert_string_equal(l[0].label, "offset");

	/* a trailing '/' on the data folder changes nothing */
	char withslash[PATH_MAX];
	snprintf(withslash, sizeof withslash, "%s//", tmpdir);
	assert_int_equal(graph_lines(withslash, "chronyd", "127.0.0.1", off, l, 1), 1);
	snprintf(name, sizeof name, "%s/sundial_daemon_offset_seconds.rrd", dir);
	assert_string_equal(l[0].path, name);

	/* gpsd: two families with a device label; a sensor's empty device */
	snprintf(dir, sizeof dir, "%s/gpsd/127.0.0.1%%3A2947", tmpdir);
	mkdirs(dir);
	touch(dir, "sundial_gps_satellites_used%40%2Fdev%2FttyS0.rrd");
	touch(dir, "sundial_gps_satellites_seen%40%2Fdev%2FttyS0.rrd");
	touch(dir, "sundial_gps_satellites_seen%40.rrd");
	assert_int_equal(lines_of("gpsd", "127.0.0.1:2947", spec_of("gpsd", "satellites"), l,
				  GRAPH_MAX_LINES),
			 3);
	assert_string_equal(l[0].label, "seen");
	assert_string_equal(l[1].label, "seen /dev/ttyS0");
	assert_string_equal(l[2].label, "used /dev/ttyS0");
	touch(dir, "sundial_gps_pps_offset_seconds%40%2Fdev%2FttyS0.rrd");
	assert_int_equal(
		lines_of("gpsd", "127.0.0.1:2947", spec_of("gpsd", "pps"), l, GRAPH_MAX_LINES), 1);
	assert_string_equal(l[0].label, "/dev/ttyS0");

	/* capture windows in time order; hwmon chip and sensor, numbers as numbers */
	snprintf(dir, sizeof dir, "%s/capture/eth0", tmpdir);
	mkdirs(dir);
	static const char *const win[] = { "24h", "1h", "5m", "20m" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(name, sizeof name, "sundial_traffic_clients%%40%s.rrd", win[i]);
		touch(dir, name);
	}
	assert_int_equal(
		lines_of("capture", "eth0", spec_of("capture", "clients"), l, GRAPH_MAX_LINES), 4);
	assert_string_equal(l[0].label, "5m");
	assert_string_equal(l[1].label, "20m");
	assert_string_equal(l[2].label, "1h");
	assert_string_equal(l[3].label, "24h");
	touch(dir, "sundial_traffic_response_p99_seconds.rrd");
	touch(dir, "sundial_traffic_response_p50_seconds.rrd");
	assert_int_equal(lines_of("capture", "eth0", spec_of("capture", "response_time"), l,
				  GRAPH_MAX_LINES),
			 2);
	assert_string_equal(l[0].label, "p50");
	assert_string_equal(l[1].label, "p99");
	touch(dir, "sundial_traffic_requests_per_second.rrd");
	assert_int_equal(
		lines_of("capture", "eth0", spec_of("capture", "rates"), l, GRAPH_MAX_LINES), 1);
	assert_string_equal(l[0].label, "requests");

	/* adsb at a URL: the units dBFS and meters come off the short names */
	char esc[512];
	assert_true(rrd_store_escape("http://127.0.0.1:8080/data", esc, sizeof esc));
	snprintf(dir, sizeof dir, "%s/adsb/%s", tmpdir, esc);
	mkdirs(dir);
	touch(dir, "sundial_adsb_noise_dbfs.rrd");
	touch(dir, "sundial_adsb_signal_peak_dbfs.rrd");
	touch(dir, "sundial_adsb_signal_dbfs.rrd");
	touch(dir, "sundial_adsb_max_range_meters.rrd");
	touch(dir, "sundial_adsb_aircraft.rrd");
	touch(dir, "sundial_adsb_aircraft_with_position.rrd");
	assert_int_equal(lines_of("adsb", "http://127.0.0.1:8080/data", spec_of("adsb", "signal"),
				  l, GRAPH_MAX_LINES),
			 3);
	assert_string_equal(l[0].label, "signal");
	assert_string_equal(l[1].label, "peak");
	assert_string_equal(l[2].label, "noise");
	assert_int_equal(lines_of("adsb", "http://127.0.0.1:8080/data", spec_of("adsb", "range"), l,
				  GRAPH_MAX_LINES),
			 1);
	assert_string_equal(l[0].label, "range");
	assert_int_equal(lines_of("adsb", "http://127.0.0.1:8080/data", spec_of("adsb", "aircraft"),
				  l, GRAPH_MAX_LINES),
			 2);
	assert_string_equal(l[0].label, "aircraft");
	assert_string_equal(l[1].label, "position");

	snprintf(dir, sizeof dir, "%s/hwmon/%%2Fsys", tmpdir);
	mkdirs(dir);
	touch(dir, "sundial_hwmon_temperature_celsius%40coretemp%40temp10.rrd");
	touch(dir, "sundial_hwmon_temperature_celsius%40coretemp%40temp2.rrd");
	touch(dir, "sundial_hwmon_temperature_celsius%40acpitz%40temp1.rrd");
	touch(dir, "sundial_hwmon_temperature_celsius%40acpitz%40%zz.rrd");
	assert_int_equal(
		lines_of("hwmon", "/sys", spec_of("hwmon", "temperature"), l, GRAPH_MAX_LINES), 3);
	assert_string_equal(l[0].label, "acpitz temp1");
	assert_string_equal(l[1].label, "coretemp temp2");
	assert_string_equal(l[2].label, "coretemp temp10");

	/* no folder; names that cannot be a folder */
	assert_int_equal(lines_of("chronyd", "192.0.2.99", up, l, GRAPH_MAX_LINES), -ENOENT);
	assert_int_equal(lines_of("nosuch", "127.0.0.1", up, l, GRAPH_MAX_LINES), -ENOENT);
	assert_int_equal(lines_of("chronyd", "", up, l, GRAPH_MAX_LINES), -ENOENT);
	char huge[5000];
	memset(huge, 'a', sizeof huge - 1);
	huge[sizeof huge - 1] = '\0';
	assert_int_equal(lines_of("chronyd", huge, up, l, GRAPH_MAX_LINES), -ENOENT);
	assert_int_equal(graph_lines("/nonexistent/sundial", "chronyd", "127.0.0.1", up, l, 1),
			 -ENOENT);
}

/* A folder holding more matching files than GRAPH_MAX_LINES, and names of
 * every length up to the file system's limit. */
static void test_lines_many(void **state)
{
	(void)state;
	char dir[PATH_MAX], name[512];
	snprintf(dir, sizeof dir, "%s/hwmon/many", tmpdir);
	mkdirs(dir);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "sundial_hwmon_temperature_celsius%%40chip%%40t%d.rrd",
			 39 - i);
		touch(dir, name);
	}
	for (size_t len = 1; len <= 255 - strlen("sundial_hwmon_temperature_celsius%40.rrd");
	     len += 7) {
		char label[256];
		memset(label, 'y', len);
		label[len] = '\0';
		snprintf(name, sizeof name, "sundial_hwmon_temperature_celsius%%40zz%s.rrd", label);
		touch(dir, name);
	}
	struct graph_line l[GRAPH_MAX_LINES];
	int n = lines_of("hwmon", "many", spec_of("hwmon", "temperature"), l, GRAPH_MAX_LINES);
	/* 40 + the labels that fit 127 bytes: "zz" + 1, 8, ..., 120 y's */
	assert_int_equal(n, 40 + 18);
	for (int i = 0; i < GRAPH_MAX_LINES; i++) {
		char want[32];
		snprintf(want, sizeof want, "chip t%d", i);
		assert_string_equal(l[i].label, want);
	}
}

/* --- 4. graph_each_source ------------------------------------------------- */

struct seen {
	char list[2048];
	size_t n;
};

static void collect_pair(void *arg, const char *source, const char *target)
{
	struct seen *s = arg;
	size_t used = strlen(s->list);
	snprintf(s->list + used, sizeof s->list - used, "%s|%s;", source, target);
	s->n++;
}

static void test_each_source(void **state)
{
	(void)state;
	char path[PATH_MAX];
	static const char *const folders[] = {
		"server/time.example.net",
		"server/192.0.2.10",
		"server/192.0.2.9",
		"chronyd/%2Frun%2Fchrony%2Fchronyd.sock",
		"chronyd/127.0.0.1",
		"hwmon/%2Fsys",
		"bad%zz/x",
		"chronyd/bad%2f",
		"chronyd/%2E%2E",
		"chronyd/%00",
	};
	for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", tmpdir, folders[i]);
		mkdirs(path);
	}
	snprintf(path, sizeof path, "%s/server", tmpdir);
	touch(path, "a-file-not-a-folder");
	touch(tmpdir, "stray.rrd");

	struct seen s;
	memset(&s, 0, sizeof s);
	assert_int_equal(graph_each_source(tmpdir, collect_pair, &s), 0);
	assert_string_equal(s.list, "chronyd|..;"
				    "chronyd|/run/chrony/chronyd.sock;"
				    "chronyd|127.0.0.1;"
				    "hwmon|/sys;"
				    "server|192.0.2.9;"
				    "server|192.0.2.10;"
				    "server|time.example.net;");
	assert_int_equal(s.n, 7);

	memset(&s, 0, sizeof s);
	assert_int_equal(graph_each_source("/nonexistent/sundial", collect_pair, &s), -ENOENT);
	snprintf(path, sizeof path, "%s/stray.rrd", tmpdir);
	assert_int_equal(graph_each_source(path, collect_pair, &s), -ENOENT);
	assert_int_equal(s.n, 0);
	snprintf(path, sizeof path, "%s/empty", tmpdir);
	mkdirs(path);
	assert_int_equal(graph_each_source(path, collect_pair, &s), 0);
	assert_int_equal(s.n, 0);
}

/* --- 5. drawing ----------------------------------------------------------- */

/* Writes a day of samples at step 60 for metric (the collector's name, '@'
 * and all) of chronyd 127.0.0.1, ending at T0. */
static void write_series(rrd_store *st, const char *metric, double base)
{
	char err[512] = "";
	struct rrd_series_def d = { "chronyd", "127.0.0.1", metric, false, 60 };
	for (int i = 1440; i >= 0; i--) {
		double t = T0 - 60.0 * i;
		double v = base + 1e-5 * (i % 17) - (i % 100 == 0 ? 1e-3 : 0);
		int rc = rrd_store_update(st, &d, t, v, err, sizeof err);
		if (rc != 0)
			fail_msg("%s: %d %s", metric, rc, err);
	}
}

static bool contains(const unsigned char *p, size_t n, const char *s)
{
	return memmem(p, n, s, strlen(s)) != NULL;
}

static void test_draw(void **state)
{
	(void)state;
	char err[1024] = "";
	rrd_store *st = rrd_store_open(tmpdir, NULL, err, sizeof err);
	if (!st)
		fail_msg("rrd_store_open: %s", err);
	write_series(st, "sundial_daemon_source_offset_seconds@192.0.2.1", 1e-4);
	write_series(st, "sundial_daemon_source_offset_seconds@ntp: a=b\\t 100%s", -2e-4);
	write_series(st, "sundial_daemon_source_offset_seconds@192.0.2.10", 0);
	rrd_store_close(st);

	/* the collector's names, found back */
	const struct graph_spec *up = spec_of("chronyd", "upstream_offset");
	struct graph_line l[GRAPH_MAX_LINES];
	int n = graph_lines(tmpdir, "chronyd", "127.0.0.1", up, l, GRAPH_MAX_LINES);
	assert_int_equal(n, 3);
	assert_string_equal(l[0].label, "192.0.2.1");
	assert_string_equal(l[1].label, "192.0.2.10");
	assert_string_equal(l[2].label, "ntp: a=b\\t 100%s");

	struct rrd_graph_line gl[GRAPH_MAX_LINES];
	for (int i = 0; i < n; i++) {
		gl[i].path = l[i].path;
		gl[i].label = l[i].label;
	}
	struct rrd_graph_req req = {
		.title = "Offsets: upstream & <friends>",
		.unit = "seconds",
		.legend = up->legend,
		.lines = gl,
		.n_lines = (size_t)n,
		.scale = 1,
		.start = T0 - 86400,
		.end = T0,
		.width = 400,
		.height = 100,
	};
	unsigned char *img = NULL;
	size_t len = 0;
	int rc = rrd_store_graph(&req, &img, &len, err, sizeof err);
	if (rc != 0)
		fail_msg("svg: %d %s", rc, err);
	assert_true(len > 1000);
	assert_memory_equal(img, "<?xml", 5);
	assert_true(contains(img, len, "<svg"));
	assert_true(contains(img, len, "<title>Offsets: upstream &amp; &lt;friends&gt;</title>"));
	assert_true(contains(img, len, "<desc>The offset the daemon measures"));
	assert_true(contains(img, len, "</svg>"));
	free(img);

	/* PNG, one line, a scale, a counter-free percentage */
	req.png = true;
	req.n_lines = 1;
	req.scale = 100;
	req.title = "Reach";
	req.unit = "%";
	req.legend = NULL;
	img = NULL;
	rc = rrd_store_graph(&req, &img, &len, err, sizeof err);
	if (rc != 0)
		fail_msg("png: %d %s", rc, err);
	assert_true(len > 100);
	assert_memory_equal(img, "\x89PNG\r\n\x1a\n", 8);
	free(img);

	/* a label of NULL is drawn under the file's name; no title or unit */
	struct rrd_graph_line bare = { l[0].path, NULL };
	struct rrd_graph_req req2 = { .lines = &bare,
				      .n_lines = 1,
				      .start = T0 - 3600,
				      .end = T0,
				      .width = 100,
				      .height = 50 };
	rc = rrd_store_graph(&req2, &img, &len, err, sizeof err);
	if (rc != 0)
		fail_msg("bare: %d %s", rc, err);
	free(img);

	/* errors */
	struct rrd_graph_line missing[2] = { { l[0].path, "here" },
					     { "/nonexistent/x.rrd", "gone" } };
	req.lines = missing;
	req.n_lines = 2;
	static unsigned char sentinel[] = "sentinel";
	img = sentinel;
	rc = rrd_store_graph(&req, &img, &len, err, sizeof err);
	assert_int_equal(rc, -ENOENT);
	assert_null(img);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, "/nonexistent/x.rrd"));

	req.lines = gl;
	req.n_lines = 0;
	assert_int_equal(rrd_store_graph(&req, &img, &len, err, sizeof err), -EINVAL);
	req.n_lines = 1;
	req.width = 99;
	assert_int_equal(rrd_store_graph(&req, &img, &len, err, sizeof err), -EINVAL);
	req.width = 400;
	req.height = 2001;
	assert_int_equal(rrd_store_graph(&req, &img, &len, err, sizeof err), -EINVAL);
	req.height = 100;
	req.start = T0;
	assert_int_equal(rrd_store_graph(&req, &img, &len, err, sizeof err), -EINVAL);
	req.start = T0 - 86400;
	assert_int_equal(rrd_store_graph(NULL, &img, &len, err, sizeof err), -EINVAL);

	/* a file that is not an RRD: librrd's text */
	char junk[PATH_MAX];
	snprintf(junk, sizeof junk, "%s/junk.rrd", tmpdir);
	FILE *f = fopen(junk, "w");
	assert_non_null(f);
	fputs("not an rrd file\n", f);
	fclose(f);
	struct rrd_graph_line bad = { junk, "junk" };
	req.lines = &bad;
	err[0] = '\0';
	rc = rrd_store_graph(&req, &img, &len, err, sizeof err);
	assert_int_equal(rc, -EIO);
	assert_null(img);
	assert_non_null(strstr(err, junk));
	printf("# a file that is not an RRD: %s\n", err);

	/* a folder in place of a file */
	struct rrd_graph_line folder = { tmpdir, "folder" };
	req.lines = &folder;
	assert_int_equal(rrd_store_graph(&req, &img, &len, err, sizeof err), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue),
		cmocka_unit_test(test_exec_spec),
		cmocka_unit_test(test_spans),
		cmocka_unit_test_setup_teardown(test_lines, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_lines_many, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_each_source, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_draw, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
