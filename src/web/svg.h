/* svg.h - a small line-chart writer: SVG 1.1 text in memory, no I/O.
 *
 * A chart has a time axis (x, Unix seconds, ticks in UTC), a left y axis and
 * an optional right one (a second scale, e.g. the NTP Pool's score beside an
 * offset), lines on either, and horizontal bands (a percentile range).
 * Lines with more points than the plot has pixel columns keep each column's
 * minimum and maximum, so a spike stays visible and the file stays small.
 * All text is escaped for XML; the output is a well-formed document. */
#ifndef SUNDIAL_WEB_SVG_H
#define SUNDIAL_WEB_SVG_H

#include <stddef.h>

enum svg_axis { SVG_LEFT, SVG_RIGHT };

typedef struct svg_chart svg_chart;

/* A new chart of width x height pixels (each clamped to 200 .. 4000) with a
 * title (copied).  svg_chart_free() accepts NULL. */
svg_chart *svg_chart_new(const char *title, unsigned width, unsigned height);
void svg_chart_free(svg_chart *c);

/* Sets the label of an axis (copied); naming the right axis turns it on. */
void svg_chart_axis(svg_chart *c, enum svg_axis axis, const char *label);

/* Adds a line named name (copied) of n points (t[i], v[i]) (copied; any
 * order, drawn in time order; points that are not finite are left out) on
 * axis.  Returns 0, or -EINVAL for n == 0 or no finite point, -E2BIG past 16
 * lines. */
int svg_chart_line(svg_chart *c, enum svg_axis axis, const char *name, const double *t,
		   const double *v, size_t n) __attribute__((warn_unused_result));

/* Adds a band from lo to hi (finite) across the plot on axis, named name.
 * Returns 0, -EINVAL or -E2BIG (past 8 bands). */
int svg_chart_band(svg_chart *c, enum svg_axis axis, const char *name, double lo, double hi)
	__attribute__((warn_unused_result));

/* The document (NUL-terminated, malloc'd: the caller frees it), its length
 * in *len.  Never NULL (allocation failure is fatal). */
char *svg_chart_render(const svg_chart *c, size_t *len);

#endif
