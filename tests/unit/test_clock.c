/* test_clock.c - the replaceable clock, and the client engine's summary
 * logic driven by it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "common/clock.h"
#include "net/ntp_client.h"

static struct timespec fake_mono = { 1000, 0 }, fake_real = { 1764000000, 250000000 };

static void fake(clockid_t id, struct timespec *ts)
{
	*ts = id == CLOCK_MONOTONIC ? fake_mono : fake_real;
}

static void fake_clock_drives_time(void **state)
{
	(void)state;
	clock_set_source(fake);
	assert_true(clock_mono_sec() == 1000.0);
	fake_mono.tv_nsec = 500000000;
	assert_true(clock_mono_sec() == 1000.5);
	struct timespec r;
	clock_realtime(&r);
	assert_int_equal(r.tv_sec, 1764000000);
	clock_set_source(NULL);
	/* Back on the system clock: monotonic time is not the fake value. */
	assert_true(clock_mono_sec() != 1000.5);
}

static void ts_diff(void **state)
{
	(void)state;
	struct timespec a = { 10, 100 }, b = { 9, 999999900 };
	assert_true(clock_ts_diff(&a, &b) > 1.9e-7 && clock_ts_diff(&a, &b) < 2.1e-7);
}

static struct ntpc_sample mk(uint8_t st, double off, double del, uint8_t stratum)
{
	struct ntpc_sample s;
	memset(&s, 0, sizeof s);
	s.state = st;
	s.offset = off;
	s.delay = del;
	s.mono_sent = 1;
	s.reply.stratum = stratum;
	s.reply.mode = 4;
	s.reply.version = 4;
	return s;
}

static void summary_picks_lowest_delay(void **state)
{
	(void)state;
	struct ntpc_sample s[4] = {
		mk(NTPC_S_OK, 0.003, 0.020, 2),
		mk(NTPC_S_OK, 0.001, 0.010, 2),
		mk(NTPC_S_TIMEOUT, 0, 0, 0),
		mk(NTPC_S_OK, 0.005, 0.030, 2),
	};
	struct ntpc_target t;
	memset(&t, 0, sizeof t);
	t.samples = s;
	t.n_samples = 4;
	struct ntpc_summary sum;
	ntpc_summarize(&t, false, &sum);
	assert_int_equal(sum.status, NTPC_OK);
	assert_ptr_equal(sum.best, &s[1]);
	assert_int_equal(sum.sent, 4);
	assert_int_equal(sum.valid, 3);
	assert_true(sum.offset_median == 0.003);
	assert_true(sum.offset_spread > 0.0039 && sum.offset_spread < 0.0041);
}

static void summary_statuses(void **state)
{
	(void)state;
	struct ntpc_target t;
	struct ntpc_summary sum;
	memset(&t, 0, sizeof t);

	struct ntpc_sample none[2] = { mk(NTPC_S_TIMEOUT, 0, 0, 0), mk(NTPC_S_TIMEOUT, 0, 0, 0) };
	t.samples = none;
	t.n_samples = 2;
	ntpc_summarize(&t, false, &sum);
	assert_int_equal(sum.status, NTPC_TIMEOUT);

	struct ntpc_sample unr[1] = { mk(NTPC_S_UNREACHABLE, 0, 0, 0) };
	t.samples = unr;
	t.n_samples = 1;
	ntpc_summarize(&t, false, &sum);
	assert_int_equal(sum.status, NTPC_UNREACHABLE);

	/* A RATE after a good answer still reports the kiss. */
	struct ntpc_sample kod[2] = { mk(NTPC_S_OK, 0, 0.01, 2), mk(NTPC_S_KOD, 0, 0, 0) };
	memcpy(kod[1].reply.refid, "RATE", 4);
	t.samples = kod;
	t.n_samples = 2;
	ntpc_summarize(&t, false, &sum);
	assert_int_equal(sum.status, NTPC_KOD);
	assert_non_null(sum.best);

	/* Unsynchronised: stratum 16, or leap 3. */
	struct ntpc_sample uns[1] = { mk(NTPC_S_OK, 0, 0.01, 16) };
	t.samples = uns;
	t.n_samples = 1;
	ntpc_summarize(&t, false, &sum);
	assert_int_equal(sum.status, NTPC_UNSYNC);
	assert_non_null(sum.unsync_reason);

	/* Any authentication failure wins over good replies. */
	struct ntpc_sample au[2] = { mk(NTPC_S_OK, 0, 0.01, 2), mk(NTPC_S_AUTH, 0, 0, 2) };
	au[1].auth = MAC_BAD;
	t.samples = au;
	t.n_samples = 2;
	ntpc_summarize(&t, true, &sum);
	assert_int_equal(sum.status, NTPC_AUTH_FAILED);
	assert_int_equal(sum.auth, MAC_BAD);
}

static void unsync_reasons(void **state)
{
	(void)state;
	struct ntp_pkt p;
	memset(&p, 0, sizeof p);
	p.stratum = 2;
	assert_null(ntpc_unsync_reason(&p, 0.01));
	p.leap = NTP_LEAP_UNSYNC;
	assert_non_null(ntpc_unsync_reason(&p, 0.01));
	p.leap = 0;
	p.root_disp = 17u << 16; /* 17 s */
	assert_non_null(ntpc_unsync_reason(&p, 0.01));
	p.root_disp = 1u << 16; /* 1 s + 0.6/2 root delay + delay/2 > 1.5 */
	p.root_delay = (uint32_t)(1.2 * 65536);
	assert_non_null(ntpc_unsync_reason(&p, 0.01));
	p.root_delay = 0;
	assert_null(ntpc_unsync_reason(&p, 0.01));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fake_clock_drives_time),
		cmocka_unit_test(ts_diff),
		cmocka_unit_test(summary_picks_lowest_delay),
		cmocka_unit_test(summary_statuses),
		cmocka_unit_test(unsync_reasons),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
