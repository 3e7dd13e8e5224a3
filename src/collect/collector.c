/* collector.c - the collector's event loop; see collector.h.
 *
 * Times: the schedule runs on the monotonic clock; samples are stamped with
 * the real time they were taken (for RRD and Prometheus).  Each threaded
 * source has a thread that waits for "go", samples with its own timeout,
 * writes its index to a pipe and waits again; the loop reads the pipe,
 * publishes the result and tells the schedule the sample is done. */
#include "collect/collector.h"
#include "collect/internal.h"

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/alert.h"
#include "collect/notify.h"
#include "collect/sched.h"
#include "collect/series.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "sources/source.h"
#include "store/metrics.h"
#include "store/rrd.h"
#include "web/http.h"

#define SAMPLE_TIMEOUT_MAX 10.0 /* seconds, and at most 80 % of the interval */

/* ---- publishing ---- */

/* ---- alerts ---- */

void collector_alert_key(const struct src *s, const char *metric, char *buf, size_t len)
{
	snprintf(buf, len, "%s\x1f%s\x1f%s", collect_kind_name(s->cfg->kind), s->cfg->target,
		 metric);
}

void collector_alert_prefix(const struct src *s, char *buf, size_t len)
{
	snprintf(buf, len, "%s\x1f%s\x1f", collect_kind_name(s->cfg->kind), s->cfg->target);
}

/* sundial_alert_state of one (rule, series), made when first seen. */
static void export_state(struct collector *c, struct src *s, const char *alert, const char *metric,
			 double t, enum alert_state st)
{
	static const char *const ln[] = { "alert", "source", "target", "series", NULL };
	const char *lv[] = { alert, collect_kind_name(s->cfg->kind), s->cfg->target, metric, NULL };
	metric_family *f = metrics_family(c->m, "sundial_alert_state",
					  "State of an alert: 0 OK, 1 WARNING, 2 CRITICAL, "
					  "3 UNKNOWN.",
					  METRIC_GAUGE, ln, NULL, 0);
	metric_series *ms = metrics_series(f, lv);
	if (!ms)
		return;
	metrics_set(ms, t, st);
	for (size_t i = 0; i < s->n_alert_series; i++)
		if (s->alert_series[i] == ms)
			return;
	s->alert_series =
		mem_realloc(s->alert_series, (s->n_alert_series + 1) * sizeof s->alert_series[0]);
	s->alert_series[s->n_alert_series++] = ms;
}

struct new_states {
	struct collector *c;
	struct src *s;
	const char *key, *metric;
	double t;
};

static void export_new(void *arg, const struct alert_view *v)
{
	struct new_states *n = arg;
	if (strcmp(v->series_key, n->key) == 0)
		export_state(n->c, n->s, v->rule->name, n->metric, n->t, v->state);
}

/* A change: logged, kept for the dashboard, exported, passed to notify. */
static void changed(struct collector *c, struct src *s, const char *metric,
		    const struct alert_change *ch)
{
	const char *kind = collect_kind_name(s->cfg->kind);
	const char *from = alert_state_name(ch->from), *to = alert_state_name(ch->to);
	if (ch->to == ALERT_OK)
		log_info("alert %s: %s %s (%s): %s -> %s: %s", ch->rule->name, kind, s->cfg->target,
			 metric, from, to, ch->reason);
	else
		log_warn("alert %s: %s %s (%s): %s -> %s: %s", ch->rule->name, kind, s->cfg->target,
			 metric, from, to, ch->reason);
	struct change_rec *r;
	if (c->hist_n < HISTORY_MAX) {
		r = &c->hist[c->hist_n++];
	} else {
		r = &c->hist[c->hist_head];
		c->hist_head = (c->hist_head + 1) % HISTORY_MAX;
	}
	r->t = ch->t;
	str_copy(r->kind, kind, sizeof r->kind);
	str_copy(r->target, s->cfg->target, sizeof r->target);
	str_copy(r->name, ch->rule->name, sizeof r->name);
	str_copy(r->series, metric, sizeof r->series);
	r->from = (int)ch->from;
	r->to = (int)ch->to;
	str_copy(r->reason, ch->reason, sizeof r->reason);
	export_state(c, s, ch->rule->name, metric, ch->t, ch->to);
	if (c->notify) {
		char value[32] = "";
		if (isfinite(ch->value))
			snprintf(value, sizeof value, "%.9g", ch->value);
		struct notify_event e = { ch->rule->name, to,	 from,	     kind, s->cfg->target,
					  metric,	  value, ch->reason, ch->t };
		if (notify_post(c->notify, &e) != 0) {
			/* a full queue: logged there */
		}
	}
}

/* One sample of a series through the alert rules. */
static void evaluate(struct collector *c, struct src *s, const char *family, const char *const *ln,
		     const char *const *lv, size_t n, const char *metric, bool first, double t,
		     double v)
{
	if (!c->alerts)
		return;
	char key[SERIES_METRIC_MAX + 320];
	collector_alert_key(s, metric, key, sizeof key);
	struct alert_change ch[8];
	size_t k = alert_eval(c->alerts, family, ln, lv, n, key, t, v, ch, 8);
	for (size_t i = 0; i < k && i < 8; i++)
		changed(c, s, metric, &ch[i]);
	if (first) { /* its first sample: its states, OK, into /metrics */
		struct new_states ns = { c, s, key, metric, t };
		alert_each(c->alerts, export_new, &ns);
	}
}

/* After a sample: the series it did not give are missing this time. */
static void evaluate_missing(struct collector *c, struct src *s, double t)
{
	for (size_t i = 0; i < s->n_series; i++) {
		if (s->put_no[i] == s->sample_no)
			continue;
		const metric_series *ms = s->series[i];
		const metric_family *f = metric_series_family(ms);
		size_t n = metric_family_label_count(f);
		const char *ln[METRICS_MAX_LABELS + 1], *lv[METRICS_MAX_LABELS + 1];
		for (size_t k = 0; k < n && k < METRICS_MAX_LABELS; k++) {
			ln[k] = metric_family_label_name(f, k);
			lv[k] = metric_series_label_value(ms, k);
		}
		evaluate(c, s, metric_family_name(f), ln, lv, n, s->rrd_metric[i], false, t, NAN);
	}
}

/* The rules: the defaults (unless "alert defaults off") with the file's
 * added, one of the same name replacing a default.  malloc'd. */
static struct alert_rule *build_rules(const struct collect_config *cfg, size_t *n)
{
	size_t nd = 0;
	const struct alert_rule *d = cfg->alert_defaults_off ? NULL : alert_default_rules(&nd);
	struct alert_rule *r = mem_calloc(nd + cfg->n_alerts + 1, sizeof r[0]);
	size_t k = 0;
	for (size_t i = 0; i < nd; i++) {
		bool replaced = false;
		for (size_t j = 0; j < cfg->n_alerts && !replaced; j++)
			replaced = strcmp(cfg->alerts[j].name, d[i].name) == 0;
		if (!replaced)
			r[k++] = d[i];
	}
	for (size_t j = 0; j < cfg->n_alerts; j++)
		r[k++] = cfg->alerts[j];
	*n = k;
	return r;
}

/* Alerts and notify of cfg; on a reload, an unchanged rule set keeps its
 * states. */
static void setup_alerts(struct collector *c, const struct collect_config *cfg)
{
	size_t n;
	struct alert_rule *r = build_rules(cfg, &n);
	if (c->alerts && n == c->n_rules && memcmp(r, c->rules, n * sizeof r[0]) == 0) {
		free(r);
	} else {
		alert_set_free(c->alerts);
		free(c->rules);
		c->rules = r;
		c->n_rules = n;
		c->alerts = n ? alert_set_new(r, n) : NULL;
	}
	notify_free(c->notify);
	c->notify = NULL;
	if (cfg->notify)
		c->notify = notify_new(cfg->notify, cfg->notify_args, cfg->notify_timeout);
}

/* One value: into the registry and its RRD file.  labels: name/value pairs
 * after the source's own (source kind and target are always the first). */
static void put(struct collector *c, struct src *s, const char *name, const char *help,
		enum metric_type type, const char *const *extra, double t, double v)
{
	struct collect_series sn;
	int rc = collect_series_name(s->cfg->kind, s->cfg->target, name, extra, &sn);
	if (rc != 0) {
		if (!s->naming_logged)
			log_warn("%s %s: metric %s: cannot name the series: %s (said once)",
				 collect_kind_name(s->cfg->kind), s->cfg->target, name,
				 strerror(-rc));
		s->naming_logged = true;
		return;
	}
	char err[256];
	metric_family *f = metrics_family(c->m, name, help, type, sn.label_names, err, sizeof err);
	if (!f) {
		log_warn("metric %s: %s", name, err);
		return;
	}
	metric_series *ms = metrics_series(f, sn.label_values);
	metrics_set(ms, t, v);
	const char *metric = sn.rrd_metric;
	size_t idx = s->n_series;
	for (size_t i = 0; i < s->n_series && idx == s->n_series; i++)
		if (s->series[i] == ms)
			idx = i;
	evaluate(c, s, name, sn.label_names, sn.label_values, sn.n_labels, metric,
		 idx == s->n_series, t, v);
	if (idx == s->n_series) {
		if (s->n_series == s->cap_series) {
			s->cap_series = s->cap_series ? 2 * s->cap_series : 16;
			s->series = mem_realloc(s->series, s->cap_series * sizeof s->series[0]);
			s->rrd_metric =
				mem_realloc(s->rrd_metric, s->cap_series * sizeof s->rrd_metric[0]);
			s->put_no = mem_realloc(s->put_no, s->cap_series * sizeof s->put_no[0]);
		}
		s->rrd_metric[s->n_series] = mem_strdup(metric);
		s->series[s->n_series++] = ms;
	}
	s->put_no[idx] = s->sample_no;
	if (!isfinite(v))
		return;
	struct rrd_series_def d = { collect_kind_name(s->cfg->kind), s->cfg->target, metric,
				    type == METRIC_COUNTER, (unsigned)s->cfg->interval };
	if (rrd_store_update(c->rrd, &d, t, v, err, sizeof err) != 0)
		log_warn("%s %s: %s", collect_kind_name(s->cfg->kind), s->cfg->target, err);
}

struct put_ctx {
	struct collector *c;
	struct src *s;
};

/* The sources' put: each value at the sample's time. */
static void put_cb(void *ctx, const char *family, const char *help, enum metric_type type,
		   const char *const *extra, double v)
{
	struct put_ctx *p = ctx;
	put(p->c, p->s, family, help, type, extra, p->s->t_real, v);
}

/* After every sample: whether it worked and how long it took; a new error
 * is logged once. */
static void put_outcome(struct collector *c, struct src *s)
{
	s->pub_rc = s->rc;
	s->pub_t = s->t_real;
	s->published = true;
	put(c, s, "sundial_collect_up", "1 if the source's last sample worked.", METRIC_GAUGE, NULL,
	    s->t_real, s->rc == 0);
	put(c, s, "sundial_collect_sample_seconds", "How long the last sample took.", METRIC_GAUGE,
	    NULL, s->t_real, s->took);
	if (s->rc != 0 && strcmp(s->err, s->last_err) != 0) {
		log_warn("%s %s: %s", collect_kind_name(s->cfg->kind), s->cfg->target, s->err);
		str_copy(s->last_err, s->err, sizeof s->last_err);
	} else if (s->rc == 0 && s->last_err[0]) {
		log_info("%s %s: works again", collect_kind_name(s->cfg->kind), s->cfg->target);
		s->last_err[0] = '\0';
	}
}

/* A finished sample: its values, then whether it worked. */
static void publish(struct collector *c, struct src *s)
{
	struct put_ctx pc = { c, s };
	struct source_out o = { put_cb, &pc };
	s->sample_no++;
	s->ops->publish(s->st, s->rc, &o);
	put_outcome(c, s);
	evaluate_missing(c, s, s->t_real);
}

/* ---- the blocking samples, in the source's thread ---- */

static double sample_timeout(const struct src *s)
{
	double t = s->cfg->interval * 0.8;
	return t < SAMPLE_TIMEOUT_MAX ? t : SAMPLE_TIMEOUT_MAX;
}

/* One sample (in the source's thread, or on the loop for those that do not
 * wait).  An asynchronous source's sample may go on (s->in_flight). */
static void sample_one(struct src *s)
{
	s->err[0] = '\0';
	s->t0 = clock_mono_sec();
	s->t_real = clock_real_sec();
	s->rc = s->ops->sample(s->st, sample_timeout(s), s->err, sizeof s->err);
	s->in_flight = s->rc == -EINPROGRESS && s->ops->step;
	s->took = clock_mono_sec() - s->t0;
}

/* Drives an asynchronous source's sample; publishes it once it ends. */
static void step_source(struct collector *c, struct src *s, bool readable)
{
	double wait = -1;
	char e[sizeof s->err] = "";
	int rc = s->ops->step(s->st, readable, &wait, e, sizeof e);
	if (!s->in_flight)
		return; /* what came between samples */
	if (rc == -EINPROGRESS) {
		if (wait >= 0) {
			struct timeval tv = { (time_t)wait,
					      (suseconds_t)((wait - floor(wait)) * 1e6) };
			evtimer_add(s->step_ev, &tv);
		}
		return;
	}
	evtimer_del(s->step_ev);
	s->in_flight = false;
	s->rc = rc;
	str_copy(s->err, e, sizeof s->err);
	s->took = clock_mono_sec() - s->t0;
	publish(c, s);
	sched_done(c->sch, s->job);
}

static void on_step(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct src *s = arg;
	step_source(s->c, s, false);
}

static void *src_thread(void *arg)
{
	struct src *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->go && !s->quit)
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->quit)
			break;
		s->go = false;
		pthread_mutex_unlock(&s->mu);
		sample_one(s);
		uint64_t msg = (uint64_t)s->gen << 32 | (uint32_t)s->idx;
		ssize_t w = write(s->c->pipe[1], &msg, sizeof msg);
		(void)w; /* a full pipe cannot happen: one sample per source at a time */
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* ---- the loop ---- */

static void arm_tick(struct collector *c)
{
	double next = sched_next(c->sch);
	if (isinf(next))
		return;
	double wait = next - clock_mono_sec();
	if (wait < 0)
		wait = 0;
	struct timeval tv = { (time_t)wait, (suseconds_t)((wait - floor(wait)) * 1e6) };
	evtimer_add(c->tick, &tv);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct collector *c = arg;
	int job;
	while ((job = sched_take(c->sch, clock_mono_sec())) >= 0) {
		struct src *s = &c->src[c->job_src[job]];
		if (s->threaded) {
			pthread_mutex_lock(&s->mu);
			s->go = true;
			pthread_cond_signal(&s->cv);
			pthread_mutex_unlock(&s->mu);
			continue;
		}
		sample_one(s);
		if (s->in_flight) {
			step_source(c, s, false);
			continue;
		}
		publish(c, s);
		sched_done(c->sch, s->job);
	}
	arm_tick(c);
}

static void on_result(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct collector *c = arg;
	uint64_t msg;
	while (read(fd, &msg, sizeof msg) == (ssize_t)sizeof msg) {
		uint32_t idx = (uint32_t)msg;
		if ((uint32_t)(msg >> 32) != c->gen || idx >= c->n_src)
			continue; /* from sources a reload has retired */
		struct src *s = &c->src[idx];
		publish(c, s);
		sched_done(c->sch, s->job);
	}
}

static void arm_http(struct collector *c)
{
	long ms = http_timeout_ms(c->http);
	if (ms < 0)
		return;
	struct timeval tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };
	evtimer_add(c->http_timer, &tv);
}

static void on_http(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct collector *c = arg;
	http_run(c->http);
	arm_http(c);
}

static void do_reload(struct collector *c);

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct collector *c = arg;
	if (sig == SIGHUP) {
		do_reload(c);
		return;
	}
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(c->base);
}

/* ---- the JSON API ---- */

struct jbuf {
	char *p;
	size_t n, cap;
};

static void jput(struct jbuf *b, const char *s, size_t len)
{
	if (b->n + len + 1 > b->cap) {
		while (b->n + len + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 1024;
		b->p = mem_realloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

/* A string literal or constant string. */
static void jlit(struct jbuf *b, const char *s)
{
	jput(b, s, strlen(s));
}

static void jf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		jput(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A JSON string: quotes, backslashes and control characters escaped;
 * octets beyond ASCII as '?' (texts from libraries need not be UTF-8). */
static void jstr(struct jbuf *b, const char *s)
{
	jlit(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			jput(b, e, 2);
		} else if (c < 0x20) {
			jf(b, "\\u%04x", c);
		} else {
			char o = c < 0x80 ? (char)c : '?';
			jput(b, &o, 1);
		}
	}
	jlit(b, "\"");
}

static void jnum(struct jbuf *b, double v)
{
	if (isfinite(v))
		jf(b, "%.17g", v);
	else
		jlit(b, "null");
}

static int api_sources(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)path;
	(void)query;
	struct collector *c = arg;
	struct jbuf b = { 0 };
	jlit(&b, "{\"sources\": [");
	for (size_t i = 0; i < c->n_src; i++) {
		const struct src *s = &c->src[i];
		uint64_t runs = 0, skipped = 0;
		(void)sched_stats(c->sch, s->job, &runs, &skipped);
		if (i)
			jlit(&b, ", ");
		jlit(&b, "{\"kind\": ");
		jstr(&b, collect_kind_name(s->cfg->kind));
		jlit(&b, ", \"target\": ");
		jstr(&b, s->cfg->target);
		jlit(&b, ", \"interval\": ");
		jnum(&b, s->cfg->interval);
		jf(&b, ", \"runs\": %llu, \"skipped\": %llu", (unsigned long long)runs,
		   (unsigned long long)skipped);
		jlit(&b, ", \"last_sample\": ");
		jnum(&b, s->published ? s->pub_t : NAN);
		jlit(&b, ", \"up\": ");
		if (!s->published)
			jlit(&b, "null");
		else
			jlit(&b, s->pub_rc == 0 ? "true" : "false");
		jlit(&b, ", \"error\": ");
		if (s->last_err[0])
			jstr(&b, s->last_err);
		else
			jlit(&b, "null");
		jlit(&b, ", \"series\": [");
		for (size_t k = 0; k < s->n_series; k++) {
			if (k)
				jlit(&b, ", ");
			jstr(&b, s->rrd_metric[k]);
		}
		jlit(&b, "]}");
	}
	jlit(&b, "]}\n");
	r->content_type = "application/json";
	r->body = b.p;
	r->len = b.n;
	return 0;
}

bool collector_query_get(const char *q, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);
	for (const char *p = q; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t pl = amp ? (size_t)(amp - p) : strlen(p);
		if (pl > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
			size_t o = 0;
			for (size_t i = kl + 1; i < pl; i++) {
				char ch = p[i];
				if (ch == '+') {
					ch = ' ';
				} else if (ch == '%') {
					if (i + 2 >= pl)
						return false;
					char hex[3] = { p[i + 1], p[i + 2], 0 };
					if (!isxdigit((unsigned char)hex[0]) ||
					    !isxdigit((unsigned char)hex[1]))
						return false;
					long v = strtol(hex, NULL, 16);
					if (v == 0)
						return false;
					ch = (char)v;
					i += 2;
				}
				if (o + 1 >= len)
					return false;
				buf[o++] = ch;
			}
			buf[o] = '\0';
			return true;
		}
		p = amp ? amp + 1 : NULL;
	}
	return false;
}

static int reply_text(struct http_reply *r, unsigned status, const char *msg)
{
	r->status = status;
	r->body = mem_strdup(msg);
	r->len = strlen(msg);
	return 0;
}

/* /api/v1/series?source=KIND&target=TARGET&metric=METRIC[&cf=AVERAGE]
 * [&start=T][&end=T]: the values of one series from its RRD file; times in
 * Unix seconds, or negative for seconds before now (default: the last
 * hour). */
static int api_series(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)path;
	struct collector *c = arg;
	char kind[32], target[512], metric[512], cf[16] = "AVERAGE", num[32];
	if (!collector_query_get(query, "source", kind, sizeof kind) ||
	    !collector_query_get(query, "target", target, sizeof target) ||
	    !collector_query_get(query, "metric", metric, sizeof metric))
		return reply_text(r, 400, "give source, target and metric (see /api/v1/sources)\n");
	(void)collector_query_get(query, "cf", cf, sizeof cf);
	double now = clock_real_sec(), start = now - 3600, end = now;
	if (collector_query_get(query, "start", num, sizeof num)) {
		char *e;
		start = strtod(num, &e);
		if (*e || !isfinite(start))
			return reply_text(r, 400, "start: a number of seconds\n");
		if (start < 0)
			start += now;
	}
	if (collector_query_get(query, "end", num, sizeof num)) {
		char *e;
		end = strtod(num, &e);
		if (*e || !isfinite(end))
			return reply_text(r, 400, "end: a number of seconds\n");
		if (end <= 0)
			end += now;
	}
	const struct src *s = NULL;
	bool found = false;
	for (size_t i = 0; i < c->n_src && !found; i++) {
		s = &c->src[i];
		if (strcmp(collect_kind_name(s->cfg->kind), kind) != 0 ||
		    strcmp(s->cfg->target, target) != 0)
			continue;
		for (size_t k = 0; k < s->n_series && !found; k++)
			found = strcmp(s->rrd_metric[k], metric) == 0;
	}
	if (!found)
		return reply_text(r, 404, "no such series (see /api/v1/sources)\n");
	struct rrd_series_def d = { kind, target, metric, false, (unsigned)s->cfg->interval };
	struct rrd_points pts;
	char err[512];
	int rc = rrd_store_fetch(c->rrd, &d, cf, start, end, &pts, err, sizeof err);
	if (rc == -EINVAL || rc == -ENOENT) {
		size_t l = strlen(err);
		if (l + 1 < sizeof err) {
			err[l] = '\n';
			err[l + 1] = '\0';
		}
		return reply_text(r, rc == -ENOENT ? 404 : 400, err);
	}
	if (rc != 0)
		return rc;
	struct jbuf b = { 0 };
	jlit(&b, "{\"source\": ");
	jstr(&b, kind);
	jlit(&b, ", \"target\": ");
	jstr(&b, target);
	jlit(&b, ", \"metric\": ");
	jstr(&b, metric);
	jlit(&b, ", \"cf\": ");
	jstr(&b, cf);
	jlit(&b, ", \"start\": ");
	jnum(&b, pts.start);
	jlit(&b, ", \"step\": ");
	jnum(&b, pts.step);
	jlit(&b, ", \"values\": [");
	for (size_t i = 0; i < pts.n; i++) {
		if (i)
			jlit(&b, ", ");
		jnum(&b, pts.v[i]);
	}
	jlit(&b, "]}\n");
	rrd_points_free(&pts);
	r->content_type = "application/json";
	r->body = b.p;
	r->len = b.n;
	return 0;
}

/* ---- set-up ---- */

/* A source's descriptor has data (a live capture). */
static void on_source_fd(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct src *s = arg;
	if (s->ops->step) {
		step_source(s->c, s, true);
		return;
	}
	char e[300];
	(void)s->ops->readable(s->st, e, sizeof e); /* the next sample reports it */
}

static int start_source(struct collector *c, struct src *s, const struct collect_source *cfg,
			size_t i, uint32_t gen, char *err, size_t errlen)
{
	s->c = c;
	s->cfg = cfg;
	s->idx = i;
	s->gen = gen;
	s->job = -1;
	const char *kind = collect_kind_name(cfg->kind);
	s->ops = source_find(kind);
	if (!s->ops) {
		snprintf(err, errlen, "%s:%u: %s: no such source", cfg->file, cfg->line, kind);
		return -EINVAL;
	}
	s->params = (struct source_params){ .target = cfg->target,
					    .port = cfg->port,
					    .key_id = cfg->key_id,
					    .keyfile = cfg->keyfile,
					    .timeout = cfg->timeout,
					    .args = cfg->args,
					    .interval = cfg->interval,
					    .nts = cfg->nts,
					    .ca = cfg->ca,
					    .profile = cfg->profile,
					    .credentials = cfg->credentials,
					    .retries = cfg->retries };
	char e[512] = "";
	s->st = s->ops->open(&s->params, e, sizeof e);
	if (!s->st) {
		snprintf(err, errlen, "%s:%u: %s %s: %s", cfg->file, cfg->line, kind, cfg->target,
			 e[0] ? e : "cannot open it");
		return -EINVAL;
	}
	if (s->ops->fd) {
		s->fd_ev = event_new(c->base, s->ops->fd(s->st), EV_READ | EV_PERSIST, on_source_fd,
				     s);
		if (!s->fd_ev || event_add(s->fd_ev, NULL) != 0) {
			snprintf(err, errlen, "%s:%u: %s %s: cannot watch its descriptor",
				 cfg->file, cfg->line, kind, cfg->target);
			return -EIO;
		}
		if (s->ops->step)
			s->step_ev = evtimer_new(c->base, on_step, s);
	}
	s->threaded = s->ops->threaded;
	if (s->threaded) {
		pthread_mutex_init(&s->mu, NULL);
		pthread_cond_init(&s->cv, NULL);
		if (pthread_create(&s->th, NULL, src_thread, s) != 0) {
			snprintf(err, errlen, "cannot start a thread for %s %s", kind, cfg->target);
			return -EAGAIN;
		}
		s->have_thread = true;
	}
	return 0;
}

/* Stops a source: its thread (after the sample in flight, at most its
 * timeout), its job, its series. */
static void stop_source(struct collector *c, struct src *s)
{
	if (s->have_thread) {
		pthread_mutex_lock(&s->mu);
		s->quit = true;
		pthread_cond_signal(&s->cv);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->th, NULL);
		pthread_mutex_destroy(&s->mu);
		pthread_cond_destroy(&s->cv);
		s->have_thread = false;
	}
	if (s->job >= 0)
		sched_remove(c->sch, s->job);
	for (size_t i = 0; i < s->n_series; i++) {
		if (c->alerts) {
			char key[SERIES_METRIC_MAX + 320];
			collector_alert_key(s, s->rrd_metric[i], key, sizeof key);
			alert_forget(c->alerts, key);
		}
		metrics_drop(s->series[i]);
		free(s->rrd_metric[i]);
	}
	free(s->series);
	free(s->rrd_metric);
	free(s->put_no);
	for (size_t i = 0; i < s->n_alert_series; i++)
		metrics_drop(s->alert_series[i]);
	free(s->alert_series);
	if (s->fd_ev)
		event_free(s->fd_ev);
	if (s->step_ev)
		event_free(s->step_ev);
	if (s->ops && s->st)
		s->ops->close(s->st);
	memset(s, 0, sizeof *s);
	s->job = -1;
}

/* The sources of cfg, started (threads up, not yet scheduled); NULL with a
 * message if one cannot start (those already started are stopped). */
static struct src *start_sources(struct collector *c, const struct collect_config *cfg,
				 uint32_t gen, char *err, size_t errlen)
{
	struct src *v = mem_calloc(cfg->n_src ? cfg->n_src : 1, sizeof v[0]);
	for (size_t i = 0; i < cfg->n_src; i++) {
		if (start_source(c, &v[i], &cfg->src[i], i, gen, err, errlen) != 0) {
			for (size_t k = 0; k <= i; k++)
				stop_source(c, &v[k]);
			free(v);
			return NULL;
		}
	}
	return v;
}

static void stop_sources(struct collector *c)
{
	for (size_t i = 0; i < c->n_src; i++)
		stop_source(c, &c->src[i]);
	free(c->src);
	c->src = NULL;
	c->n_src = 0;
}

/* Puts the started sources v of cfg on the schedule. */
static void schedule_sources(struct collector *c, struct src *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int job = sched_add(c->sch, v[i].cfg->interval, clock_mono_sec());
		if (job < 0)
			continue; /* the configuration checked the interval */
		v[i].job = job;
		c->job_src = mem_realloc(c->job_src, ((size_t)job + 1) * sizeof c->job_src[0]);
		c->job_src[job] = (int)i;
	}
}

static void on_agentx(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	collector_agentx_publish(arg);
}

/* The subagent, and a timer that hands it the values every second. */
static int start_agentx(struct collector *c, const struct collect_config *cfg, char *err,
			size_t errlen)
{
	char e[300];
	c->agentx = agentx_new(cfg->agentx_socket, e, sizeof e);
	if (!c->agentx) {
		snprintf(err, errlen, "agentx %s: %s",
			 cfg->agentx_socket ? cfg->agentx_socket : AGENTX_DEFAULT_SOCKET, e);
		return -EIO;
	}
	c->ax_tick = event_new(c->base, -1, EV_PERSIST, on_agentx, c);
	struct timeval tv = { 1, 0 };
	evtimer_add(c->ax_tick, &tv);
	return 0;
}

static void stop_agentx(struct collector *c)
{
	if (c->ax_tick)
		event_free(c->ax_tick);
	c->ax_tick = NULL;
	agentx_free(c->agentx);
	c->agentx = NULL;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* SIGHUP: a new configuration, or the running one kept.  What only a
 * restart can change (data folder, listen address, user, rrdcached) is kept
 * and said so; the sources are replaced. */
static void do_reload(struct collector *c)
{
	if (!c->reload) {
		log_info("SIGHUP: no configuration file to read again");
		return;
	}
	struct collect_config *n = c->reload(c->reload_arg);
	if (!n) {
		log_warn("SIGHUP: the new configuration is not used; the running one goes on");
		return;
	}
	const struct collect_config *o = c->cfg;
	if (!same_str(n->datadir, o->datadir) || !same_str(n->listen, o->listen) ||
	    !same_str(n->user, o->user) || !same_str(n->rrdcached, o->rrdcached))
		log_warn("SIGHUP: datadir, listen, user and rrdcached change only with a restart");
	bool ax_changed = n->agentx != o->agentx || !same_str(n->agentx_socket, o->agentx_socket);
	char err[512];
	uint32_t gen = c->gen + 1;
	struct src *v = start_sources(c, n, gen, err, sizeof err);
	if (!v) {
		log_warn("SIGHUP: %s; the running configuration goes on", err);
		collect_config_free(n);
		free(n);
		return;
	}
	stop_sources(c);
	if (c->owned) {
		collect_config_free(c->owned);
		free(c->owned);
	}
	c->owned = n;
	c->cfg = n;
	c->gen = gen;
	c->src = v;
	c->n_src = n->n_src;
	setup_alerts(c, n);
	if (ax_changed) {
		stop_agentx(c);
		if (n->agentx && start_agentx(c, n, err, sizeof err) != 0)
			log_warn("SIGHUP: %s", err);
	}
	schedule_sources(c, v, n->n_src);
	log_info("SIGHUP: %zu sources, %zu alert rules", n->n_src, c->n_rules);
	evtimer_del(c->tick);
	arm_tick(c);
}

collector *collector_new(const struct collect_config *cfg, char *err, size_t errlen)
{
	struct collector *c = mem_calloc(1, sizeof *c);
	c->cfg = cfg;
	c->pipe[0] = c->pipe[1] = -1;
	c->m = metrics_new();
	c->sch = sched_new(0);
	char e[512];
	c->rrd = rrd_store_open(cfg->datadir, cfg->rrdcached, e, sizeof e);
	if (!c->rrd) {
		snprintf(err, errlen, "datadir %s: %s", cfg->datadir, e);
		goto fail;
	}
	if (cfg->listen) {
		c->http = http_start(cfg->listen, c->m, e, sizeof e);
		if (!c->http) {
			snprintf(err, errlen, "listen %s: %s", cfg->listen, e);
			goto fail;
		}
	}
	if (pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	c->base = event_base_new();
	if (!c->base) {
		snprintf(err, errlen, "libevent: cannot make an event base");
		goto fail;
	}
	c->tick = evtimer_new(c->base, on_tick, c);
	c->results = event_new(c->base, c->pipe[0], EV_READ | EV_PERSIST, on_result, c);
	event_add(c->results, NULL);
	if (c->http) {
		if (http_route(c->http, "/api/v1/sources", api_sources, c) != 0 ||
		    http_route(c->http, "/api/v1/series", api_series, c) != 0 ||
		    dashboard_routes(c) != 0) {
			snprintf(err, errlen, "cannot add the API routes");
			goto fail;
		}
		c->http_io = event_new(c->base, http_fd(c->http), EV_READ | EV_PERSIST, on_http, c);
		c->http_timer = evtimer_new(c->base, on_http, c);
		event_add(c->http_io, NULL);
	}
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < 3; i++) {
		c->sig[i] = evsignal_new(c->base, sigs[i], on_signal, c);
		event_add(c->sig[i], NULL);
	}
	c->src = start_sources(c, cfg, c->gen, err, errlen);
	if (!c->src)
		goto fail;
	c->n_src = cfg->n_src;
	setup_alerts(c, cfg);
	if (cfg->notify && !c->notify) {
		snprintf(err, errlen, "notify %s: cannot start it", cfg->notify);
		goto fail;
	}
	if (cfg->agentx && start_agentx(c, cfg, err, errlen) != 0)
		goto fail;
	schedule_sources(c, c->src, c->n_src);
	return c;
fail:
	collector_free(c);
	return NULL;
}

int collector_run(collector *c, struct collect_config *(*reload_fn)(void *arg), void *arg)
{
	c->reload = reload_fn;
	c->reload_arg = arg;
	arm_tick(c);
	if (c->http)
		arm_http(c);
	if (event_base_dispatch(c->base) < 0)
		return -EIO;
	return c->status;
}

void collector_free(collector *c)
{
	if (!c)
		return;
	stop_sources(c);
	stop_agentx(c);
	notify_free(c->notify);
	alert_set_free(c->alerts);
	free(c->rules);
	if (c->owned) {
		collect_config_free(c->owned);
		free(c->owned);
	}
	free(c->job_src);
	if (c->tick)
		event_free(c->tick);
	if (c->results)
		event_free(c->results);
	if (c->http_io)
		event_free(c->http_io);
	if (c->http_timer)
		event_free(c->http_timer);
	for (size_t i = 0; i < 3; i++)
		if (c->sig[i])
			event_free(c->sig[i]);
	if (c->base)
		event_base_free(c->base);
	if (c->pipe[0] >= 0)
		close(c->pipe[0]);
	if (c->pipe[1] >= 0)
		close(c->pipe[1]);
	http_stop(c->http);
	rrd_store_close(c->rrd);
	sched_free(c->sch);
	metrics_free(c->m);
	free(c);
}
