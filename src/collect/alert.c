/* alert.c - alert rules and their evaluation; see alert.h.
 *
 * A rule is parsed from words into a struct alert_rule (fixed-size strings,
 * nothing allocated).  A set keeps one state per (rule, series key).  The
 * states form a doubly linked list in the order they were created (for
 * alert_each() and alert_worst()) and are found through an open-addressing
 * hash table: linear probing on FNV-1a of the key mixed with the rule's
 * index, kept at most half full, with deletion by backward shift so that no
 * tombstones pile up as sources come and go. */
#include "collect/alert.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/mem.h"

#define HOLD_DEFAULT 3
#define HOLD_MAX 1000
#define NAME_GIVEN_MAX 64 /* a NAME after "name" */
#define NUMBER_MAX 64	  /* octets of a NUMBER word */
#define COND_TEXT_MAX 160 /* a condition as written, for messages and the default name */
#define COND_EXPECTED "a condition ([abs] > >= < <= == != NUMBER, changes or missing)"
#define OPS_EXPECTED "> >= < <= == !="

static const char *const op_word[] = { ">", ">=", "<", "<=", "==", "!=", "changes", "missing" };

const char *alert_state_name(enum alert_state s)
{
	switch (s) {
	case ALERT_OK: return "OK";
	case ALERT_WARNING: return "WARNING";
	case ALERT_CRITICAL: return "CRITICAL";
	case ALERT_UNKNOWN: return "UNKNOWN";
	}
	return "UNKNOWN";
}

/* --- the parser --- */

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Metric names may hold ':', label names may not. */
static bool is_name_start(char c, bool colon)
{
	return is_alpha(c) || (colon && c == ':');
}

static bool is_name_char(char c, bool colon)
{
	return is_name_start(c, colon) || is_digit(c);
}

/* An octet of an unquoted label value: printable, not blank, not one of the
 * selector's own characters. */
static bool is_bare_value_char(char c)
{
	unsigned char u = (unsigned char)c;
	return u > 0x20 && u != 0x7f && !strchr("{}\",=\\", c);
}

/* "at column 7 of 'x{a=}', got '}'" into buf. */
static void where(char *buf, size_t len, const char *w, size_t i)
{
	unsigned char c = (unsigned char)w[i];
	if (c == '\0')
		str_format(buf, len, "at column %zu of '%s', got the end of the word", i + 1,
			   conf_quote(w).s);
	else if (c >= 0x20 && c < 0x7f)
		str_format(buf, len, "at column %zu of '%s', got '%c'", i + 1, conf_quote(w).s, c);
	else
		str_format(buf, len, "at column %zu of '%s', got octet 0x%02x", i + 1,
			   conf_quote(w).s, c);
}

static int sel_expected(char *err, size_t errlen, const char *w, size_t i, const char *what)
{
	char at[128];
	where(at, sizeof at, w, i);
	str_format(err, errlen, "expected %s %s", what, at);
	return -EINVAL;
}

/* A quoted label value starting after the opening quote at w[*pos]: \" and
 * \\ are its only escapes. */
static int parse_quoted_value(const char *w, size_t *pos, const char *label, char *out,
			      size_t outlen, char *err, size_t errlen)
{
	size_t i = *pos, n = 0;
	for (;;) {
		char c = w[i];
		if (c == '\0') {
			str_format(err, errlen,
				   "unclosed quote in the value of label '%s' in '%s'; end the "
				   "value with '\"'",
				   label, conf_quote(w).s);
			return -EINVAL;
		}
		if (c == '"') {
			i++;
			break;
		}
		if (c == '\\') {
			c = w[i + 1];
			if (c != '"' && c != '\\') {
				char at[128];
				where(at, sizeof at, w, i + 1);
				str_format(err, errlen,
					   "expected '\"' or '\\' after a backslash (the only "
					   "escapes in a label value) %s",
					   at);
				return -EINVAL;
			}
			i++;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f)
			return sel_expected(err, errlen, w, i,
					    "a printable character in a label value");
		if (n + 1 >= outlen) {
			str_format(err, errlen,
				   "the value of label '%s' is longer than %zu characters in '%s'",
				   label, outlen - 1, conf_quote(w).s);
			return -EINVAL;
		}
		out[n++] = c;
		i++;
	}
	out[n] = '\0';
	*pos = i;
	return 0;
}

/* argv[0]: METRIC[{LABEL=VALUE,LABEL="VALUE",...}]. */
static int parse_selector(const char *w, struct alert_rule *r, char *err, size_t errlen)
{
	size_t i = 0;
	while (w[i] && w[i] != '{') {
		if (!(i == 0 ? is_name_start(w[i], true) : is_name_char(w[i], true)))
			return sel_expected(
				err, errlen, w, i,
				"a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, e.g. "
				"sundial_daemon_offset_seconds), optionally followed by "
				"{LABEL=\"VALUE\",...},");
		i++;
	}
	if (i == 0)
		return sel_expected(err, errlen, w, 0,
				    "a metric name (e.g. sundial_daemon_offset_seconds)");
	if (i >= sizeof r->metric) {
		str_format(err, errlen, "the metric name is longer than %zu characters: '%s'",
			   sizeof r->metric - 1, conf_quote(w).s);
		return -EINVAL;
	}
	memcpy(r->metric, w, i);
	r->metric[i] = '\0';
	if (!w[i])
		return 0;

	i++; /* '{' */
	for (;;) {
		if (!is_name_start(w[i], false))
			return sel_expected(err, errlen, w, i,
					    r->n_match ? "a label name ([a-zA-Z_][a-zA-Z0-9_]*) "
							 "after ','"
						       : "a label name ([a-zA-Z_][a-zA-Z0-9_]*)");
		size_t s = i;
		while (is_name_char(w[i], false))
			i++;
		size_t n = r->n_match, len = i - s;
		if (n == ALERT_MAX_MATCH) {
			str_format(err, errlen, "more than %d label matchers in '%s'",
				   ALERT_MAX_MATCH, conf_quote(w).s);
			return -EINVAL;
		}
		char *label = r->match_label[n];
		if (len >= sizeof r->match_label[n]) {
			str_format(err, errlen,
				   "a label name is longer than %zu characters in '%s'",
				   sizeof r->match_label[n] - 1, conf_quote(w).s);
			return -EINVAL;
		}
		memcpy(label, w + s, len);
		label[len] = '\0';
		for (size_t k = 0; k < n; k++) {
			if (strcmp(r->match_label[k], label) == 0) {
				str_format(err, errlen, "label '%s' is matched twice in '%s'",
					   label, conf_quote(w).s);
				return -EINVAL;
			}
		}
		if (w[i] != '=' || w[i + 1] == '~')
			return sel_expected(err, errlen, w, i,
					    "'=' after the label name (only exact matches, "
					    "LABEL=VALUE or LABEL=\"VALUE\")");
		i++;
		char *value = r->match_value[n];
		if (w[i] == '"') {
			i++;
			int rc = parse_quoted_value(w, &i, label, value, sizeof r->match_value[n],
						    err, errlen);
			if (rc < 0)
				return rc;
		} else {
			s = i;
			while (is_bare_value_char(w[i]))
				i++;
			len = i - s;
			if (len == 0)
				return sel_expected(err, errlen, w, i,
						    "a value after '=' (an empty one is written "
						    "\"\")");
			if (len >= sizeof r->match_value[n]) {
				str_format(err, errlen,
					   "the value of label '%s' is longer than %zu characters "
					   "in '%s'",
					   label, sizeof r->match_value[n] - 1, conf_quote(w).s);
				return -EINVAL;
			}
			memcpy(value, w + s, len);
			value[len] = '\0';
		}
		r->n_match++;
		if (w[i] == ',') {
			i++;
			continue;
		}
		if (w[i] == '}') {
			if (w[i + 1])
				return sel_expected(err, errlen, w, i + 1,
						    "nothing after the closing '}'");
			return 0;
		}
		if (w[i] == '\0') {
			str_format(err, errlen, "unclosed '{' in '%s'; end the matchers with '}'",
				   conf_quote(w).s);
			return -EINVAL;
		}
		return sel_expected(err, errlen, w, i, "',' or '}' after a label value");
	}
}

/* A decimal or exponent float, all of the word, finite: no "nan", "inf",
 * hex or blanks. */
static bool parse_number(const char *w, double *out)
{
	size_t n = strlen(w);
	if (n == 0 || n > NUMBER_MAX || strspn(w, "0123456789.eE+-") != n)
		return false;
	char *end;
	errno = 0;
	double v = strtod(w, &end);
	if (end != w + n || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool parse_op(const char *w, enum alert_op *op)
{
	for (size_t k = 0; k < sizeof op_word / sizeof op_word[0]; k++) {
		if (strcmp(w, op_word[k]) == 0) {
			*op = (enum alert_op)k;
			return true;
		}
	}
	return false;
}

static bool is_level(const char *w, size_t len)
{
	return len == 4 && (strncmp(w, "warn", 4) == 0 || strncmp(w, "crit", 4) == 0);
}

/* Whether w would start a condition (for the hints of error messages). */
static bool starts_cond(const char *w)
{
	enum alert_op op;
	return strcmp(w, "abs") == 0 || parse_op(w, &op);
}

struct parser {
	size_t argc, i;
	const char *const *argv;
	const char *prev; /* the last word taken, for "after '...'" */
	char *err;
	size_t errlen;
};

static const char *take(struct parser *p)
{
	if (p->i == p->argc)
		return NULL;
	const char *w = p->argv[p->i++];
	p->prev = w;
	return w;
}

/* COND; text gets it as written ("abs > 0.010", "changes"). */
static int parse_cond(struct parser *p, struct alert_cond *c, char *text, size_t textlen)
{
	const char *after = p->prev, *w = take(p);
	*c = (struct alert_cond){ .set = true };
	if (!w) {
		str_format(p->err, p->errlen, "expected %s after '%s', got nothing", COND_EXPECTED,
			   conf_quote(after).s);
		return -EINVAL;
	}
	if (strcmp(w, "changes") == 0 || strcmp(w, "missing") == 0) {
		c->op = w[0] == 'c' ? ALERT_CHANGES : ALERT_MISSING;
		str_copy(text, w, textlen);
		return 0;
	}
	if (strcmp(w, "abs") == 0) {
		c->abs = true;
		w = take(p);
		if (!w || !parse_op(w, &c->op) || c->op == ALERT_CHANGES ||
		    c->op == ALERT_MISSING) {
			str_format(p->err, p->errlen, "expected %s after 'abs', got %s%s%s",
				   OPS_EXPECTED, w ? "'" : "", w ? conf_quote(w).s : "nothing",
				   w ? "'" : "");
			return -EINVAL;
		}
	} else if (!parse_op(w, &c->op)) {
		const char *hint = "";
		if (w[0] && strchr("<>=!", w[0]))
			hint = " (put a blank between the operator and the number)";
		else if (is_level(w, strlen(w)) || is_level(w, strlen(w) - 1))
			hint = " (the condition comes before its level)";
		str_format(p->err, p->errlen, "expected %s after '%s', got '%s'%s", COND_EXPECTED,
			   conf_quote(after).s, conf_quote(w).s, hint);
		return -EINVAL;
	}
	const char *opw = op_word[c->op];
	w = take(p);
	if (!w || !parse_number(w, &c->value)) {
		str_format(p->err, p->errlen,
			   "expected a number (e.g. 0.01, 1e-3, -5) after '%s%s', got %s%s%s",
			   c->abs ? "abs " : "", opw, w ? "'" : "", w ? conf_quote(w).s : "nothing",
			   w ? "'" : "");
		return -EINVAL;
	}
	str_format(text, textlen, "%s%s %s", c->abs ? "abs " : "", opw, w);
	return 0;
}

/* [A-Za-z0-9_.:-], 1..64 octets. */
static bool valid_name(const char *w)
{
	size_t n = strlen(w);
	if (n == 0 || n > NAME_GIVEN_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(w[i], true) && w[i] != '.' && w[i] != '-')
			return false;
	return true;
}

static int parse_options(struct parser *p, struct alert_rule *r, size_t groups)
{
	bool have_hold = false, have_name = false;
	const char *w;
	while ((w = take(p)) != NULL) {
		if (strcmp(w, "hold") == 0) {
			if (have_hold) {
				str_format(p->err, p->errlen, "'hold' given twice");
				return -EINVAL;
			}
			const char *v = take(p);
			unsigned long h;
			if (!v || !conf_uint(v, 1, HOLD_MAX, &h)) {
				str_format(p->err, p->errlen,
					   "expected a number of samples from 1 to %d after "
					   "'hold', got %s%s%s",
					   HOLD_MAX, v ? "'" : "", v ? conf_quote(v).s : "nothing",
					   v ? "'" : "");
				return -EINVAL;
			}
			r->hold = (unsigned)h;
			have_hold = true;
		} else if (strcmp(w, "name") == 0) {
			if (have_name) {
				str_format(p->err, p->errlen, "'name' given twice");
				return -EINVAL;
			}
			const char *v = take(p);
			if (!v || !valid_name(v)) {
				str_format(p->err, p->errlen,
					   "expected a name of 1 to %d characters of "
					   "[A-Za-z0-9_.:-] after 'name', got %s%s%s",
					   NAME_GIVEN_MAX, v ? "'" : "",
					   v ? conf_quote(v).s : "nothing", v ? "'" : "");
				return -EINVAL;
			}
			str_copy(r->name, v, sizeof r->name);
			have_name = true;
		} else {
			const char *after = p->i >= 2 ? p->argv[p->i - 2] : "";
			const char *hint = "";
			bool opts = have_hold || have_name;
			if (starts_cond(w) && groups == 1 && !opts)
				hint = " (separate two conditions with ',')";
			else if (starts_cond(w) || strcmp(w, ",") == 0)
				hint = " (at most two conditions, one warn and one crit, before "
				       "hold and name)";
			str_format(p->err, p->errlen,
				   "expected %shold N or name NAME after '%s', got '%s'%s",
				   groups == 1 && !opts ? "',', " : "", conf_quote(after).s,
				   conf_quote(w).s, hint);
			return -EINVAL;
		}
	}
	return 0;
}

int alert_rule_parse(size_t argc, const char *const *argv, struct alert_rule *out, char *err,
		     size_t errlen)
{
	if (argc == 0 || !argv || !argv[0]) {
		str_format(err, errlen,
			   "expected a metric name and conditions, e.g. 'alert "
			   "sundial_daemon_offset_seconds abs > 0.01 warn, abs > 0.1 crit'");
		return -EINVAL;
	}
	for (size_t k = 0; k < argc; k++) {
		if (!argv[k]) {
			str_format(err, errlen, "word %zu is missing", k + 1);
			return -EINVAL;
		}
	}
	struct alert_rule r = { .hold = HOLD_DEFAULT };
	int rc = parse_selector(argv[0], &r, err, errlen);
	if (rc < 0)
		return rc;

	struct parser p = {
		.argc = argc, .i = 1, .argv = argv, .prev = argv[0], .err = err, .errlen = errlen
	};
	char first[COND_TEXT_MAX] = "", text[COND_TEXT_MAX];
	size_t groups = 0;
	for (;;) {
		struct alert_cond c;
		rc = parse_cond(&p, &c, text, sizeof text);
		if (rc < 0)
			return rc;
		const char *w = take(&p);
		size_t len = w ? strlen(w) : 0;
		bool comma = len > 1 && w[len - 1] == ',';
		if (!w || !is_level(w, len - comma)) {
			const char *hint = "";
			double d;
			if (w && (c.op == ALERT_CHANGES || c.op == ALERT_MISSING) &&
			    parse_number(w, &d))
				hint = c.op == ALERT_CHANGES ? " ('changes' takes no number)"
							     : " ('missing' takes no number)";
			str_format(err, errlen, "expected warn or crit after '%s', got %s%s%s%s",
				   conf_quote(text).s, w ? "'" : "",
				   w ? conf_quote(w).s : "nothing", w ? "'" : "", hint);
			return -EINVAL;
		}
		struct alert_cond *level = w[0] == 'w' ? &r.warn : &r.crit;
		if (level->set) {
			str_format(err, errlen,
				   "a second condition for %.4s ('%s'); each level takes at most "
				   "one",
				   w, conf_quote(text).s);
			return -EINVAL;
		}
		*level = c;
		if (groups++ == 0)
			str_copy(first, text, sizeof first);
		if (!comma && p.i < argc && strcmp(argv[p.i], ",") == 0) {
			take(&p);
			comma = true;
		}
		if (!comma)
			break;
		if (groups == 2) {
			str_format(err, errlen,
				   "expected hold N or name NAME after '%s %.4s', got ',' (at most "
				   "two conditions, one warn and one crit)",
				   conf_quote(text).s, w);
			return -EINVAL;
		}
	}
	rc = parse_options(&p, &r, groups);
	if (rc < 0)
		return rc;
	if (!r.name[0]) {
		const char *m = r.metric;
		if (strncmp(m, "sundial_", 8) == 0 && m[8])
			m += 8;
		str_format(r.name, sizeof r.name, "%s %s", m, first);
	}
	if (out)
		*out = r;
	return 0;
}

/* --- the default rules --- */

#define CMP(o, v)                                                                                  \
	{                                                                                          \
		.set = true, .op = (o), .value = (v)                                               \
	}
#define ABS(o, v)                                                                                  \
	{                                                                                          \
		.set = true, .abs = true, .op = (o), .value = (v)                                  \
	}
#define CHANGES                                                                                    \
	{                                                                                          \
		.set = true, .op = ALERT_CHANGES                                                   \
	}

static const struct alert_rule default_rules[] = {
	{ .name = "offset",
	  .metric = "sundial_daemon_offset_seconds",
	  .warn = ABS(ALERT_GT, 0.01),
	  .crit = ABS(ALERT_GT, 0.1),
	  .hold = 3 },
	{ .name = "query-offset",
	  .metric = "sundial_query_offset_seconds",
	  .warn = ABS(ALERT_GT, 0.01),
	  .crit = ABS(ALERT_GT, 0.1),
	  .hold = 3 },
	/* Per upstream: the daemon's own jitter (sundial_daemon_jitter_seconds)
	 * follows its system peer's. */
	{ .name = "source-jitter",
	  .metric = "sundial_daemon_source_jitter_seconds",
	  .warn = CMP(ALERT_GT, 0.005),
	  .crit = CMP(ALERT_GT, 0.05),
	  .hold = 3 },
	{ .name = "reach",
	  .metric = "sundial_daemon_source_reach_ratio",
	  .warn = CMP(ALERT_LT, 1),
	  .crit = CMP(ALERT_LT, 0.5),
	  .hold = 3 },
	{ .name = "stratum-change",
	  .metric = "sundial_daemon_stratum",
	  .warn = CHANGES,
	  .hold = 3 },
	{ .name = "query-stratum-change",
	  .metric = "sundial_query_stratum",
	  .warn = CHANGES,
	  .hold = 3 },
	{ .name = "unsynchronised",
	  .metric = "sundial_daemon_synchronised",
	  .crit = CMP(ALERT_EQ, 0),
	  .hold = 3 },
	/* ntpd's refclock status: 0 nominal. */
	{ .name = "refclock-status",
	  .metric = "sundial_daemon_refclock_status",
	  .warn = CMP(ALERT_NE, 0),
	  .hold = 3 },
	/* gpsd's mode: 0 unknown, 1 no fix, 2 2D, 3 3D. */
	{ .name = "gps-fix",
	  .metric = "sundial_gps_fix_mode",
	  .crit = CMP(ALERT_LT, 2),
	  .hold = 3 },
	{ .name = "gps-satellites",
	  .metric = "sundial_gps_satellites_used",
	  .warn = CMP(ALERT_LT, 4),
	  .crit = CMP(ALERT_LT, 1),
	  .hold = 3 },
	{ .name = "no-clients",
	  .metric = "sundial_traffic_clients",
	  .n_match = 1,
	  .match_label = { "window" },
	  .match_value = { "5m" },
	  .warn = CMP(ALERT_EQ, 0),
	  .hold = 3 },
	{ .name = "response-p99",
	  .metric = "sundial_traffic_response_p99_seconds",
	  .warn = CMP(ALERT_GT, 0.001),
	  .crit = CMP(ALERT_GT, 0.01),
	  .hold = 3 },
	{ .name = "source-failing",
	  .metric = "sundial_collect_up",
	  .crit = CMP(ALERT_EQ, 0),
	  .hold = 2 },
	{ .name = "server-down",
	  .metric = "sundial_query_up",
	  .crit = CMP(ALERT_EQ, 0),
	  .hold = 2 },
	{ .name = "nts-certificate",
	  .metric = "sundial_nts_certificate_remaining_seconds",
	  .warn = CMP(ALERT_LT, 28 * 86400),
	  .crit = CMP(ALERT_LT, 7 * 86400),
	  .hold = 1 },
	{ .name = "nts-key-exchange",
	  .metric = "sundial_nts_ke_ok",
	  .crit = CMP(ALERT_EQ, 0),
	  .hold = 2 },
	/* Meinberg LANTIME through SNMP (profiles/meinberg.profile):
	 * mbgLtNgRefclockState notSynchronized(2), mbgLtNgNtpCurrentState
	 * notSynchronized(1), and the receivers' signal. */
	{ .name = "meinberg-refclock",
	  .metric = "sundial_snmp_meinberg_refclock_state",
	  .crit = CMP(ALERT_EQ, 2),
	  .hold = 3 },
	{ .name = "meinberg-ntp",
	  .metric = "sundial_snmp_meinberg_ntp_state",
	  .crit = CMP(ALERT_EQ, 1),
	  .hold = 3 },
	{ .name = "meinberg-correlation",
	  .metric = "sundial_snmp_meinberg_refclock_correlation_ratio",
	  .warn = CMP(ALERT_LT, 0.6),
	  .crit = CMP(ALERT_LT, 0.3),
	  .hold = 3 },
	{ .name = "meinberg-field-strength",
	  .metric = "sundial_snmp_meinberg_refclock_field_strength_ratio",
	  .warn = CMP(ALERT_LT, 0.2),
	  .crit = CMP(ALERT_LT, 0.05),
	  .hold = 3 },
};

#undef CMP
#undef ABS
#undef CHANGES

const struct alert_rule *alert_default_rules(size_t *n)
{
	if (n)
		*n = sizeof default_rules / sizeof default_rules[0];
	return default_rules;
}

/* --- the set --- */

struct state {
	size_t rule; /* index into the set's rules */
	uint64_t hash;
	char *key;
	const char **label_names, **label_values; /* one block with their strings */
	size_t n_labels;
	enum alert_state cur, pending;
	unsigned count; /* samples pending has lasted */
	double since, last;
	/* "changes": the last value seen, the last change, and how many more
	 * samples the condition stays true. */
	bool have_prev;
	double prev, chg_from, chg_to;
	unsigned chg_left;
	char reason[160];
	struct state *older, *newer; /* creation order */
};

struct alert_set {
	struct alert_rule *rules;
	size_t n_rules;
	struct state **tab; /* cap slots, a power of two; NULL: empty */
	size_t cap, n;
	struct state *oldest, *newest;
};

static bool valid_cond(const struct alert_cond *c)
{
	if (!c->set)
		return true;
	if ((unsigned)c->op > ALERT_MISSING)
		return false;
	return c->op == ALERT_CHANGES || c->op == ALERT_MISSING || isfinite(c->value);
}

static bool valid_rule(const struct alert_rule *r)
{
	return r->n_match <= ALERT_MAX_MATCH && r->hold >= 1 && r->hold <= HOLD_MAX &&
	       (r->warn.set || r->crit.set) && valid_cond(&r->warn) && valid_cond(&r->crit);
}

/* The copies' strings are terminated whatever the caller's were. */
static void terminate(struct alert_rule *r)
{
	r->name[sizeof r->name - 1] = '\0';
	r->metric[sizeof r->metric - 1] = '\0';
	for (size_t k = 0; k < ALERT_MAX_MATCH; k++) {
		r->match_label[k][sizeof r->match_label[k] - 1] = '\0';
		r->match_value[k][sizeof r->match_value[k] - 1] = '\0';
	}
}

alert_set *alert_set_new(const struct alert_rule *rules, size_t n)
{
	if (n && !rules)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!valid_rule(&rules[i]))
			return NULL;
	alert_set *a = mem_calloc(1, sizeof *a);
	a->rules = mem_calloc(n, sizeof a->rules[0]);
	if (n)
		memcpy(a->rules, rules, n * sizeof rules[0]);
	for (size_t i = 0; i < n; i++)
		terminate(&a->rules[i]);
	a->n_rules = n;
	a->cap = 64;
	a->tab = mem_calloc(a->cap, sizeof a->tab[0]);
	return a;
}

static void state_free(struct state *s)
{
	free(s->key);
	free(s->label_names); /* the block */
	free(s);
}

void alert_set_free(alert_set *a)
{
	if (!a)
		return;
	struct state *s = a->oldest;
	while (s) {
		struct state *next = s->newer;
		state_free(s);
		s = next;
	}
	free(a->tab);
	free(a->rules);
	free(a);
}

/* FNV-1a over the key ... */
static uint64_t key_hash(const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ... mixed with the rule's index (splitmix64's finaliser, so that the low
 * bits used for the slot depend on all of it). */
static uint64_t state_hash(uint64_t kh, size_t rule)
{
	uint64_t h = kh ^ ((uint64_t)rule + 1) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

/* The slot of (rule, key), or the empty slot where it would go. */
static size_t find_slot(const alert_set *a, size_t rule, const char *key, uint64_t h)
{
	size_t mask = a->cap - 1, i = (size_t)h & mask;
	for (; a->tab[i]; i = (i + 1) & mask) {
		const struct state *s = a->tab[i];
		if (s->hash == h && s->rule == rule && strcmp(s->key, key) == 0)
			break;
	}
	return i;
}

static void grow(alert_set *a)
{
	size_t old_cap = a->cap;
	struct state **old = a->tab;
	a->cap *= 2;
	a->tab = mem_calloc(a->cap, sizeof a->tab[0]);
	size_t mask = a->cap - 1;
	for (size_t k = 0; k < old_cap; k++) {
		if (!old[k])
			continue;
		size_t i = (size_t)old[k]->hash & mask;
		while (a->tab[i])
			i = (i + 1) & mask;
		a->tab[i] = old[k];
	}
	free(old);
}

/* Empties slot i and moves later members of its run back, so that every
 * state stays reachable from its home slot without tombstones. */
static void remove_slot(alert_set *a, size_t i)
{
	size_t mask = a->cap - 1, j = i;
	a->tab[i] = NULL;
	for (;;) {
		j = (j + 1) & mask;
		struct state *s = a->tab[j];
		if (!s)
			break;
		size_t home = (size_t)s->hash & mask;
		/* s stays if its home lies cyclically in (i, j]. */
		bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		a->tab[i] = s;
		a->tab[j] = NULL;
		i = j;
	}
	a->n--;
}

static struct state *state_new(alert_set *a, size_t rule, const char *key, uint64_t h,
			       const char *const *names, const char *const *values, size_t n,
			       double t)
{
	if (2 * (a->n + 1) > a->cap)
		grow(a);
	size_t slot = find_slot(a, rule, key, h);
	struct state *s = mem_calloc(1, sizeof *s);
	s->rule = rule;
	s->hash = h;
	s->key = mem_strdup(key);
	s->cur = s->pending = ALERT_OK;
	s->since = t;
	s->last = NAN;

	/* The labels: 2n pointers, then their strings. */
	size_t bytes = 2 * n * sizeof(char *);
	for (size_t k = 0; k < n; k++)
		bytes += strlen(names[k] ? names[k] : "") + strlen(values[k] ? values[k] : "") + 2;
	const char **block = mem_alloc(bytes);
	char *p = (char *)(void *)(block + 2 * n);
	for (size_t k = 0; k < 2 * n; k++) {
		const char *str = k < n ? names[k] : values[k - n];
		size_t len = strlen(str ? str : "") + 1;
		memcpy(p, str ? str : "", len);
		block[k] = p;
		p += len;
	}
	s->label_names = block;
	s->label_values = block + n;
	s->n_labels = n;

	a->tab[slot] = s;
	a->n++;
	s->older = a->newest;
	if (a->newest)
		a->newest->newer = s;
	else
		a->oldest = s;
	a->newest = s;
	return s;
}

/* Whether the sample's labels satisfy the rule's matchers; an absent label
 * has the value "", as in Prometheus. */
static bool matches(const struct alert_rule *r, const char *const *names, const char *const *values,
		    size_t n)
{
	for (size_t m = 0; m < r->n_match; m++) {
		const char *have = "";
		for (size_t k = 0; k < n; k++) {
			if (names[k] && strcmp(names[k], r->match_label[m]) == 0) {
				have = values[k] ? values[k] : "";
				break;
			}
		}
		if (strcmp(have, r->match_value[m]) != 0)
			return false;
	}
	return true;
}

static bool cond_holds(const struct alert_cond *c, const struct state *s, double v)
{
	if (!c->set)
		return false;
	if (c->op == ALERT_MISSING)
		return isnan(v);
	if (c->op == ALERT_CHANGES)
		return s->chg_left > 0;
	if (isnan(v))
		return false;
	double x = c->abs ? fabs(v) : v;
	switch (c->op) {
	case ALERT_GT: return x > c->value;
	case ALERT_GE: return x >= c->value;
	case ALERT_LT: return x < c->value;
	case ALERT_LE: return x <= c->value;
	case ALERT_EQ: return x == c->value;
	case ALERT_NE: return x != c->value;
	case ALERT_CHANGES:
	case ALERT_MISSING: break;
	}
	return false;
}

/* Why a level's condition holds at this sample: "0.153 > 0.1 (crit)". */
static void describe(char *buf, size_t len, const struct alert_cond *c, const struct state *s,
		     double v, const char *level)
{
	switch (c->op) {
	case ALERT_MISSING: str_format(buf, len, "no value (%s)", level); return;
	case ALERT_CHANGES:
		str_format(buf, len, "changed %g -> %g (%s)", s->chg_from, s->chg_to, level);
		return;
	default: break;
	}
	str_format(buf, len, c->abs ? "|%g| %s %g (%s)" : "%g %s %g (%s)", v, op_word[c->op],
		   c->value, level);
}

static unsigned severity(enum alert_state x)
{
	switch (x) {
	case ALERT_OK: return 0;
	case ALERT_UNKNOWN: return 1;
	case ALERT_WARNING: return 2;
	case ALERT_CRITICAL: return 3;
	}
	return 1;
}

/* One sample for one state; true and *ch filled (but for rule and key)
 * when the state changes. */
static bool step(const struct alert_rule *r, struct state *s, double t, double v,
		 struct alert_change *ch)
{
	bool on_missing = (r->warn.set && r->warn.op == ALERT_MISSING) ||
			  (r->crit.set && r->crit.op == ALERT_MISSING);
	if (isnan(v) && !on_missing)
		return false; /* no value says nothing: state and count stay */
	bool tracks = r->warn.op == ALERT_CHANGES || r->crit.op == ALERT_CHANGES;
	if (tracks && !isnan(v)) {
		if (s->have_prev && v != s->prev) {
			s->chg_from = s->prev;
			s->chg_to = v;
			s->chg_left = r->hold;
		}
		s->prev = v;
		s->have_prev = true;
	}
	enum alert_state cand = ALERT_OK;
	if (cond_holds(&r->crit, s, v))
		cand = ALERT_CRITICAL;
	else if (cond_holds(&r->warn, s, v))
		cand = ALERT_WARNING;
	bool crit_now = cand == ALERT_CRITICAL, warn_now = cond_holds(&r->warn, s, v);
	if (s->chg_left)
		s->chg_left--;
	s->last = v;

	if (cand == s->cur) {
		s->pending = s->cur;
		s->count = 0;
		return false;
	}
	unsigned sc = severity(s->cur), sn = severity(cand), sp = severity(s->pending);
	if (cand == s->pending) {
		s->count++;
	} else if (s->count && (sn > sc) == (sp > sc)) {
		/* Away from the current state on the same side as the pending
		 * one (warn, crit, warn from OK): that much has lasted. */
		if ((sn > sc) == (sn < sp))
			s->pending = cand;
		s->count++;
	} else {
		s->pending = cand;
		s->count = 1;
	}
	if (s->count < r->hold)
		return false;

	enum alert_state to = s->pending;
	if (to == ALERT_CRITICAL)
		describe(s->reason, sizeof s->reason, &r->crit, s, v, "crit");
	else if (to == ALERT_WARNING && warn_now)
		describe(s->reason, sizeof s->reason, &r->warn, s, v, "warn");
	else if (to == ALERT_WARNING && crit_now) /* held as warn, now crit */
		describe(s->reason, sizeof s->reason, &r->crit, s, v, "crit");
	else if (to == ALERT_WARNING && isnan(v))
		str_format(s->reason, sizeof s->reason, "no longer crit: no value");
	else if (to == ALERT_WARNING)
		str_format(s->reason, sizeof s->reason, "no longer crit: %g", v);
	else if (isnan(v))
		str_format(s->reason, sizeof s->reason, "back to normal: no value");
	else
		str_format(s->reason, sizeof s->reason, "back to normal: %g", v);

	ch->from = s->cur;
	ch->to = to;
	ch->t = t;
	ch->value = v;
	str_copy(ch->reason, s->reason, sizeof ch->reason);
	s->cur = to;
	s->pending = to;
	s->count = 0;
	s->since = t;
	return true;
}

size_t alert_eval(alert_set *a, const char *metric, const char *const *label_names,
		  const char *const *label_values, size_t n_labels, const char *key, double t,
		  double v, struct alert_change *out, size_t max)
{
	if (!a || !metric || !key || (n_labels && (!label_names || !label_values)))
		return 0;
	uint64_t kh = 0;
	bool hashed = false;
	size_t count = 0;
	for (size_t i = 0; i < a->n_rules; i++) {
		const struct alert_rule *r = &a->rules[i];
		if (strcmp(r->metric, metric) != 0 ||
		    !matches(r, label_names, label_values, n_labels))
			continue;
		if (!hashed) {
			kh = key_hash(key);
			hashed = true;
		}
		uint64_t h = state_hash(kh, i);
		struct state *s = a->tab[find_slot(a, i, key, h)];
		if (!s)
			s = state_new(a, i, key, h, label_names, label_values, n_labels, t);
		struct alert_change ch;
		if (!step(r, s, t, v, &ch))
			continue;
		if (out && count < max) {
			ch.rule = r;
			ch.series_key = s->key;
			out[count] = ch;
		}
		count++;
	}
	return count;
}

void alert_forget(alert_set *a, const char *key)
{
	if (!a || !key)
		return;
	uint64_t kh = key_hash(key);
	for (size_t i = 0; i < a->n_rules; i++) {
		size_t slot = find_slot(a, i, key, state_hash(kh, i));
		struct state *s = a->tab[slot];
		if (!s)
			continue;
		remove_slot(a, slot);
		if (s->older)
			s->older->newer = s->newer;
		else
			a->oldest = s->newer;
		if (s->newer)
			s->newer->older = s->older;
		else
			a->newest = s->older;
		state_free(s);
	}
}

void alert_each(const alert_set *a, void (*fn)(void *arg, const struct alert_view *v), void *arg)
{
	if (!a || !fn)
		return;
	for (const struct state *s = a->oldest; s; s = s->newer) {
		struct alert_view v = {
			.rule = &a->rules[s->rule],
			.series_key = s->key,
			.label_names = s->label_names,
			.label_values = s->label_values,
			.n_labels = s->n_labels,
			.state = s->cur,
			.since = s->since,
			.last_value = s->last,
		};
		str_copy(v.reason, s->reason, sizeof v.reason);
		fn(arg, &v);
	}
}

enum alert_state alert_worst(const alert_set *a, const char *key_prefix)
{
	enum alert_state worst = ALERT_OK;
	if (!a)
		return worst;
	if (!key_prefix)
		key_prefix = "";
	size_t n = strlen(key_prefix);
	for (const struct state *s = a->oldest; s; s = s->newer)
		if (severity(s->cur) > severity(worst) && strncmp(s->key, key_prefix, n) == 0)
			worst = s->cur;
	return worst;
}
