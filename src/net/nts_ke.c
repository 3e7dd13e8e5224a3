/* nts_ke.c - the NTS key exchange as a client (RFC 8915 section 4); see
 * nts_ke.h.
 *
 * One TCP connection (a non-blocking connect(), then poll() against one
 * deadline for every step), TLS 1.3 only through libssl with ALPN
 * "ntske/1", the server's certificate verified against the system's trust
 * store (or a CA file) and the name asked for: SNI and host name check for
 * a name, an IP address check for an address literal.  Then the request and
 * the response records (wire/nts.h) and the two keys from the TLS exporter
 * (RFC 8915 section 5.1, RFC 5705).
 *
 * The verify callback lets the handshake finish after a certificate error
 * so that the certificate can be reported (subject, issuer, expiry), but it
 * keeps the first error, and the exchange fails before a single record is
 * sent.  Only this module includes libssl's headers; its error conventions
 * end here.
 */
#include "net/nts_ke.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"

#define KE_MAX_RESPONSE 65536 /* RFC 8915 section 4: servers keep it far smaller */
#define KE_MAX_ADDRS 8	      /* addresses of one name tried in turn */
#define KE_NTP_PORT 123	      /* RFC 8915 section 4.1.7: without Port Negotiation */

const char *nts_ke_fail_name(enum nts_ke_fail f)
{
	switch (f) {
	case NTS_KE_F_NONE: return "none";
	case NTS_KE_F_RESOLVE: return "name does not resolve";
	case NTS_KE_F_CONNECT: return "connection failed";
	case NTS_KE_F_TIMEOUT: return "timeout";
	case NTS_KE_F_CERT_EXPIRED: return "certificate expired";
	case NTS_KE_F_CERT_UNTRUSTED: return "certificate not trusted";
	case NTS_KE_F_CERT_NAME: return "certificate name mismatch";
	case NTS_KE_F_TLS: return "TLS failure";
	case NTS_KE_F_ALPN: return "ALPN ntske/1 refused";
	case NTS_KE_F_ERROR_RECORD: return "NTS-KE error record";
	case NTS_KE_F_PROTOCOL: return "NTS-KE protocol error";
	case NTS_KE_F_NO_COOKIES: return "no cookies";
	}
	return "unknown";
}

/* One exchange in progress. */
struct ke {
	const struct nts_ke_opts *o;
	struct nts_ke_result *res;
	char *err;
	size_t errlen;
	double deadline;  /* monotonic seconds */
	unsigned port;	  /* of the NTS-KE server */
	char address[64]; /* the address connected to, for messages */
	int fd;
	/* Certificate verification, filled by verify_cb(). */
	int verify_err;	  /* the first X509_V_ERR_*, X509_V_OK if none */
	int verify_depth; /* where in the chain it happened */
	X509 *leaf;	  /* the server's certificate (a reference) */
	X509 *err_cert;	  /* the certificate of the first error (a reference) */
};

__attribute__((format(printf, 4, 5))) static int fail(struct ke *k, enum nts_ke_fail f, int rc,
						      const char *fmt, ...)
{
	k->res->fail = f;
	if (k->err && k->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(k->err, k->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool is_ip_literal(const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;
	return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
}

/* Milliseconds left before the deadline, at least 1 while any is left; 0
 * when it has passed. */
static int ms_left(const struct ke *k)
{
	double left = k->deadline - clock_mono_sec();
	if (left <= 0)
		return 0;
	if (left > 3600)
		left = 3600;
	return (int)(left * 1000.0) + 1;
}

/* Waits until fd is ready for events.  0, -ETIMEDOUT, or -errno of poll(). */
static int wait_fd(const struct ke *k, short events)
{
	for (;;) {
		int ms = ms_left(k);
		if (ms == 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = k->fd, .events = events, .revents = 0 };
		int r = poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* --- TCP --- */

/* Connects to one address before the deadline.  The socket, or -errno
 * (-ETIMEDOUT when the deadline passed). */
static int connect_one(struct ke *k, const struct sockaddr_storage *ss)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	const struct sockaddr *sa = (const struct sockaddr *)ss;
	if (connect(fd, sa, addr_len(sa)) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		int e = -errno;
		close(fd);
		return e;
	}
	k->fd = fd;
	int rc = wait_fd(k, POLLOUT);
	k->fd = -1;
	if (rc == 0) {
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		rc = soerr ? -soerr : 0;
	}
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* Resolves the host and connects to its addresses in turn; sets k->fd. */
static int tcp_connect(struct ke *k, double *started)
{
	const struct nts_ke_opts *o = k->o;
	struct addr_spec spec;
	memset(&spec, 0, sizeof spec);
	if (str_copy(spec.host, o->host, sizeof spec.host) >= sizeof spec.host)
		return fail(k, NTS_KE_F_RESOLVE, -EINVAL, "host name too long: '%.40s...'",
			    o->host);
	spec.port = (uint16_t)k->port;
	struct sockaddr_storage addrs[KE_MAX_ADDRS];
	char rerr[300] = "";
	int n = addr_resolve(&spec, o->family, true, addrs, KE_MAX_ADDRS, rerr, sizeof rerr);
	if (n <= 0)
		return fail(k, NTS_KE_F_RESOLVE, n < 0 ? n : -ENOENT, "%s", rerr);
	int last = -ECONNREFUSED;
	for (int i = 0; i < n; i++) {
		addr_format((const struct sockaddr *)&addrs[i], k->address, sizeof k->address);
		*started = clock_mono_sec();
		int fd = connect_one(k, &addrs[i]);
		if (fd >= 0) {
			k->fd = fd;
			return 0;
		}
		last = fd;
		log_debug("NTS-KE: %s port %u (%s): %s", o->host, k->port, k->address,
			  strerror(-fd));
		if (fd == -ETIMEDOUT)
			break;
	}
	if (last == -ETIMEDOUT)
		return fail(k, NTS_KE_F_TIMEOUT, last,
			    "no answer from %s port %u (%s) within %g s (TCP connect)", o->host,
			    k->port, k->address, o->timeout);
	if (last == -ECONNREFUSED)
		return fail(k, NTS_KE_F_CONNECT, last,
			    "%s port %u (%s) refused the connection: no NTS-KE server listens "
			    "there",
			    o->host, k->port, k->address);
	return fail(k, NTS_KE_F_CONNECT, last, "cannot connect to %s port %u (%s): %s", o->host,
		    k->port, k->address, strerror(-last));
}

/* --- certificates --- */

/* The first error of the chain and the server's certificate are kept; the
 * handshake goes on so that they can be reported. */
static int verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct ke *k = ssl ? SSL_get_app_data(ssl) : NULL;
	if (!k)
		return ok;
	X509 *leaf = X509_STORE_CTX_get0_cert(xs);
	if (leaf && !k->leaf && X509_up_ref(leaf) == 1)
		k->leaf = leaf;
	if (!ok && k->verify_err == X509_V_OK) {
		k->verify_err = X509_STORE_CTX_get_error(xs);
		if (k->verify_err == X509_V_OK)
			k->verify_err = X509_V_ERR_UNSPECIFIED;
		k->verify_depth = X509_STORE_CTX_get_error_depth(xs);
		X509 *c = X509_STORE_CTX_get_current_cert(xs);
		if (c && X509_up_ref(c) == 1)
			k->err_cert = c;
	}
	return 1;
}

/* An X509 name as RFC 2253 text ("CN=localhost,O=Example"). */
static void name_text(const X509_NAME *name, char *buf, size_t len)
{
	buf[0] = '\0';
	BIO *b = BIO_new(BIO_s_mem());
	if (!b)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		int n = BIO_read(b, buf, (int)(len - 1));
		buf[n > 0 ? n : 0] = '\0';
	}
	BIO_free(b);
}

static bool cert_time(const ASN1_TIME *t, double *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return false;
	*out = (double)timegm(&tm);
	return true;
}

static void iso_time(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&s, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}

/* The subject alternative names of c ("DNS:localhost, IP:127.0.0.1"). */
static void san_text(X509 *c, char *buf, size_t len)
{
	buf[0] = '\0';
	GENERAL_NAMES *gens = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);
	if (!gens)
		return;
	size_t used = 0;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens) && used + 1 < len; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		char one[80] = "";
		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *s = g->d.dNSName;
			snprintf(one, sizeof one, "DNS:%.*s", s->length > 60 ? 60 : s->length,
				 (const char *)s->data);
		} else if (g->type == GEN_IPADD) {
			const ASN1_OCTET_STRING *s = g->d.iPAddress;
			char a[INET6_ADDRSTRLEN] = "?";
			if (s->length == 4)
				inet_ntop(AF_INET, s->data, a, sizeof a);
			else if (s->length == 16)
				inet_ntop(AF_INET6, s->data, a, sizeof a);
			snprintf(one, sizeof one, "IP:%s", a);
		} else {
			continue;
		}
		int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", one);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	GENERAL_NAMES_free(gens);
}

static void record_cert(struct ke *k)
{
	struct nts_ke_result *res = k->res;
	if (!k->leaf)
		return;
	res->have_cert = true;
	name_text(X509_get_subject_name(k->leaf), res->subject, sizeof res->subject);
	name_text(X509_get_issuer_name(k->leaf), res->issuer, sizeof res->issuer);
	if (cert_time(X509_get0_notAfter(k->leaf), &res->not_after))
		res->days_left = (res->not_after - clock_real_sec()) / 86400.0;
}

/* After the handshake: the verification's verdict, as a failure. */
static int check_verify(struct ke *k, SSL *ssl)
{
	int e = k->verify_err;
	if (e == X509_V_OK) {
		long r = SSL_get_verify_result(ssl);
		e = (int)r;
	}
	if (e == X509_V_OK && !k->leaf)
		return fail(k, NTS_KE_F_CERT_UNTRUSTED, -EACCES, "%s port %u sent no certificate",
			    k->o->host, k->port);
	if (e == X509_V_OK)
		return 0;
	const char *host = k->o->host;
	const char *what = X509_verify_cert_error_string(e);
	X509 *c = k->err_cert ? k->err_cert : k->leaf;
	char subj[256] = "?", when[32] = "?";
	if (c)
		name_text(X509_get_subject_name(c), subj, sizeof subj);
	const char *whose = k->verify_depth > 0 ? "the CA certificate" : "the certificate";
	switch (e) {
	case X509_V_ERR_CERT_HAS_EXPIRED: {
		double t = 0;
		if (c && cert_time(X509_get0_notAfter(c), &t))
			iso_time(t, when, sizeof when);
		return fail(k, NTS_KE_F_CERT_EXPIRED, -EKEYEXPIRED, "%s of %s expired on %s (%s)",
			    whose, host, when, subj);
	}
	case X509_V_ERR_CERT_NOT_YET_VALID: {
		double t = 0;
		if (c && cert_time(X509_get0_notBefore(c), &t))
			iso_time(t, when, sizeof when);
		return fail(k, NTS_KE_F_CERT_EXPIRED, -EKEYEXPIRED,
			    "%s of %s is not valid before %s (%s): is the local clock right?",
			    whose, host, when, subj);
	}
	case X509_V_ERR_HOSTNAME_MISMATCH:
	case X509_V_ERR_IP_ADDRESS_MISMATCH: {
		char sans[200] = "";
		if (k->leaf)
			san_text(k->leaf, sans, sizeof sans);
		return fail(k, NTS_KE_F_CERT_NAME, -EACCES,
			    "the certificate of %s port %u is not for '%s' (%s; names: %s)", host,
			    k->port, host, subj, sans[0] ? sans : "none");
	}
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_CERT_UNTRUSTED: {
		char issuer[256] = "?";
		if (c)
			name_text(X509_get_issuer_name(c), issuer, sizeof issuer);
		return fail(k, NTS_KE_F_CERT_UNTRUSTED, -EACCES,
			    "the certificate of %s (%s) is not signed by a trusted CA: %s "
			    "(issuer %s)",
			    host, subj, what, issuer);
	}
	default:
		return fail(k, NTS_KE_F_CERT_UNTRUSTED, -EACCES,
			    "the certificate of %s does not verify: %s (%s, chain depth %d)", host,
			    what, subj, k->verify_depth);
	}
}

/* --- TLS --- */

/* A failed handshake (SSL_connect's error e): which failure, and why. */
static int handshake_failed(struct ke *k, int e, int sys_errno)
{
	const char *host = k->o->host;
	unsigned long code = ERR_peek_last_error();
	int reason = ERR_GET_REASON(code);
	if (ERR_GET_LIB(code) == ERR_LIB_SSL) {
		switch (reason) {
		case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
			return fail(k, NTS_KE_F_ALPN, -EPROTO,
				    "%s port %u refused ALPN \"" NTS_ALPN
				    "\" (no_application_protocol): not an NTS-KE server",
				    host, k->port);
		case SSL_R_UNSUPPORTED_PROTOCOL:
		case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		case SSL_R_NO_PROTOCOLS_AVAILABLE:
			return fail(k, NTS_KE_F_TLS, -EPROTO,
				    "%s port %u does not speak TLS 1.3, which NTS requires (%s)",
				    host, k->port, ERR_reason_error_string(code));
		case SSL_R_WRONG_VERSION_NUMBER:
		case SSL_R_PACKET_LENGTH_TOO_LONG:
		case SSL_R_RECORD_LENGTH_MISMATCH:
		case SSL_R_HTTP_REQUEST:
		case SSL_R_UNKNOWN_PROTOCOL:
			return fail(k, NTS_KE_F_TLS, -EPROTO,
				    "%s port %u (%s) did not answer with TLS (%s): is it an NTS-KE "
				    "port?",
				    host, k->port, k->address, ERR_reason_error_string(code));
		case SSL_R_UNEXPECTED_EOF_WHILE_READING:
			return fail(k, NTS_KE_F_TLS, -ECONNRESET,
				    "%s port %u (%s) closed the connection during the TLS "
				    "handshake",
				    host, k->port, k->address);
		default: break;
		}
	}
	if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN) {
		if (sys_errno == 0 || sys_errno == ECONNRESET || sys_errno == EPIPE)
			return fail(k, NTS_KE_F_TLS, -ECONNRESET,
				    "%s port %u (%s) closed the connection during the TLS "
				    "handshake",
				    host, k->port, k->address);
		return fail(k, NTS_KE_F_TLS, -sys_errno, "TLS handshake with %s port %u: %s", host,
			    k->port, strerror(sys_errno));
	}
	char msg[256] = "unknown error";
	if (code)
		ERR_error_string_n(code, msg, sizeof msg);
	return fail(k, NTS_KE_F_TLS, -EPROTO, "TLS handshake with %s port %u failed: %s", host,
		    k->port, msg);
}

/* The TLS context: TLS 1.3, ALPN, the trust store.  NULL with *rc set. */
static SSL_CTX *make_ctx(struct ke *k, int *rc)
{
	static const unsigned char alpn[] = { 7, 'n', 't', 's', 'k', 'e', '/', '1' };
	_Static_assert(sizeof NTS_ALPN - 1 == 7, "ALPN length octet");
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx) {
		*rc = fail(k, NTS_KE_F_TLS, -ENOMEM, "cannot set up TLS (SSL_CTX_new failed)");
		return NULL;
	}
	/* RFC 8915 section 3: TLS 1.3 or later; RFC 7301 ALPN. */
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn) != 0) {
		*rc = fail(k, NTS_KE_F_TLS, -EIO, "cannot set up TLS 1.3 with ALPN " NTS_ALPN);
		goto bad;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
	if (k->o->ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, k->o->ca_file, NULL) != 1) {
			char msg[256] = "";
			ERR_error_string_n(ERR_peek_last_error(), msg, sizeof msg);
			*rc = fail(k, NTS_KE_F_TLS, -EINVAL,
				   "cannot use the CA file '%s': %s (it must hold PEM "
				   "certificates)",
				   k->o->ca_file, msg);
			goto bad;
		}
	} else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
		*rc = fail(k, NTS_KE_F_TLS, -EIO, "cannot load the system's trusted certificates");
		goto bad;
	}
	return ctx;
bad:
	SSL_CTX_free(ctx);
	return NULL;
}

/* What became of one call of a TLS operation (else an SSL_ERROR_* code). */
enum { STEP_DONE = -1, STEP_AGAIN = -2, STEP_TIMEOUT = -3 };

/* Judges r, the result of one SSL_connect/_read_ex/_write_ex: STEP_DONE,
 * STEP_AGAIN once the socket is ready for the next try, STEP_TIMEOUT, or
 * the SSL_get_error() code with the errno of a syscall failure in
 * *sys_errno. */
static int ssl_step(struct ke *k, SSL *ssl, int r, int *sys_errno)
{
	if (r == 1)
		return STEP_DONE;
	int e = SSL_get_error(ssl, r);
	*sys_errno = errno;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		int w = wait_fd(k, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
		if (w == -ETIMEDOUT)
			return STEP_TIMEOUT;
		if (w != 0) {
			*sys_errno = -w;
			return SSL_ERROR_SYSCALL;
		}
		return STEP_AGAIN;
	}
	return e;
}

static int tls_handshake(struct ke *k, SSL *ssl)
{
	for (;;) {
		int sys = 0;
		ERR_clear_error();
		errno = 0;
		int st = ssl_step(k, ssl, SSL_connect(ssl), &sys);
		if (st == STEP_DONE)
			return 0;
		if (st == STEP_AGAIN)
			continue;
		if (st == STEP_TIMEOUT)
			return fail(k, NTS_KE_F_TIMEOUT, -ETIMEDOUT,
				    "no answer from %s port %u (%s) within %g s (TLS handshake)",
				    k->o->host, k->port, k->address, k->o->timeout);
		return handshake_failed(k, st, sys);
	}
}

static int tls_write(struct ke *k, SSL *ssl, const uint8_t *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		size_t n = 0;
		int sys = 0;
		ERR_clear_error();
		errno = 0;
		int st = ssl_step(k, ssl, SSL_write_ex(ssl, buf + done, len - done, &n), &sys);
		if (st == STEP_DONE) {
			done += n;
			continue;
		}
		if (st == STEP_AGAIN)
			continue;
		if (st == STEP_TIMEOUT)
			return fail(k, NTS_KE_F_TIMEOUT, -ETIMEDOUT,
				    "%s port %u took more than %g s to take the NTS-KE request",
				    k->o->host, k->port, k->o->timeout);
		return fail(k, NTS_KE_F_TLS, -EIO, "sending the NTS-KE request to %s port %u: %s",
			    k->o->host, k->port,
			    st == SSL_ERROR_SYSCALL && sys ? strerror(sys) : "TLS error");
	}
	return 0;
}

/* Reads until the records end with End of Message. */
static int tls_read_response(struct ke *k, SSL *ssl, uint8_t *buf, size_t cap,
			     struct nts_ke_response *resp)
{
	size_t len = 0;
	for (;;) {
		size_t n = 0;
		int sys = 0;
		ERR_clear_error();
		errno = 0;
		int st = ssl_step(k, ssl, SSL_read_ex(ssl, buf + len, cap - len, &n), &sys);
		if (st == STEP_AGAIN)
			continue;
		if (st == STEP_TIMEOUT)
			return fail(k, NTS_KE_F_TIMEOUT, -ETIMEDOUT,
				    "no complete NTS-KE response from %s port %u within %g s (%zu "
				    "octets came)",
				    k->o->host, k->port, k->o->timeout, len);
		if (st != STEP_DONE) {
			unsigned long code = ERR_peek_last_error();
			if (st == SSL_ERROR_ZERO_RETURN || st == SSL_ERROR_SYSCALL ||
			    ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
				return fail(k, NTS_KE_F_PROTOCOL, -EBADMSG,
					    "%s port %u closed the connection before End of "
					    "Message (%zu octets of records came)",
					    k->o->host, k->port, len);
			char msg[256] = "TLS error";
			if (code)
				ERR_error_string_n(code, msg, sizeof msg);
			return fail(k, NTS_KE_F_TLS, -EIO,
				    "reading the NTS-KE response of %s port %u: %s", k->o->host,
				    k->port, msg);
		}
		len += n;
		enum nts_ke_status ps = nts_ke_parse(buf, len, resp);
		if (ps == NTS_KE_OK)
			return 0;
		if (ps != NTS_KE_INCOMPLETE)
			return fail(k, NTS_KE_F_PROTOCOL, -EBADMSG,
				    "the NTS-KE response of %s port %u is malformed: %s",
				    k->o->host, k->port, nts_ke_strerror(ps));
		if (len == cap)
			return fail(
				k, NTS_KE_F_PROTOCOL, -EMSGSIZE,
				"the NTS-KE response of %s port %u has no End of Message within "
				"%zu octets",
				k->o->host, k->port, cap);
	}
}

static const char *ke_error_name(int code)
{
	switch (code) {
	case 0: return "unrecognized critical record";
	case 1: return "bad request";
	case 2: return "internal server error";
	default: return "unknown error code";
	}
}

/* What the records said, judged (RFC 8915 section 4.1). */
static int check_response(struct ke *k, const struct nts_ke_response *r, const uint16_t *offered,
			  size_t n_offered)
{
	struct nts_ke_result *res = k->res;
	const char *host = k->o->host;
	res->error_code = r->error;
	res->warning_code = r->warning;
	if (r->error >= 0)
		return fail(k, NTS_KE_F_ERROR_RECORD, -EPROTO,
			    "%s port %u sent NTS-KE error %d (%s)", host, k->port, r->error,
			    ke_error_name(r->error));
	/* Section 4.1.4: a client MUST discard the keys after a warning whose
	 * code it does not know (none are defined). */
	if (r->warning >= 0)
		return fail(k, NTS_KE_F_PROTOCOL, -EPROTO,
			    "%s port %u sent NTS-KE warning %d, which sundial does not know "
			    "(RFC 8915 4.1.4: keys discarded)",
			    host, k->port, r->warning);
	if (!r->have_next || r->next_protocol != NTS_NEXT_NTPV4)
		return fail(k, NTS_KE_F_PROTOCOL, -EPROTO,
			    "%s port %u did not agree to NTPv4 as the next protocol%s", host,
			    k->port, r->have_next ? "" : " (no Next Protocol record)");
	if (!r->have_aead)
		return fail(k, NTS_KE_F_PROTOCOL, -EPROTO,
			    "%s port %u chose no AEAD algorithm (no AEAD record)", host, k->port);
	bool asked = false;
	for (size_t i = 0; i < n_offered; i++)
		asked |= offered[i] == r->aead;
	if (!asked || aead_key_len(r->aead) == 0)
		return fail(k, NTS_KE_F_PROTOCOL, -EPROTO,
			    "%s port %u chose AEAD algorithm %u (%s), which sundial did not offer",
			    host, k->port, r->aead, nts_aead_name(r->aead));
	if (r->n_cookies == 0)
		return fail(k, NTS_KE_F_NO_COOKIES, -ENODATA, "%s port %u sent no cookies%s", host,
			    k->port, r->cookies_dropped ? " that fit (all too long)" : "");
	if (r->port == 0)
		return fail(k, NTS_KE_F_PROTOCOL, -EPROTO, "%s port %u negotiated NTP port 0", host,
			    k->port);
	res->aead = r->aead;
	res->port = r->port > 0 ? (unsigned)r->port : KE_NTP_PORT;
	str_copy(res->server, r->server[0] ? r->server : host, sizeof res->server);
	res->n_cookies = r->n_cookies;
	for (size_t i = 0; i < r->n_cookies && i < NTS_MAX_COOKIES; i++) {
		res->cookie_len[i] = r->cookie_len[i];
		memcpy(res->cookie[i], r->cookie[i], r->cookie_len[i]);
	}
	return 0;
}

/* RFC 8915 section 5.1: the exporter context is the Protocol ID (NTPv4,
 * 0), the AEAD algorithm id and 0x00 for C2S or 0x01 for S2C. */
static int export_keys(struct ke *k, SSL *ssl)
{
	struct nts_ke_result *res = k->res;
	size_t len = aead_key_len(res->aead);
	if (len == 0 || len > AEAD_MAX_KEY)
		return fail(k, NTS_KE_F_PROTOCOL, -EPROTO, "no key length for AEAD %u", res->aead);
	uint8_t ctx[5] = { NTS_NEXT_NTPV4 >> 8, NTS_NEXT_NTPV4 & 0xff, (uint8_t)(res->aead >> 8),
			   (uint8_t)(res->aead & 0xff), 0x00 };
	static const char label[] = NTS_EXPORTER_LABEL;
	if (SSL_export_keying_material(ssl, res->c2s, len, label, sizeof label - 1, ctx, sizeof ctx,
				       1) != 1)
		goto bad;
	ctx[4] = 0x01;
	if (SSL_export_keying_material(ssl, res->s2c, len, label, sizeof label - 1, ctx, sizeof ctx,
				       1) != 1)
		goto bad;
	res->key_len = len;
	return 0;
bad:
	mem_wipe(res->c2s, sizeof res->c2s);
	mem_wipe(res->s2c, sizeof res->s2c);
	return fail(k, NTS_KE_F_TLS, -EIO, "cannot export the NTS keys from the TLS session");
}

/* The AEAD algorithms to offer: the caller's, or AES-SIV-CMAC-256 first and
 * then the others this OpenSSL has. */
static size_t offer_list(const struct nts_ke_opts *o, uint16_t *out)
{
	if (o->aead && o->n_aead) {
		size_t n = o->n_aead < NTS_MAX_AEADS ? o->n_aead : NTS_MAX_AEADS;
		memcpy(out, o->aead, n * sizeof *out);
		return n;
	}
	static const uint16_t pref[] = {
		NTS_AEAD_AES_SIV_CMAC_256, NTS_AEAD_AES_SIV_CMAC_384, NTS_AEAD_AES_SIV_CMAC_512,
		NTS_AEAD_AES_128_GCM_SIV,  NTS_AEAD_AES_256_GCM_SIV,
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof pref / sizeof pref[0] && n < NTS_MAX_AEADS; i++)
		if (aead_available(pref[i]))
			out[n++] = pref[i];
	return n;
}

static int run(struct ke *k, struct nts_ke_response *resp, uint8_t *buf)
{
	const struct nts_ke_opts *o = k->o;
	struct nts_ke_result *res = k->res;
	uint16_t offered[NTS_MAX_AEADS];
	size_t n_offered = offer_list(o, offered);
	size_t reqlen = nts_ke_request(buf, KE_MAX_RESPONSE, offered, n_offered);
	if (reqlen == 0)
		return fail(k, NTS_KE_F_PROTOCOL, -EINVAL,
			    "no AEAD algorithm to offer (OpenSSL has no AES-SIV-CMAC?)");

	/* The trust store first: a CA file that will not load is a local
	 * problem, found before anything is sent. */
	int rc = 0;
	SSL_CTX *ctx = make_ctx(k, &rc);
	if (!ctx)
		return rc;
	SSL *ssl = NULL;
	double started = 0;
	rc = tcp_connect(k, &started);
	if (rc != 0)
		goto out;
	ssl = SSL_new(ctx);
	if (!ssl) {
		rc = fail(k, NTS_KE_F_TLS, -ENOMEM, "cannot set up TLS (SSL_new failed)");
		goto out;
	}
	SSL_set_app_data(ssl, k);
	if (SSL_set_fd(ssl, k->fd) != 1) {
		rc = fail(k, NTS_KE_F_TLS, -EIO, "cannot set up TLS (SSL_set_fd failed)");
		goto out;
	}
	/* The name to check: SNI and a host name, or an address literal
	 * (RFC 6066 section 3: no SNI for addresses). */
	bool ok;
	if (is_ip_literal(o->host)) {
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), o->host) == 1;
	} else {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
		ok = SSL_set_tlsext_host_name(ssl, o->host) == 1 &&
		     SSL_set1_host(ssl, o->host) == 1;
	}
	if (!ok) {
		rc = fail(k, NTS_KE_F_TLS, -EINVAL, "cannot check certificates for '%s'", o->host);
		goto out;
	}

	rc = tls_handshake(k, ssl);
	record_cert(k);
	if (rc != 0)
		goto out;
	str_copy(res->tls_version, SSL_get_version(ssl), sizeof res->tls_version);
	const char *cipher = SSL_get_cipher_name(ssl);
	str_copy(res->cipher, cipher ? cipher : "?", sizeof res->cipher);
	rc = check_verify(k, ssl);
	if (rc != 0)
		goto out;
	const unsigned char *proto = NULL;
	unsigned int plen = 0;
	SSL_get0_alpn_selected(ssl, &proto, &plen);
	if (plen != sizeof NTS_ALPN - 1 || memcmp(proto, NTS_ALPN, plen) != 0) {
		rc = fail(k, NTS_KE_F_ALPN, -EPROTO,
			  "%s port %u did not select ALPN \"" NTS_ALPN "\" (%s): not an NTS-KE "
			  "server",
			  o->host, k->port, plen ? "it chose another protocol" : "it chose none");
		goto out;
	}
	if (SSL_version(ssl) < TLS1_3_VERSION) {
		rc = fail(k, NTS_KE_F_TLS, -EPROTO, "%s port %u negotiated %s, not TLS 1.3",
			  o->host, k->port, res->tls_version);
		goto out;
	}

	rc = tls_write(k, ssl, buf, reqlen);
	if (rc != 0)
		goto out;
	rc = tls_read_response(k, ssl, buf, KE_MAX_RESPONSE, resp);
	if (rc != 0)
		goto out;
	res->seconds = clock_mono_sec() - started;
	rc = check_response(k, resp, offered, n_offered);
	if (rc != 0)
		goto out;
	rc = export_keys(k, ssl);
out:
	/* close_notify after a handshake, whatever came of the exchange; the
	 * server's is not waited for. */
	ERR_clear_error();
	if (ssl && SSL_is_init_finished(ssl))
		(void)SSL_shutdown(ssl);
	ERR_clear_error();
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return rc;
}

int nts_ke_run(const struct nts_ke_opts *o, struct nts_ke_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	res->error_code = -1;
	res->warning_code = -1;
	res->port = KE_NTP_PORT;
	if (err && errlen)
		err[0] = '\0';
	struct ke k = {
		.o = o,
		.res = res,
		.err = err,
		.errlen = errlen,
		.deadline = clock_mono_sec() + (o->timeout > 0 ? o->timeout : 5.0),
		.port = o->port ? o->port : NTS_KE_PORT,
		.fd = -1,
		.verify_err = X509_V_OK,
	};
	if (!o->host || !o->host[0])
		return fail(&k, NTS_KE_F_RESOLVE, -EINVAL, "no NTS-KE server name given");

	/* A write to a connection the server has closed must not end the
	 * process: SIGPIPE is kept from this thread, and one this exchange
	 * raised is taken back (one already pending stays). */
	sigset_t pipe_set, old, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;

	struct nts_ke_response *resp = mem_calloc(1, sizeof *resp);
	uint8_t *buf = mem_alloc(KE_MAX_RESPONSE);
	int rc = run(&k, resp, buf);
	mem_wipe(resp, sizeof *resp);
	mem_wipe(buf, KE_MAX_RESPONSE);
	free(resp);
	free(buf);
	if (k.fd >= 0)
		close(k.fd);
	X509_free(k.leaf);
	X509_free(k.err_cert);

	if (!was_pending) {
		const struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		nts_ke_result_wipe(res);
	return rc;
}

int nts_ke_check_ca_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		int e = errno;
		if (err && errlen)
			snprintf(err, errlen, "cannot read the CA file %s: %s", path, strerror(e));
		return -e;
	}
	fclose(f);
	X509_STORE *st = X509_STORE_new();
	if (!st)
		return -ENOMEM;
	ERR_clear_error();
	int rc = X509_STORE_load_file(st, path) == 1 ? 0 : -EINVAL;
	if (rc != 0 && err && errlen) {
		char msg[256] = "no certificates";
		unsigned long code = ERR_peek_last_error();
		if (code)
			ERR_error_string_n(code, msg, sizeof msg);
		snprintf(err, errlen, "the CA file %s holds no usable PEM certificate (%s)", path,
			 msg);
	}
	ERR_clear_error();
	X509_STORE_free(st);
	return rc;
}

void nts_ke_result_wipe(struct nts_ke_result *res)
{
	if (!res)
		return;
	mem_wipe(res->c2s, sizeof res->c2s);
	mem_wipe(res->s2c, sizeof res->s2c);
	mem_wipe(res->cookie, sizeof res->cookie);
}
