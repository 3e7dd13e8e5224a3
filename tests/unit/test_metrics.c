/* test_metrics.c - the metric registry (store/metrics): declaration rules
 * and their messages, series identity through the hash table, the reading
 * API, the exposition against golden text (escaping, UTF-8 repair, shortest
 * round-trip numbers, millisecond times), drop, 10,000 series against the
 * clock, and the whole exposition through Prometheus' own parser (promtool,
 * required when CI=true). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/metrics.h"

#define L(...) ((const char *const[]){ __VA_ARGS__, NULL })

static char *expo(const metrics *m)
{
	size_t len = 12345;
	char *s = metrics_prometheus(m, &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	return s;
}

static void expect_expo(const metrics *m, const char *want)
{
	char *got = expo(m);
	assert_string_equal(got, want);
	free(got);
}

/* A declaration that must fail with a message containing want. */
static void bad_family(const char *name, enum metric_type type, const char *const *labels,
		       const char *want)
{
	metrics *m = metrics_new();
	char err[256] = "";
	assert_null(metrics_family(m, name, "help", type, labels, err, sizeof err));
	if (!strstr(err, want))
		fail_msg("declaring '%s': message '%s' lacks '%s'", name, err, want);
	assert_int_equal(metrics_family_count(m), 0);
	metrics_free(m);
}

static void good_family(const char *name, enum metric_type type, const char *const *labels)
{
	metrics *m = metrics_new();
	char err[256] = "";
	if (!metrics_family(m, name, "help", type, labels, err, sizeof err))
		fail_msg("declaring '%s' failed: %s", name, err);
	metrics_free(m);
}

static void validation(void **st)
{
	(void)st;
	good_family("a", METRIC_GAUGE, NULL);
	good_family("_a", METRIC_GAUGE, L("x"));
	good_family("sundial:ntp:offset_seconds", METRIC_GAUGE, L("_x", "A9"));
	good_family("sundial_ntp_packets_total", METRIC_COUNTER, L("server"));
	good_family("x", METRIC_GAUGE, L("a", "b", "c", "d", "e", "f", "g", "h")); /* 8 */

	bad_family("", METRIC_GAUGE, NULL, "metric name '' is invalid");
	bad_family("1abc", METRIC_GAUGE, NULL, "metric name '1abc' is invalid");
	bad_family("a-b", METRIC_GAUGE, NULL, "[a-zA-Z_:][a-zA-Z0-9_:]*");
	bad_family("a b", METRIC_GAUGE, NULL, "is invalid");
	bad_family("caf\xc3\xa9", METRIC_GAUGE, NULL, "is invalid");
	bad_family("sundial_ntp_packets", METRIC_COUNTER, NULL,
		   "counter 'sundial_ntp_packets' must end in _total");
	bad_family("sundial_ntp_packets_totals", METRIC_COUNTER, NULL, "must end in _total");
	bad_family("x", METRIC_GAUGE, L("1a"), "label name '1a' is invalid");
	bad_family("x", METRIC_GAUGE, L("a-b"), "label name 'a-b' is invalid");
	bad_family("x", METRIC_GAUGE, L("a:b"), "label name 'a:b' is invalid");
	bad_family("x", METRIC_GAUGE, L(""), "label name '' is invalid");
	bad_family("x", METRIC_GAUGE, L("ok", "__name__"), "'__name__' is reserved");
	bad_family("x", METRIC_GAUGE, L("__"), "is reserved");
	bad_family("x", METRIC_GAUGE, L("a", "b", "c", "d", "e", "f", "g", "h", "i"),
		   "more than 8 labels");
	bad_family("x", METRIC_GAUGE, L("a", "b", "a"), "label 'a' given twice");
	bad_family(NULL, METRIC_GAUGE, NULL, "no name");

	/* A message is cut to fit, and err may be NULL. */
	metrics *m = metrics_new();
	char small[8];
	assert_null(metrics_family(m, "bad name", NULL, METRIC_GAUGE, NULL, small, sizeof small));
	assert_int_equal(strlen(small), 7);
	assert_null(metrics_family(m, "bad name", NULL, METRIC_GAUGE, NULL, NULL, 0));
	metrics_free(m);
}

static void redeclare(void **st)
{
	(void)st;
	metrics *m = metrics_new();
	char err[256] = "";
	metric_family *f = metrics_family(m, "sundial_x_seconds", "The x.", METRIC_GAUGE,
					  L("a", "b"), err, sizeof err);
	assert_non_null(f);
	assert_ptr_equal(metrics_family(m, "sundial_x_seconds", "The x.", METRIC_GAUGE, L("a", "b"),
					err, sizeof err),
			 f);

	assert_null(metrics_family(m, "sundial_x_seconds", "The x.", METRIC_COUNTER, L("a", "b"),
				   err, sizeof err));
	/* (a counter must end in _total: that is reported first) */
	assert_non_null(strstr(err, "must end in _total"));

	metric_family *c =
		metrics_family(m, "sundial_y_total", "Ys.", METRIC_COUNTER, NULL, err, sizeof err);
	assert_non_null(c);
	assert_null(
		metrics_family(m, "sundial_y_total", "Ys.", METRIC_GAUGE, NULL, err, sizeof err));
	assert_string_equal(err, "metric 'sundial_y_total' is already declared as a counter, "
				 "not a gauge");

	assert_null(metrics_family(m, "sundial_x_seconds", "The x.", METRIC_GAUGE, L("a"), err,
				   sizeof err));
	assert_string_equal(err, "metric 'sundial_x_seconds' is already declared with labels "
				 "(a, b), not (a)");
	assert_null(metrics_family(m, "sundial_x_seconds", "The x.", METRIC_GAUGE, L("b", "a"), err,
				   sizeof err));
	assert_string_equal(err, "metric 'sundial_x_seconds' is already declared with labels "
				 "(a, b), not (b, a)");
	assert_null(metrics_family(m, "sundial_x_seconds", "The x.", METRIC_GAUGE, NULL, err,
				   sizeof err));
	assert_string_equal(err, "metric 'sundial_x_seconds' is already declared with labels "
				 "(a, b), not ()");
	assert_null(metrics_family(m, "sundial_x_seconds", "Another x.", METRIC_GAUGE, L("a", "b"),
				   err, sizeof err));
	assert_string_equal(err, "metric 'sundial_x_seconds' is already declared with another "
				 "help text ('The x.')");
	/* NULL help is the empty help. */
	assert_non_null(metrics_family(m, "z", NULL, METRIC_GAUGE, NULL, err, sizeof err));
	assert_non_null(metrics_family(m, "z", "", METRIC_GAUGE, NULL, err, sizeof err));
	assert_int_equal(metrics_family_count(m), 3);
	metrics_free(m);
}

static void identity_and_reading(void **st)
{
	(void)st;
	metrics *m = metrics_new();
	char err[256];
	metric_family *f = metrics_family(m, "sundial_ntp_offset_seconds", "Offset.", METRIC_GAUGE,
					  L("source", "server"), err, sizeof err);
	metric_family *g =
		metrics_family(m, "sundial_up", "Up.", METRIC_GAUGE, NULL, err, sizeof err);
	assert_non_null(f);
	assert_non_null(g);

	char buf[2][16];
	snprintf(buf[0], sizeof buf[0], "chronyd");
	snprintf(buf[1], sizeof buf[1], "127.0.0.1");
	const char *v1[] = { buf[0], buf[1] };
	metric_series *a = metrics_series(f, v1);
	/* The values are copied: other buffers with the same text find it. */
	snprintf(buf[0], sizeof buf[0], "ntpd");
	assert_string_equal(metric_series_label_value(a, 0), "chronyd");
	assert_ptr_equal(metrics_series(f, L("chronyd", "127.0.0.1")), a);
	metric_series *b = metrics_series(f, L("ntpd", "127.0.0.1"));
	metric_series *c = metrics_series(f, L("127.0.0.1", "chronyd")); /* swapped */
	metric_series *d = metrics_series(f, L("chronyd127.0.0.1", ""));
	metric_series *e = metrics_series(f, L("", "chronyd127.0.0.1"));
	assert_true(a != b && a != c && a != d && a != e && b != c && d != e);
	assert_ptr_equal(metrics_series(f, L("ntpd", "127.0.0.1")), b);
	assert_ptr_equal(metrics_series(f, L("", "chronyd127.0.0.1")), e);
	/* Missing values read as "". */
	const char *const nulls[] = { NULL, NULL };
	metric_series *z = metrics_series(f, nulls);
	assert_ptr_equal(metrics_series(f, L("", "")), z);
	assert_ptr_equal(metrics_series(f, NULL), z);
	assert_null(metrics_series(NULL, NULL));

	metric_series *u = metrics_series(g, NULL);
	assert_ptr_equal(metrics_series(g, L("ignored")), u);
	assert_int_equal(metric_family_series_count(g), 1);

	/* The reading API. */
	assert_int_equal(metrics_family_count(m), 2);
	assert_ptr_equal(metrics_family_at(m, 0), f);
	assert_ptr_equal(metrics_family_at(m, 1), g);
	assert_null(metrics_family_at(m, 2));
	assert_string_equal(metric_family_name(f), "sundial_ntp_offset_seconds");
	assert_string_equal(metric_family_help(f), "Offset.");
	assert_int_equal(metric_family_type(f), METRIC_GAUGE);
	assert_int_equal(metric_family_label_count(f), 2);
	assert_int_equal(metric_family_label_count(g), 0);
	assert_string_equal(metric_family_label_name(f, 0), "source");
	assert_string_equal(metric_family_label_name(f, 1), "server");
	assert_null(metric_family_label_name(f, 2));
	assert_int_equal(metric_family_series_count(f), 6);
	const metric_series *order[] = { a, b, c, d, e, z };
	for (size_t i = 0; i < 6; i++) {
		assert_ptr_equal(metric_family_series_at(f, i), order[i]);
		assert_ptr_equal(metric_series_family(order[i]), f);
	}
	assert_null(metric_family_series_at(f, 6));
	assert_string_equal(metric_series_label_value(c, 0), "127.0.0.1");
	assert_string_equal(metric_series_label_value(c, 1), "chronyd");
	assert_null(metric_series_label_value(c, 2));

	double t = -1, v = -1;
	assert_false(metric_series_value(a, &t, &v));
	assert_true(t == -1 && v == -1);
	metrics_set(a, 1700000000.25, 0.5);
	assert_true(metric_series_value(a, &t, &v));
	assert_true(t == 1700000000.25 && v == 0.5);
	assert_true(metric_series_value(a, NULL, NULL));

	/* Nothing valued in g: exported without it; NULL registry: "". */
	expect_expo(m, "# HELP sundial_ntp_offset_seconds Offset.\n"
		       "# TYPE sundial_ntp_offset_seconds gauge\n"
		       "sundial_ntp_offset_seconds{source=\"chronyd\",server=\"127.0.0.1\"} 0.5 "
		       "1700000000250\n");
	expect_expo(NULL, "");
	metrics_free(m);
	metrics_free(NULL);
}

static void golden(void **st)
{
	(void)st;
	metrics *m = metrics_new();
	char err[256];
	expect_expo(m, "");
	metric_family *off =
		metrics_family(m, "sundial_ntp_offset_seconds", "Offset of the server's clock.",
			       METRIC_GAUGE, L("source", "server"), err, sizeof err);
	metric_family *pk = metrics_family(m, "sundial_ntp_packets_total", "Packets received.",
					   METRIC_COUNTER, NULL, err, sizeof err);
	metric_family *empty = metrics_family(m, "sundial_empty_ratio", "Never set.", METRIC_GAUGE,
					      L("x"), err, sizeof err);
	metric_family *temp = metrics_family(m, "sundial_temp_celsius", NULL, METRIC_GAUGE, NULL,
					     err, sizeof err);
	assert_true(off && pk && empty && temp);
	metrics_set(metrics_series(off, L("chronyd", "127.0.0.1")), 1700000000.5, 0.000123);
	metrics_series(off, L("chronyd", "no value"));
	metrics_set(metrics_series(off, L("ntpd", "::1")), 1700000001, -2.5e-7);
	metrics_series(empty, L("a"));
	metrics_set(metrics_series(pk, NULL), 1700000002.25, 42);
	metrics_set(metrics_series(temp, NULL), 1700000003, 21.5);
	expect_expo(m, "# HELP sundial_ntp_offset_seconds Offset of the server's clock.\n"
		       "# TYPE sundial_ntp_offset_seconds gauge\n"
		       "sundial_ntp_offset_seconds{source=\"chronyd\",server=\"127.0.0.1\"} "
		       "0.000123 1700000000500\n"
		       "sundial_ntp_offset_seconds{source=\"ntpd\",server=\"::1\"} -2.5e-7 "
		       "1700000001000\n"
		       "# HELP sundial_ntp_packets_total Packets received.\n"
		       "# TYPE sundial_ntp_packets_total counter\n"
		       "sundial_ntp_packets_total 42 1700000002250\n"
		       "# TYPE sundial_temp_celsius gauge\n"
		       "sundial_temp_celsius 21.5 1700000003000\n");

	/* A later sample replaces the earlier one. */
	metrics_set(metrics_series(pk, NULL), 1700000010, 43);
	char *s = expo(m);
	assert_non_null(strstr(s, "\nsundial_ntp_packets_total 43 1700000010000\n"));
	assert_null(strstr(s, " 42 "));
	free(s);
	metrics_free(m);
}

static void escaping(void **st)
{
	(void)st;
	metrics *m = metrics_new();
	char err[256];
	metric_family *f = metrics_family(m, "sundial_esc", "Back\\slash \"quoted\"\nsecond line",
					  METRIC_GAUGE, L("v"), err, sizeof err);
	assert_non_null(f);
	metrics_set(metrics_series(f, L("a\\b\"c\nd")), 1, 1);
	metrics_set(metrics_series(f, L("Z\xc3\xbcrich \xe2\x98\x83 \xf0\x9d\x84\x9e\r\t")), 1, 2);
	metrics_set(metrics_series(f, L("\\\\\"\"\n\n")), 1, 3);
	expect_expo(m, "# HELP sundial_esc Back\\\\slash \"quoted\"\\nsecond line\n"
		       "# TYPE sundial_esc gauge\n"
		       "sundial_esc{v=\"a\\\\b\\\"c\\nd\"} 1 1000\n"
		       "sundial_esc{v=\"Z\xc3\xbcrich \xe2\x98\x83 \xf0\x9d\x84\x9e\r\t\"} 2 1000\n"
		       "sundial_esc{v=\"\\\\\\\\\\\"\\\"\\n\\n\"} 3 1000\n");
	metrics_free(m);
}

#define FFFD "\xef\xbf\xbd"

static void invalid_utf8(void **st)
{
	(void)st;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "x\xffy", "x" FFFD "y" },
		{ "\xc3", FFFD },				/* truncated 2-byte */
		{ "\xe2\x98", FFFD },				/* truncated 3-byte: one */
		{ "\xe2\x98z", FFFD "z" },			/* ... before ASCII */
		{ "\xc0\xaf", FFFD FFFD },			/* overlong '/' */
		{ "\xe0\x80\xaf", FFFD FFFD FFFD },		/* overlong */
		{ "\xed\xa0\x80", FFFD FFFD FFFD },		/* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD },	/* above U+10FFFF */
		{ "\xf0\x9f\x98", FFFD },			/* truncated 4-byte */
		{ "\x80\xbf", FFFD FFFD },			/* lone continuations */
		{ "\xf5\xfe", FFFD FFFD },			/* never in UTF-8 */
		{ "ok\xf4\x8f\xbf\xbf", "ok\xf4\x8f\xbf\xbf" }, /* U+10FFFF is fine */
		{ "\xed\x9f\xbf", "\xed\x9f\xbf" },		/* U+D7FF is fine */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		metrics *m = metrics_new();
		char err[256];
		metric_family *f =
			metrics_family(m, "u", "h\xff", METRIC_GAUGE, L("v"), err, sizeof err);
		metric_series *s = metrics_series(f, L(cases[i].in));
		/* Stored repaired, so the JSON API gets UTF-8 too. */
		assert_string_equal(metric_series_label_value(s, 0), cases[i].out);
		assert_ptr_equal(metrics_series(f, L(cases[i].out)), s);
		metrics_set(s, 0, 1);
		char want[128];
		snprintf(want, sizeof want, "# HELP u h" FFFD "\n# TYPE u gauge\nu{v=\"%s\"} 1 0\n",
			 cases[i].out);
		expect_expo(m, want);
		metrics_free(m);
	}
	/* Values differing only in their invalid bytes are one series. */
	metrics *m = metrics_new();
	char err[256];
	metric_family *f = metrics_family(m, "u", NULL, METRIC_GAUGE, L("v"), err, sizeof err);
	assert_ptr_equal(metrics_series(f, L("a\xff")), metrics_series(f, L("a\xfe")));
	assert_int_equal(metric_family_series_count(f), 1);
	metrics_free(m);
}

/* The value field of a one-series exposition of v. */
static void value_text(double v, char *out, size_t len)
{
	metrics *m = metrics_new();
	char err[256];
	metric_family *f = metrics_family(m, "v", NULL, METRIC_GAUGE, NULL, err, sizeof err);
	metrics_set(metrics_series(f, NULL), 0, v);
	char *s = expo(m);
	const char *p = strstr(s, "\nv ");
	assert_non_null(p);
	p += 3;
	const char *q = strchr(p, ' ');
	assert_non_null(q);
	assert_string_equal(q, " 0\n");
	assert_true((size_t)(q - p) < len);
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	free(s);
	metrics_free(m);
}

static uint64_t rng_state;

static uint64_t next(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Significant digits of a printed number: first to last nonzero digit. */
static size_t sig_digits(const char *s)
{
	size_t n = 0, last = 0;
	for (; *s && *s != 'e'; s++) {
		if (*s < '0' || *s > '9' || (*s == '0' && n == 0))
			continue;
		n++;
		if (*s != '0')
			last = n;
	}
	return last;
}

static void values(void **st)
{
	(void)st;
	static const struct {
		double v;
		const char *text;
	} cases[] = {
		{ 0.1, "0.1" },
		{ 1e-9, "1e-9" },
		{ -2.5e-7, "-2.5e-7" },
		{ 123456789012345680.0, "123456789012345680" },
		{ 5e-324, "5e-324" },
		{ 0, "0" },
		{ -0.0, "0" },
		{ 1, "1" },
		{ -42, "-42" },
		{ 0.3, "0.3" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 2.0 / 3, "0.6666666666666666" },
		{ 123.456, "123.456" },
		{ 1e20, "100000000000000000000" },
		{ 1e21, "1e+21" },
		{ 1.5e-6, "0.0000015" },
		{ 1e-7, "1e-7" },
		{ 9007199254740993.0, "9007199254740992" }, /* 2^53 + 1 rounds down */
		{ DBL_MAX, "1.7976931348623157e+308" },
		{ -DBL_MIN, "-2.2250738585072014e-308" },
		{ 0.000123, "0.000123" },
		{ 1700000000.123, "1700000000.123" },
	};
	char out[64];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		value_text(cases[i].v, out, sizeof out);
		if (strcmp(out, cases[i].text) != 0)
			fail_msg("%.17g printed as '%s', want '%s'", cases[i].v, out,
				 cases[i].text);
	}

	/* Random doubles (every bit pattern that is finite) read back exactly,
	 * and one digit fewer would not. */
	rng_state = (uint64_t)time(NULL) | 1;
	printf("values: seed %" PRIu64 "\n", rng_state);
	for (int i = 0; i < 20000; i++) {
		uint64_t bits = next();
		double v;
		memcpy(&v, &bits, sizeof v);
		if (i % 2)
			v = (double)(int64_t)(bits >> (bits & 63)); /* integers */
		if (!isfinite(v))
			continue;
		value_text(v, out, sizeof out);
		double back = strtod(out, NULL);
		double want = v + 0.0;
		if (memcmp(&back, &want, sizeof back) != 0)
			fail_msg("%.17g printed as '%s' reads back as %.17g", v, out, back);
		size_t k = sig_digits(out);
		if (k > 1) {
			char shorter[40];
			snprintf(shorter, sizeof shorter, "%.*e", (int)k - 2, v);
			if (strtod(shorter, NULL) == v)
				fail_msg("%.17g printed as '%s', but '%s' reads back too", v, out,
					 shorter);
		}
	}
}

static void timestamps_and_bad_values(void **st)
{
	(void)st;
	metrics *m = metrics_new();
	char err[256];
	metric_family *g = metrics_family(m, "g", NULL, METRIC_GAUGE, NULL, err, sizeof err);
	metric_family *c =
		metrics_family(m, "c_total", NULL, METRIC_COUNTER, NULL, err, sizeof err);
	metric_series *gs = metrics_series(g, NULL), *cs = metrics_series(c, NULL);
	double t, v;

	static const struct {
		double t;
		const char *ms;
	} ts[] = {
		{ 1700000000.123, "1700000000123" },
		{ 1700000000.1234, "1700000000123" },
		{ 1700000000.9996, "1700000001000" },
		{ 0, "0" },
		{ 0.001, "1" },
		{ -1.5, "-1500" },
		{ 9.1e15, "9100000000000000000" },
	};
	for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
		metrics_set(gs, ts[i].t, 7);
		char want[128];
		snprintf(want, sizeof want, "# TYPE g gauge\ng 7 %s\n", ts[i].ms);
		expect_expo(m, want);
	}

	/* Non-finite values, and times that do not fit, clear the value until
	 * the next good sample. */
	static const double bad_v[] = { NAN, -NAN, INFINITY, -INFINITY };
	for (size_t i = 0; i < 4; i++) {
		metrics_set(gs, 100, 1);
		assert_true(metric_series_value(gs, NULL, NULL));
		metrics_set(gs, 100, bad_v[i]);
		assert_false(metric_series_value(gs, &t, &v));
		expect_expo(m, "");
	}
	static const double bad_t[] = { NAN, INFINITY, -INFINITY, 9.3e15, -9.3e15 };
	for (size_t i = 0; i < 5; i++) {
		metrics_set(gs, 100, 1);
		metrics_set(gs, bad_t[i], 1);
		assert_false(metric_series_value(gs, &t, &v));
		expect_expo(m, "");
	}

	/* Counters are never negative; gauges may be. */
	metrics_set(cs, 5, 10);
	metrics_set(cs, 6, -1);
	assert_false(metric_series_value(cs, &t, &v));
	metrics_set(cs, 7, -0.0);
	assert_true(metric_series_value(cs, &t, &v));
	assert_true(v == 0 && !signbit(v) && t == 7);
	metrics_set(cs, 8, 0); /* a reset */
	metrics_set(gs, 9, -3.25);
	expect_expo(m, "# TYPE g gauge\ng -3.25 9000\n# TYPE c_total counter\nc_total 0 8000\n");
	metrics_set(cs, 10, -5);
	expect_expo(m, "# TYPE g gauge\ng -3.25 9000\n");
	metrics_set(NULL, 1, 1); /* ignored */
	metrics_free(m);
}

static void drop(void **st)
{
	(void)st;
	metrics *m = metrics_new();
	char err[256];
	metric_family *f = metrics_family(m, "d", "D.", METRIC_GAUGE, L("i"), err, sizeof err);
	metric_family *g = metrics_family(m, "e", "E.", METRIC_GAUGE, NULL, err, sizeof err);
	enum { N = 300 };
	metric_series *s[N];
	char name[N][8];
	for (int i = 0; i < N; i++) {
		snprintf(name[i], sizeof name[i], "%d", i);
		s[i] = metrics_series(f, L(name[i]));
		metrics_set(s[i], i, i);
	}
	metrics_set(metrics_series(g, NULL), 1, 1);
	for (int i = 0; i < N; i += 3)
		metrics_drop(s[i]);
	assert_int_equal(metric_family_series_count(f), N - N / 3);
	/* The others keep their order and are still found. */
	size_t k = 0;
	for (int i = 0; i < N; i++) {
		if (i % 3 == 0)
			continue;
		assert_ptr_equal(metric_family_series_at(f, k), s[i]);
		assert_ptr_equal(metrics_series(f, L(name[i])), s[i]);
		k++;
	}
	/* A dropped series comes back new, without a value, at the end. */
	metric_series *again = metrics_series(f, L("0"));
	assert_false(metric_series_value(again, NULL, NULL));
	assert_ptr_equal(metric_family_series_at(f, N - N / 3), again);
	assert_int_equal(metric_family_series_count(f), N - N / 3 + 1);

	/* An exported series disappears from the exposition. */
	char *x = expo(m);
	assert_non_null(strstr(x, "\nd{i=\"1\"} 1 1000\n"));
	assert_null(strstr(x, "d{i=\"0\"}"));
	assert_null(strstr(x, "d{i=\"3\"}"));
	free(x);

	/* A family without series exports nothing but stays declared. */
	metrics_drop(again);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = N - 1; i >= 0; i--)
			if (i % 3 && i % 2 == pass)
				metrics_drop(s[i]);
		if (pass == 0) /* the chains still hold the others */
			assert_ptr_equal(metrics_series(f, L(name[N - 1])), s[N - 1]);
	}
	assert_int_equal(metric_family_series_count(f), 0);
	assert_int_equal(metrics_family_count(m), 2);
	expect_expo(m, "# HELP e E.\n# TYPE e gauge\ne 1 1000\n");
	metrics_drop(NULL);
	/* and takes new ones */
	metrics_set(metrics_series(f, L("new")), 2, 2);
	expect_expo(m, "# HELP d D.\n# TYPE d gauge\nd{i=\"new\"} 2 2000\n"
		       "# HELP e E.\n# TYPE e gauge\ne 1 1000\n");
	metrics_free(m);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void many_series(void **st)
{
	(void)st;
	enum { N = 10000 };
	double t0 = now();
	metrics *m = metrics_new();
	char err[256];
	metric_family *f = metrics_family(m, "sundial_ntp_offset_seconds", "Offset.", METRIC_GAUGE,
					  L("source", "server"), err, sizeof err);
	metric_family *c = metrics_family(m, "sundial_ntp_packets_total", "Packets.",
					  METRIC_COUNTER, L("server"), err, sizeof err);
	static metric_series *s[N];
	for (int i = 0; i < N; i++) {
		char server[64];
		snprintf(server, sizeof server, "192.0.%d.%d", i / 256, i % 256);
		s[i] = metrics_series(f, L(i % 2 ? "chronyd" : "ntpd", server));
		metrics_set(s[i], 1700000000 + i * 0.001, (i - N / 2) * 1.234567e-6);
		metrics_set(metrics_series(c, L(server)), 1700000000, i);
	}
	for (int i = 0; i < N; i++) {
		char server[64];
		snprintf(server, sizeof server, "192.0.%d.%d", i / 256, i % 256);
		assert_ptr_equal(metrics_series(f, L(i % 2 ? "chronyd" : "ntpd", server)), s[i]);
	}
	assert_int_equal(metric_family_series_count(f), N);
	size_t len;
	char *x = metrics_prometheus(m, &len);
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += x[i] == '\n';
	assert_int_equal(lines, 2 * N + 4);
	free(x);
	metrics_free(m);
	double dt = now() - t0;
	printf("many_series: %d+%d series made, looked up and exported in %.3f s\n", N, N, dt);
	assert_true(dt < 1.0);
}

/* A registry with everything the exposition can hold. */
static char *rich(void)
{
	metrics *m = metrics_new();
	char err[256];
	metric_family *off = metrics_family(
		m, "sundial_ntp_offset_seconds",
		"Offset of the server's clock \\ relative to ours,\nin seconds (\"theta\").",
		METRIC_GAUGE, L("source", "server", "refid"), err, sizeof err);
	metric_family *pk = metrics_family(m, "sundial_ntp_packets_total", "Packets received.",
					   METRIC_COUNTER, L("server"), err, sizeof err);
	metric_family *up = metrics_family(m, "sundial_source_up", "1 if the source answers.",
					   METRIC_GAUGE, NULL, err, sizeof err);
	metric_family *tmp =
		metrics_family(m, "sundial_gps_temperature_celsius", "Receiver temperature \xff.",
			       METRIC_GAUGE, L("device"), err, sizeof err);
	metric_family *none = metrics_family(m, "sundial_unset_ratio", "Never set.", METRIC_GAUGE,
					     L("x"), err, sizeof err);
	assert_true(off && pk && up && tmp && none);
	static const double vals[] = { 0.1,    1e-9,	-2.5e-7,  123456789012345680.0,
				       5e-324, DBL_MAX, -DBL_MAX, 0,
				       -0.0,   1e21,	1e-7,	  -1.5e-6 };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		char server[32];
		snprintf(server, sizeof server, "192.0.2.%zu", i);
		metrics_set(metrics_series(off, L(i % 2 ? "chronyd" : "ntpd", server, "GPS")),
			    1700000000.001 * (double)(i + 1), vals[i]);
		metrics_set(metrics_series(pk, L(server)), 1700000000, (double)i * 1e15);
	}
	metrics_set(metrics_series(off, L("weird", "a\\b\"c\nd", "\xe2\x98\x83\xf0\x9f\x98")), 1,
		    1);
	metrics_set(metrics_series(off, L("", "", "")), 0, 2);
	metrics_series(off, L("valueless", "x", "y"));
	metrics_set(metrics_series(pk, L("dropped")), 1, 1);
	metrics_drop(metrics_series(pk, L("dropped")));
	metrics_set(metrics_series(up, NULL), 1700000000.5, 1);
	metrics_set(metrics_series(tmp, L("/dev/ttyS0")), 1700000000, -12.75);
	metrics_series(none, L("x"));
	char *s = expo(m);
	metrics_free(m);
	return s;
}

/* Runs promtool check metrics on text; returns its exit status and its
 * output (stdout and stderr) in out. */
static int promtool(const char *text, char *out, size_t outlen)
{
	char path[] = "/tmp/test_metrics.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	unlink(path);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void with_promtool(void **st)
{
	(void)st;
	if (system("command -v promtool >/dev/null 2>&1") != 0) {
		const char *ci = getenv("CI");
		if (ci && strcmp(ci, "true") == 0)
			fail_msg("promtool is missing (CI=true): scripts/install-deps installs "
				 "the prometheus package");
		printf("promtool is missing: skipped (scripts/install-deps installs it)\n");
		skip();
	}
	char out[8192];
	/* The oracle works: it refuses what it must refuse. */
	assert_int_not_equal(promtool("sundial_x{a=\"\xff\"} 1\n", out, sizeof out), 0);
	assert_int_not_equal(promtool("sundial_x{a=\"b} 1\n", out, sizeof out), 0);

	char *text = rich();
	int rc = promtool(text, out, sizeof out);
	/* promtool exits 3 on any lint warning, so "clean" is exit 0 and no
	 * output at all; print what it said otherwise. */
	if (rc != 0 || out[0]) {
		printf("%s", text);
		fail_msg("promtool check metrics: exit %d, said:\n%s", rc, out);
	}
	/* The rich exposition really is rich. */
	assert_non_null(strstr(text, "5e-324"));
	assert_non_null(strstr(text, "\\\"c\\nd"));
	assert_non_null(strstr(text, "\xe2\x98\x83" FFFD));
	assert_null(strstr(text, "valueless"));
	assert_null(strstr(text, "dropped"));
	assert_null(strstr(text, "sundial_unset_ratio"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(validation),
		cmocka_unit_test(redeclare),
		cmocka_unit_test(identity_and_reading),
		cmocka_unit_test(golden),
		cmocka_unit_test(escaping),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(values),
		cmocka_unit_test(timestamps_and_bad_values),
		cmocka_unit_test(drop),
		cmocka_unit_test(many_series),
		cmocka_unit_test(with_promtool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
