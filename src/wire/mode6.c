/* mode6.c - NTP control messages (mode 6); see mode6.h for the layout.
 *
 * Sources: RFC 9327 (Control Messages Protocol for NTPv4); NTPsec
 * include/ntp_control.h (field masks, status words, error codes),
 * docs/mode6.adoc (varlist grammar), ntpd/ntp_control.c (what a server
 * really sends: zero padding, "\r\n" after the last item, noise tags) and
 * pylib/packet.py (ControlSession.getresponse and __parse_varlist: how ntpq
 * reassembles fragments and reads the text); NTP classic ntpq/ntpq.c
 * sendrequest() for the padding of authenticated requests.
 *
 * Pure: no I/O, no globals; the only allocation is the reassembler's buffer,
 * sized once by its creator.
 */
#include "wire/mode6.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/rd.h"

#define M6_MODE 6

const char *m6_strerror(enum m6_status st)
{
	switch (st) {
	case M6_OK: return "ok";
	case M6_E_TRUNCATED: return "truncated control message";
	case M6_E_MODE: return "not a control message (mode 6)";
	case M6_E_VERSION: return "unsupported NTP version in control message";
	case M6_E_COUNT: return "control message count above 468 octets";
	}
	return "unknown error";
}

enum m6_status m6_hdr_decode(const uint8_t *buf, size_t len, struct m6_hdr *h)
{
	memset(h, 0, sizeof *h);
	struct rd r = rd_make(buf, len);

	uint8_t b0 = rd_u8(&r);
	if (r.bad)
		return M6_E_TRUNCATED;
	h->leap = (uint8_t)(b0 >> 6);
	h->version = (uint8_t)((b0 >> 3) & 7);
	h->mode = (uint8_t)(b0 & 7);
	if (h->mode != M6_MODE)
		return M6_E_MODE;
	if (h->version < 2 || h->version > 4)
		return M6_E_VERSION;

	uint8_t b1 = rd_u8(&r);
	h->response = (b1 & 0x80) != 0;
	h->error = (b1 & 0x40) != 0;
	h->more = (b1 & 0x20) != 0;
	h->opcode = (uint8_t)(b1 & 0x1f);
	h->sequence = rd_be16(&r);
	h->status = rd_be16(&r);
	h->associd = rd_be16(&r);
	h->offset = rd_be16(&r);
	h->count = rd_be16(&r);
	if (r.bad)
		return M6_E_TRUNCATED;
	if (h->count > M6_MAX_DATA)
		return M6_E_COUNT;
	/* Padding and a MAC may follow the data; they are not ours to judge. */
	if (!rd_need(&r, h->count))
		return M6_E_TRUNCATED;
	return M6_OK;
}

size_t m6_request_encode(uint8_t *buf, size_t cap, uint8_t version, uint8_t opcode,
			 uint16_t sequence, uint16_t associd, const void *data, size_t len,
			 bool mac_follows)
{
	if (len > M6_MAX_DATA || (len > 0 && !data) || version < 2 || version > 4 || opcode > 0x1f)
		return 0;
	/* ntpq pads the data to 32 bits and, when it signs the request, on
	 * to 64 bits so that the key id starts where NTP classic's ntpd (and
	 * NTPsec's before 1.2.3) looks for it: (12 + count) rounded up to 8
	 * (classic ntpq.c sendrequest(), ntp_control.c process_control()).
	 * The padding is not counted in the count field. */
	size_t align = mac_follows ? 8 : 4;
	size_t total = (M6_HDR_LEN + len + align - 1) / align * align;
	if (!buf || cap < total)
		return 0;
	struct wr w = wr_make(buf, cap);
	wr_u8(&w, (uint8_t)((version & 7) << 3 | M6_MODE)); /* LI 0 */
	wr_u8(&w, opcode);				    /* R, E, M clear */
	wr_be16(&w, sequence);
	wr_be16(&w, 0); /* status */
	wr_be16(&w, associd);
	wr_be16(&w, 0); /* offset */
	wr_be16(&w, (uint16_t)len);
	wr_bytes(&w, data, len);
	wr_zero(&w, total - M6_HDR_LEN - len);
	return w.bad ? 0 : total;
}

const char *m6_error_str(unsigned code)
{
	/* ntp_control.h CERR_*; phrases after ntpq's SERR_* messages. */
	switch (code) {
	case M6_ERR_UNSPEC: return "unspecified error";
	case M6_ERR_PERMISSION: return "permission denied (authentication needed?)";
	case M6_ERR_BADFMT: return "bad request format";
	case M6_ERR_BADOP: return "unknown or unimplemented opcode";
	case M6_ERR_BADASSOC: return "unknown association";
	case M6_ERR_UNKNOWNVAR: return "unknown variable";
	case M6_ERR_BADVALUE: return "bad value";
	case M6_ERR_RESTRICT: return "access restricted";
	}
	return "unknown error code";
}

/* --- reassembly ---
 *
 * The data of a reply go to buf at their offset; map has one bit per octet
 * received.  A fragment whose octets were all received before, with the
 * same contents, is a duplicate; one that lands partly on received octets,
 * or on them with other contents, or that contradicts the end given by the
 * last fragment, rejects the reply (ntpq drops such fragments,
 * pylib/packet.py getresponse(); a reply that needs them cannot be trusted).
 */
struct m6_asm {
	size_t max;	 /* bytes of data accepted at most */
	uint8_t *buf;	 /* max octets (at least 1) */
	uint8_t *map;	 /* (max + 7) / 8 octets */
	size_t hi;	 /* highest end seen, for a cheap reset */
	size_t covered;	 /* octets received */
	size_t end;	 /* length of the reply, once the last fragment is in */
	bool have_last;	 /* the fragment without "more" is in */
	bool have_first; /* the fragment at offset 0 is in */
	bool failed;	 /* rejected until reset */
	enum m6_asm_result why;
	uint16_t status;
	uint8_t opcode;
	uint16_t sequence, associd;
};

m6_asm *m6_asm_new(size_t max_bytes)
{
	if (max_bytes > SIZE_MAX - 8)
		return NULL;
	m6_asm *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->max = max_bytes;
	a->buf = malloc(max_bytes ? max_bytes : 1);
	a->map = calloc((max_bytes + 7) / 8 + 1, 1);
	if (!a->buf || !a->map) {
		m6_asm_free(a);
		return NULL;
	}
	return a;
}

void m6_asm_free(m6_asm *a)
{
	if (!a)
		return;
	free(a->buf);
	free(a->map);
	free(a);
}

void m6_asm_reset(m6_asm *a, uint8_t opcode, uint16_t sequence, uint16_t associd)
{
	memset(a->map, 0, (a->hi + 7) / 8);
	a->hi = 0;
	a->covered = 0;
	a->end = 0;
	a->have_last = false;
	a->have_first = false;
	a->failed = false;
	a->why = M6_ASM_MORE;
	a->status = 0;
	a->opcode = opcode;
	a->sequence = sequence;
	a->associd = associd;
}

static bool bit_get(const uint8_t *map, size_t i)
{
	return ((unsigned)map[i / 8] >> (i % 8) & 1u) != 0;
}

static void bit_set(uint8_t *map, size_t i)
{
	map[i / 8] = (uint8_t)(map[i / 8] | (1u << (i % 8)));
}

static enum m6_asm_result reject(m6_asm *a, enum m6_asm_result why)
{
	a->failed = true;
	a->why = why;
	return why;
}

static bool complete(const m6_asm *a)
{
	return a->have_last && a->covered == a->end;
}

enum m6_asm_result m6_asm_add(m6_asm *a, const struct m6_hdr *h, const uint8_t *data)
{
	if (!h->response || h->opcode != a->opcode || h->sequence != a->sequence ||
	    h->associd != a->associd)
		return M6_ASM_MISMATCH;
	if (a->failed)
		return a->why;
	size_t off = h->offset, n = h->count;
	if (n > M6_MAX_DATA || (n > 0 && !data))
		return reject(a, M6_ASM_OVERLAP); /* not from m6_hdr_decode */
	if (off > a->max || n > a->max - off)
		return reject(a, M6_ASM_TOO_LARGE);
	size_t stop = off + n;

	/* The end of the reply: given by the last fragment, and never
	 * contradicted by another one. */
	if (!h->more) {
		if (a->have_last && stop != a->end)
			return reject(a, M6_ASM_OVERLAP);
		if (!a->have_last && a->hi > stop)
			return reject(a, M6_ASM_OVERLAP);
	} else if (a->have_last && stop > a->end) {
		return reject(a, M6_ASM_OVERLAP);
	}
	if (n == 0 && h->more)
		return complete(a) ? M6_ASM_DONE : M6_ASM_MORE; /* ntpq ignores these too */

	size_t seen = 0;
	for (size_t i = off; i < stop; i++) {
		if (bit_get(a->map, i)) {
			if (a->buf[i] != data[i - off])
				return reject(a, M6_ASM_OVERLAP);
			seen++;
		}
	}
	if (seen > 0 && seen < n)
		return reject(a, M6_ASM_OVERLAP);
	bool dup = n > 0 ? seen == n : (a->have_last && !h->more);

	if (!dup) {
		if (n > 0)
			memcpy(a->buf + off, data, n);
		for (size_t i = off; i < stop; i++)
			bit_set(a->map, i);
		a->covered += n;
		if (stop > a->hi)
			a->hi = stop;
	}
	if (!h->more && !a->have_last) {
		a->have_last = true;
		a->end = stop;
	}
	if (off == 0 && !a->have_first) {
		a->have_first = true;
		a->status = h->status;
	}
	if (dup)
		return M6_ASM_DUP;
	return complete(a) ? M6_ASM_DONE : M6_ASM_MORE;
}

const uint8_t *m6_asm_data(const m6_asm *a, size_t *len)
{
	*len = (!a->failed && complete(a)) ? a->end : 0;
	return a->buf;
}

uint16_t m6_asm_status(const m6_asm *a)
{
	return a->status;
}

/* --- name=value text ---
 *
 * docs/mode6.adoc: items separated by commas, optionally followed by a line
 * break; values are numbers, 0x hex, NTP timestamps or "quoted strings";
 * the text may end with CR LF and NUL padding.  As ntpq does
 * (__parse_varlist), a comma inside double quotes does not separate, and
 * white space around names and values is dropped.
 */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\0' || c == '\v' ||
	       c == '\f';
}

static void trim(const char **p, size_t *n)
{
	while (*n > 0 && is_blank((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((*p)[*n - 1]))
		(*n)--;
}

void m6_iter_init(struct m6_iter *it, const char *text, size_t len)
{
	it->p = text;
	it->left = text ? len : 0;
	trim(&it->p, &it->left);
}

bool m6_iter_next(struct m6_iter *it, struct m6_var_view *v)
{
	memset(v, 0, sizeof *v);
	for (;;) {
		/* Skip separators and blanks before the item; empty items
		 * (",,") are nothing. */
		while (it->left > 0 && (it->p[0] == ',' || is_blank(it->p[0]))) {
			it->p++;
			it->left--;
		}
		if (it->left == 0)
			return false;
		const char *start = it->p;
		size_t n = 0;
		bool quoted = false;
		while (n < it->left && (quoted || start[n] != ',')) {
			if (start[n] == '"')
				quoted = !quoted;
			n++;
		}
		it->p += n;
		it->left -= n;
		trim(&start, &n);
		if (n == 0)
			continue;

		const char *eq = memchr(start, '=', n);
		const char *name = start;
		size_t name_len = eq ? (size_t)(eq - start) : n;
		trim(&name, &name_len);
		v->name = name;
		v->name_len = name_len;
		if (eq) {
			const char *val = eq + 1;
			size_t val_len = (size_t)(start + n - val);
			trim(&val, &val_len);
			v->value = val;
			v->value_len = val_len;
		}
		return true;
	}
}

bool m6_var_is(const struct m6_var_view *v, const char *name)
{
	size_t n = strlen(name);
	return v->name && v->name_len == n && memcmp(v->name, name, n) == 0;
}

/* An unsigned number: decimal digits, or 0x and hex digits (ntpd's %u, %d
 * and 0x%x).  Leading zeros are decimal, not octal. */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
		if (n > 16)
			return false;
		for (size_t i = 0; i < n; i++) {
			int d = str_hex_digit((unsigned char)s[i]);
			if (d < 0)
				return false;
			v = v << 4 | (uint64_t)d;
		}
		*out = v;
		return true;
	}
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool m6_value_u64(const struct m6_var_view *v, uint64_t *out)
{
	if (!v->value)
		return false;
	const char *s = v->value;
	size_t n = v->value_len;
	if (n > 0 && s[0] == '+') {
		s++;
		n--;
	}
	return parse_u64(s, n, out);
}

bool m6_value_i64(const struct m6_var_view *v, int64_t *out)
{
	if (!v->value)
		return false;
	const char *s = v->value;
	size_t n = v->value_len;
	bool neg = false;
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		s++;
		n--;
	}
	uint64_t m;
	if (!parse_u64(s, n, &m))
		return false;
	if (neg) {
		if (m > (uint64_t)INT64_MAX + 1)
			return false;
		*out = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
	} else {
		if (m > (uint64_t)INT64_MAX)
			return false;
		*out = (int64_t)m;
	}
	return true;
}

bool m6_value_double(const struct m6_var_view *v, double *out)
{
	if (!v->value)
		return false;
	const char *s = v->value;
	size_t n = v->value_len;
	/* Hex integers (reach=0x377, flash=0x0) are numbers too. */
	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		uint64_t u;
		if (!parse_u64(s, n, &u))
			return false;
		*out = (double)u;
		return true;
	}
	/* [+-] digits [. digits] [e [+-] digits], at least one digit before
	 * the exponent: what ntpd's %f, %g and %d print.  No "nan", no "inf",
	 * no hex floats, no blanks (strtod would take them). */
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return false;
	size_t i = 0, digits = 0;
	if (s[i] == '+' || s[i] == '-')
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		i++;
		digits++;
	}
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			i++;
			digits++;
		}
	}
	if (digits == 0)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t exp_digits = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			i++;
			exp_digits++;
		}
		if (exp_digits == 0)
			return false;
	}
	if (i != n)
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end = NULL;
	double d = strtod(tmp, &end);
	if (end != tmp + n || !isfinite(d))
		return false;
	*out = d;
	return true;
}

bool m6_value_ntpts(const struct m6_var_view *v, uint64_t *out)
{
	/* ntpd's ctl_putts(): "0x%08x.%08x".  The seconds may be written
	 * with fewer digits; the fraction must have all eight, or its value
	 * would be ambiguous. */
	if (!v->value)
		return false;
	const char *s = v->value;
	size_t n = v->value_len;
	if (n < 4 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return false;
	const char *dot = memchr(s, '.', n);
	if (!dot)
		return false;
	size_t sec_digits = (size_t)(dot - s) - 2;
	size_t frac_digits = n - (size_t)(dot - s) - 1;
	if (sec_digits < 1 || sec_digits > 8 || frac_digits != 8)
		return false;
	uint64_t sec = 0, frac = 0;
	for (size_t i = 0; i < sec_digits; i++) {
		int d = str_hex_digit((unsigned char)s[2 + i]);
		if (d < 0)
			return false;
		sec = sec << 4 | (uint64_t)d;
	}
	for (size_t i = 0; i < frac_digits; i++) {
		int d = str_hex_digit((unsigned char)dot[1 + i]);
		if (d < 0)
			return false;
		frac = frac << 4 | (uint64_t)d;
	}
	*out = sec << 32 | frac;
	return true;
}

bool m6_value_string(const struct m6_var_view *v, char *buf, size_t len)
{
	if (!v->value || !buf || len == 0)
		return false;
	const char *s = v->value;
	size_t n = v->value_len;
	if (n > 0 && s[0] == '"') {
		if (n < 2 || s[n - 1] != '"')
			return false; /* unterminated */
		s++;
		n -= 2;
	}
	if (n >= len)
		n = len - 1;
	if (n > 0)
		memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

/* --- READSTAT --- */

int m6_readstat_decode(const uint8_t *data, size_t len, struct m6_assoc *out, size_t max)
{
	if (len % 4 != 0 || (len > 0 && !data))
		return -EINVAL;
	size_t n = len / 4;
	if (n > max)
		n = max;
	if (n > INT_MAX)
		n = INT_MAX;
	struct rd r = rd_make(data, len);
	for (size_t i = 0; i < n; i++) {
		out[i].associd = rd_be16(&r);
		out[i].status = rd_be16(&r);
	}
	return r.bad ? -EINVAL : (int)n;
}

/* --- status words (ntp_control.h CTL_SYS_*, CTL_PST_*, ctlclkstatus()) --- */

void m6_sys_status_decode(uint16_t w, struct m6_sys_status *out)
{
	out->leap = (uint8_t)(w >> 14);
	out->source = (uint8_t)((w >> 8) & 0x3f);
	out->event_count = (uint8_t)((w >> 4) & 0xf);
	out->event_code = (uint8_t)(w & 0xf);
}

const char *m6_clock_source_str(unsigned source)
{
	static const char *const names[] = {
		"unspec", "pps", "lf_radio", "hf_radio",   "uhf_radio",
		"local",  "ntp", "other",    "wristwatch", "telephone",
	};
	return source < sizeof names / sizeof names[0] ? names[source] : "unknown";
}

void m6_peer_status_decode(uint16_t w, struct m6_peer_status *out)
{
	unsigned hi = (unsigned)w >> 8;
	out->configured = (hi & 0x80) != 0;
	out->authenable = (hi & 0x40) != 0;
	out->authentic = (hi & 0x20) != 0;
	out->reachable = (hi & 0x10) != 0;
	out->bcast = (hi & 0x08) != 0;
	out->selection = (uint8_t)(hi & 7);
	out->event_count = (uint8_t)((w >> 4) & 0xf);
	out->event_code = (uint8_t)(w & 0xf);
}

char m6_tally(unsigned selection)
{
	static const char tally[] = " x.-+#*o";
	return selection < 8 ? tally[selection] : '?';
}

const char *m6_selection_str(unsigned selection)
{
	static const char *const names[] = {
		"reject",    "falsetick", "excess",   "outlier",
		"candidate", "backup",	  "sys.peer", "pps.peer",
	};
	return selection < 8 ? names[selection] : "unknown";
}

void m6_clock_status_decode(uint16_t w, struct m6_clock_status *out)
{
	/* ntpd: CTL_PEER_STATUS(0, lastevent, currentstatus); ntpq shows the
	 * middle nibble as the event count, the low one as the status. */
	out->event_count = (uint8_t)((w >> 4) & 0xf);
	out->status = (uint8_t)(w & 0xf);
}

const char *m6_clock_status_str(unsigned status)
{
	static const char *const names[] = {
		"nominal",  "no reply", "bad timecode format", "fault", "signal loss",
		"bad date", "bad time",
	};
	return status < sizeof names / sizeof names[0] ? names[status] : "unknown";
}

/* --- the parse driver's refclock_states ---
 *
 * NTP classic ntpd/refclock_parse.c and NTPsec ntpd/refclock_generic.c,
 * parse_control():
 *
 *   refclock_states="[*]NAME: DUR (P.PP%)[; [*]NAME: DUR (P.PP%)]...; running time: DUR"
 *
 * one item per clock state that has lasted a while (in CEVNT order: NOMINAL,
 * NO RESPONSE, BAD FORMAT, FAULT, PROPAGATION DELAY, ILLEGAL DATE, ILLEGAL
 * TIME, or "unknown #N"), '*' marking the current one; DUR is l_mktime():
 * "[<days>d+]HH:MM:SS"; the share is "%d.%02d%%" of the time since the
 * clock started.  With no item the text is "; running time: 00:00:00".
 * Items that do not fit are left out, but the running time is always last.
 */

static bool digits_u64(const char **p, const char *end, uint64_t *out, size_t max_digits)
{
	uint64_t v = 0;
	size_t k = 0;
	while (*p < end && **p >= '0' && **p <= '9') {
		if (k == max_digits)
			return false;
		v = v * 10 + (uint64_t)(**p - '0');
		(*p)++;
		k++;
	}
	*out = v;
	return k > 0;
}

static bool lit(const char **p, const char *end, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(end - *p) < n || memcmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

static void skip_blanks(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* "[<days>d+]H:MM:SS" to seconds. */
static bool parse_duration(const char **p, const char *end, double *out)
{
	uint64_t days = 0, h, m, s;
	if (!digits_u64(p, end, &h, 10))
		return false;
	if (*p < end && **p == 'd') {
		if (!lit(p, end, "d+"))
			return false;
		days = h;
		if (!digits_u64(p, end, &h, 10))
			return false;
	}
	if (!lit(p, end, ":") || !digits_u64(p, end, &m, 2) || m > 59 || !lit(p, end, ":") ||
	    !digits_u64(p, end, &s, 2) || s > 59)
		return false;
	*out = (double)days * 86400.0 + (double)h * 3600.0 + (double)m * 60.0 + (double)s;
	return true;
}

/* One "[*]NAME: DUR (P.PP%)" item. */
static bool parse_state(const char *p, const char *end, struct m6_clock_state_share *st)
{
	memset(st, 0, sizeof *st);
	if (p < end && *p == '*') {
		st->current = true;
		p++;
	}
	const char *colon = memchr(p, ':', (size_t)(end - p));
	if (!colon)
		return false;
	const char *name = p;
	size_t name_len = (size_t)(colon - p);
	while (name_len > 0 && name[name_len - 1] == ' ')
		name_len--;
	if (name_len == 0)
		return false;
	for (size_t i = 0; i < name_len; i++)
		if ((unsigned char)name[i] < 0x20 || (unsigned char)name[i] > 0x7e)
			return false;
	if (name_len >= sizeof st->name)
		name_len = sizeof st->name - 1;
	memcpy(st->name, name, name_len);
	st->name[name_len] = '\0';

	p = colon + 1;
	skip_blanks(&p, end);
	if (!parse_duration(&p, end, &st->seconds))
		return false;
	skip_blanks(&p, end);
	uint64_t whole, frac = 0, scale = 1;
	if (!lit(&p, end, "(") || !digits_u64(&p, end, &whole, 6))
		return false;
	if (p < end && *p == '.') {
		p++;
		const char *f0 = p;
		if (!digits_u64(&p, end, &frac, 6))
			return false;
		for (const char *q = f0; q < p; q++)
			scale *= 10;
	}
	if (!lit(&p, end, "%)"))
		return false;
	skip_blanks(&p, end);
	if (p != end)
		return false;
	st->share = ((double)whole + (double)frac / (double)scale) / 100.0;
	return true;
}

int m6_refclock_states_parse(const char *s, size_t len, struct m6_clock_state_share *out,
			     size_t max)
{
	if (!s)
		return -EINVAL;
	const char *p = s, *end = s + len;
	/* The value as it stands in the varlist, or without its quotes. */
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (p < end && *p == '"') {
		if (end - p < 2 || end[-1] != '"')
			return -EINVAL;
		p++;
		end--;
	}
	size_t n = 0;
	bool running = false, first = true;
	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *seg_end = semi ? semi : end;
		const char *q = p;
		skip_blanks(&q, seg_end);
		if (running)
			return -EINVAL; /* nothing may follow the running time */
		if (q == seg_end) {
			/* "; running time" after no item: an empty first part. */
			if (!first)
				return -EINVAL;
		} else if (lit(&q, seg_end, "running time:")) {
			double t;
			skip_blanks(&q, seg_end);
			if (!parse_duration(&q, seg_end, &t))
				return -EINVAL;
			skip_blanks(&q, seg_end);
			if (q != seg_end)
				return -EINVAL;
			running = true;
		} else {
			struct m6_clock_state_share st;
			if (!parse_state(q, seg_end, &st))
				return -EINVAL;
			if (n < max && n < INT_MAX)
				out[n++] = st;
		}
		first = false;
		p = semi ? semi + 1 : end;
		if (semi && p == end)
			return -EINVAL; /* trailing ';' */
	}
	return running ? (int)n : -EINVAL;
}
