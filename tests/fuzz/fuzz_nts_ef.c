/* fuzz_nts_ef.c - libFuzzer harness for the NTS extension fields
 * (nts_ef_parse and nts_ef_cookies in src/wire/nts.c).
 *
 * The input follows a fixed 48-octet NTPv4 header and the whole is parsed
 * as a packet: on NTS_EF_OK every offset must lie inside the packet, the
 * identifier and authenticator must sit where their field headers say,
 * and the authenticator's nonce and ciphertext must fit in its field; the
 * result must not depend on what the view held.  The input alone is then
 * walked as the plaintext of a reply: the callback is called exactly as
 * many times as the count returned, with cookies inside the input, and not
 * at all on -1.  Otherwise abort().
 *
 * Seed corpus: tests/fuzz/corpus/nts_ef/ (the fields of the NTS request and
 * reply of tcpdump's tests/ntp-time-ef.pcap, encoder output, a plaintext
 * of cookies, and one of each error).  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/ntp.h"
#include "wire/nts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void check_view(const uint8_t *pkt, size_t len, const struct nts_ef_view *v)
{
	check((len - NTP_HEADER_LEN) % 4 == 0);
	if (v->have_uid) {
		check(v->uid_off >= NTP_HEADER_LEN + 4 && v->uid_len >= NTP_EF_MIN_LEN - 4);
		check(v->uid_off + v->uid_len <= len);
		check(be16(pkt + v->uid_off - 4) == NTS_EF_UNIQUE_ID);
		check(be16(pkt + v->uid_off - 2) == v->uid_len + 4);
	}
	if (v->have_auth) {
		size_t at = v->ad_len;
		check(at >= NTP_HEADER_LEN && at % 4 == 0 && at + NTP_EF_MIN_LEN <= len);
		check(be16(pkt + at) == NTS_EF_AUTHENTICATOR);
		size_t flen = be16(pkt + at + 2);
		check(v->nonce_off == at + 8 && v->nonce_len == be16(pkt + at + 4));
		check(v->ct_len == be16(pkt + at + 6));
		check(v->ct_off == v->nonce_off + pad4(v->nonce_len));
		check(v->ct_off + pad4(v->ct_len) <= at + flen && at + flen <= len);
	} else {
		check(!v->after_auth && v->ad_len == 0);
	}
	check((v->n_cookies + v->n_placeholders) * NTP_EF_MIN_LEN <= len - NTP_HEADER_LEN);
}

struct seen {
	const uint8_t *data;
	size_t size, calls;
};

static void on_cookie(void *arg, const uint8_t *cookie, size_t len)
{
	struct seen *s = arg;
	check(cookie >= s->data + 4 && len >= NTP_EF_MIN_LEN - 4);
	check((size_t)(cookie - s->data) + len <= s->size);
	check(be16(cookie - 4) == NTS_EF_COOKIE && be16(cookie - 2) == len + 4);
	s->calls++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	/* An exact-size packet: a client header, then the input. */
	size_t len = NTP_HEADER_LEN + size;
	uint8_t *pkt = malloc(len);
	check(pkt != NULL);
	memset(pkt, 0, NTP_HEADER_LEN);
	pkt[0] = 0x23;
	if (size)
		memcpy(pkt + NTP_HEADER_LEN, data, size);

	struct nts_ef_view v, w;
	enum nts_ef_status st = nts_ef_parse(pkt, len, &v);
	const char *why = nts_ef_strerror(st);
	check(why != NULL && why[0] != '\0' && strcmp(why, "unknown error") != 0);
	memset(&w, 0xa5, sizeof w);
	check(nts_ef_parse(pkt, len, &w) == st);
	check(memcmp(&v, &w, sizeof v) == 0);
	if (st == NTS_EF_OK)
		check_view(pkt, len, &v);
	free(pkt);

	/* The input as the plaintext of a reply. */
	struct seen s = { data, size, 0 };
	int n = nts_ef_cookies(data, size, on_cookie, &s);
	check(n >= -1);
	check(s.calls == (n < 0 ? 0 : (size_t)n));
	check(nts_ef_cookies(data, size, NULL, NULL) == n);
	return 0;
}
