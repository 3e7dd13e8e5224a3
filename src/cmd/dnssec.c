/* dnssec.c - `sundial dnssec`: the signatures of a signed zone against
 * time (TTLs that outlive their signature, expired and premature
 * signatures, TTL rules, missing and bogus signatures).  Options and output;
 * reading the zone and the checks are analysis/dnssec. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dnssec.h"
#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"

/* Exit statuses: Nagios's, in every output form (doc/sundial-dnssec.1). */
enum {
	EXIT_OK = 0,
	EXIT_WARNING = 1,
	EXIT_CRITICAL = 2,
	EXIT_UNKNOWN = 3,
	EXIT_USAGE = 64,
};

enum output { OUT_TEXT, OUT_JSON, OUT_NAGIOS };

#define MAX_NAMES 256

struct opts {
	const char *server;
	const char *origin;
	const char *names[MAX_NAMES];
	size_t n_names;
	bool at_given;
	int64_t at;
	struct dnssec_opts dopts;
	double timeout;
	enum output out;
	bool list;
	const char *input; /* ZONEFILE, or ZONE with --server */
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: sundial dnssec [OPTIONS] ZONEFILE\n"
		"       sundial dnssec [OPTIONS] --server NS ZONE\n"
		"Check a signed zone's RRSIGs against time: TTLs beyond expiration, expired or\n"
		"premature signatures, original TTL exceeded, RRSIG TTL mismatch, missing and\n"
		"bogus signatures.\n\n"
		"  -s, --server NS      fetch ZONE from NS (host, host:port, [v6]:port): AXFR,\n"
		"                       else queries for the apex and the --name names\n"
		"  -n, --name NAME      a name to query when AXFR is refused (repeat)\n"
		"  -o, --origin ZONE    the zone's name for relative names in ZONEFILE\n"
		"      --at TIME        evaluate at TIME: ISO 8601, Unix seconds, YYYYMMDDhhmmss,\n"
		"                       now, +DURATION, -DURATION (default now)\n"
		"  -w, --warn DURATION  WARNING when a margin is below it (default 3d)\n"
		"      --skew DURATION  WARNING for signatures valid for less (default 300)\n"
		"  -t, --timeout SEC    per DNS exchange with --server (default 5)\n"
		"  -j, --json; --nagios JSON; Nagios plugin output\n"
		"  -v, --verbose        list every RRset with its margin (-vv: debug)\n"
		"  -h, --help           this text\n"
		"Exit: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (unreadable zone, no answer),\n"
		"64 usage.\n");
}

enum { OPT_AT = 256, OPT_NAGIOS, OPT_SKEW };

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "origin", required_argument, NULL, 'o' },
		{ "at", required_argument, NULL, OPT_AT },
		{ "warn", required_argument, NULL, 'w' },
		{ "skew", required_argument, NULL, OPT_SKEW },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "nagios", no_argument, NULL, OPT_NAGIOS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *at = NULL;
	char err[300];
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:n:o:w:t:jvh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o->server = optarg; break;
		case 'n':
			if (o->n_names == MAX_NAMES)
				return cmd_usage_error("dnssec", "at most %d --name options",
						       MAX_NAMES);
			o->names[o->n_names++] = optarg;
			break;
		case 'o': o->origin = optarg; break;
		case OPT_AT: at = optarg; break;
		case 'w':
		case OPT_SKEW: {
			int64_t d;
			if (dnssec_parse_duration(optarg, &d) != 0)
				return cmd_usage_error(
					"dnssec",
					"%s needs a duration such as 3600, 90m, 12h, 3d, not '%s'",
					c == 'w' ? "--warn" : "--skew", optarg);
			if (c == 'w')
				o->dopts.warn = d;
			else
				o->dopts.skew = d;
			break;
		}
		case 't':
			if (!cmd_parse_double(optarg, 0.001, 3600, &o->timeout))
				return cmd_usage_error(
					"dnssec", "-t needs seconds from 0.001 to 3600, not '%s'",
					optarg);
			break;
		case 'j':
		case OPT_NAGIOS:
			if (o->out != OUT_TEXT)
				return cmd_usage_error("dnssec", "%s",
						       "give one output form: --json or --nagios");
			o->out = c == 'j' ? OUT_JSON : OUT_NAGIOS;
			break;
		case 'v':
			if (o->list)
				log_set_verbosity(log_get_verbosity() + 2);
			o->list = true;
			break;
		case 'h': help(stdout); return -1;
		default:
			fprintf(stderr, "'sundial dnssec --help' lists the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cmd_usage_error("dnssec", "%s",
				       o->server ? "no ZONE given, e.g. 'sundial dnssec --server "
						   "ns1.example.net example.net'"
						 : "no ZONEFILE given, e.g. 'sundial dnssec "
						   "example.net.signed'");
	if (optind + 1 < argc)
		return cmd_usage_error("dnssec", "one %s only, not also '%s'",
				       o->server ? "ZONE" : "ZONEFILE", argv[optind + 1]);
	o->input = argv[optind];
	if (!o->server && o->n_names)
		return cmd_usage_error("dnssec", "%s", "--name goes with --server");
	if (o->server && o->origin)
		return cmd_usage_error("dnssec", "%s",
				       "--origin is for zone files; with --server ZONE names the "
				       "zone");
	if (at) {
		if (dnssec_parse_time(at, (int64_t)floor(clock_real_sec()), &o->at, err,
				      sizeof err) != 0)
			return cmd_usage_error("dnssec", "--at: %s", err);
		o->at_given = true;
	}
	return 0;
}

/* --- words for people --- */

/* A span of seconds, roughly: "3d 4h", "-2h 5m", "45s". */
static char *human(int64_t s, char *buf, size_t len)
{
	const char *sign = s < 0 ? "-" : "";
	long long a = s < 0 ? -(long long)s : (long long)s;
	if (a >= 86400)
		str_format(buf, len, "%s%lldd %lldh", sign, a / 86400, a % 86400 / 3600);
	else if (a >= 3600)
		str_format(buf, len, "%s%lldh %lldm", sign, a / 3600, a % 3600 / 60);
	else if (a >= 60)
		str_format(buf, len, "%s%lldm %llds", sign, a / 60, a % 60);
	else
		str_format(buf, len, "%s%llds", sign, a);
	return buf;
}

static const char *source_word(enum dnssec_source s)
{
	switch (s) {
	case DNSSEC_FROM_FILE: return "file";
	case DNSSEC_FROM_AXFR: return "axfr";
	case DNSSEC_FROM_QUERIES: return "queries";
	}
	return "unknown";
}

static const char *severity_word(enum dnssec_severity s)
{
	static const char *const w[] = { "OK", "WARNING", "CRITICAL" };
	return (unsigned)s < 3 ? w[s] : "UNKNOWN";
}

/* What a finding is about, in a sentence (without the RRset). */
static void detail(const struct dnssec_finding *f, const struct dnssec_rrset *s, char *buf,
		   size_t len)
{
	const struct dnssec_sig *g = f->sig != DNSSEC_NO_SIG ? &s->sigs[f->sig] : NULL;
	char t1[32], t2[32], h[32];
	switch (f->kind) {
	case DNSSEC_MISSING:
		str_format(buf, len, "%zu record%s, no RRSIG", s->n_records,
			   s->n_records == 1 ? "" : "s");
		return;
	case DNSSEC_EXPIRED:
		str_format(buf, len, "expired %s",
			   dnssec_format_time(f->expiration, t1, sizeof t1));
		break;
	case DNSSEC_TTL_BEYOND_EXPIRATION:
		str_format(buf, len, "TTL %u s, expires %s: margin %s", f->min_ttl,
			   dnssec_format_time(f->expiration, t1, sizeof t1),
			   human(f->margin, h, sizeof h));
		break;
	case DNSSEC_MARGIN_LOW:
		str_format(
			buf, len, "TTL %u s, expires %s: margin %s, TTL beyond expiration from %s",
			f->min_ttl, dnssec_format_time(f->expiration, t1, sizeof t1),
			human(f->margin, h, sizeof h), dnssec_format_time(f->ends, t2, sizeof t2));
		break;
	case DNSSEC_NOT_YET_VALID:
		str_format(buf, len, "valid from %s",
			   dnssec_format_time(f->inception, t1, sizeof t1));
		break;
	case DNSSEC_INCEPTION_SKEW:
		str_format(buf, len, "valid since %s: clocks behind by more than that reject it",
			   dnssec_format_time(f->inception, t1, sizeof t1));
		break;
	case DNSSEC_ORIG_TTL_EXCEEDED:
		str_format(buf, len, "RRset TTL %u > original TTL %u", s->ttl, g ? g->orig_ttl : 0);
		break;
	case DNSSEC_TTL_MISMATCH:
		str_format(buf, len, "RRset TTL %u, RRSIG TTL %u", s->ttl, g ? g->ttl : 0);
		break;
	case DNSSEC_BOGUS: str_format(buf, len, "does not verify: %s", g ? g->why : ""); break;
	case DNSSEC_NO_KEY: str_format(buf, len, "%s", "no DNSKEY with its key tag"); break;
	case DNSSEC_UNSUPPORTED: str_format(buf, len, "%s", "ldns cannot verify it"); break;
	case DNSSEC_N_KINDS: buf[0] = '\0'; return;
	}
	if (g) {
		size_t used = strlen(buf);
		str_format(buf + used, len - used, " [key %u alg %u]", g->key_tag, g->algorithm);
	}
}

/* --- output --- */

struct view {
	const char *label; /* the file, or the server */
	const dnssec_zone *z;
	const struct dnssec_rrset *v;
	size_t n;
	const struct dnssec_report *r;
	const struct opts *o;
};

static void print_text(const struct view *w)
{
	const struct dnssec_report *r = w->r;
	char t[32], h[32], d[512];
	printf("zone %s from %s (%s%s%s): %zu RRsets, %zu signatures, %zu DNSKEYs; at %s\n",
	       dnssec_zone_apex(w->z), w->label, source_word(dnssec_zone_source(w->z)),
	       dnssec_zone_note(w->z)[0] ? ": " : "", dnssec_zone_note(w->z), w->n, r->n_sigs,
	       dnssec_zone_keys(w->z), dnssec_format_time(r->at, t, sizeof t));
	if (r->n_findings) {
		printf("%-20s  %-8s  %-21s  %s\n", "BEGINS", "SEVERITY", "PROBLEM",
		       "RRSET: DETAIL");
		for (size_t i = 0; i < r->n_findings; i++) {
			const struct dnssec_finding *f = &r->findings[i];
			const struct dnssec_rrset *s = &w->v[f->rrset];
			detail(f, s, d, sizeof d);
			printf("%-20s  %-8s  %-21s  %s %s: %s\n",
			       f->has_begins ? dnssec_format_time(f->begins, t, sizeof t) : "-",
			       severity_word(f->severity), dnssec_kind_name(f->kind), s->owner,
			       s->type, d);
		}
	}
	if (w->o->list) {
		printf("%-40s  %8s  %4s  %-12s  %s\n", "RRSET", "TTL", "SIGS", "MARGIN", "EXPIRES");
		for (size_t i = 0; i < w->n; i++) {
			const struct dnssec_rrset *s = &w->v[i];
			const struct dnssec_rrset_eval *e = &r->rrsets[i];
			char name[600];
			str_format(name, sizeof name, "%s %s", s->owner, s->type);
			if (e->has_margin)
				printf("%-40s  %8u  %4zu  %-12s  %s\n", name, s->ttl, s->n_sigs,
				       human(e->margin, h, sizeof h),
				       dnssec_format_time(e->expiration, t, sizeof t));
			else
				printf("%-40s  %8u  %4zu  %-12s  %s\n", name, s->ttl, s->n_sigs,
				       "-",
				       s->needs_sig ? "unsigned"
						    : "needs no signature (glue, delegation)");
		}
	}
	printf("summary: %s: %zu critical, %zu warning", severity_word(r->severity), r->n_critical,
	       r->n_warning);
	const char *sep = " (";
	for (int k = 0; k < DNSSEC_N_KINDS; k++) {
		if (!r->count[k])
			continue;
		printf("%s%zu %s", sep, r->count[k], dnssec_kind_name((enum dnssec_kind)k));
		sep = ", ";
	}
	printf("%s", sep[0] == ',' ? ")" : "");
	if (r->has_margin)
		printf("; smallest margin %s (%lld s, %s %s)", human(r->margin, h, sizeof h),
		       (long long)r->margin, w->v[r->margin_rrset].owner,
		       w->v[r->margin_rrset].type);
	printf("\n");
	if (r->has_next_ttl)
		printf("next: TTL beyond expiration from %s (%s %s)\n",
		       dnssec_format_time(r->next_ttl, t, sizeof t), w->v[r->next_ttl_rrset].owner,
		       w->v[r->next_ttl_rrset].type);
	if (r->has_next_expiry)
		printf("next: a signature expired from %s (%s %s)\n",
		       dnssec_format_time(r->next_expiry, t, sizeof t),
		       w->v[r->next_expiry_rrset].owner, w->v[r->next_expiry_rrset].type);
}

static json_t *jtime(bool has, int64_t t)
{
	char b[32];
	return has ? json_string(dnssec_format_time(t, b, sizeof b)) : json_null();
}

static json_t *jnext(bool has, int64_t t, const struct dnssec_rrset *s)
{
	if (!has)
		return json_null();
	json_t *j = json_object();
	json_object_set_new(j, "at", jtime(true, t));
	json_object_set_new(j, "at_unix", json_integer(t));
	json_object_set_new(j, "owner", json_string(s->owner));
	json_object_set_new(j, "type", json_string(s->type));
	return j;
}

static const char *crypto_word(enum dnssec_crypto c)
{
	switch (c) {
	case DNSSEC_SIG_VALID: return "valid";
	case DNSSEC_SIG_BOGUS: return "bogus";
	case DNSSEC_SIG_NO_KEY: return "no_key";
	case DNSSEC_SIG_UNSUPPORTED: return "unsupported";
	}
	return "unknown";
}

static void print_json(const struct view *w)
{
	const struct dnssec_report *r = w->r;
	char d[512];
	json_t *root = json_object();
	json_object_set_new(root, "zone", json_string(dnssec_zone_apex(w->z)));
	json_object_set_new(root, "input", json_string(w->label));
	json_object_set_new(root, "source", json_string(source_word(dnssec_zone_source(w->z))));
	json_object_set_new(root, "note", json_string(dnssec_zone_note(w->z)));
	json_object_set_new(root, "at", jtime(true, r->at));
	json_object_set_new(root, "at_unix", json_integer(r->at));
	json_object_set_new(root, "status", json_string(severity_word(r->severity)));
	json_object_set_new(root, "warn_seconds", json_integer(r->opts.warn));
	json_object_set_new(root, "skew_seconds", json_integer(r->opts.skew));
	json_object_set_new(root, "rrsets", json_integer((json_int_t)w->n));
	json_object_set_new(root, "signatures", json_integer((json_int_t)r->n_sigs));
	json_object_set_new(root, "dnskeys", json_integer((json_int_t)dnssec_zone_keys(w->z)));
	json_object_set_new(root, "critical", json_integer((json_int_t)r->n_critical));
	json_object_set_new(root, "warning", json_integer((json_int_t)r->n_warning));
	json_t *counts = json_object();
	for (int k = 0; k < DNSSEC_N_KINDS; k++)
		json_object_set_new(counts, dnssec_kind_name((enum dnssec_kind)k),
				    json_integer((json_int_t)r->count[k]));
	json_object_set_new(root, "counts", counts);
	if (r->has_margin) {
		json_t *m = json_object();
		json_object_set_new(m, "seconds", json_integer(r->margin));
		json_object_set_new(m, "owner", json_string(w->v[r->margin_rrset].owner));
		json_object_set_new(m, "type", json_string(w->v[r->margin_rrset].type));
		json_object_set_new(root, "margin", m);
	} else {
		json_object_set_new(root, "margin", json_null());
	}
	json_object_set_new(root, "next_ttl_beyond_expiration",
			    jnext(r->has_next_ttl, r->next_ttl, &w->v[r->next_ttl_rrset]));
	json_object_set_new(root, "next_expired",
			    jnext(r->has_next_expiry, r->next_expiry, &w->v[r->next_expiry_rrset]));
	json_t *pa = json_array();
	for (size_t i = 0; i < r->n_findings; i++) {
		const struct dnssec_finding *f = &r->findings[i];
		const struct dnssec_rrset *s = &w->v[f->rrset];
		json_t *j = json_object();
		json_object_set_new(j, "kind", json_string(dnssec_kind_name(f->kind)));
		json_object_set_new(j, "severity", json_string(severity_word(f->severity)));
		json_object_set_new(j, "owner", json_string(s->owner));
		json_object_set_new(j, "type", json_string(s->type));
		json_object_set_new(j, "begins", jtime(f->has_begins, f->begins));
		json_object_set_new(j, "begins_unix",
				    f->has_begins ? json_integer(f->begins) : json_null());
		json_object_set_new(j, "ends", jtime(f->has_ends, f->ends));
		json_object_set_new(j, "ends_unix",
				    f->has_ends ? json_integer(f->ends) : json_null());
		if (f->sig != DNSSEC_NO_SIG) {
			const struct dnssec_sig *g = &s->sigs[f->sig];
			json_object_set_new(j, "key_tag", json_integer(g->key_tag));
			json_object_set_new(j, "algorithm", json_integer(g->algorithm));
			json_object_set_new(j, "inception", jtime(true, f->inception));
			json_object_set_new(j, "expiration", jtime(true, f->expiration));
			json_object_set_new(j, "ttl", json_integer(f->min_ttl));
		}
		detail(f, s, d, sizeof d);
		json_object_set_new(j, "message", json_string(d));
		json_array_append_new(pa, j);
	}
	json_object_set_new(root, "problems", pa);
	json_t *ra = json_array();
	for (size_t i = 0; i < w->n; i++) {
		const struct dnssec_rrset *s = &w->v[i];
		const struct dnssec_rrset_eval *e = &r->rrsets[i];
		json_t *j = json_object();
		json_object_set_new(j, "owner", json_string(s->owner));
		json_object_set_new(j, "type", json_string(s->type));
		json_object_set_new(j, "ttl", json_integer(s->ttl));
		json_object_set_new(j, "records", json_integer((json_int_t)s->n_records));
		json_object_set_new(j, "needs_signature", json_boolean(s->needs_sig));
		json_object_set_new(j, "margin",
				    e->has_margin ? json_integer(e->margin) : json_null());
		json_object_set_new(j, "expiration", jtime(e->has_margin, e->expiration));
		json_t *sa = json_array();
		for (size_t k = 0; k < s->n_sigs; k++) {
			const struct dnssec_sig *g = &s->sigs[k];
			json_t *x = json_object();
			json_object_set_new(x, "key_tag", json_integer(g->key_tag));
			json_object_set_new(x, "algorithm", json_integer(g->algorithm));
			json_object_set_new(x, "ttl", json_integer(g->ttl));
			json_object_set_new(x, "original_ttl", json_integer(g->orig_ttl));
			json_object_set_new(x, "inception",
					    jtime(true, dnssec_serial_time(g->inception, r->at)));
			json_object_set_new(x, "expiration",
					    jtime(true, dnssec_serial_time(g->expiration, r->at)));
			json_object_set_new(x, "verdict", json_string(crypto_word(g->crypto)));
			json_array_append_new(sa, x);
		}
		json_object_set_new(j, "signatures", sa);
		json_array_append_new(ra, j);
	}
	json_object_set_new(root, "rrset_list", ra);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(root);
}

static void print_nagios(const struct view *w)
{
	const struct dnssec_report *r = w->r;
	char h[32], d[512];
	printf("DNSSEC %s: %s", severity_word(r->severity), dnssec_zone_apex(w->z));
	if (r->n_findings) {
		/* The worst finding that began first. */
		const struct dnssec_finding *f = &r->findings[0];
		for (size_t i = 0; i < r->n_findings; i++)
			if (r->findings[i].severity == r->severity) {
				f = &r->findings[i];
				break;
			}
		detail(f, &w->v[f->rrset], d, sizeof d);
		printf(" %zu critical, %zu warning; %s %s %s: %s", r->n_critical, r->n_warning,
		       dnssec_kind_name(f->kind), w->v[f->rrset].owner, w->v[f->rrset].type, d);
	} else {
		printf(" %zu RRsets, %zu signatures OK", w->n, r->n_sigs);
	}
	if (r->has_margin)
		printf("; smallest margin %s (%s %s)", human(r->margin, h, sizeof h),
		       w->v[r->margin_rrset].owner, w->v[r->margin_rrset].type);
	printf("|");
	if (r->has_margin)
		printf("margin=%llds;%lld:;1:;; ", (long long)r->margin, (long long)r->opts.warn);
	printf("rrsets=%zu;;;0; signatures=%zu;;;0; critical=%zu;;;0; warning=%zu;;;0;\n", w->n,
	       r->n_sigs, r->n_critical, r->n_warning);
}

/* The zone could not be read or fetched: UNKNOWN, said in the output form. */
static int unknown(const struct opts *o, const char *msg)
{
	switch (o->out) {
	case OUT_NAGIOS: printf("DNSSEC UNKNOWN: %s\n", msg); break;
	case OUT_JSON: {
		json_t *root = json_object();
		json_object_set_new(root, "input", json_string(o->input));
		json_object_set_new(root, "status", json_string("UNKNOWN"));
		json_object_set_new(root, "error", json_string(msg));
		char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
		json_decref(root);
		break;
	}
	case OUT_TEXT: break;
	}
	fprintf(stderr, "sundial dnssec: %s\n", msg);
	return EXIT_UNKNOWN;
}

int cmd_dnssec(int argc, char **argv)
{
	struct opts o = {
		.dopts = { .warn = DNSSEC_WARN_DEFAULT, .skew = DNSSEC_SKEW_DEFAULT },
		.timeout = 5,
		.out = OUT_TEXT,
	};
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	dnssec_zone *z = NULL;
	char err[600] = "";
	char label[300];
	if (o.server) {
		struct addr_spec spec;
		struct sockaddr_storage addr;
		char aerr[300] = "";
		if (addr_parse_spec(o.server, 53, &spec, aerr, sizeof aerr) != 0)
			return cmd_usage_error("dnssec", "--server: %s", aerr);
		int got = addr_resolve(&spec, AF_UNSPEC, false, &addr, 1, aerr, sizeof aerr);
		if (got <= 0)
			return unknown(&o, aerr);
		char a[64];
		addr_format((struct sockaddr *)&addr, a, sizeof a);
		str_format(label, sizeof label, "%s%s%s port %u", spec.host,
			   strcmp(spec.host, a) ? " " : "", strcmp(spec.host, a) ? a : "",
			   spec.port);
		rc = dnssec_zone_fetch(&addr, o.input, o.names, o.n_names, o.timeout, &z, err,
				       sizeof err);
		if (rc == -EINVAL && !z && strstr(err, "domain name"))
			return cmd_usage_error("dnssec", "%s", err);
		if (rc != 0) {
			char msg[900];
			str_format(msg, sizeof msg, "%s: %s", label, err);
			return unknown(&o, msg);
		}
	} else {
		str_copy(label, o.input, sizeof label);
		rc = dnssec_zone_read(o.input, o.origin, &z, err, sizeof err);
		if (rc != 0)
			return unknown(&o, err);
	}
	int64_t at = o.at_given ? o.at : (int64_t)floor(clock_real_sec());
	struct view w = { .label = label, .z = z, .o = &o };
	w.v = dnssec_zone_rrsets(z, &w.n);
	struct dnssec_report *r = dnssec_evaluate(w.v, w.n, at, &o.dopts);
	w.r = r;
	switch (o.out) {
	case OUT_TEXT: print_text(&w); break;
	case OUT_JSON: print_json(&w); break;
	case OUT_NAGIOS: print_nagios(&w); break;
	}
	int status = r->severity == DNSSEC_CRITICAL  ? EXIT_CRITICAL
		     : r->severity == DNSSEC_WARNING ? EXIT_WARNING
						     : EXIT_OK;
	dnssec_report_free(r);
	dnssec_zone_free(z);
	return status;
}
