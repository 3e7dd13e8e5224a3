/* mem.h - allocation and secret-handling helpers. */
#ifndef SUNDIAL_COMMON_MEM_H
#define SUNDIAL_COMMON_MEM_H

#include <stddef.h>

/* Allocators that never return NULL: they call fatal() on exhaustion.
 * For the command-line tools and the daemon's own bookkeeping only; never
 * sized by a length from the network without a bound checked first. */
void *mem_alloc(size_t n) __attribute__((malloc, returns_nonnull));
void *mem_calloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull));
void *mem_realloc(void *p, size_t n) __attribute__((returns_nonnull));
char *mem_strdup(const char *s) __attribute__((malloc, returns_nonnull));

/* Wipes n bytes so that the compiler cannot elide it (keys, passphrases). */
void mem_wipe(void *p, size_t n);

/* Copies src into dst of size dstsize, always NUL-terminated.  Returns
 * strlen(src); a result >= dstsize means it was truncated. */
size_t str_copy(char *dst, const char *src, size_t dstsize);

/* snprintf into buf of size len for an error message; buf may be NULL or
 * len 0 (then nothing is written). */
void str_format(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The value of the hex digit c (0-9, a-f, A-F), or -1. */
int str_hex_digit(int c);

#endif
