#!/bin/bash
# traffic_cli.sh - the options of `sundial traffic` that the other traffic
# tests leave out, on a capture this test writes (so every figure is known):
#   - --top N and --abuse K/T: the burst client is the top talker and the
#     only abusive one (K below its burst); none with K above it;
#   - --anonymize: addresses cut to /24 and /48 in the top list and in
#     --pairs;
#   - --approx: HyperLogLog counts with their error stated, within it;
#   - -c N stops after N packets;
#   - -Z USER (live): privileges dropped after opening lo, read from
#     /proc/PID/status while it runs; a report on SIGINT;
#   - usage errors (exit 64) and unreadable inputs (exit 1) with messages;
#     --help fits a screen.
#
# The capture: 40 IPv4 clients in 198.51.100.0/24 and 10 IPv6 clients in
# 2001:db8:1::/48 polling every 64 s for 10 minutes, each request answered
# 250 us later; 198.51.100.7 also sends a burst of 8 requests 0.2 s apart.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

require_traffic
CAP=$T/cli.pcap
"$PYTHON" - "$CAP" <<'PYEOF'
import struct, sys

def ntp(mode, org, xmt):
    return (bytes([(4 << 3) | mode, 2 if mode == 4 else 0, 6, 0xec]) + bytes(8) +
            (b"\xc0\x00\x02\x01" if mode == 4 else bytes(4)) + struct.pack(">QQQQ", 0, org, xmt - 100 if mode == 4 else 0, xmt))

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def frame(v6, src, dst, sport, dport, payload):
    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    if v6:
        ip = struct.pack(">IHBB", 6 << 28, len(udp), 17, 64) + src + dst
        return b"\x02" * 6 + b"\x04" * 6 + b"\x86\xdd" + ip + udp
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src, dst)
    hdr = hdr[:10] + struct.pack(">H", csum(hdr)) + hdr[12:]
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + hdr + udp

T0 = 1767225600
pkts = []
srv4, srv6 = bytes([192, 0, 2, 1]), bytes.fromhex("20010db8000000000000000000000123")
clients = [(False, bytes([198, 51, 100, i])) for i in range(1, 41)] + \
          [(True, bytes.fromhex("20010db80001%04x0000000000000001" % i)) for i in range(1, 11)]
n = 0
for k, (v6, a) in enumerate(clients):
    times = [T0 + k * 0.5 + 64 * j for j in range(10)]
    if a == bytes([198, 51, 100, 7]):
        times += [T0 + 100 + 0.2 * j for j in range(8)]
    for t in times:
        n += 1
        xmt = ((int(t) + 2208988800) << 32) | n
        port = 40000 + k
        pkts.append((t, frame(v6, a, srv6 if v6 else srv4, port, 123, ntp(3, 0, xmt))))
        pkts.append((t + 0.000250, frame(v6, srv6 if v6 else srv4, a, 123, port, ntp(4, xmt, xmt + 5000))))
pkts.sort(key=lambda p: p[0])
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 65535, 1))
    for t, b in pkts:
        ns = round(t * 1e9)
        f.write(struct.pack("<IIII", ns // 10**9, ns % 10**9, len(b), len(b)) + b)
PYEOF
[ -s "$CAP" ] || bail_out "could not write the test capture"

# --top and --abuse
run_sundial traffic -r "$CAP" --json -q --top 3 --abuse 5/5s
is "$RC" 0 "--top 3 --abuse 5/5s: exit 0"
is "$(jf top.0.address)" 198.51.100.7 "--top: the burst client first"
is "$(jf top.0.requests)" 18 "--top: its 18 requests"
is "$(jf top | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3 "--top 3: three talkers"
is "$(jf abusive | "$PYTHON" -c 'import json,sys; print([a["address"] for a in json.load(sys.stdin)])')" "['198.51.100.7']" "--abuse 5/5s: the burst client alone (8 requests in 1.4 s)"
is "$(jf clients.clients_v4)/$(jf clients.clients_v6)" 40/10 "40 IPv4 and 10 IPv6 clients"
run_sundial traffic -r "$CAP" --json -q --abuse 9/5s
is "$(jf abusive)" "[]" "--abuse 9/5s: nobody (the burst has 8)"

# --anonymize
run_sundial traffic -r "$CAP" --json -q --anonymize --top 50
ADDRS=$(jf top | "$PYTHON" -c 'import json,sys; print(" ".join(sorted({a["address"] for a in json.load(sys.stdin)})))')
is "$ADDRS" "198.51.100.0 2001:db8:1::" "--anonymize: every top address cut to its /24 or /48"
run_sundial traffic -r "$CAP" -q --anonymize --pairs
like "$(grep -c '^PAIR 1767225600\.[0-9]* 198\.51\.100\.0:' "$T/out")" '^[1-9]' "--anonymize --pairs: IPv4 clients as their /24"
is "$(grep '^PAIR' "$T/out" | grep -cE ' (198\.51\.100\.[1-9]|\[2001:db8:1:[0-9a-f]+:)')" 0 "--anonymize --pairs: no whole client address"

# --approx
run_sundial traffic -r "$CAP" --json -q --approx
is "$RC" 0 "--approx: exit 0"
ERR=$(jf windows.1.error)
num_is "$ERR" '>' 0 "--approx: the relative error is stated ($ERR)"
for k in clients_v4:40 clients_v6:10; do
	GOT=$(jf "windows.1.${k%%:*}")
	num_is "$(absdiff "$GOT" "${k##*:}")" '<=' "$(awk -v e="$ERR" -v n="${k##*:}" 'BEGIN { print 3 * e * n + 0.5 }')" \
		"--approx: ${k%%:*} in the 20-minute window within 3 standard errors ($GOT for ${k##*:})"
done

# -c
run_sundial traffic -r "$CAP" --json -q -c 10
is "$(jf input.packets)" 10 "-c 10: stops after 10 packets"

# Usage errors and unreadable inputs.
for args in "-Z nobody -r $CAP" "-r $CAP --json --csv" "-r $CAP --windows 5m,1m" "-r $CAP --abuse x" \
	"-r $CAP --every 0" "-r $CAP --bogus" "" "-r $CAP -i lo"; do
	# shellcheck disable=SC2086 # words on purpose
	run_sundial traffic $args
	is "$RC" 64 "usage error exits 64: traffic $args"
	like "$ERR" 'sundial traffic' "usage error says what is wrong: traffic $args"
done
run_sundial traffic -r "$T/missing.pcap"
is "$RC" 1 "a missing file exits 1"
like "$ERR" 'missing\.pcap: No such file' "a missing file is named"
run_sundial traffic -r "$T"
is "$RC" 1 "a directory exits 1"
echo "not a capture" >"$T/text.pcap"
run_sundial traffic -r "$T/text.pcap"
is "$RC" 1 "a file that is no capture exits 1"
like "$ERR" 'not a capture file' "and says so"
"$SUNDIAL" traffic --help >"$T/help" 2>&1
num_is "$(wc -l <"$T/help")" '<=' 24 "--help fits a screen ($(wc -l <"$T/help") lines)"

# -Z: live on lo, privileges dropped after opening it.
"$SUNDIAL" traffic -i lo -Z nobody -f 'udp port 9' --every 1s --json -q >"$T/live.out" 2>"$T/live.err" &
PID=$!
sleep 1.5
UIDS=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$PID/status" 2>/dev/null)
NOBODY=$(id -u nobody)
is "$UIDS" "$NOBODY $NOBODY $NOBODY $NOBODY" "-Z nobody: real, effective, saved and fs uid are nobody's while capturing"
kill -INT "$PID"
wait "$PID"
is "$?" 0 "-Z nobody: SIGINT ends it with exit 0"
num_is "$(grep -c '"windows"' "$T/live.out")" '>=' 1 "-Z nobody: a report on SIGINT"
[ -s "$T/live.err" ] && diag "stderr: $(head -c 500 "$T/live.err")"

finish
