/* noise.c - unsolicited traffic towards a capture's own addresses; see
 * noise.h.
 *
 * Tables and their caps (memory stays bounded whatever the capture):
 *   - sources: an open-addressing table of address -> record, at most
 *     max_sources (default 100000, about 100 octets each).  A source beyond
 *     the cap is counted (packets, classes, ports, hours) but not itemised:
 *     no record, no distinct ports or hosts; the distinct sources are then
 *     HyperLogLog estimates (hll.h, 2^14 registers per family, 0.8 %), which
 *     see every source.
 *   - pairs: one set of 64-bit keys for every distinct (source, port),
 *     (source, host) and (source, hour), at most max_pairs (default 2^22,
 *     64 MiB at most).  When it is full new pairs are not counted: distinct
 *     ports and hosts per source, sources per port and per hour become lower
 *     bounds (noise_summary.distinct_lower_bound says so).  A host enters its
 *     key as a 36-bit hash, so two hosts of one source collide with a
 *     probability of about k^2 / 2^37 for k hosts.
 *   - ports: packets and sources per port for attempts, UDP and backscatter
 *     (3 x 65536 counters).
 *   - hours: one row per hour from the first unsolicited packet, at most
 *     NOISE_MAX_HOURS (a year); packets beyond are counted in hours_dropped.
 *   - flows: outgoing flows, 2^16 buckets of 4 by a keyed hash, 2 MiB (a
 *     fifth flow in a bucket overwrites its oldest: a late reply to that one
 *     counts as unsolicited).
 * The inference (noise_infer) keeps up to 65536 destination addresses and
 * its own pair set of (destination, source) of the same cap.
 *
 * Hash tables that face addresses from the network use hll_hash_words()
 * with a random seed, so nobody can aim many keys at one slot.
 */
#include "analysis/noise.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/random.h>

#include "analysis/hll.h"
#include "common/mem.h"
#include "wire/icmp.h"

#define NS_PER_SEC 1000000000LL
#define NS_PER_HOUR (3600 * NS_PER_SEC)
#define MAX_SEC 9000000000LL /* |t| in seconds that int64 nanoseconds hold, about */
#define FLOW_BITS 16	     /* 2^16 buckets of FLOW_WAYS flows */
#define FLOW_WAYS 4
#define MAX_INDEX ((1u << 24) - 1) /* records addressed by the pair keys */
#define SOURCES_HLL_P 14

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMP6 = 58 };

static uint64_t random_seed(void)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof s, GRND_NONBLOCK) != (ssize_t)sizeof s)
		s = (uint64_t)(uintptr_t)&s * 0xd6e8feb86659fd93ULL;
	return s;
}

static inline int fam(int version)
{
	return version == 6 ? 1 : 0;
}

/* ---- local prefixes ---- */

bool noise_prefix_match(const struct noise_prefix *p, int version, const uint8_t addr[16])
{
	if (p->version != version)
		return false;
	size_t full = p->len / 8u;
	if (memcmp(p->addr, addr, full) != 0)
		return false;
	unsigned rest = p->len % 8u;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (addr[full] & mask) == p->addr[full];
}

static void prefix_mask(struct noise_prefix *p)
{
	size_t bytes = p->version == 4 ? 4 : 16;
	for (size_t i = 0; i < bytes; i++) {
		size_t bit = i * 8;
		if (bit >= p->len)
			p->addr[i] = 0;
		else if (bit + 8 > p->len)
			p->addr[i] &= (uint8_t)(0xff << (8 - (p->len - bit)));
	}
	memset(p->addr + bytes, 0, 16 - bytes);
}

/* One item "ADDR[/LEN]" of length n. */
static int parse_one(const char *s, size_t n, struct noise_prefix *out, char *err, size_t errlen)
{
	char item[64];
	if (n == 0) {
		str_format(err, errlen, "an empty item (two commas, or one at an end)");
		return -EINVAL;
	}
	if (n >= sizeof item) {
		str_format(err, errlen, "'%.*s...' is not an address or prefix", 40, s);
		return -EINVAL;
	}
	memcpy(item, s, n);
	item[n] = '\0';
	char *slash = strchr(item, '/');
	if (slash)
		*slash = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, item, out->addr) == 1) {
		out->version = 4;
		out->len = 32;
	} else if (inet_pton(AF_INET6, item, out->addr) == 1) {
		out->version = 6;
		out->len = 128;
	} else {
		if (slash)
			*slash = '/';
		str_format(err, errlen,
			   "'%s' is not an IPv4 or IPv6 address (or prefix like 192.0.2.0/24)",
			   item);
		return -EINVAL;
	}
	if (slash) {
		const char *l = slash + 1;
		unsigned v = 0;
		size_t digits = 0;
		for (; l[digits] >= '0' && l[digits] <= '9' && digits < 4; digits++)
			v = v * 10 + (unsigned)(l[digits] - '0');
		if (digits == 0 || l[digits] != '\0' || v > out->len) {
			*slash = '/';
			str_format(err, errlen, "'%s': the prefix length must be 0 to %u", item,
				   (unsigned)out->len);
			return -EINVAL;
		}
		out->len = (uint8_t)v;
	}
	prefix_mask(out);
	return 0;
}

int noise_parse_locals(const char *s, struct noise_prefix *out, size_t max, size_t *n, char *err,
		       size_t errlen)
{
	*n = 0;
	size_t len = strnlen(s, 4097);
	if (len > 4096) {
		str_format(err, errlen, "the list is longer than 4096 characters");
		return -E2BIG;
	}
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		if (*n == max) {
			str_format(err, errlen, "more than %zu addresses or prefixes", max);
			*n = 0;
			return -E2BIG;
		}
		int e = parse_one(s + start, i - start, &out[*n], err, errlen);
		if (e != 0) {
			*n = 0;
			return e;
		}
		(*n)++;
		start = i + 1;
	}
	return 0;
}

/* ---- decoding ---- */

static int64_t time_ns(const struct timespec *ts)
{
	if (ts->tv_sec > MAX_SEC || ts->tv_sec < -MAX_SEC || ts->tv_nsec < 0 ||
	    ts->tv_nsec >= NS_PER_SEC)
		return NOISE_NO_TIME;
	return (int64_t)ts->tv_sec * NS_PER_SEC + ts->tv_nsec;
}

static bool icmp_error(int version, unsigned type)
{
	if (version == 4)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

/* The datagram an ICMP error quotes, when the capture has its IP header and
 * it is of the error's IP version.  frame_decode() leaves the payload after
 * the 4 octets of type, code and checksum, which icmp_decode() wants too. */
static void quote_of(const struct frame_view *v, struct noise_pkt *p)
{
	bool v4 = v->ip_version == 4 && v->proto == PROTO_ICMP;
	bool v6 = v->ip_version == 6 && v->proto == PROTO_ICMP6;
	if (!(v4 || v6) || !icmp_error(v->ip_version, v->icmp_type) || !v->payload)
		return;
	struct icmp_reply r;
	if (icmp_decode(v4 ? ICMP_L_ICMP4 : ICMP_L_ICMP6, v->payload - 4, v->payload_len + 4, &r) !=
		    ICMP_OK ||
	    !r.quoted || r.quote.ip_version != v->ip_version)
		return;
	p->quoted = true;
	p->q_proto = r.quote.proto;
	memcpy(p->q_src, r.quote.src, 16);
	memcpy(p->q_dst, r.quote.dst, 16);
	if (r.quote.transport && (r.quote.proto == PROTO_TCP || r.quote.proto == PROTO_UDP)) {
		p->q_sport = r.quote.sport;
		p->q_dport = r.quote.dport;
	}
}

enum frame_status noise_decode(uint32_t linktype, const uint8_t *frame, size_t caplen,
			       const struct timespec *ts, struct noise_pkt *out)
{
	struct frame_view v;
	struct noise_pkt p;
	memset(&p, 0, sizeof p);
	p.t = time_ns(ts);
	enum frame_status st = frame_decode(linktype, frame, caplen, &v);
	p.status = (uint8_t)st;
	if (st == FRAME_OK || st == FRAME_FRAGMENT) {
		p.version = v.ip_version;
		memcpy(p.src, v.src, 16);
		memcpy(p.dst, v.dst, 16);
		p.proto = v.proto;
	}
	if (st == FRAME_OK) {
		p.sport = v.sport;
		p.dport = v.dport;
		p.tcp_flags = v.tcp_flags;
		p.icmp_type = v.icmp_type;
		p.icmp_code = v.icmp_code;
		quote_of(&v, &p);
	}
	*out = p;
	return st;
}

/* ---- tables ---- */

/* A set of nonzero 64-bit keys, open addressing, at most max keys. */
struct pset {
	uint64_t *k;
	size_t cap, n, max;
	uint64_t seed;
	bool full;
};

static void pset_init(struct pset *s, size_t max, uint64_t seed)
{
	s->cap = 1024;
	s->k = mem_calloc(s->cap, sizeof *s->k);
	s->n = 0;
	s->max = max;
	s->seed = seed;
	s->full = false;
}

static inline size_t pset_slot(const struct pset *s, uint64_t key)
{
	uint64_t h = hll_hash_words(s->seed, &key, 1);
	return (size_t)(h ^ h >> 32) & (s->cap - 1);
}

static void pset_grow(struct pset *s)
{
	uint64_t *old = s->k;
	size_t ocap = s->cap;
	s->cap *= 2;
	s->k = mem_calloc(s->cap, sizeof *s->k);
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i])
			continue;
		size_t j = pset_slot(s, old[i]);
		while (s->k[j])
			j = (j + 1) & (s->cap - 1);
		s->k[j] = old[i];
	}
	free(old);
}

/* True if key was not in the set and is now; false if it was, or the set is
 * full (then s->full). */
static bool pset_add(struct pset *s, uint64_t key)
{
	size_t j = pset_slot(s, key);
	while (s->k[j]) {
		if (s->k[j] == key)
			return false;
		j = (j + 1) & (s->cap - 1);
	}
	if (s->n >= s->max) {
		s->full = true;
		return false;
	}
	s->k[j] = key;
	s->n++;
	if (s->n * 2 > s->cap)
		pset_grow(s);
	return true;
}

/* Addresses -> indexes 0.. in the order they came, at most max. */
struct akey {
	uint8_t addr[16];
	uint8_t version;
};

struct atab {
	uint32_t *slot; /* index + 1, 0 empty */
	struct akey *keys;
	size_t cap, n, max, cap_keys;
	uint64_t seed;
};

static void atab_init(struct atab *t, size_t max, uint64_t seed)
{
	t->cap = 256;
	t->slot = mem_calloc(t->cap, sizeof *t->slot);
	t->cap_keys = 64;
	t->keys = mem_calloc(t->cap_keys, sizeof *t->keys);
	t->n = 0;
	t->max = max;
	t->seed = seed;
}

static void atab_fini(struct atab *t)
{
	free(t->slot);
	free(t->keys);
}

static inline uint64_t addr_hash(uint64_t seed, int version, const uint8_t addr[16])
{
	uint64_t w[3];
	memcpy(w, addr, 16);
	w[2] = (uint64_t)version;
	return hll_hash_words(seed, w, 3);
}

static inline size_t atab_slot(const struct atab *t, int version, const uint8_t addr[16])
{
	uint64_t h = addr_hash(t->seed, version, addr);
	return (size_t)(h ^ h >> 32) & (t->cap - 1);
}

static void atab_grow(struct atab *t)
{
	free(t->slot);
	t->cap *= 2;
	t->slot = mem_calloc(t->cap, sizeof *t->slot);
	for (size_t i = 0; i < t->n; i++) {
		size_t j = atab_slot(t, t->keys[i].version, t->keys[i].addr);
		while (t->slot[j])
			j = (j + 1) & (t->cap - 1);
		t->slot[j] = (uint32_t)(i + 1);
	}
}

/* The index of the address, added if new (*added); SIZE_MAX if new and the
 * table is full. */
static size_t atab_get(struct atab *t, int version, const uint8_t addr[16], bool *added)
{
	*added = false;
	size_t j = atab_slot(t, version, addr);
	while (t->slot[j]) {
		const struct akey *k = &t->keys[t->slot[j] - 1];
		if (k->version == version && memcmp(k->addr, addr, 16) == 0)
			return t->slot[j] - 1;
		j = (j + 1) & (t->cap - 1);
	}
	if (t->n >= t->max)
		return SIZE_MAX;
	if (t->n == t->cap_keys) {
		t->cap_keys *= 2;
		t->keys = mem_realloc(t->keys, t->cap_keys * sizeof *t->keys);
	}
	size_t i = t->n++;
	memcpy(t->keys[i].addr, addr, 16);
	t->keys[i].version = (uint8_t)version;
	t->slot[j] = (uint32_t)(i + 1);
	*added = true;
	if (t->n * 2 > t->cap)
		atab_grow(t);
	return i;
}

/* A 36-bit hash of an address, for pair keys. */
static inline uint64_t addr36(uint64_t seed, int version, const uint8_t addr[16])
{
	return addr_hash(seed, version, addr) >> 28;
}

static inline bool is_request(const struct noise_pkt *p)
{
	if (p->status != FRAME_OK)
		return false;
	if (p->proto == PROTO_TCP)
		return (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
	if (p->version == 4 && p->proto == PROTO_ICMP)
		return p->icmp_type == 8;
	if (p->version == 6 && p->proto == PROTO_ICMP6)
		return p->icmp_type == 128;
	return false;
}

/* ---- inference ---- */

struct dst_rec {
	uint64_t packets, requests, sources, request_sources;
};

struct noise_infer {
	struct atab dst;
	struct dst_rec *recs;
	size_t cap_recs;
	struct pset pairs;
	bool full;
};

noise_infer *noise_infer_new(size_t max_addrs)
{
	if (max_addrs == 0)
		max_addrs = 65536;
	if (max_addrs > MAX_INDEX)
		max_addrs = MAX_INDEX;
	noise_infer *ni = mem_calloc(1, sizeof *ni);
	uint64_t seed = random_seed();
	atab_init(&ni->dst, max_addrs, seed);
	pset_init(&ni->pairs, NOISE_MAX_PAIRS, seed ^ 0x9e3779b97f4a7c15ULL);
	return ni;
}

void noise_infer_free(noise_infer *ni)
{
	if (!ni)
		return;
	atab_fini(&ni->dst);
	free(ni->recs);
	free(ni->pairs.k);
	free(ni);
}

/* Multicast and broadcast destinations are nobody's own address. */
static bool group_addr(int version, const uint8_t a[16])
{
	if (version == 4)
		return (a[0] & 0xf0) == 0xe0 ||
		       (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
	return a[0] == 0xff;
}

void noise_infer_add(noise_infer *ni, const struct noise_pkt *p)
{
	if (p->status != FRAME_OK && p->status != FRAME_FRAGMENT)
		return;
	if (p->version != 4 && p->version != 6)
		return;
	if (group_addr(p->version, p->dst))
		return;
	bool added;
	size_t i = atab_get(&ni->dst, p->version, p->dst, &added);
	if (i == SIZE_MAX) {
		ni->full = true;
		return;
	}
	if (added) {
		if (i >= ni->cap_recs) {
			ni->cap_recs = ni->cap_recs ? ni->cap_recs * 2 : 64;
			ni->recs = mem_realloc(ni->recs, ni->cap_recs * sizeof *ni->recs);
		}
		memset(&ni->recs[i], 0, sizeof ni->recs[i]);
	}
	struct dst_rec *r = &ni->recs[i];
	r->packets++;
	uint64_t src = addr36(ni->dst.seed, p->version, p->src);
	if (pset_add(&ni->pairs, 1ULL << 62 | (uint64_t)i << 36 | src))
		r->sources++;
	if (is_request(p)) {
		r->requests++;
		if (pset_add(&ni->pairs, 2ULL << 62 | (uint64_t)i << 36 | src))
			r->request_sources++;
	}
}

bool noise_infer_full(const noise_infer *ni)
{
	return ni->full || ni->pairs.full;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

static int cmp_local(const void *pa, const void *pb)
{
	const struct noise_local *a = pa, *b = pb;
	int c;
	if ((c = cmp_u64_desc(a->request_sources, b->request_sources)) ||
	    (c = cmp_u64_desc(a->sources, b->sources)) ||
	    (c = cmp_u64_desc(a->packets, b->packets)))
		return c;
	if (a->pfx.version != b->pfx.version)
		return a->pfx.version < b->pfx.version ? -1 : 1;
	return memcmp(a->pfx.addr, b->pfx.addr, 16);
}

size_t noise_infer_locals(const noise_infer *ni, struct noise_local *out, size_t max)
{
	uint64_t max_req[2] = { 0, 0 }, max_src[2] = { 0, 0 };
	for (size_t i = 0; i < ni->dst.n; i++) {
		int f = fam(ni->dst.keys[i].version);
		const struct dst_rec *r = &ni->recs[i];
		if (r->request_sources > max_req[f])
			max_req[f] = r->request_sources;
		if (r->sources > max_src[f])
			max_src[f] = r->sources;
	}
	uint64_t thr[2];
	bool by_req[2];
	for (int f = 0; f < 2; f++) {
		by_req[f] = max_req[f] > 0;
		if (by_req[f]) {
			thr[f] = (max_req[f] + 9) / 10;
		} else {
			thr[f] = (max_src[f] + 1) / 2;
			if (thr[f] < 2)
				thr[f] = 2;
		}
	}
	size_t n = 0, cap = 0;
	struct noise_local *all = NULL;
	for (size_t i = 0; i < ni->dst.n; i++) {
		const struct akey *k = &ni->dst.keys[i];
		const struct dst_rec *r = &ni->recs[i];
		int f = fam(k->version);
		if ((by_req[f] ? r->request_sources : r->sources) < thr[f])
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			all = mem_realloc(all, cap * sizeof *all);
		}
		struct noise_local *l = &all[n++];
		memset(l, 0, sizeof *l);
		memcpy(l->pfx.addr, k->addr, 16);
		l->pfx.version = k->version;
		l->pfx.len = k->version == 4 ? 32 : 128;
		l->by = by_req[f] ? NOISE_REQUESTS : NOISE_SOURCES;
		l->packets = r->packets;
		l->requests = r->requests;
		l->sources = r->sources;
		l->request_sources = r->request_sources;
	}
	if (n)
		qsort(all, n, sizeof *all, cmp_local);
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = all[i];
	free(all);
	return n;
}

/* ---- the analysis ---- */

struct src_rec {
	uint64_t packets, attempts, backscatter, tcp_other, udp, icmp, other;
	int64_t first, last;
	uint32_t ports, hosts;
};

struct noise {
	struct noise_opts o;
	struct noise_prefix locals[NOISE_MAX_LOCALS];
	size_t n_locals;
	uint64_t seed;
	uint64_t *flows;    /* 2^FLOW_BITS buckets of FLOW_WAYS keyed hashes | 1, 0 empty */
	uint8_t *flow_next; /* per bucket: the way to overwrite next */
	struct atab src;
	struct src_rec *recs;
	size_t cap_recs;
	uint64_t itemised[2];
	struct pset pairs;
	hll *sources_hll[2];
	struct noise_summary s;
	uint64_t port_pkts[NOISE_PORT_KINDS][65536];
	uint64_t port_srcs[NOISE_PORT_KINDS][65536];
	struct noise_hour *hours;
	size_t n_hours, cap_hours;
	int64_t base_hour; /* hours since the epoch of hours[0] */
	int64_t last_t;
};

noise *noise_new(const struct noise_opts *o, const struct noise_prefix *locals, size_t n_locals)
{
	if (n_locals == 0 || n_locals > NOISE_MAX_LOCALS)
		return NULL;
	if (o->max_sources > MAX_INDEX)
		return NULL;
	for (size_t i = 0; i < n_locals; i++)
		if ((locals[i].version != 4 || locals[i].len > 32) &&
		    (locals[i].version != 6 || locals[i].len > 128))
			return NULL;
	noise *n = mem_calloc(1, sizeof *n);
	n->o = *o;
	if (!n->o.scanner_ports)
		n->o.scanner_ports = NOISE_SCANNER_PORTS;
	if (!n->o.scanner_hosts)
		n->o.scanner_hosts = NOISE_SCANNER_HOSTS;
	if (!n->o.max_sources)
		n->o.max_sources = NOISE_MAX_SOURCES;
	if (!n->o.max_pairs)
		n->o.max_pairs = NOISE_MAX_PAIRS;
	memcpy(n->locals, locals, n_locals * sizeof *locals);
	for (size_t i = 0; i < n_locals; i++)
		prefix_mask(&n->locals[i]);
	n->n_locals = n_locals;
	n->seed = random_seed();
	n->flows = mem_calloc((size_t)FLOW_WAYS << FLOW_BITS, sizeof *n->flows);
	n->flow_next = mem_calloc((size_t)1 << FLOW_BITS, 1);
	atab_init(&n->src, n->o.max_sources, n->seed);
	pset_init(&n->pairs, n->o.max_pairs, n->seed ^ 0x9e3779b97f4a7c15ULL);
	n->sources_hll[0] = hll_new(SOURCES_HLL_P);
	n->sources_hll[1] = hll_new(SOURCES_HLL_P);
	return n;
}

void noise_free(noise *n)
{
	if (!n)
		return;
	free(n->flows);
	free(n->flow_next);
	atab_fini(&n->src);
	free(n->recs);
	free(n->pairs.k);
	hll_free(n->sources_hll[0]);
	hll_free(n->sources_hll[1]);
	free(n->hours);
	free(n);
}

static bool is_local(const noise *n, int version, const uint8_t addr[16])
{
	for (size_t i = 0; i < n->n_locals; i++)
		if (noise_prefix_match(&n->locals[i], version, addr))
			return true;
	return false;
}

/* The key of a flow from a local address (proto 0, ports 0: "this local
 * address sent something to that remote one"). */
static uint64_t flow_key(const noise *n, int version, unsigned proto, const uint8_t local[16],
			 unsigned lport, const uint8_t remote[16], unsigned rport)
{
	uint64_t w[5];
	memcpy(w, local, 16);
	memcpy(w + 2, remote, 16);
	w[4] = (uint64_t)proto << 40 | (uint64_t)version << 32 | (uint64_t)lport << 16 | rport;
	return hll_hash_words(n->seed, w, 5) | 1;
}

/* A flow into its bucket: nothing if there already, else over the oldest
 * of the bucket (round robin). */
static void flow_put(noise *n, uint64_t k)
{
	size_t b = (size_t)(k >> (64 - FLOW_BITS));
	uint64_t *w = n->flows + b * FLOW_WAYS;
	for (size_t i = 0; i < FLOW_WAYS; i++)
		if (w[i] == k)
			return;
	w[n->flow_next[b]] = k;
	n->flow_next[b] = (uint8_t)((n->flow_next[b] + 1) % FLOW_WAYS);
}

static bool flow_has(const noise *n, uint64_t k)
{
	const uint64_t *w = n->flows + (size_t)(k >> (64 - FLOW_BITS)) * FLOW_WAYS;
	for (size_t i = 0; i < FLOW_WAYS; i++)
		if (w[i] == k)
			return true;
	return false;
}

/* A packet from a local address: its flow, and "contacted". */
static void outgoing(noise *n, const struct noise_pkt *p)
{
	unsigned sp = 0, dp = 0;
	bool ports = p->status == FRAME_OK && (p->proto == PROTO_TCP || p->proto == PROTO_UDP);
	if (ports) {
		sp = p->sport;
		dp = p->dport;
	}
	bool echo = p->status == FRAME_OK &&
		    ((p->version == 4 && p->proto == PROTO_ICMP && p->icmp_type == 8) ||
		     (p->version == 6 && p->proto == PROTO_ICMP6 && p->icmp_type == 128));
	if (p->status == FRAME_OK &&
	    (ports || echo || (p->proto != PROTO_ICMP && p->proto != PROTO_ICMP6)))
		flow_put(n, flow_key(n, p->version, p->proto, p->src, sp, p->dst, dp));
	flow_put(n, flow_key(n, p->version, 0, p->src, 0, p->dst, 0));
}

enum cls { C_ATTEMPT, C_BACKSCATTER, C_TCP_OTHER, C_UDP, C_ICMP, C_OTHER, C_REPLY };

/* What an incoming packet is. */
static enum cls classify(const noise *n, const struct noise_pkt *p)
{
	int v = p->version;
	if (p->status == FRAME_FRAGMENT)
		return flow_has(n, flow_key(n, v, 0, p->dst, 0, p->src, 0)) ? C_REPLY : C_OTHER;
	switch (p->proto) {
	case PROTO_TCP: {
		unsigned f = p->tcp_flags;
		if ((f & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			return C_ATTEMPT;
		if (flow_has(n, flow_key(n, v, PROTO_TCP, p->dst, p->dport, p->src, p->sport)))
			return C_REPLY;
		if ((f & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) || (f & TCP_RST))
			return C_BACKSCATTER;
		return C_TCP_OTHER;
	}
	case PROTO_UDP:
		if (flow_has(n, flow_key(n, v, PROTO_UDP, p->dst, p->dport, p->src, p->sport)))
			return C_REPLY;
		return C_UDP;
	case PROTO_ICMP:
	case PROTO_ICMP6:
		if ((p->proto == PROTO_ICMP) != (v == 4))
			break; /* ICMP in IPv6 or ICMPv6 in IPv4: another protocol */
		if ((p->icmp_type == 0 && v == 4) || (p->icmp_type == 129 && v == 6)) {
			if (flow_has(n, flow_key(n, v, p->proto, p->dst, 0, p->src, 0)))
				return C_REPLY;
		} else if (icmp_error(v, p->icmp_type) && p->quoted) {
			/* About a datagram sent from here: its flow, or at least
			 * its pair of addresses (the quote may lack the ports).
			 * A router's error is about a packet to somewhere else. */
			if (flow_has(n, flow_key(n, v, p->q_proto, p->q_src, p->q_sport, p->q_dst,
						 p->q_dport)) ||
			    flow_has(n, flow_key(n, v, 0, p->q_src, 0, p->q_dst, 0)))
				return C_REPLY;
		} else if (icmp_error(v, p->icmp_type)) {
			/* No quote (cut by the capture): from an address contacted. */
			if (flow_has(n, flow_key(n, v, 0, p->dst, 0, p->src, 0)))
				return C_REPLY;
		}
		return C_ICMP;
	default: break;
	}
	if (flow_has(n, flow_key(n, v, p->proto, p->dst, 0, p->src, 0)))
		return C_REPLY;
	return C_OTHER;
}

/* The row of the hour of t, NULL beyond NOISE_MAX_HOURS. */
static struct noise_hour *hour_of(noise *n, int64_t t)
{
	int64_t h = t >= 0 ? t / NS_PER_HOUR : -((-t + NS_PER_HOUR - 1) / NS_PER_HOUR);
	if (n->n_hours == 0) {
		n->base_hour = h;
		n->cap_hours = 32;
		n->hours = mem_calloc(n->cap_hours, sizeof *n->hours);
		n->hours[0].start = h * 3600;
		n->n_hours = 1;
	}
	if (h < n->base_hour) {
		/* out of order (merged files with overlaps): room in front */
		size_t shift = (size_t)(n->base_hour - h);
		if (shift + n->n_hours > NOISE_MAX_HOURS)
			return NULL;
		if (shift + n->n_hours > n->cap_hours) {
			n->cap_hours = shift + n->n_hours + 32;
			n->hours = mem_realloc(n->hours, n->cap_hours * sizeof *n->hours);
		}
		memmove(n->hours + shift, n->hours, n->n_hours * sizeof *n->hours);
		memset(n->hours, 0, shift * sizeof *n->hours);
		for (size_t i = 0; i < shift; i++)
			n->hours[i].start = (h + (int64_t)i) * 3600;
		n->n_hours += shift;
		n->base_hour = h;
	}
	if (h - n->base_hour >= NOISE_MAX_HOURS)
		return NULL;
	size_t i = (size_t)(h - n->base_hour);
	if (i >= n->n_hours) {
		if (i >= n->cap_hours) {
			size_t c = n->cap_hours * 2;
			n->cap_hours = c > i ? c : i + 1;
			n->hours = mem_realloc(n->hours, n->cap_hours * sizeof *n->hours);
		}
		for (size_t k = n->n_hours; k <= i; k++) {
			memset(&n->hours[k], 0, sizeof n->hours[k]);
			n->hours[k].start = (n->base_hour + (int64_t)k) * 3600;
		}
		n->n_hours = i + 1;
	}
	return &n->hours[i];
}

/* Pair keys: 2 tag bits, then (source index, what). */
enum { TAG_PORT = 1, TAG_HOST = 2, TAG_HOUR = 3 };
enum { K_TCP = 0, K_UDP = 1, K_BACKSCATTER = 2, K_ATTEMPT = 3 };

static inline uint64_t port_pair(size_t src, unsigned kind, unsigned port)
{
	return (uint64_t)TAG_PORT << 62 | (uint64_t)kind << 58 | (uint64_t)src << 16 | port;
}

static void unsolicited(noise *n, const struct noise_pkt *p, int64_t t, enum cls c)
{
	struct noise_summary *s = &n->s;
	int v = p->version, f = fam(v);
	s->unsolicited++;
	if (v == 4)
		s->v4++;
	else
		s->v6++;
	s->proto[p->proto]++;
	if (p->status == FRAME_FRAGMENT)
		s->fragments++;
	switch (c) {
	case C_ATTEMPT:
		s->tcp_attempts++;
		n->port_pkts[NOISE_PORT_TCP][p->dport]++;
		break;
	case C_BACKSCATTER:
		s->tcp_backscatter++;
		n->port_pkts[NOISE_PORT_BACKSCATTER][p->sport]++;
		break;
	case C_TCP_OTHER: s->tcp_other++; break;
	case C_UDP:
		s->udp++;
		n->port_pkts[NOISE_PORT_UDP][p->dport]++;
		break;
	case C_ICMP:
		if (v == 4)
			s->icmp++;
		else
			s->icmp6++;
		s->icmp_types[f][p->icmp_type]++;
		break;
	default: s->other_proto++; break;
	}
	struct noise_hour *h = hour_of(n, t);
	if (h) {
		h->packets++;
		if (v == 4)
			h->v4++;
		else
			h->v6++;
		h->attempts += c == C_ATTEMPT;
		h->backscatter += c == C_BACKSCATTER;
		h->udp += c == C_UDP;
		h->icmp += c == C_ICMP;
	} else {
		s->hours_dropped++;
	}
	hll_add(n->sources_hll[f], addr_hash(0x5eed, v, p->src));

	bool added;
	size_t i = atab_get(&n->src, v, p->src, &added);
	if (i == SIZE_MAX) {
		s->not_itemised_packets++;
		return;
	}
	if (added) {
		if (i >= n->cap_recs) {
			n->cap_recs = n->cap_recs ? n->cap_recs * 2 : 256;
			n->recs = mem_realloc(n->recs, n->cap_recs * sizeof *n->recs);
		}
		memset(&n->recs[i], 0, sizeof n->recs[i]);
		n->recs[i].first = n->recs[i].last = t;
		n->itemised[f]++;
	}
	struct src_rec *r = &n->recs[i];
	r->packets++;
	if (t < r->first)
		r->first = t;
	if (t > r->last)
		r->last = t;
	switch (c) {
	case C_ATTEMPT:
		r->attempts++;
		if (pset_add(&n->pairs, port_pair(i, K_ATTEMPT, p->dport)))
			n->port_srcs[NOISE_PORT_TCP][p->dport]++;
		if (pset_add(&n->pairs, port_pair(i, K_TCP, p->dport)))
			r->ports++;
		break;
	case C_TCP_OTHER:
		r->tcp_other++;
		if (p->status == FRAME_OK && pset_add(&n->pairs, port_pair(i, K_TCP, p->dport)))
			r->ports++;
		break;
	case C_BACKSCATTER:
		r->backscatter++;
		if (pset_add(&n->pairs, port_pair(i, K_BACKSCATTER, p->sport)))
			n->port_srcs[NOISE_PORT_BACKSCATTER][p->sport]++;
		break;
	case C_UDP:
		r->udp++;
		if (pset_add(&n->pairs, port_pair(i, K_UDP, p->dport))) {
			r->ports++;
			n->port_srcs[NOISE_PORT_UDP][p->dport]++;
		}
		break;
	case C_ICMP: r->icmp++; break;
	default: r->other++; break;
	}
	if (c != C_BACKSCATTER && pset_add(&n->pairs, (uint64_t)TAG_HOST << 62 | (uint64_t)i << 36 |
							      addr36(n->seed, v, p->dst)))
		r->hosts++;
	if (h) {
		/* the hour itself, not its row: rows move when an earlier hour comes */
		uint64_t habs = (uint64_t)(n->base_hour + (h - n->hours)) & 0xffffff;
		if (pset_add(&n->pairs, (uint64_t)TAG_HOUR << 62 | (uint64_t)i << 24 | habs))
			h->sources++;
	}
	if (n->pairs.full)
		s->distinct_lower_bound = true;
}

void noise_add(noise *n, const struct noise_pkt *p)
{
	struct noise_summary *s = &n->s;
	int64_t t = p->t;
	if (t == NOISE_NO_TIME)
		t = s->packets ? n->last_t : 0;
	s->packets++;
	if (s->packets == 1 || t < s->first)
		s->first = t;
	if (s->packets == 1 || t > s->last)
		s->last = t;
	n->last_t = t;
	switch (p->status) {
	case FRAME_OK:
	case FRAME_FRAGMENT: break;
	case FRAME_TRUNCATED: s->truncated++; return;
	case FRAME_INVALID: s->invalid++; return;
	default: s->not_ip++; return;
	}
	if (p->version != 4 && p->version != 6) {
		s->invalid++;
		return;
	}
	bool sl = is_local(n, p->version, p->src), dl = is_local(n, p->version, p->dst);
	if (sl && dl) {
		s->internal++;
		return;
	}
	if (sl) {
		s->outgoing++;
		outgoing(n, p);
		return;
	}
	if (!dl) {
		s->transit++;
		return;
	}
	enum cls c = classify(n, p);
	if (c == C_REPLY) {
		s->replies++;
		return;
	}
	unsolicited(n, p, t, c);
}

static bool scanner(const noise *n, const struct src_rec *r)
{
	return r->ports >= n->o.scanner_ports || r->hosts >= n->o.scanner_hosts;
}

void noise_summary(const noise *n, struct noise_summary *s)
{
	*s = n->s;
	s->itemised = n->src.n;
	s->scanners = 0;
	for (size_t i = 0; i < n->src.n; i++)
		s->scanners += scanner(n, &n->recs[i]);
	s->sources_approx = s->not_itemised_packets > 0;
	if (s->sources_approx) {
		s->sources_v4 = hll_count(n->sources_hll[0]);
		s->sources_v6 = hll_count(n->sources_hll[1]);
		/* never fewer than those counted one by one */
		if (s->sources_v4 < (double)n->itemised[0])
			s->sources_v4 = (double)n->itemised[0];
		if (s->sources_v6 < (double)n->itemised[1])
			s->sources_v6 = (double)n->itemised[1];
	} else {
		s->sources_v4 = (double)n->itemised[0];
		s->sources_v6 = (double)n->itemised[1];
	}
	s->distinct_lower_bound = n->pairs.full;
}

size_t noise_n_sources(const noise *n)
{
	return n->src.n;
}

static int cmp_addr(const struct noise_source *a, const struct noise_source *b)
{
	if (a->version != b->version)
		return a->version < b->version ? -1 : 1;
	return memcmp(a->addr, b->addr, 16);
}

static int cmp_by_packets(const void *pa, const void *pb)
{
	const struct noise_source *a = pa, *b = pb;
	int c;
	if ((c = cmp_u64_desc(a->packets, b->packets)) || (c = cmp_u64_desc(a->ports, b->ports)) ||
	    (c = cmp_u64_desc(a->hosts, b->hosts)))
		return c;
	return cmp_addr(a, b);
}

static int cmp_by_ports(const void *pa, const void *pb)
{
	const struct noise_source *a = pa, *b = pb;
	int c;
	if ((c = cmp_u64_desc(a->ports, b->ports)) || (c = cmp_u64_desc(a->hosts, b->hosts)) ||
	    (c = cmp_u64_desc(a->packets, b->packets)))
		return c;
	return cmp_addr(a, b);
}

size_t noise_sources(const noise *n, enum noise_order order, bool scanners_only,
		     struct noise_source *out, size_t max)
{
	if (n->src.n == 0 || max == 0)
		return 0;
	struct noise_source *all = mem_calloc(n->src.n, sizeof *all);
	size_t k = 0;
	for (size_t i = 0; i < n->src.n; i++) {
		const struct src_rec *r = &n->recs[i];
		bool sc = scanner(n, r);
		if (scanners_only && !sc)
			continue;
		struct noise_source *o = &all[k++];
		memcpy(o->addr, n->src.keys[i].addr, 16);
		o->version = n->src.keys[i].version;
		o->scanner = sc;
		o->ports = r->ports;
		o->hosts = r->hosts;
		o->packets = r->packets;
		o->attempts = r->attempts;
		o->backscatter = r->backscatter;
		o->tcp_other = r->tcp_other;
		o->udp = r->udp;
		o->icmp = r->icmp;
		o->other = r->other;
		o->first = r->first;
		o->last = r->last;
	}
	if (k)
		qsort(all, k, sizeof *all, order == NOISE_BY_PORTS ? cmp_by_ports : cmp_by_packets);
	if (k > max)
		k = max;
	memcpy(out, all, k * sizeof *out);
	free(all);
	return k;
}

size_t noise_top_ports(const noise *n, enum noise_port_kind k, struct noise_port *out, size_t max)
{
	if ((unsigned)k >= NOISE_PORT_KINDS || max == 0)
		return 0;
	const uint64_t *pk = n->port_pkts[k];
	size_t cnt = 0;
	/* insertion into out, kept sorted: max is small (--top) */
	for (size_t port = 0; port < 65536; port++) {
		if (!pk[port])
			continue;
		if (cnt == max && pk[port] <= out[cnt - 1].packets)
			continue;
		size_t j = cnt < max ? cnt++ : cnt - 1;
		while (j > 0 && out[j - 1].packets < pk[port]) {
			out[j] = out[j - 1];
			j--;
		}
		out[j].port = (uint16_t)port;
		out[j].packets = pk[port];
		out[j].sources = n->port_srcs[k][port];
	}
	return cnt;
}

const struct noise_hour *noise_hours(const noise *n, size_t *count)
{
	*count = n->n_hours;
	return n->n_hours ? n->hours : NULL;
}
