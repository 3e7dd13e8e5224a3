/* graph.h - what the collector's graphs show, and finding their RRD files.
 *
 * The catalogue says, per source kind ("chronyd", "ntpd", "server", "gpsd",
 * "capture", "hwmon", "exec", "snmp", "adsb"), which graphs a source page has: their id,
 * title, unit, the metric families drawn and a line of explanation for the
 * legend.  graph_lines() finds the RRD files of a graph under
 * DATADIR/<source>/<target>/ (store/rrd.h's layout: one file per series,
 * "<metric>.rrd" or "<metric>@<label value>[@...].rrd", each part
 * %XX-escaped; dated files "<metric>.<YYYYMMDDTHHMMSSZ>.rrd" kept after a
 * definition change are not current and are skipped).  Drawing is
 * rrd_store_graph() in store/rrd.h (librrd).  No librrd here. */
#ifndef SUNDIAL_STORE_GRAPH_H
#define SUNDIAL_STORE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#define GRAPH_MAX_METRICS 4
#define GRAPH_MAX_LINES 16

struct graph_spec {
	const char *id;	    /* "offset": [a-z0-9_] only, for file and URL names */
	const char *title;  /* "Offset of the local clock" */
	const char *unit;   /* vertical label: "seconds", "%", "°C", "satellites" */
	const char *legend; /* one sentence under the graph: what it shows */
	const char *metrics[GRAPH_MAX_METRICS]; /* families drawn, NULL-terminated */
	double scale;				/* values are multiplied by it (100: ratio to %) */
	bool counter; /* the files are DERIVE: drawn as per-second rates */
};

/* The graphs of a source kind, in page order; NULL and *n = 0 for an
 * unknown kind.  exec sources get one graph per value they print, which
 * the catalogue cannot know: graph_exec_spec() makes it. */
const struct graph_spec *graph_catalogue(const char *source_kind, size_t *n);

/* For exec: a spec for metric "sundial_exec_<name>" in *out, whose strings
 * point into buf (bufsize >= 256).  false if metric does not start with
 * "sundial_exec_". */
bool graph_exec_spec(const char *metric, struct graph_spec *out, char *buf, size_t bufsize);

enum graph_span { GRAPH_DAY, GRAPH_WEEK, GRAPH_MONTH, GRAPH_YEAR };
#define GRAPH_N_SPANS 4
const char *graph_span_name(enum graph_span s); /* "day", "week", "month", "year" */
double graph_span_seconds(enum graph_span s);	/* 86400, 7 d, 31 d, 366 d */
/* "day" .. "year" -> span; false for anything else. */
bool graph_span_parse(const char *s, enum graph_span *out);

/* One line of a graph: a file and what the legend calls it. */
struct graph_line {
	char path[1024];
	char label[128]; /* the label values after '@', unescaped, joined by " "
			    ("192.0.2.1", "coretemp temp1"); the metric's short
			    name when it has none ("seen", "used": the family name's last
			    word before the unit, see graph.c) */
};

/* Finds the current files of spec's metrics under DATADIR/<source>/<target>
 * (source and target as given, escaped here like store/rrd does), sorted
 * by metric order then label; at most max.  The count found (may exceed
 * max: only max written), 0 if none; -ENOENT if the folder does not
 * exist, -EIO on a read error. */
int graph_lines(const char *datadir, const char *source, const char *target,
		const struct graph_spec *spec, struct graph_line *out, size_t max);

/* The sources with data under datadir: calls fn(arg, source, target) for
 * each DATADIR/<source>/<target> folder (names unescaped), sorted.  0, or
 * -ENOENT / -EIO. */
int graph_each_source(const char *datadir,
		      void (*fn)(void *arg, const char *source, const char *target), void *arg);

#endif
