/* fuzz_dnssec_time.c - libFuzzer harness for the moments and durations of
 * `sundial dnssec` (analysis/dnssec: dnssec_parse_time, dnssec_parse_duration).
 *
 * The input, up to its first NUL octet, is parsed as a time (relative to a
 * fixed now) and as a duration.  Besides not crashing: a refusal is -EINVAL
 * with a message of printable ASCII (or the input's own octets) that leaves
 * the output alone; an accepted time lies in 1970-9999 and, formatted with
 * dnssec_format_time(), parses back to itself; an accepted duration lies in
 * 0 .. 100 years.
 *
 * Seed corpus: tests/fuzz/corpus/dnssec_time/.  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/dnssec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const int64_t now = 1767225600; /* 2026-01-01T00:00:00Z */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	char err[512] = "";
	int64_t t = -7;
	int rc = dnssec_parse_time(s, now, &t, err, sizeof err);
	if (rc == 0) {
		check(t >= 0 && t <= 253402300799LL);
		char buf[64];
		int64_t back = -1;
		dnssec_format_time(t, buf, sizeof buf);
		check(dnssec_parse_time(buf, now, &back, err, sizeof err) == 0 && back == t);
	} else {
		check(rc == -EINVAL);
		check(t == -7);
		check(err[0] != '\0');
	}
	int64_t d = -7;
	rc = dnssec_parse_duration(s, &d);
	if (rc == 0)
		check(d >= 0 && d <= 100LL * 366 * 86400);
	else
		check(rc == -EINVAL && d == -7);
	free(s);
	return 0;
}
