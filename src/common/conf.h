/* conf.h - the configuration-file reader: lines of words, ntp.conf/chrony.conf style.
 *
 * One directive per line; words are separated by blanks (spaces, tabs); '#'
 * outside quotes starts a comment to the end of the line.  A word may be
 * double-quoted to hold blanks or '#'; inside quotes only \" and \\ are
 * escapes, any other backslash is an error, and so is a quote left open at
 * the end of the line or a quote in the middle of an unquoted word.  Lines
 * end in LF or CRLF and hold at most 4096 octets of valid UTF-8 without NUL
 * or other control characters than tab.  Blank and comment-only lines are
 * skipped.
 *
 * "include PATH" reads another file in its place: a relative PATH is taken
 * relative to the directory of the including file; a PATH with '*', '?' or
 * '[' is a glob(3) pattern whose matches are read in sorted order (no match
 * is fine; a missing plain file is an error).  Includes nest at most 8 deep
 * and must not form a cycle (compared by device and inode).  At most 10,000
 * lines and 1 MiB over all files.
 */
#ifndef SUNDIAL_COMMON_CONF_H
#define SUNDIAL_COMMON_CONF_H

#include <stdbool.h>
#include <stddef.h>

struct conf_line {
	const char *file; /* as named (the path given or the include path as resolved) */
	unsigned line;	  /* 1-based */
	size_t argc;	  /* >= 1: argv[0] is the directive */
	char **argv;	  /* argv[argc] is NULL */
};

typedef struct conf conf; /* owns everything */

/* Reads path and its includes.  NULL on error with err = "FILE:LINE: what was
 * expected" (or "FILE: <strerror>" when it cannot be opened). */
conf *conf_read(const char *path, char *err, size_t errlen) __attribute__((warn_unused_result));

/* The same from a string named name (includes resolved relative to the
 * current directory).  text need not be NUL-terminated. */
conf *conf_parse(const char *name, const char *text, size_t len, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Number of directive lines, in file order with includes in place. */
size_t conf_count(const conf *c);

/* Line i (0-based), or NULL past the end.  Borrowed until conf_free(). */
const struct conf_line *conf_get(const conf *c, size_t i);

void conf_free(conf *c); /* accepts NULL */

/* Value helpers for the directive parsers; each returns false on a malformed
 * value and then leaves *out alone. */
/* "60", "60s", "5m", "1h", "1d", "500ms", "1.5s"; > 0, <= 10 years (3652.5 days);
 * at most 15 digits. */
bool conf_duration(const char *s, double *seconds) __attribute__((warn_unused_result));
/* Decimal digits only (no sign, blank or 0x), min <= value <= max. */
bool conf_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
	__attribute__((warn_unused_result));
/* yes/no, on/off, true/false, 1/0 (lower case). */
bool conf_bool(const char *s, bool *out) __attribute__((warn_unused_result));

/* A word as shown in an error message: at most CONF_QUOTE_MAX octets
 * (then "..."), every octet that is not printable ASCII as '?'.  Returned
 * by value, so that a message can quote several words. */
#define CONF_QUOTE_MAX 40
struct conf_quoted {
	char s[CONF_QUOTE_MAX + 4];
};
struct conf_quoted conf_quote(const char *w);

/* Formats an error about line l into err: "FILE:LINE: " + the message. */
void conf_error(const struct conf_line *l, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
