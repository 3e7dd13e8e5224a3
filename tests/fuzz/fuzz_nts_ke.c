/* fuzz_nts_ke.c - libFuzzer harness for the NTS-KE record parser
 * (nts_ke_parse in src/wire/nts.c).
 *
 * Parses the input as a response received so far and checks what any
 * result must satisfy: a known status; End of Message seen exactly when
 * the status says so; at most NTS_MAX_COOKIES cookies of 1..256 octets; a
 * server name of printable ASCII; codes in range.  A response that parses
 * is INCOMPLETE when cut short by any octet, and the same input parses the
 * same into a struct full of other bytes.  Then the request encoder runs
 * on ids taken from the input, and its output must parse (as a response:
 * OK for one id, MALFORMED for more).  Otherwise abort().
 *
 * Seed corpus: tests/fuzz/corpus/nts_ke/ (hand-made responses: chrony-like,
 * with Server and Port, Error, Warning, empty lists, and one of each
 * error).  Without libFuzzer, tests/fuzz/replay.c runs the corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/nts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_result(size_t size, enum nts_ke_status st, const struct nts_ke_response *r)
{
	const char *why = nts_ke_strerror(st);
	check(why != NULL && why[0] != '\0' && strcmp(why, "unknown error") != 0);
	check(st <= NTS_KE_E_TOO_LONG);
	check(size <= NTS_KE_MAX_RESPONSE || st == NTS_KE_E_TOO_LONG);
	check((st != NTS_KE_OK && st != NTS_KE_E_AFTER_END) || r->have_end);
	check(st != NTS_KE_INCOMPLETE || !r->have_end);
	check((st == NTS_KE_E_UNKNOWN_CRITICAL) ==
	      (r->unknown_critical > NTS_KE_PORT_NEG && r->unknown_critical < NTS_KE_CRITICAL));
	check(r->error >= -1 && r->error <= 0xffff);
	check(r->warning >= -1 && r->warning <= 0xffff);
	check(r->port >= -1 && r->port <= 0xffff);
	check(r->have_next || r->next_protocol == 0);
	check(r->have_aead || r->aead == 0);
	check(r->n_cookies <= NTS_MAX_COOKIES);
	for (size_t i = 0; i < r->n_cookies; i++)
		check(r->cookie_len[i] >= 1 && r->cookie_len[i] <= NTS_MAX_COOKIE_LEN);
	size_t n = strnlen(r->server, sizeof r->server);
	check(n <= NTS_MAX_SERVER_LEN);
	for (size_t i = 0; i < n; i++)
		check(r->server[i] >= 0x21 && r->server[i] <= 0x7e);
	(void)nts_aead_name(r->aead);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nts_ke_response r, q;
	enum nts_ke_status st = nts_ke_parse(data, size, &r);
	check_result(size, st, &r);

	/* The result does not depend on what the struct held. */
	memset(&q, 0xa5, sizeof q);
	check(nts_ke_parse(data, size, &q) == st);
	check(memcmp(&r, &q, sizeof r) == 0);

	/* End of Message is last: every cut of a good response is incomplete. */
	if (st == NTS_KE_OK) {
		check(size >= 4);
		check(nts_ke_parse(data, size - 1, &q) == NTS_KE_INCOMPLETE);
		check(nts_ke_parse(data, size / 2, &q) == NTS_KE_INCOMPLETE);
		check(nts_ke_parse(data, 0, &q) == NTS_KE_INCOMPLETE);
	}

	/* The request encoder, on up to NTS_MAX_AEADS ids from the input. */
	uint16_t ids[NTS_MAX_AEADS];
	size_t n_ids = size / 2 < NTS_MAX_AEADS ? size / 2 : NTS_MAX_AEADS;
	for (size_t i = 0; i < n_ids; i++)
		ids[i] = (uint16_t)(data[2 * i] << 8 | data[2 * i + 1]);
	uint8_t req[64];
	size_t len = nts_ke_request(req, sizeof req, ids, n_ids);
	check(n_ids == 0 ? len == 0 : len == 16 + 2 * (n_ids - 1));
	if (len) {
		/* A response names one AEAD: a request of more is MALFORMED as one. */
		enum nts_ke_status rs = nts_ke_parse(req, len, &q);
		check(rs == (n_ids == 1 ? NTS_KE_OK : NTS_KE_E_MALFORMED));
		check(q.have_next && q.next_protocol == NTS_NEXT_NTPV4);
		check(rs != NTS_KE_OK || (q.have_end && q.aead == ids[0]));
	}
	return 0;
}
