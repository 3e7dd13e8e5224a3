/* atlas.h - RIPE Atlas NTP measurement results, per probe and overall.
 *
 * This module reads JSON with jansson (linked into the core library for
 * input parsing; the only JSON library of sundial).  Nothing of jansson is in
 * this header.
 *
 * Input: the results as the Atlas API and its result files give them, one
 * JSON object per result, either in one JSON array ("[{...}, {...}]") or one
 * per line (JSON Lines; a line may also hold an array of them).  A result
 * (RIPE Atlas "ntp" result format, firmware 4460 and later):
 *
 *   { "type": "ntp", "prb_id": 71, "af": 4, "dst_addr": "193.0.0.229",
 *     "from": "193.0.0.78", "stratum": 1, "ref-id": "GPS", "li": "no",
 *     "version": 4, "root-delay": 0.000015, "root-dispersion": 0.00140381,
 *     "result": [ { "rtt": 0.021899, "offset": -8.363271, ... },  a reply
 *                 { "x": "*" },                                   a timeout
 *                 { "error": "..." } ] }                          an error
 *
 * The fractional part of root-delay is kept (RIPE's parser, sagan, drops it).
 * prb_id and result are required; af is taken from dst_addr when missing;
 * type, when present, must be "ntp".
 *
 * Bounds: an element (a result) at most ATLAS_MAX_ELEMENT octets, result[]
 * at most ATLAS_MAX_PACKETS entries, strings at most ATLAS_MAX_STR - 1
 * octets of printable ASCII, at most ATLAS_MAX_ROWS (probe, af, server)
 * rows and ATLAS_MAX_REPLIES replies.  A result that breaks a rule is
 * rejected with its file, line and reason, and the rest is read. */
#ifndef SUNDIAL_ANALYSIS_ATLAS_H
#define SUNDIAL_ANALYSIS_ATLAS_H

#include <stdbool.h>
#include <stddef.h>

#define ATLAS_MAX_ELEMENT (1u << 20)
#define ATLAS_MAX_PACKETS 64
#define ATLAS_MAX_STR 48
#define ATLAS_MAX_ROWS 1000000u
#define ATLAS_MAX_REPLIES (16u * 1024 * 1024)
#define ATLAS_MAX_BAD 1000
/* The MAD below which outliers are judged against this floor instead (s):
 * replies of one probe often agree to the microsecond, and a MAD of 0 would
 * make every difference an outlier. */
#define ATLAS_MAD_FLOOR 1e-6

typedef struct atlas atlas;

/* A new empty collection; atlas_free() accepts NULL. */
atlas *atlas_new(void);
void atlas_free(atlas *a);

/* Reads one file's text (len octets, need not be NUL-terminated) called name
 * (copied).  Returns 0 (rejected results are counted, see atlas_bad_get()),
 * -EINVAL if the file is not JSON results at all (an unclosed array: the
 * reason is the file's last rejected line), -E2BIG once the row or reply
 * limit is reached (what was read is kept). */
int atlas_feed(atlas *a, const char *name, const char *text, size_t len)
	__attribute__((warn_unused_result));

struct atlas_file {
	char name[256];
	unsigned long results, rejected;
};

struct atlas_bad {
	size_t file;
	unsigned long line;
	char why[128];
};

size_t atlas_file_count(const atlas *a);
const struct atlas_file *atlas_file_get(const atlas *a, size_t i);
/* The first ATLAS_MAX_BAD rejected results; atlas_bad_total() counts all. */
size_t atlas_bad_count(const atlas *a);
const struct atlas_bad *atlas_bad_get(const atlas *a, size_t i);
unsigned long atlas_bad_total(const atlas *a);

/* Nearest-rank figures of n values (all 0 when n is 0). */
struct atlas_dist {
	size_t n;
	double min, p50, p95, max;
};

/* What the servers said, compared: bits of atlas_probe.differs. */
enum { ATLAS_STRATUM = 1, ATLAS_REFID = 2, ATLAS_LI = 4, ATLAS_VERSION = 8 };

/* One probe's view of one server over one address family. */
struct atlas_probe {
	long long prb_id;
	int af; /* 4 or 6 */
	char dst[ATLAS_MAX_STR];
	unsigned long results, packets, replies, timeouts, errors;
	struct atlas_dist rtt, offset;
	double root_delay, root_dispersion; /* medians over its results; 0 if none */
	/* Replies whose offset is more than k MADs from this probe's median. */
	unsigned long outliers;
	/* The probe's median offset is more than k MADs (of the probes' medians)
	 * from the median of its server's probes. */
	bool outlier;
	/* The first values it saw (stratum -1, version -1, "" if none); differs
	 * has a bit for each that is not its server's most common value, or
	 * that changed between this probe's results. */
	int stratum, version;
	char refid[ATLAS_MAX_STR], li[ATLAS_MAX_STR];
	unsigned differs;
};

struct atlas_group {
	unsigned long probes, results, packets, replies, timeouts, errors;
	unsigned long outliers, outlier_probes;
	struct atlas_dist rtt, offset, root_delay, root_dispersion;
};

/* One server (dst_addr), over its probes. */
struct atlas_target {
	char dst[ATLAS_MAX_STR];
	struct atlas_group all, v4, v6;
	/* The most common value over its probes (ties: the smallest), and how
	 * many probes differ from it. */
	int stratum, version;
	char refid[ATLAS_MAX_STR], li[ATLAS_MAX_STR];
	unsigned long differ_stratum, differ_refid, differ_li, differ_version;
	double median_offset, mad; /* over its probes' median offsets */
};

struct atlas_report {
	double k;
	size_t nprobes; /* sorted by server, af, probe id */
	struct atlas_probe *probes;
	size_t ntargets; /* sorted by address */
	struct atlas_target *targets;
	struct atlas_group all, v4, v6;
};

/* The figures of everything read so far, outliers at k MADs (k > 0).
 * Free with atlas_report_free() (accepts NULL). */
struct atlas_report *atlas_report_new(const atlas *a, double k);
void atlas_report_free(struct atlas_report *r);

#endif
