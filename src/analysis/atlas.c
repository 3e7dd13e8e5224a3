/* atlas.c - RIPE Atlas NTP results; see atlas.h.
 *
 * The text is cut into results before jansson sees it, so that each result
 * has the line it starts on and a bounded size: a top-level array is walked
 * with a small scanner (strings, escapes, nesting), JSON Lines line by line.
 * Each result is then parsed by jansson on its own and checked field by
 * field.  Rows are kept per (probe, af, server) in an open-addressing table;
 * the figures are made by atlas_report_new(). */
#include "analysis/atlas.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/ntpstats.h"
#include "common/mem.h"

struct vec {
	double *v;
	size_t n, cap;
};

static void vec_push(struct vec *x, double v)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 8;
		x->v = mem_realloc(x->v, x->cap * sizeof x->v[0]);
	}
	x->v[x->n++] = v;
}

struct row {
	long long prb_id;
	int af;
	char dst[ATLAS_MAX_STR];
	unsigned long results, packets, replies, timeouts, errors;
	struct vec rtt, off, rdelay, rdisp;
	bool seen; /* the values below were set by a result with a reply */
	int stratum, version;
	char refid[ATLAS_MAX_STR], li[ATLAS_MAX_STR];
	unsigned mixed;
};

struct atlas {
	struct atlas_file *files;
	size_t nfiles;
	struct atlas_bad *bad;
	size_t nbad;
	unsigned long bad_total;
	struct row *rows;
	size_t nrows, caprows;
	uint32_t *hash; /* row index + 1; 0 empty */
	size_t hashcap;
	size_t replies;
};

atlas *atlas_new(void)
{
	return mem_calloc(1, sizeof(atlas));
}

void atlas_free(atlas *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->nrows; i++) {
		free(a->rows[i].rtt.v);
		free(a->rows[i].off.v);
		free(a->rows[i].rdelay.v);
		free(a->rows[i].rdisp.v);
	}
	free(a->rows);
	free(a->hash);
	free(a->files);
	free(a->bad);
	free(a);
}

size_t atlas_file_count(const atlas *a)
{
	return a->nfiles;
}

const struct atlas_file *atlas_file_get(const atlas *a, size_t i)
{
	return i < a->nfiles ? &a->files[i] : NULL;
}

size_t atlas_bad_count(const atlas *a)
{
	return a->nbad;
}

const struct atlas_bad *atlas_bad_get(const atlas *a, size_t i)
{
	return i < a->nbad ? &a->bad[i] : NULL;
}

unsigned long atlas_bad_total(const atlas *a)
{
	return a->bad_total;
}

static void reject(atlas *a, unsigned long line, const char *why)
{
	a->files[a->nfiles - 1].rejected++;
	a->bad_total++;
	if (a->nbad >= ATLAS_MAX_BAD)
		return;
	if (a->nbad % 64 == 0)
		a->bad = mem_realloc(a->bad, (a->nbad + 64) * sizeof a->bad[0]);
	struct atlas_bad *b = &a->bad[a->nbad++];
	b->file = a->nfiles - 1;
	b->line = line;
	str_copy(b->why, why, sizeof b->why);
}

/* ---- rows ---------------------------------------------------------------- */

static uint32_t row_hash(long long prb, int af, const char *dst)
{
	uint32_t h = 2166136261u;
	uint64_t k = (uint64_t)prb * 2 + (af == 6);
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint8_t)(k >> (8 * i))) * 16777619u;
	for (const char *p = dst; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

static void rehash(atlas *a)
{
	free(a->hash);
	a->hashcap = a->hashcap ? a->hashcap * 2 : 1024;
	a->hash = mem_calloc(a->hashcap, sizeof a->hash[0]);
	for (size_t i = 0; i < a->nrows; i++) {
		const struct row *r = &a->rows[i];
		size_t h = row_hash(r->prb_id, r->af, r->dst) & (a->hashcap - 1);
		while (a->hash[h])
			h = (h + 1) & (a->hashcap - 1);
		a->hash[h] = (uint32_t)(i + 1);
	}
}

/* The row of (prb, af, dst), made if new; NULL past ATLAS_MAX_ROWS. */
static struct row *row_for(atlas *a, long long prb, int af, const char *dst)
{
	if (a->hashcap == 0 || (a->nrows + 1) * 2 > a->hashcap)
		rehash(a);
	size_t h = row_hash(prb, af, dst) & (a->hashcap - 1);
	while (a->hash[h]) {
		struct row *r = &a->rows[a->hash[h] - 1];
		if (r->prb_id == prb && r->af == af && strcmp(r->dst, dst) == 0)
			return r;
		h = (h + 1) & (a->hashcap - 1);
	}
	if (a->nrows >= ATLAS_MAX_ROWS)
		return NULL;
	if (a->nrows == a->caprows) {
		a->caprows = a->caprows ? a->caprows * 2 : 64;
		a->rows = mem_realloc(a->rows, a->caprows * sizeof a->rows[0]);
	}
	struct row *r = &a->rows[a->nrows++];
	memset(r, 0, sizeof *r);
	r->prb_id = prb;
	r->af = af;
	str_copy(r->dst, dst, sizeof r->dst);
	r->stratum = -1;
	r->version = -1;
	a->hash[h] = (uint32_t)a->nrows;
	return r;
}

/* ---- one result ---------------------------------------------------------- */

/* A string member (absent: ""): printable ASCII, shorter than ATLAS_MAX_STR. */
static bool get_str(json_t *o, const char *key, char *out, char *why, size_t wl)
{
	json_t *v = json_object_get(o, key);
	out[0] = '\0';
	if (!v)
		return true;
	if (!json_is_string(v)) {
		str_format(why, wl, "'%s' is not a string", key);
		return false;
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (n >= ATLAS_MAX_STR) {
		str_format(why, wl, "'%s' longer than %d octets", key, ATLAS_MAX_STR - 1);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			str_format(why, wl, "'%s' holds a control or non-ASCII character", key);
			return false;
		}
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* An integer member in [lo, hi]; absent: *out = dflt. */
static bool get_int(json_t *o, const char *key, long long lo, long long hi, long long dflt,
		    long long *out, char *why, size_t wl)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		*out = dflt;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		str_format(why, wl, "'%s' is not an integer from %lld to %lld", key, lo, hi);
		return false;
	}
	*out = json_integer_value(v);
	return true;
}

/* A finite number member; absent: false with *present false. */
static bool get_num(json_t *o, const char *key, double *out, bool *present, char *why, size_t wl)
{
	json_t *v = json_object_get(o, key);
	*present = v != NULL;
	if (!v)
		return true;
	if (!json_is_number(v) || !isfinite(json_number_value(v))) {
		str_format(why, wl, "'%s' is not a number", key);
		return false;
	}
	*out = json_number_value(v);
	return true;
}

enum { R_OK, R_BAD, R_FULL };

static int take_result(atlas *a, json_t *o, char *why, size_t wl)
{
	if (!json_is_object(o)) {
		str_format(why, wl, "a result must be a JSON object");
		return R_BAD;
	}
	char type[ATLAS_MAX_STR], dst[ATLAS_MAX_STR], refid[ATLAS_MAX_STR], li[ATLAS_MAX_STR];
	if (!get_str(o, "type", type, why, wl))
		return R_BAD;
	if (type[0] && strcmp(type, "ntp") != 0) {
		str_format(why, wl, "type '%s' is not ntp", type);
		return R_BAD;
	}
	json_t *pv = json_object_get(o, "prb_id");
	if (!pv) {
		str_format(why, wl, "no prb_id");
		return R_BAD;
	}
	long long prb, af, stratum, version;
	if (!get_int(o, "prb_id", 0, 0x7fffffff, 0, &prb, why, wl) ||
	    !get_str(o, "dst_addr", dst, why, wl) || !get_int(o, "af", 4, 6, 0, &af, why, wl) ||
	    !get_int(o, "stratum", 0, 255, -1, &stratum, why, wl) ||
	    !get_int(o, "version", 0, 7, -1, &version, why, wl) ||
	    !get_str(o, "ref-id", refid, why, wl) || !get_str(o, "li", li, why, wl))
		return R_BAD;
	if (af == 5) {
		str_format(why, wl, "'af' is not 4 or 6");
		return R_BAD;
	}
	if (af == 0)
		af = strchr(dst, ':') ? 6 : 4;
	if (dst[0] == '\0')
		str_copy(dst, "?", sizeof dst);
	double rdelay = 0, rdisp = 0;
	bool has_rdelay, has_rdisp;
	if (!get_num(o, "root-delay", &rdelay, &has_rdelay, why, wl) ||
	    !get_num(o, "root-dispersion", &rdisp, &has_rdisp, why, wl))
		return R_BAD;
	json_t *res = json_object_get(o, "result");
	if (!json_is_array(res)) {
		str_format(why, wl, "no result array");
		return R_BAD;
	}
	size_t np = json_array_size(res);
	if (np > ATLAS_MAX_PACKETS) {
		str_format(why, wl, "result has %zu entries, at most %d", np, ATLAS_MAX_PACKETS);
		return R_BAD;
	}
	/* Check every entry before anything is kept. */
	double rtt[ATLAS_MAX_PACKETS], off[ATLAS_MAX_PACKETS];
	size_t nrep = 0, nto = 0, nerr = 0;
	for (size_t i = 0; i < np; i++) {
		json_t *e = json_array_get(res, i);
		bool hr, ho;
		if (!json_is_object(e)) {
			str_format(why, wl, "result[%zu] is not an object", i);
			return R_BAD;
		}
		if (json_object_get(e, "x")) {
			nto++;
			continue;
		}
		if (json_object_get(e, "error")) {
			nerr++;
			continue;
		}
		char w2[96];
		if (!get_num(e, "rtt", &rtt[nrep], &hr, w2, sizeof w2) ||
		    !get_num(e, "offset", &off[nrep], &ho, w2, sizeof w2)) {
			str_format(why, wl, "result[%zu]: %s", i, w2);
			return R_BAD;
		}
		if (!hr || !ho) {
			str_format(why, wl, "result[%zu] has neither rtt and offset, x nor error",
				   i);
			return R_BAD;
		}
		nrep++;
	}
	if (a->replies + nrep > ATLAS_MAX_REPLIES)
		return R_FULL;
	struct row *r = row_for(a, prb, (int)af, dst);
	if (!r)
		return R_FULL;
	a->replies += nrep;
	r->results++;
	r->packets += np;
	r->replies += nrep;
	r->timeouts += nto;
	r->errors += nerr;
	for (size_t i = 0; i < nrep; i++) {
		vec_push(&r->rtt, rtt[i]);
		vec_push(&r->off, off[i]);
	}
	if (nrep == 0)
		return R_OK; /* what a server said counts only with a reply */
	if (has_rdelay)
		vec_push(&r->rdelay, rdelay);
	if (has_rdisp)
		vec_push(&r->rdisp, rdisp);
	if (!r->seen) {
		r->seen = true;
		r->stratum = (int)stratum;
		r->version = (int)version;
		str_copy(r->refid, refid, sizeof r->refid);
		str_copy(r->li, li, sizeof r->li);
	} else {
		r->mixed |= (r->stratum != (int)stratum ? ATLAS_STRATUM : 0) |
			    (r->version != (int)version ? ATLAS_VERSION : 0) |
			    (strcmp(r->refid, refid) != 0 ? ATLAS_REFID : 0) |
			    (strcmp(r->li, li) != 0 ? ATLAS_LI : 0);
	}
	return R_OK;
}

/* Parses text[0 .. len) as one JSON value (an object, or an array of them in
 * JSON Lines) and takes it; returns -E2BIG when full, else 0. */
static int take_text(atlas *a, const char *text, size_t len, unsigned long line, bool allow_array)
{
	char why[128];
	if (len > ATLAS_MAX_ELEMENT) {
		str_format(why, sizeof why, "result longer than %u octets", ATLAS_MAX_ELEMENT);
		reject(a, line, why);
		return 0;
	}
	json_error_t err;
	json_t *v = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!v) {
		str_format(why, sizeof why, "not JSON: %s", err.text);
		reject(a, line + (err.line > 1 ? (unsigned long)err.line - 1 : 0), why);
		return 0;
	}
	int rc = 0;
	size_t n = allow_array && json_is_array(v) ? json_array_size(v) : 1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_t *o = json_is_array(v) && allow_array ? json_array_get(v, i) : v;
		int t = take_result(a, o, why, sizeof why);
		if (t == R_BAD)
			reject(a, line, why);
		else if (t == R_FULL)
			rc = -E2BIG;
		else
			a->files[a->nfiles - 1].results++;
	}
	json_decref(v);
	return rc;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The end of the JSON value starting at text[pos] (an object or array by
 * nesting, a string, or a scalar up to a delimiter); counts its newlines
 * into *line.  Returns len if it does not end. */
static size_t value_end(const char *text, size_t len, size_t pos, unsigned long *line)
{
	size_t depth = 0;
	bool str = false, esc = false;
	for (size_t i = pos; i < len; i++) {
		char c = text[i];
		if (c == '\n')
			(*line)++;
		if (str) {
			if (esc)
				esc = false;
			else if (c == '\\')
				esc = true;
			else if (c == '"') {
				str = false;
				if (depth == 0)
					return i + 1;
			}
			continue;
		}
		switch (c) {
		case '"': str = true; break;
		case '{':
		case '[': depth++; break;
		case '}':
		case ']':
			if (depth == 0)
				return i; /* a scalar ended by the array's close */
			if (--depth == 0)
				return i + 1;
			break;
		case ',':
			if (depth == 0)
				return i;
			break;
		default:
			if (depth == 0 && is_ws(c)) {
				if (c == '\n')
					(*line)--; /* counted again by the caller */
				return i;
			}
			break;
		}
	}
	return len;
}

/* A file holding one top-level array. */
static int feed_array(atlas *a, const char *text, size_t len, size_t pos, unsigned long line)
{
	pos++; /* '[' */
	bool need_value = false;
	for (;;) {
		while (pos < len && is_ws(text[pos]))
			line += text[pos++] == '\n';
		if (pos == len) {
			reject(a, line, "the array is not closed (truncated file?)");
			return -EINVAL;
		}
		if (text[pos] == ']' && !need_value) {
			pos++;
			while (pos < len && is_ws(text[pos]))
				line += text[pos++] == '\n';
			if (pos < len)
				reject(a, line, "text after the closing ']'");
			return 0;
		}
		unsigned long start = line;
		size_t end = value_end(text, len, pos, &line);
		if (end == len) {
			reject(a, start, "a result is not closed (truncated file?)");
			return -EINVAL;
		}
		if (end == pos) {
			reject(a, start,
			       text[pos] == ']' ? "',' before ']'" : "a value is missing");
			need_value = text[pos] != ']';
			if (need_value)
				pos++; /* skip the stray ',' or '}' */
			continue;
		}
		if (take_text(a, text + pos, end - pos, start, false) != 0) {
			return -E2BIG;
		}
		pos = end;
		while (pos < len && is_ws(text[pos]))
			line += text[pos++] == '\n';
		need_value = false;
		if (pos < len && text[pos] == ',') {
			pos++;
			need_value = true;
		} else if (pos < len && text[pos] != ']') {
			reject(a, line, "expected ',' or ']' after a result");
			return -EINVAL;
		}
	}
}

int atlas_feed(atlas *a, const char *name, const char *text, size_t len)
{
	a->files = mem_realloc(a->files, (a->nfiles + 1) * sizeof a->files[0]);
	struct atlas_file *f = &a->files[a->nfiles++];
	memset(f, 0, sizeof *f);
	str_copy(f->name, name, sizeof f->name);

	size_t pos = 0;
	unsigned long line = 1;
	while (pos < len && is_ws(text[pos]))
		line += text[pos++] == '\n';
	if (pos < len && text[pos] == '[') {
		/* One array for the whole file, or JSON Lines of arrays? An
		 * array that closes before a newline with more after it is a line. */
		const char *nl = memchr(text + pos, '\n', len - pos);
		unsigned long l2 = line;
		size_t end = value_end(text, len, pos, &l2);
		bool one_line = nl && end <= (size_t)(nl - text) && end < len;
		if (!one_line)
			return feed_array(a, text, len, pos, line);
	}
	/* JSON Lines. */
	pos = 0;
	line = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		line++;
		size_t s = pos, e = end;
		while (s < e && is_ws(text[s]))
			s++;
		while (e > s && is_ws(text[e - 1]))
			e--;
		if (e > s && take_text(a, text + s, e - s, line, true) != 0)
			return -E2BIG;
		pos = end + 1;
	}
	return 0;
}

/* ---- figures ------------------------------------------------------------- */

static void dist_of(const double *v, size_t n, struct atlas_dist *d)
{
	struct ntpstats_summary s;
	ntpstats_summarize(v, n, &s);
	d->n = n;
	d->min = s.min;
	d->p50 = s.p50;
	d->p95 = s.p95;
	d->max = s.max;
}

static double median_of(const double *v, size_t n)
{
	struct atlas_dist d;
	dist_of(v, n, &d);
	return d.p50;
}

/* The median absolute deviation of v from m. */
static double mad_of(const double *v, size_t n, double m)
{
	if (n == 0)
		return 0;
	double *d = mem_alloc(n * sizeof *d);
	for (size_t i = 0; i < n; i++)
		d[i] = fabs(v[i] - m);
	double r = median_of(d, n);
	free(d);
	return r;
}

static int cmp_row(const void *x, const void *y)
{
	const struct row *const *pa = x, *const *pb = y;
	const struct row *a = *pa, *b = *pb;
	int c = strcmp(a->dst, b->dst);
	if (c)
		return c;
	if (a->af != b->af)
		return a->af - b->af;
	return (a->prb_id > b->prb_id) - (a->prb_id < b->prb_id);
}

/* Sums of a group: counts, and the values gathered for its distributions. */
struct gather {
	struct atlas_group *g;
	struct vec rtt, off, rdelay, rdisp;
};

static void gather_add(struct gather *ga, const struct row *r, const struct atlas_probe *p)
{
	struct atlas_group *g = ga->g;
	g->probes++;
	g->results += r->results;
	g->packets += r->packets;
	g->replies += r->replies;
	g->timeouts += r->timeouts;
	g->errors += r->errors;
	g->outliers += p->outliers;
	g->outlier_probes += p->outlier;
	for (size_t i = 0; i < r->rtt.n; i++) {
		vec_push(&ga->rtt, r->rtt.v[i]);
		vec_push(&ga->off, r->off.v[i]);
	}
	for (size_t i = 0; i < r->rdelay.n; i++)
		vec_push(&ga->rdelay, r->rdelay.v[i]);
	for (size_t i = 0; i < r->rdisp.n; i++)
		vec_push(&ga->rdisp, r->rdisp.v[i]);
}

static void gather_end(struct gather *ga)
{
	dist_of(ga->rtt.v, ga->rtt.n, &ga->g->rtt);
	dist_of(ga->off.v, ga->off.n, &ga->g->offset);
	dist_of(ga->rdelay.v, ga->rdelay.n, &ga->g->root_delay);
	dist_of(ga->rdisp.v, ga->rdisp.n, &ga->g->root_dispersion);
	free(ga->rtt.v);
	free(ga->off.v);
	free(ga->rdelay.v);
	free(ga->rdisp.v);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static int cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	return (a > b) - (a < b);
}

/* The most common of n integers by sorting (ties: the smallest); -1 if n is 0. */
static int mode_int(int *v, size_t n)
{
	int best = -1;
	size_t bestc = 0;
	qsort(v, n, sizeof v[0], cmp_int);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && v[j] == v[i])
			j++;
		if (j - i > bestc) {
			bestc = j - i;
			best = v[i];
		}
		i = j;
	}
	return best;
}

/* Mode of n strings by sorting (ties: the smallest). */
static void mode_str(const char **v, size_t n, char *out)
{
	out[0] = '\0';
	qsort(v, n, sizeof v[0], cmp_str);
	size_t bestc = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && strcmp(v[j], v[i]) == 0)
			j++;
		if (j - i > bestc) {
			bestc = j - i;
			str_copy(out, v[i], ATLAS_MAX_STR);
		}
		i = j;
	}
}

/* Fills a target from its probes p[0 .. n) (rows r[0 .. n)). */
static void make_target(struct atlas_target *t, struct atlas_probe *p, const struct row **r,
			size_t n, double k)
{
	str_copy(t->dst, r[0]->dst, sizeof t->dst);
	/* Outlier probes, by their median offsets. */
	double *med = mem_alloc(n * sizeof *med);
	size_t nm = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].offset.n)
			med[nm++] = p[i].offset.p50;
	t->median_offset = nm ? median_of(med, nm) : 0;
	t->mad = mad_of(med, nm, t->median_offset);
	double lim = k * (t->mad > ATLAS_MAD_FLOOR ? t->mad : ATLAS_MAD_FLOOR);
	for (size_t i = 0; i < n; i++)
		p[i].outlier = p[i].offset.n && fabs(p[i].offset.p50 - t->median_offset) > lim;
	free(med);

	/* What the server said, most commonly. */
	int *iv = mem_alloc(n * sizeof *iv), *vv = mem_alloc(n * sizeof *vv);
	const char **rs = mem_alloc(n * sizeof *rs), **ls = mem_alloc(n * sizeof *ls);
	size_t ns = 0;
	for (size_t i = 0; i < n; i++) {
		if (!r[i]->seen)
			continue;
		iv[ns] = r[i]->stratum;
		vv[ns] = r[i]->version;
		rs[ns] = r[i]->refid;
		ls[ns] = r[i]->li;
		ns++;
	}
	t->stratum = mode_int(iv, ns);
	t->version = mode_int(vv, ns);
	mode_str(rs, ns, t->refid);
	mode_str(ls, ns, t->li);
	free(iv);
	free(vv);
	free(rs);
	free(ls);
	for (size_t i = 0; i < n; i++) {
		if (!r[i]->seen)
			continue;
		unsigned d = r[i]->mixed;
		d |= p[i].stratum != t->stratum ? ATLAS_STRATUM : 0;
		d |= p[i].version != t->version ? ATLAS_VERSION : 0;
		d |= strcmp(p[i].refid, t->refid) != 0 ? ATLAS_REFID : 0;
		d |= strcmp(p[i].li, t->li) != 0 ? ATLAS_LI : 0;
		p[i].differs = d;
		t->differ_stratum += (d & ATLAS_STRATUM) != 0;
		t->differ_refid += (d & ATLAS_REFID) != 0;
		t->differ_li += (d & ATLAS_LI) != 0;
		t->differ_version += (d & ATLAS_VERSION) != 0;
	}
}

struct atlas_report *atlas_report_new(const atlas *a, double k)
{
	struct atlas_report *rep = mem_calloc(1, sizeof *rep);
	rep->k = k;
	size_t n = a->nrows;
	const struct row **rows = mem_alloc((n ? n : 1) * sizeof *rows);
	for (size_t i = 0; i < n; i++)
		rows[i] = &a->rows[i];
	qsort(rows, n, sizeof rows[0], cmp_row);
	rep->nprobes = n;
	rep->probes = mem_calloc(n ? n : 1, sizeof rep->probes[0]);
	for (size_t i = 0; i < n; i++) {
		const struct row *r = rows[i];
		struct atlas_probe *p = &rep->probes[i];
		p->prb_id = r->prb_id;
		p->af = r->af;
		str_copy(p->dst, r->dst, sizeof p->dst);
		p->results = r->results;
		p->packets = r->packets;
		p->replies = r->replies;
		p->timeouts = r->timeouts;
		p->errors = r->errors;
		dist_of(r->rtt.v, r->rtt.n, &p->rtt);
		dist_of(r->off.v, r->off.n, &p->offset);
		p->root_delay = median_of(r->rdelay.v, r->rdelay.n);
		p->root_dispersion = median_of(r->rdisp.v, r->rdisp.n);
		double mad = mad_of(r->off.v, r->off.n, p->offset.p50);
		double lim = k * (mad > ATLAS_MAD_FLOOR ? mad : ATLAS_MAD_FLOOR);
		for (size_t j = 0; j < r->off.n; j++)
			p->outliers += fabs(r->off.v[j] - p->offset.p50) > lim;
		p->stratum = r->stratum;
		p->version = r->version;
		str_copy(p->refid, r->refid, sizeof p->refid);
		str_copy(p->li, r->li, sizeof p->li);
	}
	/* Targets: runs of the same server. */
	rep->targets = mem_calloc(n ? n : 1, sizeof rep->targets[0]);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && strcmp(rows[j]->dst, rows[i]->dst) == 0)
			j++;
		make_target(&rep->targets[rep->ntargets++], &rep->probes[i], &rows[i], j - i, k);
		i = j;
	}
	/* Groups, now that the outliers are known. */
	struct gather all = { .g = &rep->all }, v4 = { .g = &rep->v4 }, v6 = { .g = &rep->v6 };
	size_t ti = 0;
	for (size_t i = 0; i < n;) {
		struct atlas_target *t = &rep->targets[ti++];
		struct gather ta = { .g = &t->all }, t4 = { .g = &t->v4 }, t6 = { .g = &t->v6 };
		size_t j = i;
		for (; j < n && strcmp(rows[j]->dst, rows[i]->dst) == 0; j++) {
			const struct atlas_probe *p = &rep->probes[j];
			gather_add(&all, rows[j], p);
			gather_add(rows[j]->af == 6 ? &v6 : &v4, rows[j], p);
			gather_add(&ta, rows[j], p);
			gather_add(rows[j]->af == 6 ? &t6 : &t4, rows[j], p);
		}
		gather_end(&ta);
		gather_end(&t4);
		gather_end(&t6);
		i = j;
	}
	gather_end(&all);
	gather_end(&v4);
	gather_end(&v6);
	free(rows);
	return rep;
}

void atlas_report_free(struct atlas_report *r)
{
	if (!r)
		return;
	free(r->probes);
	free(r->targets);
	free(r);
}
