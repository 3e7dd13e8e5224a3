/* test_hll.c - HyperLogLog: accuracy against the standard error at small,
 * middle and large cardinalities, merging, and the hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/hll.h"

#define P 14

static uint64_t key_hash(uint64_t i, uint64_t salt)
{
	uint8_t k[16];
	uint64_t a = i, b = salt;
	memcpy(k, &a, 8);
	memcpy(k + 8, &b, 8);
	return hll_hash(k, sizeof k);
}

/* Adds n distinct keys (each twice: duplicates must not count) and checks
 * the estimate against 3 standard errors. */
static void check_n(uint64_t n, uint64_t salt)
{
	hll *h = hll_new(P);
	assert_non_null(h);
	for (uint64_t i = 0; i < n; i++)
		hll_add(h, key_hash(i, salt));
	for (uint64_t i = 0; i < n; i += 2)
		hll_add(h, key_hash(i, salt));
	double est = hll_count(h);
	double tol = 3.0 * hll_error(P) * (double)n;
	printf("# n=%llu estimate=%.1f error=%+.3f%% (3 sigma %.2f%%)\n", (unsigned long long)n,
	       est, 100.0 * (est - (double)n) / (double)n, 300.0 * hll_error(P));
	assert_true(fabs(est - (double)n) <= tol + 0.5);
	hll_free(h);
}

static void bad_precision(void **state)
{
	(void)state;
	assert_null(hll_new(3));
	assert_null(hll_new(19));
	hll *a = hll_new(4), *b = hll_new(18);
	assert_non_null(a);
	assert_non_null(b);
	hll_free(a);
	hll_free(b);
	hll_free(NULL);
	assert_true(hll_bytes(P) >= 16384);
	assert_true(fabs(hll_error(P) - 0.008125) < 1e-9);
}

static void empty_is_zero(void **state)
{
	(void)state;
	hll *h = hll_new(P);
	assert_true(hll_count(h) == 0.0);
	hll_add(h, hll_hash("x", 1));
	assert_true(fabs(hll_count(h) - 1.0) < 0.01);
	hll_clear(h);
	assert_true(hll_count(h) == 0.0);
	hll_free(h);
}

static void small_counts(void **state)
{
	(void)state;
	for (uint64_t n = 1; n <= 200; n += 7) {
		hll *h = hll_new(P);
		for (uint64_t i = 0; i < n; i++)
			hll_add(h, key_hash(i, 99));
		double tol = 3.0 * hll_error(P) * (double)n + 0.5;
		assert_true(fabs(hll_count(h) - (double)n) <= tol);
		hll_free(h);
	}
}

static void thousand(void **state)
{
	(void)state;
	check_n(1000, 1);
}

static void hundred_thousand(void **state)
{
	(void)state;
	check_n(100000, 2);
}

static void million(void **state)
{
	(void)state;
	check_n(1000000, 3);
}

/* 2.5 to 5 times the register count: where the raw HyperLogLog estimate is
 * biased and HLL++ needs its tables. */
static void middle_range(void **state)
{
	(void)state;
	check_n(20000, 4);
	check_n(40000, 5);
	check_n(60000, 6);
	check_n(80000, 7);
}

static void merge_is_union(void **state)
{
	(void)state;
	hll *a = hll_new(P), *b = hll_new(P), *all = hll_new(P);
	for (uint64_t i = 0; i < 600000; i++) {
		hll_add(a, key_hash(i, 8));
		hll_add(all, key_hash(i, 8));
	}
	for (uint64_t i = 400000; i < 1000000; i++) {
		hll_add(b, key_hash(i, 8));
		hll_add(all, key_hash(i, 8));
	}
	hll_merge(a, b);
	/* Registers are maxima: the merge is the sketch of the union. */
	assert_true(hll_count(a) == hll_count(all));
	double est = hll_count(a);
	assert_true(fabs(est - 1e6) <= 3.0 * hll_error(P) * 1e6);
	/* Merging a sketch of another precision changes nothing. */
	hll *other = hll_new(10);
	hll_add(other, key_hash(12345678, 8));
	hll_merge(a, other);
	assert_true(hll_count(a) == est);
	hll_free(a);
	hll_free(b);
	hll_free(all);
	hll_free(other);
}

static int popcount64(uint64_t v)
{
	return __builtin_popcountll(v);
}

static void hash_mixes(void **state)
{
	(void)state;
	uint8_t buf[64];
	memset(buf, 0, sizeof buf);
	/* Every length gives its own value, also for all-zero input. */
	uint64_t seen[65];
	for (size_t n = 0; n <= 64; n++) {
		seen[n] = hll_hash(buf, n);
		for (size_t m = 0; m < n; m++)
			assert_true(seen[m] != seen[n]);
	}
	assert_true(hll_hash("abc", 3) == hll_hash("abc", 3));
	/* Avalanche: flipping one input bit flips about half the output bits,
	 * for address-sized (4, 16) and flow-sized (45) keys. */
	const size_t lens[] = { 4, 8, 16, 45 };
	uint64_t x = 0x0123456789abcdefULL;
	for (size_t li = 0; li < 4; li++) {
		size_t n = lens[li];
		double total = 0;
		size_t trials = 0;
		for (size_t r = 0; r < 200; r++) {
			for (size_t i = 0; i < n; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				buf[i] = (uint8_t)x;
			}
			uint64_t h0 = hll_hash(buf, n);
			for (size_t bit = 0; bit < n * 8; bit++) {
				buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				total += popcount64(h0 ^ hll_hash(buf, n));
				buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
				trials++;
			}
		}
		double mean = total / (double)trials;
		printf("# length %zu: %.2f output bits flip per input bit\n", n, mean);
		assert_true(mean > 31.0 && mean < 33.0);
	}
}

/* hll_hash_words(): the same words and seed give the same hash; another
 * seed, another word count or any one input bit flipped changes about half
 * of the output bits (so a seed an attacker does not know scatters keys). */
static void word_hash(void **state)
{
	(void)state;
	uint64_t w[6] = { 0x0123456789abcdefULL, 42, 0, 0, 0xc0000201ULL, 0 };
	uint64_t h0 = hll_hash_words(7, w, 6);
	assert_true(h0 == hll_hash_words(7, w, 6));
	assert_true(h0 != hll_hash_words(8, w, 6));
	assert_true(h0 != hll_hash_words(7, w, 5));
	uint64_t total = 0, flips = 0;
	for (size_t i = 0; i < 6; i++)
		for (unsigned b = 0; b < 64; b++) {
			w[i] ^= 1ULL << b;
			total += (uint64_t)popcount64(h0 ^ hll_hash_words(7, w, 6));
			flips++;
			w[i] ^= 1ULL << b;
		}
	double mean = (double)total / (double)flips;
	printf("# word hash: %.2f of 64 bits change per input bit\n", mean);
	assert_true(mean > 28 && mean < 36);
	/* Seeds: the hashes of one key under 1000 seeds are all different. */
	uint64_t seen[1000];
	for (uint64_t s = 0; s < 1000; s++) {
		seen[s] = hll_hash_words(s * 0x9e3779b97f4a7c15ULL, w, 6);
		for (uint64_t j = 0; j < s; j++)
			assert_true(seen[j] != seen[s]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_precision),    cmocka_unit_test(empty_is_zero),
		cmocka_unit_test(small_counts),	    cmocka_unit_test(thousand),
		cmocka_unit_test(hundred_thousand), cmocka_unit_test(million),
		cmocka_unit_test(middle_range),	    cmocka_unit_test(merge_is_union),
		cmocka_unit_test(hash_mixes),	    cmocka_unit_test(word_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
