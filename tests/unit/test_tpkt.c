/* test_tpkt.c - a captured packet made ready for the traffic analyses
 * (src/analysis/tpkt.c): crafted Ethernet + IPv4/IPv6 + UDP + NTP frames,
 * built octet by octet, classified (request, response, control, malformed,
 * truncated, fragment, other); the capture time in exact nanoseconds; the
 * clients and delta keys of a request equal to what clients_key_make() and
 * delta_key_make() give, and to its response's; then a request and its
 * response through the analyses, paired to the nanosecond. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "analysis/clients.h"
#include "analysis/delta.h"
#include "analysis/tpkt.h"

#define LINKTYPE_ETHERNET 1
#define NTP_LEN 48

/* 2026-01-01 00:00:00 UTC */
#define T26 1767225600

static const uint8_t client4[16] = { 198, 51, 100, 7 };
static const uint8_t server4[16] = { 192, 0, 2, 123 };
static const uint8_t client6[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07
};
static const uint8_t server6[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x7b
};

struct frame {
	uint8_t b[256];
	size_t n;
};

static void put8(struct frame *f, uint8_t v)
{
	assert_true(f->n < sizeof f->b);
	f->b[f->n++] = v;
}

static void put16(struct frame *f, uint16_t v)
{
	put8(f, (uint8_t)(v >> 8));
	put8(f, (uint8_t)v);
}

static void put32(struct frame *f, uint32_t v)
{
	put16(f, (uint16_t)(v >> 16));
	put16(f, (uint16_t)v);
}

static void put64(struct frame *f, uint64_t v)
{
	put32(f, (uint32_t)(v >> 32));
	put32(f, (uint32_t)v);
}

static void put(struct frame *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put8(f, p[i]);
}

/* An NTP header (RFC 5905 section 7.3), 48 octets:
 *   LI VN Mode | stratum | poll | precision
 *   root delay, root dispersion, reference id
 *   reference, origin, receive, transmit timestamps (64 bits each) */
struct ntp {
	unsigned leap, version, mode;
	uint8_t stratum;
	uint8_t refid[4];
	uint64_t org, rec, xmt;
	size_t len; /* octets to write: NTP_LEN, or fewer */
};

static size_t ntp_bytes(const struct ntp *h, uint8_t *out)
{
	struct frame f = { .n = 0 };
	put8(&f, (uint8_t)((h->leap & 3) << 6 | (h->version & 7) << 3 | (h->mode & 7)));
	put8(&f, h->stratum);
	put8(&f, 6);	       /* poll: 64 s */
	put8(&f, 0xe9);	       /* precision: 2^-23 */
	put32(&f, 0x00000010); /* root delay */
	put32(&f, 0x00000020); /* root dispersion */
	put(&f, h->refid, 4);
	put64(&f, h->xmt ? h->xmt - 0x100000000ULL : 0); /* reference */
	put64(&f, h->org);
	put64(&f, h->rec);
	put64(&f, h->xmt);
	assert_int_equal(f.n, NTP_LEN);
	size_t len = h->len ? h->len : NTP_LEN;
	memcpy(out, f.b, len);
	return len;
}

/* Ethernet (dst, src, type), then IPv4 (20 octets, no options) or IPv6
 * (40), then a transport header and payload.  proto 17: UDP header (8
 * octets) + payload; 6: a 20-octet TCP header + payload. */
struct pkt {
	int ipv;
	const uint8_t *src, *dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint16_t frag; /* IPv4 flags and fragment offset */
	const uint8_t *payload;
	size_t plen;
};

static void build(const struct pkt *p, struct frame *f)
{
	f->n = 0;
	static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	put(f, mac_dst, 6);
	put(f, mac_src, 6);
	put16(f, p->ipv == 6 ? 0x86dd : 0x0800);
	size_t tlen = (p->proto == 6 ? 20 : 8) + p->plen;
	if (p->ipv == 6) {
		put32(f, 0x60000000); /* version 6, class 0, flow 0 */
		put16(f, (uint16_t)tlen);
		put8(f, p->proto);
		put8(f, 64); /* hop limit */
		put(f, p->src, 16);
		put(f, p->dst, 16);
	} else {
		put8(f, 0x45); /* version 4, IHL 5 */
		put8(f, 0);
		put16(f, (uint16_t)(20 + tlen));
		put16(f, 0x1234); /* identification */
		put16(f, p->frag);
		put8(f, 64); /* TTL */
		put8(f, p->proto);
		put16(f, 0); /* checksum: not checked */
		put(f, p->src, 4);
		put(f, p->dst, 4);
	}
	put16(f, p->sport);
	put16(f, p->dport);
	if (p->proto == 6) {
		put32(f, 1000); /* sequence */
		put32(f, 0);	/* acknowledgment */
		put8(f, 0x50);	/* data offset 5 */
		put8(f, 0x18);	/* PSH ACK */
		put16(f, 65535);
		put16(f, 0);
		put16(f, 0);
	} else {
		put16(f, (uint16_t)tlen);
		put16(f, 0); /* checksum */
	}
	put(f, p->payload, p->plen);
}

static clients *cl;
static delta *dl;

static int setup(void **state)
{
	(void)state;
	struct clients_opts o;
	memset(&o, 0, sizeof o);
	o.windows[0] = 300;
	o.n_windows = 1;
	cl = clients_new(&o);
	dl = delta_new(2.0);
	return cl && dl ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	clients_free(cl);
	delta_free(dl);
	cl = NULL;
	dl = NULL;
	return 0;
}

static const struct timespec ts0 = { T26, 999999999 };

/* The keys of the packet decoded last (when a request or response), as the
 * analyses make them. */
static struct tpkt_keys K;

static void keys_of(const struct tpkt *t)
{
	memset(&K, 0x5a, sizeof K);
	if (t->kind == TPKT_REQUEST || t->kind == TPKT_RESPONSE)
		tpkt_keys(cl, dl, t, &K);
}

/* Decodes an NTP packet between the two addresses of family ipv; reply:
 * from the server (port 123) to the client (port 40000). */
static void decode_ntp(int ipv, bool reply, const struct ntp *h, struct tpkt *out)
{
	uint8_t payload[NTP_LEN];
	size_t plen = ntp_bytes(h, payload);
	const uint8_t *c = ipv == 6 ? client6 : client4, *s = ipv == 6 ? server6 : server4;
	struct pkt p = { .ipv = ipv,
			 .src = reply ? s : c,
			 .dst = reply ? c : s,
			 .sport = reply ? 123 : 40000,
			 .dport = reply ? 40000 : 123,
			 .proto = 17,
			 .payload = payload,
			 .plen = plen };
	struct frame f;
	build(&p, &f);
	memset(out, 0xa5, sizeof *out); /* no field left from before */
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 123, out);
	keys_of(out);
}

static struct delta_flow flow_of(int ipv)
{
	struct delta_flow fl;
	memset(&fl, 0, sizeof fl);
	fl.ip_version = ipv;
	memcpy(fl.client, ipv == 6 ? client6 : client4, 16);
	memcpy(fl.server, ipv == 6 ? server6 : server4, 16);
	fl.cport = 40000;
	fl.sport = 123;
	return fl;
}

static void requests(void **state)
{
	(void)state;
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		for (unsigned mode = 1; mode <= 3; mode += 2) {
			struct ntp h = { .version = 4, .mode = mode, .xmt = 0xed1a2b3c11223344ULL };
			struct tpkt t;
			decode_ntp(ipv, false, &h, &t);
			assert_int_equal(t.kind, TPKT_REQUEST);
			assert_int_equal(t.ip_version, ipv);
			assert_int_equal(t.ntp_version, 4);
			assert_int_equal(t.ntp_mode, mode);
			assert_true(t.t == INT64_C(1767225600999999999));
			/* The keys, as the analyses make them. */
			struct clients_key ck;
			clients_key_make(cl, ipv, ipv == 6 ? client6 : client4, &ck);
			assert_memory_equal(&K.ck, &ck, sizeof ck);
			struct delta_flow fl = flow_of(ipv);
			struct delta_key dk;
			delta_key_make(dl, &fl, h.xmt, &dk);
			assert_memory_equal(&K.dk, &dk, sizeof dk);
			assert_int_equal(K.dk.ts, h.xmt);
			assert_int_equal(t.ts, h.xmt);
			assert_int_equal(K.dk.cport, 40000);
			assert_int_equal(K.dk.sport, 123);
			tpkt_prefetch(cl, dl, &t, &K);
		}
	}
	/* NTPv3 and v1 clients too. */
	struct ntp h = { .version = 3, .mode = 3, .xmt = 1 };
	struct tpkt t;
	decode_ntp(4, false, &h, &t);
	assert_int_equal(t.kind, TPKT_REQUEST);
	assert_int_equal(t.ntp_version, 3);
	h.version = 1;
	decode_ntp(4, false, &h, &t);
	assert_int_equal(t.kind, TPKT_REQUEST);
	assert_int_equal(t.ntp_version, 1);
}

static void responses(void **state)
{
	(void)state;
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		for (unsigned mode = 2; mode <= 4; mode += 2) {
			struct ntp q = { .version = 4,
					 .mode = mode == 4 ? 3 : 1,
					 .xmt = 0xed1a2b3c11223344ULL };
			struct tpkt req;
			decode_ntp(ipv, false, &q, &req);
			assert_int_equal(req.kind, TPKT_REQUEST);
			struct tpkt_keys kreq = K;
			struct ntp h = { .version = 4,
					 .mode = mode,
					 .stratum = 2,
					 .refid = { 192, 0, 2, 1 },
					 .org = q.xmt,
					 .rec = 0xed1a2b3c80000000ULL,
					 .xmt = 0xed1a2b3c80001000ULL };
			struct tpkt t;
			decode_ntp(ipv, true, &h, &t);
			assert_int_equal(t.kind, TPKT_RESPONSE);
			assert_int_equal(t.ip_version, ipv);
			assert_int_equal(t.ntp_mode, mode);
			assert_false(t.kod);
			assert_false(t.rate);
			assert_true(t.has_server);
			assert_true(t.server == (int64_t)(h.xmt - h.rec));
			assert_int_equal(t.ts, h.org);
			/* The flow as the request travels, and the origin: the
			 * request's key. */
			assert_memory_equal(&K.dk, &kreq.dk, sizeof K.dk);
			assert_int_equal(K.ck.ver, 0); /* no client key for a response */
			struct delta_flow fl = flow_of(ipv);
			struct delta_key dk;
			delta_key_make(dl, &fl, h.org, &dk);
			assert_memory_equal(&K.dk, &dk, sizeof dk);
			tpkt_prefetch(cl, dl, &t, &K);
			/* Another origin: another key. */
			h.org++;
			decode_ntp(ipv, true, &h, &t);
			assert_memory_not_equal(&K.dk, &kreq.dk, sizeof K.dk);
		}
	}
}

static void kiss_of_death(void **state)
{
	(void)state;
	struct ntp h = {
		.version = 4, .mode = 4, .stratum = 0, .refid = { 'R', 'A', 'T', 'E' }, .org = 5
	};
	struct tpkt t;
	decode_ntp(4, true, &h, &t);
	assert_int_equal(t.kind, TPKT_RESPONSE);
	assert_true(t.kod);
	assert_true(t.rate);
	memcpy(h.refid, "DENY", 4);
	decode_ntp(6, true, &h, &t);
	assert_int_equal(t.kind, TPKT_RESPONSE);
	assert_true(t.kod);
	assert_false(t.rate);
	/* "RATE" at stratum 1 is a reference id, not a kiss code. */
	memcpy(h.refid, "RATE", 4);
	h.stratum = 1;
	decode_ntp(4, true, &h, &t);
	assert_false(t.kod);
	assert_false(t.rate);
	/* Stratum 0 with a binary refid: unspecified, not a KoD (chrony while
	 * unsynchronised). */
	h.stratum = 0;
	memset(h.refid, 0, 4);
	decode_ntp(4, true, &h, &t);
	assert_int_equal(t.kind, TPKT_RESPONSE);
	assert_false(t.kod);
	assert_false(t.rate);
}

static void control_malformed_other(void **state)
{
	(void)state;
	struct tpkt t;
	/* Mode 6 and 7 (ntpq, ntpdc): control, whatever their length. */
	for (unsigned mode = 6; mode <= 7; mode++) {
		struct ntp h = { .version = 2, .mode = mode, .len = 12 };
		decode_ntp(4, false, &h, &t);
		assert_int_equal(t.kind, TPKT_CONTROL);
		h.len = 0;
		decode_ntp(6, true, &h, &t);
		assert_int_equal(t.kind, TPKT_CONTROL);
	}
	/* Version 0 and 5..7: malformed. */
	static const unsigned bad_versions[] = { 0, 5, 6, 7 };
	for (size_t i = 0; i < 4; i++) {
		struct ntp h = { .version = bad_versions[i], .mode = 3, .xmt = 1 };
		decode_ntp(4, false, &h, &t);
		assert_int_equal(t.kind, TPKT_MALFORMED);
	}
	/* A whole datagram shorter than an NTP header: malformed, not
	 * truncated (the capture took all of it). */
	struct ntp h = { .version = 4, .mode = 3, .xmt = 1, .len = 20 };
	decode_ntp(4, false, &h, &t);
	assert_int_equal(t.kind, TPKT_MALFORMED);
	/* Mode 5 (broadcast) and 0 (reserved): NTP, but neither request nor
	 * response. */
	h.len = 0;
	h.mode = 5;
	decode_ntp(4, true, &h, &t);
	assert_int_equal(t.kind, TPKT_OTHER);
	assert_int_equal(t.ntp_mode, 5);
	h.mode = 0;
	decode_ntp(6, true, &h, &t);
	assert_int_equal(t.kind, TPKT_OTHER);

	/* TCP to port 123, with an NTP-looking payload. */
	uint8_t payload[NTP_LEN];
	struct ntp q = { .version = 4, .mode = 3, .xmt = 1 };
	ntp_bytes(&q, payload);
	struct pkt p = { .ipv = 4,
			 .src = client4,
			 .dst = server4,
			 .sport = 40000,
			 .dport = 123,
			 .proto = 6,
			 .payload = payload,
			 .plen = NTP_LEN };
	struct frame f;
	build(&p, &f);
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 123, &t);
	keys_of(&t);
	assert_int_equal(t.kind, TPKT_OTHER);
	p.ipv = 6;
	p.src = client6;
	p.dst = server6;
	build(&p, &f);
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 123, &t);
	keys_of(&t);
	assert_int_equal(t.kind, TPKT_OTHER);
	/* Not IP at all (ARP) */
	f.b[12] = 0x08;
	f.b[13] = 0x06;
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 123, &t);
	keys_of(&t);
	assert_int_equal(t.kind, TPKT_OTHER);

	/* UDP between other ports: not NTP when port 123 is asked for (no -f),
	 * a request when any port goes (a filter chose the packets); and port
	 * 123 on either side is enough. */
	p.ipv = 4;
	p.src = client4;
	p.dst = server4;
	p.proto = 17;
	p.sport = 40000;
	p.dport = 11123;
	build(&p, &f);
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 123, &t);
	assert_int_equal(t.kind, TPKT_OTHER);
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 0, &t);
	assert_int_equal(t.kind, TPKT_REQUEST);
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 11123, &t);
	assert_int_equal(t.kind, TPKT_REQUEST);
	p.sport = 123;
	build(&p, &f);
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 123, &t);
	assert_int_equal(t.kind, TPKT_REQUEST);
}

static void truncated_and_fragments(void **state)
{
	(void)state;
	uint8_t payload[NTP_LEN];
	struct ntp q = { .version = 4, .mode = 3, .xmt = 0x1122334455667788ULL };
	ntp_bytes(&q, payload);
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		struct pkt p = { .ipv = ipv,
				 .src = ipv == 6 ? client6 : client4,
				 .dst = ipv == 6 ? server6 : server4,
				 .sport = 40000,
				 .dport = 123,
				 .proto = 17,
				 .payload = payload,
				 .plen = NTP_LEN };
		struct frame f;
		build(&p, &f);
		size_t hdrs = 14 + (ipv == 6 ? 40 : 20) + 8;
		assert_int_equal(f.n, hdrs + NTP_LEN);
		struct tpkt t;
		/* Whole: a request. */
		tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 123, &t);
		keys_of(&t);
		assert_int_equal(t.kind, TPKT_REQUEST);
		/* The UDP payload cut by the snap length, at every length. */
		for (size_t cap = hdrs; cap < f.n; cap++) {
			tpkt_decode(LINKTYPE_ETHERNET, f.b, cap, &ts0, 123, &t);
			keys_of(&t);
			assert_int_equal(t.kind, TPKT_TRUNCATED);
		}
		/* Cut inside the IP header (and inside the Ethernet and UDP
		 * headers). */
		for (size_t cap = 0; cap < hdrs; cap++) {
			tpkt_decode(LINKTYPE_ETHERNET, f.b, cap, &ts0, 123, &t);
			keys_of(&t);
			assert_int_equal(t.kind, TPKT_TRUNCATED);
		}
		tpkt_decode(LINKTYPE_ETHERNET, f.b, 14 + 10, &ts0, 123, &t);
		keys_of(&t);
		assert_int_equal(t.kind, TPKT_TRUNCATED);
	}
	/* IPv4 fragments: the first (MF), a later one, the last. */
	static const uint16_t frags[] = { 0x2000, 0x2006, 0x0006 };
	for (size_t i = 0; i < 3; i++) {
		struct pkt p = { .ipv = 4,
				 .src = client4,
				 .dst = server4,
				 .sport = 40000,
				 .dport = 123,
				 .proto = 17,
				 .frag = frags[i],
				 .payload = payload,
				 .plen = NTP_LEN };
		struct frame f;
		build(&p, &f);
		struct tpkt t;
		tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 123, &t);
		keys_of(&t);
		assert_int_equal(t.kind, TPKT_FRAGMENT);
	}
	/* DF alone is no fragment. */
	struct pkt p = { .ipv = 4,
			 .src = client4,
			 .dst = server4,
			 .sport = 40000,
			 .dport = 123,
			 .proto = 17,
			 .frag = 0x4000,
			 .payload = payload,
			 .plen = NTP_LEN };
	struct frame f;
	build(&p, &f);
	struct tpkt t;
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts0, 123, &t);
	keys_of(&t);
	assert_int_equal(t.kind, TPKT_REQUEST);
}

static void capture_time(void **state)
{
	(void)state;
	struct ntp h = { .version = 4, .mode = 3, .xmt = 1 };
	uint8_t payload[NTP_LEN];
	ntp_bytes(&h, payload);
	struct pkt p = { .ipv = 4,
			 .src = client4,
			 .dst = server4,
			 .sport = 40000,
			 .dport = 123,
			 .proto = 17,
			 .payload = payload,
			 .plen = NTP_LEN };
	struct frame f;
	build(&p, &f);
	struct tpkt t;
	struct timespec ts = { T26, 999999999 };
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
	keys_of(&t);
	assert_true(t.t == INT64_C(1767225600999999999));
	ts.tv_nsec = 0;
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
	keys_of(&t);
	assert_true(t.t == INT64_C(1767225600000000000));
	ts.tv_sec = 0;
	ts.tv_nsec = 1;
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
	keys_of(&t);
	assert_true(t.t == 1);
	/* Before 1970 (a bad clock) still converts. */
	ts.tv_sec = -1;
	ts.tv_nsec = 500000000;
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
	keys_of(&t);
	assert_true(t.t == -500000000);
	/* Nanoseconds out of range. */
	ts.tv_sec = T26;
	ts.tv_nsec = 1000000000;
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
	keys_of(&t);
	assert_true(t.t == TPKT_NO_TIME);
	ts.tv_nsec = -1;
	tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
	keys_of(&t);
	assert_true(t.t == TPKT_NO_TIME);
	/* The packet is still decoded. */
	assert_int_equal(t.kind, TPKT_REQUEST);
	/* Seconds that int64 nanoseconds do not hold (past 2262, before
	 * 1678). */
	if (sizeof(time_t) >= 8) {
		const int64_t max_sec = INT64_MAX / 1000000000 - 1; /* 9223372035 */
		ts.tv_nsec = 999999999;
		ts.tv_sec = (time_t)max_sec;
		tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
		keys_of(&t);
		assert_true(t.t == max_sec * 1000000000 + 999999999);
		ts.tv_sec = (time_t)(max_sec + 1);
		tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
		keys_of(&t);
		assert_true(t.t == TPKT_NO_TIME);
		ts.tv_sec = (time_t)INT64_MAX;
		tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
		keys_of(&t);
		assert_true(t.t == TPKT_NO_TIME);
		ts.tv_sec = (time_t)INT64_MIN;
		ts.tv_nsec = 0;
		tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
		keys_of(&t);
		assert_true(t.t == TPKT_NO_TIME);
		ts.tv_sec = (time_t)-max_sec;
		tpkt_decode(LINKTYPE_ETHERNET, f.b, f.n, &ts, 123, &t);
		keys_of(&t);
		assert_true(t.t == -max_sec * 1000000000);
	}
}

struct got {
	struct delta_pair p;
	size_t n;
};

static void on_pair(void *arg, const struct delta_pair *p)
{
	struct got *g = arg;
	g->p = *p;
	g->n++;
}

/* Decodes frame f captured at ts and hands it to the analyses, as the
 * traffic command does. */
static void apply(const struct frame *f, const struct timespec *ts, struct tpkt *t)
{
	tpkt_decode(LINKTYPE_ETHERNET, f->b, f->n, ts, 123, t);
	keys_of(t);
	tpkt_prefetch(cl, dl, t, &K);
	double secs = (double)t->t / 1e9;
	if (t->kind == TPKT_REQUEST) {
		clients_request(cl, secs, &K.ck, t->ntp_version, t->ntp_mode);
		delta_request(dl, t->t, &K.dk);
	} else if (t->kind == TPKT_RESPONSE) {
		clients_response(cl, secs, t->kod, t->rate);
		delta_answer(dl, t->t, &K.dk, t->has_server, t->server, t->kod);
	}
}

static void request_response_pair(void **state)
{
	(void)state;
	struct got g = { .n = 0 };
	delta_on_pair(dl, on_pair, &g);
	for (int ipv = 4; ipv <= 6; ipv += 2) {
		g.n = 0;
		uint8_t payload[NTP_LEN];
		struct ntp q = { .version = 4,
				 .mode = 3,
				 .xmt = 0xed1a2b3c00000001ULL + (uint64_t)ipv };
		ntp_bytes(&q, payload);
		const uint8_t *c = ipv == 6 ? client6 : client4, *s = ipv == 6 ? server6 : server4;
		struct pkt p = { .ipv = ipv,
				 .src = c,
				 .dst = s,
				 .sport = 40000,
				 .dport = 123,
				 .proto = 17,
				 .payload = payload,
				 .plen = NTP_LEN };
		struct frame f;
		build(&p, &f);
		struct tpkt t;
		struct timespec ts = { T26 + ipv, 999999999 };
		apply(&f, &ts, &t);
		assert_int_equal(t.kind, TPKT_REQUEST);
		/* The reply 123457 ns later, across the second. */
		struct ntp r = { .version = 4,
				 .mode = 4,
				 .stratum = 1,
				 .refid = { 'G', 'P', 'S', 0 },
				 .org = q.xmt,
				 .rec = 0xed1a2b3c00000000ULL,
				 .xmt = 0xed1a2b3c00000003ULL }; /* 3 units: 1 ns */
		ntp_bytes(&r, payload);
		p.src = s;
		p.dst = c;
		p.sport = 123;
		p.dport = 40000;
		build(&p, &f);
		ts.tv_sec++;
		ts.tv_nsec = 123456;
		apply(&f, &ts, &t);
		assert_int_equal(t.kind, TPKT_RESPONSE);
		assert_int_equal(g.n, 1);
		assert_true(g.p.t_request == (int64_t)(T26 + ipv) * 1000000000 + 999999999);
		assert_true(g.p.wire == 123457);
		assert_true(g.p.server == 3 / 4294967296.0);
		assert_int_equal(g.p.flow.ip_version, ipv);
		assert_memory_equal(g.p.flow.client, c, ipv == 6 ? 16 : 4);
		assert_memory_equal(g.p.flow.server, s, ipv == 6 ? 16 : 4);
		assert_int_equal(g.p.flow.cport, 40000);
		assert_int_equal(g.p.flow.sport, 123);
		/* The same reply again: a duplicate. */
		apply(&f, &ts, &t);
		assert_int_equal(g.n, 1);
	}
	struct delta_stats s;
	delta_stats(dl, &s);
	assert_int_equal(s.requests, 2);
	assert_int_equal(s.responses, 4);
	assert_int_equal(s.pairs, 2);
	assert_int_equal(s.duplicates, 2);
	assert_int_equal(s.unmatched, 0);
	assert_true(s.min == 0.000123457 && s.max == 0.000123457);
	assert_true(s.server_p50 == 1e-9);
	struct clients_summary cs;
	clients_summary(cl, &cs);
	assert_int_equal(cs.requests, 2);
	assert_int_equal(cs.responses, 4);
	assert_int_equal(cs.clients_v4, 1);
	assert_int_equal(cs.clients_v6, 1);
	assert_int_equal(cs.version[4], 2);
	assert_int_equal(cs.mode[3], 2);
	assert_int_equal(cs.kod, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(requests, setup, teardown),
		cmocka_unit_test_setup_teardown(responses, setup, teardown),
		cmocka_unit_test_setup_teardown(kiss_of_death, setup, teardown),
		cmocka_unit_test_setup_teardown(control_malformed_other, setup, teardown),
		cmocka_unit_test_setup_teardown(truncated_and_fragments, setup, teardown),
		cmocka_unit_test_setup_teardown(capture_time, setup, teardown),
		cmocka_unit_test_setup_teardown(request_response_pair, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
