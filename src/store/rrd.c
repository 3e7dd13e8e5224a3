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

/* mkdir -p: path and its parents, each made with mode if missing. */
static int make_dirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	struct stat sb;

	if (str_copy(buf, path, sizeof buf) >= sizeof buf)
		return -ENAMETOOLONG;
	if (stat(buf, &sb) == 0)
		return S_ISDIR(sb.st_mode) ? 0 : -ENOTDIR;
	for (char *p = buf + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		if (p[-1] != '/') {
			*p = '\0';
			if (mkdir(buf, mode) != 0) {
				int e = errno;

				if (e != EEXIST)
					return -e;
				if (stat(buf, &sb) != 0)
					return -errno;
				if (!S_ISDIR(sb.st_mode))
					return -ENOTDIR;
			}
			*p = c;
		}
		if (c == '\0')
			return 0;
	}
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
	rc = make_dirs(dir, 0750);
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
	rc = make_dirs(st->datadir, 0750);
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
