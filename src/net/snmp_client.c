/* snmp_client.c - an SNMP manager for one agent through net-snmp 5.9; see
 * snmp_client.h.  The only file that includes net-snmp's headers.
 *
 * net-snmp 5.9.3, as read in its sources (snmplib/snmp_api.c, snmpusm.c):
 * - snmp_sess_open() of a v3 session probes the engine ID with a blocking
 *   snmp_sess_synch_response() unless SNMP_FLAGS_DONT_PROBE is set, and
 *   clears that flag again when it returns; snmp_sess_async_send() then
 *   probes blocking too while the engine ID is unknown ("delayed probe").
 *   So the flag is set again on the open session, and the engine ID is
 *   found by our own probe: a GET without variables, noAuthNoPriv, empty
 *   user name.  The agent answers with a usmStatsUnknownEngineIDs report
 *   that carries its engine ID, which net-snmp copies into the session
 *   after our callback returned; then usm_create_user_from_session() makes
 *   the user with keys localised to it.
 * - Reports reach the callback first as RECEIVED_MESSAGE (the report PDU);
 *   for notInTimeWindow net-snmp then resends the request by itself (the
 *   first authenticated request after discovery gets one), for others it
 *   calls the callback again with SEC_ERROR.  A request's callback is called
 *   once more per stale event: the current request id tells them apart.
 * - Nothing is sent from inside a callback: the callback records what to do
 *   next and advance() does it once snmp_sess_read2() or
 *   snmp_sess_timeout() has returned.
 */
#include "net/snmp_client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"

#define GET_CHUNK 32
#define DEFAULT_MAX_REP 20

/* ------------------------------------------------------------------ OIDs */

bool snmp_client_oid_parse(const char *s, struct snmp_client_oid *out)
{
	struct snmp_client_oid o;
	o.len = 0;
	if (!s)
		return false;
	const char *p = s;
	if (*p == '.')
		p++;
	for (;;) {
		if (*p < '0' || *p > '9')
			return false;
		if (*p == '0' && p[1] >= '0' && p[1] <= '9')
			return false; /* leading zero */
		uint64_t v = 0;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > UINT32_MAX)
				return false;
			p++;
		}
		if (o.len == SNMP_CLIENT_OID_MAX)
			return false;
		o.arc[o.len++] = (uint32_t)v;
		if (*p == '\0')
			break;
		if (*p != '.')
			return false;
		p++;
	}
	if (o.len < 2 || o.arc[0] > 2)
		return false;
	*out = o;
	return true;
}

size_t snmp_client_oid_format(const struct snmp_client_oid *o, char *buf, size_t len)
{
	size_t need = 0;
	char tmp[16];
	if (len > 0)
		buf[0] = '\0';
	for (size_t i = 0; i < o->len; i++) {
		int n = snprintf(tmp, sizeof tmp, i ? ".%u" : "%u", (unsigned)o->arc[i]);
		size_t k = n > 0 ? (size_t)n : 0;
		if (need + k < len)
			memcpy(buf + need, tmp, k + 1);
		else if (len > 0 && need < len)
			buf[need] = '\0';
		need += k;
	}
	return need;
}

int snmp_client_oid_cmp(const struct snmp_client_oid *a, const struct snmp_client_oid *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	for (size_t i = 0; i < n; i++)
		if (a->arc[i] != b->arc[i])
			return a->arc[i] < b->arc[i] ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len ? 1 : 0;
}

bool snmp_client_oid_under(const struct snmp_client_oid *o, const struct snmp_client_oid *prefix)
{
	if (o->len <= prefix->len)
		return false;
	for (size_t i = 0; i < prefix->len; i++)
		if (o->arc[i] != prefix->arc[i])
			return false;
	return true;
}

/* ----------------------------------------------------------- credentials */

void snmp_client_creds_wipe(struct snmp_client_creds *c)
{
	if (c)
		mem_wipe(c, sizeof *c);
}

bool snmp_client_creds_mode_ok(unsigned int st_mode)
{
	return S_ISREG(st_mode) && (st_mode & 077) == 0;
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Printable ASCII and inner blanks. */
static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] < 0x20 || s[i] > 0x7e) && s[i] != '\t')
			return false;
	return true;
}

/* Copies the value [v, v + n) into dst (size cap + 1) after its checks. */
static bool take_value(const char *name, unsigned line, const char *what, const char *v, size_t n,
		       size_t min, size_t cap, char *dst, char *err, size_t errlen)
{
	if (n < min || n > cap) {
		str_format(err, errlen, "%s:%u: %s must be %zu to %zu characters long (not %zu)",
			   name, line, what, min, cap, n);
		return false;
	}
	if (!printable(v, n)) {
		str_format(err, errlen, "%s:%u: %s holds a control or non-ASCII character", name,
			   line, what);
		return false;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

int snmp_client_creds_parse(const char *name, const char *text, size_t len,
			    struct snmp_client_creds *out, char *err, size_t errlen)
{
	bool seen_comm = false, seen_user = false, seen_auth = false, seen_priv = false;
	unsigned line = 0;
	size_t pos = 0;
	memset(out, 0, sizeof *out);
	if (!name)
		name = "credentials";
	while (pos < len) {
		line++;
		size_t end = pos;
		while (end < len && text[end] != '\n')
			end++;
		size_t a = pos, b = end;
		pos = end < len ? end + 1 : end;
		if (b > a && text[b - 1] == '\r')
			b--;
		while (a < b && is_blank(text[a]))
			a++;
		while (b > a && is_blank(text[b - 1]))
			b--;
		if (a == b || text[a] == '#')
			continue;
		if (memchr(text + a, '\0', b - a)) {
			str_format(err, errlen, "%s:%u: a NUL character", name, line);
			goto bad;
		}
		/* keyword */
		size_t k = a;
		while (k < b && !is_blank(text[k]))
			k++;
		size_t klen = k - a;
		const char *kw = text + a;
		while (k < b && is_blank(text[k]))
			k++;
		const char *v = text + k;
		size_t vlen = b - k;
#define KW(s) (klen == sizeof(s) - 1 && memcmp(kw, s, klen) == 0)
		if (KW("community")) {
			if (seen_comm) {
				str_format(err, errlen, "%s:%u: 'community' given twice", name,
					   line);
				goto bad;
			}
			seen_comm = true;
			if (!take_value(name, line, "the community", v, vlen, 1,
					SNMP_CLIENT_COMMUNITY_MAX, out->community, err, errlen))
				goto bad;
		} else if (KW("user")) {
			if (seen_user) {
				str_format(err, errlen, "%s:%u: 'user' given twice", name, line);
				goto bad;
			}
			seen_user = true;
			if (!take_value(name, line, "the user name", v, vlen, 1,
					SNMP_CLIENT_USER_MAX, out->user, err, errlen))
				goto bad;
		} else if (KW("auth") || KW("priv")) {
			bool auth = KW("auth");
			bool *seen = auth ? &seen_auth : &seen_priv;
			if (*seen) {
				str_format(err, errlen, "%s:%u: '%s' given twice", name, line,
					   auth ? "auth" : "priv");
				goto bad;
			}
			*seen = true;
			size_t p = 0;
			while (p < vlen && !is_blank(v[p]))
				p++;
			const char *proto = v;
			size_t plen = p;
			while (p < vlen && is_blank(v[p]))
				p++;
#define PR(s) (plen == sizeof(s) - 1 && strncasecmp(proto, s, plen) == 0)
			if (auth && PR("sha"))
				out->auth = SNMP_CLIENT_AUTH_SHA;
			else if (auth && PR("sha256"))
				out->auth = SNMP_CLIENT_AUTH_SHA256;
			else if (!auth && (PR("aes") || PR("aes128")))
				out->priv = SNMP_CLIENT_PRIV_AES;
			else {
				str_format(err, errlen,
					   auth ? "%s:%u: 'auth' needs a protocol, sha or sha256, "
						  "then the passphrase"
						: "%s:%u: 'priv' needs a protocol, aes, then the "
						  "passphrase",
					   name, line);
				goto bad;
			}
#undef PR
			if (!take_value(name, line,
					auth ? "the authentication passphrase"
					     : "the privacy passphrase",
					v + p, vlen - p, SNMP_CLIENT_PASS_MIN, SNMP_CLIENT_PASS_MAX,
					auth ? out->auth_pass : out->priv_pass, err, errlen))
				goto bad;
		} else if (KW("include")) {
			str_format(err, errlen, "%s:%u: a credentials file cannot include others",
				   name, line);
			goto bad;
		} else {
			str_format(err, errlen,
				   "%s:%u: unknown keyword (expected community, user, auth or "
				   "priv)",
				   name, line);
			goto bad;
		}
#undef KW
	}
	if (seen_comm && (seen_user || seen_auth || seen_priv)) {
		str_format(err, errlen,
			   "%s: both 'community' (SNMPv2c) and 'user'/'auth'/'priv' (SNMPv3): "
			   "give one",
			   name);
		goto bad;
	}
	if (seen_comm) {
		out->version = SNMP_CLIENT_V2C;
		return 0;
	}
	if (!seen_user) {
		str_format(err, errlen,
			   "%s: no credentials: give 'community STRING' for SNMPv2c or 'user', "
			   "'auth' and 'priv' for SNMPv3",
			   name);
		goto bad;
	}
	if (!seen_auth || !seen_priv) {
		str_format(err, errlen,
			   "%s: SNMPv3 needs authPriv: 'auth sha256 PASSPHRASE' and 'priv aes "
			   "PASSPHRASE'",
			   name);
		goto bad;
	}
	out->version = SNMP_CLIENT_V3;
	return 0;
bad:
	snmp_client_creds_wipe(out);
	return -EINVAL;
}

int snmp_client_creds_load(const char *path, struct snmp_client_creds *out, char *err,
			   size_t errlen)
{
	int rc = 0;
	char *buf = NULL;
	size_t n = 0;
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		str_format(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		str_format(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		str_format(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (!snmp_client_creds_mode_ok(st.st_mode)) {
		rc = -EACCES;
		str_format(err, errlen,
			   "%s: readable by group or others (mode %04o): it holds secrets, "
			   "chmod 600 %s",
			   path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size > SNMP_CLIENT_CREDS_FILE_MAX) {
		rc = -EINVAL;
		str_format(err, errlen, "%s: larger than %d octets", path,
			   SNMP_CLIENT_CREDS_FILE_MAX);
		goto out;
	}
	buf = mem_alloc(SNMP_CLIENT_CREDS_FILE_MAX + 1);
	for (;;) {
		ssize_t r = read(fd, buf + n, SNMP_CLIENT_CREDS_FILE_MAX + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			str_format(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > SNMP_CLIENT_CREDS_FILE_MAX) {
			rc = -EINVAL;
			str_format(err, errlen, "%s: larger than %d octets", path,
				   SNMP_CLIENT_CREDS_FILE_MAX);
			goto out;
		}
	}
	rc = snmp_client_creds_parse(path, buf, n, out, err, errlen);
out:
	if (buf) {
		mem_wipe(buf, SNMP_CLIENT_CREDS_FILE_MAX + 1);
		free(buf);
	}
	(void)close(fd);
	return rc;
}

/* ---------------------------------------------------------------- values */

const char *snmp_client_type_name(enum snmp_client_type t)
{
	switch (t) {
	case SNMP_CLIENT_T_INTEGER: return "integer";
	case SNMP_CLIENT_T_UNSIGNED: return "unsigned";
	case SNMP_CLIENT_T_COUNTER32: return "counter32";
	case SNMP_CLIENT_T_COUNTER64: return "counter64";
	case SNMP_CLIENT_T_TIMETICKS: return "timeticks";
	case SNMP_CLIENT_T_STRING: return "string";
	case SNMP_CLIENT_T_OID: return "oid";
	case SNMP_CLIENT_T_IPADDRESS: return "ipaddress";
	case SNMP_CLIENT_T_OPAQUE: return "opaque";
	case SNMP_CLIENT_T_FLOAT: return "float";
	case SNMP_CLIENT_T_NULL: return "null";
	case SNMP_CLIENT_T_NO_SUCH_OBJECT: return "noSuchObject";
	case SNMP_CLIENT_T_NO_SUCH_INSTANCE: return "noSuchInstance";
	case SNMP_CLIENT_T_END_OF_MIB_VIEW: return "endOfMibView";
	case SNMP_CLIENT_T_OTHER: return "other";
	}
	return "?";
}

const char *snmp_client_err_name(enum snmp_client_err e)
{
	switch (e) {
	case SNMP_CLIENT_OK: return "ok";
	case SNMP_CLIENT_PENDING: return "pending";
	case SNMP_CLIENT_E_TIMEOUT: return "timeout";
	case SNMP_CLIENT_E_AUTH: return "authentication failure";
	case SNMP_CLIENT_E_UNKNOWN_USER: return "unknown user";
	case SNMP_CLIENT_E_DECRYPT: return "decryption error";
	case SNMP_CLIENT_E_SECURITY: return "security error";
	case SNMP_CLIENT_E_NO_SUCH_NAME: return "no such name";
	case SNMP_CLIENT_E_AGENT: return "agent error";
	case SNMP_CLIENT_E_UNREACHABLE: return "unreachable";
	case SNMP_CLIENT_E_PROTOCOL: return "protocol error";
	case SNMP_CLIENT_E_INTERNAL: return "internal error";
	}
	return "?";
}

void snmp_client_result_free(struct snmp_client_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].str);
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* ---------------------------------------------------------------- library */

static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
static bool lib_set_up, lib_started; /* under lib_lock */

static int log_cb(int major, int minor, void *server_arg, void *client_arg)
{
	(void)major;
	(void)minor;
	(void)client_arg;
	const struct snmp_log_message *m = server_arg;
	if (m && m->msg) {
		size_t n = strlen(m->msg);
		while (n > 0 && m->msg[n - 1] == '\n')
			n--;
		log_debug("net-snmp: %.*s", (int)n, m->msg);
	}
	return 0;
}

void snmp_client_lib_lock(void)
{
	pthread_mutex_lock(&lib_lock);
}

void snmp_client_lib_unlock(void)
{
	pthread_mutex_unlock(&lib_lock);
}

void snmp_client_lib_setup(void)
{
	if (lib_set_up)
		return;
	lib_set_up = true;
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	/* init_snmp() still scans for TLS certificates (netsnmp_certs_init():
	 * stat()s of .../tls/ under the configuration path and a read of the
	 * persistent directory's cert_indexes, which it creates if missing: so
	 * the persistent directory is left at its default, /var/lib/snmp). */
	/* No MIB directory: the default list of MIB modules finds no file. */
	netsnmp_set_mib_directory("");
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
	/* Its log lines go to log_debug() instead of standard error. */
	snmp_disable_log();
	netsnmp_log_handler *h =
		netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	if (h)
		snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_cb, NULL);
}

bool snmp_client_lib_start(void)
{
	snmp_client_lib_setup();
	if (lib_started)
		return false;
	lib_started = true;
	init_snmp("sundial-snmp-client");
	return true;
}

void snmp_client_init(void)
{
	pthread_mutex_lock(&lib_lock);
	(void)snmp_client_lib_start();
	pthread_mutex_unlock(&lib_lock);
}

/* ---------------------------------------------------------------- client */

enum phase {
	P_IDLE,
	P_PROBE, /* v3 engine discovery, then the request */
	P_GET,
	P_WALK,
};

struct snmp_client {
	void *ss;	 /* net-snmp single session */
	char agent[300]; /* "HOST port PORT" for messages */
	char user[SNMP_CLIENT_USER_MAX + 1];
	bool v3, engine_known;
	double timeout;
	unsigned retries;
	unsigned max_rep;
	void (*done)(snmp_client *c, void *arg);
	void *done_arg;

	enum phase phase, after_probe;
	int reqid;	/* outstanding request, 0 none */
	bool need_send; /* advance(): send the next PDU */
	enum snmp_client_err status;
	char errmsg[512];
	unsigned long requests;

	struct snmp_client_oid *get;
	size_t n_get, get_next;
	struct snmp_client_oid root, last;

	struct snmp_client_value *v;
	size_t n, cap;
};

static void fail(snmp_client *c, enum snmp_client_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(snmp_client *c, enum snmp_client_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
	va_end(ap);
	c->status = e;
	c->phase = P_IDLE;
	c->reqid = 0;
	c->need_send = false;
}

static void finish_ok(snmp_client *c)
{
	c->status = SNMP_CLIENT_OK;
	c->errmsg[0] = '\0';
	c->phase = P_IDLE;
	c->reqid = 0;
	c->need_send = false;
}

static void drop_values(snmp_client *c)
{
	struct snmp_client_result r = { c->v, c->n };
	snmp_client_result_free(&r);
	c->v = NULL;
	c->n = c->cap = 0;
}

snmp_client *snmp_client_new(const struct snmp_client_opts *o, char *err, size_t errlen)
{
	if (!o || !o->host || !o->host[0] || !o->creds) {
		str_format(err, errlen, "SNMP: no agent or no credentials given");
		return NULL;
	}
	unsigned port = o->port ? o->port : 161;
	if (port > 65535) {
		str_format(err, errlen, "SNMP: port %u is not a UDP port", port);
		return NULL;
	}
	double timeout = o->timeout > 0 ? o->timeout : 1.0;
	if (!(timeout <= 3600) || o->retries > 100 || o->max_rep > 1000) {
		str_format(err, errlen,
			   "SNMP: timeout (at most 3600 s), retries (at most 100) or "
			   "max-repetitions (at most 1000) out of range");
		return NULL;
	}
	const struct snmp_client_creds *cr = o->creds;
	snmp_client_init();

	snmp_client *c = mem_calloc(1, sizeof *c);
	str_format(c->agent, sizeof c->agent, "SNMP agent %s port %u", o->host, port);
	c->timeout = timeout;
	c->retries = o->retries;
	c->max_rep = o->max_rep ? o->max_rep : DEFAULT_MAX_REP;
	c->done = o->done;
	c->done_arg = o->done_arg;
	c->v3 = cr->version == SNMP_CLIENT_V3;
	str_copy(c->user, cr->user, sizeof c->user);

	char peer[320];
	bool v6 = strchr(o->host, ':') != NULL;
	str_format(peer, sizeof peer, v6 ? "udp6:[%s]:%u" : "udp:%s:%u", o->host, port);

	netsnmp_session s;
	pthread_mutex_lock(&lib_lock);
	snmp_sess_init(&s);
	s.peername = peer;
	s.timeout = (long)(timeout * 1e6);
	s.retries = (int)o->retries;
	if (!c->v3) {
		s.version = SNMP_VERSION_2c;
		s.community = (u_char *)(uintptr_t)cr->community;
		s.community_len = strlen(cr->community);
	} else {
		s.version = SNMP_VERSION_3;
		s.flags |= SNMP_FLAGS_DONT_PROBE;
		s.securityName = (char *)(uintptr_t)cr->user;
		s.securityNameLen = strlen(cr->user);
		s.securityModel = SNMP_SEC_MODEL_USM;
		s.securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
		if (cr->auth == SNMP_CLIENT_AUTH_SHA256) {
			s.securityAuthProto = usmHMAC192SHA256AuthProtocol;
			s.securityAuthProtoLen = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
		} else {
			s.securityAuthProto = usmHMACSHA1AuthProtocol;
			s.securityAuthProtoLen = OID_LENGTH(usmHMACSHA1AuthProtocol);
		}
		s.securityPrivProto = usmAESPrivProtocol;
		s.securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
		s.securityAuthKeyLen = USM_AUTH_KU_LEN;
		s.securityPrivKeyLen = USM_PRIV_KU_LEN;
		if (generate_Ku(s.securityAuthProto, (u_int)s.securityAuthProtoLen,
				(const u_char *)cr->auth_pass, strlen(cr->auth_pass),
				s.securityAuthKey, &s.securityAuthKeyLen) != SNMPERR_SUCCESS ||
		    generate_Ku(s.securityAuthProto, (u_int)s.securityAuthProtoLen,
				(const u_char *)cr->priv_pass, strlen(cr->priv_pass),
				s.securityPrivKey, &s.securityPrivKeyLen) != SNMPERR_SUCCESS) {
			mem_wipe(s.securityAuthKey, sizeof s.securityAuthKey);
			mem_wipe(s.securityPrivKey, sizeof s.securityPrivKey);
			pthread_mutex_unlock(&lib_lock);
			str_format(err, errlen,
				   "%s: cannot make keys from the passphrases for user %s",
				   c->agent, cr->user);
			free(c);
			return NULL;
		}
	}
	c->ss = snmp_sess_open(&s);
	if (!c->ss) {
		int liberr = 0, syserr = 0;
		char *msg = NULL;
		snmp_error(&s, &syserr, &liberr, &msg);
		str_format(err, errlen, "%s: cannot open a session (%s)", c->agent,
			   msg ? msg : "unknown error");
		free(msg);
	} else if (c->v3) {
		/* Cleared again by snmp_sess_open(): no blocking probe in a send. */
		snmp_sess_session(c->ss)->flags |= SNMP_FLAGS_DONT_PROBE;
	}
	mem_wipe(s.securityAuthKey, sizeof s.securityAuthKey);
	mem_wipe(s.securityPrivKey, sizeof s.securityPrivKey);
	pthread_mutex_unlock(&lib_lock);
	if (!c->ss) {
		free(c);
		return NULL;
	}
	return c;
}

void snmp_client_free(snmp_client *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&lib_lock);
	if (c->ss)
		snmp_sess_close(c->ss);
	pthread_mutex_unlock(&lib_lock);
	drop_values(c);
	free(c->get);
	free(c);
}

/* --- converting what came */

static bool oid_from(const oid *name, size_t len, struct snmp_client_oid *out)
{
	if (!name || len == 0 || len > SNMP_CLIENT_OID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (name[i] > UINT32_MAX)
			return false;
		out->arc[i] = (uint32_t)name[i];
	}
	out->len = len;
	return true;
}

static char *dup_bytes(const void *p, size_t n)
{
	char *s = mem_alloc(n + 1);
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static bool convert(const netsnmp_variable_list *vb, struct snmp_client_value *out)
{
	memset(out, 0, sizeof *out);
	if (!oid_from(vb->name, vb->name_length, &out->oid))
		return false;
	switch (vb->type) {
	case ASN_INTEGER:
		if (!vb->val.integer)
			return false;
		out->type = SNMP_CLIENT_T_INTEGER;
		out->i = (int64_t)*vb->val.integer;
		break;
	case ASN_GAUGE: /* == ASN_UNSIGNED */
	case ASN_UINTEGER:
	case ASN_COUNTER:
	case ASN_TIMETICKS:
		if (!vb->val.integer)
			return false;
		out->type = vb->type == ASN_COUNTER	? SNMP_CLIENT_T_COUNTER32
			    : vb->type == ASN_TIMETICKS ? SNMP_CLIENT_T_TIMETICKS
							: SNMP_CLIENT_T_UNSIGNED;
		out->u = (uint64_t)(*vb->val.integer & 0xffffffffUL);
		break;
	case ASN_COUNTER64:
		if (!vb->val.counter64)
			return false;
		out->type = SNMP_CLIENT_T_COUNTER64;
		out->u = ((uint64_t)(vb->val.counter64->high & 0xffffffffUL) << 32) |
			 (uint64_t)(vb->val.counter64->low & 0xffffffffUL);
		break;
	case ASN_OCTET_STR:
	case ASN_BIT_STR:
	case ASN_OPAQUE:
		out->type = vb->type == ASN_OPAQUE ? SNMP_CLIENT_T_OPAQUE : SNMP_CLIENT_T_STRING;
		if (vb->val_len && !vb->val.string)
			return false;
		out->str = dup_bytes(vb->val.string, vb->val_len);
		out->str_len = vb->val_len;
		break;
	case ASN_IPADDRESS: {
		if (vb->val_len != 4 || !vb->val.string)
			return false;
		char buf[16];
		const u_char *a = vb->val.string;
		str_format(buf, sizeof buf, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
		out->type = SNMP_CLIENT_T_IPADDRESS;
		out->str = mem_strdup(buf);
		out->str_len = strlen(buf);
		break;
	}
	case ASN_OBJECT_ID: {
		struct snmp_client_oid v;
		if (!oid_from(vb->val.objid, vb->val_len / sizeof(oid), &v))
			return false;
		char buf[SNMP_CLIENT_OID_TEXT_MAX];
		snmp_client_oid_format(&v, buf, sizeof buf);
		out->type = SNMP_CLIENT_T_OID;
		out->str = mem_strdup(buf);
		out->str_len = strlen(buf);
		break;
	}
#ifdef NETSNMP_WITH_OPAQUE_SPECIAL_TYPES
	case ASN_OPAQUE_FLOAT:
		if (!vb->val.floatVal)
			return false;
		out->type = SNMP_CLIENT_T_FLOAT;
		out->d = (double)*vb->val.floatVal;
		break;
	case ASN_OPAQUE_DOUBLE:
		if (!vb->val.doubleVal)
			return false;
		out->type = SNMP_CLIENT_T_FLOAT;
		out->d = *vb->val.doubleVal;
		break;
#endif
	case ASN_NULL: out->type = SNMP_CLIENT_T_NULL; break;
	case SNMP_NOSUCHOBJECT: out->type = SNMP_CLIENT_T_NO_SUCH_OBJECT; break;
	case SNMP_NOSUCHINSTANCE: out->type = SNMP_CLIENT_T_NO_SUCH_INSTANCE; break;
	case SNMP_ENDOFMIBVIEW: out->type = SNMP_CLIENT_T_END_OF_MIB_VIEW; break;
	default:
		out->type = SNMP_CLIENT_T_OTHER;
		if (vb->val_len && vb->val.string) {
			out->str = dup_bytes(vb->val.string, vb->val_len);
			out->str_len = vb->val_len;
		}
		break;
	}
	return true;
}

static bool append(snmp_client *c, const struct snmp_client_value *v)
{
	if (c->n == SNMP_CLIENT_VALUES_MAX)
		return false;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->v = mem_realloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n++] = *v;
	return true;
}

/* --- callbacks (net-snmp's lock held, nothing is sent from here) */

static void on_report(snmp_client *c, netsnmp_pdu *pdu)
{
	int type = snmpv3_get_report_type(pdu);
	if (c->phase == P_PROBE) {
		if (type == SNMPERR_UNKNOWN_ENG_ID && pdu->securityEngineIDLen > 0) {
			c->reqid = 0;
			c->need_send = true; /* net-snmp stores the engine ID after we return */
			return;
		}
	}
	switch (type) {
	case SNMPERR_NOT_IN_TIME_WINDOW:
		return; /* net-snmp resends by itself; SEC_ERROR when it gives up */
	case SNMPERR_AUTHENTICATION_FAILURE:
		fail(c, SNMP_CLIENT_E_AUTH,
		     "%s: authentication failed for user %s: wrong authentication passphrase or "
		     "protocol (the agent counts it in usmStatsWrongDigests)",
		     c->agent, c->user);
		return;
	case SNMPERR_UNKNOWN_USER_NAME:
		fail(c, SNMP_CLIENT_E_UNKNOWN_USER,
		     "%s: the agent has no SNMPv3 user %s (usmStatsUnknownUserNames)", c->agent,
		     c->user);
		return;
	case SNMPERR_DECRYPTION_ERR:
		fail(c, SNMP_CLIENT_E_DECRYPT,
		     "%s: the agent cannot decrypt our request for user %s: wrong privacy "
		     "passphrase or protocol (usmStatsDecryptionErrors)",
		     c->agent, c->user);
		return;
	default:
		fail(c, SNMP_CLIENT_E_SECURITY, "%s: the agent reported: %s", c->agent,
		     snmp_api_errstring(type));
		return;
	}
}

static void on_response(snmp_client *c, netsnmp_pdu *pdu)
{
	if (pdu->errstat != SNMP_ERR_NOERROR) {
		char at[SNMP_CLIENT_OID_TEXT_MAX] = "?";
		long idx = pdu->errindex;
		netsnmp_variable_list *vb = pdu->variables;
		for (long i = 1; vb && i < idx; i++)
			vb = vb->next_variable;
		struct snmp_client_oid o;
		if (idx > 0 && vb && oid_from(vb->name, vb->name_length, &o))
			snmp_client_oid_format(&o, at, sizeof at);
		if (pdu->errstat == SNMP_ERR_NOSUCHNAME)
			fail(c, SNMP_CLIENT_E_NO_SUCH_NAME, "%s: no such name: %s", c->agent, at);
		else
			fail(c, SNMP_CLIENT_E_AGENT, "%s: error-status %ld (%s) at %s", c->agent,
			     pdu->errstat, snmp_errstring((int)pdu->errstat), at);
		return;
	}
	if (c->phase == P_GET) {
		size_t want = c->n_get - c->get_next;
		if (want > GET_CHUNK)
			want = GET_CHUNK;
		size_t got = 0;
		for (netsnmp_variable_list *vb = pdu->variables; vb; vb = vb->next_variable) {
			struct snmp_client_value v;
			if (got == want || !convert(vb, &v)) {
				fail(c, SNMP_CLIENT_E_PROTOCOL, "%s: a malformed answer to a GET",
				     c->agent);
				return;
			}
			if (snmp_client_oid_cmp(&v.oid, &c->get[c->get_next + got]) != 0) {
				free(v.str);
				fail(c, SNMP_CLIENT_E_PROTOCOL,
				     "%s: the answer to a GET names other OIDs than asked",
				     c->agent);
				return;
			}
			(void)append(c, &v); /* n_get is bounded far below the maximum */
			got++;
		}
		if (got != want) {
			fail(c, SNMP_CLIENT_E_PROTOCOL, "%s: %zu values for a GET of %zu", c->agent,
			     got, want);
			return;
		}
		c->get_next += got;
		if (c->get_next < c->n_get) {
			c->reqid = 0;
			c->need_send = true;
		} else {
			finish_ok(c);
		}
		return;
	}
	/* P_WALK */
	size_t got = 0;
	for (netsnmp_variable_list *vb = pdu->variables; vb; vb = vb->next_variable) {
		struct snmp_client_value v;
		if (!convert(vb, &v)) {
			fail(c, SNMP_CLIENT_E_PROTOCOL, "%s: a malformed answer to a GETBULK",
			     c->agent);
			return;
		}
		if (v.type == SNMP_CLIENT_T_END_OF_MIB_VIEW ||
		    v.type == SNMP_CLIENT_T_NO_SUCH_OBJECT ||
		    v.type == SNMP_CLIENT_T_NO_SUCH_INSTANCE ||
		    !snmp_client_oid_under(&v.oid, &c->root)) {
			free(v.str);
			finish_ok(c);
			return;
		}
		if (snmp_client_oid_cmp(&v.oid, &c->last) <= 0) {
			char a[SNMP_CLIENT_OID_TEXT_MAX];
			snmp_client_oid_format(&v.oid, a, sizeof a);
			free(v.str);
			fail(c, SNMP_CLIENT_E_PROTOCOL,
			     "%s: OIDs do not increase in a walk (%s after a later one)", c->agent,
			     a);
			return;
		}
		if (!append(c, &v)) {
			free(v.str);
			fail(c, SNMP_CLIENT_E_PROTOCOL, "%s: more than %d values in a walk",
			     c->agent, SNMP_CLIENT_VALUES_MAX);
			return;
		}
		c->last = v.oid;
		got++;
	}
	if (got == 0) {
		finish_ok(c);
		return;
	}
	c->reqid = 0;
	c->need_send = true;
}

static int callback(int op, netsnmp_session *sp, int reqid, netsnmp_pdu *pdu, void *magic)
{
	snmp_client *c = magic;
	log_debug("%s: net-snmp callback %d for request %d (ours %d), PDU type %d", c->agent, op,
		  reqid, c->reqid, pdu ? pdu->command : -1);
	if (op == NETSNMP_CALLBACK_OP_RESEND || op == NETSNMP_CALLBACK_OP_CONNECT)
		return 1; /* a retry, or a connection made: nothing ends */
	/* A report on a request the agent could not decode (wrong digest)
	 * carries request ID 0: net-snmp matched it by its message ID, and
	 * only one request of ours is in flight. */
	bool report0 = reqid == 0 && pdu && pdu->command == SNMP_MSG_REPORT;
	if (c->reqid == 0 || (reqid != c->reqid && !report0))
		return 1; /* stale: a request we are done with */
	switch (op) {
	case NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE:
		if (!pdu)
			break;
		if (pdu->command == SNMP_MSG_REPORT)
			on_report(c, pdu);
		else if (pdu->command == SNMP_MSG_RESPONSE && c->phase != P_PROBE)
			on_response(c, pdu);
		else
			fail(c, SNMP_CLIENT_E_PROTOCOL, "%s: an unexpected PDU (type %d)", c->agent,
			     pdu->command);
		break;
	case NETSNMP_CALLBACK_OP_TIMED_OUT:
		fail(c, SNMP_CLIENT_E_TIMEOUT, "%s: no answer %sin %u tr%s of %.3g s%s", c->agent,
		     c->phase == P_PROBE ? "to the SNMPv3 engine discovery " : "", c->retries + 1,
		     c->retries ? "ies" : "y", c->timeout,
		     c->phase != P_PROBE && c->v3
			     ? " (a wrong privacy passphrase looks like this: agents such as "
			       "net-snmp's drop what they cannot decrypt)"
		     : c->v3 ? ""
			     : " (or a wrong community: agents drop those)");
		break;
	case NETSNMP_CALLBACK_OP_SEND_FAILED:
		fail(c, SNMP_CLIENT_E_UNREACHABLE, "%s: cannot send (resend failed)", c->agent);
		break;
	case NETSNMP_CALLBACK_OP_SEC_ERROR:
		/* 5.9.3 calls this before RECEIVED_MESSAGE for a report. */
		if (pdu && pdu->command == SNMP_MSG_REPORT)
			on_report(c, pdu);
		else
			fail(c, SNMP_CLIENT_E_SECURITY,
			     "%s: the agent's reports did not let the request through (%s)",
			     c->agent, snmp_api_errstring(sp ? sp->s_snmp_errno : 0));
		break;
	default: fail(c, SNMP_CLIENT_E_INTERNAL, "%s: net-snmp callback %d", c->agent, op); break;
	}
	return 1;
}

/* --- sending (lock held) */

static void send_failed(snmp_client *c)
{
	int liberr = 0, syserr = 0;
	char *msg = NULL;
	snmp_sess_error(c->ss, &syserr, &liberr, &msg);
	enum snmp_client_err e = SNMP_CLIENT_E_INTERNAL;
	if (liberr == SNMPERR_BAD_SENDTO || liberr == SNMPERR_BAD_ADDRESS ||
	    liberr == SNMPERR_TIMEOUT || liberr == SNMPERR_BAD_LOCPORT || syserr == ENETUNREACH ||
	    syserr == EHOSTUNREACH || syserr == ECONNREFUSED)
		e = SNMP_CLIENT_E_UNREACHABLE;
	fail(c, e, "%s: cannot send: %s", c->agent, msg ? msg : "unknown error");
	free(msg);
}

static bool send_pdu(snmp_client *c, netsnmp_pdu *pdu)
{
	int id = snmp_sess_async_send(c->ss, pdu, callback, c);
	if (id == 0) {
		snmp_free_pdu(pdu);
		send_failed(c);
		return false;
	}
	c->reqid = id;
	return true;
}

static void add_oid(netsnmp_pdu *pdu, const struct snmp_client_oid *o)
{
	oid name[SNMP_CLIENT_OID_MAX];
	for (size_t i = 0; i < o->len; i++)
		name[i] = o->arc[i];
	snmp_add_null_var(pdu, name, o->len);
}

static void send_next(snmp_client *c)
{
	netsnmp_pdu *pdu;
	c->need_send = false;
	if (c->phase == P_PROBE) {
		netsnmp_session *s = snmp_sess_session(c->ss);
		if (s && s->securityEngineIDLen > 0) {
			if (usm_create_user_from_session(s) != SNMPERR_SUCCESS) {
				fail(c, SNMP_CLIENT_E_INTERNAL,
				     "%s: cannot make the SNMPv3 user %s for the agent's engine",
				     c->agent, c->user);
				return;
			}
			c->engine_known = true;
			c->phase = c->after_probe;
		} else {
			pdu = snmp_pdu_create(SNMP_MSG_GET);
			pdu->version = SNMP_VERSION_3;
			pdu->securityName = mem_strdup("");
			pdu->securityNameLen = 0;
			pdu->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
			pdu->securityModel = SNMP_SEC_MODEL_USM;
			(void)send_pdu(c, pdu);
			return;
		}
	}
	if (c->phase == P_GET) {
		pdu = snmp_pdu_create(SNMP_MSG_GET);
		size_t n = c->n_get - c->get_next;
		if (n > GET_CHUNK)
			n = GET_CHUNK;
		for (size_t i = 0; i < n; i++)
			add_oid(pdu, &c->get[c->get_next + i]);
	} else if (c->phase == P_WALK) {
		pdu = snmp_pdu_create(SNMP_MSG_GETBULK);
		pdu->non_repeaters = 0;
		pdu->max_repetitions = (long)c->max_rep;
		add_oid(pdu, c->last.len ? &c->last : &c->root);
	} else {
		return;
	}
	if (send_pdu(c, pdu))
		c->requests++;
}

/* Whether net-snmp still waits for an answer (a timeout is pending). */
static bool lib_pending(snmp_client *c)
{
	int numfds = 0, block = 1;
	struct timeval tv = { 0, 0 };
	netsnmp_large_fd_set fds;
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	(void)snmp_sess_select_info2_flags(c->ss, &numfds, &fds, &tv, &block,
					   NETSNMP_SELECT_NOALARMS);
	netsnmp_large_fd_set_cleanup(&fds);
	return block == 0;
}

/* After net-snmp returned: sends what the callbacks asked for, then tells
 * the owner when the request ended. */
static void advance(snmp_client *c, bool was_pending)
{
	while (c->need_send)
		send_next(c);
	if (c->phase != P_IDLE && !lib_pending(c))
		fail(c, SNMP_CLIENT_E_INTERNAL,
		     "%s: net-snmp dropped the request without an answer", c->agent);
	bool ended = was_pending && c->phase == P_IDLE;
	pthread_mutex_unlock(&lib_lock);
	if (ended && c->done)
		c->done(c, c->done_arg);
}

static int start(snmp_client *c, enum phase what)
{
	drop_values(c);
	c->status = SNMP_CLIENT_PENDING;
	c->errmsg[0] = '\0';
	c->last.len = 0;
	if (c->v3 && !c->engine_known) {
		c->phase = P_PROBE;
		c->after_probe = what;
	} else {
		c->phase = what;
	}
	pthread_mutex_lock(&lib_lock);
	c->need_send = true;
	while (c->need_send)
		send_next(c);
	pthread_mutex_unlock(&lib_lock);
	/* A failure to send ended it: the status says so, no done() call. */
	return 0;
}

int snmp_client_get(snmp_client *c, const struct snmp_client_oid *oids, size_t n)
{
	if (c->phase != P_IDLE)
		return -EBUSY;
	if (n == 0 || n > SNMP_CLIENT_VALUES_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (oids[i].len == 0 || oids[i].len > SNMP_CLIENT_OID_MAX)
			return -EINVAL;
	free(c->get);
	c->get = mem_alloc(n * sizeof *c->get);
	memcpy(c->get, oids, n * sizeof *c->get);
	c->n_get = n;
	c->get_next = 0;
	return start(c, P_GET);
}

int snmp_client_walk(snmp_client *c, const struct snmp_client_oid *root)
{
	if (c->phase != P_IDLE)
		return -EBUSY;
	if (root->len == 0 || root->len > SNMP_CLIENT_OID_MAX)
		return -EINVAL;
	c->root = *root;
	return start(c, P_WALK);
}

int snmp_client_fd(const snmp_client *c)
{
	pthread_mutex_lock(&lib_lock);
	netsnmp_transport *t = snmp_sess_transport(c->ss);
	int fd = t ? t->sock : -1;
	pthread_mutex_unlock(&lib_lock);
	return fd;
}

double snmp_client_next_timeout(snmp_client *c)
{
	if (c->phase == P_IDLE)
		return -1;
	int numfds = 0, block = 1;
	struct timeval tv = { 0, 0 };
	netsnmp_large_fd_set fds;
	pthread_mutex_lock(&lib_lock);
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	(void)snmp_sess_select_info2_flags(c->ss, &numfds, &fds, &tv, &block,
					   NETSNMP_SELECT_NOALARMS);
	netsnmp_large_fd_set_cleanup(&fds);
	pthread_mutex_unlock(&lib_lock);
	if (block)
		return -1;
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void snmp_client_readable(snmp_client *c)
{
	bool was = c->phase != P_IDLE;
	netsnmp_large_fd_set fds;
	pthread_mutex_lock(&lib_lock);
	netsnmp_transport *t = snmp_sess_transport(c->ss);
	if (t && t->sock >= 0) {
		netsnmp_large_fd_set_init(&fds,
					  t->sock + 1 > FD_SETSIZE ? t->sock + 1 : FD_SETSIZE);
		NETSNMP_LARGE_FD_SET(t->sock, &fds);
		(void)snmp_sess_read2(c->ss, &fds);
		netsnmp_large_fd_set_cleanup(&fds);
	}
	advance(c, was);
}

void snmp_client_timeout(snmp_client *c)
{
	bool was = c->phase != P_IDLE;
	pthread_mutex_lock(&lib_lock);
	snmp_sess_timeout(c->ss);
	advance(c, was);
}

enum snmp_client_err snmp_client_run(snmp_client *c, double limit)
{
	double end = limit > 0 ? clock_mono_sec() + limit : 0;
	int fd = snmp_client_fd(c);
	while (c->phase != P_IDLE) {
		double t = snmp_client_next_timeout(c);
		if (end > 0) {
			double left = end - clock_mono_sec();
			if (left <= 0) {
				pthread_mutex_lock(&lib_lock);
				fail(c, SNMP_CLIENT_E_TIMEOUT,
				     "%s: no complete answer within %.3g s", c->agent, limit);
				pthread_mutex_unlock(&lib_lock);
				break;
			}
			if (t < 0 || left < t)
				t = left;
		}
		int ms = t < 0 ? 1000 : (int)(t * 1000.0) + 1;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0)
			snmp_client_readable(c);
		else
			snmp_client_timeout(c);
	}
	return c->status;
}

void snmp_client_cancel(snmp_client *c, const char *why)
{
	pthread_mutex_lock(&lib_lock);
	if (c->phase != P_IDLE)
		fail(c, SNMP_CLIENT_E_TIMEOUT, "%s: %s", c->agent, why);
	pthread_mutex_unlock(&lib_lock);
}

enum snmp_client_err snmp_client_status(const snmp_client *c)
{
	return c->status;
}

const char *snmp_client_errmsg(const snmp_client *c)
{
	return c->errmsg;
}

void snmp_client_take(snmp_client *c, struct snmp_client_result *out)
{
	out->v = c->v;
	out->n = c->n;
	c->v = NULL;
	c->n = c->cap = 0;
}

unsigned long snmp_client_requests(const snmp_client *c)
{
	return c->requests;
}
