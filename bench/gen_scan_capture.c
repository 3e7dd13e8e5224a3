/* gen_scan_capture.c - writes the capture a small line's own addresses
 * would give over a day: the Internet's background radiation aimed at them
 * and a little traffic of their own.  For bench/noise; needs libpcap
 * (pcap_open_dead and pcap_dump write the file).
 *
 *   - scanners: 6 IPv4 and 2 IPv6 sources sweeping TCP ports with SYNs over
 *     every local address of their family (half of the IPv4 ones all 65535
 *     ports, the others 1-1024);
 *   - connection attempts: single SYNs from many sources, mostly to one
 *     address and one port each (23, 22, 80, 443, 445, 3389, ... by weight);
 *   - backscatter: SYN-ACK, RST and RST-ACK from many victims of floods
 *     with spoofed sources, each from its service port (80, 443, 22, ...);
 *   - UDP probes to 53, 123, 161, 1900, 5060, 11211, ... by weight;
 *   - ICMP echo requests and destination unreachables, ICMPv6 the same;
 *   - other TCP probes (ACK, FIN, NULL, Xmas) to the same TCP ports;
 *   - the line's own traffic, none of it unsolicited: TCP connections it
 *     opens (SYN, SYN-ACK or RST back, data ACKed both ways, FINs), 8 at a
 *     time, interleaved; DNS and NTP queries and pings with their replies;
 *     a few ARP frames.
 * Sources are drawn from pools of distinct addresses (one pool per kind,
 * SOURCES in all; a few heavy hitters, many that send once), so the truth
 * is exact.  Time stamps in microseconds, the packets spread over DURATION
 * seconds; frames captured up to 128 octets (the data of the connections
 * is cut, the headers never).
 *
 * usage: gen_scan_capture [-n PACKETS] [-S SOURCES] [-d DURATION] [-s SEED]
 *                         [-t START] -o FILE
 *   -n  packets to write (default 2000000)
 *   -S  sources of unsolicited traffic in the pools (default 60000; the
 *       ones that get drawn send; keep the drawn ones under sundial's
 *       --max-sources, 100000, for exact counts)
 *   -d  seconds the capture spans (default 86400)
 *   -s  seed (default 1)
 *   -t  Unix time of the first packet (default 1767225600, 2026-01-01)
 * Prints the truth as one JSON object on stdout, in the terms of sundial
 * noise's JSON report (default --scanner-ports 10, --scanner-hosts 3,
 * --top 10): locals, packets, not_ip, outgoing, replies, unsolicited and
 * its classes, sources per family, scanners, the top 10 TCP, UDP and
 * backscatter ports (port, packets, sources), ICMP types, packets per hour,
 * the top 10 sources (address, packets, ports, hosts); and for the tcpdump
 * one-liners (IPv4 SYN without ACK, in either direction): syn_v4 and the top
 * 3 sources and destination ports.
 *
 * Addresses: local 192.0.2.10-13 and 2001:db8::10, ::11 (RFC 5737/3849
 * documentation); the others spread over the public IPv4 unicast space,
 * each once, and in 2001:db8:1000::/36.  These are only octets in a file:
 * nothing is sent anywhere.
 */
#define _DEFAULT_SOURCE /* u_char, u_int for pcap.h */
#include <errno.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "gen_common.h"

#define SNAPLEN 128
#define N_LOCAL4 4
#define N_LOCAL6 2
#define N_SCAN 8 /* scanners: the first 6 IPv4, the last 2 IPv6 */
#define N_SCAN4 6
#define N_SERVERS 2000 /* the line's own peers */
#define N_CONN 8       /* its connections open at a time */
#define TOP 10
#define SCANNER_PORTS 10
#define SCANNER_HOSTS 3

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

static void be64(uint8_t *p, uint64_t v)
{
	be32(p, (uint32_t)(v >> 32));
	be32(p + 4, (uint32_t)v);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Distinct addresses: IPv4 from a bijection of a counter, IPv6 in
 * 2001:db8:1000::/36 with a counter in the /64. */
static uint32_t next4, next6;

static void new_addr(int ipv, uint8_t a[16])
{
	memset(a, 0, 16);
	if (ipv == 4) {
		uint32_t x;
		do
			x = mix32(next4++);
		while (!public4(x));
		be32(a, x);
	} else {
		static const uint8_t p[6] = { 0x20, 0x01, 0x0d, 0xb8, 0x10, 0x00 };
		memcpy(a, p, 6);
		be16(a + 6, (uint16_t)(next6 >> 4)); /* 16 to a /64 */
		be64(a + 8, rnd() | 1);
		next6++;
	}
}

/* ---- weighted port lists ---- */

struct wport {
	uint16_t port;
	double w;
};

static const struct wport tcp_ports[] = {
	{ 23, 20 },	{ 22, 12 },    { 80, 8 },     { 443, 6 },    { 445, 5.5 },
	{ 3389, 5 },	{ 8080, 4 },   { 2323, 3 },   { 5555, 2.5 }, { 1433, 2.2 },
	{ 3306, 2 },	{ 6379, 1.8 }, { 8443, 1.7 }, { 21, 1.5 },   { 25, 1.4 },
	{ 81, 1.2 },	{ 8888, 1 },   { 5900, 1 },   { 7547, 0.9 }, { 37215, 0.9 },
	{ 52869, 0.8 }, { 9200, 0.8 }, { 2375, 0.7 }, { 8000, 0.7 }, { 110, 0.5 },
};
static const struct wport udp_ports[] = {
	{ 53, 10 },	{ 123, 8 },	{ 161, 6 },    { 1900, 5.5 },  { 5060, 5 },   { 19, 2 },
	{ 11211, 1.9 }, { 137, 1.8 },	{ 389, 1.5 },  { 500, 1.4 },   { 3702, 1.3 }, { 5353, 1.2 },
	{ 10001, 1 },	{ 27015, 0.9 }, { 1194, 0.8 }, { 51820, 0.7 },
};
static const struct wport bs_ports[] = {
	{ 80, 10 },    { 443, 9 },  { 22, 3 },	   { 25, 2 },	   { 53, 1.8 },
	{ 8080, 1.5 }, { 3306, 1 }, { 6667, 0.9 }, { 27015, 0.8 }, { 25565, 0.7 },
};
#define N_TCP_PORTS (sizeof tcp_ports / sizeof tcp_ports[0])
#define N_UDP_PORTS (sizeof udp_ports / sizeof udp_ports[0])
#define N_BS_PORTS (sizeof bs_ports / sizeof bs_ports[0])

static unsigned pick(const struct wport *l, size_t n)
{
	double sum = 0, x;
	for (size_t i = 0; i < n; i++)
		sum += l[i].w;
	x = rnd01() * sum;
	for (size_t i = 0; i < n; i++) {
		if (x < l[i].w)
			return (unsigned)i;
		x -= l[i].w;
	}
	return (unsigned)(n - 1);
}

/* ---- sources ---- */

struct src {
	uint8_t addr[16];
	uint8_t ipv;
	uint8_t host;	  /* its usual target, an index within its family */
	uint8_t fav;	  /* its usual port, an index in its kind's list */
	uint8_t hostmask; /* local hosts touched but by backscatter: bits 0-3 IPv4, 4-5 IPv6 */
	uint16_t sport;	  /* scanners, victims: their fixed source port */
	uint32_t packets;
	uint32_t att, oth, udp, bs; /* popular ports touched (bits: list indexes) */
	uint32_t syn4;		    /* IPv4 SYNs without ACK */
	uint32_t ports;		    /* distinct ports, as sundial counts them (at the end) */
};

enum pool { P_SCAN, P_SYN, P_BS, P_UDP, P_ICMP, P_OTH, N_POOLS };

static struct src *srcs;
static size_t n_srcs, pool_first[N_POOLS], pool_n[N_POOLS];
static uint8_t (*scanbits)[8192]; /* scanners: TCP ports touched */
static uint64_t scan_ctr[N_SCAN];

static struct src *pool_pick(enum pool p)
{
	double u = rnd01();
	/* u^2: a few sources send much, many send once or not at all */
	size_t i = (size_t)((double)pool_n[p] * u * u);
	if (i >= pool_n[p])
		i = pool_n[p] - 1;
	return &srcs[pool_first[p] + i];
}

/* ---- the truth ---- */

static uint64_t written, not_ip, outgoing, replies, unsol, v4, v6, attempts, backscatter, tcp_other,
	udp, icmp, icmp6;
static uint64_t port_att[65536], port_udp[65536], port_bs[65536], syn4_port[65536];
static uint64_t icmp_types[2][256];
static uint64_t *hours;
static size_t n_hours;
static int64_t first_hour = -1, last_hour = -1;
static uint64_t local_syn4[N_LOCAL4];

/* ---- frames ---- */

static uint8_t local4[N_LOCAL4][16], local6[N_LOCAL6][16];
static const uint8_t mac_local[6] = { 0x02, 0, 0, 0, 0, 0x10 };
static const uint8_t mac_router[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static pcap_dumper_t *dumper;
static uint64_t now_us, mean_gap_us;
static uint64_t packets_max;
static uint16_t ip_id;
static const char *out_path;

static void tick(void)
{
	double u = rnd01();
	now_us += (uint64_t)(-log(1 - u) * (double)mean_gap_us) + 1;
}

static void put(const uint8_t *f, size_t caplen, size_t len)
{
	struct pcap_pkthdr h;
	tick();
	h.ts.tv_sec = (time_t)(now_us / 1000000);
	h.ts.tv_usec = (suseconds_t)(now_us % 1000000);
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)dumper, &h, f);
	written++;
}

/* An IP packet: Ethernet, IPv4 or IPv6, then l4 (l4len octets, its
 * checksum at ck, -1 none; ICMPv4 without the pseudo header), then pay
 * octets of zeros on the wire.  Written captured up to SNAPLEN. */
static void ip_packet(int ipv, const uint8_t *src, const uint8_t *dst, bool from_local,
		      uint8_t proto, uint8_t *l4, size_t l4len, int ck, size_t pay)
{
	uint8_t f[14 + 40 + 128];
	size_t alen = ipv == 4 ? 4 : 16, iplen = ipv == 4 ? 20 : 40;
	uint8_t *ip = f + 14;
	memset(f, 0, sizeof f);
	memcpy(f, from_local ? mac_router : mac_local, 6);
	memcpy(f + 6, from_local ? mac_local : mac_router, 6);
	be16(f + 12, ipv == 4 ? 0x0800 : 0x86dd);
	if (ck >= 0) {
		uint32_t s = 0;
		if (proto != 1) { /* pseudo header */
			s = sum16(src, alen, s);
			s = sum16(dst, alen, s);
			s += proto + (uint32_t)(l4len + pay);
		}
		be16(l4 + ck, 0);
		uint16_t c = fold(sum16(l4, l4len, s)); /* the zeros add nothing */
		if (proto == 17 && c == 0)
			c = 0xffff;
		be16(l4 + ck, c);
	}
	if (ipv == 4) {
		ip[0] = 0x45;
		be16(ip + 2, (uint16_t)(20 + l4len + pay));
		be16(ip + 4, ip_id++);
		be16(ip + 6, proto == 6 ? 0x4000 : 0);
		ip[8] = from_local ? 64 : (uint8_t)(40 + rnd() % 200);
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		be16(ip + 10, fold(sum16(ip, 20, 0)));
	} else {
		be32(ip, 0x60000000);
		be16(ip + 4, (uint16_t)(l4len + pay));
		ip[6] = proto;
		ip[7] = from_local ? 64 : (uint8_t)(40 + rnd() % 200);
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	}
	memcpy(ip + iplen, l4, l4len);
	size_t len = 14 + iplen + l4len + pay;
	put(f, len < SNAPLEN ? len : SNAPLEN, len);
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10
#define F_URG 0x20

static void tcp(int ipv, const uint8_t *src, const uint8_t *dst, bool from_local, uint16_t sport,
		uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, size_t pay)
{
	uint8_t t[20];
	memset(t, 0, sizeof t);
	be16(t, sport);
	be16(t + 2, dport);
	be32(t + 4, seq);
	be32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	be16(t + 14, (flags & F_RST) ? 0 : 64240);
	ip_packet(ipv, src, dst, from_local, 6, t, 20, 16, pay);
	if (ipv == 4 && (flags & (F_SYN | F_ACK)) == F_SYN)
		syn4_port[dport]++;
}

static void udp_packet(int ipv, const uint8_t *src, const uint8_t *dst, bool from_local,
		       uint16_t sport, uint16_t dport, size_t pay)
{
	uint8_t u[8];
	be16(u, sport);
	be16(u + 2, dport);
	be16(u + 4, (uint16_t)(8 + pay));
	be16(u + 6, 0);
	ip_packet(ipv, src, dst, from_local, 17, u, 8, 6, pay);
}

/* ICMP or ICMPv6 echo request or reply (request: 1), 56 octets of data. */
static void echo(int ipv, const uint8_t *src, const uint8_t *dst, bool from_local, bool request,
		 uint16_t id, uint16_t seq)
{
	uint8_t m[8];
	m[0] = ipv == 4 ? (request ? 8 : 0) : (request ? 128 : 129);
	m[1] = 0;
	be16(m + 2, 0);
	be16(m + 4, id);
	be16(m + 6, seq);
	ip_packet(ipv, src, dst, from_local, ipv == 4 ? 1 : 58, m, 8, 2, 56);
}

/* Destination unreachable (port) about a UDP datagram that dst would have
 * sent to src: what a spoofed-source flood brings back. */
static void unreach(int ipv, const uint8_t *src, const uint8_t *dst)
{
	uint8_t m[8 + 40 + 8];
	size_t ilen = ipv == 4 ? 20 : 40;
	uint8_t *in = m + 8, *iu = in + ilen;
	memset(m, 0, sizeof m);
	m[0] = ipv == 4 ? 3 : 1;
	m[1] = ipv == 4 ? 3 : 4;
	if (ipv == 4) {
		in[0] = 0x45;
		be16(in + 2, 20 + 8 + 40);
		in[8] = 50;
		in[9] = 17;
		memcpy(in + 12, dst, 4);
		memcpy(in + 16, src, 4);
		be16(in + 10, fold(sum16(in, 20, 0)));
	} else {
		be32(in, 0x60000000);
		be16(in + 4, 8 + 40);
		in[6] = 17;
		in[7] = 50;
		memcpy(in + 8, dst, 16);
		memcpy(in + 24, src, 16);
	}
	be16(iu, (uint16_t)(1024 + rnd() % 60000));
	be16(iu + 2, 53);
	be16(iu + 4, 8 + 40);
	ip_packet(ipv, src, dst, false, ipv == 4 ? 1 : 58, m, 8 + ilen + 8, 2, 0);
}

static void arp(void)
{
	uint8_t f[42];
	memset(f, 0, sizeof f);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac_router, 6);
	be16(f + 12, 0x0806);
	be16(f + 14, 1);
	be16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	be16(f + 20, 1);
	memcpy(f + 22, mac_router, 6);
	f[28] = 192, f[29] = 0, f[30] = 2, f[31] = 1;
	memcpy(f + 38, local4[rnd() % N_LOCAL4], 4);
	put(f, sizeof f, sizeof f);
	not_ip++;
}

/* ---- unsolicited packets ---- */

enum cls { C_ATTEMPT, C_BS, C_OTHER, C_UDP, C_ICMP };

static const uint8_t *local_addr(int ipv, unsigned host)
{
	return ipv == 4 ? local4[host] : local6[host];
}

static unsigned n_local(int ipv)
{
	return ipv == 4 ? N_LOCAL4 : N_LOCAL6;
}

/* Counts a packet from s to local host (index in its family). */
static void count(struct src *s, enum cls c, unsigned host)
{
	unsol++;
	if (s->ipv == 4)
		v4++;
	else
		v6++;
	s->packets++;
	if (c != C_BS)
		s->hostmask |= (uint8_t)(1u << (host + (s->ipv == 4 ? 0 : 4)));
	int64_t h = (int64_t)(now_us / 3600000000ULL);
	if (first_hour < 0)
		first_hour = h;
	last_hour = h;
	if ((size_t)(h - first_hour) < n_hours)
		hours[h - first_hour]++;
}

static void scan_step(void)
{
	unsigned k = (unsigned)(rnd() % N_SCAN);
	struct src *s = &srcs[pool_first[P_SCAN] + k];
	uint64_t c = scan_ctr[k]++;
	unsigned n = n_local(s->ipv), host = (unsigned)(c % n);
	uint64_t pi = c / n;
	uint16_t port;
	if (s->ipv == 4 && k % 2 == 1) /* ports 1-1024, over and over */
		port = (uint16_t)((pi * 7 + k) % 1024 + 1);
	else /* every port, in a scrambled order */
		port = (uint16_t)((pi * 7919 + k * 1000) % 65535 + 1);
	tcp(s->ipv, s->addr, local_addr(s->ipv, host), false, s->sport, port, (uint32_t)rnd(), 0,
	    F_SYN, 0);
	count(s, C_ATTEMPT, host);
	attempts++;
	port_att[port]++;
	scanbits[k][port >> 3] |= (uint8_t)(1u << (port & 7));
	if (s->ipv == 4)
		s->syn4++;
}

/* Its usual host mostly, sometimes another. */
static unsigned target(const struct src *s)
{
	return rnd01() < 0.9 ? s->host : (unsigned)(rnd() % n_local(s->ipv));
}

static void syn_step(void)
{
	struct src *s = pool_pick(P_SYN);
	unsigned host = target(s), pi = rnd01() < 0.75 ? s->fav : pick(tcp_ports, N_TCP_PORTS);
	uint16_t port = tcp_ports[pi].port;
	tcp(s->ipv, s->addr, local_addr(s->ipv, host), false, (uint16_t)(1024 + rnd() % 64511),
	    port, (uint32_t)rnd(), 0, F_SYN, 0);
	count(s, C_ATTEMPT, host);
	attempts++;
	port_att[port]++;
	s->att |= 1u << pi;
	if (s->ipv == 4)
		s->syn4++;
}

static void other_step(void)
{
	static const uint8_t probes[] = { F_ACK, F_FIN, 0, F_FIN | F_PSH | F_URG, F_ACK | F_PSH };
	struct src *s = pool_pick(P_OTH);
	unsigned host = target(s), pi = pick(tcp_ports, N_TCP_PORTS);
	uint8_t fl = probes[rnd() % sizeof probes];
	tcp(s->ipv, s->addr, local_addr(s->ipv, host), false, (uint16_t)(1024 + rnd() % 64511),
	    tcp_ports[pi].port, (uint32_t)rnd(), (fl & F_ACK) ? (uint32_t)rnd() : 0, fl, 0);
	count(s, C_OTHER, host);
	tcp_other++;
	s->oth |= 1u << pi;
}

static void bs_step(void)
{
	struct src *s = pool_pick(P_BS);
	unsigned host = (unsigned)(rnd() % n_local(s->ipv));
	double u = rnd01();
	uint8_t fl = u < 0.7 ? F_SYN | F_ACK : u < 0.9 ? F_RST : F_RST | F_ACK;
	tcp(s->ipv, s->addr, local_addr(s->ipv, host), false, s->sport,
	    (uint16_t)(1024 + rnd() % 64511), (uint32_t)rnd(), (uint32_t)rnd(), fl, 0);
	count(s, C_BS, host);
	backscatter++;
	port_bs[s->sport]++;
	s->bs |= 1u << s->fav;
}

static void udp_step(void)
{
	struct src *s = pool_pick(P_UDP);
	unsigned host = target(s), pi = rnd01() < 0.75 ? s->fav : pick(udp_ports, N_UDP_PORTS);
	uint16_t port = udp_ports[pi].port;
	udp_packet(s->ipv, s->addr, local_addr(s->ipv, host), false,
		   (uint16_t)(1024 + rnd() % 64511), port, 20 + rnd() % 60);
	count(s, C_UDP, host);
	udp++;
	port_udp[port]++;
	s->udp |= 1u << pi;
}

static void icmp_step(void)
{
	struct src *s = pool_pick(P_ICMP);
	/* ping sweeps: every host of the family; some errors from spoofed floods */
	bool err = rnd01() < 0.15;
	unsigned host = (unsigned)(rnd() % n_local(s->ipv));
	unsigned type = s->ipv == 4 ? (err ? 3 : 8) : (err ? 1 : 128);
	if (err)
		unreach(s->ipv, s->addr, local_addr(s->ipv, host));
	else
		echo(s->ipv, s->addr, local_addr(s->ipv, host), false, true, (uint16_t)rnd(),
		     (uint16_t)rnd());
	count(s, C_ICMP, host);
	if (s->ipv == 4)
		icmp++;
	else
		icmp6++;
	icmp_types[s->ipv == 4 ? 0 : 1][type]++;
}

/* ---- the line's own traffic ---- */

struct server {
	uint8_t addr[16];
	uint8_t ipv;
};
static struct server servers[N_SERVERS];

struct conn {
	bool open;
	int stage; /* 0 SYN, 1 SYN-ACK or RST, 2 ACK, 3 data, 4-6 FIN, ACK */
	unsigned host, data;
	const struct server *srv;
	uint16_t lport, rport;
	uint32_t lseq, rseq;
	bool refused;
};
static struct conn conns[N_CONN];

static void out_tcp(struct conn *c, uint8_t fl, size_t pay)
{
	tcp(c->srv->ipv, local_addr(c->srv->ipv, c->host), c->srv->addr, true, c->lport, c->rport,
	    c->lseq, (fl & F_ACK) ? c->rseq : 0, fl, pay);
	c->lseq += (uint32_t)pay + ((fl & (F_SYN | F_FIN)) ? 1 : 0);
	outgoing++;
	if (c->srv->ipv == 4 && (fl & (F_SYN | F_ACK)) == F_SYN)
		local_syn4[c->host]++;
}

static void in_tcp(struct conn *c, uint8_t fl, size_t pay)
{
	tcp(c->srv->ipv, c->srv->addr, local_addr(c->srv->ipv, c->host), false, c->rport, c->lport,
	    c->rseq, c->lseq, fl, pay);
	c->rseq += (uint32_t)pay + ((fl & (F_SYN | F_FIN)) ? 1 : 0);
	replies++;
}

static void conn_step(void)
{
	struct conn *c = &conns[rnd() % N_CONN];
	if (!c->open) {
		memset(c, 0, sizeof *c);
		c->open = true;
		/* servers 0-15 answer DNS, NTP and pings (svc_step) */
		c->srv = &servers[16 + rnd() % (N_SERVERS - 16)];
		c->host = (unsigned)(rnd() % n_local(c->srv->ipv));
		double u = rnd01();
		c->rport = u < 0.7 ? 443 : u < 0.9 ? 80 : 22;
		c->lport = (uint16_t)(32768 + rnd() % 28232);
		c->lseq = (uint32_t)rnd();
		c->rseq = (uint32_t)rnd();
		c->data = 2 + (unsigned)(rnd() % 39);
		c->refused = rnd01() < 0.03;
	}
	switch (c->stage) {
	case 0: out_tcp(c, F_SYN, 0); break;
	case 1:
		if (c->refused) {
			in_tcp(c, F_RST | F_ACK, 0);
			c->open = false;
			return;
		}
		in_tcp(c, F_SYN | F_ACK, 0);
		break;
	case 2: out_tcp(c, F_ACK, 0); break;
	case 3:
		if (rnd01() < 0.35)
			out_tcp(c, F_ACK | F_PSH, 40 + rnd() % 500);
		else
			in_tcp(c, F_ACK | F_PSH, 100 + rnd() % 1348);
		if (--c->data)
			return;
		break;
	case 4: out_tcp(c, F_FIN | F_ACK, 0); break;
	case 5: in_tcp(c, F_FIN | F_ACK, 0); break;
	case 6:
		out_tcp(c, F_ACK, 0);
		c->open = false;
		return;
	}
	c->stage++;
}

/* A DNS or NTP query or a ping, and its answer. */
static void svc_step(void)
{
	const struct server *s = &servers[rnd() % 16];
	unsigned host = (unsigned)(rnd() % n_local(s->ipv));
	const uint8_t *l = local_addr(s->ipv, host);
	double u = rnd01();
	if (u < 0.6) {
		uint16_t lp = (uint16_t)(32768 + rnd() % 28232);
		udp_packet(s->ipv, l, s->addr, true, lp, 53, 30 + rnd() % 30);
		outgoing++;
		if (written < packets_max) {
			udp_packet(s->ipv, s->addr, l, false, 53, lp, 60 + rnd() % 200);
			replies++;
		}
	} else if (u < 0.8) {
		uint16_t lp = rnd01() < 0.5 ? 123 : (uint16_t)(32768 + rnd() % 28232);
		udp_packet(s->ipv, l, s->addr, true, lp, 123, 48);
		outgoing++;
		if (written < packets_max) {
			udp_packet(s->ipv, s->addr, l, false, 123, lp, 48);
			replies++;
		}
	} else {
		uint16_t id = (uint16_t)rnd(), seq = (uint16_t)rnd();
		echo(s->ipv, l, s->addr, true, true, id, seq);
		outgoing++;
		if (written < packets_max) {
			echo(s->ipv, s->addr, l, false, false, id, seq);
			replies++;
		}
	}
}

/* ---- the report ---- */

static const char *addr_str(const uint8_t *a, int ipv, char *buf)
{
	inet_ntop(ipv == 4 ? AF_INET : AF_INET6, a, buf, INET6_ADDRSTRLEN);
	return buf;
}

static int popcount32(uint32_t x)
{
	return __builtin_popcount(x);
}

/* Distinct sources of port (kind 0 attempts, 1 UDP, 2 backscatter). */
static uint64_t port_sources(int kind, unsigned port)
{
	const struct wport *l = kind == 0 ? tcp_ports : kind == 1 ? udp_ports : bs_ports;
	size_t n = kind == 0 ? N_TCP_PORTS : kind == 1 ? N_UDP_PORTS : N_BS_PORTS;
	int bit = -1;
	for (size_t i = 0; i < n; i++)
		if (l[i].port == port)
			bit = (int)i;
	uint64_t c = 0;
	if (kind == 0)
		for (unsigned k = 0; k < N_SCAN; k++)
			c += (scanbits[k][port >> 3] >> (port & 7)) & 1;
	if (bit < 0)
		return c;
	for (size_t i = 0; i < n_srcs; i++) {
		uint32_t m = kind == 0 ? srcs[i].att : kind == 1 ? srcs[i].udp : srcs[i].bs;
		c += (m >> bit) & 1;
	}
	return c;
}

/* The top n ports by packets (ties: the lower port first), as [port,
 * packets, sources]; kind -1: IPv4 SYNs without ACK, as [port, packets]. */
static void print_top_ports(const char *name, const uint64_t *cnt, int kind, size_t n)
{
	unsigned top[TOP];
	size_t k = 0;
	for (unsigned p = 0; p < 65536; p++) {
		if (!cnt[p] || (k == n && cnt[p] <= cnt[top[k - 1]]))
			continue;
		size_t j = k < n ? k++ : k - 1;
		while (j > 0 && cnt[top[j - 1]] < cnt[p]) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = p;
	}
	printf(", \"%s\": [", name);
	for (size_t i = 0; i < k; i++) {
		if (kind < 0)
			printf("%s[%u, %llu]", i ? ", " : "", top[i],
			       (unsigned long long)cnt[top[i]]);
		else
			printf("%s[%u, %llu, %llu]", i ? ", " : "", top[i],
			       (unsigned long long)cnt[top[i]],
			       (unsigned long long)port_sources(kind, top[i]));
	}
	printf("]");
}

static int cmp_src(const void *pa, const void *pb)
{
	const struct src *a = *(const struct src *const *)pa, *b = *(const struct src *const *)pb;
	int ha = popcount32(a->hostmask), hb = popcount32(b->hostmask);
	if (a->packets != b->packets)
		return a->packets > b->packets ? -1 : 1;
	if (a->ports != b->ports)
		return a->ports > b->ports ? -1 : 1;
	if (ha != hb)
		return ha > hb ? -1 : 1;
	if (a->ipv != b->ipv)
		return a->ipv < b->ipv ? -1 : 1;
	return memcmp(a->addr, b->addr, 16);
}

static int cmp_syn4(const void *pa, const void *pb)
{
	const struct src *a = *(const struct src *const *)pa, *b = *(const struct src *const *)pb;
	if (a->syn4 != b->syn4)
		return a->syn4 > b->syn4 ? -1 : 1;
	return memcmp(a->addr, b->addr, 4);
}

static void report(int duration)
{
	char a[INET6_ADDRSTRLEN];
	uint64_t sources[2] = { 0, 0 }, scanners = 0;
	size_t n_sent = 0;
	struct src **sent = calloc(n_srcs + N_LOCAL4, sizeof *sent);
	if (!sent) {
		perror("calloc");
		exit(1);
	}
	for (size_t i = 0; i < n_srcs; i++) {
		struct src *s = &srcs[i];
		if (!s->packets)
			continue;
		if (i - pool_first[P_SCAN] < N_SCAN) {
			s->ports = 0;
			for (size_t b = 0; b < 8192; b++)
				s->ports +=
					(uint32_t)popcount32(scanbits[i - pool_first[P_SCAN]][b]);
		} else {
			s->ports = (uint32_t)(popcount32(s->att | s->oth) + popcount32(s->udp));
		}
		sources[s->ipv == 4 ? 0 : 1]++;
		scanners += s->ports >= SCANNER_PORTS || popcount32(s->hostmask) >= SCANNER_HOSTS;
		sent[n_sent++] = s;
	}
	printf("{\"packets\": %llu, \"locals\": \"", (unsigned long long)written);
	for (int i = 0; i < N_LOCAL4; i++)
		printf("%s,", addr_str(local4[i], 4, a));
	for (int i = 0; i < N_LOCAL6; i++)
		printf("%s%s", addr_str(local6[i], 6, a), i + 1 < N_LOCAL6 ? "," : "");
	printf("\", \"duration\": %d, \"not_ip\": %llu, \"outgoing\": %llu, \"replies\": %llu, "
	       "\"unsolicited\": %llu, \"ipv4\": %llu, \"ipv6\": %llu, \"tcp_attempts\": %llu, "
	       "\"tcp_backscatter\": %llu, \"tcp_other\": %llu, \"udp\": %llu, \"icmp\": %llu, "
	       "\"icmp6\": %llu, \"sources_ipv4\": %llu, \"sources_ipv6\": %llu, \"scanners\": "
	       "%llu",
	       duration, (unsigned long long)not_ip, (unsigned long long)outgoing,
	       (unsigned long long)replies, (unsigned long long)unsol, (unsigned long long)v4,
	       (unsigned long long)v6, (unsigned long long)attempts,
	       (unsigned long long)backscatter, (unsigned long long)tcp_other,
	       (unsigned long long)udp, (unsigned long long)icmp, (unsigned long long)icmp6,
	       (unsigned long long)sources[0], (unsigned long long)sources[1],
	       (unsigned long long)scanners);
	print_top_ports("tcp_ports", port_att, 0, TOP);
	print_top_ports("udp_ports", port_udp, 1, TOP);
	print_top_ports("backscatter_ports", port_bs, 2, TOP);
	printf(", \"icmp_types\": [");
	bool comma = false;
	for (int f = 0; f < 2; f++)
		for (unsigned t = 0; t < 256; t++)
			if (icmp_types[f][t]) {
				printf("%s[\"%s\", %u, %llu]", comma ? ", " : "",
				       f ? "icmpv6" : "icmp", t,
				       (unsigned long long)icmp_types[f][t]);
				comma = true;
			}
	printf("], \"hours\": [");
	for (int64_t h = first_hour; h >= 0 && h <= last_hour && (size_t)(h - first_hour) < n_hours;
	     h++)
		printf("%s[%lld, %llu]", h > first_hour ? ", " : "", (long long)h * 3600,
		       (unsigned long long)hours[h - first_hour]);
	printf("], \"top_sources\": [");
	qsort(sent, n_sent, sizeof *sent, cmp_src);
	for (size_t i = 0; i < n_sent && i < TOP; i++)
		printf("%s[\"%s\", %u, %u, %d]", i ? ", " : "",
		       addr_str(sent[i]->addr, sent[i]->ipv, a), sent[i]->packets, sent[i]->ports,
		       popcount32(sent[i]->hostmask));
	/* tcpdump's SYN filter: IPv4 only, outgoing SYNs too */
	static struct src locals[N_LOCAL4];
	uint64_t syn4 = 0;
	for (size_t i = 0; i < n_sent; i++)
		syn4 += sent[i]->syn4;
	for (int i = 0; i < N_LOCAL4; i++) {
		memcpy(locals[i].addr, local4[i], 16);
		locals[i].ipv = 4;
		locals[i].syn4 = (uint32_t)local_syn4[i];
		syn4 += local_syn4[i];
		sent[n_sent++] = &locals[i];
	}
	qsort(sent, n_sent, sizeof *sent, cmp_syn4);
	printf("], \"syn_v4\": %llu, \"syn_v4_sources\": [", (unsigned long long)syn4);
	for (size_t i = 0; i < n_sent && i < 3; i++)
		printf("%s[\"%s\", %u]", i ? ", " : "", addr_str(sent[i]->addr, 4, a),
		       sent[i]->syn4);
	printf("]");
	print_top_ports("syn_v4_ports", syn4_port, -1, 3);
	printf("}\n");
	free(sent);
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_scan_capture [-n PACKETS] [-S SOURCES] [-d DURATION] [-s SEED] "
			"[-t START] -o FILE\n");
	exit(64);
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, start = 1767225600ULL;
	unsigned long n_sources = 60000;
	int duration = 86400, opt;

	packets_max = 2000000;
	while ((opt = getopt(argc, argv, "n:S:d:s:t:o:h")) != -1) {
		switch (opt) {
		case 'n': packets_max = strtoull(optarg, NULL, 10); break;
		case 'S': n_sources = strtoul(optarg, NULL, 10); break;
		case 'd': duration = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 't': start = strtoull(optarg, NULL, 10); break;
		case 'o': out_path = optarg; break;
		default: usage();
		}
	}
	if (!out_path || packets_max == 0 || n_sources < 100 || n_sources > 10000000 ||
	    duration < 1)
		usage();
	rng_state = seed;

	for (int i = 0; i < N_LOCAL4; i++) {
		memset(local4[i], 0, 16);
		local4[i][0] = 192, local4[i][1] = 0, local4[i][2] = 2;
		local4[i][3] = (uint8_t)(10 + i);
	}
	for (int i = 0; i < N_LOCAL6; i++) {
		static const uint8_t p[4] = { 0x20, 0x01, 0x0d, 0xb8 };
		memset(local6[i], 0, 16);
		memcpy(local6[i], p, 4);
		local6[i][15] = (uint8_t)(0x10 + i);
	}

	/* The pools: SOURCES in all, by share; IPv6 fraction per pool. */
	static const double share[N_POOLS] = { 0, 0.5, 0.15, 0.25, 0.08, 0.02 };
	static const double v6frac[N_POOLS] = { 0, 0.05, 0.02, 0.05, 0.25, 0 };
	pool_n[P_SCAN] = N_SCAN;
	n_srcs = N_SCAN;
	for (int p = 1; p < N_POOLS; p++) {
		pool_n[p] = (size_t)((double)n_sources * share[p]);
		if (pool_n[p] < 1)
			pool_n[p] = 1;
		n_srcs += pool_n[p];
	}
	srcs = calloc(n_srcs, sizeof *srcs);
	scanbits = calloc(N_SCAN, sizeof *scanbits);
	n_hours = (size_t)duration / 1800 + 16; /* the gaps are random: room to spare */
	hours = calloc(n_hours, sizeof *hours);
	if (!srcs || !scanbits || !hours) {
		perror("calloc");
		return 1;
	}
	size_t at = 0;
	for (int p = 0; p < N_POOLS; p++) {
		pool_first[p] = at;
		for (size_t i = 0; i < pool_n[p]; i++, at++) {
			struct src *s = &srcs[at];
			if (p == P_SCAN)
				s->ipv = i < N_SCAN4 ? 4 : 6;
			else
				s->ipv = rnd01() < v6frac[p] ? 6 : 4;
			new_addr(s->ipv, s->addr);
			s->host = (uint8_t)(rnd() % n_local(s->ipv));
			switch (p) {
			case P_SCAN: s->sport = (uint16_t)(40000 + rnd() % 20000); break;
			case P_SYN: s->fav = (uint8_t)pick(tcp_ports, N_TCP_PORTS); break;
			case P_UDP: s->fav = (uint8_t)pick(udp_ports, N_UDP_PORTS); break;
			case P_BS:
				s->fav = (uint8_t)pick(bs_ports, N_BS_PORTS);
				s->sport = bs_ports[s->fav].port;
				break;
			default: break;
			}
		}
	}
	for (int i = 0; i < N_SERVERS; i++) {
		servers[i].ipv = (i < 16 ? i % 4 == 3 : rnd01() < 0.3) ? 6 : 4;
		new_addr(servers[i].ipv, servers[i].addr);
	}

	pcap_t *dead = pcap_open_dead(DLT_EN10MB, SNAPLEN);
	FILE *f = fopen(out_path, "wb");
	if (!dead || !f) {
		fprintf(stderr, "gen_scan_capture: %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	dumper = pcap_dump_fopen(dead, f);
	if (!dumper) {
		fprintf(stderr, "gen_scan_capture: %s: %s\n", out_path, pcap_geterr(dead));
		return 1;
	}
	now_us = start * 1000000ULL;
	mean_gap_us = (uint64_t)duration * 1000000ULL / packets_max;

	/* What each step writes, by share of the packets. */
	enum { K_SCAN, K_SYN, K_BS, K_UDP, K_ICMP, K_OTH, K_CONN, K_SVC, K_ARP, K_N };
	static const double kw[K_N] = { 0.22, 0.30, 0.12, 0.12, 0.06, 0.01, 0.15, 0.018, 0.002 };
	while (written < packets_max) {
		double u = rnd01();
		int k = 0;
		while (k < K_N - 1 && u >= kw[k])
			u -= kw[k++];
		switch (k) {
		case K_SCAN: scan_step(); break;
		case K_SYN: syn_step(); break;
		case K_BS: bs_step(); break;
		case K_UDP: udp_step(); break;
		case K_ICMP: icmp_step(); break;
		case K_OTH: other_step(); break;
		case K_CONN: conn_step(); break;
		case K_SVC: svc_step(); break;
		default: arp(); break;
		}
	}
	if (pcap_dump_flush(dumper) != 0 || ferror(f)) {
		fprintf(stderr, "gen_scan_capture: %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	pcap_dump_close(dumper);
	pcap_close(dead);
	report(duration);
	free(srcs);
	free(scanbits);
	free(hours);
	return 0;
}
