/* nts.c - an NTS session for the NTP client engine (RFC 8915 section 5);
 * see nts.h.
 *
 * A request (section 5.7):
 *   NTP header (48) | Unique Identifier (32 random octets) | NTS Cookie |
 *   Cookie Placeholder x n | Authenticator (nonce, AEAD(c2s, AD, empty))
 * where AD is everything before the authenticator.  n asks for as many
 * cookies as refill the store to NTS_MAX_COOKIES: with k cookies left after
 * this one, n = NTS_MAX_COOKIES - 1 - k (so 0 when the store was full).
 *
 * A reply: NTP header | Unique Identifier (ours, echoed) | Authenticator
 * (nonce, AEAD(s2c, AD, plaintext)); the plaintext holds the new cookies as
 * NTS Cookie fields.  Nothing may follow the authenticator (it would not be
 * covered).  An NTS NAK is a kiss-o'-death NTSN with no authenticator.
 *
 * Cookies are spent oldest first.  Randomness from getrandom(2): this
 * module needs nothing from OpenSSL but what auth/aead gives.
 */
#include "net/nts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/mem.h"

/* The largest plaintext of a reply's authenticator: NTS_MAX_COOKIES cookie
 * fields of the longest cookie, with room to spare. */
#define NTS_MAX_PLAINTEXT (NTS_MAX_COOKIES * (4 + NTS_MAX_COOKIE_LEN) + 256)

struct nts_session {
	uint16_t aead;
	size_t key_len;
	uint8_t c2s[AEAD_MAX_KEY], s2c[AEAD_MAX_KEY];
	/* The cookies, a FIFO: n of them from head on (modulo the size). */
	size_t head, n;
	uint16_t cookie_len[NTS_MAX_COOKIES];
	uint8_t cookie[NTS_MAX_COOKIES][NTS_MAX_COOKIE_LEN];
};

const char *nts_verdict_name(enum nts_verdict v)
{
	switch (v) {
	case NTS_V_OK: return "ok";
	case NTS_V_NAK: return "nak";
	case NTS_V_NO_UID: return "no_uid";
	case NTS_V_NO_AUTH: return "no_auth";
	case NTS_V_BAD_AUTH: return "bad_auth";
	case NTS_V_MALFORMED: return "malformed";
	}
	return "unknown";
}

static void push_cookie(nts_session *s, const uint8_t *c, size_t len)
{
	if (len == 0 || len > NTS_MAX_COOKIE_LEN || s->n == NTS_MAX_COOKIES)
		return;
	size_t i = (s->head + s->n) % NTS_MAX_COOKIES;
	memcpy(s->cookie[i], c, len);
	s->cookie_len[i] = (uint16_t)len;
	s->n++;
}

nts_session *nts_session_new(const struct nts_ke_result *res)
{
	if (!res || res->fail != NTS_KE_F_NONE || res->key_len == 0 ||
	    res->key_len > AEAD_MAX_KEY || res->key_len != aead_key_len(res->aead) ||
	    res->n_cookies == 0)
		return NULL;
	nts_session *s = mem_calloc(1, sizeof *s);
	s->aead = res->aead;
	s->key_len = res->key_len;
	memcpy(s->c2s, res->c2s, res->key_len);
	memcpy(s->s2c, res->s2c, res->key_len);
	for (size_t i = 0; i < res->n_cookies && i < NTS_MAX_COOKIES; i++)
		push_cookie(s, res->cookie[i], res->cookie_len[i]);
	if (s->n == 0) {
		nts_session_free(s);
		return NULL;
	}
	return s;
}

void nts_session_free(nts_session *s)
{
	if (!s)
		return;
	mem_wipe(s, sizeof *s);
	free(s);
}

size_t nts_session_cookies(const nts_session *s)
{
	return s ? s->n : 0;
}

static bool random_bytes(uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += got;
		n -= (size_t)got;
	}
	return true;
}

int nts_request(nts_session *s, uint8_t *buf, size_t cap, size_t *used, uint8_t *uid)
{
	if (s->n == 0)
		return -ENOENT;
	uint8_t nonce[AEAD_NONCE_LEN];
	if (!random_bytes(uid, NTS_UID_LEN) || !random_bytes(nonce, sizeof nonce))
		return -EIO;
	const uint8_t *cookie = s->cookie[s->head];
	size_t clen = s->cookie_len[s->head];
	size_t left = s->n - 1; /* after this one */
	size_t placeholders = NTS_MAX_COOKIES - 1 - left;

	size_t u = *used;
	int rc = nts_ef_request(buf, cap, &u, uid, cookie, clen, placeholders);
	if (rc != 0)
		return rc;
	/* The authenticator: AD = the packet so far, an empty plaintext. */
	static const uint8_t empty[1] = { 0 };
	uint8_t ct[AEAD_TAG_LEN];
	size_t ct_len = sizeof ct;
	rc = aead_encrypt(s->aead, s->c2s, s->key_len, nonce, sizeof nonce, buf, u, empty, 0, ct,
			  &ct_len);
	if (rc != 0)
		return -EIO;
	rc = nts_ef_authenticator(buf, cap, &u, nonce, sizeof nonce, ct, ct_len);
	if (rc != 0)
		return rc;
	*used = u;
	/* The cookie is spent: never sent twice (section 5.7, unlinkability). */
	mem_wipe(s->cookie[s->head], NTS_MAX_COOKIE_LEN);
	s->cookie_len[s->head] = 0;
	s->head = (s->head + 1) % NTS_MAX_COOKIES;
	s->n--;
	return 0;
}

static bool same(const uint8_t *a, const uint8_t *b, size_t n)
{
	/* Constant time: a forger learns nothing from how long it took. */
	volatile uint8_t d = 0;
	for (size_t i = 0; i < n; i++)
		d = (uint8_t)(d | (a[i] ^ b[i]));
	return d == 0;
}

/* The cookies of a reply, gathered before they are kept. */
struct new_cookies {
	size_t n;
	uint16_t len[NTS_MAX_COOKIES];
	uint8_t c[NTS_MAX_COOKIES][NTS_MAX_COOKIE_LEN];
};

static void gather(void *arg, const uint8_t *cookie, size_t len)
{
	struct new_cookies *nc = arg;
	if (nc->n == NTS_MAX_COOKIES || len == 0 || len > NTS_MAX_COOKIE_LEN)
		return;
	memcpy(nc->c[nc->n], cookie, len);
	nc->len[nc->n] = (uint16_t)len;
	nc->n++;
}

enum nts_verdict nts_reply(nts_session *s, const uint8_t *buf, size_t len, const uint8_t *uid,
			   bool kod_ntsn)
{
	struct nts_ef_view v;
	memset(&v, 0, sizeof v);
	enum nts_ef_status st = nts_ef_parse(buf, len, &v);
	bool uid_ok = st == NTS_EF_OK && v.have_uid && v.uid_len == NTS_UID_LEN &&
		      same(buf + v.uid_off, uid, NTS_UID_LEN);
	if (kod_ntsn) {
		/* Section 5.7: a NAK echoes the unique identifier; one that
		 * names another request is not for us.  It brings no cookie. */
		if (st == NTS_EF_OK && v.have_uid && !uid_ok)
			return NTS_V_NO_UID;
		return NTS_V_NAK;
	}
	if (st != NTS_EF_OK)
		return NTS_V_MALFORMED;
	if (!uid_ok)
		return NTS_V_NO_UID;
	if (!v.have_auth)
		return NTS_V_NO_AUTH;
	if (v.after_auth)
		return NTS_V_MALFORMED; /* not covered by the authenticator */
	if (v.ct_len < AEAD_TAG_LEN || v.ct_len > NTS_MAX_PLAINTEXT || v.ad_len > len ||
	    v.nonce_off + v.nonce_len > len || v.ct_off + v.ct_len > len)
		return NTS_V_MALFORMED;

	uint8_t *pt = mem_alloc(v.ct_len);
	size_t pt_len = v.ct_len;
	enum nts_verdict verdict = NTS_V_OK;
	struct new_cookies *nc = NULL;
	int rc = aead_decrypt(s->aead, s->s2c, s->key_len, buf + v.nonce_off, v.nonce_len, buf,
			      v.ad_len, buf + v.ct_off, v.ct_len, pt, &pt_len);
	if (rc != 0) {
		verdict = NTS_V_BAD_AUTH;
		goto out;
	}
	nc = mem_calloc(1, sizeof *nc);
	if (nts_ef_cookies(pt, pt_len, gather, nc) < 0) {
		verdict = NTS_V_MALFORMED;
		goto out;
	}
	for (size_t i = 0; i < nc->n; i++)
		push_cookie(s, nc->c[i], nc->len[i]);
out:
	mem_wipe(pt, v.ct_len);
	free(pt);
	if (nc) {
		mem_wipe(nc, sizeof *nc);
		free(nc);
	}
	return verdict;
}
