/* source.h - the one interface of the collector's sources.
 *
 * A source is a module under src/sources/ that exports a `struct
 * source_ops` (server, ntpd, chronyd, gpsd, capture, hwmon, exec, snmp,
 * adsb).  The
 * collector opens it once per configured target, asks it for a sample on
 * the source's schedule and, on its event loop, lets it publish what the
 * sample found through a put callback, which names, registers and stores
 * each value.  A source never formats output and never touches the metric
 * registry or the RRD files itself.
 *
 * Threads: a source whose sample() waits (network, a child process) says
 * so with `threaded`; the collector then calls sample() from a thread of the
 * source's own, and publish() from the loop after the sample is handed
 * back, never both at once.  Other sources are called on the loop only,
 * and sample() must not block.  A source with a descriptor (a live capture)
 * also gets readable() on the loop when it has data.
 *
 * A source that waits for the network without a thread (snmp: many agents
 * on one loop) has step(): its sample() only starts the sample and returns
 * -EINPROGRESS, and the loop drives it with step() until it ends. */
#ifndef SUNDIAL_SOURCES_SOURCE_H
#define SUNDIAL_SOURCES_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "auth/keys.h"
#include "store/metrics.h"

/* What a source is told at open: the configuration line's values, borrowed
 * until close(). */
struct source_params {
	const char *target;	 /* host[:port], /socket, interface, path, sysfs root */
	unsigned port;		 /* capture: the NTP port */
	unsigned long key_id;	 /* server, ntpd: 0 for none */
	const char *keyfile;	 /* with key_id */
	double timeout;		 /* exec: seconds */
	char *const *args;	 /* exec: arguments, NULL-terminated */
	double interval;	 /* seconds between samples */
	bool nts;		 /* server: NTS (target: the NTS-KE server) */
	const char *ca;		 /* server with nts: CA file, NULL: the system's */
	const char *profile;	 /* snmp: a profile's name or path, NULL: detect */
	const char *credentials; /* snmp: the credentials file */
	unsigned retries;	 /* snmp: tries after the first */
};

/* One value a sample found: family is the metric family
 * (sundial_<area>_<name>_<unit>), help its help text, extra the labels after
 * the source's own (a NULL-terminated list of name, value pairs; NULL for
 * none), v the value (NAN: none this time).  The sample's time is the
 * collector's. */
struct source_out {
	void (*put)(void *ctx, const char *family, const char *help, enum metric_type type,
		    const char *const *extra, double v);
	void *ctx;
};

struct source_ops {
	const char *kind; /* the directive: "server", "ntpd", ... */
	bool threaded;	  /* sample() may wait: run it in a thread of its own */
	/* The source's state, or NULL with a message for people in err (the
	 * collector adds file:line).  May open privileged things (captures):
	 * it is called before the daemon drops its privileges. */
	void *(*open)(const struct source_params *p, char *err, size_t errlen);
	/* One sample within timeout seconds: 0, or a negative errno with the
	 * reason in err. */
	int (*sample)(void *st, double timeout, char *err, size_t errlen);
	/* After every sample, rc its result: the values it found, through out
	 * (after a failed one, those that say so, like sundial_query_up 0). */
	void (*publish)(void *st, int rc, const struct source_out *out);
	/* Optional (NULL): a descriptor the loop watches for reading ... */
	int (*fd)(void *st);
	/* ... and what to do when it is readable: take what is there without
	 * blocking; 0, or a negative errno with the reason in err (the next
	 * sample reports it). */
	int (*readable)(void *st, char *err, size_t errlen);
	/* Optional (NULL), with fd(): an asynchronous sample.  sample() starts
	 * it and returns -EINPROGRESS (or its result at once); the loop then
	 * calls step() when fd() is readable (readable true) and when the
	 * time step() last asked for has come (readable false), until step()
	 * returns something else: the sample's result (0 or a negative errno
	 * with err set), after which publish() follows.  *wait is set to the
	 * seconds until step() wants to be called without data (negative: only
	 * when readable).  The sample must end within the timeout sample() was
	 * given.  Between samples, step() takes and drops what the descriptor
	 * has (readable() is not used). */
	int (*step)(void *st, bool readable, double *wait, char *err, size_t errlen);
	void (*close)(void *st); /* accepts NULL */
};

/* The source of a kind ("server", ...), or NULL. */
const struct source_ops *source_find(const char *kind);

/* Helpers for the modules. */
/* Resolves target ("host", "host:port", "[v6]:port") with default_port into
 * *out (the first address).  0, or a negative errno with err set. */
int source_resolve(const char *target, unsigned default_port, struct sockaddr_storage *out,
		   char *err, size_t errlen) __attribute__((warn_unused_result));
/* With p->key_id: loads p->keyfile into a new *kr and finds the key in
 * *key (both NULL without key_id).  0, or -EINVAL with err set (and *kr
 * freed). */
int source_load_key(const struct source_params *p, keyring **kr, const struct key **key, char *err,
		    size_t errlen) __attribute__((warn_unused_result));

#endif
