/* test_addr.c - server specifications and numeric resolution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "net/addr.h"

static void specs_accepted(void **state)
{
	(void)state;
	static const struct {
		const char *in, *host;
		uint16_t port;
		bool given;
	} ok[] = {
		{ "time.example.net", "time.example.net", 123, false },
		{ "time.example.net:4123", "time.example.net", 4123, true },
		{ "192.0.2.1", "192.0.2.1", 123, false },
		{ "192.0.2.1:1", "192.0.2.1", 1, true },
		{ "::1", "::1", 123, false },
		{ "2001:db8::1", "2001:db8::1", 123, false },
		{ "[2001:db8::1]", "2001:db8::1", 123, false },
		{ "[::1]:65535", "::1", 65535, true },
		{ "[fe80::1%eth0]:123", "fe80::1%eth0", 123, true },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct addr_spec s;
		char err[200];
		assert_int_equal(addr_parse_spec(ok[i].in, 123, &s, err, sizeof err), 0);
		assert_string_equal(s.host, ok[i].host);
		assert_int_equal(s.port, ok[i].port);
		assert_int_equal(s.port_given, ok[i].given);
	}
}

static void specs_rejected(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",	   ":123", "host:",  "host:0", "host:65536", "host:12x", "host:-1",
		"host:+5", "[::1", "[::1]x", "[::1]:", "[]:123",     "[::1]:0",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct addr_spec s;
		char err[200] = "";
		assert_int_equal(addr_parse_spec(bad[i], 123, &s, err, sizeof err), -EINVAL);
		assert_true(strlen(err) > 0);
	}
	/* A host name longer than the buffer is an error, not a truncation. */
	char longname[400];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	struct addr_spec s;
	char err[200];
	assert_int_equal(addr_parse_spec(longname, 123, &s, err, sizeof err), -EINVAL);
}

static void resolves_literals(void **state)
{
	(void)state;
	struct addr_spec s;
	char err[200];
	struct sockaddr_storage out[4];
	char buf[64];
	assert_int_equal(addr_parse_spec("127.0.0.1:4000", 123, &s, err, sizeof err), 0);
	assert_int_equal(addr_resolve(&s, AF_UNSPEC, false, out, 4, err, sizeof err), 1);
	assert_int_equal(out[0].ss_family, AF_INET);
	assert_int_equal(addr_port((struct sockaddr *)&out[0]), 4000);
	assert_string_equal(addr_format((struct sockaddr *)&out[0], buf, sizeof buf), "127.0.0.1");

	assert_int_equal(addr_parse_spec("[::1]:5000", 123, &s, err, sizeof err), 0);
	assert_int_equal(addr_resolve(&s, AF_UNSPEC, true, out, 4, err, sizeof err), 1);
	assert_int_equal(out[0].ss_family, AF_INET6);
	assert_int_equal(addr_port((struct sockaddr *)&out[0]), 5000);
	assert_string_equal(addr_format((struct sockaddr *)&out[0], buf, sizeof buf), "::1");

	/* The wrong family for a literal is its own error. */
	assert_int_equal(addr_resolve(&s, AF_INET, false, out, 4, err, sizeof err), -EAFNOSUPPORT);
	assert_non_null(strstr(err, "IPv4"));
}

static void unresolvable_name(void **state)
{
	(void)state;
	struct addr_spec s;
	char err[200];
	struct sockaddr_storage out[4];
	/* .invalid never resolves (RFC 6761). */
	assert_int_equal(addr_parse_spec("no-such-host.invalid", 123, &s, err, sizeof err), 0);
	assert_int_equal(addr_resolve(&s, AF_UNSPEC, false, out, 4, err, sizeof err), -ENOENT);
	assert_non_null(strstr(err, "does not resolve"));
}

static void numeric_bind_address(void **state)
{
	(void)state;
	struct sockaddr_storage a;
	assert_int_equal(addr_parse_numeric("127.0.0.2", &a), 0);
	assert_int_equal(a.ss_family, AF_INET);
	assert_int_equal(addr_parse_numeric("::1", &a), 0);
	assert_int_equal(a.ss_family, AF_INET6);
	assert_int_equal(addr_parse_numeric("localhost", &a), -EINVAL);
	assert_int_equal(addr_parse_numeric("1.2.3.4.5", &a), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(specs_accepted),	cmocka_unit_test(specs_rejected),
		cmocka_unit_test(resolves_literals),	cmocka_unit_test(unresolvable_name),
		cmocka_unit_test(numeric_bind_address),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
