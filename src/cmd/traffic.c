/* traffic.c - `sundial traffic`: a time server's clients, rates and response
 * times from its packets, live or from capture files. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "analysis/clients.h"
#include "analysis/delta.h"
#include "analysis/tpkt.h"
#include "capture/capture.h"
#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/bq.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "wire/frame.h"
#include "wire/ntp.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 64, EXIT_PERM = 77 };

#define MAX_FILES 1024
#define TOP_MAX 1000

struct opts {
	const char *files[MAX_FILES];
	size_t n_files;
	const char *iface;
	const char *filter;
	const char *write;
	const char *user;
	long bufsize;
	unsigned long count;
	struct clients_opts co;
	double every;
	size_t top;
	double timeout;
	bool anonymize, pairs, json, csv, quiet;
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void help(FILE *f)
{
	fprintf(f,
		"usage: sundial traffic -r FILE... | -i IFACE [OPTIONS]\n"
		"A time server's clients, rates and response times, from its packets.\n\n"
		"  -r FILE          capture file (pcap, pcapng; '-' stdin), repeatable, merged\n"
		"  -i IFACE         live capture; a report every --every until Ctrl-C\n"
		"  -f EXPR          BPF filter, then any UDP port is NTP (default: port 123)\n"
		"  -w FILE          live: also write the packets to FILE\n"
		"  -Z USER          live: drop privileges to USER after opening IFACE\n"
		"  -B BYTES         live: kernel buffer size;  -c N  stop after N packets\n"
		"  --windows LIST   sliding windows (default 5m,20m,1h,24h)\n"
		"  --every DUR      one series row per interval (live default 60s)\n"
		"  --top N          top talkers (default 10);  --abuse K/T  (default 100/60s)\n"
		"  --timeout DUR    unanswered after this long (default 5s)\n"
		"  --approx         HyperLogLog estimates instead of exact counts\n"
		"  --anonymize      addresses truncated to /24 and /48\n"
		"  --pairs          print every request/response pair\n"
		"  -j, --json       JSON;  --csv  the series as CSV;  -q  no progress line\n"
		"Exact counting costs about %zu bytes per distinct client in the input.\n"
		"Exit: 0 ok, 1 an input could not be read, 64 usage, 77 no permission to "
		"capture.\n",
		clients_bytes_per_client());
}

/* "90", "90s", "5m", "1h", "1d", "1.5s" to seconds; false if malformed. */
static bool parse_duration(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v <= 0)
		return false;
	double mul = 1;
	if (*end == 's')
		end++;
	else if (*end == 'm' && end[1] != 's')
		mul = 60, end++;
	else if (*end == 'h')
		mul = 3600, end++;
	else if (*end == 'd')
		mul = 86400, end++;
	else if (*end == 'm' && end[1] == 's')
		mul = 0.001, end += 2;
	if (*end != '\0')
		return false;
	*out = v * mul;
	return true;
}

static bool parse_windows(const char *s, struct clients_opts *co)
{
	char buf[256];
	if (str_copy(buf, s, sizeof buf) >= sizeof buf)
		return false;
	co->n_windows = 0;
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (co->n_windows == CLIENTS_MAX_WINDOWS)
			return false;
		double w;
		if (!parse_duration(tok, &w))
			return false;
		if (co->n_windows && w <= co->windows[co->n_windows - 1])
			return false;
		co->windows[co->n_windows++] = w;
	}
	return co->n_windows > 0;
}

enum {
	OPT_WINDOWS = 256,
	OPT_EVERY,
	OPT_TOP,
	OPT_ABUSE,
	OPT_TIMEOUT,
	OPT_APPROX,
	OPT_ANON,
	OPT_PAIRS,
	OPT_CSV
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "windows", required_argument, NULL, OPT_WINDOWS },
		{ "every", required_argument, NULL, OPT_EVERY },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "abuse", required_argument, NULL, OPT_ABUSE },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "approx", no_argument, NULL, OPT_APPROX },
		{ "anonymize", no_argument, NULL, OPT_ANON },
		{ "pairs", no_argument, NULL, OPT_PAIRS },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:i:f:w:Z:B:c:jqvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->n_files == MAX_FILES)
				return cmd_usage_error("traffic", "at most %d files", MAX_FILES);
			o->files[o->n_files++] = optarg;
			break;
		case 'i': o->iface = optarg; break;
		case 'f': o->filter = optarg; break;
		case 'w': o->write = optarg; break;
		case 'Z': o->user = optarg; break;
		case 'B': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v <= 0)
				return cmd_usage_error(
					"traffic", "-B needs a size in bytes, not '%s'", optarg);
			o->bufsize = v;
			break;
		}
		case 'c': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v == 0 || optarg[0] == '-')
				return cmd_usage_error("traffic",
						       "-c needs a packet count, not '%s'", optarg);
			o->count = v;
			break;
		}
		case OPT_WINDOWS:
			if (!parse_windows(optarg, &o->co))
				return cmd_usage_error("traffic",
						       "--windows needs ascending durations like "
						       "5m,20m,1h,24h (at most %d), not '%s'",
						       CLIENTS_MAX_WINDOWS, optarg);
			break;
		case OPT_EVERY:
			if (!parse_duration(optarg, &o->every))
				return cmd_usage_error(
					"traffic", "--every needs a duration like 60s, not '%s'",
					optarg);
			break;
		case OPT_TOP: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || v > TOP_MAX || optarg[0] == '-')
				return cmd_usage_error(
					"traffic", "--top needs a number from 0 to %d, not '%s'",
					TOP_MAX, optarg);
			o->top = v;
			break;
		}
		case OPT_ABUSE: {
			char *slash = strchr(optarg, '/');
			char *end;
			unsigned long k = strtoul(optarg, &end, 10);
			double t;
			if (!slash || end != slash || k == 0 || !parse_duration(slash + 1, &t))
				return cmd_usage_error(
					"traffic",
					"--abuse needs COUNT/DURATION like 100/60s, not '%s'",
					optarg);
			o->co.abuse_count = (unsigned)k;
			o->co.abuse_period = t;
			break;
		}
		case OPT_TIMEOUT:
			if (!parse_duration(optarg, &o->timeout))
				return cmd_usage_error(
					"traffic", "--timeout needs a duration like 5s, not '%s'",
					optarg);
			break;
		case OPT_APPROX: o->co.approx = true; break;
		case OPT_ANON: o->anonymize = true; break;
		case OPT_PAIRS: o->pairs = true; break;
		case 'j': o->json = true; break;
		case OPT_CSV: o->csv = true; break;
		case 'q': o->quiet = true; break;
		case 'v': log_set_verbosity(log_get_verbosity() + 1); break;
		case 'h': help(stdout); return -1;
		default:
			fprintf(stderr, "'sundial traffic --help' lists the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("traffic",
				       "unexpected argument '%s' (files are given with -r)",
				       argv[optind]);
	if (!o->iface && o->n_files == 0)
		return cmd_usage_error(
			"traffic",
			"give capture files with -r FILE, or an interface with -i IFACE");
	if (o->iface && o->n_files)
		return cmd_usage_error("traffic", "give -r or -i, not both");
	if (!o->iface && (o->write || o->user || o->bufsize))
		return cmd_usage_error("traffic", "-w, -Z and -B are for live captures (-i)");
	if (o->json && o->csv)
		return cmd_usage_error("traffic", "give --json or --csv, not both");
	return 0;
}

/* --- state of one run --- */

struct row {
	double start;
	struct clients_interval ci;
	struct delta_stats ds;
};

struct run {
	const struct opts *o;
	clients *cl;
	delta *dl;
	uint64_t packets, ntp, fragments, truncated, not_ntp, malformed, control;
	double first, last;	   /* seconds, for the report */
	int64_t first_ns, last_ns; /* the same in nanoseconds (last: the latest) */
	int64_t every_ns, next_row, next_expire;
	struct row *rows;
	size_t n_rows, cap_rows;
	double last_progress;
	bool show_progress; /* not -q, and stderr is a terminal */
};

static void fmt_addr(const struct opts *o, int v, const uint8_t *a, char *buf, size_t len)
{
	uint8_t tmp[16];
	memcpy(tmp, a, 16);
	if (o->anonymize) {
		if (v == 4)
			tmp[3] = 0;
		else
			memset(tmp + 6, 0, 10);
	}
	if (!inet_ntop(v == 4 ? AF_INET : AF_INET6, tmp, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

#define NS 1000000000

/* Nanoseconds since the epoch as "seconds.nanoseconds", exactly. */
static const char *ns_str(int64_t t, char *buf, size_t len)
{
	int64_t sec = t / NS, frac = t % NS;
	if (frac < 0) {
		sec--;
		frac += NS;
	}
	snprintf(buf, len, "%lld.%09lld", (long long)sec, (long long)frac);
	return buf;
}

/* A signed nanosecond difference as seconds, exactly. */
static const char *dns_str(int64_t d, char *buf, size_t len)
{
	uint64_t m = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
	snprintf(buf, len, "%s%llu.%09llu", d < 0 ? "-" : "", (unsigned long long)(m / NS),
		 (unsigned long long)(m % NS));
	return buf;
}

static void on_pair(void *arg, const struct delta_pair *p)
{
	const struct opts *o = arg;
	char c[64], s[64], t[32], w[32];
	fmt_addr(o, p->flow.ip_version, p->flow.client, c, sizeof c);
	fmt_addr(o, p->flow.ip_version, p->flow.server, s, sizeof s);
	const char *lb = p->flow.ip_version == 6 ? "[" : "",
		   *rb = p->flow.ip_version == 6 ? "]" : "";
	ns_str(p->t_request, t, sizeof t);
	dns_str(p->wire, w, sizeof w);
	if (isnan(p->server))
		printf("PAIR %s %s%s%s:%u %s%s%s:%u %s -\n", t, lb, c, rb, p->flow.cport, lb, s, rb,
		       p->flow.sport, w);
	else
		printf("PAIR %s %s%s%s:%u %s%s%s:%u %s %.9f\n", t, lb, c, rb, p->flow.cport, lb, s,
		       rb, p->flow.sport, w, p->server);
}

static void take_row(struct run *r, double start)
{
	if (r->n_rows == r->cap_rows) {
		r->cap_rows = r->cap_rows ? r->cap_rows * 2 : 64;
		r->rows = mem_realloc(r->rows, r->cap_rows * sizeof *r->rows);
	}
	struct row *w = &r->rows[r->n_rows++];
	w->start = start;
	clients_interval_take(r->cl, &w->ci);
	delta_interval_take(r->dl, &w->ds);
}

static void print_row_csv(const struct row *w, bool header)
{
	if (header)
		printf("start,requests,responses,clients_v4,clients_v6,delta_p50,delta_p99,"
		       "unanswered\n");
	printf("%.3f,%llu,%llu,%llu,%llu,%.9f,%.9f,%llu\n", w->start,
	       (unsigned long long)w->ci.requests, (unsigned long long)w->ci.responses,
	       (unsigned long long)w->ci.v4, (unsigned long long)w->ci.v6,
	       isnan(w->ds.p50) ? 0.0 : w->ds.p50, isnan(w->ds.p99) ? 0.0 : w->ds.p99,
	       (unsigned long long)w->ds.unanswered);
}

/* Without -f, NTP is UDP to or from port 123 (live, the kernel filters
 * that already); with -f, whatever UDP the filter passes. */
static uint16_t ntp_port(const struct opts *o)
{
	return o->filter ? 0 : 123;
}

/* One decoded packet through the analyses. */
static void apply(struct run *r, const struct tpkt *p, const struct tpkt_keys *k)
{
	const struct opts *o = r->o;
	int64_t t = p->t;
	if (t == TPKT_NO_TIME) /* nonsense in the file: the latest good time */
		t = r->packets ? r->last_ns : 0;
	r->packets++;
	if (r->packets == 1) {
		r->first_ns = r->last_ns = t;
		r->first = (double)t / NS;
		r->next_row = o->every > 0 ? t + r->every_ns : INT64_MAX;
		r->next_expire = t + NS;
	}
	if (t > r->last_ns)
		r->last_ns = t;
	r->last = (double)r->last_ns / NS;
	while (t >= r->next_row) {
		take_row(r, (double)(r->next_row - r->every_ns) / NS);
		if (o->csv)
			print_row_csv(&r->rows[r->n_rows - 1], r->n_rows == 1);
		r->next_row += r->every_ns;
	}
	if (t >= r->next_expire) {
		delta_expire(r->dl, t);
		r->next_expire = t + NS;
	}
	double sec = (double)t / NS;
	switch (p->kind) {
	case TPKT_REQUEST:
		r->ntp++;
		clients_request(r->cl, sec, &k->ck, p->ntp_version, p->ntp_mode);
		delta_request(r->dl, t, &k->dk);
		break;
	case TPKT_RESPONSE:
		r->ntp++;
		clients_response(r->cl, sec, p->kod, p->rate);
		delta_answer(r->dl, t, &k->dk, p->has_server, p->server, p->kod);
		break;
	case TPKT_FRAGMENT: r->fragments++; break;
	case TPKT_TRUNCATED: r->truncated++; break;
	case TPKT_CONTROL: r->control++; break;
	case TPKT_MALFORMED: r->malformed++; break;
	default: /* NTP broadcast (counted as NTP too), or not NTP */
		r->ntp += p->ntp_version != 0;
		r->not_ntp++;
		break;
	}
}

/* Decoded packets go from the reader thread to the analyses in batches of
 * BATCH, up to N_BATCH of them in flight; the analyses fetch the table
 * entries of the packet PREFETCH places ahead while they handle one. */
#define BATCH 256
#define N_BATCH 16
#define PREFETCH 8
#define KEYS 16 /* > PREFETCH: the keys made ahead, a ring */

struct batch {
	size_t n;
	int end;	 /* 0: more to come; 1: end of the files; -1: a read error (err) */
	double progress; /* capture_progress() after the batch */
	char err[600];
	struct tpkt p[BATCH];
};

struct reader {
	capture *cap;
	uint16_t port;
	bq *q;
};

struct fill {
	struct batch *b;
	uint16_t port;
};

static void decode_into(void *arg, const struct capture_pkt *cp)
{
	struct fill *f = arg;
	tpkt_decode(cp->linktype, cp->data, cp->caplen, &cp->ts, f->port, &f->b->p[f->b->n++]);
}

/* The reader thread: capture files to decoded packets. */
static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	for (;;) {
		struct batch *b = bq_fill(rd->q);
		if (!b)
			break; /* the analyses stopped */
		b->n = 0;
		b->end = 0;
		struct fill f = { b, rd->port };
		while (b->n < BATCH) {
			int n = capture_batch(rd->cap, BATCH - b->n, decode_into, &f);
			if (n <= 0) {
				b->end = n < 0 ? -1 : 1;
				if (n < 0)
					str_copy(b->err, capture_error(rd->cap), sizeof b->err);
				break;
			}
		}
		b->progress = capture_progress(rd->cap);
		int end = b->end;
		bq_publish(rd->q);
		if (end)
			break;
	}
	bq_close(rd->q);
	return NULL;
}

/* Makes the keys of p and starts fetching what applying it will touch. */
static inline void ready(struct run *r, const struct tpkt *p, struct tpkt_keys *k)
{
	if (p->kind == TPKT_REQUEST || p->kind == TPKT_RESPONSE) {
		tpkt_keys(r->cl, r->dl, p, k);
		tpkt_prefetch(r->cl, r->dl, p, k);
	}
}

/* The packets of one batch.  They come from the reader's core: each is
 * fetched 2 * PREFETCH places ahead, its keys made and its table entries
 * fetched PREFETCH places ahead, so that those misses overlap the work. */
static size_t apply_batch(struct run *r, const struct tpkt *p, size_t n)
{
	const struct opts *o = r->o;
	struct tpkt_keys k[KEYS];
	for (size_t i = 0; i < n && i < 2 * PREFETCH; i++)
		__builtin_prefetch(&p[i]);
	for (size_t i = 0; i < n && i < PREFETCH; i++)
		ready(r, &p[i], &k[i % KEYS]);
	for (size_t i = 0; i < n; i++) {
		if (i + 2 * PREFETCH < n)
			__builtin_prefetch(&p[i + 2 * PREFETCH]);
		if (i + PREFETCH < n)
			ready(r, &p[i + PREFETCH], &k[(i + PREFETCH) % KEYS]);
		apply(r, &p[i], &k[i % KEYS]);
		if (o->count && r->packets >= o->count)
			return i + 1;
	}
	return n;
}

/* --- the report --- */

static const char *dur_str(double s, char *buf, size_t len)
{
	if (isnan(s))
		snprintf(buf, len, "-");
	else if (s < 1e-3)
		snprintf(buf, len, "%.1f us", s * 1e6);
	else if (s < 1)
		snprintf(buf, len, "%.3f ms", s * 1e3);
	else
		snprintf(buf, len, "%.3f s", s);
	return buf;
}

static const char *win_str(double w, char *buf, size_t len)
{
	if (fmod(w, 86400) == 0)
		snprintf(buf, len, "%gd", w / 86400);
	else if (fmod(w, 3600) == 0)
		snprintf(buf, len, "%gh", w / 3600);
	else if (fmod(w, 60) == 0)
		snprintf(buf, len, "%gm", w / 60);
	else
		snprintf(buf, len, "%gs", w);
	return buf;
}

static const char *time_str(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	if (isnan(t) || !gmtime_r(&s, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "-");
	return buf;
}

static const char *direction(const struct delta_stats *ds)
{
	if (ds->only_requests)
		return "requests only";
	if (ds->only_responses)
		return "responses only";
	return "both";
}

static void print_text(struct run *r, const struct clients_window *win, size_t nw,
		       const struct clients_summary *cs, const struct delta_stats *ds,
		       const struct clients_talker *top, size_t ntop,
		       const struct clients_talker *ab, size_t nab)
{
	const struct opts *o = r->o;
	char a[64], b[64], c[64], d[64], e[64], f[64];
	printf("%llu packets, %llu NTP, from %s to %s UTC (%.0f s)", (unsigned long long)r->packets,
	       (unsigned long long)r->ntp, time_str(r->first, a, sizeof a),
	       time_str(r->last, b, sizeof b), r->packets ? r->last - r->first : 0.0);
	if (r->fragments || r->truncated || r->malformed || r->control || r->not_ntp)
		printf("; skipped: %llu fragments, %llu truncated, %llu malformed, %llu mode 6/7, "
		       "%llu other",
		       (unsigned long long)r->fragments, (unsigned long long)r->truncated,
		       (unsigned long long)r->malformed, (unsigned long long)r->control,
		       (unsigned long long)r->not_ntp);
	printf("\n");
	if (ds->only_requests || ds->only_responses)
		printf("note: the capture holds %s: response times cannot be measured\n",
		       direction(ds));

	printf("\nclients in the windows ending at %s UTC%s:\n", time_str(r->last, a, sizeof a),
	       nw && win[0].rel_error > 0 ? " (HyperLogLog estimates)" : "");
	printf("  %-6s %9s %9s %9s %9s %10s %10s %10s\n", "window", "IPv4", "IPv6", "/24", "/64",
	       "requests", "req/s", "peak/s");
	for (size_t i = 0; i < nw; i++)
		printf("  %-6s %9llu %9llu %9llu %9llu %10llu %10.2f %10.0f\n",
		       win_str(win[i].window, a, sizeof a), (unsigned long long)win[i].v4,
		       (unsigned long long)win[i].v6, (unsigned long long)win[i].net24,
		       (unsigned long long)win[i].net64, (unsigned long long)win[i].requests,
		       win[i].req_rate_mean, win[i].req_rate_peak);
	if (nw && win[0].rel_error > 0)
		printf("  (standard error %.2f %%)\n", win[0].rel_error * 100);

	printf("\nrequests %llu, responses %llu, kiss-o'-death %llu (RATE %llu); distinct clients "
	       "IPv4 %llu, IPv6 %llu\n",
	       (unsigned long long)cs->requests, (unsigned long long)cs->responses,
	       (unsigned long long)cs->kod, (unsigned long long)cs->rate_kod,
	       (unsigned long long)cs->clients_v4, (unsigned long long)cs->clients_v6);
	printf("versions:");
	for (int v = 0; v < 8; v++)
		if (cs->version[v])
			printf(" v%d %.1f%%", v,
			       100.0 * (double)cs->version[v] / (double)cs->requests);
	printf("; modes:");
	for (int m = 0; m < 8; m++)
		if (cs->mode[m])
			printf(" %s %.1f%%", ntp_mode_name((unsigned)m),
			       100.0 * (double)cs->mode[m] / (double)cs->requests);
	printf("\nrequests per client: p50 %.0f, p90 %.0f, p99 %.0f, max %.0f\n",
	       cs->per_client_p50, cs->per_client_p90, cs->per_client_p99, cs->per_client_max);
	printf("poll interval (median per client): p50 %s\n", dur_str(cs->poll_p50, a, sizeof a));
	for (int k = 0; k < CLIENTS_HIST; k++)
		if (cs->poll_hist[k])
			printf("  %7.0f-%-7.0f s %llu clients\n", ldexp(1, k), ldexp(1, k + 1),
			       (unsigned long long)cs->poll_hist[k]);

	printf("\nresponse time over %llu pairs: min %s, p50 %s, p90 %s, p99 %s, p99.9 %s, max "
	       "%s\n",
	       (unsigned long long)ds->pairs, dur_str(ds->min, a, sizeof a),
	       dur_str(ds->p50, b, sizeof b), dur_str(ds->p90, c, sizeof c),
	       dur_str(ds->p99, d, sizeof d), dur_str(ds->p999, e, sizeof e),
	       dur_str(ds->max, f, sizeof f));
	printf("  server's own time (T3 - T2): p50 %s, p99 %s\n",
	       dur_str(ds->server_p50, a, sizeof a), dur_str(ds->server_p99, b, sizeof b));
	printf("  unanswered %llu, retransmits %llu, duplicate responses %llu, unmatched "
	       "responses %llu\n",
	       (unsigned long long)ds->unanswered, (unsigned long long)ds->retransmits,
	       (unsigned long long)ds->duplicates, (unsigned long long)ds->unmatched);
	uint64_t hmax = 0;
	for (int k = 0; k < DELTA_HIST; k++)
		hmax = ds->hist[k] > hmax ? ds->hist[k] : hmax;
	for (int k = 0; k < DELTA_HIST; k++) {
		if (!ds->hist[k])
			continue;
		int bar = (int)(40.0 * (double)ds->hist[k] / (double)hmax + 0.5);
		printf("  %10s %-40.*s %llu\n", dur_str(ldexp(1, k) * 1e-6, a, sizeof a), bar,
		       "########################################", (unsigned long long)ds->hist[k]);
	}
	if (ntop) {
		printf("\ntop %zu talkers:\n  %-40s %10s %12s\n", ntop, "address", "requests",
		       "poll");
		for (size_t i = 0; i < ntop; i++) {
			fmt_addr(o, top[i].ip_version, top[i].addr, a, sizeof a);
			printf("  %-40s %10llu %12s%s\n", a, (unsigned long long)top[i].requests,
			       dur_str(top[i].poll_median, b, sizeof b),
			       top[i].abusive ? "  abusive" : "");
		}
	}
	printf("\nabusive clients (more than %u requests within %s): %llu\n", o->co.abuse_count,
	       win_str(o->co.abuse_period, a, sizeof a), (unsigned long long)cs->abusive);
	for (size_t i = 0; i < nab; i++) {
		fmt_addr(o, ab[i].ip_version, ab[i].addr, a, sizeof a);
		printf("  %-40s %10llu requests, up to %.0f within %s\n", a,
		       (unsigned long long)ab[i].requests, ab[i].peak_in_period,
		       win_str(o->co.abuse_period, b, sizeof b));
	}
	if (r->n_rows && !o->csv) {
		printf("\nseries (every %s):\n  %-19s %9s %9s %8s %8s %10s %10s %10s\n",
		       win_str(o->every, a, sizeof a), "start (UTC)", "requests", "responses",
		       "IPv4", "IPv6", "delta p50", "delta p99", "unanswered");
		for (size_t i = 0; i < r->n_rows; i++) {
			const struct row *w = &r->rows[i];
			printf("  %-19s %9llu %9llu %8llu %8llu %10s %10s %10llu\n",
			       time_str(w->start, a, sizeof a), (unsigned long long)w->ci.requests,
			       (unsigned long long)w->ci.responses, (unsigned long long)w->ci.v4,
			       (unsigned long long)w->ci.v6, dur_str(w->ds.p50, b, sizeof b),
			       dur_str(w->ds.p99, c, sizeof c),
			       (unsigned long long)w->ds.unanswered);
		}
	}
}

static void set_num(json_t *o, const char *k, double v)
{
	json_object_set_new(o, k, isnan(v) ? json_null() : json_real(v));
}

static void set_u(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

static json_t *talkers_json(const struct opts *o, const struct clients_talker *t, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		char a[64];
		fmt_addr(o, t[i].ip_version, t[i].addr, a, sizeof a);
		json_t *j = json_object();
		json_object_set_new(j, "address", json_string(a));
		set_u(j, "requests", t[i].requests);
		set_num(j, "poll_median", t[i].poll_median);
		set_num(j, "first", t[i].first);
		set_num(j, "last", t[i].last);
		set_num(j, "peak_in_period", t[i].peak_in_period);
		json_object_set_new(j, "abusive", json_boolean(t[i].abusive));
		json_array_append_new(arr, j);
	}
	return arr;
}

static void print_json(struct run *r, const struct clients_window *win, size_t nw,
		       const struct clients_summary *cs, const struct delta_stats *ds,
		       const struct clients_talker *top, size_t ntop,
		       const struct clients_talker *ab, size_t nab)
{
	const struct opts *o = r->o;
	json_t *root = json_object();
	json_t *in = json_object();
	json_t *files = json_array();
	for (size_t i = 0; i < o->n_files; i++)
		json_array_append_new(files, json_string(o->files[i]));
	json_object_set_new(in, "files", files);
	if (o->iface)
		json_object_set_new(in, "interface", json_string(o->iface));
	set_u(in, "packets", r->packets);
	set_u(in, "ntp_packets", r->ntp);
	json_t *sk = json_object();
	set_u(sk, "fragments", r->fragments);
	set_u(sk, "truncated", r->truncated);
	set_u(sk, "not_ntp", r->not_ntp);
	set_u(sk, "malformed", r->malformed);
	set_u(sk, "control", r->control);
	json_object_set_new(in, "skipped", sk);
	set_num(in, "first", r->packets ? r->first : NAN);
	set_num(in, "last", r->packets ? r->last : NAN);
	set_num(in, "duration", r->packets ? r->last - r->first : 0.0);
	json_object_set_new(in, "direction", json_string(direction(ds)));
	json_object_set_new(root, "input", in);

	json_t *wa = json_array();
	for (size_t i = 0; i < nw; i++) {
		json_t *j = json_object();
		set_num(j, "window", win[i].window);
		set_u(j, "clients_v4", win[i].v4);
		set_u(j, "clients_v6", win[i].v6);
		set_u(j, "net24", win[i].net24);
		set_u(j, "net64", win[i].net64);
		set_num(j, "error", win[i].rel_error);
		set_u(j, "requests", win[i].requests);
		set_u(j, "responses", win[i].responses);
		set_num(j, "request_rate_mean", win[i].req_rate_mean);
		set_num(j, "request_rate_peak", win[i].req_rate_peak);
		set_num(j, "response_rate_mean", win[i].resp_rate_mean);
		set_num(j, "response_rate_peak", win[i].resp_rate_peak);
		json_array_append_new(wa, j);
	}
	json_object_set_new(root, "windows", wa);

	json_t *cj = json_object();
	set_u(cj, "requests", cs->requests);
	set_u(cj, "responses", cs->responses);
	set_u(cj, "kod", cs->kod);
	set_u(cj, "rate_kod", cs->rate_kod);
	set_u(cj, "clients_v4", cs->clients_v4);
	set_u(cj, "clients_v6", cs->clients_v6);
	json_t *vj = json_object(), *mj = json_object();
	for (int i = 0; i < 8; i++) {
		char k[4];
		snprintf(k, sizeof k, "%d", i);
		if (cs->version[i])
			set_u(vj, k, cs->version[i]);
		if (cs->mode[i])
			set_u(mj, k, cs->mode[i]);
	}
	json_object_set_new(cj, "versions", vj);
	json_object_set_new(cj, "modes", mj);
	json_t *rpc = json_object();
	set_num(rpc, "p50", cs->per_client_p50);
	set_num(rpc, "p90", cs->per_client_p90);
	set_num(rpc, "p99", cs->per_client_p99);
	set_num(rpc, "max", cs->per_client_max);
	json_t *h = json_array();
	for (int k = 0; k < CLIENTS_HIST; k++)
		json_array_append_new(h, json_integer((json_int_t)cs->per_client_hist[k]));
	json_object_set_new(rpc, "histogram", h);
	json_object_set_new(cj, "requests_per_client", rpc);
	json_t *pi = json_object();
	set_num(pi, "p50", cs->poll_p50);
	h = json_array();
	for (int k = 0; k < CLIENTS_HIST; k++)
		json_array_append_new(h, json_integer((json_int_t)cs->poll_hist[k]));
	json_object_set_new(pi, "histogram", h);
	json_object_set_new(cj, "poll_interval", pi);
	set_u(cj, "abusive", cs->abusive);
	set_u(cj, "bytes_per_client", clients_bytes_per_client());
	json_object_set_new(root, "clients", cj);

	json_t *rt = json_object();
	set_u(rt, "requests", ds->requests);
	set_u(rt, "responses", ds->responses);
	set_u(rt, "pairs", ds->pairs);
	set_u(rt, "unanswered", ds->unanswered);
	set_u(rt, "retransmits", ds->retransmits);
	set_u(rt, "duplicates", ds->duplicates);
	set_u(rt, "unmatched", ds->unmatched);
	set_u(rt, "kod", ds->kod);
	set_num(rt, "min", ds->min);
	set_num(rt, "p50", ds->p50);
	set_num(rt, "p90", ds->p90);
	set_num(rt, "p99", ds->p99);
	set_num(rt, "p999", ds->p999);
	set_num(rt, "max", ds->max);
	set_num(rt, "server_p50", ds->server_p50);
	set_num(rt, "server_p99", ds->server_p99);
	h = json_array();
	for (int k = 0; k < DELTA_HIST; k++)
		json_array_append_new(h, json_integer((json_int_t)ds->hist[k]));
	json_object_set_new(rt, "histogram_us_log2", h);
	json_object_set_new(root, "response_time", rt);

	json_object_set_new(root, "top", talkers_json(o, top, ntop));
	json_object_set_new(root, "abusive", talkers_json(o, ab, nab));

	json_t *se = json_array();
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct row *w = &r->rows[i];
		json_t *j = json_object();
		set_num(j, "start", w->start);
		set_u(j, "requests", w->ci.requests);
		set_u(j, "responses", w->ci.responses);
		set_u(j, "clients_v4", w->ci.v4);
		set_u(j, "clients_v6", w->ci.v6);
		set_num(j, "delta_p50", w->ds.p50);
		set_num(j, "delta_p99", w->ds.p99);
		set_u(j, "unanswered", w->ds.unanswered);
		json_array_append_new(se, j);
	}
	json_object_set_new(root, "series", se);
	char *text =
		json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	if (text) {
		puts(text);
		free(text);
	}
	json_decref(root);
}

static void report(struct run *r)
{
	const struct opts *o = r->o;
	struct clients_window win[CLIENTS_MAX_WINDOWS];
	struct clients_summary cs;
	struct delta_stats ds;
	struct clients_talker *top = mem_calloc(o->top ? o->top : 1, sizeof *top);
	struct clients_talker *ab = mem_calloc(TOP_MAX, sizeof *ab);
	clients_windows(r->cl, r->last, win);
	clients_summary(r->cl, &cs);
	delta_stats(r->dl, &ds);
	size_t ntop = o->top ? clients_top(r->cl, top, o->top) : 0;
	size_t nab = clients_abusive(r->cl, ab, TOP_MAX);
	if (o->json)
		print_json(r, win, o->co.n_windows, &cs, &ds, top, ntop, ab, nab);
	else if (!o->csv)
		print_text(r, win, o->co.n_windows, &cs, &ds, top, ntop, ab, nab);
	fflush(stdout);
	free(top);
	free(ab);
}

/* frac: the part of the input read so far, NAN if not known. */
static void progress(struct run *r, double frac, bool final)
{
	if (!r->show_progress)
		return;
	double now = clock_mono_sec();
	if (!final && now - r->last_progress < 0.5)
		return;
	static double start;
	if (start == 0)
		start = now;
	double rate = now > start ? (double)r->packets / (now - start) : 0;
	if (isnan(frac))
		fprintf(stderr, "\r%llu packets, %.0f/s   ", (unsigned long long)r->packets, rate);
	else
		fprintf(stderr, "\r%llu packets, %.0f/s, %.0f %% done   ",
			(unsigned long long)r->packets, rate, frac * 100);
	if (final)
		fprintf(stderr, "\n");
	r->last_progress = now;
}

static int drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		fprintf(stderr, "sundial traffic: -Z %s: no such user\n", user);
		return -ENOENT;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		fprintf(stderr, "sundial traffic: cannot drop privileges to %s: %s\n", user,
			strerror(errno));
		return -errno;
	}
	if (setuid(0) == 0) {
		fprintf(stderr, "sundial traffic: privileges could be regained after -Z %s\n",
			user);
		return -EPERM;
	}
	return 0;
}

/* One packet through decoder and analyses, on this thread; true once -c
 * packets have been taken. */
static bool one_packet(struct run *r, const struct capture_pkt *cp)
{
	struct tpkt p;
	tpkt_decode(cp->linktype, cp->data, cp->caplen, &cp->ts, ntp_port(r->o), &p);
	struct tpkt_keys k;
	ready(r, &p, &k);
	apply(r, &p, &k);
	return r->o->count && r->packets >= r->o->count;
}

/* Packets one at a time: a live capture, a report every --every. */
static int run_live(struct run *r, capture *cap)
{
	const struct opts *o = r->o;
	double next_report = clock_mono_sec() + o->every;
	while (!stop_flag) {
		struct capture_pkt cp;
		int n = capture_next(cap, &cp);
		if (n < 0) {
			fprintf(stderr, "sundial traffic: %s\n", capture_error(cap));
			return EXIT_INPUT;
		}
		if (n == 1) {
			if (one_packet(r, &cp))
				break;
			continue;
		}
		double now = clock_mono_sec();
		if (now >= next_report) {
			if (!o->json && !o->csv)
				printf("\n=== %s ===\n", "report");
			report(r);
			next_report = now + o->every;
		}
		struct pollfd pfd = { capture_fd(cap), POLLIN, 0 };
		int ms = (int)((next_report - now) * 1000) + 1;
		if (ms > 1000)
			ms = 1000;
		(void)poll(&pfd, 1, ms);
	}
	return EXIT_OK;
}

/* Files on one core: read, decode and analyse in turn. */
static int run_files(struct run *r, capture *cap)
{
	while (!stop_flag) {
		struct capture_pkt cp;
		int n = capture_next(cap, &cp);
		if (n < 0) {
			fprintf(stderr, "sundial traffic: %s\n", capture_error(cap));
			return EXIT_INPUT;
		}
		if (n == 0)
			break;
		if (one_packet(r, &cp))
			break;
		if ((r->packets & 0xffff) == 0)
			progress(r, capture_progress(cap), false);
	}
	return EXIT_OK;
}

/* Files on several cores: a reader thread reads and decodes (libpcap's
 * reading is half the work), this one analyses. */
static int run_files_threaded(struct run *r, capture *cap)
{
	const struct opts *o = r->o;
	struct reader rd = { cap, ntp_port(o), bq_new(N_BATCH, sizeof(struct batch)) };
	pthread_t th;
	int e = pthread_create(&th, NULL, reader_main, &rd);
	if (e != 0) {
		bq_free(rd.q);
		return run_files(r, cap);
	}
	int status = EXIT_OK;
	for (;;) {
		const struct batch *b = bq_take(rd.q);
		if (!b)
			break;
		size_t used = apply_batch(r, b->p, b->n);
		bool done = stop_flag || used < b->n || (o->count && r->packets >= o->count);
		if (!done && b->end < 0) {
			fprintf(stderr, "sundial traffic: %s\n", b->err);
			status = EXIT_INPUT;
		}
		progress(r, b->progress, false);
		bool last = done || b->end != 0;
		bq_release(rd.q);
		if (last)
			break;
	}
	bq_cancel(rd.q);
	pthread_join(th, NULL);
	bq_free(rd.q);
	return status;
}

int cmd_traffic(int argc, char **argv)
{
	struct opts o;
	memset(&o, 0, sizeof o);
	o.co.windows[0] = 300;
	o.co.windows[1] = 1200;
	o.co.windows[2] = 3600;
	o.co.windows[3] = 86400;
	o.co.n_windows = 4;
	o.co.abuse_count = 100;
	o.co.abuse_period = 60;
	o.top = 10;
	o.timeout = 5;
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (o.iface && o.every == 0)
		o.every = 60;

	struct run r;
	memset(&r, 0, sizeof r);
	r.o = &o;
	r.every_ns = (int64_t)llround(o.every * NS);
	r.show_progress = !o.quiet && isatty(STDERR_FILENO);
	r.last_progress = 0;
	char err[512] = "";
	capture *cap = NULL;
	int status = EXIT_OK;
	if (o.iface) {
		struct capture_live_opts lo = { o.iface, o.filter, 0, (int)o.bufsize, true, false };
		cap = capture_open_live(&lo, err, sizeof err);
		if (!cap) {
			fprintf(stderr, "sundial traffic: %s\n", err);
			return strstr(err, "CAP_NET_RAW") || strstr(err, "ermission") ? EXIT_PERM
										      : EXIT_INPUT;
		}
		if (o.write && capture_dump_to(cap, o.write) != 0) {
			fprintf(stderr, "sundial traffic: -w %s: %s\n", o.write,
				capture_error(cap));
			capture_close(cap);
			return EXIT_INPUT;
		}
		if (o.user && drop_privileges(o.user) != 0) {
			capture_close(cap);
			return EXIT_PERM;
		}
	} else {
		/* No default filter for files: the decoder takes port 123 itself,
		 * also behind VLAN tags, PPPoE and IPv6 extension headers, which
		 * "udp port 123" would miss, and libpcap's filter costs more. */
		cap = capture_open_files(o.files, o.n_files, o.filter, err, sizeof err);
		if (!cap) {
			fprintf(stderr, "sundial traffic: %s\n", err);
			return EXIT_INPUT;
		}
	}
	r.cl = clients_new(&o.co);
	r.dl = delta_new(o.timeout);
	if (!r.cl || !r.dl) {
		fprintf(stderr, "sundial traffic: cannot set up the analysis\n");
		status = EXIT_USAGE;
		goto out;
	}
	if (o.pairs)
		delta_on_pair(r.dl, on_pair, &o);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (o.iface)
		status = run_live(&r, cap);
	else if (sysconf(_SC_NPROCESSORS_ONLN) > 1)
		status = run_files_threaded(&r, cap);
	else
		status = run_files(&r, cap);
	progress(&r, o.iface ? NAN : 1.0, true);
	delta_finish(r.dl);
	if (o.every > 0 && r.packets)
		take_row(&r, (double)(r.next_row - r.every_ns) / NS);
	if (o.csv && r.n_rows)
		print_row_csv(&r.rows[r.n_rows - 1], r.n_rows == 1);
	if (o.iface) {
		uint64_t rx, drop, ifdrop;
		if (capture_stats(cap, &rx, &drop, &ifdrop) == 0 && !o.json && !o.csv)
			printf("capture: %llu packets received by the filter, %llu dropped by the "
			       "kernel, %llu by the interface\n",
			       (unsigned long long)rx, (unsigned long long)drop,
			       (unsigned long long)ifdrop);
	}
	report(&r);
out:
	capture_close(cap);
	clients_free(r.cl);
	delta_free(r.dl);
	free(r.rows);
	return status;
}
