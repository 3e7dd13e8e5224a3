#!/bin/bash
# outage.sh - `sundial outage` against real services on loopback: chronyd
# (ntp://), a DNS responder (dns://, python), a TCP listener (tcp://) and the
# kernel's ICMP echo (icmp://127.0.0.1).  Each service is blocked for 2.0 s
# with nftables (a table in the test's own network namespace that drops the
# requests on input, then deleted): the outage measured must be 2.0 s within
# 0.2 s (plus what nft itself adds to the block, measured) and between the
# block's shortest and longest length plus two probe intervals, and be
# reported exactly once; nothing is reported when nothing is
# blocked.  Also: the rate floor and ceiling and other usage errors (exit
# 64), SIGINT and SIGTERM end a run with its summary, an ICMP echo over a
# ping socket, and a clear message when neither a ping nor a raw socket is
# allowed.  About 20 s.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=query_common.sh
. "$SYS_DIR/query_common.sh"

require_sundial
[ -n "${SUNDIAL_IN_NETNS:-}" ] ||
	bail_out "outage.sh blocks traffic with nft: it needs its own network namespace (run it as root)"
command -v nft >/dev/null 2>&1 || bail_out "nft is not installed (scripts/install-deps: nftables)"

BLOCK=2.0 # seconds each service is blocked
TOL=0.2   # the outage measured must be BLOCK +- TOL

# --- usage errors ---------------------------------------------------------

# usage_error NAME WANT ARGS...: exit 64, WANT on stderr, nothing on stdout.
usage_error() {
	local name=$1 want=$2
	shift 2
	run_sundial outage "$@"
	is "$RC" 64 "usage: $name: exit 64"
	like "$ERR" "$want" "usage: $name: stderr says what is wrong ($want)"
	is "$OUT" "" "usage: $name: nothing on stdout"
}

usage_error "rate above the ceiling" "-r needs a rate from 0.1 to 100 .*'500'" -r 500 ntp://127.0.0.1
usage_error "rate below the floor" "-r needs a rate from 0.1 to 100 .*'0.05'" -r 0.05 ntp://127.0.0.1
usage_error "rate 0" "'0'" -r 0 ntp://127.0.0.1
usage_error "rate not a number" "'fast'" -r fast ntp://127.0.0.1
usage_error "no TARGET" "TARGET" -r 10
usage_error "no method" "needs a method" 127.0.0.1
usage_error "unknown method" "needs a method" http://127.0.0.1
usage_error "tcp without a port" "needs a port" tcp://127.0.0.1
usage_error "icmp with a port" "no port" icmp://127.0.0.1:7
usage_error "--min-lost 0" "-n needs" --min-lost 0 ntp://127.0.0.1
usage_error "--timeout 0" "-t needs" -t 0 ntp://127.0.0.1
usage_error "--name on ntp" "--name" --name example.net ntp://127.0.0.1
usage_error "bad --name" "not a domain name" --name 'a..b' dns://127.0.0.1
usage_error "two targets" "one TARGET" ntp://127.0.0.1 ntp://::1

# --- the services -----------------------------------------------------------

start_chronyd
start_tcp_fake tcp close
TCP_PORT=$FAKE_TCP_PORT
DNS_PORT=$(free_udp_port)
_spawn dns "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
print("ready", flush=True)
while True:
    q, a = s.recvfrom(512)
    if len(q) < 12 or q[2] & 0x80:
        continue
    # QR, AA, RD as asked, RA; NOERROR; the question echoed, no answer (NODATA)
    s.sendto(q[:2] + bytes([0x84 | (q[2] & 1), 0x80]) + q[4:6] + bytes(6) + q[12:], a)
' "$DNS_PORT"
for _ in $(seq 1 50); do
	grep -q ready "$T/dns/out" 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$T/dns/out" || _daemon_failed dns "not ready after 5 s"

NTP_T=ntp://127.0.0.1:$CHRONYD_PORT
DNS_T=dns://127.0.0.1:$DNS_PORT
TCP_T=tcp://127.0.0.1:$TCP_PORT
ICMP_T=icmp://127.0.0.1

# start_bg NAME ARGS...: sundial outage ARGS in the background; output in
# $T/NAME.out and $T/NAME.err, pid in PIDS[NAME].
declare -A PIDS
start_bg() {
	local name=$1
	shift
	echo "# \$ sundial outage $* &"
	timeout -k 5 "$SUNDIAL_RUN_TIMEOUT" "$SUNDIAL" outage "$@" >"$T/$name.out" 2>"$T/$name.err" &
	PIDS[$name]=$!
}

# wait_bg NAME: waits for it; RC, OUT, ERR as run_sundial sets them.
wait_bg() {
	wait "${PIDS[$1]}"
	RC=$?
	cp "$T/$1.out" "$T/out"
	OUT=$(cat "$T/$1.out")
	ERR=$(cat "$T/$1.err")
	echo "#   $1: exit $RC"
	if grep -Eq 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$T/$1.err"; then
		not_ok "$1 runs clean under the sanitizers" "$(head -n 40 "$T/$1.err")"
	fi
}

# --- nothing blocked: no outage ---------------------------------------------

start_bg q_ntp -r 10 -d 2 --json "$NTP_T"
start_bg q_dns -r 10 -d 2 --json "$DNS_T"
start_bg q_tcp -r 10 -d 2 --json "$TCP_T"
start_bg q_icmp -r 10 -d 2 --json "$ICMP_T"
for m in ntp dns tcp icmp; do
	wait_bg "q_$m"
	is "$RC" 0 "$m, nothing blocked: exit 0"
	if ! json_valid "$T/out"; then not_ok "$m, nothing blocked: valid JSON"; show_run; continue; fi
	jis outage_count 0 "$m, nothing blocked: no outage"
	jis lost 0 "$m, nothing blocked: nothing lost"
	jis failed 0 "$m, nothing blocked: no error reply"
	num_is "$(jf sent)" '>=' 19 "$m, nothing blocked: about 20 probes sent in 2 s at 10/s ($(jf sent))"
	num_is "$(jf sent)" '<=' 21 "$m, nothing blocked: not more than 21 sent"
	is "$(jf answered)" "$(jf sent)" "$m, nothing blocked: every probe answered"
	num_is "$(jf rtt.max)" '<' 0.05 "$m, nothing blocked: rtt on loopback below 50 ms ($(jf rtt.max))"
	jis method "$m" "$m, nothing blocked: method $m"
done
jis probe "ICMP echo (raw socket)" "icmp as root without ping sockets: a raw socket"

# --- each service blocked for 2.0 s -----------------------------------------

cat >"$T/block.nft" <<EOF
table inet sundial_outage {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport $CHRONYD_PORT drop
		udp dport $DNS_PORT drop
		tcp dport $TCP_PORT tcp flags syn drop
		icmp type echo-request drop
	}
}
EOF
start_bg b_ntp -r 10 -d 6 --json "$NTP_T"
start_bg b_ntp_text -r 10 -d 6 "$NTP_T"
start_bg b_dns -r 10 -d 6 --json "$DNS_T"
start_bg b_tcp -r 10 -d 6 --json "$TCP_T"
start_bg b_icmp -r 10 -d 6 --json "$ICMP_T"
sleep 1.5
t0=$(date +%s.%N)
nft -f "$T/block.nft" || not_ok "nft: cannot add the blocking table"
t1=$(date +%s.%N)
sleep "$BLOCK"
t2=$(date +%s.%N)
nft delete table inet sundial_outage || not_ok "nft: cannot delete the blocking table"
t3=$(date +%s.%N)
# The block took effect somewhere in [t0, t1] and ended somewhere in
# [t2, t3]: it lasted between G_LO and G_HI.  An outage runs from the last
# answer before to the first after, so it measures the block plus up to two
# probe intervals (0.1 s each) less the loopback RTTs: between G_LO - 5 ms and
# G_HI + 0.2 s + 5 ms.  And it must be BLOCK +- TOL, the tolerance widened
# by what nft itself added to the block beyond BLOCK.
G_LO=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.4f", b - a }')
G_HI=$(awk -v a="$t0" -v b="$t3" 'BEGIN { printf "%.4f", b - a }')
D_MIN=$(awk -v g="$G_LO" 'BEGIN { printf "%.4f", g - 0.005 }')
D_MAX=$(awk -v g="$G_HI" 'BEGIN { printf "%.4f", g + 0.205 }')
TOL_EFF=$(awk -v t="$TOL" -v g="$G_HI" -v b="$BLOCK" 'BEGIN { x = g - b; printf "%.4f", t + (x > 0 ? x : 0) }')
diag "blocked for between $G_LO and $G_HI s: an outage must measure $D_MIN to $D_MAX s, and $BLOCK +- $TOL_EFF s"

# in_range NAME D: D within [D_MIN, D_MAX] and BLOCK +- TOL_EFF.
in_range() {
	num_is "$2" '>=' "$D_MIN" "$1: outage of $2 s, at least the block ($D_MIN s)"
	num_is "$2" '<=' "$D_MAX" "$1: outage of $2 s, at most the block and two intervals ($D_MAX s)"
	num_is "$(absdiff "$2" "$BLOCK")" '<=' "$TOL_EFF" "$1: outage of $2 s is $BLOCK s within $TOL_EFF s"
}

for m in ntp dns tcp icmp; do
	wait_bg "b_$m"
	is "$RC" 1 "$m, blocked $BLOCK s: exit 1 (an outage)"
	if ! json_valid "$T/out"; then not_ok "$m, blocked: valid JSON"; show_run; continue; fi
	jis outage_count 1 "$m, blocked $BLOCK s: exactly one outage"
	in_range "$m, blocked $BLOCK s" "$(jf outages.0.duration)"
	lost=$(jf outages.0.lost)
	num_is "$lost" '>=' 18 "$m, blocked: about 20 probes lost ($lost)"
	num_is "$lost" '<=' 22 "$m, blocked: not more than 22 lost"
	jis outages.0.ended true "$m, blocked: the outage ended"
	jis outages.0.failed 0 "$m, blocked: dropped, not refused"
	num_is "$(jf outages.0.last_answer.rtt)" '<' 0.05 "$m, blocked: rtt before it ($(jf outages.0.last_answer.rtt))"
	num_is "$(jf outages.0.first_answer.rtt)" '<' 0.05 "$m, blocked: rtt after it ($(jf outages.0.first_answer.rtt))"
	jis isolated 0 "$m, blocked: no isolated loss"
	like "$ERR" "^outage 1: [0-9.]+ s without an answer" "$m, --json: the outage line on stderr"
done
wait_bg b_ntp_text
is "$RC" 1 "ntp text: exit 1"
is "$(grep -c '^outage ' "$T/out")" 1 "ntp text: one outage line"
line=$(grep '^outage ' "$T/out")
like "$line" "^outage 1: [0-9]+\.[0-9]{3} s without an answer, [0-9]+ probes lost, last answer 20[0-9-]+T[0-9:.]+Z \(rtt [0-9.]+ ms\), first after 20[0-9-]+T[0-9:.]+Z \(rtt [0-9.]+ ms\)$" "ntp text: the outage line"
d=$(printf '%s\n' "$line" | sed -E 's/^outage 1: ([0-9.]+) s.*/\1/')
in_range "ntp text" "$d"
like "$OUT" "summary: NTP 127.0.0.1 port $CHRONYD_PORT, 10 probes/s for 6\.[0-9] s: [0-9]+ sent" "ntp text: the summary"
like "$OUT" "outages: 1 \(3 or more lost in a row\), longest [0-9.]+ s" "ntp text: the outage count in the summary"

# --- refused, not dropped: error replies ------------------------------------

CLOSED=$(free_tcp_port)
run_sundial outage -r 20 -d 1 --json "tcp://127.0.0.1:$CLOSED"
is "$RC" 2 "tcp to a closed port: exit 2 (no answer at all)"
jis answered 0 "tcp to a closed port: nothing answered"
num_is "$(jf failed)" '>=' 19 "tcp to a closed port: every probe refused ($(jf failed))"
jis outages.0.ended false "tcp to a closed port: an outage still on at the end"

# --- SIGINT and SIGTERM end a run with its summary ---------------------------

start_bg int -r 10 "$NTP_T"
sleep 1.2
# (timeout(1) passes SIGINT and SIGTERM on to sundial)
kill -INT "${PIDS[int]}"
wait_bg int
is "$RC" 0 "SIGINT: exit 0 (no outage)"
like "$OUT" "^summary: NTP 127.0.0.1 port $CHRONYD_PORT, 10 probes/s for 1\.[0-9] s, ended by SIGINT: 1[0-9] sent, 1[0-9] answered, 0 lost" "SIGINT: the summary"
like "$OUT" "rtt: min [0-9.]+ ms, avg [0-9.]+ ms, max [0-9.]+ ms" "SIGINT: the rtt line"
start_bg term -r 10 --json "$DNS_T"
sleep 1.2
kill -TERM "${PIDS[term]}"
wait_bg term
is "$RC" 0 "SIGTERM: exit 0"
jis signal SIGTERM "SIGTERM: in the JSON summary"
num_is "$(jf sent)" '>=' 10 "SIGTERM: probes were sent before it ($(jf sent))"

# --- ICMP: ping socket, and neither socket allowed --------------------------

sysctl -qw net.ipv4.ping_group_range="0 2147483647" || not_ok "cannot allow ping sockets in the namespace"
run_sundial outage -r 20 -d 1 --json icmp://::1
is "$RC" 0 "icmp over a ping socket: exit 0"
jis probe "ICMP echo (ping socket)" "icmp with ping sockets allowed: a ping socket"
num_is "$(jf answered)" '>=' 19 "icmp ::1 over a ping socket: answered ($(jf answered))"
sysctl -qw net.ipv4.ping_group_range="1 0"
if command -v setpriv >/dev/null 2>&1; then
	U=$(mktemp -d /tmp/sundial-outage-nobody.XXXXXX)
	chmod 755 "$U"
	cp "$SUNDIAL" "$U/sundial"
	chmod 755 "$U/sundial"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$U/sundial" outage -d 1 icmp://127.0.0.1 >"$T/out" 2>"$T/err"
	RC=$?
	rm -rf "$U"
	is "$RC" 3 "icmp, no ping socket, no CAP_NET_RAW: exit 3"
	like "$(cat "$T/err")" "ICMP echo is not allowed: no ping socket .*ping_group_range.* no raw socket .*CAP_NET_RAW" "icmp, neither socket: says so and what to do"
else
	not_ok "setpriv is missing (util-linux)"
fi

finish
