/* test_clients.c - distinct clients in sliding windows, prefixes, rates,
 * per-client statistics, top talkers and abuse, driven with explicit
 * capture times (the fake clock); and a randomised comparison with a
 * brute-force reference (set SEED=n to replay a run). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/clients.h"

/* A request through the key the callers make ahead of time. */
static void req(clients *c, double t, int ipv, const uint8_t *addr, unsigned ver, unsigned mode)
{
	struct clients_key k;
	clients_key_make(c, ipv, addr, &k);
	clients_prefetch(c, &k);
	clients_request(c, t, &k, ver, mode);
}

#define T0 1700000000.0

static const uint8_t *v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	static uint8_t buf[8][16];
	static size_t next;
	uint8_t *p = buf[next++ % 8];
	memset(p, 0xee, 16); /* the octets after an IPv4 address must not matter */
	p[0] = a;
	p[1] = b;
	p[2] = c;
	p[3] = d;
	return p;
}

static const uint8_t *v6(uint16_t g0, uint16_t g3, uint16_t g7)
{
	static uint8_t buf[8][16];
	static size_t next;
	uint8_t *p = buf[next++ % 8];
	memset(p, 0, 16);
	p[0] = (uint8_t)(g0 >> 8);
	p[1] = (uint8_t)g0;
	p[2] = 0x0d;
	p[3] = 0xb8;
	p[6] = (uint8_t)(g3 >> 8);
	p[7] = (uint8_t)g3;
	p[14] = (uint8_t)(g7 >> 8);
	p[15] = (uint8_t)g7;
	return p;
}

static clients *make(bool approx)
{
	struct clients_opts o;
	memset(&o, 0, sizeof o);
	o.windows[0] = 300;
	o.windows[1] = 1200;
	o.windows[2] = 3600;
	o.windows[3] = 86400;
	o.n_windows = 4;
	o.approx = approx;
	o.abuse_count = 100;
	o.abuse_period = 60;
	clients *c = clients_new(&o);
	assert_non_null(c);
	return c;
}

static void req4(clients *c, double t, const uint8_t *a)
{
	req(c, t, 4, a, 4, 3);
}

static void bad_options(void **state)
{
	(void)state;
	struct clients_opts o;
	memset(&o, 0, sizeof o);
	assert_null(clients_new(&o)); /* no window */
	o.n_windows = 2;
	o.windows[0] = 600;
	o.windows[1] = 300;
	assert_null(clients_new(&o)); /* not ascending */
	o.windows[1] = 600;
	assert_null(clients_new(&o));
	o.windows[1] = NAN;
	assert_null(clients_new(&o));
	o.windows[0] = 0.5;
	o.windows[1] = 600;
	assert_null(clients_new(&o)); /* shorter than a second */
	o.windows[0] = 300;
	o.windows[1] = 100 * 86400.0;
	assert_null(clients_new(&o)); /* longer than 31 days */
	o.windows[1] = 600;
	o.n_windows = CLIENTS_MAX_WINDOWS + 1;
	assert_null(clients_new(&o));
	o.n_windows = 2;
	o.abuse_count = 70000;
	assert_null(clients_new(&o));
	o.abuse_count = 0; /* defaults: 100 in 60 s */
	clients *c = clients_new(&o);
	assert_non_null(c);
	clients_free(c);
	clients_free(NULL);
}

/* A client polling every 1024 s counts once in the 20-minute window, and in
 * the 5-minute window only while its last poll is less than 5 minutes old. */
static void poller_1024(void **state)
{
	(void)state;
	clients *c = make(false);
	for (int k = 0; k < 10; k++)
		req4(c, T0 + 1024.0 * k, v4(198, 51, 100, 7));
	struct clients_window w[4];
	double last = T0 + 1024.0 * 9;
	clients_windows(c, last + 100, w);
	assert_int_equal(w[0].v4, 1);
	assert_int_equal(w[1].v4, 1);
	assert_int_equal(w[2].v4, 1);
	assert_int_equal(w[3].v4, 1);
	assert_int_equal(w[0].net24, 1);
	assert_true(w[0].rel_error == 0.0);
	clients_windows(c, last + 299.5, w);
	assert_int_equal(w[0].v4, 1);
	clients_windows(c, last + 300, w); /* the last 300 whole seconds */
	assert_int_equal(w[0].v4, 0);
	assert_int_equal(w[0].net24, 0);
	assert_int_equal(w[1].v4, 1);
	/* Requests in the 20-minute window: at most two polls 1024 s apart. */
	assert_int_equal(w[1].requests, 1);
	assert_int_equal(w[2].requests, 4);
	/* It polls again: back in the 5-minute window, once. */
	req4(c, last + 1024, v4(198, 51, 100, 7));
	clients_windows(c, last + 1024, w);
	assert_int_equal(w[0].v4, 1);
	assert_int_equal(w[1].v4, 1);
	struct clients_summary s;
	clients_summary(c, &s);
	assert_int_equal(s.clients_v4, 1);
	assert_true(s.poll_p50 == 1024.0);
	assert_int_equal(s.poll_hist[10], 1);
	clients_free(c);
}

static void expiry(void **state)
{
	(void)state;
	clients *c = make(false);
	req4(c, T0, v4(192, 0, 2, 1));
	req4(c, T0 + 10, v4(192, 0, 2, 2));
	struct clients_window w[4];
	clients_windows(c, T0 + 86399, w);
	assert_int_equal(w[3].v4, 2);
	assert_int_equal(w[3].net24, 1);
	assert_int_equal(w[2].v4, 0);
	clients_windows(c, T0 + 86400, w);
	assert_int_equal(w[3].v4, 1);
	assert_int_equal(w[3].net24, 1);
	clients_windows(c, T0 + 86410, w);
	assert_int_equal(w[3].v4, 0);
	assert_int_equal(w[3].net24, 0);
	/* Expired from the windows, not from the whole-input statistics. */
	struct clients_summary s;
	clients_summary(c, &s);
	assert_int_equal(s.clients_v4, 2);
	/* Coming back after expiry counts again, and prefix nodes are reused:
	 * a day of fresh /24s one at a time does not grow the memory. */
	req4(c, T0 + 90000, v4(192, 0, 2, 1));
	clients_windows(c, T0 + 90000, w);
	assert_int_equal(w[0].v4, 1);
	assert_int_equal(w[3].net24, 1);
	size_t before = clients_bytes(c);
	for (int k = 0; k < 2000; k++)
		req4(c, T0 + 200000 + 86400.0 * k, v4(10, (uint8_t)(k >> 8), (uint8_t)k, 1));
	/* 2000 new clients cost their records; the prefixes stayed few. */
	clients_windows(c, T0 + 200000 + 86400.0 * 1999, w);
	assert_int_equal(w[3].net24, 1);
	assert_int_equal(w[3].v4, 1);
	assert_true(clients_bytes(c) - before <= 2000 * clients_bytes_per_client());
	clients_free(c);
}

static void families_and_prefixes(void **state)
{
	(void)state;
	clients *c = make(false);
	double t = T0;
	req4(c, t, v4(10, 0, 0, 1));
	req4(c, t, v4(10, 0, 0, 2));
	req4(c, t, v4(10, 0, 1, 1));
	req4(c, t, v4(192, 0, 2, 1));
	req4(c, t + 1, v4(10, 0, 0, 1)); /* again: counts once */
	req(c, t, 6, v6(0x2001, 0, 1), 4, 3);
	req(c, t, 6, v6(0x2001, 0, 2), 4, 3);
	req(c, t, 6, v6(0x2001, 1, 1), 3, 3);
	/* ::a.b.c.d-like IPv6 address with the same first octets as an IPv4
	 * client: a different client. */
	uint8_t mapped[16] = { 10, 0, 0, 1 };
	req(c, t, 6, mapped, 4, 1);
	struct clients_window w[4];
	clients_windows(c, t + 2, w);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(w[k].v4, 4);
		assert_int_equal(w[k].net24, 3);
		assert_int_equal(w[k].v6, 4);
		assert_int_equal(w[k].net64, 3);
	}
	struct clients_summary s;
	clients_summary(c, &s);
	assert_int_equal(s.clients_v4, 4);
	assert_int_equal(s.clients_v6, 4);
	assert_int_equal(s.requests, 9);
	assert_int_equal(s.version[4], 8);
	assert_int_equal(s.version[3], 1);
	assert_int_equal(s.mode[3], 8);
	assert_int_equal(s.mode[1], 1);
	/* Not IPv4 or IPv6: ignored. */
	req(c, t, 5, mapped, 4, 3);
	clients_summary(c, &s);
	assert_int_equal(s.requests, 9);
	clients_free(c);
}

static void rates(void **state)
{
	(void)state;
	clients *c = make(false);
	for (int i = 0; i < 10; i++)
		req4(c, T0 + 0.05 * i, v4(10, 0, 0, (uint8_t)i));
	for (int s = 1; s < 10; s++)
		for (int i = 0; i < 2; i++)
			req4(c, T0 + s + 0.1 * i, v4(10, 0, 1, (uint8_t)i));
	for (int s = 0; s < 10; s++)
		clients_response(c, T0 + s + 0.5, s == 3, s == 3);
	struct clients_window w[4];
	clients_windows(c, T0 + 10, w);
	assert_int_equal(w[0].requests, 28);
	assert_int_equal(w[0].responses, 10);
	assert_true(w[0].req_rate_peak == 10.0);
	assert_true(w[0].resp_rate_peak == 1.0);
	/* Ten seconds seen: the mean is over those, not over 300. */
	assert_true(fabs(w[0].req_rate_mean - 2.8) < 1e-9);
	assert_true(fabs(w[0].resp_rate_mean - 1.0) < 1e-9);
	clients_windows(c, T0 + 400, w);
	assert_int_equal(w[0].requests, 0);
	assert_true(w[0].req_rate_peak == 0.0);
	assert_int_equal(w[1].requests, 28);
	assert_true(fabs(w[1].req_rate_mean - 28.0 / 400.0) < 1e-12);
	assert_true(w[1].req_rate_peak == 10.0);
	clients_windows(c, T0 + 5000, w);
	assert_int_equal(w[2].requests, 0);
	assert_int_equal(w[3].requests, 28);
	assert_true(fabs(w[3].req_rate_mean - 28.0 / 5000.0) < 1e-12);
	struct clients_summary s;
	clients_summary(c, &s);
	assert_int_equal(s.responses, 10);
	assert_int_equal(s.kod, 1);
	assert_int_equal(s.rate_kod, 1);
	clients_free(c);
}

static void abusive(void **state)
{
	(void)state;
	clients *c = make(false);
	/* 101 requests in 50 s: abusive. */
	for (int i = 0; i <= 100; i++)
		req4(c, T0 + 0.5 * i, v4(203, 0, 113, 1));
	/* Exactly 100 within 60 s, then a pause: not more than K. */
	for (int i = 0; i < 100; i++)
		req4(c, T0 + 0.5 * i, v4(203, 0, 113, 2));
	for (int i = 0; i < 100; i++)
		req4(c, T0 + 200 + 0.5 * i, v4(203, 0, 113, 2));
	/* 101 requests spread over 70 s: at most 86 in any 60 s. */
	for (int i = 0; i <= 100; i++)
		req4(c, T0 + 400 + 0.7 * i, v4(203, 0, 113, 3));
	struct clients_talker t[4];
	size_t n = clients_abusive(c, t, 4);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].addr[3], 1);
	assert_true(t[0].abusive);
	assert_true(t[0].peak_in_period == 101.0);
	n = clients_top(c, t, 4);
	assert_int_equal(n, 3);
	/* 200 requests first, then 101 and 101 by address. */
	assert_int_equal(t[0].addr[3], 2);
	assert_int_equal(t[0].requests, 200);
	assert_false(t[0].abusive);
	assert_true(t[0].peak_in_period == 100.0);
	assert_int_equal(t[1].addr[3], 1);
	assert_int_equal(t[2].addr[3], 3);
	assert_false(t[2].abusive);
	assert_true(t[2].peak_in_period <= 86.0 && t[2].peak_in_period >= 75.0);
	struct clients_summary s;
	clients_summary(c, &s);
	assert_int_equal(s.abusive, 1);
	clients_free(c);
}

static void per_client(void **state)
{
	(void)state;
	clients *c = make(false);
	/* Client i sends i requests, 64 s apart (in time order: times must
	 * not go back by more than a few seconds). */
	for (int k = 0; k < 100; k++)
		for (int i = k + 1; i <= 100; i++)
			req4(c, T0 + 64.0 * k + i / 1024.0, v4(10, 1, 0, (uint8_t)i));
	struct clients_summary s;
	clients_summary(c, &s);
	assert_true(s.per_client_p50 == 50.0);
	assert_true(s.per_client_p90 == 90.0);
	assert_true(s.per_client_p99 == 99.0);
	assert_true(s.per_client_max == 100.0);
	const uint64_t hist[8] = { 1, 2, 4, 8, 16, 32, 37, 0 };
	for (int k = 0; k < 8; k++)
		assert_int_equal(s.per_client_hist[k], hist[k]);
	assert_int_equal(s.poll_hist[6], 99);
	assert_true(fabs(s.poll_p50 - 64.0) < 1e-3);
	clients_free(c);
}

static void poll_medians(void **state)
{
	(void)state;
	clients *c = make(false);
	const uint8_t *a = v4(10, 2, 0, 1), *b = v4(10, 2, 0, 2), *d = v4(10, 2, 0, 3);
	const uint8_t *e = v4(10, 2, 0, 4);
	/* a: iburst (4 intervals of 2 s), then five of 64 s: the last five
	 * intervals say 64. */
	double t = T0;
	req4(c, t, a);
	for (int i = 0; i < 4; i++)
		req4(c, t += 2, a);
	for (int i = 0; i < 5; i++)
		req4(c, t += 64, a);
	/* b: intervals 10, 30, 20: median 20.  d: 10 and 30: 20.  e: once. */
	double t1 = t + 1000;
	req4(c, t1, b);
	req4(c, t1, d);
	req4(c, t1 + 5, e);
	req4(c, t1 + 10, b);
	req4(c, t1 + 10, d);
	req4(c, t1 + 40, b);
	req4(c, t1 + 40, d);
	req4(c, t1 + 60, b);
	struct clients_talker tk[4];
	assert_int_equal(clients_top(c, tk, 4), 4);
	assert_int_equal(tk[0].addr[3], 1);
	assert_true(tk[0].poll_median == 64.0);
	assert_true(tk[0].first == T0);
	assert_true(tk[0].last == t);
	assert_int_equal(tk[1].addr[3], 2);
	assert_true(tk[1].poll_median == 20.0);
	assert_int_equal(tk[2].addr[3], 3);
	assert_true(tk[2].poll_median == 20.0);
	assert_int_equal(tk[3].addr[3], 4);
	assert_true(isnan(tk[3].poll_median));
	struct clients_summary s;
	clients_summary(c, &s);
	assert_true(s.poll_p50 == 20.0); /* of 20, 20, 64 */
	assert_int_equal(s.poll_hist[4], 2);
	assert_int_equal(s.poll_hist[6], 1);
	clients_free(c);
}

static void top_order(void **state)
{
	(void)state;
	clients *c = make(false);
	const int counts[] = { 5, 3, 9, 3, 1, 7 };
	for (int i = 0; i < 6; i++)
		for (int k = 0; k < counts[i]; k++)
			req4(c, T0 + k, v4(10, 3, 0, (uint8_t)(10 - i)));
	struct clients_talker t[10];
	assert_int_equal(clients_top(c, t, 3), 3);
	assert_int_equal(t[0].requests, 9);
	assert_int_equal(t[1].requests, 7);
	assert_int_equal(t[2].requests, 5);
	assert_int_equal(clients_top(c, t, 10), 6);
	assert_int_equal(t[3].requests, 3);
	assert_int_equal(t[4].requests, 3);
	assert_true(t[3].addr[3] < t[4].addr[3]); /* ties by address */
	assert_int_equal(t[5].requests, 1);
	assert_int_equal(t[0].ip_version, 4);
	assert_int_equal(clients_top(c, t, 0), 0);
	assert_int_equal(clients_abusive(c, t, 10), 0);
	clients_free(c);
}

static void interval_take(void **state)
{
	(void)state;
	clients *c = make(false);
	struct clients_interval iv;
	req4(c, T0, v4(10, 4, 0, 1));
	req4(c, T0 + 1, v4(10, 4, 0, 2));
	req4(c, T0 + 2, v4(10, 4, 0, 1));
	req(c, T0 + 2, 6, v6(0x2001, 0, 9), 4, 3);
	clients_response(c, T0 + 3, false, false);
	clients_interval_take(c, &iv);
	assert_int_equal(iv.v4, 2);
	assert_int_equal(iv.v6, 1);
	assert_int_equal(iv.requests, 4);
	assert_int_equal(iv.responses, 1);
	req4(c, T0 + 60, v4(10, 4, 0, 1));
	req4(c, T0 + 61, v4(10, 4, 0, 1));
	clients_interval_take(c, &iv);
	assert_int_equal(iv.v4, 1);
	assert_int_equal(iv.v6, 0);
	assert_int_equal(iv.requests, 2);
	clients_interval_take(c, &iv);
	assert_int_equal(iv.v4, 0);
	assert_int_equal(iv.requests, 0);
	clients_free(c);
}

/* Merged captures may step back a little: the lists stay consistent. */
static void time_steps_back(void **state)
{
	(void)state;
	clients *c = make(false);
	req4(c, T0 + 10, v4(10, 5, 0, 1));
	req4(c, T0 + 8, v4(10, 5, 0, 2));
	req4(c, T0 + 9, v4(10, 5, 0, 1));
	req4(c, NAN, v4(10, 5, 0, 3));
	req4(c, 1e300, v4(10, 5, 0, 4));
	struct clients_window w[4];
	clients_windows(c, T0 + 10, w);
	assert_int_equal(w[0].v4, 4);
	assert_int_equal(w[0].requests, 5);
	clients_windows(c, T0 + 310, w);
	assert_int_equal(w[0].v4, 0);
	clients_free(c);
}

static void approx_windows(void **state)
{
	(void)state;
	clients *c = make(true);
	/* 20000 IPv4 clients in 5000 /24s and 3000 IPv6 clients in 3000 /64s
	 * within a minute. */
	for (int i = 0; i < 20000; i++)
		req4(c, T0 + i * 0.003,
		     v4(10, (uint8_t)(i / 4 >> 8), (uint8_t)(i / 4), (uint8_t)i));
	for (int i = 0; i < 3000; i++)
		req(c, T0 + i * 0.02, 6, v6(0x2001, (uint16_t)i, 1), 4, 3);
	struct clients_window w[4];
	clients_windows(c, T0 + 60, w);
	for (int k = 0; k < 4; k++) {
		double e = w[k].rel_error;
		assert_true(fabs(e - 0.008125) < 1e-6);
		assert_true(fabs((double)w[k].v4 - 20000) <= 3 * e * 20000);
		assert_true(fabs((double)w[k].net24 - 5000) <= 3 * e * 5000);
		assert_true(fabs((double)w[k].v6 - 3000) <= 3 * e * 3000);
		assert_true(fabs((double)w[k].net64 - 3000) <= 3 * e * 3000);
		assert_int_equal(w[k].requests, 23000);
	}
	/* Old buckets drop off: after the 5-minute window (and its sub-bucket
	 * of 300/16 s) nothing is left in it; the others still count. */
	clients_windows(c, T0 + 60 + 300 + 300.0 / 16, w);
	assert_int_equal(w[0].v4, 0);
	assert_int_equal(w[0].v6, 0);
	assert_true(fabs((double)w[1].v4 - 20000) <= 3 * 0.008125 * 20000);
	/* A poller every 1024 s: in the 20-minute window. */
	for (int k = 1; k <= 3; k++)
		req4(c, T0 + 1024.0 * k, v4(198, 51, 100, 7));
	clients_windows(c, T0 + 3072 + 400, w);
	assert_int_equal(w[0].v4, 0);
	assert_int_equal(w[1].v4, 1);
	assert_int_equal(w[1].net24, 1);
	struct clients_summary s;
	clients_summary(c, &s);
	assert_int_equal(s.clients_v4, 20001);
	assert_int_equal(s.clients_v6, 3000);
	assert_true(clients_bytes(c) > 4 * 17 * 4 * 16384);
	clients_free(c);
}

/* ---- randomised comparison with a brute-force reference ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define POP 300
#define NW 3
#define AB_K 8
#define AB_T 10.0

struct ref_client {
	int ver;
	uint8_t addr[16];
	double *times;
	size_t n, cap;
	bool in_iv;
};

static uint64_t ref_prefix(const struct ref_client *r)
{
	uint64_t k = (uint64_t)r->ver << 60;
	for (int i = 0; i < (r->ver == 4 ? 3 : 8); i++)
		k ^= (uint64_t)r->addr[i] << (8 * i);
	return k;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The documented rounding of kept intervals: milliseconds, exact below
 * 2048, else to 12 significant bits. */
static double q16(double seconds)
{
	double ms = (double)llround(seconds * 1000.0);
	if (ms < 2048)
		return ms / 1000.0;
	int e;
	(void)frexp(ms, &e); /* 2^(e-1) <= ms < 2^e */
	double step = ldexp(1.0, e - 12);
	return round(ms / step) * step / 1000.0;
}

static double ref_median5(const struct ref_client *r)
{
	if (r->n < 2)
		return NAN;
	double v[5];
	size_t m = 0;
	for (size_t i = r->n - 1; i >= 1 && m < 5; i--)
		v[m++] = r->times[i] - r->times[i - 1];
	for (size_t i = 0; i < m; i++)
		v[i] = q16(v[i]);
	qsort(v, m, sizeof v[0], cmp_dbl);
	return m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
}

/* Most requests in a span: [t_i, t_i + len) if open, else [t_i, t_i + len]. */
static size_t ref_peak(const struct ref_client *r, double len, bool open)
{
	size_t best = 0, j = 0;
	for (size_t i = 0; i < r->n; i++) {
		if (j < i)
			j = i;
		while (j < r->n &&
		       (open ? r->times[j] < r->times[i] + len : r->times[j] <= r->times[i] + len))
			j++;
		if (j - i > best)
			best = j - i;
	}
	return best;
}

static void randomised(void **state)
{
	(void)state;
	const char *env = getenv("SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
	printf("# SEED=%llu\n", (unsigned long long)seed);
	rng = seed * 2654435761u + 1;
	for (int i = 0; i < 10; i++)
		rnd();

	struct clients_opts o;
	memset(&o, 0, sizeof o);
	const double win[NW] = { 30, 120, 600 };
	memcpy(o.windows, win, sizeof win);
	o.n_windows = NW;
	o.abuse_count = AB_K;
	o.abuse_period = AB_T;
	clients *c = clients_new(&o);
	assert_non_null(c);

	struct ref_client *pop = calloc(POP, sizeof pop[0]);
	for (int i = 0; i < POP; i++) {
		pop[i].ver = rnd() % 3 ? 4 : 6;
		/* Few prefixes, so that they are shared; addresses unique. */
		pop[i].addr[0] = 10;
		pop[i].addr[1] = (uint8_t)(rnd() % 3);
		pop[i].addr[2] = (uint8_t)(rnd() % 7 * 2);
		if (pop[i].ver == 4) {
			pop[i].addr[2] |= (uint8_t)(i >> 8);
			pop[i].addr[3] = (uint8_t)i;
		} else {
			pop[i].addr[14] = (uint8_t)(i >> 8);
			pop[i].addr[15] = (uint8_t)i;
		}
	}
	size_t nsec = 40000;
	uint32_t *per_sec = calloc(nsec, sizeof per_sec[0]);
	uint64_t iv_req = 0;
	double t = T0; /* on a 1/1024 s grid: exact arithmetic */
	size_t checks = 0;
	size_t burst = 0, who = 0;
	for (int ev = 0; ev < 30000; ev++) {
		if (burst == 0) {
			uint64_t r = rnd();
			if (r % 2000 == 0) /* a quiet spell, longer than some windows */
				t += (double)(rnd() % 1000);
			else if (r % 5 == 0)
				t += (double)(rnd() % 4096) / 1024.0;
			else if (r % 5 == 1)
				t += (double)(rnd() % 64) / 1024.0;
			who = rnd() % POP;
			/* Now and then a burst of 2 to 12 requests from one client,
			 * some more than AB_K within AB_T, some fewer. */
			burst = rnd() % 40 == 0 ? 2 + rnd() % 11 : 1;
		} else {
			t += (double)(rnd() % 2048) / 1024.0;
		}
		burst--;
		struct ref_client *rc = &pop[who];
		if (rc->n == rc->cap) {
			rc->cap = rc->cap ? rc->cap * 2 : 8;
			rc->times = realloc(rc->times, rc->cap * sizeof rc->times[0]);
		}
		rc->times[rc->n++] = t;
		rc->in_iv = true;
		iv_req++;
		size_t s = (size_t)(t - T0);
		assert_true(s < nsec);
		per_sec[s]++;
		req(c, t, rc->ver, rc->addr, 4, 3);

		if (rnd() % 200 == 0) {
			struct clients_interval iv;
			clients_interval_take(c, &iv);
			uint64_t n4 = 0, n6 = 0;
			for (int i = 0; i < POP; i++) {
				if (pop[i].in_iv)
					*(pop[i].ver == 4 ? &n4 : &n6) += 1;
				pop[i].in_iv = false;
			}
			assert_int_equal(iv.v4, n4);
			assert_int_equal(iv.v6, n6);
			assert_int_equal(iv.requests, iv_req);
			iv_req = 0;
		}
		if (rnd() % 50 == 0) {
			double now = t + (double)(rnd() % 4096) / 1024.0 * (rnd() % 2);
			t = now; /* later requests are not before the query */
			struct clients_window w[NW];
			clients_windows(c, now, w);
			for (int k = 0; k < NW; k++) {
				uint64_t n4 = 0, n6 = 0, p4 = 0, p6 = 0;
				uint64_t seen[POP];
				size_t ns = 0;
				for (int i = 0; i < POP; i++) {
					const struct ref_client *x = &pop[i];
					/* Seen in the last win[k] whole seconds. */
					if (!x->n ||
					    !(floor(x->times[x->n - 1]) > floor(now) - win[k]))
						continue;
					*(x->ver == 4 ? &n4 : &n6) += 1;
					uint64_t pk = ref_prefix(x);
					bool dup = false;
					for (size_t j = 0; j < ns; j++)
						dup |= seen[j] == pk;
					if (!dup) {
						seen[ns++] = pk;
						*(x->ver == 4 ? &p4 : &p6) += 1;
					}
				}
				assert_int_equal(w[k].v4, n4);
				assert_int_equal(w[k].v6, n6);
				assert_int_equal(w[k].net24, p4);
				assert_int_equal(w[k].net64, p6);
				/* Requests over whole seconds. */
				int64_t last = (int64_t)floor(now - T0);
				uint64_t sum = 0, peak = 0;
				for (int64_t x = last - (int64_t)win[k] + 1; x <= last; x++)
					if (x >= 0) {
						sum += per_sec[x];
						if (per_sec[x] > peak)
							peak = per_sec[x];
					}
				assert_int_equal(w[k].requests, sum);
				assert_true(w[k].req_rate_peak == (double)peak);
			}
			checks++;
		}
	}
	/* Whole-input statistics. */
	struct clients_summary s;
	clients_summary(c, &s);
	double counts[POP];
	size_t nc = 0;
	uint64_t n4 = 0, n6 = 0, ab = 0;
	for (int i = 0; i < POP; i++) {
		if (!pop[i].n)
			continue;
		counts[nc++] = (double)pop[i].n;
		*(pop[i].ver == 4 ? &n4 : &n6) += 1;
	}
	assert_int_equal(s.clients_v4, n4);
	assert_int_equal(s.clients_v6, n6);
	qsort(counts, nc, sizeof counts[0], cmp_dbl);
	assert_true(s.per_client_p50 == counts[(size_t)ceil(0.5 * (double)nc) - 1]);
	assert_true(s.per_client_p90 == counts[(size_t)ceil(0.9 * (double)nc) - 1]);
	assert_true(s.per_client_max == counts[nc - 1]);
	/* Every client through clients_top: per-client fields and order. */
	struct clients_talker *tk = calloc(POP, sizeof tk[0]);
	size_t n = clients_top(c, tk, POP);
	assert_int_equal(n, nc);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			assert_true(tk[i - 1].requests >= tk[i].requests);
		const struct ref_client *x = NULL;
		for (int j = 0; j < POP; j++)
			if (pop[j].ver == tk[i].ip_version &&
			    memcmp(pop[j].addr, tk[i].addr, pop[j].ver == 4 ? 4 : 16) == 0)
				x = &pop[j];
		assert_non_null(x);
		assert_int_equal(tk[i].requests, x->n);
		assert_true(fabs(tk[i].first - x->times[0]) <= 0.0005 + 1e-6); /* ms */
		assert_true(tk[i].last == x->times[x->n - 1]);
		double m = ref_median5(x);
		assert_true((isnan(m) && isnan(tk[i].poll_median)) || m == tk[i].poll_median);
		/* The documented bounds of the abuse detector. */
		size_t lo = ref_peak(x, AB_T * 7 / 8, false), hi = ref_peak(x, AB_T, true);
		if (!(tk[i].peak_in_period >= (double)lo && tk[i].peak_in_period <= (double)hi))
			printf("# peak %.0f not in [%zu, %zu]\n", tk[i].peak_in_period, lo, hi);
		assert_true(tk[i].peak_in_period >= (double)lo);
		assert_true(tk[i].peak_in_period <= (double)hi);
		assert_true(tk[i].abusive == (tk[i].peak_in_period > AB_K));
		if (hi <= AB_K)
			assert_false(tk[i].abusive);
		if (lo > AB_K)
			assert_true(tk[i].abusive);
		ab += tk[i].abusive;
	}
	assert_int_equal(s.abusive, ab);
	printf("# %zu window checks, %zu clients, %llu abusive\n", checks, nc,
	       (unsigned long long)ab);
	assert_true(ab > 0);
	free(tk);
	for (int i = 0; i < POP; i++)
		free(pop[i].times);
	free(pop);
	free(per_sec);
	clients_free(c);
}

static void bytes_per_client(void **state)
{
	(void)state;
	size_t b = clients_bytes_per_client();
	printf("# %zu bytes per client\n", b);
	assert_true(b >= 88 && b <= 200);
	clients *c = make(false);
	size_t before = clients_bytes(c);
	for (int i = 0; i < 100000; i++)
		req4(c, T0 + i * 0.01, v4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i));
	size_t per = (clients_bytes(c) - before) / 100000;
	printf("# measured %zu bytes per client (100000 clients, 391 /24s)\n", per);
	assert_true(per <= 2 * b);
	clients_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_options),	   cmocka_unit_test(poller_1024),
		cmocka_unit_test(expiry),	   cmocka_unit_test(families_and_prefixes),
		cmocka_unit_test(rates),	   cmocka_unit_test(abusive),
		cmocka_unit_test(per_client),	   cmocka_unit_test(poll_medians),
		cmocka_unit_test(top_order),	   cmocka_unit_test(interval_take),
		cmocka_unit_test(time_steps_back), cmocka_unit_test(approx_windows),
		cmocka_unit_test(randomised),	   cmocka_unit_test(bytes_per_client),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
