/* rrd.c - one RRD file per metric series, through librrd.  See rrd.h.  The
 * only file that includes <rrd.h>; librrd's conventions (0/-1 results, its
 * per-thread error text, the rrdcached client's global connection) end here.
 *
 * A series is found by its path in a small hash table that remembers the
 * file's last update (whole seconds) and the definition it was checked
 * against, so that a steady series costs one rrd_update_r() (or one
 * rrdc_update()) and no rrd_info_r().  The first sample of a series in this
 * process reads the file's step, type and last update with rrd_info_r()
 * (after a flush through rrdcached, whose cache may be ahead of the disk),
 * or creates it.  A failed write forgets the series, so that the next
 * sample checks the file again. */
#include "store/rrd.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#include <rrd_client.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/path.h"

#define DS_NAME "value"
#define MAX_ARCHIVES 4
#define MAX_RENAMES 100

struct series {
	struct series *next;
	uint64_t hash;
	int64_t last;  /* the file's last update, whole seconds */
	unsigned step; /* the definition the file was checked against */
	bool counter;
	char path[]; /* the file */
};

struct rrd_store {
	char *datadir; /* without a trailing '/' */
	char *daemon;  /* rrdcached address, NULL for direct writes */
	bool remote;   /* daemon on host:port: paths relative to datadir */
	uint64_t skipped;
	struct series **tab;
	size_t nbuckets; /* a power of two */
	size_t count;
};

/* The archives of rrd.h: resolution and span, in seconds. */
static const struct {
	unsigned res;
	unsigned long span;
} archives[MAX_ARCHIVES] = {
	{ 0, 2 * 86400UL },	   /* 1 step for 2 days */
	{ 300, 14 * 86400UL },	   /* 5 minutes for 14 days */
	{ 1800, 62 * 86400UL },	   /* 30 minutes for 62 days */
	{ 86400, 1826 * 86400UL }, /* 1 day for 5 years */
};

static const char *const cfs[] = { "AVERAGE", "MIN", "MAX" };

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* librrd's text for its last failure in this thread. */
static const char *librrd_text(void)
{
	const char *s = rrd_test_error() ? rrd_get_error() : NULL;
	return s != NULL && *s != '\0' ? s : "librrd gave no reason";
}

/* --- paths ----------------------------------------------------------------- */

static bool put_str(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (n >= len - *pos)
		return false;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return true;
}

static bool safe_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* One part of a path, %XX-escaped as rrd.h says. */
static bool put_part(char *buf, size_t len, size_t *pos, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	bool dots;

	if (s == NULL || *s == '\0')
		return false;
	dots = strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (!dots && safe_char(*p)) {
			if (len - *pos < 2)
				return false;
			buf[(*pos)++] = (char)*p;
		} else {
			if (len - *pos < 4)
				return false;
			buf[(*pos)++] = '%';
			buf[(*pos)++] = hex[*p >> 4];
			buf[(*pos)++] = hex[*p & 15];
		}
	}
	buf[*pos] = '\0';
	return true;
}

bool rrd_store_escape(const char *part, char *buf, size_t len)
{
	size_t pos = 0;

	if (buf == NULL || len == 0)
		return false;
	buf[0] = '\0';
	return put_part(buf, len, &pos, part);
}

bool rrd_store_path(const rrd_store *st, const struct rrd_series_def *d, char *buf, size_t len)
{
	size_t pos = 0;

	if (st == NULL || d == NULL || buf == NULL || len == 0)
		return false;
	buf[0] = '\0';
	return put_str(buf, len, &pos, st->datadir) && put_str(buf, len, &pos, "/") &&
	       put_part(buf, len, &pos, d->source) && put_str(buf, len, &pos, "/") &&
	       put_part(buf, len, &pos, d->instance) && put_str(buf, len, &pos, "/") &&
	       put_part(buf, len, &pos, d->metric) && put_str(buf, len, &pos, ".rrd");
}

/* --- the table of series ----------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325u; /* FNV-1a */

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3u;
	}
	return h;
}

static struct series *find(const rrd_store *st, const char *path, uint64_t h)
{
	for (struct series *s = st->tab[h & (st->nbuckets - 1)]; s != NULL; s = s->next)
		if (s->hash == h && strcmp(s->path, path) == 0)
			return s;
	return NULL;
}

static void grow(rrd_store *st)
{
	size_t n = st->nbuckets * 2;
	struct series **tab = mem_calloc(n, sizeof *tab);

	for (size_t i = 0; i < st->nbuckets; i++) {
		struct series *s = st->tab[i];

		while (s != NULL) {
			struct series *next = s->next;

			s->next = tab[s->hash & (n - 1)];
			tab[s->hash & (n - 1)] = s;
			s = next;
		}
	}
	free(st->tab);
	st->tab = tab;
	st->nbuckets = n;
}

static struct series *add(rrd_store *st, const char *path, uint64_t h,
			  const struct rrd_series_def *d, int64_t last)
{
	size_t n = strlen(path) + 1;
	struct series *s = mem_alloc(sizeof *s + n);

	if (st->count >= st->nbuckets - st->nbuckets / 4)
		grow(st);
	memcpy(s->path, path, n);
	s->hash = h;
	s->last = last;
	s->step = d->step;
	s->counter = d->counter;
	s->next = st->tab[h & (st->nbuckets - 1)];
	st->tab[h & (st->nbuckets - 1)] = s;
	st->count++;
	return s;
}

static void drop(rrd_store *st, struct series *s)
{
	struct series **pp = &st->tab[s->hash & (st->nbuckets - 1)];

	while (*pp != s)
		pp = &(*pp)->next;
	*pp = s->next;
	st->count--;
	free(s);
}

/* --- rrdcached ------------------------------------------------------------- */

/* The name of a file for the daemon: absolute on a Unix socket (librrd's
 * client resolves it), relative to datadir on host:port. */
static const char *daemon_path(const rrd_store *st, const char *path)
{
	return st->remote ? path + strlen(st->datadir) + 1 : path;
}

/* (Re)connects: the client drops a connection that failed and a store
 * closed before may have disconnected; same address is a no-op. */
static int daemon_connect(const rrd_store *st, char *err, size_t errlen)
{
	int rc;

	rrd_clear_error();
	rc = rrdc_connect(st->daemon);
	if (rc != 0) {
		seterr(err, errlen, "cannot connect to rrdcached at %s: %s", st->daemon,
		       librrd_text());
		return rc > 0 ? -rc : -ECONNREFUSED;
	}
	return 0;
}

/* Writes what the daemon holds for path to the file ("nothing to flush" is
 * fine). */
static int daemon_flush(const rrd_store *st, const char *path, char *err, size_t errlen)
{
	int rc = daemon_connect(st, err, errlen);

	if (rc != 0)
		return rc;
	rrd_clear_error();
	if (rrdc_flush(daemon_path(st, path)) != 0) {
		seterr(err, errlen, "%s: rrdcached at %s cannot flush it: %s", path, st->daemon,
		       librrd_text());
		return -EIO;
	}
	return 0;
}

/* Makes the daemon drop its entry for path (its last update time) before
 * the file is replaced.  Not knowing the file is fine.  librrd 1.7's
 * rrd_create_r2() does it too when connected; this does not rely on it. */
static void daemon_forget(const rrd_store *st, const char *path)
{
	if (daemon_connect(st, NULL, 0) == 0)
		(void)rrdc_forget(daemon_path(st, path));
	rrd_clear_error();
}

/* --- files ----------------------------------------------------------------- */

struct file_def {
	unsigned long step;
	bool counter;
	bool known_type; /* a data source "value" of type GAUGE or DERIVE */
	int64_t last;
};

/* The step, type and last update of an existing file. */
static int read_def(const char *path, struct file_def *f, char *err, size_t errlen)
{
	rrd_info_t *info;
	bool have_step = false, have_last = false;

	memset(f, 0, sizeof *f);
	rrd_clear_error();
	info = rrd_info_r(path);
	if (info == NULL) {
		seterr(err, errlen, "%s: cannot read it: %s", path, librrd_text());
		return -EIO;
	}
	for (const rrd_info_t *i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT) {
			f->step = i->value.u_cnt;
			have_step = true;
		} else if (strcmp(i->key, "last_update") == 0 && i->type == RD_I_CNT) {
			f->last = (int64_t)i->value.u_cnt;
			have_last = true;
		} else if (strcmp(i->key, "ds[" DS_NAME "].type") == 0 && i->type == RD_I_STR) {
			f->counter = strcmp(i->value.u_str, "DERIVE") == 0;
			f->known_type = f->counter || strcmp(i->value.u_str, "GAUGE") == 0;
		}
	}
	rrd_info_free(info);
	if (!have_step || !have_last) {
		seterr(err, errlen, "%s: librrd's info has no step or last update", path);
		return -EIO;
	}
	return 0;
}

/* The archives of rrd.h for step: steps per row and rows of each. */
static size_t plan(unsigned step, unsigned long pdp[MAX_ARCHIVES], unsigned long rows[MAX_ARCHIVES])
{
	size_t n = 0;

	for (size_t i = 0; i < MAX_ARCHIVES; i++) {
		unsigned long p = archives[i].res == 0 ? 1 : (archives[i].res + step / 2) / step;
		unsigned long r;

		if (p == 0)
			p = 1;
		r = (archives[i].span + p * step - 1) / (p * step);
		if (n > 0 && p <= pdp[n - 1]) {
			if (r > rows[n - 1])
				rows[n - 1] = r;
			continue;
		}
		pdp[n] = p;
		rows[n] = r;
		n++;
	}
	return n;
}

static int create_file(const char *path, const struct rrd_series_def *d, int64_t start, char *err,
		       size_t errlen)
{
	unsigned long pdp[MAX_ARCHIVES], rows[MAX_ARCHIVES];
	char ds[64], rra[MAX_ARCHIVES * 3][64];
	const char *argv[1 + MAX_ARCHIVES * 3];
	size_t n = plan(d->step, pdp, rows);
	int argc = 0;

	snprintf(ds, sizeof ds, "DS:%s:%s:%u:%s:U", DS_NAME, d->counter ? "DERIVE" : "GAUGE",
		 2 * d->step, d->counter ? "0" : "U");
	argv[argc++] = ds;
	for (size_t i = 0; i < n; i++)
		for (size_t c = 0; c < 3; c++) {
			char *a = rra[i * 3 + c];

			snprintf(a, sizeof rra[0], "RRA:%s:0.5:%lu:%lu", cfs[c], pdp[i], rows[i]);
			argv[argc++] = a;
		}
	rrd_clear_error();
	if (rrd_create_r2(path, d->step, (time_t)start, 1, NULL, NULL, argc, argv) != 0) {
		seterr(err, errlen, "%s: cannot create it: %s", path, librrd_text());
		return -EIO;
	}
	return 0;
}

/* Writes a file out and drops it from the page cache, once per process
 * and file.  librrd updates through mmap() with MADV_RANDOM: a file read
 * back from disk is then cached in single pages, and an update dirties
 * about 5 of them.  A file the kernel still holds in large folios (one just
 * created, or copied) has every update dirty whole folios instead: 60 times
 * more written (1,200 updates of 40 fresh 1-s files with rrdtool update on
 * this machine: 84 MB written, 1.3 MB once dropped from the cache). */
static void uncache(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fdatasync(fd) == 0)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

/* Keeps the file of an old definition: <metric>.<UTC time>[-N].rrd. */
static int retire(const rrd_store *st, const char *path, const char *why, char *err, size_t errlen)
{
	char stamp[32], to[PATH_MAX];
	size_t base = strlen(path) - strlen(".rrd");
	struct timespec now;
	struct tm tm;
	int rc;

	if (st->daemon != NULL) {
		rc = daemon_flush(st, path, err, errlen);
		if (rc != 0)
			return rc;
		daemon_forget(st, path);
	}
	clock_realtime(&now);
	if (gmtime_r(&now.tv_sec, &tm) == NULL ||
	    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
		str_copy(stamp, "19700101T000000Z", sizeof stamp);
	for (int i = 0; i < MAX_RENAMES; i++) {
		char suffix[8] = "";
		int n;

		if (i > 0)
			snprintf(suffix, sizeof suffix, "-%d", i);
		n = snprintf(to, sizeof to, "%.*s.%s%s.rrd", (int)base, path, stamp, suffix);
		if (n < 0 || (size_t)n >= sizeof to) {
			seterr(err, errlen,
			       "%s: definition changed (%s), and its new name is too long", path,
			       why);
			return -ENAMETOOLONG;
		}
		rc = renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE);
		if (rc != 0 && (errno == EINVAL || errno == ENOSYS)) {
			/* a file system without RENAME_NOREPLACE */
			struct stat sb;

			if (lstat(to, &sb) == 0) {
				errno = EEXIST;
			} else {
				rc = rename(path, to);
			}
		}
		if (rc == 0) {
			log_warn("%s: definition changed (%s); the old file is kept as %s", path,
				 why, to);
			return 0;
		}
		if (errno != EEXIST) {
			int e = errno;

			seterr(err, errlen,
			       "%s: definition changed (%s), and it cannot be renamed: %s", path,
			       why, strerror(e));
			return -e;
		}
	}
	seterr(err, errlen, "%s: definition changed (%s), and %d dated names are taken", path, why,
	       MAX_RENAMES);
	return -EEXIST;
}

/* The first sample of a series in this process: checks the file (keeping
 * it if its definition differs) or creates it; *last is its last update. */
static int prepare(const rrd_store *st, const struct rrd_series_def *d, const char *path, int64_t t,
		   int64_t *last, char *err, size_t errlen)
{
	struct stat sb;
	char dir[PATH_MAX];
	int rc;

	if (stat(path, &sb) == 0) {
		struct file_def f;
		char why[96];

		if (st->daemon != NULL) {
			rc = daemon_flush(st, path, err, errlen);
			if (rc != 0)
				return rc;
		}
		rc = read_def(path, &f, err, errlen);
		if (rc != 0)
			return rc;
		if (f.known_type && f.step == d->step && f.counter == d->counter) {
			*last = f.last;
			return 0;
		}
		if (!f.known_type)
			snprintf(why, sizeof why, "no GAUGE or DERIVE data source '%s'", DS_NAME);
		else
			snprintf(why, sizeof why, "step %lu %s, now %u %s", f.step,
				 f.counter ? "DERIVE" : "GAUGE", d->step,
				 d->counter ? "DERIVE" : "GAUGE");
		rc = retire(st, path, why, err, errlen);
		if (rc != 0)
			return rc;
	} else if (errno != ENOENT && errno != ENOTDIR) {
		int e = errno;

		seterr(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	} else if (st->daemon != NULL) {
		daemon_forget(st, path);
	}

	str_copy(dir, path, sizeof dir);
	*strrchr(dir, '/') = '\0';
	rc = path_mkdirs(dir, 0750);
	if (rc != 0) {
		seterr(err, errlen, "%s: cannot create the folder: %s", dir, strerror(-rc));
		return rc;
	}
	rc = create_file(path, d, t - 1, err, errlen);
	if (rc != 0)
		return rc;
	*last = t - 1;
	return 0;
}

static int write_sample(const rrd_store *st, const char *path, bool counter, int64_t t, double v,
			char *err, size_t errlen)
{
	char arg[96];
	const char *argv[1] = { arg };
	int rc;

	if (isnan(v) || isinf(v))
		snprintf(arg, sizeof arg, "%lld:U", (long long)t);
	else if (counter && fabs(v) < 1e30)
		snprintf(arg, sizeof arg, "%lld:%.0f", (long long)t, v);
	else if (counter) {
		seterr(err, errlen, "%s: counter value %g out of range", path, v);
		return -ERANGE;
	} else
		snprintf(arg, sizeof arg, "%lld:%.17g", (long long)t, v);

	if (st->daemon != NULL) {
		rc = daemon_connect(st, err, errlen);
		if (rc != 0)
			return rc;
		rrd_clear_error();
		if (rrdc_update(daemon_path(st, path), 1, argv) != 0) {
			seterr(err, errlen, "%s: rrdcached at %s: cannot update: %s", path,
			       st->daemon, librrd_text());
			return -EIO;
		}
		return 0;
	}
	rrd_clear_error();
	if (rrd_update_r(path, NULL, 1, argv) != 0) {
		seterr(err, errlen, "%s: cannot update: %s", path, librrd_text());
		return -EIO;
	}
	return 0;
}

/* --- the store ------------------------------------------------------------- */

rrd_store *rrd_store_open(const char *datadir, const char *daemon, char *err, size_t errlen)
{
	rrd_store *st;
	struct stat sb;
	size_t n;
	int rc;

	if (datadir == NULL || *datadir == '\0') {
		seterr(err, errlen, "no data folder given");
		return NULL;
	}
	st = mem_calloc(1, sizeof *st);
	st->datadir = mem_strdup(datadir);
	n = strlen(st->datadir);
	while (n > 1 && st->datadir[n - 1] == '/')
		st->datadir[--n] = '\0';
	rc = path_mkdirs(st->datadir, 0750);
	if (rc != 0) {
		seterr(err, errlen, "%s: cannot create the data folder: %s", st->datadir,
		       strerror(-rc));
		goto fail;
	}
	if (stat(st->datadir, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    access(st->datadir, W_OK | X_OK) != 0) {
		seterr(err, errlen, "%s: the data folder is not writable: %s", st->datadir,
		       strerror(errno));
		goto fail;
	}
	if (daemon != NULL && *daemon != '\0') {
		st->daemon = mem_strdup(daemon);
		st->remote = daemon[0] != '/' && strncmp(daemon, "unix:", 5) != 0;
		if (daemon_connect(st, err, errlen) != 0)
			goto fail;
	}
	st->nbuckets = 64;
	st->tab = mem_calloc(st->nbuckets, sizeof *st->tab);
	return st;

fail:
	free(st->daemon);
	free(st->datadir);
	free(st);
	return NULL;
}

void rrd_store_close(rrd_store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nbuckets; i++) {
		struct series *s = st->tab[i];

		while (s != NULL) {
			struct series *next = s->next;
			char err[512];

			if (st->daemon != NULL && daemon_flush(st, s->path, err, sizeof err) != 0)
				log_warn("%s", err);
			free(s);
			s = next;
		}
	}
	if (st->daemon != NULL) {
		(void)rrdc_disconnect();
		rrd_clear_error();
	}
	free(st->tab);
	free(st->daemon);
	free(st->datadir);
	free(st);
}

int rrd_store_update(rrd_store *st, const struct rrd_series_def *d, double t, double v, char *err,
		     size_t errlen)
{
	char path[PATH_MAX];
	struct series *s;
	uint64_t h;
	int64_t ts, last = 0;
	int rc;

	if (st == NULL || d == NULL) {
		seterr(err, errlen, "no store or series");
		return -EINVAL;
	}
	if (d->source == NULL || *d->source == '\0' || d->instance == NULL ||
	    *d->instance == '\0' || d->metric == NULL || *d->metric == '\0') {
		seterr(err, errlen, "a series needs a source, an instance and a metric name");
		return -EINVAL;
	}
	if (!rrd_store_path(st, d, path, sizeof path)) {
		seterr(err, errlen, "%s/%s/%s/%s: the file name is too long", st->datadir,
		       d->source, d->instance, d->metric);
		return -ENAMETOOLONG;
	}
	if (d->step < 1 || d->step > 86400) {
		seterr(err, errlen, "%s: step %u is not within 1 .. 86400 seconds", path, d->step);
		return -EINVAL;
	}
	if (!(t >= 2.0 && t < 1e15)) {
		seterr(err, errlen, "%s: %g is not a time in seconds since the epoch", path, t);
		return -EINVAL;
	}
	ts = (int64_t)floor(t);

	h = hash_str(path);
	s = find(st, path, h);
	if (s != NULL && (s->step != d->step || s->counter != d->counter)) {
		char why[96];

		snprintf(why, sizeof why, "step %u %s, now %u %s", s->step,
			 s->counter ? "DERIVE" : "GAUGE", d->step, d->counter ? "DERIVE" : "GAUGE");
		drop(st, s);
		s = NULL;
		rc = retire(st, path, why, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (s == NULL) {
		rc = prepare(st, d, path, ts, &last, err, errlen);
		if (rc != 0)
			return rc;
		uncache(path);
		s = add(st, path, h, d, last);
	}
	if (ts <= s->last) {
		st->skipped++;
		return 0;
	}
	rc = write_sample(st, path, d->counter, ts, v, err, errlen);
	if (rc != 0) {
		drop(st, s);
		return rc;
	}
	s->last = ts;
	return 0;
}

uint64_t rrd_store_skipped(const rrd_store *st)
{
	return st != NULL ? st->skipped : 0;
}

void rrd_points_free(struct rrd_points *p)
{
	if (!p)
		return;
	free(p->v);
	memset(p, 0, sizeof *p);
}

int rrd_store_fetch(rrd_store *st, const struct rrd_series_def *d, const char *cf, double start,
		    double end, struct rrd_points *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (strcmp(cf, "AVERAGE") != 0 && strcmp(cf, "MIN") != 0 && strcmp(cf, "MAX") != 0) {
		snprintf(err, errlen, "no archive of '%s' (AVERAGE, MIN or MAX)", cf);
		return -EINVAL;
	}
	if (!(start < end) || !(start > 0) || end > 1e11) {
		snprintf(err, errlen, "bad time span");
		return -EINVAL;
	}
	char path[PATH_MAX];
	if (!rrd_store_path(st, d, path, sizeof path)) {
		snprintf(err, errlen, "name too long");
		return -EINVAL;
	}
	if (access(path, F_OK) != 0) {
		snprintf(err, errlen, "no such series");
		return -ENOENT;
	}
	if (st->daemon && daemon_flush(st, path, err, errlen) != 0)
		return -EIO;
	time_t t0 = (time_t)start, t1 = (time_t)end;
	unsigned long step = 1, ds_cnt = 0;
	char **ds_names = NULL;
	rrd_value_t *data = NULL;
	rrd_clear_error();
	if (rrd_fetch_r(path, cf, &t0, &t1, &step, &ds_cnt, &ds_names, &data) != 0) {
		snprintf(err, errlen, "%s: %s", path, rrd_get_error());
		rrd_clear_error();
		return -EIO;
	}
	size_t rows = step ? (size_t)((t1 - t0) / (time_t)step) : 0;
	out->start = (double)t0 + (double)step;
	out->step = (double)step;
	out->n = rows;
	out->v = mem_calloc(rows ? rows : 1, sizeof out->v[0]);
	for (size_t i = 0; i < rows && ds_cnt > 0; i++)
		out->v[i] = data[i * ds_cnt];
	for (unsigned long i = 0; i < ds_cnt; i++)
		rrd_freemem(ds_names[i]);
	rrd_freemem(ds_names);
	rrd_freemem(data);
	return 0;
}

/* --- graphs ------------------------------------------------------------------ */

/* rrd_store_graph() builds the arguments of `rrdtool graph - ...` and has
 * librrd draw into memory (the "image" blob of rrd_graph_v()'s info list).
 * Each line i: DEFs a<i>, n<i>, x<i> (AVERAGE, MIN, MAX of "value"), CDEFs
 * avg<i>, lo<i>, hi<i> scaled (lo and hi swapped by a negative scale),
 * rng<i> = hi - lo; an invisible AREA of lo with rng STACKed on it in the
 * line's colour at 30 % is the band; the LINE of avg on top.  Every text
 * handed to librrd is made harmless first: ':' separates its fields (so it
 * becomes "\:"), a backslash starts a control code ("\l", "\t"; it becomes
 * U+2216, which looks alike), and "key=" fields are spelt out ("legend=...")
 * so that '=' in a label is text.  librrd keeps 200 bytes of a legend.
 * A scale of 0 (a request left zeroed) draws the values as they are. */

/* LeakSanitizer's switches, present only in a sanitizer build: librrd
 * 1.7's rrd_graph_v() leaks a few hundred bytes a graph (the legend[] and
 * coords[] strings rrd_info_push() copies, the title's lines), which no
 * caller can free; what it allocates is not checked. */
void __lsan_disable(void) __attribute__((weak));
void __lsan_enable(void) __attribute__((weak));

#define GRAPH_LINES_MAX 64
#define LEGEND_BYTES 180   /* of librrd's 200 per legend text */
#define LABEL_WIDTH_MAX 32 /* labels are padded to the longest, up to this */
#define BAND_ALPHA "4D"	   /* 30 % */

/* Colour-blind-safe (Okabe and Ito's seven, without yellow), then grey. */
static const char *const palette[] = { "0072B2", "D55E00", "009E73", "CC79A7",
				       "E69F00", "56B4E9", "8C564B", "7F7F7F" };

struct args {
	char **v;
	size_t n, cap;
};

static void arg_add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arg_add(struct args *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	s = mem_alloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (a->n == a->cap) {
		a->cap = a->cap != 0 ? 2 * a->cap : 64;
		a->v = mem_realloc(a->v, a->cap * sizeof a->v[0]);
	}
	a->v[a->n++] = s;
}

static void args_free(struct args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* The length of the UTF-8 sequence at p (at most left bytes): 1 .. 4, or
 * 0 if it is not a valid one (overlong, a surrogate, above U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	unsigned c = p[0];
	size_t n;
	unsigned min, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		min = 0x80;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		min = 0x800;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		min = 0x10000;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* A growing string. */
struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const void *s, size_t n)
{
	if (b->cap - b->n < n + 1) {
		size_t cap = b->cap != 0 ? b->cap : 256;

		while (cap - b->n < n + 1)
			cap *= 2;
		b->p = mem_realloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* s as text for librrd, at most max bytes (whole characters): invalid
 * UTF-8 as '?', control characters as spaces, '\' as U+2216, ':' as "\:"
 * where fields are split (colons), else as is.  Into b (appended). */
static void rrd_text(struct sbuf *b, const char *s, size_t max, bool colons)
{
	const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
	size_t left = strlen((const char *)p), start = b->n;

	while (left > 0) {
		size_t n = utf8_seq(p, left);
		const char *out;
		size_t outlen;
		char one[2] = { 0, 0 };

		if (n == 0) {
			out = "?";
			outlen = 1;
			n = 1;
		} else if (n > 1) {
			out = (const char *)p;
			outlen = n;
		} else if (*p < 0x20 || *p == 0x7F) {
			out = " ";
			outlen = 1;
		} else if (*p == '\\') {
			out = "\xE2\x88\x96";
			outlen = 3;
		} else if (*p == ':' && colons) {
			out = "\\:";
			outlen = 2;
		} else {
			one[0] = (char)*p;
			out = one;
			outlen = 1;
		}
		if (b->n - start + outlen > max)
			break;
		sb_add(b, out, outlen);
		p += n;
		left -= n;
	}
	if (b->p == NULL)
		sb_add(b, "", 0);
}

/* Characters (code points) of a valid UTF-8 string: its width in the
 * legend's monospaced font, near enough. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if ((*p & 0xC0) != 0x80)
			w++;
	return w;
}

/* One argument from a text: prefix, then s made harmless (see rrd_text),
 * padded with spaces to width characters, then suffix. */
static void arg_text(struct args *a, const char *prefix, const char *s, size_t width,
		     const char *suffix)
{
	struct sbuf b = { NULL, 0, 0 };
	struct sbuf t = { NULL, 0, 0 };
	size_t w;

	rrd_text(&t, s, LEGEND_BYTES, false);
	w = text_width(t.p);
	sb_str(&b, prefix);
	rrd_text(&b, t.p, 3 * LEGEND_BYTES, true);
	for (; w < width; w++)
		sb_add(&b, " ", 1);
	sb_str(&b, suffix);
	arg_add(a, "%s", b.p);
	free(b.p);
	free(t.p);
}

/* The legend sentence as COMMENT lines of at most cols characters, broken
 * between words. */
static void arg_sentence(struct args *a, const char *s, size_t cols)
{
	struct sbuf clean = { NULL, 0, 0 };
	const char *p;

	rrd_text(&clean, s, 4 * LEGEND_BYTES, false);
	p = clean.p;
	for (int lines = 0; *p != '\0' && lines < 8; lines++) {
		size_t take = 0, w = 0, last_space = 0;
		char line[LEGEND_BYTES + 1];

		while (*p == ' ')
			p++;
		for (size_t i = 0; p[i] != '\0'; i++) {
			if (((unsigned char)p[i] & 0xC0) == 0x80)
				continue;
			if (w == cols || i >= LEGEND_BYTES - 4)
				break;
			if (p[i] == ' ')
				last_space = i;
			w++;
			take = i + 1;
			while (((unsigned char)p[take] & 0xC0) == 0x80)
				take++;
		}
		if (p[take] != '\0' && p[take] != ' ' && last_space > 0)
			take = last_space;
		if (take == 0)
			break;
		memcpy(line, p, take);
		line[take] = '\0';
		arg_text(a, "COMMENT:legend=", line, 0, "\\l");
		p += take;
	}
	free(clean.p);
}

/* XML character data (for the SVG's <title> and <desc>). */
static void xml_text(struct sbuf *b, const char *s)
{
	struct sbuf t = { NULL, 0, 0 };

	rrd_text(&t, s, 4096, false);
	for (const char *p = t.p; *p != '\0'; p++) {
		switch (*p) {
		case '&': sb_str(b, "&amp;"); break;
		case '<': sb_str(b, "&lt;"); break;
		case '>': sb_str(b, "&gt;"); break;
		default: sb_add(b, p, 1); break;
		}
	}
	free(t.p);
}

/* The image out of librrd's info list, malloc'd; an SVG gets the title
 * and the legend sentence as its <title> and <desc> (cairo draws text as
 * glyph outlines: without them the document has no words in it). */
static int take_image(const rrd_info_t *info, const struct rrd_graph_req *g, unsigned char **img,
		      size_t *len, char *err, size_t errlen)
{
	const rrd_info_t *i;
	const unsigned char *p;
	size_t n;

	for (i = info; i != NULL; i = i->next)
		if (strcmp(i->key, "image") == 0 && i->type == RD_I_BLO)
			break;
	if (i == NULL || i->value.u_blo.ptr == NULL || i->value.u_blo.size == 0) {
		seterr(err, errlen, "librrd drew no image");
		return -EIO;
	}
	p = i->value.u_blo.ptr;
	n = i->value.u_blo.size;
	if (!g->png) {
		const unsigned char *svg = memmem(p, n, "<svg", 4);
		const unsigned char *gt =
			svg != NULL ? memchr(svg, '>', n - (size_t)(svg - p)) : NULL;

		if (gt != NULL) {
			struct sbuf b = { NULL, 0, 0 };
			size_t head = (size_t)(gt - p) + 1;

			sb_add(&b, p, head);
			sb_str(&b, "\n<title>");
			xml_text(&b, g->title);
			sb_str(&b, "</title>\n<desc>");
			xml_text(&b, g->legend);
			sb_str(&b, "</desc>");
			sb_add(&b, p + head, n - head);
			*img = (unsigned char *)b.p;
			*len = b.n;
			return 0;
		}
	}
	*img = mem_alloc(n);
	memcpy(*img, p, n);
	*len = n;
	return 0;
}

int rrd_store_graph(const struct rrd_graph_req *g, unsigned char **img, size_t *len, char *err,
		    size_t errlen)
{
	struct args a = { NULL, 0, 0 };
	rrd_info_t *info = NULL;
	size_t width = 0, cols;
	double scale;
	int rc;

	if (img != NULL)
		*img = NULL;
	if (len != NULL)
		*len = 0;
	if (g == NULL || img == NULL || len == NULL) {
		seterr(err, errlen, "no graph request");
		return -EINVAL;
	}
	if (g->n_lines == 0 || g->lines == NULL) {
		seterr(err, errlen, "a graph needs at least one line");
		return -EINVAL;
	}
	if (g->n_lines > GRAPH_LINES_MAX) {
		seterr(err, errlen, "%zu lines: at most %d in a graph", g->n_lines,
		       GRAPH_LINES_MAX);
		return -EINVAL;
	}
	if (!(g->start > 0 && g->start < g->end && g->end < 1e11)) {
		seterr(err, errlen, "bad time span %.0f .. %.0f", g->start, g->end);
		return -EINVAL;
	}
	if (g->width < 100 || g->width > 4000 || g->height < 50 || g->height > 2000) {
		seterr(err, errlen, "size %ux%u is not within 100x50 .. 4000x2000", g->width,
		       g->height);
		return -EINVAL;
	}
	scale = g->scale == 0 ? 1.0 : g->scale;
	if (!isfinite(scale)) {
		seterr(err, errlen, "bad scale %g", g->scale);
		return -EINVAL;
	}
	for (size_t i = 0; i < g->n_lines; i++) {
		const char *path = g->lines[i].path;
		struct stat sb;

		if (path == NULL || *path == '\0') {
			seterr(err, errlen, "line %zu has no file", i + 1);
			return -EINVAL;
		}
		if (stat(path, &sb) != 0) {
			int e = errno;

			seterr(err, errlen, "%s: %s", path, strerror(e));
			return e == ENOENT || e == ENOTDIR ? -ENOENT : -EIO;
		}
		if (!S_ISREG(sb.st_mode)) {
			seterr(err, errlen, "%s: not a file", path);
			return -EIO;
		}
	}

	for (size_t i = 0; i < g->n_lines; i++) {
		struct sbuf t = { NULL, 0, 0 };
		const char *label = g->lines[i].label;
		size_t w;

		if (label == NULL || *label == '\0') {
			const char *slash = strrchr(g->lines[i].path, '/');
			label = slash != NULL ? slash + 1 : g->lines[i].path;
		}
		rrd_text(&t, label, LEGEND_BYTES, false);
		w = text_width(t.p);
		if (w > width)
			width = w < LABEL_WIDTH_MAX ? w : LABEL_WIDTH_MAX;
		free(t.p);
	}
	/* DejaVu Sans Mono at librrd's 8 points: about 7 pixels a character;
	 * the image is some 80 pixels wider than the plot. */
	cols = (g->width + 60) / 7;

	arg_add(&a, "graph");
	arg_add(&a, "-");
	arg_add(&a, "--imgformat=%s", g->png ? "PNG" : "SVG");
	arg_add(&a, "--start=%.0f", floor(g->start));
	arg_add(&a, "--end=%.0f", ceil(g->end));
	arg_add(&a, "--width=%u", g->width);
	arg_add(&a, "--height=%u", g->height);
	arg_add(&a, "--slope-mode");
	arg_add(&a, "--color=BACK#FFFFFF");
	arg_add(&a, "--color=SHADEA#FFFFFF");
	arg_add(&a, "--color=SHADEB#FFFFFF");
	if (g->title != NULL && *g->title != '\0')
		arg_text(&a, "--title=", g->title, 0, "");
	if (g->unit != NULL && *g->unit != '\0')
		arg_text(&a, "--vertical-label=", g->unit, 0, "");
	if (g->daemon != NULL && *g->daemon != '\0')
		arg_add(&a, "--daemon=%s", g->daemon);

	for (size_t i = 0; i < g->n_lines; i++) {
		struct sbuf path = { NULL, 0, 0 };

		for (const char *p = g->lines[i].path; *p != '\0'; p++) {
			if (*p == ':')
				sb_add(&path, "\\", 1);
			sb_add(&path, p, 1);
		}
		for (size_t c = 0; c < 3; c++)
			arg_add(&a, "DEF:%c%zu=%s:%s:%s", "anx"[c], i, path.p, DS_NAME, cfs[c]);
		free(path.p);
		arg_add(&a, "CDEF:avg%zu=a%zu,%.17g,*", i, i, scale);
		arg_add(&a, "CDEF:lo%zu=n%zu,%.17g,*,x%zu,%.17g,*,MIN", i, i, scale, i, scale);
		arg_add(&a, "CDEF:hi%zu=n%zu,%.17g,*,x%zu,%.17g,*,MAX", i, i, scale, i, scale);
		arg_add(&a, "CDEF:rng%zu=hi%zu,lo%zu,-", i, i, i);
		arg_add(&a, "VDEF:last%zu=avg%zu,LAST", i, i);
		arg_add(&a, "VDEF:mean%zu=avg%zu,AVERAGE", i, i);
		arg_add(&a, "VDEF:low%zu=lo%zu,MINIMUM", i, i);
		arg_add(&a, "VDEF:high%zu=hi%zu,MAXIMUM", i, i);
	}
	for (size_t i = 0; i < g->n_lines; i++) {
		const char *colour = palette[i % (sizeof palette / sizeof palette[0])];

		arg_add(&a, "AREA:lo%zu", i);
		arg_add(&a, "AREA:rng%zu#%s%s::STACK", i, colour, BAND_ALPHA);
	}
	/* the header of the figures, over their columns */
	arg_text(&a, "COMMENT:legend=", "", width + 3, "");
	arg_add(&a, "COMMENT:legend=     last");
	arg_add(&a, "COMMENT:legend=  average");
	arg_add(&a, "COMMENT:legend=  minimum");
	arg_add(&a, "COMMENT:legend=  maximum\\l");
	for (size_t i = 0; i < g->n_lines; i++) {
		const char *colour = palette[i % (sizeof palette / sizeof palette[0])];
		const char *label = g->lines[i].label;
		char prefix[64];

		if (label == NULL || *label == '\0') {
			const char *slash = strrchr(g->lines[i].path, '/');
			label = slash != NULL ? slash + 1 : g->lines[i].path;
		}
		snprintf(prefix, sizeof prefix, "LINE%d:avg%zu#%s:legend=", g->n_lines <= 3 ? 2 : 1,
			 i, colour);
		arg_text(&a, prefix, label, width, "");
		arg_add(&a, "GPRINT:last%zu:%%8.3lf%%s", i);
		arg_add(&a, "GPRINT:mean%zu:%%8.3lf%%s", i);
		arg_add(&a, "GPRINT:low%zu:%%8.3lf%%s", i);
		arg_add(&a, "GPRINT:high%zu:%%8.3lf%%s\\l", i);
	}
	if (g->legend != NULL && *g->legend != '\0') {
		arg_add(&a, "COMMENT:legend=\\s");
		arg_sentence(&a, g->legend, cols);
	}

	rrd_clear_error();
	if (__lsan_disable != NULL)
		__lsan_disable();
	info = rrd_graph_v((int)a.n, a.v);
	if (__lsan_enable != NULL)
		__lsan_enable();
	if (info == NULL || rrd_test_error()) {
		seterr(err, errlen, "librrd cannot draw '%s': %s", g->title != NULL ? g->title : "",
		       librrd_text());
		/* librrd's text seldom names the file: find the one it cannot read */
		for (size_t i = 0; i < g->n_lines; i++) {
			rrd_info_t *fi;

			rrd_clear_error();
			fi = rrd_info_r(g->lines[i].path);
			if (fi != NULL) {
				rrd_info_free(fi);
				continue;
			}
			seterr(err, errlen, "%s: librrd cannot read it: %s", g->lines[i].path,
			       librrd_text());
			break;
		}
		rc = -EIO;
		goto out;
	}
	rc = take_image(info, g, img, len, err, errlen);
out:
	if (info != NULL)
		rrd_info_free(info);
	rrd_clear_error();
	args_free(&a);
	return rc;
}
