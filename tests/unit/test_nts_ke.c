/* test_nts_ke.c - the NTS client side (net/nts_ke, net/nts): a session
 * built from a hand-made key exchange result, the requests it makes, and
 * the replies it accepts and rejects.
 *
 * The replies are made here the way a server makes them (RFC 8915 section
 * 5.7): the header, the unique identifier echoed, and an authenticator
 * whose plaintext holds new cookies, encrypted with the server-to-client
 * key over the packet before it (auth/aead).  Then every part an attacker
 * could touch is altered in turn: the ciphertext, the tag, the nonce, the
 * header (associated data), the unique identifier; fields are dropped or
 * added after the authenticator.  None of those may pass, and none may
 * bring cookies.  System tests (tests/system/nts_*.sh) run the whole
 * exchange against chronyd and NTPsec; the failures of the key exchange
 * that need no server (refused, silent, bad CA file) are checked here too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/aead.h"
#include "common/clock.h"
#include "net/nts.h"
#include "net/nts_ke.h"
#include "wire/ntp.h"
#include "wire/nts.h"

#define AEAD NTS_AEAD_AES_SIV_CMAC_256
#define KEY_LEN 32
#define COOKIE_LEN 100

/* A key exchange result as nts_ke_run() leaves it: keys and n cookies
 * (cookie i filled with octet 0x10 + i). */
static struct nts_ke_result make_result(size_t n)
{
	struct nts_ke_result r;
	memset(&r, 0, sizeof r);
	r.aead = AEAD;
	r.key_len = KEY_LEN;
	for (size_t i = 0; i < KEY_LEN; i++) {
		r.c2s[i] = (uint8_t)(0xc0 + i);
		r.s2c[i] = (uint8_t)(0x50 + i);
	}
	r.n_cookies = n;
	for (size_t i = 0; i < n; i++) {
		r.cookie_len[i] = COOKIE_LEN;
		memset(r.cookie[i], 0x10 + (int)i, COOKIE_LEN);
	}
	r.error_code = -1;
	r.warning_code = -1;
	r.port = 123;
	return r;
}

static size_t header(uint8_t *buf, size_t cap, uint8_t mode, uint8_t stratum, const char *refid)
{
	struct ntp_pkt p;
	memset(&p, 0, sizeof p);
	p.version = 4;
	p.mode = mode;
	p.stratum = stratum;
	if (refid)
		memcpy(p.refid, refid, 4);
	p.org_ts = 0x0123456789abcdefULL;
	p.rec_ts = 0x1111111122222222ULL;
	p.xmt_ts = 0x1111111133333333ULL;
	size_t n = ntp_pkt_encode(&p, buf, cap);
	assert_int_equal(n, NTP_HEADER_LEN);
	return n;
}

struct reply_spec {
	bool uid;		 /* echo the unique identifier */
	bool auth;		 /* an authenticator */
	size_t cookies;		 /* in its plaintext */
	const uint8_t *key;	 /* the key it is made with (s2c) */
	bool field_after;	 /* a field after the authenticator */
	const char *kod;	 /* a kiss code: stratum 0 */
	bool unencrypted_cookie; /* a cookie field before the authenticator */
};

/* A server's reply to the request of uid, as spec says.  Returns its
 * length; *auth_off is where the authenticator field starts. */
static size_t make_reply(uint8_t *buf, size_t cap, const uint8_t *uid, const struct reply_spec *sp,
			 size_t *auth_off)
{
	size_t used =
		header(buf, cap, NTP_MODE_SERVER, sp->kod ? 0 : 2, sp->kod ? sp->kod : "GPS\0");
	if (sp->uid)
		assert_int_equal(ntp_ef_append(buf, cap, &used, NTS_EF_UNIQUE_ID, uid, NTS_UID_LEN),
				 0);
	if (sp->unencrypted_cookie) {
		uint8_t c[COOKIE_LEN];
		memset(c, 0xee, sizeof c);
		assert_int_equal(ntp_ef_append(buf, cap, &used, NTS_EF_COOKIE, c, sizeof c), 0);
	}
	*auth_off = used;
	if (sp->auth) {
		uint8_t pt[NTS_MAX_COOKIES * (4 + COOKIE_LEN)];
		size_t pt_len = 0;
		for (size_t i = 0; i < sp->cookies; i++) {
			uint8_t c[COOKIE_LEN];
			memset(c, 0xa0 + (int)i, sizeof c);
			assert_int_equal(
				ntp_ef_append(pt, sizeof pt, &pt_len, NTS_EF_COOKIE, c, sizeof c),
				0);
		}
		uint8_t nonce[AEAD_NONCE_LEN];
		for (size_t i = 0; i < sizeof nonce; i++)
			nonce[i] = (uint8_t)(0x77 ^ i);
		uint8_t ct[sizeof pt + AEAD_TAG_LEN];
		size_t ct_len = sizeof ct;
		assert_int_equal(aead_encrypt(AEAD, sp->key, KEY_LEN, nonce, sizeof nonce, buf,
					      used, pt_len ? pt : nonce, pt_len, ct, &ct_len),
				 0);
		assert_int_equal(ct_len, pt_len + AEAD_TAG_LEN);
		assert_int_equal(
			nts_ef_authenticator(buf, cap, &used, nonce, sizeof nonce, ct, ct_len), 0);
	}
	if (sp->field_after) {
		uint8_t x[16] = { 0 };
		assert_int_equal(ntp_ef_append(buf, cap, &used, 0x2005, x, sizeof x), 0);
	}
	return used;
}

/* A session with n cookies (of make_result()). */
static nts_session *session_with(size_t n)
{
	struct nts_ke_result r = make_result(n);
	nts_session *s = nts_session_new(&r);
	assert_non_null(s);
	nts_ke_result_wipe(&r);
	return s;
}

static void new_session(void **state)
{
	(void)state;
	struct nts_ke_result r = make_result(3);
	nts_session *s = nts_session_new(&r);
	assert_non_null(s);
	assert_int_equal(nts_session_cookies(s), 3);
	nts_session_free(s);
	nts_session_free(NULL);
	assert_int_equal(nts_session_cookies(NULL), 0);

	/* What is not the result of a good exchange makes no session. */
	struct nts_ke_result bad = make_result(0);
	assert_null(nts_session_new(&bad));
	bad = make_result(2);
	bad.fail = NTS_KE_F_CERT_EXPIRED;
	assert_null(nts_session_new(&bad));
	bad = make_result(2);
	bad.key_len = 16; /* not AES-SIV-CMAC-256's */
	assert_null(nts_session_new(&bad));
	bad = make_result(2);
	bad.cookie_len[0] = bad.cookie_len[1] = 0;
	assert_null(nts_session_new(&bad));
	assert_null(nts_session_new(NULL));

	/* Wiping keeps what reports need and clears the secrets. */
	nts_ke_result_wipe(&r);
	static const uint8_t zero[AEAD_MAX_KEY];
	assert_memory_equal(r.c2s, zero, sizeof zero);
	assert_memory_equal(r.s2c, zero, sizeof zero);
	assert_memory_equal(r.cookie[0], zero, sizeof zero);
	assert_int_equal(r.n_cookies, 3);
	assert_int_equal(r.cookie_len[2], COOKIE_LEN);
}

/* A request: header, unique identifier, the oldest cookie, placeholders
 * to refill the store to 8, and an authenticator that verifies with the
 * client-to-server key over everything before it. */
static void request_layout(void **state)
{
	(void)state;
	struct nts_ke_result r = make_result(3);
	nts_session *s = nts_session_new(&r);
	for (size_t k = 0; k < 3; k++) {
		uint8_t buf[2048], uid[NTS_UID_LEN];
		size_t used = header(buf, sizeof buf, NTP_MODE_CLIENT, 0, NULL);
		assert_int_equal(nts_request(s, buf, sizeof buf, &used, uid), 0);
		assert_int_equal(nts_session_cookies(s), 2 - k);

		struct nts_ef_view v;
		assert_int_equal(nts_ef_parse(buf, used, &v), NTS_EF_OK);
		assert_true(v.have_uid);
		assert_int_equal(v.uid_len, NTS_UID_LEN);
		assert_memory_equal(buf + v.uid_off, uid, NTS_UID_LEN);
		assert_int_equal(v.n_cookies, 1);
		/* 8 - 1 - cookies left: 5, 6, 7 */
		assert_int_equal(v.n_placeholders, NTS_MAX_COOKIES - 1 - (2 - k));
		assert_true(v.have_auth);
		assert_false(v.after_auth);
		assert_int_equal(v.nonce_len, AEAD_NONCE_LEN);
		assert_int_equal(v.ct_len, AEAD_TAG_LEN); /* empty plaintext */
		assert_int_equal(v.ad_len + 4 + 4 + AEAD_NONCE_LEN + AEAD_TAG_LEN, used);

		/* The cookie sent is the oldest one (FIFO), and only once. */
		size_t coff = v.uid_off + NTS_UID_LEN;
		assert_int_equal(buf[coff] << 8 | buf[coff + 1], NTS_EF_COOKIE);
		uint8_t want[COOKIE_LEN];
		memset(want, 0x10 + (int)k, sizeof want);
		assert_memory_equal(buf + coff + 4, want, COOKIE_LEN);

		uint8_t pt[1];
		size_t pt_len = 0;
		assert_int_equal(aead_decrypt(AEAD, r.c2s, KEY_LEN, buf + v.nonce_off, v.nonce_len,
					      buf, v.ad_len, buf + v.ct_off, v.ct_len, pt, &pt_len),
				 0);
		assert_int_equal(pt_len, 0);
		/* ... and not with the other key. */
		assert_int_equal(aead_decrypt(AEAD, r.s2c, KEY_LEN, buf + v.nonce_off, v.nonce_len,
					      buf, v.ad_len, buf + v.ct_off, v.ct_len, pt, &pt_len),
				 -EBADMSG);
	}
	/* No cookie left: nothing is written. */
	uint8_t buf[2048], uid[NTS_UID_LEN];
	size_t used = NTP_HEADER_LEN;
	assert_int_equal(nts_request(s, buf, sizeof buf, &used, uid), -ENOENT);
	assert_int_equal(used, NTP_HEADER_LEN);
	nts_session_free(s);
	nts_ke_result_wipe(&r);
}

static void request_needs_room(void **state)
{
	(void)state;
	nts_session *s = session_with(8);
	uint8_t buf[256], uid[NTS_UID_LEN];
	size_t used = header(buf, sizeof buf, NTP_MODE_CLIENT, 0, NULL);
	/* header 48 + uid 36 + cookie 104 + authenticator 40 = 228 fits
	 * (8 cookies: no placeholder) */
	assert_int_equal(nts_request(s, buf, 228, &used, uid), 0);
	assert_int_equal(used, 228);
	assert_int_equal(nts_session_cookies(s), 7);
	/* With one cookie spent a placeholder is asked for: 332 octets. */
	used = NTP_HEADER_LEN;
	assert_int_equal(nts_request(s, buf, 256, &used, uid), -ENOSPC);
	assert_int_equal(used, NTP_HEADER_LEN);
	assert_int_equal(nts_session_cookies(s), 7); /* not spent */
	nts_session_free(s);
}

/* Two requests never share a unique identifier or a cookie. */
static void requests_differ(void **state)
{
	(void)state;
	nts_session *s = session_with(8);
	uint8_t a[2048], b[2048], ua[NTS_UID_LEN], ub[NTS_UID_LEN];
	size_t la = NTP_HEADER_LEN, lb = NTP_HEADER_LEN;
	memset(a, 0, NTP_HEADER_LEN);
	memset(b, 0, NTP_HEADER_LEN);
	assert_int_equal(nts_request(s, a, sizeof a, &la, ua), 0);
	assert_int_equal(nts_request(s, b, sizeof b, &lb, ub), 0);
	assert_memory_not_equal(ua, ub, NTS_UID_LEN);
	assert_memory_not_equal(a + NTP_HEADER_LEN + 4 + NTS_UID_LEN + 4,
				b + NTP_HEADER_LEN + 4 + NTS_UID_LEN + 4, COOKIE_LEN);
	nts_session_free(s);
}

static const uint8_t *s2c_key(void)
{
	static struct nts_ke_result r;
	static bool made;
	if (!made) {
		r = make_result(1);
		made = true;
	}
	return r.s2c;
}

static void reply_ok(void **state)
{
	(void)state;
	nts_session *s = session_with(1);
	uint8_t uid[NTS_UID_LEN], buf[2048];
	size_t used = NTP_HEADER_LEN, off;
	memset(buf, 0, sizeof buf);
	assert_int_equal(nts_request(s, buf, sizeof buf, &used, uid), 0);
	assert_int_equal(nts_session_cookies(s), 0);
	struct reply_spec sp = { .uid = true, .auth = true, .cookies = 8, .key = s2c_key() };
	size_t n = make_reply(buf, sizeof buf, uid, &sp, &off);
	/* An exact-size copy, so that ASan sees any read past the end. */
	uint8_t *p = malloc(n);
	assert_non_null(p);
	memcpy(p, buf, n);
	assert_int_equal(nts_reply(s, p, n, uid, false), NTS_V_OK);
	assert_int_equal(nts_session_cookies(s), 8);
	/* The new cookies are spent in the order they came. */
	used = NTP_HEADER_LEN;
	uint8_t req[2048];
	memset(req, 0, NTP_HEADER_LEN);
	assert_int_equal(nts_request(s, req, sizeof req, &used, uid), 0);
	uint8_t want[COOKIE_LEN];
	memset(want, 0xa0, sizeof want);
	assert_memory_equal(req + NTP_HEADER_LEN + 4 + NTS_UID_LEN + 4, want, COOKIE_LEN);
	free(p);
	nts_session_free(s);
}

/* Each alteration of a good reply, and what the session must say. */
static void reply_altered(void **state)
{
	(void)state;
	uint8_t uid[NTS_UID_LEN];
	for (size_t i = 0; i < sizeof uid; i++)
		uid[i] = (uint8_t)(i * 7 + 1);
	struct reply_spec good = { .uid = true, .auth = true, .cookies = 3, .key = s2c_key() };
	uint8_t buf[2048];
	size_t off;
	size_t n = make_reply(buf, sizeof buf, uid, &good, &off);
	struct nts_ef_view v;
	assert_int_equal(nts_ef_parse(buf, n, &v), NTS_EF_OK);

	/* Every single bit of the header, the unique identifier, the
	 * authenticator's lengths, nonce and ciphertext. */
	for (size_t i = 0; i < n * 8; i++) {
		nts_session *s = session_with(1);
		uint8_t *p = malloc(n);
		assert_non_null(p);
		memcpy(p, buf, n);
		p[i / 8] ^= (uint8_t)(1u << (i % 8));
		enum nts_verdict got = nts_reply(s, p, n, uid, false);
		if (got == NTS_V_OK) {
			/* Only the padding of the nonce or ciphertext (none
			 * here) or the unused octets could change unseen. */
			fail_msg("bit %zu (octet %zu) flipped and the reply still passed", i,
				 i / 8);
		}
		size_t o = i / 8;
		if (o >= v.ct_off && o < v.ct_off + v.ct_len)
			assert_int_equal(got, NTS_V_BAD_AUTH); /* ciphertext or tag */
		else if (o >= v.nonce_off && o < v.nonce_off + v.nonce_len)
			assert_int_equal(got, NTS_V_BAD_AUTH); /* nonce */
		else if (o < NTP_HEADER_LEN)
			assert_int_equal(got, NTS_V_BAD_AUTH); /* associated data */
		else if (o >= v.uid_off && o < v.uid_off + NTS_UID_LEN)
			assert_int_equal(got, NTS_V_NO_UID);
		assert_int_equal(nts_session_cookies(s), 1); /* nothing taken */
		free(p);
		nts_session_free(s);
	}

	/* The same reply checked against another request's identifier. */
	nts_session *s = session_with(1);
	uint8_t other[NTS_UID_LEN];
	memcpy(other, uid, sizeof other);
	other[31] ^= 1;
	assert_int_equal(nts_reply(s, buf, n, other, false), NTS_V_NO_UID);
	/* Made with the client-to-server key (a reflected request). */
	struct nts_ke_result r = make_result(1);
	struct reply_spec refl = good;
	refl.key = r.c2s;
	n = make_reply(buf, sizeof buf, uid, &refl, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_BAD_AUTH);
	/* Truncated anywhere. */
	n = make_reply(buf, sizeof buf, uid, &good, &off);
	for (size_t cut = 0; cut < n; cut++)
		assert_int_not_equal(nts_reply(s, buf, cut, uid, false), NTS_V_OK);
	assert_int_equal(nts_session_cookies(s), 1);
	assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_OK);
	assert_int_equal(nts_session_cookies(s), 4);
	nts_session_free(s);
}

static void reply_shapes(void **state)
{
	(void)state;
	uint8_t uid[NTS_UID_LEN], buf[2048];
	memset(uid, 0x42, sizeof uid);
	size_t off, n;
	nts_session *s = session_with(1);

	struct reply_spec sp = { .uid = false, .auth = true, .cookies = 1, .key = s2c_key() };
	n = make_reply(buf, sizeof buf, uid, &sp, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_NO_UID);

	sp = (struct reply_spec){ .uid = true, .auth = false, .key = s2c_key() };
	n = make_reply(buf, sizeof buf, uid, &sp, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_NO_AUTH);

	/* A plain NTP reply: no NTS at all. */
	n = header(buf, sizeof buf, NTP_MODE_SERVER, 2, "GPS\0");
	assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_NO_UID);

	/* A field after the authenticator is not covered by it. */
	sp = (struct reply_spec){
		.uid = true, .auth = true, .cookies = 1, .key = s2c_key(), .field_after = true
	};
	n = make_reply(buf, sizeof buf, uid, &sp, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_MALFORMED);

	/* Unencrypted cookies are not taken (the encrypted one is). */
	sp = (struct reply_spec){ .uid = true,
				  .auth = true,
				  .cookies = 1,
				  .key = s2c_key(),
				  .unencrypted_cookie = true };
	n = make_reply(buf, sizeof buf, uid, &sp, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_OK);
	assert_int_equal(nts_session_cookies(s), 2);

	/* A reply without cookies is still authentic. */
	sp = (struct reply_spec){ .uid = true, .auth = true, .cookies = 0, .key = s2c_key() };
	n = make_reply(buf, sizeof buf, uid, &sp, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_OK);
	assert_int_equal(nts_session_cookies(s), 2);

	/* More cookies than room: the store holds at most 8. */
	for (int i = 0; i < 3; i++) {
		sp = (struct reply_spec){
			.uid = true, .auth = true, .cookies = 5, .key = s2c_key()
		};
		n = make_reply(buf, sizeof buf, uid, &sp, &off);
		assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_OK);
	}
	assert_int_equal(nts_session_cookies(s), NTS_MAX_COOKIES);

	/* NTS NAK (kiss code NTSN): with our identifier, or none. */
	sp = (struct reply_spec){ .uid = true, .kod = "NTSN" };
	n = make_reply(buf, sizeof buf, uid, &sp, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, true), NTS_V_NAK);
	sp = (struct reply_spec){ .uid = false, .kod = "NTSN" };
	n = make_reply(buf, sizeof buf, uid, &sp, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, true), NTS_V_NAK);
	/* ... but not one naming another request. */
	uint8_t other[NTS_UID_LEN];
	memset(other, 0x43, sizeof other);
	sp = (struct reply_spec){ .uid = true, .kod = "NTSN" };
	n = make_reply(buf, sizeof buf, other, &sp, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, true), NTS_V_NO_UID);
	/* A kiss code other than NTSN must authenticate like any reply. */
	sp = (struct reply_spec){ .uid = true, .kod = "RATE" };
	n = make_reply(buf, sizeof buf, uid, &sp, &off);
	assert_int_equal(nts_reply(s, buf, n, uid, false), NTS_V_NO_AUTH);
	assert_int_equal(nts_session_cookies(s), NTS_MAX_COOKIES);
	nts_session_free(s);

	for (int v = NTS_V_OK; v <= NTS_V_MALFORMED; v++)
		assert_string_not_equal(nts_verdict_name((enum nts_verdict)v), "unknown");
}

/* Random octets after a header, and random changes to a good reply: never
 * accepted, never a crash.  Prints its seed. */
static void reply_random(void **state)
{
	(void)state;
	unsigned seed = (unsigned)time(NULL);
	const char *env = getenv("SUNDIAL_TEST_SEED");
	if (env)
		seed = (unsigned)strtoul(env, NULL, 10);
	printf("# reply_random: seed %u (SUNDIAL_TEST_SEED to repeat)\n", seed);
	srand(seed);
	uint8_t uid[NTS_UID_LEN];
	memset(uid, 0x5a, sizeof uid);
	struct reply_spec good = { .uid = true, .auth = true, .cookies = 2, .key = s2c_key() };
	uint8_t ref[2048];
	size_t off, rn = make_reply(ref, sizeof ref, uid, &good, &off);
	nts_session *s = session_with(1);
	for (int i = 0; i < 10000; i++) {
		size_t n = (size_t)rand() % 1200;
		uint8_t *p = malloc(n ? n : 1);
		assert_non_null(p);
		if (i % 2 && n <= rn) {
			memcpy(p, ref, n);
			for (int k = 0; k < 1 + rand() % 4; k++)
				if (n)
					p[(size_t)rand() % n] ^= (uint8_t)(1 + rand() % 255);
			if (n == rn && memcmp(p, ref, n) == 0)
				p[n - 1] ^= 1;
		} else {
			for (size_t k = 0; k < n; k++)
				p[k] = (uint8_t)rand();
		}
		enum nts_verdict v = nts_reply(s, p, n, uid, (i % 7) == 0);
		assert_true(v != NTS_V_OK);
		free(p);
	}
	assert_int_equal(nts_session_cookies(s), 1);
	nts_session_free(s);
}

/* --- the key exchange, where no server is needed --- */

static int listener(struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)sa, sizeof *sa), 0);
	socklen_t sl = sizeof *sa;
	assert_int_equal(getsockname(fd, (struct sockaddr *)sa, &sl), 0);
	return fd;
}

static void ke_refused(void **state)
{
	(void)state;
	struct sockaddr_in sa;
	int fd = listener(&sa); /* bound, not listening: connections are refused */
	struct nts_ke_opts o = { .host = "127.0.0.1", .port = ntohs(sa.sin_port), .timeout = 2 };
	struct nts_ke_result r;
	char err[512];
	assert_int_equal(nts_ke_run(&o, &r, err, sizeof err), -ECONNREFUSED);
	assert_int_equal(r.fail, NTS_KE_F_CONNECT);
	assert_non_null(strstr(err, "refused"));
	assert_false(r.have_cert);
	close(fd);
}

static void ke_silent(void **state)
{
	(void)state;
	struct sockaddr_in sa;
	int fd = listener(&sa);
	assert_int_equal(listen(fd, 4), 0); /* the kernel accepts; nobody answers */
	struct nts_ke_opts o = { .host = "127.0.0.1", .port = ntohs(sa.sin_port), .timeout = 0.3 };
	struct nts_ke_result r;
	char err[512];
	double t0 = clock_mono_sec();
	assert_int_equal(nts_ke_run(&o, &r, err, sizeof err), -ETIMEDOUT);
	double took = clock_mono_sec() - t0;
	assert_int_equal(r.fail, NTS_KE_F_TIMEOUT);
	assert_non_null(strstr(err, "TLS handshake"));
	assert_true(took >= 0.29 && took < 2.0);
	close(fd);
}

static void ke_bad_ca_file(void **state)
{
	(void)state;
	struct nts_ke_opts o = {
		.host = "127.0.0.1", .port = 9, .timeout = 1, .ca_file = "/nonexistent/ca.pem"
	};
	struct nts_ke_result r;
	char err[512];
	assert_int_equal(nts_ke_run(&o, &r, err, sizeof err), -EINVAL);
	assert_int_equal(r.fail, NTS_KE_F_TLS);
	assert_non_null(strstr(err, "/nonexistent/ca.pem"));
}

/* A self-signed CA certificate ("CN=sundial unit test CA", EC P-256, valid
 * until 2126), made with `openssl req -x509 -newkey ec`. */
static const char test_ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBlDCCATugAwIBAgIUJfEu5L65iW4IFJtvHBvstj3ZJs0wCgYIKoZIzj0EAwIw\n"
	"HzEdMBsGA1UEAwwUc3VuZGlhbCB1bml0IHRlc3QgQ0EwIBcNMjYxMTI2MTcyNzA1\n"
	"WhgPMjEyNjExMDIxNzI3MDVaMB8xHTAbBgNVBAMMFHN1bmRpYWwgdW5pdCB0ZXN0\n"
	"IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEv6CXxyxjmwx1iB1aqmcMM1Jl\n"
	"E33v8cnIUruvSypWtiYMIR7II9m37/ihEtKwAzyodOmQGhAmmMkwZmEBhK+i7qNT\n"
	"MFEwHQYDVR0OBBYEFD6sCtWmi1I5/elaIcMkWWkqZZUtMB8GA1UdIwQYMBaAFD6s\n"
	"CtWmi1I5/elaIcMkWWkqZZUtMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwID\n"
	"RwAwRAIgZ9bClwdWQmKeKK/krfXPBR/db3K6jiFK1QfxqsZyRJ4CIDu9lGvFLLg2\n"
	"sIp0wZvrOlDnQxNDgihla59kNbmxK4W1\n"
	"-----END CERTIFICATE-----\n";

static void ca_file_check(void **state)
{
	(void)state;
	char path[] = "/tmp/sundial-test-ca.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("not a certificate\n", f);
	fclose(f);
	char err[512];
	assert_int_equal(nts_ke_check_ca_file(path, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "no usable PEM certificate"));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(test_ca_pem, f);
	fclose(f);
	assert_int_equal(nts_ke_check_ca_file(path, err, sizeof err), 0);
	/* ... which nts_ke_run() then takes: the failure is the connection. */
	struct sockaddr_in sa;
	int lfd = listener(&sa);
	struct nts_ke_opts o = {
		.host = "127.0.0.1", .port = ntohs(sa.sin_port), .timeout = 1, .ca_file = path
	};
	struct nts_ke_result r;
	assert_int_equal(nts_ke_run(&o, &r, err, sizeof err), -ECONNREFUSED);
	assert_int_equal(r.fail, NTS_KE_F_CONNECT);
	close(lfd);
	unlink(path);
	assert_int_equal(nts_ke_check_ca_file(path, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "cannot read the CA file"));
}

static void ke_no_host(void **state)
{
	(void)state;
	struct nts_ke_opts o = { .host = "", .timeout = 1 };
	struct nts_ke_result r;
	char err[512];
	assert_int_equal(nts_ke_run(&o, &r, err, sizeof err), -EINVAL);
	assert_int_equal(r.fail, NTS_KE_F_RESOLVE);
	assert_int_equal(r.error_code, -1);
	for (int f = NTS_KE_F_NONE; f <= NTS_KE_F_NO_COOKIES; f++)
		assert_string_not_equal(nts_ke_fail_name((enum nts_ke_fail)f), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_session),	      cmocka_unit_test(request_layout),
		cmocka_unit_test(request_needs_room), cmocka_unit_test(requests_differ),
		cmocka_unit_test(reply_ok),	      cmocka_unit_test(reply_altered),
		cmocka_unit_test(reply_shapes),	      cmocka_unit_test(reply_random),
		cmocka_unit_test(ke_refused),	      cmocka_unit_test(ke_silent),
		cmocka_unit_test(ke_bad_ca_file),     cmocka_unit_test(ke_no_host),
		cmocka_unit_test(ca_file_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
