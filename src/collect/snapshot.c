/* snapshot.c - the sources' main values for the AgentX subagent
 * (net/agentx.h), taken from the series each source set: which family
 * gives which value of SUNDIAL-MIB. */
#include "collect/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

/* Where a source row's values come from: the first family in the list that
 * has a value without extra labels (or with the extra label given). */
enum field {
	F_UP,
	F_OFFSET,
	F_JITTER,
	F_STRATUM,
	F_SYNC,
	F_MBG_NTP_STATE,
	F_CLIENTS,
	F_CLIENTS_1H,
	F_CLIENTS_24H,
	F_REQUESTS,
	F_P50,
	F_P99,
};

static const struct {
	const char *family;
	const char *window; /* the value of label "window", or NULL: no extra label */
	enum field f;
} fields[] = {
	{ "sundial_collect_up", NULL, F_UP },
	{ "sundial_daemon_offset_seconds", NULL, F_OFFSET },
	{ "sundial_query_offset_seconds", NULL, F_OFFSET },
	{ "sundial_snmp_meinberg_ntp_refclock_offset_seconds", NULL, F_OFFSET },
	{ "sundial_daemon_jitter_seconds", NULL, F_JITTER },
	{ "sundial_daemon_stratum", NULL, F_STRATUM },
	{ "sundial_query_stratum", NULL, F_STRATUM },
	{ "sundial_snmp_meinberg_ntp_stratum", NULL, F_STRATUM },
	{ "sundial_daemon_synchronised", NULL, F_SYNC },
	{ "sundial_snmp_meinberg_ntp_state", NULL, F_MBG_NTP_STATE },
	{ "sundial_traffic_clients", "5m", F_CLIENTS },
	{ "sundial_traffic_clients", "1h", F_CLIENTS_1H },
	{ "sundial_traffic_clients", "24h", F_CLIENTS_24H },
	{ "sundial_traffic_requests_per_second", NULL, F_REQUESTS },
	{ "sundial_traffic_response_p50_seconds", NULL, F_P50 },
	{ "sundial_traffic_response_p99_seconds", NULL, F_P99 },
};

static double *field_slot(struct agentx_source *r, enum field f, double *mbg_state)
{
	switch (f) {
	case F_UP: return &r->up;
	case F_OFFSET: return &r->offset;
	case F_JITTER: return &r->jitter;
	case F_STRATUM: return &r->stratum;
	case F_SYNC: return &r->synchronised;
	case F_MBG_NTP_STATE: return mbg_state;
	case F_CLIENTS: return &r->clients;
	case F_CLIENTS_1H: return &r->clients_1h;
	case F_CLIENTS_24H: return &r->clients_24h;
	case F_REQUESTS: return &r->requests;
	case F_P50: return &r->response_p50;
	case F_P99: return &r->response_p99;
	}
	return NULL;
}

/* ntpd's refclock status codes (ntpq's "cv" status). */
static const char *const refclock_text[] = { "nominal",	       "no reply",    "bad format",
					     "hardware fault", "propagation", "bad date",
					     "bad time" };

struct rc_list {
	struct agentx_refclock *v;
	size_t n, cap;
};

static struct agentx_refclock *rc_add(struct rc_list *l, size_t src, const char *name)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->v = mem_realloc(l->v, l->cap * sizeof l->v[0]);
	}
	struct agentx_refclock *r = &l->v[l->n++];
	memset(r, 0, sizeof *r);
	r->source = src;
	str_copy(r->name, name, sizeof r->name);
	r->satellites = NAN;
	return r;
}

/* The refclock of source src named name, made if new. */
static struct agentx_refclock *rc_find(struct rc_list *l, size_t first, size_t src,
				       const char *name)
{
	for (size_t i = first; i < l->n; i++)
		if (l->v[i].source == src && strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return rc_add(l, src, name);
}

static const char *label(const metric_series *ms, const char *name)
{
	const metric_family *f = metric_series_family(ms);
	for (size_t i = 0; i < metric_family_label_count(f); i++)
		if (strcmp(metric_family_label_name(f, i), name) == 0)
			return metric_series_label_value(ms, i);
	return NULL;
}

/* One source's row and its refclocks. */
static void source_row(const struct src *s, size_t idx, struct agentx_source *r,
		       struct rc_list *rcs, size_t *warn, size_t *crit)
{
	memset(r, 0, sizeof *r);
	str_copy(r->kind, collect_kind_name(s->cfg->kind), sizeof r->kind);
	str_copy(r->target, s->cfg->target, sizeof r->target);
	r->up = r->last_sample = r->offset = r->jitter = r->stratum = r->synchronised = NAN;
	r->clients = r->clients_1h = r->clients_24h = r->requests = NAN;
	r->response_p50 = r->response_p99 = NAN;
	if (s->published)
		r->last_sample = s->pub_t;
	double mbg_state = NAN;
	size_t first_rc = rcs->n;
	for (size_t i = 0; i < s->n_series; i++) {
		const metric_series *ms = s->series[i];
		const metric_family *fam = metric_series_family(ms);
		const char *fname = metric_family_name(fam);
		double t, v;
		if (!metric_series_value(ms, &t, &v) || isnan(v))
			continue;
		size_t extra = metric_family_label_count(fam) - 2; /* after source, target */
		for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
			if (strcmp(fields[k].family, fname) != 0)
				continue;
			const char *w = fields[k].window;
			if (w ? extra != 1 || !label(ms, "window") ||
					    strcmp(label(ms, "window"), w) != 0
			      : extra != 0)
				continue;
			double *slot = field_slot(r, fields[k].f, &mbg_state);
			if (isnan(*slot))
				*slot = v;
		}
		const char *name = label(ms, "refclock");
		if (strcmp(fname, "sundial_daemon_refclock_status") == 0 && name) {
			struct agentx_refclock *rc = rc_find(rcs, first_rc, idx, name);
			rc->status = (long long)v;
			rc->healthy = v == 0;
			str_copy(rc->status_text,
				 v >= 0 && v < 7 ? refclock_text[(int)v] : "unknown",
				 sizeof rc->status_text);
		} else if (strcmp(fname, "sundial_snmp_meinberg_refclock_state") == 0 && name) {
			struct agentx_refclock *rc = rc_find(rcs, first_rc, idx, name);
			rc->status = (long long)v;
			rc->healthy = v == 1;
			str_copy(rc->status_text,
				 v == 1	  ? "synchronized"
				 : v == 2 ? "notSynchronized"
					  : "notAvailable",
				 sizeof rc->status_text);
		} else if (strcmp(fname, "sundial_snmp_meinberg_refclock_satellites_good") == 0 &&
			   name) {
			rc_find(rcs, first_rc, idx, name)->satellites = v;
		} else if (strcmp(fname, "sundial_gps_fix_mode") == 0 && extra == 0) {
			struct agentx_refclock *rc = rc_find(rcs, first_rc, idx, "gps");
			rc->status = (long long)v;
			rc->healthy = v >= 2;
			str_copy(rc->status_text,
				 v >= 3	  ? "3d fix"
				 : v >= 2 ? "2d fix"
					  : "no fix",
				 sizeof rc->status_text);
		} else if (strcmp(fname, "sundial_gps_satellites_used") == 0 && extra == 0) {
			rc_find(rcs, first_rc, idx, "gps")->satellites = v;
		}
	}
	if (isnan(r->synchronised) && !isnan(mbg_state))
		r->synchronised = mbg_state == 2; /* mbgLtNgNtpCurrentState synchronized(2) */
	/* The worst state of the source's alerts. */
	r->state = AGENTX_OK;
	for (size_t i = 0; i < s->n_alert_series; i++) {
		double t, v;
		if (!metric_series_value(s->alert_series[i], &t, &v) || isnan(v))
			continue;
		if (v == ALERT_CRITICAL) {
			(*crit)++;
			r->state = AGENTX_CRITICAL;
		} else if (v == ALERT_UNKNOWN && r->state != AGENTX_CRITICAL) {
			r->state = AGENTX_UNKNOWN;
		} else if (v == ALERT_WARNING) {
			(*warn)++;
			if (r->state == AGENTX_OK)
				r->state = AGENTX_WARNING;
		}
	}
}

void collector_agentx_publish(struct collector *c)
{
	if (!c->agentx)
		return;
	struct agentx_source *rows = mem_calloc(c->n_src ? c->n_src : 1, sizeof rows[0]);
	struct rc_list rcs = { 0 };
	size_t warn = 0, crit = 0;
	for (size_t i = 0; i < c->n_src; i++)
		source_row(&c->src[i], i, &rows[i], &rcs, &warn, &crit);
	struct agentx_snapshot snap = { .src = rows,
					.n_src = c->n_src,
					.rc = rcs.v,
					.n_rc = rcs.n,
					.alerts_warning = warn,
					.alerts_critical = crit };
	agentx_publish(c->agentx, &snap);
	free(rcs.v);
	free(rows);
}
