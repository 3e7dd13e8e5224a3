/* dnssec.h - the signatures of a DNSSEC-signed zone against time: TTLs that
 * outlive their signature, expired and premature signatures, TTL rules of
 * RFC 4034/4035, missing and bogus signatures.
 *
 * Two halves.  Reading (the only code of sundial that includes ldns): a zone
 * file, or a server's copy of the zone (AXFR, else queries with the DO bit
 * for the apex and the names given), grouped into RRsets, each with its
 * RRSIGs and their cryptographic verdicts against the zone's DNSKEYs.  The
 * verdicts do not depend on time, so they are computed once, on reading.
 * Evaluation: pure, no I/O, no clock; the RRsets and one moment in, the
 * findings out, so tests can evaluate at any second.
 *
 * Times are Unix seconds (int64_t).  An RRSIG's inception and expiration are
 * 32-bit serial numbers (RFC 4034 section 3.1.5): each is taken as the time
 * nearest the moment of evaluation with those low 32 bits.
 *
 * The checks, for each RRSIG of an RRset, at time T, with
 * m = min(RRset TTL, RRSIG TTL, original TTL) and margin = expiration - T - m:
 *   expired                T > expiration (RFC 4035 5.3.1: valid up to and
 *                          including the expiration second); begins at
 *                          expiration + 1.                          CRITICAL
 *   ttl_beyond_expiration  not expired, T + m >= expiration (margin <= 0):
 *                          a cache may hold the RRset when the signature
 *                          has expired (DNSViz's TTL_BEYOND_EXPIRATION);
 *                          begins at expiration - m.                 CRITICAL
 *   margin_low             0 < margin < warn; begins at
 *                          expiration - m - warn.                     WARNING
 *   not_yet_valid          T < inception; ends at inception.        CRITICAL
 *   inception_skew         inception <= T < inception + skew: clocks up
 *                          to skew seconds behind reject it; begins at
 *                          inception, ends at inception + skew.       WARNING
 *   original_ttl_exceeded  RRset TTL > original TTL (RFC 4035 2.2).  WARNING
 *   ttl_mismatch           RRset TTL != RRSIG TTL (RFC 4034 3).      WARNING
 *   bogus                  a DNSKEY of the signer with the key tag and
 *                          algorithm exists but the signature does not
 *                          verify.                                   CRITICAL
 *   no_key                 no such DNSKEY (with the zone key flag) in the
 *                          zone; WARNING if another RRSIG of the RRset
 *                          verifies, else                            CRITICAL
 *   unsupported_algorithm  ldns cannot verify the algorithm.          WARNING
 * and for each RRset:
 *   missing                authoritative and no RRSIG at all.        CRITICAL
 * Authoritative: at or below the apex and not below a zone cut; at a cut
 * (a name other than the apex with NS) only DS and NSEC are, so delegation
 * NS and glue need no signature.
 */
#ifndef SUNDIAL_ANALYSIS_DNSSEC_H
#define SUNDIAL_ANALYSIS_DNSSEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Signature verdicts, from reading (they do not change with time). */
enum dnssec_crypto {
	DNSSEC_SIG_VALID,
	DNSSEC_SIG_BOGUS,	/* a matching key, and it does not verify */
	DNSSEC_SIG_NO_KEY,	/* no DNSKEY with its signer, key tag and algorithm */
	DNSSEC_SIG_UNSUPPORTED, /* an algorithm ldns cannot verify */
};

struct dnssec_sig {
	uint16_t key_tag;
	uint8_t algorithm;
	uint32_t ttl;	    /* the RRSIG record's own TTL */
	uint32_t orig_ttl;  /* its Original TTL field */
	uint32_t inception; /* serial-number times, as on the wire */
	uint32_t expiration;
	enum dnssec_crypto crypto;
	char why[80]; /* for BOGUS: what ldns said; else empty */
};

struct dnssec_rrset {
	char *owner;		 /* presentation format, absolute (owned) */
	char type[24];		 /* "A", "TYPE65534" */
	uint32_t ttl;		 /* the smallest TTL of its records */
	size_t n_records;	 /* records in it */
	bool needs_sig;		 /* authoritative: must be signed */
	struct dnssec_sig *sigs; /* its RRSIGs (owned) */
	size_t n_sigs;
};

/* Where a zone came from. */
enum dnssec_source { DNSSEC_FROM_FILE, DNSSEC_FROM_AXFR, DNSSEC_FROM_QUERIES };

typedef struct dnssec_zone dnssec_zone;

/* Reads a zone file ("-": standard input).  origin (may be NULL) is the zone's name for relative
 * names without $ORIGIN.  Returns 0 with *out (free with dnssec_zone_free),
 * or a negative errno with a message for people in err: the open error
 * (-ENOENT, -EACCES, ...), -EINVAL for a syntax error ("FILE:LINE: what"),
 * -ENODATA for a file without a SOA record. */
int dnssec_zone_read(const char *path, const char *origin, dnssec_zone **out, char *err,
		     size_t errlen) __attribute__((warn_unused_result));

/* Fetches zone from the server at addr (its port included): an AXFR; if the
 * server refuses it, queries with the DO bit over UDP (TCP when truncated):
 * for the apex and each of names[0..n_names) (absolute with a final dot,
 * else relative to zone unless already under it) its NSEC, then every type
 * that NSEC lists, or without one (NSEC3 zones) a fixed list of common
 * types; NSEC/NSEC3 records in authority sections and the delegations of
 * referrals are kept too.  timeout is per exchange in seconds.  Returns 0
 * with *out, or -ECONNREFUSED/-ETIMEDOUT (no TCP connection, no answer),
 * -EIO (an rcode other than NOERROR/NXDOMAIN, or an answer that is neither
 * authoritative nor a referral), -EINVAL (zone or a name is not a domain
 * name, or a name is outside zone), -ENODATA (no SOA came back); err says
 * what happened. */
int dnssec_zone_fetch(const struct sockaddr_storage *addr, const char *zone,
		      const char *const *names, size_t n_names, double timeout, dnssec_zone **out,
		      char *err, size_t errlen) __attribute__((warn_unused_result));

/* Frees z; NULL is fine. */
void dnssec_zone_free(dnssec_zone *z);

/* The apex (presentation format, absolute), borrowed while z lives. */
const char *dnssec_zone_apex(const dnssec_zone *z);

/* The RRsets in canonical order, borrowed while z lives. */
const struct dnssec_rrset *dnssec_zone_rrsets(const dnssec_zone *z, size_t *n);

/* How z was read, and for a server a note for people ("AXFR refused
 * (REFUSED): queried the apex and 2 names"; "" otherwise), borrowed. */
enum dnssec_source dnssec_zone_source(const dnssec_zone *z);
const char *dnssec_zone_note(const dnssec_zone *z);

/* DNSKEY records at the apex with the zone key flag. */
size_t dnssec_zone_keys(const dnssec_zone *z);

/* --- evaluation: pure --- */

enum dnssec_kind {
	DNSSEC_EXPIRED,
	DNSSEC_TTL_BEYOND_EXPIRATION,
	DNSSEC_NOT_YET_VALID,
	DNSSEC_BOGUS,
	DNSSEC_NO_KEY,
	DNSSEC_MISSING,
	DNSSEC_MARGIN_LOW,
	DNSSEC_INCEPTION_SKEW,
	DNSSEC_ORIG_TTL_EXCEEDED,
	DNSSEC_TTL_MISMATCH,
	DNSSEC_UNSUPPORTED,
	DNSSEC_N_KINDS
};

/* Nagios-like levels: a finding is WARNING or CRITICAL. */
enum dnssec_severity { DNSSEC_OK = 0, DNSSEC_WARNING = 1, DNSSEC_CRITICAL = 2 };

#define DNSSEC_SKEW_DEFAULT 300	   /* seconds (DNSViz's CLOCK_SKEW_WARNING) */
#define DNSSEC_WARN_DEFAULT 259200 /* 3 days */
#define DNSSEC_NO_SIG SIZE_MAX	   /* dnssec_finding.sig of a finding about an RRset */

struct dnssec_opts {
	int64_t warn; /* margin_low below this many seconds; 0: never */
	int64_t skew; /* inception_skew within this many seconds; 0: never */
};

struct dnssec_finding {
	enum dnssec_kind kind;
	enum dnssec_severity severity;
	size_t rrset;		       /* index into the RRsets evaluated */
	size_t sig;		       /* index into its sigs, or DNSSEC_NO_SIG */
	bool has_begins, has_ends;     /* false: not a matter of time, or unknown */
	int64_t begins;		       /* when the problem began or begins */
	int64_t ends;		       /* when it ends by itself */
	int64_t inception, expiration; /* the signature's, resolved (if sig) */
	uint32_t min_ttl;	       /* m, for a sig */
	int64_t margin;		       /* expiration - at - m, for a sig */
};

/* One RRset's evaluation. */
struct dnssec_rrset_eval {
	bool has_margin;
	int64_t margin;	    /* the smallest margin over its RRSIGs */
	int64_t expiration; /* the earliest expiration over its RRSIGs (if has_margin) */
};

struct dnssec_report {
	int64_t at;
	struct dnssec_opts opts;
	/* Sorted by begins (findings without one first), then RRset order. */
	struct dnssec_finding *findings;
	size_t n_findings;
	struct dnssec_rrset_eval *rrsets; /* one per RRset evaluated */
	size_t n_rrsets;
	size_t n_sigs;
	size_t count[DNSSEC_N_KINDS];
	size_t n_warning, n_critical;
	enum dnssec_severity severity; /* the worst finding */
	/* The smallest margin of any RRset, and which. */
	bool has_margin;
	int64_t margin;
	size_t margin_rrset;
	/* The next moment (> at) a ttl_beyond_expiration or an expired finding
	 * begins that is not there at `at`, and for which RRset. */
	bool has_next_ttl, has_next_expiry;
	int64_t next_ttl, next_expiry;
	size_t next_ttl_rrset, next_expiry_rrset;
};

/* Evaluates the RRsets v[0..n) at time at.  Returns a report (free with
 * dnssec_report_free; never NULL: allocation failure is fatal). */
struct dnssec_report *dnssec_evaluate(const struct dnssec_rrset *v, size_t n, int64_t at,
				      const struct dnssec_opts *o);

/* Frees r; NULL is fine. */
void dnssec_report_free(struct dnssec_report *r);

/* A kind's word for scripts ("ttl_beyond_expiration") and for people. */
const char *dnssec_kind_name(enum dnssec_kind k);
const char *dnssec_kind_text(enum dnssec_kind k);

/* A serial-number time (RFC 4034 3.1.5) as the Unix time nearest `near`. */
int64_t dnssec_serial_time(uint32_t t, int64_t near);

/* Parses a moment: "now", "+DURATION" or "-DURATION" (from now), Unix
 * seconds ("1767225600", "@1767225600"), YYYYMMDDhhmmss (14 digits, UTC, as
 * in RRSIG records), or ISO 8601 "YYYY-MM-DD[Thh:mm[:ss]][Z|+hh:mm|-hh:mm]"
 * ('T' or one space; no zone means UTC).  Years 1970-9999.  Returns 0 with
 * *out, or -EINVAL with a message for people in err. */
int dnssec_parse_time(const char *s, int64_t now, int64_t *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Parses a duration: a number of seconds, or numbers each with a unit s, m,
 * h, d or w ("3d", "1d12h", "90m"); at most 100 years.  0 or -EINVAL. */
int dnssec_parse_duration(const char *s, int64_t *out) __attribute__((warn_unused_result));

/* Formats t as ISO 8601 UTC ("2026-11-26T12:00:00Z") into buf; returns buf. */
char *dnssec_format_time(int64_t t, char *buf, size_t len);

#endif
