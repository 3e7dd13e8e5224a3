/* test_gpsd.c - the gpsd source against a real gpsd fed by gpsfake with the
 * test's own NMEA log (a 3D fix, 7 of 11 satellites used, known signals and
 * DOPs), gpsfake killed (the sample fails) and started again on the same port
 * (the kept connection is made again); nothing listening (refused at once); a
 * gpsd without a receiver (-ETIMEDOUT after 0.2 s); and a scripted gpsd for
 * what gpsfake cannot send: PPS, a DGPS status, reports from before the
 * WATCH answer (ignored).
 *
 * gpsd and gpsfake (scripts/install-deps installs them) are a failure when
 * missing with CI=true, a skip otherwise. */
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
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "sources/gpsd.h"

static char dir[256];
static char nmea_log[300];
static char gpsd_path[512], gpsfake_path[512];

/* ---- the NMEA log ------------------------------------------------------- */

/* Satellites of the log: PRN, SNR (-1: not tracked, an empty field), used,
 * elevation, azimuth.  Used: 45 42 38 40 36 44 33, mean 278/7, weakest 33. */
static const struct sat {
	int prn, snr;
	bool used;
	int el, az;
} sats[] = {
	{ 2, 45, true, 60, 40 },   { 5, 42, true, 55, 120 },   { 12, 38, true, 40, 200 },
	{ 15, 40, true, 35, 290 }, { 20, 36, true, 25, 80 },   { 25, 44, true, 70, 160 },
	{ 29, 33, true, 20, 330 }, { 7, 20, false, 10, 20 },   { 10, 15, false, 8, 100 },
	{ 18, -1, false, 5, 250 }, { 30, 22, false, 12, 310 },
};
#define NSATS (sizeof sats / sizeof sats[0])
#define SNR_MEAN_USED (278.0 / 7.0)
#define SNR_MIN_USED 33.0

/* body -> "$body*CS\r\n", CS the XOR of the body's octets. */
static void sentence(FILE *f, const char *body)
{
	unsigned cs = 0;
	for (const char *p = body; *p; p++)
		cs ^= (unsigned char)*p;
	fprintf(f, "$%s*%02X\r\n", body, cs);
}

/* Five one-second epochs of RMC, GGA (fix quality 1, 7 used, HDOP 0.9), GSA
 * (3D, PDOP 1.6, HDOP 0.9, VDOP 1.3) and three GSV (11 in view). */
static void write_log(const char *path)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	char b[200], t[16];
	for (int s = 0; s < 5; s++) {
		snprintf(t, sizeof t, "1200%02d.00", s);
		snprintf(b, sizeof b, "GPRMC,%s,A,4807.038,N,01131.000,E,0.0,0.0,010324,,,A", t);
		sentence(f, b);
		snprintf(b, sizeof b, "GPGGA,%s,4807.038,N,01131.000,E,1,07,0.9,545.4,M,46.9,M,,",
			 t);
		sentence(f, b);
		size_t n = (size_t)snprintf(b, sizeof b, "GPGSA,A,3");
		int slots = 0;
		for (size_t i = 0; i < NSATS; i++)
			if (sats[i].used) {
				n += (size_t)snprintf(b + n, sizeof b - n, ",%02d", sats[i].prn);
				slots++;
			}
		for (; slots < 12; slots++)
			n += (size_t)snprintf(b + n, sizeof b - n, ",");
		snprintf(b + n, sizeof b - n, ",1.6,0.9,1.3");
		sentence(f, b);
		for (size_t msg = 0; msg < 3; msg++) {
			n = (size_t)snprintf(b, sizeof b, "GPGSV,3,%zu,%02zu", msg + 1, NSATS);
			for (size_t i = msg * 4; i < NSATS && i < msg * 4 + 4; i++) {
				n += (size_t)snprintf(b + n, sizeof b - n, ",%02d,%02d,%03d,",
						      sats[i].prn, sats[i].el, sats[i].az);
				if (sats[i].snr >= 0)
					n += (size_t)snprintf(b + n, sizeof b - n, "%02d",
							      sats[i].snr);
			}
			sentence(f, b);
		}
	}
	assert_int_equal(fclose(f), 0);
}

/* ---- processes and ports ------------------------------------------------ */

static bool find_prog(const char *name, char *out, size_t len)
{
	const char *env = getenv("PATH");
	char path[4096];
	snprintf(path, sizeof path, "%s:/usr/sbin:/sbin:/usr/bin", env ? env : "");
	for (char *d = path, *end; d; d = end ? end + 1 : NULL) {
		end = strchr(d, ':');
		if (end)
			*end = '\0';
		if (*d == '\0')
			continue;
		if ((size_t)snprintf(out, len, "%s/%s", d, name) >= len)
			continue;
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* Fails (CI=true) or skips the test when gpsd or gpsfake is missing. */
static void need_peers(void)
{
	if (find_prog("gpsd", gpsd_path, sizeof gpsd_path) &&
	    find_prog("gpsfake", gpsfake_path, sizeof gpsfake_path))
		return;
	const char *ci = getenv("CI");
	if (ci && strcmp(ci, "true") == 0)
		fail_msg("gpsd or gpsfake is not installed: run scripts/install-deps as root");
	print_message("gpsd or gpsfake not installed (scripts/install-deps): skipped\n");
	skip();
}

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t alen = sizeof a;
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
	close(s);
	return ntohs(a.sin_port);
}

static bool port_listens(int port)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bool ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
	close(s);
	return ok;
}

static void nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

/* Runs argv in its own process group, output into dir/logname. */
static pid_t spawn(char *const argv[], const char *logname, int port)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		/* gpsd makes SysV shared memory (its export, NTP's segments) and
		 * never removes it: in an IPC namespace of its own it goes with it. */
		if (unshare(CLONE_NEWIPC) != 0)
			(void)unshare(CLONE_NEWUSER | CLONE_NEWIPC);
		char path[400], v[600];
		snprintf(path, sizeof path, "%s/%s", dir, logname);
		int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int nul = open("/dev/null", O_RDONLY);
		if (fd < 0 || nul < 0 || dup2(nul, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		setenv("TMPDIR", dir, 1); /* gpsfake's control socket */
		snprintf(v, sizeof v, "%s", gpsd_path);
		*strrchr(v, '/') = '\0';
		setenv("GPSD_HOME", v, 1); /* the gpsd gpsfake runs */
		snprintf(v, sizeof v, "0x4770%04X", (unsigned)port);
		setenv("GPSD_SHM_KEY", v, 1); /* not the system gpsd's segment */
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	return pid;
}

static void print_log(const char *logname)
{
	char path[400], line[300];
	snprintf(path, sizeof path, "%s/%s", dir, logname);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		print_message("  %s: %s", logname, line);
	fclose(f);
}

/* Waits until port accepts connections (false if pid exits or 8 s pass). */
static bool wait_listening(pid_t pid, int port, const char *logname)
{
	for (int i = 0; i < 160; i++) {
		if (port_listens(port))
			return true;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			print_message("%s exited before listening on port %d\n", logname, port);
			print_log(logname);
			return false;
		}
		nap(0.05);
	}
	print_log(logname);
	return false;
}

/* SIGTERM to the group (gpsfake then ends its gpsd), reaped; SIGKILL if it
 * lingers.  Returns when nothing listens on port any more. */
static void stop(pid_t pid, int port)
{
	kill(-pid, SIGTERM);
	int st;
	bool reaped = false;
	for (int i = 0; i < 100 && !reaped; i++) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		reaped = w == pid || (w < 0 && errno == ECHILD);
		if (!reaped)
			nap(0.05);
	}
	if (!reaped) {
		kill(-pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	for (int i = 0; i < 100 && port_listens(port); i++)
		nap(0.05);
	if (port_listens(port)) {
		kill(-pid, SIGKILL); /* a gpsd left in the group */
		nap(0.2);
	}
	assert_false(port_listens(port));
	/* Without an IPC namespace (no root, no user namespaces): our export. */
	int id = shmget((key_t)(0x47700000 + port), 0, 0);
	if (id >= 0)
		(void)shmctl(id, IPC_RMID, NULL);
}

static pid_t start_gpsfake(int port)
{
	char p[16];
	snprintf(p, sizeof p, "%d", port);
	/* -n: gpsd reads the pty at once, no client needed; looping (no -1),
	 * one line every 0.1 s: an epoch every 0.6 s for as long as it runs. */
	char n[] = "-n", q[] = "-q", c[] = "-c", cycle[] = "0.1", P[] = "-P";
	char *argv[] = { gpsfake_path, n, q, c, cycle, P, p, nmea_log, NULL };
	pid_t pid = spawn(argv, "gpsfake.log", port);
	if (!wait_listening(pid, port, "gpsfake.log")) {
		stop(pid, port);
		fail_msg("gpsfake did not start gpsd on port %d", port);
	}
	return pid;
}

/* ---- tests -------------------------------------------------------------- */

static void expect_log_fix(const struct gpsd_reading *r)
{
	assert_int_equal(r->mode, 3);
	assert_int_equal(r->status, 1); /* gpsd omits it for a plain GPS fix */
	assert_int_equal(r->sats_seen, 11);
	assert_int_equal(r->sats_used, 7);
	assert_float_equal(r->snr_mean_used, SNR_MEAN_USED, 1e-9);
	assert_float_equal(r->snr_min_used, SNR_MIN_USED, 1e-9);
	assert_float_equal(r->hdop, 0.9, 1e-9);
	assert_float_equal(r->pdop, 1.6, 1e-9);
	assert_float_equal(r->vdop, 1.3, 1e-9);
	assert_true(isnan(r->pps_offset));
	assert_true(r->device[0] != '\0');
}

static void gpsfake_fix_and_reconnect(void **st)
{
	(void)st;
	need_peers();
	int port = free_port();
	char ps[16], err[256];
	snprintf(ps, sizeof ps, "%d", port);
	pid_t pid = start_gpsfake(port);
	gpsd_conn *g = gpsd_new("127.0.0.1", ps);
	struct gpsd_reading r;

	/* Bounds, not timings: gpsfake feeds its log in a few hundred ms, but a
	 * machine busy with other tests can take seconds to start gpsd. */
	int rc = gpsd_sample(g, 20.0, &r, err, sizeof err);
	if (rc != 0)
		print_log("gpsfake.log");
	assert_int_equal(rc, 0);
	print_message("device %s, mode %d, %d/%d used, snr mean %.3f min %.1f, hdop %.2f\n",
		      r.device, r.mode, r.sats_used, r.sats_seen, r.snr_mean_used, r.snr_min_used,
		      r.hdop);
	expect_log_fix(&r);

	/* The same connection, WATCH turned on again. */
	assert_int_equal(gpsd_sample(g, 20.0, &r, err, sizeof err), 0);
	expect_log_fix(&r);

	/* gpsd goes away: the next sample fails, at once. */
	stop(pid, port);
	double t0 = clock_mono_sec();
	rc = gpsd_sample(g, 2.0, &r, err, sizeof err);
	print_message("gpsd gone: %d (%s)\n", rc, err);
	assert_true(rc == -ECONNREFUSED || rc == -EIO);
	assert_true(clock_mono_sec() - t0 < 1.0);
	assert_true(err[0] != '\0');
	assert_int_equal(r.mode, 0);
	assert_int_equal(r.sats_used, -1);
	assert_true(isnan(r.hdop));

	/* And back on the same port: the next sample connects again. */
	pid = start_gpsfake(port);
	rc = gpsd_sample(g, 20.0, &r, err, sizeof err);
	if (rc != 0)
		print_message("after restart: %d (%s)\n", rc, err);
	assert_int_equal(rc, 0);
	expect_log_fix(&r);

	gpsd_free(g);
	stop(pid, port);
}

static void nothing_listens(void **st)
{
	(void)st;
	int port = free_port();
	char ps[16], err[256];
	snprintf(ps, sizeof ps, "%d", port);
	gpsd_conn *g = gpsd_new("127.0.0.1", ps);
	struct gpsd_reading r;
	double t0 = clock_mono_sec();
	assert_int_equal(gpsd_sample(g, 2.0, &r, err, sizeof err), -ECONNREFUSED);
	assert_true(clock_mono_sec() - t0 < 1.0);
	assert_non_null(strstr(err, ps));
	assert_int_equal(r.status, -1);
	/* Again (nothing kept), and with no room for a message. */
	assert_int_equal(gpsd_sample(g, 2.0, &r, NULL, 0), -ECONNREFUSED);
	gpsd_free(g);
	gpsd_free(NULL);
	/* libgps' names for its shared memory and D-Bus: not hosts. */
	g = gpsd_new("shared memory", NULL);
	assert_int_equal(gpsd_sample(g, 1.0, &r, err, sizeof err), -EIO);
	assert_non_null(strstr(err, "not a host name"));
	gpsd_free(g);
}

static void no_receiver_times_out(void **st)
{
	(void)st;
	need_peers();
	int port = free_port();
	char ps[16], err[256];
	snprintf(ps, sizeof ps, "%d", port);
	char N[] = "-N", S[] = "-S", F[] = "-F", sock[300];
	snprintf(sock, sizeof sock, "%s/gpsd.sock", dir); /* gpsd wants one, or a device */
	char *argv[] = { gpsd_path, N, S, ps, F, sock, NULL };
	pid_t pid = spawn(argv, "gpsd.log", port);
	if (!wait_listening(pid, port, "gpsd.log")) {
		stop(pid, port);
		fail_msg("gpsd did not listen on port %d", port);
	}
	gpsd_conn *g = gpsd_new("127.0.0.1", ps);
	struct gpsd_reading r;
	for (int i = 0; i < 2; i++) { /* connecting, then on the kept connection */
		double t0 = clock_mono_sec();
		assert_int_equal(gpsd_sample(g, 0.2, &r, err, sizeof err), -ETIMEDOUT);
		double took = clock_mono_sec() - t0;
		print_message("no receiver: %.3f s (%s)\n", took, err);
		assert_true(took >= 0.19 && took < 1.0);
		assert_int_equal(r.mode, 0);
		assert_true(isnan(r.pps_offset));
	}
	gpsd_free(g);
	stop(pid, port);
}

/* ---- a scripted gpsd ---------------------------------------------------- */

/* What it sends on connect, then after each ?WATCH enabling reports. */
struct script {
	int listener;
	const char *hello;
	const char *const *replies;
	size_t nreplies;
};

/* Reads until the peer sent a WATCH enabling reports (true), or 3 s pass,
 * or it closed. */
static bool read_watch(int c)
{
	char buf[512];
	size_t n = 0;
	for (int i = 0; i < 60; i++) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t r = read(c, buf + n, sizeof buf - 1 - n);
		if (r <= 0)
			return false;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "?WATCH={\"enable\":true"))
			return true;
		if (n == sizeof buf - 1)
			n = 0;
	}
	return false;
}

static bool send_all(int c, const char *s)
{
	for (size_t len = strlen(s); len > 0;) {
		ssize_t w = send(c, s, len, MSG_NOSIGNAL);
		if (w <= 0)
			return false;
		s += w;
		len -= (size_t)w;
	}
	return true;
}

static void *scripted_gpsd(void *arg)
{
	struct script *s = arg;
	int c = accept(s->listener, NULL, NULL);
	close(s->listener); /* one connection only: then "gpsd went away" */
	if (c < 0)
		return NULL;
	bool ok = send_all(c, s->hello);
	for (size_t i = 0; ok && i < s->nreplies; i++)
		ok = read_watch(c) && send_all(c, s->replies[i]);
	/* Until the client turns WATCH off, or gives up. */
	char buf[256];
	struct pollfd p = { .fd = c, .events = POLLIN };
	if (ok && poll(&p, 1, 3000) > 0 && read(c, buf, sizeof buf) < 0)
		buf[0] = '\0';
	close(c);
	return NULL;
}

#define WATCH_ANSWER                                                                               \
	"{\"class\":\"DEVICES\",\"devices\":[]}\r\n"                                               \
	"{\"class\":\"WATCH\",\"enable\":true,\"json\":true,\"nmea\":false}\r\n"
#define PPS_250US                                                                                  \
	"{\"class\":\"PPS\",\"device\":\"/dev/pps0\",\"real_sec\":1700000000,"                     \
	"\"real_nsec\":0,\"clock_sec\":1700000000,\"clock_nsec\":250000,\"precision\":-20}"        \
	"\r\n"
#define SKY_4                                                                                      \
	"{\"class\":\"SKY\",\"device\":\"/dev/ttyS0\",\"hdop\":1.1,\"satellites\":["               \
	"{\"PRN\":1,\"ss\":30,\"used\":true},{\"PRN\":2,\"ss\":40,\"used\":true},"                 \
	"{\"PRN\":3,\"ss\":0,\"used\":true},{\"PRN\":4,\"ss\":50,\"used\":false}]}\r\n"

static char long_line[30000]; /* libgps holds 20480 */

static void scripted_pps_dgps(void **st)
{
	(void)st;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t alen = sizeof a;
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(listen(l, 1), 0);
	char ps[16], err[256];
	snprintf(ps, sizeof ps, "%d", ntohs(a.sin_port));

	/* A line longer than libgps' buffer, with no end. */
	memset(long_line, 'x', sizeof long_line - 1);
	long_line[0] = '{';
	const char *const replies[] = {
		/* 1: the PPS (system clock 250 us ahead of GPS time: clock -
		 * real) and a SKY, but no TPV: the old one must not count. */
		WATCH_ANSWER PPS_250US SKY_4,
		/* 2: a TPV before the WATCH answer (old), then a DGPS fix. */
		"{\"class\":\"TPV\",\"device\":\"/dev/old\",\"mode\":1}\r\n" WATCH_ANSWER
		"{\"class\":\"TPV\",\"device\":\"/dev/ttyS0\",\"status\":2,\"mode\":3}\r\n" SKY_4
			PPS_250US,
		/* 3: garbage. */
		long_line,
	};
	struct script s = {
		.listener = l,
		.hello = "{\"class\":\"VERSION\",\"release\":\"3.22\",\"rev\":\"3.22\","
			 "\"proto_major\":3,\"proto_minor\":14}\r\n"
			 "{\"class\":\"TPV\",\"device\":\"/dev/old\",\"status\":3,\"mode\":2}\r\n",
		.replies = replies,
		.nreplies = sizeof replies / sizeof replies[0],
	};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, scripted_gpsd, &s), 0);

	gpsd_conn *g = gpsd_new("127.0.0.1", ps);
	struct gpsd_reading r;
	double t0 = clock_mono_sec();
	int rc = gpsd_sample(g, 0.5, &r, err, sizeof err);
	if (rc != 0)
		print_message("scripted 1: %d (%s)\n", rc, err);
	assert_int_equal(rc, 0);
	assert_true(clock_mono_sec() - t0 >= 0.49); /* waited for a TPV */
	assert_int_equal(r.mode, 0);
	assert_int_equal(r.status, -1);
	assert_string_equal(r.device, "/dev/ttyS0");
	assert_int_equal(r.sats_seen, 4);
	assert_int_equal(r.sats_used, 3);
	assert_float_equal(r.snr_mean_used, 35.0, 1e-9); /* the 0 (not tracked) left out */
	assert_float_equal(r.snr_min_used, 30.0, 1e-9);
	assert_float_equal(r.hdop, 1.1, 1e-9);
	assert_true(isnan(r.vdop) && isnan(r.pdop) && isnan(r.tdop) && isnan(r.gdop));
	assert_float_equal(r.pps_offset, 250e-6, 1e-12);

	rc = gpsd_sample(g, 3.0, &r, err, sizeof err);
	if (rc != 0)
		print_message("scripted 2: %d (%s)\n", rc, err);
	assert_int_equal(rc, 0);
	assert_int_equal(r.mode, 3);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.device, "/dev/ttyS0");
	assert_int_equal(r.sats_used, 3);
	assert_float_equal(r.pps_offset, 250e-6, 1e-12);

	/* A line that never ends: the connection is dropped. */
	rc = gpsd_sample(g, 3.0, &r, err, sizeof err);
	print_message("scripted 3: %d (%s)\n", rc, err);
	assert_int_equal(rc, -EIO);
	assert_int_equal(r.mode, 0);
	pthread_join(th, NULL);

	/* That gpsd is gone and nothing listens. */
	assert_int_equal(gpsd_sample(g, 1.0, &r, err, sizeof err), -ECONNREFUSED);
	gpsd_free(g);
}

static int setup(void **st)
{
	(void)st;
	signal(SIGPIPE, SIG_DFL); /* as in the daemon: gpsd_sample() keeps it away */
	snprintf(dir, sizeof dir, "/tmp/sundial-gpsd.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(nmea_log, sizeof nmea_log, "%s/fix3d.nmea", dir);
	write_log(nmea_log);
	return 0;
}

static int teardown(void **st)
{
	(void)st;
	if (getenv("KEEP"))
		return 0;
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_listens),
		cmocka_unit_test(scripted_pps_dgps),
		cmocka_unit_test(no_receiver_times_out),
		cmocka_unit_test(gpsfake_fix_and_reconnect),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
