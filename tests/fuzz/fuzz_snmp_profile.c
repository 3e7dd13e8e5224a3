/* fuzz_snmp_profile.c - libFuzzer harness for SNMP profile files and the
 * ms-string parser (sources/snmp_profile).
 *
 * The input is read by conf_parse() as the file "fuzz.profile" (every
 * "include" first turned into "includE", as in fuzz_conf.c, so that no file
 * of the machine is read) and handed to snmp_profile_from().  The same
 * octets are also given to snmp_profile_ms_string() as an agent's value.
 *
 * Besides not crashing: an error is reported as "fuzz.profile:" + what (or
 * "empty profile: ..." for input without lines) and leaves the profile
 * empty; an accepted profile has a name, objects, metric
 * names of [a-z0-9_] that start with "sundial_snmp_", counters ending in
 * "_total", sorted enums, key and mul indexes within their table; an
 * accepted ms-string is finite and within 1e6 s.
 *
 * Seed corpus: tests/fuzz/corpus/snmp_profile/.  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "sources/snmp_profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_object(const struct snmp_profile_object *o)
{
	check(strncmp(o->metric, "sundial_snmp_", 13) == 0);
	for (const char *c = o->metric; *c; c++)
		check((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
	size_t n = strlen(o->metric);
	bool counter = o->type == SNMP_PROFILE_COUNTER || o->type == SNMP_PROFILE_COUNTER64;
	check(counter == (n > 6 && strcmp(o->metric + n - 6, "_total") == 0));
	check(o->oid.len >= 2 && o->oid.len <= SNMP_PROFILE_OID_MAX);
	check(isfinite(o->scale) && o->scale != 0);
	check(o->type != SNMP_PROFILE_ENUM || o->n_enums > 0);
	for (size_t i = 0; i < o->n_enums; i++) {
		if (i > 0)
			check(o->enums[i - 1].value < o->enums[i].value);
		const char *l = snmp_profile_enum_label(o, o->enums[i].value);
		check(l != NULL && strcmp(l, o->enums[i].label) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = calloc(1, size ? size : 1);
	check(text != NULL);
	if (size)
		memcpy(text, data, size);

	double v = NAN;
	if (snmp_profile_ms_string(text, size, &v) == SNMP_PROFILE_MS_OK)
		check(isfinite(v) && fabs(v) <= 1e6);

	for (size_t i = 0; i + 7 <= size; i++)
		if (memcmp(text + i, "include", 7) == 0)
			text[i + 6] = 'E';
	char err[512];
	conf *c = conf_parse("fuzz.profile", text, size, err, sizeof err);
	if (c) {
		struct snmp_profile p;
		if (snmp_profile_from(c, &p, err, sizeof err) == 0) {
			check(p.name[0] != '\0' && p.n_scalar + p.n_table > 0);
			for (size_t i = 0; i < p.n_scalar; i++)
				check_object(&p.scalar[i]);
			for (size_t t = 0; t < p.n_table; t++) {
				const struct snmp_profile_table *tb = &p.table[t];
				check(tb->n_col > 0 && tb->key <= tb->n_col);
				for (size_t k = 0; k < tb->n_col; k++) {
					check_object(&tb->col[k]);
					check(tb->col[k].mul <= k);
					check(tb->col[k].oid.len == tb->entry.len + 1);
				}
			}
		} else {
			check((strncmp(err, "fuzz.profile:", 13) == 0 && strlen(err) > 15) ||
			      strncmp(err, "empty profile: ", 15) == 0);
			check(p.scalar == NULL && p.table == NULL && p.n_scalar == 0);
		}
		snmp_profile_free(&p);
		conf_free(c);
	}
	free(text);
	return 0;
}
