/* ntp.c - NTP time packets: RFC 5905 header, RFC 7822 extension fields and
 * the MAC trailer.  See ntp.h for the layout.  Pure: no I/O, no allocation. */
#include "wire/ntp.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/rd.h"

const char *ntp_strerror(enum ntp_status st)
{
	switch (st) {
	case NTP_OK: return "ok";
	case NTP_E_TRUNCATED: return "truncated packet";
	case NTP_E_VERSION: return "unsupported NTP version";
	case NTP_E_MODE: return "control or private mode, not a time packet";
	case NTP_E_EF_LENGTH: return "invalid extension field length";
	case NTP_E_TOO_MANY_EF: return "too many extension fields";
	case NTP_E_MAC_LENGTH: return "invalid MAC length";
	case NTP_E_TOO_LONG: return "packet too long";
	}
	return "unknown error";
}

/* The trailer after the header and extension fields: RFC 5905 section 7.3
 * (key id + digest), section 9.2 (crypto-NAK: key id 0 alone). */
static enum ntp_status decode_mac(struct rd *r, size_t off, struct ntp_pkt *out)
{
	size_t n = r->left;
	if (n == 0) {
		out->mac_kind = NTP_MAC_NONE;
		return NTP_OK;
	}
	if (n % 4 != 0 || n < 4 || n > 4 + NTP_MAX_DIGEST)
		return NTP_E_MAC_LENGTH;
	out->mac_off = off;
	out->key_id = rd_be32(r);
	if (n == 4) {
		if (out->key_id != 0)
			return NTP_E_MAC_LENGTH;
		out->mac_kind = NTP_MAC_CRYPTO_NAK;
		return NTP_OK;
	}
	if (n < 4 + 16)
		return NTP_E_MAC_LENGTH;
	out->digest_len = n - 4;
	rd_bytes(r, out->digest, out->digest_len);
	out->mac_kind = NTP_MAC_DIGEST;
	return r->bad ? NTP_E_TRUNCATED : NTP_OK;
}

/* A remainder that can only be a MAC: a crypto-NAK, or a key id and a 16-
 * or 20-octet digest (RFC 7822 section 7.5; chrony's parse_packet()). */
static bool is_v4_mac_len(size_t n)
{
	return n == 4 || (n >= 20 && n <= NTP_MAX_V4_MAC);
}

/* Everything after the header: extension fields, then the MAC. */
static enum ntp_status decode_body(struct rd *r, size_t len, struct ntp_pkt *out)
{
	/* NTPv4 extension fields (RFC 7822 section 7.5): walk them until what
	 * is left can only be a MAC or nothing.  Fewer octets than the
	 * smallest field (16) that are not a MAC cannot be a field either:
	 * they are a bad trailer, whatever they hold.  NTPv3 and older have
	 * no extension fields: all that follows the header is the MAC. */
	if (out->version == 4) {
		while (r->left > 0 && !is_v4_mac_len(r->left)) {
			size_t off = len - r->left;
			if (r->left < NTP_EF_MIN_LEN)
				return NTP_E_MAC_LENGTH;
			uint16_t type = rd_be16(r);
			uint16_t flen = rd_be16(r);
			if (flen < NTP_EF_MIN_LEN || flen % 4 != 0)
				return NTP_E_EF_LENGTH;
			if ((size_t)flen - 4 > r->left)
				return NTP_E_TRUNCATED;
			if (out->n_ef == NTP_MAX_EF)
				return NTP_E_TOO_MANY_EF;
			struct ntp_ef *ef = &out->ef[out->n_ef++];
			ef->type = type;
			ef->len = flen;
			ef->body_off = off + 4;
			ef->body_len = (size_t)flen - 4;
			rd_skip(r, ef->body_len);
		}
	}
	return decode_mac(r, len - r->left, out);
}

/* The layout ntp_pkt_decode() relies on to clear only the scalars: the
 * header fields and n_ef, ef[], the MAC's scalars, digest[] last.  The two
 * arrays are most of the struct (448 of 536 octets on LP64) and are written
 * only as far as n_ef and digest_len reach (ntp.h). */
#define NTP_PKT_EF_END (offsetof(struct ntp_pkt, ef) + NTP_MAX_EF * sizeof(struct ntp_ef))
_Static_assert(offsetof(struct ntp_pkt, n_ef) < offsetof(struct ntp_pkt, ef) &&
		       NTP_PKT_EF_END <= offsetof(struct ntp_pkt, mac_kind) &&
		       offsetof(struct ntp_pkt, digest_len) < offsetof(struct ntp_pkt, digest) &&
		       offsetof(struct ntp_pkt, digest) + NTP_MAX_DIGEST == sizeof(struct ntp_pkt),
	       "struct ntp_pkt: header, n_ef, ef[], MAC scalars, digest[]");

/* ntp.h: on error *out is zeroed except for the header fields already read:
 * n_ef and all after it, the arrays included. */
static enum ntp_status fail(struct ntp_pkt *out, enum ntp_status st)
{
	memset(&out->n_ef, 0, sizeof *out - offsetof(struct ntp_pkt, n_ef));
	return st;
}

/* The header after its first octet, from a reader that holds all of it or
 * (a truncated packet) less: a field cut short reads as zero.  Inlined so
 * that, from a reader of constant length, no read is checked at run time. */
__attribute__((always_inline)) static inline void decode_header(struct rd *r, struct ntp_pkt *out)
{
	out->stratum = rd_u8(r);
	out->poll = (int8_t)rd_u8(r);
	out->precision = (int8_t)rd_u8(r);
	out->root_delay = rd_be32(r);
	out->root_disp = rd_be32(r);
	rd_bytes(r, out->refid, 4);
	out->ref_ts = rd_be64(r);
	out->org_ts = rd_be64(r);
	out->rec_ts = rd_be64(r);
	out->xmt_ts = rd_be64(r);
}

enum ntp_status ntp_pkt_decode(const uint8_t *buf, size_t len, struct ntp_pkt *out)
{
	/* Every scalar is cleared (padding too); the arrays are not. */
	memset(out, 0, offsetof(struct ntp_pkt, ef));
	memset(&out->mac_kind, 0,
	       offsetof(struct ntp_pkt, digest) - offsetof(struct ntp_pkt, mac_kind));
	if (len > NTP_MAX_PKT)
		return fail(out, NTP_E_TOO_LONG);
	struct rd r = rd_make(buf, len);

	uint8_t b0 = rd_u8(&r);
	out->leap = (uint8_t)(b0 >> 6);
	out->version = (uint8_t)((b0 >> 3) & 7);
	out->mode = (uint8_t)(b0 & 7);
	if (r.bad)
		return fail(out, NTP_E_TRUNCATED);
	if (out->version < 1 || out->version > 4)
		return fail(out, NTP_E_VERSION);
	if (out->mode == NTP_MODE_CONTROL || out->mode == NTP_MODE_PRIVATE)
		return fail(out, NTP_E_MODE);

	if (r.left < NTP_HEADER_LEN - 1) {
		decode_header(&r, out);
		return fail(out, NTP_E_TRUNCATED);
	}
	/* A sub-reader of constant length over the rest of the header: the
	 * compiler drops the per-field checks. */
	struct rd h = rd_sub(&r, NTP_HEADER_LEN - 1);
	decode_header(&h, out);
	if (r.left == 0)
		return NTP_OK; /* no extension field, no MAC: most packets */

	enum ntp_status st = decode_body(&r, len, out);
	return st == NTP_OK ? NTP_OK : fail(out, st);
}

size_t ntp_pkt_encode(const struct ntp_pkt *p, uint8_t *buf, size_t len)
{
	struct wr w = wr_make(buf, len);
	wr_u8(&w, (uint8_t)((p->leap & 3) << 6 | (p->version & 7) << 3 | (p->mode & 7)));
	wr_u8(&w, p->stratum);
	wr_u8(&w, (uint8_t)p->poll);
	wr_u8(&w, (uint8_t)p->precision);
	wr_be32(&w, p->root_delay);
	wr_be32(&w, p->root_disp);
	wr_bytes(&w, p->refid, 4);
	wr_be64(&w, p->ref_ts);
	wr_be64(&w, p->org_ts);
	wr_be64(&w, p->rec_ts);
	wr_be64(&w, p->xmt_ts);
	return w.bad ? 0 : NTP_HEADER_LEN;
}

int ntp_ef_append(uint8_t *buf, size_t cap, size_t *used, uint16_t type, const void *body,
		  size_t body_len)
{
	size_t flen = 4 + ((body_len + 3) & ~(size_t)3);
	if (flen < NTP_EF_MIN_LEN)
		flen = NTP_EF_MIN_LEN;
	if (body_len > 0xffff || flen > 0xffff || *used > cap || cap - *used < flen)
		return -ENOSPC;
	struct wr w = wr_make(buf + *used, cap - *used);
	wr_be16(&w, type);
	wr_be16(&w, (uint16_t)flen);
	wr_bytes(&w, body, body_len);
	wr_zero(&w, flen - 4 - body_len);
	if (w.bad)
		return -ENOSPC;
	*used += flen;
	return 0;
}

/* --- timestamps --- */

uint64_t ntp_ts_from_timespec(const struct timespec *ts)
{
	/* Seconds modulo 2^32 fold the era away; the fraction is rounded. */
	uint32_t sec = (uint32_t)((uint64_t)ts->tv_sec + NTP_UNIX_EPOCH);
	uint64_t frac = (((uint64_t)ts->tv_nsec << 32) + 500000000u) / 1000000000u;
	if (frac > 0xffffffffu)
		frac = 0xffffffffu;
	return (uint64_t)sec << 32 | frac;
}

void ntp_ts_to_timespec(uint64_t ts, const struct timespec *pivot, struct timespec *out)
{
	/* The 32-bit seconds of ts and of the pivot differ by a signed 32-bit
	 * amount when the two lie within 68 years of each other, whatever
	 * their eras; that difference moves the pivot to the timestamp. */
	uint32_t psec = (uint32_t)((uint64_t)pivot->tv_sec + NTP_UNIX_EPOCH);
	int32_t dsec = (int32_t)((uint32_t)(ts >> 32) - psec);
	uint64_t nsec = ((ts & 0xffffffffu) * 1000000000u + 0x80000000u) >> 32;
	int64_t sec = (int64_t)pivot->tv_sec + dsec;
	if (nsec >= 1000000000u) {
		nsec -= 1000000000u;
		sec++;
	}
	out->tv_sec = (time_t)sec;
	out->tv_nsec = (long)nsec;
}

double ntp_ts_diff(uint64_t a, uint64_t b)
{
	return (double)ntp_ts_sub(a, b) / 4294967296.0;
}

double ntp_short_to_sec(uint32_t s)
{
	return (double)s / 65536.0;
}

void ntp_offset_delay(uint64_t t1, uint64_t t2, uint64_t t3, uint64_t t4, double *offset,
		      double *delay)
{
	/* First-order differences are exact in 64 bits (RFC 5905 section 8);
	 * their sum needs one more bit, so it is taken in 128. */
	int64_t a = ntp_ts_sub(t2, t1);
	int64_t b = ntp_ts_sub(t3, t4);
	int64_t c = ntp_ts_sub(t4, t1);
	int64_t e = ntp_ts_sub(t3, t2);
	__int128 off = ((__int128)a + b) / 2;
	__int128 del = (__int128)c - e;
	*offset = (double)off / 4294967296.0;
	*delay = (double)del / 4294967296.0;
}

/* --- refids and kiss codes --- */

bool ntp_is_kod(const struct ntp_pkt *p)
{
	/* Stratum 0 with an ASCII code in the refid (RFC 5905 section 7.4).
	 * Stratum 0 with an empty or binary refid is only "unspecified": chrony
	 * answers that way while it is not synchronised. */
	if (p->stratum != 0 || !(p->mode == NTP_MODE_SERVER || p->mode == NTP_MODE_PASSIVE ||
				 p->mode == NTP_MODE_ACTIVE))
		return false;
	if (p->refid[0] == 0)
		return false;
	for (size_t i = 0; i < 4; i++) {
		uint8_t c = p->refid[i];
		if (c == 0 && i > 0)
			break;
		if (c < 0x21 || c > 0x7e)
			return false;
	}
	return true;
}

static const struct {
	char code[5];
	enum ntp_kiss_action action;
	const char *meaning;
} kiss_table[] = {
	/* RFC 5905 Figure 13, and RFC 8915 section 5.7 for NTSN. */
	{ "ACST", NTP_KISS_NONE, "the association belongs to a unicast server" },
	{ "AUTH", NTP_KISS_STOP, "server authentication failed" },
	{ "AUTO", NTP_KISS_STOP, "autokey sequence failed" },
	{ "BCST", NTP_KISS_NONE, "the association belongs to a broadcast server" },
	{ "CRYP", NTP_KISS_STOP, "cryptographic authentication or identification failed" },
	{ "DENY", NTP_KISS_STOP, "access denied by the server: stop querying it" },
	{ "DROP", NTP_KISS_NONE, "lost peer in symmetric mode" },
	{ "RSTR", NTP_KISS_STOP, "access denied due to local policy: stop querying it" },
	{ "INIT", NTP_KISS_NONE, "the association has not yet synchronised for the first time" },
	{ "MCST", NTP_KISS_NONE, "the association belongs to a dynamically discovered server" },
	{ "NKEY", NTP_KISS_STOP, "no key found: the key id is unknown to the server" },
	{ "RATE", NTP_KISS_BACKOFF, "rate exceeded: reduce the polling rate" },
	{ "RMOT", NTP_KISS_NONE, "alteration of the association from a remote host running ntpdc" },
	{ "STEP", NTP_KISS_NONE, "a step change in system time has occurred" },
	{ "NTSN", NTP_KISS_STOP, "NTS negative acknowledgement: cookies not accepted" },
};

const char *ntp_kiss_describe(const uint8_t code[4], enum ntp_kiss_action *action)
{
	for (size_t i = 0; i < sizeof kiss_table / sizeof kiss_table[0]; i++) {
		if (memcmp(code, kiss_table[i].code, 4) == 0) {
			if (action)
				*action = kiss_table[i].action;
			return kiss_table[i].meaning;
		}
	}
	if (action)
		*action = NTP_KISS_UNKNOWN;
	if (code[0] == 'X')
		return "experimental kiss code";
	return "unknown kiss code";
}

char *ntp_refid_format(const struct ntp_pkt *p, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	const uint8_t *r = p->refid;
	if (p->stratum <= 1) {
		/* ASCII, left-justified, zero-padded (RFC 5905 section 7.3). */
		size_t n = 0;
		bool printable = true;
		for (size_t i = 0; i < 4 && r[i]; i++, n++)
			if (r[i] < 0x20 || r[i] > 0x7e)
				printable = false;
		for (size_t i = n; i < 4; i++)
			if (r[i])
				printable = false;
		if (printable) {
			char tmp[5];
			memcpy(tmp, r, n);
			tmp[n] = '\0';
			snprintf(buf, len, "%s", tmp);
		} else {
			snprintf(buf, len, "0x%02x%02x%02x%02x", r[0], r[1], r[2], r[3]);
		}
		return buf;
	}
	snprintf(buf, len, "%u.%u.%u.%u", r[0], r[1], r[2], r[3]);
	return buf;
}

const char *ntp_mode_name(unsigned mode)
{
	static const char *const names[] = { "reserved", "symmetric active", "symmetric passive",
					     "client",	 "server",	     "broadcast",
					     "control",	 "private" };
	return mode < 8 ? names[mode] : "invalid";
}

const char *ntp_leap_name(unsigned leap)
{
	static const char *const names[] = { "none", "insert", "delete", "unsynchronised" };
	return leap < 4 ? names[leap] : "invalid";
}
