/* chronyd.c - chronyd's own view over its command protocol, into the daemon
 * model; see chronyd.h.  What chronyc does for `tracking`, `sources`,
 * `sourcestats`, `ntpdata`, `serverstats`, `activity` and `clients`. */
#include "sources/chronyd.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/mem.h"
#include "net/chrony_client.h"
#include "wire/chrony.h"

#define MAX_SOURCES 1024
#define MAX_CLIENTS_WALK 1000000

static const char *errstr(int rc, uint16_t status)
{
	switch (rc) {
	case -ETIMEDOUT: return "no answer";
	case -ECONNREFUSED: return "nothing listens there (connection refused)";
	case -EPROTO: return "malformed replies (is it chronyd's command port?)";
	case -EREMOTEIO: return chr_status_str(status);
	default: return strerror(-rc);
	}
}

/* A refused command explained: what it needs and how to get it. */
static void refused(dmn_status *st, const char *what, uint16_t status)
{
	if (status == CHR_STT_UNAUTH)
		dmn_add_error(st, what,
			      "%s needs chronyd's Unix socket: run as root or as chrony's user "
			      "(over UDP chronyd allows only its opencommands)",
			      what);
	else
		dmn_add_error(st, what, "%s", chr_status_str(status));
}

static int request(chrc *c, uint16_t cmd, const void *data, size_t len, uint8_t *reply,
		   size_t *rlen, uint16_t *status)
{
	*status = 0;
	return chrc_request(c, cmd, data, len, reply, CHR_MAX_PKT, rlen, status);
}

static void refid_text(uint32_t ref_id, const struct chr_addr *ip, char *buf, size_t len)
{
	if (ip->family == 1 || ip->family == 2) {
		chr_addr_format(ip, buf, len);
		return;
	}
	char a[5];
	bool printable = true;
	for (int i = 0; i < 4; i++) {
		a[i] = (char)(ref_id >> (24 - 8 * i));
		if (a[i] == 0)
			a[i] = ' ';
		else if (a[i] < 0x20 || a[i] > 0x7e)
			printable = false;
	}
	a[4] = '\0';
	size_t n = 4;
	while (n > 0 && a[n - 1] == ' ')
		a[--n] = '\0';
	if (printable && n > 0)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%08X", ref_id);
}

static int read_tracking(chrc *c, dmn_status *st, char *err, size_t errlen)
{
	uint8_t rp[CHR_MAX_PKT];
	size_t rl;
	uint16_t status;
	int rc = request(c, CHR_REQ_TRACKING, NULL, 0, rp, &rl, &status);
	struct chr_tracking t;
	if (rc == 0 && chr_decode_tracking(rp, rl, &t) != CHR_OK)
		rc = -EPROTO;
	if (rc != 0) {
		snprintf(err, errlen, "tracking: %s", errstr(rc, status));
		return rc == -EREMOTEIO ? -EACCES : rc;
	}
	struct dmn_system *y = &st->sys;
	y->leap = t.leap_status & 3;
	y->stratum = t.stratum;
	refid_text(t.ref_id, &t.ip, y->refid, sizeof y->refid);
	if (t.ip.family == 1 || t.ip.family == 2)
		chr_addr_format(&t.ip, y->sys_peer, sizeof y->sys_peer);
	y->ref_time = t.ref_time;
	y->correction = t.current_correction;
	y->offset = t.last_offset;
	y->rms_offset = t.rms_offset;
	y->frequency = t.freq_ppm;
	y->resid_freq = t.resid_freq_ppm;
	y->skew = t.skew_ppm;
	y->root_delay = t.root_delay;
	y->root_disp = t.root_dispersion;
	y->root_dist = t.root_delay / 2 + t.root_dispersion;
	y->update_interval = t.last_update_interval;
	y->synchronised = y->leap != 3 && y->stratum > 0 && y->stratum < 16;
	return 0;
}

static const char *state_selection(unsigned state, char *tally)
{
	/* chronyc sources: RPY_SD_ST_* and the mark it prints. */
	switch (state) {
	case 0: *tally = '*'; return "sys.peer";
	case 1: *tally = '?'; return "unusable";
	case 2: *tally = 'x'; return "falseticker";
	case 3: *tally = '~'; return "jittery";
	case 4: *tally = '+'; return "candidate";
	case 5: *tally = '-'; return "outlier";
	default: *tally = ' '; return "unknown";
	}
}

static void read_sources(chrc *c, dmn_status *st)
{
	uint8_t rp[CHR_MAX_PKT];
	size_t rl;
	uint16_t status;
	uint32_t n = 0;
	int rc = request(c, CHR_REQ_N_SOURCES, NULL, 0, rp, &rl, &status);
	if (rc == 0 && chr_decode_n_sources(rp, rl, &n) != CHR_OK)
		rc = -EPROTO;
	if (rc != 0) {
		if (rc == -EREMOTEIO)
			refused(st, "sources", status);
		else
			dmn_add_error(st, "sources", "%s", errstr(rc, status));
		return;
	}
	if (n > MAX_SOURCES)
		n = MAX_SOURCES;
	bool ntpdata_refused = false;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t req[64];
		size_t ql = chr_req_index(req, sizeof req, i);
		struct chr_source_data sd;
		rc = request(c, CHR_REQ_SOURCE_DATA, req, ql, rp, &rl, &status);
		if (rc == 0 && chr_decode_source_data(rp, rl, &sd) != CHR_OK)
			rc = -EPROTO;
		if (rc != 0) {
			dmn_add_error(st, "sources", "source %u: %s", i, errstr(rc, status));
			continue;
		}
		struct dmn_source *s = dmn_add_source(st);
		s->refclock = sd.mode == 2;
		if (s->refclock)
			refid_text(((uint32_t)sd.ip.addr[0] << 24) |
					   ((uint32_t)sd.ip.addr[1] << 16) |
					   ((uint32_t)sd.ip.addr[2] << 8) | sd.ip.addr[3],
				   &(struct chr_addr){ 0 }, s->address, sizeof s->address);
		else
			chr_addr_format(&sd.ip, s->address, sizeof s->address);
		str_copy(s->mode,
			 sd.mode == 0	? "server"
			 : sd.mode == 1 ? "peer"
					: "refclock",
			 sizeof s->mode);
		str_copy(s->selection, state_selection(sd.state, &s->tally), sizeof s->selection);
		s->stratum = sd.stratum;
		s->hpoll = s->ppoll = sd.poll;
		s->reach = sd.reachability & 0xff;
		s->reach_pct = dmn_reach_pct(s->reach);
		s->when = sd.since_sample == 0xffffffffu ? NAN : (double)sd.since_sample;
		s->offset = sd.latest_meas;
		s->dispersion = sd.latest_meas_err;

		struct chr_sourcestats ss;
		rc = request(c, CHR_REQ_SOURCESTATS, req, ql, rp, &rl, &status);
		if (rc == 0 && chr_decode_sourcestats(rp, rl, &ss) == CHR_OK) {
			s->samples = (int)ss.n_samples;
			s->span = ss.span_seconds;
			s->std_dev = ss.sd;
			s->jitter = ss.sd;
			s->est_offset = ss.est_offset;
			s->frequency = ss.resid_freq_ppm;
			s->skew = ss.skew_ppm;
			if (s->refclock)
				refid_text(ss.ref_id, &(struct chr_addr){ 0 }, s->refid,
					   sizeof s->refid);
		}
		if (s->refclock)
			continue;
		/* The name it was configured with (not for refclocks). */
		uint8_t areq[64];
		size_t al = chr_req_ipaddr(areq, sizeof areq, sd.ip.family, sd.ip.addr);
		rc = request(c, CHR_REQ_NTP_SOURCE_NAME, areq, al, rp, &rl, &status);
		if (rc == 0 && chr_decode_source_name(rp, rl, s->name, sizeof s->name) != CHR_OK)
			s->name[0] = '\0';
		if (ntpdata_refused)
			continue;
		struct chr_ntp_data nd;
		rc = request(c, CHR_REQ_NTP_DATA, areq, al, rp, &rl, &status);
		if (rc == -EREMOTEIO && status == CHR_STT_UNAUTH) {
			ntpdata_refused = true;
			refused(st, "ntpdata", status);
			continue;
		}
		if (rc == 0 && chr_decode_ntp_data(rp, rl, &nd) == CHR_OK) {
			s->delay = nd.peer_delay;
			s->dispersion = nd.peer_dispersion;
			s->response_time = nd.response_time;
			s->ppoll = nd.poll;
			refid_text(nd.ref_id, &(struct chr_addr){ 0 }, s->refid, sizeof s->refid);
			if (nd.stratum >= 2 && nd.stratum < 16)
				snprintf(s->refid, sizeof s->refid, "%u.%u.%u.%u",
					 (unsigned)(nd.ref_id >> 24) & 255,
					 (unsigned)(nd.ref_id >> 16) & 255,
					 (unsigned)(nd.ref_id >> 8) & 255,
					 (unsigned)nd.ref_id & 255);
		}
	}
}

static void read_serverstats(chrc *c, dmn_status *st)
{
	uint8_t rp[CHR_MAX_PKT];
	size_t rl;
	uint16_t status;
	struct chr_serverstats s;
	int rc = request(c, CHR_REQ_SERVER_STATS, NULL, 0, rp, &rl, &status);
	if (rc == -EREMOTEIO) {
		refused(st, "serverstats", status);
		return;
	}
	if (rc == 0 && chr_decode_serverstats(rp, rl, &s) != CHR_OK)
		rc = -EPROTO;
	if (rc != 0) {
		dmn_add_error(st, "serverstats", "%s", errstr(rc, status));
		return;
	}
	dmn_add_counter(st, "ntp_hits", (double)s.ntp_hits);
	dmn_add_counter(st, "ntp_drops", (double)s.ntp_drops);
	dmn_add_counter(st, "cmd_hits", (double)s.cmd_hits);
	dmn_add_counter(st, "cmd_drops", (double)s.cmd_drops);
	dmn_add_counter(st, "log_drops", (double)s.log_drops);
	if (s.present & CHR_SS_NKE) {
		dmn_add_counter(st, "nke_hits", (double)s.nke_hits);
		dmn_add_counter(st, "nke_drops", (double)s.nke_drops);
	}
	if (s.present & CHR_SS_AUTH)
		dmn_add_counter(st, "ntp_auth_hits", (double)s.ntp_auth_hits);
	if (s.present & CHR_SS_INTERL) {
		dmn_add_counter(st, "ntp_interleaved_hits", (double)s.ntp_interleaved_hits);
		dmn_add_counter(st, "ntp_timestamps", (double)s.ntp_timestamps);
		dmn_add_counter(st, "ntp_span_seconds", (double)s.ntp_span_seconds);
	}
	if (s.present & CHR_SS_TSSRC) {
		dmn_add_counter(st, "ntp_daemon_rx_timestamps", (double)s.ntp_daemon_rx);
		dmn_add_counter(st, "ntp_daemon_tx_timestamps", (double)s.ntp_daemon_tx);
		dmn_add_counter(st, "ntp_kernel_rx_timestamps", (double)s.ntp_kernel_rx);
		dmn_add_counter(st, "ntp_kernel_tx_timestamps", (double)s.ntp_kernel_tx);
		dmn_add_counter(st, "ntp_hw_rx_timestamps", (double)s.ntp_hw_rx);
		dmn_add_counter(st, "ntp_hw_tx_timestamps", (double)s.ntp_hw_tx);
	}
}

static void read_activity(chrc *c, dmn_status *st)
{
	uint8_t rp[CHR_MAX_PKT];
	size_t rl;
	uint16_t status;
	struct chr_activity a;
	int rc = request(c, CHR_REQ_ACTIVITY, NULL, 0, rp, &rl, &status);
	if (rc != 0 || chr_decode_activity(rp, rl, &a) != CHR_OK)
		return; /* optional */
	dmn_add_counter(st, "sources_online", a.online);
	dmn_add_counter(st, "sources_offline", a.offline);
	dmn_add_counter(st, "sources_burst_online", a.burst_online);
	dmn_add_counter(st, "sources_burst_offline", a.burst_offline);
	dmn_add_counter(st, "sources_unresolved", a.unresolved);
}

static void read_clients(chrc *c, dmn_status *st, unsigned long limit)
{
	uint8_t rp[CHR_MAX_PKT];
	size_t rl;
	uint16_t status;
	uint32_t index = 0;
	str_copy(st->clients_from, "chronyd client log", sizeof st->clients_from);
	struct timespec now;
	clock_realtime(&now);
	for (unsigned long walked = 0; walked < MAX_CLIENTS_WALK;) {
		uint8_t req[64];
		size_t ql = chr_req_client_accesses(req, sizeof req, index,
						    CHR_MAX_CLIENTS_PER_REPLY, 0, 0);
		struct chr_client_accesses ca;
		int rc = request(c, CHR_REQ_CLIENT_ACCESSES_BY_INDEX3, req, ql, rp, &rl, &status);
		if (rc == -EREMOTEIO) {
			refused(st, "clients", status);
			return;
		}
		if (rc == 0 && chr_decode_client_accesses(rp, rl, &ca) != CHR_OK)
			rc = -EPROTO;
		if (rc != 0) {
			dmn_add_error(st, "clients", "%s", errstr(rc, status));
			return;
		}
		for (uint32_t i = 0; i < ca.n_clients; i++) {
			const struct chr_client *x = &ca.clients[i];
			st->clients_total++;
			walked++;
			if (limit && st->n_clients >= limit)
				continue;
			struct dmn_client *d = dmn_add_client(st);
			chr_addr_format(&x->ip, d->address, sizeof d->address);
			d->count = x->ntp_hits;
			d->drops = x->ntp_drops;
			if (x->last_ntp_hit_ago != 0xffffffffu)
				d->last = (double)now.tv_sec - x->last_ntp_hit_ago;
		}
		if (ca.next_index <= index || ca.next_index >= ca.n_indices)
			break;
		index = ca.next_index;
	}
	st->clients_read = true;
}

int chronyd_read(const struct chronyd_opts *o, dmn_status *st, char *err, size_t errlen)
{
	int e = 0;
	chrc *c = o->socket_path ? chrc_open_unix(o->socket_path, o->timeout, &e)
				 : chrc_open_udp(o->addr, o->timeout, &e);
	if (!c) {
		if (o->socket_path)
			snprintf(err, errlen, "%s: %s%s", o->socket_path, strerror(-e),
				 e == -EACCES ? " (run as root or as chrony's user)" : "");
		else
			snprintf(err, errlen, "cannot open a socket: %s", strerror(-e));
		return e;
	}
	int rc = read_tracking(c, st, err, errlen);
	if (rc == 0) {
		read_sources(c, st);
		read_serverstats(c, st);
		read_activity(c, st);
		if (o->clients)
			read_clients(c, st, o->client_limit);
	}
	chrc_close(c);
	return rc;
}

/* ---- the collector's `chronyd` source ---- */

struct chronyd_src {
	const struct source_params *p;
	dmn_status *st;
};

static void *chronyd_src_open(const struct source_params *p, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct chronyd_src *s = mem_calloc(1, sizeof *s);
	s->p = p;
	return s;
}

static int chronyd_src_sample(void *arg, double timeout, char *err, size_t errlen)
{
	struct chronyd_src *s = arg;
	dmn_free(s->st);
	s->st = dmn_new(DMN_CHRONYD);
	struct sockaddr_storage a;
	bool path = s->p->target[0] == '/';
	if (!path) {
		int rc = source_resolve(s->p->target, 323, &a, err, errlen);
		if (rc != 0)
			return rc;
	}
	struct chronyd_opts o = { timeout / 4, path ? s->p->target : NULL, path ? NULL : &a, false,
				  0 };
	return chronyd_read(&o, s->st, err, errlen);
}

static void chronyd_src_publish(void *arg, int rc, const struct source_out *o)
{
	struct chronyd_src *s = arg;
	if (rc == 0)
		dmn_publish(s->st, o);
}

static void chronyd_src_close(void *arg)
{
	struct chronyd_src *s = arg;
	if (!s)
		return;
	dmn_free(s->st);
	free(s);
}

const struct source_ops chronyd_source = {
	.kind = "chronyd",
	.threaded = true,
	.open = chronyd_src_open,
	.sample = chronyd_src_sample,
	.publish = chronyd_src_publish,
	.close = chronyd_src_close,
};
