/* agentx.c - sundial's AgentX subagent (RFC 2741) through net-snmp's agent
 * library: SUNDIAL-MIB (doc/SUNDIAL-MIB.txt) answered from the collector's
 * last snapshot.
 *
 * The values: agentx_lookup() is pure and finds, for a GET or a GETNEXT,
 * the instance and its typed value in a snapshot; the handler net-snmp
 * calls only translates between its request structures and that.
 *
 * The library: net-snmp is one library per process and not thread-safe.
 * net/snmp_client.c (its SNMP manager side) may use it from the collector's
 * main thread while this subagent's thread runs; both hold snmp_client's
 * lock around every call into it (snmp_client_lib_lock()).  The start:
 *
 *   - snmp_client_lib_setup(): no configuration files, no persistent
 *     state, log lines to log_debug() (set before anything else logs);
 *   - NETSNMP_DS_AGENT_ROLE = subagent, then init_agent() (once per
 *     process: it opens the internal callback session and arranges
 *     subagent_startup() to run when init_snmp() ends);
 *   - the master's socket and the ping interval, then our subtree is
 *     registered (detached while there is no master: net-snmp sends it when
 *     the session opens);
 *   - snmp_client_lib_start(): init_snmp() if it has not run, which calls
 *     subagent_startup(); if it ran before (an SNMP source came first, or
 *     this is the second subagent after a reload), we call
 *     subagent_startup() ourselves.  With a ping interval it opens the
 *     session or leaves an alarm that tries again every interval.
 *
 * The thread: snmp_select_info2() under the lock, select() without it (at
 * most 1 s, and a self-pipe that agentx_free() writes to), then under the
 * lock snmp_read2() or snmp_timeout() and run_alarms() (the pings and the
 * reconnections: init_agent() asks for alarms without signals).  net-snmp's
 * global session list holds only the subagent's sessions (the clients use
 * the single-session API), so snmp_read2() reads nothing of theirs.  The
 * AgentX exchanges net-snmp makes synchronously (the Open and Register
 * when it connects, a ping every AGENTX_PING_INTERVAL s) hold the lock
 * until snmpd answers: at once from a live master, a closed socket fails
 * at once; only a master that is stopped but keeps its socket open (a
 * SIGSTOPped snmpd) holds the clients up to net-snmp's timeout.
 *
 * The end: agentx_free() closes the master session as net-snmp's own
 * shutdown does (ping alarm, callbacks, Close PDU, trap session, close),
 * drops the remaining alarms (a pending reconnection; nothing else in the
 * process uses net-snmp's alarms) and unregisters the subtree; it does not
 * call snmp_shutdown(), which would end the clients' library too. */
#include "net/agentx.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/un.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include "common/log.h"
#include "common/mem.h"
#include "net/snmp_client.h"

#ifndef SUNDIAL_VERSION
#define SUNDIAL_VERSION "0.1.0"
#endif

/* Exported by libnetsnmpagent (agent/snmp_agent.c, agent/mibgroup/agentx/
 * subagent.c and client.c, since 5.x) but not declared in its installed
 * headers. */
extern netsnmp_session *main_session; /* the session with the master, NULL: none */
int subagent_startup(int majorID, int minorID, void *serverarg, void *clientarg);
void agentx_unregister_callbacks(netsnmp_session *ss);
int agentx_close_session(netsnmp_session *ss, int why);
#define CLOSE_SHUTDOWN 5 /* RFC 2741 6.2.3: reasonShutdown */

/* ================================================================ values */

bool agentx_ns_i32(double seconds, int32_t *out)
{
	if (isnan(seconds))
		return false;
	double ns = round(seconds * 1e9);
	if (ns >= (double)INT32_MAX)
		*out = INT32_MAX;
	else if (ns <= (double)INT32_MIN)
		*out = INT32_MIN;
	else
		*out = (int32_t)ns;
	return true;
}

bool agentx_gauge(double v, double scale, uint32_t *out)
{
	if (isnan(v) || v < 0)
		return false;
	double x = round(v * scale);
	if (isnan(x) || x < 0)
		return false;
	*out = x >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)x;
	return true;
}

bool agentx_ns_u32(double seconds, uint32_t *out)
{
	return agentx_gauge(seconds, 1e9, out);
}

static const uint32_t objects_oid[AGENTX_OBJECTS_LEN] = { AGENTX_OBJECTS_OID };

/* The groups under sundialObjects and their columns. */
enum { G_COLLECTOR = 1, G_SOURCE = 2, G_REFCLOCK = 3 };
enum {
	S_VERSION = 1,
	S_SOURCE_COUNT,
	S_ALERTS_WARNING,
	S_ALERTS_CRITICAL,
};
enum {
	C_SRC_INDEX = 1, /* not-accessible */
	C_SRC_KIND,
	C_SRC_TARGET,
	C_SRC_UP,
	C_SRC_STATE,
	C_SRC_LAST_SAMPLE,
	C_SRC_OFFSET,
	C_SRC_OFFSET_TEXT,
	C_SRC_JITTER,
	C_SRC_STRATUM,
	C_SRC_SYNCHRONISED,
	C_SRC_CLIENTS,
	C_SRC_REQUEST_RATE,
	C_SRC_RESPONSE_P50,
	C_SRC_RESPONSE_P99,
	C_SRC_CLIENTS_1H,
	C_SRC_CLIENTS_24H,
};
enum {
	C_RC_INDEX = 1, /* not-accessible */
	C_RC_NAME,
	C_RC_HEALTHY,
	C_RC_STATUS,
	C_RC_STATUS_TEXT,
	C_RC_SATELLITES,
};

/* Arcs of an instance of group g (after sundialObjects), and of its object
 * (the rest is the instance's index). */
static size_t inst_len(uint32_t g)
{
	return g == G_COLLECTOR ? 3 : g == G_SOURCE ? 4 : 5;
}

static size_t obj_len(uint32_t g)
{
	return g == G_COLLECTOR ? 2 : 3;
}

static uint32_t clip_u32(size_t n)
{
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Refclocks of source src (0-based). */
static uint32_t rc_count(const struct agentx_snapshot *s, size_t src)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n_rc; i++)
		n += s->rc[i].source == src;
	return clip_u32(n);
}

/* The r-th (1-based) refclock of source src (0-based), NULL: none. */
static const struct agentx_refclock *rc_nth(const struct agentx_snapshot *s, size_t src, uint32_t r)
{
	for (size_t i = 0; i < s->n_rc; i++)
		if (s->rc[i].source == src && --r == 0)
			return &s->rc[i];
	return NULL;
}

/* The values arc t[depth] may take, given t[0..depth): lo..hi (hi < lo:
 * none). */
static void domain(const struct agentx_snapshot *s, const uint32_t *t, size_t depth, uint32_t *lo,
		   uint32_t *hi)
{
	*lo = 1;
	*hi = 0;
	if (depth == 0) {
		*hi = G_REFCLOCK;
		return;
	}
	uint32_t g = t[0];
	switch (depth) {
	case 1: *hi = g == G_COLLECTOR ? S_ALERTS_CRITICAL : 1; break;
	case 2:
		if (g == G_COLLECTOR) {
			*lo = 0;
			*hi = 0;
		} else {
			*lo = 2;
			*hi = g == G_SOURCE ? C_SRC_CLIENTS_24H : C_RC_SATELLITES;
		}
		break;
	case 3: *hi = clip_u32(s->n_src); break;
	case 4:
		if (t[3] >= 1 && t[3] <= s->n_src)
			*hi = rc_count(s, t[3] - 1);
		break;
	default: break;
	}
}

static void set_int(struct agentx_value *v, int32_t i)
{
	v->type = AGENTX_T_INTEGER;
	v->i = i;
}

static void set_gauge(struct agentx_value *v, uint32_t u)
{
	v->type = AGENTX_T_GAUGE;
	v->u = u;
}

static void set_str(struct agentx_value *v, const char *p, size_t max)
{
	size_t n = strnlen(p, max);
	if (n > AGENTX_TARGET_MAX)
		n = AGENTX_TARGET_MAX;
	memcpy(v->str, p, n);
	v->str[n] = '\0';
	v->str_len = n;
	v->type = AGENTX_T_STRING;
}

/* INTEGER { no(0), yes(1) } from 0/1 (NAN: none). */
static bool set_flag(struct agentx_value *v, double x)
{
	if (isnan(x))
		return false;
	set_int(v, x >= 0.5 ? 1 : 0);
	return true;
}

static bool set_gauge_of(struct agentx_value *v, double x, double scale)
{
	uint32_t u;
	if (!agentx_gauge(x, scale, &u))
		return false;
	set_gauge(v, u);
	return true;
}

static bool source_value(const struct agentx_source *x, uint32_t col, struct agentx_value *v)
{
	int32_t i;
	switch (col) {
	case C_SRC_KIND: set_str(v, x->kind, sizeof x->kind); return true;
	case C_SRC_TARGET: set_str(v, x->target, sizeof x->target); return true;
	case C_SRC_UP: return set_flag(v, x->up);
	case C_SRC_STATE:
		set_int(v, x->state >= AGENTX_OK && x->state <= AGENTX_UNKNOWN ? (int32_t)x->state
									       : AGENTX_UNKNOWN);
		return true;
	case C_SRC_LAST_SAMPLE:
		/* whole seconds: the second it happened in */
		if (isnan(x->last_sample) || x->last_sample < 0)
			return false;
		v->type = AGENTX_T_UNSIGNED;
		v->u = x->last_sample >= (double)UINT32_MAX ? UINT32_MAX : (uint32_t)x->last_sample;
		return true;
	case C_SRC_OFFSET:
		if (!agentx_ns_i32(x->offset, &i))
			return false;
		set_int(v, i);
		return true;
	case C_SRC_OFFSET_TEXT: {
		if (!isfinite(x->offset))
			return false;
		char buf[64];
		int n = snprintf(buf, sizeof buf, "%.9f", x->offset);
		if (n < 0 || (size_t)n >= sizeof buf)
			return false; /* more than 10^53 s: not an offset */
		set_str(v, buf, sizeof buf);
		return true;
	}
	case C_SRC_JITTER: return set_gauge_of(v, x->jitter, 1e9);
	case C_SRC_STRATUM: return set_gauge_of(v, x->stratum, 1);
	case C_SRC_SYNCHRONISED: return set_flag(v, x->synchronised);
	case C_SRC_CLIENTS: return set_gauge_of(v, x->clients, 1);
	case C_SRC_REQUEST_RATE: return set_gauge_of(v, x->requests, 60);
	case C_SRC_RESPONSE_P50: return set_gauge_of(v, x->response_p50, 1e9);
	case C_SRC_RESPONSE_P99: return set_gauge_of(v, x->response_p99, 1e9);
	case C_SRC_CLIENTS_1H: return set_gauge_of(v, x->clients_1h, 1);
	case C_SRC_CLIENTS_24H: return set_gauge_of(v, x->clients_24h, 1);
	default: return false;
	}
}

static bool refclock_value(const struct agentx_refclock *x, uint32_t col, struct agentx_value *v)
{
	switch (col) {
	case C_RC_NAME: set_str(v, x->name, sizeof x->name); return true;
	case C_RC_HEALTHY:
		set_int(v, x->healthy ? 1 : 2); /* TruthValue: true(1), false(2) */
		return true;
	case C_RC_STATUS:
		set_int(v, x->status > INT32_MAX   ? INT32_MAX
			   : x->status < INT32_MIN ? INT32_MIN
						   : (int32_t)x->status);
		return true;
	case C_RC_STATUS_TEXT: set_str(v, x->status_text, sizeof x->status_text); return true;
	case C_RC_SATELLITES: return set_gauge_of(v, x->satellites, 1);
	default: return false;
	}
}

/* The value of the complete instance t (inst_len(t[0]) arcs, each within
 * its domain); false when it has none. */
static bool leaf(const struct agentx_snapshot *s, const uint32_t *t, struct agentx_value *v)
{
	switch (t[0]) {
	case G_COLLECTOR:
		switch (t[1]) {
		case S_VERSION: set_str(v, SUNDIAL_VERSION, sizeof SUNDIAL_VERSION); return true;
		case S_SOURCE_COUNT: set_gauge(v, clip_u32(s->n_src)); return true;
		case S_ALERTS_WARNING: set_gauge(v, clip_u32(s->alerts_warning)); return true;
		case S_ALERTS_CRITICAL: set_gauge(v, clip_u32(s->alerts_critical)); return true;
		default: return false;
		}
	case G_SOURCE: return source_value(&s->src[t[3] - 1], t[2], v);
	case G_REFCLOCK: {
		const struct agentx_refclock *rc = rc_nth(s, t[3] - 1, t[4]);
		return rc && refclock_value(rc, t[2], v);
	}
	default: return false;
	}
}

static void set_oid(struct agentx_value *v, const uint32_t *t, size_t n)
{
	memcpy(v->oid, objects_oid, sizeof objects_oid);
	memcpy(v->oid + AGENTX_OBJECTS_LEN, t, n * sizeof *t);
	v->oid_len = AGENTX_OBJECTS_LEN + n;
}

/* The first instance with a value whose arcs from depth on are within
 * their domains, after t[0..depth) that is fixed: after key (klen arcs)
 * when tight (t[0..depth) equals key's first arcs), else the first. */
static bool next_from(const struct agentx_snapshot *s, uint32_t *t, size_t depth,
		      const uint32_t *key, size_t klen, bool tight, bool inclusive,
		      struct agentx_value *v)
{
	if (depth > 0 && depth == inst_len(t[0])) {
		/* tight: t equals key's first depth arcs; a longer key sorts
		 * after t, an equal one only for an inclusive search */
		if (tight && (klen > depth || !inclusive))
			return false;
		if (!leaf(s, t, v))
			return false;
		set_oid(v, t, depth);
		return true;
	}
	uint32_t lo, hi;
	domain(s, t, depth, &lo, &hi);
	if (hi < lo)
		return false;
	uint64_t a = lo;
	if (tight && depth >= klen) {
		tight = false; /* key is a prefix of t: all below t sorts after it */
	} else if (tight) {
		if (key[depth] > hi)
			return false;
		if (key[depth] > lo)
			a = key[depth];
	}
	for (; a <= hi; a++) {
		t[depth] = (uint32_t)a;
		if (next_from(s, t, depth + 1, key, klen, tight && a == key[depth], inclusive, v))
			return true;
	}
	return false;
}

static enum agentx_result get(const struct agentx_snapshot *s, const uint32_t *key, size_t klen,
			      struct agentx_value *v)
{
	uint32_t t[5], lo, hi;
	if (klen == 0 || key[0] < 1 || key[0] > G_REFCLOCK)
		return AGENTX_NO_SUCH_OBJECT;
	size_t ol = obj_len(key[0]), il = inst_len(key[0]);
	for (size_t d = 0; d < ol; d++) {
		domain(s, key, d, &lo, &hi);
		if (d >= klen || key[d] < lo || key[d] > hi)
			return AGENTX_NO_SUCH_OBJECT;
		t[d] = key[d];
	}
	if (klen != il)
		return AGENTX_NO_SUCH_INSTANCE;
	for (size_t d = ol; d < il; d++) {
		domain(s, key, d, &lo, &hi);
		if (key[d] < lo || key[d] > hi)
			return AGENTX_NO_SUCH_INSTANCE;
		t[d] = key[d];
	}
	if (!leaf(s, t, v))
		return AGENTX_NO_SUCH_INSTANCE;
	set_oid(v, t, il);
	return AGENTX_FOUND;
}

enum agentx_result agentx_lookup(const struct agentx_snapshot *s, const uint32_t *oid, size_t len,
				 enum agentx_op op, struct agentx_value *out)
{
	/* Where oid is against sundialObjects: under it (or it), before it
	 * (or a prefix of it: everything sorts after), or after it. */
	size_t n = len < AGENTX_OBJECTS_LEN ? len : AGENTX_OBJECTS_LEN;
	int cmp = 0;
	for (size_t i = 0; i < n && cmp == 0; i++)
		if (oid[i] != objects_oid[i])
			cmp = oid[i] < objects_oid[i] ? -1 : 1;
	if (cmp == 0 && len < AGENTX_OBJECTS_LEN)
		cmp = -1;
	if (op == AGENTX_GET)
		return cmp == 0 ? get(s, oid + AGENTX_OBJECTS_LEN, len - AGENTX_OBJECTS_LEN, out)
				: AGENTX_NO_SUCH_OBJECT;
	if (cmp > 0)
		return AGENTX_END;
	const uint32_t *key = cmp == 0 ? oid + AGENTX_OBJECTS_LEN : oid;
	size_t klen = cmp == 0 ? len - AGENTX_OBJECTS_LEN : 0;
	uint32_t t[5];
	return next_from(s, t, 0, key, klen, true, op == AGENTX_NEXT_INCLUSIVE, out) ? AGENTX_FOUND
										     : AGENTX_END;
}

/* ============================================================== subagent */

struct agentx {
	char socket[256];
	pthread_t thread;
	bool started;
	int wake[2]; /* agentx_free() -> thread */
	atomic_bool stop, connected;
	netsnmp_handler_registration *reg; /* under the library lock */

	pthread_mutex_t mu; /* the snapshot */
	struct agentx_source *src;
	size_t n_src;
	struct agentx_refclock *rc;
	size_t n_rc;
	size_t alerts_warning, alerts_critical;
};

/* Under the library lock. */
static bool agent_started; /* init_agent() ran */
static agentx *current;	   /* the one subagent */

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
		   netsnmp_agent_request_info *ri, netsnmp_request_info *req)
{
	(void)reg;
	agentx *a = h->myvoid;
	struct agentx_value v;
	uint32_t key[MAX_OID_LEN];
	oid name[AGENTX_OID_MAX];

	pthread_mutex_lock(&a->mu);
	const struct agentx_snapshot s = {
		.src = a->src,
		.n_src = a->n_src,
		.rc = a->rc,
		.n_rc = a->n_rc,
		.alerts_warning = a->alerts_warning,
		.alerts_critical = a->alerts_critical,
	};
	for (; req; req = req->next) {
		if (req->processed)
			continue;
		netsnmp_variable_list *vb = req->requestvb;
		size_t klen = vb->name_length < MAX_OID_LEN ? vb->name_length : MAX_OID_LEN;
		/* AgentX arcs are 32-bit; a larger one sorts like 2^32-1,
		 * which no instance has */
		for (size_t i = 0; i < klen; i++)
			key[i] = vb->name[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)vb->name[i];
		enum agentx_result r;
		switch (ri->mode) {
		case MODE_GET: r = agentx_lookup(&s, key, klen, AGENTX_GET, &v); break;
		case MODE_GETNEXT:
			r = agentx_lookup(&s, key, klen,
					  req->inclusive ? AGENTX_NEXT_INCLUSIVE : AGENTX_NEXT, &v);
			break;
		default: /* the SET phases */
			netsnmp_set_request_error(ri, req, SNMP_ERR_NOTWRITABLE);
			continue;
		}
		if (r == AGENTX_NO_SUCH_OBJECT) {
			netsnmp_set_request_error(ri, req, SNMP_NOSUCHOBJECT);
			continue;
		}
		if (r == AGENTX_NO_SUCH_INSTANCE) {
			netsnmp_set_request_error(ri, req, SNMP_NOSUCHINSTANCE);
			continue;
		}
		if (r == AGENTX_END)
			continue; /* left alone: net-snmp goes on past our subtree */
		if (ri->mode == MODE_GETNEXT) {
			for (size_t i = 0; i < v.oid_len; i++)
				name[i] = v.oid[i];
			snmp_set_var_objid(vb, name, v.oid_len);
		}
		switch (v.type) {
		case AGENTX_T_INTEGER: {
			long l = v.i;
			snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof l);
			break;
		}
		case AGENTX_T_GAUGE:
		case AGENTX_T_UNSIGNED: {
			u_long u = v.u;
			snmp_set_var_typed_value(
				vb, v.type == AGENTX_T_GAUGE ? ASN_GAUGE : ASN_UNSIGNED, &u,
				sizeof u);
			break;
		}
		case AGENTX_T_STRING:
			snmp_set_var_typed_value(vb, ASN_OCTET_STR, v.str, v.str_len);
			break;
		}
	}
	pthread_mutex_unlock(&a->mu);
	return SNMP_ERR_NOERROR;
}

/* Under the library lock: notes and logs a change of the master session. */
static void note_session(agentx *a, bool first)
{
	bool now = main_session != NULL;
	bool was = atomic_exchange(&a->connected, now);
	if (now && !was)
		log_info("agentx: registered SUNDIAL-MIB with the master agent at %s", a->socket);
	else if (!now && was)
		log_warn("agentx: lost the master agent at %s; trying again every %d s", a->socket,
			 AGENTX_PING_INTERVAL);
	else if (!now && first)
		log_warn("agentx: no master agent at %s yet (is snmpd running with 'master "
			 "agentx'?); "
			 "trying again every %d s",
			 a->socket, AGENTX_PING_INTERVAL);
}

static void *run(void *arg)
{
	agentx *a = arg;
	netsnmp_large_fd_set fds;
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	while (!atomic_load(&a->stop)) {
		int numfds = 0, block = 0;
		struct timeval tv = { 1, 0 };
		snmp_client_lib_lock();
		NETSNMP_LARGE_FD_ZERO(&fds);
		(void)snmp_select_info2(&numfds, &fds, &tv, &block);
		snmp_client_lib_unlock();
		if (block || tv.tv_sec >= 1) {
			tv.tv_sec = 1;
			tv.tv_usec = 0;
		}
		NETSNMP_LARGE_FD_SET(a->wake[0], &fds);
		if (a->wake[0] >= numfds)
			numfds = a->wake[0] + 1;
		int n = select(numfds, fds.lfs_setptr, NULL, NULL, &tv);
		if (n < 0) {
			if (errno != EINTR)
				log_debug("agentx: select: %s", strerror(errno));
			continue;
		}
		if (n > 0 && NETSNMP_LARGE_FD_ISSET(a->wake[0], &fds)) {
			char buf[16];
			while (read(a->wake[0], buf, sizeof buf) > 0)
				;
			NETSNMP_LARGE_FD_CLR(a->wake[0], &fds);
			n--;
		}
		snmp_client_lib_lock();
		if (n > 0)
			(void)snmp_read2(&fds);
		else
			snmp_timeout();
		run_alarms();
		note_session(a, false);
		snmp_client_lib_unlock();
	}
	netsnmp_large_fd_set_cleanup(&fds);
	return NULL;
}

/* Whether socket is one net-snmp's AgentX transport takes: an absolute
 * path (Unix socket) or tcp:HOST:PORT. */
static bool socket_ok(const char *sock, char *err, size_t errlen)
{
	size_t n = strlen(sock);
	if (sock[0] == '/') {
		if (n >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			snprintf(err, errlen, "the socket path is longer than %zu octets",
				 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
			return false;
		}
		return true;
	}
	if (strncmp(sock, "tcp:", 4) == 0 && n > 4 && n < 256 && strrchr(sock, ':') > sock + 4 &&
	    strrchr(sock, ':')[1] != '\0')
		return true;
	snprintf(err, errlen,
		 "'%s' is no AgentX master socket: give an absolute path (a Unix socket, e.g. %s) "
		 "or tcp:HOST:PORT",
		 sock, AGENTX_DEFAULT_SOCKET);
	return false;
}

/* Under the library lock: closes the session with the master and drops our
 * subtree (see the top of the file). */
static void detach(agentx *a)
{
	netsnmp_session *ss = main_session;
	if (ss) {
		/* the ping alarm's id is kept in securityModel (subagent.c) */
		if (ss->securityModel != SNMP_DEFAULT_SECMODEL)
			snmp_alarm_unregister((unsigned)ss->securityModel);
		agentx_unregister_callbacks(ss);
		(void)agentx_close_session(ss, CLOSE_SHUTDOWN);
		remove_trap_session(ss);
		main_session = NULL;
		snmp_close(ss);
	}
	snmp_alarm_unregister_all();
	if (a->reg) {
		(void)netsnmp_unregister_handler(a->reg);
		a->reg = NULL;
	}
	atomic_store(&a->connected, false);
}

agentx *agentx_new(const char *socket, char *err, size_t errlen)
{
	static const oid root[] = { AGENTX_OBJECTS_OID };
	if (!socket)
		socket = AGENTX_DEFAULT_SOCKET;
	if (!socket_ok(socket, err, errlen))
		return NULL;

	agentx *a = mem_calloc(1, sizeof *a);
	snprintf(a->socket, sizeof a->socket, "%s", socket);
	a->wake[0] = a->wake[1] = -1;
	pthread_mutex_init(&a->mu, NULL);
	if (pipe2(a->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}

	snmp_client_lib_lock();
	if (current) {
		snmp_client_lib_unlock();
		snprintf(err, errlen, "a subagent runs already (one per process)");
		goto fail;
	}
	snmp_client_lib_setup();
	if (!agent_started) {
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
		if (init_agent("sundial") != 0)
			log_debug("agentx: init_agent reported a problem (no /dev/kmem); going on");
		agent_started = true;
	}
	(void)netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET,
				    a->socket);
	(void)netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
				 AGENTX_PING_INTERVAL);
	a->reg = netsnmp_create_handler_registration("sundial", handler, root, OID_LENGTH(root),
						     HANDLER_CAN_RONLY);
	if (!a->reg) {
		snmp_client_lib_unlock();
		snprintf(err, errlen, "net-snmp: cannot make the handler registration");
		goto fail;
	}
	a->reg->handler->myvoid = a;
	int rc = netsnmp_register_handler(a->reg);
	if (rc != MIB_REGISTERED_OK) {
		a->reg = NULL; /* freed by net-snmp */
		snmp_client_lib_unlock();
		snprintf(err, errlen, "net-snmp: cannot register SUNDIAL-MIB's subtree (%d)", rc);
		goto fail;
	}
	if (!snmp_client_lib_start())
		(void)subagent_startup(0, 0, NULL, NULL);
	note_session(a, true);
	int e = pthread_create(&a->thread, NULL, run, a);
	if (e != 0) {
		detach(a);
		snmp_client_lib_unlock();
		snprintf(err, errlen, "pthread_create: %s", strerror(e));
		goto fail;
	}
	a->started = true;
	current = a;
	snmp_client_lib_unlock();
	return a;
fail:
	if (a->wake[0] >= 0)
		close(a->wake[0]);
	if (a->wake[1] >= 0)
		close(a->wake[1]);
	pthread_mutex_destroy(&a->mu);
	free(a);
	return NULL;
}

void agentx_publish(agentx *a, const struct agentx_snapshot *s)
{
	struct agentx_source *src = NULL;
	struct agentx_refclock *rc = NULL;
	if (s->n_src > 0) {
		src = mem_calloc(s->n_src, sizeof *src);
		memcpy(src, s->src, s->n_src * sizeof *src);
	}
	if (s->n_rc > 0) {
		rc = mem_calloc(s->n_rc, sizeof *rc);
		memcpy(rc, s->rc, s->n_rc * sizeof *rc);
	}
	pthread_mutex_lock(&a->mu);
	struct agentx_source *old_src = a->src;
	struct agentx_refclock *old_rc = a->rc;
	a->src = src;
	a->n_src = s->n_src;
	a->rc = rc;
	a->n_rc = s->n_rc;
	a->alerts_warning = s->alerts_warning;
	a->alerts_critical = s->alerts_critical;
	pthread_mutex_unlock(&a->mu);
	free(old_src);
	free(old_rc);
}

bool agentx_connected(agentx *a)
{
	return atomic_load(&a->connected);
}

void agentx_free(agentx *a)
{
	if (!a)
		return;
	if (a->started) {
		atomic_store(&a->stop, true);
		ssize_t w = write(a->wake[1], "x", 1);
		(void)w; /* a full pipe wakes it as well */
		pthread_join(a->thread, NULL);
	}
	snmp_client_lib_lock();
	detach(a);
	if (current == a)
		current = NULL;
	snmp_client_lib_unlock();
	close(a->wake[0]);
	close(a->wake[1]);
	pthread_mutex_destroy(&a->mu);
	free(a->src);
	free(a->rc);
	free(a);
}
