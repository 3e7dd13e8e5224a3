/* fuzz_ntpstats.c - libFuzzer harness for the statistics-file reader
 * (analysis/ntpstats).
 *
 * The first octet picks the kind (auto or forced), the second where the
 * rest is cut in two for ntpstats_feed(), so that lines split across calls
 * are exercised.  Besides not crashing: every line is counted once (records
 * + skipped + malformed = lines = newlines, plus one for a last line
 * without one); rejected lines have a number within the file and a reason;
 * every point is finite and each series is in time order; the summary of
 * every series is ordered (min <= p1 <= ... <= max) with sd >= 0.
 *
 * Seed corpus: tests/fuzz/corpus/ntpstats/.  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/ntpstats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	enum ntpstats_kind k = (enum ntpstats_kind)(data[0] % NTPSTATS_KIND_COUNT);
	const char *text = (const char *)data + 2;
	size_t len = size - 2, cut = len ? data[1] % (len + 1) : 0;
	unsigned long lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (len && text[len - 1] != '\n')
		lines++;

	ntpstats *s = ntpstats_new();
	ntpstats_file_begin(s, "fuzz", k);
	check(ntpstats_feed(s, text, cut) == 0);
	check(ntpstats_feed(s, text + cut, len - cut) == 0);
	ntpstats_finish(s);
	const struct ntpstats_file *f = ntpstats_file_get(s, 0);
	check(f->lines == lines);
	check(f->records + f->skipped + f->malformed == lines);
	check(k == NTPSTATS_AUTO || f->kind == k);
	for (size_t i = 0; i < ntpstats_bad_count(s); i++) {
		const struct ntpstats_bad *b = ntpstats_bad_get(s, i);
		check(b->line >= 1 && b->line <= lines && b->why[0] != '\0');
	}
	for (size_t i = 0; i < ntpstats_series_count(s); i++) {
		const struct ntpstats_series *se = ntpstats_series_get(s, i);
		for (size_t j = 0; j < se->n; j++) {
			check(isfinite(se->t[j]) && isfinite(se->v[j]));
			check(j == 0 || se->t[j - 1] <= se->t[j]);
		}
		struct ntpstats_summary m;
		ntpstats_summarize(se->v, se->n, &m);
		check(m.n == se->n);
		if (m.n) {
			check(m.min <= m.p1 && m.p1 <= m.p5 && m.p5 <= m.p50 && m.p50 <= m.p95);
			check(m.p95 <= m.p99 && m.p99 <= m.max);
			check(!(m.sd < 0));
		}
	}
	ntpstats_free(s);
	return 0;
}
