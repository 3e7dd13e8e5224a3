/* main.c - `sundial COMMAND [ARGS]`: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "common/log.h"

#ifndef SUNDIAL_VERSION
#define SUNDIAL_VERSION "0.1.0"
#endif

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *what;
} commands[] = {
	{ "query", cmd_query, "ask time servers for the time, as a client would" },
	{ "status", cmd_status, "a time daemon's own view, from ntpd or chronyd" },
	{ "traffic", cmd_traffic,
	  "a time server's clients, rates and response times, from packets" },
	{ "collect", cmd_collect, "the daemon: history in RRD files, /metrics, dashboard" },
	{ "graph", cmd_graph, "draw stored history as SVG or PNG files, without the daemon" },
	{ "snmp", cmd_snmp, "read an SNMP agent once through a profile (Meinberg, hosts)" },
	{ "noise", cmd_noise, "who scans what: unsolicited traffic in captures" },
	{ "trace", cmd_trace, "layer-4 traceroute over several protocols, where paths part" },
	{ "outage", cmd_outage, "probe a service at a fixed rate and measure each outage" },
	{ "dnssec", cmd_dnssec, "signatures of a zone: expired, TTLs beyond expiration, bad" },
	{ "atlas", cmd_atlas, "RIPE Atlas NTP results: per probe and overall" },
	{ "stats", cmd_stats, "percentile tables and graphs of ntpd, chrony and Pool logs" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: sundial COMMAND [OPTIONS] [ARGS]\n\n"
		   "sundial monitors time servers and the network around them.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n'sundial COMMAND --help' shows a command's options;\n"
		   "'man sundial-COMMAND' explains it.\n");
}

int main(int argc, char **argv)
{
	log_init("sundial");
	if (argc < 2) {
		usage(stderr);
		return 64;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("sundial %s\n", SUNDIAL_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sundial: unknown command '%s'; 'sundial --help' lists them\n", argv[1]);
	return 64;
}
