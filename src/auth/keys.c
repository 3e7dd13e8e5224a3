/* keys.c - symmetric NTP keys from ntp.keys and chrony.keys; see keys.h.
 *
 * The rules below were checked against the sources of the three daemons:
 *
 * ntp.keys (NTPsec libntp/authreadkeys.c and docs/includes/ntp.keys-body.adoc,
 * NTP classic libntp/authreadkeys.c, ntp.keys(5)):
 *   KEYID TYPE KEY [IP-LIST]
 *   - fields are separated by blanks; '#' ends the line (nexttok() stops at it);
 *   - TYPE is matched without regard to case.  Both daemons take any OpenSSL
 *     digest or cipher; we take the ones an NTP MAC is made of: M or MD5,
 *     SHA1 (SHA-1), SHA256 (SHA-256, SHA2-256), and for AES-CMAC (RFC 8573)
 *     AES, AES128CMAC, AES-128 (NTPsec maps AES and AES128CMAC to AES-128 and
 *     appends -CBC) and AES-256;
 *   - KEY of at most 20 characters is printable ASCII used as is; a longer
 *     one is hex ("Keys longer than 20 characters are assumed to be hex").
 *     NTPsec silently drops a trailing odd digit and truncates keys past 32
 *     octets, NTP classic zero-pads short CMAC keys: we reject all three
 *     (odd digit count, more than KEY_MAX_SECRET octets, CMAC keys that are
 *     not exactly 16 or 32 octets) rather than use a key that differs from
 *     the one the peer uses;
 *   - IP-LIST is NTP classic's optional list of addresses allowed to use the
 *     key (4.2.8p7 and later); NTPsec ignores it, and so do we.
 *
 * chrony.keys (chrony keys.c KEY_Reload, cmdparse.c CPS_NormalizeLine and
 * CPS_ParseKey, util.c UTI_HashNameToAlgorithm, UTI_CmacNameToAlgorithm and
 * UTI_HexToBytes, doc/chrony.conf.adoc "keyfile"):
 *   KEYID [TYPE] KEY
 *   - a line whose first non-blank character is one of "!;#%" is a comment;
 *     there are no comments after a key ('#' may be part of an ASCII key);
 *   - two or three fields; TYPE defaults to MD5 and is case-sensitive: MD5,
 *     SHA1, SHA256 and the ciphers AES128 and AES256 (whose key length must
 *     match the cipher);
 *   - KEY is "HEX:" and an even number of hex digits, "ASCII:" and text, or
 *     text; an empty key is an error.
 *
 * Both: key ids 1 .. 2^32-1 (ntpd stops at 65535, chrony does not); a key id
 * may appear only once (ntpd and chrony silently keep one of them).
 *
 * The input is a buffer of len bytes with no terminating NUL (it is fuzzed):
 * every access is an index checked against a length.  Messages never contain
 * key material, and a field is quoted only if it is a known algorithm name.
 */
#include "auth/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"

#define KEYFILE_MAX_SIZE (1024 * 1024) /* keyring_load refuses larger files */
#define NTP_ASCII_MAX 20	       /* ntp.keys: longer keys are hex */
#define MAX_FIELDS 5		       /* one more than any format allows */

struct keyring {
	struct key *keys; /* in file order */
	size_t n, cap;
	uint32_t *slot; /* open addressing on id: index + 1, 0 = empty */
	size_t nslot;	/* 0 or a power of two, at least 2 * cap */
};

/* --- the ring --- */

keyring *keyring_new(void)
{
	return mem_calloc(1, sizeof(keyring));
}

void keyring_free(keyring *kr)
{
	if (!kr)
		return;
	if (kr->keys) {
		mem_wipe(kr->keys, kr->cap * sizeof kr->keys[0]);
		free(kr->keys);
	}
	free(kr->slot);
	mem_wipe(kr, sizeof *kr);
	free(kr);
}

static size_t hash_id(uint32_t id, size_t nslot)
{
	/* Fibonacci hashing; nslot is a power of two. */
	return (size_t)((id * 2654435769u) & (uint32_t)(nslot - 1));
}

static void slot_insert(keyring *kr, size_t idx)
{
	size_t i = hash_id(kr->keys[idx].id, kr->nslot);
	while (kr->slot[i] != 0)
		i = (i + 1) & (kr->nslot - 1);
	kr->slot[i] = (uint32_t)(idx + 1);
}

/* Makes room for one more key.  Secrets are copied into a fresh array and
 * the old one wiped, never realloc()ed, so no stale copy is left behind. */
static int ring_grow(keyring *kr)
{
	if (kr->n < kr->cap)
		return 0;
	if (kr->cap >= UINT32_MAX / 4)
		return -ENOMEM;
	size_t ncap = kr->cap ? kr->cap * 2 : 8;
	struct key *nk = mem_calloc(ncap, sizeof nk[0]);
	if (kr->n)
		memcpy(nk, kr->keys, kr->n * sizeof nk[0]);
	if (kr->keys) {
		mem_wipe(kr->keys, kr->cap * sizeof kr->keys[0]);
		free(kr->keys);
	}
	kr->keys = nk;
	kr->cap = ncap;

	free(kr->slot);
	kr->nslot = ncap * 2;
	kr->slot = mem_calloc(kr->nslot, sizeof kr->slot[0]);
	for (size_t i = 0; i < kr->n; i++)
		slot_insert(kr, i);
	return 0;
}

const struct key *keyring_find(const keyring *kr, uint32_t id)
{
	if (!kr || kr->nslot == 0)
		return NULL;
	size_t i = hash_id(id, kr->nslot);
	while (kr->slot[i] != 0) {
		const struct key *k = &kr->keys[kr->slot[i] - 1];
		if (k->id == id)
			return k;
		i = (i + 1) & (kr->nslot - 1);
	}
	return NULL;
}

size_t keyring_count(const keyring *kr)
{
	return kr ? kr->n : 0;
}

const char *key_alg_name(enum key_alg alg)
{
	switch (alg) {
	case KEY_ALG_MD5: return "MD5";
	case KEY_ALG_SHA1: return "SHA1";
	case KEY_ALG_SHA256: return "SHA256";
	case KEY_ALG_AES128_CMAC: return "AES128-CMAC";
	case KEY_ALG_AES256_CMAC: return "AES256-CMAC";
	}
	return "unknown";
}

/* --- text --- */

/* A field of a line: a view into the caller's buffer. */
struct field {
	const char *p;
	size_t len;
};

static bool is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_ctrl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool field_eq(const struct field *f, const char *s, bool nocase)
{
	size_t n = strlen(s);
	if (f->len != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)f->p[i], b = (unsigned char)s[i];
		if (nocase && a >= 'a' && a <= 'z')
			a = (unsigned char)(a - 'a' + 'A');
		if (a != b)
			return false;
	}
	return true;
}

static bool field_has_prefix(const struct field *f, const char *s)
{
	size_t n = strlen(s);
	return f->len >= n && memcmp(f->p, s, n) == 0;
}

/* Splits line[0, len) into at most MAX_FIELDS fields; returns how many were
 * found (MAX_FIELDS meaning "that many or more").  With hash_comment, '#'
 * ends the line (ntp.keys). */
static size_t split(const char *line, size_t len, bool hash_comment, struct field *f)
{
	size_t n = 0, i = 0;
	while (i < len && n < MAX_FIELDS) {
		while (i < len && is_blank((unsigned char)line[i]))
			i++;
		if (i == len || (hash_comment && line[i] == '#'))
			break;
		size_t start = i;
		while (i < len && !is_blank((unsigned char)line[i]) &&
		       !(hash_comment && line[i] == '#'))
			i++;
		f[n].p = line + start;
		f[n].len = i - start;
		n++;
		if (i < len && hash_comment && line[i] == '#')
			break;
	}
	return n;
}

/* chrony.keys comment: first non-blank character in "!;#%". */
static bool chrony_comment(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && is_blank((unsigned char)line[i]))
		i++;
	return i < len && memchr("!;#%", line[i], 4) != NULL;
}

/* Decimal 1 .. 2^32-1, digits only. */
static bool parse_id(const struct field *f, uint32_t *id)
{
	uint64_t v = 0;
	if (f->len == 0)
		return false;
	for (size_t i = 0; i < f->len; i++) {
		unsigned char c = (unsigned char)f->p[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (uint64_t)(c - '0');
		if (v > UINT32_MAX)
			return false;
	}
	*id = (uint32_t)v;
	return true;
}

/* --- algorithm names --- */

#define NO_ALG (-1)

struct type_name {
	const char *name; /* upper case */
	int ntp;	  /* enum key_alg in ntp.keys (any case), or NO_ALG */
	int chrony;	  /* enum key_alg in chrony.keys (exact case), or NO_ALG */
};

static const struct type_name type_names[] = {
	{ "M", KEY_ALG_MD5, NO_ALG },
	{ "MD5", KEY_ALG_MD5, KEY_ALG_MD5 },
	{ "SHA1", KEY_ALG_SHA1, KEY_ALG_SHA1 },
	{ "SHA-1", KEY_ALG_SHA1, NO_ALG },
	{ "SHA256", KEY_ALG_SHA256, KEY_ALG_SHA256 },
	{ "SHA-256", KEY_ALG_SHA256, NO_ALG },
	{ "SHA2-256", KEY_ALG_SHA256, NO_ALG },
	{ "AES", KEY_ALG_AES128_CMAC, NO_ALG },
	{ "AES128CMAC", KEY_ALG_AES128_CMAC, NO_ALG },
	{ "AES-128", KEY_ALG_AES128_CMAC, NO_ALG },
	{ "AES-256", KEY_ALG_AES256_CMAC, NO_ALG },
	{ "AES128", NO_ALG, KEY_ALG_AES128_CMAC },
	{ "AES256", NO_ALG, KEY_ALG_AES256_CMAC },
	/* Real algorithms that the daemons may accept but sundial does not:
	 * named in messages, which is why they are listed. */
	{ "SHA", NO_ALG, NO_ALG },
	{ "SHA224", NO_ALG, NO_ALG },
	{ "SHA384", NO_ALG, NO_ALG },
	{ "SHA512", NO_ALG, NO_ALG },
	{ "SHA3-224", NO_ALG, NO_ALG },
	{ "SHA3-256", NO_ALG, NO_ALG },
	{ "SHA3-384", NO_ALG, NO_ALG },
	{ "SHA3-512", NO_ALG, NO_ALG },
	{ "TIGER", NO_ALG, NO_ALG },
	{ "WHIRLPOOL", NO_ALG, NO_ALG },
	{ "RMD160", NO_ALG, NO_ALG },
	{ "RIPEMD160", NO_ALG, NO_ALG },
	{ "MD4", NO_ALG, NO_ALG },
	{ "SM3", NO_ALG, NO_ALG },
	{ "AES-192", NO_ALG, NO_ALG },
	{ "AES192", NO_ALG, NO_ALG },
	{ "ARIA-128", NO_ALG, NO_ALG },
	{ "CAMELLIA-128", NO_ALG, NO_ALG },
};

#define N_TYPE_NAMES (sizeof type_names / sizeof type_names[0])

/* The table entry that f names, ignoring case, or NULL. */
static const struct type_name *type_lookup(const struct field *f)
{
	for (size_t i = 0; i < N_TYPE_NAMES; i++)
		if (field_eq(f, type_names[i].name, true))
			return &type_names[i];
	return NULL;
}

/* --- errors --- */

struct ctx {
	const char *name;
	size_t line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct ctx *c, const char *fmt, ...)
{
	if (c->err && c->errlen) {
		char what[256];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(what, sizeof what, fmt, ap);
		va_end(ap);
		snprintf(c->err, c->errlen, "%s:%zu: %s", c->name, c->line, what);
	}
	return -EINVAL;
}

/* --- key strings --- */

static int decode_hex(struct ctx *c, const char *p, size_t n, struct key *k, const char *hint)
{
	if (n == 0)
		return fail(c, "empty hex key%s", hint);
	for (size_t i = 0; i < n; i++)
		if (str_hex_digit((unsigned char)p[i]) < 0)
			return fail(c, "key is not hex: expected only the digits 0-9 and a-f%s",
				    hint);
	if (n % 2 != 0)
		return fail(c, "hex key has an odd number of digits (%zu); each octet needs two",
			    n);
	if (n / 2 > KEY_MAX_SECRET)
		return fail(c, "hex key is longer than %d octets (%d hex digits)", KEY_MAX_SECRET,
			    2 * KEY_MAX_SECRET);
	for (size_t i = 0; i < n / 2; i++)
		k->secret[i] = (uint8_t)(str_hex_digit((unsigned char)p[2 * i]) << 4 |
					 str_hex_digit((unsigned char)p[2 * i + 1]));
	k->len = n / 2;
	return 0;
}

static int copy_ascii(struct ctx *c, const char *p, size_t n, struct key *k, bool ascii_only)
{
	if (n == 0)
		return fail(c, "empty key after 'ASCII:'");
	if (n > KEY_MAX_SECRET)
		return fail(c, "ASCII key is longer than %d characters; use a HEX: key",
			    KEY_MAX_SECRET);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if (is_ctrl(ch) || (ascii_only && ch > 0x7e))
			return fail(c, "key contains a %s; ASCII keys are printable characters",
				    is_ctrl(ch) ? "control character" : "non-ASCII byte");
	}
	memcpy(k->secret, p, n);
	k->len = n;
	return 0;
}

static int check_cmac_len(struct ctx *c, const struct key *k, bool chrony)
{
	size_t want;
	if (k->alg == KEY_ALG_AES128_CMAC)
		want = 16;
	else if (k->alg == KEY_ALG_AES256_CMAC)
		want = 32;
	else
		return 0;
	if (k->len != want)
		return fail(c, "%s key %" PRIu32 " must be %zu octets (%zu hex digits%s), not %zu",
			    k->alg == KEY_ALG_AES128_CMAC ? "AES-128" : "AES-256", k->id, want,
			    2 * want, chrony ? " after 'HEX:'" : "", k->len);
	return 0;
}

/* --- lines --- */

static const char ntp_types[] = "M or MD5, SHA1, SHA256, AES128CMAC (or AES-128) or AES-256";
static const char chrony_types[] = "MD5, SHA1, SHA256, AES128 or AES256";

static int parse_key_id(struct ctx *c, const struct field *f, uint32_t *id)
{
	if (!parse_id(f, id))
		return fail(c, "expected a key id (a number from 1 to 4294967295) first");
	if (*id == 0)
		return fail(c, "key id 0 is reserved; use 1 to 4294967295");
	return 0;
}

static int parse_ntp_line(struct ctx *c, const struct field *f, size_t nf, struct key *k)
{
	if (nf < 3)
		return fail(c, "expected 'KEYID TYPE KEY', e.g. '1 SHA1 <40 hex digits>': %s",
			    nf == 1 ? "type and key missing" : "key missing");
	if (nf > 4)
		return fail(c, "unexpected text after the key; expected 'KEYID TYPE KEY' "
			       "(keys cannot contain blanks)");
	int rc = parse_key_id(c, &f[0], &k->id);
	if (rc)
		return rc;

	const struct type_name *t = type_lookup(&f[1]);
	if (!t)
		return fail(c, "unknown key type for key %" PRIu32 "; expected %s", k->id,
			    ntp_types);
	if (t->ntp == NO_ALG) {
		if (t->chrony != NO_ALG)
			return fail(c, "key type '%s' is chrony.keys spelling; ntp.keys uses %s",
				    t->name,
				    t->chrony == KEY_ALG_AES128_CMAC ? "AES128CMAC or AES-128"
								     : "AES-256");
		return fail(c, "key type '%s' of key %" PRIu32 " is not supported; use %s", t->name,
			    k->id, ntp_types);
	}
	k->alg = (enum key_alg)t->ntp;

	/* f[3], NTP classic's IP access list, is not used. */
	const struct field *key = &f[2];
	if (key->len <= NTP_ASCII_MAX)
		rc = copy_ascii(c, key->p, key->len, k, true);
	else
		rc = decode_hex(c, key->p, key->len, k,
				" (in ntp.keys, keys longer than 20 characters are hex)");
	if (rc)
		return rc;
	return check_cmac_len(c, k, false);
}

static int parse_chrony_line(struct ctx *c, const struct field *f, size_t nf, struct key *k)
{
	if (nf < 2)
		return fail(c, "expected 'KEYID [TYPE] KEY', e.g. '1 SHA1 HEX:<40 hex digits>': "
			       "key missing");
	if (nf > 3)
		return fail(c, "unexpected text after the key; expected 'KEYID [TYPE] KEY' "
			       "(keys cannot contain blanks, and comments need a line of "
			       "their own)");
	int rc = parse_key_id(c, &f[0], &k->id);
	if (rc)
		return rc;

	const struct field *key = &f[nf - 1];
	if (nf == 2) {
		k->alg = KEY_ALG_MD5; /* chrony's default */
	} else {
		const struct type_name *t = type_lookup(&f[1]);
		if (!t)
			return fail(c, "unknown key type for key %" PRIu32 "; expected %s", k->id,
				    chrony_types);
		if (t->chrony == NO_ALG) {
			if (t->ntp != NO_ALG)
				return fail(c,
					    "key type '%s' is ntp.keys spelling; chrony.keys "
					    "uses %s",
					    t->name, chrony_types);
			return fail(c, "key type '%s' of key %" PRIu32 " is not supported; use %s",
				    t->name, k->id, chrony_types);
		}
		if (!field_eq(&f[1], t->name, false))
			return fail(c, "key type '%s' must be written in capitals in chrony.keys",
				    t->name);
		k->alg = (enum key_alg)t->chrony;
	}

	static const char hexp[] = "HEX:", asciip[] = "ASCII:";
	if (field_has_prefix(key, hexp))
		rc = decode_hex(c, key->p + 4, key->len - 4, k, " after 'HEX:'");
	else if (field_has_prefix(key, asciip))
		rc = copy_ascii(c, key->p + 6, key->len - 6, k, false);
	else
		rc = copy_ascii(c, key->p, key->len, k, false);
	if (rc)
		return rc;
	return check_cmac_len(c, k, true);
}

/* --- format detection --- */

/* True if the text uses a form only chrony.keys has (see keys.h). */
static bool looks_like_chrony(const char *text, size_t len)
{
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *line = text + pos;
		size_t ll = end - pos;
		pos = nl ? end + 1 : len;

		if (chrony_comment(line, ll))
			continue;
		struct field f[MAX_FIELDS];
		size_t nf = split(line, ll, true, f);
		for (size_t i = 1; i < nf && i < 3; i++)
			if (field_has_prefix(&f[i], "HEX:") || field_has_prefix(&f[i], "ASCII:"))
				return true;
		/* "1 secret" is chrony's default MD5; "1 MD5" is an ntp.keys line
		 * missing its key. */
		if (nf == 2 && !type_lookup(&f[1]))
			return true;
		if (nf >= 3 &&
		    (field_eq(&f[1], "AES128", false) || field_eq(&f[1], "AES256", false)))
			return true;
	}
	return false;
}

/* --- the parser --- */

int keyring_parse(keyring *kr, const char *text, size_t len, const char *name,
		  enum keyfile_format fmt, char *err, size_t errlen)
{
	struct ctx c = { name ? name : "keys", 0, err, errlen };
	if (err && errlen)
		err[0] = '\0';
	if (!kr || (!text && len))
		return fail(&c, "no key ring or text");
	if (fmt == KEYFILE_AUTO)
		fmt = looks_like_chrony(text, len) ? KEYFILE_CHRONY : KEYFILE_NTP;
	if (fmt != KEYFILE_NTP && fmt != KEYFILE_CHRONY)
		return fail(&c, "unknown key file format");
	bool chrony = fmt == KEYFILE_CHRONY;

	struct key k;
	int rc = 0;
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *line = text + pos;
		size_t ll = end - pos;
		pos = nl ? end + 1 : len;
		c.line++;

		if (memchr(line, '\0', ll)) {
			rc = fail(&c, "NUL byte in the line; a key file is text");
			break;
		}
		if (chrony && chrony_comment(line, ll))
			continue;
		struct field f[MAX_FIELDS];
		size_t nf = split(line, ll, !chrony, f);
		if (nf == 0)
			continue;

		memset(&k, 0, sizeof k);
		rc = chrony ? parse_chrony_line(&c, f, nf, &k) : parse_ntp_line(&c, f, nf, &k);
		if (rc)
			break;
		if (keyring_find(kr, k.id)) {
			rc = fail(&c, "key %" PRIu32 " is defined twice", k.id);
			break;
		}
		rc = ring_grow(kr);
		if (rc) {
			rc = fail(&c, "too many keys");
			break;
		}
		kr->keys[kr->n] = k;
		slot_insert(kr, kr->n);
		kr->n++;
	}
	mem_wipe(&k, sizeof k);
	return rc;
}

int keyring_load(keyring *kr, const char *path, enum keyfile_format fmt, bool *world_readable,
		 char *err, size_t errlen)
{
	int rc = 0;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1;

	if (err && errlen)
		err[0] = '\0';
	if (world_readable)
		*world_readable = false;
	if (!kr || !path) {
		rc = -EINVAL;
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK); /* a FIFO must not block */
	if (fd < 0) {
		rc = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		if (err && errlen)
			snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (world_readable)
		*world_readable = (st.st_mode & S_IROTH) != 0;
	if (st.st_size > KEYFILE_MAX_SIZE) {
		rc = -EFBIG;
		if (err && errlen)
			snprintf(err, errlen, "%s: larger than %d octets; is this a key file?",
				 path, KEYFILE_MAX_SIZE);
		goto out;
	}

	/* One octet more than the cap, to notice a file that grew. */
	size_t cap = KEYFILE_MAX_SIZE + 1;
	buf = mem_alloc(cap);
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			if (err && errlen)
				snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			rc = -EFBIG;
			if (err && errlen)
				snprintf(err, errlen,
					 "%s: larger than %d octets; is this a key file?", path,
					 KEYFILE_MAX_SIZE);
			goto out;
		}
	}
	rc = keyring_parse(kr, buf, len, path, fmt, err, errlen);
out:
	if (buf) {
		mem_wipe(buf, len);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}
