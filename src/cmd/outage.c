/* outage.c - `sundial outage TARGET`: probe a service at a fixed rate and
 * measure each outage (a failover, a restart, a blocked path).  Options, the
 * schedule and output; the probes are net/probe, the rule analysis/outage.
 *
 * The schedule is fixed on the monotonic clock: probe slot k is due at
 * start + k / rate, so the rate never drifts.  A slot missed by more than one
 * interval (the process was stopped) is skipped, not sent late in a burst.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "analysis/outage.h"
#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/clock.h"
#include "common/mem.h"
#include "net/addr.h"
#include "net/probe.h"

/* Exit statuses (doc/sundial-outage.1, EXIT STATUS). */
enum {
	EXIT_OK = 0,	    /* answers, and no outage */
	EXIT_OUTAGE = 1,    /* at least one outage */
	EXIT_NO_ANSWER = 2, /* not a single good answer */
	EXIT_CANNOT = 3,    /* could not probe: name, socket, permission */
	EXIT_USAGE = 64,
};

#define RATE_MIN 0.1
#define RATE_MAX 100.0
#define COLLECT_BATCH 64

struct opts {
	enum probe_kind kind;
	const char *target;
	struct addr_spec spec;
	int family;
	double rate;
	double timeout;
	double duration; /* 0: until interrupted */
	unsigned min_lost;
	const char *name;
	bool json;
};

/* The state of one run. */
struct run {
	const struct opts *o;
	probe *p;
	outage_det *det;
	char addr[64];
	uint16_t port;
	double mono0, real0; /* the clocks at the start, to print wall times */
	double start, end;   /* monotonic */
	uint64_t skipped;    /* schedule slots missed */
	uint64_t send_errors;
	int last_send_error;
	unsigned n_printed;
	json_t *outages; /* with --json */
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static const char *const kind_names[] = { "ntp", "dns", "tcp", "icmp" };

static void help(FILE *f)
{
	fprintf(f,
		"usage: sundial outage [OPTIONS] TARGET\n"
		"Probe a service at a fixed rate and measure each outage (a failover, a restart).\n"
		"TARGET: ntp://HOST[:PORT]  dns://HOST[:PORT]  tcp://HOST:PORT  icmp://HOST\n"
		"        (HOST a name or address; [IPv6]:PORT; ports default to 123 and 53)\n\n"
		"  -r, --rate N         probes per second, 0.1 to 100 (default 10)\n"
		"  -t, --timeout SEC    a probe without an answer within SEC is lost (default 1)\n"
		"  -n, --min-lost N     an outage is N or more probes lost in a row (default 3);\n"
		"                       shorter runs are isolated losses\n"
		"  -d, --duration SEC   stop after SEC (default: at SIGINT or SIGTERM)\n"
		"      --name NAME      dns: ask for NAME's SOA (default '.', the root)\n"
		"  -4, -6               use only IPv4 / IPv6 addresses\n"
		"  -j, --json           one JSON document at the end (outages on stderr)\n"
		"  -h, --help           this text\n"
		"An outage lasts from the last good answer before it to the first good answer\n"
		"after it; resolution: one probe interval.  Each outage is printed when it\n"
		"ends, a summary at the end.\n"
		"Exit: 0 no outage, 1 outages, 2 no answer at all, 3 cannot probe, 64 usage.\n");
}

static int parse_target(const char *s, struct opts *o)
{
	static const uint16_t default_port[] = { 123, 53, 0, 0 };
	const char *sep = strstr(s, "://");
	size_t k;
	for (k = 0; sep && k < sizeof kind_names / sizeof kind_names[0]; k++)
		if (strlen(kind_names[k]) == (size_t)(sep - s) &&
		    strncmp(s, kind_names[k], (size_t)(sep - s)) == 0)
			break;
	if (!sep || k == sizeof kind_names / sizeof kind_names[0])
		return cmd_usage_error("outage",
				       "TARGET '%s' needs a method: ntp://HOST, dns://HOST, "
				       "tcp://HOST:PORT or icmp://HOST",
				       s);
	o->kind = (enum probe_kind)k;
	char err[256];
	if (addr_parse_spec(sep + 3, default_port[k], &o->spec, err, sizeof err) != 0)
		return cmd_usage_error("outage", "TARGET '%s': %s", s, err);
	if (o->spec.host[0] == '\0')
		return cmd_usage_error("outage", "TARGET '%s' names no host", s);
	if (o->kind == PROBE_TCP && !o->spec.port_given)
		return cmd_usage_error("outage", "TARGET '%s' needs a port, e.g. tcp://%s:443", s,
				       o->spec.host);
	if (o->kind == PROBE_ICMP && o->spec.port_given)
		return cmd_usage_error("outage", "TARGET '%s': ICMP echo has no port", s);
	if (o->spec.port == 0 && o->kind != PROBE_ICMP)
		return cmd_usage_error("outage", "TARGET '%s': port 0", s);
	return 0;
}

enum { OPT_NAME = 256 };

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "min-lost", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "46r:t:n:d:jh", longopts, NULL)) != -1) {
		switch (c) {
		case '4':
		case '6':
			if (o->family != AF_UNSPEC)
				return cmd_usage_error("outage", "%s", "give -4 or -6, not both");
			o->family = c == '4' ? AF_INET : AF_INET6;
			break;
		case 'r':
			if (!cmd_parse_double(optarg, RATE_MIN, RATE_MAX, &o->rate))
				return cmd_usage_error(
					"outage",
					"-r needs a rate from 0.1 to 100 probes per second, not "
					"'%s' (the floor and the ceiling keep the probes from "
					"flooding the service)",
					optarg);
			break;
		case 't':
			if (!cmd_parse_double(optarg, 0.01, 5, &o->timeout))
				return cmd_usage_error("outage",
						       "-t needs seconds from 0.01 to 5, not '%s'",
						       optarg);
			break;
		case 'n':
			if (!cmd_parse_double(optarg, 1, 1000, &v) || v != floor(v))
				return cmd_usage_error(
					"outage",
					"-n needs a whole number of probes from 1 to 1000, not "
					"'%s'",
					optarg);
			o->min_lost = (unsigned)v;
			break;
		case 'd':
			if (!cmd_parse_double(optarg, 0.1, 31622400, &o->duration))
				return cmd_usage_error(
					"outage",
					"-d needs seconds from 0.1 to 31622400 (a year), not '%s'",
					optarg);
			break;
		case OPT_NAME: o->name = optarg; break;
		case 'j': o->json = true; break;
		case 'h': help(stdout); return -1;
		default: return cmd_usage_error("outage", "%s", "unknown option (see above)");
		}
	}
	if (optind >= argc)
		return cmd_usage_error("outage", "%s",
				       "give a TARGET, e.g. ntp://time.example.net or "
				       "tcp://192.0.2.1:443");
	if (optind + 1 < argc)
		return cmd_usage_error("outage", "one TARGET at a time, not '%s' too",
				       argv[optind + 1]);
	o->target = argv[optind];
	int rc = parse_target(o->target, o);
	if (rc)
		return rc;
	if (o->name && o->kind != PROBE_DNS)
		return cmd_usage_error("outage", "%s", "--name is for dns:// targets only");
	uint8_t q[PROBE_DNS_MAX_QUERY];
	if (o->kind == PROBE_DNS && o->name && probe_dns_query(0, o->name, q, sizeof q) == 0)
		return cmd_usage_error("outage",
				       "--name '%s' is not a domain name (labels of 1 to 63 "
				       "octets, 255 in all)",
				       o->name);
	return 0;
}

/* --- output --- */

static void wall_time(const struct run *r, double mono, char *buf, size_t len)
{
	double t = mono - r->mono0 + r->real0;
	time_t s = (time_t)floor(t);
	int ms = (int)floor((t - floor(t)) * 1000);
	struct tm tm;
	char base[32];
	if (!gmtime_r(&s, &tm) || strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		str_copy(buf, "?", len);
		return;
	}
	str_format(buf, len, "%s.%03dZ", base, ms > 999 ? 999 : ms);
}

static json_t *good_json(const struct run *r, const struct outage_good *g)
{
	char t[48];
	wall_time(r, g->at, t, sizeof t);
	json_t *j = json_object();
	json_object_set_new(j, "time", json_string(t));
	json_object_set_new(j, "rtt", json_real(g->rtt));
	json_object_set_new(j, "seq", json_integer((json_int_t)g->seq));
	return j;
}

/* Appends printf-style text to buf (of len) at *at, cut at the end. */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	if (*at >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at = *at + (size_t)n < len ? *at + (size_t)n : len - 1;
}

/* "N timed out, N port unreachable from 192.0.2.1, N other" (counts that are
 * not zero), appended. */
static void append_reasons(char *buf, size_t len, size_t *at, uint64_t timeouts,
			   const struct outage_reason *rs, size_t n, uint64_t other)
{
	const char *sep = "";
	if (timeouts) {
		append(buf, len, at, "%llu timed out", (unsigned long long)timeouts);
		sep = ", ";
	}
	for (size_t i = 0; i < n; i++, sep = ", ")
		append(buf, len, at, "%s%llu %s", sep, (unsigned long long)rs[i].count, rs[i].why);
	if (other)
		append(buf, len, at, "%s%llu other", sep, (unsigned long long)other);
}

static json_t *reasons_json(const struct outage_reason *rs, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *j = json_object();
		json_object_set_new(j, "reason", json_string(rs[i].why));
		json_object_set_new(j, "count", json_integer((json_int_t)rs[i].count));
		json_array_append_new(a, j);
	}
	return a;
}

static void print_event(struct run *r, const struct outage_event *ev)
{
	FILE *f = r->o->json ? stderr : stdout;
	char a[48], b[48], extra[2048] = "";
	r->n_printed++;
	if (ev->failed) {
		/* " (2 timed out, 18 port unreachable from 192.0.2.1; first:
		 * timeout)"; nothing when every probe timed out. */
		size_t at = 0;
		append(extra, sizeof extra, &at, " (");
		append_reasons(extra, sizeof extra, &at, ev->timeouts, ev->reasons, ev->n_reasons,
			       ev->reasons_other);
		if (ev->timeouts || ev->n_reasons + (ev->reasons_other ? 1 : 0) > 1)
			append(extra, sizeof extra, &at, "; first: %s", ev->first_reason);
		append(extra, sizeof extra, &at, ")");
	}
	if (ev->have_before)
		wall_time(r, ev->before.at, a, sizeof a);
	if (ev->ended)
		wall_time(r, ev->after.at, b, sizeof b);
	if (ev->have_before && ev->ended)
		fprintf(f,
			"outage %u: %.3f s without an answer, %llu probes lost%s, last answer "
			"%s (rtt %.2f ms), first after %s (rtt %.2f ms)\n",
			r->n_printed, ev->duration, (unsigned long long)ev->lost, extra, a,
			ev->before.rtt * 1e3, b, ev->after.rtt * 1e3);
	else if (ev->ended)
		fprintf(f,
			"outage %u: %.3f s without an answer from the start, %llu probes lost%s, "
			"first answer %s (rtt %.2f ms)\n",
			r->n_printed, ev->duration, (unsigned long long)ev->lost, extra, b,
			ev->after.rtt * 1e3);
	else if (ev->have_before)
		fprintf(f,
			"outage %u: still no answer at the end, %.3f s so far, %llu probes "
			"lost%s, last answer %s (rtt %.2f ms)\n",
			r->n_printed, ev->duration, (unsigned long long)ev->lost, extra, a,
			ev->before.rtt * 1e3);
	else
		fprintf(f, "outage %u: no answer at all, %.3f s, %llu probes lost%s\n",
			r->n_printed, ev->duration, (unsigned long long)ev->lost, extra);
	fflush(f);
	if (!r->outages)
		return;
	json_t *j = json_object();
	char t[48];
	json_object_set_new(j, "duration", json_real(ev->duration));
	json_object_set_new(j, "ended", json_boolean(ev->ended));
	json_object_set_new(j, "lost", json_integer((json_int_t)ev->lost));
	json_object_set_new(j, "failed", json_integer((json_int_t)ev->failed));
	json_object_set_new(j, "timeouts", json_integer((json_int_t)ev->timeouts));
	json_object_set_new(j, "first_reason", json_string(ev->first_reason));
	json_object_set_new(j, "reasons", reasons_json(ev->reasons, ev->n_reasons));
	json_object_set_new(j, "reasons_other", json_integer((json_int_t)ev->reasons_other));
	json_object_set_new(j, "last_answer",
			    ev->have_before ? good_json(r, &ev->before) : json_null());
	json_object_set_new(j, "first_answer", ev->ended ? good_json(r, &ev->after) : json_null());
	wall_time(r, ev->first_lost_sent, t, sizeof t);
	json_object_set_new(j, "first_lost_sent", json_string(t));
	wall_time(r, ev->last_lost_sent, t, sizeof t);
	json_object_set_new(j, "last_lost_sent", json_string(t));
	json_object_set_new(j, "first_lost_seq", json_integer((json_int_t)ev->first_seq));
	json_array_append_new(r->outages, j);
}

static void print_events(struct run *r)
{
	struct outage_event ev;
	while (outage_next_event(r->det, &ev))
		print_event(r, &ev);
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : NULL;
}

static void print_summary(const struct run *r)
{
	const struct outage_stats *s = outage_stats(r->det);
	const struct probe_counters *pc = probe_counters(r->p);
	double elapsed = r->end - r->start;
	const char *sig = signal_name(got_signal);
	if (!r->o->json) {
		printf("summary: %s %s", probe_describe(r->p), r->addr);
		if (r->o->kind != PROBE_ICMP)
			printf(" port %u", r->port);
		printf(", %.3g probes/s for %.1f s%s%s: %llu sent, %llu answered, %llu lost, "
		       "%llu with an error reply, %llu in flight at the end\n",
		       r->o->rate, elapsed, sig ? ", ended by " : "", sig ? sig : "",
		       (unsigned long long)s->sent, (unsigned long long)s->answered,
		       (unsigned long long)s->lost, (unsigned long long)s->failed,
		       (unsigned long long)s->in_flight);
		printf("outages: %llu (%u or more lost in a row), longest %.3f s, total %.3f s; "
		       "isolated losses %llu\n",
		       (unsigned long long)s->outages, r->o->min_lost, s->longest, s->total,
		       (unsigned long long)s->isolated);
		if (s->failed) {
			char line[4096];
			size_t at = 0;
			append_reasons(line, sizeof line, &at, 0, s->reasons, s->n_reasons,
				       s->reasons_other);
			printf("failed: %s\n", line);
		}
		if (s->answered)
			printf("rtt: min %.3f ms, avg %.3f ms, max %.3f ms\n", s->rtt_min * 1e3,
			       s->rtt_sum / (double)s->answered * 1e3, s->rtt_max * 1e3);
		if (s->late || pc->unmatched || pc->malformed || pc->icmp_unmatched || r->skipped ||
		    r->send_errors)
			printf("also: %llu late answers, %llu unmatched, %llu malformed, %llu ICMP "
			       "errors for no probe, %llu slots skipped, %llu send errors%s%s\n",
			       (unsigned long long)s->late, (unsigned long long)pc->unmatched,
			       (unsigned long long)pc->malformed,
			       (unsigned long long)pc->icmp_unmatched,
			       (unsigned long long)r->skipped, (unsigned long long)r->send_errors,
			       r->send_errors ? ", last: " : "",
			       r->send_errors ? strerror(r->last_send_error) : "");
		fflush(stdout);
		return;
	}
	json_t *j = json_object();
	char t[48];
	json_object_set_new(j, "target", json_string(r->o->target));
	json_object_set_new(j, "method", json_string(kind_names[r->o->kind]));
	json_object_set_new(j, "probe", json_string(probe_describe(r->p)));
	json_object_set_new(j, "address", json_string(r->addr));
	json_object_set_new(j, "port",
			    r->o->kind == PROBE_ICMP ? json_null() : json_integer(r->port));
	json_object_set_new(j, "rate", json_real(r->o->rate));
	json_object_set_new(j, "timeout", json_real(r->o->timeout));
	json_object_set_new(j, "min_lost", json_integer(r->o->min_lost));
	wall_time(r, r->start, t, sizeof t);
	json_object_set_new(j, "started", json_string(t));
	json_object_set_new(j, "elapsed", json_real(elapsed));
	json_object_set_new(j, "signal", sig ? json_string(sig) : json_null());
	json_object_set_new(j, "sent", json_integer((json_int_t)s->sent));
	json_object_set_new(j, "answered", json_integer((json_int_t)s->answered));
	json_object_set_new(j, "lost", json_integer((json_int_t)s->lost));
	json_object_set_new(j, "late", json_integer((json_int_t)s->late));
	json_object_set_new(j, "failed", json_integer((json_int_t)s->failed));
	json_object_set_new(j, "reasons", reasons_json(s->reasons, s->n_reasons));
	json_object_set_new(j, "reasons_other", json_integer((json_int_t)s->reasons_other));
	json_object_set_new(j, "in_flight", json_integer((json_int_t)s->in_flight));
	json_object_set_new(j, "isolated", json_integer((json_int_t)s->isolated));
	json_object_set_new(j, "skipped", json_integer((json_int_t)r->skipped));
	json_object_set_new(j, "send_errors", json_integer((json_int_t)r->send_errors));
	json_object_set_new(j, "unmatched", json_integer((json_int_t)pc->unmatched));
	json_object_set_new(j, "malformed", json_integer((json_int_t)pc->malformed));
	json_object_set_new(j, "icmp_errors", json_integer((json_int_t)pc->icmp_errors));
	json_object_set_new(j, "icmp_unmatched", json_integer((json_int_t)pc->icmp_unmatched));
	if (s->answered) {
		json_t *rtt = json_object();
		json_object_set_new(rtt, "min", json_real(s->rtt_min));
		json_object_set_new(rtt, "avg", json_real(s->rtt_sum / (double)s->answered));
		json_object_set_new(rtt, "max", json_real(s->rtt_max));
		json_object_set_new(j, "rtt", rtt);
	} else {
		json_object_set_new(j, "rtt", json_null());
	}
	json_object_set_new(j, "outage_count", json_integer((json_int_t)s->outages));
	json_object_set_new(j, "longest", json_real(s->longest));
	json_object_set_new(j, "total", json_real(s->total));
	json_object_set(j, "outages", r->outages);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text) {
		puts(text);
		free(text);
	}
	fflush(stdout);
	json_decref(j);
}

/* --- the loop --- */

static void collect(struct run *r)
{
	struct probe_done d[COLLECT_BATCH];
	size_t n;
	do {
		n = probe_collect(r->p, d, COLLECT_BATCH);
		for (size_t i = 0; i < n; i++) {
			/* -ENOENT: a probe already judged (late); counted there. */
			if (d[i].result == PROBE_R_ANSWER)
				(void)outage_answered(r->det, d[i].seq, d[i].at);
			else
				(void)outage_failed(r->det, d[i].seq, d[i].at, d[i].why);
		}
	} while (n == COLLECT_BATCH);
}

static int send_one(struct run *r, uint64_t seq)
{
	double sent;
	int rc = probe_send(r->p, seq, &sent);
	int e = outage_sent(r->det, seq, sent);
	if (e < 0)
		return e;
	if (rc < 0) {
		char why[OUTAGE_REASON_LEN];
		str_format(why, sizeof why, "cannot send: %s", strerror(-rc));
		r->send_errors++;
		r->last_send_error = -rc;
		(void)outage_failed(r->det, seq, sent, why);
	}
	return 0;
}

static int run_loop(struct run *r, const sigset_t *waitmask)
{
	const struct opts *o = r->o;
	double interval = 1.0 / o->rate;
	uint64_t slot = 0, seq = 0;
	bool sending = true;
	struct pollfd pfd = { probe_fd(r->p), POLLIN, 0 };
	r->start = clock_mono_sec();
	for (;;) {
		double now = clock_mono_sec();
		/* Answers first: one that came in time must not be judged
		 * lost because its probe's timeout passed meanwhile. */
		collect(r);
		(void)outage_expire(r->det, now);
		probe_expire(r->p, now - o->timeout);
		print_events(r);
		if (got_signal)
			break;
		double due = r->start + (double)slot * interval;
		if (sending && o->duration > 0 && due >= r->start + o->duration)
			sending = false;
		/* With -d: the run lasts that long, and past it until the
		 * last probe is answered or timed out. */
		if (!sending && outage_next_expiry(r->det) < 0 && now >= r->start + o->duration)
			break;
		if (sending && due <= now) {
			if (now - due > interval) {
				uint64_t to = (uint64_t)floor((now - r->start) / interval);
				r->skipped += to - slot;
				slot = to;
			}
			int rc = send_one(r, seq++);
			if (rc < 0)
				return rc;
			slot++;
			continue;
		}
		double wake = sending ? due : INFINITY;
		if (!sending && now < r->start + o->duration)
			wake = r->start + o->duration;
		double exp = outage_next_expiry(r->det);
		if (exp >= 0 && exp < wake)
			wake = exp;
		double wait = wake - now;
		if (wait < 0)
			wait = 0;
		if (wait > 1)
			wait = 1;
		struct timespec ts = { (time_t)wait, (long)((wait - floor(wait)) * 1e9) };
		(void)ppoll(&pfd, 1, &ts, waitmask);
	}
	r->end = clock_mono_sec();
	collect(r);
	outage_finish(r->det, r->end);
	print_events(r);
	return 0;
}

int cmd_outage(int argc, char **argv)
{
	struct opts o = { .family = AF_UNSPEC, .rate = 10, .timeout = 1, .min_lost = 3 };
	int rc = parse_args(argc, argv, &o);
	if (rc < 0)
		return EXIT_OK; /* --help */
	if (rc)
		return rc;

	struct run r;
	memset(&r, 0, sizeof r);
	r.o = &o;
	int status = EXIT_CANNOT;
	char err[512];
	struct probe_opts po;
	memset(&po, 0, sizeof po);
	po.kind = o.kind;
	po.dns_name = o.name;
	po.max_in_flight = (size_t)ceil(o.rate * o.timeout) + 2;
	if (addr_resolve(&o.spec, o.family, false, &po.addr, 1, err, sizeof err) < 0) {
		fprintf(stderr, "sundial outage: %s\n", err);
		goto out;
	}
	addr_format((const struct sockaddr *)&po.addr, r.addr, sizeof r.addr);
	r.port = o.spec.port;
	if (probe_open(&po, &r.p, err, sizeof err) < 0) {
		fprintf(stderr, "sundial outage: %s: %s\n", o.target, err);
		goto out;
	}
	struct outage_cfg cfg = { o.timeout, o.min_lost };
	r.det = outage_new(&cfg);
	if (!r.det)
		goto out;
	if (o.json)
		r.outages = json_array();

	/* SIGINT and SIGTERM end the run with the summary: blocked except
	 * while waiting in ppoll(), so none is lost between checks. */
	sigset_t block, waitmask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGTERM);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	r.mono0 = clock_mono_sec();
	r.real0 = clock_real_sec();
	fprintf(stderr, "sundial outage: probing %s: %s %s", o.target, probe_describe(r.p), r.addr);
	if (o.kind != PROBE_ICMP)
		fprintf(stderr, " port %u", r.port);
	fprintf(stderr,
		", %.3g per second, timeout %.3g s, an outage is %u or more lost in a row\n",
		o.rate, o.timeout, o.min_lost);
	if (run_loop(&r, &waitmask) < 0) {
		fprintf(stderr, "sundial outage: internal error in the probe schedule\n");
		goto out;
	}
	print_summary(&r);
	const struct outage_stats *s = outage_stats(r.det);
	status = s->answered == 0 ? EXIT_NO_ANSWER : s->outages ? EXIT_OUTAGE : EXIT_OK;
out:
	json_decref(r.outages);
	outage_free(r.det);
	probe_close(r.p);
	return status;
}
