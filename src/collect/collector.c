/* collector.c - the collector's event loop; see collector.h.
 *
 * Times: the schedule runs on the monotonic clock; samples are stamped with
 * the real time they were taken (for RRD and Prometheus).  Each threaded
 * source has a thread that waits for "go", samples with its own timeout,
 * writes its index to a pipe and waits again; the loop reads the pipe,
 * publishes the result and tells the schedule the sample is done. */
#include "collect/collector.h"

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

#include "auth/keys.h"
#include "collect/sched.h"
#include "collect/series.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"
#include "net/ntp_client.h"
#include "sources/chronyd.h"
#include "analysis/clients.h"
#include "analysis/delta.h"
#include "analysis/tpkt.h"
#include "capture/capture.h"
#include "sources/daemon.h"
#include "sources/exec.h"
#include "sources/gpsd.h"
#include "sources/hwmon.h"
#include "sources/ntpd.h"
#include "store/metrics.h"
#include "store/rrd.h"
#include "web/http.h"

#define SAMPLE_TIMEOUT_MAX 10.0 /* seconds, and at most 80 % of the interval */
#define HWMON_MAX 64

struct src {
	struct collector *c;
	const struct collect_source *cfg;
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
	dmn_status *st;
	struct ntpc_summary sum;
	struct ntpc_target tgt;
	bool have_tgt;
	keyring *kr;
	const struct key *key;
	struct exec_result *ex; /* exec */
	gpsd_conn *gps;		/* gpsd: kept between samples */
	struct gpsd_reading gr;
	/* capture: the live analysis of `sundial traffic`, fed on the loop */
	capture *cap;
	clients *cl;
	delta *dl;
	struct event *cap_ev;
	int64_t cap_last_ns, cap_next_expire;
	uint64_t cap_packets;
	bool bad_lines_logged, naming_logged;
	char last_err[300]; /* logged once until it changes */
	/* The last finished sample as the loop saw it (the thread's own fields
	 * may be changing while the API reads these). */
	int pub_rc;
	double pub_t;
	bool published;
	metric_series **series; /* every series it set, dropped with it */
	char **rrd_metric;	/* ... and the metric part of its RRD file */
	size_t n_series, cap_series;
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
	struct collect_config *(*reload)(void *arg);
	void *reload_arg;
	int status;
};

/* ---- publishing ---- */

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
	bool known = false;
	for (size_t i = 0; i < s->n_series && !known; i++)
		known = s->series[i] == ms;
	if (!known) {
		if (s->n_series == s->cap_series) {
			s->cap_series = s->cap_series ? 2 * s->cap_series : 16;
			s->series = mem_realloc(s->series, s->cap_series * sizeof s->series[0]);
			s->rrd_metric =
				mem_realloc(s->rrd_metric, s->cap_series * sizeof s->rrd_metric[0]);
		}
		s->rrd_metric[s->n_series] = mem_strdup(metric);
		s->series[s->n_series++] = ms;
	}
	if (!isfinite(v))
		return;
	struct rrd_series_def d = { collect_kind_name(s->cfg->kind), s->cfg->target, metric,
				    type == METRIC_COUNTER, (unsigned)s->cfg->interval };
	if (rrd_store_update(c->rrd, &d, t, v, err, sizeof err) != 0)
		log_warn("%s %s: %s", collect_kind_name(s->cfg->kind), s->cfg->target, err);
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
static void put_daemon_counters(struct collector *c, struct src *s)
{
	const dmn_status *st = s->st;
	double t = s->t_real;
	for (size_t i = 0; i < sizeof daemon_counters / sizeof daemon_counters[0]; i++) {
		double v = dmn_counter(st, daemon_counters[i].counter);
		if (!isnan(v))
			put(c, s, daemon_counters[i].family, daemon_counters[i].help,
			    METRIC_COUNTER, NULL, t, v);
	}
	for (size_t i = 0; i < st->n_refclocks; i++) {
		const struct dmn_refclock *r = &st->refclocks[i];
		const char *ex[] = { "refclock", r->name[0] ? r->name : r->refid, NULL };
		if (r->status >= 0)
			put(c, s, "sundial_daemon_refclock_status",
			    "Refclock status: 0 nominal, 1 no reply, 2 bad format, 3 hardware "
			    "fault, 4 propagation, 5 bad date, 6 bad time.",
			    METRIC_GAUGE, ex, t, r->status);
		put(c, s, "sundial_daemon_refclock_noreply_total", "Polls the refclock did not answer.",
		    METRIC_COUNTER, ex, t, (double)r->noreply);
		put(c, s, "sundial_daemon_refclock_badformat_total",
		    "Refclock messages of bad format.", METRIC_COUNTER, ex, t,
		    (double)r->badformat);
		put(c, s, "sundial_daemon_refclock_baddata_total", "Refclock messages of bad data.",
		    METRIC_COUNTER, ex, t, (double)r->baddata);
	}
}

static void put_daemon(struct collector *c, struct src *s)
{
	const dmn_status *st = s->st;
	const struct dmn_system *y = &st->sys;
	double t = s->t_real;
	put(c, s, "sundial_daemon_synchronised", "1 if the daemon is synchronised.", METRIC_GAUGE,
	    NULL, t, y->synchronised);
	if (y->stratum >= 0)
		put(c, s, "sundial_daemon_stratum", "The daemon's stratum.", METRIC_GAUGE, NULL, t,
		    y->stratum);
	if (y->leap >= 0)
		put(c, s, "sundial_daemon_leap", "Leap indicator (3: unsynchronised).",
		    METRIC_GAUGE, NULL, t, y->leap);
	put(c, s, "sundial_daemon_offset_seconds", "Last offset of the local clock.", METRIC_GAUGE,
	    NULL, t, y->offset);
	put(c, s, "sundial_daemon_root_delay_seconds", "Root delay.", METRIC_GAUGE, NULL, t,
	    y->root_delay);
	put(c, s, "sundial_daemon_root_dispersion_seconds", "Root dispersion.", METRIC_GAUGE, NULL,
	    t, y->root_disp);
	put(c, s, "sundial_daemon_frequency_ppm", "Frequency correction of the local clock.",
	    METRIC_GAUGE, NULL, t, y->frequency);
	put(c, s, "sundial_daemon_good_sources", "Sources the daemon would use.", METRIC_GAUGE,
	    NULL, t, (double)dmn_good_sources(st));
	for (size_t i = 0; i < st->n_sources; i++) {
		const struct dmn_source *u = &st->sources[i];
		const char *ex[] = { "upstream", u->address[0] ? u->address : u->name, NULL };
		put(c, s, "sundial_daemon_source_offset_seconds", "Offset of an upstream source.",
		    METRIC_GAUGE, ex, t, u->offset);
		put(c, s, "sundial_daemon_source_delay_seconds", "Delay to an upstream source.",
		    METRIC_GAUGE, ex, t, u->delay);
		put(c, s, "sundial_daemon_source_jitter_seconds", "Jitter of an upstream source.",
		    METRIC_GAUGE, ex, t, u->jitter);
		if (u->reach >= 0)
			put(c, s, "sundial_daemon_source_reach_ratio",
			    "Share of the last 8 polls answered.", METRIC_GAUGE, ex, t,
			    dmn_reach_pct(u->reach) / 100.0);
	}
	put_daemon_counters(c, s);
}

static void put_server(struct collector *c, struct src *s)
{
	const struct ntpc_summary *m = &s->sum;
	double t = s->t_real;
	put(c, s, "sundial_query_up", "1 if the server gave a usable time.", METRIC_GAUGE, NULL, t,
	    m->status == NTPC_OK);
	if (m->best) {
		put(c, s, "sundial_query_offset_seconds", "Offset of the server's clock.",
		    METRIC_GAUGE, NULL, t, m->offset_median);
		put(c, s, "sundial_query_delay_seconds", "Round-trip delay.", METRIC_GAUGE, NULL, t,
		    m->delay_min);
		put(c, s, "sundial_query_stratum", "The server's stratum.", METRIC_GAUGE, NULL, t,
		    m->best->reply.stratum);
		put(c, s, "sundial_query_leap", "Leap indicator.", METRIC_GAUGE, NULL, t,
		    m->best->reply.leap);
		put(c, s, "sundial_query_root_distance_seconds", "Root distance.", METRIC_GAUGE,
		    NULL, t, m->root_distance);
	}
	put(c, s, "sundial_query_kod", "1 if the server sent a kiss-o'-death.", METRIC_GAUGE, NULL,
	    t, m->status == NTPC_KOD);
}

/* An exec program's values as sundial_exec_<name>; its bad lines are
 * logged once, not every interval. */
static void put_exec(struct collector *c, struct src *s)
{
	const struct exec_result *r = s->ex;
	for (size_t i = 0; i < r->n; i++) {
		char name[EXEC_NAME_MAX + 16];
		snprintf(name, sizeof name, "sundial_exec_%s", r->v[i].name);
		put(c, s, name, "A value an exec source printed.", METRIC_GAUGE, NULL, s->t_real,
		    r->v[i].value);
	}
	if (r->bad_lines && !s->bad_lines_logged) {
		log_warn("exec %s: %zu lines are not 'name value', the first: '%s' (said once)",
			 s->cfg->target, r->bad_lines, r->first_bad);
		s->bad_lines_logged = true;
	}
}

static void put_gpsd(struct collector *c, struct src *s)
{
	const struct gpsd_reading *g = &s->gr;
	double t = s->t_real;
	const char *dev[] = { "device", g->device, NULL };
	put(c, s, "sundial_gps_fix_mode", "Fix: 0 unknown, 1 none, 2 2D, 3 3D.", METRIC_GAUGE, dev,
	    t, g->mode);
	if (g->sats_seen >= 0)
		put(c, s, "sundial_gps_satellites_seen", "Satellites in view.", METRIC_GAUGE, dev,
		    t, g->sats_seen);
	if (g->sats_used >= 0)
		put(c, s, "sundial_gps_satellites_used", "Satellites used in the fix.",
		    METRIC_GAUGE, dev, t, g->sats_used);
	put(c, s, "sundial_gps_used_snr_mean_dbhz", "Mean signal of the satellites used.",
	    METRIC_GAUGE, dev, t, g->snr_mean_used);
	put(c, s, "sundial_gps_used_snr_min_dbhz", "Weakest signal among the satellites used.",
	    METRIC_GAUGE, dev, t, g->snr_min_used);
	static const char *const dop_name[] = { "sundial_gps_hdop", "sundial_gps_vdop",
						"sundial_gps_pdop", "sundial_gps_tdop",
						"sundial_gps_gdop" };
	const double dop[] = { g->hdop, g->vdop, g->pdop, g->tdop, g->gdop };
	for (size_t i = 0; i < 5; i++)
		put(c, s, dop_name[i], "Dilution of precision.", METRIC_GAUGE, dev, t, dop[i]);
	put(c, s, "sundial_gps_pps_offset_seconds", "PPS offset as gpsd reports it.", METRIC_GAUGE,
	    dev, t, g->pps_offset);
}

/* A capture source's figures over the interval since its last sample:
 * distinct clients in the windows, request and response rates, response
 * times of the pairs made, unanswered requests, kernel drops. */
static void put_capture(struct collector *c, struct src *s, double t)
{
	struct clients_window w[CLIENTS_MAX_WINDOWS];
	clients_windows(s->cl, s->cap_last_ns ? (double)s->cap_last_ns / 1e9 : t, w);
	static const char *const wname[] = { "5m", "20m", "1h", "24h" };
	for (size_t i = 0; i < 4; i++) {
		const char *ex[] = { "window", wname[i], NULL };
		put(c, s, "sundial_traffic_clients", "Distinct client addresses in the window.",
		    METRIC_GAUGE, ex, t, (double)(w[i].v4 + w[i].v6));
	}
	put(c, s, "sundial_traffic_requests_per_second", "Mean request rate over 5 minutes.",
	    METRIC_GAUGE, NULL, t, w[0].req_rate_mean);
	put(c, s, "sundial_traffic_responses_per_second", "Mean response rate over 5 minutes.",
	    METRIC_GAUGE, NULL, t, w[0].resp_rate_mean);
	struct delta_stats d;
	delta_interval_take(s->dl, &d);
	put(c, s, "sundial_traffic_response_p50_seconds",
	    "Median response time (capture to capture) of the interval's pairs.", METRIC_GAUGE,
	    NULL, t, d.p50);
	put(c, s, "sundial_traffic_response_p99_seconds",
	    "99th percentile response time of the interval's pairs.", METRIC_GAUGE, NULL, t, d.p99);
	put(c, s, "sundial_traffic_pairs", "Requests answered in the interval.", METRIC_GAUGE, NULL,
	    t, (double)d.pairs);
	put(c, s, "sundial_traffic_unanswered", "Requests left unanswered in the interval.",
	    METRIC_GAUGE, NULL, t, (double)d.unanswered);
	uint64_t rx, drop, ifdrop;
	if (capture_stats(s->cap, &rx, &drop, &ifdrop) == 0)
		put(c, s, "sundial_traffic_kernel_drops_total",
		    "Packets the kernel dropped before the capture read them.", METRIC_COUNTER,
		    NULL, t, (double)drop);
}

/* Packets waiting on a capture source's descriptor, through the analyses. */
static void on_capture(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct src *s = arg;
	for (int k = 0; k < 10000; k++) {
		struct capture_pkt cp;
		int n = capture_next(s->cap, &cp);
		if (n <= 0) {
			if (n < 0)
				snprintf(s->err, sizeof s->err, "%s", capture_error(s->cap));
			return;
		}
		struct tpkt p;
		tpkt_decode(cp.linktype, cp.data, cp.caplen, &cp.ts, (uint16_t)s->cfg->port, &p);
		if (p.t == TPKT_NO_TIME)
			continue;
		s->cap_packets++;
		if (p.t > s->cap_last_ns)
			s->cap_last_ns = p.t;
		if (p.t >= s->cap_next_expire) {
			delta_expire(s->dl, p.t);
			s->cap_next_expire = p.t + 1000000000;
		}
		if (p.kind != TPKT_REQUEST && p.kind != TPKT_RESPONSE)
			continue;
		struct tpkt_keys keys;
		tpkt_keys(s->cl, s->dl, &p, &keys);
		double sec = (double)p.t / 1e9;
		if (p.kind == TPKT_REQUEST) {
			clients_request(s->cl, sec, &keys.ck, p.ntp_version, p.ntp_mode);
			delta_request(s->dl, p.t, &keys.dk);
		} else {
			clients_response(s->cl, sec, p.kod, p.rate);
			delta_answer(s->dl, p.t, &keys.dk, p.has_server, p.server, p.kod);
		}
	}
}

static void put_hwmon(struct collector *c, struct src *s, double t)
{
	struct hwmon_reading r[HWMON_MAX];
	size_t n = 0, skipped = 0;
	int rc = hwmon_read(s->cfg->target, r, HWMON_MAX, &n, &skipped);
	s->rc = rc;
	if (rc != 0)
		snprintf(s->err, sizeof s->err, "%s: no class/hwmon or class/thermal",
			 s->cfg->target);
	for (size_t i = 0; i < n; i++) {
		const char *ex[] = { "chip", r[i].chip, "sensor", r[i].sensor, NULL };
		put(c, s, "sundial_hwmon_temperature_celsius", "A temperature the kernel reports.",
		    METRIC_GAUGE, ex, t, r[i].celsius);
	}
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

/* ---- the blocking samples, in the source's thread ---- */

static double sample_timeout(const struct src *s)
{
	double t = s->cfg->interval * 0.8;
	return t < SAMPLE_TIMEOUT_MAX ? t : SAMPLE_TIMEOUT_MAX;
}

static int resolve(struct src *s, uint16_t port, struct sockaddr_storage *out)
{
	struct addr_spec spec;
	if (addr_parse_spec(s->cfg->target, port, &spec, s->err, sizeof s->err) != 0)
		return -EINVAL;
	int n = addr_resolve(&spec, AF_UNSPEC, false, out, 1, s->err, sizeof s->err);
	return n > 0 ? 0 : n;
}

static void sample_blocking(struct src *s)
{
	s->err[0] = '\0';
	double t0 = clock_mono_sec();
	s->t_real = clock_real_sec();
	switch (s->cfg->kind) {
	case COLLECT_CHRONYD: {
		dmn_free(s->st);
		s->st = dmn_new(DMN_CHRONYD);
		struct sockaddr_storage a;
		bool path = s->cfg->target[0] == '/';
		s->rc = path ? 0 : resolve(s, 323, &a);
		if (s->rc == 0) {
			struct chronyd_opts o = { sample_timeout(s) / 4,
						  path ? s->cfg->target : NULL, path ? NULL : &a,
						  false, 0 };
			s->rc = chronyd_read(&o, s->st, s->err, sizeof s->err);
		}
		break;
	}
	case COLLECT_NTPD: {
		dmn_free(s->st);
		s->st = dmn_new(DMN_NTPD);
		struct sockaddr_storage a;
		s->rc = resolve(s, 123, &a);
		if (s->rc == 0) {
			struct ntpd_opts o = { sample_timeout(s) / 4, s->key, false, 0 };
			s->rc = ntpd_read(&a, &o, s->st, s->err, sizeof s->err);
		}
		break;
	}
	case COLLECT_SERVER: {
		if (s->have_tgt)
			ntpc_target_fini(&s->tgt);
		s->have_tgt = false;
		memset(&s->tgt, 0, sizeof s->tgt);
		s->rc = resolve(s, 123, &s->tgt.addr);
		if (s->rc != 0)
			break;
		struct ntpc_opts o = { 1, 0, sample_timeout(s), s->key, NULL, 0 };
		ntpc_target_init(&s->tgt, &o);
		s->have_tgt = true;
		s->rc = ntpc_run(&s->tgt, 1, &o);
		ntpc_summarize(&s->tgt, s->key != NULL, &s->sum);
		if (s->rc == 0 && s->sum.status != NTPC_OK && s->sum.status != NTPC_UNSYNC) {
			s->rc = -EIO;
			static const char *const why[] = {
				[NTPC_TIMEOUT] = "no reply",
				[NTPC_UNREACHABLE] = "unreachable",
				[NTPC_KOD] = "kiss-o'-death",
				[NTPC_AUTH_FAILED] = "authentication failed",
				[NTPC_INVALID] = "invalid replies",
			};
			unsigned st = s->sum.status;
			snprintf(s->err, sizeof s->err, "no usable reply: %s",
				 st < sizeof why / sizeof why[0] && why[st] ? why[st] : "?");
		}
		break;
	}
	case COLLECT_GPSD:
		s->rc = gpsd_sample(s->gps, sample_timeout(s), &s->gr, s->err, sizeof s->err);
		break;
	case COLLECT_EXEC:
		if (!s->ex)
			s->ex = mem_calloc(1, sizeof *s->ex);
		s->rc = exec_sample(s->cfg->target, s->cfg->args, s->cfg->timeout, s->ex, s->err,
				    sizeof s->err);
		break;
	default: s->rc = -ENOTSUP; break;
	}
	s->took = clock_mono_sec() - t0;
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
		sample_blocking(s);
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
		double t0 = clock_mono_sec();
		s->t_real = clock_real_sec();
		s->rc = 0;
		if (s->cfg->kind == COLLECT_CAPTURE) {
			s->rc = s->err[0] ? -EIO : 0;
			put_capture(c, s, s->t_real);
		} else {
			s->err[0] = '\0';
			put_hwmon(c, s, s->t_real);
		}
		s->took = clock_mono_sec() - t0;
		put_outcome(c, s);
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
		if (s->rc == 0) {
			if (s->cfg->kind == COLLECT_SERVER)
				put_server(c, s);
			else if (s->cfg->kind == COLLECT_EXEC)
				put_exec(c, s);
			else if (s->cfg->kind == COLLECT_GPSD)
				put_gpsd(c, s);
			else if (s->st)
				put_daemon(c, s);
		}
		put_outcome(c, s);
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

/* The value of key in a query string, percent-decoded into buf; false if
 * absent or too long. */
static bool query_get(const char *q, const char *key, char *buf, size_t len)
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
	if (!query_get(query, "source", kind, sizeof kind) ||
	    !query_get(query, "target", target, sizeof target) ||
	    !query_get(query, "metric", metric, sizeof metric))
		return reply_text(r, 400, "give source, target and metric (see /api/v1/sources)\n");
	(void)query_get(query, "cf", cf, sizeof cf);
	double now = clock_real_sec(), start = now - 3600, end = now;
	if (query_get(query, "start", num, sizeof num)) {
		char *e;
		start = strtod(num, &e);
		if (*e || !isfinite(start))
			return reply_text(r, 400, "start: a number of seconds\n");
		if (start < 0)
			start += now;
	}
	if (query_get(query, "end", num, sizeof num)) {
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

static int start_source(struct collector *c, struct src *s, const struct collect_source *cfg,
			size_t i, uint32_t gen, char *err, size_t errlen)
{
	s->c = c;
	s->cfg = cfg;
	s->idx = i;
	s->gen = gen;
	s->job = -1;
	if (cfg->kind == COLLECT_GPSD) {
		struct addr_spec spec;
		char e[256];
		if (addr_parse_spec(cfg->target, 2947, &spec, e, sizeof e) != 0) {
			snprintf(err, errlen, "%s:%u: %s", cfg->file, cfg->line, e);
			return -EINVAL;
		}
		char port[8];
		snprintf(port, sizeof port, "%u", (unsigned)spec.port);
		s->gps = gpsd_new(spec.host, port);
	}
	if (cfg->kind == COLLECT_CAPTURE) {
		char filter[32], e[512];
		snprintf(filter, sizeof filter, "udp port %u", cfg->port);
		struct capture_live_opts lo = { cfg->target, filter, 0, 0, true, false };
		s->cap = capture_open_live(&lo, e, sizeof e);
		if (!s->cap) {
			snprintf(err, errlen, "%s:%u: capture %s: %s", cfg->file, cfg->line,
				 cfg->target, e);
			return -EIO;
		}
		struct clients_opts co = { { 300, 1200, 3600, 86400 }, 4, false, 100, 60 };
		s->cl = clients_new(&co);
		s->dl = delta_new(5);
		s->cap_ev =
			event_new(c->base, capture_fd(s->cap), EV_READ | EV_PERSIST, on_capture, s);
		if (!s->cl || !s->dl || !s->cap_ev || event_add(s->cap_ev, NULL) != 0) {
			snprintf(err, errlen, "%s:%u: capture %s: cannot set it up", cfg->file,
				 cfg->line, cfg->target);
			return -EIO;
		}
	}
	if (cfg->key_id) {
		s->kr = keyring_new();
		bool world = false;
		char e[300];
		if (keyring_load(s->kr, cfg->keyfile, KEYFILE_AUTO, &world, e, sizeof e) != 0) {
			snprintf(err, errlen, "%s:%u: %s", cfg->file, cfg->line, e);
			return -EINVAL;
		}
		s->key = keyring_find(s->kr, (uint32_t)cfg->key_id);
		if (!s->key) {
			snprintf(err, errlen, "%s:%u: key %lu is not in %s", cfg->file, cfg->line,
				 cfg->key_id, cfg->keyfile);
			return -EINVAL;
		}
	}
	s->threaded = cfg->kind != COLLECT_HWMON && cfg->kind != COLLECT_CAPTURE;
	if (s->threaded) {
		pthread_mutex_init(&s->mu, NULL);
		pthread_cond_init(&s->cv, NULL);
		if (pthread_create(&s->th, NULL, src_thread, s) != 0) {
			snprintf(err, errlen, "cannot start a thread for %s %s",
				 collect_kind_name(cfg->kind), cfg->target);
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
		metrics_drop(s->series[i]);
		free(s->rrd_metric[i]);
	}
	free(s->series);
	free(s->rrd_metric);
	dmn_free(s->st);
	if (s->have_tgt)
		ntpc_target_fini(&s->tgt);
	keyring_free(s->kr);
	free(s->ex);
	gpsd_free(s->gps);
	if (s->cap_ev)
		event_free(s->cap_ev);
	capture_close(s->cap);
	clients_free(s->cl);
	delta_free(s->dl);
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
	schedule_sources(c, v, n->n_src);
	log_info("SIGHUP: %zu sources", n->n_src);
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
		    http_route(c->http, "/api/v1/series", api_series, c) != 0) {
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
