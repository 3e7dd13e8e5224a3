/* aead.h - the AEAD algorithms of NTS (RFC 8915 section 5.1) through
 * OpenSSL's libcrypto: AES-SIV-CMAC-256/384/512 (RFC 5297, one associated
 * data item then the nonce as the last one, as NTS uses it: chrony through
 * nettle's siv_cmac_aes128_encrypt_message(), NTPsec through libaes_siv's
 * AES_SIV_Encrypt(), which both run S2V over the associated data first and
 * the nonce second).  AES-128-GCM-SIV / AES-256-GCM-SIV (RFC 8452) are not
 * implemented: OpenSSL 3.0 has no GCM-SIV (3.2 added it), so
 * aead_available() is false for them and they give -ENOTSUP.
 * Keys are never copied outside OpenSSL's contexts, which wipe them when
 * freed. */
#ifndef SUNDIAL_AUTH_AEAD_H
#define SUNDIAL_AUTH_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AEAD_MAX_KEY 64
#define AEAD_TAG_LEN 16
#define AEAD_NONCE_LEN 16	 /* what sundial sends */
#define AEAD_MAX_TEXT (1u << 30) /* plaintext and associated data items, octets */

/* Whether this OpenSSL offers the algorithm and this module implements it
 * (wire/nts.h ids): the ciphers are fetched, not assumed. */
bool aead_available(uint16_t id);
/* Key length in octets (32, 48, 64 for SIV-CMAC; 16, 32 for GCM-SIV), 0 if
 * unknown. */
size_t aead_key_len(uint16_t id);

/* Encrypts pt (pt_len) with key, nonce and associated data ad into ct,
 * which must have room for pt_len + AEAD_TAG_LEN octets and not overlap pt:
 * *ct_len = pt_len + AEAD_TAG_LEN (SIV: the tag V first, RFC 5297 section
 * 2.6).  pt may be empty (an NTS request encrypts nothing), ad too; the
 * nonce may not (nonce_len >= 1).  0, -EINVAL (bad lengths, a NULL
 * pointer, an unknown id), -ENOTSUP (not offered), -EIO (OpenSSL failed). */
int aead_encrypt(uint16_t id, const uint8_t *key, size_t key_len, const uint8_t *nonce,
		 size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *pt,
		 size_t pt_len, uint8_t *ct, size_t *ct_len) __attribute__((warn_unused_result));

/* Decrypts and verifies: 0 with pt (*pt_len = ct_len - AEAD_TAG_LEN
 * octets; pt must have room for them and not overlap ct), or -EBADMSG
 * (does not verify, or ct_len < AEAD_TAG_LEN; pt is then zeroed), -EINVAL,
 * -ENOTSUP, -EIO.  The tag is compared in constant time. */
int aead_decrypt(uint16_t id, const uint8_t *key, size_t key_len, const uint8_t *nonce,
		 size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *ct,
		 size_t ct_len, uint8_t *pt, size_t *pt_len) __attribute__((warn_unused_result));

/* --- AES-SIV with any vector of associated data (RFC 5297) --- */

/* One component of the associated data vector (p may be NULL if len 0). */
struct aead_ad {
	const uint8_t *p;
	size_t len;
};
#define AEAD_SIV_MAX_AD 8 /* components; NTS uses two */

/* AES-SIV (RFC 5297 section 2.6) with key (32, 48 or 64 octets: K1 for
 * CMAC, then K2 for CTR) and the components ad[0..n_ad) in order, a nonce
 * being simply the last: out = V (16 octets) || C (pt_len), out has room
 * for pt_len + AEAD_TAG_LEN and does not overlap pt.  aead_encrypt() of a
 * SIV id is this with { ad, nonce }.  For RFC 5297's own known answers.
 * 0, -EINVAL, -EIO. */
int aead_siv_encrypt(const uint8_t *key, size_t key_len, const struct aead_ad *ad, size_t n_ad,
		     const uint8_t *pt, size_t pt_len, uint8_t *out)
	__attribute__((warn_unused_result));

/* The inverse: in = V || C (in_len >= AEAD_TAG_LEN), pt gets in_len - 16
 * octets.  0, -EBADMSG (pt zeroed), -EINVAL, -EIO. */
int aead_siv_decrypt(const uint8_t *key, size_t key_len, const struct aead_ad *ad, size_t n_ad,
		     const uint8_t *in, size_t in_len, uint8_t *pt)
	__attribute__((warn_unused_result));

#endif
