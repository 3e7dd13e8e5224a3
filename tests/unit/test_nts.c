/* test_nts.c - the NTS codec (src/wire/nts.c): NTS-KE records and the NTS
 * extension fields of NTP packets (RFC 8915).
 *
 * 1. NTS-KE request: exact bytes.
 * 2. NTS-KE responses: a chrony-like response (Next Protocol, AEAD 15,
 *    eight cookies, End of Message) parses; cut at every octet it is
 *    INCOMPLETE until the last; every status has its cases; what the
 *    records say (protocol lists, empty AEAD, cookies kept and dropped,
 *    server, port, error, warning) is recorded.
 * 3. Extension fields: the NTS exchange of tcpdump's tests/ntp-time-ef.pcap
 *    (a client's request to time.cloudflare.com and its reply) parses as
 *    tshark and tcpdump dissect it, and the encoders rebuild both packets
 *    octet for octet from their parts; round trips; every status; the
 *    authenticator's lengths; fields after the authenticator; cookies in a
 *    plaintext.
 * 4. Randomised rejection loops (as chrony's unit tests do): 10,000 random
 *    inputs and 10,000 mutations of valid ones for each parser, every
 *    result checked for consistency, exact-size copies so that ASan sees
 *    any overread.  The seed is printed; TEST_SEED=<n> replays a run.
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

#include "wire/ntp.h"
#include "wire/nts.h"

/* A heap copy of exactly len bytes, so that ASan sees any read past it. */
static uint8_t *dup_exact(const void *p, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	assert_non_null(b);
	if (len)
		memcpy(b, p, len);
	return b;
}

static enum nts_ke_status ke_parse_copy(const uint8_t *p, size_t len, struct nts_ke_response *out)
{
	uint8_t *b = dup_exact(p, len);
	enum nts_ke_status st = nts_ke_parse(b, len, out);
	free(b);
	return st;
}

static enum nts_ef_status ef_parse_copy(const uint8_t *p, size_t len, struct nts_ef_view *out)
{
	uint8_t *b = dup_exact(p, len);
	enum nts_ef_status st = nts_ef_parse(b, len, out);
	free(b);
	return st;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* ------------------------------------------------------------------------
 * 1. NTS-KE request
 * ------------------------------------------------------------------------ */

static void ke_request_bytes(void **state)
{
	(void)state;
	/* RFC 8915 section 4: what chrony's prepare_request() sends. */
	static const uint8_t want[] = {
		0x80, 0x01, 0x00, 0x02, 0x00, 0x00, /* critical Next Protocol: NTPv4 */
		0x80, 0x04, 0x00, 0x02, 0x00, 0x0f, /* critical AEAD: AES-SIV-CMAC-256 */
		0x80, 0x00, 0x00, 0x00,		    /* critical End of Message */
	};
	uint8_t buf[64];
	const uint16_t one[] = { NTS_AEAD_AES_SIV_CMAC_256 };
	memset(buf, 0xaa, sizeof buf);
	assert_int_equal(nts_ke_request(buf, sizeof buf, one, 1), sizeof want);
	assert_memory_equal(buf, want, sizeof want);
	assert_int_equal(buf[sizeof want], 0xaa);

	/* Three algorithms, in the order of preference given. */
	static const uint8_t want3[] = {
		0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x80, 0x04, 0x00, 0x06,
		0x00, 0x11, 0x00, 0x0f, 0x00, 0x1e, 0x80, 0x00, 0x00, 0x00,
	};
	const uint16_t three[] = { NTS_AEAD_AES_SIV_CMAC_512, NTS_AEAD_AES_SIV_CMAC_256,
				   NTS_AEAD_AES_128_GCM_SIV };
	assert_int_equal(nts_ke_request(buf, sizeof buf, three, 3), sizeof want3);
	assert_memory_equal(buf, want3, sizeof want3);

	/* Too small a buffer, at every size; no or too many ids. */
	for (size_t cap = 0; cap < sizeof want; cap++)
		assert_int_equal(nts_ke_request(buf, cap, one, 1), 0);
	assert_int_equal(nts_ke_request(buf, sizeof want, one, 1), sizeof want);
	assert_int_equal(nts_ke_request(buf, sizeof buf, one, 0), 0);
	uint16_t many[NTS_MAX_AEADS + 1];
	for (size_t i = 0; i <= NTS_MAX_AEADS; i++)
		many[i] = NTS_AEAD_AES_SIV_CMAC_256;
	assert_int_equal(nts_ke_request(buf, sizeof buf, many, NTS_MAX_AEADS),
			 16 + 2 * (NTS_MAX_AEADS - 1));
	assert_int_equal(nts_ke_request(buf, sizeof buf, many, NTS_MAX_AEADS + 1), 0);
	assert_int_equal(nts_ke_request(buf, sizeof buf, NULL, 1), 0);
	assert_int_equal(nts_ke_request(NULL, sizeof buf, one, 1), 0);

	/* The request is itself a well-formed message for the parser. */
	struct nts_ke_response r;
	assert_int_equal(nts_ke_request(buf, sizeof buf, one, 1), sizeof want);
	assert_int_equal(ke_parse_copy(buf, sizeof want, &r), NTS_KE_OK);
	assert_true(r.have_next && r.have_aead && r.have_end);
	assert_int_equal(r.next_protocol, NTS_NEXT_NTPV4);
	assert_int_equal(r.aead, NTS_AEAD_AES_SIV_CMAC_256);
}

/* ------------------------------------------------------------------------
 * 2. NTS-KE responses
 * ------------------------------------------------------------------------ */

#define KE_CAP (NTS_KE_MAX_RESPONSE + 1024)

struct ke_msg {
	size_t len;
	uint8_t b[KE_CAP];
};

static void put_rec(struct ke_msg *m, bool critical, uint16_t type, const void *body, size_t blen)
{
	assert_true(blen <= 0xffff && m->len + 4 + blen <= KE_CAP);
	uint16_t t = (uint16_t)(type | (critical ? NTS_KE_CRITICAL : 0));
	m->b[m->len++] = (uint8_t)(t >> 8);
	m->b[m->len++] = (uint8_t)t;
	m->b[m->len++] = (uint8_t)(blen >> 8);
	m->b[m->len++] = (uint8_t)blen;
	if (blen)
		memcpy(m->b + m->len, body, blen);
	m->len += blen;
}

static void put_u16s(struct ke_msg *m, bool critical, uint16_t type, const uint16_t *v, size_t n)
{
	uint8_t body[64];
	assert_true(2 * n <= sizeof body);
	for (size_t i = 0; i < n; i++) {
		body[2 * i] = (uint8_t)(v[i] >> 8);
		body[2 * i + 1] = (uint8_t)v[i];
	}
	put_rec(m, critical, type, body, 2 * n);
}

static void put_u16(struct ke_msg *m, bool critical, uint16_t type, uint16_t v)
{
	put_u16s(m, critical, type, &v, 1);
}

static void put_end(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_END, NULL, 0);
}

static void cookie_bytes(uint8_t *c, size_t len, unsigned k)
{
	for (size_t i = 0; i < len; i++)
		c[i] = (uint8_t)(k * 31 + i * 7 + 1);
}

#define CHRONY_COOKIE_LEN 100 /* key id, nonce, and SIV(c2s || s2c): 4 + 16 + 16 + 64 */

/* What chronyd's NTS-KE server sends a client that offered AES-SIV-CMAC-256:
 * critical Next Protocol (NTPv4), critical AEAD (15), eight New Cookie
 * records (not critical), critical End of Message (chrony nts_ke_server.c
 * prepare_response()). */
static void chrony_like(struct ke_msg *m)
{
	m->len = 0;
	put_u16(m, true, NTS_KE_NEXT_PROTOCOL, NTS_NEXT_NTPV4);
	put_u16(m, true, NTS_KE_AEAD, NTS_AEAD_AES_SIV_CMAC_256);
	for (unsigned k = 0; k < 8; k++) {
		uint8_t c[CHRONY_COOKIE_LEN];
		cookie_bytes(c, sizeof c, k);
		put_rec(m, false, NTS_KE_COOKIE, c, sizeof c);
	}
	put_end(m);
}

static void ke_chrony_response(void **state)
{
	(void)state;
	static struct ke_msg m;
	chrony_like(&m);
	assert_int_equal(m.len, 6 + 6 + 8 * (4 + CHRONY_COOKIE_LEN) + 4);
	/* The first records, as they are on the wire. */
	static const uint8_t head[] = { 0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x80, 0x04,
					0x00, 0x02, 0x00, 0x0f, 0x00, 0x05, 0x00, 0x64 };
	assert_memory_equal(m.b, head, sizeof head);
	static const uint8_t tail[] = { 0x80, 0x00, 0x00, 0x00 };
	assert_memory_equal(m.b + m.len - 4, tail, 4);

	struct nts_ke_response r;
	assert_int_equal(ke_parse_copy(m.b, m.len, &r), NTS_KE_OK);
	assert_true(r.have_next && r.have_aead && r.have_end);
	assert_int_equal(r.next_protocol, NTS_NEXT_NTPV4);
	assert_int_equal(r.aead, NTS_AEAD_AES_SIV_CMAC_256);
	assert_int_equal(r.error, -1);
	assert_int_equal(r.warning, -1);
	assert_int_equal(r.port, -1);
	assert_string_equal(r.server, "");
	assert_int_equal(r.unknown_critical, 0);
	assert_int_equal(r.n_cookies, 8);
	assert_int_equal(r.cookies_dropped, 0);
	for (unsigned k = 0; k < 8; k++) {
		uint8_t c[CHRONY_COOKIE_LEN];
		cookie_bytes(c, sizeof c, k);
		assert_int_equal(r.cookie_len[k], CHRONY_COOKIE_LEN);
		assert_memory_equal(r.cookie[k], c, sizeof c);
	}
}

/* Records arrive split across TLS reads: every prefix is INCOMPLETE, and
 * the result of each prefix does not depend on what *out held. */
static void ke_split_everywhere(void **state)
{
	(void)state;
	static struct ke_msg m;
	chrony_like(&m);
	static struct nts_ke_response r;
	for (size_t n = 0; n < m.len; n++) {
		memset(&r, 0x5a, sizeof r);
		assert_int_equal(ke_parse_copy(m.b, n, &r), NTS_KE_INCOMPLETE);
		assert_false(r.have_end);
		assert_true(r.n_cookies <= 8);
	}
	assert_int_equal(ke_parse_copy(m.b, m.len, &r), NTS_KE_OK);

	/* With Server and Port records and a Warning too. */
	m.len = 0;
	put_u16(&m, true, NTS_KE_NEXT_PROTOCOL, NTS_NEXT_NTPV4);
	put_u16(&m, false, NTS_KE_AEAD, NTS_AEAD_AES_SIV_CMAC_512);
	put_rec(&m, true, NTS_KE_SERVER, "ntp.example.net", 15);
	put_u16(&m, true, NTS_KE_PORT_NEG, 10123);
	put_u16(&m, true, NTS_KE_WARNING, 7);
	put_rec(&m, false, NTS_KE_COOKIE, "cookie-1", 8);
	put_end(&m);
	for (size_t n = 0; n < m.len; n++)
		assert_int_equal(ke_parse_copy(m.b, n, &r), NTS_KE_INCOMPLETE);
	assert_int_equal(ke_parse_copy(m.b, m.len, &r), NTS_KE_OK);
	assert_string_equal(r.server, "ntp.example.net");
	assert_int_equal(r.port, 10123);
	assert_int_equal(r.warning, 7);
	assert_int_equal(r.error, -1);
	assert_int_equal(r.aead, NTS_AEAD_AES_SIV_CMAC_512);
	assert_int_equal(r.n_cookies, 1);
	assert_int_equal(r.cookie_len[0], 8);
	assert_memory_equal(r.cookie[0], "cookie-1", 8);
}

/* One response built by fn, parsed: its status and result. */
static enum nts_ke_status ke_one(void (*fn)(struct ke_msg *), struct nts_ke_response *r)
{
	static struct ke_msg m;
	m.len = 0;
	fn(&m);
	return ke_parse_copy(m.b, m.len, r);
}

/* Next Protocol lists (section 4.1.2). */
static void np_ntpv4_only(struct ke_msg *m)
{
	put_u16(m, true, NTS_KE_NEXT_PROTOCOL, 0);
	put_end(m);
}
static void np_other_then_ntpv4(struct ke_msg *m)
{
	const uint16_t v[] = { 0x8001, 0, 0x8002 };
	put_u16s(m, true, NTS_KE_NEXT_PROTOCOL, v, 3);
	put_end(m);
}
static void np_without_ntpv4(struct ke_msg *m)
{
	const uint16_t v[] = { 0x8001, 0x8002 };
	put_u16s(m, true, NTS_KE_NEXT_PROTOCOL, v, 2);
	put_end(m);
}
static void np_empty(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_NEXT_PROTOCOL, NULL, 0);
	put_end(m);
}
static void aead_empty(struct ke_msg *m)
{
	put_u16(m, true, NTS_KE_NEXT_PROTOCOL, 0);
	put_rec(m, true, NTS_KE_AEAD, NULL, 0);
	put_end(m);
}
static void error_bad_request(struct ke_msg *m)
{
	put_u16(m, true, NTS_KE_ERROR, 1);
	put_u16(m, true, NTS_KE_ERROR, 2); /* a second one: the first is kept */
	put_u16(m, true, NTS_KE_WARNING, 9);
	put_u16(m, true, NTS_KE_WARNING, 10);
	put_end(m);
}
static void unknown_noncritical(struct ke_msg *m)
{
	put_u16(m, true, NTS_KE_NEXT_PROTOCOL, 0);
	put_rec(m, false, 1024, "chrony's compliant-128GCM record", 32);
	put_rec(m, false, 0x7fff, NULL, 0);
	put_rec(m, false, 8, "x", 1);
	put_end(m);
}
static void bare_end(struct ke_msg *m)
{
	put_end(m);
}

static void ke_what_records_say(void **state)
{
	(void)state;
	struct nts_ke_response r;
	assert_int_equal(ke_one(np_ntpv4_only, &r), NTS_KE_OK);
	assert_true(r.have_next);
	assert_int_equal(r.next_protocol, NTS_NEXT_NTPV4);
	assert_false(r.have_aead);
	assert_int_equal(ke_one(np_other_then_ntpv4, &r), NTS_KE_OK);
	assert_int_equal(r.next_protocol, NTS_NEXT_NTPV4);
	assert_int_equal(ke_one(np_without_ntpv4, &r), NTS_KE_OK);
	assert_true(r.have_next);
	assert_int_equal(r.next_protocol, 0x8001);
	assert_int_equal(ke_one(np_empty, &r), NTS_KE_OK);
	assert_true(r.have_next);
	assert_int_equal(r.next_protocol, NTS_NEXT_NONE);
	assert_int_equal(ke_one(aead_empty, &r), NTS_KE_OK);
	assert_true(r.have_aead);
	assert_int_equal(r.aead, 0);
	assert_int_equal(ke_one(error_bad_request, &r), NTS_KE_OK);
	assert_int_equal(r.error, 1);
	assert_int_equal(r.warning, 9);
	assert_false(r.have_next || r.have_aead);
	assert_int_equal(ke_one(unknown_noncritical, &r), NTS_KE_OK);
	assert_int_equal(r.unknown_critical, 0);
	assert_int_equal(r.next_protocol, NTS_NEXT_NTPV4);
	assert_int_equal(ke_one(bare_end, &r), NTS_KE_OK);
	assert_false(r.have_next || r.have_aead);
	assert_true(r.have_end);
	assert_int_equal(r.error, -1);
	assert_int_equal(r.warning, -1);
	assert_int_equal(r.port, -1);
}

static void ke_cookies(void **state)
{
	(void)state;
	static struct ke_msg m;
	struct nts_ke_response r;
	uint8_t c[NTS_MAX_COOKIE_LEN + 1];
	/* Ten cookies: eight kept, in order, two dropped and counted. */
	m.len = 0;
	for (unsigned k = 0; k < 10; k++) {
		cookie_bytes(c, 64 + k, k);
		put_rec(&m, false, NTS_KE_COOKIE, c, 64 + k);
	}
	put_end(&m);
	assert_int_equal(ke_parse_copy(m.b, m.len, &r), NTS_KE_OK);
	assert_int_equal(r.n_cookies, 8);
	assert_int_equal(r.cookies_dropped, 2);
	for (unsigned k = 0; k < 8; k++) {
		cookie_bytes(c, 64 + k, k);
		assert_int_equal(r.cookie_len[k], 64 + k);
		assert_memory_equal(r.cookie[k], c, 64 + k);
	}
	/* Too long (257) and empty ones are dropped; 1 and 256 are kept. */
	m.len = 0;
	cookie_bytes(c, sizeof c, 3);
	put_rec(&m, false, NTS_KE_COOKIE, c, NTS_MAX_COOKIE_LEN + 1);
	put_rec(&m, false, NTS_KE_COOKIE, NULL, 0);
	put_rec(&m, false, NTS_KE_COOKIE, c, NTS_MAX_COOKIE_LEN);
	put_rec(&m, true, NTS_KE_COOKIE, c, 1); /* critical: accepted all the same */
	put_end(&m);
	assert_int_equal(ke_parse_copy(m.b, m.len, &r), NTS_KE_OK);
	assert_int_equal(r.n_cookies, 2);
	assert_int_equal(r.cookies_dropped, 2);
	assert_int_equal(r.cookie_len[0], NTS_MAX_COOKIE_LEN);
	assert_memory_equal(r.cookie[0], c, NTS_MAX_COOKIE_LEN);
	assert_int_equal(r.cookie_len[1], 1);
	assert_int_equal(r.cookie[1][0], c[0]);
}

static void ke_server_names(void **state)
{
	(void)state;
	static struct ke_msg m;
	struct nts_ke_response r;
	static const char *const good[] = {
		"ntp.example.net", "192.0.2.1", "2001:db8::123",
		"[2001:db8::1]",   "a",		"time.cloudflare.com."
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		m.len = 0;
		put_rec(&m, true, NTS_KE_SERVER, good[i], strlen(good[i]));
		put_end(&m);
		assert_int_equal(ke_parse_copy(m.b, m.len, &r), NTS_KE_OK);
		assert_string_equal(r.server, good[i]);
	}
	char name[NTS_MAX_SERVER_LEN + 1];
	memset(name, 'n', sizeof name);
	m.len = 0;
	put_rec(&m, true, NTS_KE_SERVER, name, NTS_MAX_SERVER_LEN);
	put_end(&m);
	assert_int_equal(ke_parse_copy(m.b, m.len, &r), NTS_KE_OK);
	assert_int_equal(strlen(r.server), NTS_MAX_SERVER_LEN);

	/* Empty, too long, spaces, control characters, NUL, non-ASCII. */
	struct {
		const char *s;
		size_t len;
	} bad[] = {
		{ "", 0 },
		{ name, NTS_MAX_SERVER_LEN + 1 },
		{ "ntp example", 11 },
		{ "ntp\n", 4 },
		{ "ntp\0evil", 8 },
		{ "n\x7ftp", 4 },
		{ "\xc3\xa9t\xc3\xa9", 6 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		m.len = 0;
		put_rec(&m, true, NTS_KE_SERVER, bad[i].s, bad[i].len);
		put_end(&m);
		assert_int_equal(ke_parse_copy(m.b, m.len, &r), NTS_KE_E_MALFORMED);
		assert_string_equal(r.server, "");
	}
}

/* One case per error status. */
struct ke_case {
	const char *what;
	enum nts_ke_status st;
	void (*build)(struct ke_msg *);
};

static void t_aead_1(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_AEAD, "\x00", 1);
	put_end(m);
}
static void t_np_3(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_NEXT_PROTOCOL, "\x00\x00\x00", 3);
	put_end(m);
}
static void t_error_0(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_ERROR, NULL, 0);
	put_end(m);
}
static void t_warning_1(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_WARNING, "\x01", 1);
	put_end(m);
}
static void t_port_1(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_PORT_NEG, "\x01", 1);
	put_end(m);
}
static void t_aead_4(struct ke_msg *m)
{
	const uint16_t v[] = { 15, 17 };
	put_u16s(m, true, NTS_KE_AEAD, v, 2); /* a response names one */
	put_end(m);
}
static void t_port_3(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_PORT_NEG, "\x00\x7b\x00", 3);
	put_end(m);
}
static void t_error_4(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_ERROR, "\x00\x01\x00\x02", 4);
	put_end(m);
}
static void t_end_noncritical(struct ke_msg *m)
{
	put_rec(m, false, NTS_KE_END, NULL, 0);
}
static void t_end_body(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_END, "\x00\x00", 2);
}
static void t_after_end_1(struct ke_msg *m)
{
	put_end(m);
	m->b[m->len++] = 0;
}
static void t_after_end_rec(struct ke_msg *m)
{
	np_ntpv4_only(m);
	put_rec(m, false, NTS_KE_COOKIE, "late", 4);
}
static void t_after_end_end(struct ke_msg *m)
{
	put_end(m);
	put_end(m);
}
static void t_dup_np(struct ke_msg *m)
{
	put_u16(m, true, NTS_KE_NEXT_PROTOCOL, 0);
	put_u16(m, true, NTS_KE_NEXT_PROTOCOL, 0);
	put_end(m);
}
static void t_dup_aead(struct ke_msg *m)
{
	put_u16(m, true, NTS_KE_AEAD, 15);
	put_rec(m, true, NTS_KE_AEAD, NULL, 0);
	put_end(m);
}
static void t_dup_server(struct ke_msg *m)
{
	put_rec(m, true, NTS_KE_SERVER, "a.example", 9);
	put_rec(m, false, NTS_KE_SERVER, "b.example", 9);
	put_end(m);
}
static void t_dup_port(struct ke_msg *m)
{
	put_u16(m, true, NTS_KE_PORT_NEG, 123);
	put_u16(m, true, NTS_KE_PORT_NEG, 0);
	put_end(m);
}
static void t_unknown_critical(struct ke_msg *m)
{
	put_u16(m, true, NTS_KE_NEXT_PROTOCOL, 0);
	put_rec(m, true, 8, NULL, 0);
	put_end(m);
}
static void t_unknown_critical_1024(struct ke_msg *m)
{
	put_rec(m, true, 1024, "x", 1);
	put_end(m);
}
static void t_unknown_critical_head(struct ke_msg *m)
{
	/* Only the header has come: already enough to refuse. */
	put_rec(m, true, 0x4321, NULL, 0);
	m->b[2] = 0x10;
}
static void t_too_long(struct ke_msg *m)
{
	uint8_t c[NTS_MAX_COOKIE_LEN];
	memset(c, 1, sizeof c);
	while (m->len <= NTS_KE_MAX_RESPONSE)
		put_rec(m, false, NTS_KE_COOKIE, c, sizeof c);
	put_end(m);
}
static void t_too_long_header(struct ke_msg *m)
{
	/* A record that could only end past 65536 octets, its header alone. */
	put_u16(m, true, NTS_KE_NEXT_PROTOCOL, 0);
	put_rec(m, false, NTS_KE_COOKIE, NULL, 0);
	m->b[m->len - 2] = 0xff;
	m->b[m->len - 1] = 0xff;
}
static void t_incomplete_no_end(struct ke_msg *m)
{
	put_u16(m, true, NTS_KE_NEXT_PROTOCOL, 0);
	put_u16(m, true, NTS_KE_AEAD, 15);
}
static void t_incomplete_empty(struct ke_msg *m)
{
	(void)m;
}
static void t_incomplete_3(struct ke_msg *m)
{
	m->b[0] = 0x80;
	m->b[1] = 0x00;
	m->b[2] = 0x00;
	m->len = 3;
}

static const struct ke_case ke_cases[] = {
	{ "AEAD body of 1 octet", NTS_KE_E_TRUNCATED, t_aead_1 },
	{ "Next Protocol body of 3 octets", NTS_KE_E_TRUNCATED, t_np_3 },
	{ "empty Error", NTS_KE_E_TRUNCATED, t_error_0 },
	{ "Warning of 1 octet", NTS_KE_E_TRUNCATED, t_warning_1 },
	{ "Port of 1 octet", NTS_KE_E_TRUNCATED, t_port_1 },
	{ "two AEAD ids in a response", NTS_KE_E_MALFORMED, t_aead_4 },
	{ "Port of 3 octets", NTS_KE_E_MALFORMED, t_port_3 },
	{ "Error of 4 octets", NTS_KE_E_MALFORMED, t_error_4 },
	{ "End of Message not critical", NTS_KE_E_MALFORMED, t_end_noncritical },
	{ "End of Message with a body", NTS_KE_E_MALFORMED, t_end_body },
	{ "an octet after End of Message", NTS_KE_E_AFTER_END, t_after_end_1 },
	{ "a record after End of Message", NTS_KE_E_AFTER_END, t_after_end_rec },
	{ "two End of Message", NTS_KE_E_AFTER_END, t_after_end_end },
	{ "two Next Protocol", NTS_KE_E_DUPLICATE, t_dup_np },
	{ "two AEAD", NTS_KE_E_DUPLICATE, t_dup_aead },
	{ "two Server", NTS_KE_E_DUPLICATE, t_dup_server },
	{ "two Port", NTS_KE_E_DUPLICATE, t_dup_port },
	{ "critical type 8", NTS_KE_E_UNKNOWN_CRITICAL, t_unknown_critical },
	{ "critical type 1024", NTS_KE_E_UNKNOWN_CRITICAL, t_unknown_critical_1024 },
	{ "critical type 0x4321, header only", NTS_KE_E_UNKNOWN_CRITICAL, t_unknown_critical_head },
	{ "65536 octets without End", NTS_KE_E_TOO_LONG, t_too_long },
	{ "a record ending past 65536", NTS_KE_E_TOO_LONG, t_too_long_header },
	{ "no End of Message", NTS_KE_INCOMPLETE, t_incomplete_no_end },
	{ "nothing", NTS_KE_INCOMPLETE, t_incomplete_empty },
	{ "3 octets of a header", NTS_KE_INCOMPLETE, t_incomplete_3 },
};

static void ke_statuses(void **state)
{
	(void)state;
	bool seen[NTS_KE_E_TOO_LONG + 1] = { false };
	for (size_t i = 0; i < sizeof ke_cases / sizeof ke_cases[0]; i++) {
		struct nts_ke_response r;
		enum nts_ke_status st = ke_one(ke_cases[i].build, &r);
		if (st != ke_cases[i].st)
			fail_msg("%s: %s, want %s", ke_cases[i].what, nts_ke_strerror(st),
				 nts_ke_strerror(ke_cases[i].st));
		seen[st] = true;
		if (st == NTS_KE_E_UNKNOWN_CRITICAL)
			assert_true(r.unknown_critical == 8 || r.unknown_critical == 1024 ||
				    r.unknown_critical == 0x4321);
		else
			assert_int_equal(r.unknown_critical, 0);
	}
	for (int st = NTS_KE_INCOMPLETE; st <= NTS_KE_E_TOO_LONG; st++)
		assert_true(seen[st]);
	/* One octet over the limit, whatever it holds. */
	static uint8_t big[NTS_KE_MAX_RESPONSE + 1];
	struct nts_ke_response r;
	assert_int_equal(nts_ke_parse(big, sizeof big, &r), NTS_KE_E_TOO_LONG);
	assert_int_equal(nts_ke_parse(big, NTS_KE_MAX_RESPONSE, &r), NTS_KE_E_MALFORMED);
	big[0] = 0x80; /* critical End of Message, then 65532 octets more */
	assert_int_equal(nts_ke_parse(big, NTS_KE_MAX_RESPONSE, &r), NTS_KE_E_AFTER_END);
	big[0] = 0;
	/* A message of exactly 65536 octets is fine. */
	static struct ke_msg m;
	m.len = 0;
	put_rec(&m, false, NTS_KE_COOKIE, big, NTS_KE_MAX_RESPONSE - 8);
	put_end(&m);
	assert_int_equal(m.len, NTS_KE_MAX_RESPONSE);
	assert_int_equal(ke_parse_copy(m.b, m.len, &r), NTS_KE_OK);
	assert_int_equal(r.cookies_dropped, 1);
}

static void ke_strerror_names(void **state)
{
	(void)state;
	for (int st = NTS_KE_OK; st <= NTS_KE_E_TOO_LONG; st++) {
		const char *s = nts_ke_strerror((enum nts_ke_status)st);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_string_not_equal(s, "unknown error");
	}
	assert_string_equal(nts_ke_strerror((enum nts_ke_status)99), "unknown error");
	assert_string_equal(nts_aead_name(NTS_AEAD_AES_SIV_CMAC_256), "AES-SIV-CMAC-256");
	assert_string_equal(nts_aead_name(NTS_AEAD_AES_SIV_CMAC_384), "AES-SIV-CMAC-384");
	assert_string_equal(nts_aead_name(NTS_AEAD_AES_SIV_CMAC_512), "AES-SIV-CMAC-512");
	assert_string_equal(nts_aead_name(NTS_AEAD_AES_128_GCM_SIV), "AES-128-GCM-SIV");
	assert_string_equal(nts_aead_name(NTS_AEAD_AES_256_GCM_SIV), "AES-256-GCM-SIV");
	assert_string_equal(nts_aead_name(0), "unknown");
	assert_string_equal(nts_aead_name(1024), "unknown");
}

/* ------------------------------------------------------------------------
 * 3. NTS extension fields
 * ------------------------------------------------------------------------ */

/* clang-format off */
/* tcpdump tests/ntp-time-ef.pcap (the-tcpdump-group/tcpdump, BSD-3-Clause;
 * ../shared/corpus/pcap_ntp/SOURCES.md), frame 1, 332 octets of UDP payload
 * (tshark -T fields -e udp.payload).  tshark -V:
 *   10.43.135.229 -> 162.159.200.123, UDP 57551 -> 123
 *   Network Time Protocol (NTP Version 4, client)
 *     Flags: 0x23, Leap Indicator: no warning, Version number: NTP Version 4, Mode: client
 *     Peer Clock Stratum: unspecified or invalid (0)
 *     Peer Polling Interval: 6 (64 seconds)
 *     Transmit Timestamp: Nov 16, 2015 22:33:35.307509582 UTC
 *     Extension
 *         Field Type: Unique Identifier (0x0104)
 *         Length: 36
 *         Value: 5cf06d7094cf5c5e6ce92591e9f67804132e43b9c0fe6ef874ecd7eab5d36ebf
 *     Extension
 *         Field Type: NTS Cookie (0x0204)
 *         Length: 104
 *         Value: 00f4ef409e5c9d230bf474cb3998e81b86d09528258260ae3bc90c75b072548dd975ff2f...
 *     Extension
 *         Field Type: NTS Cookie Placeholder (0x0304)
 *         Length: 104
 *         Value: 000000000000000000000000000000000000000000000000000000000000000000000000...
 *     Extension
 *         Field Type: NTS Authenticator and Encrypted Extension Fields (0x0404)
 *         Length: 40
 *         Value: 00100010be301336d3eb3cadce3e94c14fbbd15535e937b9638dfaa3c4c9f1b81e447d3d
 * tcpdump -vvv (tests/ntp-time-ef--vvv.out) agrees: "Unique Identifier (0x0104),
 * length 36", "NTS Cookie (0x0204), length 104", "NTS Cookie Placeholder
 * (0x0304), length 104", "NTS Authenticator and Encrypted Extension Fields
 * (0x0404), length 40": nonce length 0x0010, ciphertext length 0x0010 (the
 * tag alone: a request encrypts nothing). */
static const uint8_t pcap_request[] = {
	0x23, 0x00, 0x06, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0xd9, 0xf4, 0xd8, 0x3f, 0x4e, 0xb8, 0xf2, 0xb0,
	0x01, 0x04, 0x00, 0x24, 0x5c, 0xf0, 0x6d, 0x70, 0x94, 0xcf, 0x5c, 0x5e,
	0x6c, 0xe9, 0x25, 0x91, 0xe9, 0xf6, 0x78, 0x04, 0x13, 0x2e, 0x43, 0xb9,
	0xc0, 0xfe, 0x6e, 0xf8, 0x74, 0xec, 0xd7, 0xea, 0xb5, 0xd3, 0x6e, 0xbf,
	0x02, 0x04, 0x00, 0x68, 0x00, 0xf4, 0xef, 0x40, 0x9e, 0x5c, 0x9d, 0x23,
	0x0b, 0xf4, 0x74, 0xcb, 0x39, 0x98, 0xe8, 0x1b, 0x86, 0xd0, 0x95, 0x28,
	0x25, 0x82, 0x60, 0xae, 0x3b, 0xc9, 0x0c, 0x75, 0xb0, 0x72, 0x54, 0x8d,
	0xd9, 0x75, 0xff, 0x2f, 0xdc, 0x9c, 0x63, 0xc2, 0xad, 0xd1, 0x96, 0x82,
	0x31, 0xe3, 0x3b, 0x7d, 0xa6, 0x9f, 0x7b, 0x4f, 0x52, 0xca, 0xb0, 0x02,
	0x46, 0x8f, 0x85, 0x59, 0x62, 0xd2, 0xd7, 0x1c, 0xb5, 0x97, 0x99, 0xfd,
	0xaf, 0xfc, 0x5c, 0x62, 0x1e, 0x51, 0x2e, 0xfc, 0x7f, 0x5f, 0x33, 0x04,
	0x45, 0x91, 0xd9, 0x65, 0x19, 0x43, 0xd1, 0x05, 0x5a, 0x1d, 0x65, 0x1b,
	0xb9, 0x43, 0x26, 0xa4, 0xda, 0x8d, 0xc2, 0xac, 0x03, 0x04, 0x00, 0x68,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0x04, 0x00, 0x28, 0x00, 0x10, 0x00, 0x10,
	0xbe, 0x30, 0x13, 0x36, 0xd3, 0xeb, 0x3c, 0xad, 0xce, 0x3e, 0x94, 0xc1,
	0x4f, 0xbb, 0xd1, 0x55, 0x35, 0xe9, 0x37, 0xb9, 0x63, 0x8d, 0xfa, 0xa3,
	0xc4, 0xc9, 0xf1, 0xb8, 0x1e, 0x44, 0x7d, 0x3d,
};

/* The same capture, frame 2: the reply from 162.159.200.123 (port 123 ->
 * 57551), 332 octets.  tshark -V:
 *   Network Time Protocol (NTP Version 4, server)
 *     Flags: 0x24, Leap Indicator: no warning, Version number: NTP Version 4, Mode: server
 *     Peer Clock Stratum: secondary reference (3)
 *     Reference ID: 10.31.8.128
 *     Origin Timestamp: Nov 16, 2015 22:33:35.307509582 UTC
 *     Receive Timestamp: Aug 11, 2022 13:23:30.188058000 UTC
 *     Transmit Timestamp: Aug 11, 2022 13:23:30.188123546 UTC
 *     Extension
 *         Field Type: Unique Identifier (0x0104)
 *         Length: 36
 *         Value: 5cf06d7094cf5c5e6ce92591e9f67804132e43b9c0fe6ef874ecd7eab5d36ebf
 *     Extension
 *         Field Type: NTS Authenticator and Encrypted Extension Fields (0x0404)
 *         Length: 248
 *         Value: 001000e0ab9df862b57563218cfa5af57fcb724098738f06722652155b45c84aaa20bc62...
 * i.e. nonce length 0x0010, ciphertext length 0x00e0 = 224: the tag and 208
 * octets of encrypted fields (two new cookies of 100 octets in fields of
 * 104, as many as the request used and asked for). */
static const uint8_t pcap_reply[] = {
	0x24, 0x03, 0x06, 0xe7, 0x00, 0x00, 0x04, 0x5f, 0x00, 0x00, 0x00, 0x30,
	0x0a, 0x1f, 0x08, 0x80, 0xe6, 0x9f, 0x81, 0x1f, 0x39, 0x96, 0xbd, 0xf2,
	0xd9, 0xf4, 0xd8, 0x3f, 0x4e, 0xb8, 0xf2, 0xb0, 0xe6, 0x9f, 0x81, 0x52,
	0x30, 0x24, 0x91, 0xb0, 0xe6, 0x9f, 0x81, 0x52, 0x30, 0x28, 0xdd, 0x5e,
	0x01, 0x04, 0x00, 0x24, 0x5c, 0xf0, 0x6d, 0x70, 0x94, 0xcf, 0x5c, 0x5e,
	0x6c, 0xe9, 0x25, 0x91, 0xe9, 0xf6, 0x78, 0x04, 0x13, 0x2e, 0x43, 0xb9,
	0xc0, 0xfe, 0x6e, 0xf8, 0x74, 0xec, 0xd7, 0xea, 0xb5, 0xd3, 0x6e, 0xbf,
	0x04, 0x04, 0x00, 0xf8, 0x00, 0x10, 0x00, 0xe0, 0xab, 0x9d, 0xf8, 0x62,
	0xb5, 0x75, 0x63, 0x21, 0x8c, 0xfa, 0x5a, 0xf5, 0x7f, 0xcb, 0x72, 0x40,
	0x98, 0x73, 0x8f, 0x06, 0x72, 0x26, 0x52, 0x15, 0x5b, 0x45, 0xc8, 0x4a,
	0xaa, 0x20, 0xbc, 0x62, 0x0d, 0x2a, 0x7b, 0x6c, 0x44, 0x83, 0xad, 0x56,
	0x17, 0x48, 0x44, 0x49, 0x03, 0x88, 0x2a, 0x32, 0x1e, 0xba, 0x3a, 0x45,
	0x33, 0x33, 0xd2, 0x21, 0x0e, 0x74, 0x52, 0xe8, 0xb4, 0x17, 0x81, 0xd4,
	0x51, 0x08, 0x77, 0x18, 0x45, 0x9d, 0x0c, 0x41, 0xb1, 0x87, 0x89, 0xc3,
	0xc8, 0xd8, 0x4e, 0xac, 0x0b, 0x4d, 0x59, 0xac, 0x7f, 0x4d, 0x17, 0xb3,
	0x6a, 0xf5, 0x8c, 0xd1, 0xd6, 0x8f, 0xe8, 0x61, 0xcd, 0x62, 0xa2, 0xb3,
	0xaa, 0x8e, 0xf5, 0x9a, 0xde, 0x35, 0x38, 0x7f, 0xd0, 0xd0, 0x7d, 0x8d,
	0x4b, 0x0c, 0xaf, 0xd7, 0x85, 0x8f, 0xdb, 0xfb, 0x66, 0x27, 0x8c, 0xfc,
	0xff, 0xf8, 0x90, 0xda, 0x1e, 0x30, 0xdf, 0xfe, 0x37, 0xfb, 0x86, 0x10,
	0x98, 0xb5, 0x5f, 0xca, 0x51, 0xcc, 0x6b, 0xd7, 0x44, 0x02, 0x35, 0x68,
	0x41, 0x07, 0x90, 0xbf, 0x42, 0xca, 0x83, 0xe9, 0x03, 0xc7, 0xba, 0x3a,
	0x99, 0xcc, 0xfc, 0xae, 0xea, 0x20, 0x4e, 0x82, 0x75, 0x2d, 0x8e, 0x0e,
	0x6b, 0x78, 0x1f, 0x0d, 0xec, 0x76, 0x5b, 0x0d, 0x4e, 0x66, 0x3e, 0x0b,
	0xd2, 0x38, 0xd9, 0x27, 0x75, 0x09, 0xf8, 0x3d, 0x89, 0x30, 0x1b, 0x22,
	0x1a, 0x8e, 0xcf, 0x64, 0x54, 0x7e, 0x77, 0x28, 0x28, 0xb4, 0x0a, 0xbb,
	0xd6, 0x63, 0x77, 0x04, 0x7e, 0xd3, 0xa3, 0xf1, 0x1f, 0x2c, 0x3b, 0xde,
	0xac, 0x56, 0x0c, 0xf6, 0x3e, 0xd7, 0xef, 0xbb, 0x17, 0xa8, 0x7c, 0xf6,
	0xbf, 0xbb, 0xc9, 0x00, 0x83, 0xa9, 0x00, 0xb9,
};
/* clang-format on */

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

static unsigned be16_at(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void ef_pcap_request(void **state)
{
	(void)state;
	const uint8_t *pkt = pcap_request;
	size_t len = sizeof pcap_request;
	assert_int_equal(len, 332);
	struct nts_ef_view v;
	assert_int_equal(ef_parse_copy(pkt, len, &v), NTS_EF_OK);
	/* Unique Identifier, length 36: 32 octets after the 48-octet header
	 * and the field's own 4. */
	uint8_t uid[32], nonce[16], tag[16];
	unhex("5cf06d7094cf5c5e6ce92591e9f67804132e43b9c0fe6ef874ecd7eab5d36ebf", uid, 32);
	assert_true(v.have_uid);
	assert_int_equal(v.uid_off, 52);
	assert_int_equal(v.uid_len, 32);
	assert_memory_equal(pkt + v.uid_off, uid, 32);
	/* One cookie, one placeholder, both of length 104. */
	assert_int_equal(v.n_cookies, 1);
	assert_int_equal(v.n_placeholders, 1);
	assert_int_equal(be16_at(pkt + 84), NTS_EF_COOKIE);
	assert_int_equal(be16_at(pkt + 86), 104);
	assert_int_equal(be16_at(pkt + 188), NTS_EF_COOKIE_PLACEHOLDER);
	assert_int_equal(be16_at(pkt + 190), 104);
	/* The authenticator: covers the 292 octets before it; nonce 16,
	 * ciphertext 16 (the tag of an empty plaintext). */
	unhex("be301336d3eb3cadce3e94c14fbbd155", nonce, 16);
	unhex("35e937b9638dfaa3c4c9f1b81e447d3d", tag, 16);
	assert_true(v.have_auth);
	assert_int_equal(v.ad_len, 48 + 36 + 104 + 104);
	assert_int_equal(v.nonce_off, 300);
	assert_int_equal(v.nonce_len, 16);
	assert_int_equal(v.ct_off, 316);
	assert_int_equal(v.ct_len, 16);
	assert_memory_equal(pkt + v.nonce_off, nonce, 16);
	assert_memory_equal(pkt + v.ct_off, tag, 16);
	assert_false(v.after_auth);

	/* The NTP codec sees the same four fields and no MAC. */
	struct ntp_pkt p;
	assert_int_equal(ntp_pkt_decode(pkt, len, &p), NTP_OK);
	assert_int_equal(p.mode, NTP_MODE_CLIENT);
	assert_int_equal(p.n_ef, 4);
	assert_int_equal(p.ef[0].type, NTS_EF_UNIQUE_ID);
	assert_int_equal(p.ef[3].type, NTS_EF_AUTHENTICATOR);
	assert_int_equal(p.ef[3].body_off - 4, v.ad_len);
	assert_int_equal(p.mac_kind, NTP_MAC_NONE);

	/* The encoders rebuild it from its parts, octet for octet. */
	uint8_t buf[400];
	memset(buf, 0xcc, sizeof buf);
	memcpy(buf, pkt, NTP_HEADER_LEN);
	size_t used = NTP_HEADER_LEN;
	assert_int_equal(nts_ef_request(buf, sizeof buf, &used, uid, pkt + 88, 100, 1), 0);
	assert_int_equal(used, v.ad_len);
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, nonce, 16, tag, 16), 0);
	assert_int_equal(used, len);
	assert_memory_equal(buf, pkt, len);
	assert_int_equal(buf[len], 0xcc);
}

static void ef_pcap_reply(void **state)
{
	(void)state;
	const uint8_t *pkt = pcap_reply;
	size_t len = sizeof pcap_reply;
	assert_int_equal(len, 332);
	struct nts_ef_view v;
	assert_int_equal(ef_parse_copy(pkt, len, &v), NTS_EF_OK);
	assert_true(v.have_uid);
	assert_int_equal(v.uid_off, 52);
	assert_int_equal(v.uid_len, 32);
	/* The request's identifier, echoed. */
	assert_memory_equal(pkt + v.uid_off, pcap_request + 52, 32);
	assert_int_equal(v.n_cookies, 0);
	assert_int_equal(v.n_placeholders, 0);
	assert_true(v.have_auth);
	assert_int_equal(v.ad_len, 84);
	assert_int_equal(v.nonce_off, 92);
	assert_int_equal(v.nonce_len, 16);
	assert_int_equal(v.ct_off, 108);
	assert_int_equal(v.ct_len, 224);
	assert_int_equal(v.ct_off + v.ct_len, len);
	assert_false(v.after_auth);
	uint8_t head[16];
	unhex("ab9df862b57563218cfa5af57fcb7240", head, 16); /* tshark's value, octet 4 on */
	assert_memory_equal(pkt + v.nonce_off, head, 16);

	struct ntp_pkt p;
	assert_int_equal(ntp_pkt_decode(pkt, len, &p), NTP_OK);
	assert_int_equal(p.mode, NTP_MODE_SERVER);
	assert_int_equal(p.n_ef, 2);

	/* Rebuilt: the header, the echoed identifier, the authenticator. */
	uint8_t buf[400];
	memcpy(buf, pkt, NTP_HEADER_LEN);
	size_t used = NTP_HEADER_LEN;
	assert_int_equal(ntp_ef_append(buf, sizeof buf, &used, NTS_EF_UNIQUE_ID, pkt + 52, 32), 0);
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, pkt + v.nonce_off, 16,
					      pkt + v.ct_off, 224),
			 0);
	assert_int_equal(used, len);
	assert_memory_equal(buf, pkt, len);
}

/* Encodes a request with the given lengths, parses it, checks every
 * offset and octet. */
static void ef_round_trip_one(size_t cookie_len, size_t n_ph, size_t nonce_len, size_t ct_len)
{
	uint8_t uid[NTS_UID_LEN], cookie[300], nonce[40], ct[300];
	for (size_t i = 0; i < sizeof uid; i++)
		uid[i] = (uint8_t)(0x80 + i);
	for (size_t i = 0; i < sizeof cookie; i++)
		cookie[i] = (uint8_t)(i * 3 + 1);
	for (size_t i = 0; i < sizeof nonce; i++)
		nonce[i] = (uint8_t)(0xf0 ^ i);
	for (size_t i = 0; i < sizeof ct; i++)
		ct[i] = (uint8_t)(i * 11 + 5);
	assert_true(cookie_len <= sizeof cookie && nonce_len <= sizeof nonce &&
		    ct_len <= sizeof ct);

	static uint8_t buf[4096];
	memset(buf, 0xee, sizeof buf);
	memset(buf, 0, NTP_HEADER_LEN);
	buf[0] = 0x23;
	size_t used = NTP_HEADER_LEN;
	assert_int_equal(nts_ef_request(buf, sizeof buf, &used, uid, cookie, cookie_len, n_ph), 0);
	size_t flen = 4 + pad4(cookie_len);
	if (flen < 16)
		flen = 16;
	assert_int_equal(used, NTP_HEADER_LEN + 36 + (1 + n_ph) * flen);
	size_t ad_len = used;
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, nonce, nonce_len, ct, ct_len),
			 0);
	size_t npad = pad4(nonce_len);
	size_t extra = npad < 16 ? 16 - npad : 0;
	size_t alen = 8 + npad + pad4(ct_len) + extra;
	assert_int_equal(used, ad_len + alen);
	assert_int_equal(buf[used], 0xee);

	struct nts_ef_view v;
	assert_int_equal(ef_parse_copy(buf, used, &v), NTS_EF_OK);
	assert_true(v.have_uid && v.have_auth);
	assert_false(v.after_auth);
	assert_int_equal(v.uid_off, NTP_HEADER_LEN + 4);
	assert_int_equal(v.uid_len, NTS_UID_LEN);
	assert_memory_equal(buf + v.uid_off, uid, NTS_UID_LEN);
	assert_int_equal(v.n_cookies, 1);
	assert_int_equal(v.n_placeholders, n_ph);
	assert_int_equal(v.ad_len, ad_len);
	assert_int_equal(v.nonce_off, ad_len + 8);
	assert_int_equal(v.nonce_len, nonce_len);
	assert_int_equal(v.ct_off, ad_len + 8 + npad);
	assert_int_equal(v.ct_len, ct_len);
	assert_memory_equal(buf + v.nonce_off, nonce, nonce_len);
	if (ct_len)
		assert_memory_equal(buf + v.ct_off, ct, ct_len);
	/* The cookie, its padding, and zero-filled placeholders as long. */
	size_t at = NTP_HEADER_LEN + 36;
	assert_int_equal(be16_at(buf + at), NTS_EF_COOKIE);
	assert_int_equal(be16_at(buf + at + 2), flen);
	assert_memory_equal(buf + at + 4, cookie, cookie_len);
	for (size_t i = 4 + cookie_len; i < flen; i++)
		assert_int_equal(buf[at + i], 0);
	for (size_t k = 0; k < n_ph; k++) {
		at += flen;
		assert_int_equal(be16_at(buf + at), NTS_EF_COOKIE_PLACEHOLDER);
		assert_int_equal(be16_at(buf + at + 2), flen);
		for (size_t i = 4; i < flen; i++)
			assert_int_equal(buf[at + i], 0);
	}
	/* The authenticator's paddings are zero. */
	at = ad_len;
	assert_int_equal(be16_at(buf + at), NTS_EF_AUTHENTICATOR);
	assert_int_equal(be16_at(buf + at + 2), alen);
	assert_int_equal(be16_at(buf + at + 4), nonce_len);
	assert_int_equal(be16_at(buf + at + 6), ct_len);
	for (size_t i = nonce_len; i < npad; i++)
		assert_int_equal(buf[v.nonce_off + i], 0);
	for (size_t i = v.ct_off + ct_len; i < used; i++)
		assert_int_equal(buf[i], 0);
}

static void ef_round_trips(void **state)
{
	(void)state;
	static const size_t cookies[] = { 1, 3, 4, 12, 13, 64, 100, 104, 255, 256, 300 };
	static const size_t nonces[] = { 1, 4, 12, 13, 16, 17, 32, 40 };
	static const size_t cts[] = { 0, 1, 16, 17, 208, 224 };
	for (size_t c = 0; c < sizeof cookies / sizeof cookies[0]; c++)
		for (size_t ph = 0; ph < NTS_MAX_COOKIES; ph += 3)
			for (size_t n = 0; n < sizeof nonces / sizeof nonces[0]; n++)
				for (size_t t = 0; t < sizeof cts / sizeof cts[0]; t++)
					ef_round_trip_one(cookies[c], ph, nonces[n], cts[t]);
}

static void ef_authenticator_layout(void **state)
{
	(void)state;
	uint8_t buf[128], nonce[16], ct[16];
	for (size_t i = 0; i < 16; i++) {
		nonce[i] = (uint8_t)(0x10 + i);
		ct[i] = (uint8_t)(0x20 + i);
	}
	/* 12-octet nonce (GCM-SIV's): padded with 4 zero octets at the end,
	 * so that nonce and padding take 16 (RFC 8915 section 5.6). */
	static const uint8_t want12[] = {
		0x04, 0x04, 0x00, 0x28, 0x00, 0x0c, 0x00, 0x10, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
		0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
		0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x00, 0x00, 0x00, 0x00,
	};
	size_t used = 0;
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, nonce, 12, ct, 16), 0);
	assert_int_equal(used, sizeof want12);
	assert_memory_equal(buf, want12, sizeof want12);
	/* 13 octets: padded to 16 right after the nonce, nothing at the end. */
	used = 0;
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, nonce, 13, ct, 3), 0);
	static const uint8_t want13[] = {
		0x04, 0x04, 0x00, 0x1c, 0x00, 0x0d, 0x00, 0x03, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
		0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x00, 0x00, 0x00, 0x20, 0x21, 0x22, 0x00,
	};
	assert_int_equal(used, sizeof want13);
	assert_memory_equal(buf, want13, sizeof want13);
	/* Arguments. */
	used = 0;
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, nonce, 0, ct, 16), -EINVAL);
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, NULL, 16, ct, 16), -EINVAL);
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, nonce, 16, NULL, 16),
			 -EINVAL);
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, nonce, 16, NULL, 0), 0);
	assert_int_equal(used, 24);
	assert_int_equal(nts_ef_authenticator(NULL, sizeof buf, &used, nonce, 16, ct, 16), -EINVAL);
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, NULL, nonce, 16, ct, 16), -EINVAL);
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, nonce, 16, ct, 0x10000),
			 -EINVAL);
	assert_int_equal(nts_ef_authenticator(buf, sizeof buf, &used, nonce, 0x10000, ct, 16),
			 -EINVAL);
	/* No room, at every size short of it: nothing written. */
	uint8_t snap[sizeof buf];
	for (size_t cap = 0; cap < 8 + 16 + 16; cap++) {
		memset(buf, 0x77, sizeof buf);
		memcpy(snap, buf, sizeof buf);
		used = 0;
		assert_int_equal(nts_ef_authenticator(buf, cap, &used, nonce, 16, ct, 16), -ENOSPC);
		assert_int_equal(used, 0);
		assert_memory_equal(buf, snap, sizeof buf);
	}
	used = 41;
	assert_int_equal(nts_ef_authenticator(buf, 40, &used, nonce, 16, ct, 16), -ENOSPC);
}

static void ef_request_errors(void **state)
{
	(void)state;
	uint8_t buf[512], snap[512], uid[NTS_UID_LEN] = { 1 }, cookie[100] = { 2 };
	/* 48 + 36 + 104 + 2 * 104 = 396 needed; every capacity short of it. */
	for (size_t cap = 0; cap < 396; cap++) {
		memset(buf, 0x55, sizeof buf);
		memcpy(snap, buf, sizeof buf);
		size_t used = NTP_HEADER_LEN;
		assert_int_equal(nts_ef_request(buf, cap, &used, uid, cookie, 100, 2), -ENOSPC);
		assert_int_equal(used, NTP_HEADER_LEN);
		assert_memory_equal(buf, snap, sizeof buf);
	}
	size_t used = NTP_HEADER_LEN;
	assert_int_equal(nts_ef_request(buf, 396, &used, uid, cookie, 100, 2), 0);
	assert_int_equal(used, 396);
	used = NTP_HEADER_LEN;
	assert_int_equal(nts_ef_request(buf, sizeof buf, &used, uid, cookie, 100, SIZE_MAX),
			 -ENOSPC);
	assert_int_equal(nts_ef_request(buf, sizeof buf, &used, uid, cookie, 0xfffd, 0), -ENOSPC);
	assert_int_equal(nts_ef_request(buf, sizeof buf, &used, uid, cookie, 0, 0), -EINVAL);
	assert_int_equal(nts_ef_request(buf, sizeof buf, &used, NULL, cookie, 100, 0), -EINVAL);
	assert_int_equal(nts_ef_request(buf, sizeof buf, &used, uid, NULL, 100, 0), -EINVAL);
	assert_int_equal(nts_ef_request(buf, sizeof buf, NULL, uid, cookie, 100, 0), -EINVAL);
	assert_int_equal(nts_ef_request(NULL, sizeof buf, &used, uid, cookie, 100, 0), -EINVAL);
	used = sizeof buf + 1;
	assert_int_equal(nts_ef_request(buf, sizeof buf, &used, uid, cookie, 100, 0), -ENOSPC);
}

/* A packet: a zero header, then fields put one by one. */
struct pkt {
	size_t len;
	uint8_t b[2048];
};

static void pkt_start(struct pkt *p)
{
	memset(p, 0, sizeof *p);
	p->b[0] = 0x24;
	p->len = NTP_HEADER_LEN;
}

static void put_ef(struct pkt *p, uint16_t type, uint16_t flen, const void *body, size_t blen)
{
	assert_true(p->len + 4 + blen <= sizeof p->b);
	p->b[p->len] = (uint8_t)(type >> 8);
	p->b[p->len + 1] = (uint8_t)type;
	p->b[p->len + 2] = (uint8_t)(flen >> 8);
	p->b[p->len + 3] = (uint8_t)flen;
	if (blen)
		memcpy(p->b + p->len + 4, body, blen);
	p->len += 4 + blen;
}

static void put_zero_ef(struct pkt *p, uint16_t type, size_t flen)
{
	static const uint8_t zero[1024];
	put_ef(p, type, (uint16_t)flen, zero, flen - 4);
}

static void put_auth(struct pkt *p, uint16_t nonce_len, uint16_t ct_len, size_t flen)
{
	uint8_t body[512] = { 0 };
	assert_true(flen >= 8 && flen - 4 <= sizeof body);
	body[0] = (uint8_t)(nonce_len >> 8);
	body[1] = (uint8_t)nonce_len;
	body[2] = (uint8_t)(ct_len >> 8);
	body[3] = (uint8_t)ct_len;
	put_ef(p, NTS_EF_AUTHENTICATOR, (uint16_t)flen, body, flen - 4);
}

static void ef_statuses(void **state)
{
	(void)state;
	static struct pkt p;
	struct nts_ef_view v;
	/* Shorter than a header; a header alone; 1..15 octets after it. */
	pkt_start(&p);
	for (size_t n = 0; n < NTP_HEADER_LEN; n++)
		assert_int_equal(ef_parse_copy(p.b, n, &v), NTS_EF_E_TRUNCATED);
	assert_int_equal(ef_parse_copy(p.b, NTP_HEADER_LEN, &v), NTS_EF_OK);
	assert_false(v.have_uid || v.have_auth || v.after_auth);
	assert_int_equal(v.n_cookies + v.n_placeholders, 0);
	for (size_t n = 1; n < 16; n++)
		assert_int_equal(ef_parse_copy(p.b, NTP_HEADER_LEN + n, &v), NTS_EF_E_TRUNCATED);
	/* A legacy MAC is no field: key id 1 reads as type 0, length 1. */
	pkt_start(&p);
	p.b[p.len + 3] = 1;
	p.len += 20;
	assert_int_equal(ef_parse_copy(p.b, p.len, &v), NTS_EF_E_MALFORMED);
	/* Field lengths under 16 or not 4-aligned. */
	static const uint16_t bad_len[] = { 0, 4, 12, 15, 17, 18, 19, 22, 0xfffe };
	for (size_t i = 0; i < sizeof bad_len / sizeof bad_len[0]; i++) {
		pkt_start(&p);
		put_zero_ef(&p, NTS_EF_UNIQUE_ID, 36);
		put_ef(&p, 0x2005, bad_len[i], "0123456789abcdefghijklmnopqrstuv", 32);
		assert_int_equal(ef_parse_copy(p.b, p.len, &v), NTS_EF_E_MALFORMED);
	}
	/* A field past the end, by one octet and by much. */
	pkt_start(&p);
	put_zero_ef(&p, NTS_EF_UNIQUE_ID, 36);
	assert_int_equal(ef_parse_copy(p.b, p.len - 1, &v), NTS_EF_E_TRUNCATED);
	put_ef(&p, NTS_EF_COOKIE, 0xfffc, "abcdefghijklmnop", 16);
	assert_int_equal(ef_parse_copy(p.b, p.len, &v), NTS_EF_E_TRUNCATED);
	/* Two identifiers, two authenticators. */
	pkt_start(&p);
	put_zero_ef(&p, NTS_EF_UNIQUE_ID, 36);
	put_zero_ef(&p, NTS_EF_UNIQUE_ID, 36);
	assert_int_equal(ef_parse_copy(p.b, p.len, &v), NTS_EF_E_DUPLICATE);
	pkt_start(&p);
	put_auth(&p, 16, 16, 40);
	put_auth(&p, 16, 16, 40);
	assert_int_equal(ef_parse_copy(p.b, p.len, &v), NTS_EF_E_DUPLICATE);

	/* Authenticators whose lengths do not fit in them. */
	static const struct {
		uint16_t nonce, ct;
		size_t flen;
		enum nts_ef_status st;
	} auths[] = {
		{ 16, 16, 40, NTS_EF_OK },
		{ 16, 17, 40, NTS_EF_E_MALFORMED }, /* ciphertext padded to 20 */
		{ 17, 16, 40, NTS_EF_E_MALFORMED }, /* nonce padded to 20 */
		{ 16, 16, 36, NTS_EF_E_MALFORMED }, /* one word short */
		{ 32, 0, 24, NTS_EF_E_MALFORMED },  /* nonce past the end */
		{ 0, 16, 24, NTS_EF_OK },	    /* nonce of 0: only bounded here */
		{ 0, 0, 16, NTS_EF_OK },	    /* nothing at all */
		{ 0xffff, 16, 40, NTS_EF_E_MALFORMED },
		{ 16, 0xffff, 40, NTS_EF_E_MALFORMED },
		{ 0xffff, 0xffff, 512, NTS_EF_E_MALFORMED },
		{ 16, 224, 248, NTS_EF_OK },
		{ 16, 16, 64, NTS_EF_OK }, /* additional padding */
	};
	for (size_t i = 0; i < sizeof auths / sizeof auths[0]; i++) {
		pkt_start(&p);
		put_zero_ef(&p, NTS_EF_UNIQUE_ID, 36);
		size_t at = p.len;
		put_auth(&p, auths[i].nonce, auths[i].ct, auths[i].flen);
		enum nts_ef_status st = ef_parse_copy(p.b, p.len, &v);
		if (st != auths[i].st)
			fail_msg("authenticator %u/%u in %zu: %s", auths[i].nonce, auths[i].ct,
				 auths[i].flen, nts_ef_strerror(st));
		if (st == NTS_EF_OK) {
			assert_true(v.have_auth);
			assert_int_equal(v.ad_len, at);
			assert_int_equal(v.nonce_off, at + 8);
			assert_int_equal(v.nonce_len, auths[i].nonce);
			assert_int_equal(v.ct_off, at + 8 + pad4(auths[i].nonce));
			assert_int_equal(v.ct_len, auths[i].ct);
			assert_true(v.ct_off + v.ct_len <= p.len);
		} else {
			assert_false(v.have_auth);
		}
	}

	/* Fields after the authenticator: parsed, and flagged. */
	pkt_start(&p);
	put_auth(&p, 16, 16, 40);
	put_zero_ef(&p, 0x2005, 16);
	assert_int_equal(ef_parse_copy(p.b, p.len, &v), NTS_EF_OK);
	assert_true(v.after_auth);
	assert_false(v.have_uid);
	pkt_start(&p);
	put_auth(&p, 16, 16, 40);
	put_zero_ef(&p, NTS_EF_UNIQUE_ID, 36);
	put_zero_ef(&p, NTS_EF_COOKIE, 104);
	assert_int_equal(ef_parse_copy(p.b, p.len, &v), NTS_EF_OK);
	assert_true(v.after_auth && v.have_uid && v.have_auth);
	assert_int_equal(v.n_cookies, 1);
	assert_int_equal(v.ad_len, NTP_HEADER_LEN);
	/* And before: not flagged; unknown fields skipped. */
	pkt_start(&p);
	put_zero_ef(&p, 0x2005, 16);
	put_zero_ef(&p, 0xffff, 28);
	put_auth(&p, 16, 16, 40);
	assert_int_equal(ef_parse_copy(p.b, p.len, &v), NTS_EF_OK);
	assert_false(v.after_auth);
	assert_int_equal(v.ad_len, NTP_HEADER_LEN + 44);

	for (int st = NTS_EF_OK; st <= NTS_EF_E_DUPLICATE; st++) {
		const char *s = nts_ef_strerror((enum nts_ef_status)st);
		assert_true(s && strlen(s) > 0);
		assert_string_not_equal(s, "unknown error");
	}
	assert_string_equal(nts_ef_strerror((enum nts_ef_status)42), "unknown error");
}

struct seen_cookies {
	size_t n;
	const uint8_t *p[8];
	size_t len[8];
};

static void collect(void *arg, const uint8_t *cookie, size_t len)
{
	struct seen_cookies *s = arg;
	assert_true(s->n < 8);
	s->p[s->n] = cookie;
	s->len[s->n] = len;
	s->n++;
}

static void ef_cookies(void **state)
{
	(void)state;
	/* What a server encrypts: new cookies as fields (and anything else). */
	uint8_t pt[512], c1[100], c2[16];
	for (size_t i = 0; i < sizeof c1; i++)
		c1[i] = (uint8_t)(i + 1);
	for (size_t i = 0; i < sizeof c2; i++)
		c2[i] = (uint8_t)(0xc0 + i);
	size_t len = 0;
	assert_int_equal(ntp_ef_append(pt, sizeof pt, &len, NTS_EF_COOKIE, c1, sizeof c1), 0);
	assert_int_equal(ntp_ef_append(pt, sizeof pt, &len, 0x2005, "other", 5), 0);
	assert_int_equal(ntp_ef_append(pt, sizeof pt, &len, NTS_EF_COOKIE, c2, sizeof c2), 0);
	assert_int_equal(len, 104 + 16 + 20);
	uint8_t *b = dup_exact(pt, len);
	struct seen_cookies s = { 0 };
	assert_int_equal(nts_ef_cookies(b, len, collect, &s), 2);
	assert_int_equal(s.n, 2);
	assert_ptr_equal(s.p[0], b + 4);
	assert_int_equal(s.len[0], 100);
	assert_memory_equal(s.p[0], c1, 100);
	assert_ptr_equal(s.p[1], b + 124);
	assert_int_equal(s.len[1], 16);
	assert_memory_equal(s.p[1], c2, 16);
	assert_int_equal(nts_ef_cookies(b, len, NULL, NULL), 2);
	free(b);
	/* Empty: none.  Malformed: -1, and the callback is never called. */
	memset(&s, 0, sizeof s);
	assert_int_equal(nts_ef_cookies(NULL, 0, collect, &s), 0);
	for (size_t cut = 1; cut < len; cut++) {
		if (cut == 104 || cut == 120)
			continue; /* field boundaries: a shorter run, still good */
		b = dup_exact(pt, cut);
		assert_int_equal(nts_ef_cookies(b, cut, collect, &s), -1);
		free(b);
	}
	assert_int_equal(s.n, 0);
	b = dup_exact(pt, 104);
	assert_int_equal(nts_ef_cookies(b, 104, NULL, NULL), 1);
	free(b);
	/* Bad field lengths. */
	static const uint16_t bad[] = { 0, 12, 18, 0x1000 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint8_t t[40];
		memcpy(t, pt, sizeof t);
		t[2] = (uint8_t)(bad[i] >> 8);
		t[3] = (uint8_t)bad[i];
		assert_int_equal(nts_ef_cookies(t, sizeof t, collect, &s), -1);
	}
	assert_int_equal(s.n, 0);
}

/* ------------------------------------------------------------------------
 * 4. Randomised rejection loops
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

static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

/* What any result of nts_ke_parse must satisfy. */
static void check_ke(const uint8_t *buf, size_t len, enum nts_ke_status st,
		     const struct nts_ke_response *r)
{
	assert_in_range(st, NTS_KE_OK, NTS_KE_E_TOO_LONG);
	if (len > NTS_KE_MAX_RESPONSE)
		assert_int_equal(st, NTS_KE_E_TOO_LONG);
	if (st == NTS_KE_OK || st == NTS_KE_E_AFTER_END)
		assert_true(r->have_end);
	if (st == NTS_KE_INCOMPLETE)
		assert_false(r->have_end);
	if (st == NTS_KE_E_UNKNOWN_CRITICAL)
		assert_true(r->unknown_critical > NTS_KE_PORT_NEG &&
			    r->unknown_critical < NTS_KE_CRITICAL);
	else
		assert_int_equal(r->unknown_critical, 0);
	assert_true(r->error >= -1 && r->error <= 0xffff);
	assert_true(r->warning >= -1 && r->warning <= 0xffff);
	assert_true(r->port >= -1 && r->port <= 0xffff);
	if (!r->have_next)
		assert_int_equal(r->next_protocol, 0);
	if (!r->have_aead)
		assert_int_equal(r->aead, 0);
	assert_true(r->n_cookies <= NTS_MAX_COOKIES);
	for (size_t i = 0; i < r->n_cookies; i++)
		assert_in_range(r->cookie_len[i], 1, NTS_MAX_COOKIE_LEN);
	size_t sl = strnlen(r->server, sizeof r->server);
	assert_true(sl <= NTS_MAX_SERVER_LEN);
	for (size_t i = 0; i < sl; i++)
		assert_in_range((unsigned char)r->server[i], 0x21, 0x7e);
	/* Every record ends End of Message: each cut of an OK response is
	 * INCOMPLETE. */
	if (st == NTS_KE_OK && len > 0) {
		struct nts_ke_response q;
		assert_int_equal(ke_parse_copy(buf, len - 1, &q), NTS_KE_INCOMPLETE);
		assert_int_equal(ke_parse_copy(buf, rnd_below(len), &q), NTS_KE_INCOMPLETE);
	}
}

/* Random records: mostly known types with plausible bodies. */
static size_t random_ke(struct ke_msg *m)
{
	m->len = 0;
	if (rnd_below(5) == 0) { /* anything */
		size_t n = rnd_below(600);
		for (size_t i = 0; i < n; i++)
			m->b[i] = (uint8_t)rnd();
		m->len = n;
		return n;
	}
	size_t n_rec = rnd_below(14);
	for (size_t i = 0; i < n_rec; i++) {
		static const uint16_t types[] = { 1, 1, 2, 3, 4, 4,    5,     5,
						  5, 5, 6, 7, 8, 1024, 0x4000 };
		uint16_t type = rnd_below(12) ? types[rnd_below(15)] : (uint16_t)(rnd() & 0x7fff);
		bool critical = rnd_below(4) != 0;
		size_t blen;
		switch (rnd_below(6)) {
		case 0: blen = rnd_below(5); break;
		case 1: blen = 2; break;
		case 2: blen = rnd_below(300); break;
		case 3: blen = 2 * rnd_below(4); break;
		default: blen = type == NTS_KE_COOKIE ? 64 + rnd_below(64) : 2; break;
		}
		uint8_t body[300];
		for (size_t j = 0; j < blen; j++)
			body[j] = (uint8_t)(type == NTS_KE_SERVER ? 0x21 + rnd_below(0x5e) : rnd());
		if (blen >= 2 && rnd_below(2))
			body[0] = body[1] = 0;
		put_rec(m, critical, type, body, blen);
	}
	if (rnd_below(6))
		put_rec(m, rnd_below(10) != 0, NTS_KE_END, "\0\0", rnd_below(10) ? 0 : 2);
	switch (rnd_below(10)) {
	case 0: /* trailing octets */
		for (size_t n = 1 + rnd_below(8); n > 0; n--)
			m->b[m->len++] = (uint8_t)rnd();
		break;
	case 1: /* cut */ m->len = rnd_below(m->len + 1); break;
	case 2: /* a body length past 65536 */
		put_rec(m, false, NTS_KE_COOKIE, NULL, 0);
		m->b[m->len - 2] = 0xff;
		m->b[m->len - 1] = (uint8_t)rnd();
		break;
	default: break;
	}
	return m->len;
}

static size_t mutated_ke(struct ke_msg *m)
{
	chrony_like(m);
	size_t ops = 1 + rnd_below(4);
	for (size_t i = 0; i < ops; i++) {
		size_t len = m->len;
		switch (rnd_below(7)) {
		case 0:
			if (len)
				m->b[rnd_below(len)] ^= (uint8_t)(1u << rnd_below(8));
			break;
		case 1:
			if (len)
				m->b[rnd_below(len)] = (uint8_t)rnd();
			break;
		case 6: /* the first cookie claims 65535 octets */
			if (len > 16)
				m->b[14] = m->b[15] = 0xff;
			break;
		case 2: /* a record header: the first 12 octets hold two */
			if (len > 12)
				m->b[rnd_below(12)] = (uint8_t)rnd();
			break;
		case 3: m->len = rnd_below(len + 1); break;
		case 4: /* duplicate the first record at the end */
			if (len + 6 <= KE_CAP) {
				memmove(m->b + 6, m->b, len);
				m->len += 6;
			}
			break;
		default: /* extend */
			for (size_t n = rnd_below(40); n > 0 && m->len < KE_CAP; n--)
				m->b[m->len++] = (uint8_t)rnd();
			break;
		}
	}
	return m->len;
}

static void ke_random_rejection(void **state)
{
	(void)state;
	rnd_state = test_seed;
	static struct ke_msg m;
	static struct nts_ke_response a, b;
	unsigned long count[NTS_KE_E_TOO_LONG + 1] = { 0 };
	for (int iter = 0; iter < 20000; iter++) {
		/* 10,000 random responses, then 10,000 mutated real ones. */
		size_t len = iter < 10000 ? random_ke(&m) : mutated_ke(&m);
		uint8_t *buf = dup_exact(m.b, len);
		memset(&a, 0, sizeof a);
		memset(&b, 0xa5, sizeof b);
		enum nts_ke_status st = nts_ke_parse(buf, len, &a);
		assert_int_equal(nts_ke_parse(buf, len, &b), st);
		assert_memory_equal(&a, &b, sizeof a); /* whatever *out held */
		check_ke(buf, len, st, &a);
		count[st]++;
		free(buf);
	}
	print_message("test_nts: 20000 NTS-KE responses:");
	for (int st = NTS_KE_OK; st <= NTS_KE_E_TOO_LONG; st++)
		print_message(" %s %lu%s", nts_ke_strerror((enum nts_ke_status)st), count[st],
			      st == NTS_KE_E_TOO_LONG ? "\n" : ",");
	for (int st = NTS_KE_OK; st <= NTS_KE_E_TOO_LONG; st++)
		assert_true(count[st] > 0);
}

/* What any result of nts_ef_parse must satisfy. */
static void check_ef(const uint8_t *buf, size_t len, enum nts_ef_status st,
		     const struct nts_ef_view *v)
{
	assert_in_range(st, NTS_EF_OK, NTS_EF_E_DUPLICATE);
	if (len < NTP_HEADER_LEN)
		assert_int_equal(st, NTS_EF_E_TRUNCATED);
	if (st != NTS_EF_OK)
		return;
	assert_int_equal((len - NTP_HEADER_LEN) % 4, 0);
	if (v->have_uid) {
		assert_true(v->uid_off >= NTP_HEADER_LEN + 4);
		assert_true(v->uid_len >= 12 && v->uid_off + v->uid_len <= len);
		assert_int_equal(be16_at(buf + v->uid_off - 4), NTS_EF_UNIQUE_ID);
	} else {
		assert_int_equal(v->uid_off + v->uid_len, 0);
	}
	if (v->have_auth) {
		assert_true(v->ad_len >= NTP_HEADER_LEN && v->ad_len % 4 == 0);
		assert_int_equal(be16_at(buf + v->ad_len), NTS_EF_AUTHENTICATOR);
		assert_int_equal(v->nonce_off, v->ad_len + 8);
		assert_int_equal(v->nonce_len, be16_at(buf + v->ad_len + 4));
		assert_int_equal(v->ct_len, be16_at(buf + v->ad_len + 6));
		assert_int_equal(v->ct_off, v->nonce_off + pad4(v->nonce_len));
		assert_true(v->ct_off + pad4(v->ct_len) <=
			    v->ad_len + be16_at(buf + v->ad_len + 2));
		assert_true(v->ct_off + v->ct_len <= len);
	} else {
		assert_false(v->after_auth);
		assert_int_equal(v->ad_len + v->nonce_off + v->ct_off + v->nonce_len + v->ct_len,
				 0);
	}
	assert_true((v->n_cookies + v->n_placeholders) * 16 <= len - NTP_HEADER_LEN);
}

static size_t random_ef(struct pkt *p)
{
	if (rnd_below(5) == 0) {
		size_t n = rnd_below(700);
		for (size_t i = 0; i < n; i++)
			p->b[i] = (uint8_t)rnd();
		p->len = n;
		return n;
	}
	pkt_start(p);
	size_t n_ef = rnd_below(8);
	for (size_t i = 0; i < n_ef; i++) {
		static const uint16_t types[] = { 0x0104, 0x0204, 0x0304, 0x0404, 0x0404, 0x2005 };
		uint16_t type = rnd_below(8) ? types[rnd_below(6)] : (uint16_t)rnd();
		size_t flen = rnd_below(8) ? 16 + 4 * rnd_below(40) : rnd_below(200);
		if (p->len + flen + 4 > sizeof p->b)
			break;
		if (type == NTS_EF_AUTHENTICATOR && flen >= 8 && rnd_below(3)) {
			uint16_t nl = rnd_below(4) ? 16 : (uint16_t)rnd_below(70);
			uint16_t cl = rnd_below(4) ? (uint16_t)(16 + 4 * rnd_below(20))
						   : (uint16_t)rnd_below(300);
			put_auth(p, nl, cl, flen);
			continue;
		}
		uint8_t body[1024];
		size_t blen = flen >= 4 ? flen - 4 : 0;
		if (rnd_below(10) == 0)
			blen = rnd_below(40);
		for (size_t j = 0; j < blen; j++)
			body[j] = (uint8_t)rnd();
		put_ef(p, type, (uint16_t)flen, body, blen);
	}
	if (rnd_below(8) == 0) /* a MAC or junk */
		for (size_t n = rnd_below(25); n > 0; n--)
			p->b[p->len++] = (uint8_t)rnd();
	return p->len;
}

static size_t mutated_ef(struct pkt *p)
{
	const uint8_t *src = rnd_below(2) ? pcap_request : pcap_reply;
	memcpy(p->b, src, 332);
	p->len = 332;
	size_t ops = 1 + rnd_below(4);
	for (size_t i = 0; i < ops; i++) {
		size_t len = p->len;
		switch (rnd_below(6)) {
		case 0:
			if (len)
				p->b[rnd_below(len)] ^= (uint8_t)(1u << rnd_below(8));
			break;
		case 1: /* a field header or an authenticator's lengths */
			if (len > 100) {
				static const size_t at[] = {
					50,  51,  86,  87,  190, 191, 294, 295,
					296, 297, 298, 299, 88,	 89,  90,  91
				};
				size_t k = at[rnd_below(16)];
				if (k < len)
					p->b[k] = (uint8_t)rnd();
			}
			break;
		case 2: p->len = rnd_below(len + 1); break;
		case 3: p->len -= len < 8 ? len : rnd_below(8); break;
		case 4: /* append a copy of the identifier field */
			if (len + 36 <= sizeof p->b) {
				memcpy(p->b + len, src + 48, 36);
				p->len += 36;
			}
			break;
		default:
			for (size_t n = rnd_below(30); n > 0 && p->len < sizeof p->b; n--)
				p->b[p->len++] = (uint8_t)rnd();
			break;
		}
	}
	return p->len;
}

static void count_cookie(void *arg, const uint8_t *cookie, size_t len)
{
	(void)cookie;
	(void)len;
	(*(size_t *)arg)++;
}

static void ef_random_rejection(void **state)
{
	(void)state;
	rnd_state = test_seed ^ UINT64_C(0xef);
	static struct pkt p;
	unsigned long count[NTS_EF_E_DUPLICATE + 1] = { 0 };
	unsigned long cookie_ok = 0;
	for (int iter = 0; iter < 20000; iter++) {
		size_t len = iter < 10000 ? random_ef(&p) : mutated_ef(&p);
		uint8_t *buf = dup_exact(p.b, len);
		struct nts_ef_view a, b;
		memset(&b, 0xa5, sizeof b);
		enum nts_ef_status st = nts_ef_parse(buf, len, &a);
		assert_int_equal(nts_ef_parse(buf, len, &b), st);
		assert_memory_equal(&a, &b, sizeof a);
		check_ef(buf, len, st, &a);
		count[st]++;
		/* The same octets as a plaintext run of fields. */
		size_t called = 0;
		int n = nts_ef_cookies(buf, len, count_cookie, &called);
		assert_true(n >= -1);
		assert_int_equal(called, n < 0 ? 0 : (size_t)n);
		if (n >= 0)
			cookie_ok++;
		free(buf);
	}
	print_message("test_nts: 20000 packets:");
	for (int st = NTS_EF_OK; st <= NTS_EF_E_DUPLICATE; st++)
		print_message(" %s %lu,", nts_ef_strerror((enum nts_ef_status)st), count[st]);
	print_message(" well-formed as plaintext %lu\n", cookie_ok);
	for (int st = NTS_EF_OK; st <= NTS_EF_E_DUPLICATE; st++)
		assert_true(count[st] > 0);
}

/* ------------------------------------------------------------------------ */

int main(void)
{
	const char *env = getenv("TEST_SEED");
	test_seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("test_nts: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n", test_seed,
	       test_seed);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ke_request_bytes),    cmocka_unit_test(ke_chrony_response),
		cmocka_unit_test(ke_split_everywhere), cmocka_unit_test(ke_what_records_say),
		cmocka_unit_test(ke_cookies),	       cmocka_unit_test(ke_server_names),
		cmocka_unit_test(ke_statuses),	       cmocka_unit_test(ke_strerror_names),
		cmocka_unit_test(ef_pcap_request),     cmocka_unit_test(ef_pcap_reply),
		cmocka_unit_test(ef_round_trips),      cmocka_unit_test(ef_authenticator_layout),
		cmocka_unit_test(ef_request_errors),   cmocka_unit_test(ef_statuses),
		cmocka_unit_test(ef_cookies),	       cmocka_unit_test(ke_random_rejection),
		cmocka_unit_test(ef_random_rejection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
