/* config.h - what `sundial collect` is told to do: the directives of its
 * configuration file (read by common/conf) turned into settings and a list
 * of sources, every mistake reported as "FILE:LINE: what was expected".
 *
 *   datadir PATH            where the RRD files live (absolute; default
 *                           /var/lib/sundial)
 *   listen ADDR:PORT | off  HTTP (/metrics, /api); default 127.0.0.1:8770
 *   interval DUR            default sampling interval (1 s .. 1 d; 60 s)
 *   user NAME               run as NAME after opening captures and sockets
 *   rrdcached ADDR          write through rrdcached (unix:/path, host:port)
 *   pidfile PATH            write the daemon's process ID there (absolute)
 *   log stderr | syslog     (without -f the daemon always uses syslog)
 *   alert METRIC ...        an alert rule (collect/alert.h); added to the
 *                           defaults, replacing one of the same name
 *   alert defaults on|off   the built-in rules (default on)
 *   notify PATH [ARG...] [timeout DUR]   run on every alert change
 *                           (collect/notify.h; timeout default 10 s, <= 5 m)
 *   agentx [SOCKET]         show the main values to the host's snmpd as an
 *                           AgentX subagent (net/agentx.h; SOCKET an
 *                           absolute path or tcp:HOST:PORT, default
 *                           /var/agentx/master)
 *
 *   server HOST[:PORT] [key ID keyfile FILE] [interval DUR]
 *   server HOST[:KEPORT] nts [ca FILE] [interval DUR]   (NTS: the NTS-KE
 *                           server; the NTP server and port it names)
 *   ntpd HOST[:PORT] [key ID keyfile FILE] [interval DUR]
 *   chronyd HOST[:PORT] | /SOCKET [interval DUR]
 *   gpsd [HOST:PORT] [interval DUR]          (default 127.0.0.1:2947)
 *   capture IFACE [port N] [interval DUR]
 *   hwmon [ROOT] [interval DUR]              (default /sys)
 *   exec PATH [ARG...] [timeout DUR] [interval DUR]
 *   snmp HOST[:PORT] credentials FILE [profile NAME|PATH] [timeout DUR]
 *        [retries N] [interval DUR]
 *                           an SNMP agent (sources/snmp.h): the profile
 *                           by name (sources/snmp.h says where it is
 *                           looked for) or path, default: detected; the
 *                           timeout of one try (default 1 s, at most 30 s)
 *                           and the tries after it (default 1, at most 5)
 *   adsb FOLDER|URL [interval DUR]
 *                           an ADS-B receiver's JSON files (sources/adsb.h):
 *                           dump1090's folder (/run/dump1090-fa) or its URL
 *                           (http://127.0.0.1:8080/data)
 *
 * Settings may be given once; a source may be given once per target. */
#ifndef SUNDIAL_COLLECT_CONFIG_H
#define SUNDIAL_COLLECT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "collect/alert.h"
#include "common/conf.h"

enum collect_kind {
	COLLECT_SERVER,
	COLLECT_NTPD,
	COLLECT_CHRONYD,
	COLLECT_GPSD,
	COLLECT_CAPTURE,
	COLLECT_HWMON,
	COLLECT_EXEC,
	COLLECT_SNMP,
	COLLECT_ADSB,
};

const char *collect_kind_name(enum collect_kind k); /* the directive: "server", ... */

struct collect_source {
	enum collect_kind kind;
	char *target;	      /* see above; exec: the program's path; adsb: folder or URL */
	double interval;      /* seconds */
	unsigned long key_id; /* server, ntpd: 0 for none */
	char *keyfile;	      /* with key_id */
	bool nts;	      /* server: NTS */
	char *ca;	      /* server with nts: CA file (NULL: the system's) */
	unsigned port;	      /* capture: the NTP port (123) */
	double timeout;	      /* exec: seconds (default: the interval, at most 60 s);
				 snmp: of one try (default 1 s) */
	char *profile;	      /* snmp: NULL: detect */
	char *credentials;    /* snmp */
	unsigned retries;     /* snmp */
	char **args;	      /* exec: the arguments after the path, NULL-terminated */
	size_t n_args;
	char *file; /* where it was declared */
	unsigned line;
};

struct collect_config {
	char *datadir;
	char *listen; /* NULL: off */
	double interval;
	char *user;		   /* NULL: stay as started */
	char *rrdcached;	   /* NULL: write the files directly */
	char *pidfile;		   /* NULL: none */
	struct alert_rule *alerts; /* the alert directives, in file order */
	size_t n_alerts;
	bool alert_defaults_off;
	char *notify;	    /* NULL: none */
	char **notify_args; /* NULL-terminated */
	double notify_timeout;
	bool syslog;
	bool agentx;	     /* the agentx directive was given ... */
	char *agentx_socket; /* ... with this socket (NULL: net-snmp's default) */
	struct collect_source *src;
	size_t n_src;
};

/* Reads the file at path (with its includes) into *out.  0, or -EINVAL
 * (with the message in err) and *out left empty. */
int collect_config_load(const char *path, struct collect_config *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));
/* The same from lines already read. */
int collect_config_from(const conf *c, struct collect_config *out, char *err, size_t errlen)
	__attribute__((warn_unused_result));

void collect_config_free(struct collect_config *c); /* the contents; accepts zeroed */

#endif
