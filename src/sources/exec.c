/* exec.c - the collector's `exec` source; see exec.h.
 *
 * The child is made with fork() and execv(), not posix_spawn(): it has to
 * close every descriptor it does not know of (close_range(), or a loop up
 * to the descriptor limit), which file actions cannot say.  The collector
 * has threads, so between fork() and execv() the child makes only
 * async-signal-safe calls; everything it needs (argv, /dev/null, pipes, the
 * descriptor limit) is made before fork().  An execv() failure reaches the
 * parent as an errno through a close-on-exec pipe: no octet on it means the
 * program runs.
 *
 * The child leads its own process group, so that a kill reaches what it
 * started.  Its exit is watched through a pidfd (Linux 5.3) where there is
 * one, else by looking every 10 ms with waitid(WNOWAIT), which leaves it
 * unreaped: a zombie leader keeps the group's id from being reused until the
 * group has been killed. */
#include "sources/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"

#define GRACE_SEC 1.0	    /* between SIGTERM and SIGKILL */
#define STDERR_KEEP 256	    /* octets of stderr kept for the message */
#define VALUE_TOKEN_MAX 255 /* octets of a value token */
#define TICK_MS 10	    /* looking for the exit without a pidfd */

/* --- the parser ---------------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal number: [+-]? (D+ (. D*)? | . D+) ([eE] [+-]? D+)?, which is
 * what strtod() reads in the C locale less hex floats, inf and nan. */
static bool decimal_syntax(const char *s, size_t len)
{
	size_t i = 0, digits = 0;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	for (; i < len && is_digit(s[i]); i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && is_digit(s[i]); i++)
			digits++;
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == len || !is_digit(s[i]))
			return false;
		while (i < len && is_digit(s[i]))
			i++;
	}
	return i == len;
}

static bool parse_value(const char *s, size_t len, locale_t c_locale, double *v)
{
	char tok[VALUE_TOKEN_MAX + 1];
	if (len > VALUE_TOKEN_MAX || !decimal_syntax(s, len))
		return false;
	memcpy(tok, s, len);
	tok[len] = '\0';
	char *end;
	double d = c_locale != (locale_t)0 ? strtod_l(tok, &end, c_locale) : strtod(tok, &end);
	/* Underflow (1e-400) is a finite value near 0; overflow is not. */
	if (end != tok + len || !isfinite(d))
		return false;
	*v = d;
	return true;
}

/* The line for the log: at most sizeof first_bad - 1 octets, anything
 * but printable ASCII as '?'. */
static void keep_bad(struct exec_result *out, const char *line, size_t len)
{
	if (out->bad_lines++ > 0)
		return;
	size_t n = len < sizeof out->first_bad - 1 ? len : sizeof out->first_bad - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];
		out->first_bad[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out->first_bad[n] = '\0';
}

/* One line without its '\n' (nor the '\r' before it).  Returns false if
 * it was a new name over EXEC_MAX_VALUES. */
static bool parse_line(const char *line, size_t len, locale_t c_locale, struct exec_result *out)
{
	size_t i = 0;
	while (i < len && is_blank(line[i]))
		i++;
	if (i == len || line[i] == '#')
		return true;
	size_t name = i;
	while (i < len && name_char(line[i]))
		i++;
	size_t name_len = i - name;
	if (!name_start(line[name]) || name_len >= EXEC_NAME_MAX || i == len || !is_blank(line[i]))
		goto bad;
	while (i < len && is_blank(line[i]))
		i++;
	size_t value = i;
	while (i < len && !is_blank(line[i]))
		i++;
	size_t value_len = i - value;
	while (i < len && is_blank(line[i]))
		i++;
	double v;
	if (i != len || !parse_value(line + value, value_len, c_locale, &v))
		goto bad;
	for (size_t k = 0; k < out->n; k++) {
		if (strncmp(out->v[k].name, line + name, name_len) == 0 &&
		    out->v[k].name[name_len] == '\0') {
			out->v[k].value = v; /* the last one wins */
			return true;
		}
	}
	if (out->n == EXEC_MAX_VALUES) {
		keep_bad(out, line, len);
		return false;
	}
	memcpy(out->v[out->n].name, line + name, name_len);
	out->v[out->n].name[name_len] = '\0';
	out->v[out->n].value = v;
	out->n++;
	return true;
bad:
	keep_bad(out, line, len);
	return true;
}

/* exec_parse(); returns false if there were more than EXEC_MAX_VALUES names. */
static bool parse(const char *text, size_t len, struct exec_result *out)
{
	bool fits = true;
	out->n = 0;
	out->bad_lines = 0;
	out->first_bad[0] = '\0';
	/* The program's numbers are C-locale numbers whatever the daemon's
	 * locale; glibc hands out its built-in C locale without allocating. */
	locale_t c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	size_t start = 0;
	while (start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t line_len = end - start;
		if (line_len > 0 && text[end - 1] == '\r')
			line_len--;
		if (!parse_line(text + start, line_len, c_locale, out))
			fits = false;
		start = end + 1;
	}
	if (c_locale != (locale_t)0)
		freelocale(c_locale);
	return fits;
}

void exec_parse(const char *text, size_t len, struct exec_result *out)
{
	(void)parse(text, len, out);
}

/* --- running the program ------------------------------------------------- */

/* Moves a new descriptor of ours above 0..2 (which the daemon may have
 * closed) so that the child's dup2() onto them cannot clobber another. */
static int above_stdio(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	int e = errno;
	close(fd);
	errno = e;
	return hi;
}

static int make_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) != 0)
		return -errno;
	p[0] = above_stdio(p[0]);
	p[1] = above_stdio(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		int e = errno;
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
		p[0] = p[1] = -1;
		return -e;
	}
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* In the child: async-signal-safe calls only. */
static void close_from(int first, long open_max)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0)
		return;
#endif
	for (long fd = first; fd < open_max; fd++)
		close((int)fd);
}

struct child_fds {
	int nul, out, err, report; /* all > 2 */
	long open_max;
};

static void __attribute__((noreturn))
child(char *const *argv, char *const *envp, const struct child_fds *f)
{
	/* The parent blocked every signal around fork(): its handlers must not
	 * run here.  The program gets default dispositions (an ignored SIGPIPE
	 * or SIGTERM would otherwise stay ignored across execv) and an empty
	 * mask. */
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &dfl, NULL);
	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	int e = 0;
	int report = f->report;
	if (setpgid(0, 0) != 0 || dup2(f->nul, 0) < 0 || dup2(f->out, 1) < 0 ||
	    dup2(f->err, 2) < 0) {
		e = errno;
		goto fail;
	}
	if (report != 3) {
		if (dup3(report, 3, O_CLOEXEC) < 0) {
			e = errno;
			goto fail;
		}
		report = 3;
	}
	close_from(4, f->open_max);
	if (envp)
		execve(argv[0], argv, envp);
	else
		execv(argv[0], argv);
	e = errno;
fail:
	if (write(report, &e, sizeof e) < 0) {
		/* nothing left to tell it with */
	}
	_exit(127);
}

struct run {
	pid_t pid;
	int pidfd;   /* -1 without one */
	bool exited; /* the leader exited (not reaped yet) */
};

/* Whether the leader has exited, without reaping it. */
static bool leader_exited(struct run *r)
{
	if (r->exited)
		return true;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int w = waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT);
	if (w == 0 && si.si_pid != 0)
		r->exited = true;
	else if (w < 0 && errno == ECHILD)
		r->exited = true; /* reaped behind our back (SIGCHLD ignored) */
	return r->exited;
}

/* Waits up to sec seconds for the leader's exit. */
static void wait_exit(struct run *r, double sec)
{
	double until = clock_mono_sec() + sec;
	while (!leader_exited(r)) {
		double left = until - clock_mono_sec();
		if (left <= 0)
			return;
		int ms = (int)ceil(left * 1000.0);
		if (r->pidfd >= 0) {
			struct pollfd p = { .fd = r->pidfd, .events = POLLIN };
			if (poll(&p, 1, ms) > 0)
				r->exited = true;
		} else {
			struct timespec ts = { 0, (long)(ms < TICK_MS ? ms : TICK_MS) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
}

/* First line of what the program wrote on stderr, for people. */
static void first_line(const char *buf, size_t len, char *line, size_t size)
{
	size_t n = 0;
	for (size_t i = 0; i < len && buf[i] != '\n' && n + 1 < size; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\r' && (i + 1 == len || buf[i + 1] == '\n'))
			break;
		line[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	line[n] = '\0';
}

int exec_sample_env(const char *path, char *const *args, char *const *envp, double timeout,
		    struct exec_result *out, char *err, size_t errlen)
{
	int rc = 0;
	char **argv = NULL;
	char *obuf = NULL;
	int nul = -1, op[2] = { -1, -1 }, ep[2] = { -1, -1 }, rp[2] = { -1, -1 };
	struct run r = { .pid = -1, .pidfd = -1, .exited = false };
	size_t olen = 0, elen = 0;
	char ebuf[STDERR_KEEP];
	int exec_errno = 0;
	bool too_much = false;

	memset(out, 0, sizeof *out);
	out->exit_status = -1;
	str_format(err, errlen, "%s", "");
	if (!path || path[0] != '/' || !(timeout > 0) || !isfinite(timeout)) {
		str_format(err, errlen, "%s", "exec needs an absolute path and a positive timeout");
		return -EINVAL;
	}
	double deadline = clock_mono_sec() + timeout;

	size_t nargs = 0;
	while (args && args[nargs])
		nargs++;
	argv = mem_calloc(nargs + 2, sizeof *argv);
	argv[0] = mem_strdup(path);
	for (size_t i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	obuf = mem_alloc(EXEC_MAX_OUTPUT + 1);

	struct child_fds f;
	f.open_max = sysconf(_SC_OPEN_MAX);
	if (f.open_max < 0 || f.open_max > INT_MAX)
		f.open_max = 65536;
	nul = above_stdio(open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (nul < 0) {
		rc = -errno;
		str_format(err, errlen, "/dev/null: %s", strerror(errno));
		goto out;
	}
	if ((rc = make_pipe(op)) < 0 || (rc = make_pipe(ep)) < 0 || (rc = make_pipe(rp)) < 0) {
		str_format(err, errlen, "pipe: %s", strerror(-rc));
		goto out;
	}
	f.nul = nul;
	f.out = op[1];
	f.err = ep[1];
	f.report = rp[1];

	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r.pid = fork();
	if (r.pid == 0)
		child(argv, envp, &f);
	int fork_errno = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r.pid < 0) {
		rc = -fork_errno;
		str_format(err, errlen, "fork: %s", strerror(fork_errno));
		goto out;
	}
	(void)setpgid(r.pid, r.pid); /* also here, so that kill(-pid) works at once */
	close_fd(&op[1]);
	close_fd(&ep[1]);
	close_fd(&rp[1]);
	close_fd(&nul);
#ifdef SYS_pidfd_open
	r.pidfd = (int)syscall(SYS_pidfd_open, r.pid, 0U); /* close-on-exec */
#endif

	/* Read until the program has exited and its output is drained, the
	 * time is up, or the output is over the limit. */
	for (;;) {
		struct pollfd p[4];
		int *which[4];
		nfds_t n = 0;
		int *fds[3] = { &op[0], &ep[0], &rp[0] };
		for (size_t i = 0; i < 3; i++) {
			if (*fds[i] >= 0) {
				p[n] = (struct pollfd){ .fd = *fds[i], .events = POLLIN };
				which[n++] = fds[i];
			}
		}
		if (n == 0 && leader_exited(&r))
			break;
		if (!r.exited && r.pidfd >= 0) {
			p[n] = (struct pollfd){ .fd = r.pidfd, .events = POLLIN };
			which[n++] = &r.pidfd;
		}
		double left = deadline - clock_mono_sec();
		if (left <= 0) {
			/* Not if it exited and what it left behind keeps writing. */
			out->timed_out = !r.exited;
			break;
		}
		/* Once the leader has exited, what it wrote is in the pipes: take
		 * it without waiting for what it left behind. */
		int ms = (int)fmin(ceil(left * 1000.0), (double)INT_MAX);
		if (r.exited)
			ms = 0;
		else if (r.pidfd < 0 && ms > TICK_MS)
			ms = TICK_MS;
		int k = poll(p, n, ms);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			str_format(err, errlen, "poll: %s", strerror(errno));
			break;
		}
		if (k == 0 && r.exited)
			break;
		for (nfds_t i = 0; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			if (which[i] == &r.pidfd) {
				r.exited = true;
				continue;
			}
			char chunk[4096];
			ssize_t got;
			if (which[i] == &op[0])
				got = read(op[0], obuf + olen, EXEC_MAX_OUTPUT + 1 - olen);
			else
				got = read(*which[i], chunk, sizeof chunk);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				close_fd(which[i]);
				continue;
			}
			size_t g = (size_t)got;
			if (which[i] == &op[0]) {
				olen += g;
				if (olen > EXEC_MAX_OUTPUT)
					too_much = true;
			} else if (which[i] == &ep[0]) {
				size_t keep = g < sizeof ebuf - elen ? g : sizeof ebuf - elen;
				memcpy(ebuf + elen, chunk, keep);
				elen += keep;
			} else if (g >= sizeof exec_errno) {
				memcpy(&exec_errno, chunk, sizeof exec_errno);
			}
		}
		if (too_much)
			break;
		if (r.pidfd < 0)
			(void)leader_exited(&r);
	}

	/* Stop it (politely first) unless it is gone, then whatever is left
	 * of its group, and reap it. */
	if (!leader_exited(&r)) {
		(void)kill(-r.pid, SIGTERM);
		(void)kill(r.pid, SIGTERM); /* should setpgid have failed */
		wait_exit(&r, GRACE_SEC);
	}
	(void)kill(-r.pid, SIGKILL);
	(void)kill(r.pid, SIGKILL);
	int status = 0;
	pid_t w;
	while ((w = waitpid(r.pid, &status, 0)) < 0 && errno == EINTR) {
	}
	if (w == r.pid && WIFEXITED(status))
		out->exit_status = WEXITSTATUS(status);
	if (rc < 0)
		goto out;

	if (exec_errno != 0) {
		rc = -exec_errno;
		str_format(err, errlen, "cannot run %s: %s", path, strerror(exec_errno));
		goto out;
	}
	bool fits = parse(obuf, olen > EXEC_MAX_OUTPUT ? EXEC_MAX_OUTPUT : olen, out);
	char line[STDERR_KEEP + 1];
	first_line(ebuf, elen, line, sizeof line);
	const char *sep = line[0] ? ": " : "";
	if (out->timed_out) {
		rc = -ETIMEDOUT;
		str_format(err, errlen, "timed out after %g s, killed%s%s", timeout, sep, line);
	} else if (too_much) {
		rc = -E2BIG;
		str_format(err, errlen, "more than %d octets of output, killed", EXEC_MAX_OUTPUT);
	} else if (w == r.pid && WIFSIGNALED(status)) {
		rc = -ECHILD;
		str_format(err, errlen, "killed by signal %d%s%s", WTERMSIG(status), sep, line);
	} else if (w != r.pid || !WIFEXITED(status)) {
		rc = -ECHILD;
		str_format(err, errlen, "%s", "its exit status was lost (is SIGCHLD ignored?)");
	} else if (out->exit_status != 0) {
		rc = -ECHILD;
		str_format(err, errlen, "exited %d%s%s", out->exit_status, sep, line);
	} else if (!fits) {
		rc = -E2BIG;
		str_format(err, errlen, "more than %d values", EXEC_MAX_VALUES);
	}
out:
	close_fd(&r.pidfd);
	close_fd(&nul);
	for (size_t i = 0; i < 2; i++) {
		close_fd(&op[i]);
		close_fd(&ep[i]);
		close_fd(&rp[i]);
	}
	if (argv)
		free(argv[0]);
	free(argv);
	free(obuf);
	return rc;
}

int exec_sample(const char *path, char *const *args, double timeout, struct exec_result *out,
		char *err, size_t errlen)
{
	return exec_sample_env(path, args, NULL, timeout, out, err, errlen);
}

/* ---- the collector's `exec` source ---- */

struct exec_src {
	const struct source_params *p;
	struct exec_result r;
	bool bad_lines_logged;
};

static void *exec_src_open(const struct source_params *p, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	struct exec_src *s = mem_calloc(1, sizeof *s);
	s->p = p;
	return s;
}

static int exec_src_sample(void *arg, double timeout, char *err, size_t errlen)
{
	struct exec_src *s = arg;
	(void)timeout; /* its own, from the configuration */
	return exec_sample(s->p->target, s->p->args, s->p->timeout, &s->r, err, errlen);
}

/* Each value as sundial_exec_<name>; bad lines are logged once, not every
 * interval. */
static void exec_src_publish(void *arg, int rc, const struct source_out *o)
{
	struct exec_src *s = arg;
	if (rc != 0)
		return;
	const struct exec_result *r = &s->r;
	for (size_t i = 0; i < r->n; i++) {
		char name[EXEC_NAME_MAX + 16];
		snprintf(name, sizeof name, "sundial_exec_%s", r->v[i].name);
		o->put(o->ctx, name, "A value an exec source printed.", METRIC_GAUGE, NULL,
		       r->v[i].value);
	}
	if (r->bad_lines && !s->bad_lines_logged) {
		log_warn("exec %s: %zu lines are not 'name value', the first: '%s' (said once)",
			 s->p->target, r->bad_lines, r->first_bad);
		s->bad_lines_logged = true;
	}
}

static void exec_src_close(void *arg)
{
	free(arg);
}

const struct source_ops exec_source = {
	.kind = "exec",
	.threaded = true,
	.open = exec_src_open,
	.sample = exec_src_sample,
	.publish = exec_src_publish,
	.close = exec_src_close,
};
