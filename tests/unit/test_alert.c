/* test_alert.c - the collector's alerts (src/collect/alert.c).
 *
 * 1. The parser: every form of the header's syntax and examples, the
 *    default name, and over 60 malformed lines, each with a fragment of
 *    the message that says what was expected.
 * 2. The default rules: valid, named by the NAME rule, and the same after
 *    being written out as a line and parsed back.
 * 3. Evaluation: hold, flapping, crit over warn, a value hovering around
 *    the crit threshold, abs with negatives, matchers, changes, missing,
 *    recovery, alert_worst by prefix, alert_forget, 10,000 series, the
 *    count returned beyond max, labels copied at the first sample.
 * 4. Random words (10,000 lines) that must parse or give a message, never
 *    crash; a rule they give must make a set.  The seed is printed;
 *    TEST_SEED=<n> replays it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect/alert.h"

#define ERRLEN 512
#define MAXW 32

static uint64_t test_seed;

/* Splits line at single spaces (no quoting: tests that need a blank in a
 * word build argv themselves) and parses it. */
static int parse_line(const char *line, struct alert_rule *r, char *err, size_t errlen)
{
	static char buf[4096];
	const char *argv[MAXW];
	size_t argc = 0;
	snprintf(buf, sizeof buf, "%s", line);
	for (char *p = buf; *p && argc < MAXW;) {
		argv[argc++] = p;
		char *sp = strchr(p, ' ');
		if (!sp)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	err[0] = '\0';
	return alert_rule_parse(argc, argv, r, err, errlen);
}

static struct alert_rule parse_ok(const char *line)
{
	struct alert_rule r;
	char err[ERRLEN];
	int rc = parse_line(line, &r, err, sizeof err);
	if (rc != 0)
		fail_msg("'%s' refused: %s", line, err);
	return r;
}

static void assert_cond(const struct alert_cond *c, bool abs, enum alert_op op, double v)
{
	assert_true(c->set);
	assert_int_equal(c->abs, abs);
	assert_int_equal(c->op, op);
	if (op != ALERT_CHANGES && op != ALERT_MISSING)
		assert_true(c->value == v);
}

/* --- 1. the parser --- */

static void header_examples(void **st)
{
	(void)st;
	struct alert_rule r =
		parse_ok("sundial_daemon_offset_seconds abs > 0.010 warn, abs > 0.100 crit");
	assert_string_equal(r.metric, "sundial_daemon_offset_seconds");
	assert_int_equal(r.n_match, 0);
	assert_cond(&r.warn, true, ALERT_GT, 0.01);
	assert_cond(&r.crit, true, ALERT_GT, 0.1);
	assert_int_equal(r.hold, 3);
	assert_string_equal(r.name, "daemon_offset_seconds abs > 0.010");

	r = parse_ok("sundial_collect_up == 0 crit hold 2");
	assert_false(r.warn.set);
	assert_cond(&r.crit, false, ALERT_EQ, 0);
	assert_int_equal(r.hold, 2);
	assert_string_equal(r.name, "collect_up == 0");

	r = parse_ok("sundial_daemon_stratum changes warn");
	assert_cond(&r.warn, false, ALERT_CHANGES, 0);
	assert_false(r.crit.set);
	assert_string_equal(r.name, "daemon_stratum changes");

	r = parse_ok("sundial_gps_satellites_used{device=\"/dev/ttyS0\"} < 4 warn, < 1 crit");
	assert_string_equal(r.metric, "sundial_gps_satellites_used");
	assert_int_equal(r.n_match, 1);
	assert_string_equal(r.match_label[0], "device");
	assert_string_equal(r.match_value[0], "/dev/ttyS0");
	assert_cond(&r.warn, false, ALERT_LT, 4);
	assert_cond(&r.crit, false, ALERT_LT, 1);
	assert_string_equal(r.name, "gps_satellites_used < 4");

	/* The same without the inner quotes, as sundial.conf allows unquoted. */
	r = parse_ok("sundial_gps_satellites_used{device=/dev/ttyS0} < 4 warn, < 1 crit");
	assert_string_equal(r.match_value[0], "/dev/ttyS0");
}

static void other_forms(void **st)
{
	(void)st;
	struct alert_rule r = parse_ok("m > 1 warn , > 2 crit"); /* "," as a word */
	assert_cond(&r.warn, false, ALERT_GT, 1);
	assert_cond(&r.crit, false, ALERT_GT, 2);

	r = parse_ok("m >= 2 crit, <= -1 warn"); /* crit first; the name from the first */
	assert_cond(&r.crit, false, ALERT_GE, 2);
	assert_cond(&r.warn, false, ALERT_LE, -1);
	assert_string_equal(r.name, "m >= 2");

	r = parse_ok("m != 0 warn name my-alert.1:x_y hold 1");
	assert_cond(&r.warn, false, ALERT_NE, 0);
	assert_string_equal(r.name, "my-alert.1:x_y");
	assert_int_equal(r.hold, 1);
	r = parse_ok("m != 0 warn hold 1000 name N");
	assert_int_equal(r.hold, 1000);
	assert_string_equal(r.name, "N");

	r = parse_ok("sundial_query_up missing crit");
	assert_cond(&r.crit, false, ALERT_MISSING, 0);
	assert_string_equal(r.name, "query_up missing");

	r = parse_ok("m missing crit, changes warn");
	assert_cond(&r.crit, false, ALERT_MISSING, 0);
	assert_cond(&r.warn, false, ALERT_CHANGES, 0);

	/* Numbers. */
	static const struct {
		const char *w;
		double v;
	} num[] = { { "1e-3", 1e-3 }, { "-5", -5 },    { "+5", 5 },	    { ".5", 0.5 },
		    { "5.", 5 },      { "1E3", 1000 }, { "-0.25e+2", -25 }, { "0", 0 } };
	for (size_t i = 0; i < sizeof num / sizeof num[0]; i++) {
		char line[64];
		snprintf(line, sizeof line, "m abs < %s warn", num[i].w);
		r = parse_ok(line);
		assert_cond(&r.warn, true, ALERT_LT, num[i].v);
	}

	/* A metric name as recording rules write them; "sundial_" alone stays. */
	r = parse_ok("job:sundial_x:rate5m > 1 warn");
	assert_string_equal(r.metric, "job:sundial_x:rate5m");
	assert_string_equal(r.name, "job:sundial_x:rate5m > 1");
	r = parse_ok("sundial_ > 1 warn");
	assert_string_equal(r.name, "sundial_ > 1");

	/* Matchers: four, quoted and bare, an empty quoted one, escapes, a
	 * blank inside (a conf-quoted word). */
	const char *argv[] = { "m{a=\"1\",b=2,c_d=\"x y\",_e=\"\"}", ">", "1", "warn" };
	char err[ERRLEN];
	assert_int_equal(alert_rule_parse(4, argv, &r, err, sizeof err), 0);
	assert_int_equal(r.n_match, 4);
	assert_string_equal(r.match_label[0], "a");
	assert_string_equal(r.match_value[0], "1");
	assert_string_equal(r.match_label[1], "b");
	assert_string_equal(r.match_value[1], "2");
	assert_string_equal(r.match_label[2], "c_d");
	assert_string_equal(r.match_value[2], "x y");
	assert_string_equal(r.match_label[3], "_e");
	assert_string_equal(r.match_value[3], "");
	r = parse_ok("m{a=\"q\\\"b\\\\s\"} > 1 warn");
	assert_string_equal(r.match_value[0], "q\"b\\s");
	r = parse_ok("m{a=x:y/z.w-1@%} > 1 warn");
	assert_string_equal(r.match_value[0], "x:y/z.w-1@%");

	/* Longest strings: metric 127, label 63, value 127, name 64. */
	char line[1024], metric[128], label[64], value[128], name[65];
	memset(metric, 'm', 127);
	metric[127] = '\0';
	memset(label, 'l', 63);
	label[63] = '\0';
	memset(value, 'v', 127);
	value[127] = '\0';
	memset(name, 'n', 64);
	name[64] = '\0';
	snprintf(line, sizeof line, "%s{%s=%s} > 1 warn name %s", metric, label, value, name);
	r = parse_ok(line);
	assert_string_equal(r.metric, metric);
	assert_string_equal(r.match_label[0], label);
	assert_string_equal(r.match_value[0], value);
	assert_string_equal(r.name, name);
	/* The default name of a long metric is cut to ALERT_NAME_MAX - 1. */
	snprintf(line, sizeof line, "%s > 1 warn", metric);
	r = parse_ok(line);
	assert_int_equal(strlen(r.name), ALERT_NAME_MAX - 1);
	assert_memory_equal(r.name, metric, ALERT_NAME_MAX - 1);

	/* out may be NULL (a syntax check); err may be NULL. */
	const char *w2[] = { "m", "changes", "warn" };
	assert_int_equal(alert_rule_parse(3, w2, NULL, NULL, 0), 0);
}

static const struct {
	const char *line;
	const char *fragment;
} bad[] = {
	/* the metric and its matchers */
	{ "1metric > 1 warn", "expected a metric name" },
	{ "met-ric > 1 warn", "at column 4 of 'met-ric', got '-'" },
	{ "{a=1} > 1 warn", "expected a metric name" },
	{ "m{a=1 > 1 warn", "unclosed '{' in 'm{a=1'" },
	{ "m{a=} > 1 warn", "an empty one is written \"\"" },
	{ "m{a=1,a=2} > 1 warn", "label 'a' is matched twice" },
	{ "m{a=\"1} > 1 warn", "unclosed quote in the value of label 'a'" },
	{ "m{1a=1} > 1 warn", "expected a label name" },
	{ "m{a:b=1} > 1 warn", "'=' after the label name" },
	{ "m{a!=1} > 1 warn", "only exact matches" },
	{ "m{a=~1} > 1 warn", "only exact matches" },
	{ "m{a=1}x > 1 warn", "nothing after the closing '}'" },
	{ "m{a=1,} > 1 warn", "a label name ([a-zA-Z_][a-zA-Z0-9_]*) after ','" },
	{ "m{} > 1 warn", "expected a label name" },
	{ "m{a=1,b=2,c=3,d=4,e=5} > 1 warn", "more than 4 label matchers" },
	{ "m{a=\"\\n\"} > 1 warn", "after a backslash" },
	{ "m{a=1;b=2} > 1 warn", "',' or '}' after a label value" },
	{ "m{a=x\\y} > 1 warn", "',' or '}' after a label value" },
	{ "m{a=b=c} > 1 warn", "',' or '}' after a label value" },
	/* conditions */
	{ "m", "expected a condition ([abs] > >= < <= == != NUMBER, changes or missing) "
	       "after 'm', got nothing" },
	{ "m foo warn", "after 'm', got 'foo'" },
	{ "m warn", "(the condition comes before its level)" },
	{ "m abs foo warn", "expected > >= < <= == != after 'abs', got 'foo'" },
	{ "m abs changes warn", "after 'abs', got 'changes'" },
	{ "m abs", "after 'abs', got nothing" },
	{ "m > warn", "expected a number (e.g. 0.01, 1e-3, -5) after '>', got 'warn'" },
	{ "m abs >= x warn", "after 'abs >=', got 'x'" },
	{ "m > nan warn", "got 'nan'" },
	{ "m > NaN warn", "got 'NaN'" },
	{ "m > inf warn", "got 'inf'" },
	{ "m > -inf warn", "got '-inf'" },
	{ "m > 0x1p3 warn", "got '0x1p3'" },
	{ "m > 1e999 warn", "got '1e999'" },
	{ "m > 1e warn", "got '1e'" },
	{ "m > 1.2.3 warn", "got '1.2.3'" },
	{ "m > 5s warn", "got '5s'" },
	{ "m > - warn", "got '-'" },
	{ "m > 1", "expected warn or crit after '> 1', got nothing" },
	{ "m > 1 error", "expected warn or crit after '> 1', got 'error'" },
	{ "m > 1 Warn", "got 'Warn'" },
	{ "m >0.01 warn", "put a blank between the operator and the number" },
	{ "m => 1 warn", "put a blank between the operator and the number" },
	{ "m changes 3 warn", "'changes' takes no number" },
	{ "m missing 0 crit", "'missing' takes no number" },
	{ "m > 1 warn, > 2 warn", "a second condition for warn ('> 2')" },
	{ "m > 1 crit , < 0 crit", "a second condition for crit" },
	{ "m > 1 warn,", "after 'warn,', got nothing" },
	{ "m > 1 warn ,", "after ',', got nothing" },
	{ "m > 1 warn,,", "got 'warn,,'" },
	{ "m > 1 warn, , > 2 crit", "after 'warn,', got ','" },
	{ "m > 1 warn > 2 crit", "separate two conditions with ','" },
	{ "m > 1 warn x", "expected ',', hold N or name NAME after 'warn', got 'x'" },
	{ "m > 1 warn, > 2 crit, > 3 warn", "at most two conditions" },
	{ "m > 1 warn, > 2 crit > 3 warn", "at most two conditions" },
	{ "m > 1 warn hold 3 > 2 crit", "at most two conditions" },
	{ "m > 1 warn, hold 3", "after 'warn,', got 'hold'" },
	/* hold and name */
	{ "m > 1 warn hold 0", "from 1 to 1000 after 'hold', got '0'" },
	{ "m > 1 warn hold 1001", "got '1001'" },
	{ "m > 1 warn hold -1", "got '-1'" },
	{ "m > 1 warn hold 2.5", "got '2.5'" },
	{ "m > 1 warn hold", "after 'hold', got nothing" },
	{ "m > 1 warn hold 3 hold 3", "'hold' given twice" },
	{ "m > 1 warn name", "after 'name', got nothing" },
	{ "m > 1 warn name a b", "expected hold N or name NAME after 'a', got 'b'" },
	{ "m > 1 warn name bad/name", "[A-Za-z0-9_.:-] after 'name', got 'bad/name'" },
	{ "m > 1 warn name x name y", "'name' given twice" },
};

static void rejects(void **st)
{
	(void)st;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct alert_rule r;
		memset(&r, 0xa5, sizeof r);
		char err[ERRLEN];
		int rc = parse_line(bad[i].line, &r, err, sizeof err);
		if (rc != -EINVAL)
			fail_msg("'%s' accepted (%d)", bad[i].line, rc);
		if (!strstr(err, bad[i].fragment))
			fail_msg("'%s': message '%s' lacks '%s'", bad[i].line, err,
				 bad[i].fragment);
		/* out is left alone. */
		assert_int_equal(((unsigned char *)&r)[0], 0xa5);
		assert_int_equal(((unsigned char *)&r)[sizeof r - 1], 0xa5);
	}
	printf("test_alert: %zu malformed lines refused\n", sizeof bad / sizeof bad[0]);
}

/* Cases that need words the line splitter cannot make. */
static void rejects_words(void **st)
{
	(void)st;
	struct alert_rule r;
	char err[ERRLEN], line[600];

	assert_int_equal(alert_rule_parse(0, NULL, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "expected a metric name"));

	const char *with_null[] = { "m", NULL, "warn" };
	assert_int_equal(alert_rule_parse(3, with_null, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "word 2 is missing"));

	const char *blank_num[] = { "m", ">", " 1", "warn" };
	assert_int_equal(alert_rule_parse(4, blank_num, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "got ' 1'"));

	const char *empty[] = { "", ">", "1", "warn" };
	assert_int_equal(alert_rule_parse(4, empty, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "got the end of the word"));

	const char *empty_cond[] = { "m", "", "warn" };
	assert_int_equal(alert_rule_parse(3, empty_cond, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "after 'm', got ''"));

	/* Control octets are shown as '?', long words cut with "...". */
	const char *ctl[] = { "m", "\x01\x7f\xff", "warn" };
	assert_int_equal(alert_rule_parse(3, ctl, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "got '?\?\?'"));
	const char *ctl_metric[] = { "m\tx", ">", "1", "warn" };
	assert_int_equal(alert_rule_parse(4, ctl_metric, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "got octet 0x09"));
	const char *ctl_value[] = { "m{a=\"x\ty\"}", ">", "1", "warn" };
	assert_int_equal(alert_rule_parse(4, ctl_value, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "a printable character in a label value"));
	char longw[300];
	memset(longw, 'z', sizeof longw - 1);
	longw[sizeof longw - 1] = '\0';
	const char *lw[] = { "m", longw, "warn" };
	assert_int_equal(alert_rule_parse(3, lw, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "zzzz...'"));
	assert_true(strlen(err) < 200);

	/* Too long: metric 128, label 64, value 128 (bare and quoted), name 65. */
	char metric[129], label[65], value[129], name[66];
	memset(metric, 'm', 128);
	metric[128] = '\0';
	memset(label, 'l', 64);
	label[64] = '\0';
	memset(value, 'v', 128);
	value[128] = '\0';
	memset(name, 'n', 65);
	name[65] = '\0';
	snprintf(line, sizeof line, "%s > 1 warn", metric);
	assert_int_equal(parse_line(line, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "metric name is longer than 127"));
	snprintf(line, sizeof line, "m{%s=1} > 1 warn", label);
	assert_int_equal(parse_line(line, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "label name is longer than 63"));
	snprintf(line, sizeof line, "m{a=%s} > 1 warn", value);
	assert_int_equal(parse_line(line, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "value of label 'a' is longer than 127"));
	snprintf(line, sizeof line, "m{a=\"%s\"} > 1 warn", value);
	assert_int_equal(parse_line(line, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "value of label 'a' is longer than 127"));
	snprintf(line, sizeof line, "m > 1 warn name %s", name);
	assert_int_equal(parse_line(line, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "1 to 64 characters"));
	/* A number word too long to be a number anyone means. */
	char zeros[64];
	memset(zeros, '0', sizeof zeros - 1);
	zeros[sizeof zeros - 1] = '\0';
	snprintf(line, sizeof line, "m > 0.%s1 warn", zeros); /* 66 octets */
	assert_int_equal(parse_line(line, &r, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "expected a number"));
	snprintf(line, sizeof line, "m > 0.%s warn", zeros + 2); /* 63 octets */
	assert_int_equal(parse_line(line, &r, err, sizeof err), 0);

	/* A short buffer gets a terminated prefix; a NULL one nothing. */
	char tiny[8];
	memset(tiny, 'x', sizeof tiny);
	assert_int_equal(parse_line("m > 1 nope", &r, tiny, sizeof tiny), -EINVAL);
	assert_string_equal(tiny, "expecte");
	const char *nope[] = { "m", ">", "1", "nope" };
	assert_int_equal(alert_rule_parse(4, nope, &r, NULL, 0), -EINVAL);
}

/* --- 2. the default rules --- */

/* A rule written back as words: the round trip of the parser. */
static size_t rule_words(const struct alert_rule *r, char buf[][160], const char **argv)
{
	size_t n = 0;
	int len = snprintf(buf[n], 160, "%s", r->metric);
	for (size_t m = 0; m < r->n_match; m++)
		len += snprintf(buf[n] + len, 160 - (size_t)len, "%c%s=\"%s\"", m ? ',' : '{',
				r->match_label[m], r->match_value[m]);
	if (r->n_match)
		snprintf(buf[n] + len, 160 - (size_t)len, "}");
	n++;
	static const char *const op[] = { ">", ">=", "<", "<=", "==", "!=", "changes", "missing" };
	const struct alert_cond *c[2] = { &r->warn, &r->crit };
	bool first = true;
	for (size_t k = 0; k < 2; k++) {
		if (!c[k]->set)
			continue;
		if (!first)
			snprintf(buf[n++], 160, ",");
		first = false;
		if (c[k]->abs)
			snprintf(buf[n++], 160, "abs");
		snprintf(buf[n++], 160, "%s", op[c[k]->op]);
		if (c[k]->op != ALERT_CHANGES && c[k]->op != ALERT_MISSING)
			snprintf(buf[n++], 160, "%.17g", c[k]->value);
		snprintf(buf[n++], 160, "%s", k ? "crit" : "warn");
	}
	snprintf(buf[n++], 160, "hold");
	snprintf(buf[n++], 160, "%u", r->hold);
	snprintf(buf[n++], 160, "name");
	snprintf(buf[n++], 160, "%s", r->name);
	for (size_t i = 0; i < n; i++)
		argv[i] = buf[i];
	return n;
}

static void assert_same_rule(const struct alert_rule *a, const struct alert_rule *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->metric, b->metric);
	assert_int_equal(a->n_match, b->n_match);
	for (size_t m = 0; m < a->n_match; m++) {
		assert_string_equal(a->match_label[m], b->match_label[m]);
		assert_string_equal(a->match_value[m], b->match_value[m]);
	}
	const struct alert_cond *x[2] = { &a->warn, &a->crit }, *y[2] = { &b->warn, &b->crit };
	for (size_t k = 0; k < 2; k++) {
		assert_int_equal(x[k]->set, y[k]->set);
		if (!x[k]->set)
			continue;
		assert_int_equal(x[k]->abs, y[k]->abs);
		assert_int_equal(x[k]->op, y[k]->op);
		if (x[k]->op != ALERT_CHANGES && x[k]->op != ALERT_MISSING)
			assert_true(x[k]->value == y[k]->value);
	}
	assert_int_equal(a->hold, b->hold);
}

static void default_rules(void **st)
{
	(void)st;
	size_t n = 0;
	const struct alert_rule *d = alert_default_rules(&n);
	assert_non_null(d);
	assert_int_equal(n, 20);
	static const char *const names[] = {
		"offset",
		"query-offset",
		"source-jitter",
		"reach",
		"stratum-change",
		"query-stratum-change",
		"unsynchronised",
		"refclock-status",
		"gps-fix",
		"gps-satellites",
		"no-clients",
		"response-p99",
		"source-failing",
		"server-down",
		"nts-certificate",
		"nts-key-exchange",
		"meinberg-refclock",
		"meinberg-ntp",
		"meinberg-correlation",
		"meinberg-field-strength",
	};
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(d[i].name, names[i]);
		assert_int_equal(strncmp(d[i].metric, "sundial_", 8), 0);
		assert_true(d[i].warn.set || d[i].crit.set);
		assert_in_range(d[i].hold, 1, 1000);
		/* Written out and parsed back: the same rule. */
		char buf[24][160];
		const char *argv[24];
		size_t argc = rule_words(&d[i], buf, argv);
		struct alert_rule r;
		char err[ERRLEN] = "";
		if (alert_rule_parse(argc, argv, &r, err, sizeof err) != 0)
			fail_msg("default rule %s: %s", d[i].name, err);
		assert_same_rule(&r, &d[i]);
	}
	/* As the text of the brief says them. */
	struct alert_rule r = parse_ok("sundial_daemon_offset_seconds abs > 0.01 warn, abs > 0.1 "
				       "crit name offset");
	assert_same_rule(&r, &d[0]);
	r = parse_ok("sundial_traffic_clients{window=\"5m\"} == 0 warn name no-clients");
	assert_same_rule(&r, &d[10]);
	r = parse_ok("sundial_collect_up == 0 crit hold 2 name source-failing");
	assert_same_rule(&r, &d[12]);
	r = parse_ok("sundial_daemon_stratum changes warn name stratum-change");
	assert_same_rule(&r, &d[4]);
	alert_set *a = alert_set_new(d, n);
	assert_non_null(a);
	alert_set_free(a);
	assert_non_null(alert_default_rules(NULL));
}

/* --- 3. evaluation --- */

struct seen {
	size_t n;
	struct alert_view v[64];
	char keys[64][64];
	char labels[64][2][64];
};

static void collect(void *arg, const struct alert_view *v)
{
	struct seen *s = arg;
	if (s->n < 64) {
		s->v[s->n] = *v;
		snprintf(s->keys[s->n], 64, "%s", v->series_key);
		if (v->n_labels) {
			snprintf(s->labels[s->n][0], 64, "%s=%s", v->label_names[0],
				 v->label_values[0]);
			if (v->n_labels > 1)
				snprintf(s->labels[s->n][1], 64, "%s=%s", v->label_names[1],
					 v->label_values[1]);
		}
	}
	s->n++;
}

static alert_set *set_of(const char *line)
{
	struct alert_rule r = parse_ok(line);
	alert_set *a = alert_set_new(&r, 1);
	assert_non_null(a);
	return a;
}

/* One sample of metric m without labels; the count of changes, the first in *ch. */
static size_t put(alert_set *a, const char *key, double t, double v, struct alert_change *ch)
{
	struct alert_change tmp[4];
	size_t n = alert_eval(a, "m", NULL, NULL, 0, key, t, v, ch ? ch : tmp, ch ? 1 : 4);
	return n;
}

static enum alert_state state_of(const alert_set *a, const char *key)
{
	struct seen s = { 0 };
	alert_each(a, collect, &s);
	for (size_t i = 0; i < s.n && i < 64; i++)
		if (strcmp(s.keys[i], key) == 0)
			return s.v[i].state;
	fail_msg("no state for %s", key);
	return ALERT_UNKNOWN;
}

static void hold_three(void **st)
{
	(void)st;
	alert_set *a = set_of("m > 1 warn");
	struct alert_change ch;
	assert_int_equal(put(a, "k", 10, 2, &ch), 0);
	assert_int_equal(put(a, "k", 20, 2, &ch), 0);
	assert_int_equal(state_of(a, "k"), ALERT_OK);
	assert_int_equal(put(a, "k", 30, 2.5, &ch), 1);
	assert_int_equal(ch.from, ALERT_OK);
	assert_int_equal(ch.to, ALERT_WARNING);
	assert_true(ch.t == 30 && ch.value == 2.5);
	assert_string_equal(ch.reason, "2.5 > 1 (warn)");
	assert_string_equal(ch.series_key, "k");
	assert_string_equal(ch.rule->name, "m > 1");
	assert_int_equal(put(a, "k", 40, 2, &ch), 0); /* stays, no second change */

	struct seen s = { 0 };
	alert_each(a, collect, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].state, ALERT_WARNING);
	assert_true(s.v[0].since == 30);
	assert_true(s.v[0].last_value == 2);
	assert_string_equal(s.v[0].reason, "2.5 > 1 (warn)");

	/* An interruption restarts the count. */
	alert_set *b = set_of("m > 1 warn");
	assert_int_equal(put(b, "k", 1, 2, NULL), 0);
	assert_int_equal(put(b, "k", 2, 2, NULL), 0);
	assert_int_equal(put(b, "k", 3, 0, NULL), 0);
	assert_int_equal(put(b, "k", 4, 2, NULL), 0);
	assert_int_equal(put(b, "k", 5, 2, NULL), 0);
	assert_int_equal(put(b, "k", 6, 2, NULL), 1);

	/* hold 1: at once. */
	alert_set *c = set_of("m > 1 warn hold 1");
	assert_int_equal(put(c, "k", 1, 2, NULL), 1);
	assert_int_equal(put(c, "k", 2, 0, NULL), 1);
	alert_set_free(a);
	alert_set_free(b);
	alert_set_free(c);
}

static void flapping_never_changes(void **st)
{
	(void)st;
	alert_set *a = set_of("m > 1 warn, > 10 crit");
	for (int i = 0; i < 200; i++)
		assert_int_equal(put(a, "k", i, i % 2 ? 2 : 0, NULL), 0);
	assert_int_equal(state_of(a, "k"), ALERT_OK);
	for (int i = 0; i < 200; i++) /* two of three */
		assert_int_equal(put(a, "k", 200 + i, i % 3 ? 20 : 0, NULL), 0);
	assert_int_equal(state_of(a, "k"), ALERT_OK);
	/* In WARNING, flapping between OK and CRITICAL (both sides) stays. */
	for (int i = 0; i < 3; i++)
		put(a, "k", 400 + i, 5, NULL);
	assert_int_equal(state_of(a, "k"), ALERT_WARNING);
	for (int i = 0; i < 200; i++)
		assert_int_equal(put(a, "k", 500 + i, i % 2 ? 20 : 0, NULL), 0);
	assert_int_equal(state_of(a, "k"), ALERT_WARNING);
	alert_set_free(a);
}

static void crit_beats_warn(void **st)
{
	(void)st;
	alert_set *a = set_of("m > 1 warn, > 2 crit");
	struct alert_change ch;
	put(a, "k", 1, 3, &ch);
	put(a, "k", 2, 3, &ch);
	assert_int_equal(put(a, "k", 3, 3, &ch), 1);
	assert_int_equal(ch.to, ALERT_CRITICAL);
	assert_string_equal(ch.reason, "3 > 2 (crit)");
	/* Down to warn needs hold samples too. */
	assert_int_equal(put(a, "k", 4, 1.5, &ch), 0);
	assert_int_equal(put(a, "k", 5, 1.5, &ch), 0);
	assert_int_equal(put(a, "k", 6, 1.5, &ch), 1);
	assert_int_equal(ch.from, ALERT_CRITICAL);
	assert_int_equal(ch.to, ALERT_WARNING);
	assert_string_equal(ch.reason, "1.5 > 1 (warn)");
	alert_set_free(a);

	/* The crit condition written first changes nothing. */
	a = set_of("m > 2 crit, > 1 warn hold 1");
	assert_int_equal(put(a, "k", 1, 3, &ch), 1);
	assert_int_equal(ch.to, ALERT_CRITICAL);
	alert_set_free(a);
}

/* Values around the crit threshold from OK: never three crit in a row, but
 * never below warn: WARNING, then CRITICAL once crit lasts. */
static void hovering_around_crit(void **st)
{
	(void)st;
	alert_set *a = set_of("m > 1 warn, > 2 crit");
	struct alert_change ch;
	assert_int_equal(put(a, "k", 1, 1.5, &ch), 0);
	assert_int_equal(put(a, "k", 2, 3, &ch), 0);
	assert_int_equal(put(a, "k", 3, 1.5, &ch), 1);
	assert_int_equal(ch.from, ALERT_OK);
	assert_int_equal(ch.to, ALERT_WARNING);
	assert_string_equal(ch.reason, "1.5 > 1 (warn)");
	assert_int_equal(put(a, "k", 4, 3, &ch), 0);
	assert_int_equal(put(a, "k", 5, 3, &ch), 0);
	assert_int_equal(put(a, "k", 6, 3, &ch), 1);
	assert_int_equal(ch.to, ALERT_CRITICAL);
	/* From CRITICAL: ok, warn, ok is WARNING ("no longer crit"), then OK. */
	assert_int_equal(put(a, "k", 7, 0, &ch), 0);
	assert_int_equal(put(a, "k", 8, 1.5, &ch), 0);
	assert_int_equal(put(a, "k", 9, 0, &ch), 1);
	assert_int_equal(ch.from, ALERT_CRITICAL);
	assert_int_equal(ch.to, ALERT_WARNING);
	assert_string_equal(ch.reason, "no longer crit: 0");
	assert_int_equal(put(a, "k", 10, 0, &ch), 0);
	assert_int_equal(put(a, "k", 11, 0, &ch), 0);
	assert_int_equal(put(a, "k", 12, 0, &ch), 1);
	assert_int_equal(ch.to, ALERT_OK);
	assert_string_equal(ch.reason, "back to normal: 0");
	/* Warn, crit, crit from OK with a warn condition that no longer holds
	 * at the last sample: WARNING, the reason the crit one. */
	alert_set_free(a);
	a = set_of("m < 0 warn, > 5 crit");
	assert_int_equal(put(a, "k", 1, -1, &ch), 0);
	assert_int_equal(put(a, "k", 2, 7, &ch), 0);
	assert_int_equal(put(a, "k", 3, 7, &ch), 1);
	assert_int_equal(ch.to, ALERT_WARNING);
	assert_string_equal(ch.reason, "7 > 5 (crit)");
	alert_set_free(a);
}

static void abs_negative(void **st)
{
	(void)st;
	alert_set *a = set_of("m abs > 0.01 warn, abs > 0.1 crit");
	struct alert_change ch;
	put(a, "k", 1, -0.153, &ch);
	put(a, "k", 2, -0.153, &ch);
	assert_int_equal(put(a, "k", 3, -0.153, &ch), 1);
	assert_int_equal(ch.to, ALERT_CRITICAL);
	assert_string_equal(ch.reason, "|-0.153| > 0.1 (crit)");
	for (int i = 0; i < 3; i++)
		put(a, "k", 4 + i, -0.05, &ch);
	assert_int_equal(ch.to, ALERT_WARNING);
	assert_string_equal(ch.reason, "|-0.05| > 0.01 (warn)");
	for (int i = 0; i < 3; i++)
		put(a, "k", 7 + i, -0.005, &ch);
	assert_int_equal(ch.to, ALERT_OK);
	assert_string_equal(ch.reason, "back to normal: -0.005");
	alert_set_free(a);

	/* Without abs a negative value is below any positive threshold. */
	a = set_of("m > 0.01 warn hold 1");
	assert_int_equal(put(a, "k", 1, -5, NULL), 0);
	alert_set_free(a);
}

static void matchers_select(void **st)
{
	(void)st;
	alert_set *a = set_of("sundial_gps_satellites_used{device=\"/dev/a\"} < 4 warn hold 1");
	const char *names[] = { "source", "device" };
	const char *va[] = { "gpsd", "/dev/a" }, *vb[] = { "gpsd", "/dev/b" };
	struct alert_change ch;
	assert_int_equal(
		alert_eval(a, "sundial_gps_satellites_used", names, vb, 2, "b", 1, 0, &ch, 1), 0);
	assert_int_equal(
		alert_eval(a, "sundial_gps_satellites_seen", names, va, 2, "s", 1, 0, &ch, 1), 0);
	assert_int_equal(
		alert_eval(a, "sundial_gps_satellites_used", names, va, 1, "short", 1, 0, &ch, 1),
		0); /* only "source" given */
	assert_int_equal(
		alert_eval(a, "sundial_gps_satellites_used", names, va, 2, "a", 1, 0, &ch, 1), 1);
	struct seen s = { 0 };
	alert_each(a, collect, &s);
	assert_int_equal(s.n, 1); /* no state for the others */
	assert_string_equal(s.keys[0], "a");
	alert_set_free(a);

	/* An absent label matches "". */
	a = set_of("m{window=\"\"} > 1 warn hold 1");
	const char *wn[] = { "window" }, *wv[] = { "5m" };
	assert_int_equal(alert_eval(a, "m", wn, wv, 1, "w", 1, 2, &ch, 1), 0);
	assert_int_equal(alert_eval(a, "m", NULL, NULL, 0, "none", 1, 2, &ch, 1), 1);
	alert_set_free(a);

	/* Two rules on one metric, each with its own state per key. */
	struct alert_rule r[2] = { parse_ok("m{window=5m} == 0 warn hold 1"),
				   parse_ok("m{window=1h} == 0 crit hold 1") };
	a = alert_set_new(r, 2);
	const char *w1[] = { "1h" };
	assert_int_equal(alert_eval(a, "m", wn, wv, 1, "k5", 1, 0, &ch, 1), 1);
	assert_int_equal(ch.to, ALERT_WARNING);
	assert_int_equal(alert_eval(a, "m", wn, w1, 1, "k1", 1, 0, &ch, 1), 1);
	assert_int_equal(ch.to, ALERT_CRITICAL);
	alert_set_free(a);
}

static void changes(void **st)
{
	(void)st;
	alert_set *a = set_of("m changes warn");
	struct alert_change ch;
	assert_int_equal(put(a, "k", 1, 2, &ch), 0); /* the first only sets the value */
	assert_int_equal(put(a, "k", 2, 2, &ch), 0);
	assert_int_equal(put(a, "k", 3, 3, &ch), 0);
	assert_int_equal(put(a, "k", 4, 3, &ch), 0);
	assert_int_equal(put(a, "k", 5, 3, &ch), 1);
	assert_int_equal(ch.to, ALERT_WARNING);
	assert_string_equal(ch.reason, "changed 2 -> 3 (warn)");
	assert_true(ch.t == 5);
	/* Back to OK hold samples after the condition stopped holding. */
	assert_int_equal(put(a, "k", 6, 3, &ch), 0);
	assert_int_equal(put(a, "k", 7, 3, &ch), 0);
	assert_int_equal(put(a, "k", 8, 3, &ch), 1);
	assert_int_equal(ch.to, ALERT_OK);
	assert_string_equal(ch.reason, "back to normal: 3");
	/* A missing value is no change and keeps the value to compare with. */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(put(a, "k", 10 + i, NAN, &ch), 0);
		assert_int_equal(put(a, "k", 10.5 + i, 3, &ch), 0);
	}
	/* A change during the window starts it over: 3 -> 4, 4 -> 5. */
	assert_int_equal(put(a, "k", 30, 4, &ch), 0);
	assert_int_equal(put(a, "k", 31, 5, &ch), 0);
	assert_int_equal(put(a, "k", 32, 5, &ch), 1);
	assert_string_equal(ch.reason, "changed 4 -> 5 (warn)");
	/* The last change (at 31) holds for 31, 32, 33; OK after 34, 35, 36. */
	assert_int_equal(put(a, "k", 33, 5, &ch), 0);
	assert_int_equal(put(a, "k", 34, 5, &ch), 0);
	assert_int_equal(put(a, "k", 35, 5, &ch), 0);
	assert_int_equal(put(a, "k", 36, 5, &ch), 1);
	assert_int_equal(ch.to, ALERT_OK);
	alert_set_free(a);

	/* A first value after missing ones only sets the value too. */
	a = set_of("m changes crit hold 1");
	assert_int_equal(put(a, "k", 1, NAN, &ch), 0);
	assert_int_equal(put(a, "k", 2, 7, &ch), 0);
	assert_int_equal(put(a, "k", 3, 8, &ch), 1);
	assert_int_equal(ch.to, ALERT_CRITICAL);
	assert_string_equal(ch.reason, "changed 7 -> 8 (crit)");
	assert_int_equal(put(a, "k", 4, 8, &ch), 1);
	assert_int_equal(ch.to, ALERT_OK);
	alert_set_free(a);
}

static void missing(void **st)
{
	(void)st;
	alert_set *a = set_of("m missing crit hold 2");
	struct alert_change ch;
	assert_int_equal(put(a, "k", 1, NAN, &ch), 0);
	assert_int_equal(put(a, "k", 2, NAN, &ch), 1);
	assert_int_equal(ch.to, ALERT_CRITICAL);
	assert_true(isnan(ch.value));
	assert_string_equal(ch.reason, "no value (crit)");
	assert_int_equal(put(a, "k", 3, 1, &ch), 0);
	assert_int_equal(put(a, "k", 4, 1, &ch), 1);
	assert_int_equal(ch.to, ALERT_OK);
	assert_string_equal(ch.reason, "back to normal: 1");
	alert_set_free(a);

	/* Without a missing condition a NAN is no sample: it never alerts,
	 * neither interrupts nor counts towards a hold, and never brings an
	 * alert back to normal (a failing source keeps its states). */
	a = set_of("m < 1 warn, > 100 crit");
	for (int i = 0; i < 10; i++)
		assert_int_equal(put(a, "k", i, NAN, &ch), 0);
	assert_int_equal(put(a, "k", 10, 0, &ch), 0);
	assert_int_equal(put(a, "k", 11, 0, &ch), 0);
	assert_int_equal(put(a, "k", 12, NAN, &ch), 0);
	assert_int_equal(put(a, "k", 13, 0, &ch), 1);
	assert_int_equal(ch.to, ALERT_WARNING);
	for (int i = 14; i < 30; i++)
		assert_int_equal(put(a, "k", i, NAN, &ch), 0);
	struct seen s = { 0 };
	alert_each(a, collect, &s);
	assert_int_equal(s.v[0].state, ALERT_WARNING);
	assert_true(s.v[0].last_value == 0);
	alert_set_free(a);

	/* Infinities are values and compare. */
	a = set_of("m > 1 warn hold 1");
	assert_int_equal(put(a, "k", 1, INFINITY, &ch), 1);
	assert_string_equal(ch.reason, "inf > 1 (warn)");
	alert_set_free(a);
}

static void recovery_needs_hold(void **st)
{
	(void)st;
	alert_set *a = set_of("sundial_collect_up == 0 crit hold 2");
	struct alert_change ch;
	double t = 0;
	size_t n = 0;
	for (int i = 0; i < 2; i++)
		n += alert_eval(a, "sundial_collect_up", NULL, NULL, 0, "s", t++, 0, &ch, 1);
	assert_int_equal(n, 1);
	assert_int_equal(alert_eval(a, "sundial_collect_up", NULL, NULL, 0, "s", t++, 1, &ch, 1),
			 0);
	assert_int_equal(alert_eval(a, "sundial_collect_up", NULL, NULL, 0, "s", t++, 0, &ch, 1),
			 0);
	assert_int_equal(alert_eval(a, "sundial_collect_up", NULL, NULL, 0, "s", t++, 1, &ch, 1),
			 0);
	assert_int_equal(alert_eval(a, "sundial_collect_up", NULL, NULL, 0, "s", t, 1, &ch, 1), 1);
	assert_int_equal(ch.from, ALERT_CRITICAL);
	assert_int_equal(ch.to, ALERT_OK);
	assert_true(ch.t == t);
	struct seen s = { 0 };
	alert_each(a, collect, &s);
	assert_int_equal(s.v[0].state, ALERT_OK);
	assert_true(s.v[0].since == t);
	assert_string_equal(s.v[0].reason, "back to normal: 1");
	alert_set_free(a);
}

static void worst_by_prefix(void **st)
{
	(void)st;
	alert_set *a = set_of("m > 1 warn, > 2 crit hold 1");
	assert_int_equal(alert_worst(a, ""), ALERT_OK); /* no states */
	put(a, "srv1/offset", 1, 3, NULL);
	put(a, "srv1/jitter", 1, 0, NULL);
	put(a, "srv2/offset", 1, 1.5, NULL);
	put(a, "srv3/offset", 1, 0, NULL);
	assert_int_equal(alert_worst(a, "srv1/"), ALERT_CRITICAL);
	assert_int_equal(alert_worst(a, "srv2/"), ALERT_WARNING);
	assert_int_equal(alert_worst(a, "srv3/"), ALERT_OK);
	assert_int_equal(alert_worst(a, "srv4/"), ALERT_OK);
	assert_int_equal(alert_worst(a, ""), ALERT_CRITICAL);
	assert_int_equal(alert_worst(a, NULL), ALERT_CRITICAL);
	assert_int_equal(alert_worst(a, "srv1/jitter"), ALERT_OK);
	assert_int_equal(alert_worst(NULL, ""), ALERT_OK);
	alert_set_free(a);

	assert_string_equal(alert_state_name(ALERT_OK), "OK");
	assert_string_equal(alert_state_name(ALERT_WARNING), "WARNING");
	assert_string_equal(alert_state_name(ALERT_CRITICAL), "CRITICAL");
	assert_string_equal(alert_state_name(ALERT_UNKNOWN), "UNKNOWN");
	assert_string_equal(alert_state_name((enum alert_state)42), "UNKNOWN");
}

static void forget(void **st)
{
	(void)st;
	struct alert_rule r[2] = { parse_ok("m > 1 warn hold 1"), parse_ok("m > 2 crit hold 1") };
	alert_set *a = alert_set_new(r, 2);
	assert_int_equal(put(a, "a", 1, 3, NULL), 2);
	assert_int_equal(put(a, "b", 1, 3, NULL), 2);
	assert_int_equal(put(a, "c", 1, 1.5, NULL), 1);
	struct seen s = { 0 };
	alert_each(a, collect, &s);
	assert_int_equal(s.n, 6);
	alert_forget(a, "b"); /* both rules' states */
	alert_forget(a, "nothing");
	alert_forget(a, "");
	alert_forget(NULL, "a");
	alert_forget(a, NULL);
	memset(&s, 0, sizeof s);
	alert_each(a, collect, &s);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.keys[0], "a");
	assert_string_equal(s.keys[1], "a");
	assert_string_equal(s.keys[2], "c");
	assert_string_equal(s.keys[3], "c");
	assert_int_equal(alert_worst(a, "b"), ALERT_OK);
	assert_int_equal(alert_worst(a, "a"), ALERT_CRITICAL);
	/* A forgotten series starts again from OK, after the others. */
	assert_int_equal(put(a, "b", 2, 0, NULL), 0);
	memset(&s, 0, sizeof s);
	alert_each(a, collect, &s);
	assert_int_equal(s.n, 6);
	assert_string_equal(s.keys[4], "b");
	assert_int_equal(s.v[4].state, ALERT_OK);
	assert_string_equal(s.v[4].reason, "");
	assert_true(s.v[4].since == 2);
	alert_forget(a, "a");
	alert_forget(a, "b");
	alert_forget(a, "c");
	memset(&s, 0, sizeof s);
	alert_each(a, collect, &s);
	assert_int_equal(s.n, 0);
	alert_set_free(a);
}

struct count_arg {
	size_t n, warn;
	long last;
	bool ordered;
};

static void count_states(void *arg, const struct alert_view *v)
{
	struct count_arg *c = arg;
	long k = strtol(v->series_key + 4, NULL, 10);
	if (k <= c->last)
		c->ordered = false;
	c->last = k;
	c->n++;
	c->warn += v->state == ALERT_WARNING;
}

static void many_series(void **st)
{
	(void)st;
	enum { N = 10000 };
	alert_set *a = set_of("m > 1 warn");
	char key[32];
	for (int round = 0; round < 3; round++) {
		size_t changes = 0;
		for (int i = 0; i < N; i++) {
			snprintf(key, sizeof key, "key/%d", i);
			changes += put(a, key, round, 5, NULL);
		}
		assert_int_equal(changes, round == 2 ? N : 0);
	}
	struct count_arg c = { .last = -1, .ordered = true };
	alert_each(a, count_states, &c);
	assert_int_equal(c.n, N);
	assert_int_equal(c.warn, N);
	assert_true(c.ordered);
	/* Forget the odd ones: the rest are all still found (no new state is
	 * made for them, their state goes on). */
	for (int i = 1; i < N; i += 2) {
		snprintf(key, sizeof key, "key/%d", i);
		alert_forget(a, key);
	}
	size_t changes = 0;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i += 2) {
			snprintf(key, sizeof key, "key/%d", i);
			changes += put(a, key, 10 + round, 0, NULL);
		}
	}
	assert_int_equal(changes, N / 2);
	c = (struct count_arg){ .last = -1, .ordered = true };
	alert_each(a, count_states, &c);
	assert_int_equal(c.n, N / 2);
	assert_int_equal(c.warn, 0);
	assert_true(c.ordered);
	assert_int_equal(alert_worst(a, "key/"), ALERT_OK);
	alert_set_free(a);
}

static void count_beyond_max(void **st)
{
	(void)st;
	struct alert_rule r[5];
	for (size_t i = 0; i < 5; i++)
		r[i] = parse_ok("m > 1 warn hold 1");
	alert_set *a = alert_set_new(r, 5);
	struct alert_change out[3];
	memset(out, 0x5a, sizeof out);
	assert_int_equal(alert_eval(a, "m", NULL, NULL, 0, "k", 1, 2, out, 2), 5);
	assert_ptr_equal(out[0].rule, out[1].rule - 1);
	assert_int_equal(out[0].to, ALERT_WARNING);
	assert_int_equal(out[1].to, ALERT_WARNING);
	assert_int_equal(((unsigned char *)&out[2])[0], 0x5a); /* untouched */
	assert_int_equal(alert_eval(a, "m", NULL, NULL, 0, "k", 2, 0, NULL, 0), 5);
	assert_int_equal(alert_eval(a, "m", NULL, NULL, 0, "k", 3, 0, out, 3), 0);
	alert_set_free(a);
}

static void labels_copied(void **st)
{
	(void)st;
	alert_set *a = set_of("m > 1 warn hold 1");
	char n0[16] = "source", v0[16] = "ntpd", n1[16] = "upstream", v1[16] = "192.0.2.1";
	const char *names[] = { n0, n1 }, *values[] = { v0, v1 };
	assert_int_equal(alert_eval(a, "m", names, values, 2, "k", 1, 2, NULL, 0), 1);
	memset(n0, 'X', sizeof n0 - 1);
	memset(v1, 'Y', sizeof v1 - 1);
	/* Later samples with other labels do not change the copies. */
	const char *other[] = { "other", "x" };
	assert_int_equal(alert_eval(a, "m", other, other, 2, "k", 2, 2, NULL, 0), 0);
	struct seen s = { 0 };
	alert_each(a, collect, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].n_labels, 2);
	assert_string_equal(s.labels[0][0], "source=ntpd");
	assert_string_equal(s.labels[0][1], "upstream=192.0.2.1");
	/* NULL names are skipped in matching, NULL values copied as "". */
	const char *nn[] = { "a", NULL }, *nv[] = { NULL, "b" };
	assert_int_equal(alert_eval(a, "m", nn, nv, 2, "n", 1, 2, NULL, 0), 1);
	memset(&s, 0, sizeof s);
	alert_each(a, collect, &s);
	assert_string_equal(s.labels[1][0], "a=");
	assert_string_equal(s.labels[1][1], "=b");
	alert_set_free(a);
}

static void bad_sets_and_args(void **st)
{
	(void)st;
	struct alert_rule ok = parse_ok("m > 1 warn");
	struct alert_rule r = ok;
	r.hold = 0;
	assert_null(alert_set_new(&r, 1));
	r = ok;
	r.hold = 1001;
	assert_null(alert_set_new(&r, 1));
	r = ok;
	r.warn.set = false;
	assert_null(alert_set_new(&r, 1));
	r = ok;
	r.n_match = ALERT_MAX_MATCH + 1;
	assert_null(alert_set_new(&r, 1));
	r = ok;
	r.warn.value = NAN;
	assert_null(alert_set_new(&r, 1));
	r = ok;
	r.warn.op = (enum alert_op)99;
	assert_null(alert_set_new(&r, 1));
	assert_null(alert_set_new(NULL, 1));

	/* Unterminated strings are cut in the copy. */
	r = ok;
	memset(r.metric, 'm', sizeof r.metric);
	memset(r.name, 'n', sizeof r.name);
	alert_set *a = alert_set_new(&r, 1);
	assert_non_null(a);
	struct seen s = { 0 };
	char metric[sizeof r.metric];
	memset(metric, 'm', sizeof metric - 1);
	metric[sizeof metric - 1] = '\0';
	assert_int_equal(alert_eval(a, metric, NULL, NULL, 0, "k", 1, 2, NULL, 0), 0);
	alert_each(a, collect, &s);
	assert_int_equal(s.n, 1);
	assert_int_equal(strlen(s.v[0].rule->name), sizeof r.name - 1);
	alert_set_free(a);

	a = alert_set_new(NULL, 0);
	assert_non_null(a);
	assert_int_equal(alert_eval(a, "m", NULL, NULL, 0, "k", 1, 2, NULL, 0), 0);
	alert_set_free(a);

	a = set_of("m > 1 warn hold 1");
	const char *n[] = { "a" };
	assert_int_equal(alert_eval(NULL, "m", NULL, NULL, 0, "k", 1, 2, NULL, 0), 0);
	assert_int_equal(alert_eval(a, NULL, NULL, NULL, 0, "k", 1, 2, NULL, 0), 0);
	assert_int_equal(alert_eval(a, "m", NULL, NULL, 0, NULL, 1, 2, NULL, 0), 0);
	assert_int_equal(alert_eval(a, "m", n, NULL, 1, "k", 1, 2, NULL, 0), 0);
	assert_int_equal(alert_eval(a, "m", NULL, n, 1, "k", 1, 2, NULL, 0), 0);
	alert_each(a, NULL, NULL);
	alert_each(NULL, collect, &s);
	alert_set_free(a);
	alert_set_free(NULL);
}

/* --- 4. random words --- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const tokens[] = {
	"m",	   "sundial_daemon_offset_seconds",
	"m{a=1}",  "m{a=\"x\",b=\"\"}",
	"abs",	   ">",
	">=",	   "<",
	"<=",	   "==",
	"!=",	   "changes",
	"missing", "warn",
	"crit",	   "warn,",
	"crit,",   ",",
	"hold",	   "3",
	"1000",	   "0.01",
	"-5",	   "1e-3",
	"name",	   "x",
	"nan",	   "{",
	"}",	   "\"",
};
#define N_TOKENS (sizeof tokens / sizeof tokens[0])

/* A line after the grammar: METRIC, one or two [abs] OP NUMBER LEVEL or
 * changes/missing LEVEL groups, maybe hold and name. */
static size_t grammar_line(char words[][24])
{
	static const char *const metric[] = { "m", "sundial_query_up", "m{a=1}", "m{a=\"\"}",
					      "x:y{b=\"q\",c=d}" };
	static const char *const op[] = { ">", ">=", "<", "<=", "==", "!=" };
	size_t n = 0;
	snprintf(words[n++], 24, "%s", metric[rnd() % 5]);
	size_t groups = 1 + (size_t)(rnd() % 2);
	bool trailing = false; /* the last level ended in ',' */
	for (size_t g = 0; g < groups; g++) {
		uint64_t x = rnd();
		if (g && !trailing)
			snprintf(words[n++], 24, ",");
		if (x % 5 == 0) {
			snprintf(words[n++], 24, "%s", x % 10 ? "changes" : "missing");
		} else {
			if (x % 3 == 0)
				snprintf(words[n++], 24, "abs");
			snprintf(words[n++], 24, "%s", op[(x >> 8) % 6]);
			snprintf(words[n++], 24, "%g", (double)((x >> 16) % 2000) / 100.0 - 10.0);
		}
		trailing = g + 1 < groups && rnd() % 2;
		snprintf(words[n++], 24, "%s%s", g ? "crit" : "warn", trailing ? "," : "");
	}
	if (rnd() % 2) {
		snprintf(words[n++], 24, "hold");
		snprintf(words[n++], 24, "%u", (unsigned)(rnd() % 1100));
	}
	if (rnd() % 2) {
		snprintf(words[n++], 24, "name");
		snprintf(words[n++], 24, "n%u", (unsigned)(rnd() % 100));
	}
	return n;
}

static void random_word(char *w)
{
	uint64_t x = rnd();
	if (x % 3) {
		snprintf(w, 24, "%s", tokens[(x >> 8) % N_TOKENS]);
		return;
	}
	size_t len = (size_t)((x >> 8) % 20);
	for (size_t k = 0; k < len; k++)
		w[k] = (char)(1 + rnd() % 255);
	w[len] = '\0';
}

static void random_words(void **st)
{
	(void)st;
	rng = test_seed ? test_seed : 1;
	size_t accepted = 0;
	for (int iter = 0; iter < 10000; iter++) {
		char words[16][24];
		const char *argv[16];
		size_t argc;
		if (iter % 3 == 0) {
			argc = (size_t)(rnd() % 12);
			for (size_t i = 0; i < argc; i++)
				random_word(words[i]);
		} else {
			argc = grammar_line(words);
			/* Then none to three mutations. */
			for (size_t m = (size_t)(rnd() % 4); m > 0 && argc > 0; m--) {
				uint64_t x = rnd();
				size_t i = (size_t)((x >> 8) % argc);
				switch (x % 4) {
				case 0: /* drop a word */
					memmove(words[i], words[i + 1],
						(argc - i - 1) * sizeof words[0]);
					argc--;
					break;
				case 1: /* repeat one */
					if (argc < 16) {
						memmove(words[i + 1], words[i],
							(argc - i) * sizeof words[0]);
						argc++;
					}
					break;
				case 2: random_word(words[i]); break;
				default: /* change one octet */
					if (words[i][0])
						words[i][(x >> 16) % strlen(words[i])] =
							(char)(1 + (x >> 24) % 255);
					break;
				}
			}
		}
		for (size_t i = 0; i < argc; i++)
			argv[i] = words[i];
		struct alert_rule r;
		char err[ERRLEN] = "";
		int rc = alert_rule_parse(argc, argv, &r, err, sizeof err);
		if (rc != 0) {
			assert_int_equal(rc, -EINVAL);
			assert_true(strlen(err) > 10);
			for (const char *p = err; *p; p++)
				assert_true(*p >= 0x20 && *p < 0x7f);
			continue;
		}
		accepted++;
		assert_true(strlen(r.name) >= 1 && strlen(r.name) < ALERT_NAME_MAX);
		assert_true(r.warn.set || r.crit.set);
		assert_in_range(r.hold, 1, 1000);
		alert_set *a = alert_set_new(&r, 1);
		assert_non_null(a);
		const char *names[ALERT_MAX_MATCH], *values[ALERT_MAX_MATCH];
		for (size_t m = 0; m < r.n_match; m++) {
			names[m] = r.match_label[m];
			values[m] = r.match_value[m];
		}
		for (int k = 0; k < 8; k++) {
			double v = k % 3 == 0 ? NAN : (double)(rnd() % 200) / 10.0 - 10.0;
			struct alert_change ch;
			size_t n = alert_eval(a, r.metric, names, values, r.n_match, "k", k, v, &ch,
					      1);
			assert_true(n <= 1);
			if (n)
				assert_int_not_equal(ch.from, ch.to);
		}
		alert_set_free(a);
	}
	printf("test_alert: %zu of 10000 random lines parsed (seed %" PRIu64 ")\n", accepted,
	       test_seed);
	assert_true(accepted > 1000); /* the generator reaches the evaluation */
}

int main(void)
{
	const char *env = getenv("TEST_SEED");
	test_seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("test_alert: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       test_seed, test_seed);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(header_examples),
		cmocka_unit_test(other_forms),
		cmocka_unit_test(rejects),
		cmocka_unit_test(rejects_words),
		cmocka_unit_test(default_rules),
		cmocka_unit_test(hold_three),
		cmocka_unit_test(flapping_never_changes),
		cmocka_unit_test(crit_beats_warn),
		cmocka_unit_test(hovering_around_crit),
		cmocka_unit_test(abs_negative),
		cmocka_unit_test(matchers_select),
		cmocka_unit_test(changes),
		cmocka_unit_test(missing),
		cmocka_unit_test(recovery_needs_hold),
		cmocka_unit_test(worst_by_prefix),
		cmocka_unit_test(forget),
		cmocka_unit_test(many_series),
		cmocka_unit_test(count_beyond_max),
		cmocka_unit_test(labels_copied),
		cmocka_unit_test(bad_sets_and_args),
		cmocka_unit_test(random_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
