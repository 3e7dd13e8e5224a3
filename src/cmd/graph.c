/* graph.c - `sundial graph`: the collector's history drawn from its RRD
 * files as SVG or PNG files with an index.html, without the daemon.
 *
 * The sources are the folders DATADIR/<kind>/<target> (store/graph.h finds
 * them and their files); each graph of the kind's catalogue that has files
 * is drawn for each span asked for into OUTDIR/<kind>/<target>/<id>-<span>.
 * <ext>, the folder names escaped as in the data folder.  A file is written
 * under a temporary name and renamed, so a reader never sees half of one.
 * An error with one graph is reported and the others are still drawn; the
 * exit status is then 1. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/clock.h"
#include "common/mem.h"
#include "common/path.h"
#include "store/graph.h"
#include "store/rrd.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 64 };

/* LeakSanitizer's built-in suppressions (read only in a sanitizer build):
 * fontconfig and pango, which librrd draws its text with, keep their font
 * caches for the life of the process (store/rrd.c deals with librrd's own
 * leaks). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n"
	       "leak:libpango\n";
}

#define DEFAULT_DATADIR "/var/lib/sundial"
#define EXEC_PREFIX "sundial_exec_"

struct opts {
	const char *datadir, *outdir, *daemon;
	bool span[GRAPH_N_SPANS];
	bool png, quiet, json;
	unsigned width, height;
	char **want; /* SOURCE[/TARGET] arguments */
	size_t n_want;
};

struct pair {
	char *source, *target;
	bool chosen;
};

/* A file written, for the output and the index. */
struct written {
	char *source, *target, *rel; /* rel: the file under OUTDIR */
	char *id;		     /* a copy: exec specs live only while drawn */
	const char *span;
	char *title, *unit, *legend;
	char **labels;
	size_t n_labels;
};

struct run {
	const struct opts *o;
	struct pair *pairs;
	size_t n_pairs, cap_pairs;
	struct written *w;
	size_t n_w, cap_w;
	size_t failed, skipped_kinds;
	bool progress;	 /* -q and stderr is a terminal */
	bool dir_failed; /* the current source's output folder cannot be made */
	double now;
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: sundial graph [OPTIONS] [SOURCE[/TARGET]...]\n"
		"Draws the collector's history (its RRD files) as SVG or PNG files, with an\n"
		"index.html listing them; needs no running daemon.  SOURCE is a kind (server,\n"
		"ntpd, chronyd, gpsd, capture, hwmon, exec, snmp, adsb), TARGET its target as\n"
		"configured (chronyd//run/chrony/chronyd.sock); none: every source in the data\n"
		"folder.\n\n"
		"  -d, --datadir DIR    the collector's data folder (default " DEFAULT_DATADIR ")\n"
		"  -o, --outdir DIR     where to write (default .): DIR/SOURCE/TARGET/ID-SPAN.EXT\n"
		"      --span SPAN      day, week, month, year or all (default day)\n"
		"      --format FMT     svg or png (default svg)\n"
		"      --size WxH       plot area in pixels (default 600x200)\n"
		"      --rrdcached ADDR have rrdcached write its cached updates first\n"
		"  -j, --json           print what was written as JSON\n"
		"  -q, --quiet          no line per file (a count on a terminal)\n"
		"Exit: 0 ok, 1 nothing could be drawn or a file failed, 64 usage.\n");
}

static bool known_kind(const char *k)
{
	return graph_catalogue(k, NULL) != NULL;
}

static bool parse_size(const char *s, unsigned *w, unsigned *h)
{
	char *end;
	unsigned long a, b;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno != 0 || (*end != 'x' && *end != 'X') || end[1] < '0' || end[1] > '9')
		return false;
	b = strtoul(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || a < 100 || a > 4000 || b < 50 || b > 2000)
		return false;
	*w = (unsigned)a;
	*h = (unsigned)b;
	return true;
}

enum { OPT_SPAN = 256, OPT_FORMAT, OPT_SIZE, OPT_RRDCACHED };

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "datadir", required_argument, NULL, 'd' },
		{ "outdir", required_argument, NULL, 'o' },
		{ "span", required_argument, NULL, OPT_SPAN },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "rrdcached", required_argument, NULL, OPT_RRDCACHED },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_span = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:o:jqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (*optarg == '\0')
				return cmd_usage_error("graph", "-d needs a folder");
			o->datadir = optarg;
			break;
		case 'o':
			if (*optarg == '\0')
				return cmd_usage_error("graph", "-o needs a folder");
			o->outdir = optarg;
			break;
		case OPT_SPAN: {
			enum graph_span s;

			memset(o->span, 0, sizeof o->span);
			if (strcmp(optarg, "all") == 0) {
				for (size_t i = 0; i < GRAPH_N_SPANS; i++)
					o->span[i] = true;
			} else if (graph_span_parse(optarg, &s)) {
				o->span[s] = true;
			} else {
				return cmd_usage_error(
					"graph",
					"--span needs day, week, month, year or all, not '%s'",
					optarg);
			}
			have_span = true;
			break;
		}
		case OPT_FORMAT:
			if (strcmp(optarg, "svg") == 0)
				o->png = false;
			else if (strcmp(optarg, "png") == 0)
				o->png = true;
			else
				return cmd_usage_error(
					"graph", "--format needs svg or png, not '%s'", optarg);
			break;
		case OPT_SIZE:
			if (!parse_size(optarg, &o->width, &o->height))
				return cmd_usage_error("graph",
						       "--size needs WIDTHxHEIGHT from 100x50 to "
						       "4000x2000, like 600x200, not '%s'",
						       optarg);
			break;
		case OPT_RRDCACHED: o->daemon = optarg; break;
		case 'j': o->json = true; break;
		case 'q': o->quiet = true; break;
		case 'h': help(stdout); return -1;
		default:
			fprintf(stderr, "'sundial graph --help' lists the options.\n");
			return EXIT_USAGE;
		}
	}
	if (!have_span)
		o->span[GRAPH_DAY] = true;
	o->want = argv + optind;
	o->n_want = (size_t)(argc - optind);
	for (size_t i = 0; i < o->n_want; i++) {
		const char *a = o->want[i];
		const char *slash = strchr(a, '/');
		char kind[64];

		snprintf(kind, sizeof kind, "%.*s", (int)(slash ? (size_t)(slash - a) : strlen(a)),
			 a);
		if (!known_kind(kind))
			return cmd_usage_error(
				"graph",
				"'%s' is not a source: SOURCE[/TARGET], SOURCE one "
				"of server, ntpd, chronyd, gpsd, capture, hwmon, exec, snmp, adsb",
				a);
	}
	return 0;
}

/* --- output files --------------------------------------------------------- */

/* The end of writing a file through tmp: renamed to path if e (an errno
 * met while writing) is 0, else removed with a message.  0 or -errno. */
static int publish(const char *tmp, const char *path, int e)
{
	if (e == 0 && rename(tmp, path) != 0)
		e = errno;
	if (e != 0) {
		fprintf(stderr, "sundial graph: %s: cannot write it: %s\n", path, strerror(e));
		unlink(tmp);
		return -e;
	}
	return 0;
}

/* Writes n bytes to path through path.tmp and a rename; 0 or a negative
 * errno, with the reason on stderr. */
static int write_file(const char *path, const void *data, size_t n)
{
	char tmp[PATH_MAX];
	const unsigned char *p = data;
	int fd, e = 0;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		fprintf(stderr, "sundial graph: %s: the name is too long\n", path);
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		e = errno;
		fprintf(stderr, "sundial graph: %s: cannot create it: %s\n", tmp, strerror(e));
		return -e;
	}
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			e = k < 0 ? errno : EIO;
			break;
		}
		p += k;
		n -= (size_t)k;
	}
	if (close(fd) != 0 && e == 0)
		e = errno;
	return publish(tmp, path, e);
}

/* OUTDIR joined with rel, for messages and files ("." left out). */
static bool out_path(const struct opts *o, const char *rel, char *buf, size_t len)
{
	int n = strcmp(o->outdir, ".") == 0 ? snprintf(buf, len, "%s", rel)
					    : snprintf(buf, len, "%s/%s", o->outdir, rel);

	return n >= 0 && (size_t)n < len;
}

/* --- sources ---------------------------------------------------------------- */

static void add_pair(void *arg, const char *source, const char *target)
{
	struct run *r = arg;

	if (r->n_pairs == r->cap_pairs) {
		r->cap_pairs = r->cap_pairs != 0 ? 2 * r->cap_pairs : 16;
		r->pairs = mem_realloc(r->pairs, r->cap_pairs * sizeof r->pairs[0]);
	}
	r->pairs[r->n_pairs].source = mem_strdup(source);
	r->pairs[r->n_pairs].target = mem_strdup(target);
	r->pairs[r->n_pairs].chosen = false;
	r->n_pairs++;
}

/* Marks the pairs the arguments name; 0, or 64 for one that names none. */
static int choose(struct run *r)
{
	const struct opts *o = r->o;

	if (o->n_want == 0) {
		for (size_t i = 0; i < r->n_pairs; i++) {
			r->pairs[i].chosen = known_kind(r->pairs[i].source);
			r->skipped_kinds += !r->pairs[i].chosen;
		}
		return 0;
	}
	for (size_t k = 0; k < o->n_want; k++) {
		const char *a = o->want[k];
		const char *slash = strchr(a, '/');
		size_t kl = slash != NULL ? (size_t)(slash - a) : strlen(a);
		const char *target = slash != NULL && slash[1] != '\0' ? slash + 1 : NULL;
		bool any = false;

		for (size_t i = 0; i < r->n_pairs; i++) {
			struct pair *p = &r->pairs[i];

			if (strlen(p->source) != kl || memcmp(p->source, a, kl) != 0)
				continue;
			if (target != NULL && strcmp(p->target, target) != 0)
				continue;
			p->chosen = true;
			any = true;
		}
		if (!any)
			return cmd_usage_error("graph", "no data for '%s' under %s", a, o->datadir);
	}
	return 0;
}

/* The exec values of a folder: the sorted metric names "sundial_exec_*"
 * that have a current file (no dated ones: their names have a '.'). */
static size_t exec_metrics(const struct opts *o, const char *source, const char *target,
			   char ***out)
{
	char esrc[1536], etgt[1536], dir[PATH_MAX];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	if (!rrd_store_escape(source, esrc, sizeof esrc) ||
	    !rrd_store_escape(target, etgt, sizeof etgt) ||
	    (size_t)snprintf(dir, sizeof dir, "%s/%s/%s", o->datadir, esrc, etgt) >= sizeof dir)
		return 0;
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name), pl = strlen(EXEC_PREFIX);
		bool ok = len > pl + 4 && len < 256 && strncmp(e->d_name, EXEC_PREFIX, pl) == 0 &&
			  strcmp(e->d_name + len - 4, ".rrd") == 0;

		for (size_t i = pl; ok && i < len - 4; i++) {
			char c = e->d_name[i];

			ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '_';
		}
		if (!ok)
			continue;
		if (n == cap) {
			cap = cap != 0 ? 2 * cap : 8;
			names = mem_realloc(names, cap * sizeof names[0]);
		}
		names[n] = mem_strdup(e->d_name);
		names[n][len - 4] = '\0';
		n++;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) /* few: insertion sort */
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	*out = names;
	return n;
}

/* --- drawing ---------------------------------------------------------------- */

static void note_written(struct run *r, const struct pair *p, const struct graph_spec *s,
			 enum graph_span span, const char *rel, const struct graph_line *lines,
			 size_t n)
{
	struct written *w;

	if (r->n_w == r->cap_w) {
		r->cap_w = r->cap_w != 0 ? 2 * r->cap_w : 32;
		r->w = mem_realloc(r->w, r->cap_w * sizeof r->w[0]);
	}
	w = &r->w[r->n_w++];
	w->source = mem_strdup(p->source);
	w->target = mem_strdup(p->target);
	w->rel = mem_strdup(rel);
	w->id = mem_strdup(s->id);
	w->span = graph_span_name(span);
	w->title = mem_strdup(s->title);
	w->unit = mem_strdup(s->unit);
	w->legend = mem_strdup(s->legend);
	w->labels = mem_calloc(n != 0 ? n : 1, sizeof w->labels[0]);
	w->n_labels = n;
	for (size_t i = 0; i < n; i++)
		w->labels[i] = mem_strdup(lines[i].label);
}

/* One graph of a source, for every span asked for. */
static void draw_graph(struct run *r, const struct pair *p, const struct graph_spec *s)
{
	const struct opts *o = r->o;
	struct graph_line *lines = mem_calloc(GRAPH_MAX_LINES, sizeof lines[0]);
	struct rrd_graph_line gl[GRAPH_MAX_LINES];
	char esrc[1536], etgt[1536], dir[PATH_MAX];
	int n = graph_lines(o->datadir, p->source, p->target, s, lines, GRAPH_MAX_LINES);
	size_t use;

	if (n < 0) {
		fprintf(stderr, "sundial graph: %s/%s: cannot read its folder under %s: %s\n",
			p->source, p->target, o->datadir, strerror(-n));
		r->failed++;
		goto out;
	}
	if (n == 0)
		goto out;
	use = (size_t)n < GRAPH_MAX_LINES ? (size_t)n : GRAPH_MAX_LINES;
	if ((size_t)n > use && !o->quiet)
		fprintf(stderr, "sundial graph: %s/%s %s: %d series, drawing the first %d\n",
			p->source, p->target, s->id, n, GRAPH_MAX_LINES);
	for (size_t i = 0; i < use; i++) {
		gl[i].path = lines[i].path;
		gl[i].label = lines[i].label;
	}
	if (!rrd_store_escape(p->source, esrc, sizeof esrc) ||
	    !rrd_store_escape(p->target, etgt, sizeof etgt) ||
	    (size_t)snprintf(dir, sizeof dir, "%s/%s", esrc, etgt) >= sizeof dir) {
		fprintf(stderr, "sundial graph: %s/%s: the name is too long\n", p->source,
			p->target);
		r->failed++;
		goto out;
	}
	for (size_t sp = 0; sp < GRAPH_N_SPANS; sp++) {
		struct rrd_graph_req req = {
			.title = s->title,
			.unit = s->unit,
			.legend = s->legend,
			.lines = gl,
			.n_lines = use,
			.scale = s->scale,
			.start = r->now - graph_span_seconds((enum graph_span)sp),
			.end = r->now,
			.width = o->width,
			.height = o->height,
			.png = o->png,
			.daemon = o->daemon,
		};
		char rel[PATH_MAX], full[PATH_MAX], folder[PATH_MAX], err[1024] = "";
		unsigned char *img = NULL;
		size_t len = 0;
		int rc;

		if (!o->span[sp])
			continue;
		if ((size_t)snprintf(rel, sizeof rel, "%s/%s-%s.%s", dir, s->id,
				     graph_span_name((enum graph_span)sp),
				     o->png ? "png" : "svg") >= sizeof rel ||
		    !out_path(o, rel, full, sizeof full) ||
		    !out_path(o, dir, folder, sizeof folder)) {
			fprintf(stderr, "sundial graph: %s/%s: the file name is too long\n",
				o->outdir, rel);
			r->failed++;
			continue;
		}
		rc = rrd_store_graph(&req, &img, &len, err, sizeof err);
		if (rc != 0) {
			fprintf(stderr, "sundial graph: %s/%s %s (%s): %s\n", p->source, p->target,
				s->id, graph_span_name((enum graph_span)sp), err);
			r->failed++;
			continue;
		}
		rc = r->dir_failed ? -EEXIST : path_mkdirs(folder, 0755);
		if (rc != 0) {
			if (!r->dir_failed)
				fprintf(stderr, "sundial graph: %s: cannot create the folder: %s\n",
					folder, strerror(-rc));
			r->dir_failed = true;
			r->failed++;
		} else if (write_file(full, img, len) != 0) {
			r->failed++;
		} else {
			note_written(r, p, s, (enum graph_span)sp, rel, lines, use);
			if (!o->quiet && !o->json)
				printf("%s\n", full);
			else if (r->progress)
				fprintf(stderr, "\r%zu files", r->n_w);
		}
		free(img);
	}
out:
	free(lines);
}

static void draw_source(struct run *r, const struct pair *p)
{
	size_t n = 0;
	const struct graph_spec *cat = graph_catalogue(p->source, &n);

	r->dir_failed = false;

	if (strcmp(p->source, "exec") == 0) {
		char **names;
		size_t k = exec_metrics(r->o, p->source, p->target, &names);

		for (size_t i = 0; i < k; i++) {
			struct graph_spec s;
			char buf[512];

			if (graph_exec_spec(names[i], &s, buf, sizeof buf))
				draw_graph(r, p, &s);
			free(names[i]);
		}
		free(names);
	}
	for (size_t i = 0; i < n; i++)
		draw_graph(r, p, &cat[i]);
}

/* --- index.html and JSON ---------------------------------------------------- */

static void html(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

/* A relative file name as a URL path: every byte but [A-Za-z0-9._~/-]
 * %XX-encoded (the folder names hold '%' of their own). */
static void url(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '~' || *p == '/' ||
		    *p == '-')
			fputc(*p, f);
		else
			fprintf(f, "%%%02X", *p);
	}
}

static int write_index(const struct run *r)
{
	const struct opts *o = r->o;
	char path[PATH_MAX], tmp[PATH_MAX], when[64];
	time_t now = (time_t)r->now;
	struct tm tm;
	FILE *f;
	int e = 0;

	if (!out_path(o, "index.html", path, sizeof path) ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
		fprintf(stderr, "sundial graph: %s/index.html: the name is too long\n", o->outdir);
		return -ENAMETOOLONG;
	}
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		snprintf(when, sizeof when, "?");
	f = fopen(tmp, "we");
	if (f == NULL) {
		e = errno;
		fprintf(stderr, "sundial graph: %s: cannot create it: %s\n", tmp, strerror(e));
		return -e;
	}
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<title>sundial graphs</title>\n<style>\n"
	      "body { font-family: sans-serif; margin: 1em auto; max-width: 64em; color: #222; }\n"
	      "h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }\n"
	      "figure { margin: 0.5em 0 1em; } figcaption { color: #555; }\n"
	      "img { max-width: 100%; height: auto; }\n</style>\n</head>\n<body>\n"
	      "<h1>sundial graphs</h1>\n<p>Drawn ",
	      f);
	html(f, when);
	fputs(" from ", f);
	html(f, o->datadir);
	fputs(".</p>\n", f);
	for (size_t i = 0; i < r->n_w; i++) {
		const struct written *w = &r->w[i];
		bool new_source = i == 0 || strcmp(w->source, r->w[i - 1].source) != 0 ||
				  strcmp(w->target, r->w[i - 1].target) != 0;
		bool new_graph = new_source || strcmp(w->id, r->w[i - 1].id) != 0;

		if (new_source) {
			fputs("<h2>", f);
			html(f, w->source);
			fputs(" ", f);
			html(f, w->target);
			fputs("</h2>\n", f);
		}
		if (new_graph) {
			fputs("<h3>", f);
			html(f, w->title);
			fputs("</h3>\n<p>", f);
			html(f, w->legend);
			fputs("</p>\n", f);
		}
		fputs("<figure><img src=\"", f);
		url(f, w->rel);
		fputs("\" alt=\"", f);
		html(f, w->title);
		fputs(", last ", f);
		html(f, w->span);
		fprintf(f, "\"><figcaption>The last %s</figcaption></figure>\n", w->span);
	}
	fputs("</body>\n</html>\n", f);
	if (ferror(f))
		e = EIO;
	if (fclose(f) != 0 && e == 0)
		e = errno;
	if ((e = publish(tmp, path, e)) != 0)
		return e;
	if (!o->quiet && !o->json)
		printf("%s\n", path);
	return 0;
}

static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);

	return j != NULL ? j : json_null();
}

static void print_json(const struct run *r)
{
	json_t *arr = json_array();
	char *text;

	for (size_t i = 0; i < r->n_w; i++) {
		const struct written *w = &r->w[i];
		json_t *j = json_object(), *labels = json_array();
		char full[PATH_MAX];

		if (!out_path(r->o, w->rel, full, sizeof full))
			str_copy(full, w->rel, sizeof full);
		json_object_set_new(j, "source", jstr(w->source));
		json_object_set_new(j, "target", jstr(w->target));
		json_object_set_new(j, "graph", jstr(w->id));
		json_object_set_new(j, "title", jstr(w->title));
		json_object_set_new(j, "unit", jstr(w->unit));
		json_object_set_new(j, "span", jstr(w->span));
		json_object_set_new(j, "format", jstr(r->o->png ? "png" : "svg"));
		json_object_set_new(j, "file", jstr(full));
		for (size_t k = 0; k < w->n_labels; k++)
			json_array_append_new(labels, jstr(w->labels[k]));
		json_object_set_new(j, "lines", labels);
		json_array_append_new(arr, j);
	}
	text = json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text != NULL) {
		puts(text);
		free(text);
	}
	json_decref(arr);
}

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->n_pairs; i++) {
		free(r->pairs[i].source);
		free(r->pairs[i].target);
	}
	free(r->pairs);
	for (size_t i = 0; i < r->n_w; i++) {
		struct written *w = &r->w[i];

		free(w->source);
		free(w->target);
		free(w->rel);
		free(w->title);
		free(w->unit);
		free(w->legend);
		for (size_t k = 0; k < w->n_labels; k++)
			free(w->labels[k]);
		free(w->labels);
		free(w->id);
	}
	free(r->w);
}

int cmd_graph(int argc, char **argv)
{
	struct opts o = { .datadir = DEFAULT_DATADIR, .outdir = ".", .width = 600, .height = 200 };
	struct run r;
	size_t chosen = 0;
	int rc;

	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? EXIT_OK : rc;
	memset(&r, 0, sizeof r);
	r.o = &o;
	r.progress = o.quiet && isatty(STDERR_FILENO);
	r.now = clock_real_sec();

	rc = graph_each_source(o.datadir, add_pair, &r);
	if (rc != 0) {
		fprintf(stderr, "sundial graph: %s: %s (-d names the collector's data folder)\n",
			o.datadir, rc == -ENOENT ? "no such folder" : strerror(-rc));
		rc = EXIT_FAIL;
		goto out;
	}
	rc = choose(&r);
	if (rc != 0)
		goto out;
	for (size_t i = 0; i < r.n_pairs; i++)
		chosen += r.pairs[i].chosen;
	if (chosen == 0) {
		fprintf(stderr,
			"sundial graph: nothing to draw: no sources under %s (folders "
			"KIND/TARGET holding RRD files, as sundial collect writes them)\n",
			o.datadir);
		rc = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < r.n_pairs; i++)
		if (r.pairs[i].chosen)
			draw_source(&r, &r.pairs[i]);
	if (r.progress)
		fputc('\n', stderr);
	if (r.n_w == 0) {
		fprintf(stderr,
			"sundial graph: nothing could be drawn: no RRD files of a known "
			"graph under %s\n",
			o.datadir);
		rc = EXIT_FAIL;
		goto out;
	}
	if (write_index(&r) != 0)
		r.failed++;
	if (o.json)
		print_json(&r);
	rc = r.failed != 0 ? EXIT_FAIL : EXIT_OK;
out:
	run_free(&r);
	return rc;
}
