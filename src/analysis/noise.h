/* noise.h - the Internet's noise: unsolicited traffic towards a capture's
 * own ("local") addresses.  Who sends it (unique sources, per source:
 * packets, distinct ports and hosts touched, first and last seen; scanners),
 * what it aims at (TCP connection attempts per port, UDP ports, ICMP and
 * ICMPv6 types, other protocols), IPv4 against IPv6, and an hourly
 * histogram.  Backscatter (SYN-ACK or RST that nobody here asked for: the
 * answers of a victim to packets with a spoofed source) is counted apart
 * from connection attempts.
 *
 * Pure analysis: packets in (noise_decode() takes them through the frame
 * decoder of wire/frame.h), report structures out; no I/O.  Every table has a
 * cap, so that memory stays bounded on a capture of any length; what happens
 * beyond each cap is written where the cap is.
 *
 * The local addresses are given (noise_parse_locals()) or inferred from the
 * capture by a noise_infer (a first pass, or the start of standard input).
 */
#ifndef SUNDIAL_ANALYSIS_NOISE_H
#define SUNDIAL_ANALYSIS_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wire/frame.h"

/* At most this many local prefixes, given or inferred. */
#define NOISE_MAX_LOCALS 256

/* Capture times outside what int64 nanoseconds hold: the analysis uses its
 * latest good time instead. */
#define NOISE_NO_TIME INT64_MIN

/* ---- local addresses ---- */

struct noise_prefix {
	uint8_t addr[16]; /* IPv4 in the first 4 octets; bits past len are zero */
	uint8_t version;  /* 4 or 6 */
	uint8_t len;	  /* prefix length: 0..32 or 0..128 */
};

/* Parses "ADDR[/LEN][,ADDR[/LEN]...]" (IPv4 or IPv6 addresses, optional
 * prefix lengths; host bits past LEN are cleared, so "2001:db8::7/64" is
 * 2001:db8::/64) into out[max].  Returns 0 with *n set, or -EINVAL (an empty
 * item, not an address, a bad length) or -E2BIG (more than max items, or a
 * string over 4096 characters) with a message for people in err naming the
 * item. */
int noise_parse_locals(const char *s, struct noise_prefix *out, size_t max, size_t *n, char *err,
		       size_t errlen) __attribute__((warn_unused_result));

/* True if addr of that IP version is inside p. */
bool noise_prefix_match(const struct noise_prefix *p, int version, const uint8_t addr[16]);

/* ---- packets ---- */

/* One captured frame as the analysis takes it: a copy, no pointer into the
 * frame. */
struct noise_pkt {
	int64_t t;		  /* capture time, ns since the epoch, or NOISE_NO_TIME */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 octets, the rest zero */
	uint16_t sport, dport;	  /* TCP, UDP */
	uint8_t status;		  /* enum frame_status */
	uint8_t version;	  /* 4 or 6; 0 when no IP header was reached */
	uint8_t proto;		  /* 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ... */
	uint8_t tcp_flags;	  /* FIN 0x01 SYN 0x02 RST 0x04 ... ACK 0x10 */
	uint8_t icmp_type, icmp_code;
	/* An ICMP or ICMPv6 error with the datagram it is about (the quote):
	 * its protocol, addresses and, for TCP and UDP, ports (0 if cut). */
	bool quoted;
	uint8_t q_proto;
	uint16_t q_sport, q_dport;
	uint8_t q_src[16], q_dst[16];
};

/* Decodes a frame of caplen octets of link type linktype captured at ts
 * through frame_decode() (and an ICMP error's quote through icmp_decode())
 * and copies what the analysis needs into out (all of it zeroed first).  Returns frame_decode()'s
 * status: FRAME_OK (all fields), FRAME_FRAGMENT (addresses and protocol, no ports: an IP fragment),
 * else no IP packet to count (FRAME_TRUNCATED, FRAME_INVALID, FRAME_UNSUPPORTED: ARP, LLDP, ...;
 * frame_strerror() names it). */
enum frame_status noise_decode(uint32_t linktype, const uint8_t *frame, size_t caplen,
			       const struct timespec *ts, struct noise_pkt *out);

/* ---- inferring the local addresses ---- */

typedef struct noise_infer noise_infer;

/* max_addrs: how many destination addresses are tracked (0: 65536); later
 * ones are not candidates (noise_infer_full() says so).  Never NULL. */
noise_infer *noise_infer_new(size_t max_addrs);
void noise_infer_free(noise_infer *ni); /* accepts NULL */

/* Counts p for its destination: packets, requests (TCP SYN without ACK,
 * ICMP or ICMPv6 echo requests) and the distinct sources of each.
 * Multicast and broadcast destinations are left out. */
void noise_infer_add(noise_infer *ni, const struct noise_pkt *p);

/* How an address was chosen. */
enum noise_by {
	NOISE_GIVEN,	/* --local */
	NOISE_REQUESTS, /* got requests from many distinct sources */
	NOISE_SOURCES,	/* no requests in its family: got packets from many sources */
};

struct noise_local {
	struct noise_prefix pfx;
	enum noise_by by;
	uint64_t packets;	  /* received */
	uint64_t requests;	  /* SYN without ACK, echo requests received */
	uint64_t sources;	  /* distinct sources of anything it received */
	uint64_t request_sources; /* distinct sources of its requests */
};

/* Chooses the local addresses, each family on its own: if some address got
 * requests, every address whose distinct request sources are at least a
 * tenth of the most any address had (and at least 1); else every address
 * that got packets from at least half as many distinct sources as the one
 * with the most, and from at least 2 (one exchange between two hosts does
 * not tell which of them is here).  Writes up to max of them into out, the
 * most request sources first, then sources, packets, address; returns how
 * many were chosen (more than max: the rest were left out). */
size_t noise_infer_locals(const noise_infer *ni, struct noise_local *out, size_t max);

/* True if the address table was full (some destinations not considered),
 * or the distinct counts stopped being exact (their pair table was full). */
bool noise_infer_full(const noise_infer *ni);

/* ---- the analysis ---- */

typedef struct noise noise;

struct noise_opts {
	unsigned scanner_ports; /* a source touching at least this many distinct ports ... */
	unsigned scanner_hosts; /* ... or local hosts is a scanner (0: defaults 10 and 3) */
	size_t max_sources;	/* sources itemised (0: 100000, at most 2^24 - 1) */
	size_t max_pairs;	/* distinct (source, port/host/hour) pairs (0: 2^22) */
};

#define NOISE_SCANNER_PORTS 10
#define NOISE_SCANNER_HOSTS 3
#define NOISE_MAX_SOURCES 100000
#define NOISE_MAX_PAIRS (1u << 22)
#define NOISE_MAX_HOURS (24 * 366)

/* A new analysis of the traffic towards the n_locals prefixes of locals
 * (copied).  NULL if n_locals is 0 or above NOISE_MAX_LOCALS, or max_sources
 * is above 2^24 - 1. */
noise *noise_new(const struct noise_opts *o, const struct noise_prefix *locals, size_t n_locals);
void noise_free(noise *n); /* accepts NULL */

/* One packet (any status).  A packet is unsolicited if it goes from a
 * non-local address to a local one and is not a reply: the reverse of a
 * flow a local address sent earlier (same protocol, addresses and ports;
 * for ICMP an echo reply to an echo request, or an error from an address a
 * local one sent something to; for a fragment, any packet from such an
 * address), kept in a table of 2^18 outgoing flows (4-way buckets: an older
 * flow can be forgotten, and its late replies then count as unsolicited).
 * TCP SYN without ACK is a connection attempt even inside a known flow. */
void noise_add(noise *n, const struct noise_pkt *p);

/* What the unsolicited packets were.  Classes of TCP: */
struct noise_summary {
	uint64_t packets;			 /* every frame given */
	uint64_t not_ip, truncated, invalid;	 /* frames with no IP packet to count */
	uint64_t unsolicited, outgoing, replies; /* from a local address: outgoing */
	uint64_t internal, transit;		 /* local to local; neither side local */
	uint64_t v4, v6;			 /* unsolicited packets per family */
	uint64_t tcp_attempts;			 /* SYN without ACK */
	uint64_t tcp_backscatter;		 /* SYN-ACK, RST (with or without ACK) */
	uint64_t tcp_other;			 /* ACK, FIN, NULL, Xmas ... without a flow */
	uint64_t udp, icmp, icmp6, other_proto;	 /* other_proto: not TCP, UDP, ICMP(v6) */
	uint64_t fragments;	       /* non-first fragments (no ports), also in the above */
	uint64_t proto[256];	       /* unsolicited packets per IP protocol */
	uint64_t icmp_types[2][256];   /* [0] ICMP, [1] ICMPv6 */
	double sources_v4, sources_v6; /* distinct sources */
	bool sources_approx;	       /* ... estimated (HyperLogLog: sources beyond the cap) */
	uint64_t itemised;	       /* sources in the table */
	uint64_t not_itemised_packets; /* packets of sources beyond the cap */
	bool distinct_lower_bound;     /* the pair table was full: distinct ports, hosts,
					* sources per port and hour are lower bounds */
	uint64_t scanners;
	uint64_t hours_dropped; /* unsolicited packets beyond NOISE_MAX_HOURS from the first */
	int64_t first, last;	/* ns, of every frame given (0 if none) */
};
void noise_summary(const noise *n, struct noise_summary *s);

/* One source of unsolicited packets.  ports: distinct TCP (but backscatter)
 * and UDP destination ports; hosts: distinct local addresses; both counting
 * everything but backscatter. */
struct noise_source {
	uint8_t addr[16];
	uint8_t version;
	bool scanner;
	uint32_t ports, hosts;
	uint64_t packets, attempts, backscatter, tcp_other, udp, icmp, other;
	int64_t first, last; /* ns */
};

enum noise_order {
	NOISE_BY_PACKETS, /* packets, then ports, hosts, address */
	NOISE_BY_PORTS,	  /* ports, then hosts, packets, address */
};

/* How many sources are itemised. */
size_t noise_n_sources(const noise *n);

/* Up to max itemised sources (scanners only if scanners_only) into out,
 * sorted by order; returns how many. */
size_t noise_sources(const noise *n, enum noise_order order, bool scanners_only,
		     struct noise_source *out, size_t max);

enum noise_port_kind {
	NOISE_PORT_TCP,		/* connection attempts, by destination port */
	NOISE_PORT_UDP,		/* by destination port */
	NOISE_PORT_BACKSCATTER, /* SYN-ACK and RST, by source port (the victim's service) */
	NOISE_PORT_KINDS,
};

struct noise_port {
	uint16_t port;
	uint64_t packets;
	uint64_t sources; /* distinct, itemised sources */
};

/* The max ports of kind k with the most packets (ties: the lower port
 * first); returns how many (ports with no packet are left out). */
size_t noise_top_ports(const noise *n, enum noise_port_kind k, struct noise_port *out, size_t max);

/* Unsolicited packets in one hour (UTC). */
struct noise_hour {
	int64_t start; /* seconds since the epoch, a multiple of 3600 */
	uint64_t packets, v4, v6, attempts, backscatter, udp, icmp;
	uint64_t sources; /* distinct, itemised sources */
};

/* The hours from the first to the last with unsolicited packets (empty ones
 * between included); *count set; NULL if none.  Borrowed until the next
 * noise_add() or noise_free(). */
const struct noise_hour *noise_hours(const noise *n, size_t *count);

#endif
