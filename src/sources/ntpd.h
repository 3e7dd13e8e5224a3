/* ntpd.h - reads ntpd's (classic or NTPsec) own view over mode 6 into the
 * daemon model: system variables, associations, refclocks, counters and,
 * when asked, the MRU list. */
#ifndef SUNDIAL_SOURCES_NTPD_H
#define SUNDIAL_SOURCES_NTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "auth/keys.h"
#include "sources/daemon.h"
#include "sources/source.h"

struct ntpd_opts {
	double timeout;		    /* per request, seconds */
	const struct key *key;	    /* controlkey, or NULL (borrowed) */
	bool clients;		    /* walk the MRU list */
	unsigned long client_limit; /* keep at most this many clients (0: all) */
};

/* Fills st from the ntpd at addr.  Returns 0 if at least the system
 * variables were read (parts that failed are in st->errors), or a negative
 * errno: -ETIMEDOUT (no answer), -ECONNREFUSED (nothing listens), -EPROTO
 * (it does not speak mode 6), -EACCES (refused); err says it for people. */
int ntpd_read(const struct sockaddr_storage *addr, const struct ntpd_opts *o, dmn_status *st,
	      char *err, size_t errlen) __attribute__((warn_unused_result));

/* The collector's `ntpd` source: ntpd_read() at each sample (the timeout
 * shared by its requests), published with dmn_publish(). */
extern const struct source_ops ntpd_source;

#endif
