/* fuzz_chrony.c - libFuzzer harness for chronyd's command protocol codec
 * (src/wire/chrony.c).
 *
 * The input is a reply datagram.  Every decoder runs on it as it is; then,
 * so that the body decoders are reached whatever the fuzzer makes of the
 * header, each runs again on a copy whose header is made acceptable
 * (version 5 or 6 from the input's first bit, a reply, reserved octets 0,
 * status success) and whose format is the decoder's own.  A decoder that
 * says CHR_OK must leave consistent fields (address families 0-3, at most
 * 8 clients, printable names, a length at least its format's); otherwise
 * abort().  Buffers are exact-size heap copies so that ASan sees any read
 * past the end.
 *
 * Seed corpus: tests/fuzz/corpus/chrony/ (the replies of chronyd 4.3 in
 * tests/data/chrony/, and built replies of the formats 4.3 does not send).
 * Without libFuzzer, tests/fuzz/replay.c runs the corpus. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/chrony.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_addr(const struct chr_addr *a)
{
	check(a->family <= 3);
	char s[64], tiny[4];
	check(chr_addr_format(a, s, sizeof s) == s && strlen(s) < sizeof s);
	check(chr_addr_format(a, tiny, sizeof tiny) == tiny && strlen(tiny) < sizeof tiny);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return false;
	return true;
}

/* Runs every decoder on buf[0..len). */
static void decode_all(const uint8_t *buf, size_t len)
{
	struct chr_rpy_hdr h;
	uint16_t cmd = len >= 6 ? (uint16_t)(buf[4] << 8 | buf[5]) : 0;
	uint32_t seq = len >= 20 ? (uint32_t)buf[16] << 24 | (uint32_t)buf[17] << 16 |
					   (uint32_t)buf[18] << 8 | buf[19]
				 : 0;
	enum chr_result rc = chr_reply_header(buf, len, cmd, seq, &h);
	check(chr_strerror(rc)[0] != '\0');
	check(chr_status_str(h.status)[0] != '\0');
	if (rc == CHR_OK)
		check(len >= CHR_RPY_HDR_LEN && h.status == 0 &&
		      (h.version == 5 || h.version == 6));

	struct chr_tracking t;
	if (chr_decode_tracking(buf, len, &t) == CHR_OK) {
		check(len >= 104);
		check_addr(&t.ip);
		check(isfinite(t.ref_time) && isfinite(t.current_correction) &&
		      isfinite(t.last_update_interval));
	}
	uint32_t n;
	if (chr_decode_n_sources(buf, len, &n) == CHR_OK)
		check(len >= 32);
	struct chr_source_data sd;
	if (chr_decode_source_data(buf, len, &sd) == CHR_OK) {
		check(len >= 76);
		check_addr(&sd.ip);
		check(isfinite(sd.latest_meas) && isfinite(sd.latest_meas_err));
	}
	struct chr_sourcestats ss;
	if (chr_decode_sourcestats(buf, len, &ss) == CHR_OK) {
		check(len >= 84);
		check_addr(&ss.ip);
	}
	struct chr_serverstats sv;
	if (chr_decode_serverstats(buf, len, &sv) == CHR_OK) {
		switch (sv.version_reply) {
		case 14: check(len >= 48 && sv.present == 0); break;
		case 22: check(len >= 60 && sv.present == (CHR_SS_NKE | CHR_SS_AUTH)); break;
		case 24:
			check(len >= 72 &&
			      sv.present == (CHR_SS_NKE | CHR_SS_AUTH | CHR_SS_INTERL));
			break;
		case 25:
			check(len >= 196 && sv.present == (CHR_SS_NKE | CHR_SS_AUTH |
							   CHR_SS_INTERL | CHR_SS_TSSRC));
			break;
		default: abort();
		}
	}
	struct chr_ntp_data nd;
	if (chr_decode_ntp_data(buf, len, &nd) == CHR_OK) {
		check((nd.version_reply == 16 && len >= 152) ||
		      (nd.version_reply == 26 && len >= 172));
		check_addr(&nd.remote);
		check_addr(&nd.local);
		check(isfinite(nd.ref_time) && isfinite(nd.offset));
	}
	char name[256], small[6];
	if (chr_decode_source_name(buf, len, name, sizeof name) == CHR_OK)
		check(len >= 284 && strlen(name) < sizeof name && printable(name));
	if (chr_decode_source_name(buf, len, small, sizeof small) == CHR_OK)
		check(strlen(small) < sizeof small && printable(small));
	struct chr_activity ac;
	if (chr_decode_activity(buf, len, &ac) == CHR_OK)
		check(len >= 48);
	struct chr_client_accesses ca;
	if (chr_decode_client_accesses(buf, len, &ca) == CHR_OK) {
		check(len >= 520 && ca.n_clients <= CHR_MAX_CLIENTS_PER_REPLY);
		for (size_t i = 0; i < ca.n_clients; i++)
			check_addr(&ca.clients[i].ip);
	}
}

static void run_exact(const uint8_t *data, size_t size)
{
	uint8_t *b = calloc(size ? size : 1, 1);
	if (!b)
		return;
	if (size)
		memcpy(b, data, size);
	decode_all(b, size);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_exact(data, size);
	if (size < CHR_RPY_HDR_LEN || size > 4096)
		return 0;

	/* The body decoders, whatever the header said. */
	static const uint16_t formats[] = { 2, 3, 5, 6, 12, 14, 16, 19, 21, 22, 24, 25, 26 };
	uint8_t *b = malloc(size);
	if (!b)
		return 0;
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		memcpy(b, data, size);
		b[0] = data[0] & 1 ? 5 : 6;
		b[1] = 2;
		b[2] = b[3] = 0;
		b[6] = (uint8_t)(formats[i] >> 8);
		b[7] = (uint8_t)formats[i];
		b[8] = b[9] = 0;
		decode_all(b, size);
	}
	free(b);
	return 0;
}
