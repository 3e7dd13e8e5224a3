/* frame.c - link, network and transport headers of a captured frame.  See
 * frame.h.  Pure: no I/O, no allocation, no copy.
 *
 * Every header is read through struct rd; a fixed header, once found whole,
 * through a sub-reader of its constant length, whose per-field checks the
 * compiler can then drop.  A header that the capture cut is
 * FRAME_TRUNCATED; a header whose fields cannot be right is FRAME_INVALID.
 * Inside an IP datagram two lengths are tracked (struct body): the octets
 * captured and the octets the IP header says are there.  A header that needs
 * more than the IP length leaves room for is invalid, whatever was captured;
 * one that fits the IP length but not the capture is truncated (tcpdump's
 * "[|udp]" against "[bad udp length]").
 *
 * Fields are filled layer by layer once a layer's fixed header is complete:
 * the link layer (VLAN ids, PPPoE session) as each tag is read, the network
 * layer after the 20-octet IPv4 or 40-octet IPv6 header (proto then follows
 * the IPv6 extension header chain), the transport layer after its whole
 * header.  A layer whose fixed header is cut or invalid is left zero; the
 * network layer stays filled when its IPv4 options or IPv6 extension headers
 * are cut or wrong (frame.h: the layers before the one that was cut).
 */
#include "wire/frame.h"

#include <string.h>

#include "common/rd.h"
#include "wire/ipproto.h"

/* LINKTYPE_* numbers (https://www.tcpdump.org/linktypes.html). */
enum {
	LT_NULL = 0,
	LT_ETHERNET = 1,
	LT_DLT_RAW12 = 12, /* DLT_RAW on most systems, as some files carry it */
	LT_DLT_RAW14 = 14, /* DLT_RAW on OpenBSD */
	LT_RAW = 101,
	LT_LOOP = 108,
	LT_LINUX_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
};

enum {
	ET_IPV4 = 0x0800,
	ET_VLAN = 0x8100,     /* IEEE 802.1Q customer tag */
	ET_QINQ = 0x88a8,     /* IEEE 802.1ad service tag */
	ET_QINQ_OLD = 0x9100, /* pre-standard QinQ */
	ET_IPV6 = 0x86dd,
	ET_PPPOE_SESSION = 0x8864,
	ET_MIN = 0x0600, /* below: an IEEE 802.3 length, not an Ethertype */
};

enum {
	PPP_IPV4 = 0x0021,
	PPP_IPV6 = 0x0057,
};

/* BSD AF_ values of the NULL and LOOP link types; AF_INET6 differs. */
enum {
	BSD_AF_INET = 2,
	BSD_AF_INET6_BSD = 24, /* NetBSD, OpenBSD, BSD/OS */
	BSD_AF_INET6_FREEBSD = 28,
	BSD_AF_INET6_DARWIN = 30,
};

const char *frame_strerror(enum frame_status st)
{
	switch (st) {
	case FRAME_OK: return "ok";
	case FRAME_TRUNCATED: return "truncated frame";
	case FRAME_INVALID: return "invalid header";
	case FRAME_UNSUPPORTED: return "unsupported link type or protocol";
	case FRAME_FRAGMENT: return "IP fragment";
	}
	return "unknown error";
}

bool frame_linktype_supported(uint32_t linktype)
{
	switch (linktype) {
	case LT_NULL:
	case LT_ETHERNET:
	case LT_DLT_RAW12:
	case LT_DLT_RAW14:
	case LT_RAW:
	case LT_LOOP:
	case LT_LINUX_SLL:
	case LT_IPV4:
	case LT_IPV6:
	case LT_LINUX_SLL2: return true;
	default: return false;
	}
}

/* The rest of an IP datagram: r holds the captured octets (never more than
 * the IP length), wire how many the IP header says there are.  When the IP
 * length is 0 (a TSO or BIG TCP send captured on the sending host) it is not
 * known: wire is what was captured, and no header can overrun it. */
struct body {
	struct rd r;
	size_t wire;
	bool wire_known;
	bool ipv6;
};

/* FRAME_OK if n more octets are there, else why not. */
static enum frame_status body_need(const struct body *b, size_t n)
{
	if (b->wire_known && b->wire < n)
		return FRAME_INVALID;
	if (b->r.bad || b->r.left < n)
		return FRAME_TRUNCATED;
	return FRAME_OK;
}

/* Consumes n octets that body_need() said are there. */
static void body_skip(struct body *b, size_t n)
{
	rd_skip(&b->r, n);
	b->wire -= n;
}

/* The rest of the datagram becomes the payload. */
static void body_payload(struct body *b, struct frame_view *out)
{
	out->payload_len = b->r.left;
	out->payload = rd_ptr(&b->r, b->r.left);
	out->payload_wire_len = b->wire;
}

/* *b becomes a body over the next wire octets of r (fewer if fewer were
 * captured, as when a snap length cut the frame); r skips them.  wire 0 with
 * !known: all of r, length not known. */
static inline void body_init(struct body *b, struct rd *r, size_t wire, bool known, bool ipv6)
{
	if (!known)
		wire = r->left;
	size_t cap = r->left < wire ? r->left : wire;
	b->r = rd_sub(r, cap);
	b->wire = wire;
	b->wire_known = known;
	b->ipv6 = ipv6;
}

/* --- transport ----------------------------------------------------------- */

/* UDP, RFC 768:
 *
 *   0      7 8     15 16    23 24    31
 *  +--------+--------+--------+--------+
 *  |   source port   |    dest port    |
 *  +--------+--------+--------+--------+
 *  |     length      |    checksum     |
 *  +--------+--------+--------+--------+
 *
 * length covers the header; 0 only in an IPv6 jumbogram (RFC 2675 section
 * 4), where the IP length counts. */
static enum frame_status decode_udp(struct body *b, struct frame_view *out)
{
	enum frame_status st = body_need(b, 8);
	if (st != FRAME_OK)
		return st;
	struct rd hdr = rd_sub(&b->r, 8);
	uint16_t sport = rd_be16(&hdr);
	uint16_t dport = rd_be16(&hdr);
	size_t ulen = rd_be16(&hdr);
	/* RFC 2675 section 4 (and tcpdump): 0 in a datagram too long for
	 * the field; the IP length counts. */
	if (ulen == 0 && (!b->wire_known || b->wire > 0xffff))
		ulen = b->wire;
	if (ulen < 8 || (b->wire_known && ulen > b->wire))
		return FRAME_INVALID;
	b->wire -= 8;
	out->sport = sport;
	out->dport = dport;
	/* Octets after the UDP length (IP padding) are not payload. */
	struct body data;
	body_init(&data, &b->r, ulen - 8, true, b->ipv6);
	body_payload(&data, out);
	return FRAME_OK;
}

/* TCP, RFC 9293 section 3.1:
 *
 *  +--------+--------+--------+--------+
 *  |   source port   |    dest port    |
 *  +--------+--------+--------+--------+
 *  |         sequence number           |
 *  +--------+--------+--------+--------+
 *  |      acknowledgment number        |
 *  +--------+--------+--------+--------+
 *  |off|rsv | flags  |     window      |
 *  +--------+--------+--------+--------+
 *  |    checksum     | urgent pointer  |
 *  +--------+--------+--------+--------+
 *  |   options (data offset * 4 - 20)  |
 *  +--------+--------+--------+--------+ */
static enum frame_status decode_tcp(struct body *b, struct frame_view *out)
{
	enum frame_status st = body_need(b, 20);
	if (st != FRAME_OK)
		return st;
	struct rd h = b->r;
	uint16_t sport = rd_be16(&h);
	uint16_t dport = rd_be16(&h);
	rd_skip(&h, 8); /* sequence and acknowledgment numbers */
	size_t hlen = (size_t)(rd_u8(&h) >> 4) * 4;
	uint8_t flags = rd_u8(&h);
	if (hlen < 20)
		return FRAME_INVALID;
	st = body_need(b, hlen);
	if (st != FRAME_OK)
		return st;
	body_skip(b, hlen);
	out->sport = sport;
	out->dport = dport;
	out->tcp_flags = flags;
	body_payload(b, out);
	return FRAME_OK;
}

/* ICMP (RFC 792) and ICMPv6 (RFC 4443 section 2.1): type, code, checksum;
 * the payload is the message body that follows them. */
static enum frame_status decode_icmp(struct body *b, struct frame_view *out)
{
	enum frame_status st = body_need(b, 4);
	if (st != FRAME_OK)
		return st;
	uint8_t type = rd_u8(&b->r);
	uint8_t code = rd_u8(&b->r);
	(void)rd_be16(&b->r);
	b->wire -= 4;
	out->icmp_type = type;
	out->icmp_code = code;
	body_payload(b, out);
	return FRAME_OK;
}

static enum frame_status decode_transport(uint8_t proto, struct body *b, struct frame_view *out)
{
	out->proto = proto;
	switch (proto) {
	case IPP_UDP: return decode_udp(b, out);
	case IPP_TCP: return decode_tcp(b, out);
	case IPP_ICMP:
	case IPP_ICMPV6: return decode_icmp(b, out);
	default:
		/* Another protocol (GRE, ESP, SCTP, ...): its header is the
		 * payload. */
		body_payload(b, out);
		return FRAME_OK;
	}
}

/* --- network ------------------------------------------------------------- */

/* AH, RFC 4302 section 2: its length is in 32-bit words minus 2 (IPv6's
 * other extension headers count 64-bit words minus 1), and the fixed part
 * (next header, length, reserved, SPI, sequence number) is 12 octets.
 *
 *  +--------+--------+--------+--------+
 *  |next hdr| length |    reserved     |
 *  +--------+--------+--------+--------+
 *  |              SPI                  |
 *  |        sequence number            |
 *  |   ICV (variable)  ...             |
 *  +--------+--------+--------+--------+ */
static enum frame_status skip_ah(struct body *b, uint8_t *nh)
{
	enum frame_status st = body_need(b, 2);
	if (st != FRAME_OK)
		return st;
	struct rd h = b->r;
	uint8_t next = rd_u8(&h);
	size_t len = ((size_t)rd_u8(&h) + 2) * 4;
	if (len < 12)
		return FRAME_INVALID;
	st = body_need(b, len);
	if (st != FRAME_OK)
		return st;
	body_skip(b, len);
	*nh = next;
	return FRAME_OK;
}

/* An IPv6 extension header in the common format, RFC 8200 section 4:
 * next header, length in 8-octet units not counting the first 8. */
static enum frame_status skip_ext(struct body *b, uint8_t *nh)
{
	enum frame_status st = body_need(b, 2);
	if (st != FRAME_OK)
		return st;
	struct rd h = b->r;
	uint8_t next = rd_u8(&h);
	size_t len = ((size_t)rd_u8(&h) + 1) * 8;
	st = body_need(b, len);
	if (st != FRAME_OK)
		return st;
	body_skip(b, len);
	*nh = next;
	return FRAME_OK;
}

/* The Jumbo Payload option (RFC 2675 section 2) among the TLV options of a
 * hop-by-hop header that body_need() found complete.  Returns its value, 0
 * if there is none, or (size_t)-1 if the options are malformed. */
static size_t find_jumbo(const struct body *b)
{
	struct rd h = b->r;
	(void)rd_u8(&h);
	size_t len = ((size_t)rd_u8(&h) + 1) * 8;
	struct rd opts = rd_sub(&h, len - 2);
	size_t jumbo = 0;
	while (opts.left > 0 && !opts.bad) {
		uint8_t type = rd_u8(&opts);
		if (type == 0) /* Pad1 */
			continue;
		size_t olen = rd_u8(&opts);
		struct rd val = rd_sub(&opts, olen);
		if (opts.bad)
			return (size_t)-1;
		if (type == 0xc2) {
			if (olen != 4)
				return (size_t)-1;
			jumbo = rd_be32(&val);
		}
	}
	return opts.bad ? (size_t)-1 : jumbo;
}

/* The IPv6 fragment header, RFC 8200 section 4.5:
 *
 *  +--------+--------+--------+--------+
 *  |next hdr|reserved| offset     |r |M|
 *  +--------+--------+--------+--------+
 *  |          identification           |
 *  +--------+--------+--------+--------+
 *
 * Offset 0 without M is an atomic fragment (RFC 6946): a whole datagram. */
static enum frame_status decode_frag6(struct body *b, uint8_t *nh, struct frame_view *out)
{
	enum frame_status st = body_need(b, 8);
	if (st != FRAME_OK)
		return st;
	uint8_t next = rd_u8(&b->r);
	(void)rd_u8(&b->r);
	uint16_t off_m = rd_be16(&b->r);
	(void)rd_be32(&b->r);
	b->wire -= 8;
	*nh = next;
	if ((off_m & 0xfff9) == 0)
		return FRAME_OK;
	out->fragment = true;
	out->first_fragment = (off_m & 0xfff8) == 0;
	out->proto = next;
	body_payload(b, out);
	return FRAME_FRAGMENT;
}

/* After the IPv6 header (or IPv4's, with AH only): walks the extension
 * headers up to the upper-layer protocol. */
static enum frame_status decode_chain(uint8_t nh, struct body *b, struct frame_view *out)
{
	bool first = true;
	for (;;) {
		enum frame_status st;
		out->proto = nh;
		if (nh == IPP_AH) {
			st = skip_ah(b, &nh);
		} else if (!b->ipv6) {
			break;
		} else if (nh == IPP_HOPOPTS) {
			/* Only right after the IPv6 header (RFC 8200 4.1). */
			if (!first)
				return FRAME_INVALID;
			st = skip_ext(b, &nh);
		} else if (nh == IPP_ROUTING || nh == IPP_DSTOPTS) {
			st = skip_ext(b, &nh);
		} else if (nh == IPP_FRAGMENT) {
			st = decode_frag6(b, &nh, out);
			if (st == FRAME_FRAGMENT)
				return st;
		} else if (nh == IPP_NONE) {
			body_payload(b, out);
			return FRAME_OK;
		} else {
			break;
		}
		if (st != FRAME_OK)
			return st;
		first = false;
	}
	return decode_transport(nh, b, out);
}

/* IPv4, RFC 791 section 3.1:
 *
 *  +--------+--------+--------+--------+
 *  |ver| IHL|  TOS   |  total length   |
 *  +--------+--------+--------+--------+
 *  | identification  |flg| frag offset |
 *  +--------+--------+--------+--------+
 *  |  TTL   | proto  | header checksum |
 *  +--------+--------+--------+--------+
 *  |          source address           |
 *  |        destination address        |
 *  |   options (IHL * 4 - 20)  ...     |
 *  +--------+--------+--------+--------+
 *
 * A total length of 0 is what Linux shows for a TSO/BIG TCP send (tcpdump:
 * "TSO?"): the length is then what was captured. */
static enum frame_status decode_ipv4(struct rd *r, struct frame_view *out)
{
	struct rd peek = *r;
	uint8_t vhl = rd_u8(&peek);
	if (peek.bad)
		return FRAME_TRUNCATED;
	if (vhl >> 4 != 4)
		return FRAME_INVALID;
	if (!rd_need(r, 20))
		return FRAME_TRUNCATED;
	struct rd hdr = rd_sub(r, 20);
	rd_skip(&hdr, 2);
	size_t total = rd_be16(&hdr);
	rd_skip(&hdr, 2);
	uint16_t frag = rd_be16(&hdr);
	uint8_t ttl = rd_u8(&hdr);
	uint8_t proto = rd_u8(&hdr);
	rd_skip(&hdr, 2);
	const uint8_t *addr = rd_ptr(&hdr, 8); /* source, destination */
	if (!addr)
		return FRAME_TRUNCATED;
	size_t hlen = (size_t)(vhl & 0x0f) * 4;
	if (hlen < 20 || (total != 0 && total < hlen))
		return FRAME_INVALID;
	out->ip_version = 4;
	memcpy(out->src, addr, 4);
	memcpy(out->dst, addr + 4, 4);
	out->ttl = ttl;
	out->proto = proto;
	if (!rd_need(r, hlen - 20))
		return FRAME_TRUNCATED;
	rd_skip(r, hlen - 20);

	struct body b;
	body_init(&b, r, total != 0 ? total - hlen : 0, total != 0, false);
	if ((frag & 0x3fff) != 0) { /* MF, or a fragment offset */
		out->fragment = true;
		out->first_fragment = (frag & 0x1fff) == 0;
		body_payload(&b, out);
		return FRAME_FRAGMENT;
	}
	return decode_chain(proto, &b, out);
}

/* IPv6, RFC 8200 section 3:
 *
 *  +--------+--------+--------+--------+
 *  |ver| traffic class |  flow label   |
 *  +--------+--------+--------+--------+
 *  | payload length  |next hdr|hop lim |
 *  +--------+--------+--------+--------+
 *  |  source address (16)              |
 *  |  destination address (16)         |
 *  +--------+--------+--------+--------+
 *
 * Payload length 0 (as tcpdump reads it): a jumbogram, whose hop-by-hop
 * header must carry the Jumbo Payload option (RFC 2675); a BIG TCP or UDP
 * GSO send captured on the sending host when TCP or UDP follows directly,
 * whose length is then what was captured; otherwise no payload at all. */
static enum frame_status decode_ipv6(struct rd *r, struct frame_view *out)
{
	struct rd peek = *r;
	uint8_t v = rd_u8(&peek);
	if (peek.bad)
		return FRAME_TRUNCATED;
	if (v >> 4 != 6)
		return FRAME_INVALID;
	if (!rd_need(r, 40))
		return FRAME_TRUNCATED;
	struct rd hdr = rd_sub(r, 40);
	rd_skip(&hdr, 4);
	size_t plen = rd_be16(&hdr);
	uint8_t nh = rd_u8(&hdr);
	uint8_t hlim = rd_u8(&hdr);
	out->ip_version = 6;
	rd_bytes(&hdr, out->src, 16);
	rd_bytes(&hdr, out->dst, 16);
	out->ttl = hlim;
	out->proto = nh;

	/* Not known: BIG TCP, or a jumbogram until its option is found. */
	bool known = plen != 0 || (nh != IPP_TCP && nh != IPP_UDP && nh != IPP_HOPOPTS);
	struct body b;
	body_init(&b, r, plen, known, true);
	if (nh == IPP_HOPOPTS) {
		/* RFC 2675 section 3: the option only with payload length 0,
		 * and then for more than 65535 octets. */
		enum frame_status st = body_need(&b, 2);
		if (st == FRAME_OK) {
			struct rd h = b.r;
			(void)rd_u8(&h);
			st = body_need(&b, ((size_t)rd_u8(&h) + 1) * 8);
		}
		if (st != FRAME_OK)
			return st;
		size_t jumbo = find_jumbo(&b);
		if (jumbo == (size_t)-1 || (jumbo != 0 && (plen != 0 || jumbo <= 0xffff)) ||
		    (jumbo == 0 && plen == 0))
			return FRAME_INVALID;
		if (jumbo != 0) {
			struct rd all = b.r;
			b.r = rd_sub(&all, all.left < jumbo ? all.left : jumbo);
			b.wire = jumbo;
			b.wire_known = true;
		}
	}
	return decode_chain(nh, &b, out);
}

/* --- link ---------------------------------------------------------------- */

/* PPPoE session stage, RFC 2516 section 4 (Ethertype 0x8864), with the PPP
 * protocol field (RFC 1661 section 2; one octet when compressed, 6.5):
 *
 *  +--------+--------+--------+--------+
 *  |ver|type|  code  |   session id    |
 *  +--------+--------+--------+--------+
 *  |     length      |  PPP protocol   |
 *  +--------+--------+--------+--------+ */
static enum frame_status decode_pppoe(struct rd *r, struct frame_view *out)
{
	if (!rd_need(r, 6))
		return FRAME_TRUNCATED;
	uint8_t vt = rd_u8(r);
	uint8_t code = rd_u8(r);
	uint16_t session = rd_be16(r);
	size_t len = rd_be16(r);
	if (vt != 0x11 || code != 0)
		return FRAME_INVALID;
	out->pppoe = true;
	out->pppoe_session = session;

	struct rd peek = *r;
	uint8_t b0 = rd_u8(&peek);
	if (peek.bad)
		return FRAME_TRUNCATED;
	size_t plen = (b0 & 1) ? 1 : 2;
	if (len < plen)
		return FRAME_INVALID;
	if (!rd_need(r, plen))
		return FRAME_TRUNCATED;
	uint16_t proto = plen == 1 ? (uint16_t)rd_u8(r) : rd_be16(r);
	/* Ethernet padding after the PPPoE payload is not part of it. */
	size_t rest = len - plen;
	struct rd in = rd_sub(r, r->left < rest ? r->left : rest);
	switch (proto) {
	case PPP_IPV4: return decode_ipv4(&in, out);
	case PPP_IPV6: return decode_ipv6(&in, out);
	default: return FRAME_UNSUPPORTED;
	}
}

/* From an Ethertype on: VLAN tags (IEEE 802.1Q section 9.6: 2 octets of
 * TCI, PCP(3) DEI(1) VID(12), then the next Ethertype), PPPoE, IP. */
static enum frame_status decode_ethertype(uint16_t type, struct rd *r, struct frame_view *out)
{
	for (;;) {
		switch (type) {
		case ET_VLAN:
		case ET_QINQ:
		case ET_QINQ_OLD: {
			if (!rd_need(r, 4))
				return FRAME_TRUNCATED;
			uint16_t tci = rd_be16(r);
			type = rd_be16(r);
			if (out->n_vlan == FRAME_MAX_VLAN)
				return FRAME_UNSUPPORTED;
			out->vlan[out->n_vlan++] = (uint16_t)(tci & 0x0fff);
			break;
		}
		case ET_PPPOE_SESSION: return decode_pppoe(r, out);
		case ET_IPV4: return decode_ipv4(r, out);
		case ET_IPV6: return decode_ipv6(r, out);
		default: return FRAME_UNSUPPORTED;
		}
	}
}

/* Ethernet II (IEEE 802.3 section 3.2.6 with an Ethertype >= 0x0600):
 * destination (6), source (6), Ethertype (2). */
static enum frame_status decode_ethernet(struct rd *r, struct frame_view *out)
{
	if (!rd_need(r, 14))
		return FRAME_TRUNCATED;
	rd_skip(r, 12);
	uint16_t type = rd_be16(r);
	if (type < ET_MIN)
		return FRAME_UNSUPPORTED; /* 802.3 length and LLC */
	return decode_ethertype(type, r, out);
}

/* LINKTYPE_LINUX_SLL: packet type (2), ARPHRD_ type (2), address length
 * (2), address (8), protocol (2), the protocol an Ethertype for IP. */
static enum frame_status decode_sll(struct rd *r, struct frame_view *out)
{
	if (!rd_need(r, 16))
		return FRAME_TRUNCATED;
	rd_skip(r, 14);
	return decode_ethertype(rd_be16(r), r, out);
}

/* LINKTYPE_LINUX_SLL2: protocol (2), reserved (2), interface index (4),
 * ARPHRD_ type (2), packet type (1), address length (1), address (8). */
static enum frame_status decode_sll2(struct rd *r, struct frame_view *out)
{
	if (!rd_need(r, 20))
		return FRAME_TRUNCATED;
	uint16_t proto = rd_be16(r);
	rd_skip(r, 18);
	return decode_ethertype(proto, r, out);
}

/* NULL: a 4-octet AF_ value in the byte order of the machine that wrote
 * the file (the one of the two readings that fits in 16 bits, as tcpdump
 * decides); LOOP: the same in network byte order. */
static enum frame_status decode_null(struct rd *r, bool loop, struct frame_view *out)
{
	uint8_t b[4];
	if (!rd_need(r, 4))
		return FRAME_TRUNCATED;
	rd_bytes(r, b, 4);
	uint32_t be = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	uint32_t le = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
	uint32_t af = loop || (be & 0xffff0000u) == 0 ? be : le;
	switch (af) {
	case BSD_AF_INET: return decode_ipv4(r, out);
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN: return decode_ipv6(r, out);
	default: return FRAME_UNSUPPORTED;
	}
}

/* Raw IP: the version nibble tells IPv4 from IPv6. */
static enum frame_status decode_raw(struct rd *r, struct frame_view *out)
{
	struct rd peek = *r;
	uint8_t v = rd_u8(&peek);
	if (peek.bad)
		return FRAME_TRUNCATED;
	switch (v >> 4) {
	case 4: return decode_ipv4(r, out);
	case 6: return decode_ipv6(r, out);
	default: return FRAME_INVALID;
	}
}

enum frame_status frame_decode(uint32_t linktype, const uint8_t *frame, size_t caplen,
			       struct frame_view *out)
{
	/* A copy of a zero view rather than memset(): GCC clears more than 64
	 * octets with rep stosq, whose start-up alone costs as much as the
	 * decode of a small frame. */
	static const struct frame_view empty;
	*out = empty;
	out->linktype = linktype;
	struct rd r = rd_make(frame, caplen);
	switch (linktype) {
	case LT_ETHERNET: return decode_ethernet(&r, out);
	case LT_LINUX_SLL: return decode_sll(&r, out);
	case LT_LINUX_SLL2: return decode_sll2(&r, out);
	case LT_NULL: return decode_null(&r, false, out);
	case LT_LOOP: return decode_null(&r, true, out);
	case LT_RAW:
	case LT_DLT_RAW12:
	case LT_DLT_RAW14: return decode_raw(&r, out);
	case LT_IPV4: return decode_ipv4(&r, out);
	case LT_IPV6: return decode_ipv6(&r, out);
	default: return FRAME_UNSUPPORTED;
	}
}
