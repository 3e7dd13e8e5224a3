/* fuzz_frame.c - libFuzzer harness for the frame decoder (src/wire/frame.c).
 *
 * The first 4 octets (big-endian, modulo the number of link types) choose
 * a link type that frame_decode() supports; the rest is the frame.  Every
 * result must have a known status and consistent fields: the payload inside
 * the frame, no more captured than on the wire, no transport fields except
 * on FRAME_OK, an IP version on OK and FRAGMENT and none on UNSUPPORTED.
 * The frame cut just before its payload must be FRAME_TRUNCATED and cut
 * anywhere after it must give the same headers; otherwise abort().
 *
 * Seed corpus: tests/fuzz/corpus/frame/ (packets of every capture in
 * tests/data/frame/, see SOURCES.md there).  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t linktypes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void check_view(enum frame_status st, uint32_t lt, const uint8_t *frame, size_t len,
		       const struct frame_view *v)
{
	check(st >= FRAME_OK && st <= FRAME_FRAGMENT);
	const char *why = frame_strerror(st);
	check(why != NULL && why[0] != '\0');
	check(v->linktype == lt);
	check(v->n_vlan <= FRAME_MAX_VLAN);
	for (unsigned i = 0; i < v->n_vlan; i++)
		check(v->vlan[i] <= 0x0fff);
	check(v->ip_version == 0 || v->ip_version == 4 || v->ip_version == 6);
	if (v->payload) {
		check(v->payload >= frame && v->payload <= frame + len);
		check(v->payload_len <= (size_t)(frame + len - v->payload));
		check(v->payload_len <= v->payload_wire_len);
	} else {
		check(v->payload_len == 0);
	}
	if (st == FRAME_OK || st == FRAME_FRAGMENT)
		check(v->ip_version != 0 && v->payload != NULL);
	if (st == FRAME_UNSUPPORTED)
		check(v->ip_version == 0);
	if (st != FRAME_OK)
		check(v->sport == 0 && v->dport == 0 && v->tcp_flags == 0 && v->icmp_type == 0 &&
		      v->icmp_code == 0);
	check(v->fragment == (st == FRAME_FRAGMENT));
	check(v->fragment || !v->first_fragment);
}

static bool same_headers(const struct frame_view *a, const struct frame_view *b)
{
	return a->n_vlan == b->n_vlan && memcmp(a->vlan, b->vlan, sizeof a->vlan) == 0 &&
	       a->pppoe == b->pppoe && a->pppoe_session == b->pppoe_session &&
	       a->ip_version == b->ip_version && memcmp(a->src, b->src, 16) == 0 &&
	       memcmp(a->dst, b->dst, 16) == 0 && a->ttl == b->ttl && a->proto == b->proto &&
	       a->fragment == b->fragment && a->first_fragment == b->first_fragment &&
	       a->sport == b->sport && a->dport == b->dport && a->tcp_flags == b->tcp_flags &&
	       a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code &&
	       a->payload == b->payload;
}

static enum frame_status decode_copy(uint32_t lt, const uint8_t *frame, size_t len,
				     struct frame_view *v)
{
	/* Exact size, so that ASan sees a read past the end of the cut. */
	uint8_t *copy = malloc(len ? len : 1);
	check(copy != NULL);
	if (len)
		memcpy(copy, frame, len);
	enum frame_status st = frame_decode(lt, copy, len, v);
	check_view(st, lt, copy, len, v);
	/* Point the payload back into frame for comparisons. */
	if (v->payload)
		v->payload = frame + (v->payload - copy);
	free(copy);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint32_t sel = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 |
		       data[3];
	uint32_t lt = linktypes[sel % (sizeof linktypes / sizeof linktypes[0])];
	check(frame_linktype_supported(lt));
	const uint8_t *frame = data + 4;
	size_t len = size - 4;

	struct frame_view full;
	enum frame_status st = decode_copy(lt, frame, len, &full);
	if (st != FRAME_OK && st != FRAME_FRAGMENT)
		return 0;

	/* Cut inside the headers: truncated.  Cut in the payload: the same
	 * headers, the payload shorter. */
	size_t end = (size_t)(full.payload - frame);
	struct frame_view v;
	if (end > 0)
		check(decode_copy(lt, frame, end - 1, &v) == FRAME_TRUNCATED);
	size_t cuts[2] = { end, end + (len - end) / 2 };
	for (size_t i = 0; i < 2; i++) {
		check(decode_copy(lt, frame, cuts[i], &v) == st);
		check(v.payload_len <= full.payload_len);
		check(v.payload_len ==
		      (full.payload_len < cuts[i] - end ? full.payload_len : cuts[i] - end));
		/* The wire length follows what was captured only when the IP
		 * header did not give one (TSO, BIG TCP). */
		struct frame_view w = v;
		w.payload_wire_len = full.payload_wire_len;
		check(same_headers(&w, &full));
	}
	return 0;
}
