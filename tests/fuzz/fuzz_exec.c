/* fuzz_exec.c - libFuzzer harness for the exec source's output parser
 * (sources/exec: exec_parse).
 *
 * The input is handed to exec_parse() as is, without a terminating NUL, as
 * the program's stdout would be.
 *
 * Besides not crashing or reading past the input: n <= EXEC_MAX_VALUES;
 * every name is [a-zA-Z_][a-zA-Z0-9_]* of 1 .. EXEC_NAME_MAX - 1 octets and
 * no two are equal; every value is finite; bad_lines is at most the number
 * of lines, and first_bad is empty exactly when it is 0 and otherwise
 * printable ASCII of at most 127 octets; and the values printed back as
 * "name %.17g" lines parse to the same names and values.
 *
 * Seed corpus: tests/fuzz/corpus/exec/.  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/exec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= EXEC_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") == n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct exec_result r, back;
	memset(&r, 0x5a, sizeof r);
	exec_parse((const char *)data, size, &r);

	size_t lines = 1;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	check(r.n <= EXEC_MAX_VALUES);
	check(r.bad_lines <= lines);
	size_t fb = strnlen(r.first_bad, sizeof r.first_bad);
	check(fb < sizeof r.first_bad);
	check((r.bad_lines == 0) == (fb == 0));
	for (size_t i = 0; i < fb; i++)
		check(r.first_bad[i] >= 0x20 && r.first_bad[i] < 0x7f);
	for (size_t i = 0; i < r.n; i++) {
		check(strnlen(r.v[i].name, EXEC_NAME_MAX) < EXEC_NAME_MAX);
		check(valid_name(r.v[i].name));
		check(isfinite(r.v[i].value));
		for (size_t k = 0; k < i; k++)
			check(strcmp(r.v[i].name, r.v[k].name) != 0);
	}

	/* Round trip: 256 lines of at most 63 + 1 + 24 + 1 octets. */
	static char text[EXEC_MAX_VALUES * 96];
	size_t len = 0;
	for (size_t i = 0; i < r.n; i++) {
		int w = snprintf(text + len, sizeof text - len, "%s %.17g\n", r.v[i].name,
				 r.v[i].value);
		check(w > 0 && (size_t)w < sizeof text - len);
		len += (size_t)w;
	}
	exec_parse(text, len, &back);
	check(back.n == r.n && back.bad_lines == 0);
	for (size_t i = 0; i < r.n; i++) {
		check(strcmp(back.v[i].name, r.v[i].name) == 0);
		check(back.v[i].value == r.v[i].value &&
		      signbit(back.v[i].value) == signbit(r.v[i].value));
	}
	return 0;
}
