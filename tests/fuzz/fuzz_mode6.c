/* fuzz_mode6.c - libFuzzer harness for the mode 6 codec (src/wire/mode6.c).
 *
 * The input is used four ways:
 *  1. as one datagram: m6_hdr_decode(); on M6_OK the data must lie inside
 *     the input and the header must encode back (for requests), and READSTAT
 *     decoding of the data must stay in bounds;
 *  2. as text: every item of the name=value iterator must lie inside the
 *     input, and every converter and m6_refclock_states_parse() runs on it;
 *  3. as a reply to reassemble: the input after two control octets is cut
 *     into fragments whose order and duplicates the control octets choose;
 *     the reassembler must give back exactly the input, or say why not;
 *  4. as a stream of length-prefixed datagrams fed to one reassembler:
 *     whatever it says, it never claims more data than its limit.
 * Any broken promise calls abort().
 *
 * Seed corpus: tests/fuzz/corpus/mode6/ (the mode 6 payloads of
 * tests/data/mode6/, READVAR texts, refclock_states strings, edge cases).
 * Without libFuzzer, tests/fuzz/replay.c runs the corpus. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/mode6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ASM_MAX 2048

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void as_datagram(const uint8_t *data, size_t size)
{
	struct m6_hdr h;
	enum m6_status st = m6_hdr_decode(data, size, &h);
	const char *why = m6_strerror(st);
	check(why != NULL && why[0] != '\0');
	if (st != M6_OK)
		return;
	check(size >= M6_HDR_LEN && h.count <= M6_MAX_DATA && M6_HDR_LEN + (size_t)h.count <= size);
	check(h.mode == 6 && h.version >= 2 && h.version <= 4 && h.opcode <= 31);
	if (!h.response && !h.error && !h.more && h.leap == 0 && h.status == 0 && h.offset == 0) {
		uint8_t out[M6_HDR_LEN + M6_MAX_DATA + 8];
		size_t n = m6_request_encode(out, sizeof out, h.version, h.opcode, h.sequence,
					     h.associd, data + M6_HDR_LEN, h.count, false);
		check(n >= M6_HDR_LEN + (size_t)h.count && n % 4 == 0 && n <= sizeof out);
		check(memcmp(out, data, M6_HDR_LEN + (size_t)h.count) == 0);
	}
	struct m6_assoc as[8];
	int k = m6_readstat_decode(data + M6_HDR_LEN, h.count, as, 8);
	check(k == -EINVAL || (k >= 0 && k <= 8));
	check((k == -EINVAL) == (h.count % 4 != 0));
	for (int i = 0; i < k; i++) {
		struct m6_peer_status ps;
		m6_peer_status_decode(as[i].status, &ps);
		check(ps.selection < 8 && m6_tally(ps.selection) != '?');
		check(m6_selection_str(ps.selection) != NULL);
	}
	struct m6_sys_status ss;
	m6_sys_status_decode(h.status, &ss);
	check(ss.leap < 4 && ss.source < 64 && m6_clock_source_str(ss.source) != NULL);
	struct m6_clock_status cs;
	m6_clock_status_decode(h.status, &cs);
	check(cs.status < 16 && m6_clock_status_str(cs.status) != NULL);
	check(m6_error_str((unsigned)(h.status >> 8)) != NULL);
}

static void states(const char *s, size_t n)
{
	struct m6_clock_state_share st[4];
	int k = m6_refclock_states_parse(s, n, st, 4);
	check(k == -EINVAL || (k >= 0 && k <= 4));
	for (int i = 0; i < k; i++) {
		check(strlen(st[i].name) > 0 && strlen(st[i].name) < sizeof st[i].name);
		check(isfinite(st[i].seconds) && st[i].seconds >= 0);
		check(isfinite(st[i].share) && st[i].share >= 0);
	}
}

static void as_text(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	struct m6_iter it;
	struct m6_var_view v;
	m6_iter_init(&it, t, size);
	while (m6_iter_next(&it, &v)) {
		check(v.name >= t && v.name_len <= size && v.name + v.name_len <= t + size);
		if (v.value)
			check(v.value >= t && v.value_len <= size &&
			      v.value + v.value_len <= t + size && v.value > v.name);
		uint64_t u;
		int64_t i;
		double d;
		char s[24];
		if (m6_value_double(&v, &d))
			check(isfinite(d));
		if (m6_value_u64(&v, &u))
			check(v.value_len > 0);
		if (m6_value_i64(&v, &i))
			check(v.value_len > 0);
		(void)m6_value_ntpts(&v, &u);
		if (m6_value_string(&v, s, sizeof s))
			check(strlen(s) < sizeof s);
		(void)m6_var_is(&v, "refclock_states");
		if (v.value)
			states(v.value, v.value_len);
	}
	states(t, size);
}

/* A tiny generator driven by the input's control octets. */
static uint32_t next(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 16;
}

static struct m6_hdr frag_hdr(uint16_t off, uint16_t count, bool more)
{
	struct m6_hdr h;
	memset(&h, 0, sizeof h);
	h.version = 4;
	h.mode = 6;
	h.response = true;
	h.more = more;
	h.opcode = M6_OP_READVAR;
	h.sequence = 77;
	h.offset = off;
	h.count = count;
	return h;
}

static void as_fragments(m6_asm *a, const uint8_t *data, size_t size)
{
	if (size < 2)
		return;
	uint32_t x = (uint32_t)data[0] << 8 | data[1];
	const uint8_t *payload = data + 2;
	size_t len = size - 2;
	size_t chunk = 1 + data[0] % M6_MAX_DATA;
	size_t n = len ? (len + chunk - 1) / chunk : 1;
	if (n > 64)
		return;
	size_t order[64];
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n; i > 1; i--) {
		size_t j = next(&x) % i;
		size_t t = order[i - 1];
		order[i - 1] = order[j];
		order[j] = t;
	}
	m6_asm_reset(a, M6_OP_READVAR, 77, 0);
	bool too_large = len > ASM_MAX, done = false;
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];
		size_t off = i * chunk;
		size_t cnt = len - off < chunk ? len - off : chunk;
		if (off > 0xffff) {
			too_large = true; /* cannot even be said on the wire */
			break;
		}
		struct m6_hdr h = frag_hdr((uint16_t)off, (uint16_t)cnt, i + 1 < n);
		int reps = (next(&x) & 3) == 0 ? 2 : 1;
		for (int r = 0; r < reps; r++) {
			enum m6_asm_result res = m6_asm_add(a, &h, payload + off);
			if (too_large && res == M6_ASM_TOO_LARGE)
				return;
			if (r == 1) {
				check(res == M6_ASM_DUP);
				continue;
			}
			check(res == (k + 1 == n ? M6_ASM_DONE : M6_ASM_MORE));
			done = res == M6_ASM_DONE;
		}
	}
	if (too_large)
		return;
	check(done);
	size_t got;
	const uint8_t *d = m6_asm_data(a, &got);
	check(got == len && (len == 0 || memcmp(d, payload, len) == 0));
	/* Another opcode's fragment does not belong to this reply. */
	struct m6_hdr other = frag_hdr(0, 0, false);
	other.opcode = M6_OP_READCLOCK;
	check(m6_asm_add(a, &other, NULL) == M6_ASM_MISMATCH);
}

static void as_stream(m6_asm *a, const uint8_t *data, size_t size)
{
	bool first = true;
	size_t pos = 0;
	while (size - pos >= 2) {
		size_t n = (size_t)data[pos] << 8 | data[pos + 1];
		pos += 2;
		if (n > size - pos)
			n = size - pos;
		struct m6_hdr h;
		if (m6_hdr_decode(data + pos, n, &h) == M6_OK) {
			if (first)
				m6_asm_reset(a, h.opcode, h.sequence, h.associd);
			first = false;
			enum m6_asm_result r = m6_asm_add(a, &h, data + pos + M6_HDR_LEN);
			check(r >= M6_ASM_MORE && r <= M6_ASM_MISMATCH);
			size_t len;
			check(m6_asm_data(a, &len) != NULL);
			check(len <= ASM_MAX);
			if (r == M6_ASM_DONE)
				check(len >= (size_t)h.offset + h.count);
		}
		pos += n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static m6_asm *a;
	if (!a) {
		a = m6_asm_new(ASM_MAX);
		check(a != NULL);
	}
	as_datagram(data, size);
	as_text(data, size);
	as_fragments(a, data, size);
	as_stream(a, data, size);
	return 0;
}
