/* delta.c - response times from a time server's packets; see delta.h.
 *
 * Requests wait in a ring buffer in arrival order (so that expiry pops the
 * head) and are found through an open-addressing hash table keyed by the
 * flow and the request's transmit timestamp; a response looks up its flow
 * and origin timestamp.  Every lookup is one probe sequence: no per-flow
 * lists, and any number of requests outstanding on one flow.
 *
 *   request, key not seen            -> pending
 *   request, key seen (same xmt)     -> a retransmit: the newer copy replaces
 *                                       the older (as tshark pairs a reply with
 *                                       the latest request)
 *   response, key pending            -> a pair; the request stays, answered,
 *                                       until the timeout to catch duplicates
 *   response, key answered           -> a duplicate
 *   response, key not seen / expired -> unmatched
 *   pending request older than the timeout (or left at delta_finish())
 *                                    -> unanswered, forgotten
 *
 * At most MAX_PENDING requests are kept (a flood of spoofed requests cannot
 * take all memory); beyond that the oldest is expired early.
 *
 * Times are integer nanoseconds, so a wire delta is the exact difference of
 * the two capture times.  Percentiles are exact: every wire delta (and T3 -
 * T2, rounded to the nanosecond) is kept once, 8 bytes per pair, in the
 * current interval's array; delta_interval_take() moves the interval's
 * values to the array of closed intervals.  A query selects the nearest
 * ranks (quickselect, each rank above the previous one searched for above
 * it: about two passes over the values for all four wire percentiles, no
 * sort) over a scratch copy of both arrays, or in place when one of them is
 * empty, as it is for a report without --every.  That is fine up
 * to tens of millions of pairs; past QS_EXACT_MAX (16.7 million) values an
 * array turns into a log-linear histogram of nanoseconds (HDR-style: 1024
 * sub-buckets per power of two, 295 KiB) whose percentiles are within 0.05%
 * of the exact value (negative deltas, from merged clocks, count as 0 there).
 */
#include "analysis/delta.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "analysis/hll.h"
#include "analysis/select.h"
#include "common/mem.h"

#define MAX_PENDING ((size_t)1 << 22)
#ifndef QS_EXACT_MAX /* smaller in a test build */
#define QS_EXACT_MAX ((size_t)1 << 24)
#endif
#define HDR_LINEAR 2048 /* nanoseconds 0 .. 2047, one bucket each */
#define HDR_SUB 1024	/* then 1024 per power of two */
#define HDR_EXP 44	/* up to 2^44 ns (4.9 hours) */
#define HDR_N (HDR_LINEAR + (HDR_EXP - 11) * HDR_SUB)

enum { ST_DEAD, ST_PENDING, ST_ANSWERED };

struct dent { /* 64 bytes: one cache line */
	uint64_t xmt;
	int64_t t; /* capture time, ns */
	uint8_t client[16], server[16];
	uint16_t cport, sport;
	uint32_t h; /* the key's hash, kept for unindexing and rebuilding */
	uint8_t ver;
	uint8_t state;
};

/* index + 1 (0: empty) and the low 32 bits of the hash (home: h & mask). */
struct slot {
	uint32_t idx1;
	uint32_t h;
};

/* Values for percentiles, in nanoseconds: exact array, or the histogram
 * past QS_EXACT_MAX. */
struct qstore {
	int64_t *v;
	size_t n, cap;
	uint64_t *hdr;
	uint64_t hdr_n;
	int64_t min, max;
};

struct scope {
	uint64_t requests, responses, pairs, unanswered, retransmits, duplicates, unmatched, kod;
	uint64_t hist[DELTA_HIST];
};

struct delta {
	int64_t timeout; /* ns */
	void (*fn)(void *arg, const struct delta_pair *p);
	void *arg;
	/* The hash seed, read by the *_key_make() of another thread for every
	 * packet: alone in its cache line, so that the writes to the fields
	 * around it do not take the line away from that thread each time. */
	char pad0[64];
	uint64_t seed;
	char pad1[64];
	uint64_t rng; /* for quickselect's pivots */
	bool started;
	int64_t now; /* latest capture time seen */

	struct dent *ring; /* cap entries; sequence number s lives at s & (cap - 1) */
	size_t cap;
	uint32_t head, tail; /* sequence numbers, tail - head entries */
	struct slot *slot;   /* 2 * cap slots */
	size_t slot_cap;

	struct scope total, iv;
	/* Wire deltas and T3 - T2: of the closed intervals, of the current one. */
	struct qstore wire_closed, wire_iv, server_closed, server_iv;
};

/* ---- value stores ---- */

static void qs_init(struct qstore *q)
{
	memset(q, 0, sizeof *q);
	q->min = INT64_MAX;
	q->max = INT64_MIN;
}

static void qs_free(struct qstore *q)
{
	free(q->v);
	free(q->hdr);
}

static size_t hdr_index(int64_t ns)
{
	if (ns <= 0)
		return 0;
	if (ns >= (int64_t)1 << HDR_EXP)
		return HDR_N - 1;
	uint64_t v = (uint64_t)ns;
	if (v < HDR_LINEAR)
		return (size_t)v;
	unsigned e = 63 - (unsigned)__builtin_clzll(v); /* >= 11 */
	return HDR_LINEAR + (size_t)(e - 11) * HDR_SUB + (size_t)((v >> (e - 10)) & (HDR_SUB - 1));
}

/* The middle of bucket i, in nanoseconds (the value itself below
 * HDR_LINEAR). */
static int64_t hdr_value(size_t i)
{
	if (i < HDR_LINEAR)
		return (int64_t)i;
	int e = 11 + (int)((i - HDR_LINEAR) / HDR_SUB);
	int64_t sub = (int64_t)((i - HDR_LINEAR) % HDR_SUB);
	return ((HDR_SUB + sub) << (e - 10)) + ((int64_t)1 << (e - 11));
}

/* Adds the values of q (array or histogram) to histogram h. */
static void hdr_add_all(uint64_t *h, const struct qstore *q)
{
	if (q->hdr) {
		for (size_t i = 0; i < HDR_N; i++)
			h[i] += q->hdr[i];
	} else {
		for (size_t i = 0; i < q->n; i++)
			h[hdr_index(q->v[i])]++;
	}
}

/* From an array to a histogram. */
static void qs_to_hdr(struct qstore *q)
{
	if (q->hdr)
		return;
	uint64_t *h = mem_calloc(HDR_N, sizeof h[0]);
	hdr_add_all(h, q);
	q->hdr = h;
	q->hdr_n = q->n;
	free(q->v);
	q->v = NULL;
	q->n = q->cap = 0;
}

static void qs_add(struct qstore *q, int64_t x)
{
	if (x < q->min)
		q->min = x;
	if (x > q->max)
		q->max = x;
	if (!q->hdr && q->n == q->cap) {
		if (q->cap >= QS_EXACT_MAX) {
			qs_to_hdr(q);
		} else {
			q->cap = q->cap ? q->cap * 2 : 256;
			q->v = mem_realloc(q->v, q->cap * sizeof q->v[0]);
		}
	}
	if (q->hdr) {
		q->hdr[hdr_index(x)]++;
		q->hdr_n++;
		return;
	}
	q->v[q->n++] = x;
}

static uint64_t qs_count(const struct qstore *q)
{
	return q->hdr ? q->hdr_n : q->n;
}

/* Nearest-rank quantiles over the values of a and b together, for the
 * fractions p[0 .. np) in ascending order: the smallest value with at least a
 * fraction p of them at or below it, in seconds; NAN when there are none.
 * Exact arrays are partly reordered in place (their order means nothing). */
static void qs_quantiles(struct qstore *a, struct qstore *b, const double *p, size_t np,
			 uint64_t *prng, double *out)
{
	uint64_t n = qs_count(a) + qs_count(b);
	size_t *rank = mem_alloc((np ? np : 1) * sizeof rank[0]);
	for (size_t i = 0; i < np; i++) {
		rank[i] = n ? select_rank(p[i], (size_t)n) + 1 : 1;
		out[i] = NAN;
	}
	if (n == 0) {
		free(rank);
		return;
	}
	if (!a->hdr && !b->hdr) {
		int64_t *v = a->v, *tmp = NULL;
		if (a->n == 0) {
			v = b->v;
		} else if (b->n > 0) { /* both: a scratch copy */
			v = tmp = mem_alloc((size_t)n * sizeof v[0]);
			memcpy(v, a->v, a->n * sizeof v[0]);
			memcpy(v + a->n, b->v, b->n * sizeof v[0]);
		}
		size_t lo = 0;
		for (size_t i = 0; i < np; i++) {
			size_t k = rank[i] - 1;
			if (k < lo) /* fractions out of order: start over */
				lo = 0;
			select_i64(v, lo, (size_t)n, k, prng);
			out[i] = (double)v[k] / 1e9;
			lo = k;
		}
		free(tmp);
		free(rank);
		return;
	}
	uint64_t *h = mem_calloc(HDR_N, sizeof h[0]);
	hdr_add_all(h, a);
	hdr_add_all(h, b);
	int64_t min = a->min < b->min ? a->min : b->min, max = a->max > b->max ? a->max : b->max;
	for (size_t i = 0; i < np; i++) {
		int64_t v = max;
		uint64_t cum = 0;
		for (size_t j = 0; j < HDR_N; j++) {
			cum += h[j];
			if (cum >= rank[i]) {
				v = hdr_value(j);
				break;
			}
		}
		out[i] = (double)(v < min ? min : v > max ? max : v) / 1e9;
	}
	free(h);
	free(rank);
}

/* Empties the store; a large array is given back. */
static void qs_reset(struct qstore *q)
{
	free(q->hdr);
	if (q->cap > ((size_t)1 << 20)) {
		free(q->v);
		q->v = NULL;
		q->cap = 0;
	}
	int64_t *v = q->v;
	size_t cap = q->cap;
	qs_init(q);
	q->v = v;
	q->cap = cap;
}

/* Moves the values of src to dst and empties src. */
static void qs_move(struct qstore *dst, struct qstore *src)
{
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	if (!dst->hdr && !src->hdr && dst->n + src->n <= QS_EXACT_MAX) {
		if (dst->n + src->n > dst->cap) {
			size_t cap = dst->cap ? dst->cap : 256;
			while (cap < dst->n + src->n)
				cap *= 2;
			dst->cap = cap < QS_EXACT_MAX ? cap : QS_EXACT_MAX;
			dst->v = mem_realloc(dst->v, dst->cap * sizeof dst->v[0]);
		}
		if (src->n)
			memcpy(dst->v + dst->n, src->v, src->n * sizeof src->v[0]);
		dst->n += src->n;
	} else if (qs_count(src)) {
		qs_to_hdr(dst);
		hdr_add_all(dst->hdr, src);
		dst->hdr_n += qs_count(src);
	}
	qs_reset(src);
}

static size_t qs_bytes(const struct qstore *q)
{
	return q->cap * sizeof q->v[0] + (q->hdr ? HDR_N * sizeof q->hdr[0] : 0);
}

/* ---- the table ---- */

/* An address as two words: 4 octets for IPv4 (the rest zero), else 16.
 * Read with loads no wider than the stores that made it (a wider load over
 * narrower stores just made waits for them to drain: a store-forwarding
 * stall), and kept in registers: the key is written from them and hashed
 * from them, never read back. */
static inline void addr_words(bool v6, const uint8_t *a, uint64_t *w0, uint64_t *w1)
{
	if (v6) {
		memcpy(w0, a, 8);
		memcpy(w1, a + 8, 8);
	} else {
		uint32_t x;
		memcpy(&x, a, 4);
		*w0 = x; /* little- or big-endian alike: the octets, then zeros */
		*w1 = 0;
	}
}

void delta_key_make(const delta *d, const struct delta_flow *f, uint64_t ts, struct delta_key *k)
{
	bool v6 = f->ip_version == 6;
	uint64_t c0, c1, s0, s1;
	addr_words(v6, f->client, &c0, &c1);
	addr_words(v6, f->server, &s0, &s1);
	memcpy(k->client, &c0, 8);
	memcpy(k->client + 8, &c1, 8);
	memcpy(k->server, &s0, 8);
	memcpy(k->server + 8, &s1, 8);
	k->ts = ts;
	k->cport = f->cport;
	k->sport = f->sport;
	k->ver = v6 ? 6 : 4;
	memset(k->pad, 0, sizeof k->pad);
	/* ts, ports and version, then the addresses, hashed with the table's
	 * random seed. */
	uint64_t w[6] = { ts, (uint64_t)f->cport << 32 | (uint64_t)f->sport << 16 | k->ver,
			  c0, c1,
			  s0, s1 };
	uint64_t h = hll_hash_words(d->seed, w, 6);
	k->hash = (uint32_t)(h ^ h >> 32);
}

static inline bool same_key(const struct dent *e, const struct delta_key *k)
{
	return e->xmt == k->ts && e->cport == k->cport && e->sport == k->sport &&
	       e->ver == k->ver && memcmp(e->client, k->client, 16) == 0 &&
	       memcmp(e->server, k->server, 16) == 0;
}

static void slot_put(struct slot *s, size_t mask, uint32_t h, uint32_t idx)
{
	size_t i = h & mask;
	while (s[i].idx1)
		i = (i + 1) & mask;
	s[i].idx1 = idx + 1;
	s[i].h = h;
}

/* Backward-shift deletion of slot i (linear probing). */
static void slot_delete(struct slot *s, size_t mask, size_t i)
{
	size_t j = i;
	for (;;) {
		j = (j + 1) & mask;
		if (!s[j].idx1)
			break;
		size_t home = s[j].h & mask;
		bool movable = j > i ? (home <= i || home > j) : (home <= i && home > j);
		if (movable) {
			s[i] = s[j];
			i = j;
		}
	}
	s[i].idx1 = 0;
	s[i].h = 0;
}

/* The slot of the live entry matching k, or SIZE_MAX. */
static size_t find(const delta *d, const struct delta_key *k)
{
	size_t mask = d->slot_cap - 1;
	uint32_t h = k->hash;
	for (size_t i = h & mask; d->slot[i].idx1; i = (i + 1) & mask)
		if (d->slot[i].h == h && same_key(&d->ring[d->slot[i].idx1 - 1], k))
			return i;
	return SIZE_MAX;
}

void delta_prefetch(const delta *d, const struct delta_key *k)
{
	const struct slot *s = &d->slot[k->hash & (d->slot_cap - 1)];
	__builtin_prefetch(s, 1);
}

/* Takes entry pos (a ring position) out of the table. */
static void unindex(delta *d, size_t pos)
{
	uint32_t h = d->ring[pos].h;
	size_t mask = d->slot_cap - 1;
	for (size_t i = h & mask; d->slot[i].idx1; i = (i + 1) & mask)
		if (d->slot[i].idx1 == pos + 1) {
			slot_delete(d->slot, mask, i);
			return;
		}
}

static void rebuild(delta *d, size_t cap)
{
	struct dent *ring = mem_alloc(cap * sizeof ring[0]);
	for (uint32_t s = d->head; s != d->tail; s++)
		ring[s & (cap - 1)] = d->ring[s & (d->cap - 1)];
	free(d->ring);
	d->ring = ring;
	d->cap = cap;
	free(d->slot);
	d->slot_cap = 2 * cap;
	d->slot = mem_calloc(d->slot_cap, sizeof d->slot[0]);
	for (uint32_t s = d->head; s != d->tail; s++) {
		size_t pos = s & (cap - 1);
		if (ring[pos].state != ST_DEAD)
			slot_put(d->slot, d->slot_cap - 1, ring[pos].h, (uint32_t)pos);
	}
}

/* ---- life cycle ---- */

delta *delta_new(double timeout)
{
	if (!(timeout > 0 && timeout <= 1e6))
		return NULL;
	delta *d = mem_calloc(1, sizeof *d);
	d->timeout = (int64_t)llround(timeout * 1e9);
	uint64_t s = 0;
	if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
		s = (uint64_t)(uintptr_t)d * 0xd6e8feb86659fd93ULL;
	d->seed = s;
	d->rng = s | 1;
	d->cap = 256;
	d->ring = mem_alloc(d->cap * sizeof d->ring[0]);
	d->slot_cap = 2 * d->cap;
	d->slot = mem_calloc(d->slot_cap, sizeof d->slot[0]);
	qs_init(&d->wire_closed);
	qs_init(&d->wire_iv);
	qs_init(&d->server_closed);
	qs_init(&d->server_iv);
	return d;
}

void delta_free(delta *d)
{
	if (!d)
		return;
	qs_free(&d->wire_closed);
	qs_free(&d->wire_iv);
	qs_free(&d->server_closed);
	qs_free(&d->server_iv);
	free(d->ring);
	free(d->slot);
	free(d);
}

void delta_on_pair(delta *d, void (*fn)(void *arg, const struct delta_pair *p), void *arg)
{
	d->fn = fn;
	d->arg = arg;
}

/* ---- per packet ---- */

#define BOTH(d, field) ((d)->total.field++, (d)->iv.field++)

/* A 32.32 fixed-point difference in nanoseconds, rounded half away from
 * zero.  |x| < 2^63 units is 2^31 s: x * 10^9 needs 128 bits. */
static int64_t server_ns(int64_t x)
{
	__int128 v = (__int128)x * 1000000000;
	__int128 half = (__int128)1 << 31;
	v = v >= 0 ? (v + half) >> 32 : -((-v + half) >> 32);
	return (int64_t)v;
}

static void clean_time(delta *d, int64_t t)
{
	if (!d->started || t > d->now)
		d->now = t;
	d->started = true;
}

/* Pops the head entry: a pending one counts as unanswered. */
static void pop_head(delta *d)
{
	size_t pos = d->head & (d->cap - 1);
	struct dent *e = &d->ring[pos];
	if (e->state != ST_DEAD) {
		if (e->state == ST_PENDING)
			BOTH(d, unanswered);
		unindex(d, pos);
	}
	d->head++;
}

/* now - t > timeout without overflow: times come from captures, whose
 * nanoseconds since the epoch span at most 2^63 in all. */
static inline bool older(int64_t t, int64_t now, int64_t timeout)
{
	return t < now && (uint64_t)now - (uint64_t)t > (uint64_t)timeout;
}

static void expire_until(delta *d, int64_t now)
{
	while (d->head != d->tail) {
		const struct dent *e = &d->ring[d->head & (d->cap - 1)];
		if (e->state != ST_DEAD && !older(e->t, now, d->timeout))
			break;
		pop_head(d);
	}
}

void delta_expire(delta *d, int64_t now)
{
	clean_time(d, now);
	expire_until(d, d->now);
}

void delta_request(delta *d, int64_t t, const struct delta_key *k)
{
	clean_time(d, t);
	expire_until(d, d->now);
	BOTH(d, requests);
	size_t i = find(d, k);
	if (i != SIZE_MAX) {
		/* Seen before: the newer copy replaces the older one. */
		BOTH(d, retransmits);
		d->ring[d->slot[i].idx1 - 1].state = ST_DEAD;
		slot_delete(d->slot, d->slot_cap - 1, i);
	}
	if ((uint32_t)(d->tail - d->head) >= MAX_PENDING)
		pop_head(d);
	if ((uint32_t)(d->tail - d->head) == d->cap)
		rebuild(d, d->cap * 2);
	size_t pos = d->tail & (d->cap - 1);
	struct dent *e = &d->ring[pos];
	e->xmt = k->ts;
	e->t = t;
	memcpy(e->client, k->client, 16);
	memcpy(e->server, k->server, 16);
	e->cport = k->cport;
	e->sport = k->sport;
	e->h = k->hash;
	e->ver = k->ver;
	e->state = ST_PENDING;
	d->tail++;
	slot_put(d->slot, d->slot_cap - 1, k->hash, (uint32_t)pos);
}

/* floor(log2(microseconds)); below 2 us in bucket 0, the top one open. */
static unsigned hist_bucket(int64_t ns)
{
	int64_t us = ns / 1000;
	if (us < 2)
		return 0;
	unsigned k = 63 - (unsigned)__builtin_clzll((uint64_t)us);
	return k < DELTA_HIST ? k : DELTA_HIST - 1;
}

static void add_pair(struct scope *s, unsigned bucket)
{
	s->pairs++;
	s->hist[bucket]++;
}

void delta_response(delta *d, int64_t t, const struct delta_key *k, uint64_t rec, uint64_t xmt,
		    bool kod)
{
	/* T3 - T2 in the server's own clock: a 64-bit NTP timestamp difference,
	 * taken modulo 2^64 so that an era rollover between them is harmless. */
	delta_answer(d, t, k, rec && xmt, (int64_t)(xmt - rec), kod);
}

void delta_answer(delta *d, int64_t t, const struct delta_key *k, bool has_server, int64_t server,
		  bool kod)
{
	clean_time(d, t);
	expire_until(d, d->now);
	BOTH(d, responses);
	if (kod)
		BOTH(d, kod);
	size_t i = find(d, k);
	if (i == SIZE_MAX) {
		BOTH(d, unmatched);
		return;
	}
	struct dent *e = &d->ring[d->slot[i].idx1 - 1];
	if (e->state == ST_ANSWERED) {
		BOTH(d, duplicates);
		return;
	}
	e->state = ST_ANSWERED;
	struct delta_pair p;
	memset(&p, 0, sizeof p);
	p.flow.ip_version = e->ver;
	memcpy(p.flow.client, e->client, 16);
	memcpy(p.flow.server, e->server, 16);
	p.flow.cport = e->cport;
	p.flow.sport = e->sport;
	p.t_request = e->t;
	p.t_response = t;
	p.wire = (int64_t)((uint64_t)t - (uint64_t)e->t);
	p.server = has_server ? (double)server / 4294967296.0 : NAN;
	p.kod = kod;
	unsigned bucket = hist_bucket(p.wire);
	add_pair(&d->total, bucket);
	add_pair(&d->iv, bucket);
	qs_add(&d->wire_iv, p.wire);
	if (has_server) /* to the nanosecond, rounded half away from zero */
		qs_add(&d->server_iv, server_ns(server));
	if (d->fn)
		d->fn(d->arg, &p);
}

/* ---- results ---- */

/* Counters of s; percentiles over the values of wire and server (the current
 * interval) and of wire0 and server0 (the closed ones, or empty stores). */
static void fill_stats(const struct scope *s, struct qstore *wire0, struct qstore *wire,
		       struct qstore *server0, struct qstore *server, uint64_t *prng,
		       struct delta_stats *out)
{
	memset(out, 0, sizeof *out);
	out->requests = s->requests;
	out->responses = s->responses;
	out->pairs = s->pairs;
	out->unanswered = s->unanswered;
	out->retransmits = s->retransmits;
	out->duplicates = s->duplicates;
	out->unmatched = s->unmatched;
	out->kod = s->kod;
	memcpy(out->hist, s->hist, sizeof out->hist);
	if (qs_count(wire0) + qs_count(wire)) {
		out->min = (double)(wire0->min < wire->min ? wire0->min : wire->min) / 1e9;
		out->max = (double)(wire0->max > wire->max ? wire0->max : wire->max) / 1e9;
	} else {
		out->min = out->max = NAN;
	}
	static const double wp[] = { 0.50, 0.90, 0.99, 0.999 }, sp[] = { 0.50, 0.99 };
	double wq[4], sq[2];
	qs_quantiles(wire0, wire, wp, 4, prng, wq);
	qs_quantiles(server0, server, sp, 2, prng, sq);
	out->p50 = wq[0];
	out->p90 = wq[1];
	out->p99 = wq[2];
	out->p999 = wq[3];
	out->server_p50 = sq[0];
	out->server_p99 = sq[1];
	out->only_requests = s->requests > 0 && s->responses == 0;
	out->only_responses = s->responses > 0 && s->requests == 0;
}

void delta_stats(delta *d, struct delta_stats *out)
{
	fill_stats(&d->total, &d->wire_closed, &d->wire_iv, &d->server_closed, &d->server_iv,
		   &d->rng, out);
}

void delta_interval_take(delta *d, struct delta_stats *out)
{
	struct qstore none;
	qs_init(&none);
	fill_stats(&d->iv, &none, &d->wire_iv, &none, &d->server_iv, &d->rng, out);
	memset(&d->iv, 0, sizeof d->iv);
	qs_move(&d->wire_closed, &d->wire_iv);
	qs_move(&d->server_closed, &d->server_iv);
}

void delta_finish(delta *d)
{
	while (d->head != d->tail)
		pop_head(d);
}

size_t delta_bytes(const delta *d)
{
	return sizeof *d + d->cap * sizeof d->ring[0] + d->slot_cap * sizeof d->slot[0] +
	       qs_bytes(&d->wire_closed) + qs_bytes(&d->wire_iv) + qs_bytes(&d->server_closed) +
	       qs_bytes(&d->server_iv);
}
