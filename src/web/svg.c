/* svg.c - the line-chart writer; see svg.h.
 *
 * Layout (pixels):
 *
 *   +-------------------------------------------------+
 *   |  title                                           |  MT
 *   | label +-------------------------------+ label    |
 *   | ticks |  bands, grid, lines           | ticks    |
 *   |       +-------------------------------+          |
 *   |        time ticks (UTC)                          |  MB
 *   |        legend                                    |
 *   +-------------------------------------------------+
 *     ML                                      MR
 */
#include "web/svg.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mem.h"

#define MAX_LINES 16
#define MAX_BANDS 8
#define ML 80.0
#define MR_ONE 20.0
#define MR_TWO 80.0
#define MT 36.0
#define MB 70.0

static const char *const colours[MAX_LINES] = { "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
						"#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
						"#bcbd22", "#17becf", "#393b79", "#637939",
						"#8c6d31", "#843c39", "#7b4173", "#3182bd" };

struct line {
	enum svg_axis axis;
	char *name;
	size_t n;
	double *t, *v;
};

struct band {
	enum svg_axis axis;
	char *name;
	double lo, hi;
};

struct svg_chart {
	char *title;
	char *label[2];
	bool right;
	double w, h;
	struct line lines[MAX_LINES];
	size_t nlines;
	struct band bands[MAX_BANDS];
	size_t nbands;
};

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 1;
		b->p = mem_realloc(b->p, b->cap);
	}
}

/* Text for XML content and attribute values: & < > " ' escaped, control
 * octets (not valid in XML 1.0) dropped. */
static void put_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': put(b, "&amp;"); break;
		case '<': put(b, "&lt;"); break;
		case '>': put(b, "&gt;"); break;
		case '"': put(b, "&quot;"); break;
		case '\'': put(b, "&apos;"); break;
		default:
			if (c >= 0x20 && c != 0x7f)
				put(b, "%c", c);
			break;
		}
	}
}

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

svg_chart *svg_chart_new(const char *title, unsigned width, unsigned height)
{
	svg_chart *c = mem_calloc(1, sizeof *c);
	c->title = mem_strdup(title ? title : "");
	c->w = clampd(width, 200, 4000);
	c->h = clampd(height, 200, 4000);
	return c;
}

void svg_chart_free(svg_chart *c)
{
	if (!c)
		return;
	free(c->title);
	free(c->label[0]);
	free(c->label[1]);
	for (size_t i = 0; i < c->nlines; i++) {
		free(c->lines[i].name);
		free(c->lines[i].t);
		free(c->lines[i].v);
	}
	for (size_t i = 0; i < c->nbands; i++)
		free(c->bands[i].name);
	free(c);
}

void svg_chart_axis(svg_chart *c, enum svg_axis axis, const char *label)
{
	int a = axis == SVG_RIGHT;
	free(c->label[a]);
	c->label[a] = mem_strdup(label ? label : "");
	if (a)
		c->right = true;
}

struct tv {
	double t, v;
};

static int cmp_tv(const void *a, const void *b)
{
	const struct tv *x = a, *y = b;
	return (x->t > y->t) - (x->t < y->t);
}

int svg_chart_line(svg_chart *c, enum svg_axis axis, const char *name, const double *t,
		   const double *v, size_t n)
{
	if (c->nlines == MAX_LINES)
		return -E2BIG;
	if (n == 0)
		return -EINVAL;
	struct tv *a = mem_alloc(n * sizeof *a);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(t[i]) && isfinite(v[i]))
			a[k++] = (struct tv){ t[i], v[i] };
	if (k == 0) {
		free(a);
		return -EINVAL;
	}
	qsort(a, k, sizeof *a, cmp_tv);
	struct line *l = &c->lines[c->nlines++];
	l->axis = axis;
	l->name = mem_strdup(name ? name : "");
	l->n = k;
	l->t = mem_alloc(k * sizeof l->t[0]);
	l->v = mem_alloc(k * sizeof l->v[0]);
	for (size_t i = 0; i < k; i++) {
		l->t[i] = a[i].t;
		l->v[i] = a[i].v;
	}
	free(a);
	if (axis == SVG_RIGHT)
		c->right = true;
	return 0;
}

int svg_chart_band(svg_chart *c, enum svg_axis axis, const char *name, double lo, double hi)
{
	if (c->nbands == MAX_BANDS)
		return -E2BIG;
	if (!isfinite(lo) || !isfinite(hi))
		return -EINVAL;
	struct band *b = &c->bands[c->nbands++];
	b->axis = axis;
	b->name = mem_strdup(name ? name : "");
	b->lo = lo < hi ? lo : hi;
	b->hi = lo < hi ? hi : lo;
	if (axis == SVG_RIGHT)
		c->right = true;
	return 0;
}

/* A tick step of 1, 2 or 5 times a power of ten giving about 5 ticks. */
static double nice_step(double span)
{
	double raw = span / 5;
	double mag = pow(10, floor(log10(raw)));
	double norm = raw / mag;
	return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

static void range_of(const svg_chart *c, int axis, double *lo, double *hi)
{
	bool any = false;
	double mn = 0, mx = 0;
	for (size_t i = 0; i < c->nlines; i++) {
		const struct line *l = &c->lines[i];
		if ((int)l->axis != axis)
			continue;
		for (size_t k = 0; k < l->n; k++) {
			if (!any || l->v[k] < mn)
				mn = l->v[k];
			if (!any || l->v[k] > mx)
				mx = l->v[k];
			any = true;
		}
	}
	for (size_t i = 0; i < c->nbands; i++) {
		const struct band *b = &c->bands[i];
		if ((int)b->axis != axis)
			continue;
		if (!any || b->lo < mn)
			mn = b->lo;
		if (!any || b->hi > mx)
			mx = b->hi;
		any = true;
	}
	if (mx - mn <= fabs(mx) * 1e-12 || mx - mn < 1e-300) {
		double d = fabs(mx) > 0 ? fabs(mx) * 0.1 : 1;
		mn -= d;
		mx += d;
	}
	double pad = (mx - mn) * 0.05;
	*lo = mn - pad;
	*hi = mx + pad;
}

static void time_range(const svg_chart *c, double *lo, double *hi)
{
	bool any = false;
	for (size_t i = 0; i < c->nlines; i++) {
		const struct line *l = &c->lines[i];
		if (!any || l->t[0] < *lo)
			*lo = l->t[0];
		if (!any || l->t[l->n - 1] > *hi)
			*hi = l->t[l->n - 1];
		any = true;
	}
	if (!any) {
		*lo = 0;
		*hi = 1;
	}
	if (*hi - *lo < 1) {
		*lo -= 0.5;
		*hi += 0.5;
	}
}

struct plot {
	double x0, x1, y0, y1; /* pixels: left, right, top, bottom */
	double t0, t1;
	double lo[2], hi[2];
};

static double px_x(const struct plot *p, double t)
{
	return p->x0 + (t - p->t0) / (p->t1 - p->t0) * (p->x1 - p->x0);
}

static double px_y(const struct plot *p, int axis, double v)
{
	double y = p->y1 - (v - p->lo[axis]) / (p->hi[axis] - p->lo[axis]) * (p->y1 - p->y0);
	return clampd(y, p->y0 - 1, p->y1 + 1);
}

static void y_ticks(struct buf *b, const svg_chart *c, const struct plot *p, int axis)
{
	double step = nice_step(p->hi[axis] - p->lo[axis]);
	double first = ceil(p->lo[axis] / step) * step;
	for (int i = 0; i < 40; i++) {
		double v = first + i * step;
		if (v > p->hi[axis])
			break;
		if (fabs(v) < step * 1e-9)
			v = 0;
		double y = px_y(p, axis, v);
		if (axis == 0)
			put(b,
			    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			    "class=\"grid\"/>\n",
			    p->x0, y, p->x1, y);
		put(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%.6g</text>\n",
		    axis == 0 ? p->x0 - 4 : p->x1 + 4, y + 4, axis == 0 ? "end" : "start", v);
	}
	const char *label = c->label[axis];
	if (label && *label) {
		double x = axis == 0 ? 14 : c->w - 8;
		double y = (p->y0 + p->y1) / 2;
		put(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" ", x, y);
		put(b, "transform=\"rotate(-90 %.1f %.1f)\">", x, y);
		put_text(b, label);
		put(b, "</text>\n");
	}
}

static void x_ticks(struct buf *b, const struct plot *p)
{
	static const double steps[] = { 1,     2,     5,     10,    15,	    30,	    60,
					120,   300,   600,   900,   1800,   3600,   7200,
					10800, 21600, 43200, 86400, 172800, 604800, 2592000 };
	double span = p->t1 - p->t0, step = steps[sizeof steps / sizeof steps[0] - 1];
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		if (span / steps[i] <= 7) {
			step = steps[i];
			break;
		}
	}
	while (span / step > 7)
		step *= 2;
	double first = ceil(p->t0 / step) * step;
	for (int i = 0; i < 16; i++) {
		double t = first + i * step;
		if (t > p->t1)
			break;
		double x = px_x(p, t);
		put(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>\n",
		    x, p->y0, x, p->y1);
		time_t tt = (time_t)t;
		struct tm tm;
		char label[32] = "";
		if (gmtime_r(&tt, &tm)) {
			size_t n;
			if (step >= 86400)
				n = strftime(label, sizeof label, "%Y-%m-%d", &tm);
			else if (step < 60)
				n = strftime(label, sizeof label, "%H:%M:%S", &tm);
			else if (span > 86400)
				n = strftime(label, sizeof label, "%m-%d %H:%M", &tm);
			else
				n = strftime(label, sizeof label, "%H:%M", &tm);
			if (n == 0)
				label[0] = '\0';
		}
		put(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x,
		    p->y1 + 16, label);
	}
	put(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time (UTC)</text>\n",
	    (p->x0 + p->x1) / 2, p->y1 + 32);
}

/* The polyline of a line, at most two points per pixel column (the
 * column's lowest and highest, in time order). */
static void draw_line(struct buf *b, const struct plot *p, const struct line *l, const char *col)
{
	put(b, "<polyline class=\"line\" stroke=\"%s\" points=\"", col);
	size_t i = 0;
	while (i < l->n) {
		long colx = lround(px_x(p, l->t[i]));
		size_t j = i, imin = i, imax = i;
		while (j < l->n && lround(px_x(p, l->t[j])) == colx) {
			if (l->v[j] < l->v[imin])
				imin = j;
			if (l->v[j] > l->v[imax])
				imax = j;
			j++;
		}
		size_t a = imin < imax ? imin : imax, z = imin < imax ? imax : imin;
		put(b, "%.1f,%.1f ", px_x(p, l->t[a]), px_y(p, (int)l->axis, l->v[a]));
		if (z != a)
			put(b, "%.1f,%.1f ", px_x(p, l->t[z]), px_y(p, (int)l->axis, l->v[z]));
		i = j;
	}
	put(b, "\"/>\n");
}

char *svg_chart_render(const svg_chart *c, size_t *len)
{
	struct buf b = { mem_alloc(4096), 0, 4096 };
	struct plot p;
	p.x0 = ML;
	p.x1 = c->w - (c->right ? MR_TWO : MR_ONE);
	p.y0 = MT;
	p.y1 = c->h - MB;
	time_range(c, &p.t0, &p.t1);
	range_of(c, 0, &p.lo[0], &p.hi[0]);
	range_of(c, 1, &p.lo[1], &p.hi[1]);

	put(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	put(&b,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
	    c->w, c->h, c->w, c->h);
	put(&b, "<style>text{font:11px sans-serif;fill:#222}.grid{stroke:#ddd;stroke-width:1}"
		".line{fill:none;stroke-width:1.2}.frame{fill:none;stroke:#444}</style>\n");
	put(&b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#fff\"/>\n");
	put(&b, "<title>");
	put_text(&b, c->title);
	put(&b,
	    "</title>\n<text x=\"%.1f\" y=\"20\" text-anchor=\"middle\" "
	    "style=\"font-size:14px\">",
	    c->w / 2);
	put_text(&b, c->title);
	put(&b, "</text>\n");

	for (size_t i = 0; i < c->nbands; i++) {
		const struct band *bd = &c->bands[i];
		double ya = px_y(&p, (int)bd->axis, bd->hi), yb = px_y(&p, (int)bd->axis, bd->lo);
		put(&b,
		    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
		    "fill-opacity=\"0.15\"/>\n",
		    p.x0, ya, p.x1 - p.x0, yb - ya, colours[(i + 3) % MAX_LINES]);
	}
	y_ticks(&b, c, &p, 0);
	if (c->right)
		y_ticks(&b, c, &p, 1);
	x_ticks(&b, &p);
	for (size_t i = 0; i < c->nlines; i++)
		draw_line(&b, &p, &c->lines[i], colours[i]);
	put(&b, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
	    p.x0, p.y0, p.x1 - p.x0, p.y1 - p.y0);

	/* Legend: lines, then bands, in a row under the time axis. */
	double x = p.x0, y = c->h - 14;
	for (size_t i = 0; i < c->nlines + c->nbands; i++) {
		bool isline = i < c->nlines;
		const char *name = isline ? c->lines[i].name : c->bands[i - c->nlines].name;
		int axis = (int)(isline ? c->lines[i].axis : c->bands[i - c->nlines].axis);
		const char *col = isline ? colours[i] : colours[(i - c->nlines + 3) % MAX_LINES];
		put(&b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"%s\" fill=\"%s\"%s/>\n",
		    x, isline ? y - 5 : y - 9, isline ? "3" : "10", col,
		    isline ? "" : " fill-opacity=\"0.3\"");
		put(&b, "<text x=\"%.1f\" y=\"%.1f\">", x + 16, y);
		put_text(&b, name);
		if (c->right)
			put(&b, axis ? " (right)" : " (left)");
		put(&b, "</text>\n");
		x += 16 + 7.0 * (double)(strlen(name) + (c->right ? 8 : 0)) + 14;
		if (x > c->w - 120) {
			x = p.x0;
			y -= 14; /* another row, above */
		}
	}
	put(&b, "</svg>\n");
	*len = b.len;
	return b.p;
}
