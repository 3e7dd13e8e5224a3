#!/bin/bash
# stats_daemons.sh - `sundial stats` on statistics files that real daemons
# write during the test, with refclocks:
#   - NTPsec's ntpd with an NMEA refclock fed through a pty (nmea_feeder.py:
#     $GPRMC + $GPGGA, then $GPGGA alone with 4..12 satellites) in mode
#     RMC|GGA|extended log, and an SHM refclock with flag4 that nobody
#     writes; clockstats, peerstats and rawstats enabled:
#       - clockstats: every line read, none malformed; per clock the NMEA
#         timecode age, fix, satellites, HDOP, altitude and the driver's
#         tallies, the SHM driver's tallies; every figure equals
#         stats_oracle.py's reading of the same file; the satellites are
#         the ones the feeder sent, the fix is valid, the timecodes are at
#         most a few seconds old, the SHM segment was never ready;
#       - peerstats with NTPsec's refclock names (NMEA(0)) and its status
#         words without leading zeros, rawstats: no line malformed, figures
#         equal python's;
#   - chronyd with a SOCK refclock (refid GPS) fed known offsets by the
#     test: refclocks.log, tracking.log and statistics.log name the source
#     by its refid; none malformed; the raw offsets are the offsets sent;
#     every figure equals python's;
#   - the text tables show the clocks and fit 80 columns; -o writes an SVG
#     per clockstats series (none for the line counts); the JSON counts the
#     lines per clock as the file has them.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
require_isolated
command -v xmllint >/dev/null 2>&1 || bail_out "xmllint is not installed (scripts/install-deps)"
ORACLE_STATS="$SYS_DIR/stats_oracle.py"

# compare_series NAME FILE...: sundial's JSON ($T/out) against the oracle.
compare_series() {
	local name=$1
	shift
	"$PYTHON" "$ORACLE_STATS" "$T/out" "$@" >"$T/cmp" 2>&1
	if [ "$(tail -n +2 "$T/cmp")" = "" ] && [ "$(head -n 1 "$T/cmp")" -gt 0 ] 2>/dev/null; then
		ok "$name: every figure of the $(head -n 1 "$T/cmp") series equals python's"
	else
		not_ok "$name: every figure of every series equals python's" "$(head -n 20 "$T/cmp")"
	fi
}

# series_values KIND FIELD SOURCE: the JSON summary of one series, as
# "n min max" (or "<missing>").
series_values() {
	"$PYTHON" - "$1" "$2" "$3" "$T/out" <<'PYEOF'
import json, sys
k, f, src, out = sys.argv[1:5]
for s in json.load(open(out))["series"]:
    if (s["kind"], s["field"], s["source"]) == (k, f, src):
        print(s["n"], s["min"], s["max"]); break
else:
    print("<missing>")
PYEOF
}

# ---- NTPsec: NMEA and SHM refclocks -----------------------------------------
# NMEA mode bits (NTPsec refclock_nmea.c): 1 $GPRMC, 2 $GPGGA, 0x10000
# extended clockstats (the poll's tallies after the sentence).
NTPSEC_REF_NMEA_OPTS="mode 65539"
NTPSEC_REF_EXTRA="statistics clockstats peerstats rawstats
filegen clockstats file clockstats type none enable
filegen peerstats file peerstats type none enable
filegen rawstats file rawstats type none enable
refclock shm unit 2 flag4 1 minpoll 1 maxpoll 1"
start_ntpsec_refclock
SD=$T/ntpsec-ref
# $GPGGA alone for 8 polls (2 s each): the driver's last sentence is a
# $GPGGA whose satellites change; then $GPRMC and $GPGGA again.
nmea_mode gga
sleep 16
nmea_mode good
sleep 5
stop_daemon ntpsec-ref # the files as they are from now on
for f in clockstats peerstats rawstats; do
	[ -s "$SD/$f" ] || bail_out "NTPsec wrote no $f in $SD" "$(ls -l "$SD")"
done
diag "clockstats: $(wc -l <"$SD/clockstats") lines, e.g." "$(grep -m1 GPGGA "$SD/clockstats")" \
	"$(grep -m1 'SHM(' "$SD/clockstats")"

run_sundial stats --json "$SD/clockstats" "$SD/peerstats" "$SD/rawstats"
is "$RC" 0 "NTPsec's files: exit 0"
is "$(jf files.0.kind)/$(jf files.1.kind)/$(jf files.2.kind)" clockstats/peerstats/rawstats \
	"NTPsec's files: kinds detected"
for i in 0 1 2; do
	is "$(jf files.$i.malformed)" 0 "$(jf files.$i.kind): no line malformed ($(jf files.$i.records) records)"
done
is "$(jf files.0.records)" "$(wc -l <"$SD/clockstats")" "clockstats: every line read"
compare_series "NTPsec" "$SD/clockstats" "$SD/peerstats" "$SD/rawstats"

# Against what the feeder sent and what the drivers do.
read -r n mn mx <<<"$(series_values clockstats satellites 'NMEA(0)')"
check "clockstats: satellites from \$GPGGA lines ($n, $mn..$mx)" \
	awk -v n="$n" -v a="$mn" -v b="$mx" 'BEGIN { exit !(n >= 3 && a >= 4 && b <= 12 && a < b) }'
read -r n mn mx <<<"$(series_values clockstats hdop 'NMEA(0)')"
check "clockstats: HDOP as sent (satellites / 10: $mn..$mx)" \
	awk -v a="$mn" -v b="$mx" 'BEGIN { exit !(a >= 0.4 && b <= 1.2) }'
read -r n mn mx <<<"$(series_values clockstats fix_quality 'NMEA(0)')"
is "$mn/$mx" "1.0/1.0" "clockstats: fix quality 1 as sent"
read -r n mn mx <<<"$(series_values clockstats altitude 'NMEA(0)')"
is "$mn/$mx" "545.4/545.4" "clockstats: altitude 545.4 m as sent"
read -r n mn mx <<<"$(series_values clockstats timecode_age 'NMEA(0)')"
check "clockstats: the last sentence is 0..3 s old at each poll ($n polls, $mn..$mx s)" \
	awk -v n="$n" -v a="$mn" -v b="$mx" 'BEGIN { exit !(n >= 8 && a >= 0 && b <= 3) }'
read -r n mn mx <<<"$(series_values clockstats nmea_received 'NMEA(0)')"
check "clockstats: the extended log's sentence counts per poll ($mn..$mx)" \
	awk -v a="$mn" -v b="$mx" 'BEGIN { exit !(a >= 0 && b >= 2 && b <= 8) }'
read -r n mn mx <<<"$(series_values clockstats shm_ticks 'SHM(2)')"
read -r _ mn2 mx2 <<<"$(series_values clockstats shm_not_ready 'SHM(2)')"
check "clockstats: SHM(2) counted ticks ($mn..$mx), all not ready ($mn2..$mx2)" \
	awk -v n="$n" -v a="$mn" -v b="$mx" -v c="$mn2" -v d="$mx2" \
	'BEGIN { exit !(n >= 3 && a >= 1 && a == c && b == d) }'
read -r n mn mx <<<"$(series_values clockstats shm_good 'SHM(2)')"
is "$mx" 0.0 "clockstats: SHM(2) never had a good sample (nobody writes it)"
read -r n mn mx <<<"$(series_values peerstats offset 'NMEA(0)')"
check "peerstats: the series of NMEA(0) ($n points)" test "${n:-0}" -ge 3 2>/dev/null
read -r n mn mx <<<"$(series_values rawstats delay "$NTPSEC_REF_UP")"
check "rawstats: the delay of $NTPSEC_REF_UP ($n points, $mn..$mx s)" \
	awk -v n="$n" -v a="$mn" -v b="$mx" 'BEGIN { exit !(n >= 3 && a >= 0 && b < 0.01) }'

run_sundial stats --json -o "$T/svg" "$SD/clockstats"
is "$RC" 0 "clockstats graphs: exit 0"
for f in clockstats-satellites-NMEA_0_.svg clockstats-timecode_age-NMEA_0_.svg \
	clockstats-shm_ticks-SHM_2_.svg; do
	check "clockstats graphs: $f is well-formed SVG" xmllint --noout "$T/svg/$f"
done
is "$(find "$T/svg" -name "*-lines-*" | wc -l)" 0 "clockstats graphs: none for the line counts"
is "$(jf clocks | "$PYTHON" -c 'import json,sys; print(" ".join(sorted("%s=%d" % (c["clock"], c["lines"]) for c in json.load(sys.stdin))))')" \
	"$(awk '{ n[$3]++ } END { for (c in n) printf "%s=%d\n", c, n[c] }' "$SD/clockstats" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')" \
	"JSON: lines per clock as in the file"

run_sundial stats "$SD/clockstats"
is "$RC" 0 "clockstats tables: exit 0"
like "$OUT" "clockstats NMEA\(0\): [0-9]+ lines" "tables: lines per clock"
like "$OUT" "  satellites +[0-9.]+ " "tables: a satellites row"
like "$OUT" "  shm_not_ready " "tables: the SHM tallies"
is "$(awk 'length > 80' "$T/out" | head -n 3)" "" "clockstats tables fit 80 columns"

# ---- chronyd: a SOCK refclock -----------------------------------------------
CD=$T/chrony-ref
mkdir -p "$CD"
cat >"$CD/chrony.conf" <<EOC
port 0
cmdport 0
bindcmdaddress /
pidfile $CD/chronyd.pid
driftfile $CD/drift
logdir $CD
log refclocks tracking statistics
refclock SOCK $CD/gps.sock refid GPS poll 0
EOC
_chronyd_spawn chrony-ref
for _ in $(seq 1 50); do [ -S "$CD/gps.sock" ] && break; sleep 0.1; done
[ -S "$CD/gps.sock" ] || _daemon_failed chrony-ref "no SOCK socket after 5 s"
# 80 samples at 10 Hz, offsets 250 us + i * 1.25 us (as struct sock_sample:
# timeval, offset, pulse, leap, pad, magic); the offsets sent go to a file.
"$PYTHON" - "$CD/gps.sock" "$CD/sent" <<'PYEOF' || bail_out "could not feed chronyd's SOCK refclock"
import socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
with open(sys.argv[2], "w") as out:
    for i in range(80):
        now = time.time()
        off = 250e-6 + i * 1.25e-6
        s.sendto(struct.pack("lldiiii", int(now), int((now % 1) * 1e6), off, 0, 0, 0,
                             0x534f434b), sys.argv[1])
        out.write("%.9e\n" % off)
        time.sleep(0.1)
PYEOF
sleep 1.5
stop_daemon chrony-ref
for f in refclocks.log tracking.log statistics.log; do
	[ -s "$CD/$f" ] || bail_out "chronyd wrote no $f" "$(ls -l "$CD")" "$(tail -n 20 "$T/chrony-ref/out")"
done
run_sundial stats --json "$CD/refclocks.log" "$CD/tracking.log" "$CD/statistics.log"
is "$RC" 0 "chronyd's logs: exit 0"
is "$(jf files.0.kind)/$(jf files.1.kind)/$(jf files.2.kind)" refclocks/tracking/statistics \
	"chronyd's logs: kinds detected"
for i in 0 1 2; do
	is "$(jf files.$i.malformed)" 0 "$(jf files.$i.kind): no line malformed ($(jf files.$i.records) records)"
done
compare_series "chronyd" "$CD/refclocks.log" "$CD/tracking.log" "$CD/statistics.log"
# The raw offsets chronyd logged are the offsets sent (printed with 7 digits).
"$PYTHON" - "$T/out" "$CD/sent" >"$T/raw" <<'PYEOF'
import json, sys
sent = [float(x) for x in open(sys.argv[2])]
for s in json.load(open(sys.argv[1]))["series"]:
    if (s["kind"], s["field"], s["source"]) == ("refclocks", "raw_offset", "GPS"):
        ok = abs(s["min"] - min(sent)) <= 1e-9 + 5e-7 * min(sent) and \
             abs(s["max"] - max(sent)) <= 1e-9 + 5e-7 * max(sent)
        print(s["n"], "ok" if ok else "min %r max %r sent %r..%r" % (s["min"], s["max"], min(sent), max(sent)))
        break
else:
    print("0 missing")
PYEOF
read -r n verdict <"$T/raw"
check "refclocks: the raw offsets of GPS are the ones sent ($n samples: $verdict)" \
	test "$verdict" = ok -a "$n" -ge 40
read -r n mn mx <<<"$(series_values statistics est_offset GPS)"
check "statistics: the refclock by its refid GPS ($n rows)" test "${n:-0}" -ge 1 2>/dev/null
check "tracking: its offsets read" test "$(series_values tracking offset '')" != "<missing>"

finish
