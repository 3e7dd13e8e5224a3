#!/bin/bash
# collect_chronyd.sh - `sundial collect` at a 1-s interval against a real
# chronyd on loopback (its Unix command socket, and its NTP port as a
# `server`), NTPsec's ntpd (mode 6) and a sysfs-shaped folder of
# temperatures, then:
#   - /metrics (fetched with curl) passes promtool check metrics and holds
#     chronyd's stratum as chronyc tracking reports it, the server's stratum
#     and up, and the temperature;
#   - the RRD files hold the same values (rrdtool lastupdate and fetch);
#   - /api/v1/sources (state and series of each source) and /api/v1/series
#     (one series from its RRD file, as rrdtool fetch has it); 400 and 404;
#   - SIGHUP with a broken file: the running configuration goes on, the
#     mistake logged; with a file without the server: its series are gone;
#   - kill -9 and a restart: the same files go on (no new series);
#   - SIGTERM: exit 0;
#   - --check: exit 0 on the file, 78 with FILE:LINE on a broken one;
#   - log syslog: messages reach /dev/log (a socket of the test's own);
#   - the systemd unit of the tree passes systemd-analyze verify.
#   - a real Prometheus scrapes it and its query API returns the stratum.
#   - a capture on lo: the server source's queries counted, their response
#     time measured;
#   - gpsd fed by gpsfake: fix, satellites, HDOP, weakest signal; gpsd
#     killed and started again: the source goes down, then comes back.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
"$SUNDIAL" collect --help >/dev/null 2>&1 || bail_out "'$SUNDIAL collect --help' fails"
for t in curl rrdtool gpsfake; do
	command -v "$t" >/dev/null 2>&1 || bail_out "$t is not installed (scripts/install-deps)"
done
require_chronyc
require_ntpq
require_isolated
private_run_chrony
start_chronyd_mon chronyd-mon sync
start_ntpsec
SOCK=$CHRONYD_MON_SOCK
NTPP=$CHRONYD_MON_PORT

mkdir -p "$T/sys/class/hwmon/hwmon0"
echo cpu_thermal >"$T/sys/class/hwmon/hwmon0/name"
echo 48123 >"$T/sys/class/hwmon/hwmon0/temp1_input"
# gpsd fed by gpsfake with the test's own receiver log: a 3D fix, 7 of 11
# satellites used, HDOP 0.9 (gpsfake loops over it; its own IPC namespace
# takes gpsd's shared memory with it).
mkdir -p "$T/gps"
"$PYTHON" - "$T/gps/fix.nmea" <<'PYEOF'
import sys
sats = [(3, 45, 70, 40), (6, 30, 120, 38), (9, 60, 200, 42), (12, 20, 300, 35), (14, 55, 40, 44),
        (17, 10, 90, 33), (19, 35, 150, 46), (22, 5, 250, 0), (24, 15, 330, 20), (25, 8, 10, 0), (28, 3, 60, 0)]
used = [3, 6, 9, 12, 14, 17, 19]
def s(body):
    cs = 0
    for ch in body:
        cs ^= ord(ch)
    return "$%s*%02X\r\n" % (body, cs)
out = []
for k in range(5):
    t = "1200%02d.00" % k
    out.append(s("GPRMC,%s,A,4807.038,N,01131.000,E,0.0,0.0,010324,,,A" % t))
    out.append(s("GPGGA,%s,4807.038,N,01131.000,E,1,07,0.9,545.4,M,46.9,M,," % t))
    out.append(s("GPGSA,A,3," + ",".join("%02d" % p for p in used) + "," * (12 - len(used)) + ",1.6,0.9,1.3"))
    for m in range(3):
        b = "GPGSV,3,%d,%02d" % (m + 1, len(sats))
        for prn, el, az, snr in sats[m * 4:m * 4 + 4]:
            b += ",%02d,%02d,%03d,%s" % (prn, el, az, "%02d" % snr if snr else "")
        out.append(s(b))
open(sys.argv[1], "w").write("".join(out))
PYEOF
GP=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_gpsfake() {
	TMPDIR=$T/gps GPSD_HOME=/usr/sbin GPSD_SHM_KEY=0x4770$GP unshare --ipc \
		gpsfake -n -q -c 0.1 -P "$GP" "$T/gps/fix.nmea" >>"$T/gps/log" 2>&1 &
	GPID=$!
	DAEMONS="$DAEMONS gpsfake:$GPID" # killed by lib.sh whatever happens
	for _ in $(seq 1 50); do
		"$PYTHON" -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$GP" 2>/dev/null && return 0
		sleep 0.1
	done
	not_ok "gpsfake starts gpsd on port $GP" "$(tail -n 5 "$T/gps/log")"
}
start_gpsfake

cat >"$T/meter.sh" <<'EOS'
#!/bin/sh
echo "# a power meter"
echo "watts 12.5"
echo "volts 230"
echo "this is not a value"
EOS
chmod 755 "$T/meter.sh"
HP=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CONF=$T/sundial.conf
cat >"$CONF" <<EOC
# collect_chronyd.sh
datadir $T/data
listen 127.0.0.1:$HP
interval 1s
chronyd $SOCK
server 127.0.0.1:$NTPP
ntpd 127.0.0.1
hwmon $T/sys
exec $T/meter.sh --quiet timeout 2s
gpsd 127.0.0.1:$GP
capture lo port $NTPP
EOC

run_sundial collect -c "$CONF" --check
is "$RC" 0 "--check: exit 0 on a good file"
like "$OUT" '7 sources' "--check: says what it found"
printf 'interval 1s\nserver\n' >"$T/broken.conf"
run_sundial collect -c "$T/broken.conf" --check
is "$RC" 78 "--check: exit 78 on a broken file"
like "$ERR" "broken\.conf:2: server: expected HOST" "--check: the message names file and line"

start_collect() {
	"$SUNDIAL" collect -f -c "$CONF" -v >>"$T/collect.log" 2>&1 &
	CPID=$!
	DAEMONS="$DAEMONS collect:$CPID"
	for _ in $(seq 1 50); do
		curl -sf "http://127.0.0.1:$HP/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	not_ok "the collector answers /healthz" "$(tail -n 20 "$T/collect.log")"
}
start_collect
sleep 4.5

curl -sf "http://127.0.0.1:$HP/metrics" >"$T/metrics.txt"
is "$?" 0 "GET /metrics"
prom_check "$T/metrics.txt" "collect /metrics"
oracle_to "$T/tr.json" chronyc "$SOCK" tracking
STRATUM=$(jf rows.0.stratum "$T/tr.json")
diag "chronyc tracking: stratum $STRATUM"
# pv NAME LABEL=VALUE WANT TEXT: a sample of /metrics equals WANT (as numbers)
pv() {
	local got
	got=$(prom_value "$T/metrics.txt" "$1" "$2")
	num_is "$(absdiff "$got" "$3")" '<=' 0.0000001 "$4 ($got)"
}
pv sundial_daemon_stratum source=chronyd "$STRATUM" "/metrics: chronyd's stratum = chronyc tracking's"
pv sundial_daemon_synchronised source=chronyd 1 "/metrics: chronyd synchronised"
pv sundial_query_up source=server 1 "/metrics: the server answers"
pv sundial_query_stratum source=server "$STRATUM" "/metrics: the server's stratum = chronyc tracking's"
pv sundial_hwmon_temperature_celsius chip=cpu_thermal 48.123 "/metrics: the temperature"
pv sundial_collect_up source=chronyd 1 "/metrics: chronyd's samples work"
oracle_to "$T/rv.json" ntpq-rv 127.0.0.1 0 stratum,leap
NSTRATUM=$(jf vars.stratum "$T/rv.json")
pv sundial_daemon_stratum source=ntpd "$NSTRATUM" "/metrics: NTPsec's stratum = ntpq rv's ($NSTRATUM)"
pv sundial_daemon_leap source=ntpd "$(jf vars.leap "$T/rv.json")" "/metrics: NTPsec's leap = ntpq rv's"
pv sundial_collect_up source=ntpd 1 "/metrics: NTPsec's samples work"
pv sundial_exec_watts source=exec 12.5 "/metrics: the exec program's watts"
pv sundial_exec_volts source=exec 230 "/metrics: the exec program's volts"
is "$(grep -c 'not .name value' "$T/collect.log")" 1 "exec: its bad line is logged once, not every interval"
pv sundial_gps_fix_mode source=gpsd 3 "/metrics: gpsd's fix is 3D"
pv sundial_gps_satellites_used source=gpsd 7 "/metrics: 7 satellites used"
pv sundial_gps_satellites_seen source=gpsd 11 "/metrics: 11 seen"
pv sundial_gps_hdop source=gpsd 0.9 "/metrics: HDOP 0.9"
pv sundial_gps_used_snr_min_dbhz source=gpsd 33 "/metrics: the weakest used satellite at 33 dB-Hz"
# The capture on lo sees the server source's queries to chronyd.
CL=$(prom_value "$T/metrics.txt" sundial_traffic_clients window=5m)
num_is "$CL" '>=' 1 "/metrics: the capture counts the querying client ($CL)"
CL4=$(prom_value "$T/metrics.txt" sundial_traffic_clients_by_family window=5m family=ipv4)
CL6=$(prom_value "$T/metrics.txt" sundial_traffic_clients_by_family window=5m family=ipv6)
num_is "$CL4" '==' "$CL" "/metrics: all of them over IPv4 ($CL4)"
num_is "$CL6" '==' 0 "/metrics: none over IPv6 ($CL6)"
RPS=$(prom_value "$T/metrics.txt" sundial_traffic_requests_per_second source=capture)
num_is "$RPS" '>' 0 "/metrics: the capture sees requests ($RPS/s)"
# (an interval without a pair has no p50: look again for a few seconds)
for _ in $(seq 1 10); do
	P50=$(prom_value "$T/metrics.txt" sundial_traffic_response_p50_seconds source=capture)
	numcmp "$P50" '>' 0 && break
	sleep 0.5
	curl -sf "http://127.0.0.1:$HP/metrics" >"$T/metrics.txt"
done
num_is "$P50" '>' 0 "/metrics: chronyd's response time from the capture ($P50 s) is above 0"
num_is "$P50" '<' 0.1 "... and below 100 ms on loopback"

# The daemons' packet counters are counters: each between the daemon's own
# figure 1.5 s before the fetch (the sample is at most 1 s old) and after.
oracle_to "$T/sv-a.json" chronyc "$SOCK" serverstats
timeout 20 "$NTPQ" -n -c iostats 127.0.0.1 >"$T/io-a.txt" 2>&1
sleep 1.5
curl -sf "http://127.0.0.1:$HP/metrics" >"$T/metrics-c.txt"
oracle_to "$T/sv-b.json" chronyc "$SOCK" serverstats
timeout 20 "$NTPQ" -n -c iostats 127.0.0.1 >"$T/io-b.txt" 2>&1
grep -q '^# TYPE sundial_daemon_packets_received_total counter' "$T/metrics-c.txt"
is "$?" 0 "/metrics: sundial_daemon_packets_received_total is a counter"
num_between "$(jf rows.0.ntp_hits "$T/sv-a.json")" \
	"$(prom_value "$T/metrics-c.txt" sundial_daemon_packets_received_total source=chronyd)" \
	"$(jf rows.0.ntp_hits "$T/sv-b.json")" "/metrics: chronyd's packets received = chronyc serverstats' ntp_hits"
num_between "$(jf rows.0.cmd_hits "$T/sv-a.json")" \
	"$(prom_value "$T/metrics-c.txt" sundial_daemon_command_requests_total source=chronyd)" \
	"$(jf rows.0.cmd_hits "$T/sv-b.json")" "/metrics: chronyd's command requests = chronyc serverstats' cmd_hits"
ioa=$(sed -n 's/^received packets: *\([0-9]*\).*/\1/p' "$T/io-a.txt")
iob=$(sed -n 's/^received packets: *\([0-9]*\).*/\1/p' "$T/io-b.txt")
num_between "${ioa:-x}" "$(prom_value "$T/metrics-c.txt" sundial_daemon_packets_received_total source=ntpd)" \
	"${iob:-x}" "/metrics: NTPsec's packets received = ntpq iostats' 'received packets'"
F_RX=$(find "$T/data/chronyd" -name sundial_daemon_packets_received_total.rrd | head -n 1)
is "$(rrdtool info "$F_RX" 2>/dev/null | sed -n 's/^ds\[value\]\.type = "\(.*\)"/\1/p')" DERIVE "RRD: the packet counter is stored as DERIVE (a rate)"

# gpsd killed and started again: the collector reconnects and goes on.
kill -TERM -- "-$GPID" 2>/dev/null || kill -TERM "$GPID"
wait "$GPID" 2>/dev/null
sleep 2.5
curl -sf "http://127.0.0.1:$HP/metrics" >"$T/metrics.txt"
pv sundial_collect_up source=gpsd 0 "gpsd gone: its source is down"
start_gpsfake
# until it has sampled gpsd again (a fixed wait was too short under ASan on a busy machine)
for _ in $(seq 1 60); do
	curl -sf "http://127.0.0.1:$HP/metrics" >"$T/metrics.txt"
	numcmp "$(prom_value "$T/metrics.txt" sundial_collect_up source=gpsd)" '==' 1 &&
		numcmp "$(prom_value "$T/metrics.txt" sundial_gps_fix_mode source=gpsd)" '==' 3 && break
	sleep 0.25
done
pv sundial_collect_up source=gpsd 1 "gpsd back: the collector reconnected"
pv sundial_gps_satellites_used source=gpsd 7 "gpsd back: 7 satellites used again"
# (gpsd reports a 2D fix until the replayed log's first GSA: wait for 3D)
pv sundial_gps_fix_mode source=gpsd 3 "gpsd back: the 3D fix again"

last_value() { rrdtool lastupdate "$1" 2>/dev/null | awk -F': ' 'NF == 2 { v = $2; t = $1 } END { print t, v }'; }
F_STRATUM=$(find "$T/data/chronyd" -name sundial_daemon_stratum.rrd | head -n 1)
F_TEMP=$(find "$T/data/hwmon" -name 'sundial_hwmon_temperature_celsius*.rrd' | head -n 1)
[ -n "$F_STRATUM" ] && [ -n "$F_TEMP" ] || not_ok "the RRD files exist" "$(find "$T/data" -type f | head)"
read -r T1 V1 <<<"$(last_value "$F_STRATUM")"
num_is "$(absdiff "$V1" "$STRATUM")" '<=' 0 "RRD: chronyd's stratum ($V1) = chronyc tracking's"
read -r T2 V2 <<<"$(last_value "$F_TEMP")"
num_is "$(absdiff "$V2" 48.123)" '<=' 0.0000001 "RRD: the temperature ($V2)"
F_SATS=$(find "$T/data/gpsd" -name 'sundial_gps_satellites_used*.rrd' | head -n 1)
F_FIX=$(find "$T/data/gpsd" -name 'sundial_gps_fix_mode*.rrd' | head -n 1)
# (an RRD keeps one update per second: a 2D sample in the second of
# reconnection is replaced by the next second's; look for up to 5 s)
for _ in $(seq 1 20); do
	read -r _ VS <<<"$(last_value "$F_SATS")"
	read -r _ VF <<<"$(last_value "$F_FIX")"
	[ "$VS/$VF" = 7/3 ] && break
	sleep 0.25
done
is "$VS/$VF" "7/3" "RRD: gpsd's satellites used and fix mode (rrdtool lastupdate)"
N=$(rrdtool fetch "$F_TEMP" AVERAGE -s -20 -e now 2>/dev/null | awk -F': ' 'NF == 2 && $2 !~ /nan/ { n++ } END { print n + 0 }')
num_is "$N" '>=' 3 "RRD: at least 3 one-second rows of the temperature ($N)"

# A real Prometheus on loopback scrapes /metrics every second; its query
# API then returns a sundial series with chronyd's stratum.
if command -v prometheus >/dev/null 2>&1; then
	PP=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$T/prom"
	cat >"$T/prom/prometheus.yml" <<EOP
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: sundial
    static_configs:
      - targets: ['127.0.0.1:$HP']
EOP
	prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
		--web.listen-address="127.0.0.1:$PP" >"$T/prom/log" 2>&1 &
	PROM_PID=$!
	GOT=""
	for _ in $(seq 1 60); do
		GOT=$(curl -sf "http://127.0.0.1:$PP/api/v1/query?query=sundial_daemon_stratum" 2>/dev/null |
			"$PYTHON" -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null)
		[ -n "$GOT" ] && break
		sleep 0.5
	done
	is "$GOT" "$STRATUM" "Prometheus scraped /metrics: sundial_daemon_stratum = chronyc tracking's"
	UP=$(curl -sf "http://127.0.0.1:$PP/api/v1/query?query=up" | "$PYTHON" -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null)
	is "$UP" 1 "Prometheus: the scrape target is up"
	kill "$PROM_PID" 2>/dev/null
	wait "$PROM_PID" 2>/dev/null
	[ "$GOT" = "$STRATUM" ] || diag "prometheus log: $(tail -n 5 "$T/prom/log")"
else
	not_ok "Prometheus scrapes /metrics" "prometheus is not installed (scripts/install-deps)"
fi

# The JSON API: the sources with their state, and one series from its file.
curl -sf "http://127.0.0.1:$HP/api/v1/sources" >"$T/sources.json"
is "$?" 0 "GET /api/v1/sources"
is "$(jf sources.0.kind "$T/sources.json")/$(jf sources.0.up "$T/sources.json")" "chronyd/true" "/api/v1/sources: chronyd, up"
is "$(jf sources.1.kind "$T/sources.json")/$(jf sources.1.target "$T/sources.json")" "server/127.0.0.1:$NTPP" "/api/v1/sources: the server and its target"
num_is "$(jf sources.3.runs "$T/sources.json")" '>=' 3 "/api/v1/sources: hwmon ran at least 3 times"
like "$(jf sources.0.series "$T/sources.json")" '"sundial_daemon_stratum"' "/api/v1/sources: chronyd's series listed"
TEMP_METRIC=$("$PYTHON" -c 'import json,sys; print([m for m in json.load(open(sys.argv[1]))["sources"][3]["series"] if "temperature" in m][0])' "$T/sources.json")
curl -sf -G "http://127.0.0.1:$HP/api/v1/series" --data-urlencode source=hwmon --data-urlencode "target=$T/sys" \
	--data-urlencode "metric=$TEMP_METRIC" --data-urlencode start=-60 >"$T/series.json"
is "$?" 0 "GET /api/v1/series (hwmon temperature, the last minute)"
is "$(jf step "$T/series.json")" 1 "/api/v1/series: one-second steps"
num_is "$("$PYTHON" -c 'import json,sys; print(sum(1 for v in json.load(open(sys.argv[1]))["values"] if v == 48.123))' "$T/series.json")" '>=' 3 "/api/v1/series: at least 3 values of 48.123, as in rrdtool fetch"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/api/v1/series?source=hwmon&target=x&metric=y")
is "$CODE" 404 "/api/v1/series: an unknown series is 404"
CODE=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HP/api/v1/series?source=hwmon")
is "$CODE" 400 "/api/v1/series: missing parameters are 400"

# SIGHUP with a broken file: the running configuration goes on.
cp "$CONF" "$T/good.conf"
printf 'server\n' >>"$CONF"
kill -HUP "$CPID"
sleep 2
kill -0 "$CPID" 2>/dev/null
is "$?" 0 "SIGHUP with a broken file: still running"
like "$(cat "$T/collect.log")" "SIGHUP: .*sundial\.conf:[0-9]+: server: expected HOST" "SIGHUP with a broken file: the mistake is logged with its line"
curl -sf "http://127.0.0.1:$HP/metrics" >"$T/metrics.txt"
pv sundial_query_up source=server 1 "SIGHUP with a broken file: the server is still sampled"
# SIGHUP with a good file without the server: it is gone from /metrics.
grep -v '^server' "$T/good.conf" >"$CONF"
kill -HUP "$CPID"
sleep 2
curl -sf "http://127.0.0.1:$HP/metrics" >"$T/metrics.txt"
is "$(grep -c 'sundial_query_up' "$T/metrics.txt")" 0 "SIGHUP without the server: its series are gone"
pv sundial_daemon_stratum source=chronyd "$STRATUM" "SIGHUP: chronyd is still sampled"
like "$(cat "$T/collect.log")" "SIGHUP: 6 sources" "SIGHUP: the new configuration is logged"
cp "$T/good.conf" "$CONF"

# kill -9, then a restart: the series go on in the same files.
kill -9 "$CPID"
wait "$CPID" 2>/dev/null
echo 50000 >"$T/sys/class/hwmon/hwmon0/temp1_input"
start_collect
sleep 3
read -r T3 V3 <<<"$(last_value "$F_TEMP")"
num_is "$T3" '>' "$T2" "after kill -9 and a restart the same file is updated ($T2 -> $T3)"
num_is "$(absdiff "$V3" 50)" '<=' 0.0000001 "and holds the new temperature ($V3)"
is "$(find "$T/data" -name '*T[0-9]*Z*.rrd' | wc -l)" 0 "no series was started anew (no dated file)"
kill -TERM "$CPID"
wait "$CPID"
is "$?" 0 "SIGTERM: exit 0"
grep -q 'sanitizer\|runtime error' "$T/collect.log" && not_ok "the collector runs clean under the sanitizers" "$(head -n 30 "$T/collect.log")"
diag "collector log: $(tail -n 5 "$T/collect.log")"
kill -TERM "$GPID" 2>/dev/null
wait "$GPID" 2>/dev/null

# The systemd unit of the tree passes systemd-analyze verify (the path of
# the binary put in; man pages not installed are not its fault).
UNIT=$TESTS_DIR/../contrib/systemd/sundial-collect.service
if command -v systemd-analyze >/dev/null 2>&1 && [ -f "$UNIT" ]; then
	sed "s#/usr/local/bin/sundial#$SUNDIAL#" "$UNIT" >"$T/sundial-collect.service"
	systemd-analyze verify "$T/sundial-collect.service" >"$T/unit.txt" 2>&1
	is "$(grep -v "Command 'man " "$T/unit.txt" | grep -c .)" 0 "systemd-analyze verify accepts contrib/systemd/sundial-collect.service"
else
	not_ok "systemd-analyze and the unit file are there" "systemd-analyze: $(command -v systemd-analyze); unit: $UNIT"
fi

# log syslog: messages go to /dev/log (here a socket of the test's own, in a
# mount namespace whose /dev is a fresh tmpfs).
cat >"$T/syslog.conf" <<EOC
datadir $T/data-syslog
listen off
interval 1s
log syslog
hwmon $T/sys
EOC
cat >"$T/syslog-listen.py" <<'PYEOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(0.2)
end = time.time() + float(sys.argv[2])
with open(sys.argv[1], "w") as out:
    while time.time() < end:
        try:
            out.write(s.recv(4096).decode(errors="replace") + "\n")
            out.flush()
        except socket.timeout:
            pass
PYEOF
unshare --mount --propagation private sh -c '
	mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 || exit 1
	"$1" "$2" "$3" 4 &
	sleep 0.5
	timeout -s TERM 2 "$4" collect -f -c "$5" -v >"$6" 2>&1
	wait
' x "$PYTHON" "$T/syslog-listen.py" "$T/syslog.txt" "$SUNDIAL" "$T/syslog.conf" "$T/syslog-stderr.txt"
like "$(cat "$T/syslog.txt" 2>/dev/null)" '^<30>.*sundial\[[0-9]+\]: collecting 1 sources' "log syslog: the start is logged to syslog (daemon.info, with the pid)"
is "$(grep -c 'collecting' "$T/syslog-stderr.txt")" 0 "log syslog: nothing on standard error"

finish
