/* snmp_profile.c - SNMP profile files and the interpretation of what
 * Meinberg's refclocks report; see snmp_profile.h.
 *
 * The parser walks the lines of common/conf once.  A table stays open for
 * its column lines until the next directive that is not "column" (or the
 * end); then its key column is resolved and its column count checked.  A
 * column's "mul" names a column declared before it, so it is resolved at
 * once.  Every object's metric name is composed as it is read and compared
 * with those before it (at most 1024, so a linear scan is fine). */
#include "sources/snmp_profile.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "common/mem.h"

#define NUMBER_MAX 32	 /* octets of a scale */
#define MS_STRING_MAX 64 /* octets of an ms-string */
#define MS_DIGITS_MAX 20
#define MS_LIMIT 1e9 /* ms */
#define METRIC_PREFIX "sundial_snmp_"
#define NAME_SYNTAX "[a-z][a-z0-9]*, words joined by single '_'"

static const char *const base_units[] = { "seconds", "bytes", "celsius", "ratio", "volts",
					  "amperes", "watts", "joules",	 "hertz", "meters" };

/* Units people write that are not base units, with what to write instead. */
static const struct {
	const char *unit, *hint;
} unit_hints[] = {
	{ "ms", "unit seconds scale 0.001" },
	{ "milliseconds", "unit seconds scale 0.001" },
	{ "us", "unit seconds scale 0.000001" },
	{ "ns", "unit seconds scale 1e-9" },
	{ "sec", "unit seconds" },
	{ "s", "unit seconds" },
	{ "second", "unit seconds" },
	{ "kb", "unit bytes scale 1024" },
	{ "kbytes", "unit bytes scale 1024" },
	{ "kib", "unit bytes scale 1024" },
	{ "byte", "unit bytes" },
	{ "octets", "unit bytes" },
	{ "percent", "unit ratio scale 0.01" },
	{ "%", "unit ratio scale 0.01" },
	{ "c", "unit celsius" },
	{ "degrees", "unit celsius" },
	{ "centiseconds", "unit seconds scale 0.01" },
	{ "ticks", "unit seconds scale 0.01" },
};

static const char *const reserved_labels[] = { "target", "instance", "job", "profile" };

const char *snmp_profile_type_name(enum snmp_profile_type t)
{
	switch (t) {
	case SNMP_PROFILE_GAUGE: return "gauge";
	case SNMP_PROFILE_COUNTER: return "counter";
	case SNMP_PROFILE_COUNTER64: return "counter64";
	case SNMP_PROFILE_STRING: return "string";
	case SNMP_PROFILE_ENUM: return "enum";
	}
	return "?";
}

/* --- words --- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_alpha(char c)
{
	return is_lower(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z][a-z0-9]*(_[a-z0-9]+)*, 1..max octets. */
static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max || !is_lower(s[0]) || s[n - 1] == '_')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '_') {
			if (s[i + 1] == '_')
				return false;
		} else if (!is_lower(s[i]) && !is_digit(s[i])) {
			return false;
		}
	}
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* One arc: 1..10 digits, no leading zero, <= 4294967295. */
static bool arc_parse(const char *s, size_t n, uint32_t *out)
{
	if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

bool snmp_profile_oid_parse(const char *s, struct snmp_profile_oid *out)
{
	struct snmp_profile_oid o;
	o.len = 0;
	if (*s == '.')
		s++;
	for (;;) {
		const char *dot = strchr(s, '.');
		size_t n = dot ? (size_t)(dot - s) : strlen(s);
		if (o.len == SNMP_PROFILE_OID_MAX || !arc_parse(s, n, &o.arc[o.len]))
			return false;
		o.len++;
		if (!dot)
			break;
		s = dot + 1;
	}
	if (o.len < 2 || o.arc[0] > 2 || (o.arc[0] < 2 && o.arc[1] > 39))
		return false;
	*out = o;
	return true;
}

/* A strict decimal number: [+-]digits[.digits][e[+-]digits], a digit on
 * either side of the '.', at most NUMBER_MAX octets.  No hex, inf, nan. */
static bool number_parse(const char *s, double *out)
{
	size_t n = strlen(s), i = 0, digits = 0;
	if (n == 0 || n > NUMBER_MAX)
		return false;
	if (s[i] == '+' || s[i] == '-')
		i++;
	for (; is_digit(s[i]); i++)
		digits++;
	if (s[i] == '.')
		for (i++; is_digit(s[i]); i++)
			digits++;
	if (digits == 0)
		return false;
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		size_t e = 0;
		for (; is_digit(s[i]); i++)
			e++;
		if (e == 0 || e > 3)
			return false;
	}
	if (s[i] != '\0')
		return false;
	char *end;
	double v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* --- the parser --- */

struct parser {
	struct snmp_profile *p;
	char *err;
	size_t errlen;
	size_t n_objects;
	bool in_table; /* the last table takes column lines */
	const struct conf_line *table_line;
	char key[SNMP_PROFILE_NAME_MAX + 1]; /* its key column's name, "" for none */
	const struct conf_line *description_line;
};

static int bad(struct parser *ps, const struct conf_line *l, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int bad(struct parser *ps, const struct conf_line *l, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	conf_error(l, ps->err, ps->errlen, "%s", msg);
	return -EINVAL;
}

static int oid_word(struct parser *ps, const struct conf_line *l, const char *w,
		    struct snmp_profile_oid *out)
{
	if (!snmp_profile_oid_parse(w, out))
		return bad(ps, l,
			   "'%s' is not an OID: expected dotted decimal like 1.3.6.1.2.1.1.2.0 "
			   "(2 to 128 arcs, each at most 4294967295, no leading zeros)",
			   conf_quote(w).s);
	return 0;
}

static int name_word(struct parser *ps, const struct conf_line *l, const char *what, const char *w,
		     char *out)
{
	if (!name_ok(w, SNMP_PROFILE_NAME_MAX))
		return bad(ps, l,
			   "'%s' is not a valid %s: expected " NAME_SYNTAX ", at most %d octets",
			   conf_quote(w).s, what, SNMP_PROFILE_NAME_MAX);
	str_copy(out, w, SNMP_PROFILE_NAME_MAX + 1);
	return 0;
}

static int enum_parse(struct parser *ps, const struct conf_line *l, const char *w,
		      struct snmp_profile_object *o)
{
	size_t cap = 1;
	for (const char *c = w; *c; c++)
		cap += *c == ',';
	if (cap > SNMP_PROFILE_ENUM_MAX)
		return bad(ps, l, "'enum' takes at most %d values", SNMP_PROFILE_ENUM_MAX);
	o->enums = mem_calloc(cap, sizeof *o->enums);
	const char *s = w;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		const char *eq = memchr(s, '=', n);
		if (!eq)
			return bad(ps, l,
				   "'enum' needs VALUE=LABEL pairs separated by ',', e.g. "
				   "'enum 0=notAvailable,1=synchronized' (got '%s')",
				   conf_quote(w).s);
		size_t vn = (size_t)(eq - s), ln = n - vn - 1, i = 0;
		bool neg = vn > 0 && s[0] == '-';
		i = neg;
		long long v = 0;
		bool ok = vn > i && vn - i <= 10 && !(vn - i > 1 && s[i] == '0');
		for (; ok && i < vn; i++) {
			ok = is_digit(s[i]);
			v = v * 10 + (s[i] - '0');
		}
		if (neg)
			v = -v;
		if (!ok || v < INT32_MIN || v > (long long)UINT32_MAX)
			return bad(ps, l, "'enum' value in '%s' must be an integer from %d to %u",
				   conf_quote(w).s, INT32_MIN, UINT32_MAX);
		const char *lab = eq + 1;
		ok = ln > 0 && ln <= SNMP_PROFILE_ENUM_LABEL_MAX && is_alpha(lab[0]);
		for (size_t k = 0; ok && k < ln; k++)
			ok = is_alpha(lab[k]) || is_digit(lab[k]) || lab[k] == '_' || lab[k] == '-';
		if (!ok)
			return bad(
				ps, l,
				"'enum' label in '%s' must be [A-Za-z][A-Za-z0-9_-]*, at most %d "
				"octets",
				conf_quote(w).s, SNMP_PROFILE_ENUM_LABEL_MAX);
		for (size_t k = 0; k < o->n_enums; k++)
			if (o->enums[k].value == v)
				return bad(ps, l, "'enum' gives the value %lld twice", v);
		/* insert sorted */
		size_t at = o->n_enums;
		while (at > 0 && o->enums[at - 1].value > v) {
			o->enums[at] = o->enums[at - 1];
			at--;
		}
		o->enums[at].value = v;
		memcpy(o->enums[at].label, lab, ln);
		o->enums[at].label[ln] = '\0';
		o->n_enums++;
		if (!comma)
			break;
		s = comma + 1;
	}
	return 0;
}

static int unit_parse(struct parser *ps, const struct conf_line *l, const char *w,
		      struct snmp_profile_object *o)
{
	for (size_t i = 0; i < sizeof base_units / sizeof *base_units; i++)
		if (strcmp(w, base_units[i]) == 0) {
			str_copy(o->unit, w, sizeof o->unit);
			return 0;
		}
	char low[24];
	size_t n = 0;
	for (; w[n] && n + 1 < sizeof low; n++)
		low[n] = (char)(w[n] >= 'A' && w[n] <= 'Z' ? w[n] - 'A' + 'a' : w[n]);
	low[n] = '\0';
	if (!w[n])
		for (size_t i = 0; i < sizeof unit_hints / sizeof *unit_hints; i++)
			if (strcmp(low, unit_hints[i].unit) == 0)
				return bad(ps, l, "'%s' is not a base unit: write '%s'",
					   conf_quote(w).s, unit_hints[i].hint);
	return bad(ps, l,
		   "unknown unit '%s': expected seconds, bytes, celsius, ratio, volts, amperes, "
		   "watts, joules, hertz or meters",
		   conf_quote(w).s);
}

/* The words of a scalar or column from argv[first] on: TYPE [OPTION...].
 * t is the table of a column, NULL for a scalar. */
static int object_parse(struct parser *ps, const struct conf_line *l, size_t first,
			struct snmp_profile_object *o, const struct snmp_profile_table *t)
{
	const char *what = t ? "column" : "scalar";
	o->scale = 1;
	o->line = l->line;
	if (first >= l->argc)
		return bad(ps, l, "'%s %s' needs a type: gauge, counter, counter64, string or enum",
			   what, o->name);
	const char *tw = l->argv[first];
	static const enum snmp_profile_type types[] = { SNMP_PROFILE_GAUGE, SNMP_PROFILE_COUNTER,
							SNMP_PROFILE_COUNTER64, SNMP_PROFILE_STRING,
							SNMP_PROFILE_ENUM };
	size_t ti = 0;
	for (; ti < sizeof types / sizeof *types; ti++)
		if (strcmp(tw, snmp_profile_type_name(types[ti])) == 0)
			break;
	if (ti == sizeof types / sizeof *types)
		return bad(ps, l,
			   "unknown type '%s': expected gauge, counter, counter64, string or enum",
			   conf_quote(tw).s);
	o->type = types[ti];
	bool numeric = o->type == SNMP_PROFILE_GAUGE || o->type == SNMP_PROFILE_COUNTER ||
		       o->type == SNMP_PROFILE_COUNTER64;
	bool seen_scale = false, seen_enum = false, seen_mul = false;

	for (size_t i = first + 1; i < l->argc; i++) {
		const char *opt = l->argv[i];
		bool takes_value = strcmp(opt, "unit") == 0 || strcmp(opt, "scale") == 0 ||
				   strcmp(opt, "enum") == 0 || strcmp(opt, "parse") == 0 ||
				   strcmp(opt, "mul") == 0;
		if (takes_value && i + 1 >= l->argc)
			return bad(ps, l, "'%s' needs a value after it", opt);
		const char *v = takes_value ? l->argv[++i] : NULL;
		bool dup = false;
		if (strcmp(opt, "unit") == 0) {
			dup = o->unit[0] != '\0';
			if (!dup && !numeric)
				return bad(ps, l,
					   "'unit' is for gauge, counter and counter64, not %s",
					   tw);
			if (!dup && unit_parse(ps, l, v, o) < 0)
				return -EINVAL;
		} else if (strcmp(opt, "scale") == 0) {
			dup = seen_scale;
			seen_scale = true;
			if (!dup && !numeric)
				return bad(ps, l,
					   "'scale' is for gauge, counter and counter64, not %s",
					   tw);
			if (!dup && (!number_parse(v, &o->scale) || o->scale == 0))
				return bad(ps, l,
					   "'scale' needs a finite nonzero decimal number such as "
					   "0.01 or 1024, not '%s'",
					   conf_quote(v).s);
		} else if (strcmp(opt, "enum") == 0) {
			dup = seen_enum;
			seen_enum = true;
			if (!dup && o->type != SNMP_PROFILE_ENUM)
				return bad(ps, l, "'enum' values need the type enum, not %s", tw);
			if (!dup && enum_parse(ps, l, v, o) < 0)
				return -EINVAL;
		} else if (strcmp(opt, "parse") == 0) {
			dup = o->ms_string;
			if (!dup && strcmp(v, "ms-string") != 0)
				return bad(ps, l, "unknown parser '%s': expected 'parse ms-string'",
					   conf_quote(v).s);
			if (!dup && o->type != SNMP_PROFILE_GAUGE)
				return bad(ps, l, "'parse ms-string' needs the type gauge, not %s",
					   tw);
			o->ms_string = true;
		} else if (strcmp(opt, "mul") == 0) {
			dup = seen_mul;
			seen_mul = true;
			if (dup)
				return bad(ps, l, "'%s' is given twice", opt);
			if (!t)
				return bad(ps, l, "'mul' is for columns, not scalars");
			if (!numeric)
				return bad(ps, l,
					   "'mul' is for gauge, counter and counter64, not %s", tw);
			/* o is the table's last column: look at those before it */
			size_t k = 0, before = t->n_col - 1;
			for (; k < before; k++)
				if (strcmp(t->col[k].name, v) == 0)
					break;
			if (k == before)
				return bad(ps, l,
					   "'mul %s': table '%s' has no column '%s' before this "
					   "line",
					   conf_quote(v).s, t->name, conf_quote(v).s);
			const struct snmp_profile_object *m = &t->col[k];
			if (m->type == SNMP_PROFILE_STRING || m->type == SNMP_PROFILE_ENUM)
				return bad(ps, l, "'mul %s' needs a numeric column, not a %s",
					   m->name, snmp_profile_type_name(m->type));
			o->mul = k + 1;
		} else if (strcmp(opt, "optional") == 0) {
			dup = o->optional;
			o->optional = true;
		} else if (strcmp(opt, "hidden") == 0) {
			dup = o->hidden;
			o->hidden = true;
		} else {
			return bad(ps, l,
				   "unknown option '%s' for %s '%s': expected unit, scale, enum, "
				   "parse, mul, optional or hidden",
				   conf_quote(opt).s, what, o->name);
		}
		if (dup)
			return bad(ps, l, "'%s' is given twice", opt);
	}
	if (o->type == SNMP_PROFILE_ENUM && o->n_enums == 0)
		return bad(ps, l, "type enum needs its values: 'enum 0=LABEL,1=LABEL,...'");
	if (o->ms_string) {
		if (o->unit[0] && strcmp(o->unit, "seconds") != 0)
			return bad(ps, l, "'parse ms-string' gives seconds, not %s", o->unit);
		str_copy(o->unit, "seconds", sizeof o->unit);
	}
	return 0;
}

/* The metric name of o (a column of t, or a scalar when t is NULL), checked
 * against the suffixes it gets and every name before it. */
static int metric_name(struct parser *ps, const struct conf_line *l, struct snmp_profile_object *o,
		       const struct snmp_profile_table *t)
{
	if (ends_with(o->name, "_total") || strcmp(o->name, "total") == 0 ||
	    ends_with(o->name, "_info") || strcmp(o->name, "info") == 0)
		return bad(ps, l,
			   "'%s' must not end in _total or _info: the type adds those "
			   "(counters, strings)",
			   o->name);
	if (o->unit[0]) {
		char suffix[24];
		str_format(suffix, sizeof suffix, "_%s", o->unit);
		if (ends_with(o->name, suffix) || strcmp(o->name, o->unit) == 0)
			return bad(ps, l,
				   "'%s' ends in its unit, which the metric name gets anyway",
				   o->name);
	}
	const char *suffix = o->type == SNMP_PROFILE_COUNTER || o->type == SNMP_PROFILE_COUNTER64
				     ? "_total"
			     : o->type == SNMP_PROFILE_STRING ? "_info"
							      : "";
	int n = snprintf(o->metric, sizeof o->metric, METRIC_PREFIX "%s_%s%s%s%s%s", ps->p->name,
			 t ? t->name : o->name, t ? "_" : "", t ? o->name : "",
			 o->unit[0] ? "_" : "", o->unit);
	size_t used = n < 0 ? sizeof o->metric : (size_t)n;
	if (used + strlen(suffix) >= sizeof o->metric)
		return bad(ps, l, "the metric name of '%s' would be longer than %d octets", o->name,
			   SNMP_PROFILE_METRIC_MAX);
	memcpy(o->metric + used, suffix, strlen(suffix) + 1);

	for (size_t i = 0; i < ps->p->n_scalar; i++)
		if (&ps->p->scalar[i] != o && strcmp(ps->p->scalar[i].metric, o->metric) == 0)
			return bad(ps, l, "metric %s is already given by scalar '%s' at line %u",
				   o->metric, ps->p->scalar[i].name, ps->p->scalar[i].line);
	for (size_t i = 0; i < ps->p->n_table; i++) {
		const struct snmp_profile_table *u = &ps->p->table[i];
		for (size_t k = 0; k < u->n_col; k++)
			if (&u->col[k] != o && strcmp(u->col[k].metric, o->metric) == 0)
				return bad(ps, l,
					   "metric %s is already given by column '%s' of table "
					   "'%s' at line %u",
					   o->metric, u->col[k].name, u->name, u->col[k].line);
	}
	return 0;
}

/* Ends the open table: resolves its key column and checks it has columns. */
static int table_close(struct parser *ps)
{
	if (!ps->in_table)
		return 0;
	ps->in_table = false;
	struct snmp_profile_table *t = &ps->p->table[ps->p->n_table - 1];
	if (t->n_col == 0)
		return bad(ps, ps->table_line,
			   "table '%s' has no columns: 'column NAME SUBID TYPE' lines must "
			   "follow it",
			   t->name);
	if (ps->key[0]) {
		size_t k = 0;
		for (; k < t->n_col; k++)
			if (strcmp(t->col[k].name, ps->key) == 0)
				break;
		if (k == t->n_col)
			return bad(ps, ps->table_line, "table '%s' has no column '%s' for its key",
				   t->name, ps->key);
		if (t->col[k].type != SNMP_PROFILE_STRING)
			return bad(ps, ps->table_line,
				   "the key column '%s' of table '%s' must be a string, not %s",
				   ps->key, t->name, snmp_profile_type_name(t->col[k].type));
		t->key = k + 1;
		t->col[k].hidden = true;
	}
	return 0;
}

static int need_args(struct parser *ps, const struct conf_line *l, size_t min, size_t max,
		     const char *usage)
{
	if (l->argc < min || l->argc > max)
		return bad(ps, l, "expected '%s'", usage);
	return 0;
}

static int too_many(struct parser *ps, const struct conf_line *l)
{
	if (ps->n_objects >= SNMP_PROFILE_OBJECTS_MAX)
		return bad(ps, l, "too many objects: at most %d scalars and columns",
			   SNMP_PROFILE_OBJECTS_MAX);
	ps->n_objects++;
	return 0;
}

static int directive(struct parser *ps, const struct conf_line *l)
{
	struct snmp_profile *p = ps->p;
	const char *d = l->argv[0];

	if (strcmp(d, "column") != 0 && table_close(ps) < 0)
		return -EINVAL;
	if (strcmp(d, "profile") == 0) {
		if (p->name[0])
			return bad(ps, l, "'profile' is given twice: one profile per file");
		if (need_args(ps, l, 2, 2, "profile NAME") < 0)
			return -EINVAL;
		if (!name_ok(l->argv[1], SNMP_PROFILE_PNAME_MAX) || strchr(l->argv[1], '_'))
			return bad(ps, l,
				   "'%s' is not a valid profile name: expected [a-z][a-z0-9]*, "
				   "at most %d octets",
				   conf_quote(l->argv[1]).s, SNMP_PROFILE_PNAME_MAX);
		str_copy(p->name, l->argv[1], sizeof p->name);
		return 0;
	}
	if (!p->name[0])
		return bad(ps, l, "the first directive must be 'profile NAME', not '%s'",
			   conf_quote(d).s);

	if (strcmp(d, "description") == 0) {
		if (p->description)
			return bad(ps, l, "'description' is given twice");
		if (need_args(ps, l, 2, 2, "description \"TEXT\"") < 0)
			return -EINVAL;
		p->description = mem_strdup(l->argv[1]);
		return 0;
	}
	if (strcmp(d, "fallback") == 0) {
		if (p->fallback)
			return bad(ps, l, "'fallback' is given twice");
		if (need_args(ps, l, 1, 1, "fallback") < 0)
			return -EINVAL;
		p->fallback = true;
		return 0;
	}
	if (strcmp(d, "detect") == 0) {
		bool sys = l->argc == 3 && strcmp(l->argv[1], "sysobjectid") == 0;
		if (!sys && need_args(ps, l, 2, 2, "detect OID' or 'detect sysobjectid OID") < 0)
			return -EINVAL;
		struct snmp_profile_detect det = { .sysobjectid = sys };
		if (oid_word(ps, l, l->argv[sys ? 2 : 1], &det.oid) < 0)
			return -EINVAL;
		p->detect = mem_realloc(p->detect, (p->n_detect + 1) * sizeof *p->detect);
		p->detect[p->n_detect++] = det;
		return 0;
	}
	if (strcmp(d, "legacy") == 0) {
		if (need_args(ps, l, 3, 3,
			      "legacy OID NAME', e.g. 'legacy 1.3.6.1.4.1.5597.3.0.1.0 "
			      "MBG-SNMP-LT-MIB") < 0)
			return -EINVAL;
		struct snmp_profile_legacy leg;
		if (oid_word(ps, l, l->argv[1], &leg.oid) < 0)
			return -EINVAL;
		const char *n = l->argv[2];
		bool ok = is_alpha(n[0]) && strlen(n) <= SNMP_PROFILE_NAME_MAX;
		for (size_t i = 0; ok && n[i]; i++)
			ok = is_alpha(n[i]) || is_digit(n[i]) || n[i] == '-' || n[i] == '_';
		if (!ok)
			return bad(ps, l,
				   "'%s' is not a MIB name: expected [A-Za-z][A-Za-z0-9_-]*, at "
				   "most %d octets",
				   conf_quote(n).s, SNMP_PROFILE_NAME_MAX);
		str_copy(leg.name, n, sizeof leg.name);
		p->legacy = mem_realloc(p->legacy, (p->n_legacy + 1) * sizeof *p->legacy);
		p->legacy[p->n_legacy++] = leg;
		return 0;
	}
	if (strcmp(d, "scalar") == 0) {
		if (l->argc < 4)
			return bad(ps, l, "expected 'scalar NAME OID TYPE [OPTION...]'");
		if (too_many(ps, l) < 0)
			return -EINVAL;
		struct snmp_profile_object o = { 0 };
		if (name_word(ps, l, "scalar name", l->argv[1], o.name) < 0 ||
		    oid_word(ps, l, l->argv[2], &o.oid) < 0)
			return -EINVAL;
		for (size_t i = 0; i < p->n_scalar; i++)
			if (strcmp(p->scalar[i].name, o.name) == 0)
				return bad(ps, l, "scalar '%s' is already defined at line %u",
					   o.name, p->scalar[i].line);
		/* object_parse may allocate the enums: own o through the array first */
		p->scalar = mem_realloc(p->scalar, (p->n_scalar + 1) * sizeof *p->scalar);
		p->scalar[p->n_scalar] = o;
		struct snmp_profile_object *s = &p->scalar[p->n_scalar++];
		if (object_parse(ps, l, 3, s, NULL) < 0 || metric_name(ps, l, s, NULL) < 0)
			return -EINVAL;
		return 0;
	}
	if (strcmp(d, "table") == 0) {
		bool keyed = l->argc == 6 && strcmp(l->argv[4], "key") == 0;
		if (!keyed && need_args(ps, l, 4, 4, "table NAME ENTRY-OID LABEL [key COLUMN]") < 0)
			return -EINVAL;
		if (p->n_table >= SNMP_PROFILE_TABLES_MAX)
			return bad(ps, l, "too many tables: at most %d", SNMP_PROFILE_TABLES_MAX);
		struct snmp_profile_table t = { 0 };
		t.line = l->line;
		if (name_word(ps, l, "table name", l->argv[1], t.name) < 0 ||
		    oid_word(ps, l, l->argv[2], &t.entry) < 0 ||
		    name_word(ps, l, "label name", l->argv[3], t.label) < 0)
			return -EINVAL;
		for (size_t i = 0; i < sizeof reserved_labels / sizeof *reserved_labels; i++)
			if (strcmp(t.label, reserved_labels[i]) == 0)
				return bad(ps, l,
					   "the label '%s' is the collector's: choose another "
					   "(not target, instance, job or profile)",
					   t.label);
		if (t.entry.len >= SNMP_PROFILE_OID_MAX)
			return bad(ps, l, "the entry OID leaves no room for a column");
		ps->key[0] = '\0';
		if (keyed && name_word(ps, l, "key column name", l->argv[5], ps->key) < 0)
			return -EINVAL;
		for (size_t i = 0; i < p->n_table; i++)
			if (strcmp(p->table[i].name, t.name) == 0)
				return bad(ps, l, "table '%s' is already defined at line %u",
					   t.name, p->table[i].line);
		p->table = mem_realloc(p->table, (p->n_table + 1) * sizeof *p->table);
		p->table[p->n_table++] = t;
		ps->in_table = true;
		ps->table_line = l;
		return 0;
	}
	if (strcmp(d, "column") == 0) {
		if (!ps->in_table)
			return bad(ps, l, "'column' must follow a 'table' line or another column");
		struct snmp_profile_table *t = &p->table[p->n_table - 1];
		if (l->argc < 4)
			return bad(ps, l, "expected 'column NAME SUBID TYPE [OPTION...]'");
		if (t->n_col >= SNMP_PROFILE_COLUMNS_MAX)
			return bad(ps, l, "table '%s' has too many columns: at most %d", t->name,
				   SNMP_PROFILE_COLUMNS_MAX);
		if (too_many(ps, l) < 0)
			return -EINVAL;
		struct snmp_profile_object o = { 0 };
		uint32_t sub;
		if (name_word(ps, l, "column name", l->argv[1], o.name) < 0)
			return -EINVAL;
		const char *sw = l->argv[2];
		if (!arc_parse(sw, strlen(sw), &sub) || sub == 0)
			return bad(ps, l,
				   "'%s' is not a column number: expected 1 to 4294967295 (the "
				   "last arc of the column's OID under the entry)",
				   conf_quote(sw).s);
		for (size_t i = 0; i < t->n_col; i++) {
			if (strcmp(t->col[i].name, o.name) == 0)
				return bad(ps, l, "table '%s' already has a column '%s' at line %u",
					   t->name, o.name, t->col[i].line);
			if (t->col[i].oid.arc[t->entry.len] == sub)
				return bad(ps, l, "table '%s' already reads column %u at line %u",
					   t->name, (unsigned)sub, t->col[i].line);
		}
		o.oid = t->entry;
		o.oid.arc[o.oid.len++] = sub;
		t->col = mem_realloc(t->col, (t->n_col + 1) * sizeof *t->col);
		t->col[t->n_col] = o;
		struct snmp_profile_object *c = &t->col[t->n_col++];
		if (object_parse(ps, l, 3, c, t) < 0 || metric_name(ps, l, c, t) < 0)
			return -EINVAL;
		return 0;
	}
	return bad(ps, l,
		   "unknown directive '%s': expected profile, description, fallback, detect, "
		   "legacy, "
		   "scalar, table or column",
		   conf_quote(d).s);
}

static void object_free(struct snmp_profile_object *o)
{
	free(o->enums);
}

void snmp_profile_free(struct snmp_profile *p)
{
	if (!p)
		return;
	free(p->description);
	free(p->file);
	free(p->detect);
	free(p->legacy);
	for (size_t i = 0; i < p->n_scalar; i++)
		object_free(&p->scalar[i]);
	free(p->scalar);
	for (size_t i = 0; i < p->n_table; i++) {
		for (size_t k = 0; k < p->table[i].n_col; k++)
			object_free(&p->table[i].col[k]);
		free(p->table[i].col);
	}
	free(p->table);
	memset(p, 0, sizeof *p);
}

int snmp_profile_from(const conf *c, struct snmp_profile *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct parser ps = { .p = out, .err = err, .errlen = errlen };
	int rc = 0;
	size_t n = conf_count(c);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = directive(&ps, conf_get(c, i));
	if (rc == 0)
		rc = table_close(&ps);
	if (rc == 0 && !out->name[0]) {
		/* no lines: the file's name is not known here (see _load) */
		str_format(err, errlen, "empty profile: expected 'profile NAME' first");
		rc = -EINVAL;
	}
	if (rc == 0 && out->n_scalar == 0 && out->n_table == 0) {
		str_format(err, errlen, "%s: profile '%s' reads nothing: add scalar or table lines",
			   conf_get(c, 0)->file, out->name);
		rc = -EINVAL;
	}
	if (rc < 0) {
		snmp_profile_free(out);
		return rc;
	}
	out->file = mem_strdup(conf_get(c, 0)->file);
	return 0;
}

int snmp_profile_load(const char *path, struct snmp_profile *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	conf *c = conf_read(path, err, errlen);
	if (!c)
		return -EINVAL;
	int rc = -EINVAL;
	if (conf_count(c) == 0)
		str_format(err, errlen, "%s: empty profile: expected 'profile NAME' first", path);
	else
		rc = snmp_profile_from(c, out, err, errlen);
	conf_free(c);
	return rc;
}

const char *snmp_profile_enum_label(const struct snmp_profile_object *o, long long v)
{
	size_t lo = 0, hi = o->n_enums;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->enums[mid].value == v)
			return o->enums[mid].label;
		if (o->enums[mid].value < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- values --- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

enum snmp_profile_ms snmp_profile_ms_string(const char *s, size_t len, double *seconds)
{
	if (len > MS_STRING_MAX)
		return SNMP_PROFILE_MS_INVALID;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return SNMP_PROFILE_MS_INVALID;
	}
	size_t a = 0, b = len;
	while (a < b && is_blank(s[a]))
		a++;
	while (b > a && is_blank(s[b - 1]))
		b--;
	if (a == b)
		return SNMP_PROFILE_MS_NONE;
	if (b - a == 3 && (s[a] == 'n' || s[a] == 'N') && s[a + 1] == '/' &&
	    (s[a + 2] == 'a' || s[a + 2] == 'A'))
		return SNMP_PROFILE_MS_NONE;
	if (b - a >= 2 && s[b - 2] == 'm' && s[b - 1] == 's') {
		b -= 2;
		while (b > a && is_blank(s[b - 1]))
			b--;
	}
	char buf[MS_STRING_MAX + 1];
	size_t n = b - a, i = 0, digits = 0;
	memcpy(buf, s + a, n);
	buf[n] = '\0';
	if (buf[i] == '+' || buf[i] == '-')
		i++;
	for (; is_digit(buf[i]); i++)
		digits++;
	if (buf[i] == '.')
		for (i++; is_digit(buf[i]); i++)
			digits++;
	if (digits == 0 || digits > MS_DIGITS_MAX)
		return SNMP_PROFILE_MS_INVALID;
	if (buf[i] == 'e' || buf[i] == 'E') {
		i++;
		if (buf[i] == '+' || buf[i] == '-')
			i++;
		size_t e = 0;
		for (; is_digit(buf[i]); i++)
			e++;
		if (e == 0 || e > 3)
			return SNMP_PROFILE_MS_INVALID;
	}
	if (i != n)
		return SNMP_PROFILE_MS_INVALID;
	char *end;
	double v = strtod(buf, &end);
	if (end != buf + n || !isfinite(v) || fabs(v) > MS_LIMIT)
		return SNMP_PROFILE_MS_INVALID;
	*seconds = v / 1000;
	return SNMP_PROFILE_MS_OK;
}

const char *snmp_profile_ms_strerror(enum snmp_profile_ms r)
{
	switch (r) {
	case SNMP_PROFILE_MS_OK: return "ok";
	case SNMP_PROFILE_MS_NONE: return "no value (n/a)";
	case SNMP_PROFILE_MS_INVALID:
		return "not a number of milliseconds (expected e.g. '0.123 ms')";
	}
	return "?";
}

/* --- Meinberg refclocks --- */

/* mbgLtNgRefclockType values (MBG-SNMP-LTNG-MIB) by receiver kind. */
static const unsigned char mbg_gnss[] = {
	1,  2,	3,  4,	5,  6,	7,  8,	9,  11, 12, 14,	 18,  19,  20,	30,  31,  32,  39,  40,
	44, 50, 78, 79, 81, 84, 85, 91, 92, 97, 99, 103, 114, 115, 116, 117, 126, 129, 131,
}; /* gps166 .. gps182: gps*, grc*, gln*, gns*, gnm* */
static const unsigned char mbg_pzf[] = { 13, 28, 34, 60 }; /* pzf511, pzf600, pzf180PEX, pzf180 */
static const unsigned char mbg_lw[] = {
	16, 17, 25, 27, 36, 37, 38, 46, 47, 64, 65,
}; /* am511, msf511, wwvb511, jjy511, msf600, wwvb600, jjy600, dcf600HS, dcf600RS, msf180,
    * wwvb180 */
static const unsigned char mbg_irig[] = { 10, 15, 24, 29, 33, 68, 95 }; /* tcr* */

static bool in_list(long long v, const unsigned char *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return true;
	return false;
}

#define IN(v, list) in_list(v, list, sizeof list)

static enum snmp_profile_mbg_kind mbg_kind(long long type, long long substate)
{
	if (IN(type, mbg_gnss))
		return SNMP_PROFILE_MBG_GNSS;
	if (IN(type, mbg_pzf))
		return SNMP_PROFILE_MBG_PZF;
	if (IN(type, mbg_lw))
		return SNMP_PROFILE_MBG_LW;
	if (IN(type, mbg_irig))
		return SNMP_PROFILE_MBG_IRIG;
	/* mbgLtNgRefclockSubstate: gps 1-6, long waves 50-52, irig 100-101.  A
	 * long-wave receiver of unknown type may not be a PZF one, so only the
	 * field strength (StatusB, "long wave - all") is taken from it. */
	if (substate >= 1 && substate <= 6)
		return SNMP_PROFILE_MBG_GNSS;
	if (substate >= 50 && substate <= 52)
		return SNMP_PROFILE_MBG_LW;
	if (substate == 100 || substate == 101)
		return SNMP_PROFILE_MBG_IRIG;
	return SNMP_PROFILE_MBG_OTHER;
}

const char *snmp_profile_mbg_kind_name(enum snmp_profile_mbg_kind k)
{
	switch (k) {
	case SNMP_PROFILE_MBG_OTHER: return "other";
	case SNMP_PROFILE_MBG_GNSS: return "gnss";
	case SNMP_PROFILE_MBG_PZF: return "pzf";
	case SNMP_PROFILE_MBG_LW: return "longwave";
	case SNMP_PROFILE_MBG_IRIG: return "irig";
	}
	return "other";
}

/* A percentage 0..100 (the MIB's range of StatusA/B) as a ratio, else NAN. */
static double ratio(long long v)
{
	return v >= 0 && v <= 100 ? (double)v / 100 : NAN;
}

void snmp_profile_mbg_refclock(long long type, long long substate, long long status_a,
			       long long max_a, long long status_b, long long max_b,
			       struct snmp_profile_mbg_status *out)
{
	(void)max_b; /* mbgLtNgRefclockMaxStatusB: always 100 for long wave */
	out->kind = mbg_kind(type, substate);
	out->satellites_good = NAN;
	out->satellites_in_view = NAN;
	out->correlation = NAN;
	out->field_strength = NAN;
	switch (out->kind) {
	case SNMP_PROFILE_MBG_GNSS:
		/* mbgLtNgRefclockStatusA: good satellites in view;
		 * mbgLtNgRefclockMaxStatusA: satellites in view (0..100). */
		if (max_a >= 0 && max_a <= 100)
			out->satellites_in_view = (double)max_a;
		if (status_a >= 0 && status_a <= 100 &&
		    (isnan(out->satellites_in_view) || (double)status_a <= out->satellites_in_view))
			out->satellites_good = (double)status_a;
		break;
	case SNMP_PROFILE_MBG_PZF:
		/* StatusA: correlation, MaxStatusA 100; StatusB: field strength. */
		out->correlation = ratio(status_a);
		out->field_strength = ratio(status_b);
		break;
	case SNMP_PROFILE_MBG_LW: out->field_strength = ratio(status_b); break;
	case SNMP_PROFILE_MBG_IRIG:
	case SNMP_PROFILE_MBG_OTHER: break;
	}
}
