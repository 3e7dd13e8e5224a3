/* fuzz_conf.c - libFuzzer harness for the configuration-file reader
 * (common/conf).
 *
 * The input is handed to conf_parse() as is, without a terminating NUL.
 * Includes would read files of the machine, so every "include" in the input
 * is first turned into "includE" (a word can only be the directive if it
 * holds those seven octets in a row: the only escapes are \" and \\).
 *
 * Besides not crashing: an error is reported as "fuzz.conf:" + line + ": "
 * or "fuzz.conf: "; input with a NUL octet is refused; every line is in
 * fuzz.conf, with argc >= 1, non-NULL words of at most 4096 octets and
 * argv[argc] NULL, and the line numbers ascend and are within the input;
 * the value helpers accept only values in range.
 *
 * Seed corpus: tests/fuzz/corpus/conf/.  Without libFuzzer, tests/fuzz/replay.c
 * runs the corpus. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

/* The value helpers on every word: a value they accept is in range. */
static void check_values(const char *word)
{
	double d = -1;
	unsigned long u = 0;
	bool b;
	if (conf_duration(word, &d))
		check(d > 0 && d <= 10 * 365.25 * 86400);
	if (conf_uint(word, 10, 1000, &u))
		check(u >= 10 && u <= 1000 && word[0] >= '0' && word[0] <= '9');
	if (conf_bool(word, &b))
		check(strlen(word) <= 5);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char name[] = "fuzz.conf";
	char *text = calloc(1, size ? size : 1);
	check(text != NULL);
	if (size)
		memcpy(text, data, size);
	for (size_t i = 0; i + 7 <= size; i++)
		if (memcmp(text + i, "include", 7) == 0)
			text[i + 6] = 'E';

	size_t newlines = 0;
	for (size_t i = 0; i < size; i++)
		newlines += text[i] == '\n';

	char err[512];
	conf *c = conf_parse(name, text, size, err, sizeof err);
	if (!c) {
		size_t nl = strlen(name);
		check(strncmp(err, name, nl) == 0 && err[nl] == ':');
		check(err[nl + 1] == ' ' || (err[nl + 1] >= '1' && err[nl + 1] <= '9'));
		check(strlen(err) > nl + 2);
	} else {
		check(memchr(text, 0, size) == NULL);
		unsigned last = 0;
		for (size_t i = 0; i < conf_count(c); i++) {
			const struct conf_line *l = conf_get(c, i);
			check(l != NULL && l->file != NULL && strcmp(l->file, name) == 0);
			check(l->line > last && l->line <= newlines + 1);
			last = l->line;
			check(l->argc >= 1 && l->argv != NULL && l->argv[l->argc] == NULL);
			check(strcmp(l->argv[0], "include") != 0);
			for (size_t k = 0; k < l->argc; k++) {
				check(l->argv[k] != NULL && strlen(l->argv[k]) <= 4096);
				check_values(l->argv[k]);
			}
		}
		check(conf_get(c, conf_count(c)) == NULL);
		check(conf_count(c) <= 10000);
	}
	conf_free(c);

	free(text);
	return 0;
}
