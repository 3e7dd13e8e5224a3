/* snmp_probe.c - a test-only driver of net/snmp_client for
 * tests/system/snmp_client.sh: one GET or GETBULK walk against an agent,
 * the values on standard output, one per line:
 *
 *   .OID TYPE VALUE
 *
 * (numbers in decimal, strings as they came with control characters as
 * '.', an OID value as dotted text), and on failure one line on standard
 * error, "error: KIND: MESSAGE", exit 2.  Usage errors exit 64.  "# took S"
 * on standard error gives the time the request took.
 *
 *   snmp_probe -c CREDS [-t TIMEOUT] [-r RETRIES] [-m MAXREP] [-l LIMIT]
 *              [-e] HOST PORT get OID... | walk OID
 *
 * -e drives the client as an event loop would (its own poll() on
 * snmp_client_fd() and snmp_client_next_timeout(), the done callback)
 * instead of snmp_client_run(). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "net/snmp_client.h"

static int usage(void)
{
	fprintf(stderr, "usage: snmp_probe -c CREDS [-t TIMEOUT] [-r RETRIES] [-m MAXREP] "
			"[-l LIMIT] [-e] HOST PORT get OID... | walk OID\n");
	return 64;
}

static void print_value(const struct snmp_client_value *v)
{
	char oid[SNMP_CLIENT_OID_TEXT_MAX];
	snmp_client_oid_format(&v->oid, oid, sizeof oid);
	printf(".%s %s ", oid, snmp_client_type_name(v->type));
	switch (v->type) {
	case SNMP_CLIENT_T_INTEGER: printf("%lld", (long long)v->i); break;
	case SNMP_CLIENT_T_UNSIGNED:
	case SNMP_CLIENT_T_COUNTER32:
	case SNMP_CLIENT_T_COUNTER64:
	case SNMP_CLIENT_T_TIMETICKS: printf("%llu", (unsigned long long)v->u); break;
	case SNMP_CLIENT_T_FLOAT: printf("%.17g", v->d); break;
	case SNMP_CLIENT_T_OID: printf(".%s", v->str); break; /* as snmpwalk -On */
	default:
		for (size_t i = 0; i < v->str_len; i++) {
			unsigned char ch = (unsigned char)v->str[i];
			putchar(ch >= 0x20 && ch < 0x7f ? ch : '.');
		}
		break;
	}
	putchar('\n');
}

static bool ended;

static void on_done(snmp_client *c, void *arg)
{
	(void)c;
	(void)arg;
	ended = true;
}

int main(int argc, char **argv)
{
	const char *creds_path = NULL;
	double timeout = 1, limit = 0;
	unsigned retries = 0, maxrep = 0;
	bool event_loop = false;
	int opt;
	log_init("snmp_probe");
	while ((opt = getopt(argc, argv, "c:t:r:m:l:ev")) != -1) {
		switch (opt) {
		case 'c': creds_path = optarg; break;
		case 't': timeout = atof(optarg); break;
		case 'r': retries = (unsigned)atoi(optarg); break;
		case 'm': maxrep = (unsigned)atoi(optarg); break;
		case 'l': limit = atof(optarg); break;
		case 'e': event_loop = true; break;
		case 'v': log_set_verbosity(2); break;
		default: return usage();
		}
	}
	if (!creds_path || argc - optind < 4)
		return usage();
	const char *host = argv[optind];
	unsigned port = (unsigned)atoi(argv[optind + 1]);
	const char *cmd = argv[optind + 2];
	size_t n = (size_t)(argc - optind - 3);
	struct snmp_client_oid *oids = calloc(n, sizeof *oids);
	if (!oids)
		return 70;
	for (size_t i = 0; i < n; i++) {
		if (!snmp_client_oid_parse(argv[optind + 3 + (int)i], &oids[i])) {
			fprintf(stderr, "error: usage: '%s' is not a numeric OID\n",
				argv[optind + 3 + (int)i]);
			free(oids);
			return 64;
		}
	}
	bool walk = strcmp(cmd, "walk") == 0;
	if ((!walk && strcmp(cmd, "get") != 0) || (walk && n != 1)) {
		free(oids);
		return usage();
	}

	char err[512];
	struct snmp_client_creds creds;
	int rc = snmp_client_creds_load(creds_path, &creds, err, sizeof err);
	if (rc != 0) {
		fprintf(stderr, "error: credentials: %s\n", err);
		free(oids);
		return 2;
	}
	struct snmp_client_opts o = {
		.host = host,
		.port = port,
		.creds = &creds,
		.timeout = timeout,
		.retries = retries,
		.max_rep = maxrep,
		.done = event_loop ? on_done : NULL,
	};
	snmp_client *c = snmp_client_new(&o, err, sizeof err);
	snmp_client_creds_wipe(&creds);
	if (!c) {
		fprintf(stderr, "error: open: %s\n", err);
		free(oids);
		return 2;
	}
	double t0 = clock_mono_sec();
	rc = walk ? snmp_client_walk(c, &oids[0]) : snmp_client_get(c, oids, n);
	if (rc != 0) {
		fprintf(stderr, "error: start: %s\n", strerror(-rc));
		snmp_client_free(c);
		free(oids);
		return 2;
	}
	if (event_loop) {
		int fd = snmp_client_fd(c);
		ended = snmp_client_status(c) != SNMP_CLIENT_PENDING;
		while (!ended) {
			double t = snmp_client_next_timeout(c);
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int r = poll(&p, 1, t < 0 ? 1000 : (int)(t * 1000) + 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r > 0)
				snmp_client_readable(c);
			else
				snmp_client_timeout(c);
		}
	} else {
		(void)snmp_client_run(c, limit);
	}
	fprintf(stderr, "# took %.3f s, %lu requests\n", clock_mono_sec() - t0,
		snmp_client_requests(c));
	enum snmp_client_err e = snmp_client_status(c);
	struct snmp_client_result res;
	snmp_client_take(c, &res);
	for (size_t i = 0; i < res.n; i++)
		print_value(&res.v[i]);
	if (e != SNMP_CLIENT_OK)
		fprintf(stderr, "error: %s: %s\n", snmp_client_err_name(e), snmp_client_errmsg(c));
	snmp_client_result_free(&res);
	snmp_client_free(c);
	free(oids);
	return e == SNMP_CLIENT_OK ? 0 : 2;
}
