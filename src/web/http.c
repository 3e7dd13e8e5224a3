/* http.c - the collector's HTTP server on libmicrohttpd (MHD), the only file
 * that includes <microhttpd.h>.
 *
 * MHD runs in "external select" mode with epoll: no threads of its own; its
 * epoll descriptor (listening socket and connections) is what the event loop
 * watches, and MHD_run() does what is ready without blocking.  Every request
 * goes through three callbacks:
 *
 *   on_uri()       once per request, with the request target as sent: keeps
 *                  the query string (MHD splits it off and decodes it);
 *   on_request()   the access handler: once when the headers are in, again
 *                  for each piece of body (ignored) and once at the end,
 *                  where the reply is queued;
 *   on_completed() frees what on_uri() made (MHD calls it for every request
 *                  on_uri() saw, also for those cut short).
 *
 * A method other than GET or HEAD is answered at once (405): MHD then reads
 * no body and closes the connection after the reply.  HEAD gets the headers
 * of GET (MHD leaves the body out). */
#include "web/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/log.h"
#include "common/mem.h"

#define MAX_ROUTES 32
#define CONNECTION_LIMIT 64
#define CONNECTION_TIMEOUT_S 10

#define TEXT_PLAIN "text/plain; charset=utf-8"
#define PROMETHEUS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define LISTEN_EXAMPLES "e.g. '127.0.0.1:8770', '[::1]:8770' or ':8770' (every address)"

struct route {
	char *path;
	http_handler fn;
	void *arg;
};

struct http_server {
	struct MHD_Daemon *d;
	const metrics *m;
	struct route routes[MAX_ROUTES];
	size_t nroutes;
	/* While MHD_start_daemon() runs, its first message goes here. */
	char *start_err;
	size_t start_errlen;
	bool start_err_set;
	struct log_limit log_limit;
	char listen[80]; /* for log lines */
};

/* What on_uri() keeps of a request. */
struct request {
	bool started;	/* the access handler has seen the headers */
	bool has_query; /* the target had a '?' */
	char query[];	/* as sent (still percent-encoded) */
};

/* MHD's messages: while starting, the reason it failed (the first message
 * is kept); later, what the network did. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	http_server *h = cls;
	char msg[256];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '.'))
		msg[--n] = '\0';
	if (h->start_err) {
		if (!h->start_err_set) {
			str_copy(h->start_err, msg, h->start_errlen);
			h->start_err_set = true;
		}
		return;
	}
	/* Running out of connections or descriptors is for the operator (once
	 * a minute at most); the rest is what clients sent (malformed requests,
	 * closed connections): debug. */
	if ((strcasestr(msg, "limit") || strcasestr(msg, "accept")) && log_ratelimit(&h->log_limit))
		log_warn("http %s: %s", h->listen, msg);
	else
		log_debug("http %s: %s", h->listen, msg);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	(void)cls;
	(void)c;
	const char *q = uri ? strchr(uri, '?') : NULL;
	size_t len = q ? strlen(q + 1) : 0;
	/* The target fits in MHD's per-connection memory (32 KiB), so len is
	 * bounded; a failed allocation is answered with 500, not fatal(). */
	struct request *rq = malloc(sizeof *rq + len + 1);
	if (!rq)
		return NULL;
	rq->started = false;
	rq->has_query = q != NULL;
	memcpy(rq->query, q ? q + 1 : "", len + 1);
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode why)
{
	(void)cls;
	(void)c;
	(void)why;
	free(*con_cls);
	*con_cls = NULL;
}

/* Queues resp with its Content-Type (and Allow, if not NULL), then drops
 * our reference: MHD keeps its own while the reply is sent. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *resp,
			     const char *type, const char *allow)
{
	enum MHD_Result ret = MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_NO)
		goto out;
	if (allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) == MHD_NO)
		goto out;
	ret = MHD_queue_response(c, status, resp);
out:
	MHD_destroy_response(resp);
	return ret;
}

/* A reply with a constant text (MHD neither writes nor frees it). */
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text,
				  const char *allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO; /* MHD closes the connection */
	return queue(c, status, resp, TEXT_PLAIN, allow);
}

/* A reply with a malloc'd body (NULL: none), taken also on error: MHD frees
 * it with the response, or we do if MHD could not make one.  MHD_NO if
 * nothing was queued. */
static enum MHD_Result reply_body(struct MHD_Connection *c, unsigned status, const char *type,
				  char *body, size_t len)
{
	struct MHD_Response *resp;
	if (body)
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	return queue(c, status, resp, type, NULL);
}

static enum MHD_Result serve_metrics(http_server *h, struct MHD_Connection *c)
{
	size_t len = 0;
	char *body = metrics_prometheus(h->m, &len);
	if (!body)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", NULL);
	return reply_body(c, MHD_HTTP_OK, PROMETHEUS_TYPE, body, len);
}

static enum MHD_Result serve_route(http_server *h, const struct route *rt, struct MHD_Connection *c,
				   const char *path, const char *query)
{
	struct http_reply r = { .status = MHD_HTTP_OK };
	int err = rt->fn(rt->arg, path, query, &r);
	if (err == 0 && (r.status < 200 || r.status > 599 || (!r.body && r.len > 0))) {
		log_debug("http %s: %s: bad reply (status %u, %zu bytes at %p)", h->listen, path,
			  r.status, r.len, (void *)r.body);
		err = -EINVAL;
	}
	if (err != 0) {
		free(r.body);
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", NULL);
	}
	const char *type = r.content_type ? r.content_type : TEXT_PLAIN;
	if (reply_body(c, r.status, type, r.body, r.len) == MHD_YES)
		return MHD_YES;
	/* A content type MHD refuses (a line break in it): nothing was queued. */
	return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	http_server *h = cls;
	struct request *rq = *con_cls;
	(void)version;
	(void)upload_data;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n",
				  "GET, HEAD");
	if (!rq)
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n", NULL);
	if (!rq->started) {
		rq->started = true; /* wait for the end of the request */
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* a body of a GET means nothing */
		return MHD_YES;
	}

	const char *query = rq->has_query ? rq->query : NULL;
	if (strcmp(url, "/healthz") == 0)
		return reply_text(c, MHD_HTTP_OK, "ok\n", NULL);
	if (h->m && strcmp(url, "/metrics") == 0)
		return serve_metrics(h, c);
	for (size_t i = 0; i < h->nroutes; i++)
		if (strcmp(url, h->routes[i].path) == 0)
			return serve_route(h, &h->routes[i], c, url, query);
	return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n", NULL);
}

/* Parses a port: 1 to 5 digits, at most 65535. */
static bool parse_port(const char *s, uint16_t *port)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 5 || s[n] != '\0')
		return false;
	unsigned long v = strtoul(s, NULL, 10);
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Parses the len characters at s as an address of family af into dst. */
static bool parse_ip(int af, const char *s, size_t len, void *dst)
{
	char buf[64];
	if (len >= sizeof buf)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(af, buf, dst) == 1;
}

/* "127.0.0.1:8770", "[::1]:8770" or ":8770" into sa (any: the last one). */
static int parse_listen(const char *s, struct sockaddr_storage *sa, bool *any, uint16_t *port,
			char *err, size_t errlen)
{
	const char *p;
	size_t hlen;

	memset(sa, 0, sizeof *sa);
	*any = false;
	if (!s || !*s) {
		snprintf(err, errlen, "the listen address is empty; " LISTEN_EXAMPLES);
		return -EINVAL;
	}
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close) {
			snprintf(err, errlen, "listen '%s': no ']' after the IPv6 address; %s", s,
				 LISTEN_EXAMPLES);
			return -EINVAL;
		}
		hlen = (size_t)(close - s - 1);
		p = close + 1;
		if (*p != ':') {
			snprintf(err, errlen,
				 "listen '%s': ':port' must follow ']', e.g. '[::1]:8770'", s);
			return -EINVAL;
		}
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;
		if (!parse_ip(AF_INET6, s + 1, hlen, &a6->sin6_addr)) {
			snprintf(err, errlen,
				 "listen '%s': '%.*s' is not an IPv6 address, e.g. '[::1]:8770'", s,
				 (int)(hlen < 64 ? hlen : 64), s + 1);
			return -EINVAL;
		}
		a6->sin6_family = AF_INET6;
	} else {
		p = strrchr(s, ':');
		if (!p) {
			snprintf(err, errlen, "listen '%s': no ':port'; " LISTEN_EXAMPLES, s);
			return -EINVAL;
		}
		if (strchr(s, ':') != p) {
			snprintf(err, errlen,
				 "listen '%s': put an IPv6 address in brackets, e.g. '[::1]:8770'",
				 s);
			return -EINVAL;
		}
		hlen = (size_t)(p - s);
		if (hlen == 0) {
			*any = true;
		} else {
			struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
			if (!parse_ip(AF_INET, s, hlen, &a4->sin_addr)) {
				snprintf(err, errlen,
					 "listen '%s': '%.*s' is not an IP address (names are not "
					 "looked up); " LISTEN_EXAMPLES,
					 s, (int)(hlen < 64 ? hlen : 64), s);
				return -EINVAL;
			}
			a4->sin_family = AF_INET;
		}
	}
	if (!parse_port(p + 1, port)) {
		snprintf(err, errlen, "listen '%s': '%s' is not a port (0 to 65535)", s, p + 1);
		return -EINVAL;
	}
	if (sa->ss_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(*port);
	else if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons(*port);
	return 0;
}

/* Whether this host can make IPv6 sockets (":port" falls back to IPv4). */
static bool have_ipv6(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

http_server *http_start(const char *listen, const metrics *m, char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	bool any;
	uint16_t port;
	if (parse_listen(listen, &sa, &any, &port, err, errlen) < 0)
		return NULL;

	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (any && have_ipv6()) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&sa;
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_any;
		a6->sin6_port = htons(port);
		flags |= MHD_USE_DUAL_STACK; /* one socket for IPv6 and IPv4 */
	} else if (any) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&sa;
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
		a4->sin_port = htons(port);
	} else if (sa.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6; /* MHD makes an IPv4 socket without it */
	}

	http_server *h = mem_calloc(1, sizeof *h);
	h->m = m;
	h->log_limit.interval = 60;
	str_copy(h->listen, listen, sizeof h->listen);
	char mhd_err[256] = "";
	h->start_err = mhd_err;
	h->start_errlen = sizeof mhd_err;
	/* The port is also passed apart: MHD names it in its messages and looks
	 * up the one the kernel chose only when it is 0. */
	/* The logger goes first, so that MHD uses it for the other options. */
	h->d = MHD_start_daemon(flags, port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
				on_mhd_log, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, h, MHD_OPTION_NOTIFY_COMPLETED,
				on_completed, h, MHD_OPTION_END);
	h->start_err = NULL;
	if (!h->d) {
		/* "Failed to bind ..." reads on after a colon as "failed to bind". */
		if (isupper((unsigned char)mhd_err[0]) && islower((unsigned char)mhd_err[1]))
			mhd_err[0] = (char)tolower((unsigned char)mhd_err[0]);
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
			 mhd_err[0] ? mhd_err : "libmicrohttpd could not start");
		free(h);
		return NULL;
	}
	return h;
}

void http_stop(http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	for (size_t i = 0; i < h->nroutes; i++)
		free(h->routes[i].path);
	free(h);
}

int http_route(http_server *h, const char *path, http_handler fn, void *arg)
{
	if (!h || !path || path[0] != '/' || !fn)
		return -EINVAL;
	if (strcmp(path, "/healthz") == 0 || (h->m && strcmp(path, "/metrics") == 0))
		return -EEXIST;
	for (size_t i = 0; i < h->nroutes; i++)
		if (strcmp(path, h->routes[i].path) == 0)
			return -EEXIST;
	if (h->nroutes == MAX_ROUTES)
		return -ENOSPC;
	h->routes[h->nroutes++] = (struct route){ .path = mem_strdup(path), .fn = fn, .arg = arg };
	return 0;
}

int http_fd(const http_server *h)
{
	const union MHD_DaemonInfo *info =
		h ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	return info ? info->epoll_fd : -1;
}

long http_timeout_ms(const http_server *h)
{
	MHD_UNSIGNED_LONG_LONG t;
	if (!h || MHD_get_timeout(h->d, &t) != MHD_YES)
		return -1;
	return t > (MHD_UNSIGNED_LONG_LONG)LONG_MAX ? LONG_MAX : (long)t;
}

void http_run(http_server *h)
{
	if (h)
		(void)MHD_run(h->d);
}

unsigned http_port(const http_server *h)
{
	const union MHD_DaemonInfo *info =
		h ? MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	return info ? info->port : 0;
}
