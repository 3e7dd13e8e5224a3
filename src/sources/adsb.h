/* adsb.h - the collector's `adsb` source: an ADS-B receiver as dump1090
 * (mutability's, FlightAware's dump1090-fa) and readsb describe it in their
 * JSON files, read from their folder (--write-json, e.g. /run/dump1090-fa)
 * or over HTTP(S) (e.g. http://127.0.0.1:8080/data, the files under it).
 *
 * This module reads JSON with jansson (linked into the core library for
 * input parsing; the only JSON library of sundial) and fetches URLs with
 * libcurl (the only HTTP client of sundial).  Nothing of either is in this
 * header.
 *
 * The files and the fields used (the three flavours name them alike; others
 * are ignored):
 *
 *   aircraft.json  now (s since the epoch), messages (Mode S messages
 *                  decoded since the start: a counter), aircraft[]: per
 *                  aircraft seen (s since its last message), lat, lon
 *                  (degrees) and seen_pos (s since that position; seen
 *                  where missing).  Required.
 *   receiver.json  lat, lon: the receiver's position, which dump1090 has
 *                  only when it was told it.  Optional: without it (or
 *                  without the file) there is no range.
 *   stats.json     last1min.local (else total.local): signal, noise,
 *                  peak_signal (dBFS), strong_signals (above -3 dBFS) and
 *                  accepted[] (messages accepted, by bits corrected);
 *                  total.local.strong_signals.  Optional.
 *
 * Recent: an aircraft counts when seen < ADSB_RECENT s, its position when it
 * has lat and lon and seen_pos < ADSB_RECENT s (as graphs1090 counts them).
 * The range is the great-circle distance (adsb_distance()) from the
 * receiver to the farthest recent position.
 *
 * Rules for input (anything else is refused, never guessed at): a file is
 * one JSON object of at most ADSB_MAX_FILE octets, valid UTF-8, without
 * duplicate keys or numbers beyond a double or a 64-bit integer; the fields
 * above, when present, have their type and range: now a number; messages an
 * integer 0 .. 2^53; aircraft an array of objects; seen and seen_pos
 * numbers; lat -90 .. 90 and lon -180 .. 180; last1min, total and local
 * objects; signal, noise and peak_signal -200 .. 50; strong_signals an
 * integer 0 .. 2^53; accepted an array of such integers (at most 64).
 * null reads as missing; aircraft.json must have its aircraft array. */
#ifndef SUNDIAL_SOURCES_ADSB_H
#define SUNDIAL_SOURCES_ADSB_H

#include <stdbool.h>
#include <stddef.h>

#include "sources/source.h"

#define ADSB_MAX_FILE (8u << 20)    /* octets of one JSON file or HTTP body */
#define ADSB_RECENT 60.0	    /* s: aircraft and positions counted */
#define ADSB_STALE 120.0	    /* s: an aircraft.json older than this is a stopped receiver */
#define ADSB_EARTH_RADIUS 6371008.8 /* m: the mean radius (IUGG) */

enum adsb_status {
	ADSB_OK,
	ADSB_TRUNCATED,	 /* the JSON text ends early (a file cut short) */
	ADSB_BAD_JSON,	 /* not JSON: syntax, invalid UTF-8, a number too big, a
			  * duplicate key, nesting deeper than jansson's 2048 */
	ADSB_TOO_BIG,	 /* over ADSB_MAX_FILE octets */
	ADSB_WRONG_TYPE, /* JSON, but the top or a field used has the wrong type */
	ADSB_BAD_VALUE,	 /* a field used is out of its range */
	ADSB_MISSING,	 /* a field required is missing (aircraft.json's aircraft) */
};

/* For people: "the JSON text is cut short", ...; never NULL. */
const char *adsb_strerror(enum adsb_status s);

struct adsb_receiver {
	bool has_position;
	double lat, lon;       /* degrees, with has_position */
	const char *bad_field; /* with WRONG_TYPE or BAD_VALUE: the field (a literal) */
};

struct adsb_aircraft {
	double now;	       /* the file's time, s since the epoch; NAN: none */
	double messages;       /* the counter, an integer; NAN: none */
	size_t aircraft;       /* seen within ADSB_RECENT s */
	size_t with_position;  /* with a position within ADSB_RECENT s */
	double max_range;      /* m to the farthest of those; NAN: none or no receiver */
	const char *bad_field; /* with WRONG_TYPE or BAD_VALUE: the field (a literal) */
};

struct adsb_stats {
	double signal, noise, peak_signal; /* dBFS, last minute (else since the start); NAN: none */
	double strong_ratio;		   /* last minute: strong_signals / accepted messages */
	double strong_total;		   /* strong signals since the start; NAN: none */
	const char *bad_field;		   /* with WRONG_TYPE or BAD_VALUE: the field (a literal) */
};

/* Parse len octets of text (not NUL-terminated, any octets) into *out, which
 * is always written (NAN, 0, false where there is nothing).  Pure: no I/O,
 * no globals.  The values are for use only with ADSB_OK. */
enum adsb_status adsb_parse_receiver(const char *text, size_t len, struct adsb_receiver *out)
	__attribute__((warn_unused_result));
/* rx (may be NULL, borrowed for the call): the receiver, for the range. */
enum adsb_status adsb_parse_aircraft(const char *text, size_t len, const struct adsb_receiver *rx,
				     struct adsb_aircraft *out) __attribute__((warn_unused_result));
enum adsb_status adsb_parse_stats(const char *text, size_t len, struct adsb_stats *out)
	__attribute__((warn_unused_result));

/* The great-circle distance in meters between two points (degrees) on a
 * sphere of ADSB_EARTH_RADIUS (haversine; accurate to 0.5 % against the
 * ellipsoid, which is plenty for a receiver's range). */
double adsb_distance(double lat1, double lon1, double lat2, double lon2);

/* Whether target is one the source takes: an absolute folder path, or an
 * http:// or https:// URL with a host and without '?' or '#' (the file
 * names are appended after a '/'); printable ASCII only, at most 255
 * octets. */
bool adsb_target_ok(const char *target);

/* The collector's `adsb` source (target: the folder or URL).  Threaded: an
 * HTTP sample waits, up to the collector's timeout for the three files
 * together.  It fails when aircraft.json cannot be had, breaks the rules
 * above or is older than ADSB_STALE s (by its own "now"); receiver.json
 * and stats.json may be missing (404, no such file), but when there they
 * must keep the rules too.  Values: sundial_adsb_aircraft,
 * _aircraft_with_position, _messages_total (counter), _messages_per_second
 * (between this sample and the last, by the files' own "now"),
 * _max_range_meters, _signal_dbfs, _signal_peak_dbfs, _noise_dbfs,
 * _strong_signals_ratio, _strong_signals_total (counter). */
extern const struct source_ops adsb_source;

#endif
