/* trace.c - `sundial trace HOST`: a layer-4 traceroute over several
 * protocols and ports at once (net/trace), shown side by side with where
 * the paths part and join again.  Options and output; the probes are
 * net/trace, the replies wire/icmp.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/mem.h"
#include "net/addr.h"
#include "net/trace.h"
#include "wire/ntp.h"

/* Exit statuses (doc/sundial-trace.1, EXIT STATUS). */
enum {
	EXIT_OK = 0,	      /* every flow reached the destination */
	EXIT_NOT_REACHED = 1, /* some flow did not */
	EXIT_CANNOT = 3,      /* could not trace: no route, a socket error */
	EXIT_UNRESOLVED = 4,  /* HOST does not resolve */
	EXIT_USAGE = 64,
	EXIT_NOPERM = 77, /* no CAP_NET_RAW (EX_NOPERM) */
};

#define DEFAULT_FLOWS "tcp:80,icmp"
#define DEFAULT_UDP_PORT 33434
#define DEFAULT_TCP_PORT 80

struct opts {
	const char *host;
	struct addr_spec spec;
	int family;
	const char *flows;
	unsigned probes, first_ttl, max_ttl;
	double wait;
	bool json;
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: sundial trace [options] HOST\n"
		"A layer-4 traceroute: TCP SYN, UDP and ICMP echo probes with rising TTL,\n"
		"several protocols and ports at once, side by side, with where their paths\n"
		"part and join again.  Each flow keeps its addresses, ports and ICMP\n"
		"identifier and checksum fixed, so load balancing per flow keeps it on one\n"
		"path.  Needs CAP_NET_RAW (root, or setcap cap_net_raw+ep).\n"
		"  -4, -6               IPv4 or IPv6 only\n"
		"  -p, --probes LIST    flows, e.g. tcp:443,udp:123,icmp (default %s;\n"
		"                       tcp alone is tcp:%u, udp alone udp:%u); udp:123\n"
		"                       sends NTP requests: the server's NTP reply ends it\n"
		"  -q, --queries N      probes per hop and flow, 1 to %u (default 3)\n"
		"  -f, --first TTL      the first hop to probe (default 1)\n"
		"  -m, --max-hops TTL   the last hop to probe, up to %u (default 30)\n"
		"  -w, --wait SECONDS   how long to wait for the replies of a hop (default 3)\n"
		"  -j, --json           one JSON document\n"
		"  -h, --help           this text\n"
		"Exit: 0 every flow reached HOST, 1 some did not, 3 cannot trace, 4 HOST does\n"
		"not resolve, 64 usage, 77 no CAP_NET_RAW.\n",
		DEFAULT_FLOWS, DEFAULT_TCP_PORT, DEFAULT_UDP_PORT, TRACE_MAX_PROBES, TRACE_MAX_TTL);
}

static const char *proto_name(enum trace_proto p)
{
	switch (p) {
	case TRACE_TCP: return "tcp";
	case TRACE_UDP: return "udp";
	case TRACE_ICMP: return "icmp";
	}
	return "?";
}

static void flow_name(const struct trace_flow_spec *s, char *buf, size_t len)
{
	if (s->proto == TRACE_ICMP)
		str_format(buf, len, "icmp");
	else
		str_format(buf, len, "%s:%u", proto_name(s->proto), s->port);
}

/* Parses LIST (tcp:80,udp:53,icmp) into o->flows. */
static int parse_flows(const char *list, struct trace_opts *to)
{
	char buf[256];
	if (str_copy(buf, list, sizeof buf) >= sizeof buf)
		return cmd_usage_error("trace", "-p '%.40s...' is too long", list);
	to->n_flows = 0;
	char *save = NULL;
	for (char *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		struct trace_flow_spec s = { TRACE_ICMP, 0 };
		char *colon = strchr(w, ':');
		if (colon)
			*colon = '\0';
		if (strcmp(w, "tcp") == 0) {
			s.proto = TRACE_TCP;
			s.port = DEFAULT_TCP_PORT;
		} else if (strcmp(w, "udp") == 0) {
			s.proto = TRACE_UDP;
			s.port = DEFAULT_UDP_PORT;
		} else if (strcmp(w, "icmp") != 0) {
			return cmd_usage_error(
				"trace",
				"-p: '%s' is not a protocol: give tcp:PORT, udp:PORT "
				"or icmp, e.g. -p tcp:80,icmp",
				w);
		}
		if (colon) {
			double v;
			if (s.proto == TRACE_ICMP)
				return cmd_usage_error("trace", "-p: icmp has no port, not '%s'",
						       colon + 1);
			if (!cmd_parse_double(colon + 1, 1, 65535, &v) || v != floor(v))
				return cmd_usage_error(
					"trace", "-p: %s needs a port from 1 to 65535, not '%s'", w,
					colon + 1);
			s.port = (uint16_t)v;
		}
		for (size_t i = 0; i < to->n_flows; i++)
			if (to->flows[i].proto == s.proto && to->flows[i].port == s.port)
				return cmd_usage_error("trace", "-p: %s%s%s is given twice", w,
						       colon ? ":" : "", colon ? colon + 1 : "");
		if (to->n_flows == TRACE_MAX_FLOWS)
			return cmd_usage_error("trace", "-p: at most %u flows", TRACE_MAX_FLOWS);
		to->flows[to->n_flows++] = s;
	}
	if (to->n_flows == 0)
		return cmd_usage_error("trace", "%s", "-p needs a flow, e.g. -p tcp:80,icmp");
	return 0;
}

static int parse_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out)
{
	double v;
	if (!cmd_parse_double(s, min, max, &v) || v != floor(v))
		return cmd_usage_error("trace", "%s needs a whole number from %u to %u, not '%s'",
				       opt, min, max, s);
	*out = (unsigned)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o, struct trace_opts *to)
{
	static const struct option longopts[] = {
		{ "probes", required_argument, NULL, 'p' },
		{ "queries", required_argument, NULL, 'q' },
		{ "first", required_argument, NULL, 'f' },
		{ "max-hops", required_argument, NULL, 'm' },
		{ "wait", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;
	optind = 1;
	while ((c = getopt_long(argc, argv, "46p:q:f:m:w:jh", longopts, NULL)) != -1) {
		switch (c) {
		case '4':
		case '6':
			if (o->family != AF_UNSPEC)
				return cmd_usage_error("trace", "%s", "give -4 or -6, not both");
			o->family = c == '4' ? AF_INET : AF_INET6;
			break;
		case 'p': o->flows = optarg; break;
		case 'q':
			if ((rc = parse_uint("-q", optarg, 1, TRACE_MAX_PROBES, &o->probes)))
				return rc;
			break;
		case 'f':
			if ((rc = parse_uint("-f", optarg, 1, TRACE_MAX_TTL, &o->first_ttl)))
				return rc;
			break;
		case 'm':
			if ((rc = parse_uint("-m", optarg, 1, TRACE_MAX_TTL, &o->max_ttl)))
				return rc;
			break;
		case 'w':
			if (!cmd_parse_double(optarg, 0.01, 60, &o->wait))
				return cmd_usage_error("trace",
						       "-w needs seconds from 0.01 to 60, not '%s'",
						       optarg);
			break;
		case 'j': o->json = true; break;
		case 'h': help(stdout); return -1;
		default: return cmd_usage_error("trace", "%s", "unknown option (see above)");
		}
	}
	if (optind >= argc)
		return cmd_usage_error("trace", "%s",
				       "give a HOST, e.g. sundial trace time.example.net");
	if (optind + 1 < argc)
		return cmd_usage_error("trace", "one HOST at a time, not '%s' too",
				       argv[optind + 1]);
	if (o->first_ttl > o->max_ttl)
		return cmd_usage_error("trace", "-f %u is beyond -m %u", o->first_ttl, o->max_ttl);
	o->host = argv[optind];
	char err[256];
	if (addr_parse_spec(o->host, 0, &o->spec, err, sizeof err) != 0)
		return cmd_usage_error("trace", "HOST '%s': %s", o->host, err);
	if (o->spec.host[0] == '\0')
		return cmd_usage_error("trace", "HOST '%s' names no host", o->host);
	if (o->spec.port_given)
		return cmd_usage_error("trace", "HOST '%s' takes no port: give ports with -p",
				       o->host);
	rc = parse_flows(o->flows, to);
	if (rc)
		return rc;
	to->probes = o->probes;
	to->first_ttl = o->first_ttl;
	to->max_ttl = o->max_ttl;
	to->wait = o->wait;
	return 0;
}

/* --- paths --------------------------------------------------------------- */

/* Flow i's path up to hop upto (its main address per hop) into out. */
static size_t flow_path(const trace *t, const struct trace_opts *to, size_t i, unsigned upto,
			struct trace_path_hop *out)
{
	const struct trace_flow *f = trace_flow_get(t, i);
	unsigned last = f->last_ttl < upto ? f->last_ttl : upto;
	for (unsigned ttl = 1; ttl <= last; ttl++)
		out[ttl - 1].known =
			trace_hop_address(&f->hops[ttl - 1], to->probes, out[ttl - 1].addr);
	return last;
}

/* How flow i (> 0) compares with the first, up to hop upto. */
static void compare(const trace *t, const struct trace_opts *to, size_t i, unsigned upto,
		    struct trace_divergence *d)
{
	struct trace_path_hop a[TRACE_MAX_TTL], b[TRACE_MAX_TTL];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	size_t na = flow_path(t, to, 0, upto, a);
	size_t nb = flow_path(t, to, i, upto, b);
	trace_compare(a, na, b, nb, d);
}

static void fmt_addr(uint8_t family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		str_copy(buf, "?", len);
}

/* --- text output --------------------------------------------------------- */

struct out {
	const struct opts *o;
	const struct trace_opts *to;
	uint8_t family;
	size_t width; /* of a column */
	bool parted_shown[TRACE_MAX_FLOWS];
};

/* traceroute's marks for an unreachable from a router (RFC 792, RFC 4443). */
static const char *unreach_mark(uint8_t family, uint8_t code, char *buf, size_t len)
{
	if (family == 6) {
		switch (code) {
		case 0: return "!N";
		case 1: return "!X";
		case 3: return "!H";
		case 4: return "!P";
		default: break;
		}
	} else {
		switch (code) {
		case 0: return "!N";
		case 1: return "!H";
		case 2: return "!P";
		case 3: return "";
		case 4: return "!F";
		case 13: return "!X";
		default: break;
		}
	}
	str_format(buf, len, "!<%u>", code);
	return buf;
}

/* Appends to buf at *k (bounded). */
static void cat(char *buf, size_t len, size_t *k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void cat(char *buf, size_t len, size_t *k, const char *fmt, ...)
{
	if (*k >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *k, len - *k, fmt, ap);
	va_end(ap);
	if (n > 0)
		*k += (size_t)n;
	if (*k >= len)
		*k = len - 1;
}

/* The refid of an NTP reply as ntpq shows it (wire/ntp). */
static void fmt_refid(const struct trace_ntp *n, char *buf, size_t len)
{
	struct ntp_pkt p;
	memset(&p, 0, sizeof p);
	p.stratum = n->stratum;
	memcpy(p.refid, n->refid, 4);
	ntp_refid_format(&p, buf, len);
}

/* How an NTP reply is shown at the end of a cell: "[NTP reply, stratum 2]",
 * "[NTP KoD RATE]". */
static const char *ntp_mark(const struct trace_ntp *n, char *buf, size_t len)
{
	char code[16];
	if (n->kod) {
		fmt_refid(n, code, sizeof code);
		str_format(buf, len, "[NTP KoD %s]", code);
	} else {
		str_format(buf, len, "[NTP reply, stratum %u]", n->stratum);
	}
	return buf;
}

/* One flow's cell of hop ttl. */
static void cell(const struct out *w, const struct trace_flow *f, unsigned ttl, char *buf,
		 size_t len)
{
	size_t k = 0;
	buf[0] = '\0';
	if (ttl > f->last_ttl)
		return;
	const struct trace_hop *h = &f->hops[ttl - 1];
	uint8_t last[16];
	bool have_last = false;
	const char *end = NULL;
	char ntp_end[48];
	for (unsigned i = 0; i < w->to->probes; i++) {
		const struct trace_probe *p = &h->probe[i];
		if (p->answer == TRACE_A_NONE) {
			cat(buf, len, &k, "%s*", k ? " " : "");
			continue;
		}
		if (!have_last || memcmp(last, p->from, 16) != 0) {
			char a[64];
			fmt_addr(p->family, p->from, a, sizeof a);
			cat(buf, len, &k, "%s%s ", k ? "  " : "", a);
			memcpy(last, p->from, 16);
			have_last = true;
		}
		cat(buf, len, &k, " %.3f", p->rtt * 1e3);
		bool at_dst = memcmp(p->from, f->key.dst, 16) == 0;
		char m[16];
		if (p->answer == TRACE_A_UNREACH && !at_dst)
			cat(buf, len, &k, " %s",
			    unreach_mark(p->family, p->icmp_code, m, sizeof m));
		for (size_t j = 0; j < p->n_mpls; j++)
			cat(buf, len, &k, " <MPLS:L=%u,E=%u,S=%u,T=%u>", p->mpls[j].label,
			    p->mpls[j].tc, p->mpls[j].bottom ? 1u : 0u, p->mpls[j].ttl);
		if (p->answer == TRACE_A_SYN_ACK)
			end = "[SYN-ACK]";
		else if (p->answer == TRACE_A_RST)
			end = "[RST]";
		else if (p->answer == TRACE_A_ECHO_REPLY)
			end = "[echo reply]";
		else if (p->answer == TRACE_A_UNREACH && at_dst)
			end = "[port unreachable]";
		else if (p->answer == TRACE_A_NTP)
			end = ntp_mark(&p->ntp, ntp_end, sizeof ntp_end);
	}
	if (have_last)
		cat(buf, len, &k, " ms");
	if (end)
		cat(buf, len, &k, " %s", end);
}

static void print_hop(void *arg, const trace *t, unsigned ttl)
{
	struct out *w = arg;
	size_t n = trace_n_flows(t);
	for (size_t i = 1; i < n; i++) {
		struct trace_divergence d;
		if (w->parted_shown[i])
			continue;
		compare(t, w->to, i, ttl, &d);
		if (d.parted && d.part_ttl == ttl) {
			char a[64] = "", b[64], c[64];
			flow_name(&trace_flow_get(t, 0)->spec, b, sizeof b);
			flow_name(&trace_flow_get(t, i)->spec, c, sizeof c);
			if (d.common_ttl) {
				uint8_t addr[16];
				if (trace_hop_address(&trace_flow_get(t, 0)->hops[d.common_ttl - 1],
						      w->to->probes, addr))
					fmt_addr(w->family, addr, a, sizeof a);
				printf("     -- %s parts from %s after hop %u (%s) --\n", c, b,
				       d.common_ttl, a);
			} else {
				printf("     -- %s parts from %s at hop %u --\n", c, b, ttl);
			}
			w->parted_shown[i] = true;
		}
	}
	uint8_t ref[16];
	const struct trace_flow *f0 = trace_flow_get(t, 0);
	bool ref_known =
		ttl <= f0->last_ttl && trace_hop_address(&f0->hops[ttl - 1], w->to->probes, ref);
	char line[4096];
	size_t k = 0;
	cat(line, sizeof line, &k, "%3u  ", ttl);
	for (size_t i = 0; i < n; i++) {
		const struct trace_flow *f = trace_flow_get(t, i);
		char buf[1024];
		cell(w, f, ttl, buf, sizeof buf);
		if (i > 0) {
			uint8_t a[16];
			char mark = ' ';
			if (ref_known && ttl <= f->last_ttl &&
			    trace_hop_address(&f->hops[ttl - 1], w->to->probes, a))
				mark = memcmp(a, ref, 16) == 0 ? '=' : 'x';
			cat(line, sizeof line, &k, " %c ", mark);
		}
		cat(line, sizeof line, &k, "%-*s", (int)w->width, buf);
	}
	while (k > 0 && line[k - 1] == ' ')
		k--;
	line[k] = '\0';
	printf("%s\n", line);
	fflush(stdout);
}

static void print_summary(const trace *t, const struct out *w)
{
	size_t n = trace_n_flows(t);
	char a[64], b[64], c[64];
	flow_name(&trace_flow_get(t, 0)->spec, b, sizeof b);
	for (size_t i = 1; i < n; i++) {
		struct trace_divergence d;
		compare(t, w->to, i, TRACE_MAX_TTL, &d);
		flow_name(&trace_flow_get(t, i)->spec, c, sizeof c);
		if (!d.parted) {
			printf("%s: the same path as %s\n", c, b);
			continue;
		}
		printf("%s: parts from %s at hop %u", c, b, d.part_ttl);
		if (d.joined) {
			fmt_addr(w->family, d.join_addr, a, sizeof a);
			printf(", joins it again at %s (hop %u of %s, hop %u of %s)\n", a,
			       d.join_ttl_b, c, d.join_ttl_a, b);
		} else {
			printf(", does not join it again\n");
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct trace_flow *f = trace_flow_get(t, i);
		flow_name(&f->spec, c, sizeof c);
		if (f->reached)
			printf("%s: reached the destination at hop %u (%s)\n", c, f->last_ttl,
			       trace_answer_name(f->end));
		else if (f->unreachable)
			printf("%s: unreachable at hop %u\n", c, f->last_ttl);
		else
			printf("%s: did not reach the destination in %u hops\n", c, f->last_ttl);
	}
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *addr_json(uint8_t family, const uint8_t *a)
{
	char buf[64];
	fmt_addr(family, a, buf, sizeof buf);
	return json_string(buf);
}

static json_t *probe_json(const struct trace_probe *p)
{
	json_t *j = json_object();
	if (p->answer == TRACE_A_NONE) {
		json_object_set_new(j, "address", json_null());
		json_object_set_new(j, "rtt", json_null());
		json_object_set_new(j, "answer", json_string(trace_answer_name(p->answer)));
		return j;
	}
	json_object_set_new(j, "address", addr_json(p->family, p->from));
	json_object_set_new(j, "rtt", json_real(p->rtt));
	json_object_set_new(j, "answer", json_string(trace_answer_name(p->answer)));
	if (p->answer == TRACE_A_NTP) {
		char refid[16];
		fmt_refid(&p->ntp, refid, sizeof refid);
		json_t *n = json_object();
		json_object_set_new(n, "leap", json_integer(p->ntp.leap));
		json_object_set_new(n, "version", json_integer(p->ntp.version));
		json_object_set_new(n, "stratum", json_integer(p->ntp.stratum));
		json_object_set_new(n, "refid", json_string(refid));
		json_object_set_new(n, "kiss_code", p->ntp.kod ? json_string(refid) : json_null());
		json_object_set_new(j, "ntp", n);
	} else if (p->answer != TRACE_A_SYN_ACK && p->answer != TRACE_A_RST) {
		json_object_set_new(j, "icmp_type", json_integer(p->icmp_type));
		json_object_set_new(j, "icmp_code", json_integer(p->icmp_code));
	}
	json_t *m = json_array();
	for (size_t i = 0; i < p->n_mpls; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "label", json_integer(p->mpls[i].label));
		json_object_set_new(e, "tc", json_integer(p->mpls[i].tc));
		json_object_set_new(e, "s", json_boolean(p->mpls[i].bottom));
		json_object_set_new(e, "ttl", json_integer(p->mpls[i].ttl));
		json_array_append_new(m, e);
	}
	json_object_set_new(j, "mpls", m);
	return j;
}

static json_t *flow_json(const trace *t, const struct trace_opts *to, size_t i)
{
	const struct trace_flow *f = trace_flow_get(t, i);
	char name[32];
	flow_name(&f->spec, name, sizeof name);
	json_t *j = json_object();
	json_object_set_new(j, "name", json_string(name));
	json_object_set_new(j, "protocol", json_string(proto_name(f->spec.proto)));
	if (f->spec.proto == TRACE_ICMP) {
		json_object_set_new(j, "port", json_null());
		json_object_set_new(j, "source_port", json_null());
		json_object_set_new(j, "icmp_id", json_integer(f->key.icmp_id));
	} else {
		json_object_set_new(j, "port", json_integer(f->spec.port));
		json_object_set_new(j, "source_port", json_integer(f->key.sport));
		json_object_set_new(j, "icmp_id", json_null());
	}
	json_object_set_new(j, "reached", json_boolean(f->reached));
	json_object_set_new(j, "unreachable", json_boolean(f->unreachable));
	json_object_set_new(j, "last_hop", json_integer(f->last_ttl));
	json_object_set_new(j, "destination_hop",
			    f->reached ? json_integer(f->last_ttl) : json_null());
	json_object_set_new(j, "end",
			    f->end != TRACE_A_NONE ? json_string(trace_answer_name(f->end))
						   : json_null());
	json_t *path = json_array();
	json_t *hops = json_array();
	for (unsigned ttl = to->first_ttl; ttl <= f->last_ttl; ttl++) {
		const struct trace_hop *h = &f->hops[ttl - 1];
		uint8_t a[16];
		json_t *addr = trace_hop_address(h, to->probes, a) ? addr_json(f->key.family, a)
								   : json_null();
		json_array_append(path, addr);
		json_t *hj = json_object();
		json_object_set_new(hj, "ttl", json_integer(ttl));
		json_object_set_new(hj, "address", addr);
		json_t *ps = json_array();
		for (unsigned k = 0; k < to->probes; k++)
			json_array_append_new(ps, probe_json(&h->probe[k]));
		json_object_set_new(hj, "probes", ps);
		json_array_append_new(hops, hj);
	}
	json_object_set_new(j, "path", path);
	json_object_set_new(j, "hops", hops);
	return j;
}

static json_t *divergence_json(const trace *t, const struct out *w, size_t i)
{
	struct trace_divergence d;
	compare(t, w->to, i, TRACE_MAX_TTL, &d);
	char a[32], b[32];
	flow_name(&trace_flow_get(t, 0)->spec, a, sizeof a);
	flow_name(&trace_flow_get(t, i)->spec, b, sizeof b);
	json_t *j = json_object();
	json_object_set_new(j, "flow", json_string(b));
	json_object_set_new(j, "reference", json_string(a));
	json_object_set_new(j, "parted", json_boolean(d.parted));
	json_object_set_new(j, "part_hop", d.parted ? json_integer(d.part_ttl) : json_null());
	json_object_set_new(j, "common_hop",
			    d.parted && d.common_ttl ? json_integer(d.common_ttl) : json_null());
	json_object_set_new(j, "joined", json_boolean(d.joined));
	json_object_set_new(j, "join_address",
			    d.joined ? addr_json(w->family, d.join_addr) : json_null());
	json_object_set_new(j, "join_hop", d.joined ? json_integer(d.join_ttl_b) : json_null());
	json_object_set_new(j, "reference_join_hop",
			    d.joined ? json_integer(d.join_ttl_a) : json_null());
	return j;
}

static void print_json(const trace *t, const struct out *w, const char *dst)
{
	char src[64];
	addr_format((const struct sockaddr *)trace_source(t), src, sizeof src);
	json_t *j = json_object();
	json_object_set_new(j, "target", json_string(w->o->host));
	json_object_set_new(j, "address", json_string(dst));
	json_object_set_new(j, "source", json_string(src));
	json_object_set_new(j, "family", json_integer(w->family));
	json_object_set_new(j, "first_hop", json_integer(w->to->first_ttl));
	json_object_set_new(j, "max_hops", json_integer(w->to->max_ttl));
	json_object_set_new(j, "probes", json_integer(w->to->probes));
	json_object_set_new(j, "wait", json_real(w->to->wait));
	json_t *flows = json_array();
	json_t *div = json_array();
	for (size_t i = 0; i < trace_n_flows(t); i++) {
		json_array_append_new(flows, flow_json(t, w->to, i));
		if (i > 0)
			json_array_append_new(div, divergence_json(t, w, i));
	}
	json_object_set_new(j, "flows", flows);
	json_object_set_new(j, "divergence", div);
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("\n");
	json_decref(j);
}

/* --- main ---------------------------------------------------------------- */

int cmd_trace(int argc, char **argv)
{
	struct opts o = { .family = AF_UNSPEC,
			  .flows = DEFAULT_FLOWS,
			  .probes = 3,
			  .first_ttl = 1,
			  .max_ttl = 30,
			  .wait = 3 };
	struct trace_opts to;
	memset(&to, 0, sizeof to);
	int rc = parse_args(argc, argv, &o, &to);
	if (rc < 0)
		return EXIT_OK; /* --help */
	if (rc)
		return rc;

	char err[512], dst[64];
	rc = addr_resolve(&o.spec, o.family, false, &to.dst, 1, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "sundial trace: %s\n", err);
		return rc == -ENOENT || rc == -EAFNOSUPPORT ? EXIT_UNRESOLVED : EXIT_CANNOT;
	}
	addr_format((const struct sockaddr *)&to.dst, dst, sizeof dst);
	trace *t = NULL;
	rc = trace_open(&to, &t, err, sizeof err);
	if (rc == -EPERM) {
		char self[512];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
		self[n > 0 ? n : 0] = '\0';
		fprintf(stderr,
			"sundial trace: %s: sending TCP, UDP and ICMP probes with a TTL and "
			"reading the ICMP errors needs raw sockets.\n"
			"Run it as root, or grant the capability once: sudo setcap "
			"cap_net_raw+ep %s\n",
			err, n > 0 ? self : "$(command -v sundial)");
		return EXIT_NOPERM;
	}
	if (rc < 0) {
		fprintf(stderr, "sundial trace: %s (%s): %s\n", o.host, dst, err);
		return EXIT_CANNOT;
	}
	struct out w;
	memset(&w, 0, sizeof w);
	w.o = &o;
	w.to = &to;
	w.family = to.dst.ss_family == AF_INET6 ? 6 : 4;
	size_t aw = w.family == 6 ? 39 : 15;
	w.width = aw + 2 + to.probes * 8 + 4;
	if (!o.json) {
		char src[64];
		addr_format((const struct sockaddr *)trace_source(t), src, sizeof src);
		printf("sundial trace to %s (%s) from %s, %u hops max, %u probe%s per hop\n",
		       o.host, dst, src, to.max_ttl, to.probes, to.probes == 1 ? "" : "s");
		printf("hop  ");
		for (size_t i = 0; i < trace_n_flows(t); i++) {
			const struct trace_flow *f = trace_flow_get(t, i);
			char name[32], head[64];
			flow_name(&f->spec, name, sizeof name);
			if (f->spec.proto == TRACE_ICMP)
				str_format(head, sizeof head, "%s (id %u)", name, f->key.icmp_id);
			else
				str_format(head, sizeof head, "%s (from port %u)", name,
					   f->key.sport);
			if (i > 0)
				printf("   ");
			if (i + 1 < trace_n_flows(t))
				printf("%-*s", (int)w.width, head);
			else
				printf("%s", head);
		}
		printf("\n");
		fflush(stdout);
	}
	int status = EXIT_CANNOT;
	rc = trace_run(t, o.json ? NULL : print_hop, &w, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "sundial trace: %s (%s): %s\n", o.host, dst, err);
		goto out;
	}
	if (o.json)
		print_json(t, &w, dst);
	else
		print_summary(t, &w);
	status = EXIT_OK;
	for (size_t i = 0; i < trace_n_flows(t); i++)
		if (!trace_flow_get(t, i)->reached)
			status = EXIT_NOT_REACHED;
out:
	trace_close(t);
	return status;
}
