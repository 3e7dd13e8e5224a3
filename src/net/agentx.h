/* agentx.h - an AgentX subagent (RFC 2741) that shows the collector's main
 * values to the host's snmpd under SUNDIAL-MIB (doc/SUNDIAL-MIB.txt): per
 * source its kind, target, state, offset, jitter, stratum, sync, clients,
 * request rate and response-time percentiles, and per reference clock its
 * state.  The only module that includes net-snmp's agent headers.
 *
 * The MIB lives under net-snmp's experimental playpen
 * (1.3.6.1.4.1.8072.9999.9999.7625, NET-SNMP-MIB::netSnmpPlaypen) until
 * sundial has a Private Enterprise Number of its own:
 *
 *   sundialMIB               .7625
 *     sundialObjects         .7625.1
 *       sundialCollector     .7625.1.1   scalars: version, sources, alerts
 *       sundialSourceTable   .7625.1.2   INDEX { sundialSourceIndex }
 *       sundialRefclockTable .7625.1.3   INDEX { sundialSourceIndex,
 *                                                sundialRefclockIndex }
 *     sundialConformance     .7625.2
 *
 * SNMP has no floating point and no "no value": values are scaled to
 * integers (nanoseconds, requests per minute), clipped to their SYNTAX's
 * range, and a value the collector does not have is an absent instance
 * (noSuchInstance for a GET, skipped by GETNEXT/GETBULK).
 *
 * The collector hands a snapshot of its values to agentx_publish() after
 * every sample; the subagent answers snmpd from the last snapshot.  The
 * subagent runs in a thread of its own; it reconnects to the master agent
 * when snmpd restarts. */
#ifndef SUNDIAL_NET_AGENTX_H
#define SUNDIAL_NET_AGENTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENTX_KIND_MAX 16
#define AGENTX_TARGET_MAX 255 /* DisplayString (SIZE (0..255)) */
#define AGENTX_NAME_MAX 64

/* The default master socket: net-snmp's. */
#define AGENTX_DEFAULT_SOCKET "/var/agentx/master"

enum agentx_state {
	AGENTX_OK = 0,
	AGENTX_WARNING = 1,
	AGENTX_CRITICAL = 2,
	AGENTX_UNKNOWN = 3,
};

/* One value a source may or may not have: NAN for none.  Units are the
 * collector's (seconds, requests per second); the subagent scales. */
struct agentx_source {
	char kind[AGENTX_KIND_MAX + 1];	    /* "server", "chronyd", ... */
	char target[AGENTX_TARGET_MAX + 1]; /* as configured (cut to 255 octets) */
	double up;			    /* 1 or 0; NAN: not sampled yet */
	enum agentx_state state;	    /* the worst alert state of the source */
	double last_sample;		    /* seconds since the epoch; NAN: none */
	double offset;			    /* seconds */
	double jitter;			    /* seconds */
	double stratum;			    /* 0..16 */
	double synchronised;		    /* 1 or 0 */
	double clients;			    /* distinct clients in the last 5 minutes */
	double clients_1h, clients_24h;	    /* ... hour, ... 24 hours */
	double requests;		    /* requests per second */
	double response_p50, response_p99;  /* seconds */
};

/* A reference clock of a source (an ntpd refclock, gpsd's receiver, a
 * Meinberg refclock seen by SNMP). */
struct agentx_refclock {
	size_t source;			       /* index into the snapshot's sources */
	char name[AGENTX_NAME_MAX + 1];	       /* "GPS_NMEA(0)", "gps", "1", ... */
	bool healthy;			       /* synchronised / nominal / a 2D or 3D fix */
	long long status;		       /* the source's own code */
	char status_text[AGENTX_NAME_MAX + 1]; /* "nominal", "synchronized", "3d fix" */
	double satellites;		       /* used / good satellites; NAN: none */
};

struct agentx_snapshot {
	const struct agentx_source *src; /* row i has sundialSourceIndex i + 1 */
	size_t n_src;
	const struct agentx_refclock *rc; /* rows of a source have sundialRefclockIndex 1, 2, ...
					     in this order */
	size_t n_rc;
	size_t alerts_warning, alerts_critical; /* alerts in that state now */
};

typedef struct agentx agentx;

/* Every AGENTX_PING_INTERVAL seconds the subagent pings its master, and
 * tries again to reach one it has not got (net-snmp's agentxPingInterval):
 * a restarted snmpd gets the subtree back within that time. */
#define AGENTX_PING_INTERVAL 5

/* Starts the subagent: registers the MIB's subtree with the master agent at
 * socket (NULL: AGENTX_DEFAULT_SOCKET; "/path" a Unix socket, or
 * "tcp:HOST:PORT") from a thread of its own.  A master that is not there
 * yet is no error: the subagent keeps trying every AGENTX_PING_INTERVAL
 * seconds and logs once.  One subagent per process (net-snmp has one
 * master session).  Works whether net/snmp_client started net-snmp before
 * or not (snmp_client.h).  NULL with err set for a malformed socket, a
 * second subagent, or when the library cannot start. */
agentx *agentx_new(const char *socket, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Replaces the values the subagent answers with (copied; s is borrowed for
 * the call only).  Any thread. */
void agentx_publish(agentx *a, const struct agentx_snapshot *s);

/* Whether the subagent has a session with a master right now (its subtree
 * is registered in the same step).  Any thread. */
bool agentx_connected(agentx *a);

/* Stops and joins the thread, closes the session with the master (an
 * AgentX Close, so the subtree goes at once) and removes the subtree from
 * net-snmp's registry.  net-snmp itself stays up (no snmp_shutdown(): the
 * SNMP clients of the process go on using it), so a later agentx_new()
 * works.  Accepts NULL. */
void agentx_free(agentx *a);

/* ---- pure helpers, for tests ---- */

/* Seconds as Integer32 nanoseconds, clipped to -2147483648..2147483647
 * (+-2.147 s); false for NAN. */
bool agentx_ns_i32(double seconds, int32_t *out);
/* Seconds as Gauge32 nanoseconds, clipped to 0..4294967295; false for NAN
 * and negative values. */
bool agentx_ns_u32(double seconds, uint32_t *out);
/* A value as Gauge32: rounded to the nearest integer, times scale first,
 * clipped to 0..4294967295; false for NAN and negative values. */
bool agentx_gauge(double v, double scale, uint32_t *out);

/* The MIB's instances (relative to sundialObjects, AGENTX_OBJECTS_OID):
 *
 *   1.K.0        scalars: 1 sundialVersion, 2 sundialSourceCount,
 *                3 sundialAlertsWarning, 4 sundialAlertsCritical
 *   2.1.C.S      sundialSourceEntry column C (2..17; 1, the index, is
 *                not-accessible) of source S (1..n_src)
 *   3.1.C.S.R    sundialRefclockEntry column C (2..6) of the R-th
 *                refclock of source S
 *
 * An absent value (NAN) has no instance. */
#define AGENTX_OBJECTS_OID 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7625, 1
#define AGENTX_OBJECTS_LEN 11
#define AGENTX_OID_MAX (AGENTX_OBJECTS_LEN + 5)

enum agentx_type {
	AGENTX_T_INTEGER,  /* INTEGER, Integer32, TruthValue: i */
	AGENTX_T_GAUGE,	   /* Gauge32: u */
	AGENTX_T_UNSIGNED, /* Unsigned32: u */
	AGENTX_T_STRING,   /* DisplayString: str, str_len */
};

struct agentx_value {
	uint32_t oid[AGENTX_OID_MAX]; /* the instance, from 1.3.6... */
	size_t oid_len;
	enum agentx_type type;
	int32_t i;
	uint32_t u;
	char str[AGENTX_TARGET_MAX + 1]; /* NUL-terminated */
	size_t str_len;
};

enum agentx_op {
	AGENTX_GET,	       /* exactly oid */
	AGENTX_NEXT,	       /* the first instance after oid */
	AGENTX_NEXT_INCLUSIVE, /* the first instance at or after oid (an
				  AgentX search range with include set) */
};

enum agentx_result {
	AGENTX_FOUND,		 /* *out holds it */
	AGENTX_NO_SUCH_OBJECT,	 /* GET: oid names no object of the MIB */
	AGENTX_NO_SUCH_INSTANCE, /* GET: an object, but not this instance */
	AGENTX_END,		 /* NEXT: no instance after oid */
};

/* What a GET or GETNEXT of oid (len arcs, any length; arcs are compared as
 * numbers) finds in the snapshot s.  Pure. */
enum agentx_result agentx_lookup(const struct agentx_snapshot *s, const uint32_t *oid, size_t len,
				 enum agentx_op op, struct agentx_value *out)
	__attribute__((warn_unused_result));

#endif
