/* test_outage.c - outage detection (analysis/outage) and the DNS messages of
 * the prober (net/probe): isolated losses against outages and the min_lost
 * boundary, duration and RTT before and after, answers out of order, late
 * answers, error replies, outages at the start and at the end, probes still
 * in flight at the end, the order checks; reasons (timeouts and failures by
 * reason per outage and per run, the first reason, the table's limit); a
 * randomised comparison with a brute-force reference (TEST_SEED=n replays a
 * run); DNS query encoding (known answers, bad names) and the reply checks'
 * rejections (truncated header or question, wrong ID, QR not set, opcode,
 * question), with every truncation of a good reply and random bytes; the
 * reasons said for errors from a socket's error queue (ICMP and ICMPv6
 * errors by type and code, with and without their sender, local errors,
 * redirects and source quench), the same words from a type, code and
 * sender; ICMP errors to echo requests as a raw socket delivers them
 * (captured from a router, variants, every truncation, random bytes and
 * mutations). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/errqueue.h> /* after <time.h>: it uses struct timespec */

#include "analysis/outage.h"
#include "net/probe.h"

#define IV 0.1 /* the probe interval of most tests */
#define RTT 0.001

static uint64_t test_seed;

static outage_det *det(unsigned min_lost)
{
	struct outage_cfg c = { 1.0, min_lost };
	outage_det *d = outage_new(&c);
	assert_non_null(d);
	return d;
}

/* Sends probe seq at seq * IV. */
static void send_at(outage_det *d, uint64_t seq)
{
	assert_int_equal(outage_sent(d, seq, (double)seq * IV), 0);
}

/* Probes from..to-1 sent and answered at once (RTT), in order. */
static void good_run(outage_det *d, uint64_t from, uint64_t to)
{
	for (uint64_t s = from; s < to; s++) {
		send_at(d, s);
		assert_int_equal(outage_answered(d, s, (double)s * IV + RTT), 0);
	}
}

/* Probes from..to-1 sent, never answered. */
static void lost_run(outage_det *d, uint64_t from, uint64_t to)
{
	for (uint64_t s = from; s < to; s++)
		send_at(d, s);
}

static size_t drain(outage_det *d, struct outage_event *ev, size_t max)
{
	size_t n = 0;
	struct outage_event e;
	while (outage_next_event(d, &e)) {
		if (n < max)
			ev[n] = e;
		n++;
	}
	return n;
}

static void test_no_loss(void **state)
{
	(void)state;
	outage_det *d = det(3);
	good_run(d, 0, 50);
	outage_finish(d, 5.0);
	struct outage_event ev;
	assert_false(outage_next_event(d, &ev));
	const struct outage_stats *s = outage_stats(d);
	assert_int_equal(s->sent, 50);
	assert_int_equal(s->answered, 50);
	assert_int_equal(s->lost, 0);
	assert_int_equal(s->outages, 0);
	assert_int_equal(s->in_flight, 0);
	assert_float_equal(s->rtt_min, RTT, 1e-12);
	assert_float_equal(s->rtt_max, RTT, 1e-12);
	outage_free(d);
}

/* k lost probes between good ones, min_lost 3: 1 and 2 are isolated
 * losses, 3 (the boundary) is an outage. */
static void lost_between(unsigned min_lost, uint64_t k, size_t *events, uint64_t *isolated)
{
	outage_det *d = det(min_lost);
	good_run(d, 0, 10);
	lost_run(d, 10, 10 + k);
	good_run(d, 10 + k, 40);
	(void)outage_expire(d, 10.0);
	struct outage_event ev[4];
	*events = drain(d, ev, 4);
	*isolated = outage_stats(d)->isolated;
	assert_int_equal(outage_stats(d)->lost, k);
	outage_free(d);
}

static void test_isolated_vs_outage(void **state)
{
	(void)state;
	size_t n;
	uint64_t iso;
	lost_between(3, 1, &n, &iso);
	assert_int_equal(n, 0);
	assert_int_equal(iso, 1);
	lost_between(3, 2, &n, &iso);
	assert_int_equal(n, 0);
	assert_int_equal(iso, 2);
	lost_between(3, 3, &n, &iso);
	assert_int_equal(n, 1);
	assert_int_equal(iso, 0);
	lost_between(1, 1, &n, &iso);
	assert_int_equal(n, 1);
	lost_between(2, 1, &n, &iso);
	assert_int_equal(n, 0);
	lost_between(2, 2, &n, &iso);
	assert_int_equal(n, 1);
}

/* 20 probes lost (seq 10..29): the outage lasts from the answer to 9 to the
 * answer to 30, with their RTTs. */
static void test_duration_and_rtt(void **state)
{
	(void)state;
	outage_det *d = det(3);
	good_run(d, 0, 9);
	send_at(d, 9);
	assert_int_equal(outage_answered(d, 9, 0.9 + 0.004), 0);
	lost_run(d, 10, 30);
	send_at(d, 30);
	assert_int_equal(outage_answered(d, 30, 3.0 + 0.002), 0);
	/* 10..29 are not judged yet: no event before they time out. */
	struct outage_event ev[2];
	assert_int_equal(drain(d, ev, 2), 0);
	assert_int_equal(outage_expire(d, 3.85), 19); /* 10..28 sent at <= 2.85 */
	assert_int_equal(drain(d, ev, 2), 0);
	assert_int_equal(outage_expire(d, 3.95), 1);
	assert_int_equal(drain(d, ev, 2), 1);
	assert_true(ev[0].have_before);
	assert_true(ev[0].ended);
	assert_int_equal(ev[0].before.seq, 9);
	assert_int_equal(ev[0].after.seq, 30);
	assert_float_equal(ev[0].before.at, 0.904, 1e-9);
	assert_float_equal(ev[0].before.rtt, 0.004, 1e-9);
	assert_float_equal(ev[0].after.at, 3.002, 1e-9);
	assert_float_equal(ev[0].after.rtt, 0.002, 1e-9);
	assert_float_equal(ev[0].duration, 3.002 - 0.904, 1e-9);
	assert_int_equal(ev[0].first_seq, 10);
	assert_int_equal(ev[0].lost, 20);
	assert_int_equal(ev[0].failed, 0);
	assert_float_equal(ev[0].first_lost_sent, 1.0, 1e-9);
	assert_float_equal(ev[0].last_lost_sent, 2.9, 1e-9);
	const struct outage_stats *s = outage_stats(d);
	assert_int_equal(s->outages, 1);
	assert_float_equal(s->longest, 3.002 - 0.904, 1e-9);
	assert_float_equal(s->total, 3.002 - 0.904, 1e-9);
	outage_free(d);
}

/* Answers come back in any order; the verdict is by send order. */
static void test_out_of_order(void **state)
{
	(void)state;
	outage_det *d = det(2);
	for (uint64_t s = 0; s < 6; s++)
		send_at(d, s);
	/* 5, 4, 3 answered; 1, 2 lost; 0 answered last */
	assert_int_equal(outage_answered(d, 5, 0.51), 0);
	assert_int_equal(outage_answered(d, 4, 0.52), 0);
	assert_int_equal(outage_answered(d, 3, 0.53), 0);
	assert_int_equal(outage_answered(d, 0, 0.54), 0);
	struct outage_event ev[2];
	assert_int_equal(drain(d, ev, 2), 0);
	assert_true(fabs(outage_next_expiry(d) - 1.1) < 1e-9);
	assert_int_equal(outage_expire(d, 1.2), 2);
	assert_int_equal(drain(d, ev, 2), 1);
	assert_int_equal(ev[0].before.seq, 0);
	assert_int_equal(ev[0].after.seq, 3);
	assert_int_equal(ev[0].lost, 2);
	assert_true(fabs(ev[0].duration - (0.53 - 0.54)) < 1e-9); /* answers crossed */
	assert_true(outage_next_expiry(d) < 0);
	outage_free(d);
}

/* An answer after the timeout is lost (and late); one after the probe
 * expired is -ENOENT and late; a second answer -ENOENT and not late. */
static void test_late(void **state)
{
	(void)state;
	outage_det *d = det(3);
	send_at(d, 0);
	send_at(d, 1);
	send_at(d, 2);
	assert_int_equal(outage_answered(d, 0, 1.0), 0); /* exactly the timeout: in time */
	assert_int_equal(outage_answered(d, 1, 1.2), 0); /* 1.1 s: late */
	assert_int_equal(outage_expire(d, 1.2), 1);	 /* 2 expires */
	assert_int_equal(outage_answered(d, 2, 1.25), -ENOENT);
	assert_int_equal(outage_answered(d, 0, 1.3), -ENOENT); /* a duplicate */
	assert_int_equal(outage_answered(d, 7, 1.3), -ENOENT); /* never sent */
	const struct outage_stats *s = outage_stats(d);
	assert_int_equal(s->answered, 1);
	assert_int_equal(s->lost, 2);
	assert_int_equal(s->late, 2);
	outage_free(d);
}

/* Error replies end a probe at once and count in an outage. */
static void test_failed(void **state)
{
	(void)state;
	outage_det *d = det(3);
	good_run(d, 0, 5);
	for (uint64_t s = 5; s < 10; s++) {
		send_at(d, s);
		assert_int_equal(outage_failed(d, s, (double)s * IV + 0.0005, "REFUSED"), 0);
	}
	good_run(d, 10, 12);
	struct outage_event ev[2];
	assert_int_equal(drain(d, ev, 2), 1); /* no expiry needed */
	assert_int_equal(ev[0].lost, 5);
	assert_int_equal(ev[0].failed, 5);
	assert_int_equal(ev[0].timeouts, 0);
	assert_string_equal(ev[0].first_reason, "REFUSED");
	assert_int_equal(ev[0].n_reasons, 1);
	assert_string_equal(ev[0].reasons[0].why, "REFUSED");
	assert_int_equal(ev[0].reasons[0].count, 5);
	assert_int_equal(outage_stats(d)->failed, 5);
	assert_int_equal(outage_stats(d)->lost, 0);
	assert_int_equal(outage_failed(d, 3, 1.5, "REFUSED"), -ENOENT);
	/* an error after the timeout: lost, like a late answer */
	send_at(d, 12);
	assert_int_equal(outage_failed(d, 12, 1.2 + 1.5, "REFUSED"), 0);
	assert_int_equal(outage_stats(d)->lost, 1);
	assert_int_equal(outage_stats(d)->failed, 5);
	outage_free(d);
}

/* Reasons: an outage of timeouts and two ICMP errors counts each, and says
 * its first; isolated failures count in the run's table only; NULL and ""
 * are "error"; a long reason is cut; past OUTAGE_REASONS distinct reasons
 * new ones are "other". */
static void test_reasons(void **state)
{
	(void)state;
	outage_det *d = det(3);
	good_run(d, 0, 5);
	lost_run(d, 5, 7); /* 5, 6: time out */
	for (uint64_t s = 7; s < 12; s++) {
		send_at(d, s);
		assert_int_equal(outage_failed(d, s, (double)s * IV + 0.0002,
					       s % 2 ? "port unreachable from 192.0.2.1"
						     : "host unreachable from 192.0.2.254"),
				 0);
	}
	good_run(d, 12, 14);
	(void)outage_expire(d, 2.0);
	struct outage_event ev[2];
	assert_int_equal(drain(d, ev, 2), 1);
	assert_int_equal(ev[0].lost, 7);
	assert_int_equal(ev[0].failed, 5);
	assert_int_equal(ev[0].timeouts, 2);
	assert_string_equal(ev[0].first_reason, "timeout");
	assert_int_equal(ev[0].n_reasons, 2);
	assert_string_equal(ev[0].reasons[0].why, "port unreachable from 192.0.2.1"); /* 7 */
	assert_int_equal(ev[0].reasons[0].count, 3);				      /* 7, 9, 11 */
	assert_string_equal(ev[0].reasons[1].why, "host unreachable from 192.0.2.254");
	assert_int_equal(ev[0].reasons[1].count, 2);
	assert_int_equal(ev[0].reasons_other, 0);

	/* An isolated failure, then an outage that starts with a failure. */
	send_at(d, 14);
	assert_int_equal(outage_failed(d, 14, 1.401, NULL), 0);
	good_run(d, 15, 16);
	for (uint64_t s = 16; s < 19; s++) {
		send_at(d, s);
		assert_int_equal(outage_failed(d, s, (double)s * IV + 0.001, ""), 0);
	}
	send_at(d, 19); /* times out */
	good_run(d, 20, 21);
	(void)outage_expire(d, 3.0);
	assert_int_equal(drain(d, ev, 2), 1);
	assert_string_equal(ev[0].first_reason, "error");
	assert_int_equal(ev[0].timeouts, 1);
	assert_int_equal(ev[0].n_reasons, 1);
	assert_string_equal(ev[0].reasons[0].why, "error");
	assert_int_equal(ev[0].reasons[0].count, 3);
	const struct outage_stats *st = outage_stats(d);
	assert_int_equal(st->isolated, 1);
	assert_int_equal(st->failed, 9);
	assert_int_equal(st->lost, 3);
	assert_int_equal(st->n_reasons, 3);
	assert_string_equal(st->reasons[2].why, "error");
	assert_int_equal(st->reasons[2].count, 4); /* the isolated one too */
	assert_int_equal(st->reasons_other, 0);
	outage_free(d);

	/* The table fills: OUTAGE_REASONS distinct, then "other"; a long
	 * reason is cut to OUTAGE_REASON_LEN - 1. */
	d = det(1);
	char why[200];
	uint64_t s = 0;
	for (; s < OUTAGE_REASONS + 3; s++) {
		send_at(d, s);
		snprintf(why, sizeof why, "reason %llu %0150d", (unsigned long long)s, 0);
		assert_int_equal(outage_failed(d, s, (double)s * IV + 0.001, why), 0);
	}
	good_run(d, s, s + 1);
	assert_int_equal(drain(d, ev, 2), 1);
	assert_int_equal(ev[0].failed, OUTAGE_REASONS + 3);
	assert_int_equal(ev[0].n_reasons, OUTAGE_REASONS);
	assert_int_equal(ev[0].reasons_other, 3);
	assert_int_equal(strlen(ev[0].reasons[0].why), OUTAGE_REASON_LEN - 1);
	assert_memory_equal(ev[0].reasons[0].why, "reason 0 000", 12);
	assert_memory_equal(ev[0].first_reason, "reason 0 000", 12);
	st = outage_stats(d);
	assert_int_equal(st->n_reasons, OUTAGE_REASONS);
	assert_int_equal(st->reasons_other, 3);
	assert_int_equal(st->reasons[OUTAGE_REASONS - 1].count, 1);
	/* an outage whose first reason is not told apart */
	send_at(d, s + 1);
	assert_int_equal(outage_failed(d, s + 1, (double)(s + 1) * IV + 0.001, "one more"), 0);
	good_run(d, s + 2, s + 3);
	assert_int_equal(drain(d, ev, 2), 1);
	assert_string_equal(ev[0].first_reason, "other");
	assert_int_equal(ev[0].n_reasons, 0);
	assert_int_equal(ev[0].reasons_other, 1);
	outage_free(d);
}

/* Down from the start: no answer before; the duration runs from the first
 * probe's send. */
static void test_from_start(void **state)
{
	(void)state;
	outage_det *d = det(3);
	lost_run(d, 0, 5);
	good_run(d, 5, 8);
	(void)outage_expire(d, 2.0);
	struct outage_event ev[2];
	assert_int_equal(drain(d, ev, 2), 1);
	assert_false(ev[0].have_before);
	assert_true(ev[0].ended);
	assert_int_equal(ev[0].after.seq, 5);
	assert_float_equal(ev[0].duration, 0.5 + RTT, 1e-9);
	outage_free(d);
}

/* Still down at the end: reported by outage_finish, lasting until then. */
static void test_down_at_end(void **state)
{
	(void)state;
	outage_det *d = det(3);
	good_run(d, 0, 10);
	lost_run(d, 10, 30);
	outage_finish(d, 5.0);
	struct outage_event ev[2];
	assert_int_equal(drain(d, ev, 2), 1);
	assert_true(ev[0].have_before);
	assert_false(ev[0].ended);
	assert_int_equal(ev[0].before.seq, 9);
	assert_float_equal(ev[0].duration, 5.0 - (0.9 + RTT), 1e-9);
	/* 10..29 were sent by 2.9 and timed out by 5.0: all lost */
	assert_int_equal(ev[0].lost, 20);
	assert_int_equal(outage_stats(d)->in_flight, 0);
	/* Nothing counts after finish. */
	assert_int_equal(outage_sent(d, 30, 5.1), -EINVAL);
	assert_int_equal(outage_answered(d, 29, 5.1), -ENOENT);
	outage_free(d);

	/* Never any answer. */
	d = det(3);
	lost_run(d, 0, 10);
	outage_finish(d, 3.0);
	assert_int_equal(drain(d, ev, 2), 1);
	assert_false(ev[0].have_before);
	assert_false(ev[0].ended);
	assert_float_equal(ev[0].duration, 3.0, 1e-9);
	outage_free(d);
}

/* Probes in flight at the end (not timed out) are neither lost nor part of
 * an outage; answers behind them still count. */
static void test_in_flight_at_end(void **state)
{
	(void)state;
	struct outage_event ev[2];
	/* good x10, then 5 unanswered of which 4 timed out and 1 is in
	 * flight: an outage of 4, still on at the end. */
	outage_det *d = det(3);
	good_run(d, 0, 10);
	lost_run(d, 10, 13);
	lost_run(d, 13, 15);
	outage_finish(d, 2.35); /* 10..13 sent <= 1.35: lost; 14 in flight */
	assert_int_equal(outage_stats(d)->in_flight, 1);
	assert_int_equal(outage_stats(d)->lost, 4);
	assert_int_equal(drain(d, ev, 2), 1);
	assert_false(ev[0].ended);
	assert_int_equal(ev[0].lost, 4);
	outage_free(d);

	/* lost x3, then one in flight, then answered: the answer ends it. */
	d = det(3);
	good_run(d, 0, 10);
	lost_run(d, 10, 13);
	send_at(d, 13);
	send_at(d, 14);
	assert_int_equal(outage_answered(d, 14, 1.401), 0);
	outage_finish(d, 2.25); /* 10..12 lost; 13 (sent 1.3) in flight */
	assert_int_equal(outage_stats(d)->in_flight, 1);
	assert_int_equal(drain(d, ev, 2), 1);
	assert_true(ev[0].ended);
	assert_int_equal(ev[0].after.seq, 14);
	assert_int_equal(ev[0].lost, 3);
	outage_free(d);

	/* 2 lost then in flight: below min_lost, no outage. */
	d = det(3);
	good_run(d, 0, 10);
	lost_run(d, 10, 12);
	send_at(d, 12);
	outage_finish(d, 2.15);
	assert_int_equal(drain(d, ev, 2), 0);
	assert_int_equal(outage_stats(d)->isolated, 2);
	assert_int_equal(outage_stats(d)->in_flight, 1);
	outage_free(d);
}

static void test_order_checks(void **state)
{
	(void)state;
	struct outage_cfg bad1 = { 0, 3 }, bad2 = { 1, 0 }, bad3 = { NAN, 3 };
	assert_null(outage_new(&bad1));
	assert_null(outage_new(&bad2));
	assert_null(outage_new(&bad3));
	assert_null(outage_new(NULL));
	outage_free(NULL);
	outage_det *d = det(3);
	assert_true(outage_next_expiry(d) < 0);
	assert_int_equal(outage_answered(d, 0, 1), -ENOENT);
	assert_int_equal(outage_sent(d, 100, 5.0), 0); /* any first number */
	assert_int_equal(outage_sent(d, 102, 5.1), -EINVAL);
	assert_int_equal(outage_sent(d, 100, 5.1), -EINVAL);
	assert_int_equal(outage_sent(d, 101, 4.9), -EINVAL); /* time goes back */
	assert_int_equal(outage_sent(d, 101, 5.1), 0);
	assert_int_equal(outage_answered(d, 101, 5.0), -EINVAL); /* before its send */
	assert_int_equal(outage_answered(d, 101, 5.2), 0);
	assert_int_equal(outage_stats(d)->sent, 2);
	outage_free(d);
}

/* Many probes in flight at once (the ring grows), answered in reverse. */
static void test_many_in_flight(void **state)
{
	(void)state;
	struct outage_cfg c = { 100.0, 3 };
	outage_det *d = outage_new(&c);
	for (uint64_t s = 0; s < 5000; s++)
		assert_int_equal(outage_sent(d, s, (double)s * 0.01), 0);
	for (uint64_t s = 5000; s-- > 0;)
		if (s < 1000 || s >= 1010)
			assert_int_equal(outage_answered(d, s, (double)s * 0.01 + 0.5), 0);
	(void)outage_expire(d, 200);
	struct outage_event ev[2];
	assert_int_equal(drain(d, ev, 2), 1);
	assert_int_equal(ev[0].first_seq, 1000);
	assert_int_equal(ev[0].lost, 10);
	assert_int_equal(outage_stats(d)->answered, 4990);
	outage_free(d);
}

/* --- randomised: the detector against a brute-force reference --- */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	uint64_t x = rnd_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rnd_state = x;
}

enum fate { F_GOOD, F_LOST, F_FAILED, F_LATE };

static const char *const rand_why[] = { "port unreachable from 192.0.2.1",
					"administratively prohibited from 2001:db8::1",
					"SERVFAIL" };
#define N_WHY (sizeof rand_why / sizeof rand_why[0])

static void test_random_vs_reference(void **state)
{
	(void)state;
	rnd_state = test_seed ^ UINT64_C(0x0a7a6e);
	if (!rnd_state)
		rnd_state = 1;
	for (int round = 0; round < 200; round++) {
		enum { N = 300 };
		uint8_t fate[N], why[N];
		double at[N];
		unsigned min_lost = 1 + (unsigned)(rnd() % 4);
		/* Bursts of losses of random lengths. */
		for (size_t i = 0; i < N;) {
			size_t len = 1 + rnd() % 8;
			unsigned kind = (unsigned)(rnd() % 5);
			for (size_t k = 0; k < len && i < N; k++, i++) {
				fate[i] = kind < 2    ? F_GOOD
					  : kind == 2 ? F_LOST
					  : kind == 3 ? (rnd() % 2 ? F_FAILED : F_LOST)
						      : (rnd() % 2 ? F_LATE : F_GOOD);
				why[i] = (uint8_t)(rnd() % N_WHY);
				at[i] = (double)i * IV + (double)(rnd() % 900) / 1000.0;
				if (fate[i] == F_LATE)
					at[i] = (double)i * IV + 1.0 +
						(double)(1 + rnd() % 500) / 1000.0;
			}
		}
		/* Reference: runs of non-good in send order, with their
		 * timeouts and failures by reason. */
		size_t ref_n = 0, ref_first[N], ref_len[N];
		bool ref_ended[N];
		uint64_t ref_to[N], ref_by[N][N_WHY], run_to = 0, run_by[N_WHY] = { 0 };
		uint64_t all_by[N_WHY] = { 0 }, all_failed = 0;
		size_t run = 0;
		for (size_t i = 0; i <= N; i++) {
			if (i < N && fate[i] != F_GOOD) {
				run++;
				if (fate[i] == F_FAILED) {
					run_by[why[i]]++;
					all_by[why[i]]++;
					all_failed++;
				} else {
					run_to++;
				}
				continue;
			}
			if (run >= min_lost) {
				ref_first[ref_n] = i - run;
				ref_len[ref_n] = run;
				ref_to[ref_n] = run_to;
				memcpy(ref_by[ref_n], run_by, sizeof run_by);
				ref_ended[ref_n++] = i < N;
			}
			run = 0;
			run_to = 0;
			memset(run_by, 0, sizeof run_by);
		}
		/* Detector: events delivered in time order. */
		outage_det *d = det(min_lost);
		struct ans {
			double t;
			size_t i;
		} evq[N];
		size_t nq = 0;
		for (size_t i = 0; i < N; i++)
			if (fate[i] != F_LOST)
				evq[nq++] = (struct ans){ at[i], i };
		/* insertion sort by time */
		for (size_t a = 1; a < nq; a++)
			for (size_t b = a; b > 0 && evq[b - 1].t > evq[b].t; b--) {
				struct ans t = evq[b];
				evq[b] = evq[b - 1];
				evq[b - 1] = t;
			}
		size_t sent = 0, q = 0;
		for (double now = 0; now < N * IV + 3; now += 0.01) {
			for (; sent < N && (double)sent * IV <= now; sent++)
				assert_int_equal(outage_sent(d, sent, (double)sent * IV), 0);
			while (q < nq && evq[q].t <= now) {
				size_t i = evq[q++].i;
				int rc = fate[i] == F_FAILED
						 ? outage_failed(d, i, at[i], rand_why[why[i]])
						 : outage_answered(d, i, at[i]);
				assert_true(rc == 0 || rc == -ENOENT);
			}
			(void)outage_expire(d, now);
		}
		outage_finish(d, N * IV + 3);
		struct outage_event ev;
		size_t k = 0;
		while (outage_next_event(d, &ev)) {
			assert_true(k < ref_n);
			assert_int_equal(ev.first_seq, ref_first[k]);
			assert_int_equal(ev.lost, ref_len[k]);
			assert_int_equal(ev.ended, ref_ended[k]);
			if (ev.ended)
				assert_int_equal(ev.after.seq, ref_first[k] + ref_len[k]);
			assert_true(ev.duration >= 0 || !ev.have_before || ev.ended);
			assert_int_equal(ev.timeouts, ref_to[k]);
			assert_int_equal(ev.failed + ev.timeouts, ev.lost);
			size_t f = ref_first[k];
			assert_string_equal(ev.first_reason,
					    fate[f] == F_FAILED ? rand_why[why[f]] : "timeout");
			size_t listed = 0;
			for (size_t w = 0; w < N_WHY; w++)
				listed += ref_by[k][w] != 0;
			assert_int_equal(ev.n_reasons, listed);
			for (size_t r = 0; r < ev.n_reasons; r++) {
				size_t w = 0;
				while (w < N_WHY && strcmp(rand_why[w], ev.reasons[r].why) != 0)
					w++;
				assert_true(w < N_WHY);
				assert_int_equal(ev.reasons[r].count, ref_by[k][w]);
			}
			assert_int_equal(ev.reasons_other, 0);
			k++;
		}
		assert_int_equal(k, ref_n);
		const struct outage_stats *st = outage_stats(d);
		assert_int_equal(st->failed, all_failed);
		for (size_t r = 0; r < st->n_reasons; r++)
			for (size_t w = 0; w < N_WHY; w++)
				if (strcmp(rand_why[w], st->reasons[r].why) == 0)
					assert_int_equal(st->reasons[r].count, all_by[w]);
		assert_int_equal(outage_stats(d)->in_flight, 0);
		outage_free(d);
	}
}

/* --- DNS messages --- */

/* A query for example.net SOA, ID 0x1234:
 *   12 34  ID
 *   01 00  flags: standard query, RD
 *   00 01 00 00 00 00 00 00  QDCOUNT 1, AN/NS/AR 0
 *   07 'example' 03 'net' 00  QNAME
 *   00 06 00 01  QTYPE SOA, QCLASS IN */
static const uint8_t q_example[] = { 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
				     0x00, 0x00, 7,    'e',  'x',  'a',	 'm',  'p',  'l',  'e',
				     3,	   'n',	 'e',  't',  0,	   0x00, 0x06, 0x00, 0x01 };

static void test_dns_query(void **state)
{
	(void)state;
	uint8_t b[PROBE_DNS_MAX_QUERY];
	assert_int_equal(probe_dns_query(0x1234, "example.net", b, sizeof b), sizeof q_example);
	assert_memory_equal(b, q_example, sizeof q_example);
	assert_int_equal(probe_dns_query(0x1234, "example.net.", b, sizeof b), sizeof q_example);
	assert_memory_equal(b, q_example, sizeof q_example);
	/* the root: QNAME is one zero octet */
	assert_int_equal(probe_dns_query(7, ".", b, sizeof b), 17);
	assert_int_equal(b[12], 0);
	assert_int_equal(b[14], 6);
	assert_int_equal(probe_dns_query(7, "", b, sizeof b), 17);
	/* bad names */
	assert_int_equal(probe_dns_query(7, "a..b", b, sizeof b), 0);
	assert_int_equal(probe_dns_query(7, ".a", b, sizeof b), 0);
	assert_int_equal(probe_dns_query(7, "a..", b, sizeof b), 0);
	assert_int_equal(probe_dns_query(7, "..", b, sizeof b), 0);
	char name[300];
	memset(name, 'a', 64);
	name[63] = '\0';
	assert_int_not_equal(probe_dns_query(7, name, b, sizeof b), 0); /* a label of 63 */
	name[63] = 'a';
	name[64] = '\0';
	assert_int_equal(probe_dns_query(7, name, b, sizeof b), 0); /* of 64 */
	/* 4 labels of 63: 4 * 64 + 1 = 257 octets > 255 */
	memset(name, 'a', 255);
	name[63] = name[127] = name[191] = '.';
	name[255] = '\0';
	assert_int_equal(probe_dns_query(7, name, b, sizeof b), 0);
	/* 3 labels of 63 and one of 61: 255 */
	name[253] = '\0';
	assert_int_not_equal(probe_dns_query(7, name, b, sizeof b), 0);
	/* too small a buffer */
	assert_int_equal(probe_dns_query(7, "example.net", b, 20), 0);
}

/* A reply to q_example: the query with QR, AA, RA set, ANCOUNT 1 and an
 * answer record after the question (not read by the check). */
static size_t reply(uint8_t *b)
{
	memcpy(b, q_example, sizeof q_example);
	b[2] = 0x85; /* QR, opcode 0, AA, RD */
	b[3] = 0x80; /* RA, RCODE 0 */
	b[7] = 1;    /* ANCOUNT */
	size_t n = sizeof q_example;
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0x0e, 0x10, 0, 0 };
	memcpy(b + n, rr, sizeof rr);
	return n + sizeof rr;
}

static void test_dns_check(void **state)
{
	(void)state;
	uint8_t b[512];
	struct probe_dns_reply r;
	size_t n = reply(b);
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r), PROBE_DNS_OK);
	assert_int_equal(r.id, 0x1234);
	assert_int_equal(r.rcode, 0);
	assert_true(r.aa);
	assert_false(r.tc);
	assert_true(r.ra);
	assert_int_equal(r.ancount, 1);
	/* exactly the question, nothing after it: fine */
	assert_int_equal(probe_dns_check(b, sizeof q_example, q_example, sizeof q_example, &r),
			 PROBE_DNS_OK);
	/* the name in another case: the same question */
	b[13] = 'E';
	b[21] = 'N';
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r), PROBE_DNS_OK);
	/* SERVFAIL and NXDOMAIN are well-formed replies: the RCODE says */
	n = reply(b);
	b[3] = 0x82;
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r), PROBE_DNS_OK);
	assert_int_equal(r.rcode, 2);
	assert_string_equal(probe_dns_rcode_name(r.rcode), "SERVFAIL");
	assert_string_equal(probe_dns_rcode_name(3), "NXDOMAIN");
	assert_string_equal(probe_dns_rcode_name(5), "REFUSED");
	assert_string_equal(probe_dns_rcode_name(15), "unknown RCODE");

	/* truncated header */
	n = reply(b);
	assert_int_equal(probe_dns_check(b, 11, q_example, sizeof q_example, &r),
			 PROBE_DNS_TRUNCATED);
	assert_int_equal(probe_dns_check(b, 0, q_example, sizeof q_example, &r),
			 PROBE_DNS_TRUNCATED);
	assert_int_equal(probe_dns_check(NULL, 0, q_example, sizeof q_example, &r),
			 PROBE_DNS_TRUNCATED);
	/* truncated question */
	assert_int_equal(probe_dns_check(b, 12, q_example, sizeof q_example, &r),
			 PROBE_DNS_TRUNCATED);
	assert_int_equal(probe_dns_check(b, sizeof q_example - 1, q_example, sizeof q_example, &r),
			 PROBE_DNS_TRUNCATED);
	/* wrong ID */
	b[1] = 0x35;
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r), PROBE_DNS_ID);
	/* QR not set: our own query reflected */
	assert_int_equal(
		probe_dns_check(q_example, sizeof q_example, q_example, sizeof q_example, &r),
		PROBE_DNS_NOT_REPLY);
	/* another opcode (4, NOTIFY) */
	n = reply(b);
	b[2] = 0x80 | (4 << 3);
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r), PROBE_DNS_OPCODE);
	/* QDCOUNT 0 (as some FORMERR replies) and 2 */
	n = reply(b);
	b[5] = 0;
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r),
			 PROBE_DNS_QUESTION);
	b[5] = 2;
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r),
			 PROBE_DNS_QUESTION);
	/* another name, type, class, label length */
	n = reply(b);
	b[14] = 'y';
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r),
			 PROBE_DNS_QUESTION);
	n = reply(b);
	b[26] = 1; /* type A */
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r),
			 PROBE_DNS_QUESTION);
	n = reply(b);
	b[28] = 3; /* class CH */
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r),
			 PROBE_DNS_QUESTION);
	n = reply(b);
	b[12] = 6;
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r),
			 PROBE_DNS_QUESTION);
	/* a compression pointer where the name should be */
	n = reply(b);
	b[12] = 0xc0;
	assert_int_equal(probe_dns_check(b, n, q_example, sizeof q_example, &r),
			 PROBE_DNS_QUESTION);
	assert_string_equal(probe_dns_strerror(PROBE_DNS_ID), "another ID than the query's");
}

/* Every truncation of a good reply short of its question is TRUNCATED;
 * random bytes and random corruptions of a good reply never crash and are
 * OK only when header and question are intact. */
static void test_dns_rejection_loop(void **state)
{
	(void)state;
	uint8_t good[512], b[600];
	struct probe_dns_reply r;
	size_t n = reply(good);
	for (size_t len = 0; len < sizeof q_example; len++) {
		uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
		memcpy(copy, good, len);
		assert_int_equal(probe_dns_check(copy, len, q_example, sizeof q_example, &r),
				 PROBE_DNS_TRUNCATED);
		free(copy);
	}
	rnd_state = test_seed ^ UINT64_C(0xd25);
	if (!rnd_state)
		rnd_state = 1;
	for (int i = 0; i < 10000; i++) {
		size_t len = (size_t)(rnd() % sizeof b);
		for (size_t k = 0; k < len; k++)
			b[k] = (uint8_t)rnd();
		if (i % 2) { /* a good reply with one octet changed */
			len = n;
			memcpy(b, good, n);
			size_t at = (size_t)(rnd() % sizeof q_example);
			uint8_t v = (uint8_t)rnd();
			bool same = b[at] == v || (b[at] | 0x20) == (v | 0x20);
			b[at] = v;
			enum probe_dns_status st =
				probe_dns_check(b, len, q_example, sizeof q_example, &r);
			/* the flags octets other than QR/opcode, ANCOUNT..ARCOUNT
			 * and a change of case may still be OK */
			if (st == PROBE_DNS_OK)
				assert_true(same || (at >= 2 && at < 12));
			continue;
		}
		uint8_t *copy = malloc(len ? len : 1);
		memcpy(copy, b, len);
		enum probe_dns_status st =
			probe_dns_check(copy, len, q_example, sizeof q_example, &r);
		assert_true(st != PROBE_DNS_OK || len >= sizeof q_example);
		free(copy);
	}
}

/* --- reasons for errors from the error queue --- */

static struct sock_extended_err ee_make(uint8_t origin, uint8_t type, uint8_t code, uint32_t info,
					uint32_t err)
{
	struct sock_extended_err ee;
	memset(&ee, 0, sizeof ee);
	ee.ee_errno = err;
	ee.ee_origin = origin;
	ee.ee_type = type;
	ee.ee_code = code;
	ee.ee_info = info;
	return ee;
}

/* The reason for ee from offender (an address, or NULL). */
static const char *reason(uint8_t origin, uint8_t type, uint8_t code, uint32_t info,
			  const char *offender, bool *icmp)
{
	static char buf[PROBE_WHY_LEN];
	struct sock_extended_err ee = ee_make(origin, type, code, info, ECONNREFUSED);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	if (offender && strchr(offender, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, offender, &s6->sin6_addr), 1);
	} else if (offender) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, offender, &s4->sin_addr), 1);
	}
	memset(buf, 'x', sizeof buf);
	*icmp = probe_err_reason(&ee, offender ? (struct sockaddr *)&ss : NULL, buf, sizeof buf);
	return buf;
}

static void test_err_reason(void **state)
{
	(void)state;
	bool icmp;
	/* IPv4: destination unreachable (type 3) */
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 3, 0, "10.0.0.1", &icmp),
			    "port unreachable from 10.0.0.1");
	assert_true(icmp);
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 0, 0, "192.0.2.254", &icmp),
			    "network unreachable from 192.0.2.254");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 1, 0, NULL, &icmp), "host unreachable");
	assert_true(icmp);
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 2, 0, NULL, &icmp),
			    "protocol unreachable");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 13, 0, "192.0.2.1", &icmp),
			    "administratively prohibited from 192.0.2.1");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 9, 0, NULL, &icmp),
			    "network administratively prohibited");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 10, 0, NULL, &icmp),
			    "host administratively prohibited");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 4, 1400, "192.0.2.254", &icmp),
			    "fragmentation needed (MTU 1400) from 192.0.2.254");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 15, 0, NULL, &icmp),
			    "precedence cutoff in effect");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 3, 16, 0, NULL, &icmp),
			    "ICMP type 3 code 16");
	assert_true(icmp);
	/* other IPv4 errors */
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 11, 0, 0, "198.51.100.7", &icmp),
			    "TTL exceeded in transit from 198.51.100.7");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 11, 1, 0, NULL, &icmp),
			    "fragment reassembly time exceeded");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 11, 2, 0, NULL, &icmp),
			    "ICMP type 11 code 2");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 12, 0, 0, NULL, &icmp), "parameter problem");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 4, 0, 0, NULL, &icmp), "source quench");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 42, 7, 0, "10.0.0.1", &icmp),
			    "ICMP type 42 code 7 from 10.0.0.1");
	/* ICMPv6: destination unreachable (type 1) and the others */
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 1, 4, 0, "2001:db8::1", &icmp),
			    "port unreachable from 2001:db8::1");
	assert_true(icmp);
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 1, 1, 0, "::1", &icmp),
			    "administratively prohibited from ::1");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 1, 0, 0, NULL, &icmp),
			    "no route to destination");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 1, 3, 0, NULL, &icmp),
			    "address unreachable");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 1, 5, 0, NULL, &icmp),
			    "source address failed ingress/egress policy");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 1, 6, 0, NULL, &icmp),
			    "reject route to destination");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 1, 8, 0, NULL, &icmp), "headers too long");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 1, 9, 0, NULL, &icmp),
			    "ICMPv6 type 1 code 9");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 2, 0, 1280, "2001:db8::fe", &icmp),
			    "packet too big (MTU 1280) from 2001:db8::fe");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 3, 0, 0, NULL, &icmp),
			    "hop limit exceeded in transit");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 3, 1, 0, NULL, &icmp),
			    "fragment reassembly time exceeded");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 4, 1, 0, NULL, &icmp), "parameter problem");
	/* an ICMPv6 type with an ICMP name is not taken for it, nor back */
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 3, 3, 0, NULL, &icmp),
			    "ICMPv6 type 3 code 3");
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 1, 4, 0, NULL, &icmp), "ICMP type 1 code 4");
	/* a sender of no known family is left out */
	struct sock_extended_err ee = ee_make(SO_EE_ORIGIN_ICMP, 3, 3, 0, ECONNREFUSED);
	struct sockaddr_storage unspec;
	memset(&unspec, 0, sizeof unspec);
	char buf[PROBE_WHY_LEN];
	assert_true(probe_err_reason(&ee, (struct sockaddr *)&unspec, buf, sizeof buf));
	assert_string_equal(buf, "port unreachable");
	/* local errors (the stack's own) and other origins end no probe */
	ee = ee_make(SO_EE_ORIGIN_LOCAL, 0, 0, 1400, EMSGSIZE);
	assert_false(probe_err_reason(&ee, NULL, buf, sizeof buf));
	assert_memory_equal(buf, "local error: ", 13);
	assert_true(strlen(buf) > 13);
	ee = ee_make(SO_EE_ORIGIN_NONE, 0, 0, 0, 0);
	assert_false(probe_err_reason(&ee, NULL, buf, sizeof buf));
	assert_string_equal(buf, "local error: unknown");
	ee = ee_make(SO_EE_ORIGIN_ZEROCOPY, 0, 0, 0, 0);
	assert_false(probe_err_reason(&ee, NULL, buf, sizeof buf));
	/* a small buffer: cut and terminated; none at all: only the verdict */
	ee = ee_make(SO_EE_ORIGIN_ICMP6, 1, 1, 0, EACCES);
	struct sockaddr_in6 s6;
	memset(&s6, 0, sizeof s6);
	s6.sin6_family = AF_INET6;
	assert_int_equal(
		inet_pton(AF_INET6, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", &s6.sin6_addr), 1);
	char small[10];
	assert_true(probe_err_reason(&ee, (struct sockaddr *)&s6, small, sizeof small));
	assert_string_equal(small, "administr");
	assert_true(probe_err_reason(&ee, (struct sockaddr *)&s6, small, 0));
	/* the longest names with the longest address fit a reason */
	assert_true(probe_err_reason(&ee, (struct sockaddr *)&s6, buf, sizeof buf));
	assert_string_equal(buf, "administratively prohibited from "
				 "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	ee = ee_make(SO_EE_ORIGIN_ICMP, 3, 9, 0, ENETUNREACH);
	assert_true(probe_err_reason(&ee, (struct sockaddr *)&s6, buf, sizeof buf));
	assert_true(strlen(buf) < OUTAGE_REASON_LEN - 1);
	/* every type and code of both: a name, terminated, never empty; all
	 * end a probe but ICMP source quench and redirect */
	for (unsigned o = SO_EE_ORIGIN_ICMP; o <= SO_EE_ORIGIN_ICMP6; o++)
		for (unsigned t = 0; t < 256; t++)
			for (unsigned c = 0; c < 256; c++) {
				ee = ee_make((uint8_t)o, (uint8_t)t, (uint8_t)c, UINT32_MAX, 0);
				bool ends = probe_err_reason(&ee, (struct sockaddr *)&s6, buf,
							     sizeof buf);
				assert_int_equal(ends,
						 !(o == SO_EE_ORIGIN_ICMP && (t == 4 || t == 5)));
				assert_true(buf[0] != '\0' && strlen(buf) < sizeof buf);
			}
	/* what a ping socket's queue gets besides errors (EREMOTEIO) */
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 4, 0, 0, "10.0.0.1", &icmp),
			    "source quench from 10.0.0.1");
	assert_false(icmp);
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP, 5, 1, 0, "10.0.0.1", &icmp),
			    "ICMP type 5 code 1 from 10.0.0.1");
	assert_false(icmp);
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 4, 0, 0, NULL, &icmp), "parameter problem");
	assert_true(icmp);
	assert_string_equal(reason(SO_EE_ORIGIN_ICMP6, 137, 0, 0, NULL, &icmp),
			    "ICMPv6 type 137 code 0");
	assert_true(icmp);
}

/* --- the same words from a type, code and sender --- */

static void sa4(struct sockaddr_storage *ss, const char *a)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, a, &s4->sin_addr), 1);
}

static void sa6(struct sockaddr_storage *ss, const char *a)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	s6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, a, &s6->sin6_addr), 1);
}

static void test_icmp_reason(void **state)
{
	(void)state;
	char buf[PROBE_WHY_LEN], other[PROBE_WHY_LEN];
	struct sockaddr_storage r4, r6, none;
	sa4(&r4, "10.98.0.2");
	sa6(&r6, "fd00:98::2");
	memset(&none, 0, sizeof none);
	probe_icmp_reason(false, 3, 1, 0, (struct sockaddr *)&r4, buf, sizeof buf);
	assert_string_equal(buf, "host unreachable from 10.98.0.2");
	probe_icmp_reason(true, 1, 1, 0, (struct sockaddr *)&r6, buf, sizeof buf);
	assert_string_equal(buf, "administratively prohibited from fd00:98::2");
	probe_icmp_reason(false, 3, 13, 0, NULL, buf, sizeof buf);
	assert_string_equal(buf, "administratively prohibited");
	probe_icmp_reason(false, 3, 4, 1400, (struct sockaddr *)&none, buf, sizeof buf);
	assert_string_equal(buf, "fragmentation needed (MTU 1400)");
	probe_icmp_reason(true, 2, 0, 1280, (struct sockaddr *)&r6, buf, sizeof buf);
	assert_string_equal(buf, "packet too big (MTU 1280) from fd00:98::2");
	probe_icmp_reason(false, 11, 0, 0, (struct sockaddr *)&r4, buf, sizeof buf);
	assert_string_equal(buf, "TTL exceeded in transit from 10.98.0.2");
	probe_icmp_reason(true, 3, 0, 0, NULL, buf, sizeof buf);
	assert_string_equal(buf, "hop limit exceeded in transit");
	probe_icmp_reason(true, 200, 9, 0, NULL, buf, sizeof buf);
	assert_string_equal(buf, "ICMPv6 type 200 code 9");
	/* cut and terminated; no room: untouched */
	char small[6];
	probe_icmp_reason(false, 3, 1, 0, (struct sockaddr *)&r4, small, sizeof small);
	assert_string_equal(small, "host ");
	memset(small, 'x', sizeof small);
	probe_icmp_reason(false, 3, 1, 0, (struct sockaddr *)&r4, small, 0);
	assert_memory_equal(small, "xxxxxx", sizeof small);
	/* word for word what the error queue's errors say, for every type and
	 * code of both, with a sender of either family and without */
	const struct sockaddr *senders[] = { (struct sockaddr *)&r4, (struct sockaddr *)&r6,
					     (struct sockaddr *)&none, NULL };
	for (unsigned o = SO_EE_ORIGIN_ICMP; o <= SO_EE_ORIGIN_ICMP6; o++)
		for (unsigned t = 0; t < 256; t++)
			for (unsigned c = 0; c < 256; c++)
				for (size_t i = 0; i < sizeof senders / sizeof senders[0]; i++) {
					uint32_t info = t * 256 + c + 576;
					struct sock_extended_err ee =
						ee_make((uint8_t)o, (uint8_t)t, (uint8_t)c, info,
							EHOSTUNREACH);
					(void)probe_err_reason(&ee, senders[i], other,
							       sizeof other);
					probe_icmp_reason(o == SO_EE_ORIGIN_ICMP6, (uint8_t)t,
							  (uint8_t)c, info, senders[i], buf,
							  sizeof buf);
					assert_string_equal(buf, other);
				}
}

/* --- ICMP errors to echo requests on a raw socket --- */

/* Captured on a raw AF_INET socket in a network namespace behind a router
 * (10.98.0.2) whose nftables forward chain has "icmp type echo-request
 * reject with icmp type host-unreachable":
 *
 *   IPv4  45 c0 0048 3710 0000 40 01 2e1f  len 72, TTL 64, ICMP
 *         0a620002 0a620001                10.98.0.2 > 10.98.0.1
 *   ICMP  03 01 fcfe 00000000              destination unreachable, host
 *   quote 45 00 002c d0f5 4000 3f 01 363e  len 44, DF, TTL 63, ICMP
 *         0a620001 c6336407                10.98.0.1 > 198.51.100.7
 *         08 00 fcb1 5d1a 0007             echo request, id 0x5d1a, seq 7
 *         0123456789abcdef 0000000000000007  data: token, probe number 7
 */
static const uint8_t err4[] = {
	0x45, 0xc0, 0x00, 0x48, 0x37, 0x10, 0x00, 0x00, 0x40, 0x01, 0x2e, 0x1f, 0x0a, 0x62, 0x00,
	0x02, 0x0a, 0x62, 0x00, 0x01, 0x03, 0x01, 0xfc, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x2c, 0xd0, 0xf5, 0x40, 0x00, 0x3f, 0x01, 0x36, 0x3e, 0x0a, 0x62, 0x00, 0x01, 0xc6,
	0x33, 0x64, 0x07, 0x08, 0x00, 0xfc, 0xb1, 0x5d, 0x1a, 0x00, 0x07, 0x01, 0x23, 0x45, 0x67,
	0x89, 0xab, 0xcd, 0xef, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
};

/* The same on a raw AF_INET6 socket (no IPv6 header), the router
 * (fd00:98::2) rejecting with "icmpx type admin-prohibited":
 *
 *   ICMPv6 01 01 248e 00000000             destination unreachable,
 *                                          administratively prohibited
 *   quote  6001 44b3 0018 3a 3f            payload 24, ICMPv6, hop limit 63
 *          fd00:98::1 > 2001:db8:97::7
 *          80 00 586e 5d1a 0007            echo request, id 0x5d1a, seq 7
 *          0123456789abcdef 0000000000000007
 */
static const uint8_t err6[] = {
	0x01, 0x01, 0x24, 0x8e, 0x00, 0x00, 0x00, 0x00, 0x60, 0x01, 0x44, 0xb3, 0x00, 0x18, 0x3a,
	0x3f, 0xfd, 0x00, 0x00, 0x98, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x97, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x07, 0x80, 0x00, 0x58, 0x6e, 0x5d, 0x1a, 0x00, 0x07, 0x01, 0x23, 0x45, 0x67,
	0x89, 0xab, 0xcd, 0xef, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,
};

#define ECHO_ID 0x5d1a

static uint16_t cksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Sets the IPv4 total length to len and the ICMP checksum of an IPv4
 * packet (20-octet header) right after an edit. */
static void fix4(uint8_t *pkt, size_t len)
{
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	pkt[22] = pkt[23] = 0;
	uint16_t c = cksum(pkt + 20, len - 20);
	pkt[22] = (uint8_t)(c >> 8);
	pkt[23] = (uint8_t)c;
}

/* probe_echo_error() on an exact heap copy of len octets of pkt (so that
 * AddressSanitizer sees a read past them). */
static bool echo_err(const uint8_t *pkt, size_t len, bool v6, uint16_t id,
		     const struct sockaddr_storage *target, struct probe_echo_err *e)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, pkt, len);
	bool r = probe_echo_error(copy, len, v6, id, (const struct sockaddr *)target, e);
	free(copy);
	return r;
}

static void test_echo_error(void **state)
{
	(void)state;
	struct sockaddr_storage t4, t6, other4, r4, r6;
	sa4(&t4, "198.51.100.7");
	sa6(&t6, "2001:db8:97::7");
	sa4(&other4, "198.51.100.8");
	sa4(&r4, "10.98.0.2");
	sa6(&r6, "fd00:98::2");
	struct probe_echo_err e;
	char buf[PROBE_WHY_LEN];
	uint8_t pkt[128];

	/* the captured errors */
	assert_true(echo_err(err4, sizeof err4, false, ECHO_ID, &t4, &e));
	assert_int_equal(e.type, 3);
	assert_int_equal(e.code, 1);
	assert_int_equal(e.info, 0);
	assert_int_equal(e.seq, 7);
	probe_icmp_reason(false, e.type, e.code, e.info, (struct sockaddr *)&r4, buf, sizeof buf);
	assert_string_equal(buf, "host unreachable from 10.98.0.2");
	assert_true(echo_err(err6, sizeof err6, true, ECHO_ID, &t6, &e));
	assert_int_equal(e.type, 1);
	assert_int_equal(e.code, 1);
	assert_int_equal(e.seq, 7);
	probe_icmp_reason(true, e.type, e.code, e.info, (struct sockaddr *)&r6, buf, sizeof buf);
	assert_string_equal(buf, "administratively prohibited from fd00:98::2");

	/* not ours: another identifier, another target, another family, none */
	assert_false(echo_err(err4, sizeof err4, false, ECHO_ID + 1, &t4, &e));
	assert_false(echo_err(err4, sizeof err4, false, ECHO_ID, &other4, &e));
	assert_false(echo_err(err4, sizeof err4, false, ECHO_ID, &t6, &e));
	assert_false(probe_echo_error(err4, sizeof err4, false, ECHO_ID, NULL, &e));
	assert_false(echo_err(err4, sizeof err4, true, ECHO_ID, &t6, &e));
	assert_false(echo_err(err6, sizeof err6, true, ECHO_ID - 1, &t6, &e));
	assert_false(echo_err(err6, sizeof err6, false, ECHO_ID, &t4, &e));

	/* IPv4: the checksum must be right; right again, another sequence */
	memcpy(pkt, err4, sizeof err4);
	pkt[55]++; /* quoted seq 8 */
	assert_false(echo_err(pkt, sizeof err4, false, ECHO_ID, &t4, &e));
	fix4(pkt, sizeof err4);
	assert_true(echo_err(pkt, sizeof err4, false, ECHO_ID, &t4, &e));
	assert_int_equal(e.seq, 8);
	/* IPv4 error types: time exceeded, parameter problem, fragmentation
	 * needed with its MTU (RFC 1191: octets 6 and 7) */
	const struct {
		uint8_t type, code;
		bool is_err;
	} v4types[] = { { 11, 0, true }, { 11, 1, true },  { 12, 0, true }, { 3, 13, true },
			{ 3, 3, true },	 { 5, 1, false },  { 4, 0, false }, { 0, 0, false },
			{ 8, 0, false }, { 13, 0, false }, { 42, 0, false } };
	for (size_t i = 0; i < sizeof v4types / sizeof v4types[0]; i++) {
		memcpy(pkt, err4, sizeof err4);
		pkt[20] = v4types[i].type;
		pkt[21] = v4types[i].code;
		fix4(pkt, sizeof err4);
		assert_int_equal(echo_err(pkt, sizeof err4, false, ECHO_ID, &t4, &e),
				 v4types[i].is_err);
		if (v4types[i].is_err) {
			assert_int_equal(e.type, v4types[i].type);
			assert_int_equal(e.code, v4types[i].code);
		}
	}
	memcpy(pkt, err4, sizeof err4);
	pkt[21] = 4;
	pkt[26] = 1400 >> 8;
	pkt[27] = 1400 & 0xff;
	fix4(pkt, sizeof err4);
	assert_true(echo_err(pkt, sizeof err4, false, ECHO_ID, &t4, &e));
	assert_int_equal(e.info, 1400);
	probe_icmp_reason(false, e.type, e.code, e.info, (struct sockaddr *)&r4, buf, sizeof buf);
	assert_string_equal(buf, "fragmentation needed (MTU 1400) from 10.98.0.2");
	/* the quote: of an echo reply, of a UDP datagram: not an echo request */
	memcpy(pkt, err4, sizeof err4);
	pkt[48] = 0;
	fix4(pkt, sizeof err4);
	assert_false(echo_err(pkt, sizeof err4, false, ECHO_ID, &t4, &e));
	memcpy(pkt, err4, sizeof err4);
	pkt[37] = 17;
	fix4(pkt, sizeof err4);
	assert_false(echo_err(pkt, sizeof err4, false, ECHO_ID, &t4, &e));
	/* quoting the IP header and 8 octets is enough (RFC 792); the IP
	 * header alone, or less, is not: no telling whose it was */
	for (size_t len = 28; len <= sizeof err4; len++) {
		memcpy(pkt, err4, len);
		fix4(pkt, len);
		assert_int_equal(echo_err(pkt, len, false, ECHO_ID, &t4, &e), len >= 56);
		if (len >= 56)
			assert_int_equal(e.seq, 7);
	}
	/* every truncation of what came: the IP total length says it is cut */
	for (size_t len = 0; len < sizeof err4; len++)
		assert_false(echo_err(err4, len, false, ECHO_ID, &t4, &e));

	/* ICMPv6 types: too big with its MTU (all four octets), time
	 * exceeded, parameter problem; echo reply, redirect, NS are not */
	const struct {
		uint8_t type, code;
		bool is_err;
	} v6types[] = { { 1, 4, true },	   { 1, 0, true },    { 3, 0, true },
			{ 4, 1, true },	   { 129, 0, false }, { 128, 0, false },
			{ 137, 0, false }, { 135, 0, false }, { 5, 0, false } };
	for (size_t i = 0; i < sizeof v6types / sizeof v6types[0]; i++) {
		memcpy(pkt, err6, sizeof err6);
		pkt[0] = v6types[i].type;
		pkt[1] = v6types[i].code;
		assert_int_equal(echo_err(pkt, sizeof err6, true, ECHO_ID, &t6, &e),
				 v6types[i].is_err);
	}
	memcpy(pkt, err6, sizeof err6);
	pkt[0] = 2;
	pkt[1] = 0;
	pkt[6] = 1280 >> 8;
	pkt[7] = 1280 & 0xff;
	assert_true(echo_err(pkt, sizeof err6, true, ECHO_ID, &t6, &e));
	assert_int_equal(e.info, 1280);
	probe_icmp_reason(true, e.type, e.code, e.info, (struct sockaddr *)&r6, buf, sizeof buf);
	assert_string_equal(buf, "packet too big (MTU 1280) from fd00:98::2");
	/* an ICMPv6 message has no length of its own: cut anywhere after the
	 * quoted header and 8 octets it is still one */
	for (size_t len = 0; len <= sizeof err6; len++) {
		assert_int_equal(echo_err(err6, len, true, ECHO_ID, &t6, &e), len >= 56);
		if (len >= 56)
			assert_int_equal(e.seq, 7);
	}

	/* random bytes, and the captured errors with one octet changed: never
	 * a read past the end (ASan), and what is taken is an error of ours */
	uint64_t x = test_seed ^ 0x6a09e667f3bcc908ULL;
	for (int i = 0; i < 20000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		bool v6 = (x >> 63) & 1;
		size_t len = (size_t)(x >> 33) % 100;
		for (size_t k = 0; k < len; k++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			pkt[k] = (uint8_t)(x >> 56);
		}
		if (i % 2) { /* a mutation of a captured error */
			const uint8_t *src = v6 ? err6 : err4;
			len = v6 ? sizeof err6 : sizeof err4;
			memcpy(pkt, src, len);
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			pkt[(x >> 33) % len] ^= (uint8_t)(1 + (x >> 56) % 255);
		}
		bool got = echo_err(pkt, len, v6, ECHO_ID, v6 ? &t6 : &t4, &e);
		if (got && !v6)
			assert_true(e.type == 3 || e.type == 11 || e.type == 12);
		if (got && v6)
			assert_true(e.type >= 1 && e.type <= 4);
		if (i % 2 == 0 && len < 56)
			assert_false(got);
	}
}

int main(void)
{
	const char *env = getenv("TEST_SEED");
	test_seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("test_outage: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       test_seed, test_seed);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_loss),
		cmocka_unit_test(test_isolated_vs_outage),
		cmocka_unit_test(test_duration_and_rtt),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_late),
		cmocka_unit_test(test_failed),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_from_start),
		cmocka_unit_test(test_down_at_end),
		cmocka_unit_test(test_in_flight_at_end),
		cmocka_unit_test(test_order_checks),
		cmocka_unit_test(test_many_in_flight),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_dns_query),
		cmocka_unit_test(test_dns_check),
		cmocka_unit_test(test_dns_rejection_loop),
		cmocka_unit_test(test_err_reason),
		cmocka_unit_test(test_icmp_reason),
		cmocka_unit_test(test_echo_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
