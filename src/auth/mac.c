/* mac.c - NTP message authentication codes through OpenSSL 3; see mac.h.
 *
 * RFC 5905 section 7.3 / Appendix A: MAC = digest(key || packet), the packet
 * being the header and any extension fields up to the key id.  MD5 gives 16
 * octets, SHA1 20; longer digests are cut to 20 octets in NTPv4 so that
 * extension fields parse deterministically (RFC 7822): chrony ntp_auth.c
 * generate_symmetric_auth() (max_auth_len = NTP_MAX_V4_MAC_LENGTH - 4 = 20),
 * NTPsec libntp/macencrypt.c (MAX_BARE_MAC_LENGTH 20).
 * RFC 8573: MAC = AES-CMAC(key, packet), 16 octets; chrony keys.c CMC_Hash(),
 * NTPsec cmac_encrypt() (EVP_MAC "CMAC" with cipher AES-128-CBC/AES-256-CBC).
 *
 * This is the only file that includes OpenSSL's headers; its errors become
 * -EIO / MAC_ERROR here.
 */
#include "auth/mac.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "common/mem.h"

#define MAC_MAX 20 /* NTPv4: digests are cut to 20 octets */

size_t mac_len(enum key_alg alg)
{
	switch (alg) {
	case KEY_ALG_MD5: return 16;
	case KEY_ALG_SHA1:
	case KEY_ALG_SHA256: return 20;
	case KEY_ALG_AES128_CMAC:
	case KEY_ALG_AES256_CMAC: return 16;
	}
	return 0;
}

static int digest_mac(const EVP_MD *md, const struct key *key, const uint8_t *data, size_t len,
		      uint8_t *out, size_t want)
{
	uint8_t full[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = -EIO;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !md)
		goto out;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx, key->secret, key->len) != 1 ||
	    (len && EVP_DigestUpdate(ctx, data, len) != 1) ||
	    EVP_DigestFinal_ex(ctx, full, &n) != 1)
		goto out;
	if ((size_t)n < want)
		goto out;
	memcpy(out, full, want);
	rc = 0;
out:
	mem_wipe(full, sizeof full);
	EVP_MD_CTX_free(ctx); /* cleans the context, which held the key */
	return rc;
}

static int cmac(const char *cipher, const struct key *key, const uint8_t *data, size_t len,
		uint8_t *out, size_t want)
{
	uint8_t full[EVP_MAX_BLOCK_LENGTH];
	size_t n = 0;
	int rc = -EIO;
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	if (!mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	OSSL_PARAM params[2];
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
						     (char *)(uintptr_t)cipher, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key->secret, key->len, params) != 1 ||
	    (len && EVP_MAC_update(ctx, data, len) != 1) ||
	    EVP_MAC_final(ctx, full, &n, sizeof full) != 1)
		goto out;
	if (n < want)
		goto out;
	memcpy(out, full, want);
	rc = 0;
out:
	mem_wipe(full, sizeof full);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

int mac_compute(const struct key *key, const uint8_t *data, size_t len, uint8_t *out,
		size_t *outlen)
{
	if (!key || !out || !outlen || (!data && len) || key->len > KEY_MAX_SECRET)
		return -EINVAL;
	size_t want = mac_len(key->alg);
	int rc;
	switch (key->alg) {
	case KEY_ALG_MD5: rc = digest_mac(EVP_md5(), key, data, len, out, want); break;
	case KEY_ALG_SHA1: rc = digest_mac(EVP_sha1(), key, data, len, out, want); break;
	case KEY_ALG_SHA256: rc = digest_mac(EVP_sha256(), key, data, len, out, want); break;
	case KEY_ALG_AES128_CMAC:
		if (key->len != 16)
			return -EINVAL;
		rc = cmac("AES-128-CBC", key, data, len, out, want);
		break;
	case KEY_ALG_AES256_CMAC:
		if (key->len != 32)
			return -EINVAL;
		rc = cmac("AES-256-CBC", key, data, len, out, want);
		break;
	default: return -EINVAL;
	}
	if (rc == 0)
		*outlen = want;
	return rc;
}

int mac_append(const struct key *key, uint8_t *buf, size_t cap, size_t *used)
{
	if (!key || !buf || !used || *used > cap)
		return -EINVAL;
	size_t n = mac_len(key->alg);
	if (n == 0)
		return -EINVAL;
	if (cap - *used < 4 + n)
		return -ENOSPC;
	uint8_t m[MAC_MAX];
	size_t mlen = 0;
	int rc = mac_compute(key, buf, *used, m, &mlen);
	if (rc == 0) {
		uint8_t *p = buf + *used;
		p[0] = (uint8_t)(key->id >> 24);
		p[1] = (uint8_t)(key->id >> 16);
		p[2] = (uint8_t)(key->id >> 8);
		p[3] = (uint8_t)key->id;
		memcpy(p + 4, m, mlen);
		*used += 4 + mlen;
	}
	mem_wipe(m, sizeof m);
	return rc;
}

enum mac_verdict mac_verify(const struct key *key, const uint8_t *pkt, size_t pkt_len,
			    const struct ntp_pkt *p)
{
	if (!p)
		return MAC_ERROR;
	switch (p->mac_kind) {
	case NTP_MAC_NONE: return MAC_MISSING;
	case NTP_MAC_CRYPTO_NAK: return MAC_CRYPTO_NAK;
	case NTP_MAC_DIGEST: break;
	default: return MAC_BAD;
	}
	if (!key)
		return MAC_ERROR;
	if (p->key_id != key->id)
		return MAC_WRONG_KEYID;
	size_t n = mac_len(key->alg);
	if (n == 0 || p->digest_len != n || p->digest_len > sizeof p->digest)
		return MAC_BAD;
	/* The MAC covers the bytes before the key id; they must be there. */
	if (!pkt || p->mac_off > pkt_len)
		return MAC_BAD;

	uint8_t m[MAC_MAX];
	size_t mlen = 0;
	enum mac_verdict v;
	if (mac_compute(key, pkt, p->mac_off, m, &mlen) != 0)
		v = MAC_ERROR;
	else if (mlen != n || CRYPTO_memcmp(m, p->digest, n) != 0)
		v = MAC_BAD;
	else
		v = MAC_VALID;
	mem_wipe(m, sizeof m);
	return v;
}

const char *mac_verdict_str(enum mac_verdict v)
{
	switch (v) {
	case MAC_VALID: return "MAC verified";
	case MAC_MISSING: return "no MAC in reply";
	case MAC_CRYPTO_NAK: return "crypto-NAK: the server could not authenticate the request";
	case MAC_WRONG_KEYID: return "reply signed with another key id";
	case MAC_BAD: return "MAC does not match";
	case MAC_ERROR: return "could not compute the MAC";
	}
	return "unknown MAC verdict";
}

int mac_refid_ipv6(const uint8_t addr[16], uint8_t refid[4])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int rc = -EIO;
	if (!addr || !refid)
		return -EINVAL;
	if (EVP_Digest(addr, 16, md, &n, EVP_md5(), NULL) == 1 && n >= 4) {
		memcpy(refid, md, 4);
		rc = 0;
	}
	mem_wipe(md, sizeof md);
	return rc;
}
