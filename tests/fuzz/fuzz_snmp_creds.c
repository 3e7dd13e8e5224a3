/* fuzz_snmp_creds.c - libFuzzer harness for the SNMP credentials file and
 * dotted OIDs (net/snmp_client).
 *
 * The input is parsed as a credentials file "fuzz.creds" with
 * snmp_client_creds_parse(), and each of its lines as an OID with
 * snmp_client_oid_parse().
 *
 * Besides not crashing: a refused file gives -EINVAL, a message that starts
 * with "fuzz.creds:" and a wiped result; an accepted one is either a
 * community of 1 to 255 printable octets or a user of 1 to 32 with both
 * passphrases of 8 to 256, and no message ever holds a passphrase or
 * community of 8 octets or more.  An accepted OID has 2 to 128 arcs, the
 * first 0 to 2, and formats back to the input without its leading dot.
 *
 * Seed corpus: tests/fuzz/corpus/snmp_creds/.  Without libFuzzer,
 * tests/fuzz/replay.c runs the corpus. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/snmp_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static bool zeroed(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

static void check_secret_absent(const char *err, const char *secret)
{
	if (strlen(secret) >= 8)
		check(strstr(err, secret) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snmp_client_creds c;
	char err[512];
	int rc = snmp_client_creds_parse("fuzz.creds", (const char *)data, size, &c, err,
					 sizeof err);
	if (rc != 0) {
		check(rc == -EINVAL);
		check(strncmp(err, "fuzz.creds:", 11) == 0);
		check(zeroed(&c, sizeof c));
	} else if (c.version == SNMP_CLIENT_V2C) {
		size_t n = strlen(c.community);
		check(n >= 1 && n <= SNMP_CLIENT_COMMUNITY_MAX);
		check(c.user[0] == '\0');
	} else {
		check(c.version == SNMP_CLIENT_V3);
		size_t u = strlen(c.user), a = strlen(c.auth_pass), p = strlen(c.priv_pass);
		check(u >= 1 && u <= SNMP_CLIENT_USER_MAX);
		check(a >= SNMP_CLIENT_PASS_MIN && a <= SNMP_CLIENT_PASS_MAX);
		check(p >= SNMP_CLIENT_PASS_MIN && p <= SNMP_CLIENT_PASS_MAX);
	}
	/* A second, broken copy: what it says must not show the secrets. */
	if (rc == 0 && size > 0) {
		char *t = malloc(size + 8);
		check(t != NULL);
		memcpy(t, data, size);
		memcpy(t + size, "\nbogus\n", 7);
		struct snmp_client_creds d;
		check(snmp_client_creds_parse("fuzz.creds", t, size + 7, &d, err, sizeof err) ==
		      -EINVAL);
		check_secret_absent(err, c.community);
		check_secret_absent(err, c.auth_pass);
		check_secret_absent(err, c.priv_pass);
		free(t);
	}
	snmp_client_creds_wipe(&c);

	/* Each line as an OID. */
	size_t start = 0;
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		size_t n = i - start;
		if (n < 2000) {
			char line[2000];
			memcpy(line, data + start, n);
			line[n] = '\0';
			struct snmp_client_oid o;
			if (memchr(line, '\0', n) == NULL && snmp_client_oid_parse(line, &o)) {
				check(o.len >= 2 && o.len <= SNMP_CLIENT_OID_MAX);
				check(o.arc[0] <= 2);
				char back[SNMP_CLIENT_OID_TEXT_MAX];
				check(snmp_client_oid_format(&o, back, sizeof back) < sizeof back);
				check(strcmp(back, line[0] == '.' ? line + 1 : line) == 0);
			}
		}
		start = i + 1;
	}
	return 0;
}
