/* chrony.h - chronyd's command and monitoring protocol (candm.h of chrony
 * 4.x; ../shared/PROTOCOLS.md section 8): requests built, replies decoded.
 * A pure codec: no I/O, no allocation.
 *
 * Request: version u8 (6), pkt_type u8 (1), res1, res2, command u16,
 *          attempt u16, sequence u32, pad1 u32, pad2 u32 = 20 octets; data;
 *          zero padding so that the request is as long as its reply.
 * Reply:   version, pkt_type (2), res1, res2, command u16, reply u16,
 *          status u16, pad1..pad3 u16, sequence u32, pad4 u32, pad5 u32
 *          = 28 octets; data.
 * All integers are big-endian.  Floats are chrony's 32-bit format: a 7-bit
 * signed exponent above a 25-bit signed coefficient, value = coef * 2^(exp-25).
 */
#ifndef SUNDIAL_WIRE_CHRONY_H
#define SUNDIAL_WIRE_CHRONY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHR_PROTO_VERSION 6
#define CHR_REQ_HDR_LEN 20
#define CHR_RPY_HDR_LEN 28
#define CHR_MAX_PKT 600

enum chr_command {
	CHR_REQ_N_SOURCES = 14,
	CHR_REQ_SOURCE_DATA = 15,
	CHR_REQ_TRACKING = 33,
	CHR_REQ_SOURCESTATS = 34,
	CHR_REQ_ACTIVITY = 44,
	CHR_REQ_SERVER_STATS = 54,
	CHR_REQ_NTP_DATA = 57,
	CHR_REQ_NTP_SOURCE_NAME = 65,
	CHR_REQ_AUTH_DATA = 67,
	CHR_REQ_CLIENT_ACCESSES_BY_INDEX3 = 68,
	CHR_REQ_SELECT_DATA = 69,
};

enum chr_status_code {
	CHR_STT_SUCCESS = 0,
	CHR_STT_FAILED = 1,
	CHR_STT_UNAUTH = 2,
	CHR_STT_INVALID = 3,
	CHR_STT_NOSUCHSOURCE = 4,
	CHR_STT_NOTENABLED = 6,
	CHR_STT_INACTIVE = 15,
	CHR_STT_BADPKTVERSION = 18,
	CHR_STT_BADPKTLENGTH = 19,
};

/* A phrase for a reply status ("not authorised", ...). */
const char *chr_status_str(unsigned status);

enum chr_result {
	CHR_OK = 0,
	CHR_E_TRUNCATED, /* shorter than the header or than its reply type needs */
	CHR_E_HEADER,	 /* not a reply, or res1/res2 not zero */
	CHR_E_MISMATCH,	 /* command or sequence differ from the request */
	CHR_E_REPLY,	 /* an unexpected reply type for the command */
	CHR_E_STATUS,	 /* a status other than success: see hdr.status */
	CHR_E_VALUE,	 /* a field out of its range (address family, count) */
};
const char *chr_strerror(enum chr_result r);

/* Builds a request for command with its data, padded to the length of the
 * reply the command expects (chrony drops shorter requests; where the reply
 * grew between chrony versions, to the longest).  Version 5 requests have
 * no padding.  Returns the length, or 0 if cap is too small, the command is
 * unknown or len is not the length of the command's data. */
size_t chr_request_encode(uint8_t *buf, size_t cap, uint8_t version, uint16_t command,
			  uint16_t attempt, uint32_t sequence, const void *data, size_t len);

/* Builders of request data (big-endian) for the commands that take some;
 * each returns the length written. */
size_t chr_req_index(uint8_t *buf, size_t cap,
		     uint32_t index); /* SOURCE_DATA, SOURCESTATS, SELECT_DATA */
size_t chr_req_ipaddr(uint8_t *buf, size_t cap, int family,
		      const uint8_t *addr); /* NTP_DATA, NTP_SOURCE_NAME, AUTH_DATA */
size_t chr_req_client_accesses(uint8_t *buf, size_t cap, uint32_t first_index, uint32_t n_clients,
			       uint32_t min_hits, uint32_t reset);

struct chr_rpy_hdr {
	uint8_t version;
	uint16_t command, reply, status;
	uint32_t sequence;
};

/* Decodes and checks the reply header against the request's command and
 * sequence: CHR_E_MISMATCH for another request's reply, CHR_E_HEADER for
 * a version other than 5 or 6 (unless it is a BADPKTVERSION reply),
 * CHR_E_STATUS (h->status) for an error, CHR_E_TRUNCATED if shorter than its
 * reply format needs (pktlength.c).  h is filled whenever 28 octets came. */
enum chr_result chr_reply_header(const uint8_t *buf, size_t len, uint16_t command,
				 uint32_t sequence, struct chr_rpy_hdr *h)
	__attribute__((warn_unused_result));

/* An address in chrony's IPAddr form: 16 octets, family u16, pad u16. */
struct chr_addr {
	uint8_t family; /* 0 unspec, 1 IPv4, 2 IPv6, 3 ID (refclock) */
	uint8_t addr[16];
};
/* Formats an address ("192.0.2.1", "2001:db8::1", "ID#0000000001"); returns buf. */
char *chr_addr_format(const struct chr_addr *a, char *buf, size_t len);

double chr_float(uint32_t f);

struct chr_timespec_v {
	double sec;
}; /* Unix seconds, fractional; 0 = unset */

/* Reply bodies.  Each decoder takes the whole reply (header included) and
 * fails with CHR_E_REPLY or CHR_E_TRUNCATED. */
struct chr_tracking {
	uint32_t ref_id;
	struct chr_addr ip;
	uint16_t stratum, leap_status; /* 0 normal, 1 insert, 2 delete, 3 unsync */
	double ref_time;	       /* Unix seconds */
	double current_correction, last_offset, rms_offset;
	double freq_ppm, resid_freq_ppm, skew_ppm;
	double root_delay, root_dispersion, last_update_interval;
};
enum chr_result chr_decode_tracking(const uint8_t *buf, size_t len, struct chr_tracking *out)
	__attribute__((warn_unused_result));

enum chr_result chr_decode_n_sources(const uint8_t *buf, size_t len, uint32_t *n)
	__attribute__((warn_unused_result));

struct chr_source_data {
	struct chr_addr ip;
	int16_t poll;
	uint16_t stratum;
	uint16_t state; /* 0 selected, 1 nonselectable, 2 falseticker, 3 jittery, 4 unselected, 5
			   selectable */
	uint16_t mode;	/* 0 client, 1 peer, 2 refclock */
	uint16_t flags;
	uint16_t reachability;
	uint32_t since_sample;
	double orig_latest_meas, latest_meas, latest_meas_err;
};
enum chr_result chr_decode_source_data(const uint8_t *buf, size_t len, struct chr_source_data *out)
	__attribute__((warn_unused_result));

struct chr_sourcestats {
	uint32_t ref_id;
	struct chr_addr ip;
	uint32_t n_samples, n_runs, span_seconds;
	double sd, resid_freq_ppm, skew_ppm, est_offset, est_offset_err;
};
enum chr_result chr_decode_sourcestats(const uint8_t *buf, size_t len, struct chr_sourcestats *out)
	__attribute__((warn_unused_result));

/* SERVER_STATS replies 14, 22, 24, 25: fields a version lacks stay 0 and
 * their bit in `present` is clear. */
struct chr_serverstats {
	unsigned version_reply; /* the reply code it came in */
	uint64_t ntp_hits, nke_hits, cmd_hits, ntp_drops, nke_drops, cmd_drops, log_drops;
	uint64_t ntp_auth_hits, ntp_interleaved_hits, ntp_timestamps, ntp_span_seconds;
	uint64_t ntp_daemon_rx, ntp_daemon_tx, ntp_kernel_rx, ntp_kernel_tx, ntp_hw_rx, ntp_hw_tx;
	uint32_t present; /* CHR_SS_* bits */
};
#define CHR_SS_NKE (1u << 0)	/* nke_hits, nke_drops (22+) */
#define CHR_SS_AUTH (1u << 1)	/* ntp_auth_hits (22+) */
#define CHR_SS_INTERL (1u << 2) /* interleaved, timestamps, span (24+) */
#define CHR_SS_TSSRC (1u << 3)	/* daemon/kernel/hw rx/tx timestamps (25) */
enum chr_result chr_decode_serverstats(const uint8_t *buf, size_t len, struct chr_serverstats *out)
	__attribute__((warn_unused_result));

struct chr_ntp_data {
	struct chr_addr remote, local;
	uint16_t remote_port;
	uint8_t leap, version, mode, stratum;
	int8_t poll, precision;
	double root_delay, root_dispersion;
	uint32_t ref_id;
	double ref_time;
	double offset, peer_delay, peer_dispersion, response_time, jitter_asymmetry;
	uint16_t flags; /* tests 0x3ff, interleaved 0x4000, authenticated 0x8000 */
	uint8_t tx_tss_char, rx_tss_char;
	uint32_t total_tx_count, total_rx_count, total_valid_count, total_good_count;
	unsigned version_reply; /* 16 (RPY_NTP_DATA, chrony < 4.6) or 26 (RPY_NTP_DATA2) */
	/* Timestamp counters of RPY_NTP_DATA2 (chrony 4.6+); 0 in reply 16. */
	uint32_t total_kernel_tx_ts, total_kernel_rx_ts, total_hw_tx_ts, total_hw_rx_ts;
};
enum chr_result chr_decode_ntp_data(const uint8_t *buf, size_t len, struct chr_ntp_data *out)
	__attribute__((warn_unused_result));

/* NTP_SOURCE_NAME: the name, NUL-terminated into buf.  CHR_E_VALUE (and an
 * empty name) if it is not terminated, not printable or does not fit. */
enum chr_result chr_decode_source_name(const uint8_t *buf, size_t len, char *name, size_t namelen)
	__attribute__((warn_unused_result));

struct chr_activity {
	int32_t online, offline, burst_online, burst_offline, unresolved;
};
enum chr_result chr_decode_activity(const uint8_t *buf, size_t len, struct chr_activity *out)
	__attribute__((warn_unused_result));

#define CHR_MAX_CLIENTS_PER_REPLY 8
struct chr_client {
	struct chr_addr ip;
	uint32_t ntp_hits, nke_hits, cmd_hits, ntp_drops, nke_drops, cmd_drops;
	int8_t ntp_interval, nke_interval, cmd_interval, ntp_timeout_interval;
	uint32_t last_ntp_hit_ago, last_nke_hit_ago, last_cmd_hit_ago;
};
struct chr_client_accesses {
	uint32_t n_indices, next_index, n_clients; /* n_clients <= 8 */
	struct chr_client clients[CHR_MAX_CLIENTS_PER_REPLY];
};
enum chr_result chr_decode_client_accesses(const uint8_t *buf, size_t len,
					   struct chr_client_accesses *out)
	__attribute__((warn_unused_result));

#endif
