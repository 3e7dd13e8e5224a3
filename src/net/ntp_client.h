/* ntp_client.h - the NTP client engine behind `sundial query` and the
 * collector's `server` source: sends mode-3 requests to many servers at once,
 * takes receive timestamps from the kernel, matches replies by the random
 * transmit timestamp they echo, applies RFC 5905's sanity tests and computes
 * offset and delay.  Never touches the local clock; needs no privileges.
 * Requests are authenticated with a symmetric key (RFC 5905, RFC 8573) or,
 * for a target with an NTS session, with NTS (RFC 8915): never both.
 */
#ifndef SUNDIAL_NET_NTP_CLIENT_H
#define SUNDIAL_NET_NTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth/keys.h"
#include "auth/mac.h"
#include "net/nts.h"
#include "wire/ntp.h"

/* What became of one request. */
enum ntpc_sample_state {
	NTPC_S_PENDING = 0, /* not sent yet, or waiting */
	NTPC_S_OK,	    /* a valid reply; offset and delay are set */
	NTPC_S_TIMEOUT,	    /* no reply within the timeout */
	NTPC_S_UNREACHABLE, /* ICMP unreachable, or the send failed */
	NTPC_S_KOD,	    /* a kiss-o'-death reply */
	NTPC_S_AUTH,	    /* the reply failed authentication (see auth or nts); with NTS:
			       an NTS NAK, or replies that failed NTS and no good one
			       before the timeout (a failed one does not end the wait) */
	NTPC_S_INVALID,	    /* zero timestamps or a bad header (tests 3, 7) */
	NTPC_S_SKIPPED,	    /* not sent: the server said stop or slow down, or (err
			       ENOENT) no NTS cookie was left */
};

struct ntpc_sample {
	uint8_t state; /* enum ntpc_sample_state */
	uint8_t auth;  /* enum mac_verdict, when a key is used */
	uint8_t nts;   /* enum nts_verdict, with NTS (of a reply; 0 = NTS_V_OK) */
	int err;       /* errno of a failed send or an ICMP error; ENOENT: SKIPPED
			  because the NTS session had no cookie left */
	uint64_t xmt;  /* the random transmit timestamp sent */
	uint64_t t1, t2, t3, t4;
	double offset;		      /* seconds, positive: the server is ahead */
	double delay;		      /* round-trip delay in seconds */
	double mono_sent;	      /* monotonic time of the send (internal) */
	struct ntp_pkt reply;	      /* the decoded reply (valid for OK, KOD, INVALID, AUTH) */
	uint8_t nts_uid[NTS_UID_LEN]; /* the NTS unique identifier sent */
};

/* One server address to query; the caller fills addr and, for NTS, nts
 * (before or after ntpc_target_init(), which keeps both); the engine the
 * rest. */
struct ntpc_target {
	struct sockaddr_storage addr;
	nts_session *nts; /* NULL: no NTS; else borrowed until ntpc_run() returns: each
			     request spends a cookie, each good reply brings new ones */
	size_t n_samples;
	struct ntpc_sample *samples; /* n_samples, owned: ntpc_target_fini() */
	unsigned long bogus;	     /* replies that matched no request (test 2) */
	unsigned long duplicates;    /* replies seen twice (test 1) */
	unsigned long malformed;     /* replies that did not decode */
	int fd;			     /* internal */
	size_t next;		     /* internal: next sample to send */
	size_t lo;		     /* internal: samples before lo are finished */
	bool done;		     /* internal */
	bool stop;		     /* internal: a kiss code said stop */
};

struct ntpc_opts {
	unsigned samples;      /* per target, >= 1 */
	double interval;       /* seconds between samples of one target; 0 = all at once */
	double timeout;	       /* seconds to wait for each reply */
	const struct key *key; /* NULL: no authentication (borrowed) */
	const struct sockaddr_storage *bind; /* NULL: any source address (borrowed) */
	unsigned max_open;		     /* sockets open at once; 0 = as many as allowed */
};

/* Prepares t for opts (allocates the samples array).  addr must be set. */
void ntpc_target_init(struct ntpc_target *t, const struct ntpc_opts *opts);
void ntpc_target_fini(struct ntpc_target *t);

/* Queries every target in parallel until each has all its samples answered
 * or timed out.  Returns 0, or a negative errno if a socket could not be
 * made at all (the affected targets' samples are UNREACHABLE with err set).
 * -EINVAL, with nothing sent, if opts->key is set and a target has an NTS
 * session (one authentication or the other).  An NTS target sends no more
 * requests than it has cookies: it waits for replies to bring new ones,
 * and a sample for which none is left is SKIPPED with err ENOENT. */
int ntpc_run(struct ntpc_target *targets, size_t n, const struct ntpc_opts *opts);

/* The summary of a target's samples. */
enum ntpc_status {
	NTPC_OK = 0,	  /* a valid reply from a synchronised server */
	NTPC_UNSYNC,	  /* valid replies, but the server is not synchronised */
	NTPC_KOD,	  /* only kiss-o'-death replies */
	NTPC_TIMEOUT,	  /* no reply at all */
	NTPC_UNREACHABLE, /* ICMP unreachable or send errors, no reply */
	NTPC_AUTH_FAILED, /* replies came, none authenticated */
	NTPC_INVALID,	  /* replies came, none usable */
};

struct ntpc_summary {
	enum ntpc_status status;
	const struct ntpc_sample *best; /* lowest delay among OK samples, or NULL */
	const struct ntpc_sample *last; /* the last reply of any kind, or NULL */
	size_t sent, received, valid;
	double offset_median, offset_spread; /* over OK samples; spread = max - min */
	double delay_min, delay_median;
	double root_distance;	   /* of best: (rootdelay + delay)/2 + rootdisp + 2^precision */
	const char *unsync_reason; /* for NTPC_UNSYNC */
	uint8_t auth;		   /* enum mac_verdict of the last reply when keyed */
	uint8_t nts;		   /* enum nts_verdict of the last failed one (AUTH_FAILED) */
	int err;		   /* errno for NTPC_UNREACHABLE */
};

/* Summarises t. The pointers are borrowed from t.  For an NTS target with
 * any reply that failed authentication there is no best sample (and no
 * offset): a mix is never trusted. */
void ntpc_summarize(const struct ntpc_target *t, bool keyed, struct ntpc_summary *s);

/* RFC 5905 test 6 and 7 of a reply: NULL if usable for synchronisation,
 * otherwise why not ("leap indicator 3: not synchronised", ...). */
const char *ntpc_unsync_reason(const struct ntp_pkt *p, double delay);

#endif
