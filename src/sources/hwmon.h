/* hwmon.h - temperatures the kernel reports, for the collector's `hwmon`
 * source: a Raspberry Pi's SoC temperature moves its crystal, and with it the
 * clock a time server keeps.
 *
 * Read from ROOT/class/hwmon/hwmonN/ (name, tempK_input in millidegrees,
 * tempK_label) and ROOT/class/thermal/thermal_zoneN/ (type, temp); ROOT is
 * "/sys" on a real system, a folder of the same shape in tests.  Plain file
 * reads of a few octets: fast enough for the event loop. */
#ifndef SUNDIAL_SOURCES_HWMON_H
#define SUNDIAL_SOURCES_HWMON_H

#include <stddef.h>

#include "sources/source.h"

struct hwmon_reading {
	char chip[64];	 /* hwmon: its name ("cpu_thermal", "coretemp"); thermal: "thermal" */
	char sensor[64]; /* hwmon: the label, else "tempK"; thermal: the zone's type, else
			  * "zoneN"; a repeated chip and sensor gets "#2", "#3", ... */
	double celsius;
};

/* Fills out[0 .. *n) (at most max), sorted by chip then sensor.  Sensors
 * whose file cannot be read or does not hold a decimal number of
 * millidegrees within -273150 .. 1000000 are left out and counted in
 * *skipped.  Returns 0, -ENOENT if ROOT has neither folder, -ENAMETOOLONG
 * for a ROOT too long for a path. */
int hwmon_read(const char *root, struct hwmon_reading *out, size_t max, size_t *n, size_t *skipped);

/* The collector's `hwmon` source (target: the sysfs root, "/sys"): read on
 * the loop, at most 64 temperatures. */
extern const struct source_ops hwmon_source;

#endif
