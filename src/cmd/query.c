/* query.c - `sundial query`: ask time servers for the time as a client
 * would, without touching the local clock.  Options, resolution and output;
 * the exchange itself is net/ntp_client. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "auth/keys.h"
#include "auth/mac.h"
#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"
#include "net/ntp_client.h"
#include "wire/ntp.h"

/* Exit statuses (doc/sundial-query.1, EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_UNSYNC = 1,
	EXIT_KOD = 2,
	EXIT_TIMEOUT = 3,
	EXIT_UNRESOLVED = 4,
	EXIT_UNREACHABLE = 5,
	EXIT_AUTH = 6,
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
};

static void help(FILE *f)
{
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
		"  -k, --keyfile FILE   ntp.keys or chrony.keys file\n"
		"  -a, --key-id ID      authenticate with this symmetric key\n"
		"      --key-format F   ntp or chrony (default: detected)\n"
		"  -b, --bind ADDR      send from this local address\n"
		"      --brief          one line per address\n"
		"  -j, --json           JSON for scripts\n"
		"      --prom           Prometheus text exposition\n"
		"      --nagios         Nagios/Icinga plugin output (like check_ntp_time)\n"
		"  -w, -c SEC           offset warning/critical thresholds (default 60, 120)\n"
		"  -W, -C N             stratum warning/critical thresholds\n"
		"      --warn-delay SEC, --crit-delay SEC   delay thresholds\n"
		"  -v, --verbose        more detail; -h, --help  this text\n"
		"Exit: 0 ok, 1 unsynchronised, 2 kiss-o'-death, 3 no reply, 4 name does not\n"
		"resolve, 5 unreachable, 6 authentication failed, 64 usage, 78 key file.\n");
}

enum {
	OPT_KEY_FORMAT = 256,
	OPT_BRIEF,
	OPT_NAGIOS,
	OPT_PROM,
	OPT_WARN_DELAY,
	OPT_CRIT_DELAY,
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
	return 0;
}

/* --- what a summary means for people and for exit statuses --- */

static const char *status_word(const struct entry *e)
{
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
	if (e->resolve_err) {
		snprintf(buf, len, "%s", e->message);
		return;
	}
	switch (s->status) {
	case NTPC_OK:
		snprintf(buf, len, "ok: %zu of %zu samples answered", s->valid, s->sent);
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
		snprintf(buf, len, "no reply from %s port %u to %zu requests within %g s each",
			 e->address, e->port, s->sent, o->timeout);
		break;
	case NTPC_UNREACHABLE:
		snprintf(buf, len, "%s port %u is unreachable: %s", e->address, e->port,
			 strerror(s->err));
		break;
	case NTPC_AUTH_FAILED:
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

static void print_text(struct entry *es, size_t n, const struct opts *o, const struct key *key)
{
	for (size_t i = 0; i < n; i++) {
		struct entry *e = &es[i];
		char msg[512];
		describe(e, o, msg, sizeof msg);
		if (e->resolve_err) {
			printf("%s: %s\n", e->arg, msg);
			continue;
		}
		printf("%s (%s port %u): %s\n", e->host, e->address, e->port, msg);
		const struct ntpc_summary *s = &e->sum;
		const struct ntpc_sample *b = s->best ? s->best : s->last;
		if (!b)
			continue;
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
		if (e->target &&
		    (e->target->bogus || e->target->duplicates || e->target->malformed))
			printf("  ignored    %lu bogus, %lu duplicate, %lu malformed replies\n",
			       e->target->bogus, e->target->duplicates, e->target->malformed);
	}
}

static void print_brief(struct entry *es, size_t n)
{
	printf("%-24s %-28s %-14s %2s %-15s %15s %12s\n", "server", "address", "status", "st",
	       "refid", "offset", "delay");
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
		printf("%-24s %-28s %-14s %2s %-15s %15s %12s\n", e->host[0] ? e->host : e->arg,
		       e->address[0] ? e->address : "-", status_word(e), st, refid, off, del);
	}
}

static json_t *sample_json(const struct ntpc_sample *x)
{
	static const char *const state[] = { "pending", "ok",	"timeout", "unreachable",
					     "kod",	"auth", "invalid", "skipped" };
	json_t *j = json_object();
	json_object_set_new(j, "state", json_string(x->state < 8 ? state[x->state] : "?"));
	if (x->state == NTPC_S_OK) {
		json_object_set_new(j, "offset", json_real(x->offset));
		json_object_set_new(j, "delay", json_real(x->delay));
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
		char msg[512];
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
		if (key && !e->resolve_err) {
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
		if (e->target) {
			json_t *sm = json_object();
			json_object_set_new(sm, "sent", json_integer((json_int_t)s->sent));
			json_object_set_new(sm, "received", json_integer((json_int_t)s->received));
			json_object_set_new(sm, "valid", json_integer((json_int_t)s->valid));
			if (s->valid) {
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
				json_array_append_new(list, sample_json(&e->target->samples[k]));
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
			if (e->resolve_err && k != 0)
				continue;
			char srv[600], addr[160];
			cmd_prom_escape(e->arg, srv, sizeof srv);
			cmd_prom_escape(e->address, addr, sizeof addr);
			const struct ntpc_summary *s = &e->sum;
			const struct ntpc_sample *b = s->best;
			double v;
			switch (k) {
			case 0: v = !e->resolve_err && s->status == NTPC_OK; break;
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
		char part[700];
		char msg[512];
		describe(e, o, msg, sizeof msg);
		if (e->resolve_err) {
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

	/* Resolve every SERVER into entries, one per address. */
	for (int a = optind; a < argc; a++) {
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
		if (es[i].resolve_err)
			continue;
		targets[nt].addr = es[i].addr;
		ntpc_target_init(&targets[nt], &eo);
		es[i].target = &targets[nt];
		nt++;
	}
	if (nt > 0) {
		int r = ntpc_run(targets, nt, &eo);
		if (r < 0)
			log_debug("query engine: %s", strerror(-r));
	}
	for (size_t i = 0; i < n; i++)
		if (es[i].target)
			ntpc_summarize(es[i].target, key != NULL, &es[i].sum);
	if (key)
		probe_unsigned(es, n, &eo);

	switch (o.out) {
	case OUT_TEXT: print_text(es, n, &o, key); break;
	case OUT_BRIEF: print_brief(es, n); break;
	case OUT_JSON: print_json(es, n, &o, key); break;
	case OUT_PROM: print_prom(es, n); break;
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
	free(es);
	keyring_free(kr);
	return status;
}
