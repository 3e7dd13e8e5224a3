/* ntpd.c - ntpd's own view over mode 6, into the daemon model; see ntpd.h.
 *
 * What ntpq does for `rv`, `-p`, `cv`, `sysstats`, `iostats`, `monstats` and
 * `mrulist`, without its text: READVAR of association 0, READSTAT and a
 * READVAR per association, READCLOCK per refclock, READVAR of the named
 * counters, and the MRU walk.  ntpd gives times in milliseconds; the model
 * keeps seconds. */
#include "sources/ntpd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/mem.h"
#include "net/mode6_client.h"
#include "wire/mode6.h"
#include "wire/ntp.h"

#define MAX_ASSOCS 512

/* Counter groups as ntpq asks for them (sysstats, iostats, monstats). */
static const char *const counter_groups[][2] = {
	{ "sysstats", "ss_uptime,ss_reset,ss_received,ss_thisver,ss_oldver,ss_ver1,ss_ver1client,"
		      "ss_ver1zero,ss_ver1symm,ss_badformat,ss_badauth,ss_declined,ss_restricted,"
		      "ss_limited,ss_kodsent,ss_processed,ss_numctlreq" },
	{ "iostats", "iostats_reset,total_rbuf,free_rbuf,used_rbuf,rbuf_lowater,io_dropped,"
		     "io_ignored,io_received,io_sent,io_sendfailed,io_wakeups,io_goodwakeups,"
		     "io_badwakeups" },
	{ "monstats", "mru_enabled,mru_depth,mru_deepest,mru_maxdepth,mru_mindepth,mru_maxage,"
		      "mru_minage,mru_maxmem,mru_mem,mru_exists,mru_new,mru_recycleold,"
		      "mru_recyclefull,mru_none,mru_oldest_age" },
};

static double ms(const struct m6_var_view *v)
{
	double d;
	return m6_value_double(v, &d) ? d / 1000.0 : NAN;
}

static double num(const struct m6_var_view *v)
{
	double d;
	return m6_value_double(v, &d) ? d : NAN;
}

static int integer(const struct m6_var_view *v, int dflt)
{
	int64_t i;
	if (m6_value_i64(v, &i) && i > -100000 && i < 100000)
		return (int)i;
	double d;
	if (m6_value_double(v, &d) && d > -100000 && d < 100000)
		return (int)d;
	return dflt;
}

static long lnum(const struct m6_var_view *v)
{
	uint64_t u;
	if (m6_value_u64(v, &u) && u < 0x7fffffffffffffffULL)
		return (long)u;
	return -1;
}

/* NTP 32.32 timestamp to Unix seconds, in the era nearest to now. */
static double ts_unix(uint64_t ts)
{
	if (ts == 0)
		return NAN;
	struct timespec now, t;
	clock_realtime(&now);
	ntp_ts_to_timespec(ts, &now, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static const char *errstr(int rc, int m6err)
{
	switch (rc) {
	case -ETIMEDOUT: return "no answer";
	case -ECONNREFUSED: return "nothing listens there (connection refused)";
	case -EPROTO: return "malformed replies (is it an NTP daemon?)";
	case -EMSGSIZE: return "reply too large";
	case -EREMOTEIO: return m6_error_str((unsigned)m6err);
	default: return strerror(-rc);
	}
}

static int read_system(m6c *c, dmn_status *st, uint16_t *peer_assoc, char *err, size_t errlen)
{
	const uint8_t *data;
	size_t len;
	uint16_t status;
	int m6err = 0;
	int rc = m6c_request(c, M6_OP_READVAR, 0, NULL, 0, &data, &len, &status, &m6err);
	if (rc != 0) {
		snprintf(err, errlen, "system variables: %s", errstr(rc, m6err));
		if (rc == -EREMOTEIO)
			return m6err == M6_ERR_PERMISSION || m6err == M6_ERR_RESTRICT ? -EACCES
										      : -EPROTO;
		return rc;
	}
	struct m6_sys_status ss;
	m6_sys_status_decode(status, &ss);
	struct dmn_system *y = &st->sys;
	y->leap = ss.leap;
	y->clock_source = ss.source;
	y->event_count = ss.event_count;
	y->event_code = ss.event_code;

	struct m6_iter it;
	struct m6_var_view v;
	m6_iter_init(&it, (const char *)data, len);
	while (m6_iter_next(&it, &v)) {
		if (!v.value)
			continue;
		if (m6_var_is(&v, "version"))
			m6_value_string(&v, st->version, sizeof st->version);
		else if (m6_var_is(&v, "leap"))
			y->leap = integer(&v, y->leap) & 3;
		else if (m6_var_is(&v, "stratum"))
			y->stratum = integer(&v, -1);
		else if (m6_var_is(&v, "precision"))
			y->precision = integer(&v, -1000);
		else if (m6_var_is(&v, "rootdelay"))
			y->root_delay = ms(&v);
		else if (m6_var_is(&v, "rootdisp"))
			y->root_disp = ms(&v);
		else if (m6_var_is(&v, "rootdist"))
			y->root_dist = ms(&v);
		else if (m6_var_is(&v, "refid"))
			m6_value_string(&v, y->refid, sizeof y->refid);
		else if (m6_var_is(&v, "reftime")) {
			uint64_t ts;
			if (m6_value_ntpts(&v, &ts))
				y->ref_time = ts_unix(ts);
		} else if (m6_var_is(&v, "tc"))
			y->tc = integer(&v, -1000);
		else if (m6_var_is(&v, "peer")) {
			int p = integer(&v, 0);
			*peer_assoc = p > 0 && p < 65536 ? (uint16_t)p : 0;
		} else if (m6_var_is(&v, "offset"))
			y->offset = ms(&v);
		else if (m6_var_is(&v, "frequency"))
			y->frequency = num(&v);
		else if (m6_var_is(&v, "sys_jitter"))
			y->sys_jitter = ms(&v);
		else if (m6_var_is(&v, "clk_jitter"))
			y->clk_jitter = ms(&v);
		else if (m6_var_is(&v, "clk_wander"))
			y->clk_wander = num(&v);
	}
	if (isnan(y->root_dist) && !isnan(y->root_delay) && !isnan(y->root_disp))
		y->root_dist = y->root_delay / 2 + y->root_disp;
	y->synchronised = y->leap != 3 && y->stratum > 0 && y->stratum < 16;
	return 0;
}

/* Adds every numeric variable of a reply as a counter. */
static void add_counters(dmn_status *st, const uint8_t *data, size_t len)
{
	struct m6_iter it;
	struct m6_var_view v;
	m6_iter_init(&it, (const char *)data, len);
	while (m6_iter_next(&it, &v)) {
		double d;
		char name[48];
		if (!v.value || v.name_len == 0 || v.name_len >= sizeof name ||
		    !m6_value_double(&v, &d))
			continue;
		memcpy(name, v.name, v.name_len);
		name[v.name_len] = '\0';
		dmn_add_counter(st, name, d);
	}
}

static void read_counters(m6c *c, dmn_status *st)
{
	for (size_t g = 0; g < sizeof counter_groups / sizeof counter_groups[0]; g++) {
		const char *list = counter_groups[g][1];
		const uint8_t *data;
		size_t len;
		uint16_t status;
		int m6err = 0;
		int rc = m6c_request(c, M6_OP_READVAR, 0, list, strlen(list), &data, &len, &status,
				     &m6err);
		if (rc == 0) {
			add_counters(st, data, len);
			continue;
		}
		if (rc != -EREMOTEIO || m6err != M6_ERR_UNKNOWNVAR) {
			dmn_add_error(st, counter_groups[g][0], "%s", errstr(rc, m6err));
			continue;
		}
		/* This ntpd lacks some of the names: ask one at a time. */
		const char *p = list;
		while (*p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			if (m6c_request(c, M6_OP_READVAR, 0, p, n, &data, &len, &status, &m6err) ==
			    0)
				add_counters(st, data, len);
			p += n + (comma ? 1 : 0);
		}
	}
}

static const char *hmode_name(int hmode)
{
	switch (hmode) {
	case 1: return "peer";
	case 2: return "passive";
	case 3: return "server";
	case 5: return "broadcast";
	case 6: return "bclient";
	default: return "unknown";
	}
}

static void read_clock(m6c *c, dmn_status *st, struct dmn_source *src)
{
	const uint8_t *data;
	size_t len;
	uint16_t status;
	int m6err = 0;
	int rc = m6c_request(c, M6_OP_READCLOCK, src->associd, NULL, 0, &data, &len, &status,
			     &m6err);
	if (rc != 0) {
		dmn_add_error(st, "clockvar", "association %u: %s", src->associd,
			      errstr(rc, m6err));
		return;
	}
	struct dmn_refclock *r = dmn_add_refclock(st);
	r->associd = src->associd;
	struct m6_clock_status cs;
	m6_clock_status_decode(status, &cs);
	r->status = cs.status;
	r->event_count = cs.event_count;
	str_copy(r->name, src->name[0] ? src->name : src->address, sizeof r->name);
	struct m6_iter it;
	struct m6_var_view v;
	m6_iter_init(&it, (const char *)data, len);
	while (m6_iter_next(&it, &v)) {
		if (!v.value)
			continue;
		if (m6_var_is(&v, "name"))
			m6_value_string(&v, r->name, sizeof r->name);
		else if (m6_var_is(&v, "device"))
			m6_value_string(&v, r->device, sizeof r->device);
		else if (m6_var_is(&v, "timecode"))
			m6_value_string(&v, r->timecode, sizeof r->timecode);
		else if (m6_var_is(&v, "poll"))
			r->poll = integer(&v, -1000);
		else if (m6_var_is(&v, "noreply"))
			r->noreply = lnum(&v);
		else if (m6_var_is(&v, "badformat"))
			r->badformat = lnum(&v);
		else if (m6_var_is(&v, "baddata"))
			r->baddata = lnum(&v);
		else if (m6_var_is(&v, "fudgetime1"))
			r->fudgetime1 = ms(&v);
		else if (m6_var_is(&v, "fudgetime2"))
			r->fudgetime2 = ms(&v);
		else if (m6_var_is(&v, "flags"))
			r->flags = lnum(&v);
		else if (m6_var_is(&v, "stratum"))
			r->stratum = integer(&v, -1);
		else if (m6_var_is(&v, "refid"))
			m6_value_string(&v, r->refid, sizeof r->refid);
		else if (m6_var_is(&v, "refclock_states")) {
			char buf[512];
			if (m6_value_string(&v, buf, sizeof buf)) {
				struct m6_clock_state_share sh[DMN_MAX_CLOCK_STATES];
				int n = m6_refclock_states_parse(buf, strlen(buf), sh,
								 DMN_MAX_CLOCK_STATES);
				for (int i = 0; i < n; i++) {
					struct dmn_refclock_state *d = &r->states[r->n_states++];
					str_copy(d->name, sh[i].name, sizeof d->name);
					d->seconds = sh[i].seconds;
					d->share = sh[i].share;
					d->current = sh[i].current;
				}
			}
		}
	}
}

static void read_assoc(m6c *c, dmn_status *st, const struct m6_assoc *a, double now)
{
	struct dmn_source *src = dmn_add_source(st);
	src->associd = a->associd;
	struct m6_peer_status ps;
	m6_peer_status_decode(a->status, &ps);
	src->tally = m6_tally(ps.selection);
	str_copy(src->selection, m6_selection_str(ps.selection), sizeof src->selection);

	const uint8_t *data;
	size_t len;
	uint16_t status;
	int m6err = 0;
	int rc = m6c_request(c, M6_OP_READVAR, a->associd, NULL, 0, &data, &len, &status, &m6err);
	if (rc != 0) {
		dmn_add_error(st, "peer", "association %u: %s", a->associd, errstr(rc, m6err));
		return;
	}
	int hmode = -1;
	struct m6_iter it;
	struct m6_var_view v;
	m6_iter_init(&it, (const char *)data, len);
	while (m6_iter_next(&it, &v)) {
		if (!v.value)
			continue;
		if (m6_var_is(&v, "srcadr"))
			m6_value_string(&v, src->address, sizeof src->address);
		else if (m6_var_is(&v, "srchost") || m6_var_is(&v, "hostname")) {
			m6_value_string(&v, src->name, sizeof src->name);
		} else if (m6_var_is(&v, "stratum"))
			src->stratum = integer(&v, -1);
		else if (m6_var_is(&v, "refid"))
			m6_value_string(&v, src->refid, sizeof src->refid);
		else if (m6_var_is(&v, "reach")) {
			uint64_t r;
			if (m6_value_u64(&v, &r))
				src->reach = (int)(r & 0xff);
		} else if (m6_var_is(&v, "hpoll"))
			src->hpoll = integer(&v, -1000);
		else if (m6_var_is(&v, "ppoll"))
			src->ppoll = integer(&v, -1000);
		else if (m6_var_is(&v, "hmode"))
			hmode = integer(&v, -1);
		else if (m6_var_is(&v, "offset"))
			src->offset = ms(&v);
		else if (m6_var_is(&v, "delay"))
			src->delay = ms(&v);
		else if (m6_var_is(&v, "jitter"))
			src->jitter = ms(&v);
		else if (m6_var_is(&v, "dispersion") || m6_var_is(&v, "rootdisp_peer"))
			src->dispersion = ms(&v);
		else if (m6_var_is(&v, "rec")) {
			uint64_t ts;
			if (m6_value_ntpts(&v, &ts) && ts != 0)
				src->when = now - ts_unix(ts);
		}
	}
	src->reach_pct = dmn_reach_pct(src->reach);
	src->refclock = strncmp(src->address, "127.127.", 8) == 0;
	str_copy(src->mode, src->refclock ? "refclock" : hmode_name(hmode), sizeof src->mode);
	if (src->refclock)
		read_clock(c, st, src);
}

struct mru_ctx {
	dmn_status *st;
	unsigned long limit;
};

static int mru_cb(void *arg, const struct m6c_mru_entry *e)
{
	struct mru_ctx *m = arg;
	m->st->clients_total++;
	if (m->limit && m->st->n_clients >= m->limit)
		return 0; /* count the rest, keep no more */
	struct dmn_client *c = dmn_add_client(m->st);
	str_copy(c->address, e->addr, sizeof c->address);
	c->count = e->count;
	c->first = ts_unix(e->first);
	c->last = ts_unix(e->last);
	c->mode = (int)e->mode;
	c->version = (int)e->version;
	c->drops = e->drop ? 1 : 0;
	return 0;
}

/* ntpd answers reads whether or not their MAC verifies (and its replies'
 * MACs cannot be checked reliably), so a key is proven by a request that
 * needs the controlkey: READ_ORDLIST_A ("ifstats"). */
static void check_key(m6c *c, dmn_status *st, const struct key *key)
{
	static const char what[] = "ifstats";
	const uint8_t *data;
	size_t len;
	uint16_t status;
	int m6err = 0;
	int rc = m6c_request(c, M6_OP_READ_ORDLIST_A, 0, what, sizeof what - 1, &data, &len,
			     &status, &m6err);
	if (rc == 0)
		return;
	if (rc == -EREMOTEIO && (m6err == M6_ERR_PERMISSION || m6err == M6_ERR_RESTRICT)) {
		st->refused = true;
		dmn_add_error(
			st, "authentication",
			"ntpd refused key %u: it is not ntpd's controlkey, or the key differs "
			"(the values shown came unauthenticated)",
			key->id);
	} else if (rc == -EREMOTEIO && m6err == M6_ERR_BADOP) {
		dmn_add_error(st, "authentication",
			      "this ntpd cannot confirm key %u (no READ_ORDLIST_A)", key->id);
	} else {
		dmn_add_error(st, "authentication", "could not confirm key %u: %s", key->id,
			      errstr(rc, m6err));
	}
}

int ntpd_read(const struct sockaddr_storage *addr, const struct ntpd_opts *o, dmn_status *st,
	      char *err, size_t errlen)
{
	int e = 0;
	m6c *c = m6c_open(addr, o->timeout, o->key, &e);
	if (!c) {
		snprintf(err, errlen, "cannot open a socket: %s", strerror(-e));
		return e;
	}
	uint16_t peer_assoc = 0;
	int rc = read_system(c, st, &peer_assoc, err, errlen);
	if (rc != 0)
		goto out;

	const uint8_t *data;
	size_t len;
	uint16_t status;
	int m6err = 0;
	struct m6_assoc assocs[MAX_ASSOCS];
	int na = 0;
	int r = m6c_request(c, M6_OP_READSTAT, 0, NULL, 0, &data, &len, &status, &m6err);
	if (r == 0)
		na = m6_readstat_decode(data, len, assocs, MAX_ASSOCS);
	if (r != 0 || na < 0) {
		dmn_add_error(st, "associations", "%s",
			      r != 0 ? errstr(r, m6err) : "malformed READSTAT reply");
		na = 0;
	}
	struct timespec now;
	clock_realtime(&now);
	double dnow = (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
	for (int i = 0; i < na; i++)
		read_assoc(c, st, &assocs[i], dnow);
	for (size_t i = 0; i < st->n_sources; i++)
		if (peer_assoc && st->sources[i].associd == peer_assoc)
			str_copy(st->sys.sys_peer,
				 st->sources[i].name[0] ? st->sources[i].name
							: st->sources[i].address,
				 sizeof st->sys.sys_peer);
	read_counters(c, st);
	if (o->key)
		check_key(c, st, o->key);

	if (o->clients) {
		struct m6c_mru_opts mo = { .limit = 0, .mincount = 0, .frags = 0 };
		struct mru_ctx ctx = { st, o->client_limit };
		uint64_t mnow = 0;
		str_copy(st->clients_from, "ntpd mru list", sizeof st->clients_from);
		int mr = m6c_mru_walk(c, &mo, mru_cb, &ctx, &mnow);
		if (mr != 0)
			dmn_add_error(st, "mrulist", "%s", errstr(mr, 0));
		else
			st->clients_read = true;
	}
out:
	m6c_close(c);
	return rc;
}

/* ---- the collector's `ntpd` source ---- */

struct ntpd_src {
	const struct source_params *p;
	keyring *kr;
	const struct key *key;
	dmn_status *st;
};

static void *ntpd_src_open(const struct source_params *p, char *err, size_t errlen)
{
	struct ntpd_src *s = mem_calloc(1, sizeof *s);
	s->p = p;
	if (source_load_key(p, &s->kr, &s->key, err, errlen) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int ntpd_src_sample(void *arg, double timeout, char *err, size_t errlen)
{
	struct ntpd_src *s = arg;
	dmn_free(s->st);
	s->st = dmn_new(DMN_NTPD);
	struct sockaddr_storage a;
	int rc = source_resolve(s->p->target, 123, &a, err, errlen);
	if (rc != 0)
		return rc;
	struct ntpd_opts o = { timeout / 4, s->key, false, 0 };
	return ntpd_read(&a, &o, s->st, err, errlen);
}

static void ntpd_src_publish(void *arg, int rc, const struct source_out *o)
{
	struct ntpd_src *s = arg;
	if (rc == 0)
		dmn_publish(s->st, o);
}

static void ntpd_src_close(void *arg)
{
	struct ntpd_src *s = arg;
	if (!s)
		return;
	dmn_free(s->st);
	keyring_free(s->kr);
	free(s);
}

const struct source_ops ntpd_source = {
	.kind = "ntpd",
	.threaded = true,
	.open = ntpd_src_open,
	.sample = ntpd_src_sample,
	.publish = ntpd_src_publish,
	.close = ntpd_src_close,
};
