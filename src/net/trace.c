/* trace.c - the probe engine of `sundial trace`.  See trace.h.
 *
 * Sockets: one raw ICMP (ICMPv6) socket receives every ICMP error and echo
 * reply and sends the echo requests; one raw TCP socket sends the SYNs and
 * receives the SYN-ACKs and RSTs; one raw UDP socket sends the UDP probes
 * (a filter drops all it would receive).  Every probe is built whole by
 * wire/icmp with its checksum, as a raw socket sends it untouched (an
 * ordinary socket could leave the checksum to the NIC, and a router would
 * then quote a partial one).  A TCP or UDP socket bound to the source
 * address holds each flow's source port, so no other program gets it.  An
 * NTP flow's (UDP to port 123) is also connected to the destination's port
 * 123: the kernel hands it the server's replies, and only those (the raw
 * UDP socket still receives nothing).  Connected, it also reports a port
 * unreachable as an error on the next read, which is skipped: the raw ICMP
 * socket has the message itself.
 *
 * Tags: probe n of a flow (n = (ttl - first_ttl) * probes + i) has tag
 * base + n, with base random per flow: the TCP sequence number as is, the
 * ICMP sequence number modulo 2^16, the UDP checksum in 1..0xfffe (0 and
 * 0xffff both mean "no checksum").  A reply's tag gives n back at once.
 * An NTP flow's requests carry a random cookie (per flow) and the tag in
 * their transmit timestamp (wire/icmp: icmp_build_ntp), so that a reply's
 * origin timestamp gives the tag back too.
 */
#include "net/trace.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/entropy.h"
#include "common/mem.h"
#include "wire/ntp.h"

#define RECV_BUF 65536

enum { IPP_ICMP = 1, IPP_TCP = 6, IPP_UDP = 17, IPP_ICMPV6 = 58 };

/* One probe in flight or done: where its result goes. */
struct sent {
	double at; /* monotonic send time; 0: not sent */
	uint32_t tag;
};

struct flow_state {
	struct trace_flow f;
	int hold_fd; /* holds the source port (TCP, UDP); -1 for ICMP */
	uint32_t base;
	struct sent *sent; /* by probe number */
};

struct trace {
	struct trace_opts o;
	int family; /* AF_INET or AF_INET6 */
	struct sockaddr_storage src;
	int icmp_fd, tcp_fd, udp_fd;
	size_t n_flows;
	struct flow_state flows[TRACE_MAX_FLOWS];
	size_t n_probes; /* probe numbers per flow */
	uint8_t buf[RECV_BUF];
};

const char *trace_answer_name(enum trace_answer a)
{
	switch (a) {
	case TRACE_A_NONE: return "none";
	case TRACE_A_TIME_EXCEEDED: return "time-exceeded";
	case TRACE_A_UNREACH: return "unreachable";
	case TRACE_A_ECHO_REPLY: return "echo-reply";
	case TRACE_A_SYN_ACK: return "SYN-ACK";
	case TRACE_A_RST: return "RST";
	case TRACE_A_OTHER: return "other-error";
	case TRACE_A_NTP: return "ntp-reply";
	}
	return "unknown";
}

/* --- matching (pure) ----------------------------------------------------- */

static size_t alen(uint8_t family)
{
	return family == 6 ? 16 : 4;
}

bool trace_match(const struct trace_flow_key *k, const struct icmp_reply *r, const uint8_t from[16],
		 uint32_t *tag, enum trace_answer *a)
{
	size_t al = alen(k->family);
	bool from_dst = memcmp(from, k->dst, al) == 0;
	switch (r->kind) {
	case ICMP_K_TCP:
		if (k->proto != IPP_TCP || !from_dst || r->sport != k->dport ||
		    r->dport != k->sport || !(r->tcp_flags & ICMP_TCP_ACK))
			return false;
		*tag = r->ack - 1;
		if (r->tcp_flags & ICMP_TCP_RST)
			*a = TRACE_A_RST;
		else if (r->tcp_flags & ICMP_TCP_SYN)
			*a = TRACE_A_SYN_ACK;
		else
			return false;
		return true;
	case ICMP_K_ECHO_REPLY:
		if ((k->proto != IPP_ICMP && k->proto != IPP_ICMPV6) || !from_dst ||
		    r->echo_id != k->icmp_id)
			return false;
		*tag = r->echo_seq;
		*a = TRACE_A_ECHO_REPLY;
		return true;
	case ICMP_K_TIME_EXCEEDED:
	case ICMP_K_UNREACH:
	case ICMP_K_PARAM_PROBLEM:
	case ICMP_K_TOO_BIG: break;
	case ICMP_K_OTHER:
	default: return false;
	}
	const struct icmp_quote *q = &r->quote;
	if (!r->quoted || !q->transport || q->ip_version != k->family || q->proto != k->proto ||
	    memcmp(q->dst, k->dst, al) != 0)
		return false;
	switch (k->proto) {
	case IPP_TCP:
		if (q->sport != k->sport || q->dport != k->dport)
			return false;
		*tag = q->tcp_seq;
		break;
	case IPP_UDP:
		if (q->sport != k->sport || q->dport != k->dport)
			return false;
		*tag = q->udp_cksum;
		break;
	default:
		if (q->icmp_type != (k->family == 6 ? 128 : 8) || q->icmp_id != k->icmp_id)
			return false;
		*tag = q->icmp_seq;
		break;
	}
	if (r->kind == ICMP_K_TIME_EXCEEDED)
		*a = TRACE_A_TIME_EXCEEDED;
	else if (r->kind == ICMP_K_UNREACH)
		*a = TRACE_A_UNREACH;
	else
		*a = TRACE_A_OTHER;
	return true;
}

static bool is_ntp(const struct trace_flow_key *k)
{
	return k->proto == IPP_UDP && k->dport == TRACE_NTP_PORT;
}

/* The flow of k as wire/icmp builds its probes. */
static void key_flow(const struct trace_flow_key *k, struct icmp_flow *f)
{
	memset(f, 0, sizeof *f);
	f->ip_version = k->family;
	memcpy(f->src, k->src, 16);
	memcpy(f->dst, k->dst, 16);
	f->sport = k->sport;
	f->dport = k->dport;
	f->icmp_id = k->icmp_id;
}

/* Only the header (RFC 5905 section 7.3) is read: the reply's mode, its
 * origin timestamp (which must be a transmit timestamp the flow's requests
 * can have had: the cookie, a tag, and the two octets that go with them),
 * and for people its leap indicator, version, stratum and refid. */
bool trace_match_ntp(const struct trace_flow_key *k, const uint8_t *p, size_t len, uint32_t *tag,
		     struct trace_ntp *ntp)
{
	if (!is_ntp(k) || len < NTP_HEADER_LEN)
		return false;
	struct ntp_pkt pkt;
	if (ntp_pkt_decode(p, NTP_HEADER_LEN, &pkt) != NTP_OK || pkt.mode != NTP_MODE_SERVER)
		return false;
	uint16_t c = (uint16_t)(pkt.org_ts >> 16);
	if ((uint32_t)(pkt.org_ts >> 32) != k->ntp_cookie || c == 0 || c == 0xffff)
		return false;
	struct icmp_flow f;
	key_flow(k, &f);
	if (pkt.org_ts != icmp_ntp_xmt(&f, k->ntp_cookie, c))
		return false;
	*tag = c;
	memset(ntp, 0, sizeof *ntp);
	ntp->leap = pkt.leap;
	ntp->version = pkt.version;
	ntp->stratum = pkt.stratum;
	memcpy(ntp->refid, pkt.refid, 4);
	ntp->kod = ntp_is_kod(&pkt);
	return true;
}

/* --- paths (pure) -------------------------------------------------------- */

bool trace_hop_address(const struct trace_hop *h, unsigned probes, uint8_t addr[16])
{
	unsigned best = 0;
	size_t best_i = 0;
	if (probes > TRACE_MAX_PROBES)
		probes = TRACE_MAX_PROBES;
	for (size_t i = 0; i < probes; i++) {
		const struct trace_probe *p = &h->probe[i];
		if (p->answer == TRACE_A_NONE)
			continue;
		unsigned n = 0;
		for (size_t j = 0; j < probes; j++)
			if (h->probe[j].answer != TRACE_A_NONE &&
			    memcmp(h->probe[j].from, p->from, 16) == 0)
				n++;
		if (n > best) {
			best = n;
			best_i = i;
		}
	}
	if (best == 0)
		return false;
	memcpy(addr, h->probe[best_i].from, 16);
	return true;
}

static bool same_hop(const struct trace_path_hop *x, const struct trace_path_hop *y)
{
	return x->known && y->known && memcmp(x->addr, y->addr, 16) == 0;
}

void trace_compare(const struct trace_path_hop *a, size_t na, const struct trace_path_hop *b,
		   size_t nb, struct trace_divergence *out)
{
	memset(out, 0, sizeof *out);
	size_t n = na < nb ? na : nb;
	size_t part = 0;
	for (size_t i = 0; i < n; i++) {
		if (!a[i].known || !b[i].known)
			continue;
		if (same_hop(&a[i], &b[i])) {
			out->common_ttl = (unsigned)i + 1;
		} else {
			part = i + 1;
			break;
		}
	}
	if (part == 0)
		return;
	out->parted = true;
	out->part_ttl = (unsigned)part;
	for (size_t i = part - 1; i < na; i++) {
		for (size_t j = part - 1; j < nb; j++) {
			if (same_hop(&a[i], &b[j])) {
				out->joined = true;
				out->join_ttl_a = (unsigned)i + 1;
				out->join_ttl_b = (unsigned)j + 1;
				memcpy(out->join_addr, a[i].addr, 16);
				return;
			}
		}
	}
}

/* --- sockets ------------------------------------------------------------- */

static const uint8_t *sa_addr(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	return (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
}

static socklen_t sa_len(int family)
{
	return family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static uint16_t sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static int raw_socket(trace *t, int proto, char *err, size_t errlen)
{
	int fd = socket(t->family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		int e = errno;
		if (e == EPERM || e == EACCES) {
			str_format(err, errlen, "raw sockets need CAP_NET_RAW (%s)", strerror(e));
			return -EPERM;
		}
		str_format(err, errlen, "cannot open a raw socket: %s", strerror(e));
		return -e;
	}
	struct sockaddr_storage a = t->src;
	sa_set_port(&a, 0);
	if (bind(fd, (struct sockaddr *)&a, sa_len(t->family)) != 0) {
		int e = errno;
		close(fd);
		str_format(err, errlen, "cannot bind a raw socket to the source address: %s",
			   strerror(e));
		return -e;
	}
	return fd;
}

/* A socket that holds a source port for a TCP or UDP flow; its port. */
static int hold_port(trace *t, int type, uint16_t *port, char *err, size_t errlen)
{
	int fd = socket(t->family, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		str_format(err, errlen, "cannot open a socket: %s", strerror(e));
		return -e;
	}
	struct sockaddr_storage a = t->src;
	socklen_t len = sa_len(t->family);
	sa_set_port(&a, 0);
	if (bind(fd, (struct sockaddr *)&a, len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		int e = errno;
		close(fd);
		str_format(err, errlen, "cannot bind a source port: %s", strerror(e));
		return -e;
	}
	*port = sa_port(&a);
	return fd;
}

/* The source address the kernel would use towards dst. */
static int find_source(trace *t, char *err, size_t errlen)
{
	int fd = socket(t->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		str_format(err, errlen, "cannot open a socket: %s", strerror(e));
		return -e;
	}
	struct sockaddr_storage d = t->o.dst;
	sa_set_port(&d, 33434);
	socklen_t len = sizeof t->src;
	int rc = 0;
	if (connect(fd, (struct sockaddr *)&d, sa_len(t->family)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&t->src, &len) != 0) {
		rc = -errno;
		str_format(err, errlen, "no route to the destination: %s", strerror(-rc));
	}
	close(fd);
	return rc;
}

int trace_open(const struct trace_opts *o, trace **out, char *err, size_t errlen)
{
	*out = NULL;
	if (o->n_flows == 0 || o->n_flows > TRACE_MAX_FLOWS || o->first_ttl < 1 ||
	    o->first_ttl > o->max_ttl || o->max_ttl > TRACE_MAX_TTL || o->probes < 1 ||
	    o->probes > TRACE_MAX_PROBES || !(o->wait > 0) ||
	    (o->dst.ss_family != AF_INET && o->dst.ss_family != AF_INET6)) {
		str_format(err, errlen, "bad trace options");
		return -EINVAL;
	}
	trace *t = mem_calloc(1, sizeof *t);
	t->o = *o;
	t->family = o->dst.ss_family;
	t->icmp_fd = t->tcp_fd = t->udp_fd = -1;
	for (size_t i = 0; i < TRACE_MAX_FLOWS; i++)
		t->flows[i].hold_fd = -1;
	t->n_probes = (size_t)(o->max_ttl - o->first_ttl + 1) * o->probes;
	int rc = find_source(t, err, errlen);
	if (rc < 0)
		goto out;
	bool v6 = t->family == AF_INET6;
	rc = t->icmp_fd = raw_socket(t, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, err, errlen);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < o->n_flows; i++) {
		if (o->flows[i].proto == TRACE_TCP && t->tcp_fd < 0) {
			rc = t->tcp_fd = raw_socket(t, IPPROTO_TCP, err, errlen);
			if (rc < 0)
				goto out;
		}
		if (o->flows[i].proto == TRACE_UDP && t->udp_fd < 0) {
			rc = t->udp_fd = raw_socket(t, IPPROTO_UDP, err, errlen);
			if (rc < 0)
				goto out;
			/* Send only: receive nothing. */
			struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
			struct sock_fprog prog = { 1, &drop };
			if (setsockopt(t->udp_fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
				       sizeof prog) != 0) {
				rc = -errno;
				str_format(err, errlen, "cannot filter the UDP socket: %s",
					   strerror(-rc));
				goto out;
			}
		}
	}
	for (size_t i = 0; i < o->n_flows; i++) {
		struct flow_state *fs = &t->flows[i];
		struct trace_flow_key *k = &fs->f.key;
		fs->f.spec = o->flows[i];
		k->family = v6 ? 6 : 4;
		memcpy(k->src, sa_addr(&t->src), v6 ? 16 : 4);
		memcpy(k->dst, sa_addr(&o->dst), v6 ? 16 : 4);
		switch (o->flows[i].proto) {
		case TRACE_TCP:
		case TRACE_UDP:
			k->proto = o->flows[i].proto == TRACE_TCP ? IPP_TCP : IPP_UDP;
			k->dport = o->flows[i].port;
			rc = fs->hold_fd = hold_port(
				t, o->flows[i].proto == TRACE_TCP ? SOCK_STREAM : SOCK_DGRAM,
				&k->sport, err, errlen);
			if (rc < 0)
				goto out;
			if (is_ntp(k)) {
				struct sockaddr_storage d = o->dst;
				sa_set_port(&d, TRACE_NTP_PORT);
				if (connect(fs->hold_fd, (struct sockaddr *)&d,
					    sa_len(t->family)) != 0) {
					rc = -errno;
					str_format(err, errlen,
						   "cannot connect a UDP socket to port %u of the "
						   "destination: %s",
						   TRACE_NTP_PORT, strerror(-rc));
					goto out;
				}
				k->ntp_cookie = (uint32_t)entropy_u64();
				if (k->ntp_cookie == 0)
					k->ntp_cookie = 1;
			}
			break;
		case TRACE_ICMP:
			k->proto = v6 ? IPP_ICMPV6 : IPP_ICMP;
			k->icmp_id = (uint16_t)entropy_u64();
			break;
		}
		fs->base = (uint32_t)entropy_u64();
		fs->sent = mem_calloc(t->n_probes, sizeof *fs->sent);
		fs->f.hops = mem_calloc(o->max_ttl, sizeof *fs->f.hops);
		for (unsigned ttl = 1; ttl <= o->max_ttl; ttl++)
			fs->f.hops[ttl - 1].ttl = ttl;
		t->n_flows++;
	}
	rc = 0;
	*out = t;
	t = NULL;
out:
	trace_close(t);
	return rc;
}

void trace_close(trace *t)
{
	if (!t)
		return;
	if (t->icmp_fd >= 0)
		close(t->icmp_fd);
	if (t->tcp_fd >= 0)
		close(t->tcp_fd);
	if (t->udp_fd >= 0)
		close(t->udp_fd);
	for (size_t i = 0; i < TRACE_MAX_FLOWS; i++) {
		if (t->flows[i].hold_fd >= 0)
			close(t->flows[i].hold_fd);
		free(t->flows[i].sent);
		free(t->flows[i].f.hops);
	}
	free(t);
}

size_t trace_n_flows(const trace *t)
{
	return t->n_flows;
}

const struct trace_flow *trace_flow_get(const trace *t, size_t i)
{
	return i < t->n_flows ? &t->flows[i].f : NULL;
}

const struct sockaddr_storage *trace_source(const trace *t)
{
	return &t->src;
}

/* --- probing ------------------------------------------------------------- */

static uint32_t tag_of(const struct flow_state *fs, size_t n)
{
	uint32_t v = fs->base + (uint32_t)n;
	switch (fs->f.spec.proto) {
	case TRACE_UDP: return 1 + (fs->base % 0xfffe + (uint32_t)n) % 0xfffe;
	case TRACE_ICMP: return v & 0xffff;
	case TRACE_TCP:
	default: return v;
	}
}

/* The probe number of a tag, or SIZE_MAX if none could have it. */
static size_t number_of(const struct flow_state *fs, uint32_t tag, size_t n_probes)
{
	uint32_t n;
	switch (fs->f.spec.proto) {
	case TRACE_UDP:
		if (tag < 1 || tag > 0xfffe)
			return SIZE_MAX;
		n = (tag - 1 + 0xfffe - fs->base % 0xfffe) % 0xfffe;
		break;
	case TRACE_ICMP: n = (tag - fs->base) & 0xffff; break;
	case TRACE_TCP:
	default: n = tag - fs->base; break;
	}
	return n < n_probes ? n : SIZE_MAX;
}

static int send_probe(trace *t, struct flow_state *fs, unsigned ttl, size_t n, char *err,
		      size_t errlen)
{
	struct icmp_flow f;
	const struct trace_flow_key *k = &fs->f.key;
	key_flow(k, &f);
	uint32_t tag = tag_of(fs, n);
	uint8_t pkt[64];
	size_t len;
	int fd;
	switch (fs->f.spec.proto) {
	case TRACE_TCP:
		len = icmp_build_tcp_syn(&f, tag, pkt, sizeof pkt);
		fd = t->tcp_fd;
		break;
	case TRACE_UDP:
		if (is_ntp(k))
			len = icmp_build_ntp(&f, k->ntp_cookie, (uint16_t)tag, pkt, sizeof pkt);
		else
			len = icmp_build_udp(&f, (uint16_t)tag, pkt, sizeof pkt);
		fd = t->udp_fd;
		break;
	case TRACE_ICMP:
	default:
		len = icmp_build_echo(&f, (uint16_t)tag, pkt, sizeof pkt);
		fd = t->icmp_fd;
		break;
	}
	int hops = (int)ttl;
	int rc = t->family == AF_INET6
			 ? setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops)
			 : setsockopt(fd, IPPROTO_IP, IP_TTL, &hops, sizeof hops);
	if (rc != 0 || len == 0) {
		rc = len == 0 ? -EINVAL : -errno;
		str_format(err, errlen, "cannot set the TTL to %u: %s", ttl, strerror(-rc));
		return rc;
	}
	fs->sent[n].tag = tag;
	fs->sent[n].at = clock_mono_sec();
	ssize_t s = sendto(fd, pkt, len, 0, (const struct sockaddr *)&t->o.dst, sa_len(t->family));
	if (s < 0) {
		int e = errno;
		/* A local error for this probe (an unreachable route, a full
		 * queue) is its answer: nothing comes back. */
		if (e == EHOSTUNREACH || e == ENETUNREACH || e == ENOBUFS || e == EAGAIN ||
		    e == EMSGSIZE)
			return 0;
		str_format(err, errlen, "cannot send a probe: %s", strerror(e));
		return -e;
	}
	struct trace_probe *p = &fs->f.hops[ttl - 1].probe[n % t->o.probes];
	p->sent = true;
	return 0;
}

/* Records answer a from address from, at now, to flow fs's probe with tag
 * and returns that probe for the rest to be filled in, its hop in *ttl;
 * NULL if no probe was sent with that tag or it was answered before (a
 * duplicate). */
static struct trace_probe *answer_probe(trace *t, struct flow_state *fs, uint32_t tag,
					enum trace_answer a, const uint8_t from[16], double now,
					unsigned *ttl)
{
	size_t n = number_of(fs, tag, t->n_probes);
	if (n == SIZE_MAX || fs->sent[n].at == 0 || fs->sent[n].tag != tag)
		return NULL;
	*ttl = t->o.first_ttl + (unsigned)(n / t->o.probes);
	struct trace_probe *p = &fs->f.hops[*ttl - 1].probe[n % t->o.probes];
	if (p->answer != TRACE_A_NONE)
		return NULL;
	p->answer = a;
	p->family = t->family == AF_INET6 ? 6 : 4;
	memcpy(p->from, from, 16);
	p->rtt = now - fs->sent[n].at;
	return p;
}

/* Takes one reply; the TTL of the probe it answered if that was not
 * answered before, else 0. */
static unsigned take_reply(trace *t, const uint8_t *pkt, size_t len, bool tcp,
			   const struct sockaddr_storage *from_sa, double now)
{
	bool v6 = t->family == AF_INET6;
	struct icmp_reply r;
	enum icmp_layer first = !v6 ? ICMP_L_IP : tcp ? ICMP_L_TCP : ICMP_L_ICMP6;
	if (icmp_decode(first, pkt, len, &r) != ICMP_OK)
		return 0;
	uint8_t from[16] = { 0 };
	if (v6 || from_sa->ss_family == t->family)
		memcpy(from, sa_addr(from_sa), v6 ? 16 : 4);
	else
		memcpy(from, r.src, 4);
	for (size_t i = 0; i < t->n_flows; i++) {
		struct flow_state *fs = &t->flows[i];
		uint32_t tag;
		enum trace_answer a;
		unsigned ttl;
		if (!trace_match(&fs->f.key, &r, from, &tag, &a))
			continue;
		size_t n = number_of(fs, tag, t->n_probes);
		if (n == SIZE_MAX || fs->sent[n].at == 0 || fs->sent[n].tag != tag)
			continue;
		struct trace_probe *p = answer_probe(t, fs, tag, a, from, now, &ttl);
		if (!p)
			return 0; /* a duplicate */
		p->icmp_type = r.kind == ICMP_K_TCP ? 0 : r.type;
		p->icmp_code = r.kind == ICMP_K_TCP ? 0 : r.code;
		p->n_mpls = r.n_mpls;
		memcpy(p->mpls, r.mpls, r.n_mpls * sizeof r.mpls[0]);
		return ttl;
	}
	return 0;
}

/* Reads what fd has; counts the probes of hop ttl answered. */
static int drain(trace *t, int fd, bool tcp, unsigned ttl, size_t *answered)
{
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		memset(&from, 0, sizeof from);
		ssize_t n = recvfrom(fd, t->buf, sizeof t->buf, 0, (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (take_reply(t, t->buf, (size_t)n, tcp, &from, clock_mono_sec()) == ttl)
			(*answered)++;
	}
}

/* Reads what NTP flow fs's connected socket has: the server's replies;
 * counts the probes of hop ttl answered. */
static void drain_ntp(trace *t, struct flow_state *fs, unsigned ttl, size_t *answered)
{
	const struct trace_flow_key *k = &fs->f.key;
	unsigned errors = 0;
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		memset(&from, 0, sizeof from);
		ssize_t n = recvfrom(fs->hold_fd, t->buf, sizeof t->buf, MSG_DONTWAIT,
				     (struct sockaddr *)&from, &flen);
		double now = clock_mono_sec();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Else nothing more (EAGAIN), or the error an ICMP
			 * message left on the socket (ECONNREFUSED for port
			 * unreachable, EHOSTUNREACH, ...), which this read
			 * cleared: the raw ICMP socket has the message. */
			if (errno == EAGAIN || errno == EWOULDBLOCK || ++errors > 4)
				return;
			continue;
		}
		/* The kernel delivers only what comes from the port it is
		 * connected to; checked again all the same. */
		if (from.ss_family != t->family || sa_port(&from) != TRACE_NTP_PORT ||
		    memcmp(sa_addr(&from), k->dst, alen(k->family)) != 0)
			continue;
		uint32_t tag;
		struct trace_ntp ntp;
		unsigned hop;
		if (!trace_match_ntp(k, t->buf, (size_t)n, &tag, &ntp))
			continue;
		struct trace_probe *p = answer_probe(t, fs, tag, TRACE_A_NTP, k->dst, now, &hop);
		if (!p)
			continue;
		p->ntp = ntp;
		if (hop == ttl)
			(*answered)++;
	}
}

/* Whether flow fs ended at hop ttl, and how: the destination's answer (a
 * probe's, in their order), else a router's unreachable. */
static void flow_end(trace *t, struct flow_state *fs, unsigned ttl)
{
	const struct trace_hop *h = &fs->f.hops[ttl - 1];
	enum trace_answer at_dst = TRACE_A_NONE;
	for (unsigned i = 0; i < t->o.probes; i++) {
		enum trace_answer a = h->probe[i].answer;
		if (a == TRACE_A_ECHO_REPLY || a == TRACE_A_SYN_ACK || a == TRACE_A_RST ||
		    a == TRACE_A_NTP ||
		    ((a == TRACE_A_UNREACH || a == TRACE_A_OTHER) &&
		     memcmp(h->probe[i].from, fs->f.key.dst, 16) == 0)) {
			fs->f.reached = true;
			if (at_dst == TRACE_A_NONE)
				at_dst = a;
		} else if (a == TRACE_A_UNREACH) {
			fs->f.unreachable = true;
		}
	}
	if (fs->f.reached)
		fs->f.end = at_dst;
	else if (fs->f.unreachable)
		fs->f.end = TRACE_A_UNREACH;
}

int trace_run(trace *t, trace_hop_fn on_hop, void *arg, char *err, size_t errlen)
{
	for (unsigned ttl = t->o.first_ttl; ttl <= t->o.max_ttl; ttl++) {
		size_t want = 0, got = 0;
		size_t n0 = (size_t)(ttl - t->o.first_ttl) * t->o.probes;
		for (unsigned i = 0; i < t->o.probes; i++) {
			for (size_t k = 0; k < t->n_flows; k++) {
				struct flow_state *fs = &t->flows[k];
				if (fs->f.reached || fs->f.unreachable)
					continue;
				fs->f.last_ttl = ttl;
				int rc = send_probe(t, fs, ttl, n0 + i, err, errlen);
				if (rc < 0)
					return rc;
				want++;
			}
		}
		if (want == 0)
			break;
		double deadline = clock_mono_sec() + t->o.wait;
		while (got < want) {
			double left = deadline - clock_mono_sec();
			if (left <= 0)
				break;
			/* The ICMP socket, the TCP one, each NTP flow's
			 * (negative descriptors are skipped by poll). */
			struct pollfd pfd[2 + TRACE_MAX_FLOWS];
			pfd[0] = (struct pollfd){ t->icmp_fd, POLLIN, 0 };
			pfd[1] = (struct pollfd){ t->tcp_fd, POLLIN, 0 };
			for (size_t k = 0; k < t->n_flows; k++) {
				const struct flow_state *fs = &t->flows[k];
				pfd[2 + k].fd = is_ntp(&fs->f.key) ? fs->hold_fd : -1;
				pfd[2 + k].events = POLLIN;
				pfd[2 + k].revents = 0;
			}
			int rc = poll(pfd, 2 + t->n_flows, (int)(left * 1000) + 1);
			if (rc < 0 && errno != EINTR) {
				rc = -errno;
				str_format(err, errlen, "poll: %s", strerror(-rc));
				return rc;
			}
			if (rc <= 0)
				continue;
			for (size_t k = 0; k < t->n_flows; k++)
				if (pfd[2 + k].fd >= 0 && (pfd[2 + k].revents & (POLLIN | POLLERR)))
					drain_ntp(t, &t->flows[k], ttl, &got);
			for (int i = 0; i < 2; i++) {
				if (pfd[i].fd < 0 || !(pfd[i].revents & POLLIN))
					continue;
				rc = drain(t, pfd[i].fd, i == 1, ttl, &got);
				if (rc < 0) {
					str_format(err, errlen, "cannot receive: %s",
						   strerror(-rc));
					return rc;
				}
			}
		}
		for (size_t k = 0; k < t->n_flows; k++)
			if (t->flows[k].f.last_ttl == ttl)
				flow_end(t, &t->flows[k], ttl);
		if (on_hop)
			on_hop(arg, t, ttl);
	}
	return 0;
}
