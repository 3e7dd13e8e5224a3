/* clients.c - who asks a time server for the time; see clients.h.
 *
 * Per client, for the whole input, one compact record (struct client: 64
 * bytes, one cache line) stored inline in an open-addressing hash table
 * (linear probing, 37% to 75% full), so that a request costs one cache miss:
 *
 *   - first (to the millisecond, up to 49 days into the input) and last
 *     request time, the request count;
 *   - the last IVL_N (5) intervals between its requests, as 16-bit floats of
 *     milliseconds (exact below 2.048 s and for polls of 2^n s, otherwise
 *     within 0.025%): the poll interval is their median, over all intervals
 *     for clients with up to 6 requests, afterwards over the 5 most recent
 *     (what the client polls at now, after iburst or a change of poll);
 *   - the abuse detector: abuse_period T is cut into AB_N (8) aligned
 *     sub-buckets of T/8 and the record keeps a ring of 8 counters; after each
 *     request the sum of the last 8 (requests within less than T) updates the
 *     peak.  Exactness: a client is flagged only if it really sent more than K
 *     requests within less than T (no false accusation), and every client that
 *     sent more than K within 7T/8 (52.5 s of the default 60) is flagged;
 *     peak_in_period lies between the true maxima over spans of 7T/8 and of
 *     T.  16 bytes instead of K + 1 timestamps.
 *
 * The table costs 64 bytes / load: about 118 bytes per client on average over
 * its growth cycle.
 *
 * Exact windows, in whole seconds: for each kind (IPv4 clients, IPv6
 * clients, /24s, /64s) a ring of one-second tallies as long as the largest
 * window: tally[s] = how many keys were last seen in second s.  A request
 * moves its key from the tally of its previous last-seen second to the
 * current one, and the count of each window gains one if that previous second
 * was outside it; each new second subtracts, per window, the tally of the
 * second that leaves it.  So a window of W seconds holds exactly the keys seen
 * in the last W whole seconds, the current one included, at O(windows) per
 * request and per second, with no per-request memory and no list to keep in
 * order (which would cost two more cache misses per request).  Prefixes live
 * in their own small table (16 bytes an entry, inline); entries older than
 * the largest window are dropped when it fills, so its size follows the
 * prefixes active in the largest window.  Times go through a monotone clamp
 * (now = max(now, t)) since merged captures may step back a little.
 *
 * Approximate windows (--approx): per window, a ring of HB + 1 HyperLogLog
 * sketches (p = 14) per kind, each covering W / HB seconds; a query merges the
 * buckets that overlap the window, so the window is widened by up to W / 16
 * into the past.  No tallies and no prefix table.
 *
 * Request and response rates: one-second counters in the same ring.
 */
#include "analysis/clients.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "analysis/hll.h"
#include "analysis/select.h"
#include "common/mem.h"

#define IVL_N 5	 /* intervals kept per client for the poll median */
#define AB_N 8	 /* abuse sub-buckets per abuse_period */
#define HB 16	 /* approx: sub-buckets per window */
#define HLL_P 14 /* 16 KiB per sketch, standard error 0.81% */
#define MAX_WINDOW (31.0 * 86400.0)
#define MAX_TIME 1e12		     /* |t| above this (year 33658) is not a capture time */
#define HUGE_TABLE ((size_t)2 << 20) /* a huge page */
#define PE_EMPTY INT64_MIN
#define PE_NEW (INT64_MIN + 1)

/* What is counted in windows: tallies (exact) or sketches (approx). */
enum { K_V4, K_V6, K_NET24, K_NET64, K_N };

struct client {		     /* 64 bytes: one cache line */
	uint8_t addr[16];    /* IPv4 in the first 4 octets, the rest zero */
	double last;	     /* last request (monotone capture time) */
	uint32_t first_ms;   /* first request, milliseconds after t0 (saturating) */
	uint32_t requests;   /* saturating */
	uint16_t ab[AB_N];   /* requests per abuse sub-bucket, ring by sub-bucket number */
	uint16_t ivl[IVL_N]; /* the most recent intervals (ivl_encode()), ring by request count */
	uint16_t peak;	     /* most requests in AB_N consecutive sub-buckets (saturating) */
	uint16_t epoch;	     /* the clients_interval_take() interval it was last counted in */
	uint8_t ver;	     /* 4 or 6; 0: a free table entry */
	uint8_t pad;
};
_Static_assert(sizeof(struct client) == 64, "a client record is one cache line");

/* A /24 or /64 prefix (exact mode), inline in its table. */
struct pentry {
	uint64_t key;
	int64_t sec; /* last-seen second; PE_EMPTY for a free entry */
};

struct ptable {
	struct pentry *e;
	size_t cap, live;
};

/* Approximate windows: one per window. */
struct hring {
	double width;
	int64_t tag[HB + 1]; /* sub-bucket number held by each slot, INT64_MIN when none */
	hll *sk[HB + 1][K_N];
	double until; /* the current slot takes times before this (then look again) */
	size_t cur;   /* the current slot */
};

struct sec {
	uint32_t req, resp;
};

struct clients {
	double win[CLIENTS_MAX_WINDOWS];
	int64_t wsec[CLIENTS_MAX_WINDOWS]; /* the windows in whole seconds */
	size_t nw;
	bool approx;
	unsigned abuse_count;
	double ab_width; /* abuse_period / AB_N */
	/* The hash seed, read by the *_key_make() of another thread for every
	 * packet: alone in its cache line, so that the writes to the fields
	 * around it do not take the line away from that thread each time. */
	char pad0[64];
	uint64_t seed;
	char pad1[64];

	bool started;
	double t0, now;	 /* first packet; the monotone clock */
	int64_t cur_sec; /* floor(now): the rings hold seconds (cur_sec - n_sec, cur_sec] */
	size_t cur_idx;	 /* cur_sec mod n_sec */
	size_t n_sec;

	struct client *tab; /* cap entries, 64-byte aligned */
	void *tab_mem;
	size_t cap, n_rec;

	struct sec *sec;      /* request and response counts per second */
	uint32_t *tally[K_N]; /* exact: keys last seen in each second */
	uint64_t count[K_N][CLIENTS_MAX_WINDOWS];
	struct ptable pt[2]; /* exact: /24, /64 */
	struct hring *hr;    /* approx: one ring per window */
	hll *merge[K_N];     /* approx: scratch for queries */

	uint64_t requests, responses, kod, rate_kod, version[8], mode[8], n_fam[2];
	uint16_t epoch;
	struct clients_interval iv;
};

/* ---- hashing ---- */

/* The table index of a hash (keyed with the random seed already). */
static inline size_t slot_of(uint64_t h, size_t cap)
{
	return (size_t)(h ^ h >> 32) & (cap - 1);
}

static uint64_t random_seed(void)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
		s = (uint64_t)(uintptr_t)&s * 0xd6e8feb86659fd93ULL;
	return s;
}

/* The first 8 octets of an address as a big-endian number. */
static inline uint64_t be64(uint64_t w)
{
	uint8_t b[8];
	memcpy(b, &w, 8);
	uint64_t v = 0;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

/* The key's /24 (the first 3 octets) or /64 as a number. */
static inline uint64_t prefix_of(const struct clients_key *k)
{
	uint64_t w;
	memcpy(&w, k->addr, 8);
	return k->ver == 6 ? be64(w) : be64(w) >> 40;
}

static inline uint64_t addr_hash(const clients *c, const uint8_t addr[16])
{
	uint64_t w[2];
	memcpy(w, addr, 16);
	return hll_hash_words(c->seed, w, 2);
}

static inline uint64_t prefix_hash(const clients *c, uint64_t key)
{
	return hll_hash_words(c->seed, &key, 1);
}

static inline size_t mod_index(int64_t v, size_t n)
{
	int64_t r = v % (int64_t)n;
	return (size_t)(r < 0 ? r + (int64_t)n : r);
}

/* floor() without the library call, for |x| < 2^62. */
static inline int64_t ifloor(double x)
{
	int64_t i = (int64_t)x;
	return i - (x < (double)i);
}

/* The ring cell of second s, cur_sec - n_sec < s <= cur_sec, without a
 * division. */
static inline size_t ring_idx(const clients *c, int64_t s)
{
	size_t d = (size_t)(c->cur_sec - s);
	return c->cur_idx >= d ? c->cur_idx - d : c->cur_idx + c->n_sec - d;
}

/* A zeroed table of cap records aligned to a cache line; *mem is what to
 * free.  A large one asks for transparent huge pages: every request lands on
 * a random record, and with 4 KiB pages each would also miss the TLB. */
static struct client *tab_alloc(size_t cap, void **mem)
{
	size_t bytes = cap * sizeof(struct client);
	if (bytes >= HUGE_TABLE) {
		void *p = NULL;
		if (posix_memalign(&p, HUGE_TABLE, bytes) == 0) {
			(void)madvise(p, bytes, MADV_HUGEPAGE);
			memset(p, 0, bytes);
			*mem = p;
			return p;
		}
	}
	*mem = mem_calloc(cap + 1, sizeof(struct client));
	return (struct client *)(((uintptr_t)*mem + 63) & ~(uintptr_t)63);
}

/* Intervals as 16-bit floats of milliseconds: code = e << 11 | m, value m
 * for e = 0, else (2048 + m) << (e - 1).  Exact below 2048 ms, else rounded
 * to 12 significant bits (within 0.025%). */
static uint16_t ivl_encode(double seconds)
{
	double ms = seconds * 1000.0;
	if (!(ms > 0))
		return 0;
	if (ms >= 4095.0 * 1073741824.0)
		return UINT16_MAX;
	uint64_t v = (uint64_t)(ms + 0.5); /* ms > 0: rounds half up, as llround() */
	if (v < 2048)
		return (uint16_t)v;
	unsigned sh = 63 - (unsigned)__builtin_clzll(v) - 11;
	uint64_t m = sh ? (v + (1ULL << (sh - 1))) >> sh : v;
	if (m == 4096) {
		m = 2048;
		sh++;
	}
	return (uint16_t)((sh + 1) << 11 | (m - 2048));
}

static double ivl_decode(uint16_t code)
{
	unsigned e = code >> 11, m = code & 2047;
	double ms = e == 0 ? m : ldexp(2048.0 + m, (int)e - 1);
	return ms / 1000.0;
}

/* ---- the one-second rings ---- */

/* Zeroes the cells of seconds (from, to] of a ring of n cells (to - from <= n). */
static void zero_cells(void *base, size_t size, size_t n, int64_t from, int64_t to)
{
	size_t i = mod_index(from + 1, n), cnt = (size_t)(to - from);
	size_t first = cnt < n - i ? cnt : n - i;
	memset((char *)base + i * size, 0, first * size);
	if (cnt > first)
		memset(base, 0, (cnt - first) * size);
}

/* Moves the rings on to second s: each window lets go of the tallies of the
 * seconds that leave it (all of it after a gap as long as the window), then
 * the new seconds' cells are emptied.  O(min(gap, window)) per window. */
static void advance_to(clients *c, int64_t s)
{
	if (s <= c->cur_sec)
		return;
	size_t n = c->n_sec;
	int64_t gap = s - c->cur_sec;
	if (gap >= (int64_t)n) {
		memset(c->sec, 0, n * sizeof c->sec[0]);
		if (!c->approx) {
			for (size_t k = 0; k < K_N; k++)
				memset(c->tally[k], 0, n * sizeof c->tally[k][0]);
			memset(c->count, 0, sizeof c->count);
		}
		c->cur_sec = s;
		c->cur_idx = mod_index(s, n);
		return;
	}
	if (!c->approx) {
		for (size_t w = 0; w < c->nw; w++) {
			if (gap >= c->wsec[w]) {
				for (size_t k = 0; k < K_N; k++)
					c->count[k][w] = 0;
				continue;
			}
			/* Seconds (cur - W, s - W] leave window w. */
			size_t i0 = mod_index(c->cur_sec - c->wsec[w] + 1, n);
			for (size_t k = 0; k < K_N; k++) {
				uint64_t sum = 0;
				size_t i = i0;
				for (int64_t x = 0; x < gap; x++) {
					sum += c->tally[k][i];
					if (++i == n)
						i = 0;
				}
				c->count[k][w] -= sum;
			}
		}
		for (size_t k = 0; k < K_N; k++)
			zero_cells(c->tally[k], sizeof c->tally[k][0], n, c->cur_sec, s);
	}
	zero_cells(c->sec, sizeof c->sec[0], n, c->cur_sec, s);
	c->cur_sec = s;
	c->cur_idx = mod_index(s, n);
}

/* A key of kind k last seen in second old (PE_NEW: never, or forgotten) is
 * seen in the current second. */
static void tally_touch(clients *c, size_t k, int64_t old)
{
	int64_t s = c->cur_sec;
	if (old >= s)
		return;
	if (old > s - (int64_t)c->n_sec)
		c->tally[k][ring_idx(c, old)]--;
	c->tally[k][c->cur_idx]++;
	for (size_t w = 0; w < c->nw; w++)
		if (!(old > s - c->wsec[w]))
			c->count[k][w]++;
}

/* ---- prefixes (exact mode) ---- */

static void pt_init(struct ptable *pt, size_t cap)
{
	pt->cap = cap;
	pt->live = 0;
	pt->e = mem_alloc(cap * sizeof pt->e[0]);
	for (size_t i = 0; i < cap; i++)
		pt->e[i].sec = PE_EMPTY;
}

/* Drops the prefixes older than the rings and doubles the table if it is
 * still more than a third full. */
static void pt_rebuild(clients *c, struct ptable *pt)
{
	int64_t oldest = c->cur_sec - (int64_t)c->n_sec;
	size_t keep = 0;
	for (size_t i = 0; i < pt->cap; i++)
		if (pt->e[i].sec != PE_EMPTY && pt->e[i].sec > oldest)
			keep++;
	struct ptable n;
	pt_init(&n, keep * 3 > pt->cap ? pt->cap * 2 : pt->cap);
	for (size_t i = 0; i < pt->cap; i++) {
		const struct pentry *e = &pt->e[i];
		if (e->sec == PE_EMPTY || e->sec <= oldest)
			continue;
		size_t j = slot_of(prefix_hash(c, e->key), n.cap);
		while (n.e[j].sec != PE_EMPTY)
			j = (j + 1) & (n.cap - 1);
		n.e[j] = *e;
		n.live++;
	}
	free(pt->e);
	*pt = n;
}

static struct pentry *pt_get(clients *c, struct ptable *pt, uint64_t key, uint64_t hash)
{
	size_t mask = pt->cap - 1;
	size_t i = slot_of(hash, mask + 1);
	for (; pt->e[i].sec != PE_EMPTY; i = (i + 1) & mask)
		if (pt->e[i].key == key)
			return &pt->e[i];
	if ((pt->live + 1) * 10 > pt->cap * 7) {
		pt_rebuild(c, pt);
		mask = pt->cap - 1;
		for (i = slot_of(hash, mask + 1); pt->e[i].sec != PE_EMPTY; i = (i + 1) & mask)
			;
	}
	pt->e[i].key = key;
	pt->e[i].sec = PE_NEW;
	pt->live++;
	return &pt->e[i];
}

/* ---- construction ---- */

clients *clients_new(const struct clients_opts *o)
{
	if (!o || o->n_windows == 0 || o->n_windows > CLIENTS_MAX_WINDOWS)
		return NULL;
	for (size_t w = 0; w < o->n_windows; w++) {
		if (!(o->windows[w] >= 1.0 && o->windows[w] <= MAX_WINDOW))
			return NULL;
		if (w > 0 && !(o->windows[w] > o->windows[w - 1]))
			return NULL;
	}
	unsigned k = o->abuse_count ? o->abuse_count : 100;
	double t = o->abuse_period > 0 ? o->abuse_period : 60.0;
	if (k >= UINT16_MAX || !(t >= 0.01 && t <= 1e6))
		return NULL;

	clients *c = mem_calloc(1, sizeof *c);
	memcpy(c->win, o->windows, o->n_windows * sizeof o->windows[0]);
	c->nw = o->n_windows;
	for (size_t w = 0; w < c->nw; w++)
		c->wsec[w] = (int64_t)ceil(c->win[w]);
	c->approx = o->approx;
	c->abuse_count = k;
	c->ab_width = t / AB_N;
	c->seed = random_seed();
	c->epoch = 1;
	c->cap = 1024;
	c->tab = tab_alloc(c->cap, &c->tab_mem);
	c->n_sec = (size_t)c->wsec[c->nw - 1] + 1;
	c->sec = mem_calloc(c->n_sec, sizeof c->sec[0]);
	if (c->approx) {
		c->hr = mem_calloc(c->nw, sizeof c->hr[0]);
		for (size_t w = 0; w < c->nw; w++) {
			c->hr[w].width = c->win[w] / HB;
			c->hr[w].until = -INFINITY;
			for (size_t b = 0; b <= HB; b++) {
				c->hr[w].tag[b] = INT64_MIN;
				for (size_t s = 0; s < K_N; s++)
					c->hr[w].sk[b][s] = hll_new(HLL_P);
			}
		}
		for (size_t s = 0; s < K_N; s++)
			c->merge[s] = hll_new(HLL_P);
	} else {
		for (size_t s = 0; s < K_N; s++)
			c->tally[s] = mem_calloc(c->n_sec, sizeof c->tally[s][0]);
		pt_init(&c->pt[0], 1024);
		pt_init(&c->pt[1], 1024);
	}
	return c;
}

void clients_free(clients *c)
{
	if (!c)
		return;
	if (c->hr) {
		for (size_t w = 0; w < c->nw; w++)
			for (size_t b = 0; b <= HB; b++)
				for (size_t s = 0; s < K_N; s++)
					hll_free(c->hr[w].sk[b][s]);
		free(c->hr);
		for (size_t s = 0; s < K_N; s++)
			hll_free(c->merge[s]);
	}
	for (size_t s = 0; s < K_N; s++)
		free(c->tally[s]);
	free(c->pt[0].e);
	free(c->pt[1].e);
	free(c->tab_mem);
	free(c->sec);
	free(c);
}

/* ---- per packet ---- */

/* A capture time (nonsense such as NaN or the far future reads as the
 * current time); moves the monotone clock and the rings on. */
static double clean_time(clients *c, double t)
{
	if (!(t >= -MAX_TIME && t <= MAX_TIME))
		t = c->started ? c->now : 0.0;
	if (!c->started) {
		c->started = true;
		c->t0 = c->now = t;
		c->cur_sec = ifloor(t);
		c->cur_idx = mod_index(c->cur_sec, c->n_sec);
	} else if (t > c->now) {
		c->now = t;
		advance_to(c, ifloor(t));
	}
	return t;
}

/* The one-second counter of time t, NULL if it is older than the ring. */
static struct sec *sec_at(clients *c, double t)
{
	int64_t s = ifloor(t);
	if (s <= c->cur_sec - (int64_t)c->n_sec || s > c->cur_sec)
		return NULL;
	return &c->sec[ring_idx(c, s)];
}

static void table_grow(clients *c)
{
	size_t cap = c->cap * 2;
	void *mem;
	struct client *t = tab_alloc(cap, &mem);
	for (size_t i = 0; i < c->cap; i++) {
		const struct client *r = &c->tab[i];
		if (!r->ver)
			continue;
		size_t j = slot_of(addr_hash(c, r->addr), cap);
		while (t[j].ver)
			j = (j + 1) & (cap - 1);
		t[j] = *r;
	}
	free(c->tab_mem);
	c->tab = t;
	c->tab_mem = mem;
	c->cap = cap;
}

/* The record of a client, new if need be; valid until the next new one. */
static struct client *client_get(clients *c, int ver, const uint8_t key[16], uint64_t hash,
				 double now)
{
	size_t mask = c->cap - 1;
	size_t i = slot_of(hash, mask + 1);
	for (; c->tab[i].ver; i = (i + 1) & mask)
		if (memcmp(c->tab[i].addr, key, 16) == 0 && c->tab[i].ver == ver)
			return &c->tab[i];
	if ((c->n_rec + 1) * 4 > c->cap * 3) {
		table_grow(c);
		mask = c->cap - 1;
		for (i = slot_of(hash, mask + 1); c->tab[i].ver; i = (i + 1) & mask)
			;
	}
	struct client *r = &c->tab[i];
	memset(r, 0, sizeof *r);
	memcpy(r->addr, key, 16);
	r->ver = (uint8_t)ver;
	double ms = (now - c->t0) * 1000.0;
	r->first_ms = ms <= 0 ? 0 : ms >= UINT32_MAX ? UINT32_MAX : (uint32_t)llround(ms);
	r->last = now;
	c->n_rec++;
	c->n_fam[ver == 6]++;
	return r;
}

/* Whole-input statistics of one request at now. */
static void client_count(clients *c, struct client *r, double now)
{
	int64_t b = ifloor(now / c->ab_width);
	/* The abuse ring is worked on in a local copy, loaded and stored whole:
	 * reading it back right after storing single counters would stall. */
	uint16_t ab[AB_N];
	memcpy(ab, r->ab, sizeof ab);
	if (r->requests > 0) {
		r->ivl[(size_t)(r->requests - 1) % IVL_N] = ivl_encode(now - r->last);
		int64_t b0 = ifloor(r->last / c->ab_width);
		int64_t clear = b - b0 < AB_N ? b - b0 : AB_N;
		for (int64_t k = 1; k <= clear; k++)
			ab[mod_index(b0 + k, AB_N)] = 0;
	}
	if (r->requests < UINT32_MAX)
		r->requests++;
	r->last = now;
	uint16_t *cell = &ab[mod_index(b, AB_N)];
	if (*cell < UINT16_MAX)
		(*cell)++;
	unsigned sum = 0;
	for (size_t k = 0; k < AB_N; k++)
		sum += ab[k];
	memcpy(r->ab, ab, sizeof ab);
	if (sum > r->peak)
		r->peak = sum > UINT16_MAX ? UINT16_MAX : (uint16_t)sum;
	if (r->epoch != c->epoch) {
		r->epoch = c->epoch;
		if (r->ver == 6)
			c->iv.v6++;
		else
			c->iv.v4++;
	}
}

static void approx_add(clients *c, size_t fam, uint64_t ha, uint64_t hp)
{
	for (size_t w = 0; w < c->nw; w++) {
		struct hring *r = &c->hr[w];
		if (!(c->now < r->until)) { /* into a new sub-bucket */
			int64_t b = ifloor(c->now / r->width);
			size_t s = mod_index(b, HB + 1);
			if (r->tag[s] != b) {
				for (size_t k = 0; k < K_N; k++)
					hll_clear(r->sk[s][k]);
				r->tag[s] = b;
			}
			r->cur = s;
			r->until = (double)(b + 1) * r->width;
			if (ifloor(r->until / r->width) != b + 1) /* rounding at the edge */
				r->until = c->now;
		}
		hll_add(r->sk[r->cur][K_V4 + fam], ha);
		hll_add(r->sk[r->cur][K_NET24 + fam], hp);
	}
}

void clients_key_make(const clients *c, int ip_version, const uint8_t addr[16],
		      struct clients_key *k)
{
	memset(k, 0, sizeof *k);
	if (ip_version != 4 && ip_version != 6)
		return;
	/* The address as two words, read no wider than it was stored (4
	 * octets for IPv4) and kept in registers: written to the key and hashed
	 * from them, never read back (which could stall on the stores). */
	uint64_t w[2];
	if (ip_version == 6) {
		memcpy(&w[0], addr, 8);
		memcpy(&w[1], addr + 8, 8);
	} else {
		uint32_t x;
		memcpy(&x, addr, 4);
		w[0] = x;
		w[1] = 0;
	}
	memcpy(k->addr, &w[0], 8);
	memcpy(k->addr + 8, &w[1], 8);
	k->ver = (uint8_t)ip_version;
	k->hash = hll_hash_words(c->seed, w, 2);
	uint64_t pfx = ip_version == 6 ? be64(w[0]) : be64(w[0]) >> 40;
	k->phash = prefix_hash(c, pfx);
}

/* The client's record and its prefix's entry are likely cache misses, both. */
void clients_prefetch(const clients *c, const struct clients_key *k)
{
	if (!k->ver)
		return;
	__builtin_prefetch(&c->tab[slot_of(k->hash, c->cap)], 1);
	if (!c->approx) {
		const struct ptable *pt = &c->pt[k->ver == 6];
		__builtin_prefetch(&pt->e[slot_of(k->phash, pt->cap)], 1);
	}
}

void clients_request(clients *c, double t, const struct clients_key *k, unsigned ntp_version,
		     unsigned ntp_mode)
{
	if (k->ver != 4 && k->ver != 6)
		return;
	size_t fam = k->ver == 6;
	t = clean_time(c, t);
	struct sec *s = sec_at(c, t);
	if (s)
		s->req++;
	c->requests++;
	c->iv.requests++;
	c->version[ntp_version & 7]++;
	c->mode[ntp_mode & 7]++;

	double now = c->now;
	struct client *r = client_get(c, k->ver, k->addr, k->hash, now);
	int64_t old = r->requests ? ifloor(r->last) : PE_NEW;
	client_count(c, r, now);
	if (c->approx) {
		approx_add(c, fam, k->hash, k->phash);
		return;
	}
	tally_touch(c, K_V4 + fam, old);
	struct pentry *p = pt_get(c, &c->pt[fam], prefix_of(k), k->phash);
	tally_touch(c, K_NET24 + fam, p->sec);
	p->sec = c->cur_sec;
}

void clients_response(clients *c, double t, bool kod, bool rate)
{
	t = clean_time(c, t);
	struct sec *s = sec_at(c, t);
	if (s)
		s->resp++;
	c->responses++;
	c->iv.responses++;
	if (kod)
		c->kod++;
	if (kod && rate)
		c->rate_kod++;
}

/* ---- queries ---- */

static void window_rates(clients *c, double now, size_t w, struct clients_window *out)
{
	if (c->requests + c->responses == 0)
		return;
	double win = c->win[w];
	int64_t last_s = (int64_t)floor(now);
	int64_t from = last_s - c->wsec[w] + 1;
	int64_t oldest = c->cur_sec - (int64_t)c->n_sec + 1;
	if (from < oldest)
		from = oldest;
	if (last_s > c->cur_sec)
		last_s = c->cur_sec;
	uint32_t peak_req = 0, peak_resp = 0;
	for (int64_t s = from; s <= last_s; s++) {
		const struct sec *x = &c->sec[mod_index(s, c->n_sec)];
		out->requests += x->req;
		out->responses += x->resp;
		if (x->req > peak_req)
			peak_req = x->req;
		if (x->resp > peak_resp)
			peak_resp = x->resp;
	}
	/* Until the capture is as long as the window, the mean is over the
	 * time seen so far (at least one second). */
	double span = now - c->t0;
	if (span < 1.0)
		span = 1.0;
	if (span > win)
		span = win;
	out->req_rate_mean = (double)out->requests / span;
	out->resp_rate_mean = (double)out->responses / span;
	out->req_rate_peak = peak_req;
	out->resp_rate_peak = peak_resp;
}

static void approx_window(clients *c, size_t w, struct clients_window *out)
{
	struct hring *r = &c->hr[w];
	int64_t b = (int64_t)floor(c->now / r->width);
	for (size_t k = 0; k < K_N; k++)
		hll_clear(c->merge[k]);
	for (size_t s = 0; s <= HB; s++) {
		if (r->tag[s] == INT64_MIN || r->tag[s] < b - HB || r->tag[s] > b)
			continue;
		for (size_t k = 0; k < K_N; k++)
			hll_merge(c->merge[k], r->sk[s][k]);
	}
	out->v4 = (uint64_t)llround(hll_count(c->merge[K_V4]));
	out->v6 = (uint64_t)llround(hll_count(c->merge[K_V6]));
	out->net24 = (uint64_t)llround(hll_count(c->merge[K_NET24]));
	out->net64 = (uint64_t)llround(hll_count(c->merge[K_NET64]));
	out->rel_error = hll_error(HLL_P);
}

void clients_windows(clients *c, double now, struct clients_window *out)
{
	if (now >= -MAX_TIME && now <= MAX_TIME && (!c->started || now > c->now))
		(void)clean_time(c, now);
	now = c->now;
	for (size_t w = 0; w < c->nw; w++) {
		struct clients_window *o = &out[w];
		memset(o, 0, sizeof *o);
		o->window = c->win[w];
		if (c->approx) {
			approx_window(c, w, o);
		} else {
			o->v4 = c->count[K_V4][w];
			o->v6 = c->count[K_V6][w];
			o->net24 = c->count[K_NET24][w];
			o->net64 = c->count[K_NET64][w];
		}
		window_rates(c, now, w, o);
	}
}

void clients_interval_take(clients *c, struct clients_interval *out)
{
	*out = c->iv;
	memset(&c->iv, 0, sizeof c->iv);
	/* Every record is stamped with the epoch it was last counted in: a new
	 * epoch empties the interval's sets at once.  Every 65535 intervals
	 * the stamps start over. */
	if (++c->epoch == 0) {
		for (size_t i = 0; i < c->cap; i++)
			c->tab[i].epoch = 0;
		c->epoch = 1;
	}
}

static double poll_median(const struct client *r)
{
	if (r->requests < 2)
		return NAN;
	size_t n = r->requests - 1 < IVL_N ? r->requests - 1 : IVL_N;
	double v[IVL_N];
	for (size_t i = 0; i < n; i++)
		v[i] = ivl_decode(r->ivl[i]);
	for (size_t i = 1; i < n; i++) /* insertion sort of at most 5 */
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	if (n % 2)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

static unsigned log2_bucket(double v)
{
	if (!(v >= 2.0))
		return 0;
	int e;
	(void)frexp(v, &e); /* v = f * 2^e, 0.5 <= f < 1 */
	unsigned k = (unsigned)(e - 1);
	return k < CLIENTS_HIST ? k : CLIENTS_HIST - 1;
}

void clients_summary(clients *c, struct clients_summary *out)
{
	memset(out, 0, sizeof *out);
	out->requests = c->requests;
	out->responses = c->responses;
	out->kod = c->kod;
	out->rate_kod = c->rate_kod;
	out->clients_v4 = c->n_fam[0];
	out->clients_v6 = c->n_fam[1];
	memcpy(out->version, c->version, sizeof out->version);
	memcpy(out->mode, c->mode, sizeof out->mode);
	out->per_client_p50 = out->per_client_p90 = out->per_client_p99 = NAN;
	out->per_client_max = NAN;
	out->poll_p50 = NAN;
	size_t n = c->n_rec;
	if (n == 0)
		return;
	/* Nearest ranks by quickselect: requests as integers, poll medians
	 * (positive doubles) by their bits, which order the same way. */
	int64_t *req = mem_alloc(n * sizeof req[0]);
	int64_t *pm = mem_alloc(n * sizeof pm[0]);
	size_t np = 0;
	size_t j = 0;
	uint32_t most = 0;
	for (size_t i = 0; i < c->cap; i++) {
		const struct client *r = &c->tab[i];
		if (!r->ver)
			continue;
		req[j++] = r->requests;
		most = r->requests > most ? r->requests : most;
		out->per_client_hist[log2_bucket(r->requests)]++;
		if (r->requests >= 2) {
			double m = poll_median(r);
			memcpy(&pm[np++], &m, sizeof m);
			out->poll_hist[log2_bucket(m)]++;
		}
		if (r->peak > c->abuse_count)
			out->abusive++;
	}
	uint64_t rng = c->seed | 1;
	static const double fr[] = { 0.50, 0.90, 0.99 };
	double *dst[] = { &out->per_client_p50, &out->per_client_p90, &out->per_client_p99 };
	size_t lo = 0;
	for (size_t i = 0; i < 3; i++) {
		size_t k = select_rank(fr[i], n);
		select_i64(req, lo, n, k, &rng);
		*dst[i] = (double)req[k];
		lo = k;
	}
	out->per_client_max = most;
	if (np) {
		size_t k = select_rank(0.50, np);
		select_i64(pm, 0, np, k, &rng);
		memcpy(&out->poll_p50, &pm[k], sizeof out->poll_p50);
	}
	free(req);
	free(pm);
}

/* Ranking of talkers: more requests first, then by address. */
static bool ranks_before(const struct client *a, const struct client *b)
{
	if (a->requests != b->requests)
		return a->requests > b->requests;
	if (a->ver != b->ver)
		return a->ver < b->ver;
	return memcmp(a->addr, b->addr, 16) < 0;
}

/* Heap of record indices with the lowest-ranked at the root. */
static void heap_down(const struct client *rec, uint32_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, worst = i;
		if (l < n && ranks_before(&rec[h[worst]], &rec[h[l]]))
			worst = l;
		if (r < n && ranks_before(&rec[h[worst]], &rec[h[r]]))
			worst = r;
		if (worst == i)
			return;
		uint32_t x = h[i];
		h[i] = h[worst];
		h[worst] = x;
		i = worst;
	}
}

static void heap_up(const struct client *rec, uint32_t *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!ranks_before(&rec[h[p]], &rec[h[i]]))
			return;
		uint32_t x = h[i];
		h[i] = h[p];
		h[p] = x;
		i = p;
	}
}

static size_t select_top(clients *c, struct clients_talker *out, size_t n, bool only_abusive)
{
	if (n > c->n_rec)
		n = c->n_rec;
	if (n == 0)
		return 0;
	uint32_t *h = mem_alloc(n * sizeof h[0]);
	size_t len = 0;
	for (size_t i = 0; i < c->cap; i++) {
		const struct client *r = &c->tab[i];
		if (!r->ver)
			continue;
		if (only_abusive && r->peak <= c->abuse_count)
			continue;
		if (len < n) {
			h[len] = (uint32_t)i;
			heap_up(c->tab, h, len++);
		} else if (ranks_before(r, &c->tab[h[0]])) {
			h[0] = (uint32_t)i;
			heap_down(c->tab, h, len, 0);
		}
	}
	size_t got = len;
	while (len > 0) { /* the root is the lowest: fill from the end */
		const struct client *r = &c->tab[h[0]];
		struct clients_talker *t = &out[--len];
		memset(t, 0, sizeof *t);
		t->ip_version = r->ver;
		memcpy(t->addr, r->addr, 16);
		t->requests = r->requests;
		t->first = c->t0 + r->first_ms / 1000.0;
		t->last = r->last;
		t->poll_median = poll_median(r);
		t->peak_in_period = r->peak;
		t->abusive = r->peak > c->abuse_count;
		h[0] = h[len];
		heap_down(c->tab, h, len, 0);
	}
	free(h);
	return got;
}

size_t clients_top(clients *c, struct clients_talker *out, size_t n)
{
	return select_top(c, out, n, false);
}

size_t clients_abusive(clients *c, struct clients_talker *out, size_t n)
{
	return select_top(c, out, n, true);
}

size_t clients_bytes(const clients *c)
{
	size_t b = sizeof *c + (c->cap + 1) * sizeof c->tab[0] + c->n_sec * sizeof c->sec[0];
	if (c->approx) {
		b += (c->nw * (HB + 1) + 1) * K_N * hll_bytes(HLL_P) + c->nw * sizeof c->hr[0];
	} else {
		b += K_N * c->n_sec * sizeof c->tally[0][0];
		b += (c->pt[0].cap + c->pt[1].cap) * sizeof(struct pentry);
	}
	return b;
}

size_t clients_bytes_per_client(void)
{
	/* The record in its table, which is kept 37% to 75% full: 1 / load is
	 * 1.85 on average over a growth cycle (from 1.33 to 2.67); and at worst a
	 * prefix entry of its own, in a table kept the same way. */
	return (sizeof(struct client) + sizeof(struct pentry)) * 185 / 100;
}
