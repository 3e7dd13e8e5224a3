#!/bin/bash
# collect_snmp.sh - the collector's snmp source against net-snmp's snmpd on
# loopback, with snmpget as the oracle:
#   - SNMPv2c on 127.0.0.1, profile detected: the Meinberg LTNG subtree
#     (served by pass_persist from tests/data/meinberg-ltng.rec) is read
#     with the meinberg profile; /metrics and the RRD files hold the
#     record's values: NTP state and stratum, the refclock offset string in
#     seconds, client counters, temperature, the refclock table by index,
#     and what StatusA/B mean per receiver (good satellites of the GPS,
#     correlation and field strength of the PZF);
#   - SNMPv3 authPriv (SHA-256, AES) on 127.0.0.2 with the host profile:
#     memory and load as snmpget has them, interfaces by name (lo), file
#     systems by mount point;
#   - a wrong v3 passphrase on 127.0.0.3: the source fails with an
#     authentication error in /api/v1/sources and the log, up 0;
#   - a silent agent on 127.0.0.4: its samples time out after its tries
#     while the other sources keep their 1-s samples (runs, no skips, short
#     sample times);
#   - the record changed (a refclock loses sync, the PZF correlation drops):
#     the meinberg-refclock and meinberg-correlation alerts turn critical.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
command -v curl >/dev/null 2>&1 || bail_out "curl is not installed (scripts/install-deps)"
command -v rrdtool >/dev/null 2>&1 || bail_out "rrdtool is not installed (scripts/install-deps)"
require_snmp
export SUNDIAL_PROFILES=$(dirname "$TESTS_DIR")/profiles

SNMP_PORT=$(free_udp_port)
start_snmpd snmpd "$SNMP_PORT" 127.0.0.1 127.0.0.2
# Another agent (engine ID) for the wrong passphrase: net-snmp keeps the
# keys of a v3 user per engine ID and user name for the whole process.
start_snmpd snmpd-bad "$SNMP_PORT" 127.0.0.3
SILENT_PORT=$(free_udp_port)
start_silent silent "$SILENT_PORT" 127.0.0.4

C_V2=$(snmp_creds v2 "community public")
C_V3=$(snmp_creds v3 "user $SNMP_V3_USER" "auth sha256 $SNMP_V3_AUTH" "priv aes $SNMP_V3_PRIV")
C_BAD=$(snmp_creds v3bad "user $SNMP_V3_USER" "auth sha256 not $SNMP_V3_AUTH" "priv aes $SNMP_V3_PRIV")

HP=$(free_tcp_port)
cat >"$T/collect.conf" <<EOC
datadir $T/data
listen 127.0.0.1:$HP
interval 1s
snmp 127.0.0.1:$SNMP_PORT credentials $C_V2
snmp 127.0.0.2:$SNMP_PORT credentials $C_V3 profile host
snmp 127.0.0.3:$SNMP_PORT credentials $C_BAD profile host timeout 500ms retries 0
snmp 127.0.0.4:$SILENT_PORT credentials $C_V2 profile meinberg timeout 1s retries 2 interval 5s
EOC
"$SUNDIAL" collect -f -c "$T/collect.conf" -v >"$T/collect.log" 2>&1 &
PID=$!
DAEMONS="$DAEMONS collect:$PID"

M=$T/metrics
metrics() { curl -sf "http://127.0.0.1:$HP/metrics" >"$M"; }
pv() { prom_value "$M" "$@"; }
V2=(source=snmp "target=127.0.0.1:$SNMP_PORT")
V3=(source=snmp "target=127.0.0.2:$SNMP_PORT")

# Until both agents have given values.
for _ in $(seq 1 100); do
	metrics
	[ "$(pv sundial_snmp_meinberg_ntp_stratum "${V2[@]}")" != "<missing>" ] &&
		[ "$(pv sundial_snmp_host_memory_size_bytes "${V3[@]}")" != "<missing>" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.2
done
metrics
prom_check "$M" "/metrics with snmp sources"

# --- v2c, meinberg detected ---
num_is "$(pv sundial_snmp_info "${V2[@]}" profile=meinberg legacy=)" '==' 1 "v2c: the meinberg profile is detected (no legacy MIB)"
like "$(cat "$T/collect.log")" "snmp 127.0.0.1:$SNMP_PORT: profile meinberg" "v2c: the log names the profile detected"
num_is "$(pv sundial_snmp_meinberg_ntp_state "${V2[@]}")" '==' 2 "meinberg: mbgLtNgNtpCurrentState synchronized(2)"
num_is "$(pv sundial_snmp_meinberg_ntp_stratum "${V2[@]}")" '==' 1 "meinberg: stratum 1"
num_is "$(absdiff "$(pv sundial_snmp_meinberg_ntp_refclock_offset_seconds "${V2[@]}")" 0.000012)" '<' 1e-12 \
	"meinberg: the refclock offset string '0.012 ms' is 12 us"
num_is "$(pv sundial_snmp_meinberg_ntp_refclock_info "${V2[@]}" value=GPS180)" '==' 1 "meinberg: the refclock name as an _info label"
num_is "$(pv sundial_snmp_meinberg_firmware_info "${V2[@]}" value=7.08.007)" '==' 1 "meinberg: the firmware version"
num_is "$(pv sundial_snmp_meinberg_ntp_clients "${V2[@]}")" '==' 1234 "meinberg: number of clients"
num_is "$(pv sundial_snmp_meinberg_ntp_clients_today "${V2[@]}")" '==' 4321 "meinberg: today's clients"
num_is "$(pv sundial_snmp_meinberg_ntp_requests_total "${V2[@]}")" '==' 98765432100 "meinberg: total requests, a Counter64, as a counter"
num_is "$(pv sundial_snmp_meinberg_temperature_celsius "${V2[@]}")" '==' 41 "meinberg: temperature"
num_is "$(pv sundial_snmp_meinberg_refclock_state "${V2[@]}" refclock=1)" '==' 1 "meinberg: refclock 1 synchronized"
num_is "$(pv sundial_snmp_meinberg_refclock_type "${V2[@]}" refclock=2)" '==' 60 "meinberg: refclock 2 is a pzf180(60)"
num_is "$(pv sundial_snmp_meinberg_refclock_satellites_good "${V2[@]}" refclock=1)" '==' 9 "meinberg: the GPS's StatusA is good satellites"
num_is "$(pv sundial_snmp_meinberg_refclock_satellites_in_view "${V2[@]}" refclock=1)" '==' 11 "meinberg: its MaxStatusA satellites in view"
is "$(pv sundial_snmp_meinberg_refclock_correlation_ratio "${V2[@]}" refclock=1)" "<missing>" "meinberg: a GPS has no correlation"
num_is "$(pv sundial_snmp_meinberg_refclock_correlation_ratio "${V2[@]}" refclock=2)" '==' 0.87 "meinberg: the PZF's StatusA is its correlation"
num_is "$(pv sundial_snmp_meinberg_refclock_field_strength_ratio "${V2[@]}" refclock=2)" '==' 0.64 "meinberg: the PZF's StatusB is its field strength"
is "$(pv sundial_snmp_meinberg_refclock_satellites_good "${V2[@]}" refclock=2)" "<missing>" "meinberg: a PZF has no satellites"

last_value() { rrdtool lastupdate "$1" 2>/dev/null | awk -F': ' 'NF == 2 { v = $2 } END { print v }'; }
F=$(find "$T/data/snmp" -name 'sundial_snmp_meinberg_ntp_stratum.rrd' -path "*127.0.0.1*" | head -n 1)
num_is "$(last_value "$F")" '==' 1 "meinberg: the stratum is in its RRD file"
F=$(find "$T/data/snmp" -name 'sundial_snmp_meinberg_refclock_correlation_ratio*2.rrd' | head -n 1)
num_is "$(last_value "$F")" '==' 0.87 "meinberg: the PZF's correlation is in its RRD file (by refclock index)"

# --- v3, host ---
num_is "$(pv sundial_collect_up "${V3[@]}")" '==' 1 "v3: the host source works"
MEMTOTAL=$(snmp_value 1.3.6.1.4.1.2021.4.5.0)
num_is "$(pv sundial_snmp_host_memory_size_bytes "${V3[@]}")" '==' "$((MEMTOTAL * 1024))" \
	"host over v3: memTotalReal x 1024 bytes as snmpget has it"
LOAD=$(snmp_value 1.3.6.1.4.1.2021.10.1.5.1)
num_is "$(absdiff "$(pv sundial_snmp_host_load1 "${V3[@]}")" "$(awk -v l="$LOAD" 'BEGIN { print l / 100 }')")" '<=' 0.5 \
	"host over v3: the 1-minute load is laLoadInt.1 / 100"
check "host: interface lo by name, receive bytes as a counter" \
	test "$(pv sundial_snmp_host_interface_receive_bytes_total "${V3[@]}" interface=lo)" != "<missing>"
check "host: the root file system by its mount point" \
	test "$(pv sundial_snmp_host_storage_size_bytes "${V3[@]}" storage=/)" != "<missing>"
is "$(grep -c 'sundial_snmp_host_storage_unit_size' "$M")" 0 "host: the hidden allocation-unit column is not exported"
num_is "$(pv sundial_snmp_info "${V3[@]}" profile=host legacy=)" '==' 1 "v3: the profile named is used"

# --- a wrong passphrase ---
V_BAD=(source=snmp "target=127.0.0.3:$SNMP_PORT")
num_is "$(pv sundial_collect_up "${V_BAD[@]}")" '==' 0 "wrong v3 passphrase: up 0"
curl -sf "http://127.0.0.1:$HP/api/v1/sources" >"$T/sources.json"
ERR=$("$PYTHON" -c 'import json,sys
for s in json.load(open(sys.argv[1]))["sources"]:
    if s["target"] == sys.argv[2]: print(s["error"])' "$T/sources.json" "127.0.0.3:$SNMP_PORT")
like "$ERR" "authentication failed" "wrong v3 passphrase: the source's error says authentication failed"
like "$(cat "$T/collect.log")" "127.0.0.3.*authentication" "wrong v3 passphrase: the log says so"

# --- a silent agent does not stall the others ---
runs() { curl -sf "http://127.0.0.1:$HP/api/v1/sources" | "$PYTHON" -c 'import json,sys
for s in json.load(sys.stdin)["sources"]:
    if s["target"] == sys.argv[1]: print(s["runs"], s["skipped"])' "$1"; }
# wait until the silent source has failed once, then watch 6 s
for _ in $(seq 1 50); do
	metrics
	numcmp "$(pv sundial_collect_up source=snmp "target=127.0.0.4:$SILENT_PORT")" '==' 0 && break
	sleep 0.2
done
read -r R0 S0 <<<"$(runs "127.0.0.1:$SNMP_PORT")"
sleep 6
read -r R1 S1 <<<"$(runs "127.0.0.1:$SNMP_PORT")"
metrics
num_is "$((R1 - R0))" '>=' 5 "silent agent: the v2c source still sampled every second (runs $R0 -> $R1)"
is "$((S1 - S0))" 0 "silent agent: the v2c source skipped no sample"
num_is "$(pv sundial_collect_sample_seconds "${V2[@]}")" '<' 0.5 "silent agent: the v2c source's samples stay short"
ST=$(pv sundial_collect_sample_seconds source=snmp "target=127.0.0.4:$SILENT_PORT")
num_is "$ST" '>=' 2.9 "silent agent: its sample waited for its 3 tries of 1 s ($ST s)"
num_is "$ST" '<' 4.5 "silent agent: and no longer than its time"
like "$(cat "$T/collect.log")" "127.0.0.4:$SILENT_PORT.*no answer" "silent agent: the log says it does not answer"

# --- the dashboard: the snmp sources' pages and graphs ---
enc() { "$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
U=http://127.0.0.1:$HP
bad=""
n_graphs=0
for tg in "127.0.0.1:$SNMP_PORT" "127.0.0.2:$SNMP_PORT"; do
	curl -sf -o "$T/page.html" "$U/source?kind=snmp&target=$(enc "$tg")&span=day" || bad="$bad page:$tg"
	xmllint --html --noout "$T/page.html" 2>/dev/null || bad="$bad html:$tg"
	cp "$T/page.html" "$T/page-${tg%%:*}.html"
	for img in $(grep -o '<img [^>]*src="[^"]*"' "$T/page.html" | sed 's/.*src="//; s/"$//; s/&amp;/\&/g'); do
		n_graphs=$((n_graphs + 1))
		curl -sf -o "$T/g.svg" "$U$img" && xmllint --noout "$T/g.svg" 2>/dev/null || bad="$bad $img"
	done
done
is "$bad" "" "dashboard: the snmp sources' pages are valid HTML and every graph is an SVG that parses"
num_is "$n_graphs" '>=' 12 "dashboard: the two pages show graphs ($n_graphs)"
for id in mbg_offset mbg_state mbg_signal mbg_satellites mbg_clients mbg_temperature; do
	like "$(cat "$T/page-127.0.0.1.html")" "id=\"graph-$id\"" "dashboard: the LANTIME's page has the $id graph"
done
for id in host_load host_memory host_storage host_interfaces; do
	like "$(cat "$T/page-127.0.0.2.html")" "id=\"graph-$id\"" "dashboard: the host's page has the $id graph"
done
curl -sf "$U/" >"$T/overview.html"
like "$(cat "$T/overview.html")" "stratum: 1" "dashboard: the overview shows the LANTIME's stratum"

# --- the device changes: alerts ---
REC=$T/snmpd/meinberg.rec
sed -i 's/^\(.1.3.6.1.4.1.5597.30.0.1.2.1.4.1\) integer 1$/\1 integer 2/; s/^\(.1.3.6.1.4.1.5597.30.0.1.2.1.6.2\) gauge 87$/\1 gauge 20/' "$REC"
for _ in $(seq 1 40); do
	metrics
	numcmp "$(pv sundial_alert_state "${V2[@]}" alert=meinberg-refclock series=sundial_snmp_meinberg_refclock_state@1)" '==' 2 &&
		numcmp "$(pv sundial_alert_state "${V2[@]}" alert=meinberg-correlation series=sundial_snmp_meinberg_refclock_correlation_ratio@2)" '==' 2 && break
	sleep 0.25
done
num_is "$(pv sundial_snmp_meinberg_refclock_state "${V2[@]}" refclock=1)" '==' 2 "changed record: refclock 1 notSynchronized(2)"
num_is "$(pv sundial_alert_state "${V2[@]}" alert=meinberg-refclock series=sundial_snmp_meinberg_refclock_state@1)" '==' 2 \
	"changed record: the meinberg-refclock alert is critical"
num_is "$(pv sundial_alert_state "${V2[@]}" alert=meinberg-refclock series=sundial_snmp_meinberg_refclock_state@2)" '==' 0 \
	"changed record: the other refclock's alert stays OK"
num_is "$(pv sundial_alert_state "${V2[@]}" alert=meinberg-correlation series=sundial_snmp_meinberg_refclock_correlation_ratio@2)" '==' 2 \
	"changed record: correlation 20 % is critical"

kill -TERM "$PID"
wait "$PID"
is "$?" 0 "SIGTERM: exit 0"
if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' "$T/collect.log"; then
	not_ok "the collector runs clean under the sanitizers" "$(grep -A 30 -E 'Sanitizer|runtime error' "$T/collect.log" | head -n 40)"
fi
DAEMONS=${DAEMONS/collect:$PID/}
finish
