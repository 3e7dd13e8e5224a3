/* frame.h - link, network and transport headers of a captured frame: a pure
 * decoder, no I/O, no allocation, no copy (the result points into the frame).
 *
 * Link types (LINKTYPE_* numbers of pcap/pcapng): ETHERNET (1) with stacked
 * 802.1Q/802.1ad VLAN tags and PPPoE session frames, NULL (0, BSD loopback),
 * LOOP (108), RAW (101, and DLT_RAW 12/14), IPV4 (228), IPV6 (229), LINUX_SLL
 * (113), LINUX_SLL2 (276).  Network: IPv4 (options skipped; fragments noted,
 * not reassembled) and IPv6 (the extension header chain walked: hop-by-hop,
 * routing, destination options, fragment, AH).  Transport: UDP, TCP, ICMP,
 * ICMPv6.
 */
#ifndef SUNDIAL_WIRE_FRAME_H
#define SUNDIAL_WIRE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX_VLAN 4

enum frame_status {
	FRAME_OK = 0,
	FRAME_TRUNCATED,   /* the capture stopped inside a header */
	FRAME_INVALID,	   /* a header that cannot be right (IHL < 5, bad version, ...) */
	FRAME_UNSUPPORTED, /* a link type or ethertype that is not IP (ARP, LLDP, ...) */
	FRAME_FRAGMENT,	   /* an IP fragment: network fields set, no transport; the payload
			    * is the fragment's data */
};

const char *frame_strerror(enum frame_status st);

/* What a frame carries.  Pointers are into the frame passed to
 * frame_decode(): a view, valid while that buffer lives. */
struct frame_view {
	uint32_t linktype;
	unsigned n_vlan;
	uint16_t vlan[FRAME_MAX_VLAN]; /* VLAN ids, outermost first (more tags: UNSUPPORTED) */
	bool pppoe;
	uint16_t pppoe_session;

	uint8_t ip_version;	  /* 4 or 6, 0 when no IP header was reached */
	uint8_t src[16], dst[16]; /* IPv4 addresses in the first 4 octets */
	uint8_t ttl;		  /* TTL or hop limit */
	uint8_t proto;		  /* final next-header: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ... */
	bool fragment;		  /* IPv4 MF/offset, IPv6 fragment header (not atomic) */
	bool first_fragment;

	uint16_t sport, dport; /* UDP, TCP */
	uint8_t tcp_flags;     /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 ... */
	uint8_t icmp_type, icmp_code;

	/* After the transport header: UDP data, TCP segment data, the ICMP body
	 * after type, code and checksum; for another protocol (GRE, ESP, IPv6
	 * no-next-header, ...) all that follows the IP header chain. */
	const uint8_t *payload;
	size_t payload_len;	 /* captured octets of it */
	size_t payload_wire_len; /* its length per the IP/UDP headers (> payload_len if cut) */
};

/* Decodes a frame of caplen captured octets.  On FRAME_OK every layer up to
 * the transport is filled; on FRAME_FRAGMENT the network layer; on
 * FRAME_TRUNCATED the layers before the one that was cut.  Never reads past
 * caplen.  Only caplen is known here: a frame that ends inside a header is
 * FRAME_TRUNCATED, and if the capture took all of it (caplen equal to the
 * length on the wire) the frame itself was short, which tcpdump calls
 * invalid. */
enum frame_status frame_decode(uint32_t linktype, const uint8_t *frame, size_t caplen,
			       struct frame_view *out) __attribute__((warn_unused_result));

/* True if frame_decode() knows the link type. */
bool frame_linktype_supported(uint32_t linktype);

#endif
