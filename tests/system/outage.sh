#!/bin/bash
# outage.sh - `sundial outage` against real services on loopback: chronyd
# (ntp://), a DNS responder (dns://, python), a TCP listener (tcp://) and the
# kernel's ICMP echo (icmp://127.0.0.1).  Each service is blocked for 2.0 s
# with nftables (a table in the test's own network namespace that drops the
# requests on input, then deleted): the outage measured must be 2.0 s within
# 0.2 s (plus what nft itself adds to the block, measured) and between the
# block's shortest and longest length plus two probe intervals, and be
# reported exactly once, its probes timed out; nothing is reported when
# nothing is blocked.  Then NTP and DNS over IPv4 and IPv6, and TCP, are
# blocked for 2.0 s with nftables "reject" rules (ICMP port unreachable,
# ICMPv6 port unreachable, icmpx administratively prohibited and host
# unreachable): the outage is measured just as well, and every probe of it
# failed with the ICMP error the rule sends, named with its sender, none
# timed out.  A UDP port where nothing listens: the kernel's port
# unreachable fails every probe at once (none times out, although the
# timeout is longer than the run), and a closed TCP port: refused by a RST.
# ICMP echo requests to 127.0.0.1 and ::1, over a ping socket (sundial run
# as nobody, the only group net.ipv4.ping_group_range allows) and over a raw
# socket (as root), are rejected for 2.0 s (ICMP host unreachable, icmpx
# administratively prohibited): measured as well, every probe failed with
# the error, none timed out.  Through a router in a second namespace that
# rejects them the same way, every echo request fails at once with the
# router's error (its sender is not the target), on both sockets.
# Also: the rate floor and ceiling and other usage errors (exit 64), SIGINT
# and SIGTERM end a run with its summary, an ICMP echo over a ping socket,
# and a clear message when neither a ping nor a raw socket is allowed.
# About 40 s.

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

# A copy of sundial that nobody may run (for ping sockets, and for neither
# socket), and a router's namespace ($R), both removed at the end.
U=$(mktemp -d /tmp/sundial-outage-nobody.XXXXXX) || bail_out "mktemp failed"
R=sundial-outage-$$-r
# shellcheck disable=SC2317 # called by the EXIT trap
_outage_cleanup() {
	local rc=$?
	ip netns del "$R" 2>/dev/null
	rm -rf "$U"
	(exit "$rc")
	_cleanup
}
trap _outage_cleanup EXIT
chmod 755 "$U"
{ cp "$SUNDIAL" "$U/sundial" && chmod 755 "$U/sundial"; } || bail_out "cannot copy sundial to $U"

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
import select, socket, sys
socks = []
for fam, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, int(sys.argv[1])))
    socks.append(s)
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
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
NTP6_T="ntp://[::1]:$CHRONYD_PORT"
DNS6_T="dns://[::1]:$DNS_PORT"
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

# start_bg_nobody NAME ARGS...: start_bg as nobody, without capabilities.
start_bg_nobody() {
	local name=$1
	shift
	echo "# \$ (as nobody) sundial outage $* &"
	timeout -k 5 "$SUNDIAL_RUN_TIMEOUT" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$U/sundial" outage "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	PIDS[$name]=$!
}

# jload: every field of the JSON document in $T/out into JV, by the paths
# jf takes (outages.0.lost), printed as jf prints them; jv PATH and
# jvis PATH WANT NAME then read it like jf and jis, without starting python
# for each field (the runs below check about 250).
declare -A JV
jload() {
	local k v
	JV=()
	while IFS=$'\t' read -r k v; do
		JV[$k]=$v
	done < <("$PYTHON" - "$T/out" <<'EOF'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(0)
def show(d):
    if d is None: return "null"
    if isinstance(d, bool): return "true" if d else "false"
    if isinstance(d, (dict, list)): return json.dumps(d)
    return str(d)
def walk(path, d):
    if path:
        print(path + "\t" + show(d).replace("\t", " ").replace("\n", " "))
    items = d.items() if isinstance(d, dict) else enumerate(d) if isinstance(d, list) else ()
    for k, v in items:
        walk(path + "." + str(k) if path else str(k), v)
walk("", doc)
EOF
	)
}
jv() { printf '%s\n' "${JV[$1]-<missing>}"; }
jvis() { is "$(jv "$1")" "$2" "$3"; }

# wait_bg NAME: waits for it; RC, OUT, ERR as run_sundial sets them, and its
# JSON (if any) for jv.
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
	jload
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
	jvis outage_count 0 "$m, nothing blocked: no outage"
	jvis lost 0 "$m, nothing blocked: nothing lost"
	jvis failed 0 "$m, nothing blocked: no error reply"
	num_is "$(jv sent)" '>=' 19 "$m, nothing blocked: about 20 probes sent in 2 s at 10/s ($(jv sent))"
	num_is "$(jv sent)" '<=' 21 "$m, nothing blocked: not more than 21 sent"
	is "$(jv answered)" "$(jv sent)" "$m, nothing blocked: every probe answered"
	num_is "$(jv rtt.max)" '<' 0.05 "$m, nothing blocked: rtt on loopback below 50 ms ($(jv rtt.max))"
	jvis method "$m" "$m, nothing blocked: method $m"
	jvis icmp_errors 0 "$m, nothing blocked: no ICMP error"
	jvis reasons '[]' "$m, nothing blocked: no reason"
done
jvis probe "ICMP echo (raw socket)" "icmp as root without ping sockets: a raw socket"

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
# block FILE TABLE: after 1.5 s, adds the nft table TABLE from FILE for
# BLOCK s, then deletes it; sets D_MIN, D_MAX and TOL_EFF for in_range.
block() {
	local file=$1 table=$2 t0 t1 t2 t3 g_lo g_hi
	sleep 1.5
	t0=$(date +%s.%N)
	nft -f "$file" || not_ok "nft: cannot add the table $table"
	t1=$(date +%s.%N)
	sleep "$BLOCK"
	t2=$(date +%s.%N)
	nft delete table inet "$table" || not_ok "nft: cannot delete the table $table"
	t3=$(date +%s.%N)
	# The block took effect somewhere in [t0, t1] and ended somewhere in
	# [t2, t3]: it lasted between g_lo and g_hi.  An outage runs from the
	# last answer before to the first after, so it measures the block plus
	# up to two probe intervals (0.1 s each) less the loopback RTTs: between
	# g_lo - 5 ms and g_hi + 0.2 s + 5 ms.  And it must be BLOCK +- TOL, the
	# tolerance widened by what nft itself added to the block beyond BLOCK.
	g_lo=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.4f", b - a }')
	g_hi=$(awk -v a="$t0" -v b="$t3" 'BEGIN { printf "%.4f", b - a }')
	D_MIN=$(awk -v g="$g_lo" 'BEGIN { printf "%.4f", g - 0.005 }')
	D_MAX=$(awk -v g="$g_hi" 'BEGIN { printf "%.4f", g + 0.205 }')
	TOL_EFF=$(awk -v t="$TOL" -v g="$g_hi" -v b="$BLOCK" 'BEGIN { x = g - b; printf "%.4f", t + (x > 0 ? x : 0) }')
	diag "$table: blocked for between $g_lo and $g_hi s: an outage must measure $D_MIN to $D_MAX s, and $BLOCK +- $TOL_EFF s"
}

start_bg b_ntp -r 10 -d 6 --json "$NTP_T"
start_bg b_ntp_text -r 10 -d 6 "$NTP_T"
start_bg b_dns -r 10 -d 6 --json "$DNS_T"
start_bg b_tcp -r 10 -d 6 --json "$TCP_T"
start_bg b_icmp -r 10 -d 6 --json "$ICMP_T"
block "$T/block.nft" sundial_outage

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
	jvis outage_count 1 "$m, blocked $BLOCK s: exactly one outage"
	in_range "$m, blocked $BLOCK s" "$(jv outages.0.duration)"
	lost=$(jv outages.0.lost)
	num_is "$lost" '>=' 18 "$m, blocked: about 20 probes lost ($lost)"
	num_is "$lost" '<=' 22 "$m, blocked: not more than 22 lost"
	jvis outages.0.ended true "$m, blocked: the outage ended"
	jvis outages.0.failed 0 "$m, blocked: dropped, not refused"
	jvis outages.0.timeouts "$lost" "$m, blocked: every probe of it timed out"
	jvis outages.0.first_reason timeout "$m, blocked: its first reason: timeout"
	jvis outages.0.reasons '[]' "$m, blocked: no error reason"
	num_is "$(jv outages.0.last_answer.rtt)" '<' 0.05 "$m, blocked: rtt before it ($(jv outages.0.last_answer.rtt))"
	num_is "$(jv outages.0.first_answer.rtt)" '<' 0.05 "$m, blocked: rtt after it ($(jv outages.0.first_answer.rtt))"
	jvis isolated 0 "$m, blocked: no isolated loss"
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
if grep -q '^failed: ' "$T/out"; then not_ok "ntp text: no 'failed:' line when nothing failed"; else ok "ntp text: no 'failed:' line when nothing failed"; fi

# --- rejected with ICMP errors for 2.0 s; nothing listening ------------------

# NTP: ICMP and ICMPv6 port unreachable (per family); DNS: icmpx
# administratively prohibited (ICMP type 3 code 13, ICMPv6 type 1 code 1);
# TCP: icmpx host unreachable (ICMP type 3 code 1).  The rejects come from
# the namespace's own stack: their sender is the loopback address.
cat >"$T/reject.nft" <<EOF
table inet sundial_reject {
	chain input {
		type filter hook input priority 0; policy accept;
		meta nfproto ipv4 udp dport $CHRONYD_PORT reject with icmp type port-unreachable
		meta nfproto ipv6 udp dport $CHRONYD_PORT reject with icmpv6 type port-unreachable
		udp dport $DNS_PORT reject with icmpx type admin-prohibited
		tcp dport $TCP_PORT tcp flags syn reject with icmpx type host-unreachable
	}
}
EOF
CLOSED_UDP=$(free_udp_port)
start_bg r_ntp4 -r 10 -d 6 --json "$NTP_T"
start_bg r_ntp6 -r 10 -d 6 --json "$NTP6_T"
start_bg r_dns4 -r 10 -d 6 --json "$DNS_T"
start_bg r_dns6 -r 10 -d 6 --json "$DNS6_T"
start_bg r_dns6_text -r 10 -d 6 "$DNS6_T"
start_bg r_tcp4 -r 10 -d 6 --json "$TCP_T"
# Nothing listens on CLOSED_UDP: the kernel answers port unreachable at
# once.  The timeout (5 s) is longer than the run (1 s): were the ICMP
# errors not read, every probe would time out (a run with -d lasts until
# its last probe is answered or timed out) and count as lost.
start_bg c_ntp4 -r 20 -d 1 -t 5 --json "ntp://127.0.0.1:$CLOSED_UDP"
start_bg c_ntp6 -r 20 -d 1 -t 5 --json "ntp://[::1]:$CLOSED_UDP"
start_bg c_dns4 -r 20 -d 1 -t 5 --json "dns://127.0.0.1:$CLOSED_UDP"
start_bg c_dns6 -r 20 -d 1 -t 5 --json "dns://[::1]:$CLOSED_UDP"
start_bg c_ntp_text -r 20 -d 1 -t 5 "ntp://127.0.0.1:$CLOSED_UDP"
block "$T/reject.nft" sundial_reject

# rejected NAME WANT_REASON: the checks of a run rejected for BLOCK s.
rejected() {
	local name=$1 want=$2 lost
	wait_bg "$name"
	is "$RC" 1 "$name, rejected $BLOCK s: exit 1 (an outage)"
	if ! json_valid "$T/out"; then not_ok "$name: valid JSON"; show_run; return; fi
	jvis outage_count 1 "$name, rejected: exactly one outage"
	in_range "$name, rejected $BLOCK s" "$(jv outages.0.duration)"
	lost=$(jv outages.0.lost)
	num_is "$lost" '>=' 18 "$name, rejected: about 20 probes without an answer ($lost)"
	num_is "$lost" '<=' 22 "$name, rejected: not more than 22"
	jvis outages.0.ended true "$name, rejected: the outage ended"
	jvis outages.0.failed "$lost" "$name, rejected: every probe of it failed"
	jvis outages.0.timeouts 0 "$name, rejected: none timed out"
	jvis outages.0.first_reason "$want" "$name, rejected: its first reason: $want"
	jvis outages.0.reasons.0.reason "$want" "$name, rejected: the reason counted"
	jvis outages.0.reasons.0.count "$lost" "$name, rejected: for every probe of it"
	jvis outages.0.reasons.1 '<missing>' "$name, rejected: no other reason"
	jvis lost 0 "$name, rejected: no probe of the run timed out"
	jvis failed "$lost" "$name, rejected: the run's failed probes are the outage's"
	jvis reasons.0.reason "$want" "$name, rejected: the run's reason"
	jvis isolated 0 "$name, rejected: no isolated loss"
	jvis icmp_unmatched 0 "$name, rejected: every ICMP error matched its probe"
	jvis icmp_errors "$lost" "$name, rejected: one ICMP error per probe"
	like "$ERR" "^outage 1: [0-9.]+ s without an answer, $lost probes lost \($lost $want\), last answer" "$name, --json: the outage line with its reason on stderr"
}
rejected r_ntp4 "port unreachable from 127.0.0.1"
rejected r_ntp6 "port unreachable from ::1"
rejected r_dns4 "administratively prohibited from 127.0.0.1"
rejected r_dns6 "administratively prohibited from ::1"
rejected r_tcp4 "host unreachable from 127.0.0.1"
wait_bg r_dns6_text
is "$RC" 1 "dns6 text, rejected: exit 1"
line=$(grep '^outage ' "$T/out")
like "$line" "^outage 1: [0-9]+\.[0-9]{3} s without an answer, ([0-9]+) probes lost \(([0-9]+) administratively prohibited from ::1\), last answer 20[0-9-]+T[0-9:.]+Z \(rtt [0-9.]+ ms\), first after 20[0-9-]+T[0-9:.]+Z \(rtt [0-9.]+ ms\)$" "dns6 text, rejected: the outage line with its reason"
d=$(printf '%s\n' "$line" | sed -E 's/^outage 1: ([0-9.]+) s.*/\1/')
in_range "dns6 text, rejected" "$d"
n=$(printf '%s\n' "$line" | sed -E 's/.* probes lost \(([0-9]+) .*/\1/')
like "$line" " $n probes lost \($n " "dns6 text, rejected: every probe lost by that reason ($n)"
like "$OUT" "^failed: $n administratively prohibited from ::1$" "dns6 text, rejected: the summary's failed line"

# closed NAME WANT_REASON [WHAT]: the checks of a run to a UDP port where
# nothing listens (WHAT: why every probe fails at once, for the names).
closed() {
	local name=$1 want=$2 what=${3:-nothing listening} sent
	wait_bg "$name"
	is "$RC" 2 "$name, $what: exit 2 (no answer at all)"
	if ! json_valid "$T/out"; then not_ok "$name: valid JSON"; show_run; return; fi
	sent=$(jv sent)
	num_is "$sent" '>=' 19 "$name, $what: about 20 probes sent ($sent)"
	jvis answered 0 "$name, $what: nothing answered"
	jvis lost 0 "$name, $what: no probe waited for the timeout"
	jvis in_flight 0 "$name, $what: none left in flight"
	jvis failed "$sent" "$name, $what: every probe failed"
	jvis reasons.0.reason "$want" "$name, $what: $want"
	jvis reasons.0.count "$sent" "$name, $what: for every probe"
	jvis outage_count 1 "$name, $what: one outage"
	jvis outages.0.ended false "$name, $what: still on at the end"
	jvis outages.0.timeouts 0 "$name, $what: none of it timed out"
	jvis outages.0.first_reason "$want" "$name, $what: its first reason"
	jvis icmp_errors "$sent" "$name, $what: one ICMP error per probe"
}
closed c_ntp4 "port unreachable from 127.0.0.1"
closed c_ntp6 "port unreachable from ::1"
closed c_dns4 "port unreachable from 127.0.0.1"
closed c_dns6 "port unreachable from ::1"
wait_bg c_ntp_text
is "$RC" 2 "ntp text, nothing listening: exit 2"
like "$OUT" "^outage 1: no answer at all, [0-9.]+ s, ([0-9]+) probes lost \(([0-9]+) port unreachable from 127\.0\.0\.1\)$" "ntp text, nothing listening: the outage line"
like "$OUT" "summary: NTP 127\.0\.0\.1 port $CLOSED_UDP, 20 probes/s for 1\.[0-9] s: ([0-9]+) sent, 0 answered, 0 lost, ([0-9]+) with an error reply, 0 in flight at the end" "ntp text, nothing listening: the summary"
like "$OUT" "^failed: [0-9]+ port unreachable from 127\.0\.0\.1$" "ntp text, nothing listening: the summary's failed line"

# --- ICMP errors to echo requests: ping socket and raw socket --------------

# Ping sockets for nobody's group alone: sundial as nobody has one, as root
# (gid 0 outside the range, CAP_NET_RAW) a raw socket.  IPv4 echo requests
# are rejected with host unreachable (ICMP type 3 code 1), IPv6 ones with
# icmpx administratively prohibited (ICMPv6 type 1 code 1).
cat >"$T/reject_echo.nft" <<EOF
table inet sundial_reject_echo {
	chain input {
		type filter hook input priority 0; policy accept;
		icmp type echo-request reject with icmp type host-unreachable
		icmpv6 type echo-request reject with icmpx type admin-prohibited
	}
}
EOF
# The router: $R forwards to 198.51.100.0/24 and 2001:db8:97::/64 (out of
# a second veth pair of its own) and rejects echo requests as above in its
# forward chain, without a rate limit: the errors come from 10.98.0.2 and
# fd00:98::2, not from the target.  (A raw socket connected to the target
# would never see them.)
nsr() { ip netns exec "$R" "$@"; }
router() {
	sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 &&
		ip netns add "$R" && nsr ip link set lo up &&
		nsr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 &&
		ip link add ro0 type veth peer name ro1 netns "$R" &&
		ip addr add 10.98.0.1/24 dev ro0 && ip -6 addr add fd00:98::1/64 dev ro0 nodad &&
		ip link set ro0 up &&
		nsr ip addr add 10.98.0.2/24 dev ro1 &&
		nsr ip -6 addr add fd00:98::2/64 dev ro1 nodad && nsr ip link set ro1 up &&
		nsr ip link add rd0 type veth peer name rd1 && nsr ip link set rd0 up &&
		nsr ip link set rd1 up &&
		nsr ip route add 198.51.100.0/24 dev rd0 &&
		nsr ip -6 route add 2001:db8:97::/64 dev rd0 &&
		ip route add 198.51.100.0/24 via 10.98.0.2 &&
		ip -6 route add 2001:db8:97::/64 via fd00:98::2 &&
		sed 's/sundial_reject_echo/sundial_router/; s/chain input/chain forward/; s/hook input/hook forward/' \
			"$T/reject_echo.nft" | nsr nft -f -
}
HAVE_ROUTER=1
router || { not_ok "cannot set up the router namespace $R (veth, forwarding, nft)"; HAVE_ROUTER=; }
HAVE_NOBODY=1
command -v setpriv >/dev/null 2>&1 || { not_ok "setpriv is missing (util-linux)"; HAVE_NOBODY=; }
sysctl -qw net.ipv4.ping_group_range="65534 65534" || not_ok "cannot allow ping sockets to nobody"
if [ -n "$HAVE_NOBODY" ]; then
	start_bg_nobody e_ping4 -r 10 -d 6 --json icmp://127.0.0.1
	start_bg_nobody e_ping6 -r 10 -d 6 --json icmp://::1
fi
start_bg e_raw4 -r 10 -d 6 --json icmp://127.0.0.1
start_bg e_raw6 -r 10 -d 6 --json icmp://::1
if [ -n "$HAVE_ROUTER" ]; then
	if [ -n "$HAVE_NOBODY" ]; then
		start_bg_nobody h_ping4 -r 20 -d 1 -t 5 --json icmp://198.51.100.7
		start_bg_nobody h_ping6 -r 20 -d 1 -t 5 --json icmp://2001:db8:97::7
	fi
	start_bg h_raw4 -r 20 -d 1 -t 5 --json icmp://198.51.100.7
	start_bg h_raw6 -r 20 -d 1 -t 5 --json icmp://2001:db8:97::7
fi
block "$T/reject_echo.nft" sundial_reject_echo

# echo_rejected NAME SOCKET WANT_REASON: rejected, over that socket.
echo_rejected() {
	rejected "$1" "$3"
	jvis probe "ICMP echo ($2)" "$1: over a $2"
}
if [ -n "$HAVE_NOBODY" ]; then
	echo_rejected e_ping4 "ping socket" "host unreachable from 127.0.0.1"
	echo_rejected e_ping6 "ping socket" "administratively prohibited from ::1"
fi
echo_rejected e_raw4 "raw socket" "host unreachable from 127.0.0.1"
echo_rejected e_raw6 "raw socket" "administratively prohibited from ::1"
# echo_router NAME SOCKET WANT_REASON: closed, over that socket.
echo_router() {
	closed "$1" "$3" "rejected by a router"
	jvis probe "ICMP echo ($2)" "$1: over a $2"
}
if [ -n "$HAVE_ROUTER" ]; then
	if [ -n "$HAVE_NOBODY" ]; then
		echo_router h_ping4 "ping socket" "host unreachable from 10.98.0.2"
		echo_router h_ping6 "ping socket" "administratively prohibited from fd00:98::2"
	fi
	echo_router h_raw4 "raw socket" "host unreachable from 10.98.0.2"
	echo_router h_raw6 "raw socket" "administratively prohibited from fd00:98::2"
fi
sysctl -qw net.ipv4.ping_group_range="1 0"

# --- refused, not dropped: error replies ------------------------------------

CLOSED=$(free_tcp_port)
run_sundial outage -r 20 -d 1 --json "tcp://127.0.0.1:$CLOSED"
is "$RC" 2 "tcp to a closed port: exit 2 (no answer at all)"
jis answered 0 "tcp to a closed port: nothing answered"
num_is "$(jf failed)" '>=' 19 "tcp to a closed port: every probe refused ($(jf failed))"
jis outages.0.ended false "tcp to a closed port: an outage still on at the end"
jis reasons.0.reason "refused (RST)" "tcp to a closed port: refused by a RST"
jis reasons.0.count "$(jf failed)" "tcp to a closed port: every probe"
jis outages.0.first_reason "refused (RST)" "tcp to a closed port: the outage's first reason"
jis icmp_errors 0 "tcp to a closed port: no ICMP error"

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
if [ -n "$HAVE_NOBODY" ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		"$U/sundial" outage -d 1 icmp://127.0.0.1 >"$T/out" 2>"$T/err"
	RC=$?
	is "$RC" 3 "icmp, no ping socket, no CAP_NET_RAW: exit 3"
	like "$(cat "$T/err")" "ICMP echo is not allowed: no ping socket .*ping_group_range.* no raw socket .*CAP_NET_RAW" "icmp, neither socket: says so and what to do"
fi

finish
