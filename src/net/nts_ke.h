/* nts_ke.h - the NTS key exchange (RFC 8915 section 4) as a client: TCP to
 * the server's NTS-KE port, TLS 1.3 with ALPN "ntske/1" through OpenSSL's
 * libssl (the only module that includes it), the certificate verified
 * against the system's store or a given CA file and the server's name;
 * then the records (wire/nts.h) and the keys exported from the TLS session.
 * Blocking, with one overall timeout; for `sundial query --nts` and the
 * collector's `server ... nts` (which calls it from a source's thread). */
#ifndef SUNDIAL_NET_NTS_KE_H
#define SUNDIAL_NET_NTS_KE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/aead.h"
#include "wire/nts.h"

struct nts_ke_opts {
	const char *host;     /* name to connect to, verify and send as SNI */
	unsigned port;	      /* 0: 4460 */
	const char *ca_file;  /* NULL: the system's trust store */
	double timeout;	      /* seconds for the whole exchange */
	const uint16_t *aead; /* preference order; NULL: what aead_available() offers,
				 AES-SIV-CMAC-256 first */
	size_t n_aead;
	int family; /* AF_UNSPEC (0): any; AF_INET or AF_INET6: only that family */
};

/* Distinct failures, each its own message. */
enum nts_ke_fail {
	NTS_KE_F_NONE = 0,
	NTS_KE_F_RESOLVE,	 /* the name does not resolve */
	NTS_KE_F_CONNECT,	 /* TCP refused or unreachable */
	NTS_KE_F_TIMEOUT,	 /* no answer within the timeout */
	NTS_KE_F_CERT_EXPIRED,	 /* the certificate's validity is over (or not yet) */
	NTS_KE_F_CERT_UNTRUSTED, /* no chain to a trusted CA */
	NTS_KE_F_CERT_NAME,	 /* the certificate is not for this name */
	NTS_KE_F_TLS,		 /* another TLS failure (version, handshake) */
	NTS_KE_F_ALPN,		 /* the server did not agree to ntske/1 */
	NTS_KE_F_ERROR_RECORD,	 /* the server sent an Error record */
	NTS_KE_F_PROTOCOL,	 /* malformed records, no NTPv4, no or an unasked AEAD */
	NTS_KE_F_NO_COOKIES,	 /* a good response without cookies */
};
const char *nts_ke_fail_name(enum nts_ke_fail f); /* "certificate expired", ... */

struct nts_ke_result {
	enum nts_ke_fail fail;
	double seconds;	  /* connect to End of Message */
	uint16_t aead;	  /* negotiated */
	char server[256]; /* NTP server to use: negotiated, else host */
	unsigned port;	  /* NTP port: negotiated, else 123 */
	size_t n_cookies;
	uint16_t cookie_len[NTS_MAX_COOKIES];
	uint8_t cookie[NTS_MAX_COOKIES][NTS_MAX_COOKIE_LEN];
	uint8_t c2s[AEAD_MAX_KEY], s2c[AEAD_MAX_KEY]; /* exported keys (wipe!) */
	size_t key_len;
	/* the server's certificate (also when verification failed, if seen) */
	bool have_cert;
	char subject[256], issuer[256];
	double not_after; /* Unix seconds */
	double days_left; /* (not_after - now) / 86400, negative if expired */
	char tls_version[16], cipher[64];
	int error_code;	  /* the Error record's code, -1 if none */
	int warning_code; /* the Warning record's code, -1 if none */
};

/* Runs the exchange.  0 with *res filled, or a negative errno with
 * res->fail and err (for people: "certificate expired on 2026-01-01 (CN=...)",
 * "server sent NTS-KE error 1 (bad request)") set. */
int nts_ke_run(const struct nts_ke_opts *o, struct nts_ke_result *res, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Whether path is a CA file nts_ke_run() can use (readable, with PEM
 * certificates): 0, or a negative errno with a message for people in err.
 * For checking a configuration before any exchange. */
int nts_ke_check_ca_file(const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Wipes the keys and cookies of res (n_cookies and cookie_len stay, for
 * reports). */
void nts_ke_result_wipe(struct nts_ke_result *res);

#endif
