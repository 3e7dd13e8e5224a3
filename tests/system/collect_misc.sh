#!/bin/bash
# collect_misc.sh - `sundial collect` beyond its sources (collect_chronyd.sh
# has those), on a sysfs-shaped folder of temperatures:
#   - `user nobody`: the daemon runs as nobody (uids from /proc), owns its
#     data folder and still writes its RRD files;
#   - `rrdcached unix:SOCKET`: the samples go through a real rrdcached and
#     reach the files when the daemon stops;
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
"$SUNDIAL" collect -c "$T/user.conf" -v >"$T/user.log" 2>&1 &
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
"$SUNDIAL" collect -c "$T/cached.conf" >"$T/cached.log" 2>&1 &
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
