/* test_atlas.c - RIPE Atlas NTP results:
 *   - the real results of RIPE's own parser's tests (sagan) and their
 *     figures; the fractional root delay kept;
 *   - a JSON array and JSON Lines give the same figures;
 *   - rejection with line numbers (wrong type, missing or bad members,
 *     bounds, broken JSON, unclosed arrays), never fatal;
 *   - per-probe percentiles and outliers against a straightforward
 *     computation (sort, nearest rank, MAD) on random data (seed printed);
 *   - stratum, ref-id, leap and version consistency; the IPv4/IPv6 split;
 *   - random mutations of a valid result: no crash, every line counted. */
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

#include "analysis/atlas.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* From sagan's tests (RIPE-NCC/ripe-atlas-sagan, tests/test_ntp.py). */
static const char sagan1[] =
	"{\"af\": 4, \"dst_addr\": \"193.0.0.229\", \"dst_name\": \"atlas\", \"from\": "
	"\"193.0.0.78\", \"fw\": 4670, \"group_id\": 1020237, \"li\": \"no\", \"lts\": -1, "
	"\"mode\": \"server\", \"msm_id\": 1020237, \"msm_name\": \"Ntp\", \"poll\": 1, "
	"\"prb_id\": 71, \"precision\": 1.9074e-06, \"proto\": \"UDP\", \"ref-id\": \"GPS\", "
	"\"ref-ts\": 3627199357.744635, \"result\": [{\"final-ts\": 3627199379.818201, "
	"\"offset\": -8.363271, \"origin-ts\": 3627199379.796274, \"receive-ts\": "
	"3627199388.1704946, \"rtt\": 0.021899, \"transmit-ts\": 3627199388.170522}, "
	"{\"final-ts\": 3627199379.831639, \"offset\": -8.36871, \"origin-ts\": "
	"3627199379.821453, \"receive-ts\": 3627199388.195243, \"rtt\": 0.01016, "
	"\"transmit-ts\": 3627199388.1952686}, {\"final-ts\": 3627199379.847477, \"offset\": "
	"-8.372775, \"origin-ts\": 3627199379.845448, \"receive-ts\": 3627199388.219225, "
	"\"rtt\": 0.002004, \"transmit-ts\": 3627199388.21925}], \"root-delay\": 0, "
	"\"root-dispersion\": 0.00140381, \"src_addr\": \"10.0.2.12\", \"stratum\": 1, "
	"\"timestamp\": 1418210579, \"type\": \"ntp\", \"version\": 4}";
static const char sagan2[] =
	"{\"msm_id\": \"1020235\", \"fw\": 4661, \"lts\": 76, \"timestamp\": 1418196642, "
	"\"dst_name\": \"atlas\", \"prb_id\": 71, \"dst_addr\": \"193.0.6.139\", \"src_addr\": "
	"\"193.0.10.127\", \"proto\": \"UDP\", \"af\": 4, \"from\": \"193.0.0.78\", \"type\": "
	"\"ntp\", \"result\": [{\"x\": \"*\"}, {\"x\": \"*\"}, {\"x\": \"*\"}]}";
static const char sagan3[] =
	"{\"msm_id\": \"1020235\", \"fw\": 4661, \"lts\": 76, \"timestamp\": 1418196642, "
	"\"dst_name\": \"atlas\", \"prb_id\": 71, \"dst_addr\": \"193.0.6.139\", \"src_addr\": "
	"\"193.0.10.127\", \"proto\": \"UDP\", \"af\": 4, \"from\": \"193.0.0.78\", \"type\": "
	"\"ntp\", \"result\": [{\"error\": \"error-example\"}, {\"error\": \"error-example\"}, "
	"{\"x\": \"*\"}]}";

static atlas *feed(const char *text, int want_rc)
{
	atlas *a = atlas_new();
	assert_int_equal(atlas_feed(a, "t.json", text, strlen(text)), want_rc);
	return a;
}

static void sagan(void **st)
{
	(void)st;
	char text[8192];
	snprintf(text, sizeof text, "%s\n%s\n\n%s\n", sagan1, sagan2, sagan3);
	atlas *a = feed(text, 0);
	assert_int_equal(atlas_file_get(a, 0)->results, 3);
	assert_int_equal(atlas_bad_total(a), 0);
	struct atlas_report *r = atlas_report_new(a, 5);
	assert_int_equal(r->ntargets, 2);
	assert_int_equal(r->nprobes, 2);
	const struct atlas_probe *p = &r->probes[0]; /* 193.0.0.229 sorts first */
	assert_string_equal(p->dst, "193.0.0.229");
	assert_int_equal(p->prb_id, 71);
	assert_int_equal(p->af, 4);
	assert_int_equal(p->replies, 3);
	assert_true(p->rtt.min == 0.002004 && p->rtt.p50 == 0.01016 && p->rtt.max == 0.021899);
	assert_true(p->offset.min == -8.372775 && p->offset.p50 == -8.36871);
	assert_true(p->offset.p95 == -8.363271);
	assert_true(p->root_dispersion == 0.00140381);
	assert_int_equal(p->stratum, 1);
	assert_string_equal(p->refid, "GPS");
	assert_string_equal(p->li, "no");
	assert_int_equal(p->version, 4);
	const struct atlas_probe *q = &r->probes[1];
	assert_int_equal(q->results, 2);
	assert_int_equal(q->timeouts, 4);
	assert_int_equal(q->errors, 2);
	assert_int_equal(q->replies, 0);
	assert_int_equal(q->stratum, -1); /* nothing said without a reply */
	assert_int_equal(r->all.packets, 9);
	assert_int_equal(r->v4.probes, 2);
	assert_int_equal(r->v6.probes, 0);
	atlas_report_free(r);
	atlas_free(a);

	/* The same results as one JSON array over several lines. */
	snprintf(text, sizeof text, "[\n%s,\n %s ,\n%s\n]\n", sagan1, sagan2, sagan3);
	a = feed(text, 0);
	assert_int_equal(atlas_file_get(a, 0)->results, 3);
	r = atlas_report_new(a, 5);
	assert_true(r->all.rtt.p50 == 0.01016 && r->all.timeouts == 4);
	atlas_report_free(r);
	atlas_free(a);
}

static void root_delay(void **st)
{
	(void)st;
	atlas *a =
		feed("{\"type\":\"ntp\",\"prb_id\":5,\"dst_addr\":\"2001:db8::1\",\"root-delay\":"
		     "0.0153,\"root-dispersion\":0.25,\"result\":[{\"rtt\":0.1,\"offset\":0.2}]}",
		     0);
	struct atlas_report *r = atlas_report_new(a, 5);
	assert_int_equal(r->probes[0].af, 6); /* from dst_addr */
	assert_true(r->probes[0].root_delay == 0.0153);
	assert_true(r->v6.root_delay.p50 == 0.0153 && r->v6.root_dispersion.max == 0.25);
	assert_int_equal(r->v4.probes, 0);
	atlas_report_free(r);
	atlas_free(a);
}

static void rejection(void **st)
{
	(void)st;
	const char *lines[] = {
		/* 1 */ "{\"type\":\"ping\",\"prb_id\":1,\"result\":[]}",
		/* 2 */ "{\"result\":[]}",
		/* 3 */ "{\"prb_id\":1,\"af\":5,\"result\":[]}",
		/* 4 */ "{\"prb_id\":1,\"result\":{}}",
		/* 5 */ "{\"prb_id\":\"1\",\"result\":[]}",
		/* 6 */ "{\"prb_id\":1,\"result\":[{\"rtt\":1}]}",
		/* 7 */ "{\"prb_id\":1,\"result\":[{\"rtt\":\"1\",\"offset\":1}]}",
		/* 8 */
		"{\"prb_id\":1,\"ref-id\":\"0123456789012345678901234567890123456789"
		"0123456789\",\"result\":[]}",
		/* 9 */ "{\"prb_id\":1,\"li\":\"\\u0001\",\"result\":[]}",
		/* 10 */ "{\"prb_id\":1,\"result\":[1]}",
		/* 11 */ "{\"prb_id\":1,\"result\":[]",
		/* 12 */ "[1, {\"prb_id\":2,\"result\":[]}]",
		/* 13 */ "{\"prb_id\":1,\"prb_id\":2,\"result\":[]}",
		/* 14 */ "{\"prb_id\":1,\"stratum\":300,\"result\":[]}",
		/* 15 */ "{\"prb_id\":-1,\"result\":[]}",
		/* 16 */ "{\"prb_id\":1,\"result\":[{\"x\":\"*\"}]}",
	};
	char text[4096] = "";
	size_t tl = 0;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		tl += (size_t)snprintf(text + tl, sizeof text - tl, "%s\n", lines[i]);
	atlas *a = feed(text, 0);
	/* 12 gives one good result (prb 2) and one rejected element; 16 is good. */
	assert_int_equal(atlas_file_get(a, 0)->results, 2);
	assert_int_equal(atlas_bad_total(a), 15);
	static const unsigned long want[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	for (size_t i = 0; i < atlas_bad_count(a); i++) {
		assert_int_equal(atlas_bad_get(a, i)->line, want[i]);
		assert_true(strlen(atlas_bad_get(a, i)->why) > 5);
	}
	assert_non_null(strstr(atlas_bad_get(a, 0)->why, "ping"));
	assert_non_null(strstr(atlas_bad_get(a, 1)->why, "prb_id"));
	atlas_free(a);

	/* Too many packets. */
	char big[8192];
	size_t bl = (size_t)snprintf(big, sizeof big, "{\"prb_id\":1,\"result\":[");
	for (int i = 0; i <= ATLAS_MAX_PACKETS; i++)
		bl += (size_t)snprintf(big + bl, sizeof big - bl, "%s{\"x\":\"*\"}", i ? "," : "");
	snprintf(big + bl, sizeof big - bl, "]}");
	a = feed(big, 0);
	assert_int_equal(atlas_bad_total(a), 1);
	atlas_free(a);

	/* Arrays: unclosed, a trailing comma, a broken element on line 3. */
	a = feed("[\n{\"prb_id\":1,\"result\":[]},\n{\"prb_id\":2,\"result\":[}\n", -EINVAL);
	atlas_free(a);
	a = feed("[{\"prb_id\":1,\"result\":[]},\n{\"prb_id\":2,\"result\":[]},\n]", 0);
	assert_int_equal(atlas_file_get(a, 0)->results, 2);
	assert_int_equal(atlas_bad_total(a), 1);
	assert_int_equal(atlas_bad_get(a, 0)->line, 3);
	atlas_free(a);
	a = feed("[{\"prb_id\":1,\"result\":[]},\n{\"prb_id\":2,\n\"result\":[], x},\n"
		 "{\"prb_id\":3,\"result\":[]}]",
		 0);
	assert_int_equal(atlas_file_get(a, 0)->results, 2);
	assert_int_equal(atlas_bad_get(a, 0)->line, 3); /* where jansson found it */
	atlas_free(a);
	a = feed("", 0);
	assert_int_equal(atlas_file_get(a, 0)->results, 0);
	atlas_free(a);
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

static double nearest(const double *sorted, size_t n, double p)
{
	size_t r = (size_t)ceil(p * (double)n);
	return sorted[(r ? r : 1) - 1];
}

/* Random probes: percentiles and outliers against sort + nearest rank. */
static void figures(void **st)
{
	(void)st;
	enum { PROBES = 40, MAXR = 30 };
	static char text[PROBES * MAXR * 200];
	static double off[PROBES][MAXR * 3], rtt[PROBES][MAXR * 3];
	size_t n[PROBES] = { 0 }, len = 0;
	for (int p = 0; p < PROBES; p++) {
		int results = 1 + (int)(rnd() % MAXR);
		double bias = p == 7 ? 0.5 : (double)(rnd() % 1000) * 1e-6;
		for (int k = 0; k < results; k++) {
			len += (size_t)snprintf(
				text + len, sizeof text - len,
				"{\"prb_id\":%d,\"af\":%d,\"dst_addr\":\"192.0.2.1\","
				"\"stratum\":1,\"result\":[",
				1000 + p, p % 3 ? 4 : 6);
			for (int j = 0; j < 3; j++) {
				double o = bias + (double)(rnd() % 200) * 1e-6;
				if (rnd() % 50 == 0)
					o += 0.1; /* an outlying reply */
				double t = (double)(rnd() % 100000) * 1e-6;
				off[p][n[p]] = o;
				rtt[p][n[p]++] = t;
				len += (size_t)snprintf(text + len, sizeof text - len,
							"%s{\"rtt\":%.9f,\"offset\":%.9f}",
							j ? "," : "", t, o);
				off[p][n[p] - 1] = strtod(strrchr(text, ':') + 1, NULL);
				rtt[p][n[p] - 1] = t;
			}
			len += (size_t)snprintf(text + len, sizeof text - len, "]}\n");
		}
	}
	/* rtt as printed, too */
	atlas *a = atlas_new();
	assert_int_equal(atlas_feed(a, "r", text, len), 0);
	assert_int_equal(atlas_bad_total(a), 0);
	struct atlas_report *r = atlas_report_new(a, 5);
	assert_int_equal(r->nprobes, PROBES);
	double medians[PROBES];
	for (int p = 0; p < PROBES; p++) {
		const struct atlas_probe *pr = &r->probes[p]; /* sorted: af 4 then 6 */
		int idx = (int)(pr->prb_id - 1000);
		assert_true(idx >= 0 && idx < PROBES);
		double so[MAXR * 3], sr[MAXR * 3];
		char buf[32];
		for (size_t i = 0; i < n[idx]; i++) {
			snprintf(buf, sizeof buf, "%.9f", rtt[idx][i]);
			sr[i] = strtod(buf, NULL);
			so[i] = off[idx][i];
		}
		qsort(so, n[idx], sizeof so[0], cmp_d);
		qsort(sr, n[idx], sizeof sr[0], cmp_d);
		assert_int_equal(pr->replies, n[idx]);
		assert_true(pr->offset.min == so[0] && pr->offset.max == so[n[idx] - 1]);
		assert_true(pr->offset.p50 == nearest(so, n[idx], 0.5));
		assert_true(pr->offset.p95 == nearest(so, n[idx], 0.95));
		assert_true(pr->rtt.p50 == nearest(sr, n[idx], 0.5));
		assert_true(pr->rtt.p95 == nearest(sr, n[idx], 0.95));
		double m = pr->offset.p50, dev[MAXR * 3];
		for (size_t i = 0; i < n[idx]; i++)
			dev[i] = fabs(so[i] - m);
		qsort(dev, n[idx], sizeof dev[0], cmp_d);
		double mad = nearest(dev, n[idx], 0.5);
		double lim = 5 * (mad > ATLAS_MAD_FLOOR ? mad : ATLAS_MAD_FLOOR);
		unsigned long outl = 0;
		for (size_t i = 0; i < n[idx]; i++)
			outl += fabs(so[i] - m) > lim;
		assert_int_equal(pr->outliers, outl);
		medians[p] = m;
		assert_int_equal(pr->af, idx % 3 ? 4 : 6);
	}
	qsort(medians, PROBES, sizeof medians[0], cmp_d);
	double mm = nearest(medians, PROBES, 0.5), dev[PROBES];
	for (int p = 0; p < PROBES; p++)
		dev[p] = fabs(medians[p] - mm);
	qsort(dev, PROBES, sizeof dev[0], cmp_d);
	double mad = nearest(dev, PROBES, 0.5);
	assert_true(r->targets[0].median_offset == mm && r->targets[0].mad == mad);
	for (int p = 0; p < PROBES; p++) {
		const struct atlas_probe *pr = &r->probes[p];
		bool want = fabs(pr->offset.p50 - mm) > 5 * (mad > 1e-6 ? mad : 1e-6);
		assert_int_equal(pr->outlier, want);
		if (pr->prb_id == 1007)
			assert_true(pr->outlier); /* 0.5 s off */
	}
	assert_int_equal(r->v4.probes + r->v6.probes, PROBES);
	atlas_report_free(r);
	atlas_free(a);
}

static void consistency(void **st)
{
	(void)st;
	char text[4096] = "";
	size_t len = 0;
	for (int p = 1; p <= 6; p++) {
		int stratum = p == 3 ? 2 : 1;
		const char *ref = p == 4 ? "PPS" : "GPS";
		len += (size_t)snprintf(text + len, sizeof text - len,
					"{\"prb_id\":%d,\"dst_addr\":\"192.0.2.1\",\"stratum\":%d,"
					"\"ref-id\":\"%s\",\"li\":\"no\",\"version\":4,\"result\":"
					"[{\"rtt\":0.01,\"offset\":0.001}]}\n",
					p, stratum, ref);
	}
	/* Probe 5 also sees leap "61" once: mixed within the probe. */
	snprintf(text + len, sizeof text - len,
		 "{\"prb_id\":5,\"dst_addr\":\"192.0.2.1\",\"stratum\":1,\"ref-id\":\"GPS\","
		 "\"li\":\"61\",\"version\":4,\"result\":[{\"rtt\":0.01,\"offset\":0.001}]}\n");
	atlas *a = feed(text, 0);
	struct atlas_report *r = atlas_report_new(a, 5);
	const struct atlas_target *t = &r->targets[0];
	assert_int_equal(t->stratum, 1);
	assert_string_equal(t->refid, "GPS");
	assert_string_equal(t->li, "no");
	assert_int_equal(t->differ_stratum, 1);
	assert_int_equal(t->differ_refid, 1);
	assert_int_equal(t->differ_li, 1);
	assert_int_equal(t->differ_version, 0);
	assert_int_equal(r->probes[2].differs, ATLAS_STRATUM);
	assert_int_equal(r->probes[3].differs, ATLAS_REFID);
	assert_int_equal(r->probes[4].differs, ATLAS_LI);
	assert_int_equal(r->probes[0].differs, 0);
	atlas_report_free(r);
	atlas_free(a);
}

/* Mutated copies of a valid result: never a crash; each non-blank line is
 * a result or a rejection (or several, when it became an array). */
static void mutations(void **st)
{
	(void)st;
	size_t n = strlen(sagan1);
	char *buf = malloc(n + 1);
	for (int round = 0; round < 3000; round++) {
		memcpy(buf, sagan1, n + 1);
		size_t len = n;
		int edits = 1 + (int)(rnd() % 4);
		for (int e = 0; e < edits && len > 0; e++) {
			size_t at = rnd() % len;
			switch (rnd() % 3) {
			case 0: buf[at] = (char)(rnd() % 256); break;
			case 1: len = at; break; /* cut */
			default: buf[at] = "{}[],:\"\\\n0-e."[rnd() % 14]; break;
			}
		}
		atlas *a = atlas_new();
		int rc = atlas_feed(a, "m", buf, len);
		assert_true(rc == 0 || rc == -EINVAL);
		const struct atlas_file *f = atlas_file_get(a, 0);
		assert_true(f->results <= 1 || memchr(buf, '[', len));
		assert_true(rc == 0 || f->rejected > 0); /* a failed file says why */
		struct atlas_report *r = atlas_report_new(a, 5);
		assert_true(r->nprobes <= f->results);
		atlas_report_free(r);
		atlas_free(a);
	}
	free(buf);
}

int main(void)
{
	const char *env = getenv("TEST_SEED");
	rng_state = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL) | 1;
	printf("test_atlas: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       rng_state, rng_state);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sagan),       cmocka_unit_test(root_delay),
		cmocka_unit_test(rejection),   cmocka_unit_test(figures),
		cmocka_unit_test(consistency), cmocka_unit_test(mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
