/* snmp.c - the `snmp` source; see snmp.h. */
#include "sources/snmp.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"

#ifndef SUNDIAL_PROFILE_DIR
#define SUNDIAL_PROFILE_DIR "/usr/local/share/sundial/profiles"
#endif
#define ETC_PROFILE_DIR "/etc/sundial/profiles"
#define PROFILE_SUFFIX ".profile"
#define PATH_TEXT_MAX 4096

static const char sysobjectid_text[] = "1.3.6.1.2.1.1.2.0";

/* ------------------------------------------------------------- profiles */

const char *snmp_source_profile_path(char *buf, size_t len)
{
	const char *env = getenv("SUNDIAL_PROFILES");
	if (env && *env)
		str_copy(buf, env, len);
	else
		snprintf(buf, len, "%s:%s", ETC_PROFILE_DIR, SUNDIAL_PROFILE_DIR);
	return buf;
}

void snmp_source_profiles_free(struct snmp_profile *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		snmp_profile_free(&v[i]);
	free(v);
}

static bool profile_named(const struct snmp_profile *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return true;
	return false;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct snmp_profile *)a)->name,
		      ((const struct snmp_profile *)b)->name);
}

/* Every NAME.profile of one directory not yet in *v (a missing directory
 * is none). */
static int load_dir(const char *dir, struct snmp_profile **v, size_t *n, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int rc = 0;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		size_t sl = strlen(PROFILE_SUFFIX);
		if (e->d_name[0] == '.' || len <= sl ||
		    strcmp(e->d_name + len - sl, PROFILE_SUFFIX) != 0)
			continue;
		char path[PATH_TEXT_MAX];
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
			continue;
		struct snmp_profile p;
		if (snmp_profile_load(path, &p, err, errlen) != 0) {
			rc = -EINVAL;
			break;
		}
		if (profile_named(*v, *n, p.name)) {
			snmp_profile_free(&p);
			continue;
		}
		*v = mem_realloc(*v, (*n + 1) * sizeof(*v)[0]);
		(*v)[(*n)++] = p;
	}
	closedir(d);
	return rc;
}

int snmp_source_profiles(const char *name, struct snmp_profile **out, size_t *n, char *err,
			 size_t errlen)
{
	*out = NULL;
	*n = 0;
	if (name && strchr(name, '/')) {
		struct snmp_profile *p = mem_calloc(1, sizeof *p);
		if (snmp_profile_load(name, p, err, errlen) != 0) {
			free(p);
			return -EINVAL;
		}
		*out = p;
		*n = 1;
		return 0;
	}
	char path[PATH_TEXT_MAX];
	snmp_source_profile_path(path, sizeof path);
	char *save = NULL;
	for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (name) {
			char file[PATH_TEXT_MAX];
			if ((size_t)snprintf(file, sizeof file, "%s/%s%s", dir, name,
					     PROFILE_SUFFIX) >= sizeof file)
				continue;
			FILE *f = fopen(file, "r");
			if (!f)
				continue;
			fclose(f);
			struct snmp_profile *p = mem_calloc(1, sizeof *p);
			if (snmp_profile_load(file, p, err, errlen) != 0) {
				free(p);
				return -EINVAL;
			}
			*out = p;
			*n = 1;
			return 0;
		}
		if (load_dir(dir, out, n, err, errlen) != 0) {
			snmp_source_profiles_free(*out, *n);
			*out = NULL;
			*n = 0;
			return -EINVAL;
		}
	}
	if (*n == 0) {
		snprintf(err, errlen,
			 "%s%s%s: no such profile in %s (files NAME.profile; "
			 "SUNDIAL_PROFILES sets where to look)",
			 name ? "profile '" : "no profiles", name ? name : "", name ? "'" : "",
			 snmp_source_profile_path(path, sizeof path));
		return -ENOENT;
	}
	qsort(*out, *n, sizeof(*out)[0], by_name);
	return 0;
}

/* --------------------------------------------------------------- values */

void snmp_source_label(const char *s, size_t len, char *buf, size_t buflen)
{
	if (buflen == 0)
		return;
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < buflen && n < SNMP_SOURCE_LABEL_MAX; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	buf[n] = '\0';
}

static bool numeric(const struct snmp_client_value *v, double *out)
{
	switch (v->type) {
	case SNMP_CLIENT_T_INTEGER: *out = (double)v->i; return true;
	case SNMP_CLIENT_T_UNSIGNED:
	case SNMP_CLIENT_T_COUNTER32:
	case SNMP_CLIENT_T_COUNTER64:
	case SNMP_CLIENT_T_TIMETICKS: *out = (double)v->u; return true;
	case SNMP_CLIENT_T_FLOAT: *out = v->d; return isfinite(v->d);
	default: return false;
	}
}

bool snmp_source_value(const struct snmp_profile_object *o, const struct snmp_client_value *v,
		       double *out, const char **why)
{
	*why = NULL;
	switch (o->type) {
	case SNMP_PROFILE_STRING:
		if (v->type != SNMP_CLIENT_T_STRING && v->type != SNMP_CLIENT_T_OID &&
		    v->type != SNMP_CLIENT_T_IPADDRESS) {
			*why = "expected an OCTET STRING";
			return false;
		}
		*out = 1;
		return true;
	case SNMP_PROFILE_ENUM:
		if (v->type != SNMP_CLIENT_T_INTEGER) {
			*why = "expected an INTEGER";
			return false;
		}
		*out = (double)v->i;
		return true;
	case SNMP_PROFILE_COUNTER:
	case SNMP_PROFILE_COUNTER64:
		if (v->type != SNMP_CLIENT_T_COUNTER32 && v->type != SNMP_CLIENT_T_COUNTER64 &&
		    v->type != SNMP_CLIENT_T_UNSIGNED &&
		    !(v->type == SNMP_CLIENT_T_INTEGER && v->i >= 0)) {
			*why = "expected a Counter32 or Counter64";
			return false;
		}
		*out = (v->type == SNMP_CLIENT_T_INTEGER ? (double)v->i : (double)v->u) * o->scale;
		return true;
	case SNMP_PROFILE_GAUGE:
		if (o->ms_string) {
			if (v->type != SNMP_CLIENT_T_STRING) {
				*why = "expected an OCTET STRING of milliseconds";
				return false;
			}
			double s;
			switch (snmp_profile_ms_string(v->str ? v->str : "", v->str_len, &s)) {
			case SNMP_PROFILE_MS_OK: *out = s; return true;
			case SNMP_PROFILE_MS_NONE: *out = NAN; return true;
			case SNMP_PROFILE_MS_INVALID: break;
			}
			*why = "not a number of milliseconds";
			return false;
		}
		if (!numeric(v, out)) {
			*why = "expected a number";
			return false;
		}
		*out *= o->scale;
		return true;
	}
	*why = "unknown type";
	return false;
}

/* What an agent sends for an object it does not have. */
static bool absent(const struct snmp_client_value *v)
{
	return !v || v->type == SNMP_CLIENT_T_NO_SUCH_OBJECT ||
	       v->type == SNMP_CLIENT_T_NO_SUCH_INSTANCE ||
	       v->type == SNMP_CLIENT_T_END_OF_MIB_VIEW || v->type == SNMP_CLIENT_T_NULL;
}

/* ---------------------------------------------------------------- state */

enum phase {
	PH_IDLE,
	PH_DETECT,  /* GET of sysObjectID.0 and the detect OIDs */
	PH_LEGACY,  /* GET of the legacy MIBs' objects, once */
	PH_SCALARS, /* GET of the scalars */
	PH_COLUMNS, /* one walk per column */
};

struct snmp_src {
	const struct source_params *p;
	char host[256];
	unsigned port;
	snmp_client *cl;
	struct snmp_profile *profiles; /* candidates: the named one, or all */
	size_t n_profiles;
	const struct snmp_profile *prof; /* chosen; NULL until detected */
	char legacy[SNMP_PROFILE_NAME_MAX + 1];
	bool legacy_done;
	/* the sample */
	enum phase ph;
	double deadline; /* monotonic */
	size_t step_i;	 /* legacy: subtree; columns: the flat column number */
	struct snmp_client_oid *detect_oids;
	size_t n_detect_oids;
	struct snmp_client_result scalars;
	struct snmp_client_result *cols; /* per flat column, in table order */
	size_t n_cols;
	char *warned; /* per scalar then flat column: said once */
};

const struct snmp_profile *snmp_source_chosen(const void *st)
{
	return st ? ((const struct snmp_src *)st)->prof : NULL;
}

const char *snmp_source_legacy(const void *st)
{
	return st ? ((const struct snmp_src *)st)->legacy : "";
}

static void to_client_oid(const struct snmp_profile_oid *in, struct snmp_client_oid *out)
{
	memcpy(out->arc, in->arc, in->len * sizeof in->arc[0]);
	out->len = in->len;
}

static size_t flat_columns(const struct snmp_profile *p)
{
	size_t n = 0;
	for (size_t t = 0; t < p->n_table; n += p->table[t++].n_col)
		;
	return n;
}

/* The table and column of flat column number i. */
static void flat_at(const struct snmp_profile *p, size_t i, size_t *t, size_t *c)
{
	for (*t = 0; *t < p->n_table; (*t)++) {
		if (i < p->table[*t].n_col) {
			*c = i;
			return;
		}
		i -= p->table[*t].n_col;
	}
}

static void drop_results(struct snmp_src *s)
{
	snmp_client_result_free(&s->scalars);
	for (size_t i = 0; i < s->n_cols; i++)
		snmp_client_result_free(&s->cols[i]);
}

static void snmp_close(void *st)
{
	struct snmp_src *s = st;
	if (!s)
		return;
	snmp_client_free(s->cl);
	drop_results(s);
	free(s->cols);
	free(s->warned);
	free(s->detect_oids);
	snmp_source_profiles_free(s->profiles, s->n_profiles);
	free(s);
}

/* The client, with the credentials read from their file (and wiped). */
static int new_client(struct snmp_src *s, char *err, size_t errlen)
{
	struct snmp_client_creds cr;
	if (snmp_client_creds_load(s->p->credentials, &cr, err, errlen) != 0)
		return -EACCES;
	struct snmp_client_opts o = { .host = s->host,
				      .port = s->port,
				      .creds = &cr,
				      .timeout = s->p->timeout > 0 ? s->p->timeout : 1,
				      .retries = s->p->retries };
	s->cl = snmp_client_new(&o, err, errlen);
	snmp_client_creds_wipe(&cr);
	return s->cl ? 0 : -EINVAL;
}

/* Sets what the chosen profile needs. */
static void choose(struct snmp_src *s, const struct snmp_profile *p)
{
	s->prof = p;
	drop_results(s);
	free(s->cols);
	free(s->warned);
	s->n_cols = flat_columns(p);
	s->cols = mem_calloc(s->n_cols ? s->n_cols : 1, sizeof s->cols[0]);
	s->warned = mem_calloc(p->n_scalar + s->n_cols + 1, 1);
}

static void *snmp_open(const struct source_params *p, char *err, size_t errlen)
{
	struct snmp_src *s = mem_calloc(1, sizeof *s);
	s->p = p;
	struct addr_spec spec;
	if (addr_parse_spec(p->target, 161, &spec, err, errlen) != 0)
		goto fail;
	str_copy(s->host, spec.host, sizeof s->host);
	s->port = spec.port;
	if (snmp_source_profiles(p->profile, &s->profiles, &s->n_profiles, err, errlen) != 0)
		goto fail;
	if (new_client(s, err, errlen) != 0)
		goto fail;
	if (p->profile)
		choose(s, &s->profiles[0]);
	/* What detection asks: sysObjectID.0, then every candidate's detect OIDs. */
	size_t n = 1;
	for (size_t i = 0; i < s->n_profiles; i++)
		n += s->profiles[i].n_detect;
	s->detect_oids = mem_calloc(n, sizeof s->detect_oids[0]);
	if (!snmp_client_oid_parse(sysobjectid_text, &s->detect_oids[0]))
		goto fail;
	s->n_detect_oids = 1;
	for (size_t i = 0; i < s->n_profiles; i++)
		for (size_t k = 0; k < s->profiles[i].n_detect; k++)
			if (!s->profiles[i].detect[k].sysobjectid)
				to_client_oid(&s->profiles[i].detect[k].oid,
					      &s->detect_oids[s->n_detect_oids++]);
	return s;
fail:
	snmp_close(s);
	return NULL;
}

static int client_errno(enum snmp_client_err e)
{
	switch (e) {
	case SNMP_CLIENT_E_TIMEOUT: return -ETIMEDOUT;
	case SNMP_CLIENT_E_AUTH:
	case SNMP_CLIENT_E_UNKNOWN_USER:
	case SNMP_CLIENT_E_DECRYPT:
	case SNMP_CLIENT_E_SECURITY: return -EACCES;
	case SNMP_CLIENT_E_UNREACHABLE: return -EHOSTUNREACH;
	default: return -EIO;
	}
}

/* The detect GET's answer: which candidate the agent is. */
static int detected(struct snmp_src *s, char *err, size_t errlen)
{
	struct snmp_client_result r;
	snmp_client_take(s->cl, &r);
	struct snmp_client_oid sysoid = { .len = 0 };
	bool have_sysoid = r.n > 0 && r.v[0].type == SNMP_CLIENT_T_OID && r.v[0].str &&
			   snmp_client_oid_parse(r.v[0].str, &sysoid);
	const struct snmp_profile *found = NULL, *fallback = NULL;
	size_t k = 1; /* the answers to the detect OIDs, in candidate order */
	for (size_t i = 0; i < s->n_profiles; i++) {
		const struct snmp_profile *p = &s->profiles[i];
		bool hit = false;
		for (size_t d = 0; d < p->n_detect; d++) {
			const struct snmp_profile_detect *dt = &p->detect[d];
			bool holds = false;
			if (dt->sysobjectid) {
				struct snmp_client_oid want;
				to_client_oid(&dt->oid, &want);
				holds = have_sysoid && (snmp_client_oid_cmp(&sysoid, &want) == 0 ||
							snmp_client_oid_under(&sysoid, &want));
			} else {
				const struct snmp_client_value *v = k < r.n ? &r.v[k] : NULL;
				k++;
				holds = v && v->type != SNMP_CLIENT_T_NO_SUCH_OBJECT &&
					v->type != SNMP_CLIENT_T_NO_SUCH_INSTANCE &&
					v->type != SNMP_CLIENT_T_END_OF_MIB_VIEW &&
					v->type != SNMP_CLIENT_T_NULL;
			}
			hit = hit || holds;
		}
		if (hit && p->fallback && !fallback)
			fallback = p;
		else if (hit && !p->fallback && !found)
			found = p;
	}
	if (!found)
		found = fallback;
	snmp_client_result_free(&r);
	if (!found) {
		snprintf(err, errlen,
			 "%s: no profile's detect objects hold (sysObjectID.0 %s); name one with "
			 "'profile NAME'",
			 s->p->target, have_sysoid ? "not known" : "not answered");
		return -ENODEV;
	}
	choose(s, found);
	log_info("snmp %s: profile %s%s%s", s->p->target, found->name,
		 found->description ? ": " : "", found->description ? found->description : "");
	return 0;
}

/* Starts the request of the current phase, or moves on to the next phase
 * when it has none.  0 (a request under way or PH_IDLE: done), or a
 * negative errno. */
static int start_phase(struct snmp_src *s, char *err, size_t errlen)
{
	for (;;) {
		const struct snmp_profile *p = s->prof;
		int rc = 0;
		switch (s->ph) {
		case PH_IDLE: return 0;
		case PH_DETECT:
			rc = snmp_client_get(s->cl, s->detect_oids, s->n_detect_oids);
			break;
		case PH_LEGACY: {
			if (s->legacy_done || p->n_legacy == 0) {
				s->legacy_done = true;
				s->ph = PH_SCALARS;
				continue;
			}
			struct snmp_client_oid *v = mem_calloc(p->n_legacy, sizeof v[0]);
			for (size_t i = 0; i < p->n_legacy; i++)
				to_client_oid(&p->legacy[i].oid, &v[i]);
			rc = snmp_client_get(s->cl, v, p->n_legacy);
			free(v);
			break;
		}
		case PH_SCALARS: {
			if (p->n_scalar == 0) {
				s->ph = PH_COLUMNS;
				s->step_i = 0;
				continue;
			}
			struct snmp_client_oid *v = mem_calloc(p->n_scalar, sizeof v[0]);
			for (size_t i = 0; i < p->n_scalar; i++)
				to_client_oid(&p->scalar[i].oid, &v[i]);
			rc = snmp_client_get(s->cl, v, p->n_scalar);
			free(v);
			break;
		}
		case PH_COLUMNS: {
			if (s->step_i >= s->n_cols) {
				s->ph = PH_IDLE;
				return 0;
			}
			size_t t = 0, c = 0;
			flat_at(p, s->step_i, &t, &c);
			struct snmp_client_oid col;
			to_client_oid(&p->table[t].col[c].oid, &col);
			rc = snmp_client_walk(s->cl, &col);
			break;
		}
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s: cannot start a request: %s", s->p->target,
				 strerror(-rc));
			return rc;
		}
		return 0;
	}
}

/* The current request ended well: keep its answer, go on. */
static int phase_done(struct snmp_src *s, char *err, size_t errlen)
{
	switch (s->ph) {
	case PH_IDLE: return 0;
	case PH_DETECT: {
		int rc = detected(s, err, errlen);
		if (rc != 0)
			return rc;
		s->ph = PH_LEGACY;
		s->step_i = 0;
		break;
	}
	case PH_LEGACY: {
		struct snmp_client_result r;
		snmp_client_take(s->cl, &r);
		for (size_t i = 0; i < r.n && i < s->prof->n_legacy && !s->legacy[0]; i++)
			if (!absent(&r.v[i])) {
				str_copy(s->legacy, s->prof->legacy[i].name, sizeof s->legacy);
				log_info("snmp %s: the legacy %s is there too", s->p->target,
					 s->legacy);
			}
		snmp_client_result_free(&r);
		s->legacy_done = true;
		s->ph = PH_SCALARS;
		break;
	}
	case PH_SCALARS:
		snmp_client_take(s->cl, &s->scalars);
		s->ph = PH_COLUMNS;
		s->step_i = 0;
		break;
	case PH_COLUMNS:
		snmp_client_take(s->cl, &s->cols[s->step_i]);
		s->step_i++;
		break;
	}
	return start_phase(s, err, errlen);
}

static int snmp_sample(void *st, double timeout, char *err, size_t errlen)
{
	struct snmp_src *s = st;
	/* the last sample ran out of time with a request under way */
	snmp_client_cancel(s->cl, "the sample's time ran out");
	if (s->prof)
		drop_results(s);
	s->deadline = clock_mono_sec() + timeout;
	s->step_i = 0;
	s->ph = s->prof ? (s->legacy_done ? PH_SCALARS : PH_LEGACY) : PH_DETECT;
	int rc = start_phase(s, err, errlen);
	if (rc != 0) {
		s->ph = PH_IDLE;
		return rc;
	}
	return s->ph == PH_IDLE ? 0 : -EINPROGRESS;
}

static int snmp_step(void *st, bool readable, double *wait, char *err, size_t errlen)
{
	struct snmp_src *s = st;
	*wait = -1;
	if (readable)
		snmp_client_readable(s->cl);
	else
		snmp_client_timeout(s->cl);
	if (s->ph == PH_IDLE)
		return 0;
	for (;;) {
		enum snmp_client_err e = snmp_client_status(s->cl);
		if (e == SNMP_CLIENT_PENDING)
			break;
		if (e != SNMP_CLIENT_OK) {
			snprintf(err, errlen, "%s", snmp_client_errmsg(s->cl));
			s->ph = PH_IDLE;
			return client_errno(e);
		}
		int rc = phase_done(s, err, errlen);
		if (rc != 0) {
			s->ph = PH_IDLE;
			return rc;
		}
		if (s->ph == PH_IDLE)
			return 0;
	}
	double left = s->deadline - clock_mono_sec();
	if (left <= 0) {
		snprintf(err, errlen,
			 "%s: the sample took longer than its time (80 %% of the interval, at "
			 "most 10 s): fewer columns, a shorter timeout or a longer interval",
			 s->p->target);
		snmp_client_cancel(s->cl, "the sample's time ran out");
		s->ph = PH_IDLE;
		return -ETIMEDOUT;
	}
	double t = snmp_client_next_timeout(s->cl);
	*wait = t >= 0 && t < left ? t : left;
	return -EINPROGRESS;
}

static int snmp_fd(void *st)
{
	return snmp_client_fd(((struct snmp_src *)st)->cl);
}

/* ------------------------------------------------------------- publish */

/* A row of a table: its index (the OID after the column) and label. */
struct row {
	struct snmp_client_oid idx;
	char label[SNMP_SOURCE_LABEL_MAX + 16];
};

/* A row's label and number, to sort rows by label (then by number). */
struct labelled {
	const char *label;
	size_t row;
};

static int label_cmp(const void *x, const void *y)
{
	const struct labelled *a = x, *b = y;
	int c = strcmp(a->label, b->label);
	return c ? c : (a->row > b->row) - (a->row < b->row);
}

/* A column's values by their index, sorted, so that a table of n rows is
 * put together in O(n log n) rather than by a scan per row and column. */
struct cell {
	const uint32_t *arc; /* the index: the value's OID after the column */
	size_t len;
	size_t pos; /* place in the walk: of two equal indexes the first wins */
	const struct snmp_client_value *v;
};

struct column {
	struct cell *c;
	size_t n;
};

static int arcs_cmp(const uint32_t *a, size_t al, const uint32_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return al < bl ? -1 : al > bl ? 1 : 0;
}

static int cell_cmp(const void *x, const void *y)
{
	const struct cell *a = x, *b = y;
	int c = arcs_cmp(a->arc, a->len, b->arc, b->len);
	return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* The values of walk r under column oid col, sorted by index. */
static void column_build(struct column *k, const struct snmp_client_result *r,
			 const struct snmp_profile_oid *col)
{
	k->c = mem_alloc((r->n ? r->n : 1) * sizeof k->c[0]);
	k->n = 0;
	bool sorted = true;
	for (size_t i = 0; i < r->n; i++) {
		const struct snmp_client_value *v = &r->v[i];
		if (v->oid.len <= col->len)
			continue;
		struct cell *c = &k->c[k->n];
		*c = (struct cell){ v->oid.arc + col->len, v->oid.len - col->len, i, v };
		sorted = sorted && (k->n == 0 || cell_cmp(&k->c[k->n - 1], c) < 0);
		k->n++;
	}
	if (!sorted)
		qsort(k->c, k->n, sizeof k->c[0], cell_cmp);
}

/* The value of the row idx in column k, or NULL. */
static const struct snmp_client_value *find_row(const struct column *k,
						const struct snmp_client_oid *idx)
{
	size_t lo = 0, hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (arcs_cmp(k->c[mid].arc, k->c[mid].len, idx->arc, idx->len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < k->n && arcs_cmp(k->c[lo].arc, k->c[lo].len, idx->arc, idx->len) == 0)
		return k->c[lo].v;
	return NULL;
}

static void warn_once(struct snmp_src *s, size_t slot, const char *obj, const char *why)
{
	if (s->warned[slot])
		return;
	s->warned[slot] = 1;
	log_warn("snmp %s: %s: %s (said once)", s->p->target, obj, why);
}

/* One object's value through out (label: the row's label name and value, or
 * NULL for a scalar). */
static void put_object(struct snmp_src *s, size_t slot, const struct snmp_profile_object *o,
		       const struct snmp_client_value *v, double mul, const char *lname,
		       const char *lvalue, const struct source_out *out)
{
	if (o->hidden)
		return;
	enum metric_type mt = o->type == SNMP_PROFILE_COUNTER || o->type == SNMP_PROFILE_COUNTER64
				      ? METRIC_COUNTER
				      : METRIC_GAUGE;
	char help[SNMP_PROFILE_NAME_MAX + 64];
	snprintf(help, sizeof help, "SNMP object %s of profile %s.", o->name, s->prof->name);
	const char *ex[5] = { NULL };
	size_t k = 0;
	if (lname) {
		ex[k++] = lname;
		ex[k++] = lvalue;
	}
	if (absent(v)) {
		if (!o->optional) {
			warn_once(s, slot, o->name, "the agent does not have it");
			out->put(out->ctx, o->metric, help, mt, k ? ex : NULL, NAN);
		}
		return;
	}
	double x;
	const char *why;
	if (!snmp_source_value(o, v, &x, &why)) {
		char msg[160];
		snprintf(msg, sizeof msg, "%s, the agent sent %s", why,
			 snmp_client_type_name(v->type));
		warn_once(s, slot, o->name, msg);
		out->put(out->ctx, o->metric, help, mt, k ? ex : NULL, NAN);
		return;
	}
	char sval[SNMP_SOURCE_LABEL_MAX + 1];
	if (o->type == SNMP_PROFILE_STRING) {
		snmp_source_label(v->str ? v->str : "", v->str ? v->str_len : 0, sval, sizeof sval);
		ex[k++] = "value";
		ex[k++] = sval;
	}
	out->put(out->ctx, o->metric, help, mt, k ? ex : NULL, x * mul);
}

/* The numeric value of column k (object o) of a row, or NAN. */
static double column_number(const struct column *k, const struct snmp_profile_object *o,
			    const struct snmp_client_oid *idx)
{
	const struct snmp_client_value *v = find_row(k, idx);
	double x;
	const char *why;
	if (absent(v) || !snmp_source_value(o, v, &x, &why))
		return NAN;
	return x;
}

static void put_mbg(const char *family, const char *help, const char *label, double v,
		    const struct source_out *out)
{
	const char *ex[] = { "refclock", label, NULL };
	if (!isnan(v))
		out->put(out->ctx, family, help, METRIC_GAUGE, ex, v);
}

/* Meinberg: what StatusA/B mean for this refclock's receiver. */
static void meinberg_row(const struct column *cols, const struct snmp_profile_table *t,
			 const struct row *r, const struct source_out *out)
{
	static const char *const need[] = { "type",	   "substate", "statusa",
					    "statusa_max", "statusb",  "statusb_max" };
	double v[6];
	for (size_t i = 0; i < 6; i++) {
		v[i] = NAN;
		for (size_t c = 0; c < t->n_col; c++)
			if (strcmp(t->col[c].name, need[i]) == 0)
				v[i] = column_number(&cols[c], &t->col[c], &r->idx);
		if (isnan(v[i]) && i < 2)
			return;
	}
	struct snmp_profile_mbg_status m;
	long long a = isnan(v[2]) ? -1 : (long long)v[2], ma = isnan(v[3]) ? -1 : (long long)v[3];
	long long b = isnan(v[4]) ? -1 : (long long)v[4], mb = isnan(v[5]) ? -1 : (long long)v[5];
	snmp_profile_mbg_refclock((long long)v[0], (long long)v[1], a, ma, b, mb, &m);
	put_mbg("sundial_snmp_meinberg_refclock_satellites_good",
		"Good satellites of a GNSS refclock (mbgLtNgRefclockStatusA).", r->label,
		m.satellites_good, out);
	put_mbg("sundial_snmp_meinberg_refclock_satellites_in_view",
		"Satellites in view of a GNSS refclock (mbgLtNgRefclockMaxStatusA).", r->label,
		m.satellites_in_view, out);
	put_mbg("sundial_snmp_meinberg_refclock_correlation_ratio",
		"Correlation of a PZF refclock, 0..1 (mbgLtNgRefclockStatusA).", r->label,
		m.correlation, out);
	put_mbg("sundial_snmp_meinberg_refclock_field_strength_ratio",
		"Field strength of a long-wave refclock, 0..1 (mbgLtNgRefclockStatusB).", r->label,
		m.field_strength, out);
}

static void put_table(struct snmp_src *s, size_t t_i, size_t first, const struct source_out *out)
{
	const struct snmp_profile_table *t = &s->prof->table[t_i];
	struct column *cols = mem_calloc(t->n_col ? t->n_col : 1, sizeof cols[0]);
	size_t total = 0;
	for (size_t c = 0; c < t->n_col; c++) {
		column_build(&cols[c], &s->cols[first + c], &t->col[c].oid);
		total += cols[c].n;
	}
	/* The rows: every index any column has, once, in OID order. */
	struct cell *all = mem_alloc((total ? total : 1) * sizeof all[0]);
	size_t k = 0;
	for (size_t c = 0; c < t->n_col; c++)
		for (size_t i = 0; i < cols[c].n; i++)
			all[k++] = cols[c].c[i];
	if (total > 1)
		qsort(all, total, sizeof all[0], cell_cmp);
	struct row *rows = mem_alloc((total ? total : 1) * sizeof rows[0]);
	size_t n = 0;
	for (size_t i = 0; i < total; i++) {
		if (i > 0 && arcs_cmp(all[i - 1].arc, all[i - 1].len, all[i].arc, all[i].len) == 0)
			continue;
		rows[n].idx.len = all[i].len;
		memcpy(rows[n].idx.arc, all[i].arc, all[i].len * sizeof all[i].arc[0]);
		n++;
	}
	free(all);
	/* Their labels: the key column's value, else the index; a key that
	 * repeats gets the index after it (all but the first row with it). */
	struct labelled *by_label = mem_alloc((n ? n : 1) * sizeof by_label[0]);
	size_t nl = 0;
	for (size_t i = 0; i < n; i++) {
		rows[i].label[0] = '\0';
		if (!t->key)
			continue;
		const struct snmp_client_value *v = find_row(&cols[t->key - 1], &rows[i].idx);
		if (!absent(v) && v->str && v->str_len > 0)
			snmp_source_label(v->str, v->str_len, rows[i].label, sizeof rows[i].label);
		if (rows[i].label[0])
			by_label[nl++] = (struct labelled){ rows[i].label, i };
	}
	if (nl > 1)
		qsort(by_label, nl, sizeof by_label[0], label_cmp);
	for (size_t a = 0; a < nl;) {
		size_t b = a + 1;
		while (b < nl && strcmp(by_label[a].label, by_label[b].label) == 0)
			b++;
		for (size_t d = a + 1; d < b; d++) {
			struct row *r = &rows[by_label[d].row];
			char idx[SNMP_CLIENT_OID_TEXT_MAX];
			snmp_client_oid_format(&r->idx, idx, sizeof idx);
			size_t l = strlen(r->label);
			snprintf(r->label + l, sizeof r->label - l, ".%.12s", idx);
		}
		a = b;
	}
	free(by_label);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].label[0])
			continue;
		char idx[SNMP_CLIENT_OID_TEXT_MAX];
		snmp_client_oid_format(&rows[i].idx, idx, sizeof idx);
		snmp_source_label(idx, strlen(idx), rows[i].label, sizeof rows[i].label);
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t c = 0; c < t->n_col; c++) {
			const struct snmp_profile_object *o = &t->col[c];
			if (t->key && c == t->key - 1)
				continue;
			double mul = 1;
			if (o->mul) {
				mul = column_number(&cols[o->mul - 1], &t->col[o->mul - 1],
						    &rows[i].idx);
				if (isnan(mul))
					continue;
			}
			const struct snmp_client_value *v = find_row(&cols[c], &rows[i].idx);
			if (!v && o->optional)
				continue;
			put_object(s, s->prof->n_scalar + first + c, o, v, mul, t->label,
				   rows[i].label, out);
		}
		if (strcmp(s->prof->name, "meinberg") == 0 && strcmp(t->name, "refclock") == 0)
			meinberg_row(cols, t, &rows[i], out);
	}
	for (size_t c = 0; c < t->n_col; c++)
		free(cols[c].c);
	free(cols);
	free(rows);
}

static void snmp_publish(void *st, int rc, const struct source_out *out)
{
	struct snmp_src *s = st;
	if (rc != 0 || !s->prof)
		return;
	const char *ex[] = { "profile", s->prof->name, "legacy", s->legacy, NULL };
	out->put(out->ctx, "sundial_snmp_info",
		 "The profile an SNMP agent is read with and the legacy MIB found (\"\": none).",
		 METRIC_GAUGE, ex, 1);
	for (size_t i = 0; i < s->prof->n_scalar; i++)
		put_object(s, i, &s->prof->scalar[i], i < s->scalars.n ? &s->scalars.v[i] : NULL, 1,
			   NULL, NULL, out);
	size_t first = 0;
	for (size_t t = 0; t < s->prof->n_table; t++) {
		put_table(s, t, first, out);
		first += s->prof->table[t].n_col;
	}
}

static int snmp_readable(void *st, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	snmp_client_readable(((struct snmp_src *)st)->cl);
	return 0;
}

const struct source_ops snmp_source = {
	.kind = "snmp",
	.threaded = false,
	.open = snmp_open,
	.sample = snmp_sample,
	.publish = snmp_publish,
	.fd = snmp_fd,
	.readable = snmp_readable,
	.step = snmp_step,
	.close = snmp_close,
};
