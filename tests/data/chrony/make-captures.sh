#!/bin/bash
# make-captures.sh OUTDIR - remakes the captures of this folder: starts
# three chronyd (-x: never touches the clock) on loopback, lets the first
# synchronise to the other two, and records chronyc's exchanges with it on
# lo, one capture per command (see README.md).  Needs root (chronyd,
# tcpdump), chronyd/chronyc 4.3, tcpdump, python3.  Ports 24123-24125,
# 24323 and 24324 must be free.
set -eu
OUT=$(realpath "${1:?usage: make-captures.sh OUTDIR}")
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
D=$(mktemp -d /tmp/chrony-captures.XXXXXX)
chmod 755 "$D"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$D"
}
trap cleanup EXIT

PA=24123 PB=24124 PC=24125 CMD=24323 RELAY=24324
for x in b:127.0.0.2:$PB c:127.0.0.3:$PC; do
	IFS=: read -r name addr port <<<"$x"
	cat >"$D/$name.conf" <<EOC
port $port
bindaddress $addr
allow 127.0.0.0/8
local stratum 2
cmdport 0
bindcmdaddress /
pidfile $D/$name.pid
driftfile $D/$name.drift
EOC
done
cat >"$D/a.conf" <<EOC
port $PA
bindaddress 127.0.0.1
allow 127.0.0.0/8
server 127.0.0.2 port $PB iburst minpoll -2 maxpoll -2
server 127.0.0.3 port $PC iburst minpoll -1 maxpoll -1
refclock SOCK $D/refclock.sock refid TEST noselect
local stratum 3
cmdport $CMD
bindcmdaddress 127.0.0.1
bindcmdaddress $D/run/chronyd.sock
cmdallow 127.0.0.1
pidfile $D/a.pid
driftfile $D/a.drift
EOC
for x in b c a; do
	chronyd -x -u root -d -f "$D/$x.conf" >"$D/$x.log" 2>&1 &
	PIDS="$PIDS $!"
done
sleep 6
# Five NTP client requests to A, so that "clients" has something to show.
python3 - "$PA" <<'EOPY'
import os, socket, sys, time
for _ in range(5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(bytes([0x23]) + bytes(39) + os.urandom(8), ("127.0.0.1", int(sys.argv[1])))
    s.recv(100)
    time.sleep(0.3)
EOPY
python3 "$HERE/relay.py" $RELAY "$D/run/chronyd.sock" >"$D/relay.log" 2>&1 &
PIDS="$PIDS $!"
sleep 0.5

start_capture() { # name port
	tcpdump -i lo -U --immediate-mode -w "$OUT/$1.pcap" "udp port $2" 2>"$D/$1.tcpdump" &
	TCPDUMP=$!
	for _ in $(seq 50); do grep -q listening "$D/$1.tcpdump" 2>/dev/null && break; sleep 0.1; done
	sleep 0.3
}
stop_capture() {
	sleep 0.5
	kill -INT "$TCPDUMP"
	wait "$TCPDUMP" || true
}
cap() { # name port chronyc-arguments...
	local name=$1 port=$2
	shift 2
	start_capture "$name" "$port"
	{ echo "\$ chronyc -h 127.0.0.1 -p $port $*"; chronyc -h 127.0.0.1 -p "$port" "$@"; } \
		>"$OUT/$name.txt" 2>&1 || true
	stop_capture
}
cap tracking $CMD -c -n tracking
cap sources $CMD -c -n sources
cap sources-names $CMD -c -N sources
cap sourcestats $CMD -c -n sourcestats
cap activity $CMD -c activity
cap serverstats-unauth $CMD -c serverstats
cap serverstats $RELAY -c serverstats
cap ntpdata $RELAY -c -n ntpdata
cap clients $RELAY -c -n clients
start_capture errors $CMD
python3 "$HERE/errors.py" $CMD >"$OUT/errors.txt" 2>&1
stop_capture
