#!/bin/bash
# collect_adsb.sh - the collector's adsb source against dump1090 JSON files
# that a feeder (python, below) keeps writing like a running receiver:
#   - over HTTP (python's http.server on loopback): files made by the feeder,
#     whose message counter advances by RATE per second of their own "now";
#     /metrics has the aircraft counts, positions and range the feeder's
#     python computes from the same files, the message counter, and a rate
#     of RATE messages/s, both as the gauge and in the counter's RRD file
#     (DERIVE, read back with rrdtool fetch);
#   - readsb's files (tests/data/adsb/) over HTTP and dump1090-fa's
#     (the corpus files of claws/dump1090-exporter) from a folder, each with
#     "now" kept fresh: counts, range and signal levels as python reads them;
#   - the same dump1090-fa files as they are (written in 2021): the source
#     fails, saying how old aircraft.json is; a cut aircraft.json: it fails
#     saying so;
#   - the dashboard: the adsb pages are valid HTML with their graphs, every
#     graph an SVG that parses, the overview shows the headline values;
#   - the HTTP server stopped: the HTTP sources fail (sundial_collect_up 0)
#     with an error naming aircraft.json and the failed connection, while
#     the folder source goes on.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
command -v curl >/dev/null 2>&1 || bail_out "curl is not installed (scripts/install-deps)"
command -v rrdtool >/dev/null 2>&1 || bail_out "rrdtool is not installed (scripts/install-deps)"
command -v xmllint >/dev/null 2>&1 || bail_out "xmllint is not installed (scripts/install-deps)"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

DATA=$TESTS_DIR/data/adsb
RATE=250
WWW=$T/www
mkdir -p "$WWW/data" "$WWW/readsb" "$T/fa" "$T/stale" "$T/cut"

# --- the feeder: writes every file atomically, "now" fresh every 50 ms ---
cat >"$T/feeder.py" <<'EOF'
import json, math, os, sys, time

data, t_dir, rate = sys.argv[1], sys.argv[2], float(sys.argv[3])
www = os.path.join(t_dir, "www")

def put(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)

def load(name):
    with open(os.path.join(data, name)) as f:
        return json.load(f)

# A receiver of our own near Lausanne, and aircraft around it: heard now,
# heard 59 s ago, 61 s ago (not counted), positions fresh, old (70 s: not
# counted), none.
rx = {"version": "9.0", "refresh": 1000, "history": 0, "lat": 46.5197, "lon": 6.6323}
live = [
    {"hex": "4b1801", "lat": 46.9, "lon": 7.4, "seen_pos": 0.5, "seen": 0.1, "messages": 900, "rssi": -9.5},
    {"hex": "4b1802", "lat": 45.8, "lon": 6.1, "seen_pos": 12.0, "seen": 3.0, "messages": 120, "rssi": -20.1},
    {"hex": "4b1803", "lat": 47.4, "lon": 8.5, "seen_pos": 70.0, "seen": 20.0, "messages": 40, "rssi": -25.0},
    {"hex": "4b1804", "seen": 59.0, "messages": 3, "rssi": -30.0},
    {"hex": "4b1805", "seen": 61.0, "messages": 1, "rssi": -31.0},
    {"hex": "4b1806", "lat": 44.0, "lon": 4.0, "seen_pos": 61.0, "seen": 61.0, "messages": 8},
    {"hex": "4b1807", "lat": 46.2, "lon": 6.14, "seen_pos": 1.0, "seen": 1.0, "mlat": ["lat", "lon"], "messages": 77},
]

fa = {n: load("claws_dump1090_%s.json" % n) for n in ("aircraft", "receiver", "stats")}
rs = {n: load("readsb_%s.json" % n) for n in ("aircraft", "receiver", "stats")}

def expect(receiver, aircraft, stats):
    """What the adsb source should find, by sources/adsb.h's rules."""
    R = 6371008.8
    def dist(a, b, c, d):
        p1, p2 = math.radians(a), math.radians(c)
        h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(d - b) / 2) ** 2
        return 2 * R * math.asin(math.sqrt(h))
    n = pos = 0
    far = None
    for a in aircraft["aircraft"]:
        seen = a.get("seen", 0)
        if seen >= 60:
            continue
        n += 1
        if "lat" in a and "lon" in a and a.get("seen_pos", seen) < 60:
            pos += 1
            if "lat" in receiver:
                d = dist(receiver["lat"], receiver["lon"], a["lat"], a["lon"])
                far = d if far is None else max(far, d)
    l1 = stats["last1min"]["local"]
    return {"aircraft": n, "with_position": pos, "range": far,
            "signal": l1["signal"], "noise": l1["noise"], "peak": l1["peak_signal"],
            "strong_ratio": l1["strong_signals"] / sum(l1["accepted"]),
            "strong_total": stats["total"]["local"]["strong_signals"]}

m0, t0 = 1000000, time.time()
live_doc = {"now": t0, "messages": m0, "aircraft": live}
put(os.path.join(www, "data", "receiver.json"), rx)
put(os.path.join(www, "data", "stats.json"), fa["stats"])
put(os.path.join(t_dir, "expect.json"), {
    "live": expect(rx, live_doc, fa["stats"]),
    "fa": expect(fa["receiver"], fa["aircraft"], fa["stats"]),
    "readsb": expect(rs["receiver"], rs["aircraft"], rs["stats"]),
    "m0": m0})
for d, doc in ((os.path.join(www, "readsb"), rs), (os.path.join(t_dir, "fa"), fa),
               (os.path.join(t_dir, "stale"), fa)):
    for name in ("receiver", "stats", "aircraft"):
        put(os.path.join(d, name + ".json"), doc[name])
with open(os.path.join(data, "claws_dump1090_aircraft.json")) as f:
    text = f.read()
with open(os.path.join(t_dir, "cut", "aircraft.json"), "w") as f:
    f.write(text[: len(text) // 2])
open(os.path.join(t_dir, "ready"), "w").close()
while True:
    now = time.time()
    live_doc["now"] = round(now, 3)
    live_doc["messages"] = m0 + int(round(rate * (now - t0)))
    put(os.path.join(www, "data", "aircraft.json"), live_doc)
    for d, doc in ((os.path.join(www, "readsb"), rs), (os.path.join(t_dir, "fa"), fa)):
        doc["aircraft"]["now"] = round(now, 1)
        put(os.path.join(d, "aircraft.json"), doc["aircraft"])
    time.sleep(0.05)
EOF
"$PYTHON" "$T/feeder.py" "$DATA" "$T" "$RATE" >"$T/feeder.log" 2>&1 &
DAEMONS="$DAEMONS feeder:$!"
for _ in $(seq 1 50); do
	[ -e "$T/ready" ] && break
	sleep 0.1
done
[ -e "$T/ready" ] || bail_out "the feeder did not start" "$(cat "$T/feeder.log")"
E() { jf "$1" "$T/expect.json"; }

HTTP_PORT=$(free_tcp_port)
"$PYTHON" -m http.server --bind 127.0.0.1 --directory "$WWW" "$HTTP_PORT" >"$T/http.log" 2>&1 &
HTTP_PID=$!
DAEMONS="$DAEMONS http:$HTTP_PID"
_wait_tcp http 127.0.0.1 "$HTTP_PORT"

LIVE=http://127.0.0.1:$HTTP_PORT/data
RSB=http://127.0.0.1:$HTTP_PORT/readsb/
HP=$(free_tcp_port)
cat >"$T/collect.conf" <<EOC
datadir $T/data
listen 127.0.0.1:$HP
interval 1s
adsb $LIVE
adsb $RSB
adsb $T/fa
adsb $T/stale
adsb $T/cut interval 2s
EOC
"$SUNDIAL" collect -f -c "$T/collect.conf" -v >"$T/collect.log" 2>&1 &
PID=$!
DAEMONS="$DAEMONS collect:$PID"

M=$T/metrics
metrics() { curl -sf "http://127.0.0.1:$HP/metrics" >"$M"; }
pv() { prom_value "$M" "$@"; }
L=(source=adsb "target=$LIVE")
R=(source=adsb "target=$RSB")
F=(source=adsb "target=$T/fa")

# Until the live source has had a few samples (its rate needs two).
for _ in $(seq 1 100); do
	metrics
	[ "$(pv sundial_adsb_messages_per_second "${L[@]}")" != "<missing>" ] &&
		[ "$(pv sundial_adsb_aircraft "${F[@]}")" != "<missing>" ] &&
		[ "$(pv sundial_adsb_aircraft "${R[@]}")" != "<missing>" ] && break
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.2
done
sleep 6 # a few more samples for the rates
metrics
prom_check "$M" "/metrics with adsb sources"

# --- the live files over HTTP ---
num_is "$(pv sundial_collect_up "${L[@]}")" '==' 1 "HTTP: the source works"
num_is "$(pv sundial_adsb_aircraft "${L[@]}")" '==' "$(E live.aircraft)" "HTTP: aircraft heard in the last 60 s as python counts them ($(E live.aircraft))"
num_is "$(pv sundial_adsb_aircraft_with_position "${L[@]}")" '==' "$(E live.with_position)" \
	"HTTP: aircraft with a position of the last 60 s ($(E live.with_position))"
num_is "$(absdiff "$(pv sundial_adsb_max_range_meters "${L[@]}")" "$(E live.range)")" '<' 0.01 \
	"HTTP: the range is python's great-circle distance to the farthest ($(E live.range) m)"
MSG=$(pv sundial_adsb_messages_total "${L[@]}")
NOW_MSG=$(jf messages "$WWW/data/aircraft.json")
num_is "$MSG" '>' "$(E m0)" "HTTP: the message counter advanced ($MSG)"
num_is "$MSG" '<=' "$NOW_MSG" "HTTP: and is one the file had (now $NOW_MSG)"
like "$(grep '^# TYPE sundial_adsb_messages_total' "$M")" 'counter$' "HTTP: messages_total is a counter"
GAUGE=$(pv sundial_adsb_messages_per_second "${L[@]}")
num_is "$(absdiff "$GAUGE" "$RATE")" '<=' "$(awk -v r="$RATE" 'BEGIN { print r * 0.03 }')" \
	"HTTP: $RATE messages/s by the files' own clock ($GAUGE)"
num_is "$(pv sundial_adsb_signal_dbfs "${L[@]}")" '==' "$(E live.signal)" "HTTP: signal level from stats.json"

RRD=$(find "$T/data/adsb" -name sundial_adsb_messages_total.rrd -path '*http*data*' | head -n 1)
check "HTTP: the counter has its RRD file" test -n "$RRD"
like "$(rrdtool info "$RRD" 2>/dev/null | grep '\.type = ')" 'DERIVE' "HTTP: the counter is stored as DERIVE (a rate)"
LAST=$(rrdtool last "$RRD" 2>/dev/null)
RRD_RATE=$(rrdtool fetch "$RRD" AVERAGE -r 1 -s $((LAST - 6)) -e "$LAST" 2>/dev/null |
	awk -F': ' 'NF == 2 && $2 !~ /nan/ { s += $2; n++ } END { if (n) printf "%.3f\n", s / n; else print "none" }')
num_is "$(absdiff "$RRD_RATE" "$RATE")" '<=' "$(awk -v r="$RATE" 'BEGIN { print r * 0.05 }')" \
	"HTTP: the RRD file holds $RATE messages/s over the last samples ($RRD_RATE)"
A_RRD=$(find "$T/data/adsb" -name sundial_adsb_aircraft.rrd -path '*http*data*' | head -n 1)
last_value() { rrdtool lastupdate "$1" 2>/dev/null | awk -F': ' 'NF == 2 { v = $2 } END { print v }'; }
num_is "$(last_value "$A_RRD")" '==' "$(E live.aircraft)" "HTTP: the aircraft count is in its RRD file"

# --- readsb over HTTP, dump1090-fa from a folder ---
# flavour NAME LABEL...: the values of a source against python's.
flavour() {
	local n=$1
	shift
	num_is "$(pv sundial_collect_up "$@")" '==' 1 "$n: the source works"
	num_is "$(pv sundial_adsb_aircraft "$@")" '==' "$(E "$n.aircraft")" "$n: $(E "$n.aircraft") aircraft"
	num_is "$(pv sundial_adsb_aircraft_with_position "$@")" '==' "$(E "$n.with_position")" \
		"$n: $(E "$n.with_position") with a position"
	num_is "$(absdiff "$(pv sundial_adsb_max_range_meters "$@")" "$(E "$n.range")")" '<' 0.01 \
		"$n: range $(E "$n.range") m"
	num_is "$(pv sundial_adsb_signal_dbfs "$@")" '==' "$(E "$n.signal")" "$n: signal $(E "$n.signal") dBFS"
	num_is "$(pv sundial_adsb_noise_dbfs "$@")" '==' "$(E "$n.noise")" "$n: noise $(E "$n.noise") dBFS"
	num_is "$(pv sundial_adsb_signal_peak_dbfs "$@")" '==' "$(E "$n.peak")" "$n: peak $(E "$n.peak") dBFS"
	num_is "$(absdiff "$(pv sundial_adsb_strong_signals_ratio "$@")" "$(E "$n.strong_ratio")")" '<' 1e-9 \
		"$n: strong signals ratio"
	num_is "$(pv sundial_adsb_strong_signals_total "$@")" '==' "$(E "$n.strong_total")" \
		"$n: strong signals since the start"
	num_is "$(pv sundial_adsb_messages_per_second "$@")" '==' 0 "$n: a counter that stands still is 0 messages/s"
}
flavour readsb "${R[@]}"
flavour fa "${F[@]}"

# --- files a receiver would not write now ---
api_error() {
	curl -sf "http://127.0.0.1:$HP/api/v1/sources" | "$PYTHON" -c 'import json,sys
for s in json.load(sys.stdin)["sources"]:
    if s["target"] == sys.argv[1]: print(s["error"])' "$1"
}
num_is "$(pv sundial_collect_up source=adsb "target=$T/stale")" '==' 0 "stale: the 2021 files make the source fail"
like "$(api_error "$T/stale")" 'aircraft.json was written [0-9]+ s ago' "stale: the error says how old aircraft.json is"
num_is "$(pv sundial_collect_up source=adsb "target=$T/cut")" '==' 0 "cut: a half-written aircraft.json makes it fail"
like "$(api_error "$T/cut")" 'aircraft.json: the JSON text is cut short' "cut: the error says so"
is "$(pv sundial_adsb_aircraft source=adsb "target=$T/cut")" "<missing>" "cut: nothing is taken from it"

# --- the dashboard ---
enc() { "$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
U=http://127.0.0.1:$HP
bad=""
n_graphs=0
for tg in "$LIVE" "$T/fa"; do
	code=$(curl -s -o "$T/page.html" -w '%{http_code}' "$U/source?kind=adsb&target=$(enc "$tg")&span=day")
	[ "$code" = 200 ] || bad="$bad status:$code:$tg"
	xmllint --html --noout "$T/page.html" 2>/dev/null || bad="$bad html:$tg"
	cp "$T/page.html" "$T/page-$n_graphs.html"
	for id in aircraft messages range signal strong; do
		grep -q "id=\"graph-$id\"" "$T/page.html" || bad="$bad no-$id:$tg"
	done
	for img in $(grep -o '<img [^>]*src="[^"]*"' "$T/page.html" | sed 's/.*src="//; s/"$//; s/&amp;/\&/g'); do
		n_graphs=$((n_graphs + 1))
		curl -sf -o "$T/g.svg" "$U$img" && xmllint --noout "$T/g.svg" 2>/dev/null || bad="$bad $img"
	done
done
is "$bad" "" "dashboard: the adsb pages answer 200, are valid HTML, have their graphs, and every graph is an SVG that parses"
num_is "$n_graphs" '>=' 14 "dashboard: the two pages show graphs ($n_graphs)"
curl -sf "$U/" >"$T/overview.html"
like "$(cat "$T/overview.html")" "aircraft: $(E fa.aircraft)" "dashboard: the overview shows the aircraft"
like "$(cat "$T/overview.html")" "messages/s: (2[0-9][0-9])" "dashboard: and the live source's messages/s"
like "$(cat "$T/overview.html")" "range: 30\.7 km" "dashboard: and dump1090-fa's range"

# --- the HTTP server stops ---
kill "$HTTP_PID"
wait "$HTTP_PID" 2>/dev/null
DAEMONS=${DAEMONS/http:$HTTP_PID/}
for _ in $(seq 1 40); do
	metrics
	numcmp "$(pv sundial_collect_up "${L[@]}")" '==' 0 && numcmp "$(pv sundial_collect_up "${R[@]}")" '==' 0 && break
	sleep 0.25
done
num_is "$(pv sundial_collect_up "${L[@]}")" '==' 0 "server stopped: the HTTP source fails"
num_is "$(pv sundial_collect_up "${R[@]}")" '==' 0 "server stopped: the readsb one too"
ERR=$(api_error "$LIVE")
like "$ERR" "^$LIVE/aircraft.json: .*(Failed to connect|Couldn't connect)" "server stopped: the error names aircraft.json and the refused connection ($ERR)"
like "$(cat "$T/collect.log")" "adsb $LIVE: .*aircraft.json" "server stopped: the log says it"
is "$(pv sundial_adsb_aircraft "${L[@]}")" "<missing>" "server stopped: no aircraft count from a failed sample"
num_is "$(pv sundial_collect_up "${F[@]}")" '==' 1 "server stopped: the folder source goes on"

kill -TERM "$PID"
wait "$PID"
is "$?" 0 "SIGTERM: exit 0"
if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' "$T/collect.log"; then
	not_ok "the collector runs clean under the sanitizers" "$(grep -A 30 -E 'Sanitizer|runtime error' "$T/collect.log" | head -n 40)"
fi
DAEMONS=${DAEMONS/collect:$PID/}
finish
