/* fuzz_adsb.c - libFuzzer harness for the adsb source's parsers
 * (sources/adsb: adsb_parse_receiver, adsb_parse_aircraft, adsb_parse_stats).
 *
 * The input is handed to each parser as is, without a terminating NUL, as a
 * file or an HTTP body would be; aircraft.json's parser runs twice, with
 * the receiver the same input gave (if any) and with one at 0, 0.
 *
 * Besides not crashing, leaking or reading past the input: a status is one
 * of the enum's; a refused input yields nothing (no position, no aircraft,
 * NAN values) and names its field for WRONG_TYPE, BAD_VALUE and MISSING; a
 * receiver's position is within -90 .. 90, -180 .. 180; never more aircraft
 * with a position than aircraft; the counter an integer 0 .. 2^53; a range
 * only with a position and at most half the Earth's circumference; levels
 * within -200 .. 50 dBFS; the strong-signal ratio not negative.
 *
 * Seed corpus: tests/fuzz/corpus/adsb/ (the three flavours' files of
 * tests/data/adsb/ and edge cases).  Without libFuzzer, tests/fuzz/replay.c
 * runs the corpus. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "sources/adsb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static int names_field(enum adsb_status st)
{
	return st == ADSB_WRONG_TYPE || st == ADSB_BAD_VALUE || st == ADSB_MISSING;
}

static void check_aircraft(enum adsb_status st, const struct adsb_aircraft *a,
			   const struct adsb_receiver *rx)
{
	check(st <= ADSB_MISSING);
	if (st != ADSB_OK) {
		check(a->aircraft == 0 && a->with_position == 0);
		check(isnan(a->messages) && isnan(a->max_range) && isnan(a->now));
		check(!names_field(st) || a->bad_field != NULL);
		return;
	}
	check(a->with_position <= a->aircraft);
	check(isnan(a->now) || (a->now >= 0 && a->now <= 1e11));
	check(isnan(a->messages) || (a->messages >= 0 && a->messages <= 9007199254740992.0 &&
				     a->messages == floor(a->messages)));
	if (!isnan(a->max_range)) {
		check(rx != NULL && rx->has_position && a->with_position > 0);
		check(a->max_range >= 0 && a->max_range <= M_PI * ADSB_EARTH_RADIUS * (1 + 1e-12));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;

	struct adsb_receiver rx;
	enum adsb_status r = adsb_parse_receiver(text, size, &rx);
	check(r <= ADSB_MISSING);
	if (r != ADSB_OK) {
		check(!rx.has_position && isnan(rx.lat) && isnan(rx.lon));
		check(!names_field(r) || rx.bad_field != NULL);
	} else if (rx.has_position) {
		check(fabs(rx.lat) <= 90 && fabs(rx.lon) <= 180);
	}

	struct adsb_aircraft a;
	const struct adsb_receiver *own = r == ADSB_OK ? &rx : NULL;
	check_aircraft(adsb_parse_aircraft(text, size, own, &a), &a, own);
	const struct adsb_receiver zero = { .has_position = true, .lat = 0, .lon = 0 };
	check_aircraft(adsb_parse_aircraft(text, size, &zero, &a), &a, &zero);

	struct adsb_stats s;
	enum adsb_status st = adsb_parse_stats(text, size, &s);
	check(st <= ADSB_MISSING);
	const double lv[3] = { s.signal, s.noise, s.peak_signal };
	if (st != ADSB_OK) {
		for (int i = 0; i < 3; i++)
			check(isnan(lv[i]));
		check(isnan(s.strong_ratio) && isnan(s.strong_total));
		check(!names_field(st) || s.bad_field != NULL);
	} else {
		for (int i = 0; i < 3; i++)
			check(isnan(lv[i]) || (lv[i] >= -200 && lv[i] <= 50));
		check(isnan(s.strong_ratio) || s.strong_ratio >= 0);
		check(isnan(s.strong_total) || s.strong_total >= 0);
	}
	return 0;
}
