/* tpkt.h - one captured packet as the traffic analyses take it: decoded
 * (frame, then NTP), classified, its capture time in integer nanoseconds,
 * and the keys of clients.h and delta.h made with their hashes.  A pure
 * function of the packet and of the two objects' seeds, so a reader thread
 * can decode while another thread runs the analyses (tpkt_prefetch() is for
 * that side).  Fields a kind does not use are zero, but for the keys: ck is
 * set for requests only (ck.ver is 0 otherwise), dk for requests and
 * responses. */
#ifndef SUNDIAL_ANALYSIS_TPKT_H
#define SUNDIAL_ANALYSIS_TPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "analysis/clients.h"
#include "analysis/delta.h"

enum tpkt_kind {
	TPKT_REQUEST,  /* mode 3, or 1 (symmetric active) */
	TPKT_RESPONSE, /* mode 4, or 2 (symmetric passive) */
	TPKT_OTHER, /* NTP of another mode (broadcast), or a UDP/TCP/... packet that is not NTP */
	TPKT_FRAGMENT,	/* an IP fragment (not reassembled) */
	TPKT_TRUNCATED, /* cut by the capture inside a header or the UDP payload */
	TPKT_CONTROL,	/* NTP mode 6 or 7 */
	TPKT_MALFORMED, /* UDP that does not decode as NTP */
};

/* Capture times outside what int64 nanoseconds hold (before 1678 or after
 * 2262): the caller uses its latest good time instead. */
#define TPKT_NO_TIME INT64_MIN

struct tpkt {		       /* 128 octets, two cache lines: the reader thread hands them over */
	int64_t t;	       /* capture time, nanoseconds since the epoch, or TPKT_NO_TIME */
	uint64_t rec, xmt;     /* response: T2 and T3 */
	struct clients_key ck; /* request: its source */
	struct delta_key dk;   /* request: flow and transmit; response: flow and origin */
	uint8_t kind;
	uint8_t ip_version;
	uint8_t ntp_version, ntp_mode;
	bool kod, rate; /* response: a kiss-o'-death; its code is RATE */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct tpkt) == 128, "a decoded packet is two cache lines");

/* Decodes a frame of caplen captured octets of link type linktype, captured
 * at ts.  port: UDP packets to or from another port are TPKT_OTHER; 0 takes
 * any port (a capture filter chose the packets).  The keys' hashes are left
 * to tpkt_hash(). */
void tpkt_decode(uint32_t linktype, const uint8_t *frame, size_t caplen, const struct timespec *ts,
		 uint16_t port, struct tpkt *out);

/* Hashes p's keys for cl and dl (only their seeds are read). */
void tpkt_hash(const clients *cl, const delta *dl, struct tpkt *p);

/* Starts fetching the table entries that applying p (hashed) will touch. */
void tpkt_prefetch(const clients *cl, const delta *dl, const struct tpkt *p);

#endif
