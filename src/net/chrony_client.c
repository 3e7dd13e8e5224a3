/* chrony_client.c - a session with chronyd's command port or Unix socket;
 * see chrony_client.h.  Follows chronyc (chrony's client.c):
 *
 * - UDP: one connected socket, so that ICMP errors come back as
 *   ECONNREFUSED and datagrams from anyone else never arrive.
 * - Unix: chronyd answers to the address the request came from, so the
 *   client binds a socket of its own that chronyd (running as its own user,
 *   e.g. _chrony) can send to.  As chronyc's open_unix_socket() (chrony
 *   4.8) does, it lives in two levels of directories next to the server's
 *   socket: <dir>/sundial.<pid>/<16 random alphanumerics>/sock, directories
 *   0711 (chronyd may pass but not list them, so the path is unpredictable),
 *   the socket 0666.  chronyc 4.3 bound <dir>/chronyc.<pid>.sock directly;
 *   the extra level closes a symlink race on chmod() (chrony commit
 *   90d808e).  Our upper directory is named after us rather than chronyc so
 *   that nobody looks for a chronyc process with that pid.  Everything is
 *   removed on close and on every error path.
 * - submit_request(): one request at a time; each attempt has a new random
 *   sequence number and waits twice as long as the one before (the first
 *   waits the session's timeout), 2 retries; a reply counts only if its
 *   version, packet type, reserved octets, command and sequence match.  A
 *   version 5 reply saying BADPKTVERSION makes the session speak version 5
 *   (no padding) and try again without counting the attempt.  A reply too
 *   short for its type is treated as lost (a new attempt).
 */
#include "net/chrony_client.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "net/addr.h"

#define MAX_RETRIES 2 /* chronyc's default (-m) */
#define DEFAULT_TIMEOUT 1.0
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)NULL)->sun_path))
#define RAND_DIR_LEN 16

struct chrc {
	int fd;
	bool is_unix;
	uint8_t version; /* CHR_PROTO_VERSION, or 5 after a fallback */
	double timeout;
	/* Unix only: what to remove on close ("" = nothing). */
	char sock_path[SUN_PATH_MAX];
	char dir1[SUN_PATH_MAX];
	char dir2[SUN_PATH_MAX];
};

static chrc *session_new(double timeout, bool is_unix)
{
	chrc *c = mem_calloc(1, sizeof *c);
	c->fd = -1;
	c->is_unix = is_unix;
	c->version = CHR_PROTO_VERSION;
	c->timeout = timeout > 0 && isfinite(timeout) ? timeout : DEFAULT_TIMEOUT;
	return c;
}

static void random_bytes(void *p, size_t n)
{
	uint8_t *b = p;
	while (n > 0) {
		ssize_t k = getrandom(b, n, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			/* Not expected on a booted kernel; still keep
			 * sequence numbers apart. */
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t v =
				(uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
			size_t m = n < sizeof v ? n : sizeof v;
			memcpy(b, &v, m);
			k = (ssize_t)m;
		}
		b += k;
		n -= (size_t)k;
	}
}

chrc *chrc_open_udp(const struct sockaddr_storage *server, double timeout, int *err)
{
	*err = 0;
	const struct sockaddr *sa = (const struct sockaddr *)server;
	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) {
		*err = -EAFNOSUPPORT;
		return NULL;
	}
	int fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	if (connect(fd, sa, addr_len(sa)) != 0) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	chrc *c = session_new(timeout, false);
	c->fd = fd;
	return c;
}

/* UTI_PathToDir(): the directory part of path ("." if none, "/" for the root). */
static int path_dir(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n;
	if (!slash)
		n = snprintf(dir, len, ".");
	else if (slash == path)
		n = snprintf(dir, len, "/");
	else
		n = snprintf(dir, len, "%.*s", (int)(slash - path), path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int set_sun(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (str_copy(sun->sun_path, path, sizeof sun->sun_path) >= sizeof sun->sun_path)
		return -ENAMETOOLONG;
	return 0;
}

/* Removes what a Unix session created, in reverse order.  rmdir() of the
 * upper directory fails harmlessly while another session of this process
 * still has its own directory in it. */
static void remove_unix_files(chrc *c)
{
	if (c->sock_path[0])
		(void)unlink(c->sock_path);
	if (c->dir2[0])
		(void)rmdir(c->dir2);
	if (c->dir1[0])
		(void)rmdir(c->dir1);
	c->sock_path[0] = c->dir2[0] = c->dir1[0] = '\0';
}

/* Can we reach the server's socket at all?  Connecting an unbound socket
 * tells: -ENOENT (nothing there), -EACCES (a directory or the socket is
 * closed to us), -ECONNREFUSED (a stale socket file, no chronyd). */
static int probe_server(const struct sockaddr_un *server)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int rc = 0;
	if (connect(s, (const struct sockaddr *)server, sizeof *server) != 0)
		rc = -errno;
	close(s);
	return rc;
}

/* path = "<a>/<b>", checked to fit a Unix socket address. */
static int join(char *path, const char *a, const char *b)
{
	int n = snprintf(path, SUN_PATH_MAX, "%s/%s", a, b);
	return n < 0 || (size_t)n >= SUN_PATH_MAX ? -ENAMETOOLONG : 0;
}

chrc *chrc_open_unix(const char *path, double timeout, int *err)
{
	*err = 0;
	struct sockaddr_un server, local;
	char dir0[SUN_PATH_MAX], dir1[SUN_PATH_MAX], dir2[SUN_PATH_MAX], sock[SUN_PATH_MAX];
	char name1[32], rand_dir[RAND_DIR_LEN + 1];
	int dir_fd1 = -1, rc;
	chrc *c = session_new(timeout, true);

	if (!path || !path[0]) {
		rc = -EINVAL;
		goto out;
	}
	/* The random, hidden lower directory. */
	static const char alnum[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (size_t i = 0; i < RAND_DIR_LEN; i++) {
		uint8_t b;
		do
			random_bytes(&b, 1);
		while (b >= 248); /* 248 = 4 * 62: no bias */
		rand_dir[i] = alnum[b % 62];
	}
	rand_dir[RAND_DIR_LEN] = '\0';
	snprintf(name1, sizeof name1, "sundial.%d", (int)getpid());

	rc = set_sun(&server, path);
	if (rc == 0)
		rc = path_dir(path, dir0, sizeof dir0);
	if (rc == 0)
		rc = join(dir1, dir0, name1);
	if (rc == 0)
		rc = join(dir2, dir1, rand_dir);
	if (rc == 0)
		rc = join(sock, dir2, "sock");
	if (rc == 0)
		rc = set_sun(&local, sock);
	if (rc == 0)
		rc = probe_server(&server);
	if (rc != 0)
		goto out;

	if (mkdir(dir1, 0711) != 0 && errno != EEXIST) {
		rc = -errno;
		goto out;
	}
	str_copy(c->dir1, dir1, sizeof c->dir1);
	/* The upper directory may have existed: it must be a directory of
	 * ours that nobody else can write to. */
	dir_fd1 = open(dir1, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (dir_fd1 < 0 || fstat(dir_fd1, &st) != 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISDIR(st.st_mode) || (st.st_mode & 0777 & ~0711u) != 0 || st.st_uid != geteuid()) {
		log_debug("%s: unexpected mode or owner", dir1);
		rc = -EPERM;
		goto out;
	}
	if (mkdirat(dir_fd1, rand_dir, 0711) != 0) {
		rc = -errno;
		goto out;
	}
	str_copy(c->dir2, dir2, sizeof c->dir2);

	c->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		goto out;
	}
	if (bind(c->fd, (const struct sockaddr *)&local, sizeof local) != 0) {
		rc = -errno;
		goto out;
	}
	str_copy(c->sock_path, sock, sizeof c->sock_path);
	if (connect(c->fd, (const struct sockaddr *)&server, sizeof server) != 0) {
		rc = -errno;
		goto out;
	}
	/* chronyd drops root: it needs to pass both directories and write to
	 * the socket.  chmod() after mkdir()/bind() so the umask does not
	 * matter. */
	if (chmod(sock, 0666) != 0 || chmod(dir2, 0711) != 0 || fchmod(dir_fd1, 0711) != 0) {
		rc = -errno;
		goto out;
	}
	rc = 0;
out:
	if (dir_fd1 >= 0)
		close(dir_fd1);
	if (rc != 0) {
		*err = rc;
		chrc_close(c);
		return NULL;
	}
	return c;
}

void chrc_close(chrc *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->is_unix)
		remove_unix_files(c);
	free(c);
}

bool chrc_is_unix(const chrc *c)
{
	return c->is_unix;
}

/* Waits up to timeout seconds for a datagram and reads it into buf.
 * Returns its length (> 0), 0 on timeout, or a negative errno. */
static ssize_t wait_reply(int fd, double timeout, uint8_t *buf, size_t cap)
{
	int ms = (int)ceil(timeout * 1000.0);
	struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
	int pr = poll(&p, 1, ms < 1 ? 1 : ms);
	if (pr < 0)
		return errno == EINTR ? 0 : -errno;
	if (pr == 0)
		return 0;
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	return n == 0 ? -EAGAIN : n; /* an empty datagram: nothing to match */
}

int chrc_request(chrc *c, uint16_t command, const void *data, size_t data_len, uint8_t *reply,
		 size_t cap, size_t *len, uint16_t *status)
{
	*len = 0;
	if (status)
		*status = 0;
	if (cap < CHR_MAX_PKT)
		return -EINVAL;

	uint8_t req[CHR_MAX_PKT], rbuf[CHR_MAX_PKT];
	size_t req_len = 0;
	uint32_t seq = 0;
	unsigned n_attempts = 0;
	bool new_attempt = true;
	double start = 0;

	for (;;) {
		if (new_attempt) {
			new_attempt = false;
			if (n_attempts > MAX_RETRIES)
				return -ETIMEDOUT;
			random_bytes(&seq, sizeof seq);
			req_len = chr_request_encode(req, sizeof req, c->version, command,
						     (uint16_t)n_attempts, seq, data, data_len);
			if (req_len == 0)
				return -EINVAL;
			n_attempts++;
			start = clock_mono_sec();
			ssize_t sent = send(c->fd, req, req_len, 0);
			if (sent < 0)
				return -errno;
			if ((size_t)sent != req_len)
				return -EMSGSIZE;
		}
		double left =
			c->timeout * (double)(1u << (n_attempts - 1)) - (clock_mono_sec() - start);
		if (left <= 0) {
			new_attempt = true;
			continue;
		}
		ssize_t n = wait_reply(c->fd, left, rbuf, sizeof rbuf);
		if (n == -EAGAIN || n == 0)
			continue; /* the loop re-checks the deadline */
		if (n < 0)
			return (int)n;

		struct chr_rpy_hdr h;
		enum chr_result rc = chr_reply_header(rbuf, (size_t)n, command, seq, &h);
		if (rc == CHR_E_HEADER || rc == CHR_E_MISMATCH || (size_t)n < CHR_RPY_HDR_LEN) {
			log_debug("chronyd: ignored a reply (%s)", chr_strerror(rc));
			continue;
		}
		/* chronyc: the version must be ours, unless the reply says
		 * our version is wrong. */
		if (h.version != c->version &&
		    !(h.version >= 4 && h.status == CHR_STT_BADPKTVERSION)) {
			log_debug("chronyd: ignored a reply of version %u", h.version);
			continue;
		}
		if (c->version == CHR_PROTO_VERSION && h.version == CHR_PROTO_VERSION - 1) {
			/* A version 5 chronyd: speak its version (no padding). */
			c->version = CHR_PROTO_VERSION - 1;
			n_attempts--;
			new_attempt = true;
			continue;
		}
		if (rc == CHR_E_STATUS) {
			if (status)
				*status = h.status;
			return -EREMOTEIO;
		}
		if (rc == CHR_E_TRUNCATED) {
			log_debug("chronyd: reply %u too short (%zd octets)", h.reply, n);
			new_attempt = true;
			continue;
		}
		if (rc != CHR_OK)
			return -EPROTO;
		memcpy(reply, rbuf, (size_t)n);
		*len = (size_t)n;
		return 0;
	}
}
