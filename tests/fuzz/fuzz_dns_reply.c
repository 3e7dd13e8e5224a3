/* fuzz_dns_reply.c - libFuzzer harness for the DNS reply check of
 * `sundial outage` (net/probe: probe_dns_check()).
 *
 * The first octet chooses one of a few query names; the query is made
 * with probe_dns_query() and ID 0x1234, and the rest of the input is the
 * reply.  Besides not crashing: OK only for a reply at least as long as the
 * header and the question, with the query's ID, QR set and the query's
 * question; then the fields read match the octets; the status always has a
 * name.  Every name also encodes and is rejected when the buffer is one
 * octet too short.
 *
 * Seed corpus: tests/fuzz/corpus/dns_reply/.  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { ".", "example.net", "Pool.NTP.org.", "a.b.c.d.e" };
	if (size == 0)
		return 0;
	const char *name = names[data[0] % 4];
	uint8_t q[PROBE_DNS_MAX_QUERY];
	size_t ql = probe_dns_query(0x1234, name, q, sizeof q);
	check(ql > PROBE_DNS_HEADER_LEN);
	check(probe_dns_query(0x1234, name, q, ql - 1) == 0);
	ql = probe_dns_query(0x1234, name, q, sizeof q);

	const uint8_t *r = data + 1;
	size_t rl = size - 1;
	struct probe_dns_reply out;
	memset(&out, 0xa5, sizeof out);
	enum probe_dns_status st = probe_dns_check(r, rl, q, ql, &out);
	check(probe_dns_strerror(st) != NULL);
	if (st == PROBE_DNS_OK) {
		check(rl >= ql);
		check(out.id == 0x1234 && r[0] == 0x12 && r[1] == 0x34);
		check((r[2] & 0x80) != 0);
		check(out.rcode == (r[3] & 0x0f));
		check(out.aa == ((r[2] & 0x04) != 0) && out.tc == ((r[2] & 0x02) != 0));
		check(out.ancount == (uint16_t)(r[6] << 8 | r[7]));
		check(probe_dns_rcode_name(out.rcode) != NULL);
	}
	return 0;
}
