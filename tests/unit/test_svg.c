/* test_svg.c - the chart writer: a well-formed document (a small checker of
 * tags, quotes and entities: every element closed in order, no raw '<' or
 * '&' in text), escaped titles and names, a second axis, bands, the
 * per-pixel-column reduction of long lines (spikes kept), and rejection of
 * empty or non-finite input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "web/svg.h"

/* True if doc is well-formed enough: balanced, properly nested elements,
 * attribute values in quotes, only the five predefined entities. */
static bool well_formed(const char *doc)
{
	const char *stack[256];
	size_t depth = 0, names = 0;
	const char *p = doc;
	if (strncmp(p, "<?xml ", 6) != 0)
		return false;
	p = strstr(p, "?>");
	if (!p)
		return false;
	p += 2;
	while (*p) {
		if (*p == '&') {
			static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;",
							    "&apos;" };
			bool ok = false;
			for (int i = 0; i < 5; i++)
				ok = ok || strncmp(p, ents[i], strlen(ents[i])) == 0;
			if (!ok)
				return false;
			p++;
			continue;
		}
		if (*p != '<') {
			if (*p == '>' || (unsigned char)*p < 0x09)
				return false;
			p++;
			continue;
		}
		bool closing = p[1] == '/';
		const char *name = p + 1 + closing;
		size_t nl = strcspn(name, " />\n");
		if (nl == 0)
			return false;
		const char *q = name + nl;
		char quote = 0;
		while (*q && (quote || *q != '>')) {
			if (quote && *q == quote)
				quote = 0;
			else if (!quote && (*q == '"' || *q == '\''))
				quote = *q;
			else if (quote && (*q == '<' || (*q == '&' && !strchr("alqg", q[1]))))
				return false;
			q++;
		}
		if (!*q)
			return false;
		bool empty = q[-1] == '/';
		if (closing) {
			if (depth == 0 || strncmp(stack[depth - 1], name, nl) != 0 ||
			    strcspn(stack[depth - 1], " />\n") != nl)
				return false;
			depth--;
		} else if (!empty) {
			if (depth == 256)
				return false;
			stack[depth++] = name;
			names++;
		}
		p = q + 1;
	}
	return depth == 0 && names > 0;
}

static size_t count(const char *doc, const char *what)
{
	size_t n = 0;
	for (const char *p = doc; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

static void basic(void **st)
{
	(void)st;
	svg_chart *c = svg_chart_new("offset <peer> & \"friends\"", 600, 300);
	svg_chart_axis(c, SVG_LEFT, "offset (us)");
	double t[] = { 1765065600, 1765065660, 1765065720 }, v[] = { -1, 2, 0.5 };
	assert_int_equal(svg_chart_line(c, SVG_LEFT, "a<b", t, v, 3), 0);
	assert_int_equal(svg_chart_band(c, SVG_LEFT, "5-95 %", -0.5, 1.5), 0);
	size_t len;
	char *doc = svg_chart_render(c, &len);
	assert_int_equal(strlen(doc), len);
	assert_true(well_formed(doc));
	assert_non_null(strstr(doc, "offset &lt;peer&gt; &amp; &quot;friends&quot;"));
	assert_non_null(strstr(doc, "a&lt;b"));
	assert_null(strstr(doc, "<peer>"));
	assert_int_equal(count(doc, "<polyline"), 1);
	assert_int_equal(count(doc, "fill-opacity=\"0.15\""), 1);
	assert_null(strstr(doc, "(right)"));
	assert_non_null(strstr(doc, "time (UTC)"));
	free(doc);
	svg_chart_free(c);
	svg_chart_free(NULL);
}

static void two_axes(void **st)
{
	(void)st;
	svg_chart *c = svg_chart_new("pool", 900, 400);
	svg_chart_axis(c, SVG_RIGHT, "Pool score");
	double t[50], v[50], s[50];
	for (int i = 0; i < 50; i++) {
		t[i] = 1765065600 + 600.0 * i;
		v[i] = 1e-3 * sin(i);
		s[i] = i < 25 ? 20 : -5;
	}
	assert_int_equal(svg_chart_line(c, SVG_LEFT, "offset", t, v, 50), 0);
	assert_int_equal(svg_chart_line(c, SVG_RIGHT, "score", t, s, 50), 0);
	size_t len;
	char *doc = svg_chart_render(c, &len);
	assert_true(well_formed(doc));
	assert_int_equal(count(doc, "<polyline"), 2);
	assert_non_null(strstr(doc, "score (right)"));
	assert_non_null(strstr(doc, "Pool score"));
	assert_non_null(strstr(doc, ">-5<")); /* a tick of the right axis */
	free(doc);
	svg_chart_free(c);
}

/* 200000 points on a 400-pixel plot: at most two points per column, and the
 * one spike stays. */
static void reduction(void **st)
{
	(void)st;
	size_t n = 200000;
	double *t = malloc(n * sizeof *t), *v = malloc(n * sizeof *v);
	for (size_t i = 0; i < n; i++) {
		t[i] = 1e9 + (double)(n - i); /* descending: drawn in time order */
		v[i] = i == 12345 ? 1000 : (double)(i % 7);
	}
	svg_chart *c = svg_chart_new("many", 400, 300);
	assert_int_equal(svg_chart_line(c, SVG_LEFT, "x", t, v, n), 0);
	size_t len;
	char *doc = svg_chart_render(c, &len);
	assert_true(well_formed(doc));
	assert_true(len < 40000);
	/* The spike is the top of the plot (y = 36 + padding). */
	char *pts = strstr(doc, "points=\"");
	assert_non_null(pts);
	size_t npts = 0;
	double miny = 1e9, lastx = -1;
	for (char *p = strchr(pts, '"') + 1; *p && *p != '"';) {
		double x = strtod(p, &p);
		assert_true(*p == ',');
		double y = strtod(p + 1, &p);
		assert_true(x >= lastx);
		lastx = x;
		miny = y < miny ? y : miny;
		npts++;
		while (*p == ' ')
			p++;
	}
	assert_true(npts <= 2 * 400 && npts > 100);
	assert_true(miny < 50);
	free(doc);
	svg_chart_free(c);
	free(t);
	free(v);
}

static void rejection(void **st)
{
	(void)st;
	svg_chart *c = svg_chart_new(NULL, 10, 100000); /* clamped */
	double t[] = { NAN, 1 }, v[] = { 1, INFINITY };
	assert_int_equal(svg_chart_line(c, SVG_LEFT, "x", t, v, 0), -EINVAL);
	assert_int_equal(svg_chart_line(c, SVG_LEFT, "x", t, v, 2), -EINVAL);
	assert_int_equal(svg_chart_band(c, SVG_LEFT, "b", NAN, 1), -EINVAL);
	double t1[] = { 5 }, v1[] = { 5 };
	for (int i = 0; i < 16; i++)
		assert_int_equal(svg_chart_line(c, SVG_LEFT, "\x01\x7f ok", t1, v1, 1), 0);
	assert_int_equal(svg_chart_line(c, SVG_LEFT, "x", t1, v1, 1), -E2BIG);
	for (int i = 0; i < 8; i++)
		assert_int_equal(svg_chart_band(c, SVG_RIGHT, "b", 1, 1), 0);
	assert_int_equal(svg_chart_band(c, SVG_RIGHT, "b", 1, 2), -E2BIG);
	size_t len;
	char *doc = svg_chart_render(c, &len); /* one point, flat ranges */
	assert_true(well_formed(doc));
	assert_null(strchr(doc, '\x01'));
	assert_non_null(strstr(doc, "width=\"200\" height=\"4000\""));
	free(doc);
	svg_chart_free(c);
	/* Nothing at all still renders. */
	c = svg_chart_new("empty", 300, 300);
	doc = svg_chart_render(c, &len);
	assert_true(well_formed(doc));
	free(doc);
	svg_chart_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basic),
		cmocka_unit_test(two_axes),
		cmocka_unit_test(reduction),
		cmocka_unit_test(rejection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
