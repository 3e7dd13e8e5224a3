/* http.h - the collector's HTTP server, through libmicrohttpd (the only file
 * that includes <microhttpd.h>): GET /metrics (Prometheus text exposition of
 * the registry), GET /healthz, and the routes the collector registers
 * (/api/v1/...).  Listens on loopback unless told otherwise; driven from the
 * collector's event loop through one file descriptor (libmicrohttpd's epoll
 * set; no threads of its own): when http_fd() is readable, or after
 * http_timeout_ms(), http_run() does the work that is due without blocking. */
#ifndef SUNDIAL_WEB_HTTP_H
#define SUNDIAL_WEB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/metrics.h"

typedef struct http_server http_server;

/* A response a route makes.  The server fills in status 200, content_type
 * NULL (text/plain; charset=utf-8), body NULL and len 0 before calling the
 * handler.  status: 200 to 599.  content_type: a static string, or one that
 * lives as long as the server.  body: len bytes from malloc() (NULL: an
 * empty body), which the server frees, also when the handler fails. */
struct http_reply {
	unsigned status;
	const char *content_type;
	char *body;
	size_t len;
};

/* A route handler for GET (and HEAD) of path: path is matched exactly after
 * percent-decoding; query is what followed the '?' as sent (still
 * percent-encoded; "" after a bare '?'), NULL if there was no '?'.  Both are
 * borrowed for the call.  Called from http_run().  Returns 0 and fills *r,
 * or a negative errno: the client gets 500, and so it does for a reply
 * that breaks the rules above. */
typedef int (*http_handler)(void *arg, const char *path, const char *query, struct http_reply *r);

/* listen: "127.0.0.1:8770", "[::1]:8770", ":8770" (every address, IPv6
 * and IPv4; must be said explicitly); numeric addresses only, port 0 to
 * 65535 (0: the kernel picks one, see http_port()).  m: the registry
 * /metrics serves, borrowed until http_stop() and read during http_run()
 * only (NULL: no /metrics).  Also serves /healthz ("ok").  Other paths get
 * 404, methods other than GET and HEAD 405; request bodies are ignored.
 * At most 64 connections, each closed after 10 s idle.  NULL with a message
 * for people in err if the address is bad or cannot be bound (taken, not
 * on this host). */
http_server *http_start(const char *listen, const metrics *m, char *err, size_t errlen);
/* Closes the listening socket and every connection. Accepts NULL. */
void http_stop(http_server *h);

/* Adds a GET route for path (copied; starts with '/'); fn gets arg, which
 * is borrowed until http_stop().  0, or -EEXIST (path already served,
 * /healthz and /metrics included), -ENOSPC (32 routes already) or -EINVAL
 * (h, path or fn missing, path not starting with '/'). */
int http_route(http_server *h, const char *path, http_handler fn, void *arg)
	__attribute__((warn_unused_result));

/* The descriptor to watch for reading (an epoll set; it stays the same
 * until http_stop()). */
int http_fd(const http_server *h);
/* Milliseconds until http_run() must be called even if http_fd() stays
 * quiet (0: now; a connection's time-out otherwise), -1: no timer needed.
 * Ask again after every http_run(). */
long http_timeout_ms(const http_server *h);
/* Accepts connections, reads requests, calls handlers and sends replies,
 * as far as that can go without blocking. */
void http_run(http_server *h);

/* The listening port (useful with port 0 in tests). */
unsigned http_port(const http_server *h);

#endif
