/* test_frame.c - link, network and transport headers (src/wire/frame.c).
 *
 * 1. Crafted frames of every link type (Ethernet, 802.1Q, 802.1ad and 0x9100
 *    QinQ, PPPoE, Linux SLL and SLL2, NULL and LOOP with each BSD AF_INET6,
 *    RAW 101/12/14, IPV4, IPV6), IPv4 options and fragments, the IPv6
 *    extension header chain (hop-by-hop, routing, destination options, AH,
 *    fragment, no next header, jumbograms), UDP, TCP, ICMP and ICMPv6 fields,
 *    and one test per kind of truncated or invalid header.
 * 2. Real frames: every packet of the captures in tests/data/frame/ (see
 *    SOURCES.md there: tcpdump's and Zeek's NTP captures, Zeek's nmap scan,
 *    and our own captures of kernel traffic and hand-made frames between two
 *    network namespaces, in every supported link type), read through
 *    capture/ and compared field by field with tshark's decode of the same
 *    packet (the .tsv beside each capture, made by tshark-expected.py).
 * 3. Every frame of 1 and 2 cut at every length: FRAME_TRUNCATED while the
 *    cut is inside a header, the full result (payload shortened) once it is
 *    past them; the fields of the layers before the cut stay right.
 * 4. A randomised rejection loop: random frames of random supported link
 *    types, and real frames with mutated lengths, versions and octets: a
 *    status, consistent fields, the payload inside the frame, no read past
 *    its end (each decode is of an exact-size heap copy: run under ASan),
 *    and the invalid headers rejected as such.  The seed is printed;
 *    TEST_SEED=<n> replays a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/capture.h"
#include "wire/frame.h"

enum {
	LT_NULL = 0,
	LT_ETHERNET = 1,
	LT_RAW = 101,
	LT_LOOP = 108,
	LT_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_SLL2 = 276,
};

static const uint32_t supported[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
#define N_SUPPORTED (sizeof supported / sizeof supported[0])

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

#define BUF_MAX 2048

struct buf {
	uint8_t b[BUF_MAX];
	size_t n;
};

static void put(struct buf *f, const void *p, size_t n)
{
	assert_true(f->n + n <= BUF_MAX);
	memcpy(f->b + f->n, p, n);
	f->n += n;
}

static void put8(struct buf *f, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(f, &b, 1);
}

static void put16(struct buf *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static void put32(struct buf *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void set16(struct buf *f, size_t off, unsigned v)
{
	f->b[off] = (uint8_t)(v >> 8);
	f->b[off + 1] = (uint8_t)v;
}

static void cat(struct buf *f, const struct buf *g)
{
	put(f, g->b, g->n);
}

static const uint8_t A4[4] = { 192, 0, 2, 1 }, B4[4] = { 192, 0, 2, 2 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* 48 octets standing in for an NTP request. */
static struct buf ntp_data(void)
{
	struct buf d = { .n = 0 };
	put8(&d, 0x23);
	for (size_t i = 1; i < 48; i++)
		put8(&d, (unsigned)i);
	return d;
}

static struct buf udp(unsigned sport, unsigned dport, const struct buf *data)
{
	struct buf u = { .n = 0 };
	put16(&u, sport);
	put16(&u, dport);
	put16(&u, (unsigned)(8 + data->n));
	put16(&u, 0);
	cat(&u, data);
	return u;
}

static struct buf tcp(unsigned sport, unsigned dport, unsigned flags, size_t optlen,
		      const struct buf *data)
{
	struct buf t = { .n = 0 };
	put16(&t, sport);
	put16(&t, dport);
	put32(&t, 1000);
	put32(&t, 2000);
	put8(&t, (unsigned)((20 + optlen) / 4) << 4);
	put8(&t, flags);
	put16(&t, 64240);
	put32(&t, 0);
	for (size_t i = 0; i < optlen; i++)
		put8(&t, 1); /* NOP */
	if (data)
		cat(&t, data);
	return t;
}

static struct buf icmp(unsigned type, unsigned code)
{
	struct buf c = { .n = 0 };
	put8(&c, type);
	put8(&c, code);
	put16(&c, 0);
	put32(&c, 0x00010001);
	return c;
}

/* IPv4 header with optlen octets of options (NOPs, then EOL). */
static struct buf ip4(unsigned proto, const struct buf *payload, size_t optlen, unsigned frag)
{
	struct buf p = { .n = 0 };
	size_t hlen = 20 + optlen;
	put8(&p, 0x40 | (unsigned)(hlen / 4));
	put8(&p, 0);
	put16(&p, (unsigned)(hlen + payload->n));
	put16(&p, 0x1234);
	put16(&p, frag);
	put8(&p, 64);
	put8(&p, proto);
	put16(&p, 0);
	put(&p, A4, 4);
	put(&p, B4, 4);
	for (size_t i = 0; i < optlen; i++)
		put8(&p, i + 1 < optlen ? 1 : 0);
	cat(&p, payload);
	return p;
}

static struct buf ip6(unsigned nh, const struct buf *payload)
{
	struct buf p = { .n = 0 };
	put32(&p, 0x60012345);
	put16(&p, (unsigned)payload->n);
	put8(&p, nh);
	put8(&p, 63);
	put(&p, A6, 16);
	put(&p, B6, 16);
	cat(&p, payload);
	return p;
}

/* An IPv6 extension header of 8 * (units + 1) octets (PadN inside), then
 * rest. */
static struct buf ext6(unsigned nh, unsigned units, const struct buf *rest)
{
	struct buf e = { .n = 0 };
	put8(&e, nh);
	put8(&e, units);
	put8(&e, 1); /* PadN */
	put8(&e, 8 * (units + 1) - 4);
	for (size_t i = 4; i < 8 * (units + 1); i++)
		put8(&e, 0);
	cat(&e, rest);
	return e;
}

/* AH with icv octets of ICV: length field (12 + icv) / 4 - 2. */
static struct buf ah(unsigned nh, size_t icv, const struct buf *rest)
{
	struct buf a = { .n = 0 };
	put8(&a, nh);
	put8(&a, (unsigned)((12 + icv) / 4 - 2));
	put16(&a, 0);
	put32(&a, 0x100);
	put32(&a, 1);
	for (size_t i = 0; i < icv; i++)
		put8(&a, 0xaa);
	cat(&a, rest);
	return a;
}

static struct buf frag6(unsigned nh, unsigned offset, unsigned more, const struct buf *rest)
{
	struct buf f = { .n = 0 };
	put8(&f, nh);
	put8(&f, 0);
	put16(&f, offset << 3 | more);
	put32(&f, 0xabcd);
	cat(&f, rest);
	return f;
}

/* Ethernet: addresses, tags (TPID, TCI pairs, ntags of them), Ethertype. */
static struct buf eth(const unsigned *tags, size_t ntags, unsigned type, const struct buf *pl)
{
	struct buf e = { .n = 0 };
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	put(&e, macs, 12);
	for (size_t i = 0; i < ntags; i++) {
		put16(&e, tags[2 * i]);
		put16(&e, tags[2 * i + 1]);
	}
	put16(&e, type);
	cat(&e, pl);
	return e;
}

static struct buf pppoe(unsigned session, unsigned proto, const struct buf *pl)
{
	struct buf p = { .n = 0 };
	put8(&p, 0x11);
	put8(&p, 0);
	put16(&p, session);
	put16(&p, (unsigned)(2 + pl->n));
	put16(&p, proto);
	cat(&p, pl);
	return p;
}

static struct buf sll(unsigned proto, const struct buf *pl)
{
	struct buf s = { .n = 0 };
	put16(&s, 0); /* to us */
	put16(&s, 1); /* ARPHRD_ETHER */
	put16(&s, 6);
	for (size_t i = 0; i < 8; i++)
		put8(&s, i < 6 ? 0x11 : 0);
	put16(&s, proto);
	cat(&s, pl);
	return s;
}

static struct buf sll2(unsigned proto, const struct buf *pl)
{
	struct buf s = { .n = 0 };
	put16(&s, proto);
	put16(&s, 0);
	put32(&s, 2);
	put16(&s, 1);
	put8(&s, 4); /* outgoing */
	put8(&s, 6);
	for (size_t i = 0; i < 8; i++)
		put8(&s, i < 6 ? 0x22 : 0);
	cat(&s, pl);
	return s;
}

static struct buf null_hdr(uint32_t af, bool big_endian, const struct buf *pl)
{
	struct buf s = { .n = 0 };
	if (big_endian) {
		put32(&s, af);
	} else {
		for (size_t i = 0; i < 4; i++)
			put8(&s, (af >> (8 * i)) & 0xff);
	}
	cat(&s, pl);
	return s;
}

/* Every field of two views of the same frame. */
static void assert_same_view(const struct frame_view *a, const struct frame_view *b)
{
	assert_int_equal(a->linktype, b->linktype);
	assert_int_equal(a->n_vlan, b->n_vlan);
	assert_memory_equal(a->vlan, b->vlan, sizeof a->vlan);
	assert_int_equal(a->pppoe, b->pppoe);
	assert_int_equal(a->pppoe_session, b->pppoe_session);
	assert_int_equal(a->ip_version, b->ip_version);
	assert_memory_equal(a->src, b->src, 16);
	assert_memory_equal(a->dst, b->dst, 16);
	assert_int_equal(a->ttl, b->ttl);
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->fragment, b->fragment);
	assert_int_equal(a->first_fragment, b->first_fragment);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->tcp_flags, b->tcp_flags);
	assert_int_equal(a->icmp_type, b->icmp_type);
	assert_int_equal(a->icmp_code, b->icmp_code);
	assert_ptr_equal(a->payload, b->payload);
	assert_int_equal(a->payload_len, b->payload_len);
	assert_int_equal(a->payload_wire_len, b->payload_wire_len);
}

/* Decodes an exact-size heap copy of the first len octets of f (ASan sees
 * any read past the end), checks what holds for every result, and points
 * the view's payload back into f.  The frame is decoded a second time into
 * a view full of 0xa5: what the view held before must not show through. */
static enum frame_status decode_len(uint32_t lt, const struct buf *f, size_t len,
				    struct frame_view *v)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	memcpy(copy, f->b, len);
	enum frame_status st = frame_decode(lt, copy, len, v);
	struct frame_view old;
	memset(&old, 0xa5, sizeof old);
	assert_int_equal(frame_decode(lt, copy, len, &old), st);
	assert_same_view(&old, v);
	assert_in_range(st, FRAME_OK, FRAME_FRAGMENT);
	assert_int_equal(v->linktype, lt);
	assert_true(v->n_vlan <= FRAME_MAX_VLAN);
	assert_true(v->ip_version == 0 || v->ip_version == 4 || v->ip_version == 6);
	if (v->payload) {
		assert_true(v->payload >= copy && v->payload <= copy + len);
		assert_true(v->payload_len <= (size_t)(copy + len - v->payload));
		assert_true(v->payload_len <= v->payload_wire_len);
		v->payload = f->b + (v->payload - copy);
	} else {
		assert_int_equal(v->payload_len, 0);
	}
	if (st == FRAME_OK || st == FRAME_FRAGMENT)
		assert_true(v->ip_version == 4 || v->ip_version == 6);
	if (st == FRAME_UNSUPPORTED)
		assert_int_equal(v->ip_version, 0);
	if (st != FRAME_OK) {
		assert_int_equal(v->sport, 0);
		assert_int_equal(v->dport, 0);
		assert_int_equal(v->tcp_flags, 0);
		assert_int_equal(v->icmp_type, 0);
		assert_int_equal(v->icmp_code, 0);
	}
	assert_int_equal(v->fragment, st == FRAME_FRAGMENT);
	if (!v->fragment)
		assert_false(v->first_fragment);
	free(copy);
	return st;
}

static enum frame_status decode(uint32_t lt, const struct buf *f, struct frame_view *v)
{
	return decode_len(lt, f, f->n, v);
}

/* The payload must be the last n octets of data at offset off of f. */
static void assert_payload(const struct frame_view *v, const struct buf *f, size_t off, size_t n,
			   size_t wire)
{
	assert_ptr_equal(v->payload, f->b + off);
	assert_int_equal(v->payload_len, n);
	assert_int_equal(v->payload_wire_len, wire);
}

static void assert_v4(const struct frame_view *v, unsigned proto)
{
	assert_int_equal(v->ip_version, 4);
	assert_memory_equal(v->src, A4, 4);
	assert_memory_equal(v->dst, B4, 4);
	assert_int_equal(v->ttl, 64);
	assert_int_equal(v->proto, proto);
}

static void assert_v6(const struct frame_view *v, unsigned proto)
{
	assert_int_equal(v->ip_version, 6);
	assert_memory_equal(v->src, A6, 16);
	assert_memory_equal(v->dst, B6, 16);
	assert_int_equal(v->ttl, 63);
	assert_int_equal(v->proto, proto);
}

static void assert_ntp_udp(const struct frame_view *v, const struct buf *f)
{
	assert_int_equal(v->sport, 40123);
	assert_int_equal(v->dport, 123);
	assert_payload(v, f, f->n - 48, 48, 48);
	assert_int_equal(v->payload[0], 0x23);
}

/* ------------------------------------------------------------------------
 * 1. Crafted frames: link types
 * ------------------------------------------------------------------------ */

static void ethernet_ipv4_udp(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p = ip4(17, &u, 0, 0x4000);
	struct buf f = eth(NULL, 0, 0x0800, &p);
	struct frame_view v;
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_OK);
	assert_int_equal(v.n_vlan, 0);
	assert_false(v.pppoe);
	assert_v4(&v, 17);
	assert_false(v.fragment); /* DF alone is not a fragment */
	assert_ntp_udp(&v, &f);
	assert_true(frame_linktype_supported(LT_ETHERNET));
}

static void ethernet_ipv6_udp(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p = ip6(17, &u);
	struct buf f = eth(NULL, 0, 0x86dd, &p);
	struct frame_view v;
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_OK);
	assert_v6(&v, 17);
	assert_ntp_udp(&v, &f);
}

/* Ethernet pads short frames to 60 octets: the padding is not payload. */
static void ethernet_padding(void **state)
{
	(void)state;
	struct buf d = { .n = 2, .b = "hi" }, u = udp(40123, 7, &d), p = ip4(17, &u, 0, 0);
	struct buf f = eth(NULL, 0, 0x0800, &p);
	size_t off = f.n - 2;
	while (f.n < 60)
		put8(&f, 0);
	struct frame_view v;
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_OK);
	assert_payload(&v, &f, off, 2, 2);
}

static void vlan_8021q(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p = ip4(17, &u, 0, 0);
	/* PCP 5 and DEI set: only the 12-bit VID is the id. */
	const unsigned tags[] = { 0x8100, 0xb000 | 100 };
	struct buf f = eth(tags, 1, 0x0800, &p);
	struct frame_view v;
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_OK);
	assert_int_equal(v.n_vlan, 1);
	assert_int_equal(v.vlan[0], 100);
	assert_v4(&v, 17);
	assert_ntp_udp(&v, &f);
}

static void vlan_qinq(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p = ip6(17, &u);
	const unsigned ad[] = { 0x88a8, 200, 0x8100, 300 };
	const unsigned old[] = { 0x9100, 10, 0x8100, 4095 };
	struct buf f1 = eth(ad, 2, 0x86dd, &p), f2 = eth(old, 2, 0x86dd, &p);
	struct frame_view v;
	assert_int_equal(decode(LT_ETHERNET, &f1, &v), FRAME_OK);
	assert_int_equal(v.n_vlan, 2);
	assert_int_equal(v.vlan[0], 200);
	assert_int_equal(v.vlan[1], 300);
	assert_v6(&v, 17);
	assert_ntp_udp(&v, &f1);
	assert_int_equal(decode(LT_ETHERNET, &f2, &v), FRAME_OK);
	assert_int_equal(v.n_vlan, 2);
	assert_int_equal(v.vlan[0], 10);
	assert_int_equal(v.vlan[1], 4095);
	assert_ntp_udp(&v, &f2);
}

/* Four tags are kept; a fifth is more than frame.h holds. */
static void vlan_too_many(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p = ip4(17, &u, 0, 0);
	const unsigned tags[] = { 0x88a8, 1, 0x8100, 2, 0x8100, 3, 0x8100, 4, 0x8100, 5 };
	struct buf f4 = eth(tags, 4, 0x0800, &p), f5 = eth(tags, 5, 0x0800, &p);
	struct frame_view v;
	assert_int_equal(decode(LT_ETHERNET, &f4, &v), FRAME_OK);
	assert_int_equal(v.n_vlan, 4);
	assert_int_equal(v.vlan[3], 4);
	assert_int_equal(decode(LT_ETHERNET, &f5, &v), FRAME_UNSUPPORTED);
}

static void pppoe_ipv4_ipv6(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d);
	struct buf p4 = ip4(17, &u, 0, 0), p6 = ip6(17, &u);
	struct buf s4 = pppoe(0x1234, 0x0021, &p4), s6 = pppoe(1, 0x0057, &p6);
	struct buf f4 = eth(NULL, 0, 0x8864, &s4), f6 = eth(NULL, 0, 0x8864, &s6);
	struct frame_view v;
	assert_int_equal(decode(LT_ETHERNET, &f4, &v), FRAME_OK);
	assert_true(v.pppoe);
	assert_int_equal(v.pppoe_session, 0x1234);
	assert_v4(&v, 17);
	assert_ntp_udp(&v, &f4);
	assert_int_equal(decode(LT_ETHERNET, &f6, &v), FRAME_OK);
	assert_true(v.pppoe);
	assert_int_equal(v.pppoe_session, 1);
	assert_v6(&v, 17);
	assert_ntp_udp(&v, &f6);
}

static void pppoe_in_vlan_and_compressed(void **state)
{
	(void)state;
	struct buf t = tcp(40000, 8123, 0x02, 4, NULL), p = ip4(6, &t, 0, 0);
	struct buf s = pppoe(0xbeef, 0x0021, &p);
	const unsigned tags[] = { 0x8100, 7 };
	struct buf f = eth(tags, 1, 0x8864, &s);
	struct frame_view v;
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_OK);
	assert_int_equal(v.n_vlan, 1);
	assert_int_equal(v.vlan[0], 7);
	assert_true(v.pppoe);
	assert_int_equal(v.pppoe_session, 0xbeef);
	assert_v4(&v, 6);
	assert_int_equal(v.tcp_flags, 0x02);

	/* Protocol field compression (RFC 1661 6.5): 0x21 in one octet. */
	struct buf c = { .n = 0 };
	put8(&c, 0x11);
	put8(&c, 0);
	put16(&c, 9);
	put16(&c, (unsigned)(1 + p.n));
	put8(&c, 0x21);
	cat(&c, &p);
	struct buf f2 = eth(NULL, 0, 0x8864, &c);
	assert_int_equal(decode(LT_ETHERNET, &f2, &v), FRAME_OK);
	assert_int_equal(v.pppoe_session, 9);
	assert_v4(&v, 6);
}

static void pppoe_rejects(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p = ip4(17, &u, 0, 0);
	struct buf s = pppoe(5, 0x0021, &p);
	struct frame_view v;
	/* LCP is PPP but not IP. */
	struct buf lcp_body = { .n = 4, .b = { 1, 1, 0, 4 } };
	struct buf lcp = pppoe(5, 0xc021, &lcp_body), fl = eth(NULL, 0, 0x8864, &lcp);
	assert_int_equal(decode(LT_ETHERNET, &fl, &v), FRAME_UNSUPPORTED);
	assert_true(v.pppoe);
	/* Discovery stage (0x8863) carries no IP. */
	struct buf fd = eth(NULL, 0, 0x8863, &s);
	assert_int_equal(decode(LT_ETHERNET, &fd, &v), FRAME_UNSUPPORTED);
	/* Version/type other than 1/1, a non-zero code in a session frame,
	 * a length too short for the protocol field: RFC 2516 section 4. */
	struct buf f = eth(NULL, 0, 0x8864, &s);
	f.b[14] = 0x21;
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_INVALID);
	f.b[14] = 0x11;
	f.b[15] = 0x07;
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_INVALID);
	f.b[15] = 0;
	set16(&f, 18, 1);
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_INVALID);
	set16(&f, 18, (unsigned)(2 + p.n));
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_OK);
}

static void ethernet_not_ip(void **state)
{
	(void)state;
	struct buf arp = { .n = 28 };
	struct frame_view v;
	struct buf f = eth(NULL, 0, 0x0806, &arp);
	assert_int_equal(decode(LT_ETHERNET, &f, &v), FRAME_UNSUPPORTED);
	/* An IEEE 802.3 length (LLC follows). */
	struct buf g = eth(NULL, 0, 46, &arp);
	assert_int_equal(decode(LT_ETHERNET, &g, &v), FRAME_UNSUPPORTED);
	/* ARP in a VLAN: the tag is still reported. */
	const unsigned tags[] = { 0x8100, 100 };
	struct buf h = eth(tags, 1, 0x0806, &arp);
	assert_int_equal(decode(LT_ETHERNET, &h, &v), FRAME_UNSUPPORTED);
	assert_int_equal(v.n_vlan, 1);
	assert_int_equal(v.vlan[0], 100);
	assert_int_equal(v.ip_version, 0);
}

static void linux_sll_sll2(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d);
	struct buf p4 = ip4(17, &u, 0, 0), p6 = ip6(17, &u);
	struct frame_view v;
	struct buf s = sll(0x0800, &p4);
	assert_int_equal(decode(LT_SLL, &s, &v), FRAME_OK);
	assert_v4(&v, 17);
	assert_ntp_udp(&v, &s);
	s = sll(0x86dd, &p6);
	assert_int_equal(decode(LT_SLL, &s, &v), FRAME_OK);
	assert_v6(&v, 17);
	/* A VLAN tag left in the packet (the protocol field says 802.1Q). */
	struct buf tagged = { .n = 0 };
	put16(&tagged, 42);
	put16(&tagged, 0x0800);
	cat(&tagged, &p4);
	s = sll(0x8100, &tagged);
	assert_int_equal(decode(LT_SLL, &s, &v), FRAME_OK);
	assert_int_equal(v.n_vlan, 1);
	assert_int_equal(v.vlan[0], 42);
	assert_ntp_udp(&v, &s);
	/* ETH_P_802_2 and ETH_P_ALL-style values are not IP. */
	s = sll(0x0004, &p4);
	assert_int_equal(decode(LT_SLL, &s, &v), FRAME_UNSUPPORTED);

	struct buf s2 = sll2(0x0800, &p4);
	assert_int_equal(decode(LT_SLL2, &s2, &v), FRAME_OK);
	assert_v4(&v, 17);
	assert_ntp_udp(&v, &s2);
	s2 = sll2(0x86dd, &p6);
	assert_int_equal(decode(LT_SLL2, &s2, &v), FRAME_OK);
	assert_v6(&v, 17);
	assert_ntp_udp(&v, &s2);
	s2 = sll2(0x0806, &p4);
	assert_int_equal(decode(LT_SLL2, &s2, &v), FRAME_UNSUPPORTED);
}

/* NULL: the AF in the writer's byte order; LOOP: network order.  AF_INET6
 * is 24 (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (Darwin). */
static void null_and_loop(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d);
	struct buf p4 = ip4(17, &u, 0, 0), p6 = ip6(17, &u);
	struct frame_view v;
	for (int be = 0; be < 2; be++) {
		struct buf n = null_hdr(2, be, &p4);
		assert_int_equal(decode(LT_NULL, &n, &v), FRAME_OK);
		assert_v4(&v, 17);
		assert_ntp_udp(&v, &n);
		const uint32_t af6[] = { 24, 28, 30 };
		for (size_t i = 0; i < 3; i++) {
			n = null_hdr(af6[i], be, &p6);
			assert_int_equal(decode(LT_NULL, &n, &v), FRAME_OK);
			assert_v6(&v, 17);
			assert_ntp_udp(&v, &n);
			struct buf l = null_hdr(af6[i], true, &p6);
			assert_int_equal(decode(LT_LOOP, &l, &v), FRAME_OK);
			assert_v6(&v, 17);
		}
		/* Linux's AF_INET6 (10), OSI (7), IPX (23): not IP here. */
		n = null_hdr(10, be, &p6);
		assert_int_equal(decode(LT_NULL, &n, &v), FRAME_UNSUPPORTED);
		n = null_hdr(7, be, &p4);
		assert_int_equal(decode(LT_NULL, &n, &v), FRAME_UNSUPPORTED);
	}
	struct buf l = null_hdr(2, true, &p4);
	assert_int_equal(decode(LT_LOOP, &l, &v), FRAME_OK);
	assert_v4(&v, 17);
	/* LOOP is always network order: 02 00 00 00 is AF 0x02000000. */
	l = null_hdr(2, false, &p4);
	assert_int_equal(decode(LT_LOOP, &l, &v), FRAME_UNSUPPORTED);
	/* AF_INET over an IPv6 packet: the version does not match. */
	struct buf n = null_hdr(2, false, &p6);
	assert_int_equal(decode(LT_NULL, &n, &v), FRAME_INVALID);
}

static void raw_ip(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d);
	struct buf p4 = ip4(17, &u, 0, 0), p6 = ip6(17, &u);
	struct frame_view v;
	const uint32_t raw[] = { 101, 12, 14 };
	for (size_t i = 0; i < 3; i++) {
		assert_true(frame_linktype_supported(raw[i]));
		assert_int_equal(decode(raw[i], &p4, &v), FRAME_OK);
		assert_v4(&v, 17);
		assert_ntp_udp(&v, &p4);
		assert_int_equal(decode(raw[i], &p6, &v), FRAME_OK);
		assert_v6(&v, 17);
		assert_ntp_udp(&v, &p6);
		struct buf bad = p4;
		bad.b[0] = 0x55;
		assert_int_equal(decode(raw[i], &bad, &v), FRAME_INVALID);
		assert_int_equal(decode_len(raw[i], &p4, 0, &v), FRAME_TRUNCATED);
	}
	assert_int_equal(decode(LT_IPV4, &p4, &v), FRAME_OK);
	assert_v4(&v, 17);
	assert_int_equal(decode(LT_IPV6, &p6, &v), FRAME_OK);
	assert_v6(&v, 17);
	assert_ntp_udp(&v, &p6);
	assert_int_equal(decode(LT_IPV4, &p6, &v), FRAME_INVALID);
	assert_int_equal(decode(LT_IPV6, &p4, &v), FRAME_INVALID);
}

static void linktypes(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_SUPPORTED; i++)
		assert_true(frame_linktype_supported(supported[i]));
	const uint32_t other[] = { 9, 50, 105, 127, 192, 220, 239, 252, 0xffffffffu };
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p4 = ip4(17, &u, 0, 0);
	struct frame_view v;
	for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
		assert_false(frame_linktype_supported(other[i]));
		assert_int_equal(decode(other[i], &p4, &v), FRAME_UNSUPPORTED);
		assert_int_equal(v.linktype, other[i]);
	}
}

/* ------------------------------------------------------------------------
 * 1. Crafted frames: IPv4
 * ------------------------------------------------------------------------ */

static void ipv4_options(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d);
	struct frame_view v;
	for (size_t opt = 0; opt <= 40; opt += 4) {
		struct buf p = ip4(17, &u, opt, 0);
		assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
		assert_v4(&v, 17);
		assert_ntp_udp(&v, &p);
		assert_int_equal(v.payload - p.b, 20 + opt + 8);
	}
}

static void ipv4_bad_headers(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p = ip4(17, &u, 8, 0);
	struct frame_view v;
	/* IHL below 5. */
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		struct buf b = p;
		b.b[0] = (uint8_t)(0x40 | ihl);
		assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
	}
	/* Total length shorter than the header. */
	struct buf b = p;
	set16(&b, 2, 27);
	assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
	/* Total length that leaves no room for the UDP header. */
	set16(&b, 2, 28 + 7);
	assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
	/* Version 6 in an IPv4 Ethertype. */
	struct buf e = eth(NULL, 0, 0x0800, &p);
	e.b[14] = 0x68;
	assert_int_equal(decode(LT_ETHERNET, &e, &v), FRAME_INVALID);
	/* Options cut by the capture. */
	assert_int_equal(decode_len(LT_RAW, &p, 24, &v), FRAME_TRUNCATED);
	assert_int_equal(v.ip_version, 4); /* the fixed header was complete */
	assert_int_equal(v.sport, 0);
	assert_int_equal(decode_len(LT_RAW, &p, 19, &v), FRAME_TRUNCATED);
	assert_int_equal(v.ip_version, 0);
}

/* A capture cut by its snap length: the payload is short, its wire length
 * is what the headers say. */
static void ipv4_snaplen(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p = ip4(17, &u, 0, 0);
	struct frame_view v;
	assert_int_equal(decode_len(LT_RAW, &p, 28 + 10, &v), FRAME_OK);
	assert_int_equal(v.payload_len, 10);
	assert_int_equal(v.payload_wire_len, 48);
	assert_int_equal(v.sport, 40123);
	/* Octets after the IP total length (padding) are not payload. */
	put32(&p, 0xdeadbeef);
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_int_equal(v.payload_len, 48);
}

/* Total length 0: a TSO/BIG TCP send seen on the sender; the length is
 * what was captured (tcpdump: "presumed TSO"). */
static void ipv4_total_zero(void **state)
{
	(void)state;
	struct buf d = ntp_data(), t = tcp(40000, 443, 0x18, 12, &d), p = ip4(6, &t, 0, 0);
	set16(&p, 2, 0);
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_int_equal(v.sport, 40000);
	assert_int_equal(v.tcp_flags, 0x18);
	assert_int_equal(v.payload_len, 48);
	assert_int_equal(v.payload_wire_len, 48);
	/* The same with UDP (a GSO tunnel) whose length is also 0. */
	struct buf u = udp(5000, 4789, &d), q = ip4(17, &u, 0, 0);
	set16(&q, 2, 0);
	set16(&q, 24, 0);
	assert_int_equal(decode(LT_RAW, &q, &v), FRAME_OK);
	assert_int_equal(v.dport, 4789);
	assert_int_equal(v.payload_wire_len, 48);
	/* But UDP length 0 with a known IP length is wrong. */
	set16(&q, 2, (unsigned)q.n);
	assert_int_equal(decode(LT_RAW, &q, &v), FRAME_INVALID);
}

static void ipv4_fragments(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d);
	struct buf first_pl = { .n = 0 }, last_pl = { .n = 0 };
	put(&first_pl, u.b, 24);
	put(&last_pl, u.b + 24, u.n - 24);
	struct buf first = ip4(17, &first_pl, 0, 0x2000); /* MF */
	struct buf mid = ip4(17, &first_pl, 4, 0x2000 | 3);
	struct buf last = ip4(17, &last_pl, 0, 6); /* offset 48 */
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &first, &v), FRAME_FRAGMENT);
	assert_v4(&v, 17);
	assert_true(v.fragment);
	assert_true(v.first_fragment);
	assert_payload(&v, &first, 20, 24, 24); /* the fragment's data */
	assert_int_equal(decode(LT_RAW, &mid, &v), FRAME_FRAGMENT);
	assert_false(v.first_fragment);
	assert_payload(&v, &mid, 24, 24, 24);
	assert_int_equal(decode(LT_RAW, &last, &v), FRAME_FRAGMENT);
	assert_v4(&v, 17);
	assert_false(v.first_fragment);
	assert_payload(&v, &last, 20, last_pl.n, last_pl.n);
	/* DF and the reserved bit are not fragments. */
	struct buf whole = ip4(17, &u, 0, 0xc000);
	assert_int_equal(decode(LT_RAW, &whole, &v), FRAME_OK);
}

static void ipv4_ah(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), a = ah(17, 12, &u);
	struct buf p = ip4(51, &a, 0, 0);
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_v4(&v, 17);
	assert_ntp_udp(&v, &p);
	/* AH length 0 (8 octets) is shorter than AH's fixed part. */
	p.b[21] = 0;
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_INVALID);
}

/* ------------------------------------------------------------------------
 * 1. Crafted frames: IPv6
 * ------------------------------------------------------------------------ */

static void ipv6_extension_chain(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d);
	/* hop-by-hop, routing (3 units), destination options, AH (ICV 12:
	 * AH length 4), UDP. */
	struct buf a = ah(17, 12, &u), dst = ext6(51, 0, &a), rt = ext6(60, 3, &dst);
	struct buf hbh = ext6(43, 1, &rt), p = ip6(0, &hbh);
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_v6(&v, 17);
	assert_ntp_udp(&v, &p);
	assert_int_equal(v.payload - p.b, 40 + 16 + 32 + 8 + 24 + 8);
	assert_int_equal(p.b[40 + 16 + 32 + 8 + 1], 4); /* AH's own length unit */

	/* Hop-by-hop anywhere but first (RFC 8200 4.1). */
	struct buf h2 = ext6(17, 0, &u), d2 = ext6(0, 0, &h2), p2 = ip6(60, &d2);
	assert_int_equal(decode(LT_RAW, &p2, &v), FRAME_INVALID);
	/* An extension header longer than the payload length says. */
	struct buf p3 = p;
	set16(&p3, 4, 16 + 4);
	assert_int_equal(decode(LT_RAW, &p3, &v), FRAME_INVALID);
	assert_int_equal(v.ip_version, 6);
	/* ... or than was captured: truncated, network layer kept. */
	assert_int_equal(decode_len(LT_RAW, &p, 40 + 16 + 20, &v), FRAME_TRUNCATED);
	assert_int_equal(v.ip_version, 6);
	assert_memory_equal(v.src, A6, 16);
	assert_int_equal(v.proto, 43); /* where the chain was cut */
	/* AH length 0 in IPv6. */
	struct buf p4 = p;
	p4.b[40 + 16 + 32 + 8 + 1] = 0;
	assert_int_equal(decode(LT_RAW, &p4, &v), FRAME_INVALID);
}

static void ipv6_fragments(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d);
	struct buf head = { .n = 0 }, tail = { .n = 0 };
	put(&head, u.b, 48);
	put(&tail, u.b + 48, u.n - 48);
	struct buf f1 = frag6(17, 0, 1, &head), o1 = ext6(44, 0, &f1), p1 = ip6(60, &o1);
	struct buf f2 = frag6(17, 6, 0, &tail), p2 = ip6(44, &f2);
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &p1, &v), FRAME_FRAGMENT);
	assert_v6(&v, 17);
	assert_true(v.first_fragment);
	assert_payload(&v, &p1, 40 + 8 + 8, 48, 48);
	assert_int_equal(decode(LT_RAW, &p2, &v), FRAME_FRAGMENT);
	assert_v6(&v, 17);
	assert_false(v.first_fragment);
	assert_payload(&v, &p2, 48, tail.n, tail.n);
	/* An atomic fragment (offset 0, no M; RFC 6946) is a whole datagram. */
	struct buf f3 = frag6(17, 0, 0, &u), p3 = ip6(44, &f3);
	assert_int_equal(decode(LT_RAW, &p3, &v), FRAME_OK);
	assert_false(v.fragment);
	assert_v6(&v, 17);
	assert_ntp_udp(&v, &p3);
	/* The fragment header cut. */
	assert_int_equal(decode_len(LT_RAW, &p2, 45, &v), FRAME_TRUNCATED);
	assert_false(v.fragment);
}

static void ipv6_no_next_header(void **state)
{
	(void)state;
	struct buf none = { .n = 0 }, o = ext6(59, 0, &none), p = ip6(60, &o);
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_v6(&v, 59);
	assert_int_equal(v.payload_len, 0);
	/* Directly after the IPv6 header, with payload length 0. */
	struct buf p2 = ip6(59, &none);
	assert_int_equal(decode(LT_RAW, &p2, &v), FRAME_OK);
	assert_v6(&v, 59);
}

/* RFC 2675: payload length 0 and a Jumbo Payload option; UDP length 0. */
static void ipv6_jumbogram(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d);
	set16(&u, 4, 0);
	struct buf h = { .n = 0 };
	put8(&h, 17);
	put8(&h, 0);
	put8(&h, 0xc2);
	put8(&h, 4);
	put32(&h, 70000);
	cat(&h, &u);
	struct buf p = ip6(0, &h);
	set16(&p, 4, 0);
	struct frame_view v;
	/* Only the start of it was captured. */
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_v6(&v, 17);
	assert_int_equal(v.sport, 40123);
	assert_int_equal(v.payload_len, 48);
	assert_int_equal(v.payload_wire_len, 70000 - 8 - 8);
	/* Jumbo option with a non-zero payload length, or a jumbo value that
	 * fits in 16 bits, or payload length 0 without the option. */
	struct buf b = p;
	set16(&b, 4, (unsigned)h.n);
	assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
	b = p;
	set16(&b, 44, 0);
	set16(&b, 46, 60000);
	assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
	b = p;
	b.b[42] = 1; /* PadN instead */
	assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
	/* Options running past the header. */
	b = p;
	b.b[43] = 9;
	assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
}

/* Payload length 0 with TCP or UDP next: BIG TCP (tcpdump: "presumed BIG
 * TCP"), the length is what was captured; with anything else, nothing. */
static void ipv6_payload_length_zero(void **state)
{
	(void)state;
	struct buf d = ntp_data(), t = tcp(40000, 443, 0x10, 0, &d), p = ip6(6, &t);
	set16(&p, 4, 0);
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_int_equal(v.payload_len, 48);
	assert_int_equal(v.payload_wire_len, 48);
	struct buf c = icmp(128, 0), q = ip6(58, &c);
	set16(&q, 4, 0);
	assert_int_equal(decode(LT_RAW, &q, &v), FRAME_INVALID);
	struct buf f = frag6(17, 1, 0, &d), r = ip6(44, &f);
	set16(&r, 4, 0);
	assert_int_equal(decode(LT_RAW, &r, &v), FRAME_INVALID);
}

/* ------------------------------------------------------------------------
 * 1. Crafted frames: transport
 * ------------------------------------------------------------------------ */

static void udp_lengths(void **state)
{
	(void)state;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), p = ip4(17, &u, 0, 0);
	struct frame_view v;
	struct buf b = p;
	for (unsigned len = 0; len < 8; len++) {
		set16(&b, 24, len);
		assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
	}
	set16(&b, 24, 57); /* one more than the IP payload */
	assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
	set16(&b, 24, 8 + 10); /* shorter: the rest is not UDP data */
	assert_int_equal(decode(LT_RAW, &b, &v), FRAME_OK);
	assert_payload(&v, &b, 28, 10, 10);
	/* The UDP header cut by the capture, or by the IP length. */
	assert_int_equal(decode_len(LT_RAW, &p, 27, &v), FRAME_TRUNCATED);
	assert_int_equal(v.ip_version, 4);
	assert_int_equal(v.proto, 17);
	b = p;
	set16(&b, 2, 27);
	assert_int_equal(decode(LT_RAW, &b, &v), FRAME_INVALID);
}

static void tcp_fields(void **state)
{
	(void)state;
	struct buf d = ntp_data(), t = tcp(40000, 8123, 0x12, 12, &d), p = ip6(6, &t);
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_v6(&v, 6);
	assert_int_equal(v.sport, 40000);
	assert_int_equal(v.dport, 8123);
	assert_int_equal(v.tcp_flags, 0x12);
	assert_payload(&v, &p, 40 + 32, 48, 48);
	/* Every flag bit of octet 13, CWR and ECE included. */
	struct buf q = p;
	q.b[40 + 13] = 0xff;
	assert_int_equal(decode(LT_RAW, &q, &v), FRAME_OK);
	assert_int_equal(v.tcp_flags, 0xff);
	/* Data offset below 5; beyond the IP length; options cut. */
	for (unsigned off = 0; off < 5; off++) {
		q = p;
		q.b[40 + 12] = (uint8_t)(off << 4);
		assert_int_equal(decode(LT_RAW, &q, &v), FRAME_INVALID);
	}
	q = p;
	set16(&q, 4, 30);
	assert_int_equal(decode(LT_RAW, &q, &v), FRAME_INVALID);
	assert_int_equal(decode_len(LT_RAW, &p, 40 + 24, &v), FRAME_TRUNCATED);
	assert_int_equal(v.sport, 0);
	assert_int_equal(v.ip_version, 6);
}

static void icmp_fields(void **state)
{
	(void)state;
	struct buf c = icmp(3, 3), p = ip4(1, &c, 0, 0);
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_v4(&v, 1);
	assert_int_equal(v.icmp_type, 3);
	assert_int_equal(v.icmp_code, 3);
	assert_int_equal(v.sport, 0);
	assert_payload(&v, &p, 24, 4, 4);
	struct buf c6 = icmp(129, 0), p6 = ip6(58, &c6);
	assert_int_equal(decode(LT_RAW, &p6, &v), FRAME_OK);
	assert_v6(&v, 58);
	assert_int_equal(v.icmp_type, 129);
	assert_int_equal(v.icmp_code, 0);
	/* Three octets: cut by the capture, or all the IP length holds. */
	assert_int_equal(decode_len(LT_RAW, &p, 23, &v), FRAME_TRUNCATED);
	set16(&p, 2, 23);
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_INVALID);
}

/* Another protocol (GRE): its header is the payload. */
static void other_protocol(void **state)
{
	(void)state;
	struct buf g = { .n = 8, .b = { 0, 0, 0x08, 0x00, 1, 2, 3, 4 } }, p = ip4(47, &g, 0, 0);
	struct frame_view v;
	assert_int_equal(decode(LT_RAW, &p, &v), FRAME_OK);
	assert_v4(&v, 47);
	assert_payload(&v, &p, 20, 8, 8);
	assert_int_equal(v.sport, 0);
}

static void strerror_names(void **state)
{
	(void)state;
	for (int st = FRAME_OK; st <= FRAME_FRAGMENT; st++) {
		const char *s = frame_strerror((enum frame_status)st);
		assert_non_null(s);
		assert_true(s[0] != '\0');
	}
	assert_string_equal(frame_strerror(FRAME_TRUNCATED), "truncated frame");
	assert_string_equal(frame_strerror((enum frame_status)99), "unknown error");
}

/* ------------------------------------------------------------------------
 * 2. Real frames against tshark
 * ------------------------------------------------------------------------ */

static const char *st_name(enum frame_status st)
{
	switch (st) {
	case FRAME_OK: return "ok";
	case FRAME_TRUNCATED: return "truncated";
	case FRAME_INVALID: return "invalid";
	case FRAME_UNSUPPORTED: return "unsupported";
	case FRAME_FRAGMENT: return "fragment";
	}
	return "?";
}

/* One line in tshark-expected.py's columns. */
static void format_view(unsigned num, enum frame_status st, const struct frame_view *v, char *buf,
			size_t len)
{
	char vl[64] = "-", pp[16] = "-", ipv[4] = "-", src[64] = "-", dst[64] = "-", ttl[8] = "-",
	     proto[8] = "-", ff[4] = "-", sp[8] = "-", dp[8] = "-", fl[8] = "-", it[8] = "-",
	     ic[8] = "-", pl[24] = "-";
	size_t o = 0;
	for (unsigned i = 0; i < v->n_vlan; i++)
		o += (size_t)snprintf(vl + o, sizeof vl - o, "%s%u", i ? "," : "", v->vlan[i]);
	if (v->pppoe)
		snprintf(pp, sizeof pp, "%u", v->pppoe_session);
	if (v->ip_version) {
		int af = v->ip_version == 4 ? AF_INET : AF_INET6;
		snprintf(ipv, sizeof ipv, "%u", v->ip_version);
		assert_non_null(inet_ntop(af, v->src, src, sizeof src));
		assert_non_null(inet_ntop(af, v->dst, dst, sizeof dst));
		snprintf(ttl, sizeof ttl, "%u", v->ttl);
		snprintf(proto, sizeof proto, "%u", v->proto);
	}
	if (st == FRAME_FRAGMENT)
		snprintf(ff, sizeof ff, "%d", v->first_fragment ? 1 : 0);
	if (st == FRAME_OK && (v->proto == 6 || v->proto == 17)) {
		snprintf(sp, sizeof sp, "%u", v->sport);
		snprintf(dp, sizeof dp, "%u", v->dport);
		snprintf(pl, sizeof pl, "%zu", v->payload_wire_len);
	}
	if (st == FRAME_OK && v->proto == 6)
		snprintf(fl, sizeof fl, "0x%02x", v->tcp_flags);
	if (st == FRAME_OK && (v->proto == 1 || v->proto == 58)) {
		snprintf(it, sizeof it, "%u", v->icmp_type);
		snprintf(ic, sizeof ic, "%u", v->icmp_code);
	}
	snprintf(buf, len, "%u\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", num,
		 st_name(st), vl, pp, ipv, src, dst, ttl, proto, ff, sp, dp, fl, it, ic, pl);
}

#define MAX_CAPTURES 64

static char capture_names[MAX_CAPTURES][96];
static size_t n_captures;

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every capture of tests/data/frame/ (each has a .tsv beside it). */
static void list_captures(void)
{
	DIR *d = opendir(TEST_DATA_DIR "/frame");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n_captures < MAX_CAPTURES) {
		size_t n = strlen(e->d_name);
		if (!(n > 5 && strcmp(e->d_name + n - 5, ".pcap") == 0) &&
		    !(n > 7 && strcmp(e->d_name + n - 7, ".pcapng") == 0))
			continue;
		if (n >= sizeof capture_names[0])
			continue;
		memcpy(capture_names[n_captures++], e->d_name, n + 1);
	}
	closedir(d);
	qsort(capture_names, n_captures, sizeof capture_names[0], cmp_names);
}

static capture *open_capture(const char *name)
{
	char path[512], err[512];
	snprintf(path, sizeof path, "%s/frame/%s", TEST_DATA_DIR, name);
	const char *paths[1] = { path };
	capture *c = capture_open_files(paths, 1, NULL, err, sizeof err);
	if (!c)
		fail_msg("%s", err);
	return c;
}

static void real_capture_vs_tshark(void **state)
{
	const char *name = *state;
	char tsv[512];
	snprintf(tsv, sizeof tsv, "%s/frame/%.*s.tsv", TEST_DATA_DIR,
		 (int)(strrchr(name, '.') - name), name);
	FILE *f = fopen(tsv, "r");
	if (!f)
		fail_msg("%s: cannot open", tsv);
	capture *c = open_capture(name);
	struct capture_pkt p;
	char want[1024], got[1024];
	unsigned n = 0;
	int rc;
	while ((rc = capture_next(c, &p)) == 1) {
		n++;
		do {
			if (!fgets(want, sizeof want, f))
				fail_msg("%s: more packets than %s lists", name, tsv);
		} while (want[0] == '#');
		want[strcspn(want, "\n")] = '\0';
		static struct buf b;
		b.n = p.caplen;
		struct frame_view v;
		enum frame_status st;
		if (p.caplen <= BUF_MAX) {
			memcpy(b.b, p.data, p.caplen);
			st = decode(p.linktype, &b, &v);
		} else {
			st = frame_decode(p.linktype, p.data, p.caplen, &v);
		}
		format_view(n, st, &v, got, sizeof got);
		if (strcmp(want, got) != 0)
			fail_msg("%s packet %u:\n tshark: %s\n frame:  %s", name, n, want, got);
	}
	assert_int_equal(rc, 0);
	assert_true(n > 0);
	if (fgets(want, sizeof want, f))
		fail_msg("%s: %s lists more packets than the capture has", name, tsv);
	fclose(f);
	capture_close(c);
}

/* ------------------------------------------------------------------------
 * 3. Every frame cut at every length
 * ------------------------------------------------------------------------ */

/* The fields a cut frame may have filled must agree with the whole one. */
static void assert_prefix_of(const struct frame_view *cut, const struct frame_view *full)
{
	assert_true(cut->n_vlan <= full->n_vlan);
	assert_memory_equal(cut->vlan, full->vlan, cut->n_vlan * sizeof cut->vlan[0]);
	if (cut->pppoe) {
		assert_true(full->pppoe);
		assert_int_equal(cut->pppoe_session, full->pppoe_session);
	}
	if (cut->ip_version) {
		assert_int_equal(cut->ip_version, full->ip_version);
		assert_memory_equal(cut->src, full->src, 16);
		assert_memory_equal(cut->dst, full->dst, 16);
		assert_int_equal(cut->ttl, full->ttl);
	}
}

/* Everything but the captured payload length. */
static void assert_same_headers(const struct frame_view *a, const struct frame_view *b)
{
	assert_int_equal(a->n_vlan, b->n_vlan);
	assert_memory_equal(a->vlan, b->vlan, sizeof a->vlan);
	assert_int_equal(a->pppoe, b->pppoe);
	assert_int_equal(a->pppoe_session, b->pppoe_session);
	assert_int_equal(a->ip_version, b->ip_version);
	assert_memory_equal(a->src, b->src, 16);
	assert_memory_equal(a->dst, b->dst, 16);
	assert_int_equal(a->ttl, b->ttl);
	assert_int_equal(a->proto, b->proto);
	assert_int_equal(a->fragment, b->fragment);
	assert_int_equal(a->first_fragment, b->first_fragment);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->tcp_flags, b->tcp_flags);
	assert_int_equal(a->icmp_type, b->icmp_type);
	assert_int_equal(a->icmp_code, b->icmp_code);
	assert_ptr_equal(a->payload, b->payload);
	assert_int_equal(a->payload_wire_len, b->payload_wire_len);
}

/* f decoded whole, then cut at every length. */
static void sweep(uint32_t lt, const struct buf *f)
{
	struct frame_view full, v;
	enum frame_status whole = decode(lt, f, &full);
	/* Where the headers end: the payload for OK and FRAGMENT; for the
	 * others the first length that gives the whole result. */
	size_t end = f->n;
	if ((whole == FRAME_OK || whole == FRAME_FRAGMENT) && full.payload)
		end = (size_t)(full.payload - f->b);
	bool reached = false;
	for (size_t len = 0; len < f->n; len++) {
		enum frame_status st = decode_len(lt, f, len, &v);
		if (whole == FRAME_OK || whole == FRAME_FRAGMENT) {
			if (len < end) {
				if (st != FRAME_TRUNCATED)
					fail_msg("link type %u, %zu of %zu octets (headers end at "
						 "%zu): %s, not truncated",
						 lt, len, f->n, end, frame_strerror(st));
				assert_prefix_of(&v, &full);
				continue;
			}
			assert_int_equal(st, whole);
			size_t have = len - end;
			assert_int_equal(v.payload_len,
					 full.payload_len < have ? full.payload_len : have);
			assert_same_headers(&v, &full);
			continue;
		}
		/* UNSUPPORTED and INVALID: truncated until the decision. */
		if (st == whole) {
			reached = true;
		} else {
			if (reached || st != FRAME_TRUNCATED)
				fail_msg("link type %u, %zu of %zu octets: %s, whole %s", lt, len,
					 f->n, frame_strerror(st), frame_strerror(whole));
			assert_prefix_of(&v, &full);
		}
	}
}

#define N_CRAFTED 40

/* The frames of section 1, for the sweeps and the random loop. */
static size_t crafted_frames(struct buf *out, uint32_t *lt)
{
	size_t n = 0;
	struct buf d = ntp_data(), u = udp(40123, 123, &d), t = tcp(40000, 8123, 0x12, 12, &d);
	struct buf c4 = icmp(3, 3), c6 = icmp(129, 0);
	struct buf p4 = ip4(17, &u, 0, 0), p4o = ip4(17, &u, 12, 0), p6 = ip6(17, &u);
	struct buf t4 = ip4(6, &t, 4, 0), t6 = ip6(6, &t), i4 = ip4(1, &c4, 0, 0),
		   i6 = ip6(58, &c6);
	const unsigned q[] = { 0x8100, 100 }, qq[] = { 0x88a8, 200, 0x8100, 300 },
		       qo[] = { 0x9100, 10, 0x8100, 20 };
#define ADD(l, x)                                                                                  \
	do {                                                                                       \
		assert_true(n < N_CRAFTED);                                                        \
		lt[n] = (l);                                                                       \
		out[n++] = (x);                                                                    \
	} while (0)
	ADD(LT_ETHERNET, eth(NULL, 0, 0x0800, &p4));
	ADD(LT_ETHERNET, eth(NULL, 0, 0x0800, &p4o));
	ADD(LT_ETHERNET, eth(NULL, 0, 0x86dd, &p6));
	ADD(LT_ETHERNET, eth(q, 1, 0x0800, &t4));
	ADD(LT_ETHERNET, eth(qq, 2, 0x86dd, &t6));
	ADD(LT_ETHERNET, eth(qo, 2, 0x0800, &i4));
	struct buf s4 = pppoe(0x1234, 0x21, &p4), s6 = pppoe(1, 0x57, &i6);
	ADD(LT_ETHERNET, eth(NULL, 0, 0x8864, &s4));
	ADD(LT_ETHERNET, eth(q, 1, 0x8864, &s6));
	ADD(LT_SLL, sll(0x0800, &p4));
	ADD(LT_SLL, sll(0x86dd, &t6));
	ADD(LT_SLL2, sll2(0x0800, &i4));
	ADD(LT_SLL2, sll2(0x86dd, &p6));
	ADD(LT_NULL, null_hdr(2, false, &p4));
	ADD(LT_NULL, null_hdr(30, true, &p6));
	ADD(LT_LOOP, null_hdr(24, true, &i6));
	ADD(LT_RAW, p4o);
	ADD(12, t6);
	ADD(14, i4);
	ADD(LT_IPV4, t4);
	ADD(LT_IPV6, i6);
	struct buf a = ah(17, 12, &u), dst = ext6(51, 0, &a), rt = ext6(60, 3, &dst);
	struct buf hbh = ext6(43, 1, &rt);
	ADD(LT_RAW, ip6(0, &hbh));
	struct buf a4 = ah(17, 12, &u);
	ADD(LT_RAW, ip4(51, &a4, 0, 0));
	struct buf head = { .n = 0 };
	put(&head, u.b, 48);
	struct buf f1 = frag6(17, 0, 1, &head), o1 = ext6(44, 0, &f1);
	ADD(LT_RAW, ip6(60, &o1));
	struct buf f3 = frag6(17, 0, 0, &u);
	ADD(LT_RAW, ip6(44, &f3));
	ADD(LT_RAW, ip4(17, &head, 0, 0x2000));
	ADD(LT_RAW, ip4(17, &head, 8, 7));
	struct buf none = { .n = 0 }, o59 = ext6(59, 0, &none);
	ADD(LT_RAW, ip6(60, &o59));
	struct buf g = { .n = 8, .b = { 0, 0, 0x08, 0x00, 1, 2, 3, 4 } };
	ADD(LT_RAW, ip4(47, &g, 0, 0));
	struct buf arp = { .n = 28 };
	ADD(LT_ETHERNET, eth(q, 1, 0x0806, &arp));
	struct buf lcp_body = { .n = 4, .b = { 1, 1, 0, 4 } }, lcp = pppoe(5, 0xc021, &lcp_body);
	ADD(LT_ETHERNET, eth(NULL, 0, 0x8864, &lcp));
	struct buf bad = p4;
	bad.b[0] = 0x44;
	ADD(LT_ETHERNET, eth(NULL, 0, 0x0800, &bad));
#undef ADD
	return n;
}

static void truncation_sweep_crafted(void **state)
{
	(void)state;
	static struct buf frames[N_CRAFTED];
	uint32_t lt[N_CRAFTED];
	size_t n = crafted_frames(frames, lt);
	for (size_t i = 0; i < n; i++)
		sweep(lt[i], &frames[i]);
}

static void truncation_sweep_captures(void **state)
{
	(void)state;
	size_t packets = 0;
	static struct buf b;
	for (size_t i = 0; i < n_captures; i++) {
		capture *c = open_capture(capture_names[i]);
		struct capture_pkt p;
		int rc;
		while ((rc = capture_next(c, &p)) == 1) {
			if (p.caplen > BUF_MAX)
				continue;
			memcpy(b.b, p.data, p.caplen);
			b.n = p.caplen;
			sweep(p.linktype, &b);
			packets++;
		}
		assert_int_equal(rc, 0);
		capture_close(c);
	}
	printf("test_frame: %zu captured frames cut at every length\n", packets);
	assert_true(packets > 1000);
}

/* ------------------------------------------------------------------------
 * 4. Randomised rejection loop
 * ------------------------------------------------------------------------ */

static uint64_t test_seed;
static uint64_t rnd_state;

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rnd_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

/* Where the IP header starts in a crafted frame of link type lt (the
 * frames of crafted_frames() with no tags), or SIZE_MAX. */
static size_t ip_offset(uint32_t lt, const struct buf *f)
{
	switch (lt) {
	case LT_ETHERNET: return f->b[12] == 0x08 && f->b[13] == 0x00 ? 14 : SIZE_MAX;
	case LT_SLL: return 16;
	case LT_SLL2: return 20;
	case LT_NULL:
	case LT_LOOP: return 4;
	default: return 0;
	}
}

static void random_rejection_loop(void **state)
{
	(void)state;
	static struct buf frames[N_CRAFTED];
	uint32_t lts[N_CRAFTED];
	size_t n_frames = crafted_frames(frames, lts);
	rnd_state = test_seed;
	unsigned counts[FRAME_FRAGMENT + 1] = { 0 };
	unsigned rejected = 0;
	for (unsigned iter = 0; iter < 30000; iter++) {
		struct buf f;
		uint32_t lt;
		struct frame_view v;
		if (iter < 10000) {
			/* Random octets under a random supported link type, often
			 * with a plausible first header. */
			lt = supported[rnd_below(N_SUPPORTED)];
			f.n = rnd_below(300);
			for (size_t i = 0; i < f.n; i++)
				f.b[i] = (uint8_t)rnd();
			size_t ip = lt == LT_ETHERNET		     ? 14
				    : lt == LT_SLL		     ? 16
				    : lt == LT_SLL2		     ? 20
				    : lt == LT_NULL || lt == LT_LOOP ? 4
								     : 0;
			if (f.n > ip && rnd_below(2))
				f.b[ip] = (uint8_t)(rnd_below(2) ? 0x45 : 0x60);
			counts[decode(lt, &f, &v)]++;
			continue;
		}
		size_t k = rnd_below(n_frames);
		f = frames[k];
		lt = lts[k];
		if (iter < 20000) {
			/* Octets mutated anywhere, lengths included. */
			size_t m = 1 + rnd_below(4);
			for (size_t j = 0; j < m; j++)
				f.b[rnd_below(f.n)] = (uint8_t)rnd();
			if (rnd_below(4) == 0)
				f.n = rnd_below(f.n + 1);
			counts[decode(lt, &f, &v)]++;
			continue;
		}
		/* Headers that cannot be right must be rejected as such. */
		size_t ip = ip_offset(lt, &f);
		if (ip == SIZE_MAX || f.n < ip + 20 || f.b[ip] >> 4 != 4)
			continue;
		switch (rnd_below(3)) {
		case 0: /* IHL below 5 */ f.b[ip] = (uint8_t)(0x40 | rnd_below(5)); break;
		case 1: /* total length below the header length */
			set16(&f, ip + 2, (unsigned)(1 + rnd_below((f.b[ip] & 15u) * 4 - 1)));
			break;
		case 2: /* a version other than 4 (not 6 under raw IP either) */
			f.b[ip] = (uint8_t)((f.b[ip] & 0x0f) | (rnd_below(2) ? 0x70 : 0x10));
			break;
		}
		enum frame_status st = decode(lt, &f, &v);
		if (st != FRAME_INVALID)
			fail_msg("iteration %u (seed %" PRIu64
				 "): link type %u frame %zu mutated: %s",
				 iter, test_seed, lt, k, frame_strerror(st));
		rejected++;
	}
	printf("test_frame: random loop: ok %u truncated %u invalid %u unsupported %u fragment %u; "
	       "%u bad headers rejected\n",
	       counts[FRAME_OK], counts[FRAME_TRUNCATED], counts[FRAME_INVALID],
	       counts[FRAME_UNSUPPORTED], counts[FRAME_FRAGMENT], rejected);
	assert_true(rejected > 1000);
	assert_true(counts[FRAME_OK] > 0 && counts[FRAME_TRUNCATED] > 0 &&
		    counts[FRAME_INVALID] > 0);
}

/* ------------------------------------------------------------------------ */

int main(void)
{
	const char *env = getenv("TEST_SEED");
	test_seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("test_frame: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       test_seed, test_seed);
	fflush(stdout);
	list_captures();

	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(ethernet_ipv4_udp),
		cmocka_unit_test(ethernet_ipv6_udp),
		cmocka_unit_test(ethernet_padding),
		cmocka_unit_test(vlan_8021q),
		cmocka_unit_test(vlan_qinq),
		cmocka_unit_test(vlan_too_many),
		cmocka_unit_test(pppoe_ipv4_ipv6),
		cmocka_unit_test(pppoe_in_vlan_and_compressed),
		cmocka_unit_test(pppoe_rejects),
		cmocka_unit_test(ethernet_not_ip),
		cmocka_unit_test(linux_sll_sll2),
		cmocka_unit_test(null_and_loop),
		cmocka_unit_test(raw_ip),
		cmocka_unit_test(linktypes),
		cmocka_unit_test(ipv4_options),
		cmocka_unit_test(ipv4_bad_headers),
		cmocka_unit_test(ipv4_snaplen),
		cmocka_unit_test(ipv4_total_zero),
		cmocka_unit_test(ipv4_fragments),
		cmocka_unit_test(ipv4_ah),
		cmocka_unit_test(ipv6_extension_chain),
		cmocka_unit_test(ipv6_fragments),
		cmocka_unit_test(ipv6_no_next_header),
		cmocka_unit_test(ipv6_jumbogram),
		cmocka_unit_test(ipv6_payload_length_zero),
		cmocka_unit_test(udp_lengths),
		cmocka_unit_test(tcp_fields),
		cmocka_unit_test(icmp_fields),
		cmocka_unit_test(other_protocol),
		cmocka_unit_test(strerror_names),
		cmocka_unit_test(truncation_sweep_crafted),
		cmocka_unit_test(truncation_sweep_captures),
		cmocka_unit_test(random_rejection_loop),
	};
	enum { N_FIXED = sizeof fixed / sizeof fixed[0] };
	static struct CMUnitTest tests[N_FIXED + MAX_CAPTURES];
	static char names[MAX_CAPTURES][128];
	size_t n = 0;
	for (size_t i = 0; i < N_FIXED; i++)
		tests[n++] = fixed[i];
	for (size_t i = 0; i < n_captures; i++) {
		snprintf(names[i], sizeof names[i], "tshark_%s", capture_names[i]);
		struct CMUnitTest t =
			cmocka_unit_test_prestate(real_capture_vs_tshark, capture_names[i]);
		t.name = names[i];
		tests[n++] = t;
	}
	if (n_captures < 20) {
		fprintf(stderr, "test_frame: only %zu captures in %s/frame\n", n_captures,
			TEST_DATA_DIR);
		return 1;
	}
	return _cmocka_run_group_tests("frame", tests, n, NULL, NULL);
}
