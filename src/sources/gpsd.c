/* gpsd.c - a GPS receiver's health from gpsd through libgps 3.22; see gpsd.h.
 *
 * One connection per source, kept between samples.  A sample: read away what
 * is left of the last one (and notice a closed connection, so that a
 * restarted gpsd is reached again at once), WATCH on, read reports until the
 * wanted ones came or the time is up, WATCH off so that nothing piles up in
 * the socket until the next sample.  Reports count only after gpsd's answer
 * to our WATCH (class WATCH, enable true): what comes before it is old.
 *
 * libgps 3.22, as read in its sources (libgps_sock.c, libgps_json.c):
 * - gps_open() leaves a netlib code (NL_NOCONNECT ...) in errno, not an
 *   errno; its socket is non-blocking after a blocking connect().
 * - gps_read() returns -1 on end of file, a socket error or a line longer
 *   than its buffer; 0 when no whole line is buffered; else the line's
 *   length, the JSON object unpacked into the gps_data_t.  A TPV sets `set`
 *   to STATUS_SET and more (it assigns, the others OR), a SKY adds
 *   SATELLITE_SET (and brings the DOPs: DOP_SET is never set by the client
 *   library), a PPS adds PPS_SET.  We clear `set` before each read so that
 *   it tells what that line brought.
 * - gps_waiting() says true while any byte is buffered, a partial line too:
 *   after a read that found no whole line we poll() the socket instead.
 * - gps_stream() write()s: SIGPIPE is blocked around it.
 * - gpsd leaves "status" out of TPV for no fix and plain GPS fixes, and the
 *   library then gives 0: with a 2D/3D mode that is a plain fix (1).
 */
#include "sources/gpsd.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gps.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"

/* Seconds a sample waits for a PPS report once TPV and SKY came (pulses come
 * once a second). */
#define PPS_GRACE 1.2

struct gpsd_conn {
	char *host, *port;
	bool open;
	bool pps_seen; /* this gpsd has sent PPS reports: wait for one too */
	struct gps_data_t data;
};

gpsd_conn *gpsd_new(const char *host, const char *port)
{
	gpsd_conn *g = mem_calloc(1, sizeof *g);
	g->host = mem_strdup(host ? host : "localhost");
	g->port = mem_strdup(port ? port : DEFAULT_GPSD_PORT);
	return g;
}

static void drop(gpsd_conn *g)
{
	if (g->open)
		(void)gps_close(&g->data);
	g->open = false;
}

void gpsd_free(gpsd_conn *g)
{
	if (!g)
		return;
	drop(g);
	free(g->host);
	free(g->port);
	free(g);
}

static double now(void)
{
	return clock_mono_sec();
}

/* Microseconds left until deadline, as gps_waiting() takes them. */
static int left_us(double deadline)
{
	double s = deadline - now();
	if (!(s > 0))
		return 0;
	if (s > (double)INT_MAX / 1e6)
		return INT_MAX;
	return (int)(s * 1e6);
}

static int connect_gpsd(gpsd_conn *g, char *err, size_t errlen)
{
	/* gps_open() takes these two names for other transports. */
	if (strcmp(g->host, GPSD_SHARED_MEMORY) == 0 || strcmp(g->host, GPSD_DBUS_EXPORT) == 0) {
		str_format(err, errlen, "'%s' is not a host name gpsd can be reached at", g->host);
		return -EIO;
	}
	memset(&g->data, 0, sizeof g->data);
	g->data.gps_fd = -1;
	errno = 0;
	int rc = gps_open(g->host, g->port, &g->data);
	if (rc != 0) {
		int code = rc < -1 ? rc : errno; /* a netlib, SHM or DBUS code */
		/* libgps failing after its connect() (out of memory) keeps the socket. */
		if (g->data.gps_fd >= 0)
			(void)close(g->data.gps_fd);
		if (code == NL_NOCONNECT) {
			str_format(err, errlen,
				   "gpsd at %s port %s: connection refused or unreachable (is gpsd "
				   "running?)",
				   g->host, g->port);
			return -ECONNREFUSED;
		}
		str_format(err, errlen, "gpsd at %s port %s: %s", g->host, g->port,
			   code < 0 ? gps_errstr(code) : "cannot connect");
		return -EIO;
	}
	g->open = true;
	if (g->data.gps_fd < 0) { /* not a socket after all */
		drop(g);
		str_format(err, errlen, "'%s' is not a host name gpsd can be reached at", g->host);
		return -EIO;
	}
	return 0;
}

/* gps_stream() with SIGPIPE kept from this thread: a write to a connection
 * gpsd has closed must not end the daemon.  A SIGPIPE that this write made is
 * taken back; one already pending stays. */
static int watch(gpsd_conn *g, unsigned int flags)
{
	sigset_t pipe_set, old, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
	int rc = gps_stream(&g->data, flags, NULL);
	if (rc != 0 && !was_pending) {
		const struct timespec zero = { 0, 0 };
		(void)sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Reads what is buffered or already in the socket without waiting (at most
 * until deadline).  False if the connection is gone. */
static bool drain(gpsd_conn *g, double deadline)
{
	while (now() < deadline && gps_waiting(&g->data, 0)) {
		int rc = gps_read(&g->data, NULL, 0);
		if (rc < 0)
			return false;
		if (rc == 0)
			break;
	}
	return true;
}

/* Waits until a report may be read or deadline; false when the time is up. */
static bool wait_readable(gpsd_conn *g, bool partial, double deadline)
{
	int us = left_us(deadline);
	if (us <= 0)
		return false;
	if (!partial)
		return gps_waiting(&g->data, us);
	/* A partial line is buffered: gps_waiting() would say true at once. */
	struct pollfd p = { .fd = g->data.gps_fd, .events = POLLIN };
	int ms = us / 1000 + 1;
	return poll(&p, 1, ms) > 0;
}

/* A path for people and labels: printable ASCII, anything else '_'. */
static void copy_clean(char *dst, const char *src, size_t len)
{
	str_copy(dst, src, len);
	for (char *p = dst; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '_';
}

static void take_tpv(const struct gps_data_t *d, struct gpsd_reading *out)
{
	int mode = d->fix.mode;
	out->mode = mode >= MODE_NOT_SEEN && mode <= MODE_3D ? mode : MODE_NOT_SEEN;
	int status = d->fix.status;
	if (status == STATUS_NO_FIX && out->mode >= MODE_2D)
		status = STATUS_FIX;
	out->status = status >= 0 ? status : -1;
	if (d->dev.path[0] != '\0')
		copy_clean(out->device, d->dev.path, sizeof out->device);
}

static double dop(double v)
{
	return isfinite(v) && v >= 0 ? v : NAN;
}

static void take_sky(const struct gps_data_t *d, struct gpsd_reading *out)
{
	out->sats_seen = d->satellites_visible >= 0 && d->satellites_visible <= MAXCHANNELS
				 ? d->satellites_visible
				 : -1;
	out->sats_used = d->satellites_used >= 0 && d->satellites_used <= MAXCHANNELS
				 ? d->satellites_used
				 : -1;
	/* The used ones with a signal (gpsd writes 0 for "not tracked"). */
	double sum = 0, min = NAN;
	int n = 0;
	for (size_t i = 0; i < MAXCHANNELS; i++) {
		const struct satellite_t *s = &d->skyview[i];
		if (!s->used || !isfinite(s->ss) || s->ss <= 0)
			continue;
		sum += s->ss;
		if (n == 0 || s->ss < min)
			min = s->ss;
		n++;
	}
	out->snr_mean_used = n > 0 ? sum / n : NAN;
	out->snr_min_used = n > 0 ? min : NAN;
	out->hdop = dop(d->dop.hdop);
	out->vdop = dop(d->dop.vdop);
	out->pdop = dop(d->dop.pdop);
	out->tdop = dop(d->dop.tdop);
	out->gdop = dop(d->dop.gdop);
	if (out->device[0] == '\0' && d->dev.path[0] != '\0')
		copy_clean(out->device, d->dev.path, sizeof out->device);
}

/* clock - real of a PPS report, seconds; false if its times are not times. */
static bool take_pps(const struct timedelta_t *td, double *offset)
{
	const struct timespec *c = &td->clock, *r = &td->real;
	if (c->tv_nsec < 0 || c->tv_nsec >= 1000000000L || r->tv_nsec < 0 ||
	    r->tv_nsec >= 1000000000L || r->tv_sec <= 0 || c->tv_sec <= 0)
		return false;
	*offset = (double)(c->tv_sec - r->tv_sec) + (double)(c->tv_nsec - r->tv_nsec) * 1e-9;
	return true;
}

static void reading_init(struct gpsd_reading *out)
{
	*out = (struct gpsd_reading){
		.mode = MODE_NOT_SEEN,
		.status = -1,
		.sats_seen = -1,
		.sats_used = -1,
		.snr_mean_used = NAN,
		.snr_min_used = NAN,
		.hdop = NAN,
		.vdop = NAN,
		.pdop = NAN,
		.tdop = NAN,
		.gdop = NAN,
		.pps_offset = NAN,
	};
}

int gpsd_sample(gpsd_conn *g, double timeout, struct gpsd_reading *out, char *err, size_t errlen)
{
	reading_init(out);
	str_format(err, errlen, "%s", "");
	if (!(timeout > 0))
		timeout = 0;
	double deadline = now() + timeout;

	/* A kept connection that gpsd closed (restarted): reconnect now. */
	if (g->open && !drain(g, deadline)) {
		log_debug("gpsd at %s port %s closed the connection; reconnecting", g->host,
			  g->port);
		drop(g);
	}
	if (!g->open) {
		int rc = connect_gpsd(g, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (watch(g, WATCH_ENABLE | WATCH_JSON) != 0) {
		drop(g);
		str_format(err, errlen, "gpsd at %s port %s: cannot send WATCH (connection lost)",
			   g->host, g->port);
		return -EIO;
	}

	/* After TPV and SKY, a gpsd that sends PPS gets one second more for it. */
	bool fresh = false, tpv = false, sky = false, pps = false, partial = false, grace = false;
	double stop = deadline;
	while (!(tpv && sky && (pps || !g->pps_seen))) {
		if (!wait_readable(g, partial, stop)) {
			if (now() >= stop)
				break;
			continue;
		}
		g->data.set = 0;
		int rc = gps_read(&g->data, NULL, 0);
		if (rc < 0) {
			drop(g);
			str_format(
				err, errlen,
				"gpsd at %s port %s closed the connection or sent a line too long",
				g->host, g->port);
			return -EIO;
		}
		partial = rc == 0;
		if (partial)
			continue;
		gps_mask_t set = g->data.set;
		if (set & POLICY_SET) {
			if (g->data.policy.watcher)
				fresh = true;
			continue;
		}
		if (!fresh)
			continue;
		if (set & STATUS_SET) {
			take_tpv(&g->data, out);
			tpv = true;
		}
		if (set & SATELLITE_SET) {
			take_sky(&g->data, out);
			sky = true;
		}
		if ((set & PPS_SET) && take_pps(&g->data.pps, &out->pps_offset)) {
			pps = true;
			g->pps_seen = true;
		}
		if (tpv && sky && !grace) {
			grace = true;
			stop = fmin(deadline, now() + PPS_GRACE);
		}
	}

	/* Nothing should pile up until the next sample. */
	if (watch(g, WATCH_DISABLE | WATCH_JSON) != 0)
		drop(g);

	if (!tpv && !sky) {
		str_format(
			err, errlen,
			"gpsd at %s port %s sent no TPV or SKY report within %.1f s (no receiver, "
			"or no data from it?)",
			g->host, g->port, timeout);
		return -ETIMEDOUT;
	}
	return 0;
}

/* ---- the collector's `gpsd` source ---- */

struct gpsd_src {
	gpsd_conn *g;
	struct gpsd_reading r;
};

static void *gpsd_src_open(const struct source_params *p, char *err, size_t errlen)
{
	struct addr_spec spec;
	if (addr_parse_spec(p->target, 2947, &spec, err, errlen) != 0)
		return NULL;
	char port[8];
	snprintf(port, sizeof port, "%u", (unsigned)spec.port);
	struct gpsd_src *s = mem_calloc(1, sizeof *s);
	s->g = gpsd_new(spec.host, port);
	return s;
}

static int gpsd_src_sample(void *arg, double timeout, char *err, size_t errlen)
{
	struct gpsd_src *s = arg;
	return gpsd_sample(s->g, timeout, &s->r, err, errlen);
}

static void gpsd_src_publish(void *arg, int rc, const struct source_out *o)
{
	const struct gpsd_src *s = arg;
	if (rc != 0)
		return;
	const struct gpsd_reading *g = &s->r;
	const char *dev[] = { "device", g->device, NULL };
	o->put(o->ctx, "sundial_gps_fix_mode", "Fix: 0 unknown, 1 none, 2 2D, 3 3D.", METRIC_GAUGE,
	       dev, g->mode);
	if (g->sats_seen >= 0)
		o->put(o->ctx, "sundial_gps_satellites_seen", "Satellites in view.", METRIC_GAUGE,
		       dev, g->sats_seen);
	if (g->sats_used >= 0)
		o->put(o->ctx, "sundial_gps_satellites_used", "Satellites used in the fix.",
		       METRIC_GAUGE, dev, g->sats_used);
	o->put(o->ctx, "sundial_gps_used_snr_mean_dbhz", "Mean signal of the satellites used.",
	       METRIC_GAUGE, dev, g->snr_mean_used);
	o->put(o->ctx, "sundial_gps_used_snr_min_dbhz", "Weakest signal among the satellites used.",
	       METRIC_GAUGE, dev, g->snr_min_used);
	static const char *const dop_name[] = { "sundial_gps_hdop", "sundial_gps_vdop",
						"sundial_gps_pdop", "sundial_gps_tdop",
						"sundial_gps_gdop" };
	const double dop[] = { g->hdop, g->vdop, g->pdop, g->tdop, g->gdop };
	for (size_t i = 0; i < 5; i++)
		o->put(o->ctx, dop_name[i], "Dilution of precision.", METRIC_GAUGE, dev, dop[i]);
	o->put(o->ctx, "sundial_gps_pps_offset_seconds", "PPS offset as gpsd reports it.",
	       METRIC_GAUGE, dev, g->pps_offset);
}

static void gpsd_src_close(void *arg)
{
	struct gpsd_src *s = arg;
	if (!s)
		return;
	gpsd_free(s->g);
	free(s);
}

const struct source_ops gpsd_source = {
	.kind = "gpsd",
	.threaded = true,
	.open = gpsd_src_open,
	.sample = gpsd_src_sample,
	.publish = gpsd_src_publish,
	.close = gpsd_src_close,
};
