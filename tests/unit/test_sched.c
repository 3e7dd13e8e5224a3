/* test_sched.c - the collector's schedule with a fake clock: phases spread
 * over the interval, runs on the grid without drift, a busy job skipped and
 * counted, a long stall caught up with one run, removal, bad intervals, and
 * the heap against a brute-force reference under random adds and removes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "collect/sched.h"

static void bad_intervals(void **st)
{
	(void)st;
	sched *s = sched_new(1);
	assert_int_equal(sched_add(s, 0.5, 0), -EINVAL);
	assert_int_equal(sched_add(s, 86401, 0), -EINVAL);
	assert_int_equal(sched_add(s, NAN, 0), -EINVAL);
	assert_int_equal(sched_add(s, 60, INFINITY), -EINVAL);
	assert_true(isinf(sched_next(s)));
	assert_int_equal(sched_take(s, 1e9), -1);
	sched_free(s);
	sched_free(NULL);
}

/* 600 jobs of 60 s added at once: their first runs fall in [0, 60), spread
 * (each 6-s slice gets between 30 and 90 of the expected 60). */
static void phases_spread(void **st)
{
	(void)st;
	sched *s = sched_new(42);
	for (int i = 0; i < 600; i++)
		assert_int_equal(sched_add(s, 60, 1000), i);
	int slice[10] = { 0 };
	double t = 1000;
	size_t taken = 0;
	while (taken < 600) {
		t = sched_next(s);
		assert_true(t >= 1000 && t < 1060);
		int id = sched_take(s, t);
		assert_true(id >= 0);
		slice[(int)((t - 1000) / 6)]++;
		sched_done(s, id);
		taken++;
	}
	for (int i = 0; i < 10; i++)
		assert_in_range(slice[i], 30, 90);
	sched_free(s);
}

/* A job polled by a loop that wakes every 0.37 s for an hour runs exactly on
 * phase + k * 60: 60 runs, the k-th within one wake-up of its grid time. */
static void stays_on_grid(void **st)
{
	(void)st;
	sched *s = sched_new(7);
	int id = sched_add(s, 60, 0);
	double phase = sched_next(s);
	assert_true(phase >= 0 && phase < 60);
	int runs = 0;
	for (double now = 0; now < 3600; now += 0.37) {
		int j = sched_take(s, now);
		if (j < 0)
			continue;
		assert_int_equal(j, id);
		double grid = phase + runs * 60.0;
		assert_true(now >= grid && now < grid + 0.37 + 1e-9);
		runs++;
		sched_done(s, j);
		assert_true(fabs(sched_next(s) - (phase + runs * 60.0)) < 1e-6);
	}
	assert_in_range(runs, 59, 60);
	uint64_t r, sk;
	assert_true(sched_stats(s, id, &r, &sk));
	assert_int_equal(r, (uint64_t)runs);
	assert_int_equal(sk, 0);
	sched_free(s);
}

/* A sample that takes 2.5 intervals: the runs that come due meanwhile are
 * skipped and counted, and another job keeps its own pace. */
static void busy_is_skipped(void **st)
{
	(void)st;
	sched *s = sched_new(3);
	int slow = sched_add(s, 10, 0), fast = sched_add(s, 1, 0);
	int slow_runs = 0, fast_runs = 0;
	double slow_until = -1;
	for (double now = 0; now < 100; now += 0.25) {
		if (slow_until >= 0 && now >= slow_until) {
			sched_done(s, slow);
			slow_until = -1;
		}
		int id;
		while ((id = sched_take(s, now)) >= 0) {
			if (id == slow) {
				slow_runs++;
				slow_until = now + 25; /* 2.5 intervals */
			} else {
				assert_int_equal(id, fast);
				fast_runs++;
				sched_done(s, id);
			}
		}
	}
	uint64_t r, sk;
	assert_true(sched_stats(s, slow, &r, &sk));
	assert_int_equal(r, (uint64_t)slow_runs);
	assert_in_range(slow_runs, 3, 4);    /* one every 30 s */
	assert_in_range(sk, 5, 8);	     /* two skipped per run */
	assert_in_range(fast_runs, 99, 100); /* untouched by the slow one */
	sched_free(s);
}

/* The loop stalls for an hour: one run, then the next grid time after now. */
static void stall_catches_up_once(void **st)
{
	(void)st;
	sched *s = sched_new(9);
	int id = sched_add(s, 60, 0);
	double phase = sched_next(s);
	assert_int_equal(sched_take(s, phase), id);
	sched_done(s, id);
	double now = phase + 3600 + 30;
	assert_int_equal(sched_take(s, now), id);
	sched_done(s, id);
	assert_int_equal(sched_take(s, now), -1);
	assert_true(fabs(sched_next(s) - (phase + 61 * 60.0)) < 1e-6);
	sched_free(s);
}

static void remove_and_ties(void **st)
{
	(void)st;
	sched *s = sched_new(5);
	int a = sched_add(s, 1, 0), b = sched_add(s, 1, 0), c = sched_add(s, 1, 0);
	sched_remove(s, b);
	sched_remove(s, b); /* twice: nothing */
	sched_remove(s, 99);
	uint64_t r, sk;
	assert_false(sched_stats(s, b, &r, &sk));
	int seen_a = 0, seen_c = 0;
	for (double now = 0; now < 10; now += 0.01) {
		int id;
		while ((id = sched_take(s, now)) >= 0) {
			assert_true(id == a || id == c);
			seen_a += id == a;
			seen_c += id == c;
			sched_done(s, id);
		}
	}
	assert_in_range(seen_a, 9, 10);
	assert_in_range(seen_c, 9, 10);
	assert_int_equal(sched_add(s, 1, 0), 3); /* ids are not reused */
	sched_free(s);
}

/* Random adds, removes and takes against a brute-force reference: after
 * every step the earliest due time is the minimum over the live jobs, none
 * is overdue, and each stays on its grid (phase + k * interval). */
static void against_reference(void **st)
{
	(void)st;
	sched *s = sched_new(11);
	enum { N = 2000 };
	static double phase[N], iv[N];
	static bool live[N];
	int n = 0;
	uint64_t x = 88172645463325252ULL;
	double now = 0;
	for (int step = 0; step < 20000; step++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned op = (unsigned)(x % 10);
		if (op < 3 && n < N) {
			iv[n] = 1 + (double)((x >> 40) % 990) / 10.0;
			int id = sched_add(s, iv[n], now);
			assert_int_equal(id, n);
			live[n] = true;
			phase[n] = sched_due(s, id);
			assert_true(phase[n] >= now && phase[n] < now + iv[n]);
			n++;
		} else if (op < 4 && n > 0) {
			int id = (int)((x >> 20) % (uint64_t)n);
			sched_remove(s, id);
			live[id] = false;
			assert_true(isnan(sched_due(s, id)));
		} else {
			now += (double)((x >> 30) % 1000) / 100.0;
			int id;
			while ((id = sched_take(s, now)) >= 0) {
				assert_true(id < n && live[id]);
				sched_done(s, id);
			}
		}
		double min = INFINITY;
		for (int i = 0; i < n; i++) {
			if (!live[i])
				continue;
			double d = sched_due(s, i);
			assert_true(d > now || (d == phase[i] && d >= now));
			double k = (d - phase[i]) / iv[i];
			assert_true(fabs(k - round(k)) < 1e-6);
			min = d < min ? d : min;
		}
		assert_true(sched_next(s) == min);
	}
	sched_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_intervals),	 cmocka_unit_test(phases_spread),
		cmocka_unit_test(stays_on_grid),	 cmocka_unit_test(busy_is_skipped),
		cmocka_unit_test(stall_catches_up_once), cmocka_unit_test(remove_and_ties),
		cmocka_unit_test(against_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
