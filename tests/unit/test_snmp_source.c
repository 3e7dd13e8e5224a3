/* test_snmp_source.c - the pure parts of the collector's snmp source
 * (src/sources/snmp.c): an agent's value as a profile object's number,
 * label values from agent octets, and finding profiles by name and folder.
 * The source against a real agent is tests/system/collect_snmp.sh and
 * snmp_cli.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/snmp.h"

#define PROFILES_DIR TEST_DATA_DIR "/../../profiles"

static struct snmp_profile_object obj(enum snmp_profile_type t, double scale, bool ms)
{
	struct snmp_profile_object o;
	memset(&o, 0, sizeof o);
	o.type = t;
	o.scale = scale;
	o.ms_string = ms;
	return o;
}

static struct snmp_client_value val(enum snmp_client_type t, int64_t i, uint64_t u, const char *s)
{
	struct snmp_client_value v;
	memset(&v, 0, sizeof v);
	v.type = t;
	v.i = i;
	v.u = u;
	v.str = (char *)(uintptr_t)s; /* not freed here */
	v.str_len = s ? strlen(s) : 0;
	return v;
}

static void values(void **st)
{
	(void)st;
	double x;
	const char *why;
	struct snmp_profile_object g = obj(SNMP_PROFILE_GAUGE, 0.01, false);
	struct snmp_client_value v = val(SNMP_CLIENT_T_INTEGER, 95, 0, NULL);
	assert_true(snmp_source_value(&g, &v, &x, &why));
	assert_true(fabs(x - 0.95) < 1e-12); /* laLoadInt 95 -> 0.95 */
	v = val(SNMP_CLIENT_T_INTEGER, -7, 0, NULL);
	assert_true(snmp_source_value(&g, &v, &x, &why) && fabs(x + 0.07) < 1e-12);
	g.scale = 1024;
	v = val(SNMP_CLIENT_T_UNSIGNED, 0, 4294967295u, NULL);
	assert_true(snmp_source_value(&g, &v, &x, &why) && x == 4294967295.0 * 1024);
	v = val(SNMP_CLIENT_T_TIMETICKS, 0, 100, NULL);
	assert_true(snmp_source_value(&g, &v, &x, &why) && x == 102400);
	v = val(SNMP_CLIENT_T_STRING, 0, 0, "12");
	assert_false(snmp_source_value(&g, &v, &x, &why));
	assert_string_equal(why, "expected a number");
	v = val(SNMP_CLIENT_T_NO_SUCH_OBJECT, 0, 0, NULL);
	assert_false(snmp_source_value(&g, &v, &x, &why));
	v = val(SNMP_CLIENT_T_FLOAT, 0, 0, NULL);
	v.d = NAN;
	assert_false(snmp_source_value(&g, &v, &x, &why));

	/* counters: Counter32/64 and Unsigned32, never negative */
	struct snmp_profile_object c = obj(SNMP_PROFILE_COUNTER64, 1, false);
	v = val(SNMP_CLIENT_T_COUNTER64, 0, 98765432100ull, NULL);
	assert_true(snmp_source_value(&c, &v, &x, &why) && x == 98765432100.0);
	v = val(SNMP_CLIENT_T_COUNTER32, 0, 4294967295u, NULL);
	assert_true(snmp_source_value(&c, &v, &x, &why) && x == 4294967295.0);
	v = val(SNMP_CLIENT_T_INTEGER, -1, 0, NULL);
	assert_false(snmp_source_value(&c, &v, &x, &why));
	assert_string_equal(why, "expected a Counter32 or Counter64");
	v = val(SNMP_CLIENT_T_STRING, 0, 0, "5");
	assert_false(snmp_source_value(&c, &v, &x, &why));

	/* enums take INTEGER only */
	struct snmp_profile_object e = obj(SNMP_PROFILE_ENUM, 1, false);
	v = val(SNMP_CLIENT_T_INTEGER, 2, 0, NULL);
	assert_true(snmp_source_value(&e, &v, &x, &why) && x == 2);
	v = val(SNMP_CLIENT_T_UNSIGNED, 0, 2, NULL);
	assert_false(snmp_source_value(&e, &v, &x, &why));
	assert_string_equal(why, "expected an INTEGER");

	/* strings: 1 (the text goes into a label) */
	struct snmp_profile_object s = obj(SNMP_PROFILE_STRING, 1, false);
	v = val(SNMP_CLIENT_T_STRING, 0, 0, "GPS180");
	assert_true(snmp_source_value(&s, &v, &x, &why) && x == 1);
	v = val(SNMP_CLIENT_T_INTEGER, 1, 0, NULL);
	assert_false(snmp_source_value(&s, &v, &x, &why));

	/* Meinberg's offset string */
	struct snmp_profile_object m = obj(SNMP_PROFILE_GAUGE, 1, true);
	v = val(SNMP_CLIENT_T_STRING, 0, 0, "0.012 ms");
	assert_true(snmp_source_value(&m, &v, &x, &why) && fabs(x - 12e-6) < 1e-15);
	v = val(SNMP_CLIENT_T_STRING, 0, 0, "-1.5");
	assert_true(snmp_source_value(&m, &v, &x, &why) && fabs(x + 1.5e-3) < 1e-15);
	v = val(SNMP_CLIENT_T_STRING, 0, 0, "n/a");
	assert_true(snmp_source_value(&m, &v, &x, &why) && isnan(x)); /* no value, no error */
	v = val(SNMP_CLIENT_T_STRING, 0, 0, "12 parsecs");
	assert_false(snmp_source_value(&m, &v, &x, &why));
	assert_string_equal(why, "not a number of milliseconds");
	v = val(SNMP_CLIENT_T_INTEGER, 12, 0, NULL);
	assert_false(snmp_source_value(&m, &v, &x, &why));
}

static void labels(void **st)
{
	(void)st;
	char buf[SNMP_SOURCE_LABEL_MAX + 16];
	snmp_source_label("eth0", 4, buf, sizeof buf);
	assert_string_equal(buf, "eth0");
	snmp_source_label("", 0, buf, sizeof buf);
	assert_string_equal(buf, "");
	snmp_source_label("a\0b\n\x7f\xc3\xa9", 7, buf, sizeof buf);
	assert_string_equal(buf, "a?b????"); /* NUL, LF, DEL and UTF-8 octets */
	char big[300];
	memset(big, 'x', sizeof big);
	snmp_source_label(big, sizeof big, buf, sizeof buf);
	assert_int_equal(strlen(buf), SNMP_SOURCE_LABEL_MAX);
	char small[4];
	snmp_source_label("abcdef", 6, small, sizeof small);
	assert_string_equal(small, "abc");
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void profiles(void **st)
{
	(void)st;
	char a[] = "/tmp/sundial-prof-a.XXXXXX", b[] = "/tmp/sundial-prof-b.XXXXXX";
	assert_non_null(mkdtemp(a));
	assert_non_null(mkdtemp(b));
	char p[512], env[1100];
	snprintf(p, sizeof p, "%s/one.profile", a);
	write_file(p,
		   "profile one\ndescription \"first folder\"\nscalar x 1.3.6.1.2.1.1.3.0 gauge\n");
	snprintf(p, sizeof p, "%s/one.profile", b);
	write_file(
		p,
		"profile one\ndescription \"second folder\"\nscalar x 1.3.6.1.2.1.1.3.0 gauge\n");
	snprintf(p, sizeof p, "%s/alpha.profile", b);
	write_file(p, "profile alpha\nscalar y 1.3.6.1.2.1.1.3.0 gauge\n");
	snprintf(p, sizeof p, "%s/notes.txt", b);
	write_file(p, "not a profile\n");
	snprintf(env, sizeof env, "%s:%s:/nonexistent", a, b);
	setenv("SUNDIAL_PROFILES", env, 1);

	char path[2048];
	assert_string_equal(snmp_source_profile_path(path, sizeof path), env);

	struct snmp_profile *v;
	size_t n;
	char err[1024];
	/* by name: the first folder wins */
	assert_int_equal(snmp_source_profiles("one", &v, &n, err, sizeof err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].description, "first folder");
	snmp_source_profiles_free(v, n);
	/* all: sorted by name, a name once, other files ignored */
	assert_int_equal(snmp_source_profiles(NULL, &v, &n, err, sizeof err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "alpha");
	assert_string_equal(v[1].name, "one");
	assert_string_equal(v[1].description, "first folder");
	snmp_source_profiles_free(v, n);
	/* a path */
	snprintf(p, sizeof p, "%s/alpha.profile", b);
	assert_int_equal(snmp_source_profiles(p, &v, &n, err, sizeof err), 0);
	assert_string_equal(v[0].name, "alpha");
	snmp_source_profiles_free(v, n);
	/* none such: where it looked */
	assert_int_equal(snmp_source_profiles("nosuch", &v, &n, err, sizeof err), -ENOENT);
	assert_null(v);
	assert_non_null(strstr(err, "profile 'nosuch'"));
	assert_non_null(strstr(err, a));
	/* a broken one: file and line */
	snprintf(p, sizeof p, "%s/bad.profile", a);
	write_file(p, "profile bad\nscalar z 1.3 frobnicate\n");
	assert_int_equal(snmp_source_profiles("bad", &v, &n, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "bad.profile:2: "));
	assert_int_equal(snmp_source_profiles(NULL, &v, &n, err, sizeof err), -EINVAL);
	assert_null(v);
	assert_int_equal(n, 0);
	/* an empty search path */
	setenv("SUNDIAL_PROFILES", "/nonexistent", 1);
	assert_int_equal(snmp_source_profiles(NULL, &v, &n, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "no profiles"));

	/* the shipped ones: host is the fallback, meinberg is not */
	setenv("SUNDIAL_PROFILES", PROFILES_DIR, 1);
	assert_int_equal(snmp_source_profiles(NULL, &v, &n, err, sizeof err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "host");
	assert_true(v[0].fallback);
	assert_string_equal(v[1].name, "meinberg");
	assert_false(v[1].fallback);
	snmp_source_profiles_free(v, n);
	unsetenv("SUNDIAL_PROFILES");

	char cmd[1200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", a, b);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values),
		cmocka_unit_test(labels),
		cmocka_unit_test(profiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
