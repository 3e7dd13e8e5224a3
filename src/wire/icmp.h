/* icmp.h - the replies a layer-4 traceroute gets, and its probes: a pure
 * codec, no I/O, no allocation.
 *
 * Decodes ICMP (RFC 792) and ICMPv6 (RFC 4443) messages: echo replies, and
 * the errors (time exceeded, destination unreachable, parameter problem,
 * packet too big) with the original datagram they quote: its IPv4 or IPv6
 * header and the first octets of its TCP, UDP, ICMP or ICMPv6 header.  The
 * extension structure of RFC 4884 after the quote (also where pre-RFC 4884
 * routers put it, at octet 128) is checked and its MPLS label stack object
 * (RFC 4950) kept.  Also decodes the TCP segment that answers a SYN
 * (SYN-ACK or RST).  A message may come with its IPv4 or IPv6 header (what
 * an AF_INET raw socket delivers) or without (AF_INET6 raw sockets).
 *
 * Builds the probes of a traceroute whose flow stays fixed, so that routers
 * that balance load per flow (ECMP) send every probe the same way (Paris
 * traceroute): a TCP SYN whose sequence number tells the probes apart, a
 * UDP datagram whose checksum does (two octets of data make the checksum
 * what is wanted), the same with an NTP client request as its data for a
 * traceroute to an NTP server (RFC 5905: the checksum is also in the
 * transmit timestamp, which the server's reply echoes), and an ICMP echo
 * request whose sequence number does while its checksum stays the same (two
 * octets of data make up for it).
 */
#ifndef SUNDIAL_WIRE_ICMP_H
#define SUNDIAL_WIRE_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP_MAX_MPLS 8 /* labels kept of one stack (more: mpls_more) */

enum icmp_status {
	ICMP_OK = 0,
	ICMP_TRUNCATED,	  /* the message ends inside a header, or its quote inside the
			   * quoted IP header or the first 8 octets after it */
	ICMP_INVALID,	  /* a header that cannot be right (IP version, IHL < 5, ...) */
	ICMP_UNSUPPORTED, /* an IP header that carries neither ICMP, ICMPv6 nor TCP */
};

const char *icmp_strerror(enum icmp_status st);

/* Where the bytes given to icmp_decode() start. */
enum icmp_layer {
	ICMP_L_IP = 0, /* an IPv4 or IPv6 header, then ICMP, ICMPv6 or TCP */
	ICMP_L_ICMP4,  /* an ICMP message */
	ICMP_L_ICMP6,  /* an ICMPv6 message */
	ICMP_L_TCP,    /* a TCP segment */
};

/* What the message is. */
enum icmp_kind {
	ICMP_K_OTHER = 0,     /* anything else (echo requests, neighbour discovery, ...) */
	ICMP_K_TIME_EXCEEDED, /* ICMP 11, ICMPv6 3 */
	ICMP_K_UNREACH,	      /* ICMP 3, ICMPv6 1 */
	ICMP_K_PARAM_PROBLEM, /* ICMP 12, ICMPv6 4 */
	ICMP_K_TOO_BIG,	      /* ICMPv6 2 (ICMP's is unreachable code 4) */
	ICMP_K_ECHO_REPLY,    /* ICMP 0, ICMPv6 129 */
	ICMP_K_TCP,	      /* a TCP segment */
};

/* One entry of an MPLS label stack (RFC 4950 section 7, RFC 3032). */
struct icmp_mpls {
	uint32_t label; /* 20 bits */
	uint8_t tc;	/* traffic class (formerly EXP), 3 bits */
	bool bottom;	/* S: bottom of the stack */
	uint8_t ttl;
};

/* The original datagram an ICMP error quotes.  A copy. */
struct icmp_quote {
	uint8_t ip_version;	  /* 4 or 6 */
	uint8_t proto;		  /* after the IPv6 extension headers: 6, 17, 1, 58, ... */
	uint8_t ttl;		  /* TTL or hop limit left when it was quoted */
	uint16_t ip_id;		  /* IPv4 only */
	uint8_t src[16], dst[16]; /* IPv4 addresses in the first 4 octets */
	bool transport;		  /* the first 8 octets of the transport header are here */
	uint16_t sport, dport;	  /* TCP, UDP */
	uint32_t tcp_seq;
	uint16_t udp_len, udp_cksum;
	uint8_t icmp_type, icmp_code; /* ICMP, ICMPv6 */
	uint16_t icmp_cksum, icmp_id, icmp_seq;
};

/* A decoded reply.  A copy: it points into nothing. */
struct icmp_reply {
	/* The IP header (ICMP_L_IP only; ip_version 0 otherwise). */
	uint8_t ip_version;
	uint8_t ip_ttl;
	uint8_t src[16], dst[16];
	uint8_t proto; /* 1, 58 or 6: what follows the IP header */

	enum icmp_kind kind;
	uint8_t type, code;		      /* ICMP and ICMPv6 */
	uint16_t echo_id, echo_seq;	      /* echo replies */
	uint32_t info;			      /* the 4 octets after the checksum */
	bool quoted;			      /* an error with its quote (quote is filled) */
	struct icmp_quote quote;	      /* the quoted datagram */
	size_t quote_len;		      /* octets of the quote (without the extensions) */
	bool ext;			      /* an RFC 4884 extension structure, checksum right */
	bool ext_bad;			      /* one that is there but wrong (ignored) */
	size_t n_ext_objects;		      /* its objects, every class */
	size_t n_mpls;			      /* labels of its MPLS label stack object */
	bool mpls_more;			      /* a longer stack than ICMP_MAX_MPLS */
	struct icmp_mpls mpls[ICMP_MAX_MPLS]; /* outermost first */

	/* TCP (kind ICMP_K_TCP). */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t tcp_flags; /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 */
};

#define ICMP_TCP_FIN 0x01
#define ICMP_TCP_SYN 0x02
#define ICMP_TCP_RST 0x04
#define ICMP_TCP_ACK 0x10

/* The Internet checksum (RFC 1071) of n octets: what goes into a header
 * whose checksum field is zero, and 0 over a message whose checksum is right. */
uint16_t icmp_checksum(const uint8_t *p, size_t n);

/* Decodes len octets that start with the header first says.  On ICMP_OK
 * *out is filled; otherwise the layers before the one that was cut or wrong
 * (an error with a cut quote keeps its type and code, and the quoted IP
 * header if that was whole).  An extension structure that is wrong (its
 * version, checksum or an object length) sets ext_bad and is ignored: the
 * message itself is fine.  Never reads past len. */
enum icmp_status icmp_decode(enum icmp_layer first, const uint8_t *pkt, size_t len,
			     struct icmp_reply *out) __attribute__((warn_unused_result));

/* The flow a traceroute's probes belong to: what per-flow load balancing
 * hashes (addresses, protocol, ports or the ICMP identifier) stays fixed. */
struct icmp_flow {
	uint8_t ip_version;	  /* 4 or 6 */
	uint8_t src[16], dst[16]; /* IPv4 addresses in the first 4 octets */
	uint16_t sport, dport;	  /* TCP, UDP */
	uint16_t icmp_id;	  /* ICMP, ICMPv6 */
};

#define ICMP_TCP_PROBE_LEN 24  /* a SYN with an MSS option */
#define ICMP_UDP_PROBE_LEN 10  /* the header and the two octets that set the checksum */
#define ICMP_ECHO_PROBE_LEN 24 /* the header, two octets that keep the checksum, 14 more */
#define ICMP_NTP_PORT 123
#define ICMP_NTP_LEN 48		    /* an NTP header (RFC 5905 section 7.3) */
#define ICMP_NTP_PROBE_LEN (8 + 48) /* the UDP header and an NTP client request */

/* A TCP SYN (RFC 9293 section 3.1) with sequence number seq and an MSS
 * option of 1460, its checksum over the pseudo-header of f.  Writes
 * ICMP_TCP_PROBE_LEN octets to buf; returns them, or 0 if len is too small. */
size_t icmp_build_tcp_syn(const struct icmp_flow *f, uint32_t seq, uint8_t *buf, size_t len);

/* A UDP datagram (RFC 768) whose checksum is cksum (not 0 or 0xffff: both
 * mean none or zero): two octets of data make it so.  Writes
 * ICMP_UDP_PROBE_LEN octets; returns them, or 0 if len is too small or
 * cksum is 0 or 0xffff. */
size_t icmp_build_udp(const struct icmp_flow *f, uint16_t cksum, uint8_t *buf, size_t len);

/* A UDP datagram to an NTP server's port (f->dport, normally 123) whose
 * data is a client request (RFC 5905 section 7.3): LI 0, version 4, mode 3,
 * every field zero but the transmit timestamp, which the server copies to
 * its reply's origin timestamp:
 *
 *  |            cookie (the seconds)           |
 *  |   cksum (fraction)   |  make-up (fraction) |
 *
 * The last two octets make the UDP checksum cksum (not 0 or 0xffff), as in
 * icmp_build_udp(): an ICMP error quotes it, the reply echoes it.  Only
 * they and the checksum differ between two requests of a flow.  Writes
 * ICMP_NTP_PROBE_LEN octets; returns them, or 0 if len is too small or
 * cksum is 0 or 0xffff. */
size_t icmp_build_ntp(const struct icmp_flow *f, uint32_t cookie, uint16_t cksum, uint8_t *buf,
		      size_t len);

/* The transmit timestamp of the request icmp_build_ntp() makes of f, cookie
 * and cksum (what the server's reply must carry as its origin timestamp);
 * 0 if cksum is 0 or 0xffff. */
uint64_t icmp_ntp_xmt(const struct icmp_flow *f, uint32_t cookie, uint16_t cksum);

/* An echo request (ICMP type 8, or ICMPv6 128 with its pseudo-header
 * checksum) with identifier f->icmp_id and sequence number seq; its first
 * two octets of data make the checksum the same for every seq.  Writes
 * ICMP_ECHO_PROBE_LEN octets; returns them, or 0 if len is too small. */
size_t icmp_build_echo(const struct icmp_flow *f, uint16_t seq, uint8_t *buf, size_t len);

#endif
