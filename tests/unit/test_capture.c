/* test_capture.c - capture files and live captures through libpcap
 * (src/capture/capture.c), with the captures of tests/data/frame/ (see
 * SOURCES.md there).
 *
 * 1. Files: pcap with nanosecond timestamps and pcapng (dumpcap's), each
 *    packet's time, lengths and link type against tshark's (the counts and
 *    first times below are capinfos' and tshark's); progress from 0 to 1.
 * 2. Merging: b0's and a0's captures of the same traffic, against
 *    mergecap's merge of them (eth-merged.pcap), packet by packet; files of
 *    different link types keep their own; one file alone (read without the
 *    heap) gives what it gives merged with an empty one.
 * 3. Clear errors: a missing file, a directory, an empty file, a text
 *    file, '-' twice, a bad filter, a filter the link type cannot take.
 * 4. A capture file cut at every length (pcap and pcapng): the header cut
 *    gives an error at open, a record cut an error or the end of the file,
 *    and never a crash (run under ASan).
 * 5. Filters: "udp port 123" leaves what tcpdump -r keeps.
 * 6. '-' reads standard input (a file put on descriptor 0).
 * 7. capture_dump_to(): the packets returned from then on, written and read
 *    back identical (nanosecond times included).
 * 8. Live: a missing interface; without CAP_NET_RAW (a child that drops
 *    root) the message says what to do; as root, a packet sent on lo comes
 *    back through the non-blocking descriptor with the kernel's counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "wire/frame.h"

#define DATA TEST_DATA_DIR "/frame/"

static char tmpdir[256];

static int setup_tmp(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_capture.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown_tmp(void **state)
{
	(void)state;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

static capture *open1(const char *path, const char *filter)
{
	char err[512] = "";
	const char *paths[1] = { path };
	capture *c = capture_open_files(paths, 1, filter, err, sizeof err);
	if (!c)
		fail_msg("%s", err);
	return c;
}

/* Opening must fail; returns the message. */
static const char *open_fails(const char *const *paths, size_t n, const char *filter)
{
	static char err[512];
	err[0] = '\0';
	capture *c = capture_open_files(paths, n, filter, err, sizeof err);
	if (c) {
		capture_close(c);
		fail_msg("%s: opened", paths[0]);
	}
	assert_true(err[0] != '\0');
	return err;
}

static size_t count_packets(capture *c)
{
	struct capture_pkt p;
	size_t n = 0;
	int rc;
	while ((rc = capture_next(c, &p)) == 1)
		n++;
	assert_int_equal(rc, 0);
	return n;
}

static void read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	*data = malloc((size_t)n);
	assert_non_null(*data);
	assert_int_equal(fread(*data, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* ------------------------------------------------------------------------
 * 1. Files
 * ------------------------------------------------------------------------ */

/* capinfos: 63 packets; tshark -e frame.time_epoch -e frame.cap_len of the
 * first: 1795695196.173820560, 90 (an MLD report: 14 + 40 + 8 + 28). */
static void pcap_nanoseconds(void **state)
{
	(void)state;
	capture *c = open1(DATA "eth.pcap", NULL);
	assert_int_equal(capture_fd(c), -1);
	uint64_t a, b, d;
	assert_int_equal(capture_stats(c, &a, &b, &d), -ENOTSUP);
	assert_true(capture_progress(c) == 0.0 || capture_progress(c) < 0.1);
	struct capture_pkt p;
	assert_int_equal(capture_next(c, &p), 1);
	assert_int_equal(p.ts.tv_sec, 1795695196);
	assert_int_equal(p.ts.tv_nsec, 173820560);
	assert_int_equal(p.linktype, 1);
	assert_int_equal(p.caplen, 90);
	assert_int_equal(p.len, 90);
	assert_int_equal(p.source, 0);
	struct frame_view v;
	assert_int_equal(frame_decode(p.linktype, p.data, p.caplen, &v), FRAME_OK);
	assert_int_equal(v.ip_version, 6);
	assert_int_equal(v.icmp_type, 143);
	size_t n = 1;
	double last = 0;
	int rc;
	while ((rc = capture_next(c, &p)) == 1) {
		n++;
		double prog = capture_progress(c);
		assert_true(prog >= last && prog <= 1.0);
		last = prog;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 63);
	assert_true(capture_progress(c) == 1.0);
	assert_int_equal(capture_next(c, &p), 0); /* stays at the end */
	capture_close(c);
}

/* dumpcap's pcapng: capinfos 8 packets; the first at 1795695197.978908758,
 * 90 octets. */
static void pcapng_read(void **state)
{
	(void)state;
	capture *c = open1(DATA "eth-dumpcap.pcapng", NULL);
	struct capture_pkt p;
	assert_int_equal(capture_next(c, &p), 1);
	assert_int_equal(p.ts.tv_sec, 1795695197);
	assert_int_equal(p.ts.tv_nsec, 978908758);
	assert_int_equal(p.linktype, 1);
	assert_int_equal(p.caplen, 90);
	struct frame_view v;
	assert_int_equal(frame_decode(p.linktype, p.data, p.caplen, &v), FRAME_OK);
	assert_int_equal(v.dport, 123);
	assert_int_equal(count_packets(c) + 1, 8);
	capture_close(c);
}

/* Microsecond pcap: the times are scaled to nanoseconds.  tcpdump's
 * ntp-time.pcap, first packet 1503494516.928550 (tshark). */
static void pcap_microseconds(void **state)
{
	(void)state;
	capture *c = open1(DATA "tcpdump_ntp-time.pcap", NULL);
	struct capture_pkt p;
	assert_int_equal(capture_next(c, &p), 1);
	assert_int_equal(p.ts.tv_sec, 1503494516);
	assert_int_equal(p.ts.tv_nsec, 928550000);
	assert_int_equal(count_packets(c), 1);
	capture_close(c);
}

/* A file may hold any 32-bit fraction: whole seconds in it are carried. */
static void fraction_carried(void **state)
{
	(void)state;
	const struct {
		uint32_t magic, frac;
		long sec, nsec;
	} k[] = {
		{ 0xa1b23c4d, 1500000000u, 1000000001, 500000000 },
		{ 0xa1b23c4d, 0xffffffffu, 1000000004, 294967295 },
		{ 0xa1b2c3d4, 2000001u, 1000000002, 1000 },
		{ 0xa1b2c3d4, 999999u, 1000000000, 999999000 },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		/* pcap file header (version 2.4, snap length 65535, raw IP)
		 * and one record of 20 octets, little-endian. */
		uint32_t f[6 + 4 + 5] = { k[i].magic, 0x00040002, 0,	     0,	 65535,
					  101,	      1000000000, k[i].frac, 20, 20 };
		uint8_t *ip = (uint8_t *)&f[10];
		ip[0] = 0x45;
		ip[3] = 20;
		char path[512];
		tmp_path(path, sizeof path, "frac.pcap");
		write_file(path, f, sizeof f);
		capture *c = open1(path, NULL);
		struct capture_pkt p;
		assert_int_equal(capture_next(c, &p), 1);
		assert_int_equal(p.ts.tv_sec, k[i].sec);
		assert_int_equal(p.ts.tv_nsec, k[i].nsec);
		capture_close(c);
	}
}

/* The link type of each file passes through (LINKTYPE_ numbers, DLT_RAW
 * read as 101). */
static void linktypes_pass_through(void **state)
{
	(void)state;
	const struct {
		const char *file;
		uint32_t lt;
	} k[] = {
		{ "null.pcap", 0 },
		{ "loop.pcap", 108 },
		{ "raw.pcap", 101 },
		{ "linktype-ipv4.pcap", 228 },
		{ "linktype-ipv6.pcap", 229 },
		{ "sll.pcap", 113 },
		{ "sll2.pcap", 276 },
		{ "dlt-raw-14.pcap", 14 },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
		char path[512];
		snprintf(path, sizeof path, "%s%s", DATA, k[i].file);
		capture *c = open1(path, NULL);
		struct capture_pkt p;
		assert_int_equal(capture_next(c, &p), 1);
		if (p.linktype != k[i].lt)
			fail_msg("%s: link type %u, want %u", k[i].file, p.linktype, k[i].lt);
		capture_close(c);
	}
	/* Linktype 12 in a file is DLT_RAW on Linux: reported as 101. */
	capture *c = open1(DATA "dlt-raw-12.pcap", NULL);
	struct capture_pkt p;
	assert_int_equal(capture_next(c, &p), 1);
	assert_true(p.linktype == 12 || p.linktype == 101);
	capture_close(c);
}

/* ------------------------------------------------------------------------
 * 2. Merging
 * ------------------------------------------------------------------------ */

static void merge_like_mergecap(void **state)
{
	(void)state;
	const char *paths[2] = { DATA "eth.pcap", DATA "eth-a0.pcap" };
	char err[512];
	capture *c = capture_open_files(paths, 2, NULL, err, sizeof err);
	assert_non_null(c);
	capture *m = open1(DATA "eth-merged.pcap", NULL);
	struct capture_pkt p, q;
	size_t n = 0, from[2] = { 0, 0 };
	int rc;
	while ((rc = capture_next(c, &p)) == 1) {
		assert_int_equal(capture_next(m, &q), 1);
		n++;
		assert_true(p.source < 2);
		from[p.source]++;
		assert_int_equal(p.ts.tv_sec, q.ts.tv_sec);
		assert_int_equal(p.ts.tv_nsec, q.ts.tv_nsec);
		assert_int_equal(p.caplen, q.caplen);
		assert_memory_equal(p.data, q.data, p.caplen);
		double prog = capture_progress(c);
		assert_true(prog >= 0 && prog <= 1);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(capture_next(m, &q), 0);
	assert_int_equal(n, 126);
	assert_int_equal(from[0], 63);
	assert_int_equal(from[1], 63);
	capture_close(c);
	capture_close(m);
}

/* The earliest head first, whatever order each file is in (the captures
 * of veth traffic are not quite in time order themselves), ties to the file
 * named first; each file's packets in file order with its own link type. */
static void merge_mixed_linktypes(void **state)
{
	(void)state;
	enum { N = 4, MAXP = 100 };
	const char *paths[N] = { DATA "raw.pcap", DATA "sll2.pcap", DATA "null.pcap",
				 DATA "eth-dumpcap.pcapng" };
	const uint32_t lt[N] = { 101, 276, 0, 1 };
	static struct timespec ts[N][MAXP];
	size_t count[N] = { 0 }, pos[N] = { 0 };
	capture *alone[N];
	for (size_t i = 0; i < N; i++) {
		capture *c = open1(paths[i], NULL);
		struct capture_pkt p;
		while (capture_next(c, &p) == 1) {
			assert_true(count[i] < MAXP);
			ts[i][count[i]++] = p.ts;
		}
		capture_close(c);
		alone[i] = open1(paths[i], NULL);
	}
	char err[512];
	capture *c = capture_open_files(paths, N, NULL, err, sizeof err);
	assert_non_null(c);
	struct capture_pkt p, q;
	size_t n = 0;
	int rc;
	while ((rc = capture_next(c, &p)) == 1) {
		n++;
		size_t want = N;
		for (size_t i = 0; i < N; i++) {
			if (pos[i] == count[i])
				continue;
			const struct timespec *t = &ts[i][pos[i]];
			if (want == N || t->tv_sec < ts[want][pos[want]].tv_sec ||
			    (t->tv_sec == ts[want][pos[want]].tv_sec &&
			     t->tv_nsec < ts[want][pos[want]].tv_nsec))
				want = i;
		}
		assert_int_equal(p.source, want);
		pos[want]++;
		assert_int_equal(p.linktype, lt[p.source]);
		assert_int_equal(capture_next(alone[p.source], &q), 1);
		assert_int_equal(p.ts.tv_sec, q.ts.tv_sec);
		assert_int_equal(p.ts.tv_nsec, q.ts.tv_nsec);
		assert_int_equal(p.caplen, q.caplen);
		assert_memory_equal(p.data, q.data, p.caplen);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 61 + 61 + 61 + 8);
	for (size_t i = 0; i < N; i++) {
		assert_int_equal(capture_next(alone[i], &q), 0);
		capture_close(alone[i]);
	}
	capture_close(c);
}

/* One file is read straight, without the heap (capture.c): the same
 * packets, read errors, end and dump as when it is merged with a capture
 * that holds none, for the file cut at every length past its header. */
static void one_file_like_merge(void **state)
{
	(void)state;
	uint8_t *data, *da, *db;
	size_t len, la, lb;
	read_file(DATA "eth-crafted.pcap", &data, &len);
	char path[512], empty[512], out_a[512], out_b[512];
	tmp_path(path, sizeof path, "one.pcap");
	tmp_path(empty, sizeof empty, "none.pcap");
	tmp_path(out_a, sizeof out_a, "one-out.pcap");
	tmp_path(out_b, sizeof out_b, "merged-out.pcap");
	write_file(empty, data, 24); /* the file header alone */
	size_t errors = 0;
	for (size_t cut = 24; cut <= len; cut++) {
		write_file(path, data, cut);
		capture *a = open1(path, NULL);
		const char *paths[2] = { path, empty };
		char err[512];
		capture *b = capture_open_files(paths, 2, NULL, err, sizeof err);
		assert_non_null(b);
		assert_int_equal(capture_dump_to(a, out_a), 0);
		assert_int_equal(capture_dump_to(b, out_b), 0);
		struct capture_pkt p, q;
		int ra, rb;
		do {
			ra = capture_next(a, &p);
			rb = capture_next(b, &q);
			assert_int_equal(ra, rb);
			if (ra == 1) {
				assert_int_equal(p.source, 0);
				assert_int_equal(q.source, 0);
				assert_int_equal(p.ts.tv_sec, q.ts.tv_sec);
				assert_int_equal(p.ts.tv_nsec, q.ts.tv_nsec);
				assert_int_equal(p.linktype, q.linktype);
				assert_int_equal(p.caplen, q.caplen);
				assert_int_equal(p.len, q.len);
				assert_memory_equal(p.data, q.data, p.caplen);
			} else if (ra < 0) {
				errors++;
				assert_string_equal(capture_error(a), capture_error(b));
			}
		} while (ra != 0);
		assert_int_equal(capture_next(a, &p), 0); /* stays at the end */
		assert_int_equal(capture_next(b, &q), 0);
		assert_true(capture_progress(a) == 1.0);
		capture_close(a);
		capture_close(b);
		read_file(out_a, &da, &la);
		read_file(out_b, &db, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(da, db, la);
		free(da);
		free(db);
	}
	assert_true(errors > 0);
	free(data);
}

/* capture_batch() hands over what capture_next() returns: the same packets,
 * then the same error (on the call after the packets before it) and the
 * end; for one file (libpcap's dispatch loop) and merged files alike, in
 * batches of 1, 3 and 1000, on a file cut at every length. */
struct seen {
	size_t n;
	struct capture_pkt p[64];
	uint8_t data[64][256];
};

static void keep(void *arg, const struct capture_pkt *p)
{
	struct seen *s = arg;
	assert_true(s->n < 64 && p->caplen <= 256);
	s->p[s->n] = *p;
	memcpy(s->data[s->n], p->data, p->caplen);
	s->n++;
}

static void batch_like_next(void **state)
{
	(void)state;
	uint8_t *data;
	size_t len;
	read_file(DATA "eth-crafted.pcap", &data, &len);
	char path[512], empty[512];
	tmp_path(path, sizeof path, "batch.pcap");
	tmp_path(empty, sizeof empty, "batch-none.pcap");
	write_file(empty, data, 24);
	static const size_t sizes[] = { 1, 3, 1000 };
	size_t errors = 0;
	for (size_t cut = 24; cut <= len; cut++) {
		write_file(path, data, cut);
		for (size_t merged = 0; merged < 2; merged++) {
			for (size_t z = 0; z < 3; z++) {
				const char *paths[2] = { path, empty };
				char err[512];
				capture *a = capture_open_files(paths, 1 + merged, NULL, err,
								sizeof err);
				capture *b = capture_open_files(paths, 1 + merged, NULL, err,
								sizeof err);
				assert_non_null(a);
				assert_non_null(b);
				struct seen *s = calloc(1, sizeof *s);
				int rb;
				for (;;) {
					size_t before = s->n;
					rb = capture_batch(b, sizes[z], keep, s);
					assert_true(rb <= (int)sizes[z]);
					if (rb > 0)
						assert_int_equal(s->n - before, (size_t)rb);
					else
						assert_int_equal(s->n, before);
					/* capture_next() on the twin: the same packets, then
					 * the same result. */
					for (size_t i = before; i < s->n; i++) {
						struct capture_pkt q;
						assert_int_equal(capture_next(a, &q), 1);
						assert_int_equal(s->p[i].ts.tv_sec, q.ts.tv_sec);
						assert_int_equal(s->p[i].ts.tv_nsec, q.ts.tv_nsec);
						assert_int_equal(s->p[i].caplen, q.caplen);
						assert_int_equal(s->p[i].len, q.len);
						assert_int_equal(s->p[i].linktype, q.linktype);
						assert_memory_equal(s->data[i], q.data, q.caplen);
					}
					if (rb <= 0) {
						struct capture_pkt q;
						int ra = capture_next(a, &q);
						assert_int_equal(ra, rb);
						if (rb < 0) {
							errors++;
							assert_string_equal(capture_error(a),
									    capture_error(b));
						}
					}
					if (rb == 0)
						break;
				}
				assert_int_equal(capture_batch(b, 5, keep, s),
						 0); /* stays at the end */
				free(s);
				capture_close(a);
				capture_close(b);
			}
		}
	}
	assert_true(errors > 0);
	free(data);
}

/* ------------------------------------------------------------------------
 * 3. Errors
 * ------------------------------------------------------------------------ */

static void missing_and_bad_files(void **state)
{
	(void)state;
	char path[512];
	const char *err;

	tmp_path(path, sizeof path, "no-such.pcap");
	const char *p1[1] = { path };
	err = open_fails(p1, 1, NULL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));

	const char *p2[1] = { tmpdir };
	err = open_fails(p2, 1, NULL);
	assert_non_null(strstr(err, "is a directory"));

	tmp_path(path, sizeof path, "empty.pcap");
	write_file(path, "", 0);
	err = open_fails(p1, 1, NULL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a capture file"));

	tmp_path(path, sizeof path, "notes.txt");
	const char text[] = "server time.example.net iburst\nthis is not a capture\n";
	write_file(path, text, sizeof text - 1);
	err = open_fails(p1, 1, NULL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a capture file"));

	/* A good file, then a bad one: nothing is left open. */
	const char *p3[2] = { DATA "eth.pcap", path };
	err = open_fails(p3, 2, NULL);
	assert_non_null(strstr(err, "notes.txt"));

	const char *p4[2] = { "-", "-" };
	err = open_fails(p4, 2, NULL);
	assert_non_null(strstr(err, "standard input"));

	err = open_fails(NULL, 0, NULL);
	assert_non_null(strstr(err, "no capture file"));
}

static void bad_filter(void **state)
{
	(void)state;
	const char *p1[1] = { DATA "eth.pcap" };
	const char *err = open_fails(p1, 1, "udp prot 123");
	assert_true(strncmp(err, "bad filter: ", 12) == 0);
	assert_non_null(strstr(err, "udp prot 123"));
	/* Compiled per file, for its link type: raw IP has no MAC addresses. */
	const char *p2[2] = { DATA "eth.pcap", DATA "raw.pcap" };
	err = open_fails(p2, 2, "ether src 02:00:00:00:00:01");
	assert_true(strncmp(err, "bad filter: ", 12) == 0);
	assert_non_null(strstr(err, "raw.pcap"));
}

/* ------------------------------------------------------------------------
 * 4. Cut capture files
 * ------------------------------------------------------------------------ */

static void cut_at_every_length(const char *file, size_t packets)
{
	uint8_t *data;
	size_t len;
	char src[512], path[512];
	snprintf(src, sizeof src, "%s%s", DATA, file);
	read_file(src, &data, &len);
	tmp_path(path, sizeof path, "cut");
	size_t opened = 0, errors = 0;
	for (size_t cut = 0; cut < len; cut++) {
		write_file(path, data, cut);
		const char *paths[1] = { path };
		char err[512] = "";
		capture *c = capture_open_files(paths, 1, NULL, err, sizeof err);
		if (!c) {
			assert_non_null(strstr(err, path));
			continue;
		}
		opened++;
		struct capture_pkt p;
		size_t n = 0;
		int rc;
		while ((rc = capture_next(c, &p)) == 1) {
			struct frame_view v;
			enum frame_status st = frame_decode(p.linktype, p.data, p.caplen, &v);
			assert_in_range(st, FRAME_OK, FRAME_FRAGMENT);
			n++;
		}
		assert_true(n <= packets);
		if (rc < 0) {
			errors++;
			assert_int_equal(rc, -EIO);
			assert_non_null(strstr(capture_error(c), path));
			assert_int_equal(capture_next(c, &p), 0); /* then the end */
		}
		assert_true(capture_progress(c) <= 1.0);
		capture_close(c);
	}
	/* The whole file reads to the end. */
	write_file(path, data, len);
	capture *c = open1(path, NULL);
	assert_int_equal(count_packets(c), packets);
	capture_close(c);
	printf("test_capture: %s cut at %zu lengths: %zu opened, %zu read errors\n", file, len,
	       opened, errors);
	assert_true(opened > 0 && errors > 0);
	free(data);
}

static void cut_pcap(void **state)
{
	(void)state;
	cut_at_every_length("tcpdump_ntp-time.pcap", 2);
	cut_at_every_length("eth-crafted.pcap", 24);
}

static void cut_pcapng(void **state)
{
	(void)state;
	cut_at_every_length("eth-dumpcap.pcapng", 8);
}

/* ------------------------------------------------------------------------
 * 5. Filters
 * ------------------------------------------------------------------------ */

/* tcpdump -r eth.pcap 'udp port 123' | wc -l: 8. */
static void filter_udp_123(void **state)
{
	(void)state;
	capture *c = open1(DATA "eth.pcap", "udp port 123");
	struct capture_pkt p;
	size_t n = 0;
	int rc;
	while ((rc = capture_next(c, &p)) == 1) {
		struct frame_view v;
		assert_int_equal(frame_decode(p.linktype, p.data, p.caplen, &v), FRAME_OK);
		assert_true(v.sport == 123 || v.dport == 123);
		n++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, 8);
	capture_close(c);
	/* The same filter on the same packets as raw IP and in SLL2. */
	c = open1(DATA "raw.pcap", "udp port 123");
	assert_int_equal(count_packets(c), 8);
	capture_close(c);
	c = open1(DATA "sll2.pcap", "udp port 123");
	assert_int_equal(count_packets(c), 8);
	capture_close(c);
}

/* ------------------------------------------------------------------------
 * 6. Standard input
 * ------------------------------------------------------------------------ */

static void stdin_dash(void **state)
{
	(void)state;
	int saved = dup(0);
	assert_true(saved >= 0);
	int fd = open(DATA "eth-crafted.pcap", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, 0), 0);
	close(fd);
	clearerr(stdin);
	const char *paths[2] = { "-", DATA "eth-dumpcap.pcapng" };
	char err[512];
	capture *c = capture_open_files(paths, 2, NULL, err, sizeof err);
	if (!c)
		fail_msg("%s", err);
	assert_true(isnan(capture_progress(c)));
	struct capture_pkt p;
	size_t n[2] = { 0, 0 };
	int rc;
	while ((rc = capture_next(c, &p)) == 1)
		n[p.source]++;
	assert_int_equal(rc, 0);
	assert_int_equal(n[0], 24);
	assert_int_equal(n[1], 8);
	capture_close(c);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	clearerr(stdin);
}

/* ------------------------------------------------------------------------
 * 7. Writing
 * ------------------------------------------------------------------------ */

static void dump_reads_back(void **state)
{
	(void)state;
	char out[512];
	tmp_path(out, sizeof out, "out.pcap");
	capture *c = open1(DATA "eth.pcap", NULL);
	struct capture_pkt p;
	/* The first three are not written: only what comes after the call. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(capture_next(c, &p), 1);
	assert_int_equal(capture_dump_to(c, out), 0);
	capture *ref = open1(DATA "eth.pcap", NULL);
	for (int i = 0; i < 3; i++)
		assert_int_equal(capture_next(ref, &p), 1);
	size_t n = count_packets(c);
	assert_int_equal(n, 60);
	capture_close(c); /* flushes */

	capture *back = open1(out, NULL);
	struct capture_pkt q;
	size_t m = 0;
	int rc;
	while ((rc = capture_next(back, &q)) == 1) {
		assert_int_equal(capture_next(ref, &p), 1);
		assert_int_equal(q.linktype, 1);
		assert_int_equal(q.ts.tv_sec, p.ts.tv_sec);
		assert_int_equal(q.ts.tv_nsec, p.ts.tv_nsec);
		assert_int_equal(q.caplen, p.caplen);
		assert_int_equal(q.len, p.len);
		assert_memory_equal(q.data, p.data, p.caplen);
		m++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(m, 60);
	capture_close(back);
	capture_close(ref);

	/* With a filter: only what passed it. */
	c = open1(DATA "eth.pcap", "udp port 123");
	assert_int_equal(capture_dump_to(c, out), 0);
	assert_int_equal(count_packets(c), 8);
	capture_close(c);
	back = open1(out, NULL);
	assert_int_equal(count_packets(back), 8);
	capture_close(back);
}

static void dump_errors(void **state)
{
	(void)state;
	const char *paths[2] = { DATA "eth.pcap", DATA "raw.pcap" };
	char err[512], out[512];
	tmp_path(out, sizeof out, "mixed.pcap");
	capture *c = capture_open_files(paths, 2, NULL, err, sizeof err);
	assert_non_null(c);
	assert_int_equal(capture_dump_to(c, out), -EINVAL);
	assert_non_null(strstr(capture_error(c), "link type"));
	capture_close(c);
	c = open1(DATA "eth.pcap", NULL);
	tmp_path(out, sizeof out, "no-such-dir/out.pcap");
	assert_int_equal(capture_dump_to(c, out), -EIO);
	assert_non_null(strstr(capture_error(c), out));
	capture_close(c);
	capture_close(NULL);
}

/* ------------------------------------------------------------------------
 * 8. Live
 * ------------------------------------------------------------------------ */

static void live_missing_interface(void **state)
{
	(void)state;
	struct capture_live_opts o = { .iface = "sundial-nx0", .immediate = true };
	char err[512] = "";
	capture *c = capture_open_live(&o, err, sizeof err);
	assert_null(c);
	assert_non_null(strstr(err, "sundial-nx0"));
	/* As root: no such interface; otherwise the permission comes first. */
	assert_true(strstr(err, "no such interface") || strstr(err, "CAP_NET_RAW"));
}

/* Without CAP_NET_RAW, in a child that gives up root. */
static void live_without_privilege(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		struct capture_live_opts o = { .iface = "lo", .immediate = true };
		char err[512] = "";
		capture *c = capture_open_live(&o, err, sizeof err);
		if (c) {
			capture_close(c); /* the binary has cap_net_raw */
			skip();
		}
		assert_non_null(strstr(err, "needs CAP_NET_RAW: run as root or give the binary "
					    "cap_net_raw"));
		return;
	}
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		char err[512] = "";
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
		struct capture_live_opts o = { .iface = "lo", .immediate = true };
		capture *c = capture_open_live(&o, err, sizeof err);
		if (c)
			_exit(3);
		ssize_t w = write(fds[1], err, strlen(err));
		_exit(w > 0 ? 0 : 4);
	}
	close(fds[1]);
	char msg[512] = "";
	ssize_t r = read(fds[0], msg, sizeof msg - 1);
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(r > 0);
	msg[r] = '\0';
	if (!strstr(msg, "lo: needs CAP_NET_RAW: run as root or give the binary cap_net_raw"))
		fail_msg("message: %s", msg);
}

/* As root: a datagram to 127.0.0.1 through lo, non-blocking. */
static void live_loopback(void **state)
{
	(void)state;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	socklen_t sl = sizeof sa;
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	unsigned port = ntohs(sa.sin_port);
	char filter[64];
	snprintf(filter, sizeof filter, "udp dst port %u", port);
	struct capture_live_opts o = {
		.iface = "lo", .filter = filter, .immediate = true, .buffer_size = 1 << 20
	};
	char err[512] = "";
	capture *c = capture_open_live(&o, err, sizeof err);
	if (!c) {
		close(s);
		assert_non_null(strstr(err, "CAP_NET_RAW"));
		skip(); /* not root: live_without_privilege covers the message */
	}
	int fd = capture_fd(c);
	assert_true(fd >= 0);
	struct capture_pkt p;
	assert_true(isnan(capture_progress(c)));
	assert_true(capture_next(c, &p) >= 0); /* nothing yet, and no blocking */
	assert_int_equal(sendto(s, "sundial", 7, 0, (struct sockaddr *)&sa, sizeof sa), 7);
	int got = 0;
	for (int tries = 0; tries < 50 && !got; tries++) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		(void)poll(&pfd, 1, 100);
		int rc;
		while ((rc = capture_next(c, &p)) == 1) {
			struct frame_view v;
			if (frame_decode(p.linktype, p.data, p.caplen, &v) == FRAME_OK &&
			    v.dport == port && v.payload_len == 7 &&
			    memcmp(v.payload, "sundial", 7) == 0)
				got = 1;
		}
		assert_true(rc >= 0);
	}
	assert_true(got);
	assert_int_equal(p.linktype, 1); /* lo is Ethernet to libpcap */
	uint64_t recv = 0, drop = 0, ifdrop = 0;
	assert_int_equal(capture_stats(c, &recv, &drop, &ifdrop), 0);
	assert_true(recv >= 1);
	capture_close(c);
	close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pcap_nanoseconds),
		cmocka_unit_test(pcapng_read),
		cmocka_unit_test(pcap_microseconds),
		cmocka_unit_test(fraction_carried),
		cmocka_unit_test(linktypes_pass_through),
		cmocka_unit_test(merge_like_mergecap),
		cmocka_unit_test(merge_mixed_linktypes),
		cmocka_unit_test(one_file_like_merge),
		cmocka_unit_test(batch_like_next),
		cmocka_unit_test(missing_and_bad_files),
		cmocka_unit_test(bad_filter),
		cmocka_unit_test(cut_pcap),
		cmocka_unit_test(cut_pcapng),
		cmocka_unit_test(filter_udp_123),
		cmocka_unit_test(stdin_dash),
		cmocka_unit_test(dump_reads_back),
		cmocka_unit_test(dump_errors),
		cmocka_unit_test(live_missing_interface),
		cmocka_unit_test(live_without_privilege),
		cmocka_unit_test(live_loopback),
	};
	return cmocka_run_group_tests_name("capture", tests, setup_tmp, teardown_tmp);
}
