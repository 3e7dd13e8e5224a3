/* test_delta.c - pairing responses with requests by flow and echoed origin
 * timestamp: simple pairs, retransmits, lost, reordered and duplicate
 * replies, unmatched responses, KoD, server time and its rounding to the
 * nanosecond, exact nanoseconds at a 2026 epoch, negative wire deltas,
 * request and response keys, one-direction captures, intervals; and a
 * randomised comparison with a brute-force reference (set SEED=n to replay
 * a run). */
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

#include "analysis/delta.h"

/* Capture times are integer nanoseconds since the epoch. */
#define NS_PER_S INT64_C(1000000000)
#define SEC(x) ((int64_t)(x)*NS_PER_S)
/* A literal number of seconds as nanoseconds (exact for the literals here). */
#define S(x) ((int64_t)llround((x)*1e9))
#define T0 SEC(1700000000)
#define TIMEOUT 2.0
#define TIMEOUT_NS SEC(2)

/* Nanoseconds as delta_stats reports them: seconds, from the exact integer. */
static double secs(int64_t ns)
{
	return (double)ns / 1e9;
}

struct got {
	struct delta_pair p[64];
	size_t n;
};

static void on_pair(void *arg, const struct delta_pair *p)
{
	struct got *g = arg;
	if (g->n < 64)
		g->p[g->n] = *p;
	g->n++;
}

static struct delta_flow flow4(uint8_t client, uint16_t cport)
{
	struct delta_flow f;
	memset(&f, 0, sizeof f);
	f.ip_version = 4;
	f.client[0] = 198;
	f.client[1] = 51;
	f.client[2] = 100;
	f.client[3] = client;
	f.server[0] = 192;
	f.server[1] = 0;
	f.server[2] = 2;
	f.server[3] = 1;
	f.cport = cport;
	f.sport = 123;
	return f;
}

/* A request through the key that callers make ahead of time. */
static void req(delta *d, int64_t t, const struct delta_flow *f, uint64_t xmt)
{
	struct delta_key k;
	delta_key_make(d, f, xmt, &k);
	delta_prefetch(d, &k);
	delta_request(d, t, &k);
}

/* A response on flow f (client -> server) echoing org. */
static void resp(delta *d, int64_t t, const struct delta_flow *f, uint64_t org, uint64_t rec,
		 uint64_t xmt, bool kod)
{
	struct delta_key k;
	delta_key_make(d, f, org, &k);
	delta_prefetch(d, &k);
	delta_response(d, t, &k, rec, xmt, kod);
}

static delta *make(struct got *g)
{
	delta *d = delta_new(TIMEOUT);
	assert_non_null(d);
	memset(g, 0, sizeof *g);
	delta_on_pair(d, on_pair, g);
	return d;
}

/* An NTP timestamp of second s and fraction f (of 2^32). */
static uint64_t ntp_ts(uint32_t s, uint32_t f)
{
	return (uint64_t)s << 32 | f;
}

static void bad_timeout(void **state)
{
	(void)state;
	assert_null(delta_new(0));
	assert_null(delta_new(-1));
	assert_null(delta_new(NAN));
	delta_free(NULL);
}

static void simple_pair(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(7, 40000);
	req(d, T0, &f, 0x1111);
	/* T2 .. T3: 10 microseconds (42950 / 2^32 s, 10000.045 ns). */
	resp(d, T0 + S(0.000250), &f, 0x1111, ntp_ts(100, 0), ntp_ts(100, 42950), false);
	assert_int_equal(g.n, 1);
	assert_true(g.p[0].t_request == T0);
	assert_true(g.p[0].t_response == T0 + 250000);
	assert_true(g.p[0].wire == 250000);
	assert_true(g.p[0].server == 42950 / 4294967296.0);
	assert_false(g.p[0].kod);
	assert_int_equal(g.p[0].flow.ip_version, 4);
	assert_int_equal(g.p[0].flow.cport, 40000);
	assert_int_equal(g.p[0].flow.sport, 123);
	assert_int_equal(g.p[0].flow.client[3], 7);
	assert_int_equal(g.p[0].flow.server[3], 1);
	struct delta_stats s;
	delta_stats(d, &s);
	assert_int_equal(s.requests, 1);
	assert_int_equal(s.responses, 1);
	assert_int_equal(s.pairs, 1);
	assert_int_equal(s.unanswered + s.duplicates + s.unmatched + s.retransmits, 0);
	double w = secs(g.p[0].wire);
	assert_true(s.min == w && s.max == w && s.p50 == w);
	assert_true(s.p999 == w && w == 0.000250);
	assert_true(s.server_p50 == 10000 / 1e9); /* rounded to the nanosecond */
	assert_int_equal(s.hist[7], 1);		  /* 128 .. 256 us */
	assert_false(s.only_requests);
	assert_false(s.only_responses);
	delta_finish(d);
	delta_stats(d, &s);
	assert_int_equal(s.unanswered, 0);
	delta_free(d);
}

/* The client retransmits with a new transmit timestamp; the server answers
 * either copy. */
static void retransmit_new_xmt(void **state)
{
	(void)state;
	for (int which = 0; which < 2; which++) {
		struct got g;
		delta *d = make(&g);
		struct delta_flow f = flow4(8, 40001);
		req(d, T0, &f, 0xA);
		req(d, T0 + SEC(1), &f, 0xB);
		resp(d, T0 + S(1.0005), &f, which ? 0xB : 0xA, 0, 0, false);
		assert_int_equal(g.n, 1);
		assert_true(g.p[0].t_request == (which ? T0 + SEC(1) : T0));
		assert_true(g.p[0].wire == (which ? S(0.0005) : S(1.0005)));
		assert_true(isnan(g.p[0].server));
		delta_expire(d, T0 + SEC(1) + TIMEOUT_NS + S(0.001));
		struct delta_stats s;
		delta_stats(d, &s);
		assert_int_equal(s.requests, 2);
		assert_int_equal(s.pairs, 1);
		assert_int_equal(s.unanswered, 1);
		assert_int_equal(s.retransmits, 0); /* a new timestamp is a new request */
		assert_true(isnan(s.server_p50));
		delta_free(d);
	}
}

/* The same request seen twice (the same transmit timestamp): a retransmit,
 * and the reply pairs with the latest copy, as tshark does. */
static void retransmit_same_xmt(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(9, 40002);
	req(d, T0, &f, 0xC);
	req(d, T0 + S(0.5), &f, 0xC);
	resp(d, T0 + S(0.5003), &f, 0xC, 1, 2, false);
	assert_int_equal(g.n, 1);
	assert_true(g.p[0].t_request == T0 + S(0.5));
	assert_true(g.p[0].wire == 300000);
	delta_finish(d);
	struct delta_stats s;
	delta_stats(d, &s);
	assert_int_equal(s.requests, 2);
	assert_int_equal(s.retransmits, 1);
	assert_int_equal(s.pairs, 1);
	assert_int_equal(s.unanswered, 0);
	delta_free(d);
}

static void lost_reply(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(10, 40003);
	req(d, T0, &f, 0xD);
	delta_expire(d, T0 + TIMEOUT_NS); /* not yet: exactly the timeout */
	struct delta_stats s;
	delta_stats(d, &s);
	assert_int_equal(s.unanswered, 0);
	delta_expire(d, T0 + TIMEOUT_NS + 1); /* one nanosecond later */
	delta_stats(d, &s);
	assert_int_equal(s.unanswered, 1);
	/* A reply after the timeout matches nothing. */
	resp(d, T0 + TIMEOUT_NS + S(0.5), &f, 0xD, 1, 2, false);
	delta_stats(d, &s);
	assert_int_equal(s.unmatched, 1);
	assert_int_equal(s.pairs, 0);
	assert_int_equal(g.n, 0);
	assert_true(isnan(s.p50) && isnan(s.min) && isnan(s.max));
	/* Expiry also happens as packets arrive, without delta_expire(). */
	req(d, T0 + SEC(10), &f, 0xE);
	req(d, T0 + SEC(20), &f, 0xF);
	delta_stats(d, &s);
	assert_int_equal(s.unanswered, 2);
	delta_free(d);
}

/* Two requests outstanding on one flow, answered in reverse order. */
static void reordered(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(11, 40004);
	req(d, T0, &f, 0x100);
	req(d, T0 + S(0.1), &f, 0x200);
	resp(d, T0 + S(0.2), &f, 0x200, 1, 2, false);
	resp(d, T0 + S(0.3), &f, 0x100, 1, 2, false);
	assert_int_equal(g.n, 2);
	assert_true(g.p[0].t_request == T0 + S(0.1) && g.p[0].t_response == T0 + S(0.2));
	assert_true(g.p[1].t_request == T0 && g.p[1].t_response == T0 + S(0.3));
	assert_true(g.p[0].wire == S(0.1) && g.p[1].wire == S(0.3));
	struct delta_stats s;
	delta_stats(d, &s);
	assert_int_equal(s.pairs, 2);
	assert_int_equal(s.unmatched + s.duplicates, 0);
	assert_true(s.min == secs(g.p[0].wire) && s.max == secs(g.p[1].wire));
	delta_free(d);
}

static void duplicate_reply(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(12, 40005);
	req(d, T0, &f, 0x300);
	resp(d, T0 + S(0.01), &f, 0x300, 1, 2, false);
	resp(d, T0 + S(0.02), &f, 0x300, 1, 2, false);
	assert_int_equal(g.n, 1);
	assert_true(g.p[0].t_response == T0 + S(0.01));
	struct delta_stats s;
	delta_stats(d, &s);
	assert_int_equal(s.responses, 2);
	assert_int_equal(s.pairs, 1);
	assert_int_equal(s.duplicates, 1);
	/* The answered request is forgotten after the timeout: a late copy is
	 * unmatched then, and it was never unanswered. */
	resp(d, T0 + TIMEOUT_NS + SEC(1), &f, 0x300, 1, 2, false);
	delta_stats(d, &s);
	assert_int_equal(s.duplicates, 1);
	assert_int_equal(s.unmatched, 1);
	assert_int_equal(s.unanswered, 0);
	delta_free(d);
}

static void unmatched(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(13, 40006), other_port = flow4(13, 40007);
	struct delta_flow other_server = f, other_version = f;
	other_server.server[3] = 2;
	other_version.ip_version = 6;
	req(d, T0, &f, 0x400);
	resp(d, T0 + S(0.01), &f, 0x401, 1, 2, false);		   /* wrong origin */
	resp(d, T0 + S(0.01), &other_port, 0x400, 1, 2, false);	   /* wrong port */
	resp(d, T0 + S(0.01), &other_server, 0x400, 1, 2, false);  /* wrong server */
	resp(d, T0 + S(0.01), &other_version, 0x400, 1, 2, false); /* IPv6, same octets */
	struct delta_stats s;
	delta_stats(d, &s);
	assert_int_equal(s.unmatched, 4);
	assert_int_equal(s.pairs, 0);
	resp(d, T0 + S(0.02), &f, 0x400, 1, 2, false);
	delta_stats(d, &s);
	assert_int_equal(s.pairs, 1);
	delta_free(d);
}

static void kiss_of_death(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(14, 40008);
	req(d, T0, &f, 0x500);
	resp(d, T0 + S(0.001), &f, 0x500, 0, 0, true);
	resp(d, T0 + S(0.001), &f, 0x999, 0, 0, true); /* unmatched KoD */
	assert_int_equal(g.n, 1);
	assert_true(g.p[0].kod);
	struct delta_stats s;
	delta_stats(d, &s);
	assert_int_equal(s.kod, 2);
	assert_int_equal(s.pairs, 1);
	assert_int_equal(s.unmatched, 1);
	delta_free(d);
}

static void server_time(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(15, 40009);
	/* T2 just before an era rollover, T3 after it: 1.5 s. */
	req(d, T0, &f, 1);
	resp(d, T0 + SEC(2), &f, 1, ntp_ts(0xffffffff, 0), ntp_ts(0, 0x80000000), false);
	/* T3 before T2 (a broken server): negative. */
	req(d, T0, &f, 2);
	resp(d, T0 + S(0.1), &f, 2, ntp_ts(5, 0x80000000), ntp_ts(5, 0), false);
	/* A zero timestamp: unknown. */
	req(d, T0, &f, 3);
	resp(d, T0 + S(0.1), &f, 3, 0, ntp_ts(5, 0), false);
	assert_int_equal(g.n, 3);
	assert_true(g.p[0].server == 1.5);
	assert_true(g.p[1].server == -0.5);
	assert_true(isnan(g.p[2].server));
	struct delta_stats s;
	delta_stats(d, &s);
	assert_true(s.server_p50 == -0.5);
	assert_true(s.server_p99 == 1.5);
	delta_free(d);
}

/* server_p50 of one pair whose T3 - T2 is units of 2^-32 s. */
static double server_p50_of(int64_t units)
{
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(15, 40009);
	uint64_t rec = ntp_ts(3900000000u, 0x40000000);
	req(d, T0, &f, 7);
	resp(d, T0 + S(0.001), &f, 7, rec, rec + (uint64_t)units, false);
	assert_int_equal(g.n, 1);
	assert_true(g.p[0].server == (double)units / 4294967296.0);
	struct delta_stats s;
	delta_stats(d, &s);
	assert_true(s.server_p50 == s.server_p99);
	delta_free(d);
	return s.server_p50;
}

/* T3 - T2 goes into the percentiles rounded to the nanosecond, half away
 * from zero; one unit is 0.233 ns. */
static void server_rounding(void **state)
{
	(void)state;
	assert_true(server_p50_of(0) == 0);
	assert_true(server_p50_of(1) == 0);	 /* 0.233 ns */
	assert_true(server_p50_of(2) == 0);	 /* 0.466 ns */
	assert_true(server_p50_of(3) == 1e-9);	 /* 0.698 ns */
	assert_true(server_p50_of(-1) == 0);	 /* -0.233 ns */
	assert_true(server_p50_of(-3) == -1e-9); /* -0.698 ns */
	/* 2^22 units are 976562.5 ns exactly: half away from zero. */
	assert_true(server_p50_of(4194304) == 976563 / 1e9);
	assert_true(server_p50_of(-4194304) == -976563 / 1e9);
	assert_true(server_p50_of(4194303) == 976562 / 1e9); /* 976562.27 ns */
	/* One second, and a day (86400 * 2^32 units: 128 bits inside). */
	assert_true(server_p50_of(INT64_C(1) << 32) == 1.0);
	assert_true(server_p50_of(INT64_C(86400) << 32) == 86400.0);
	assert_true(server_p50_of(-(INT64_C(86400) << 32)) == -86400.0);
}

/* At a 2026 epoch a double of seconds since 1970 holds 0.24 us steps; the
 * nanoseconds are kept exactly, in the pair and in the statistics. */
static void exact_nanoseconds(void **state)
{
	(void)state;
	const int64_t t26 = SEC(1767225600); /* 2026-01-01 00:00:00 UTC */
	const int64_t deltas[] = { 1, 123456789 };
	const double want[] = { 1e-9, 0.123456789 };
	const unsigned bucket[] = { 0, 16 }; /* 123456 us: 2^16 .. 2^17 */
	for (size_t i = 0; i < 2; i++) {
		struct got g;
		delta *d = make(&g);
		struct delta_flow f = flow4(20, 40020);
		int64_t t = t26 + 999999999 - (int64_t)i; /* odd nanoseconds */
		req(d, t, &f, 0xabc);
		resp(d, t + deltas[i], &f, 0xabc, 0, 0, false);
		assert_int_equal(g.n, 1);
		assert_true(g.p[0].t_request == t);
		assert_true(g.p[0].t_response == t + deltas[i]);
		assert_true(g.p[0].wire == deltas[i]);
		struct delta_stats s;
		delta_stats(d, &s);
		assert_true(s.min == want[i] && s.max == want[i]);
		assert_true(s.p50 == want[i] && s.p90 == want[i] && s.p999 == want[i]);
		assert_int_equal(s.hist[bucket[i]], 1);
		delta_interval_take(d, &s);
		assert_true(s.min == want[i] && s.p50 == want[i] && s.max == want[i]);
		delta_free(d);
	}
	/* Both in one run, and 2 ns: nearest ranks of 1, 2 and 123456789 ns. */
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(21, 40021);
	req(d, t26 + 1, &f, 1);
	req(d, t26 + 2, &f, 2);
	req(d, t26 + 3, &f, 3);
	resp(d, t26 + 2, &f, 1, 0, 0, false);
	resp(d, t26 + 4, &f, 2, 0, 0, false);
	resp(d, t26 + 3 + 123456789, &f, 3, 0, 0, false);
	assert_int_equal(g.n, 3);
	assert_true(g.p[0].wire == 1 && g.p[1].wire == 2 && g.p[2].wire == 123456789);
	struct delta_stats s;
	delta_stats(d, &s);
	assert_true(s.min == 1e-9);
	assert_true(s.p50 == 2e-9);
	assert_true(s.p90 == 0.123456789 && s.max == 0.123456789);
	delta_free(d);
}

/* Merged captures from two interfaces whose clocks differ a little: a
 * response stamped before its request (fed after it) is a pair with a
 * negative wire delta; the time stepping back does not expire anything. */
static void negative_wire(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(22, 40022), h = flow4(23, 40023);
	req(d, T0 + SEC(1), &f, 0x10);
	resp(d, T0 + SEC(1) - 250000, &f, 0x10, 0, 0, false); /* 250 us before */
	assert_int_equal(g.n, 1);
	assert_true(g.p[0].wire == -250000);
	assert_true(g.p[0].t_response == T0 + SEC(1) - 250000);
	struct delta_stats s;
	delta_stats(d, &s);
	assert_true(s.min == -0.00025 && s.max == -0.00025 && s.p50 == -0.00025);
	assert_int_equal(s.hist[0], 1);
	assert_int_equal(s.unmatched + s.duplicates, 0);
	/* A request stamped earlier still than the latest time seen, less
	 * than the timeout back: pairs. */
	req(d, T0 + SEC(1) - S(0.5), &h, 0x11);
	resp(d, T0 + SEC(1) + S(0.001), &h, 0x11, 0, 0, false);
	resp(d, T0 + SEC(1) - 1, &f, 0x10, 0, 0, false); /* a duplicate */
	assert_int_equal(g.n, 2);
	assert_true(g.p[1].wire == S(0.501));
	delta_stats(d, &s);
	assert_int_equal(s.pairs, 2);
	assert_int_equal(s.duplicates, 1);
	assert_int_equal(s.unanswered, 0);
	assert_true(s.min == -0.00025 && s.max == 0.501);
	assert_true(s.p50 == -0.00025); /* rank 1 of 2 */
	/* Expiry follows the latest time: an earlier one does not undo it. */
	req(d, T0 + SEC(2), &f, 0x12);
	delta_expire(d, T0 + SEC(2) + TIMEOUT_NS + 1);
	delta_expire(d, T0);
	resp(d, T0 + SEC(2) + 1000, &f, 0x12, 0, 0, false);
	delta_stats(d, &s);
	assert_int_equal(s.unanswered, 1);
	assert_int_equal(s.unmatched, 1);
	assert_int_equal(s.pairs, 2);
	delta_free(d);
}

/* A request's key and its response's (same flow, ts = the echoed origin)
 * are the same, hash included, so that they meet in the table. */
static void key_of_response(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(24, 40024);
	struct delta_key a, b;
	delta_key_make(d, &f, 0xe95d2c3a12345678ULL, &a);
	delta_key_make(d, &f, 0xe95d2c3a12345678ULL, &b);
	assert_memory_equal(&a, &b, sizeof a);
	assert_int_equal(a.ver, 4);
	assert_int_equal(a.ts, 0xe95d2c3a12345678ULL);
	assert_int_equal(a.cport, 40024);
	assert_int_equal(a.sport, 123);
	assert_memory_equal(a.client, f.client, 4);
	assert_memory_equal(a.server, f.server, 4);
	/* IPv4: only the first 4 octets count, the rest of the key is zero. */
	struct delta_flow dirty = f;
	memset(dirty.client + 4, 0xee, 12);
	memset(dirty.server + 4, 0x55, 12);
	delta_key_make(d, &dirty, 0xe95d2c3a12345678ULL, &b);
	assert_memory_equal(&a, &b, sizeof a);
	static const uint8_t zero[12];
	assert_memory_equal(b.client + 4, zero, 12);
	assert_memory_equal(b.server + 4, zero, 12);
	delta_request(d, T0, &a);
	delta_response(d, T0 + 77, &b, 1, 2, false);
	assert_int_equal(g.n, 1);
	assert_true(g.p[0].wire == 77);
	/* Another timestamp, port or server: another key. */
	delta_key_make(d, &f, 0xe95d2c3a12345679ULL, &b);
	assert_memory_not_equal(&a, &b, sizeof a);
	struct delta_flow other = f;
	other.sport = 124;
	delta_key_make(d, &other, a.ts, &b);
	assert_memory_not_equal(&a, &b, sizeof a);
	/* IPv6: all 16 octets. */
	struct delta_flow v6 = f;
	v6.ip_version = 6;
	v6.client[15] = 9;
	delta_key_make(d, &v6, a.ts, &a);
	assert_int_equal(a.ver, 6);
	assert_int_equal(a.client[15], 9);
	v6.client[15] = 10;
	delta_key_make(d, &v6, a.ts, &b);
	assert_memory_not_equal(&a, &b, sizeof a);
	delta_free(d);
}

static void one_direction(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(16, 40010);
	for (int i = 0; i < 10; i++)
		req(d, T0 + SEC(i), &f, (uint64_t)i + 1);
	struct delta_stats s;
	delta_stats(d, &s);
	assert_true(s.only_requests);
	assert_false(s.only_responses);
	delta_free(d);

	d = make(&g);
	for (int i = 0; i < 10; i++)
		resp(d, T0 + SEC(i), &f, (uint64_t)i + 1, 1, 2, false);
	delta_stats(d, &s);
	assert_false(s.only_requests);
	assert_true(s.only_responses);
	assert_int_equal(s.unmatched, 10);
	delta_free(d);

	d = make(&g);
	delta_stats(d, &s);
	assert_false(s.only_requests || s.only_responses); /* nothing seen */
	delta_free(d);
}

static void interval_take(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow f = flow4(17, 40011);
	for (int i = 0; i < 10; i++) {
		req(d, T0 + SEC(i), &f, (uint64_t)i + 1);
		resp(d, T0 + SEC(i) + S(0.001) * (i + 1), &f, (uint64_t)i + 1, 1, 2, false);
	}
	req(d, T0 + SEC(10), &f, 99); /* still waiting */
	struct delta_stats s;
	delta_interval_take(d, &s);
	assert_int_equal(s.requests, 11);
	assert_int_equal(s.pairs, 10);
	assert_true(s.p50 == 0.005);
	assert_true(s.max == 0.010);
	for (int i = 0; i < 4; i++) {
		req(d, T0 + SEC(20 + i), &f, (uint64_t)i + 100);
		resp(d, T0 + SEC(20 + i) + S(0.1), &f, (uint64_t)i + 100, 1, 2, false);
	}
	delta_interval_take(d, &s);
	assert_int_equal(s.requests, 4);
	assert_int_equal(s.responses, 4);
	assert_int_equal(s.pairs, 4);
	assert_int_equal(s.unanswered, 1); /* the one from the previous interval */
	assert_true(s.min == 0.1);
	assert_true(s.p50 == 0.1);
	delta_interval_take(d, &s);
	assert_int_equal(s.requests + s.responses + s.pairs, 0);
	assert_true(isnan(s.p50));
	assert_false(s.only_requests || s.only_responses);
	/* The totals cover both intervals. */
	delta_stats(d, &s);
	assert_int_equal(s.requests, 15);
	assert_int_equal(s.pairs, 14);
	assert_true(s.min == 0.001);
	assert_true(s.max == 0.1);
	delta_free(d);
}

static int ref_cmp(const void *a, const void *b);

/* floor(log2(microseconds)), below 2 us 0, the top bucket open. */
static unsigned ref_bucket(int64_t ns)
{
	int64_t us = ns / 1000;
	unsigned k = 0;
	while (k + 1 < DELTA_HIST && us >= (INT64_C(2) << k))
		k++;
	return k;
}

static void percentiles(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	/* 1000 pairs on 1000 flows, wire delta i microseconds plus a few
	 * nanoseconds, added in a scrambled order. */
	int64_t want[1001];
	uint64_t hist[DELTA_HIST] = { 0 };
	for (int k = 0; k < 1000; k++) {
		int i = (k * 379) % 1000 + 1;
		struct delta_flow f = flow4((uint8_t)i, (uint16_t)(30000 + i));
		int64_t t = T0 + S(0.01) * k + k % 7;
		req(d, t, &f, (uint64_t)i);
		resp(d, t + 1000 * i + i % 3, &f, (uint64_t)i, 1, 2, false);
		want[k] = 1000 * i + i % 3;
		hist[ref_bucket(want[k])]++;
	}
	struct delta_stats s;
	delta_stats(d, &s);
	assert_int_equal(s.pairs, 1000);
	/* Exact: the very values of the pairs (nearest rank), not buckets. */
	qsort(want, 1000, sizeof want[0], ref_cmp);
	assert_true(s.min == secs(want[0]));
	assert_true(s.p50 == secs(want[499]));
	assert_true(s.p90 == secs(want[899]));
	assert_true(s.p99 == secs(want[989]));
	assert_true(s.p999 == secs(want[998]));
	assert_true(s.max == secs(want[999]));
	assert_true(s.p50 == 500002e-9); /* 500 us + 500 % 3 ns */
	assert_true(s.p99 == 990000e-9);
	assert_memory_equal(s.hist, hist, sizeof hist);
	/* More pairs after a query: sorted again with the new one. */
	struct delta_flow f = flow4(1, 1);
	req(d, T0 + SEC(20), &f, 5);
	resp(d, T0 + S(20.5), &f, 5, 1, 2, false);
	want[1000] = S(0.5);
	delta_stats(d, &s);
	assert_true(s.max == 0.5);
	assert_true(s.p50 == secs(want[500])); /* rank 501 of 1001 */
	delta_free(d);
}

static void ipv6_flows(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	struct delta_flow a, b;
	memset(&a, 0, sizeof a);
	a.ip_version = 6;
	a.client[0] = 0x20;
	a.client[1] = 0x01;
	a.client[15] = 1;
	a.server[0] = 0x20;
	a.server[1] = 0x01;
	a.server[15] = 0x7b;
	a.cport = 123;
	a.sport = 123;
	b = a;
	b.client[15] = 2;
	req(d, T0, &a, 42);
	req(d, T0, &b, 42);
	resp(d, T0 + S(0.002), &b, 42, 1, 2, false);
	resp(d, T0 + S(0.003), &a, 42, 1, 2, false);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.p[0].flow.ip_version, 6);
	assert_int_equal(g.p[0].flow.client[15], 2);
	assert_int_equal(g.p[1].flow.client[15], 1);
	assert_memory_equal(g.p[1].flow.server, a.server, 16);
	assert_true(g.p[0].wire == S(0.002));
	assert_true(g.p[1].wire == S(0.003));
	delta_free(d);
}

static void finish_and_memory(void **state)
{
	(void)state;
	struct got g;
	delta *d = make(&g);
	size_t empty = delta_bytes(d);
	/* 100000 requests a second apart: with a 2 s timeout at most three are
	 * waiting at any time, so the table stays small. */
	for (int i = 0; i < 100000; i++) {
		struct delta_flow f = flow4((uint8_t)i, (uint16_t)i);
		req(d, T0 + SEC(i), &f, (uint64_t)i);
	}
	assert_true(delta_bytes(d) <= empty + 4096);
	struct delta_stats s;
	delta_stats(d, &s);
	assert_int_equal(s.unanswered, 99997); /* three are still waiting */
	delta_finish(d);
	delta_stats(d, &s);
	assert_int_equal(s.unanswered, 100000);
	/* 100000 outstanding at once: the table grows, then empties. */
	for (int i = 0; i < 100000; i++) {
		struct delta_flow f = flow4((uint8_t)i, (uint16_t)i);
		req(d, T0 + SEC(200000), &f, (uint64_t)i);
	}
	size_t full = delta_bytes(d);
	printf("# %zu bytes with 100000 requests waiting\n", full);
	assert_true(full > empty + 100000 * 56);
	delta_finish(d);
	delta_stats(d, &s);
	assert_int_equal(s.unanswered, 200000);
	delta_free(d);
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

enum { R_PENDING, R_ANSWERED, R_GONE };

struct ref_req {
	int flow;
	uint64_t xmt;
	int64_t t;
	int state;
};

struct ref {
	struct ref_req *r;
	size_t n, cap;
	uint64_t requests, responses, pairs, unanswered, retransmits, duplicates, unmatched, kod;
	int64_t *wire;
	size_t nwire;
};

/* Long enough for a few hundred requests to wait at once: the table grows
 * while retransmits leave dead entries in it. */
#define RTIMEOUT 100.0
#define RTIMEOUT_NS SEC(100)

static void ref_expire(struct ref *x, int64_t now)
{
	size_t keep = 0;
	for (size_t i = 0; i < x->n; i++) {
		if (x->r[i].state != R_GONE && now - x->r[i].t > RTIMEOUT_NS) {
			if (x->r[i].state == R_PENDING)
				x->unanswered++;
			x->r[i].state = R_GONE;
		}
		if (x->r[i].state != R_GONE)
			x->r[keep++] = x->r[i];
	}
	x->n = keep;
}

static struct ref_req *ref_find(struct ref *x, int flow, uint64_t ts)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->r[i].state != R_GONE && x->r[i].flow == flow && x->r[i].xmt == ts)
			return &x->r[i];
	return NULL;
}

struct rgot {
	struct delta_pair *p;
	size_t n, cap;
};

static void on_rpair(void *arg, const struct delta_pair *p)
{
	struct rgot *g = arg;
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 256;
		g->p = realloc(g->p, g->cap * sizeof g->p[0]);
	}
	g->p[g->n++] = *p;
}

static int ref_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest rank, in nanoseconds (sorts v). */
static int64_t ref_q(int64_t *v, size_t n, double p)
{
	assert_true(n > 0);
	qsort(v, n, sizeof v[0], ref_cmp);
	double r = ceil(p * (double)n);
	size_t k = r < 1 ? 1 : (size_t)r;
	return v[(k > n ? n : k) - 1];
}

#define NFLOW 12

/* One --every row: the differences of the reference's counters since the
 * previous take, and percentiles of the pairs made since. */
static void check_interval(const struct delta_stats *iv, const struct ref *x,
			   const struct ref *last, const struct delta_pair *p, size_t n)
{
	assert_int_equal(iv->requests, x->requests - last->requests);
	assert_int_equal(iv->responses, x->responses - last->responses);
	assert_int_equal(iv->pairs, x->pairs - last->pairs);
	assert_int_equal(iv->unanswered, x->unanswered - last->unanswered);
	assert_int_equal(iv->retransmits, x->retransmits - last->retransmits);
	assert_int_equal(iv->duplicates, x->duplicates - last->duplicates);
	assert_int_equal(iv->unmatched, x->unmatched - last->unmatched);
	assert_int_equal(iv->kod, x->kod - last->kod);
	assert_int_equal(iv->pairs, n);
	int64_t *w = malloc((n + 1) * sizeof w[0]);
	for (size_t i = 0; i < n; i++)
		w[i] = p[i].t_response - p[i].t_request;
	if (n == 0) {
		assert_true(isnan(iv->p50) && isnan(iv->min));
	} else {
		assert_true(iv->p50 == secs(ref_q(w, n, 0.5)));
		assert_true(iv->p99 == secs(ref_q(w, n, 0.99)));
		assert_true(iv->min == secs(w[0]) && iv->max == secs(w[n - 1]));
	}
	free(w);
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

	delta *d = delta_new(RTIMEOUT);
	struct rgot got = { 0 };
	delta_on_pair(d, on_rpair, &got);
	struct ref x;
	memset(&x, 0, sizeof x);
	struct delta_flow flows[NFLOW];
	for (int i = 0; i < NFLOW; i++) {
		flows[i] = flow4((uint8_t)(i % 5), (uint16_t)(40000 + i / 5));
		if (i % 4 == 3) {
			flows[i].ip_version = 6;
			flows[i].client[15] = (uint8_t)i;
		}
	}
	size_t nexpected = 0, cap_expected = 0, max_live = 0, iv_from = 0, takes = 0;
	struct ref xlast;
	memset(&xlast, 0, sizeof xlast);
	struct delta_pair *expected = NULL;
	/* t: the time of the merged capture, at a 2026 epoch; a response is
	 * sometimes stamped a little before it (another interface's clock).
	 * Expiry follows the latest time seen, in delta.c as here. */
	int64_t t = SEC(1767225600) + 123456789, now = t;
	uint64_t next_xmt = 1;
	int recent_flow[16] = { 0 };
	uint64_t recent_xmt[16] = { 0 };
	size_t recent = 0, negative = 0;
	for (int ev = 0; ev < 40000; ev++) {
		uint64_t r = rnd();
		if (r % 3 == 0)
			t += (int64_t)(rnd() % NS_PER_S); /* up to a second, any nanosecond */
		int fl = (int)(rnd() % NFLOW);
		if (rnd() % 2) {
			/* A request: usually new, sometimes a repeat of a recent
			 * transmit timestamp (a retransmit). */
			uint64_t ts = rnd() % 8 == 0 && next_xmt > 1 ? next_xmt - 1 - rnd() % 3
								     : next_xmt++;
			if (ts == 0)
				ts = next_xmt++;
			now = t > now ? t : now;
			ref_expire(&x, now);
			if (x.n > max_live)
				max_live = x.n;
			req(d, t, &flows[fl], ts);
			x.requests++;
			struct ref_req *old = ref_find(&x, fl, ts);
			if (old) {
				x.retransmits++;
				old->state = R_GONE;
			}
			if (x.n == x.cap) {
				x.cap = x.cap ? x.cap * 2 : 1024;
				x.r = realloc(x.r, x.cap * sizeof x.r[0]);
			}
			x.r[x.n++] = (struct ref_req){ fl, ts, t, R_PENDING };
			recent_flow[recent % 16] = fl;
			recent_xmt[recent % 16] = ts;
			recent++;
		} else {
			/* A response: to a recent request (pending, answered or
			 * expired), to its timestamp on another flow, or to
			 * nothing. */
			size_t k = rnd() % 16;
			uint64_t org = recent_xmt[k];
			uint64_t how = rnd() % 10;
			if (how == 0)
				org = rnd();
			else if (how > 1)
				fl = recent_flow[k];
			bool kod = rnd() % 20 == 0;
			int64_t tr = t;
			if (rnd() % 16 == 0)
				tr -= (int64_t)(rnd() % 1000000); /* up to 1 ms early */
			now = tr > now ? tr : now;
			ref_expire(&x, now);
			if (x.n > max_live)
				max_live = x.n;
			resp(d, tr, &flows[fl], org, ntp_ts(1, 0), ntp_ts(1, 4295), kod);
			x.responses++;
			x.kod += kod;
			struct ref_req *q = ref_find(&x, fl, org);
			if (!q) {
				x.unmatched++;
			} else if (q->state == R_ANSWERED) {
				x.duplicates++;
			} else {
				q->state = R_ANSWERED;
				x.pairs++;
				if (nexpected == cap_expected) {
					cap_expected = cap_expected ? 2 * cap_expected : 1024;
					expected = realloc(expected,
							   cap_expected * sizeof expected[0]);
				}
				struct delta_pair *e = &expected[nexpected++];
				e->t_request = q->t;
				e->t_response = tr;
				e->kod = kod;
				e->flow = flows[q->flow];
				negative += tr < q->t;
			}
		}
		if (rnd() % 300 == 0) {
			struct delta_stats iv;
			delta_interval_take(d, &iv);
			check_interval(&iv, &x, &xlast, expected + iv_from, nexpected - iv_from);
			xlast = x;
			iv_from = nexpected;
			takes++;
		}
	}
	ref_expire(&x, now);
	for (size_t i = 0; i < x.n; i++)
		if (x.r[i].state == R_PENDING)
			x.unanswered++;
	delta_finish(d);

	assert_int_equal(got.n, nexpected);
	x.wire = malloc((nexpected + 1) * sizeof x.wire[0]);
	for (size_t i = 0; i < nexpected; i++) {
		const struct delta_pair *a = &got.p[i], *e = &expected[i];
		assert_true(a->t_request == e->t_request);
		assert_true(a->t_response == e->t_response);
		assert_true(a->wire == e->t_response - e->t_request);
		assert_true(a->kod == e->kod);
		assert_int_equal(a->flow.ip_version, e->flow.ip_version);
		assert_int_equal(a->flow.cport, e->flow.cport);
		assert_int_equal(a->flow.sport, e->flow.sport);
		assert_memory_equal(a->flow.client, e->flow.client,
				    e->flow.ip_version == 6 ? 16 : 4);
		assert_memory_equal(a->flow.server, e->flow.server,
				    e->flow.ip_version == 6 ? 16 : 4);
		assert_true(a->server == 4295 / 4294967296.0);
		x.wire[x.nwire++] = a->wire;
	}
	struct delta_stats s;
	delta_stats(d, &s);
	printf("# %llu requests, %llu pairs (%zu negative), %llu unanswered, %llu retransmits, "
	       "%llu duplicates, %llu unmatched\n",
	       (unsigned long long)s.requests, (unsigned long long)s.pairs, negative,
	       (unsigned long long)s.unanswered, (unsigned long long)s.retransmits,
	       (unsigned long long)s.duplicates, (unsigned long long)s.unmatched);
	assert_int_equal(s.requests, x.requests);
	assert_int_equal(s.responses, x.responses);
	assert_int_equal(s.pairs, x.pairs);
	assert_int_equal(s.unanswered, x.unanswered);
	assert_int_equal(s.retransmits, x.retransmits);
	assert_int_equal(s.duplicates, x.duplicates);
	assert_int_equal(s.unmatched, x.unmatched);
	assert_int_equal(s.kod, x.kod);
	printf("# at most %zu requests waiting at once, %zu intervals\n", max_live, takes);
	assert_true(max_live > 256); /* more than the first table holds */
	assert_true(s.pairs > 1000 && s.unanswered > 100 && s.retransmits > 100);
	assert_true(s.duplicates > 100 && s.unmatched > 1000);
	assert_true(s.p50 == secs(ref_q(x.wire, x.nwire, 0.5)));
	assert_true(s.p90 == secs(ref_q(x.wire, x.nwire, 0.9)));
	assert_true(s.p99 == secs(ref_q(x.wire, x.nwire, 0.99)));
	assert_true(s.p999 == secs(ref_q(x.wire, x.nwire, 0.999)));
	assert_true(s.min == secs(x.wire[0]) && s.max == secs(x.wire[x.nwire - 1]));
	/* T3 - T2 = 4295 units = 1000.02 ns. */
	assert_true(s.server_p50 == 1000 / 1e9 && s.server_p99 == 1000 / 1e9);
	free(x.wire);
	free(x.r);
	free(expected);
	free(got.p);
	delta_free(d);
}

/* ---- the histogram past QS_EXACT_MAX ----
 * Reached with a small threshold: delta.c compiled once more into this test
 * with its exported functions renamed (function-like macros, so that struct
 * delta_stats and struct delta_key keep their names; chrony's unit tests
 * include their sources the same way). */
#define QS_EXACT_MAX 4096
#define delta_new(...) small_delta_new(__VA_ARGS__)
#define delta_free(...) small_delta_free(__VA_ARGS__)
#define delta_on_pair(...) small_delta_on_pair(__VA_ARGS__)
#define delta_key_make(...) small_delta_key_make(__VA_ARGS__)
#define delta_answer(...) small_delta_answer(__VA_ARGS__)
#define delta_prefetch(...) small_delta_prefetch(__VA_ARGS__)
#define delta_request(...) small_delta_request(__VA_ARGS__)
#define delta_response(...) small_delta_response(__VA_ARGS__)
#define delta_expire(...) small_delta_expire(__VA_ARGS__)
#define delta_stats(...) small_delta_stats(__VA_ARGS__)
#define delta_interval_take(...) small_delta_interval_take(__VA_ARGS__)
#define delta_finish(...) small_delta_finish(__VA_ARGS__)
#define delta_bytes(...) small_delta_bytes(__VA_ARGS__)
delta *delta_new(double timeout);
void delta_free(delta *d);
void delta_on_pair(delta *d, void (*fn)(void *arg, const struct delta_pair *p), void *arg);
void delta_key_make(const delta *d, const struct delta_flow *f, uint64_t ts, struct delta_key *k);
void delta_answer(delta *d, int64_t t, const struct delta_key *k, bool has_server, int64_t server,
		  bool kod);
void delta_prefetch(const delta *d, const struct delta_key *k);
void delta_request(delta *d, int64_t t, const struct delta_key *k);
void delta_response(delta *d, int64_t t, const struct delta_key *k, uint64_t rec, uint64_t xmt,
		    bool kod);
void delta_expire(delta *d, int64_t now);
void delta_stats(delta *d, struct delta_stats *out);
void delta_interval_take(delta *d, struct delta_stats *out);
void delta_finish(delta *d);
size_t delta_bytes(const delta *d);
#include "analysis/delta.c"

static void small_pair(delta *d, int64_t t, int64_t w, const struct delta_flow *f, uint64_t xmt)
{
	struct delta_key k;
	small_delta_key_make(d, f, xmt, &k);
	small_delta_request(d, t, &k);
	small_delta_response(d, t + w, &k, 0, 0, false);
}

static bool within(double got, double want, double rel)
{
	if (fabs(got - want) <= rel * fabs(want))
		return true;
	printf("# %.12g not within %g of %.12g\n", got, rel, want);
	return false;
}

static void histogram_fallback(void **state)
{
	(void)state;
	delta *d = small_delta_new(2.0);
	enum { N = 31000, EVERY = 3000 }; /* the last 1000 in an open interval */
	int64_t *all = malloc(N * sizeof all[0]), *iv = malloc(N * sizeof iv[0]);
	size_t niv = 0;
	uint64_t r = 88172645463325252ULL;
	/* Log-uniform deltas from 0.8 us to 0.13 s, and a few negative ones. */
	for (size_t i = 0; i < N; i++) {
		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		int64_t w = S(exp(-14 + (double)(r % 1000000) / 1000000 * 12));
		if (i % 1000 == 999)
			w = -w;
		struct delta_flow f = flow4((uint8_t)i, (uint16_t)(i >> 8));
		small_pair(d, T0 + S(0.001) * (int64_t)i, w, &f, i + 1);
		all[i] = w;
		iv[niv++] = w;
		if (i % EVERY == EVERY - 1) {
			/* An interval below the threshold stays exact. */
			struct delta_stats s;
			small_delta_interval_take(d, &s);
			assert_int_equal(s.pairs, niv);
			assert_true(s.p50 == secs(ref_q(iv, niv, 0.5)));
			assert_true(s.p99 == secs(ref_q(iv, niv, 0.99)));
			assert_true(s.min == secs(iv[0]) && s.max == secs(iv[niv - 1]));
			niv = 0;
		}
	}
	/* The closed intervals went to the histogram: within 1/2048. */
	struct delta_stats s;
	small_delta_stats(d, &s);
	assert_int_equal(s.pairs, N);
	assert_true(within(s.p50, secs(ref_q(all, N, 0.5)), 1.0 / 2048));
	assert_true(within(s.p90, secs(ref_q(all, N, 0.9)), 1.0 / 2048));
	assert_true(within(s.p99, secs(ref_q(all, N, 0.99)), 1.0 / 2048));
	assert_true(within(s.p999, secs(ref_q(all, N, 0.999)), 1.0 / 2048));
	/* min and max stay exact */
	assert_true(s.min == secs(all[0]) && s.max == secs(all[N - 1]));
	assert_true(small_delta_bytes(d) >= HDR_N * sizeof(uint64_t));
	/* A single interval past the threshold too. */
	delta *e = small_delta_new(2.0);
	for (size_t i = 0; i < 5000; i++) {
		struct delta_flow f = flow4((uint8_t)i, (uint16_t)(i >> 8));
		small_pair(e, T0 + S(0.001) * (int64_t)i, S(1e-4) * (int64_t)(i + 1), &f, i + 1);
	}
	small_delta_interval_take(e, &s);
	assert_int_equal(s.pairs, 5000);
	assert_true(within(s.p50, 0.25, 1.0 / 2048));
	assert_true(s.max == 0.5 && s.min == 0.0001);
	small_delta_stats(e, &s);
	assert_true(within(s.p50, 0.25, 1.0 / 2048));
	assert_true(s.max == 0.5 && s.min == 0.0001);
	small_delta_free(e);
	small_delta_free(d);
	free(all);
	free(iv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_timeout),	      cmocka_unit_test(simple_pair),
		cmocka_unit_test(retransmit_new_xmt), cmocka_unit_test(retransmit_same_xmt),
		cmocka_unit_test(lost_reply),	      cmocka_unit_test(reordered),
		cmocka_unit_test(duplicate_reply),    cmocka_unit_test(unmatched),
		cmocka_unit_test(kiss_of_death),      cmocka_unit_test(server_time),
		cmocka_unit_test(server_rounding),    cmocka_unit_test(exact_nanoseconds),
		cmocka_unit_test(negative_wire),      cmocka_unit_test(key_of_response),
		cmocka_unit_test(one_direction),      cmocka_unit_test(interval_take),
		cmocka_unit_test(percentiles),	      cmocka_unit_test(ipv6_flows),
		cmocka_unit_test(finish_and_memory),  cmocka_unit_test(randomised),
		cmocka_unit_test(histogram_fallback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
