/* icmp.c - ICMP and ICMPv6 replies to traceroute probes, and the probes.
 * See icmp.h.  Pure: no I/O, no allocation.
 *
 * Every read of the message goes through struct rd; the quote and the
 * extension structure each get a sub-reader bounded by the length RFC 4884
 * gives them, so that neither can run into the other.  A header that ends
 * early is ICMP_TRUNCATED, one whose fields cannot be right ICMP_INVALID.
 * A quote that is cut after the quoted IP header and its first 8 octets of
 * transport header is normal (routers quote 8 octets, RFC 792, or up to 576
 * octets of ICMP, RFC 1812 section 4.3.2.3).
 */
#include "wire/icmp.h"

#include <string.h>

#include "common/rd.h"
#include "wire/ipproto.h"

#define MAX_EXT_HEADERS 8  /* IPv6 extension headers walked in a quote */
#define RFC4884_COMPAT 128 /* where pre-RFC 4884 routers put extensions (section 5.5) */

const char *icmp_strerror(enum icmp_status st)
{
	switch (st) {
	case ICMP_OK: return "ok";
	case ICMP_TRUNCATED: return "truncated message";
	case ICMP_INVALID: return "invalid header";
	case ICMP_UNSUPPORTED: return "neither ICMP, ICMPv6 nor TCP";
	}
	return "unknown error";
}

/* --- the Internet checksum (RFC 1071) ------------------------------------ */

/* Adds n octets as 16-bit big-endian words (an odd last octet padded with
 * zero) to the running sum s. */
static uint32_t sum_add(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;
	for (i = 0; i + 1 < n; i += 2) {
		s += (uint32_t)p[i] << 8 | p[i + 1];
		s = (s & 0xffff) + (s >> 16);
	}
	if (i < n) {
		s += (uint32_t)p[i] << 8;
		s = (s & 0xffff) + (s >> 16);
	}
	return s;
}

/* The ones' complement sum s folded to 16 bits. */
static uint16_t sum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

uint16_t icmp_checksum(const uint8_t *p, size_t n)
{
	return (uint16_t)~sum_fold(sum_add(0, p, n));
}

/* The pseudo-header of TCP, UDP (RFC 768, RFC 9293 section 3.1) and ICMPv6
 * (RFC 8200 section 8.1) over IPv4 or IPv6. */
static uint32_t pseudo_sum(const struct icmp_flow *f, uint8_t proto, size_t len)
{
	size_t alen = f->ip_version == 6 ? 16 : 4;
	uint32_t s = sum_add(0, f->src, alen);
	s = sum_add(s, f->dst, alen);
	s += proto;
	s += (uint32_t)len;
	return sum_fold(s);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* --- probes ---------------------------------------------------------------- */

size_t icmp_build_tcp_syn(const struct icmp_flow *f, uint32_t seq, uint8_t *buf, size_t len)
{
	if (len < ICMP_TCP_PROBE_LEN)
		return 0;
	struct wr w = wr_make(buf, ICMP_TCP_PROBE_LEN);
	wr_be16(&w, f->sport);
	wr_be16(&w, f->dport);
	wr_be32(&w, seq);
	wr_be32(&w, 0);				  /* acknowledgment number */
	wr_u8(&w, (ICMP_TCP_PROBE_LEN / 4) << 4); /* data offset 6 */
	wr_u8(&w, ICMP_TCP_SYN);
	wr_be16(&w, 64240); /* window */
	wr_be16(&w, 0);	    /* checksum, below */
	wr_be16(&w, 0);	    /* urgent pointer */
	wr_u8(&w, 2);	    /* MSS option (RFC 9293 section 3.2) */
	wr_u8(&w, 4);
	wr_be16(&w, 1460);
	if (w.bad)
		return 0;
	uint32_t s = sum_add(pseudo_sum(f, IPP_TCP, ICMP_TCP_PROBE_LEN), buf, ICMP_TCP_PROBE_LEN);
	put_be16(buf + 16, (uint16_t)~sum_fold(s));
	return ICMP_TCP_PROBE_LEN;
}

/* The checksum C of a datagram is ~(P + W) in ones' complement arithmetic,
 * where P sums the pseudo-header and the header with C = 0, and W is the
 * data.  For C = cksum, W = ~cksum - P = ~cksum + ~P. */
size_t icmp_build_udp(const struct icmp_flow *f, uint16_t cksum, uint8_t *buf, size_t len)
{
	if (len < ICMP_UDP_PROBE_LEN || cksum == 0 || cksum == 0xffff)
		return 0;
	struct wr w = wr_make(buf, ICMP_UDP_PROBE_LEN);
	wr_be16(&w, f->sport);
	wr_be16(&w, f->dport);
	wr_be16(&w, ICMP_UDP_PROBE_LEN);
	wr_be16(&w, 0);
	if (w.bad)
		return 0;
	uint16_t p = sum_fold(sum_add(pseudo_sum(f, IPP_UDP, ICMP_UDP_PROBE_LEN), buf, 8));
	uint16_t data = sum_fold((uint32_t)(uint16_t)~cksum + (uint16_t)~p);
	wr_be16(&w, data);
	put_be16(buf + 6, cksum);
	return ICMP_UDP_PROBE_LEN;
}

/* The NTP request (RFC 5905 section 7.3, figure 8), after the UDP header:
 *
 *  |LI|VN |Mode| Stratum |  Poll  | Precision |    0x23, then zeros
 *  |        root delay, root dispersion      |
 *  |  reference ID, reference timestamp      |
 *  |  origin timestamp, receive timestamp    |    zeros
 *  |  transmit timestamp                     |    cookie, cksum, make-up
 *
 * The make-up octets (46 and 47 of the request, at an even offset of the
 * datagram as the checksum's 16-bit words need) are found as in
 * icmp_build_udp(): the sum of everything else is P, and they are
 * ~cksum + ~P.  Writes ICMP_NTP_PROBE_LEN octets to buf (which has
 * room); returns the transmit timestamp, or 0 if cksum cannot be. */
static uint64_t ntp_probe(const struct icmp_flow *f, uint32_t cookie, uint16_t cksum, uint8_t *buf)
{
	if (cksum == 0 || cksum == 0xffff)
		return 0;
	struct wr w = wr_make(buf, ICMP_NTP_PROBE_LEN);
	wr_be16(&w, f->sport);
	wr_be16(&w, f->dport);
	wr_be16(&w, ICMP_NTP_PROBE_LEN);
	wr_be16(&w, 0);			/* checksum, below */
	wr_u8(&w, 0 << 6 | 4 << 3 | 3); /* LI 0 (none), VN 4, mode 3 (client) */
	wr_zero(&w, ICMP_NTP_LEN - 1 - 8);
	wr_be32(&w, cookie);
	wr_be16(&w, cksum);
	wr_be16(&w, 0); /* make-up, below */
	if (w.bad)
		return 0;
	uint16_t p = sum_fold(
		sum_add(pseudo_sum(f, IPP_UDP, ICMP_NTP_PROBE_LEN), buf, ICMP_NTP_PROBE_LEN));
	uint16_t makeup = sum_fold((uint32_t)(uint16_t)~cksum + (uint16_t)~p);
	put_be16(buf + ICMP_NTP_PROBE_LEN - 2, makeup);
	put_be16(buf + 6, cksum);
	return (uint64_t)cookie << 32 | (uint64_t)cksum << 16 | makeup;
}

size_t icmp_build_ntp(const struct icmp_flow *f, uint32_t cookie, uint16_t cksum, uint8_t *buf,
		      size_t len)
{
	if (len < ICMP_NTP_PROBE_LEN || ntp_probe(f, cookie, cksum, buf) == 0)
		return 0;
	return ICMP_NTP_PROBE_LEN;
}

uint64_t icmp_ntp_xmt(const struct icmp_flow *f, uint32_t cookie, uint16_t cksum)
{
	uint8_t buf[ICMP_NTP_PROBE_LEN];
	return ntp_probe(f, cookie, cksum, buf);
}

/* The sequence number and the first two octets of data add up to 0xffff
 * (negative zero) whatever seq is: seq + ~seq.  So the checksum is that of
 * the rest of the message, the same for every probe of the flow. */
size_t icmp_build_echo(const struct icmp_flow *f, uint16_t seq, uint8_t *buf, size_t len)
{
	static const uint8_t pad[ICMP_ECHO_PROBE_LEN - 10] = "sundial trace";
	if (len < ICMP_ECHO_PROBE_LEN)
		return 0;
	bool v6 = f->ip_version == 6;
	struct wr w = wr_make(buf, ICMP_ECHO_PROBE_LEN);
	wr_u8(&w, v6 ? 128 : 8);
	wr_u8(&w, 0);
	wr_be16(&w, 0);
	wr_be16(&w, f->icmp_id);
	wr_be16(&w, seq);
	wr_be16(&w, (uint16_t)~seq);
	wr_bytes(&w, pad, sizeof pad);
	if (w.bad)
		return 0;
	uint32_t s = v6 ? pseudo_sum(f, IPP_ICMPV6, ICMP_ECHO_PROBE_LEN) : 0;
	s = sum_add(s, buf, ICMP_ECHO_PROBE_LEN);
	put_be16(buf + 2, (uint16_t)~sum_fold(s));
	return ICMP_ECHO_PROBE_LEN;
}

/* --- the quoted datagram ------------------------------------------------- */

/* The first 8 octets of the quoted transport header:
 *
 *  TCP:  | source port | dest port | sequence number       |
 *  UDP:  | source port | dest port | length    | checksum  |
 *  ICMP: |type |code   | checksum  | identifier| sequence  |
 */
static enum icmp_status quote_transport(struct rd *r, struct icmp_quote *q)
{
	switch (q->proto) {
	case IPP_TCP:
	case IPP_UDP:
	case IPP_ICMP:
	case IPP_ICMPV6: break;
	default: return ICMP_OK; /* nothing to read for a traceroute */
	}
	if (r->left < 8)
		return ICMP_TRUNCATED;
	struct rd t = rd_sub(r, 8);
	if (q->proto == IPP_TCP || q->proto == IPP_UDP) {
		q->sport = rd_be16(&t);
		q->dport = rd_be16(&t);
		if (q->proto == IPP_TCP) {
			q->tcp_seq = rd_be32(&t);
		} else {
			q->udp_len = rd_be16(&t);
			q->udp_cksum = rd_be16(&t);
		}
	} else {
		q->icmp_type = rd_u8(&t);
		q->icmp_code = rd_u8(&t);
		q->icmp_cksum = rd_be16(&t);
		q->icmp_id = rd_be16(&t);
		q->icmp_seq = rd_be16(&t);
	}
	q->transport = true;
	return ICMP_OK;
}

/* A quoted IPv4 header (RFC 791 section 3.1):
 *
 *  |Ver| IHL |  TOS  |  total length |
 *  |  identification |Flg| offset    |
 *  |  TTL  | proto   | checksum      |
 *  |         source address          |
 *  |       destination address       |
 *  |     options (IHL > 5) ...       |
 *
 * A later fragment quotes no transport header. */
static enum icmp_status quote_ip4(struct rd *r, struct icmp_quote *q)
{
	if (r->left < 20)
		return ICMP_TRUNCATED;
	struct rd h = rd_sub(r, 20);
	size_t ihl = (size_t)(rd_u8(&h) & 0x0f) * 4;
	rd_skip(&h, 3); /* TOS, total length */
	uint16_t id = rd_be16(&h);
	uint16_t frag = rd_be16(&h);
	uint8_t ttl = rd_u8(&h);
	uint8_t proto = rd_u8(&h);
	rd_skip(&h, 2);
	if (ihl < 20)
		return ICMP_INVALID;
	q->ip_version = 4;
	q->ip_id = id;
	q->ttl = ttl;
	q->proto = proto;
	rd_bytes(&h, q->src, 4);
	rd_bytes(&h, q->dst, 4);
	if (r->left < ihl - 20)
		return ICMP_TRUNCATED;
	rd_skip(r, ihl - 20);
	if ((frag & 0x1fff) != 0)
		return ICMP_OK;
	return quote_transport(r, q);
}

/* A quoted IPv6 header (RFC 8200 section 3) and its extension headers
 * (section 4): hop-by-hop, routing and destination options (length in
 * 8-octet units after the first 8), fragment (8 octets), AH (RFC 4302: in
 * 4-octet units after the first 8). */
static enum icmp_status quote_ip6(struct rd *r, struct icmp_quote *q)
{
	if (r->left < 40)
		return ICMP_TRUNCATED;
	struct rd h = rd_sub(r, 40);
	rd_skip(&h, 6); /* version, class, flow label, payload length */
	uint8_t nh = rd_u8(&h);
	q->ip_version = 6;
	q->ttl = rd_u8(&h);
	rd_bytes(&h, q->src, 16);
	rd_bytes(&h, q->dst, 16);
	q->proto = nh;
	for (unsigned i = 0; i < MAX_EXT_HEADERS; i++) {
		size_t hl;
		if (nh == IPP_HOPOPTS || nh == IPP_ROUTING || nh == IPP_DSTOPTS || nh == IPP_AH ||
		    nh == IPP_FRAGMENT) {
			if (r->left < 8)
				return ICMP_TRUNCATED;
		} else {
			break;
		}
		uint8_t next = r->p[0];
		if (nh == IPP_FRAGMENT) {
			struct rd fh = rd_sub(r, 8);
			rd_skip(&fh, 2);
			uint16_t off = rd_be16(&fh);
			q->proto = next;
			if ((off & 0xfff8) != 0)
				return ICMP_OK; /* a later fragment */
			nh = next;
			continue;
		}
		hl = nh == IPP_AH ? ((size_t)r->p[1] + 2) * 4 : ((size_t)r->p[1] + 1) * 8;
		if (r->left < hl)
			return ICMP_TRUNCATED;
		rd_skip(r, hl);
		nh = next;
		q->proto = nh;
	}
	return quote_transport(r, q);
}

static enum icmp_status decode_quote(struct rd *r, struct icmp_quote *q)
{
	if (r->left < 1)
		return ICMP_TRUNCATED;
	switch (r->p[0] >> 4) {
	case 4: return quote_ip4(r, q);
	case 6: return quote_ip6(r, q);
	default: return ICMP_INVALID;
	}
}

/* --- RFC 4884 extensions ------------------------------------------------- */

/* The extension structure (RFC 4884 section 7) and its objects (section 8):
 *
 *  |Version|      (Reserved)       |           Checksum            |
 *  |             Length            |   Class-Num   |   C-Type      |
 *  |                  object payload ...                           |
 *
 * Version 2; the checksum covers the whole structure (0: none, as some
 * routers send).  Class 1 C-Type 1 is the MPLS label stack (RFC 4950
 * section 7), 4 octets an entry:
 *
 *  |                 Label                 | TC  |S|      TTL      |
 *
 * Fills out only if the whole structure is right; returns whether it is. */
static bool decode_ext(struct rd r, struct icmp_reply *out)
{
	if (r.left < 4 || (r.p[0] >> 4) != 2)
		return false;
	uint16_t cksum = (uint16_t)((unsigned)r.p[2] << 8 | r.p[3]);
	if (cksum != 0 && sum_fold(sum_add(0, r.p, r.left)) != 0xffff)
		return false;
	rd_skip(&r, 4);
	size_t n_obj = 0, n_mpls = 0;
	bool more = false;
	struct icmp_mpls mpls[ICMP_MAX_MPLS];
	while (r.left > 0) {
		if (r.left < 4)
			return false;
		size_t olen = rd_be16(&r);
		uint8_t cls = rd_u8(&r);
		uint8_t ctype = rd_u8(&r);
		if (olen < 4 || olen - 4 > r.left)
			return false;
		struct rd o = rd_sub(&r, olen - 4);
		n_obj++;
		if (cls != 1 || ctype != 1)
			continue;
		while (o.left >= 4) {
			uint32_t v = rd_be32(&o);
			if (n_mpls == ICMP_MAX_MPLS) {
				more = true;
				continue;
			}
			mpls[n_mpls].label = v >> 12;
			mpls[n_mpls].tc = (uint8_t)((v >> 9) & 7);
			mpls[n_mpls].bottom = (v >> 8) & 1;
			mpls[n_mpls].ttl = (uint8_t)v;
			n_mpls++;
		}
		if (o.left != 0)
			return false; /* not a whole number of entries */
	}
	out->ext = true;
	out->n_ext_objects = n_obj;
	out->n_mpls = n_mpls;
	out->mpls_more = more;
	memcpy(out->mpls, mpls, n_mpls * sizeof mpls[0]);
	return true;
}

/* --- ICMP, ICMPv6, TCP --------------------------------------------------- */

/* An error's quote and extensions.  RFC 4884 section 4: the "length" octet
 * (ICMP: octet 5 of the header, in 4-octet units, for types 3, 11 and 12;
 * ICMPv6: octet 4, in 8-octet units, for types 1 and 3) is the length of the
 * quote, which the extension structure follows.  0: no extensions, or a
 * pre-RFC 4884 router's at octet 128 of a longer quote (section 5.5), which
 * only a right version and checksum tell. */
static enum icmp_status decode_error(struct rd *r, bool v6, struct icmp_reply *out)
{
	size_t qlen = r->left;
	bool has_len = v6 ? (out->type == 1 || out->type == 3)
			  : (out->type == 3 || out->type == 11 || out->type == 12);
	size_t len_field = has_len ? (v6 ? out->info >> 24 : (out->info >> 16) & 0xff) : 0;
	bool ext = false;
	if (len_field != 0) {
		size_t l = len_field * (v6 ? 8 : 4);
		if (l < r->left) {
			qlen = l;
			ext = true;
		} else if (l > r->left) {
			out->ext_bad = true; /* a length past the end: no extensions */
		}
	} else if (!v6 && r->left >= RFC4884_COMPAT + 8) {
		struct rd t = *r;
		rd_skip(&t, RFC4884_COMPAT);
		struct icmp_reply probe;
		memset(&probe, 0, sizeof probe);
		if (decode_ext(t, &probe)) {
			qlen = RFC4884_COMPAT;
			ext = true;
		}
	}
	struct rd q = rd_sub(r, qlen);
	if (ext && !decode_ext(rd_sub(r, r->left), out))
		out->ext_bad = true;
	out->quote_len = qlen;
	enum icmp_status st = decode_quote(&q, &out->quote);
	out->quoted = out->quote.ip_version != 0;
	return st;
}

/* ICMP (RFC 792) and ICMPv6 (RFC 4443 section 2.1):
 *
 *  |  type  |  code  |    checksum     |
 *  |  4 octets: identifier and sequence (echo), unused, length (RFC 4884),
 *  |  MTU (too big), pointer (parameter problem)
 *  |  echo data, or the quoted datagram and extensions ...
 */
static enum icmp_status decode_icmp(struct rd *r, bool v6, struct icmp_reply *out)
{
	if (r->left < 8)
		return ICMP_TRUNCATED;
	struct rd h = rd_sub(r, 8);
	out->type = rd_u8(&h);
	out->code = rd_u8(&h);
	rd_skip(&h, 2);
	out->info = rd_be32(&h);
	enum icmp_kind k = ICMP_K_OTHER;
	if (v6) {
		switch (out->type) {
		case 1: k = ICMP_K_UNREACH; break;
		case 2: k = ICMP_K_TOO_BIG; break;
		case 3: k = ICMP_K_TIME_EXCEEDED; break;
		case 4: k = ICMP_K_PARAM_PROBLEM; break;
		case 129: k = ICMP_K_ECHO_REPLY; break;
		default: break;
		}
	} else {
		switch (out->type) {
		case 0: k = ICMP_K_ECHO_REPLY; break;
		case 3: k = ICMP_K_UNREACH; break;
		case 11: k = ICMP_K_TIME_EXCEEDED; break;
		case 12: k = ICMP_K_PARAM_PROBLEM; break;
		default: break;
		}
	}
	out->kind = k;
	if (k == ICMP_K_ECHO_REPLY) {
		out->echo_id = (uint16_t)(out->info >> 16);
		out->echo_seq = (uint16_t)out->info;
	}
	if (k == ICMP_K_OTHER || k == ICMP_K_ECHO_REPLY)
		return ICMP_OK;
	return decode_error(r, v6, out);
}

/* TCP (RFC 9293 section 3.1):
 *
 *  |   source port   |    dest port    |
 *  |         sequence number           |
 *  |      acknowledgment number        |
 *  |off|rsv| flags   |     window      |
 *  |    checksum     |  urgent pointer |
 *  |   options (off > 5) ...           |
 */
static enum icmp_status decode_tcp(struct rd *r, struct icmp_reply *out)
{
	if (r->left < 20)
		return ICMP_TRUNCATED;
	struct rd h = rd_sub(r, 20);
	uint16_t sport = rd_be16(&h);
	uint16_t dport = rd_be16(&h);
	uint32_t seq = rd_be32(&h);
	uint32_t ack = rd_be32(&h);
	size_t off = (size_t)(rd_u8(&h) >> 4) * 4;
	uint8_t flags = rd_u8(&h);
	if (off < 20)
		return ICMP_INVALID;
	if (r->left < off - 20)
		return ICMP_TRUNCATED;
	out->kind = ICMP_K_TCP;
	out->sport = sport;
	out->dport = dport;
	out->seq = seq;
	out->ack = ack;
	out->tcp_flags = flags;
	return ICMP_OK;
}

/* IPv4 (RFC 791 section 3.1) or IPv6 (RFC 8200 section 3), then ICMP,
 * ICMPv6 or TCP.  The IPv4 total length (IPv6 payload length) bounds what
 * follows; fewer octets than it says is a cut message.  IPv6 extension
 * headers are not walked: raw sockets deliver none. */
static enum icmp_status decode_ip(struct rd *r, struct icmp_reply *out)
{
	if (r->left < 1)
		return ICMP_TRUNCATED;
	unsigned v = r->p[0] >> 4;
	size_t body;
	if (v == 4) {
		if (r->left < 20)
			return ICMP_TRUNCATED;
		struct rd h = rd_sub(r, 20);
		size_t ihl = (size_t)(rd_u8(&h) & 0x0f) * 4;
		rd_skip(&h, 1);
		size_t tot = rd_be16(&h);
		rd_skip(&h, 4);
		out->ip_ttl = rd_u8(&h);
		out->proto = rd_u8(&h);
		rd_skip(&h, 2);
		rd_bytes(&h, out->src, 4);
		rd_bytes(&h, out->dst, 4);
		if (ihl < 20 || tot < ihl)
			return ICMP_INVALID;
		out->ip_version = 4;
		if (r->left < ihl - 20)
			return ICMP_TRUNCATED;
		rd_skip(r, ihl - 20);
		body = tot - ihl;
	} else if (v == 6) {
		if (r->left < 40)
			return ICMP_TRUNCATED;
		struct rd h = rd_sub(r, 40);
		rd_skip(&h, 4);
		body = rd_be16(&h);
		out->proto = rd_u8(&h);
		out->ip_ttl = rd_u8(&h);
		rd_bytes(&h, out->src, 16);
		rd_bytes(&h, out->dst, 16);
		out->ip_version = 6;
	} else {
		return ICMP_INVALID;
	}
	bool cut = body > r->left;
	struct rd b = rd_sub(r, cut ? r->left : body);
	enum icmp_status st;
	if (out->proto == IPP_TCP)
		st = decode_tcp(&b, out);
	else if (out->proto == (v == 4 ? IPP_ICMP : IPP_ICMPV6))
		st = decode_icmp(&b, v == 6, out);
	else
		return ICMP_UNSUPPORTED;
	return st == ICMP_OK && cut ? ICMP_TRUNCATED : st;
}

enum icmp_status icmp_decode(enum icmp_layer first, const uint8_t *pkt, size_t len,
			     struct icmp_reply *out)
{
	memset(out, 0, sizeof *out);
	struct rd r = rd_make(pkt, len);
	switch (first) {
	case ICMP_L_IP: return decode_ip(&r, out);
	case ICMP_L_ICMP4: return decode_icmp(&r, false, out);
	case ICMP_L_ICMP6: return decode_icmp(&r, true, out);
	case ICMP_L_TCP: return decode_tcp(&r, out);
	}
	return ICMP_INVALID;
}
