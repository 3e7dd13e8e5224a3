/* test_keys.c - ntp.keys and chrony.keys parsing (auth/keys).
 *
 * The samples follow ntp.keys(5) (NTPsec docs/includes/ntp.keys-body.adoc,
 * libntp/authreadkeys.c) and chrony.conf(5) "keyfile" (whose example is
 * reused verbatim); the rules are listed at the top of src/auth/keys.c.
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
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth/keys.h"

static int parse_n(keyring *kr, const char *text, size_t len, enum keyfile_format fmt, char *err,
		   size_t errlen)
{
	char *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, text, len);
	int rc = keyring_parse(kr, copy, len, "t.keys", fmt, err, errlen);
	free(copy);
	return rc;
}

static int parse(keyring *kr, const char *text, enum keyfile_format fmt, char *err, size_t errlen)
{
	return parse_n(kr, text, strlen(text), fmt, err, errlen);
}

static void expect_key(const keyring *kr, uint32_t id, enum key_alg alg, const void *secret,
		       size_t len)
{
	const struct key *k = keyring_find(kr, id);
	if (!k)
		fail_msg("key %" PRIu32 " not found", id);
	assert_int_equal(k->id, id);
	assert_int_equal(k->alg, alg);
	assert_int_equal(k->len, len);
	assert_memory_equal(k->secret, secret, len);
}

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void expect_hex_key(const keyring *kr, uint32_t id, enum key_alg alg, const char *hex)
{
	uint8_t b[KEY_MAX_SECRET];
	size_t n = unhex(hex, b);
	expect_key(kr, id, alg, b, n);
}

#define H20 "933F62BE1D604E68A81B557F18CFA200483F5B70"
#define H16 "7EA62AE64D190114D46D5A082F948EC1"
#define H32 "37DDCBC67BB902BCB8E995977FAB4D2B5642F5B32EBCEEE421921D97E5CBFE39"

static const char ntp_sample[] =
	"# ntp.keys: KEYID TYPE KEY; keys of up to 20 characters are ASCII\n"
	"\n"
	"1 M tulip\n"
	"2 md5 hyacinth   # a comment after the key\n"
	"3 SHA1 crocus#a comment right after the key\n"
	"4 SHA1 " H20 "\n"
	"5 SHA-1 01234567890123456789\n" /* 20 digits: still ASCII */
	"6 SHA256 " H32 "\n"
	"7 AES128CMAC " H16 "\n"
	"8 AES 7ea62ae64d190114d46d5a082f948ec1\n"
	"9 aes-128 0123456789abcdef\n" /* 16 ASCII octets */
	"10 AES-256 " H32 "\n"
	"\t11\tMD5\tdaffodil\t\r\n"
	"12 MD5 " H20 " 127.0.0.1,192.168.0.0/16\n" /* NTP classic IP list */
	"   # indented comment\n"
	"4294967295 SHA256 max-id"; /* no final newline */

static void check_ntp_sample(const keyring *kr)
{
	assert_int_equal(keyring_count(kr), 13);
	expect_key(kr, 1, KEY_ALG_MD5, "tulip", 5);
	expect_key(kr, 2, KEY_ALG_MD5, "hyacinth", 8);
	expect_key(kr, 3, KEY_ALG_SHA1, "crocus", 6);
	expect_hex_key(kr, 4, KEY_ALG_SHA1, H20);
	expect_key(kr, 5, KEY_ALG_SHA1, "01234567890123456789", 20);
	expect_hex_key(kr, 6, KEY_ALG_SHA256, H32);
	expect_hex_key(kr, 7, KEY_ALG_AES128_CMAC, H16);
	expect_hex_key(kr, 8, KEY_ALG_AES128_CMAC, H16);
	expect_key(kr, 9, KEY_ALG_AES128_CMAC, "0123456789abcdef", 16);
	expect_hex_key(kr, 10, KEY_ALG_AES256_CMAC, H32);
	expect_key(kr, 11, KEY_ALG_MD5, "daffodil", 8);
	expect_hex_key(kr, 12, KEY_ALG_MD5, H20);
	expect_key(kr, 4294967295u, KEY_ALG_SHA256, "max-id", 6);
	assert_null(keyring_find(kr, 13));
	assert_null(keyring_find(kr, 0));
}

static void ntp_keys_sample(void **state)
{
	(void)state;
	char err[256];
	keyring *kr = keyring_new();
	assert_int_equal(parse(kr, ntp_sample, KEYFILE_NTP, err, sizeof err), 0);
	assert_string_equal(err, "");
	check_ntp_sample(kr);
	keyring_free(kr);

	kr = keyring_new();
	assert_int_equal(parse(kr, ntp_sample, KEYFILE_AUTO, err, sizeof err), 0);
	check_ntp_sample(kr);
	keyring_free(kr);
}

/* chrony.conf(5) "keyfile" example, plus comments and edge cases. */
static const char chrony_sample[] =
	"10 tulip\n"
	"11 hyacinth\n"
	"20 MD5 ASCII:crocus\n"
	"25 SHA1 HEX:" H20 "\n"
	"26 SHA256 HEX:37ddcbc67bb902bcb8e995977fab4d2b5642f5b32ebceee421921d97e5cbfe39\n"
	"30 AES128 HEX:" H16 "\n"
	"31 AES256 HEX:" H32 "\n"
	"# hash comment\n"
	"  ! bang comment\n"
	"; semicolon comment\n"
	"% percent comment\n"
	"\n"
	"40 SHA1 pass#word\n"		  /* '#' is part of an ASCII key */
	"41 MD5 " H20 "\r\n"		  /* no HEX: prefix: 40 ASCII characters */
	"4294967295 MD5 ASCII:ASCII:x\n"; /* only the first prefix is removed */

static void check_chrony_sample(const keyring *kr)
{
	assert_int_equal(keyring_count(kr), 10);
	expect_key(kr, 10, KEY_ALG_MD5, "tulip", 5);
	expect_key(kr, 11, KEY_ALG_MD5, "hyacinth", 8);
	expect_key(kr, 20, KEY_ALG_MD5, "crocus", 6);
	expect_hex_key(kr, 25, KEY_ALG_SHA1, H20);
	expect_hex_key(kr, 26, KEY_ALG_SHA256, H32);
	expect_hex_key(kr, 30, KEY_ALG_AES128_CMAC, H16);
	expect_hex_key(kr, 31, KEY_ALG_AES256_CMAC, H32);
	expect_key(kr, 40, KEY_ALG_SHA1, "pass#word", 9);
	expect_key(kr, 41, KEY_ALG_MD5, H20, 40);
	expect_key(kr, 4294967295u, KEY_ALG_MD5, "ASCII:x", 7);
}

static void chrony_keys_sample(void **state)
{
	(void)state;
	char err[256];
	keyring *kr = keyring_new();
	assert_int_equal(parse(kr, chrony_sample, KEYFILE_CHRONY, err, sizeof err), 0);
	check_chrony_sample(kr);
	keyring_free(kr);

	kr = keyring_new();
	assert_int_equal(parse(kr, chrony_sample, KEYFILE_AUTO, err, sizeof err), 0);
	check_chrony_sample(kr);
	keyring_free(kr);
}

/* Which format KEYFILE_AUTO picks, seen through a key that the two formats
 * read differently: a 40-digit hex string is 20 octets in ntp.keys and 40
 * ASCII characters in chrony.keys. */
static void auto_detection(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		bool chrony;
	} cases[] = {
		{ "1 SHA1 " H20 "\n", false },
		{ "1 SHA1 " H20 "\n2 SHA1 HEX:" H20 "\n", true },    /* HEX: prefix */
		{ "1 SHA1 " H20 "\n2 SHA1 ASCII:x\n", true },	     /* ASCII: prefix */
		{ "1 SHA1 " H20 "\n2 tulip\n", true },		     /* no type */
		{ "1 SHA1 " H20 "\n2 AES128 HEX:" H16 "\n", true },  /* chrony name */
		{ "1 SHA1 " H20 "\n2 AES256 HEX:" H32 "\n", true },  /* chrony name */
		{ "1 SHA1 " H20 "\n# 2 SHA1 HEX:" H20 "\n", false }, /* in a comment */
		{ "1 SHA1 " H20 "\n2 AES128CMAC " H16 "\n", false }, /* ntpd name */
		{ "1 SHA1 " H20 " # HEX:00\n", false },		     /* in a comment */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char err[256];
		keyring *kr = keyring_new();
		int rc = parse(kr, cases[i].text, KEYFILE_AUTO, err, sizeof err);
		if (rc != 0)
			fail_msg("case %zu: %s", i, err);
		if (cases[i].chrony)
			expect_key(kr, 1, KEY_ALG_SHA1, H20, 40);
		else
			expect_hex_key(kr, 1, KEY_ALG_SHA1, H20);
		keyring_free(kr);
	}

	/* "1 MD5" is an ntp.keys line without its key, not chrony's key "MD5". */
	char err[256];
	keyring *kr = keyring_new();
	assert_int_equal(parse(kr, "1 MD5\n", KEYFILE_AUTO, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "key missing"));
	keyring_free(kr);

	/* An explicit format wins over the contents. */
	kr = keyring_new();
	assert_int_equal(parse(kr, "2 SHA1 HEX:" H20 "\n", KEYFILE_NTP, err, sizeof err), -EINVAL);
	keyring_free(kr);
}

/* A text, the format, the line of the error, a phrase the message must
 * contain, and secrets it must not contain. */
struct bad_case {
	const char *text;
	enum keyfile_format fmt;
	size_t line;
	const char *phrase;
	const char *secret;
};

static const struct bad_case bad_cases[] = {
	/* missing fields */
	{ "1 MD5\n", KEYFILE_NTP, 1, "key missing", NULL },
	{ "1 M tulip\n2\n", KEYFILE_NTP, 2, "type and key missing", NULL },
	{ "1\n", KEYFILE_CHRONY, 1, "key missing", NULL },
	/* key ids */
	{ "0 MD5 tulip\n", KEYFILE_NTP, 1, "key id 0 is reserved", "tulip" },
	{ "0 tulip\n", KEYFILE_CHRONY, 1, "key id 0 is reserved", "tulip" },
	{ "x1 MD5 tulip\n", KEYFILE_NTP, 1, "expected a key id", "tulip" },
	{ "-1 MD5 tulip\n", KEYFILE_NTP, 1, "expected a key id", "tulip" },
	{ "+1 MD5 tulip\n", KEYFILE_CHRONY, 1, "expected a key id", "tulip" },
	{ "1x MD5 tulip\n", KEYFILE_NTP, 1, "expected a key id", "tulip" },
	{ "4294967296 MD5 tulip\n", KEYFILE_NTP, 1, "expected a key id", "tulip" },
	{ "99999999999999999999999 tulip\n", KEYFILE_CHRONY, 1, "expected a key id", "tulip" },
	{ "tulip\n", KEYFILE_CHRONY, 1, "key missing", "tulip" },
	{ "secret1 MD5 secret2\n", KEYFILE_NTP, 1, "expected a key id", "secret" },
	/* types */
	{ "1 M tulip\n2 FOO tulip\n", KEYFILE_NTP, 2, "unknown key type for key 2", "tulip" },
	{ "1 mysecret tulip\n", KEYFILE_NTP, 1, "unknown key type", "mysecret" },
	{ "1 SHA512 tulip\n", KEYFILE_NTP, 1, "'SHA512' of key 1 is not supported", "tulip" },
	{ "1 SHA3-256 HEX:00\n", KEYFILE_CHRONY, 1, "'SHA3-256' of key 1 is not supported", NULL },
	{ "1 MD4 tulip\n", KEYFILE_NTP, 1, "not supported", "tulip" },
	{ "1 AES-192 tulip\n", KEYFILE_NTP, 1, "not supported", "tulip" },
	{ "1 AES128 HEX:" H16 "\n", KEYFILE_NTP, 1, "chrony.keys spelling", "7EA62A" },
	{ "1 AES128CMAC HEX:" H16 "\n", KEYFILE_CHRONY, 1, "ntp.keys spelling", "7EA62A" },
	{ "1 M tulip\n", KEYFILE_CHRONY, 1, "ntp.keys spelling", "tulip" },
	{ "1 sha1 tulip\n", KEYFILE_CHRONY, 1, "capitals", "tulip" },
	/* hex */
	{ "1 SHA1 933F62BE1D604E68A81B557F18CFA200483F5B7G\n", KEYFILE_NTP, 1, "not hex",
	  "933F62" },
	{ "1 SHA1 HEX:zz\n", KEYFILE_CHRONY, 1, "not hex", NULL },
	{ "1 SHA1 933F62BE1D604E68A81B557F18CFA200483F5B7\n", KEYFILE_NTP, 1, "odd number",
	  "933F62" },
	{ "1 SHA1 HEX:abc\n", KEYFILE_CHRONY, 1, "odd number", NULL },
	{ "1 SHA1 HEX:\n", KEYFILE_CHRONY, 1, "empty hex key", NULL },
	{ "1 SHA1 HEX:" H32 H32 "00\n", KEYFILE_CHRONY, 1, "longer than 64 octets", "37DDCB" },
	{ "1 SHA1 " H32 H32 "00\n", KEYFILE_NTP, 1, "longer than 64 octets", "37DDCB" },
	/* CMAC key lengths */
	{ "1 AES128CMAC " H20 "\n", KEYFILE_NTP, 1, "AES-128 key 1 must be 16 octets", "933F62" },
	{ "1 AES tulip\n", KEYFILE_NTP, 1, "AES-128 key 1 must be 16 octets", "tulip" },
	{ "1 AES-256 " H16 "\n", KEYFILE_NTP, 1, "AES-256 key 1 must be 32 octets", "7EA62A" },
	{ "1 AES256 HEX:" H16 "\n", KEYFILE_CHRONY, 1, "must be 32 octets", "7EA62A" },
	{ "1 AES128 HEX:" H32 "\n", KEYFILE_CHRONY, 1, "must be 16 octets", "37DDCB" },
	{ "1 AES128 0123456789abcdef0\n", KEYFILE_CHRONY, 1, "must be 16 octets", "0123456" },
	/* ASCII */
	{ "1 MD5 tulipsecrettulipsecret\n", KEYFILE_NTP, 1, "keys longer than 20", "tulipsec" },
	{ "1 MD5 ASCII:\n", KEYFILE_CHRONY, 1, "empty key", NULL },
	{ "1 MD5 "
	  "a123456789b123456789c123456789d123456789e123456789f123456789g1234\n",
	  KEYFILE_CHRONY, 1, "longer than 64 characters", "a123456789" },
	{ "1 MD5 tu\x01lip\n", KEYFILE_NTP, 1, "control character", "tu" },
	{ "1 MD5 tu\x7flip\n", KEYFILE_CHRONY, 1, "control character", "tu" },
	{ "1 MD5 tu\xc3\xa9lip\n", KEYFILE_NTP, 1, "non-ASCII", "tu" },
	/* extra fields */
	{ "1 MD5 my secret phrase\n", KEYFILE_NTP, 1, "unexpected text", "secret" },
	{ "1 MD5 tulip # comment\n", KEYFILE_CHRONY, 1, "unexpected text", "tulip" },
	/* duplicates */
	{ "1 M tulip\n\n1 SHA1 crocus\n", KEYFILE_NTP, 3, "key 1 is defined twice", "crocus" },
	{ "7 tulip\n7 crocus\n", KEYFILE_AUTO, 2, "key 7 is defined twice", "crocus" },
};

static void malformed_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		char err[256];
		char prefix[32];
		keyring *kr = keyring_new();
		int rc = parse(kr, c->text, c->fmt, err, sizeof err);
		if (rc != -EINVAL)
			fail_msg("case %zu: accepted", i);
		snprintf(prefix, sizeof prefix, "t.keys:%zu: ", c->line);
		if (strncmp(err, prefix, strlen(prefix)) != 0)
			fail_msg("case %zu: '%s' does not start with '%s'", i, err, prefix);
		if (!strstr(err, c->phrase))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, c->phrase);
		if (c->secret && strstr(err, c->secret))
			fail_msg("case %zu: '%s' shows key material", i, err);
		/* The keys before the bad line stay. */
		assert_int_equal(keyring_count(kr), c->line == 1 ? 0 : 1);
		keyring_free(kr);
	}
}

static void embedded_nul(void **state)
{
	(void)state;
	static const char text[] = "1 MD5 tulip\n2 MD5 cro\0cus\n3 MD5 x\n";
	char err[256];
	for (int fmt = KEYFILE_AUTO; fmt <= KEYFILE_CHRONY; fmt++) {
		keyring *kr = keyring_new();
		assert_int_equal(parse_n(kr, text, sizeof text - 1, (enum keyfile_format)fmt, err,
					 sizeof err),
				 -EINVAL);
		assert_string_equal(err, "t.keys:2: NUL byte in the line; a key file is text");
		assert_int_equal(keyring_count(kr), 1);
		keyring_free(kr);
	}
	/* Also in a comment. */
	keyring *kr = keyring_new();
	assert_int_equal(parse_n(kr, "# \0\n", 4, KEYFILE_NTP, err, sizeof err), -EINVAL);
	keyring_free(kr);
}

static void empty_and_odd_inputs(void **state)
{
	(void)state;
	char err[256];
	keyring *kr = keyring_new();
	assert_int_equal(parse_n(kr, NULL, 0, KEYFILE_AUTO, err, sizeof err), 0);
	assert_int_equal(parse(kr, "", KEYFILE_NTP, err, sizeof err), 0);
	assert_int_equal(parse(kr, "\n\n# only comments\n   \n", KEYFILE_CHRONY, err, sizeof err),
			 0);
	assert_int_equal(keyring_count(kr), 0);
	/* No room for a message: still an error, nothing written. */
	assert_int_equal(parse(kr, "0 M x\n", KEYFILE_NTP, NULL, 0), -EINVAL);
	err[0] = 'X';
	assert_int_equal(parse(kr, "0 M x\n", KEYFILE_NTP, err, 1), -EINVAL);
	assert_int_equal(err[0], '\0');
	/* A short buffer truncates the message. */
	assert_int_equal(parse(kr, "0 M x\n", KEYFILE_NTP, err, 8), -EINVAL);
	assert_string_equal(err, "t.keys:");
	/* Bad arguments. */
	assert_int_equal(keyring_parse(NULL, "1 M x", 5, "t", KEYFILE_NTP, err, sizeof err),
			 -EINVAL);
	assert_int_equal(
		keyring_parse(kr, "1 M x", 5, "t", (enum keyfile_format)7, err, sizeof err),
		-EINVAL);
	keyring_free(kr);
	keyring_free(NULL);
	assert_null(keyring_find(NULL, 1));
	assert_int_equal(keyring_count(NULL), 0);
}

static void parses_add_to_the_ring(void **state)
{
	(void)state;
	char err[256];
	keyring *kr = keyring_new();
	assert_int_equal(parse(kr, "1 M tulip\n", KEYFILE_NTP, err, sizeof err), 0);
	assert_int_equal(parse(kr, "2 crocus\n", KEYFILE_CHRONY, err, sizeof err), 0);
	assert_int_equal(keyring_count(kr), 2);
	assert_int_equal(parse(kr, "2 M other\n", KEYFILE_NTP, err, sizeof err), -EINVAL);
	assert_string_equal(err, "t.keys:1: key 2 is defined twice");
	keyring_free(kr);
}

static void many_keys(void **state)
{
	(void)state;
	enum { N = 5000 };
	char *text = malloc((size_t)N * 64);
	assert_non_null(text);
	size_t len = 0;
	for (unsigned i = 0; i < N; i++) {
		/* Ids spread over the whole range, to exercise the hash. */
		uint32_t id = (uint32_t)(i * 858993u + 1u);
		len += (size_t)snprintf(text + len, 64, "%" PRIu32 " SHA1 key%u\n", id, i);
	}
	char err[256];
	keyring *kr = keyring_new();
	assert_int_equal(parse_n(kr, text, len, KEYFILE_NTP, err, sizeof err), 0);
	assert_int_equal(keyring_count(kr), N);
	for (unsigned i = 0; i < N; i++) {
		char want[16];
		int n = snprintf(want, sizeof want, "key%u", i);
		expect_key(kr, (uint32_t)(i * 858993u + 1u), KEY_ALG_SHA1, want, (size_t)n);
	}
	assert_null(keyring_find(kr, 2));
	keyring_free(kr);
	free(text);
}

static void alg_names(void **state)
{
	(void)state;
	assert_string_equal(key_alg_name(KEY_ALG_MD5), "MD5");
	assert_string_equal(key_alg_name(KEY_ALG_SHA1), "SHA1");
	assert_string_equal(key_alg_name(KEY_ALG_SHA256), "SHA256");
	assert_string_equal(key_alg_name(KEY_ALG_AES128_CMAC), "AES128-CMAC");
	assert_string_equal(key_alg_name(KEY_ALG_AES256_CMAC), "AES256-CMAC");
	assert_string_equal(key_alg_name((enum key_alg)99), "unknown");
}

/* --- keyring_load --- */

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void load_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_keys.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[512], err[512];
	bool wr = true;
	snprintf(path, sizeof path, "%s/ntp.keys", dir);

	write_file(path, ntp_sample, sizeof ntp_sample - 1, 0600);
	keyring *kr = keyring_new();
	assert_int_equal(keyring_load(kr, path, KEYFILE_AUTO, &wr, err, sizeof err), 0);
	assert_false(wr);
	check_ntp_sample(kr);
	keyring_free(kr);

	write_file(path, "1 M tulip\n", 10, 0644);
	kr = keyring_new();
	assert_int_equal(keyring_load(kr, path, KEYFILE_NTP, &wr, err, sizeof err), 0);
	assert_true(wr);
	keyring_free(kr);

	/* Messages name the file and line. */
	write_file(path, "1 M tulip\n2 M\n", 14, 0640);
	kr = keyring_new();
	assert_int_equal(keyring_load(kr, path, KEYFILE_NTP, &wr, err, sizeof err), -EINVAL);
	assert_false(wr);
	char want[600];
	snprintf(want, sizeof want, "%s:2: ", path);
	assert_int_equal(strncmp(err, want, strlen(want)), 0);
	assert_int_equal(keyring_count(kr), 1);
	keyring_free(kr);

	/* Exactly 1 MiB is read; one octet more is refused. */
	size_t big = 1024 * 1024;
	char *buf = malloc(big + 1);
	assert_non_null(buf);
	memset(buf, '#', big + 1);
	buf[0] = '\n';
	write_file(path, buf, big, 0600);
	kr = keyring_new();
	assert_int_equal(keyring_load(kr, path, KEYFILE_AUTO, NULL, err, sizeof err), 0);
	write_file(path, buf, big + 1, 0600);
	assert_int_equal(keyring_load(kr, path, KEYFILE_AUTO, NULL, err, sizeof err), -EFBIG);
	assert_non_null(strstr(err, path));
	keyring_free(kr);
	free(buf);

	kr = keyring_new();
	/* A directory is not a key file. */
	assert_int_equal(keyring_load(kr, dir, KEYFILE_AUTO, &wr, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	unlink(path);
	assert_int_equal(keyring_load(kr, path, KEYFILE_AUTO, &wr, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, path));
	keyring_free(kr);
	assert_int_equal(rmdir(dir), 0);
}

/* The key file chronyd used for the vectors in test_mac.c. */
static void load_chrony_loopback_keys(void **state)
{
	(void)state;
	char err[512];
	keyring *kr = keyring_new();
	int rc = keyring_load(kr, TEST_DATA_DIR "/auth/chrony-loopback.keys", KEYFILE_AUTO, NULL,
			      err, sizeof err);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(keyring_count(kr), 5);
	expect_hex_key(kr, 1, KEY_ALG_MD5, "7252BEE2691CDED7F61E594BC3C9BC9F168B3E47");
	expect_hex_key(kr, 4, KEY_ALG_AES128_CMAC, "14D8A0C34E79F4FB60448C87054CA5E2");
	keyring_free(kr);
}

/* --- randomised rejection (chrony's test style) --- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static void check_outcome(const keyring *kr, int rc, const char *err, bool has_nul, size_t iter,
			  uint64_t seed)
{
	if (rc != 0 && rc != -EINVAL)
		fail_msg("seed %" PRIu64 " iteration %zu: rc %d", seed, iter, rc);
	if (rc == -EINVAL && strncmp(err, "t.keys:", 7) != 0)
		fail_msg("seed %" PRIu64 " iteration %zu: no message ('%s')", seed, iter, err);
	if (has_nul && rc == 0)
		fail_msg("seed %" PRIu64 " iteration %zu: NUL byte accepted", seed, iter);
	if (rc == 0 && err[0] != '\0')
		fail_msg("seed %" PRIu64 " iteration %zu: message on success", seed, iter);
	/* Whatever was accepted is a usable key. */
	for (uint32_t id = 0; id < 64; id++) {
		const struct key *k = keyring_find(kr, id);
		if (!k)
			continue;
		assert_true(k->id != 0);
		assert_true(k->len >= 1 && k->len <= KEY_MAX_SECRET);
		if (k->alg == KEY_ALG_AES128_CMAC)
			assert_int_equal(k->len, 16);
		if (k->alg == KEY_ALG_AES256_CMAC)
			assert_int_equal(k->len, 32);
	}
}

static void random_rejection(void **state)
{
	(void)state;
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	const char *env = getenv("SUNDIAL_TEST_SEED");
	if (env)
		seed = strtoull(env, NULL, 0);
	print_message("random_rejection: seed %" PRIu64 " (set SUNDIAL_TEST_SEED to repeat)\n",
		      seed);
	rng_state = seed ? seed : 1;

	static const char alphabet[] = "0123456789 \t\n#!;%:MDSHAEXCIaefx-";
	const char *samples[] = { ntp_sample, chrony_sample };
	size_t rejected = 0, runs = 0;
	uint8_t buf[600];

	for (size_t iter = 0; iter < 10000; iter++) {
		size_t len;
		unsigned kind = rnd() % 3;
		if (kind == 0) {
			/* Random bytes of a random length. */
			len = rnd() % 300;
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rnd();
		} else if (kind == 1) {
			/* Random text from the characters that matter. */
			len = rnd() % 300;
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)alphabet[rnd() % (sizeof alphabet - 1)];
		} else {
			/* A valid file with a few octets changed and cut short. */
			const char *s = samples[rnd() % 2];
			len = strlen(s);
			if (len > sizeof buf)
				len = sizeof buf;
			memcpy(buf, s, len);
			unsigned flips = 1 + rnd() % 4;
			for (unsigned f = 0; f < flips; f++) {
				size_t at = rnd() % len;
				buf[at] =
					rnd() % 2
						? (uint8_t)rnd()
						: (uint8_t)alphabet[rnd() % (sizeof alphabet - 1)];
			}
			len = rnd() % (len + 1);
		}
		bool has_nul = memchr(buf, 0, len) != NULL;
		for (int fmt = KEYFILE_AUTO; fmt <= KEYFILE_CHRONY; fmt++) {
			char err[256];
			keyring *kr = keyring_new();
			int rc = parse_n(kr, (const char *)buf, len, (enum keyfile_format)fmt, err,
					 sizeof err);
			check_outcome(kr, rc, err, has_nul, iter, seed);
			/* Messages never carry the samples' secrets. */
			if (rc)
				assert_null(strstr(err, "hyacinth"));
			rejected += rc != 0;
			runs++;
			keyring_free(kr);
		}
	}
	print_message("random_rejection: %zu of %zu inputs rejected\n", rejected, runs);
	assert_true(rejected > runs / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ntp_keys_sample),
		cmocka_unit_test(chrony_keys_sample),
		cmocka_unit_test(auto_detection),
		cmocka_unit_test(malformed_lines),
		cmocka_unit_test(embedded_nul),
		cmocka_unit_test(empty_and_odd_inputs),
		cmocka_unit_test(parses_add_to_the_ring),
		cmocka_unit_test(many_keys),
		cmocka_unit_test(alg_names),
		cmocka_unit_test(load_files),
		cmocka_unit_test(load_chrony_loopback_keys),
		cmocka_unit_test(random_rejection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
