/* ntp_client.c - the NTP client engine; see ntp_client.h.
 *
 * One connected UDP socket per server address (so that ICMP errors come
 * back as ECONNREFUSED and replies from other sources never arrive), all
 * driven by one poll() loop.  Each sample has its own random transmit
 * timestamp; a reply counts only if its origin timestamp echoes one we sent
 * and have not seen answered (RFC 5905 tests 1 and 2).  T1 is read right
 * before send(); T4 is the kernel's receive timestamp (SO_TIMESTAMPNS).
 * With NTS (net/nts.h) each request carries the session's fields and each
 * matched reply is checked by the session before anything else is read
 * from it: the origin timestamp still pairs it with its request, and the
 * unique identifier and the authenticator must then agree.
 */
#include "net/ntp_client.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/entropy.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"
#include "net/sock.h"

#define RECV_BUF 4096 /* NTS replies carry up to eight cookies */
/* A request: the header, then either a MAC or the NTS fields (unique
 * identifier, a cookie and up to seven placeholders, authenticator). */
#define SEND_BUF                                                                                   \
	(NTP_HEADER_LEN + 4 + NTS_UID_LEN + NTS_MAX_COOKIES * (4 + NTS_MAX_COOKIE_LEN) + 128)

void ntpc_target_init(struct ntpc_target *t, const struct ntpc_opts *opts)
{
	struct sockaddr_storage keep = t->addr;
	nts_session *nts = t->nts;
	memset(t, 0, sizeof *t);
	t->addr = keep;
	t->nts = nts;
	t->n_samples = opts->samples ? opts->samples : 1;
	t->samples = mem_calloc(t->n_samples, sizeof t->samples[0]);
	t->fd = -1;
}

void ntpc_target_fini(struct ntpc_target *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	free(t->samples);
	t->samples = NULL;
}

static int open_socket(struct ntpc_target *t, const struct ntpc_opts *opts)
{
	int family = t->addr.ss_family;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	/* Kernel receive timestamps; without them T4 is read after recvmsg(). */
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
	if (opts->bind && opts->bind->ss_family == family) {
		if (bind(fd, (const struct sockaddr *)opts->bind,
			 addr_len((const struct sockaddr *)opts->bind)) != 0) {
			int e = -errno;
			close(fd);
			return e;
		}
	}
	if (connect(fd, (const struct sockaddr *)&t->addr,
		    addr_len((const struct sockaddr *)&t->addr)) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static bool is_sent_pending(const struct ntpc_sample *s)
{
	return s->state == NTPC_S_PENDING && s->mono_sent > 0;
}

static void send_sample(struct ntpc_target *t, struct ntpc_sample *s, const struct ntpc_opts *opts)
{
	uint8_t buf[SEND_BUF];
	struct ntp_pkt req;
	memset(&req, 0, sizeof req);
	req.leap = NTP_LEAP_NONE;
	req.version = 4;
	req.mode = NTP_MODE_CLIENT;
	/* A random transmit timestamp: only a reply to this request can echo
	 * it, and it tells nobody our clock (as chrony's client does). */
	s->xmt = entropy_u64();
	req.xmt_ts = s->xmt;
	size_t used = ntp_pkt_encode(&req, buf, sizeof buf);
	if (t->nts) {
		int rc = nts_request(t->nts, buf, sizeof buf, &used, s->nts_uid);
		if (rc == -ENOENT) {
			/* No cookie left (replies were lost or refused): not
			 * sent, and neither are the samples after it. */
			s->state = NTPC_S_SKIPPED;
			s->err = ENOENT;
			t->stop = true;
			return;
		}
		if (rc != 0) {
			s->state = NTPC_S_UNREACHABLE;
			s->err = -rc;
			s->mono_sent = clock_mono_sec();
			return;
		}
	} else if (opts->key) {
		int rc = mac_append(opts->key, buf, sizeof buf, &used);
		if (rc != 0) {
			s->state = NTPC_S_UNREACHABLE;
			s->err = -rc;
			s->mono_sent = clock_mono_sec();
			return;
		}
	}
	struct timespec now;
	s->mono_sent = clock_mono_sec();
	clock_realtime(&now);
	ssize_t n = send(t->fd, buf, used, 0);
	if (n != (ssize_t)used) {
		s->state = NTPC_S_UNREACHABLE;
		s->err = n < 0 ? errno : EMSGSIZE;
		return;
	}
	s->t1 = ntp_ts_from_timespec(&now);
}

static struct ntpc_sample *match(struct ntpc_target *t, uint64_t org, bool *dup)
{
	*dup = false;
	/* Newest first: a reply usually answers a recent request. */
	for (size_t i = t->next; i-- > 0;) {
		struct ntpc_sample *s = &t->samples[i];
		if (s->mono_sent > 0 && s->xmt == org) {
			if (s->state != NTPC_S_PENDING) {
				*dup = true;
				return NULL;
			}
			return s;
		}
	}
	return NULL;
}

static void handle_reply(struct ntpc_target *t, const uint8_t *buf, size_t len,
			 const struct timespec *rx, const struct ntpc_opts *opts)
{
	struct ntp_pkt p;
	/* With NTS only the header is decoded here: the session reads the
	 * extension fields (a reply with eight cookies may be longer than
	 * ntp_pkt_decode() looks at). */
	size_t hlen = t->nts && len > NTP_HEADER_LEN ? NTP_HEADER_LEN : len;
	if (ntp_pkt_decode(buf, hlen, &p) != NTP_OK || p.mode != NTP_MODE_SERVER) {
		t->malformed++;
		return;
	}
	bool dup;
	struct ntpc_sample *s = match(t, p.org_ts, &dup);
	if (!s) {
		if (dup)
			t->duplicates++; /* test 1 */
		else
			t->bogus++; /* test 2 */
		return;
	}
	s->reply = p;
	s->t4 = ntp_ts_from_timespec(rx);
	s->t2 = p.rec_ts;
	s->t3 = p.xmt_ts;
	if (t->nts) {
		/* Before anything else: only an authenticated reply counts
		 * (RFC 8915 section 5.7), an NTS NAK included. */
		bool ntsn = ntp_is_kod(&p) && memcmp(p.refid, "NTSN", 4) == 0;
		s->nts = (uint8_t)nts_reply(t->nts, buf, len, s->nts_uid, ntsn);
		if (s->nts == NTS_V_NAK) {
			s->state = NTPC_S_AUTH;
			return;
		}
		if (s->nts != NTS_V_OK) {
			/* Anyone who saw the request can send a reply that fails:
			 * it must not end the wait for the real one (chrony drops
			 * it too).  The sample fails as AUTH only if no good reply
			 * comes before its timeout. */
			return;
		}
	} else if (opts->key) {
		s->auth = (uint8_t)mac_verify(opts->key, buf, len, &p);
		if (s->auth != MAC_VALID) {
			s->state = NTPC_S_AUTH;
			return;
		}
	}
	if (ntp_is_kod(&p)) {
		enum ntp_kiss_action act;
		(void)ntp_kiss_describe(p.refid, &act);
		/* Informational codes (INIT, STEP, ...) only say that the
		 * server is not synchronised: the reply is judged by tests 6
		 * and 7 like any other.  RFC 5905 section 7.4 asks clients to
		 * act on DENY, RSTR and RATE. */
		if (act != NTP_KISS_NONE) {
			s->state = NTPC_S_KOD;
			if (act == NTP_KISS_STOP || act == NTP_KISS_BACKOFF)
				t->stop = true;
			return;
		}
	}
	if (p.rec_ts == 0 || p.xmt_ts == 0) { /* test 3 */
		s->state = NTPC_S_INVALID;
		return;
	}
	ntp_offset_delay(s->t1, s->t2, s->t3, s->t4, &s->offset, &s->delay);
	s->state = NTPC_S_OK;
}

static void receive_all(struct ntpc_target *t, const struct ntpc_opts *opts)
{
	for (;;) {
		uint8_t buf[RECV_BUF];
		struct timespec rx;
		clock_realtime(&rx);
		bool have_rx, truncated;
		ssize_t n = sock_recv_stamped(t->fd, buf, sizeof buf, &rx, &have_rx, &truncated);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR)
				continue;
			/* An ICMP error for this socket: the outstanding
			 * requests will not be answered. */
			int e = errno;
			for (size_t i = 0; i < t->next; i++) {
				struct ntpc_sample *s = &t->samples[i];
				if (is_sent_pending(s)) {
					s->state = NTPC_S_UNREACHABLE;
					s->err = e;
				}
			}
			return;
		}
		if (truncated) {
			t->malformed++;
			continue;
		}
		handle_reply(t, buf, (size_t)n, &rx, opts);
	}
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static unsigned open_limit(const struct ntpc_opts *opts)
{
	struct rlimit rl;
	unsigned lim = 1000;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		lim = rl.rlim_cur > 64 ? (unsigned)(rl.rlim_cur - 32) : 16;
	if (lim > 16384)
		lim = 16384;
	if (opts->max_open && opts->max_open < lim)
		lim = opts->max_open;
	return lim;
}

/* Requests of one target waiting for a reply.  With -i 0 they are capped,
 * so that a burst does not overflow the server's or our socket buffer. */
#define NTPC_MAX_IN_FLIGHT 64

/* Moves t->lo past samples that are finished, so that the scans below look
 * only at the window of samples that may still be waiting. */
static void advance_lo(struct ntpc_target *t)
{
	while (t->lo < t->next && !is_sent_pending(&t->samples[t->lo]))
		t->lo++;
}

static size_t outstanding(struct ntpc_target *t)
{
	advance_lo(t);
	size_t k = 0;
	for (size_t i = t->lo; i < t->next; i++)
		k += is_sent_pending(&t->samples[i]);
	return k;
}

/* Sends what is due, times out what is overdue; returns the next moment
 * (monotonic) at which this target needs attention, or INFINITY when done. */
static double step_target(struct ntpc_target *t, double start, double now,
			  const struct ntpc_opts *opts)
{
	double wake = INFINITY;
	while (t->next < t->n_samples) {
		struct ntpc_sample *s = &t->samples[t->next];
		if (t->stop) {
			s->state = NTPC_S_SKIPPED;
			t->next++;
			continue;
		}
		double due = start + opts->interval * (double)t->next;
		if (due > now) {
			wake = due;
			break;
		}
		if (outstanding(t) >= NTPC_MAX_IN_FLIGHT)
			break; /* sent again as replies or timeouts free room */
		if (t->nts && nts_session_cookies(t->nts) == 0 && outstanding(t) > 0)
			break; /* a reply may bring cookies */
		send_sample(t, s, opts);
		t->next++;
	}
	bool pending = false;
	advance_lo(t);
	for (size_t i = t->lo; i < t->next; i++) {
		struct ntpc_sample *s = &t->samples[i];
		if (!is_sent_pending(s))
			continue;
		double deadline = s->mono_sent + opts->timeout;
		if (now >= deadline) {
			/* a reply came and failed NTS: that, not silence */
			s->state = t->nts && s->nts != NTS_V_OK ? NTPC_S_AUTH : NTPC_S_TIMEOUT;
		} else {
			pending = true;
			if (deadline < wake)
				wake = deadline;
		}
	}
	if (!pending && t->next >= t->n_samples)
		return INFINITY;
	return wake;
}

int ntpc_run(struct ntpc_target *targets, size_t n, const struct ntpc_opts *opts)
{
	if (opts->key) {
		for (size_t i = 0; i < n; i++)
			if (targets[i].nts)
				return -EINVAL; /* a key or NTS, not both */
	}
	raise_fd_limit();
	unsigned limit = open_limit(opts);
	struct pollfd *pfd = mem_calloc(n ? n : 1, sizeof *pfd);
	size_t *idx = mem_calloc(n ? n : 1, sizeof *idx);
	double *start = mem_calloc(n ? n : 1, sizeof *start);
	size_t next_open = 0, open_now = 0, remaining = n;
	int rc = 0;

	while (remaining > 0) {
		double now = clock_mono_sec();
		/* Open sockets for waiting targets, up to the limit. */
		while (next_open < n && open_now < limit) {
			struct ntpc_target *t = &targets[next_open];
			int fd = open_socket(t, opts);
			if (fd < 0) {
				for (size_t i = 0; i < t->n_samples; i++) {
					t->samples[i].state = NTPC_S_UNREACHABLE;
					t->samples[i].err = -fd;
				}
				t->next = t->n_samples;
				t->done = true;
				remaining--;
				rc = fd;
				if (fd == -EMFILE || fd == -ENFILE) {
					/* Should not happen below the limit;
					 * shrink it and go on. */
					limit = open_now > 1 ? open_now : 1;
				}
			} else {
				t->fd = fd;
				start[next_open] = now;
				open_now++;
			}
			next_open++;
		}
		/* Step every open target; collect the earliest wake-up. */
		double wake = INFINITY;
		size_t np = 0;
		for (size_t i = 0; i < next_open; i++) {
			struct ntpc_target *t = &targets[i];
			if (t->done || t->fd < 0)
				continue;
			double w = step_target(t, start[i], now, opts);
			if (w == INFINITY) {
				close(t->fd);
				t->fd = -1;
				t->done = true;
				open_now--;
				remaining--;
				continue;
			}
			if (w < wake)
				wake = w;
			pfd[np].fd = t->fd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			idx[np] = i;
			np++;
		}
		if (remaining == 0)
			break;
		if (np == 0)
			continue; /* more targets to open */
		int ms = 0;
		if (wake != INFINITY) {
			double d = (wake - clock_mono_sec()) * 1000.0;
			ms = d <= 0 ? 0 : (int)ceil(d);
		}
		int pr = poll(pfd, np, ms);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		for (size_t k = 0; k < np && pr > 0; k++) {
			if (pfd[k].revents == 0)
				continue;
			pr--;
			receive_all(&targets[idx[k]], opts);
		}
	}
	free(pfd);
	free(idx);
	free(start);
	return rc;
}

const char *ntpc_unsync_reason(const struct ntp_pkt *p, double delay)
{
	/* Test 6: the server's own synchronisation. */
	if (p->leap == NTP_LEAP_UNSYNC)
		return "leap indicator 3 (clock not synchronised)";
	if (p->stratum == 0 && ntp_is_kod(p))
		return "stratum 0 with an informational kiss code (see refid)";
	if (p->stratum == 0 || p->stratum >= 16)
		return p->stratum == 0 ? "stratum 0 (unspecified)" : "stratum 16 (unsynchronised)";
	/* Test 7: root distance (RFC 5905 MAXDISP 16 s; ntpd's maxdist 1.5 s). */
	double rd = ntp_short_to_sec(p->root_delay), rp = ntp_short_to_sec(p->root_disp);
	if (rd / 2 + rp >= 16.0)
		return "root delay and dispersion beyond 16 s (bad header)";
	if ((rd + delay) / 2 + rp > 1.5)
		return "root distance above 1.5 s";
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void ntpc_summarize(const struct ntpc_target *t, bool keyed, struct ntpc_summary *s)
{
	memset(s, 0, sizeof *s);
	size_t n_kod = 0, n_auth = 0, n_inv = 0, n_unr = 0;
	double *off = mem_calloc(t->n_samples, sizeof *off);
	double *del = mem_calloc(t->n_samples, sizeof *del);
	for (size_t i = 0; i < t->n_samples; i++) {
		const struct ntpc_sample *x = &t->samples[i];
		if (x->mono_sent > 0)
			s->sent++;
		switch (x->state) {
		case NTPC_S_OK:
			off[s->valid] = x->offset;
			del[s->valid] = x->delay;
			s->valid++;
			if (!s->best || x->delay < s->best->delay)
				s->best = x;
			s->received++;
			s->last = x;
			break;
		case NTPC_S_KOD:
			n_kod++;
			s->received++;
			s->last = x;
			break;
		case NTPC_S_AUTH:
			n_auth++;
			s->received++;
			s->last = x;
			break;
		case NTPC_S_INVALID:
			n_inv++;
			s->received++;
			s->last = x;
			break;
		case NTPC_S_UNREACHABLE:
			n_unr++;
			s->err = x->err;
			break;
		default: break;
		}
		if (keyed && x->state != NTPC_S_PENDING && x->state != NTPC_S_TIMEOUT &&
		    x->state != NTPC_S_UNREACHABLE && x->state != NTPC_S_SKIPPED)
			s->auth = x->auth;
	}
	if (s->valid) {
		double lo = off[0], hi = off[0];
		for (size_t i = 1; i < s->valid; i++) {
			lo = off[i] < lo ? off[i] : lo;
			hi = off[i] > hi ? off[i] : hi;
		}
		s->offset_spread = hi - lo;
		s->offset_median = median(off, s->valid);
		s->delay_median = median(del, s->valid);
		s->delay_min = s->best->delay;
		const struct ntp_pkt *p = &s->best->reply;
		s->root_distance = (ntp_short_to_sec(p->root_delay) + s->best->delay) / 2 +
				   ntp_short_to_sec(p->root_disp) + ldexp(1.0, p->precision);
	}
	free(off);
	free(del);

	if (n_auth) {
		s->status = NTPC_AUTH_FAILED; /* never trust a mix */
		for (size_t i = 0; i < t->n_samples; i++)
			if (t->samples[i].state == NTPC_S_AUTH) {
				s->auth = t->samples[i].auth;
				s->nts = t->samples[i].nts;
			}
		if (t->nts) {
			/* No offset at all: NTS never falls back. */
			s->best = NULL;
			s->offset_median = s->offset_spread = 0;
			s->delay_min = s->delay_median = s->root_distance = 0;
		}
	} else if (n_kod) {
		s->status = NTPC_KOD;
		for (size_t i = 0; i < t->n_samples; i++)
			if (t->samples[i].state == NTPC_S_KOD)
				s->last = &t->samples[i];
	} else if (s->valid) {
		s->unsync_reason = ntpc_unsync_reason(&s->best->reply, s->best->delay);
		s->status = s->unsync_reason ? NTPC_UNSYNC : NTPC_OK;
	} else if (n_inv) {
		s->status = NTPC_INVALID;
	} else if (n_unr) {
		s->status = NTPC_UNREACHABLE;
	} else {
		s->status = NTPC_TIMEOUT;
	}
}
