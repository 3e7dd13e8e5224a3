/* test_select.c - quickselect against a sorted reference: random values,
 * many duplicates, all equal, sorted and reversed input, successive ranks
 * searched above the previous one (as the reports do), and the nearest-rank
 * index. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/select.h"

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static uint64_t state = 88172645463325252ULL;

static uint64_t next(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

/* Fills v by kind, selects ranks k[0..nk) in ascending order (each above the
 * previous) and checks them and the partition property. */
static void check(size_t n, int kind)
{
	int64_t *v = malloc(n * sizeof v[0]), *ref = malloc(n * sizeof ref[0]);
	for (size_t i = 0; i < n; i++) {
		switch (kind) {
		case 0: v[i] = (int64_t)(next() >> 1) - INT64_MAX / 2; break; /* any */
		case 1: v[i] = (int64_t)(next() % 7); break;		      /* duplicates */
		case 2: v[i] = 42; break;				      /* all equal */
		case 3: v[i] = (int64_t)i; break;			      /* sorted */
		default: v[i] = (int64_t)(n - i); break;		      /* reversed */
		}
	}
	memcpy(ref, v, n * sizeof v[0]);
	qsort(ref, n, sizeof ref[0], cmp);
	static const double fr[] = { 0.0, 0.5, 0.9, 0.99, 0.999, 1.0 };
	uint64_t rng = 1;
	size_t lo = 0;
	for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++) {
		size_t k = select_rank(fr[i], n);
		assert_true(k >= lo && k < n);
		select_i64(v, lo, n, k, &rng);
		assert_true(v[k] == ref[k]);
		for (size_t j = lo; j < k; j++)
			assert_true(v[j] <= v[k]);
		for (size_t j = k + 1; j < n; j++)
			assert_true(v[j] >= v[k]);
		lo = k;
	}
	/* Nothing lost or made up. */
	qsort(v, n, sizeof v[0], cmp);
	assert_memory_equal(v, ref, n * sizeof v[0]);
	free(v);
	free(ref);
}

static void against_sort(void **st)
{
	(void)st;
	static const size_t sizes[] = { 1, 2, 3, 10, 511, 512, 1000, 100000 };
	for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
		for (int kind = 0; kind < 5; kind++)
			check(sizes[s], kind);
}

static void ranks(void **st)
{
	(void)st;
	assert_int_equal(select_rank(0.5, 1), 0);
	assert_int_equal(select_rank(0.5, 2), 0); /* rank 1 of 2 */
	assert_int_equal(select_rank(0.5, 3), 1); /* rank 2 of 3 */
	assert_int_equal(select_rank(0.99, 1000), 989);
	assert_int_equal(select_rank(0.999, 1000), 998);
	assert_int_equal(select_rank(1.0, 1000), 999);
	assert_int_equal(select_rank(0.0, 1000), 0);
	/* A zero state is made nonzero rather than stuck. */
	int64_t v[] = { 3, 1, 2 };
	uint64_t rng = 0;
	select_i64(v, 0, 3, 1, &rng);
	assert_true(v[1] == 2 && rng != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(against_sort),
		cmocka_unit_test(ranks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
