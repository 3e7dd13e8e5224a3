/* fuzz_icmp.c - libFuzzer harness for the traceroute reply decoder and the
 * probe builders (src/wire/icmp.c).
 *
 * The first octet (modulo 4) chooses the layer the message starts with
 * (ICMP_L_IP, ICMP_L_ICMP4, ICMP_L_ICMP6, ICMP_L_TCP); the rest is the
 * message.  Every result must have a known status and consistent fields
 * (at most ICMP_MAX_MPLS labels, extensions either right or bad, a quote
 * of IPv4 or IPv6); the message cut one octet short and cut in half must
 * decode too (each decode is of an exact-size heap copy, so that ASan sees
 * a read past the end).  The first 46 octets also make a flow whose probes
 * are built and decoded back: the TCP SYN's sequence number, the UDP
 * checksum asked for, the echo's checksum the same for two sequence
 * numbers, the NTP request's checksum asked for and in its transmit
 * timestamp, and the reply made of it matched by net/trace's
 * trace_match_ntp() with that tag.  The message is also given to
 * trace_match_ntp() as a reply (it must not match unless its origin
 * timestamp is right).  Otherwise abort().
 *
 * Seed corpus: tests/fuzz/corpus/icmp/ (the replies of tests/unit/test_icmp.c,
 * captured in tests/system/trace.sh's topology, and crafted extensions).
 * Without libFuzzer, tests/fuzz/replay.c runs the corpus. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/trace.h"
#include "wire/icmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static enum icmp_status decode_copy(enum icmp_layer l, const uint8_t *p, size_t len,
				    struct icmp_reply *r)
{
	uint8_t *copy = malloc(len ? len : 1);
	check(copy != NULL);
	if (len)
		memcpy(copy, p, len);
	enum icmp_status st = icmp_decode(l, copy, len, r);
	free(copy);
	check(st >= ICMP_OK && st <= ICMP_UNSUPPORTED);
	const char *why = icmp_strerror(st);
	check(why != NULL && why[0] != '\0');
	check(r->ip_version == 0 || r->ip_version == 4 || r->ip_version == 6);
	check(r->n_mpls <= ICMP_MAX_MPLS);
	check(!(r->ext && r->ext_bad));
	check(r->ext || (r->n_mpls == 0 && r->n_ext_objects == 0 && !r->mpls_more));
	check(!r->quoted || r->quote.ip_version == 4 || r->quote.ip_version == 6);
	check(r->quoted || !r->quote.transport);
	check(r->kind <= ICMP_K_TCP);
	check(r->quote_len <= len);
	for (size_t i = 0; i < r->n_mpls; i++)
		check(r->mpls[i].label < (1u << 20) && r->mpls[i].tc < 8);
	return st;
}

static void probes(const uint8_t *d, size_t n)
{
	if (n < 46)
		return;
	struct icmp_flow f;
	memset(&f, 0, sizeof f);
	f.ip_version = d[0] & 1 ? 6 : 4;
	memcpy(f.src, d + 1, 16);
	memcpy(f.dst, d + 17, 16);
	f.sport = (uint16_t)(d[33] << 8 | d[34]);
	f.dport = (uint16_t)(d[35] << 8 | d[36]);
	f.icmp_id = (uint16_t)(d[37] << 8 | d[38]);
	uint32_t seq = (uint32_t)d[39] << 24 | (uint32_t)d[40] << 16 | (uint32_t)d[41] << 8 | d[42];
	uint16_t want = (uint16_t)(d[43] << 8 | d[44]);
	uint8_t b[64];
	struct icmp_reply r;

	check(icmp_build_tcp_syn(&f, seq, b, sizeof b) == ICMP_TCP_PROBE_LEN);
	check(decode_copy(ICMP_L_TCP, b, ICMP_TCP_PROBE_LEN, &r) == ICMP_OK);
	check(r.kind == ICMP_K_TCP && r.seq == seq && r.sport == f.sport && r.dport == f.dport &&
	      r.tcp_flags == ICMP_TCP_SYN);

	size_t u = icmp_build_udp(&f, want, b, sizeof b);
	if (want == 0 || want == 0xffff) {
		check(u == 0);
	} else {
		check(u == ICMP_UDP_PROBE_LEN);
		check((b[6] << 8 | b[7]) == want);
	}

	f.dport = ICMP_NTP_PORT;
	u = icmp_build_ntp(&f, seq, want, b, sizeof b);
	if (want == 0 || want == 0xffff) {
		check(u == 0 && icmp_ntp_xmt(&f, seq, want) == 0);
	} else {
		check(u == ICMP_NTP_PROBE_LEN);
		check((b[6] << 8 | b[7]) == want && b[8] == 0x23);
		uint64_t x = 0;
		for (size_t i = 0; i < 8; i++)
			x = x << 8 | b[48 + i];
		check(x == icmp_ntp_xmt(&f, seq, want) && x >> 32 == seq &&
		      (uint16_t)(x >> 16) == want);
		/* The server's reply: mode 4, origin = transmit. */
		struct trace_flow_key k;
		memset(&k, 0, sizeof k);
		k.family = f.ip_version;
		k.proto = 17;
		memcpy(k.src, f.src, 16);
		memcpy(k.dst, f.dst, 16);
		k.sport = f.sport;
		k.dport = f.dport;
		k.ntp_cookie = seq;
		uint8_t reply[ICMP_NTP_LEN];
		memcpy(reply, b + 8, ICMP_NTP_LEN);
		reply[0] = 0x24;
		memcpy(reply + 24, b + 48, 8);
		uint32_t tag = 0;
		struct trace_ntp ntp;
		check(trace_match_ntp(&k, reply, sizeof reply, &tag, &ntp) && tag == want);
		check(!trace_match_ntp(&k, reply, sizeof reply - 1, &tag, &ntp));
		/* The fuzzer's octets as a reply to that flow: a match is a
		 * reply to the request with that tag. */
		if (trace_match_ntp(&k, d + 46, n - 46, &tag, &ntp)) {
			check(n - 46 >= ICMP_NTP_LEN && tag != 0 && tag < 0xffff);
			uint64_t o = 0;
			for (size_t i = 0; i < 8; i++)
				o = o << 8 | d[46 + 24 + i];
			check(o == icmp_ntp_xmt(&f, seq, (uint16_t)tag));
		}
	}
	f.dport = (uint16_t)(d[35] << 8 | d[36]);

	check(icmp_build_echo(&f, (uint16_t)seq, b, sizeof b) == ICMP_ECHO_PROBE_LEN);
	unsigned c1 = (unsigned)(b[2] << 8 | b[3]);
	check(icmp_build_echo(&f, (uint16_t)(seq >> 16) ^ d[45], b, sizeof b) ==
	      ICMP_ECHO_PROBE_LEN);
	check((unsigned)(b[2] << 8 | b[3]) == c1);
	check(decode_copy(f.ip_version == 6 ? ICMP_L_ICMP6 : ICMP_L_ICMP4, b, ICMP_ECHO_PROBE_LEN,
			  &r) == ICMP_OK);
	check(r.kind == ICMP_K_OTHER && r.type == (f.ip_version == 6 ? 128 : 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum icmp_layer l = (enum icmp_layer)(data[0] % 4);
	const uint8_t *m = data + 1;
	size_t len = size - 1;
	struct icmp_reply full, r;
	enum icmp_status st = decode_copy(l, m, len, &full);
	if (len > 0)
		(void)decode_copy(l, m, len - 1, &r);
	(void)decode_copy(l, m, len / 2, &r);
	/* Without an outer IP header, a message that decoded still decodes
	 * with its extensions cut off, with the same quote. */
	if (st == ICMP_OK && l != ICMP_L_IP && full.quoted && full.quote.transport) {
		check(decode_copy(l, m, 8 + full.quote_len, &r) == ICMP_OK);
		check(r.kind == full.kind && r.quote.transport);
		check(memcmp(&r.quote, &full.quote, sizeof r.quote) == 0);
	}
	probes(m, len);
	return 0;
}
