#!/bin/bash
# graph_cli.sh - `sundial graph` on RRD files laid out as `sundial collect`
# writes them (made here with rrdtool itself: step 60, a GAUGE or DERIVE
# "value", MIN/AVERAGE/MAX archives, a day of samples):
#   - every source of the data folder: one SVG per graph that has files
#     (an exec source: one per value it printed),
#     each a well-formed XML document (xmllint) with the graph's title; no
#     file for graphs without data; dated files of a definition change not
#     drawn; a line printed per file; index.html lists them all;
#   - --format png --span all --json: four PNGs per graph (their signature),
#     a JSON list (jq) naming the files and the lines' labels, unescaped;
#   - SOURCE and SOURCE/TARGET (a target with '/': hwmon//sys) pick sources;
#     --size; -q prints nothing;
#   - --rrdcached: the daemon's cached updates reach the file first;
#   - errors: unknown span, bad size, unknown source, no data for a source
#     (64); missing or empty data folder, a file that is not an RRD, an
#     output folder that cannot be made (1, naming the file).

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
for t in rrdtool rrdcached xmllint jq od; do
	command -v "$t" >/dev/null 2>&1 || bail_out "$t is not installed (scripts/install-deps)"
done

D=$T/data
NOW=$(( $(date +%s) / 60 * 60 ))
START=$(( NOW - 86400 ))

# mkrrd FILE GAUGE|DERIVE: an RRD file as rrd.c creates it for step 60.
mkrrd() {
	local min=U
	[ "$2" = DERIVE ] && min=0
	mkdir -p "$(dirname "$1")"
	rrdtool create "$1" --start $((START - 60)) --step 60 "DS:value:$2:120:$min:U" \
		RRA:AVERAGE:0.5:1:2880 RRA:MIN:0.5:1:2880 RRA:MAX:0.5:1:2880 \
		RRA:AVERAGE:0.5:5:4032 RRA:MIN:0.5:5:4032 RRA:MAX:0.5:5:4032 \
		RRA:AVERAGE:0.5:30:2976 RRA:MIN:0.5:30:2976 RRA:MAX:0.5:30:2976 \
		RRA:AVERAGE:0.5:1440:1826 RRA:MIN:0.5:1440:1826 RRA:MAX:0.5:1440:1826 ||
		bail_out "rrdtool create $1 failed"
}

# fill FILE AWK-EXPR: a sample every minute for a day; the expression of i
# (the minute) and t (the time).
fill() {
	# shellcheck disable=SC2046 # one argument per sample
	rrdtool update "$1" $(awk -v s="$START" -v e="$NOW" "BEGIN { for (t = s; t <= e; t += 60) { i = (t - s) / 60; printf \"%d:%s\\n\", t, $2 } }") ||
		bail_out "rrdtool update $1 failed"
}

C=$D/chronyd/127.0.0.1
mkrrd "$C/sundial_daemon_offset_seconds.rrd" GAUGE
fill "$C/sundial_daemon_offset_seconds.rrd" '1e-5 * sin(i / 60) + 2e-6 * (i % 7)'
mkrrd "$C/sundial_daemon_offset_seconds.20240101T000000Z.rrd" GAUGE
for u in 192.0.2.2 192.0.2.10 "ntp: a=b"; do
	e=$(printf '%s' "$u" | sed 's/:/%3A/g; s/ /%20/g; s/=/%3D/g')
	mkrrd "$C/sundial_daemon_source_offset_seconds%40$e.rrd" GAUGE
	fill "$C/sundial_daemon_source_offset_seconds%40$e.rrd" '2e-4 * cos(i / 90) - 1e-4'
done
mkrrd "$C/sundial_daemon_packets_received_total.rrd" DERIVE
fill "$C/sundial_daemon_packets_received_total.rrd" 'i * 600 + (i % 13) * 7'
mkrrd "$C/sundial_daemon_packets_sent_total.rrd" DERIVE
fill "$C/sundial_daemon_packets_sent_total.rrd" 'i * 590'
mkrrd "$C/sundial_collect_up.rrd" GAUGE
fill "$C/sundial_collect_up.rrd" '(i % 97 == 0) ? 0 : 1'
H=$D/hwmon/%2Fsys
mkrrd "$H/sundial_hwmon_temperature_celsius%40coretemp%40temp1.rrd" GAUGE
fill "$H/sundial_hwmon_temperature_celsius%40coretemp%40temp1.rrd" '45 + 5 * sin(i / 200)'
mkrrd "$H/sundial_hwmon_temperature_celsius%40coretemp%40temp2.rrd" GAUGE
fill "$H/sundial_hwmon_temperature_celsius%40coretemp%40temp2.rrd" '50 + 3 * cos(i / 150)'
mkrrd "$D/server/time.example.net/sundial_query_offset_seconds.rrd" GAUGE
fill "$D/server/time.example.net/sundial_query_offset_seconds.rrd" '3e-4 + 1e-5 * (i % 11)'
mkrrd "$D/exec/probe/sundial_exec_Room_temp.rrd" GAUGE
fill "$D/exec/probe/sundial_exec_Room_temp.rrd" '21 + (i % 5) / 10'
mkrrd "$D/exec/probe/sundial_exec_Room_temp.20240101T000000Z.rrd" GAUGE
mkdir -p "$D/not-a-kind/x"

WANT_SVG="chronyd/127.0.0.1/offset-day.svg chronyd/127.0.0.1/upstream_offset-day.svg
chronyd/127.0.0.1/packets-day.svg chronyd/127.0.0.1/up-day.svg
hwmon/%2Fsys/temperature-day.svg server/time.example.net/offset-day.svg
exec/probe/exec_room_temp-day.svg"
title_of() {
	case "$1" in
		*/upstream_offset-*) echo "Offsets of the upstream sources" ;;
		chronyd/*/offset-*) echo "Offset of the local clock" ;;
		*/packets-*) echo "NTP packets" ;;
		*/up-*) echo "Samples that worked" ;;
		*/temperature-*) echo "Temperatures" ;;
		server/*/offset-*) echo "Offset of the server's clock" ;;
		exec/*/exec_room_temp-*) echo "Exec value Room_temp" ;;
	esac
}

# --- every source, SVG ---
O=$T/svg
run_sundial graph -d "$D" -o "$O"
is "$RC" 0 "svg: exit 0"
[ "$RC" = 0 ] || show_run
n=0
for f in $WANT_SVG; do
	n=$((n + 1))
	if [ ! -s "$O/$f" ]; then
		not_ok "svg: $f is written"
		continue
	fi
	check "svg: $f is well-formed XML" xmllint --noout "$O/$f"
	is "$(head -c 5 "$O/$f")" "<?xml" "svg: $f is an XML document"
	t=$(title_of "$f")
	if grep -qF "<title>$t</title>" "$O/$f"; then ok "svg: $f has its title"
	else not_ok "svg: $f has its title '$t'" "$(grep -o '<title>[^<]*' "$O/$f" | head -n 1)"; fi
	if printf '%s\n' "$OUT" | grep -qxF "$O/$f"; then ok "svg: $f is printed"
	else not_ok "svg: $f is printed"; fi
done
is "$(find "$O" -name '*.svg' | wc -l)" "$n" "svg: no graph without data is drawn ($n files)"
is "$(printf '%s\n' "$OUT" | wc -l)" "$((n + 1))" "svg: one line per file written, and the index"
[ ! -e "$O/chronyd/127.0.0.1/jitter-day.svg" ]
is "$?" 0 "svg: no jitter graph (no files)"
[ ! -e "$O/not-a-kind" ]
is "$?" 0 "svg: a folder that is not a source kind is left alone"
I=$O/index.html
check "index: written" test -s "$I"
# img_check INDEX: how many images it shows, and how many of them are missing
img_check() {
	"$PYTHON" - "$1" <<'EOF'
import html.parser, os, sys, urllib.parse
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.src = []
    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.src.append(dict(attrs).get("src", ""))
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
p.close()
base = os.path.dirname(sys.argv[1])
missing = [s for s in p.src if not os.path.isfile(os.path.join(base, urllib.parse.unquote(s)))]
print(len(p.src), len(missing))
EOF
}
is "$(img_check "$I")" "$n 0" "index: shows the $n images, each found at its URL"
for f in $WANT_SVG; do
	u=$(printf '%s' "$f" | sed 's/%/%25/g')
	if grep -qF "src=\"$u\"" "$I"; then ok "index: lists $f"; else not_ok "index: lists $f ($u)"; fi
done
like "$(cat "$I")" '<h3>Offset of the server&#39;s clock</h3>' "index: titles, HTML-escaped"
like "$(cat "$I")" 'lines that agree are healthy' "index: the legends"
like "$(cat "$I")" '<h2>hwmon /sys</h2>' "index: sources under their unescaped names"

# --- PNG, every span, JSON ---
O2=$T/out-png
run_sundial graph -d "$D" -o "$O2" --format png --span all --json chronyd
is "$RC" 0 "png: exit 0"
check "png: --json prints JSON" jq -e 'type == "array"' "$T/out"
is "$(jq length "$T/out")" 16 "png: four graphs of chronyd, four spans each"
is "$(jq -r '[.[].span] | unique | join(",")' "$T/out")" "day,month,week,year" "png: the four spans"
is "$(jq -r '[.[].format] | unique | join(",")' "$T/out")" "png" "png: format png"
is "$(jq -c '.[] | select(.graph == "upstream_offset" and .span == "day") | .lines' "$T/out")" \
	'["192.0.2.2","192.0.2.10","ntp: a=b"]' "png: labels unescaped, in natural order"
is "$(jq -c '.[] | select(.graph == "offset" and .span == "week") | .lines' "$T/out")" \
	'["offset"]' "png: the dated file of a definition change is not drawn"
is "$(jq -c '.[] | select(.graph == "packets" and .span == "day") | .lines' "$T/out")" \
	'["received","sent"]' "png: counters under their short names"
bad=0
for f in $(jq -r '.[].file' "$T/out"); do
	sig=$(head -c 8 "$f" 2>/dev/null | od -An -tx1 | tr -d ' \n')
	[ "$sig" = 89504e470d0a1a0a ] || { bad=$((bad + 1)); diag "$f: '$sig'"; }
done
is "$bad" 0 "png: every file listed starts with the PNG signature"
is "$(find "$O2" -name '*.png' | wc -l)" 16 "png: 16 files, nothing else"
is "$(find "$O2" -path '*hwmon*' | wc -l)" 0 "png: only the source asked for"
check "png: index.html" test -s "$O2/index.html"

# --- choosing sources, size, quiet ---
run_sundial graph -d "$D" -o "$T/out-hw" -q --size 300x100 hwmon//sys
is "$RC" 0 "hwmon//sys: exit 0"
is "$OUT" "" "-q: nothing on stdout"
check "hwmon//sys: the temperatures" test -s "$T/out-hw/hwmon/%2Fsys/temperature-day.svg"
is "$(find "$T/out-hw" -name '*.svg' | wc -l)" 1 "hwmon//sys: that source only"
W=$(grep -o '<svg[^>]*' "$T/out-hw/hwmon/%2Fsys/temperature-day.svg" | grep -o 'width="[0-9]*' | head -n 1)
num_is "${W#width=\"}" '<' 450 "--size 300x100: a smaller image (${W#width=\"})"

# --- rrdcached: cached updates are written before drawing ---
mkdir -p "$T/cached"
cp -r "$D/hwmon" "$T/cached/"
rrdcached -g -F -B -b "$T/cached" -l "unix:$T/rrdcached.sock" -w 3600 -z 1 -p "$T/rrdcached.pid" >"$T/rrdcached.log" 2>&1 &
DAEMONS="$DAEMONS rrdcached:$!"
for _ in $(seq 1 50); do [ -S "$T/rrdcached.sock" ] && break; sleep 0.1; done
CF=$T/cached/hwmon/%2Fsys/sundial_hwmon_temperature_celsius%40coretemp%40temp1.rrd
rrdtool update --daemon "unix:$T/rrdcached.sock" "$CF" "$((NOW + 60)):99"
is "$(rrdtool last "$CF")" "$NOW" "rrdcached: the update waits in the daemon"
run_sundial graph -d "$T/cached" -o "$T/out-cached" --rrdcached "unix:$T/rrdcached.sock" hwmon
is "$RC" 0 "rrdcached: exit 0"
is "$(rrdtool last "$CF")" "$((NOW + 60))" "rrdcached: the file was flushed before drawing"

# --- usage errors ---
run_sundial graph -d "$D" -o "$T/x" --span fortnight
is "$RC" 64 "unknown span: exit 64"
like "$ERR" "fortnight" "unknown span: named"
run_sundial graph -d "$D" -o "$T/x" --size 10x10
is "$RC" 64 "bad size: exit 64"
run_sundial graph -d "$D" -o "$T/x" --format gif
is "$RC" 64 "bad format: exit 64"
run_sundial graph -d "$D" -o "$T/x" nosuchkind
is "$RC" 64 "unknown source: exit 64"
like "$ERR" "nosuchkind" "unknown source: named"
run_sundial graph -d "$D" -o "$T/x" server/192.0.2.99
is "$RC" 64 "a source without data: exit 64"
like "$ERR" "server/192\.0\.2\.99" "a source without data: named"
run_sundial graph --bogus
is "$RC" 64 "unknown option: exit 64"
[ ! -e "$T/x" ]
is "$?" 0 "usage errors write nothing"
run_sundial graph --help
is "$RC" 0 "--help: exit 0"
num_is "$(printf '%s\n' "$OUT" | wc -l)" '<=' 22 "--help fits a screen"

# --- nothing to draw, I/O errors ---
mkdir -p "$T/empty"
run_sundial graph -d "$T/empty" -o "$T/x"
is "$RC" 1 "empty data folder: exit 1"
like "$ERR" "nothing to draw" "empty data folder: says so"
run_sundial graph -d "$T/none" -o "$T/x"
is "$RC" 1 "missing data folder: exit 1"
like "$ERR" "$T/none" "missing data folder: named"
mkdir -p "$T/onlyjitter/chronyd/127.0.0.1"
mkrrd "$T/onlyjitter/chronyd/127.0.0.1/unrelated.rrd" GAUGE
run_sundial graph -d "$T/onlyjitter" -o "$T/x"
is "$RC" 1 "no file of a known graph: exit 1"
like "$ERR" "nothing could be drawn" "no file of a known graph: says so"
printf 'not an rrd file\n' >"$C/sundial_daemon_stratum.rrd"
run_sundial graph -d "$D" -o "$T/out-bad" chronyd
is "$RC" 1 "a file that is not an RRD: exit 1"
like "$ERR" "sundial_daemon_stratum\.rrd" "a file that is not an RRD: named"
check "a file that is not an RRD: the other graphs are still drawn" \
	test -s "$T/out-bad/chronyd/127.0.0.1/offset-day.svg"
rm -f "$C/sundial_daemon_stratum.rrd"
printf 'in the way\n' >"$T/blocked"
run_sundial graph -d "$D" -o "$T/blocked" hwmon
is "$RC" 1 "an output folder that cannot be made: exit 1"
like "$ERR" "$T/blocked" "an output folder that cannot be made: named"

finish
