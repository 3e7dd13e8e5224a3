/* traffic.c - the `capture` source; see traffic.h. */
#include "sources/traffic.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "analysis/clients.h"
#include "analysis/delta.h"
#include "analysis/tpkt.h"
#include "capture/capture.h"
#include "common/clock.h"
#include "common/mem.h"

#define BATCH 10000 /* packets taken per wake-up, so the loop gets back in time */

struct traffic_src {
	const struct source_params *p;
	capture *cap;
	clients *cl;
	delta *dl;
	int64_t last_ns, next_expire;
	uint64_t packets;
	char err[256]; /* a capture error, reported by the next sample */
	double t;      /* the sample's time */
};

static void traffic_close(void *arg)
{
	struct traffic_src *s = arg;
	if (!s)
		return;
	capture_close(s->cap);
	clients_free(s->cl);
	delta_free(s->dl);
	free(s);
}

static void *traffic_open(const struct source_params *p, char *err, size_t errlen)
{
	struct traffic_src *s = mem_calloc(1, sizeof *s);
	s->p = p;
	char filter[32];
	snprintf(filter, sizeof filter, "udp port %u", p->port);
	struct capture_live_opts lo = { p->target, filter, 0, 0, true, false };
	s->cap = capture_open_live(&lo, err, errlen);
	if (!s->cap) {
		free(s);
		return NULL;
	}
	struct clients_opts co = { { 300, 1200, 3600, 86400 }, 4, false, 100, 60 };
	s->cl = clients_new(&co);
	s->dl = delta_new(5);
	if (!s->cl || !s->dl) {
		snprintf(err, errlen, "cannot set up the analyses");
		traffic_close(s);
		return NULL;
	}
	return s;
}

static int traffic_fd(void *arg)
{
	const struct traffic_src *s = arg;
	return capture_fd(s->cap);
}

/* Packets waiting on the descriptor, through the analyses. */
static int traffic_readable(void *arg, char *err, size_t errlen)
{
	struct traffic_src *s = arg;
	for (int k = 0; k < BATCH; k++) {
		struct capture_pkt cp;
		int n = capture_next(s->cap, &cp);
		if (n <= 0) {
			if (n < 0) {
				snprintf(s->err, sizeof s->err, "%s", capture_error(s->cap));
				snprintf(err, errlen, "%s", s->err);
			}
			return n < 0 ? -EIO : 0;
		}
		struct tpkt p;
		tpkt_decode(cp.linktype, cp.data, cp.caplen, &cp.ts, (uint16_t)s->p->port, &p);
		if (p.t == TPKT_NO_TIME)
			continue;
		s->packets++;
		if (p.t > s->last_ns)
			s->last_ns = p.t;
		if (p.t >= s->next_expire) {
			delta_expire(s->dl, p.t);
			s->next_expire = p.t + 1000000000;
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
	return 0;
}

static int traffic_sample(void *arg, double timeout, char *err, size_t errlen)
{
	struct traffic_src *s = arg;
	(void)timeout;
	s->t = clock_real_sec();
	if (s->err[0]) {
		snprintf(err, errlen, "%s", s->err);
		return -EIO;
	}
	return 0;
}

/* The figures over the interval since the last sample. */
static void traffic_publish(void *arg, int rc, const struct source_out *o)
{
	(void)rc; /* what was captured until the error still counts */
	struct traffic_src *s = arg;
	struct clients_window w[CLIENTS_MAX_WINDOWS];
	clients_windows(s->cl, s->last_ns ? (double)s->last_ns / 1e9 : s->t, w);
	static const char *const wname[] = { "5m", "20m", "1h", "24h" };
	for (size_t i = 0; i < 4; i++) {
		const char *ex[] = { "window", wname[i], NULL };
		o->put(o->ctx, "sundial_traffic_clients",
		       "Distinct client addresses in the window.", METRIC_GAUGE, ex,
		       (double)(w[i].v4 + w[i].v6));
		const char *ex4[] = { "window", wname[i], "family", "ipv4", NULL };
		const char *ex6[] = { "window", wname[i], "family", "ipv6", NULL };
		o->put(o->ctx, "sundial_traffic_clients_by_family",
		       "Distinct client addresses in the window, per address family.", METRIC_GAUGE,
		       ex4, (double)w[i].v4);
		o->put(o->ctx, "sundial_traffic_clients_by_family",
		       "Distinct client addresses in the window, per address family.", METRIC_GAUGE,
		       ex6, (double)w[i].v6);
	}
	o->put(o->ctx, "sundial_traffic_requests_per_second", "Mean request rate over 5 minutes.",
	       METRIC_GAUGE, NULL, w[0].req_rate_mean);
	o->put(o->ctx, "sundial_traffic_responses_per_second", "Mean response rate over 5 minutes.",
	       METRIC_GAUGE, NULL, w[0].resp_rate_mean);
	struct delta_stats d;
	delta_interval_take(s->dl, &d);
	o->put(o->ctx, "sundial_traffic_response_p50_seconds",
	       "Median response time (capture to capture) of the interval's pairs.", METRIC_GAUGE,
	       NULL, d.p50);
	o->put(o->ctx, "sundial_traffic_response_p99_seconds",
	       "99th percentile response time of the interval's pairs.", METRIC_GAUGE, NULL, d.p99);
	o->put(o->ctx, "sundial_traffic_pairs", "Requests answered in the interval.", METRIC_GAUGE,
	       NULL, (double)d.pairs);
	o->put(o->ctx, "sundial_traffic_unanswered", "Requests left unanswered in the interval.",
	       METRIC_GAUGE, NULL, (double)d.unanswered);
	uint64_t rx, drop, ifdrop;
	if (capture_stats(s->cap, &rx, &drop, &ifdrop) == 0)
		o->put(o->ctx, "sundial_traffic_kernel_drops_total",
		       "Packets the kernel dropped before the capture read them.", METRIC_COUNTER,
		       NULL, (double)drop);
}

const struct source_ops traffic_source = {
	.kind = "capture",
	.threaded = false,
	.open = traffic_open,
	.sample = traffic_sample,
	.publish = traffic_publish,
	.fd = traffic_fd,
	.readable = traffic_readable,
	.close = traffic_close,
};
