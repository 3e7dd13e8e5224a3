/* util.c - helpers shared by the subcommands; see util.h. */
#include "cmd/util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

bool cmd_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "sundial %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n'sundial %s --help' lists the options.\n", cmd);
	va_end(ap);
	return 64;
}

void cmd_prom_escape(const char *s, char *out, size_t len)
{
	size_t k = 0;
	if (len == 0)
		return;
	for (; *s && k + 3 < len; s++) {
		if (*s == '\\' || *s == '"') {
			out[k++] = '\\';
			out[k++] = *s;
		} else if (*s == '\n') {
			out[k++] = '\\';
			out[k++] = 'n';
		} else {
			out[k++] = *s;
		}
	}
	out[k] = '\0';
}

int cmd_nagios_worse(int a, int b)
{
	static const int rank[] = { 0, 2, 3, 1 };
	if (a < 0 || a > 3)
		return b;
	if (b < 0 || b > 3)
		return a;
	return rank[b] > rank[a] ? b : a;
}
