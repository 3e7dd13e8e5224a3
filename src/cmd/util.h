/* util.h - helpers shared by the subcommands: option values, usage errors,
 * Prometheus label escaping and Nagios state ordering. */
#ifndef SUNDIAL_CMD_UTIL_H
#define SUNDIAL_CMD_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Parses a finite number in [min, max]; false if malformed or out of range. */
bool cmd_parse_double(const char *s, double min, double max, double *out);

/* Prints "sundial CMD: <message>" and where to find the options on stderr;
 * returns 64 (EX_USAGE). */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Escapes a Prometheus label value (backslash, quote, newline) into out. */
void cmd_prom_escape(const char *s, char *out, size_t len);

/* The worse of two Nagios states: CRITICAL (2) > WARNING (1) > UNKNOWN (3) > OK (0). */
int cmd_nagios_worse(int a, int b);

#endif
