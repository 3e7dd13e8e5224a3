/* snmp.c - `sundial snmp`: one look at an SNMP agent through a profile,
 * with the collector's `snmp` source (sources/snmp.h) driven to its end
 * once: the same detection, requests and values as the collector stores,
 * as a table for people or as JSON. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/clock.h"
#include "common/conf.h"
#include "common/mem.h"
#include "sources/snmp.h"
#include "sources/snmp_profile.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	  /* an answer that makes no sense, a profile that does not load */
	EXIT_AUTH = 2,	  /* SNMPv3: the agent refused the credentials */
	EXIT_TIMEOUT = 3, /* no answer */
	EXIT_UNREACH = 4, /* cannot send there */
	EXIT_NOMATCH = 5, /* no profile fits the agent */
	EXIT_USAGE = 64,
};

#define SAMPLE_LIMIT 120.0 /* seconds for the whole look */

struct opts {
	const char *target, *profile, *credentials;
	double timeout;
	unsigned retries;
	bool json, list;
};

struct value {
	char *family;
	char **labels; /* name, value pairs, NULL-terminated */
	double v;
	enum metric_type type;
};

struct values {
	struct value *v;
	size_t n, cap;
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: sundial snmp [OPTIONS] -C FILE HOST[:PORT]\n"
		"       sundial snmp --list-profiles\n"
		"Reads an SNMP agent once through a profile (OIDs, names, units: data files)\n"
		"and prints what the collector's snmp source would store.\n\n"
		"  -C, --credentials FILE  'community NAME' (SNMPv2c) or 'user NAME', 'auth\n"
		"                          sha|sha256 PASS', 'priv aes PASS' (SNMPv3 authPriv);\n"
		"                          only its owner may read it (chmod 600)\n"
		"  -p, --profile NAME|PATH the profile (default: the one whose detect objects\n"
		"                          the agent has)\n"
		"  -t, --timeout DUR       one try (default 1s)\n"
		"  -r, --retries N         tries after the first (default 1, at most 5)\n"
		"  -j, --json              JSON for scripts\n"
		"  -l, --list-profiles     the profiles found, and where\n"
		"Exit: 0 ok, 1 failed, 2 credentials refused, 3 no answer, 4 unreachable,\n"
		"5 no profile fits, 64 usage.  man sundial-snmp explains more.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "credentials", required_argument, NULL, 'C' },
		{ "profile", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "list-profiles", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "C:p:t:r:jlh", longopts, NULL)) != -1) {
		switch (c) {
		case 'C': o->credentials = optarg; break;
		case 'p':
			if (*optarg == '\0')
				return cmd_usage_error("snmp", "-p needs a profile's name or path");
			o->profile = optarg;
			break;
		case 't':
			if (!conf_duration(optarg, &o->timeout) || o->timeout < 0.01 ||
			    o->timeout > 30)
				return cmd_usage_error(
					"snmp", "-t needs a duration from 10ms to 30s, not '%s'",
					optarg);
			break;
		case 'r': {
			unsigned long r;
			if (!conf_uint(optarg, 0, 5, &r))
				return cmd_usage_error(
					"snmp", "-r needs a number from 0 to 5, not '%s'", optarg);
			o->retries = (unsigned)r;
			break;
		}
		case 'j': o->json = true; break;
		case 'l': o->list = true; break;
		case 'h': help(stdout); return -1;
		default:
			fprintf(stderr, "'sundial snmp --help' lists the options.\n");
			return EXIT_USAGE;
		}
	}
	if (o->list) {
		if (optind != argc)
			return cmd_usage_error("snmp", "--list-profiles takes no agent");
		return 0;
	}
	if (optind + 1 != argc)
		return cmd_usage_error("snmp", "give one agent: HOST[:PORT]");
	o->target = argv[optind];
	if (!o->credentials)
		return cmd_usage_error("snmp",
				       "-C FILE is needed: a file only you may read with "
				       "'community NAME', or 'user NAME', 'auth sha256 PASS' and "
				       "'priv aes PASS'");
	return 0;
}

/* ---- what the source gives ---- */

static void put_cb(void *ctx, const char *family, const char *help_text, enum metric_type type,
		   const char *const *extra, double v)
{
	(void)help_text;
	struct values *vs = ctx;
	if (vs->n == vs->cap) {
		vs->cap = vs->cap ? 2 * vs->cap : 64;
		vs->v = mem_realloc(vs->v, vs->cap * sizeof vs->v[0]);
	}
	struct value *x = &vs->v[vs->n++];
	x->family = mem_strdup(family);
	size_t n = 0;
	while (extra && extra[n])
		n++;
	x->labels = mem_calloc(n + 1, sizeof x->labels[0]);
	for (size_t i = 0; i < n; i++)
		x->labels[i] = mem_strdup(extra[i]);
	x->v = v;
	x->type = type;
}

static void values_free(struct values *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].family);
		for (size_t k = 0; vs->v[i].labels[k]; k++)
			free(vs->v[i].labels[k]);
		free(vs->v[i].labels);
	}
	free(vs->v);
}

/* The profile object a family comes from, or NULL (derived values). */
static const struct snmp_profile_object *object_of(const struct snmp_profile *p, const char *family)
{
	for (size_t i = 0; i < p->n_scalar; i++)
		if (strcmp(p->scalar[i].metric, family) == 0)
			return &p->scalar[i];
	for (size_t t = 0; t < p->n_table; t++)
		for (size_t c = 0; c < p->table[t].n_col; c++)
			if (strcmp(p->table[t].col[c].metric, family) == 0)
				return &p->table[t].col[c];
	return NULL;
}

/* The short name people read: the object's ("table_column"), else the
 * family without "sundial_snmp_PROFILE_". */
static void short_name(const struct snmp_profile *p, const struct value *x, char *buf, size_t len)
{
	const struct snmp_profile_object *o = object_of(p, x->family);
	for (size_t t = 0; o && t < p->n_table; t++)
		if (o >= p->table[t].col && o < p->table[t].col + p->table[t].n_col) {
			snprintf(buf, len, "%s_%s", p->table[t].name, o->name);
			return;
		}
	if (o) {
		str_copy(buf, o->name, len);
		return;
	}
	char prefix[64];
	snprintf(prefix, sizeof prefix, "sundial_snmp_%s_", p->name);
	size_t pl = strlen(prefix);
	str_copy(buf, strncmp(x->family, prefix, pl) == 0 ? x->family + pl : x->family, len);
}

/* The row label and the string value of a value. */
static void split_labels(const struct value *x, char *row, size_t rowlen, const char **str)
{
	row[0] = '\0';
	*str = NULL;
	size_t used = 0;
	for (size_t i = 0; x->labels[i] && x->labels[i + 1]; i += 2) {
		if (strcmp(x->labels[i], "value") == 0) {
			*str = x->labels[i + 1];
			continue;
		}
		int n = snprintf(row + used, rowlen - used, "%s%s=%s", used ? " " : "",
				 x->labels[i], x->labels[i + 1]);
		if (n > 0 && (size_t)n < rowlen - used)
			used += (size_t)n;
	}
}

static void value_text(const struct snmp_profile *p, const struct value *x, char *buf, size_t len)
{
	const struct snmp_profile_object *o = object_of(p, x->family);
	char row[8];
	const char *str;
	split_labels(x, row, sizeof row, &str);
	if (str) {
		snprintf(buf, len, "%s", str);
		return;
	}
	if (isnan(x->v)) {
		snprintf(buf, len, "-");
		return;
	}
	const char *unit = o && o->unit[0] ? o->unit : "";
	if (o && o->type == SNMP_PROFILE_ENUM) {
		const char *l = snmp_profile_enum_label(o, (long long)x->v);
		snprintf(buf, len, "%.0f (%s)", x->v, l ? l : "?");
	} else if (x->type == METRIC_COUNTER) {
		snprintf(buf, len, "%.0f%s%s (counter)", x->v, unit[0] ? " " : "", unit);
	} else if (strstr(x->family, "_seconds")) {
		snprintf(buf, len, "%.9f s", x->v);
	} else if (strstr(x->family, "_ratio")) {
		snprintf(buf, len, "%.0f %%", x->v * 100);
	} else if (x->v == floor(x->v) && fabs(x->v) < 1e15) {
		snprintf(buf, len, "%.0f%s%s", x->v, unit[0] ? " " : "", unit);
	} else {
		snprintf(buf, len, "%.10g%s%s", x->v, unit[0] ? " " : "", unit);
	}
}

/* ---- output ---- */

static void print_table(const struct opts *o, const void *st, const struct values *vs)
{
	const struct snmp_profile *p = snmp_source_chosen(st);
	const char *legacy = snmp_source_legacy(st);
	printf("%s: profile %s%s%s%s\n", o->target, p->name, p->description ? " (" : "",
	       p->description ? p->description : "", p->description ? ")" : "");
	if (legacy[0])
		printf("legacy MIB present: %s (not read)\n", legacy);
	printf("%-34s %-24s %s\n", "OBJECT", "ROW", "VALUE");
	for (size_t i = 0; i < vs->n; i++) {
		const struct value *x = &vs->v[i];
		if (strcmp(x->family, "sundial_snmp_info") == 0)
			continue;
		char name[128], row[256], val[256];
		const char *str;
		short_name(p, x, name, sizeof name);
		split_labels(x, row, sizeof row, &str);
		value_text(p, x, val, sizeof val);
		printf("%-34s %-24s %s\n", name, row, val);
	}
}

static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	return j ? j : json_string("?"); /* not UTF-8: label values are ASCII already */
}

static void print_json(const struct opts *o, const void *st, const struct values *vs)
{
	const struct snmp_profile *p = snmp_source_chosen(st);
	json_t *root = json_object();
	json_object_set_new(root, "target", jstr(o->target));
	json_object_set_new(root, "profile", jstr(p->name));
	json_object_set_new(root, "description",
			    p->description ? jstr(p->description) : json_null());
	json_object_set_new(root, "profile_file", jstr(p->file));
	const char *legacy = snmp_source_legacy(st);
	json_object_set_new(root, "legacy", legacy[0] ? jstr(legacy) : json_null());
	json_t *arr = json_array();
	for (size_t i = 0; i < vs->n; i++) {
		const struct value *x = &vs->v[i];
		if (strcmp(x->family, "sundial_snmp_info") == 0)
			continue;
		json_t *j = json_object();
		char name[128];
		short_name(p, x, name, sizeof name);
		json_object_set_new(j, "object", jstr(name));
		json_object_set_new(j, "metric", jstr(x->family));
		json_t *labels = json_object();
		const char *str = NULL;
		for (size_t k = 0; x->labels[k] && x->labels[k + 1]; k += 2) {
			if (strcmp(x->labels[k], "value") == 0)
				str = x->labels[k + 1];
			else
				json_object_set_new(labels, x->labels[k], jstr(x->labels[k + 1]));
		}
		json_object_set_new(j, "labels", labels);
		if (str)
			json_object_set_new(j, "value", jstr(str));
		else
			json_object_set_new(j, "value",
					    isfinite(x->v) ? json_real(x->v) : json_null());
		json_object_set_new(j, "counter", json_boolean(x->type == METRIC_COUNTER));
		const struct snmp_profile_object *ob = object_of(p, x->family);
		if (ob && ob->type == SNMP_PROFILE_ENUM && isfinite(x->v)) {
			const char *l = snmp_profile_enum_label(ob, (long long)x->v);
			json_object_set_new(j, "text", l ? jstr(l) : json_null());
		}
		json_array_append_new(arr, j);
	}
	json_object_set_new(root, "values", arr);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

static int list_profiles(const struct opts *o)
{
	struct snmp_profile *v;
	size_t n;
	char err[1024];
	if (snmp_source_profiles(NULL, &v, &n, err, sizeof err) != 0) {
		fprintf(stderr, "sundial snmp: %s\n", err);
		return EXIT_FAIL;
	}
	json_t *arr = o->json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		size_t objs = v[i].n_scalar;
		for (size_t t = 0; t < v[i].n_table; t++)
			objs += v[i].table[t].n_col;
		if (arr) {
			json_t *j = json_object();
			json_object_set_new(j, "name", jstr(v[i].name));
			json_object_set_new(j, "description",
					    v[i].description ? jstr(v[i].description)
							     : json_null());
			json_object_set_new(j, "file", jstr(v[i].file));
			json_object_set_new(j, "objects", json_integer((json_int_t)objs));
			json_array_append_new(arr, j);
		} else {
			printf("%-12s %-4zu %s\n             %s\n", v[i].name, objs,
			       v[i].description ? v[i].description : "", v[i].file);
		}
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	}
	snmp_source_profiles_free(v, n);
	return EXIT_OK;
}

static int exit_of(int rc)
{
	switch (rc) {
	case -EACCES: return EXIT_AUTH;
	case -ETIMEDOUT: return EXIT_TIMEOUT;
	case -EHOSTUNREACH: return EXIT_UNREACH;
	case -ENODEV: return EXIT_NOMATCH;
	default: return EXIT_FAIL;
	}
}

/* Drives one sample of the source to its end. */
static int run_sample(void *st, char *err, size_t errlen)
{
	int rc = snmp_source.sample(st, SAMPLE_LIMIT, err, errlen);
	int fd = snmp_source.fd(st);
	while (rc == -EINPROGRESS) {
		double wait = -1;
		rc = snmp_source.step(st, false, &wait, err, errlen);
		while (rc == -EINPROGRESS) {
			int ms = wait < 0 ? 1000 : (int)(wait * 1000.0) + 1;
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int r = poll(&p, 1, ms);
			if (r < 0 && errno == EINTR)
				continue;
			rc = snmp_source.step(st, r > 0, &wait, err, errlen);
		}
	}
	return rc;
}

int cmd_snmp(int argc, char **argv)
{
	struct opts o = { .timeout = 1.0, .retries = 1 };
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;
	if (o.list)
		return list_profiles(&o);
	struct source_params sp = { .target = o.target,
				    .timeout = o.timeout,
				    .interval = SAMPLE_LIMIT,
				    .profile = o.profile,
				    .credentials = o.credentials,
				    .retries = o.retries };
	char err[1024] = "";
	void *st = snmp_source.open(&sp, err, sizeof err);
	if (!st) {
		fprintf(stderr, "sundial snmp: %s\n", err[0] ? err : "cannot open the agent");
		return EXIT_FAIL;
	}
	rc = run_sample(st, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "sundial snmp: %s\n", err[0] ? err : strerror(-rc));
		snmp_source.close(st);
		return exit_of(rc);
	}
	struct values vs = { 0 };
	struct source_out out = { put_cb, &vs };
	snmp_source.publish(st, 0, &out);
	if (o.json)
		print_json(&o, st, &vs);
	else
		print_table(&o, st, &vs);
	values_free(&vs);
	snmp_source.close(st);
	return EXIT_OK;
}
