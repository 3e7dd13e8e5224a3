/* test_aead.c - the NTS AEADs (auth/aead): AES-SIV-CMAC-256/384/512.
 *
 * Where each vector comes from is written beside it; none was computed
 * with sundial.
 * 1. RFC 5297 appendix A.1 (deterministic: one associated data item, no
 *    nonce) and A.2 (nonce-based: two associated data items, then the
 *    nonce as the last component) through aead_siv_encrypt/decrypt.
 * 2. The order NTS uses, associated data first and the nonce last: vectors
 *    from an independent implementation (python3-cryptography's AESSIV,
 *    see nts_vectors[]) for all three key sizes, with a plaintext (a reply)
 *    and without (a request: OpenSSL 3.0's SIV cannot do that, aead.c
 *    computes S2V itself).  The swapped order gives other bytes, so the
 *    test tells the two apart.
 * 3. Round trips over many lengths and random keys; tampering with the
 *    tag, the ciphertext, the associated data, the nonce or the key gives
 *    -EBADMSG and a zeroed output; bad lengths and ids give -EINVAL or
 *    -ENOTSUP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/aead.h"
#include "wire/nts.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* A heap copy of exactly len bytes, so that ASan sees any read past it. */
static uint8_t *dup_exact(const void *p, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	assert_non_null(b);
	if (len)
		memcpy(b, p, len);
	return b;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* ------------------------------------------------------------------------
 * 1. RFC 5297 appendix A
 * ------------------------------------------------------------------------ */

/* A.1 Deterministic Authenticated Encryption Example:
 *   Key  fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff
 *   AD   10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627
 *   Plaintext 11223344 55667788 99aabbcc ddee
 *   output    85632d07 c6e8f37f 950acd32 0a2ecc93 (V)
 *             40c02b96 90c4dc04 daef7f6a fe5c (C) */
static void rfc5297_a1(void **state)
{
	(void)state;
	uint8_t key[32], ad[24], pt[14], want[30], out[30], back[14];
	unhex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff", key, sizeof key);
	unhex("101112131415161718191a1b1c1d1e1f2021222324252627", ad, sizeof ad);
	unhex("112233445566778899aabbccddee", pt, sizeof pt);
	unhex("85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c", want, sizeof want);
	const struct aead_ad v[1] = { { ad, sizeof ad } };
	assert_int_equal(aead_siv_encrypt(key, sizeof key, v, 1, pt, sizeof pt, out), 0);
	assert_memory_equal(out, want, sizeof want);
	assert_int_equal(aead_siv_decrypt(key, sizeof key, v, 1, want, sizeof want, back), 0);
	assert_memory_equal(back, pt, sizeof pt);
}

/* A.2 Nonce-Based Authenticated Encryption Example: S2V(K1, AD1, AD2,
 * Nonce, Plaintext), i.e. the vector { AD1, AD2, Nonce }.
 *   Key  7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f
 *   AD1  00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc
 *        bbaa9988 77665544 33221100
 *   AD2  10203040 50607080 90a0
 *   Nonce 09f91102 9d74e35b d84156c5 635688c0
 *   Plaintext "this is some plaintext to encrypt using SIV-AES" (47 octets)
 *   output 7bdb6e3b 432667eb 06f4d14b ff2fbd0f (V)
 *          cb900f2f ddbe4043 26601965 c889bf17 dba77ceb 094fa663 b7a3f748
 *          ba8af829 ea64ad54 4a272e9c 485b62a3 fd5c0d (C) */
static void rfc5297_a2(void **state)
{
	(void)state;
	uint8_t key[32], ad1[40], ad2[10], nonce[16], want[63], out[63], back[47];
	const char *pt = "this is some plaintext to encrypt using SIV-AES";
	assert_int_equal(strlen(pt), 47);
	unhex("7f7e7d7c7b7a797877767574737271704041424344454647"
	      "48494a4b4c4d4e4f",
	      key, sizeof key);
	unhex("00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100",
	      ad1, sizeof ad1);
	unhex("102030405060708090a0", ad2, sizeof ad2);
	unhex("09f911029d74e35bd84156c5635688c0", nonce, sizeof nonce);
	unhex("7bdb6e3b432667eb06f4d14bff2fbd0fcb900f2fddbe404326601965c889bf17"
	      "dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d",
	      want, sizeof want);
	const struct aead_ad v[3] = { { ad1, sizeof ad1 }, { ad2, sizeof ad2 }, { nonce, 16 } };
	assert_int_equal(aead_siv_encrypt(key, sizeof key, v, 3, (const uint8_t *)pt, 47, out), 0);
	assert_memory_equal(out, want, sizeof want);
	assert_int_equal(aead_siv_decrypt(key, sizeof key, v, 3, want, sizeof want, back), 0);
	assert_memory_equal(back, pt, 47);
	/* The nonce is an ordinary component: moved first, V changes. */
	const struct aead_ad w[3] = { { nonce, 16 }, { ad1, sizeof ad1 }, { ad2, sizeof ad2 } };
	assert_int_equal(aead_siv_encrypt(key, sizeof key, w, 3, (const uint8_t *)pt, 47, out), 0);
	assert_memory_not_equal(out, want, 16);
	assert_int_equal(aead_siv_decrypt(key, sizeof key, w, 3, want, sizeof want, back),
			 -EBADMSG);
}

/* ------------------------------------------------------------------------
 * 2. The order NTS uses: AEAD(key, nonce, ad, pt) = SIV(key, {ad, nonce}, pt)
 * ------------------------------------------------------------------------ */

/* Made with python3-cryptography 48.0.0 (AESSIV, on the OpenSSL 4.0.0 its
 * wheel bundles; Debian's 38.0.4 on OpenSSL 3.0 fails on an empty plaintext
 * as OpenSSL 3.0 itself does), not with sundial:
 *
 *   from cryptography.hazmat.primitives.ciphers.aead import AESSIV
 *   key   = bytes((i * 7 + 1) & 0xff for i in range(klen))   # 32, 48, 64
 *   nonce = bytes(range(0xa0, 0xb0))
 *   ad_req = bytes((i * 13 + 3) & 0xff for i in range(292))  # a request up
 *                                       # to its authenticator: no plaintext
 *   ad_rep = bytes((i * 5 + 0x40) & 0xff for i in range(84)) # header + UID
 *   pt = bytes([2, 4, 0, 0x28]) + bytes(0x30 + i for i in range(36))
 *   req  = AESSIV(key).encrypt(b"", [ad_req, nonce])
 *   rep  = AESSIV(key).encrypt(pt, [ad_rep, nonce])
 *   swp  = AESSIV(key).encrypt(pt, [nonce, ad_rep])          # wrong order
 *   e0   = AESSIV(key).encrypt(b"", [b"", nonce])
 *
 * [ad, nonce] is what chrony and NTPsec compute: the vectors of chrony's
 * test/unit/siv.c (made through nettle's siv_cmac_aes128_encrypt_message,
 * nonce and assoc given), the empty-plaintext ones included, are
 * reproduced by AESSIV.encrypt(pt, [assoc, nonce]) and not by [nonce,
 * assoc]; libaes_siv's AES_SIV_Encrypt(), which NTPsec calls with the
 * packet as ad, runs AES_SIV_AssociateData(ad) and then
 * AES_SIV_AssociateData(nonce). */
static const struct {
	uint16_t id;
	size_t key_len;
	const char *req, *rep, *swp, *e0;
} nts_vectors[] = {
	{ NTS_AEAD_AES_SIV_CMAC_256, 32, "53dfb15db5c8d3dc582a5daaa8eaab47",
	  "de3566ed65ecc23678fdc2a10c59287b245c1ce4da1337c64717b1a21daab238"
	  "50b84eee86a41efaa623ab2ea31fef0b8d0e310d9cf474b3",
	  "4e83bbde7146c2178fd2e961ac8fd33545120cd1479a7fe2dd8c72b75e8f71b2"
	  "07fe15d10001a1513d38edfda6d653bdcd402d1a6687396d",
	  "68c5abecc9f0d91e463d7556fcdbb5a5" },
	{ NTS_AEAD_AES_SIV_CMAC_384, 48, "c0f84d583b6fbed49ead68983424332f",
	  "42f14ca71bfa8dd1007483d578b52a2cdb3da5b59435d1d37a0399ca0918e3c4"
	  "44ee6f18e1ab4b8eb7051924fcd64ca5c841701b13aa97fd",
	  "24c65e18e836e7235fe691e6611a3ef7831541bfaaeb0f57fe3d5c8938b4344f"
	  "a5af9c1ae48bd746a8405e42e9753615435565dcbbc3b6b5",
	  "98a963cbde3594f08035a18eb5677371" },
	{ NTS_AEAD_AES_SIV_CMAC_512, 64, "880af9b81dcc15c68a92f98ad9c29219",
	  "37f084fff1cf3a184165616f48065263d5f397219ba5b5c61a1a8c3fca42adc5"
	  "c66f0b4c467fd55d2071362e71e5c929413f900a5d2d4d77",
	  "c3bead10b18c3e602fabc7ac2c6748f7393d6d18a289752dc8f5ecc4c6c04a88"
	  "03879a3b66d209c51513d0948aebd8ba6aeb5fa9fb0ee01b",
	  "7b6a9adfcfce27d7c82d9c531b379cbf" },
};

struct nts_inputs {
	uint8_t key[AEAD_MAX_KEY], nonce[16], ad_req[292], ad_rep[84], pt[40];
};

static void make_inputs(struct nts_inputs *in, size_t key_len)
{
	for (size_t i = 0; i < key_len; i++)
		in->key[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < 16; i++)
		in->nonce[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof in->ad_req; i++)
		in->ad_req[i] = (uint8_t)(i * 13 + 3);
	for (size_t i = 0; i < sizeof in->ad_rep; i++)
		in->ad_rep[i] = (uint8_t)(i * 5 + 0x40);
	in->pt[0] = 2;
	in->pt[1] = 4;
	in->pt[2] = 0;
	in->pt[3] = 0x28;
	for (size_t i = 0; i < 36; i++)
		in->pt[4 + i] = (uint8_t)(0x30 + i);
}

static void nts_order(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof nts_vectors / sizeof nts_vectors[0]; t++) {
		struct nts_inputs in;
		uint8_t want[64], out[64], back[64];
		size_t n, olen = 0, blen = 0;
		uint16_t id = nts_vectors[t].id;
		size_t kl = nts_vectors[t].key_len;
		make_inputs(&in, kl);
		assert_int_equal(aead_key_len(id), kl);

		/* A request: nothing to encrypt, the output is the tag. */
		n = unhex(nts_vectors[t].req, want, sizeof want);
		assert_int_equal(n, AEAD_TAG_LEN);
		assert_int_equal(aead_encrypt(id, in.key, kl, in.nonce, 16, in.ad_req,
					      sizeof in.ad_req, NULL, 0, out, &olen),
				 0);
		assert_int_equal(olen, AEAD_TAG_LEN);
		assert_memory_equal(out, want, n);
		blen = 99;
		assert_int_equal(aead_decrypt(id, in.key, kl, in.nonce, 16, in.ad_req,
					      sizeof in.ad_req, want, n, NULL, &blen),
				 0);
		assert_int_equal(blen, 0);

		/* A reply: 40 octets of plaintext (not a multiple of 16). */
		n = unhex(nts_vectors[t].rep, want, sizeof want);
		assert_int_equal(n, 40 + AEAD_TAG_LEN);
		assert_int_equal(aead_encrypt(id, in.key, kl, in.nonce, 16, in.ad_rep,
					      sizeof in.ad_rep, in.pt, 40, out, &olen),
				 0);
		assert_int_equal(olen, n);
		assert_memory_equal(out, want, n);
		assert_int_equal(aead_decrypt(id, in.key, kl, in.nonce, 16, in.ad_rep,
					      sizeof in.ad_rep, want, n, back, &blen),
				 0);
		assert_int_equal(blen, 40);
		assert_memory_equal(back, in.pt, 40);

		/* The same through the vector interface, and the swapped
		 * order: other bytes, which aead_encrypt() does not make. */
		const struct aead_ad good[2] = { { in.ad_rep, 84 }, { in.nonce, 16 } };
		const struct aead_ad swapped[2] = { { in.nonce, 16 }, { in.ad_rep, 84 } };
		assert_int_equal(aead_siv_encrypt(in.key, kl, good, 2, in.pt, 40, out), 0);
		assert_memory_equal(out, want, n);
		uint8_t swp[64];
		assert_int_equal(unhex(nts_vectors[t].swp, swp, sizeof swp), n);
		assert_int_equal(aead_siv_encrypt(in.key, kl, swapped, 2, in.pt, 40, out), 0);
		assert_memory_equal(out, swp, n);
		assert_memory_not_equal(swp, want, AEAD_TAG_LEN);
		assert_int_equal(aead_decrypt(id, in.key, kl, in.nonce, 16, in.ad_rep,
					      sizeof in.ad_rep, swp, n, back, &blen),
				 -EBADMSG);

		/* Empty associated data and plaintext: a component still. */
		n = unhex(nts_vectors[t].e0, want, sizeof want);
		assert_int_equal(
			aead_encrypt(id, in.key, kl, in.nonce, 16, NULL, 0, NULL, 0, out, &olen),
			0);
		assert_memory_equal(out, want, n);
		const struct aead_ad nonce_only[1] = { { in.nonce, 16 } };
		assert_int_equal(aead_siv_encrypt(in.key, kl, nonce_only, 1, NULL, 0, out), 0);
		assert_memory_not_equal(out, want, n);
	}
}

/* ------------------------------------------------------------------------
 * 3. Round trips, tampering, bad arguments
 * ------------------------------------------------------------------------ */

static uint64_t test_seed;
static uint64_t rnd_state;

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rnd_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void rnd_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static const uint16_t siv_ids[] = { NTS_AEAD_AES_SIV_CMAC_256, NTS_AEAD_AES_SIV_CMAC_384,
				    NTS_AEAD_AES_SIV_CMAC_512 };

static void round_trips(void **state)
{
	(void)state;
	rnd_state = test_seed;
	static const size_t lens[] = { 0, 1, 15, 16, 17, 31, 32, 33, 100, 208, 1000 };
	for (size_t k = 0; k < 3; k++) {
		uint16_t id = siv_ids[k];
		size_t kl = aead_key_len(id);
		for (size_t a = 0; a < sizeof lens / sizeof lens[0]; a++) {
			for (size_t p = 0; p < sizeof lens / sizeof lens[0]; p++) {
				uint8_t key[AEAD_MAX_KEY], nonce[AEAD_NONCE_LEN];
				size_t al = lens[a], pl = lens[p];
				rnd_fill(key, kl);
				rnd_fill(nonce, sizeof nonce);
				uint8_t *ad = malloc(al + 1), *pt = malloc(pl + 1);
				uint8_t *ct = malloc(pl + AEAD_TAG_LEN), *back = malloc(pl + 1);
				assert_true(ad && pt && ct && back);
				rnd_fill(ad, al);
				rnd_fill(pt, pl);
				size_t cl = 0, bl = 0;
				assert_int_equal(aead_encrypt(id, key, kl, nonce, sizeof nonce, ad,
							      al, pt, pl, ct, &cl),
						 0);
				assert_int_equal(cl, pl + AEAD_TAG_LEN);
				/* Deterministic for one nonce, as SIV is. */
				uint8_t *ct2 = malloc(cl);
				assert_non_null(ct2);
				assert_int_equal(aead_encrypt(id, key, kl, nonce, sizeof nonce, ad,
							      al, pt, pl, ct2, &cl),
						 0);
				assert_memory_equal(ct, ct2, cl);
				free(ct2);
				uint8_t *exact = dup_exact(ct, cl);
				assert_int_equal(aead_decrypt(id, key, kl, nonce, sizeof nonce, ad,
							      al, exact, cl, back, &bl),
						 0);
				assert_int_equal(bl, pl);
				if (pl)
					assert_memory_equal(back, pt, pl);
				free(exact);
				free(ad);
				free(pt);
				free(ct);
				free(back);
			}
		}
	}
}

/* Decrypting what was tampered with: -EBADMSG and nothing left in pt. */
static void expect_bad(uint16_t id, const uint8_t *key, size_t kl, const uint8_t *nonce, size_t nl,
		       const uint8_t *ad, size_t al, const uint8_t *ct, size_t cl)
{
	uint8_t pt[128];
	size_t bl = 77;
	memset(pt, 0xee, sizeof pt);
	assert_int_equal(aead_decrypt(id, key, kl, nonce, nl, ad, al, ct, cl, pt, &bl), -EBADMSG);
	assert_int_equal(bl, 77);
	if (cl > AEAD_TAG_LEN)
		assert_true(all_zero(pt, cl - AEAD_TAG_LEN));
}

static void tampering(void **state)
{
	(void)state;
	rnd_state = test_seed ^ UINT64_C(0x7a3);
	for (size_t k = 0; k < 3; k++) {
		uint16_t id = siv_ids[k];
		size_t kl = aead_key_len(id);
		uint8_t key[AEAD_MAX_KEY], nonce[16], ad[60], pt[40], ct[56];
		rnd_fill(key, kl);
		rnd_fill(nonce, sizeof nonce);
		rnd_fill(ad, sizeof ad);
		rnd_fill(pt, sizeof pt);
		for (size_t pl = 0; pl <= sizeof pt; pl += sizeof pt) {
			size_t cl = 0;
			assert_int_equal(aead_encrypt(id, key, kl, nonce, 16, ad, sizeof ad, pt, pl,
						      ct, &cl),
					 0);
			/* Every bit of the tag and the ciphertext. */
			for (size_t i = 0; i < cl * 8; i++) {
				ct[i / 8] ^= (uint8_t)(1u << (i % 8));
				expect_bad(id, key, kl, nonce, 16, ad, sizeof ad, ct, cl);
				ct[i / 8] ^= (uint8_t)(1u << (i % 8));
			}
			/* Every octet of the associated data and the nonce. */
			for (size_t i = 0; i < sizeof ad; i++) {
				ad[i] ^= 0x40;
				expect_bad(id, key, kl, nonce, 16, ad, sizeof ad, ct, cl);
				ad[i] ^= 0x40;
			}
			for (size_t i = 0; i < sizeof nonce; i++) {
				nonce[i] ^= 1;
				expect_bad(id, key, kl, nonce, 16, ad, sizeof ad, ct, cl);
				nonce[i] ^= 1;
			}
			/* Shorter associated data or nonce, other key. */
			expect_bad(id, key, kl, nonce, 16, ad, sizeof ad - 1, ct, cl);
			expect_bad(id, key, kl, nonce, 15, ad, sizeof ad, ct, cl);
			expect_bad(id, key, kl, nonce, 16, NULL, 0, ct, cl);
			key[kl - 1] ^= 0x80; /* K2: the CTR key, unused without plaintext */
			if (pl > 0)
				expect_bad(id, key, kl, nonce, 16, ad, sizeof ad, ct, cl);
			else
				assert_int_equal(aead_decrypt(id, key, kl, nonce, 16, ad, sizeof ad,
							      ct, cl, NULL, &(size_t){ 0 }),
						 0);
			key[kl - 1] ^= 0x80;
			key[0] ^= 0x01; /* K1: the CMAC key */
			expect_bad(id, key, kl, nonce, 16, ad, sizeof ad, ct, cl);
			key[0] ^= 0x01;
			/* Cut short, down to below a tag. */
			for (size_t n = 0; n < cl; n++)
				expect_bad(id, key, kl, nonce, 16, ad, sizeof ad, ct, n);
			/* And still good after all that. */
			uint8_t back[40];
			size_t bl = 0;
			assert_int_equal(aead_decrypt(id, key, kl, nonce, 16, ad, sizeof ad, ct, cl,
						      back, &bl),
					 0);
			assert_int_equal(bl, pl);
			if (pl)
				assert_memory_equal(back, pt, pl);
		}
	}
}

static void bad_arguments(void **state)
{
	(void)state;
	uint8_t key[AEAD_MAX_KEY + 1] = { 0 }, nonce[16] = { 0 }, pt[16] = { 0 }, ct[32];
	size_t cl = 0, pl = 0;
	/* Key lengths: only the algorithm's own. */
	for (size_t k = 0; k < 3; k++) {
		uint16_t id = siv_ids[k];
		for (size_t kl = 0; kl <= AEAD_MAX_KEY + 1; kl++) {
			int want = kl == aead_key_len(id) ? 0 : -EINVAL;
			assert_int_equal(
				aead_encrypt(id, key, kl, nonce, 16, NULL, 0, pt, 16, ct, &cl),
				want);
			if (want == 0)
				assert_int_equal(aead_decrypt(id, key, kl, nonce, 16, NULL, 0, ct,
							      32, pt, &pl),
						 0);
			else
				assert_int_equal(aead_decrypt(id, key, kl, nonce, 16, NULL, 0, ct,
							      32, pt, &pl),
						 -EINVAL);
		}
		size_t kl = aead_key_len(id);
		assert_int_equal(aead_encrypt(id, NULL, kl, nonce, 16, NULL, 0, pt, 16, ct, &cl),
				 -EINVAL);
		assert_int_equal(aead_encrypt(id, key, kl, NULL, 16, NULL, 0, pt, 16, ct, &cl),
				 -EINVAL);
		assert_int_equal(aead_encrypt(id, key, kl, nonce, 0, NULL, 0, pt, 16, ct, &cl),
				 -EINVAL);
		assert_int_equal(aead_encrypt(id, key, kl, nonce, 16, NULL, 5, pt, 16, ct, &cl),
				 -EINVAL);
		assert_int_equal(aead_encrypt(id, key, kl, nonce, 16, NULL, 0, NULL, 16, ct, &cl),
				 -EINVAL);
		assert_int_equal(aead_encrypt(id, key, kl, nonce, 16, NULL, 0, pt, 16, NULL, &cl),
				 -EINVAL);
		assert_int_equal(aead_encrypt(id, key, kl, nonce, 16, NULL, 0, pt, 16, ct, NULL),
				 -EINVAL);
		assert_int_equal(aead_decrypt(id, key, kl, nonce, 16, NULL, 0, NULL, 32, pt, &pl),
				 -EINVAL);
		assert_int_equal(aead_decrypt(id, key, kl, nonce, 16, NULL, 0, ct, 32, NULL, &pl),
				 -EINVAL);
		assert_int_equal(aead_decrypt(id, key, kl, nonce, 0, NULL, 0, ct, 32, pt, &pl),
				 -EINVAL);
		assert_int_equal(aead_encrypt(id, key, kl, nonce, 16, NULL, 0, pt,
					      (size_t)AEAD_MAX_TEXT + 1, ct, &cl),
				 -EINVAL);
	}
	/* Unknown ids, and GCM-SIV, which this build does not offer. */
	static const uint16_t unknown[] = { 0, 1, 14, 18, 29, 32, 1024, 0xffff };
	for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		assert_int_equal(
			aead_encrypt(unknown[i], key, 32, nonce, 16, NULL, 0, pt, 16, ct, &cl),
			-EINVAL);
		assert_int_equal(
			aead_decrypt(unknown[i], key, 32, nonce, 16, NULL, 0, ct, 32, pt, &pl),
			-EINVAL);
	}
	assert_int_equal(aead_encrypt(NTS_AEAD_AES_128_GCM_SIV, key, 16, nonce, 12, NULL, 0, pt, 16,
				      ct, &cl),
			 -ENOTSUP);
	assert_int_equal(aead_decrypt(NTS_AEAD_AES_256_GCM_SIV, key, 32, nonce, 12, NULL, 0, ct, 32,
				      pt, &pl),
			 -ENOTSUP);
	/* The vector interface: at most AEAD_SIV_MAX_AD components. */
	struct aead_ad v[AEAD_SIV_MAX_AD + 1];
	for (size_t i = 0; i <= AEAD_SIV_MAX_AD; i++) {
		v[i].p = nonce;
		v[i].len = 16;
	}
	assert_int_equal(aead_siv_encrypt(key, 32, v, AEAD_SIV_MAX_AD, pt, 16, ct), 0);
	assert_int_equal(aead_siv_decrypt(key, 32, v, AEAD_SIV_MAX_AD, ct, 32, pt), 0);
	assert_int_equal(aead_siv_encrypt(key, 32, v, AEAD_SIV_MAX_AD + 1, pt, 16, ct), -EINVAL);
	assert_int_equal(aead_siv_encrypt(key, 32, NULL, 1, pt, 16, ct), -EINVAL);
	assert_int_equal(aead_siv_encrypt(key, 32, NULL, 0, pt, 16, ct), 0);
	assert_int_equal(aead_siv_decrypt(key, 32, NULL, 0, ct, 32, pt), 0);
	assert_int_equal(aead_siv_encrypt(key, 16, v, 1, pt, 16, ct), -EINVAL);
	assert_int_equal(aead_siv_decrypt(key, 32, v, 1, ct, 15, pt), -EBADMSG);
	v[0].p = NULL;
	assert_int_equal(aead_siv_encrypt(key, 32, v, 1, pt, 16, ct), -EINVAL);
	v[0].len = 0;
	assert_int_equal(aead_siv_encrypt(key, 32, v, 1, pt, 16, ct), 0);
}

static void availability(void **state)
{
	(void)state;
	/* OpenSSL 3.0 has AES-SIV but no GCM-SIV (3.2 added it), and
	 * GCM-SIV is not implemented here (aead.h). */
	assert_true(aead_available(NTS_AEAD_AES_SIV_CMAC_256));
	assert_true(aead_available(NTS_AEAD_AES_SIV_CMAC_384));
	assert_true(aead_available(NTS_AEAD_AES_SIV_CMAC_512));
	assert_false(aead_available(NTS_AEAD_AES_128_GCM_SIV));
	assert_false(aead_available(NTS_AEAD_AES_256_GCM_SIV));
	assert_false(aead_available(0));
	assert_false(aead_available(0xffff));
	assert_int_equal(aead_key_len(NTS_AEAD_AES_SIV_CMAC_256), 32);
	assert_int_equal(aead_key_len(NTS_AEAD_AES_SIV_CMAC_384), 48);
	assert_int_equal(aead_key_len(NTS_AEAD_AES_SIV_CMAC_512), 64);
	assert_int_equal(aead_key_len(NTS_AEAD_AES_128_GCM_SIV), 16);
	assert_int_equal(aead_key_len(NTS_AEAD_AES_256_GCM_SIV), 32);
	assert_int_equal(aead_key_len(0), 0);
	assert_int_equal(aead_key_len(18), 0);
}

int main(void)
{
	const char *env = getenv("TEST_SEED");
	test_seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("test_aead: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       test_seed, test_seed);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rfc5297_a1),	cmocka_unit_test(rfc5297_a2),
		cmocka_unit_test(nts_order),	cmocka_unit_test(round_trips),
		cmocka_unit_test(tampering),	cmocka_unit_test(bad_arguments),
		cmocka_unit_test(availability),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
