/* test_snmp_profile.c - SNMP profile files and Meinberg refclock status
 * (src/sources/snmp_profile.c).
 *
 * 1. The shipped profiles (profiles/ in the source tree) parse, with the
 *    objects, metric names, enums and options the issue asks for.
 * 2. Every directive and option, read back from a profile text.
 * 3. Malformed lines, each rejected with "t.profile:LINE: " and a message
 *    saying what was expected.
 * 4. Every metric name of the shipped profiles is a valid Prometheus name
 *    with the suffix its type gives.
 * 5. The ms-string parser with good, bad and hostile strings.
 * 6. StatusA/StatusB per receiver kind; enum labels.
 * 7. Random profiles built from valid and invalid words (10,000) that must
 *    never crash and, when accepted, keep the invariants.  The seed is
 *    printed; TEST_SEED=<n> replays it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/conf.h"
#include "sources/snmp_profile.h"

#define ERRLEN 1024
#define PROFILES_DIR TEST_DATA_DIR "/../../profiles"

static uint64_t test_seed;

/* Parses text as the file "t.profile" into *p; returns the result. */
static int parse(const char *text, struct snmp_profile *p, char *err)
{
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, text, len);
	memset(err, 'X', ERRLEN);
	err[ERRLEN - 1] = '\0';
	int rc = -22;
	memset(p, 0, sizeof *p);
	conf *c = conf_parse("t.profile", copy, len, err, ERRLEN);
	free(copy);
	if (c) {
		rc = snmp_profile_from(c, p, err, ERRLEN);
		conf_free(c);
	}
	return rc;
}

static const struct snmp_profile_object *find_scalar(const struct snmp_profile *p, const char *name)
{
	for (size_t i = 0; i < p->n_scalar; i++)
		if (strcmp(p->scalar[i].name, name) == 0)
			return &p->scalar[i];
	fail_msg("no scalar %s", name);
	return NULL;
}

static const struct snmp_profile_table *find_table(const struct snmp_profile *p, const char *name)
{
	for (size_t i = 0; i < p->n_table; i++)
		if (strcmp(p->table[i].name, name) == 0)
			return &p->table[i];
	fail_msg("no table %s", name);
	return NULL;
}

static const struct snmp_profile_object *find_col(const struct snmp_profile_table *t,
						  const char *name)
{
	for (size_t i = 0; i < t->n_col; i++)
		if (strcmp(t->col[i].name, name) == 0)
			return &t->col[i];
	fail_msg("no column %s in %s", name, t->name);
	return NULL;
}

static void expect_oid(const struct snmp_profile_oid *o, const char *dotted)
{
	struct snmp_profile_oid want;
	assert_true(snmp_profile_oid_parse(dotted, &want));
	assert_int_equal(o->len, want.len);
	assert_memory_equal(o->arc, want.arc, want.len * sizeof *want.arc);
}

/* [a-zA-Z_:][a-zA-Z0-9_:]* (Prometheus' metric name syntax), and ours:
 * sundial_snmp_ then lower case words joined by single '_'. */
static void expect_metric_name(const struct snmp_profile_object *o)
{
	const char *m = o->metric;
	assert_true(strncmp(m, "sundial_snmp_", 13) == 0);
	for (const char *c = m; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			fail_msg("metric %s has '%c'", m, *c);
	assert_null(strstr(m, "__"));
	assert_true(m[strlen(m) - 1] != '_');
	size_t n = strlen(m);
	bool total = n > 6 && strcmp(m + n - 6, "_total") == 0;
	bool info = n > 5 && strcmp(m + n - 5, "_info") == 0;
	bool counter = o->type == SNMP_PROFILE_COUNTER || o->type == SNMP_PROFILE_COUNTER64;
	assert_int_equal(total, counter);
	assert_int_equal(info, o->type == SNMP_PROFILE_STRING);
	if (o->unit[0]) {
		char suffix[40];
		snprintf(suffix, sizeof suffix, "_%s%s", o->unit, counter ? "_total" : "");
		assert_true(n > strlen(suffix) && strcmp(m + n - strlen(suffix), suffix) == 0);
	}
}

static void expect_all_metric_names(const struct snmp_profile *p)
{
	for (size_t i = 0; i < p->n_scalar; i++)
		expect_metric_name(&p->scalar[i]);
	for (size_t t = 0; t < p->n_table; t++)
		for (size_t k = 0; k < p->table[t].n_col; k++)
			expect_metric_name(&p->table[t].col[k]);
}

/* ---- 1. the shipped profiles ---- */

static void test_shipped_meinberg(void **state)
{
	(void)state;
	struct snmp_profile p;
	char err[ERRLEN];
	int rc = snmp_profile_load(PROFILES_DIR "/meinberg.profile", &p, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_string_equal(p.name, "meinberg");
	assert_non_null(p.description);
	assert_int_equal(p.n_detect, 2);
	assert_true(p.detect[0].sysobjectid);
	expect_oid(&p.detect[0].oid, "1.3.6.1.4.1.5597");
	assert_false(p.detect[1].sysobjectid);
	assert_int_equal(p.n_legacy, 1);
	expect_oid(&p.legacy[0].oid, "1.3.6.1.4.1.5597.3.0.1.0");
	assert_string_equal(p.legacy[0].name, "MBG-SNMP-LT-MIB");

	const struct snmp_profile_object *o = find_scalar(&p, "firmware");
	assert_int_equal(o->type, SNMP_PROFILE_STRING);
	assert_string_equal(o->metric, "sundial_snmp_meinberg_firmware_info");
	expect_oid(&o->oid, "1.3.6.1.4.1.5597.30.0.0.2.0");

	o = find_scalar(&p, "ntp_state");
	assert_int_equal(o->type, SNMP_PROFILE_ENUM);
	assert_string_equal(snmp_profile_enum_label(o, 2), "synchronized");
	assert_string_equal(snmp_profile_enum_label(o, 1), "notSynchronized");
	assert_null(snmp_profile_enum_label(o, 3));

	o = find_scalar(&p, "ntp_stratum");
	expect_oid(&o->oid, "1.3.6.1.4.1.5597.30.0.2.2.0");
	assert_string_equal(find_scalar(&p, "ntp_refclock")->metric,
			    "sundial_snmp_meinberg_ntp_refclock_info");

	o = find_scalar(&p, "ntp_refclock_offset");
	assert_true(o->ms_string);
	assert_string_equal(o->unit, "seconds");
	assert_string_equal(o->metric, "sundial_snmp_meinberg_ntp_refclock_offset_seconds");

	o = find_scalar(&p, "ntp_requests");
	assert_int_equal(o->type, SNMP_PROFILE_COUNTER64);
	assert_string_equal(o->metric, "sundial_snmp_meinberg_ntp_requests_total");
	expect_oid(&find_scalar(&p, "ntp_clients_today")->oid, "1.3.6.1.4.1.5597.30.0.2.8.8.0");

	o = find_scalar(&p, "temperature");
	expect_oid(&o->oid, "1.3.6.1.4.1.5597.30.0.5.2.1.0");
	assert_string_equal(o->metric, "sundial_snmp_meinberg_temperature_celsius");

	const struct snmp_profile_table *t = find_table(&p, "refclock");
	expect_oid(&t->entry, "1.3.6.1.4.1.5597.30.0.1.2.1");
	assert_string_equal(t->label, "refclock");
	assert_int_equal(t->key, 0);
	expect_oid(&find_col(t, "type")->oid, "1.3.6.1.4.1.5597.30.0.1.2.1.2");
	o = find_col(t, "usage");
	assert_string_equal(snmp_profile_enum_label(o, 3), "primary");
	o = find_col(t, "state");
	assert_string_equal(snmp_profile_enum_label(o, 1), "synchronized");
	assert_string_equal(o->metric, "sundial_snmp_meinberg_refclock_state");
	o = find_col(t, "substate");
	assert_string_equal(snmp_profile_enum_label(o, -1), "mrsRefNone");
	assert_string_equal(snmp_profile_enum_label(o, 162), "mrsDcf77PzfSync");
	assert_string_equal(snmp_profile_enum_label(o, 52), "lwSync");
	assert_string_equal(snmp_profile_enum_label(o, 167), "mrsSyncE");
	assert_null(snmp_profile_enum_label(o, 7));
	expect_oid(&find_col(t, "statusa")->oid, "1.3.6.1.4.1.5597.30.0.1.2.1.6");
	expect_oid(&find_col(t, "statusb")->oid, "1.3.6.1.4.1.5597.30.0.1.2.1.8");
	expect_all_metric_names(&p);
	snmp_profile_free(&p);
	snmp_profile_free(&p); /* twice: zeroed */
}

static void test_shipped_host(void **state)
{
	(void)state;
	struct snmp_profile p;
	char err[ERRLEN];
	int rc = snmp_profile_load(PROFILES_DIR "/host.profile", &p, err, sizeof err);
	if (rc != 0)
		fail_msg("%s", err);
	assert_string_equal(p.name, "host");
	const struct snmp_profile_object *o = find_scalar(&p, "load1");
	assert_true(o->scale == 0.01);
	expect_oid(&o->oid, "1.3.6.1.4.1.2021.10.1.5.1");
	o = find_scalar(&p, "swap_size");
	assert_true(o->optional);
	assert_true(o->scale == 1024);
	assert_string_equal(o->metric, "sundial_snmp_host_swap_size_bytes");
	find_scalar(&p, "swap_available");
	find_scalar(&p, "memory_size");
	find_scalar(&p, "memory_available");
	assert_int_equal(find_scalar(&p, "cpu_idle")->type, SNMP_PROFILE_COUNTER);

	const struct snmp_profile_table *t = find_table(&p, "interface");
	assert_string_equal(t->label, "interface");
	assert_true(t->key > 0);
	assert_string_equal(t->col[t->key - 1].name, "name");
	assert_true(t->col[t->key - 1].hidden);
	o = find_col(t, "receive");
	assert_int_equal(o->type, SNMP_PROFILE_COUNTER64);
	expect_oid(&o->oid, "1.3.6.1.2.1.31.1.1.1.6");
	assert_string_equal(o->metric, "sundial_snmp_host_interface_receive_bytes_total");
	expect_oid(&find_col(t, "transmit")->oid, "1.3.6.1.2.1.31.1.1.1.10");

	t = find_table(&p, "storage");
	o = find_col(t, "size");
	assert_true(o->mul > 0);
	assert_string_equal(t->col[o->mul - 1].name, "unit_size");
	assert_true(find_col(t, "unit_size")->hidden);
	find_col(find_table(&p, "processor"), "load");
	expect_all_metric_names(&p);
	snmp_profile_free(&p);
}

/* ---- 2. every directive ---- */

static void test_directives(void **state)
{
	(void)state;
	static const char text[] =
		"# a comment\n"
		"profile demo\n"
		"description \"a demo # not a comment\"\n"
		"detect .1.3.6.1.4.1.99\n"
		"detect sysobjectid 1.3.6.1.4.1.99.1\n"
		"legacy 1.3.6.1.4.1.99.2 OLD-MIB\n"
		"scalar up 1.3.6.1.4.1.99.3.0 gauge unit seconds scale 0.01 optional\n"
		"scalar hits 1.3.6.1.4.1.99.4.0 counter\n"
		"scalar bytes_in 1.3.6.1.4.1.99.5.0 counter64 unit bytes scale 1e3\n"
		"scalar version 1.3.6.1.4.1.99.6.0 string hidden\n"
		"scalar mode 1.3.6.1.4.1.99.7.0 enum enum 2=b,1=a,-5=neg_x optional\n"
		"scalar offset 1.3.6.1.4.1.99.8.0 gauge parse ms-string unit seconds\n"
		"table port 1.3.6.1.4.1.99.9.1 port key name\n"
		"  column name 2 string\n"
		"  column blocks 3 gauge hidden\n"
		"  column size 4 gauge unit bytes mul blocks\n"
		"  column in 5 counter64 unit bytes\n"
		"table fan 1.3.6.1.4.1.99.10.1 fan\n"
		"  column speed 4294967295 gauge unit hertz\n"
		"fallback\n";
	struct snmp_profile p;
	char err[ERRLEN];
	if (parse(text, &p, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(p.name, "demo");
	assert_string_equal(p.description, "a demo # not a comment");
	assert_string_equal(p.file, "t.profile");
	assert_true(p.fallback);
	assert_int_equal(p.n_detect, 2);
	expect_oid(&p.detect[0].oid, "1.3.6.1.4.1.99");
	assert_false(p.detect[0].sysobjectid);
	assert_true(p.detect[1].sysobjectid);
	assert_int_equal(p.n_legacy, 1);
	assert_string_equal(p.legacy[0].name, "OLD-MIB");
	assert_int_equal(p.n_scalar, 6);

	const struct snmp_profile_object *o = find_scalar(&p, "up");
	assert_int_equal(o->type, SNMP_PROFILE_GAUGE);
	assert_true(o->scale == 0.01);
	assert_true(o->optional);
	assert_false(o->hidden);
	assert_int_equal(o->line, 7);
	assert_string_equal(o->metric, "sundial_snmp_demo_up_seconds");
	o = find_scalar(&p, "hits");
	assert_string_equal(o->metric, "sundial_snmp_demo_hits_total");
	assert_true(o->scale == 1);
	o = find_scalar(&p, "bytes_in");
	assert_string_equal(o->metric, "sundial_snmp_demo_bytes_in_bytes_total");
	assert_true(o->scale == 1000);
	o = find_scalar(&p, "version");
	assert_string_equal(o->metric, "sundial_snmp_demo_version_info");
	assert_true(o->hidden);
	o = find_scalar(&p, "mode");
	assert_int_equal(o->n_enums, 3);
	assert_true(o->enums[0].value == -5 && o->enums[1].value == 1 && o->enums[2].value == 2);
	assert_string_equal(snmp_profile_enum_label(o, -5), "neg_x");
	assert_string_equal(snmp_profile_enum_label(o, 1), "a");
	assert_string_equal(snmp_profile_enum_label(o, 2), "b");
	assert_null(snmp_profile_enum_label(o, 0));
	assert_null(snmp_profile_enum_label(o, 3));
	assert_null(snmp_profile_enum_label(o, -6));
	assert_string_equal(o->metric, "sundial_snmp_demo_mode");
	o = find_scalar(&p, "offset");
	assert_true(o->ms_string);
	assert_string_equal(o->metric, "sundial_snmp_demo_offset_seconds");

	assert_int_equal(p.n_table, 2);
	const struct snmp_profile_table *t = find_table(&p, "port");
	assert_int_equal(t->n_col, 4);
	assert_int_equal(t->key, 1);
	assert_true(t->col[0].hidden);
	o = find_col(t, "size");
	assert_int_equal(o->mul, 2);
	expect_oid(&o->oid, "1.3.6.1.4.1.99.9.1.4");
	assert_string_equal(o->metric, "sundial_snmp_demo_port_size_bytes");
	assert_string_equal(find_col(t, "in")->metric, "sundial_snmp_demo_port_in_bytes_total");
	t = find_table(&p, "fan");
	assert_int_equal(t->key, 0);
	expect_oid(&t->col[0].oid, "1.3.6.1.4.1.99.10.1.4294967295");
	assert_string_equal(t->col[0].metric, "sundial_snmp_demo_fan_speed_hertz");
	expect_all_metric_names(&p);
	snmp_profile_free(&p);
}

static void test_oid_parse(void **state)
{
	(void)state;
	struct snmp_profile_oid o;
	assert_true(snmp_profile_oid_parse("1.3", &o));
	assert_int_equal(o.len, 2);
	assert_true(snmp_profile_oid_parse(".1.3.6.1.4.1.5597.30.0.5.2.1.0", &o));
	assert_int_equal(o.len, 13);
	assert_int_equal(o.arc[6], 5597);
	assert_true(snmp_profile_oid_parse("2.999.4294967295", &o));
	assert_int_equal(o.arc[2], 4294967295u);
	char max[600] = "1.3";
	for (int i = 2; i < SNMP_PROFILE_OID_MAX; i++)
		strncat(max, ".1", sizeof max - strlen(max) - 1);
	assert_true(snmp_profile_oid_parse(max, &o));
	assert_int_equal(o.len, SNMP_PROFILE_OID_MAX);
	strncat(max, ".1", sizeof max - strlen(max) - 1);
	static const char *const bad[] = {
		"",	 "1",	 ".",	 "1.",	 ".1",	  "1..3",	    "1.3.",
		"3.1",	 "1.40", "01.3", "1.03", "1.-3",  "1.3.4294967296", "1.3.99999999999",
		"1.3.a", "1. 3", "1.3 ", "+1.3", "0x1.3", "..1.3",
	};
	o.len = 77;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		if (snmp_profile_oid_parse(bad[i], &o))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(snmp_profile_oid_parse(max, &o));
	assert_int_equal(o.len, 77);
}

/* ---- 3. malformed lines ---- */

struct reject {
	const char *text; /* the profile after "profile x\n" (line 2 on) */
	unsigned line;
	const char *msg; /* a part of the message */
};

static const struct reject rejects[] = {
	{ "bogus 1\n", 2, "unknown directive 'bogus': expected profile, description, fallback" },
	{ "fallback yes\n", 2, "expected 'fallback'" },
	{ "fallback\nfallback\n", 3, "'fallback' is given twice" },
	{ "profile y\n", 2, "'profile' is given twice" },
	{ "scalar\n", 2, "expected 'scalar NAME OID TYPE [OPTION...]'" },
	{ "scalar a 1.3.6\n", 2, "expected 'scalar NAME OID TYPE" },
	{ "scalar A 1.3.6 gauge\n", 2, "'A' is not a valid scalar name: expected [a-z]" },
	{ "scalar a__b 1.3.6 gauge\n", 2, "not a valid scalar name" },
	{ "scalar a_ 1.3.6 gauge\n", 2, "not a valid scalar name" },
	{ "scalar 1a 1.3.6 gauge\n", 2, "not a valid scalar name" },
	{ "scalar a 1.3.x gauge\n", 2, "'1.3.x' is not an OID: expected dotted decimal" },
	{ "scalar a 1.3.6 float\n", 2,
	  "unknown type 'float': expected gauge, counter, counter64, string or enum" },
	{ "scalar a 1.3.6 gauge unit ms\n", 2,
	  "'ms' is not a base unit: write 'unit seconds scale 0.001'" },
	{ "scalar a 1.3.6 gauge unit percent\n", 2, "write 'unit ratio scale 0.01'" },
	{ "scalar a 1.3.6 gauge unit KB\n", 2, "write 'unit bytes scale 1024'" },
	{ "scalar a 1.3.6 gauge unit furlongs\n", 2,
	  "unknown unit 'furlongs': expected seconds, bytes" },
	{ "scalar a 1.3.6 string unit bytes\n", 2, "'unit' is for gauge, counter and counter64" },
	{ "scalar a 1.3.6 gauge scale\n", 2, "'scale' needs a value after it" },
	{ "scalar a 1.3.6 gauge scale 0\n", 2, "'scale' needs a finite nonzero decimal number" },
	{ "scalar a 1.3.6 gauge scale 0x10\n", 2, "not '0x10'" },
	{ "scalar a 1.3.6 gauge scale inf\n", 2, "not 'inf'" },
	{ "scalar a 1.3.6 gauge scale 1e999\n", 2, "not '1e999'" },
	{ "scalar a 1.3.6 enum scale 2\n", 2, "'scale' is for gauge, counter and counter64" },
	{ "scalar a 1.3.6 gauge scale 2 scale 3\n", 2, "'scale' is given twice" },
	{ "scalar a 1.3.6 gauge optional optional\n", 2, "'optional' is given twice" },
	{ "scalar a 1.3.6 enum\n", 2, "type enum needs its values" },
	{ "scalar a 1.3.6 gauge enum 1=x\n", 2, "'enum' values need the type enum" },
	{ "scalar a 1.3.6 enum enum 1\n", 2, "'enum' needs VALUE=LABEL pairs" },
	{ "scalar a 1.3.6 enum enum 1=x,\n", 2, "'enum' needs VALUE=LABEL pairs" },
	{ "scalar a 1.3.6 enum enum x=1\n", 2, "'enum' value in 'x=1' must be an integer" },
	{ "scalar a 1.3.6 enum enum 99999999999=x\n", 2, "must be an integer from" },
	{ "scalar a 1.3.6 enum enum 1=\n", 2, "'enum' label in '1=' must be" },
	{ "scalar a 1.3.6 enum enum 1=9x\n", 2, "'enum' label in '1=9x' must be" },
	{ "scalar a 1.3.6 enum enum 1=x,1=y\n", 2, "'enum' gives the value 1 twice" },
	{ "scalar a 1.3.6 gauge parse json\n", 2,
	  "unknown parser 'json': expected 'parse ms-string'" },
	{ "scalar a 1.3.6 string parse ms-string\n", 2,
	  "'parse ms-string' needs the type gauge, not string" },
	{ "scalar a 1.3.6 gauge parse ms-string unit bytes\n", 2,
	  "'parse ms-string' gives seconds, not bytes" },
	{ "scalar a 1.3.6 gauge mul b\n", 2, "'mul' is for columns, not scalars" },
	{ "scalar a 1.3.6 gauge frobnicate\n", 2,
	  "unknown option 'frobnicate' for scalar 'a': expected unit, scale" },
	{ "scalar a_total 1.3.6 gauge\n", 2, "'a_total' must not end in _total or _info" },
	{ "scalar a_info 1.3.6 string\n", 2, "must not end in _total or _info" },
	{ "scalar a_seconds 1.3.6 gauge unit seconds\n", 2, "'a_seconds' ends in its unit" },
	{ "scalar a 1.3.6 gauge\nscalar a 1.3.7 gauge\n", 3,
	  "scalar 'a' is already defined at line 2" },
	{ "scalar a_b 1.3.6 gauge\ntable a 1.3.7.1 i\ncolumn b 1 gauge\n", 4,
	  "metric sundial_snmp_x_a_b is already given by scalar 'a_b' at line 2" },
	{ "column a 1 gauge\n", 2, "'column' must follow a 'table' line" },
	{ "table t 1.3.6.1 i\nscalar a 1.3.6 gauge\ncolumn b 1 gauge\n", 2,
	  "table 't' has no columns" },
	{ "table t 1.3.6.1 i\n", 2, "table 't' has no columns: 'column NAME SUBID TYPE'" },
	{ "table t 1.3.6.1\n", 2, "expected 'table NAME ENTRY-OID LABEL [key COLUMN]'" },
	{ "table t 1.3.6.1 i key\n", 2, "expected 'table NAME ENTRY-OID LABEL [key COLUMN]'" },
	{ "table t 1.3.6.1 i by c\n", 2, "expected 'table NAME ENTRY-OID LABEL" },
	{ "table t 1.3.6.1 target\ncolumn a 1 gauge\n", 2,
	  "the label 'target' is the collector's" },
	{ "table t 1.3.6.1 Iface\n", 2, "'Iface' is not a valid label name" },
	{ "table t 1.3.6.1 i key n\ncolumn a 1 gauge\n", 2,
	  "table 't' has no column 'n' for its key" },
	{ "table t 1.3.6.1 i key a\ncolumn a 1 gauge\n", 2,
	  "the key column 'a' of table 't' must be a string, not gauge" },
	{ "table t 1.3.6.1 i\ncolumn a 0 gauge\n", 3, "'0' is not a column number" },
	{ "table t 1.3.6.1 i\ncolumn a 1.2 gauge\n", 3, "'1.2' is not a column number" },
	{ "table t 1.3.6.1 i\ncolumn a 1 gauge\ncolumn a 2 gauge\n", 4,
	  "table 't' already has a column 'a' at line 3" },
	{ "table t 1.3.6.1 i\ncolumn a 1 gauge\ncolumn b 1 gauge\n", 4,
	  "table 't' already reads column 1 at line 3" },
	{ "table t 1.3.6.1 i\ncolumn a 1 gauge mul b\ncolumn b 2 gauge\n", 3,
	  "'mul b': table 't' has no column 'b' before this line" },
	{ "table t 1.3.6.1 i\ncolumn a 1 gauge mul a\n", 3,
	  "'mul a': table 't' has no column 'a' before this line" },
	{ "table t 1.3.6.1 i\ncolumn s 1 string\ncolumn a 2 gauge mul s\n", 4,
	  "'mul s' needs a numeric column, not a string" },
	{ "table t 1.3.6.1 i\ncolumn a 1 gauge\ncolumn b 2 string mul a\n", 4,
	  "'mul' is for gauge, counter and counter64, not string" },
	{ "table t 1.3.6.1 i\ncolumn a 1 gauge\ntable t 1.3.7.1 i\n", 4,
	  "table 't' is already defined at line 2" },
	{ "table t 1.3.6.1 i\ncolumn a 1\n", 3, "expected 'column NAME SUBID TYPE [OPTION...]'" },
	{ "detect\n", 2, "expected 'detect OID' or 'detect sysobjectid OID'" },
	{ "detect sysobjectid\n", 2, "'sysobjectid' is not an OID" },
	{ "detect 1.3 1.4\n", 2, "expected 'detect OID' or 'detect sysobjectid OID'" },
	{ "legacy 1.3.6\n", 2, "expected 'legacy OID NAME'" },
	{ "legacy 1.3.6 \"A MIB\"\n", 2, "'A MIB' is not a MIB name" },
	{ "description\n", 2, "expected 'description \"TEXT\"'" },
	{ "description a\ndescription b\n", 3, "'description' is given twice" },
};

static void test_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof rejects / sizeof *rejects; i++) {
		const struct reject *r = &rejects[i];
		char text[512], err[ERRLEN], prefix[64];
		snprintf(text, sizeof text, "profile x\n%s", r->text);
		struct snmp_profile p;
		int rc = parse(text, &p, err);
		if (rc == 0)
			fail_msg("accepted: %s", r->text);
		assert_int_equal(rc, -22);
		snprintf(prefix, sizeof prefix, "t.profile:%u: ", r->line);
		if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, r->msg))
			fail_msg("for '%s':\n got  '%s'\n want '%s...%s'", r->text, err, prefix,
				 r->msg);
		assert_int_equal(p.n_scalar, 0); /* left empty */
		assert_null(p.scalar);
		assert_null(p.table);
		snmp_profile_free(&p);
	}
}

static void test_rejects_whole_file(void **state)
{
	(void)state;
	struct snmp_profile p;
	char err[ERRLEN];
	assert_int_equal(parse("scalar a 1.3.6 gauge\n", &p, err), -22);
	assert_string_equal(
		err, "t.profile:1: the first directive must be 'profile NAME', not 'scalar'");
	assert_int_equal(parse("", &p, err), -22);
	assert_string_equal(err, "empty profile: expected 'profile NAME' first");
	assert_int_equal(parse("# only a comment\n\n", &p, err), -22);
	assert_string_equal(err, "empty profile: expected 'profile NAME' first");
	assert_int_equal(parse("profile x\ndetect 1.3\n", &p, err), -22);
	assert_string_equal(err, "t.profile: profile 'x' reads nothing: add scalar or table lines");
	assert_int_equal(parse("profile my_host\n", &p, err), -22);
	assert_string_equal(err, "t.profile:1: 'my_host' is not a valid profile name: expected "
				 "[a-z][a-z0-9]*, at most 16 octets");
	assert_int_equal(parse("profile abcdefghijklmnopq\n", &p, err), -22);
	assert_int_equal(parse("profile\n", &p, err), -22);
	assert_string_equal(err, "t.profile:1: expected 'profile NAME'");
	/* conf's own errors pass through */
	assert_int_equal(parse("profile x\nscalar \"a 1.3 gauge\n", &p, err), -22);
	assert_true(strncmp(err, "t.profile:2: ", 13) == 0);
	/* an empty file, and a file that is not there */
	char empty[] = "/tmp/test_snmp_profile.XXXXXX", want[128];
	int fd = mkstemp(empty);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(snmp_profile_load(empty, &p, err, ERRLEN), -22);
	unlink(empty);
	snprintf(want, sizeof want, "%s: empty profile: expected 'profile NAME' first", empty);
	assert_string_equal(err, want);
	assert_int_equal(snmp_profile_load(PROFILES_DIR "/nonexistent.profile", &p, err, ERRLEN),
			 -22);
	assert_non_null(strstr(err, "nonexistent.profile"));
	/* a long hostile word is quoted shortened and printable */
	char text[300];
	snprintf(text, sizeof text, "profile x\nscalar a 1.3 gauge unit \"%s\"\n",
		 "\xc3\xa9\xc3\xa9\xc3\xa9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	assert_int_equal(parse(text, &p, err), -22);
	assert_non_null(strstr(err, "unknown unit '??????xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"));
}

static void test_limits(void **state)
{
	(void)state;
	size_t cap = 80 * (SNMP_PROFILE_OBJECTS_MAX + 2);
	char *text = malloc(cap);
	assert_non_null(text);
	size_t n = (size_t)snprintf(text, cap, "profile x\n");
	for (int i = 0; i < SNMP_PROFILE_OBJECTS_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, "scalar s%d 1.3.6.%d gauge\n", i, i);
	struct snmp_profile p;
	char err[ERRLEN];
	if (parse(text, &p, err) != 0)
		fail_msg("%s", err);
	assert_int_equal(p.n_scalar, SNMP_PROFILE_OBJECTS_MAX);
	snmp_profile_free(&p);
	snprintf(text + n, cap - n, "scalar one_more 1.3.7 gauge\n");
	assert_int_equal(parse(text, &p, err), -22);
	assert_non_null(strstr(err, ":1026: too many objects"));

	/* 256 enum values, not 257 */
	n = (size_t)snprintf(text, cap, "profile x\nscalar e 1.3 enum enum ");
	for (int i = 0; i < SNMP_PROFILE_ENUM_MAX; i++)
		n += (size_t)snprintf(text + n, cap - n, "%s%d=v%d", i ? "," : "", i, i);
	snprintf(text + n, cap - n, "\n");
	if (parse(text, &p, err) != 0)
		fail_msg("%s", err);
	assert_string_equal(snmp_profile_enum_label(&p.scalar[0], 255), "v255");
	assert_string_equal(snmp_profile_enum_label(&p.scalar[0], 0), "v0");
	snmp_profile_free(&p);
	snprintf(text + n, cap - n, ",999=z\n");
	assert_int_equal(parse(text, &p, err), -22);
	assert_non_null(strstr(err, "at most 256 values"));

	/* 64 columns, not 65 */
	n = (size_t)snprintf(text, cap, "profile x\ntable t 1.3.6 i\n");
	for (int i = 1; i <= SNMP_PROFILE_COLUMNS_MAX + 1; i++)
		n += (size_t)snprintf(text + n, cap - n, "column c%d %d gauge\n", i, i);
	assert_int_equal(parse(text, &p, err), -22);
	assert_non_null(strstr(err, "t.profile:67: table 't' has too many columns"));
	free(text);
}

/* ---- 5. ms-strings ---- */

static void test_ms_string(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		double seconds;
	} good[] = {
		{ "0.123 ms", 0.000123 }, { "0.123", 0.000123 },
		{ "-1.5 ms", -0.0015 },	  { "+2ms", 0.002 },
		{ "  12  ms  ", 0.012 },  { "\t7\t", 0.007 },
		{ ".5", 0.0005 },	  { "1.", 0.001 },
		{ "1e3", 1.0 },		  { "-0.000", 0 },
		{ "1000000000", 1e6 },	  { "-1000000000 ms", -1e6 },
		{ "2.5E-2 ms", 2.5e-5 },  { "12345678901234567890", 0 }, /* 20 digits: too big */
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		double v = NAN;
		size_t len = strlen(good[i].s);
		char *copy = malloc(len ? len : 1);
		assert_non_null(copy);
		memcpy(copy, good[i].s, len);
		enum snmp_profile_ms r = snmp_profile_ms_string(copy, len, &v);
		free(copy);
		if (i == sizeof good / sizeof *good - 1) {
			assert_int_equal(r, SNMP_PROFILE_MS_INVALID); /* > 1e9 ms */
			continue;
		}
		if (r != SNMP_PROFILE_MS_OK)
			fail_msg("'%s' refused", good[i].s);
		if (fabs(v - good[i].seconds) > 1e-12)
			fail_msg("'%s' gave %g, want %g", good[i].s, v, good[i].seconds);
	}
	static const char *const none[] = { "n/a", "N/A", "  n/a ", "", "   " };
	for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
		double v = 42;
		assert_int_equal(snmp_profile_ms_string(none[i], strlen(none[i]), &v),
				 SNMP_PROFILE_MS_NONE);
		assert_true(v == 42);
	}
	static const char *const bad[] = {
		"ms",
		"- 1",
		"1 2",
		"1.2.3",
		"0x10",
		"inf",
		"nan",
		"-inf ms",
		"1e",
		"1e+",
		"1e1000",
		"1e9999",
		"1 s",
		"1 sec",
		"1 msec",
		"1ms ms",
		"na",
		"n/a ms",
		"1,5",
		".",
		"+",
		"--1",
		"1 m s",
		"1000000001",
		"1\xc2\xb5s",
		"\xff",
		"1\n",
		"1\r",
		"1e-",
		"e5",
		"123456789012345678901", /* 21 digits */
		"0.000000000000000000001",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		double v = 42;
		if (snmp_profile_ms_string(bad[i], strlen(bad[i]), &v) != SNMP_PROFILE_MS_INVALID)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(v == 42);
	}
	/* a NUL inside, and a length that leaves out the rest */
	double v = 42;
	assert_int_equal(snmp_profile_ms_string("1\0002", 3, &v), SNMP_PROFILE_MS_INVALID);
	assert_int_equal(snmp_profile_ms_string("12 ms garbage", 5, &v), SNMP_PROFILE_MS_OK);
	assert_true(fabs(v - 0.012) < 1e-12);
	/* 64 octets of blanks around a number pass, 65 do not */
	char pad[80];
	memset(pad, ' ', sizeof pad);
	pad[30] = '1';
	assert_int_equal(snmp_profile_ms_string(pad, 64, &v), SNMP_PROFILE_MS_OK);
	assert_int_equal(snmp_profile_ms_string(pad, 65, &v), SNMP_PROFILE_MS_INVALID);
	assert_int_equal(snmp_profile_ms_string(NULL, 0, &v), SNMP_PROFILE_MS_NONE);
	assert_non_null(strstr(snmp_profile_ms_strerror(SNMP_PROFILE_MS_INVALID), "milliseconds"));
	assert_non_null(strstr(snmp_profile_ms_strerror(SNMP_PROFILE_MS_NONE), "n/a"));
	assert_string_equal(snmp_profile_ms_strerror(SNMP_PROFILE_MS_OK), "ok");
}

/* ---- 6. Meinberg refclock status ---- */

static void test_mbg_refclock(void **state)
{
	(void)state;
	struct snmp_profile_mbg_status s;
	/* gps180 (30), gpsSync: 9 good of 12 satellites in view */
	snmp_profile_mbg_refclock(30, 1, 9, 12, 0, 0, &s);
	assert_int_equal(s.kind, SNMP_PROFILE_MBG_GNSS);
	assert_true(s.satellites_good == 9 && s.satellites_in_view == 12);
	assert_true(isnan(s.correlation) && isnan(s.field_strength));
	assert_string_equal(snmp_profile_mbg_kind_name(s.kind), "gnss");
	/* gns181 (92), more good than in view: not believed */
	snmp_profile_mbg_refclock(92, 2, 13, 12, 0, 0, &s);
	assert_true(isnan(s.satellites_good) && s.satellites_in_view == 12);
	/* grc180 (44) beyond the MIB's range */
	snmp_profile_mbg_refclock(44, 1, 5, 101, 0, 0, &s);
	assert_true(s.satellites_good == 5 && isnan(s.satellites_in_view));
	snmp_profile_mbg_refclock(44, 1, -1, 12, 0, 0, &s);
	assert_true(isnan(s.satellites_good));
	/* pzf180 (60), lwSync: correlation 87 %, field strength 64 % */
	snmp_profile_mbg_refclock(60, 52, 87, 100, 64, 100, &s);
	assert_int_equal(s.kind, SNMP_PROFILE_MBG_PZF);
	assert_true(fabs(s.correlation - 0.87) < 1e-12 && fabs(s.field_strength - 0.64) < 1e-12);
	assert_true(isnan(s.satellites_good) && isnan(s.satellites_in_view));
	assert_string_equal(snmp_profile_mbg_kind_name(s.kind), "pzf");
	/* pzf511 (13), pzf600 (28), pzf180PEX (34) */
	snmp_profile_mbg_refclock(13, 0, 0, 100, 100, 100, &s);
	assert_true(s.kind == SNMP_PROFILE_MBG_PZF && s.correlation == 0 && s.field_strength == 1);
	snmp_profile_mbg_refclock(28, 0, 150, 100, 101, 100, &s);
	assert_true(s.kind == SNMP_PROFILE_MBG_PZF && isnan(s.correlation) &&
		    isnan(s.field_strength));
	snmp_profile_mbg_refclock(34, 51, 50, 100, 20, 100, &s);
	assert_int_equal(s.kind, SNMP_PROFILE_MBG_PZF);
	/* am511 (16), msf600 (36), wwvb180 (65), dcf600RS (47): field strength only */
	static const long long lw[] = { 16, 36, 65, 47, 27 };
	for (size_t i = 0; i < sizeof lw / sizeof *lw; i++) {
		snmp_profile_mbg_refclock(lw[i], 52, 77, 0, 40, 100, &s);
		assert_int_equal(s.kind, SNMP_PROFILE_MBG_LW);
		assert_true(isnan(s.correlation) && fabs(s.field_strength - 0.4) < 1e-12);
	}
	assert_string_equal(snmp_profile_mbg_kind_name(SNMP_PROFILE_MBG_LW), "longwave");
	/* tcr180 (68): IRIG, nothing */
	snmp_profile_mbg_refclock(68, 101, 5, 5, 5, 5, &s);
	assert_int_equal(s.kind, SNMP_PROFILE_MBG_IRIG);
	assert_true(isnan(s.satellites_good) && isnan(s.correlation) && isnan(s.field_strength));
	/* unknown types by their substate */
	snmp_profile_mbg_refclock(0, 2, 4, 8, 0, 0, &s);
	assert_int_equal(s.kind, SNMP_PROFILE_MBG_GNSS);
	assert_true(s.satellites_good == 4);
	snmp_profile_mbg_refclock(999, 50, 90, 100, 30, 100, &s);
	assert_int_equal(s.kind, SNMP_PROFILE_MBG_LW);
	assert_true(isnan(s.correlation) && fabs(s.field_strength - 0.3) < 1e-12);
	snmp_profile_mbg_refclock(-7, 100, 1, 1, 1, 1, &s);
	assert_int_equal(s.kind, SNMP_PROFILE_MBG_IRIG);
	/* ptp270PEX (21), mrs substates, hostile values: no StatusA/B */
	snmp_profile_mbg_refclock(21, 162, 50, 100, 50, 100, &s);
	assert_int_equal(s.kind, SNMP_PROFILE_MBG_OTHER);
	assert_true(isnan(s.satellites_good) && isnan(s.correlation) && isnan(s.field_strength));
	snmp_profile_mbg_refclock(INT64_MIN, INT64_MAX, INT64_MAX, INT64_MIN, INT64_MIN, 0, &s);
	assert_int_equal(s.kind, SNMP_PROFILE_MBG_OTHER);
	assert_string_equal(snmp_profile_mbg_kind_name(s.kind), "other");
	assert_string_equal(snmp_profile_mbg_kind_name(SNMP_PROFILE_MBG_IRIG), "irig");
	assert_string_equal(snmp_profile_type_name(SNMP_PROFILE_COUNTER64), "counter64");
}

/* ---- 7. random profiles ---- */

static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void test_random(void **state)
{
	(void)state;
	static const char *const words[] = {
		"profile", "scalar",	"table",     "column",	 "detect", "legacy",  "description",
		"gauge",   "counter",	"counter64", "string",	 "enum",   "unit",    "scale",
		"parse",   "ms-string", "mul",	     "optional", "hidden", "key",     "sysobjectid",
		"a",	   "b",		"c_d",	     "1",	 "2",	   "0",	      "1.3.6",
		"1.3.6.1", ".1.3",	"seconds",   "bytes",	 "0.01",   "1=x,2=y", "-1=z",
		"x",	   "MIB-X",	"target",    "a_total",	 "1e3",	   "\"a b\"", "99999999999",
	};
	rng = test_seed ? test_seed : 1;
	char text[2048], err[ERRLEN];
	for (int iter = 0; iter < 10000; iter++) {
		size_t n = (size_t)snprintf(text, sizeof text, "profile r\n");
		unsigned lines = 1 + rnd() % 8;
		for (unsigned l = 0; l < lines; l++) {
			unsigned nw = 1 + rnd() % 8;
			for (unsigned w = 0; w < nw && n < sizeof text - 64; w++)
				n += (size_t)snprintf(
					text + n, sizeof text - n, "%s%s", w ? " " : "",
					words[rnd() % (sizeof words / sizeof *words)]);
			n += (size_t)snprintf(text + n, sizeof text - n, "\n");
		}
		struct snmp_profile p;
		if (parse(text, &p, err) == 0) {
			assert_true(p.n_scalar + p.n_table > 0);
			expect_all_metric_names(&p);
			for (size_t t = 0; t < p.n_table; t++) {
				assert_true(p.table[t].n_col > 0);
				assert_true(p.table[t].key <= p.table[t].n_col);
				for (size_t k = 0; k < p.table[t].n_col; k++)
					assert_true(p.table[t].col[k].mul <= k);
			}
		} else {
			if (strncmp(err, "t.profile:", 10) != 0)
				fail_msg("message '%s' for:\n%s", err, text);
			assert_null(p.scalar);
		}
		snmp_profile_free(&p);
	}
	printf("test_snmp_profile: 10000 random profiles (seed %" PRIu64 ")\n", test_seed);
}

int main(void)
{
	const char *env = getenv("TEST_SEED");
	test_seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("test_snmp_profile: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       test_seed, test_seed);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_meinberg), cmocka_unit_test(test_shipped_host),
		cmocka_unit_test(test_directives),	 cmocka_unit_test(test_oid_parse),
		cmocka_unit_test(test_rejects),		 cmocka_unit_test(test_rejects_whole_file),
		cmocka_unit_test(test_limits),		 cmocka_unit_test(test_ms_string),
		cmocka_unit_test(test_mbg_refclock),	 cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
