/* server.c - the `server` source; see server.h. */
#include "sources/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/mem.h"
#include "net/addr.h"
#include "net/ntp_client.h"
#include "net/nts.h"
#include "net/nts_ke.h"

/* A new key exchange at least this often, so that the certificate's days
 * left stay current and a broken NTS-KE server is noticed. */
#define NTS_REKEY_SECONDS 3600.0

struct server_src {
	const struct source_params *p;
	keyring *kr;
	const struct key *key;
	struct ntpc_target tgt;
	bool have_tgt;
	struct ntpc_summary sum;
	/* NTS */
	nts_session *nts;
	bool nts_rekey;			  /* the last reply was an NTS NAK */
	double ke_mono;			  /* when the last key exchange ran (0: never) */
	bool ke_ran;			  /* in this sample */
	int ke_rc;			  /* the last key exchange's result */
	struct nts_ke_result ke;	  /* its figures (keys and cookies wiped) */
	struct sockaddr_storage ntp_addr; /* the NTP server it named */
	uint8_t verdict;		  /* the sample's NTS verdict (enum nts_verdict) */
};

/* Runs a key exchange when there is no session, no cookie left, after a
 * NAK, or an hour after the last.  0, or the failure with err set. */
static int nts_ensure(struct server_src *s, double timeout, char *err, size_t errlen)
{
	s->ke_ran = false;
	double now = clock_mono_sec();
	if (s->nts && !s->nts_rekey && nts_session_cookies(s->nts) > 0 &&
	    now - s->ke_mono < NTS_REKEY_SECONDS)
		return 0;
	struct addr_spec spec;
	if (addr_parse_spec(s->p->target, NTS_KE_PORT, &spec, err, errlen) != 0)
		return -EINVAL;
	struct nts_ke_opts o = {
		.host = spec.host, .port = spec.port, .ca_file = s->p->ca, .timeout = timeout
	};
	nts_session_free(s->nts);
	s->nts = NULL;
	s->ke_ran = true;
	s->ke_mono = now;
	s->nts_rekey = false;
	memset(&s->ke, 0, sizeof s->ke);
	s->ke_rc = nts_ke_run(&o, &s->ke, err, errlen);
	if (s->ke_rc == 0) {
		s->nts = nts_session_new(&s->ke);
		char hp[300];
		snprintf(hp, sizeof hp, strchr(s->ke.server, ':') ? "[%s]:%u" : "%s:%u",
			 s->ke.server, s->ke.port);
		int rc = source_resolve(hp, 123, &s->ntp_addr, err, errlen);
		if (rc != 0) {
			s->ke_rc = rc;
			nts_session_free(s->nts);
			s->nts = NULL;
		}
	}
	nts_ke_result_wipe(&s->ke);
	return s->ke_rc;
}

static void *server_open(const struct source_params *p, char *err, size_t errlen)
{
	struct server_src *s = mem_calloc(1, sizeof *s);
	s->p = p;
	if (source_load_key(p, &s->kr, &s->key, err, errlen) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int server_sample(void *st, double timeout, char *err, size_t errlen)
{
	struct server_src *s = st;
	if (s->have_tgt)
		ntpc_target_fini(&s->tgt);
	s->have_tgt = false;
	memset(&s->tgt, 0, sizeof s->tgt);
	memset(&s->sum, 0, sizeof s->sum);
	s->sum.status = NTPC_UNREACHABLE; /* until it answers */
	s->verdict = NTS_V_OK;
	int rc;
	if (s->p->nts) {
		/* the key exchange and the query share the timeout */
		double t0 = clock_mono_sec();
		rc = nts_ensure(s, timeout * 0.6, err, errlen);
		if (rc != 0)
			return rc;
		timeout -= clock_mono_sec() - t0;
		if (timeout < 0.2)
			timeout = 0.2;
		s->tgt.addr = s->ntp_addr;
		s->tgt.nts = s->nts;
	} else {
		rc = source_resolve(s->p->target, 123, &s->tgt.addr, err, errlen);
		if (rc != 0)
			return rc;
	}
	struct ntpc_opts o = { 1, 0, timeout, s->key, NULL, 0 };
	ntpc_target_init(&s->tgt, &o);
	s->have_tgt = true;
	rc = ntpc_run(&s->tgt, 1, &o);
	ntpc_summarize(&s->tgt, s->key != NULL || s->p->nts, &s->sum);
	if (s->p->nts && s->tgt.n_samples && s->tgt.samples[0].state == NTPC_S_AUTH) {
		s->verdict = s->tgt.samples[0].nts;
		if (s->verdict == NTS_V_NAK)
			s->nts_rekey = true;
		static const char *const why[] = {
			[NTS_V_NAK] = "NTS NAK: the server refused the cookie (a new key exchange "
				      "follows)",
			[NTS_V_NO_UID] = "a reply without our unique identifier",
			[NTS_V_NO_AUTH] = "a reply without an NTS authenticator",
			[NTS_V_BAD_AUTH] = "the reply's NTS authenticator does not verify",
			[NTS_V_MALFORMED] = "a reply with malformed NTS fields",
		};
		unsigned v = s->verdict;
		snprintf(err, errlen, "NTS: %s",
			 v < sizeof why / sizeof why[0] && why[v] ? why[v] : "failed");
		return -EACCES;
	}
	if (rc == 0 && s->sum.status != NTPC_OK && s->sum.status != NTPC_UNSYNC) {
		static const char *const why[] = {
			[NTPC_TIMEOUT] = "no reply",
			[NTPC_UNREACHABLE] = "unreachable",
			[NTPC_KOD] = "kiss-o'-death",
			[NTPC_AUTH_FAILED] = "authentication failed",
			[NTPC_INVALID] = "invalid replies",
		};
		unsigned k = s->sum.status;
		snprintf(err, errlen, "no usable reply: %s",
			 k < sizeof why / sizeof why[0] && why[k] ? why[k] : "?");
		return -EIO;
	}
	return rc;
}

static void server_publish(void *st, int rc, const struct source_out *o)
{
	const struct server_src *s = st;
	(void)rc; /* a failed sample has its status in the summary: up 0 */
	const struct ntpc_summary *m = &s->sum;
	o->put(o->ctx, "sundial_query_up", "1 if the server gave a usable time.", METRIC_GAUGE,
	       NULL, m->status == NTPC_OK);
	if (m->best) {
		o->put(o->ctx, "sundial_query_offset_seconds", "Offset of the server's clock.",
		       METRIC_GAUGE, NULL, m->offset_median);
		o->put(o->ctx, "sundial_query_delay_seconds", "Round-trip delay.", METRIC_GAUGE,
		       NULL, m->delay_min);
		o->put(o->ctx, "sundial_query_stratum", "The server's stratum.", METRIC_GAUGE, NULL,
		       m->best->reply.stratum);
		o->put(o->ctx, "sundial_query_leap", "Leap indicator.", METRIC_GAUGE, NULL,
		       m->best->reply.leap);
		o->put(o->ctx, "sundial_query_root_distance_seconds", "Root distance.",
		       METRIC_GAUGE, NULL, m->root_distance);
	}
	o->put(o->ctx, "sundial_query_kod", "1 if the server sent a kiss-o'-death.", METRIC_GAUGE,
	       NULL, m->status == NTPC_KOD);
	if (!s->p->nts)
		return;
	o->put(o->ctx, "sundial_nts_ok", "1 if the last request was authenticated by NTS.",
	       METRIC_GAUGE, NULL, rc == 0 && s->verdict == NTS_V_OK);
	o->put(o->ctx, "sundial_nts_ke_ok", "1 if the last NTS key exchange worked.", METRIC_GAUGE,
	       NULL, s->ke_rc == 0 && s->ke_mono > 0);
	if (s->ke_ran && s->ke_rc == 0)
		o->put(o->ctx, "sundial_nts_ke_seconds", "How long the last NTS key exchange took.",
		       METRIC_GAUGE, NULL, s->ke.seconds);
	if (s->ke.have_cert)
		o->put(o->ctx, "sundial_nts_certificate_remaining_seconds",
		       "Time until the NTS-KE server's certificate expires (negative: expired).",
		       METRIC_GAUGE, NULL, s->ke.days_left * 86400);
	o->put(o->ctx, "sundial_nts_cookies", "NTS cookies left for requests.", METRIC_GAUGE, NULL,
	       s->nts ? (double)nts_session_cookies(s->nts) : 0);
}

static void server_close(void *st)
{
	struct server_src *s = st;
	if (!s)
		return;
	if (s->have_tgt)
		ntpc_target_fini(&s->tgt);
	keyring_free(s->kr);
	nts_session_free(s->nts);
	nts_ke_result_wipe(&s->ke);
	free(s);
}

const struct source_ops server_source = {
	.kind = "server",
	.threaded = true,
	.open = server_open,
	.sample = server_sample,
	.publish = server_publish,
	.close = server_close,
};
