/* tpkt.h - one captured packet as the traffic analyses take it: decoded
 * (frame, then NTP), classified, its capture time in integer nanoseconds,
 * in 64 octets.  tpkt_decode() is a pure function of the packet, so a reader
 * thread can decode while another thread runs the analyses; that side makes
 * the keys of clients.h and delta.h (tpkt_keys()) and fetches their table
 * entries ahead (tpkt_prefetch()).  One cache line a packet is what crosses
 * from one core to the other. */
#ifndef SUNDIAL_ANALYSIS_TPKT_H
#define SUNDIAL_ANALYSIS_TPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "analysis/clients.h"
#include "analysis/delta.h"

enum tpkt_kind {
	TPKT_REQUEST,	/* mode 3, or 1 (symmetric active) */
	TPKT_RESPONSE,	/* mode 4, or 2 (symmetric passive) */
	TPKT_OTHER,	/* NTP of another mode (broadcast), or not NTP at all */
	TPKT_FRAGMENT,	/* an IP fragment (not reassembled) */
	TPKT_TRUNCATED, /* cut by the capture inside a header or the UDP payload */
	TPKT_CONTROL,	/* NTP mode 6 or 7 */
	TPKT_MALFORMED, /* UDP that does not decode as NTP */
};

/* Capture times outside what int64 nanoseconds hold (before 1678 or after
 * 2262): the caller uses its latest good time instead. */
#define TPKT_NO_TIME INT64_MIN

/* Fields a kind does not use are zero. */
struct tpkt {
	int64_t t;		  /* capture time, nanoseconds since the epoch, or TPKT_NO_TIME */
	uint64_t ts;		  /* request: its transmit timestamp; response: its origin */
	int64_t server;		  /* response: T3 - T2, 32.32 fixed point, when has_server */
	uint8_t src[16], dst[16]; /* request and response; IPv4 in the first 4 octets */
	uint16_t sport, dport;
	uint16_t kind : 3;	 /* enum tpkt_kind */
	uint16_t kod : 1;	 /* response: a kiss-o'-death */
	uint16_t rate : 1;	 /* ... whose code is RATE */
	uint16_t has_server : 1; /* response: T2 and T3 both nonzero */
	uint16_t ip_version : 4; /* 4 or 6 (requests and responses) */
	uint16_t ntp_version : 3;
	uint16_t ntp_mode : 3;
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct tpkt) == 64, "a decoded packet is one cache line");

/* Decodes a frame of caplen captured octets of link type linktype, captured
 * at ts.  port: UDP packets to or from another port are TPKT_OTHER; 0 takes
 * any port (a capture filter chose the packets). */
void tpkt_decode(uint32_t linktype, const uint8_t *frame, size_t caplen, const struct timespec *ts,
		 uint16_t port, struct tpkt *out);

/* The keys of a request or response, hashed for cl and dl (only their seeds
 * are read): ck for requests (ck.ver 0 otherwise), dk (client -> server,
 * with the request's transmit or the response's origin) for both. */
struct tpkt_keys {
	struct clients_key ck;
	struct delta_key dk;
};
void tpkt_keys(const clients *cl, const delta *dl, const struct tpkt *p, struct tpkt_keys *k);

/* Starts fetching the table entries that applying p with keys k will touch. */
void tpkt_prefetch(const clients *cl, const delta *dl, const struct tpkt *p,
		   const struct tpkt_keys *k);

#endif
