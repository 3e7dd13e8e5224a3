/* dash.h - the collector's dashboard as HTML: an overview of every source
 * with its state, a page per source with its graphs for a day, a week, a
 * month and a year, and the alerts with their history.  Plain HTML5 and
 * one stylesheet served from the binary: no JavaScript, no framework, no
 * build step; readable on a phone (one column below 700 px), graphs are
 * <img> of the SVG that librrd draws (served elsewhere: see the URLs).
 *
 * Pure: builds documents from the view structs below; no I/O, no globals
 * except the constant stylesheet.  Every text that comes from outside (a
 * target, a label value, an error message, a reason) is HTML-escaped (and
 * invalid UTF-8, control characters and noncharacters in it become U+FFFD);
 * every one put into a URL is percent-encoded.  The documents are also
 * well-formed XML (void elements written <meta ... />), so that tests can
 * check them with an XML parser as well as an HTML one.
 *
 * URLs (the collector routes them):
 *   /                                  overview
 *   /source?kind=K&target=T[&span=S]   a source's page; span day (default),
 *                                      week, month, year, or all (the four
 *                                      one under the other per graph)
 *   /graph?kind=K&target=T&id=G&span=S an SVG graph (image/svg+xml)
 *   /alerts                            every alert state and the history
 *   /style.css                         the stylesheet
 */
#ifndef SUNDIAL_WEB_DASH_H
#define SUNDIAL_WEB_DASH_H

#include <stdbool.h>
#include <stddef.h>

/* 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (Nagios' numbers, as alert.h). */
struct dash_alert {
	const char *name;   /* "offset" */
	const char *series; /* what it watches: "sundial_daemon_offset_seconds@192.0.2.1" */
	int state;
	double since;	    /* Unix seconds */
	double value;	    /* NAN: none */
	const char *reason; /* "" when OK from the start */
};

struct dash_change {
	double t;
	const char *kind, *target;
	const char *name, *series;
	int from, to;
	const char *reason;
};

struct dash_source {
	const char *kind, *target;
	int state;	    /* the worst of its alerts; UNKNOWN before its first sample */
	const char *why;    /* one line: the worst alert's reason, or the last error, or "" */
	double last_sample; /* Unix seconds, NAN: none yet */
	bool last_ok;
	const char *last_error; /* "" if none */
	double interval;
	/* a few headline values for the overview, each "label: value" already
	 * formatted by the collector ("offset: +12.3 µs", "stratum: 2"); up to 4 */
	const char *headline[4];
	size_t n_headline;
	const struct dash_alert *alerts;
	size_t n_alerts;
};

struct dash_graph {
	const char *id, *title, *legend; /* from store/graph.h's catalogue */
};

/* Every builder returns a malloc'd NUL-terminated document in *out (the
 * caller frees it) and its length in *len: 0, or -ENOMEM (nothing to free),
 * or -EINVAL if out or len is NULL or an array is NULL with a count that is
 * not 0.  now: Unix seconds (for "12 s ago").  Strings in the structs may be
 * NULL (shown as "").
 *
 * changes[] is the history of alert state changes OLDEST FIRST, as the
 * collector appends them; the pages show them newest first. */

/* The overview: a table of the sources in the order given (state as a
 * coloured word and a shape that does not rely on colour, kind, target,
 * why, last sample as "N s ago", headlines), the counts per state at the
 * top, the 10 latest changes, a link to /alerts.  Refreshes itself every 60 s with
 * <meta http-equiv="refresh"> (no script). */
int dash_overview(const struct dash_source *src, size_t n, const struct dash_change *changes,
		  size_t n_changes, double now, char **out, size_t *len)
	__attribute__((warn_unused_result));

/* A source's page: its state and alerts, then each graph (title, <img
 * src="/graph?..." width height alt=title>, legend sentence under it) for
 * span ("day", "week", "month", "year" or "all"; NULL: "day"), links to the
 * other spans, its recent changes (those of s's kind and target in
 * changes[], the 50 latest).  -EINVAL for any other span (the collector
 * answers 400 with dash_error_page()). */
int dash_source_page(const struct dash_source *s, const struct dash_graph *g, size_t n_graphs,
		     const char *span, const struct dash_change *changes, size_t n_changes,
		     double now, char **out, size_t *len) __attribute__((warn_unused_result));

/* Every alert of every source (the worst first: CRITICAL, WARNING,
 * UNKNOWN, OK; in the order given within a state) and the whole history,
 * newest first. */
int dash_alerts_page(const struct dash_source *src, size_t n, const struct dash_change *changes,
		     size_t n_changes, double now, char **out, size_t *len)
	__attribute__((warn_unused_result));

/* A page for an error (404: no such source, 400: bad span), with a link
 * back to the overview. */
int dash_error_page(unsigned status, const char *message, char **out, size_t *len)
	__attribute__((warn_unused_result));

/* The stylesheet (static; light and dark through prefers-color-scheme). */
const char *dash_css(size_t *len);

/* Helpers, exported for the collector and the tests. */
/* HTML-escapes s (& < > " ' -> &amp; &lt; &gt; &quot; &#39;; other bytes
 * are copied) into buf; false if it does not fit (then buf is "" if len is
 * not 0). */
bool dash_escape(const char *s, char *buf, size_t len);
/* Percent-encodes s for a query value (unreserved characters A-Z a-z 0-9
 * - . _ ~ kept, every other byte %XX in upper case) into buf; false if it
 * does not fit (then buf is "" if len is not 0). */
bool dash_urlencode(const char *s, char *buf, size_t len);
/* "OK", "WARNING", "CRITICAL", "UNKNOWN" (anything else: "UNKNOWN"). */
const char *dash_state_name(int state);

#endif
