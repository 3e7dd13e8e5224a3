/* adsb.c - the collector's `adsb` source; see adsb.h.
 *
 * Three parts: the parsers (jansson; pure), the two ways of getting a file
 * (a folder: plain reads; a URL: libcurl), and the source.  Each library is
 * called from its own part only, and its errors are turned into a
 * negative errno and a sentence there.
 *
 * The files, as dump1090-fa 6.1 writes them (tests/data/adsb/ has them with
 * readsb's and mutability's):
 *
 *   aircraft.json  { "now": 1633214709.0, "messages": 318553, "aircraft": [
 *                    { "hex": "7c495b", "lat": -34.909653, "lon": 138.264509,
 *                      "seen_pos": 2.4, "seen": 2.4, "rssi": -2.1, ... },
 *                    { "hex": "75025b", "seen": 102.4, ... } ] }
 *   receiver.json  { "version": "6.1", "refresh": 1000, "history": 120,
 *                    "lat": -34.9285, "lon": 138.6007 }
 *   stats.json     { "latest": {...}, "last1min": { "start": ..., "end": ...,
 *                    "local": { "accepted": [48, 45], "signal": -2.5,
 *                    "noise": -9.3, "peak_signal": -1.2,
 *                    "strong_signals": 80, ... }, ... }, "last5min": {...},
 *                    "last15min": {...}, "total": {...} } */
#include "sources/adsb.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"

#define MAX_COUNT 9007199254740992.0 /* 2^53: counters are exact in a double */
#define MAX_ACCEPTED 64		     /* entries of local.accepted (dump1090 has 2 or 3) */
#define MAX_TARGET 255

/* --- the parsers (jansson) ------------------------------------------------- */

const char *adsb_strerror(enum adsb_status s)
{
	switch (s) {
	case ADSB_OK: return "ok";
	case ADSB_TRUNCATED: return "the JSON text is cut short";
	case ADSB_BAD_JSON: return "not valid JSON";
	case ADSB_TOO_BIG: return "too big";
	case ADSB_WRONG_TYPE: return "a field has the wrong type";
	case ADSB_BAD_VALUE: return "a field is out of range";
	case ADSB_MISSING: return "a required field is missing";
	}
	return "unknown error";
}

/* The first failure, sticky (as common/rd.h's readers are). */
struct chk {
	enum adsb_status st;
	const char *field;
};

static void fail(struct chk *c, enum adsb_status st, const char *field)
{
	if (c->st == ADSB_OK) {
		c->st = st;
		c->field = field;
	}
}

/* The member key of obj; NULL when missing or null. */
static const json_t *member(const json_t *obj, const char *key)
{
	const json_t *v = obj ? json_object_get(obj, key) : NULL;
	return v && !json_is_null(v) ? v : NULL;
}

/* A number member within lo .. hi; NAN when missing, or (c failed) when it
 * is not a number or out of range. */
static double number(struct chk *c, const json_t *obj, const char *key, const char *name, double lo,
		     double hi)
{
	const json_t *v = member(obj, key);
	if (!v)
		return NAN;
	if (!json_is_number(v)) {
		fail(c, ADSB_WRONG_TYPE, name);
		return NAN;
	}
	double d = json_number_value(v);
	if (!(d >= lo && d <= hi)) {
		fail(c, ADSB_BAD_VALUE, name);
		return NAN;
	}
	return d;
}

/* A count: an integer 0 .. 2^53 (a real with an integral value too). */
static double count_of(struct chk *c, const json_t *v, const char *name)
{
	double d;
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || i > ((json_int_t)1 << 53)) {
			fail(c, ADSB_BAD_VALUE, name);
			return NAN;
		}
		d = (double)i;
	} else if (json_is_real(v)) {
		d = json_real_value(v);
		if (!(d >= 0 && d <= MAX_COUNT) || d != floor(d)) {
			fail(c, ADSB_BAD_VALUE, name);
			return NAN;
		}
	} else {
		fail(c, ADSB_WRONG_TYPE, name);
		return NAN;
	}
	return d;
}

static double count(struct chk *c, const json_t *obj, const char *key, const char *name)
{
	const json_t *v = member(obj, key);
	return v ? count_of(c, v, name) : NAN;
}

/* An object member; NULL when missing, or (c failed) not an object. */
static const json_t *object(struct chk *c, const json_t *obj, const char *key, const char *name)
{
	const json_t *v = member(obj, key);
	if (v && !json_is_object(v)) {
		fail(c, ADSB_WRONG_TYPE, name);
		return NULL;
	}
	return v;
}

/* The text as a JSON object; NULL with *st set otherwise (the caller
 * json_decref()s it). */
static json_t *load(const char *text, size_t len, enum adsb_status *st, const char **field)
{
	*field = NULL;
	if (len > ADSB_MAX_FILE) {
		*st = ADSB_TOO_BIG;
		return NULL;
	}
	json_error_t e;
	json_t *root = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &e);
	if (!root) {
		/* Cut short: jansson wanted more, or its error is an unfinished
		 * token at the very end ("tru", "1.", "-"). */
		enum json_error_code code = json_error_code(&e);
		bool in_token =
			len > 0 && e.position >= 0 && (size_t)e.position >= len &&
			strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-",
			       text[len - 1]) != NULL &&
			text[len - 1] != '\0';
		*st = code == json_error_premature_end_of_input ||
				      (code == json_error_invalid_syntax && in_token)
			      ? ADSB_TRUNCATED
			      : ADSB_BAD_JSON;
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		*st = ADSB_WRONG_TYPE;
		*field = "(the top level: an object)";
		return NULL;
	}
	*st = ADSB_OK;
	return root;
}

enum adsb_status adsb_parse_receiver(const char *text, size_t len, struct adsb_receiver *out)
{
	memset(out, 0, sizeof *out);
	out->lat = out->lon = NAN;
	enum adsb_status st;
	json_t *root = load(text, len, &st, &out->bad_field);
	if (!root)
		return st;
	struct chk c = { ADSB_OK, NULL };
	double lat = number(&c, root, "lat", "lat", -90, 90);
	double lon = number(&c, root, "lon", "lon", -180, 180);
	json_decref(root);
	if (c.st != ADSB_OK) {
		out->bad_field = c.field;
		return c.st;
	}
	if (isfinite(lat) && isfinite(lon)) {
		out->has_position = true;
		out->lat = lat;
		out->lon = lon;
	}
	return ADSB_OK;
}

enum adsb_status adsb_parse_aircraft(const char *text, size_t len, const struct adsb_receiver *rx,
				     struct adsb_aircraft *out)
{
	memset(out, 0, sizeof *out);
	out->now = out->messages = out->max_range = NAN;
	enum adsb_status st;
	json_t *root = load(text, len, &st, &out->bad_field);
	if (!root)
		return st;
	struct chk c = { ADSB_OK, NULL };
	double now = number(&c, root, "now", "now", 0, 1e11);
	double messages = count(&c, root, "messages", "messages");
	const json_t *list = member(root, "aircraft");
	if (!list)
		fail(&c, ADSB_MISSING, "aircraft");
	else if (!json_is_array(list))
		fail(&c, ADSB_WRONG_TYPE, "aircraft");
	size_t n = list && json_is_array(list) ? json_array_size(list) : 0;
	size_t recent = 0, positions = 0;
	double range = NAN;
	for (size_t i = 0; i < n && c.st == ADSB_OK; i++) {
		const json_t *a = json_array_get(list, i);
		if (!json_is_object(a)) {
			fail(&c, ADSB_WRONG_TYPE, "aircraft[]");
			break;
		}
		double seen = number(&c, a, "seen", "aircraft[].seen", -DBL_MAX, DBL_MAX);
		double seen_pos =
			number(&c, a, "seen_pos", "aircraft[].seen_pos", -DBL_MAX, DBL_MAX);
		double lat = number(&c, a, "lat", "aircraft[].lat", -90, 90);
		double lon = number(&c, a, "lon", "aircraft[].lon", -180, 180);
		if (seen >= ADSB_RECENT) /* missing: just seen */
			continue;
		recent++;
		if (!isfinite(lat) || !isfinite(lon))
			continue;
		if (!isfinite(seen_pos))
			seen_pos = seen;
		if (seen_pos >= ADSB_RECENT)
			continue;
		positions++;
		if (rx && rx->has_position) {
			double d = adsb_distance(rx->lat, rx->lon, lat, lon);
			if (!(d <= range)) /* NAN at first */
				range = d;
		}
	}
	json_decref(root);
	if (c.st != ADSB_OK) {
		out->bad_field = c.field;
		return c.st;
	}
	out->now = now;
	out->messages = messages;
	out->aircraft = recent;
	out->with_position = positions;
	out->max_range = range;
	return ADSB_OK;
}

/* signal, noise and peak_signal of a local object, checked. */
static void levels(struct chk *c, const json_t *local, double lv[3])
{
	static const char *const key[3] = { "signal", "noise", "peak_signal" };
	static const char *const name[3] = { "local.signal", "local.noise", "local.peak_signal" };
	for (size_t i = 0; i < 3; i++)
		lv[i] = number(c, local, key[i], name[i], -200, 50);
}

enum adsb_status adsb_parse_stats(const char *text, size_t len, struct adsb_stats *out)
{
	memset(out, 0, sizeof *out);
	out->signal = out->noise = out->peak_signal = NAN;
	out->strong_ratio = out->strong_total = NAN;
	enum adsb_status st;
	json_t *root = load(text, len, &st, &out->bad_field);
	if (!root)
		return st;
	struct chk c = { ADSB_OK, NULL };
	const json_t *l1 =
		object(&c, object(&c, root, "last1min", "last1min"), "local", "last1min.local");
	const json_t *lt = object(&c, object(&c, root, "total", "total"), "local", "total.local");
	double minute[3], total[3];
	levels(&c, l1, minute);
	levels(&c, lt, total);
	double strong = count(&c, l1, "strong_signals", "local.strong_signals");
	double strong_total = count(&c, lt, "strong_signals", "local.strong_signals");
	double accepted = NAN;
	const json_t *acc = member(l1, "accepted");
	if (acc && !json_is_array(acc)) {
		fail(&c, ADSB_WRONG_TYPE, "local.accepted");
	} else if (acc) {
		size_t n = json_array_size(acc);
		if (n > MAX_ACCEPTED)
			fail(&c, ADSB_BAD_VALUE, "local.accepted");
		accepted = 0;
		for (size_t i = 0; i < n && c.st == ADSB_OK; i++)
			accepted += count_of(&c, json_array_get(acc, i), "local.accepted[]");
	}
	json_decref(root);
	if (c.st != ADSB_OK) {
		out->bad_field = c.field;
		return c.st;
	}
	out->signal = isfinite(minute[0]) ? minute[0] : total[0];
	out->noise = isfinite(minute[1]) ? minute[1] : total[1];
	out->peak_signal = isfinite(minute[2]) ? minute[2] : total[2];
	if (isfinite(strong) && accepted > 0)
		out->strong_ratio = strong / accepted;
	out->strong_total = strong_total;
	return ADSB_OK;
}

double adsb_distance(double lat1, double lon1, double lat2, double lon2)
{
	const double rad = M_PI / 180.0;
	double p1 = lat1 * rad, p2 = lat2 * rad;
	double sp = sin((p2 - p1) / 2), sl = sin((lon2 - lon1) * rad / 2);
	double h = sp * sp + cos(p1) * cos(p2) * sl * sl;
	if (h > 1)
		h = 1; /* rounding near the antipode */
	if (!(h >= 0))
		h = 0;
	return 2 * ADSB_EARTH_RADIUS * asin(sqrt(h));
}

static bool is_url(const char *t)
{
	return strncmp(t, "http://", 7) == 0 || strncmp(t, "https://", 8) == 0;
}

bool adsb_target_ok(const char *t)
{
	if (!t || !*t || strlen(t) > MAX_TARGET)
		return false;
	for (const char *p = t; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	if (t[0] == '/')
		return true;
	if (!is_url(t))
		return false;
	const char *host = strstr(t, "://") + 3;
	return *host && *host != '/' && !strpbrk(t, "?#");
}

/* --- getting a file -------------------------------------------------------- */

/* A body of at most ADSB_MAX_FILE octets. */
struct body {
	char *p;
	size_t len, cap;
	bool too_big;
};

/* Room for want more octets; false if the body would pass the limit + 1
 * (one octet over it is how a file is seen to be too big). */
static bool body_reserve(struct body *b, size_t want)
{
	if (want > ADSB_MAX_FILE + 1 - b->len)
		return false;
	if (b->len + want <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 65536;
	while (cap < b->len + want)
		cap *= 2;
	if (cap > ADSB_MAX_FILE + 1)
		cap = ADSB_MAX_FILE + 1;
	b->p = mem_realloc(b->p, cap);
	b->cap = cap;
	return true;
}

/* dir/name into b: 0, -ENOENT, or another negative errno; err says it. */
static int read_file(const char *dir, const char *name, struct body *b, char *err, size_t errlen)
{
	char path[PATH_MAX];
	const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
	if ((size_t)snprintf(path, sizeof path, "%s%s%s", dir, sep, name) >= sizeof path) {
		str_format(err, errlen, "%s: the path is too long", dir);
		return -ENAMETOOLONG;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		str_format(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	int rc = 0;
	struct stat sb;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		str_format(err, errlen, "%s: not a regular file", path);
		rc = -EINVAL;
		goto out;
	}
	for (;;) {
		if (b->len > ADSB_MAX_FILE) {
			b->too_big = true;
			break;
		}
		size_t want = ADSB_MAX_FILE + 1 - b->len;
		if (want > 65536)
			want = 65536;
		if (!body_reserve(b, want))
			break; /* cannot happen: want fits */
		ssize_t got = read(fd, b->p + b->len, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			str_format(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		b->len += (size_t)got;
	}
	if (b->too_big) {
		str_format(err, errlen, "%s: more than %u octets", path, ADSB_MAX_FILE);
		rc = -EFBIG;
	}
out:
	close(fd);
	return rc;
}

/* libcurl's: shared by the sources, initialised by the first to open and
 * cleaned up by the last to close (both on the collector's loop). */
static pthread_mutex_t curl_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t curl_users;

static bool curl_use(void)
{
	pthread_mutex_lock(&curl_lock);
	bool ok = curl_users > 0 || curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (ok)
		curl_users++;
	pthread_mutex_unlock(&curl_lock);
	return ok;
}

static void curl_unuse(void)
{
	pthread_mutex_lock(&curl_lock);
	if (curl_users > 0 && --curl_users == 0)
		curl_global_cleanup();
	pthread_mutex_unlock(&curl_lock);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	if (size != 1 || n > ADSB_MAX_FILE - b->len || !body_reserve(b, n)) {
		b->too_big = true;
		return 0; /* libcurl stops: CURLE_WRITE_ERROR */
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return n;
}

/* A handle for base (an http(s) URL), or NULL with err set. */
static CURL *http_new(char *err, size_t errlen)
{
	CURL *h = curl_easy_init();
	if (!h) {
		str_format(err, errlen, "%s", "libcurl cannot make a handle");
		return NULL;
	}
	if (curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ADSB_MAX_FILE) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "sundial/" SUNDIAL_VERSION) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK) {
		str_format(err, errlen, "%s",
			   "libcurl lacks an option sundial needs (HTTP, HTTPS)");
		curl_easy_cleanup(h);
		return NULL;
	}
	return h;
}

/* base/name into b within the time left until deadline (monotonic): 0,
 * -ENOENT (HTTP 404 or 410), or another negative errno; err says it. */
static int http_get(CURL *h, const char *base, const char *name, double deadline, struct body *b,
		    char *err, size_t errlen)
{
	char url[MAX_TARGET + 64];
	const char *sep = base[strlen(base) - 1] == '/' ? "" : "/";
	snprintf(url, sizeof url, "%s%s%s", base, sep, name);
	double left = deadline - clock_mono_sec();
	if (left < 0.001) {
		str_format(err, errlen, "%s: no time left for it", url);
		return -ETIMEDOUT;
	}
	long ms = (long)ceil(fmin(left, 3600.0) * 1000.0);
	char cerr[CURL_ERROR_SIZE] = "";
	(void)curl_easy_setopt(h, CURLOPT_URL, url);
	(void)curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
	(void)curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	(void)curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	CURLcode cc = curl_easy_perform(h);
	(void)curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	long status = 0;
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (b->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		str_format(err, errlen, "%s: more than %u octets", url, ADSB_MAX_FILE);
		return -EFBIG;
	}
	if (cc != CURLE_OK) {
		str_format(err, errlen, "%s: %s", url, cerr[0] ? cerr : curl_easy_strerror(cc));
		switch (cc) {
		case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
		case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY: return -EHOSTUNREACH;
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT: return -EINVAL;
		default: return -EIO;
		}
	}
	if (status == 404 || status == 410) {
		str_format(err, errlen, "%s: not found (HTTP %ld)", url, status);
		return -ENOENT;
	}
	if (status != 200) {
		str_format(err, errlen, "%s: HTTP %ld", url, status);
		return -EPROTO;
	}
	return 0;
}

/* --- the source ------------------------------------------------------------ */

struct adsb_src {
	const struct source_params *p;
	CURL *http;	   /* NULL for a folder */
	struct body ab, b; /* aircraft.json's, the others' */
	/* the last sample's */
	struct adsb_aircraft a;
	struct adsb_stats stats;
	bool have_stats, no_position;
	double rate;
	/* for the rate */
	double prev_messages, prev_t;
	bool said_no_stats, said_no_position;
};

static void *adsb_src_open(const struct source_params *p, char *err, size_t errlen)
{
	if (!adsb_target_ok(p->target)) {
		str_format(err, errlen, "%s",
			   "expected dump1090's JSON folder (an absolute path) or its URL "
			   "(http://HOST[:PORT]/PATH)");
		return NULL;
	}
	struct adsb_src *s = mem_calloc(1, sizeof *s);
	s->p = p;
	s->prev_messages = s->prev_t = s->rate = NAN;
	if (is_url(p->target)) {
		if (!curl_use()) {
			str_format(err, errlen, "%s", "libcurl cannot start");
			free(s);
			return NULL;
		}
		s->http = http_new(err, errlen);
		if (!s->http) {
			curl_unuse();
			free(s);
			return NULL;
		}
	}
	return s;
}

/* One file into b: 0, -ENOENT when it is not there, or another negative
 * errno. */
static int get(struct adsb_src *s, const char *name, struct body *b, double deadline, char *err,
	       size_t errlen)
{
	b->len = 0;
	b->too_big = false;
	if (s->http)
		return http_get(s->http, s->p->target, name, deadline, b, err, errlen);
	return read_file(s->p->target, name, b, err, errlen);
}

static int refused(const char *name, enum adsb_status st, const char *field, char *err,
		   size_t errlen)
{
	if (field)
		str_format(err, errlen, "%s: %s: %s", name, adsb_strerror(st), field);
	else
		str_format(err, errlen, "%s: %s", name, adsb_strerror(st));
	return st == ADSB_TOO_BIG ? -EFBIG : -EBADMSG;
}

static int adsb_src_sample(void *arg, double timeout, char *err, size_t errlen)
{
	struct adsb_src *s = arg;
	double deadline = clock_mono_sec() + timeout;
	enum adsb_status st;
	s->have_stats = false;
	s->rate = NAN;

	/* aircraft.json first: it is the one that must be there */
	int rc = get(s, "aircraft.json", &s->ab, deadline, err, errlen);
	if (rc < 0)
		return rc;
	struct adsb_receiver rx = { .has_position = false };
	rc = get(s, "receiver.json", &s->b, deadline, err, errlen);
	if (rc == 0) {
		st = adsb_parse_receiver(s->b.p, s->b.len, &rx);
		if (st != ADSB_OK)
			return refused("receiver.json", st, rx.bad_field, err, errlen);
	} else if (rc != -ENOENT) {
		return rc;
	}
	s->no_position = !rx.has_position;
	st = adsb_parse_aircraft(s->ab.p, s->ab.len, &rx, &s->a);
	if (st != ADSB_OK)
		return refused("aircraft.json", st, s->a.bad_field, err, errlen);
	double now = clock_real_sec();
	if (isfinite(s->a.now) && now - s->a.now > ADSB_STALE) {
		str_format(err, errlen,
			   "aircraft.json was written %.0f s ago: is dump1090 (or readsb) running?",
			   now - s->a.now);
		return -ESTALE;
	}

	rc = get(s, "stats.json", &s->b, deadline, err, errlen);
	if (rc == 0) {
		st = adsb_parse_stats(s->b.p, s->b.len, &s->stats);
		if (st != ADSB_OK)
			return refused("stats.json", st, s->stats.bad_field, err, errlen);
		s->have_stats = true;
	} else if (rc != -ENOENT) {
		return rc;
	}
	err[0] = '\0';

	/* Messages per second by the file's own clock (the sample's without). */
	double t = isfinite(s->a.now) ? s->a.now : now;
	if (isfinite(s->a.messages)) {
		if (isfinite(s->prev_messages) && t > s->prev_t &&
		    s->a.messages >= s->prev_messages)
			s->rate = (s->a.messages - s->prev_messages) / (t - s->prev_t);
		s->prev_messages = s->a.messages;
		s->prev_t = t;
	}
	return 0;
}

static void adsb_src_publish(void *arg, int rc, const struct source_out *o)
{
	struct adsb_src *s = arg;
	/* After a failed sample every value is NAN: none, rather than the last
	 * good sample's in /metrics. */
	bool ok = rc == 0;
	const struct adsb_aircraft *a = &s->a;
	o->put(o->ctx, "sundial_adsb_aircraft", "Aircraft heard in the last 60 s (aircraft.json).",
	       METRIC_GAUGE, NULL, ok ? (double)a->aircraft : NAN);
	o->put(o->ctx, "sundial_adsb_aircraft_with_position",
	       "Aircraft with a position of the last 60 s (aircraft.json).", METRIC_GAUGE, NULL,
	       ok ? (double)a->with_position : NAN);
	o->put(o->ctx, "sundial_adsb_messages_total",
	       "Mode S messages the receiver decoded since it started (aircraft.json messages).",
	       METRIC_COUNTER, NULL, ok ? a->messages : NAN);
	o->put(o->ctx, "sundial_adsb_messages_per_second",
	       "Mode S messages per second between the last two samples, by aircraft.json's now.",
	       METRIC_GAUGE, NULL, ok ? s->rate : NAN);
	o->put(o->ctx, "sundial_adsb_max_range_meters",
	       "Great-circle distance from the receiver to the farthest position of the last 60 "
	       "s.",
	       METRIC_GAUGE, NULL, ok ? a->max_range : NAN);
	const struct adsb_stats *st = &s->stats;
	bool h = ok && s->have_stats;
	o->put(o->ctx, "sundial_adsb_signal_dbfs",
	       "Mean signal level of the last minute's messages (stats.json), dBFS.", METRIC_GAUGE,
	       NULL, h ? st->signal : NAN);
	o->put(o->ctx, "sundial_adsb_signal_peak_dbfs",
	       "Strongest message of the last minute (stats.json), dBFS.", METRIC_GAUGE, NULL,
	       h ? st->peak_signal : NAN);
	o->put(o->ctx, "sundial_adsb_noise_dbfs",
	       "Noise level of the last minute (stats.json), dBFS.", METRIC_GAUGE, NULL,
	       h ? st->noise : NAN);
	o->put(o->ctx, "sundial_adsb_strong_signals_ratio",
	       "Share of the last minute's messages above -3 dBFS (stats.json).", METRIC_GAUGE,
	       NULL, h ? st->strong_ratio : NAN);
	o->put(o->ctx, "sundial_adsb_strong_signals_total",
	       "Messages above -3 dBFS since the receiver started (stats.json).", METRIC_COUNTER,
	       NULL, h ? st->strong_total : NAN);
	if (!ok)
		return;
	if (!h && !s->said_no_stats) {
		log_info("adsb %s: no stats.json: no signal levels (said once)", s->p->target);
		s->said_no_stats = true;
	}
	if (s->no_position && !s->said_no_position) {
		log_info("adsb %s: receiver.json has no position (lat, lon): no range (said once)",
			 s->p->target);
		s->said_no_position = true;
	}
}

static void adsb_src_close(void *arg)
{
	struct adsb_src *s = arg;
	if (!s)
		return;
	if (s->http) {
		curl_easy_cleanup(s->http);
		curl_unuse();
	}
	free(s->ab.p);
	free(s->b.p);
	free(s);
}

const struct source_ops adsb_source = {
	.kind = "adsb",
	.threaded = true,
	.open = adsb_src_open,
	.sample = adsb_src_sample,
	.publish = adsb_src_publish,
	.close = adsb_src_close,
};
