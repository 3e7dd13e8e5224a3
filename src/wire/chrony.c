/* chrony.c - chronyd's command and monitoring protocol; see chrony.h.
 *
 * Layouts from chrony's candm.h (protocol version 6), lengths from
 * pktlength.c, number formats from util.c (UTI_FloatNetworkToHost,
 * UTI_TimespecNetworkToHost, UTI_IPNetworkToHost).  Pure: no I/O, no
 * allocation.  Every read of a reply goes through struct rd (common/rd.h).
 *
 * Request (CMD_Request):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |  version (6)  | pkt_type (1)  |   res1 (0)    |   res2 (0)    |  0
 * |            command            |            attempt            |  4
 * |                           sequence                            |  8
 * |                             pad1                              | 12
 * |                             pad2                              | 16
 * |            data (0..n octets, per command), then zero         | 20
 * |            padding up to the length of the reply              |
 * +---------------------------------------------------------------+
 *
 * Reply (CMD_Reply):
 * +---------------+---------------+---------------+---------------+
 * |    version    | pkt_type (2)  |   res1 (0)    |   res2 (0)    |  0
 * |       command (echoed)        |        reply (format)         |  4
 * |            status             |             pad1              |  8
 * |             pad2              |             pad3              | 12
 * |                      sequence (echoed)                        | 16
 * |                             pad4                              | 20
 * |                             pad5                              | 24
 * |                     data (per reply format)                   | 28
 * +---------------------------------------------------------------+
 *
 * IPAddr (20 octets): addr[16] (IPv4 and refclock IDs in the first 4,
 * network order), family u16 (0 unspec, 1 IPv4, 2 IPv6, 3 ID), pad u16.
 * Timespec (12 octets): sec_high, sec_low, nsec; sec_high 0x7fffffff
 * (TV_NOHIGHSEC) stands for 0.  Integer64: high u32, low u32.
 * Float: 7-bit signed exponent, 25-bit signed coefficient, coef * 2^(exp-25).
 */
#include "wire/chrony.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/rd.h"

#define PKT_TYPE_REQUEST 1
#define PKT_TYPE_REPLY 2
#define IPADDR_LEN 20
#define TIMESPEC_LEN 12
#define TV_NOHIGHSEC 0x7fffffffu
#define SOURCE_NAME_LEN 256
#define CLIENT_LEN 60 /* RPY_ClientAccesses_Client */

/* Reply formats (candm.h RPY_*). */
enum {
	RPY_NULL = 1,
	RPY_N_SOURCES = 2,
	RPY_SOURCE_DATA = 3,
	RPY_TRACKING = 5,
	RPY_SOURCESTATS = 6,
	RPY_ACTIVITY = 12,
	RPY_SERVER_STATS = 14, /* chrony 2.x-3.x: 5 x u32 */
	RPY_NTP_DATA = 16,     /* chrony 3.0-4.5 */
	RPY_NTP_SOURCE_NAME = 19,
	RPY_AUTH_DATA = 20,
	RPY_CLIENT_ACCESSES_BY_INDEX3 = 21,
	RPY_SERVER_STATS2 = 22, /* chrony 4.0-4.1: 8 x u32 */
	RPY_SELECT_DATA = 23,
	RPY_SERVER_STATS3 = 24, /* chrony 4.2-4.3: 11 x u32 */
	RPY_SERVER_STATS4 = 25, /* chrony 4.4+: 17 x Integer64 + 4 reserved */
	RPY_NTP_DATA2 = 26,	/* chrony 4.6+: 4 timestamp counters more */
};

/* Whole reply lengths: offsetof(CMD_Reply, data.<x>.EOR) (pktlength.c). */
static size_t reply_length(unsigned reply)
{
	switch (reply) {
	case RPY_NULL: return 28;
	case RPY_N_SOURCES: return 32;
	case RPY_SOURCE_DATA: return 76;
	case RPY_TRACKING: return 104;
	case RPY_SOURCESTATS: return 84;
	case RPY_ACTIVITY: return 48;
	case RPY_SERVER_STATS: return 48;
	case RPY_NTP_DATA: return 152;
	case RPY_NTP_SOURCE_NAME: return 284;
	case RPY_AUTH_DATA: return 52;
	case RPY_CLIENT_ACCESSES_BY_INDEX3: return 520;
	case RPY_SERVER_STATS2: return 60;
	case RPY_SELECT_DATA: return 76;
	case RPY_SERVER_STATS3: return 72;
	case RPY_SERVER_STATS4: return 196;
	case RPY_NTP_DATA2: return 172;
	default: return 0; /* unknown: no length to check (as chronyc) */
	}
}

/* Request data length and the whole padded length for each command.  The
 * padding makes a request as long as its reply (pktlength.c), and chronyd
 * answers a shorter one with BADPKTLENGTH.  Where the reply grew between
 * versions (SERVER_STATS: 72 octets in 4.3, 196 in 4.4+; NTP_DATA: 152 in
 * 4.5, 172 in 4.6+) the request is padded to the longest: chronyd only
 * checks that a request is not shorter than it expects. */
static bool request_lengths(uint16_t command, size_t *data_len, size_t *total)
{
	switch (command) {
	case CHR_REQ_N_SOURCES: *data_len = 0, *total = 32; break;
	case CHR_REQ_SOURCE_DATA: *data_len = 4, *total = 76; break;
	case CHR_REQ_TRACKING: *data_len = 0, *total = 104; break;
	case CHR_REQ_SOURCESTATS: *data_len = 4, *total = 84; break;
	case CHR_REQ_ACTIVITY: *data_len = 0, *total = 48; break;
	case CHR_REQ_SERVER_STATS: *data_len = 0, *total = 196; break;
	case CHR_REQ_NTP_DATA: *data_len = IPADDR_LEN, *total = 172; break;
	case CHR_REQ_NTP_SOURCE_NAME: *data_len = IPADDR_LEN, *total = 284; break;
	case CHR_REQ_AUTH_DATA: *data_len = IPADDR_LEN, *total = 52; break;
	case CHR_REQ_CLIENT_ACCESSES_BY_INDEX3: *data_len = 16, *total = 520; break;
	case CHR_REQ_SELECT_DATA: *data_len = 4, *total = 76; break;
	default: return false;
	}
	return true;
}

const char *chr_status_str(unsigned status)
{
	/* chronyc's request_reply() messages, without their numbers. */
	switch (status) {
	case 0: return "success";
	case 1: return "failure";
	case 2: return "not authorised";
	case 3: return "invalid command";
	case 4: return "no such source";
	case 5: return "duplicate or stale logon detected";
	case 6: return "facility not enabled in daemon";
	case 7: return "bad subnet";
	case 8: return "access allowed";
	case 9: return "access denied";
	case 10: return "no command access from this host";
	case 11: return "source already present";
	case 12: return "too many sources present";
	case 13: return "RTC driver not running";
	case 14: return "can't write RTC parameters";
	case 15: return "client logging is not active in the daemon";
	case 16: return "sample index out of range";
	case 17: return "invalid address family";
	case 18: return "protocol version mismatch";
	case 19: return "packet length mismatch";
	case 21: return "invalid name";
	}
	return "unexpected error from daemon";
}

const char *chr_strerror(enum chr_result r)
{
	switch (r) {
	case CHR_OK: return "ok";
	case CHR_E_TRUNCATED: return "truncated reply";
	case CHR_E_HEADER: return "not a chrony command reply";
	case CHR_E_MISMATCH: return "reply to another request";
	case CHR_E_REPLY: return "unexpected reply type";
	case CHR_E_STATUS: return "chronyd reported an error";
	case CHR_E_VALUE: return "field out of range";
	}
	return "unknown error";
}

/* --- requests --- */

size_t chr_request_encode(uint8_t *buf, size_t cap, uint8_t version, uint16_t command,
			  uint16_t attempt, uint32_t sequence, const void *data, size_t len)
{
	size_t data_len, total;
	if (!request_lengths(command, &data_len, &total) || len != data_len ||
	    (len > 0 && data == NULL))
		return 0;
	/* Protocol version 5 has no padding (PKL_CommandPaddingLength). */
	if (version < 6)
		total = CHR_REQ_HDR_LEN + data_len;
	if (cap < total)
		return 0;
	struct wr w = wr_make(buf, cap);
	wr_u8(&w, version);
	wr_u8(&w, PKT_TYPE_REQUEST);
	wr_u8(&w, 0);
	wr_u8(&w, 0);
	wr_be16(&w, command);
	wr_be16(&w, attempt);
	wr_be32(&w, sequence);
	wr_be32(&w, 0);
	wr_be32(&w, 0);
	wr_bytes(&w, data, len);
	wr_zero(&w, total - CHR_REQ_HDR_LEN - len);
	return w.bad ? 0 : total;
}

size_t chr_req_index(uint8_t *buf, size_t cap, uint32_t index)
{
	struct wr w = wr_make(buf, cap);
	wr_be32(&w, index);
	return w.bad ? 0 : 4;
}

size_t chr_req_ipaddr(uint8_t *buf, size_t cap, int family, const uint8_t *addr)
{
	/* UTI_IPHostToNetwork: unused octets are zero. */
	size_t n;
	switch (family) {
	case 0: n = 0; break;
	case 1:
	case 3: n = 4; break;
	case 2: n = 16; break;
	default: return 0;
	}
	if (n > 0 && addr == NULL)
		return 0;
	struct wr w = wr_make(buf, cap);
	wr_bytes(&w, addr, n);
	wr_zero(&w, 16 - n);
	wr_be16(&w, (uint16_t)family);
	wr_be16(&w, 0);
	return w.bad ? 0 : IPADDR_LEN;
}

size_t chr_req_client_accesses(uint8_t *buf, size_t cap, uint32_t first_index, uint32_t n_clients,
			       uint32_t min_hits, uint32_t reset)
{
	struct wr w = wr_make(buf, cap);
	wr_be32(&w, first_index);
	wr_be32(&w, n_clients);
	wr_be32(&w, min_hits);
	wr_be32(&w, reset);
	return w.bad ? 0 : 16;
}

/* --- reply header --- */

/* The fixed part: length, packet type, reserved octets.  Fills h. */
static enum chr_result read_header(const uint8_t *buf, size_t len, struct chr_rpy_hdr *h)
{
	memset(h, 0, sizeof *h);
	struct rd r = rd_make(buf, len);
	h->version = rd_u8(&r);
	uint8_t pkt_type = rd_u8(&r);
	uint8_t res1 = rd_u8(&r);
	uint8_t res2 = rd_u8(&r);
	h->command = rd_be16(&r);
	h->reply = rd_be16(&r);
	h->status = rd_be16(&r);
	rd_skip(&r, 6); /* pad1..pad3 */
	h->sequence = rd_be32(&r);
	rd_skip(&r, 8); /* pad4, pad5 */
	if (r.bad)
		return CHR_E_TRUNCATED;
	if (pkt_type != PKT_TYPE_REPLY || res1 != 0 || res2 != 0)
		return CHR_E_HEADER;
	return CHR_OK;
}

/* Version, status and length, after the request has been matched.  A
 * version other than 5 or 6 is acceptable only in a BADPKTVERSION reply
 * from a version 4 or later (chronyc's PROTO_VERSION_MISMATCH_COMPAT_CLIENT). */
static enum chr_result check_reply(const struct chr_rpy_hdr *h, size_t len)
{
	if (h->version != 5 && h->version != CHR_PROTO_VERSION) {
		if (h->version >= 4 && h->status == CHR_STT_BADPKTVERSION)
			return CHR_E_STATUS;
		return CHR_E_HEADER;
	}
	if (h->status != CHR_STT_SUCCESS)
		return CHR_E_STATUS;
	if (len < reply_length(h->reply))
		return CHR_E_TRUNCATED;
	return CHR_OK;
}

enum chr_result chr_reply_header(const uint8_t *buf, size_t len, uint16_t command,
				 uint32_t sequence, struct chr_rpy_hdr *h)
{
	enum chr_result rc = read_header(buf, len, h);
	if (rc != CHR_OK)
		return rc;
	if (h->command != command || h->sequence != sequence)
		return CHR_E_MISMATCH;
	return check_reply(h, len);
}

/* The header of a reply that a body decoder is given: one of the reply
 * formats in want[] (0-terminated), long enough for it.  On CHR_OK, r is
 * left at the start of the data and *reply holds the format. */
static enum chr_result open_body(const uint8_t *buf, size_t len, const unsigned *want, struct rd *r,
				 unsigned *reply)
{
	struct chr_rpy_hdr h;
	enum chr_result rc = read_header(buf, len, &h);
	if (rc == CHR_OK)
		rc = check_reply(&h, len);
	if (rc != CHR_OK)
		return rc;
	bool known = false;
	for (size_t i = 0; want[i] != 0; i++)
		known = known || want[i] == h.reply;
	if (!known)
		return CHR_E_REPLY;
	*reply = h.reply;
	*r = rd_make(buf, len);
	rd_skip(r, CHR_RPY_HDR_LEN);
	return CHR_OK;
}

/* --- number formats --- */

double chr_float(uint32_t f)
{
	/* UTI_FloatNetworkToHost: exponent in the top 7 bits, coefficient in
	 * the low 25, both two's complement. */
	int exp = (int)(f >> 25);
	if (exp >= 64)
		exp -= 128;
	int32_t coef = (int32_t)(f & 0x1ffffffu);
	if (coef >= 0x1000000)
		coef -= 0x2000000;
	return ldexp((double)coef, exp - 25);
}

static double rd_float(struct rd *r)
{
	return chr_float(rd_be32(r));
}

/* UTI_TimespecNetworkToHost, as Unix seconds.  nsec is capped at
 * 999999999 as chrony does. */
static double rd_timespec(struct rd *r)
{
	uint32_t high = rd_be32(r);
	uint32_t low = rd_be32(r);
	uint32_t nsec = rd_be32(r);
	if (high == TV_NOHIGHSEC)
		high = 0;
	if (nsec > 999999999u)
		nsec = 999999999u;
	/* time_t is signed: a high word with its top bit set is negative. */
	double sec = ldexp((double)(int32_t)high, 32) + (double)low;
	return sec + (double)nsec * 1e-9;
}

static uint64_t rd_int64(struct rd *r)
{
	return rd_be64(r);
}

/* IPAddr.  An unknown family is CHR_E_VALUE; only the octets the family
 * uses are kept, the rest of a->addr is zero. */
static bool rd_addr(struct rd *r, struct chr_addr *a)
{
	uint8_t raw[16];
	rd_bytes(r, raw, sizeof raw);
	uint16_t family = rd_be16(r);
	rd_skip(r, 2);
	memset(a, 0, sizeof *a);
	switch (family) {
	case 0: break;
	case 1:
	case 3: memcpy(a->addr, raw, 4); break;
	case 2: memcpy(a->addr, raw, 16); break;
	default: return false;
	}
	a->family = (uint8_t)family;
	return true;
}

char *chr_addr_format(const struct chr_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	char tmp[INET6_ADDRSTRLEN + 16];
	switch (a->family) {
	case 0: snprintf(tmp, sizeof tmp, "[UNSPEC]"); break;
	case 1:
		if (!inet_ntop(AF_INET, a->addr, tmp, sizeof tmp))
			snprintf(tmp, sizeof tmp, "[INVALID]");
		break;
	case 2:
		if (!inet_ntop(AF_INET6, a->addr, tmp, sizeof tmp))
			snprintf(tmp, sizeof tmp, "[INVALID]");
		break;
	case 3: {
		uint32_t id = (uint32_t)a->addr[0] << 24 | (uint32_t)a->addr[1] << 16 |
			      (uint32_t)a->addr[2] << 8 | a->addr[3];
		snprintf(tmp, sizeof tmp, "ID#%010u", (unsigned)id);
		break;
	}
	default: snprintf(tmp, sizeof tmp, "[UNKNOWN]"); break;
	}
	snprintf(buf, len, "%s", tmp);
	return buf;
}

/* The end of a body decoder: truncation first, then bad values. */
static enum chr_result finish(const struct rd *r, bool values_ok)
{
	if (r->bad)
		return CHR_E_TRUNCATED;
	return values_ok ? CHR_OK : CHR_E_VALUE;
}

/* --- reply bodies --- */

/* RPY_Tracking (reply 5), 104 octets:
 *   28 ref_id u32            32 ip_addr IPAddr       52 stratum u16
 *   54 leap_status u16       56 ref_time Timespec    68 current_correction F
 *   72 last_offset F         76 rms_offset F         80 freq_ppm F
 *   84 resid_freq_ppm F      88 skew_ppm F           92 root_delay F
 *   96 root_dispersion F    100 last_update_interval F */
enum chr_result chr_decode_tracking(const uint8_t *buf, size_t len, struct chr_tracking *out)
{
	static const unsigned want[] = { RPY_TRACKING, 0 };
	memset(out, 0, sizeof *out);
	struct rd r;
	unsigned reply;
	enum chr_result rc = open_body(buf, len, want, &r, &reply);
	if (rc != CHR_OK)
		return rc;
	out->ref_id = rd_be32(&r);
	bool ok = rd_addr(&r, &out->ip);
	out->stratum = rd_be16(&r);
	out->leap_status = rd_be16(&r);
	out->ref_time = rd_timespec(&r);
	out->current_correction = rd_float(&r);
	out->last_offset = rd_float(&r);
	out->rms_offset = rd_float(&r);
	out->freq_ppm = rd_float(&r);
	out->resid_freq_ppm = rd_float(&r);
	out->skew_ppm = rd_float(&r);
	out->root_delay = rd_float(&r);
	out->root_dispersion = rd_float(&r);
	out->last_update_interval = rd_float(&r);
	return finish(&r, ok);
}

/* RPY_N_Sources (reply 2), 32 octets: 28 n_sources u32. */
enum chr_result chr_decode_n_sources(const uint8_t *buf, size_t len, uint32_t *n)
{
	static const unsigned want[] = { RPY_N_SOURCES, 0 };
	*n = 0;
	struct rd r;
	unsigned reply;
	enum chr_result rc = open_body(buf, len, want, &r, &reply);
	if (rc != CHR_OK)
		return rc;
	uint32_t v = rd_be32(&r);
	rc = finish(&r, true);
	if (rc == CHR_OK)
		*n = v;
	return rc;
}

/* RPY_Source_Data (reply 3), 76 octets:
 *   28 ip_addr IPAddr   48 poll s16        50 stratum u16     52 state u16
 *   54 mode u16         56 flags u16       58 reachability u16
 *   60 since_sample u32 64 orig_latest_meas F  68 latest_meas F
 *   72 latest_meas_err F */
enum chr_result chr_decode_source_data(const uint8_t *buf, size_t len, struct chr_source_data *out)
{
	static const unsigned want[] = { RPY_SOURCE_DATA, 0 };
	memset(out, 0, sizeof *out);
	struct rd r;
	unsigned reply;
	enum chr_result rc = open_body(buf, len, want, &r, &reply);
	if (rc != CHR_OK)
		return rc;
	bool ok = rd_addr(&r, &out->ip);
	out->poll = (int16_t)rd_be16(&r);
	out->stratum = rd_be16(&r);
	out->state = rd_be16(&r);
	out->mode = rd_be16(&r);
	out->flags = rd_be16(&r);
	out->reachability = rd_be16(&r);
	out->since_sample = rd_be32(&r);
	out->orig_latest_meas = rd_float(&r);
	out->latest_meas = rd_float(&r);
	out->latest_meas_err = rd_float(&r);
	return finish(&r, ok);
}

/* RPY_Sourcestats (reply 6), 84 octets:
 *   28 ref_id u32       32 ip_addr IPAddr  52 n_samples u32   56 n_runs u32
 *   60 span_seconds u32 64 sd F            68 resid_freq_ppm F
 *   72 skew_ppm F       76 est_offset F    80 est_offset_err F */
enum chr_result chr_decode_sourcestats(const uint8_t *buf, size_t len, struct chr_sourcestats *out)
{
	static const unsigned want[] = { RPY_SOURCESTATS, 0 };
	memset(out, 0, sizeof *out);
	struct rd r;
	unsigned reply;
	enum chr_result rc = open_body(buf, len, want, &r, &reply);
	if (rc != CHR_OK)
		return rc;
	out->ref_id = rd_be32(&r);
	bool ok = rd_addr(&r, &out->ip);
	out->n_samples = rd_be32(&r);
	out->n_runs = rd_be32(&r);
	out->span_seconds = rd_be32(&r);
	out->sd = rd_float(&r);
	out->resid_freq_ppm = rd_float(&r);
	out->skew_ppm = rd_float(&r);
	out->est_offset = rd_float(&r);
	out->est_offset_err = rd_float(&r);
	return finish(&r, ok);
}

/* RPY_ServerStats in its four versions, all counters from offset 28:
 *   14 (chrony 2.2-3.5), 48 octets, u32: ntp_hits cmd_hits ntp_drops
 *      cmd_drops log_drops
 *   22 (4.0-4.1), 60 octets, u32: ntp_hits nke_hits cmd_hits ntp_drops
 *      nke_drops cmd_drops log_drops ntp_auth_hits
 *   24 (4.2-4.3), 72 octets, u32: as 22, then ntp_interleaved_hits
 *      ntp_timestamps ntp_span_seconds
 *   25 (4.4+), 196 octets, Integer64: as 24, then ntp_daemon_rx/tx,
 *      ntp_kernel_rx/tx, ntp_hw_rx/tx timestamps, reserved[4] */
enum chr_result chr_decode_serverstats(const uint8_t *buf, size_t len, struct chr_serverstats *out)
{
	static const unsigned want[] = { RPY_SERVER_STATS, RPY_SERVER_STATS2, RPY_SERVER_STATS3,
					 RPY_SERVER_STATS4, 0 };
	memset(out, 0, sizeof *out);
	struct rd r;
	unsigned reply;
	enum chr_result rc = open_body(buf, len, want, &r, &reply);
	if (rc != CHR_OK)
		return rc;
	out->version_reply = reply;
	if (reply == RPY_SERVER_STATS) {
		out->ntp_hits = rd_be32(&r);
		out->cmd_hits = rd_be32(&r);
		out->ntp_drops = rd_be32(&r);
		out->cmd_drops = rd_be32(&r);
		out->log_drops = rd_be32(&r);
		return finish(&r, true);
	}
	if (reply == RPY_SERVER_STATS4) {
		uint64_t *const f[] = {
			&out->ntp_hits,	      &out->nke_hits,	      &out->cmd_hits,
			&out->ntp_drops,      &out->nke_drops,	      &out->cmd_drops,
			&out->log_drops,      &out->ntp_auth_hits,    &out->ntp_interleaved_hits,
			&out->ntp_timestamps, &out->ntp_span_seconds, &out->ntp_daemon_rx,
			&out->ntp_daemon_tx,  &out->ntp_kernel_rx,    &out->ntp_kernel_tx,
			&out->ntp_hw_rx,      &out->ntp_hw_tx,
		};
		for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
			*f[i] = rd_int64(&r);
		rd_skip(&r, 4 * 8); /* reserved[4] */
		out->present = CHR_SS_NKE | CHR_SS_AUTH | CHR_SS_INTERL | CHR_SS_TSSRC;
		return finish(&r, true);
	}
	out->ntp_hits = rd_be32(&r);
	out->nke_hits = rd_be32(&r);
	out->cmd_hits = rd_be32(&r);
	out->ntp_drops = rd_be32(&r);
	out->nke_drops = rd_be32(&r);
	out->cmd_drops = rd_be32(&r);
	out->log_drops = rd_be32(&r);
	out->ntp_auth_hits = rd_be32(&r);
	out->present = CHR_SS_NKE | CHR_SS_AUTH;
	if (reply == RPY_SERVER_STATS3) {
		out->ntp_interleaved_hits = rd_be32(&r);
		out->ntp_timestamps = rd_be32(&r);
		out->ntp_span_seconds = rd_be32(&r);
		out->present |= CHR_SS_INTERL;
	}
	return finish(&r, true);
}

/* RPY_NTPData, reply 16 (chrony 3.0-4.5, 152 octets) and 26 (4.6+, 172):
 *   28 remote_addr IPAddr   48 local_addr IPAddr    68 remote_port u16
 *   70 leap u8  71 version u8  72 mode u8  73 stratum u8
 *   74 poll s8  75 precision s8            76 root_delay F
 *   80 root_dispersion F    84 ref_id u32           88 ref_time Timespec
 *  100 offset F            104 peer_delay F        108 peer_dispersion F
 *  112 response_time F     116 jitter_asymmetry F  120 flags u16
 *  122 tx_tss_char u8     123 rx_tss_char u8      124 total_tx_count u32
 *  128 total_rx_count u32  132 total_valid_count u32
 *  136 total_good_count u32 (4.3+; reserved, so 0, before)
 *  reply 16: 140 reserved[3]
 *  reply 26: 140 total_kernel_tx_ts  144 total_kernel_rx_ts
 *            148 total_hw_tx_ts      152 total_hw_rx_ts   156 reserved[4] */
enum chr_result chr_decode_ntp_data(const uint8_t *buf, size_t len, struct chr_ntp_data *out)
{
	static const unsigned want[] = { RPY_NTP_DATA, RPY_NTP_DATA2, 0 };
	memset(out, 0, sizeof *out);
	struct rd r;
	unsigned reply;
	enum chr_result rc = open_body(buf, len, want, &r, &reply);
	if (rc != CHR_OK)
		return rc;
	out->version_reply = reply;
	bool ok = rd_addr(&r, &out->remote);
	ok = rd_addr(&r, &out->local) && ok;
	out->remote_port = rd_be16(&r);
	out->leap = rd_u8(&r);
	out->version = rd_u8(&r);
	out->mode = rd_u8(&r);
	out->stratum = rd_u8(&r);
	out->poll = (int8_t)rd_u8(&r);
	out->precision = (int8_t)rd_u8(&r);
	out->root_delay = rd_float(&r);
	out->root_dispersion = rd_float(&r);
	out->ref_id = rd_be32(&r);
	out->ref_time = rd_timespec(&r);
	out->offset = rd_float(&r);
	out->peer_delay = rd_float(&r);
	out->peer_dispersion = rd_float(&r);
	out->response_time = rd_float(&r);
	out->jitter_asymmetry = rd_float(&r);
	out->flags = rd_be16(&r);
	out->tx_tss_char = rd_u8(&r);
	out->rx_tss_char = rd_u8(&r);
	out->total_tx_count = rd_be32(&r);
	out->total_rx_count = rd_be32(&r);
	out->total_valid_count = rd_be32(&r);
	out->total_good_count = rd_be32(&r);
	if (reply == RPY_NTP_DATA2) {
		out->total_kernel_tx_ts = rd_be32(&r);
		out->total_kernel_rx_ts = rd_be32(&r);
		out->total_hw_tx_ts = rd_be32(&r);
		out->total_hw_rx_ts = rd_be32(&r);
	}
	return finish(&r, ok);
}

/* RPY_NTPSourceName (reply 19), 284 octets: 28 name[256], NUL-terminated.
 * As chronyc's get_source_name(): the name must end inside the field, fit
 * the caller's buffer and be printable without spaces (isgraph);
 * otherwise CHR_E_VALUE and an empty name. */
enum chr_result chr_decode_source_name(const uint8_t *buf, size_t len, char *name, size_t namelen)
{
	static const unsigned want[] = { RPY_NTP_SOURCE_NAME, 0 };
	if (namelen > 0)
		name[0] = '\0';
	struct rd r;
	unsigned reply;
	enum chr_result rc = open_body(buf, len, want, &r, &reply);
	if (rc != CHR_OK)
		return rc;
	const uint8_t *p = rd_ptr(&r, SOURCE_NAME_LEN);
	if (!p)
		return CHR_E_TRUNCATED;
	const uint8_t *nul = memchr(p, 0, SOURCE_NAME_LEN);
	if (!nul)
		return CHR_E_VALUE;
	size_t n = (size_t)(nul - p);
	if (n >= namelen)
		return CHR_E_VALUE;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return CHR_E_VALUE;
	memcpy(name, p, n);
	name[n] = '\0';
	return CHR_OK;
}

/* RPY_Activity (reply 12), 48 octets: 28 online, 32 offline,
 * 36 burst_online, 40 burst_offline, 44 unresolved (s32 each). */
enum chr_result chr_decode_activity(const uint8_t *buf, size_t len, struct chr_activity *out)
{
	static const unsigned want[] = { RPY_ACTIVITY, 0 };
	memset(out, 0, sizeof *out);
	struct rd r;
	unsigned reply;
	enum chr_result rc = open_body(buf, len, want, &r, &reply);
	if (rc != CHR_OK)
		return rc;
	out->online = (int32_t)rd_be32(&r);
	out->offline = (int32_t)rd_be32(&r);
	out->burst_online = (int32_t)rd_be32(&r);
	out->burst_offline = (int32_t)rd_be32(&r);
	out->unresolved = (int32_t)rd_be32(&r);
	return finish(&r, true);
}

/* RPY_ClientAccessesByIndex (reply 21, CLIENT_ACCESSES_BY_INDEX3), 520
 * octets: 28 n_indices u32, 32 next_index u32, 36 n_clients u32, then
 * 8 entries of 60 octets from 40:
 *    0 ip IPAddr          20 ntp_hits u32      24 nke_hits u32
 *   28 cmd_hits u32       32 ntp_drops u32     36 nke_drops u32
 *   40 cmd_drops u32      44 ntp_interval s8   45 nke_interval s8
 *   46 cmd_interval s8    47 ntp_timeout_interval s8
 *   48 last_ntp_hit_ago   52 last_nke_hit_ago  56 last_cmd_hit_ago (u32)
 * n_clients above 8 is CHR_E_VALUE.  Only the first n_clients entries are
 * decoded; chronyc skips an entry whose family is unspecified (so may the
 * caller). */
enum chr_result chr_decode_client_accesses(const uint8_t *buf, size_t len,
					   struct chr_client_accesses *out)
{
	static const unsigned want[] = { RPY_CLIENT_ACCESSES_BY_INDEX3, 0 };
	memset(out, 0, sizeof *out);
	struct rd r;
	unsigned reply;
	enum chr_result rc = open_body(buf, len, want, &r, &reply);
	if (rc != CHR_OK)
		return rc;
	out->n_indices = rd_be32(&r);
	out->next_index = rd_be32(&r);
	uint32_t n = rd_be32(&r);
	if (r.bad)
		return CHR_E_TRUNCATED;
	if (n > CHR_MAX_CLIENTS_PER_REPLY) {
		memset(out, 0, sizeof *out);
		return CHR_E_VALUE;
	}
	bool ok = true;
	for (size_t i = 0; i < n; i++) {
		struct rd e = rd_sub(&r, CLIENT_LEN);
		struct chr_client *c = &out->clients[i];
		ok = rd_addr(&e, &c->ip) && ok;
		c->ntp_hits = rd_be32(&e);
		c->nke_hits = rd_be32(&e);
		c->cmd_hits = rd_be32(&e);
		c->ntp_drops = rd_be32(&e);
		c->nke_drops = rd_be32(&e);
		c->cmd_drops = rd_be32(&e);
		c->ntp_interval = (int8_t)rd_u8(&e);
		c->nke_interval = (int8_t)rd_u8(&e);
		c->cmd_interval = (int8_t)rd_u8(&e);
		c->ntp_timeout_interval = (int8_t)rd_u8(&e);
		c->last_ntp_hit_ago = rd_be32(&e);
		c->last_nke_hit_ago = rd_be32(&e);
		c->last_cmd_hit_ago = rd_be32(&e);
		if (e.bad)
			r.bad = true;
	}
	out->n_clients = n;
	rc = finish(&r, ok);
	if (rc != CHR_OK)
		memset(out, 0, sizeof *out);
	return rc;
}
