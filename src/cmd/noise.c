/* noise.c - `sundial noise`: the unsolicited traffic in capture files, who
 * scans what (analysis/noise.h does the counting). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "analysis/noise.h"
#include "capture/capture.h"
#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"

enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_USAGE = 64 };

#define MAX_FILES 1024
#define TOP_MAX 65536 /* every port */
#define NS 1000000000LL
/* Without --local, standard input cannot be read twice: the local addresses
 * are inferred from its first LEARN_MAX packets, kept in memory (88 octets
 * each, 44 MiB at most). */
#define LEARN_MAX (1u << 19)

struct opts {
	const char *files[MAX_FILES];
	size_t n_files;
	const char *filter;
	struct noise_prefix locals[NOISE_MAX_LOCALS];
	size_t n_locals;
	struct noise_opts no;
	size_t top;
	bool json, csv, quiet, stdin_used;
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: sundial noise -r FILE... [OPTIONS]\n"
		"Unsolicited traffic towards a capture's own addresses: who scans what.\n\n"
		"  -r FILE            capture file (pcap, pcapng; '-' stdin), repeatable, merged\n"
		"  -f EXPR            BPF filter applied to the files first\n"
		"  --local LIST       the capture's own addresses or prefixes, comma-separated,\n"
		"                     e.g. 192.0.2.7,2001:db8:1::/64 (default: inferred)\n"
		"  --top N            entries in each top list (default 10)\n"
		"  --scanner-ports N  a source touching N ports is a scanner (default %u)\n"
		"  --scanner-hosts N  ... or N local hosts (default %u)\n"
		"  --max-sources N    sources itemised (default %u; more: in the totals)\n"
		"  -j, --json         JSON;  --csv  one row per source;  -q  no progress line\n"
		"Exit: 0 ok, 1 an input could not be read or its own addresses not inferred,\n"
		"64 usage.\n",
		NOISE_SCANNER_PORTS, NOISE_SCANNER_HOSTS, NOISE_MAX_SOURCES);
}

/* A whole number in [min, max]; false if malformed. */
static bool parse_count(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

enum { OPT_LOCAL = 256, OPT_TOP, OPT_SPORTS, OPT_SHOSTS, OPT_MAXSRC, OPT_CSV };

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "local", required_argument, NULL, OPT_LOCAL },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "scanner-ports", required_argument, NULL, OPT_SPORTS },
		{ "scanner-hosts", required_argument, NULL, OPT_SHOSTS },
		{ "max-sources", required_argument, NULL, OPT_MAXSRC },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	unsigned long v;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:f:jqvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->n_files == MAX_FILES)
				return cmd_usage_error("noise", "at most %d files", MAX_FILES);
			o->files[o->n_files++] = optarg;
			if (strcmp(optarg, "-") == 0)
				o->stdin_used = true;
			break;
		case 'f': o->filter = optarg; break;
		case OPT_LOCAL: {
			char err[256];
			size_t n;
			int e = noise_parse_locals(optarg, o->locals + o->n_locals,
						   NOISE_MAX_LOCALS - o->n_locals, &n, err,
						   sizeof err);
			if (e != 0)
				return cmd_usage_error("noise", "--local: %s", err);
			o->n_locals += n;
			break;
		}
		case OPT_TOP:
			if (!parse_count(optarg, 0, TOP_MAX, &v))
				return cmd_usage_error(
					"noise", "--top needs a number from 0 to %d, not '%s'",
					TOP_MAX, optarg);
			o->top = v;
			break;
		case OPT_SPORTS:
		case OPT_SHOSTS:
			if (!parse_count(optarg, 1, 65536, &v))
				return cmd_usage_error(
					"noise",
					"--scanner-%s needs a number from 1 to 65536, "
					"not '%s'",
					c == OPT_SPORTS ? "ports" : "hosts", optarg);
			if (c == OPT_SPORTS)
				o->no.scanner_ports = (unsigned)v;
			else
				o->no.scanner_hosts = (unsigned)v;
			break;
		case OPT_MAXSRC:
			if (!parse_count(optarg, 1, (1ul << 24) - 1, &v))
				return cmd_usage_error(
					"noise",
					"--max-sources needs a number from 1 to 16777215, not '%s'",
					optarg);
			o->no.max_sources = v;
			break;
		case 'j': o->json = true; break;
		case OPT_CSV: o->csv = true; break;
		case 'q': o->quiet = true; break;
		case 'v': log_set_verbosity(log_get_verbosity() + 1); break;
		case 'h': help(stdout); return -1;
		default:
			fprintf(stderr, "'sundial noise --help' lists the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("noise",
				       "unexpected argument '%s' (files are given with -r)",
				       argv[optind]);
	if (o->n_files == 0)
		return cmd_usage_error("noise", "give capture files with -r FILE ('-' for "
						"standard input)");
	if (o->json && o->csv)
		return cmd_usage_error("noise", "give --json or --csv, not both");
	return 0;
}

/* --- one run --- */

struct run {
	const struct opts *o;
	noise_infer *ni;
	noise *nz;
	struct noise_local locals[NOISE_MAX_LOCALS];
	size_t n_locals;       /* used */
	size_t n_chosen;       /* inferred (more than used: left out) */
	bool inferred;	       /* not --local */
	uint64_t learned;      /* packets the inference saw */
	bool learn_partial;    /* ... the first ones of standard input only */
	struct noise_pkt *buf; /* standard input: the packets learned from */
	size_t n_buf;
	bool show_progress;
	double last_progress;
	uint64_t read;
	char err[600]; /* the last read error */
};

static void progress(struct run *r, const char *what, double frac, bool final)
{
	if (!r->show_progress)
		return;
	double now = clock_mono_sec();
	if (!final && now - r->last_progress < 0.5)
		return;
	if (isnan(frac))
		fprintf(stderr, "\r%s%llu packets   ", what, (unsigned long long)r->read);
	else
		fprintf(stderr, "\r%s%llu packets, %.0f %% done   ", what,
			(unsigned long long)r->read, frac * 100);
	if (final)
		fprintf(stderr, "\n");
	r->last_progress = now;
}

static capture *open_files(const struct opts *o)
{
	char err[512] = "";
	capture *cap = capture_open_files(o->files, o->n_files, o->filter, err, sizeof err);
	if (!cap)
		fprintf(stderr, "sundial noise: %s\n", err);
	return cap;
}

/* Chooses the local addresses from r->ni; false (with a message) if none. */
static bool choose_locals(struct run *r)
{
	r->n_chosen = noise_infer_locals(r->ni, r->locals, NOISE_MAX_LOCALS);
	r->n_locals = r->n_chosen < NOISE_MAX_LOCALS ? r->n_chosen : NOISE_MAX_LOCALS;
	if (r->n_locals == 0) {
		fprintf(stderr,
			"sundial noise: cannot tell the capture's own addresses: no connection "
			"attempt or echo request in %llu packets, and no address got packets from "
			"2 or more sources; give them with --local ADDR[,ADDR...]\n",
			(unsigned long long)r->learned);
		return false;
	}
	return true;
}

static bool make_noise(struct run *r)
{
	struct noise_prefix p[NOISE_MAX_LOCALS];
	for (size_t i = 0; i < r->n_locals; i++)
		p[i] = r->locals[i].pfx;
	r->nz = noise_new(&r->o->no, p, r->n_locals);
	if (!r->nz) {
		fprintf(stderr, "sundial noise: cannot set up the analysis\n");
		return false;
	}
	return true;
}

/* Reads cap to the end, each packet into the inference (learn) or the
 * analysis; with r->buf, the first LEARN_MAX are also kept there, and
 * reading stops when it is full.  Returns 0 at the end, 2 when r->buf is
 * full, or EXIT_INPUT (the message in r->err, printed if say). */
static int read_all(struct run *r, capture *cap, bool learn, const char *what, bool say)
{
	for (;;) {
		struct capture_pkt cp;
		int n = capture_next(cap, &cp);
		if (n < 0) {
			str_copy(r->err, capture_error(cap), sizeof r->err);
			if (say) {
				progress(r, what, capture_progress(cap), true);
				fprintf(stderr, "sundial noise: %s\n", r->err);
			}
			return EXIT_INPUT;
		}
		if (n == 0)
			return 0;
		struct noise_pkt p;
		(void)noise_decode(cp.linktype, cp.data, cp.caplen, &cp.ts, &p);
		r->read++;
		if (learn) {
			noise_infer_add(r->ni, &p);
			r->learned++;
			if (r->buf) {
				r->buf[r->n_buf++] = p;
				if (r->n_buf == LEARN_MAX)
					return 2;
			}
		} else {
			noise_add(r->nz, &p);
		}
		if ((r->read & 0xffff) == 0)
			progress(r, what, capture_progress(cap), false);
	}
}

/* --- output --- */

static const char *addr_str(int version, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(version == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static const char *prefix_str(const struct noise_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	addr_str(p->version, p->addr, a, sizeof a);
	if (p->len == (p->version == 4 ? 32 : 128))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, (unsigned)p->len);
	return buf;
}

/* "2010-07-04 20:24:16" (UTC) of nanoseconds since the epoch. */
static const char *time_str(int64_t ns, char *buf, size_t len)
{
	time_t s = (time_t)(ns >= 0 ? ns / NS : -((-ns + NS - 1) / NS));
	struct tm tm;
	if (!gmtime_r(&s, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "?");
	return buf;
}

static const char *icmp_name(int f, unsigned type)
{
	static const char *const v4[] = {
		[0] = "echo reply",	      [3] = "destination unreachable",
		[4] = "source quench",	      [5] = "redirect",
		[8] = "echo request",	      [9] = "router advertisement",
		[10] = "router solicitation", [11] = "time exceeded",
		[12] = "parameter problem",   [13] = "timestamp",
		[14] = "timestamp reply",     [17] = "address mask request",
		[18] = "address mask reply",
	};
	static const char *const v6[] = {
		[1] = "destination unreachable",
		[2] = "packet too big",
		[3] = "time exceeded",
		[4] = "parameter problem",
		[128] = "echo request",
		[129] = "echo reply",
		[130] = "multicast listener query",
		[131] = "multicast listener report",
		[133] = "router solicitation",
		[134] = "router advertisement",
		[135] = "neighbor solicitation",
		[136] = "neighbor advertisement",
		[137] = "redirect",
		[143] = "multicast listener report v2",
	};
	const char *s = NULL;
	if (f == 0 && type < sizeof v4 / sizeof v4[0])
		s = v4[type];
	else if (f == 1 && type < sizeof v6 / sizeof v6[0])
		s = v6[type];
	return s ? s : "";
}

static const char *by_str(enum noise_by by)
{
	switch (by) {
	case NOISE_GIVEN: return "given";
	case NOISE_REQUESTS: return "requests";
	default: return "sources";
	}
}

static const char *proto_name(unsigned p)
{
	switch (p) {
	case 1: return "ICMP";
	case 2: return "IGMP";
	case 4: return "IPv4-in-IP";
	case 6: return "TCP";
	case 17: return "UDP";
	case 41: return "IPv6-in-IP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	case 58: return "ICMPv6";
	case 59: return "no next header";
	case 132: return "SCTP";
	default: return "";
	}
}

struct report {
	struct noise_summary s;
	struct noise_port ports[NOISE_PORT_KINDS][TOP_MAX];
	size_t n_ports[NOISE_PORT_KINDS];
	struct noise_source *top;
	size_t n_top;
	struct noise_source *scan;
	size_t n_scan;
	const struct noise_hour *hours;
	size_t n_hours;
};

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_locals_text(const struct run *r)
{
	char a[INET6_ADDRSTRLEN + 8];
	if (!r->inferred) {
		printf("local addresses (given with --local):");
		for (size_t i = 0; i < r->n_locals; i++)
			printf(" %s", prefix_str(&r->locals[i].pfx, a, sizeof a));
		printf("\n");
		return;
	}
	printf("local addresses, inferred from %llu packets%s: per family, the\n"
	       "  destinations of TCP SYNs and echo requests from the most distinct sources\n"
	       "  (at least a tenth as many as the top one), else of packets from the most\n"
	       "  sources (at least half as many, and 2); --local gives them instead\n",
	       (unsigned long long)r->learned,
	       r->learn_partial ? " (the first ones of standard input)" : "");
	printf("  %-39s %-8s %8s %8s %9s\n", "address", "by", "requests", "req.srcs", "sources");
	for (size_t i = 0; i < r->n_locals; i++) {
		const struct noise_local *l = &r->locals[i];
		printf("  %-39s %-8s %8llu %8llu %9llu\n", prefix_str(&l->pfx, a, sizeof a),
		       by_str(l->by), (unsigned long long)l->requests,
		       (unsigned long long)l->request_sources, (unsigned long long)l->sources);
	}
	if (r->n_chosen > r->n_locals)
		printf("  (%zu more left out: at most %d)\n", r->n_chosen - r->n_locals,
		       NOISE_MAX_LOCALS);
	if (noise_infer_full(r->ni))
		printf("  (the inference's tables were full: some addresses or sources were not "
		       "counted)\n");
}

static void print_source_row(const struct noise_source *x)
{
	char a[INET6_ADDRSTRLEN], f[32], l[32];
	addr_str(x->version, x->addr, a, sizeof a);
	time_str(x->first, f, sizeof f);
	time_str(x->last, l, sizeof l);
	/* "MM-DD HH:MM:SS" keeps the row within 80 columns */
	if (strlen(a) > 24)
		printf("  %s\n  %-24s", a, "");
	else
		printf("  %-24s", a);
	printf(" %7llu %6u %5u %14s %14s%s\n", (unsigned long long)x->packets, x->ports, x->hosts,
	       f + 5, l + 5, x->scanner ? " *" : "");
}

static void print_text(const struct run *r, const struct report *p)
{
	const struct opts *o = r->o;
	const struct noise_summary *s = &p->s;
	char a[32], b[32];
	printf("sundial noise: %zu %s, %llu packets\n", o->n_files,
	       plural(o->n_files, "file", "files"), (unsigned long long)s->packets);
	if (s->packets)
		printf("  from %s to %s UTC\n", time_str(s->first, a, sizeof a),
		       time_str(s->last, b, sizeof b));
	print_locals_text(r);
	printf("\npackets: %llu unsolicited to them, %llu from them, %llu replies to these,\n"
	       "  %llu between them, %llu elsewhere; not counted: %llu not IP, %llu truncated,\n"
	       "  %llu invalid\n",
	       (unsigned long long)s->unsolicited, (unsigned long long)s->outgoing,
	       (unsigned long long)s->replies, (unsigned long long)s->internal,
	       (unsigned long long)s->transit, (unsigned long long)s->not_ip,
	       (unsigned long long)s->truncated, (unsigned long long)s->invalid);

	const char *approx = s->sources_approx ? "~" : "";
	printf("\nunsolicited:                        packets    sources\n");
	printf("  IPv4                            %10llu %s%9.0f\n", (unsigned long long)s->v4,
	       approx, s->sources_v4);
	printf("  IPv6                            %10llu %s%9.0f\n", (unsigned long long)s->v6,
	       approx, s->sources_v6);
	printf("  TCP connection attempts (SYN)   %10llu\n", (unsigned long long)s->tcp_attempts);
	printf("  TCP backscatter (SYN-ACK, RST)  %10llu\n",
	       (unsigned long long)s->tcp_backscatter);
	printf("  TCP other (ACK, FIN, ...)       %10llu\n", (unsigned long long)s->tcp_other);
	printf("  UDP                             %10llu\n", (unsigned long long)s->udp);
	printf("  ICMP                            %10llu\n", (unsigned long long)s->icmp);
	printf("  ICMPv6                          %10llu\n", (unsigned long long)s->icmp6);
	printf("  other protocols                 %10llu\n", (unsigned long long)s->other_proto);
	if (s->fragments)
		printf("  (of these, fragments without ports %llu)\n",
		       (unsigned long long)s->fragments);
	if (s->v6 == 0 && s->unsolicited)
		printf("  not a single IPv6 packet\n");

	static const char *const titles[NOISE_PORT_KINDS] = {
		"TCP ports (connection attempts)",
		"UDP ports",
		"TCP backscatter (by source port)",
	};
	for (int k = 0; k < NOISE_PORT_KINDS; k++) {
		if (!p->n_ports[k])
			continue;
		printf("\ntop %zu %s:\n  %5s %10s %8s\n", p->n_ports[k], titles[k], "port",
		       "packets", "sources");
		for (size_t i = 0; i < p->n_ports[k]; i++)
			printf("  %5u %10llu %8llu\n", (unsigned)p->ports[k][i].port,
			       (unsigned long long)p->ports[k][i].packets,
			       (unsigned long long)p->ports[k][i].sources);
	}
	if (s->icmp || s->icmp6) {
		printf("\nICMP and ICMPv6 types:\n  %-7s %4s %-30s %10s\n", "", "type", "",
		       "packets");
		for (int f = 0; f < 2; f++)
			for (unsigned t = 0; t < 256; t++)
				if (s->icmp_types[f][t])
					printf("  %-7s %4u %-30s %10llu\n", f ? "ICMPv6" : "ICMP",
					       t, icmp_name(f, t),
					       (unsigned long long)s->icmp_types[f][t]);
	}
	if (s->other_proto) {
		printf("\nother protocols:\n");
		for (unsigned pr = 0; pr < 256; pr++)
			if (pr != 6 && pr != 17 && pr != 1 && pr != 58 && s->proto[pr])
				printf("  %4u %-16s %10llu\n", pr, proto_name(pr),
				       (unsigned long long)s->proto[pr]);
	}

	if (p->n_hours) {
		uint64_t peak = 1;
		for (size_t i = 0; i < p->n_hours; i++)
			if (p->hours[i].packets > peak)
				peak = p->hours[i].packets;
		printf("\nper hour (UTC):\n  %-16s %9s %8s %7s %6s %7s\n", "hour", "packets",
		       "attempts", "UDP", "ICMP", "sources");
		for (size_t i = 0; i < p->n_hours; i++) {
			const struct noise_hour *h = &p->hours[i];
			char t[32], bar[24]; /* 18 at most: 80 columns */
			time_str(h->start * NS, t, sizeof t);
			t[16] = '\0';
			size_t w = (size_t)((double)h->packets * 18 / (double)peak + 0.5);
			memset(bar, '#', w);
			bar[w] = '\0';
			printf("  %-16s %9llu %8llu %7llu %6llu %7llu %s\n", t,
			       (unsigned long long)h->packets, (unsigned long long)h->attempts,
			       (unsigned long long)h->udp, (unsigned long long)h->icmp,
			       (unsigned long long)h->sources, bar);
		}
		if (s->hours_dropped)
			printf("  (%llu packets more than %d hours after the first left out)\n",
			       (unsigned long long)s->hours_dropped, NOISE_MAX_HOURS);
	}

	if (p->n_top) {
		printf("\ntop %zu sources (by packets; * scanner):\n  %-24s %7s %6s %5s %14s "
		       "%14s\n",
		       p->n_top, "address", "packets", "ports", "hosts", "first (UTC)", "last");
		for (size_t i = 0; i < p->n_top; i++)
			print_source_row(&p->top[i]);
	}
	printf("\nscanners (%u or more ports, or %u or more hosts): %llu\n", o->no.scanner_ports,
	       o->no.scanner_hosts, (unsigned long long)s->scanners);
	if (p->n_scan) {
		printf("  %-24s %7s %6s %5s %14s %14s\n", "address", "packets", "ports", "hosts",
		       "first (UTC)", "last");
		for (size_t i = 0; i < p->n_scan; i++)
			print_source_row(&p->scan[i]);
		if (s->scanners > p->n_scan)
			printf("  (%llu more: --top or --csv lists them)\n",
			       (unsigned long long)(s->scanners - p->n_scan));
	}
	if (s->not_itemised_packets || s->distinct_lower_bound)
		printf("\n");
	if (s->not_itemised_packets)
		printf("note: %llu sources itemised (--max-sources); %llu packets of later ones "
		       "are\n  counted in the totals only, and the sources are estimates\n",
		       (unsigned long long)s->itemised,
		       (unsigned long long)s->not_itemised_packets);
	if (s->distinct_lower_bound)
		printf("note: the table of distinct ports, hosts and hours was full: those counts "
		       "are\n  lower bounds\n");
}

static void set_u(json_t *o, const char *k, uint64_t v)
{
	json_object_set_new(o, k, json_integer((json_int_t)v));
}

static void set_time(json_t *o, const char *k, int64_t ns)
{
	json_object_set_new(o, k, json_real((double)ns / NS));
}

static json_t *source_json(const struct noise_source *x)
{
	char a[INET6_ADDRSTRLEN];
	json_t *j = json_object();
	json_object_set_new(j, "address", json_string(addr_str(x->version, x->addr, a, sizeof a)));
	set_u(j, "version", x->version);
	set_u(j, "packets", x->packets);
	set_u(j, "ports", x->ports);
	set_u(j, "hosts", x->hosts);
	set_u(j, "tcp_attempts", x->attempts);
	set_u(j, "tcp_backscatter", x->backscatter);
	set_u(j, "tcp_other", x->tcp_other);
	set_u(j, "udp", x->udp);
	set_u(j, "icmp", x->icmp);
	set_u(j, "other", x->other);
	set_time(j, "first", x->first);
	set_time(j, "last", x->last);
	json_object_set_new(j, "scanner", json_boolean(x->scanner));
	return j;
}

static void print_json(const struct run *r, const struct report *p)
{
	const struct opts *o = r->o;
	const struct noise_summary *s = &p->s;
	char a[INET6_ADDRSTRLEN + 8];
	json_t *root = json_object();

	json_t *in = json_object();
	json_t *files = json_array();
	for (size_t i = 0; i < o->n_files; i++)
		json_array_append_new(files, json_string(o->files[i]));
	json_object_set_new(in, "files", files);
	set_u(in, "packets", s->packets);
	set_u(in, "not_ip", s->not_ip);
	set_u(in, "truncated", s->truncated);
	set_u(in, "invalid", s->invalid);
	if (s->packets) {
		set_time(in, "first", s->first);
		set_time(in, "last", s->last);
	}
	json_object_set_new(root, "input", in);

	json_t *lj = json_object();
	json_object_set_new(lj, "method", json_string(r->inferred ? "inferred" : "given"));
	if (r->inferred) {
		set_u(lj, "packets_seen", r->learned);
		json_object_set_new(lj, "partial", json_boolean(r->learn_partial));
		set_u(lj, "chosen", r->n_chosen);
		json_object_set_new(lj, "tables_full", json_boolean(noise_infer_full(r->ni)));
	}
	json_t *la = json_array();
	for (size_t i = 0; i < r->n_locals; i++) {
		const struct noise_local *l = &r->locals[i];
		json_t *j = json_object();
		json_object_set_new(j, "prefix", json_string(prefix_str(&l->pfx, a, sizeof a)));
		json_object_set_new(j, "by", json_string(by_str(l->by)));
		if (r->inferred) {
			set_u(j, "packets", l->packets);
			set_u(j, "requests", l->requests);
			set_u(j, "request_sources", l->request_sources);
			set_u(j, "sources", l->sources);
		}
		json_array_append_new(la, j);
	}
	json_object_set_new(lj, "addresses", la);
	json_object_set_new(root, "local", lj);

	json_t *tj = json_object();
	set_u(tj, "unsolicited", s->unsolicited);
	set_u(tj, "outgoing", s->outgoing);
	set_u(tj, "replies", s->replies);
	set_u(tj, "internal", s->internal);
	set_u(tj, "transit", s->transit);
	json_object_set_new(root, "traffic", tj);

	json_t *u = json_object();
	set_u(u, "packets", s->unsolicited);
	set_u(u, "ipv4", s->v4);
	set_u(u, "ipv6", s->v6);
	/* exact counts as integers, estimates (sources_approx) as reals */
	json_object_set_new(u, "sources_ipv4",
			    s->sources_approx ? json_real(s->sources_v4)
					      : json_integer((json_int_t)s->sources_v4));
	json_object_set_new(u, "sources_ipv6",
			    s->sources_approx ? json_real(s->sources_v6)
					      : json_integer((json_int_t)s->sources_v6));
	json_object_set_new(u, "sources_approx", json_boolean(s->sources_approx));
	set_u(u, "tcp_attempts", s->tcp_attempts);
	set_u(u, "tcp_backscatter", s->tcp_backscatter);
	set_u(u, "tcp_other", s->tcp_other);
	set_u(u, "udp", s->udp);
	set_u(u, "icmp", s->icmp);
	set_u(u, "icmp6", s->icmp6);
	set_u(u, "other_protocols", s->other_proto);
	set_u(u, "fragments", s->fragments);
	json_t *pj = json_object();
	for (unsigned pr = 0; pr < 256; pr++)
		if (s->proto[pr]) {
			char k[8];
			snprintf(k, sizeof k, "%u", pr);
			set_u(pj, k, s->proto[pr]);
		}
	json_object_set_new(u, "protocols", pj);
	json_object_set_new(root, "unsolicited", u);

	static const char *const names[NOISE_PORT_KINDS] = { "tcp_ports", "udp_ports",
							     "backscatter_ports" };
	for (int k = 0; k < NOISE_PORT_KINDS; k++) {
		json_t *arr = json_array();
		for (size_t i = 0; i < p->n_ports[k]; i++) {
			json_t *j = json_object();
			set_u(j, "port", p->ports[k][i].port);
			set_u(j, "packets", p->ports[k][i].packets);
			set_u(j, "sources", p->ports[k][i].sources);
			json_array_append_new(arr, j);
		}
		json_object_set_new(root, names[k], arr);
	}
	json_t *ia = json_array();
	for (int f = 0; f < 2; f++)
		for (unsigned t = 0; t < 256; t++)
			if (s->icmp_types[f][t]) {
				json_t *j = json_object();
				json_object_set_new(j, "family",
						    json_string(f ? "icmpv6" : "icmp"));
				set_u(j, "type", t);
				json_object_set_new(j, "name", json_string(icmp_name(f, t)));
				set_u(j, "packets", s->icmp_types[f][t]);
				json_array_append_new(ia, j);
			}
	json_object_set_new(root, "icmp_types", ia);

	json_t *ha = json_array();
	for (size_t i = 0; i < p->n_hours; i++) {
		const struct noise_hour *h = &p->hours[i];
		json_t *j = json_object();
		json_object_set_new(j, "start", json_integer((json_int_t)h->start));
		set_u(j, "packets", h->packets);
		set_u(j, "ipv4", h->v4);
		set_u(j, "ipv6", h->v6);
		set_u(j, "tcp_attempts", h->attempts);
		set_u(j, "tcp_backscatter", h->backscatter);
		set_u(j, "udp", h->udp);
		set_u(j, "icmp", h->icmp);
		set_u(j, "sources", h->sources);
		json_array_append_new(ha, j);
	}
	json_object_set_new(root, "hours", ha);
	set_u(root, "hours_dropped", s->hours_dropped);

	json_t *ta = json_array();
	for (size_t i = 0; i < p->n_top; i++)
		json_array_append_new(ta, source_json(&p->top[i]));
	json_object_set_new(root, "top_sources", ta);
	json_t *sc = json_object();
	set_u(sc, "min_ports", o->no.scanner_ports);
	set_u(sc, "min_hosts", o->no.scanner_hosts);
	set_u(sc, "count", s->scanners);
	json_t *sa = json_array();
	for (size_t i = 0; i < p->n_scan; i++)
		json_array_append_new(sa, source_json(&p->scan[i]));
	json_object_set_new(sc, "sources", sa);
	json_object_set_new(root, "scanners", sc);

	json_t *cj = json_object();
	set_u(cj, "max_sources", o->no.max_sources);
	set_u(cj, "itemised", s->itemised);
	set_u(cj, "not_itemised_packets", s->not_itemised_packets);
	json_object_set_new(cj, "distinct_lower_bound", json_boolean(s->distinct_lower_bound));
	json_object_set_new(root, "caps", cj);

	char *text =
		json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
	if (text) {
		puts(text);
		free(text);
	}
	json_decref(root);
}

/* Every itemised source, one row each. */
static void print_csv(const struct run *r)
{
	size_t n = noise_n_sources(r->nz);
	struct noise_source *all = mem_calloc(n ? n : 1, sizeof *all);
	n = noise_sources(r->nz, NOISE_BY_PACKETS, false, all, n);
	printf("address,version,packets,ports,hosts,tcp_attempts,tcp_backscatter,tcp_other,udp,"
	       "icmp,other,first,last,scanner\n");
	for (size_t i = 0; i < n; i++) {
		const struct noise_source *x = &all[i];
		char a[INET6_ADDRSTRLEN];
		printf("%s,%u,%llu,%u,%u,%llu,%llu,%llu,%llu,%llu,%llu,%.9f,%.9f,%d\n",
		       addr_str(x->version, x->addr, a, sizeof a), (unsigned)x->version,
		       (unsigned long long)x->packets, x->ports, x->hosts,
		       (unsigned long long)x->attempts, (unsigned long long)x->backscatter,
		       (unsigned long long)x->tcp_other, (unsigned long long)x->udp,
		       (unsigned long long)x->icmp, (unsigned long long)x->other,
		       (double)x->first / NS, (double)x->last / NS, x->scanner ? 1 : 0);
	}
	free(all);
}

static void report(const struct run *r)
{
	const struct opts *o = r->o;
	if (o->csv) {
		print_csv(r);
		return;
	}
	struct report *p = mem_calloc(1, sizeof *p);
	noise_summary(r->nz, &p->s);
	for (int k = 0; k < NOISE_PORT_KINDS; k++)
		p->n_ports[k] =
			noise_top_ports(r->nz, (enum noise_port_kind)k, p->ports[k], o->top);
	p->top = mem_calloc(o->top ? o->top : 1, sizeof *p->top);
	p->n_top = noise_sources(r->nz, NOISE_BY_PACKETS, false, p->top, o->top);
	/* text: the top N scanners; JSON: all of them */
	size_t ns = o->json ? (size_t)p->s.scanners : o->top;
	p->scan = mem_calloc(ns ? ns : 1, sizeof *p->scan);
	p->n_scan = noise_sources(r->nz, NOISE_BY_PORTS, true, p->scan, ns);
	p->hours = noise_hours(r->nz, &p->n_hours);
	if (o->json)
		print_json(r, p);
	else
		print_text(r, p);
	free(p->top);
	free(p->scan);
	free(p);
}

/* Two passes over files: the local addresses, then the analysis. */
static int run_two_passes(struct run *r)
{
	capture *cap = open_files(r->o);
	if (!cap)
		return EXIT_INPUT;
	int st = read_all(r, cap, true, "pass 1 of 2: ", false);
	progress(r, "pass 1 of 2: ", 1.0, true);
	capture_close(cap);
	/* a read error shows again in the second pass, and is reported there */
	if (st != 0 && r->learned == 0) {
		fprintf(stderr, "sundial noise: %s\n", r->err);
		return EXIT_INPUT;
	}
	if (!choose_locals(r) || !make_noise(r))
		return EXIT_INPUT;
	cap = open_files(r->o);
	if (!cap)
		return EXIT_INPUT;
	r->read = 0;
	st = read_all(r, cap, false, "pass 2 of 2: ", true);
	progress(r, "pass 2 of 2: ", 1.0, true);
	capture_close(cap);
	return st;
}

/* One pass with standard input: learn from its start, then analyse. */
static int run_learning(struct run *r)
{
	capture *cap = open_files(r->o);
	if (!cap)
		return EXIT_INPUT;
	r->buf = mem_calloc(LEARN_MAX, sizeof *r->buf);
	int st = read_all(r, cap, true, "", true);
	r->learn_partial = st == 2;
	if (st == EXIT_INPUT && r->n_buf == 0) {
		capture_close(cap);
		return EXIT_INPUT;
	}
	if (!choose_locals(r) || !make_noise(r)) {
		capture_close(cap);
		return EXIT_INPUT;
	}
	for (size_t i = 0; i < r->n_buf; i++)
		noise_add(r->nz, &r->buf[i]);
	free(r->buf);
	r->buf = NULL;
	if (st == 2)
		st = read_all(r, cap, false, "", true);
	progress(r, "", NAN, true);
	capture_close(cap);
	return st;
}

/* One pass with the addresses given. */
static int run_given(struct run *r)
{
	capture *cap = open_files(r->o);
	if (!cap)
		return EXIT_INPUT;
	int st = read_all(r, cap, false, "", true);
	progress(r, "", r->o->stdin_used ? NAN : 1.0, true);
	capture_close(cap);
	return st;
}

int cmd_noise(int argc, char **argv)
{
	struct opts *o = mem_calloc(1, sizeof *o);
	o->top = 10;
	o->no.scanner_ports = NOISE_SCANNER_PORTS;
	o->no.scanner_hosts = NOISE_SCANNER_HOSTS;
	o->no.max_sources = NOISE_MAX_SOURCES;
	int rc = parse_args(argc, argv, o);
	if (rc != 0) {
		free(o);
		return rc < 0 ? 0 : rc;
	}
	struct run *r = mem_calloc(1, sizeof *r);
	r->o = o;
	r->show_progress = !o->quiet && isatty(STDERR_FILENO);
	int status;
	if (o->n_locals) {
		for (size_t i = 0; i < o->n_locals; i++) {
			r->locals[i].pfx = o->locals[i];
			r->locals[i].by = NOISE_GIVEN;
		}
		r->n_locals = o->n_locals;
		status = make_noise(r) ? run_given(r) : EXIT_INPUT;
	} else {
		r->inferred = true;
		r->ni = noise_infer_new(0);
		status = o->stdin_used ? run_learning(r) : run_two_passes(r);
	}
	/* a read error: report what was read before it */
	if (r->nz && (status == EXIT_OK || status == EXIT_INPUT))
		report(r);
	fflush(stdout);
	noise_free(r->nz);
	noise_infer_free(r->ni);
	free(r->buf);
	free(r);
	free(o);
	return status == 2 ? EXIT_OK : status;
}
