/* test_dnssec.c - analysis/dnssec: zone files signed with ldns-signzone
 * (tests/data/dnssec/, SOURCES.md says how) read into RRsets with their
 * verdicts (valid, bogus after a change, keyless in RFC 8976's uri.arpa;
 * delegation NS and glue need no signature); each check at its boundaries
 * (expiration second and the one after, TTL beyond expiration at exactly
 * expiration - TTL, the smallest of the three TTLs, inception skew at
 * 299/300/301 s, TTLs equal and greater, the margin warning); the order of
 * the findings, margins and next times; serial-number times around 2^32;
 * file errors (missing, syntax with file:line, no SOA); --at times and
 * durations: known answers, round trips through dnssec_format_time, and
 * rejections, with a random loop (TEST_SEED=n replays it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "analysis/dnssec.h"

#define DATA TEST_DATA_DIR "/dnssec/"

/* unit.signed: signed with -i 20260101000000 -e 20260201000000. */
#define INCEPTION 1767225600LL	/* 2026-01-01T00:00:00Z */
#define EXPIRATION 1769904000LL /* 2026-02-01T00:00:00Z */
#define MID 1768435200LL	/* 2026-01-15T00:00:00Z */

static uint64_t test_seed;

static const struct dnssec_opts no_warn = { .warn = 0, .skew = 0 };
static const struct dnssec_opts defaults = { .warn = DNSSEC_WARN_DEFAULT,
					     .skew = DNSSEC_SKEW_DEFAULT };

static dnssec_zone *read_zone(const char *file)
{
	char path[512], err[512] = "";
	dnssec_zone *z = NULL;
	snprintf(path, sizeof path, DATA "%s", file);
	int rc = dnssec_zone_read(path, NULL, &z, err, sizeof err);
	if (rc != 0)
		fail_msg("%s: %s", path, err);
	assert_non_null(z);
	return z;
}

static const struct dnssec_rrset *find(const struct dnssec_rrset *v, size_t n, const char *owner,
				       const char *type, size_t *idx)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].owner, owner) == 0 && strcmp(v[i].type, type) == 0) {
			if (idx)
				*idx = i;
			return &v[i];
		}
	fail_msg("no RRset %s %s", owner, type);
	return NULL;
}

/* How many findings of kind k about RRset i the report has. */
static size_t count(const struct dnssec_report *r, enum dnssec_kind k, size_t i)
{
	size_t c = 0;
	for (size_t j = 0; j < r->n_findings; j++)
		if (r->findings[j].kind == k && r->findings[j].rrset == i)
			c++;
	return c;
}

static const struct dnssec_finding *first(const struct dnssec_report *r, enum dnssec_kind k)
{
	for (size_t j = 0; j < r->n_findings; j++)
		if (r->findings[j].kind == k)
			return &r->findings[j];
	return NULL;
}

static void test_read_unit_zone(void **state)
{
	(void)state;
	dnssec_zone *z = read_zone("unit.signed");
	size_t n;
	const struct dnssec_rrset *v = dnssec_zone_rrsets(z, &n);
	assert_string_equal(dnssec_zone_apex(z), "u.");
	assert_int_equal(dnssec_zone_source(z), DNSSEC_FROM_FILE);
	assert_string_equal(dnssec_zone_note(z), "");
	assert_int_equal(dnssec_zone_keys(z), 2);
	/* apex NS SOA DNSKEY NSEC, long A NSEC, ns1 A NSEC, sub NS DS NSEC,
	 * ns.sub A, www A NSEC */
	assert_int_equal(n, 14);
	size_t sigs = 0;
	for (size_t i = 0; i < n; i++) {
		sigs += v[i].n_sigs;
		for (size_t j = 0; j < v[i].n_sigs; j++) {
			assert_int_equal(v[i].sigs[j].crypto, DNSSEC_SIG_VALID);
			assert_int_equal(v[i].sigs[j].inception, (uint32_t)INCEPTION);
			assert_int_equal(v[i].sigs[j].expiration, (uint32_t)EXPIRATION);
			assert_int_equal(v[i].sigs[j].algorithm, 13);
		}
	}
	assert_int_equal(sigs, 12);
	/* the delegation's NS and the glue: unsigned, and rightly so */
	const struct dnssec_rrset *s = find(v, n, "sub.u.", "NS", NULL);
	assert_false(s->needs_sig);
	assert_int_equal(s->n_sigs, 0);
	s = find(v, n, "ns.sub.u.", "A", NULL);
	assert_false(s->needs_sig);
	assert_true(find(v, n, "sub.u.", "DS", NULL)->needs_sig);
	assert_true(find(v, n, "sub.u.", "NSEC", NULL)->needs_sig);
	assert_true(find(v, n, "u.", "NS", NULL)->needs_sig);
	s = find(v, n, "long.u.", "A", NULL);
	assert_int_equal(s->ttl, 86400);
	assert_int_equal(s->n_records, 1);
	assert_int_equal(s->sigs[0].orig_ttl, 86400);

	/* Mid-window with the defaults: clean. */
	struct dnssec_report *r = dnssec_evaluate(v, n, MID, &defaults);
	assert_int_equal(r->n_findings, 0);
	assert_int_equal(r->severity, DNSSEC_OK);
	assert_int_equal(r->n_sigs, 12);
	assert_true(r->has_margin);
	assert_int_equal(r->margin, EXPIRATION - MID - 86400);
	assert_string_equal(v[r->margin_rrset].owner, "long.u.");
	assert_true(r->has_next_ttl);
	assert_int_equal(r->next_ttl, EXPIRATION - 86400);
	assert_string_equal(v[r->next_ttl_rrset].owner, "long.u.");
	assert_true(r->has_next_expiry);
	assert_int_equal(r->next_expiry, EXPIRATION + 1);
	dnssec_report_free(r);
	dnssec_zone_free(z);
}

/* Expiration and TTL beyond expiration at their boundaries, from the file. */
static void test_expiration_boundaries(void **state)
{
	(void)state;
	dnssec_zone *z = read_zone("unit.signed");
	size_t n, www, lng;
	const struct dnssec_rrset *v = dnssec_zone_rrsets(z, &n);
	(void)find(v, n, "www.u.", "A", &www);
	(void)find(v, n, "long.u.", "A", &lng);
	struct {
		int64_t at;
		size_t beyond_www, expired_www, beyond_long;
	} cases[] = {
		{ EXPIRATION - 86400 - 1, 0, 0, 0 }, /* long: margin 1 s */
		{ EXPIRATION - 86400, 0, 0, 1 },     /* long: margin 0: TTL beyond */
		{ EXPIRATION - 3600 - 1, 0, 0, 1 },
		{ EXPIRATION - 3600, 1, 0, 1 },
		{ EXPIRATION - 1, 1, 0, 1 },
		{ EXPIRATION, 1, 0, 1 }, /* valid through its expiration second */
		{ EXPIRATION + 1, 0, 1, 0 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct dnssec_report *r = dnssec_evaluate(v, n, cases[c].at, &no_warn);
		assert_int_equal(count(r, DNSSEC_TTL_BEYOND_EXPIRATION, www), cases[c].beyond_www);
		assert_int_equal(count(r, DNSSEC_EXPIRED, www), cases[c].expired_www);
		assert_int_equal(count(r, DNSSEC_TTL_BEYOND_EXPIRATION, lng), cases[c].beyond_long);
		assert_int_equal(r->rrsets[www].margin, EXPIRATION - cases[c].at - 3600);
		if (cases[c].beyond_www || cases[c].expired_www || cases[c].beyond_long)
			assert_int_equal(r->severity, DNSSEC_CRITICAL);
		else
			assert_int_equal(r->severity, DNSSEC_OK);
		dnssec_report_free(r);
	}
	/* When they begin. */
	struct dnssec_report *r = dnssec_evaluate(v, n, EXPIRATION, &no_warn);
	const struct dnssec_finding *f = first(r, DNSSEC_TTL_BEYOND_EXPIRATION);
	assert_non_null(f);
	assert_true(f->has_begins);
	assert_int_equal(f->begins, EXPIRATION - 86400); /* long.u. first */
	assert_int_equal(f->ends, EXPIRATION + 1);
	assert_int_equal(f->rrset, lng);
	assert_int_equal(f->min_ttl, 86400);
	assert_int_equal(f->margin, -86400);
	assert_false(r->has_next_ttl);
	assert_true(r->has_next_expiry);
	assert_int_equal(r->next_expiry, EXPIRATION + 1);
	dnssec_report_free(r);
	r = dnssec_evaluate(v, n, EXPIRATION + 10, &no_warn);
	f = first(r, DNSSEC_EXPIRED);
	assert_non_null(f);
	assert_int_equal(f->begins, EXPIRATION + 1);
	assert_int_equal(f->expiration, EXPIRATION);
	assert_int_equal(r->count[DNSSEC_EXPIRED], 12);
	assert_false(r->has_next_expiry);
	dnssec_report_free(r);
	/* Before the inception: every signature is premature. */
	r = dnssec_evaluate(v, n, INCEPTION - 1, &no_warn);
	assert_int_equal(r->count[DNSSEC_NOT_YET_VALID], 12);
	f = first(r, DNSSEC_NOT_YET_VALID);
	assert_false(f->has_begins);
	assert_true(f->has_ends);
	assert_int_equal(f->ends, INCEPTION);
	dnssec_report_free(r);
	r = dnssec_evaluate(v, n, INCEPTION, &no_warn);
	assert_int_equal(r->n_findings, 0);
	dnssec_report_free(r);
	dnssec_zone_free(z);
}

static void test_bogus_and_keyless(void **state)
{
	(void)state;
	dnssec_zone *z = read_zone("unit-bogus.signed");
	size_t n, www;
	const struct dnssec_rrset *v = dnssec_zone_rrsets(z, &n);
	(void)find(v, n, "www.u.", "A", &www);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < v[i].n_sigs; j++)
			assert_int_equal(v[i].sigs[j].crypto,
					 i == www ? DNSSEC_SIG_BOGUS : DNSSEC_SIG_VALID);
	assert_string_not_equal(v[www].sigs[0].why, "");
	struct dnssec_report *r = dnssec_evaluate(v, n, MID, &no_warn);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->findings[0].kind, DNSSEC_BOGUS);
	assert_int_equal(r->findings[0].severity, DNSSEC_CRITICAL);
	assert_int_equal(r->findings[0].rrset, www);
	dnssec_report_free(r);
	dnssec_zone_free(z);

	/* uri.arpa (RFC 8976 A.5) with its DNSKEYs replaced: no signature
	 * has its key. */
	z = read_zone("uri.arpa.rfc8976.signed");
	v = dnssec_zone_rrsets(z, &n);
	assert_string_equal(dnssec_zone_apex(z), "uri.arpa.");
	assert_int_equal(dnssec_zone_keys(z), 3);
	r = dnssec_evaluate(v, n, 1612137600 /* 2021-02-01 */, &no_warn);
	assert_int_equal(r->n_sigs, 15);
	assert_int_equal(r->count[DNSSEC_NO_KEY], 15);
	assert_int_equal(r->n_critical, 15);
	assert_int_equal(r->count[DNSSEC_MISSING], 0);
	dnssec_report_free(r);
	dnssec_zone_free(z);
}

static char owner_www[] = "www.example.", owner_a[] = "a.example.",
	    owner_glue[] = "glue.sub.example.", owner_x[] = "x.example.";

/* One RRset with one signature, built by hand. */
static struct dnssec_sig sig;
static struct dnssec_rrset set;

static void one(uint32_t ttl, uint32_t sig_ttl, uint32_t orig_ttl, int64_t inc, int64_t exp)
{
	memset(&sig, 0, sizeof sig);
	memset(&set, 0, sizeof set);
	sig.key_tag = 4242;
	sig.algorithm = 13;
	sig.ttl = sig_ttl;
	sig.orig_ttl = orig_ttl;
	sig.inception = (uint32_t)inc;
	sig.expiration = (uint32_t)exp;
	sig.crypto = DNSSEC_SIG_VALID;
	set.owner = owner_www;
	snprintf(set.type, sizeof set.type, "A");
	set.ttl = ttl;
	set.n_records = 1;
	set.needs_sig = true;
	set.sigs = &sig;
	set.n_sigs = 1;
}

static struct dnssec_report *eval(int64_t at, const struct dnssec_opts *o)
{
	return dnssec_evaluate(&set, 1, at, o);
}

static void test_skew_boundaries(void **state)
{
	(void)state;
	const int64_t inc = MID;
	struct {
		int64_t at;
		size_t premature, skew;
	} cases[] = {
		{ inc - 1, 1, 0 },   { inc, 0, 1 },	  { inc + 1, 0, 1 },
		{ inc + 299, 0, 1 }, { inc + 300, 0, 0 }, { inc + 301, 0, 0 },
	};
	one(300, 300, 300, inc, inc + 30 * 86400);
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct dnssec_report *r = eval(cases[c].at, &defaults);
		assert_int_equal(r->count[DNSSEC_NOT_YET_VALID], cases[c].premature);
		assert_int_equal(r->count[DNSSEC_INCEPTION_SKEW], cases[c].skew);
		assert_int_equal(r->n_findings, cases[c].premature + cases[c].skew);
		assert_int_equal(r->severity, cases[c].premature ? DNSSEC_CRITICAL
					      : cases[c].skew	 ? DNSSEC_WARNING
								 : DNSSEC_OK);
		if (cases[c].skew) {
			assert_int_equal(r->findings[0].begins, inc);
			assert_int_equal(r->findings[0].ends, inc + 300);
		}
		dnssec_report_free(r);
	}
	/* skew 0: never */
	struct dnssec_report *r = eval(inc, &no_warn);
	assert_int_equal(r->n_findings, 0);
	dnssec_report_free(r);
}

static void test_ttl_rules(void **state)
{
	(void)state;
	const int64_t inc = MID - 86400, exp = MID + 30 * 86400;
	struct {
		uint32_t ttl, sig_ttl, orig;
		size_t exceeded, mismatch;
	} cases[] = {
		{ 300, 300, 300, 0, 0 }, { 301, 301, 300, 1, 0 }, { 299, 299, 300, 0, 0 },
		{ 300, 299, 300, 0, 1 }, { 300, 301, 300, 0, 1 }, { 600, 300, 300, 1, 1 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		one(cases[c].ttl, cases[c].sig_ttl, cases[c].orig, inc, exp);
		struct dnssec_report *r = eval(MID, &defaults);
		assert_int_equal(r->count[DNSSEC_ORIG_TTL_EXCEEDED], cases[c].exceeded);
		assert_int_equal(r->count[DNSSEC_TTL_MISMATCH], cases[c].mismatch);
		assert_int_equal(r->n_critical, 0);
		assert_int_equal(r->severity, cases[c].exceeded || cases[c].mismatch
						      ? DNSSEC_WARNING
						      : DNSSEC_OK);
		dnssec_report_free(r);
	}
	/* The TTL a cache keeps is the smallest of the three. */
	uint32_t ttls[3][3] = { { 100, 200, 300 }, { 300, 100, 200 }, { 200, 300, 100 } };
	for (size_t c = 0; c < 3; c++) {
		one(ttls[c][0], ttls[c][1], ttls[c][2], inc, exp);
		struct dnssec_report *r = eval(exp - 101, &no_warn);
		assert_int_equal(r->count[DNSSEC_TTL_BEYOND_EXPIRATION], 0);
		assert_int_equal(r->margin, 1);
		dnssec_report_free(r);
		r = eval(exp - 100, &no_warn);
		assert_int_equal(r->count[DNSSEC_TTL_BEYOND_EXPIRATION], 1);
		assert_int_equal(r->margin, 0);
		assert_int_equal(first(r, DNSSEC_TTL_BEYOND_EXPIRATION)->min_ttl, 100);
		dnssec_report_free(r);
	}
}

static void test_margin_warning(void **state)
{
	(void)state;
	const int64_t exp = MID + 10 * 86400;
	struct dnssec_opts o = { .warn = 3 * 86400, .skew = 300 };
	one(3600, 3600, 3600, MID - 86400, exp);
	/* margin = exp - at - 3600; WARNING while 0 < margin < warn */
	int64_t edge = exp - 3600 - o.warn;
	struct {
		int64_t at;
		size_t low, beyond;
	} cases[] = {
		{ edge - 1, 0, 0 },   { edge, 0, 0 },	    { edge + 1, 1, 0 },
		{ exp - 3601, 1, 0 }, { exp - 3600, 0, 1 },
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct dnssec_report *r = eval(cases[c].at, &o);
		assert_int_equal(r->count[DNSSEC_MARGIN_LOW], cases[c].low);
		assert_int_equal(r->count[DNSSEC_TTL_BEYOND_EXPIRATION], cases[c].beyond);
		if (cases[c].low) {
			const struct dnssec_finding *f = first(r, DNSSEC_MARGIN_LOW);
			assert_int_equal(f->severity, DNSSEC_WARNING);
			assert_int_equal(f->begins, edge);
			assert_int_equal(f->ends, exp - 3600);
			assert_int_equal(r->severity, DNSSEC_WARNING);
		}
		dnssec_report_free(r);
	}
}

static void test_missing_and_no_key(void **state)
{
	(void)state;
	struct dnssec_sig two[2];
	struct dnssec_rrset v[2];
	memset(v, 0, sizeof v);
	v[0].owner = owner_a;
	v[0].ttl = 300;
	v[0].needs_sig = true; /* and no signature */
	v[1] = v[0];
	v[1].owner = owner_glue;
	v[1].needs_sig = false;
	struct dnssec_report *r = dnssec_evaluate(v, 2, MID, &defaults);
	assert_int_equal(r->n_findings, 1);
	assert_int_equal(r->findings[0].kind, DNSSEC_MISSING);
	assert_int_equal(r->findings[0].rrset, 0);
	assert_int_equal(r->findings[0].sig, DNSSEC_NO_SIG);
	assert_int_equal(r->findings[0].severity, DNSSEC_CRITICAL);
	assert_false(r->findings[0].has_begins);
	assert_false(r->has_margin);
	dnssec_report_free(r);

	/* A signature without its key: CRITICAL alone, WARNING next to one
	 * that verifies (a key rollover). */
	one(300, 300, 300, MID - 86400, MID + 30 * 86400);
	two[0] = sig;
	two[1] = sig;
	two[0].crypto = DNSSEC_SIG_NO_KEY;
	set.sigs = two;
	set.n_sigs = 1;
	r = eval(MID, &defaults);
	assert_int_equal(r->count[DNSSEC_NO_KEY], 1);
	assert_int_equal(r->severity, DNSSEC_CRITICAL);
	dnssec_report_free(r);
	set.n_sigs = 2;
	r = eval(MID, &defaults);
	assert_int_equal(r->count[DNSSEC_NO_KEY], 1);
	assert_int_equal(r->severity, DNSSEC_WARNING);
	assert_int_equal(r->n_sigs, 2);
	dnssec_report_free(r);
	two[1].crypto = DNSSEC_SIG_UNSUPPORTED;
	r = eval(MID, &defaults);
	assert_int_equal(r->count[DNSSEC_UNSUPPORTED], 1);
	assert_int_equal(r->severity, DNSSEC_CRITICAL);
	dnssec_report_free(r);
}

/* Findings without a time first, then by when they begin. */
static void test_order(void **state)
{
	(void)state;
	struct dnssec_sig s[3];
	struct dnssec_rrset v[3];
	memset(v, 0, sizeof v);
	memset(s, 0, sizeof s);
	for (size_t i = 0; i < 3; i++) {
		v[i].owner = owner_x;
		v[i].ttl = 300;
		v[i].needs_sig = true;
		v[i].sigs = &s[i];
		v[i].n_sigs = 1;
		s[i].ttl = s[i].orig_ttl = 300;
		s[i].inception = (uint32_t)(MID - 86400);
	}
	s[0].expiration = (uint32_t)(MID - 10); /* expired at MID - 9 */
	s[1].expiration = (uint32_t)(MID - 100);
	s[2].expiration = (uint32_t)(MID + 100); /* TTL beyond from MID - 100 */
	s[2].ttl = 200;				 /* mismatch: no time */
	struct dnssec_report *r = dnssec_evaluate(v, 3, MID, &no_warn);
	assert_int_equal(r->n_findings, 4);
	assert_int_equal(r->findings[0].kind, DNSSEC_TTL_MISMATCH);
	assert_int_equal(r->findings[1].kind, DNSSEC_TTL_BEYOND_EXPIRATION);
	assert_int_equal(r->findings[1].begins, MID - 100);
	assert_int_equal(r->findings[2].rrset, 1);
	assert_int_equal(r->findings[2].begins, MID - 99);
	assert_int_equal(r->findings[3].rrset, 0);
	assert_int_equal(r->findings[3].begins, MID - 9);
	assert_int_equal(r->margin_rrset, 1);
	assert_int_equal(r->margin, -400);
	dnssec_report_free(r);
}

static void test_serial_time(void **state)
{
	(void)state;
	assert_int_equal(dnssec_serial_time((uint32_t)MID, MID), MID);
	assert_int_equal(dnssec_serial_time((uint32_t)(MID + 5), MID), MID + 5);
	assert_int_equal(dnssec_serial_time((uint32_t)(MID - 5), MID), MID - 5);
	/* after 2106 the low 32 bits wrap; the nearest time is meant */
	int64_t later = 4294967296LL + 1000;
	assert_int_equal(dnssec_serial_time(2000, later), 4294967296LL + 2000);
	assert_int_equal(dnssec_serial_time(0xffffff00u, later), 0xffffff00LL);
	assert_int_equal(dnssec_serial_time(0x7fffffffu, 0), 0x7fffffffLL);
	assert_int_equal(dnssec_serial_time(0x80000001u, 0), (int64_t)0x80000001u - 4294967296LL);
}

static void test_read_errors(void **state)
{
	(void)state;
	char err[512] = "", path[] = "/tmp/sundial-test-dnssec-XXXXXX";
	dnssec_zone *z = (dnssec_zone *)&z;
	assert_int_equal(dnssec_zone_read(DATA "no-such-file", NULL, &z, err, sizeof err), -ENOENT);
	assert_null(z);
	assert_non_null(strstr(err, "no-such-file"));
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("$ORIGIN t.\n@ 300 SOA ns1 hostmaster 1 2 3 4 5\n; comment\n\n"
	      "www 300 A 192.0.2.300\nok 300 A 192.0.2.1\n",
	      f);
	fclose(f);
	assert_int_equal(dnssec_zone_read(path, NULL, &z, err, sizeof err), -EINVAL);
	char want[600];
	snprintf(want, sizeof want, "%s:5: ", path);
	assert_memory_equal(err, want, strlen(want));
	f = fopen(path, "w");
	fputs("$ORIGIN t.\nwww 300 A 192.0.2.1\n", f);
	fclose(f);
	assert_int_equal(dnssec_zone_read(path, NULL, &z, err, sizeof err), -ENODATA);
	assert_non_null(strstr(err, "no SOA"));
	/* relative names and --origin */
	f = fopen(path, "w");
	fputs("@ 300 SOA ns1 hostmaster 1 2 3 4 5\nwww 300 A 192.0.2.1\n", f);
	fclose(f);
	assert_int_equal(dnssec_zone_read(path, "example.org", &z, err, sizeof err), 0);
	assert_string_equal(dnssec_zone_apex(z), "example.org.");
	size_t n;
	const struct dnssec_rrset *v = dnssec_zone_rrsets(z, &n);
	assert_int_equal(n, 2);
	/* an unsigned zone: everything is missing its signature */
	struct dnssec_report *r = dnssec_evaluate(v, n, MID, &defaults);
	assert_int_equal(r->count[DNSSEC_MISSING], 2);
	dnssec_report_free(r);
	dnssec_zone_free(z);
	unlink(path);
	dnssec_zone_free(NULL);
	dnssec_report_free(NULL);
}

static void test_fetch_errors(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* a port nothing listens on: bind one and close it */
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	socklen_t len = sizeof *sin;
	assert_int_equal(bind(s, (struct sockaddr *)sin, len), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)sin, &len), 0);
	close(s);
	char err[512] = "";
	dnssec_zone *z = NULL;
	const char *bad[] = { "bad..name" };
	assert_int_equal(dnssec_zone_fetch(&ss, "example.", bad, 1, 1, &z, err, sizeof err),
			 -EINVAL);
	assert_non_null(strstr(err, "bad..name"));
	const char *outside[] = { "www.example.org." };
	assert_int_equal(dnssec_zone_fetch(&ss, "example.", outside, 1, 1, &z, err, sizeof err),
			 -EINVAL);
	assert_non_null(strstr(err, "not in"));
	assert_int_equal(dnssec_zone_fetch(&ss, "example.", NULL, 0, 1, &z, err, sizeof err),
			 -ECONNREFUSED);
	assert_null(z);
}

/* --- times and durations --- */

static void test_parse_time(void **state)
{
	(void)state;
	const int64_t now = MID;
	struct {
		const char *s;
		int64_t want;
	} good[] = {
		{ "now", now },
		{ "+0", now },
		{ "+3600", now + 3600 },
		{ "+1d", now + 86400 },
		{ "-1d12h", now - 129600 },
		{ "1767225600", INCEPTION },
		{ "@1767225600", INCEPTION },
		{ "0", 0 },
		{ "20260101000000", INCEPTION },
		{ "20260201000000", EXPIRATION },
		{ "2026-01-01", INCEPTION },
		{ "2026-01-01T00:00Z", INCEPTION },
		{ "2026-01-01T00:00:00Z", INCEPTION },
		{ "2026-01-01t00:00:00z", INCEPTION },
		{ "2026-01-01 00:00:00", INCEPTION },
		{ "2026-01-01T01:00:00+01:00", INCEPTION },
		{ "2026-01-01T01:30:00+0130", INCEPTION },
		{ "2025-12-31T19:00:00-05:00", INCEPTION },
		{ "2024-02-29T12:00:00Z", 1709208000 },
		{ "2000-02-29", 951782400 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "9999-12-31T23:59:59Z", 253402300799LL },
		{ "2038-01-19T03:14:08Z", 2147483648LL },
		{ "2106-02-07T06:28:16Z", 4294967296LL },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int64_t t = -1;
		char err[300] = "";
		if (dnssec_parse_time(good[i].s, now, &t, err, sizeof err) != 0)
			fail_msg("'%s' rejected: %s", good[i].s, err);
		if (t != good[i].want)
			fail_msg("'%s': %" PRId64 ", want %" PRId64, good[i].s, t, good[i].want);
	}
	const char *bad[] = {
		"",
		"yesterday",
		"NOW",
		"@",
		"@-1",
		"@12a",
		"+",
		"-",
		"+3x",
		"+d",
		"1e9",
		"1767225600.5",
		"1234567890123", /* 13 digits: neither */
		"20261301000000",
		"20260230000000",
		"20260101240000",
		"2026013100000",
		"2026-13-01",
		"2026-00-10",
		"2026-02-29",
		"2100-02-29",
		"2026-04-31",
		"2026-01-00",
		"2026-1-01",
		"26-01-01",
		"2026-01-01T",
		"2026-01-01T24:00Z",
		"2026-01-01T12:60Z",
		"2026-01-01T12:00:60Z",
		"2026-01-01T12Z",
		"2026-01-01T12:00:00.5Z",
		"2026-01-01T12:00:00+25:00",
		"2026-01-01T12:00:00+01:60",
		"2026-01-01T12:00:00+1",
		"2026-01-01T12:00:00Zjunk",
		"2026-01-01x",
		" 2026-01-01",
		"1969-12-31",
		"1969-12-31T23:59:59Z",
		"10000-01-01",
		"1970-01-01T00:00:00+00:01", /* before 1970 */
		"-1000000000d",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t t = 12345;
		char err[300] = "";
		if (dnssec_parse_time(bad[i], now, &t, err, sizeof err) != -EINVAL)
			fail_msg("'%s' accepted as %" PRId64, bad[i], t);
		assert_int_equal(t, 12345);
		assert_non_null(strstr(err, bad[i]));
	}
	int64_t t;
	char err[300];
	assert_int_equal(dnssec_parse_time(NULL, now, &t, err, sizeof err), -EINVAL);
}

static void test_parse_duration(void **state)
{
	(void)state;
	struct {
		const char *s;
		int64_t want;
	} good[] = {
		{ "0", 0 },	     { "3600", 3600 },	   { "3d", 259200 },
		{ "1d12h", 129600 }, { "90m", 5400 },	   { "1w", 604800 },
		{ "45s", 45 },	     { "1h30m15s", 5415 }, { "3153600000", 3153600000LL },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		int64_t d = -1;
		assert_int_equal(dnssec_parse_duration(good[i].s, &d), 0);
		assert_int_equal(d, good[i].want);
	}
	const char *bad[] = {
		"",    "d",    "3x", "3d4", "-1",	   "1e3",   " 3d",
		"3d ", "3.5d", "3D", "d3",  "99999999999", "5300w", "1d1d1d99999999999h"
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int64_t d = 7;
		if (dnssec_parse_duration(bad[i], &d) != -EINVAL)
			fail_msg("'%s' accepted as %" PRId64, bad[i], d);
		assert_int_equal(d, 7);
	}
	int64_t d;
	assert_int_equal(dnssec_parse_duration(NULL, &d), -EINVAL);
}

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* Formatting and parsing are inverses over 1970-9999; random strings from
 * the parsers' alphabet are accepted only when they mean a moment that
 * formats back to an equivalent one, and never crash. */
static void test_time_round_trip(void **state)
{
	(void)state;
	char buf[64], err[300];
	assert_string_equal(dnssec_format_time(0, buf, sizeof buf), "1970-01-01T00:00:00Z");
	assert_string_equal(dnssec_format_time(EXPIRATION, buf, sizeof buf),
			    "2026-02-01T00:00:00Z");
	assert_string_equal(dnssec_format_time(253402300799LL, buf, sizeof buf),
			    "9999-12-31T23:59:59Z");
	rnd_state = test_seed ? test_seed : 1;
	for (int i = 0; i < 20000; i++) {
		int64_t t = (int64_t)(rnd() % 253402300800ULL), back = -1;
		dnssec_format_time(t, buf, sizeof buf);
		if (dnssec_parse_time(buf, 0, &back, err, sizeof err) != 0 || back != t)
			fail_msg("%" PRId64 " -> %s -> %" PRId64 " (seed %" PRIu64 ")", t, buf,
				 back, test_seed);
	}
	static const char alphabet[] = "0123456789-:+TZ @dhmswnoz.";
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)(rnd() % 28);
		for (size_t k = 0; k < len; k++)
			buf[k] = alphabet[rnd() % (sizeof alphabet - 1)];
		buf[len] = '\0';
		int64_t t = -1, d = -1;
		err[0] = '\0';
		int rc = dnssec_parse_time(buf, MID, &t, err, sizeof err);
		if (rc == 0)
			assert_true(t >= 0 && t <= 253402300799LL);
		else
			assert_int_equal(rc, -EINVAL);
		rc = dnssec_parse_duration(buf, &d);
		assert_true(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			assert_true(d >= 0 && d <= 100LL * 366 * 86400);
	}
}

int main(void)
{
	const char *env = getenv("TEST_SEED");
	test_seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("# TEST_SEED=%" PRIu64 "\n", test_seed);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_unit_zone),
		cmocka_unit_test(test_expiration_boundaries),
		cmocka_unit_test(test_bogus_and_keyless),
		cmocka_unit_test(test_skew_boundaries),
		cmocka_unit_test(test_ttl_rules),
		cmocka_unit_test(test_margin_warning),
		cmocka_unit_test(test_missing_and_no_key),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_serial_time),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_fetch_errors),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_parse_duration),
		cmocka_unit_test(test_time_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
