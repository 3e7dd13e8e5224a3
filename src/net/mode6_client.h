/* mode6_client.h - an ntpq-like session with ntpd over UDP: requests with
 * retries, replies reassembled from fragments, optional authentication of
 * requests (controlkey), and the MRU list walked with nonces and resume
 * points in bounded memory. */
#ifndef SUNDIAL_NET_MODE6_CLIENT_H
#define SUNDIAL_NET_MODE6_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth/keys.h"
#include "wire/mode6.h"

typedef struct m6c m6c;

/* Opens a session to server (address and port); timeout is per request in
 * seconds (each request is tried up to 3 times).  key may be NULL (borrowed
 * for the life of the session).  Returns NULL with a negative errno in *err. */
m6c *m6c_open(const struct sockaddr_storage *server, double timeout, const struct key *key,
	      int *err);
void m6c_close(m6c *c); /* accepts NULL */

/* One request and its whole reply.  On 0, *data (owned by the session, valid
 * until the next request) holds the reassembled data and *status the status
 * word.  Errors: -ETIMEDOUT (no reply after the retries), -ECONNREFUSED
 * (nothing listens), -EPROTO (malformed replies only), -EMSGSIZE (reply too
 * large), -EREMOTEIO (an error reply: its code in *m6err, see m6_error_str). */
int m6c_request(m6c *c, uint8_t opcode, uint16_t associd, const char *req, size_t req_len,
		const uint8_t **data, size_t *len, uint16_t *status, int *m6err)
	__attribute__((warn_unused_result));

/* The version the server speaks (from its first reply), 0 before. */
unsigned m6c_server_version(const m6c *c);

/* One entry of the MRU list (ntpd's sample of the clients it has seen). */
struct m6c_mru_entry {
	char addr[64];	/* "192.0.2.1:123" or "[2001:db8::1]:123", as ntpd gives it */
	uint64_t first; /* NTP 32.32 timestamps of the first and last packet */
	uint64_t last;
	uint64_t count; /* packets */
	unsigned mode, version;
	uint32_t restrict_flags; /* rs */
	int score;		 /* NTPsec sc (0 if absent) */
	bool drop;		 /* dr */
};

struct m6c_mru_opts {
	unsigned long limit; /* stop after this many entries (0: all) */
	unsigned mincount;   /* only clients with at least this many packets (0: all) */
	unsigned frags;	     /* fragments per request (default 32) */
};

/* Walks the MRU list: REQ_NONCE, then READ_MRU with the nonce and resume
 * points (last.N/addr.N of the newest entries seen) until ntpd says it has
 * no more, calling cb for each entry as it arrives (memory stays bounded).
 * cb returns 0 to go on or non-zero to stop.  Sets *now (ntpd's "now",
 * 32.32) when known.  Returns 0 or a negative errno as m6c_request.
 * As with ntpq, an address can come more than once (a client heard again
 * during the walk, or a restart after ntpd lost every resume point); the
 * later entry is the newer. */
int m6c_mru_walk(m6c *c, const struct m6c_mru_opts *o,
		 int (*cb)(void *arg, const struct m6c_mru_entry *e), void *arg, uint64_t *now)
	__attribute__((warn_unused_result));

#endif
