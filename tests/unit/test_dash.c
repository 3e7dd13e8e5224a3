/* test_dash.c - the dashboard's documents (web/dash): escaping and
 * percent-encoding with exact-fit and too-small buffers, the overview with
 * sources in every state and hostile text (which must appear only escaped),
 * a source page per span (one part and the right <img> URL per graph,
 * four images for "all", -EINVAL for any other span), the alerts page's
 * order (worst first, history newest first), the error page, 1000 sources
 * and 10,000 changes, and -ENOMEM at every allocation (realloc is wrapped
 * below).  Every document goes through a small well-formedness checker:
 * valid UTF-8 without control characters, matching tags, quoted and unique
 * attributes, only the five XML entities and character references, void
 * elements (and only they) self-closed, unique ids, and only elements that
 * HTML 4 parsers know as well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/dash.h"

/* ---- realloc with fault injection ---- */

/* realloc fails once fail_countdown reaches 0 (counted down per call while
 * it is positive); 0 means never. */
static long fail_countdown;
static unsigned long realloc_calls;

void *realloc(void *p, size_t n);
void *realloc(void *p, size_t n)
{
	static void *(*real)(void *, size_t);

	if (!real) {
		/* ISO C forbids converting a void * to a function pointer; POSIX
		 * requires dlsym's result to be usable so. */
		void *sym = dlsym(RTLD_NEXT, "realloc");
		memcpy(&real, &sym, sizeof real);
	}
	realloc_calls++;
	if (fail_countdown > 0 && --fail_countdown == 0)
		return NULL;
	return real(p, n);
}

/* ---- a small well-formedness checker ---- */

static char wf_err[256];

static bool wf_fail(const char *doc, const char *p, const char *what)
{
	size_t off = (size_t)(p - doc);
	snprintf(wf_err, sizeof wf_err, "at byte %zu: %s (near \"%.40s\")", off, what, p);
	return false;
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' ||
	       c == '.';
}

static bool is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* Valid UTF-8, and no control character but tab, LF and CR. */
static bool wf_utf8(const char *doc)
{
	const unsigned char *s = (const unsigned char *)doc;
	while (*s) {
		size_t n, i;
		uint32_t cp;
		if (*s < 0x80) {
			if ((*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r') || *s == 0x7f)
				return wf_fail(doc, (const char *)s, "control character");
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf)
			n = 2, cp = *s & 0x1fu;
		else if (*s >= 0xe0 && *s <= 0xef)
			n = 3, cp = *s & 0x0fu;
		else if (*s >= 0xf0 && *s <= 0xf4)
			n = 4, cp = *s & 0x07u;
		else
			return wf_fail(doc, (const char *)s, "invalid UTF-8 lead byte");
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return wf_fail(doc, (const char *)s, "truncated UTF-8 sequence");
			cp = cp << 6 | (s[i] & 0x3fu);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return wf_fail(doc, (const char *)s, "overlong or invalid code point");
		if (cp <= 0x9f || (cp & 0xfffe) == 0xfffe)
			return wf_fail(doc, (const char *)s, "C1 control or noncharacter");
		s += n;
	}
	return true;
}

/* Only elements that HTML 4 parsers know too (libxml2 2.9's, which
 * tests/system/dashboard.sh runs, reports "Tag header invalid" for HTML5's
 * header, nav, main, section, figure and time): landmarks are ARIA roles. */
static bool known_element(const char *name, size_t n)
{
	static const char *const known[] = { "html",  "head",  "meta",	"title", "link", "body",
					     "div",   "span",  "a",	"p",	 "h1",	 "h2",
					     "table", "thead", "tbody", "tr",	 "th",	 "td",
					     "small", "ul",    "li",	"br",	 "img" };
	size_t i;
	for (i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i]) == n && strncmp(known[i], name, n) == 0)
			return true;
	return false;
}

/* An entity or character reference at p ('&'); its length, 0 if none. */
static size_t wf_entity(const char *p)
{
	static const char *const named[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
	size_t i;
	const char *q;

	for (i = 0; i < sizeof named / sizeof named[0]; i++)
		if (strncmp(p, named[i], strlen(named[i])) == 0)
			return strlen(named[i]);
	if (p[1] != '#')
		return 0;
	q = p + 2;
	if (*q == 'x') {
		q++;
		while ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
		       (*q >= 'A' && *q <= 'F'))
			q++;
	} else {
		while (*q >= '0' && *q <= '9')
			q++;
	}
	if (*q != ';' || q == p + 2 || (q == p + 3 && p[2] == 'x'))
		return 0;
	return (size_t)(q + 1 - p);
}

static bool is_void(const char *name, size_t n)
{
	static const char *const v[] = { "area",  "base", "br",	  "col",    "embed", "hr", "img",
					 "input", "link", "meta", "source", "track", "wbr" };
	size_t i;
	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		if (strlen(v[i]) == n && strncmp(v[i], name, n) == 0)
			return true;
	return false;
}

#define WF_DEPTH 64
#define WF_ATTRS 32
#define WF_IDS 4096

struct span {
	const char *p;
	size_t n;
};

static bool span_eq(struct span a, struct span b)
{
	return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* Checks an attribute value from p (after the opening quote) to the
 * closing quote; returns a pointer to it or NULL. */
static const char *wf_value(const char *doc, const char *p)
{
	while (*p && *p != '"') {
		if (*p == '<') {
			wf_fail(doc, p, "'<' in an attribute value");
			return NULL;
		}
		if (*p == '&') {
			size_t n = wf_entity(p);
			if (!n) {
				wf_fail(doc, p, "bare '&' in an attribute value");
				return NULL;
			}
			p += n;
			continue;
		}
		p++;
	}
	if (!*p) {
		wf_fail(doc, p, "unterminated attribute value");
		return NULL;
	}
	return p;
}

/* true if doc is a well-formed document as dash writes them; else
 * wf_err says why. */
static bool well_formed(const char *doc)
{
	static const char doctype[] = "<!DOCTYPE html>\n";
	struct span stack[WF_DEPTH], attrs[WF_ATTRS];
	static struct span ids[WF_IDS];
	size_t depth = 0, n_ids = 0, roots = 0, i;
	const char *p = doc;

	if (!wf_utf8(doc))
		return false;
	if (strncmp(doc, doctype, strlen(doctype)) != 0)
		return wf_fail(doc, doc, "no <!DOCTYPE html> first");
	p += strlen(doctype);
	while (*p) {
		if (*p == '&') {
			size_t n = wf_entity(p);
			if (!n)
				return wf_fail(doc, p, "bare '&' in text");
			p += n;
			continue;
		}
		if (*p == '>')
			return wf_fail(doc, p, "raw '>' in text");
		if (*p != '<') {
			if (depth == 0 && !is_space(*p))
				return wf_fail(doc, p, "text outside the root element");
			p++;
			continue;
		}
		/* a tag */
		p++;
		if (*p == '/') {
			struct span name;
			name.p = ++p;
			while (is_name_char(*p))
				p++;
			name.n = (size_t)(p - name.p);
			if (*p != '>')
				return wf_fail(doc, p, "bad end tag");
			if (depth == 0 || !span_eq(stack[depth - 1], name))
				return wf_fail(doc, name.p,
					       "end tag does not match the open element");
			depth--;
			p++;
			continue;
		}
		if (!is_name_start(*p))
			return wf_fail(doc, p,
				       "'<' that does not start a tag (comments and "
				       "declarations are not expected)");
		struct span name = { p, 0 };
		size_t n_attrs = 0;
		bool empty = false;
		while (is_name_char(*p))
			p++;
		name.n = (size_t)(p - name.p);
		for (;;) {
			bool sp = false;
			while (is_space(*p))
				p++, sp = true;
			if (*p == '>') {
				p++;
				break;
			}
			if (p[0] == '/' && p[1] == '>') {
				p += 2;
				empty = true;
				break;
			}
			if (!sp)
				return wf_fail(doc, p, "no space before an attribute");
			if (!is_name_start(*p))
				return wf_fail(doc, p, "bad attribute name");
			struct span an = { p, 0 };
			while (is_name_char(*p))
				p++;
			an.n = (size_t)(p - an.p);
			if (*p != '=' || p[1] != '"')
				return wf_fail(doc, p, "attribute without =\"value\"");
			for (i = 0; i < n_attrs; i++)
				if (span_eq(attrs[i], an))
					return wf_fail(doc, an.p, "attribute given twice");
			if (n_attrs == WF_ATTRS)
				return wf_fail(doc, an.p, "too many attributes");
			attrs[n_attrs++] = an;
			const char *v = p + 2, *end = wf_value(doc, v);
			if (!end)
				return false;
			if (an.n == 2 && memcmp(an.p, "id", 2) == 0) {
				struct span id = { v, (size_t)(end - v) };
				for (i = 0; i < n_ids; i++)
					if (span_eq(ids[i], id))
						return wf_fail(doc, v, "id used twice");
				if (n_ids == WF_IDS)
					return wf_fail(doc, v, "too many ids");
				ids[n_ids++] = id;
			}
			p = end + 1;
		}
		if (!known_element(name.p, name.n))
			return wf_fail(doc, name.p, "an element an HTML 4 parser does not know");
		if (empty != is_void(name.p, name.n))
			return wf_fail(doc, name.p,
				       empty ? "a non-void element written <x/> (HTML opens it)"
					     : "a void element not written <x ... />");
		if (depth == 0 && ++roots > 1)
			return wf_fail(doc, name.p, "a second root element");
		if (!empty) {
			if (depth == WF_DEPTH)
				return wf_fail(doc, name.p, "nested too deep");
			stack[depth++] = name;
		}
	}
	if (depth)
		return wf_fail(doc, p, "elements left open at the end");
	if (roots != 1)
		return wf_fail(doc, p, "no root element");
	return true;
}

static void expect_wf(const char *doc)
{
	if (!well_formed(doc))
		fail_msg("not well-formed: %s", wf_err);
}

/* The checker itself, on good and bad documents. */
static void checker(void **st)
{
	(void)st;
	static const char *const good[] = {
		"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\" /></head>"
		"<body><p>a &amp; b &#39; &#x27; &lt;</p><br /></body></html>\n",
		"<!DOCTYPE html>\n<html><p title=\"&quot;x&quot;\">\xe2\x9c\x93</p></html>",
	};
	static const char *const bad[] = {
		"<html></html>",					 /* no doctype */
		"<!DOCTYPE html>\n<html><p></html>",			 /* mismatch */
		"<!DOCTYPE html>\n<html><p></p>",			 /* left open */
		"<!DOCTYPE html>\n<html><p>a & b</p></html>",		 /* bare & */
		"<!DOCTYPE html>\n<html><p>a &nbsp; b</p></html>",	 /* HTML-only entity */
		"<!DOCTYPE html>\n<html><p>a < b</p></html>",		 /* raw < */
		"<!DOCTYPE html>\n<html><p>a > b</p></html>",		 /* raw > (our rule) */
		"<!DOCTYPE html>\n<html><p class=x></p></html>",	 /* unquoted */
		"<!DOCTYPE html>\n<html><p class='x'></p></html>",	 /* single quotes */
		"<!DOCTYPE html>\n<html><p a=\"1\" a=\"2\"></p></html>", /* twice */
		"<!DOCTYPE html>\n<html><p title=\"<\"></p></html>",	 /* < in value */
		"<!DOCTYPE html>\n<html><meta charset=\"x\"></html>",	 /* void not closed */
		"<!DOCTYPE html>\n<html><div /></html>",		 /* non-void closed */
		"<!DOCTYPE html>\n<html><section></section></html>",	 /* HTML5 only */
		"<!DOCTYPE html>\n<html></html><html></html>",		 /* two roots */
		"<!DOCTYPE html>\n<html><p id=\"a\"></p><p id=\"a\"></p></html>",
		"<!DOCTYPE html>\n<html>\xff</html>",	  /* not UTF-8 */
		"<!DOCTYPE html>\n<html>\xc0\xaf</html>", /* overlong */
		"<!DOCTYPE html>\n<html>\x01</html>",	  /* control */
		"<!DOCTYPE html>\n<html>\xc2\x85</html>", /* C1 control */
		"<!DOCTYPE html>\n<html><!-- x --></html>" /* comment */,
		"<!DOCTYPE html>\n<html>x</html>y",
	};
	size_t i;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		if (!well_formed(good[i]))
			fail_msg("good document %zu rejected: %s", i, wf_err);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (well_formed(bad[i]))
			fail_msg("bad document %zu accepted: %s", i, bad[i]);
}

/* ---- helpers ---- */

/* strstr without the sanitizers' interceptor, which reads the whole rest
 * of a megabyte document on every call. */
static const char *find(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (*hay == *needle && strncmp(hay, needle, n) == 0)
			return hay;
	return n ? NULL : hay;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	const char *p = hay;
	while ((p = find(p, needle)) != NULL) {
		n++;
		p += len;
	}
	return n;
}

static void expect_has(const char *doc, const char *needle)
{
	if (!find(doc, needle))
		fail_msg("the document lacks '%s'", needle);
}

static void expect_lacks(const char *doc, const char *needle)
{
	if (find(doc, needle))
		fail_msg("the document has '%s'", needle);
}

/* The offset of needle in doc, which must have it. */
static size_t at(const char *doc, const char *needle)
{
	const char *p = find(doc, needle);
	if (!p)
		fail_msg("the document lacks '%s'", needle);
	return (size_t)(p - doc);
}

/* Checks what every builder returns and every document has. */
static char *check_doc(int rc, char *doc, size_t len)
{
	assert_int_equal(rc, 0);
	assert_non_null(doc);
	assert_int_equal(len, strlen(doc));
	expect_wf(doc);
	expect_has(doc, "<html lang=\"en\">");
	expect_has(doc, "<meta charset=\"utf-8\" />");
	expect_has(doc,
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />");
	expect_has(doc, "<link rel=\"stylesheet\" href=\"/style.css\" />");
	expect_has(doc, "<a class=\"brand\" href=\"/\">sundial</a>");
	expect_has(doc, ">Overview</a>");
	expect_has(doc, "<a href=\"/alerts\"");
	assert_int_equal(count(doc, "<title>"), 1);
	return doc;
}

/* doc = DOC(dash_x(..., &doc, &len)): the call, then its checks (the comma
 * orders them: doc is read after the call has set it). */
static int last_rc;
#define DOC(call) (last_rc = (call), check_doc(last_rc, doc, len))

#define NOW 1795711212.0 /* 2026-11-26 16:40:12Z */
#define HOSTILE "<script>alert(1)</script>"
#define HOSTILE_ESC "&lt;script&gt;alert(1)&lt;/script&gt;"
#define SOCK "/run/chrony/chronyd.sock"
#define SOCK_URL "%2Frun%2Fchrony%2Fchronyd.sock"

/* ---- escaping ---- */

static void escape(void **st)
{
	(void)st;
	char buf[64];

	assert_true(dash_escape("a&b<c>d\"e'f", buf, sizeof buf));
	assert_string_equal(buf, "a&amp;b&lt;c&gt;d&quot;e&#39;f");
	assert_true(dash_escape("", buf, sizeof buf));
	assert_string_equal(buf, "");
	assert_true(dash_escape(NULL, buf, sizeof buf));
	assert_string_equal(buf, "");
	assert_true(dash_escape("plain \xc2\xb5s", buf, sizeof buf)); /* UTF-8 kept */
	assert_string_equal(buf, "plain \xc2\xb5s");

	/* exact fit: 5 + NUL */
	assert_true(dash_escape("&", buf, 6));
	assert_string_equal(buf, "&amp;");
	memset(buf, 'x', sizeof buf);
	assert_false(dash_escape("&", buf, 5));
	assert_int_equal(buf[0], '\0'); /* no half entity */
	memset(buf, 'x', sizeof buf);
	assert_false(dash_escape("ab&", buf, 7)); /* "ab&amp;" needs 8 */
	assert_string_equal(buf, "");
	assert_true(dash_escape("ab&", buf, 8));
	assert_string_equal(buf, "ab&amp;");
	assert_true(dash_escape("abc", buf, 4));
	assert_false(dash_escape("abcd", buf, 4));
	assert_string_equal(buf, "");
	assert_true(dash_escape("", buf, 1));
	assert_false(dash_escape("a", buf, 1));
	assert_string_equal(buf, "");
	assert_false(dash_escape("", buf, 0));
	assert_false(dash_escape("a", NULL, 0));
}

static void urlencode(void **st)
{
	(void)st;
	char buf[64];

	assert_true(dash_urlencode(SOCK, buf, sizeof buf));
	assert_string_equal(buf, SOCK_URL);
	assert_true(dash_urlencode("AZaz09-._~", buf, sizeof buf));
	assert_string_equal(buf, "AZaz09-._~");
	assert_true(dash_urlencode("a b&c=d?e#f+g%h", buf, sizeof buf));
	assert_string_equal(buf, "a%20b%26c%3Dd%3Fe%23f%2Bg%25h");
	assert_true(dash_urlencode("caf\xc3\xa9\xff\x01", buf, sizeof buf));
	assert_string_equal(buf, "caf%C3%A9%FF%01");
	assert_true(dash_urlencode("[::1]:123", buf, sizeof buf));
	assert_string_equal(buf, "%5B%3A%3A1%5D%3A123");
	assert_true(dash_urlencode(NULL, buf, sizeof buf));
	assert_string_equal(buf, "");

	assert_true(dash_urlencode("/", buf, 4)); /* "%2F" + NUL */
	assert_string_equal(buf, "%2F");
	memset(buf, 'x', sizeof buf);
	assert_false(dash_urlencode("/", buf, 3));
	assert_string_equal(buf, "");
	assert_true(dash_urlencode("ab", buf, 3));
	assert_false(dash_urlencode("abc", buf, 3));
	assert_string_equal(buf, "");
	assert_false(dash_urlencode("a/", buf, 4));
	assert_string_equal(buf, "");
	assert_false(dash_urlencode("", buf, 0));
}

static void states_and_css(void **st)
{
	(void)st;
	size_t len = 0;
	const char *css = dash_css(&len);

	assert_string_equal(dash_state_name(0), "OK");
	assert_string_equal(dash_state_name(1), "WARNING");
	assert_string_equal(dash_state_name(2), "CRITICAL");
	assert_string_equal(dash_state_name(3), "UNKNOWN");
	assert_string_equal(dash_state_name(4), "UNKNOWN");
	assert_string_equal(dash_state_name(-1), "UNKNOWN");

	assert_int_equal(len, strlen(css));
	assert_true(len < 4096);
	expect_has(css, "@media (max-width: 700px)");
	expect_has(css, "@media (prefers-color-scheme: dark)");
	expect_has(css, "overflow-x: auto");
	expect_has(css, "max-width: 100%; height: auto");
	expect_has(css, "system-ui");
	expect_has(css, ".state-ok");
	expect_has(css, ".state-warning");
	expect_has(css, ".state-critical");
	expect_has(css, ".state-unknown");
	assert_int_equal(count(css, "{"), count(css, "}"));
	assert_ptr_equal(dash_css(NULL), css);
}

/* ---- fixtures ---- */

static const struct dash_alert alerts_a[] = {
	{ "offset", "sundial_daemon_offset_seconds", 0, NOW - 7200, 1.5e-5, "" },
	{ "stratum", "sundial_daemon_stratum", 1, NOW - 300, 4, "stratum 4 > 3" },
};
static const struct dash_alert alerts_b[] = {
	{ "reach", "sundial_ntp_reach@192.0.2.1", 2, NOW - 12, NAN, "no reply for 10 polls" },
	{ HOSTILE, "x@\"&'", 3, NAN, NAN, HOSTILE },
};
static const struct dash_alert alerts_c[] = {
	{ "offset", "sundial_ntp_offset_seconds@192.0.2.7", 2, NOW - 86400 * 3, 0.25,
	  "offset 0.25 s > 0.1 s" },
};

static void sources3(struct dash_source s[3])
{
	memset(s, 0, 3 * sizeof *s);
	s[0] = (struct dash_source){ .kind = "chronyd",
				     .target = SOCK,
				     .state = 1,
				     .why = "stratum 4 > 3",
				     .last_sample = NOW - 12,
				     .last_ok = true,
				     .last_error = "",
				     .interval = 64,
				     .headline = { "offset: +12.3 \xc2\xb5s", "stratum: 4" },
				     .n_headline = 2,
				     .alerts = alerts_a,
				     .n_alerts = 2 };
	s[1] = (struct dash_source){ .kind = "server",
				     .target = HOSTILE,
				     .state = 2,
				     .why = "\"&'",
				     .last_sample = NOW - 310,
				     .last_ok = false,
				     .last_error = "timeout <after 1 s> & \"retry\"",
				     .interval = 16,
				     .headline = { HOSTILE, "a\x01"
							    "b\xff"
							    "c" },
				     .n_headline = 2,
				     .alerts = alerts_b,
				     .n_alerts = 2 };
	s[2] = (struct dash_source){ .kind = "ntpd",
				     .target = "192.0.2.7",
				     .state = 0,
				     .why = "",
				     .last_sample = NAN,
				     .last_ok = false,
				     .last_error = "",
				     .alerts = alerts_c,
				     .n_alerts = 1 };
}

/* 12 changes, oldest first, one a minute up to NOW; reason "rN". */
static char reasons[12][16];
static void changes12(struct dash_change c[12])
{
	size_t i;
	for (i = 0; i < 12; i++) {
		snprintf(reasons[i], sizeof reasons[i], "r%zu.", i);
		c[i] = (struct dash_change){ .t = NOW - 60.0 * (double)(11 - i),
					     .kind = i % 2 ? "chronyd" : "server",
					     .target = i % 2 ? SOCK : HOSTILE,
					     .name = i % 3 ? "offset" : HOSTILE,
					     .series = "sundial_x",
					     .from = (int)(i % 4),
					     .to = (int)((i + 1) % 4),
					     .reason = reasons[i] };
	}
	c[11].reason = "last <b>\"&'";
}

/* ---- the overview ---- */

static void overview(void **st)
{
	(void)st;
	struct dash_source s[3];
	struct dash_change c[12];
	char *doc = NULL;
	size_t len = 0;

	sources3(s);
	changes12(c);
	doc = DOC(dash_overview(s, 3, c, 12, NOW, &doc, &len));

	expect_has(doc, "<meta http-equiv=\"refresh\" content=\"60\" />");
	expect_has(doc, "<div class=\"main\" id=\"overview\" role=\"main\">");
	expect_has(doc, "<table id=\"sources\">");
	expect_has(doc, "<table id=\"changes\">");
	expect_has(doc, "1 OK</span> \xc2\xb7 <span class=\"state-warning\">1 WARNING</span> "
			"\xc2\xb7 <span class=\"state-critical\">1 CRITICAL</span>");

	/* the rows, in order, with their states as class, symbol and word */
	assert_int_equal(count(doc, "<tr class=\"source\""), 3);
	size_t r0 = at(doc, "<tr class=\"source\" data-kind=\"chronyd\" data-target=\"" SOCK
			    "\" data-state=\"WARNING\">");
	size_t r1 = at(doc, "<tr class=\"source\" data-kind=\"server\" data-target=\"" HOSTILE_ESC
			    "\" data-state=\"CRITICAL\">");
	size_t r2 = at(doc, "<tr class=\"source\" data-kind=\"ntpd\" data-target=\"192.0.2.7\" "
			    "data-state=\"OK\">");
	assert_true(r0 < r1 && r1 < r2);
	expect_has(doc, "class=\"state state-warning\"><span class=\"symbol\" "
			"aria-hidden=\"true\">!</span> WARNING</span>");
	expect_has(doc, "state-critical\"><span class=\"symbol\" aria-hidden=\"true\">\xe2\x9c\x97"
			"</span> CRITICAL");
	expect_has(doc, "state-ok\"><span class=\"symbol\" aria-hidden=\"true\">\xe2\x9c\x93"
			"</span> OK");

	/* links, escaped and percent-encoded */
	expect_has(doc, "<a href=\"/source?kind=chronyd&amp;target=" SOCK_URL "\">" SOCK "</a>");
	expect_has(doc, "<a href=\"/source?kind=server&amp;target=%3Cscript%3Ealert%281%29%3C%2F"
			"script%3E\">" HOSTILE_ESC "</a>");
	expect_has(doc, "<a href=\"/alerts\">All alerts and their history</a>");

	/* hostile text only escaped, repaired where it is not text */
	expect_lacks(doc, "<script");
	expect_lacks(doc, "\"&'");
	expect_has(doc, "<td>&quot;&amp;&#39;</td>");
	expect_has(doc, "<li>a\xef\xbf\xbd"
			"b\xef\xbf\xbd"
			"c</li>");
	expect_has(doc, "<li>offset: +12.3 \xc2\xb5s</li><li>stratum: 4</li>");

	/* last samples */
	expect_has(doc, "<span class=\"ago\" title=\"2026-11-26 16:40:00Z\">12 s ago</span></td>");
	expect_has(doc, ">5 min ago</span> <span class=\"failed\">(failed)</span>");
	expect_has(doc, "<td>never</td>");

	/* the 10 latest changes, newest first */
	assert_int_equal(count(doc, "<tr class=\"change\""), 10);
	expect_lacks(doc, ">r0.<");
	expect_lacks(doc, ">r1.<");
	assert_true(at(doc, "last &lt;b&gt;&quot;&amp;&#39;") < at(doc, ">r10.<"));
	assert_true(at(doc, ">r10.<") < at(doc, ">r2.<"));
	expect_has(doc, "<td>2026-11-26 16:40:12Z</td>");
	expect_has(doc, "<span class=\"state state-critical\"><span class=\"symbol\" "
			"aria-hidden=\"true\">\xe2\x9c\x97</span> CRITICAL</span> \xe2\x86\x92 "
			"<span class=\"state state-unknown\">");
	free(doc);
}

static void overview_empty(void **st)
{
	(void)st;
	char *doc = NULL;
	size_t len = 0;

	doc = DOC(dash_overview(NULL, 0, NULL, 0, NOW, &doc, &len));
	expect_has(doc, "<table id=\"sources\">");
	expect_has(doc, "<table id=\"changes\">");
	expect_has(doc, "No sources.");
	assert_int_equal(count(doc, "<tr class=\"source\""), 0);
	assert_int_equal(count(doc, "<tr class=\"change\""), 0);
	free(doc);

	/* arguments */
	struct dash_source s = { .kind = "k", .target = "t", .n_alerts = 1 }; /* alerts NULL */
	assert_int_equal(dash_overview(NULL, 1, NULL, 0, NOW, &doc, &len), -EINVAL);
	assert_int_equal(dash_overview(NULL, 0, NULL, 1, NOW, &doc, &len), -EINVAL);
	assert_int_equal(dash_overview(&s, 1, NULL, 0, NOW, &doc, &len), -EINVAL);
	assert_int_equal(dash_overview(NULL, 0, NULL, 0, NOW, NULL, &len), -EINVAL);
	assert_int_equal(dash_overview(NULL, 0, NULL, 0, NOW, &doc, NULL), -EINVAL);
	assert_int_equal(dash_alerts_page(&s, 1, NULL, 0, NOW, &doc, &len), -EINVAL);
	assert_int_equal(dash_error_page(404, "x", NULL, &len), -EINVAL);
}

/* Times that are not plain pasts: the future, NAN, infinity, NAN now. */
static void odd_times(void **st)
{
	(void)st;
	struct dash_alert a = { "x", "s", 0, INFINITY, INFINITY, "" };
	struct dash_source s = { .kind = "k",
				 .target = "t",
				 .last_sample = NOW + 3600,
				 .last_ok = true,
				 .why = NULL,
				 .last_error = NULL,
				 .alerts = &a,
				 .n_alerts = 1 };
	struct dash_change c = { .t = NAN, .kind = NULL, .target = NULL, .reason = NULL };
	char *doc = NULL;
	size_t len = 0;

	doc = DOC(dash_overview(&s, 1, &c, 1, NOW, &doc, &len));
	expect_has(doc, "<td>\xe2\x80\x93</td><td></td></tr>"); /* future sample; no headline */
	expect_has(doc, "<tr class=\"change\" data-kind=\"\" data-target=\"\" data-alert=\"\" "
			"data-from=\"OK\" data-to=\"OK\"><td>\xe2\x80\x93</td>");
	free(doc);
	doc = DOC(dash_source_page(&s, NULL, 0, NULL, NULL, 0, NAN, &doc, &len));
	expect_has(doc, "last sample \xe2\x80\x93");
	expect_has(doc, "<td class=\"num\">inf</td><td>\xe2\x80\x93</td>");
	free(doc);
	s.last_sample = NOW - 86400 * 400.5;
	doc = DOC(dash_overview(&s, 1, NULL, 0, NOW, &doc, &len));
	expect_has(doc, ">400 d ago</span>");
	free(doc);
	s.last_sample = NOW - 3599;
	doc = DOC(dash_overview(&s, 1, NULL, 0, NOW, &doc, &len));
	expect_has(doc, ">59 min ago</span>");
	free(doc);
	s.last_sample = NOW - 3600 * 23.99;
	doc = DOC(dash_overview(&s, 1, NULL, 0, NOW, &doc, &len));
	expect_has(doc, ">23 h ago</span>");
	free(doc);
	s.last_sample = NOW - 1e30; /* no date */
	doc = DOC(dash_overview(&s, 1, NULL, 0, NOW, &doc, &len));
	expect_has(doc, "<td>\xe2\x80\x93</td>");
	free(doc);
}

/* ---- a source's page ---- */

static const struct dash_graph graphs[] = {
	{ "offset", "Offset of the local clock", "How far the clock is from true time." },
	{ "freq", "Frequency <error>", "ppm & \"drift\"" },
	{ "stratum", "Stratum", "Hops to a reference clock." },
};

static void source_page(void **st)
{
	(void)st;
	struct dash_source s[3];
	struct dash_change c[12];
	char *doc = NULL, url[256];
	size_t len = 0, i;

	sources3(s);
	changes12(c);
	doc = DOC(dash_source_page(&s[0], graphs, 3, "day", c, 12, NOW, &doc, &len));
	expect_has(doc, "<title>chronyd " SOCK "</title>");
	expect_has(doc, "<h1>chronyd " SOCK "</h1>");
	expect_lacks(doc, "http-equiv");
	expect_has(doc, "data-state=\"WARNING\"");
	expect_has(doc, "every 64 s");
	expect_has(doc, "<p class=\"why\">stratum 4 &gt; 3</p>");
	expect_lacks(doc, "Last error");

	/* the alerts */
	expect_has(doc, "<table id=\"alerts\">");
	assert_int_equal(count(doc, "<tr class=\"alert\""), 2);
	expect_has(doc, "<tr class=\"alert\" data-alert=\"offset\" data-state=\"OK\">");
	expect_has(doc, "<tr class=\"alert\" data-alert=\"stratum\" data-state=\"WARNING\">");
	expect_has(doc, "<td class=\"num\">1.5e-05</td>");
	expect_has(doc, ">2 h ago</span>");

	/* one section per graph, with its image and legend */
	assert_int_equal(count(doc, "<div class=\"graph\""), 3);
	assert_int_equal(count(doc, "<img "), 3);
	for (i = 0; i < 3; i++) {
		snprintf(url, sizeof url,
			 "<img src=\"/graph?kind=chronyd&amp;target=%s&amp;id=%s&amp;span=day\" "
			 "width=\"",
			 SOCK_URL, graphs[i].id);
		expect_has(doc, url);
		snprintf(url, sizeof url, "<div class=\"graph\" id=\"graph-%s\">\n<h2>",
			 graphs[i].id);
		expect_has(doc, url);
	}
	expect_has(doc, "<h2>Frequency &lt;error&gt;</h2>");
	expect_has(doc, "alt=\"Frequency &lt;error&gt;\" loading=\"lazy\" />");
	expect_has(doc, "<p class=\"legend\">ppm &amp; &quot;drift&quot;</p>");
	expect_has(doc, "<p class=\"legend\">How far the clock is from true time.</p>");
	assert_true(at(doc, "graph-offset") < at(doc, "graph-freq"));
	assert_true(at(doc, "graph-freq") < at(doc, "graph-stratum"));

	/* the spans, day marked */
	expect_has(doc, "<a href=\"/source?kind=chronyd&amp;target=" SOCK_URL
			"&amp;span=day\" class=\"current\" aria-current=\"page\">day</a>");
	expect_has(doc, "<a href=\"/source?kind=chronyd&amp;target=" SOCK_URL
			"&amp;span=week\">week</a>");
	expect_has(doc, "&amp;span=all\">all</a>");

	/* only this source's changes (the odd ones), newest first */
	assert_int_equal(count(doc, "<tr class=\"change\""), 6);
	expect_lacks(doc, ">r0.<");
	expect_lacks(doc, ">r10.<");
	assert_true(at(doc, "last &lt;b&gt;") < at(doc, ">r9.<"));
	assert_true(at(doc, ">r9.<") < at(doc, ">r1.<"));
	free(doc);

	/* NULL span is day; other spans are marked and used in the URLs */
	doc = DOC(dash_source_page(&s[0], graphs, 3, NULL, c, 12, NOW, &doc, &len));
	expect_has(doc, "&amp;span=day\" class=\"current\"");
	free(doc);
	doc = DOC(dash_source_page(&s[0], graphs, 3, "year", c, 12, NOW, &doc, &len));
	expect_has(doc, "&amp;span=year\" class=\"current\" aria-current=\"page\">year</a>");
	assert_int_equal(count(doc, "&amp;span=year\" width="), 3);
	free(doc);

	/* the hostile source: its error and alert, escaped */
	doc = DOC(dash_source_page(&s[1], graphs, 1, "week", c, 12, NOW, &doc, &len));
	expect_lacks(doc, "<script");
	expect_lacks(doc, "\"&'");
	expect_has(doc, "<title>server " HOSTILE_ESC "</title>");
	expect_has(doc, "Last error: timeout &lt;after 1 s&gt; &amp; &quot;retry&quot;</p>");
	expect_has(doc, "<img src=\"/graph?kind=server&amp;target=%3Cscript%3Ealert%281%29%3C%2F"
			"script%3E&amp;id=offset&amp;span=week\"");
	expect_has(doc,
		   "<tr class=\"alert\" data-alert=\"" HOSTILE_ESC "\" data-state=\"UNKNOWN\">");
	expect_has(doc, "<small>x@&quot;&amp;&#39;</small>");
	expect_has(doc, "(failed)");
	free(doc);

	/* a source without alerts, graphs or changes */
	struct dash_source bare = { .kind = "gpsd", .target = "localhost:2947", .state = 3 };
	bare.last_sample = NAN;
	doc = DOC(dash_source_page(&bare, NULL, 0, "month", NULL, 0, NOW, &doc, &len));
	expect_has(doc, "No alerts.");
	expect_has(doc, "No graphs");
	expect_has(doc, "No changes yet.");
	expect_has(doc, "last sample never");
	free(doc);
}

static void source_page_all(void **st)
{
	(void)st;
	static const char *const sp[] = { "day", "week", "month", "year" };
	struct dash_source s[3];
	char *doc = NULL, url[256];
	size_t len = 0, i, k;

	sources3(s);
	doc = DOC(dash_source_page(&s[0], graphs, 3, "all", NULL, 0, NOW, &doc, &len));
	assert_int_equal(count(doc, "<div class=\"graph\""), 3);
	assert_int_equal(count(doc, "<img "), 12);
	assert_int_equal(count(doc, "<p class=\"caption\">"), 12);
	expect_has(doc, "&amp;span=all\" class=\"current\" aria-current=\"page\">all</a>");
	for (i = 0; i < 3; i++) {
		snprintf(url, sizeof url, "id=\"graph-%s\"", graphs[i].id);
		size_t sec = at(doc, url);
		size_t end = sec + (size_t)(find(doc + sec, "<p class=\"legend\">") - (doc + sec));
		for (k = 0; k < 4; k++) {
			snprintf(url, sizeof url,
				 "<img "
				 "src=\"/graph?kind=chronyd&amp;target=%s&amp;id=%s&amp;span=%s\"",
				 SOCK_URL, graphs[i].id, sp[k]);
			size_t img = at(doc, url);
			assert_true(img > sec && img < end);
		}
	}
	expect_has(doc, "<p class=\"caption\">month</p>");
	free(doc);
}

static void source_page_bad_span(void **st)
{
	(void)st;
	static const char *const bad[] = { "",	   "DAY", "days",  "day ", " day",
					   "hour", "../", "all\n", "d" };
	struct dash_source s[3];
	char *doc = NULL;
	size_t len = 7, i;

	sources3(s);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(
			dash_source_page(&s[0], graphs, 3, bad[i], NULL, 0, NOW, &doc, &len),
			-EINVAL);
		assert_null(doc);
		assert_int_equal(len, 7);
	}
	assert_int_equal(dash_source_page(NULL, graphs, 3, "day", NULL, 0, NOW, &doc, &len),
			 -EINVAL);
	assert_int_equal(dash_source_page(&s[0], NULL, 3, "day", NULL, 0, NOW, &doc, &len),
			 -EINVAL);
	assert_int_equal(dash_source_page(&s[0], graphs, 3, "day", NULL, 2, NOW, &doc, &len),
			 -EINVAL);
	assert_null(doc);
}

/* ---- the alerts page ---- */

static void alerts_page(void **st)
{
	(void)st;
	struct dash_source s[3];
	struct dash_change c[12];
	char *doc = NULL;
	size_t len = 0, i;

	sources3(s);
	changes12(c);
	doc = DOC(dash_alerts_page(s, 3, c, 12, NOW, &doc, &len));
	expect_has(doc, "<title>Alerts \xc2\xb7 sundial</title>");
	expect_has(doc, "<a href=\"/alerts\" aria-current=\"page\">Alerts</a>");
	expect_has(doc, "<table id=\"alerts\">");
	expect_has(doc, "<table id=\"history\">");
	expect_lacks(doc, "<script");
	expect_lacks(doc, "\"&'");
	/* 1 OK, 1 WARNING, 2 CRITICAL, 1 UNKNOWN alerts */
	expect_has(doc, "1 OK</span> \xc2\xb7 <span class=\"state-warning\">1 WARNING</span> "
			"\xc2\xb7 <span class=\"state-critical\">2 CRITICAL</span> \xc2\xb7 "
			"<span class=\"state-unknown\">1 UNKNOWN</span>");

	/* worst first, in the order given within a state */
	assert_int_equal(count(doc, "<tr class=\"alert\""), 5);
	const char *rows[] = {
		"data-kind=\"server\" data-target=\"" HOSTILE_ESC
		"\" data-alert=\"reach\" data-state=\"CRITICAL\"",
		"data-kind=\"ntpd\" data-target=\"192.0.2.7\" data-alert=\"offset\" "
		"data-state=\"CRITICAL\"",
		"data-kind=\"chronyd\" data-target=\"" SOCK
		"\" data-alert=\"stratum\" data-state=\"WARNING\"",
		"data-alert=\"" HOSTILE_ESC "\" data-state=\"UNKNOWN\"",
		"data-kind=\"chronyd\" data-target=\"" SOCK "\" data-alert=\"offset\" "
		"data-state=\"OK\"",
	};
	for (i = 0; i + 1 < sizeof rows / sizeof rows[0]; i++)
		if (at(doc, rows[i]) >= at(doc, rows[i + 1]))
			fail_msg("alert row %zu is not before row %zu", i, i + 1);
	expect_has(doc, "<a href=\"/source?kind=ntpd&amp;target=192.0.2.7\">ntpd 192.0.2.7</a>");
	expect_has(doc, ">3 d ago</span>");

	/* the whole history, newest first */
	assert_int_equal(count(doc, "<tr class=\"change\""), 12);
	size_t prev = at(doc, "last &lt;b&gt;");
	for (i = 11; i-- > 0;) {
		char needle[32];
		snprintf(needle, sizeof needle, ">r%zu.<", i);
		size_t p = at(doc, needle);
		assert_true(p > prev);
		prev = p;
	}
	free(doc);

	/* no sources, no history */
	doc = DOC(dash_alerts_page(NULL, 0, NULL, 0, NOW, &doc, &len));
	expect_has(doc, "No alerts.");
	expect_has(doc, "No changes yet.");
	free(doc);
}

/* ---- the error page ---- */

static void error_page(void **st)
{
	(void)st;
	char *doc = NULL;
	size_t len = 0;

	doc = DOC(dash_error_page(404, "no source 'server " HOSTILE "'", &doc, &len));
	expect_has(doc, "<title>404 Not Found \xc2\xb7 sundial</title>");
	expect_has(doc, "<h1>404 Not Found</h1>");
	expect_has(doc, "no source &#39;server " HOSTILE_ESC "&#39;");
	expect_lacks(doc, "<script");
	expect_has(doc, "<a href=\"/\">Back to the overview</a>");
	free(doc);
	doc = DOC(
		dash_error_page(400, "span 'x' is not day, week, month, year or all", &doc, &len));
	expect_has(doc, "<h1>400 Bad Request</h1>");
	free(doc);
	doc = DOC(dash_error_page(599, NULL, &doc, &len));
	expect_has(doc, "<h1>599 Error</h1>");
	free(doc);
}

/* ---- hostile bytes everywhere ---- */

static void hostile_bytes(void **st)
{
	(void)st;
	/* every byte 1..255 once, and some broken UTF-8 sequences */
	char all[256 + 32];
	size_t i, o = 0;
	for (i = 1; i < 256; i++)
		all[o++] = (char)i;
	memcpy(all + o, "\xe2\x82\xed\xa0\x80\xef\xbf\xbe\xf4\x90\x80\x80\xf0\x9f\x98", 15);
	o += 15;
	all[o] = '\0';

	struct dash_alert a = { all, all, 7, NOW, NAN, all };
	struct dash_source s = { .kind = all,
				 .target = all,
				 .state = -3,
				 .why = all,
				 .last_sample = NOW,
				 .last_error = all,
				 .headline = { all, all, all, all },
				 .n_headline = 9, /* at most 4 are shown */
				 .alerts = &a,
				 .n_alerts = 1 };
	struct dash_change c = { NOW, all, all, all, all, 9, -1, all };
	struct dash_graph g = { all, all, all };
	char *doc = NULL;
	size_t len = 0;

	doc = DOC(dash_overview(&s, 1, &c, 1, NOW, &doc, &len));
	expect_has(doc, "data-state=\"UNKNOWN\"");
	free(doc);
	doc = DOC(dash_source_page(&s, &g, 1, "all", &c, 1, NOW, &doc, &len));
	expect_has(doc, "<div class=\"graph\" id=\"graph-%01%02%03"); /* no space in an id */
	free(doc);
	doc = DOC(dash_alerts_page(&s, 1, &c, 1, NOW, &doc, &len));
	free(doc);
	doc = DOC(dash_error_page(500, all, &doc, &len));
	free(doc);
}

/* ---- size ---- */

#define BIG_SOURCES 1000
#define BIG_CHANGES 10000

static void huge(void **st)
{
	(void)st;
	static char names[BIG_SOURCES][32];
	static struct dash_source s[BIG_SOURCES];
	static struct dash_change c[BIG_CHANGES];
	static struct dash_alert a[BIG_SOURCES][2];
	char *doc = NULL;
	size_t len = 0, i;

	for (i = 0; i < BIG_SOURCES; i++) {
		snprintf(names[i], sizeof names[i], "192.0.2.%zu&<%zu>", i % 256, i);
		a[i][0] = (struct dash_alert){ "offset",	"sundial_x", (int)(i % 4),
					       NOW - (double)i, (double)i,   "r" };
		a[i][1] = (struct dash_alert){ "reach", "sundial_y", (int)((i + 1) % 4),
					       NAN,	NAN,	     "" };
		s[i] = (struct dash_source){ .kind = "server",
					     .target = names[i],
					     .state = (int)(i % 4),
					     .why = "why",
					     .last_sample = NOW - (double)i,
					     .last_ok = true,
					     .last_error = "",
					     .headline = { "a: 1", "b: 2", "c: 3", "d: 4" },
					     .n_headline = 4,
					     .alerts = a[i],
					     .n_alerts = 2 };
	}
	for (i = 0; i < BIG_CHANGES; i++)
		c[i] = (struct dash_change){ NOW - (double)(BIG_CHANGES - i),
					     "server",
					     names[i % BIG_SOURCES],
					     "offset",
					     "sundial_x",
					     (int)(i % 4),
					     (int)((i + 2) % 4),
					     "because" };

	doc = DOC(dash_overview(s, BIG_SOURCES, c, BIG_CHANGES, NOW, &doc, &len));
	assert_int_equal(count(doc, "<tr class=\"source\""), BIG_SOURCES);
	assert_int_equal(count(doc, "<tr class=\"change\""), 10);
	expect_has(doc, "250 OK</span>");
	free(doc);

	doc = DOC(dash_alerts_page(s, BIG_SOURCES, c, BIG_CHANGES, NOW, &doc, &len));
	assert_int_equal(count(doc, "<tr class=\"alert\""), 2 * BIG_SOURCES);
	assert_int_equal(count(doc, "<tr class=\"change\""), BIG_CHANGES);
	/* the last CRITICAL row comes before the first WARNING one, and so on */
	const char *p = find(doc, "<table id=\"history\">");
	assert_non_null(p);
	size_t hist = (size_t)(p - doc), last_crit = 0, first_warn = hist, first_ok = hist,
	       last_unknown = 0;
	for (p = doc; (p = find(p, "data-state=\"")) != NULL && (size_t)(p - doc) < hist; p++) {
		size_t off = (size_t)(p - doc);
		if (strncmp(p + 12, "CRITICAL", 8) == 0)
			last_crit = off;
		else if (strncmp(p + 12, "WARNING", 7) == 0 && off < first_warn)
			first_warn = off;
		else if (strncmp(p + 12, "UNKNOWN", 7) == 0)
			last_unknown = off;
		else if (strncmp(p + 12, "OK", 2) == 0 && off < first_ok)
			first_ok = off;
	}
	assert_true(last_crit < first_warn);
	assert_true(last_unknown < first_ok);
	free(doc);

	doc = DOC(dash_source_page(&s[7], graphs, 3, "all", c, BIG_CHANGES, NOW, &doc, &len));
	assert_int_equal(count(doc, "<tr class=\"change\""), 10); /* 10 of 10,000 are its */
	free(doc);
}

/* ---- allocation failure ---- */

/* Fails the k-th realloc for k = 1, 2, ... until a document is built:
 * every failure must give -ENOMEM, no document and (under ASan) no leak. */
static void out_of_memory(void **st)
{
	(void)st;
	struct dash_source s[3];
	struct dash_change c[12];
	char *doc;
	size_t len, which;
	long k;

	sources3(s);
	changes12(c);
	for (which = 0; which < 4; which++) {
		for (k = 1;; k++) {
			int rc;
			doc = NULL;
			len = 99;
			fail_countdown = k;
			switch (which) {
			case 0: rc = dash_overview(s, 3, c, 12, NOW, &doc, &len); break;
			case 1:
				rc = dash_source_page(&s[1], graphs, 3, "all", c, 12, NOW, &doc,
						      &len);
				break;
			case 2: rc = dash_alerts_page(s, 3, c, 12, NOW, &doc, &len); break;
			default: rc = dash_error_page(404, "x", &doc, &len); break;
			}
			if (fail_countdown == 0) { /* it failed */
				assert_int_equal(rc, -ENOMEM);
				assert_null(doc);
				assert_int_equal(len, 0);
				continue;
			}
			fail_countdown = 0;
			doc = check_doc(rc, doc, len);
			free(doc);
			assert_true(k > 1); /* at least one allocation was failed */
			break;
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checker),	   cmocka_unit_test(escape),
		cmocka_unit_test(urlencode),	   cmocka_unit_test(states_and_css),
		cmocka_unit_test(overview),	   cmocka_unit_test(overview_empty),
		cmocka_unit_test(odd_times),	   cmocka_unit_test(source_page),
		cmocka_unit_test(source_page_all), cmocka_unit_test(source_page_bad_span),
		cmocka_unit_test(alerts_page),	   cmocka_unit_test(error_page),
		cmocka_unit_test(hostile_bytes),   cmocka_unit_test(huge),
		cmocka_unit_test(out_of_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
