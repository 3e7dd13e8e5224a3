/* exec.h - the collector's `exec` source: runs a program that prints
 * "name value" lines (the seed's "or whatever": a power meter, a UPS, a
 * script) and takes the values.
 *
 * The program runs without a shell (execv of an absolute path with its
 * arguments), stdin from /dev/null, stdout read up to a limit, stderr kept
 * (its first line reported on failure); it is killed (SIGTERM, then SIGKILL
 * 1 s later) when it runs past its timeout.  It leads its own process
 * group: the kills reach what it started, and once it has exited whatever
 * it left behind in that group is killed (SIGKILL) too.  A sample blocks
 * (at most timeout + 1 s, plus the time to reap a killed process): it is
 * called from the source's own thread.
 *
 * Output: one "name value" per line, separated by blanks (spaces, tabs),
 * blanks allowed around; a line may end in CRLF.  The name is
 * [a-zA-Z_][a-zA-Z0-9_]* of at most EXEC_NAME_MAX - 1 octets; the value a
 * finite decimal number as strtod() reads it in the C locale, the whole
 * token (at most 255 octets), without hex floats, inf or nan (1e400 is
 * refused; 1e-400 is 0).  Blank lines and lines whose first non-blank is
 * '#' are skipped; anything else (a trailing comment too) is a bad line.
 * A name given again replaces its value (the last one wins). */
#ifndef SUNDIAL_SOURCES_EXEC_H
#define SUNDIAL_SOURCES_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "sources/source.h"

#define EXEC_MAX_OUTPUT 65536 /* octets of stdout read; more is an error */
#define EXEC_MAX_VALUES 256
#define EXEC_NAME_MAX 64

struct exec_value {
	char name[EXEC_NAME_MAX]; /* [a-zA-Z_][a-zA-Z0-9_]*, NUL-terminated (a metric name part) */
	double value;		  /* finite */
};

struct exec_result {
	struct exec_value v[EXEC_MAX_VALUES];
	size_t n;
	size_t bad_lines;    /* lines that are not "name value" (blank ones are fine) */
	char first_bad[128]; /* the first of them, for the log (truncated; anything but
			      * printable ASCII as '?') */
	int exit_status;     /* the program's exit status, -1 if it did not exit */
	bool timed_out;
};

/* Runs path with args (NULL-terminated, without argv[0]; may be NULL) for at
 * most timeout seconds.  Returns 0 if it exited 0 and its output was read
 * (bad lines are counted, not fatal), or a negative errno: -ETIMEDOUT (it
 * was killed), -E2BIG (output over the limit, or more than EXEC_MAX_VALUES
 * values), -ECHILD (a non-zero exit or a signal), -ENOENT / -EACCES (or
 * another errno of execv: it could not be started), -EINVAL (path not
 * absolute, timeout not positive), or the errno of a failed pipe or fork.
 * err (errlen octets, may be NULL) says it for people: "exited N: <first
 * line of stderr>", "killed by signal N", ...; "" on success.  out is
 * always filled with what was read, but its values are for use only when 0
 * is returned. */
int exec_sample(const char *path, char *const *args, double timeout, struct exec_result *out,
		char *err, size_t errlen) __attribute__((warn_unused_result));
/* The same with envp (NULL-terminated "NAME=VALUE" strings, borrowed for the
 * call) as the program's whole environment; envp NULL: the collector's. */
int exec_sample_env(const char *path, char *const *args, char *const *envp, double timeout,
		    struct exec_result *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Parses output text (len octets as the program printed it, not
 * NUL-terminated, any octets) into out (n, v, bad_lines, first_bad; the rest
 * untouched).  At EXEC_MAX_VALUES names it stops taking new ones and
 * counts their lines as bad.  Used by exec_sample; public for tests and
 * fuzzing. */
void exec_parse(const char *text, size_t len, struct exec_result *out);

/* The collector's `exec` source: exec_sample() with the configured
 * arguments and timeout, each value as sundial_exec_<name>. */
extern const struct source_ops exec_source;

#endif
