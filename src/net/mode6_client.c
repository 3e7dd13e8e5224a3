/* mode6_client.c - an ntpq-like mode 6 session; see mode6_client.h.
 *
 * One connected UDP socket (ICMP errors come back as ECONNREFUSED and
 * datagrams from other sources never arrive).  Each try of a request gets a
 * new sequence number, as ntpq's doquery() does, so that a late reply to an
 * earlier try cannot mix its fragments with the current one; fragments that
 * do not match the sequence, opcode and association of the request are
 * dropped.  Sources: NTPsec pylib/packet.py (ControlSession: sendrequest,
 * getresponse, doquery, fetch_nonce, mrulist), ntpd/ntp_control.c
 * (process_control, read_mru_list, validate_nonce); NTP classic
 * ntpq/ntpq.c sendrequest() and ntpd/ntp_control.c.
 *
 * Authenticated requests: header + data, zero padded, then key id and MAC
 * computed over everything before the key id.  NTP classic's ntpd and
 * NTPsec's up to 1.2.2 look for the key id at (12 + count) rounded up to 8;
 * NTPsec 1.2.3 and later at (12 + count) rounded up to 4 (NTPsec commit
 * d98ce8d7c, "Fix mode 6 client to round up to 4 bytes (was 8)").  When the
 * two differ for a request and the server answers "permission denied", the
 * session tries the other layout once and keeps it.  Replies are not
 * checked for a MAC (ntpd's placement of the key id in signed replies is
 * not reliable, see ctl_flushpkt()); their data are read up to count.
 */
#include "net/mode6_client.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth/mac.h"
#include "common/clock.h"
#include "common/entropy.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"

#define M6C_TRIES 3
#define M6C_MAX_REPLY (256 * 1024) /* reassembled data of one reply */
#define M6C_RECV_BUF 2048
#define M6C_VERSION 2 /* what ntpq sends (NTP_OLDVERSION + 1) */

/* MRU walk (ntp_control.h, ntp.h, pylib/packet.py). */
#define MRU_NONCE_REFRESH 12.0 /* ntpd drops nonces older than 16 s (NONCE_TIMEOUT) */
#define MRU_FRAGS_DEFAULT 32   /* MAXFRAGS */
#define MRU_FRAGS_LIMIT 128    /* ntpd answers BADVALUE above */
#define MRU_ROW_LIMIT 256      /* likewise for limit= */
#define MRU_RESUME_MAX 16      /* ntpd reads last.0 .. last.15 */
#define MRU_MAX_RESTARTS 8     /* pylib: "probably high-traffic server" */
#define MRU_MAX_NONCE_TRIES 3
#define MRU_MAX_ROUNDS 65536 /* a server that never says "now=" */

struct m6c {
	int fd;
	double timeout;
	const struct key *key; /* borrowed */
	uint16_t seq;
	unsigned version;     /* of the server's first reply */
	unsigned mac_align;   /* 8 (classic, NTPsec <= 1.2.2) or 4 */
	bool mac_align_tried; /* the other layout was tried */
	m6_asm *asm_;
	struct log_limit limit; /* malformed replies */
};

m6c *m6c_open(const struct sockaddr_storage *server, double timeout, const struct key *key,
	      int *err)
{
	int e = 0;
	m6c *c = NULL;
	if (!server || !(timeout > 0) || !isfinite(timeout) ||
	    (server->ss_family != AF_INET && server->ss_family != AF_INET6)) {
		e = -EINVAL;
		goto out;
	}
	if (key && mac_len(key->alg) == 0) {
		e = -EINVAL;
		goto out;
	}
	c = mem_calloc(1, sizeof *c);
	c->fd = -1;
	c->timeout = timeout;
	c->key = key;
	c->seq = (uint16_t)entropy_u64();
	c->mac_align = 8;
	c->limit.interval = 10.0;
	c->asm_ = m6_asm_new(M6C_MAX_REPLY);
	if (!c->asm_) {
		e = -ENOMEM;
		goto out;
	}
	c->fd = socket(server->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		e = -errno;
		goto out;
	}
	if (connect(c->fd, (const struct sockaddr *)server,
		    addr_len((const struct sockaddr *)server)) != 0) {
		e = -errno;
		goto out;
	}
out:
	if (e != 0) {
		m6c_close(c);
		c = NULL;
	}
	if (err)
		*err = e;
	return c;
}

void m6c_close(m6c *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	m6_asm_free(c->asm_);
	free(c);
}

unsigned m6c_server_version(const m6c *c)
{
	return c ? c->version : 0;
}

/* The request on the wire: header, data, padding and, with a key, key id
 * and MAC.  Returns its length or a negative errno. */
static ssize_t build_request(m6c *c, uint8_t *buf, size_t cap, uint8_t opcode, uint16_t associd,
			     const char *req, size_t req_len, unsigned align)
{
	size_t used = m6_request_encode(buf, cap, M6C_VERSION, opcode, c->seq, associd, req,
					req_len, c->key && align == 8);
	if (used == 0)
		return -EINVAL;
	if (c->key) {
		int rc = mac_append(c->key, buf, cap, &used);
		if (rc != 0)
			return rc;
	}
	return (ssize_t)used;
}

/* True if the two MAC layouts put the key id at different places. */
static bool layouts_differ(size_t req_len)
{
	size_t a4 = (M6_HDR_LEN + req_len + 3) / 4 * 4;
	return a4 % 8 != 0;
}

enum try_result {
	TRY_DONE,      /* *rc holds the outcome */
	TRY_TIMEOUT,   /* nothing usable in time */
	TRY_MALFORMED, /* only bad or contradictory fragments */
};

/* Waits for the reply to the request just sent (c->seq). */
static enum try_result collect(m6c *c, uint8_t opcode, uint16_t associd, int *rc, int *m6err)
{
	bool malformed = false;
	double start = clock_mono_sec();
	double deadline = start + c->timeout;
	double hard = start + 4 * c->timeout; /* a trickle of fragments ends too */
	for (;;) {
		double now = clock_mono_sec();
		if (now >= deadline)
			return malformed ? TRY_MALFORMED : TRY_TIMEOUT;
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN, .revents = 0 };
		int ms = (int)ceil((deadline - now) * 1000.0);
		int pr = poll(&pfd, 1, ms > 0 ? ms : 1);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			*rc = -errno;
			return TRY_DONE;
		}
		if (pr == 0)
			continue;
		uint8_t buf[M6C_RECV_BUF];
		ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				continue;
			*rc = -errno; /* ECONNREFUSED: nothing listens */
			return TRY_DONE;
		}
		if ((size_t)n > sizeof buf) {
			malformed = true;
			continue;
		}
		struct m6_hdr h;
		enum m6_status st = m6_hdr_decode(buf, (size_t)n, &h);
		if (st != M6_OK) {
			if (log_ratelimit(&c->limit))
				log_debug("mode 6: malformed reply ignored: %s", m6_strerror(st));
			malformed = true;
			continue;
		}
		if (!h.response || h.sequence != c->seq || h.opcode != opcode ||
		    h.associd != associd)
			continue; /* an old reply, or not ours */
		if (c->version == 0)
			c->version = h.version;
		if (h.error) {
			if (m6err)
				*m6err = (int)(h.status >> 8);
			*rc = -EREMOTEIO;
			return TRY_DONE;
		}
		switch (m6_asm_add(c->asm_, &h, buf + M6_HDR_LEN)) {
		case M6_ASM_DONE: *rc = 0; return TRY_DONE;
		case M6_ASM_MORE:
			/* Progress: give the next fragment its own time. */
			deadline = now + c->timeout;
			if (deadline > hard)
				deadline = hard;
			break;
		case M6_ASM_DUP:
		case M6_ASM_MISMATCH: break;
		case M6_ASM_OVERLAP:
			if (log_ratelimit(&c->limit))
				log_debug("mode 6: contradictory fragments, request sent again");
			return TRY_MALFORMED;
		case M6_ASM_TOO_LARGE: *rc = -EMSGSIZE; return TRY_DONE;
		}
	}
}

int m6c_request(m6c *c, uint8_t opcode, uint16_t associd, const char *req, size_t req_len,
		const uint8_t **data, size_t *len, uint16_t *status, int *m6err)
{
	if (!c || (req_len > 0 && !req) || req_len > M6_MAX_DATA || opcode > 0x1f)
		return -EINVAL;
	if (data)
		*data = NULL;
	if (len)
		*len = 0;
	if (m6err)
		*m6err = -1;
	bool malformed = false;
	int tries = M6C_TRIES;
	for (int i = 0; i < tries; i++) {
		uint8_t pkt[M6_HDR_LEN + M6_MAX_DATA + 8 + 4 + 64];
		c->seq++;
		ssize_t n = build_request(c, pkt, sizeof pkt, opcode, associd, req, req_len,
					  c->mac_align);
		if (n < 0)
			return (int)n;
		m6_asm_reset(c->asm_, opcode, c->seq, associd);
		ssize_t sent = send(c->fd, pkt, (size_t)n, 0);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (sent != n)
			return -EMSGSIZE;
		int rc = 0, code = -1;
		switch (collect(c, opcode, associd, &rc, &code)) {
		case TRY_DONE:
			if (rc == -EREMOTEIO && code == M6_ERR_PERMISSION && c->key &&
			    !c->mac_align_tried && layouts_differ(req_len)) {
				/* Perhaps the server reads the key id at the
				 * other place; try that layout once. */
				c->mac_align_tried = true;
				c->mac_align = c->mac_align == 8 ? 4 : 8;
				tries++;
				continue;
			}
			if (rc == -EREMOTEIO && m6err)
				*m6err = code;
			if (rc == 0) {
				if (c->key && layouts_differ(req_len))
					c->mac_align_tried = true; /* this layout works */
				size_t l = 0;
				const uint8_t *d = m6_asm_data(c->asm_, &l);
				if (data)
					*data = d;
				if (len)
					*len = l;
				if (status)
					*status = m6_asm_status(c->asm_);
			}
			return rc;
		case TRY_MALFORMED: malformed = true; break;
		case TRY_TIMEOUT: break;
		}
	}
	return malformed ? -EPROTO : -ETIMEDOUT;
}

/* --- MRU list --- */

struct resume {
	char addr[64];
	uint64_t last;
};

struct mru_walk {
	m6c *c;
	const struct m6c_mru_opts *o;
	int (*cb)(void *arg, const struct m6c_mru_entry *e);
	void *arg;
	char nonce[72];
	double nonce_at; /* monotonic time it was received */
	/* The newest entries seen, oldest first: where to resume. */
	struct resume ring[MRU_RESUME_MAX];
	size_t n_ring;
	unsigned long emitted;
	bool stop;
};

/* A nonce goes back into our request text: hex digits only. */
static bool nonce_ok(const struct m6_var_view *v)
{
	if (!v->value || v->value_len == 0 || v->value_len >= 72)
		return false;
	for (size_t i = 0; i < v->value_len; i++) {
		char ch = v->value[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

static void take_nonce(struct mru_walk *w, const struct m6_var_view *v)
{
	memcpy(w->nonce, v->value, v->value_len);
	w->nonce[v->value_len] = '\0';
	w->nonce_at = clock_mono_sec();
}

static int fetch_nonce(struct mru_walk *w)
{
	/* pylib fetch_nonce(): the reply is "nonce=<24 hex digits>". */
	const uint8_t *d;
	size_t len;
	uint16_t st;
	int code;
	int rc = m6c_request(w->c, M6_OP_REQ_NONCE, 0, NULL, 0, &d, &len, &st, &code);
	if (rc != 0)
		return rc;
	struct m6_iter it;
	struct m6_var_view v;
	m6_iter_init(&it, (const char *)d, len);
	while (m6_iter_next(&it, &v)) {
		if (m6_var_is(&v, "nonce") && nonce_ok(&v)) {
			take_nonce(w, &v);
			return 0;
		}
	}
	return -EPROTO;
}

/* An address as ntpd's sockporttoa() writes it, safe to send back. */
static bool addr_ok(const struct m6_var_view *v)
{
	if (!v->value || v->value_len == 0 || v->value_len >= sizeof(((struct resume *)0)->addr))
		return false;
	for (size_t i = 0; i < v->value_len; i++) {
		char ch = v->value[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') || ch == '.' || ch == ':' || ch == '[' ||
		      ch == ']' || ch == '%' || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

static void remember(struct mru_walk *w, const struct m6c_mru_entry *e)
{
	if (w->n_ring == MRU_RESUME_MAX) {
		memmove(&w->ring[0], &w->ring[1], sizeof w->ring[0] * (MRU_RESUME_MAX - 1));
		w->n_ring--;
	}
	struct resume *r = &w->ring[w->n_ring++];
	str_copy(r->addr, e->addr, sizeof r->addr);
	r->last = e->last;
}

struct pending {
	struct m6c_mru_entry e;
	long idx; /* -1: none */
	bool have_addr, have_last;
};

static void emit(struct mru_walk *w, struct pending *p)
{
	if (p->idx >= 0 && p->have_addr && p->have_last && !w->stop) {
		remember(w, &p->e);
		w->emitted++;
		if (w->cb(w->arg, &p->e) != 0)
			w->stop = true;
		else if (w->o && w->o->limit && w->emitted >= w->o->limit)
			w->stop = true;
	}
	memset(p, 0, sizeof *p);
	p->idx = -1;
}

/* "prefix.N" with a known prefix: the field and N; other names (noise
 * tags such as "xqz.0", "last.older", "last.newest") give false. */
static bool mru_tag(const struct m6_var_view *v, char *field, size_t fcap, long *idx)
{
	static const char *const known[] = {
		"addr", "last", "first", "ct", "mv", "rs", "sc", "dr"
	};
	const char *dot = memchr(v->name, '.', v->name_len);
	if (!dot)
		return false;
	size_t plen = (size_t)(dot - v->name);
	size_t dlen = v->name_len - plen - 1;
	if (dlen == 0 || dlen > 6)
		return false;
	long n = 0;
	for (size_t i = 0; i < dlen; i++) {
		char ch = dot[1 + i];
		if (ch < '0' || ch > '9')
			return false;
		n = n * 10 + (ch - '0');
	}
	for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
		if (strlen(known[k]) == plen && memcmp(known[k], v->name, plen) == 0) {
			str_copy(field, known[k], fcap);
			*idx = n;
			return true;
		}
	}
	return false;
}

static void set_field(struct pending *p, const char *field, const struct m6_var_view *v)
{
	uint64_t u;
	double d;
	if (strcmp(field, "addr") == 0) {
		if (addr_ok(v)) {
			memcpy(p->e.addr, v->value, v->value_len);
			p->e.addr[v->value_len] = '\0';
			p->have_addr = true;
		}
	} else if (strcmp(field, "last") == 0) {
		if (m6_value_ntpts(v, &p->e.last))
			p->have_last = true;
	} else if (strcmp(field, "first") == 0) {
		(void)m6_value_ntpts(v, &p->e.first);
	} else if (strcmp(field, "ct") == 0) {
		if (m6_value_u64(v, &u))
			p->e.count = u;
	} else if (strcmp(field, "mv") == 0) {
		if (m6_value_u64(v, &u)) {
			p->e.mode = (unsigned)(u & 7);
			p->e.version = (unsigned)((u >> 3) & 7);
		}
	} else if (strcmp(field, "rs") == 0) {
		if (m6_value_u64(v, &u))
			p->e.restrict_flags = (uint32_t)(u > UINT32_MAX ? UINT32_MAX : u);
	} else if (strcmp(field, "sc") == 0) {
		if (m6_value_double(v, &d))
			p->e.score = d > 1e9 ? 1000000000 : d < -1e9 ? -1000000000 : (int)lround(d);
	} else if (strcmp(field, "dr") == 0) {
		if (m6_value_u64(v, &u))
			p->e.drop = u > 0;
	}
}

/* Reads one READ_MRU reply: entries go to the callback as they complete.
 * Sets *done when ntpd says the list is complete ("now="). */
static void parse_mru_reply(struct mru_walk *w, const uint8_t *d, size_t len, bool *done,
			    uint64_t *now, unsigned long *entries)
{
	struct m6_iter it;
	struct m6_var_view v;
	struct pending p;
	memset(&p, 0, sizeof p);
	p.idx = -1;
	unsigned long before = w->emitted;
	m6_iter_init(&it, (const char *)d, len);
	while (m6_iter_next(&it, &v) && !w->stop) {
		char field[8];
		long idx;
		if (mru_tag(&v, field, sizeof field, &idx)) {
			if (idx != p.idx) {
				emit(w, &p);
				p.idx = idx;
			}
			set_field(&p, field, &v);
		} else if (m6_var_is(&v, "nonce")) {
			if (nonce_ok(&v))
				take_nonce(w, &v);
		} else if (m6_var_is(&v, "now")) {
			uint64_t t;
			if (m6_value_ntpts(&v, &t)) {
				if (now)
					*now = t;
				*done = true;
			}
		}
		/* last.older, addr.older, last.newest and noise: ignored. */
	}
	emit(w, &p);
	*entries = w->emitted - before;
}

/* The READ_MRU request: nonce, frags= or limit=, mincount=, and as many
 * resume points (newest first) as fit; *n_sent says how many. */
static size_t mru_request(const struct mru_walk *w, char *buf, size_t cap, bool use_frags,
			  unsigned amount, size_t *n_sent)
{
	int n = snprintf(buf, cap, "nonce=%s, %s=%u", w->nonce, use_frags ? "frags" : "limit",
			 amount);
	if (n < 0 || (size_t)n >= cap)
		return 0;
	size_t used = (size_t)n;
	if (w->o && w->o->mincount > 0) {
		n = snprintf(buf + used, cap - used, ", mincount=%u", w->o->mincount);
		if (n < 0 || (size_t)n >= cap - used)
			return 0;
		used += (size_t)n;
	}
	*n_sent = 0;
	for (size_t i = 0; i < w->n_ring && i < MRU_RESUME_MAX; i++) {
		const struct resume *r = &w->ring[w->n_ring - 1 - i];
		char item[160];
		/* ntpq's order: addr.N before last.N (generate_mru_lastseen). */
		n = snprintf(item, sizeof item, ", addr.%zu=%s, last.%zu=0x%08x.%08x", i, r->addr,
			     i, (unsigned)(r->last >> 32), (unsigned)(r->last & 0xffffffffu));
		if (n < 0 || (size_t)n >= sizeof item || used + (size_t)n >= cap)
			break;
		memcpy(buf + used, item, (size_t)n + 1);
		used += (size_t)n;
		(*n_sent)++;
	}
	return used;
}

int m6c_mru_walk(m6c *c, const struct m6c_mru_opts *o,
		 int (*cb)(void *arg, const struct m6c_mru_entry *e), void *arg, uint64_t *now)
{
	if (!c || !cb)
		return -EINVAL;
	struct mru_walk *w = mem_calloc(1, sizeof *w);
	w->c = c;
	w->o = o;
	w->cb = cb;
	w->arg = arg;
	unsigned frags_max = o && o->frags ? o->frags : MRU_FRAGS_DEFAULT;
	if (frags_max > MRU_FRAGS_LIMIT)
		frags_max = MRU_FRAGS_LIMIT;
	unsigned frags = frags_max, limit = 3 * MRU_FRAGS_DEFAULT;
	bool use_frags = true;
	unsigned restarts = 0, nonce_tries = 0, empty = 0, rounds = 0;
	int rc = fetch_nonce(w);

	while (rc == 0 && !w->stop) {
		if (++rounds > MRU_MAX_ROUNDS) {
			rc = -EPROTO;
			break;
		}
		if (clock_mono_sec() - w->nonce_at >= MRU_NONCE_REFRESH) {
			rc = fetch_nonce(w);
			if (rc != 0)
				break;
		}
		char req[M6_MAX_DATA + 1];
		size_t n_sent = 0;
		size_t req_len = mru_request(w, req, sizeof req, use_frags,
					     use_frags ? frags : limit, &n_sent);
		if (req_len == 0) {
			rc = -EINVAL;
			break;
		}
		const uint8_t *d;
		size_t len;
		uint16_t st;
		int code = -1;
		rc = m6c_request(c, M6_OP_READ_MRU, 0, req, req_len, &d, &len, &st, &code);
		if (rc == -ETIMEDOUT) {
			/* ntpd drops a request with an expired or unknown
			 * nonce without a word: get a new one and ask for
			 * less (pylib halves frags after a timeout). */
			if (++nonce_tries > MRU_MAX_NONCE_TRIES)
				break;
			if (use_frags)
				frags = frags > 4 ? frags / 2 : 2;
			else
				limit = limit > 4 ? limit / 2 : 2;
			rc = fetch_nonce(w);
			continue;
		}
		if (rc == -EREMOTEIO && code == M6_ERR_BADVALUE) {
			/* frags= or limit= out of this ntpd's range: fall back
			 * to limit= (pylib __mru_query_error), then smaller. */
			if (use_frags) {
				use_frags = false;
			} else if (limit > 2) {
				limit = limit / 2;
			} else {
				break;
			}
			rc = fetch_nonce(w);
			continue;
		}
		if (rc == -EREMOTEIO && code == M6_ERR_UNKNOWNVAR) {
			/* None of the resume points is unchanged: their
			 * clients have been heard again and moved to the head
			 * of the list.  Drop them and resume from older ones,
			 * or from the start (entries may then come twice). */
			if (n_sent == 0 || ++restarts > MRU_MAX_RESTARTS)
				break;
			w->n_ring -= n_sent < w->n_ring ? n_sent : w->n_ring;
			rc = 0;
			continue;
		}
		if (rc != 0)
			break;
		nonce_tries = 0;
		bool done = false;
		unsigned long got = 0;
		parse_mru_reply(w, d, len, &done, now, &got);
		if (done || w->stop)
			break;
		if (got == 0) {
			/* Neither entries nor the end: do not loop forever. */
			if (++empty >= 3) {
				rc = -EPROTO;
				break;
			}
		} else {
			empty = 0;
			if (use_frags && frags < frags_max)
				frags++;
			else if (!use_frags && limit < MRU_ROW_LIMIT)
				limit++;
		}
	}
	free(w);
	return rc;
}
