/* outage.h - outages in a stream of probe results: pure logic, no I/O.
 *
 * A prober sends probes numbered 0, 1, 2, ... in that order and tells the
 * detector when each was sent and what became of it: answered (at a time, so
 * with a round-trip time), failed (an error came back: refused, unreachable,
 * a kiss-o'-death) or, when no answer came within the timeout, lost.  Answers
 * come back out of order (probes overlap: a lost probe is only known to be
 * lost a timeout after it was sent, while later ones are answered), so the
 * detector keeps the probes in flight and judges them in the order they were
 * sent, each once it is final.
 *
 * The rule: an outage is a run of at least min_lost consecutive probes (in
 * send order) without a good answer; shorter runs are isolated losses.  An
 * outage ends with the first good answer after it, and it lasts from the last
 * good answer before it to that first good answer after it (both on the
 * caller's monotonic clock): every probe sent in between went unanswered.
 * The service was seen answering at both ends, so that is an upper bound of
 * the time it did not answer; its resolution is the probe interval (the true
 * outage began up to one interval after the last good probe was sent, and
 * ended up to one interval before the first good one was).
 *
 * An answer later than the timeout counts as lost (the probe was already
 * judged, or is judged so).  Times are seconds (double) on one monotonic
 * clock, passed in by the caller: the detector never reads a clock.
 *
 * Why a probe had no good answer: it timed out (lost), or it failed with a
 * reason the caller gives ("port unreachable from 192.0.2.1", "SERVFAIL").
 * Failed probes are counted by reason, per outage and over the run; the
 * first OUTAGE_REASONS distinct reasons of a run are told apart, later new
 * ones are counted together as "other".
 */
#ifndef SUNDIAL_ANALYSIS_OUTAGE_H
#define SUNDIAL_ANALYSIS_OUTAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct outage_det outage_det;

#define OUTAGE_REASON_LEN 96 /* a reason with its NUL; longer ones are cut */
#define OUTAGE_REASONS 16    /* distinct reasons told apart in a run */

/* How many failed probes had one reason. */
struct outage_reason {
	char why[OUTAGE_REASON_LEN];
	uint64_t count;
};

struct outage_cfg {
	double timeout;	   /* seconds: a probe not answered within this is lost; > 0 */
	unsigned min_lost; /* consecutive probes without an answer that make an outage; >= 1 */
};

/* One good answer at an end of an outage. */
struct outage_good {
	uint64_t seq; /* the probe */
	double sent;  /* when it was sent */
	double at;    /* when its answer came (sent + rtt) */
	double rtt;   /* round-trip time, seconds */
};

/* One outage, reported when it ends (or at outage_finish while still on). */
struct outage_event {
	bool have_before;	   /* a good answer came before it (false: down from the start) */
	bool ended;		   /* a good answer came after it (false: still down at the end) */
	struct outage_good before; /* the last good answer before (if have_before) */
	struct outage_good after;  /* the first good answer after (if ended) */
	uint64_t first_seq;	   /* the first probe without a good answer */
	uint64_t lost;		   /* probes without a good answer: timed out + failed */
	uint64_t failed;	   /* of those, answered with an error */
	uint64_t timeouts;	   /* of those, timed out (lost - failed) */
	/* The first probe's reason: "timeout", or why it failed ("other"
	 * if its reason came after OUTAGE_REASONS others in the run). */
	char first_reason[OUTAGE_REASON_LEN];
	/* The failed probes by reason, in the order the reasons first came in
	 * the run; reasons_other: those with a reason not told apart. */
	struct outage_reason reasons[OUTAGE_REASONS];
	size_t n_reasons;
	uint64_t reasons_other;
	double first_lost_sent; /* when the first of them was sent */
	double last_lost_sent;	/* when the last of them was sent */
	/* after.at - before.at; without a good answer before, from the first
	 * lost probe's send time; still down at the end, up to the end. */
	double duration;
};

/* Counters over the whole run. */
struct outage_stats {
	uint64_t sent;	    /* probes sent */
	uint64_t answered;  /* good answers within the timeout */
	uint64_t lost;	    /* no answer within the timeout (late ones included) */
	uint64_t late;	    /* of the lost: an answer came, after the timeout */
	uint64_t failed;    /* answered with an error */
	uint64_t in_flight; /* at outage_finish: neither answered nor timed out yet */
	uint64_t isolated;  /* probes without a good answer in runs shorter than min_lost */
	uint64_t outages;   /* outages reported (ended or not) */
	double longest;	    /* the longest outage's duration */
	double total;	    /* the sum of the outages' durations */
	double rtt_min, rtt_max, rtt_sum; /* over the good answers */
	/* The failed probes by reason, in the order the reasons first came;
	 * reasons_other: those after OUTAGE_REASONS distinct ones. */
	struct outage_reason reasons[OUTAGE_REASONS];
	size_t n_reasons;
	uint64_t reasons_other;
};

/* A detector for cfg (copied).  Returns NULL if cfg is out of range
 * (timeout <= 0 or not finite, min_lost 0).  Free with outage_free(). */
outage_det *outage_new(const struct outage_cfg *cfg);
void outage_free(outage_det *d);

/* Probe seq was sent at time sent.  Probes must be reported sent in order
 * without gaps (0, 1, 2, ...; the first may be any number) and at times that
 * never go back.  Returns 0, or -EINVAL if seq is not the next one or the
 * time goes back (nothing recorded). */
int outage_sent(outage_det *d, uint64_t seq, double sent) __attribute__((warn_unused_result));

/* Probe seq was answered at time at (rtt = at - sent).  An answer after the
 * timeout counts the probe as lost (and late).  Returns 0; -ENOENT if seq is
 * not in flight (never sent, or already judged: a duplicate, or a late
 * answer after outage_expire, which is then counted late); -EINVAL if at is
 * before the send time.  A caller that passes what its prober matched may ignore
 * the result: the late and duplicate answers are counted here. */
int outage_answered(outage_det *d, uint64_t seq, double at);

/* Probe seq got an error back at time at (refused, unreachable, an error
 * reply); why says what (copied, cut to OUTAGE_REASON_LEN - 1; NULL or "":
 * "error").  An error after the timeout counts the probe as lost, like an
 * answer.  Returns 0 or -ENOENT like outage_answered(). */
int outage_failed(outage_det *d, uint64_t seq, double at, const char *why);

/* Judges every probe in flight sent at or before now - timeout as lost.
 * Returns how many were. */
size_t outage_expire(outage_det *d, double now);

/* The time at which the oldest probe in flight times out, or a negative
 * value if none is in flight (for the caller's sleep). */
double outage_next_expiry(const outage_det *d);

/* The next outage that ended, oldest first: true and *ev filled, or false
 * when there is none.  Outages are queued by the calls above. */
bool outage_next_event(outage_det *d, struct outage_event *ev);

/* Ends the run at time now: probes that timed out by now are lost, the rest
 * of those in flight are left out (counted in_flight: neither answered nor
 * lost, they do not end an outage and are not part of one), queued events
 * stay queued, and an outage still on (min_lost or more without a good
 * answer at the end) is queued with ended = false and lasting until now.
 * After it only outage_next_event() and outage_stats() may be called. */
void outage_finish(outage_det *d, double now);

/* The counters so far (borrowed until outage_free). */
const struct outage_stats *outage_stats(const outage_det *d);

#endif
