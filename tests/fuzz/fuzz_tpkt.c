/* fuzz_tpkt.c - libFuzzer harness for the traffic path: a frame decoded into
 * a struct tpkt (src/analysis/tpkt.c: frame and NTP decoders), its keys made,
 * and the packet fed to the clients and delta analyses, as `sundial traffic`
 * does, together with the same frame turned around (a reply to it).
 *
 * Input: 4 octets choose the link type (as in fuzz_frame.c) and, with their
 * top bit, whether port 123 is required; the rest is the frame.  The decoded
 * packet must be consistent: a known kind; requests and responses with IP
 * version 4 or 6, NTP version 1-4 and a mode of their kind; fields of other
 * kinds zero; otherwise abort().  Sanitizers watch the analyses.
 *
 * Seed corpus: tests/fuzz/corpus/tpkt/ (the frame corpus, same format).
 * Without libFuzzer, tests/fuzz/replay.c runs the corpus. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/clients.h"
#include "analysis/delta.h"
#include "analysis/tpkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t linktypes[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void feed(clients *cl, delta *dl, const struct tpkt *p)
{
	check(p->kind <= TPKT_MALFORMED);
	if (p->kind == TPKT_REQUEST || p->kind == TPKT_RESPONSE) {
		check(p->ip_version == 4 || p->ip_version == 6);
		check(p->ntp_version >= 1 && p->ntp_version <= 4);
		if (p->kind == TPKT_REQUEST)
			check(p->ntp_mode == 1 || p->ntp_mode == 3);
		else
			check(p->ntp_mode == 2 || p->ntp_mode == 4);
		check(p->kind == TPKT_RESPONSE || (!p->kod && !p->rate && !p->has_server));
		check(!p->rate || p->kod);
		if (p->ip_version == 4)
			check(zero(p->src + 4, 12) && zero(p->dst + 4, 12));
		struct tpkt_keys k;
		tpkt_keys(cl, dl, p, &k);
		tpkt_prefetch(cl, dl, p, &k);
		double sec = (double)p->t / 1e9;
		if (p->kind == TPKT_REQUEST) {
			check(k.ck.ver == p->ip_version);
			clients_request(cl, sec, &k.ck, p->ntp_version, p->ntp_mode);
			delta_request(dl, p->t, &k.dk);
		} else {
			check(k.ck.ver == 0);
			clients_response(cl, sec, p->kod, p->rate);
			delta_answer(dl, p->t, &k.dk, p->has_server, p->server, p->kod);
		}
	} else {
		check(p->ip_version == 0 && p->ts == 0 && p->server == 0 && !p->kod && !p->rate &&
		      !p->has_server);
		check(zero(p->src, 16) && zero(p->dst, 16) && p->sport == 0 && p->dport == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint32_t sel = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 |
		       data[3];
	uint32_t lt = linktypes[(sel & 0x7fffffff) % (sizeof linktypes / sizeof linktypes[0])];
	uint16_t port = sel >> 31 ? 123 : 0;
	const uint8_t *frame = data + 4;
	size_t len = size - 4;

	struct clients_opts co = { { 1, 2 }, 2, false, 3, 1 };
	clients *cl = clients_new(&co);
	delta *dl = delta_new(1);
	check(cl && dl);
	struct timespec ts = { 1767225600, 999999999 };
	struct tpkt p;
	tpkt_decode(lt, frame, len, &ts, port, &p);
	check(p.t == INT64_C(1767225600999999999));
	feed(cl, dl, &p);
	/* The same packet again a microsecond later (a retransmit or a
	 * duplicate), and a second later (expiry). */
	ts.tv_nsec = 0;
	ts.tv_sec++;
	tpkt_decode(lt, frame, len, &ts, port, &p);
	feed(cl, dl, &p);
	delta_expire(dl, INT64_C(1767225605000000000));
	struct delta_stats ds;
	delta_stats(dl, &ds);
	check(ds.requests + ds.responses <= 2);
	struct clients_summary cs;
	clients_summary(cl, &cs);
	check(cs.requests == ds.requests && cs.responses == ds.responses);
	delta_finish(dl);
	clients_free(cl);
	delta_free(dl);
	return 0;
}
