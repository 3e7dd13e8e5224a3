/* probe.c - the probers of `sundial outage`; see probe.h.
 *
 * The probes in flight live in a ring indexed by sequence number (the caller
 * numbers them 0, 1, 2, ... and expires them after its timeout, so the ring
 * only needs room for max_in_flight).  UDP and ICMP probes share one socket
 * and are matched by what the reply echoes (the transmit timestamp, the DNS
 * ID, the ICMP sequence number and token); each TCP probe has its own socket,
 * registered in the epoll set under its sequence number.
 *
 * The UDP socket, the TCP sockets and the ping socket have IP_RECVERR
 * (IPV6_RECVERR): every ICMP error for them is queued on their error queue
 * with its type, code and sender (and, for UDP and ICMP, the request as far
 * as the error quoted it), the descriptor reports EPOLLERR, and the next
 * recv() or send() fails once with the error's errno.  The shared socket's
 * error queue is read with the replies (and before a send() is tried
 * again), a TCP socket's when its connect() fails.
 *
 * The raw ICMP socket is not connected: a connected raw socket takes only
 * what its peer sends (raw(7)), and an ICMP error from a router on the path
 * would not come through.  Unconnected, it gets every ICMP message to the
 * host, errors included, as they came: those about our echo requests
 * (wire/icmp decodes them: the identifier and sequence number quoted) end
 * their probes as the error queue's errors do, said in the same words.
 */
#include "net/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h> /* ICMP_FILTER */
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/entropy.h"
#include "common/mem.h"
#include "common/rd.h"
#include "net/addr.h"
#include "net/sock.h"
#include "wire/icmp.h"
#include "wire/ntp.h"

#define UDP_KEY UINT64_MAX /* the epoll key of the shared socket */
#define RECV_BUF 2048
#define DNS_TYPE_SOA 6
#define DNS_CLASS_IN 1

struct slot {
	uint64_t seq;
	double sent;		   /* monotonic */
	struct timespec sent_real; /* the wall clock at the same moment */
	uint64_t xmt;		   /* NTP: the random transmit timestamp */
	uint16_t id;		   /* DNS: the query ID */
	int fd;			   /* TCP: the connecting socket, else -1 */
	bool busy;
};

struct probe {
	struct probe_opts o;
	char dns_name[256];
	char desc[320];
	int ep;	      /* epoll set: the shared socket, or the TCP sockets */
	int fd;	      /* the shared UDP or ICMP socket; -1 for TCP */
	bool raw;     /* ICMP over a raw socket (else a ping socket) */
	bool recverr; /* ICMP errors are read from the error queue (all but a raw socket) */
	bool v6;
	uint16_t icmp_id; /* raw socket: the identifier sent and expected */
	uint64_t token;	  /* ICMP: random, in every request's data */
	uint8_t query[PROBE_DNS_MAX_QUERY];
	size_t qlen;
	struct slot *ring;
	size_t cap;		  /* a power of two */
	struct probe_done *ready; /* finished at send time (TCP connected at once) */
	size_t n_ready, ready_cap;
	struct probe_counters c;
};

/* --- DNS (RFC 1035 section 4.1) ---
 *
 *  0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * |                      ID                       |
 * |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
 * |                    QDCOUNT                    |
 * |                    ANCOUNT                    |
 * |                    NSCOUNT                    |
 * |                    ARCOUNT                    |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 * | QNAME: labels (length octet, 1..63 octets), 0 |
 * |                     QTYPE                     |
 * |                     QCLASS                    |
 * +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 */

size_t probe_dns_query(uint16_t id, const char *name, uint8_t *buf, size_t len)
{
	struct wr w = wr_make(buf, len);
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--; /* "example.net." = "example.net"; "." = "" = the root */
	wr_be16(&w, id);
	wr_be16(&w, 0x0100); /* standard query, RD */
	wr_be16(&w, 1);
	wr_be16(&w, 0);
	wr_be16(&w, 0);
	wr_be16(&w, 0);
	size_t qname = 1; /* the final zero octet */
	for (size_t i = 0; i < n;) {
		const char *dot = memchr(name + i, '.', n - i);
		size_t l = dot ? (size_t)(dot - (name + i)) : n - i;
		if (l == 0 || l > 63)
			return 0;
		qname += 1 + l;
		if (qname > 255)
			return 0;
		wr_u8(&w, (uint8_t)l);
		wr_bytes(&w, name + i, l);
		i += l + (dot ? 1 : 0);
		if (dot && i == n)
			return 0; /* "a..": an empty label before the final dot */
	}
	wr_u8(&w, 0);
	wr_be16(&w, DNS_TYPE_SOA);
	wr_be16(&w, DNS_CLASS_IN);
	return w.bad ? 0 : len - w.left;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* The question of r equals the question of q (a well-formed query): the
 * same labels (without case), type and class. */
static bool same_question(struct rd *r, struct rd *q)
{
	for (;;) {
		uint8_t lq = rd_u8(q), lr = rd_u8(r);
		if (r->bad)
			return true; /* truncated: the caller says so */
		if (lr != lq)
			return false;
		if (lq == 0)
			break;
		const uint8_t *a = rd_ptr(q, lq), *b = rd_ptr(r, lr);
		if (!b)
			return true;
		for (size_t i = 0; a && i < lq; i++)
			if (lower(a[i]) != lower(b[i]))
				return false;
	}
	uint32_t tq = rd_be32(q), tr = rd_be32(r);
	return r->bad || tq == tr;
}

enum probe_dns_status probe_dns_check(const uint8_t *buf, size_t len, const uint8_t *query,
				      size_t qlen, struct probe_dns_reply *out)
{
	struct rd r = rd_make(buf, len);
	struct rd q = rd_make(query, qlen);
	memset(out, 0, sizeof *out);
	uint16_t id = rd_be16(&r), flags = rd_be16(&r), qdcount = rd_be16(&r);
	out->ancount = rd_be16(&r);
	rd_skip(&r, 4); /* NSCOUNT, ARCOUNT */
	if (r.bad)
		return PROBE_DNS_TRUNCATED;
	uint16_t qid = rd_be16(&q), qflags = rd_be16(&q);
	rd_skip(&q, 8);
	out->id = id;
	out->rcode = (uint8_t)(flags & 0x0f);
	out->aa = flags & 0x0400;
	out->tc = flags & 0x0200;
	out->ra = flags & 0x0080;
	if (id != qid)
		return PROBE_DNS_ID;
	if (!(flags & 0x8000))
		return PROBE_DNS_NOT_REPLY;
	if (((flags >> 11) & 0x0f) != ((qflags >> 11) & 0x0f))
		return PROBE_DNS_OPCODE;
	if (qdcount != 1)
		return PROBE_DNS_QUESTION;
	if (!same_question(&r, &q))
		return PROBE_DNS_QUESTION;
	if (r.bad)
		return PROBE_DNS_TRUNCATED;
	return PROBE_DNS_OK;
}

const char *probe_dns_strerror(enum probe_dns_status st)
{
	switch (st) {
	case PROBE_DNS_OK: return "ok";
	case PROBE_DNS_TRUNCATED: return "truncated";
	case PROBE_DNS_ID: return "another ID than the query's";
	case PROBE_DNS_NOT_REPLY: return "QR not set: not a reply";
	case PROBE_DNS_OPCODE: return "another opcode than the query's";
	case PROBE_DNS_QUESTION: return "not the question asked";
	}
	return "unknown status";
}

const char *probe_dns_rcode_name(unsigned rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP",	"REFUSED", "YXDOMAIN", "YXRRSET",
					     "NXRRSET", "NOTAUTH", "NOTZONE" };
	return rcode < sizeof names / sizeof names[0] ? names[rcode] : "unknown RCODE";
}

/* --- errors from the error queue (ip(7) IP_RECVERR) ---
 *
 * struct sock_extended_err: ee_origin says who made it (SO_EE_ORIGIN_ICMP,
 * _ICMP6: an ICMP error that came in; _LOCAL: the local stack), ee_type and
 * ee_code are the ICMP message's, ee_info its MTU for "fragmentation needed"
 * and "packet too big", ee_errno the errno the socket reports.
 */

/* ICMP destination unreachable (type 3) codes: RFC 792, RFC 1122 section
 * 3.2.2.1, RFC 1812 section 5.2.7.1. */
static const char *const icmp_unreach[] = {
	"network unreachable",
	"host unreachable",
	"protocol unreachable",
	"port unreachable",
	"fragmentation needed",
	"source route failed",
	"destination network unknown",
	"destination host unknown",
	"source host isolated",
	"network administratively prohibited",
	"host administratively prohibited",
	"network unreachable for TOS",
	"host unreachable for TOS",
	"administratively prohibited",
	"host precedence violation",
	"precedence cutoff in effect",
};

/* ICMPv6 destination unreachable (type 1) codes: RFC 4443 section 3.1,
 * RFC 6554 (7), RFC 8883 (8). */
static const char *const icmp6_unreach[] = {
	"no route to destination",
	"administratively prohibited",
	"beyond scope of source address",
	"address unreachable",
	"port unreachable",
	"source address failed ingress/egress policy",
	"reject route to destination",
	"error in source routing header",
	"headers too long",
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The name of an ICMP error, or NULL; *mtu if ee_info is an MTU. */
static const char *icmp_name(bool v6, uint8_t type, uint8_t code, bool *mtu)
{
	*mtu = false;
	if (!v6) {
		switch (type) {
		case 3:
			*mtu = code == 4;
			return code < N_OF(icmp_unreach) ? icmp_unreach[code] : NULL;
		case 4: return "source quench";
		case 11:
			return code == 0   ? "TTL exceeded in transit"
			       : code == 1 ? "fragment reassembly time exceeded"
					   : NULL;
		case 12: return "parameter problem";
		}
		return NULL;
	}
	switch (type) {
	case 1: return code < N_OF(icmp6_unreach) ? icmp6_unreach[code] : NULL;
	case 2: *mtu = true; return "packet too big";
	case 3:
		return code == 0   ? "hop limit exceeded in transit"
		       : code == 1 ? "fragment reassembly time exceeded"
				   : NULL;
	case 4: return "parameter problem";
	}
	return NULL;
}

void probe_icmp_reason(bool v6, uint8_t type, uint8_t code, uint32_t info,
		       const struct sockaddr *sender, char *buf, size_t len)
{
	if (len == 0)
		return;
	bool mtu;
	const char *name = icmp_name(v6, type, code, &mtu);
	char what[64], from[INET6_ADDRSTRLEN + 8] = "";
	if (name && mtu)
		str_format(what, sizeof what, "%s (MTU %u)", name, (unsigned)info);
	else if (name)
		str_copy(what, name, sizeof what);
	else
		str_format(what, sizeof what, "%s type %u code %u", v6 ? "ICMPv6" : "ICMP",
			   (unsigned)type, (unsigned)code);
	char a[INET6_ADDRSTRLEN] = "";
	if (sender && sender->sa_family == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, sender, sizeof sin);
		if (inet_ntop(AF_INET, &sin.sin_addr, a, sizeof a))
			str_format(from, sizeof from, " from %s", a);
	} else if (sender && sender->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, sender, sizeof sin6);
		if (inet_ntop(AF_INET6, &sin6.sin6_addr, a, sizeof a))
			str_format(from, sizeof from, " from %s", a);
	}
	str_format(buf, len, "%s%s", what, from);
}

bool probe_err_reason(const struct sock_extended_err *ee, const struct sockaddr *offender,
		      char *buf, size_t len)
{
	if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6) {
		str_format(buf, len, "local error: %s",
			   ee->ee_errno ? strerror((int)ee->ee_errno) : "unknown");
		return false;
	}
	probe_icmp_reason(ee->ee_origin == SO_EE_ORIGIN_ICMP6, ee->ee_type, ee->ee_code,
			  ee->ee_info, offender, buf, len);
	/* A ping socket's queue also gets source quench (4) and redirect (5),
	 * with a made-up errno (EREMOTEIO): neither says the probe failed. */
	return !(ee->ee_origin == SO_EE_ORIGIN_ICMP && (ee->ee_type == 4 || ee->ee_type == 5));
}

/* --- ICMP echo (RFC 792; RFC 4443 section 4) ---
 *
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Type      |     Code      |          Checksum             |
 * |           Identifier          |        Sequence Number        |
 * |                 Data: token (64 bits, random)                 |
 * |                 Data: sequence number (64 bits)               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Type 8/0 (request/reply) for IPv4, 128/129 for IPv6.  A ping socket
 * replaces the identifier with its own and fills the checksum; a raw IPv4
 * socket hands replies over with their IP header, and a raw ICMPv6 socket's
 * checksum is always the kernel's.
 *
 * An ICMP error about a request quotes it: on the ping socket's error queue
 * from its ICMP header on (RFC 792 asks for its first 8 octets, the header;
 * Linux and RFC 1812 routers quote it all), on a raw socket inside the whole
 * error message with the quoted IP header before it.
 */
#define ICMP_ECHO_LEN 24
#define ICMP_ECHO_REQUEST(v6) ((v6) ? 128 : 8)
#define ICMP_ECHO_REPLY(v6) ((v6) ? 129 : 0)

static size_t icmp_echo_encode(const probe *p, uint64_t seq, uint8_t *buf, size_t len)
{
	struct wr w = wr_make(buf, len);
	wr_u8(&w, p->v6 ? 128 : 8);
	wr_u8(&w, 0);
	wr_be16(&w, 0);
	wr_be16(&w, p->icmp_id);
	wr_be16(&w, (uint16_t)seq);
	wr_be64(&w, p->token);
	wr_be64(&w, seq);
	if (w.bad)
		return 0;
	uint16_t c = icmp_checksum(buf, ICMP_ECHO_LEN);
	buf[2] = (uint8_t)(c >> 8);
	buf[3] = (uint8_t)c;
	return ICMP_ECHO_LEN;
}

/* Where the ICMP message in the len octets of buf starts: *off.  A raw IPv4
 * socket delivers it after its IP header, whose protocol must be ICMP, and
 * with a checksum nobody checked (the raw socket gets it before ICMP does);
 * false if either is wrong.  Anything else starts with the message. */
static bool icmp_start(bool raw, bool v6, const uint8_t *buf, size_t len, size_t *off)
{
	*off = 0;
	if (!raw || v6)
		return true;
	struct rd r = rd_make(buf, len);
	uint8_t vihl = rd_u8(&r);
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	if ((vihl >> 4) != 4 || ihl < 20)
		return false;
	rd_skip(&r, 8);
	uint8_t proto = rd_u8(&r);
	rd_skip(&r, ihl - 10);
	if (r.bad || proto != IPPROTO_ICMP || icmp_checksum(r.p, r.left) != 0)
		return false;
	*off = ihl;
	return true;
}

/* The identifier, sequence number and data of an echo request or reply, r
 * after its type, code and checksum: *seq16, and with the data *number
 * (*have_number; an ICMP error may quote the header alone).  False if it is
 * not one of ours, or cut inside its header (r->bad): on a raw socket
 * another identifier (a ping socket's is its own, and the kernel hands it
 * only its own); data with another token, or a probe number that does not
 * end in the sequence number. */
static bool echo_ours(const probe *p, struct rd *r, uint16_t *seq16, uint64_t *number,
		      bool *have_number)
{
	uint16_t id = rd_be16(r);
	*seq16 = rd_be16(r);
	if (r->bad || (p->raw && id != p->icmp_id))
		return false;
	struct rd data = *r;
	uint64_t token = rd_be64(&data);
	*number = rd_be64(&data);
	*have_number = !data.bad;
	return data.bad || (token == p->token && (uint16_t)*number == *seq16);
}

/* The address of sa (of family v6 ? AF_INET6 : AF_INET) into a, as
 * wire/icmp keeps addresses (IPv4 in the first 4 octets); false for another
 * family. */
static bool ip_octets(bool v6, const struct sockaddr *sa, uint8_t a[16])
{
	memset(a, 0, 16);
	if (!sa)
		return false;
	if (!v6 && sa->sa_family == AF_INET) {
		struct sockaddr_in sin;
		memcpy(&sin, sa, sizeof sin);
		memcpy(a, &sin.sin_addr, 4);
		return true;
	}
	if (v6 && sa->sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;
		memcpy(&sin6, sa, sizeof sin6);
		memcpy(a, &sin6.sin6_addr, 16);
		return true;
	}
	return false;
}

/* The probe number an echo reply of ours carries: true and *number, or
 * false if it is something else (another ICMP message, another prober's;
 * on a raw socket one that from, its sender, says is not from the target). */
static bool icmp_echo_reply(const probe *p, const uint8_t *buf, size_t len,
			    const struct sockaddr_storage *from, uint64_t *number)
{
	size_t off;
	if (!icmp_start(p->raw, p->v6, buf, len, &off))
		return false;
	struct rd r = rd_make(buf + off, len - off);
	uint8_t type = rd_u8(&r), code = rd_u8(&r);
	rd_skip(&r, 2);
	uint16_t seq16;
	bool have_number;
	if (!echo_ours(p, &r, &seq16, number, &have_number) || !have_number ||
	    type != ICMP_ECHO_REPLY(p->v6) || code != 0)
		return false;
	/* What the connected socket did, for the unconnected raw one. */
	if (p->raw && from && from->ss_family != AF_UNSPEC) {
		uint8_t got[16], want[16];
		if (!ip_octets(p->v6, (const struct sockaddr *)from, got) ||
		    !ip_octets(p->v6, (const struct sockaddr *)&p->o.addr, want) ||
		    memcmp(got, want, sizeof got) != 0)
			return false;
	}
	return true;
}

bool probe_echo_error(const uint8_t *pkt, size_t len, bool v6, uint16_t id,
		      const struct sockaddr *target, struct probe_echo_err *out)
{
	memset(out, 0, sizeof *out);
	uint8_t dst[16];
	size_t off;
	if (!ip_octets(v6, target, dst) || !icmp_start(true, v6, pkt, len, &off))
		return false;
	struct icmp_reply m;
	if (icmp_decode(v6 ? ICMP_L_ICMP6 : ICMP_L_IP, pkt, len, &m) != ICMP_OK)
		return false;
	switch (m.kind) {
	case ICMP_K_UNREACH:
	case ICMP_K_TIME_EXCEEDED:
	case ICMP_K_PARAM_PROBLEM:
	case ICMP_K_TOO_BIG: break;
	default: return false;
	}
	const struct icmp_quote *q = &m.quote;
	if (!m.quoted || !q->transport || q->ip_version != (v6 ? 6 : 4) ||
	    q->proto != (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) ||
	    q->icmp_type != ICMP_ECHO_REQUEST(v6) || q->icmp_id != id ||
	    memcmp(q->dst, dst, v6 ? 16 : 4) != 0)
		return false;
	out->type = m.type;
	out->code = m.code;
	/* The MTU as the error queue gives it (ee_info): ICMP's next-hop MTU
	 * is the last two of the four octets (RFC 1191), ICMPv6's all four. */
	if (!v6 && m.type == 3 && m.code == 4)
		out->info = m.info & 0xffff;
	else if (v6 && m.type == 2)
		out->info = m.info;
	out->seq = q->icmp_seq;
	return true;
}

/* --- the ring of probes in flight --- */

static struct slot *slot_of(probe *p, uint64_t seq)
{
	struct slot *s = &p->ring[seq & (p->cap - 1)];
	return s->busy && s->seq == seq ? s : NULL;
}

/* The probe in flight an echo request of ours is (echo_ours() said so):
 * by its probe number when its data is there (have_number), else by its
 * sequence number alone (an ICMP error that quotes only its header).  The
 * ring has at most 65536 slots, a power of two: a probe's slot is that of
 * the last 16 bits of its number, its sequence number. */
static struct slot *echo_slot(probe *p, uint16_t seq16, uint64_t number, bool have_number)
{
	if (have_number)
		return slot_of(p, number);
	struct slot *s = &p->ring[seq16 & (p->cap - 1)];
	return s->busy && (uint16_t)s->seq == seq16 ? s : NULL;
}

/* s, if it was sent before an error received at rx (on the wall clock; not
 * known without have_rx); else NULL: it cannot be the error's probe. */
static struct slot *sent_before(struct slot *s, const struct timespec *rx, bool have_rx)
{
	if (s && have_rx && clock_ts_diff(rx, &s->sent_real) < 0)
		return NULL;
	return s;
}

static void slot_free(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->busy = false;
}

static void fill_done(struct probe_done *d, const struct slot *s, uint8_t result, double at)
{
	memset(d, 0, sizeof *d);
	d->seq = s->seq;
	d->result = result;
	d->at = at;
	d->rtt = at - s->sent;
}

/* The monotonic time of a reply the kernel stamped rx on the wall clock:
 * its offset from the send, both on the wall clock, added to the monotonic
 * send time; now if the wall clock stepped in between. */
static double reply_time(const struct slot *s, const struct timespec *rx, bool have_rx, double now)
{
	if (!have_rx)
		return now;
	double rtt = clock_ts_diff(rx, &s->sent_real);
	if (rtt < 0 || s->sent + rtt > now)
		return now;
	return s->sent + rtt;
}

/* --- opening --- */

static int add_fd(probe *p, int fd, uint64_t key, uint32_t events)
{
	struct epoll_event ev;
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.u64 = key;
	return epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : -errno;
}

/* An unconnected raw socket gets every ICMP message to the host: let the
 * kernel drop all but echo replies and the errors a probe can get
 * (ICMP_FILTER, raw(7); ICMP6_FILTER, RFC 3542 section 3.2).  Without the
 * filter only the wake-ups cost more, so its failure is no error. */
static void raw_filter(int fd, bool v6)
{
	if (v6) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
		(void)setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof f);
	} else {
		/* A set bit drops that type: keep echo reply (0), unreachable
		 * (3), time exceeded (11), parameter problem (12). */
		struct icmp_filter f = { ~((1u << 0) | (1u << 3) | (1u << 11) | (1u << 12)) };
		(void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof f);
	}
}

static int open_icmp(probe *p, char *err, size_t errlen)
{
	int family = p->o.addr.ss_family;
	int proto = p->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd >= 0)
		return fd;
	int e1 = errno;
	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd >= 0) {
		p->raw = true;
		raw_filter(fd, p->v6);
		return fd;
	}
	int e2 = errno;
	if ((e1 == EACCES || e1 == EPERM) && (e2 == EACCES || e2 == EPERM)) {
		str_format(err, errlen,
			   "ICMP echo is not allowed: no ping socket (your group is outside "
			   "sysctl net.ipv4.ping_group_range) and no raw socket (needs "
			   "CAP_NET_RAW, e.g. root)");
		return -EPERM;
	}
	str_format(err, errlen, "cannot open an ICMP socket: %s (ping socket: %s)", strerror(e2),
		   strerror(e1));
	return -e2;
}

static int open_socket(probe *p, char *err, size_t errlen)
{
	int fd;
	if (p->o.kind == PROBE_ICMP) {
		fd = open_icmp(p, err, errlen);
		if (fd < 0)
			return fd;
	} else {
		fd = socket(p->o.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			int e = errno;
			str_format(err, errlen, "cannot open a UDP socket: %s", strerror(e));
			return -e;
		}
	}
	int one = 1;
	/* Kernel receive timestamps; without them a reply is timed when read. */
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
	/* ICMP errors with their details; without it (not on Linux) only
	 * some of them are reported, as a bare errno, and the probes time
	 * out.  A raw socket reads them as ICMP messages, and stays
	 * unconnected so that it gets those from routers too: its requests
	 * go out with sendto(). */
	if (p->raw)
		return fd;
	p->recverr = sock_recverr_on(fd, p->o.addr.ss_family) == 0;
	if (connect(fd, (const struct sockaddr *)&p->o.addr,
		    addr_len((const struct sockaddr *)&p->o.addr)) != 0) {
		int e = errno;
		char a[64];
		str_format(err, errlen, "cannot send to %s: %s",
			   addr_format((const struct sockaddr *)&p->o.addr, a, sizeof a),
			   strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int probe_open(const struct probe_opts *o, probe **out, char *err, size_t errlen)
{
	*out = NULL;
	if (o->max_in_flight == 0 || o->max_in_flight > 32768 ||
	    (o->addr.ss_family != AF_INET && o->addr.ss_family != AF_INET6)) {
		str_format(err, errlen, "invalid prober options");
		return -EINVAL;
	}
	probe *p = mem_calloc(1, sizeof *p);
	p->o = *o;
	p->o.dns_name = NULL;
	p->fd = -1;
	p->ep = -1;
	p->v6 = o->addr.ss_family == AF_INET6;
	p->token = entropy_u64();
	p->icmp_id = (uint16_t)entropy_u64();
	p->recverr = o->kind == PROBE_TCP; /* per socket; UDP, ICMP: open_socket() */
	int rc = 0;
	if (o->kind == PROBE_DNS) {
		str_copy(p->dns_name, o->dns_name ? o->dns_name : ".", sizeof p->dns_name);
		p->qlen = probe_dns_query(0, p->dns_name, p->query, sizeof p->query);
		if (p->qlen == 0 || strlen(o->dns_name ? o->dns_name : ".") >= sizeof p->dns_name) {
			str_format(err, errlen,
				   "'%s' is not a domain name (labels of 1 to 63 octets, "
				   "255 in all)",
				   o->dns_name ? o->dns_name : ".");
			rc = -EINVAL;
			goto out;
		}
	}
	p->cap = 16;
	while (p->cap < o->max_in_flight + 1)
		p->cap *= 2;
	p->ring = mem_calloc(p->cap, sizeof *p->ring);
	for (size_t i = 0; i < p->cap; i++)
		p->ring[i].fd = -1;
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	if (p->ep < 0) {
		rc = -errno;
		str_format(err, errlen, "epoll_create1: %s", strerror(-rc));
		goto out;
	}
	if (o->kind != PROBE_TCP) {
		p->fd = open_socket(p, err, errlen);
		if (p->fd < 0) {
			rc = p->fd;
			goto out;
		}
		rc = add_fd(p, p->fd, UDP_KEY, EPOLLIN);
		if (rc < 0) {
			str_format(err, errlen, "epoll_ctl: %s", strerror(-rc));
			goto out;
		}
	}
	switch (o->kind) {
	case PROBE_NTP: str_copy(p->desc, "NTP", sizeof p->desc); break;
	case PROBE_DNS: str_format(p->desc, sizeof p->desc, "DNS SOA '%s'", p->dns_name); break;
	case PROBE_TCP: str_copy(p->desc, "TCP connect", sizeof p->desc); break;
	case PROBE_ICMP:
		str_copy(p->desc, p->raw ? "ICMP echo (raw socket)" : "ICMP echo (ping socket)",
			 sizeof p->desc);
		break;
	}
out:
	if (rc < 0) {
		probe_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

void probe_close(probe *p)
{
	if (!p)
		return;
	if (p->ring)
		for (size_t i = 0; i < p->cap; i++)
			slot_free(&p->ring[i]);
	if (p->fd >= 0)
		close(p->fd);
	if (p->ep >= 0)
		close(p->ep);
	free(p->ring);
	free(p->ready);
	free(p);
}

const char *probe_describe(const probe *p)
{
	return p->desc;
}

int probe_fd(const probe *p)
{
	return p->ep;
}

const struct probe_counters *probe_counters(const probe *p)
{
	return &p->c;
}

/* --- sending --- */

static bool dns_id_in_flight(const probe *p, uint16_t id)
{
	for (size_t i = 0; i < p->cap; i++)
		if (p->ring[i].busy && p->ring[i].id == id)
			return true;
	return false;
}

static void push_ready(probe *p, const struct probe_done *d)
{
	if (p->n_ready == p->ready_cap) {
		p->ready_cap = p->ready_cap ? p->ready_cap * 2 : 8;
		p->ready = mem_realloc(p->ready, p->ready_cap * sizeof *p->ready);
	}
	p->ready[p->n_ready++] = *d;
}

static int read_error(probe *p, struct probe_done *d);

/* Reads the shared socket's error queue: the probes the errors end are
 * ready.  Returns how many errors there were. */
static size_t drain_errors(probe *p)
{
	size_t n = 0;
	int rc;
	struct probe_done d;
	while ((rc = read_error(p, &d)) >= 0) {
		n++;
		if (rc == 1)
			push_ready(p, &d);
	}
	return n;
}

/* send() on the shared socket.  An ICMP error to an earlier probe makes the
 * next send() fail once with its errno (ECONNREFUSED...): then the errors
 * queued are read (they end their probes) and the send tried once more.
 * Without the error queue only ECONNREFUSED is taken for one (counted). */
static int send_shared(probe *p, const uint8_t *buf, size_t len)
{
	int e = 0;
	for (int tries = 0; tries < 2; tries++) {
		ssize_t n = p->raw ? sendto(p->fd, buf, len, 0, (const struct sockaddr *)&p->o.addr,
					    addr_len((const struct sockaddr *)&p->o.addr))
				   : send(p->fd, buf, len, 0);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0)
			return -EMSGSIZE;
		e = errno;
		if (p->recverr) {
			if (drain_errors(p) == 0)
				return -e; /* the send's own error */
		} else {
			if (e != ECONNREFUSED)
				return -e;
			p->c.icmp_errors++;
			p->c.icmp_unmatched++;
		}
	}
	return -e;
}

/* The send time, on both clocks, read just before the send. */
static void stamp(struct slot *s)
{
	s->sent = clock_mono_sec();
	clock_realtime(&s->sent_real);
}

static bool tcp_failed(probe *p, int fd, int e, struct probe_done *d);

static int send_tcp(probe *p, struct slot *s)
{
	int fd = socket(p->o.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && p->recverr && sock_recverr_on(fd, p->o.addr.ss_family) < 0)
		p->recverr = false; /* reasons from the errno alone */
	stamp(s);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (const struct sockaddr *)&p->o.addr,
			 addr_len((const struct sockaddr *)&p->o.addr));
	int e = rc == 0 ? 0 : errno;
	if (e != EINPROGRESS) {
		/* Done at once: connected, or refused (a RST, an ICMP error)
		 * before connect() returned, said as later; a local error
		 * (no route...) is an error of the send. */
		struct probe_done d;
		fill_done(&d, s, PROBE_R_ANSWER, clock_mono_sec());
		if (e && !tcp_failed(p, fd, e, &d)) {
			close(fd);
			return -e;
		}
		close(fd);
		push_ready(p, &d);
		s->busy = false;
		return 0;
	}
	rc = add_fd(p, fd, s->seq, EPOLLOUT);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	s->fd = fd;
	return 0;
}

int probe_send(probe *p, uint64_t seq, double *sent)
{
	struct slot *s = &p->ring[seq & (p->cap - 1)];
	if (s->busy)
		slot_free(s); /* never expired: older than max_in_flight */
	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->seq = seq;
	uint8_t buf[PROBE_DNS_MAX_QUERY];
	size_t len = 0;
	switch (p->o.kind) {
	case PROBE_NTP: {
		struct ntp_pkt req;
		memset(&req, 0, sizeof req);
		req.version = 4;
		req.mode = NTP_MODE_CLIENT;
		/* Random: only a reply to this request can echo it, and it
		 * tells nobody the local clock (as ntp_client does). */
		s->xmt = entropy_u64();
		req.xmt_ts = s->xmt;
		len = ntp_pkt_encode(&req, buf, sizeof buf);
		break;
	}
	case PROBE_DNS:
		do
			s->id = (uint16_t)entropy_u64();
		while (dns_id_in_flight(p, s->id));
		memcpy(buf, p->query, p->qlen);
		buf[0] = (uint8_t)(s->id >> 8);
		buf[1] = (uint8_t)s->id;
		len = p->qlen;
		break;
	case PROBE_ICMP: len = icmp_echo_encode(p, seq, buf, sizeof buf); break;
	case PROBE_TCP: break;
	}
	s->busy = true;
	int rc;
	if (p->o.kind == PROBE_TCP) {
		rc = send_tcp(p, s);
	} else {
		stamp(s);
		rc = send_shared(p, buf, len);
	}
	*sent = s->sent;
	if (rc < 0)
		slot_free(s);
	return rc;
}

/* --- receiving --- */

/* Matches a reply on the shared socket (from from) to its probe and fills
 * *d: true, or false (counted) if it is no reply of ours.  On a raw ICMP
 * socket an ICMP error about one of our echo requests is a reply too. */
static bool match_reply(probe *p, const uint8_t *buf, size_t len,
			const struct sockaddr_storage *from, const struct timespec *rx,
			bool have_rx, double now, struct probe_done *d)
{
	struct slot *s = NULL;
	uint8_t result = PROBE_R_ANSWER;
	char why[PROBE_WHY_LEN] = "";
	switch (p->o.kind) {
	case PROBE_NTP: {
		struct ntp_pkt pkt;
		if (ntp_pkt_decode(buf, len, &pkt) != NTP_OK || pkt.mode != NTP_MODE_SERVER) {
			p->c.malformed++;
			return false;
		}
		for (size_t i = 0; i < p->cap && !s; i++)
			if (p->ring[i].busy && p->ring[i].xmt == pkt.org_ts)
				s = &p->ring[i];
		if (s && ntp_is_kod(&pkt)) {
			/* The kiss code, printable ASCII only: it is from the
			 * wire and goes to the output. */
			char code[5] = "";
			for (size_t i = 0; i < 4 && pkt.refid[i]; i++)
				code[i] = pkt.refid[i] >= 0x20 && pkt.refid[i] <= 0x7e
						  ? (char)pkt.refid[i]
						  : '.';
			result = PROBE_R_ERROR;
			str_format(why, sizeof why, "kiss-o'-death %s", code);
		}
		break;
	}
	case PROBE_DNS: {
		struct rd r = rd_make(buf, len);
		uint16_t id = rd_be16(&r);
		for (size_t i = 0; i < p->cap && !r.bad && !s; i++)
			if (p->ring[i].busy && p->ring[i].id == id)
				s = &p->ring[i];
		if (!s) {
			p->c.unmatched++;
			return false;
		}
		uint8_t q[PROBE_DNS_MAX_QUERY];
		memcpy(q, p->query, p->qlen);
		q[0] = (uint8_t)(id >> 8);
		q[1] = (uint8_t)id;
		struct probe_dns_reply rep;
		if (probe_dns_check(buf, len, q, p->qlen, &rep) != PROBE_DNS_OK) {
			p->c.malformed++;
			return false;
		}
		if (rep.rcode != 0 && rep.rcode != 3) { /* NOERROR, NXDOMAIN */
			result = PROBE_R_ERROR;
			str_copy(why, probe_dns_rcode_name(rep.rcode), sizeof why);
		}
		break;
	}
	case PROBE_ICMP: {
		uint64_t number;
		if (icmp_echo_reply(p, buf, len, from, &number)) {
			s = slot_of(p, number);
			break;
		}
		struct probe_echo_err e;
		if (!p->raw || !probe_echo_error(buf, len, p->v6, p->icmp_id,
						 (const struct sockaddr *)&p->o.addr, &e))
			return false; /* a raw socket sees every ICMP message */
		p->c.icmp_errors++;
		s = sent_before(echo_slot(p, e.seq, 0, false), rx, have_rx);
		if (!s) {
			p->c.icmp_unmatched++;
			return false;
		}
		result = PROBE_R_ERROR;
		probe_icmp_reason(p->v6, e.type, e.code, e.info, (const struct sockaddr *)from, why,
				  sizeof why);
		break;
	}
	case PROBE_TCP: return false;
	}
	if (!s) {
		p->c.unmatched++;
		return false;
	}
	fill_done(d, s, result, reply_time(s, rx, have_rx, now));
	str_copy(d->why, why, sizeof d->why);
	slot_free(s);
	return true;
}

/* The oldest probe in flight, or NULL. */
static struct slot *oldest(probe *p)
{
	struct slot *o = NULL;
	for (size_t i = 0; i < p->cap; i++)
		if (p->ring[i].busy && (!o || p->ring[i].seq < o->seq))
			o = &p->ring[i];
	return o;
}

/* The probe an ICMP error on the shared socket is about: the one whose key
 * the request it quotes (q, len bytes from after the UDP header, or from the
 * ICMP header on) carries -- the NTP transmit timestamp (octets 40 to 47),
 * the DNS ID (octets 0 and 1), the echo request's sequence number and data
 * (as a reply's) -- or, if it quotes too little for that, the oldest probe
 * in flight.  Only a probe sent before the error came; NULL if there is
 * none. */
static struct slot *error_slot(probe *p, const uint8_t *q, size_t len, const struct sock_err *se)
{
	struct rd r = rd_make(q, len);
	struct slot *s = NULL;
	if (p->o.kind == PROBE_NTP) {
		rd_skip(&r, 40);
		uint64_t xmt = rd_be64(&r);
		for (size_t i = 0; i < p->cap && !r.bad && !s; i++)
			if (p->ring[i].busy && p->ring[i].xmt == xmt)
				s = &p->ring[i];
	} else if (p->o.kind == PROBE_DNS) {
		uint16_t id = rd_be16(&r);
		for (size_t i = 0; i < p->cap && !r.bad && !s; i++)
			if (p->ring[i].busy && p->ring[i].id == id)
				s = &p->ring[i];
	} else if (p->o.kind == PROBE_ICMP) {
		uint8_t type = rd_u8(&r);
		rd_skip(&r, 3); /* code, checksum */
		uint16_t seq16;
		uint64_t number;
		bool have_number;
		if (echo_ours(p, &r, &seq16, &number, &have_number) &&
		    type == ICMP_ECHO_REQUEST(p->v6))
			s = echo_slot(p, seq16, number, have_number);
	} else {
		return NULL;
	}
	if (r.bad)
		s = oldest(p);
	return sent_before(s, &se->rx, se->have_rx);
}

/* Takes one error off the shared socket's error queue: 1 and *d if it ends
 * a probe, 0 if it ends none (counted), -1 if the queue is empty. */
static int read_error(probe *p, struct probe_done *d)
{
	uint8_t buf[RECV_BUF];
	struct sock_err se;
	ssize_t got;
	do
		got = sock_recv_err(p->fd, buf, sizeof buf, &se);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return -1;
	double now = clock_mono_sec();
	char why[PROBE_WHY_LEN];
	if (!probe_err_reason(&se.ee, (const struct sockaddr *)&se.offender, why, sizeof why))
		return 0; /* the local stack's (the send() that caused it failed), a redirect */
	p->c.icmp_errors++;
	struct slot *s = error_slot(p, buf, (size_t)got, &se);
	if (!s) {
		p->c.icmp_unmatched++;
		return 0;
	}
	fill_done(d, s, PROBE_R_ERROR, reply_time(s, &se.rx, se.have_rx, now));
	d->err = (int)se.ee.ee_errno;
	str_copy(d->why, why, sizeof d->why);
	slot_free(s);
	return 1;
}

/* Reads the shared socket until it is empty or n == max: the replies, then
 * the errors queued. */
static size_t read_shared(probe *p, struct probe_done *out, size_t n, size_t max)
{
	while (n < max) {
		uint8_t buf[RECV_BUF];
		struct sockaddr_storage from;
		struct timespec rx;
		bool have_rx, truncated;
		ssize_t got =
			sock_recv_from(p->fd, buf, sizeof buf, &from, &rx, &have_rx, &truncated);
		double now = clock_mono_sec();
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* An ICMP error for the connected socket, reported
			 * once: its details wait on the error queue.  Without
			 * that (not on Linux), it does not say which probe it
			 * answers; they time out.  (The raw socket is not
			 * connected: it gets no such errno, only the ICMP
			 * messages themselves.) */
			if (!p->recverr && !p->raw) {
				p->c.icmp_errors++;
				p->c.icmp_unmatched++;
			}
			continue;
		}
		if (truncated) {
			p->c.malformed++;
			continue;
		}
		if (match_reply(p, buf, (size_t)got, &from, &rx, have_rx, now, &out[n]))
			n++;
	}
	while (p->recverr && n < max) {
		int rc = read_error(p, &out[n]);
		if (rc < 0)
			break;
		n += (size_t)rc;
	}
	return n;
}

/* Why a TCP connect() on fd failed with e, into d (PROBE_R_ERROR): the ICMP
 * error on its error queue, said as for UDP; else a refusal (RST, no ICMP
 * error: ECONNREFUSED) or the local stack's errno.  Returns true if the
 * network said so (an ICMP error or a RST), false for a local error. */
static bool tcp_failed(probe *p, int fd, int e, struct probe_done *d)
{
	d->result = PROBE_R_ERROR;
	d->err = e;
	while (p->recverr) {
		uint8_t buf[64];
		struct sock_err se;
		ssize_t got = sock_recv_err(fd, buf, sizeof buf, &se);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		if (probe_err_reason(&se.ee, (const struct sockaddr *)&se.offender, d->why,
				     sizeof d->why)) {
			p->c.icmp_errors++;
			return true;
		}
	}
	if (e == ECONNREFUSED) {
		str_copy(d->why, "refused (RST)", sizeof d->why);
		return true;
	}
	str_format(d->why, sizeof d->why, "cannot connect: %s", strerror(e));
	return false;
}

/* A TCP probe's socket turned writable or failed. */
static bool tcp_done(probe *p, uint64_t seq, struct probe_done *d)
{
	struct slot *s = slot_of(p, seq);
	if (!s || s->fd < 0)
		return false;
	double now = clock_mono_sec();
	int e = 0;
	socklen_t elen = sizeof e;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0)
		e = errno;
	if (e == EINPROGRESS || e == EALREADY)
		return false;
	fill_done(d, s, PROBE_R_ANSWER, now);
	if (e)
		tcp_failed(p, s->fd, e, d);
	slot_free(s);
	return true;
}

size_t probe_collect(probe *p, struct probe_done *out, size_t max)
{
	size_t n = 0;
	while (n < max && p->n_ready > 0) {
		out[n++] = p->ready[0];
		memmove(p->ready, p->ready + 1, --p->n_ready * sizeof *p->ready);
	}
	while (n < max) {
		struct epoll_event ev[64];
		int k = epoll_wait(p->ep, ev, 64, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		for (int i = 0; i < k && n < max; i++) {
			if (ev[i].data.u64 == UDP_KEY)
				n = read_shared(p, out, n, max);
			else if (tcp_done(p, ev[i].data.u64, &out[n]))
				n++;
		}
		if (k < 64)
			break;
	}
	return n;
}

void probe_expire(probe *p, double sent_before)
{
	for (size_t i = 0; i < p->cap; i++)
		if (p->ring[i].busy && p->ring[i].sent <= sent_before)
			slot_free(&p->ring[i]);
}
