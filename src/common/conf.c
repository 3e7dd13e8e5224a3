/* conf.c - the configuration-file reader; see conf.h.
 *
 * A file is read whole (bounded by what is left of CONF_MAX_OCTETS) and cut
 * into lines.  Each line is checked first (length, NUL, UTF-8, control
 * characters), so the word scanner only sees clean octets; it writes the
 * unescaped words into a scratch buffer that is copied into one allocation
 * per line (argv pointers followed by the strings).
 *
 * Includes recurse, at most CONF_MAX_DEPTH deep, with a stack of the files
 * being read (device and inode) to find cycles.  The input buffers are never
 * NUL-terminated: every access is an index checked against a length.
 */
#include "common/conf.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"

#define CONF_MAX_LINE 4096	      /* octets, without the line end */
#define CONF_MAX_LINES 10000	      /* physical lines over all files */
#define CONF_MAX_OCTETS (1024 * 1024) /* over all files */
#define CONF_MAX_DEPTH 8	      /* include nesting */
#define CONF_MAX_DIGITS 15	      /* a duration's digits: exact in a double */
#define DURATION_MAX (10 * 365.25 * 86400.0)

struct conf {
	struct conf_line *lines;
	size_t n, cap;
	char **files; /* the names the lines point to */
	size_t nfiles, capfiles;
};

struct ident {
	dev_t dev;
	ino_t ino;
};

struct reader {
	conf *c;
	char *err;
	size_t errlen;
	size_t lines;				/* physical lines read over all files */
	size_t octets;				/* octets read over all files */
	struct ident stack[CONF_MAX_DEPTH + 1]; /* files being read, outermost first */
	size_t nstack;
	/* The current line's words, each NUL-terminated: a word takes at most
	 * one octet more than it had in the line. */
	char words[2 * CONF_MAX_LINE + 2];
	size_t start[CONF_MAX_LINE + 1]; /* offset of each word in words */
};

static void fail(struct reader *r, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void vformat(char *err, size_t errlen, const char *file, unsigned line, const char *fmt,
		    va_list ap) __attribute__((format(printf, 5, 0)));

static void vformat(char *err, size_t errlen, const char *file, unsigned line, const char *fmt,
		    va_list ap)
{
	if (!err || errlen == 0)
		return;
	int n;
	if (line)
		n = snprintf(err, errlen, "%s:%u: ", file, line);
	else
		n = snprintf(err, errlen, "%s: ", file);
	if (n < 0) {
		err[0] = '\0';
		return;
	}
	if ((size_t)n >= errlen)
		return;
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
}

/* Sets the error ("file:line: " + message; "file: " when line is 0). */
static void fail(struct reader *r, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat(r->err, r->errlen, file, line, fmt, ap);
	va_end(ap);
}

void conf_error(const struct conf_line *l, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (l)
		vformat(err, errlen, l->file ? l->file : "?", l->line, fmt, ap);
	else if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- the result --- */

static const char *add_file(conf *c, const char *name)
{
	if (c->nfiles == c->capfiles) {
		c->capfiles = c->capfiles ? 2 * c->capfiles : 4;
		c->files = mem_realloc(c->files, c->capfiles * sizeof c->files[0]);
	}
	c->files[c->nfiles] = mem_strdup(name);
	return c->files[c->nfiles++];
}

/* Appends a line made of the reader's argc words (used octets of words). */
static void add_line(struct reader *r, const char *file, unsigned line, size_t argc, size_t used)
{
	conf *c = r->c;
	size_t ptrs = (argc + 1) * sizeof(char *);
	char **argv = mem_alloc(ptrs + used);
	char *s = (char *)argv + ptrs;
	memcpy(s, r->words, used);
	for (size_t i = 0; i < argc; i++)
		argv[i] = s + r->start[i];
	argv[argc] = NULL;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->lines = mem_realloc(c->lines, c->cap * sizeof c->lines[0]);
	}
	c->lines[c->n++] =
		(struct conf_line){ .file = file, .line = line, .argc = argc, .argv = argv };
}

size_t conf_count(const conf *c)
{
	return c ? c->n : 0;
}

const struct conf_line *conf_get(const conf *c, size_t i)
{
	if (!c || i >= c->n)
		return NULL;
	return &c->lines[i];
}

void conf_free(conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->lines[i].argv);
	free(c->lines);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c);
}

/* --- one line --- */

/* Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF) at p, which has n > 0 octets; 0 if
 * there is none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t need;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* past U+10FFFF */
	if (n < need || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return need;
}

/* Checks the n octets of a line (without its end) for NUL, control
 * characters and invalid UTF-8.  Columns in messages count octets from 1. */
static int check_octets(struct reader *r, const char *file, unsigned line, const char *text,
			size_t n)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0;
	while (i < n) {
		unsigned char c = p[i];
		if (c == 0) {
			fail(r, file, line, "NUL octet at column %zu; is this a text file?", i + 1);
			return -1;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			fail(r, file, line, "control character 0x%02x at column %zu", c, i + 1);
			return -1;
		}
		size_t k = utf8_len(p + i, n - i);
		if (k == 0) {
			fail(r, file, line, "invalid UTF-8 at column %zu", i + 1);
			return -1;
		}
		i += k;
	}
	return 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Cuts a checked line of n <= CONF_MAX_LINE octets into words: r->words and
 * r->start, *argc words taking *used octets. */
static int split(struct reader *r, const char *file, unsigned line, const char *p, size_t n,
		 size_t *argc, size_t *used)
{
	const size_t cap = sizeof r->words, maxw = sizeof r->start / sizeof r->start[0];
	size_t i = 0, w = 0, u = 0;

	for (;;) {
		while (i < n && is_blank(p[i]))
			i++;
		if (i == n || p[i] == '#')
			break;
		/* Each word takes at least one octet of the line and adds one NUL. */
		if (w == maxw || u + (n - i) + 1 > cap) {
			fail(r, file, line, "too many words");
			return -1;
		}
		r->start[w++] = u;
		if (p[i] == '"') {
			size_t q = i++;
			for (;;) {
				if (i == n) {
					fail(r, file, line,
					     "unclosed quote (opened at column %zu); end the word "
					     "with '\"'",
					     q + 1);
					return -1;
				}
				char c = p[i];
				if (c == '"') {
					i++;
					break;
				}
				if (c == '\\') {
					if (i + 1 == n) {
						fail(r, file, line,
						     "unclosed quote (opened at column %zu) ending "
						     "in "
						     "a backslash; end the word with '\"'",
						     q + 1);
						return -1;
					}
					char d = p[i + 1];
					if (d != '"' && d != '\\') {
						unsigned char ud = (unsigned char)d;
						if (ud > 0x20 && ud < 0x7f)
							fail(r, file, line,
							     "unknown escape '\\%c' at column %zu; "
							     "inside quotes only \\\" and \\\\ are "
							     "escapes",
							     d, i + 1);
						else
							fail(r, file, line,
							     "unknown escape at column %zu; inside "
							     "quotes only \\\" and \\\\ are "
							     "escapes",
							     i + 1);
						return -1;
					}
					r->words[u++] = d;
					i += 2;
					continue;
				}
				r->words[u++] = c;
				i++;
			}
			if (i < n && !is_blank(p[i]) && p[i] != '#') {
				fail(r, file, line,
				     "text right after a closing quote at column %zu; put a blank "
				     "between words",
				     i + 1);
				return -1;
			}
		} else {
			while (i < n && !is_blank(p[i]) && p[i] != '#') {
				if (p[i] == '"') {
					fail(r, file, line,
					     "quote inside a word at column %zu; quote the whole "
					     "word",
					     i + 1);
					return -1;
				}
				r->words[u++] = p[i++];
			}
		}
		r->words[u++] = '\0';
	}
	*argc = w;
	*used = u;
	return 0;
}

/* --- files --- */

/* Opens and reads a regular file that is not being read already, within
 * what is left of CONF_MAX_OCTETS.  On error, why says what went wrong. */
static int load(struct reader *r, const char *path, char **out, size_t *outlen, struct ident *id,
		char *why, size_t whylen)
{
	int rc = -1;
	char *buf = NULL;
	size_t len = 0;
	int fd = open(path,
		      O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO must not block */
	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto out;
	}
	for (size_t i = 0; i < r->nstack; i++) {
		if (r->stack[i].dev == st.st_dev && r->stack[i].ino == st.st_ino) {
			snprintf(why, whylen, "include cycle: the file is already being read");
			goto out;
		}
	}
	size_t limit = CONF_MAX_OCTETS - r->octets;
	if (st.st_size < 0 || (uintmax_t)st.st_size > limit) {
		snprintf(why, whylen, "more than %d octets over all files", CONF_MAX_OCTETS);
		goto out;
	}
	/* One octet more than what is left, to notice a file that grew. */
	size_t cap = (size_t)st.st_size + 1;
	buf = mem_alloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap == limit + 1) {
				snprintf(why, whylen, "more than %d octets over all files",
					 CONF_MAX_OCTETS);
				goto out;
			}
			cap = cap > (limit + 1) / 2 ? limit + 1 : 2 * cap;
			buf = mem_realloc(buf, cap);
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "%s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	r->octets += len;
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	*out = buf;
	*outlen = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Length of the directory part of a file name, with its '/'; 0 for none. */
static size_t dir_len(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash ? (size_t)(slash - name) + 1 : 0;
}

/* dir (dl octets) followed by arg; with escape, the glob(3) characters of
 * dir are escaped so that only arg is a pattern. */
static char *join(const char *dir, size_t dl, const char *arg, bool escape)
{
	size_t al = strlen(arg);
	char *s = mem_alloc(2 * dl + al + 1);
	size_t k = 0;
	for (size_t i = 0; i < dl; i++) {
		if (escape && (dir[i] == '\\' || dir[i] == '*' || dir[i] == '?' || dir[i] == '['))
			s[k++] = '\\';
		s[k++] = dir[i];
	}
	memcpy(s + k, arg, al + 1);
	return s;
}

static int parse_text(struct reader *r, const char *name, size_t dl, const char *text, size_t len,
		      size_t depth);

/* Reads the file path, named by an include on line of file, at depth. */
static int read_included(struct reader *r, const char *file, unsigned line, const char *path,
			 size_t depth)
{
	char why[128];
	char *buf = NULL;
	size_t len = 0;
	struct ident id;
	if (load(r, path, &buf, &len, &id, why, sizeof why) != 0) {
		fail(r, file, line, "include '%s': %s", path, why);
		return -1;
	}
	if (r->nstack ==
	    sizeof r->stack / sizeof r->stack[0]) { /* cannot happen: depth is checked */
		free(buf);
		fail(r, file, line, "include '%s': nested too deeply", path);
		return -1;
	}
	r->stack[r->nstack++] = id;
	const char *name = add_file(r->c, path);
	int rc = parse_text(r, name, dir_len(name), buf, len, depth);
	r->nstack--;
	free(buf);
	return rc;
}

static _Thread_local int glob_errno;

static int glob_error(const char *epath, int eerrno)
{
	(void)epath;
	if (eerrno == ENOENT || eerrno == ENOTDIR)
		return 0; /* no match */
	glob_errno = eerrno;
	return 1;
}

/* "include arg" on line of file, whose directory is dir (dl octets). */
static int include(struct reader *r, const char *file, unsigned line, const char *dir, size_t dl,
		   const char *arg, size_t depth)
{
	int rc = -1;
	char *path = NULL, *pattern = NULL;
	glob_t g;
	bool globbed = false;

	if (arg[0] == '\0') {
		fail(r, file, line, "'include' needs a path, not an empty word");
		goto out;
	}
	if (arg[0] == '/')
		dl = 0;
	path = join(dir, dl, arg, false);
	if (depth + 1 > CONF_MAX_DEPTH) {
		fail(r, file, line, "include '%s': more than %d nested includes", path,
		     CONF_MAX_DEPTH);
		goto out;
	}
	if (!strpbrk(arg, "*?[")) {
		rc = read_included(r, file, line, path, depth + 1);
		goto out;
	}
	pattern = join(dir, dl, arg, true);
	memset(&g, 0, sizeof g);
	glob_errno = 0;
	int grc = glob(pattern, 0, glob_error, &g);
	globbed = true;
	if (grc == GLOB_NOMATCH) {
		rc = 0;
		goto out;
	}
	if (grc != 0) {
		if (grc == GLOB_ABORTED && glob_errno)
			fail(r, file, line, "include '%s': %s", path, strerror(glob_errno));
		else if (grc == GLOB_NOSPACE)
			fail(r, file, line, "include '%s': out of memory", path);
		else
			fail(r, file, line, "include '%s': cannot search for the files", path);
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
		rc = read_included(r, file, line, g.gl_pathv[i], depth + 1);
out:
	if (globbed)
		globfree(&g);
	free(pattern);
	free(path);
	return rc;
}

/* Parses the text of the file name (whose directory is its first dl
 * octets), read at include depth. */
static int parse_text(struct reader *r, const char *name, size_t dl, const char *text, size_t len,
		      size_t depth)
{
	size_t pos = 0;
	unsigned lineno = 0;
	while (pos < len) {
		const char *p = text + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		pos += nl ? n + 1 : n;
		lineno++;
		if (++r->lines > CONF_MAX_LINES) {
			fail(r, name, lineno, "more than %d lines over all files", CONF_MAX_LINES);
			return -1;
		}
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > CONF_MAX_LINE) {
			fail(r, name, lineno, "line longer than %d octets", CONF_MAX_LINE);
			return -1;
		}
		size_t argc = 0, used = 0;
		if (check_octets(r, name, lineno, p, n) != 0 ||
		    split(r, name, lineno, p, n, &argc, &used) != 0)
			return -1;
		if (argc == 0)
			continue;
		if (strcmp(r->words, "include") != 0) {
			add_line(r, name, lineno, argc, used);
			continue;
		}
		if (argc != 2) {
			fail(r, name, lineno,
			     "'include' needs exactly one path, e.g. 'include "
			     "/etc/sundial/conf.d/*.conf'");
			return -1;
		}
		/* The words are overwritten by the included lines. */
		char *arg = mem_strdup(r->words + r->start[1]);
		int rc = include(r, name, lineno, name, dl, arg, depth);
		free(arg);
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* --- entry points --- */

static struct reader *reader_new(char *err, size_t errlen)
{
	struct reader *r = mem_calloc(1, sizeof *r);
	r->c = mem_calloc(1, sizeof(conf));
	r->err = err;
	r->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	return r;
}

/* The result if rc is 0; frees the rest. */
static conf *reader_done(struct reader *r, int rc)
{
	conf *c = NULL;
	if (rc == 0) {
		c = r->c;
		r->c = NULL;
	}
	conf_free(r->c);
	free(r);
	return c;
}

conf *conf_read(const char *path, char *err, size_t errlen)
{
	struct reader *r = reader_new(err, errlen);
	char why[128];
	char *buf = NULL;
	size_t len = 0;
	struct ident id;
	int rc = -1;
	if (!path || !*path) {
		fail(r, "conf_read", 0, "no file name");
		goto out;
	}
	if (load(r, path, &buf, &len, &id, why, sizeof why) != 0) {
		fail(r, path, 0, "%s", why);
		goto out;
	}
	r->stack[r->nstack++] = id;
	const char *name = add_file(r->c, path);
	rc = parse_text(r, name, dir_len(name), buf ? buf : "", len, 0);
out:
	free(buf);
	return reader_done(r, rc);
}

conf *conf_parse(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	struct reader *r = reader_new(err, errlen);
	int rc = -1;
	if (!name || (!text && len)) {
		fail(r, "conf_parse", 0, "no name or no text");
		goto out;
	}
	if (len > CONF_MAX_OCTETS) {
		fail(r, name, 0, "more than %d octets over all files", CONF_MAX_OCTETS);
		goto out;
	}
	r->octets = len;
	const char *n = add_file(r->c, name);
	rc = parse_text(r, n, 0, text ? text : "", len, 0);
out:
	return reader_done(r, rc);
}

/* --- values --- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool conf_duration(const char *s, double *seconds)
{
	static const double pow10[] = { 1e0,  1e1,  1e2,  1e3,	1e4,  1e5,  1e6,  1e7,	1e8, 1e9,
					1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18 };
	if (!s || !seconds || !is_digit(*s))
		return false;
	uint64_t mant = 0;
	size_t digits = 0, frac = 0;
	const char *p = s;
	for (; is_digit(*p); p++, digits++) {
		if (digits == CONF_MAX_DIGITS)
			return false;
		mant = mant * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return false;
		for (; is_digit(*p); p++, digits++, frac++) {
			if (digits == CONF_MAX_DIGITS)
				return false;
			mant = mant * 10 + (uint64_t)(*p - '0');
		}
	}
	/* mant < 10^15 and the powers of ten are exact: one rounding. */
	double v;
	if (strcmp(p, "ms") == 0)
		v = (double)mant / pow10[frac + 3];
	else if (*p == '\0' || strcmp(p, "s") == 0)
		v = (double)mant / pow10[frac];
	else if (strcmp(p, "m") == 0)
		v = (double)mant / pow10[frac] * 60;
	else if (strcmp(p, "h") == 0)
		v = (double)mant / pow10[frac] * 3600;
	else if (strcmp(p, "d") == 0)
		v = (double)mant / pow10[frac] * 86400;
	else
		return false;
	if (!(v > 0) || v > DURATION_MAX)
		return false;
	*seconds = v;
	return true;
}

bool conf_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	if (!s || !out || !is_digit(*s))
		return false;
	unsigned long v = 0;
	for (; *s; s++) {
		if (!is_digit(*s))
			return false;
		unsigned long d = (unsigned long)(*s - '0');
		if (v > (ULONG_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool conf_bool(const char *s, bool *out)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = {
		{ "yes", true },  { "no", false },    { "on", true }, { "off", false },
		{ "true", true }, { "false", false }, { "1", true },  { "0", false },
	};
	if (!s || !out)
		return false;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcmp(s, words[i].word) == 0) {
			*out = words[i].value;
			return true;
		}
	}
	return false;
}

struct conf_quoted conf_quote(const char *w)
{
	struct conf_quoted q;
	size_t i = 0;
	for (; w[i] && i < CONF_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)w[i];
		q.s[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (w[i]) {
		memcpy(q.s + i, "...", 3);
		i += 3;
	}
	q.s[i] = '\0';
	return q;
}
