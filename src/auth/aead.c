/* aead.c - the AEADs of NTS through OpenSSL 3's libcrypto; see aead.h.
 *
 * AES-SIV (RFC 5297): V = S2V(K1, AD1, ..., ADn, P), C = AES-CTR(K2, V', P)
 * with V' = V with bits 63 and 31 cleared; the output is V || C.  The key
 * is K1 || K2 (32, 48, 64 octets for AES-SIV-CMAC-256/384/512, RFC 5297
 * section 6 and RFC 8915 section 5.1), which is also how OpenSSL's
 * "AES-128-SIV", "AES-192-SIV" and "AES-256-SIV" split it.  With OpenSSL
 * each EVP_EncryptUpdate(ctx, NULL, ...) adds one associated data component
 * to S2V, in call order; the tag is read and set with EVP_CTRL_AEAD_*_TAG.
 *
 * NTS (RFC 8915 section 5.6) uses the RFC 5116 interface of AES-SIV: the
 * packet up to the authenticator is the associated data A, and the nonce N
 * goes in as the last component after it (RFC 5297 section 6).  So do chrony (nettle's
 * siv_cmac_aes128_encrypt_message(), whose S2V takes adata then nonce) and NTPsec (libaes_siv's
 * AES_SIV_Encrypt(): AES_SIV_AssociateData(ad) then
 * AES_SIV_AssociateData(nonce)); tests/unit/test_aead.c pins the order.
 *
 * OpenSSL 3.0's SIV cannot encrypt an empty plaintext (its final step
 * fails unless some plaintext went through the cipher), and an NTS request
 * encrypts nothing: its ciphertext is the 16-octet tag alone.  For that
 * case S2V is computed here with OpenSSL's CMAC (RFC 5297 section 2.4:
 * T = dbl(D) xor pad(""), V = CMAC(K1, T)); there is no C.
 *
 * This is the only file of the module that includes OpenSSL's headers; its
 * errors become -EIO here.  GCM-SIV (RFC 8452) is not implemented:
 * OpenSSL 3.0 has no "AES-128-GCM-SIV" (3.2 added it).
 */
#include "auth/aead.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/mem.h"
#include "wire/nts.h"

#define BLOCK 16

static const uint8_t no_bytes[1];

static const uint8_t *nonnull(const uint8_t *p)
{
	return p ? p : no_bytes;
}

/* OpenSSL's names for the SIV cipher and, for S2V, the CMAC cipher of K1. */
static const char *siv_name(size_t key_len)
{
	switch (key_len) {
	case 32: return "AES-128-SIV";
	case 48: return "AES-192-SIV";
	case 64: return "AES-256-SIV";
	default: return NULL;
	}
}

static const char *cmac_name(size_t key_len)
{
	switch (key_len) {
	case 32: return "AES-128-CBC";
	case 48: return "AES-192-CBC";
	case 64: return "AES-256-CBC";
	default: return NULL;
	}
}

size_t aead_key_len(uint16_t id)
{
	switch (id) {
	case NTS_AEAD_AES_SIV_CMAC_256: return 32;
	case NTS_AEAD_AES_SIV_CMAC_384: return 48;
	case NTS_AEAD_AES_SIV_CMAC_512: return 64;
	case NTS_AEAD_AES_128_GCM_SIV: return 16;
	case NTS_AEAD_AES_256_GCM_SIV: return 32;
	default: return 0;
	}
}

static bool is_siv(uint16_t id)
{
	return id == NTS_AEAD_AES_SIV_CMAC_256 || id == NTS_AEAD_AES_SIV_CMAC_384 ||
	       id == NTS_AEAD_AES_SIV_CMAC_512;
}

bool aead_available(uint16_t id)
{
	if (!is_siv(id))
		return false; /* GCM-SIV: not implemented (aead.h) */
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, siv_name(aead_key_len(id)), NULL);
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	bool ok = c && mac;
	EVP_CIPHER_free(c);
	EVP_MAC_free(mac);
	return ok;
}

/* Multiplication by x in GF(2^128), RFC 5297 section 2.3, without a branch
 * on the secret bit. */
static void dbl(uint8_t b[BLOCK])
{
	unsigned carry = b[0] >> 7;
	for (size_t i = 0; i < BLOCK - 1; i++)
		b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
	b[BLOCK - 1] = (uint8_t)(b[BLOCK - 1] << 1 ^ (0x87u & (0u - carry)));
}

static int cmac_block(EVP_MAC_CTX *ctx, const uint8_t *k1, size_t k1_len, const OSSL_PARAM *params,
		      const uint8_t *p, size_t n, uint8_t out[BLOCK])
{
	size_t olen = 0;
	if (EVP_MAC_init(ctx, k1, k1_len, params) != 1 || EVP_MAC_update(ctx, nonnull(p), n) != 1 ||
	    EVP_MAC_final(ctx, out, &olen, BLOCK) != 1 || olen != BLOCK)
		return -EIO;
	return 0;
}

/* V = S2V(K1, ad[0], ..., ad[n_ad - 1], "") (RFC 5297 section 2.4). */
static int s2v_empty(const uint8_t *key, size_t key_len, const struct aead_ad *ad, size_t n_ad,
		     uint8_t v[BLOCK])
{
	static const uint8_t zero[BLOCK];
	uint8_t d[BLOCK], s[BLOCK];
	size_t k1_len = key_len / 2;
	int rc = -EIO;
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (!mac) {
		rc = -ENOTSUP;
		goto out;
	}
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	OSSL_PARAM params[2];
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
						     (char *)(uintptr_t)cmac_name(key_len), 0);
	params[1] = OSSL_PARAM_construct_end();

	if (cmac_block(ctx, key, k1_len, params, zero, BLOCK, d) != 0)
		goto out;
	for (size_t i = 0; i < n_ad; i++) {
		dbl(d);
		if (cmac_block(ctx, key, k1_len, params, ad[i].p, ad[i].len, s) != 0)
			goto out;
		for (size_t j = 0; j < BLOCK; j++)
			d[j] ^= s[j];
	}
	/* The plaintext is shorter than a block: T = dbl(D) xor pad(""). */
	dbl(d);
	d[0] ^= 0x80;
	if (cmac_block(ctx, key, k1_len, params, d, BLOCK, v) != 0)
		goto out;
	rc = 0;
out:
	mem_wipe(d, sizeof d);
	mem_wipe(s, sizeof s);
	EVP_MAC_CTX_free(ctx); /* cleans the context, which held K1 */
	EVP_MAC_free(mac);
	return rc;
}

/* OpenSSL's SIV over a non-empty text: encrypt in (pt) to out (C) and give
 * the tag, or decrypt in (C) to out (pt) checking tag.  OpenSSL verifies
 * the tag inside the decrypting update (ossl_siv128_decrypt() compares in
 * constant time and cleans its output on a mismatch), so a failure there
 * is -EBADMSG. */
static int siv_openssl(int enc, const uint8_t *key, size_t key_len, const struct aead_ad *ad,
		       size_t n_ad, const uint8_t *in, size_t in_len, uint8_t *out,
		       uint8_t tag[BLOCK])
{
	int rc = -EIO, n = 0, fin = 0;
	EVP_CIPHER_CTX *ctx = NULL;
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, siv_name(key_len), NULL);
	if (!c) {
		rc = -ENOTSUP;
		goto out;
	}
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_CipherInit_ex2(ctx, c, key, NULL, enc, NULL) != 1 ||
	    EVP_CIPHER_CTX_get_key_length(ctx) != (int)key_len)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, BLOCK, tag) != 1)
		goto out;
	for (size_t i = 0; i < n_ad; i++)
		if (EVP_CipherUpdate(ctx, NULL, &n, nonnull(ad[i].p), (int)ad[i].len) != 1)
			goto out;
	if (EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (n != (int)in_len)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &fin) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (fin != 0)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, BLOCK, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx); /* cleans the context, which held the key */
	EVP_CIPHER_free(c);
	return rc;
}

static int check_vector(const uint8_t *key, size_t key_len, const struct aead_ad *ad, size_t n_ad)
{
	if (!key || !siv_name(key_len) || (!ad && n_ad) || n_ad > AEAD_SIV_MAX_AD)
		return -EINVAL;
	for (size_t i = 0; i < n_ad; i++)
		if ((!ad[i].p && ad[i].len) || ad[i].len > AEAD_MAX_TEXT)
			return -EINVAL;
	return 0;
}

int aead_siv_encrypt(const uint8_t *key, size_t key_len, const struct aead_ad *ad, size_t n_ad,
		     const uint8_t *pt, size_t pt_len, uint8_t *out)
{
	int rc = check_vector(key, key_len, ad, n_ad);
	if (rc != 0)
		return rc;
	if (!out || (!pt && pt_len) || pt_len > AEAD_MAX_TEXT)
		return -EINVAL;
	if (pt_len == 0)
		return s2v_empty(key, key_len, ad, n_ad, out);
	uint8_t tag[BLOCK];
	rc = siv_openssl(1, key, key_len, ad, n_ad, pt, pt_len, out + BLOCK, tag);
	if (rc == 0)
		memcpy(out, tag, BLOCK);
	else
		mem_wipe(out, BLOCK + pt_len);
	mem_wipe(tag, sizeof tag);
	return rc;
}

int aead_siv_decrypt(const uint8_t *key, size_t key_len, const struct aead_ad *ad, size_t n_ad,
		     const uint8_t *in, size_t in_len, uint8_t *pt)
{
	int rc = check_vector(key, key_len, ad, n_ad);
	if (rc != 0)
		return rc;
	if (!in || (!pt && in_len > BLOCK) || in_len > AEAD_MAX_TEXT + BLOCK)
		return -EINVAL;
	if (in_len < BLOCK)
		return -EBADMSG;
	size_t n = in_len - BLOCK;
	uint8_t tag[BLOCK];
	if (n == 0) {
		rc = s2v_empty(key, key_len, ad, n_ad, tag);
		if (rc == 0 && CRYPTO_memcmp(tag, in, BLOCK) != 0)
			rc = -EBADMSG;
	} else {
		memcpy(tag, in, BLOCK);
		rc = siv_openssl(0, key, key_len, ad, n_ad, in + BLOCK, n, pt, tag);
		if (rc != 0)
			mem_wipe(pt, n);
	}
	mem_wipe(tag, sizeof tag);
	return rc;
}

/* The id's algorithm is ours to run with this key length: 0, or why not. */
static int check_id(uint16_t id, size_t key_len)
{
	if (is_siv(id))
		return key_len == aead_key_len(id) ? 0 : -EINVAL;
	if (id == NTS_AEAD_AES_128_GCM_SIV || id == NTS_AEAD_AES_256_GCM_SIV)
		return -ENOTSUP;
	return -EINVAL;
}

int aead_encrypt(uint16_t id, const uint8_t *key, size_t key_len, const uint8_t *nonce,
		 size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *pt,
		 size_t pt_len, uint8_t *ct, size_t *ct_len)
{
	int rc = check_id(id, key_len);
	if (rc != 0)
		return rc;
	if (!nonce || nonce_len == 0 || !ct_len)
		return -EINVAL;
	const struct aead_ad v[2] = { { ad, ad_len }, { nonce, nonce_len } };
	rc = aead_siv_encrypt(key, key_len, v, 2, pt, pt_len, ct);
	if (rc == 0)
		*ct_len = pt_len + AEAD_TAG_LEN;
	return rc;
}

int aead_decrypt(uint16_t id, const uint8_t *key, size_t key_len, const uint8_t *nonce,
		 size_t nonce_len, const uint8_t *ad, size_t ad_len, const uint8_t *ct,
		 size_t ct_len, uint8_t *pt, size_t *pt_len)
{
	int rc = check_id(id, key_len);
	if (rc != 0)
		return rc;
	if (!nonce || nonce_len == 0 || !pt_len)
		return -EINVAL;
	const struct aead_ad v[2] = { { ad, ad_len }, { nonce, nonce_len } };
	rc = aead_siv_decrypt(key, key_len, v, 2, ct, ct_len, pt);
	if (rc == 0)
		*pt_len = ct_len - AEAD_TAG_LEN;
	return rc;
}
