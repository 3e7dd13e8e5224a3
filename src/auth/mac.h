/* mac.h - NTP message authentication codes through OpenSSL.
 *
 * RFC 5905 digests: MAC = digest(key || packet) for MD5 (16 octets), SHA1
 * (20) and SHA256 (truncated to 20 octets in NTPv4, as chrony and NTPsec do).
 * RFC 8573: MAC = AES-CMAC(key, packet), 16 octets, for AES-128 and AES-256.
 * The trailer on the wire is the 32-bit key id followed by the MAC.
 * Only this module includes OpenSSL's headers.
 */
#ifndef SUNDIAL_AUTH_MAC_H
#define SUNDIAL_AUTH_MAC_H

#include <stddef.h>
#include <stdint.h>

#include "auth/keys.h"
#include "wire/ntp.h"

/* Octets of the MAC (without the key id) that key's algorithm puts in an
 * NTPv4 packet. */
size_t mac_len(enum key_alg alg);

/* Computes the MAC of data[0, len) with key into out (at least 20 octets
 * when KEY_MAX_SECRET allows), setting *outlen.  Returns 0 or -EINVAL (bad
 * key length for the cipher) or -EIO (OpenSSL failed). */
int mac_compute(const struct key *key, const uint8_t *data, size_t len, uint8_t *out,
		size_t *outlen) __attribute__((warn_unused_result));

/* Appends key id + MAC of buf[0, *used) at buf + *used; *used grows.
 * Returns 0, -ENOSPC, or an error of mac_compute. */
int mac_append(const struct key *key, uint8_t *buf, size_t cap, size_t *used)
	__attribute__((warn_unused_result));

enum mac_verdict {
	MAC_VALID = 0,
	MAC_MISSING,	 /* the reply carries no MAC */
	MAC_CRYPTO_NAK,	 /* the server could not authenticate the request */
	MAC_WRONG_KEYID, /* the reply is signed with another key id */
	MAC_BAD,	 /* the MAC does not match */
	MAC_ERROR,	 /* could not compute (OpenSSL failure) */
};

/* Checks the trailer of a decoded packet (pkt holds the bytes that
 * ntp_pkt_decode() read into *p) against key, in constant time. */
enum mac_verdict mac_verify(const struct key *key, const uint8_t *pkt, size_t pkt_len,
			    const struct ntp_pkt *p);

/* A phrase for a verdict: "MAC verified", "no MAC in reply", ... */
const char *mac_verdict_str(enum mac_verdict v);

/* The refid an NTP server puts in its packets for an IPv6 upstream: the
 * first four octets of MD5(address) (RFC 5905 section 7.3). Returns 0 or -EIO. */
int mac_refid_ipv6(const uint8_t addr[16], uint8_t refid[4]) __attribute__((warn_unused_result));

#endif
