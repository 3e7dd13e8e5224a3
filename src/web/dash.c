/* dash.c - the dashboard's HTML documents (see dash.h).
 *
 * Every document is built in one growable buffer with a sticky error flag
 * (like the readers of STYLE.md): the appenders do nothing once an
 * allocation has failed, and the builder checks the flag once at the end
 * and returns -ENOMEM.  Plain malloc/realloc, never mem_*(): a page too big
 * for memory must not take the collector down.
 *
 * The documents are HTML5 that is also well-formed XML (every element
 * closed, void elements written "<meta ... />", attributes quoted, only the
 * five XML entities), so they can be checked with an XML parser as well.
 * Text from outside goes through put_text(): the five characters of
 * dash_escape() become entities, and what XML and HTML forbid in a
 * document (C0 and C1 controls but tab, LF and CR, noncharacters, invalid
 * UTF-8) becomes U+FFFD.  Text put into a URL goes through put_url(). */
#include "web/dash.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REFRESH_SECONDS 60
#define OVERVIEW_CHANGES 10 /* the latest changes on the overview */
#define SOURCE_CHANGES 50   /* the latest changes of one source on its page */
/* The size of a graph's image, for the img's width and height (the browser
 * reserves the space before the SVG arrives; CSS scales it down on a
 * narrow screen): a 600x200 plot area with librrd's margins and a legend
 * of a line or two (rrdtool draws 697x268 for one line and a comment). */
#define GRAPH_WIDTH 697
#define GRAPH_HEIGHT 290

#define NO_VALUE "\xe2\x80\x93"	   /* "–", EN DASH */
#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* ---- the growable buffer ---- */

struct buf {
	char *p;
	size_t len, cap;
	bool oom; /* sticky: an allocation failed, nothing more is appended */
};

/* Room for n more bytes and the NUL; false (and oom set) if there is none. */
static bool buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return false;
	if (n > SIZE_MAX - 1 - b->len) {
		b->oom = true;
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void put_mem(struct buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Markup written by this module, not escaped. */
static void put(struct buf *b, const char *s)
{
	put_mem(b, s, strlen(s));
}

static void put_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf_reserve(b, 0))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true; /* (an encoding error: none of our formats has one) */
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (!buf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0 || (size_t)n >= b->cap - b->len) {
			b->oom = true;
			return;
		}
	}
	b->len += (size_t)n;
}

/* Hands the document over: 0, or -ENOMEM (and the buffer freed). */
static int buf_finish(struct buf *b, char **out, size_t *len)
{
	if (!buf_reserve(b, 0)) {
		free(b->p);
		*out = NULL;
		*len = 0;
		return -ENOMEM;
	}
	*out = b->p;
	*len = b->len;
	return 0;
}

/* ---- escaping ---- */

/* The entity for c, or NULL if c stands for itself. */
static const char *entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	default: return NULL;
	}
}

/* The length of the valid, allowed UTF-8 sequence at s (at most left
 * bytes), 0 if it is not one: overlong forms, surrogates, beyond U+10FFFF,
 * C0 controls but tab, LF and CR, DEL, C1 controls and noncharacters
 * (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF) are not. */
static size_t utf8_ok(const unsigned char *s, size_t left)
{
	uint32_t cp, min;
	size_t n, i;

	if (s[0] < 0x80) {
		if (s[0] == 0x7f || (s[0] < 0x20 && s[0] != '\t' && s[0] != '\n' && s[0] != '\r'))
			return 0;
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2, cp = s[0] & 0x1fu, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3, cp = s[0] & 0x0fu, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4, cp = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp <= 0x9f || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
		return 0;
	return n;
}

/* Text from outside, escaped and repaired (see the top).  NULL is "". */
static void put_text(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t left = strlen((const char *)p), run = 0, n;
	const char *e;

	while (left > run) {
		const unsigned char *q = p + run;
		e = entity(*q);
		n = e ? 0 : utf8_ok(q, left - run);
		if (n) {
			run += n;
			continue;
		}
		put_mem(b, (const char *)p, run);
		put(b, e ? e : REPLACEMENT);
		p = q + 1;
		left -= run + 1;
		run = 0;
	}
	put_mem(b, (const char *)p, run);
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static const char hex[] = "0123456789ABCDEF";

/* A query value, percent-encoded.  NULL is "". */
static void put_url(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char pct[3] = { '%', 0, 0 };

	for (; *p; p++) {
		if (unreserved(*p)) {
			put_mem(b, (const char *)p, 1);
		} else {
			pct[1] = hex[*p >> 4];
			pct[2] = hex[*p & 15];
			put_mem(b, pct, 3);
		}
	}
}

bool dash_escape(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0, n;
	const char *e;

	if (!buf || len == 0)
		return false;
	for (; *p; p++) {
		e = entity(*p);
		n = e ? strlen(e) : 1;
		if (n >= len - o) {
			buf[0] = '\0';
			return false;
		}
		if (e)
			memcpy(buf + o, e, n);
		else
			buf[o] = (char)*p;
		o += n;
	}
	buf[o] = '\0';
	return true;
}

bool dash_urlencode(const char *s, char *buf, size_t len)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t o = 0;

	if (!buf || len == 0)
		return false;
	for (; *p; p++) {
		size_t n = unreserved(*p) ? 1 : 3;
		if (n >= len - o) {
			buf[0] = '\0';
			return false;
		}
		if (n == 1) {
			buf[o] = (char)*p;
		} else {
			buf[o] = '%';
			buf[o + 1] = hex[*p >> 4];
			buf[o + 2] = hex[*p & 15];
		}
		o += n;
	}
	buf[o] = '\0';
	return true;
}

/* ---- states, times, numbers ---- */

const char *dash_state_name(int state)
{
	switch (state) {
	case 0: return "OK";
	case 1: return "WARNING";
	case 2: return "CRITICAL";
	default: return "UNKNOWN";
	}
}

static int state_norm(int state)
{
	return state >= 0 && state <= 2 ? state : 3;
}

static const char *state_class(int state)
{
	static const char *const cls[] = { "state-ok", "state-warning", "state-critical",
					   "state-unknown" };
	return cls[state_norm(state)];
}

/* A shape that says the state without colour. */
static const char *state_symbol(int state)
{
	static const char *const sym[] = { "\xe2\x9c\x93", "!", "\xe2\x9c\x97", "?" }; /* ✓ ! ✗ ? */
	return sym[state_norm(state)];
}

/* Worst first: CRITICAL, WARNING, UNKNOWN, OK. */
static int state_rank(int state)
{
	static const int rank[] = { 3, 1, 0, 2 };
	return rank[state_norm(state)];
}

/* "✓ OK" in a span of the state's class. */
static void put_state(struct buf *b, int state)
{
	put_printf(b,
		   "<span class=\"state %s\"><span class=\"symbol\" aria-hidden=\"true\">%s</span> "
		   "%s</span>",
		   state_class(state), state_symbol(state), dash_state_name(state));
}

/* t as UTC ("2026-11-26 16:40:12Z") in out (64 bytes); false if t is not
 * a time of years 1..9999. */
static bool utc(double t, char out[64])
{
	struct tm tm;
	time_t tt;

	if (!(t >= -62135596800.0 && t < 253402300800.0))
		return false;
	tt = (time_t)floor(t);
	if (!gmtime_r(&tt, &tm))
		return false;
	return strftime(out, 64, "%Y-%m-%d %H:%M:%SZ", &tm) != 0;
}

/* "2026-11-26 16:40:12Z", or NO_VALUE. */
static void put_utc(struct buf *b, double t)
{
	char human[64];

	if (utc(t, human))
		put(b, human);
	else
		put(b, NO_VALUE);
}

/* How long ago t was: "12 s ago", "3 min ago", "5 h ago", "2 d ago" (in a
 * span whose title is the UTC time); "never" for NAN (none yet), NO_VALUE
 * for a time in the future or one that is not a date. */
static void put_ago(struct buf *b, double t, double now)
{
	char human[64], ago[64];
	double d = now - t;

	if (isnan(t)) {
		put(b, "never");
		return;
	}
	if (isnan(d) || d < -1.0 || !utc(t, human)) {
		put(b, NO_VALUE);
		return;
	}
	if (d < 0)
		d = 0; /* (a second ahead: the clocks of two threads) */
	if (d < 60)
		snprintf(ago, sizeof ago, "%.0f s ago", floor(d));
	else if (d < 3600)
		snprintf(ago, sizeof ago, "%.0f min ago", floor(d / 60));
	else if (d < 86400)
		snprintf(ago, sizeof ago, "%.0f h ago", floor(d / 3600));
	else
		snprintf(ago, sizeof ago, "%.0f d ago", floor(d / 86400));
	put_printf(b, "<span class=\"ago\" title=\"%s\">%s</span>", human, ago);
}

/* A measured value: "%.6g", NO_VALUE for NAN. */
static void put_value(struct buf *b, double v)
{
	if (isnan(v))
		put(b, NO_VALUE);
	else
		put_printf(b, "%.6g", v);
}

/* ---- the parts of a page ---- */

enum nav { NAV_NONE, NAV_OVERVIEW, NAV_ALERTS };

static void nav_link(struct buf *b, const char *href, const char *label, bool current)
{
	put_printf(b, "<a href=\"%s\"%s>%s</a>", href, current ? " aria-current=\"page\"" : "",
		   label);
}

/* From the doctype to the main part, <div id="main_id">; the title is title1 [title2]
 * [suffix], the first two from outside. */
static void page_begin(struct buf *b, const char *title1, const char *title2, const char *suffix,
		       bool refresh, enum nav nav, const char *main_id)
{
	put(b, "<!DOCTYPE html>\n"
	       "<html lang=\"en\">\n"
	       "<head>\n"
	       "<meta charset=\"utf-8\" />\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n");
	if (refresh)
		put_printf(b, "<meta http-equiv=\"refresh\" content=\"%d\" />\n", REFRESH_SECONDS);
	put(b, "<title>");
	put_text(b, title1);
	if (title2) {
		put(b, " ");
		put_text(b, title2);
	}
	if (suffix)
		put(b, suffix);
	put(b, "</title>\n"
	       "<link rel=\"stylesheet\" href=\"/style.css\" />\n"
	       "</head>\n"
	       "<body>\n"
	       "<div class=\"top\" role=\"banner\">\n"
	       "<a class=\"brand\" href=\"/\">sundial</a>\n"
	       "<div class=\"nav\" role=\"navigation\" aria-label=\"Main\">");
	nav_link(b, "/", "Overview", nav == NAV_OVERVIEW);
	put(b, " ");
	nav_link(b, "/alerts", "Alerts", nav == NAV_ALERTS);
	put_printf(b, "</div>\n</div>\n<div class=\"main\" id=\"%s\" role=\"main\">\n", main_id);
}

static void page_end(struct buf *b)
{
	put(b, "</div>\n</body>\n</html>\n");
}

/* /source?kind=K&amp;target=T (for an attribute) */
static void put_source_href(struct buf *b, const char *kind, const char *target)
{
	put(b, "/source?kind=");
	put_url(b, kind);
	put(b, "&amp;target=");
	put_url(b, target);
}

/* <a href="/source?...">[KIND ]TARGET</a> */
static void put_source_link(struct buf *b, const char *kind, const char *target, bool with_kind)
{
	put(b, "<a href=\"");
	put_source_href(b, kind, target);
	put(b, "\">");
	if (with_kind) {
		put_text(b, kind);
		put(b, " ");
	}
	put_text(b, target);
	put(b, "</a>");
}

/* name="value" with value from outside. */
static void put_attr(struct buf *b, const char *name, const char *value)
{
	put_printf(b, " %s=\"", name);
	put_text(b, value);
	put(b, "\"");
}

static void put_empty_row(struct buf *b, unsigned cols, const char *text)
{
	put_printf(b, "<tr class=\"empty\"><td colspan=\"%u\">%s</td></tr>\n", cols, text);
}

static bool streq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The changes newest first (changes[] is oldest first), only those of
 * kind and target if kind is not NULL, at most max (0: all). */
static void put_changes(struct buf *b, const struct dash_change *changes, size_t n_changes,
			const char *kind, const char *target, size_t max, const char *id)
{
	size_t i = n_changes, shown = 0;

	put_printf(b, "<div class=\"scroll\">\n<table id=\"%s\">\n", id);
	put(b, "<thead><tr><th scope=\"col\">Time (UTC)</th>");
	if (!kind)
		put(b, "<th scope=\"col\">Source</th>");
	put(b, "<th scope=\"col\">Alert</th><th scope=\"col\">Change</th>"
	       "<th scope=\"col\">Reason</th></tr></thead>\n<tbody>\n");
	while (i-- > 0 && (max == 0 || shown < max)) {
		const struct dash_change *c = &changes[i];
		if (kind && (!streq(c->kind, kind) || !streq(c->target, target)))
			continue;
		shown++;
		put(b, "<tr class=\"change\"");
		put_attr(b, "data-kind", c->kind);
		put_attr(b, "data-target", c->target);
		put_attr(b, "data-alert", c->name);
		put_printf(b, " data-from=\"%s\" data-to=\"%s\"><td>", dash_state_name(c->from),
			   dash_state_name(c->to));
		put_utc(b, c->t);
		put(b, "</td>");
		if (!kind) {
			put(b, "<td>");
			put_source_link(b, c->kind, c->target, true);
			put(b, "</td>");
		}
		put(b, "<td>");
		put_text(b, c->name);
		if (c->series && *c->series) {
			put(b, "<br /><small>");
			put_text(b, c->series);
			put(b, "</small>");
		}
		put(b, "</td><td class=\"transition\">");
		put_state(b, c->from);
		put(b, " \xe2\x86\x92 "); /* → */
		put_state(b, c->to);
		put(b, "</td><td>");
		put_text(b, c->reason);
		put(b, "</td></tr>\n");
	}
	if (shown == 0)
		put_empty_row(b, kind ? 4 : 5, "No changes yet.");
	put(b, "</tbody>\n</table>\n</div>\n");
}

/* One alert's row; with its source's columns if s is not NULL. */
static void put_alert_row(struct buf *b, const struct dash_source *s, const struct dash_alert *a,
			  double now)
{
	put(b, "<tr class=\"alert\"");
	if (s) {
		put_attr(b, "data-kind", s->kind);
		put_attr(b, "data-target", s->target);
	}
	put_attr(b, "data-alert", a->name);
	put_printf(b, " data-state=\"%s\"><td>", dash_state_name(a->state));
	put_state(b, a->state);
	put(b, "</td>");
	if (s) {
		put(b, "<td>");
		put_source_link(b, s->kind, s->target, true);
		put(b, "</td>");
	}
	put(b, "<td>");
	put_text(b, a->name);
	put(b, "</td><td><small>");
	put_text(b, a->series);
	put(b, "</small></td><td class=\"num\">");
	put_value(b, a->value);
	put(b, "</td><td>");
	put_ago(b, a->since, now);
	put(b, "</td><td>");
	put_text(b, a->reason);
	put(b, "</td></tr>\n");
}

static void put_alerts_head(struct buf *b, bool with_source)
{
	put(b, "<div class=\"scroll\">\n<table id=\"alerts\">\n<thead><tr><th "
	       "scope=\"col\">State</th>");
	if (with_source)
		put(b, "<th scope=\"col\">Source</th>");
	put(b, "<th scope=\"col\">Alert</th><th scope=\"col\">Watches</th>"
	       "<th scope=\"col\">Value</th><th scope=\"col\">Since</th>"
	       "<th scope=\"col\">Reason</th></tr></thead>\n<tbody>\n");
}

static void put_table_end(struct buf *b)
{
	put(b, "</tbody>\n</table>\n</div>\n");
}

/* "2 OK · 1 CRITICAL", each in its state's colour; none: text. */
static void put_counts(struct buf *b, const size_t count[4], const char *none)
{
	bool first = true;
	int st;

	put(b, "<p class=\"counts\" id=\"counts\">");
	for (st = 0; st < 4; st++) {
		if (!count[st])
			continue;
		if (!first)
			put(b, " \xc2\xb7 "); /* · */
		first = false;
		put_printf(b, "<span class=\"%s\">%zu %s</span>", state_class(st), count[st],
			   dash_state_name(st));
	}
	if (first)
		put(b, none);
	put(b, "</p>\n");
}

/* ---- argument checks ---- */

static bool array_ok(const void *p, size_t n)
{
	return p || n == 0;
}

static bool sources_ok(const struct dash_source *src, size_t n)
{
	size_t i;

	if (!array_ok(src, n))
		return false;
	for (i = 0; i < n; i++)
		if (!array_ok(src[i].alerts, src[i].n_alerts))
			return false;
	return true;
}

/* ---- the documents ---- */

int dash_overview(const struct dash_source *src, size_t n, const struct dash_change *changes,
		  size_t n_changes, double now, char **out, size_t *len)
{
	struct buf b = { 0 };
	size_t count[4] = { 0 }, i, h;

	if (!out || !len || !sources_ok(src, n) || !array_ok(changes, n_changes))
		return -EINVAL;
	for (i = 0; i < n; i++)
		count[state_norm(src[i].state)]++;

	page_begin(&b, "sundial", NULL, NULL, true, NAV_OVERVIEW, "overview");
	put(&b, "<h1>Overview</h1>\n");
	put_counts(&b, count, "No sources.");

	put(&b, "<h2>Sources</h2>\n<div class=\"scroll\">\n<table id=\"sources\">\n"
		"<thead><tr><th scope=\"col\">State</th><th scope=\"col\">Kind</th>"
		"<th scope=\"col\">Target</th><th scope=\"col\">Why</th>"
		"<th scope=\"col\">Last sample</th><th scope=\"col\">Values</th></tr></thead>\n"
		"<tbody>\n");
	for (i = 0; i < n; i++) {
		const struct dash_source *s = &src[i];
		size_t nh = s->n_headline < 4 ? s->n_headline : 4;

		put(&b, "<tr class=\"source\"");
		put_attr(&b, "data-kind", s->kind);
		put_attr(&b, "data-target", s->target);
		put_printf(&b, " data-state=\"%s\"><td>", dash_state_name(s->state));
		put_state(&b, s->state);
		put(&b, "</td><td>");
		put_text(&b, s->kind);
		put(&b, "</td><td>");
		put_source_link(&b, s->kind, s->target, false);
		put(&b, "</td><td>");
		put_text(&b, s->why);
		put(&b, "</td><td>");
		put_ago(&b, s->last_sample, now);
		if (!isnan(s->last_sample) && !s->last_ok)
			put(&b, " <span class=\"failed\">(failed)</span>");
		put(&b, "</td><td>");
		if (nh) {
			put(&b, "<ul class=\"values\">");
			for (h = 0; h < nh; h++) {
				put(&b, "<li>");
				put_text(&b, s->headline[h]);
				put(&b, "</li>");
			}
			put(&b, "</ul>");
		}
		put(&b, "</td></tr>\n");
	}
	if (n == 0)
		put_empty_row(&b, 6, "No sources: add some to the configuration.");
	put_table_end(&b);

	put(&b, "<h2>Latest changes</h2>\n");
	put_changes(&b, changes, n_changes, NULL, NULL, OVERVIEW_CHANGES, "changes");
	put(&b, "<p><a href=\"/alerts\">All alerts and their history</a></p>\n");
	page_end(&b);
	return buf_finish(&b, out, len);
}

static const char *const spans[] = { "day", "week", "month", "year", "all" };
#define N_SPANS (sizeof spans / sizeof spans[0])

/* The img of graph g for span (one of day .. year). */
static void put_graph_img(struct buf *b, const struct dash_source *s, const struct dash_graph *g,
			  const char *span, bool with_span)
{
	put(b, "<img src=\"/graph?kind=");
	put_url(b, s->kind);
	put(b, "&amp;target=");
	put_url(b, s->target);
	put(b, "&amp;id=");
	put_url(b, g->id);
	put_printf(b, "&amp;span=%s\" width=\"%d\" height=\"%d\" alt=\"", span, GRAPH_WIDTH,
		   GRAPH_HEIGHT);
	put_text(b, g->title);
	if (with_span)
		put_printf(b, " (%s)", span);
	put(b, "\" loading=\"lazy\" />");
}

int dash_source_page(const struct dash_source *s, const struct dash_graph *g, size_t n_graphs,
		     const char *span, const struct dash_change *changes, size_t n_changes,
		     double now, char **out, size_t *len)
{
	struct buf b = { 0 };
	size_t i, k, cur = N_SPANS;

	if (!span)
		span = "day";
	for (k = 0; k < N_SPANS; k++)
		if (strcmp(span, spans[k]) == 0)
			cur = k;
	if (cur == N_SPANS || !out || !len || !s || !sources_ok(s, 1) || !array_ok(g, n_graphs) ||
	    !array_ok(changes, n_changes))
		return -EINVAL;

	page_begin(&b, s->kind, s->target, NULL, false, NAV_NONE, "source");
	put(&b, "<h1>");
	put_text(&b, s->kind);
	put(&b, " ");
	put_text(&b, s->target);
	put(&b, "</h1>\n<p class=\"status\" id=\"status\" data-state=\"");
	put(&b, dash_state_name(s->state));
	put(&b, "\">");
	put_state(&b, s->state);
	put(&b, " \xc2\xb7 last sample ");
	put_ago(&b, s->last_sample, now);
	if (!isnan(s->last_sample) && !s->last_ok)
		put(&b, " <span class=\"failed\">(failed)</span>");
	if (s->interval > 0 && isfinite(s->interval))
		put_printf(&b, " \xc2\xb7 every %.6g s", s->interval);
	put(&b, "</p>\n");
	if (s->why && *s->why) {
		put(&b, "<p class=\"why\">");
		put_text(&b, s->why);
		put(&b, "</p>\n");
	}
	if (s->last_error && *s->last_error) {
		put(&b, "<p class=\"error\" id=\"last-error\">Last error: ");
		put_text(&b, s->last_error);
		put(&b, "</p>\n");
	}

	put(&b, "<h2>Alerts</h2>\n");
	put_alerts_head(&b, false);
	for (i = 0; i < s->n_alerts; i++)
		put_alert_row(&b, NULL, &s->alerts[i], now);
	if (s->n_alerts == 0)
		put_empty_row(&b, 6, "No alerts.");
	put_table_end(&b);

	put(&b, "<div class=\"spans\" role=\"navigation\" aria-label=\"Time span\">Graphs for:");
	for (k = 0; k < N_SPANS; k++) {
		put(&b, " <a href=\"");
		put_source_href(&b, s->kind, s->target);
		put_printf(&b, "&amp;span=%s\"%s>%s</a>", spans[k],
			   k == cur ? " class=\"current\" aria-current=\"page\"" : "", spans[k]);
	}
	put(&b, "</div>\n");
	for (i = 0; i < n_graphs; i++) {
		put(&b, "<div class=\"graph\"");
		put(&b, " id=\"graph-");
		put_url(&b, g[i].id); /* (no space in an id, and still one per graph) */
		put(&b, "\">\n<h2>");
		put_text(&b, g[i].title);
		put(&b, "</h2>\n");
		if (strcmp(span, "all") == 0) {
			put(&b, "<div class=\"all\">\n");
			for (k = 0; k < 4; k++) {
				put(&b, "<div class=\"span\">");
				put_graph_img(&b, s, &g[i], spans[k], true);
				put_printf(&b, "<p class=\"caption\">%s</p></div>\n", spans[k]);
			}
			put(&b, "</div>\n");
		} else {
			put_graph_img(&b, s, &g[i], span, false);
			put(&b, "\n");
		}
		put(&b, "<p class=\"legend\">");
		put_text(&b, g[i].legend);
		put(&b, "</p>\n</div>\n");
	}
	if (n_graphs == 0)
		put(&b, "<p class=\"empty\">No graphs for this kind of source.</p>\n");

	put(&b, "<h2>Recent changes</h2>\n");
	put_changes(&b, changes, n_changes, s->kind ? s->kind : "", s->target, SOURCE_CHANGES,
		    "changes");
	page_end(&b);
	return buf_finish(&b, out, len);
}

struct alert_ref {
	const struct dash_source *s;
	const struct dash_alert *a;
	size_t order; /* the position in the input: ties keep it */
};

static int alert_ref_cmp(const void *x, const void *y)
{
	const struct alert_ref *a = x, *b = y;
	int ra = state_rank(a->a->state), rb = state_rank(b->a->state);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

int dash_alerts_page(const struct dash_source *src, size_t n, const struct dash_change *changes,
		     size_t n_changes, double now, char **out, size_t *len)
{
	struct buf b = { 0 };
	struct alert_ref *refs = NULL;
	size_t total = 0, i, j, k = 0, count[4] = { 0 };
	if (!out || !len || !sources_ok(src, n) || !array_ok(changes, n_changes))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (src[i].n_alerts > SIZE_MAX / sizeof *refs - total)
			return -ENOMEM;
		total += src[i].n_alerts;
	}
	if (total) {
		refs = malloc(total * sizeof *refs);
		if (!refs)
			return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < src[i].n_alerts; j++, k++) {
			refs[k].s = &src[i];
			refs[k].a = &src[i].alerts[j];
			refs[k].order = k;
			count[state_norm(src[i].alerts[j].state)]++;
		}
	}
	if (total > 1)
		qsort(refs, total, sizeof *refs, alert_ref_cmp);

	page_begin(&b, "Alerts", NULL, " \xc2\xb7 sundial", false, NAV_ALERTS, "alerts-page");
	put(&b, "<h1>Alerts</h1>\n");
	put_counts(&b, count, "No alerts.");
	put(&b, "<h2>Now</h2>\n");
	put_alerts_head(&b, true);
	for (k = 0; k < total; k++)
		put_alert_row(&b, refs[k].s, refs[k].a, now);
	if (total == 0)
		put_empty_row(&b, 7, "No alerts.");
	put_table_end(&b);
	free(refs);

	put(&b, "<h2>History</h2>\n");
	put_changes(&b, changes, n_changes, NULL, NULL, 0, "history");
	page_end(&b);
	return buf_finish(&b, out, len);
}

static const char *reason_phrase(unsigned status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

int dash_error_page(unsigned status, const char *message, char **out, size_t *len)
{
	struct buf b = { 0 };
	char title[64];

	if (!out || !len)
		return -EINVAL;
	snprintf(title, sizeof title, "%u %s", status, reason_phrase(status));
	page_begin(&b, title, NULL, " \xc2\xb7 sundial", false, NAV_NONE, "error");
	put(&b, "<h1>");
	put_text(&b, title);
	put(&b, "</h1>\n<p class=\"error\" id=\"message\">");
	put_text(&b, message);
	put(&b, "</p>\n<p><a href=\"/\">Back to the overview</a></p>\n");
	page_end(&b);
	return buf_finish(&b, out, len);
}

/* ---- the stylesheet ---- */

static const char css[] =
	":root { --bg: #fff; --fg: #1b1b1b; --muted: #555; --line: #d4d4d4; --head: #f2f2f2;\n"
	"  --link: #0b57b0; --ok: #1a6b21; --warning: #8a5200; --critical: #b3001b;\n"
	"  --unknown: #5a5a5a; }\n"
	"@media (prefers-color-scheme: dark) {\n"
	"  :root { --bg: #141414; --fg: #e8e8e8; --muted: #aaa; --line: #3a3a3a; --head: #202020;\n"
	"    --link: #8cb8ff; --ok: #72d477; --warning: #f2b33d; --critical: #ff7a7a;\n"
	"    --unknown: #b4b4b4; }\n"
	"  img { background: #fff; }\n"
	"}\n"
	"* { box-sizing: border-box; }\n"
	"body { margin: 0; background: var(--bg); color: var(--fg);\n"
	"  font: 16px/1.45 system-ui, -apple-system, \"Segoe UI\", Roboto, \"Helvetica Neue\",\n"
	"    Arial, sans-serif; }\n"
	".top, .main { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }\n"
	".top { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem 1.5rem;\n"
	"  padding-top: .75rem; padding-bottom: .75rem; border-bottom: 1px solid var(--line); }\n"
	".main { padding-bottom: 2rem; }\n"
	"a { color: var(--link); }\n"
	".brand { font-weight: 700; font-size: 1.25rem; color: var(--fg); text-decoration: none; "
	"}\n"
	".nav a { margin-right: 1rem; }\n"
	"a[aria-current] { font-weight: 700; color: var(--fg); text-decoration: none; }\n"
	"h1 { font-size: 1.5rem; overflow-wrap: anywhere; }\n"
	"h2 { font-size: 1.2rem; margin-top: 2rem; }\n"
	".scroll { overflow-x: auto; max-width: 100%; }\n"
	"table { border-collapse: collapse; width: 100%; }\n"
	"th, td { text-align: left; vertical-align: top; padding: .35rem .6rem;\n"
	"  border-bottom: 1px solid var(--line); }\n"
	"th { background: var(--head); white-space: nowrap; }\n"
	"td.num, .ago { white-space: nowrap; font-variant-numeric: tabular-nums; }\n"
	"td small { color: var(--muted); overflow-wrap: anywhere; }\n"
	".values { list-style: none; margin: 0; padding: 0; }\n"
	".state { font-weight: 700; white-space: nowrap; }\n"
	".state-ok { color: var(--ok); }\n"
	".state-warning { color: var(--warning); }\n"
	".state-critical { color: var(--critical); }\n"
	".state-unknown { color: var(--unknown); }\n"
	".counts { font-size: 1.1rem; font-weight: 700; }\n"
	".error, .failed { color: var(--critical); }\n"
	".legend, .empty, .caption { color: var(--muted); }\n"
	".spans a { display: inline-block; padding: .25rem .4rem; margin: 0; }\n"
	".graph img { display: block; max-width: 100%; height: auto; }\n"
	".all { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1rem; }\n"
	".caption { font-size: .85rem; margin: .2rem 0 0; }\n"
	"@media (max-width: 700px) {\n"
	"  body { font-size: 15px; }\n"
	"  .top { display: block; }\n"
	"  .top .nav { margin-top: .25rem; }\n"
	"  .all { grid-template-columns: 1fr; }\n"
	"  th, td { padding: .3rem .4rem; }\n"
	"}\n";

const char *dash_css(size_t *len)
{
	if (len)
		*len = sizeof css - 1;
	return css;
}
