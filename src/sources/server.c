/* server.c - the `server` source; see server.h. */
#include "sources/server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "net/ntp_client.h"

struct server_src {
	const struct source_params *p;
	keyring *kr;
	const struct key *key;
	struct ntpc_target tgt;
	bool have_tgt;
	struct ntpc_summary sum;
};

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
	int rc = source_resolve(s->p->target, 123, &s->tgt.addr, err, errlen);
	if (rc != 0)
		return rc;
	struct ntpc_opts o = { 1, 0, timeout, s->key, NULL, 0 };
	ntpc_target_init(&s->tgt, &o);
	s->have_tgt = true;
	rc = ntpc_run(&s->tgt, 1, &o);
	ntpc_summarize(&s->tgt, s->key != NULL, &s->sum);
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
}

static void server_close(void *st)
{
	struct server_src *s = st;
	if (!s)
		return;
	if (s->have_tgt)
		ntpc_target_fini(&s->tgt);
	keyring_free(s->kr);
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
