/* test_agentx.c - the pure parts of net/agentx: the scaling helpers at
 * their boundaries (clipping at exactly +-2^31 ns and 2^32 - 1, NAN,
 * negatives, rounding), and agentx_lookup(): GET of each kind of instance
 * with the right type, noSuchObject / noSuchInstance, GETNEXT order across
 * scalars, columns, rows and the two tables, absent values skipped, index
 * arcs out of range, OIDs shorter and longer than an instance, inclusive
 * searches, and a whole walk checked against a GET of every instance it
 * gives (with a random snapshot whose seed is printed).  The subagent
 * against net-snmp's snmpd is tests/system/agentx.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/agentx.h"

/* ------------------------------------------------------------- helpers */

static void test_ns_i32(void **state)
{
	(void)state;
	int32_t v = 7;
	assert_false(agentx_ns_i32(NAN, &v));
	assert_int_equal(v, 7);
	assert_true(agentx_ns_i32(0, &v));
	assert_int_equal(v, 0);
	assert_true(agentx_ns_i32(-0.0, &v));
	assert_int_equal(v, 0);
	assert_true(agentx_ns_i32(0.000012345, &v));
	assert_int_equal(v, 12345);
	assert_true(agentx_ns_i32(-0.000012345, &v));
	assert_int_equal(v, -12345);
	/* rounding to the nearest nanosecond, halves away from zero */
	assert_true(agentx_ns_i32(1.4e-9, &v));
	assert_int_equal(v, 1);
	assert_true(agentx_ns_i32(1.6e-9, &v));
	assert_int_equal(v, 2);
	assert_true(agentx_ns_i32(-1.6e-9, &v));
	assert_int_equal(v, -2);
	assert_true(agentx_ns_i32(2.5e-9, &v));
	assert_int_equal(v, 3);
	/* the ends: 2^31 - 1 ns fits, 2^31 ns is clipped; -2^31 ns fits */
	assert_true(agentx_ns_i32(2.147483647, &v));
	assert_int_equal(v, INT32_MAX);
	assert_true(agentx_ns_i32(2.147483646, &v));
	assert_int_equal(v, 2147483646);
	assert_true(agentx_ns_i32(2.147483648, &v));
	assert_int_equal(v, INT32_MAX);
	assert_true(agentx_ns_i32(-2.147483648, &v));
	assert_int_equal(v, INT32_MIN);
	assert_true(agentx_ns_i32(-2.147483647, &v));
	assert_int_equal(v, -2147483647);
	assert_true(agentx_ns_i32(-2.147483649, &v));
	assert_int_equal(v, INT32_MIN);
	assert_true(agentx_ns_i32(1e6, &v));
	assert_int_equal(v, INT32_MAX);
	assert_true(agentx_ns_i32(-1e6, &v));
	assert_int_equal(v, INT32_MIN);
	assert_true(agentx_ns_i32(INFINITY, &v));
	assert_int_equal(v, INT32_MAX);
	assert_true(agentx_ns_i32(-INFINITY, &v));
	assert_int_equal(v, INT32_MIN);
}

static void test_ns_u32(void **state)
{
	(void)state;
	uint32_t v = 7;
	assert_false(agentx_ns_u32(NAN, &v));
	assert_false(agentx_ns_u32(-1e-9, &v));
	assert_false(agentx_ns_u32(-INFINITY, &v));
	assert_int_equal(v, 7);
	assert_true(agentx_ns_u32(0, &v));
	assert_int_equal(v, 0);
	assert_true(agentx_ns_u32(0.000250, &v));
	assert_int_equal(v, 250000);
	assert_true(agentx_ns_u32(0.4e-9, &v));
	assert_int_equal(v, 0);
	assert_true(agentx_ns_u32(0.5e-9, &v));
	assert_int_equal(v, 1);
	assert_true(agentx_ns_u32(4.294967295, &v));
	assert_int_equal(v, UINT32_MAX);
	assert_true(agentx_ns_u32(4.294967294, &v));
	assert_int_equal(v, 4294967294u);
	assert_true(agentx_ns_u32(4.294967296, &v));
	assert_int_equal(v, UINT32_MAX);
	assert_true(agentx_ns_u32(INFINITY, &v));
	assert_int_equal(v, UINT32_MAX);
}

static void test_gauge(void **state)
{
	(void)state;
	uint32_t v = 7;
	assert_false(agentx_gauge(NAN, 1, &v));
	assert_false(agentx_gauge(-1, 1, &v));
	assert_false(agentx_gauge(-0.2, 1, &v));
	assert_false(agentx_gauge(1, NAN, &v));
	assert_int_equal(v, 7);
	assert_true(agentx_gauge(0, 1, &v));
	assert_int_equal(v, 0);
	assert_true(agentx_gauge(2.49, 1, &v));
	assert_int_equal(v, 2);
	assert_true(agentx_gauge(2.5, 1, &v));
	assert_int_equal(v, 3);
	/* requests per second -> per minute */
	assert_true(agentx_gauge(0.5, 60, &v));
	assert_int_equal(v, 30);
	assert_true(agentx_gauge(1.0 / 120, 60, &v));
	assert_int_equal(v, 1);
	assert_true(agentx_gauge(1.0 / 121, 60, &v));
	assert_int_equal(v, 0);
	assert_true(agentx_gauge(4294967295.0, 1, &v));
	assert_int_equal(v, UINT32_MAX);
	assert_true(agentx_gauge(4294967295.4, 1, &v));
	assert_int_equal(v, UINT32_MAX);
	assert_true(agentx_gauge(4294967294.4, 1, &v));
	assert_int_equal(v, 4294967294u);
	assert_true(agentx_gauge(1e30, 60, &v));
	assert_int_equal(v, UINT32_MAX);
}

/* -------------------------------------------------------------- lookup */

#define BASE 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7625, 1
#define N(...)                                                                                     \
	((const uint32_t[]){ __VA_ARGS__ }),                                                       \
		(sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))

/* Source 1: a server with an offset of 12.345 us, no clients; source 2: a
 * chronyd not sampled yet (all NAN) with a target of 255 octets; source 3:
 * a capture (clients, rate, response times, a huge offset); refclocks: two
 * of source 3... and one of source 1, listed out of order. */
static struct agentx_source src[3];
static struct agentx_refclock rc[3];
static struct agentx_snapshot snap;

static void fill(void)
{
	memset(src, 0, sizeof src);
	memset(rc, 0, sizeof rc);
	for (size_t i = 0; i < 3; i++) {
		struct agentx_source *x = &src[i];
		x->up = x->last_sample = x->offset = x->jitter = x->stratum = NAN;
		x->synchronised = x->clients = x->clients_1h = x->clients_24h = x->requests = NAN;
		x->response_p50 = x->response_p99 = NAN;
		x->state = AGENTX_UNKNOWN;
	}
	snprintf(src[0].kind, sizeof src[0].kind, "server");
	snprintf(src[0].target, sizeof src[0].target, "127.0.0.1:123");
	src[0].up = 1;
	src[0].state = AGENTX_OK;
	src[0].last_sample = 1764115200.9;
	src[0].offset = 0.000012345;
	src[0].stratum = 3;

	snprintf(src[1].kind, sizeof src[1].kind, "chronyd");
	memset(src[1].target, 'a', AGENTX_TARGET_MAX);
	src[1].target[AGENTX_TARGET_MAX] = '\0';

	snprintf(src[2].kind, sizeof src[2].kind, "capture");
	snprintf(src[2].target, sizeof src[2].target, "lo");
	src[2].up = 0;
	src[2].state = AGENTX_CRITICAL;
	src[2].offset = -3.5;
	src[2].jitter = 0.000002;
	src[2].synchronised = 1;
	src[2].clients = 42;
	src[2].clients_1h = 100;
	src[2].requests = 2.5;
	src[2].response_p50 = 0.000011;
	src[2].response_p99 = 0.00009;

	rc[0].source = 2;
	snprintf(rc[0].name, sizeof rc[0].name, "gps");
	rc[0].healthy = true;
	rc[0].status = 3;
	snprintf(rc[0].status_text, sizeof rc[0].status_text, "3d fix");
	rc[0].satellites = 7;
	rc[1].source = 0;
	snprintf(rc[1].name, sizeof rc[1].name, "GPS_NMEA(0)");
	rc[1].healthy = false;
	rc[1].status = 5000000000LL;
	snprintf(rc[1].status_text, sizeof rc[1].status_text, "bad data");
	rc[1].satellites = NAN;
	rc[2].source = 2;
	snprintf(rc[2].name, sizeof rc[2].name, "pps");
	rc[2].healthy = false;
	rc[2].status = -1;
	snprintf(rc[2].status_text, sizeof rc[2].status_text, "no signal");
	rc[2].satellites = NAN;

	snap = (struct agentx_snapshot){
		.src = src,
		.n_src = 3,
		.rc = rc,
		.n_rc = 3,
		.alerts_warning = 1,
		.alerts_critical = 2,
	};
}

static enum agentx_result look(const uint32_t *oid, size_t len, enum agentx_op op,
			       struct agentx_value *v)
{
	memset(v, 0xa5, sizeof *v);
	return agentx_lookup(&snap, oid, len, op, v);
}

/* The value's OID relative to sundialObjects as text ("2.1.7.1"). */
static const char *rel(const struct agentx_value *v)
{
	static char buf[128];
	static const uint32_t base[] = { BASE };
	size_t n = 0;
	buf[0] = '\0';
	if (v->oid_len < 11 || memcmp(v->oid, base, sizeof base) != 0)
		return "not under sundialObjects";
	for (size_t i = 11; i < v->oid_len; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%u", i > 11 ? "." : "",
				      v->oid[i]);
	return buf;
}

static void test_get(void **state)
{
	(void)state;
	fill();
	struct agentx_value v;
	assert_int_equal(look(N(BASE, 1, 1, 0), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_STRING);
	assert_true(v.str_len > 0);
	assert_int_equal(strlen(v.str), v.str_len);
	assert_string_equal(rel(&v), "1.1.0");
	assert_int_equal(look(N(BASE, 1, 2, 0), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_GAUGE);
	assert_int_equal(v.u, 3);
	assert_int_equal(look(N(BASE, 1, 3, 0), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.u, 1);
	assert_int_equal(look(N(BASE, 1, 4, 0), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.u, 2);

	/* sources */
	assert_int_equal(look(N(BASE, 2, 1, 2, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_STRING);
	assert_string_equal(v.str, "server");
	assert_int_equal(look(N(BASE, 2, 1, 3, 2), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.str_len, 255);
	assert_int_equal(look(N(BASE, 2, 1, 4, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_INTEGER);
	assert_int_equal(v.i, 1);
	assert_int_equal(look(N(BASE, 2, 1, 4, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.i, 0);
	assert_int_equal(look(N(BASE, 2, 1, 5, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.i, 2);
	assert_int_equal(look(N(BASE, 2, 1, 5, 2), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.i, 3);
	assert_int_equal(look(N(BASE, 2, 1, 6, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_UNSIGNED);
	assert_int_equal(v.u, 1764115200u);
	assert_int_equal(look(N(BASE, 2, 1, 7, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_INTEGER);
	assert_int_equal(v.i, 12345);
	assert_string_equal(rel(&v), "2.1.7.1");
	assert_int_equal(look(N(BASE, 2, 1, 7, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.i, INT32_MIN); /* -3.5 s clipped */
	assert_int_equal(look(N(BASE, 2, 1, 8, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_string_equal(v.str, "0.000012345");
	assert_int_equal(look(N(BASE, 2, 1, 8, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_string_equal(v.str, "-3.500000000"); /* unclipped */
	assert_int_equal(look(N(BASE, 2, 1, 9, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_GAUGE);
	assert_int_equal(v.u, 2000);
	assert_int_equal(look(N(BASE, 2, 1, 10, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.u, 3);
	assert_int_equal(look(N(BASE, 2, 1, 11, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_INTEGER);
	assert_int_equal(v.i, 1);
	assert_int_equal(look(N(BASE, 2, 1, 12, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.u, 42);
	assert_int_equal(look(N(BASE, 2, 1, 13, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.u, 150); /* 2.5/s = 150/min */
	assert_int_equal(look(N(BASE, 2, 1, 14, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.u, 11000);
	assert_int_equal(look(N(BASE, 2, 1, 15, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.u, 90000);
	assert_int_equal(look(N(BASE, 2, 1, 16, 3), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_GAUGE);
	assert_int_equal(v.u, 100);

	/* refclocks: source 1 has one, source 3 two (in snapshot order) */
	assert_int_equal(look(N(BASE, 3, 1, 2, 1, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_string_equal(v.str, "GPS_NMEA(0)");
	assert_int_equal(look(N(BASE, 3, 1, 2, 3, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_string_equal(v.str, "gps");
	assert_int_equal(look(N(BASE, 3, 1, 2, 3, 2), AGENTX_GET, &v), AGENTX_FOUND);
	assert_string_equal(v.str, "pps");
	assert_int_equal(look(N(BASE, 3, 1, 3, 3, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_INTEGER);
	assert_int_equal(v.i, 1); /* true */
	assert_int_equal(look(N(BASE, 3, 1, 3, 1, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.i, 2); /* false */
	assert_int_equal(look(N(BASE, 3, 1, 4, 1, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.i, INT32_MAX); /* 5e9 clipped */
	assert_int_equal(look(N(BASE, 3, 1, 4, 3, 2), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.i, -1);
	assert_int_equal(look(N(BASE, 3, 1, 5, 3, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_string_equal(v.str, "3d fix");
	assert_int_equal(look(N(BASE, 3, 1, 6, 3, 1), AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.type, AGENTX_T_GAUGE);
	assert_int_equal(v.u, 7);
}

static void test_get_absent(void **state)
{
	(void)state;
	fill();
	struct agentx_value v;
	/* objects without this instance */
	assert_int_equal(look(N(BASE, 2, 1, 12, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 2, 1, 4, 2), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 2, 1, 8, 2), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 2, 1, 6, 3), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 3, 1, 6, 1, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 2, 1, 2, 0), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 2, 1, 2, 4), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 2, 1, 2, 4294967295u), AGENTX_GET, &v),
			 AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 3, 1, 2, 2, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 3, 1, 2, 1, 2), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 3, 1, 2, 4, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 3, 1, 2, 0, 0), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	/* shorter or longer than an instance of an object */
	assert_int_equal(look(N(BASE, 1, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 1, 1, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 1, 1, 0, 0), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 2, 1, 7), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 2, 1, 7, 1, 0), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 3, 1, 2, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	/* no such object: the not-accessible indexes, columns and scalars
	 * that are not, nodes above the objects, other subtrees */
	assert_int_equal(look(N(BASE, 2, 1, 1, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 3, 1, 1, 1, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 2, 1, 17, 3), AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
	assert_int_equal(look(N(BASE, 2, 1, 18, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 3, 1, 7, 1, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 1, 5, 0), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 1, 0, 0), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 2, 2, 2, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 4, 1, 2, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 0), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 2, 1), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE, 2), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(BASE), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7625), AGENTX_GET, &v),
			 AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(look(N(1, 3, 6, 1, 2, 1, 1, 1, 0), AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
	assert_int_equal(agentx_lookup(&snap, NULL, 0, AGENTX_GET, &v), AGENTX_NO_SUCH_OBJECT);
}

/* GETNEXT from oid: the relative OID of what follows, or "end". */
static const char *next(const uint32_t *oid, size_t len)
{
	static struct agentx_value v;
	enum agentx_result r = look(oid, len, AGENTX_NEXT, &v);
	if (r == AGENTX_END)
		return "end";
	assert_int_equal(r, AGENTX_FOUND);
	return rel(&v);
}

static void test_next(void **state)
{
	(void)state;
	fill();
	/* before, at and above sundialObjects: the first scalar */
	assert_string_equal(next(N(1, 3)), "1.1.0");
	assert_string_equal(next(N(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7625)), "1.1.0");
	assert_string_equal(next(N(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7624, 99)), "1.1.0");
	assert_string_equal(next(N(BASE)), "1.1.0");
	assert_string_equal(next(N(BASE, 0, 5)), "1.1.0");
	assert_string_equal(next(N(BASE, 1)), "1.1.0");
	assert_string_equal(next(N(BASE, 1, 1)), "1.1.0");
	/* scalars in order, then the first column of the source table */
	assert_string_equal(next(N(BASE, 1, 1, 0)), "1.2.0");
	assert_string_equal(next(N(BASE, 1, 1, 0, 7)), "1.2.0");
	assert_string_equal(next(N(BASE, 1, 3, 0)), "1.4.0");
	assert_string_equal(next(N(BASE, 1, 4, 0)), "2.1.2.1");
	assert_string_equal(next(N(BASE, 1, 4294967295u)), "2.1.2.1");
	assert_string_equal(next(N(BASE, 2)), "2.1.2.1");
	assert_string_equal(next(N(BASE, 2, 1, 1)), "2.1.2.1");
	assert_string_equal(next(N(BASE, 2, 1, 1, 999)), "2.1.2.1");
	/* rows of a column, then the next column */
	assert_string_equal(next(N(BASE, 2, 1, 2, 1)), "2.1.2.2");
	assert_string_equal(next(N(BASE, 2, 1, 2, 3)), "2.1.3.1");
	assert_string_equal(next(N(BASE, 2, 1, 2, 0)), "2.1.2.1");
	assert_string_equal(next(N(BASE, 2, 1, 2, 1, 0)), "2.1.2.2");
	assert_string_equal(next(N(BASE, 2, 1, 2, 99)), "2.1.3.1");
	assert_string_equal(next(N(BASE, 2, 1, 2, 4294967295u)), "2.1.3.1");
	/* absent values skipped: up has rows 1 and 3, clients only 3 */
	assert_string_equal(next(N(BASE, 2, 1, 4, 1)), "2.1.4.3");
	assert_string_equal(next(N(BASE, 2, 1, 6, 1)), "2.1.7.1");
	assert_string_equal(next(N(BASE, 2, 1, 11)), "2.1.11.3");
	assert_string_equal(next(N(BASE, 2, 1, 12, 0)), "2.1.12.3");
	assert_string_equal(next(N(BASE, 2, 1, 15, 3)), "2.1.16.3");
	assert_string_equal(next(N(BASE, 2, 1, 16, 3)), "3.1.2.1.1"); /* no 24h value */
	/* past the last column and out-of-range arcs */
	assert_string_equal(next(N(BASE, 2, 1, 16)), "2.1.16.3");
	assert_string_equal(next(N(BASE, 2, 1, 17)), "3.1.2.1.1");
	assert_string_equal(next(N(BASE, 2, 1, 18)), "3.1.2.1.1");
	assert_string_equal(next(N(BASE, 2, 2)), "3.1.2.1.1");
	assert_string_equal(next(N(BASE, 2, 4294967295u, 4294967295u)), "3.1.2.1.1");
	/* the refclock table: sources, then refclocks of a source, then
	 * the next column */
	assert_string_equal(next(N(BASE, 3, 1, 2, 1, 1)), "3.1.2.3.1");
	assert_string_equal(next(N(BASE, 3, 1, 2, 1)), "3.1.2.1.1");
	assert_string_equal(next(N(BASE, 3, 1, 2, 2)), "3.1.2.3.1");
	assert_string_equal(next(N(BASE, 3, 1, 2, 3, 1)), "3.1.2.3.2");
	assert_string_equal(next(N(BASE, 3, 1, 2, 3, 2)), "3.1.3.1.1");
	assert_string_equal(next(N(BASE, 3, 1, 5, 3, 2)), "3.1.6.3.1");
	/* satellites: only the gps has some; then nothing */
	assert_string_equal(next(N(BASE, 3, 1, 6)), "3.1.6.3.1");
	assert_string_equal(next(N(BASE, 3, 1, 6, 3, 1)), "end");
	assert_string_equal(next(N(BASE, 3, 1, 6, 3, 1, 0)), "end");
	assert_string_equal(next(N(BASE, 3, 2)), "end");
	assert_string_equal(next(N(BASE, 4)), "end");
	assert_string_equal(next(N(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7625, 2)), "end");
	assert_string_equal(next(N(1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7626)), "end");
	assert_string_equal(next(N(2)), "end");
}

static void test_next_inclusive(void **state)
{
	(void)state;
	fill();
	struct agentx_value v;
	assert_int_equal(look(N(BASE, 2, 1, 7, 1), AGENTX_NEXT_INCLUSIVE, &v), AGENTX_FOUND);
	assert_string_equal(rel(&v), "2.1.7.1");
	assert_int_equal(v.i, 12345);
	assert_int_equal(look(N(BASE, 1, 1, 0), AGENTX_NEXT_INCLUSIVE, &v), AGENTX_FOUND);
	assert_string_equal(rel(&v), "1.1.0");
	/* an absent instance: the next present one */
	assert_int_equal(look(N(BASE, 2, 1, 12, 1), AGENTX_NEXT_INCLUSIVE, &v), AGENTX_FOUND);
	assert_string_equal(rel(&v), "2.1.12.3");
	/* longer than an instance: after it */
	assert_int_equal(look(N(BASE, 2, 1, 7, 1, 0), AGENTX_NEXT_INCLUSIVE, &v), AGENTX_FOUND);
	assert_string_equal(rel(&v), "2.1.7.3");
	assert_int_equal(look(N(BASE, 3, 1, 6, 3, 1), AGENTX_NEXT_INCLUSIVE, &v), AGENTX_FOUND);
	assert_int_equal(look(N(BASE, 3, 1, 6, 3, 2), AGENTX_NEXT_INCLUSIVE, &v), AGENTX_END);
}

static void test_empty(void **state)
{
	(void)state;
	struct agentx_snapshot s = { 0 };
	struct agentx_value v;
	const uint32_t base[] = { BASE };
	const uint32_t count[] = { BASE, 1, 2, 0 };
	const uint32_t last[] = { BASE, 1, 4, 0 };
	const uint32_t row[] = { BASE, 2, 1, 2, 1 };
	assert_int_equal(agentx_lookup(&s, base, 11, AGENTX_NEXT, &v), AGENTX_FOUND);
	assert_int_equal(agentx_lookup(&s, count, 14, AGENTX_GET, &v), AGENTX_FOUND);
	assert_int_equal(v.u, 0);
	assert_int_equal(agentx_lookup(&s, last, 14, AGENTX_NEXT, &v), AGENTX_END);
	assert_int_equal(agentx_lookup(&s, row, 15, AGENTX_GET, &v), AGENTX_NO_SUCH_INSTANCE);
}

/* A walk from sundialObjects gives strictly increasing OIDs, each of which
 * a GET finds with the same value, and as many as the snapshot has; with a
 * random snapshot (the seed is printed). */
static int oid_cmp(const struct agentx_value *a, const struct agentx_value *b)
{
	size_t n = a->oid_len < b->oid_len ? a->oid_len : b->oid_len;
	for (size_t i = 0; i < n; i++)
		if (a->oid[i] != b->oid[i])
			return a->oid[i] < b->oid[i] ? -1 : 1;
	return a->oid_len < b->oid_len ? -1 : a->oid_len > b->oid_len;
}

static double maybe(double x)
{
	return rand() % 3 == 0 ? NAN : x;
}

static void test_walk_random(void **state)
{
	(void)state;
	unsigned seed = (unsigned)time(NULL);
	printf("# seed %u\n", seed);
	srand(seed);
	static struct agentx_source rs[20];
	static struct agentx_refclock rr[30];
	for (int round = 0; round < 200; round++) {
		size_t ns = (size_t)(rand() % 21), nr = ns ? (size_t)(rand() % 31) : 0;
		size_t want = 4; /* scalars */
		for (size_t i = 0; i < ns; i++) {
			struct agentx_source *x = &rs[i];
			memset(x, 0, sizeof *x);
			snprintf(x->kind, sizeof x->kind, "k%u", (unsigned)i);
			snprintf(x->target, sizeof x->target, "t%zu", i);
			x->state = (enum agentx_state)(rand() % 4);
			x->up = maybe(rand() % 2);
			x->last_sample = maybe(1.7e9);
			x->offset = maybe((rand() % 2001 - 1000) * 1e-5);
			x->jitter = maybe(1e-6);
			x->stratum = maybe(rand() % 17);
			x->synchronised = maybe(1);
			x->clients = maybe(rand() % 100);
			x->clients_1h = maybe(rand() % 1000);
			x->clients_24h = maybe(rand() % 10000);
			x->requests = maybe(rand() % 100 / 7.0);
			x->response_p50 = maybe(1e-5);
			x->response_p99 = maybe(1e-4);
			want += 4; /* kind, target, state, and ... */
			double *d[] = { &x->up,		  &x->last_sample,  &x->jitter,
					&x->stratum,	  &x->synchronised, &x->clients,
					&x->clients_1h,	  &x->clients_24h,  &x->requests,
					&x->response_p50, &x->response_p99 };
			want -= 1; /* ... offset and its text count as two below */
			for (size_t k = 0; k < sizeof d / sizeof d[0]; k++)
				want += !isnan(*d[k]);
			want += isnan(x->offset) ? 0 : 2;
		}
		for (size_t i = 0; i < nr; i++) {
			struct agentx_refclock *x = &rr[i];
			memset(x, 0, sizeof *x);
			x->source = (size_t)rand() % ns;
			snprintf(x->name, sizeof x->name, "r%zu", i);
			x->satellites = maybe(rand() % 12);
			want += 4 + !isnan(x->satellites);
		}
		struct agentx_snapshot s = { .src = rs, .n_src = ns, .rc = rr, .n_rc = nr };
		struct agentx_value v, prev, got;
		const uint32_t start[] = { 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7625 };
		size_t n = 0;
		enum agentx_result r = agentx_lookup(&s, start, 10, AGENTX_NEXT, &v);
		while (r == AGENTX_FOUND) {
			if (n > 0)
				assert_true(oid_cmp(&prev, &v) < 0);
			assert_int_equal(agentx_lookup(&s, v.oid, v.oid_len, AGENTX_GET, &got),
					 AGENTX_FOUND);
			assert_int_equal(got.type, v.type);
			assert_int_equal(oid_cmp(&got, &v), 0);
			if (v.type == AGENTX_T_STRING)
				assert_string_equal(got.str, v.str);
			else if (v.type == AGENTX_T_INTEGER)
				assert_int_equal(got.i, v.i);
			else
				assert_int_equal(got.u, v.u);
			/* an inclusive search from it finds it again */
			assert_int_equal(
				agentx_lookup(&s, v.oid, v.oid_len, AGENTX_NEXT_INCLUSIVE, &got),
				AGENTX_FOUND);
			assert_int_equal(oid_cmp(&got, &v), 0);
			prev = v;
			n++;
			r = agentx_lookup(&s, prev.oid, prev.oid_len, AGENTX_NEXT, &v);
		}
		assert_int_equal(r, AGENTX_END);
		assert_int_equal(n, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ns_i32),	       cmocka_unit_test(test_ns_u32),
		cmocka_unit_test(test_gauge),	       cmocka_unit_test(test_get),
		cmocka_unit_test(test_get_absent),     cmocka_unit_test(test_next),
		cmocka_unit_test(test_next_inclusive), cmocka_unit_test(test_empty),
		cmocka_unit_test(test_walk_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
