/* clients.h - who asks a time server for the time: exact distinct clients in
 * sliding windows (or HyperLogLog estimates), /24 and /64 prefixes, request
 * rates, version and mode mix, requests per client, each client's poll
 * interval, top talkers and abusive clients.  Fed with NTP requests and
 * responses (times from the capture); no I/O. */
#ifndef SUNDIAL_ANALYSIS_CLIENTS_H
#define SUNDIAL_ANALYSIS_CLIENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIENTS_MAX_WINDOWS 8
#define CLIENTS_HIST 24 /* log2 buckets */

typedef struct clients clients;

struct clients_opts {
	double windows[CLIENTS_MAX_WINDOWS]; /* seconds, ascending; e.g. 300 1200 3600 86400 */
	size_t n_windows;
	bool approx;	      /* HyperLogLog per window instead of exact sets */
	unsigned abuse_count; /* a client sending more than this ... */
	double abuse_period;  /* ... within this many seconds is abusive (default 100 in 60) */
};

/* NULL only for invalid options (no window, windows not ascending, a window
 * outside 1 s .. 31 days, abuse_count >= 65535, abuse_period outside
 * 0.01 s .. 1e6 s; 0 for abuse_count or abuse_period means the default).
 * Exactness and memory of each figure: see the top of clients.c. */
clients *clients_new(const struct clients_opts *o);
void clients_free(clients *c); /* accepts NULL */

/* A client address with its hashes, made ahead of time: clients_key_make()
 * only reads c's hash seed (fixed at clients_new()), so it may run in
 * another thread, and clients_prefetch() lets the client's record be fetched
 * while earlier packets are handled.  ip_version 4 (addr's first 4 octets) or 6; any other
 * gives a key that clients_request() ignores. */
struct clients_key {	  /* no padding: keys compare with memcmp() */
	uint8_t addr[16]; /* IPv4: the first 4 octets, the rest zero */
	uint64_t hash;	  /* of the address */
	uint64_t phash;	  /* of its /24 or /64 prefix */
	uint8_t ver;	  /* 4, 6, or 0 */
	uint8_t pad[7];
};
void clients_key_make(const clients *c, int ip_version, const uint8_t addr[16],
		      struct clients_key *k);
void clients_prefetch(const clients *c, const struct clients_key *k);

/* A request (mode 3, or 1 for symmetric) from k's address at capture time t
 * (seconds since the epoch).  Times must not go backwards by more than a few
 * seconds (merged captures are in order). */
void clients_request(clients *c, double t, const struct clients_key *k, unsigned ntp_version,
		     unsigned ntp_mode);

/* A response; kod: a kiss-o'-death; rate: its code is RATE. */
void clients_response(clients *c, double t, bool kod, bool rate);

/* Counts over the window ending at now (a time before the last packet reads
 * as the last packet's).  Exact mode: clients seen in the last `window` whole
 * seconds, the current one included (floor(seen) > floor(now) - ceil(window));
 * --approx: the window widened to whole sub-buckets of window/16.  Requests
 * and rates are counted over the same whole seconds. */
struct clients_window {
	double window;
	uint64_t v4, v6;       /* distinct client addresses */
	uint64_t net24, net64; /* distinct /24 and /64 prefixes */
	double rel_error;      /* 0 when exact; the HyperLogLog standard error otherwise */
	uint64_t requests, responses;
	/* per second: the mean over the window (over the time since the first
	 * packet while that is shorter), the peak over 1-s buckets */
	double req_rate_mean, req_rate_peak;
	double resp_rate_mean, resp_rate_peak;
};
/* Fills out[0..n_windows). */
void clients_windows(clients *c, double now, struct clients_window *out);

/* Distinct clients and packets since the previous call (one row of the
 * --every series), then starts a new interval. */
struct clients_interval {
	uint64_t v4, v6, requests, responses;
};
void clients_interval_take(clients *c, struct clients_interval *out);

struct clients_summary {
	uint64_t requests, responses, kod, rate_kod;
	uint64_t clients_v4, clients_v6; /* distinct over the whole input */
	uint64_t version[8];		 /* requests by NTP version */
	uint64_t mode[8];		 /* requests by mode */
	/* requests per client */
	double per_client_p50, per_client_p90, per_client_p99, per_client_max;
	uint64_t per_client_hist[CLIENTS_HIST]; /* bucket k: 2^k .. 2^(k+1)-1 requests */
	/* poll interval (median time between a client's requests), clients with >= 2 */
	uint64_t poll_hist[CLIENTS_HIST]; /* bucket k: 2^k .. 2^(k+1) seconds */
	double poll_p50;
	uint64_t abusive;
};
void clients_summary(clients *c, struct clients_summary *out);

struct clients_talker {
	int ip_version;
	uint8_t addr[16];
	uint64_t requests;
	double first, last;    /* capture times */
	double poll_median;    /* seconds, NAN with fewer than 2 requests */
	double peak_in_period; /* most requests seen within abuse_period */
	bool abusive;
};
/* The n clients with the most requests, most first.  Returns how many. */
size_t clients_top(clients *c, struct clients_talker *out, size_t n);
/* Abusive clients, most requests first.  Returns how many (<= n). */
size_t clients_abusive(clients *c, struct clients_talker *out, size_t n);

/* Memory held now, and what one more active client costs in exact mode.
 * Clients are counted from requests; per-client records are kept for the
 * whole input in both modes (--approx saves the window tallies and the prefix table). */
size_t clients_bytes(const clients *c);
size_t clients_bytes_per_client(void);

#endif
