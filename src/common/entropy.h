/* entropy.h - unpredictable numbers for protocol fields that tell requests
 * apart (NTP transmit timestamps, sequence numbers, identifiers, cookies). */
#ifndef SUNDIAL_COMMON_ENTROPY_H
#define SUNDIAL_COMMON_ENTROPY_H

#include <stdint.h>

/* 64 bits from getrandom(2); should that fail (it does not for 8 octets on
 * a booted kernel), a mix of the monotonic clock and the process id, which
 * still tells requests apart.  Narrower fields take the low bits. */
uint64_t entropy_u64(void);

#endif
