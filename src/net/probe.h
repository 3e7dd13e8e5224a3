/* probe.h - the probers of `sundial outage`: one small request to a service,
 * many in flight at once, each reply matched to its own probe.
 *
 *   NTP   a mode-3 request on one connected UDP socket; the reply must echo
 *         the request's random transmit timestamp (RFC 5905 section 8) and
 *         decode (wire/ntp); a kiss-o'-death is an error reply.
 *   DNS   a query for NAME's SOA (RFC 1035 section 4.1) on one connected UDP
 *         socket; the reply must carry the query's random ID, QR set, the
 *         same opcode and question (as dig checks); NOERROR and NXDOMAIN are
 *         answers, other RCODEs (SERVFAIL, REFUSED, ...) error replies.
 *   TCP   a non-blocking connect() per probe; the handshake completing is the
 *         answer, a refusal (RST) or an ICMP error an error reply; the socket
 *         is closed at once.
 *   ICMP  an echo request (RFC 792, RFC 4443) on a ping socket
 *         (SOCK_DGRAM/IPPROTO_ICMP, allowed by net.ipv4.ping_group_range) or
 *         else a raw socket (CAP_NET_RAW); the reply must carry the sequence
 *         number and a random token in its data (and on a raw socket the
 *         identifier); an ICMP error to it is an error reply.
 *
 * Send times are read on the monotonic clock (common/clock) just before the
 * send; UDP and ICMP replies are timed by the kernel (SO_TIMESTAMPNS), a TCP
 * handshake when its socket turns writable.  Reply parsing goes through
 * struct rd only.
 *
 * ICMP errors (destination unreachable, administratively prohibited, time
 * exceeded...) to any probe end it at once as failed, with the error and its
 * sender as the reason.  The UDP, TCP and ping sockets have IP_RECVERR (or
 * IPV6_RECVERR) and their error queue is read (ip(7)); a raw ICMP socket
 * gets the errors as ICMP messages, decoded with wire/icmp.  On a shared
 * socket an error is matched to its probe by the request it quotes (the
 * transmit timestamp, the DNS ID, the echo request's sequence number and
 * token, on a raw socket its identifier and sequence number); when it quotes
 * too little of it (only the UDP or IP header, as old routers do), to the
 * oldest probe in flight.  Either way only to a probe sent before the error
 * came.
 */
#ifndef SUNDIAL_NET_PROBE_H
#define SUNDIAL_NET_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum probe_kind { PROBE_NTP = 0, PROBE_DNS, PROBE_TCP, PROBE_ICMP };

struct sock_extended_err; /* <linux/errqueue.h> */

typedef struct probe probe;

struct probe_opts {
	enum probe_kind kind;
	struct sockaddr_storage addr; /* the target; with its port but for ICMP */
	const char *dns_name;	      /* DNS: whose SOA to ask; NULL: the root "." (borrowed) */
	size_t max_in_flight; /* probes in flight at once (older ones are dropped), 1..32768 */
};

/* What became of one probe. */
enum probe_result {
	PROBE_R_ANSWER = 0, /* a good answer */
	PROBE_R_ERROR,	    /* an error came back: refused, an ICMP error, SERVFAIL,
			       kiss-o'-death */
};

#define PROBE_WHY_LEN 96 /* a reason with its NUL */

struct probe_done {
	uint64_t seq;
	uint8_t result;		 /* enum probe_result */
	int err;		 /* PROBE_R_ERROR from the kernel: the errno (ECONNREFUSED...) */
	char why[PROBE_WHY_LEN]; /* PROBE_R_ERROR: what came back, for people: "REFUSED",
				    "port unreachable from 192.0.2.1", "refused (RST)" */
	double at;		 /* monotonic time of the answer (seconds) */
	double rtt;		 /* at - send time */
};

/* Counters of what matched no probe, and of ICMP errors. */
struct probe_counters {
	uint64_t unmatched;	 /* replies for no probe in flight (late, foreign, duplicate) */
	uint64_t malformed;	 /* replies that did not parse */
	uint64_t icmp_errors;	 /* ICMP errors about the probes, on any of the sockets */
	uint64_t icmp_unmatched; /* of those, errors for no probe in flight (it had timed
				    out or been answered) or not read in detail */
};

/* Opens a prober for o (copied; dns_name is copied too).  Returns 0 and
 * *out, or a negative errno with a message for people in err: -EINVAL (a bad
 * DNS name, a kind without a port), -EPERM (ICMP: neither a ping socket nor a
 * raw socket is allowed), or socket()'s error.  Close with probe_close(). */
int probe_open(const struct probe_opts *o, probe **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Closes every socket and frees p; accepts NULL. */
void probe_close(probe *p);

/* How p probes, for people: "NTP", "DNS SOA '.'", "TCP connect",
 * "ICMP echo (ping socket)", "ICMP echo (raw socket)". */
const char *probe_describe(const probe *p);

/* A descriptor that turns readable when probe_collect() may have something. */
int probe_fd(const probe *p);

/* Sends probe seq (numbers must not repeat while in flight).  *sent is its
 * send time on the monotonic clock, also when it fails.  Returns 0, or a
 * negative errno if it could not be sent (it is then not in flight). */
int probe_send(probe *p, uint64_t seq, double *sent) __attribute__((warn_unused_result));

/* Collects up to max finished probes into out without waiting; returns how
 * many.  Call it again while it returns max. */
size_t probe_collect(probe *p, struct probe_done *out, size_t max);

/* Forgets the probes in flight sent at or before sent_before (they timed
 * out): closes their sockets; a reply to them then counts as unmatched. */
void probe_expire(probe *p, double sent_before);

/* The counters so far (borrowed until probe_close). */
const struct probe_counters *probe_counters(const probe *p);

/* --- errors from a socket's error queue, pure; exported for the tests --- */

/* What the error ee (from an error queue, with IP_RECVERR) says, for people,
 * into buf (NUL-terminated, cut to len).  offender is who sent it (NULL or
 * AF_UNSPEC: not known).  An ICMP error (RFC 792, RFC 1812 section
 * 5.2.7.1; ICMPv6: RFC 4443 section 3) is named with its sender:
 * "port unreachable from 192.0.2.1", "administratively prohibited from
 * 2001:db8::1", "fragmentation needed (MTU 1400) from 192.0.2.254",
 * "ICMP type 42 code 1" for one without a name (probe_icmp_reason()); any
 * other error by its errno: "local error: Message too long".  Returns true
 * for an ICMP error (an answer from the path or the target: it ends a
 * probe), false for the others: the local stack's (its send() said so
 * already), and an ICMP source quench or redirect (a ping socket's queue
 * gets them: they say nothing of the probe). */
bool probe_err_reason(const struct sock_extended_err *ee, const struct sockaddr *offender,
		      char *buf, size_t len);

/* The name of the ICMP (v6 false) or ICMPv6 (v6 true) error type/code from
 * sender (NULL or AF_UNSPEC: not known), for people, into buf as
 * probe_err_reason() says it; info is the MTU of "fragmentation needed"
 * (ICMP 3/4) and "packet too big" (ICMPv6 2), unused for the others.  Both
 * the error queue and a raw socket's ICMP messages are named by it. */
void probe_icmp_reason(bool v6, uint8_t type, uint8_t code, uint32_t info,
		       const struct sockaddr *sender, char *buf, size_t len);

/* --- ICMP errors to echo requests on a raw socket, pure; for the tests --- */

/* What an ICMP error says about an echo request (copies only). */
struct probe_echo_err {
	uint8_t type, code; /* the error's, for probe_icmp_reason() */
	uint32_t info;	    /* the MTU of "fragmentation needed", "packet too big"; else 0 */
	uint16_t seq;	    /* the quoted echo request's sequence number */
};

/* Whether the len octets of pkt, an ICMP message as a raw socket delivers it
 * (v6 false: ICMP with its IPv4 header; v6 true: ICMPv6 without its IPv6
 * header, its checksum checked by the kernel), are an ICMP error --
 * destination unreachable, time exceeded, parameter problem, packet too big
 * (RFC 792, RFC 4443 section 3) -- about an echo request with identifier id
 * to target (the quoted datagram's destination), decoded with wire/icmp.  An
 * IPv4 message's checksum must be right, and the quote must hold the
 * request's ICMP header (RFC 792: the IP header and 8 octets; with fewer
 * there is no telling whose request it was).  Returns true and *out, or
 * false for anything else (a raw socket sees every ICMP message). */
bool probe_echo_error(const uint8_t *pkt, size_t len, bool v6, uint16_t id,
		      const struct sockaddr *target, struct probe_echo_err *out)
	__attribute__((warn_unused_result));

/* --- DNS messages (RFC 1035 section 4.1), pure; exported for the tests --- */

#define PROBE_DNS_HEADER_LEN 12
#define PROBE_DNS_MAX_QUERY 512 /* a header and one question fit */

/* Encodes a standard query (RD set) with one question: name (dotted, an
 * optional final dot; "." or "" is the root), type SOA, class IN.  Returns
 * its length, or 0 if name is not a valid domain name (an empty label, a
 * label over 63 octets, more than 255 octets encoded) or len is too small. */
size_t probe_dns_query(uint16_t id, const char *name, uint8_t *buf, size_t len);

enum probe_dns_status {
	PROBE_DNS_OK = 0,
	PROBE_DNS_TRUNCATED, /* shorter than its header or its question */
	PROBE_DNS_ID,	     /* another ID than the query's */
	PROBE_DNS_NOT_REPLY, /* QR not set: a query, not a reply */
	PROBE_DNS_OPCODE,    /* not the query's opcode */
	PROBE_DNS_QUESTION,  /* not exactly the query's question (QDCOUNT 1, same name,
				type and class; names compared without case) */
};

/* What a reply says (copies only). */
struct probe_dns_reply {
	uint16_t id;
	uint8_t rcode;	 /* 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, ... */
	bool aa, tc, ra; /* authoritative, truncated, recursion available */
	uint16_t ancount;
};

/* Checks that the len bytes of buf are a reply to query (qlen bytes, as
 * probe_dns_query made it).  Returns PROBE_DNS_OK and *out, or why not. */
enum probe_dns_status probe_dns_check(const uint8_t *buf, size_t len, const uint8_t *query,
				      size_t qlen, struct probe_dns_reply *out)
	__attribute__((warn_unused_result));

/* A short English phrase for a status ("truncated", ...). */
const char *probe_dns_strerror(enum probe_dns_status st);

/* The name of an RCODE (RFC 1035, RFC 2136): "NOERROR", "SERVFAIL", ...;
 * "unknown RCODE" for others.  Never NULL. */
const char *probe_dns_rcode_name(unsigned rcode);

#endif
