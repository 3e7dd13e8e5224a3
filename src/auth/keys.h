/* keys.h - symmetric NTP keys from ntpd/NTPsec `ntp.keys` and chrony
 * `chrony.keys` files.
 *
 * ntp.keys:    KEYID TYPE KEY       TYPE: M|MD5, SHA1, SHA256, AES128CMAC, AES-128, ...
 *                                   KEY: printable ASCII (<= 20 chars) or hex (> 20 chars)
 * chrony.keys: KEYID [TYPE] KEY     TYPE: MD5 (default), SHA1, SHA256, AES128, AES256
 *                                   KEY: ASCII, ASCII:text or HEX:hexdigits
 * '#' starts a comment; blank lines are ignored.
 *
 * Secrets are wiped when the ring is freed and never appear in messages.
 */
#ifndef SUNDIAL_AUTH_KEYS_H
#define SUNDIAL_AUTH_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEY_MAX_SECRET 64

enum key_alg {
	KEY_ALG_MD5,
	KEY_ALG_SHA1,
	KEY_ALG_SHA256,
	KEY_ALG_AES128_CMAC,
	KEY_ALG_AES256_CMAC,
};

struct key {
	uint32_t id;
	enum key_alg alg;
	size_t len; /* secret length in octets */
	uint8_t secret[KEY_MAX_SECRET];
};

enum keyfile_format {
	KEYFILE_AUTO,	/* decide from the file's contents (see keyring_parse) */
	KEYFILE_NTP,	/* ntpd / NTPsec ntp.keys */
	KEYFILE_CHRONY, /* chrony.keys */
};

typedef struct keyring keyring;

/* An empty ring.  Never NULL. */
keyring *keyring_new(void);

/* Frees the ring and wipes its secrets; accepts NULL. */
void keyring_free(keyring *kr);

/* Parses key-file text (len bytes, need not be NUL-terminated) into kr.
 * name is used in messages ("ntp.keys").  With KEYFILE_AUTO, a file using a
 * chrony-only form (HEX:/ASCII: prefixes, a line without a type, AES128 or
 * AES256) is read as chrony.keys, otherwise as ntp.keys ("1 MD5" counts as an
 * ntp.keys line missing its key, not as a line without a type).
 * Returns 0, or -EINVAL with "name:line: what was expected" in err (which
 * never contains key material).  On error kr keeps the keys before the bad
 * line. */
int keyring_parse(keyring *kr, const char *text, size_t len, const char *name,
		  enum keyfile_format fmt, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Reads and parses a key file.  Returns 0 or a negative errno, with a message
 * in err.  Sets *world_readable if others than the owner and group can read
 * the file (the caller warns). */
int keyring_load(keyring *kr, const char *path, enum keyfile_format fmt, bool *world_readable,
		 char *err, size_t errlen) __attribute__((warn_unused_result));

/* The key with this id, or NULL.  Borrowed from the ring. */
const struct key *keyring_find(const keyring *kr, uint32_t id);

/* Number of keys in the ring. */
size_t keyring_count(const keyring *kr);

/* "MD5", "SHA1", "SHA256", "AES128-CMAC", "AES256-CMAC". */
const char *key_alg_name(enum key_alg alg);

#endif
