/* config.c - the collector's directives; see config.h. */
#include "collect/config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/sched.h"
#include "collect/alert.h"
#include "common/mem.h"
#include "sources/adsb.h"

#define DEFAULT_DATADIR "/var/lib/sundial"
#define DEFAULT_LISTEN "127.0.0.1:8770"
#define DEFAULT_INTERVAL 60.0
#define DEFAULT_NOTIFY_TIMEOUT 10.0
#define DEFAULT_GPSD "127.0.0.1:2947"
#define MAX_EXEC_TIMEOUT 60.0
#define DEFAULT_SNMP_TIMEOUT 1.0
#define MAX_SNMP_TIMEOUT 30.0
#define DEFAULT_SNMP_RETRIES 1
#define MAX_SNMP_RETRIES 5

static const char *const kind_names[] = { "server", "ntpd", "chronyd", "gpsd", "capture",
					  "hwmon",  "exec", "snmp",    "adsb" };

const char *collect_kind_name(enum collect_kind k)
{
	return (size_t)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

void collect_config_free(struct collect_config *c)
{
	if (!c)
		return;
	free(c->datadir);
	free(c->listen);
	free(c->user);
	free(c->rrdcached);
	free(c->pidfile);
	free(c->agentx_socket);
	free(c->alerts);
	free(c->notify);
	for (size_t i = 0; c->notify_args && c->notify_args[i]; i++)
		free(c->notify_args[i]);
	free(c->notify_args);
	for (size_t i = 0; i < c->n_src; i++) {
		struct collect_source *s = &c->src[i];
		free(s->target);
		free(s->keyfile);
		free(s->ca);
		free(s->profile);
		free(s->credentials);
		for (size_t k = 0; k < s->n_args; k++)
			free(s->args[k]);
		free(s->args);
		free(s->file);
	}
	free(c->src);
	memset(c, 0, sizeof *c);
}

/* "host", "host:port", "[v6]:port", "v6" (several colons, no port): a
 * target naming a machine.  Only the shape is checked here; resolution
 * happens when the source starts. */
static bool host_port_ok(const char *s, bool port_required)
{
	if (!*s || strlen(s) > 255)
		return false;
	const char *port = NULL;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end == s + 1)
			return false;
		if (end[1] == ':')
			port = end + 2;
		else if (end[1] != '\0')
			return false;
	} else {
		const char *c = strchr(s, ':');
		if (c && strchr(c + 1, ':'))
			c = NULL; /* a bare IPv6 address */
		if (c) {
			if (c == s)
				return false;
			port = c + 1;
		}
		for (const char *p = s; *p && p != (c ? c : s + strlen(s)); p++)
			if (*p == '/' || *p == ' ')
				return false;
	}
	if (!port)
		return !port_required;
	unsigned long v;
	return conf_uint(port, 1, 65535, &v);
}

/* "ADDR:PORT" for listen: an address and a port (0 .. 65535), or ":PORT". */
static bool listen_ok(const char *s)
{
	if (s[0] == ':') {
		unsigned long v;
		return conf_uint(s + 1, 0, 65535, &v);
	}
	const char *c = strrchr(s, ':');
	if (!c || c == s)
		return false;
	unsigned long v;
	if (!conf_uint(c + 1, 0, 65535, &v))
		return false;
	if (s[0] == '[')
		return c > s + 2 && c[-1] == ']';
	return strchr(s, ':') == c; /* IPv6 needs brackets with a port */
}

struct ctx {
	struct collect_config *out;
	char *err;
	size_t errlen;
	const struct conf_line *seen[16]; /* where each setting was given */
};

enum {
	SET_DATADIR,
	SET_LISTEN,
	SET_INTERVAL,
	SET_USER,
	SET_RRDCACHED,
	SET_PIDFILE,
	SET_LOG,
	SET_ALERT_DEFAULTS,
	SET_NOTIFY,
	SET_AGENTX,
};

static bool once(struct ctx *x, int which, const struct conf_line *l)
{
	const struct conf_line *prev = x->seen[which];
	if (prev) {
		conf_error(l, x->err, x->errlen, "%s given again (first at %s:%u)", l->argv[0],
			   prev->file, prev->line);
		return false;
	}
	x->seen[which] = l;
	return true;
}

static bool one_arg(struct ctx *x, const struct conf_line *l, const char *what)
{
	if (l->argc != 2) {
		conf_error(l, x->err, x->errlen, "%s takes one argument: %s", l->argv[0], what);
		return false;
	}
	return true;
}

static int setting(struct ctx *x, const struct conf_line *l)
{
	const char *d = l->argv[0];
	struct collect_config *c = x->out;
	if (strcmp(d, "datadir") == 0) {
		if (!once(x, SET_DATADIR, l) || !one_arg(x, l, "an absolute path"))
			return -1;
		if (l->argv[1][0] != '/') {
			conf_error(l, x->err, x->errlen,
				   "datadir must be an absolute path, not '%s'", l->argv[1]);
			return -1;
		}
		free(c->datadir);
		c->datadir = mem_strdup(l->argv[1]);
		return 1;
	}
	if (strcmp(d, "listen") == 0) {
		if (!once(x, SET_LISTEN, l) ||
		    !one_arg(x, l, "ADDRESS:PORT ('127.0.0.1:8770', '[::1]:8770', ':8770') or off"))
			return -1;
		free(c->listen);
		c->listen = NULL;
		if (strcmp(l->argv[1], "off") == 0)
			return 1;
		if (!listen_ok(l->argv[1])) {
			conf_error(l, x->err, x->errlen,
				   "listen: expected ADDRESS:PORT ('127.0.0.1:8770', '[::1]:8770', "
				   "':8770' for every address) or off, not '%s'",
				   l->argv[1]);
			return -1;
		}
		c->listen = mem_strdup(l->argv[1]);
		return 1;
	}
	if (strcmp(d, "interval") == 0) {
		double v;
		if (!once(x, SET_INTERVAL, l) || !one_arg(x, l, "a duration (60s, 5m)"))
			return -1;
		if (!conf_duration(l->argv[1], &v) || v < SCHED_MIN_INTERVAL ||
		    v > SCHED_MAX_INTERVAL) {
			conf_error(l, x->err, x->errlen,
				   "interval: expected a duration from 1s to 1d, not '%s'",
				   l->argv[1]);
			return -1;
		}
		c->interval = v;
		return 1;
	}
	if (strcmp(d, "user") == 0) {
		if (!once(x, SET_USER, l) || !one_arg(x, l, "a user name"))
			return -1;
		c->user = mem_strdup(l->argv[1]);
		return 1;
	}
	if (strcmp(d, "rrdcached") == 0) {
		if (!once(x, SET_RRDCACHED, l) || !one_arg(x, l, "unix:/path or host:port"))
			return -1;
		const char *a = l->argv[1];
		bool ok = strncmp(a, "unix:/", 6) == 0 || host_port_ok(a, true);
		if (!ok) {
			conf_error(l, x->err, x->errlen,
				   "rrdcached: expected unix:/path or host:port, not '%s'", a);
			return -1;
		}
		c->rrdcached = mem_strdup(a);
		return 1;
	}
	if (strcmp(d, "alert") == 0) {
		if (l->argc == 3 && strcmp(l->argv[1], "defaults") == 0) {
			if (x->seen[SET_ALERT_DEFAULTS]) {
				conf_error(l, x->err, x->errlen,
					   "alert defaults given again (first at %s:%u)",
					   x->seen[SET_ALERT_DEFAULTS]->file,
					   x->seen[SET_ALERT_DEFAULTS]->line);
				return -1;
			}
			x->seen[SET_ALERT_DEFAULTS] = l;
			bool on;
			if (!conf_bool(l->argv[2], &on)) {
				conf_error(l, x->err, x->errlen,
					   "alert defaults: expected on or off, not '%s'",
					   l->argv[2]);
				return -1;
			}
			c->alert_defaults_off = !on;
			return 1;
		}
		if (l->argc < 2) {
			conf_error(
				l, x->err, x->errlen,
				"alert: expected METRIC COND warn|crit, e.g. 'alert "
				"sundial_daemon_offset_seconds abs > 0.01 warn, abs > 0.1 crit'");
			return -1;
		}
		struct alert_rule r;
		char e[300];
		if (alert_rule_parse(l->argc - 1, (const char *const *)(l->argv + 1), &r, e,
				     sizeof e) != 0) {
			conf_error(l, x->err, x->errlen, "alert: %s", e);
			return -1;
		}
		for (size_t i = 0; i < c->n_alerts; i++)
			if (strcmp(c->alerts[i].name, r.name) == 0) {
				conf_error(l, x->err, x->errlen,
					   "alert '%s' given twice (name one with 'name NAME')",
					   r.name);
				return -1;
			}
		c->alerts = mem_realloc(c->alerts, (c->n_alerts + 1) * sizeof c->alerts[0]);
		c->alerts[c->n_alerts++] = r;
		return 1;
	}
	if (strcmp(d, "notify") == 0) {
		if (!once(x, SET_NOTIFY, l))
			return -1;
		size_t n = l->argc;
		c->notify_timeout = DEFAULT_NOTIFY_TIMEOUT;
		if (n >= 4 && strcmp(l->argv[n - 2], "timeout") == 0) {
			double v;
			if (!conf_duration(l->argv[n - 1], &v) || v > 300) {
				conf_error(
					l, x->err, x->errlen,
					"notify: timeout: expected a duration up to 5m, not '%s'",
					l->argv[n - 1]);
				return -1;
			}
			c->notify_timeout = v;
			n -= 2;
		}
		if (n < 2 || l->argv[1][0] != '/') {
			conf_error(l, x->err, x->errlen,
				   "notify: expected an absolute path to a program, then its "
				   "arguments, e.g. 'notify /usr/local/bin/page-me'");
			return -1;
		}
		c->notify = mem_strdup(l->argv[1]);
		c->notify_args = mem_calloc(n - 1, sizeof c->notify_args[0]);
		for (size_t i = 2; i < n; i++)
			c->notify_args[i - 2] = mem_strdup(l->argv[i]);
		return 1;
	}
	if (strcmp(d, "pidfile") == 0) {
		if (!once(x, SET_PIDFILE, l) || !one_arg(x, l, "an absolute path"))
			return -1;
		if (l->argv[1][0] != '/') {
			conf_error(l, x->err, x->errlen,
				   "pidfile must be an absolute path, not '%s'", l->argv[1]);
			return -1;
		}
		c->pidfile = mem_strdup(l->argv[1]);
		return 1;
	}
	if (strcmp(d, "agentx") == 0) {
		if (!once(x, SET_AGENTX, l))
			return -1;
		const char *a = l->argc == 2 ? l->argv[1] : NULL;
		if (l->argc > 2 || (a && a[0] != '/' &&
				    !(strncmp(a, "tcp:", 4) == 0 && host_port_ok(a + 4, true)))) {
			conf_error(l, x->err, x->errlen,
				   "agentx: expected [SOCKET]: the master agent's socket, an "
				   "absolute path (default /var/agentx/master) or tcp:HOST:PORT");
			return -1;
		}
		c->agentx = true;
		c->agentx_socket = a ? mem_strdup(a) : NULL;
		return 1;
	}
	if (strcmp(d, "log") == 0) {
		if (!once(x, SET_LOG, l) || !one_arg(x, l, "stderr or syslog"))
			return -1;
		if (strcmp(l->argv[1], "stderr") != 0 && strcmp(l->argv[1], "syslog") != 0) {
			conf_error(l, x->err, x->errlen, "log: expected stderr or syslog, not '%s'",
				   l->argv[1]);
			return -1;
		}
		c->syslog = strcmp(l->argv[1], "syslog") == 0;
		return 1;
	}
	return 0;
}

/* Trailing "NAME VALUE" options of a source line: fills s, returns the
 * number of words they took from the end, or -1. */
static int trailing_options(struct ctx *x, const struct conf_line *l, size_t first,
			    struct collect_source *s, bool *have_interval)
{
	size_t i = l->argc;
	for (;;) {
		if (i < first + 2)
			break;
		const char *name = l->argv[i - 2], *val = l->argv[i - 1];
		double v;
		if (strcmp(name, "interval") == 0) {
			if (*have_interval) {
				conf_error(l, x->err, x->errlen, "interval given twice");
				return -1;
			}
			if (!conf_duration(val, &v) || v < SCHED_MIN_INTERVAL ||
			    v > SCHED_MAX_INTERVAL) {
				conf_error(l, x->err, x->errlen,
					   "interval: expected a duration from 1s to 1d, not '%s'",
					   val);
				return -1;
			}
			s->interval = v;
			*have_interval = true;
		} else if (strcmp(name, "timeout") == 0 && s->kind == COLLECT_EXEC) {
			if (!conf_duration(val, &v) || v > MAX_EXEC_TIMEOUT) {
				conf_error(l, x->err, x->errlen,
					   "timeout: expected a duration up to 60s, not '%s'", val);
				return -1;
			}
			s->timeout = v;
		} else if (strcmp(name, "timeout") == 0 && s->kind == COLLECT_SNMP) {
			if (!conf_duration(val, &v) || v < 0.01 || v > MAX_SNMP_TIMEOUT) {
				conf_error(
					l, x->err, x->errlen,
					"timeout: expected a duration from 10ms to 30s, not '%s'",
					val);
				return -1;
			}
			s->timeout = v;
		} else if (strcmp(name, "retries") == 0 && s->kind == COLLECT_SNMP) {
			unsigned long r;
			if (!conf_uint(val, 0, MAX_SNMP_RETRIES, &r)) {
				conf_error(l, x->err, x->errlen,
					   "retries: expected a number from 0 to 5, not '%s'", val);
				return -1;
			}
			s->retries = (unsigned)r;
		} else if ((strcmp(name, "profile") == 0 || strcmp(name, "credentials") == 0) &&
			   s->kind == COLLECT_SNMP) {
			char **slot = name[0] == 'p' ? &s->profile : &s->credentials;
			if (*slot) {
				conf_error(l, x->err, x->errlen, "%s given twice", name);
				return -1;
			}
			if (name[0] == 'c' && val[0] != '/') {
				conf_error(l, x->err, x->errlen,
					   "credentials: expected the absolute path of a file, not "
					   "'%s'",
					   val);
				return -1;
			}
			*slot = mem_strdup(val);
		} else if (strcmp(name, "ca") == 0 && s->kind == COLLECT_SERVER) {
			if (val[0] != '/') {
				conf_error(l, x->err, x->errlen,
					   "ca: expected the absolute path of a CA file, not '%s'",
					   val);
				return -1;
			}
			free(s->ca);
			s->ca = mem_strdup(val);
		} else if (strcmp(name, "port") == 0 && s->kind == COLLECT_CAPTURE) {
			unsigned long p;
			if (!conf_uint(val, 1, 65535, &p)) {
				conf_error(l, x->err, x->errlen,
					   "port: expected a number from 1 to 65535, not '%s'",
					   val);
				return -1;
			}
			s->port = (unsigned)p;
		} else if (strcmp(name, "keyfile") == 0 && i >= first + 4 &&
			   strcmp(l->argv[i - 4], "key") == 0 &&
			   (s->kind == COLLECT_SERVER || s->kind == COLLECT_NTPD)) {
			unsigned long id;
			if (!conf_uint(l->argv[i - 3], 1, 65535, &id)) {
				conf_error(l, x->err, x->errlen,
					   "key: expected a key id from 1 to 65535, not '%s'",
					   l->argv[i - 3]);
				return -1;
			}
			s->key_id = id;
			s->keyfile = mem_strdup(val);
			i -= 2; /* "key ID" as well */
		} else {
			break;
		}
		i -= 2;
	}
	return (int)(l->argc - i);
}

static int source(struct ctx *x, const struct conf_line *l)
{
	const char *d = l->argv[0];
	int kind = -1;
	for (size_t k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++)
		if (strcmp(d, kind_names[k]) == 0)
			kind = (int)k;
	if (kind < 0)
		return 0;
	struct collect_source s;
	memset(&s, 0, sizeof s);
	s.kind = (enum collect_kind)kind;
	s.port = 123;
	if (s.kind == COLLECT_SNMP) {
		s.timeout = DEFAULT_SNMP_TIMEOUT;
		s.retries = DEFAULT_SNMP_RETRIES;
	}
	bool have_interval = false;
	int took = trailing_options(x, l, 1, &s, &have_interval);
	if (took < 0)
		goto bad;
	size_t nargs = l->argc - 1 - (size_t)took; /* words between the directive and the options */
	const char *t = nargs ? l->argv[1] : NULL;
	switch (s.kind) {
	case COLLECT_SERVER:
	case COLLECT_NTPD:
		if (s.kind == COLLECT_SERVER && nargs == 2 && strcmp(l->argv[2], "nts") == 0 &&
		    host_port_ok(t, false)) {
			if (s.key_id) {
				conf_error(l, x->err, x->errlen,
					   "server: nts and key cannot be combined (NTS brings its "
					   "own keys)");
				goto bad;
			}
			s.nts = true;
			break;
		}
		if (nargs != 1 || !host_port_ok(t, false)) {
			if (nargs >= 2 && strcmp(l->argv[2], "nts") == 0)
				conf_error(l, x->err, x->errlen,
					   "nts: expected 'server HOST[:PORT] nts [ca FILE] "
					   "[interval DUR]'");
			else if (nargs >= 2 && strcmp(l->argv[2], "key") == 0)
				conf_error(l, x->err, x->errlen,
					   "key: expected key ID keyfile FILE");
			else
				conf_error(
					l, x->err, x->errlen,
					"%s: expected HOST[:PORT] [key ID keyfile FILE] [interval "
					"DUR]",
					d);
			goto bad;
		}
		break;
	case COLLECT_CHRONYD:
		if (nargs != 1 || (t[0] != '/' && !host_port_ok(t, false))) {
			conf_error(l, x->err, x->errlen,
				   "chronyd: expected HOST[:PORT] or the path of its socket, then "
				   "[interval DUR]");
			goto bad;
		}
		break;
	case COLLECT_GPSD:
		if (nargs > 1 || (t && !host_port_ok(t, true))) {
			conf_error(l, x->err, x->errlen,
				   "gpsd: expected [HOST:PORT] (default %s) [interval DUR]",
				   DEFAULT_GPSD);
			goto bad;
		}
		if (!t)
			t = DEFAULT_GPSD;
		break;
	case COLLECT_CAPTURE:
		if (nargs != 1 || strlen(t) >= 16 || strchr(t, '/')) {
			conf_error(l, x->err, x->errlen,
				   "capture: expected an interface name, then [port N] [interval "
				   "DUR]");
			goto bad;
		}
		break;
	case COLLECT_HWMON:
		if (nargs > 1 || (t && t[0] != '/')) {
			conf_error(
				l, x->err, x->errlen,
				"hwmon: expected [ROOT] (an absolute path, default /sys) [interval "
				"DUR]");
			goto bad;
		}
		if (!t)
			t = "/sys";
		break;
	case COLLECT_SNMP:
		if (nargs != 1 || !host_port_ok(t, false)) {
			conf_error(l, x->err, x->errlen,
				   "snmp: expected HOST[:PORT] credentials FILE [profile NAME] "
				   "[timeout DUR] [retries N] [interval DUR]");
			goto bad;
		}
		if (!s.credentials) {
			conf_error(
				l, x->err, x->errlen,
				"snmp: credentials FILE is required: a file only its owner may "
				"read (chmod 600) with 'community NAME' (SNMPv2c) or 'user NAME', "
				"'auth sha256 PASSPHRASE' and 'priv aes PASSPHRASE' (SNMPv3); see "
				"sundial-snmp(1)");
			goto bad;
		}
		break;
	case COLLECT_ADSB:
		if (nargs != 1 || !adsb_target_ok(t)) {
			conf_error(l, x->err, x->errlen,
				   "adsb: expected dump1090's JSON folder (an absolute path, e.g. "
				   "/run/dump1090-fa) or its URL (http[s]://HOST[:PORT]/PATH, e.g. "
				   "http://127.0.0.1:8080/data), then [interval DUR]");
			goto bad;
		}
		break;
	case COLLECT_EXEC:
		if (nargs < 1 || t[0] != '/') {
			conf_error(l, x->err, x->errlen,
				   "exec: expected the absolute path of a program, its arguments, "
				   "then [timeout DUR] [interval DUR]");
			goto bad;
		}
		s.n_args = nargs - 1;
		s.args = mem_calloc(s.n_args + 1, sizeof s.args[0]);
		for (size_t k = 0; k < s.n_args; k++)
			s.args[k] = mem_strdup(l->argv[2 + k]);
		break;
	}
	if (s.kind != COLLECT_CAPTURE && s.port != 123) {
		conf_error(l, x->err, x->errlen, "port is for capture");
		goto bad;
	}
	s.target = mem_strdup(t);
	/* One source per kind and target. */
	for (size_t i = 0; i < x->out->n_src; i++) {
		const struct collect_source *o = &x->out->src[i];
		if (o->kind == s.kind && strcmp(o->target, s.target) == 0) {
			conf_error(l, x->err, x->errlen, "%s %s given again (first at %s:%u)", d,
				   s.target, o->file, o->line);
			goto bad;
		}
	}
	if (s.ca && !s.nts) {
		conf_error(l, x->err, x->errlen, "ca: only with nts ('server HOST nts ca FILE')");
		goto bad;
	}
	s.file = mem_strdup(l->file);
	s.line = l->line;
	if (!have_interval)
		s.interval = 0; /* filled with the default at the end */
	struct collect_config *c = x->out;
	c->src = mem_realloc(c->src, (c->n_src + 1) * sizeof c->src[0]);
	c->src[c->n_src++] = s;
	return 1;
bad:
	free(s.target);
	free(s.keyfile);
	free(s.ca);
	free(s.profile);
	free(s.credentials);
	for (size_t k = 0; k < s.n_args; k++)
		free(s.args[k]);
	free(s.args);
	return -1;
}

int collect_config_from(const conf *cf, struct collect_config *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct ctx x = { .out = out, .err = err, .errlen = errlen };
	for (size_t i = 0; i < conf_count(cf); i++) {
		const struct conf_line *l = conf_get(cf, i);
		int r = setting(&x, l);
		if (r == 0)
			r = source(&x, l);
		if (r == 0) {
			conf_error(
				l, err, errlen,
				"unknown directive '%s' (see sundial.conf(5): datadir, listen, "
				"interval, user, rrdcached, pidfile, log, alert, notify, agentx, "
				"server, ntpd, chronyd, gpsd, capture, hwmon, exec, snmp, adsb)",
				l->argv[0]);
			r = -1;
		}
		if (r < 0) {
			collect_config_free(out);
			return -EINVAL;
		}
	}
	if (!out->datadir)
		out->datadir = mem_strdup(DEFAULT_DATADIR);
	if (!x.seen[SET_LISTEN])
		out->listen = mem_strdup(DEFAULT_LISTEN);
	if (out->interval == 0)
		out->interval = DEFAULT_INTERVAL;
	for (size_t i = 0; i < out->n_src; i++) {
		struct collect_source *s = &out->src[i];
		if (s->interval == 0)
			s->interval = out->interval;
		if (s->kind == COLLECT_EXEC && s->timeout == 0)
			s->timeout =
				s->interval < MAX_EXEC_TIMEOUT ? s->interval : MAX_EXEC_TIMEOUT;
	}
	return 0;
}

int collect_config_load(const char *path, struct collect_config *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	conf *c = conf_read(path, err, errlen);
	if (!c)
		return -EINVAL;
	int rc = collect_config_from(c, out, err, errlen);
	conf_free(c);
	return rc;
}
