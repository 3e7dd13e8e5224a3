/* query.c - `sundial query`: ask time servers for the time as a client
 * would, without touching the local clock.  Options, resolution and output;
 * the exchange itself is net/ntp_client, and with --nts the key exchange
 * before it net/nts_ke (one per SERVER, then its NTP server queried with
 * the session, net/nts). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "auth/keys.h"
#include "auth/mac.h"
#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"
#include "net/ntp_client.h"
#include "net/nts.h"
#include "net/nts_ke.h"
#include "wire/ntp.h"
#include "wire/nts.h"

/* Exit statuses (doc/sundial-query.1, EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_UNSYNC = 1,
	EXIT_KOD = 2,
	EXIT_TIMEOUT = 3,
	EXIT_UNRESOLVED = 4,
	EXIT_UNREACHABLE = 5,
	EXIT_AUTH = 6,
	/* NTS key exchange failures without an NTP equivalent (resolution,
	 * refused connections and timeouts are 4, 5 and 3 as for NTP). */
	EXIT_NTS_CERT_EXPIRED = 7,
	EXIT_NTS_CERT_UNTRUSTED = 8,
	EXIT_NTS_CERT_NAME = 9,
	EXIT_NTS_TLS = 10,
	EXIT_NTS_ALPN = 11,
	EXIT_NTS_ERROR_RECORD = 12,
	EXIT_NTS_PROTOCOL = 13,
	EXIT_NTS_NO_COOKIES = 14,
	EXIT_USAGE = 64,
	EXIT_KEYFILE = 78,
};

enum nagios { NAGIOS_OK = 0, NAGIOS_WARNING = 1, NAGIOS_CRITICAL = 2, NAGIOS_UNKNOWN = 3 };

enum output { OUT_TEXT, OUT_BRIEF, OUT_JSON, OUT_NAGIOS, OUT_PROM };

#define MAX_ADDRS_PER_NAME 64

struct opts {
	int family;
	bool all_addresses;
	unsigned samples;
	double interval;
	double timeout;
	uint16_t port;
	const char *keyfile;
	long key_id;
	enum keyfile_format key_format;
	const char *bind;
	enum output out;
	double warn_offset, crit_offset;
	double warn_stratum, crit_stratum;
	double warn_delay, crit_delay;
	bool port_given;
	bool nts;
	const char *ca_file;
	uint16_t nts_port;
	bool nts_port_given;
	double nts_warn_days, nts_crit_days;
	bool nts_days_given;
};

/* One address of one server argument, and what became of it. */
struct entry {
	const char *arg; /* the SERVER argument (borrowed from argv) */
	char host[256];
	struct sockaddr_storage addr;
	char address[64];
	uint16_t port;
	int resolve_err;	    /* 0, or -ENOENT/-EAFNOSUPPORT/-EIO/-EINVAL */
	char message[300];	    /* resolution error */
	struct ntpc_target *target; /* NULL when resolution failed */
	struct ntpc_summary sum;
	bool auth_ignored; /* keyed requests unanswered, unsigned ones answered */
	/* --nts: the key exchange with arg, then the NTP server it named. */
	struct nts_ke_result *ke; /* NULL without --nts */
	nts_session *session;	  /* NULL unless the key exchange succeeded */
	bool ke_failed;		  /* ke->fail says why, ke_err in words */
	char ke_host[256];
	uint16_t ke_port;
	char ke_err[512];
	size_t cookies_left; /* after the queries */
};

/* Nothing was queried: the name did not resolve or the key exchange failed
 * (sum is all zeroes then, which must never read as NTPC_OK). */
static bool failed_early(const struct entry *e)
{
	return e->resolve_err || e->ke_failed;
}

static void help(FILE *f)
{
	/* One 80x24 screen (tests/system/query_cli.sh); the rest is in
	 * sundial-query(1). */
	fprintf(f,
		"usage: sundial query [OPTIONS] SERVER...\n"
		"Ask time servers for the time as a client would; the local clock is not touched.\n"
		"SERVER is a name, an address, host:port or [IPv6]:port.\n\n"
		"  -4, -6               use only IPv4 / IPv6 addresses\n"
		"  -A, --all-addresses  query every address of a name (pool names have many)\n"
		"  -n, --samples N      samples per address (default 4); the lowest delay wins\n"
		"  -i, --interval SEC   between samples (default 2; 0 sends all at once)\n"
		"  -t, --timeout SEC    wait for each reply (default 2)\n"
		"  -p, --port PORT      port when SERVER names none (default 123)\n"
		"  -k, --keyfile FILE   ntp.keys or chrony.keys file; --key-format ntp|chrony\n"
		"  -a, --key-id ID      authenticate with this symmetric key\n"
		"  -b, --bind ADDR      send from this local address\n"
		"      --nts            authenticate with NTS: key exchange with SERVER first\n"
		"      --ca FILE, --nts-port PORT   NTS: trusted CAs (PEM); NTS-KE port (4460)\n"
		"      --nts-warn-days N, --nts-crit-days N   certificate days left (28, 7)\n"
		"      --brief, -j, --json, --prom, --nagios   one line per address, JSON,\n"
		"                       Prometheus text, Nagios plugin (like check_ntp_time)\n"
		"  -w, -c SEC           offset warning/critical thresholds (default 60, 120)\n"
		"  -W, -C N; --warn-delay SEC, --crit-delay SEC   stratum, delay thresholds\n"
		"  -v, --verbose        more detail; -h, --help  this text\n"
		"Exit: 0 ok, 1 unsynchronised, 2 kiss-o'-death, 3 no reply, 4 unresolved,\n"
		"5 unreachable, 6 auth failed, 7-14 NTS-KE (see man page), 64 usage, 78 files.\n");
}

enum {
	OPT_KEY_FORMAT = 256,
	OPT_BRIEF,
	OPT_NAGIOS,
	OPT_PROM,
	OPT_WARN_DELAY,
	OPT_CRIT_DELAY,
	OPT_NTS,
	OPT_CA,
	OPT_NTS_PORT,
	OPT_NTS_WARN_DAYS,
	OPT_NTS_CRIT_DAYS,
};

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "all-addresses", no_argument, NULL, 'A' },
		{ "samples", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "keyfile", required_argument, NULL, 'k' },
		{ "key-id", required_argument, NULL, 'a' },
		{ "key-format", required_argument, NULL, OPT_KEY_FORMAT },
		{ "bind", required_argument, NULL, 'b' },
		{ "brief", no_argument, NULL, OPT_BRIEF },
		{ "json", no_argument, NULL, 'j' },
		{ "prom", no_argument, NULL, OPT_PROM },
		{ "nagios", no_argument, NULL, OPT_NAGIOS },
		{ "warning", required_argument, NULL, 'w' },
		{ "critical", required_argument, NULL, 'c' },
		{ "warn-stratum", required_argument, NULL, 'W' },
		{ "crit-stratum", required_argument, NULL, 'C' },
		{ "warn-delay", required_argument, NULL, OPT_WARN_DELAY },
		{ "crit-delay", required_argument, NULL, OPT_CRIT_DELAY },
		{ "nts", no_argument, NULL, OPT_NTS },
		{ "ca", required_argument, NULL, OPT_CA },
		{ "nts-port", required_argument, NULL, OPT_NTS_PORT },
		{ "nts-warn-days", required_argument, NULL, OPT_NTS_WARN_DAYS },
		{ "nts-crit-days", required_argument, NULL, OPT_NTS_CRIT_DAYS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "46An:i:t:p:k:a:b:jw:c:W:C:vh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case '4':
		case '6':
			if (o->family != AF_UNSPEC)
				return cmd_usage_error("query", "%s", "give -4 or -6, not both");
			o->family = c == '4' ? AF_INET : AF_INET6;
			break;
		case 'A': o->all_addresses = true; break;
		case 'n':
			if (!cmd_parse_double(optarg, 1, 100000, &v) || v != floor(v))
				return cmd_usage_error(
					"query",
					"-n needs a whole number of samples from 1 to "
					"100000, not '%s'",
					optarg);
			o->samples = (unsigned)v;
			break;
		case 'i':
			if (!cmd_parse_double(optarg, 0, 3600, &o->interval))
				return cmd_usage_error("query",
						       "-i needs seconds from 0 to 3600, not '%s'",
						       optarg);
			break;
		case 't':
			if (!cmd_parse_double(optarg, 0.001, 3600, &o->timeout))
				return cmd_usage_error(
					"query", "-t needs seconds from 0.001 to 3600, not '%s'",
					optarg);
			break;
		case 'p':
			if (!cmd_parse_double(optarg, 1, 65535, &v) || v != floor(v))
				return cmd_usage_error("query",
						       "-p needs a port from 1 to 65535, not '%s'",
						       optarg);
			o->port = (uint16_t)v;
			o->port_given = true;
			break;
		case 'k': o->keyfile = optarg; break;
		case 'a':
			if (!cmd_parse_double(optarg, 1, 4294967295.0, &v) || v != floor(v))
				return cmd_usage_error(
					"query", "-a needs a key id from 1 to 4294967295, not '%s'",
					optarg);
			o->key_id = (long)v;
			break;
		case OPT_KEY_FORMAT:
			if (strcmp(optarg, "ntp") == 0)
				o->key_format = KEYFILE_NTP;
			else if (strcmp(optarg, "chrony") == 0)
				o->key_format = KEYFILE_CHRONY;
			else
				return cmd_usage_error(
					"query", "--key-format is 'ntp' or 'chrony', not '%s'",
					optarg);
			break;
		case 'b': o->bind = optarg; break;
		case OPT_BRIEF:
		case 'j':
		case OPT_PROM:
		case OPT_NAGIOS:
			if (o->out != OUT_TEXT)
				return cmd_usage_error("query", "%s",
						       "give one output form: --brief, --json, "
						       "--prom or --nagios");
			o->out = c == OPT_BRIEF	 ? OUT_BRIEF
				 : c == 'j'	 ? OUT_JSON
				 : c == OPT_PROM ? OUT_PROM
						 : OUT_NAGIOS;
			break;
		case 'w':
			if (!cmd_parse_double(optarg, 0, 1e9, &o->warn_offset))
				return cmd_usage_error(
					"query", "-w needs an offset in seconds, not '%s'", optarg);
			break;
		case 'c':
			if (!cmd_parse_double(optarg, 0, 1e9, &o->crit_offset))
				return cmd_usage_error(
					"query", "-c needs an offset in seconds, not '%s'", optarg);
			break;
		case 'W':
			if (!cmd_parse_double(optarg, 0, 16, &o->warn_stratum))
				return cmd_usage_error("query",
						       "-W needs a stratum from 0 to 16, not '%s'",
						       optarg);
			break;
		case 'C':
			if (!cmd_parse_double(optarg, 0, 16, &o->crit_stratum))
				return cmd_usage_error("query",
						       "-C needs a stratum from 0 to 16, not '%s'",
						       optarg);
			break;
		case OPT_WARN_DELAY:
			if (!cmd_parse_double(optarg, 0, 1e9, &o->warn_delay))
				return cmd_usage_error(
					"query", "--warn-delay needs seconds, not '%s'", optarg);
			break;
		case OPT_CRIT_DELAY:
			if (!cmd_parse_double(optarg, 0, 1e9, &o->crit_delay))
				return cmd_usage_error(
					"query", "--crit-delay needs seconds, not '%s'", optarg);
			break;
		case OPT_NTS: o->nts = true; break;
		case OPT_CA: o->ca_file = optarg; break;
		case OPT_NTS_PORT:
			if (!cmd_parse_double(optarg, 1, 65535, &v) || v != floor(v))
				return cmd_usage_error(
					"query",
					"--nts-port needs a port from 1 to 65535, not '%s'",
					optarg);
			o->nts_port = (uint16_t)v;
			o->nts_port_given = true;
			break;
		case OPT_NTS_WARN_DAYS:
		case OPT_NTS_CRIT_DAYS:
			if (!cmd_parse_double(optarg, 0, 100000, &v))
				return cmd_usage_error(
					"query", "--%s needs a number of days, not '%s'",
					c == OPT_NTS_WARN_DAYS ? "nts-warn-days" : "nts-crit-days",
					optarg);
			if (c == OPT_NTS_WARN_DAYS)
				o->nts_warn_days = v;
			else
				o->nts_crit_days = v;
			o->nts_days_given = true;
			break;
		case 'v': log_set_verbosity(log_get_verbosity() + 1); break;
		case 'h': help(stdout); return -1;
		default:
			fprintf(stderr, "'sundial query --help' lists the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cmd_usage_error("query", "%s",
				       "no SERVER given, e.g. 'sundial query pool.ntp.org'");
	if (o->key_id && !o->keyfile)
		return cmd_usage_error("query", "%s", "-a needs a key file: -k FILE");
	if (o->keyfile && !o->key_id)
		return cmd_usage_error("query", "%s", "-k needs a key id: -a ID");
	if (!o->nts && (o->ca_file || o->nts_port_given || o->nts_days_given))
		return cmd_usage_error("query", "%s",
				       "--ca, --nts-port and --nts-warn-days/--nts-crit-days go "
				       "with --nts");
	if (o->nts && o->keyfile)
		return cmd_usage_error("query", "%s",
				       "--nts and a symmetric key (-k/-a) exclude each other: give "
				       "one");
	if (o->nts && o->all_addresses)
		return cmd_usage_error("query", "%s",
				       "--nts queries the one NTP server each key exchange names; "
				       "leave out -A");
	if (o->nts && o->port_given)
		return cmd_usage_error("query", "%s",
				       "with --nts the NTP port comes from the key exchange; "
				       "--nts-port or SERVER:PORT set the NTS-KE port");
	return 0;
}

/* --- what a summary means for people and for exit statuses --- */

/* A key exchange failure, for scripts (JSON nts.failure). */
static const char *ke_fail_word(enum nts_ke_fail f)
{
	switch (f) {
	case NTS_KE_F_NONE: return "none";
	case NTS_KE_F_RESOLVE: return "resolve";
	case NTS_KE_F_CONNECT: return "connect";
	case NTS_KE_F_TIMEOUT: return "timeout";
	case NTS_KE_F_CERT_EXPIRED: return "cert_expired";
	case NTS_KE_F_CERT_UNTRUSTED: return "cert_untrusted";
	case NTS_KE_F_CERT_NAME: return "cert_name";
	case NTS_KE_F_TLS: return "tls";
	case NTS_KE_F_ALPN: return "alpn";
	case NTS_KE_F_ERROR_RECORD: return "error_record";
	case NTS_KE_F_PROTOCOL: return "protocol";
	case NTS_KE_F_NO_COOKIES: return "no_cookies";
	}
	return "unknown";
}

static int ke_exit_status(enum nts_ke_fail f)
{
	switch (f) {
	case NTS_KE_F_NONE: return EXIT_OK;
	case NTS_KE_F_RESOLVE: return EXIT_UNRESOLVED;
	case NTS_KE_F_CONNECT: return EXIT_UNREACHABLE;
	case NTS_KE_F_TIMEOUT: return EXIT_TIMEOUT;
	case NTS_KE_F_CERT_EXPIRED: return EXIT_NTS_CERT_EXPIRED;
	case NTS_KE_F_CERT_UNTRUSTED: return EXIT_NTS_CERT_UNTRUSTED;
	case NTS_KE_F_CERT_NAME: return EXIT_NTS_CERT_NAME;
	case NTS_KE_F_TLS: return EXIT_NTS_TLS;
	case NTS_KE_F_ALPN: return EXIT_NTS_ALPN;
	case NTS_KE_F_ERROR_RECORD: return EXIT_NTS_ERROR_RECORD;
	case NTS_KE_F_PROTOCOL: return EXIT_NTS_PROTOCOL;
	case NTS_KE_F_NO_COOKIES: return EXIT_NTS_NO_COOKIES;
	}
	return EXIT_NTS_PROTOCOL;
}

/* Why a reply failed NTS, for people. */
static const char *nts_verdict_text(uint8_t v)
{
	switch ((enum nts_verdict)v) {
	case NTS_V_OK: return "authenticated";
	case NTS_V_NAK:
		return "the server sent an NTS NAK: it could not use the cookie (a new key "
		       "exchange is needed)";
	case NTS_V_NO_UID: return "the reply does not echo the request's unique identifier";
	case NTS_V_NO_AUTH: return "the reply has no NTS authenticator";
	case NTS_V_BAD_AUTH:
		return "the NTS authenticator does not verify (the reply was altered, or the keys "
		       "differ)";
	case NTS_V_MALFORMED:
		return "the reply's NTS fields are malformed (or follow the authenticator)";
	}
	return "unknown NTS verdict";
}

/* A sample's NTS verdict for scripts: the verdict of a reply, else null. */
static bool sample_replied(const struct ntpc_sample *x)
{
	return x->state == NTPC_S_OK || x->state == NTPC_S_AUTH || x->state == NTPC_S_KOD ||
	       x->state == NTPC_S_INVALID;
}

static const char *status_word(const struct entry *e)
{
	if (e->ke_failed)
		return "nts_ke_failed";
	if (e->resolve_err)
		return "unresolved";
	switch (e->sum.status) {
	case NTPC_OK: return "ok";
	case NTPC_UNSYNC: return "unsynchronised";
	case NTPC_KOD: return "kod";
	case NTPC_TIMEOUT: return "timeout";
	case NTPC_UNREACHABLE: return "unreachable";
	case NTPC_AUTH_FAILED: return "auth_failed";
	case NTPC_INVALID: return "invalid";
	}
	return "unknown";
}

static int exit_status(const struct entry *e)
{
	if (e->ke_failed)
		return ke_exit_status(e->ke->fail);
	if (e->resolve_err)
		return EXIT_UNRESOLVED;
	switch (e->sum.status) {
	case NTPC_OK: return EXIT_OK;
	case NTPC_UNSYNC:
	case NTPC_INVALID: return EXIT_UNSYNC;
	case NTPC_KOD: return EXIT_KOD;
	case NTPC_TIMEOUT: return EXIT_TIMEOUT;
	case NTPC_UNREACHABLE: return EXIT_UNREACHABLE;
	case NTPC_AUTH_FAILED: return EXIT_AUTH;
	}
	return EXIT_UNSYNC;
}

static const char *auth_word(uint8_t v)
{
	switch (v) {
	case MAC_VALID: return "valid";
	case MAC_MISSING: return "missing";
	case MAC_CRYPTO_NAK: return "crypto_nak";
	case MAC_WRONG_KEYID: return "wrong_key_id";
	case MAC_BAD: return "bad";
	default: return "error";
	}
}

/* A sentence for people saying what happened. */
static void describe(const struct entry *e, const struct opts *o, char *buf, size_t len)
{
	const struct ntpc_summary *s = &e->sum;
	if (e->ke_failed) {
		snprintf(buf, len, "NTS key exchange failed: %s", e->ke_err);
		return;
	}
	if (e->resolve_err) {
		snprintf(buf, len, "%s", e->message);
		return;
	}
	switch (s->status) {
	case NTPC_OK:
		snprintf(buf, len, "ok: %zu of %zu samples answered%s", s->valid, s->sent,
			 e->session ? ", NTS-authenticated" : "");
		break;
	case NTPC_UNSYNC:
		snprintf(buf, len, "server is not synchronised: %s", s->unsync_reason);
		break;
	case NTPC_KOD: {
		const uint8_t *c = s->last->reply.refid;
		const char *m = ntp_kiss_describe(c, NULL);
		snprintf(buf, len, "kiss-o'-death %.4s: %s", (const char *)c, m);
		break;
	}
	case NTPC_TIMEOUT:
		if (e->session && s->sent == 0)
			snprintf(buf, len, "no request sent to %s port %u: no NTS cookie left",
				 e->address, e->port);
		else
			snprintf(buf, len,
				 "no reply from %s port %u to %zu requests within %g s each",
				 e->address, e->port, s->sent, o->timeout);
		break;
	case NTPC_UNREACHABLE:
		snprintf(buf, len, "%s port %u is unreachable: %s", e->address, e->port,
			 strerror(s->err));
		break;
	case NTPC_AUTH_FAILED:
		if (e->session) {
			snprintf(buf, len, "NTS authentication failed: %s",
				 nts_verdict_text(s->nts));
			break;
		}
		if (e->auth_ignored) {
			snprintf(buf, len,
				 "authentication failed: the server answers unauthenticated "
				 "requests "
				 "but ignores those signed with key %ld (it does not know the key "
				 "id, "
				 "or its key differs)",
				 o->key_id);
			break;
		}
		switch (s->auth) {
		case MAC_MISSING:
			snprintf(buf, len,
				 "authentication failed: no MAC in reply (the server does not "
				 "know key %ld or does not authenticate)",
				 o->key_id);
			break;
		case MAC_CRYPTO_NAK:
			snprintf(buf, len,
				 "authentication failed: crypto-NAK (the server rejected key %ld: "
				 "unknown key id or wrong key)",
				 o->key_id);
			break;
		case MAC_WRONG_KEYID:
			snprintf(buf, len,
				 "authentication failed: reply signed with key %u, not %ld",
				 s->last ? s->last->reply.key_id : 0, o->key_id);
			break;
		case MAC_BAD:
			snprintf(buf, len,
				 "authentication failed: MAC does not match (wrong key %ld, or the "
				 "reply was altered)",
				 o->key_id);
			break;
		default:
			snprintf(buf, len, "authentication failed: could not compute the MAC");
			break;
		}
		break;
	case NTPC_INVALID:
		snprintf(buf, len, "reply unusable: zero timestamps (RFC 5905 test 3)");
		break;
	}
}

/* --- output --- */

static void iso8601(double t, char *buf, size_t len)
{
	time_t u = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&u, &tm) || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}

/* The lengths of the cookies the key exchange gave: "104" or "96-104". */
static void cookie_lengths(const struct nts_ke_result *r, char *buf, size_t len)
{
	size_t lo = SIZE_MAX, hi = 0;
	for (size_t i = 0; i < r->n_cookies && i < NTS_MAX_COOKIES; i++) {
		lo = r->cookie_len[i] < lo ? r->cookie_len[i] : lo;
		hi = r->cookie_len[i] > hi ? r->cookie_len[i] : hi;
	}
	if (hi == 0)
		snprintf(buf, len, "-");
	else if (lo == hi)
		snprintf(buf, len, "%zu", hi);
	else
		snprintf(buf, len, "%zu-%zu", lo, hi);
}

static void print_text_cert(const struct nts_ke_result *r)
{
	if (!r->have_cert)
		return;
	char when[32];
	iso8601(r->not_after, when, sizeof when);
	printf("  cert       %s, issuer %s\n", r->subject, r->issuer);
	printf("  expires    %s, %.1f days %s\n", when, fabs(r->days_left),
	       r->days_left >= 0 ? "left" : "ago");
}

static void print_text_nts(const struct entry *e)
{
	const struct nts_ke_result *r = e->ke;
	char lens[32];
	cookie_lengths(r, lens, sizeof lens);
	printf("  nts        %s; key exchange with %s port %u in %.3f s, %s %s\n",
	       nts_aead_name(r->aead), e->ke_host, e->ke_port, r->seconds, r->tls_version,
	       r->cipher);
	printf("  nts server %s port %u\n", r->server, r->port);
	printf("  cookies    %zu received (%s octets), %zu left\n", r->n_cookies, lens,
	       e->cookies_left);
	print_text_cert(r);
	if (!e->target)
		return;
	printf("  verdicts  ");
	for (size_t k = 0; k < e->target->n_samples; k++) {
		const struct ntpc_sample *x = &e->target->samples[k];
		printf(" %s", sample_replied(x) ? nts_verdict_name((enum nts_verdict)x->nts)
			      : x->state == NTPC_S_TIMEOUT ? "timeout"
			      : x->state == NTPC_S_SKIPPED ? "skipped"
							   : "-");
	}
	printf("\n");
}

static void print_text(struct entry *es, size_t n, const struct opts *o, const struct key *key)
{
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &es[i];
		char msg[640];
		describe(e, o, msg, sizeof msg);
		if (e->ke_failed) {
			printf("%s: %s\n", e->arg, msg);
			print_text_cert(e->ke);
			continue;
		}
		if (e->resolve_err) {
			printf("%s: %s\n", e->arg, msg);
			continue;
		}
		printf("%s (%s port %u): %s\n", e->host, e->address, e->port, msg);
		const struct ntpc_summary *s = &e->sum;
		const struct ntpc_sample *b = s->best ? s->best : s->last;
		if (!b) {
			if (e->session)
				print_text_nts(e);
			continue;
		}
		const struct ntp_pkt *p = &b->reply;
		char refid[32];
		ntp_refid_format(p, refid, sizeof refid);
		if (s->best) {
			printf("  offset     %+.9f s   median %+.9f s, spread %.9f s over %zu "
			       "samples\n",
			       b->offset, s->offset_median, s->offset_spread, s->valid);
			printf("  delay      %.9f s    lowest of %zu; median %.9f s\n", b->delay,
			       s->valid, s->delay_median);
			printf("  root dist  %.6f s       root delay %.6f s, root dispersion %.6f "
			       "s\n",
			       s->root_distance, ntp_short_to_sec(p->root_delay),
			       ntp_short_to_sec(p->root_disp));
			printf("  processing %.9f s    server receive to transmit (T3 - T2)\n",
			       ntp_ts_diff(p->xmt_ts, p->rec_ts));
		}
		printf("  stratum    %-3u refid %s%s\n", p->stratum, refid,
		       p->stratum >= 2 && p->stratum < 16
			       ? " (IPv4 address, or hash of an IPv6 one)"
			       : "");
		printf("  leap       %s; version %u, precision 2^%d s (%.3g s), poll 2^%d s\n",
		       ntp_leap_name(p->leap), p->version, p->precision, ldexp(1.0, p->precision),
		       p->poll);
		if (ntp_is_kod(p)) {
			enum ntp_kiss_action act;
			const char *m = ntp_kiss_describe(p->refid, &act);
			printf("  kiss code  %.4s: %s%s\n", (const char *)p->refid, m,
			       act == NTP_KISS_STOP	 ? " (stop querying)"
			       : act == NTP_KISS_BACKOFF ? " (back off)"
							 : "");
		}
		if (key)
			printf("  auth       %s (key %u, %s)\n",
			       mac_verdict_str((enum mac_verdict)s->auth), key->id,
			       key_alg_name(key->alg));
		if (e->session)
			print_text_nts(e);
		if (e->target &&
		    (e->target->bogus || e->target->duplicates || e->target->malformed))
			printf("  ignored    %lu bogus, %lu duplicate, %lu malformed replies\n",
			       e->target->bogus, e->target->duplicates, e->target->malformed);
	}
}

static void print_brief(struct entry *es, size_t n, const struct opts *o)
{
	printf("%-24s %-28s %-14s %2s %-15s %15s %12s", "server", "address", "status", "st",
	       "refid", "offset", "delay");
	if (o->nts)
		printf(" %-16s %7s %9s", "nts", "cookies", "cert_days");
	printf("\n");
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &es[i];
		const struct ntpc_sample *b = e->sum.best ? e->sum.best : e->sum.last;
		char refid[32] = "-", st[8] = "-", off[32] = "-", del[32] = "-";
		if (b) {
			ntp_refid_format(&b->reply, refid, sizeof refid);
			snprintf(st, sizeof st, "%u", b->reply.stratum);
		}
		if (e->sum.best) {
			snprintf(off, sizeof off, "%+.9f", e->sum.best->offset);
			snprintf(del, sizeof del, "%.9f", e->sum.best->delay);
		}
		printf("%-24s %-28s %-14s %2s %-15s %15s %12s", e->host[0] ? e->host : e->arg,
		       e->address[0] ? e->address : "-", status_word(e), st, refid, off, del);
		if (e->ke) {
			char cookies[16] = "-", days[32] = "-";
			if (e->session)
				snprintf(cookies, sizeof cookies, "%zu", e->cookies_left);
			if (e->ke->have_cert)
				snprintf(days, sizeof days, "%.1f", e->ke->days_left);
			printf(" %-16s %7s %9s",
			       e->ke_failed ? ke_fail_word(e->ke->fail)
					    : nts_aead_name(e->ke->aead),
			       cookies, days);
		}
		printf("\n");
	}
}

static json_t *sample_json(const struct ntpc_sample *x, bool nts)
{
	static const char *const state[] = { "pending", "ok",	"timeout", "unreachable",
					     "kod",	"auth", "invalid", "skipped" };
	json_t *j = json_object();
	json_object_set_new(j, "state", json_string(x->state < 8 ? state[x->state] : "?"));
	if (x->state == NTPC_S_OK) {
		json_object_set_new(j, "offset", json_real(x->offset));
		json_object_set_new(j, "delay", json_real(x->delay));
	}
	if (nts)
		json_object_set_new(
			j, "nts",
			sample_replied(x) ? json_string(nts_verdict_name((enum nts_verdict)x->nts))
					  : json_null());
	return j;
}

/* The "nts" object of a server: the key exchange and the session. */
static json_t *nts_json(const struct entry *e)
{
	const struct nts_ke_result *r = e->ke;
	json_t *j = json_object();
	json_object_set_new(j, "ke_server", json_string(e->ke_host));
	json_object_set_new(j, "ke_port", json_integer(e->ke_port));
	json_object_set_new(j, "ke_ok", json_boolean(!e->ke_failed));
	json_object_set_new(j, "failure",
			    e->ke_failed ? json_string(ke_fail_word(r->fail)) : json_null());
	json_object_set_new(j, "error", e->ke_failed ? json_string(e->ke_err) : json_null());
	if (r->error_code >= 0)
		json_object_set_new(j, "error_code", json_integer(r->error_code));
	if (!e->ke_failed) {
		char lens[32];
		cookie_lengths(r, lens, sizeof lens);
		json_object_set_new(j, "ke_seconds", json_real(r->seconds));
		json_object_set_new(j, "tls_version", json_string(r->tls_version));
		json_object_set_new(j, "cipher", json_string(r->cipher));
		json_object_set_new(j, "aead", json_string(nts_aead_name(r->aead)));
		json_object_set_new(j, "aead_id", json_integer(r->aead));
		json_object_set_new(j, "server", json_string(r->server));
		json_object_set_new(j, "port", json_integer(r->port));
		json_object_set_new(j, "cookies_received", json_integer((json_int_t)r->n_cookies));
		json_object_set_new(j, "cookie_length",
				    json_integer(r->n_cookies ? r->cookie_len[0] : 0));
		json_object_set_new(j, "cookies_left", json_integer((json_int_t)e->cookies_left));
	}
	if (r->have_cert) {
		char when[32];
		iso8601(r->not_after, when, sizeof when);
		json_t *c = json_object();
		json_object_set_new(c, "subject", json_string(r->subject));
		json_object_set_new(c, "issuer", json_string(r->issuer));
		json_object_set_new(c, "not_after", json_string(when));
		json_object_set_new(c, "days_left", json_real(r->days_left));
		json_object_set_new(j, "certificate", c);
	} else {
		json_object_set_new(j, "certificate", json_null());
	}
	return j;
}

static void print_json(struct entry *es, size_t n, const struct opts *o, const struct key *key)
{
	json_t *root = json_object();
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &es[i];
		const struct ntpc_summary *s = &e->sum;
		json_t *j = json_object();
		char msg[640];
		describe(e, o, msg, sizeof msg);
		json_object_set_new(j, "server", json_string(e->arg));
		json_object_set_new(j, "address",
				    e->address[0] ? json_string(e->address) : json_null());
		json_object_set_new(j, "port", json_integer(e->port));
		json_object_set_new(j, "status", json_string(status_word(e)));
		json_object_set_new(j, "message", json_string(msg));
		const struct ntpc_sample *b = s->best ? s->best : s->last;
		if (s->best) {
			json_object_set_new(j, "offset", json_real(b->offset));
			json_object_set_new(j, "delay", json_real(b->delay));
			json_object_set_new(j, "root_distance", json_real(s->root_distance));
			json_object_set_new(
				j, "processing_time",
				json_real(ntp_ts_diff(b->reply.xmt_ts, b->reply.rec_ts)));
		}
		if (b) {
			const struct ntp_pkt *p = &b->reply;
			char refid[32];
			json_object_set_new(j, "stratum", json_integer(p->stratum));
			json_object_set_new(j, "refid",
					    json_string(ntp_refid_format(p, refid, sizeof refid)));
			json_object_set_new(j, "leap", json_string(ntp_leap_name(p->leap)));
			json_object_set_new(j, "version", json_integer(p->version));
			json_object_set_new(j, "precision", json_integer(p->precision));
			json_object_set_new(j, "poll", json_integer(p->poll));
			json_object_set_new(j, "root_delay",
					    json_real(ntp_short_to_sec(p->root_delay)));
			json_object_set_new(j, "root_dispersion",
					    json_real(ntp_short_to_sec(p->root_disp)));
			if (ntp_is_kod(p)) {
				char code[5];
				memcpy(code, p->refid, 4);
				code[4] = '\0';
				json_object_set_new(j, "kiss_code", json_string(code));
				json_object_set_new(j, "kiss_meaning",
						    json_string(ntp_kiss_describe(p->refid, NULL)));
			} else {
				json_object_set_new(j, "kiss_code", json_null());
			}
		}
		if (e->ke) {
			json_t *a = json_object();
			json_object_set_new(a, "method", json_string("nts"));
			const char *res = e->ke_failed ? "nts_ke_failed"
					  : s->status == NTPC_AUTH_FAILED
						  ? nts_verdict_name((enum nts_verdict)s->nts)
					  : s->received ? "valid"
							: "none";
			json_object_set_new(a, "result", json_string(res));
			json_object_set_new(j, "auth", a);
		} else if (key && !e->resolve_err) {
			json_t *a = json_object();
			json_object_set_new(a, "key_id", json_integer(key->id));
			json_object_set_new(a, "algorithm", json_string(key_alg_name(key->alg)));
			json_object_set_new(a, "result",
					    json_string(e->auth_ignored ? "ignored"
							: s->received	? auth_word(s->auth)
									: "none"));
			json_object_set_new(j, "auth", a);
		} else {
			json_t *a = json_object();
			json_object_set_new(a, "result", json_string("none"));
			json_object_set_new(j, "auth", a);
		}
		if (e->ke)
			json_object_set_new(j, "nts", nts_json(e));
		if (e->target) {
			json_t *sm = json_object();
			json_object_set_new(sm, "sent", json_integer((json_int_t)s->sent));
			json_object_set_new(sm, "received", json_integer((json_int_t)s->received));
			json_object_set_new(sm, "valid", json_integer((json_int_t)s->valid));
			if (s->best) {
				json_object_set_new(sm, "offset_median",
						    json_real(s->offset_median));
				json_object_set_new(sm, "offset_spread",
						    json_real(s->offset_spread));
				json_object_set_new(sm, "delay_min", json_real(s->delay_min));
				json_object_set_new(sm, "delay_median", json_real(s->delay_median));
			}
			json_object_set_new(sm, "bogus",
					    json_integer((json_int_t)e->target->bogus));
			json_object_set_new(sm, "duplicates",
					    json_integer((json_int_t)e->target->duplicates));
			json_object_set_new(j, "samples", sm);
			json_t *list = json_array();
			for (size_t k = 0; k < e->target->n_samples; k++)
				json_array_append_new(
					list, sample_json(&e->target->samples[k], e->ke != NULL));
			json_object_set_new(j, "sample_list", list);
		}
		json_array_append_new(arr, j);
	}
	json_object_set_new(root, "servers", arr);
	char *text =
		json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	if (text) {
		puts(text);
		free(text);
	}
	json_decref(root);
}

/* The NTS gauges of --prom (with --nts). */
static void print_prom_nts(struct entry *es, size_t n)
{
	static const struct {
		const char *name, *help;
	} m[] = {
		{ "sundial_query_nts_ke_up", "1 if the NTS key exchange succeeded." },
		{ "sundial_query_nts_ke_seconds",
		  "Duration of the NTS key exchange, connect to End of Message." },
		{ "sundial_query_nts_cookies_received", "Cookies the key exchange gave." },
		{ "sundial_query_nts_cookies_left", "Cookies left after the queries." },
		{ "sundial_query_nts_cert_remaining_seconds",
		  "Seconds until the NTS-KE server's certificate expires (negative: expired)." },
		{ "sundial_query_nts_cert_not_after_seconds",
		  "Expiry of the NTS-KE server's certificate, Unix time." },
	};
	for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
		printf("# HELP %s %s\n# TYPE %s gauge\n", m[k].name, m[k].help, m[k].name);
		for (size_t i = 0; i < n; i++) {
			const struct entry *e = &es[i];
			const struct nts_ke_result *r = e->ke;
			if (!r)
				continue;
			char srv[600], addr[160];
			cmd_prom_escape(e->arg, srv, sizeof srv);
			cmd_prom_escape(e->address, addr, sizeof addr);
			double v;
			switch (k) {
			case 0: v = !e->ke_failed; break;
			case 1:
				if (e->ke_failed)
					continue;
				v = r->seconds;
				break;
			case 2:
				if (e->ke_failed)
					continue;
				v = (double)r->n_cookies;
				break;
			case 3:
				if (e->ke_failed)
					continue;
				v = (double)e->cookies_left;
				break;
			case 4:
				if (!r->have_cert)
					continue;
				v = r->days_left * 86400.0;
				break;
			default:
				if (!r->have_cert)
					continue;
				v = r->not_after;
				break;
			}
			printf("%s{server=\"%s\",address=\"%s\"} %.12g\n", m[k].name, srv, addr, v);
		}
	}
}

static void print_prom(struct entry *es, size_t n)
{
	static const struct {
		const char *name, *help;
	} m[] = {
		{ "sundial_query_up", "1 if the server answered with usable, synchronised time." },
		{ "sundial_query_offset_seconds",
		  "Offset of the server's clock from ours (lowest-delay sample)." },
		{ "sundial_query_delay_seconds", "Round-trip delay of the lowest-delay sample." },
		{ "sundial_query_offset_spread_seconds",
		  "Largest minus smallest offset over the samples." },
		{ "sundial_query_root_distance_seconds",
		  "Root distance: (root delay + delay)/2 + root dispersion + precision." },
		{ "sundial_query_stratum", "Stratum the server reported." },
		{ "sundial_query_leap",
		  "Leap indicator (0 none, 1 insert, 2 delete, 3 unsynchronised)." },
		{ "sundial_query_processing_seconds",
		  "Server receive-to-transmit time (T3 - T2)." },
		{ "sundial_query_samples_sent", "Requests sent." },
		{ "sundial_query_samples_received", "Replies received." },
	};
	for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
		printf("# HELP %s %s\n# TYPE %s gauge\n", m[k].name, m[k].help, m[k].name);
		for (size_t i = 0; i < n; i++) {
			struct entry *e = &es[i];
			if (failed_early(e) && k != 0)
				continue;
			char srv[600], addr[160];
			cmd_prom_escape(e->arg, srv, sizeof srv);
			cmd_prom_escape(e->address, addr, sizeof addr);
			const struct ntpc_summary *s = &e->sum;
			const struct ntpc_sample *b = s->best;
			double v;
			switch (k) {
			case 0: v = !failed_early(e) && s->status == NTPC_OK; break;
			case 1:
				if (!b)
					continue;
				v = b->offset;
				break;
			case 2:
				if (!b)
					continue;
				v = b->delay;
				break;
			case 3:
				if (!b)
					continue;
				v = s->offset_spread;
				break;
			case 4:
				if (!b)
					continue;
				v = s->root_distance;
				break;
			case 5:
				if (!b)
					continue;
				v = b->reply.stratum;
				break;
			case 6:
				if (!b)
					continue;
				v = b->reply.leap;
				break;
			case 7:
				if (!b)
					continue;
				v = ntp_ts_diff(b->reply.xmt_ts, b->reply.rec_ts);
				break;
			case 8: v = (double)s->sent; break;
			default: v = (double)s->received; break;
			}
			printf("%s{server=\"%s\",address=\"%s\"} %.12g\n", m[k].name, srv, addr, v);
		}
	}
}

static int print_nagios(struct entry *es, size_t n, const struct opts *o)
{
	static const char *const word[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	int state = NAGIOS_OK;
	char text[4096] = "", perf[4096] = "";
	size_t tl = 0, pl = 0;
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &es[i];
		const struct ntpc_summary *s = &e->sum;
		int st;
		char part[900];
		char msg[640];
		describe(e, o, msg, sizeof msg);
		if (e->ke_failed) {
			st = e->ke->fail == NTS_KE_F_RESOLVE ? NAGIOS_UNKNOWN : NAGIOS_CRITICAL;
			snprintf(part, sizeof part, "%s", msg);
		} else if (e->resolve_err) {
			st = NAGIOS_UNKNOWN;
			snprintf(part, sizeof part, "%s", msg);
		} else if (s->status == NTPC_OK) {
			const struct ntpc_sample *b = s->best;
			double off = fabs(b->offset);
			st = NAGIOS_OK;
			if (off >= o->crit_offset)
				st = NAGIOS_CRITICAL;
			else if (off >= o->warn_offset)
				st = NAGIOS_WARNING;
			if (o->crit_stratum > 0 && b->reply.stratum >= o->crit_stratum)
				st = cmd_nagios_worse(st, NAGIOS_CRITICAL);
			else if (o->warn_stratum > 0 && b->reply.stratum >= o->warn_stratum)
				st = cmd_nagios_worse(st, NAGIOS_WARNING);
			if (o->crit_delay > 0 && b->delay >= o->crit_delay)
				st = cmd_nagios_worse(st, NAGIOS_CRITICAL);
			else if (o->warn_delay > 0 && b->delay >= o->warn_delay)
				st = cmd_nagios_worse(st, NAGIOS_WARNING);
			snprintf(part, sizeof part,
				 "Offset %.10g secs, stratum %u, delay %.6f secs", b->offset,
				 b->reply.stratum, b->delay);
			int w;
			if (n == 1) /* exactly check_ntp_time's form */
				w = snprintf(
					perf + pl, sizeof perf - pl,
					"offset=%.6fs;%f;%f; stratum=%u;;;0;16 delay=%.6fs;;;0; ",
					b->offset, o->warn_offset, o->crit_offset, b->reply.stratum,
					b->delay);
			else /* one label per address */
				w = snprintf(perf + pl, sizeof perf - pl,
					     "'offset_%s'=%.9fs;%f;%f; 'stratum_%s'=%u;;;0;16 "
					     "'delay_%s'=%.9fs;;;0; ",
					     e->address, b->offset, o->warn_offset, o->crit_offset,
					     e->address, b->reply.stratum, e->address, b->delay);
			if (w > 0 && (size_t)w < sizeof perf - pl)
				pl += (size_t)w;
		} else {
			st = NAGIOS_CRITICAL;
			if (s->status == NTPC_KOD) {
				enum ntp_kiss_action act;
				(void)ntp_kiss_describe(s->last->reply.refid, &act);
				if (act == NTP_KISS_BACKOFF)
					st = NAGIOS_WARNING;
			}
			snprintf(part, sizeof part, "%s", msg);
		}
		if (e->ke && e->ke->have_cert) {
			/* The NTS-KE server's certificate: days left, like
			 * check_http -C. */
			double d = e->ke->days_left;
			int cst = d < o->nts_crit_days	 ? NAGIOS_CRITICAL
				  : d < o->nts_warn_days ? NAGIOS_WARNING
							 : NAGIOS_OK;
			if (cst != NAGIOS_OK && e->ke->fail != NTS_KE_F_CERT_EXPIRED) {
				size_t used = strlen(part);
				snprintf(part + used, sizeof part - used,
					 d < 0 ? ", NTS certificate expired %.1f days ago"
					       : ", NTS certificate expires in %.1f days",
					 fabs(d));
			}
			st = cmd_nagios_worse(st, cst);
			int w;
			if (n == 1)
				w = snprintf(perf + pl, sizeof perf - pl,
					     "nts_days_left=%.2f;%g:;%g:;; ", d, o->nts_warn_days,
					     o->nts_crit_days);
			else
				w = snprintf(perf + pl, sizeof perf - pl,
					     "'nts_days_left_%s'=%.2f;%g:;%g:;; ", e->arg, d,
					     o->nts_warn_days, o->nts_crit_days);
			if (w > 0 && (size_t)w < sizeof perf - pl)
				pl += (size_t)w;
		}
		state = cmd_nagios_worse(state, st);
		int w = snprintf(text + tl, sizeof text - tl, "%s%s%s%s", tl ? "; " : "",
				 n > 1 ? e->arg : "", n > 1 ? ": " : "", part);
		if (w > 0 && (size_t)w < sizeof text - tl)
			tl += (size_t)w;
	}
	while (pl > 0 && perf[pl - 1] == ' ')
		perf[--pl] = '\0';
	printf("NTP %s: %s|%s\n", word[state], text, perf);
	return state;
}

/* Some servers (chronyd) drop a request whose MAC they cannot verify, so a
 * wrong or unknown key looks like a dead server.  For keyed addresses that
 * gave no reply, one unsigned request tells the two apart. */
static void probe_unsigned(struct entry *es, size_t n, const struct ntpc_opts *keyed)
{
	struct ntpc_opts po = *keyed;
	po.key = NULL;
	po.samples = 1;
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (es[i].target && es[i].sum.status == NTPC_TIMEOUT)
			m++;
	if (m == 0)
		return;
	struct ntpc_target *pt = mem_calloc(m, sizeof *pt);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!es[i].target || es[i].sum.status != NTPC_TIMEOUT)
			continue;
		pt[k].addr = es[i].addr;
		ntpc_target_init(&pt[k], &po);
		k++;
	}
	(void)ntpc_run(pt, m, &po);
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!es[i].target || es[i].sum.status != NTPC_TIMEOUT)
			continue;
		struct ntpc_summary ps;
		ntpc_summarize(&pt[k], false, &ps);
		if (ps.received > 0) {
			es[i].sum.status = NTPC_AUTH_FAILED;
			es[i].auth_ignored = true;
		}
		ntpc_target_fini(&pt[k]);
		k++;
	}
	free(pt);
}

/* --nts: the key exchange with SERVER (arg), then the NTP server it named
 * resolved into e.  0, or a usage error's exit status.  A failed exchange
 * or resolution is kept in e (ke_failed, resolve_err), not returned. */
static int nts_entry(struct entry *e, const char *arg, const struct opts *o)
{
	struct addr_spec spec;
	char err[300] = "";
	memset(e, 0, sizeof *e);
	e->arg = arg;
	if (addr_parse_spec(arg, o->nts_port, &spec, err, sizeof err) != 0)
		return cmd_usage_error("query", "%s", err);
	str_copy(e->ke_host, spec.host, sizeof e->ke_host);
	e->ke_port = spec.port;
	str_copy(e->host, spec.host, sizeof e->host);
	e->port = spec.port;
	e->ke = mem_calloc(1, sizeof *e->ke);
	struct nts_ke_opts ko = {
		.host = spec.host,
		.port = spec.port,
		.ca_file = o->ca_file,
		.timeout = o->timeout,
		.family = o->family,
	};
	int rc = nts_ke_run(&ko, e->ke, e->ke_err, sizeof e->ke_err);
	if (rc == 0) {
		e->session = nts_session_new(e->ke);
		if (!e->session) {
			e->ke->fail = NTS_KE_F_NO_COOKIES;
			snprintf(e->ke_err, sizeof e->ke_err, "no usable cookie from %s port %u",
				 e->ke_host, e->ke_port);
		}
	}
	/* The session holds its own copies; these are not needed again. */
	nts_ke_result_wipe(e->ke);
	if (!e->session) {
		e->ke_failed = true;
		if (e->ke->fail == NTS_KE_F_NONE)
			e->ke->fail = NTS_KE_F_PROTOCOL;
		if (o->out == OUT_TEXT || o->out == OUT_BRIEF)
			log_error("%s: NTS key exchange failed: %s", arg, e->ke_err);
		return 0;
	}
	log_debug("%s: NTS-KE in %.3f s: %s, NTP server %s port %u, %zu cookies", arg,
		  e->ke->seconds, nts_aead_name(e->ke->aead), e->ke->server, e->ke->port,
		  e->ke->n_cookies);

	/* The NTP server: the one negotiated, or the NTS-KE server itself. */
	struct addr_spec ns;
	memset(&ns, 0, sizeof ns);
	str_copy(ns.host, e->ke->server, sizeof ns.host);
	ns.port = (uint16_t)e->ke->port;
	str_copy(e->host, ns.host, sizeof e->host);
	e->port = ns.port;
	struct sockaddr_storage addr;
	int got = addr_resolve(&ns, o->family, false, &addr, 1, err, sizeof err);
	if (got <= 0) {
		e->resolve_err = got < 0 ? got : -ENOENT;
		str_format(e->message, sizeof e->message,
			   "the NTP server the key exchange named: %s", err);
		if (o->out == OUT_TEXT || o->out == OUT_BRIEF)
			log_error("%s", e->message);
		return 0;
	}
	e->addr = addr;
	addr_format((struct sockaddr *)&addr, e->address, sizeof e->address);
	return 0;
}

int cmd_query(int argc, char **argv)
{
	struct opts o = {
		.family = AF_UNSPEC,
		.samples = 4,
		.interval = 2,
		.timeout = 2,
		.port = 123,
		.key_format = KEYFILE_AUTO,
		.out = OUT_TEXT,
		.warn_offset = 60,
		.crit_offset = 120,
		.nts_port = NTS_KE_PORT,
		.nts_warn_days = 28,
		.nts_crit_days = 7,
	};
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (o.crit_offset < o.warn_offset)
		log_warn("critical offset %g s is below the warning threshold %g s", o.crit_offset,
			 o.warn_offset);

	keyring *kr = NULL;
	const struct key *key = NULL;
	struct sockaddr_storage bind_addr;
	int status = EXIT_OK;
	size_t n = 0, cap = 0;
	struct entry *es = NULL;
	struct ntpc_target *targets = NULL;

	if (o.keyfile) {
		char err[512];
		bool world = false;
		kr = keyring_new();
		int krc = keyring_load(kr, o.keyfile, o.key_format, &world, err, sizeof err);
		if (krc != 0) {
			fprintf(stderr, "sundial query: %s\n", err);
			status = EXIT_KEYFILE;
			goto out;
		}
		if (world)
			log_warn("%s can be read by anyone; keys should be private (chmod 600)",
				 o.keyfile);
		key = keyring_find(kr, (uint32_t)o.key_id);
		if (!key) {
			fprintf(stderr, "sundial query: key %ld is not in %s (%zu keys there)\n",
				o.key_id, o.keyfile, keyring_count(kr));
			status = EXIT_KEYFILE;
			goto out;
		}
	}
	if (o.bind && addr_parse_numeric(o.bind, &bind_addr) != 0) {
		status = cmd_usage_error("query", "-b needs a numeric local address, not '%s'",
					 o.bind);
		goto out;
	}
	if (o.bind && o.family == AF_UNSPEC)
		o.family = bind_addr.ss_family; /* a source address fixes the family */
	if (o.ca_file) {
		char err[512];
		if (nts_ke_check_ca_file(o.ca_file, err, sizeof err) != 0) {
			fprintf(stderr, "sundial query: %s\n", err);
			status = EXIT_KEYFILE;
			goto out;
		}
	}

	/* Resolve every SERVER into entries, one per address; with --nts one
	 * per SERVER, after its key exchange. */
	for (int a = optind; a < argc && o.nts; a++) {
		if (n + 1 > cap) {
			cap = (n + 1) * 2;
			es = mem_realloc(es, cap * sizeof *es);
		}
		int r = nts_entry(&es[n], argv[a], &o);
		n++;
		if (r != 0) {
			status = r;
			goto out;
		}
	}
	for (int a = optind; a < argc && !o.nts; a++) {
		struct addr_spec spec;
		struct sockaddr_storage addrs[MAX_ADDRS_PER_NAME];
		char err[300] = "";
		if (addr_parse_spec(argv[a], o.port, &spec, err, sizeof err) != 0) {
			status = cmd_usage_error("query", "%s", err);
			goto out;
		}
		int got = addr_resolve(&spec, o.family, o.all_addresses, addrs, MAX_ADDRS_PER_NAME,
				       err, sizeof err);
		size_t k = got > 0 ? (size_t)got : 1;
		if (n + k > cap) {
			cap = (n + k) * 2;
			es = mem_realloc(es, cap * sizeof *es);
		}
		for (size_t i = 0; i < k; i++) {
			struct entry *e = &es[n++];
			memset(e, 0, sizeof *e);
			e->arg = argv[a];
			str_copy(e->host, spec.host, sizeof e->host);
			e->port = spec.port;
			if (got <= 0) {
				e->resolve_err = got;
				str_copy(e->message, err, sizeof e->message);
				if (o.out == OUT_TEXT || o.out == OUT_BRIEF)
					log_error("%s", err);
				continue;
			}
			e->addr = addrs[i];
			addr_format((struct sockaddr *)&addrs[i], e->address, sizeof e->address);
		}
	}

	/* One engine target per resolved entry. */
	struct ntpc_opts eo = {
		.samples = o.samples,
		.interval = o.interval,
		.timeout = o.timeout,
		.key = key,
		.bind = o.bind ? &bind_addr : NULL,
		/* Bursts of more than a few hundred requests overflow a server's
		 * socket buffer (chronyd on loopback loses ~1 % of 1,000). */
		.max_open = 200,
	};
	targets = mem_calloc(n ? n : 1, sizeof *targets);
	size_t nt = 0;
	for (size_t i = 0; i < n; i++) {
		if (failed_early(&es[i]))
			continue;
		targets[nt].addr = es[i].addr;
		targets[nt].nts = es[i].session;
		ntpc_target_init(&targets[nt], &eo);
		es[i].target = &targets[nt];
		nt++;
	}
	if (nt > 0) {
		int r = ntpc_run(targets, nt, &eo);
		if (r < 0)
			log_debug("query engine: %s", strerror(-r));
	}
	for (size_t i = 0; i < n; i++) {
		if (es[i].target)
			ntpc_summarize(es[i].target, key != NULL, &es[i].sum);
		es[i].cookies_left = nts_session_cookies(es[i].session);
	}
	if (key)
		probe_unsigned(es, n, &eo);

	switch (o.out) {
	case OUT_TEXT: print_text(es, n, &o, key); break;
	case OUT_BRIEF: print_brief(es, n, &o); break;
	case OUT_JSON: print_json(es, n, &o, key); break;
	case OUT_PROM:
		print_prom(es, n);
		if (o.nts)
			print_prom_nts(es, n);
		break;
	case OUT_NAGIOS: status = print_nagios(es, n, &o); goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int st = exit_status(&es[i]);
		if (st != EXIT_OK) {
			status = st;
			break;
		}
	}
out:
	if (targets)
		for (size_t i = 0; i < n; i++)
			if (es[i].target)
				ntpc_target_fini(es[i].target);
	free(targets);
	for (size_t i = 0; i < n; i++) {
		nts_session_free(es[i].session);
		if (es[i].ke) {
			nts_ke_result_wipe(es[i].ke);
			free(es[i].ke);
		}
	}
	free(es);
	keyring_free(kr);
	return status;
}
