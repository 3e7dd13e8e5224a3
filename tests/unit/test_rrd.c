/* test_rrd.c - the RRD store (src/store/rrd.c), with the real rrdtool as
 * the oracle (`rrdtool info`, `rrdtool fetch`) and a real rrdcached started
 * by the test.  Each test works in its own mkdtemp folder (KEEP=1 keeps it).
 *
 * 1. A gauge with negative values, one sample per step for 20 steps, reads
 *    back exactly from the 1-step archive in AVERAGE, MIN and MAX.
 * 2. The archives of rrd.h for step 1, 60 and 300 (cf, pdp_per_row, rows of
 *    each rra[i]), the data source (type, heartbeat, minimum), folders 0750.
 * 3. A counter (DERIVE, min 0): the rate per second; a reset reads as
 *    unknown, not as a negative spike.
 * 4. An older or equal time (also within the same second, also after a
 *    reopen, when the last update comes from the file) is skipped and counted.
 * 5. A definition change (step 60 -> 30 in one store, GAUGE -> DERIVE after
 *    a reopen) keeps the old file under <metric>.<UTC time>[-N].rrd, with
 *    its data, and starts a new one.
 * 6. Path escaping: slashes, spaces, ':', '%', ".", "..", UTF-8; nothing is
 *    written outside the data folder.
 * 7. Errors with text: a data folder that cannot be made or written (as
 *    nobody when run as root), a folder in the way, a file that is not an
 *    RRD (librrd's text), bad steps and times.
 * 8. rrdcached (-g in the foreground, a child of the test): samples stay in
 *    its cache until rrd_store_close() flushes them; a second store reads
 *    the last update after a flush; a definition change flushes before the
 *    rename, and makes the daemon forget the old file's last update; a
 *    daemon that is not there gives an error with text.  On host:port, the
 *    paths sent are relative to the data folder (the daemon's -b).
 * rrdtool fetch prints each row at the END of its interval: the sample
 * written at time T is the row labelled T.  Without rrdtool or rrdcached
 * the tests skip, or fail when CI=true.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "store/rrd.h"

/* A multiple of 30, 60 and 300: 2023-11-14T22:10:00Z. */
#define T0 1699999800LL

static char tmpdir[256];
static pid_t daemon_pid = -1;

static int setup_tmp(void **state)
{
	(void)state;
	char buf[256], real[PATH_MAX];
	snprintf(buf, sizeof buf, "/tmp/test_rrd.XXXXXX");
	assert_non_null(mkdtemp(buf));
	/* rrdcached -B compares resolved paths */
	assert_non_null(realpath(buf, real));
	assert_true(strlen(real) < sizeof tmpdir);
	memcpy(tmpdir, real, strlen(real) + 1);
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
	clock_set_source(NULL);
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = -1;
	}
	const char *keep = getenv("KEEP");
	if (keep && strcmp(keep, "1") == 0) {
		printf("kept %s\n", tmpdir);
		return 0;
	}
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

static bool on_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[512];
	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
		if (access(buf, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* The oracles: rrdtool, and rrdcached for the daemon test. */
static void need_tools(bool with_daemon)
{
	bool ok = on_path("rrdtool") && (!with_daemon || on_path("rrdcached"));
	if (ok)
		return;
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "true") == 0)
		fail_msg("rrdtool or rrdcached is missing (CI=true): run scripts/install-deps");
	printf("rrdtool or rrdcached is missing: skipped (run scripts/install-deps)\n");
	skip();
}

static rrd_store *open_store(const char *sub, const char *daemon)
{
	char dir[512], err[512] = "";
	snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
	rrd_store *st = rrd_store_open(dir, daemon, err, sizeof err);
	if (!st)
		fail_msg("rrd_store_open(%s): %s", dir, err);
	return st;
}

static void put(rrd_store *st, const struct rrd_series_def *d, double t, double v)
{
	char err[512] = "";
	int rc = rrd_store_update(st, d, t, v, err, sizeof err);
	if (rc != 0)
		fail_msg("update at %.1f: %d %s", t, rc, err);
}

static void file_path(rrd_store *st, const struct rrd_series_def *d, char *buf, size_t len)
{
	assert_true(rrd_store_path(st, d, buf, len));
}

/* --- the oracle ------------------------------------------------------------ */

/* Runs cmd and returns its output (malloc'd); fails on a non-zero exit. */
static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	size_t r;
	while ((r = fread(out + n, 1, cap - 1 - n, p)) > 0) {
		n += r;
		if (n == cap - 1) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
	}
	out[n] = '\0';
	int status = pclose(p);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("%s: exit %d:\n%s", cmd, status, out);
	return out;
}

struct row {
	long long t;
	double v;
};

/* rrdtool fetch FILE CF -s START -e END: the rows, at most max. */
static size_t fetch(const char *file, const char *cf, long long s, long long e, struct row *rows,
		    size_t max)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "rrdtool fetch '%s' %s -s %lld -e %lld 2>&1", file, cf, s, e);
	char *out = run(cmd);
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		if (!colon || colon == line)
			continue;
		char *end;
		long long t = strtoll(line, &end, 10);
		if (end != colon)
			continue;
		assert_true(n < max);
		rows[n].t = t;
		rows[n].v = strtod(colon + 1, NULL);
		n++;
	}
	free(out);
	return n;
}

static double row_at(const struct row *rows, size_t n, long long t)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].t == t)
			return rows[i].v;
	fail_msg("no row at %lld", t);
	return 0;
}

struct rra {
	char cf[16];
	unsigned long pdp, rows;
};

struct info {
	unsigned long step;
	long long last;
	char type[16];
	unsigned long heartbeat;
	double min;
	struct rra rra[16];
	size_t n_rra;
};

static void info(const char *file, struct info *in)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "rrdtool info '%s' 2>&1", file);
	char *out = run(cmd);
	memset(in, 0, sizeof *in);
	in->min = 12345;
	char *save = NULL;
	for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t i;
		char key[64], val[128];
		if (sscanf(line, "rra[%zu].%63[^ ] = %127[^\n]", &i, key, val) == 3) {
			assert_true(i < 16);
			if (i + 1 > in->n_rra)
				in->n_rra = i + 1;
			if (strcmp(key, "cf") == 0)
				sscanf(val, "\"%15[^\"]\"", in->rra[i].cf);
			else if (strcmp(key, "pdp_per_row") == 0)
				in->rra[i].pdp = strtoul(val, NULL, 10);
			else if (strcmp(key, "rows") == 0)
				in->rra[i].rows = strtoul(val, NULL, 10);
		} else if (sscanf(line, "step = %lu", &in->step) == 1) {
		} else if (sscanf(line, "last_update = %lld", &in->last) == 1) {
		} else if (sscanf(line, "ds[value].type = \"%15[^\"]\"", in->type) == 1) {
		} else if (sscanf(line, "ds[value].minimal_heartbeat = %lu", &in->heartbeat) == 1) {
		} else if (strncmp(line, "ds[value].min = ", 16) == 0) {
			in->min = strtod(line + 16, NULL);
		}
	}
	free(out);
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* --- 1. a gauge ------------------------------------------------------------ */

static double gauge_value(int k)
{
	return 7.5 - 3.25 * k; /* exact in binary and in rrdtool's %.10e */
}

static void gauge_exact(void **state)
{
	(void)state;
	need_tools(false);
	rrd_store *st = open_store("data", NULL);
	struct rrd_series_def d = { "chronyd", "127.0.0.1", "sundial_ntp_offset_seconds", false,
				    60 };
	for (int k = 0; k <= 20; k++)
		put(st, &d, (double)(T0 + 60 * k), gauge_value(k));
	assert_int_equal(rrd_store_skipped(st), 0);
	char file[512];
	file_path(st, &d, file, sizeof file);
	assert_string_equal(file + strlen(tmpdir),
			    "/data/chronyd/127.0.0.1/sundial_ntp_offset_seconds.rrd");
	rrd_store_close(st);

	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	for (size_t c = 0; c < 3; c++) {
		struct row rows[64];
		size_t n = fetch(file, cfs[c], T0 - 60, T0 + 20 * 60, rows, 64);
		/* the first sample only starts the file: its step is unknown */
		assert_true(isnan(row_at(rows, n, T0)));
		for (int k = 1; k <= 20; k++) {
			double v = row_at(rows, n, T0 + 60 * k);
			if (v != gauge_value(k))
				fail_msg("%s at step %d: %.10g, want %.10g", cfs[c], k, v,
					 gauge_value(k));
		}
	}
	struct info in;
	info(file, &in);
	assert_int_equal(in.last, T0 + 20 * 60);
}

/* rrd_store_fetch() reads what rrdtool fetch reads: the same rows, the
 * first unknown; and refuses a bad function, a bad span, a missing series. */
static void fetch_like_rrdtool(void **state)
{
	(void)state;
	need_tools(false);
	rrd_store *st = open_store("data", NULL);
	struct rrd_series_def d = { "chronyd", "127.0.0.1", "sundial_ntp_offset_seconds", false,
				    60 };
	for (int k = 0; k <= 20; k++)
		put(st, &d, (double)(T0 + 60 * k), gauge_value(k));
	char file[512];
	file_path(st, &d, file, sizeof file);
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	for (size_t c = 0; c < 3; c++) {
		struct rrd_points p;
		char err[256] = "";
		assert_int_equal(rrd_store_fetch(st, &d, cfs[c], (double)(T0 - 60),
						 (double)(T0 + 20 * 60), &p, err, sizeof err),
				 0);
		struct row rows[64];
		size_t n = fetch(file, cfs[c], T0 - 60, T0 + 20 * 60, rows, 64);
		assert_true(p.step == 60);
		assert_int_equal(p.n, n);
		for (size_t i = 0; i < p.n; i++) {
			double t = p.start + p.step * (double)i;
			double want = row_at(rows, n, (long long)t);
			assert_true((isnan(want) && isnan(p.v[i])) || want == p.v[i]);
		}
		size_t i0 = (size_t)(((double)T0 - p.start) / p.step);
		assert_true(p.start + p.step * (double)i0 == (double)T0);
		assert_true(isnan(p.v[i0])); /* T0: the first sample only starts the file */
		assert_true(p.v[i0 + 1] == gauge_value(1));
		assert_true(p.v[i0 + 20] == gauge_value(20));
		rrd_points_free(&p);
	}
	struct rrd_points p;
	char err[256];
	assert_int_equal(rrd_store_fetch(st, &d, "LAST", T0, T0 + 60, &p, err, sizeof err),
			 -EINVAL);
	assert_int_equal(rrd_store_fetch(st, &d, "MAX", T0 + 60, T0, &p, err, sizeof err), -EINVAL);
	struct rrd_series_def none = { "chronyd", "127.0.0.1", "no_such_metric", false, 60 };
	assert_int_equal(rrd_store_fetch(st, &none, "MAX", T0, T0 + 60, &p, err, sizeof err),
			 -ENOENT);
	rrd_points_free(&p);
	rrd_store_close(st);
}

/* --- 2. the archives --------------------------------------------------------- */

static void check_plan(unsigned step, const unsigned long (*want)[2], size_t n_want)
{
	char sub[32];
	snprintf(sub, sizeof sub, "plan%u", step);
	rrd_store *st = open_store(sub, NULL);
	struct rrd_series_def d = { "src", "inst", "m", false, step };
	put(st, &d, (double)T0, 1.0);
	char file[512];
	file_path(st, &d, file, sizeof file);
	rrd_store_close(st);

	struct info in;
	info(file, &in);
	assert_int_equal(in.step, step);
	assert_string_equal(in.type, "GAUGE");
	assert_int_equal(in.heartbeat, 2 * step);
	assert_true(isnan(in.min)); /* gauges may be negative */
	if (in.n_rra != 3 * n_want)
		fail_msg("step %u: %zu archives, want %zu", step, in.n_rra, 3 * n_want);
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };
	for (size_t i = 0; i < in.n_rra; i++) {
		const struct rra *r = &in.rra[i];
		if (strcmp(r->cf, cfs[i % 3]) != 0 || r->pdp != want[i / 3][0] ||
		    r->rows != want[i / 3][1])
			fail_msg("step %u: rra[%zu] %s %lu x %lu, want %s %lu x %lu", step, i,
				 r->cf, r->pdp, r->rows, cfs[i % 3], want[i / 3][0],
				 want[i / 3][1]);
	}
}

static void archives_as_planned(void **state)
{
	(void)state;
	need_tools(false);
	/* 1 step for 2 days, 5 min for 14 days, 30 min for 62 days, 1 day for
	 * 1826 days: {pdp_per_row, rows} */
	static const unsigned long s1[][2] = {
		{ 1, 172800 }, { 300, 4032 }, { 1800, 2976 }, { 86400, 1826 }
	};
	static const unsigned long s60[][2] = {
		{ 1, 2880 }, { 5, 4032 }, { 30, 2976 }, { 1440, 1826 }
	};
	/* 1 step is also 5 minutes: one archive for 14 days */
	static const unsigned long s300[][2] = { { 1, 4032 }, { 6, 2976 }, { 288, 1826 } };
	check_plan(1, s1, 4);
	check_plan(60, s60, 4);
	check_plan(300, s300, 3);

	/* folders made 0750 */
	char dir[512];
	struct stat sb;
	snprintf(dir, sizeof dir, "%s/plan60/src", tmpdir);
	assert_int_equal(stat(dir, &sb), 0);
	mode_t mask = umask(0);
	umask(mask);
	assert_int_equal(sb.st_mode & 0777, 0750 & ~mask);
}

/* --- 3. a counter ------------------------------------------------------------ */

static void counter_rate_and_reset(void **state)
{
	(void)state;
	need_tools(false);
	rrd_store *st = open_store("data", NULL);
	struct rrd_series_def d = { "chronyd", "::1", "sundial_ntp_packets_total", true, 60 };
	/* rates: -, 10, 20, 0, 5, reset, 10 per second */
	static const double c[] = { 1000, 1600, 2800, 2800, 3100, 100, 700 };
	for (int k = 0; k < 7; k++)
		put(st, &d, (double)(T0 + 60 * k), c[k]);
	char file[512];
	file_path(st, &d, file, sizeof file);
	assert_string_equal(file + strlen(tmpdir),
			    "/data/chronyd/%3A%3A1/sundial_ntp_packets_total.rrd");
	rrd_store_close(st);

	struct info in;
	info(file, &in);
	assert_string_equal(in.type, "DERIVE");
	assert_true(in.min == 0.0);

	static const double want[] = { NAN, 10, 20, 0, 5, NAN, 10 };
	struct row rows[64];
	size_t n = fetch(file, "AVERAGE", T0 - 60, T0 + 6 * 60, rows, 64);
	for (int k = 0; k < 7; k++) {
		double v = row_at(rows, n, T0 + 60 * k);
		if (isnan(want[k]) ? !isnan(v) : v != want[k])
			fail_msg("rate at step %d: %g, want %g", k, v, want[k]);
	}
	/* MAX keeps no spike from the reset either */
	n = fetch(file, "MAX", T0, T0 + 6 * 60, rows, 64);
	assert_true(isnan(row_at(rows, n, T0 + 5 * 60)));
}

/* --- 4. skipped samples ------------------------------------------------------ */

static void old_times_skipped(void **state)
{
	(void)state;
	need_tools(false);
	rrd_store *st = open_store("data", NULL);
	struct rrd_series_def d = { "s", "i", "m", false, 60 };
	put(st, &d, (double)T0, 1);
	put(st, &d, (double)(T0 + 60), 2);
	assert_int_equal(rrd_store_skipped(st), 0);
	put(st, &d, (double)(T0 + 60), 3); /* equal */
	assert_int_equal(rrd_store_skipped(st), 1);
	put(st, &d, (double)(T0 + 30), 4); /* older */
	assert_int_equal(rrd_store_skipped(st), 2);
	put(st, &d, (double)T0 + 60.9, 5); /* the same second */
	assert_int_equal(rrd_store_skipped(st), 3);
	put(st, &d, (double)(T0 + 120), 6);
	assert_int_equal(rrd_store_skipped(st), 3);
	char file[512];
	file_path(st, &d, file, sizeof file);
	rrd_store_close(st);

	/* a new store learns the last update from the file */
	st = open_store("data", NULL);
	put(st, &d, (double)(T0 + 120), 7);
	assert_int_equal(rrd_store_skipped(st), 1);
	put(st, &d, (double)(T0 + 180), 8);
	assert_int_equal(rrd_store_skipped(st), 1);
	rrd_store_close(st);

	struct row rows[16];
	size_t n = fetch(file, "AVERAGE", T0, T0 + 180, rows, 16);
	assert_true(row_at(rows, n, T0 + 60) == 2);
	assert_true(row_at(rows, n, T0 + 120) == 6);
	assert_true(row_at(rows, n, T0 + 180) == 8);
}

/* --- 5. definition changes --------------------------------------------------- */

#define FAKE_NOW 1709618828 /* 2024-03-05T06:07:08Z */

static void fake_clock(clockid_t id, struct timespec *ts)
{
	(void)id;
	ts->tv_sec = FAKE_NOW;
	ts->tv_nsec = 0;
}

static void definition_change_kept(void **state)
{
	(void)state;
	need_tools(false);
	clock_set_source(fake_clock);
	rrd_store *st = open_store("data", NULL);
	struct rrd_series_def d = { "ntpd", "a b", "sundial_ntp_delay_seconds", false, 60 };
	for (int k = 0; k <= 3; k++)
		put(st, &d, (double)(T0 + 60 * k), -0.25 * k);
	char file[512], old1[600], old2[600];
	file_path(st, &d, file, sizeof file);
	snprintf(old1, sizeof old1, "%.*s.20240305T060708Z.rrd", (int)(strlen(file) - 4), file);
	snprintf(old2, sizeof old2, "%.*s.20240305T060708Z-1.rrd", (int)(strlen(file) - 4), file);

	/* step 60 -> 30 in the same store */
	d.step = 30;
	put(st, &d, (double)(T0 + 210), 9);
	put(st, &d, (double)(T0 + 240), 10);
	assert_true(exists(old1));
	struct info in;
	info(file, &in);
	assert_int_equal(in.step, 30);
	assert_int_equal(in.last, T0 + 240);
	info(old1, &in);
	assert_int_equal(in.step, 60);
	assert_int_equal(in.last, T0 + 180);
	struct row rows[16];
	size_t n = fetch(old1, "AVERAGE", T0, T0 + 180, rows, 16);
	assert_true(row_at(rows, n, T0 + 120) == -0.5);
	n = fetch(file, "AVERAGE", T0 + 210, T0 + 240, rows, 16);
	assert_true(row_at(rows, n, T0 + 240) == 10);
	rrd_store_close(st);

	/* GAUGE -> DERIVE found in the file by a new store; the dated name is
	 * taken, so -1 */
	st = open_store("data", NULL);
	d.counter = true;
	put(st, &d, (double)(T0 + 300), 100);
	put(st, &d, (double)(T0 + 330), 400);
	rrd_store_close(st);
	assert_true(exists(old1));
	assert_true(exists(old2));
	info(old2, &in);
	assert_string_equal(in.type, "GAUGE");
	assert_int_equal(in.step, 30);
	info(file, &in);
	assert_string_equal(in.type, "DERIVE");
	assert_int_equal(in.step, 30);
	n = fetch(file, "AVERAGE", T0 + 300, T0 + 330, rows, 16);
	assert_true(row_at(rows, n, T0 + 330) == 10);
}

/* --- 6. paths ---------------------------------------------------------------- */

static void path_escaping(void **state)
{
	(void)state;
	rrd_store *st = open_store("data/", NULL); /* the trailing '/' is dropped */
	static const struct {
		const char *source, *instance, *metric, *want;
	} k[] = {
		{ "chronyd", "127.0.0.1", "sundial_x_seconds",
		  "chronyd/127.0.0.1/sundial_x_seconds.rrd" },
		{ "a/b c", "fe80::1%eth0", "m", "a%2Fb%20c/fe80%3A%3A1%25eth0/m.rrd" },
		{ "..", ".", "..", "%2E%2E/%2E/%2E%2E.rrd" },
		{ "s", "../../etc", "a..b", "s/..%2F..%2Fetc/a..b.rrd" },
		{ "s", "h\xc3\xb4te-\xce\xa9", "x-y.z_1", "s/h%C3%B4te-%CE%A9/x-y.z_1.rrd" },
		{ "s", "tab\there", "new\nline", "s/tab%09here/new%0Aline.rrd" },
	};
	char buf[512], want[512];
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		struct rrd_series_def d = { k[i].source, k[i].instance, k[i].metric, false, 60 };
		snprintf(want, sizeof want, "%s/data/%s", tmpdir, k[i].want);
		assert_true(rrd_store_path(st, &d, buf, sizeof buf));
		assert_string_equal(buf, want);
		/* too small by one: false */
		assert_false(rrd_store_path(st, &d, buf, strlen(want)));
		assert_true(rrd_store_path(st, &d, buf, strlen(want) + 1));
	}
	struct rrd_series_def empty = { "s", "", "m", false, 60 };
	assert_false(rrd_store_path(st, &empty, buf, sizeof buf));
	empty.instance = NULL;
	assert_false(rrd_store_path(st, &empty, buf, sizeof buf));
	char err[512] = "";
	assert_int_equal(rrd_store_update(st, &empty, (double)T0, 1, err, sizeof err), -EINVAL);
	assert_true(err[0] != '\0');

	/* written where the path says, never outside the data folder */
	if (on_path("rrdtool")) {
		for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
			struct rrd_series_def d = { k[i].source, k[i].instance, k[i].metric, false,
						    60 };
			put(st, &d, (double)T0, 1);
			snprintf(want, sizeof want, "%s/data/%s", tmpdir, k[i].want);
			if (!exists(want))
				fail_msg("%s: not written", want);
		}
		char cmd[600];
		snprintf(cmd, sizeof cmd, "cd '%s' && find . -name '*.rrd' | wc -l", tmpdir);
		char *out = run(cmd);
		assert_int_equal(atoi(out), (int)(sizeof k / sizeof k[0]));
		free(out);
		snprintf(cmd, sizeof cmd,
			 "cd '%s' && find . -name '*.rrd' ! -path './data/*' | wc -l", tmpdir);
		out = run(cmd);
		assert_int_equal(atoi(out), 0);
		free(out);
	}
	rrd_store_close(st);
}

/* --- 7. errors --------------------------------------------------------------- */

/* Opens dir as the current user: NULL, and the message. */
static bool open_fails(const char *dir, char *err, size_t errlen)
{
	rrd_store *st = rrd_store_open(dir, NULL, err, errlen);
	if (st) {
		rrd_store_close(st);
		return false;
	}
	return true;
}

static void unwritable_datadir(void **state)
{
	(void)state;
	char dir[512], file[512], err[512] = "";

	/* a regular file in the way: even root cannot make it */
	snprintf(file, sizeof file, "%s/file", tmpdir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(dir, sizeof dir, "%s/file/data", tmpdir);
	assert_true(open_fails(dir, err, sizeof err));
	if (!strstr(err, dir) || !strstr(err, "Not a directory"))
		fail_msg("message: %s", err);
	err[0] = '\0';
	assert_true(open_fails(file, err, sizeof err));
	if (!strstr(err, file) || !strstr(err, "Not a directory"))
		fail_msg("message: %s", err);

	/* a read-only folder, and one that cannot be made in it */
	char ro[512], sub[512];
	snprintf(ro, sizeof ro, "%s/ro", tmpdir);
	snprintf(sub, sizeof sub, "%s/ro/data", tmpdir);
	assert_int_equal(mkdir(ro, 0555), 0);
	assert_int_equal(chmod(ro, 0555), 0);
	assert_int_equal(chmod(tmpdir, 0755), 0);
	if (geteuid() != 0) {
		err[0] = '\0';
		assert_true(open_fails(ro, err, sizeof err));
		if (!strstr(err, "not writable") || !strstr(err, "Permission denied"))
			fail_msg("message: %s", err);
		err[0] = '\0';
		assert_true(open_fails(sub, err, sizeof err));
		if (!strstr(err, "cannot create") || !strstr(err, "Permission denied"))
			fail_msg("message: %s", err);
		return;
	}
	/* root writes anywhere: try as nobody in a child */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		char e1[256] = "", e2[256] = "", msg[600];
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		bool ok = open_fails(ro, e1, sizeof e1) && open_fails(sub, e2, sizeof e2);
		int len = snprintf(msg, sizeof msg, "%s\n%s", e1, e2);
		ssize_t w = write(fds[1], msg, (size_t)len);
		_exit(ok && w > 0 ? 0 : 3);
	}
	close(fds[1]);
	char msg[600] = "";
	ssize_t r = read(fds[0], msg, sizeof msg - 1);
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("as nobody: exit %d: %s", WEXITSTATUS(status), msg);
	assert_true(r > 0);
	msg[r] = '\0';
	char *nl = strchr(msg, '\n');
	assert_non_null(nl);
	if (!strstr(msg, ro) || !strstr(msg, "not writable") || !strstr(msg, "Permission denied"))
		fail_msg("message: %s", msg);
	if (!strstr(nl, sub) || !strstr(nl, "cannot create") || !strstr(nl, "Permission denied"))
		fail_msg("message: %s", nl);
}

static void update_errors(void **state)
{
	(void)state;
	need_tools(false);
	rrd_store *st = open_store("data", NULL);
	char err[512] = "", path[512];
	int rc;

	/* a file where the source folder goes */
	snprintf(path, sizeof path, "%s/data/blocked", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	struct rrd_series_def d = { "blocked", "i", "m", false, 60 };
	rc = rrd_store_update(st, &d, (double)T0, 1, err, sizeof err);
	assert_int_equal(rc, -ENOTDIR);
	if (!strstr(err, path) || !strstr(err, "Not a directory"))
		fail_msg("message: %s", err);

	/* a file that is not an RRD: librrd's text */
	struct rrd_series_def g = { "s", "i", "garbage", false, 60 };
	put(st, &(struct rrd_series_def){ "s", "i", "other", false, 60 }, (double)T0, 1);
	assert_true(rrd_store_path(st, &g, path, sizeof path));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("this is not an RRD file\n", f);
	fclose(f);
	err[0] = '\0';
	rc = rrd_store_update(st, &g, (double)T0, 1, err, sizeof err);
	assert_int_equal(rc, -EIO);
	if (!strstr(err, path) || strlen(err) < strlen(path) + 20)
		fail_msg("message: %s", err);
	printf("librrd's text: %s\n", err);

	/* a file removed under a known series: created again */
	struct rrd_series_def o = { "s", "i", "other", false, 60 };
	assert_true(rrd_store_path(st, &o, path, sizeof path));
	assert_int_equal(unlink(path), 0);
	err[0] = '\0';
	rc = rrd_store_update(st, &o, (double)(T0 + 60), 2, err, sizeof err);
	assert_int_equal(rc, -EIO);
	assert_true(strstr(err, path) != NULL);
	put(st, &o, (double)(T0 + 120), 3);
	assert_true(exists(path));

	/* bad definitions and times */
	struct rrd_series_def b = { "s", "i", "m", false, 0 };
	err[0] = '\0';
	assert_int_equal(rrd_store_update(st, &b, (double)T0, 1, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "step 0"));
	b.step = 86401;
	assert_int_equal(rrd_store_update(st, &b, (double)T0, 1, err, sizeof err), -EINVAL);
	b.step = 60;
	assert_int_equal(rrd_store_update(st, &b, NAN, 1, err, sizeof err), -EINVAL);
	assert_int_equal(rrd_store_update(st, &b, -5, 1, err, sizeof err), -EINVAL);
	assert_int_equal(rrd_store_update(NULL, &b, (double)T0, 1, err, sizeof err), -EINVAL);
	assert_int_equal(rrd_store_skipped(NULL), 0);
	rrd_store_close(st);
	rrd_store_close(NULL);
	char e2[256] = "";
	assert_null(rrd_store_open("", NULL, e2, sizeof e2));
	assert_true(e2[0] != '\0');
}

/* --- 8. rrdcached ------------------------------------------------------------ */

/* Listens on sock, and on tcp ("127.0.0.1:port") unless NULL. */
static void start_rrdcached(const char *sock, const char *tcp)
{
	char pidfile[512];
	snprintf(pidfile, sizeof pidfile, "%s/rrdcached.pid", tmpdir);
	char listen[600];
	snprintf(listen, sizeof listen, "unix:%s", sock);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* -g: foreground; -F: flush at shutdown; -B: only under -b;
		 * the default -w 300 keeps samples in its cache */
		if (tcp)
			execlp("rrdcached", "rrdcached", "-g", "-F", "-B", "-b", tmpdir, "-l", tcp,
			       "-l", listen, "-p", pidfile, (char *)NULL);
		else
			execlp("rrdcached", "rrdcached", "-g", "-F", "-B", "-b", tmpdir, "-l",
			       listen, "-p", pidfile, (char *)NULL);
		_exit(127);
	}
	daemon_pid = pid;
	for (int i = 0; i < 500; i++) {
		if (exists(sock))
			return;
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			daemon_pid = -1;
			fail_msg("rrdcached exited with %d before listening", status);
		}
		usleep(10000);
	}
	fail_msg("rrdcached: no socket %s after 5 s", sock);
}

static void through_rrdcached(void **state)
{
	(void)state;
	need_tools(true);
	unsetenv("RRDCACHED_ADDRESS"); /* rrdtool reads the files themselves */
	char sock[512], addr[600];
	snprintf(sock, sizeof sock, "%s/rrdcached.sock", tmpdir);
	snprintf(addr, sizeof addr, "unix:%s", sock);
	start_rrdcached(sock, NULL);

	rrd_store *st = open_store("data", addr);
	struct rrd_series_def d = { "chronyd", "127.0.0.1", "sundial_ntp_offset_seconds", false,
				    60 };
	for (int k = 0; k <= 10; k++)
		put(st, &d, (double)(T0 + 60 * k), gauge_value(k));
	char file[512];
	file_path(st, &d, file, sizeof file);
	assert_true(exists(file)); /* made here, on the first sample */

	/* still in the daemon's cache */
	struct row rows[32];
	size_t n = fetch(file, "AVERAGE", T0, T0 + 600, rows, 32);
	assert_true(isnan(row_at(rows, n, T0 + 300)));

	/* a second store flushes before it reads the last update */
	rrd_store *st2 = open_store("data", addr);
	put(st2, &d, (double)(T0 + 600), 99);
	assert_int_equal(rrd_store_skipped(st2), 1);
	put(st2, &d, (double)(T0 + 660), gauge_value(11));
	assert_int_equal(rrd_store_skipped(st2), 1);
	n = fetch(file, "AVERAGE", T0, T0 + 600, rows, 32);
	for (int k = 1; k <= 10; k++)
		assert_true(row_at(rows, n, T0 + 60 * k) == gauge_value(k));

	put(st, &d, (double)(T0 + 720), gauge_value(12));
	rrd_store_close(st2);
	rrd_store_close(st); /* flushes */
	n = fetch(file, "AVERAGE", T0, T0 + 720, rows, 32);
	for (int k = 1; k <= 12; k++)
		if (row_at(rows, n, T0 + 60 * k) != gauge_value(k))
			fail_msg("step %d: %g, want %g", k, row_at(rows, n, T0 + 60 * k),
				 gauge_value(k));

	/* a definition change flushes the old file before keeping it */
	clock_set_source(fake_clock);
	st = open_store("data", addr);
	struct rrd_series_def c = { "s", "i", "m", false, 60 };
	for (int k = 0; k <= 3; k++)
		put(st, &c, (double)(T0 + 60 * k), gauge_value(k));
	c.counter = true;
	put(st, &c, (double)(T0 + 240), 1000);
	put(st, &c, (double)(T0 + 300), 1600);
	char newf[512], old[600];
	file_path(st, &c, newf, sizeof newf);
	snprintf(old, sizeof old, "%.*s.20240305T060708Z.rrd", (int)(strlen(newf) - 4), newf);
	n = fetch(old, "AVERAGE", T0, T0 + 180, rows, 32);
	for (int k = 1; k <= 3; k++)
		assert_true(row_at(rows, n, T0 + 60 * k) == gauge_value(k));
	rrd_store_close(st);
	n = fetch(newf, "AVERAGE", T0 + 240, T0 + 300, rows, 32);
	assert_true(row_at(rows, n, T0 + 300) == 10);

	/* back to a gauge, from a new store, at times before the last update
	 * of the file it replaces: the daemon must forget that one */
	st = open_store("data", addr);
	c.counter = false;
	put(st, &c, (double)(T0 + 60), 1.5);
	put(st, &c, (double)(T0 + 120), -2.5);
	rrd_store_close(st);
	n = fetch(newf, "AVERAGE", T0 + 60, T0 + 120, rows, 32);
	assert_true(row_at(rows, n, T0 + 120) == -2.5);
	snprintf(old, sizeof old, "%.*s.20240305T060708Z-1.rrd", (int)(strlen(newf) - 4), newf);
	assert_true(exists(old));

	/* nobody listening: an error with text */
	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
	daemon_pid = -1;
	char err[512] = "", dir[512];
	snprintf(dir, sizeof dir, "%s/data", tmpdir);
	assert_null(rrd_store_open(dir, addr, err, sizeof err));
	if (!strstr(err, "rrdcached") || !strstr(err, addr))
		fail_msg("message: %s", err);
}

/* A free TCP port on 127.0.0.1 (free when asked). */
static unsigned free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	socklen_t sl = sizeof sa;
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	close(s);
	return ntohs(sa.sin_port);
}

/* rrdcached on host:port: paths relative to the data folder, which is
 * its -b folder. */
static void through_rrdcached_tcp(void **state)
{
	(void)state;
	need_tools(true);
	unsetenv("RRDCACHED_ADDRESS");
	char sock[512], tcp[64];
	snprintf(sock, sizeof sock, "%s/rrdcached.sock", tmpdir);
	snprintf(tcp, sizeof tcp, "127.0.0.1:%u", free_port());
	start_rrdcached(sock, tcp);
	/* the Unix socket, waited for, is opened after the TCP one */

	char err[512] = "";
	rrd_store *st = rrd_store_open(tmpdir, tcp, err, sizeof err);
	if (!st)
		fail_msg("%s", err);
	struct rrd_series_def d = { "ntpd", "10.0.0.1", "sundial_ntp_offset_seconds", false, 60 };
	for (int k = 0; k <= 5; k++)
		put(st, &d, (double)(T0 + 60 * k), gauge_value(k));
	char file[512];
	file_path(st, &d, file, sizeof file);
	struct row rows[16];
	size_t n = fetch(file, "AVERAGE", T0, T0 + 300, rows, 16);
	assert_true(isnan(row_at(rows, n, T0 + 300))); /* in the daemon's cache */
	rrd_store_close(st);
	n = fetch(file, "AVERAGE", T0, T0 + 300, rows, 16);
	for (int k = 1; k <= 5; k++)
		assert_true(row_at(rows, n, T0 + 60 * k) == gauge_value(k));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(gauge_exact, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(fetch_like_rrdtool, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(archives_as_planned, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(counter_rate_and_reset, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(old_times_skipped, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(definition_change_kept, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(path_escaping, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(unwritable_datadir, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(update_errors, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(through_rrdcached, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(through_rrdcached_tcp, setup_tmp, teardown_tmp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
