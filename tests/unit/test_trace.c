/* test_trace.c - the pure parts of the probe engine (src/net/trace.c):
 * trace_match() on real replies captured in tests/system/trace.sh's
 * topology (see test_icmp.c), and on replies that must not match; the main
 * address of a hop; trace_compare() on the paths of that topology and on
 * made-up ones (the same path, silent hops, no rejoin, parting at hop 1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

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
		cmocka_unit_test(match_v4),	cmocka_unit_test(match_v6),
		cmocka_unit_test(hop_address),	cmocka_unit_test(compare_paths),
		cmocka_unit_test(answer_names), cmocka_unit_test(open_rejects_bad_options),
	};
	return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
