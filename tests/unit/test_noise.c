/* test_noise.c - the Internet's noise (src/analysis/noise.c).
 *
 * 1. --local lists: addresses and prefixes (host bits cleared), and the
 *    rejections (empty items, not addresses, bad lengths, too many, too
 *    long), each with a message; prefix matching at odd lengths.
 * 2. Counting rules, on frames built here and taken through noise_decode()
 *    (so through the frame decoder): connection attempts (SYN without ACK)
 *    against backscatter (SYN-ACK, RST nobody asked for) against other TCP
 *    and replies to the local addresses' own flows; UDP and ICMP replies
 *    and unsolicited ones; ICMP and ICMPv6 types; IPv4 against IPv6;
 *    outgoing, internal and transit packets; per source packets, distinct
 *    ports and hosts, first and last seen; top ports with their sources.
 * 3. Scanner thresholds (ports and hosts, at and below).
 * 4. Hours: rows from the first to the last, an earlier hour arriving late,
 *    distinct sources per hour.
 * 5. Caps: sources beyond max_sources counted but not itemised (the
 *    distinct sources then HyperLogLog estimates), a full pair table making
 *    distinct counts lower bounds.
 * 6. Inference of the local addresses: by requests, by sources when a
 *    family has no requests, nobody when nothing tells.
 * 7. VLAN + PPPoE and Linux cooked frames; malformed input through the
 *    frame decoder: every frame cut at every length is counted as truncated
 *    (or, past the headers, as the packet it is), invalid headers as invalid,
 *    ARP as not IP, and a randomised loop of mutated frames that must never
 *    be counted as anything but one packet.  The seed is printed;
 *    TEST_SEED=<n> replays a run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/noise.h"

enum { LT_ETHERNET = 1, LT_SLL = 113 };

#define BUF_MAX 512

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
	put8(f, v & 0xff);
}

static void put32(struct buf *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

/* Addresses: LOCAL4/LOCAL6 are "here". */
static const uint8_t LOCAL4[4] = { 192, 0, 2, 7 };
static const uint8_t LOCAL6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 7 };

static void v4(uint8_t out[16], unsigned a, unsigned b, unsigned c, unsigned d)
{
	memset(out, 0, 16);
	out[0] = (uint8_t)a;
	out[1] = (uint8_t)b;
	out[2] = (uint8_t)c;
	out[3] = (uint8_t)d;
}

static void v6(uint8_t out[16], unsigned last)
{
	static const uint8_t base[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff };
	memcpy(out, base, 16);
	out[14] = (uint8_t)(last >> 8);
	out[15] = (uint8_t)last;
}

/* Transport headers. */
static struct buf tcp(unsigned sport, unsigned dport, unsigned flags)
{
	struct buf t = { .n = 0 };
	put16(&t, sport);
	put16(&t, dport);
	put32(&t, 1000); /* seq */
	put32(&t, (flags & 0x10) ? 2000 : 0);
	put8(&t, 5 << 4); /* data offset 5 */
	put8(&t, flags);
	put16(&t, 1024); /* window */
	put16(&t, 0);	 /* checksum (not checked) */
	put16(&t, 0);
	return t;
}

static struct buf udp(unsigned sport, unsigned dport)
{
	struct buf u = { .n = 0 };
	put16(&u, sport);
	put16(&u, dport);
	put16(&u, 8 + 4);
	put16(&u, 0);
	put32(&u, 0xdeadbeef);
	return u;
}

static struct buf icmp(unsigned type, unsigned code)
{
	struct buf i = { .n = 0 };
	put8(&i, type);
	put8(&i, code);
	put16(&i, 0);
	put32(&i, 0x00010001); /* id, seq */
	return i;
}

/* An IP packet of version ver (addresses in 16 octets) around transport t. */
static struct buf ip(int ver, const uint8_t src[16], const uint8_t dst[16], unsigned proto,
		     const struct buf *t)
{
	struct buf p = { .n = 0 };
	if (ver == 4) {
		put8(&p, 0x45);
		put8(&p, 0);
		put16(&p, (unsigned)(20 + t->n));
		put16(&p, 1); /* id */
		put16(&p, 0); /* flags, offset */
		put8(&p, 64);
		put8(&p, proto);
		put16(&p, 0);
		put(&p, src, 4);
		put(&p, dst, 4);
	} else {
		put32(&p, 6u << 28);
		put16(&p, (unsigned)t->n);
		put8(&p, proto);
		put8(&p, 64);
		put(&p, src, 16);
		put(&p, dst, 16);
	}
	put(&p, t->b, t->n);
	return p;
}

static struct buf ether(int ver, const struct buf *ipp)
{
	struct buf e = { .n = 0 };
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	put(&e, mac, 12);
	put16(&e, ver == 4 ? 0x0800 : 0x86dd);
	put(&e, ipp->b, ipp->n);
	return e;
}

/* Ethernet, 802.1Q VLAN 7, PPPoE session 0x1234, PPP IPv4 or IPv6. */
static struct buf ether_vlan_pppoe(int ver, const struct buf *ipp)
{
	struct buf e = { .n = 0 };
	static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	put(&e, mac, 12);
	put16(&e, 0x8100);
	put16(&e, 7);
	put16(&e, 0x8864);
	put8(&e, 0x11); /* version 1, type 1 */
	put8(&e, 0);	/* session data */
	put16(&e, 0x1234);
	put16(&e, (unsigned)(2 + ipp->n));
	put16(&e, ver == 4 ? 0x0021 : 0x0057);
	put(&e, ipp->b, ipp->n);
	return e;
}

/* Linux cooked capture (SLL), incoming. */
static struct buf sll(int ver, const struct buf *ipp)
{
	struct buf e = { .n = 0 };
	put16(&e, 0); /* to us */
	put16(&e, 1); /* ARPHRD_ETHER */
	put16(&e, 6);
	static const uint8_t mac[8] = { 2, 0, 0, 0, 0, 9 };
	put(&e, mac, 8);
	put16(&e, ver == 4 ? 0x0800 : 0x86dd);
	put(&e, ipp->b, ipp->n);
	return e;
}

/* One frame of proto with transport t through noise_decode() into n at
 * second sec. */
static enum frame_status feed_frame(noise *n, uint32_t lt, const struct buf *f, double sec)
{
	struct timespec ts = { (time_t)sec, (long)((sec - (double)(time_t)sec) * 1e9) };
	struct noise_pkt p;
	enum frame_status st = noise_decode(lt, f->b, f->n, &ts, &p);
	noise_add(n, &p);
	return st;
}

static void feed(noise *n, int ver, const uint8_t src[16], const uint8_t dst[16], unsigned proto,
		 const struct buf *t, double sec)
{
	struct buf p = ip(ver, src, dst, proto, t);
	struct buf e = ether(ver, &p);
	assert_int_equal(feed_frame(n, LT_ETHERNET, &e, sec), FRAME_OK);
}

static void syn(noise *n, const uint8_t src[16], const uint8_t dst[16], unsigned dport, double sec)
{
	struct buf t = tcp(40000, dport, 0x02);
	feed(n, 4, src, dst, 6, &t, sec);
}

static const struct noise_opts DEFAULTS = { 0, 0, 0, 0 };

static noise *new_local(const char *locals, const struct noise_opts *o)
{
	struct noise_prefix p[NOISE_MAX_LOCALS];
	size_t n;
	char err[128];
	assert_int_equal(noise_parse_locals(locals, p, NOISE_MAX_LOCALS, &n, err, sizeof err), 0);
	noise *nz = noise_new(o ? o : &DEFAULTS, p, n);
	assert_non_null(nz);
	return nz;
}

/* The itemised source with address a, or fails. */
static struct noise_source source_of(const noise *n, int ver, const uint8_t a[16])
{
	size_t cnt = noise_n_sources(n);
	struct noise_source *all = calloc(cnt ? cnt : 1, sizeof *all);
	assert_non_null(all);
	cnt = noise_sources(n, NOISE_BY_PACKETS, false, all, cnt);
	for (size_t i = 0; i < cnt; i++)
		if (all[i].version == ver && memcmp(all[i].addr, a, 16) == 0) {
			struct noise_source s = all[i];
			free(all);
			return s;
		}
	free(all);
	fail_msg("source not itemised");
	struct noise_source none = { .packets = 0 };
	return none;
}

/* ------------------------------------------------------------------------
 * 1. --local lists
 * ------------------------------------------------------------------------ */

static void parse_locals_good(void **state)
{
	(void)state;
	struct noise_prefix p[8];
	size_t n;
	char err[128] = "";
	assert_int_equal(noise_parse_locals("192.0.2.7,2001:db8:1::7/64,198.51.100.77/25,::/0", p,
					    8, &n, err, sizeof err),
			 0);
	assert_int_equal(n, 4);
	assert_int_equal(p[0].version, 4);
	assert_int_equal(p[0].len, 32);
	assert_memory_equal(p[0].addr, LOCAL4, 4);
	assert_int_equal(p[1].version, 6);
	assert_int_equal(p[1].len, 64);
	uint8_t want6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	assert_memory_equal(p[1].addr, want6, 16); /* host bits cleared */
	assert_int_equal(p[2].len, 25);
	assert_int_equal(p[2].addr[3], 0); /* 77 & 0x80 */
	assert_int_equal(p[3].len, 0);

	uint8_t a[16];
	v4(a, 198, 51, 100, 127);
	assert_true(noise_prefix_match(&p[2], 4, a));
	v4(a, 198, 51, 100, 128);
	assert_false(noise_prefix_match(&p[2], 4, a));
	assert_false(noise_prefix_match(&p[2], 6, a)); /* other family */
	v6(a, 1);
	assert_true(noise_prefix_match(&p[3], 6, a)); /* ::/0 */
	assert_false(noise_prefix_match(&p[1], 6, a));
}

static void parse_locals_rejects(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int e;
		const char *msg;
	} bad[] = {
		{ "", -EINVAL, "empty" },
		{ ",", -EINVAL, "empty" },
		{ "192.0.2.1,", -EINVAL, "empty" },
		{ "192.0.2.1,,192.0.2.2", -EINVAL, "empty" },
		{ "example.net", -EINVAL, "'example.net' is not an IPv4 or IPv6 address" },
		{ "192.0.2.256", -EINVAL, "not an IPv4 or IPv6" },
		{ "192.0.2.1/33", -EINVAL, "0 to 32" },
		{ "2001:db8::/129", -EINVAL, "0 to 128" },
		{ "192.0.2.1/", -EINVAL, "0 to 32" },
		{ "192.0.2.1/-1", -EINVAL, "0 to 32" },
		{ "192.0.2.1/2a", -EINVAL, "0 to 32" },
		{ "192.0.2.1/00024", -EINVAL, "0 to 32" },
		{ "192.0.2.1 ", -EINVAL, "not an IPv4" },
		{ "192.0.2.1/24/8", -EINVAL, "0 to 32" },
		{ "1.2.3.4,1.2.3.5,1.2.3.6", -E2BIG, "more than 2" },
		{ "0123456789012345678901234567890123456789012345678901234567890123456789", -EINVAL,
		  "is not an address" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct noise_prefix p[2];
		size_t n = 99;
		char err[160] = "";
		int e = noise_parse_locals(bad[i].s, p, 2, &n, err, sizeof err);
		printf("# '%s': %d %s\n", bad[i].s, e, err);
		assert_int_equal(e, bad[i].e);
		assert_int_equal(n, 0);
		assert_non_null(strstr(err, bad[i].msg));
	}
	/* a list over 4096 characters */
	char *big = malloc(5000);
	assert_non_null(big);
	memset(big, '1', 4999);
	big[4999] = '\0';
	struct noise_prefix p[2];
	size_t n;
	char err[160];
	assert_int_equal(noise_parse_locals(big, p, 2, &n, err, sizeof err), -E2BIG);
	free(big);
	/* noise_new refuses what the parser would */
	struct noise_prefix bp = { .version = 4, .len = 33 };
	assert_null(noise_new(&DEFAULTS, &bp, 1));
	assert_null(noise_new(&DEFAULTS, &bp, 0));
	struct noise_opts o = { .max_sources = 1u << 24 };
	bp.len = 32;
	assert_null(noise_new(&o, &bp, 1));
}

/* ------------------------------------------------------------------------
 * 2. Counting rules
 * ------------------------------------------------------------------------ */

static void attempts_backscatter_replies(void **state)
{
	(void)state;
	noise *n = new_local("192.0.2.7", NULL);
	uint8_t here[16], a[16], b[16], c[16], srv[16];
	v4(here, 192, 0, 2, 7);
	v4(a, 198, 51, 100, 1);
	v4(b, 198, 51, 100, 2);
	v4(c, 203, 0, 113, 9);
	v4(srv, 203, 0, 113, 80);

	/* a: three attempts, to 23, 23 and 2323 */
	syn(n, a, here, 23, 1000);
	syn(n, a, here, 23, 1001);
	syn(n, a, here, 2323, 1002);
	/* b: backscatter: SYN-ACK from its port 80, RST from 443, RST-ACK */
	struct buf t = tcp(80, 51000, 0x12);
	feed(n, 4, b, here, 6, &t, 1003);
	t = tcp(443, 51001, 0x04);
	feed(n, 4, b, here, 6, &t, 1004);
	t = tcp(443, 51002, 0x14);
	feed(n, 4, b, here, 6, &t, 1005);
	/* c: a bare ACK and a FIN (no flow): other TCP */
	t = tcp(5555, 22, 0x10);
	feed(n, 4, c, here, 6, &t, 1006);
	t = tcp(5555, 25, 0x01);
	feed(n, 4, c, here, 6, &t, 1007);

	/* here connects to srv:80; the SYN-ACK and the RST back are replies */
	t = tcp(50000, 80, 0x02);
	feed(n, 4, here, srv, 6, &t, 1010);
	t = tcp(80, 50000, 0x12);
	feed(n, 4, srv, here, 6, &t, 1010.01);
	t = tcp(80, 50000, 0x14);
	feed(n, 4, srv, here, 6, &t, 1010.02);
	/* ... but a SYN-ACK to another port of here is backscatter */
	t = tcp(80, 50001, 0x12);
	feed(n, 4, srv, here, 6, &t, 1010.03);
	/* and a SYN from srv is an attempt whatever flows there are */
	t = tcp(80, 50000, 0x02);
	feed(n, 4, srv, here, 6, &t, 1010.04);

	/* UDP: a DNS query out and its answer (reply); an unsolicited one */
	struct buf u = udp(40053, 53);
	feed(n, 4, here, srv, 17, &u, 1020);
	u = udp(53, 40053);
	feed(n, 4, srv, here, 17, &u, 1020.01);
	u = udp(53, 40054);
	feed(n, 4, srv, here, 17, &u, 1020.02);
	u = udp(6000, 5060);
	feed(n, 4, a, here, 17, &u, 1021);

	/* ICMP: a ping out and its reply; an echo request in; an unreachable
	 * from srv (contacted: a reply) and one from c (not) */
	struct buf i = icmp(8, 0);
	feed(n, 4, here, srv, 1, &i, 1030);
	i = icmp(0, 0);
	feed(n, 4, srv, here, 1, &i, 1030.01);
	i = icmp(0, 0);
	feed(n, 4, c, here, 1, &i, 1030.02); /* echo reply nobody asked for */
	i = icmp(8, 0);
	feed(n, 4, a, here, 1, &i, 1031);
	i = icmp(3, 3);
	feed(n, 4, srv, here, 1, &i, 1032);
	i = icmp(3, 1);
	feed(n, 4, c, here, 1, &i, 1033);

	/* GRE from a: another protocol */
	struct buf g = { .n = 0 };
	put32(&g, 0x00000800);
	feed(n, 4, a, here, 47, &g, 1040);
	/* transit, and an IPv6 packet to an address not here */
	syn(n, a, b, 80, 1041);
	uint8_t x6[16], y6[16];
	v6(x6, 1);
	v6(y6, 2);
	t = tcp(1, 2, 0x02);
	feed(n, 6, x6, y6, 6, &t, 1042);

	struct noise_summary s;
	noise_summary(n, &s);
	assert_int_equal(s.tcp_attempts, 4);
	assert_int_equal(s.tcp_backscatter, 4);
	assert_int_equal(s.tcp_other, 2);
	assert_int_equal(s.udp, 2);
	assert_int_equal(s.icmp, 3);
	assert_int_equal(s.icmp_types[0][8], 1);
	assert_int_equal(s.icmp_types[0][0], 1);
	assert_int_equal(s.icmp_types[0][3], 1);
	assert_int_equal(s.other_proto, 1);
	assert_int_equal(s.proto[47], 1);
	assert_int_equal(s.unsolicited, 4 + 4 + 2 + 2 + 3 + 1);
	assert_int_equal(s.v4, s.unsolicited);
	assert_int_equal(s.v6, 0);
	assert_int_equal(s.outgoing, 3);
	assert_int_equal(s.replies, 2 + 1 + 1 + 1);
	assert_int_equal(s.transit, 2);
	assert_int_equal(s.packets, s.unsolicited + s.outgoing + s.replies + s.transit);
	assert_true(s.sources_v4 == 4.0 && !s.sources_approx);
	assert_true(s.sources_v6 == 0.0);

	/* per source */
	struct noise_source sa = source_of(n, 4, a);
	assert_int_equal(sa.packets, 6);
	assert_int_equal(sa.attempts, 3);
	assert_int_equal(sa.udp, 1);
	assert_int_equal(sa.icmp, 1);
	assert_int_equal(sa.other, 1);
	assert_int_equal(sa.ports, 3); /* tcp 23, 2323, udp 5060 */
	assert_int_equal(sa.hosts, 1);
	assert_true(sa.first == 1000LL * 1000000000LL);
	assert_true(sa.last == 1040LL * 1000000000LL);
	struct noise_source sb = source_of(n, 4, b);
	assert_int_equal(sb.backscatter, 3);
	assert_int_equal(sb.ports, 0); /* backscatter touches no port */
	assert_int_equal(sb.hosts, 0);
	struct noise_source sc = source_of(n, 4, c);
	assert_int_equal(sc.tcp_other, 2);
	assert_int_equal(sc.ports, 2);

	/* top ports */
	struct noise_port tp[3];
	assert_int_equal(noise_top_ports(n, NOISE_PORT_TCP, tp, 3), 3);
	assert_int_equal(tp[0].port, 23);
	assert_int_equal(tp[0].packets, 2);
	assert_int_equal(tp[0].sources, 1);
	assert_int_equal(tp[1].port, 2323); /* ties: the lower port first */
	assert_int_equal(tp[2].port, 50000);
	assert_int_equal(noise_top_ports(n, NOISE_PORT_TCP, tp, 1), 1);
	assert_int_equal(tp[0].port, 23);
	assert_int_equal(noise_top_ports(n, NOISE_PORT_BACKSCATTER, tp, 3), 2);
	assert_int_equal(tp[0].port, 80); /* ties: the lower port first */
	assert_int_equal(tp[0].packets, 2);
	assert_int_equal(tp[0].sources, 2); /* b and srv */
	assert_int_equal(tp[1].port, 443);
	assert_int_equal(tp[1].packets, 2);
	assert_int_equal(tp[1].sources, 1);
	assert_int_equal(noise_top_ports(n, NOISE_PORT_UDP, tp, 3), 2);
	assert_int_equal(noise_top_ports(n, NOISE_PORT_UDP, tp, 0), 0);
	noise_free(n);
	noise_free(NULL);
}

/* An ICMP error (type, code) whose body quotes the datagram q. */
static struct buf icmp_quoting(unsigned type, unsigned code, const struct buf *q)
{
	struct buf i = { .n = 0 };
	put8(&i, type);
	put8(&i, code);
	put16(&i, 0);
	put32(&i, 0); /* unused (or MTU) */
	put(&i, q->b, q->n);
	return i;
}

/* ICMP errors are told apart by the datagram they quote: a router's time
 * exceeded about a packet sent from here is a reply although the router was
 * never contacted; an error about a packet never sent from here (a spoofed
 * source) is unsolicited although it comes from an address contacted. */
static void icmp_errors_by_quote(void **state)
{
	(void)state;
	noise *n = new_local("192.0.2.7,2001:db8:1::7", NULL);
	uint8_t here[16], srv[16], rtr[16], other[16], here6[16], srv6[16], rtr6[16];
	v4(here, 192, 0, 2, 7);
	v4(srv, 203, 0, 113, 80);
	v4(rtr, 198, 51, 100, 254);
	v4(other, 203, 0, 113, 99);
	memcpy(here6, LOCAL6, 16);
	v6(srv6, 0x80);
	v6(rtr6, 0xfe);

	/* Out: NTP to srv, a ping to srv, NTP to srv6. */
	struct buf u = udp(40000, 123);
	feed(n, 4, here, srv, 17, &u, 1000);
	struct buf e = icmp(8, 0);
	feed(n, 4, here, srv, 1, &e, 1000.5);
	feed(n, 6, here6, srv6, 17, &u, 1001);

	/* In, replies: the router's time exceeded about the NTP request and
	 * about the ping; srv's port unreachable about the request; the IPv6
	 * router's time exceeded (ICMPv6 3) about the IPv6 request. */
	struct buf q = ip(4, here, srv, 17, &u);
	struct buf i = icmp_quoting(11, 0, &q);
	feed(n, 4, rtr, here, 1, &i, 1002);
	struct buf qe = ip(4, here, srv, 1, &e);
	i = icmp_quoting(11, 0, &qe);
	feed(n, 4, rtr, here, 1, &i, 1002.5);
	i = icmp_quoting(3, 3, &q);
	feed(n, 4, srv, here, 1, &i, 1003);
	struct buf q6 = ip(6, here6, srv6, 17, &u);
	i = icmp_quoting(3, 0, &q6);
	feed(n, 6, rtr6, here6, 58, &i, 1004);

	/* In, unsolicited: srv's unreachable about a packet to port 53 of
	 * another host, never sent from here; the router's about a packet from
	 * here to other (never sent); an unquoted unreachable from rtr. */
	struct buf u53 = udp(40001, 53);
	struct buf qx = ip(4, here, other, 17, &u53);
	i = icmp_quoting(3, 3, &qx);
	feed(n, 4, srv, here, 1, &i, 1005);
	i = icmp_quoting(11, 0, &qx);
	feed(n, 4, rtr, here, 1, &i, 1006);
	i = icmp(3, 1);
	feed(n, 4, rtr, here, 1, &i, 1007);

	struct noise_summary s;
	noise_summary(n, &s);
	assert_int_equal(s.outgoing, 3);
	assert_int_equal(s.replies, 4);
	assert_int_equal(s.icmp, 3);
	assert_int_equal(s.icmp6, 0);
	assert_int_equal(s.icmp_types[0][3], 2);
	assert_int_equal(s.icmp_types[0][11], 1);
	assert_int_equal(s.unsolicited, 3);
	struct noise_source sr = source_of(n, 4, rtr);
	assert_int_equal(sr.packets, 2);
	assert_int_equal(sr.icmp, 2);
	noise_free(n);
}

static void ipv6_counts(void **state)
{
	(void)state;
	noise *n = new_local("2001:db8:1::/64,192.0.2.7", NULL);
	uint8_t here6[16], here6b[16], s1[16], s2[16];
	memcpy(here6, LOCAL6, 16);
	memcpy(here6b, LOCAL6, 16);
	here6b[15] = 8;
	v6(s1, 1);
	v6(s2, 2);
	struct buf t = tcp(1234, 22, 0x02);
	feed(n, 6, s1, here6, 6, &t, 5000);
	feed(n, 6, s1, here6b, 6, &t, 5001);
	struct buf i = icmp(128, 0);
	feed(n, 6, s2, here6, 58, &i, 5002);
	struct buf u = udp(1, 161);
	feed(n, 6, s2, here6, 17, &u, 5003);
	/* between two local addresses: internal */
	feed(n, 6, here6b, here6, 6, &t, 5004);
	/* an echo request out, its reply back */
	i = icmp(128, 0);
	feed(n, 6, here6, s2, 58, &i, 5005);
	i = icmp(129, 0);
	feed(n, 6, s2, here6, 58, &i, 5006);
	/* ICMP in IPv6 is another protocol, not ICMP */
	i = icmp(8, 0);
	feed(n, 6, s2, here6, 1, &i, 5007);

	struct noise_summary s;
	noise_summary(n, &s);
	assert_int_equal(s.v6, 5);
	assert_int_equal(s.v4, 0);
	assert_int_equal(s.icmp6, 1);
	assert_int_equal(s.icmp, 0);
	assert_int_equal(s.icmp_types[1][128], 1);
	assert_int_equal(s.other_proto, 1);
	assert_int_equal(s.internal, 1);
	assert_int_equal(s.replies, 1);
	assert_true(s.sources_v6 == 2.0);
	struct noise_source x = source_of(n, 6, s1);
	assert_int_equal(x.hosts, 2);
	assert_int_equal(x.ports, 1);
	noise_free(n);
}

/* ------------------------------------------------------------------------
 * 3. Scanners
 * ------------------------------------------------------------------------ */

static void scanner_thresholds(void **state)
{
	(void)state;
	struct noise_opts o = { .scanner_ports = 10, .scanner_hosts = 4 };
	noise *n = new_local("192.0.2.0/24", &o);
	uint8_t p9[16], p10[16], h3[16], h4[16], dst[16];
	v4(p9, 198, 51, 100, 9);
	v4(p10, 198, 51, 100, 10);
	v4(h3, 198, 51, 100, 3);
	v4(h4, 198, 51, 100, 4);
	v4(dst, 192, 0, 2, 1);
	for (unsigned k = 0; k < 9; k++) {
		syn(n, p9, dst, 1000 + k, 1);
		syn(n, p9, dst, 1000 + k, 2); /* a retry touches no new port */
	}
	for (unsigned k = 0; k < 10; k++)
		syn(n, p10, dst, 1000 + k, 1);
	for (unsigned k = 0; k < 3; k++) {
		uint8_t d[16];
		v4(d, 192, 0, 2, 10 + k);
		syn(n, h3, d, 22, 1);
		v4(d, 192, 0, 2, 20 + k);
		syn(n, h4, d, 22, 1);
	}
	uint8_t d[16];
	v4(d, 192, 0, 2, 200);
	struct buf i = icmp(8, 0);
	feed(n, 4, h4, d, 1, &i, 3); /* a ping touches a host too */

	struct noise_summary s;
	noise_summary(n, &s);
	assert_int_equal(s.scanners, 2);
	struct noise_source sc[8];
	assert_int_equal(noise_sources(n, NOISE_BY_PORTS, true, sc, 8), 2);
	assert_memory_equal(sc[0].addr, p10, 16); /* the most ports first */
	assert_int_equal(sc[0].ports, 10);
	assert_true(sc[0].scanner);
	assert_memory_equal(sc[1].addr, h4, 16);
	assert_int_equal(sc[1].hosts, 4);
	assert_false(source_of(n, 4, p9).scanner);
	assert_int_equal(source_of(n, 4, p9).ports, 9);
	assert_false(source_of(n, 4, h3).scanner);
	assert_int_equal(source_of(n, 4, h3).hosts, 3);
	/* by packets: p9 (18) first */
	assert_int_equal(noise_sources(n, NOISE_BY_PACKETS, false, sc, 1), 1);
	assert_memory_equal(sc[0].addr, p9, 16);
	assert_int_equal(noise_sources(n, NOISE_BY_PACKETS, false, sc, 0), 0);
	noise_free(n);

	/* the defaults: 10 ports, 3 hosts */
	n = new_local("192.0.2.0/24", NULL);
	for (unsigned k = 0; k < 3; k++) {
		v4(d, 192, 0, 2, 10 + k);
		syn(n, h3, d, 22, 1);
	}
	noise_summary(n, &s);
	assert_int_equal(s.scanners, 1);
	noise_free(n);
}

/* ------------------------------------------------------------------------
 * 4. Hours
 * ------------------------------------------------------------------------ */

static void hours(void **state)
{
	(void)state;
	noise *n = new_local("192.0.2.7", NULL);
	uint8_t here[16], a[16], b[16];
	v4(here, 192, 0, 2, 7);
	v4(a, 198, 51, 100, 1);
	v4(b, 198, 51, 100, 2);
	double t0 = 1767225600; /* 2026-01-01 00:00 UTC */
	syn(n, a, here, 22, t0 + 3600 + 10);
	syn(n, a, here, 23, t0 + 3600 + 20);
	syn(n, b, here, 22, t0 + 3600 + 30);
	syn(n, b, here, 22, t0 + 3 * 3600 + 1);
	struct buf u = udp(1, 53);
	feed(n, 4, a, here, 17, &u, t0 + 3 * 3600 + 2);
	syn(n, a, here, 22, t0 + 5); /* an earlier hour, late */
	size_t cnt;
	const struct noise_hour *h = noise_hours(n, &cnt);
	assert_non_null(h);
	assert_int_equal(cnt, 4);
	assert_true(h[0].start == (int64_t)t0);
	assert_true(h[3].start == (int64_t)t0 + 3 * 3600);
	assert_int_equal(h[0].packets, 1);
	assert_int_equal(h[0].sources, 1);
	assert_int_equal(h[1].packets, 3);
	assert_int_equal(h[1].attempts, 3);
	assert_int_equal(h[1].sources, 2);
	assert_int_equal(h[2].packets, 0);
	assert_int_equal(h[3].packets, 2);
	assert_int_equal(h[3].udp, 1);
	assert_int_equal(h[3].sources, 2);
	assert_int_equal(h[3].v4, 2);
	noise_free(n);

	n = new_local("192.0.2.7", NULL);
	assert_null(noise_hours(n, &cnt));
	assert_int_equal(cnt, 0);
	/* more than NOISE_MAX_HOURS from the first: left out, counted */
	syn(n, a, here, 22, t0);
	syn(n, a, here, 22, t0 + 3600.0 * NOISE_MAX_HOURS);
	struct noise_summary s;
	noise_summary(n, &s);
	assert_int_equal(s.hours_dropped, 1);
	assert_int_equal(s.unsolicited, 2);
	noise_free(n);
}

/* ------------------------------------------------------------------------
 * 5. Caps
 * ------------------------------------------------------------------------ */

static void caps(void **state)
{
	(void)state;
	struct noise_opts o = { .max_sources = 3, .max_pairs = 5 };
	noise *n = new_local("192.0.2.7", &o);
	uint8_t here[16];
	v4(here, 192, 0, 2, 7);
	for (unsigned k = 0; k < 50; k++) {
		uint8_t a[16];
		v4(a, 198, 51, 100, k);
		syn(n, a, here, 22, 100 + k);
	}
	struct noise_summary s;
	noise_summary(n, &s);
	assert_int_equal(s.itemised, 3);
	assert_int_equal(noise_n_sources(n), 3);
	assert_int_equal(s.not_itemised_packets, 47);
	assert_int_equal(s.unsolicited, 50);
	assert_int_equal(s.tcp_attempts, 50);
	assert_true(s.sources_approx);
	printf("# 50 sources, estimated %.1f\n", s.sources_v4);
	assert_true(s.sources_v4 > 45 && s.sources_v4 < 55);
	/* 3 sources x (attempt port, tcp port, host, hour) = 12 pairs > 5 */
	assert_true(s.distinct_lower_bound);
	noise_free(n);

	/* within the caps: exact, no flags */
	n = new_local("192.0.2.7", NULL);
	uint8_t a[16];
	v4(a, 198, 51, 100, 1);
	syn(n, a, here, 22, 1);
	noise_summary(n, &s);
	assert_false(s.sources_approx);
	assert_false(s.distinct_lower_bound);
	assert_int_equal(s.not_itemised_packets, 0);
	noise_free(n);
}

/* ------------------------------------------------------------------------
 * 6. Inference
 * ------------------------------------------------------------------------ */

static void infer_feed(noise_infer *ni, int ver, const uint8_t src[16], const uint8_t dst[16],
		       unsigned proto, const struct buf *t)
{
	struct buf p = ip(ver, src, dst, proto, t);
	struct buf e = ether(ver, &p);
	struct timespec ts = { 1, 0 };
	struct noise_pkt pk;
	assert_int_equal(noise_decode(LT_ETHERNET, e.b, e.n, &ts, &pk), FRAME_OK);
	noise_infer_add(ni, &pk);
}

static void infer(void **state)
{
	(void)state;
	noise_infer *ni = noise_infer_new(0);
	uint8_t here[16], acs[16], other[16], here6[16], pool6[16];
	v4(here, 192, 0, 2, 7);
	v4(acs, 203, 0, 113, 1);
	v4(other, 192, 0, 2, 99);
	memcpy(here6, LOCAL6, 16);
	/* 30 sources scan here; here connects once to acs (1 request source);
	 * other gets SYNs from 3 of the 30 (a tenth: chosen too) */
	struct buf t = tcp(1000, 22, 0x02);
	for (unsigned k = 0; k < 30; k++) {
		uint8_t a[16];
		v4(a, 198, 51, 100, k);
		infer_feed(ni, 4, a, here, 6, &t);
		if (k < 3)
			infer_feed(ni, 4, a, other, 6, &t);
	}
	t = tcp(50000, 7547, 0x02);
	infer_feed(ni, 4, here, acs, 6, &t);
	t = tcp(7547, 50000, 0x12);
	infer_feed(ni, 4, acs, here, 6, &t);
	/* IPv6 without a request: here6 talks NTP to 4 servers, which answer */
	for (unsigned k = 0; k < 4; k++) {
		v6(pool6, 0x100 + k);
		struct buf u = udp(123, 123);
		infer_feed(ni, 6, here6, pool6, 17, &u);
		infer_feed(ni, 6, pool6, here6, 17, &u);
	}
	struct noise_local l[8];
	size_t cnt = noise_infer_locals(ni, l, 8);
	assert_int_equal(cnt, 3);
	assert_memory_equal(l[0].pfx.addr, here, 16);
	assert_int_equal(l[0].pfx.len, 32);
	assert_int_equal(l[0].by, NOISE_REQUESTS);
	assert_int_equal(l[0].request_sources, 30);
	assert_int_equal(l[0].sources, 31);
	assert_int_equal(l[0].requests, 30);
	assert_memory_equal(l[1].pfx.addr, other, 16);
	assert_int_equal(l[1].request_sources, 3);
	assert_memory_equal(l[2].pfx.addr, here6, 16); /* no requests: after them */
	assert_int_equal(l[2].by, NOISE_SOURCES);
	assert_int_equal(l[2].sources, 4);
	assert_int_equal(l[2].pfx.len, 128);
	/* max 1: the count still says 3 */
	assert_int_equal(noise_infer_locals(ni, l, 1), 3);
	assert_false(noise_infer_full(ni));
	noise_infer_free(ni);
	noise_infer_free(NULL);

	/* one exchange between two hosts: nobody */
	ni = noise_infer_new(0);
	struct buf u = udp(123, 123);
	infer_feed(ni, 4, here, acs, 17, &u);
	infer_feed(ni, 4, acs, here, 17, &u);
	assert_int_equal(noise_infer_locals(ni, l, 8), 0);
	noise_infer_free(ni);

	/* multicast and broadcast destinations are nobody's address */
	ni = noise_infer_new(0);
	for (unsigned k = 0; k < 5; k++) {
		uint8_t s4[16], g4[16], b4[16], s6[16], g6[16];
		v4(s4, 198, 51, 100, k);
		v4(g4, 224, 0, 0, 251);
		v4(b4, 255, 255, 255, 255);
		v6(s6, k);
		memset(g6, 0, 16);
		g6[0] = 0xff;
		g6[1] = 0x02;
		g6[15] = 1;
		infer_feed(ni, 4, s4, g4, 17, &u);
		infer_feed(ni, 4, s4, b4, 17, &u);
		struct buf ping6 = icmp(128, 0);
		infer_feed(ni, 6, s6, g6, 58, &ping6);
	}
	assert_int_equal(noise_infer_locals(ni, l, 8), 0);
	noise_infer_free(ni);

	/* the address table's cap */
	ni = noise_infer_new(2);
	for (unsigned k = 0; k < 3; k++) {
		uint8_t d[16];
		v4(d, 192, 0, 2, k);
		infer_feed(ni, 4, here, d, 17, &u);
	}
	assert_true(noise_infer_full(ni));
	noise_infer_free(ni);
}

/* ------------------------------------------------------------------------
 * 7. Link layers and malformed input
 * ------------------------------------------------------------------------ */

static void vlan_pppoe_sll(void **state)
{
	(void)state;
	noise *n = new_local("192.0.2.7,2001:db8:1::7", NULL);
	uint8_t here[16], here6[16], a[16], a6[16];
	v4(here, 192, 0, 2, 7);
	memcpy(here6, LOCAL6, 16);
	v4(a, 198, 51, 100, 1);
	v6(a6, 1);
	struct buf t = tcp(1, 445, 0x02), u = udp(2, 1900), i = icmp(8, 0), i6 = icmp(128, 0);
	struct buf p, e;
	p = ip(4, a, here, 6, &t);
	e = ether_vlan_pppoe(4, &p);
	assert_int_equal(feed_frame(n, LT_ETHERNET, &e, 1), FRAME_OK);
	p = ip(4, a, here, 17, &u);
	e = ether_vlan_pppoe(4, &p);
	assert_int_equal(feed_frame(n, LT_ETHERNET, &e, 2), FRAME_OK);
	p = ip(4, a, here, 1, &i);
	e = ether_vlan_pppoe(4, &p);
	assert_int_equal(feed_frame(n, LT_ETHERNET, &e, 3), FRAME_OK);
	p = ip(6, a6, here6, 6, &t);
	e = ether_vlan_pppoe(6, &p);
	assert_int_equal(feed_frame(n, LT_ETHERNET, &e, 4), FRAME_OK);
	p = ip(6, a6, here6, 58, &i6);
	e = sll(6, &p);
	assert_int_equal(feed_frame(n, LT_SLL, &e, 5), FRAME_OK);
	p = ip(4, a, here, 17, &u);
	e = sll(4, &p);
	assert_int_equal(feed_frame(n, LT_SLL, &e, 6), FRAME_OK);
	struct noise_summary s;
	noise_summary(n, &s);
	assert_int_equal(s.unsolicited, 6);
	assert_int_equal(s.tcp_attempts, 2);
	assert_int_equal(s.udp, 2);
	assert_int_equal(s.icmp, 1);
	assert_int_equal(s.icmp6, 1);
	assert_int_equal(s.v6, 2);
	struct noise_port tp[2];
	assert_int_equal(noise_top_ports(n, NOISE_PORT_TCP, tp, 2), 1);
	assert_int_equal(tp[0].port, 445);
	assert_int_equal(tp[0].packets, 2);
	assert_int_equal(tp[0].sources, 2);
	noise_free(n);
}

/* Every cut of a frame: truncated while inside a header, else the packet. */
static void cuts(void **state)
{
	(void)state;
	uint8_t here[16], a[16];
	v4(here, 192, 0, 2, 7);
	v4(a, 198, 51, 100, 1);
	struct buf t = tcp(1, 80, 0x02);
	struct buf p = ip(4, a, here, 6, &t);
	struct buf frames[2] = { ether_vlan_pppoe(4, &p), ether(4, &p) };
	for (size_t f = 0; f < 2; f++) {
		noise *n = new_local("192.0.2.7", NULL);
		size_t full = frames[f].n;
		for (size_t len = 0; len < full; len++) {
			uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees overreads */
			assert_non_null(copy);
			memcpy(copy, frames[f].b, len);
			struct timespec ts = { 1, 0 };
			struct noise_pkt pk;
			enum frame_status st = noise_decode(LT_ETHERNET, copy, len, &ts, &pk);
			assert_int_equal(st, FRAME_TRUNCATED); /* the TCP header is last */
			noise_add(n, &pk);
			free(copy);
		}
		struct noise_summary s;
		noise_summary(n, &s);
		assert_int_equal(s.truncated, full);
		assert_int_equal(s.unsolicited, 0);
		assert_int_equal(noise_n_sources(n), 0);
		noise_free(n);
	}
}

static void invalid_and_not_ip(void **state)
{
	(void)state;
	noise *n = new_local("192.0.2.7", NULL);
	uint8_t here[16], a[16];
	v4(here, 192, 0, 2, 7);
	v4(a, 198, 51, 100, 1);
	struct buf t = tcp(1, 80, 0x02);
	struct buf p = ip(4, a, here, 6, &t);
	p.b[0] = 0x44; /* IHL 4 */
	struct buf e = ether(4, &p);
	assert_int_equal(feed_frame(n, LT_ETHERNET, &e, 1), FRAME_INVALID);
	p.b[0] = 0x45;
	p.b[1 + 12] = 0; /* (TOS; harmless) */
	struct buf t2 = tcp(1, 80, 0x02);
	t2.b[12] = 2 << 4; /* TCP data offset 2 */
	p = ip(4, a, here, 6, &t2);
	e = ether(4, &p);
	assert_int_equal(feed_frame(n, LT_ETHERNET, &e, 2), FRAME_INVALID);
	/* ARP */
	struct buf arp = { .n = 0 };
	static const uint8_t mac[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 2 };
	put(&arp, mac, 12);
	put16(&arp, 0x0806);
	for (int k = 0; k < 28; k++)
		put8(&arp, 0);
	assert_int_equal(feed_frame(n, LT_ETHERNET, &arp, 3), FRAME_UNSUPPORTED);
	/* an unknown link type */
	assert_int_equal(feed_frame(n, 4242, &arp, 4), FRAME_UNSUPPORTED);
	struct noise_summary s;
	noise_summary(n, &s);
	assert_int_equal(s.packets, 4);
	assert_int_equal(s.invalid, 2);
	assert_int_equal(s.not_ip, 2);
	assert_int_equal(s.unsolicited, 0);
	noise_free(n);
}

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33);
}

/* Mutated and random frames: each is one packet, counted once, in exactly
 * one class, and never read past its end (exact-size copies under ASan). */
static void random_rejection(void **state)
{
	(void)state;
	const char *env = getenv("TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
	printf("# seed %llu (TEST_SEED=%llu replays it)\n", (unsigned long long)seed,
	       (unsigned long long)seed);
	rng_state = seed;
	noise *n = new_local("192.0.2.0/24,2001:db8:1::/48", NULL);
	uint8_t here[16], a[16], here6[16], a6[16];
	v4(here, 192, 0, 2, 7);
	v4(a, 198, 51, 100, 1);
	memcpy(here6, LOCAL6, 16);
	v6(a6, 1);
	struct buf t = tcp(1, 80, 0x02), u = udp(1, 53);
	struct buf p4 = ip(4, a, here, 6, &t), p6 = ip(6, a6, here6, 17, &u);
	struct buf base[4] = { ether(4, &p4), ether_vlan_pppoe(6, &p6), sll(4, &p4),
			       ether_vlan_pppoe(4, &p4) };
	static const uint32_t lts[] = { LT_ETHERNET, LT_ETHERNET, LT_SLL, LT_ETHERNET };
	const size_t rounds = 10000;
	for (size_t k = 0; k < rounds; k++) {
		size_t which = rnd() % 4;
		struct buf f = base[which];
		if (rnd() % 8 == 0) {
			f.n = rnd() % 200;
			for (size_t j = 0; j < f.n; j++)
				f.b[j] = (uint8_t)rnd();
		} else {
			unsigned flips = 1 + rnd() % 4;
			for (unsigned j = 0; j < flips; j++)
				f.b[rnd() % f.n] ^= (uint8_t)(1u << (rnd() % 8));
			if (rnd() % 3 == 0)
				f.n = rnd() % (f.n + 1);
		}
		uint8_t *copy = malloc(f.n ? f.n : 1);
		assert_non_null(copy);
		memcpy(copy, f.b, f.n);
		struct timespec ts = { (time_t)(1000 + k), 0 };
		struct noise_pkt pk;
		enum frame_status st = noise_decode(lts[which], copy, f.n, &ts, &pk);
		assert_true(st <= FRAME_FRAGMENT);
		if (st != FRAME_OK && st != FRAME_FRAGMENT)
			assert_int_equal(pk.version, 0);
		noise_add(n, &pk);
		free(copy);
	}
	struct noise_summary s;
	noise_summary(n, &s);
	assert_int_equal(s.packets, rounds);
	assert_int_equal(s.not_ip + s.truncated + s.invalid + s.unsolicited + s.outgoing +
				 s.replies + s.internal + s.transit,
			 rounds);
	assert_int_equal(s.tcp_attempts + s.tcp_backscatter + s.tcp_other + s.udp + s.icmp +
				 s.icmp6 + s.other_proto,
			 s.unsolicited);
	assert_int_equal(s.v4 + s.v6, s.unsolicited);
	printf("# %llu unsolicited, %llu truncated, %llu invalid, %llu not IP\n",
	       (unsigned long long)s.unsolicited, (unsigned long long)s.truncated,
	       (unsigned long long)s.invalid, (unsigned long long)s.not_ip);
	noise_free(n);
}

/* A capture time beyond int64 nanoseconds takes the latest good one. */
static void bad_times(void **state)
{
	(void)state;
	noise *n = new_local("192.0.2.7", NULL);
	uint8_t here[16], a[16];
	v4(here, 192, 0, 2, 7);
	v4(a, 198, 51, 100, 1);
	syn(n, a, here, 22, 7200);
	struct buf t = tcp(1, 23, 0x02);
	struct buf p = ip(4, a, here, 6, &t);
	struct buf e = ether(4, &p);
	struct timespec ts = { (time_t)1 << 40, 0 };
	struct noise_pkt pk;
	assert_int_equal(noise_decode(LT_ETHERNET, e.b, e.n, &ts, &pk), FRAME_OK);
	assert_true(pk.t == NOISE_NO_TIME);
	noise_add(n, &pk);
	struct noise_summary s;
	noise_summary(n, &s);
	assert_true(s.last == 7200LL * 1000000000LL);
	size_t cnt;
	noise_hours(n, &cnt);
	assert_int_equal(cnt, 1);
	noise_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_locals_good),
		cmocka_unit_test(parse_locals_rejects),
		cmocka_unit_test(attempts_backscatter_replies),
		cmocka_unit_test(ipv6_counts),
		cmocka_unit_test(icmp_errors_by_quote),
		cmocka_unit_test(scanner_thresholds),
		cmocka_unit_test(hours),
		cmocka_unit_test(caps),
		cmocka_unit_test(infer),
		cmocka_unit_test(vlan_pppoe_sll),
		cmocka_unit_test(cuts),
		cmocka_unit_test(invalid_and_not_ip),
		cmocka_unit_test(random_rejection),
		cmocka_unit_test(bad_times),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
