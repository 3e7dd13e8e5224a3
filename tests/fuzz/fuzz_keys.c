/* fuzz_keys.c - libFuzzer harness for the key-file parser (auth/keys).
 *
 * The input is handed over as is, without a terminating NUL, in all three
 * formats.  Besides not crashing, the parser must report every error with a
 * "name:line: " message and only ever keep usable keys. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum keyfile_format fmts[] = { KEYFILE_AUTO, KEYFILE_NTP, KEYFILE_CHRONY };
	for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		char err[256];
		keyring *kr = keyring_new();
		int rc = keyring_parse(kr, (const char *)data, size, "fuzz.keys", fmts[i], err,
				       sizeof err);
		if (rc != 0 && (rc != -EINVAL || strncmp(err, "fuzz.keys:", 10) != 0))
			abort();
		if (rc == 0 && memchr(data, 0, size))
			abort();
		for (uint32_t id = 0; id < 256; id++) {
			const struct key *k = keyring_find(kr, id);
			if (!k)
				continue;
			if (k->id != id || id == 0 || k->len == 0 || k->len > KEY_MAX_SECRET)
				abort();
			if ((k->alg == KEY_ALG_AES128_CMAC && k->len != 16) ||
			    (k->alg == KEY_ALG_AES256_CMAC && k->len != 32))
				abort();
		}
		keyring_free(kr);
	}
	return 0;
}
