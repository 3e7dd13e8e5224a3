/* fuzz_pcapfile.c - libFuzzer harness for capture files read through
 * src/capture/capture.c (libpcap's pcap and pcapng readers) and decoded by
 * src/wire/frame.c.
 *
 * The input is written to a memory file and opened by its /proc/self/fd
 * path with capture_open_files() (with the filter "udp port 123" when its
 * length is odd, to run libpcap's compiler and userland BPF on it); then
 * capture_next() and frame_decode() until the end.  A malformed file must
 * give an error at open (with a message) or a read error or the end, with
 * no packet larger than its capture length, never a crash; otherwise
 * abort().
 *
 * Seed corpus: tests/fuzz/corpus/pcapfile/ (small real captures, see
 * tests/data/frame/SOURCES.md).  Without libFuzzer, tests/fuzz/replay.c runs
 * the corpus. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/capture.h"
#include "wire/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz_pcapfile", MFD_CLOEXEC);
	check(fd >= 0);
	size_t off = 0;
	while (off < size) {
		ssize_t w = write(fd, data + off, size - off);
		check(w > 0);
		off += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	const char *paths[1] = { path };
	char err[512] = "";
	capture *c =
		capture_open_files(paths, 1, size % 2 ? "udp port 123" : NULL, err, sizeof err);
	if (!c) {
		check(err[0] != '\0');
		close(fd);
		return 0;
	}
	struct capture_pkt p;
	int rc;
	size_t errors = 0;
	while ((rc = capture_next(c, &p)) != 0) {
		if (rc < 0) {
			check(rc == -EIO);
			const char *why = capture_error(c);
			check(why != NULL && why[0] != '\0');
			check(++errors == 1); /* one file: one error, then the end */
			continue;
		}
		check(rc == 1);
		check(p.source == 0);
		check(p.ts.tv_nsec >= 0 && p.ts.tv_nsec < 1000000000);
		struct frame_view v;
		enum frame_status st = frame_decode(p.linktype, p.data, p.caplen, &v);
		check(st >= FRAME_OK && st <= FRAME_FRAGMENT);
		if (v.payload)
			check(v.payload >= p.data &&
			      v.payload + v.payload_len <= p.data + p.caplen);
		double prog = capture_progress(c);
		check(isnan(prog) || (prog >= 0 && prog <= 1));
	}
	check(capture_fd(c) == -1);
	capture_close(c);
	close(fd);
	return 0;
}
