/* stats.c - `sundial stats FILE...`: the statistics files of ntpd, NTPsec and
 * chronyd and the NTP Pool's score log as percentile tables (ntpviz's
 * summary), JSON, and SVG graphs over time. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis/ntpstats.h"
#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/clock.h"
#include "common/mem.h"
#include "common/path.h"
#include "web/svg.h"

#define MAX_FILES 1024
#define PRINT_BAD 20 /* rejected lines printed per run (people's output) */

struct opts {
	enum ntpstats_kind kind;
	const char *outdir;
	bool json;
	bool quiet;
	const char *files[MAX_FILES];
	size_t nfiles;
};

static void help(FILE *f)
{
	fprintf(f, "usage: sundial stats [OPTIONS] FILE...\n"
		   "Percentile tables and graphs of time daemons' statistics files.\n\n"
		   "FILE: ntpd/NTPsec loopstats, peerstats, clockstats, rawstats; chrony\n"
		   "tracking.log, measurements.log, statistics.log, refclocks.log; the NTP\n"
		   "Pool's score CSV (kind detected from the content; '-' reads stdin).\n"
		   "clockstats: NMEA fix, satellites and timecode age; PPS, SHM, GPSD tallies.\n\n"
		   "  -k, --kind KIND  force the kind of every FILE: loopstats, peerstats,\n"
		   "                   clockstats, rawstats, tracking, measurements,\n"
		   "                   statistics, refclocks, pool\n"
		   "  -o, --output DIR one SVG graph per series (with its 5-95 %% band) and\n"
		   "                   pool-score.svg (the Pool's score beside the local offset)\n"
		   "  -j, --json       JSON instead of tables\n"
		   "  -q, --quiet      no progress line (shown on a terminal's stderr)\n"
		   "  -h, --help       this text\n\n"
		   "Per series: 1, 5, 50, 95, 99 %% (nearest rank), the 90 %% and 98 %% ranges,\n"
		   "standard deviation, mean, skew and excess kurtosis.  Malformed lines are\n"
		   "counted and shown as FILE:LINE, never fatal.\n"
		   "Exit: 0 ok, 1 an input could not be read or recognised (or a graph not\n"
		   "written), 64 usage.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "k:o:jqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (!ntpstats_kind_parse(optarg, &o->kind) || o->kind == NTPSTATS_AUTO)
				return cmd_usage_error("stats",
						       "unknown kind '%s', e.g. '--kind loopstats'",
						       optarg);
			break;
		case 'o': o->outdir = optarg; break;
		case 'j': o->json = true; break;
		case 'q': o->quiet = true; break;
		case 'h': help(stdout); return 0;
		default: return cmd_usage_error("stats", "unknown option");
		}
	}
	for (int i = optind; i < argc; i++) {
		if (o->nfiles == MAX_FILES)
			return cmd_usage_error("stats", "at most %d files", MAX_FILES);
		o->files[o->nfiles++] = argv[i];
	}
	if (o->nfiles == 0)
		return cmd_usage_error("stats", "give at least one FILE, e.g. "
						"'sundial stats /var/log/ntpstats/loopstats'");
	return -1;
}

/* The progress line on stderr: the octets read of all the files' (their
 * sizes as stat() gave them before reading; 0: not known, e.g. stdin). */
struct progress {
	bool show;
	double last;
	unsigned long long done, total;
	size_t file, files;
};

static void progress_show(struct progress *pg, bool final)
{
	if (!pg->show)
		return;
	double now = clock_mono_sec();
	if (!final && now - pg->last < 0.5)
		return;
	pg->last = now;
	if (final) {
		fprintf(stderr, "\r%79s\r", "");
		return;
	}
	if (pg->total)
		fprintf(stderr, "\rsundial stats: file %zu of %zu, %.1f of %.1f MB (%.0f %%)   ",
			pg->file, pg->files, (double)pg->done / 1e6, (double)pg->total / 1e6,
			100.0 * (double)pg->done / (double)pg->total);
	else
		fprintf(stderr, "\rsundial stats: file %zu of %zu, %.1f MB   ", pg->file, pg->files,
			(double)pg->done / 1e6);
}

/* Reads one file into s; 0, or a negative errno if it cannot be read. */
static int read_file(ntpstats *s, const char *path, enum ntpstats_kind kind, bool *full,
		     struct progress *pg)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return -errno;
	ntpstats_file_begin(s, strcmp(path, "-") == 0 ? "(stdin)" : path, kind);
	char buf[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (ntpstats_feed(s, buf, n) != 0)
			*full = true;
		pg->done += n;
		progress_show(pg, false);
	}
	if (ferror(f))
		rc = errno ? -errno : -EIO; /* EISDIR for a directory */
	ntpstats_file_end(s);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* ---- units and numbers --------------------------------------------------- */

/* The scale and unit to show a series in: seconds as s, ms or us. */
static void scale_of(const struct ntpstats_series *se, const struct ntpstats_summary *sm,
		     double *mul, const char **unit)
{
	*mul = 1;
	*unit = se->unit;
	if (strcmp(se->unit, "s") != 0)
		return;
	double m = fmax(fmax(fabs(sm->p1), fabs(sm->p99)), sm->sd);
	if (m < 1e-3) {
		*mul = 1e6;
		*unit = "us";
	} else if (m < 1) {
		*mul = 1e3;
		*unit = "ms";
	}
}

static const char *num9(double x, char *buf, size_t len)
{
	double ax = fabs(x);
	if (ax == 0 || (ax >= 0.001 && ax < 1e5))
		snprintf(buf, len, "%9.3f", x);
	else
		snprintf(buf, len, "%9.2e", x);
	return buf;
}

static const char *utc(double t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

/* ---- output -------------------------------------------------------------- */

/* clockstats' "lines" series: counted, not summarised (its values are 1). */
static bool is_line_count(const struct ntpstats_series *se)
{
	return se->kind == NTPSTATS_CLOCKSTATS && strcmp(se->field, "lines") == 0;
}

struct item {
	const struct ntpstats_series *se;
	size_t idx; /* order of the series: a kind's fields in its order */
	struct ntpstats_summary sm;
};

static void print_tables(const struct item *it, size_t n)
{
	char a[6][24];
	for (size_t i = 0; i < n;) {
		const struct ntpstats_series *g = it[i].se;
		size_t j = i, records = 0;
		double t0 = g->t[0], t1 = g->t[g->n - 1];
		while (j < n && it[j].se->kind == g->kind &&
		       strcmp(it[j].se->source, g->source) == 0) {
			records = it[j].se->n > records ? it[j].se->n : records;
			t0 = fmin(t0, it[j].se->t[0]);
			t1 = fmax(t1, it[j].se->t[it[j].se->n - 1]);
			j++;
		}
		char b0[32], b1[32];
		printf("%s%s%s: %zu points, %s .. %s UTC\n", ntpstats_kind_name(g->kind),
		       *g->source ? " " : "", g->source, records, utc(t0, b0, sizeof b0),
		       utc(t1, b1, sizeof b1));
		printf("  %-16s %9s %9s %9s %9s %9s  %s\n", "", "1%", "5%", "50%", "95%", "99%",
		       "unit");
		for (size_t k = i; k < j; k++) {
			const struct ntpstats_summary *s = &it[k].sm;
			double m;
			const char *u;
			scale_of(it[k].se, s, &m, &u);
			printf("  %-16s %s %s %s %s %s  %s\n", it[k].se->field,
			       num9(s->p1 * m, a[0], 24), num9(s->p5 * m, a[1], 24),
			       num9(s->p50 * m, a[2], 24), num9(s->p95 * m, a[3], 24),
			       num9(s->p99 * m, a[4], 24), u);
		}
		printf("  %-16s %9s %9s %9s %9s %9s %9s\n", "", "90% rng", "98% rng", "std dev",
		       "mean", "skew", "kurtosis");
		for (size_t k = i; k < j; k++) {
			const struct ntpstats_summary *s = &it[k].sm;
			double m;
			const char *u;
			scale_of(it[k].se, s, &m, &u);
			printf("  %-16s %s %s %s %s %s %s\n", it[k].se->field,
			       num9(s->range90 * m, a[0], 24), num9(s->range98 * m, a[1], 24),
			       num9(s->sd * m, a[2], 24), num9(s->mean * m, a[3], 24),
			       num9(s->skew, a[4], 24), num9(s->kurtosis, a[5], 24));
		}
		putchar('\n');
		i = j;
	}
}

static void set_real(json_t *o, const char *k, double v)
{
	json_object_set_new(o, k, isfinite(v) ? json_real(v) : json_null());
}

static json_t *series_json(const struct item *it)
{
	const struct ntpstats_series *se = it->se;
	const struct ntpstats_summary *s = &it->sm;
	json_t *j = json_object();
	json_object_set_new(j, "kind", json_string(ntpstats_kind_name(se->kind)));
	json_object_set_new(j, "field", json_string(se->field));
	json_object_set_new(j, "source", json_string(se->source));
	json_object_set_new(j, "unit", json_string(se->unit));
	json_object_set_new(j, "n", json_integer((json_int_t)s->n));
	set_real(j, "first", se->t[0]);
	set_real(j, "last", se->t[se->n - 1]);
	static const char *const names[] = { "min", "p1",   "p5",      "p50",	  "p95",
					     "p99", "max",  "range90", "range98", "mean",
					     "sd",  "skew", "kurtosis" };
	const double v[] = { s->min,	 s->p1,	     s->p5,   s->p50, s->p95,  s->p99,	   s->max,
			     s->range90, s->range98, s->mean, s->sd,  s->skew, s->kurtosis };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		set_real(j, names[i], v[i]);
	return j;
}

static void print_json(const ntpstats *s, const struct item *it, size_t n, json_t *graphs)
{
	json_t *root = json_object();
	json_t *files = json_array();
	for (size_t i = 0; i < ntpstats_file_count(s); i++) {
		const struct ntpstats_file *f = ntpstats_file_get(s, i);
		json_t *j = json_object();
		json_object_set_new(j, "file", json_string(f->name));
		json_object_set_new(j, "kind", json_string(ntpstats_kind_name(f->kind)));
		json_object_set_new(j, "lines", json_integer((json_int_t)f->lines));
		json_object_set_new(j, "records", json_integer((json_int_t)f->records));
		json_object_set_new(j, "skipped", json_integer((json_int_t)f->skipped));
		json_object_set_new(j, "malformed", json_integer((json_int_t)f->malformed));
		json_array_append_new(files, j);
	}
	json_object_set_new(root, "files", files);
	json_t *bad = json_array();
	for (size_t i = 0; i < ntpstats_bad_count(s); i++) {
		const struct ntpstats_bad *b = ntpstats_bad_get(s, i);
		json_t *j = json_object();
		json_object_set_new(j, "file", json_string(ntpstats_file_get(s, b->file)->name));
		json_object_set_new(j, "line", json_integer((json_int_t)b->line));
		json_object_set_new(j, "error", json_string(b->why));
		json_array_append_new(bad, j);
	}
	json_object_set_new(root, "malformed", bad);
	json_object_set_new(root, "malformed_total",
			    json_integer((json_int_t)ntpstats_bad_total(s)));
	json_object_set_new(root, "dropped", json_integer((json_int_t)ntpstats_dropped(s)));
	json_t *clocks = json_array();
	for (size_t i = 0; i < ntpstats_series_count(s); i++) {
		const struct ntpstats_series *se = ntpstats_series_get(s, i);
		if (!is_line_count(se) || se->n == 0)
			continue;
		json_t *j = json_object();
		json_object_set_new(j, "clock", json_string(se->source));
		json_object_set_new(j, "lines", json_integer((json_int_t)se->n));
		set_real(j, "first", se->t[0]);
		set_real(j, "last", se->t[se->n - 1]);
		json_array_append_new(clocks, j);
	}
	json_object_set_new(root, "clocks", clocks);
	json_t *ser = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(ser, series_json(&it[i]));
	json_object_set_new(root, "series", ser);
	json_object_set_new(root, "graphs", graphs ? json_incref(graphs) : json_array());
	char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(17) | JSON_ENSURE_ASCII);
	if (text) {
		puts(text);
		free(text);
	}
	json_decref(root);
}

/* ---- graphs -------------------------------------------------------------- */

static int write_svg(const char *dir, const char *name, svg_chart *c, json_t *graphs)
{
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof path) {
		fprintf(stderr, "sundial stats: %s/%s: path too long\n", dir, name);
		return -ENAMETOOLONG;
	}
	size_t len;
	char *doc = svg_chart_render(c, &len);
	FILE *f = fopen(path, "w");
	int rc = 0;
	if (!f || fwrite(doc, 1, len, f) != len)
		rc = -errno;
	if (f && fclose(f) != 0 && rc == 0)
		rc = -errno;
	free(doc);
	if (rc != 0)
		fprintf(stderr, "sundial stats: %s: %s\n", path, strerror(-rc ? -rc : EIO));
	else
		json_array_append_new(graphs, json_string(path));
	return rc;
}

/* kind-field[-source].svg, the source's odd octets as '_'. */
static void file_name(const struct ntpstats_series *se, char *out, size_t len)
{
	snprintf(out, len, "%s-%s%s%s.svg", ntpstats_kind_name(se->kind), se->field,
		 *se->source ? "-" : "", se->source);
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '_';
}

/* A line of a series scaled by mul (a scaled copy). */
static int line_of(svg_chart *c, enum svg_axis axis, const char *name,
		   const struct ntpstats_series *se, double mul)
{
	double *v = mem_alloc(se->n * sizeof *v);
	for (size_t i = 0; i < se->n; i++)
		v[i] = se->v[i] * mul;
	int rc = svg_chart_line(c, axis, name, se->t, v, se->n);
	free(v);
	return rc;
}

static int series_graph(const char *dir, const struct item *it, json_t *graphs)
{
	const struct ntpstats_series *se = it->se;
	double m;
	const char *u;
	scale_of(se, &it->sm, &m, &u);
	char title[256], label[64], name[160];
	snprintf(title, sizeof title, "%s %s%s%s", ntpstats_kind_name(se->kind), se->field,
		 *se->source ? " " : "", se->source);
	snprintf(label, sizeof label, "%s%s%s%s", se->field, *u ? " (" : "", u, *u ? ")" : "");
	svg_chart *c = svg_chart_new(title, 900, 360);
	svg_chart_axis(c, SVG_LEFT, label);
	int rc = svg_chart_band(c, SVG_LEFT, "1-99 %", it->sm.p1 * m, it->sm.p99 * m);
	if (rc == 0)
		rc = svg_chart_band(c, SVG_LEFT, "5-95 %", it->sm.p5 * m, it->sm.p95 * m);
	if (rc == 0)
		rc = line_of(c, SVG_LEFT, se->field, se, m);
	file_name(se, name, sizeof name);
	if (rc == 0)
		rc = write_svg(dir, name, c, graphs);
	svg_chart_free(c);
	return rc;
}

/* The Pool's score (its overall "recentmedian" monitor, else the monitor
 * with the most points) on the right axis, beside the local offset
 * (loopstats or chrony tracking; else what the Pool's monitors measured) on
 * the left, over one time axis. */
static int pool_graph(const char *dir, const struct item *it, size_t n, json_t *graphs)
{
	const struct ntpstats_series *score = NULL, *local = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct ntpstats_series *se = it[i].se;
		if (se->kind == NTPSTATS_POOL && strcmp(se->field, "score") == 0) {
			bool median = strcmp(se->source, "recentmedian") == 0;
			if (!score || (median && strcmp(score->source, "recentmedian") != 0) ||
			    (strcmp(score->source, "recentmedian") != 0 && se->n > score->n))
				score = se;
		}
		if ((se->kind == NTPSTATS_LOOPSTATS || se->kind == NTPSTATS_TRACKING) &&
		    strcmp(se->field, "offset") == 0 && !local)
			local = se;
	}
	if (!score)
		return 0;
	svg_chart *c = svg_chart_new("NTP Pool score and offset", 900, 400);
	svg_chart_axis(c, SVG_RIGHT, "Pool score");
	int rc = 0;
	if (local) {
		svg_chart_axis(c, SVG_LEFT, "local offset (ms)");
		char nm[64];
		snprintf(nm, sizeof nm, "%s offset", ntpstats_kind_name(local->kind));
		rc = line_of(c, SVG_LEFT, nm, local, 1e3);
	} else {
		/* Every monitor's offsets, as one line. */
		size_t total = 0, k = 0;
		for (size_t i = 0; i < n; i++)
			if (it[i].se->kind == NTPSTATS_POOL &&
			    strcmp(it[i].se->field, "offset") == 0)
				total += it[i].se->n;
		svg_chart_axis(c, SVG_LEFT, "offset seen by the monitors (ms)");
		if (total) {
			double *t = mem_alloc(total * sizeof *t), *v = mem_alloc(total * sizeof *v);
			for (size_t i = 0; i < n; i++) {
				const struct ntpstats_series *se = it[i].se;
				if (se->kind != NTPSTATS_POOL || strcmp(se->field, "offset") != 0)
					continue;
				for (size_t j = 0; j < se->n; j++, k++) {
					t[k] = se->t[j];
					v[k] = se->v[j] * 1e3;
				}
			}
			rc = svg_chart_line(c, SVG_LEFT, "monitors' offset", t, v, total);
			free(t);
			free(v);
		}
	}
	char nm[96];
	snprintf(nm, sizeof nm, "score (%s)", score->source);
	if (rc == 0)
		rc = line_of(c, SVG_RIGHT, nm, score, 1);
	if (rc == 0)
		rc = write_svg(dir, "pool-score.svg", c, graphs);
	svg_chart_free(c);
	return rc;
}

static int cmp_item(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	if (a->se->kind != b->se->kind)
		return (int)a->se->kind - (int)b->se->kind;
	int c = strcmp(a->se->source, b->se->source);
	if (c)
		return c;
	if (a->se->field_no != b->se->field_no)
		return (a->se->field_no > b->se->field_no) - (a->se->field_no < b->se->field_no);
	return (a->idx > b->idx) - (a->idx < b->idx);
}

int cmd_stats(int argc, char **argv)
{
	struct opts o = { .kind = NTPSTATS_AUTO };
	int prc = parse_args(argc, argv, &o);
	if (prc >= 0)
		return prc;
	ntpstats *s = ntpstats_new();
	int rc = 0;
	bool full = false;
	static bool unreadable[MAX_FILES]; /* by the index of ntpstats' files */
	struct progress pg = { .show = !o.quiet && isatty(STDERR_FILENO), .files = o.nfiles };
	for (size_t i = 0; i < o.nfiles && pg.show; i++) {
		struct stat st;
		if (strcmp(o.files[i], "-") != 0 && stat(o.files[i], &st) == 0 &&
		    S_ISREG(st.st_mode))
			pg.total += (unsigned long long)st.st_size;
	}
	for (size_t i = 0; i < o.nfiles; i++) {
		size_t before = ntpstats_file_count(s);
		pg.file = i + 1;
		int e = read_file(s, o.files[i], o.kind, &full, &pg);
		if (e != 0) {
			progress_show(&pg, true);
			fprintf(stderr, "sundial stats: %s: %s\n", o.files[i], strerror(-e));
			if (ntpstats_file_count(s) > before)
				unreadable[before] = true;
			rc = 1;
		}
	}
	progress_show(&pg, true);
	ntpstats_finish(s);
	if (full)
		fprintf(stderr,
			"sundial stats: more than %u points; %lu left out (give fewer files)\n",
			NTPSTATS_MAX_POINTS, ntpstats_dropped(s));
	for (size_t i = 0; i < ntpstats_file_count(s); i++) {
		const struct ntpstats_file *f = ntpstats_file_get(s, i);
		if (f->kind == NTPSTATS_AUTO && !unreadable[i]) {
			fprintf(stderr,
				"sundial stats: %s: not a statistics file sundial knows "
				"(%lu lines); '--kind' forces one\n",
				f->name, f->lines);
			rc = 1;
		} else if (f->malformed) {
			fprintf(stderr, "sundial stats: %s: %lu of %lu lines malformed\n", f->name,
				f->malformed, f->lines);
		}
	}
	size_t nbad = ntpstats_bad_count(s);
	for (size_t i = 0; i < nbad && (o.json || i < PRINT_BAD); i++) {
		const struct ntpstats_bad *b = ntpstats_bad_get(s, i);
		fprintf(stderr, "%s:%lu: %s\n", ntpstats_file_get(s, b->file)->name, b->line,
			b->why);
	}
	if (ntpstats_bad_total(s) > (o.json ? nbad : (nbad < PRINT_BAD ? nbad : PRINT_BAD)))
		fprintf(stderr, "sundial stats: ... %lu malformed lines in all\n",
			ntpstats_bad_total(s));

	size_t n = 0, ns = ntpstats_series_count(s);
	struct item *it = mem_calloc(ns ? ns : 1, sizeof *it);
	for (size_t i = 0; i < ns; i++) {
		const struct ntpstats_series *se = ntpstats_series_get(s, i);
		if (se->n == 0 || is_line_count(se))
			continue;
		it[n].se = se;
		it[n].idx = i;
		ntpstats_summarize(se->v, se->n, &it[n].sm);
		n++;
	}
	qsort(it, n, sizeof it[0], cmp_item);

	json_t *graphs = json_array();
	if (o.outdir) {
		int e = path_mkdirs(o.outdir, 0755);
		if (e != 0) {
			fprintf(stderr, "sundial stats: %s: %s\n", o.outdir, strerror(-e));
			rc = 1;
		} else {
			for (size_t i = 0; i < n; i++)
				if (series_graph(o.outdir, &it[i], graphs) != 0)
					rc = 1;
			if (pool_graph(o.outdir, it, n, graphs) != 0)
				rc = 1;
		}
	}
	if (o.json) {
		print_json(s, it, n, graphs);
	} else {
		for (size_t i = 0; i < ns; i++) {
			const struct ntpstats_series *se = ntpstats_series_get(s, i);
			if (is_line_count(se))
				printf("clockstats %s: %zu lines\n", se->source, se->n);
		}
		print_tables(it, n);
		for (size_t i = 0; i < json_array_size(graphs); i++)
			printf("wrote %s\n", json_string_value(json_array_get(graphs, i)));
	}
	json_decref(graphs);
	free(it);
	ntpstats_free(s);
	return rc;
}
