/* trace.h - the probe engine of `sundial trace`: a layer-4 traceroute over
 * several protocols and ports at once, on raw sockets (CAP_NET_RAW).
 *
 * Each flow (TCP SYN to a port, UDP to a port, ICMP echo) keeps what routers
 * hash to balance load per flow fixed for the whole trace: the addresses,
 * the protocol, the ports (a TCP or UDP socket holds the source port) or the
 * ICMP identifier and checksum.  Its probes differ only in the TTL (hop
 * limit) and in a tag outside the flow hash that the reply brings back:
 *
 *   TCP   the sequence number (quoted in ICMP errors; SYN-ACK and RST
 *         acknowledge it + 1)
 *   UDP   the checksum (two octets of data make it so; quoted in errors);
 *         to port 123 the data is an NTP client request whose transmit
 *         timestamp carries the checksum too (its last two octets are the
 *         ones that make it so), and the server's reply echoes it
 *   ICMP  the sequence number, its data making up for it so that the
 *         checksum stays the same (quoted in errors, echoed in the reply)
 *
 * Probes go out hop by hop: every flow's probes for one TTL at once, then
 * the replies are collected until all came or the wait ran out.  A flow ends
 * at the hop where the destination answered (SYN-ACK or RST, port
 * unreachable, echo reply, NTP reply) or some router said unreachable.
 * Times are read on the monotonic clock (common/clock) just before the send
 * and just after the receive.  Replies are decoded by wire/icmp (NTP replies by wire/ntp);
 * trace_match(), trace_match_ntp() and trace_compare() are pure.
 */
#ifndef SUNDIAL_NET_TRACE_H
#define SUNDIAL_NET_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wire/icmp.h"

#define TRACE_MAX_FLOWS 8
#define TRACE_MAX_TTL 255
#define TRACE_MAX_PROBES 10	     /* per hop and flow */
#define TRACE_NTP_PORT ICMP_NTP_PORT /* 123: a UDP flow to it sends NTP requests */

enum trace_proto { TRACE_TCP = 0, TRACE_UDP, TRACE_ICMP };

struct trace_flow_spec {
	enum trace_proto proto;
	uint16_t port; /* TCP, UDP: the destination port */
};

struct trace_opts {
	struct sockaddr_storage dst; /* the destination (its port is ignored) */
	size_t n_flows;
	struct trace_flow_spec flows[TRACE_MAX_FLOWS];
	unsigned first_ttl, max_ttl; /* 1 <= first_ttl <= max_ttl <= TRACE_MAX_TTL */
	unsigned probes;	     /* per hop and flow, 1..TRACE_MAX_PROBES */
	double wait;		     /* seconds to wait for the replies of one hop */
};

/* What answered a probe. */
enum trace_answer {
	TRACE_A_NONE = 0,      /* nothing (yet) */
	TRACE_A_TIME_EXCEEDED, /* a router on the way */
	TRACE_A_UNREACH,       /* destination unreachable (code in the result) */
	TRACE_A_ECHO_REPLY,    /* the destination, to an ICMP echo */
	TRACE_A_SYN_ACK,       /* the destination, a port that listens */
	TRACE_A_RST,	       /* the destination, a closed port */
	TRACE_A_OTHER,	       /* another ICMP error (parameter problem, too big) */
	TRACE_A_NTP,	       /* the destination, an NTP reply to an NTP request (udp:123) */
};

/* The name of an answer for people and JSON: "time-exceeded", "SYN-ACK",
 * "ntp-reply", ... */
const char *trace_answer_name(enum trace_answer a);

/* What an NTP reply said (RFC 5905 section 7.3). */
struct trace_ntp {
	uint8_t leap, version, stratum;
	uint8_t refid[4]; /* as on the wire */
	bool kod;	  /* a kiss-o'-death: stratum 0, its code in refid */
};

/* One probe. */
struct trace_probe {
	bool sent;
	enum trace_answer answer;
	uint8_t family;	  /* 4 or 6: of from */
	uint8_t from[16]; /* who answered */
	uint8_t icmp_type, icmp_code;
	double rtt; /* seconds */
	size_t n_mpls;
	struct icmp_mpls mpls[ICMP_MAX_MPLS];
	struct trace_ntp ntp; /* TRACE_A_NTP */
};

/* One hop of one flow. */
struct trace_hop {
	unsigned ttl;
	struct trace_probe probe[TRACE_MAX_PROBES];
};

/* The flow key a reply must match: what the probes of one flow share. */
struct trace_flow_key {
	uint8_t family;		  /* 4 or 6 */
	uint8_t proto;		  /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6 */
	uint8_t src[16], dst[16]; /* IPv4 addresses in the first 4 octets */
	uint16_t sport, dport;	  /* TCP, UDP */
	uint16_t icmp_id;	  /* ICMP, ICMPv6 */
	uint32_t ntp_cookie;	  /* UDP to TRACE_NTP_PORT: the requests' transmit seconds */
};

/* Whether the reply r, which came from address from (of the key's family),
 * answers a probe of the flow k: then *tag is that probe's tag (TCP
 * sequence number, UDP checksum, ICMP sequence number) and *a what kind of
 * answer it is.  An error must quote the flow's destination, protocol and
 * ports or identifier; a SYN-ACK or RST must come from the destination's
 * port to the source port and acknowledge tag + 1; an echo reply must come
 * from the destination with the flow's identifier.  Pure. */
bool trace_match(const struct trace_flow_key *k, const struct icmp_reply *r, const uint8_t from[16],
		 uint32_t *tag, enum trace_answer *a);

/* Whether the UDP data p (len octets), which came from the destination's
 * port k->dport to the source port k->sport, answers a request of the NTP
 * flow k (UDP to TRACE_NTP_PORT): an NTP server reply (mode 4, a KoD
 * included) of at least 48 octets whose origin timestamp is the transmit
 * timestamp of a request of the flow (icmp_ntp_xmt() of k's addresses,
 * ports and cookie and a checksum).  Then *tag is that request's tag (the
 * checksum) and *ntp what the reply said.  Whatever follows the 48 octets
 * (extension fields, a MAC) is not looked at.  Pure. */
bool trace_match_ntp(const struct trace_flow_key *k, const uint8_t *p, size_t len, uint32_t *tag,
		     struct trace_ntp *ntp);

/* The result of one flow, filled by trace_run(). */
struct trace_flow {
	struct trace_flow_spec spec;
	struct trace_flow_key key;
	bool reached;		/* the destination answered */
	bool unreachable;	/* a router said unreachable */
	enum trace_answer end;	/* what ended it: the answer that reached the
				 * destination or the router's unreachable
				 * (TRACE_A_NONE: neither) */
	unsigned last_ttl;	/* the last hop probed (0: none) */
	struct trace_hop *hops; /* hops[ttl - 1] for ttl 1..last_ttl (earlier ones unsent) */
};

typedef struct trace trace;

/* Opens the raw sockets for o (copied): one for ICMP or ICMPv6 replies and
 * echo requests, one for TCP if a flow is TCP, one for UDP if one is UDP,
 * and a bound TCP or UDP socket per such flow to hold its source port (for
 * UDP to TRACE_NTP_PORT connected to it there: the NTP replies come in on
 * it).
 * Returns 0 and *out, or a negative errno with a message for people in err:
 * -EPERM (raw sockets need CAP_NET_RAW), -ENETUNREACH (no route to the
 * destination), -EINVAL (bad options), or socket()'s error.  Close with
 * trace_close(). */
int trace_open(const struct trace_opts *o, trace **out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Closes every socket and frees t; accepts NULL. */
void trace_close(trace *t);

/* Called by trace_run() after each hop, with its TTL. */
typedef void (*trace_hop_fn)(void *arg, const trace *t, unsigned ttl);

/* Runs the trace: hop by hop from first_ttl until every flow ended or
 * max_ttl.  on_hop (may be NULL) is called after each.  Returns 0, or a
 * negative errno if sending or receiving failed (message in err). */
int trace_run(trace *t, trace_hop_fn on_hop, void *arg, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The flows, in the order of the options (borrowed until trace_close()). */
size_t trace_n_flows(const trace *t);
const struct trace_flow *trace_flow_get(const trace *t, size_t i);

/* The source address the probes are sent from. */
const struct sockaddr_storage *trace_source(const trace *t);

/* The hop's main address: the one that answered most of its probes (the
 * first of them on a tie).  False if none answered. */
bool trace_hop_address(const struct trace_hop *h, unsigned probes, uint8_t addr[16]);

/* One hop of a path as trace_compare() takes it. */
struct trace_path_hop {
	bool known; /* some probe was answered */
	uint8_t addr[16];
};

/* Where path b parts from path a, and where it joins it again. */
struct trace_divergence {
	bool parted;	     /* the paths differ at some hop */
	unsigned part_ttl;   /* the first hop where both answered and differ */
	unsigned common_ttl; /* the last hop before it where both answered the same (0: none) */
	bool joined;	     /* an address after the parting is on both paths */
	unsigned join_ttl_a; /* where, on a */
	unsigned join_ttl_b; /* and on b */
	uint8_t join_addr[16];
};

/* Compares two paths (a[i] and b[i] are hop i + 1).  Hops where either is
 * unknown neither part nor join them.  After they part they join again at
 * the first address of a (from part_ttl on) that b has from part_ttl on.
 * Pure. */
void trace_compare(const struct trace_path_hop *a, size_t na, const struct trace_path_hop *b,
		   size_t nb, struct trace_divergence *out);

#endif
