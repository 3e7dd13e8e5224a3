/* snmp.h - the collector's `snmp` source: an SNMP agent read through a
 * profile (sources/snmp_profile.h) with net/snmp_client, asynchronously on
 * the collector's loop (source_ops.step), so that a hundred agents need no
 * thread each and a silent one stalls no other.
 *
 * A sample: on the first (and until one is found) the profile is chosen:
 * the one named, or among all profiles found the first (by name) one of
 * whose detect objects holds (one GET of sysObjectID.0 and every detect
 * OID), a `fallback` profile only when no other holds;
 * then the profile's legacy subtrees are walked once and the first that has
 * anything is named.  Every sample: one GET of the scalars (in chunks of
 * 32), one GETBULK walk per table column.  The whole sample ends within the
 * collector's sample timeout; a try waits `timeout` and is repeated
 * `retries` times.
 *
 * Values: gauges times scale; counters (Counter32, Counter64) times scale
 * as counters; enums as their number; strings as NAME_info{value="..."} 1;
 * ms strings in seconds; a table's rows labelled by the index or the key
 * column.  An object the agent does not have is no value (and said once in
 * the log) unless it is optional.  The profile named "meinberg" also gets
 * what StatusA/StatusB mean for each refclock (snmp_profile_mbg_refclock()):
 * sundial_snmp_meinberg_refclock_satellites_good, _satellites_in_view,
 * _correlation_ratio and _field_strength_ratio.  Every sample also gives
 * sundial_snmp_info{profile, legacy} 1.
 *
 * Profiles by name are files NAME.profile in the directories of
 * $SUNDIAL_PROFILES (colon-separated), or else /etc/sundial/profiles, then
 * SUNDIAL_PROFILE_DIR (the installed ones, share/sundial/profiles): the
 * first found wins, so a file in /etc replaces a shipped profile.  A name
 * with a '/' is a path. */
#ifndef SUNDIAL_SOURCES_SNMP_H
#define SUNDIAL_SOURCES_SNMP_H

#include <stdbool.h>
#include <stddef.h>

#include "net/snmp_client.h"
#include "sources/snmp_profile.h"
#include "sources/source.h"

extern const struct source_ops snmp_source;

#define SNMP_SOURCE_LABEL_MAX 128 /* octets of a label value taken from the agent */

/* Loads the profile named (a name or a path) into *out, or with name NULL
 * every profile of the search path into a new array *out of *n (sorted by
 * name; a name found twice: the first directory wins).  0, or a negative
 * errno with err set (no such profile: -ENOENT, saying where it looked). */
int snmp_source_profiles(const char *name, struct snmp_profile **out, size_t *n, char *err,
			 size_t errlen) __attribute__((warn_unused_result));
void snmp_source_profiles_free(struct snmp_profile *v, size_t n);

/* The search path as text ("/etc/sundial/profiles:/usr/share/..."). */
const char *snmp_source_profile_path(char *buf, size_t len);

/* The value of object o from what the agent sent: true with *out set
 * (scale applied, an ms string in seconds, a counter as it is, an enum's
 * number; NAN for an ms string of "n/a"), false with *why set when the
 * value does not fit the object's type.  Strings give true and 1. */
bool snmp_source_value(const struct snmp_profile_object *o, const struct snmp_client_value *v,
		       double *out, const char **why) __attribute__((warn_unused_result));

/* A label value from len octets an agent sent: printable ASCII kept, other
 * octets as '?', cut at SNMP_SOURCE_LABEL_MAX octets; "" stays "". */
void snmp_source_label(const char *s, size_t len, char *buf, size_t buflen);

/* For `sundial snmp`: the profile chosen (NULL until detected) and the
 * legacy MIB found ("" for none), of a source opened with snmp_source. */
const struct snmp_profile *snmp_source_chosen(const void *st);
const char *snmp_source_legacy(const void *st);

#endif
