#!/bin/bash
# collect_misc.sh - `sundial collect` beyond its sources (collect_chronyd.sh
# has those), on a sysfs-shaped folder of temperatures:
#   - `user nobody`: the daemon runs as nobody (uids from /proc), owns its
#     data folder and still writes its RRD files;
#   - `rrdcached unix:SOCKET`: the samples go through a real rrdcached and
#     reach the files when the daemon stops;
#   - without -f: the command returns once the daemon runs detached (own
#     session, stderr on /dev/null), which writes its pidfile, serves and
#     samples; a second one with the same pidfile is refused; SIGTERM stops
#     it and removes the pidfile; start-up errors reach the terminal;
#   - an NTPsec NMEA refclock fed through a pty: its status and badformat
#     and noreply counters as ntpq cv has them, status 2 in /metrics and the
#     RRD file once the sentences turn bad;
#   - no -c and no /etc/sundial/sundial.conf: --check uses the built-in
#     defaults; a missing -c file and a bad listen address fail clearly.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
for t in curl rrdtool rrdcached; do
	command -v "$t" >/dev/null 2>&1 || bail_out "$t is not installed (scripts/install-deps)"
done
mkdir -p "$T/sys/class/hwmon/hwmon0"
echo cpu_thermal >"$T/sys/class/hwmon/hwmon0/name"
echo 41500 >"$T/sys/class/hwmon/hwmon0/temp1_input"
chmod 755 "$T"
port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
last_value() { rrdtool lastupdate "$1" 2>/dev/null | awk -F': ' 'NF == 2 { v = $2 } END { print v }'; }

# --- user nobody ---
HP=$(port)
cat >"$T/user.conf" <<EOC
datadir $T/data-user
listen 127.0.0.1:$HP
interval 1s
user nobody
hwmon $T/sys
EOC
"$SUNDIAL" collect -f -c "$T/user.conf" -v >"$T/user.log" 2>&1 &
PID=$!
DAEMONS="$DAEMONS collect-user:$PID"
sleep 3
NOBODY=$(id -u nobody)
UIDS=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$PID/status" 2>/dev/null)
is "$UIDS" "$NOBODY $NOBODY $NOBODY $NOBODY" "user nobody: real, effective, saved and fs uid are nobody's"
is "$(stat -c %u "$T/data-user")" "$NOBODY" "user nobody: the data folder is given to nobody"
F=$(find "$T/data-user" -name 'sundial_hwmon_temperature_celsius*.rrd' | head -n 1)
is "$(stat -c %u "$F" 2>/dev/null)" "$NOBODY" "user nobody: it writes its RRD files as nobody"
num_is "$(absdiff "$(last_value "$F")" 41.5)" '<=' 0.0000001 "user nobody: the temperature is in the file"
curl -sf "http://127.0.0.1:$HP/healthz" >/dev/null
is "$?" 0 "user nobody: the listener opened before the drop still serves"
kill -TERM "$PID"
wait "$PID"
is "$?" 0 "user nobody: SIGTERM, exit 0"

# --- through rrdcached ---
mkdir -p "$T/data-cached"
rrdcached -g -F -B -b "$T/data-cached" -l "unix:$T/rrdcached.sock" -w 3600 -z 1 -p "$T/rrdcached.pid" >"$T/rrdcached.log" 2>&1 &
RPID=$!
DAEMONS="$DAEMONS rrdcached:$RPID"
for _ in $(seq 1 50); do [ -S "$T/rrdcached.sock" ] && break; sleep 0.1; done
cat >"$T/cached.conf" <<EOC
datadir $T/data-cached
listen off
interval 1s
rrdcached unix:$T/rrdcached.sock
hwmon $T/sys
EOC
"$SUNDIAL" collect -f -c "$T/cached.conf" >"$T/cached.log" 2>&1 &
PID=$!
DAEMONS="$DAEMONS collect-cached:$PID"
sleep 3.5
F=$(find "$T/data-cached" -name 'sundial_hwmon_temperature_celsius*.rrd' | head -n 1)
[ -n "$F" ] || not_ok "rrdcached: the file was created" "$(tail -n 5 "$T/cached.log")"
# rrdcached holds the updates for an hour (-w 3600): the file has none yet.
BEFORE=$(rrdtool lastupdate "$F" 2>/dev/null | awk -F': ' 'NF == 2 { print $1 }')
kill -TERM "$PID"
wait "$PID"
is "$?" 0 "rrdcached: SIGTERM, exit 0"
AFTER=$(rrdtool lastupdate "$F" 2>/dev/null | awk -F': ' 'NF == 2 { print $1 }')
num_is "$AFTER" '>' "${BEFORE:-0}" "rrdcached: the samples it held reach the file when the daemon stops ($BEFORE -> $AFTER)"
num_is "$(absdiff "$(last_value "$F")" 41.5)" '<=' 0.0000001 "rrdcached: the temperature is in the file"

# --- without -f: it detaches once it runs, with a pidfile ---
HP=$(port)
HP2=$(port)
cat >"$T/daemon.conf" <<EOC
datadir $T/data-daemon
listen 127.0.0.1:$HP
interval 1s
pidfile $T/collect.pid
hwmon $T/sys
EOC
run_sundial collect -c "$T/daemon.conf"
is "$RC" 0 "without -f: the command returns 0 once the daemon runs"
DPID=$(cat "$T/collect.pid" 2>/dev/null)
like "$DPID" '^[0-9]+$' "without -f: the pidfile holds the daemon's process ID"
DAEMONS="$DAEMONS collect-daemon:${DPID:-0}"
SID=$(ps -o sid= -p "${DPID:-0}" | tr -d ' ')
OURS=$(ps -o sid= -p $$ | tr -d ' ')
check "without -f: the daemon is in a session of its own, not ours ($SID)" [ -n "$SID" -a "$SID" != "$OURS" ]
is "$(ps -o tty= -p "${DPID:-0}" | tr -d ' ')" "?" "without -f: the daemon has no controlling terminal"
is "$(readlink "/proc/${DPID:-0}/fd/2")" "/dev/null" "without -f: its standard error is /dev/null (messages go to syslog)"
is "$(curl -sf "http://127.0.0.1:$HP/healthz")" "ok" "without -f: the daemon serves"
sleep 2
F=$(find "$T/data-daemon" -name 'sundial_hwmon_temperature_celsius*.rrd' | head -n 1)
num_is "$(absdiff "$(last_value "$F")" 41.5)" '<=' 0.0000001 "without -f: the daemon samples and writes"
sed "s/:$HP\$/:$HP2/" "$T/daemon.conf" >"$T/daemon2.conf"
run_sundial collect -c "$T/daemon2.conf"
is "$RC" 1 "a second daemon with the same pidfile: exit 1"
like "$ERR" "already runs as process $DPID" "a second daemon with the same pidfile: says which process runs"
kill -TERM "${DPID:-0}"
for _ in $(seq 1 50); do [ -d "/proc/${DPID:-0}" ] || break; sleep 0.1; done
check "without -f: SIGTERM stops the daemon" [ ! -d "/proc/${DPID:-0}" ]
check "without -f: the pidfile is removed when it stops" [ ! -e "$T/collect.pid" ]
sed "s#^pidfile .*#pidfile $T/no/such/dir/collect.pid#" "$T/daemon.conf" >"$T/daemon3.conf"
run_sundial collect -c "$T/daemon3.conf"
is "$RC" 1 "a pidfile that cannot be written: exit 1"
like "$ERR" 'no/such/dir/collect\.pid: cannot write the pidfile' "a pidfile that cannot be written: the error reaches the terminal"
check "a pidfile that cannot be written: no daemon is left running" [ -z "$(curl -s "http://127.0.0.1:$HP/healthz")" ]

# --- an NTPsec refclock: its status and error counters ---
start_ntpsec_refclock
HP3=$(port)
cat >"$T/ref.conf" <<EOC
datadir $T/data-ref
listen 127.0.0.1:$HP3
interval 1s
ntpd 127.0.0.1
EOC
"$SUNDIAL" collect -f -c "$T/ref.conf" >"$T/ref.log" 2>&1 &
PID=$!
DAEMONS="$DAEMONS collect-ref:$PID"
oracle_to "$T/pe.json" ntpq-peers 127.0.0.1
rc_assoc=$(jf 0.associd "$T/pe.json")
[ "$(jf 0.vars.srcadr "$T/pe.json")" = 127.127.20.0 ] || rc_assoc=$(jf 1.associd "$T/pe.json")
oracle_to "$T/cv-a.json" ntpq-cv 127.0.0.1 "$rc_assoc"
RNAME=$(jf vars.name "$T/cv-a.json")
sleep 2.5
curl -sf "http://127.0.0.1:$HP3/metrics" >"$T/ref-a.txt"
oracle_to "$T/cv-b.json" ntpq-cv 127.0.0.1 "$rc_assoc"
prom_check "$T/ref-a.txt" "refclock /metrics"
num_is "$(prom_value "$T/ref-a.txt" sundial_daemon_refclock_status "refclock=$RNAME")" '==' "$(jf status_code "$T/cv-b.json")" \
	"refclock: status of '$RNAME' = ntpq cv's ($(jf status_text "$T/cv-b.json"))"
num_between "$(jf vars.badformat "$T/cv-a.json")" "$(prom_value "$T/ref-a.txt" sundial_daemon_refclock_badformat_total "refclock=$RNAME")" \
	"$(jf vars.badformat "$T/cv-b.json")" "refclock: badformat counter = ntpq cv's"
num_between "$(jf vars.noreply "$T/cv-a.json")" "$(prom_value "$T/ref-a.txt" sundial_daemon_refclock_noreply_total "refclock=$RNAME")" \
	"$(jf vars.noreply "$T/cv-b.json")" "refclock: noreply counter = ntpq cv's"
nmea_mode bad
sleep 3.5
curl -sf "http://127.0.0.1:$HP3/metrics" >"$T/ref-b.txt"
num_is "$(prom_value "$T/ref-b.txt" sundial_daemon_refclock_status "refclock=$RNAME")" '==' 2 \
	"refclock: bad checksums turn its status to 2 (bad format) in /metrics"
num_is "$(prom_value "$T/ref-b.txt" sundial_daemon_refclock_badformat_total "refclock=$RNAME")" '>' \
	"$(prom_value "$T/ref-a.txt" sundial_daemon_refclock_badformat_total "refclock=$RNAME")" "refclock: the badformat counter goes up"
F=$(find "$T/data-ref/ntpd" -name 'sundial_daemon_refclock_status*.rrd' | head -n 1)
is "$(last_value "$F")" 2 "refclock: the RRD file of its status holds 2 ($(basename "$F"))"
kill -TERM "$PID"
wait "$PID"
is "$?" 0 "refclock: SIGTERM, exit 0"
nmea_mode good

# --- defaults and start-up errors ---
if [ ! -e /etc/sundial/sundial.conf ]; then
	run_sundial collect --check
	is "$RC" 0 "no configuration file: --check uses the built-in defaults"
	like "$OUT" '\(defaults\)' "no configuration file: says so"
fi
run_sundial collect -c "$T/none.conf" --check
is "$RC" 78 "a missing -c file: exit 78"
like "$ERR" 'none\.conf' "a missing -c file is named"
printf 'datadir %s/data-x\nlisten 198.51.100.77:80\nhwmon %s/sys\n' "$T" "$T" >"$T/badlisten.conf"
run_sundial collect -c "$T/badlisten.conf"
is "$RC" 1 "a listen address not on this host: exit 1"
like "$ERR" 'listen 198\.51\.100\.77:80' "a listen address not on this host: says which"

finish
