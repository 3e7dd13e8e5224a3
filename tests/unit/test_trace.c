/* test_trace.c - the pure parts of the probe engine (src/net/trace.c):
 * trace_match() on real replies captured in tests/system/trace.sh's
 * topology (see test_icmp.c), and on replies that must not match;
 * trace_match_ntp() on chronyd's real replies to udp:123 probes there, on
 * replies made from wire/icmp's requests (the tag's round trip), and on
 * replies that must not match (short, another mode, another origin
 * timestamp, another flow, random octets: the seed is printed, TEST_SEED=<n>
 * replays a run); the main address of a hop; trace_compare() on the paths
 * of that topology and on made-up ones (the same path, silent hops, no
 * rejoin, parting at hop 1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/trace.h"
#include "wire/icmp.h"

static const uint8_t A4_CLIENT[16] = { 10, 9, 1, 2 };
static const uint8_t A4_SERVER[16] = { 10, 9, 9, 9 };
static const uint8_t A4_R2B[16] = { 10, 9, 3, 2 };
static const uint8_t A6_SERVER[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9
};
static const uint8_t A6_CLIENT[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t A6_R1[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

/* Real replies (test_icmp.c has their dissection). */
static const uint8_t v4_te_tcp[] = {
	0x45, 0xc0, 0x00, 0x48, 0xbb, 0x5b, 0x00, 0x00, 0x3f, 0x01, 0xa7, 0x84, 0x0a, 0x09, 0x03,
	0x02, 0x0a, 0x09, 0x01, 0x02, 0x0b, 0x00, 0x13, 0x3b, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x2c, 0x4e, 0x39, 0x40, 0x00, 0x01, 0x06, 0x0d, 0x77, 0x0a, 0x09, 0x01, 0x02, 0x0a,
	0x09, 0x09, 0x09, 0x89, 0x09, 0x00, 0x50, 0xa8, 0x1c, 0x5d, 0x56, 0x00, 0x00, 0x00, 0x00,
	0x60, 0x02, 0xfa, 0xf0, 0xf0, 0x4c, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};
static const uint8_t v4_te_icmp[] = {
	0x45, 0xc0, 0x00, 0x48, 0xba, 0x22, 0x00, 0x00, 0x40, 0x01, 0xa9, 0xbe, 0x0a, 0x09, 0x01,
	0x01, 0x0a, 0x09, 0x01, 0x02, 0x0b, 0x00, 0xf4, 0xff, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x2c, 0x39, 0x0b, 0x40, 0x00, 0x01, 0x01, 0x22, 0xaa, 0x0a, 0x09, 0x01, 0x02, 0x0a,
	0x09, 0x09, 0x09, 0x08, 0x00, 0x82, 0xbf, 0x83, 0x0e, 0x27, 0x1d, 0xd8, 0xe2, 0x73, 0x75,
	0x6e, 0x64, 0x69, 0x61, 0x6c, 0x20, 0x74, 0x72, 0x61, 0x63, 0x65, 0x00,
};
static const uint8_t v4_echo_reply[] = {
	0x45, 0x00, 0x00, 0x2c, 0x29, 0x95, 0x00, 0x00, 0x3e, 0x01, 0x35, 0x20, 0x0a, 0x09, 0x09,
	0x09, 0x0a, 0x09, 0x01, 0x02, 0x00, 0x00, 0x8a, 0xbf, 0x83, 0x0e, 0x27, 0x1f, 0xd8, 0xe0,
	0x73, 0x75, 0x6e, 0x64, 0x69, 0x61, 0x6c, 0x20, 0x74, 0x72, 0x61, 0x63, 0x65, 0x00,
};
static const uint8_t v4_port_unreach[] = {
	0x45, 0xc0, 0x00, 0x3a, 0x29, 0x96, 0x00, 0x00, 0x3e, 0x01, 0x34, 0x51, 0x0a, 0x09, 0x09,
	0x09, 0x0a, 0x09, 0x01, 0x02, 0x03, 0x03, 0x1b, 0x35, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x1e, 0x55, 0x15, 0x40, 0x00, 0x01, 0x11, 0x06, 0x9e, 0x0a, 0x09, 0x01, 0x02, 0x0a,
	0x09, 0x09, 0x09, 0x93, 0xcd, 0x82, 0x9a, 0x00, 0x0a, 0xfc, 0x5e, 0xce, 0xf6,
};
static const uint8_t v4_rst[] = {
	0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x3e, 0x06, 0x1e, 0xb4, 0x0a, 0x09,
	0x09, 0x09, 0x0a, 0x09, 0x01, 0x02, 0x00, 0x51, 0xe6, 0x41, 0x00, 0x00, 0x00, 0x00,
	0x96, 0x49, 0xfb, 0xcc, 0x50, 0x14, 0x00, 0x00, 0x19, 0x0b, 0x00, 0x00,
};
static const uint8_t v4_synack[] = {
	0x45, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x40, 0x00, 0x3e, 0x06, 0x1e, 0xb0, 0x0a, 0x09, 0x09,
	0x09, 0x0a, 0x09, 0x01, 0x02, 0x00, 0x50, 0x89, 0x09, 0x46, 0xad, 0xcb, 0xf2, 0xa8, 0x1c,
	0x5d, 0x59, 0x60, 0x12, 0xfa, 0xf0, 0x1e, 0x3b, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};
static const uint8_t v6_te_tcp[] = {
	0x03, 0x00, 0x51, 0xd9, 0x00, 0x00, 0x00, 0x00, 0x60, 0x07, 0xe9, 0x2a, 0x00, 0x18, 0x06,
	0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x09, 0xe6, 0xbf, 0x00, 0x50, 0xf2, 0xd3, 0xd3, 0x3b, 0x00, 0x00, 0x00, 0x00,
	0x60, 0x02, 0xfa, 0xf0, 0x93, 0xff, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};
static const uint8_t v6_echo_reply[] = {
	0x81, 0x00, 0xae, 0x9a, 0x81, 0xc9, 0x05, 0x34, 0xfa, 0xcb, 0x73, 0x75,
	0x6e, 0x64, 0x69, 0x61, 0x6c, 0x20, 0x74, 0x72, 0x61, 0x63, 0x65, 0x00,
};
static const uint8_t v6_synack[] = {
	0x00, 0x50, 0xe6, 0xbf, 0xac, 0x1d, 0x9c, 0xc0, 0xf2, 0xd3, 0xd3, 0x3f,
	0x60, 0x12, 0xfd, 0x20, 0x5c, 0x35, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0,
};

/* IPv4 10.9.1.1 > 10.9.1.2, time exceeded quoting the NTP probe UDP
 * 46449 > 123 checksum 0x0956 (whole: test_icmp.c's v4_te_ntp). */
static const uint8_t v4_te_ntp[] = {
	0x45, 0xc0, 0x00, 0x68, 0x95, 0x3a, 0x00, 0x00, 0x40, 0x01, 0xce, 0x86, 0x0a, 0x09, 0x01,
	0x01, 0x0a, 0x09, 0x01, 0x02, 0x0b, 0x00, 0x13, 0x66, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x4c, 0x2a, 0x13, 0x40, 0x00, 0x01, 0x11, 0x31, 0x72, 0x0a, 0x09, 0x01, 0x02, 0x0a,
	0x09, 0x09, 0x09, 0xb5, 0x71, 0x00, 0x7b, 0x00, 0x38, 0x09, 0x56, 0x23, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x45, 0xb2, 0x86, 0x0c, 0x09, 0x56, 0x2a, 0x0a,
};

/* chronyd 4.3's reply to the third probe of that flow (the UDP data of
 * 10.9.9.9:123 > 10.9.1.2:46449): 0x24 (LI 0, version 4, mode 4),
 * stratum 3, poll 0, precision -25, root delay and dispersion 0, refid
 * 127.127.1.1, reference 0xeeb33a9b.ffe84563, origin 0x45b2860c.09582a06
 * (cookie 0x45b2860c, tag 0x0958, make-up 0x2a06), receive and transmit
 * 0xeeb33a9f.6031d135 and 0xeeb33a9f.60349816. */
static const uint8_t v4_ntp_reply[] = {
	0x24, 0x03, 0x00, 0xe7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x7f, 0x7f, 0x01, 0x01, 0xee, 0xb3, 0x3a, 0x9b, 0xff, 0xe8, 0x45, 0x63,
	0x45, 0xb2, 0x86, 0x0c, 0x09, 0x58, 0x2a, 0x06, 0xee, 0xb3, 0x3a, 0x9f,
	0x60, 0x31, 0xd1, 0x35, 0xee, 0xb3, 0x3a, 0x9f, 0x60, 0x34, 0x98, 0x16,
};

/* chronyd's reply over IPv6, [2001:db8:99::9]:123 > [2001:db8:1::2]:42212:
 * origin 0x9015aa00.bb6d2a16 (cookie 0x9015aa00, tag 0xbb6d). */
static const uint8_t v6_ntp_reply[] = {
	0x24, 0x03, 0x00, 0xe7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x7f, 0x7f, 0x01, 0x01, 0xee, 0xb3, 0x3a, 0x9b, 0xff, 0xe8, 0x45, 0x63,
	0x90, 0x15, 0xaa, 0x00, 0xbb, 0x6d, 0x2a, 0x16, 0xee, 0xb3, 0x3a, 0x9f,
	0x66, 0x46, 0xf9, 0xfb, 0xee, 0xb3, 0x3a, 0x9f, 0x66, 0x49, 0xb8, 0x54,
};

static struct trace_flow_key key4(uint8_t proto, uint16_t sport, uint16_t dport, uint16_t id)
{
	struct trace_flow_key k;
	memset(&k, 0, sizeof k);
	k.family = 4;
	k.proto = proto;
	memcpy(k.src, A4_CLIENT, 4);
	memcpy(k.dst, A4_SERVER, 4);
	k.sport = sport;
	k.dport = dport;
	k.icmp_id = id;
	return k;
}

static struct trace_flow_key key6(uint8_t proto, uint16_t sport, uint16_t dport, uint16_t id)
{
	struct trace_flow_key k = key4(proto, sport, dport, id);
	k.family = 6;
	memcpy(k.src, A6_CLIENT, 16);
	memcpy(k.dst, A6_SERVER, 16);
	return k;
}

static struct icmp_reply dec(enum icmp_layer l, const uint8_t *p, size_t n)
{
	struct icmp_reply r;
	assert_int_equal(icmp_decode(l, p, n, &r), ICMP_OK);
	return r;
}

static void match_v4(void **state)
{
	(void)state;
	uint32_t tag = 0;
	enum trace_answer a = TRACE_A_NONE;
	struct trace_flow_key tcp80 = key4(6, 35081, 80, 0);
	struct icmp_reply r = dec(ICMP_L_IP, v4_te_tcp, sizeof v4_te_tcp);
	assert_true(trace_match(&tcp80, &r, A4_R2B, &tag, &a));
	assert_int_equal(tag, 0xa81c5d56);
	assert_int_equal(a, TRACE_A_TIME_EXCEEDED);
	/* Another flow's: another source port, destination port, protocol. */
	struct trace_flow_key other = key4(6, 35082, 80, 0);
	assert_false(trace_match(&other, &r, A4_R2B, &tag, &a));
	other = key4(6, 35081, 81, 0);
	assert_false(trace_match(&other, &r, A4_R2B, &tag, &a));
	other = key4(17, 35081, 80, 0);
	assert_false(trace_match(&other, &r, A4_R2B, &tag, &a));
	other = tcp80;
	other.dst[3] = 8;
	assert_false(trace_match(&other, &r, A4_R2B, &tag, &a));
	other = key6(6, 35081, 80, 0);
	assert_false(trace_match(&other, &r, A4_R2B, &tag, &a));

	/* The SYN-ACK acknowledges the last probe's tag + 1. */
	r = dec(ICMP_L_IP, v4_synack, sizeof v4_synack);
	assert_true(trace_match(&tcp80, &r, A4_SERVER, &tag, &a));
	assert_int_equal(tag, 0xa81c5d58);
	assert_int_equal(a, TRACE_A_SYN_ACK);
	/* Not from the destination: no. */
	assert_false(trace_match(&tcp80, &r, A4_R2B, &tag, &a));
	/* The RST answers the tcp:81 flow. */
	r = dec(ICMP_L_IP, v4_rst, sizeof v4_rst);
	assert_false(trace_match(&tcp80, &r, A4_SERVER, &tag, &a));
	struct trace_flow_key tcp81 = key4(6, 58945, 81, 0);
	assert_true(trace_match(&tcp81, &r, A4_SERVER, &tag, &a));
	assert_int_equal(tag, 0x9649fbcb);
	assert_int_equal(a, TRACE_A_RST);
	/* A segment without ACK answers no SYN. */
	uint8_t b[sizeof v4_rst];
	memcpy(b, v4_rst, sizeof b);
	b[33] = ICMP_TCP_RST;
	r = dec(ICMP_L_IP, b, sizeof b);
	assert_false(trace_match(&tcp81, &r, A4_SERVER, &tag, &a));
	/* Nor a plain ACK. */
	b[33] = ICMP_TCP_ACK;
	r = dec(ICMP_L_IP, b, sizeof b);
	assert_false(trace_match(&tcp81, &r, A4_SERVER, &tag, &a));

	/* ICMP: the quoted echo request's sequence number; the reply's. */
	struct trace_flow_key icmp = key4(1, 0, 0, 33550);
	r = dec(ICMP_L_IP, v4_te_icmp, sizeof v4_te_icmp);
	assert_true(trace_match(&icmp, &r, A4_R2B, &tag, &a));
	assert_int_equal(tag, 10013);
	assert_false(trace_match(&tcp80, &r, A4_R2B, &tag, &a));
	r = dec(ICMP_L_IP, v4_echo_reply, sizeof v4_echo_reply);
	assert_true(trace_match(&icmp, &r, A4_SERVER, &tag, &a));
	assert_int_equal(tag, 10015);
	assert_int_equal(a, TRACE_A_ECHO_REPLY);
	assert_false(trace_match(&icmp, &r, A4_R2B, &tag, &a));
	other = key4(1, 0, 0, 33551);
	assert_false(trace_match(&other, &r, A4_SERVER, &tag, &a));
	assert_false(trace_match(&tcp80, &r, A4_SERVER, &tag, &a));

	/* UDP: the quoted checksum. */
	struct trace_flow_key udp = key4(17, 37837, 33434, 0);
	r = dec(ICMP_L_IP, v4_port_unreach, sizeof v4_port_unreach);
	assert_true(trace_match(&udp, &r, A4_SERVER, &tag, &a));
	assert_int_equal(tag, 0xfc5e);
	assert_int_equal(a, TRACE_A_UNREACH);
	other = key4(17, 37837, 33435, 0);
	assert_false(trace_match(&other, &r, A4_SERVER, &tag, &a));

	/* An error without its transport header matches nothing. */
	r = dec(ICMP_L_IP, v4_te_tcp, sizeof v4_te_tcp);
	r.quote.transport = false;
	assert_false(trace_match(&tcp80, &r, A4_R2B, &tag, &a));
	/* Parameter problem and too big are other errors. */
	r = dec(ICMP_L_IP, v4_te_tcp, sizeof v4_te_tcp);
	r.kind = ICMP_K_PARAM_PROBLEM;
	assert_true(trace_match(&tcp80, &r, A4_R2B, &tag, &a));
	assert_int_equal(a, TRACE_A_OTHER);
	r.kind = ICMP_K_OTHER;
	assert_false(trace_match(&tcp80, &r, A4_R2B, &tag, &a));
}

static void match_v6(void **state)
{
	(void)state;
	uint32_t tag = 0;
	enum trace_answer a = TRACE_A_NONE;
	struct trace_flow_key tcp80 = key6(6, 59071, 80, 0);
	struct icmp_reply r = dec(ICMP_L_ICMP6, v6_te_tcp, sizeof v6_te_tcp);
	assert_true(trace_match(&tcp80, &r, A6_R1, &tag, &a));
	assert_int_equal(tag, 0xf2d3d33b);
	assert_int_equal(a, TRACE_A_TIME_EXCEEDED);
	struct trace_flow_key v4 = key4(6, 59071, 80, 0);
	assert_false(trace_match(&v4, &r, A6_R1, &tag, &a));
	r = dec(ICMP_L_TCP, v6_synack, sizeof v6_synack);
	assert_true(trace_match(&tcp80, &r, A6_SERVER, &tag, &a));
	assert_int_equal(tag, 0xf2d3d33e);
	assert_int_equal(a, TRACE_A_SYN_ACK);
	struct trace_flow_key icmp = key6(58, 0, 0, 33225);
	r = dec(ICMP_L_ICMP6, v6_echo_reply, sizeof v6_echo_reply);
	assert_true(trace_match(&icmp, &r, A6_SERVER, &tag, &a));
	assert_int_equal(tag, 1332);
}

static struct trace_flow_key ntp4(void)
{
	struct trace_flow_key k = key4(17, 46449, 123, 0);
	k.ntp_cookie = 0x45b2860c;
	return k;
}

static struct trace_flow_key ntp6(void)
{
	struct trace_flow_key k = key6(17, 42212, 123, 0);
	k.ntp_cookie = 0x9015aa00;
	return k;
}

static void match_ntp_real(void **state)
{
	(void)state;
	uint32_t tag = 0;
	enum trace_answer a = TRACE_A_NONE;
	struct trace_ntp n;
	struct trace_flow_key k = ntp4();
	assert_true(trace_match_ntp(&k, v4_ntp_reply, sizeof v4_ntp_reply, &tag, &n));
	assert_int_equal(tag, 0x0958);
	assert_int_equal(n.leap, 0);
	assert_int_equal(n.version, 4);
	assert_int_equal(n.stratum, 3);
	assert_memory_equal(n.refid, ((uint8_t[]){ 127, 127, 1, 1 }), 4);
	assert_false(n.kod);
	/* The routers' errors quote the checksum: the same tags. */
	struct icmp_reply r = dec(ICMP_L_IP, v4_te_ntp, sizeof v4_te_ntp);
	assert_true(trace_match(&k, &r, A4_CLIENT, &tag, &a));
	assert_int_equal(tag, 0x0956);
	assert_int_equal(a, TRACE_A_TIME_EXCEEDED);

	k = ntp6();
	assert_true(trace_match_ntp(&k, v6_ntp_reply, sizeof v6_ntp_reply, &tag, &n));
	assert_int_equal(tag, 0xbb6d);
	assert_int_equal(n.stratum, 3);
	/* One flow's reply is not another's. */
	assert_false(trace_match_ntp(&k, v4_ntp_reply, sizeof v4_ntp_reply, &tag, &n));
	k = ntp4();
	assert_false(trace_match_ntp(&k, v6_ntp_reply, sizeof v6_ntp_reply, &tag, &n));
}

/* A server's reply to the request wire/icmp builds for k and tag: mode 4,
 * stratum 2, origin = the request's transmit timestamp; len octets (>= 48;
 * the rest zero, as an extension field or MAC would not be looked at). */
static void reply_to(const struct trace_flow_key *k, uint16_t tag, uint8_t *out, size_t len)
{
	struct icmp_flow f;
	memset(&f, 0, sizeof f);
	f.ip_version = k->family;
	memcpy(f.src, k->src, 16);
	memcpy(f.dst, k->dst, 16);
	f.sport = k->sport;
	f.dport = k->dport;
	uint8_t req[ICMP_NTP_PROBE_LEN];
	assert_int_equal(icmp_build_ntp(&f, k->ntp_cookie, tag, req, sizeof req),
			 ICMP_NTP_PROBE_LEN);
	memset(out, 0, len);
	out[0] = 0x24;
	out[1] = 2;
	memcpy(out + 12, "\xc0\x00\x02\x01", 4);
	memcpy(out + 24, req + 8 + 40, 8); /* origin = transmit */
	out[32] = out[40] = 0xee;
}

static void match_ntp_made(void **state)
{
	(void)state;
	uint8_t b[96];
	uint32_t tag = 0;
	struct trace_ntp n;
	for (int v = 4; v <= 6; v += 2) {
		struct trace_flow_key k = v == 4 ? ntp4() : ntp6();
		/* The tag's round trip: every tag a flow may use. */
		for (uint32_t t = 1; t < 0xffff; t += 3) {
			reply_to(&k, (uint16_t)t, b, 48);
			if (!trace_match_ntp(&k, b, 48, &tag, &n) || tag != t)
				fail_msg("IPv%d: the reply to tag 0x%04x does not match", v, t);
		}
		reply_to(&k, 0x1234, b, sizeof b);
		assert_true(trace_match_ntp(&k, b, sizeof b, &tag, &n));
		assert_int_equal(tag, 0x1234);
		assert_int_equal(n.stratum, 2);
		/* Too short: every length below 48. */
		for (size_t len = 0; len < 48; len++)
			assert_false(trace_match_ntp(&k, b, len, &tag, &n));
		/* Another mode: only a server's reply (4) will do, not a
		 * request reflected back (3), a broadcast (5), control (6). */
		for (unsigned mode = 0; mode < 8; mode++) {
			b[0] = (uint8_t)(0x20 | mode);
			assert_int_equal(trace_match_ntp(&k, b, 48, &tag, &n), mode == 4);
		}
		/* Versions 1 to 4 answer, 0 and 5 to 7 are not NTP. */
		for (unsigned vn = 0; vn < 8; vn++) {
			b[0] = (uint8_t)(vn << 3 | 4);
			assert_int_equal(trace_match_ntp(&k, b, 48, &tag, &n), vn >= 1 && vn <= 4);
		}
		b[0] = 0x24;
		/* Another origin timestamp: any one bit of it flipped (the
		 * cookie, the tag, the make-up octets). */
		for (unsigned bit = 0; bit < 64; bit++) {
			b[24 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
			if (trace_match_ntp(&k, b, 48, &tag, &n))
				fail_msg("IPv%d: origin bit %u flipped still matches", v, bit);
			b[24 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		assert_true(trace_match_ntp(&k, b, 48, &tag, &n));
		/* The origin in the receive or transmit field: no. */
		memcpy(b + 40, b + 24, 8);
		memset(b + 24, 0, 8);
		assert_false(trace_match_ntp(&k, b, 48, &tag, &n));
		/* Tags 0 and 0xffff are never sent. */
		reply_to(&k, 1, b, 48);
		b[28] = b[29] = 0;
		assert_false(trace_match_ntp(&k, b, 48, &tag, &n));
		b[28] = b[29] = 0xff;
		assert_false(trace_match_ntp(&k, b, 48, &tag, &n));
		/* Another flow: cookie, source port (the make-up octets sum
		 * the ports), destination port, protocol. */
		reply_to(&k, 0x1234, b, 48);
		struct trace_flow_key o = k;
		o.ntp_cookie ^= 1;
		assert_false(trace_match_ntp(&o, b, 48, &tag, &n));
		o = k;
		o.sport++;
		assert_false(trace_match_ntp(&o, b, 48, &tag, &n));
		o = k;
		o.dport = 33434;
		assert_false(trace_match_ntp(&o, b, 48, &tag, &n));
		o = k;
		o.proto = 6;
		assert_false(trace_match_ntp(&o, b, 48, &tag, &n));
		/* A kiss-o'-death is a reply too: the server is there. */
		b[1] = 0;
		memcpy(b + 12, "RATE", 4);
		assert_true(trace_match_ntp(&k, b, 48, &tag, &n));
		assert_true(n.kod);
		assert_int_equal(n.stratum, 0);
		/* Stratum 0 without an ASCII code is no KoD. */
		memset(b + 12, 0, 4);
		assert_true(trace_match_ntp(&k, b, 48, &tag, &n));
		assert_false(n.kod);
	}
}

static uint64_t rnd_state;

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rnd_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Random octets, and the real reply mutated or cut, never match unless
 * the reply is still whole and right (each check is on an exact-size heap
 * copy, so that ASan sees a read past the end). */
static void match_ntp_random(void **state)
{
	(void)state;
	const char *env = getenv("TEST_SEED");
	rnd_state = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
	printf("test_trace: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       rnd_state, rnd_state);
	struct trace_flow_key k = ntp4();
	unsigned matched = 0;
	for (unsigned iter = 0; iter < 10000; iter++) {
		uint8_t b[128];
		size_t n;
		if (iter % 2) {
			n = (size_t)(rnd() % sizeof b);
			for (size_t i = 0; i < n; i++)
				b[i] = (uint8_t)rnd();
			if (n > 0)
				b[0] = 0x24;
		} else {
			n = sizeof v4_ntp_reply;
			memcpy(b, v4_ntp_reply, n);
			b[rnd() % n] ^= (uint8_t)(1 + rnd() % 255);
			if (rnd() % 2)
				n = (size_t)(rnd() % (n + 1));
		}
		uint8_t *copy = malloc(n ? n : 1);
		assert_non_null(copy);
		memcpy(copy, b, n);
		uint32_t tag = 0;
		struct trace_ntp x;
		if (trace_match_ntp(&k, copy, n, &tag, &x)) {
			/* Only a change outside the mode octet's mode and
			 * version and the origin timestamp leaves a match. */
			assert_true(n >= 48);
			assert_int_equal(copy[0] & 0x07, 4);
			assert_memory_equal(copy + 24, v4_ntp_reply + 24, 8);
			assert_int_equal(tag, 0x0958);
			matched++;
		}
		free(copy);
	}
	printf("test_trace: random NTP replies: %u of 10000 matched\n", matched);
}

static struct trace_probe answered(const uint8_t *from, enum trace_answer a)
{
	struct trace_probe p;
	memset(&p, 0, sizeof p);
	p.sent = true;
	p.answer = a;
	p.family = 4;
	memcpy(p.from, from, 16);
	return p;
}

static void hop_address(void **state)
{
	(void)state;
	struct trace_hop h;
	uint8_t a[16];
	memset(&h, 0, sizeof h);
	assert_false(trace_hop_address(&h, 3, a));
	h.probe[1] = answered(A4_R2B, TRACE_A_TIME_EXCEEDED);
	assert_true(trace_hop_address(&h, 3, a));
	assert_memory_equal(a, A4_R2B, 16);
	/* A tie: the first. */
	h.probe[2] = answered(A4_SERVER, TRACE_A_TIME_EXCEEDED);
	assert_true(trace_hop_address(&h, 3, a));
	assert_memory_equal(a, A4_R2B, 16);
	/* The most. */
	h.probe[0] = answered(A4_SERVER, TRACE_A_TIME_EXCEEDED);
	assert_true(trace_hop_address(&h, 3, a));
	assert_memory_equal(a, A4_SERVER, 16);
	/* Only the probes asked for count. */
	assert_true(trace_hop_address(&h, 2, a));
	assert_memory_equal(a, A4_SERVER, 16);
	assert_true(trace_hop_address(&h, 99, a));
}

static struct trace_path_hop ph(unsigned last_octet)
{
	struct trace_path_hop h;
	memset(&h, 0, sizeof h);
	if (last_octet) {
		h.known = true;
		h.addr[0] = 10;
		h.addr[3] = (uint8_t)last_octet;
	}
	return h;
}

static void compare_paths(void **state)
{
	(void)state;
	struct trace_divergence d;
	/* The system test's topology: tcp:80 r1 r2b r3 server, icmp r1 r2a
	 * server. */
	const struct trace_path_hop tcp[] = { ph(1), ph(32), ph(42), ph(99) };
	const struct trace_path_hop icmp[] = { ph(1), ph(22), ph(99) };
	trace_compare(tcp, 4, icmp, 3, &d);
	assert_true(d.parted);
	assert_int_equal(d.common_ttl, 1);
	assert_int_equal(d.part_ttl, 2);
	assert_true(d.joined);
	assert_int_equal(d.join_ttl_a, 4);
	assert_int_equal(d.join_ttl_b, 3);
	assert_int_equal(d.join_addr[3], 99);
	/* The other way round. */
	trace_compare(icmp, 3, tcp, 4, &d);
	assert_int_equal(d.join_ttl_a, 3);
	assert_int_equal(d.join_ttl_b, 4);

	/* The same path: not parted, even if one is shorter. */
	trace_compare(tcp, 4, tcp, 3, &d);
	assert_false(d.parted);
	assert_false(d.joined);
	assert_int_equal(d.common_ttl, 3);

	/* Silent hops neither part nor join. */
	const struct trace_path_hop silent[] = { ph(1), ph(0), ph(42), ph(0) };
	trace_compare(tcp, 4, silent, 4, &d);
	assert_false(d.parted);
	assert_int_equal(d.common_ttl, 3);

	/* Parting at hop 1, never joining. */
	const struct trace_path_hop away[] = { ph(7), ph(8), ph(9) };
	trace_compare(tcp, 4, away, 3, &d);
	assert_true(d.parted);
	assert_int_equal(d.part_ttl, 1);
	assert_int_equal(d.common_ttl, 0);
	assert_false(d.joined);

	/* The case: 5 hops shared, then 12 against 17 hops, joining
	 * at the last 3. */
	struct trace_path_hop a[17], b[12];
	for (unsigned i = 0; i < 17; i++)
		a[i] = ph(i < 5 ? 1 + i : i < 14 ? 100 + i : 200 + i - 14);
	for (unsigned i = 0; i < 12; i++)
		b[i] = ph(i < 5 ? 1 + i : i < 9 ? 150 + i : 200 + i - 9);
	trace_compare(a, 17, b, 12, &d);
	assert_true(d.parted);
	assert_int_equal(d.common_ttl, 5);
	assert_int_equal(d.part_ttl, 6);
	assert_true(d.joined);
	assert_int_equal(d.join_ttl_a, 15);
	assert_int_equal(d.join_ttl_b, 10);
	assert_int_equal(d.join_addr[3], 200);

	/* Empty paths. */
	trace_compare(a, 0, b, 0, &d);
	assert_false(d.parted);
}

static void answer_names(void **state)
{
	(void)state;
	assert_string_equal(trace_answer_name(TRACE_A_NONE), "none");
	assert_string_equal(trace_answer_name(TRACE_A_TIME_EXCEEDED), "time-exceeded");
	assert_string_equal(trace_answer_name(TRACE_A_UNREACH), "unreachable");
	assert_string_equal(trace_answer_name(TRACE_A_ECHO_REPLY), "echo-reply");
	assert_string_equal(trace_answer_name(TRACE_A_SYN_ACK), "SYN-ACK");
	assert_string_equal(trace_answer_name(TRACE_A_RST), "RST");
	assert_string_equal(trace_answer_name(TRACE_A_OTHER), "other-error");
	assert_string_equal(trace_answer_name(TRACE_A_NTP), "ntp-reply");
	assert_string_equal(trace_answer_name((enum trace_answer)99), "unknown");
}

static void open_rejects_bad_options(void **state)
{
	(void)state;
	struct trace_opts o;
	memset(&o, 0, sizeof o);
	trace *t = (trace *)1;
	char err[128];
	assert_int_equal(trace_open(&o, &t, err, sizeof err), -22);
	assert_null(t);
	trace_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(match_v4),
		cmocka_unit_test(match_v6),
		cmocka_unit_test(match_ntp_real),
		cmocka_unit_test(match_ntp_made),
		cmocka_unit_test(match_ntp_random),
		cmocka_unit_test(hop_address),
		cmocka_unit_test(compare_paths),
		cmocka_unit_test(answer_names),
		cmocka_unit_test(open_rejects_bad_options),
	};
	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
