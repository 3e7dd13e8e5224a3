/* dashboard.c - the collector's dashboard: the pages of web/dash.h filled
 * from the running sources, their alerts and the change history, and the
 * graphs of store/graph.h drawn by librrd (store/rrd.h) from the RRD files.
 *
 * Everything runs on the collector's loop.  A graph takes librrd some
 * milliseconds (more for a year of a 1-s series); each drawn SVG is kept
 * for a minute (or the source's interval if longer), so a page that many
 * people look at costs one drawing per graph and minute. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/internal.h"
#include "common/clock.h"
#include "common/mem.h"
#include "store/graph.h"
#include "web/dash.h"

#define GRAPH_WIDTH 640
#define GRAPH_HEIGHT 160
#define CACHE_MAX 64
#define CACHE_TTL 60.0

struct cached {
	char key[600];
	double made; /* monotonic */
	double ttl;
	unsigned char *img;
	size_t len;
};

static struct cached cache[CACHE_MAX];

static struct src *find_source(struct collector *c, const char *kind, const char *target)
{
	for (size_t i = 0; i < c->n_src; i++) {
		struct src *s = &c->src[i];
		if (strcmp(collect_kind_name(s->cfg->kind), kind) == 0 &&
		    strcmp(s->cfg->target, target) == 0)
			return s;
	}
	return NULL;
}

/* ---- the view of the sources ---- */

struct views {
	struct dash_source *src;
	struct dash_alert *alerts; /* all sources' alerts, each source a slice */
	size_t n_alerts, cap_alerts;
	char (*headline)[4][64];
	char (*why)[200];
	struct dash_change *changes;
	size_t n_changes;
};

struct collect_alerts {
	struct views *v;
	const char *prefix;
	size_t prefix_len;
};

static void collect_alert(void *arg, const struct alert_view *av)
{
	struct collect_alerts *ca = arg;
	if (strncmp(av->series_key, ca->prefix, ca->prefix_len) != 0)
		return;
	struct views *v = ca->v;
	if (v->n_alerts == v->cap_alerts) {
		v->cap_alerts = v->cap_alerts ? 2 * v->cap_alerts : 64;
		v->alerts = mem_realloc(v->alerts, v->cap_alerts * sizeof v->alerts[0]);
	}
	struct dash_alert *a = &v->alerts[v->n_alerts++];
	a->name = av->rule->name;
	a->series = av->series_key + ca->prefix_len;
	a->state = (int)av->state;
	a->since = av->since;
	a->value = av->last_value;
	a->reason = av->reason;
}

/* A value in seconds for people: "+12.3 µs", "-1.50 ms", "2.00 s". */
static void fmt_seconds(double v, char *buf, size_t len)
{
	double a = fabs(v);
	if (a < 1e-3)
		snprintf(buf, len, "%+.1f µs", v * 1e6);
	else if (a < 1)
		snprintf(buf, len, "%+.2f ms", v * 1e3);
	else
		snprintf(buf, len, "%+.2f s", v);
}

/* The value of a family's first series with a value, or NAN. */
static double value_of(const struct src *s, const char *family, const char *label_value)
{
	for (size_t i = 0; i < s->n_series; i++) {
		const metric_series *ms = s->series[i];
		const metric_family *f = metric_series_family(ms);
		if (strcmp(metric_family_name(f), family) != 0)
			continue;
		if (label_value) {
			size_t n = metric_family_label_count(f);
			if (n < 3 || strcmp(metric_series_label_value(ms, 2), label_value) != 0)
				continue;
		}
		double t, v;
		if (metric_series_value(ms, &t, &v))
			return v;
	}
	return NAN;
}

struct headline {
	const char *label, *family, *label_value;
	int how; /* 0 seconds, 1 integer, 2 %, 3 plain, 4 °C, 5 meters as km, 6 a rate */
};

/* A few values of a source for the overview. */
static size_t headlines(const struct src *s, char out[4][64])
{
	struct headline want[4];
	size_t n = 0;
	switch (s->cfg->kind) {
	case COLLECT_NTPD:
	case COLLECT_CHRONYD:
		want[n++] = (struct headline){ "offset", "sundial_daemon_offset_seconds", NULL, 0 };
		want[n++] = (struct headline){ "stratum", "sundial_daemon_stratum", NULL, 1 };
		want[n++] =
			(struct headline){ "good sources", "sundial_daemon_good_sources", NULL, 1 };
		break;
	case COLLECT_SERVER:
		want[n++] = (struct headline){ "offset", "sundial_query_offset_seconds", NULL, 0 };
		want[n++] = (struct headline){ "delay", "sundial_query_delay_seconds", NULL, 0 };
		want[n++] = (struct headline){ "stratum", "sundial_query_stratum", NULL, 1 };
		break;
	case COLLECT_GPSD:
		want[n++] = (struct headline){ "fix", "sundial_gps_fix_mode", NULL, 1 };
		want[n++] = (struct headline){ "used", "sundial_gps_satellites_used", NULL, 1 };
		want[n++] = (struct headline){ "seen", "sundial_gps_satellites_seen", NULL, 1 };
		want[n++] = (struct headline){ "HDOP", "sundial_gps_hdop", NULL, 3 };
		break;
	case COLLECT_CAPTURE:
		want[n++] = (struct headline){ "clients 5m", "sundial_traffic_clients", "5m", 1 };
		want[n++] = (struct headline){ "requests/s", "sundial_traffic_requests_per_second",
					       NULL, 3 };
		want[n++] =
			(struct headline){ "p99", "sundial_traffic_response_p99_seconds", NULL, 0 };
		break;
	case COLLECT_HWMON:
		want[n++] = (struct headline){ "temperature", "sundial_hwmon_temperature_celsius",
					       NULL, 4 };
		break;
	case COLLECT_SNMP:
		/* the shipped profiles' headline objects: those the agent has */
		want[n++] = (struct headline){ "offset",
					       "sundial_snmp_meinberg_ntp_refclock_offset_seconds",
					       NULL, 0 };
		want[n++] = (struct headline){ "stratum", "sundial_snmp_meinberg_ntp_stratum", NULL,
					       1 };
		want[n++] = (struct headline){ "clients", "sundial_snmp_meinberg_ntp_clients", NULL,
					       1 };
		want[n++] = (struct headline){ "load", "sundial_snmp_host_load1", NULL, 3 };
		break;
	case COLLECT_ADSB:
		want[n++] = (struct headline){ "aircraft", "sundial_adsb_aircraft", NULL, 1 };
		want[n++] = (struct headline){ "with position",
					       "sundial_adsb_aircraft_with_position", NULL, 1 };
		want[n++] = (struct headline){ "messages/s", "sundial_adsb_messages_per_second",
					       NULL, 6 };
		want[n++] = (struct headline){ "range", "sundial_adsb_max_range_meters", NULL, 5 };
		break;
	case COLLECT_EXEC: break;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		double v = value_of(s, want[i].family, want[i].label_value);
		if (!isfinite(v))
			continue;
		char num[40];
		switch (want[i].how) {
		case 0: fmt_seconds(v, num, sizeof num); break;
		case 1: snprintf(num, sizeof num, "%.0f", v); break;
		case 2: snprintf(num, sizeof num, "%.0f %%", v * 100); break;
		case 4: snprintf(num, sizeof num, "%.1f °C", v); break;
		case 5: snprintf(num, sizeof num, "%.1f km", v / 1000); break;
		case 6: snprintf(num, sizeof num, fabs(v) < 10 ? "%.1f" : "%.0f", v); break;
		default: snprintf(num, sizeof num, "%.3g", v); break;
		}
		snprintf(out[k++], 64, "%s: %s", want[i].label, num);
	}
	return k;
}

static void views_free(struct views *v)
{
	free(v->src);
	free(v->alerts);
	free(v->headline);
	free(v->why);
	free(v->changes);
}

/* The view of every source, and the history oldest first. */
static void views_make(struct collector *c, struct views *v)
{
	memset(v, 0, sizeof *v);
	size_t n = c->n_src;
	v->src = mem_calloc(n ? n : 1, sizeof v->src[0]);
	v->headline = mem_calloc(n ? n : 1, sizeof v->headline[0]);
	v->why = mem_calloc(n ? n : 1, sizeof v->why[0]);
	size_t *first = mem_calloc(n ? n : 1, sizeof first[0]);
	for (size_t i = 0; i < n; i++) {
		struct src *s = &c->src[i];
		char prefix[400];
		collector_alert_prefix(s, prefix, sizeof prefix);
		first[i] = v->n_alerts;
		if (c->alerts) {
			struct collect_alerts ca = { v, prefix, strlen(prefix) };
			alert_each(c->alerts, collect_alert, &ca);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct src *s = &c->src[i];
		struct dash_source *d = &v->src[i];
		d->kind = collect_kind_name(s->cfg->kind);
		d->target = s->cfg->target;
		d->interval = s->cfg->interval;
		d->last_sample = s->published ? s->pub_t : NAN;
		d->last_ok = s->published && s->pub_rc == 0;
		d->last_error = s->last_err;
		d->alerts = v->alerts + first[i];
		d->n_alerts = (i + 1 < n ? first[i + 1] : v->n_alerts) - first[i];
		int worst = ALERT_OK;
		const char *why = "";
		for (size_t k = 0; k < d->n_alerts; k++) {
			const struct dash_alert *a = &d->alerts[k];
			static const int rank[] = { 0, 2, 3, 1 }; /* OK, WARN, CRIT, UNKNOWN */
			if (a->state >= 0 && a->state <= 3 && rank[a->state] > rank[worst]) {
				worst = a->state;
				why = a->reason;
			}
		}
		if (!s->published) {
			worst = ALERT_UNKNOWN;
			why = "no sample yet";
		} else if (worst == ALERT_OK && s->pub_rc != 0) {
			why = s->last_err; /* failing, not yet for the hold time */
		}
		d->state = worst;
		if (why[0] && strcmp(why, s->last_err) != 0 && s->pub_rc != 0)
			str_format(v->why[i], sizeof v->why[i], "%s (%s)", why, s->last_err);
		else
			str_copy(v->why[i], why, sizeof v->why[i]);
		d->why = v->why[i];
		d->n_headline = headlines(s, v->headline[i]);
		for (size_t k = 0; k < d->n_headline; k++)
			d->headline[k] = v->headline[i][k];
	}
	free(first);
	v->changes = mem_calloc(c->hist_n ? c->hist_n : 1, sizeof v->changes[0]);
	for (size_t k = 0; k < c->hist_n; k++) {
		const struct change_rec *r = &c->hist[(c->hist_head + k) % HISTORY_MAX];
		v->changes[k] = (struct dash_change){ r->t,	 r->kind, r->target, r->name,
						      r->series, r->from, r->to,     r->reason };
	}
	v->n_changes = c->hist_n;
}

/* ---- routes ---- */

static int reply_doc(struct http_reply *r, int rc, char *doc, size_t len, const char *type)
{
	if (rc != 0)
		return rc;
	r->content_type = type;
	r->body = doc;
	r->len = len;
	return 0;
}

static int reply_error(struct http_reply *r, unsigned status, const char *msg)
{
	char *doc;
	size_t len;
	int rc = dash_error_page(status, msg, &doc, &len);
	r->status = status;
	return reply_doc(r, rc, doc, len, "text/html; charset=utf-8");
}

static int on_overview(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)path;
	(void)query;
	struct collector *c = arg;
	struct views v;
	views_make(c, &v);
	size_t skip = v.n_changes > 10 ? v.n_changes - 10 : 0;
	char *doc;
	size_t len;
	int rc = dash_overview(v.src, c->n_src, v.changes + skip, v.n_changes - skip,
			       clock_real_sec(), &doc, &len);
	views_free(&v);
	return reply_doc(r, rc, doc, len, "text/html; charset=utf-8");
}

static int on_alerts(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)path;
	(void)query;
	struct collector *c = arg;
	struct views v;
	views_make(c, &v);
	char *doc;
	size_t len;
	int rc = dash_alerts_page(v.src, c->n_src, v.changes, v.n_changes, clock_real_sec(), &doc,
				  &len);
	views_free(&v);
	return reply_doc(r, rc, doc, len, "text/html; charset=utf-8");
}

/* The graphs a source has files for, in catalogue order; exec: one per
 * value.  Strings of exec specs live in bufs (GRAPH_MAX_LINES x 256). */
static size_t source_graphs(struct collector *c, struct src *s, struct graph_spec *out, size_t max,
			    char (*bufs)[256])
{
	const char *kind = collect_kind_name(s->cfg->kind);
	size_t n = 0;
	if (s->cfg->kind == COLLECT_EXEC) {
		for (size_t i = 0; i < s->n_series && n < max; i++)
			if (graph_exec_spec(s->rrd_metric[i], &out[n], bufs[n], sizeof bufs[n]))
				n++;
	} else {
		size_t nc;
		const struct graph_spec *cat = graph_catalogue(kind, &nc);
		for (size_t i = 0; i < nc && n < max; i++)
			out[n++] = cat[i];
	}
	/* only those with a file */
	size_t k = 0;
	struct graph_line line;
	for (size_t i = 0; i < n; i++)
		if (graph_lines(c->cfg->datadir, kind, s->cfg->target, &out[i], &line, 1) > 0)
			out[k++] = out[i];
	return k;
}

static int on_source(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)path;
	struct collector *c = arg;
	char kind[32], target[300], span[16] = "day";
	if (!collector_query_get(query, "kind", kind, sizeof kind) ||
	    !collector_query_get(query, "target", target, sizeof target))
		return reply_error(r, 400, "/source needs kind= and target=");
	if (query && strstr(query, "span=") &&
	    !collector_query_get(query, "span", span, sizeof span))
		return reply_error(r, 400, "span: day, week, month, year or all");
	struct src *s = find_source(c, kind, target);
	if (!s)
		return reply_error(r, 404, "no such source");
	struct graph_spec specs[48];
	char bufs[48][256];
	size_t ng = source_graphs(c, s, specs, 48, bufs);
	struct dash_graph g[48];
	for (size_t i = 0; i < ng; i++)
		g[i] = (struct dash_graph){ specs[i].id, specs[i].title, specs[i].legend };
	struct views v;
	views_make(c, &v);
	/* this source's changes only */
	size_t k = 0;
	for (size_t i = 0; i < v.n_changes; i++)
		if (strcmp(v.changes[i].kind, kind) == 0 &&
		    strcmp(v.changes[i].target, target) == 0)
			v.changes[k++] = v.changes[i];
	char *doc;
	size_t len;
	int rc = dash_source_page(&v.src[s - c->src], g, ng, span, v.changes, k, clock_real_sec(),
				  &doc, &len);
	views_free(&v);
	if (rc == -EINVAL)
		return reply_error(r, 400, "span: day, week, month, year or all");
	return reply_doc(r, rc, doc, len, "text/html; charset=utf-8");
}

static int on_graph(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)path;
	struct collector *c = arg;
	char kind[32], target[300], id[96], span_s[16];
	enum graph_span span;
	if (!collector_query_get(query, "kind", kind, sizeof kind) ||
	    !collector_query_get(query, "target", target, sizeof target) ||
	    !collector_query_get(query, "id", id, sizeof id) ||
	    !collector_query_get(query, "span", span_s, sizeof span_s) ||
	    !graph_span_parse(span_s, &span))
		return reply_error(r, 400,
				   "/graph needs kind=, target=, id= and span= (day, week, month, "
				   "year)");
	struct src *s = find_source(c, kind, target);
	if (!s)
		return reply_error(r, 404, "no such source");
	struct graph_spec specs[48];
	char bufs[48][256];
	size_t ng = source_graphs(c, s, specs, 48, bufs);
	const struct graph_spec *spec = NULL;
	for (size_t i = 0; i < ng && !spec; i++)
		if (strcmp(specs[i].id, id) == 0)
			spec = &specs[i];
	if (!spec)
		return reply_error(r, 404, "no such graph for this source");

	char key[600];
	snprintf(key, sizeof key, "%s\x1f%s\x1f%s\x1f%s", kind, target, id, span_s);
	double now = clock_mono_sec();
	struct cached *slot = &cache[0];
	for (size_t i = 0; i < CACHE_MAX; i++) {
		if (strcmp(cache[i].key, key) == 0) {
			slot = &cache[i];
			break;
		}
		if (cache[i].made < slot->made)
			slot = &cache[i];
	}
	if (strcmp(slot->key, key) != 0 || now - slot->made > slot->ttl) {
		struct graph_line lines[GRAPH_MAX_LINES];
		int nl = graph_lines(c->cfg->datadir, kind, target, spec, lines, GRAPH_MAX_LINES);
		if (nl <= 0)
			return reply_error(r, 404, "no data for this graph yet");
		size_t n = (size_t)nl < GRAPH_MAX_LINES ? (size_t)nl : GRAPH_MAX_LINES;
		struct rrd_graph_line gl[GRAPH_MAX_LINES];
		for (size_t i = 0; i < n; i++)
			gl[i] = (struct rrd_graph_line){ lines[i].path, lines[i].label };
		double end = clock_real_sec();
		struct rrd_graph_req req = {
			spec->title,
			spec->unit,
			spec->legend,
			gl,
			n,
			spec->scale,
			end - graph_span_seconds(span),
			end,
			GRAPH_WIDTH,
			GRAPH_HEIGHT,
			false,
			c->cfg->rrdcached,
		};
		unsigned char *img;
		size_t len;
		char err[300];
		int rc = rrd_store_graph(&req, &img, &len, err, sizeof err);
		if (rc != 0)
			return reply_error(r, rc == -ENOENT ? 404 : 500, err);
		free(slot->img);
		str_copy(slot->key, key, sizeof slot->key);
		slot->img = img;
		slot->len = len;
		slot->made = now;
		slot->ttl = s->cfg->interval > CACHE_TTL ? s->cfg->interval : CACHE_TTL;
	}
	r->content_type = "image/svg+xml";
	r->body = mem_alloc(slot->len ? slot->len : 1);
	memcpy(r->body, slot->img, slot->len);
	r->len = slot->len;
	return 0;
}

static int on_css(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)arg;
	(void)path;
	(void)query;
	size_t len;
	const char *css = dash_css(&len);
	r->content_type = "text/css; charset=utf-8";
	r->body = mem_alloc(len ? len : 1);
	memcpy(r->body, css, len);
	r->len = len;
	return 0;
}

int dashboard_routes(struct collector *c)
{
	int rc = 0;
	if (rc == 0)
		rc = http_route(c->http, "/", on_overview, c);
	if (rc == 0)
		rc = http_route(c->http, "/source", on_source, c);
	if (rc == 0)
		rc = http_route(c->http, "/graph", on_graph, c);
	if (rc == 0)
		rc = http_route(c->http, "/alerts", on_alerts, c);
	if (rc == 0)
		rc = http_route(c->http, "/style.css", on_css, c);
	return rc;
}
