/* hll.h - HyperLogLog distinct counting (Flajolet et al. 2007; 64-bit hash
 * as in Heule et al. 2013; Ertl's 2017 estimator, which covers the small
 * range without bias tables), for --approx. */
#ifndef SUNDIAL_ANALYSIS_HLL_H
#define SUNDIAL_ANALYSIS_HLL_H

#include <stddef.h>
#include <stdint.h>

typedef struct hll hll;

/* 2^p registers, 4 <= p <= 18; standard error about 1.04 / sqrt(2^p).
 * NULL for p out of range. */
hll *hll_new(unsigned p);
void hll_free(hll *h); /* accepts NULL */
void hll_add(hll *h, uint64_t hash);
double hll_count(const hll *h);
void hll_clear(hll *h);
/* Merges src into dst (same p; a different p leaves dst alone). */
void hll_merge(hll *dst, const hll *src);
double hll_error(unsigned p);
size_t hll_bytes(unsigned p);

/* A 64-bit hash of n bytes (for addresses); the same in every run, so that
 * sketches and test results are reproducible. */
uint64_t hll_hash(const void *p, size_t n);
/* A hash of the same family over n 64-bit words keyed by seed, for hash
 * tables that face addresses from the network: with a random seed nobody can
 * aim many keys at one slot.  Keys are assembled from fields as words, which
 * avoids the store-forwarding stalls of hashing bytes just written
 * piecemeal. */
uint64_t hll_hash_words(uint64_t seed, const uint64_t *w, size_t n);

#endif
