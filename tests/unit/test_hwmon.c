/* test_hwmon.c - temperatures from a sysfs-shaped folder: hwmon chips with
 * and without labels, thermal zones, two chips of one name, bad and missing
 * values skipped and counted, sorting, limits, no such folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/hwmon.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512], dir[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	snprintf(dir, sizeof dir, "%s", path);
	for (char *p = dir + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **st)
{
	(void)st;
	snprintf(root, sizeof root, "/tmp/sundial-hwmon.XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void raspberry_and_pc(void **st)
{
	(void)st;
	/* A Pi: cpu_thermal without labels; a PC: coretemp with labels, a
	 * second coretemp, an ACPI zone, and some junk. */
	put("class/hwmon/hwmon0/name", "cpu_thermal\n");
	put("class/hwmon/hwmon0/temp1_input", "48686\n");
	put("class/hwmon/hwmon2/name", "coretemp\n");
	put("class/hwmon/hwmon2/temp1_input", "41000\n");
	put("class/hwmon/hwmon2/temp1_label", "Package id 0\n");
	put("class/hwmon/hwmon2/temp10_input", "-5250\n");
	put("class/hwmon/hwmon2/temp10_label", "Core 8\n");
	put("class/hwmon/hwmon2/temp2_input", "oops\n"); /* skipped */
	put("class/hwmon/hwmon2/temp3_input", "");	 /* skipped */
	put("class/hwmon/hwmon2/temp4_max", "100000\n"); /* not a reading */
	put("class/hwmon/hwmon10/name", "coretemp\n");
	put("class/hwmon/hwmon10/temp1_input", "42000\n");
	put("class/hwmon/hwmon10/temp1_label", "Package id 0\n");
	put("class/hwmon/hwmon3/temp1_input", "30000\n"); /* no name file */
	put("class/hwmon/hwmonx/name", "bogus\n");	  /* not hwmon<N> */
	put("class/thermal/thermal_zone0/type", "acpitz\n");
	put("class/thermal/thermal_zone0/temp", "27800\n");
	put("class/thermal/thermal_zone1/temp", "9999999999\n"); /* out of range */
	put("class/thermal/cooling_device0/type", "Processor\n");

	struct hwmon_reading r[16];
	size_t n = 0, skipped = 0;
	assert_int_equal(hwmon_read(root, r, 16, &n, &skipped), 0);
	assert_int_equal(skipped, 3);
	const struct {
		const char *chip, *sensor;
		double c;
	} want[] = {
		{ "coretemp", "Core 8", -5.25 },	{ "coretemp", "Package id 0", 41.0 },
		{ "coretemp", "Package id 0#2", 42.0 }, /* hwmon10, after hwmon2 */
		{ "cpu_thermal", "temp1", 48.686 },	{ "hwmon3", "temp1", 30.0 },
		{ "thermal", "acpitz", 27.8 },
	};
	assert_int_equal(n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(r[i].chip, want[i].chip);
		assert_string_equal(r[i].sensor, want[i].sensor);
		assert_true(r[i].celsius == want[i].c);
	}
	/* Room for 2: the rest counted as skipped. */
	assert_int_equal(hwmon_read(root, r, 2, &n, &skipped), 0);
	assert_int_equal(n, 2);
	assert_int_equal(skipped, 3 + 4);
}

static void values(void **st)
{
	(void)st;
	static const struct {
		const char *text;
		bool ok;
		double c;
	} cases[] = {
		{ "0\n", true, 0 },	   { "-273150\n", true, -273.15 },
		{ "-273151\n", false, 0 }, { "1000000\n", true, 1000 },
		{ "1000001\n", false, 0 }, { "+5\n", false, 0 },
		{ "5 \n", false, 0 },	   { "-\n", false, 0 },
		{ "12x\n", false, 0 },	   { "\n", false, 0 },
		{ "38500", true, 38.5 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		put("class/hwmon/hwmon0/name", "x\n");
		put("class/hwmon/hwmon0/temp1_input", cases[i].text);
		struct hwmon_reading r[4];
		size_t n = 9, skipped = 9;
		assert_int_equal(hwmon_read(root, r, 4, &n, &skipped), 0);
		assert_int_equal(n, cases[i].ok ? 1 : 0);
		assert_int_equal(skipped, cases[i].ok ? 0 : 1);
		if (cases[i].ok)
			assert_true(r[0].celsius == cases[i].c);
	}
}

static void nothing_there(void **st)
{
	(void)st;
	char missing[300];
	snprintf(missing, sizeof missing, "%s/none", root);
	struct hwmon_reading r[1];
	size_t n = 9, skipped = 9;
	assert_int_equal(hwmon_read(missing, r, 1, &n, &skipped), -ENOENT);
	assert_int_equal(n, 0);
	assert_int_equal(skipped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(raspberry_and_pc, setup, teardown),
		cmocka_unit_test_setup_teardown(values, setup, teardown),
		cmocka_unit_test_setup_teardown(nothing_there, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
