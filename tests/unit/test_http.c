/* test_http.c - the collector's HTTP server (src/web/http.c, libmicrohttpd).
 *
 * The test is its own client: it connects with plain sockets, sends an
 * HTTP/1.1 request, then drives the server as the collector's event loop
 * will (poll on http_fd() for at most http_timeout_ms(), http_run()) while
 * it reads the reply without blocking, until the reply is complete.
 *
 * 1. /metrics on 127.0.0.1, [::1] and ":0" (every address, reached over
 *    both): the body is metrics_prometheus()'s, with the exposition's
 *    Content-Type; /healthz; 404 for anything else.
 * 2. Methods: POST (with a body), PUT, DELETE get 405 with Allow; HEAD gets
 *    the headers of GET and no body (a second request on the same
 *    connection reads right after them); a GET with a body is answered.
 * 3. Routes: exact paths, the query string as sent (NULL without '?'),
 *    custom status and content type, handler errors and broken replies give
 *    500 (and the body the handler made is freed: ASan); registration
 *    errors.
 * 4. Start-up errors: bad listen addresses, a port in use, an address not
 *    on this host: NULL with a message.
 * 5. The timer: none when idle, the connection time-out with a connection.
 * 6. Hostile clients: garbage, a header larger than MHD's memory, a request
 *    cut short; the server keeps answering and leaks nothing.  The
 *    connection limit.
 * 7. The real curl (required when CI=true, else skipped if missing) run by
 *    popen() while the test drives the server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/metrics.h"
#include "web/http.h"

static metrics *reg;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A registry with a labelled gauge (one label value needing escapes), a
 * counter without labels, and a family with no value (not exported). */
static int setup_registry(void **state)
{
	(void)state;
	char err[256];
	reg = metrics_new();
	const char *const server[] = { "server", NULL };
	metric_family *off =
		metrics_family(reg, "sundial_ntp_offset_seconds", "Offset of the server's clock.",
			       METRIC_GAUGE, server, err, sizeof err);
	if (!off)
		fail_msg("%s", err);
	metrics_set(metrics_series(off, (const char *const[]){ "time.example.net" }), 1700000000.5,
		    -0.000123);
	metrics_set(metrics_series(off, (const char *const[]){ "a\"b\\c\nd" }), 1700000001, 0.25);
	metric_family *req =
		metrics_family(reg, "sundial_ntp_requests_total", "Requests sent.\nAll of them.",
			       METRIC_COUNTER, NULL, err, sizeof err);
	if (!req)
		fail_msg("%s", err);
	metrics_set(metrics_series(req, NULL), 1700000002, 42);
	if (!metrics_family(reg, "sundial_gps_sats_ratio", NULL, METRIC_GAUGE, NULL, err,
			    sizeof err))
		fail_msg("%s", err);
	return 0;
}

static int teardown_registry(void **state)
{
	(void)state;
	metrics_free(reg);
	reg = NULL;
	return 0;
}

static http_server *start(const char *listen)
{
	char err[512] = "";
	http_server *h = http_start(listen, reg, err, sizeof err);
	if (!h)
		fail_msg("http_start(%s): %s", listen, err);
	assert_int_not_equal(http_port(h), 0);
	assert_true(http_fd(h) >= 0);
	return h;
}

/* ---- a client ---- */

struct reply {
	char *raw; /* everything read, NUL-terminated */
	size_t len, cap;
	bool closed;   /* the server closed (or reset) the connection */
	size_t hdrlen; /* status line and headers with the blank line; 0: not yet */
	int status;
	const char *body;
	size_t bodylen;
};

static void reply_free(struct reply *r)
{
	free(r->raw);
	memset(r, 0, sizeof *r);
}

/* The value of header name (first one), or false. */
static bool header(const struct reply *r, const char *name, char *val, size_t vlen)
{
	size_t n = strlen(name);
	const char *p = memchr(r->raw, '\n', r->hdrlen);
	const char *end = r->raw + r->hdrlen;
	while (p && p + 1 < end) {
		p++;
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (*v == ' ')
				v++;
			size_t vl = (size_t)(eol - v);
			if (vl > 0 && v[vl - 1] == '\r')
				vl--;
			snprintf(val, vlen, "%.*s", (int)vl, v);
			return true;
		}
		p = eol;
	}
	return false;
}

/* Whether r holds a whole reply (for HEAD: its headers). */
static bool complete(struct reply *r, bool head)
{
	const char *e = r->len >= 4 ? memmem(r->raw, r->len, "\r\n\r\n", 4) : NULL;
	if (!e)
		return false;
	r->hdrlen = (size_t)(e + 4 - r->raw);
	r->status = 0;
	if (sscanf(r->raw, "HTTP/1.%*d %d", &r->status) != 1)
		fail_msg("not an HTTP reply: %.40s", r->raw);
	r->body = r->raw + r->hdrlen;
	r->bodylen = r->len - r->hdrlen;
	if (head)
		return true;
	char cl[32];
	if (header(r, "Content-Length", cl, sizeof cl))
		return r->bodylen >= strtoul(cl, NULL, 10);
	return r->closed;
}

static void reply_read(struct reply *r, int fd)
{
	for (;;) {
		if (r->cap - r->len < 4096) {
			r->cap = r->cap ? r->cap * 2 : 8192;
			r->raw = realloc(r->raw, r->cap);
			assert_non_null(r->raw);
		}
		ssize_t n = recv(fd, r->raw + r->len, r->cap - r->len - 1, MSG_DONTWAIT);
		if (n > 0) {
			r->len += (size_t)n;
		} else if (n == 0 || errno == ECONNRESET) {
			r->closed = true;
			break;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
			break;
		} else {
			fail_msg("recv: %s", strerror(errno));
		}
	}
	r->raw[r->len] = '\0';
}

/* One turn of the event loop: wait for the server's descriptor (or extra,
 * if >= 0) at most as long as the server allows, then let it work. */
static void turn(http_server *h, int extra)
{
	struct pollfd p[2] = { { .fd = http_fd(h), .events = POLLIN },
			       { .fd = extra, .events = POLLIN } };
	long t = http_timeout_ms(h);
	int ms = t < 0 || t > 50 ? 50 : (int)t;
	assert_true(poll(p, extra >= 0 ? 2 : 1, ms) >= 0);
	http_run(h);
}

/* Drives h until the reply on fd is complete or the server closed. */
static void drive(http_server *h, int fd, bool head, struct reply *r)
{
	memset(r, 0, sizeof *r);
	double deadline = now_s() + 5;
	for (;;) {
		turn(h, fd);
		reply_read(r, fd);
		if (complete(r, head) || r->closed)
			return;
		if (now_s() > deadline)
			fail_msg("no complete reply in 5 s (%zu bytes: %.60s)", r->len,
				 r->raw ? r->raw : "");
	}
}

static int connect_to(int family, unsigned port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons((uint16_t)port);
		len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons((uint16_t)port);
		len = sizeof *a;
	}
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	/* The kernel completes the handshake from the listen backlog. */
	if (connect(fd, (struct sockaddr *)&ss, len) != 0)
		fail_msg("connect: %s", strerror(errno));
	return fd;
}

static void send_all(int fd, const char *req, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, req, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail_msg("send: %s", strerror(errno));
		req += n;
		len -= (size_t)n;
	}
}

/* One request on a new connection. */
static void request(http_server *h, int family, const char *req, struct reply *r)
{
	int fd = connect_to(family, http_port(h));
	send_all(fd, req, strlen(req));
	drive(h, fd, strncmp(req, "HEAD ", 5) == 0, r);
	close(fd);
}

static void get(http_server *h, int family, const char *target, struct reply *r)
{
	char req[512];
	snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", target);
	request(h, family, req, r);
}

static void check_text(const struct reply *r, int status, const char *body)
{
	char type[128] = "";
	assert_int_equal(r->status, status);
	assert_true(header(r, "Content-Type", type, sizeof type));
	assert_string_equal(type, "text/plain; charset=utf-8");
	assert_int_equal(r->bodylen, strlen(body));
	assert_memory_equal(r->body, body, r->bodylen);
}

static void check_metrics(const struct reply *r)
{
	size_t len;
	char *want = metrics_prometheus(reg, &len);
	char type[128] = "", cl[32] = "";
	assert_true(len > 0);
	assert_int_equal(r->status, 200);
	assert_true(header(r, "Content-Type", type, sizeof type));
	assert_string_equal(type, "text/plain; version=0.0.4; charset=utf-8");
	assert_true(header(r, "Content-Length", cl, sizeof cl));
	assert_int_equal(strtoul(cl, NULL, 10), len);
	assert_int_equal(r->bodylen, len);
	assert_memory_equal(r->body, want, len);
	free(want);
}

/* ---- 1. /metrics, /healthz, 404 ---- */

static void serve_basics(const char *listen, int family)
{
	http_server *h = start(listen);
	struct reply r;
	get(h, family, "/metrics", &r);
	check_metrics(&r);
	reply_free(&r);
	get(h, family, "/healthz", &r);
	check_text(&r, 200, "ok\n");
	reply_free(&r);
	get(h, family, "/healthz?verbose=1", &r); /* a query does not change the path */
	check_text(&r, 200, "ok\n");
	reply_free(&r);
	const char *missing[] = {
		"/", "/nope", "/metrics/", "/Metrics", "/healthz/x", "//metrics"
	};
	for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
		get(h, family, missing[i], &r);
		check_text(&r, 404, "not found\n");
		reply_free(&r);
	}
	http_stop(h);
}

static void test_ipv4(void **state)
{
	(void)state;
	serve_basics("127.0.0.1:0", AF_INET);
}

static void test_ipv6(void **state)
{
	(void)state;
	serve_basics("[::1]:0", AF_INET6);
}

static void test_every_address(void **state)
{
	(void)state;
	http_server *h = start(":0");
	struct reply r;
	get(h, AF_INET, "/metrics", &r);
	check_metrics(&r);
	reply_free(&r);
	get(h, AF_INET6, "/metrics", &r);
	check_metrics(&r);
	reply_free(&r);
	http_stop(h);
}

static void test_no_registry(void **state)
{
	(void)state;
	char err[256];
	http_server *h = http_start("127.0.0.1:0", NULL, err, sizeof err);
	assert_non_null(h);
	struct reply r;
	get(h, AF_INET, "/metrics", &r);
	check_text(&r, 404, "not found\n");
	reply_free(&r);
	get(h, AF_INET, "/healthz", &r);
	check_text(&r, 200, "ok\n");
	reply_free(&r);
	http_stop(h);
}

/* ---- 2. methods ---- */

static void test_methods(void **state)
{
	(void)state;
	http_server *h = start("127.0.0.1:0");
	struct reply r;
	char allow[64];
	const char *reqs[] = {
		"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
		"POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
		"PUT /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc",
		"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
		"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5\r\nhello\r\n0\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		request(h, AF_INET, reqs[i], &r);
		check_text(&r, 405, "method not allowed\n");
		assert_true(header(&r, "Allow", allow, sizeof allow));
		assert_string_equal(allow, "GET, HEAD");
		reply_free(&r);
	}

	/* HEAD, then GET on the same connection: the GET's reply must start
	 * right after the HEAD's headers. */
	size_t mlen;
	free(metrics_prometheus(reg, &mlen));
	int fd = connect_to(AF_INET, http_port(h));
	const char *head = "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	send_all(fd, head, strlen(head));
	drive(h, fd, true, &r);
	char cl[32], type[128];
	assert_int_equal(r.status, 200);
	assert_true(header(&r, "Content-Length", cl, sizeof cl));
	assert_int_equal(strtoul(cl, NULL, 10), mlen);
	assert_true(header(&r, "Content-Type", type, sizeof type));
	assert_string_equal(type, "text/plain; version=0.0.4; charset=utf-8");
	assert_int_equal(r.bodylen, 0);
	assert_false(r.closed);
	reply_free(&r);
	const char *again = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	send_all(fd, again, strlen(again));
	drive(h, fd, false, &r);
	check_metrics(&r);
	reply_free(&r);
	/* A GET with a body: the body is read and ignored. */
	const char *body = "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
	send_all(fd, body, strlen(body));
	drive(h, fd, false, &r);
	check_text(&r, 200, "ok\n");
	reply_free(&r);
	close(fd);

	/* HTTP/1.0 works too. */
	request(h, AF_INET, "GET /healthz HTTP/1.0\r\n\r\n", &r);
	check_text(&r, 200, "ok\n");
	reply_free(&r);
	http_stop(h);
}

/* ---- 3. routes ---- */

static int calls;

/* Replies "path=P query=Q" as JSON-ish text with a custom type. */
static int echo(void *arg, const char *path, const char *query, struct http_reply *r)
{
	assert_ptr_equal(arg, &calls);
	calls++;
	assert_int_equal(r->status, 200);
	assert_null(r->content_type);
	assert_null(r->body);
	assert_int_equal(r->len, 0);
	char buf[256];
	int n = snprintf(buf, sizeof buf, "path=%s query=%s", path, query ? query : "(null)");
	r->content_type = "application/json";
	r->body = strdup(buf);
	r->len = (size_t)n;
	return 0;
}

static int fail_io(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)arg, (void)path, (void)query;
	r->body = strdup("half-made"); /* the server frees it */
	r->len = 9;
	return -EIO;
}

static int bad_status(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)arg, (void)path, (void)query;
	r->status = 42;
	r->body = strdup("x");
	r->len = 1;
	return 0;
}

static int bad_type(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)arg, (void)path, (void)query;
	r->content_type = "text/plain\r\nX-Injected: 1";
	r->body = strdup("x");
	r->len = 1;
	return 0;
}

static int no_body(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)arg, (void)path, (void)query;
	r->status = 503;
	return 0;
}

static int null_body_len(void *arg, const char *path, const char *query, struct http_reply *r)
{
	(void)arg, (void)path, (void)query;
	r->len = 10;
	return 0;
}

static void check_echo(http_server *h, const char *target, const char *want)
{
	struct reply r;
	char type[64];
	get(h, AF_INET, target, &r);
	assert_int_equal(r.status, 200);
	assert_true(header(&r, "Content-Type", type, sizeof type));
	assert_string_equal(type, "application/json");
	assert_int_equal(r.bodylen, strlen(want));
	assert_memory_equal(r.body, want, r.bodylen);
	reply_free(&r);
}

static void test_routes(void **state)
{
	(void)state;
	http_server *h = start("127.0.0.1:0");
	assert_int_equal(http_route(h, "/api/v1/echo", echo, &calls), 0);
	assert_int_equal(http_route(h, "/api/v1/fail", fail_io, NULL), 0);
	assert_int_equal(http_route(h, "/api/v1/status", bad_status, NULL), 0);
	assert_int_equal(http_route(h, "/api/v1/type", bad_type, NULL), 0);
	assert_int_equal(http_route(h, "/api/v1/empty", no_body, NULL), 0);
	assert_int_equal(http_route(h, "/api/v1/nullbody", null_body_len, NULL), 0);

	calls = 0;
	check_echo(h, "/api/v1/echo?from=1700000000&to=now&x=%20y%26",
		   "path=/api/v1/echo query=from=1700000000&to=now&x=%20y%26");
	check_echo(h, "/api/v1/echo", "path=/api/v1/echo query=(null)");
	check_echo(h, "/api/v1/echo?", "path=/api/v1/echo query=");
	check_echo(h, "/api/v1/%65cho?a", "path=/api/v1/echo query=a"); /* decoded path */
	assert_int_equal(calls, 4);

	struct reply r;
	get(h, AF_INET, "/api/v1/echo/", &r);
	check_text(&r, 404, "not found\n");
	reply_free(&r);
	get(h, AF_INET, "/api/v1", &r);
	check_text(&r, 404, "not found\n");
	reply_free(&r);
	request(h, AF_INET, "HEAD /api/v1/echo?q HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.bodylen, 0);
	reply_free(&r);
	assert_int_equal(calls, 5);

	const char *broken[] = { "/api/v1/fail", "/api/v1/status", "/api/v1/type",
				 "/api/v1/nullbody" };
	for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
		get(h, AF_INET, broken[i], &r);
		check_text(&r, 500, "internal error\n");
		char v[8];
		assert_false(header(&r, "X-Injected", v, sizeof v));
		reply_free(&r);
	}
	get(h, AF_INET, "/api/v1/empty", &r);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.bodylen, 0);
	reply_free(&r);

	/* Registration errors. */
	assert_int_equal(http_route(h, "/api/v1/echo", echo, NULL), -EEXIST);
	assert_int_equal(http_route(h, "/metrics", echo, NULL), -EEXIST);
	assert_int_equal(http_route(h, "/healthz", echo, NULL), -EEXIST);
	assert_int_equal(http_route(h, "api", echo, NULL), -EINVAL);
	assert_int_equal(http_route(h, "", echo, NULL), -EINVAL);
	assert_int_equal(http_route(h, NULL, echo, NULL), -EINVAL);
	assert_int_equal(http_route(h, "/x", NULL, NULL), -EINVAL);
	assert_int_equal(http_route(NULL, "/x", echo, NULL), -EINVAL);
	char path[32];
	for (int i = 6; i < 32; i++) {
		snprintf(path, sizeof path, "/r%d", i);
		assert_int_equal(http_route(h, path, echo, &calls), 0);
	}
	assert_int_equal(http_route(h, "/r32", echo, &calls), -ENOSPC);
	assert_int_equal(http_route(h, "/r6", echo, &calls), -EEXIST);
	check_echo(h, "/r31?last", "path=/r31 query=last");
	http_stop(h);
}

/* ---- 4. start-up errors ---- */

static void test_bad_listen(void **state)
{
	(void)state;
	static const struct {
		const char *listen, *says;
	} bad[] = {
		{ "", "empty" },
		{ "8770", "no ':port'" },
		{ "127.0.0.1", "no ':port'" },
		{ "127.0.0.1:", "is not a port" },
		{ "127.0.0.1:65536", "is not a port" },
		{ "127.0.0.1:-1", "is not a port" },
		{ "127.0.0.1:+80", "is not a port" },
		{ "127.0.0.1:80x", "is not a port" },
		{ "127.0.0.1: 80", "is not a port" },
		{ "127.0.0.1:0000080", "is not a port" },
		{ "localhost:8770", "'localhost' is not an IP address" },
		{ "256.1.1.1:80", "is not an IP address" },
		{ "::1:8770", "brackets" },
		{ "::8770", "brackets" },
		{ "[::1]", "':port' must follow" },
		{ "[::1]8770", "':port' must follow" },
		{ "[::1:8770", "no ']'" },
		{ "[127.0.0.1]:80", "is not an IPv6 address" },
		{ "[fe80::1%lo]:80", "is not an IPv6 address" },
		{ "[]:80", "is not an IPv6 address" },
		{ "[::1]:", "is not a port" },
		{ "http://127.0.0.1:8770", "brackets" },
		{ "127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.127.0.0.1.1:8",
		  "is not an IP address" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[512] = "";
		assert_null(http_start(bad[i].listen, reg, err, sizeof err));
		if (!strstr(err, bad[i].says))
			fail_msg("'%s': message '%s' does not say '%s'", bad[i].listen, err,
				 bad[i].says);
	}
	char err[512] = "";
	assert_null(http_start(NULL, reg, err, sizeof err));
	assert_non_null(strstr(err, "empty"));
	/* A small buffer gets a truncated message, not an overflow. */
	char small[8];
	assert_null(http_start("nowhere", reg, small, sizeof small));
	assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_port_in_use(void **state)
{
	(void)state;
	char listen[64], err[512] = "";
	http_server *h = start("127.0.0.1:0");
	snprintf(listen, sizeof listen, "127.0.0.1:%u", http_port(h));
	assert_null(http_start(listen, reg, err, sizeof err));
	print_message("# %s\n", err);
	assert_non_null(strstr(err, listen));
	assert_non_null(strstr(err, "in use"));
	/* Every address overlaps the one taken. */
	snprintf(listen, sizeof listen, ":%u", http_port(h));
	assert_null(http_start(listen, reg, err, sizeof err));
	assert_non_null(strstr(err, "in use"));
	http_stop(h);
	/* Free again once stopped. */
	snprintf(listen, sizeof listen, "127.0.0.1:%u", http_port(h = start("127.0.0.1:0")));
	http_stop(h);
	h = http_start(listen, reg, err, sizeof err);
	if (!h)
		fail_msg("%s", err);
	http_stop(h);
	/* An address of no interface here (TEST-NET-1). */
	assert_null(http_start("192.0.2.1:0", reg, err, sizeof err));
	print_message("# %s\n", err);
	assert_non_null(strstr(err, "192.0.2.1"));
	assert_non_null(strstr(err, "assign"));
	http_stop(NULL);
}

/* ---- 5. the timer ---- */

static void test_timer(void **state)
{
	(void)state;
	http_server *h = start("127.0.0.1:0");
	int fd0 = http_fd(h);
	assert_int_equal(http_timeout_ms(h), -1);
	http_run(h); /* nothing to do: returns at once */
	int fd = connect_to(AF_INET, http_port(h));
	double deadline = now_s() + 5;
	long t;
	/* Once accepted, the idle connection's time-out (10 s) is the timer. */
	while ((t = http_timeout_ms(h)) < 0) {
		assert_true(now_s() < deadline);
		turn(h, -1);
	}
	assert_true(t > 0);
	assert_true(t <= 10000);
	assert_int_equal(http_fd(h), fd0);
	close(fd);
	http_stop(h);
	assert_int_equal(http_fd(NULL), -1);
	assert_int_equal(http_timeout_ms(NULL), -1);
	assert_int_equal(http_port(NULL), 0);
}

/* ---- 6. hostile clients ---- */

static void test_hostile(void **state)
{
	(void)state;
	http_server *h = start("127.0.0.1:0");
	struct reply r;

	request(h, AF_INET, "\x01\x02\x03 garbage\r\n\r\n", &r);
	print_message("# garbage: %d\n", r.status);
	assert_true(r.status == 400 || (r.status == 0 && r.closed));
	reply_free(&r);

	request(h, AF_INET, "GET\r\n\r\n", &r);
	print_message("# no target: %d\n", r.status);
	assert_true(r.status == 400 || r.status == 404 || (r.status == 0 && r.closed));
	reply_free(&r);

	/* Headers beyond MHD's per-connection memory (32 KiB). */
	size_t big = 40000;
	char *req = malloc(big + 64);
	assert_non_null(req);
	int n = snprintf(req, big + 64, "GET /healthz?%s HTTP/1.1\r\nX-Big: ", "q");
	memset(req + n, 'a', big);
	memcpy(req + n + big, "\r\n\r\n", 5);
	request(h, AF_INET, req, &r);
	print_message("# big header: %d\n", r.status);
	assert_true(r.status == 431 || r.status == 413 || r.status == 400 ||
		    (r.status == 0 && r.closed));
	reply_free(&r);
	/* A target that long too. */
	n = snprintf(req, big + 64, "GET /healthz?");
	memset(req + n, 'q', big);
	memcpy(req + n + big, " HTTP/1.1\r\n\r\n", 14);
	request(h, AF_INET, req, &r);
	print_message("# big target: %d\n", r.status);
	assert_true(r.status == 414 || r.status == 431 || r.status == 400 ||
		    (r.status == 0 && r.closed));
	reply_free(&r);
	free(req);

	/* Requests cut short, at every stage; the server frees what it kept. */
	const char *cut[] = {
		"GET /metrics?a=b HTTP/1.1\r\nHost: x\r\n",
		"GET /metrics?a=b HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab",
		"POST /x HTTP/1.1\r\nContent-Length: 100\r\n\r\nab", "GET /met"
	};
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		int fd = connect_to(AF_INET, http_port(h));
		send_all(fd, cut[i], strlen(cut[i]));
		for (int k = 0; k < 3; k++)
			turn(h, -1);
		close(fd);
		for (int k = 0; k < 3; k++)
			turn(h, -1);
	}
	/* One left open: http_stop() closes it. */
	int open_fd = connect_to(AF_INET, http_port(h));
	send_all(open_fd, cut[0], strlen(cut[0]));
	for (int k = 0; k < 3; k++)
		turn(h, -1);

	get(h, AF_INET, "/healthz", &r);
	check_text(&r, 200, "ok\n");
	reply_free(&r);
	http_stop(h);
	close(open_fd);
}

/* 64 idle connections fill the server: a 65th gets no reply (it waits in
 * the backlog or is closed) until they go. */
static void test_connection_limit(void **state)
{
	(void)state;
	http_server *h = start("127.0.0.1:0");
	int idle[64];
	for (size_t i = 0; i < 64; i++) {
		idle[i] = connect_to(AF_INET, http_port(h));
		turn(h, -1);
	}
	for (int k = 0; k < 5; k++)
		turn(h, -1);
	int fd = connect_to(AF_INET, http_port(h));
	const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
	send_all(fd, req, strlen(req));
	struct reply r = { 0 };
	for (int k = 0; k < 10; k++) {
		turn(h, fd);
		reply_read(&r, fd);
		assert_false(complete(&r, false));
	}
	for (size_t i = 0; i < 64; i++)
		close(idle[i]);
	if (!r.closed) {
		reply_free(&r);
		drive(h, fd, false, &r);
		check_text(&r, 200, "ok\n");
	}
	reply_free(&r);
	close(fd);
	get(h, AF_INET, "/healthz", &r);
	check_text(&r, 200, "ok\n");
	reply_free(&r);
	http_stop(h);
}

/* ---- 7. curl ---- */

/* Runs curl with args while driving h; its output in *out. */
static int run_curl(http_server *h, const char *args, struct reply *out)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "curl -q -sS --noproxy '*' --max-time 10 %s", args);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	int fd = fileno(f);
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	memset(out, 0, sizeof *out);
	double deadline = now_s() + 15;
	for (;;) {
		turn(h, fd);
		if (out->cap - out->len < 4096) {
			out->cap = out->cap ? out->cap * 2 : 8192;
			out->raw = realloc(out->raw, out->cap);
			assert_non_null(out->raw);
		}
		ssize_t n = read(fd, out->raw + out->len, out->cap - out->len - 1);
		if (n > 0)
			out->len += (size_t)n;
		else if (n == 0)
			break;
		else if (errno != EAGAIN && errno != EINTR)
			fail_msg("read from curl: %s", strerror(errno));
		assert_true(now_s() < deadline);
	}
	out->raw[out->len] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_curl(void **state)
{
	(void)state;
	if (system("command -v curl >/dev/null 2>&1") != 0) {
		const char *ci = getenv("CI");
		if (ci && strcmp(ci, "true") == 0)
			fail_msg("curl is not installed (scripts/install-deps installs it)");
		print_message("# curl is not installed: skipped\n");
		skip();
	}
	http_server *h = start("127.0.0.1:0");
	assert_int_equal(http_route(h, "/api/v1/echo", echo, &calls), 0);
	char args[256];
	struct reply r;

	snprintf(args, sizeof args, "-i http://127.0.0.1:%u/metrics", http_port(h));
	assert_int_equal(run_curl(h, args, &r), 0);
	assert_true(complete(&r, false));
	assert_non_null(strstr(r.raw, "HTTP/1.1 200"));
	check_metrics(&r);
	reply_free(&r);

	snprintf(args, sizeof args, "-i -I http://127.0.0.1:%u/metrics", http_port(h));
	assert_int_equal(run_curl(h, args, &r), 0);
	assert_true(complete(&r, true));
	assert_int_equal(r.status, 200);
	assert_int_equal(r.bodylen, 0);
	reply_free(&r);

	snprintf(args, sizeof args, "-i -X POST -d x=1 http://127.0.0.1:%u/metrics", http_port(h));
	assert_int_equal(run_curl(h, args, &r), 0);
	assert_true(complete(&r, false));
	check_text(&r, 405, "method not allowed\n");
	reply_free(&r);

	/* IPv6 and a query string; a 404 as curl sees it. */
	http_stop(h);
	h = start("[::1]:0");
	assert_int_equal(http_route(h, "/api/v1/echo", echo, &calls), 0);
	snprintf(args, sizeof args, "-g 'http://[::1]:%u/api/v1/echo?a=1&b=%%20'", http_port(h));
	assert_int_equal(run_curl(h, args, &r), 0);
	assert_string_equal(r.raw, "path=/api/v1/echo query=a=1&b=%20");
	reply_free(&r);
	snprintf(args, sizeof args, "-g -o /dev/null -w '%%{http_code}' http://[::1]:%u/nope",
		 http_port(h));
	assert_int_equal(run_curl(h, args, &r), 0);
	assert_string_equal(r.raw, "404");
	reply_free(&r);
	http_stop(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_every_address),
		cmocka_unit_test(test_no_registry),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_bad_listen),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_connection_limit),
		cmocka_unit_test(test_curl),
	};
	return cmocka_run_group_tests(tests, setup_registry, teardown_registry);
}
