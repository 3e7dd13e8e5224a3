/* atlas.c - `sundial atlas FILE...`: RIPE Atlas NTP results per server, per
 * probe and overall: replies, timeouts and errors, RTT and offset
 * percentiles, outliers, and which probes saw a different stratum, ref-id,
 * leap indicator or version. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/atlas.h"
#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/mem.h"

#define MAX_FILES 1024
#define MAX_FILE_BYTES (512u * 1024 * 1024)
#define PRINT_BAD 20

struct opts {
	double k;
	bool json, probes;
	const char *files[MAX_FILES];
	size_t nfiles;
};

static void help(FILE *f)
{
	fprintf(f, "usage: sundial atlas [OPTIONS] FILE...\n"
		   "RIPE Atlas NTP measurement results, per server, per probe and overall.\n\n"
		   "FILE: results as the Atlas API gives them, a JSON array or one result per\n"
		   "line (JSON Lines); '-' reads standard input.\n\n"
		   "  -k K          outliers: offsets more than K median absolute deviations\n"
		   "                from the median (default 5)\n"
		   "  -q, --summary leave out the per-probe tables\n"
		   "  -j, --json    JSON instead of tables\n"
		   "  -h, --help    this text\n\n"
		   "Per probe and server: results, replies, timeouts, errors; RTT and offset\n"
		   "min, p50, p95, max (nearest rank); outlying replies and probes; stratum,\n"
		   "ref-id, leap and version against the server's most common (! marks a\n"
		   "difference); IPv4 and IPv6 apart.  Rejected results are shown as\n"
		   "FILE:LINE and counted, never fatal.\n"
		   "Exit: 0 ok, 1 an input could not be read, 64 usage.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "summary", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:jqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!cmd_parse_double(optarg, 0.1, 1000, &o->k))
				return cmd_usage_error(
					"atlas", "-k wants a number from 0.1 to 1000, e.g. '-k 5'");
			break;
		case 'j': o->json = true; break;
		case 'q': o->probes = false; break;
		case 'h': help(stdout); return 0;
		default: return cmd_usage_error("atlas", "unknown option");
		}
	}
	for (int i = optind; i < argc; i++) {
		if (o->nfiles == MAX_FILES)
			return cmd_usage_error("atlas", "at most %d files", MAX_FILES);
		o->files[o->nfiles++] = argv[i];
	}
	if (o->nfiles == 0)
		return cmd_usage_error("atlas", "give at least one FILE, e.g. "
						"'sundial atlas results.json'");
	return -1;
}

/* The whole file (at most MAX_FILE_BYTES) in *out; 0 or a negative errno. */
static int slurp(const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return -errno;
	size_t cap = 65536, n = 0;
	char *buf = mem_alloc(cap);
	int rc = 0;
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_FILE_BYTES) {
				rc = -EFBIG;
				break;
			}
			cap *= 2;
			buf = mem_realloc(buf, cap);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	if (ferror(f))
		rc = -EIO;
	if (f != stdin)
		fclose(f);
	if (rc != 0) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* ---- people's output ----------------------------------------------------- */

static const char *ms9(double s, char *buf, size_t len)
{
	double x = s * 1e3, ax = fabs(x);
	if (ax == 0 || (ax >= 0.001 && ax < 1e5))
		snprintf(buf, len, "%9.3f", x);
	else
		snprintf(buf, len, "%9.2e", x);
	return buf;
}

static void print_group(const char *name, const struct atlas_group *g)
{
	printf("  %-6s %7lu %7lu %7lu %7lu %8lu %7lu %8lu\n", name, g->probes, g->results,
	       g->packets, g->replies, g->timeouts, g->errors, g->outliers);
}

static void print_dist(const char *name, const struct atlas_dist *d)
{
	char a[4][24];
	if (d->n == 0) {
		printf("  %-16s %9s\n", name, "-");
		return;
	}
	printf("  %-16s %s %s %s %s %9zu\n", name, ms9(d->min, a[0], 24), ms9(d->p50, a[1], 24),
	       ms9(d->p95, a[2], 24), ms9(d->max, a[3], 24), d->n);
}

static void print_groups(const struct atlas_group *all, const struct atlas_group *v4,
			 const struct atlas_group *v6)
{
	printf("  %-6s %7s %7s %7s %7s %8s %7s %8s\n", "", "probes", "results", "packets",
	       "replies", "timeouts", "errors", "outliers");
	print_group("all", all);
	print_group("IPv4", v4);
	print_group("IPv6", v6);
	printf("  %-16s %9s %9s %9s %9s %9s\n", "(ms)", "min", "p50", "p95", "max", "n");
	print_dist("rtt", &all->rtt);
	print_dist("offset", &all->offset);
	print_dist("rtt IPv4", &v4->rtt);
	print_dist("offset IPv4", &v4->offset);
	print_dist("rtt IPv6", &v6->rtt);
	print_dist("offset IPv6", &v6->offset);
	print_dist("root delay", &all->root_delay);
	print_dist("root dispersion", &all->root_dispersion);
}

static void print_target(const struct atlas_report *r, const struct atlas_target *t,
			 const struct opts *o)
{
	char b[24], b2[24];
	printf("server %s\n", t->dst);
	print_groups(&t->all, &t->v4, &t->v6);
	if (t->all.replies == 0) {
		printf("  no replies\n");
		return;
	}
	printf("  most common: stratum %d, ref-id '%s', leap '%s', version %d\n", t->stratum,
	       t->refid, t->li, t->version);
	printf("  probes that differ: stratum %lu, ref-id %lu, leap %lu, version %lu\n",
	       t->differ_stratum, t->differ_refid, t->differ_li, t->differ_version);
	printf("  median offset over the probes %s ms, MAD %s ms\n",
	       ms9(t->median_offset, b, sizeof b), ms9(t->mad, b2, sizeof b2));
	printf("  outlier probes:");
	size_t col = 17, shown = 0;
	for (size_t i = 0; i < r->nprobes; i++) {
		const struct atlas_probe *p = &r->probes[i];
		if (strcmp(p->dst, t->dst) != 0 || !p->outlier)
			continue;
		if (shown++ >= 30)
			continue;
		char id[40];
		int w = snprintf(id, sizeof id, " %lld/v%d", p->prb_id, p->af);
		if (col + (size_t)w > 78) {
			printf("\n                 ");
			col = 17;
		}
		fputs(id, stdout);
		col += (size_t)w;
	}
	if (shown > 30)
		printf("\n                  ... %zu in all (--json lists them)\n", shown);
	else
		printf(shown ? "\n" : " none\n");
	if (!o->probes)
		return;
	printf("\n  %8s %2s %5s %5s %5s %5s %9s %9s %9s %9s\n", "probe", "af", "res", "rep", "t/o",
	       "err", "rtt min", "rtt p50", "rtt p95", "rtt max");
	char a[4][24];
	for (size_t i = 0; i < r->nprobes; i++) {
		const struct atlas_probe *p = &r->probes[i];
		if (strcmp(p->dst, t->dst) != 0)
			continue;
		printf("  %8lld %2d %5lu %5lu %5lu %5lu", p->prb_id, p->af, p->results, p->replies,
		       p->timeouts, p->errors);
		if (p->rtt.n)
			printf(" %s %s %s %s", ms9(p->rtt.min, a[0], 24), ms9(p->rtt.p50, a[1], 24),
			       ms9(p->rtt.p95, a[2], 24), ms9(p->rtt.max, a[3], 24));
		putchar('\n');
	}
	printf("\n  %8s %2s %9s %9s %9s %9s %4s %3s %-8s %-4s %s\n", "probe", "af", "off min",
	       "off p50", "off p95", "off max", "out", "st", "ref-id", "li", "v");
	for (size_t i = 0; i < r->nprobes; i++) {
		const struct atlas_probe *p = &r->probes[i];
		if (strcmp(p->dst, t->dst) != 0 || p->offset.n == 0)
			continue;
		printf("  %8lld %2d %s %s %s %s %3lu%s %2d%s %-8.8s%s %-3.3s%s %d%s\n", p->prb_id,
		       p->af, ms9(p->offset.min, a[0], 24), ms9(p->offset.p50, a[1], 24),
		       ms9(p->offset.p95, a[2], 24), ms9(p->offset.max, a[3], 24), p->outliers,
		       p->outlier ? "*" : " ", p->stratum, p->differs & ATLAS_STRATUM ? "!" : " ",
		       p->refid, p->differs & ATLAS_REFID ? "!" : " ", p->li,
		       p->differs & ATLAS_LI ? "!" : " ", p->version,
		       p->differs & ATLAS_VERSION ? "!" : "");
	}
}

static void print_people(const atlas *a, const struct atlas_report *r, const struct opts *o)
{
	unsigned long results = 0;
	for (size_t i = 0; i < atlas_file_count(a); i++)
		results += atlas_file_get(a, i)->results;
	printf("RIPE Atlas NTP: %lu results from %zu files, %lu rejected; outliers beyond "
	       "%g MADs\n\n",
	       results, atlas_file_count(a), atlas_bad_total(a), r->k);
	for (size_t i = 0; i < r->ntargets; i++) {
		print_target(r, &r->targets[i], o);
		putchar('\n');
	}
	if (r->ntargets > 1) {
		printf("all servers\n");
		print_groups(&r->all, &r->v4, &r->v6);
	}
	if (o->probes && r->nprobes)
		printf("(* probe's median offset is an outlier; ! differs from the server's "
		       "most common)\n");
}

/* ---- JSON ---------------------------------------------------------------- */

static json_t *dist_json(const struct atlas_dist *d)
{
	json_t *j = json_object();
	json_object_set_new(j, "n", json_integer((json_int_t)d->n));
	if (d->n) {
		json_object_set_new(j, "min", json_real(d->min));
		json_object_set_new(j, "p50", json_real(d->p50));
		json_object_set_new(j, "p95", json_real(d->p95));
		json_object_set_new(j, "max", json_real(d->max));
	}
	return j;
}

static json_t *group_json(const struct atlas_group *g)
{
	json_t *j = json_object();
	json_object_set_new(j, "probes", json_integer((json_int_t)g->probes));
	json_object_set_new(j, "results", json_integer((json_int_t)g->results));
	json_object_set_new(j, "packets", json_integer((json_int_t)g->packets));
	json_object_set_new(j, "replies", json_integer((json_int_t)g->replies));
	json_object_set_new(j, "timeouts", json_integer((json_int_t)g->timeouts));
	json_object_set_new(j, "errors", json_integer((json_int_t)g->errors));
	json_object_set_new(j, "outliers", json_integer((json_int_t)g->outliers));
	json_object_set_new(j, "outlier_probes", json_integer((json_int_t)g->outlier_probes));
	json_object_set_new(j, "rtt", dist_json(&g->rtt));
	json_object_set_new(j, "offset", dist_json(&g->offset));
	json_object_set_new(j, "root_delay", dist_json(&g->root_delay));
	json_object_set_new(j, "root_dispersion", dist_json(&g->root_dispersion));
	return j;
}

static json_t *probe_json(const struct atlas_probe *p)
{
	json_t *j = json_object();
	json_object_set_new(j, "prb_id", json_integer((json_int_t)p->prb_id));
	json_object_set_new(j, "af", json_integer(p->af));
	json_object_set_new(j, "dst_addr", json_string(p->dst));
	json_object_set_new(j, "results", json_integer((json_int_t)p->results));
	json_object_set_new(j, "packets", json_integer((json_int_t)p->packets));
	json_object_set_new(j, "replies", json_integer((json_int_t)p->replies));
	json_object_set_new(j, "timeouts", json_integer((json_int_t)p->timeouts));
	json_object_set_new(j, "errors", json_integer((json_int_t)p->errors));
	json_object_set_new(j, "rtt", dist_json(&p->rtt));
	json_object_set_new(j, "offset", dist_json(&p->offset));
	json_object_set_new(j, "outliers", json_integer((json_int_t)p->outliers));
	json_object_set_new(j, "outlier", json_boolean(p->outlier));
	if (p->replies) {
		json_object_set_new(j, "root_delay", json_real(p->root_delay));
		json_object_set_new(j, "root_dispersion", json_real(p->root_dispersion));
		json_object_set_new(j, "stratum",
				    p->stratum >= 0 ? json_integer(p->stratum) : json_null());
		json_object_set_new(j, "ref_id", json_string(p->refid));
		json_object_set_new(j, "li", json_string(p->li));
		json_object_set_new(j, "version",
				    p->version >= 0 ? json_integer(p->version) : json_null());
	}
	json_t *d = json_array();
	static const char *const names[] = { "stratum", "ref_id", "li", "version" };
	for (int b = 0; b < 4; b++)
		if (p->differs & (1u << b))
			json_array_append_new(d, json_string(names[b]));
	json_object_set_new(j, "differs", d);
	return j;
}

static void print_json(const atlas *a, const struct atlas_report *r)
{
	json_t *root = json_object();
	json_object_set_new(root, "k", json_real(r->k));
	json_t *files = json_array();
	for (size_t i = 0; i < atlas_file_count(a); i++) {
		const struct atlas_file *f = atlas_file_get(a, i);
		json_t *j = json_object();
		json_object_set_new(j, "file", json_string(f->name));
		json_object_set_new(j, "results", json_integer((json_int_t)f->results));
		json_object_set_new(j, "rejected", json_integer((json_int_t)f->rejected));
		json_array_append_new(files, j);
	}
	json_object_set_new(root, "files", files);
	json_t *bad = json_array();
	for (size_t i = 0; i < atlas_bad_count(a); i++) {
		const struct atlas_bad *b = atlas_bad_get(a, i);
		json_t *j = json_object();
		json_object_set_new(j, "file", json_string(atlas_file_get(a, b->file)->name));
		json_object_set_new(j, "line", json_integer((json_int_t)b->line));
		json_object_set_new(j, "error", json_string(b->why));
		json_array_append_new(bad, j);
	}
	json_object_set_new(root, "rejected", bad);
	json_object_set_new(root, "rejected_total", json_integer((json_int_t)atlas_bad_total(a)));
	json_object_set_new(root, "overall", group_json(&r->all));
	json_object_set_new(root, "ipv4", group_json(&r->v4));
	json_object_set_new(root, "ipv6", group_json(&r->v6));
	json_t *servers = json_array();
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct atlas_target *t = &r->targets[i];
		json_t *j = json_object();
		json_object_set_new(j, "dst_addr", json_string(t->dst));
		json_object_set_new(j, "all", group_json(&t->all));
		json_object_set_new(j, "ipv4", group_json(&t->v4));
		json_object_set_new(j, "ipv6", group_json(&t->v6));
		json_object_set_new(j, "stratum",
				    t->stratum >= 0 ? json_integer(t->stratum) : json_null());
		json_object_set_new(j, "ref_id", json_string(t->refid));
		json_object_set_new(j, "li", json_string(t->li));
		json_object_set_new(j, "version",
				    t->version >= 0 ? json_integer(t->version) : json_null());
		json_t *d = json_object();
		json_object_set_new(d, "stratum", json_integer((json_int_t)t->differ_stratum));
		json_object_set_new(d, "ref_id", json_integer((json_int_t)t->differ_refid));
		json_object_set_new(d, "li", json_integer((json_int_t)t->differ_li));
		json_object_set_new(d, "version", json_integer((json_int_t)t->differ_version));
		json_object_set_new(j, "probes_differing", d);
		json_object_set_new(j, "median_offset", json_real(t->median_offset));
		json_object_set_new(j, "mad", json_real(t->mad));
		json_array_append_new(servers, j);
	}
	json_object_set_new(root, "servers", servers);
	json_t *probes = json_array();
	for (size_t i = 0; i < r->nprobes; i++)
		json_array_append_new(probes, probe_json(&r->probes[i]));
	json_object_set_new(root, "probes", probes);
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(17) | JSON_ENSURE_ASCII);
	if (text) {
		puts(text);
		free(text);
	}
	json_decref(root);
}

int cmd_atlas(int argc, char **argv)
{
	struct opts o = { .k = 5, .probes = true };
	int prc = parse_args(argc, argv, &o);
	if (prc >= 0)
		return prc;
	atlas *a = atlas_new();
	int rc = 0;
	for (size_t i = 0; i < o.nfiles; i++) {
		const char *name = strcmp(o.files[i], "-") == 0 ? "(stdin)" : o.files[i];
		char *text = NULL;
		size_t len = 0;
		int e = slurp(o.files[i], &text, &len);
		if (e != 0) {
			fprintf(stderr, "sundial atlas: %s: %s\n", name,
				e == -EFBIG ? "larger than 512 MiB" : strerror(-e));
			rc = 1;
			continue;
		}
		e = atlas_feed(a, name, text, len);
		free(text);
		if (e == -E2BIG) {
			fprintf(stderr,
				"sundial atlas: %s: more than %u rows or %u replies; the rest "
				"is left out\n",
				name, ATLAS_MAX_ROWS, ATLAS_MAX_REPLIES);
			rc = 1;
			break;
		}
		const struct atlas_file *f = atlas_file_get(a, atlas_file_count(a) - 1);
		if (e != 0) {
			fprintf(stderr, "sundial atlas: %s: not RIPE Atlas results (see below)\n",
				name);
			rc = 1;
		} else if (f->results == 0 && f->rejected > 0) {
			/* like a file of some other kind: say so, as for a broken one */
			fprintf(stderr,
				"sundial atlas: %s: no RIPE Atlas NTP result in it, %lu rejected "
				"(see below)\n",
				name, f->rejected);
			rc = 1;
		}
	}
	size_t nbad = atlas_bad_count(a);
	for (size_t i = 0; i < nbad && (o.json || i < PRINT_BAD); i++) {
		const struct atlas_bad *b = atlas_bad_get(a, i);
		fprintf(stderr, "%s:%lu: %s\n", atlas_file_get(a, b->file)->name, b->line, b->why);
	}
	if (atlas_bad_total(a) > (o.json ? nbad : (nbad < PRINT_BAD ? nbad : PRINT_BAD)))
		fprintf(stderr, "sundial atlas: ... %lu results rejected in all\n",
			atlas_bad_total(a));
	struct atlas_report *r = atlas_report_new(a, o.k);
	if (o.json)
		print_json(a, r);
	else
		print_people(a, r, &o);
	atlas_report_free(r);
	atlas_free(a);
	return rc;
}
