/* mode6.h - NTP control messages (mode 6, RFC 9327; NTPsec docs/mode6.adoc):
 * header codec, fragment reassembly, the name=value text of READVAR and
 * READCLOCK, and the status words.  A pure codec: no I/O, no allocation
 * except in the reassembler (bounded by its creator).
 *
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |LI | VN  |Mode |R|E|M| OpCode  |          Sequence             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Status             |       Association ID          |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |            Offset             |            Count              |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Data (up to 468 octets), padded to 4 (8 with a MAC)    |
 * |        [Key ID + MAC] (requests only)                         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#ifndef SUNDIAL_WIRE_MODE6_H
#define SUNDIAL_WIRE_MODE6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define M6_HDR_LEN 12
#define M6_MAX_DATA 468 /* CTL_MAX_DATA_LEN */

enum m6_opcode {
	M6_OP_READSTAT = 1,
	M6_OP_READVAR = 2,
	M6_OP_WRITEVAR = 3,
	M6_OP_READCLOCK = 4,
	M6_OP_WRITECLOCK = 5,
	M6_OP_CONFIGURE = 8,
	M6_OP_READ_MRU = 10,
	M6_OP_READ_ORDLIST_A = 11,
	M6_OP_REQ_NONCE = 12,
};

/* Error codes carried in the high byte of the status of an error reply. */
enum m6_error {
	M6_ERR_UNSPEC = 0,
	M6_ERR_PERMISSION = 1,
	M6_ERR_BADFMT = 2,
	M6_ERR_BADOP = 3,
	M6_ERR_BADASSOC = 4,
	M6_ERR_UNKNOWNVAR = 5,
	M6_ERR_BADVALUE = 6,
	M6_ERR_RESTRICT = 7,
};

struct m6_hdr {
	uint8_t leap, version, mode;
	bool response, error, more;
	uint8_t opcode;
	uint16_t sequence, status, associd, offset, count;
};

enum m6_status {
	M6_OK = 0,
	M6_E_TRUNCATED, /* shorter than the header, or than count says */
	M6_E_MODE,	/* not mode 6 */
	M6_E_VERSION,	/* version not 2..4 */
	M6_E_COUNT,	/* count above 468 */
};

const char *m6_strerror(enum m6_status st);

/* Decodes the header; on M6_OK the data are buf[12, 12 + h->count). */
enum m6_status m6_hdr_decode(const uint8_t *buf, size_t len, struct m6_hdr *h)
	__attribute__((warn_unused_result));

/* Encodes a request (version 2..4 as given, R/E/M clear) with its data, zero-
 * padded to a multiple of 4 octets, or of 8 when mac_follows (the caller then
 * appends key id + MAC).  Returns the length, or 0 if it does not fit or data
 * is longer than 468 octets. */
size_t m6_request_encode(uint8_t *buf, size_t cap, uint8_t version, uint8_t opcode,
			 uint16_t sequence, uint16_t associd, const void *data, size_t len,
			 bool mac_follows);

/* A phrase for an error code ("permission denied", "unknown variable"...). */
const char *m6_error_str(unsigned code);

/* --- reassembly of multi-fragment replies --- */

typedef struct m6_asm m6_asm;

enum m6_asm_result {
	M6_ASM_MORE = 0,  /* fragment stored; more are missing */
	M6_ASM_DONE,	  /* the last fragment is in and there are no gaps */
	M6_ASM_DUP,	  /* the same fragment again: ignored */
	M6_ASM_OVERLAP,	  /* overlaps another fragment differently: reply rejected */
	M6_ASM_TOO_LARGE, /* beyond the size limit: reply rejected */
	M6_ASM_MISMATCH,  /* another opcode, sequence or association */
};

/* A reassembler for replies of at most max_bytes of data (the caller's
 * bound, e.g. 64 KiB for READVAR, more for MRU chunks).  NULL on failure. */
m6_asm *m6_asm_new(size_t max_bytes);
void m6_asm_free(m6_asm *a); /* accepts NULL */

/* Starts over for the reply to (opcode, sequence, associd). */
void m6_asm_reset(m6_asm *a, uint8_t opcode, uint16_t sequence, uint16_t associd);

/* Adds one decoded fragment whose data are data[0, h->count); fragments may
 * come in any order.  A fragment without the "more" bit marks the end. */
enum m6_asm_result m6_asm_add(m6_asm *a, const struct m6_hdr *h, const uint8_t *data);

/* The reassembled data (borrowed until the next reset/free) and its length. */
const uint8_t *m6_asm_data(const m6_asm *a, size_t *len);

/* The status word of the reply (of its first fragment). */
uint16_t m6_asm_status(const m6_asm *a);

/* --- name=value text --- */

/* One "name=value" item; points into the text it came from (a view: valid
 * while that text lives).  value is NULL for a bare name; quoted values keep
 * their quotes (m6_value_string removes them). */
struct m6_var_view {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct m6_iter {
	const char *p;
	size_t left;
};

/* Starts iterating over text[0, len) (NULs and trailing CR/LF ignored). */
void m6_iter_init(struct m6_iter *it, const char *text, size_t len);

/* The next item: items are separated by commas outside double quotes, with
 * white space around them ignored.  Returns false at the end. */
bool m6_iter_next(struct m6_iter *it, struct m6_var_view *v);

/* True if v's name is exactly name. */
bool m6_var_is(const struct m6_var_view *v, const char *name);

/* Value converters; each returns false for a missing or malformed value. */
bool m6_value_double(const struct m6_var_view *v, double *out); /* 1.5, -3e-3 */
bool m6_value_u64(const struct m6_var_view *v, uint64_t *out);	/* 12, 0x1f */
bool m6_value_i64(const struct m6_var_view *v, int64_t *out);
/* 0xSSSSSSSS.FFFFFFFF to a 32.32 NTP timestamp. */
bool m6_value_ntpts(const struct m6_var_view *v, uint64_t *out);
/* The value without quotes, NUL-terminated, into buf (truncated to fit). */
bool m6_value_string(const struct m6_var_view *v, char *buf, size_t len);

/* --- READSTAT --- */

struct m6_assoc {
	uint16_t associd;
	uint16_t status; /* peer status word */
};

/* Decodes READSTAT data (pairs of u16) into out; returns the number of
 * pairs, at most max; a length that is not a multiple of 4 is an error
 * (-EINVAL). */
int m6_readstat_decode(const uint8_t *data, size_t len, struct m6_assoc *out, size_t max)
	__attribute__((warn_unused_result));

/* --- status words --- */

struct m6_sys_status {
	uint8_t leap;	     /* 0..3 */
	uint8_t source;	     /* clock source 0..63 */
	uint8_t event_count; /* 0..15 */
	uint8_t event_code;  /* 0..15 */
};
void m6_sys_status_decode(uint16_t w, struct m6_sys_status *out);
const char *m6_clock_source_str(unsigned source); /* "pps", "lf_radio", "ntp", ... */

struct m6_peer_status {
	bool configured, authenable, authentic, reachable, bcast;
	uint8_t selection; /* 0..7 */
	uint8_t event_count, event_code;
};
void m6_peer_status_decode(uint16_t w, struct m6_peer_status *out);
/* ntpq's tally code for a selection: ' ', 'x', '.', '-', '+', '#', '*', 'o'. */
char m6_tally(unsigned selection);
const char *m6_selection_str(unsigned selection); /* "sys.peer", "candidate", ... */

/* The clock status word of READCLOCK: event count and clock status. */
struct m6_clock_status {
	uint8_t event_count;
	uint8_t status; /* 0 nominal .. 6 bad time */
};
void m6_clock_status_decode(uint16_t w, struct m6_clock_status *out);
/* "nominal", "no reply", "bad timecode format", "fault", "signal loss",
 * "bad date", "bad time"; "unknown" above 6. */
const char *m6_clock_status_str(unsigned status);

/* --- the parse driver's refclock_states --- */

/* refclock_states="*NOMINAL: 21:25:02 (99.28%); NO RESPONSE: 00:00:10 (0.72%);
 *                  running time: 21:25:12"
 * (the parse driver: NTP classic refclock_parse.c, NTPsec refclock_generic.c;
 * durations "[<days>d+]HH:MM:SS").  Splits it into states with their seconds
 * and shares; the value may keep its quotes. */
struct m6_clock_state_share {
	char name[32]; /* "NOMINAL", "NO RESPONSE", ... */
	bool current;  /* marked with '*' */
	double seconds;
	double share; /* 0..1 */
};
/* Returns the number of states written (<= max), or -EINVAL if malformed. */
int m6_refclock_states_parse(const char *s, size_t len, struct m6_clock_state_share *out,
			     size_t max) __attribute__((warn_unused_result));

#endif
