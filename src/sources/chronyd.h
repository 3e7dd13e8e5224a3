/* chronyd.h - reads chronyd's own view over its command protocol into the
 * daemon model: tracking, sources with their statistics and names, NTP data
 * per source, serverstats, activity and, when asked, the client log. */
#ifndef SUNDIAL_SOURCES_CHRONYD_H
#define SUNDIAL_SOURCES_CHRONYD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "sources/daemon.h"
#include "sources/source.h"

struct chronyd_opts {
	double timeout;			     /* first try, seconds (doubles per retry) */
	const char *socket_path;	     /* Unix socket, or NULL for UDP */
	const struct sockaddr_storage *addr; /* UDP command port when socket_path is NULL */
	bool clients;			     /* read the client log */
	unsigned long client_limit;	     /* keep at most this many (0: all) */
};

/* Fills st.  Returns 0 if tracking was read (parts that failed, such as
 * serverstats over UDP, are in st->errors), or a negative errno: -ETIMEDOUT,
 * -ECONNREFUSED, -ENOENT (no socket), -EACCES (socket not reachable),
 * -EPROTO; err says it for people. */
int chronyd_read(const struct chronyd_opts *o, dmn_status *st, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The collector's `chronyd` source: chronyd_read() at each sample over the
 * Unix socket (a target starting with '/') or UDP, published with
 * dmn_publish(). */
extern const struct source_ops chronyd_source;

#endif
