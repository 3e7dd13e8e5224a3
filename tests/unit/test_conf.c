/* test_conf.c - the configuration-file reader (src/common/conf.c).
 *
 * 1. Words, comments, blank lines, quotes and escapes, CRLF, as read.
 * 2. Every syntax rule with a rejection case whose "file:line: " prefix is
 *    checked exactly, and the rest of the message for what it says.
 * 3. Limits: 4096-octet lines, 10,000 lines and 1 MiB over all files.
 * 4. Includes, with files written to a mkdtemp(3) folder: relative paths,
 *    globs in sorted order, missing files and globs, nesting 8 deep but not
 *    9, cycles (direct, indirect, through a symbolic link), names and line
 *    numbers of included files in lines and messages.
 * 5. The value helpers with good and bad values.
 * 6. Random input (10,000 texts that must never crash and must keep the
 *    invariants) and random well-formed lines that must read back word for
 *    word.  The seed is printed; TEST_SEED=<n> replays it.
 *
 * Every text is parsed from an exact-size heap copy without a terminating
 * NUL, so that AddressSanitizer catches any read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/conf.h"

#define ERRLEN 1024

static uint64_t test_seed;
static char tmpdir[256];

/* ---- helpers ---- */

static conf *parse_n(const char *text, size_t len, char *err)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, text, len);
	memset(err, 'X', ERRLEN);
	err[ERRLEN - 1] = '\0';
	conf *c = conf_parse("t.conf", copy, len, err, ERRLEN);
	free(copy);
	return c;
}

static conf *parse(const char *text, char *err)
{
	return parse_n(text, strlen(text), err);
}

/* The line i holds file, line number and the words given (NULL-terminated). */
static void expect_line(const conf *c, size_t i, const char *file, unsigned line, ...)
{
	const struct conf_line *l = conf_get(c, i);
	if (!l)
		fail_msg("no line %zu (count %zu)", i, conf_count(c));
	assert_string_equal(l->file, file);
	assert_int_equal(l->line, line);
	va_list ap;
	va_start(ap, line);
	size_t k = 0;
	for (const char *w; (w = va_arg(ap, const char *)) != NULL; k++) {
		if (k >= l->argc)
			fail_msg("line %u has %zu words, expected more ('%s')", line, l->argc, w);
		assert_non_null(l->argv[k]);
		assert_string_equal(l->argv[k], w);
	}
	va_end(ap);
	assert_int_equal(l->argc, k);
	assert_null(l->argv[l->argc]);
}

/* err starts with prefix exactly and the rest contains what. */
static void expect_message(const char *err, const char *prefix, const char *what)
{
	size_t n = strlen(prefix);
	if (strncmp(err, prefix, n) != 0 || !strstr(err + n, what))
		fail_msg("error '%s', expected '%s' ... '%s'", err, prefix, what);
}

static void reject_n(const char *text, size_t len, const char *prefix, const char *what)
{
	char err[ERRLEN];
	conf *c = parse_n(text, len, err);
	if (c) {
		conf_free(c);
		fail_msg("accepted '%.*s', expected '%s%s'", (int)(len < 60 ? len : 60), text,
			 prefix, what);
	}
	expect_message(err, prefix, what);
}

static void reject(const char *text, const char *prefix, const char *what)
{
	reject_n(text, strlen(text), prefix, what);
}

/* A path in the temporary folder (four rotating buffers). */
static const char *tmp(const char *rel)
{
	static char buf[4][PATH_MAX];
	static unsigned k;
	char *b = buf[k++ % 4];
	int n = snprintf(b, PATH_MAX, "%s/%s", tmpdir, rel);
	assert_true(n > 0 && n < PATH_MAX);
	return b;
}

static void write_file_n(const char *rel, const char *text, size_t len)
{
	FILE *f = fopen(tmp(rel), "wb");
	if (!f)
		fail_msg("%s: %s", tmp(rel), strerror(errno));
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void write_file(const char *rel, const char *text)
{
	write_file_n(rel, text, strlen(text));
}

static void make_dir(const char *rel)
{
	if (mkdir(tmp(rel), 0700) != 0 && errno != EEXIST)
		fail_msg("mkdir %s: %s", tmp(rel), strerror(errno));
}

static conf *read_tmp(const char *rel, char *err)
{
	memset(err, 'X', ERRLEN);
	err[ERRLEN - 1] = '\0';
	return conf_read(tmp(rel), err, ERRLEN);
}

/* conf_read(rel) fails with the message "DIR/" + rel_prefix + what... */
static void reject_file(const char *rel, const char *prefix_rel, const char *what)
{
	char err[ERRLEN], prefix[PATH_MAX + 32];
	conf *c = read_tmp(rel, err);
	if (c) {
		conf_free(c);
		fail_msg("%s accepted", rel);
	}
	snprintf(prefix, sizeof prefix, "%s/%s", tmpdir, prefix_rel);
	expect_message(err, prefix, what);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_conf.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_tmp(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- 1. what is read ---- */

static void words_and_lines(void **state)
{
	(void)state;
	char err[ERRLEN];
	conf *c = parse("# sundial.conf\n"
			"datadir  /var/lib/sundial\n"
			"\n"
			"server\ttime.example.net  nts\t \n"
			"   hwmon\n"
			"  # indented comment\n"
			" \t \n"
			"alert ntp.offset abs > 0.010 warn, > 0.100 crit",
			err);
	assert_non_null(c);
	assert_int_equal(conf_count(c), 4);
	expect_line(c, 0, "t.conf", 2, "datadir", "/var/lib/sundial", NULL);
	expect_line(c, 1, "t.conf", 4, "server", "time.example.net", "nts", NULL);
	expect_line(c, 2, "t.conf", 5, "hwmon", NULL);
	expect_line(c, 3, "t.conf", 8, "alert", "ntp.offset", "abs", ">", "0.010", "warn,", ">",
		    "0.100", "crit", NULL);
	assert_null(conf_get(c, 4));
	conf_free(c);

	/* Nothing but blanks and comments, and nothing at all. */
	c = parse("# only\n\n\t\n  # comments\n", err);
	assert_non_null(c);
	assert_int_equal(conf_count(c), 0);
	assert_null(conf_get(c, 0));
	conf_free(c);
	c = parse_n(NULL, 0, err);
	assert_non_null(c);
	assert_int_equal(conf_count(c), 0);
	conf_free(c);
}

static void comments(void **state)
{
	(void)state;
	char err[ERRLEN];
	conf *c = parse("a b#c d\n"
			"a \"b#c\" # d\n"
			"x \"q\"#c\n"
			"a\t#\n"
			"\"#\"\n"
			"#\"unclosed quote in a comment\n"
			"y # \"unclosed\" \\z\n",
			err);
	assert_non_null(c);
	assert_int_equal(conf_count(c), 6);
	expect_line(c, 0, "t.conf", 1, "a", "b", NULL);
	expect_line(c, 1, "t.conf", 2, "a", "b#c", NULL);
	expect_line(c, 2, "t.conf", 3, "x", "q", NULL);
	expect_line(c, 3, "t.conf", 4, "a", NULL);
	expect_line(c, 4, "t.conf", 5, "#", NULL);
	expect_line(c, 5, "t.conf", 7, "y", NULL);
	conf_free(c);
}

static void quotes_and_escapes(void **state)
{
	(void)state;
	char err[ERRLEN];
	conf *c = parse("exec \"/usr/local/bin/power meter\" interval 300\n"
			"a \"q\\\"q\" \"b\\\\s\" \"\" \"\\\\\" \"\\\"\"\n"
			"b \"tab\there\"\t\"  lead\"\n"
			"path C:\\dir\\file back\\\\slash\n"
			"label \"Z\xc3\xbcrich \xe2\x98\x83 \xf0\x9d\x84\x9e\"\n"
			"\"\" empty-directive\n",
			err);
	assert_non_null(c);
	assert_int_equal(conf_count(c), 6);
	expect_line(c, 0, "t.conf", 1, "exec", "/usr/local/bin/power meter", "interval", "300",
		    NULL);
	expect_line(c, 1, "t.conf", 2, "a", "q\"q", "b\\s", "", "\\", "\"", NULL);
	expect_line(c, 2, "t.conf", 3, "b", "tab\there", "  lead", NULL);
	/* Outside quotes a backslash is an ordinary character. */
	expect_line(c, 3, "t.conf", 4, "path", "C:\\dir\\file", "back\\\\slash", NULL);
	expect_line(c, 4, "t.conf", 5, "label", "Z\xc3\xbcrich \xe2\x98\x83 \xf0\x9d\x84\x9e",
		    NULL);
	expect_line(c, 5, "t.conf", 6, "", "empty-directive", NULL);
	conf_free(c);
}

static void crlf(void **state)
{
	(void)state;
	char err[ERRLEN];
	conf *c = parse("a b\r\nc \"d e\"\r\n\r\n# x\r\nf\r", err);
	assert_non_null(c);
	assert_int_equal(conf_count(c), 3);
	expect_line(c, 0, "t.conf", 1, "a", "b", NULL);
	expect_line(c, 1, "t.conf", 2, "c", "d e", NULL);
	expect_line(c, 2, "t.conf", 5, "f", NULL);
	conf_free(c);
	/* Mixed endings in one file. */
	c = parse("a\nb\r\nc\n", err);
	assert_non_null(c);
	assert_int_equal(conf_count(c), 3);
	expect_line(c, 1, "t.conf", 2, "b", NULL);
	conf_free(c);
	/* Only one CR belongs to the line end; a lone CR is a control character. */
	reject("a\r\r\n", "t.conf:1: ", "control character 0x0d at column 2");
	reject("ok\na\rb\n", "t.conf:2: ", "control character 0x0d at column 2");
	reject("\"a\rb\"\r\n", "t.conf:1: ", "control character 0x0d at column 3");
}

/* ---- 2. rejections ---- */

static void syntax_rejections(void **state)
{
	(void)state;
	/* Quotes. */
	reject("ok 1\nexec \"/bin/sh\n", "t.conf:2: ", "unclosed quote (opened at column 6)");
	reject("exec \"/bin/sh", "t.conf:1: ", "unclosed quote (opened at column 6)");
	reject("exec \"a\" \"b\r\n", "t.conf:1: ", "unclosed quote (opened at column 10)");
	reject("exec \"abc\\\n", "t.conf:1: ",
	       "unclosed quote (opened at column 6) ending in a "
	       "backslash");
	reject("exec \"abc\\\"\n", "t.conf:1: ", "unclosed quote");
	reject("a \"x\\ny\"\n", "t.conf:1: ", "unknown escape '\\n' at column 5");
	reject("\n\na \"x\\'y\"\n", "t.conf:3: ", "unknown escape '\\''");
	reject("a \"\\ \"\n", "t.conf:1: ", "unknown escape at column 4");
	reject("a \"\\\t\"\n", "t.conf:1: ", "unknown escape at column 4");
	reject("a \"\\\xc3\xa9\"\n", "t.conf:1: ", "unknown escape at column 4");
	reject("a \"\\#\"\n", "t.conf:1: ", "unknown escape '\\#'");
	reject("\n\na \"b\"c\n", "t.conf:3: ", "text right after a closing quote at column 6");
	reject("a \"b\"\"c\"\n", "t.conf:1: ", "text right after a closing quote at column 6");
	reject("a b\"c\"\n", "t.conf:1: ", "quote inside a word at column 4");
	reject("a b\"\n", "t.conf:1: ", "quote inside a word at column 4");

	/* NUL octets, also in comments and at the very end. */
	reject_n("a\nb\0c\n", 6, "t.conf:2: ", "NUL octet at column 2");
	reject_n("# \0\n", 4, "t.conf:1: ", "NUL octet at column 3");
	reject_n("a\0", 2, "t.conf:1: ", "NUL octet at column 2");
	reject_n("\"\0\"", 3, "t.conf:1: ", "NUL octet at column 2");

	/* Invalid UTF-8 (RFC 3629). */
	reject("a\n\xff\n", "t.conf:2: ", "invalid UTF-8 at column 1");
	reject("a \x80\n", "t.conf:1: ", "invalid UTF-8 at column 3");	   /* lone continuation */
	reject("a \xc0\xaf\n", "t.conf:1: ", "invalid UTF-8 at column 3"); /* overlong '/' */
	reject("a \xc1\xbf\n", "t.conf:1: ", "invalid UTF-8 at column 3"); /* overlong */
	reject("a \xe0\x80\xaf\n", "t.conf:1: ", "invalid UTF-8 at column 3");
	reject("a \xf0\x80\x80\xaf\n", "t.conf:1: ", "invalid UTF-8 at column 3");
	reject("a \xed\xa0\x80\n", "t.conf:1: ", "invalid UTF-8 at column 3"); /* surrogate */
	reject("a \xf4\x90\x80\x80\n", "t.conf:1: ", "invalid UTF-8 at column 3");
	reject("a \xf5\x80\x80\x80\n", "t.conf:1: ", "invalid UTF-8 at column 3");
	reject("ab \xe2\x82", "t.conf:1: ", "invalid UTF-8 at column 4");  /* cut at the end */
	reject("a \xe2\x82\n", "t.conf:1: ", "invalid UTF-8 at column 3"); /* cut by the LF */
	reject("a \xe2\x82 b\n", "t.conf:1: ", "invalid UTF-8 at column 3");
	reject("a \"\xc3\" b\n", "t.conf:1: ", "invalid UTF-8 at column 4");
	reject("# \xff in a comment\n", "t.conf:1: ", "invalid UTF-8 at column 3");

	/* Other control characters. */
	reject("a\x01\n", "t.conf:1: ", "control character 0x01 at column 2");
	reject("a \x7f\n", "t.conf:1: ", "control character 0x7f at column 3");
	reject("a \x1b[0m\n", "t.conf:1: ", "control character 0x1b at column 3");
	reject("a\fb\n", "t.conf:1: ", "control character 0x0c at column 2");

	/* include. */
	reject("x\ninclude\n", "t.conf:2: ", "'include' needs exactly one path");
	reject("include a b\n", "t.conf:1: ", "'include' needs exactly one path");
	reject("include \"\"\n", "t.conf:1: ", "'include' needs a path, not an empty word");
}

/* ---- 3. limits ---- */

static void line_length(void **state)
{
	(void)state;
	char err[ERRLEN];
	size_t max = 4096;
	char *t = malloc(3 * (max + 8));
	assert_non_null(t);

	/* 4096 octets with LF, then 4096 with CRLF, then 4096 without a line end. */
	size_t n = 0;
	for (int k = 0; k < 3; k++) {
		t[n++] = 'x';
		t[n++] = ' ';
		memset(t + n, 'a', max - 2);
		n += max - 2;
		if (k == 0)
			t[n++] = '\n';
		else if (k == 1) {
			t[n++] = '\r';
			t[n++] = '\n';
		}
	}
	conf *c = parse_n(t, n, err);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct conf_line *l = conf_get(c, i);
		assert_int_equal(l->line, i + 1);
		assert_int_equal(l->argc, 2);
		assert_int_equal(strlen(l->argv[1]), max - 2);
	}
	conf_free(c);

	/* 4097 octets: a word, blanks, a comment; with or without a line end. */
	n = 0;
	memcpy(t, "ok\n", 3);
	n = 3;
	memset(t + n, 'a', max + 1);
	reject_n(t, n + max + 1, "t.conf:2: ", "line longer than 4096 octets");
	t[n + max + 1] = '\n';
	reject_n(t, n + max + 2, "t.conf:2: ", "line longer than 4096 octets");
	t[n + max] = '\r'; /* 4096 + CR + LF: accepted */
	c = parse_n(t, n + max + 2, err);
	assert_non_null(c);
	conf_free(c);
	memset(t + n, ' ', max + 1);
	reject_n(t, n + max + 1, "t.conf:2: ", "line longer than 4096 octets");
	t[n] = '#';
	reject_n(t, n + max + 1, "t.conf:2: ", "line longer than 4096 octets");
	free(t);
}

static void line_count(void **state)
{
	(void)state;
	char err[ERRLEN];
	size_t lines = 10000;
	char *t = malloc(2 * (lines + 2));
	assert_non_null(t);
	for (size_t i = 0; i < lines + 1; i++) {
		t[2 * i] = 'a';
		t[2 * i + 1] = '\n';
	}
	conf *c = parse_n(t, 2 * lines, err);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), lines);
	assert_int_equal(conf_get(c, lines - 1)->line, lines);
	conf_free(c);
	reject_n(t, 2 * (lines + 1), "t.conf:10001: ", "more than 10000 lines over all files");
	/* The 10,001st line without a line end, and blank lines count too. */
	reject_n(t, 2 * lines + 1, "t.conf:10001: ", "more than 10000 lines");
	memset(t, '\n', lines);
	t[lines - 2] = 'z'; /* 9998 blank lines, "z" */
	c = parse_n(t, lines, err);
	assert_non_null(c);
	assert_int_equal(conf_count(c), 1);
	expect_line(c, 0, "t.conf", 9999, "z", NULL);
	conf_free(c);
	t[lines - 2] = '\n';
	t[lines] = 'z'; /* 10,000 blank lines, "z" */
	reject_n(t, lines + 1, "t.conf:10001: ", "more than 10000 lines");
	free(t);
}

static void size_limit(void **state)
{
	(void)state;
	char err[ERRLEN];
	size_t mib = 1024 * 1024;
	char *t = malloc(mib + 1);
	assert_non_null(t);
	/* 256 lines of 4095 octets and a LF: exactly 1 MiB. */
	memset(t, 'a', mib + 1);
	for (size_t i = 4095; i < mib; i += 4096)
		t[i] = '\n';
	conf *c = parse_n(t, mib, err);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 256);
	conf_free(c);
	reject_n(t, mib + 1, "t.conf: ", "more than 1048576 octets");
	free(t);
}

/* ---- 4. includes ---- */

static void include_relative(void **state)
{
	(void)state;
	char err[ERRLEN], abs_line[PATH_MAX + 32];
	make_dir("sub");
	write_file("sub/c.conf", "cc\n");
	write_file("sub/b.conf", "# b\nb 2\ninclude c.conf\n");
	snprintf(abs_line, sizeof abs_line, "a 1\ninclude sub/b.conf\nc 3\ninclude %s\n",
		 tmp("sub/c.conf"));
	write_file("main.conf", abs_line);
	conf *c = read_tmp("main.conf", err);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 5);
	expect_line(c, 0, tmp("main.conf"), 1, "a", "1", NULL);
	expect_line(c, 1, tmp("sub/b.conf"), 2, "b", "2", NULL);
	expect_line(c, 2, tmp("sub/c.conf"), 1, "cc", NULL);
	expect_line(c, 3, tmp("main.conf"), 3, "c", "3", NULL);
	expect_line(c, 4, tmp("sub/c.conf"), 1, "cc", NULL);
	conf_free(c);

	/* A quoted path with a blank; the same file twice is not a cycle. */
	make_dir("my dir");
	write_file("my dir/x.conf", "x\n");
	write_file("quoted.conf", "include \"my dir/x.conf\"\ninclude \"my dir/x.conf\"\n");
	c = read_tmp("quoted.conf", err);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 2);
	expect_line(c, 0, tmp("my dir/x.conf"), 1, "x", NULL);
	expect_line(c, 1, tmp("my dir/x.conf"), 1, "x", NULL);
	conf_free(c);

	/* conf_parse(): relative to the current directory. */
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(tmpdir), 0);
	c = parse("include sub/b.conf\n", err);
	assert_int_equal(chdir(cwd), 0);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 2);
	expect_line(c, 0, "sub/b.conf", 2, "b", "2", NULL);
	expect_line(c, 1, "sub/c.conf", 1, "cc", NULL);
	conf_free(c);
}

static void include_glob(void **state)
{
	(void)state;
	char err[ERRLEN];
	make_dir("conf.d");
	write_file("conf.d/20-b.conf", "b\n");
	write_file("conf.d/10-a.conf", "a\n");
	write_file("conf.d/30-c.conf", "c1\nc2\n");
	write_file("conf.d/05-z.txt", "not me\n");
	write_file("glob.conf", "first\ninclude conf.d/*.conf\ninclude conf.d/?0-b.conf\nlast\n");
	conf *c = read_tmp("glob.conf", err);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 7);
	expect_line(c, 0, tmp("glob.conf"), 1, "first", NULL);
	expect_line(c, 1, tmp("conf.d/10-a.conf"), 1, "a", NULL);
	expect_line(c, 2, tmp("conf.d/20-b.conf"), 1, "b", NULL);
	expect_line(c, 3, tmp("conf.d/30-c.conf"), 1, "c1", NULL);
	expect_line(c, 4, tmp("conf.d/30-c.conf"), 2, "c2", NULL);
	expect_line(c, 5, tmp("conf.d/20-b.conf"), 1, "b", NULL);
	expect_line(c, 6, tmp("glob.conf"), 4, "last", NULL);
	conf_free(c);

	/* No match is not an error, nor is a missing folder. */
	write_file("nomatch.conf", "include nothere/*.conf\ninclude conf.d/*.none\nx\n");
	c = read_tmp("nomatch.conf", err);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 1);
	expect_line(c, 0, tmp("nomatch.conf"), 3, "x", NULL);
	conf_free(c);

	/* The including file's folder is not a pattern: "we[ir]d*" is taken
	 * literally, so the decoy in "weid-x" (which the unescaped pattern
	 * would match) is not read. */
	make_dir("we[ir]d*");
	make_dir("we[ir]d*/inc");
	write_file("we[ir]d*/inc/a.conf", "real\n");
	make_dir("weid-x");
	make_dir("weid-x/inc");
	write_file("weid-x/inc/a.conf", "decoy\n");
	write_file("we[ir]d*/main.conf", "include inc/*.conf\n");
	c = read_tmp("we[ir]d*/main.conf", err);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 1);
	expect_line(c, 0, tmp("we[ir]d*/inc/a.conf"), 1, "real", NULL);
	conf_free(c);

	/* A match that is a folder. */
	make_dir("conf.d/40-dir.conf");
	reject_file("glob.conf", "glob.conf:2: ", "not a regular file");
	assert_int_equal(rmdir(tmp("conf.d/40-dir.conf")), 0);
	/* An error in a matched file names that file. */
	write_file("conf.d/25-bad.conf", "ok\nbad \"\n");
	reject_file("glob.conf", "conf.d/25-bad.conf:2: ", "unclosed quote");
	assert_int_equal(unlink(tmp("conf.d/25-bad.conf")), 0);
}

static void include_errors(void **state)
{
	(void)state;
	char err[ERRLEN], want[PATH_MAX + 128];

	/* A missing plain file, with the whole message. */
	write_file("missing.conf", "x\ninclude nothere.conf\n");
	conf *c = read_tmp("missing.conf", err);
	assert_null(c);
	snprintf(want, sizeof want, "%s/missing.conf:2: include '%s/nothere.conf': %s", tmpdir,
		 tmpdir, strerror(ENOENT));
	assert_string_equal(err, want);

	/* A missing or unsuitable top-level file: "FILE: <strerror>". */
	c = read_tmp("none.conf", err);
	assert_null(c);
	snprintf(want, sizeof want, "%s/none.conf: %s", tmpdir, strerror(ENOENT));
	assert_string_equal(err, want);
	c = conf_read(tmpdir, err, ERRLEN);
	assert_null(c);
	snprintf(want, sizeof want, "%s: not a regular file", tmpdir);
	assert_string_equal(err, want);
	make_dir("adir");
	write_file("incdir.conf", "include adir\n");
	reject_file("incdir.conf", "incdir.conf:1: ", "include '");
	reject_file("incdir.conf", "incdir.conf:1: ", "adir': not a regular file");

	/* Errors inside an included file name it and its line. */
	make_dir("e");
	write_file("e/bad.conf", "ok\n\nexec \"x\n");
	write_file("e/main.conf", "a\ninclude bad.conf\n");
	reject_file("e/main.conf", "e/bad.conf:3: ", "unclosed quote");
	/* The including file's lines go on after the include. */
	write_file("e/good.conf", "g\n\n");
	write_file("e/after.conf", "a\ninclude good.conf\n\nb\"\n");
	reject_file("e/after.conf", "e/after.conf:4: ", "quote inside a word");
	write_file("e/argc.conf", "include good.conf\ninclude a b\n");
	reject_file("e/argc.conf", "e/argc.conf:2: ", "'include' needs exactly one path");
}

/* dK.conf: "level K" and an include of d(K+1).conf for K < last. */
static void write_chain(const char *prefix, int last)
{
	char rel[64], text[128];
	for (int k = 0; k <= last; k++) {
		snprintf(rel, sizeof rel, "%s%d.conf", prefix, k);
		if (k < last)
			snprintf(text, sizeof text, "level %d\ninclude %s%d.conf\n", k, prefix,
				 k + 1);
		else
			snprintf(text, sizeof text, "level %d\n", k);
		write_file(rel, text);
	}
}

static void include_depth_and_cycles(void **state)
{
	(void)state;
	char err[ERRLEN], want[PATH_MAX + 128];

	/* 8 nested includes: read. */
	write_chain("ok", 8);
	conf *c = read_tmp("ok0.conf", err);
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 9);
	expect_line(c, 8, tmp("ok8.conf"), 1, "level", "8", NULL);
	conf_free(c);
	/* 9: refused at the include in the 8th file. */
	write_chain("deep", 9);
	c = read_tmp("deep0.conf", err);
	assert_null(c);
	snprintf(want, sizeof want,
		 "%s/deep8.conf:2: include '%s/deep9.conf': more than 8 nested "
		 "includes",
		 tmpdir, tmpdir);
	assert_string_equal(err, want);
	/* The same through conf_parse(): the string is level 0. */
	char line[PATH_MAX + 16];
	snprintf(line, sizeof line, "include %s\n", tmp("ok1.conf"));
	c = parse(line, err);
	assert_non_null(c);
	assert_int_equal(conf_count(c), 8);
	conf_free(c);
	snprintf(line, sizeof line, "include %s\n", tmp("deep0.conf"));
	c = parse(line, err);
	assert_null(c);
	snprintf(want, sizeof want, "%s/deep7.conf:2: include '%s/deep8.conf': more than 8", tmpdir,
		 tmpdir);
	expect_message(err, want, " nested includes");

	/* A file including itself. */
	write_file("self.conf", "a\ninclude self.conf\n");
	c = read_tmp("self.conf", err);
	assert_null(c);
	snprintf(want, sizeof want, "%s/self.conf:2: include '%s/self.conf': include cycle", tmpdir,
		 tmpdir);
	expect_message(err, want, "already being read");
	/* Indirectly, under another name. */
	write_file("x.conf", "include y.conf\n");
	write_file("y.conf", "y\ninclude ./x.conf\n");
	reject_file("x.conf", "y.conf:2: ", "include cycle");
	/* Through a symbolic link. */
	write_file("z.conf", "z\n# z\ninclude link.conf\n");
	assert_int_equal(symlink("z.conf", tmp("link.conf")), 0);
	reject_file("z.conf", "z.conf:3: ", "include cycle");
	/* Through a glob. */
	make_dir("g");
	write_file("g/a.conf", "include *.conf\n");
	reject_file("g/a.conf", "g/a.conf:1: ", "include cycle");
}

static void include_limits(void **state)
{
	(void)state;
	/* Lines count over all files: 1 + 6000 + 1 + 3998 = 10,000; the next
	 * is too many. */
	size_t n = 6000;
	char *t = malloc(2 * n);
	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		t[2 * i] = 'a';
		t[2 * i + 1] = '\n';
	}
	write_file_n("big.conf", t, 2 * n);
	free(t);
	write_file("twice.conf", "include big.conf\ninclude big.conf\n");
	reject_file("twice.conf", "big.conf:3999: ", "more than 10000 lines over all files");

	/* Octets count over all files: 2 x 600,000 > 1 MiB. */
	size_t m = 600000;
	t = malloc(m);
	assert_non_null(t);
	memset(t, 'b', m);
	for (size_t i = 99; i < m; i += 100)
		t[i] = '\n';
	write_file_n("600k.conf", t, m);
	free(t);
	write_file("huge.conf", "x\ninclude 600k.conf\ninclude 600k.conf\n");
	reject_file("huge.conf", "huge.conf:3: ", "600k.conf': more than 1048576 octets");
	char err[ERRLEN];
	conf *c = read_tmp("600k.conf", err); /* one alone is fine */
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(conf_count(c), 6000);
	conf_free(c);
}

/* ---- 5. values ---- */

static void durations(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		double v;
	} good[] = {
		{ "60", 60 },
		{ "60s", 60 },
		{ "5m", 300 },
		{ "1h", 3600 },
		{ "1d", 86400 },
		{ "500ms", 0.5 },
		{ "1.5s", 1.5 },
		{ "1.5", 1.5 },
		{ "0.1", 0.1 },
		{ "1ms", 0.001 },
		{ "0.5ms", 0.0005 },
		{ "1.5m", 90 },
		{ "007", 7 },
		{ "3652d", 3652.0 * 86400 },
		{ "87660h", 315576000 },
	};
	static const char *const bad[] = {
		"",
		"5x",
		"-1",
		"+1",
		"1e400",
		"1e3",
		"0",
		"0s",
		"0.0",
		"0ms",
		".5",
		"5.",
		"1..5",
		" 5",
		"5 ",
		"inf",
		"nan",
		"0x10",
		"1S",
		"1M",
		"10y",
		"1w",
		"5 s",
		"1.5.s",
		"s",
		"ms",
		"3653d",
		"87661h",
		"315576001",
		"1234567890123456",
		"9999999999999999999999",
		"1,5",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		double v = -1;
		if (!conf_duration(good[i].s, &v))
			fail_msg("'%s' refused", good[i].s);
		assert_true(v == good[i].v);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		double v = -1;
		if (conf_duration(bad[i], &v))
			fail_msg("'%s' accepted as %g", bad[i], v);
		assert_true(v == -1);
	}
	double v = -1;
	assert_false(conf_duration(NULL, &v));
	assert_true(conf_duration("1.23456789012345s", &v)); /* 15 digits */
	assert_true(v == 1.23456789012345);
	assert_true(conf_duration("315576000000ms", &v)); /* 10 years */
	assert_true(v == 315576000);
	assert_false(conf_duration("315576000001ms", &v));
	assert_false(conf_duration("1.234567890123456", &v)); /* 16 */
}

static void uints(void **state)
{
	(void)state;
	char max[32], over[32];
	snprintf(max, sizeof max, "%lu", ULONG_MAX);
	/* ULONG_MAX + 1, by incrementing the decimal string. */
	{
		size_t n = strlen(max);
		memcpy(over, max, n + 1);
		size_t i = n;
		while (i > 0 && over[i - 1] == '9')
			over[--i] = '0';
		assert_true(i > 0);
		over[i - 1]++;
	}
	unsigned long v = 7;
	assert_true(conf_uint("0", 0, 10, &v));
	assert_int_equal(v, 0);
	assert_true(conf_uint("42", 0, 100, &v));
	assert_int_equal(v, 42);
	assert_true(conf_uint("0042", 0, 100, &v));
	assert_int_equal(v, 42);
	assert_true(conf_uint("10", 10, 10, &v));
	assert_int_equal(v, 10);
	assert_true(conf_uint(max, 0, ULONG_MAX, &v));
	assert_true(v == ULONG_MAX);

	static const char
		*const bad[] = { "",   "-1",  "+1",  "0x10",  "5x",	 " 5",
				 "5 ", "1.0", "1e3", "1 000", "\xd9\xa1" /* Arabic-Indic one */ };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = 7;
		if (conf_uint(bad[i], 0, ULONG_MAX, &v))
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(v, 7);
	}
	v = 7;
	assert_false(conf_uint(over, 0, ULONG_MAX, &v));
	assert_false(conf_uint("99999999999999999999999999", 0, ULONG_MAX, &v));
	assert_false(conf_uint("9", 10, 20, &v));
	assert_false(conf_uint("21", 10, 20, &v));
	assert_false(conf_uint("0", 1, 20, &v));
	assert_false(conf_uint(NULL, 0, 20, &v));
	assert_int_equal(v, 7);
}

static void bools(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool v;
	} good[] = { { "yes", true },  { "no", false },	   { "on", true }, { "off", false },
		     { "true", true }, { "false", false }, { "1", true },  { "0", false } };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		bool v = !good[i].v;
		if (!conf_bool(good[i].s, &v))
			fail_msg("'%s' refused", good[i].s);
		assert_true(v == good[i].v);
	}
	static const char *const bad[] = { "",	 "y",  "n",    "Yes", "YES",   "ON",	"2",
					   "00", "01", "yes ", " no", "maybe", "truex", "enable" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		bool v = true;
		if (conf_bool(bad[i], &v))
			fail_msg("'%s' accepted", bad[i]);
		assert_true(v);
	}
	bool v = true;
	assert_false(conf_bool(NULL, &v));
}

static void errors_and_accessors(void **state)
{
	(void)state;
	char err[ERRLEN];
	conf *c = parse("a\n\nserver\n", err);
	assert_non_null(c);
	const struct conf_line *l = conf_get(c, 1);
	assert_non_null(l);
	conf_error(l, err, sizeof err, "'%s' needs a host name, e.g. '%s time.example.net'",
		   l->argv[0], l->argv[0]);
	assert_string_equal(err,
			    "t.conf:3: 'server' needs a host name, e.g. 'server time.example.net'");
	char small[12];
	conf_error(l, small, sizeof small, "%s", "a long message");
	assert_string_equal(small, "t.conf:3: a");
	char tiny[4];
	conf_error(l, tiny, sizeof tiny, "x");
	assert_string_equal(tiny, "t.c");
	conf_error(l, NULL, 0, "x"); /* nothing to write to */
	conf_error(NULL, err, sizeof err, "no line %d", 5);
	assert_string_equal(err, "no line 5");
	assert_null(conf_get(c, 2));
	assert_null(conf_get(c, SIZE_MAX));
	conf_free(c);
	assert_null(conf_get(NULL, 0));
	assert_int_equal(conf_count(NULL), 0);
	conf_free(NULL);

	/* Errors into small or absent buffers. */
	char *copy = malloc(4);
	assert_non_null(copy);
	memcpy(copy, "a\"b\n", 4);
	assert_null(conf_parse("t.conf", copy, 4, NULL, 0));
	assert_null(conf_parse("t.conf", copy, 4, small, sizeof small));
	assert_string_equal(small, "t.conf:1: q");
	assert_null(conf_parse("t.conf", copy, 4, tiny, 1));
	assert_string_equal(tiny, "");
	free(copy);
	assert_null(conf_parse(NULL, "a", 1, err, sizeof err));
	assert_null(conf_parse("t.conf", NULL, 1, err, sizeof err));
	assert_null(conf_read(NULL, err, sizeof err));
	assert_null(conf_read("", err, sizeof err));
}

/* ---- 6. random input ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static size_t rnd_below(size_t n)
{
	return (size_t)(rnd() % n);
}

/* Invariants of any result: as in tests/fuzz/fuzz_conf.c. */
static void check_result(conf *c, const char *err, const char *text, size_t len)
{
	if (!c) {
		if (strncmp(err, "r.conf:", 7) != 0 || strlen(err) < 10)
			fail_msg("bad message '%s'", err);
		return;
	}
	assert_null(memchr(text, 0, len));
	size_t newlines = 0;
	for (size_t i = 0; i < len; i++)
		newlines += text[i] == '\n';
	unsigned last = 0;
	for (size_t i = 0; i < conf_count(c); i++) {
		const struct conf_line *l = conf_get(c, i);
		assert_non_null(l);
		assert_string_equal(l->file, "r.conf");
		assert_true(l->line > last && l->line <= newlines + 1);
		last = l->line;
		assert_true(l->argc >= 1);
		for (size_t k = 0; k < l->argc; k++) {
			assert_non_null(l->argv[k]);
			assert_true(strlen(l->argv[k]) <= 4096);
		}
		assert_null(l->argv[l->argc]);
	}
}

static void random_inputs(void **state)
{
	(void)state;
	static const char *const pieces[] = {
		"a",
		"server",
		" ",
		"\t",
		"\n",
		"\r\n",
		"\r",
		"#",
		"\"",
		"\\",
		"\\\"",
		"\\\\",
		"\0",
		"\x7f",
		"\x01",
		"\xc3\xa9",
		"\xc3",
		"\xa9",
		"\xff",
		"\xf0\x9f\x98\x80",
		"\xed\xa0\x80",
		"\"a b\"",
		"60s",
		"  ",
		"x#y",
		"\"#\"",
		"incl",
		"ude",
	};
	rng_state = test_seed * 2654435761u + 1;
	unsigned long ok = 0;
	for (int iter = 0; iter < 10000; iter++) {
		char buf[600];
		size_t len = 0, want = rnd_below(rnd_below(2) ? 24 : sizeof buf - 8);
		while (len < want) {
			const char *p = pieces[rnd_below(sizeof pieces / sizeof pieces[0])];
			size_t pl = p[0] == '\0' ? 1 : strlen(p);
			if (len + pl > want)
				break;
			memcpy(buf + len, p, pl);
			len += pl;
		}
		if (rnd_below(4) == 0) /* some raw bytes */
			for (size_t i = 0; i < len; i++)
				if (rnd_below(16) == 0)
					buf[i] = (char)rnd();
		for (size_t i = 0; i + 7 <= len; i++) /* no includes */
			if (memcmp(buf + i, "include", 7) == 0)
				buf[i + 6] = 'E';
		char *copy = malloc(len ? len : 1);
		assert_non_null(copy);
		if (len)
			memcpy(copy, buf, len);
		char err[ERRLEN];
		conf *c = conf_parse("r.conf", copy, len, err, sizeof err);
		check_result(c, err, copy, len);
		ok += c != NULL;
		conf_free(c);
		free(copy);

		/* The value helpers on a short random word. */
		char w[12];
		size_t wl = rnd_below(sizeof w);
		for (size_t i = 0; i < wl; i++)
			w[i] = "0123456789.smhdx-+ e"[rnd_below(20)];
		w[wl] = '\0';
		double d = -1;
		unsigned long u = 0;
		bool b;
		if (conf_duration(w, &d))
			assert_true(d > 0 && d <= 315576000);
		if (conf_uint(w, 5, 500, &u))
			assert_true(u >= 5 && u <= 500);
		if (conf_bool(w, &b))
			assert_true(strcmp(w, "0") == 0 || strcmp(w, "1") == 0);
	}
	printf("test_conf: random texts accepted: %lu of 10000\n", ok);
	assert_true(ok > 100 && ok < 9900); /* both paths were taken */
}

/* Random well-formed lines, written with quotes where needed, read back. */
static void random_round_trip(void **state)
{
	(void)state;
	static const char *const chars[] = { "a",  "b", "/",  ".",  ":",	" ",
					     "\t", "#", "\"", "\\", "\xc3\xa9", "\xe2\x98\x83",
					     "-" };
	rng_state = test_seed * 40503u + 7;
	for (int iter = 0; iter < 2000; iter++) {
		enum { LINES = 8, WORDS = 6, WLEN = 24 };
		char words[LINES][WORDS][WLEN * 3 + 1];
		size_t nwords[LINES];
		unsigned lineno[LINES];
		char text[LINES * (WORDS * (WLEN * 6 + 8) + 32)];
		size_t len = 0, nlines = rnd_below(LINES) + 1;
		unsigned phys = 0;
		for (size_t li = 0; li < nlines; li++) {
			for (int k = 0; k < 3 && rnd_below(3) == 0; k++) { /* blank, comment */
				len += (size_t)snprintf(text + len, sizeof text - len, "%s",
							rnd_below(2) ? " # c \"\n" : "\t\n");
				phys++;
			}
			nwords[li] = rnd_below(WORDS) + 1;
			for (size_t wi = 0; wi < nwords[li]; wi++) {
				char *w = words[li][wi];
				size_t wl = 0, n = rnd_below(WLEN);
				bool quote = n == 0 || rnd_below(4) == 0;
				for (size_t k = 0; k < n; k++) {
					const char *ch =
						chars[rnd_below(sizeof chars / sizeof chars[0])];
					memcpy(w + wl, ch, strlen(ch));
					wl += strlen(ch);
					if (strchr(" \t#\"", ch[0]))
						quote = true;
				}
				w[wl] = '\0';
				if (wi == 0 && strcmp(w, "include") == 0)
					w[0] = 'I';
				text[len++] = wi == 0 && rnd_below(2) ? '\t' : ' ';
				if (quote)
					text[len++] = '"';
				for (size_t k = 0; k < wl; k++) {
					if (quote && (w[k] == '"' || w[k] == '\\'))
						text[len++] = '\\';
					text[len++] = w[k];
				}
				if (quote)
					text[len++] = '"';
			}
			if (rnd_below(3) == 0)
				len += (size_t)snprintf(text + len, sizeof text - len, " #x\"\\");
			if (rnd_below(2))
				text[len++] = '\r';
			text[len++] = '\n';
			lineno[li] = ++phys;
			assert_true(len < sizeof text - 64);
		}
		char *copy = malloc(len);
		assert_non_null(copy);
		memcpy(copy, text, len);
		char err[ERRLEN];
		conf *c = conf_parse("r.conf", copy, len, err, sizeof err);
		if (!c)
			fail_msg("'%.*s': %s", (int)len, text, err);
		assert_int_equal(conf_count(c), nlines);
		for (size_t li = 0; li < nlines; li++) {
			const struct conf_line *l = conf_get(c, li);
			assert_int_equal(l->line, lineno[li]);
			assert_int_equal(l->argc, nwords[li]);
			for (size_t wi = 0; wi < nwords[li]; wi++)
				assert_string_equal(l->argv[wi], words[li][wi]);
		}
		conf_free(c);
		free(copy);
	}
}

int main(void)
{
	const char *env = getenv("TEST_SEED");
	test_seed = env && *env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	printf("test_conf: random seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n",
	       test_seed, test_seed);
	fflush(stdout);

	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(words_and_lines),
		cmocka_unit_test(comments),
		cmocka_unit_test(quotes_and_escapes),
		cmocka_unit_test(crlf),
		cmocka_unit_test(syntax_rejections),
		cmocka_unit_test(line_length),
		cmocka_unit_test(line_count),
		cmocka_unit_test(size_limit),
		cmocka_unit_test(include_relative),
		cmocka_unit_test(include_glob),
		cmocka_unit_test(include_errors),
		cmocka_unit_test(include_depth_and_cycles),
		cmocka_unit_test(include_limits),
		cmocka_unit_test(durations),
		cmocka_unit_test(uints),
		cmocka_unit_test(bools),
		cmocka_unit_test(errors_and_accessors),
		cmocka_unit_test(random_inputs),
		cmocka_unit_test(random_round_trip),
	};
	return cmocka_run_group_tests_name("conf", tests, setup_tmp, teardown_tmp);
}
