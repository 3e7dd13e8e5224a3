/* test_icmp.c - traceroute replies and probes (src/wire/icmp.c).
 *
 * 1. Real replies, captured on the client of tests/system/trace.sh's
 *    topology (tcpdump -i r1, Ethernet header removed; an ICMPv6 message or
 *    a TCP segment over IPv6 without its IPv6 header, as an AF_INET6 raw
 *    socket delivers them): time exceeded quoting TCP, UDP and ICMP probes,
 *    and NTP requests (udp:123) whole, echo replies, port unreachable,
 *    SYN-ACK and RST, IPv4 and IPv6.
 * 2. RFC 4884 extensions with an MPLS label stack (RFC 4950): with the
 *    length octet, the pre-RFC 4884 placement at octet 128, ICMPv6, a bad
 *    checksum, a bad object length, a length past the end, a long stack.
 * 3. Every real and crafted message cut at every length: TRUNCATED while
 *    the cut is inside a header that is needed, never a read past the end
 *    (each decode is of an exact-size heap copy: run under ASan).
 * 4. Probes: known bytes, checksums right (checked by an independent
 *    implementation), the UDP checksum what was asked, the echo checksum the
 *    same for every sequence number, and each probe decoded back; the NTP
 *    request octet for octet as a router quoted it, a valid client request
 *    (wire/ntp decodes it), the checksum both in the UDP header and in its
 *    transmit timestamp, everything else the same for every tag.
 * 5. A randomised rejection loop: random octets and mutated real replies
 *    under every layer give a known status and consistent fields.  The seed
 *    is printed; TEST_SEED=<n> replays a run.
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

#include "wire/icmp.h"
#include "wire/ntp.h"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static enum icmp_status decode_copy(enum icmp_layer l, const uint8_t *p, size_t len,
				    struct icmp_reply *r)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, p, len);
	enum icmp_status st = icmp_decode(l, copy, len, r);
	free(copy);
	return st;
}

/* The Internet checksum, written again for the tests (RFC 1071 4.1). */
static uint16_t inet_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	while (n > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		n -= 2;
	}
	if (n)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The sum of a pseudo-header (not complemented). */
static uint32_t pseudo(const struct icmp_flow *f, uint8_t proto, size_t len)
{
	size_t al = f->ip_version == 6 ? 16 : 4;
	uint8_t b[40];
	memset(b, 0, sizeof b);
	memcpy(b, f->src, al);
	memcpy(b + al, f->dst, al);
	uint32_t s = inet_sum(b, 2 * al, 0);
	return s + proto + (uint32_t)len;
}

/* True if a transport checksum verifies. */
static bool verifies(const struct icmp_flow *f, uint8_t proto, const uint8_t *p, size_t n)
{
	return inet_sum(p, n, pseudo(f, proto, n)) == 0xffff;
}

static const uint8_t A4_CLIENT[4] = { 10, 9, 1, 2 };
static const uint8_t A4_SERVER[4] = { 10, 9, 9, 9 };
static const uint8_t A6_CLIENT[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
static const uint8_t A6_SERVER[16] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9
};

/* ------------------------------------------------------------------------
 * 1. Real replies
 * ------------------------------------------------------------------------ */

/* IPv4 10.9.3.2 > 10.9.1.2 ttl 63, ICMP time exceeded in transit (11/0),
 * quoting IPv4 10.9.1.2 > 10.9.9.9 ttl 1 id 0x4e39 TCP 35081 > 80 [S]
 * seq 0xa81c5d56 win 64240 mss 1460 (the whole 44-octet probe). */
static const uint8_t v4_te_tcp[] = {
	0x45, 0xc0, 0x00, 0x48, 0xbb, 0x5b, 0x00, 0x00, 0x3f, 0x01, 0xa7, 0x84, 0x0a, 0x09, 0x03,
	0x02, 0x0a, 0x09, 0x01, 0x02, 0x0b, 0x00, 0x13, 0x3b, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x2c, 0x4e, 0x39, 0x40, 0x00, 0x01, 0x06, 0x0d, 0x77, 0x0a, 0x09, 0x01, 0x02, 0x0a,
	0x09, 0x09, 0x09, 0x89, 0x09, 0x00, 0x50, 0xa8, 0x1c, 0x5d, 0x56, 0x00, 0x00, 0x00, 0x00,
	0x60, 0x02, 0xfa, 0xf0, 0xf0, 0x4c, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};

/* IPv4 10.9.1.1 > 10.9.1.2, ICMP time exceeded (11/0) quoting UDP
 * 10.9.1.2:37837 > 10.9.9.9:33434 length 10 checksum 0xfc5c (the probe's
 * tag), data 0xcef8. */
static const uint8_t v4_te_udp[] = {
	0x45, 0xc0, 0x00, 0x3a, 0xba, 0x23, 0x00, 0x00, 0x40, 0x01, 0xa9, 0xcb, 0x0a, 0x09, 0x01,
	0x01, 0x0a, 0x09, 0x01, 0x02, 0x0b, 0x00, 0x13, 0x38, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x1e, 0x55, 0x13, 0x40, 0x00, 0x01, 0x11, 0x06, 0xa0, 0x0a, 0x09, 0x01, 0x02, 0x0a,
	0x09, 0x09, 0x09, 0x93, 0xcd, 0x82, 0x9a, 0x00, 0x0a, 0xfc, 0x5c, 0xce, 0xf8,
};

/* IPv4 10.9.1.1 > 10.9.1.2, ICMP time exceeded (11/0) quoting an echo
 * request 10.9.1.2 > 10.9.9.9 id 33550 (0x830e) seq 10013 (0x271d),
 * checksum 0x82bf, data 0xd8e2 "sundial trace\0". */
static const uint8_t v4_te_icmp[] = {
	0x45, 0xc0, 0x00, 0x48, 0xba, 0x22, 0x00, 0x00, 0x40, 0x01, 0xa9, 0xbe, 0x0a, 0x09, 0x01,
	0x01, 0x0a, 0x09, 0x01, 0x02, 0x0b, 0x00, 0xf4, 0xff, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x2c, 0x39, 0x0b, 0x40, 0x00, 0x01, 0x01, 0x22, 0xaa, 0x0a, 0x09, 0x01, 0x02, 0x0a,
	0x09, 0x09, 0x09, 0x08, 0x00, 0x82, 0xbf, 0x83, 0x0e, 0x27, 0x1d, 0xd8, 0xe2, 0x73, 0x75,
	0x6e, 0x64, 0x69, 0x61, 0x6c, 0x20, 0x74, 0x72, 0x61, 0x63, 0x65, 0x00,
};

/* IPv4 10.9.9.9 > 10.9.1.2 ttl 62, ICMP echo reply id 33550 seq 10015. */
static const uint8_t v4_echo_reply[] = {
	0x45, 0x00, 0x00, 0x2c, 0x29, 0x95, 0x00, 0x00, 0x3e, 0x01, 0x35, 0x20, 0x0a, 0x09, 0x09,
	0x09, 0x0a, 0x09, 0x01, 0x02, 0x00, 0x00, 0x8a, 0xbf, 0x83, 0x0e, 0x27, 0x1f, 0xd8, 0xe0,
	0x73, 0x75, 0x6e, 0x64, 0x69, 0x61, 0x6c, 0x20, 0x74, 0x72, 0x61, 0x63, 0x65, 0x00,
};

/* IPv4 10.9.9.9 > 10.9.1.2, ICMP port unreachable (3/3) quoting UDP
 * 37837 > 33434 checksum 0xfc5e. */
static const uint8_t v4_port_unreach[] = {
	0x45, 0xc0, 0x00, 0x3a, 0x29, 0x96, 0x00, 0x00, 0x3e, 0x01, 0x34, 0x51, 0x0a, 0x09, 0x09,
	0x09, 0x0a, 0x09, 0x01, 0x02, 0x03, 0x03, 0x1b, 0x35, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x1e, 0x55, 0x15, 0x40, 0x00, 0x01, 0x11, 0x06, 0x9e, 0x0a, 0x09, 0x01, 0x02, 0x0a,
	0x09, 0x09, 0x09, 0x93, 0xcd, 0x82, 0x9a, 0x00, 0x0a, 0xfc, 0x5e, 0xce, 0xf6,
};

/* IPv4 10.9.9.9 > 10.9.1.2, TCP 81 > 58945 [R.] seq 0 ack 0x9649fbcc. */
static const uint8_t v4_rst[] = {
	0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x3e, 0x06, 0x1e, 0xb4, 0x0a, 0x09,
	0x09, 0x09, 0x0a, 0x09, 0x01, 0x02, 0x00, 0x51, 0xe6, 0x41, 0x00, 0x00, 0x00, 0x00,
	0x96, 0x49, 0xfb, 0xcc, 0x50, 0x14, 0x00, 0x00, 0x19, 0x0b, 0x00, 0x00,
};

/* IPv4 10.9.9.9 > 10.9.1.2, TCP 80 > 35081 [S.] seq 0x46adcbf2 ack
 * 0xa81c5d59, mss 1460. */
static const uint8_t v4_synack[] = {
	0x45, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x40, 0x00, 0x3e, 0x06, 0x1e, 0xb0, 0x0a, 0x09, 0x09,
	0x09, 0x0a, 0x09, 0x01, 0x02, 0x00, 0x50, 0x89, 0x09, 0x46, 0xad, 0xcb, 0xf2, 0xa8, 0x1c,
	0x5d, 0x59, 0x60, 0x12, 0xfa, 0xf0, 0x1e, 0x3b, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};

/* ICMPv6 time exceeded (3/0) from 2001:db8:1::1, quoting IPv6
 * 2001:db8:1::2 > 2001:db8:99::9 hop limit 1 flow label 0x7e92a TCP
 * 59071 > 80 [S] seq 0xf2d3d33b. */
static const uint8_t v6_te_tcp[] = {
	0x03, 0x00, 0x51, 0xd9, 0x00, 0x00, 0x00, 0x00, 0x60, 0x07, 0xe9, 0x2a, 0x00, 0x18, 0x06,
	0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x09, 0xe6, 0xbf, 0x00, 0x50, 0xf2, 0xd3, 0xd3, 0x3b, 0x00, 0x00, 0x00, 0x00,
	0x60, 0x02, 0xfa, 0xf0, 0x93, 0xff, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};

/* ICMPv6 echo reply (129) id 33225 (0x81c9) seq 1332 (0x0534). */
static const uint8_t v6_echo_reply[] = {
	0x81, 0x00, 0xae, 0x9a, 0x81, 0xc9, 0x05, 0x34, 0xfa, 0xcb, 0x73, 0x75,
	0x6e, 0x64, 0x69, 0x61, 0x6c, 0x20, 0x74, 0x72, 0x61, 0x63, 0x65, 0x00,
};

/* ICMPv6 port unreachable (1/4) quoting UDP 33700 > 33434 checksum 0x97a6. */
static const uint8_t v6_port_unreach[] = {
	0x01, 0x04, 0x29, 0xf2, 0x00, 0x00, 0x00, 0x00, 0x60, 0x09, 0x07, 0x85, 0x00, 0x0a, 0x11,
	0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x09, 0x83, 0xa4, 0x82, 0x9a, 0x00, 0x0a, 0x97, 0xa6, 0x05, 0xde,
};

/* IPv4 10.9.1.1 > 10.9.1.2 ttl 64, ICMP time exceeded (11/0) quoting the
 * whole NTP probe of `sundial trace -p udp:123`: IPv4 10.9.1.2 > 10.9.9.9
 * ttl 1 id 0x2a13, UDP 46449 (0xb571) > 123 length 56 checksum 0x0956 (the
 * tag), NTPv4 client request (0x23, the rest zero) with transmit timestamp
 * 0x45b2860c (the flow's cookie) . 0x0956 (the tag) 0x2a0a (the make-up). */
static const uint8_t v4_te_ntp[] = {
	0x45, 0xc0, 0x00, 0x68, 0x95, 0x3a, 0x00, 0x00, 0x40, 0x01, 0xce, 0x86, 0x0a, 0x09, 0x01,
	0x01, 0x0a, 0x09, 0x01, 0x02, 0x0b, 0x00, 0x13, 0x66, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00,
	0x00, 0x4c, 0x2a, 0x13, 0x40, 0x00, 0x01, 0x11, 0x31, 0x72, 0x0a, 0x09, 0x01, 0x02, 0x0a,
	0x09, 0x09, 0x09, 0xb5, 0x71, 0x00, 0x7b, 0x00, 0x38, 0x09, 0x56, 0x23, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x45, 0xb2, 0x86, 0x0c, 0x09, 0x56, 0x2a, 0x0a,
};

/* ICMPv6 time exceeded (3/0) from 2001:db8:1::1 quoting the whole NTP
 * probe 2001:db8:1::2 > 2001:db8:99::9 hop limit 1, UDP 42212 (0xa4e4) >
 * 123 length 56 checksum 0xbb6b, transmit timestamp 0x9015aa00 . 0xbb6b
 * 0x2a1a. */
static const uint8_t v6_te_ntp[] = {
	0x03, 0x00, 0x28, 0x68, 0x00, 0x00, 0x00, 0x00, 0x60, 0x09, 0x07, 0x85, 0x00, 0x38, 0x11,
	0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x02, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x09, 0xa4, 0xe4, 0x00, 0x7b, 0x00, 0x38, 0xbb, 0x6b, 0x23, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x90, 0x15, 0xaa, 0x00, 0xbb, 0x6b, 0x2a, 0x1a,
};

/* TCP over IPv6 (without its header): 80 > 59071 [S.] seq 0xac1d9cc0 ack
 * 0xf2d3d33f, mss 1440. */
static const uint8_t v6_synack[] = {
	0x00, 0x50, 0xe6, 0xbf, 0xac, 0x1d, 0x9c, 0xc0, 0xf2, 0xd3, 0xd3, 0x3f,
	0x60, 0x12, 0xfd, 0x20, 0x5c, 0x35, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0,
};

struct real {
	const char *name;
	enum icmp_layer layer;
	const uint8_t *p;
	size_t n;
	size_t need; /* shorter than this: TRUNCATED */
};

#define REAL(x, l, need)                                                                           \
	{                                                                                          \
#x, l, x, sizeof x, need                                                           \
	}

static const struct real reals[] = {
	REAL(v4_te_tcp, ICMP_L_IP, sizeof v4_te_tcp), /* the IP length counts */
	REAL(v4_te_udp, ICMP_L_IP, sizeof v4_te_udp),
	REAL(v4_te_icmp, ICMP_L_IP, sizeof v4_te_icmp),
	REAL(v4_echo_reply, ICMP_L_IP, sizeof v4_echo_reply),
	REAL(v4_port_unreach, ICMP_L_IP, sizeof v4_port_unreach),
	REAL(v4_rst, ICMP_L_IP, sizeof v4_rst),
	REAL(v4_synack, ICMP_L_IP, sizeof v4_synack),
	REAL(v4_te_ntp, ICMP_L_IP, sizeof v4_te_ntp),
	REAL(v6_te_tcp, ICMP_L_ICMP6, 8 + 40 + 8),
	REAL(v6_echo_reply, ICMP_L_ICMP6, 8),
	REAL(v6_port_unreach, ICMP_L_ICMP6, 8 + 40 + 8),
	REAL(v6_synack, ICMP_L_TCP, 24),
	REAL(v6_te_ntp, ICMP_L_ICMP6, 8 + 40 + 8),
};
#define N_REALS (sizeof reals / sizeof reals[0])

static void real_v4_time_exceeded_tcp(void **state)
{
	(void)state;
	struct icmp_reply r;
	assert_int_equal(decode_copy(ICMP_L_IP, v4_te_tcp, sizeof v4_te_tcp, &r), ICMP_OK);
	assert_int_equal(r.ip_version, 4);
	assert_int_equal(r.ip_ttl, 63);
	assert_memory_equal(r.src, ((uint8_t[]){ 10, 9, 3, 2 }), 4);
	assert_memory_equal(r.dst, A4_CLIENT, 4);
	assert_int_equal(r.proto, 1);
	assert_int_equal(r.kind, ICMP_K_TIME_EXCEEDED);
	assert_int_equal(r.type, 11);
	assert_int_equal(r.code, 0);
	assert_true(r.quoted);
	assert_int_equal(r.quote_len, 44);
	assert_int_equal(r.quote.ip_version, 4);
	assert_int_equal(r.quote.proto, 6);
	assert_int_equal(r.quote.ttl, 1);
	assert_int_equal(r.quote.ip_id, 0x4e39);
	assert_memory_equal(r.quote.src, A4_CLIENT, 4);
	assert_memory_equal(r.quote.dst, A4_SERVER, 4);
	assert_true(r.quote.transport);
	assert_int_equal(r.quote.sport, 35081);
	assert_int_equal(r.quote.dport, 80);
	assert_int_equal(r.quote.tcp_seq, 0xa81c5d56);
	assert_false(r.ext);
	assert_false(r.ext_bad);
	assert_int_equal(r.n_mpls, 0);
}

static void real_v4_time_exceeded_udp_icmp(void **state)
{
	(void)state;
	struct icmp_reply r;
	assert_int_equal(decode_copy(ICMP_L_IP, v4_te_udp, sizeof v4_te_udp, &r), ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_TIME_EXCEEDED);
	assert_int_equal(r.quote.proto, 17);
	assert_int_equal(r.quote.sport, 37837);
	assert_int_equal(r.quote.dport, 33434);
	assert_int_equal(r.quote.udp_len, 10);
	assert_int_equal(r.quote.udp_cksum, 0xfc5c);

	assert_int_equal(decode_copy(ICMP_L_IP, v4_te_icmp, sizeof v4_te_icmp, &r), ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_TIME_EXCEEDED);
	assert_int_equal(r.quote.proto, 1);
	assert_true(r.quote.transport);
	assert_int_equal(r.quote.icmp_type, 8);
	assert_int_equal(r.quote.icmp_code, 0);
	assert_int_equal(r.quote.icmp_cksum, 0x82bf);
	assert_int_equal(r.quote.icmp_id, 33550);
	assert_int_equal(r.quote.icmp_seq, 10013);
}

static void real_v4_destination(void **state)
{
	(void)state;
	struct icmp_reply r;
	assert_int_equal(decode_copy(ICMP_L_IP, v4_echo_reply, sizeof v4_echo_reply, &r), ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_ECHO_REPLY);
	assert_memory_equal(r.src, A4_SERVER, 4);
	assert_int_equal(r.echo_id, 33550);
	assert_int_equal(r.echo_seq, 10015);
	assert_false(r.quoted);

	assert_int_equal(decode_copy(ICMP_L_IP, v4_port_unreach, sizeof v4_port_unreach, &r),
			 ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_UNREACH);
	assert_int_equal(r.code, 3);
	assert_int_equal(r.quote.udp_cksum, 0xfc5e);

	assert_int_equal(decode_copy(ICMP_L_IP, v4_rst, sizeof v4_rst, &r), ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_TCP);
	assert_int_equal(r.proto, 6);
	assert_int_equal(r.sport, 81);
	assert_int_equal(r.dport, 58945);
	assert_int_equal(r.ack, 0x9649fbcc);
	assert_int_equal(r.tcp_flags, ICMP_TCP_RST | ICMP_TCP_ACK);

	assert_int_equal(decode_copy(ICMP_L_IP, v4_synack, sizeof v4_synack, &r), ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_TCP);
	assert_int_equal(r.sport, 80);
	assert_int_equal(r.dport, 35081);
	assert_int_equal(r.seq, 0x46adcbf2);
	assert_int_equal(r.ack, 0xa81c5d59);
	assert_int_equal(r.tcp_flags, ICMP_TCP_SYN | ICMP_TCP_ACK);
}

static void real_v6(void **state)
{
	(void)state;
	struct icmp_reply r;
	assert_int_equal(decode_copy(ICMP_L_ICMP6, v6_te_tcp, sizeof v6_te_tcp, &r), ICMP_OK);
	assert_int_equal(r.ip_version, 0);
	assert_int_equal(r.kind, ICMP_K_TIME_EXCEEDED);
	assert_int_equal(r.type, 3);
	assert_int_equal(r.quote.ip_version, 6);
	assert_int_equal(r.quote.proto, 6);
	assert_int_equal(r.quote.ttl, 1);
	assert_memory_equal(r.quote.src, A6_CLIENT, 16);
	assert_memory_equal(r.quote.dst, A6_SERVER, 16);
	assert_int_equal(r.quote.sport, 59071);
	assert_int_equal(r.quote.dport, 80);
	assert_int_equal(r.quote.tcp_seq, 0xf2d3d33b);

	assert_int_equal(decode_copy(ICMP_L_ICMP6, v6_echo_reply, sizeof v6_echo_reply, &r),
			 ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_ECHO_REPLY);
	assert_int_equal(r.echo_id, 33225);
	assert_int_equal(r.echo_seq, 1332);

	assert_int_equal(decode_copy(ICMP_L_ICMP6, v6_port_unreach, sizeof v6_port_unreach, &r),
			 ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_UNREACH);
	assert_int_equal(r.code, 4);
	assert_int_equal(r.quote.proto, 17);
	assert_int_equal(r.quote.sport, 33700);
	assert_int_equal(r.quote.udp_cksum, 0x97a6);

	assert_int_equal(decode_copy(ICMP_L_TCP, v6_synack, sizeof v6_synack, &r), ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_TCP);
	assert_int_equal(r.ack, 0xf2d3d33f);
	assert_int_equal(r.tcp_flags, ICMP_TCP_SYN | ICMP_TCP_ACK);

	/* An echo reply is not one under the other family's numbers. */
	assert_int_equal(decode_copy(ICMP_L_ICMP4, v6_echo_reply, sizeof v6_echo_reply, &r),
			 ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_OTHER);
}

/* ------------------------------------------------------------------------
 * 2. RFC 4884 extensions, MPLS (RFC 4950)
 * ------------------------------------------------------------------------ */

struct buf {
	uint8_t b[1024];
	size_t n;
};

static void put(struct buf *f, const void *p, size_t n)
{
	assert_true(f->n + n <= sizeof f->b);
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

/* An MPLS label stack entry. */
static uint32_t mpls(uint32_t label, unsigned tc, unsigned s, unsigned ttl)
{
	return label << 12 | tc << 9 | s << 8 | ttl;
}

/* An extension structure with one MPLS object of n entries (its checksum
 * right unless bad_cksum). */
static void put_ext(struct buf *f, const uint32_t *e, size_t n, bool bad_cksum)
{
	size_t start = f->n;
	put16(f, 0x2000); /* version 2 */
	put16(f, 0);
	put16(f, (unsigned)(4 + 4 * n));
	put8(f, 1); /* class MPLS label stack */
	put8(f, 1); /* c-type incoming stack */
	for (size_t i = 0; i < n; i++)
		put32(f, e[i]);
	uint16_t c = (uint16_t)~inet_sum(f->b + start, f->n - start, 0);
	if (bad_cksum)
		c ^= 0x0101;
	f->b[start + 2] = (uint8_t)(c >> 8);
	f->b[start + 3] = (uint8_t)c;
}

/* An ICMP time exceeded message (no IP header) quoting qlen octets of
 * v4_te_tcp's probe (padded with zeros), the length octet set to len_field. */
static void te4(struct buf *f, size_t qlen, unsigned len_field)
{
	f->n = 0;
	put8(f, 11);
	put8(f, 0);
	put16(f, 0); /* checksum: not checked */
	put8(f, 0);
	put8(f, len_field);
	put16(f, 0);
	const uint8_t *probe = v4_te_tcp + 28;
	size_t have = sizeof v4_te_tcp - 28;
	put(f, probe, qlen < have ? qlen : have);
	while (f->n < 8 + qlen)
		put8(f, 0);
}

static void ext_rfc4884(void **state)
{
	(void)state;
	struct buf f;
	struct icmp_reply r;
	const uint32_t stack[] = { mpls(16004, 0, 0, 1), mpls(24001, 5, 1, 1) };
	te4(&f, 128, 32);
	put_ext(&f, stack, 2, false);
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_int_equal(r.quote_len, 128);
	assert_int_equal(r.quote.tcp_seq, 0xa81c5d56);
	assert_true(r.ext);
	assert_false(r.ext_bad);
	assert_int_equal(r.n_ext_objects, 1);
	assert_int_equal(r.n_mpls, 2);
	assert_int_equal(r.mpls[0].label, 16004);
	assert_int_equal(r.mpls[0].tc, 0);
	assert_false(r.mpls[0].bottom);
	assert_int_equal(r.mpls[0].ttl, 1);
	assert_int_equal(r.mpls[1].label, 24001);
	assert_int_equal(r.mpls[1].tc, 5);
	assert_true(r.mpls[1].bottom);
	assert_false(r.mpls_more);

	/* The same behind an IPv4 header. */
	struct buf ip;
	ip.n = 0;
	put16(&ip, 0x4500);
	put16(&ip, (unsigned)(20 + f.n));
	put32(&ip, 0);
	put16(&ip, 0xf701); /* ttl 247, ICMP */
	put16(&ip, 0);
	put(&ip, ((uint8_t[]){ 192, 0, 2, 7 }), 4);
	put(&ip, A4_CLIENT, 4);
	put(&ip, f.b, f.n);
	assert_int_equal(decode_copy(ICMP_L_IP, ip.b, ip.n, &r), ICMP_OK);
	assert_int_equal(r.ip_ttl, 247);
	assert_int_equal(r.n_mpls, 2);
	assert_int_equal(r.mpls[1].label, 24001);

	/* A checksum of 0: none, accepted. */
	te4(&f, 128, 32);
	put_ext(&f, stack, 1, false);
	f.b[8 + 128 + 2] = f.b[8 + 128 + 3] = 0;
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_true(r.ext);
	assert_int_equal(r.n_mpls, 1);
}

static void ext_compat_128(void **state)
{
	(void)state;
	struct buf f;
	struct icmp_reply r;
	const uint32_t stack[] = { mpls(299792, 0, 1, 254) };
	/* Pre-RFC 4884: no length, the extension at octet 128. */
	te4(&f, 128, 0);
	put_ext(&f, stack, 1, false);
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_true(r.ext);
	assert_int_equal(r.quote_len, 128);
	assert_int_equal(r.n_mpls, 1);
	assert_int_equal(r.mpls[0].label, 299792);
	assert_int_equal(r.mpls[0].ttl, 254);
	/* With a wrong checksum it is part of the quote. */
	te4(&f, 128, 0);
	put_ext(&f, stack, 1, true);
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_false(r.ext);
	assert_false(r.ext_bad);
	assert_int_equal(r.quote_len, 128 + 12);
	/* A long quote without extensions. */
	te4(&f, 200, 0);
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_false(r.ext);
	assert_int_equal(r.quote_len, 200);
}

static void ext_bad(void **state)
{
	(void)state;
	struct buf f;
	struct icmp_reply r;
	const uint32_t stack[] = { mpls(1, 0, 1, 1) };
	/* A wrong checksum with a length: ext_bad, the message fine. */
	te4(&f, 128, 32);
	put_ext(&f, stack, 1, true);
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_false(r.ext);
	assert_true(r.ext_bad);
	assert_int_equal(r.n_mpls, 0);
	assert_int_equal(r.quote.tcp_seq, 0xa81c5d56);
	/* A wrong version. */
	te4(&f, 128, 32);
	put_ext(&f, stack, 1, false);
	f.b[8 + 128] = 0x10;
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_true(r.ext_bad);
	/* An object longer than the rest (checksum fixed up). */
	te4(&f, 128, 32);
	put_ext(&f, stack, 1, false);
	f.b[8 + 128 + 5] = 40;
	f.b[8 + 128 + 2] = f.b[8 + 128 + 3] = 0;
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_true(r.ext_bad);
	/* An object length below 4. */
	f.b[8 + 128 + 5] = 2;
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_true(r.ext_bad);
	/* A length octet past the end: no extensions, all is quote. */
	te4(&f, 64, 40);
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_true(r.ext_bad);
	assert_int_equal(r.quote_len, 64);
	/* A length that leaves fewer than 4 octets of extension. */
	te4(&f, 130, 32);
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_true(r.ext_bad);
	assert_int_equal(r.quote_len, 128);
}

static void ext_long_stack_and_other_objects(void **state)
{
	(void)state;
	struct buf f;
	struct icmp_reply r;
	uint32_t stack[ICMP_MAX_MPLS + 3];
	for (size_t i = 0; i < ICMP_MAX_MPLS + 3; i++)
		stack[i] = mpls((uint32_t)(100 + i), 0, i == ICMP_MAX_MPLS + 2, 64);
	te4(&f, 128, 32);
	size_t start = f.n;
	put_ext(&f, stack, ICMP_MAX_MPLS + 3, false);
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_true(r.ext);
	assert_int_equal(r.n_mpls, ICMP_MAX_MPLS);
	assert_true(r.mpls_more);
	assert_int_equal(r.mpls[ICMP_MAX_MPLS - 1].label, 100 + ICMP_MAX_MPLS - 1);

	/* An interface information object (RFC 5837, class 2) before the
	 * stack: counted, skipped. */
	f.n = start;
	put16(&f, 0x2000);
	put16(&f, 0);
	put16(&f, 8);
	put8(&f, 2);
	put8(&f, 0x0a);
	put32(&f, 7);
	put16(&f, 8);
	put8(&f, 1);
	put8(&f, 1);
	put32(&f, mpls(42, 1, 1, 9));
	uint16_t c = (uint16_t)~inet_sum(f.b + start, f.n - start, 0);
	f.b[start + 2] = (uint8_t)(c >> 8);
	f.b[start + 3] = (uint8_t)c;
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_true(r.ext);
	assert_int_equal(r.n_ext_objects, 2);
	assert_int_equal(r.n_mpls, 1);
	assert_int_equal(r.mpls[0].label, 42);
	assert_int_equal(r.mpls[0].tc, 1);

	/* A stack object whose length is not a whole number of entries. */
	f.b[f.n - 7] = 7; /* its length: 7, 3 octets of entry */
	f.b[start + 2] = f.b[start + 3] = 0;
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n - 1, &r), ICMP_OK);
	assert_true(r.ext_bad);
}

static void ext_icmp6(void **state)
{
	(void)state;
	struct buf f;
	struct icmp_reply r;
	const uint32_t stack[] = { mpls(3000, 2, 1, 1) };
	f.n = 0;
	put8(&f, 3);
	put8(&f, 0);
	put16(&f, 0);
	put8(&f, 16); /* 16 * 8 = 128 octets of quote */
	put8(&f, 0);
	put16(&f, 0);
	put(&f, v6_te_tcp + 8, sizeof v6_te_tcp - 8);
	while (f.n < 8 + 128)
		put8(&f, 0);
	put_ext(&f, stack, 1, false);
	assert_int_equal(decode_copy(ICMP_L_ICMP6, f.b, f.n, &r), ICMP_OK);
	assert_int_equal(r.quote_len, 128);
	assert_int_equal(r.quote.tcp_seq, 0xf2d3d33b);
	assert_true(r.ext);
	assert_int_equal(r.n_mpls, 1);
	assert_int_equal(r.mpls[0].label, 3000);
	assert_int_equal(r.mpls[0].tc, 2);
	/* Packet too big (type 2) has no length octet: its MTU is there. */
	f.b[0] = 2;
	assert_int_equal(decode_copy(ICMP_L_ICMP6, f.b, f.n, &r), ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_TOO_BIG);
	assert_false(r.ext);
	assert_int_equal(r.info, 0x10000000);
}

/* ------------------------------------------------------------------------
 * Quotes: IPv4 options, IPv6 extension headers, fragments, bad headers
 * ------------------------------------------------------------------------ */

static void quotes(void **state)
{
	(void)state;
	struct buf f;
	struct icmp_reply r;
	/* IPv4 quote with 4 octets of options. */
	f.n = 0;
	put32(&f, 0x0b000000);
	put32(&f, 0);
	put16(&f, 0x4600);
	put16(&f, 32);
	put32(&f, 0x12340000);
	put16(&f, 0x0111); /* ttl 1, UDP */
	put16(&f, 0);
	put(&f, A4_CLIENT, 4);
	put(&f, A4_SERVER, 4);
	put32(&f, 0x01010101); /* NOPs */
	put32(&f, 0x1f400035);
	put32(&f, 0x000aabcd);
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_int_equal(r.quote.ip_id, 0x1234);
	assert_int_equal(r.quote.sport, 8000);
	assert_int_equal(r.quote.dport, 53);
	assert_int_equal(r.quote.udp_cksum, 0xabcd);
	/* The options cut. */
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, 8 + 22, &r), ICMP_TRUNCATED);
	assert_int_equal(r.quote.ip_version, 4);
	assert_false(r.quote.transport);
	/* A later fragment quotes no transport header. */
	f.b[8 + 6] = 0x00;
	f.b[8 + 7] = 0x10;
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_OK);
	assert_false(r.quote.transport);
	/* IHL 4: invalid. */
	f.b[8] = 0x44;
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_INVALID);
	/* Version 5: invalid. */
	f.b[8] = 0x55;
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, f.n, &r), ICMP_INVALID);
	/* Another protocol: no transport fields, fine. */
	f.b[8] = 0x46;
	f.b[8 + 6] = f.b[8 + 7] = 0;
	f.b[8 + 9] = 47; /* GRE */
	assert_int_equal(decode_copy(ICMP_L_ICMP4, f.b, 8 + 24, &r), ICMP_OK);
	assert_int_equal(r.quote.proto, 47);
	assert_false(r.quote.transport);

	/* IPv6 quote with hop-by-hop (8), destination options (16) and a
	 * first fragment header before UDP. */
	f.n = 0;
	put32(&f, 0x03000000);
	put32(&f, 0);
	put32(&f, 0x60000000);
	put16(&f, 48);
	put8(&f, 0); /* hop-by-hop */
	put8(&f, 5);
	put(&f, A6_CLIENT, 16);
	put(&f, A6_SERVER, 16);
	put8(&f, 60);
	put8(&f, 0);
	put(&f, "\x01\x04\0\0\0\0", 6);
	put8(&f, 44);
	put8(&f, 1);
	put(&f, "\x01\x0c\0\0\0\0\0\0\0\0\0\0\0\0", 14);
	put8(&f, 17);
	put8(&f, 0);
	put16(&f, 0x0001); /* offset 0, M */
	put32(&f, 0xdeadbeef);
	put32(&f, 0x1f400035);
	put32(&f, 0x0010beef);
	assert_int_equal(decode_copy(ICMP_L_ICMP6, f.b, f.n, &r), ICMP_OK);
	assert_int_equal(r.quote.proto, 17);
	assert_int_equal(r.quote.ttl, 5);
	assert_true(r.quote.transport);
	assert_int_equal(r.quote.dport, 53);
	assert_int_equal(r.quote.udp_cksum, 0xbeef);
	/* Cut inside the destination options. */
	assert_int_equal(decode_copy(ICMP_L_ICMP6, f.b, 8 + 40 + 8 + 10, &r), ICMP_TRUNCATED);
	/* A later fragment. */
	f.b[8 + 40 + 8 + 16 + 3] = 0x08;
	assert_int_equal(decode_copy(ICMP_L_ICMP6, f.b, f.n, &r), ICMP_OK);
	assert_false(r.quote.transport);
	assert_int_equal(r.quote.proto, 17);
}

static void bad_outer_headers(void **state)
{
	(void)state;
	uint8_t b[sizeof v4_te_tcp];
	struct icmp_reply r;
	memcpy(b, v4_te_tcp, sizeof b);
	b[0] = 0x44; /* IHL 4 */
	assert_int_equal(decode_copy(ICMP_L_IP, b, sizeof b, &r), ICMP_INVALID);
	b[0] = 0x75; /* version 7 */
	assert_int_equal(decode_copy(ICMP_L_IP, b, sizeof b, &r), ICMP_INVALID);
	memcpy(b, v4_te_tcp, sizeof b);
	b[3] = 10; /* total length below the header */
	assert_int_equal(decode_copy(ICMP_L_IP, b, sizeof b, &r), ICMP_INVALID);
	memcpy(b, v4_te_tcp, sizeof b);
	b[9] = 17; /* UDP */
	assert_int_equal(decode_copy(ICMP_L_IP, b, sizeof b, &r), ICMP_UNSUPPORTED);
	/* The IP length shorter than what came: the rest is ignored. */
	memcpy(b, v4_te_tcp, sizeof b);
	b[3] = 20 + 8 + 28;
	assert_int_equal(decode_copy(ICMP_L_IP, b, sizeof b, &r), ICMP_OK);
	assert_int_equal(r.quote_len, 28);
	assert_int_equal(r.quote.sport, 35081);
	/* TCP data offset 4. */
	memcpy(b, v4_synack, sizeof v4_synack);
	b[32] = 0x40;
	assert_int_equal(decode_copy(ICMP_L_IP, b, sizeof v4_synack, &r), ICMP_INVALID);
	/* A bad layer value. */
	assert_int_equal(decode_copy((enum icmp_layer)9, v4_synack, sizeof v4_synack, &r),
			 ICMP_INVALID);
}

static void strerror_names(void **state)
{
	(void)state;
	for (int s = ICMP_OK; s <= ICMP_UNSUPPORTED; s++) {
		const char *m = icmp_strerror((enum icmp_status)s);
		assert_non_null(m);
		assert_true(strlen(m) > 0);
		assert_string_not_equal(m, "unknown error");
	}
	assert_string_equal(icmp_strerror((enum icmp_status)77), "unknown error");
}

/* ------------------------------------------------------------------------
 * 3. Truncation sweep
 * ------------------------------------------------------------------------ */

static void truncation_sweep(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_REALS; i++) {
		const struct real *x = &reals[i];
		struct icmp_reply full;
		assert_int_equal(decode_copy(x->layer, x->p, x->n, &full), ICMP_OK);
		for (size_t cut = 0; cut < x->n; cut++) {
			struct icmp_reply r;
			enum icmp_status st = decode_copy(x->layer, x->p, cut, &r);
			if (cut < x->need) {
				if (st != ICMP_TRUNCATED)
					fail_msg("%s cut at %zu: %s, want truncated", x->name, cut,
						 icmp_strerror(st));
			} else {
				if (st != ICMP_OK)
					fail_msg("%s cut at %zu: %s, want ok", x->name, cut,
						 icmp_strerror(st));
				/* The same fields, a shorter quote. */
				assert_int_equal(r.kind, full.kind);
				assert_memory_equal(&r.quote, &full.quote, sizeof r.quote);
				assert_int_equal(r.ack, full.ack);
				assert_int_equal(r.echo_seq, full.echo_seq);
			}
			/* The type of a cut error is still known once its
			 * ICMP header is. */
			if (x->layer == ICMP_L_ICMP6 && cut >= 8)
				assert_int_equal(r.kind, full.kind);
		}
	}
}

/* ------------------------------------------------------------------------
 * 4. Probes
 * ------------------------------------------------------------------------ */

static struct icmp_flow flow4(void)
{
	struct icmp_flow f;
	memset(&f, 0, sizeof f);
	f.ip_version = 4;
	memcpy(f.src, A4_CLIENT, 4);
	memcpy(f.dst, A4_SERVER, 4);
	f.sport = 35081;
	f.dport = 80;
	f.icmp_id = 33550;
	return f;
}

static struct icmp_flow flow6(void)
{
	struct icmp_flow f;
	memset(&f, 0, sizeof f);
	f.ip_version = 6;
	memcpy(f.src, A6_CLIENT, 16);
	memcpy(f.dst, A6_SERVER, 16);
	f.sport = 59071;
	f.dport = 80;
	f.icmp_id = 33225;
	return f;
}

static void probe_tcp(void **state)
{
	(void)state;
	struct icmp_flow f = flow4();
	uint8_t b[64];
	assert_int_equal(icmp_build_tcp_syn(&f, 0xa81c5d56, b, sizeof b), ICMP_TCP_PROBE_LEN);
	/* The probe the router quoted in v4_te_tcp, octet for octet. */
	assert_memory_equal(b, v4_te_tcp + 48, ICMP_TCP_PROBE_LEN);
	assert_true(verifies(&f, 6, b, ICMP_TCP_PROBE_LEN));
	struct icmp_reply r;
	assert_int_equal(decode_copy(ICMP_L_TCP, b, ICMP_TCP_PROBE_LEN, &r), ICMP_OK);
	assert_int_equal(r.seq, 0xa81c5d56);
	assert_int_equal(r.tcp_flags, ICMP_TCP_SYN);
	assert_int_equal(r.sport, 35081);
	/* IPv6: the probe quoted in v6_te_tcp. */
	f = flow6();
	assert_int_equal(icmp_build_tcp_syn(&f, 0xf2d3d33b, b, sizeof b), ICMP_TCP_PROBE_LEN);
	assert_memory_equal(b, v6_te_tcp + 48, ICMP_TCP_PROBE_LEN);
	assert_true(verifies(&f, 6, b, ICMP_TCP_PROBE_LEN));
	/* Too small a buffer. */
	assert_int_equal(icmp_build_tcp_syn(&f, 1, b, ICMP_TCP_PROBE_LEN - 1), 0);
}

static void probe_udp(void **state)
{
	(void)state;
	uint8_t b[64];
	struct icmp_flow f = flow4();
	f.sport = 37837;
	f.dport = 33434;
	/* The probe the router quoted in v4_te_udp. */
	assert_int_equal(icmp_build_udp(&f, 0xfc5c, b, sizeof b), ICMP_UDP_PROBE_LEN);
	assert_memory_equal(b, v4_te_udp + 48, ICMP_UDP_PROBE_LEN);
	for (int v = 4; v <= 6; v += 2) {
		f = v == 4 ? flow4() : flow6();
		for (uint32_t want = 1; want < 0xffff; want += 7) {
			assert_int_equal(icmp_build_udp(&f, (uint16_t)want, b, sizeof b),
					 ICMP_UDP_PROBE_LEN);
			assert_int_equal(b[6] << 8 | b[7], want);
			if (!verifies(&f, 17, b, ICMP_UDP_PROBE_LEN))
				fail_msg("IPv%d UDP checksum 0x%04x does not verify", v, want);
			assert_int_equal(b[0] << 8 | b[1], f.sport);
			assert_int_equal(b[4] << 8 | b[5], ICMP_UDP_PROBE_LEN);
		}
	}
	assert_int_equal(icmp_build_udp(&f, 0, b, sizeof b), 0);
	assert_int_equal(icmp_build_udp(&f, 0xffff, b, sizeof b), 0);
	assert_int_equal(icmp_build_udp(&f, 5, b, ICMP_UDP_PROBE_LEN - 1), 0);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void probe_ntp(void **state)
{
	(void)state;
	uint8_t b[80], first[80];
	struct icmp_reply r;
	/* The probes the routers quoted in v4_te_ntp and v6_te_ntp, whole. */
	struct icmp_flow f = flow4();
	f.sport = 46449;
	f.dport = ICMP_NTP_PORT;
	assert_int_equal(icmp_build_ntp(&f, 0x45b2860c, 0x0956, b, sizeof b), ICMP_NTP_PROBE_LEN);
	assert_memory_equal(b, v4_te_ntp + 48, ICMP_NTP_PROBE_LEN);
	assert_int_equal(icmp_ntp_xmt(&f, 0x45b2860c, 0x0956), UINT64_C(0x45b2860c09562a0a));
	assert_int_equal(decode_copy(ICMP_L_IP, v4_te_ntp, sizeof v4_te_ntp, &r), ICMP_OK);
	assert_int_equal(r.kind, ICMP_K_TIME_EXCEEDED);
	assert_int_equal(r.quote.proto, 17);
	assert_int_equal(r.quote.sport, 46449);
	assert_int_equal(r.quote.dport, 123);
	assert_int_equal(r.quote.udp_len, ICMP_NTP_PROBE_LEN);
	assert_int_equal(r.quote.udp_cksum, 0x0956);
	f = flow6();
	f.sport = 42212;
	f.dport = ICMP_NTP_PORT;
	assert_int_equal(icmp_build_ntp(&f, 0x9015aa00, 0xbb6b, b, sizeof b), ICMP_NTP_PROBE_LEN);
	assert_memory_equal(b, v6_te_ntp + 48, ICMP_NTP_PROBE_LEN);
	assert_int_equal(decode_copy(ICMP_L_ICMP6, v6_te_ntp, sizeof v6_te_ntp, &r), ICMP_OK);
	assert_int_equal(r.quote.udp_cksum, 0xbb6b);

	for (int v = 4; v <= 6; v += 2) {
		f = v == 4 ? flow4() : flow6();
		f.dport = ICMP_NTP_PORT;
		for (uint32_t want = 1; want < 0xffff; want += 7) {
			uint32_t cookie = 0x80000000u ^ want * 2654435761u;
			assert_int_equal(icmp_build_ntp(&f, cookie, (uint16_t)want, b, sizeof b),
					 ICMP_NTP_PROBE_LEN);
			/* The UDP header: the flow's ports, length 56, the tag
			 * as checksum, which verifies. */
			assert_int_equal(b[0] << 8 | b[1], f.sport);
			assert_int_equal(b[2] << 8 | b[3], 123);
			assert_int_equal(b[4] << 8 | b[5], ICMP_NTP_PROBE_LEN);
			assert_int_equal(b[6] << 8 | b[7], want);
			if (!verifies(&f, 17, b, ICMP_NTP_PROBE_LEN))
				fail_msg("IPv%d NTP probe checksum 0x%04x does not verify", v,
					 want);
			/* A valid 48-octet client request: LI 0, version 4,
			 * mode 3, all zero but the transmit timestamp, which
			 * holds the cookie and the tag. */
			struct ntp_pkt p;
			assert_int_equal(ntp_pkt_decode(b + 8, ICMP_NTP_LEN, &p), NTP_OK);
			assert_int_equal(b[8], 0x23);
			assert_int_equal(p.leap, 0);
			assert_int_equal(p.version, 4);
			assert_int_equal(p.mode, NTP_MODE_CLIENT);
			for (size_t i = 9; i < 8 + 40; i++)
				assert_int_equal(b[i], 0);
			assert_int_equal(p.xmt_ts >> 32, cookie);
			assert_int_equal((p.xmt_ts >> 16) & 0xffff, want);
			assert_int_equal(p.xmt_ts, icmp_ntp_xmt(&f, cookie, (uint16_t)want));
			/* Probes of one flow (one cookie) differ only in the
			 * checksum and the last 4 octets. */
			uint8_t c[80];
			assert_int_equal(
				icmp_build_ntp(&f, 0x12345678, (uint16_t)want, c, sizeof c),
				ICMP_NTP_PROBE_LEN);
			if (want == 1)
				memcpy(first, c, sizeof c);
			assert_memory_equal(c, first, 6);
			assert_memory_equal(c + 8, first + 8, ICMP_NTP_PROBE_LEN - 8 - 4);
			assert_int_equal(be64(c + 48) >> 32, 0x12345678);
		}
	}
	assert_int_equal(icmp_build_ntp(&f, 1, 0, b, sizeof b), 0);
	assert_int_equal(icmp_build_ntp(&f, 1, 0xffff, b, sizeof b), 0);
	assert_int_equal(icmp_build_ntp(&f, 1, 5, b, ICMP_NTP_PROBE_LEN - 1), 0);
	assert_int_equal(icmp_ntp_xmt(&f, 1, 0), 0);
	assert_int_equal(icmp_ntp_xmt(&f, 1, 0xffff), 0);
}

static void probe_echo(void **state)
{
	(void)state;
	uint8_t b[64];
	struct icmp_flow f = flow4();
	/* The probe the router quoted in v4_te_icmp. */
	assert_int_equal(icmp_build_echo(&f, 10013, b, sizeof b), ICMP_ECHO_PROBE_LEN);
	assert_memory_equal(b, v4_te_icmp + 48, ICMP_ECHO_PROBE_LEN);
	for (int v = 4; v <= 6; v += 2) {
		f = v == 4 ? flow4() : flow6();
		unsigned first = 0;
		for (uint32_t seq = 0; seq <= 0xffff; seq += 13) {
			assert_int_equal(icmp_build_echo(&f, (uint16_t)seq, b, sizeof b),
					 ICMP_ECHO_PROBE_LEN);
			unsigned c = (unsigned)(b[2] << 8 | b[3]);
			if (seq == 0)
				first = c;
			if (c != first)
				fail_msg("IPv%d echo seq %u: checksum 0x%04x, not 0x%04x", v, seq,
					 c, first);
			uint32_t ps = v == 6 ? pseudo(&f, 58, ICMP_ECHO_PROBE_LEN) : 0;
			assert_int_equal(inet_sum(b, ICMP_ECHO_PROBE_LEN, ps), 0xffff);
			assert_int_equal(b[0], v == 6 ? 128 : 8);
			assert_int_equal(b[4] << 8 | b[5], f.icmp_id);
			assert_int_equal(b[6] << 8 | b[7], seq);
		}
	}
	assert_int_equal(icmp_build_echo(&f, 1, b, ICMP_ECHO_PROBE_LEN - 1), 0);
}

/* ------------------------------------------------------------------------
 * 5. Randomised rejection loop
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

static void check_reply(enum icmp_status st, const struct icmp_reply *r)
{
	assert_true(st >= ICMP_OK && st <= ICMP_UNSUPPORTED);
	assert_true(r->ip_version == 0 || r->ip_version == 4 || r->ip_version == 6);
	assert_true(r->n_mpls <= ICMP_MAX_MPLS);
	assert_false(r->ext && r->ext_bad);
	assert_true(r->ext || (r->n_mpls == 0 && r->n_ext_objects == 0));
	assert_true(!r->quoted || r->quote.ip_version == 4 || r->quote.ip_version == 6);
	assert_true(r->quoted || !r->quote.transport);
	assert_true(r->kind <= ICMP_K_TCP);
}

static void random_rejection_loop(void **state)
{
	(void)state;
	rnd_state = test_seed;
	unsigned counts[4] = { 0 };
	uint8_t b[600];
	for (unsigned iter = 0; iter < 20000; iter++) {
		enum icmp_layer l = (enum icmp_layer)(rnd() % 4);
		size_t n;
		if (iter % 2) {
			n = (size_t)(rnd() % sizeof b);
			for (size_t i = 0; i < n; i++)
				b[i] = (uint8_t)rnd();
			/* Often a plausible start. */
			if (n > 0 && rnd() % 2)
				b[0] = l == ICMP_L_IP ? (rnd() % 2 ? 0x45 : 0x60)
						      : (uint8_t)(rnd() % 2 ? 11 : 3);
		} else {
			const struct real *x = &reals[rnd() % N_REALS];
			l = x->layer;
			n = x->n;
			memcpy(b, x->p, n);
			unsigned k = 1 + (unsigned)(rnd() % 4);
			for (unsigned j = 0; j < k; j++)
				b[rnd() % n] = (uint8_t)rnd();
			if (rnd() % 2)
				n = (size_t)(rnd() % (n + 1));
		}
		struct icmp_reply r;
		enum icmp_status st = decode_copy(l, b, n, &r);
		check_reply(st, &r);
		counts[st]++;
	}
	printf("test_icmp: random loop: ok %u truncated %u invalid %u unsupported %u\n", counts[0],
	       counts[1], counts[2], counts[3]);
	assert_true(counts[ICMP_OK] > 0 && counts[ICMP_TRUNCATED] > 0 && counts[ICMP_INVALID] > 0);
}

int main(void)
{
	const char *env = getenv("TEST_SEED");
	test_seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
	printf("test_icmp: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       test_seed, test_seed);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(real_v4_time_exceeded_tcp),
		cmocka_unit_test(real_v4_time_exceeded_udp_icmp),
		cmocka_unit_test(real_v4_destination),
		cmocka_unit_test(real_v6),
		cmocka_unit_test(ext_rfc4884),
		cmocka_unit_test(ext_compat_128),
		cmocka_unit_test(ext_bad),
		cmocka_unit_test(ext_long_stack_and_other_objects),
		cmocka_unit_test(ext_icmp6),
		cmocka_unit_test(quotes),
		cmocka_unit_test(bad_outer_headers),
		cmocka_unit_test(strerror_names),
		cmocka_unit_test(truncation_sweep),
		cmocka_unit_test(probe_tcp),
		cmocka_unit_test(probe_udp),
		cmocka_unit_test(probe_ntp),
		cmocka_unit_test(probe_echo),
		cmocka_unit_test(random_rejection_loop),
	};
	return cmocka_run_group_tests_name("icmp", tests, NULL, NULL);
}
