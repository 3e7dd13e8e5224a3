#!/bin/bash
# agentx.sh - the collector's AgentX subagent (net/agentx.c) under
# net-snmp's snmpd as the master, with net-snmp's snmpwalk, snmpbulkwalk,
# snmpget and snmpset as the oracle:
#   - snmpd on loopback with "master agentx" on a Unix socket of the test;
#     chronyd (its command socket and its NTP port) and `sundial collect`
#     with a chronyd source, a server source against it and "agentx
#     SOCKET";
#   - a walk of sundialMIB (1.3.6.1.4.1.8072.9999.9999.7625): the source
#     count is 2, the kinds and targets are the configuration's, both
#     sources up; the offsets in nanoseconds (and as "%.9f" text) are what
#     /metrics says (sundial_daemon_offset_seconds,
#     sundial_query_offset_seconds) between two reads of it around the
#     walk, and so is the jitter (sundial_daemon_jitter_seconds); the
#     strata are /metrics'; a GETBULK walk gives the same OIDs;
#   - a GET of an absent value (the clients of the chronyd source):
#     noSuchInstance; of the not-accessible index: noSuchObject; a SET:
#     notWritable;
#   - the walk by name with SUNDIAL-MIB loaded (doc/SUNDIAL-MIB.txt) shows
#     the objects' names and enumerations; snmptranslate -Pe of the MIB:
#     no warning, exit 0;
#   - snmpd restarted: the values come back within the ping interval
#     (AGENTX_PING_INTERVAL, 5 s) and a little;
#   - the collector stopped (exit 0): the subtree is gone from snmpd
#     (noSuchObject).
#
# Environment: SNMPD, SNMPGET, SNMPWALK, SNMPBULKWALK, SNMPSET,
# SNMPTRANSLATE, ERLANG_MIBS (the folder with SNMPv2-SMI.mib & co: Debian's
# erlang-snmp; its own glob by default).

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

SNMPD=${SNMPD:-/usr/sbin/snmpd}
SNMPGET=${SNMPGET:-snmpget}
SNMPWALK=${SNMPWALK:-snmpwalk}
SNMPBULKWALK=${SNMPBULKWALK:-snmpbulkwalk}
SNMPSET=${SNMPSET:-snmpset}
SNMPTRANSLATE=${SNMPTRANSLATE:-snmptranslate}
MIB_FILE=$(dirname "$TESTS_DIR")/doc/SUNDIAL-MIB.txt
PING=5 # AGENTX_PING_INTERVAL (net/agentx.h)

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
[ -x "$SNMPD" ] || bail_out "net-snmp's snmpd ($SNMPD) is not installed (scripts/install-deps)"
for t in "$SNMPGET" "$SNMPWALK" "$SNMPBULKWALK" "$SNMPSET" "$SNMPTRANSLATE" curl; do
	command -v "$t" >/dev/null 2>&1 || bail_out "$t is not installed (scripts/install-deps: snmp, curl)"
done
[ -s "$MIB_FILE" ] || bail_out "$MIB_FILE is missing or empty"
if [ -z "${ERLANG_MIBS:-}" ]; then
	for d in /usr/lib/erlang/lib/snmp-*/mibs; do [ -d "$d" ] && ERLANG_MIBS=$d; done
fi
if [ -z "${ERLANG_MIBS:-}" ] || [ ! -f "$ERLANG_MIBS/SNMPv2-SMI.mib" ]; then
	bail_out "SNMPv2-SMI as text is missing (scripts/install-deps: erlang-snmp)"
fi
MIBPATH=$(dirname "$MIB_FILE"):/usr/share/snmp/mibs:$ERLANG_MIBS
require_chronyc

# Numeric OIDs only (but where said), and no configuration of the user.
export MIBS="" MIBDIRS="" SNMPCONFPATH="$T/snmp-client-conf" HOME="$T"
mkdir -p "$SNMPCONFPATH"

# --- snmpd: the master agent ---
PORT=$(free_udp_port)
SOCK=$T/agentx.sock
mkdir -p "$T/snmpd/persist"
chmod 700 "$T/snmpd"
cat >"$T/snmpd/snmpd.conf" <<EOC
agentaddress udp:127.0.0.1:$PORT
rocommunity public 127.0.0.1
rwcommunity private 127.0.0.1
master agentx
agentXSocket $SOCK
agentXPerms 0600 0700
[snmp] persistentDir $T/snmpd/persist
EOC
start_master() {
	_spawn snmpd env SNMP_PERSISTENT_DIR="$T/snmpd/persist" "$SNMPD" -f -C -c "$T/snmpd/snmpd.conf" \
		-Lf "$T/snmpd/snmpd.log" -p "$T/snmpd/snmpd.pid" -M /nonexistent -m ""
	for _ in $(seq 1 100); do
		"$SNMPGET" -v2c -c public -t 0.2 -r 0 -On -Oq "127.0.0.1:$PORT" 1.3.6.1.2.1.1.1.0 >/dev/null 2>&1 &&
			[ -S "$SOCK" ] && break
		kill -0 "$(_pid_of snmpd)" 2>/dev/null || _daemon_failed snmpd "exited during start-up"
		sleep 0.1
	done
	[ -S "$SOCK" ] || _daemon_failed snmpd "no AgentX socket $SOCK"
	echo "# snmpd ready on 127.0.0.1 port $PORT, AgentX on $SOCK"
}
start_master

# --- chronyd and the collector ---
private_run_chrony
start_chronyd_mon chronyd-mon sync
CSOCK=$CHRONYD_MON_SOCK
NTPP=$CHRONYD_MON_PORT
HP=$(free_tcp_port)
CONF=$T/sundial.conf
cat >"$CONF" <<EOC
# agentx.sh
datadir $T/data
listen 127.0.0.1:$HP
interval 1s
chronyd $CSOCK
server 127.0.0.1:$NTPP
agentx $SOCK
EOC
"$SUNDIAL" collect -f -c "$CONF" -v >>"$T/collect.log" 2>&1 &
CPID=$!
DAEMONS="$DAEMONS collect:$CPID"

B=1.3.6.1.4.1.8072.9999.9999.7625
O=$B.1
# snmp_get OID...: -On -Oq -Oe output of snmpget
snmp_get() { "$SNMPGET" -v2c -c public -t 1 -r 1 -On -Oq -Oe "127.0.0.1:$PORT" "$@" 2>&1; }
# snmp_walk FILE [CMD]: the subtree of sundialMIB as "OID VALUE" lines
# (strings unquoted) into FILE
snmp_walk() {
	"${2:-$SNMPWALK}" -v2c -c public -t 1 -r 1 -On -Oq -Oe "127.0.0.1:$PORT" "$B" 2>&1 |
		sed -E 's/^([^ ]+) "(.*)"$/\1 \2/' >"$1"
}
# val FILE OID: the value of OID (under sundialObjects: "2.1.7.1") in FILE
val() { awk -v o=".$O.$2" '$1 == o { sub(/^[^ ]+ /, ""); print; f = 1 } END { if (!f) print "<missing>" }' "$1"; }
metrics() { curl -sf "http://127.0.0.1:$HP/metrics" >"$1"; }

# Until the collector has both sources' values, in /metrics and in snmpd.
start=$(date +%s)
while :; do
	kill -0 "$CPID" 2>/dev/null || _daemon_failed collect "exited during start-up" "$(tail -n 20 "$T/collect.log")"
	metrics "$T/m0.txt"
	if numcmp "$(prom_value "$T/m0.txt" sundial_collect_up source=server)" == 1 &&
	   numcmp "$(prom_value "$T/m0.txt" sundial_collect_up source=chronyd)" == 1 &&
	   numcmp "$(prom_value "$T/m0.txt" sundial_daemon_offset_seconds source=chronyd)" '>' -1 &&
	   numcmp "$(prom_value "$T/m0.txt" sundial_query_offset_seconds source=server)" '>' -1 &&
	   [ "$(snmp_get "$O.2.1.7.2" | cut -d' ' -f2)" != "No" ]; then
		break
	fi
	if [ $(($(date +%s) - start)) -gt "$READY_TIMEOUT" ]; then
		not_ok "the collector has values in /metrics and in snmpd within $READY_TIMEOUT s" \
			"$(snmp_get "$O.1.2.0")" "$(tail -n 20 "$T/collect.log")"
		break
	fi
	sleep 0.5
done
echo "# values after $(($(date +%s) - start)) s"
grep -q "agentx: registered SUNDIAL-MIB with the master agent at $SOCK" "$T/collect.log"
is "$?" 0 "the collector logs that it registered with the master"

# --- the walk against /metrics ---
snmp_walk "$T/w0"
diag "walk:" "$(head -n 40 "$T/w0")"
is "$(val "$T/w0" 1.2.0)" 2 "sundialSourceCount.0 = 2"
like "$(val "$T/w0" 1.1.0)" '^[0-9]+\.[0-9]+' "sundialVersion.0 is a version"
is "$(val "$T/w0" 2.1.2.1)" chronyd "sundialSourceKind.1 = chronyd"
is "$(val "$T/w0" 2.1.3.1)" "$CSOCK" "sundialSourceTarget.1 = the configured socket"
is "$(val "$T/w0" 2.1.2.2)" server "sundialSourceKind.2 = server"
is "$(val "$T/w0" 2.1.3.2)" "127.0.0.1:$NTPP" "sundialSourceTarget.2 = the configured server"
is "$(val "$T/w0" 2.1.4.1)/$(val "$T/w0" 2.1.4.2)" 1/1 "sundialSourceUp.1 and .2 = up(1)"
is "$(val "$T/w0" 2.1.11.1)" 1 "sundialSourceSynchronised.1 = yes(1) (chronyd is synchronised)"
now=$(date +%s)
LS=$(val "$T/w0" 2.1.6.2)
num_is "$(absdiff "$LS" "$now")" '<=' 5 "sundialSourceLastSample.2 ($LS) is now ($now)"
is "$(grep -c "^.$O.2.1.12." "$T/w0")" 0 "no sundialSourceClients (no capture source)"
is "$(grep -c "^.$O.3." "$T/w0")" 0 "no refclock rows (no refclocks)"

# Offsets and jitter: the subagent answers from the snapshot the collector
# handed it last (every second), which may be a sample behind /metrics.
# So /metrics is read every 0.2 s for 2.4 s (more than two samples) before
# a walk and once after it: the walk's value must be one of those read,
# scaled to ns exactly (the text: "%.9f" of it).
hist_walk() {
	rm -f "$T"/h*.txt
	for i in $(seq 10 21); do
		metrics "$T/h$i.txt"
		sleep 0.2
	done
	snmp_walk "$T/hw"
	metrics "$T/h99.txt"
}
# hist_values METRIC SOURCE: the values /metrics had, one per line
hist_values() { for f in "$T"/h*.txt; do prom_value "$f" "$1" "source=$2"; done | sort -u | tr '\n' ' '; }
ns_of() { awk -v s="$1" 'BEGIN { x = s * 1e9; printf "%.0f", x < 0 ? -int(-x + 0.5) : int(x + 0.5) }'; }
# scaled_check COL ROW METRIC SOURCE [text]: sundialSourceEntry COL.ROW
# (and with text, the offset's text in column 8) is one of METRIC's
# values x 1e9
scaled_check() {
	local col=$1 row=$2 metric=$3 src=$4 text=${5:-} try m ns txt vals
	for try in 1 2 3; do
		hist_walk
		ns=$(val "$T/hw" "2.1.$col.$row")
		txt=$(val "$T/hw" "2.1.8.$row")
		vals=$(hist_values "$metric" "$src")
		for m in $vals; do
			if near "$ns" "$(ns_of "$m")" 1 && { [ -z "$text" ] || near "$txt" "$m" 0.0000000015; }; then
				ok "$metric{source=$src} x 1e9 = 2.1.$col.$row ($ns ns${text:+, text $txt}; /metrics had $vals)"
				[ -n "$text" ] && like "$txt" '^-?[0-9]+\.[0-9]{9}$' "sundialSourceOffsetText.$row is %.9f ($txt)"
				return 0
			fi
		done
		diag "try $try: $metric{source=$src}: $vals; 2.1.$col.$row: $ns, text $txt"
	done
	not_ok "$metric{source=$src} x 1e9 = 2.1.$col.$row" "/metrics had: $vals" "walk: $ns, text $txt"
}
scaled_check 7 1 sundial_daemon_offset_seconds chronyd text
scaled_check 7 2 sundial_query_offset_seconds server text
scaled_check 9 1 sundial_daemon_jitter_seconds chronyd

metrics "$T/m3.txt"
snmp_walk "$T/w3"
S1=$(prom_value "$T/m3.txt" sundial_daemon_stratum source=chronyd)
S2=$(prom_value "$T/m3.txt" sundial_query_stratum source=server)
num_is "$(val "$T/w3" 2.1.10.1)" == "$S1" "sundialSourceStratum.1 = sundial_daemon_stratum ($S1)"
num_is "$(val "$T/w3" 2.1.10.2)" == "$S2" "sundialSourceStratum.2 = sundial_query_stratum ($S2)"

# GETBULK: the same instances as GETNEXT.
snmp_walk "$T/wb" "$SNMPBULKWALK"
cut -d' ' -f1 "$T/w3" >"$T/w3.oids"
cut -d' ' -f1 "$T/wb" >"$T/wb.oids"
if cmp -s "$T/w3.oids" "$T/wb.oids" && [ -s "$T/w3.oids" ]; then
	ok "snmpbulkwalk gives the instances snmpwalk gives ($(wc -l <"$T/wb.oids"))"
else
	not_ok "snmpbulkwalk gives the instances snmpwalk gives" "$(diff "$T/w3.oids" "$T/wb.oids" | head -n 20)"
fi

# --- GET and SET ---
like "$(snmp_get "$O.2.1.12.1")" "^.$O.2.1.12.1 No Such Instance" "GET sundialSourceClients.1 (a chronyd has no clients): noSuchInstance"
like "$(snmp_get "$O.2.1.2.3")" "^.$O.2.1.2.3 No Such Instance" "GET sundialSourceKind.3 (no third source): noSuchInstance"
like "$(snmp_get "$O.2.1.1.1")" "^.$O.2.1.1.1 No Such Object" "GET sundialSourceIndex.1 (not-accessible): noSuchObject"
like "$(snmp_get "$O.2.1.2.1" "$O.1.2.0")" "^.$O.1.2.0 2$" "GET of two objects: the count"
SET=$("$SNMPSET" -v2c -c private -t 1 -r 1 "127.0.0.1:$PORT" "$O.1.2.0" u 5 2>&1)
like "$SET" "notWritable" "SET sundialSourceCount.0: notWritable"

# --- names, with SUNDIAL-MIB ---
MIBS=SUNDIAL-MIB MIBDIRS=$MIBPATH "$SNMPWALK" -v2c -c public -t 1 -r 1 "127.0.0.1:$PORT" \
	SUNDIAL-MIB::sundialSourceTable >"$T/names" 2>&1
diag "walk by name:" "$(head -n 30 "$T/names")"
like "$(cat "$T/names")" "^SUNDIAL-MIB::sundialSourceKind\.1 = STRING: \"?chronyd\"?$" "walk by name: sundialSourceKind.1 = chronyd"
like "$(cat "$T/names")" "SUNDIAL-MIB::sundialSourceUp\.2 = INTEGER: up\(1\)" "walk by name: sundialSourceUp.2 = up(1)"
like "$(cat "$T/names")" "SUNDIAL-MIB::sundialSourceOffset\.1 = INTEGER: -?[0-9]+ nanoseconds" "walk by name: sundialSourceOffset.1 in nanoseconds"
like "$(cat "$T/names")" "SUNDIAL-MIB::sundialSourceState\.1 = INTEGER: (ok|warning|critical|unknown)\([0-3]\)" "walk by name: sundialSourceState.1 by name"
if grep -Eq "Cannot find module|Unlinked|warning" "$T/names"; then
	not_ok "walk by name: no MIB warnings" "$(grep -E "Cannot find module|Unlinked|warning" "$T/names" | head -n 5)"
else
	ok "walk by name: no MIB warnings"
fi
MIBS=SUNDIAL-MIB MIBDIRS=$MIBPATH "$SNMPTRANSLATE" -Pe -Tp -IR sundialMIB >"$T/tp.out" 2>"$T/tp.err"
is "$?/$(cat "$T/tp.err")" "0/" "snmptranslate -Pe -Tp sundialMIB: exit 0, nothing on stderr"
like "$(cat "$T/tp.out")" "sundialRefclockSatellites\(6\)" "snmptranslate -Tp: the whole tree"
is "$(MIBS=SUNDIAL-MIB MIBDIRS=$MIBPATH "$SNMPTRANSLATE" -On SUNDIAL-MIB::sundialSourceOffset 2>&1)" \
	".$O.2.1.7" "snmptranslate: sundialSourceOffset is $O.2.1.7"

# --- snmpd restarted: the subagent comes back ---
stop_daemon snmpd
like "$(snmp_get "$O.1.2.0" 2>&1)" "Timeout" "snmpd stopped: no answer"
sleep 1
start_master
t0=$(date +%s.%N)
back=""
while :; do
	el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	if [ "$(snmp_get "$O.1.2.0" | cut -d' ' -f2)" = 2 ]; then back=$el; break; fi
	numcmp "$el" '>' $((PING + 5)) && break
	sleep 0.2
done
if [ -n "$back" ]; then
	ok "snmpd restarted: sundialSourceCount.0 back after $back s (ping interval $PING s)"
	num_is "$back" '<=' $((PING + 2)) "snmpd restarted: back within the ping interval and a little ($back s)"
else
	not_ok "snmpd restarted: the values come back within $((PING + 5)) s" "$(tail -n 5 "$T/collect.log")"
fi
snmp_walk "$T/w4"
is "$(val "$T/w4" 2.1.2.2)" server "after the restart: sundialSourceKind.2 = server"
grep -q "agentx: lost the master agent at $SOCK" "$T/collect.log"
is "$?" 0 "the collector logs that it lost the master"

# --- the collector stopped: the subtree goes ---
kill -TERM "$CPID"
wait "$CPID"
is "$?" 0 "the collector exits 0 on SIGTERM"
DAEMONS=${DAEMONS// collect:$CPID/}
like "$(snmp_get "$O.1.2.0")" "^.$O.1.2.0 No Such Object" "collector stopped: GET sundialSourceCount.0 gives noSuchObject"
snmp_walk "$T/w5"
is "$(grep -c "^.$O\." "$T/w5")" 0 "collector stopped: nothing under sundialObjects"
if grep -Eq 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$T/collect.log"; then
	not_ok "the collector runs clean under the sanitizers" "$(grep -A 30 -E 'Sanitizer|runtime error' "$T/collect.log" | head -n 40)"
else
	ok "the collector's log has no sanitizer report"
fi
kill -0 "$(_pid_of snmpd)" 2>/dev/null
is "$?" 0 "snmpd still runs"
finish
