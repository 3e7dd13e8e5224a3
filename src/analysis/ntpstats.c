/* ntpstats.c - statistics files into series, and their summaries; see
 * ntpstats.h.
 *
 * A line is copied (bounded) into a NUL-terminated buffer and cut into at
 * most MAX_FIELDS words (CSV fields for the Pool's log); each word that
 * becomes a number must be all number (strtod over the whole word, only
 * digits, sign, point and exponent: no "inf", "nan" or hex) and finite. */
#include "analysis/ntpstats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/select.h"
#include "common/mem.h"

#define MAX_FIELDS 32
#define MJD_UNIX 40587 /* MJD of 1970-01-01 */
#define NTP_UNIX 2208988800.0
#define HASH_SIZE 8192 /* > 2 * NTPSTATS_MAX_SERIES, a power of two */

struct field_def {
	const char *name;
	const char *unit;
};

static const struct field_def loop_f[] = {
	{ "offset", "s" }, { "frequency", "ppm" }, { "jitter", "s" }, { "wander", "ppm" }
};
static const struct field_def peer_f[] = {
	{ "offset", "s" }, { "delay", "s" }, { "dispersion", "s" }, { "jitter", "s" }
};
/* clockstats: the order of enum clock_field. */
static const struct field_def clock_f[] = {
	{ "lines", "" },	 { "timecode_age", "s" },   { "fix_valid", "" },
	{ "fix_quality", "" },	 { "satellites", "" },	    { "hdop", "" },
	{ "altitude", "m" },	 { "nmea_received", "" },   { "nmea_accepted", "" },
	{ "nmea_rejected", "" }, { "nmea_malformed", "" },  { "nmea_filtered", "" },
	{ "nmea_pps_used", "" }, { "sentence_delay", "s" }, { "pps_offset", "s" },
	{ "pps_ok", "" },	 { "pps_setup", "" },	    { "pps_kernel", "" },
	{ "pps_not_ready", "" }, { "shm_ticks", "" },	    { "shm_good", "" },
	{ "shm_not_ready", "" }, { "shm_bad", "" },	    { "shm_clash", "" },
	{ "gpsd_recv", "" },	 { "gpsd_bad_reply", "" },  { "gpsd_no_fix", "" },
	{ "gpsd_ibt_recv", "" }, { "gpsd_ibt_used", "" },   { "gpsd_pps_recv", "" },
	{ "gpsd_pps_used", "" },
};

enum clock_field {
	CF_LINES,
	CF_AGE,
	CF_VALID,
	CF_QUALITY,
	CF_SATS,
	CF_HDOP,
	CF_ALT,
	CF_NMEA_TALLY, /* 6 of them */
	CF_DELAY = CF_NMEA_TALLY + 6,
	CF_PPS_OFFSET,
	CF_PPS_TALLY,			  /* 4 */
	CF_SHM_TALLY = CF_PPS_TALLY + 4,  /* 5 */
	CF_GPSD_TALLY = CF_SHM_TALLY + 5, /* 7 */
	CF_COUNT = CF_GPSD_TALLY + 7
};
_Static_assert(CF_COUNT == sizeof clock_f / sizeof clock_f[0], "clockstats fields");
static const struct field_def raw_f[] = { { "offset", "s" }, { "delay", "s" } };
static const struct field_def track_f[] = { { "frequency", "ppm" }, { "skew", "ppm" },
					    { "offset", "s" },	    { "offset_sd", "s" },
					    { "root_delay", "s" },  { "root_dispersion", "s" } };
static const struct field_def meas_f[] = { { "offset", "s" },
					   { "delay", "s" },
					   { "dispersion", "s" } };
static const struct field_def stat_f[] = { { "std_dev", "s" },
					   { "est_offset", "s" },
					   { "offset_sd", "s" },
					   { "diff_freq", "ppm" },
					   { "skew", "ppm" } };
static const struct field_def refc_f[] = { { "raw_offset", "s" },
					   { "cooked_offset", "s" },
					   { "dispersion", "s" } };
static const struct field_def pool_f[] = { { "score", "" }, { "offset", "s" } };

static const struct {
	const char *name;
	const struct field_def *f;
} kinds[NTPSTATS_KIND_COUNT] = {
	[NTPSTATS_AUTO] = { "auto", NULL },
	[NTPSTATS_LOOPSTATS] = { "loopstats", loop_f },
	[NTPSTATS_PEERSTATS] = { "peerstats", peer_f },
	[NTPSTATS_CLOCKSTATS] = { "clockstats", clock_f },
	[NTPSTATS_RAWSTATS] = { "rawstats", raw_f },
	[NTPSTATS_TRACKING] = { "tracking", track_f },
	[NTPSTATS_MEASUREMENTS] = { "measurements", meas_f },
	[NTPSTATS_STATISTICS] = { "statistics", stat_f },
	[NTPSTATS_REFCLOCKS] = { "refclocks", refc_f },
	[NTPSTATS_POOL] = { "pool", pool_f },
};

struct ntpstats {
	struct ntpstats_file *files;
	size_t nfiles;
	bool open;
	/* the current file */
	char line[NTPSTATS_MAX_LINE + 1];
	size_t linelen;
	bool toolong;
	int pool_col[5]; /* ts_epoch, offset, score, monitor_id, monitor_name */

	struct ntpstats_series *series;
	size_t nseries, cap_series;
	uint32_t hash[HASH_SIZE]; /* series index + 1; 0 empty */
	size_t points;
	unsigned long dropped;

	struct ntpstats_bad *bad;
	size_t nbad;
	unsigned long bad_total;
};

const char *ntpstats_kind_name(enum ntpstats_kind k)
{
	return (unsigned)k < NTPSTATS_KIND_COUNT ? kinds[k].name : "?";
}

bool ntpstats_kind_parse(const char *s, enum ntpstats_kind *out)
{
	for (int k = 0; k < NTPSTATS_KIND_COUNT; k++) {
		if (strcmp(s, kinds[k].name) == 0) {
			*out = (enum ntpstats_kind)k;
			return true;
		}
	}
	return false;
}

/* ---- words and numbers --------------------------------------------------- */

struct words {
	size_t n;
	char *w[MAX_FIELDS];
};

/* Cuts buf (NUL-terminated, modified) at blanks; false if more than
 * MAX_FIELDS words. */
static bool split_blank(char *buf, struct words *ws)
{
	ws->n = 0;
	char *p = buf;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return true;
		if (ws->n == MAX_FIELDS)
			return false;
		ws->w[ws->n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* Cuts buf at commas; a field in double quotes loses them. */
static bool split_csv(char *buf, struct words *ws)
{
	ws->n = 0;
	char *p = buf;
	for (;;) {
		if (ws->n == MAX_FIELDS)
			return false;
		char *start = p;
		while (*p && *p != ',')
			p++;
		bool last = *p == '\0';
		*p = '\0';
		size_t l = strlen(start);
		if (l >= 2 && start[0] == '"' && start[l - 1] == '"') {
			start[l - 1] = '\0';
			start++;
		}
		ws->w[ws->n++] = start;
		if (last)
			return true;
		p++;
	}
}

static bool parse_num(const char *s, double *out)
{
	if (*s == '\0' || strlen(s) > 40)
		return false;
	for (const char *p = s; *p; p++)
		if (!strchr("0123456789+-.eE", *p))
			return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end != '\0' || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool is_num(const char *s)
{
	double d;
	return parse_num(s, &d);
}

static bool is_digits(const char *s, size_t min, size_t max)
{
	size_t n = strspn(s, "0123456789");
	return s[n] == '\0' && n >= min && n <= max;
}

/* An address or refclock name: hex digits, '.', ':', '%', with a '.' or ':'. */
static bool is_addr(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n >= NTPSTATS_MAX_SOURCE || strspn(s, "0123456789abcdefABCDEF.:%") != n)
		return false;
	return strchr(s, '.') || strchr(s, ':');
}

/* NTPsec's name of a refclock: NAME(UNIT), e.g. "NMEA(0)", "GPS_MEINBERG(1)". */
static bool is_refclock_name(const char *s)
{
	static const char name_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789_";
	size_t n = strlen(s);
	if (n < 4 || n >= NTPSTATS_MAX_SOURCE || !strchr(name_chars, s[0]) ||
	    (s[0] >= '0' && s[0] <= '9') || s[0] == '_')
		return false;
	size_t name = strspn(s, name_chars);
	if (s[name] != '(')
		return false;
	size_t d = strspn(s + name + 1, "0123456789");
	return d >= 1 && d <= 3 && s[name + 1 + d] == ')' && s[name + 2 + d] == '\0';
}

/* A peer or clock in ntpd's files: an address, or NTPsec's refclock name. */
static bool is_peer(const char *s)
{
	return is_addr(s) || is_refclock_name(s);
}

/* A source in chrony's logs: an address, or a refclock's refid (1 to 4
 * printable octets, as chrony's UTI_RefidToString() prints it). */
static bool is_chrony_source(const char *s)
{
	if (is_addr(s))
		return true;
	size_t n = strlen(s);
	if (n < 1 || n > 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* A peer status word as ntpd prints it ("%x"). */
static bool is_status(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 4 && strspn(s, "0123456789abcdefABCDEF") == n;
}

static bool is_leap(const char *s)
{
	return s[0] && s[1] == '\0' && strchr("N+-?", s[0]);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static long days_from_civil(long y, long m, long d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD" and "HH:MM:SS[.FRACTION]" (at most 9 digits) to Unix time. */
static bool parse_date_time(const char *date, const char *tm, double *out)
{
	size_t tl = strlen(tm);
	if (strlen(date) != 10 || date[4] != '-' || date[7] != '-' || tl < 8 || tm[2] != ':' ||
	    tm[5] != ':')
		return false;
	double frac = 0;
	if (tl > 8) {
		if (tm[8] != '.' || tl > 18 || tl == 9 || strspn(tm + 9, "0123456789") != tl - 9)
			return false;
		frac = strtod(tm + 8, NULL);
	}
	long v[6];
	const char *parts[6] = { date, date + 5, date + 8, tm, tm + 3, tm + 6 };
	const size_t len[6] = { 4, 2, 2, 2, 2, 2 };
	for (int i = 0; i < 6; i++) {
		long x = 0;
		for (size_t k = 0; k < len[i]; k++) {
			char c = parts[i][k];
			if (c < '0' || c > '9')
				return false;
			x = x * 10 + (c - '0');
		}
		v[i] = x;
	}
	if (v[0] < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
	    v[4] > 59 || v[5] > 60)
		return false;
	*out = (double)days_from_civil(v[0], v[1], v[2]) * 86400.0 + (double)v[3] * 3600.0 +
	       (double)v[4] * 60.0 + (double)v[5] + frac;
	return true;
}

/* MJD and seconds of the day to Unix time. */
static bool parse_mjd(const char *day, const char *sec, double *out)
{
	double s;
	if (!is_digits(day, 5, 6) || !parse_num(sec, &s) || s < 0 || s >= 86402)
		return false;
	long mjd = strtol(day, NULL, 10);
	if (mjd < MJD_UNIX)
		return false;
	*out = (double)(mjd - MJD_UNIX) * 86400.0 + s;
	return true;
}

/* An NTP timestamp "SECONDS.FRACTION" as integer seconds and fraction, so
 * that differences keep their nanoseconds. */
static bool parse_ntp_ts(const char *s, int64_t *sec, double *frac)
{
	const char *dot = strchr(s, '.');
	size_t il = dot ? (size_t)(dot - s) : strlen(s);
	if (il < 1 || il > 10 || strspn(s, "0123456789") != il)
		return false;
	int64_t v = 0;
	for (size_t i = 0; i < il; i++)
		v = v * 10 + (s[i] - '0');
	double f = 0;
	if (dot) {
		size_t fl = strlen(dot + 1);
		if (fl > 18 || strspn(dot + 1, "0123456789") != fl)
			return false;
		if (fl)
			f = strtod(dot, NULL);
	}
	*sec = v;
	*frac = f;
	return true;
}

/* ---- detection ----------------------------------------------------------- */

static enum ntpstats_kind detect_words(const char *raw, struct words *ws, bool csv)
{
	if (strncmp(raw, "ts_epoch,", 9) == 0)
		return NTPSTATS_POOL;
	if (strstr(raw, "Freq ppm"))
		return NTPSTATS_TRACKING;
	if (strstr(raw, " 123 567 ABCD"))
		return NTPSTATS_MEASUREMENTS;
	if (strstr(raw, "Std dev'n"))
		return NTPSTATS_STATISTICS;
	if (strstr(raw, "Cooked offset"))
		return NTPSTATS_REFCLOCKS;
	if (csv)
		return ws->n >= 5 && is_digits(ws->w[0], 1, 12) && strlen(ws->w[1]) == 19 &&
				       ws->w[1][4] == '-' && ws->w[1][10] == ' '
			       ? NTPSTATS_POOL
			       : NTPSTATS_AUTO;
	size_t n = ws->n;
	char **w = ws->w;
	double t;
	if (n >= 3 && parse_date_time(w[0], w[1], &t) && is_chrony_source(w[2])) {
		if (strchr(w[1], '.'))
			return n == 9 && is_leap(w[4]) ? NTPSTATS_REFCLOCKS : NTPSTATS_AUTO;
		if (n >= 16 && is_leap(w[3]) && is_digits(w[4], 1, 2) && is_digits(w[5], 3, 3))
			return NTPSTATS_MEASUREMENTS;
		if (n >= 10 && is_digits(w[3], 1, 2) && is_leap(w[7]))
			return NTPSTATS_TRACKING;
		if (n >= 12 && is_num(w[3]) && !is_digits(w[3], 1, 2) && is_num(w[4]))
			return NTPSTATS_STATISTICS;
		return NTPSTATS_AUTO;
	}
	if (n < 3 || !parse_mjd(w[0], w[1], &t))
		return NTPSTATS_AUTO;
	int64_t s;
	double f;
	if (n >= 8 && is_addr(w[2]) && is_addr(w[3]) && parse_ntp_ts(w[4], &s, &f))
		return NTPSTATS_RAWSTATS;
	/* (Integers only: a PPS or SHM clockstats line with 5 numbers.) */
	if (n == 8 && is_peer(w[2]) && is_status(w[3])) {
		bool nums = true, frac = false;
		for (size_t i = 4; i < 8; i++) {
			nums = nums && is_num(w[i]);
			frac = frac || !is_digits(w[i], 1, 40);
		}
		if (nums && frac)
			return NTPSTATS_PEERSTATS;
	}
	if (n >= 5 && n <= 8) {
		bool all = true;
		for (size_t i = 2; i < n; i++)
			all = all && is_num(w[i]);
		if (all)
			return NTPSTATS_LOOPSTATS;
	}
	if (is_peer(w[2]))
		return NTPSTATS_CLOCKSTATS;
	return NTPSTATS_AUTO;
}

/* A CSV line of the Pool's log: "ts_epoch," or digits and a comma first
 * (NMEA sentences in clockstats have commas too, later in the line). */
static bool looks_csv(const char *line)
{
	if (strncmp(line, "ts_epoch,", 9) == 0)
		return true;
	size_t n = strspn(line, "0123456789");
	return n > 0 && line[n] == ',';
}

/* Copies line into buf (NTPSTATS_MAX_LINE + 1); false if too long. */
static bool copy_line(char *buf, const char *line, size_t len)
{
	if (len > NTPSTATS_MAX_LINE)
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return true;
}

enum ntpstats_kind ntpstats_detect(const char *line, size_t len)
{
	char buf[NTPSTATS_MAX_LINE + 1];
	if (!copy_line(buf, line, len) || memchr(line, '\0', len))
		return NTPSTATS_AUTO;
	char raw[NTPSTATS_MAX_LINE + 1];
	memcpy(raw, buf, len + 1);
	struct words ws;
	bool csv = looks_csv(buf);
	if (!(csv ? split_csv(buf, &ws) : split_blank(buf, &ws)))
		return NTPSTATS_AUTO;
	return detect_words(raw, &ws, csv);
}

/* ---- series -------------------------------------------------------------- */

static uint32_t hash_key(enum ntpstats_kind k, size_t field, const char *source)
{
	uint32_t h = 2166136261u ^ (uint32_t)k * 31u ^ (uint32_t)field * 131u;
	for (const char *p = source; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h;
}

/* The series for (kind, field, source), made if new; NULL if there are
 * NTPSTATS_MAX_SERIES already. */
static struct ntpstats_series *series_for(ntpstats *s, enum ntpstats_kind k, size_t field,
					  const char *source)
{
	const struct field_def *fd = &kinds[k].f[field];
	uint32_t h = hash_key(k, field, source) & (HASH_SIZE - 1);
	for (;;) {
		uint32_t e = s->hash[h];
		if (e == 0)
			break;
		struct ntpstats_series *se = &s->series[e - 1];
		if (se->kind == k && se->field == fd->name && strcmp(se->source, source) == 0)
			return se;
		h = (h + 1) & (HASH_SIZE - 1);
	}
	if (s->nseries == NTPSTATS_MAX_SERIES)
		return NULL;
	if (s->nseries == s->cap_series) {
		s->cap_series = s->cap_series ? s->cap_series * 2 : 16;
		s->series = mem_realloc(s->series, s->cap_series * sizeof s->series[0]);
	}
	struct ntpstats_series *se = &s->series[s->nseries++];
	memset(se, 0, sizeof *se);
	se->kind = k;
	se->field = fd->name;
	se->unit = fd->unit;
	se->field_no = (unsigned)field;
	str_copy(se->source, source, sizeof se->source);
	s->hash[h] = (uint32_t)s->nseries;
	return se;
}

/* Capacity of a series: the power of two at or above n (0 for n = 0). */
static size_t cap_of(size_t n)
{
	size_t c = 16;
	while (c < n)
		c *= 2;
	return n ? c : 0;
}

static int add_point(ntpstats *s, enum ntpstats_kind k, size_t field, const char *source, double t,
		     double v)
{
	if (s->points >= NTPSTATS_MAX_POINTS) {
		s->dropped++;
		return -E2BIG;
	}
	struct ntpstats_series *se = series_for(s, k, field, source);
	if (!se) {
		s->dropped++;
		return -E2BIG;
	}
	if (se->n == cap_of(se->n)) {
		size_t c = se->n ? se->n * 2 : 16;
		se->t = mem_realloc(se->t, c * sizeof se->t[0]);
		se->v = mem_realloc(se->v, c * sizeof se->v[0]);
	}
	se->t[se->n] = t;
	se->v[se->n] = v;
	se->n++;
	s->points++;
	return 0;
}

/* ---- lines --------------------------------------------------------------- */

enum verdict { LINE_RECORD, LINE_SKIP, LINE_BAD };

struct parsed {
	double t;
	char source[NTPSTATS_MAX_SOURCE];
	size_t nv;
	size_t field[16];
	double v[16];
};

static void put(struct parsed *p, size_t field, double v)
{
	if (p->nv == sizeof p->v / sizeof p->v[0])
		return; /* cannot happen: no line gives more */
	p->field[p->nv] = field;
	p->v[p->nv++] = v;
}

/* Numbers w[first .. first + count) into fields 0 .. count; false (with why)
 * at the first that is not one. */
static bool put_nums(struct parsed *p, char **w, size_t first, size_t count, const size_t *fields,
		     char *why, size_t wl)
{
	for (size_t i = 0; i < count; i++) {
		double v;
		if (!parse_num(w[first + i], &v)) {
			str_format(why, wl, "field %zu is not a number", first + i + 1);
			return false;
		}
		put(p, fields[i], v);
	}
	return true;
}

/* Takes src as the source if ok (its check), else says what it is not. */
static bool set_source(struct parsed *p, const char *src, bool ok, const char *what, char *why,
		       size_t wl)
{
	if (!ok) {
		str_format(why, wl, "field 3 is not %s", what);
		return false;
	}
	str_copy(p->source, src, sizeof p->source);
	return true;
}

/* ---- clockstats text ----------------------------------------------------- */

enum clock_driver { DRV_OTHER, DRV_NMEA, DRV_PPS, DRV_SHM, DRV_GPSD };

/* The driver behind a clock: NTPsec's NAME(UNIT) or ntpd's 127.127.TYPE.UNIT. */
static enum clock_driver driver_of(const char *label)
{
	static const struct {
		const char *name;
		unsigned type;
		enum clock_driver d;
	} drv[] = { { "NMEA", 20, DRV_NMEA },
		    { "PPS", 22, DRV_PPS },
		    { "SHM", 28, DRV_SHM },
		    { "GPSD", 46, DRV_GPSD } };
	const char *paren = strchr(label, '(');
	if (paren) {
		for (size_t i = 0; i < sizeof drv / sizeof drv[0]; i++)
			if (strlen(drv[i].name) == (size_t)(paren - label) &&
			    strncmp(label, drv[i].name, (size_t)(paren - label)) == 0)
				return drv[i].d;
		return DRV_OTHER;
	}
	if (strncmp(label, "127.127.", 8) != 0)
		return DRV_OTHER;
	const char *p = label + 8;
	size_t tl = strspn(p, "0123456789");
	if (tl < 1 || tl > 3 || p[tl] != '.' || !is_digits(p + tl + 1, 1, 3))
		return DRV_OTHER;
	unsigned type = (unsigned)strtoul(p, NULL, 10);
	for (size_t i = 0; i < sizeof drv / sizeof drv[0]; i++)
		if (drv[i].type == type)
			return drv[i].d;
	return DRV_OTHER;
}

#define NMEA_MAX_FIELDS 32

/* Checks the checksum of "$BODY[*HH]" (s, modified) when it has one and cuts
 * BODY into its comma-separated fields (empty ones kept). */
static bool nmea_split(char *s, char **f, size_t *nf, char *why, size_t wl)
{
	char *body = s + 1;
	char *star = strchr(body, '*');
	if (star) {
		int hi = str_hex_digit((unsigned char)star[1]),
		    lo = hi < 0 ? -1 : str_hex_digit((unsigned char)star[2]);
		if (hi < 0 || lo < 0 || star[3] != '\0') {
			str_format(why, wl, "NMEA checksum is not two hex digits at the end");
			return false;
		}
		unsigned sum = 0;
		for (const char *q = body; q < star; q++)
			sum ^= (unsigned char)*q;
		if (sum != (unsigned)(hi * 16 + lo)) {
			str_format(why, wl, "NMEA checksum *%c%c, the sentence sums to %02X",
				   star[1], star[2], sum);
			return false;
		}
		*star = '\0';
	}
	*nf = 0;
	for (char *q = body;;) {
		if (*nf == NMEA_MAX_FIELDS) {
			str_format(why, wl, "NMEA sentence with more than %d fields",
				   NMEA_MAX_FIELDS);
			return false;
		}
		f[(*nf)++] = q;
		q = strchr(q, ',');
		if (!q)
			return true;
		*q++ = '\0';
	}
}

static int two_digits(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "hhmmss[.fraction]" to seconds of the day. */
static bool nmea_time(const char *s, double *sod)
{
	size_t n = strlen(s);
	if (n < 6 || strspn(s, "0123456789") < 6)
		return false;
	int h = two_digits(s), m = two_digits(s + 2), sec = two_digits(s + 4);
	if (h > 23 || m > 59 || sec > 60)
		return false;
	double frac = 0;
	if (n > 6) {
		if (s[6] != '.' || n > 16 || strspn(s + 7, "0123456789") != n - 7)
			return false;
		if (n > 7)
			frac = strtod(s + 6, NULL);
	}
	*sod = h * 3600.0 + m * 60.0 + sec + frac;
	return true;
}

/* Day d, month m, year y (four digits) to days since 1970-01-01. */
static bool nmea_ymd(long y, long m, long d, double *days)
{
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && (y % 4 != 0 || (y % 100 == 0 && y % 400 != 0)))
		return false;
	*days = (double)days_from_civil(y, m, d);
	return true;
}

/* "ddmmyy" (yy below 80: 20yy, else 19yy, as receivers mean it) to days
 * since 1970-01-01. */
static bool nmea_date(const char *s, double *days)
{
	if (!is_digits(s, 6, 6))
		return false;
	long yy = two_digits(s + 4);
	return nmea_ymd(yy < 80 ? 2000 + yy : 1900 + yy, two_digits(s + 2), two_digits(s), days);
}

/* The line's time t minus a time of day sod, taken on the nearest day. */
static double age_of_day(double t, double sod)
{
	double d = fmod(t, 86400.0) - sod;
	if (d > 43200)
		d -= 86400;
	else if (d <= -43200)
		d += 86400;
	return d;
}

/* A number field: an empty one is absent; garbage is an error. */
static bool nmea_num(struct parsed *p, size_t field, const char *s, const char *what, char *why,
		     size_t wl)
{
	double v;
	if (*s == '\0')
		return true;
	if (!parse_num(s, &v)) {
		str_format(why, wl, "NMEA %s '%.16s' is not a number", what, s);
		return false;
	}
	put(p, field, v);
	return true;
}

/* timecode_age from a time field (and a date, days since 1970, or < 0). */
static bool nmea_age(struct parsed *p, const char *tm, double days, char *why, size_t wl)
{
	double sod;
	if (*tm == '\0')
		return true;
	if (!nmea_time(tm, &sod)) {
		str_format(why, wl, "NMEA time '%.12s' is not hhmmss[.ss]", tm);
		return false;
	}
	put(p, CF_AGE, days >= 0 ? p->t - (days * 86400.0 + sod) : age_of_day(p->t, sod));
	return true;
}

/* A status field A (valid) or V (void). */
static bool nmea_status(struct parsed *p, const char *st, char *why, size_t wl)
{
	if (strcmp(st, "A") != 0 && strcmp(st, "V") != 0) {
		str_format(why, wl, "NMEA status '%.8s' is not A or V", st);
		return false;
	}
	put(p, CF_VALID, st[0] == 'A');
	return true;
}

static bool nmea_fields_at_least(size_t nf, size_t want, const char *type, char *why, size_t wl)
{
	if (nf >= want)
		return true;
	str_format(why, wl, "NMEA %s with %zu fields, it has at least %zu", type, nf, want);
	return false;
}

/* The NMEA sentence s ("$...", modified) a clock logged at p->t: the time it
 * carries, fix and satellites.  Sentences of other types give nothing. */
static bool parse_nmea(char *s, struct parsed *p, char *why, size_t wl)
{
	char *f[NMEA_MAX_FIELDS];
	size_t nf;
	if (!nmea_split(s, f, &nf, why, wl))
		return false;
	const char *type = f[0];
	bool talker = strlen(type) == 5;
	double days = -1;
	if (talker && strcmp(type + 2, "RMC") == 0) {
		/* time, status, lat, N, lon, E, speed, course, date, ... */
		if (!nmea_fields_at_least(nf, 10, "RMC", why, wl) || !nmea_status(p, f[2], why, wl))
			return false;
		if (*f[9] && !nmea_date(f[9], &days)) {
			str_format(why, wl, "NMEA date '%.8s' is not ddmmyy", f[9]);
			return false;
		}
		return nmea_age(p, f[1], days, why, wl);
	}
	if (talker && strcmp(type + 2, "GGA") == 0) {
		/* time, lat, N, lon, E, quality, satellites, hdop, altitude, M, ... */
		if (!nmea_fields_at_least(nf, 10, "GGA", why, wl) ||
		    !nmea_age(p, f[1], -1, why, wl))
			return false;
		if (*f[6]) {
			if (!is_digits(f[6], 1, 1)) {
				str_format(why, wl, "NMEA fix quality '%.8s' is not 0..9", f[6]);
				return false;
			}
			put(p, CF_QUALITY, f[6][0] - '0');
			put(p, CF_VALID, f[6][0] != '0');
		}
		if (!nmea_num(p, CF_SATS, f[7], "satellites", why, wl) ||
		    !nmea_num(p, CF_HDOP, f[8], "HDOP", why, wl))
			return false;
		if (nf > 10 && *f[10] && strcmp(f[10], "M") != 0)
			return true; /* an altitude not in metres */
		return nmea_num(p, CF_ALT, f[9], "altitude", why, wl);
	}
	if (talker && strcmp(type + 2, "GLL") == 0) {
		/* lat, N, lon, E, time, status[, mode] */
		return nmea_fields_at_least(nf, 7, "GLL", why, wl) &&
		       nmea_status(p, f[6], why, wl) && nmea_age(p, f[5], -1, why, wl);
	}
	if (talker && strcmp(type + 2, "ZDA") == 0) {
		/* time, day, month, year, zone hours, zone minutes */
		if (!nmea_fields_at_least(nf, 5, "ZDA", why, wl))
			return false;
		if (*f[2] || *f[3] || *f[4]) {
			if (!is_digits(f[2], 2, 2) || !is_digits(f[3], 2, 2) ||
			    !is_digits(f[4], 4, 4) ||
			    !nmea_ymd(strtol(f[4], NULL, 10), strtol(f[3], NULL, 10),
				      strtol(f[2], NULL, 10), &days)) {
				str_format(why, wl, "NMEA ZDA date is not dd,mm,yyyy");
				return false;
			}
		}
		return nmea_age(p, f[1], days, why, wl);
	}
	if (strcmp(type, "PGRMF") == 0) {
		/* week, seconds, date, time, leap, lat, N, lon, E, mode, fix (0 none,
		 * 1 2D, 2 3D), ... */
		if (!nmea_fields_at_least(nf, 12, "PGRMF", why, wl))
			return false;
		if (*f[3] && !nmea_date(f[3], &days)) {
			str_format(why, wl, "NMEA date '%.8s' is not ddmmyy", f[3]);
			return false;
		}
		if (*f[11]) {
			if (!is_digits(f[11], 1, 1) || f[11][0] > '2') {
				str_format(why, wl, "PGRMF fix '%.8s' is not 0, 1 or 2", f[11]);
				return false;
			}
			put(p, CF_VALID, f[11][0] != '0');
		}
		return nmea_age(p, f[4], days, why, wl);
	}
	return true;
}

/* count whole numbers w[first ..] into the fields from field on; false if
 * they are not all whole numbers. */
static bool put_counts(struct parsed *p, char **w, size_t first, size_t count, size_t field)
{
	for (size_t i = 0; i < count; i++)
		if (!is_digits(w[first + i], 1, 10))
			return false;
	for (size_t i = 0; i < count; i++)
		put(p, field + i, strtod(w[first + i], NULL));
	return true;
}

/* The text of a clockstats line (words 3 on): what the drivers sundial
 * knows write there, as NTPsec 1.2 and ntpd 4.2.8 print it. */
static enum verdict parse_clock_text(struct words *ws, struct parsed *p, char *why, size_t wl)
{
	char **w = ws->w;
	size_t n = ws->n;
	put(p, CF_LINES, 1);
	if (n < 4)
		return LINE_RECORD;
	enum clock_driver d = driver_of(p->source);
	if (w[3][0] == '$' || strcmp(w[3], "(none)") == 0) {
		/* The NMEA driver: the last sentence, and with its extended log
		 * (mode bit 0x10000) six tallies of the poll. */
		if (w[3][0] == '$' && !parse_nmea(w[3], p, why, wl))
			return LINE_BAD;
		if (n == 10)
			(void)put_counts(p, w, 4, 6, CF_NMEA_TALLY);
		return LINE_RECORD;
	}
	if (strcmp(w[3], "delay") == 0 && n >= 5) {
		/* NMEA driver mode bit 0x80: the fraction of the second at
		 * which the sentence came. */
		static const size_t f[] = { CF_DELAY };
		return put_nums(p, w, 4, 1, f, why, wl) ? LINE_RECORD : LINE_BAD;
	}
	for (size_t i = 3; i < n; i++)
		if (!is_num(w[i]))
			return LINE_RECORD; /* text sundial does not read */
	size_t c = n - 3;
	if (d == DRV_PPS && c == 1) {
		static const size_t f[] = { CF_PPS_OFFSET };
		return put_nums(p, w, 3, 1, f, why, wl) ? LINE_RECORD : LINE_BAD;
	}
	/* PPS: sequence ok setup kernel not-ready; SHM: ticks good notready bad
	 * clash; GPSD: recv bad-reply no-fix ibt-recv ibt-used pps-recv pps-used */
	if (d == DRV_PPS && c == 5)
		(void)put_counts(p, w, 4, 4, CF_PPS_TALLY);
	else if (d == DRV_SHM && c == 5)
		(void)put_counts(p, w, 3, 5, CF_SHM_TALLY);
	else if (d == DRV_GPSD && c == 7)
		(void)put_counts(p, w, 3, 7, CF_GPSD_TALLY);
	return LINE_RECORD;
}

static enum verdict parse_mjd_line(enum ntpstats_kind k, struct words *ws, struct parsed *p,
				   char *why, size_t wl)
{
	char **w = ws->w;
	size_t n = ws->n;
	if (n < 2 || !parse_mjd(w[0], w[1], &p->t)) {
		str_format(why, wl, "does not start with an MJD day and seconds");
		return LINE_BAD;
	}
	switch (k) {
	case NTPSTATS_LOOPSTATS: {
		static const size_t f[] = { 0, 1, 2, 3 };
		if (n < 5 || n > 8) {
			str_format(why, wl, "%zu fields, loopstats has 5 to 8", n);
			return LINE_BAD;
		}
		return put_nums(p, w, 2, n >= 6 ? 4 : 3, f, why, wl) ? LINE_RECORD : LINE_BAD;
	}
	case NTPSTATS_PEERSTATS: {
		static const size_t f[] = { 0, 1, 2, 3 };
		if (n != 8) {
			str_format(why, wl, "%zu fields, peerstats has 8", n);
			return LINE_BAD;
		}
		if (!set_source(p, w[2], is_peer(w[2]), "an address or refclock name", why, wl))
			return LINE_BAD;
		if (!is_status(w[3])) {
			str_format(why, wl, "field 4 is not a peer status (1 to 4 hex digits)");
			return LINE_BAD;
		}
		return put_nums(p, w, 4, 4, f, why, wl) ? LINE_RECORD : LINE_BAD;
	}
	case NTPSTATS_CLOCKSTATS:
		if (!set_source(p, n >= 3 ? w[2] : "", n >= 3 && is_peer(w[2]),
				"a clock address or refclock name", why, wl))
			return LINE_BAD;
		return parse_clock_text(ws, p, why, wl);
	case NTPSTATS_RAWSTATS: {
		if (n < 8) {
			str_format(why, wl, "%zu fields, rawstats has at least 8", n);
			return LINE_BAD;
		}
		if (!set_source(p, w[2], is_addr(w[2]), "an address", why, wl))
			return LINE_BAD;
		if (!is_addr(w[3])) {
			str_format(why, wl, "field 4 is not an address");
			return LINE_BAD;
		}
		int64_t s[4];
		double f[4];
		for (int i = 0; i < 4; i++) {
			if (!parse_ntp_ts(w[4 + i], &s[i], &f[i])) {
				str_format(why, wl, "field %d is not an NTP timestamp", 5 + i);
				return LINE_BAD;
			}
		}
		if ((s[0] == 0 && f[0] == 0) || (s[1] == 0 && f[1] == 0) ||
		    (s[2] == 0 && f[2] == 0) || (s[3] == 0 && f[3] == 0))
			return LINE_SKIP; /* a packet without a full exchange */
		double d21 = (double)(s[1] - s[0]) + (f[1] - f[0]);
		double d34 = (double)(s[2] - s[3]) + (f[2] - f[3]);
		double d41 = (double)(s[3] - s[0]) + (f[3] - f[0]);
		double d32 = (double)(s[2] - s[1]) + (f[2] - f[1]);
		put(p, 0, (d21 + d34) / 2);
		put(p, 1, d41 - d32);
		return LINE_RECORD;
	}
	default: break;
	}
	str_format(why, wl, "internal: kind");
	return LINE_BAD;
}

static enum verdict parse_chrony_line(enum ntpstats_kind k, struct words *ws, struct parsed *p,
				      char *why, size_t wl)
{
	char **w = ws->w;
	size_t n = ws->n;
	if (n >= 1 && (strcmp(w[0], "Date") == 0 || w[0][0] == '='))
		return LINE_SKIP; /* the header chrony repeats */
	if (n < 3 || !parse_date_time(w[0], w[1], &p->t)) {
		str_format(why, wl, "does not start with a date and time (YYYY-MM-DD HH:MM:SS)");
		return LINE_BAD;
	}
	if (!set_source(p, w[2], is_chrony_source(w[2]), "an address or refid", why, wl))
		return LINE_BAD;
	switch (k) {
	case NTPSTATS_TRACKING: {
		/* St Freq Skew Offset L Co Offset-sd Rem-corr Root-delay Root-disp */
		static const size_t f1[] = { 0, 1, 2 }, f2[] = { 3 }, f3[] = { 4, 5 };
		if (n < 8) {
			str_format(why, wl, "%zu fields, tracking has at least 8", n);
			return LINE_BAD;
		}
		if (!is_digits(w[3], 1, 2) || !is_leap(w[7])) {
			str_format(why, wl, "not a tracking line (stratum, leap)");
			return LINE_BAD;
		}
		p->source[0] = '\0'; /* the reference changes; one series */
		if (!put_nums(p, w, 4, 3, f1, why, wl))
			return LINE_BAD;
		if (n >= 10 && !put_nums(p, w, 9, 1, f2, why, wl))
			return LINE_BAD;
		if (n >= 13 && !put_nums(p, w, 11, 2, f3, why, wl))
			return LINE_BAD;
		return LINE_RECORD;
	}
	case NTPSTATS_MEASUREMENTS: {
		/* L St 123 567 ABCD LP RP Score Offset Peer-del Peer-disp */
		static const size_t f[] = { 0, 1, 2 };
		if (n < 14) {
			str_format(why, wl, "%zu fields, measurements has at least 14", n);
			return LINE_BAD;
		}
		if (!is_leap(w[3]) || !is_digits(w[4], 1, 2)) {
			str_format(why, wl, "not a measurements line (leap, stratum)");
			return LINE_BAD;
		}
		return put_nums(p, w, 11, 3, f, why, wl) ? LINE_RECORD : LINE_BAD;
	}
	case NTPSTATS_STATISTICS: {
		static const size_t f[] = { 0, 1, 2, 3, 4 };
		if (n < 8) {
			str_format(why, wl, "%zu fields, statistics has at least 8", n);
			return LINE_BAD;
		}
		if (!put_nums(p, w, 3, 5, f, why, wl))
			return LINE_BAD;
		p->v[3] *= 1e6; /* chrony logs frequencies as fractions */
		p->v[4] *= 1e6;
		return LINE_RECORD;
	}
	case NTPSTATS_REFCLOCKS: {
		/* DP L P Raw-offset Cooked-offset Disp.; DP, P and Raw are "-"
		 * for a pulse that came without a driver sample. */
		static const size_t f1[] = { 0 }, f2[] = { 1, 2 };
		if (n != 9) {
			str_format(why, wl, "%zu fields, refclocks has 9", n);
			return LINE_BAD;
		}
		if (!(strcmp(w[3], "-") == 0 || is_digits(w[3], 1, 3)) || !is_leap(w[4]) ||
		    !(strcmp(w[5], "-") == 0 || is_digits(w[5], 1, 1))) {
			str_format(why, wl, "not a refclocks line (DP, leap, pulse)");
			return LINE_BAD;
		}
		if (strcmp(w[6], "-") != 0 && !put_nums(p, w, 6, 1, f1, why, wl))
			return LINE_BAD;
		return put_nums(p, w, 7, 2, f2, why, wl) ? LINE_RECORD : LINE_BAD;
	}
	default: break;
	}
	str_format(why, wl, "internal: kind");
	return LINE_BAD;
}

enum { PC_TS, PC_OFFSET, PC_SCORE, PC_MON_ID, PC_MON_NAME };

static enum verdict parse_pool_line(ntpstats *s, struct words *ws, struct parsed *p, char *why,
				    size_t wl)
{
	char **w = ws->w;
	if (strcmp(w[0], "ts_epoch") == 0) {
		static const char *const names[5] = { "ts_epoch", "offset", "score", "monitor_id",
						      "monitor_name" };
		int col[5];
		for (int c = 0; c < 5; c++) {
			col[c] = -1;
			for (size_t i = 0; i < ws->n; i++)
				if (strcmp(w[i], names[c]) == 0)
					col[c] = (int)i;
		}
		if (col[PC_TS] < 0 || col[PC_SCORE] < 0) {
			str_format(why, wl, "header without ts_epoch and score columns");
			return LINE_BAD; /* the columns stay as they were */
		}
		memcpy(s->pool_col, col, sizeof col);
		return LINE_SKIP;
	}
	for (int c = 0; c < 5; c++) {
		if (s->pool_col[c] >= (int)ws->n) {
			str_format(why, wl, "%zu fields, the header has more", ws->n);
			return LINE_BAD;
		}
	}
	const char *ts = w[s->pool_col[PC_TS]];
	if (!is_digits(ts, 1, 12)) {
		str_format(why, wl, "ts_epoch is not a number of seconds");
		return LINE_BAD;
	}
	p->t = strtod(ts, NULL);
	const char *mon = s->pool_col[PC_MON_NAME] >= 0 ? w[s->pool_col[PC_MON_NAME]] : "";
	if (*mon == '\0' && s->pool_col[PC_MON_ID] >= 0)
		mon = w[s->pool_col[PC_MON_ID]];
	size_t ml = strlen(mon);
	if (ml >= NTPSTATS_MAX_SOURCE) {
		str_format(why, wl, "monitor name longer than %d octets", NTPSTATS_MAX_SOURCE - 1);
		return LINE_BAD;
	}
	for (size_t i = 0; i < ml; i++) {
		if ((unsigned char)mon[i] < 0x21 || (unsigned char)mon[i] > 0x7e) {
			str_format(why, wl, "monitor name with a control or non-ASCII octet");
			return LINE_BAD;
		}
	}
	str_copy(p->source, mon, sizeof p->source);
	double v;
	const char *score = w[s->pool_col[PC_SCORE]];
	if (*score) {
		if (!parse_num(score, &v)) {
			str_format(why, wl, "score is not a number");
			return LINE_BAD;
		}
		put(p, 0, v);
	}
	if (s->pool_col[PC_OFFSET] >= 0 && *w[s->pool_col[PC_OFFSET]]) {
		if (!parse_num(w[s->pool_col[PC_OFFSET]], &v)) {
			str_format(why, wl, "offset is not a number");
			return LINE_BAD;
		}
		put(p, 1, v);
	}
	return p->nv ? LINE_RECORD : LINE_SKIP;
}

static void reject(ntpstats *s, unsigned long line, const char *why)
{
	struct ntpstats_file *f = &s->files[s->nfiles - 1];
	f->malformed++;
	s->bad_total++;
	if (s->nbad >= NTPSTATS_MAX_BAD)
		return;
	if (s->nbad % 64 == 0)
		s->bad = mem_realloc(s->bad, (s->nbad + 64) * sizeof s->bad[0]);
	struct ntpstats_bad *b = &s->bad[s->nbad++];
	b->file = s->nfiles - 1;
	b->line = line;
	str_copy(b->why, why, sizeof b->why);
}

static int do_line(ntpstats *s)
{
	struct ntpstats_file *f = &s->files[s->nfiles - 1];
	unsigned long ln = ++f->lines;
	char why[96] = "";
	if (s->toolong) {
		s->toolong = false;
		str_format(why, sizeof why, "line longer than %d octets", NTPSTATS_MAX_LINE);
		reject(s, ln, why);
		return 0;
	}
	char *buf = s->line;
	size_t len = s->linelen;
	if (len && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		reject(s, ln, "NUL octet in the line");
		return 0;
	}
	const char *q = buf + strspn(buf, " \t");
	if (*q == '\0' || *q == '#' || (*q == '=' && q[strspn(q, "=")] == '\0')) {
		f->skipped++; /* blank, a comment, chrony's rule above its header */
		return 0;
	}
	enum ntpstats_kind k = f->kind;
	char raw[NTPSTATS_MAX_LINE + 1]; /* the line before splitting: detection only */
	if (k == NTPSTATS_AUTO)
		memcpy(raw, buf, len + 1);
	struct words ws;
	bool csv = k == NTPSTATS_POOL || (k == NTPSTATS_AUTO && looks_csv(buf));
	if (!(csv ? split_csv(buf, &ws) : split_blank(buf, &ws))) {
		str_format(why, sizeof why, "more than %d fields", MAX_FIELDS);
		reject(s, ln, why);
		return 0;
	}
	if (k == NTPSTATS_AUTO) {
		k = detect_words(raw, &ws, csv);
		if (k == NTPSTATS_AUTO) {
			reject(s, ln, "not a line of any statistics file sundial knows");
			return 0;
		}
		f->kind = k;
	}
	struct parsed p;
	memset(&p, 0, sizeof p);
	enum verdict vd;
	switch (k) {
	case NTPSTATS_POOL: vd = parse_pool_line(s, &ws, &p, why, sizeof why); break;
	case NTPSTATS_TRACKING:
	case NTPSTATS_MEASUREMENTS:
	case NTPSTATS_STATISTICS:
	case NTPSTATS_REFCLOCKS: vd = parse_chrony_line(k, &ws, &p, why, sizeof why); break;
	default: vd = parse_mjd_line(k, &ws, &p, why, sizeof why); break;
	}
	if (vd == LINE_BAD) {
		reject(s, ln, why);
		return 0;
	}
	if (vd == LINE_SKIP) {
		f->skipped++;
		return 0;
	}
	f->records++;
	int rc = 0;
	for (size_t i = 0; i < p.nv; i++)
		if (add_point(s, k, p.field[i], p.source, p.t, p.v[i]) != 0)
			rc = -E2BIG;
	return rc;
}

ntpstats *ntpstats_new(void)
{
	return mem_calloc(1, sizeof(ntpstats));
}

void ntpstats_free(ntpstats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nseries; i++) {
		free(s->series[i].t);
		free(s->series[i].v);
	}
	free(s->series);
	free(s->files);
	free(s->bad);
	free(s);
}

void ntpstats_file_begin(ntpstats *s, const char *name, enum ntpstats_kind kind)
{
	if (s->open)
		ntpstats_file_end(s);
	s->files = mem_realloc(s->files, (s->nfiles + 1) * sizeof s->files[0]);
	struct ntpstats_file *f = &s->files[s->nfiles++];
	memset(f, 0, sizeof *f);
	str_copy(f->name, name, sizeof f->name);
	f->kind = (unsigned)kind < NTPSTATS_KIND_COUNT ? kind : NTPSTATS_AUTO;
	s->open = true;
	s->linelen = 0;
	s->toolong = false;
	static const int defcols[5] = { 0, 2, 4, 5, 6 };
	memcpy(s->pool_col, defcols, sizeof defcols);
}

int ntpstats_feed(ntpstats *s, const char *buf, size_t len)
{
	int rc = 0;
	if (!s->open)
		return -EINVAL;
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t take = nl ? (size_t)(nl - buf) : len;
		if (!s->toolong) {
			if (s->linelen + take > NTPSTATS_MAX_LINE) {
				s->toolong = true;
			} else {
				memcpy(s->line + s->linelen, buf, take);
				s->linelen += take;
			}
		}
		if (!nl)
			break;
		if (do_line(s) != 0)
			rc = -E2BIG;
		s->linelen = 0;
		buf = nl + 1;
		len -= take + 1;
	}
	return rc;
}

void ntpstats_file_end(ntpstats *s)
{
	if (!s->open)
		return;
	if (s->linelen || s->toolong)
		(void)do_line(s); /* -E2BIG is counted in dropped */
	s->open = false;
}

struct tv {
	double t, v;
};

static int cmp_tv(const void *a, const void *b)
{
	const struct tv *x = a, *y = b;
	return (x->t > y->t) - (x->t < y->t);
}

void ntpstats_finish(ntpstats *s)
{
	ntpstats_file_end(s);
	for (size_t i = 0; i < s->nseries; i++) {
		struct ntpstats_series *se = &s->series[i];
		bool sorted = true;
		for (size_t j = 1; j < se->n && sorted; j++)
			sorted = se->t[j - 1] <= se->t[j];
		if (sorted)
			continue;
		struct tv *a = mem_alloc(se->n * sizeof *a);
		for (size_t j = 0; j < se->n; j++)
			a[j] = (struct tv){ se->t[j], se->v[j] };
		qsort(a, se->n, sizeof *a, cmp_tv);
		for (size_t j = 0; j < se->n; j++) {
			se->t[j] = a[j].t;
			se->v[j] = a[j].v;
		}
		free(a);
	}
}

size_t ntpstats_file_count(const ntpstats *s)
{
	return s->nfiles;
}

const struct ntpstats_file *ntpstats_file_get(const ntpstats *s, size_t i)
{
	return i < s->nfiles ? &s->files[i] : NULL;
}

size_t ntpstats_series_count(const ntpstats *s)
{
	return s->nseries;
}

const struct ntpstats_series *ntpstats_series_get(const ntpstats *s, size_t i)
{
	return i < s->nseries ? &s->series[i] : NULL;
}

size_t ntpstats_bad_count(const ntpstats *s)
{
	return s->nbad;
}

const struct ntpstats_bad *ntpstats_bad_get(const ntpstats *s, size_t i)
{
	return i < s->nbad ? &s->bad[i] : NULL;
}

unsigned long ntpstats_bad_total(const ntpstats *s)
{
	return s->bad_total;
}

unsigned long ntpstats_dropped(const ntpstats *s)
{
	return s->dropped;
}

/* ---- summaries ----------------------------------------------------------- */

/* Doubles to integers of the same order (IEEE 754: flip the magnitude bits
 * of negatives), so that select_i64() can pick their percentiles. */
static int64_t order_key(double d)
{
	int64_t i;
	memcpy(&i, &d, sizeof i);
	return i < 0 ? i ^ INT64_MAX : i;
}

static double order_value(int64_t i)
{
	if (i < 0)
		i ^= INT64_MAX;
	double d;
	memcpy(&d, &i, sizeof d);
	return d;
}

void ntpstats_summarize(const double *v, size_t n, struct ntpstats_summary *out)
{
	memset(out, 0, sizeof *out);
	out->n = n;
	if (n == 0)
		return;
	double sum = 0, mn = v[0], mx = v[0];
	for (size_t i = 0; i < n; i++) {
		sum += v[i];
		mn = v[i] < mn ? v[i] : mn;
		mx = v[i] > mx ? v[i] : mx;
	}
	double mean = sum / (double)n, m2 = 0, m3 = 0, m4 = 0;
	for (size_t i = 0; i < n; i++) {
		double d = v[i] - mean, d2 = d * d;
		m2 += d2;
		m3 += d2 * d;
		m4 += d2 * d2;
	}
	m2 /= (double)n;
	m3 /= (double)n;
	m4 /= (double)n;
	out->min = mn;
	out->max = mx;
	out->mean = mean;
	out->sd = sqrt(m2);
	if (m2 > 0) {
		out->skew = m3 / (m2 * sqrt(m2));
		out->kurtosis = m4 / (m2 * m2) - 3;
	}
	int64_t *k = mem_alloc(n * sizeof *k);
	for (size_t i = 0; i < n; i++)
		k[i] = order_key(v[i]);
	static const double ps[5] = { 0.01, 0.05, 0.50, 0.95, 0.99 };
	double *dst[5] = { &out->p1, &out->p5, &out->p50, &out->p95, &out->p99 };
	uint64_t rng = 0x2545f4914f6cdd1dULL;
	size_t lo = 0;
	for (int i = 0; i < 5; i++) {
		size_t r = select_rank(ps[i], n);
		select_i64(k, lo, n, r, &rng);
		*dst[i] = order_value(k[r]);
		lo = r;
	}
	free(k);
	out->range90 = out->p95 - out->p5;
	out->range98 = out->p99 - out->p1;
}
