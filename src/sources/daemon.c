/* daemon.c - the model of a time daemon's view; see daemon.h. */
#include "sources/daemon.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

static void system_unknown(struct dmn_system *y)
{
	memset(y, 0, sizeof *y);
	y->leap = 3;
	y->stratum = -1;
	y->offset = y->root_delay = y->root_disp = y->root_dist = NAN;
	y->sys_jitter = y->clk_jitter = y->clk_wander = y->frequency = NAN;
	y->precision = y->tc = -1000;
	y->ref_time = NAN;
	y->rms_offset = y->skew = y->resid_freq = y->update_interval = y->correction = NAN;
	y->clock_source = y->event_count = y->event_code = -1;
}

dmn_status *dmn_new(enum dmn_kind kind)
{
	dmn_status *s = mem_calloc(1, sizeof *s);
	s->kind = kind;
	system_unknown(&s->sys);
	return s;
}

void dmn_free(dmn_status *s)
{
	if (!s)
		return;
	free(s->sources);
	free(s->refclocks);
	free(s->counters);
	free(s->clients);
	free(s);
}

/* Grows an array of n elements of size sz by one, zeroing the new one. */
static void *grow(void *arr, size_t n, size_t sz)
{
	/* Doubling capacity: capacities are the powers of two >= n + 1. */
	size_t cap = 1;
	while (cap < n + 1)
		cap *= 2;
	if (n == 0 || (n & (n - 1)) == 0)
		arr = mem_realloc(arr, cap * sz);
	memset((char *)arr + n * sz, 0, sz);
	return arr;
}

struct dmn_source *dmn_add_source(dmn_status *s)
{
	s->sources = grow(s->sources, s->n_sources, sizeof *s->sources);
	struct dmn_source *x = &s->sources[s->n_sources++];
	x->tally = ' ';
	x->stratum = -1;
	x->reach = -1;
	x->reach_pct = NAN;
	x->hpoll = x->ppoll = -1000;
	x->when = x->offset = x->delay = x->jitter = x->dispersion = NAN;
	x->samples = -1;
	x->span = x->std_dev = x->est_offset = x->frequency = x->skew = x->response_time = NAN;
	return x;
}

struct dmn_refclock *dmn_add_refclock(dmn_status *s)
{
	s->refclocks = grow(s->refclocks, s->n_refclocks, sizeof *s->refclocks);
	struct dmn_refclock *r = &s->refclocks[s->n_refclocks++];
	r->poll = -1000;
	r->noreply = r->badformat = r->baddata = r->flags = -1;
	r->fudgetime1 = r->fudgetime2 = NAN;
	r->stratum = -1;
	r->status = -1;
	r->event_count = -1;
	return r;
}

struct dmn_client *dmn_add_client(dmn_status *s)
{
	s->clients = grow(s->clients, s->n_clients, sizeof *s->clients);
	struct dmn_client *c = &s->clients[s->n_clients++];
	c->first = c->last = NAN;
	c->mode = c->version = -1;
	return c;
}

void dmn_add_counter(dmn_status *s, const char *name, double value)
{
	for (size_t i = 0; i < s->n_counters; i++) {
		if (strcmp(s->counters[i].name, name) == 0) {
			s->counters[i].value = value;
			return;
		}
	}
	s->counters = grow(s->counters, s->n_counters, sizeof *s->counters);
	struct dmn_counter *c = &s->counters[s->n_counters++];
	str_copy(c->name, name, sizeof c->name);
	c->value = value;
}

void dmn_add_error(dmn_status *s, const char *what, const char *fmt, ...)
{
	if (s->n_errors == DMN_MAX_ERRORS)
		return;
	struct dmn_error *e = &s->errors[s->n_errors++];
	str_copy(e->what, what, sizeof e->what);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

double dmn_counter(const dmn_status *s, const char *name)
{
	for (size_t i = 0; i < s->n_counters; i++)
		if (strcmp(s->counters[i].name, name) == 0)
			return s->counters[i].value;
	return NAN;
}

size_t dmn_good_sources(const dmn_status *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_sources; i++) {
		const char *sel = s->sources[i].selection;
		if (strcmp(sel, "sys.peer") == 0 || strcmp(sel, "candidate") == 0 ||
		    strcmp(sel, "pps.peer") == 0)
			n++;
	}
	return n;
}

double dmn_reach_pct(int reach)
{
	if (reach < 0)
		return NAN;
	return 100.0 * (double)__builtin_popcount((unsigned)reach & 0xffu) / 8.0;
}

/* The daemons' own packet counters, exported as counters (rates in the RRD
 * files): a name of ntpd's sysstats/iostats or chronyd's serverstats, and
 * the family it feeds. */
static const struct {
	const char *counter, *family, *help;
} daemon_counters[] = {
	{ "io_received", "sundial_daemon_packets_received_total",
	  "Packets received (ntpd: io_received, every packet; chronyd: NTP requests)." },
	{ "ntp_hits", "sundial_daemon_packets_received_total",
	  "Packets received (ntpd: io_received, every packet; chronyd: NTP requests)." },
	{ "io_sent", "sundial_daemon_packets_sent_total", "Packets sent (ntpd)." },
	{ "ntp_drops", "sundial_daemon_packets_dropped_total",
	  "Requests not answered (chronyd: rate limiting; ntpd: rate-limited requests)." },
	{ "ss_limited", "sundial_daemon_packets_dropped_total",
	  "Requests not answered (chronyd: rate limiting; ntpd: rate-limited requests)." },
	{ "ss_kodsent", "sundial_daemon_kod_sent_total", "Kiss-o'-death packets sent (ntpd)." },
	{ "ss_badformat", "sundial_daemon_packets_bad_format_total",
	  "Packets of bad length or format (ntpd)." },
	{ "ss_badauth", "sundial_daemon_packets_bad_auth_total",
	  "Packets that failed authentication (ntpd)." },
	{ "ntp_auth_hits", "sundial_daemon_packets_authenticated_total",
	  "Authenticated NTP requests (chronyd)." },
	{ "nke_hits", "sundial_daemon_nts_ke_requests_total", "NTS-KE requests (chronyd)." },
	{ "cmd_hits", "sundial_daemon_command_requests_total",
	  "Monitoring and control requests (chronyd: command port; ntpd: mode 6)." },
	{ "ss_numctlreq", "sundial_daemon_command_requests_total",
	  "Monitoring and control requests (chronyd: command port; ntpd: mode 6)." },
};

/* Packet counters, and each ntpd refclock's status and error counters. */
static void publish_counters(const dmn_status *st, const struct source_out *o)
{
	for (size_t i = 0; i < sizeof daemon_counters / sizeof daemon_counters[0]; i++) {
		double v = dmn_counter(st, daemon_counters[i].counter);
		if (!isnan(v))
			o->put(o->ctx, daemon_counters[i].family, daemon_counters[i].help,
			       METRIC_COUNTER, NULL, v);
	}
	for (size_t i = 0; i < st->n_refclocks; i++) {
		const struct dmn_refclock *r = &st->refclocks[i];
		const char *ex[] = { "refclock", r->name[0] ? r->name : r->refid, NULL };
		if (r->status >= 0)
			o->put(o->ctx, "sundial_daemon_refclock_status",
			       "Refclock status: 0 nominal, 1 no reply, 2 bad format, 3 hardware "
			       "fault, 4 propagation, 5 bad date, 6 bad time.",
			       METRIC_GAUGE, ex, r->status);
		o->put(o->ctx, "sundial_daemon_refclock_noreply_total",
		       "Polls the refclock did not answer.", METRIC_COUNTER, ex,
		       (double)r->noreply);
		o->put(o->ctx, "sundial_daemon_refclock_badformat_total",
		       "Refclock messages of bad format.", METRIC_COUNTER, ex,
		       (double)r->badformat);
		o->put(o->ctx, "sundial_daemon_refclock_baddata_total",
		       "Refclock messages of bad data.", METRIC_COUNTER, ex, (double)r->baddata);
	}
}

void dmn_publish(const dmn_status *st, const struct source_out *o)
{
	const struct dmn_system *y = &st->sys;
	o->put(o->ctx, "sundial_daemon_synchronised", "1 if the daemon is synchronised.",
	       METRIC_GAUGE, NULL, y->synchronised);
	if (y->stratum >= 0)
		o->put(o->ctx, "sundial_daemon_stratum", "The daemon's stratum.", METRIC_GAUGE,
		       NULL, y->stratum);
	if (y->leap >= 0)
		o->put(o->ctx, "sundial_daemon_leap", "Leap indicator (3: unsynchronised).",
		       METRIC_GAUGE, NULL, y->leap);
	o->put(o->ctx, "sundial_daemon_offset_seconds", "Last offset of the local clock.",
	       METRIC_GAUGE, NULL, y->offset);
	/* ntpd's sys_jitter; chronyd has none: its system peer's jitter. */
	double jitter = y->sys_jitter;
	for (size_t i = 0; isnan(jitter) && i < st->n_sources; i++)
		if (st->sources[i].tally == '*')
			jitter = st->sources[i].jitter;
	o->put(o->ctx, "sundial_daemon_jitter_seconds",
	       "Jitter of the daemon's time (ntpd's sys_jitter, else the system peer's).",
	       METRIC_GAUGE, NULL, jitter);
	o->put(o->ctx, "sundial_daemon_root_delay_seconds", "Root delay.", METRIC_GAUGE, NULL,
	       y->root_delay);
	o->put(o->ctx, "sundial_daemon_root_dispersion_seconds", "Root dispersion.", METRIC_GAUGE,
	       NULL, y->root_disp);
	o->put(o->ctx, "sundial_daemon_frequency_ppm", "Frequency correction of the local clock.",
	       METRIC_GAUGE, NULL, y->frequency);
	o->put(o->ctx, "sundial_daemon_good_sources", "Sources the daemon would use.", METRIC_GAUGE,
	       NULL, (double)dmn_good_sources(st));
	for (size_t i = 0; i < st->n_sources; i++) {
		const struct dmn_source *u = &st->sources[i];
		const char *ex[] = { "upstream", u->address[0] ? u->address : u->name, NULL };
		o->put(o->ctx, "sundial_daemon_source_offset_seconds",
		       "Offset of an upstream source.", METRIC_GAUGE, ex, u->offset);
		o->put(o->ctx, "sundial_daemon_source_delay_seconds",
		       "Delay to an upstream source.", METRIC_GAUGE, ex, u->delay);
		o->put(o->ctx, "sundial_daemon_source_jitter_seconds",
		       "Jitter of an upstream source.", METRIC_GAUGE, ex, u->jitter);
		if (u->reach >= 0)
			o->put(o->ctx, "sundial_daemon_source_reach_ratio",
			       "Share of the last 8 polls answered.", METRIC_GAUGE, ex,
			       dmn_reach_pct(u->reach) / 100.0);
	}
	publish_counters(st, o);
}
