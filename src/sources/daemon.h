/* daemon.h - one model of a time daemon's own view, filled from ntpd (mode 6)
 * or chronyd (command protocol), so that `sundial status` and the collector
 * treat both alike.  Times are seconds, frequencies ppm; a double that the
 * daemon did not give is NAN, an int -1. */
#ifndef SUNDIAL_SOURCES_DAEMON_H
#define SUNDIAL_SOURCES_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sources/source.h"

enum dmn_kind { DMN_NTPD, DMN_CHRONYD };

struct dmn_system {
	bool synchronised;
	int leap;    /* 0 none, 1 insert, 2 delete, 3 unsynchronised */
	int stratum; /* -1 unknown */
	char refid[64];
	char sys_peer[80]; /* the source the daemon follows */
	double offset;	   /* last offset of the local clock (ntpd offset, chrony last offset) */
	double root_delay, root_disp, root_dist;
	double sys_jitter, clk_jitter, clk_wander;			  /* ntpd */
	double frequency;						  /* ppm */
	int precision, tc;						  /* log2 */
	double ref_time;						  /* Unix seconds */
	double rms_offset, skew, resid_freq, update_interval, correction; /* chrony */
	int clock_source, event_count, event_code;			  /* ntpd status word */
};

struct dmn_source {
	uint16_t associd; /* ntpd */
	char address[80];
	char name[256];
	char mode[16];	    /* "server", "peer", "refclock", "pool", "broadcast", ... */
	char tally;	    /* the daemon's own mark: ntpq's "*+-x#.o " or chronyc's "*+-?x~" */
	char selection[16]; /* "sys.peer", "candidate", "outlier", "falseticker", ... */
	int stratum;
	char refid[64];
	int reach; /* 8-bit register */
	double reach_pct;
	int hpoll, ppoll;
	double when; /* seconds since the last sample */
	double offset, delay, jitter, dispersion;
	int samples; /* chrony sourcestats */
	double span, std_dev, est_offset, frequency, skew, response_time;
	bool refclock;
};

struct dmn_refclock_state {
	char name[32];
	double seconds, share;
	bool current;
};

#define DMN_MAX_CLOCK_STATES 16

struct dmn_refclock {
	uint16_t associd;
	char name[64];
	char device[128];
	char timecode[256];
	int poll;
	long noreply, badformat, baddata;
	double fudgetime1, fudgetime2;
	long flags;
	int stratum;
	char refid[16];
	int status; /* 0 nominal .. 6 bad time, -1 unknown */
	int event_count;
	size_t n_states;
	struct dmn_refclock_state states[DMN_MAX_CLOCK_STATES];
};

struct dmn_counter {
	char name[48];
	double value;
};

struct dmn_client {
	char address[80];
	uint64_t count;
	double first, last; /* Unix seconds (NAN unknown) */
	int mode, version;  /* -1 unknown */
	uint64_t drops;
};

struct dmn_error {
	char what[32];
	char message[200];
};

#define DMN_MAX_ERRORS 8

typedef struct dmn_status {
	enum dmn_kind kind;
	char target[300];
	char version[96];
	struct dmn_system sys;
	size_t n_sources;
	struct dmn_source *sources;
	size_t n_refclocks;
	struct dmn_refclock *refclocks;
	size_t n_counters;
	struct dmn_counter *counters;
	bool refused; /* the daemon refused something asked of it (a key, a command) */
	bool clients_read;
	char clients_from[40];
	size_t n_clients;
	struct dmn_client *clients;
	unsigned long clients_total; /* seen, including those past the limit */
	size_t n_errors;
	struct dmn_error errors[DMN_MAX_ERRORS];
} dmn_status;

/* A new, empty status (every value unknown).  Never NULL. */
dmn_status *dmn_new(enum dmn_kind kind);
void dmn_free(dmn_status *s); /* accepts NULL */

/* Appends a zeroed element (values unknown) and returns it; never NULL. */
struct dmn_source *dmn_add_source(dmn_status *s);
struct dmn_refclock *dmn_add_refclock(dmn_status *s);
struct dmn_client *dmn_add_client(dmn_status *s);
void dmn_add_counter(dmn_status *s, const char *name, double value);

/* Records a part that could not be read ("serverstats", "why"). */
void dmn_add_error(dmn_status *s, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The value of a counter, or NAN. */
double dmn_counter(const dmn_status *s, const char *name);

/* Sources the daemon would use: ntpd candidates and the system peer, chrony
 * selected and combined ones. */
size_t dmn_good_sources(const dmn_status *s);

/* Percentage of set bits of an 8-bit reach register. */
double dmn_reach_pct(int reach);

/* The collector's values of a daemon (the ntpd and chronyd sources): system
 * values, per upstream offset, delay, jitter and reach, the packet counters
 * as counters, each ntpd refclock's status and error counters. */
void dmn_publish(const dmn_status *st, const struct source_out *o);

#endif
