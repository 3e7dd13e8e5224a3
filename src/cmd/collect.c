/* collect.c - `sundial collect`: the daemon that keeps the history (issue 5,
 * in progress: server, ntpd, chronyd and hwmon sources, SIGHUP reload; gpsd,
 * capture and exec, the JSON API and syslog are still to come). */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
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
	fprintf(f, "usage: sundial collect [-c FILE] [--check] [-v]\n"
		   "The daemon: samples every source, keeps RRD history, serves /metrics.\n\n"
		   "  -c FILE    configuration (default " DEFAULT_CONF
		   "; without it, what runs locally)\n"
		   "  --check    read the configuration, say what is wrong, exit\n"
		   "  -f         stay in the foreground (it always does, for now)\n"
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

static int drop_to(const char *user, const char *datadir)
{
	struct passwd *pw = getpwnam(user);
	if (!pw) {
		log_error("user %s: no such user", user);
		return -ENOENT;
	}
	if (chown(datadir, pw->pw_uid, pw->pw_gid) != 0)
		log_warn("cannot give %s to %s: %s", datadir, user, strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		log_error("cannot run as %s: %s", user, strerror(errno));
		return -EPERM;
	}
	if (setuid(0) == 0) {
		log_error("privileges could be regained after dropping to %s", user);
		return -EPERM;
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
	bool check = false;
	int verbose = 0, ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:fvh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': file = optarg; break;
		case 'C': check = true; break;
		case 'f': break;
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
	if (cfg.syslog)
		log_to_syslog();
	collector *c = collector_new(&cfg, err, sizeof err);
	if (!c) {
		fprintf(stderr, "sundial collect: %s\n", err);
		collect_config_free(&cfg);
		return EXIT_FAIL;
	}
	if (cfg.user && geteuid() == 0 && drop_to(cfg.user, cfg.datadir) != 0) {
		collector_free(c);
		collect_config_free(&cfg);
		return EXIT_FAIL;
	}
	log_info("collecting %zu sources into %s%s%s", cfg.n_src, cfg.datadir,
		 cfg.listen ? ", HTTP on " : "", cfg.listen ? cfg.listen : "");
	const char *path = file ? file : access(DEFAULT_CONF, F_OK) == 0 ? DEFAULT_CONF : NULL;
	rc = collector_run(c, reread, (void *)(uintptr_t)path);
	collector_free(c);
	collect_config_free(&cfg);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
