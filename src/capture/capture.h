/* capture.h - packets from libpcap: capture files (pcap and pcapng, several
 * merged in time order, "-" for standard input) or a live interface.  Only
 * this module includes <pcap.h>. */
#ifndef SUNDIAL_CAPTURE_CAPTURE_H
#define SUNDIAL_CAPTURE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef struct capture capture;

/* One packet; data is borrowed until the next capture_next(). */
struct capture_pkt {
	struct timespec ts; /* capture time (ns resolution where the file has it) */
	uint32_t linktype;  /* LINKTYPE_* of the file or interface it came from */
	const uint8_t *data;
	size_t caplen;	 /* octets captured */
	size_t len;	 /* octets on the wire */
	unsigned source; /* index of the file it came from */
};

/* Opens n capture files and merges their packets in time order.  filter is
 * a BPF expression or NULL.  Returns NULL with a message in err ("FILE: not
 * a capture file", "bad filter: ...").  */
capture *capture_open_files(const char *const *paths, size_t n, const char *filter, char *err,
			    size_t errlen);

struct capture_live_opts {
	const char *iface;
	const char *filter; /* default "udp port 123" when NULL */
	int snaplen;	    /* default 262144 */
	int buffer_size;    /* bytes, 0 = libpcap's default */
	bool immediate;	    /* deliver packets as they come (default true) */
	bool promisc;
};

/* Opens a live capture.  Needs CAP_NET_RAW; without it the message says so. */
capture *capture_open_live(const struct capture_live_opts *o, char *err, size_t errlen);

/* The next packet: 1 and *p filled, 0 at the end of the files (or no packet
 * yet in live mode, non-blocking), or a negative errno with a message from
 * capture_error(). */
int capture_next(capture *c, struct capture_pkt *p) __attribute__((warn_unused_result));

/* Up to max packets, each handed to fn as capture_next() would return it
 * (same order, the same data valid during the call).  Returns how many (> 0),
 * 0 at the end of the files (or none yet live), or a negative errno as
 * capture_next() does; an error after some packets is returned by the next
 * call.  With one file it runs libpcap's own loop (pcap_dispatch), which
 * costs less per packet than pcap_next_ex. */
typedef void (*capture_fn)(void *arg, const struct capture_pkt *p);
int capture_batch(capture *c, size_t max, capture_fn fn, void *arg)
	__attribute__((warn_unused_result));

/* A descriptor to poll for live captures, -1 for files. */
int capture_fd(const capture *c);

/* Kernel counters of a live capture: received, dropped by the kernel,
 * dropped by the interface.  Returns 0 or -ENOTSUP (files). */
int capture_stats(capture *c, uint64_t *received, uint64_t *dropped, uint64_t *ifdropped)
	__attribute__((warn_unused_result));

/* Fraction of the input files read so far (0..1), NAN for stdin and live. */
double capture_progress(const capture *c);

/* The last error, for people. */
const char *capture_error(const capture *c);

/* Writes every packet returned from now on to path (pcap). Returns 0 or a
 * negative errno. */
int capture_dump_to(capture *c, const char *path) __attribute__((warn_unused_result));

void capture_close(capture *c); /* accepts NULL; flushes a dump */

#endif
