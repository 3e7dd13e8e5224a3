#!/bin/bash
# traffic_chronyd.sh - `sundial traffic` on real NTP traffic: chronyd on
# loopback, a few hundred requests from 21 IPv4 and 8 IPv6 client addresses
# (NTPv4 and v3, client and symmetric-active mode, one flow with several
# requests outstanding), some to a server that never answers; tcpdump
# captures it all, and tshark (-2, two passes) is the oracle:
#
#   - requests and responses: tshark's count of mode 3 (+1) and 4 (+2);
#   - distinct clients: the request sources tshark lists, IPv4 and IPv6 apart;
#   - pairs: every --pairs line is a request/response pair tshark shows, with
#     the same wire delta to the microsecond: equal to tshark's
#     ntp.delta_time wherever tshark's pairing cannot be wrong (tshark pairs
#     a response with the latest request of its conversation: right when
#     that request is the only one waiting), and to the difference of tshark's
#     frame.time_epoch of the response whose ntp.org echoes the request's
#     ntp.xmt elsewhere; the server time equals ntp.xmt - ntp.rec (1 us);
#   - unanswered: the requests without such a response.
#
# Then live: `sundial traffic -i lo --every 2s -w FILE` while queries run,
# stopped with SIGINT: it reported, exited 0, and FILE holds as many
# requests (tshark) as it reported.
#
# Needs its own network namespace (root): it adds IPv6 addresses to lo and
# serves on port 123.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

require_isolated
require_traffic

V6_CLIENTS="::1 2001:db8::10 2001:db8::11 2001:db8::12 2001:db8::13 2001:db8::14 2001:db8::15"
for a in 10 11 12 13 14 15 16 53; do
	ip addr add "2001:db8::$a/128" dev lo nodad || bail_out "cannot add 2001:db8::$a to lo"
done

# Port 123 if free (the default filter of sundial traffic is "udp port 123").
if udp_port_free 123; then
	# shellcheck disable=SC2034 # read by start_chronyd
	CHRONYD_WANT_PORT=123
fi
start_chronyd
P=$CHRONYD_PORT
SUNDIAL_F=()
[ "$P" = 123 ] || SUNDIAL_F=(-f "udp port $P")
# A second "server" on the same port at other addresses that never answers.
start_silent silent "$P" 127.0.0.53 2001:db8::53
echo "# chronyd on 127.0.0.1 and ::1 port $P; a silent server on 127.0.0.53 and 2001:db8::53"

# py_client BIND HOST PORT VERSION MODE COUNT [burst]: COUNT requests of
# that NTP version and mode from one socket, each waiting up to 0.2 s for
# its reply; burst: all sent at once, then the replies read.
py_client() {
	"$PYTHON" - "$@" <<'PYEOF'
import random, socket, struct, sys, time
bind, host, port, vn, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
burst = sys.argv[7:] == ["burst"]
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((bind, 0))
s.connect((host, port))
s.settimeout(0.2)


def request():
    t = time.time()
    xmt = ((int(t) + 2208988800) << 32) | (int((t % 1) * 2**32) & 0xFFFF0000) | random.getrandbits(16)
    # LI 0, version, mode; stratum 0, poll 6, precision -20; zeros; xmt
    return struct.pack("!BBbb9I", vn << 3 | mode, 0, 6, -20, *([0] * 9)) + struct.pack("!Q", xmt)


def recv():
    try:
        s.recv(1024)
    except socket.timeout:
        pass


if burst:
    for p in [request() for _ in range(n)]:
        s.send(p)
    for _ in range(n):
        recv()
else:
    for _ in range(n):
        s.send(request())
        recv()
        time.sleep(0.01)
PYEOF
}

# load SAMPLES: the queries, all at once in the background, then waits.
load() {
	local n=$1 i a pids=()
	# Unanswered: 5 requests each to the silent server (IPv4 and IPv6).
	"$SUNDIAL" query -b 127.0.0.3 -n 5 -i 0.01 -t 0.3 "127.0.0.53:$P" >/dev/null 2>&1 &
	pids+=($!)
	"$SUNDIAL" query -b 2001:db8::11 -n 5 -i 0.01 -t 0.3 "[2001:db8::53]:$P" >/dev/null 2>&1 &
	pids+=($!)
	# Most: one request every 10 ms from each address, one socket each.
	for i in $(seq 2 20); do
		"$SUNDIAL" query -b "127.0.0.$i" -n "$n" -i 0.01 -t 0.5 "127.0.0.1:$P" >/dev/null 2>&1 &
		pids+=($!)
	done
	for a in $V6_CLIENTS; do
		"$SUNDIAL" query -b "$a" -n "$n" -i 0.01 -t 0.5 "[::1]:$P" >/dev/null 2>&1 &
		pids+=($!)
	done
	# Several requests outstanding on one flow (tshark cannot pair these).
	"$SUNDIAL" query -b 127.0.0.2 -n 10 -i 0 -t 0.5 "127.0.0.1:$P" >/dev/null 2>&1 &
	pids+=($!)
	"$SUNDIAL" query -b 2001:db8::12 -n 10 -i 0 -t 0.5 "[::1]:$P" >/dev/null 2>&1 &
	pids+=($!)
	py_client 127.0.0.4 127.0.0.1 "$P" 4 3 10 burst &
	pids+=($!)
	py_client 2001:db8::13 ::1 "$P" 4 3 10 burst &
	pids+=($!)
	# NTPv3 clients and a symmetric-active (mode 1) one.
	py_client 127.0.0.21 127.0.0.1 "$P" 3 3 "$n" &
	pids+=($!)
	py_client 2001:db8::16 ::1 "$P" 3 3 "$n" &
	pids+=($!)
	py_client 127.0.0.22 127.0.0.1 "$P" 4 1 5 &
	pids+=($!)
	wait "${pids[@]}"
}

# ---------------------------------------------------------------------------
# 1. A capture file.

CAP=$T/cap.pcap
start_tcpdump tcpdump "$CAP" "udp port $P"
load 20
# libpcap's TPACKET_V3 ring hands packets to tcpdump a block at a time, a
# block after at most tcpdump's 1-s timeout; packets of a block not yet
# handed over when tcpdump stops never reach the file (a CI run under ASan
# lost 2 of the 21 clients with 0.5 s here).  --immediate-mode would make
# tcpdump drop packets of the burst instead.
sleep 1.5
stop_daemon tcpdump
diag "tcpdump: $(grep -E 'captured|dropped' "$T/tcpdump/out" | tr '\n' ';')"
like "$(grep 'dropped by kernel' "$T/tcpdump/out")" '^0 packets dropped' "tcpdump dropped no packet"

tshark_view "$CAP" >"$T/view.json" 2>"$T/view.err" || bail_out "tshark_view failed" "$(cat "$T/view.err")"
V() { jf "$1" "$T/view.json"; }
diag "tshark: $(V packets) packets, $(V requests) requests, $(V responses) responses," \
	"$(V n_pairs) pairs ($(V tshark_pairs) with ntp.delta_time), $(V unanswered) unanswered," \
	"$(V clients_v4) IPv4 and $(V clients_v6) IPv6 clients, versions $(V versions), modes $(V modes)," \
	"$(V alternating_flows) of $(V flows) flows alternate; tshark pairs $(V tshark_wrong_pairs) responses with the wrong request"
# The oracle's own sanity: the load above is what tshark sees.
num_is "$(V requests)" '>=' 500 "tshark: at least 500 requests in the capture"
num_is "$(V unanswered)" '>=' 10 "tshark: at least the 10 requests to the silent server are unanswered"
is "$(V clients_v4)" 21 "tshark: 21 IPv4 client addresses (127.0.0.2-22)"
is "$(V clients_v6)" 8 "tshark: 8 IPv6 client addresses (::1, 2001:db8::10-16)"
num_is "$(V tshark_pairs)" '>=' 400 "tshark: at least 400 responses with ntp.delta_time"

run_sundial traffic -r "$CAP" "${SUNDIAL_F[@]}" --json -q
is "$RC" 0 "traffic -r --json: exit 0"
json_valid "$T/out" || { not_ok "traffic -r --json prints JSON"; show_run; }
is "$(jf input.packets)" "$(V packets)" "input.packets = tshark's frame count"
is "$(jf input.ntp_packets)" "$(V ntp_packets)" "input.ntp_packets = tshark's NTP frames"
is "$(jf input.direction)" "both" "input.direction: both"
is "$(jf response_time.requests)" "$(V requests)" "response_time.requests = tshark's mode 3 + mode 1 count"
is "$(jf clients.requests)" "$(V requests)" "clients.requests = tshark's mode 3 + mode 1 count"
is "$(jf response_time.responses)" "$(V responses)" "response_time.responses = tshark's mode 4 + mode 2 count"
is "$(jf clients.responses)" "$(V responses)" "clients.responses = tshark's mode 4 + mode 2 count"
is "$(jf response_time.pairs)" "$(V n_pairs)" "response_time.pairs = responses echoing a request's transmit timestamp"
is "$(jf response_time.unanswered)" "$(V unanswered)" "response_time.unanswered = requests without a response"
is "$(jf response_time.unmatched)" "$(V unmatched)" "response_time.unmatched = $(V unmatched)"
is "$(jf response_time.duplicates)" "$(V duplicates)" "response_time.duplicates = $(V duplicates)"
is "$(jf response_time.retransmits)" "$(V retransmits)" "response_time.retransmits = $(V retransmits)"
is "$(jf clients.clients_v4)" "$(V clients_v4)" "clients.clients_v4 = tshark's distinct IPv4 request sources"
is "$(jf clients.clients_v6)" "$(V clients_v6)" "clients.clients_v6 = tshark's distinct IPv6 request sources"
# jnorm JSON: the same JSON with its keys sorted (to compare objects)
jnorm() { "$PYTHON" -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True))' "$1" 2>/dev/null || echo "$1"; }
is "$(jnorm "$(jf clients.versions)")" "$(jnorm "$(V versions)")" "clients.versions = tshark's ntp.flags.vn of requests"
WANT_MODES=$("$PYTHON" -c 'import json, sys; m = json.load(open(sys.argv[1]))["modes"]
print(json.dumps({k: v for k, v in m.items() if k in ("1", "3")}, sort_keys=True))' "$T/view.json")
is "$(jnorm "$(jf clients.modes)")" "$WANT_MODES" "clients.modes = tshark's ntp.flags.mode of requests (3 and 1)"
is "$(jf clients.kod)" "$(V kod)" "clients.kod = tshark's responses with stratum 0"
is "$(jf windows.0.clients_v4)/$(jf windows.0.clients_v6)" "$(V clients_v4)/$(V clients_v6)" \
	"windows.0 (5 min, all of the capture): the same distinct clients"
is "$(jf windows.0.requests)" "$(V requests)" "windows.0: every request"
# min and max wire delta, and the top talker
"$PYTHON" - "$T/view.json" "$T/out" >"$T/minmax" <<'PYEOF'
import ipaddress, json, sys
v, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
w = [p["wire"] / 1e9 for p in v["pairs"]]
rt = s.get("response_time", {})
print("min", abs(rt.get("min", 1e9) - min(w)) <= 1e-6, rt.get("min"), min(w))
print("max", abs(rt.get("max", 1e9) - max(w)) <= 1e-6, rt.get("max"), max(w))
top = (s.get("top") or [{}])[0]
most = max(v["requests_per_client"].values())
leaders = {str(ipaddress.ip_address(a)) for a, n in v["requests_per_client"].items() if n == most}
try:
    addr = str(ipaddress.ip_address(top.get("address", "")))
except ValueError:
    addr = top.get("address")
c = lambda x: json.dumps(x, separators=(",", ":"))
print("top", top.get("requests") == most and addr in leaders, c(top), c([most, sorted(leaders)]))
PYEOF
while read -r what good got want; do
	if [ "$good" = True ]; then ok "response_time/top: $what = tshark's ($got)"
	else not_ok "response_time/top: $what = tshark's" "got:  $got" "want: $want"; fi
done <"$T/minmax"

# --every: each row of the series against tshark's packets in its interval
# (whole seconds from the first packet): requests, responses, distinct
# clients, and the exact nearest-rank p50/p99 of the pairs answered in it.
run_sundial traffic -r "$CAP" "${SUNDIAL_F[@]}" --every 1s --json -q
is "$RC" 0 "traffic -r --every 1s --json: exit 0"
"$PYTHON" - "$T/view.json" "$T/out" >"$T/series" <<'PYEOF'
import json, math, sys
v, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
rows, first = s.get("series", []), v["first"]
n = (v["last"] - first) // 10**9 + 1  # intervals up to the last packet
bad = []
def row_of(t):
    return (t - first) // 10**9
def q(xs, p):
    xs = sorted(xs)
    return xs[max(1, math.ceil(p * len(xs))) - 1] if xs else None
for k, r in enumerate(rows):
    want = dict(
        requests=sum(1 for t, _, _ in v["request_times"] if row_of(t) == k),
        responses=sum(1 for t in v["response_times"] if row_of(t) == k),
        clients_v4=len({a for t, ipv, a in v["request_times"] if row_of(t) == k and ipv == 4}),
        clients_v6=len({a for t, ipv, a in v["request_times"] if row_of(t) == k and ipv == 6}))
    w = [p["wire"] for p in v["pairs"] if row_of(p["t_request"] + p["wire"]) == k]
    for key, val in want.items():
        if r.get(key) != val:
            bad.append([k, key, r.get(key), val])
    for key, p in (("delta_p50", 0.5), ("delta_p99", 0.99)):
        x = q(w, p)
        got = r.get(key)
        if (x is None) != (got is None) or (x is not None and round(got * 1e9) != x):
            bad.append([k, key, got, x])
    if abs(r["start"] - (first + k * 10**9) / 1e9) > 1e-6:
        bad.append([k, "start", r["start"], (first + k * 10**9) / 1e9])
print(len(rows), n, len(bad), json.dumps(bad[:5]), sum(r["unanswered"] for r in rows))
PYEOF
read -r NROWS WANTROWS NBAD BAD UNANS <"$T/series"
is "$NROWS" "$WANTROWS" "--every 1s: one row per second from the first packet to the last"
is "$NBAD" 0 "--every 1s: every row's requests, responses, clients v4/v6, delta p50/p99 and start = tshark's ($BAD)"
is "$UNANS" "$(V unanswered)" "--every 1s: the rows' unanswered add up to the total"

# --pairs: every line against tshark.
run_sundial traffic -r "$CAP" "${SUNDIAL_F[@]}" --pairs -q
is "$RC" 0 "traffic -r --pairs: exit 0"
cp "$T/out" "$T/pairs.out"
pairs_check "$T/view.json" "$T/pairs.out" >"$T/pairs.json"
PJ() { jf "$1" "$T/pairs.json"; }
diag "pairs: $(head -c 1500 "$T/pairs.json")"
is "$(PJ lines)" "$(V n_pairs)" "--pairs: one PAIR line per pair tshark shows"
is "$(PJ n_bad_lines)" 0 "--pairs: every PAIR line has the documented form"
[ "$(PJ n_bad_lines)" = 0 ] || diag "$(PJ bad_lines)" "$(head -n 3 "$T/pairs.out")"
is "$(PJ n_unknown)" 0 "--pairs: every PAIR is a request/response tshark shows (client, server, request time to the ns)"
is "$(PJ missing)" 0 "--pairs: no pair left out"
is "$(PJ repeated)" 0 "--pairs: no pair printed twice"
is "$(PJ n_missing_tshark)" 0 "--pairs: every pair tshark makes with one request waiting is there"
num_is "$(PJ tshark_compared)" '>=' 400 "--pairs: at least 400 pairs compared with ntp.delta_time ($(PJ tshark_compared))"
is "$(PJ n_tshark_bad)" 0 "--pairs: wire delta = tshark's ntp.delta_time to the nanosecond, same request (max diff $(PJ max_tshark_diff_ns) ns)"
num_is "$(PJ ambiguous)" '>=' 5 "the capture has pairs tshark cannot make (several requests outstanding on a flow: $(PJ ambiguous))"
is "$(PJ n_wire_bad)" 0 "--pairs: every wire delta = tshark's frame.time_epoch difference, response echoing the request (max diff $(PJ max_wire_diff_ns) ns)"
num_is "$(PJ server_compared)" '>=' 400 "--pairs: server times compared ($(PJ server_compared))"
is "$(PJ n_server_bad)" 0 "--pairs: server time = tshark's ntp.xmt - ntp.rec within 2 ns (max diff $(PJ max_server_diff_ns) ns)"

# ---------------------------------------------------------------------------
# 2. Live, with -w, stopped by SIGINT.

LIVE=$T/live.pcap
echo "# \$ sundial traffic -i lo -f 'udp port $P' --every 2s -w $LIVE --json -q  (SIGINT after ~8 s)"
# Started through python so that SIGINT is not ignored (bash ignores it in
# background jobs when job control is off), as from a terminal.
"$PYTHON" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
	"$SUNDIAL" traffic -i lo -f "udp port $P" --every 2s -w "$LIVE" --json -q >"$T/live.out" 2>"$T/live.err" &
LPID=$!
DAEMONS="$DAEMONS live:$LPID"
sleep 1
if kill -0 "$LPID" 2>/dev/null; then
	load 150 # about 2 s of queries
	sleep 2.5 # a report after the last of them
	kill -INT "$LPID"
	for _ in $(seq 1 100); do kill -0 "$LPID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$LPID" 2>/dev/null; then
		not_ok "live: exits within 10 s of SIGINT"
		kill -KILL "$LPID" 2>/dev/null
	fi
fi
wait "$LPID"
LRC=$?
DAEMONS=${DAEMONS/ live:$LPID/}
is "$LRC" 0 "live: exit 0 after SIGINT"
grep -Eq 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$T/live.err" &&
	not_ok "live: runs clean under the sanitizers" "$(head -n 40 "$T/live.err")"
tshark_view "$LIVE" >"$T/live-view.json" 2>"$T/live-view.err"
is "$(jf tshark_rc "$T/live-view.json")" 0 "live: tshark reads the -w file"
LREQ=$(jf requests "$T/live-view.json")
num_is "$LREQ" '>=' 1000 "live: the -w file holds the queries' requests ($LREQ)"
"$PYTHON" - "$T/live.out" >"$T/live-reports.json" <<'PYEOF'
import json, sys
text = open(sys.argv[1]).read()
dec, i, docs = json.JSONDecoder(), 0, []
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    try:
        d, i = dec.raw_decode(text, i)
    except ValueError:
        break
    docs.append(d)
last = docs[-1] if docs else {}
req = (last.get("response_time") or {}).get("requests") if isinstance(last, dict) else None
print(json.dumps(dict(reports=len(docs), trailing=len(text) - i, requests=req,
                      packets=(last.get("input") or {}).get("packets") if isinstance(last, dict) else None)))
PYEOF
LR() { jf "$1" "$T/live-reports.json"; }
diag "live: $(cat "$T/live-reports.json"); stderr: $(head -c 300 "$T/live.err")"
num_is "$(LR reports)" '>=' 1 "live: printed at least one JSON report ($(LR reports))"
is "$(LR trailing)" 0 "live: stdout is nothing but JSON reports"
[ "$(LR trailing)" = 0 ] || diag "$(head -c 600 "$T/live.out")"
if numcmp "$(absdiff "$(LR requests)" "$LREQ")" '<=' 2; then
	ok "live: requests reported ($(LR requests)) = requests in the -w file per tshark ($LREQ), +-2"
else
	not_ok "live: requests reported = requests in the -w file per tshark, +-2" "reported: $(LR requests)" "tshark:   $LREQ"
fi

stop_daemon silent
stop_daemon chronyd
finish
