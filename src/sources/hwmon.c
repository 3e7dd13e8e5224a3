/* hwmon.c - temperatures from sysfs; see hwmon.h. */
#include "sources/hwmon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mem.h"

/* The first line of dir/name into buf (at most len - 1 octets, the newline
 * dropped); false if it cannot be read or is empty. */
static bool read_line(const char *dir, const char *name, char *buf, size_t len)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t r = read(fd, buf, len - 1);
	close(fd);
	if (r <= 0)
		return false;
	buf[r] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] != '\0';
}

/* A label for people: printable ASCII kept, anything else '_'. */
static void clean(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '_';
}

/* Millidegrees as written by the kernel: an optional '-', digits. */
static bool parse_milli(const char *s, double *celsius)
{
	const char *p = s;
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return false;
	long long v = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > 1000000000LL)
			return false;
	}
	if (*p != '\0')
		return false;
	if (*s == '-')
		v = -v;
	if (v < -273150 || v > 1000000)
		return false;
	*celsius = (double)v / 1000.0;
	return true;
}

struct acc {
	struct hwmon_reading *out;
	size_t max, n, skipped;
};

static void add(struct acc *a, const char *chip, const char *sensor, const char *value)
{
	double c;
	if (!value || !parse_milli(value, &c)) {
		a->skipped++;
		return;
	}
	if (a->n == a->max) {
		a->skipped++;
		return;
	}
	struct hwmon_reading *r = &a->out[a->n++];
	str_copy(r->chip, chip, sizeof r->chip);
	str_copy(r->sensor, sensor, sizeof r->sensor);
	clean(r->chip);
	clean(r->sensor);
	r->celsius = c;
}

/* The numbered entries prefix<N> of dir, as N in ascending order. */
static size_t numbered(const char *dir, const char *prefix, const char *suffix, unsigned *nums,
		       size_t max)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	size_t n = 0, pl = strlen(prefix);
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < max) {
		const char *s = e->d_name;
		if (strncmp(s, prefix, pl) != 0)
			continue;
		char *end;
		errno = 0;
		unsigned long v = strtoul(s + pl, &end, 10);
		if (end == s + pl || errno || v > 1000000)
			continue;
		if (suffix ? strcmp(end, suffix) != 0 : *end != '\0')
			continue;
		nums[n++] = (unsigned)v;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) /* insertion sort: a handful */
		for (size_t j = i; j > 0 && nums[j - 1] > nums[j]; j--) {
			unsigned t = nums[j];
			nums[j] = nums[j - 1];
			nums[j - 1] = t;
		}
	return n;
}

static int by_name(const void *a, const void *b)
{
	const struct hwmon_reading *x = a, *y = b;
	int c = strcmp(x->chip, y->chip);
	return c ? c : strcmp(x->sensor, y->sensor);
}

#define MAX_ENTRIES 256

int hwmon_read(const char *root, struct hwmon_reading *out, size_t max, size_t *n, size_t *skipped)
{
	struct acc a = { out, max, 0, 0 };
	*n = 0;
	*skipped = 0;
	char dir[4096], sub[4096], name[64], label[64], value[64];
	unsigned nums[MAX_ENTRIES], temps[MAX_ENTRIES];
	bool found = false;

	if ((size_t)snprintf(dir, sizeof dir, "%s/class/hwmon", root) >= sizeof dir)
		return -ENAMETOOLONG;
	DIR *probe = opendir(dir);
	if (probe) {
		found = true;
		closedir(probe);
	}
	size_t nh = numbered(dir, "hwmon", NULL, nums, MAX_ENTRIES);
	for (size_t i = 0; i < nh; i++) {
		if ((size_t)snprintf(sub, sizeof sub, "%s/hwmon%u", dir, nums[i]) >= sizeof sub)
			continue;
		if (!read_line(sub, "name", name, sizeof name))
			snprintf(name, sizeof name, "hwmon%u", nums[i]);
		size_t nt = numbered(sub, "temp", "_input", temps, MAX_ENTRIES);
		for (size_t k = 0; k < nt; k++) {
			char file[64];
			snprintf(file, sizeof file, "temp%u_label", temps[k]);
			if (!read_line(sub, file, label, sizeof label))
				snprintf(label, sizeof label, "temp%u", temps[k]);
			snprintf(file, sizeof file, "temp%u_input", temps[k]);
			add(&a, name, label,
			    read_line(sub, file, value, sizeof value) ? value : NULL);
		}
	}

	if ((size_t)snprintf(dir, sizeof dir, "%s/class/thermal", root) >= sizeof dir)
		return -ENAMETOOLONG;
	probe = opendir(dir);
	if (probe) {
		found = true;
		closedir(probe);
	}
	size_t nz = numbered(dir, "thermal_zone", NULL, nums, MAX_ENTRIES);
	for (size_t i = 0; i < nz; i++) {
		if ((size_t)snprintf(sub, sizeof sub, "%s/thermal_zone%u", dir, nums[i]) >=
		    sizeof sub)
			continue;
		if (!read_line(sub, "type", label, sizeof label))
			snprintf(label, sizeof label, "zone%u", nums[i]);
		add(&a, "thermal", label,
		    read_line(sub, "temp", value, sizeof value) ? value : NULL);
	}
	/* Two chips of one name (two "coretemp", two "acpitz" zones): the
	 * later ones, in the kernel's numbering, get "#2", "#3" on the sensor,
	 * so that every series has its own labels. */
	unsigned *rank = mem_calloc(a.n ? a.n : 1, sizeof rank[0]);
	for (size_t i = 0; i < a.n; i++) {
		rank[i] = 1;
		for (size_t j = 0; j < i; j++)
			rank[i] += strcmp(out[j].chip, out[i].chip) == 0 &&
				   strcmp(out[j].sensor, out[i].sensor) == 0;
	}
	for (size_t i = 0; i < a.n; i++) {
		if (rank[i] == 1)
			continue;
		char tmp[sizeof out[i].sensor + 16];
		snprintf(tmp, sizeof tmp, "%s#%u", out[i].sensor, rank[i]);
		str_copy(out[i].sensor, tmp, sizeof out[i].sensor);
	}
	free(rank);
	qsort(out, a.n, sizeof out[0], by_name);
	*n = a.n;
	*skipped = a.skipped;
	return found ? 0 : -ENOENT;
}

/* ---- the collector's `hwmon` source ---- */

#define HWMON_SRC_MAX 64

struct hwmon_src {
	const struct source_params *p;
	struct hwmon_reading r[HWMON_SRC_MAX];
	size_t n;
};

static void *hwmon_src_open(const struct source_params *p, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct hwmon_src *s = mem_calloc(1, sizeof *s);
	s->p = p;
	return s;
}

static int hwmon_src_sample(void *arg, double timeout, char *err, size_t errlen)
{
	struct hwmon_src *s = arg;
	(void)timeout;
	size_t skipped = 0;
	s->n = 0;
	int rc = hwmon_read(s->p->target, s->r, HWMON_SRC_MAX, &s->n, &skipped);
	if (rc != 0)
		snprintf(err, errlen, "%s: no class/hwmon or class/thermal", s->p->target);
	return rc;
}

static void hwmon_src_publish(void *arg, int rc, const struct source_out *o)
{
	(void)rc;
	const struct hwmon_src *s = arg;
	for (size_t i = 0; i < s->n; i++) {
		const char *ex[] = { "chip", s->r[i].chip, "sensor", s->r[i].sensor, NULL };
		o->put(o->ctx, "sundial_hwmon_temperature_celsius",
		       "A temperature the kernel reports.", METRIC_GAUGE, ex, s->r[i].celsius);
	}
}

static void hwmon_src_close(void *arg)
{
	free(arg);
}

const struct source_ops hwmon_source = {
	.kind = "hwmon",
	.threaded = false,
	.open = hwmon_src_open,
	.sample = hwmon_src_sample,
	.publish = hwmon_src_publish,
	.close = hwmon_src_close,
};
