/* select.h - the k-th smallest of an array without sorting it (quickselect),
 * for nearest-rank percentiles in the reports. */
#ifndef SUNDIAL_ANALYSIS_SELECT_H
#define SUNDIAL_ANALYSIS_SELECT_H

#include <stddef.h>
#include <stdint.h>

/* Moves the k-th smallest (0-based) of v[lo .. hi) to v[k], with nothing
 * larger before it and nothing smaller after it, so that a later rank above
 * k only needs v[k .. hi).  lo <= k < hi.  rng: a nonzero xorshift state for
 * the pivots (random, so that no order of the values makes it quadratic).
 * Expected cost about two passes over v[lo .. hi). */
void select_i64(int64_t *v, size_t lo, size_t hi, size_t k, uint64_t *rng);

/* The 0-based index of the nearest-rank p-quantile of n values (n >= 1):
 * the smallest rank with at least a fraction p of them at or below it. */
size_t select_rank(double p, size_t n);

#endif
