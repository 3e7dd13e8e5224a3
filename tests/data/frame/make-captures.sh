#!/bin/bash
# make-captures.sh OUTDIR - remakes this folder's own captures (README.md):
# two network namespaces joined by a veth pair, traffic.py's kernel traffic
# and hand-made frames between them, recorded by tcpdump and dumpcap; then
# the same IP packets in the other link types, and tshark's view of every
# capture (tshark-expected.py).  Needs root, ip (iproute2), tcpdump, dumpcap,
# mergecap, tshark, ping, python3.  Touches nothing outside its two namespaces.
set -eu
OUT=$(realpath "${1:?usage: make-captures.sh OUTDIR}")
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
NA=sundial-frame-a.$$
NB=sundial-frame-b.$$
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del "$NA" 2>/dev/null || true
	ip netns del "$NB" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$NA"
ip netns add "$NB"
ip link add a0 netns "$NA" address 02:00:00:00:00:01 type veth peer name b0 netns "$NB" \
	address 02:00:00:00:00:02
for x in "$NA a0 192.0.2.1 2001:db8::1" "$NB b0 192.0.2.2 2001:db8::2"; do
	read -r ns dev a4 a6 <<<"$x"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$dev" up
	ip -n "$ns" addr add "$a4/24" dev "$dev"
	ip -n "$ns" addr add "$a6/64" dev "$dev" nodad
done
sleep 1

ip netns exec "$NB" python3 "$HERE/traffic.py" serve &
PIDS="$PIDS $!"
cap() { # NS FILE ARGS... - tcpdump in NS, nanosecond timestamps
	local ns=$1 file=$2
	shift 2
	ip netns exec "$ns" tcpdump -q -U --time-stamp-precision=nano -w "$file" "$@" \
		2>/dev/null &
	PIDS="$PIDS $!"
}
cap "$NB" "$OUT/eth.pcap" -i b0 -s 0
cap "$NA" "$OUT/eth-a0.pcap" -i a0 -s 0
cap "$NB" "$OUT/sll.pcap" -i any -y LINUX_SLL -s 0 'not arp'
cap "$NB" "$OUT/sll2.pcap" -i any -y LINUX_SLL2 -s 0 'not arp'
ip netns exec "$NB" dumpcap -q -i b0 -w "$OUT/eth-dumpcap.pcapng" -f 'udp port 123' 2>/dev/null &
PIDS="$PIDS $!"
sleep 2
ip netns exec "$NA" python3 "$HERE/traffic.py" client
sleep 1
for p in $PIDS; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
PIDS=""

# Hand-made frames, sent raw on a0 and recorded on b0.
cap "$NB" "$OUT/eth-crafted.pcap" -i b0 -s 0 'not ip6 or not icmp6'
sleep 2
ip netns exec "$NA" python3 "$HERE/traffic.py" inject a0
sleep 1
for p in $PIDS; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
PIDS=""

python3 "$HERE/traffic.py" reencap "$OUT/eth.pcap" "$OUT"
# The oracle for merging: b0's and a0's views of the same traffic.
mergecap -F nsecpcap -w "$OUT/eth-merged.pcap" "$OUT/eth.pcap" "$OUT/eth-a0.pcap"
for f in "$OUT"/*.pcap "$OUT"/*.pcapng; do
	python3 "$HERE/tshark-expected.py" "$f" >"${f%.*}.tsv"
done
