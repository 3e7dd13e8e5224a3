/* series.c - series names; see series.h. */
#include "collect/series.h"

#include <errno.h>
#include <string.h>

int collect_series_name(enum collect_kind kind, const char *target, const char *family,
			const char *const *extra, struct collect_series *out)
{
	memset(out, 0, sizeof *out);
	if (!family || !family[0] || !target || !target[0])
		return -EINVAL;
	out->label_names[0] = "source";
	out->label_values[0] = collect_kind_name(kind);
	out->label_names[1] = "target";
	out->label_values[1] = target;
	size_t n = 2;
	size_t used = strlen(family);
	if (used >= sizeof out->rrd_metric)
		return -ENAMETOOLONG;
	memcpy(out->rrd_metric, family, used + 1);
	for (size_t i = 0; extra && extra[i]; i += 2) {
		if (n == METRICS_MAX_LABELS || !extra[i + 1]) {
			memset(out, 0, sizeof *out);
			return extra[i + 1] ? -E2BIG : -EINVAL;
		}
		size_t len = strlen(extra[i + 1]);
		if (used + 1 + len >= sizeof out->rrd_metric) {
			memset(out, 0, sizeof *out);
			return -ENAMETOOLONG;
		}
		out->rrd_metric[used] = '@';
		memcpy(out->rrd_metric + used + 1, extra[i + 1], len + 1);
		used += 1 + len;
		out->label_names[n] = extra[i];
		out->label_values[n] = extra[i + 1];
		n++;
	}
	out->n_labels = n;
	return 0;
}
