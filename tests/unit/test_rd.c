/* test_rd.c - the checked reader and writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/rd.h"

static void reads_in_order(void **state)
{
	(void)state;
	const uint8_t b[] = { 1, 0x02, 0x03, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	struct rd r = rd_make(b, sizeof b);
	assert_int_equal(rd_u8(&r), 1);
	assert_int_equal(rd_be16(&r), 0x0203);
	assert_int_equal(rd_be32(&r), 0x04050607);
	assert_true(rd_be64(&r) == 0x08090a0b0c0d0e0fULL);
	assert_false(r.bad);
	assert_int_equal(r.left, 0);
}

static void short_read_is_sticky(void **state)
{
	(void)state;
	const uint8_t b[] = { 1, 2, 3 };
	struct rd r = rd_make(b, sizeof b);
	assert_int_equal(rd_be32(&r), 0);
	assert_true(r.bad);
	assert_int_equal(r.left, 0);
	/* Once bad, every read returns zero, even one that would fit. */
	assert_int_equal(rd_u8(&r), 0);
	assert_true(r.bad);
}

static void sub_reader_is_bounded(void **state)
{
	(void)state;
	const uint8_t b[] = { 0, 2, 0xaa, 0xbb, 0xcc };
	struct rd r = rd_make(b, sizeof b);
	uint16_t n = rd_be16(&r);
	struct rd s = rd_sub(&r, n);
	assert_int_equal(rd_be16(&s), 0xaabb);
	assert_int_equal(rd_u8(&s), 0);
	assert_true(s.bad);
	assert_false(r.bad);
	assert_int_equal(rd_u8(&r), 0xcc);
	/* A sub-reader longer than what is left makes both bad. */
	struct rd r2 = rd_make(b, sizeof b);
	struct rd s2 = rd_sub(&r2, 6);
	assert_true(s2.bad);
	assert_true(r2.bad);
}

static void writer_checks_room(void **state)
{
	(void)state;
	uint8_t b[6];
	struct wr w = wr_make(b, sizeof b);
	wr_be32(&w, 0x01020304);
	wr_be16(&w, 0x0506);
	assert_false(w.bad);
	wr_u8(&w, 7);
	assert_true(w.bad);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[5], 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_in_order),
		cmocka_unit_test(short_read_is_sticky),
		cmocka_unit_test(sub_reader_is_bounded),
		cmocka_unit_test(writer_checks_room),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
