/* nts.h - Network Time Security (RFC 8915) on the wire: NTS-KE records
 * (section 4) and the NTS extension fields of NTP packets (section 5).  A
 * pure codec: no I/O, no allocation, no crypto (the AEAD is auth/aead.h).
 *
 * NTS-KE record (RFC 8915 section 4):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |C|         Record Type         |          Body Length          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Record Body (Body Length octets)        |
 *
 * NTS extension fields (RFC 8915 section 5.7, in RFC 7822 form):
 *   0x0104 Unique Identifier (>= 32 random octets)
 *   0x0204 NTS Cookie
 *   0x0304 NTS Cookie Placeholder (as long as a cookie, zero-filled)
 *   0x0404 NTS Authenticator and Encrypted Extension Fields:
 *          Nonce Length (16) | Ciphertext Length (16) | Nonce, padded to 4 |
 *          Ciphertext, padded to 4 | (padding)
 * The authenticator's associated data is the packet from its first octet
 * up to the authenticator field; the plaintext (the encrypted extension
 * fields: new cookies in a reply) is itself a run of RFC 7822 fields. */
#ifndef SUNDIAL_WIRE_NTS_H
#define SUNDIAL_WIRE_NTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTS_KE_PORT 4460
#define NTS_ALPN "ntske/1"
#define NTS_EXPORTER_LABEL "EXPORTER-network-time-security"

enum nts_ke_type {
	NTS_KE_END = 0,
	NTS_KE_NEXT_PROTOCOL = 1,
	NTS_KE_ERROR = 2,
	NTS_KE_WARNING = 3,
	NTS_KE_AEAD = 4,
	NTS_KE_COOKIE = 5,
	NTS_KE_SERVER = 6,
	NTS_KE_PORT_NEG = 7,
};
#define NTS_KE_CRITICAL 0x8000
#define NTS_NEXT_NTPV4 0
#define NTS_NEXT_NONE 0xffff	  /* next_protocol of an empty Next Protocol list */
#define NTS_KE_MAX_RESPONSE 65536 /* octets; a longer response is NTS_KE_E_TOO_LONG */

/* AEAD algorithm ids (IANA AEAD registry). */
enum nts_aead {
	NTS_AEAD_AES_SIV_CMAC_256 = 15,
	NTS_AEAD_AES_SIV_CMAC_384 = 16,
	NTS_AEAD_AES_SIV_CMAC_512 = 17,
	NTS_AEAD_AES_128_GCM_SIV = 30,
	NTS_AEAD_AES_256_GCM_SIV = 31,
};
const char *nts_aead_name(uint16_t id); /* "AES-SIV-CMAC-256", ..., "unknown" */

enum nts_ef_type {
	NTS_EF_UNIQUE_ID = 0x0104,
	NTS_EF_COOKIE = 0x0204,
	NTS_EF_COOKIE_PLACEHOLDER = 0x0304,
	NTS_EF_AUTHENTICATOR = 0x0404,
};

#define NTS_MAX_COOKIES 8
#define NTS_MAX_COOKIE_LEN 256 /* chrony's are 64..104, NTPsec's about 100 */
#define NTS_UID_LEN 32
#define NTS_MAX_SERVER_LEN 255
#define NTS_MAX_AEADS 8

/* --- NTS-KE --- */

/* The client's request: Next Protocol (NTPv4), AEAD Algorithm (the ids
 * given, in order of preference), End of Message; all critical where RFC
 * 8915 says so.  Returns the length written, or 0 if cap is too small or
 * n_aead is 0 or above NTS_MAX_AEADS. */
size_t nts_ke_request(uint8_t *buf, size_t cap, const uint16_t *aead, size_t n_aead);

/* What a server's response said.  next_protocol: NTS_NEXT_NTPV4 if the
 * Next Protocol list holds it, else the first protocol listed, or
 * NTS_NEXT_NONE for an empty list (the server supports none of ours);
 * aead: the algorithm chosen, 0 for an empty AEAD record (none of ours;
 * IANA's AEAD id 0 is reserved).  Error and Warning keep the first code. */
struct nts_ke_response {
	bool have_next, have_aead, have_end;
	uint16_t next_protocol;
	uint16_t aead;
	int error;   /* the Error record's code, -1 if none (0 unrecognized critical
			record, 1 bad request, 2 internal server error) */
	int warning; /* the Warning record's code, -1 if none */
	size_t n_cookies;
	uint16_t cookie_len[NTS_MAX_COOKIES];
	uint8_t cookie[NTS_MAX_COOKIES][NTS_MAX_COOKIE_LEN];
	size_t cookies_dropped;		     /* beyond NTS_MAX_COOKIES, empty, or longer than
						NTS_MAX_COOKIE_LEN */
	char server[NTS_MAX_SERVER_LEN + 1]; /* "" if not negotiated */
	int port;			     /* -1 if not negotiated */
	uint16_t unknown_critical;	     /* a critical record type we do not know (without
						the critical bit), 0 none */
};

enum nts_ke_status {
	NTS_KE_OK = 0,
	NTS_KE_INCOMPLETE,	   /* no End of Message yet: read more */
	NTS_KE_E_TRUNCATED,	   /* a record body too short for what it must hold: an odd-
				      length protocol list, a u16 field of 0 or 1 octets */
	NTS_KE_E_MALFORMED,	   /* a record body too long for its contents, or bad content
				      (a server name that is empty, over 255 or not
				      printable ASCII; End of Message not critical or not
				      empty) */
	NTS_KE_E_AFTER_END,	   /* octets after End of Message */
	NTS_KE_E_DUPLICATE,	   /* Next Protocol, AEAD, Server or Port twice */
	NTS_KE_E_UNKNOWN_CRITICAL, /* a critical record type it does not know */
	NTS_KE_E_TOO_LONG,	   /* more than NTS_KE_MAX_RESPONSE octets, or a record
				      that would end beyond them */
};
const char *nts_ke_strerror(enum nts_ke_status st);

/* Parses the records of a response received so far (buf, len): NTS_KE_OK
 * when it ends with End of Message and everything before is well-formed,
 * NTS_KE_INCOMPLETE while the last record is cut short or End of Message
 * has not come, else the error (an error found in a complete record is
 * reported at once, End of Message or not).  *out is zeroed first (error
 * -1, warning -1, port -1) and then holds what the records before the end
 * or the fault said.  Records split across reads: call again on the whole
 * response so far.  Semantic checks (an Error record, no AEAD, no
 * cookies) are the caller's: this only says what the records said. */
enum nts_ke_status nts_ke_parse(const uint8_t *buf, size_t len, struct nts_ke_response *out)
	__attribute__((warn_unused_result));

/* --- NTS extension fields in NTP packets --- */

/* Appends a Unique Identifier (uid, NTS_UID_LEN octets), a Cookie and
 * n_placeholders Cookie Placeholders of cookie_len octets (zero-filled)
 * after the header at buf + *used, each padded as RFC 7822 says.  0,
 * -EINVAL (a NULL pointer, cookie_len 0) or -ENOSPC (nothing appended). */
int nts_ef_request(uint8_t *buf, size_t cap, size_t *used, const uint8_t *uid,
		   const uint8_t *cookie, size_t cookie_len, size_t n_placeholders)
	__attribute__((warn_unused_result));

/* Appends an Authenticator field holding nonce and ciphertext at
 * buf + *used (associated data = buf[0, *used) before the call): both
 * padded to 4 octets, then zero padding so that the padded nonce takes at
 * least 16 (RFC 8915 section 5.6; none for the 16-octet nonces sundial
 * sends).  0, -EINVAL (a NULL pointer, nonce_len 0, a length over 65535)
 * or -ENOSPC (nothing appended). */
int nts_ef_authenticator(uint8_t *buf, size_t cap, size_t *used, const uint8_t *nonce,
			 size_t nonce_len, const uint8_t *ct, size_t ct_len)
	__attribute__((warn_unused_result));

/* A packet's NTS fields, located by offsets into the caller's buffer. */
struct nts_ef_view {
	bool have_uid;
	size_t uid_off, uid_len;
	bool have_auth;
	size_t ad_len; /* associated data: buf[0, ad_len) */
	size_t nonce_off, nonce_len;
	size_t ct_off, ct_len;
	size_t n_cookies;      /* unencrypted cookies (a client never expects them) */
	size_t n_placeholders; /* cookie placeholders (a request's) */
	bool after_auth;       /* fields after the authenticator (not covered by it:
				  a client rejects the packet) */
};

enum nts_ef_status {
	NTS_EF_OK = 0,
	NTS_EF_E_TRUNCATED, /* a field runs past the end, 1..15 octets are left over
			       (an NTS packet has no legacy MAC), under 48 octets */
	NTS_EF_E_MALFORMED, /* a field length under 16 or not a multiple of 4, or an
			       authenticator whose lengths do not fit in it */
	NTS_EF_E_DUPLICATE, /* two unique identifiers or two authenticators */
};
const char *nts_ef_strerror(enum nts_ef_status st);

/* Walks the extension fields of a whole NTP packet (buf, len; the 48-octet
 * header first, not looked at).  Unknown fields are skipped; the lengths
 * inside the authenticator are only bounded, not judged (a nonce of 0
 * octets parses).  *out is zeroed first.  NTS_EF_OK with *out filled, or
 * the error. */
enum nts_ef_status nts_ef_parse(const uint8_t *buf, size_t len, struct nts_ef_view *out)
	__attribute__((warn_unused_result));

/* The cookies in the plaintext of a reply's authenticator (a run of
 * extension fields, each at least 16 octets and 4-aligned): calls
 * fn(arg, cookie, len) for each Cookie field (fn may be NULL; cookie points
 * into pt, and len may be anything, NTS_MAX_COOKIE_LEN is the caller's to
 * apply).  Returns their number, or -1 (and no call) if the plaintext is
 * not well-formed. */
int nts_ef_cookies(const uint8_t *pt, size_t len,
		   void (*fn)(void *arg, const uint8_t *cookie, size_t len), void *arg);

#endif
