/* metrics.c - the metric registry and its Prometheus text exposition
 * (format 0.0.4); see metrics.h.
 *
 * A family keeps its series in an array (creation order, for the readers and
 * the exposition) and in a chained hash table keyed by the label values (the
 * collector may hold 10,000 series).  A series is one allocation: the struct,
 * then its label values, NUL-terminated, one after the other.  Label values
 * are stored as valid UTF-8 (invalid sequences replaced by U+FFFD), so that
 * the JSON API can hand them on and two series never export the same line. */
#include "store/metrics.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

/* Sample times beyond this many seconds from the epoch do not fit an int64
 * of milliseconds: such a sample is not kept. */
#define MAX_ABS_TIME 9.2e15

struct metric_series {
	metric_family *f;
	metric_series *next; /* hash chain */
	size_t pos;	     /* index in f->series */
	uint64_t hash;
	bool has;
	double t, v;
	const char *values[METRICS_MAX_LABELS]; /* into text */
	char text[];
};

struct metric_family {
	metrics *m;
	char *name, *help;
	enum metric_type type;
	size_t nlabels;
	char *labels[METRICS_MAX_LABELS];
	metric_series **series; /* creation order */
	size_t nseries, cap;
	metric_series **buckets; /* nbuckets, a power of two, or 0 */
	size_t nbuckets;
};

struct metrics {
	metric_family **fams; /* declaration order */
	size_t nfams, cap;
};

/* A growing output string, always NUL-terminated once anything is in it. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static void sb_reserve(struct sbuf *b, size_t n)
{
	if (b->cap - b->len > n)
		return;
	size_t c = b->cap ? b->cap : 4096;
	while (c - b->len <= n) {
		if (c > SIZE_MAX / 2)
			c = SIZE_MAX; /* mem_realloc fails, fatal() */
		else
			c *= 2;
	}
	b->p = mem_realloc(b->p, c);
	b->cap = c;
}

static void sb_put(struct sbuf *b, const void *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* UTF-8 (RFC 3629, Unicode table 3-7): the length of the well-formed
 * sequence at s with *ok set, or, with *ok clear, the length of its maximal
 * ill-formed prefix (at least 1), which becomes one U+FFFD.  s is
 * NUL-terminated, and NUL is never a continuation byte. */
static size_t utf8_next(const unsigned char *s, bool *ok)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t n;
	*ok = false;
	if (c < 0x80) {
		*ok = true;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xbf;
	}
	*ok = true;
	return n;
}

static bool utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		bool ok;
		p += utf8_next(p, &ok);
		if (!ok)
			return false;
	}
	return true;
}

enum text_mode {
	TEXT_RAW,   /* only U+FFFD for invalid UTF-8 */
	TEXT_HELP,  /* and \\ and \n escaped */
	TEXT_LABEL, /* and \" too */
};

static void put_text(struct sbuf *b, const char *s, enum text_mode mode)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		const unsigned char *run = p;
		bool ok = true;
		size_t n = 0;
		/* A run of bytes copied as they are. */
		while (*p) {
			n = utf8_next(p, &ok);
			if (!ok || (mode != TEXT_RAW && (*p == '\\' || *p == '\n')) ||
			    (mode == TEXT_LABEL && *p == '"'))
				break;
			p += n;
		}
		sb_put(b, run, (size_t)(p - run));
		if (!*p)
			break;
		if (!ok)
			sb_str(b, "\xef\xbf\xbd");
		else if (*p == '\n')
			sb_str(b, "\\n");
		else if (*p == '\\')
			sb_str(b, "\\\\");
		else
			sb_str(b, "\\\"");
		p += n;
	}
}

static char *utf8_clean(const char *s)
{
	struct sbuf b = { 0 };
	put_text(&b, s, TEXT_RAW);
	sb_put(&b, "", 0);
	return b.p;
}

/* Shortest decimal that reads back as v, laid out as JavaScript prints
 * numbers (fixed notation for 1e-6 <= |v| < 1e21, else d.ddde-N), which
 * Prometheus (Go's ParseFloat) reads.  v is finite; out has 32 bytes. */
static void fmt_value(double v, char out[static 32])
{
	char tmp[40];
	if (v == 0) {
		str_copy(out, "0", 32);
		return;
	}
	/* Reading back is monotonic in the precision (a longer correct rounding
	 * is never further from v), so bisect; the result is one that was read
	 * back, or 17 digits, which always read back. */
	int lo = 1, hi = 17;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		snprintf(tmp, sizeof tmp, "%.*e", mid - 1, v);
		if (strtod(tmp, NULL) == v)
			hi = mid;
		else
			lo = mid + 1;
	}
	snprintf(tmp, sizeof tmp, "%.*e", lo - 1, v);

	/* [-]d[.ddd]e[+-]N, whatever the locale's decimal point. */
	char dig[20];
	size_t k = 0;
	const char *p = tmp;
	size_t o = 0;
	if (*p == '-')
		out[o++] = *p++;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && k < sizeof dig)
			dig[k++] = *p;
	long e = *p == 'e' ? strtol(p + 1, NULL, 10) : 0;
	while (k > 1 && dig[k - 1] == '0')
		k--;

	/* |v| = 0.d1d2...dk * 10^n, k <= 17 */
	long n = e + 1;
	if (n >= 1 && n <= 21) {
		for (long i = 0; i < n || (size_t)i < k; i++) {
			if (i == n)
				out[o++] = '.';
			out[o++] = (size_t)i < k ? dig[i] : '0';
		}
		out[o] = '\0';
	} else if (n <= 0 && n > -6) {
		out[o++] = '0';
		out[o++] = '.';
		for (long i = n; i < 0; i++)
			out[o++] = '0';
		memcpy(out + o, dig, k);
		out[o + k] = '\0';
	} else {
		out[o++] = dig[0];
		if (k > 1) {
			out[o++] = '.';
			memcpy(out + o, dig + 1, k - 1);
			o += k - 1;
		}
		snprintf(out + o, 32 - o, "e%+ld", n - 1);
	}
}

static bool name_valid(const char *s, bool colon)
{
	if (!*s)
		return false;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static const char *type_name(enum metric_type t)
{
	return t == METRIC_COUNTER ? "counter" : "gauge";
}

/* "(a, b)" into buf, truncated to fit. */
static const char *label_list(char *buf, size_t len, const char *const *names, size_t n)
{
	size_t k = 0;
	int w = snprintf(buf, len, "(");
	for (size_t i = 0; i < n && w >= 0 && (k += (size_t)w) < len; i++)
		w = snprintf(buf + k, len - k, "%s%s", i ? ", " : "", names[i]);
	if (w >= 0 && k + (size_t)w < len)
		snprintf(buf + k + (size_t)w, len - k - (size_t)w, ")");
	return buf;
}

metrics *metrics_new(void)
{
	return mem_calloc(1, sizeof(metrics));
}

static void family_free(metric_family *f)
{
	for (size_t i = 0; i < f->nseries; i++)
		free(f->series[i]);
	free(f->series);
	free(f->buckets);
	for (size_t i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	free(f);
}

void metrics_free(metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nfams; i++)
		family_free(m->fams[i]);
	free(m->fams);
	free(m);
}

metric_family *metrics_family(metrics *m, const char *name, const char *help, enum metric_type type,
			      const char *const *label_names, char *err, size_t errlen)
{
	if (!m || !name) {
		str_format(err, errlen, "metrics_family: no registry or no name");
		return NULL;
	}
	if (!help)
		help = "";
	if (!name_valid(name, true)) {
		str_format(err, errlen,
			   "metric name '%s' is invalid: it must match [a-zA-Z_:][a-zA-Z0-9_:]*, "
			   "e.g. 'sundial_ntp_offset_seconds'",
			   name);
		return NULL;
	}
	if (type != METRIC_GAUGE && type != METRIC_COUNTER) {
		str_format(err, errlen, "metric '%s': unknown type %d", name, (int)type);
		return NULL;
	}
	if (type == METRIC_COUNTER && !ends_with(name, "_total")) {
		str_format(err, errlen, "counter '%s' must end in _total, e.g. '%s_total'", name,
			   name);
		return NULL;
	}
	size_t n = 0;
	while (label_names && label_names[n]) {
		const char *l = label_names[n];
		if (n == METRICS_MAX_LABELS) {
			str_format(err, errlen, "metric '%s' has more than %d labels", name,
				   METRICS_MAX_LABELS);
			return NULL;
		}
		if (!name_valid(l, false)) {
			str_format(err, errlen,
				   "metric '%s': label name '%s' is invalid: it must match "
				   "[a-zA-Z_][a-zA-Z0-9_]*",
				   name, l);
			return NULL;
		}
		if (l[0] == '_' && l[1] == '_') {
			str_format(err, errlen,
				   "metric '%s': label name '%s' is reserved (names starting with "
				   "__ are Prometheus' own)",
				   name, l);
			return NULL;
		}
		for (size_t j = 0; j < n; j++) {
			if (strcmp(label_names[j], l) == 0) {
				str_format(err, errlen, "metric '%s': label '%s' given twice", name,
					   l);
				return NULL;
			}
		}
		n++;
	}

	for (size_t i = 0; i < m->nfams; i++) {
		metric_family *f = m->fams[i];
		if (strcmp(f->name, name) != 0)
			continue;
		bool same_labels = f->nlabels == n;
		for (size_t j = 0; same_labels && j < n; j++)
			same_labels = strcmp(f->labels[j], label_names[j]) == 0;
		if (f->type != type) {
			str_format(err, errlen, "metric '%s' is already declared as a %s, not a %s",
				   name, type_name(f->type), type_name(type));
			return NULL;
		}
		if (!same_labels) {
			char was[160], now[160];
			str_format(err, errlen,
				   "metric '%s' is already declared with labels %s, not %s", name,
				   label_list(was, sizeof was, (const char *const *)f->labels,
					      f->nlabels),
				   label_list(now, sizeof now, label_names, n));
			return NULL;
		}
		if (strcmp(f->help, help) != 0) {
			str_format(err, errlen,
				   "metric '%s' is already declared with another help text ('%s')",
				   name, f->help);
			return NULL;
		}
		return f;
	}

	metric_family *f = mem_calloc(1, sizeof *f);
	f->m = m;
	f->name = mem_strdup(name);
	f->help = mem_strdup(help);
	f->type = type;
	f->nlabels = n;
	for (size_t j = 0; j < n; j++)
		f->labels[j] = mem_strdup(label_names[j]);
	if (m->nfams == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->fams = mem_realloc(m->fams, m->cap * sizeof m->fams[0]);
	}
	m->fams[m->nfams++] = f;
	return f;
}

/* FNV-1a over the values, each followed by 0xff (never in UTF-8), then
 * MurmurHash3's finaliser so that the low bits index the table well. */
static uint64_t hash_values(const char *const *values, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const unsigned char *)values[i]; *p; p++)
			h = (h ^ *p) * 0x100000001b3ULL;
		h = (h ^ 0xff) * 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static void rehash(metric_family *f, size_t nb)
{
	metric_series **b = mem_calloc(nb, sizeof b[0]);
	for (size_t i = 0; i < f->nseries; i++) {
		metric_series *s = f->series[i];
		size_t k = (size_t)(s->hash & (nb - 1));
		s->next = b[k];
		b[k] = s;
	}
	free(f->buckets);
	f->buckets = b;
	f->nbuckets = nb;
}

metric_series *metrics_series(metric_family *f, const char *const *label_values)
{
	if (!f)
		return NULL;
	const char *vals[METRICS_MAX_LABELS];
	char *owned[METRICS_MAX_LABELS] = { 0 };
	for (size_t i = 0; i < f->nlabels; i++) {
		const char *v = label_values && label_values[i] ? label_values[i] : "";
		if (!utf8_valid(v))
			v = owned[i] = utf8_clean(v);
		vals[i] = v;
	}
	uint64_t h = hash_values(vals, f->nlabels);
	metric_series *s = NULL;
	if (f->nbuckets) {
		for (s = f->buckets[h & (f->nbuckets - 1)]; s; s = s->next) {
			if (s->hash != h)
				continue;
			size_t i = 0;
			while (i < f->nlabels && strcmp(s->values[i], vals[i]) == 0)
				i++;
			if (i == f->nlabels)
				break;
		}
	}
	if (s)
		goto out;

	size_t lens[METRICS_MAX_LABELS], total = 0;
	for (size_t i = 0; i < f->nlabels; i++) {
		lens[i] = strlen(vals[i]) + 1;
		total += lens[i];
	}
	s = mem_alloc(sizeof *s + total);
	memset(s, 0, sizeof *s);
	s->f = f;
	s->hash = h;
	char *p = s->text;
	for (size_t i = 0; i < f->nlabels; i++) {
		memcpy(p, vals[i], lens[i]);
		s->values[i] = p;
		p += lens[i];
	}
	if (f->nseries == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->series = mem_realloc(f->series, f->cap * sizeof f->series[0]);
	}
	s->pos = f->nseries;
	f->series[f->nseries++] = s;
	if (f->nseries > f->nbuckets) {
		rehash(f, f->nbuckets ? f->nbuckets * 2 : 8); /* links s in too */
	} else {
		size_t k = (size_t)(h & (f->nbuckets - 1));
		s->next = f->buckets[k];
		f->buckets[k] = s;
	}
out:
	for (size_t i = 0; i < f->nlabels; i++)
		free(owned[i]);
	return s;
}

void metrics_set(metric_series *s, double t, double v)
{
	if (!s)
		return;
	s->has = isfinite(v) && isfinite(t) && fabs(t) < MAX_ABS_TIME &&
		 !(s->f->type == METRIC_COUNTER && v < 0);
	s->t = t;
	s->v = v + 0.0; /* -0 reads as 0 */
}

void metrics_drop(metric_series *s)
{
	if (!s)
		return;
	metric_family *f = s->f;
	metric_series **pp = &f->buckets[s->hash & (f->nbuckets - 1)];
	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	for (size_t i = s->pos + 1; i < f->nseries; i++)
		f->series[i]->pos = i - 1;
	memmove(&f->series[s->pos], &f->series[s->pos + 1],
		(f->nseries - s->pos - 1) * sizeof f->series[0]);
	f->nseries--;
	free(s);
}

size_t metrics_family_count(const metrics *m)
{
	return m ? m->nfams : 0;
}

const metric_family *metrics_family_at(const metrics *m, size_t i)
{
	return m && i < m->nfams ? m->fams[i] : NULL;
}

const char *metric_family_name(const metric_family *f)
{
	return f->name;
}

const char *metric_family_help(const metric_family *f)
{
	return f->help;
}

enum metric_type metric_family_type(const metric_family *f)
{
	return f->type;
}

size_t metric_family_label_count(const metric_family *f)
{
	return f->nlabels;
}

const char *metric_family_label_name(const metric_family *f, size_t i)
{
	return i < f->nlabels ? f->labels[i] : NULL;
}

size_t metric_family_series_count(const metric_family *f)
{
	return f->nseries;
}

const metric_series *metric_family_series_at(const metric_family *f, size_t i)
{
	return i < f->nseries ? f->series[i] : NULL;
}

const metric_family *metric_series_family(const metric_series *s)
{
	return s->f;
}

const char *metric_series_label_value(const metric_series *s, size_t i)
{
	return i < s->f->nlabels ? s->values[i] : NULL;
}

bool metric_series_value(const metric_series *s, double *t, double *v)
{
	if (!s->has)
		return false;
	if (t)
		*t = s->t;
	if (v)
		*v = s->v;
	return true;
}

char *metrics_prometheus(const metrics *m, size_t *len)
{
	struct sbuf b = { 0 };
	sb_put(&b, "", 0);
	for (size_t i = 0; m && i < m->nfams; i++) {
		const metric_family *f = m->fams[i];
		bool any = false;
		for (size_t j = 0; j < f->nseries && !any; j++)
			any = f->series[j]->has;
		if (!any)
			continue;
		if (f->help[0]) {
			sb_str(&b, "# HELP ");
			sb_str(&b, f->name);
			sb_str(&b, " ");
			put_text(&b, f->help, TEXT_HELP);
			sb_str(&b, "\n");
		}
		sb_str(&b, "# TYPE ");
		sb_str(&b, f->name);
		sb_str(&b, f->type == METRIC_COUNTER ? " counter\n" : " gauge\n");
		for (size_t j = 0; j < f->nseries; j++) {
			const metric_series *s = f->series[j];
			if (!s->has)
				continue;
			sb_str(&b, f->name);
			for (size_t k = 0; k < f->nlabels; k++) {
				sb_str(&b, k ? "," : "{");
				sb_str(&b, f->labels[k]);
				sb_str(&b, "=\"");
				put_text(&b, s->values[k], TEXT_LABEL);
				sb_str(&b, "\"");
			}
			char num[32];
			fmt_value(s->v, num);
			sb_str(&b, f->nlabels ? "} " : " ");
			sb_str(&b, num);
			snprintf(num, sizeof num, " %" PRId64 "\n",
				 (int64_t)llround(s->t * 1000.0));
			sb_str(&b, num);
		}
	}
	if (len)
		*len = b.len;
	return b.p;
}
