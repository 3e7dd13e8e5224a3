/* fuzz_atlas.c - libFuzzer harness for the RIPE Atlas NTP results reader
 * (analysis/atlas).
 *
 * The input is one file's text.  Besides not crashing: atlas_feed() returns
 * 0 or -EINVAL, and -EINVAL only with a rejection that says why; every
 * rejection has a line within the input and a reason; the report has no
 * more rows than results, its counts add up (replies + timeouts + errors =
 * packets), and its percentiles are ordered.
 *
 * Seed corpus: tests/fuzz/corpus/atlas/.  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/atlas.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_dist(const struct atlas_dist *d)
{
	if (d->n)
		check(d->min <= d->p50 && d->p50 <= d->p95 && d->p95 <= d->max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	atlas *a = atlas_new();
	int rc = atlas_feed(a, "fuzz.json", (const char *)data, size);
	check(rc == 0 || rc == -EINVAL);
	const struct atlas_file *f = atlas_file_get(a, 0);
	check(f != NULL);
	check(rc == 0 || f->rejected > 0);
	check(atlas_bad_total(a) == f->rejected);
	for (size_t i = 0; i < atlas_bad_count(a); i++) {
		const struct atlas_bad *b = atlas_bad_get(a, i);
		check(b->line >= 1 && b->line <= lines && b->why[0] != '\0');
	}
	struct atlas_report *r = atlas_report_new(a, 5);
	check(r->nprobes <= f->results);
	unsigned long results = 0;
	for (size_t i = 0; i < r->nprobes; i++) {
		const struct atlas_probe *p = &r->probes[i];
		check(p->af == 4 || p->af == 6);
		check(p->replies + p->timeouts + p->errors == p->packets);
		check(p->rtt.n == p->replies && p->offset.n == p->replies);
		check(p->outliers <= p->replies);
		check_dist(&p->rtt);
		check_dist(&p->offset);
		results += p->results;
	}
	check(results == r->all.results && r->all.probes == r->nprobes);
	check(r->v4.probes + r->v6.probes == r->all.probes);
	check_dist(&r->all.rtt);
	check_dist(&r->all.offset);
	atlas_report_free(r);
	atlas_free(a);
	return 0;
}
