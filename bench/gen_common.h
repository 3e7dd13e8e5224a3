/* gen_common.h - what the capture generators of bench/ share: a seeded
 * random generator, a bijection to spread numbers over addresses, and the
 * test whether an IPv4 address is public unicast.  Included by one .c file
 * each (static functions). */
#ifndef SUNDIAL_BENCH_GEN_COMMON_H
#define SUNDIAL_BENCH_GEN_COMMON_H

#include <stdbool.h>
#include <stdint.h>

static uint64_t rng_state;

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double rnd01(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* lowbias32 (Chris Wellons): a bijection of the 32-bit integers. */
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* Public unicast: not 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12,
 * 192.0.2/24, 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 224/3. */
static bool public4(uint32_t a)
{
	uint32_t o = a >> 24;
	return o != 0 && o != 10 && o != 127 && o < 224 && (a & 0xffc00000) != 0x64400000 &&
	       (a & 0xffff0000) != 0xa9fe0000 && (a & 0xfff00000) != 0xac100000 &&
	       (a & 0xffffff00) != 0xc0000200 && (a & 0xffff0000) != 0xc0a80000 &&
	       (a & 0xfffe0000) != 0xc6120000 && (a & 0xffffff00) != 0xc6336400 &&
	       (a & 0xffffff00) != 0xcb007100;
}

#endif
