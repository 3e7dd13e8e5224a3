/* tpkt.c - a captured packet made ready for the traffic analyses; see
 * tpkt.h. */
#include "analysis/tpkt.h"

#include <string.h>

#include "wire/frame.h"
#include "wire/ntp.h"

#define NS_PER_SEC 1000000000
/* Seconds that fit in int64 nanoseconds with room for the fraction. */
#define MAX_SEC (INT64_MAX / NS_PER_SEC - 1)

static int64_t time_ns(const struct timespec *ts)
{
	if (ts->tv_sec > MAX_SEC || ts->tv_sec < -MAX_SEC || ts->tv_nsec < 0 ||
	    ts->tv_nsec >= NS_PER_SEC)
		return TPKT_NO_TIME;
	return (int64_t)ts->tv_sec * NS_PER_SEC + ts->tv_nsec;
}

void tpkt_decode(uint32_t linktype, const uint8_t *frame, size_t caplen, const struct timespec *ts,
		 uint16_t port, struct tpkt *out)
{
	/* Every field a kind does not use is zeroed too: cheap, the same
	 * cache lines are written anyway. */
	out->t = time_ns(ts);
	out->ip_version = out->ntp_version = out->ntp_mode = 0;
	out->kod = out->rate = false;
	out->rec = out->xmt = 0;
	out->ck.ver = 0;
	struct frame_view f;
	enum frame_status fs = frame_decode(linktype, frame, caplen, &f);
	if (fs == FRAME_FRAGMENT) {
		out->kind = TPKT_FRAGMENT;
		return;
	}
	if (fs == FRAME_TRUNCATED) {
		out->kind = TPKT_TRUNCATED;
		return;
	}
	if (fs != FRAME_OK || f.proto != 17 || (port && f.sport != port && f.dport != port)) {
		out->kind = TPKT_OTHER;
		return;
	}
	if (f.payload_len < f.payload_wire_len) {
		out->kind = TPKT_TRUNCATED;
		return;
	}
	struct ntp_pkt n;
	enum ntp_status ns = ntp_pkt_decode(f.payload, f.payload_len, &n);
	if (ns == NTP_E_MODE) {
		out->kind = TPKT_CONTROL;
		return;
	}
	if (ns != NTP_OK) {
		out->kind = TPKT_MALFORMED;
		return;
	}
	out->ip_version = f.ip_version;
	out->ntp_version = n.version;
	out->ntp_mode = n.mode;
	/* The addresses are copied as the decoder stored them, 4 octets for
	 * IPv4 (the key makers read no more): a wider load over the narrower
	 * store just made would stall. */
	struct delta_flow fl;
	fl.ip_version = f.ip_version;
	size_t alen = f.ip_version == 6 ? 16 : 4;
	if (n.mode == NTP_MODE_CLIENT || n.mode == NTP_MODE_ACTIVE) {
		out->kind = TPKT_REQUEST;
		memcpy(fl.client, f.src, alen);
		memcpy(fl.server, f.dst, alen);
		fl.cport = f.sport;
		fl.sport = f.dport;
		clients_key_fill(f.ip_version, f.src, &out->ck);
		delta_key_fill(&fl, n.xmt_ts, &out->dk);
	} else if (n.mode == NTP_MODE_SERVER || n.mode == NTP_MODE_PASSIVE) {
		out->kind = TPKT_RESPONSE;
		memcpy(fl.client, f.dst, alen);
		memcpy(fl.server, f.src, alen);
		fl.cport = f.dport;
		fl.sport = f.sport;
		out->kod = ntp_is_kod(&n);
		out->rate = out->kod && memcmp(n.refid, "RATE", 4) == 0;
		out->rec = n.rec_ts;
		out->xmt = n.xmt_ts;
		delta_key_fill(&fl, n.org_ts, &out->dk);
	} else {
		out->kind = TPKT_OTHER;
	}
}

void tpkt_hash(const clients *cl, const delta *dl, struct tpkt *p)
{
	if (p->kind == TPKT_REQUEST) {
		clients_key_hash(cl, &p->ck);
		delta_key_hash(dl, &p->dk);
	} else if (p->kind == TPKT_RESPONSE) {
		delta_key_hash(dl, &p->dk);
	}
}

void tpkt_prefetch(const clients *cl, const delta *dl, const struct tpkt *p)
{
	if (p->kind == TPKT_REQUEST) {
		clients_prefetch(cl, &p->ck);
		delta_prefetch(dl, &p->dk);
	} else if (p->kind == TPKT_RESPONSE) {
		delta_prefetch(dl, &p->dk);
	}
}
