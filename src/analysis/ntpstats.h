/* ntpstats.h - the statistics files of time daemons and of the NTP Pool, read
 * one line at a time into series of (time, value) points, and the summary
 * figures NTP operators judge them by (NTPsec's ntpviz tables).
 *
 * Kinds and the series each gives (units: s seconds, ppm; per source means
 * one series per peer, refclock or monitor):
 *
 *   loopstats     MJD SEC offset(s) freq(ppm) jitter(s) wander(ppm) [poll]
 *                 -> offset, frequency, jitter, wander
 *   peerstats     MJD SEC peer status(hex) offset delay dispersion jitter (s)
 *                 (peer: an address, or NTPsec's NAME(U) for a refclock)
 *                 -> per source: offset, delay, dispersion, jitter
 *   clockstats    MJD SEC clock text...  (clock: 127.127.T.U or NTPsec's NAME(U))
 *                 -> per clock: lines (value 1 each), and from the text:
 *                 NMEA sentences ($--RMC, $--GGA, $--GLL, $--ZDA, $PGRMF;
 *                 checksum checked): timecode_age (s, line time minus the
 *                 time the sentence carries), fix_valid (0/1), fix_quality,
 *                 satellites, hdop, altitude (m); the NMEA driver's
 *                 extended log: nmea_received, nmea_accepted,
 *                 nmea_rejected, nmea_malformed, nmea_filtered,
 *                 nmea_pps_used; its "delay" lines: sentence_delay (s);
 *                 the PPS driver (flag4): pps_offset (s) and per poll
 *                 pps_ok, pps_setup, pps_kernel, pps_not_ready; SHM
 *                 (flag4): shm_ticks, shm_good, shm_not_ready, shm_bad,
 *                 shm_clash; GPSD (flag4): gpsd_recv, gpsd_bad_reply,
 *                 gpsd_no_fix, gpsd_ibt_recv, gpsd_ibt_used, gpsd_pps_recv,
 *                 gpsd_pps_used.  Other drivers' text: lines only.
 *   rawstats      MJD SEC src dst T1 T2 T3 T4 [...] (NTP era-0 seconds)
 *                 -> per source: offset ((T2-T1)+(T3-T4))/2, delay
 *                 (T4-T1)-(T3-T2)
 *   (chrony's logs name a source by address, or by refid for a refclock)
 *   tracking      chrony tracking.log: DATE TIME addr St Freq(ppm) Skew(ppm)
 *                 Offset(s) L Co Offset-sd Rem-corr Root-delay Root-disp ...
 *                 -> frequency, skew, offset, offset_sd, root_delay, root_dispersion
 *   measurements  chrony measurements.log: DATE TIME addr L St 123 567 ABCD
 *                 LP RP Score Offset Peer-del Peer-disp Root-del Root-disp ...
 *                 -> per source: offset, delay, dispersion
 *   statistics    chrony statistics.log: DATE TIME addr Std-dev Est-offset
 *                 Offset-sd Diff-freq Est-skew Stress Ns Bs Nr ...
 *                 -> per source: std_dev, est_offset, offset_sd, diff_freq, skew
 *   refclocks     chrony refclocks.log: DATE TIME.US refid DP L P Raw-offset
 *                 Cooked-offset Disp. (Raw "-" for a pulse with no sample)
 *                 -> per refclock: raw_offset, cooked_offset, dispersion
 *   pool          the NTP Pool's CSV score log, columns named by its header
 *                 (ts_epoch,ts,offset,step,score,monitor_id,monitor_name,...)
 *                 -> per monitor: score, offset
 *
 * Every line is bounded (NTPSTATS_MAX_LINE octets) and checked field by
 * field; a bad line is counted with its number and a reason, never fatal.
 * Pure: no I/O, memory only (bounded by NTPSTATS_MAX_POINTS and
 * NTPSTATS_MAX_SERIES). */
#ifndef SUNDIAL_ANALYSIS_NTPSTATS_H
#define SUNDIAL_ANALYSIS_NTPSTATS_H

#include <stdbool.h>
#include <stddef.h>

#define NTPSTATS_MAX_LINE 4096
#define NTPSTATS_MAX_SERIES 4096
#define NTPSTATS_MAX_POINTS (32u * 1024 * 1024)
#define NTPSTATS_MAX_SOURCE 64

enum ntpstats_kind {
	NTPSTATS_AUTO,
	NTPSTATS_LOOPSTATS,
	NTPSTATS_PEERSTATS,
	NTPSTATS_CLOCKSTATS,
	NTPSTATS_RAWSTATS,
	NTPSTATS_TRACKING,
	NTPSTATS_MEASUREMENTS,
	NTPSTATS_STATISTICS,
	NTPSTATS_REFCLOCKS,
	NTPSTATS_POOL,
	NTPSTATS_KIND_COUNT
};

/* "loopstats", ...; "auto" for NTPSTATS_AUTO. */
const char *ntpstats_kind_name(enum ntpstats_kind k);

/* The kind named s (as ntpstats_kind_name() spells it); false if none. */
bool ntpstats_kind_parse(const char *s, enum ntpstats_kind *out);

/* The kind a line (len octets, no newline) looks like, NTPSTATS_AUTO if it
 * looks like none (or is blank, a comment or a chrony header without a kind). */
enum ntpstats_kind ntpstats_detect(const char *line, size_t len);

/* Summary of n values (ntpviz's table).  Percentiles are nearest-rank;
 * the moments are over n (population): sd = sqrt(m2), skew = m3 / m2^1.5,
 * kurtosis = m4 / m2^2 - 3 (excess; 0 for a normal distribution); skew and
 * kurtosis are 0 when sd is 0. */
struct ntpstats_summary {
	size_t n;
	double min, p1, p5, p50, p95, p99, max;
	double range90; /* p95 - p5 */
	double range98; /* p99 - p1 */
	double mean, sd, skew, kurtosis;
};

/* Fills *out from v[0 .. n) (finite values; v is not changed).  n = 0 gives
 * an all-zero summary. */
void ntpstats_summarize(const double *v, size_t n, struct ntpstats_summary *out);

/* One series: a field of a kind, per source where the kind has sources. */
struct ntpstats_series {
	enum ntpstats_kind kind;
	const char *field;		  /* "offset", "score", ... (static) */
	const char *unit;		  /* "s", "ppm" or "" (static) */
	unsigned field_no;		  /* the field's place in its kind's list */
	char source[NTPSTATS_MAX_SOURCE]; /* peer, refclock, monitor; "" if none */
	size_t n;
	double *t; /* Unix time of each point, ascending after ntpstats_finish() */
	double *v;
};

/* One rejected line, as reported. */
struct ntpstats_bad {
	size_t file; /* index of the file (order of ntpstats_file_begin) */
	unsigned long line;
	char why[96];
};

/* Per file. */
struct ntpstats_file {
	char name[256];
	enum ntpstats_kind kind; /* as forced or detected; AUTO if never */
	unsigned long lines, records, skipped, malformed;
};

typedef struct ntpstats ntpstats;

/* A new empty collection.  ntpstats_free() accepts NULL. */
ntpstats *ntpstats_new(void);
void ntpstats_free(ntpstats *s);

/* Starts a file called name (copied, cut to 255 octets): its lines follow
 * through ntpstats_feed().  kind NTPSTATS_AUTO detects it from the first
 * line that looks like one; until then, lines that look like none are
 * malformed.  A previous file is finished first. */
void ntpstats_file_begin(ntpstats *s, const char *name, enum ntpstats_kind kind);

/* Feeds len octets of the current file (any split, lines end with \n; \r
 * before it is dropped).  Lines longer than NTPSTATS_MAX_LINE are
 * malformed.  Returns 0, or -E2BIG once NTPSTATS_MAX_POINTS points are held
 * (the remaining records are counted as skipped). */
int ntpstats_feed(ntpstats *s, const char *buf, size_t len) __attribute__((warn_unused_result));

/* Ends the current file (its last line may lack a newline). */
void ntpstats_file_end(ntpstats *s);

/* Sorts each series by time.  Call once after the last file. */
void ntpstats_finish(ntpstats *s);

/* Files, series and rejected lines; pointers borrowed until ntpstats_free()
 * (series: also until the next feed).  Only the first NTPSTATS_MAX_BAD
 * rejected lines are kept; ntpstats_bad_total() counts them all. */
#define NTPSTATS_MAX_BAD 1000
size_t ntpstats_file_count(const ntpstats *s);
const struct ntpstats_file *ntpstats_file_get(const ntpstats *s, size_t i);
size_t ntpstats_series_count(const ntpstats *s);
const struct ntpstats_series *ntpstats_series_get(const ntpstats *s, size_t i);
size_t ntpstats_bad_count(const ntpstats *s);
const struct ntpstats_bad *ntpstats_bad_get(const ntpstats *s, size_t i);
unsigned long ntpstats_bad_total(const ntpstats *s);
/* Points refused because NTPSTATS_MAX_POINTS was reached. */
unsigned long ntpstats_dropped(const ntpstats *s);

#endif
