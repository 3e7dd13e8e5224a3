/* snmp_profile.h - SNMP profiles: what to read from a kind of device (OID,
 * name, unit, type, scale) as data in files a user can add to, not code.
 * Pure: no I/O but reading the file, no SNMP library, no logging.
 *
 * A profile file is read with common/conf (one directive per line, '#'
 * comments, double quotes, "include"), every mistake reported as
 * "FILE:LINE: what was expected".  The directives:
 *
 *   profile NAME               the first directive, once.  NAME is
 *                              [a-z][a-z0-9]* (at most 16 octets); it names
 *                              the profile and is part of every metric name
 *   description TEXT           optional, once (quote it: one word)
 *   fallback                   optional, once: a generic profile (hosts),
 *                              chosen by detection only when no other
 *                              profile's detect holds
 *   detect OID                 the device answers a GET of OID (an instance)
 *   detect sysobjectid OID     sysObjectID.0 is OID or lies under it
 *                              (any number of detects; any one that holds
 *                              identifies the device; a profile without one
 *                              is used only when named)
 *   legacy OID NAME            a legacy MIB: when the device answers a GET
 *                              of OID (an instance of it), its presence is
 *                              reported by NAME (e.g. MBG-SNMP-LT-MIB);
 *                              nothing else of it is read
 *   scalar NAME OID TYPE [OPTION...]
 *                              one value: the full OID of the instance
 *                              (usually ending in .0)
 *   table NAME ENTRY-OID LABEL [key COLUMN]
 *                              a conceptual table: ENTRY-OID is the
 *                              ...Entry object, rows are ENTRY.SUBID.INDEX.
 *                              Each row's series carry the label LABEL with
 *                              the row's INDEX (dotted), or with key COLUMN,
 *                              the value of that string column, so that rows
 *                              that come and go (VPN tunnels) keep their
 *                              series by name.  The key column is read but
 *                              not exported.
 *   column NAME SUBID TYPE [OPTION...]
 *                              a column of the last table (1 to 64 of them)
 *
 *   NAME     [a-z][a-z0-9]*(_[a-z0-9]+)*, at most 48 octets, not ending in
 *            "_total", "_info" or the unit's suffix
 *   LABEL    the same syntax; not "target", "instance", "job" or "profile"
 *   OID      dotted decimal, 2 to 128 arcs of at most 4294967295, first arc
 *            0, 1 or 2, a leading '.' allowed, no leading zeros
 *   SUBID    one arc, 1 .. 4294967295
 *   TYPE     gauge      a number as read (INTEGER, Integer32, Unsigned32,
 *                       Gauge32, TimeTicks)
 *            counter    Counter32: exported as a counter (metric name ends
 *                       in "_total"), stored and shown as a rate, wrapping
 *                       at 2^32
 *            counter64  Counter64: the same, wrapping at 2^64
 *            string     an OCTET STRING; exported as NAME_info{value="..."} 1
 *            enum       an INTEGER with named values; needs "enum"
 *   OPTION   unit UNIT  a Prometheus base unit: seconds, bytes, celsius,
 *                       ratio, volts, amperes, watts, joules, hertz, meters
 *                       (gauge, counter, counter64).  "ms", "kB", "percent",
 *                       ... are refused: give the base unit and a scale
 *            scale X    the value read times X is the value in UNIT (a
 *                       finite, nonzero decimal such as 0.01 or 1024;
 *                       gauge, counter, counter64)
 *            enum V=LABEL[,V=LABEL...]   the named values (type enum only;
 *                       V an integer, LABEL [A-Za-z][A-Za-z0-9_-]* of at
 *                       most 32 octets, each V once, at most 256)
 *            parse ms-string   the value is an OCTET STRING holding
 *                       milliseconds ("0.123 ms", "-1.5"), see
 *                       snmp_profile_ms_string(); type gauge, and the unit
 *                       is seconds (implied)
 *            mul COLUMN the value is also multiplied by the value of
 *                       COLUMN of the same row (hrStorageSize times
 *                       hrStorageAllocationUnits); columns only, a numeric
 *                       column of the same table
 *            optional   the object may be absent (noSuchObject, no swap):
 *                       that is no error and no "missing" sample
 *            hidden     read (for mul) but not exported
 *            Each option at most once.
 *
 * The metric name of a scalar is sundial_snmp_PROFILE_NAME, of a column
 * sundial_snmp_PROFILE_TABLE_COLUMN, then "_" UNIT if a unit is given, then
 * "_total" for counters or "_info" for strings.  Two objects must not get
 * the same metric name.  At most 1024 objects (scalars and columns) and 64
 * tables.  Example:
 *
 *   profile meinberg
 *   detect sysobjectid 1.3.6.1.4.1.5597
 *   scalar ntp_offset 1.3.6.1.4.1.5597.30.0.2.4.0 gauge parse ms-string
 *   table refclock 1.3.6.1.4.1.5597.30.0.1.2.1 refclock
 *   column state 4 enum enum 0=notAvailable,1=synchronized,2=notSynchronized
 *
 * gives sundial_snmp_meinberg_ntp_offset_seconds and
 * sundial_snmp_meinberg_refclock_state{refclock="1"}. */
#ifndef SUNDIAL_SOURCES_SNMP_PROFILE_H
#define SUNDIAL_SOURCES_SNMP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/conf.h"

#define SNMP_PROFILE_OID_MAX 128
#define SNMP_PROFILE_NAME_MAX 48    /* a NAME or LABEL */
#define SNMP_PROFILE_PNAME_MAX 16   /* the profile's NAME */
#define SNMP_PROFILE_METRIC_MAX 160 /* sundial_snmp_ + ... + _total */
#define SNMP_PROFILE_ENUM_LABEL_MAX 32
#define SNMP_PROFILE_ENUM_MAX 256
#define SNMP_PROFILE_OBJECTS_MAX 1024
#define SNMP_PROFILE_TABLES_MAX 64
#define SNMP_PROFILE_COLUMNS_MAX 64

enum snmp_profile_type {
	SNMP_PROFILE_GAUGE,
	SNMP_PROFILE_COUNTER,
	SNMP_PROFILE_COUNTER64,
	SNMP_PROFILE_STRING,
	SNMP_PROFILE_ENUM,
};

const char *snmp_profile_type_name(enum snmp_profile_type t); /* "gauge", ... */

struct snmp_profile_oid {
	uint32_t arc[SNMP_PROFILE_OID_MAX];
	size_t len;
};

struct snmp_profile_enum {
	long long value;
	char label[SNMP_PROFILE_ENUM_LABEL_MAX + 1];
};

/* A scalar or a column. */
struct snmp_profile_object {
	char name[SNMP_PROFILE_NAME_MAX + 1];	  /* as written */
	char metric[SNMP_PROFILE_METRIC_MAX + 1]; /* the full metric name */
	struct snmp_profile_oid oid;		  /* scalar: the instance; column: ENTRY.SUBID */
	enum snmp_profile_type type;
	char unit[16];			 /* "" for none */
	double scale;			 /* 1 unless given */
	struct snmp_profile_enum *enums; /* sorted by value */
	size_t n_enums;
	bool ms_string;
	bool optional;
	bool hidden; /* also set on a table's key column */
	size_t mul;  /* column: index + 1 of the mul column in the table; 0 for none */
	unsigned line;
};

struct snmp_profile_table {
	char name[SNMP_PROFILE_NAME_MAX + 1];
	char label[SNMP_PROFILE_NAME_MAX + 1];
	struct snmp_profile_oid entry;
	size_t key; /* index + 1 of the key column; 0: the row's index */
	struct snmp_profile_object *col;
	size_t n_col;
	unsigned line;
};

struct snmp_profile_detect {
	bool sysobjectid; /* compare with sysObjectID.0, else: anything at or under oid */
	struct snmp_profile_oid oid;
};

struct snmp_profile_legacy {
	struct snmp_profile_oid oid;
	char name[SNMP_PROFILE_NAME_MAX + 1];
};

struct snmp_profile {
	char name[SNMP_PROFILE_PNAME_MAX + 1];
	char *description; /* NULL: none */
	char *file;	   /* where it was read from */
	bool fallback;	   /* chosen only when no other profile is detected */
	struct snmp_profile_detect *detect;
	size_t n_detect;
	struct snmp_profile_legacy *legacy;
	size_t n_legacy;
	struct snmp_profile_object *scalar;
	size_t n_scalar;
	struct snmp_profile_table *table;
	size_t n_table;
};

/* Reads the profile file at path (with its includes) into *out.  0, or
 * -EINVAL with "FILE:LINE: what was expected" in err and *out left empty
 * (-ENOENT etc. do not occur: a file that cannot be read is -EINVAL too,
 * with "FILE: <strerror>"). */
int snmp_profile_load(const char *path, struct snmp_profile *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* The same from lines already read (without lines, the message is "empty
 * profile: ..." without a file name). */
int snmp_profile_from(const conf *c, struct snmp_profile *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

void snmp_profile_free(struct snmp_profile *p); /* the contents; accepts zeroed */

/* Parses a dotted-decimal OID (the syntax above) into *out; false, with *out
 * left alone, when malformed. */
bool snmp_profile_oid_parse(const char *s, struct snmp_profile_oid *out)
	__attribute__((warn_unused_result));

/* The label of value v of an enum object, or NULL if it has none. */
const char *snmp_profile_enum_label(const struct snmp_profile_object *o, long long v);

/* The value of a "parse ms-string" object, as an agent sent it: len octets
 * (not NUL-terminated, any bytes).  Accepted: optional blanks, an optional
 * sign, digits with an optional fraction ("12", "0.123", ".5", "-1."), an
 * optional exponent ("1e-3"), optional blanks, an optional unit "ms",
 * optional blanks; at most 64 octets and 20 significant digits; |value| <=
 * 1e9 ms.  "n/a" (the MIB's DEFVAL, any case) and the empty string mean no
 * value. */
enum snmp_profile_ms {
	SNMP_PROFILE_MS_OK,	 /* *seconds set */
	SNMP_PROFILE_MS_NONE,	 /* "n/a" or empty: the agent has no value */
	SNMP_PROFILE_MS_INVALID, /* anything else */
};
enum snmp_profile_ms snmp_profile_ms_string(const char *s, size_t len, double *seconds)
	__attribute__((warn_unused_result));
const char *snmp_profile_ms_strerror(enum snmp_profile_ms r);

/* Meinberg refclocks: what mbgLtNgRefclockStatusA/StatusB mean depends on
 * the receiver (MBG-SNMP-LTNG-MIB, mbgLtNgRefclockTableEntry):
 *   mbgLtNgRefclockStatusA     gps: number of good satellites in view;
 *                              long wave, pzf: correlation; others: not
 *                              supported
 *   mbgLtNgRefclockMaxStatusA  gps: number of satellites in view; pzf: 100
 *   mbgLtNgRefclockStatusB     long wave (all): field strength; else not
 *                              supported
 *   mbgLtNgRefclockMaxStatusB  long wave (all): 100
 * The receiver's kind comes from mbgLtNgRefclockType (gps*, gns*, gnm*,
 * grc*, gln* satellite; pzf* PZF; am511, dcf600*, msf*, wwvb*, jjy*
 * other long wave; tcr* IRIG), else from mbgLtNgRefclockSubstate (gps 1-6,
 * long wave 50-52, irig 100-101).  The collector exports the results as
 * sundial_snmp_meinberg_refclock_satellites_good,
 * ..._satellites_in_view, ..._correlation_ratio and
 * ..._field_strength_ratio. */
enum snmp_profile_mbg_kind {
	SNMP_PROFILE_MBG_OTHER, /* unknown, PTP, IRIG, ...: no StatusA/B */
	SNMP_PROFILE_MBG_GNSS,	/* GPS and other satellite receivers */
	SNMP_PROFILE_MBG_PZF,	/* DCF77 with pseudo-random phase modulation */
	SNMP_PROFILE_MBG_LW,	/* other long wave: DCF77 AM, MSF, WWVB, JJY */
	SNMP_PROFILE_MBG_IRIG,	/* time code receivers (TCR) */
};

struct snmp_profile_mbg_status {
	enum snmp_profile_mbg_kind kind;
	double satellites_good;	   /* GNSS; else NAN */
	double satellites_in_view; /* GNSS; else NAN */
	double correlation;	   /* PZF: 0..1; else NAN */
	double field_strength;	   /* PZF and other long wave: 0..1; else NAN */
};

/* Interprets one row of mbgLtNgRefclockTable.  Values outside the MIB's
 * ranges (StatusA/B above 100, good satellites above those in view) give
 * NAN for what they would mean. */
void snmp_profile_mbg_refclock(long long type, long long substate, long long status_a,
			       long long max_a, long long status_b, long long max_b,
			       struct snmp_profile_mbg_status *out);
const char *snmp_profile_mbg_kind_name(enum snmp_profile_mbg_kind k); /* "gnss", ... */

#endif
