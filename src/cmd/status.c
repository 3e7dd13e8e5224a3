/* status.c - `sundial status`: a time daemon's own view, from ntpd (mode 6)
 * or chronyd (command protocol), printed from one model. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "auth/keys.h"
#include "cmd/cmd.h"
#include "cmd/util.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"
#include "net/chrony_client.h"
#include "sources/chronyd.h"
#include "sources/daemon.h"
#include "sources/ntpd.h"
#include "wire/mode6.h"

enum {
	EXIT_SYNC = 0,
	EXIT_UNSYNC = 1,
	EXIT_TIMEOUT = 3,
	EXIT_UNRESOLVED = 4,
	EXIT_UNREACHABLE = 5,
	EXIT_REFUSED = 7,
	EXIT_USAGE = 64,
	EXIT_KEYFILE = 78,
};

enum which { WHICH_DETECT, WHICH_NTPD, WHICH_CHRONYD };
enum output { OUT_TEXT, OUT_JSON, OUT_NAGIOS, OUT_PROM };

struct opts {
	enum which which;
	uint16_t port;
	double timeout;
	const char *keyfile;
	long key_id;
	bool clients;
	unsigned long limit;
	enum output out;
	double warn_offset, crit_offset;
	double warn_stratum, crit_stratum;
	double warn_jitter, crit_jitter;
	double warn_good, crit_good;
	const char *target;
};

static void help(FILE *f)
{
	fprintf(f,
		"usage: sundial status [--ntpd | --chronyd] [OPTIONS] [TARGET]\n"
		"A time daemon's own view: sync state, sources, refclocks, counters, clients.\n"
		"TARGET: host[:port], [IPv6]:port, or chronyd's Unix socket path; none: the\n"
		"local daemon (/run/chrony/chronyd.sock, chronyd on 127.0.0.1:323, ntpd on "
		":123).\n\n"
		"      --ntpd, --chronyd  which daemon (default: detected)\n"
		"  -p, --port PORT      port when TARGET names none (ntpd 123, chronyd 323)\n"
		"  -t, --timeout SEC    per request (default 1)\n"
		"  -k, --keyfile FILE   ntpd: key file for authenticated requests\n"
		"  -a, --key-id ID      ntpd: the controlkey\n"
		"      --clients        also list clients (ntpd's MRU list, chronyd's client log)\n"
		"      --limit N        at most N clients (default 1000; 0: all)\n"
		"  -j, --json           JSON for scripts\n"
		"      --prom           Prometheus text exposition\n"
		"      --nagios         Nagios/Icinga plugin output (like check_ntp_peer)\n"
		"  -w, -c SEC           offset warning/critical (default 60, 120)\n"
		"  -W, -C N             stratum warning/critical\n"
		"  -J, -K SEC           jitter warning/critical\n"
		"  -m, -M N             warn/critical below N good sources\n"
		"  -v, --verbose        more detail; -h, --help  this text\n"
		"Exit: 0 synchronised, 1 not synchronised, 3 no answer, 4 name does not resolve,\n"
		"5 unreachable, 7 refused by the daemon, 64 usage, 78 key file.\n");
}

enum { OPT_NTPD = 256, OPT_CHRONYD, OPT_CLIENTS, OPT_LIMIT, OPT_PROM, OPT_NAGIOS };

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "ntpd", no_argument, NULL, OPT_NTPD },
		{ "chronyd", no_argument, NULL, OPT_CHRONYD },
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keyfile", required_argument, NULL, 'k' },
		{ "key-id", required_argument, NULL, 'a' },
		{ "clients", no_argument, NULL, OPT_CLIENTS },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "json", no_argument, NULL, 'j' },
		{ "prom", no_argument, NULL, OPT_PROM },
		{ "nagios", no_argument, NULL, OPT_NAGIOS },
		{ "warning", required_argument, NULL, 'w' },
		{ "critical", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:t:k:a:jw:c:W:C:J:K:m:M:vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_NTPD:
		case OPT_CHRONYD:
			if (o->which != WHICH_DETECT)
				return cmd_usage_error("status",
						       "give --ntpd or --chronyd, not both");
			o->which = c == OPT_NTPD ? WHICH_NTPD : WHICH_CHRONYD;
			break;
		case 'p':
			if (!cmd_parse_double(optarg, 1, 65535, &v) || v != floor(v))
				return cmd_usage_error("status",
						       "-p needs a port from 1 to 65535, not '%s'",
						       optarg);
			o->port = (uint16_t)v;
			break;
		case 't':
			if (!cmd_parse_double(optarg, 0.001, 3600, &o->timeout))
				return cmd_usage_error(
					"status", "-t needs seconds from 0.001 to 3600, not '%s'",
					optarg);
			break;
		case 'k': o->keyfile = optarg; break;
		case 'a':
			if (!cmd_parse_double(optarg, 1, 4294967295.0, &v) || v != floor(v))
				return cmd_usage_error(
					"status",
					"-a needs a key id from 1 to 4294967295, not '%s'", optarg);
			o->key_id = (long)v;
			break;
		case OPT_CLIENTS: o->clients = true; break;
		case OPT_LIMIT:
			if (!cmd_parse_double(optarg, 0, 1e9, &v) || v != floor(v))
				return cmd_usage_error(
					"status", "--limit needs a whole number, not '%s'", optarg);
			o->limit = (unsigned long)v;
			break;
		case 'j':
		case OPT_PROM:
		case OPT_NAGIOS:
			if (o->out != OUT_TEXT)
				return cmd_usage_error(
					"status",
					"give one output form: --json, --prom or --nagios");
			o->out = c == 'j' ? OUT_JSON : c == OPT_PROM ? OUT_PROM : OUT_NAGIOS;
			break;
		case 'w':
		case 'c':
		case 'W':
		case 'C':
		case 'J':
		case 'K':
		case 'm':
		case 'M': {
			double *dst = c == 'w'	 ? &o->warn_offset
				      : c == 'c' ? &o->crit_offset
				      : c == 'W' ? &o->warn_stratum
				      : c == 'C' ? &o->crit_stratum
				      : c == 'J' ? &o->warn_jitter
				      : c == 'K' ? &o->crit_jitter
				      : c == 'm' ? &o->warn_good
						 : &o->crit_good;
			if (!cmd_parse_double(optarg, 0, 1e9, dst))
				return cmd_usage_error("status", "-%c needs a number, not '%s'", c,
						       optarg);
			break;
		}
		case 'v': log_set_verbosity(log_get_verbosity() + 1); break;
		case 'h': help(stdout); return -1;
		default:
			fprintf(stderr, "'sundial status --help' lists the options.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		o->target = argv[optind++];
	if (optind < argc)
		return cmd_usage_error("status", "one TARGET at a time, not also '%s'",
				       argv[optind]);
	if (o->key_id && !o->keyfile)
		return cmd_usage_error("status", "-a needs a key file: -k FILE");
	if (o->keyfile && !o->key_id)
		return cmd_usage_error("status", "-k needs a key id: -a ID");
	return 0;
}

/* --- text --- */

/* Formats v with fmt, or "-" when unknown (a macro so that fmt stays a
 * literal the compiler checks). */
#define fmt_num(buf, len, fmt, v)                                                                  \
	((void)(isnan(v) ? snprintf((buf), (len), "-") : snprintf((buf), (len), fmt, (v))))

static const char *leap_name(int leap)
{
	static const char *const n[] = { "none", "insert", "delete", "unsynchronised" };
	return leap >= 0 && leap < 4 ? n[leap] : "unknown";
}

static char mode_char(const struct dmn_source *s)
{
	if (s->refclock)
		return 'l';
	if (strcmp(s->mode, "peer") == 0 || strcmp(s->mode, "passive") == 0)
		return 's';
	if (strcmp(s->mode, "broadcast") == 0 || strcmp(s->mode, "bclient") == 0)
		return 'b';
	return 'u';
}

static void print_text(const dmn_status *st, bool verbose)
{
	const struct dmn_system *y = &st->sys;
	char a[32], b[32], c[32], d[32];
	const char *dname = st->kind == DMN_NTPD ? "ntpd" : "chronyd";
	/* ntpd's version already starts with "ntpd". */
	bool own = st->version[0] && strncmp(st->version, dname, strlen(dname)) == 0;
	printf("%s%s%s at %s: %s, stratum %d\n", own ? "" : dname,
	       st->version[0] && !own ? " " : "", st->version, st->target,
	       y->synchronised ? "synchronised" : "NOT synchronised", y->stratum);
	printf("  leap %s, refid %s%s%s\n", leap_name(y->leap), y->refid[0] ? y->refid : "-",
	       y->sys_peer[0] ? ", system peer " : "", y->sys_peer);
	fmt_num(a, sizeof a, "%+.9f s", y->offset);
	fmt_num(b, sizeof b, "%.3f ppm", y->frequency);
	printf("  offset %s, frequency %s", a, b);
	if (!isnan(y->sys_jitter)) {
		fmt_num(c, sizeof c, "%.9f s", y->sys_jitter);
		printf(", sys jitter %s", c);
	}
	if (!isnan(y->clk_jitter)) {
		fmt_num(c, sizeof c, "%.9f s", y->clk_jitter);
		fmt_num(d, sizeof d, "%.3f ppm", y->clk_wander);
		printf(", clock jitter %s, wander %s", c, d);
	}
	if (!isnan(y->rms_offset)) {
		fmt_num(c, sizeof c, "%.9f s", y->rms_offset);
		fmt_num(d, sizeof d, "%.3f ppm", y->skew);
		printf(", rms offset %s, skew %s", c, d);
	}
	printf("\n");
	fmt_num(a, sizeof a, "%.6f s", y->root_delay);
	fmt_num(b, sizeof b, "%.6f s", y->root_disp);
	fmt_num(c, sizeof c, "%.6f s", y->root_dist);
	printf("  root delay %s, root dispersion %s, root distance %s", a, b, c);
	if (y->precision > -1000)
		printf(", precision 2^%d s", y->precision);
	if (!isnan(y->update_interval))
		printf(", update interval %.1f s", y->update_interval);
	printf("\n");

	if (st->n_sources) {
		printf("\n     remote           refid      st t when poll reach   delay   offset  "
		       "jitter\n");
		printf("==========================================================================="
		       "==="
		       "\n");
		for (size_t i = 0; i < st->n_sources; i++) {
			const struct dmn_source *s = &st->sources[i];
			char when[16], poll[16], del[16], off[16], jit[16], st_[8];
			const char *remote = s->name[0] ? s->name : s->address;
			if (isnan(s->when))
				snprintf(when, sizeof when, "-");
			else if (s->when < 2048)
				snprintf(when, sizeof when, "%.0f", s->when);
			else if (s->when < 300 * 60)
				snprintf(when, sizeof when, "%.0fm", s->when / 60);
			else
				snprintf(when, sizeof when, "%.0fh", s->when / 3600);
			int p = s->ppoll > -1000 ? s->ppoll : s->hpoll;
			if (p > -1000 && p < 31 && p > -31)
				snprintf(poll, sizeof poll, "%g", ldexp(1.0, p));
			else
				snprintf(poll, sizeof poll, "-");
			fmt_num(del, sizeof del, "%.3f", s->delay * 1e3);
			fmt_num(off, sizeof off, "%+.3f", s->offset * 1e3);
			fmt_num(jit, sizeof jit, "%.3f", s->jitter * 1e3);
			snprintf(st_, sizeof st_, "%d", s->stratum);
			printf("%c%-15.15s %-15.15s %2s %c %4s %4s  %3o %7s %8s %7s\n", s->tally,
			       remote, s->refid[0] ? s->refid : "-", s->stratum >= 0 ? st_ : "-",
			       mode_char(s), when, poll, s->reach >= 0 ? (unsigned)s->reach : 0u,
			       del, off, jit);
		}
		printf("(delay, offset and jitter in milliseconds)\n");
	}
	for (size_t i = 0; i < st->n_refclocks; i++) {
		const struct dmn_refclock *r = &st->refclocks[i];
		printf("\nrefclock %s%s%s: %s", r->name, r->device[0] ? " on " : "", r->device,
		       r->status >= 0 ? m6_clock_status_str((unsigned)r->status)
				      : "status unknown");
		if (r->event_count >= 0)
			printf(" (%d events)", r->event_count);
		printf("\n  noreply %ld, badformat %ld, baddata %ld, poll %d", r->noreply,
		       r->badformat, r->baddata, r->poll);
		if (!isnan(r->fudgetime1))
			printf(", fudgetime1 %.6f s", r->fudgetime1);
		if (!isnan(r->fudgetime2))
			printf(", fudgetime2 %.6f s", r->fudgetime2);
		printf("\n");
		if (r->timecode[0])
			printf("  timecode \"%s\"\n", r->timecode);
		for (size_t k = 0; k < r->n_states; k++)
			printf("  %c%-20s %6.2f %%  %.0f s\n", r->states[k].current ? '*' : ' ',
			       r->states[k].name, r->states[k].share * 100, r->states[k].seconds);
	}
	if (st->n_counters && (verbose || st->kind == DMN_CHRONYD)) {
		printf("\ncounters:\n");
		for (size_t i = 0; i < st->n_counters; i++)
			printf("  %-28s %.0f\n", st->counters[i].name, st->counters[i].value);
	} else if (st->n_counters) {
		double rx = dmn_counter(st, "ss_received"), pr = dmn_counter(st, "ss_processed");
		double lim = dmn_counter(st, "ss_limited"), kod = dmn_counter(st, "ss_kodsent");
		printf("\npackets: received %.0f, processed %.0f, rate-limited %.0f, KoD sent %.0f "
		       "(-v lists all %zu counters)\n",
		       rx, pr, lim, kod, st->n_counters);
	}
	if (st->clients_read) {
		printf("\nclients (%s, %zu of %lu):\n", st->clients_from, st->n_clients,
		       st->clients_total);
		printf("  %-40s %10s %8s %s\n", "address", "packets", "last s", "mode/version");
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		for (size_t i = 0; i < st->n_clients; i++) {
			const struct dmn_client *x = &st->clients[i];
			char last[16], mv[16] = "-";
			double ago = (double)now.tv_sec - x->last;
			fmt_num(last, sizeof last, "%.0f", ago < 0 ? 0.0 : ago);
			if (x->mode >= 0)
				snprintf(mv, sizeof mv, "%d/%d", x->mode, x->version);
			printf("  %-40s %10llu %8s %s\n", x->address, (unsigned long long)x->count,
			       last, mv);
		}
	}
	for (size_t i = 0; i < st->n_errors; i++)
		printf("%snote: %s: %s\n", i == 0 ? "\n" : "", st->errors[i].what,
		       st->errors[i].message);
}

/* --- JSON --- */

static void set_num(json_t *o, const char *k, double v)
{
	if (!isnan(v))
		json_object_set_new(o, k, json_real(v));
}

static void set_int(json_t *o, const char *k, long v, long unknown)
{
	if (v != unknown)
		json_object_set_new(o, k, json_integer(v));
}

static void set_str(json_t *o, const char *k, const char *v)
{
	if (v && v[0])
		json_object_set_new(o, k, json_string(v));
}

static void print_json(const dmn_status *st)
{
	json_t *root = json_object();
	const struct dmn_system *y = &st->sys;
	json_object_set_new(root, "daemon", json_string(st->kind == DMN_NTPD ? "ntpd" : "chronyd"));
	json_object_set_new(root, "target", json_string(st->target));
	set_str(root, "version", st->version);
	json_t *sys = json_object();
	json_object_set_new(sys, "synchronised", json_boolean(y->synchronised));
	json_object_set_new(sys, "leap", json_string(leap_name(y->leap)));
	set_int(sys, "stratum", y->stratum, -1);
	set_str(sys, "refid", y->refid);
	set_str(sys, "sys_peer", y->sys_peer);
	set_num(sys, "offset", y->offset);
	set_num(sys, "root_delay", y->root_delay);
	set_num(sys, "root_dispersion", y->root_disp);
	set_num(sys, "root_distance", y->root_dist);
	set_num(sys, "sys_jitter", y->sys_jitter);
	set_num(sys, "clk_jitter", y->clk_jitter);
	set_num(sys, "clk_wander", y->clk_wander);
	set_num(sys, "frequency", y->frequency);
	set_int(sys, "precision", y->precision, -1000);
	set_int(sys, "tc", y->tc, -1000);
	set_num(sys, "ref_time", y->ref_time);
	set_num(sys, "rms_offset", y->rms_offset);
	set_num(sys, "skew", y->skew);
	set_num(sys, "residual_frequency", y->resid_freq);
	set_num(sys, "update_interval", y->update_interval);
	set_num(sys, "correction", y->correction);
	if (y->clock_source >= 0) {
		set_int(sys, "clock_source", y->clock_source, -1);
		set_int(sys, "event_count", y->event_count, -1);
		set_int(sys, "event_code", y->event_code, -1);
	}
	json_object_set_new(root, "system", sys);

	json_t *srcs = json_array();
	for (size_t i = 0; i < st->n_sources; i++) {
		const struct dmn_source *s = &st->sources[i];
		json_t *j = json_object();
		if (st->kind == DMN_NTPD)
			json_object_set_new(j, "associd", json_integer(s->associd));
		set_str(j, "address", s->address);
		set_str(j, "name", s->name);
		set_str(j, "mode", s->mode);
		char t[2] = { s->tally, 0 };
		json_object_set_new(j, "tally", json_string(t));
		set_str(j, "selection", s->selection);
		set_int(j, "stratum", s->stratum, -1);
		set_str(j, "refid", s->refid);
		set_int(j, "reach", s->reach, -1);
		set_num(j, "reach_pct", s->reach_pct);
		set_int(j, "hpoll", s->hpoll, -1000);
		set_int(j, "ppoll", s->ppoll, -1000);
		set_num(j, "when", s->when);
		set_num(j, "offset", s->offset);
		set_num(j, "delay", s->delay);
		set_num(j, "jitter", s->jitter);
		set_num(j, "dispersion", s->dispersion);
		set_int(j, "samples", s->samples, -1);
		set_num(j, "span", s->span);
		set_num(j, "std_dev", s->std_dev);
		set_num(j, "est_offset", s->est_offset);
		set_num(j, "frequency", s->frequency);
		set_num(j, "skew", s->skew);
		set_num(j, "response_time", s->response_time);
		json_array_append_new(srcs, j);
	}
	json_object_set_new(root, "sources", srcs);

	json_t *rcs = json_array();
	for (size_t i = 0; i < st->n_refclocks; i++) {
		const struct dmn_refclock *r = &st->refclocks[i];
		json_t *j = json_object();
		json_object_set_new(j, "associd", json_integer(r->associd));
		set_str(j, "name", r->name);
		set_str(j, "device", r->device);
		set_str(j, "timecode", r->timecode);
		set_int(j, "poll", r->poll, -1000);
		set_int(j, "noreply", r->noreply, -1);
		set_int(j, "badformat", r->badformat, -1);
		set_int(j, "baddata", r->baddata, -1);
		set_num(j, "fudgetime1", r->fudgetime1);
		set_num(j, "fudgetime2", r->fudgetime2);
		set_int(j, "flags", r->flags, -1);
		set_int(j, "stratum", r->stratum, -1);
		set_str(j, "refid", r->refid);
		set_int(j, "status", r->status, -1);
		if (r->status >= 0)
			json_object_set_new(j, "status_text",
					    json_string(m6_clock_status_str((unsigned)r->status)));
		set_int(j, "event_count", r->event_count, -1);
		json_t *states = json_array();
		for (size_t k = 0; k < r->n_states; k++) {
			json_t *x = json_object();
			json_object_set_new(x, "name", json_string(r->states[k].name));
			json_object_set_new(x, "seconds", json_real(r->states[k].seconds));
			json_object_set_new(x, "share", json_real(r->states[k].share));
			json_object_set_new(x, "current", json_boolean(r->states[k].current));
			json_array_append_new(states, x);
		}
		json_object_set_new(j, "states", states);
		json_array_append_new(rcs, j);
	}
	json_object_set_new(root, "refclocks", rcs);

	json_t *ctr = json_object();
	for (size_t i = 0; i < st->n_counters; i++)
		json_object_set_new(ctr, st->counters[i].name, json_real(st->counters[i].value));
	json_object_set_new(root, "counters", ctr);

	if (st->clients_read) {
		json_t *cl = json_object();
		json_object_set_new(cl, "from", json_string(st->clients_from));
		json_object_set_new(cl, "total", json_integer((json_int_t)st->clients_total));
		json_t *arr = json_array();
		for (size_t i = 0; i < st->n_clients; i++) {
			const struct dmn_client *x = &st->clients[i];
			json_t *j = json_object();
			json_object_set_new(j, "address", json_string(x->address));
			json_object_set_new(j, "count", json_integer((json_int_t)x->count));
			set_num(j, "first", x->first);
			set_num(j, "last", x->last);
			set_int(j, "mode", x->mode, -1);
			set_int(j, "version", x->version, -1);
			json_object_set_new(j, "drops", json_integer((json_int_t)x->drops));
			json_array_append_new(arr, j);
		}
		json_object_set_new(cl, "entries", arr);
		json_object_set_new(root, "clients", cl);
	}
	json_t *errs = json_array();
	for (size_t i = 0; i < st->n_errors; i++) {
		json_t *j = json_object();
		json_object_set_new(j, "what", json_string(st->errors[i].what));
		json_object_set_new(j, "message", json_string(st->errors[i].message));
		json_array_append_new(errs, j);
	}
	json_object_set_new(root, "errors", errs);
	char *text =
		json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	if (text) {
		puts(text);
		free(text);
	}
	json_decref(root);
}

/* --- Prometheus --- */

static void prom_head(const char *name, const char *type, const char *help_text)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help_text, name, type);
}

static void print_prom(const dmn_status *st)
{
	char tgt[400];
	cmd_prom_escape(st->target, tgt, sizeof tgt);
	const char *dm = st->kind == DMN_NTPD ? "ntpd" : "chronyd";
	const struct dmn_system *y = &st->sys;
	struct {
		const char *name, *help;
		double v;
	} sys[] = {
		{ "sundial_daemon_synchronised", "1 if the daemon is synchronised.",
		  y->synchronised },
		{ "sundial_daemon_stratum", "The daemon's stratum.", y->stratum },
		{ "sundial_daemon_leap", "Leap indicator (3: unsynchronised).", y->leap },
		{ "sundial_daemon_offset_seconds", "Last offset of the local clock.", y->offset },
		{ "sundial_daemon_root_delay_seconds", "Root delay.", y->root_delay },
		{ "sundial_daemon_root_dispersion_seconds", "Root dispersion.", y->root_disp },
		{ "sundial_daemon_root_distance_seconds", "Root distance.", y->root_dist },
		{ "sundial_daemon_jitter_seconds", "System jitter (ntpd) or RMS offset (chronyd).",
		  !isnan(y->sys_jitter) ? y->sys_jitter : y->rms_offset },
		{ "sundial_daemon_frequency_ppm", "Frequency correction of the local clock.",
		  y->frequency },
		{ "sundial_daemon_good_sources", "Sources the daemon uses.",
		  (double)dmn_good_sources(st) },
	};
	for (size_t i = 0; i < sizeof sys / sizeof sys[0]; i++) {
		if (isnan(sys[i].v) || (i == 1 && sys[i].v < 0))
			continue;
		prom_head(sys[i].name, "gauge", sys[i].help);
		printf("%s{daemon=\"%s\",target=\"%s\"} %.12g\n", sys[i].name, dm, tgt, sys[i].v);
	}
	static const struct {
		const char *name, *help;
		size_t off;
	} src[] = {
		{ "sundial_daemon_source_offset_seconds", "Offset of the source.",
		  offsetof(struct dmn_source, offset) },
		{ "sundial_daemon_source_delay_seconds", "Round-trip delay to the source.",
		  offsetof(struct dmn_source, delay) },
		{ "sundial_daemon_source_jitter_seconds", "Jitter of the source.",
		  offsetof(struct dmn_source, jitter) },
		{ "sundial_daemon_source_reach_ratio", "Share of the last 8 polls answered.",
		  offsetof(struct dmn_source, reach_pct) },
	};
	for (size_t k = 0; k < sizeof src / sizeof src[0]; k++) {
		bool head = false;
		for (size_t i = 0; i < st->n_sources; i++) {
			const struct dmn_source *s = &st->sources[i];
			double v;
			memcpy(&v, (const char *)s + src[k].off, sizeof v);
			if (isnan(v))
				continue;
			if (k == 3)
				v /= 100.0;
			if (!head)
				prom_head(src[k].name, "gauge", src[k].help);
			head = true;
			char addr[200];
			cmd_prom_escape(s->name[0] ? s->name : s->address, addr, sizeof addr);
			printf("%s{daemon=\"%s\",target=\"%s\",source=\"%s\",selection=\"%s\"} "
			       "%.12g\n",
			       src[k].name, dm, tgt, addr, s->selection, v);
		}
	}
	if (st->n_refclocks) {
		prom_head("sundial_daemon_refclock_status", "gauge",
			  "Clock status (0 nominal, 1 no reply, 2 bad format, 3 fault, 4 signal "
			  "loss, 5 bad date, 6 bad time).");
		for (size_t i = 0; i < st->n_refclocks; i++) {
			char n[200];
			cmd_prom_escape(st->refclocks[i].name, n, sizeof n);
			printf("sundial_daemon_refclock_status{daemon=\"%s\",target=\"%s\","
			       "refclock=\"%"
			       "s\"} %d\n",
			       dm, tgt, n, st->refclocks[i].status);
		}
		const char *names[] = { "noreply", "badformat", "baddata" };
		for (size_t k = 0; k < 3; k++) {
			char mn[80];
			snprintf(mn, sizeof mn, "sundial_daemon_refclock_%s_total", names[k]);
			prom_head(mn, "counter", "Refclock error count since the daemon started.");
			for (size_t i = 0; i < st->n_refclocks; i++) {
				const struct dmn_refclock *r = &st->refclocks[i];
				long v = k == 0 ? r->noreply : k == 1 ? r->badformat : r->baddata;
				char n[200];
				cmd_prom_escape(r->name, n, sizeof n);
				if (v >= 0)
					printf("%s{daemon=\"%s\",target=\"%s\",refclock=\"%s\"} "
					       "%ld\n",
					       mn, dm, tgt, n, v);
			}
		}
	}
	if (st->n_counters) {
		prom_head("sundial_daemon_stat", "gauge",
			  "The daemon's own statistics (packet counts, sources online, ...), by "
			  "the name it gives them.");
		for (size_t i = 0; i < st->n_counters; i++)
			printf("sundial_daemon_stat{daemon=\"%s\",target=\"%s\",name=\"%s\"} "
			       "%.12g\n",
			       dm, tgt, st->counters[i].name, st->counters[i].value);
	}
	if (st->clients_read) {
		prom_head("sundial_daemon_clients", "gauge",
			  "Clients in the daemon's own list (ntpd MRU, chronyd client log).");
		printf("sundial_daemon_clients{daemon=\"%s\",target=\"%s\"} %lu\n", dm, tgt,
		       st->clients_total);
	}
}

/* --- Nagios, like check_ntp_peer --- */

static int print_nagios(const dmn_status *st, const struct opts *o)
{
	static const char *const word[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	const struct dmn_system *y = &st->sys;
	double jitter = !isnan(y->sys_jitter) ? y->sys_jitter : y->rms_offset;
	size_t good = dmn_good_sources(st);
	int state = 0;
	char why[256] = "";
	if (!y->synchronised) {
		state = 2;
		snprintf(why, sizeof why, "Server not synchronized, ");
	}
	double off = fabs(y->offset);
	if (!isnan(off)) {
		if (off >= o->crit_offset)
			state = cmd_nagios_worse(state, 2);
		else if (off >= o->warn_offset)
			state = cmd_nagios_worse(state, 1);
	}
	if (o->crit_stratum > 0 && y->stratum >= o->crit_stratum)
		state = cmd_nagios_worse(state, 2);
	else if (o->warn_stratum > 0 && y->stratum >= o->warn_stratum)
		state = cmd_nagios_worse(state, 1);
	if (!isnan(jitter)) {
		if (o->crit_jitter > 0 && jitter >= o->crit_jitter)
			state = cmd_nagios_worse(state, 2);
		else if (o->warn_jitter > 0 && jitter >= o->warn_jitter)
			state = cmd_nagios_worse(state, 1);
	}
	if (o->crit_good > 0 && (double)good < o->crit_good)
		state = cmd_nagios_worse(state, 2);
	else if (o->warn_good > 0 && (double)good < o->warn_good)
		state = cmd_nagios_worse(state, 1);
	printf("NTP %s: %sOffset %.10g secs, jitter %.10g secs, stratum %d, truechimers %zu"
	       "|offset=%.9fs;%f;%f; jitter=%.9fs;%s;%s; stratum=%d;;;0;16 truechimers=%zu;;;0;\n",
	       word[state], why, isnan(y->offset) ? 0.0 : y->offset, isnan(jitter) ? 0.0 : jitter,
	       y->stratum, good, isnan(y->offset) ? 0.0 : y->offset, o->warn_offset, o->crit_offset,
	       isnan(jitter) ? 0.0 : jitter, "", "", y->stratum, good);
	return state;
}

/* --- finding and asking the daemon --- */

static bool is_path(const char *t)
{
	return strchr(t, '/') != NULL;
}

static int exit_for(int rc)
{
	switch (rc) {
	case -ETIMEDOUT: return EXIT_TIMEOUT;
	case -EACCES:
	case -EPERM: return EXIT_REFUSED;
	case -ENOENT:
	case -ECONNREFUSED:
	case -ENETUNREACH:
	case -EHOSTUNREACH: return EXIT_UNREACHABLE;
	default: return EXIT_UNREACHABLE;
	}
}

/* Asks the daemon described by (which, addr or path); fills st. */
static int ask(enum which which, const struct sockaddr_storage *addr, const char *path,
	       const struct opts *o, const struct key *key, dmn_status **stp, char *err,
	       size_t errlen)
{
	dmn_status *st = dmn_new(which == WHICH_NTPD ? DMN_NTPD : DMN_CHRONYD);
	char a[80];
	if (path)
		str_copy(st->target, path, sizeof st->target);
	else
		snprintf(st->target, sizeof st->target,
			 addr->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
			 addr_format((const struct sockaddr *)addr, a, sizeof a),
			 addr_port((const struct sockaddr *)addr));
	int rc;
	if (which == WHICH_NTPD) {
		struct ntpd_opts no = { o->timeout, key, o->clients, o->limit };
		rc = ntpd_read(addr, &no, st, err, errlen);
	} else {
		struct chronyd_opts co = { o->timeout, path, addr, o->clients, o->limit };
		rc = chronyd_read(&co, st, err, errlen);
	}
	if (rc != 0) {
		dmn_free(st);
		return rc;
	}
	*stp = st;
	return 0;
}

static int resolve(const char *target, uint16_t port, struct sockaddr_storage *out, char *err,
		   size_t errlen, bool *port_given)
{
	struct addr_spec spec;
	if (addr_parse_spec(target, port, &spec, err, errlen) != 0)
		return -EINVAL;
	*port_given = spec.port_given;
	int n = addr_resolve(&spec, AF_UNSPEC, false, out, 1, err, errlen);
	return n > 0 ? 0 : n;
}

int cmd_status(int argc, char **argv)
{
	struct opts o = {
		.timeout = 1,
		.limit = 1000,
		.out = OUT_TEXT,
		.warn_offset = 60,
		.crit_offset = 120,
	};
	int rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;

	keyring *kr = NULL;
	const struct key *key = NULL;
	dmn_status *st = NULL;
	int status = EXIT_SYNC;
	char err[512] = "";
	if (o.keyfile) {
		bool world = false;
		kr = keyring_new();
		if (keyring_load(kr, o.keyfile, KEYFILE_AUTO, &world, err, sizeof err) != 0) {
			fprintf(stderr, "sundial status: %s\n", err);
			status = EXIT_KEYFILE;
			goto out;
		}
		if (world)
			log_warn("%s can be read by anyone; keys should be private (chmod 600)",
				 o.keyfile);
		key = keyring_find(kr, (uint32_t)o.key_id);
		if (!key) {
			fprintf(stderr, "sundial status: key %ld is not in %s\n", o.key_id,
				o.keyfile);
			status = EXIT_KEYFILE;
			goto out;
		}
	}

	/* What to try, in order. */
	struct attempt {
		enum which which;
		bool use_path;
		const char *path;
		struct sockaddr_storage addr;
	} tries[3];
	size_t nt = 0;
	struct sockaddr_storage addr;
	bool port_given = false;
	if (o.target && is_path(o.target)) {
		if (o.which == WHICH_NTPD) {
			status = cmd_usage_error("status",
						 "ntpd has no Unix socket; give host[:port]");
			goto out;
		}
		tries[nt++] = (struct attempt){ WHICH_CHRONYD, true, o.target, { 0 } };
	} else {
		const char *host = o.target ? o.target : "127.0.0.1";
		int r = resolve(host, 0, &addr, err, sizeof err, &port_given);
		if (r == -EINVAL) {
			status = cmd_usage_error("status", "%s", err);
			goto out;
		}
		if (r != 0) {
			fprintf(stderr, "sundial status: %s\n", err);
			status = EXIT_UNRESOLVED;
			goto out;
		}
		uint16_t p = port_given ? addr_port((struct sockaddr *)&addr) : o.port;
		struct sockaddr_storage a = addr;
		struct sockaddr_in *a4 = (struct sockaddr_in *)&a;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;
		bool chrony_first = true;
		if (o.which != WHICH_NTPD && !o.target) {
			struct stat sb;
			if (stat(CHRC_DEFAULT_SOCKET, &sb) == 0)
				tries[nt++] = (struct attempt){
					WHICH_CHRONYD, true, CHRC_DEFAULT_SOCKET, { 0 }
				};
		}
		if (o.which == WHICH_NTPD || (o.which == WHICH_DETECT && p == 123))
			chrony_first = false;
		for (int k = 0; k < 2; k++) {
			enum which w = (k == 0) == chrony_first ? WHICH_CHRONYD : WHICH_NTPD;
			if (o.which != WHICH_DETECT && w != o.which)
				continue;
			uint16_t port = p ? p : w == WHICH_CHRONYD ? CHRC_DEFAULT_PORT : 123;
			if (a.ss_family == AF_INET)
				a4->sin_port = htons(port);
			else
				a6->sin6_port = htons(port);
			tries[nt++] = (struct attempt){ w, false, NULL, a };
		}
	}

	int last = -ETIMEDOUT;
	char firsterr[600] = "";
	for (size_t i = 0; i < nt && !st; i++) {
		err[0] = '\0';
		last = ask(tries[i].which, tries[i].use_path ? NULL : &tries[i].addr,
			   tries[i].use_path ? tries[i].path : NULL, &o, key, &st, err, sizeof err);
		if (last != 0) {
			log_info("%s: %s", tries[i].which == WHICH_NTPD ? "ntpd" : "chronyd", err);
			if (!firsterr[0] || (o.which != WHICH_DETECT))
				snprintf(
					firsterr, sizeof firsterr, "%s%s",
					tries[i].which == WHICH_NTPD ? "ntpd: " : "chronyd: ", err);
		}
	}
	if (!st) {
		if (o.out == OUT_NAGIOS) {
			printf("NTP %s: %s\n", "CRITICAL", firsterr);
			status = 2;
		} else {
			fprintf(stderr, "sundial status: %s\n", firsterr[0] ? firsterr : err);
			if (nt > 1)
				fprintf(stderr,
					"sundial status: no time daemon answered at %s; name "
					"one with --ntpd or --chronyd\n",
					o.target ? o.target : "the local defaults");
			status = exit_for(last);
		}
		goto out;
	}
	switch (o.out) {
	case OUT_TEXT: print_text(st, log_get_verbosity() > 0); break;
	case OUT_JSON: print_json(st); break;
	case OUT_PROM: print_prom(st); break;
	case OUT_NAGIOS: status = print_nagios(st, &o); goto out;
	}
	status = st->refused ? EXIT_REFUSED : st->sys.synchronised ? EXIT_SYNC : EXIT_UNSYNC;
out:
	dmn_free(st);
	keyring_free(kr);
	return status;
}
