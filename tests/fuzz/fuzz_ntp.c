/* fuzz_ntp.c - libFuzzer harness for the NTP codec (src/wire/ntp.c).
 *
 * Decodes the input as a UDP payload.  On NTP_OK, every extension field and
 * the MAC must lie inside the input and tile it exactly, the header must
 * encode back to the first 48 input octets, and the refid, kiss code and
 * timestamps must format without trouble; otherwise abort().  On error,
 * nothing past the header may be left in the result.
 *
 * Seed corpus: tests/fuzz/corpus/ntp/ (real payloads from tests/data/ntp/
 * and hand-made edge cases).  Without libFuzzer, tests/fuzz/replay.c runs
 * the corpus. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/ntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void check_fields(const uint8_t *data, size_t size, const struct ntp_pkt *p)
{
	check(size >= NTP_HEADER_LEN && size <= NTP_MAX_PKT);
	check(p->version >= 1 && p->version <= 4);
	check(p->mode != NTP_MODE_CONTROL && p->mode != NTP_MODE_PRIVATE);
	check(p->n_ef <= NTP_MAX_EF);
	check(p->version == 4 || p->n_ef == 0);

	/* Extension fields follow each other from the end of the header. */
	size_t next = NTP_HEADER_LEN;
	for (size_t i = 0; i < p->n_ef; i++) {
		const struct ntp_ef *ef = &p->ef[i];
		check(ef->len >= NTP_EF_MIN_LEN && ef->len % 4 == 0);
		check(ef->body_len == (size_t)ef->len - 4);
		check(ef->body_off == next + 4);
		check(ef->body_off <= size && ef->body_len <= size - ef->body_off);
		check(ef->type == (data[ef->body_off - 4] << 8 | data[ef->body_off - 3]));
		check(ef->len == (data[ef->body_off - 2] << 8 | data[ef->body_off - 1]));
		next = ef->body_off + ef->body_len;
	}

	/* Then the trailer, up to the end of the input. */
	switch (p->mac_kind) {
	case NTP_MAC_NONE:
		check(next == size);
		check(p->digest_len == 0);
		break;
	case NTP_MAC_CRYPTO_NAK:
		check(p->mac_off == next && size - next == 4);
		check(p->key_id == 0 && be32(data + p->mac_off) == 0);
		check(p->digest_len == 0);
		break;
	case NTP_MAC_DIGEST:
		check(p->mac_off == next && p->mac_off <= size - 4);
		check(p->digest_len >= 16 && p->digest_len <= NTP_MAX_DIGEST);
		check(p->version < 4 || p->digest_len <= NTP_MAX_V4_MAC - 4);
		check(p->mac_off + 4 + p->digest_len == size);
		check(p->key_id == be32(data + p->mac_off));
		check(memcmp(p->digest, data + p->mac_off + 4, p->digest_len) == 0);
		break;
	default: abort();
	}
}

/* Timestamps convert to valid calendar times and back to within a
 * nanosecond (3 units of 2^-32 s); offset and delay are finite. */
static void check_times(const struct ntp_pkt *p)
{
	const uint64_t ts[4] = { p->ref_ts, p->org_ts, p->rec_ts, p->xmt_ts };
	struct timespec pivot = { .tv_sec = 2085978496, .tv_nsec = 0 }; /* the 2036 rollover */
	for (size_t i = 0; i < 4; i++) {
		struct timespec t;
		ntp_ts_to_timespec(ts[i], &pivot, &t);
		check(t.tv_nsec >= 0 && t.tv_nsec < 1000000000);
		int64_t d = ntp_ts_sub(ntp_ts_from_timespec(&t), ts[i]);
		check(d >= -3 && d <= 3);
	}
	double offset, delay;
	ntp_offset_delay(p->org_ts, p->rec_ts, p->xmt_ts, p->ref_ts, &offset, &delay);
	check(isfinite(offset) && isfinite(delay));
	check(isfinite(ntp_ts_diff(p->xmt_ts, p->org_ts)));
	check(isfinite(ntp_short_to_sec(p->root_delay)));
}

static void check_text(const struct ntp_pkt *p)
{
	char buf[32], small[5];
	check(ntp_refid_format(p, buf, sizeof buf) == buf);
	check(strlen(buf) < sizeof buf);
	check(ntp_refid_format(p, small, sizeof small) == small);
	check(strlen(small) < sizeof small);

	enum ntp_kiss_action act = NTP_KISS_NONE;
	const char *meaning = ntp_kiss_describe(p->refid, &act);
	check(meaning != NULL && meaning[0] != '\0');
	check(act <= NTP_KISS_UNKNOWN);
	(void)ntp_is_kod(p);
	check(ntp_mode_name(p->mode) != NULL && ntp_leap_name(p->leap) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntp_pkt p;
	enum ntp_status st = ntp_pkt_decode(data, size, &p);
	const char *why = ntp_strerror(st);
	check(why != NULL && why[0] != '\0');
	if (st != NTP_OK) {
		/* ntp.h: on error only header fields are left. */
		check(p.n_ef == 0 && p.mac_kind == NTP_MAC_NONE && p.key_id == 0 &&
		      p.mac_off == 0 && p.digest_len == 0);
		check(size <= NTP_MAX_PKT || st == NTP_E_TOO_LONG);
		return 0;
	}

	check_fields(data, size, &p);
	check_times(&p);
	check_text(&p);

	/* The header encodes back to the octets it came from. */
	uint8_t hdr[NTP_HEADER_LEN];
	check(ntp_pkt_encode(&p, hdr, sizeof hdr) == NTP_HEADER_LEN);
	check(memcmp(hdr, data, NTP_HEADER_LEN) == 0);
	return 0;
}
