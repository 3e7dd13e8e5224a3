/* ipproto.h - the IP protocol and IPv6 next-header numbers the codecs
 * walk (IANA "Assigned Internet Protocol Numbers"), shared by wire/frame
 * and wire/icmp. */
#ifndef SUNDIAL_WIRE_IPPROTO_H
#define SUNDIAL_WIRE_IPPROTO_H

enum {
	IPP_HOPOPTS = 0,
	IPP_ICMP = 1,
	IPP_TCP = 6,
	IPP_UDP = 17,
	IPP_ROUTING = 43,
	IPP_FRAGMENT = 44,
	IPP_AH = 51,
	IPP_ICMPV6 = 58,
	IPP_NONE = 59,
	IPP_DSTOPTS = 60,
};

#endif
