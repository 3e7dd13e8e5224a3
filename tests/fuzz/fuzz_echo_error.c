/* fuzz_echo_error.c - libFuzzer harness for the reading of ICMP errors to
 * echo requests on a raw socket (`sundial outage icmp://`, net/probe:
 * probe_echo_error()).
 *
 * The first octet chooses IPv4 (even) or IPv6 (odd), the next two the
 * identifier the probes use; the rest is the message as a raw socket
 * delivers it (IPv4 with its IP header, ICMPv6 without).  The target is
 * 198.51.100.7 or 2001:db8:97::7 (as in the seed captures).  Besides not
 * crashing: a message taken is at least an ICMP header and a quoted IP
 * header long, is an error type (IPv4 3, 11, 12; ICMPv6 1, 2, 3, 4), and
 * has a name through probe_icmp_reason().
 *
 * Seed corpus: tests/fuzz/corpus/echo_error/ (the two captures of
 * tests/unit/test_outage.c).  Without libFuzzer, tests/fuzz/replay.c runs
 * the corpus. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	bool v6 = data[0] & 1;
	uint16_t id = (uint16_t)(data[1] << 8 | data[2]);
	const uint8_t *pkt = data + 3;
	size_t len = size - 3;
	struct sockaddr_storage target;
	memset(&target, 0, sizeof target);
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&target;
		a->sin6_family = AF_INET6;
		check(inet_pton(AF_INET6, "2001:db8:97::7", &a->sin6_addr) == 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&target;
		a->sin_family = AF_INET;
		check(inet_pton(AF_INET, "198.51.100.7", &a->sin_addr) == 1);
	}
	struct probe_echo_err e;
	memset(&e, 0xa5, sizeof e);
	if (!probe_echo_error(pkt, len, v6, id, (const struct sockaddr *)&target, &e))
		return 0;
	check(len >= (v6 ? 8u + 40u : 20u + 8u + 20u));
	if (v6)
		check(e.type >= 1 && e.type <= 4);
	else
		check(e.type == 3 || e.type == 11 || e.type == 12);
	char why[PROBE_WHY_LEN];
	probe_icmp_reason(v6, e.type, e.code, e.info, NULL, why, sizeof why);
	check(why[0] != '\0' && strlen(why) < sizeof why);
	return 0;
}
