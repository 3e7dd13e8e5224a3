/* series.h - how the collector names a series: the Prometheus family's
 * labels and the metric part of its RRD file.
 *
 * Every series of a source carries the labels source (the directive:
 * "chronyd") and target (as configured: "/run/chrony/chronyd.sock"), then
 * the extra labels its values need ("upstream", "device", "chip" and
 * "sensor", "window").  Its RRD file is
 * DATADIR/<source>/<target>/<family>[@<extra value>...].rrd (store/rrd
 * escapes each part for the file system, '@' included), so a series keeps
 * its file as long as its family and label values stay the same: an
 * upstream or a sensor that goes away and comes back continues its
 * history. */
#ifndef SUNDIAL_COLLECT_SERIES_H
#define SUNDIAL_COLLECT_SERIES_H

#include <stddef.h>

#include "collect/config.h"
#include "store/metrics.h"

#define SERIES_METRIC_MAX 256

struct collect_series {
	/* NULL-terminated; borrowed from the arguments of collect_series_name() */
	const char *label_names[METRICS_MAX_LABELS + 1];
	const char *label_values[METRICS_MAX_LABELS + 1];
	size_t n_labels;
	char rrd_metric[SERIES_METRIC_MAX]; /* family, then "@value" per extra label */
};

/* Names the series of family for a source of kind at target, with extra
 * labels given as a NULL-terminated list of name, value pairs (NULL: none).
 * 0, or -E2BIG (more than METRICS_MAX_LABELS - 2 extra labels),
 * -ENAMETOOLONG (the RRD metric would not fit: never truncated, so two
 * series cannot share a file), -EINVAL (family or target empty or NULL, a
 * label name without a value); *out is zeroed on error. */
int collect_series_name(enum collect_kind kind, const char *target, const char *family,
			const char *const *extra, struct collect_series *out)
	__attribute__((warn_unused_result));

#endif
