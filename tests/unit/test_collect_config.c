/* test_collect_config.c - the collector's directives: a full file, the
 * defaults, every directive's errors (file:line and what was expected),
 * settings given twice, a source given twice, adsb's folders and URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/config.h"

static int load(const char *text, struct collect_config *c, char *err, size_t errlen)
{
	char e[512] = "";
	conf *cf = conf_parse("t.conf", text, strlen(text), e, sizeof e);
	if (!cf) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	int rc = collect_config_from(cf, c, err, errlen);
	conf_free(cf);
	return rc;
}

static void full_file(void **st)
{
	(void)st;
	const char *text =
		"datadir /srv/sundial\n"
		"listen [::1]:9123\n"
		"interval 30s\n"
		"user sundial\n"
		"rrdcached unix:/run/rrdcached.sock\n"
		"log syslog\n"
		"pidfile /run/sundial.pid\n"
		"alert defaults off\n"
		"alert sundial_daemon_offset_seconds abs > 0.010 warn, abs > 0.100 crit hold 2\n"
		"alert sundial_query_up == 0 crit name server-down\n"
		"notify /usr/local/bin/page-me --to ops timeout 20s\n"
		"server time.example.net\n"
		"server 192.0.2.10:1123 key 5 keyfile /etc/ntpsec/ntp.keys interval 5m\n"
		"ntpd 127.0.0.1\n"
		"chronyd /run/chrony/chronyd.sock interval 10s\n"
		"gpsd\n"
		"capture eth0 port 11123\n"
		"hwmon\n"
		"exec /usr/local/bin/power-meter --watts \"a b\" timeout 5s interval 300\n"
		"server nts.example.net:4460 nts ca /etc/ssl/ca.pem interval 1m\n"
		"agentx /run/agentx/master\n"
		"snmp 192.0.2.20 credentials /etc/sundial/lantime.creds profile meinberg retries 3 "
		"timeout 2s interval 1m\n"
		"snmp [2001:db8::1]:1161 credentials /etc/sundial/host.creds\n";
	struct collect_config c;
	char err[512] = "";
	assert_int_equal(load(text, &c, err, sizeof err), 0);
	assert_string_equal(c.datadir, "/srv/sundial");
	assert_string_equal(c.listen, "[::1]:9123");
	assert_true(c.interval == 30);
	assert_string_equal(c.user, "sundial");
	assert_string_equal(c.rrdcached, "unix:/run/rrdcached.sock");
	assert_true(c.syslog);
	assert_string_equal(c.pidfile, "/run/sundial.pid");
	assert_true(c.alert_defaults_off);
	assert_int_equal(c.n_alerts, 2);
	assert_string_equal(c.alerts[0].metric, "sundial_daemon_offset_seconds");
	assert_int_equal(c.alerts[0].hold, 2);
	assert_true(c.alerts[0].warn.set && c.alerts[0].warn.abs && c.alerts[0].warn.value == 0.01);
	assert_true(c.alerts[0].crit.set && c.alerts[0].crit.value == 0.1);
	assert_string_equal(c.alerts[1].name, "server-down");
	assert_string_equal(c.notify, "/usr/local/bin/page-me");
	assert_string_equal(c.notify_args[0], "--to");
	assert_string_equal(c.notify_args[1], "ops");
	assert_null(c.notify_args[2]);
	assert_true(c.notify_timeout == 20);
	assert_int_equal(c.n_src, 11);
	assert_true(c.agentx);
	assert_string_equal(c.agentx_socket, "/run/agentx/master");
	const struct collect_source *s = c.src;
	assert_int_equal(s[0].kind, COLLECT_SERVER);
	assert_string_equal(s[0].target, "time.example.net");
	assert_true(s[0].interval == 30); /* the default */
	assert_int_equal(s[0].key_id, 0);
	assert_string_equal(s[1].target, "192.0.2.10:1123");
	assert_int_equal(s[1].key_id, 5);
	assert_string_equal(s[1].keyfile, "/etc/ntpsec/ntp.keys");
	assert_true(s[1].interval == 300);
	assert_int_equal(s[2].kind, COLLECT_NTPD);
	assert_int_equal(s[3].kind, COLLECT_CHRONYD);
	assert_string_equal(s[3].target, "/run/chrony/chronyd.sock");
	assert_true(s[3].interval == 10);
	assert_int_equal(s[4].kind, COLLECT_GPSD);
	assert_string_equal(s[4].target, "127.0.0.1:2947");
	assert_int_equal(s[5].kind, COLLECT_CAPTURE);
	assert_string_equal(s[5].target, "eth0");
	assert_int_equal(s[5].port, 11123);
	assert_int_equal(s[6].kind, COLLECT_HWMON);
	assert_string_equal(s[6].target, "/sys");
	assert_int_equal(s[7].kind, COLLECT_EXEC);
	assert_string_equal(s[7].target, "/usr/local/bin/power-meter");
	assert_int_equal(s[7].n_args, 2);
	assert_string_equal(s[7].args[0], "--watts");
	assert_string_equal(s[7].args[1], "a b");
	assert_null(s[7].args[2]);
	assert_true(s[7].timeout == 5 && s[7].interval == 300);
	assert_string_equal(s[7].file, "t.conf");
	assert_int_equal(s[7].line, 19);
	assert_string_equal(collect_kind_name(s[7].kind), "exec");
	assert_int_equal(s[8].kind, COLLECT_SERVER);
	assert_string_equal(s[8].target, "nts.example.net:4460");
	assert_true(s[8].nts);
	assert_string_equal(s[8].ca, "/etc/ssl/ca.pem");
	assert_true(s[8].interval == 60);
	assert_false(s[0].nts);
	assert_null(s[0].ca);
	assert_int_equal(s[9].kind, COLLECT_SNMP);
	assert_string_equal(collect_kind_name(s[9].kind), "snmp");
	assert_string_equal(s[9].target, "192.0.2.20");
	assert_string_equal(s[9].credentials, "/etc/sundial/lantime.creds");
	assert_string_equal(s[9].profile, "meinberg");
	assert_int_equal(s[9].retries, 3);
	assert_true(s[9].timeout == 2 && s[9].interval == 60);
	assert_string_equal(s[10].target, "[2001:db8::1]:1161");
	assert_null(s[10].profile); /* detected */
	assert_int_equal(s[10].retries, 1);
	assert_true(s[10].timeout == 1 && s[10].interval == 30);
	collect_config_free(&c);
}

static void defaults(void **st)
{
	(void)st;
	struct collect_config c;
	char err[512] = "";
	assert_int_equal(load("exec /bin/true\nlisten off\n", &c, err, sizeof err), 0);
	assert_string_equal(c.datadir, "/var/lib/sundial");
	assert_null(c.listen);
	assert_true(c.interval == 60);
	assert_null(c.user);
	assert_null(c.rrdcached);
	assert_false(c.syslog);
	assert_null(c.pidfile);
	assert_false(c.alert_defaults_off);
	assert_int_equal(c.n_alerts, 0);
	assert_null(c.notify);
	assert_true(c.src[0].timeout == 60 && c.src[0].interval == 60);
	collect_config_free(&c);
	assert_int_equal(load("", &c, err, sizeof err), 0);
	assert_string_equal(c.listen, "127.0.0.1:8770");
	assert_int_equal(c.n_src, 0);
	collect_config_free(&c);
	assert_int_equal(load("interval 10\nexec /bin/true\n", &c, err, sizeof err), 0);
	assert_true(c.src[0].timeout == 10); /* below the interval */
	collect_config_free(&c);
}

/* adsb: a folder or an http(s) URL, the interval; its kind's name. */
static void adsb(void **st)
{
	(void)st;
	struct collect_config c;
	char err[512] = "";
	assert_int_equal(load("interval 30s\n"
			      "adsb /run/dump1090-fa\n"
			      "adsb http://127.0.0.1:8080/data interval 5s\n"
			      "adsb https://[2001:db8::1]/tar1090/data/\n"
			      "adsb /run/readsb/ interval 1m\n",
			      &c, err, sizeof err),
			 0);
	assert_int_equal(c.n_src, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(c.src[i].kind, COLLECT_ADSB);
		assert_string_equal(collect_kind_name(c.src[i].kind), "adsb");
		assert_null(c.src[i].args);
		assert_int_equal(c.src[i].line, i + 2);
	}
	assert_string_equal(c.src[0].target, "/run/dump1090-fa");
	assert_true(c.src[0].interval == 30); /* the default */
	assert_string_equal(c.src[1].target, "http://127.0.0.1:8080/data");
	assert_true(c.src[1].interval == 5);
	assert_string_equal(c.src[2].target, "https://[2001:db8::1]/tar1090/data/");
	assert_string_equal(c.src[3].target, "/run/readsb/");
	assert_true(c.src[3].interval == 60);
	collect_config_free(&c);
}

static void errors(void **st)
{
	(void)st;
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "frobnicate 1\n", "t.conf:1: unknown directive 'frobnicate'" },
		{ "datadir relative/path\n", "t.conf:1: datadir must be an absolute path" },
		{ "datadir /a /b\n", "t.conf:1: datadir takes one argument" },
		{ "\ndatadir /a\ndatadir /b\n",
		  "t.conf:3: datadir given again (first at t.conf:2)" },
		{ "listen 127.0.0.1\n", "t.conf:1: listen: expected ADDRESS:PORT" },
		{ "listen ::1:80\n", "t.conf:1: listen: expected ADDRESS:PORT" },
		{ "listen 127.0.0.1:70000\n", "t.conf:1: listen: expected ADDRESS:PORT" },
		{ "interval 0.5s\n", "t.conf:1: interval: expected a duration from 1s to 1d" },
		{ "interval 2d\n", "t.conf:1: interval: expected a duration from 1s to 1d" },
		{ "interval soon\n", "t.conf:1: interval: expected a duration" },
		{ "rrdcached /tmp/x\n", "t.conf:1: rrdcached: expected unix:/path or host:port" },
		{ "log journal\n", "t.conf:1: log: expected stderr or syslog" },
		{ "pidfile run/x.pid\n",
		  "t.conf:1: pidfile must be an absolute path, not 'run/x.pid'" },
		{ "pidfile\n", "t.conf:1: pidfile takes one argument: an absolute path" },
		{ "pidfile /a\npidfile /b\n", "t.conf:2: pidfile given again (first at t.conf:1)" },
		{ "server\n", "t.conf:1: server: expected HOST[:PORT]" },
		{ "server a b\n", "t.conf:1: server: expected HOST[:PORT]" },
		{ "server a:0\n", "t.conf:1: server: expected HOST[:PORT]" },
		{ "server a nts extra\n",
		  "t.conf:1: nts: expected 'server HOST[:PORT] nts [ca FILE]" },
		{ "server a ca /etc/ca.pem\n", "t.conf:1: ca: only with nts" },
		{ "server a nts ca etc/ca.pem\n",
		  "t.conf:1: ca: expected the absolute path of a CA file" },
		{ "server a nts key 1 keyfile /k\n",
		  "t.conf:1: server: nts and key cannot be combined" },
		{ "ntpd a nts\n", "t.conf:1: nts: expected" },
		{ "server a key 5\n", "t.conf:1: key: expected key ID keyfile FILE" },
		{ "server a key 0 keyfile /k\n",
		  "t.conf:1: key: expected a key id from 1 to 65535" },
		{ "server a interval 1d interval 2m\n", "t.conf:1: interval given twice" },
		{ "server a port 5\n", "t.conf:1: server: expected HOST[:PORT]" },
		{ "chronyd\n", "t.conf:1: chronyd: expected HOST[:PORT] or the path" },
		{ "gpsd localhost\n", "t.conf:1: gpsd: expected [HOST:PORT]" },
		{ "capture\n", "t.conf:1: capture: expected an interface name" },
		{ "capture eth0 port 0\n", "t.conf:1: port: expected a number from 1 to 65535" },
		{ "hwmon sys\n", "t.conf:1: hwmon: expected [ROOT]" },
		{ "exec power-meter\n", "t.conf:1: exec: expected the absolute path of a program" },
		{ "exec /bin/x timeout 2m\n", "t.conf:1: timeout: expected a duration up to 60s" },
		{ "ntpd 127.0.0.1\nntpd 127.0.0.1\n",
		  "t.conf:2: ntpd 127.0.0.1 given again (first at t.conf:1)" },
		{ "adsb\n", "t.conf:1: adsb: expected dump1090's JSON folder" },
		{ "adsb /dev/ttyUSB0 /run/x\n", "t.conf:1: adsb: expected dump1090's JSON folder" },
		{ "adsb run/dump1090-fa\n", "t.conf:1: adsb: expected dump1090's JSON folder" },
		{ "adsb ftp://pi/data\n", "t.conf:1: adsb: expected dump1090's JSON folder" },
		{ "adsb http://\n", "t.conf:1: adsb: expected dump1090's JSON folder" },
		{ "adsb http://pi/data?refresh=1\n",
		  "t.conf:1: adsb: expected dump1090's JSON folder" },
		{ "adsb \"/run/dump 1090\"\n", "t.conf:1: adsb: expected dump1090's JSON folder" },
		{ "adsb /run/dump1090-fa timeout 5s\n",
		  "t.conf:1: adsb: expected dump1090's JSON folder" },
		{ "adsb /run/dump1090-fa port 8080\n",
		  "t.conf:1: adsb: expected dump1090's JSON folder" },
		{ "adsb /run/dump1090-fa interval 0.5s\n",
		  "t.conf:1: interval: expected a duration from 1s to 1d, not '0.5s'" },
		{ "adsb http://pi/data\nadsb http://pi/data\n",
		  "t.conf:2: adsb http://pi/data given again (first at t.conf:1)" },
		{ "snmp lantime\n", "t.conf:1: snmp: credentials FILE is required" },
		{ "snmp lantime credentials c\n",
		  "t.conf:1: credentials: expected the absolute path of a file, not 'c'" },
		{ "snmp credentials /c\n", "t.conf:1: snmp: expected HOST[:PORT] credentials" },
		{ "snmp a b credentials /c\n", "t.conf:1: snmp: expected HOST[:PORT] credentials" },
		{ "snmp a credentials /c credentials /d\n", "t.conf:1: credentials given twice" },
		{ "snmp a credentials /c timeout 1m\n",
		  "t.conf:1: timeout: expected a duration from 10ms to 30s, not '1m'" },
		{ "snmp a credentials /c timeout 5ms\n",
		  "t.conf:1: timeout: expected a duration from 10ms to 30s" },
		{ "snmp a credentials /c retries 6\n",
		  "t.conf:1: retries: expected a number from 0 to 5, not '6'" },
		{ "snmp a credentials /c profile x profile y\n", "t.conf:1: profile given twice" },
		{ "snmp a credentials /c\nsnmp a credentials /d\n",
		  "t.conf:2: snmp a given again (first at t.conf:1)" },
		{ "server a profile host\n", "t.conf:1: server: expected HOST[:PORT]" },
		{ "agentx relative/sock\n", "t.conf:1: agentx: expected [SOCKET]" },
		{ "agentx tcp:host\n", "t.conf:1: agentx: expected [SOCKET]" },
		{ "agentx /a /b\n", "t.conf:1: agentx: expected [SOCKET]" },
		{ "agentx\nagentx\n", "t.conf:2: agentx given again (first at t.conf:1)" },
		{ "alert ntp.offset abs > 0.01\n", "t.conf:1: alert: " },
		{ "alert\n", "t.conf:1: alert: expected METRIC COND warn|crit" },
		{ "alert defaults maybe\n", "t.conf:1: alert defaults: expected on or off" },
		{ "alert defaults off\nalert defaults on\n",
		  "t.conf:2: alert defaults given again (first at t.conf:1)" },
		{ "alert m > 1 warn\nalert m > 1 warn\n",
		  "t.conf:2: alert 'm > 1' given twice (name one with 'name NAME')" },
		{ "notify\n", "t.conf:1: notify: expected an absolute path to a program" },
		{ "notify page-me\n", "t.conf:1: notify: expected an absolute path to a program" },
		{ "notify /bin/x timeout 10m\n",
		  "t.conf:1: notify: timeout: expected a duration up to 5m, not '10m'" },
		{ "notify /bin/x\nnotify /bin/y\n",
		  "t.conf:2: notify given again (first at t.conf:1)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct collect_config c;
		memset(&c, 0x5a, sizeof c);
		char err[512] = "";
		int rc = load(cases[i].text, &c, err, sizeof err);
		if (rc == 0 || strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			printf("# case %zu: '%s' gave '%s'\n", i, cases[i].text, err);
		assert_int_equal(rc, -22);
		assert_true(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0);
		assert_null(c.src); /* left empty */
		assert_null(c.datadir);
	}
}

static void from_file(void **st)
{
	(void)st;
	char dir[] = "/tmp/sundial-cc.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], inc[256];
	snprintf(path, sizeof path, "%s/sundial.conf", dir);
	snprintf(inc, sizeof inc, "%s/sources.conf", dir);
	FILE *f = fopen(inc, "w");
	assert_non_null(f);
	fputs("chronyd 127.0.0.1\nntpd ::1 interval 0\n", f);
	fclose(f);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("datadir /srv/x\ninclude sources.conf\n", f);
	fclose(f);
	struct collect_config c;
	char err[512] = "";
	assert_int_equal(collect_config_load(path, &c, err, sizeof err), -22);
	char want[600];
	snprintf(want, sizeof want, "%s:2: interval: expected a duration", inc);
	assert_true(strncmp(err, want, strlen(want)) == 0);
	remove(inc);
	remove(path);
	assert_int_equal(collect_config_load(path, &c, err, sizeof err), -22);
	assert_non_null(strstr(err, "sundial.conf"));
	remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_file), cmocka_unit_test(defaults),  cmocka_unit_test(adsb),
		cmocka_unit_test(errors),    cmocka_unit_test(from_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
