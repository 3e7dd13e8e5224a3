/* dnssec.c - a signed zone's RRsets and signatures against time (dnssec.h).
 * The only module that includes ldns: zone files, AXFR and queries, and
 * signature verification are ldns's; the evaluation below them is pure. */
#include "analysis/dnssec.h"

#include <errno.h>
#include <ldns/ldns.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"

struct dnssec_zone {
	char *apex;
	struct dnssec_rrset *rrsets;
	size_t n, cap;
	size_t n_keys;
	enum dnssec_source source;
	char note[256];
};

/* --- building RRsets from ldns records --- */

static dnssec_zone *zone_new(enum dnssec_source source)
{
	dnssec_zone *z = mem_calloc(1, sizeof *z);
	z->source = source;
	return z;
}

void dnssec_zone_free(dnssec_zone *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++) {
		free(z->rrsets[i].owner);
		free(z->rrsets[i].sigs);
	}
	free(z->rrsets);
	free(z->apex);
	free(z);
}

const char *dnssec_zone_apex(const dnssec_zone *z)
{
	return z->apex;
}

const struct dnssec_rrset *dnssec_zone_rrsets(const dnssec_zone *z, size_t *n)
{
	*n = z->n;
	return z->rrsets;
}

enum dnssec_source dnssec_zone_source(const dnssec_zone *z)
{
	return z->source;
}

const char *dnssec_zone_note(const dnssec_zone *z)
{
	return z->note;
}

size_t dnssec_zone_keys(const dnssec_zone *z)
{
	return z->n_keys;
}

/* ldns's text of a name, in memory of our own. */
static char *name_text(const ldns_rdf *d)
{
	char *s = ldns_rdf2str(d);
	if (!s)
		fatal("out of memory");
	char *r = mem_strdup(s);
	free(s);
	return r;
}

static void type_text(ldns_rr_type t, char *buf, size_t len)
{
	char *s = ldns_rr_type2str(t);
	if (!s)
		fatal("out of memory");
	str_copy(buf, s, len);
	free(s);
}

static bool name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

/* An RRSIG with every field ldns_rr_rrsig_* reads (9 of them). */
static bool rrsig_complete(const ldns_rr *rr)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG && ldns_rr_rd_count(rr) >= 9 &&
	       ldns_rdf_size(ldns_rr_rrsig_typecovered(rr)) == 2 &&
	       ldns_rdf_size(ldns_rr_rrsig_algorithm(rr)) == 1 &&
	       ldns_rdf_size(ldns_rr_rrsig_origttl(rr)) == 4 &&
	       ldns_rdf_size(ldns_rr_rrsig_expiration(rr)) == 4 &&
	       ldns_rdf_size(ldns_rr_rrsig_inception(rr)) == 4 &&
	       ldns_rdf_size(ldns_rr_rrsig_keytag(rr)) == 2;
}

static ldns_rr_type covered(const ldns_rr *rr)
{
	return ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr));
}

/* The DNSKEYs at the apex with the zone key flag (RFC 4035 5.3.1), as a
 * list of borrowed records. */
static ldns_rr_list *zone_keys(const ldns_rr_list *all, const ldns_rdf *apex)
{
	ldns_rr_list *keys = ldns_rr_list_new();
	if (!keys)
		fatal("out of memory");
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *rr = ldns_rr_list_rr(all, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY || ldns_rr_rd_count(rr) < 4 ||
		    !name_eq(ldns_rr_owner(rr), apex) || ldns_rdf_size(ldns_rr_rdf(rr, 0)) != 2)
			continue;
		if (!(ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) & LDNS_KEY_ZONE_KEY))
			continue;
		if (!ldns_rr_list_push_rr(keys, rr))
			fatal("out of memory");
	}
	return keys;
}

/* --- verification ---
 *
 * ldns_verify_rrsig_keylist_notime() makes an OpenSSL key from the DNSKEY's
 * RDATA for every signature it checks (for ECDSA a new curve group each
 * time: more than half of all the work on a large zone).  The verifier
 * makes each apex key's EVP_PKEY once and checks a signature with one
 * EVP_DigestVerify() over the data ldns lays out (RFC 4034 3.1.8.1: the
 * RRSIG RDATA without its signature, then the RRset in canonical form and
 * order, TTLs set to the original TTL, a wildcard's owner restored from the
 * labels field), as ldns does.  Algorithms it does not handle itself
 * (RSAMD5, DSA, GOST) go to ldns's path unchanged.
 *
 * The checks are queued while the RRsets are built and run at the end
 * (run_jobs()), on a thread per processor: the keys are made before, each
 * thread has its own contexts, and each check writes only its own
 * signature's verdict; the records are only read. */

struct vkey {
	uint16_t tag;
	uint8_t alg;
	EVP_PKEY *pk; /* NULL: RDATA that makes no key (never verifies) */
};

/* One signature to check: sigs[sig] of the zone's RRsets[rrset], over set
 * (the RRset's records, borrowed), with rrsig. */
struct vjob {
	size_t rrset, sig;
	const ldns_rr_list *set;
	const ldns_rr *rrsig;
	bool mine; /* an algorithm the verifier handles (else ldns, in one thread) */
};

struct verifier {
	const ldns_rr_list *keys; /* the apex's zone keys, for ldns's path */
	const ldns_rr_list *none;
	const ldns_rdf *apex;
	struct vkey *k;
	size_t n;
	struct vjob *jobs;
	size_t n_jobs, cap_jobs;
	ldns_rr_list **sets; /* the RRsets' record lists, freed at the end */
	size_t n_sets, cap_sets;
};

/* Whether the verifier checks alg itself (else ldns does). */
static bool handled(uint8_t alg)
{
	switch (alg) {
	case LDNS_RSASHA1:
	case LDNS_RSASHA1_NSEC3:
	case LDNS_RSASHA256:
	case LDNS_RSASHA512:
	case LDNS_ECDSAP256SHA256:
	case LDNS_ECDSAP384SHA384:
	case LDNS_ED25519:
	case LDNS_ED448: return true;
	default: return false;
	}
}

/* The digest of an algorithm the verifier handles (NULL for EdDSA, which
 * hashes by itself). */
static const EVP_MD *alg_md(uint8_t alg)
{
	switch (alg) {
	case LDNS_RSASHA1:
	case LDNS_RSASHA1_NSEC3: return EVP_sha1();
	case LDNS_RSASHA256:
	case LDNS_ECDSAP256SHA256: return EVP_sha256();
	case LDNS_RSASHA512: return EVP_sha512();
	case LDNS_ECDSAP384SHA384: return EVP_sha384();
	default: return NULL;
	}
}

/* An RSA public key from DNSKEY RDATA (RFC 3110 2: exponent length in one
 * octet, or 0 and two; exponent; modulus). */
static EVP_PKEY *rsa_key(const uint8_t *d, size_t len)
{
	size_t el, off;
	if (len < 1)
		return NULL;
	if (d[0] != 0) {
		el = d[0];
		off = 1;
	} else {
		if (len < 3)
			return NULL;
		el = (size_t)d[1] << 8 | d[2];
		off = 3;
	}
	if (el == 0 || len < off + el + 1)
		return NULL;
	EVP_PKEY *pk = NULL;
	BIGNUM *e = BN_bin2bn(d + off, (int)el, NULL);
	BIGNUM *n = BN_bin2bn(d + off + el, (int)(len - off - el), NULL);
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (e && n && b && pc && OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(b)) != NULL && EVP_PKEY_fromdata_init(pc) > 0 &&
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(pc);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	BN_free(n);
	BN_free(e);
	return pk;
}

/* An ECDSA public key from DNSKEY RDATA (RFC 6605 4: x and y). */
static EVP_PKEY *ec_key(const uint8_t *d, size_t len, const char *group, size_t half)
{
	if (len != 2 * half)
		return NULL;
	uint8_t pub[1 + 2 * 48];
	char name[8];
	if (len > sizeof pub - 1)
		return NULL;
	pub[0] = 0x04; /* uncompressed point */
	memcpy(pub + 1, d, len);
	str_copy(name, group, sizeof name);
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name, 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + len),
		OSSL_PARAM_construct_end(),
	};
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!pc || EVP_PKEY_fromdata_init(pc) <= 0 ||
	    EVP_PKEY_fromdata(pc, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pk = NULL;
	EVP_PKEY_CTX_free(pc);
	return pk;
}

static EVP_PKEY *make_key(const ldns_rr *rr, uint8_t alg)
{
	const ldns_rdf *k = ldns_rr_rdf(rr, 3);
	const uint8_t *d = ldns_rdf_data(k);
	size_t len = ldns_rdf_size(k);
	switch (alg) {
	case LDNS_ECDSAP256SHA256: return ec_key(d, len, "P-256", 32);
	case LDNS_ECDSAP384SHA384: return ec_key(d, len, "P-384", 48);
	case LDNS_ED25519:
		return len == 32 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, d, len)
				 : NULL;
	case LDNS_ED448:
		return len == 57 ? EVP_PKEY_new_raw_public_key(EVP_PKEY_ED448, NULL, d, len) : NULL;
	default: return rsa_key(d, len);
	}
}

static void verifier_init(struct verifier *v, const ldns_rr_list *keys, const ldns_rr_list *none,
			  const ldns_rdf *apex)
{
	memset(v, 0, sizeof *v);
	v->keys = keys;
	v->none = none;
	v->apex = apex;
	v->n = ldns_rr_list_rr_count(keys);
	v->k = mem_calloc(v->n ? v->n : 1, sizeof *v->k);
	for (size_t i = 0; i < v->n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(keys, i);
		v->k[i].tag = ldns_calc_keytag(rr);
		v->k[i].alg = ldns_rdf_size(ldns_rr_rdf(rr, 2)) == 1
				      ? ldns_rdf2native_int8(ldns_rr_rdf(rr, 2))
				      : 0;
		if (handled(v->k[i].alg) && ldns_rr_rd_count(rr) >= 4)
			v->k[i].pk = make_key(rr, v->k[i].alg);
	}
}

static void verifier_free(struct verifier *v)
{
	for (size_t i = 0; i < v->n; i++)
		EVP_PKEY_free(v->k[i].pk);
	free(v->k);
	for (size_t i = 0; i < v->n_sets; i++)
		ldns_rr_list_free(v->sets[i]); /* the records stay in all */
	free(v->sets);
	free(v->jobs);
}

/* The octets an RRSIG signs, into b (emptied first): its RDATA up to the
 * signature, then rrset's records in canonical form and order (RFC 4034
 * 3.1.8.1, 6.2, 6.3). */
static void signed_data(ldns_buffer *b, const ldns_rr_list *rrset, const ldns_rr *rrsig)
{
	ldns_rr_list *c = ldns_rr_list_clone(rrset);
	if (!c)
		fatal("out of memory");
	ldns_buffer_clear(b);
	uint32_t orig = ldns_rdf2native_int32(ldns_rr_rrsig_origttl(rrsig));
	uint8_t labels = ldns_rdf_size(ldns_rr_rrsig_labels(rrsig)) == 1
				 ? ldns_rdf2native_int8(ldns_rr_rrsig_labels(rrsig))
				 : 0;
	for (size_t i = 0; i < ldns_rr_list_rr_count(c); i++) {
		ldns_rr *rr = ldns_rr_list_rr(c, i);
		ldns_rr_set_ttl(rr, orig);
		uint8_t have = ldns_dname_label_count(ldns_rr_owner(rr));
		if (have > labels) { /* a wildcard's expansion: sign "*." + the rest */
			ldns_rdf *star = ldns_dname_new_frm_str("*");
			ldns_rdf *rest = ldns_dname_clone_from(ldns_rr_owner(rr), have - labels);
			if (!star || !rest || ldns_dname_cat(star, rest) != LDNS_STATUS_OK)
				fatal("out of memory");
			ldns_rdf_deep_free(rest);
			ldns_rdf_deep_free(ldns_rr_owner(rr));
			ldns_rr_set_owner(rr, star);
		}
		ldns_rr2canonical(rr);
	}
	ldns_rr_list_sort(c);
	if (ldns_rrsig2buffer_wire(b, rrsig) != LDNS_STATUS_OK ||
	    ldns_rr_list2buffer_wire(b, c) != LDNS_STATUS_OK)
		fatal("out of memory");
	ldns_rr_list_deep_free(c);
}

/* RFC 6605 4: an ECDSA signature is r and s of half its length each;
 * OpenSSL wants them DER-encoded.  The DER length, or 0. */
static size_t ecdsa_der(const uint8_t *raw, size_t len, uint8_t **der)
{
	if (len == 0 || len % 2 != 0)
		return 0;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)(len / 2), NULL);
	BIGNUM *s = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
	if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return 0;
	}
	*der = NULL;
	int n = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	return n > 0 ? (size_t)n : 0;
}

/* ldns's verdict, for the algorithms the verifier leaves to it. */
static ldns_status verify_ldns(const ldns_rr_list *rrset, const ldns_rr *rrsig,
			       const ldns_rr_list *use)
{
	ldns_rr_list *good = ldns_rr_list_new();
	if (!good)
		fatal("out of memory");
	ldns_status st = ldns_verify_rrsig_keylist_notime(rrset, rrsig, use, good);
	ldns_rr_list_free(good);
	return st;
}

/* What a verifying thread keeps from one signature to the next: a context
 * per key (OpenSSL 3.0 reinitialises a used context with the key it had
 * before, whatever key EVP_DigestVerifyInit() is given) and the buffer the
 * signed data is laid out in. */
struct vscratch {
	EVP_MD_CTX **ctx;
	ldns_buffer *data;
};

/* w: the calling thread's; NULL will do for the algorithms left to ldns. */
static ldns_status verify_status(const struct verifier *v, struct vscratch *w,
				 const ldns_rr_list *rrset, const ldns_rr *rrsig)
{
	const ldns_rdf *signer = ldns_rr_rrsig_signame(rrsig);
	bool apex_signs = signer && name_eq(signer, v->apex);
	uint8_t alg = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(rrsig));
	uint16_t tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(rrsig));
	if (!handled(alg)) /* not on the verify threads: run_jobs() keeps these */
		return verify_ldns(rrset, rrsig, apex_signs ? v->keys : v->none);
	const EVP_MD *md = alg_md(alg);
	const ldns_rdf *sr = ldns_rr_rrsig_sig(rrsig);
	if (!sr)
		return LDNS_STATUS_CRYPTO_BOGUS;
	bool matched = false, laid_out = false;
	uint8_t *der = NULL;
	const uint8_t *sig = ldns_rdf_data(sr);
	size_t siglen = ldns_rdf_size(sr);
	if (alg == LDNS_ECDSAP256SHA256 || alg == LDNS_ECDSAP384SHA384) {
		siglen = ecdsa_der(sig, siglen, &der);
		sig = der;
	}
	ldns_status st = LDNS_STATUS_CRYPTO_BOGUS;
	for (size_t i = 0; apex_signs && i < v->n && st != LDNS_STATUS_OK; i++) {
		const struct vkey *k = &v->k[i];
		if (k->alg != alg || k->tag != tag)
			continue;
		matched = true;
		if (!k->pk || !sig || siglen == 0)
			continue;
		if (!laid_out) {
			signed_data(w->data, rrset, rrsig);
			laid_out = true;
		}
		EVP_MD_CTX **ctx = &w->ctx[i];
		if (!*ctx && !(*ctx = EVP_MD_CTX_new()))
			fatal("out of memory");
		if (EVP_DigestVerifyInit(*ctx, NULL, md, NULL, k->pk) == 1 &&
		    EVP_DigestVerify(*ctx, sig, siglen, ldns_buffer_begin(w->data),
				     ldns_buffer_position(w->data)) == 1)
			st = LDNS_STATUS_OK;
		ERR_clear_error();
	}
	OPENSSL_free(der);
	return matched ? st : LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
}

/* The verdict of one signature over rrset, into g. */
static void set_verdict(struct dnssec_sig *g, ldns_status st)
{
	g->why[0] = '\0';
	switch (st) {
	case LDNS_STATUS_OK: g->crypto = DNSSEC_SIG_VALID; break;
	case LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY: g->crypto = DNSSEC_SIG_NO_KEY; break;
	case LDNS_STATUS_CRYPTO_UNKNOWN_ALGO:
	case LDNS_STATUS_CRYPTO_ALGO_NOT_IMPL: g->crypto = DNSSEC_SIG_UNSUPPORTED; break;
	default:
		g->crypto = DNSSEC_SIG_BOGUS;
		str_copy(g->why, ldns_get_errorstr_by_id(st), sizeof g->why);
		break;
	}
}

/* Queues the check of rrsig over set (the signature sigs[sig] of the zone's
 * RRsets[rrset]); run_jobs() checks them all. */
static void add_job(struct verifier *v, size_t rrset, size_t sig, const ldns_rr_list *set,
		    const ldns_rr *rrsig)
{
	if (v->n_jobs == v->cap_jobs) {
		v->cap_jobs = v->cap_jobs ? 2 * v->cap_jobs : 1024;
		v->jobs = mem_realloc(v->jobs, v->cap_jobs * sizeof *v->jobs);
	}
	bool mine = handled(ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(rrsig)));
	v->jobs[v->n_jobs++] = (struct vjob){ rrset, sig, set, rrsig, mine };
}

/* Keeps set (a list of borrowed records) until the verifier is freed. */
static void keep_set(struct verifier *v, ldns_rr_list *set)
{
	if (v->n_sets == v->cap_sets) {
		v->cap_sets = v->cap_sets ? 2 * v->cap_sets : 1024;
		v->sets = mem_realloc(v->sets, v->cap_sets * sizeof *v->sets);
	}
	v->sets[v->n_sets++] = set;
}

struct vthread {
	const struct verifier *v;
	dnssec_zone *z;
	atomic_size_t *next;
};

#define JOB_CHUNK 64

/* A thread's share: chunks of the jobs the verifier handles, taken in turn
 * (each job writes only its own signature's verdict). */
static void *verify_thread(void *arg)
{
	struct vthread *t = arg;
	const struct verifier *v = t->v;
	struct vscratch w = { mem_calloc(v->n ? v->n : 1, sizeof *w.ctx),
			      ldns_buffer_new(LDNS_MAX_PACKETLEN) };
	if (!w.data)
		fatal("out of memory");
	for (;;) {
		size_t from = atomic_fetch_add(t->next, JOB_CHUNK);
		if (from >= v->n_jobs)
			break;
		size_t to = from + JOB_CHUNK < v->n_jobs ? from + JOB_CHUNK : v->n_jobs;
		for (size_t i = from; i < to; i++) {
			const struct vjob *j = &v->jobs[i];
			if (j->mine)
				set_verdict(&t->z->rrsets[j->rrset].sigs[j->sig],
					    verify_status(v, &w, j->set, j->rrsig));
		}
	}
	for (size_t i = 0; i < v->n; i++)
		EVP_MD_CTX_free(w.ctx[i]);
	free(w.ctx);
	ldns_buffer_free(w.data);
	return NULL;
}

/* Checks every queued signature: those of the algorithms the verifier
 * handles on up to as many threads as there are processors (at most 8; one
 * for a small zone), the others through ldns on this thread. */
static void run_jobs(const struct verifier *v, dnssec_zone *z)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = cpus > 1 ? (size_t)cpus : 1;
	if (nt > 8)
		nt = 8;
	if (nt > v->n_jobs / (4 * JOB_CHUNK))
		nt = v->n_jobs / (4 * JOB_CHUNK) > 0 ? v->n_jobs / (4 * JOB_CHUNK) : 1;
	atomic_size_t next = 0;
	struct vthread t = { v, z, &next };
	pthread_t tid[8];
	size_t started = 0;
	for (size_t i = 1; i < nt; i++) {
		if (pthread_create(&tid[started], NULL, verify_thread, &t) != 0)
			break; /* fewer threads: the others take its share */
		started++;
	}
	verify_thread(&t);
	for (size_t i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	for (size_t i = 0; i < v->n_jobs; i++) {
		const struct vjob *j = &v->jobs[i];
		if (j->mine)
			continue;
		set_verdict(&z->rrsets[j->rrset].sigs[j->sig],
			    verify_status(v, NULL, j->set, j->rrsig));
	}
}

static struct dnssec_rrset *push_rrset(dnssec_zone *z)
{
	if (z->n == z->cap) {
		z->cap = z->cap ? z->cap * 2 : 64;
		z->rrsets = mem_realloc(z->rrsets, z->cap * sizeof *z->rrsets);
	}
	struct dnssec_rrset *s = &z->rrsets[z->n++];
	memset(s, 0, sizeof *s);
	return s;
}

/* The records all[i..j) share one owner.  *cut is the zone cut above them
 * (borrowed from all), or NULL; updated when this owner is one. */
static void add_owner(dnssec_zone *z, const ldns_rr_list *all, size_t i, size_t j,
		      const ldns_rdf *apex, struct verifier *v, const ldns_rdf **cut)
{
	const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(all, i));
	if (*cut && !ldns_dname_is_subdomain(owner, *cut))
		*cut = NULL;
	bool is_apex = name_eq(owner, apex);
	bool in_zone = is_apex || ldns_dname_is_subdomain(owner, apex);
	bool below_cut = *cut != NULL; /* canonical order: a cut comes before its names */
	bool has_ns = false;
	for (size_t k = i; k < j; k++)
		if (ldns_rr_get_type(ldns_rr_list_rr(all, k)) == LDNS_RR_TYPE_NS)
			has_ns = true;
	bool at_cut = in_zone && !below_cut && !is_apex && has_ns;
	char *text = NULL;

	for (size_t k = i; k < j;) {
		ldns_rr *first = ldns_rr_list_rr(all, k);
		ldns_rr_type t = ldns_rr_get_type(first);
		ldns_rr_class c = ldns_rr_get_class(first);
		size_t e = k + 1;
		while (e < j && ldns_rr_get_type(ldns_rr_list_rr(all, e)) == t &&
		       ldns_rr_get_class(ldns_rr_list_rr(all, e)) == c)
			e++;
		if (t == LDNS_RR_TYPE_RRSIG) {
			k = e;
			continue;
		}
		struct dnssec_rrset *s = push_rrset(z);
		if (!text)
			text = name_text(owner);
		s->owner = mem_strdup(text);
		type_text(t, s->type, sizeof s->type);
		s->n_records = e - k;
		s->ttl = ldns_rr_ttl(first);
		ldns_rr_list *set = ldns_rr_list_new();
		if (!set)
			fatal("out of memory");
		for (size_t x = k; x < e; x++) {
			ldns_rr *rr = ldns_rr_list_rr(all, x);
			if (ldns_rr_ttl(rr) < s->ttl)
				s->ttl = ldns_rr_ttl(rr);
			if (!ldns_rr_list_push_rr(set, rr))
				fatal("out of memory");
		}
		s->needs_sig = in_zone && !below_cut &&
			       (!at_cut || t == LDNS_RR_TYPE_DS || t == LDNS_RR_TYPE_NSEC);
		for (size_t x = i; x < j; x++) {
			ldns_rr *sig = ldns_rr_list_rr(all, x);
			if (!rrsig_complete(sig) || covered(sig) != t ||
			    ldns_rr_get_class(sig) != c)
				continue;
			s->sigs = mem_realloc(s->sigs, (s->n_sigs + 1) * sizeof *s->sigs);
			struct dnssec_sig *g = &s->sigs[s->n_sigs++];
			memset(g, 0, sizeof *g);
			g->key_tag = ldns_rdf2native_int16(ldns_rr_rrsig_keytag(sig));
			g->algorithm = ldns_rdf2native_int8(ldns_rr_rrsig_algorithm(sig));
			g->ttl = ldns_rr_ttl(sig);
			g->orig_ttl = ldns_rdf2native_int32(ldns_rr_rrsig_origttl(sig));
			g->inception = ldns_rdf2native_int32(ldns_rr_rrsig_inception(sig));
			g->expiration = ldns_rdf2native_int32(ldns_rr_rrsig_expiration(sig));
			add_job(v, z->n - 1, s->n_sigs - 1, set, sig);
		}
		keep_set(v, set);
		k = e;
	}
	free(text);
	if (at_cut)
		*cut = owner;
}

/* Groups all (records owned by it; sorted here) into z's RRsets. */
static void build(dnssec_zone *z, ldns_rr_list *all, const ldns_rdf *apex)
{
	z->apex = name_text(apex);
	ldns_rr_list_sort(all);
	ldns_rr_list *keys = zone_keys(all, apex);
	ldns_rr_list *none = ldns_rr_list_new();
	if (!none)
		fatal("out of memory");
	z->n_keys = ldns_rr_list_rr_count(keys);
	struct verifier v;
	verifier_init(&v, keys, none, apex);
	const ldns_rdf *cut = NULL;
	size_t n = ldns_rr_list_rr_count(all);
	for (size_t i = 0; i < n;) {
		const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(all, i));
		size_t j = i + 1;
		while (j < n && name_eq(ldns_rr_owner(ldns_rr_list_rr(all, j)), owner))
			j++;
		add_owner(z, all, i, j, apex, &v, &cut);
		i = j;
	}
	run_jobs(&v, z);
	verifier_free(&v);
	ldns_rr_list_free(keys);
	ldns_rr_list_free(none);
}

/* --- zone files --- */

#define MAX_ZONE_FILE ((size_t)1 << 30)

/* Reads all of path into memory (*buf, *len); 0 or a negative errno. */
static int slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	bool std_in = strcmp(path, "-") == 0;
	FILE *f = std_in ? stdin : fopen(path, "rb");
	size_t cap = 65536, n = 0;
	char *b = NULL;
	int rc = 0;
	if (!f) {
		rc = -errno;
		str_format(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	b = mem_alloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_ZONE_FILE) {
				str_format(err, errlen, "%s: larger than 1 GiB", path);
				rc = -EFBIG;
				break;
			}
			cap *= 2;
			b = mem_realloc(b, cap);
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				rc = -EIO;
				str_format(err, errlen, "%s: read error", path);
			}
			break;
		}
	}
	if (!std_in)
		fclose(f);
	if (rc != 0) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* The line of a syntax error: ldns counts the newline that ends the bad
 * record's last line too, unless the record ended the file without one. */
static int error_line(FILE *fp, int line)
{
	if (line > 1 && fseek(fp, -1, SEEK_CUR) == 0 && fgetc(fp) == '\n')
		return line - 1;
	return line;
}

/* Parses the text record by record, freeing each: 0, or -EINVAL with
 * FILE:LINE in err.  ldns_zone_new_frm_fp_l() leaks the records it has
 * read when it meets a syntax error (ldns 1.8), so it only ever reads text
 * that this pass has accepted. */
static int syntax_check(const char *path, const char *text, size_t len, const ldns_rdf *origin,
			char *err, size_t errlen)
{
	FILE *fp = fmemopen((void *)(uintptr_t)text, len ? len : 1, "r");
	if (!fp)
		fatal("out of memory");
	ldns_rdf *org = origin ? ldns_rdf_clone(origin) : NULL, *prev = NULL;
	uint32_t ttl = 3600;
	int line = 1, rc = 0;
	while (len && rc == 0) {
		ldns_rr *rr = NULL;
		ldns_status st = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &org, &prev, &line);
		ldns_rr_free(rr);
		if (st == LDNS_STATUS_OK || st == LDNS_STATUS_SYNTAX_EMPTY ||
		    st == LDNS_STATUS_SYNTAX_TTL || st == LDNS_STATUS_SYNTAX_ORIGIN) {
			if (feof(fp))
				break;
			continue;
		}
		if (st == LDNS_STATUS_SYNTAX_INCLUDE)
			st = LDNS_STATUS_SYNTAX_INCLUDE_ERR_NOTIMPL;
		str_format(err, errlen, "%s:%d: %s", path, error_line(fp, line),
			   ldns_get_errorstr_by_id(st));
		rc = -EINVAL;
	}
	ldns_rdf_deep_free(org);
	ldns_rdf_deep_free(prev);
	fclose(fp);
	return rc;
}

int dnssec_zone_read(const char *path, const char *origin, dnssec_zone **out, char *err,
		     size_t errlen)
{
	ldns_rdf *org = NULL;
	ldns_zone *lz = NULL;
	ldns_rr_list *all = NULL;
	FILE *fp = NULL;
	char *text = NULL;
	size_t len = 0;
	int rc = 0;
	*out = NULL;
	if (origin) {
		org = ldns_dname_new_frm_str(origin);
		if (!org) {
			str_format(err, errlen, "'%s' is not a domain name", origin);
			rc = -EINVAL;
			goto out;
		}
	}
	rc = slurp(path, &text, &len, err, errlen);
	if (rc != 0)
		goto out;
	rc = syntax_check(path, text, len, org, err, errlen);
	if (rc != 0)
		goto out;
	fp = fmemopen(text, len ? len : 1, "r");
	if (!fp)
		fatal("out of memory");
	int line = 1;
	ldns_status st = len ? ldns_zone_new_frm_fp_l(&lz, fp, org, 3600, LDNS_RR_CLASS_IN, &line)
			     : LDNS_STATUS_OK;
	if (st != LDNS_STATUS_OK) {
		str_format(err, errlen, "%s:%d: %s", path, error_line(fp, line),
			   ldns_get_errorstr_by_id(st));
		lz = NULL;
		rc = -EINVAL;
		goto out;
	}
	const ldns_rr *soa = lz ? ldns_zone_soa(lz) : NULL;
	if (!soa) {
		str_format(err, errlen, "%s: no SOA record: not a zone file", path);
		rc = -ENODATA;
		goto out;
	}
	/* the zone's records, taken over (a copy would hold the zone twice) */
	all = ldns_zone_rrs(lz);
	ldns_zone_set_rrs(lz, ldns_rr_list_new());
	ldns_rr *soa_copy = ldns_rr_clone(soa);
	if (!all || !soa_copy || !ldns_rr_list_push_rr(all, soa_copy))
		fatal("out of memory");
	/* what the records were read from is not needed any more */
	ldns_zone_deep_free(lz);
	lz = NULL;
	fclose(fp);
	fp = NULL;
	free(text);
	text = NULL;
	dnssec_zone *z = zone_new(DNSSEC_FROM_FILE);
	build(z, all, ldns_rr_owner(soa_copy));
	*out = z;
out:
	ldns_rr_list_deep_free(all);
	if (lz)
		ldns_zone_deep_free(lz);
	if (fp)
		fclose(fp);
	free(text);
	ldns_rdf_deep_free(org);
	return rc;
}

/* --- from a server --- */

static const char *rcode_text(ldns_pkt_rcode rc, char *buf, size_t len)
{
	const ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, (int)rc);
	if (t)
		str_copy(buf, t->name, len);
	else
		str_format(buf, len, "rcode %d", (int)rc);
	return buf;
}

/* rr (borrowed) is in l, whatever its TTL (answers may lower it). */
static bool contains(const ldns_rr_list *l, ldns_rr *rr)
{
	uint32_t ttl = ldns_rr_ttl(rr);
	bool found = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(l) && !found; i++) {
		ldns_rr *x = ldns_rr_list_rr(l, i);
		ldns_rr_set_ttl(rr, ldns_rr_ttl(x));
		found = ldns_rr_compare(x, rr) == 0;
	}
	ldns_rr_set_ttl(rr, ttl);
	return found;
}

static void add_copy(ldns_rr_list *l, ldns_rr *rr)
{
	if (contains(l, rr))
		return;
	ldns_rr *c = ldns_rr_clone(rr);
	if (!c || !ldns_rr_list_push_rr(l, c))
		fatal("out of memory");
}

/* Keeps from an answer to (name, type) the records of that RRset and their
 * RRSIGs, and the NSEC/NSEC3 records of the zone in the authority section
 * with theirs.  *nsec: the NSEC at name, if the answer holds one. */
static void keep(ldns_rr_list *all, const ldns_pkt *p, const ldns_rdf *name, ldns_rr_type type,
		 const ldns_rdf *apex, const ldns_rr **nsec)
{
	const ldns_rr_list *an = ldns_pkt_answer(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (!name_eq(ldns_rr_owner(rr), name))
			continue;
		if (t == type || (rrsig_complete(rr) && covered(rr) == type)) {
			add_copy(all, rr);
			if (t == LDNS_RR_TYPE_NSEC && nsec)
				*nsec = rr;
		}
	}
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (rrsig_complete(rr))
			t = covered(rr);
		if (t != LDNS_RR_TYPE_NSEC && t != LDNS_RR_TYPE_NSEC3)
			continue;
		if (name_eq(ldns_rr_owner(rr), apex) ||
		    ldns_dname_is_subdomain(ldns_rr_owner(rr), apex))
			add_copy(all, rr);
	}
}

/* A referral from the zone to a child zone: not authoritative, nothing in
 * the answer section, the child's NS in the authority section. */
static bool referral(const ldns_pkt *p, const ldns_rdf *apex)
{
	if (ldns_pkt_aa(p) || ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR ||
	    ldns_rr_list_rr_count(ldns_pkt_answer(p)) != 0)
		return false;
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS &&
		    ldns_dname_is_subdomain(ldns_rr_owner(rr), apex))
			return true;
	}
	return false;
}

/* Keeps from a referral the delegation: NS, DS, NSEC, NSEC3 and the RRSIGs
 * of the zone's records among them. */
static void keep_referral(ldns_rr_list *all, const ldns_pkt *p, const ldns_rdf *apex)
{
	const ldns_rr_list *ns = ldns_pkt_authority(p);
	for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ns, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		if (rrsig_complete(rr))
			t = covered(rr);
		if (t != LDNS_RR_TYPE_NS && t != LDNS_RR_TYPE_DS && t != LDNS_RR_TYPE_NSEC &&
		    t != LDNS_RR_TYPE_NSEC3)
			continue;
		if (ldns_dname_is_subdomain(ldns_rr_owner(rr), apex))
			add_copy(all, rr);
	}
}

/* One query: 0 with *p (authoritative: NOERROR or NXDOMAIN), 1 with *p (a
 * referral to a child zone), or an error with a message in err. */
static int ask(ldns_resolver *res, const ldns_rdf *name, ldns_rr_type type, const ldns_rdf *apex,
	       const char *zone, ldns_pkt **p, char *err, size_t errlen)
{
	char rc[32];
	*p = NULL;
	ldns_status st = ldns_resolver_send(p, res, name, type, LDNS_RR_CLASS_IN, 0);
	if (st != LDNS_STATUS_OK || !*p) {
		char *n = name_text(name);
		char tt[24];
		type_text(type, tt, sizeof tt);
		str_format(err, errlen, "no answer to %s %s: %s", n, tt,
			   ldns_get_errorstr_by_id(st));
		free(n);
		ldns_pkt_free(*p);
		*p = NULL;
		return st == LDNS_STATUS_NETWORK_ERR ? -ECONNREFUSED : -ETIMEDOUT;
	}
	ldns_pkt_rcode r = ldns_pkt_get_rcode(*p);
	if (r != LDNS_RCODE_NOERROR && r != LDNS_RCODE_NXDOMAIN) {
		str_format(err, errlen, "the server answered %s to a query in %s",
			   rcode_text(r, rc, sizeof rc), zone);
		ldns_pkt_free(*p);
		*p = NULL;
		return -EIO;
	}
	if (referral(*p, apex))
		return 1;
	if (!ldns_pkt_aa(*p)) {
		str_format(err, errlen, "the server is not authoritative for %s (no AA bit)", zone);
		ldns_pkt_free(*p);
		*p = NULL;
		return -EIO;
	}
	return 0;
}

/* Types asked for at a name whose NSEC does not say (NSEC3 zones). */
static const ldns_rr_type common_types[] = {
	LDNS_RR_TYPE_SOA,
	LDNS_RR_TYPE_NS,
	LDNS_RR_TYPE_DNSKEY,
	LDNS_RR_TYPE_NSEC3PARAM,
	LDNS_RR_TYPE_A,
	LDNS_RR_TYPE_AAAA,
	LDNS_RR_TYPE_CNAME,
	LDNS_RR_TYPE_MX,
	LDNS_RR_TYPE_TXT,
	LDNS_RR_TYPE_PTR,
	LDNS_RR_TYPE_SRV,
	LDNS_RR_TYPE_NAPTR,
	LDNS_RR_TYPE_DS,
	LDNS_RR_TYPE_SSHFP,
	LDNS_RR_TYPE_TLSA,
	LDNS_RR_TYPE_CDS,
	LDNS_RR_TYPE_CDNSKEY,
	LDNS_RR_TYPE_CAA,
	LDNS_RR_TYPE_HINFO,
	LDNS_RR_TYPE_LOC,
	(ldns_rr_type)64 /* SVCB */,
	(ldns_rr_type)65 /* HTTPS */,
	(ldns_rr_type)63 /* ZONEMD */,
};

/* Everything at name: its NSEC, then what the NSEC lists (or the common
 * types).  0, or an error from ask(). */
static int fetch_name(ldns_resolver *res, ldns_rr_list *all, const ldns_rdf *name,
		      const ldns_rdf *apex, const char *zone, bool *nxdomain, char *err,
		      size_t errlen)
{
	ldns_pkt *p = NULL;
	const ldns_rr *nsec = NULL;
	int rc = ask(res, name, LDNS_RR_TYPE_NSEC, apex, zone, &p, err, errlen);
	if (rc < 0)
		return rc;
	if (rc == 1) {
		/* at or below a zone cut: the delegation is all there is */
		keep_referral(all, p, apex);
		ldns_pkt_free(p);
		return 0;
	}
	*nxdomain = ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN;
	keep(all, p, name, LDNS_RR_TYPE_NSEC, apex, &nsec);
	ldns_rdf *bitmap = NULL;
	if (nsec && ldns_rr_rd_count(nsec) >= 2)
		bitmap = ldns_rdf_clone(ldns_rr_rdf(nsec, 1));
	ldns_pkt_free(p);
	if (*nxdomain) {
		ldns_rdf_deep_free(bitmap);
		return 0;
	}
	size_t n = bitmap ? 65536 : sizeof common_types / sizeof common_types[0];
	for (size_t i = 0; i < n && rc == 0; i++) {
		ldns_rr_type t = bitmap ? (ldns_rr_type)i : common_types[i];
		if (bitmap && (i == 0 || !ldns_nsec_bitmap_covers_type(bitmap, t)))
			continue;
		if (t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_RRSIG)
			continue;
		rc = ask(res, name, t, apex, zone, &p, err, errlen);
		if (rc == 0)
			keep(all, p, name, t, apex, NULL);
		else if (rc == 1)
			keep_referral(all, p, apex);
		ldns_pkt_free(p);
		if (rc == 1)
			rc = 0;
	}
	ldns_rdf_deep_free(bitmap);
	return rc;
}

/* A name given on the command line: absolute if it ends with '.', else
 * relative to the zone unless it already ends with it.  NULL if it is not a
 * name. */
static ldns_rdf *name_in_zone(const char *s, const ldns_rdf *apex)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);
	if (!d)
		return NULL;
	size_t len = strlen(s);
	if ((len > 0 && s[len - 1] == '.') || name_eq(d, apex) || ldns_dname_is_subdomain(d, apex))
		return d;
	if (ldns_dname_cat(d, apex) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(d);
		return NULL;
	}
	return d;
}

/* Ends an AXFR that failed or stopped; says why in why. */
static void axfr_failed(ldns_resolver *res, char *why, size_t len)
{
	const ldns_pkt *p = ldns_axfr_last_pkt(res);
	char rc[32];
	if (p && ldns_pkt_get_rcode(p) != LDNS_RCODE_NOERROR)
		str_format(why, len, "AXFR refused (%s)",
			   rcode_text(ldns_pkt_get_rcode(p), rc, sizeof rc));
	else
		str_format(why, len, "AXFR failed");
	ldns_axfr_abort(res);
}

int dnssec_zone_fetch(const struct sockaddr_storage *addr, const char *zone,
		      const char *const *names, size_t n_names, double timeout, dnssec_zone **out,
		      char *err, size_t errlen)
{
	ldns_resolver *res = NULL;
	ldns_rdf *apex = NULL, *ns = NULL;
	ldns_rr_list *all = NULL;
	int rc = 0;
	*out = NULL;
	apex = ldns_dname_new_frm_str(zone);
	if (!apex) {
		str_format(err, errlen, "'%s' is not a domain name", zone);
		return -EINVAL;
	}
	ldns_rdf **asked = mem_calloc(n_names + 1, sizeof *asked);
	asked[0] = ldns_rdf_clone(apex);
	for (size_t i = 0; i < n_names; i++) {
		asked[i + 1] = name_in_zone(names[i], apex);
		if (!asked[i + 1]) {
			str_format(err, errlen, "--name '%s' is not a domain name", names[i]);
			rc = -EINVAL;
			goto out;
		}
		if (!ldns_dname_is_subdomain(asked[i + 1], apex) && !name_eq(asked[i + 1], apex)) {
			str_format(err, errlen, "--name '%s' is not in %s", names[i], zone);
			rc = -EINVAL;
			goto out;
		}
	}
	res = ldns_resolver_new();
	uint16_t port = 53;
	ns = ldns_sockaddr_storage2rdf(addr, &port);
	if (!res || !ns || ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
		str_format(err, errlen, "%s", "cannot set up the resolver");
		rc = -EINVAL;
		goto out;
	}
	ldns_resolver_set_port(res, port);
	struct timeval tv = { .tv_sec = (time_t)timeout,
			      .tv_usec = (suseconds_t)((timeout - (double)(time_t)timeout) * 1e6) };
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_retry(res, 2);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_dnssec(res, true);
	ldns_resolver_set_edns_udp_size(res, 4096);
	all = ldns_rr_list_new();
	if (!all)
		fatal("out of memory");

	enum dnssec_source source = DNSSEC_FROM_AXFR;
	char why[96] = "";
	ldns_status st = ldns_axfr_start(res, apex, LDNS_RR_CLASS_IN);
	if (st != LDNS_STATUS_OK) {
		str_format(err, errlen, "cannot connect to the server over TCP: %s",
			   ldns_get_errorstr_by_id(st));
		rc = -ECONNREFUSED;
		goto out;
	}
	ldns_rr *rr;
	bool complete = false;
	while ((rr = ldns_axfr_next(res)) != NULL) {
		if (!ldns_rr_list_push_rr(all, rr))
			fatal("out of memory");
		if (ldns_axfr_complete(res)) {
			complete = true;
			break;
		}
	}
	if (complete) {
		/* The closing SOA repeats the first. */
		ldns_rr_free(ldns_rr_list_pop_rr(all));
		ldns_axfr_abort(res);
	} else {
		axfr_failed(res, why, sizeof why);
		ldns_rr_list_deep_free(all);
		all = ldns_rr_list_new();
		if (!all)
			fatal("out of memory");
		source = DNSSEC_FROM_QUERIES;
		size_t missing = 0;
		for (size_t i = 0; i < n_names + 1; i++) {
			bool nx = false;
			rc = fetch_name(res, all, asked[i], apex, zone, &nx, err, errlen);
			if (rc != 0)
				goto out;
			missing += nx;
		}
		str_format(why + strlen(why), sizeof why - strlen(why),
			   ": queried the apex and %zu name%s", n_names, n_names == 1 ? "" : "s");
		if (missing)
			str_format(why + strlen(why), sizeof why - strlen(why),
				   " (%zu of them %s not exist)", missing,
				   missing == 1 ? "does" : "do");
	}
	bool have_soa = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(all); i++) {
		ldns_rr *x = ldns_rr_list_rr(all, i);
		if (ldns_rr_get_type(x) == LDNS_RR_TYPE_SOA && name_eq(ldns_rr_owner(x), apex))
			have_soa = true;
	}
	if (!have_soa) {
		str_format(err, errlen, "no SOA record of %s came from the server (%s)", zone,
			   why[0] ? why : "AXFR");
		rc = -ENODATA;
		goto out;
	}
	dnssec_zone *z = zone_new(source);
	str_copy(z->note, why, sizeof z->note);
	build(z, all, apex);
	*out = z;
out:
	for (size_t i = 0; i < n_names + 1; i++)
		ldns_rdf_deep_free(asked[i]);
	free(asked);
	ldns_rr_list_deep_free(all);
	ldns_rdf_deep_free(ns);
	ldns_rdf_deep_free(apex);
	if (res)
		ldns_resolver_deep_free(res);
	return rc;
}

/* --- evaluation --- */

int64_t dnssec_serial_time(uint32_t t, int64_t near)
{
	uint32_t d = t - (uint32_t)near;
	int64_t sd = d >= 0x80000000u ? (int64_t)d - 0x100000000LL : (int64_t)d;
	return near + sd;
}

static const struct {
	const char *name, *text;
} kinds[DNSSEC_N_KINDS] = {
	[DNSSEC_EXPIRED] = { "expired", "signature expired" },
	[DNSSEC_TTL_BEYOND_EXPIRATION] = { "ttl_beyond_expiration",
					   "TTL beyond the signature's expiration" },
	[DNSSEC_NOT_YET_VALID] = { "not_yet_valid", "signature not yet valid" },
	[DNSSEC_BOGUS] = { "bogus", "signature does not verify" },
	[DNSSEC_NO_KEY] = { "no_key", "no DNSKEY for the signature" },
	[DNSSEC_MISSING] = { "missing", "RRset not signed" },
	[DNSSEC_MARGIN_LOW] = { "margin_low", "TTL close to the signature's expiration" },
	[DNSSEC_INCEPTION_SKEW] = { "inception_skew", "signature valid only recently" },
	[DNSSEC_ORIG_TTL_EXCEEDED] = { "original_ttl_exceeded", "TTL above the original TTL" },
	[DNSSEC_TTL_MISMATCH] = { "ttl_mismatch", "RRSIG TTL differs from the RRset's" },
	[DNSSEC_UNSUPPORTED] = { "unsupported_algorithm", "signature algorithm not supported" },
};

const char *dnssec_kind_name(enum dnssec_kind k)
{
	return (unsigned)k < DNSSEC_N_KINDS ? kinds[k].name : "unknown";
}

const char *dnssec_kind_text(enum dnssec_kind k)
{
	return (unsigned)k < DNSSEC_N_KINDS ? kinds[k].text : "unknown";
}

struct collector {
	struct dnssec_report *r;
	size_t cap;
};

static struct dnssec_finding *add(struct collector *c, enum dnssec_kind k, enum dnssec_severity sev,
				  size_t rrset, size_t sig)
{
	struct dnssec_report *r = c->r;
	if (r->n_findings == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		r->findings = mem_realloc(r->findings, c->cap * sizeof *r->findings);
	}
	struct dnssec_finding *f = &r->findings[r->n_findings++];
	memset(f, 0, sizeof *f);
	f->kind = k;
	f->severity = sev;
	f->rrset = rrset;
	f->sig = sig;
	r->count[k]++;
	if (sev == DNSSEC_CRITICAL)
		r->n_critical++;
	else
		r->n_warning++;
	if (sev > r->severity)
		r->severity = sev;
	return f;
}

static int finding_cmp(const void *a, const void *b)
{
	const struct dnssec_finding *x = a, *y = b;
	if (x->has_begins != y->has_begins)
		return x->has_begins ? 1 : -1;
	if (x->has_begins && x->begins != y->begins)
		return x->begins < y->begins ? -1 : 1;
	if (x->rrset != y->rrset)
		return x->rrset < y->rrset ? -1 : 1;
	if (x->sig != y->sig)
		return x->sig < y->sig ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t m = a < b ? a : b;
	return m < c ? m : c;
}

static struct dnssec_finding *sig_finding(struct collector *c, enum dnssec_kind k, size_t i,
					  size_t j, int64_t inc, int64_t exp, uint32_t m,
					  enum dnssec_severity sev)
{
	struct dnssec_finding *f = add(c, k, sev, i, j);
	f->inception = inc;
	f->expiration = exp;
	f->min_ttl = m;
	f->margin = exp - c->r->at - (int64_t)m;
	return f;
}

/* The checks of one signature g of RRset s (index i, sig j) at time at. */
static void check_sig(struct collector *c, const struct dnssec_rrset *s, size_t i, size_t j,
		      bool any_valid)
{
	struct dnssec_report *r = c->r;
	const struct dnssec_sig *g = &s->sigs[j];
	const struct dnssec_opts *o = &r->opts;
	int64_t at = r->at;
	int64_t inc = dnssec_serial_time(g->inception, at);
	int64_t exp = dnssec_serial_time(g->expiration, at);
	uint32_t m = min3(s->ttl, g->ttl, g->orig_ttl);
	int64_t margin = exp - at - (int64_t)m;
	struct dnssec_rrset_eval *ev = &r->rrsets[i];
	struct dnssec_finding *f;

	if (!ev->has_margin || margin < ev->margin)
		ev->margin = margin;
	if (!ev->has_margin || exp < ev->expiration)
		ev->expiration = exp;
	ev->has_margin = true;
	if (!r->has_margin || margin < r->margin) {
		r->margin = margin;
		r->margin_rrset = i;
	}
	r->has_margin = true;

	switch (g->crypto) {
	case DNSSEC_SIG_VALID: break;
	case DNSSEC_SIG_BOGUS:
		sig_finding(c, DNSSEC_BOGUS, i, j, inc, exp, m, DNSSEC_CRITICAL);
		break;
	case DNSSEC_SIG_NO_KEY:
		sig_finding(c, DNSSEC_NO_KEY, i, j, inc, exp, m,
			    any_valid ? DNSSEC_WARNING : DNSSEC_CRITICAL);
		break;
	case DNSSEC_SIG_UNSUPPORTED:
		sig_finding(c, DNSSEC_UNSUPPORTED, i, j, inc, exp, m, DNSSEC_WARNING);
		break;
	}
	if (at < inc) {
		f = sig_finding(c, DNSSEC_NOT_YET_VALID, i, j, inc, exp, m, DNSSEC_CRITICAL);
		f->has_ends = true;
		f->ends = inc;
	} else if (o->skew > 0 && at < inc + o->skew) {
		f = sig_finding(c, DNSSEC_INCEPTION_SKEW, i, j, inc, exp, m, DNSSEC_WARNING);
		f->has_begins = f->has_ends = true;
		f->begins = inc;
		f->ends = inc + o->skew;
	}
	if (at > exp) {
		f = sig_finding(c, DNSSEC_EXPIRED, i, j, inc, exp, m, DNSSEC_CRITICAL);
		f->has_begins = true;
		f->begins = exp + 1;
	} else {
		if (margin <= 0) {
			f = sig_finding(c, DNSSEC_TTL_BEYOND_EXPIRATION, i, j, inc, exp, m,
					DNSSEC_CRITICAL);
			f->has_begins = f->has_ends = true;
			f->begins = exp - m;
			f->ends = exp + 1; /* then it has expired */
		} else {
			if (o->warn > 0 && margin < o->warn) {
				f = sig_finding(c, DNSSEC_MARGIN_LOW, i, j, inc, exp, m,
						DNSSEC_WARNING);
				f->has_begins = f->has_ends = true;
				f->begins = exp - m - o->warn;
				f->ends = exp - m;
			}
			if (!r->has_next_ttl || exp - m < r->next_ttl) {
				r->next_ttl = exp - m;
				r->next_ttl_rrset = i;
				r->has_next_ttl = true;
			}
		}
		if (!r->has_next_expiry || exp + 1 < r->next_expiry) {
			r->next_expiry = exp + 1;
			r->next_expiry_rrset = i;
			r->has_next_expiry = true;
		}
	}
	if (s->ttl > g->orig_ttl)
		sig_finding(c, DNSSEC_ORIG_TTL_EXCEEDED, i, j, inc, exp, m, DNSSEC_WARNING);
	if (s->ttl != g->ttl)
		sig_finding(c, DNSSEC_TTL_MISMATCH, i, j, inc, exp, m, DNSSEC_WARNING);
}

struct dnssec_report *dnssec_evaluate(const struct dnssec_rrset *v, size_t n, int64_t at,
				      const struct dnssec_opts *o)
{
	struct dnssec_report *r = mem_calloc(1, sizeof *r);
	struct collector c = { .r = r };
	r->at = at;
	r->opts = *o;
	r->rrsets = mem_calloc(n ? n : 1, sizeof *r->rrsets);
	r->n_rrsets = n;
	for (size_t i = 0; i < n; i++) {
		const struct dnssec_rrset *s = &v[i];
		if (s->needs_sig && s->n_sigs == 0)
			(void)add(&c, DNSSEC_MISSING, DNSSEC_CRITICAL, i, DNSSEC_NO_SIG);
		bool any_valid = false;
		for (size_t j = 0; j < s->n_sigs; j++)
			any_valid |= s->sigs[j].crypto == DNSSEC_SIG_VALID;
		for (size_t j = 0; j < s->n_sigs; j++)
			check_sig(&c, s, i, j, any_valid);
		r->n_sigs += s->n_sigs;
	}
	if (r->n_findings > 1)
		qsort(r->findings, r->n_findings, sizeof *r->findings, finding_cmp);
	return r;
}

void dnssec_report_free(struct dnssec_report *r)
{
	if (!r)
		return;
	free(r->findings);
	free(r->rrsets);
	free(r);
}

/* --- times --- */

/* Days since 1970-01-01 of a date in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : dm[m - 1];
}

char *dnssec_format_time(int64_t t, char *buf, size_t len)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t secs = t - days * 86400;
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	str_format(buf, len, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)y, m, d,
		   (unsigned)(secs / 3600), (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
	return buf;
}

/* n decimal digits at *p into *v; advances *p.  False if fewer digits. */
static bool digits(const char **p, unsigned n, unsigned *v)
{
	unsigned x = 0;
	for (unsigned i = 0; i < n; i++) {
		char ch = (*p)[i];
		if (ch < '0' || ch > '9')
			return false;
		x = x * 10 + (unsigned)(ch - '0');
	}
	*p += n;
	*v = x;
	return true;
}

#define MAX_DURATION (100LL * 366 * 86400)

int dnssec_parse_duration(const char *s, int64_t *out)
{
	const char *p = s;
	int64_t total = 0;
	bool any = false, units = false;
	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		int64_t v = 0;
		const char *start = p;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (*p - '0');
			if (v > MAX_DURATION)
				return -EINVAL;
			p++;
		}
		if (p == start)
			return -EINVAL;
		int64_t mult;
		switch (*p) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		case '\0':
			/* a bare number: seconds, and only alone */
			if (units)
				return -EINVAL;
			mult = 1;
			p--;
			break;
		default: return -EINVAL;
		}
		units = true;
		p++;
		total += v * mult;
		if (total > MAX_DURATION)
			return -EINVAL;
		any = true;
	}
	if (!any)
		return -EINVAL;
	*out = total;
	return 0;
}

/* ISO 8601: YYYY-MM-DD[(T| )hh:mm[:ss]][Z|+hh:mm|-hh:mm|+hhmm|-hhmm]. */
static bool parse_iso(const char *p, int64_t *out)
{
	unsigned y, mo, d, h = 0, mi = 0, se = 0;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return false;
	int64_t off = 0;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &se))
				return false;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;
			unsigned oh, om;
			if (!digits(&p, 2, &oh))
				return false;
			if (*p == ':')
				p++;
			if (!digits(&p, 2, &om) || oh > 23 || om > 59)
				return false;
			off = sign * (int64_t)(oh * 3600 + om * 60);
		}
	}
	if (*p != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return false;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	return true;
}

/* YYYYMMDDhhmmss, UTC (the RRSIG presentation format). */
static bool parse_compact(const char *p, int64_t *out)
{
	unsigned y, mo, d, h, mi, se;
	if (!digits(&p, 4, &y) || !digits(&p, 2, &mo) || !digits(&p, 2, &d) || !digits(&p, 2, &h) ||
	    !digits(&p, 2, &mi) || !digits(&p, 2, &se) || *p != '\0')
		return false;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || se > 59)
		return false;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

int dnssec_parse_time(const char *s, int64_t now, int64_t *out, char *err, size_t errlen)
{
	/* 9999-12-31T23:59:59Z */
	const int64_t max = 253402300799LL;
	size_t len = s ? strlen(s) : 0;
	size_t nd = strspn(s ? s : "", "0123456789");
	int64_t t;
	if (!s || !*s)
		goto bad;
	if (strcmp(s, "now") == 0) {
		t = now;
	} else if (s[0] == '+' || s[0] == '-') {
		int64_t d;
		if (dnssec_parse_duration(s + 1, &d) != 0) {
			str_format(err, errlen,
				   "'%s': after %c comes a duration such as 3600, 90m, 12h, 2d, 1w",
				   s, s[0]);
			return -EINVAL;
		}
		t = s[0] == '+' ? now + d : now - d;
	} else if (s[0] == '@' || (nd == len && len <= 12)) {
		const char *p = s[0] == '@' ? s + 1 : s;
		size_t n = strlen(p);
		if (n == 0 || n > 12 || strspn(p, "0123456789") != n)
			goto bad;
		t = 0;
		for (size_t i = 0; i < n; i++)
			t = t * 10 + (p[i] - '0');
	} else if (nd == len && len == 14) {
		if (!parse_compact(s, &t))
			goto bad;
	} else if (!parse_iso(s, &t)) {
		goto bad;
	}
	if (t < 0 || t > max) {
		str_format(err, errlen, "'%s' is outside 1970-9999", s);
		return -EINVAL;
	}
	*out = t;
	return 0;
bad:
	str_format(err, errlen,
		   "'%s' is not a time: give ISO 8601 (2026-11-26T12:00:00Z), Unix seconds, "
		   "YYYYMMDDhhmmss, now, or +/-DURATION",
		   s ? s : "");
	return -EINVAL;
}
