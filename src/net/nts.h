/* nts.h - an NTS session for the NTP client engine: the keys and cookies
 * one key exchange gave (net/nts_ke.h), spent one cookie per request and
 * refilled from the encrypted cookies of each reply (RFC 8915 section 5.7).
 * Builds the NTS fields of a request (unique identifier, cookie,
 * placeholders so that the server can send as many cookies back as were
 * used, authenticator over the whole) and checks a reply: the unique
 * identifier echoed, the authenticator verified with the server-to-client
 * key, new cookies taken; an NTS NAK (kiss code NTSN) recognised.  Never a
 * silent fallback: a reply that fails is a failure. */
#ifndef SUNDIAL_NET_NTS_H
#define SUNDIAL_NET_NTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/nts_ke.h"

typedef struct nts_session nts_session;

/* A session from a successful key exchange (its keys and cookies are
 * copied; res may then be wiped). */
nts_session *nts_session_new(const struct nts_ke_result *res);
void nts_session_free(nts_session *s); /* wipes; accepts NULL */

/* Cookies left. */
size_t nts_session_cookies(const nts_session *s);

/* Appends the NTS fields to a request whose header is buf[0, *used) and
 * records its unique identifier (uid, NTS_UID_LEN octets, for the check of
 * the reply).  Uses one cookie.  0, -ENOENT (no cookie left: run a new key
 * exchange), -ENOSPC, -EIO (random or AEAD failed). */
int nts_request(nts_session *s, uint8_t *buf, size_t cap, size_t *used, uint8_t *uid)
	__attribute__((warn_unused_result));

enum nts_verdict {
	NTS_V_OK = 0,	 /* authenticated; its new cookies taken */
	NTS_V_NAK,	 /* an NTS NAK: the cookie was refused (run a new exchange) */
	NTS_V_NO_UID,	 /* the unique identifier is missing or not ours */
	NTS_V_NO_AUTH,	 /* no authenticator */
	NTS_V_BAD_AUTH,	 /* the authenticator does not verify */
	NTS_V_MALFORMED, /* NTS fields that do not parse, or fields after the authenticator */
};
const char *nts_verdict_name(enum nts_verdict v);

/* Checks a reply (buf, len) to the request of uid.  kod_ntsn: whether the
 * reply is a kiss-o'-death with code NTSN (the caller decoded the header). */
enum nts_verdict nts_reply(nts_session *s, const uint8_t *buf, size_t len, const uint8_t *uid,
			   bool kod_ntsn);

#endif
