/* snmp_client.h - an SNMP manager for one agent, through net-snmp's
 * single-session API (the only module that includes net-snmp's headers):
 * SNMPv2c, or SNMPv3 authPriv with SHA or SHA-256 (usmHMAC192SHA256) and
 * AES-128; credentials from a file that only its owner may read; GET of a
 * list of OIDs and GETBULK walks of a subtree; timeouts and retries.
 *
 * Non-blocking: a request is started, then driven either by an event loop
 * (snmp_client_fd(), snmp_client_next_timeout(), snmp_client_readable(),
 * snmp_client_timeout()) or to its end by snmp_client_run() (for one-shot
 * commands and tests).  The SNMPv3 engine ID is discovered by an
 * asynchronous probe before the first request (net-snmp would block in
 * snmp_sess_open() for it).  Only snmp_client_new() blocks: it resolves
 * the agent's name (give an address in the collector).
 *
 * Results are plain C (struct snmp_client_value): callers never see a
 * net-snmp type.  OIDs are arrays of uint32_t arcs.
 *
 * net-snmp is initialised once (snmp_client_init(), also done by
 * snmp_client_new()) without reading any configuration (no ~/.snmp, no
 * /etc/snmp), without persistent state (nothing is written to
 * /var/lib/snmp) and without MIBs (numeric OIDs only); its log lines go to
 * log_debug().  Every call into net-snmp holds one module-wide lock, so
 * clients may live in different threads; one client is used by one thread
 * at a time.
 *
 * net-snmp keeps SNMPv3 users in one process-wide table keyed by engine ID
 * and user name: two clients of the same agent with the same user name but
 * different passphrases share the keys of the first (keep one credential
 * set per user and agent in a process). */
#ifndef SUNDIAL_NET_SNMP_CLIENT_H
#define SUNDIAL_NET_SNMP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNMP_CLIENT_OID_MAX 128	      /* arcs, as net-snmp's MAX_OID_LEN */
#define SNMP_CLIENT_OID_TEXT_MAX 1408 /* 128 arcs of up to 10 digits and a dot, NUL */
#define SNMP_CLIENT_VALUES_MAX 100000 /* values a walk keeps before it gives up */
#define SNMP_CLIENT_COMMUNITY_MAX 255
#define SNMP_CLIENT_USER_MAX 32 /* RFC 3414: usmUserName is 1..32 octets */
#define SNMP_CLIENT_PASS_MIN 8	/* RFC 3414 11.2 */
#define SNMP_CLIENT_PASS_MAX 256
#define SNMP_CLIENT_CREDS_FILE_MAX 65536

/* ------------------------------------------------------------------ OIDs */

struct snmp_client_oid {
	uint32_t arc[SNMP_CLIENT_OID_MAX];
	size_t len;
};

/* Parses dotted decimal ("1.3.6.1.2.1.1.1.0", a leading '.' allowed): 2 to
 * 128 arcs, each 0..4294967295 without leading zeros, the first 0, 1 or 2.
 * False, with *out left alone, when malformed (names like "sysDescr.0" are
 * refused: no MIBs are loaded). */
bool snmp_client_oid_parse(const char *s, struct snmp_client_oid *out)
	__attribute__((warn_unused_result));

/* Writes o as dotted decimal without a leading dot into buf (always
 * NUL-terminated when len > 0).  Returns the length the text needs (a result
 * >= len means it was cut); SNMP_CLIENT_OID_TEXT_MAX always suffices. */
size_t snmp_client_oid_format(const struct snmp_client_oid *o, char *buf, size_t len);

/* <0, 0, >0 in lexicographic OID order (a prefix sorts first). */
int snmp_client_oid_cmp(const struct snmp_client_oid *a, const struct snmp_client_oid *b);

/* Whether o lies strictly under prefix (is longer and starts with it). */
bool snmp_client_oid_under(const struct snmp_client_oid *o, const struct snmp_client_oid *prefix);

/* ----------------------------------------------------------- credentials */

enum snmp_client_version {
	SNMP_CLIENT_V2C,
	SNMP_CLIENT_V3, /* authPriv only */
};

enum snmp_client_auth {
	SNMP_CLIENT_AUTH_SHA,	 /* usmHMACSHA1AuthProtocol (HMAC-SHA-96) */
	SNMP_CLIENT_AUTH_SHA256, /* usmHMAC192SHA256AuthProtocol (RFC 7860) */
};

enum snmp_client_priv {
	SNMP_CLIENT_PRIV_AES, /* usmAesCfb128Protocol (RFC 3826) */
};

/* Secrets: wipe with snmp_client_creds_wipe() once the client is made. */
struct snmp_client_creds {
	enum snmp_client_version version;
	char community[SNMP_CLIENT_COMMUNITY_MAX + 1]; /* v2c */
	char user[SNMP_CLIENT_USER_MAX + 1];	       /* v3 */
	enum snmp_client_auth auth;
	enum snmp_client_priv priv;
	char auth_pass[SNMP_CLIENT_PASS_MAX + 1];
	char priv_pass[SNMP_CLIENT_PASS_MAX + 1];
};

/* Parses a credentials file's text (len octets, need not be NUL-terminated;
 * name is used in messages).  Lines (LF or CRLF); blank lines and lines whose
 * first non-blank is '#' are skipped; a line is a keyword, blanks, and the
 * rest of the line (trailing blanks dropped, so a passphrase may hold blanks
 * and '#'):
 *
 *   community STRING                 SNMPv2c
 *   user NAME                        SNMPv3 authPriv, needs auth and priv:
 *   auth sha|sha256 PASSPHRASE
 *   priv aes|aes128 PASSPHRASE
 *
 * Either community or user (with auth and priv), each keyword once;
 * passphrases of 8 to 256 octets, a community of 1 to 255, a user name of
 * 1 to 32, printable ASCII (and blanks inside).  0, or -EINVAL with
 * "NAME:LINE: what was expected" in err (never the secret itself); *out is
 * wiped on error. */
int snmp_client_creds_parse(const char *name, const char *text, size_t len,
			    struct snmp_client_creds *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Whether a file of this st_mode may hold secrets: a regular file with no
 * permission for group or others (chmod 600 or 400). */
bool snmp_client_creds_mode_ok(unsigned int st_mode);

/* Reads and parses the credentials file at path.  0; -EACCES when group or
 * others have any permission on it ("FILE: readable by group or others
 * (mode 0644): chmod 600 FILE"), -EINVAL when it is not a regular file, is
 * larger than 64 KiB or does not parse, or the open()/read() errno; err says
 * which.  The text read is wiped. */
int snmp_client_creds_load(const char *path, struct snmp_client_creds *out, char *err,
			   size_t errlen) __attribute__((warn_unused_result));

void snmp_client_creds_wipe(struct snmp_client_creds *c);

/* ---------------------------------------------------------------- values */

enum snmp_client_type {
	SNMP_CLIENT_T_INTEGER,	 /* INTEGER, Integer32: i */
	SNMP_CLIENT_T_UNSIGNED,	 /* Gauge32, Unsigned32: u */
	SNMP_CLIENT_T_COUNTER32, /* u */
	SNMP_CLIENT_T_COUNTER64, /* u */
	SNMP_CLIENT_T_TIMETICKS, /* u, hundredths of a second */
	SNMP_CLIENT_T_STRING,	 /* OCTET STRING (also BITS): str, str_len (any octets) */
	SNMP_CLIENT_T_OID,	 /* OBJECT IDENTIFIER: str is its dotted text */
	SNMP_CLIENT_T_IPADDRESS, /* IpAddress: str is its dotted quad */
	SNMP_CLIENT_T_OPAQUE,	 /* Opaque: str, str_len */
	SNMP_CLIENT_T_FLOAT,	 /* Opaque float or double (net-snmp extension): d */
	SNMP_CLIENT_T_NULL,
	SNMP_CLIENT_T_NO_SUCH_OBJECT,	/* GET: the agent has no such object */
	SNMP_CLIENT_T_NO_SUCH_INSTANCE, /* GET: the object has no such instance */
	SNMP_CLIENT_T_END_OF_MIB_VIEW,	/* GET: nothing beyond */
	SNMP_CLIENT_T_OTHER,		/* a type this module does not know: str, str_len */
};

const char *snmp_client_type_name(enum snmp_client_type t); /* "integer", "counter64", ... */

struct snmp_client_value {
	struct snmp_client_oid oid;
	enum snmp_client_type type;
	int64_t i;
	uint64_t u;
	double d;
	char *str; /* owned; NUL-terminated after str_len octets; NULL if none */
	size_t str_len;
};

/* What a request gave: n values in request order (GET) or OID order (walk). */
struct snmp_client_result {
	struct snmp_client_value *v;
	size_t n;
};

void snmp_client_result_free(struct snmp_client_result *r); /* the contents; accepts zeroed */

/* ---------------------------------------------------------------- errors */

enum snmp_client_err {
	SNMP_CLIENT_OK = 0,
	SNMP_CLIENT_PENDING,	    /* a request is under way */
	SNMP_CLIENT_E_TIMEOUT,	    /* no answer within timeout x (retries + 1) */
	SNMP_CLIENT_E_AUTH,	    /* v3: wrong passphrase or protocol (usmStatsWrongDigests) */
	SNMP_CLIENT_E_UNKNOWN_USER, /* v3: the agent has no such user (usmStatsUnknownUserNames) */
	SNMP_CLIENT_E_DECRYPT,	/* v3: wrong privacy passphrase/protocol (usmStatsDecryptionErrors)
				 */
	SNMP_CLIENT_E_SECURITY, /* v3: another report (unsupported level, time window, ...) */
	SNMP_CLIENT_E_NO_SUCH_NAME, /* error-status noSuchName */
	SNMP_CLIENT_E_AGENT,	    /* another error-status (tooBig, genErr, ...) */
	SNMP_CLIENT_E_UNREACHABLE,  /* name not resolved, no route, send failed */
	SNMP_CLIENT_E_PROTOCOL,	    /* an answer that makes no sense (OIDs not increasing, ...) */
	SNMP_CLIENT_E_INTERNAL,	    /* net-snmp failed for another reason */
};

const char *snmp_client_err_name(enum snmp_client_err e); /* "timeout", "authentication failure" */

/* ---------------------------------------------------------------- client */

typedef struct snmp_client snmp_client;

struct snmp_client_opts {
	const char *host;			 /* an address or a name (resolved blocking) */
	unsigned port;				 /* 0: 161 */
	const struct snmp_client_creds *creds;	 /* borrowed for snmp_client_new() only */
	double timeout;				 /* seconds per try; 0: 1 */
	unsigned retries;			 /* tries after the first */
	unsigned max_rep;			 /* GETBULK; 0: 20 */
	void (*done)(snmp_client *c, void *arg); /* optional: called when a request ends,
						    from snmp_client_readable() or
						    snmp_client_timeout(); may free c */
	void *done_arg;
};

/* Opens a session (a UDP socket; nothing is sent).  NULL on error with err
 * set: an unresolvable name, a bad option, a passphrase net-snmp refuses.
 * The credentials are copied into net-snmp's session as keys. */
snmp_client *snmp_client_new(const struct snmp_client_opts *o, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void snmp_client_free(snmp_client *c); /* accepts NULL; drops a pending request */

/* Starts a GET of n OIDs (copied; sent in chunks of 32 in order) or a
 * GETBULK walk of everything strictly under root (ends at the first OID
 * outside it, at endOfMibView, noSuchObject or noSuchInstance, or an empty
 * answer).  A previous result is dropped.  0, -EBUSY if a request is under
 * way, -EINVAL for n == 0 or an empty OID; a failure to send ends the
 * request at once (see snmp_client_status()). */
int snmp_client_get(snmp_client *c, const struct snmp_client_oid *oids, size_t n)
	__attribute__((warn_unused_result));
int snmp_client_walk(snmp_client *c, const struct snmp_client_oid *root)
	__attribute__((warn_unused_result));

/* For an event loop: the socket to watch for reading (valid until
 * snmp_client_free()); the seconds until snmp_client_timeout() is due, or
 * -1 when nothing is pending; call snmp_client_readable() when the socket is
 * readable, snmp_client_timeout() when the time is due. */
int snmp_client_fd(const snmp_client *c);
double snmp_client_next_timeout(snmp_client *c);
void snmp_client_readable(snmp_client *c);
void snmp_client_timeout(snmp_client *c);

/* Drives the pending request to its end with poll(): at most limit seconds
 * (0: no limit beyond the request's own timeouts; a walk of many requests
 * takes as long as it takes).  Returns the status as snmp_client_status(). */
enum snmp_client_err snmp_client_run(snmp_client *c, double limit);

/* Ends the pending request as a timeout with the message "AGENT: why"
 * (an answer that comes later is dropped); nothing when none is pending. */
void snmp_client_cancel(snmp_client *c, const char *why);

/* PENDING while under way, then OK or the error of the last request.
 * snmp_client_errmsg() says it for people (names the agent, never a
 * secret); "" when OK. */
enum snmp_client_err snmp_client_status(const snmp_client *c);
const char *snmp_client_errmsg(const snmp_client *c);

/* Moves the values of the last request (also those a failed walk got before
 * it failed) into *out, which the caller frees with
 * snmp_client_result_free(). */
void snmp_client_take(snmp_client *c, struct snmp_client_result *out);

/* Number of request PDUs sent so far (probes and retries not counted). */
unsigned long snmp_client_requests(const snmp_client *c);

/* Initialises net-snmp as said above; called by snmp_client_new(), safe to
 * call more than once and from several threads. */
void snmp_client_init(void);

/* ---- the library shared with net/agentx.c (AgentX subagent) ----
 *
 * net-snmp is one library per process, not thread-safe: the subagent's
 * thread takes the same lock around each of its calls into it.  Requests
 * of the clients wait with snmp_sess_select_info2_flags(...,
 * NETSNMP_SELECT_NOALARMS): the subagent's alarms (its pings) are not
 * theirs.  The subagent must set itself up before init_snmp() runs
 * (init_agent()), and init_snmp() runs once per process, so the start is
 * in two steps:
 *
 *   snmp_client_lib_setup()  the settings above (no configuration files,
 *                            no persistent state, log lines to
 *                            log_debug()), once; the subagent calls it
 *                            before init_agent();
 *   snmp_client_lib_start()  setup, then init_snmp() unless it ran; true
 *                            when it ran now (its "post read config"
 *                            callbacks ran: the subagent's connection
 *                            started), false when it had run before (the
 *                            subagent starts its connection itself).
 *
 * Both are called with the lock held; snmp_client_init() takes it and calls
 * snmp_client_lib_start(). */
void snmp_client_lib_lock(void);
void snmp_client_lib_unlock(void);
void snmp_client_lib_setup(void);
bool snmp_client_lib_start(void);

#endif
