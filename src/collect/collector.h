/* collector.h - the `sundial collect` daemon: samples every configured
 * source on its own schedule, puts each value into the metric registry,
 * writes it to its RRD file and serves /metrics over HTTP.
 *
 * Every source is a module under src/sources/ behind one interface
 * (sources/source.h: open, sample, publish, close; a descriptor to watch
 * for a live capture); the collector names, registers and stores what they
 * publish (collect/series.h).  One libevent loop owns the registry, the RRD
 * store and the HTTP server.  Sources that wait (the NTP query engine, mode
 * 6, chrony's command protocol, gpsd, exec) sample in a thread of their
 * own, one per source, with the source's timeout, and hand the result back
 * to the loop through a pipe; fast ones (hwmon, capture) sample on the
 * loop.  So a slow or dead source never delays another, and nothing blocks
 * the loop. */
#ifndef SUNDIAL_COLLECT_COLLECTOR_H
#define SUNDIAL_COLLECT_COLLECTOR_H

#include <stddef.h>

#include "collect/config.h"

typedef struct collector collector;

/* Opens the data folder, the HTTP listener and the sources of cfg (which
 * it copies nothing from: cfg must outlive the collector).  NULL with a
 * message in err. */
collector *collector_new(const struct collect_config *cfg, char *err, size_t errlen);

/* Runs until SIGINT or SIGTERM (0) or a fatal error (negative errno).
 * SIGHUP calls reload_fn(arg), which returns a new configuration (malloc'd;
 * the collector owns it from then on) or NULL to keep the running one (a
 * broken file: reload_fn logs why).  The new sources are started before the
 * old ones stop; if one cannot start, the old ones go on.  What only a
 * restart changes (datadir, listen, user, rrdcached) is kept and logged. */
int collector_run(collector *c, struct collect_config *(*reload_fn)(void *arg), void *arg);

void collector_free(collector *c); /* accepts NULL; joins the source threads */

#endif
