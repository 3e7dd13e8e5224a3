/* hll.c - HyperLogLog distinct counting; see hll.h.
 *
 * Registers: the top p bits of a 64-bit hash pick one of m = 2^p registers;
 * the register keeps the largest rank seen, the rank being the position of
 * the first 1 bit in the remaining q = 64 - p bits (1 .. q, or q + 1 when
 * they are all zero).  With a 64-bit hash no large-range correction is
 * needed (Heule, Nunkesser, Hall 2013, section 5.1).
 *
 * Estimate: Ertl's improved estimator ("New cardinality estimation
 * algorithms for HyperLogLog sketches", 2017, algorithm 6).  It works on the
 * histogram of register values, includes the small-range (linear counting)
 * behaviour of Heule et al. smoothly, and needs none of HLL++'s empirical
 * bias tables: its relative error is close to 1.04 / sqrt(m) over the whole
 * range, from a handful of items to 2^64.
 *
 * The hash is in the spirit of wyhash (Wang Yi): 64x64 -> 128-bit multiplies
 * folded with xor, which mixes every input bit into every output bit.  It is
 * fixed for sketches and tests, so that they are reproducible;
 * hll_hash_words() is keyed with a random seed, which enters before the first
 * multiply, for hash tables that face addresses from the network.
 */
#include "analysis/hll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

#define HLL_P_MIN 4
#define HLL_P_MAX 18

struct hll {
	unsigned p;
	size_t m;
	uint8_t reg[]; /* m registers, 0 .. 65 - p */
};

hll *hll_new(unsigned p)
{
	if (p < HLL_P_MIN || p > HLL_P_MAX)
		return NULL;
	size_t m = (size_t)1 << p;
	hll *h = mem_calloc(1, sizeof *h + m);
	h->p = p;
	h->m = m;
	return h;
}

void hll_free(hll *h)
{
	free(h);
}

void hll_add(hll *h, uint64_t hash)
{
	size_t idx = (size_t)(hash >> (64 - h->p));
	uint64_t rest = hash << h->p;
	/* rest == 0: all q bits zero, rank q + 1. */
	uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1) : (uint8_t)(64 - h->p + 1);
	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}

/* Ertl's sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for the empty registers. */
static double ertl_sigma(double x)
{
	if (x == 1.0)
		return INFINITY;
	double y = 1.0, z = x, prev;
	do {
		x *= x;
		prev = z;
		z += x * y;
		y += y;
	} while (z != prev);
	return z;
}

/* Ertl's tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, for the
 * registers that saturated at q + 1. */
static double ertl_tau(double x)
{
	if (x == 0.0 || x == 1.0)
		return 0.0;
	double y = 1.0, z = 1.0 - x, prev;
	do {
		x = sqrt(x);
		prev = z;
		y *= 0.5;
		z -= (1.0 - x) * (1.0 - x) * y;
	} while (z != prev);
	return z / 3.0;
}

double hll_count(const hll *h)
{
	unsigned q = 64 - h->p;
	uint64_t c[66] = { 0 }; /* histogram of register values 0 .. q + 1 */
	for (size_t i = 0; i < h->m; i++)
		c[h->reg[i]]++;
	double m = (double)h->m;
	if (c[0] == h->m)
		return 0.0;
	double z = m * ertl_tau(1.0 - (double)c[q + 1] / m);
	for (unsigned k = q; k >= 1; k--)
		z = 0.5 * (z + (double)c[k]);
	z += m * ertl_sigma((double)c[0] / m);
	return m * m / (2.0 * log(2.0) * z);
}

void hll_clear(hll *h)
{
	memset(h->reg, 0, h->m);
}

void hll_merge(hll *dst, const hll *src)
{
	if (dst->p != src->p)
		return;
	for (size_t i = 0; i < dst->m; i++)
		if (src->reg[i] > dst->reg[i])
			dst->reg[i] = src->reg[i];
}

double hll_error(unsigned p)
{
	return 1.04 / sqrt((double)((size_t)1 << p));
}

size_t hll_bytes(unsigned p)
{
	return sizeof(struct hll) + ((size_t)1 << p);
}

/* The hash.  Reads are little-endian and unaligned through memcpy. */

#define K0 0xa0761d6478bd642fULL
#define K1 0xe7037ed1a0b428dbULL
#define K2 0x8ebc6af09c88c6e3ULL
#define K3 0x589965cc75374cc3ULL

static inline uint64_t fold_mul(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline uint64_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

uint64_t hll_hash(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t seed = K0 ^ fold_mul((uint64_t)n ^ K1, K2);
	uint64_t a, b;
	if (n <= 16) {
		if (n >= 4) {
			/* Two overlapping 4-byte reads from each end. */
			size_t mid = (n >> 3) << 2;
			a = load32(p) << 32 | load32(p + mid);
			b = load32(p + n - 4) << 32 | load32(p + n - 4 - mid);
		} else if (n > 0) {
			a = (uint64_t)p[0] << 16 | (uint64_t)p[n >> 1] << 8 | p[n - 1];
			b = 0;
		} else {
			a = b = 0;
		}
	} else {
		size_t left = n;
		while (left > 16) {
			seed = fold_mul(load64(p) ^ K1, load64(p + 8) ^ seed);
			p += 16;
			left -= 16;
		}
		/* The last 16 bytes, overlapping the previous block if short. */
		a = load64(p + left - 16);
		b = load64(p + left - 8);
	}
	a ^= K1;
	b ^= seed;
	__uint128_t r = (__uint128_t)a * b;
	a = (uint64_t)r;
	b = (uint64_t)(r >> 64);
	return fold_mul(a ^ K0 ^ (uint64_t)n, b ^ K3);
}

uint64_t hll_hash_words(uint64_t key, const uint64_t *w, size_t n)
{
	uint64_t h = K0 ^ key ^ fold_mul((uint64_t)n ^ K1, K2);
	size_t i = 0;
	for (; i + 2 <= n; i += 2)
		h = fold_mul(w[i] ^ K1, w[i + 1] ^ h);
	if (i < n)
		h = fold_mul(w[i] ^ K1, K3 ^ h);
	return fold_mul(h ^ K0, (h >> 32 | h << 32) ^ K3);
}
