/* test_ntpstats.c - the statistics-file reader and the summaries:
 *   - known lines of every kind (real lines from ntpd, NTPsec, chrony and the
 *     NTP Pool's log) and the values they give;
 *   - detection by content, and --kind forcing;
 *   - rejection: malformed lines counted with their numbers and reasons,
 *     never fatal; lines over the limit; a random-line loop;
 *   - any split of the input gives the same result;
 *   - the summary against a straightforward computation (sort + nearest
 *     rank; two-pass moments) on random data (the seed is printed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/ntpstats.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static double urand(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* Reads text as one file of kind k into a new collection. */
static ntpstats *load(const char *text, enum ntpstats_kind k)
{
	ntpstats *s = ntpstats_new();
	ntpstats_file_begin(s, "test", k);
	assert_int_equal(ntpstats_feed(s, text, strlen(text)), 0);
	ntpstats_finish(s);
	return s;
}

static const struct ntpstats_series *find(const ntpstats *s, const char *field, const char *src)
{
	for (size_t i = 0; i < ntpstats_series_count(s); i++) {
		const struct ntpstats_series *se = ntpstats_series_get(s, i);
		if (strcmp(se->field, field) == 0 && strcmp(se->source, src) == 0)
			return se;
	}
	return NULL;
}

static void loopstats(void **st)
{
	(void)st;
	/* NTPsec loopstats of a GPS+PPS server: MJD 61016 = 2025-12-07. */
	ntpstats *s = load("61016 2.878 0.000001853 -33.344 0.000003510 0.002074 3\n"
			   "61016 10.878 0.000001163 -33.344 0.000004682 0.001940 3\n",
			   NTPSTATS_AUTO);
	assert_int_equal(ntpstats_file_get(s, 0)->kind, NTPSTATS_LOOPSTATS);
	const struct ntpstats_series *o = find(s, "offset", "");
	assert_non_null(o);
	assert_int_equal(o->n, 2);
	assert_true(fabs(o->t[0] - (1765065600.0 + 2.878)) < 1e-6);
	assert_true(o->v[1] == 0.000001163);
	assert_true(find(s, "frequency", "")->v[0] == -33.344);
	assert_true(find(s, "jitter", "")->v[0] == 0.000003510);
	assert_true(find(s, "wander", "")->v[1] == 0.001940);
	ntpstats_free(s);
}

static void peerstats(void **st)
{
	(void)st;
	ntpstats *s = load("60303 31306.514 2001:44b8:2100:3f11::7b:3 946a -0.000014930 "
			   "0.001063986 0.002622315 0.000432565\n"
			   "61016 2.877 127.127.20.0 971b 0.000002516 0.000000000 0.000116629 "
			   "0.000001523\n",
			   NTPSTATS_AUTO);
	assert_int_equal(ntpstats_file_get(s, 0)->kind, NTPSTATS_PEERSTATS);
	const struct ntpstats_series *d = find(s, "delay", "2001:44b8:2100:3f11::7b:3");
	assert_non_null(d);
	assert_true(d->v[0] == 0.001063986);
	assert_true(find(s, "jitter", "127.127.20.0")->v[0] == 0.000001523);
	assert_int_equal(ntpstats_series_count(s), 8);
	ntpstats_free(s);
}

static void rawstats(void **st)
{
	(void)st;
	/* T1 .. T4 with an offset of +1.5 ms and a delay of 20 ms exactly. */
	ntpstats *s = load("60303 100.000 192.0.2.1 192.0.2.2 3912345678.000000000 "
			   "3912345678.011500000 3912345678.011600000 3912345678.020100000 0 4 4 "
			   "1 6 -20 0.000 0.000 GPS\n"
			   "60303 101.000 192.0.2.1 192.0.2.2 0.000000000 "
			   "3912345678.011500000 3912345678.011600000 3912345678.020100000\n",
			   NTPSTATS_AUTO);
	const struct ntpstats_file *f = ntpstats_file_get(s, 0);
	assert_int_equal(f->kind, NTPSTATS_RAWSTATS);
	assert_int_equal(f->records, 1);
	assert_int_equal(f->skipped, 1);
	const struct ntpstats_series *o = find(s, "offset", "192.0.2.1");
	assert_true(fabs(o->v[0] - 0.0015) < 1e-12);
	assert_true(fabs(find(s, "delay", "192.0.2.1")->v[0] - 0.0200) < 1e-12);
	ntpstats_free(s);
}

static void chrony(void **st)
{
	(void)st;
	ntpstats *s = load(
		"   Date (UTC) Time     IP Address    L St 123 567 ABCD  LP RP Score    Offset\n"
		"===============================================================================\n"
		"2021-12-30 11:28:49 17.253.66.253   N  1 111 111 1111   6  6 0.00 -3.420e-04  "
		"1.302e-03  4.121e-06  0.000e+00  1.984e-04 47505373 4B K K\n",
		NTPSTATS_AUTO);
	assert_int_equal(ntpstats_file_get(s, 0)->kind, NTPSTATS_MEASUREMENTS);
	assert_int_equal(ntpstats_file_get(s, 0)->skipped, 2);
	const struct ntpstats_series *o = find(s, "offset", "17.253.66.253");
	assert_true(o->v[0] == -3.420e-04);
	assert_true(o->t[0] == 1640863729.0); /* 2021-12-30 11:28:49 UTC */
	assert_true(find(s, "delay", "17.253.66.253")->v[0] == 1.302e-03);
	ntpstats_free(s);

	s = load("2021-12-30 11:43:02 17.253.66.253    2.762e-05 -2.951e-06  1.331e-05 "
		 "-3.365e-08  1.262e-07 5.5e-02  13   0   6  0.00\n",
		 NTPSTATS_AUTO);
	assert_int_equal(ntpstats_file_get(s, 0)->kind, NTPSTATS_STATISTICS);
	assert_true(find(s, "est_offset", "17.253.66.253")->v[0] == -2.951e-06);
	assert_true(fabs(find(s, "diff_freq", "17.253.66.253")->v[0] - -0.03365) < 1e-12);
	ntpstats_free(s);

	s = load("2024-01-01 00:00:07 162.159.200.1   3    -10.123      0.012 -1.234e-05 N  "
		 "1  2.345e-06 -1.234e-09  1.234e-02  5.678e-04  1.234e-02\n",
		 NTPSTATS_AUTO);
	assert_int_equal(ntpstats_file_get(s, 0)->kind, NTPSTATS_TRACKING);
	assert_true(find(s, "frequency", "")->v[0] == -10.123);
	assert_true(find(s, "offset", "")->v[0] == -1.234e-05);
	assert_true(find(s, "root_dispersion", "")->v[0] == 5.678e-04);
	ntpstats_free(s);
}

static void pool(void **st)
{
	(void)st;
	ntpstats *s = load("ts_epoch,ts,offset,step,score,monitor_id,monitor_name,rtt,leap,error\n"
			   "1765233944,2025-12-08 22:45:44,-0.000802683,1,20,98,esmad1-3strqkc,"
			   "135.888,,\n"
			   "1765233891,2025-12-08 22:44:51,,1,20,24,recentmedian,,,\n"
			   "1765233000,2025-12-08 22:30:00,-0.001,1,19.5,98,esmad1-3strqkc,1,,\n",
			   NTPSTATS_AUTO);
	assert_int_equal(ntpstats_file_get(s, 0)->kind, NTPSTATS_POOL);
	const struct ntpstats_series *sc = find(s, "score", "esmad1-3strqkc");
	assert_int_equal(sc->n, 2);
	assert_true(sc->t[0] == 1765233000.0 && sc->v[0] == 19.5); /* sorted by time */
	assert_int_equal(find(s, "score", "recentmedian")->n, 1);
	assert_null(find(s, "offset", "recentmedian")); /* an empty offset is none */
	ntpstats_free(s);
}

static void detect(void **st)
{
	(void)st;
	static const struct {
		const char *line;
		enum ntpstats_kind k;
	} cases[] = {
		{ "61016 2.878 0.000001853 -33.344 0.000003510 0.002074 3", NTPSTATS_LOOPSTATS },
		{ "61016 2.877 127.127.20.0 971b 0.1 0 0.1 0.1", NTPSTATS_PEERSTATS },
		{ "61016 2.877 127.127.20.0 $GPRMC,1,2,3", NTPSTATS_CLOCKSTATS },
		{ "61016 2.877 NMEA(0) $GPRMC,1,2,3", NTPSTATS_CLOCKSTATS },
		{ "61016 2.877 NMEA(0) 9614 0.1 0 0.1 0.1", NTPSTATS_PEERSTATS },
		/* 8 words, 4 hex digits, but integers: a PPS driver's poll line */
		{ "61016 2.877 PPS(0) 1234 1 0 0 0", NTPSTATS_CLOCKSTATS },
		{ "61016 2.877 SHM(2)   2   0   2   0   0", NTPSTATS_CLOCKSTATS },
		{ "2026-12-26 00:01:40.250000 GPS     2 N 0 -1.2e-04 -1.2e-04  1.0e-06",
		  NTPSTATS_REFCLOCKS },
		{ "   Date (UTC) Time         Refid  DP L P  Raw offset   Cooked offset      Disp.",
		  NTPSTATS_REFCLOCKS },
		{ "ts_epoch,ts,offset,step,score", NTPSTATS_POOL },
		{ "   Date (UTC) Time     IP Address   St   Freq ppm   Skew ppm",
		  NTPSTATS_TRACKING },
		{ "", NTPSTATS_AUTO },
		{ "# comment", NTPSTATS_AUTO },
		{ "hello world", NTPSTATS_AUTO },
		{ "1 2 3 4 5", NTPSTATS_AUTO }, /* 1 is no MJD since 1970 */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(ntpstats_detect(cases[i].line, strlen(cases[i].line)), cases[i].k);
	enum ntpstats_kind k;
	assert_true(ntpstats_kind_parse("rawstats", &k) && k == NTPSTATS_RAWSTATS);
	assert_false(ntpstats_kind_parse("loopstat", &k));
	/* Forced: a loopstats line read as peerstats is malformed. */
	ntpstats *s = load("61016 2.878 0.000001853 -33.344 0.000003510 0.002074 3\n",
			   NTPSTATS_PEERSTATS);
	assert_int_equal(ntpstats_file_get(s, 0)->malformed, 1);
	ntpstats_free(s);
}

/* "$BODY*HH" with the right checksum (wrong = flip it). */
static void nmea(char *out, size_t len, const char *body, bool wrong)
{
	unsigned sum = 0;
	for (const char *p = body; *p; p++)
		sum ^= (unsigned char)*p;
	snprintf(out, len, "$%s*%02X", body, wrong ? sum ^ 0x5a : sum);
}

/* Appends s to buf (cap octets), bounded. */
static void append(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);
	assert_true(n + strlen(s) < cap);
	snprintf(buf + n, cap - n, "%s", s);
}

/* One value of a series of one point. */
static double one(const ntpstats *s, const char *field, const char *src)
{
	const struct ntpstats_series *se = find(s, field, src);
	assert_non_null(se);
	assert_int_equal(se->n, 1);
	return se->v[0];
}

static void clockstats(void **st)
{
	(void)st;
	/* MJD 61400 = 2026-12-26; each line logged at 00:01:40.25 etc. */
	static const struct {
		const char *clock;
		double sec;
		const char *body;
		double age;
	} nm[] = {
		{ "NMEA(0)", 100.25,
		  "GPRMC,000139.00,A,4807.038,N,01131.000,E,000.0,000.0,261226,,,A", 1.25 },
		{ "NMEA(1)", 102.25,
		  "GNGGA,000141.00,4807.038,N,01131.000,E,2,11,0.8,545.4,M,46.9,M,,", 1.25 },
		{ "NMEA(2)", 0.5,
		  "GPGGA,235959.00,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,",
		  1.5 }, /* across midnight: the sentence is of the day before */
		{ "127.127.20.3", 100.25, "GPGLL,4807.038,N,01131.000,E,000139.50,V,N", 0.75 },
		{ "NMEA(4)", 100.25, "GPZDA,000139.00,26,12,2026,00,00", 1.25 },
		{ "NMEA(5)", 100.25,
		  "PGRMF,2398,345678,261226,000139,18,4807.038,N,01131.000,E,A,2,0,0,1,1", 1.25 },
		/* GPS week rollover: the receiver says 1024 weeks earlier. */
		{ "NMEA(6)", 100.25, "GPRMC,000139.00,A,4807.038,N,01131.000,E,0,0,120507,,,A",
		  1.25 + 7168 * 86400.0 },
		/* No fix: empty fields are absent values. */
		{ "NMEA(7)", 100.25, "GPGGA,000139.00,,,,,0,00,,,M,,M,,", 1.25 },
	};
	char text[8192] = "", line[512], sen[256];
	for (size_t i = 0; i < sizeof nm / sizeof nm[0]; i++) {
		nmea(sen, sizeof sen, nm[i].body, false);
		snprintf(line, sizeof line, "61400 %.3f %s %s\n", nm[i].sec, nm[i].clock, sen);
		append(text, sizeof text, line);
	}
	nmea(sen, sizeof sen, nm[0].body, false);
	snprintf(line, sizeof line, "61400 110.000 NMEA(8) %s  4 2 1 0 1 2\n", sen);
	append(text, sizeof text, line);
	append(text, sizeof text,
	       "61400 112.000 NMEA(8) (none)  0 0 0 0 0 0\n"
	       "61400 112.000 NMEA(9) delay 0.123456 $GPRMC\n"
	       "61400 113.000 PPS(0) -0.000000123\n"
	       "61400 113.000 PPS(1) 1234 1 2 3 4\n"
	       "61400 113.000 127.127.28.2   2   0   2   0   0\n"
	       "61400 113.000 GPSD(0) 1 2 3 4 5 6 7\n"
	       "61400 113.000 SPECTRACOM(1) 93 226 00:08:29.606\n"
	       "61400 113.000 GENERIC(0) 5 6\n"
	       "61400 113.000 LOCAL(0)\n");
	ntpstats *s = load(text, NTPSTATS_AUTO);
	const struct ntpstats_file *f = ntpstats_file_get(s, 0);
	assert_int_equal(f->kind, NTPSTATS_CLOCKSTATS);
	assert_int_equal(f->malformed, 0);
	assert_int_equal(f->records, f->lines);
	for (size_t i = 0; i < sizeof nm / sizeof nm[0]; i++) {
		double age = one(s, "timecode_age", nm[i].clock);
		assert_true(fabs(age - nm[i].age) < 1e-6);
		assert_int_equal(one(s, "lines", nm[i].clock), 1);
	}
	assert_true(one(s, "fix_valid", "NMEA(0)") == 1);
	assert_true(one(s, "fix_valid", "127.127.20.3") == 0);
	assert_true(one(s, "fix_quality", "NMEA(1)") == 2 && one(s, "fix_valid", "NMEA(1)") == 1);
	assert_true(one(s, "satellites", "NMEA(1)") == 11);
	assert_true(one(s, "hdop", "NMEA(1)") == 0.8);
	assert_true(one(s, "altitude", "NMEA(1)") == 545.4);
	assert_true(one(s, "fix_valid", "NMEA(5)") == 1); /* PGRMF fix 2 (3D) */
	assert_true(one(s, "fix_quality", "NMEA(7)") == 0 && one(s, "fix_valid", "NMEA(7)") == 0);
	assert_true(one(s, "satellites", "NMEA(7)") == 0);
	assert_null(find(s, "hdop", "NMEA(7)"));
	assert_null(find(s, "altitude", "NMEA(7)"));
	assert_null(find(s, "satellites", "NMEA(0)")); /* RMC has none */
	/* The NMEA driver's extended log. */
	const struct ntpstats_series *r = find(s, "nmea_received", "NMEA(8)");
	assert_int_equal(r->n, 2);
	assert_true(r->v[0] == 4 && r->v[1] == 0);
	assert_true(find(s, "nmea_accepted", "NMEA(8)")->v[0] == 2);
	assert_true(find(s, "nmea_rejected", "NMEA(8)")->v[0] == 1);
	assert_true(find(s, "nmea_malformed", "NMEA(8)")->v[0] == 0);
	assert_true(find(s, "nmea_filtered", "NMEA(8)")->v[0] == 1);
	assert_true(find(s, "nmea_pps_used", "NMEA(8)")->v[0] == 2);
	assert_int_equal(find(s, "timecode_age", "NMEA(8)")->n, 1); /* (none): no time */
	assert_true(one(s, "sentence_delay", "NMEA(9)") == 0.123456);
	assert_true(one(s, "pps_offset", "PPS(0)") == -0.000000123);
	assert_true(one(s, "pps_ok", "PPS(1)") == 1 && one(s, "pps_setup", "PPS(1)") == 2 &&
		    one(s, "pps_kernel", "PPS(1)") == 3 && one(s, "pps_not_ready", "PPS(1)") == 4);
	assert_true(one(s, "shm_ticks", "127.127.28.2") == 2 &&
		    one(s, "shm_good", "127.127.28.2") == 0 &&
		    one(s, "shm_not_ready", "127.127.28.2") == 2 &&
		    one(s, "shm_bad", "127.127.28.2") == 0 &&
		    one(s, "shm_clash", "127.127.28.2") == 0);
	static const char *const gf[] = { "gpsd_recv",	   "gpsd_bad_reply", "gpsd_no_fix",
					  "gpsd_ibt_recv", "gpsd_ibt_used",  "gpsd_pps_recv",
					  "gpsd_pps_used" };
	for (size_t i = 0; i < 7; i++)
		assert_true(one(s, gf[i], "GPSD(0)") == (double)(i + 1));
	/* Other drivers' text: counted, nothing read from it. */
	static const char *const other[] = { "SPECTRACOM(1)", "GENERIC(0)", "LOCAL(0)" };
	for (size_t i = 0; i < 3; i++) {
		size_t fields = 0;
		for (size_t k = 0; k < ntpstats_series_count(s); k++)
			fields += strcmp(ntpstats_series_get(s, k)->source, other[i]) == 0;
		assert_int_equal(fields, 1);
		assert_int_equal(one(s, "lines", other[i]), 1);
	}
	ntpstats_free(s);
}

static void clockstats_rejection(void **st)
{
	(void)st;
	static const struct {
		const char *body; /* NULL: the line as is */
		bool wrong;
		const char *why;
	} bad[] = {
		{ "GPRMC,000139.00,A,4807.038,N,01131.000,E,0,0,261226,,,A", true, "checksum" },
		{ "GPRMC,000139.00,Q,4807.038,N,01131.000,E,0,0,261226,,,A", false, "status" },
		{ "GPRMC,000139.00,A,4807.038,N,01131.000,E,0,0,300226,,,A", false, "date" },
		{ "GPRMC,000139.00,A,4807.038,N,01131.000,E,0,0,290227,,,A", false, "date" },
		{ "GPRMC,250139.00,A,4807.038,N,01131.000,E,0,0,261226,,,A", false, "time" },
		{ "GPRMC,0001.00,A,4807.038,N,01131.000,E,0,0,261226,,,A", false, "time" },
		{ "GPRMC,000139.00,A,4807.038", false, "fields" },
		{ "GPGGA,000139.00,4807.038,N,01131.000,E,x,08,0.9,545.4,M,46.9,M,,", false,
		  "quality" },
		{ "GPGGA,000139.00,4807.038,N,01131.000,E,1,eight,0.9,545.4,M,,M,,", false,
		  "satellites" },
		{ "GPGGA,000139.00,4807.038,N,01131.000,E,1,08,0.9,nan,M,,M,,", false, "altitude" },
		{ "GPZDA,000139.00,26,13,2026,00,00", false, "ZDA" },
		{ "PGRMF,2398,345678,261226,000139,18,4807.038,N,01131.000,E,A,7,0,0,1,1", false,
		  "fix" },
		{ NULL, false, "61400 100 NMEA(0) $GPRMC,000139.00*4" },
		{ NULL, false, "61400 100 NMEA(0) $GPRMC,000139.00*ZZ" },
		{ NULL, false, "61400 100 NMEA(0) delay fast $GPRMC" },
		{ NULL, false,
		  "61400 100 NMEA(0) $GP,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,," },
		{ NULL, false, "61400 100 NMEA(x) text" },
		{ NULL, false, "61400 100 (0) text" },
		{ NULL, false, "61400 100 NMEA0) text" },
		{ NULL, false, "61400 100.5" },
	};
	char text[8192] = "", line[512], sen[256];
	append(text, sizeof text, "61400 99.000 NMEA(0) start\n");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (bad[i].body) {
			nmea(sen, sizeof sen, bad[i].body, bad[i].wrong);
			snprintf(line, sizeof line, "61400 100.000 NMEA(0) %s\n", sen);
		} else {
			snprintf(line, sizeof line, "%s\n", bad[i].why);
		}
		append(text, sizeof text, line);
	}
	ntpstats *s = load(text, NTPSTATS_AUTO);
	const struct ntpstats_file *f = ntpstats_file_get(s, 0);
	assert_int_equal(f->kind, NTPSTATS_CLOCKSTATS);
	assert_int_equal(f->records, 1);
	assert_int_equal(f->malformed, sizeof bad / sizeof bad[0]);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const struct ntpstats_bad *b = ntpstats_bad_get(s, i);
		assert_int_equal(b->line, i + 2);
		assert_true(strlen(b->why) > 5);
		if (bad[i].body && !strstr(b->why, bad[i].why)) {
			fprintf(stderr, "line %zu: '%s' does not say '%s'\n", i + 2, b->why,
				bad[i].why);
			fail();
		}
	}
	assert_int_equal(one(s, "lines", "NMEA(0)"), 1);
	ntpstats_free(s);
}

/* NTPsec names refclocks NAME(UNIT) in peerstats too, and prints the status
 * without leading zeros; chrony names them by refid, and logs their samples
 * in refclocks.log. */
static void refclock_sources(void **st)
{
	(void)st;
	ntpstats *s = load("61400 100.000 NMEA(0) 9614 0.000123456 0.000000000 0.000900000 "
			   "0.000012000\n"
			   "61400 101.000 192.0.2.1 314 0.001 0.02 0.003 0.0004\n",
			   NTPSTATS_AUTO);
	assert_int_equal(ntpstats_file_get(s, 0)->kind, NTPSTATS_PEERSTATS);
	assert_int_equal(ntpstats_file_get(s, 0)->malformed, 0);
	assert_true(one(s, "offset", "NMEA(0)") == 0.000123456);
	assert_true(one(s, "delay", "192.0.2.1") == 0.02);
	ntpstats_free(s);

	s = load("   Date (UTC) Time         Refid  DP L P  Raw offset   Cooked offset      "
		 "Disp.\n"
		 "===============================================================================\n"
		 "2026-12-26 00:01:40.250000 GPS     2 N 0 -1.234000e-04 -1.230000e-04  1.000e-06\n"
		 "2026-12-26 00:01:41.000001 PPS     - N -       -        2.500000e-07  2.000e-07\n"
		 "2026-12-26 00:01:42.5 GPS     2 N 0 1e-04 1e-04 1e-06 9\n",
		 NTPSTATS_AUTO);
	const struct ntpstats_file *f = ntpstats_file_get(s, 0);
	assert_int_equal(f->kind, NTPSTATS_REFCLOCKS);
	assert_int_equal(f->records, 2);
	assert_int_equal(f->skipped, 2);
	assert_int_equal(f->malformed, 1); /* 10 fields */
	const struct ntpstats_series *raw = find(s, "raw_offset", "GPS");
	assert_int_equal(raw->n, 1);
	assert_true(raw->v[0] == -1.234e-4);
	assert_true(fabs(raw->t[0] - (1798243200.0 + 100.25)) < 1e-6);
	assert_null(find(s, "raw_offset", "PPS"));
	assert_true(one(s, "cooked_offset", "PPS") == 2.5e-7);
	assert_true(fabs(find(s, "cooked_offset", "PPS")->t[0] - (1798243200.0 + 101.000001)) <
		    1e-6);
	assert_true(one(s, "dispersion", "PPS") == 2e-7);
	ntpstats_free(s);

	/* tracking and statistics with a refclock as the source. */
	s = load("2026-12-26 00:01:40 PPS              1    -12.345      0.012  1.234e-07 N  1  "
		 "2.000e-08 -1.000e-09  1.000e-09  1.000e-05  1.000e-05\n",
		 NTPSTATS_AUTO);
	assert_int_equal(ntpstats_file_get(s, 0)->kind, NTPSTATS_TRACKING);
	assert_true(one(s, "offset", "") == 1.234e-07);
	ntpstats_free(s);
	s = load("2026-12-26 00:01:40 GPS0  1.000e-07 -2.000e-08  3.000e-09  4.000e-10  5.000e-09 "
		 "6.0e-02  16   0   8  0.00\n",
		 NTPSTATS_AUTO);
	assert_int_equal(ntpstats_file_get(s, 0)->kind, NTPSTATS_STATISTICS);
	assert_true(one(s, "est_offset", "GPS0") == -2e-8);
	ntpstats_free(s);
}

static void rejection(void **st)
{
	(void)st;
	char big[NTPSTATS_MAX_LINE + 100];
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	char *text = malloc(2 * sizeof big + 1000);
	snprintf(text, 2 * sizeof big + 1000,
		 "61016 2.878 0.000001853 -33.344 0.000003510 0.002074 3\n" /* 1 ok */
		 "61016 x 1 2 3\n"					    /* 2 */
		 "61016 3 nan 1 2 3 4\n"				    /* 3 */
		 "61016 4 0x10 1 2 3 4\n"				    /* 4 */
		 "%s\n"							    /* 5 */
		 "61016 5 1e999 1 2 3 4\n"				    /* 6 */
		 "\n"							    /* 7 blank */
		 "61016 6 1 2 3 4 5 6 7 8 9\n"				    /* 8 */
		 "61016 7 1 2 3 4 5\n",					    /* 9 ok */
		 big);
	ntpstats *s = load(text, NTPSTATS_AUTO);
	const struct ntpstats_file *f = ntpstats_file_get(s, 0);
	assert_int_equal(f->lines, 9);
	assert_int_equal(f->records, 2);
	assert_int_equal(f->skipped, 1);
	assert_int_equal(f->malformed, 6);
	static const unsigned long want[] = { 2, 3, 4, 5, 6, 8 };
	assert_int_equal(ntpstats_bad_count(s), 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(ntpstats_bad_get(s, i)->line, want[i]);
		assert_true(strlen(ntpstats_bad_get(s, i)->why) > 5);
	}
	assert_non_null(strstr(ntpstats_bad_get(s, 3)->why, "longer"));
	ntpstats_free(s);
	free(text);
}

/* Random lines of digits, blanks, signs, dots, commas and letters, of every
 * kind: never a crash, every line counted once, every value finite. */
static void random_lines(void **st)
{
	(void)st;
	static const char alphabet[] = "0123456789 .-+e,:abcdefN\t#x";
	for (int round = 0; round < 2000; round++) {
		char text[512];
		size_t len = rnd() % sizeof text;
		size_t lines = 0;
		for (size_t i = 0; i < len; i++) {
			text[i] = rnd() % 12 == 0 ? '\n' : alphabet[rnd() % (sizeof alphabet - 1)];
			lines += text[i] == '\n';
		}
		if (len && text[len - 1] != '\n')
			lines++;
		ntpstats *s = ntpstats_new();
		ntpstats_file_begin(s, "rand", (enum ntpstats_kind)(rnd() % NTPSTATS_KIND_COUNT));
		assert_int_equal(ntpstats_feed(s, text, len), 0);
		ntpstats_finish(s);
		const struct ntpstats_file *f = ntpstats_file_get(s, 0);
		assert_int_equal(f->lines, lines);
		assert_int_equal(f->records + f->skipped + f->malformed, lines);
		for (size_t i = 0; i < ntpstats_series_count(s); i++) {
			const struct ntpstats_series *se = ntpstats_series_get(s, i);
			for (size_t j = 0; j < se->n; j++)
				assert_true(isfinite(se->t[j]) && isfinite(se->v[j]));
		}
		ntpstats_free(s);
	}
}

/* Fed in pieces of any size, the same series. */
static void splits(void **st)
{
	(void)st;
	const char *text = "ts_epoch,ts,offset,step,score,monitor_id,monitor_name\n"
			   "1765233944,2025-12-08 22:45:44,-0.0008,1,20,98,a\n"
			   "1765233945,2025-12-08 22:45:45,0.0008,1,19,98,b\r\n"
			   "bad line\n"
			   "1765233946,2025-12-08 22:45:46,0.0001,1,18,98,a";
	size_t len = strlen(text);
	for (size_t piece = 1; piece < 20; piece++) {
		ntpstats *s = ntpstats_new();
		ntpstats_file_begin(s, "x", NTPSTATS_AUTO);
		for (size_t off = 0; off < len; off += piece)
			assert_int_equal(
				ntpstats_feed(s, text + off, len - off < piece ? len - off : piece),
				0);
		ntpstats_finish(s);
		const struct ntpstats_file *f = ntpstats_file_get(s, 0);
		assert_int_equal(f->records, 3);
		assert_int_equal(f->malformed, 1);
		assert_int_equal(ntpstats_bad_get(s, 0)->line, 4);
		assert_int_equal(find(s, "score", "a")->n, 2);
		assert_true(find(s, "score", "b")->v[0] == 19);
		ntpstats_free(s);
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sort + nearest rank (the smallest value with at least p*n at or below). */
static double ref_pct(const double *sorted, size_t n, double p)
{
	size_t r = (size_t)ceil(p * (double)n);
	if (r < 1)
		r = 1;
	return sorted[r - 1];
}

static void close_to(double got, double want)
{
	double tol = 1e-9 * (fabs(want) > 1 ? fabs(want) : 1);
	if (fabs(got - want) > tol)
		fail_msg("got %.17g, want %.17g", got, want);
}

static void summary(void **st)
{
	(void)st;
	static const size_t sizes[] = { 1, 2, 3, 7, 100, 1001, 100000 };
	for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
		for (int kind = 0; kind < 3; kind++) {
			size_t n = sizes[si];
			double *v = malloc(n * sizeof *v), *sorted = malloc(n * sizeof *v);
			for (size_t i = 0; i < n; i++) {
				double u = urand();
				v[i] = kind == 0   ? (u - 0.5) * 1e-3	  /* offsets */
				       : kind == 1 ? -33 + u * u * u	  /* skewed */
						   : (double)(rnd() % 5); /* ties */
			}
			double *copy = malloc(n * sizeof *v);
			memcpy(copy, v, n * sizeof *v);
			memcpy(sorted, v, n * sizeof *v);
			qsort(sorted, n, sizeof *v, cmp_d);
			struct ntpstats_summary s;
			ntpstats_summarize(v, n, &s);
			assert_int_equal(s.n, n);
			close_to(s.min, sorted[0]);
			close_to(s.max, sorted[n - 1]);
			close_to(s.p1, ref_pct(sorted, n, 0.01));
			close_to(s.p5, ref_pct(sorted, n, 0.05));
			close_to(s.p50, ref_pct(sorted, n, 0.50));
			close_to(s.p95, ref_pct(sorted, n, 0.95));
			close_to(s.p99, ref_pct(sorted, n, 0.99));
			close_to(s.range90, s.p95 - s.p5);
			close_to(s.range98, s.p99 - s.p1);
			/* Two passes: the mean, then the central moments. */
			double mean = 0;
			for (size_t i = 0; i < n; i++)
				mean += v[i];
			mean /= (double)n;
			double m2 = 0, m3 = 0, m4 = 0;
			for (size_t i = 0; i < n; i++) {
				double d = v[i] - mean;
				m2 += d * d;
				m3 += d * d * d;
				m4 += d * d * d * d;
			}
			m2 /= (double)n;
			m3 /= (double)n;
			m4 /= (double)n;
			close_to(s.mean, mean);
			close_to(s.sd, sqrt(m2));
			close_to(s.skew, m2 > 0 ? m3 / pow(m2, 1.5) : 0);
			close_to(s.kurtosis, m2 > 0 ? m4 / (m2 * m2) - 3 : 0);
			/* The input is left as it was. */
			assert_memory_equal(v, copy, n * sizeof *v);
			free(copy);
			free(v);
			free(sorted);
		}
	}
	/* Known values: 1..100. */
	double v[100];
	for (int i = 0; i < 100; i++)
		v[i] = 100 - i;
	struct ntpstats_summary s;
	ntpstats_summarize(v, 100, &s);
	assert_true(s.p1 == 1 && s.p5 == 5 && s.p50 == 50 && s.p95 == 95 && s.p99 == 99);
	assert_true(s.mean == 50.5 && s.skew == 0);
	assert_true(v[0] == 100 && v[99] == 1);
	ntpstats_summarize(v, 0, &s);
	assert_true(s.n == 0 && s.mean == 0);
}

int main(void)
{
	const char *env = getenv("TEST_SEED");
	rng_state = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) | 1;
	printf("test_ntpstats: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       rng_state, rng_state);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loopstats),
		cmocka_unit_test(peerstats),
		cmocka_unit_test(rawstats),
		cmocka_unit_test(chrony),
		cmocka_unit_test(pool),
		cmocka_unit_test(detect),
		cmocka_unit_test(rejection),
		cmocka_unit_test(random_lines),
		cmocka_unit_test(splits),
		cmocka_unit_test(summary),
		cmocka_unit_test(clockstats),
		cmocka_unit_test(clockstats_rejection),
		cmocka_unit_test(refclock_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
