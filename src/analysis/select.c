/* select.c - quickselect; see select.h.
 *
 * Each round partitions around the median of three random elements in two
 * branch-free passes: values below the pivot, then values equal to it, so
 * that runs of equal values (deltas from microsecond captures, clients that
 * sent the same number of requests) end it at once instead of degrading. */
#include "analysis/select.h"

#include <math.h>
#include <stdbool.h>

static inline uint64_t xorshift(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Moves the values below p (or at most p) to the front of v[lo .. hi);
 * returns where they end. */
static size_t partition_below(int64_t *v, size_t lo, size_t hi, int64_t p, bool or_equal)
{
	size_t j = lo;
	for (size_t i = lo; i < hi; i++) {
		int64_t x = v[i];
		v[i] = v[j];
		v[j] = x;
		j += or_equal ? x <= p : x < p;
	}
	return j;
}

void select_i64(int64_t *v, size_t lo, size_t hi, size_t k, uint64_t *rng)
{
	if (*rng == 0)
		*rng = 0x9e3779b97f4a7c15ULL;
	while (hi - lo > 1) {
		size_t span = hi - lo;
		int64_t a = v[lo + xorshift(rng) % span], b = v[lo + xorshift(rng) % span],
			c = v[lo + xorshift(rng) % span];
		int64_t p = a < b ? (b < c ? b : a < c ? c : a) : (a < c ? a : b < c ? c : b);
		size_t lt = partition_below(v, lo, hi, p, false); /* [lo, lt) < p */
		if (k < lt) {
			hi = lt;
			continue;
		}
		size_t le = partition_below(v, lt, hi, p, true); /* [lt, le) == p */
		if (k < le)
			return;
		lo = le;
	}
}

size_t select_rank(double p, size_t n)
{
	double r = ceil(p * (double)n);
	if (r < 1)
		r = 1;
	if (r > (double)n)
		r = (double)n;
	return (size_t)r - 1;
}
