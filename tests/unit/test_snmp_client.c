/* test_snmp_client.c - the pure parts of net/snmp_client: OID text parsing
 * and formatting (known answers, round trips, rejections and a randomised
 * rejection loop whose seed is printed), OID order, the credentials file
 * format and its permission check.  The exchanges with an agent are tested
 * against net-snmp's snmpd by tests/system/snmp_client.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/snmp_client.h"

/* ------------------------------------------------------------------ OIDs */

static void test_oid_parse_good(void **state)
{
	(void)state;
	struct snmp_client_oid o;
	assert_true(snmp_client_oid_parse("1.3.6.1.2.1.1.1.0", &o));
	assert_int_equal(o.len, 9);
	assert_int_equal(o.arc[0], 1);
	assert_int_equal(o.arc[5], 1);
	assert_int_equal(o.arc[8], 0);
	assert_true(snmp_client_oid_parse(".1.3.6.1.4.1.5597.30.0.5.2.1.0", &o));
	assert_int_equal(o.len, 13);
	assert_int_equal(o.arc[6], 5597);
	assert_true(snmp_client_oid_parse("0.0", &o));
	assert_int_equal(o.len, 2);
	assert_true(snmp_client_oid_parse("2.999.4294967295", &o));
	assert_int_equal(o.arc[2], 4294967295u);

	/* 128 arcs is the most */
	char buf[600] = "1";
	size_t n = 1;
	for (int i = 1; i < 128; i++, n += 2)
		memcpy(buf + n, ".1", 3);
	assert_true(snmp_client_oid_parse(buf, &o));
	assert_int_equal(o.len, 128);
	memcpy(buf + n, ".1", 3);
	assert_false(snmp_client_oid_parse(buf, &o));
}

static void test_oid_parse_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		".",
		"1",
		".1",
		"1.",
		"1..3",
		"..1.3",
		"1.3.",
		"3.1",
		"01.3",
		"1.03",
		"1.3.00",
		"1.3.-1",
		"+1.3",
		"1.3 ",
		" 1.3",
		"1.3.4294967296",
		"1.3.99999999999999999999",
		"sysDescr.0",
		"1.3.6.1.2.1.1.1.0x",
		"1,3",
		"1.3\n",
		"iso.3.6",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct snmp_client_oid o = { .len = 77 };
		if (snmp_client_oid_parse(bad[i], &o))
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(o.len, 77); /* left alone */
	}
	struct snmp_client_oid o;
	assert_false(snmp_client_oid_parse(NULL, &o));
}

static void test_oid_format(void **state)
{
	(void)state;
	struct snmp_client_oid o;
	char buf[SNMP_CLIENT_OID_TEXT_MAX];
	assert_true(snmp_client_oid_parse(".1.3.6.1.2.1.31.1.1.1.1.1", &o));
	assert_int_equal(snmp_client_oid_format(&o, buf, sizeof buf), 24);
	assert_string_equal(buf, "1.3.6.1.2.1.31.1.1.1.1.1");

	/* cut short, always terminated, the needed length returned */
	char small[6];
	assert_int_equal(snmp_client_oid_format(&o, small, sizeof small), 24);
	assert_string_equal(small, "1.3.6");
	assert_int_equal(snmp_client_oid_format(&o, NULL, 0), 24);

	/* the longest text fits */
	o.len = SNMP_CLIENT_OID_MAX;
	for (size_t i = 0; i < o.len; i++)
		o.arc[i] = 4294967295u;
	o.arc[0] = 2;
	size_t n = snmp_client_oid_format(&o, buf, sizeof buf);
	assert_true(n < sizeof buf);
	assert_int_equal(strlen(buf), n);
	struct snmp_client_oid back;
	assert_true(snmp_client_oid_parse(buf, &back));
	assert_int_equal(snmp_client_oid_cmp(&o, &back), 0);
}

static void test_oid_order(void **state)
{
	(void)state;
	struct snmp_client_oid a, b, root;
	assert_true(snmp_client_oid_parse("1.3.6.1.2.1.2.2", &root));
	assert_true(snmp_client_oid_parse("1.3.6.1.2.1.2.2.1.2.1", &a));
	assert_true(snmp_client_oid_parse("1.3.6.1.2.1.2.2.1.10.1", &b));
	assert_true(snmp_client_oid_cmp(&a, &b) < 0); /* 2 < 10 numerically */
	assert_true(snmp_client_oid_cmp(&b, &a) > 0);
	assert_true(snmp_client_oid_cmp(&root, &a) < 0); /* a prefix sorts first */
	assert_int_equal(snmp_client_oid_cmp(&a, &a), 0);
	assert_true(snmp_client_oid_under(&a, &root));
	assert_false(snmp_client_oid_under(&root, &root)); /* strictly under */
	assert_false(snmp_client_oid_under(&root, &a));
	assert_true(snmp_client_oid_parse("1.3.6.1.2.1.2.3", &b));
	assert_false(snmp_client_oid_under(&b, &root));
	assert_true(snmp_client_oid_parse("1.3.6.1.2.1.2.20.1", &b));
	assert_false(snmp_client_oid_under(&b, &root)); /* 20 is not 2 */
}

/* Random texts from the OID alphabet: whatever is accepted formats back to
 * the same text (less a leading dot), and is well-formed. */
static void test_oid_random(void **state)
{
	(void)state;
	unsigned seed = (unsigned)time(NULL);
	if (getenv("SEED"))
		seed = (unsigned)strtoul(getenv("SEED"), NULL, 10);
	printf("# seed %u (SEED=%u to repeat)\n", seed, seed);
	srand(seed);
	static const char alpha[] = "0123456789....x -";
	char s[64], out[SNMP_CLIENT_OID_TEXT_MAX];
	unsigned accepted = 0;
	for (int i = 0; i < 20000; i++) {
		size_t len = (size_t)rand() % 40;
		for (size_t k = 0; k < len; k++)
			s[k] = alpha[(size_t)rand() % (sizeof alpha - 1)];
		s[len] = '\0';
		struct snmp_client_oid o;
		if (!snmp_client_oid_parse(s, &o))
			continue;
		accepted++;
		assert_true(o.len >= 2 && o.arc[0] <= 2);
		snmp_client_oid_format(&o, out, sizeof out);
		assert_string_equal(out, s[0] == '.' ? s + 1 : s);
	}
	printf("# %u of 20000 random texts were OIDs\n", accepted);
}

/* ----------------------------------------------------------- credentials */

static int parse(const char *text, struct snmp_client_creds *c, char *err, size_t errlen)
{
	return snmp_client_creds_parse("t.creds", text, strlen(text), c, err, errlen);
}

static void test_creds_v2c(void **state)
{
	(void)state;
	struct snmp_client_creds c;
	char err[256];
	assert_int_equal(parse("# v2c\n\n   community   public  \n", &c, err, sizeof err), 0);
	assert_int_equal(c.version, SNMP_CLIENT_V2C);
	assert_string_equal(c.community, "public");
	assert_int_equal(parse("community a b#c\r\n", &c, err, sizeof err), 0);
	assert_string_equal(c.community, "a b#c");
	snmp_client_creds_wipe(&c);
	assert_int_equal(c.community[0], 0);
}

static void test_creds_v3(void **state)
{
	(void)state;
	struct snmp_client_creds c;
	char err[256];
	const char *t = "user sundial\n"
			"auth SHA256 my auth pass phrase\n"
			"\tpriv aes  privpass1\n";
	assert_int_equal(parse(t, &c, err, sizeof err), 0);
	assert_int_equal(c.version, SNMP_CLIENT_V3);
	assert_string_equal(c.user, "sundial");
	assert_int_equal(c.auth, SNMP_CLIENT_AUTH_SHA256);
	assert_string_equal(c.auth_pass, "my auth pass phrase");
	assert_int_equal(c.priv, SNMP_CLIENT_PRIV_AES);
	assert_string_equal(c.priv_pass, "privpass1");
	assert_int_equal(
		parse("user u\nauth sha 12345678\npriv aes128 87654321", &c, err, sizeof err), 0);
	assert_int_equal(c.auth, SNMP_CLIENT_AUTH_SHA);
	assert_string_equal(c.priv_pass, "87654321"); /* no final newline */
}

static void test_creds_bad(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "", "no credentials" },
		{ "# only a comment\n", "no credentials" },
		{ "community\n", "t.creds:1: the community must be 1 to 255" },
		{ "community a\ncommunity b\n", "t.creds:2: 'community' given twice" },
		{ "community public\nuser u\n", "both 'community'" },
		{ "user u\nauth sha256 12345678\n", "needs authPriv" },
		{ "user u\npriv aes 12345678\n", "needs authPriv" },
		{ "user u\nauth md5 12345678\npriv aes 12345678\n", "t.creds:2: 'auth' needs" },
		{ "user u\nauth sha256 12345678\npriv des 12345678\n", "t.creds:3: 'priv' needs" },
		{ "user u\nauth sha256 1234567\npriv aes 12345678\n",
		  "t.creds:2: the authentication passphrase must be 8 to 256" },
		{ "user u\nauth sha256 12345678\npriv aes short\n",
		  "t.creds:3: the privacy passphrase must be 8" },
		{ "user u\nauth sha256\npriv aes 12345678\n",
		  "t.creds:2: the authentication passphrase" },
		{ "user 123456789012345678901234567890123\n", "t.creds:1: the user name must be" },
		{ "user u\x01v\n", "control or non-ASCII" },
		{ "community caf\xc3\xa9\n", "control or non-ASCII" },
		{ "password x\n", "t.creds:1: unknown keyword" },
		{ "include /etc/passwd\n", "cannot include" },
		{ "\n\ncommunity x\nuser y\n", "both" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct snmp_client_creds c;
		char err[256] = "";
		if (parse(bad[i].text, &c, err, sizeof err) != -EINVAL)
			fail_msg("accepted case %zu", i);
		if (!strstr(err, bad[i].want))
			fail_msg("case %zu: '%s' does not say '%s'", i, err, bad[i].want);
		assert_int_equal(c.community[0] | c.auth_pass[0] | c.priv_pass[0] | c.user[0], 0);
	}
	/* a secret is never part of a message */
	struct snmp_client_creds c;
	char err[256];
	assert_int_equal(parse("user u\nauth sha256 s3cr\x01t-pass\npriv aes 12345678\n", &c, err,
			       sizeof err),
			 -EINVAL);
	assert_null(strstr(err, "s3cr"));
	/* NUL inside the text */
	static const char nul[] = "community ab\0cd\n";
	assert_int_equal(
		snmp_client_creds_parse("t.creds", nul, sizeof nul - 1, &c, err, sizeof err),
		-EINVAL);
}

static void test_creds_mode(void **state)
{
	(void)state;
	assert_true(snmp_client_creds_mode_ok(S_IFREG | 0600));
	assert_true(snmp_client_creds_mode_ok(S_IFREG | 0400));
	assert_true(snmp_client_creds_mode_ok(S_IFREG | 0700));
	assert_false(snmp_client_creds_mode_ok(S_IFREG | 0640));
	assert_false(snmp_client_creds_mode_ok(S_IFREG | 0604));
	assert_false(snmp_client_creds_mode_ok(S_IFREG | 0644));
	assert_false(snmp_client_creds_mode_ok(S_IFREG | 0602));
	assert_false(snmp_client_creds_mode_ok(S_IFREG | 0610));
	assert_false(snmp_client_creds_mode_ok(S_IFDIR | 0700));
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_creds_load(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_snmp_client.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], err[512];
	struct snmp_client_creds c;
	snprintf(path, sizeof path, "%s/creds", dir);

	write_file(path, "community public\n", 0600);
	assert_int_equal(snmp_client_creds_load(path, &c, err, sizeof err), 0);
	assert_string_equal(c.community, "public");

	write_file(path, "community public\n", 0644);
	assert_int_equal(snmp_client_creds_load(path, &c, err, sizeof err), -EACCES);
	assert_non_null(strstr(err, "readable by group or others (mode 0644)"));
	assert_non_null(strstr(err, "chmod 600"));
	assert_int_equal(c.community[0], 0);

	write_file(path, "community public\n", 0640);
	assert_int_equal(snmp_client_creds_load(path, &c, err, sizeof err), -EACCES);

	write_file(path, "community\n", 0400);
	assert_int_equal(snmp_client_creds_load(path, &c, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "/creds:1:"));
	assert_int_equal(chmod(path, 0600), 0);

	/* too large */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 7000; i++)
		fputs("# padding\n", f);
	fclose(f);
	assert_int_equal(snmp_client_creds_load(path, &c, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "larger than"));

	/* missing, and a folder */
	unlink(path);
	assert_int_equal(snmp_client_creds_load(path, &c, err, sizeof err), -ENOENT);
	assert_int_equal(snmp_client_creds_load(dir, &c, err, sizeof err), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	rmdir(dir);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(snmp_client_err_name(SNMP_CLIENT_E_AUTH), "authentication failure");
	assert_string_equal(snmp_client_err_name(SNMP_CLIENT_E_TIMEOUT), "timeout");
	assert_string_equal(snmp_client_type_name(SNMP_CLIENT_T_COUNTER64), "counter64");
	struct snmp_client_result r = { 0 };
	snmp_client_result_free(&r);
	snmp_client_result_free(NULL);
	snmp_client_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oid_parse_good), cmocka_unit_test(test_oid_parse_bad),
		cmocka_unit_test(test_oid_format),     cmocka_unit_test(test_oid_order),
		cmocka_unit_test(test_oid_random),     cmocka_unit_test(test_creds_v2c),
		cmocka_unit_test(test_creds_v3),       cmocka_unit_test(test_creds_bad),
		cmocka_unit_test(test_creds_mode),     cmocka_unit_test(test_creds_load),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
