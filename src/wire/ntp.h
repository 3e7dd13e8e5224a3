/* ntp.h - NTP packets (RFC 5905), extension fields (RFC 7822) and the MAC
 * trailer: a pure codec, no I/O, no allocation.
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |LI | VN  |Mode |    Stratum     |     Poll      |  Precision   |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                         Root Delay (16.16)                    |
 * |                      Root Dispersion (16.16)                  |
 * |                          Reference ID                         |
 * |                  Reference Timestamp (32.32, 64 bits)         |
 * |                   Origin Timestamp (T1 echoed)                |
 * |                   Receive Timestamp (T2)                      |
 * |                   Transmit Timestamp (T3)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Extension fields (NTPv4, RFC 7822), each:            |
 * |   Field Type (16)   |   Length (16, whole field, >= 16, %4)   |
 * |   Value, padded to a multiple of 4                            |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                  Key Identifier (optional MAC)                |
 * |                  Digest (16 or 20 octets)                     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A 4-octet trailer whose key identifier is zero is a crypto-NAK (RFC 5905
 * section 9.2).  Timestamps are seconds since 1900 in 32.32 fixed point; the
 * 32-bit seconds field wraps every 136 years (era 1 begins on 2036-02-07), so
 * converting one to a calendar time needs a pivot: ntp_ts_to_timespec() picks
 * the era that puts the result nearest to it.
 */
#ifndef SUNDIAL_WIRE_NTP_H
#define SUNDIAL_WIRE_NTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define NTP_HEADER_LEN 48
#define NTP_EF_MIN_LEN 16	   /* RFC 7822 section 3 (chrony NTP_MIN_EF_LENGTH) */
#define NTP_MAX_EF 16		   /* more fields than this: NTP_E_TOO_MANY_EF */
#define NTP_MAX_DIGEST 64	   /* NTPv3 MACs may carry up to 512-bit digests */
#define NTP_MAX_V4_MAC 24	   /* key id + 20 octets (chrony NTP_MAX_V4_MAC_LENGTH) */
#define NTP_MAX_PKT 1024	   /* largest packet the decoder looks at */
#define NTP_UNIX_EPOCH 2208988800u /* seconds from 1900 to 1970 */

enum ntp_leap {
	NTP_LEAP_NONE = 0,
	NTP_LEAP_INSERT = 1,
	NTP_LEAP_DELETE = 2,
	NTP_LEAP_UNSYNC = 3,
};

enum ntp_mode {
	NTP_MODE_RESERVED = 0,
	NTP_MODE_ACTIVE = 1,
	NTP_MODE_PASSIVE = 2,
	NTP_MODE_CLIENT = 3,
	NTP_MODE_SERVER = 4,
	NTP_MODE_BROADCAST = 5,
	NTP_MODE_CONTROL = 6,
	NTP_MODE_PRIVATE = 7,
};

/* What follows the header and extension fields. */
enum ntp_mac_kind {
	NTP_MAC_NONE = 0,  /* no trailer */
	NTP_MAC_DIGEST,	   /* key id + digest */
	NTP_MAC_CRYPTO_NAK /* 4 octets, key id 0 */
};

/* An extension field, located by offset into the decoded buffer (which the
 * caller keeps); the struct holds no pointer. */
struct ntp_ef {
	uint16_t type;
	uint16_t len;	 /* whole field, header included */
	size_t body_off; /* offset of the value in the packet */
	size_t body_len; /* len - 4 */
};

/* A decoded time packet (modes 1-5).  Holds copies only. */
struct ntp_pkt {
	uint8_t leap;	     /* enum ntp_leap */
	uint8_t version;     /* 1..4 */
	uint8_t mode;	     /* enum ntp_mode */
	uint8_t stratum;     /* 0 = kiss-o'-death / unspecified, 16 = unsynchronised */
	int8_t poll;	     /* log2 seconds */
	int8_t precision;    /* log2 seconds */
	uint32_t root_delay; /* NTP short format, 16.16 */
	uint32_t root_disp;  /* NTP short format, 16.16 */
	uint8_t refid[4];    /* as on the wire */
	uint64_t ref_ts;     /* 32.32 */
	uint64_t org_ts;     /* T1 echoed */
	uint64_t rec_ts;     /* T2 */
	uint64_t xmt_ts;     /* T3 */

	size_t n_ef;
	struct ntp_ef ef[NTP_MAX_EF];

	uint8_t mac_kind; /* enum ntp_mac_kind */
	uint32_t key_id;
	size_t mac_off;	   /* offset of the key id: the MAC covers [0, mac_off) */
	size_t digest_len; /* 16 or 20 (NTPv4), up to NTP_MAX_DIGEST (NTPv3) */
	uint8_t digest[NTP_MAX_DIGEST];
};

enum ntp_status {
	NTP_OK = 0,
	NTP_E_TRUNCATED,   /* shorter than a header, or a field runs past the end */
	NTP_E_VERSION,	   /* version 0 or above 4 */
	NTP_E_MODE,	   /* mode 6 or 7: not a time packet */
	NTP_E_EF_LENGTH,   /* an extension field shorter than 16 or not 4-aligned */
	NTP_E_TOO_MANY_EF, /* more than NTP_MAX_EF extension fields */
	NTP_E_MAC_LENGTH,  /* a trailer that is neither a MAC nor a crypto-NAK */
	NTP_E_TOO_LONG,	   /* longer than NTP_MAX_PKT */
};

/* Decodes len bytes of a UDP payload into *out.  Returns NTP_OK or why not;
 * on error *out is zeroed except for the header fields already read.  On
 * NTP_OK every field is set except the entries of ef[] from n_ef on and the
 * octets of digest[] from digest_len on, which keep whatever *out held (they
 * are most of the struct, and clearing them cost more than the decode). */
enum ntp_status ntp_pkt_decode(const uint8_t *buf, size_t len, struct ntp_pkt *out)
	__attribute__((warn_unused_result));

/* A short English phrase for a status ("truncated", ...). */
const char *ntp_strerror(enum ntp_status st);

/* Encodes the 48-byte header of *p into buf.  Extension fields and MACs are
 * appended by the caller (ntp_ef_append, auth/mac).  Returns the number of
 * bytes written (48), or 0 if len is too small. */
size_t ntp_pkt_encode(const struct ntp_pkt *p, uint8_t *buf, size_t len);

/* Appends an extension field of the given type and value at buf+*used,
 * padding the value to a multiple of 4 and the field to at least 16 octets.
 * Returns 0, or -ENOSPC if it does not fit in cap (nothing written). */
int ntp_ef_append(uint8_t *buf, size_t cap, size_t *used, uint16_t type, const void *body,
		  size_t body_len) __attribute__((warn_unused_result));

/* --- timestamps --- */

/* 64-bit 32.32 timestamp from a calendar time (era folded away). */
uint64_t ntp_ts_from_timespec(const struct timespec *ts);

/* The calendar time of ts in the era nearest to pivot. */
void ntp_ts_to_timespec(uint64_t ts, const struct timespec *pivot, struct timespec *out);

/* Signed difference a - b in seconds, exact across an era boundary as long as
 * the two are less than 68 years apart. */
double ntp_ts_diff(uint64_t a, uint64_t b);

/* NTP short format (16.16) to seconds. */
double ntp_short_to_sec(uint32_t s);

/* The era-independent 32.32 difference a - b as a signed fixed-point value. */
static inline int64_t ntp_ts_sub(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b);
}

/* Offset and delay of a client/server exchange (RFC 5905 section 8),
 * computed in 64-bit fixed point and converted last:
 *   offset = ((T2 - T1) + (T3 - T4)) / 2,  delay = (T4 - T1) - (T3 - T2). */
void ntp_offset_delay(uint64_t t1, uint64_t t2, uint64_t t3, uint64_t t4, double *offset,
		      double *delay);

/* --- reference identifiers and kiss codes --- */

enum ntp_kiss_action {
	NTP_KISS_NONE = 0, /* informational */
	NTP_KISS_BACKOFF,  /* RATE: reduce the poll rate */
	NTP_KISS_STOP,	   /* DENY, RSTR: stop sending to this server */
	NTP_KISS_UNKNOWN,  /* a code not in RFC 5905 Figure 13 */
};

/* True if *p is a kiss-o'-death packet: stratum 0, mode 1, 2 or 4, and a
 * printable ASCII kiss code in the refid. */
bool ntp_is_kod(const struct ntp_pkt *p);

/* The meaning of a kiss code ("rate exceeded, reduce polling"), and what a
 * client must do.  Never NULL. */
const char *ntp_kiss_describe(const uint8_t code[4], enum ntp_kiss_action *action);

/* Formats the refid for people, the way ntpq does, into buf (always
 * terminated): stratum 0 and 1: the ASCII code (non-printable octets as
 * hex); stratum >= 2: a dotted IPv4 address (which for an IPv6 upstream is
 * the first four octets of the MD5 of its address).  Returns buf. */
char *ntp_refid_format(const struct ntp_pkt *p, char *buf, size_t len);

/* Names of enum values, for output: "server", "no warning", ... */
const char *ntp_mode_name(unsigned mode);
const char *ntp_leap_name(unsigned leap);

#endif
