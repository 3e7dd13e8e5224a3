/* capture.c - packets from libpcap: capture files merged in time order, or a
 * live interface.  See capture.h.  The only file that includes <pcap.h>;
 * libpcap's conventions (PCAP_ERROR_*, error buffers, DLT_ numbers) end here.
 *
 * Files: each is opened with nanosecond timestamps (pcap and pcapng alike)
 * and holds its next packet; a binary heap of the files that have one gives
 * the earliest (ties: the file named first).  libpcap's packet buffer is per
 * handle, so a returned packet stays valid until its own file is read again,
 * which capture_next() does first thing on its next call (with one file,
 * capture_next() reads it straight, without the heap).  A read error
 * (a record cut short, a damaged block) ends that file: capture_next()
 * returns -EIO once, naming it, and then goes on with the other files.
 */
#include "capture/capture.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/mem.h"

#define DEFAULT_SNAPLEN 262144
#define DEFAULT_LIVE_FILTER "udp port 123"
#define LINKTYPE_RAW 101

struct source {
	pcap_t *p;
	char *path; /* for messages */
	uint32_t linktype;
	uint64_t size; /* octets of a regular file, 0 if not known */
	bool done;     /* end of file or error */
	struct timespec ts;
	struct pcap_pkthdr hdr; /* its next packet, when in the heap */
	const u_char *data;
};

struct capture {
	struct source *src;
	size_t n;
	size_t *heap; /* sources holding a packet, earliest at the root */
	size_t n_heap;
	size_t n_primed; /* sources read once; the rest are read on the first capture_next() */
	size_t last;	 /* source of the packet returned last, n if none */
	bool live;
	bool progress;	  /* every file is a regular file of known size */
	bool pending_err; /* capture_batch(): an error to return on the next call */
	pcap_dumper_t *dump;
	char *dump_path;
	char err[PCAP_ERRBUF_SIZE + 512];
};

/* LINKTYPE_ numbers for the DLT_ values pcap_datalink() returns; they differ
 * for few link types (pcap-linktype(7)), and of those frame.c knows raw IP. */
static uint32_t linktype_of(int dlt)
{
	switch (dlt) {
	case DLT_RAW: return LINKTYPE_RAW;
	default: return (uint32_t)dlt;
	}
}

/* The packet's time.  A file may hold any 32-bit fraction (libpcap passes
 * it on): whole seconds in it are carried so that tv_nsec stays below 1e9. */
static struct timespec ts_of(const struct pcap_pkthdr *h, bool nano)
{
	struct timespec ts;
	uint64_t frac = (uint64_t)(uint32_t)h->ts.tv_usec * (nano ? 1 : 1000);
	ts.tv_sec = h->ts.tv_sec + (time_t)(frac / 1000000000u);
	ts.tv_nsec = (long)(frac % 1000000000u);
	return ts;
}

/* --- the heap of files ----------------------------------------------------- */

static bool earlier(const capture *c, size_t a, size_t b)
{
	const struct timespec *x = &c->src[a].ts, *y = &c->src[b].ts;
	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec;
	if (x->tv_nsec != y->tv_nsec)
		return x->tv_nsec < y->tv_nsec;
	return a < b;
}

static void heap_push(capture *c, size_t s)
{
	size_t i = c->n_heap++;
	c->heap[i] = s;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!earlier(c, c->heap[i], c->heap[up]))
			break;
		size_t t = c->heap[up];
		c->heap[up] = c->heap[i];
		c->heap[i] = t;
		i = up;
	}
}

static size_t heap_pop(capture *c)
{
	size_t top = c->heap[0];
	c->heap[0] = c->heap[--c->n_heap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < c->n_heap && earlier(c, c->heap[l], c->heap[m]))
			m = l;
		if (r < c->n_heap && earlier(c, c->heap[r], c->heap[m]))
			m = r;
		if (m == i)
			break;
		size_t t = c->heap[m];
		c->heap[m] = c->heap[i];
		c->heap[i] = t;
		i = m;
	}
	return top;
}

/* Reads src's next packet: 1 and *h and *d set, 0 at its end, or -EIO (a
 * read error; src ends). */
static int read_next(capture *c, struct source *src, struct pcap_pkthdr **h, const u_char **d)
{
	if (src->done)
		return 0;
	int rc = pcap_next_ex(src->p, h, d);
	if (rc == 1)
		return 1;
	src->done = true;
	if (rc == PCAP_ERROR_BREAK || rc == 0)
		return 0;
	snprintf(c->err, sizeof c->err, "%s: %s (the rest of this file is skipped)", src->path,
		 pcap_geterr(src->p));
	return -EIO;
}

/* Reads source s's next packet into the heap.  0, or -EIO (s ends). */
static int refill(capture *c, size_t s)
{
	struct source *src = &c->src[s];
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = read_next(c, src, &h, &d);
	if (rc != 1)
		return rc;
	src->hdr = *h;
	src->data = d;
	src->ts = ts_of(h, true);
	heap_push(c, s);
	return 0;
}

/* --- opening ------------------------------------------------------------- */

/* Compiles and sets filter on p.  0, or -EINVAL with a message in err. */
static int set_filter(pcap_t *p, const char *filter, const char *what, char *err, size_t errlen)
{
	struct bpf_program prog;
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "bad filter: %s (filter '%s', %s)", pcap_geterr(p), filter,
			 what);
		return -EINVAL;
	}
	int rc = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		snprintf(err, errlen, "bad filter: %s (filter '%s', %s)", pcap_geterr(p), filter,
			 what);
		return -EINVAL;
	}
	return 0;
}

/* Opens one file ("-": standard input) into s.  0, or -errno with a
 * message in err. */
static int open_file(struct source *s, const char *path, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *fp = is_stdin ? stdin : fopen(path, "rb");
	s->path = mem_strdup(is_stdin ? "standard input" : path);
	if (!fp) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fileno(fp), &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "%s: is a directory, not a capture file", path);
			if (!is_stdin)
				fclose(fp);
			return -EISDIR;
		}
		if (S_ISREG(st.st_mode) && !is_stdin && st.st_size > 0)
			s->size = (uint64_t)st.st_size;
	}
	s->p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!s->p) {
		snprintf(err, errlen, "%s: not a capture file (pcap or pcapng): %s", s->path, eb);
		if (!is_stdin)
			fclose(fp);
		return -EINVAL;
	}
	s->linktype = linktype_of(pcap_datalink(s->p));
	return 0;
}

capture *capture_open_files(const char *const *paths, size_t n, const char *filter, char *err,
			    size_t errlen)
{
	if (n == 0) {
		snprintf(err, errlen, "no capture file given");
		return NULL;
	}
	size_t n_stdin = 0;
	for (size_t i = 0; i < n; i++)
		n_stdin += strcmp(paths[i], "-") == 0;
	if (n_stdin > 1) {
		snprintf(err, errlen, "'-' (standard input) can be read only once");
		return NULL;
	}
	capture *c = mem_calloc(1, sizeof *c);
	c->src = mem_calloc(n, sizeof *c->src);
	c->heap = mem_calloc(n, sizeof *c->heap);
	c->n = n;
	c->last = n;
	c->progress = n_stdin == 0;
	for (size_t i = 0; i < n; i++) {
		if (open_file(&c->src[i], paths[i], err, errlen) != 0)
			goto fail;
		if (c->src[i].size == 0)
			c->progress = false;
		if (filter && set_filter(c->src[i].p, filter, c->src[i].path, err, errlen) != 0)
			goto fail;
	}
	return c;
fail:
	capture_close(c);
	return NULL;
}

/* What pcap_activate()'s errors mean for someone running sundial. */
static void activate_error(pcap_t *p, int rc, const char *iface, char *err, size_t errlen)
{
	const char *detail = pcap_geterr(p);
	if (!detail || !detail[0])
		detail = pcap_statustostr(rc);
	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
		snprintf(err, errlen,
			 "%s: needs CAP_NET_RAW: run as root or give the binary cap_net_raw "
			 "(setcap cap_net_raw+ep ...) (%s)",
			 iface, detail);
		break;
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		snprintf(err, errlen,
			 "%s: promiscuous mode is not permitted: run as root or capture without "
			 "it (%s)",
			 iface, detail);
		break;
	case PCAP_ERROR_NO_SUCH_DEVICE:
		snprintf(err, errlen, "%s: no such interface; 'ip link' lists them (%s)", iface,
			 detail);
		break;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(err, errlen, "%s: the interface is down; bring it up first (%s)", iface,
			 detail);
		break;
	default: snprintf(err, errlen, "%s: cannot capture: %s", iface, detail); break;
	}
}

/* o->iface NULL is "any" (every interface, Linux cooked headers); o->filter
 * NULL is "udp port 123" and "" everything; o->immediate and o->promisc are
 * taken as given.  Nanosecond timestamps where the kernel gives them. */
capture *capture_open_live(const struct capture_live_opts *o, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	const char *iface = o->iface ? o->iface : "any";
	const char *filter = o->filter ? o->filter : DEFAULT_LIVE_FILTER;
	pcap_t *p = pcap_create(iface, eb);
	if (!p) {
		snprintf(err, errlen, "%s: cannot capture: %s", iface, eb);
		return NULL;
	}
	int rc;
	if ((rc = pcap_set_snaplen(p, o->snaplen > 0 ? o->snaplen : DEFAULT_SNAPLEN)) != 0 ||
	    (rc = pcap_set_immediate_mode(p, o->immediate)) != 0 ||
	    (o->buffer_size > 0 && (rc = pcap_set_buffer_size(p, o->buffer_size)) != 0) ||
	    (rc = pcap_set_promisc(p, o->promisc)) != 0) {
		snprintf(err, errlen, "%s: cannot set up the capture: %s", iface,
			 pcap_statustostr(rc));
		pcap_close(p);
		return NULL;
	}
	/* Nanoseconds where the kernel has them; microseconds otherwise. */
	(void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	rc = pcap_activate(p);
	if (rc < 0) {
		activate_error(p, rc, iface, err, errlen);
		pcap_close(p);
		return NULL;
	}
	char what[300];
	snprintf(what, sizeof what, "interface %s", iface);
	if (set_filter(p, filter, what, err, errlen) != 0) {
		pcap_close(p);
		return NULL;
	}
	if (pcap_setnonblock(p, 1, eb) != 0) {
		snprintf(err, errlen, "%s: cannot make the capture non-blocking: %s", iface, eb);
		pcap_close(p);
		return NULL;
	}
	capture *c = mem_calloc(1, sizeof *c);
	c->src = mem_calloc(1, sizeof *c->src);
	c->n = 1;
	c->last = 1;
	c->n_primed = 1;
	c->live = true;
	c->src[0].p = p;
	c->src[0].path = mem_strdup(iface);
	c->src[0].linktype = linktype_of(pcap_datalink(p));
	return c;
}

/* --- reading ------------------------------------------------------------- */

static int dump_packet(capture *c, const struct pcap_pkthdr *h, const u_char *data)
{
	if (!c->dump)
		return 0;
	pcap_dump((u_char *)c->dump, h, data);
	if (ferror(pcap_dump_file(c->dump))) {
		snprintf(c->err, sizeof c->err, "%s: cannot write: %s", c->dump_path,
			 strerror(errno));
		return -EIO;
	}
	return 0;
}

static int next_live(capture *c, struct capture_pkt *p)
{
	struct source *s = &c->src[0];
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = pcap_next_ex(s->p, &h, &d);
	if (rc == 0 || rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1) {
		snprintf(c->err, sizeof c->err, "%s: %s", s->path, pcap_geterr(s->p));
		return -EIO;
	}
	p->ts = ts_of(h, pcap_get_tstamp_precision(s->p) == PCAP_TSTAMP_PRECISION_NANO);
	p->linktype = s->linktype;
	p->data = d;
	p->caplen = h->caplen;
	p->len = h->len;
	p->source = 0;
	return dump_packet(c, h, d) == 0 ? 1 : -EIO;
}

/* One file: nothing to merge, so no heap and no copy of the header; the
 * same results as the merge (a read error ends the file once, then 0). */
static int next_single(capture *c, struct capture_pkt *p)
{
	struct source *s = &c->src[0];
	struct pcap_pkthdr *h;
	const u_char *d;
	int rc = read_next(c, s, &h, &d);
	if (rc != 1)
		return rc;
	p->ts = ts_of(h, true);
	p->linktype = s->linktype;
	p->data = d;
	p->caplen = h->caplen;
	p->len = h->len;
	p->source = 0;
	return dump_packet(c, h, d) == 0 ? 1 : -EIO;
}

int capture_next(capture *c, struct capture_pkt *p)
{
	if (c->live)
		return next_live(c, p);
	if (c->n == 1)
		return next_single(c, p);
	while (c->n_primed < c->n) {
		int rc = refill(c, c->n_primed++);
		if (rc != 0)
			return rc;
	}
	if (c->last < c->n) {
		size_t s = c->last;
		c->last = c->n;
		int rc = refill(c, s);
		if (rc != 0)
			return rc;
	}
	if (c->n_heap == 0)
		return 0;
	size_t i = heap_pop(c);
	const struct source *s = &c->src[i];
	c->last = i;
	p->ts = s->ts;
	p->linktype = s->linktype;
	p->data = s->data;
	p->caplen = s->hdr.caplen;
	p->len = s->hdr.len;
	p->source = (unsigned)i;
	return dump_packet(c, &s->hdr, s->data) == 0 ? 1 : -EIO;
}

struct dispatch {
	capture *c;
	struct source *s;
	capture_fn fn;
	void *arg;
	size_t n;
	bool dump_failed;
};

static void on_dispatch(u_char *user, const struct pcap_pkthdr *h, const u_char *d)
{
	struct dispatch *ds = (struct dispatch *)user;
	if (ds->dump_failed)
		return;
	struct capture_pkt p;
	p.ts = ts_of(h, true);
	p.linktype = ds->s->linktype;
	p.data = d;
	p.caplen = h->caplen;
	p.len = h->len;
	p.source = 0;
	if (dump_packet(ds->c, h, d) != 0) {
		ds->dump_failed = true; /* as capture_next(): -EIO, the packet not handed */
		pcap_breakloop(ds->s->p);
		return;
	}
	ds->fn(ds->arg, &p);
	ds->n++;
}

int capture_batch(capture *c, size_t max, capture_fn fn, void *arg)
{
	if (c->pending_err) {
		c->pending_err = false;
		return -EIO;
	}
	if (max == 0)
		return 0;
	if (max > INT_MAX)
		max = INT_MAX;
	if (c->live || c->n != 1) {
		size_t n = 0;
		while (n < max) {
			struct capture_pkt p;
			int rc = capture_next(c, &p);
			if (rc < 0) {
				if (n == 0)
					return rc;
				c->pending_err = true;
				break;
			}
			if (rc == 0)
				break;
			fn(arg, &p);
			n++;
		}
		return (int)n;
	}
	struct source *s = &c->src[0];
	if (s->done)
		return 0;
	struct dispatch ds = { c, s, fn, arg, 0, false };
	int rc = pcap_dispatch(s->p, (int)max, on_dispatch, (u_char *)&ds);
	if (ds.dump_failed) {
		if (ds.n == 0)
			return -EIO;
		c->pending_err = true;
		return (int)ds.n;
	}
	if (rc == 0)
		s->done = true; /* a file: 0 is its end */
	if (rc >= 0 || rc == PCAP_ERROR_BREAK)
		return (int)ds.n;
	s->done = true;
	snprintf(c->err, sizeof c->err, "%s: %s (the rest of this file is skipped)", s->path,
		 pcap_geterr(s->p));
	if (ds.n == 0)
		return -EIO;
	c->pending_err = true;
	return (int)ds.n;
}

int capture_fd(const capture *c)
{
	if (!c->live)
		return -1;
	return pcap_get_selectable_fd(c->src[0].p);
}

int capture_stats(capture *c, uint64_t *received, uint64_t *dropped, uint64_t *ifdropped)
{
	if (!c->live)
		return -ENOTSUP;
	struct pcap_stat ps;
	if (pcap_stats(c->src[0].p, &ps) != 0) {
		snprintf(c->err, sizeof c->err, "%s: %s", c->src[0].path, pcap_geterr(c->src[0].p));
		return -EIO;
	}
	*received = ps.ps_recv;
	*dropped = ps.ps_drop;
	*ifdropped = ps.ps_ifdrop;
	return 0;
}

double capture_progress(const capture *c)
{
	if (c->live || !c->progress)
		return NAN;
	double done = 0, total = 0;
	for (size_t i = 0; i < c->n; i++) {
		const struct source *s = &c->src[i];
		total += (double)s->size;
		if (s->done) {
			done += (double)s->size;
			continue;
		}
		long off = ftell(pcap_file(s->p));
		if (off > 0)
			done += (double)off < (double)s->size ? (double)off : (double)s->size;
	}
	return total > 0 ? done / total : NAN;
}

const char *capture_error(const capture *c)
{
	return c->err[0] ? c->err : "no error";
}

int capture_dump_to(capture *c, const char *path)
{
	for (size_t i = 1; i < c->n; i++) {
		if (c->src[i].linktype != c->src[0].linktype) {
			snprintf(c->err, sizeof c->err,
				 "%s: cannot write packets of %s (link type %u) and %s (link "
				 "type %u) into one pcap file",
				 path, c->src[0].path, c->src[0].linktype, c->src[i].path,
				 c->src[i].linktype);
			return -EINVAL;
		}
	}
	/* Written with the first handle's link type, snap length and
	 * timestamp precision, which every packet's header shares. */
	pcap_dumper_t *d = pcap_dump_open(c->src[0].p, path);
	if (!d) {
		snprintf(c->err, sizeof c->err, "%s: cannot write: %s", path,
			 pcap_geterr(c->src[0].p));
		return -EIO;
	}
	if (c->dump)
		pcap_dump_close(c->dump);
	free(c->dump_path);
	c->dump = d;
	c->dump_path = mem_strdup(path);
	return 0;
}

void capture_close(capture *c)
{
	if (!c)
		return;
	if (c->dump)
		pcap_dump_close(c->dump);
	free(c->dump_path);
	for (size_t i = 0; i < c->n; i++) {
		if (c->src[i].p)
			pcap_close(c->src[i].p);
		free(c->src[i].path);
	}
	free(c->src);
	free(c->heap);
	free(c);
}
