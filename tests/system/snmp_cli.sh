#!/bin/bash
# snmp_cli.sh - `sundial snmp`, one look at an agent, against net-snmp's
# snmpd on loopback (tests/system/lib.sh start_snmpd) with snmpget as the
# oracle:
#   - the profile detected over v2c (meinberg: its subtree answers) and the
#     table for people: refclocks with their enum names, the offset string
#     in seconds, what StatusA/B mean;
#   - --json parses, holds the values snmpget gives and the enum names;
#   - v3 authPriv with the host profile named;
#   - the legacy MBG-SNMP-LT-MIB found once the agent has it;
#   - --list-profiles names the shipped ones and their files;
#   - exit statuses: 2 and "authentication failed" for a wrong passphrase
#     (on another agent: net-snmp shares a user's keys per engine ID), 3
#     for a silent agent after its tries, 5 when no profile fits (a
#     profile folder with one that detects nothing), 64 without
#     credentials; a credentials file others may read is refused with the
#     chmod to run; an unknown profile says where it looked.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
require_snmp
PROFILES=$(dirname "$TESTS_DIR")/profiles
export SUNDIAL_PROFILES=$PROFILES

SNMP_PORT=$(free_udp_port)
start_snmpd snmpd "$SNMP_PORT" 127.0.0.1
start_snmpd snmpd-bad "$SNMP_PORT" 127.0.0.3
SILENT_PORT=$(free_udp_port)
start_silent silent "$SILENT_PORT" 127.0.0.4
C_V2=$(snmp_creds v2 "community public")
C_V3=$(snmp_creds v3 "user $SNMP_V3_USER" "auth sha256 $SNMP_V3_AUTH" "priv aes $SNMP_V3_PRIV")
C_BAD=$(snmp_creds v3bad "user $SNMP_V3_USER" "auth sha256 not $SNMP_V3_AUTH" "priv aes $SNMP_V3_PRIV")
A=127.0.0.1:$SNMP_PORT

# sn ARGS...: sundial snmp; stdout $T/out, stderr $T/err, exit RC, time TOOK
sn() {
	local t0
	t0=$(date +%s.%N)
	"$SUNDIAL" snmp "$@" >"$T/out" 2>"$T/err"
	RC=$?
	TOOK=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' "$T/err"; then
		not_ok "sundial snmp $* runs clean under the sanitizers" "$(head -n 40 "$T/err")"
	fi
}
# row OBJECT [ROW]: the VALUE column of the table's line
row() { awk -v o="$1" -v r="${2:-}" '$1 == o && (r == "" ? NF >= 2 && $2 !~ /=/ : $2 == r) { $1 = ""; if (r != "") $2 = ""; sub(/^ +/, ""); print; exit }' "$T/out"; }

# --- the table, profile detected ---
sn -C "$C_V2" "$A"
is "$RC" 0 "v2c: exit 0"
like "$(head -n 1 "$T/out")" "profile meinberg" "v2c: the meinberg profile is detected"
is "$(row ntp_state)" "2 (synchronized)" "table: the NTP state with its name"
is "$(row ntp_refclock_offset)" "0.000012000 s" "table: the refclock offset string '0.012 ms' in seconds"
is "$(row ntp_refclock)" "GPS180" "table: the refclock name"
is "$(row refclock_state refclock=2)" "1 (synchronized)" "table: refclock 2's state"
is "$(row refclock_substate refclock=2)" "52 (lwSync)" "table: refclock 2's substate"
is "$(row refclock_correlation_ratio refclock=2)" "87 %" "table: the PZF's correlation"
is "$(row refclock_satellites_good refclock=1)" "9" "table: the GPS's good satellites"
is "$(row ntp_requests)" "98765432100 (counter)" "table: a Counter64 as it is"
is "$(row temperature)" "41 celsius" "table: the temperature with its unit"
like "$(grep -c . "$T/out")" '^[0-9]+$' "table: printed"

# --- JSON ---
sn -C "$C_V2" --json "$A"
is "$RC" 0 "--json: exit 0"
check "--json: valid JSON" json_valid "$T/out"
jv() { "$PYTHON" -c 'import json,sys
d = json.load(open(sys.argv[1]))
if sys.argv[2] == "-": print(d[sys.argv[3]]); sys.exit()
for v in d["values"]:
    if v["object"] == sys.argv[2] and all(v["labels"].get(k) == x for k, x in (a.split("=") for a in sys.argv[4:])):
        print(v.get(sys.argv[3])); break' "$T/out" "$@"; }
is "$(jv - profile)" meinberg "--json: the profile"
is "$(jv - legacy)" None "--json: no legacy MIB"
num_is "$(jv ntp_stratum value)" '==' "$(snmp_value 1.3.6.1.4.1.5597.30.0.2.2.0)" "--json: the stratum snmpget gives"
num_is "$(jv ntp_clients value)" '==' "$(snmp_value 1.3.6.1.4.1.5597.30.0.2.8.3.0)" "--json: the client count snmpget gives"
is "$(jv refclock_state text refclock=1)" synchronized "--json: an enum's name"
is "$(jv firmware value)" "$(snmp_value 1.3.6.1.4.1.5597.30.0.0.2.0)" "--json: a string as snmpget has it"
is "$(jv ntp_requests counter)" True "--json: counters say so"

# --- v3 with the host profile named ---
sn -C "$C_V3" -p host "$A"
is "$RC" 0 "v3 host: exit 0"
like "$(head -n 1 "$T/out")" "profile host" "v3 host: the profile named"
MEM=$(snmp_value 1.3.6.1.4.1.2021.4.5.0)
is "$(row memory_size)" "$((MEM * 1024)) bytes" "v3 host: memTotalReal in bytes"
like "$(row interface_receive interface=lo)" "bytes \(counter\)$" "v3 host: interface lo by name"

# --- legacy MIB ---
echo ".1.3.6.1.4.1.5597.3.0.1.0 string V6.24.018" >"$T/snmpd/legacy.rec"
sn -C "$C_V2" "$A"
like "$(cat "$T/out")" "legacy MIB present: MBG-SNMP-LT-MIB" "legacy: MBG-SNMP-LT-MIB is found and named"
sn -C "$C_V2" --json "$A"
is "$(jv - legacy)" MBG-SNMP-LT-MIB "legacy: in JSON too"

# --- list ---
sn --list-profiles
is "$RC" 0 "--list-profiles: exit 0"
like "$(cat "$T/out")" "meinberg .*Meinberg LANTIME" "--list-profiles: meinberg with its description"
like "$(cat "$T/out")" "$PROFILES/host.profile" "--list-profiles: where each is"

# --- errors ---
sn -C "$C_BAD" -p host "127.0.0.3:$SNMP_PORT"
is "$RC" 2 "wrong passphrase: exit 2"
like "$(cat "$T/err")" "authentication failed" "wrong passphrase: says authentication failed"
sn -C "$C_V2" -t 0.3s -r 2 "127.0.0.4:$SILENT_PORT"
is "$RC" 3 "silent agent: exit 3"
like "$(cat "$T/err")" "no answer" "silent agent: says no answer"
num_is "$TOOK" '>=' 0.85 "silent agent: after its 3 tries of 0.3 s ($TOOK s)"
num_is "$TOOK" '<' 3 "silent agent: not much later"
mkdir -p "$T/prof"
printf 'profile nothing\ndetect 1.3.6.1.4.1.99999.1.0\nscalar x 1.3.6.1.4.1.99999.1.0 gauge\n' >"$T/prof/nothing.profile"
SUNDIAL_PROFILES=$T/prof sn -C "$C_V2" "$A"
is "$RC" 5 "no profile fits: exit 5"
like "$(cat "$T/err")" "name one with 'profile NAME'" "no profile fits: says to name one"
sn "$A"
is "$RC" 64 "no credentials: exit 64"
like "$(cat "$T/err")" "-C FILE" "no credentials: says -C FILE"
cp "$C_V2" "$T/open.creds"
chmod 644 "$T/open.creds"
sn -C "$T/open.creds" "$A"
is "$RC" 1 "credentials readable by others: exit 1"
like "$(cat "$T/err")" "chmod 600" "credentials readable by others: says chmod 600"
sn -C "$C_V2" -p nosuch "$A"
is "$RC" 1 "unknown profile: exit 1"
like "$(cat "$T/err")" "profile 'nosuch'.*$PROFILES" "unknown profile: says where it looked"
sn -C "$C_V2" -t 0 "$A"
is "$RC" 64 "-t 0: exit 64"
sn --help
is "$RC" 0 "--help: exit 0"
num_is "$(wc -l <"$T/out")" '<=' 24 "--help fits a screen"
finish
