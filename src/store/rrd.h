/* rrd.h - the collector's history: one RRD file per metric series, through
 * librrd (the only file that includes <rrd.h>).
 *
 * File: DATADIR/<source>/<instance>/<metric>.rrd (each part made safe for a
 * file name: [A-Za-z0-9._-] kept, anything else %XX-escaped as UTF-8 bytes;
 * "." and ".." escaped too; an empty part is refused).  One data source
 * "value": GAUGE (no minimum: gauges may be negative) or DERIVE with
 * minimum 0 (counters: a reset reads as unknown, not as a huge negative
 * rate; librrd takes whole numbers only, so a counter is rounded to one);
 * heartbeat 2 * step.  Archives, each with AVERAGE, MIN and MAX (so spikes
 * survive consolidation), xff 0.5:
 *   1 step for 2 days, 5 minutes for 14 days, 30 minutes for 62 days,
 *   1 day for 1826 days (5 years).
 * Steps per row = resolution / step rounded, at least 1 (a step longer than
 * an archive's resolution uses 1 row per step); rows = span / (steps per
 * row * step) rounded up; an archive no coarser than the one before it is
 * merged into it, keeping the longer span (step 300: 1 step for 14 days).
 * Created on the first sample.  A file whose definition differs (step, type)
 * from what is asked for is kept: renamed to <metric>.<UTC YYYYMMDDTHHMMSSZ>.rrd
 * (the time of the change; "-N" added if taken), and a new one started, so
 * that nothing is lost.
 *
 * Writes go through rrdcached when an address is given ("unix:/path" or
 * "host:port").  The files are still created, inspected and renamed here,
 * in DATADIR: a daemon on a Unix socket is given absolute paths, one on
 * host:port paths relative to DATADIR, which must then be its -b folder.
 * The connection is librrd's, one per process: stores in one process should
 * name the same daemon.  A store is used by one thread at a time. */
#ifndef SUNDIAL_STORE_RRD_H
#define SUNDIAL_STORE_RRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rrd_store rrd_store;

/* datadir is created if missing (mode 0750, with its parents).  daemon:
 * rrdcached address or NULL (borrowed for the call).  NULL with a message
 * in err if datadir cannot be made or written, or the daemon not reached. */
rrd_store *rrd_store_open(const char *datadir, const char *daemon, char *err, size_t errlen);
/* Accepts NULL.  With a daemon, flushes every series this store wrote (a
 * failure is logged) and disconnects. */
void rrd_store_close(rrd_store *st);

struct rrd_series_def {
	const char *source;   /* e.g. "chronyd" */
	const char *instance; /* e.g. "127.0.0.1" */
	const char *metric;   /* e.g. "sundial_ntp_offset_seconds" */
	bool counter;	      /* DERIVE, else GAUGE */
	unsigned step;	      /* seconds, 1 .. 86400 */
};

/* The file of a series (made safe as above) into buf; false if it does not
 * fit or a part is empty or NULL. */
bool rrd_store_path(const rrd_store *st, const struct rrd_series_def *d, char *buf, size_t len);

/* One part of a path (a source, instance or metric name) made safe for a
 * file name as above, into buf: for finding the files without a store
 * (store/graph.c).  false if part is empty or NULL or it does not fit. */
bool rrd_store_escape(const char *part, char *buf, size_t len);

/* Writes one sample v (NaN: unknown) at time t, seconds since the epoch,
 * taken in whole seconds (t rounded down: the last update librrd and
 * rrdcached report is whole seconds).  librrd needs it later than the
 * file's last update: an older or equal t is skipped and counted, not an
 * error.  Creates the file (and its folders, mode 0750) on first use, or
 * starts a new one if the definition changed.  A steady series costs one
 * update: its last time and definition are remembered after the first.
 * 0, or a negative errno with a message in err (librrd's text included):
 * -EINVAL for a bad definition or time, -EIO for librrd's failures. */
int rrd_store_update(rrd_store *st, const struct rrd_series_def *d, double t, double v, char *err,
		     size_t errlen) __attribute__((warn_unused_result));

/* Values of a series over [start, end] (seconds since the epoch) from the
 * archive of consolidation function cf ("AVERAGE", "MIN", "MAX") that
 * librrd picks for that span: points start + step * i, i < n (each the
 * consolidated value of the step ending there), NAN where unknown.  Asks
 * rrdcached to write the file first when it is used.  0, -ENOENT (no such
 * series), -EINVAL (bad cf or span), or -EIO with librrd's text in err. */
struct rrd_points {
	double start, step;
	size_t n;
	double *v; /* n values, malloc'd: rrd_points_free() */
};
int rrd_store_fetch(rrd_store *st, const struct rrd_series_def *d, const char *cf, double start,
		    double end, struct rrd_points *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void rrd_points_free(struct rrd_points *p); /* the values; accepts zeroed */

/* Samples skipped because their time was not after the file's last one. */
uint64_t rrd_store_skipped(const rrd_store *st);

/* A graph drawn by librrd into memory (no store needed: works on any
 * files, for `sundial graph` without the daemon).  Each line's file is
 * drawn as its AVERAGE, with the band from MIN to MAX around it in a
 * lighter shade of the same colour where they differ (a counter: the
 * per-second rates); scale multiplies every value; the legend has each
 * line's label with its last, average, minimum and maximum over the span,
 * then the legend sentence as a comment.  Times in seconds since the epoch.
 * With daemon (an rrdcached address, or NULL) the files are flushed first.
 * 0 and *img (malloc'd, *len bytes: an SVG document or a PNG), or
 * -EINVAL (no lines, bad span or size), -ENOENT (a file is missing), -EIO
 * with librrd's text in err. */
struct rrd_graph_line {
	const char *path, *label;
};
struct rrd_graph_req {
	const char *title, *unit, *legend;
	const struct rrd_graph_line *lines;
	size_t n_lines;
	double scale;
	double start, end;
	unsigned width, height; /* of the plot area, pixels: 100..4000, 50..2000 */
	bool png;		/* else SVG */
	const char *daemon;
};
int rrd_store_graph(const struct rrd_graph_req *g, unsigned char **img, size_t *len, char *err,
		    size_t errlen) __attribute__((warn_unused_result));

#endif
