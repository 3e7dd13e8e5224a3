/* gpsd.h - a GPS receiver's health from gpsd, through libgps (the only file
 * that includes <gps.h>), for the collector's `gpsd` source: fix mode,
 * satellites seen and used, the signal of the used ones, dilutions of
 * precision, and the PPS offset where gpsd reports it.
 *
 * A connection is kept between samples and made again when gpsd went away
 * (gpsd restarted: the next sample reconnects).  A sample reads for at most
 * its timeout (connecting is not bounded by it: see gpsd_sample()); it is
 * called from the source's own thread.  Not thread-safe per connection. */
#ifndef SUNDIAL_SOURCES_GPSD_H
#define SUNDIAL_SOURCES_GPSD_H

#include <stdbool.h>
#include <stddef.h>

#include "sources/source.h"

typedef struct gpsd_conn gpsd_conn;

/* status: gpsd 3.22 leaves 0 and 1 out of TPV; 1 is given for a 2D or 3D
 * mode.  The signal of the used ones leaves out those at 0 (not tracked). */
struct gpsd_reading {
	int mode;	      /* 0 unknown, 1 no fix, 2 2D, 3 3D (TPV) */
	int status;	      /* TPV status: 0 none/unknown, 1 GPS, 2 DGPS, ... (-1 no TPV) */
	int sats_seen;	      /* SKY: satellites in view (-1 unknown) */
	int sats_used;	      /* SKY: satellites used in the fix (-1 unknown) */
	double snr_mean_used; /* mean signal (dB-Hz) of the used ones, NAN unknown */
	double snr_min_used;  /* weakest used one, NAN unknown */
	double hdop, vdop, pdop, tdop, gdop; /* NAN unknown */
	double pps_offset;		     /* seconds (PPS message: clock - real), NAN if none */
	char device[128];		     /* the receiver's path as gpsd names it, "" if none */
};

/* A connection to gpsd at host and port ("2947"); nothing is opened yet.
 * Both are copied; NULL means "localhost" and "2947". */
gpsd_conn *gpsd_new(const char *host, const char *port);
void gpsd_free(gpsd_conn *g); /* accepts NULL; closes */

/* Connects if needed (again at once if gpsd closed the kept connection),
 * asks for JSON reports (WATCH, turned off again before returning) and reads
 * until both a TPV and a SKY report have come (and a PPS, where this gpsd has
 * sent PPS reports before: up to 1.2 s more for it), or timeout seconds have
 * passed.  Only reports after gpsd's answer to this WATCH count.  Returns 0
 * with *out filled (what did not come is unknown), -ETIMEDOUT if neither
 * came (the connection is kept), -ECONNREFUSED / -EIO if gpsd cannot be
 * reached or went away (the connection is dropped and made again next time);
 * *out is filled with unknowns on every error; err says it for people (may be
 * NULL).  The timeout bounds the reading: libgps resolves the name and
 * connects blocking, so a host that drops packets can hold a sample for the
 * system's TCP connect timeout (use gpsd on this host or the LAN). */
int gpsd_sample(gpsd_conn *g, double timeout, struct gpsd_reading *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* The collector's `gpsd` source (target HOST:PORT, default port 2947): a
 * connection kept between samples, gpsd_sample() at each. */
extern const struct source_ops gpsd_source;

#endif
