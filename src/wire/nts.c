/* nts.c - Network Time Security (RFC 8915) on the wire: NTS-KE records
 * (section 4) and the NTS extension fields of NTP packets (section 5).
 * See nts.h for the layouts.  Pure: no I/O, no allocation, no crypto; every
 * read of received bytes goes through common/rd.h.
 *
 * NTS-KE response rules (section 4.1), as chrony's nts_ke_client.c and
 * NTPsec's nts_client.c apply them:
 *   End of Message    critical, empty body; nothing may follow it
 *   Next Protocol     a list of u16 protocol ids (empty: none supported)
 *   Error, Warning    one u16 code
 *   AEAD Algorithm    one u16 id in a response (empty: none supported)
 *   New Cookie        opaque, any number (up to 8 kept)
 *   Server            ASCII host name or address, 1..255 octets
 *   Port              one u16
 *   anything else     skipped, unless critical
 */
#include "wire/nts.h"

#include <errno.h>
#include <string.h>

#include "common/rd.h"
#include "wire/ntp.h"

#define KE_HEADER_LEN 4	       /* record type, body length */
#define EF_HEADER_LEN 4	       /* field type, field length */
#define AUTH_HEADER_LEN 4      /* nonce length, ciphertext length */
#define AUTH_MIN_NONCE_ROOM 16 /* RFC 8915 section 5.6: nonce + padding >= 16 */

const char *nts_aead_name(uint16_t id)
{
	switch (id) {
	case NTS_AEAD_AES_SIV_CMAC_256: return "AES-SIV-CMAC-256";
	case NTS_AEAD_AES_SIV_CMAC_384: return "AES-SIV-CMAC-384";
	case NTS_AEAD_AES_SIV_CMAC_512: return "AES-SIV-CMAC-512";
	case NTS_AEAD_AES_128_GCM_SIV: return "AES-128-GCM-SIV";
	case NTS_AEAD_AES_256_GCM_SIV: return "AES-256-GCM-SIV";
	default: return "unknown";
	}
}

const char *nts_ke_strerror(enum nts_ke_status st)
{
	switch (st) {
	case NTS_KE_OK: return "ok";
	case NTS_KE_INCOMPLETE: return "incomplete NTS-KE response (no End of Message yet)";
	case NTS_KE_E_TRUNCATED: return "NTS-KE record body too short for its contents";
	case NTS_KE_E_MALFORMED: return "malformed NTS-KE record";
	case NTS_KE_E_AFTER_END: return "data after NTS-KE End of Message";
	case NTS_KE_E_DUPLICATE: return "repeated NTS-KE record";
	case NTS_KE_E_UNKNOWN_CRITICAL: return "unknown critical NTS-KE record";
	case NTS_KE_E_TOO_LONG: return "NTS-KE response too long";
	}
	return "unknown error";
}

const char *nts_ef_strerror(enum nts_ef_status st)
{
	switch (st) {
	case NTS_EF_OK: return "ok";
	case NTS_EF_E_TRUNCATED: return "truncated NTS extension field";
	case NTS_EF_E_MALFORMED: return "malformed NTS extension field";
	case NTS_EF_E_DUPLICATE: return "repeated NTS unique identifier or authenticator";
	}
	return "unknown error";
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* ------------------------------------------------------------------------
 * NTS-KE (RFC 8915 section 4)
 * ------------------------------------------------------------------------ */

static void put_record(struct wr *w, unsigned type, const uint16_t *v, size_t n)
{
	wr_be16(w, (uint16_t)(NTS_KE_CRITICAL | type));
	wr_be16(w, (uint16_t)(2 * n));
	for (size_t i = 0; i < n; i++)
		wr_be16(w, v[i]);
}

size_t nts_ke_request(uint8_t *buf, size_t cap, const uint16_t *aead, size_t n_aead)
{
	/* Section 4.1: Next Protocol and End of Message are critical; the AEAD
	 * record may be either, and chrony and NTPsec send it critical. */
	static const uint16_t ntpv4 = NTS_NEXT_NTPV4;
	if (!buf || !aead || n_aead == 0 || n_aead > NTS_MAX_AEADS)
		return 0;
	struct wr w = wr_make(buf, cap);
	put_record(&w, NTS_KE_NEXT_PROTOCOL, &ntpv4, 1);
	put_record(&w, NTS_KE_AEAD, aead, n_aead);
	put_record(&w, NTS_KE_END, NULL, 0);
	return w.bad ? 0 : cap - w.left;
}

/* A body that is exactly one u16: too short is TRUNCATED, longer MALFORMED. */
static enum nts_ke_status one_u16(struct rd *body, uint16_t *v)
{
	*v = rd_be16(body);
	if (body->bad)
		return NTS_KE_E_TRUNCATED;
	return body->left ? NTS_KE_E_MALFORMED : NTS_KE_OK;
}

static enum nts_ke_status ke_next_protocol(struct rd *body, struct nts_ke_response *out)
{
	if (out->have_next)
		return NTS_KE_E_DUPLICATE;
	out->have_next = true;
	out->next_protocol = NTS_NEXT_NONE;
	bool first = true;
	while (body->left > 0) {
		uint16_t id = rd_be16(body);
		if (body->bad)
			return NTS_KE_E_TRUNCATED;
		if (first || id == NTS_NEXT_NTPV4)
			out->next_protocol = id;
		if (id == NTS_NEXT_NTPV4)
			break; /* what we need is there; the rest is skipped below */
		first = false;
	}
	/* The rest of the list, still checked for an odd length. */
	if (body->left % 2 != 0)
		return NTS_KE_E_TRUNCATED;
	return NTS_KE_OK;
}

static enum nts_ke_status ke_aead(struct rd *body, struct nts_ke_response *out)
{
	if (out->have_aead)
		return NTS_KE_E_DUPLICATE;
	out->have_aead = true;
	if (body->left == 0) {
		out->aead = 0; /* section 4.1.5: none of the client's */
		return NTS_KE_OK;
	}
	return one_u16(body, &out->aead);
}

static void ke_cookie(struct rd *body, struct nts_ke_response *out)
{
	size_t n = body->left;
	if (n == 0 || n > NTS_MAX_COOKIE_LEN || out->n_cookies == NTS_MAX_COOKIES) {
		out->cookies_dropped++;
		return;
	}
	rd_bytes(body, out->cookie[out->n_cookies], n);
	out->cookie_len[out->n_cookies] = (uint16_t)n;
	out->n_cookies++;
}

/* Section 4.1.7: an ASCII host name or address.  chrony accepts what
 * isgraph() does in the C locale, 0x21..0x7e; so does this. */
static enum nts_ke_status ke_server(struct rd *body, struct nts_ke_response *out)
{
	if (out->server[0] != '\0')
		return NTS_KE_E_DUPLICATE;
	size_t n = body->left;
	if (n == 0 || n > NTS_MAX_SERVER_LEN)
		return NTS_KE_E_MALFORMED;
	const uint8_t *p = rd_ptr(body, n);
	if (!p)
		return NTS_KE_E_TRUNCATED;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return NTS_KE_E_MALFORMED;
	memcpy(out->server, p, n);
	out->server[n] = '\0';
	return NTS_KE_OK;
}

static enum nts_ke_status ke_record(uint16_t type, bool critical, struct rd *body,
				    struct nts_ke_response *out)
{
	uint16_t v = 0;
	enum nts_ke_status st;
	switch (type) {
	case NTS_KE_END:
		if (!critical || body->left != 0)
			return NTS_KE_E_MALFORMED;
		out->have_end = true;
		return NTS_KE_OK;
	case NTS_KE_NEXT_PROTOCOL: return ke_next_protocol(body, out);
	case NTS_KE_ERROR:
	case NTS_KE_WARNING:
		st = one_u16(body, &v);
		if (st != NTS_KE_OK)
			return st;
		if (type == NTS_KE_ERROR && out->error < 0)
			out->error = v;
		else if (type == NTS_KE_WARNING && out->warning < 0)
			out->warning = v;
		return NTS_KE_OK;
	case NTS_KE_AEAD: return ke_aead(body, out);
	case NTS_KE_COOKIE: ke_cookie(body, out); return NTS_KE_OK;
	case NTS_KE_SERVER: return ke_server(body, out);
	case NTS_KE_PORT_NEG:
		if (out->port >= 0)
			return NTS_KE_E_DUPLICATE;
		st = one_u16(body, &v);
		if (st == NTS_KE_OK)
			out->port = v;
		return st;
	default:
		/* Section 4: an unrecognised critical record is an error,
		 * others are ignored. */
		if (critical) {
			out->unknown_critical = type;
			return NTS_KE_E_UNKNOWN_CRITICAL;
		}
		return NTS_KE_OK;
	}
}

enum nts_ke_status nts_ke_parse(const uint8_t *buf, size_t len, struct nts_ke_response *out)
{
	memset(out, 0, sizeof *out);
	out->error = -1;
	out->warning = -1;
	out->port = -1;
	if (len > NTS_KE_MAX_RESPONSE)
		return NTS_KE_E_TOO_LONG;

	struct rd r = rd_make(buf, len);
	while (r.left > 0) {
		if (out->have_end)
			return NTS_KE_E_AFTER_END;
		if (r.left < KE_HEADER_LEN)
			return NTS_KE_INCOMPLETE;
		uint16_t t = rd_be16(&r);
		uint16_t blen = rd_be16(&r);
		bool critical = (t & NTS_KE_CRITICAL) != 0;
		uint16_t type = (uint16_t)(t & ~NTS_KE_CRITICAL);
		/* Errors the header alone shows need not wait for the body. */
		if ((len - r.left) + blen > NTS_KE_MAX_RESPONSE)
			return NTS_KE_E_TOO_LONG;
		if (critical && type > NTS_KE_PORT_NEG) {
			out->unknown_critical = type;
			return NTS_KE_E_UNKNOWN_CRITICAL;
		}
		if (r.left < blen)
			return NTS_KE_INCOMPLETE;
		struct rd body = rd_sub(&r, blen);
		enum nts_ke_status st = ke_record(type, critical, &body, out);
		if (st != NTS_KE_OK)
			return st;
	}
	return out->have_end ? NTS_KE_OK : NTS_KE_INCOMPLETE;
}

/* ------------------------------------------------------------------------
 * NTS extension fields (RFC 8915 section 5, RFC 7822 form)
 * ------------------------------------------------------------------------ */

/* The length of a field holding body_len octets: padded to 4, at least 16. */
static size_t ef_len(size_t body_len)
{
	size_t n = EF_HEADER_LEN + pad4(body_len);
	return n < NTP_EF_MIN_LEN ? NTP_EF_MIN_LEN : n;
}

int nts_ef_request(uint8_t *buf, size_t cap, size_t *used, const uint8_t *uid,
		   const uint8_t *cookie, size_t cookie_len, size_t n_placeholders)
{
	if (!buf || !used || !uid || !cookie || cookie_len == 0)
		return -EINVAL;
	if (cookie_len > 0xffff - EF_HEADER_LEN - 3 || *used > cap)
		return -ENOSPC;
	/* All or nothing: measure first (section 5.5: a placeholder is as long
	 * as the cookie). */
	size_t uid_flen = ef_len(NTS_UID_LEN);
	size_t flen = ef_len(cookie_len);
	size_t room = cap - *used;
	if (room < uid_flen + flen)
		return -ENOSPC;
	room -= uid_flen + flen;
	if (n_placeholders > room / flen)
		return -ENOSPC;

	size_t at = *used;
	if (ntp_ef_append(buf, cap, &at, NTS_EF_UNIQUE_ID, uid, NTS_UID_LEN) != 0 ||
	    ntp_ef_append(buf, cap, &at, NTS_EF_COOKIE, cookie, cookie_len) != 0)
		return -ENOSPC;
	struct wr w = wr_make(buf + at, cap - at);
	for (size_t i = 0; i < n_placeholders; i++) {
		wr_be16(&w, NTS_EF_COOKIE_PLACEHOLDER);
		wr_be16(&w, (uint16_t)flen);
		wr_zero(&w, flen - EF_HEADER_LEN);
	}
	if (w.bad)
		return -ENOSPC;
	*used = at + n_placeholders * flen;
	return 0;
}

/*  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     Field Type (0x0404)       |        Field Length           |
 * |         Nonce Length          |      Ciphertext Length        |
 * |     Nonce, padded to 4 (NTS: at least 16 octets with padding) |
 * |     Ciphertext, padded to 4                                   |
 * |     Additional Padding                                        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * RFC 8915 section 5.6. */
int nts_ef_authenticator(uint8_t *buf, size_t cap, size_t *used, const uint8_t *nonce,
			 size_t nonce_len, const uint8_t *ct, size_t ct_len)
{
	if (!buf || !used || !nonce || nonce_len == 0 || nonce_len > 0xffff || (!ct && ct_len) ||
	    ct_len > 0xffff)
		return -EINVAL;
	size_t npad = pad4(nonce_len), cpad = pad4(ct_len);
	size_t extra = npad < AUTH_MIN_NONCE_ROOM ? AUTH_MIN_NONCE_ROOM - npad : 0;
	size_t flen = EF_HEADER_LEN + AUTH_HEADER_LEN + npad + cpad + extra;
	if (flen > 0xffff)
		return -EINVAL;
	if (*used > cap || cap - *used < flen)
		return -ENOSPC;
	struct wr w = wr_make(buf + *used, cap - *used);
	wr_be16(&w, NTS_EF_AUTHENTICATOR);
	wr_be16(&w, (uint16_t)flen);
	wr_be16(&w, (uint16_t)nonce_len);
	wr_be16(&w, (uint16_t)ct_len);
	wr_bytes(&w, nonce, nonce_len);
	wr_zero(&w, npad - nonce_len);
	wr_bytes(&w, ct, ct_len);
	wr_zero(&w, cpad - ct_len + extra);
	if (w.bad)
		return -ENOSPC;
	*used += flen;
	return 0;
}

/* The body of an authenticator at packet offset off (of its field header). */
static enum nts_ef_status authenticator(struct rd *body, size_t off, struct nts_ef_view *out)
{
	size_t nlen = rd_be16(body);
	size_t clen = rd_be16(body);
	if (body->bad || pad4(nlen) > body->left || pad4(clen) > body->left - pad4(nlen))
		return NTS_EF_E_MALFORMED;
	out->have_auth = true;
	out->ad_len = off;
	out->nonce_off = off + EF_HEADER_LEN + AUTH_HEADER_LEN;
	out->nonce_len = nlen;
	out->ct_off = out->nonce_off + pad4(nlen);
	out->ct_len = clen;
	return NTS_EF_OK;
}

enum nts_ef_status nts_ef_parse(const uint8_t *buf, size_t len, struct nts_ef_view *out)
{
	memset(out, 0, sizeof *out);
	struct rd r = rd_make(buf, len);
	rd_skip(&r, NTP_HEADER_LEN);
	if (r.bad)
		return NTS_EF_E_TRUNCATED;
	/* RFC 7822 section 7.5 lets a legacy MAC follow the fields; an NTS
	 * packet has none (RFC 8915 section 5.7), so every octet belongs to a
	 * field and a short remainder is a field cut short. */
	while (r.left > 0) {
		size_t off = len - r.left;
		if (r.left < NTP_EF_MIN_LEN)
			return NTS_EF_E_TRUNCATED;
		uint16_t type = rd_be16(&r);
		size_t flen = rd_be16(&r);
		if (flen < NTP_EF_MIN_LEN || flen % 4 != 0)
			return NTS_EF_E_MALFORMED;
		if (flen - EF_HEADER_LEN > r.left)
			return NTS_EF_E_TRUNCATED;
		struct rd body = rd_sub(&r, flen - EF_HEADER_LEN);
		if (out->have_auth)
			out->after_auth = true;
		switch (type) {
		case NTS_EF_UNIQUE_ID:
			if (out->have_uid)
				return NTS_EF_E_DUPLICATE;
			out->have_uid = true;
			out->uid_off = off + EF_HEADER_LEN;
			out->uid_len = flen - EF_HEADER_LEN;
			break;
		case NTS_EF_COOKIE: out->n_cookies++; break;
		case NTS_EF_COOKIE_PLACEHOLDER: out->n_placeholders++; break;
		case NTS_EF_AUTHENTICATOR: {
			if (out->have_auth)
				return NTS_EF_E_DUPLICATE;
			enum nts_ef_status st = authenticator(&body, off, out);
			if (st != NTS_EF_OK)
				return st;
			break;
		}
		default: break; /* not NTS: the caller's */
		}
	}
	return r.bad ? NTS_EF_E_TRUNCATED : NTS_EF_OK;
}

/* One pass over a plaintext run of fields: the number of cookies, or -1. */
static int walk_cookies(const uint8_t *pt, size_t len,
			void (*fn)(void *arg, const uint8_t *cookie, size_t len), void *arg)
{
	struct rd r = rd_make(pt, len);
	int n = 0;
	while (r.left > 0) {
		if (r.left < NTP_EF_MIN_LEN)
			return -1;
		uint16_t type = rd_be16(&r);
		size_t flen = rd_be16(&r);
		if (flen < NTP_EF_MIN_LEN || flen % 4 != 0 || flen - EF_HEADER_LEN > r.left)
			return -1;
		size_t blen = flen - EF_HEADER_LEN;
		const uint8_t *body = rd_ptr(&r, blen);
		if (!body)
			return -1;
		if (type == NTS_EF_COOKIE) {
			if (n == 0x7fffffff)
				return -1;
			if (fn)
				fn(arg, body, blen);
			n++;
		}
	}
	return r.bad ? -1 : n;
}

int nts_ef_cookies(const uint8_t *pt, size_t len,
		   void (*fn)(void *arg, const uint8_t *cookie, size_t len), void *arg)
{
	/* Check it all before handing anything out. */
	int n = walk_cookies(pt, len, NULL, NULL);
	if (n <= 0 || !fn)
		return n;
	return walk_cookies(pt, len, fn, arg);
}
