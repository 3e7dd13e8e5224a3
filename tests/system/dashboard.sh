#!/bin/bash
# dashboard.sh - the collector's dashboard and alerts against real peers: a
# chronyd on loopback (its command socket, and its NTP port as a `server`),
# gpsd fed by gpsfake, a sysfs-shaped folder of temperatures; the collector
# at 1 s with the default alerts and a notify script.
#   - /, /alerts, every /source page and every graph they show answer 200:
#     pages are valid HTML (xmllint --html) and well-formed XML, graphs
#     image/svg+xml that parses; the overview lists each source with its
#     state; /style.css; 400 for a bad span, 404 for an unknown source;
#   - headless Chromium renders the overview and chronyd's page to PNG, and
#     its DOM (after layout) holds the expected panels;
#   - chronyd stopped: its source-failing alert turns CRITICAL after the
#     hold time (2 samples of 1 s; sundial_alert_state 2 in /metrics), the
#     notify command runs exactly once for it, the overview and /alerts show
#     it; started again: back to OK, one more notify run.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
for t in curl xmllint gpsfake chromium; do
	command -v "$t" >/dev/null 2>&1 || bail_out "$t is not installed (scripts/install-deps)"
done
require_chronyc
require_isolated
private_run_chrony
start_chronyd_mon chronyd-mon sync
SOCK=$CHRONYD_MON_SOCK
NTPP=$CHRONYD_MON_PORT

mkdir -p "$T/sys/class/hwmon/hwmon0"
echo cpu_thermal >"$T/sys/class/hwmon/hwmon0/name"
echo 48123 >"$T/sys/class/hwmon/hwmon0/temp1_input"

# gpsd with the receiver log that make demo replays (an MT3339 from gpsd's
# regression suite).
GP=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$T/gps"
TMPDIR=$T/gps GPSD_HOME=/usr/sbin GPSD_SHM_KEY=0x4770$GP unshare --ipc \
	gpsfake -n -q -c 0.05 -P "$GP" "$TESTS_DIR/../contrib/demo/mt3339.log" >>"$T/gps/log" 2>&1 &
DAEMONS="$DAEMONS gpsfake:$!"

cat >"$T/notify.sh" <<EOS
#!/bin/sh
echo "\$SUNDIAL_ALERT|\$SUNDIAL_SOURCE|\$SUNDIAL_TARGET|\$SUNDIAL_PREVIOUS_STATE|\$SUNDIAL_STATE|\$SUNDIAL_REASON" >>"$T/notify.log"
EOS
chmod 755 "$T/notify.sh"
: >"$T/notify.log"

HP=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
U=http://127.0.0.1:$HP
cat >"$T/sundial.conf" <<EOC
datadir $T/data
listen 127.0.0.1:$HP
interval 1s
notify $T/notify.sh timeout 5s
chronyd $SOCK
server 127.0.0.1:$NTPP
gpsd 127.0.0.1:$GP
hwmon $T/sys
EOC
"$SUNDIAL" collect -f -c "$T/sundial.conf" -v >>"$T/collect.log" 2>&1 &
CPID=$!
DAEMONS="$DAEMONS collect:$CPID"
for _ in $(seq 1 50); do curl -sf "$U/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 5

# get PATH FILE: GET, 200 expected; the content type in $CTYPE
get() {
	local code
	code=$(curl -s -o "$2" -w '%{http_code} %{content_type}' "$U$1")
	CTYPE=${code#* }
	[ "${code%% *}" = 200 ]
}
html_ok() { xmllint --html --noout "$1" 2>"$1.html-err" && ! grep -q . "$1.html-err" && xmllint --noout "$1" 2>/dev/null; }

check "GET / answers 200" get / "$T/index.html"
like "$CTYPE" '^text/html' "/: text/html"
check "/ is valid HTML and well-formed XML" html_ok "$T/index.html"
for k in chronyd server gpsd hwmon; do
	like "$(cat "$T/index.html")" "class=\"source\"[^>]*data-kind=\"$k\"" "/: lists the $k source"
done
like "$(grep -o 'data-kind="hwmon"[^>]*' "$T/index.html")" 'data-state="OK"' "/: hwmon is OK"
# chronyd follows two servers and a dead one (reach 0): its reach alert is
# CRITICAL, its source-failing alert OK.
curl -s "$U/metrics" >"$T/metrics0.txt"
num_is "$(prom_value "$T/metrics0.txt" sundial_alert_state alert=source-failing source=chronyd)" '==' 0 "/metrics: chronyd's source-failing alert is OK while it runs"
num_is "$(prom_value "$T/metrics0.txt" sundial_alert_state alert=reach source=chronyd series=sundial_daemon_source_reach_ratio@127.0.0.13)" '==' 2 "/metrics: the reach alert of its dead upstream is CRITICAL"
like "$(grep -o 'data-kind="chronyd"[^>]*' "$T/index.html")" 'data-state="CRITICAL"' "/: chronyd is CRITICAL (its dead upstream)"
check "GET /alerts answers 200" get /alerts "$T/alerts.html"
check "/alerts is valid HTML" html_ok "$T/alerts.html"
check "GET /style.css answers 200" get /style.css "$T/style.css"
like "$CTYPE" '^text/css' "/style.css: text/css"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/source?kind=chronyd&target=$SOCK&span=decade")
is "$code" 400 "/source with a bad span: 400"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/source?kind=chronyd&target=/nowhere")
is "$code" 404 "/source of an unknown source: 404"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/graph?kind=chronyd&target=/nowhere&id=offset&span=day")
is "$code" 404 "/graph of an unknown source: 404"

# Every source page, each span, and every graph it shows.
enc() { "$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
n_graphs=0
bad_graphs=""
for src in "chronyd $SOCK" "server 127.0.0.1:$NTPP" "gpsd 127.0.0.1:$GP" "hwmon $T/sys"; do
	k=${src%% *}
	tg=${src#* }
	for span in day week month year all; do
		p="/source?kind=$k&target=$(enc "$tg")&span=$span"
		if ! get "$p" "$T/page.html"; then
			not_ok "GET $p answers 200"
			continue
		fi
		html_ok "$T/page.html" || not_ok "$k $span: valid HTML" "$(head -c 300 "$T/page.html.html-err")"
		[ "$span" = day ] && cp "$T/page.html" "$T/page-$k.html"
		for img in $(grep -o '<img [^>]*src="[^"]*"' "$T/page.html" | sed 's/.*src="//; s/"$//; s/&amp;/\&/g'); do
			n_graphs=$((n_graphs + 1))
			if ! get "$img" "$T/g.svg" || [ "$CTYPE" != image/svg+xml ] || ! xmllint --noout "$T/g.svg" 2>/dev/null; then
				bad_graphs="$bad_graphs $img"
			fi
		done
	done
	ok "$k: its page answers 200 with valid HTML for every span"
done
is "$bad_graphs" "" "every graph the pages show answers 200 with an SVG that parses ($n_graphs graphs)"
num_is "$n_graphs" '>=' 40 "the pages show graphs ($n_graphs)"
for id in offset stratum reach; do
	like "$(cat "$T/page-chronyd.html")" "id=\"graph-$id\"" "chronyd's page has the $id graph"
done
like "$(cat "$T/page-gpsd.html")" 'id="graph-satellites"' "gpsd's page has the satellites graph"
like "$(cat "$T/page-hwmon.html")" 'id="graph-temperature' "hwmon's page has the temperatures"

# Headless Chromium: the overview and chronyd's page rendered.
chrome() {
	timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--user-data-dir="$T/chrome" --window-size=1280,2000 "$@" 2>>"$T/chrome.log"
}
chrome --screenshot="$T/overview.png" "$U/" >/dev/null
check "Chromium renders the overview to PNG" [ -s "$T/overview.png" ]
is "$(head -c 8 "$T/overview.png" | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a "overview.png is a PNG"
num_is "$(stat -c %s "$T/overview.png" 2>/dev/null || echo 0)" '>' 20000 "overview.png is not blank ($(stat -c %s "$T/overview.png" 2>/dev/null) octets)"
chrome --screenshot="$T/chronyd.png" "$U/source?kind=chronyd&target=$(enc "$SOCK")" >/dev/null
num_is "$(stat -c %s "$T/chronyd.png" 2>/dev/null || echo 0)" '>' 20000 "Chromium renders chronyd's page to PNG"
chrome --dump-dom "$U/" >"$T/dom-overview.html"
like "$(cat "$T/dom-overview.html")" 'id="sources"' "Chromium's DOM of the overview has the sources table"
like "$(cat "$T/dom-overview.html")" 'id="changes"' "... and the changes panel"
chrome --dump-dom "$U/source?kind=chronyd&target=$(enc "$SOCK")" >"$T/dom-chronyd.html"
like "$(cat "$T/dom-chronyd.html")" 'id="graph-offset"' "Chromium's DOM of chronyd's page has the offset graph"
like "$(cat "$T/dom-chronyd.html")" 'id="alerts"' "... and its alerts"

# chronyd stopped: source-failing CRITICAL after the hold time, one notify run.
failing() { curl -s "$U/metrics" >"$T/m.txt"; prom_value "$T/m.txt" sundial_alert_state alert=source-failing source=chronyd; }
stop_daemon chronyd-mon
t0=$(date +%s.%N)
st=""
for _ in $(seq 1 100); do
	st=$(failing)
	numcmp "$st" '==' 2 && break
	sleep 0.1
done
t1=$(date +%s.%N)
num_is "$st" '==' 2 "chronyd stopped: its source-failing alert turns CRITICAL"
took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
num_is "$took" '>=' 1 "... not before the hold time (2 samples; after $took s)"
num_is "$took" '<=' 6 "... and soon after it"
sleep 3 # more failed samples: no more notify runs
is "$(grep -c '^source-failing|chronyd|' "$T/notify.log")" 1 "the notify command ran exactly once for chronyd's failure"
like "$(grep '^source-failing|chronyd|' "$T/notify.log")" "\|$SOCK\|OK\|CRITICAL\|" "... with the source, the old and the new state in its environment"
curl -s "$U/metrics" >"$T/metrics.txt"
num_is "$(prom_value "$T/metrics.txt" sundial_alert_state alert=source-failing source=chronyd)" '==' 2 "/metrics: sundial_alert_state 2 for chronyd"
curl -s "$U/" >"$T/now.html"
like "$(tr '\n' ' ' <"$T/now.html" | grep -o 'id="changes".*')" 'data-alert="source-failing"' "the overview's changes show it"
check "/alerts answers while chronyd is down" get /alerts "$T/alerts2.html"
like "$(cat "$T/alerts2.html")" 'data-alert="source-failing"[^>]*data-state="CRITICAL"' "/alerts shows source-failing CRITICAL"
like "$(grep -o 'data-kind="chronyd"[^>]*' "$T/now.html")" 'data-state="CRITICAL"' "the overview shows chronyd CRITICAL"

# started again: back to OK, one more run.
_chronyd_spawn chronyd-mon
for _ in $(seq 1 150); do
	st=$(failing)
	numcmp "$st" '==' 0 && break
	sleep 0.1
done
num_is "$st" '==' 0 "chronyd started again: source-failing back to OK"
sleep 1.5
is "$(grep -c '^source-failing|chronyd|.*|CRITICAL|OK|' "$T/notify.log")" 1 "the notify command ran once for the recovery"
is "$(grep -c '^source-failing|chronyd|' "$T/notify.log")" 2 "... and twice in all for chronyd"

kill -TERM "$CPID"
wait "$CPID"
is "$?" 0 "SIGTERM: exit 0"
finish
