#!/bin/bash
# status_ntpsec.sh - `sundial status` against NTPsec's ntpd (mode 6), with
# NTPsec's own ntpq asked at the same moment as the oracle.
#
# Peers (lib.sh start_ntpsec_refclock; own network namespace, loopback only):
#   ntpsec-ref      ntpd on 127.0.0.1:123 / [::1]:123, orphan 5 until its
#                   sources answer, then stratum 1 refid GPS, LI 0; keys 1-3
#                   trusted, controlkey 1; "disable ntp", no CAP_SYS_TIME
#   NMEA refclock   refclock nmea unit 0, fed through a pty by
#                   nmea_feeder.py ($GPRMC + $GPGGA once a second)
#   ntpsec-ref-up   chronyd on 192.0.2.2:123, local stratum 3 (the server
#                   association; see lib.sh for why 192.0.2.2 on lo)
#   ntpsec-unsync   at the end: ntpd without sources (LI 3, stratum 16)
# Values that move between two readings (counters, offsets) are checked to
# lie between an ntpq reading just before and one just after sundial's.
#
# Facts about NTPsec 1.2.2 this test relies on (found with ntpq and by
# reading ntp_control.c / refclock_nmea.c):
#   - a mode 6 read (READSTAT, READVAR, READCLOCK, READ_MRU) with a MAC that
#     does not verify, or with a key id ntpd does not have, is answered
#     anyway, without a MAC; with a good trusted key the reply carries key
#     id + MAC.  Only the AUTH opcodes (WRITEVAR, CONFIGURE, READ_ORDLIST_A
#     as in ifstats/reslist) fail, with error code 1 (CERR_PERMISSION);
#   - the clock status of the NMEA driver is the last event it reported; no
#     event sets it back to 0 (nominal): it starts at "no reply" (the GPS is
#     silent until ntpd is orphan, see lib.sh) and becomes "bad timecode
#     format" (2, ntpq's clk_bad_format) with the first bad checksum;
#   - ntpq 1.2.2 has no "mrustats" command; the mru_* variables come with
#     "rv 0" / monstats.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_status
require_ntpq
require_isolated
private_run_chrony
start_ntpsec_refclock
H=127.0.0.1

# leap_name BITS: ntpd's leap (raw ntpq: 0..3) as sundial names it.
leap_name() {
	case "$1" in 0) echo none ;; 1) echo insert ;; 2) echo delete ;; 3) echo unsynchronised ;; *) echo "?$1" ;; esac
}
# sel_name CONDITION: ntpq's condition as the contract names the selection.
sel_name() { case "$1" in falsetick) echo falseticker ;; *) echo "$1" ;; esac; }
hex_to_int() { printf '%d\n' "$1" 2>/dev/null || echo x; }

SYSVARS=leap,stratum,refid,peer,precision,rootdelay,rootdisp,sys_jitter,clk_jitter,version

# --- system variables ---------------------------------------------------------
l="ntpsec status"
oracle_to "$T/rv-a.json" ntpq-rv $H 0 "$SYSVARS"
run_sundial status --json $H
oracle_to "$T/rv-b.json" ntpq-rv $H 0 "$SYSVARS"
cp "$T/out" "$T/st-sys.json"
is "$RC" 0 "$l: synchronised ntpd: exit 0"
if json_valid "$T/out"; then ok "$l: --json output is valid JSON"; else not_ok "$l: --json output is valid JSON"; show_run; fi
jis daemon ntpd "$l: daemon ntpd (port 123, detected)"
like "$(jf target)" "127\.0\.0\.1" "$l: target names 127.0.0.1"
is "$(jf version)" "$(jf vars.version "$T/rv-a.json")" "$l: version as ntpq rv says ('$(jf vars.version "$T/rv-a.json")')"
jis system.synchronised true "$l: system.synchronised true"
is "$(jf system.leap)" "$(leap_name "$(jf vars.leap "$T/rv-a.json")")" "$l: system.leap as ntpq rv leap ($(jf vars.leap "$T/rv-a.json"))"
is "$(jf system.stratum)" "$(jf vars.stratum "$T/rv-a.json")" "$l: system.stratum as ntpq rv stratum"
is "$(jf system.stratum)" 1 "$l: stratum 1 (following the GPS)"
is "$(jf system.refid)" "$(jf vars.refid "$T/rv-a.json")" "$l: system.refid as ntpq rv refid (GPS)"
is "$(jf system.precision)" "$(jf vars.precision "$T/rv-a.json")" "$l: system.precision as ntpq rv precision"
# ntpd gives milliseconds; the contract wants seconds.
rd_a=$(ms_to_s "$(jf vars.rootdisp "$T/rv-a.json")"); rd_b=$(ms_to_s "$(jf vars.rootdisp "$T/rv-b.json")")
num_between "$(awk -v a="$rd_a" -v b="$rd_b" 'BEGIN{print (a<b?a:b) - 0.0005}')" "$(jf system.root_dispersion)" \
	"$(awk -v a="$rd_a" -v b="$rd_b" 'BEGIN{print (a>b?a:b) + 0.0005}')" "$l: system.root_dispersion in seconds, as ntpq rootdisp (ms) / 1000"
if near "$(jf system.root_delay)" "$(ms_to_s "$(jf vars.rootdelay "$T/rv-a.json")")" 0.000001; then
	ok "$l: system.root_delay as ntpq rootdelay / 1000"
else not_ok "$l: system.root_delay as ntpq rootdelay / 1000" "got $(jf system.root_delay), ntpq $(jf vars.rootdelay "$T/rv-a.json") ms"; fi
sj=$(jf system.sys_jitter)
sja=$(ms_to_s "$(jf vars.sys_jitter "$T/rv-a.json")"); sjb=$(ms_to_s "$(jf vars.sys_jitter "$T/rv-b.json")")
if near "$sj" "$sja" 0.002 || near "$sj" "$sjb" 0.002; then ok "$l: system.sys_jitter in seconds ($sj; ntpq ${sja}/${sjb} s)"
else not_ok "$l: system.sys_jitter in seconds" "got $sj; ntpq says $sja s before, $sjb s after"; fi
peer=$(jf vars.peer "$T/rv-a.json")
i=$(jidx sources associd "$peer")
if [ "$i" -ge 0 ]; then
	is "$(jf "sources.$i.tally")" "*" "$l: the source with ntpd's sys peer associd ($peer) has tally '*'"
	like "$(jf system.sys_peer)" "NMEA|127\.127\.20\.0" "$l: system.sys_peer names the NMEA refclock ('$(jf system.sys_peer)')"
else
	not_ok "$l: sources include ntpd's system peer (associd $peer)"; show_run
fi
jis errors "[]" "$l: no errors"

# The same daemon named other ways: --ntpd, host:port, IPv6, no target.
run_sundial status --json --ntpd $H
is "$RC/$(jf daemon)/$(jf system.stratum)/$(jf system.refid)" "0/ntpd/1/GPS" "$l: --ntpd 127.0.0.1: same answer"
run_sundial status --json "$H:123"
is "$RC/$(jf daemon)/$(jf system.stratum)/$(jf system.refid)" "0/ntpd/1/GPS" "$l: 127.0.0.1:123 detected as ntpd"
run_sundial status --json "[::1]:123"
is "$RC/$(jf daemon)/$(jf system.stratum)/$(jf system.refid)" "0/ntpd/1/GPS" "$l: [::1]:123 detected as ntpd"
run_sundial status --json -p 123 ::1
is "$RC/$(jf daemon)/$(jf system.stratum)" "0/ntpd/1" "$l: -p 123 ::1"
# No target: chronyd's socket (none: /run/chrony is private here), chronyd
# on 127.0.0.1:323 (nothing), then ntpd on 127.0.0.1:123.
run_sundial status --json
is "$RC/$(jf daemon)/$(jf system.stratum)/$(jf system.refid)" "0/ntpd/1/GPS" "$l: no target: finds ntpd on 127.0.0.1:123 (no chronyd socket, nothing on 323)"
run_sundial status -v
is "$RC" 0 "$l: no target, -v: exit 0"
like "$OUT$ERR" "chronyd" "$l: no target, -v: says it tried chronyd first"
# A port that is neither 123 nor 323: chronyd's protocol first, then mode 6
# (NTPsec serves on 123 only, so this is checked in status_chronyd.sh).

# --- associations -----------------------------------------------------------
l="ntpsec sources"
oracle_to "$T/pe-a.json" ntpq-peers $H
run_sundial status --json $H
oracle_to "$T/pe-b.json" ntpq-peers $H
cp "$T/out" "$T/st-src.json"
is "$(jlen sources)" "$(jlen "" "$T/pe-a.json")" "$l: as many sources as ntpq -c as lists associations ($(jlen "" "$T/pe-a.json"))"
for k in 0 1; do
	a=$(jf "$k.associd" "$T/pe-a.json")
	src=$(jf "$k.vars.srcadr" "$T/pe-a.json")
	i=$(jidx sources associd "$a")
	[ "$i" -ge 0 ] || i=$(jidx sources address "$src")
	if [ "$i" -lt 0 ]; then not_ok "$l: association $a ($src) is listed"; show_run; continue; fi
	m="$l: $src (associd $a)"
	is "$(jf "sources.$i.address")" "$src" "$m: address as ntpq srcadr"
	case "$src" in
		127.127.*) jis "sources.$i.mode" refclock "$m: mode refclock" ;;
		*)         jis "sources.$i.mode" server "$m: mode server" ;;
	esac
	is "$(jf "sources.$i.tally")" "$(jf "$k.tally" "$T/pe-a.json")" "$m: tally as ntpq -p ('$(jf "$k.ntpq_p_tally" "$T/pe-a.json")')"
	is "$(jf "sources.$i.selection")" "$(sel_name "$(jf "$k.condition" "$T/pe-a.json")")" "$m: selection as ntpq -c as condition"
	is "$(jf "sources.$i.stratum")" "$(jf "$k.vars.stratum" "$T/pe-a.json")" "$m: stratum as ntpq"
	is "$(jf "sources.$i.refid")" "$(jf "$k.vars.refid" "$T/pe-a.json")" "$m: refid as ntpq"
	is "$(jf "sources.$i.reach")" "$(hex_to_int "$(jf "$k.vars.reach" "$T/pe-a.json")")" "$m: reach as ntpq (377 octal = 255)"
	num_is "$(jf "sources.$i.reach_pct")" '==' 100 "$m: reach_pct 100"
	is "$(jf "sources.$i.hpoll")" "$(jf "$k.vars.hpoll" "$T/pe-a.json")" "$m: hpoll as ntpq"
	is "$(jf "sources.$i.ppoll")" "$(jf "$k.vars.ppoll" "$T/pe-a.json")" "$m: ppoll as ntpq"
	for f in offset delay jitter; do
		v=$(jf "sources.$i.$f")
		va=$(ms_to_s "$(jf "$k.vars.$f" "$T/pe-a.json")"); vb=$(ms_to_s "$(jf "$k.vars.$f" "$T/pe-b.json")")
		if near "$v" "$va" 0.0005 || near "$v" "$vb" 0.0005; then ok "$m: $f in seconds ($v; ntpq $va / $vb)"
		else not_ok "$m: $f in seconds as ntpq ($f ms / 1000)" "got $v; ntpq $va s before, $vb s after"; fi
	done
done

# Text: a table like ntpq -p.
run_sundial status $H
is "$RC" 0 "ntpsec text: exit 0"
like "$OUT" "remote +refid +st +t +when +poll +reach +delay +offset +jitter" "ntpsec text: an ntpq -p style header"
like "$OUT" "^\*.*(NMEA|127\.127\.20\.0)" "ntpsec text: the refclock line starts with '*'"
like "$OUT" "^$(jf 1.tally "$T/pe-a.json" | sed 's/[+*.]/\\&/').*192\.0\.2\.2" "ntpsec text: the server line starts with ntpq's tally '$(jf 1.tally "$T/pe-a.json")'"
like "$OUT" "NMEA GPS Clock" "ntpsec text: names the refclock's device"

# --- the reference clock ----------------------------------------------------
l="ntpsec refclock"
rc_assoc=$(jf 0.associd "$T/pe-a.json")
[ "$(jf 0.vars.srcadr "$T/pe-a.json")" = 127.127.20.0 ] || rc_assoc=$(jf 1.associd "$T/pe-a.json")

# check_refclock LABEL: sundial's refclocks.0 against ntpq cv before/after.
check_refclock() {
	local m=$1 f lo hi
	oracle_to "$T/cv-a.json" ntpq-cv $H "$rc_assoc"
	run_sundial status --json $H
	oracle_to "$T/cv-b.json" ntpq-cv $H "$rc_assoc"
	cp "$T/out" "$T/st-cv.json"
	is "$(jlen refclocks)" 1 "$m: one refclock"
	is "$(jf refclocks.0.associd)" "$rc_assoc" "$m: associd as ntpq -c as"
	is "$(jf refclocks.0.name)" "$(jf vars.name "$T/cv-a.json")" "$m: name as ntpq cv ('$(jf vars.name "$T/cv-a.json")')"
	is "$(jf refclocks.0.device)" "$(jf vars.device "$T/cv-a.json")" "$m: device as ntpq cv ('$(jf vars.device "$T/cv-a.json")')"
	tc=$(jf refclocks.0.timecode)
	if [ "$tc" = "$(jf vars.timecode "$T/cv-a.json")" ] || [ "$tc" = "$(jf vars.timecode "$T/cv-b.json")" ]; then
		ok "$m: timecode as ntpq cv ('$tc')"
	else not_ok "$m: timecode as ntpq cv" "got '$tc'" "ntpq '$(jf vars.timecode "$T/cv-a.json")' / '$(jf vars.timecode "$T/cv-b.json")'"; fi
	for f in poll noreply badformat baddata; do
		lo=$(jf "vars.$f" "$T/cv-a.json"); hi=$(jf "vars.$f" "$T/cv-b.json")
		num_between "$lo" "$(jf "refclocks.0.$f")" "$hi" "$m: $f between ntpq cv before and after"
	done
	is "$(jf refclocks.0.status)" "$(jf status_code "$T/cv-b.json")" "$m: status as ntpq cv status word (low nibble)"
	is "$(jf refclocks.0.status_text)" "$(jf status_text "$T/cv-b.json")" "$m: status_text '$(jf status_text "$T/cv-b.json")'"
	num_between "$(jf event_count "$T/cv-a.json")" "$(jf refclocks.0.event_count)" "$(jf event_count "$T/cv-b.json")" \
		"$m: event_count as ntpq cv status word"
}

check_refclock "$l (good sentences)"
bf0=$(jf refclocks.0.badformat "$T/st-cv.json")
st0=$(jf refclocks.0.status_text "$T/st-cv.json")
like "$(jf refclocks.0.timecode "$T/st-cv.json")" "^\\\$GP(RMC|GGA)," "$l: timecode is the last NMEA sentence"

# Broken sentences: a good $GPRMC still comes every second, plus a $GPGGA
# with a wrong checksum and a line of garbage (nmea_feeder.py "bad").
nmea_mode bad
sleep 3.5
check_refclock "$l (bad checksums, garbage)"
bf1=$(jf refclocks.0.badformat "$T/st-cv.json")
num_is "$bf1" '>=' "$(awk -v a="$bf0" 'BEGIN { print (a ~ /^[0-9]+$/) ? a + 4 : "x" }')" "$l: badformat went up with the broken sentences ($bf0 -> $bf1)"
is "$(jf refclocks.0.status_text "$T/st-cv.json")" "bad timecode format" "$l: status_text 'bad timecode format' after bad checksums (was '$st0')"
is "$(jf refclocks.0.status "$T/st-cv.json")" 2 "$l: status 2 (CEVNT_BADREPLY, ntpq clk_bad_format)"
is "$(jf system.synchronised "$T/st-cv.json")/$(jf system.stratum "$T/st-cv.json")" "true/1" \
	"$l: the good \$GPRMC keeps ntpd synchronised to it meanwhile"
nr1=$(jf refclocks.0.noreply "$T/st-cv.json")
run_sundial status $H
like "$OUT" "bad timecode format" "$l: text output says 'bad timecode format'"

# A silent GPS: every poll (2 s) finds nothing: noreply up, "no reply".
nmea_mode silent
sleep 4.5
check_refclock "$l (silent)"
num_is "$(jf refclocks.0.noreply "$T/st-cv.json")" '>' "$nr1" "$l: noreply counts the polls without data ($nr1 -> $(jf refclocks.0.noreply "$T/st-cv.json"))"
is "$(jf refclocks.0.status_text "$T/st-cv.json")" "no reply" "$l: status_text 'no reply' when the GPS is silent"
nmea_mode good

# --- counters ----------------------------------------------------------------
l="ntpsec counters"
CTRS=ss_uptime,ss_received,ss_thisver,ss_oldver,ss_badformat,ss_badauth,ss_declined,ss_restricted,ss_limited,ss_kodsent,ss_processed,io_received,io_sent,io_dropped,io_ignored,io_sendfailed,io_wakeups,io_goodwakeups,mru_exists,mru_new
oracle_to "$T/ctr-a.json" ntpq-rv $H 0 "$CTRS"
timeout 20 "$NTPQ" -n -c sysstats $H >"$T/sysstats-a.txt" 2>&1
run_sundial status --json $H
oracle_to "$T/ctr-b.json" ntpq-rv $H 0 "$CTRS"
timeout 20 "$NTPQ" -n -c sysstats $H >"$T/sysstats-b.txt" 2>&1
for c in ${CTRS//,/ }; do
	lo=$(jf "vars.$c" "$T/ctr-a.json"); hi=$(jf "vars.$c" "$T/ctr-b.json")
	if [ "$lo" = "<missing>" ]; then echo "# ntpq rv does not give $c"; continue; fi
	num_between "$lo" "$(jf "counters.$c")" "$hi" "$l: $c between ntpq rv before and after"
done
ssa=$(sed -n 's/^packets received: *\([0-9]*\).*/\1/p' "$T/sysstats-a.txt")
ssb=$(sed -n 's/^packets received: *\([0-9]*\).*/\1/p' "$T/sysstats-b.txt")
num_between "${ssa:-x}" "$(jf counters.ss_received)" "${ssb:-x}" "$l: ss_received as ntpq -c sysstats 'packets received'"
run_sundial status -v $H
like "$OUT" "ss_received|received" "$l: -v text shows the counters"

# --- clients (MRU list) ------------------------------------------------------
l="ntpsec clients"
for a in 127.0.0.2 127.0.0.3; do probe -b "$a" $H 123 >/dev/null; done
run_sundial query -n 1 -t 1 -b 127.0.0.4 "$H:123" >/dev/null
oracle_to "$T/mru-a.json" ntpq-mru $H
run_sundial status --json --clients $H
cp "$T/out" "$T/st-mru.json"
is "$RC" 0 "$l: --clients: exit 0"
jis clients.from "ntpd mru list" "$l: clients.from 'ntpd mru list'"
addrs=$("$PYTHON" -c '
import json, re, sys
d = json.load(open(sys.argv[1]))
for e in d.get("clients", {}).get("entries", []):
    a = e["address"]
    m = re.match(r"^\[?([^\]]*?)\]?(:\d+)?$", a) if a.count(":") <= 1 or a.startswith("[") else None
    print(m.group(1) if m else a)
' "$T/out" 2>/dev/null | sort -u | tr '\n' ' ')
for a in 127.0.0.2 127.0.0.3 127.0.0.4; do
	like " $addrs" " $a " "$l: lists $a (queried from it)"
done
for a in $("$PYTHON" -c 'import json,sys; print(" ".join(sorted({e["addr"] for e in json.load(open(sys.argv[1]))})))' "$T/mru-a.json"); do
	like " $addrs" " $a " "$l: lists $a, as ntpq mrulist does"
done
i=$("$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for i, e in enumerate(d.get("clients", {}).get("entries", [])):
    if e["address"].split(":")[0] == "127.0.0.2": print(i); break
else: print(-1)' "$T/out")
k=$("$PYTHON" -c '
import json, sys
for i, e in enumerate(json.load(open(sys.argv[1]))):
    if e["addr"] == "127.0.0.2": print(i); break
else: print(-1)' "$T/mru-a.json")
if [ "$i" -ge 0 ] && [ "$k" -ge 0 ]; then
	is "$(jf "clients.entries.$i.count")/$(jf "clients.entries.$i.mode")/$(jf "clients.entries.$i.version")" \
		"$(jf "$k.count" "$T/mru-a.json")/$(jf "$k.mode" "$T/mru-a.json")/$(jf "$k.version" "$T/mru-a.json")" \
		"$l: 127.0.0.2: count/mode/version as ntpq mrulist"
fi
run_sundial status --json --clients --limit 1 $H
is "$(jlen clients.entries)" 1 "$l: --limit 1 keeps one entry"
num_is "$(jf clients.total)" '>=' 4 "$l: --limit 1 still counts them all (total $(jf clients.total))"
run_sundial status --clients $H
like "$OUT" "127\.0\.0\.3" "$l: text output lists 127.0.0.3"

# --- authentication (controlkey 1) -------------------------------------------
l="ntpsec auth"
run_sundial status --json -k "$KEYS/client-ntp.keys" -a 1 $H
is "$RC/$(jf system.stratum)/$(jf system.refid)/$(jf errors)" "0/1/GPS/[]" "$l: key 1 (the controlkey): exit 0, same answer"
# Keys 2 and 3 are trusted for time but are not the controlkey: ntpd refuses
# them for control (READ_ORDLIST_A answers "permission"), and sundial says so.
for id in 2 3; do
	run_sundial status --json -k "$KEYS/client-ntp.keys" -a "$id" $H
	is "$RC/$(jf system.stratum)/$(jf system.refid)" "7/1/GPS" "$l: key $id (trusted, not the controlkey): exit 7, values still shown"
	like "$(jf errors)" "controlkey" "$l: key $id: the error names the controlkey"
done
run_sundial status --json --clients -k "$KEYS/client-ntp.keys" -a 1 $H
is "$RC/$(jf clients.from)" "0/ntpd mru list" "$l: key 1: the MRU walk works authenticated"
num_is "$(jlen clients.entries)" '>=' 4 "$l: key 1: MRU entries listed"
# A wrong secret, an unknown key id: ntpd answers the reads without a MAC
# (see above).  sundial asked for authentication and did not get it: it
# must say so, not pass the unauthenticated answer off as authenticated.
check_wrong_key() {
	local kf=$1 id=$2 what=$3
	run_sundial status --json -k "$KEYS/$kf" -a "$id" $H
	is "$RC" 7 "$l: $what: exit 7 (not authenticated)"
	like "$(jf errors)$ERR" "[Aa]uth|MAC|[Kk]ey" "$l: $what: the error says authentication failed"
	[ "$RC" = 7 ] || show_run
	run_sundial status -k "$KEYS/$kf" -a "$id" $H
	like "$OUT$ERR" "[Aa]uth|MAC|[Kk]ey" "$l: $what: text output says authentication failed"
}
check_wrong_key wrong-ntp.keys 1 "a wrong secret for key 1"
check_wrong_key client-ntp.keys 42 "key id 42, unknown to ntpd"
run_sundial status --json -k "$T/no-such.keys" -a 1 $H
is "$RC" 78 "$l: a missing key file: exit 78"

# --- Nagios ------------------------------------------------------------------
l="ntpsec nagios"
oracle_to "$T/pe-n.json" ntpq-peers $H
good=$("$PYTHON" -c 'import json,sys; print(sum(1 for p in json.load(open(sys.argv[1])) if p["condition"] in ("sys.peer","candidate","pps.peer")))' "$T/pe-n.json")
run_sundial status --nagios $H
is "$RC" 0 "$l: synchronised: exit 0"
like "$OUT" "^NTP OK" "$l: 'NTP OK'"
like "$OUT" "\|.*offset=[-+0-9.eE]+s" "$l: perfdata offset=..s"
like "$OUT" "\|.*jitter=[-+0-9.eE]+s" "$l: perfdata jitter=..s"
like "$OUT" "\|.*stratum=1([^0-9]|$)" "$l: perfdata stratum=1 (as ntpq)"
like "$OUT" "\|.*truechimers=$good([^0-9]|$)" "$l: perfdata truechimers=$good (sys.peer + candidates in ntpq -c as)"
run_sundial status --nagios -m 3 $H
is "$RC" 1 "$l: -m 3 with $good good sources: WARNING, exit 1"
like "$OUT" "^NTP WARNING" "$l: -m 3: 'NTP WARNING'"
run_sundial status --nagios -M 3 $H
is "$RC" 2 "$l: -M 3: CRITICAL, exit 2"
like "$OUT" "^NTP CRITICAL" "$l: -M 3: 'NTP CRITICAL'"

# --- Prometheus --------------------------------------------------------------
l="ntpsec prom"
run_sundial status --prom $H
is "$RC" 0 "$l: exit 0"
cp "$T/out" "$T/prom.txt"
prom_check "$T/prom.txt" "$l"
bad=$(grep -v '^#' "$T/prom.txt" | grep -v '^$' | grep -cv '^sundial_')
is "$bad" 0 "$l: every sample is named sundial_*"
is "$(prom_value "$T/prom.txt" sundial_daemon_stratum)" 1.0 "$l: sundial_daemon_stratum 1"
is "$(prom_value "$T/prom.txt" sundial_daemon_synchronised)" 1.0 "$l: sundial_daemon_synchronised 1"
like "$(grep -E '^sundial_daemon_refclock_[a-z_]*badformat' "$T/prom.txt")" "badformat.* [0-9]" "$l: the refclock's badformat count is exported"

# --- unsynchronised, then nothing listening ---------------------------------
stop_daemon ntpsec-ref
start_ntpsec_unsync
l="ntpsec unsync"
oracle_to "$T/rv-u.json" ntpq-rv $H 0 leap,stratum,refid
run_sundial status --json $H
is "$RC" 1 "$l: exit 1"
jis system.synchronised false "$l: synchronised false"
is "$(jf system.leap)" "$(leap_name "$(jf vars.leap "$T/rv-u.json")")" "$l: leap as ntpq ($(jf vars.leap "$T/rv-u.json"))"
is "$(jf system.stratum)" "$(jf vars.stratum "$T/rv-u.json")" "$l: stratum as ntpq ($(jf vars.stratum "$T/rv-u.json"))"
is "$(jf system.refid)" "$(jf vars.refid "$T/rv-u.json")" "$l: refid as ntpq ($(jf vars.refid "$T/rv-u.json"))"
run_sundial status --nagios $H
is "$RC" 2 "$l: --nagios: CRITICAL, exit 2"
like "$OUT" "^NTP CRITICAL" "$l: --nagios: 'NTP CRITICAL'"
stop_daemon ntpsec-unsync

l="ntpsec gone"
run_sundial status --json --ntpd -t 1 $H
is "$RC" 5 "$l: nothing on 127.0.0.1:123 (port unreachable): exit 5"
run_sundial status --nagios --ntpd -t 1 $H
like "$RC" "^[23]$" "$l: --nagios: exit 2 or 3"
like "$OUT" "^NTP (CRITICAL|UNKNOWN)" "$l: --nagios: 'NTP CRITICAL' or 'NTP UNKNOWN'"

finish
