/* test_adsb.c - the adsb source's parsers (sources/adsb): each flavour's
 * files from tests/data/adsb/ (dump1090-fa's from claws/dump1090-exporter,
 * readsb's and mutability's written from their README-json), the
 * great-circle distance against known answers, the range of a file against
 * one computed independently, targets, rejection cases (cut short, not
 * JSON, wrong types, numbers out of range or too big, the limit), every
 * prefix of every file refused as cut short, and a randomised loop of
 * mutated files keeping the invariants. */
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

#include "sources/adsb.h"

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/adsb/%s", TEST_DATA_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static enum adsb_status receiver_of(const char *name, struct adsb_receiver *rx)
{
	size_t len;
	char *t = slurp(name, &len);
	enum adsb_status st = adsb_parse_receiver(t, len, rx);
	free(t);
	return st;
}

static enum adsb_status aircraft_of(const char *name, const struct adsb_receiver *rx,
				    struct adsb_aircraft *a)
{
	size_t len;
	char *t = slurp(name, &len);
	enum adsb_status st = adsb_parse_aircraft(t, len, rx, a);
	free(t);
	return st;
}

static enum adsb_status stats_of(const char *name, struct adsb_stats *s)
{
	size_t len;
	char *t = slurp(name, &len);
	enum adsb_status st = adsb_parse_stats(t, len, s);
	free(t);
	return st;
}

#define near(a, b, tol) assert_true(fabs((a) - (b)) <= (tol))

/* Ranges below were computed with Python's math module: haversine on a
 * sphere of 6371008.8 m. */

/* dump1090-fa 6.1: two aircraft, the first last heard 102.4 s ago, the
 * second with a position 2.4 s old, 30.7 km west of the receiver in
 * Adelaide. */
static void dump1090_fa(void **st)
{
	(void)st;
	struct adsb_receiver rx;
	assert_int_equal(receiver_of("claws_dump1090_receiver.json", &rx), ADSB_OK);
	assert_true(rx.has_position);
	near(rx.lat, -34.9285, 1e-9);
	near(rx.lon, 138.6007, 1e-9);
	struct adsb_aircraft a;
	assert_int_equal(aircraft_of("claws_dump1090_aircraft.json", &rx, &a), ADSB_OK);
	near(a.now, 1633214709.0, 1e-6);
	assert_true(a.messages == 318553);
	assert_int_equal(a.aircraft, 1);
	assert_int_equal(a.with_position, 1);
	near(a.max_range, 30723.98108889639, 0.01);
	struct adsb_stats s;
	assert_int_equal(stats_of("claws_dump1090_stats.json", &s), ADSB_OK);
	assert_true(s.signal == -2.5 && s.noise == -9.3 && s.peak_signal == -1.2);
	near(s.strong_ratio, 80.0 / (48 + 45), 1e-12);
	assert_true(s.strong_total == 263179);
	/* without the receiver: no range, the rest the same */
	assert_int_equal(aircraft_of("claws_dump1090_aircraft.json", NULL, &a), ADSB_OK);
	assert_true(isnan(a.max_range));
	assert_int_equal(a.with_position, 1);
}

/* readsb: five aircraft, of which one last heard 200 s ago; positions 0.4 s
 * (57.6 km), 59.9 s (148.7 km, an MLAT one: counted) and 70 s old (TIS-B:
 * not counted); one without a position. */
static void readsb(void **st)
{
	(void)st;
	struct adsb_receiver rx;
	assert_int_equal(receiver_of("readsb_receiver.json", &rx), ADSB_OK);
	assert_true(rx.has_position && rx.lat == 52.52 && rx.lon == 13.405);
	struct adsb_aircraft a;
	assert_int_equal(aircraft_of("readsb_aircraft.json", &rx, &a), ADSB_OK);
	assert_true(a.messages == 123456789);
	assert_int_equal(a.aircraft, 4);
	assert_int_equal(a.with_position, 2);
	near(a.max_range, 148692.31736738325, 0.01);
	struct adsb_stats s;
	assert_int_equal(stats_of("readsb_stats.json", &s), ADSB_OK);
	assert_true(s.signal == -20.1 && s.noise == -34.5 && s.peak_signal == -2.8);
	near(s.strong_ratio, 21.0 / 10500, 1e-12);
	assert_true(s.strong_total == 35000);
}

/* mutability's dump1090 1.15: no receiver position, no noise in its stats;
 * the last minute's levels win over the totals. */
static void mutability(void **st)
{
	(void)st;
	struct adsb_receiver rx;
	assert_int_equal(receiver_of("mutability_receiver.json", &rx), ADSB_OK);
	assert_false(rx.has_position);
	struct adsb_aircraft a;
	assert_int_equal(aircraft_of("mutability_aircraft.json", &rx, &a), ADSB_OK);
	assert_true(a.messages == 80212);
	assert_int_equal(a.aircraft, 2);
	assert_int_equal(a.with_position, 1);
	assert_true(isnan(a.max_range)); /* no receiver position: no range */
	struct adsb_stats s;
	assert_int_equal(stats_of("mutability_stats.json", &s), ADSB_OK);
	assert_true(s.signal == -11.0 && s.peak_signal == -1.1);
	assert_true(isnan(s.noise));
	near(s.strong_ratio, 30.0 / 400, 1e-12);
	assert_true(s.strong_total == 5123);
}

static void distance(void **st)
{
	(void)st;
	const double r = ADSB_EARTH_RADIUS;
	assert_true(adsb_distance(10, 20, 10, 20) == 0);
	near(adsb_distance(0, 0, 1, 0), r * M_PI / 180, 1e-6);		/* 111195.08 m */
	near(adsb_distance(0, 0, 0, 90), r * M_PI / 2, 1e-6);		/* a quarter */
	near(adsb_distance(90, 0, -90, 0), r * M_PI, 1e-6);		/* pole to pole */
	near(adsb_distance(0, 0, 0, 180), r * M_PI, 1e-6);		/* antipodes */
	near(adsb_distance(0, 179.5, 0, -179.5), r * M_PI / 180, 1e-6); /* across 180 */
	near(adsb_distance(45, 7, 45, 8), adsb_distance(45, 8, 45, 7), 1e-9);
	/* along a parallel at 60 degrees a degree of longitude is about half
	 * of one at the equator (the chord of the great circle is a bit
	 * shorter than the parallel's arc) */
	double d = adsb_distance(60, 0, 60, 1);
	assert_true(d < r * M_PI / 360 && d > r * M_PI / 360 * 0.9999);
	/* JFK to LHR: 5540.019 km by the spherical law of cosines (an
	 * independent formula, computed with Python), 2991 nmi as airline
	 * tables give it */
	near(adsb_distance(40.6413, -73.7781, 51.4700, -0.4543), 5540018.970166, 0.01);
}

static enum adsb_status parse_a(const char *text, const struct adsb_receiver *rx,
				struct adsb_aircraft *a)
{
	return adsb_parse_aircraft(text, strlen(text), rx, a);
}

static void aircraft_rules(void **st)
{
	(void)st;
	struct adsb_receiver rx = { .has_position = true, .lat = 0, .lon = 0 };
	struct adsb_aircraft a;
	/* the minimum: an empty aircraft array */
	assert_int_equal(parse_a("{\"aircraft\":[]}", &rx, &a), ADSB_OK);
	assert_true(isnan(a.now) && isnan(a.messages) && isnan(a.max_range));
	assert_int_equal(a.aircraft, 0);
	/* missing seen: just heard; seen_pos missing: seen's; null: missing */
	assert_int_equal(parse_a("{\"aircraft\":[{\"lat\":1,\"lon\":0},{\"seen\":null}]}", &rx, &a),
			 ADSB_OK);
	assert_int_equal(a.aircraft, 2);
	assert_int_equal(a.with_position, 1);
	near(a.max_range, ADSB_EARTH_RADIUS * M_PI / 180, 1e-6);
	/* lat without lon is no position; seen 60 is not recent */
	assert_int_equal(
		parse_a("{\"aircraft\":[{\"lat\":1},{\"seen\":60,\"lat\":1,\"lon\":1}]}", &rx, &a),
		ADSB_OK);
	assert_int_equal(a.aircraft, 1);
	assert_int_equal(a.with_position, 0);
	assert_true(isnan(a.max_range));
	/* a position heard long ago does not count for an aircraft heard now,
	 * and never more positions than aircraft */
	assert_int_equal(
		parse_a("{\"aircraft\":[{\"seen\":100,\"seen_pos\":1,\"lat\":1,\"lon\":1}]}", &rx,
			&a),
		ADSB_OK);
	assert_int_equal(a.aircraft, 0);
	assert_int_equal(a.with_position, 0);
	/* a counter written as a real with an integral value */
	assert_int_equal(parse_a("{\"messages\":12.0,\"aircraft\":[]}", &rx, &a), ADSB_OK);
	assert_true(a.messages == 12);
	assert_int_equal(parse_a("{\"messages\":9007199254740992,\"aircraft\":[]}", &rx, &a),
			 ADSB_OK);

	static const struct {
		const char *text;
		enum adsb_status st;
		const char *field;
	} bad[] = {
		{ "", ADSB_TRUNCATED, NULL },
		{ "{\"aircraft\":[{\"lat\":1", ADSB_TRUNCATED, NULL },
		{ "{\"aircraft\":[]", ADSB_TRUNCATED, NULL },
		{ "{\"now\":17000000", ADSB_TRUNCATED, NULL },
		{ "{\"aircraft\":[], \"now\": tru", ADSB_TRUNCATED, NULL },
		{ "{\"aircraft\":[]}x", ADSB_BAD_JSON, NULL },
		{ "{\"aircraft\":[],}", ADSB_BAD_JSON, NULL },
		{ "{'aircraft':[]}", ADSB_BAD_JSON, NULL },
		{ "{\"aircraft\":[],\"aircraft\":[]}", ADSB_BAD_JSON, NULL },
		{ "{\"aircraft\":[],\"now\":1e400}", ADSB_BAD_JSON, NULL },
		{ "{\"aircraft\":[],\"messages\":99999999999999999999}", ADSB_BAD_JSON, NULL },
		{ "{\"aircraft\":[],\"x\":\"\xff\"}", ADSB_BAD_JSON, NULL },
		{ "{\"aircraft\":[],\"x\":\"\\u0000\"}", ADSB_BAD_JSON, NULL },
		{ "[]", ADSB_WRONG_TYPE, "(the top level: an object)" },
		{ "\"aircraft\"", ADSB_BAD_JSON, NULL },
		{ "{}", ADSB_MISSING, "aircraft" },
		{ "{\"aircraft\":null}", ADSB_MISSING, "aircraft" },
		{ "{\"aircraft\":{}}", ADSB_WRONG_TYPE, "aircraft" },
		{ "{\"aircraft\":[1]}", ADSB_WRONG_TYPE, "aircraft[]" },
		{ "{\"aircraft\":[{},[]]}", ADSB_WRONG_TYPE, "aircraft[]" },
		{ "{\"aircraft\":[],\"now\":\"1700000000\"}", ADSB_WRONG_TYPE, "now" },
		{ "{\"aircraft\":[],\"now\":-1}", ADSB_BAD_VALUE, "now" },
		{ "{\"aircraft\":[],\"messages\":\"5\"}", ADSB_WRONG_TYPE, "messages" },
		{ "{\"aircraft\":[],\"messages\":true}", ADSB_WRONG_TYPE, "messages" },
		{ "{\"aircraft\":[],\"messages\":-1}", ADSB_BAD_VALUE, "messages" },
		{ "{\"aircraft\":[],\"messages\":1.5}", ADSB_BAD_VALUE, "messages" },
		{ "{\"aircraft\":[],\"messages\":1e300}", ADSB_BAD_VALUE, "messages" },
		{ "{\"aircraft\":[],\"messages\":9007199254740993}", ADSB_BAD_VALUE, "messages" },
		{ "{\"aircraft\":[{\"lat\":\"1\",\"lon\":1}]}", ADSB_WRONG_TYPE, "aircraft[].lat" },
		{ "{\"aircraft\":[{\"lat\":90.5,\"lon\":1}]}", ADSB_BAD_VALUE, "aircraft[].lat" },
		{ "{\"aircraft\":[{\"lat\":1,\"lon\":-180.01}]}", ADSB_BAD_VALUE,
		  "aircraft[].lon" },
		{ "{\"aircraft\":[{\"lat\":1,\"lon\":1e308}]}", ADSB_BAD_VALUE, "aircraft[].lon" },
		{ "{\"aircraft\":[{\"seen\":[]}]}", ADSB_WRONG_TYPE, "aircraft[].seen" },
		{ "{\"aircraft\":[{\"seen_pos\":{}}]}", ADSB_WRONG_TYPE, "aircraft[].seen_pos" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&a, 0x5a, sizeof a);
		enum adsb_status got = parse_a(bad[i].text, &rx, &a);
		if (got != bad[i].st)
			fail_msg("'%s': %s, not %s", bad[i].text, adsb_strerror(got),
				 adsb_strerror(bad[i].st));
		if (bad[i].field)
			assert_string_equal(a.bad_field, bad[i].field);
		assert_int_equal(a.aircraft, 0); /* nothing of a refused file */
		assert_true(isnan(a.messages) && isnan(a.max_range));
	}
	/* deep nesting is jansson's limit, not a crash */
	char deep[20000];
	size_t n = 0;
	n += (size_t)snprintf(deep, sizeof deep, "{\"aircraft\":[],\"x\":");
	while (n < 10000)
		deep[n++] = '[';
	while (n < 19990)
		deep[n++] = ']';
	deep[n++] = '}';
	assert_int_equal(adsb_parse_aircraft(deep, n, &rx, &a), ADSB_BAD_JSON);
	/* the limit: refused before jansson sees it */
	assert_int_equal(adsb_parse_aircraft("{}", (size_t)ADSB_MAX_FILE + 1, &rx, &a),
			 ADSB_TOO_BIG);
	/* a NUL inside the text */
	assert_int_equal(adsb_parse_aircraft("{\"aircraft\":[]}\0", 16, &rx, &a), ADSB_BAD_JSON);
}

static void receiver_rules(void **st)
{
	(void)st;
	struct adsb_receiver rx;
	static const char *const no_position[] = {
		"{}",
		"{\"lat\":52.5}",
		"{\"lon\":13.4,\"version\":\"x\"}",
		"{\"lat\":null,\"lon\":null}",
	};
	for (size_t i = 0; i < sizeof no_position / sizeof no_position[0]; i++) {
		assert_int_equal(adsb_parse_receiver(no_position[i], strlen(no_position[i]), &rx),
				 ADSB_OK);
		assert_false(rx.has_position);
	}
	const char *t = "{\"lat\":-90,\"lon\":180}";
	assert_int_equal(adsb_parse_receiver(t, strlen(t), &rx), ADSB_OK);
	assert_true(rx.has_position && rx.lat == -90 && rx.lon == 180);
	static const struct {
		const char *text;
		enum adsb_status st;
	} bad[] = {
		{ "{\"lat\":\"52.5\",\"lon\":13.4}", ADSB_WRONG_TYPE },
		{ "{\"lat\":91,\"lon\":13.4}", ADSB_BAD_VALUE },
		{ "{\"lat\":52,\"lon\":-181}", ADSB_BAD_VALUE },
		{ "{\"lat\":52,\"lon\":13", ADSB_TRUNCATED },
		{ "[52, 13]", ADSB_WRONG_TYPE },
		{ "{\"lat\":1e999}", ADSB_BAD_JSON },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(adsb_parse_receiver(bad[i].text, strlen(bad[i].text), &rx),
				 bad[i].st);
		assert_false(rx.has_position);
	}
}

static void stats_rules(void **st)
{
	(void)st;
	struct adsb_stats s;
	/* nothing of use: all NAN, not an error */
	const char *t = "{\"latest\":{}}";
	assert_int_equal(adsb_parse_stats(t, strlen(t), &s), ADSB_OK);
	assert_true(isnan(s.signal) && isnan(s.noise) && isnan(s.peak_signal) &&
		    isnan(s.strong_ratio) && isnan(s.strong_total));
	/* the totals stand in for a missing minute; no accepted: no ratio */
	t = "{\"total\":{\"local\":{\"signal\":-3,\"noise\":-30,\"strong_signals\":7}}}";
	assert_int_equal(adsb_parse_stats(t, strlen(t), &s), ADSB_OK);
	assert_true(s.signal == -3 && s.noise == -30 && isnan(s.peak_signal));
	assert_true(isnan(s.strong_ratio) && s.strong_total == 7);
	/* accepted all 0: no ratio rather than a division by zero */
	t = "{\"last1min\":{\"local\":{\"accepted\":[0,0],\"strong_signals\":0}}}";
	assert_int_equal(adsb_parse_stats(t, strlen(t), &s), ADSB_OK);
	assert_true(isnan(s.strong_ratio));
	static const struct {
		const char *text;
		enum adsb_status st;
		const char *field;
	} bad[] = {
		{ "{\"last1min\":[]}", ADSB_WRONG_TYPE, "last1min" },
		{ "{\"total\":{\"local\":5}}", ADSB_WRONG_TYPE, "total.local" },
		{ "{\"last1min\":{\"local\":{\"signal\":\"-3\"}}}", ADSB_WRONG_TYPE,
		  "local.signal" },
		{ "{\"last1min\":{\"local\":{\"noise\":-300}}}", ADSB_BAD_VALUE, "local.noise" },
		{ "{\"total\":{\"local\":{\"peak_signal\":51}}}", ADSB_BAD_VALUE,
		  "local.peak_signal" },
		{ "{\"last1min\":{\"local\":{\"strong_signals\":-1}}}", ADSB_BAD_VALUE,
		  "local.strong_signals" },
		{ "{\"last1min\":{\"local\":{\"accepted\":7}}}", ADSB_WRONG_TYPE,
		  "local.accepted" },
		{ "{\"last1min\":{\"local\":{\"accepted\":[1,\"2\"]}}}", ADSB_WRONG_TYPE,
		  "local.accepted[]" },
		{ "{\"last1min\":{\"local\":{\"accepted\":[1,-2]}}}", ADSB_BAD_VALUE,
		  "local.accepted[]" },
		{ "{\"last1min\":{\"local\":{\"signal\":-3}}", ADSB_TRUNCATED, NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum adsb_status got = adsb_parse_stats(bad[i].text, strlen(bad[i].text), &s);
		if (got != bad[i].st)
			fail_msg("'%s': %s, not %s", bad[i].text, adsb_strerror(got),
				 adsb_strerror(bad[i].st));
		if (bad[i].field)
			assert_string_equal(s.bad_field, bad[i].field);
		assert_true(isnan(s.signal) && isnan(s.strong_total));
	}
	/* too many accepted entries */
	char many[1024];
	size_t n = (size_t)snprintf(many, sizeof many, "{\"last1min\":{\"local\":{\"accepted\":[0");
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(many + n, sizeof many - n, ",0");
	n += (size_t)snprintf(many + n, sizeof many - n, "]}}}");
	assert_int_equal(adsb_parse_stats(many, n, &s), ADSB_BAD_VALUE);
}

static void targets(void **st)
{
	(void)st;
	assert_true(adsb_target_ok("/run/dump1090-fa"));
	assert_true(adsb_target_ok("/run/readsb/"));
	assert_true(adsb_target_ok("http://127.0.0.1:8080/data"));
	assert_true(adsb_target_ok("https://[2001:db8::1]/dump1090/data/"));
	assert_true(adsb_target_ok("http://pi"));
	static const char *const bad[] = {
		"",
		"run/dump1090-fa",
		"ftp://pi/data",
		"file:///run/dump1090-fa",
		"http://",
		"http:///data",
		"http://pi/data?x=1",
		"http://pi/data#top",
		"http://pi/my data",
		"/run/dump\t1090",
		"/run/d\xc3\xbcmp",
		"HTTP://pi/data",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (adsb_target_ok(bad[i]))
			fail_msg("'%s' was taken", bad[i]);
	char longer[300];
	memset(longer, 'a', sizeof longer);
	longer[0] = '/';
	longer[256] = '\0';
	assert_false(adsb_target_ok(longer));
	longer[255] = '\0';
	assert_true(adsb_target_ok(longer));
}

static void strerrors(void **st)
{
	(void)st;
	for (int s = ADSB_OK; s <= ADSB_MISSING; s++)
		assert_true(strlen(adsb_strerror((enum adsb_status)s)) > 1);
	assert_string_equal(adsb_strerror((enum adsb_status)99), "unknown error");
}

static const char *const files[] = {
	"claws_dump1090_aircraft.json", "claws_dump1090_receiver.json", "claws_dump1090_stats.json",
	"readsb_aircraft.json",		"readsb_receiver.json",		"readsb_stats.json",
	"mutability_aircraft.json",	"mutability_receiver.json",	"mutability_stats.json",
};

/* Every proper prefix of every file (a file cut short while written) is
 * refused as cut short, by all three parsers. */
static void prefixes(void **st)
{
	(void)st;
	for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
		size_t len;
		char *t = slurp(files[f], &len);
		while (len > 0 && (t[len - 1] == '\n' || t[len - 1] == ' '))
			len--;
		for (size_t k = 0; k < len; k++) {
			struct adsb_receiver rx;
			struct adsb_aircraft a;
			struct adsb_stats s;
			enum adsb_status r1 = adsb_parse_receiver(t, k, &rx);
			enum adsb_status r2 = adsb_parse_aircraft(t, k, NULL, &a);
			enum adsb_status r3 = adsb_parse_stats(t, k, &s);
			if (r1 != ADSB_TRUNCATED || r2 != ADSB_TRUNCATED || r3 != ADSB_TRUNCATED)
				fail_msg("%s cut at %zu: %s, %s, %s", files[f], k,
					 adsb_strerror(r1), adsb_strerror(r2), adsb_strerror(r3));
		}
		free(t);
	}
}

/* Mutated files (bytes replaced, inserted, deleted; digits made huge):
 * whatever the outcome, the invariants hold and nothing is read from a
 * refused file.  The seed is printed. */
static void randomised(void **st)
{
	(void)st;
	unsigned seed = (unsigned)time(NULL);
	const char *env = getenv("ADSB_SEED");
	if (env)
		seed = (unsigned)strtoul(env, NULL, 10);
	printf("# seed %u (ADSB_SEED=%u repeats it)\n", seed, seed);
	srand(seed);
	static const char tokens[] = "{}[]\",:0123456789.-eE+ntfalsru\\\xff\x00 ";
	size_t ok = 0, refused = 0;
	for (int iter = 0; iter < 3000; iter++) {
		size_t len;
		char *t = slurp(files[(size_t)rand() % (sizeof files / sizeof files[0])], &len);
		int edits = 1 + rand() % 4;
		for (int e = 0; e < edits && len > 2; e++) {
			size_t at = (size_t)rand() % len;
			switch (rand() % 4) {
			case 0: t[at] = tokens[(size_t)rand() % (sizeof tokens - 1)]; break;
			case 1:
				memmove(t + at, t + at + 1, len - at - 1);
				len--;
				break;
			case 2:
				if (len + 1 < (1 << 20)) {
					memmove(t + at + 1, t + at, len - at);
					t[at] = tokens[(size_t)rand() % (sizeof tokens - 1)];
					len++;
				}
				break;
			default:
				if (t[at] >= '0' && t[at] <= '9' && len + 30 < (1 << 20)) {
					memmove(t + at + 30, t + at, len - at);
					memset(t + at, '9', 30);
					len += 30;
				}
				break;
			}
		}
		struct adsb_receiver rx;
		struct adsb_aircraft a;
		struct adsb_stats s;
		enum adsb_status r1 = adsb_parse_receiver(t, len, &rx);
		assert_true(r1 <= ADSB_MISSING);
		if (r1 != ADSB_OK)
			assert_false(rx.has_position);
		else if (rx.has_position)
			assert_true(fabs(rx.lat) <= 90 && fabs(rx.lon) <= 180);
		enum adsb_status r2 = adsb_parse_aircraft(t, len, r1 == ADSB_OK ? &rx : NULL, &a);
		assert_true(r2 <= ADSB_MISSING);
		if (r2 == ADSB_OK) {
			ok++;
			assert_true(a.with_position <= a.aircraft);
			assert_true(isnan(a.messages) ||
				    (a.messages >= 0 && a.messages == floor(a.messages)));
			assert_true(isnan(a.max_range) ||
				    (a.max_range >= 0 && a.max_range <= M_PI * ADSB_EARTH_RADIUS));
			if (!isnan(a.max_range))
				assert_true(a.with_position > 0);
		} else {
			refused++;
			assert_int_equal(a.aircraft, 0);
			assert_true(isnan(a.messages) && isnan(a.max_range));
		}
		enum adsb_status r3 = adsb_parse_stats(t, len, &s);
		assert_true(r3 <= ADSB_MISSING);
		if (r3 == ADSB_OK) {
			assert_true(isnan(s.signal) || (s.signal >= -200 && s.signal <= 50));
			assert_true(isnan(s.strong_ratio) || s.strong_ratio >= 0);
		} else {
			assert_true(isnan(s.signal) && isnan(s.strong_ratio));
		}
		free(t);
	}
	printf("# %zu mutated aircraft files taken, %zu refused\n", ok, refused);
	assert_true(refused > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dump1090_fa),	  cmocka_unit_test(readsb),
		cmocka_unit_test(mutability),	  cmocka_unit_test(distance),
		cmocka_unit_test(aircraft_rules), cmocka_unit_test(receiver_rules),
		cmocka_unit_test(stats_rules),	  cmocka_unit_test(targets),
		cmocka_unit_test(strerrors),	  cmocka_unit_test(prefixes),
		cmocka_unit_test(randomised),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
