/* fuzz_metrics.c - libFuzzer harness for the metric registry (store/metrics).
 *
 * The input is a small program, read through struct rd, one operation per
 * byte (op % 6) until the input runs out:
 *   0 declare: flags (bit 0 counter, bits 1-4 label count % 10, bit 5 names
 *     in raw bytes instead of mapped onto [a-zA-Z_:0-9], bit 6 "_total"
 *     appended, bit 7 NULL help), then the name (up to 32 bytes), help (64)
 *     and label names (12) as length-prefixed strings
 *   1 series: family slot, then one length-prefixed value per label
 *   2 set: series slot, a time and a value (raw double bits or small numbers)
 *   3 drop: series slot
 *   4 export and check
 *   5 look a series up again by its own values
 * A length-prefixed string is one length byte (modulo cap + 1) and that many
 * bytes; a NUL ends it early.
 *
 * Besides not crashing: an accepted family has a valid name and valid label
 * names, a refused one a message; the same values give the same series, its
 * values are valid UTF-8; a value is kept only when it may be; and the
 * exposition is well-formed text format 0.0.4 that matches the registry
 * line by line: every line ends in \n, "# HELP name text" (if any help) and
 * "# TYPE name gauge|counter", then per valued series in creation order the
 * name, {label="escaped value",...} (no braces without labels), a space, a
 * number that reads back as the value, a space and the time in integer
 * milliseconds.
 *
 * Seed corpus: tests/fuzz/corpus/metrics/.  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/rd.h"
#include "store/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFAM 8
#define NSER 16

static void check(int ok)
{
	if (!ok)
		abort();
}

/* A length-prefixed string of at most max bytes into buf (max + 1 bytes),
 * raw or mapped onto name characters. */
static void get_str(struct rd *r, char *buf, size_t max, bool mapped)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz_:0123456789ABCXYZ";
	size_t n = rd_u8(r) % (max + 1);
	const uint8_t *p = rd_ptr(r, n);
	size_t k = 0;
	for (size_t i = 0; p && i < n; i++) {
		if (mapped)
			buf[k++] = alpha[p[i] % (sizeof alpha - 1)];
		else if (p[i] == 0)
			break;
		else
			buf[k++] = (char)p[i];
	}
	buf[k] = '\0';
}

static bool utf8_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		unsigned c = p[i], lo = 0x80, hi = 0xbf;
		size_t n;
		if (c < 0x80)
			n = 1;
		else if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		else
			return false;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
		else if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
		if (len - i < n)
			return false;
		for (size_t j = 1; j < n; j++) {
			if (p[i + j] < lo || p[i + j] > hi)
				return false;
			lo = 0x80;
			hi = 0xbf;
		}
		i += n;
	}
	return true;
}

static bool name_ok(const char *s, bool colon)
{
	if (!*s)
		return false;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		      (colon && c == ':') || (i > 0 && c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static bool has_value(const metric_series *s)
{
	return metric_series_value(s, NULL, NULL);
}

/* Expects the text s at *p, and moves past it. */
static void expect(const char **p, const char *s)
{
	size_t n = strlen(s);
	check(strncmp(*p, s, n) == 0);
	*p += n;
}

/* Unescapes a help text or a label value at *p up to the end of the line or
 * (quoted) the closing quote, into a new string; escapes must be \\ \n and
 * (quoted) \". */
static char *unescape(const char **p, bool quoted)
{
	const char *s = *p;
	char *out = malloc(strlen(s) + 1);
	check(out != NULL);
	size_t k = 0;
	for (;;) {
		char c = *s++;
		check(c != '\0');
		if (c == '\n') {
			check(!quoted);
			s--;
			break;
		}
		if (quoted && c == '"')
			break;
		if (c == '\\') {
			c = *s++;
			check(c == '\\' || c == 'n' || (quoted && c == '"'));
			out[k++] = c == 'n' ? '\n' : c;
		} else {
			out[k++] = c;
		}
	}
	out[k] = '\0';
	*p = s;
	return out;
}

static void check_exposition(const metrics *m)
{
	size_t len = (size_t)-1;
	char *text = metrics_prometheus(m, &len);
	check(text != NULL && len == strlen(text));
	check(len == 0 || text[len - 1] == '\n');
	check(utf8_ok(text, len));
	const char *p = text;
	for (size_t i = 0; i < metrics_family_count(m); i++) {
		const metric_family *f = metrics_family_at(m, i);
		const char *name = metric_family_name(f);
		size_t ns = metric_family_series_count(f), nl = metric_family_label_count(f);
		bool any = false;
		for (size_t j = 0; j < ns; j++)
			any = any || has_value(metric_family_series_at(f, j));
		if (!any)
			continue;
		if (metric_family_help(f)[0]) {
			expect(&p, "# HELP ");
			expect(&p, name);
			expect(&p, " ");
			free(unescape(&p, false));
			expect(&p, "\n");
		}
		expect(&p, "# TYPE ");
		expect(&p, name);
		expect(&p, metric_family_type(f) == METRIC_COUNTER ? " counter\n" : " gauge\n");
		for (size_t j = 0; j < ns; j++) {
			const metric_series *s = metric_family_series_at(f, j);
			double t, v;
			if (!metric_series_value(s, &t, &v))
				continue;
			check(isfinite(v) && isfinite(t));
			check(metric_family_type(f) != METRIC_COUNTER || v >= 0);
			expect(&p, name);
			for (size_t k = 0; k < nl; k++) {
				expect(&p, k ? "," : "{");
				expect(&p, metric_family_label_name(f, k));
				expect(&p, "=\"");
				char *val = unescape(&p, true);
				check(strcmp(val, metric_series_label_value(s, k)) == 0);
				free(val);
			}
			if (nl)
				expect(&p, "}");
			expect(&p, " ");
			/* A number: [-]digits[.digits][e[+-]digits], read back exactly. */
			const char *num = p;
			if (*p == '-')
				p++;
			check(*p >= '0' && *p <= '9');
			while ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == '+' ||
			       *p == '-')
				p++;
			char *end;
			double back = strtod(num, &end);
			check(end == p && back == v && !signbit(back) == !signbit(v));
			expect(&p, " ");
			/* An integer: the time in milliseconds. */
			long long ms = strtoll(p, &end, 10);
			check(end > p && (*p == '-' || (*p >= '0' && *p <= '9')));
			check(ms == llround(t * 1000.0));
			p = end;
			expect(&p, "\n");
		}
	}
	check(*p == '\0');
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = rd_make(data, size);
	metrics *m = metrics_new();
	metric_family *fam[NFAM] = { 0 };
	metric_series *ser[NSER] = { 0 };
	metric_family *serfam[NSER] = { 0 }; /* the family of ser[i] */
	size_t nfam = 0, nser = 0;

	while (r.left > 0 && !r.bad) {
		uint8_t op = rd_u8(&r) % 6;
		switch (op) {
		case 0: {
			uint8_t fl = rd_u8(&r);
			enum metric_type type = fl & 1 ? METRIC_COUNTER : METRIC_GAUGE;
			size_t nl = (size_t)(fl >> 1 & 15) % 10;
			bool mapped = !(fl & 0x20);
			char name[40], help[65], lab[10][13];
			const char *labels[11];
			get_str(&r, name, 32, mapped);
			if (fl & 0x40)
				memcpy(name + strlen(name), "_total", 7);
			get_str(&r, help, 64, false);
			for (size_t i = 0; i < nl; i++) {
				get_str(&r, lab[i], 12, mapped);
				labels[i] = lab[i];
			}
			labels[nl] = NULL;
			char err[256] = "";
			metric_family *f = metrics_family(m, name, fl & 0x80 ? NULL : help, type,
							  labels, err, sizeof err);
			if (!f) {
				check(err[0] != '\0');
				break;
			}
			check(name_ok(name, true) && nl <= METRICS_MAX_LABELS);
			size_t n = strlen(name);
			check(type == METRIC_GAUGE ||
			      (n >= 6 && strcmp(name + n - 6, "_total") == 0));
			check(strcmp(metric_family_name(f), name) == 0);
			check(metric_family_type(f) == type);
			check(metric_family_label_count(f) == nl);
			for (size_t i = 0; i < nl; i++) {
				check(name_ok(lab[i], false) && strncmp(lab[i], "__", 2) != 0);
				check(strcmp(metric_family_label_name(f, i), lab[i]) == 0);
			}
			fam[nfam++ % NFAM] = f;
			break;
		}
		case 1: {
			metric_family *f = fam[rd_u8(&r) % NFAM];
			if (!f)
				break;
			size_t nl = metric_family_label_count(f);
			char val[METRICS_MAX_LABELS][17];
			const char *vals[METRICS_MAX_LABELS];
			for (size_t i = 0; i < nl; i++) {
				get_str(&r, val[i], 16, false);
				vals[i] = val[i];
			}
			size_t before = metric_family_series_count(f);
			metric_series *s = metrics_series(f, vals);
			check(s != NULL && metric_series_family(s) == f);
			check(metrics_series(f, vals) == s);
			check(metric_family_series_count(f) <= before + 1);
			for (size_t i = 0; i < nl; i++) {
				const char *v = metric_series_label_value(s, i);
				check(utf8_ok(v, strlen(v)));
				if (utf8_ok(val[i], strlen(val[i])))
					check(strcmp(v, val[i]) == 0);
			}
			serfam[nser % NSER] = f;
			ser[nser++ % NSER] = s;
			break;
		}
		case 2: {
			metric_series *s = ser[rd_u8(&r) % NSER];
			uint8_t mode = rd_u8(&r);
			uint64_t tb = rd_be64(&r), vb = rd_be64(&r);
			double t, v;
			if (mode & 1)
				memcpy(&t, &tb, sizeof t);
			else
				t = (double)(int64_t)tb / 65536.0;
			if (mode & 2)
				memcpy(&v, &vb, sizeof v);
			else
				v = (double)(int32_t)(uint32_t)vb / 1000.0;
			if (!s)
				break;
			metrics_set(s, t, v);
			bool counter =
				metric_family_type(metric_series_family(s)) == METRIC_COUNTER;
			bool keep = isfinite(t) && fabs(t) < 9.2e15 && isfinite(v) &&
				    !(counter && v < 0);
			double gt, gv;
			check(metric_series_value(s, &gt, &gv) == keep);
			check(!keep || (gt == t && gv == v));
			break;
		}
		case 3: {
			metric_series *s = ser[rd_u8(&r) % NSER];
			if (!s)
				break;
			const metric_family *f = metric_series_family(s);
			size_t before = metric_family_series_count(f);
			metrics_drop(s);
			check(metric_family_series_count(f) == before - 1);
			for (size_t i = 0; i < NSER; i++)
				if (ser[i] == s)
					ser[i] = NULL;
			break;
		}
		case 4: check_exposition(m); break;
		default: {
			size_t k = rd_u8(&r) % NSER;
			metric_series *s = ser[k];
			if (!s)
				break;
			metric_family *f = serfam[k];
			check(metric_series_family(s) == f);
			const char *vals[METRICS_MAX_LABELS];
			for (size_t i = 0; i < metric_family_label_count(f); i++)
				vals[i] = metric_series_label_value(s, i);
			check(metrics_series(f, vals) == s);
			break;
		}
		}
	}
	check_exposition(m);
	metrics_free(m);
	return 0;
}
