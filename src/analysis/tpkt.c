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
	/* Built in a local copy and stored whole: the line goes to another
	 * core, and one full-line store is cheaper than many small ones. */
	struct tpkt p;
	memset(&p, 0, sizeof p);
	p.t = time_ns(ts);
	struct frame_view f;
	enum frame_status fs = frame_decode(linktype, frame, caplen, &f);
	struct ntp_pkt n;
	enum ntp_status ns = NTP_OK;
	if (fs == FRAME_FRAGMENT)
		p.kind = TPKT_FRAGMENT;
	else if (fs == FRAME_TRUNCATED)
		p.kind = TPKT_TRUNCATED;
	else if (fs != FRAME_OK || f.proto != 17 || (port && f.sport != port && f.dport != port))
		p.kind = TPKT_OTHER;
	else if (f.payload_len < f.payload_wire_len)
		p.kind = TPKT_TRUNCATED;
	else if ((ns = ntp_pkt_decode(f.payload, f.payload_len, &n)) == NTP_E_MODE)
		p.kind = TPKT_CONTROL;
	else if (ns != NTP_OK)
		p.kind = TPKT_MALFORMED;
	else if (n.mode == NTP_MODE_CLIENT || n.mode == NTP_MODE_ACTIVE ||
		 n.mode == NTP_MODE_SERVER || n.mode == NTP_MODE_PASSIVE) {
		bool request = n.mode == NTP_MODE_CLIENT || n.mode == NTP_MODE_ACTIVE;
		p.kind = request ? TPKT_REQUEST : TPKT_RESPONSE;
		p.ip_version = f.ip_version & 15;
		p.ntp_version = n.version & 7;
		p.ntp_mode = n.mode & 7;
		/* As many octets as the decoder stored (4 for IPv4): a wider
		 * load over the narrower store just made would stall. */
		size_t alen = f.ip_version == 6 ? 16 : 4;
		memcpy(p.src, f.src, alen);
		memcpy(p.dst, f.dst, alen);
		p.sport = f.sport;
		p.dport = f.dport;
		if (request) {
			p.ts = n.xmt_ts;
		} else {
			p.ts = n.org_ts;
			p.kod = ntp_is_kod(&n);
			p.rate = p.kod && memcmp(n.refid, "RATE", 4) == 0;
			p.has_server = n.rec_ts && n.xmt_ts;
			/* Modulo 2^64: an era rollover between them is harmless. */
			p.server = p.has_server ? (int64_t)(n.xmt_ts - n.rec_ts) : 0;
		}
	} else {
		p.kind = TPKT_OTHER; /* broadcast, reserved */
		p.ntp_version = n.version & 7;
		p.ntp_mode = n.mode & 7;
	}
	*out = p;
}

void tpkt_keys(const clients *cl, const delta *dl, const struct tpkt *p, struct tpkt_keys *k)
{
	struct delta_flow fl;
	fl.ip_version = p->ip_version;
	bool request = p->kind == TPKT_REQUEST;
	/* The flow as the request travels: client -> server. */
	memcpy(fl.client, request ? p->src : p->dst, 16);
	memcpy(fl.server, request ? p->dst : p->src, 16);
	fl.cport = request ? p->sport : p->dport;
	fl.sport = request ? p->dport : p->sport;
	delta_key_make(dl, &fl, p->ts, &k->dk);
	if (request)
		clients_key_make(cl, p->ip_version, p->src, &k->ck);
	else
		clients_key_make(cl, 0, p->src, &k->ck); /* ver 0: none */
}

void tpkt_prefetch(const clients *cl, const delta *dl, const struct tpkt *p,
		   const struct tpkt_keys *k)
{
	if (p->kind == TPKT_REQUEST)
		clients_prefetch(cl, &k->ck);
	if (p->kind == TPKT_REQUEST || p->kind == TPKT_RESPONSE)
		delta_prefetch(dl, &k->dk);
}
