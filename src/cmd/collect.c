/* collect.c - `sundial collect`: the daemon that keeps the history.
 *
 * Start-up order: read the configuration; without -f, detach (fork, setsid,
 * fork) with a pipe back to the first process, which waits for "running"
 * or the reason it is not and exits 0 or 1 with it, so that start-up errors
 * reach the terminal and the exit status; open the sources, captures and
 * the listener; write the pidfile; drop to `user`; run. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <getopt.h>
#include <signal.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/util.h"
#include "collect/collector.h"
#include "collect/config.h"
#include "common/conf.h"
#include "common/log.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 64, EXIT_CONFIG = 78 };

#define DEFAULT_CONF "/etc/sundial/sundial.conf"

static void help(FILE *f)
{
	fprintf(f, "usage: sundial collect [-c FILE] [-f] [--check] [-v]\n"
		   "The daemon: samples every source, keeps RRD history, serves /metrics,\n"
		   "the dashboard (http://127.0.0.1:8770/) and alerts.\n\n"
		   "  -c FILE    configuration (default " DEFAULT_CONF ";\n"
		   "             without it, what runs locally)\n"
		   "  --check    read the configuration, say what is wrong, exit\n"
		   "  -f         stay in the foreground, log to stderr (else detach, syslog)\n"
		   "  -v         more messages;  -h  this help\n"
		   "Exit: 0 stopped by SIGTERM/SIGINT, 1 failed, 64 usage, 78 bad configuration.\n"
		   "See sundial-collect(8) and sundial.conf(5).\n");
}

/* Whether something accepts TCP connections on 127.0.0.1:2947 (gpsd). */
static bool gpsd_listens(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(2947) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	close(fd);
	return ok;
}

/* No file: a chronyd socket or an ntpd on 127.0.0.1, gpsd if it listens on
 * 127.0.0.1:2947, and the host's temperatures, as far as they are there. */
static int default_config(struct collect_config *cfg, char *err, size_t errlen)
{
	char text[512];
	size_t n = 0;
	struct stat st;
	if (stat("/run/chrony/chronyd.sock", &st) == 0)
		n += (size_t)snprintf(text + n, sizeof text - n,
				      "chronyd /run/chrony/chronyd.sock\n");
	else
		n += (size_t)snprintf(text + n, sizeof text - n, "ntpd 127.0.0.1\n");
	if (gpsd_listens())
		n += (size_t)snprintf(text + n, sizeof text - n, "gpsd 127.0.0.1:2947\n");
	if (stat("/sys/class/hwmon", &st) == 0 || stat("/sys/class/thermal", &st) == 0)
		n += (size_t)snprintf(text + n, sizeof text - n, "hwmon\n");
	conf *c = conf_parse("(built-in defaults)", text, n, err, errlen);
	if (!c)
		return -EINVAL;
	int rc = collect_config_from(c, cfg, err, errlen);
	conf_free(c);
	for (size_t i = 0; rc == 0 && i < cfg->n_src; i++)
		log_info("no configuration file: watching %s %s",
			 collect_kind_name(cfg->src[i].kind), cfg->src[i].target);
	return rc;
}

/* SIGHUP: the same file read again; NULL (the message logged) if it is
 * broken or there is no file. */
static struct collect_config *reread(void *arg)
{
	const char *path = arg;
	if (!path)
		return NULL;
	struct collect_config *cfg = calloc(1, sizeof *cfg);
	char err[1024];
	if (!cfg || collect_config_load(path, cfg, err, sizeof err) != 0) {
		log_error("SIGHUP: %s", cfg ? err : "out of memory");
		free(cfg);
		return NULL;
	}
	return cfg;
}

static int drop_to(const char *user, const char *datadir, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		snprintf(err, errlen, "user %s: no such user", user);
		return -ENOENT;
	}
	if (chown(datadir, pw->pw_uid, pw->pw_gid) != 0)
		log_warn("cannot give %s to %s: %s", datadir, user, strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "cannot run as %s: %s", user, strerror(errno));
		return -EPERM;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "privileges could be regained after dropping to %s", user);
		return -EPERM;
	}
	return 0;
}

/* Detaches from the terminal.  Returns in the daemon with *report the
 * pipe to say how starting went (see report()); the first process does not
 * return: it exits with what the daemon reports. */
static int detach(int *report_fd, char *err, size_t errlen)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -EAGAIN;
	}
	if (pid > 0) {
		close(p[1]);
		int wst;
		while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
			;
		char msg[1200];
		size_t n = 0;
		for (;;) {
			ssize_t r = read(p[0], msg + n, sizeof msg - 1 - n);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 || (n += (size_t)r) == sizeof msg - 1)
				break;
		}
		msg[n] = '\0';
		if (strncmp(msg, "running ", 8) == 0)
			_exit(EXIT_OK);
		if (n == 0)
			fprintf(stderr, "sundial collect: the daemon ended while starting; run it "
					"with -f to see why\n");
		else
			fprintf(stderr, "sundial collect: %s\n", msg);
		_exit(EXIT_FAIL);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(EXIT_FAIL);
	pid = fork();
	if (pid != 0) /* the middle process; the first one reaps it */
		_exit(pid < 0 ? EXIT_FAIL : EXIT_OK);
	if (chdir("/") != 0)
		_exit(EXIT_FAIL);
	*report_fd = p[1];
	return 0;
}

/* Tells the waiting first process how starting went ("running ..." or the
 * error) and lets go of the terminal: stdio to /dev/null. */
static void report(int *fd, const char *msg)
{
	if (*fd < 0)
		return;
	size_t len = strlen(msg), off = 0;
	while (off < len) {
		ssize_t w = write(*fd, msg + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(*fd);
	*fd = -1;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
}

/* The pidfile: refused if it names a process that still runs. */
static int write_pidfile(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f) {
		long old = 0;
		bool live = fscanf(f, "%ld", &old) == 1 && old > 0 && old != (long)getpid() &&
			    (kill((pid_t)old, 0) == 0 || errno == EPERM);
		fclose(f);
		if (live) {
			snprintf(err, errlen,
				 "%s: sundial collect already runs as process %ld "
				 "(stop it, or remove the file if that is not it)",
				 path, old);
			return -EEXIST;
		}
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot write the pidfile: %s", path, strerror(errno));
		return -errno;
	}
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	bool ok = write(fd, buf, (size_t)n) == n;
	close(fd);
	if (!ok) {
		snprintf(err, errlen, "%s: cannot write the pidfile", path);
		unlink(path);
		return -EIO;
	}
	return 0;
}

int cmd_collect(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL;
	bool check = false, foreground = false;
	int verbose = 0, ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'C': check = true; break;
		case 'f': foreground = true; break;
		case 'v': verbose++; break;
		case 'h': help(stdout); return EXIT_OK;
		default: return cmd_usage_error("collect", "unknown option");
		}
	}
	if (optind < argc)
		return cmd_usage_error("collect", "unexpected argument '%s'", argv[optind]);
	log_set_verbosity(verbose);

	struct collect_config cfg;
	char err[1024] = "";
	int rc;
	if (file || access(DEFAULT_CONF, F_OK) == 0)
		rc = collect_config_load(file ? file : DEFAULT_CONF, &cfg, err, sizeof err);
	else
		rc = default_config(&cfg, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "sundial collect: %s\n", err);
		return EXIT_CONFIG;
	}
	if (check) {
		printf("%s: %zu sources, data in %s, HTTP on %s\n",
		       file				 ? file
		       : access(DEFAULT_CONF, F_OK) == 0 ? DEFAULT_CONF
							 : "(defaults)",
		       cfg.n_src, cfg.datadir, cfg.listen ? cfg.listen : "(off)");
		collect_config_free(&cfg);
		return EXIT_OK;
	}
	int rep = -1;
	if (!foreground) {
		if (detach(&rep, err, sizeof err) != 0) {
			fprintf(stderr, "sundial collect: %s\n", err);
			collect_config_free(&cfg);
			return EXIT_FAIL;
		}
		log_to_syslog();
	} else if (cfg.syslog) {
		log_to_syslog();
	}
	collector *c = collector_new(&cfg, err, sizeof err);
	bool pid_written = false;
	if (c && cfg.pidfile)
		pid_written = write_pidfile(cfg.pidfile, err, sizeof err) == 0;
	if (!c || (cfg.pidfile && !pid_written) ||
	    (cfg.user && geteuid() == 0 && drop_to(cfg.user, cfg.datadir, err, sizeof err) != 0)) {
		if (rep >= 0)
			report(&rep, err);
		else
			fprintf(stderr, "sundial collect: %s\n", err);
		log_error("%s", err);
		if (pid_written)
			unlink(cfg.pidfile);
		collector_free(c);
		collect_config_free(&cfg);
		return EXIT_FAIL;
	}
	log_info("collecting %zu sources into %s%s%s", cfg.n_src, cfg.datadir,
		 cfg.listen ? ", HTTP on " : "", cfg.listen ? cfg.listen : "");
	char started[64];
	snprintf(started, sizeof started, "running as process %ld", (long)getpid());
	report(&rep, started);
	const char *path = file ? file : access(DEFAULT_CONF, F_OK) == 0 ? DEFAULT_CONF : NULL;
	rc = collector_run(c, reread, (void *)(uintptr_t)path);
	collector_free(c);
	if (pid_written && unlink(cfg.pidfile) != 0 && errno != ENOENT)
		log_warn("%s: cannot remove the pidfile: %s", cfg.pidfile, strerror(errno));
	collect_config_free(&cfg);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
