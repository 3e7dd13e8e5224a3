/* internal.h - the collector's state, shared by collector.c (the loop,
 * the sources, the API) and dashboard.c (the dashboard's pages and
 * graphs), and by nothing else. */
#ifndef SUNDIAL_COLLECT_INTERNAL_H
#define SUNDIAL_COLLECT_INTERNAL_H

#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collect/alert.h"
#include "collect/config.h"
#include "collect/notify.h"
#include "collect/sched.h"
#include "net/agentx.h"
#include "collect/series.h"
#include "sources/source.h"
#include "store/metrics.h"
#include "store/rrd.h"
#include "web/http.h"

struct src {
	struct collector *c;
	const struct collect_source *cfg;
	const struct source_ops *ops;
	struct source_params params;
	void *st; /* the source's own state */
	struct event *fd_ev;
	struct event *step_ev; /* an asynchronous source's timer (source_ops.step) */
	bool in_flight;	       /* ... while its sample runs */
	double t0;	       /* ... since this monotonic time */
	size_t idx;
	uint32_t gen; /* the configuration generation it belongs to */
	int job;
	bool threaded;
	/* the thread's side */
	pthread_t th;
	bool have_thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool go, quit;
	/* a sample's result, handed over through the pipe */
	int rc;
	char err[300];
	double t_real, took;
	bool naming_logged;
	char last_err[300]; /* logged once until it changes */
	/* The last finished sample as the loop saw it (the thread's own fields
	 * may be changing while the API reads these). */
	int pub_rc;
	double pub_t;
	bool published;
	metric_series **series; /* every series it set, dropped with it */
	char **rrd_metric;	/* ... and the metric part of its RRD file */
	size_t n_series, cap_series;
	uint64_t *put_no;	      /* ... and the sample that last gave it a value */
	uint64_t sample_no;	      /* samples published so far */
	metric_series **alert_series; /* its sundial_alert_state series */
	size_t n_alert_series;
};

#define HISTORY_MAX 200 /* alert changes kept for the dashboard */

struct change_rec {
	double t;
	char kind[16], target[256], name[ALERT_NAME_MAX], series[SERIES_METRIC_MAX];
	int from, to;
	char reason[160];
};

struct collector {
	const struct collect_config *cfg;
	struct collect_config *owned; /* a reloaded one, freed here */
	uint32_t gen;
	struct event_base *base;
	struct event *tick, *http_io, *http_timer, *results, *sig[3];
	int pipe[2];
	sched *sch;
	metrics *m;
	rrd_store *rrd;
	http_server *http;
	struct src *src;
	size_t n_src;
	int *job_src; /* sched id -> source index */
	size_t n_job;
	alert_set *alerts;
	struct alert_rule *rules; /* what alerts evaluates: defaults and the file's */
	size_t n_rules;
	notifier *notify;
	agentx *agentx;			     /* the AgentX subagent, NULL without the directive */
	struct event *ax_tick;		     /* ... and the timer that hands it the values */
	struct change_rec hist[HISTORY_MAX]; /* a ring, oldest at hist_head once full */
	size_t hist_n, hist_head;
	struct collect_config *(*reload)(void *arg);
	void *reload_arg;
	int status;
};

/* The key of a series in the alert set: kind, target and RRD metric apart
 * by a control character no target holds, so that a source's keys share a
 * prefix (collector_alert_prefix) no other source's have. */
void collector_alert_key(const struct src *s, const char *metric, char *buf, size_t len);
void collector_alert_prefix(const struct src *s, char *buf, size_t len);

/* The value of key in a query string, percent-decoded into buf; false if
 * absent, too long or holding %00. */
bool collector_query_get(const char *q, const char *key, char *buf, size_t len);

/* Hands the subagent the sources' main values (snapshot.c). */
void collector_agentx_publish(struct collector *c);

/* The dashboard's routes on c->http (dashboard.c).  0 or a negative errno. */
int dashboard_routes(struct collector *c) __attribute__((warn_unused_result));

#endif
