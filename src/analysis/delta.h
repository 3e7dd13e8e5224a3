/* delta.h - response times of a time server from its packets: each response
 * is matched to its request by addresses, ports and the echoed origin
 * timestamp (the response's origin equals the request's transmit), so that
 * retransmits, lost replies and several outstanding requests on one flow pair
 * up right.  Per pair: the wire delta (capture time of response minus
 * request) and the server's own processing time (T3 - T2 from the packet). */
#ifndef SUNDIAL_ANALYSIS_DELTA_H
#define SUNDIAL_ANALYSIS_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DELTA_HIST 40 /* log2 buckets of microseconds */

typedef struct delta delta;

/* A client/server flow, as the request travels: client -> server. */
struct delta_flow {
	int ip_version;
	uint8_t client[16], server[16];
	uint16_t cport, sport;
};

struct delta_pair {
	struct delta_flow flow;
	int64_t t_request, t_response; /* capture times, nanoseconds since the epoch */
	int64_t wire;		       /* t_response - t_request, nanoseconds (exact) */
	double server;		       /* T3 - T2 in seconds, NAN if either is zero */
	bool kod;
};

/* timeout: a request unanswered this long after it was seen is counted as
 * unanswered and forgotten (bounded memory).  NULL unless 0 < timeout <= 1e6
 * seconds. */
delta *delta_new(double timeout);
void delta_free(delta *d); /* accepts NULL */

/* Called for every pair as it is made (optional). */
void delta_on_pair(delta *d, void (*fn)(void *arg, const struct delta_pair *p), void *arg);

/* A flow and a timestamp (the request's transmit, or the response's origin)
 * with its hash, made ahead of time: delta_key_make() only reads d's hash
 * seed (fixed at delta_new()), so it may run in another thread, and
 * delta_prefetch() lets the table's cache lines be fetched while earlier
 * packets are handled. */
struct delta_key { /* no padding: keys compare with memcmp() */
	uint64_t ts;
	uint8_t client[16], server[16]; /* IPv4: the first 4 octets, the rest zero */
	uint32_t hash;
	uint16_t cport, sport;
	uint8_t ver; /* 4 or 6 */
	uint8_t pad[7];
};
void delta_key_make(const delta *d, const struct delta_flow *f, uint64_t ts, struct delta_key *k);
void delta_prefetch(const delta *d, const struct delta_key *k);

/* t: capture time in nanoseconds since the epoch.  Times may step back a
 * little (merged captures); expiry follows the latest time seen. */
void delta_request(delta *d, int64_t t, const struct delta_key *k);
/* k as for the request (client -> server, ts = the response's origin) even
 * though the response travels the other way. */
void delta_response(delta *d, int64_t t, const struct delta_key *k, uint64_t rec, uint64_t xmt,
		    bool kod);
/* The same with T3 - T2 already taken (32.32 fixed point, modulo 2^64);
 * has_server false when T2 or T3 is zero. */
void delta_answer(delta *d, int64_t t, const struct delta_key *k, bool has_server, int64_t server,
		  bool kod);

/* Forgets requests older than now - timeout, counting them unanswered. */
void delta_expire(delta *d, int64_t now);

struct delta_stats {
	uint64_t requests, responses, pairs;
	uint64_t unanswered; /* expired, plus those left at delta_finish() */
	/* requests whose transmit timestamp was seen before; a reply pairs with
	 * the newer copy */
	uint64_t retransmits;
	uint64_t duplicates; /* responses to a request already answered */
	uint64_t unmatched;  /* responses to no request seen */
	uint64_t kod;
	/* wire delta, seconds (NAN with no pairs); nearest-rank percentiles of
	 * the exact nanosecond deltas up to 16.7 million pairs, then within 0.05%
	 * (see delta.c) */
	double min, p50, p90, p99, p999, max;
	double server_p50, server_p99;	    /* T3 - T2 */
	uint64_t hist[DELTA_HIST];	    /* bucket k: 2^k .. 2^(k+1) microseconds */
	bool only_requests, only_responses; /* the capture holds one direction only */
};
/* Totals since delta_new(). */
void delta_stats(delta *d, struct delta_stats *out);
/* The same over the pairs since the previous call (one row of the --every
 * series); then starts a new interval. */
void delta_interval_take(delta *d, struct delta_stats *out);
/* At the end of the input: every request still waiting is unanswered. */
void delta_finish(delta *d);

size_t delta_bytes(const delta *d);

#endif
