/* outage.c - outages in a stream of probe results; see outage.h.
 *
 * The probes in flight live in a ring indexed by sequence number, from base
 * (the oldest not yet judged) to next (the next to be sent).  Results mark
 * entries; judge() then takes the final entries off the front in send order
 * and runs the rule over them: a run of probes without a good answer that
 * reaches min_lost is an outage, which the next good answer ends.
 *
 * Reasons are interned in the run's table (st.reasons): an entry holds the
 * index of its reason, REASON_OTHER once the table is full.
 */
#include "analysis/outage.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

enum state { ST_PENDING = 0, ST_GOOD, ST_LOST, ST_FAILED };

#define REASON_OTHER OUTAGE_REASONS
_Static_assert(OUTAGE_REASONS < UINT8_MAX, "an entry's reason index is a uint8_t");

struct entry {
	double sent;
	double at; /* answer time (ST_GOOD) */
	uint8_t state;
	uint8_t reason; /* ST_FAILED: index in st.reasons, or REASON_OTHER */
};

struct outage_det {
	struct outage_cfg cfg;
	struct entry *ring; /* cap entries, a power of two */
	size_t cap;
	uint64_t base; /* oldest entry not judged */
	uint64_t next; /* next sequence number to be sent */
	bool started;  /* a probe was sent */
	bool finished;
	double last_sent;

	/* The rule's state. */
	bool have_good;		 /* a good answer was judged */
	struct outage_good good; /* the last one */
	uint64_t run;		 /* probes without a good answer since it */
	uint64_t run_failed;	 /* of those, failed */
	uint64_t run_first;	 /* the first of the run */
	double run_first_sent, run_last_sent;
	struct entry run_first_e;		    /* the first's state and reason */
	uint64_t run_by_reason[OUTAGE_REASONS + 1]; /* the failed by reason */

	struct outage_event *events; /* queue: [ev_head, ev_len) */
	size_t ev_head, ev_len, ev_cap;

	struct outage_stats st;
};

outage_det *outage_new(const struct outage_cfg *cfg)
{
	if (!cfg || !isfinite(cfg->timeout) || cfg->timeout <= 0 || cfg->min_lost == 0)
		return NULL;
	outage_det *d = mem_calloc(1, sizeof *d);
	d->cfg = *cfg;
	d->cap = 64;
	d->ring = mem_calloc(d->cap, sizeof *d->ring);
	return d;
}

void outage_free(outage_det *d)
{
	if (!d)
		return;
	free(d->ring);
	free(d->events);
	free(d);
}

static struct entry *slot(const outage_det *d, uint64_t seq)
{
	return &d->ring[seq & (d->cap - 1)];
}

static void grow(outage_det *d)
{
	size_t cap = d->cap * 2;
	struct entry *r = mem_calloc(cap, sizeof *r);
	for (uint64_t s = d->base; s < d->next; s++)
		r[s & (cap - 1)] = *slot(d, s);
	free(d->ring);
	d->ring = r;
	d->cap = cap;
}

static void push_event(outage_det *d, const struct outage_event *ev)
{
	if (d->ev_len == d->ev_cap) {
		d->ev_cap = d->ev_cap ? d->ev_cap * 2 : 8;
		d->events = mem_realloc(d->events, d->ev_cap * sizeof *d->events);
	}
	d->events[d->ev_len++] = *ev;
	d->st.outages++;
	if (ev->duration > d->st.longest)
		d->st.longest = ev->duration;
	d->st.total += ev->duration;
}

/* The index of reason why in the run's table, added if new and there is
 * room; REASON_OTHER if not. */
static uint8_t intern(outage_det *d, const char *why)
{
	char w[OUTAGE_REASON_LEN];
	str_copy(w, why && *why ? why : "error", sizeof w);
	for (size_t i = 0; i < d->st.n_reasons; i++)
		if (strcmp(d->st.reasons[i].why, w) == 0)
			return (uint8_t)i;
	if (d->st.n_reasons == OUTAGE_REASONS)
		return REASON_OTHER;
	memcpy(d->st.reasons[d->st.n_reasons].why, w, sizeof w);
	return (uint8_t)d->st.n_reasons++;
}

/* The run so far as an event (before and first_* filled, not after). */
static void run_event(const outage_det *d, struct outage_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->have_before = d->have_good;
	if (d->have_good)
		ev->before = d->good;
	ev->first_seq = d->run_first;
	ev->lost = d->run;
	ev->failed = d->run_failed;
	ev->timeouts = d->run - d->run_failed;
	ev->first_lost_sent = d->run_first_sent;
	ev->last_lost_sent = d->run_last_sent;
	const struct entry *f = &d->run_first_e;
	str_copy(ev->first_reason,
		 f->state != ST_FAILED	     ? "timeout"
		 : f->reason == REASON_OTHER ? "other"
					     : d->st.reasons[f->reason].why,
		 sizeof ev->first_reason);
	for (size_t i = 0; i < d->st.n_reasons; i++) {
		if (d->run_by_reason[i] == 0)
			continue;
		ev->reasons[ev->n_reasons] = d->st.reasons[i];
		ev->reasons[ev->n_reasons++].count = d->run_by_reason[i];
	}
	ev->reasons_other = d->run_by_reason[REASON_OTHER];
}

/* The start of the outage, for its duration. */
static double run_start(const struct outage_event *ev)
{
	return ev->have_before ? ev->before.at : ev->first_lost_sent;
}

static void judge_one(outage_det *d, uint64_t seq, const struct entry *e)
{
	if (e->state != ST_GOOD) {
		if (d->run == 0) {
			d->run_first = seq;
			d->run_first_sent = e->sent;
			d->run_first_e = *e;
		}
		d->run++;
		d->run_last_sent = e->sent;
		if (e->state == ST_FAILED) {
			d->run_failed++;
			d->run_by_reason[e->reason]++;
		}
		return;
	}
	struct outage_good g = { seq, e->sent, e->at, e->at - e->sent };
	if (d->run >= d->cfg.min_lost) {
		struct outage_event ev;
		run_event(d, &ev);
		ev.ended = true;
		ev.after = g;
		ev.duration = g.at - run_start(&ev);
		push_event(d, &ev);
	} else {
		d->st.isolated += d->run;
	}
	d->run = 0;
	d->run_failed = 0;
	memset(d->run_by_reason, 0, sizeof d->run_by_reason);
	d->have_good = true;
	d->good = g;
}

/* Judges the final entries at the front, in send order. */
static void judge(outage_det *d)
{
	while (d->base < d->next) {
		struct entry *e = slot(d, d->base);
		if (e->state == ST_PENDING)
			break;
		judge_one(d, d->base, e);
		d->base++;
	}
}

int outage_sent(outage_det *d, uint64_t seq, double sent)
{
	if (d->finished || !isfinite(sent))
		return -EINVAL;
	if (d->started && (seq != d->next || sent < d->last_sent))
		return -EINVAL;
	if (!d->started) {
		d->started = true;
		d->base = d->next = seq;
	}
	if (d->next - d->base >= d->cap)
		grow(d);
	struct entry *e = slot(d, seq);
	memset(e, 0, sizeof *e);
	e->sent = sent;
	e->state = ST_PENDING;
	d->next = seq + 1;
	d->last_sent = sent;
	d->st.sent++;
	return 0;
}

static struct entry *pending(outage_det *d, uint64_t seq)
{
	if (d->finished || !d->started || seq < d->base || seq >= d->next)
		return NULL;
	struct entry *e = slot(d, seq);
	return e->state == ST_PENDING ? e : NULL;
}

static void mark_lost(outage_det *d, struct entry *e)
{
	e->state = ST_LOST;
	d->st.lost++;
}

int outage_answered(outage_det *d, uint64_t seq, double at)
{
	struct entry *e = pending(d, seq);
	if (!e) {
		/* Judged already: lost by outage_expire (a late answer, if
		 * its entry is still in the ring), or answered before (a
		 * duplicate, not counted). */
		if (!d->finished && d->started && seq < d->base && d->next - seq <= d->cap &&
		    slot(d, seq)->state == ST_LOST)
			d->st.late++;
		return -ENOENT;
	}
	if (!isfinite(at) || at < e->sent)
		return -EINVAL;
	double rtt = at - e->sent;
	if (rtt > d->cfg.timeout) {
		mark_lost(d, e);
		d->st.late++;
	} else {
		e->state = ST_GOOD;
		e->at = at;
		if (d->st.answered == 0 || rtt < d->st.rtt_min)
			d->st.rtt_min = rtt;
		if (rtt > d->st.rtt_max)
			d->st.rtt_max = rtt;
		d->st.rtt_sum += rtt;
		d->st.answered++;
	}
	judge(d);
	return 0;
}

int outage_failed(outage_det *d, uint64_t seq, double at, const char *why)
{
	struct entry *e = pending(d, seq);
	if (!e)
		return -ENOENT;
	if (!isfinite(at) || at < e->sent)
		return -EINVAL;
	if (at - e->sent > d->cfg.timeout) {
		mark_lost(d, e);
	} else {
		e->state = ST_FAILED;
		e->reason = intern(d, why);
		if (e->reason == REASON_OTHER)
			d->st.reasons_other++;
		else
			d->st.reasons[e->reason].count++;
		d->st.failed++;
	}
	judge(d);
	return 0;
}

size_t outage_expire(outage_det *d, double now)
{
	size_t n = 0;
	if (d->finished || !d->started)
		return 0;
	for (uint64_t s = d->base; s < d->next; s++) {
		struct entry *e = slot(d, s);
		if (e->sent + d->cfg.timeout > now)
			break; /* sent in order: the rest are younger */
		if (e->state == ST_PENDING) {
			mark_lost(d, e);
			n++;
		}
	}
	judge(d);
	return n;
}

double outage_next_expiry(const outage_det *d)
{
	if (d->finished || !d->started)
		return -1;
	for (uint64_t s = d->base; s < d->next; s++) {
		const struct entry *e = slot(d, s);
		if (e->state == ST_PENDING)
			return e->sent + d->cfg.timeout;
	}
	return -1;
}

bool outage_next_event(outage_det *d, struct outage_event *ev)
{
	if (d->ev_head == d->ev_len)
		return false;
	*ev = d->events[d->ev_head++];
	if (d->ev_head == d->ev_len)
		d->ev_head = d->ev_len = 0;
	return true;
}

void outage_finish(outage_det *d, double now)
{
	if (d->finished)
		return;
	(void)outage_expire(d, now);
	/* What is left from base on: the probes still pending, and those
	 * judged behind them.  The pending ones are left out; the others are
	 * judged in send order as if the pending ones had never been sent. */
	for (uint64_t s = d->base; s < d->next; s++) {
		struct entry *e = slot(d, s);
		if (e->state == ST_PENDING)
			d->st.in_flight++;
		else
			judge_one(d, s, e);
	}
	d->base = d->next;
	if (d->run >= d->cfg.min_lost) {
		struct outage_event ev;
		run_event(d, &ev);
		ev.ended = false;
		ev.duration = now - run_start(&ev);
		if (ev.duration < 0)
			ev.duration = 0;
		push_event(d, &ev);
	} else {
		d->st.isolated += d->run;
	}
	d->run = 0;
	d->finished = true;
}

const struct outage_stats *outage_stats(const outage_det *d)
{
	return &d->st;
}
