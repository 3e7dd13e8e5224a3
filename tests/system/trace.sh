#!/bin/bash
# trace.sh - `sundial trace` through a topology of network namespaces made
# here, with a policy route that sends TCP port 80 another way (issue 9):
#
#   client --- r1 --- r2a ----------- server (10.9.9.9, 2001:db8:99::9)
#               \                      /
#                r2b ---- r3 ---------
#
# r1 sends TCP to port 80 (ip rule ipproto tcp dport 80) through r2b and r3,
# everything else through r2a; the server answers through r2a.  So
# `sundial trace -p tcp:80,icmp` must show tcp:80 over 4 hops (r1, r2b, r3,
# server) and icmp over 3 (r1, r2a, server), parting after r1 and joining
# again at the server; each path must be the one Debian's traceroute finds
# (-T -p 80, -I, -U) on the same topology, IPv4 and IPv6.  Also: a closed
# port ends the TCP trace with a RST, udp:33434 with port unreachable, and
# without CAP_NET_RAW a clear message and exit 77.  Usage errors exit 64.
#
# NTP: chronyd serves on the server (port 123, -x and without CAP_SYS_TIME,
# killed on exit with the other daemons).  udp:123 sends NTP requests, so
# the server's NTP reply ends that trace at the hop where icmp's ends (3),
# IPv4 and IPv6; traceroute -U -p 123 sends no NTP request and gets no
# answer from the server, so only its routers (hops 1 and 2) are compared.
# With chronyd stopped, port unreachable ends udp:123.
#
# The namespaces are named sundial-trace-PID-NAME and deleted on exit.
# ICMP rate limits are off in them so that no error is dropped.  The waits
# (-w 3) only matter if a reply is late: IPv6 neighbour discovery on a path
# used for the first time can hold one for a second.  About 20 s.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=query_common.sh
. "$SYS_DIR/query_common.sh"

require_sundial
[ "$(id -u)" = 0 ] || bail_out "trace.sh makes network namespaces: run it as root"
command -v ip >/dev/null 2>&1 || bail_out "ip (iproute2) is not installed"
command -v traceroute >/dev/null 2>&1 || bail_out "traceroute is not installed (scripts/install-deps: traceroute)"
command -v setpriv >/dev/null 2>&1 || bail_out "setpriv is not installed (util-linux)"
command -v "$CHRONYD" >/dev/null 2>&1 || bail_out "chronyd ($CHRONYD) is not installed (scripts/install-deps)"

P=sundial-trace-$$
NODES="c r1 r2a r2b r3 s"

# Namespaces go before lib.sh's own cleanup, which keeps the exit status.
# shellcheck disable=SC2317 # called by the EXIT trap
_trace_cleanup() {
	local rc=$? n
	for n in $NODES; do
		ip netns del "$P-$n" 2>/dev/null
	done
	(exit "$rc")
	_cleanup
}
trap _trace_cleanup EXIT

nsx() {
	local n=$1
	shift
	ip netns exec "$P-$n" "$@"
}

# link A IFA ADDR4A ADDR6A B IFB ADDR4B ADDR6B: a veth pair between A and B.
link() {
	ip link add "$2" netns "$P-$1" type veth peer name "$6" netns "$P-$5" || return 1
	nsx "$1" ip addr add "$3" dev "$2" &&
		nsx "$1" ip -6 addr add "$4" dev "$2" nodad &&
		nsx "$1" ip link set "$2" up &&
		nsx "$5" ip addr add "$7" dev "$6" &&
		nsx "$5" ip -6 addr add "$8" dev "$6" nodad &&
		nsx "$5" ip link set "$6" up
}

build() {
	local n
	for n in $NODES; do
		ip netns add "$P-$n" || return 1
		nsx "$n" ip link set lo up || return 1
		nsx "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 || return 1
	done
	link c r1 10.9.1.2/24 2001:db8:1::2/64 r1 c 10.9.1.1/24 2001:db8:1::1/64 &&
		link r1 r2a 10.9.2.1/24 2001:db8:2::1/64 r2a r1 10.9.2.2/24 2001:db8:2::2/64 &&
		link r1 r2b 10.9.3.1/24 2001:db8:3::1/64 r2b r1 10.9.3.2/24 2001:db8:3::2/64 &&
		link r2b r3 10.9.4.1/24 2001:db8:4::1/64 r3 r2b 10.9.4.2/24 2001:db8:4::2/64 &&
		link r2a s 10.9.5.1/24 2001:db8:5::1/64 s r2a 10.9.5.2/24 2001:db8:5::2/64 &&
		link r3 s 10.9.6.1/24 2001:db8:6::1/64 s r3 10.9.6.2/24 2001:db8:6::2/64 || return 1
	nsx s ip addr add 10.9.9.9/32 dev lo &&
		nsx s ip -6 addr add 2001:db8:99::9/128 dev lo nodad || return 1
	# Routes: to the server and back to the client.
	nsx c ip route add default via 10.9.1.1 &&
		nsx c ip -6 route add default via 2001:db8:1::1 &&
		nsx r1 ip route add 10.9.9.9/32 via 10.9.2.2 &&
		nsx r1 ip -6 route add 2001:db8:99::9/128 via 2001:db8:2::2 &&
		nsx r2a ip route add 10.9.9.9/32 via 10.9.5.2 &&
		nsx r2a ip -6 route add 2001:db8:99::9/128 via 2001:db8:5::2 &&
		nsx r2a ip route add 10.9.1.0/24 via 10.9.2.1 &&
		nsx r2a ip -6 route add 2001:db8:1::/64 via 2001:db8:2::1 &&
		nsx r2b ip route add 10.9.9.9/32 via 10.9.4.2 &&
		nsx r2b ip -6 route add 2001:db8:99::9/128 via 2001:db8:4::2 &&
		nsx r2b ip route add 10.9.1.0/24 via 10.9.3.1 &&
		nsx r2b ip -6 route add 2001:db8:1::/64 via 2001:db8:3::1 &&
		nsx r3 ip route add 10.9.9.9/32 via 10.9.6.2 &&
		nsx r3 ip -6 route add 2001:db8:99::9/128 via 2001:db8:6::2 &&
		nsx r3 ip route add 10.9.1.0/24 via 10.9.4.1 &&
		nsx r3 ip -6 route add 2001:db8:1::/64 via 2001:db8:4::1 &&
		nsx s ip route add 10.9.1.0/24 via 10.9.5.1 &&
		nsx s ip -6 route add 2001:db8:1::/64 via 2001:db8:5::1 || return 1
	# The policy route: TCP to port 80 through r2b.
	nsx r1 ip route add default via 10.9.3.2 table 100 &&
		nsx r1 ip -6 route add default via 2001:db8:3::2 table 100 &&
		nsx r1 ip rule add ipproto tcp dport 80 lookup 100 priority 100 &&
		nsx r1 ip -6 rule add ipproto tcp dport 80 lookup 100 priority 100
}

build || bail_out "could not build the namespaces $P-*"
echo "# namespaces: $(ip netns list | grep -c "^$P-") of $P-*"

# A web server's listening socket on port 80 (and nothing on 81).
_spawn web ip netns exec "$P-s" "$PYTHON" -c '
import socket, time
ls = []
for fam, a in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((a, 80)); s.listen(16); ls.append(s)
print("ready", flush=True)
time.sleep(600)
'
for _ in $(seq 1 50); do
	grep -q ready "$T/web/out" 2>/dev/null && break
	sleep 0.1
done
grep -q ready "$T/web/out" || _daemon_failed web "did not listen on port 80"

# An NTP server on port 123 of the server: chronyd -x (it never touches
# the clock), without CAP_SYS_TIME (lib.sh's _nosystime, around ip netns
# exec, which keeps the pid), local stratum 3 so that it answers at once.
mkdir -p "$T/ntp-s"
{
	echo "port 123"
	echo "local stratum 3"
	echo "allow"
	echo "cmdport 0"
	echo "bindcmdaddress /"
	echo "pidfile $T/ntp-s/chronyd.pid"
	echo "driftfile $T/ntp-s/drift"
} >"$T/ntp-s/chrony.conf"
_spawn ntp-s _nosystime ip netns exec "$P-s" "$CHRONYD" -x -d -u root -f "$T/ntp-s/chrony.conf"

# Reachable both ways before anything is timed.
nsx c ping -c 1 -W 5 10.9.9.9 >/dev/null 2>&1 || bail_out "10.9.9.9 does not answer ping from the client"
nsx c ping -6 -c 1 -W 5 2001:db8:99::9 >/dev/null 2>&1 || bail_out "2001:db8:99::9 does not answer ping from the client"

# wait_ntp ADDR: until chronyd answers on ADDR port 123 from the client.
wait_ntp() {
	local i
	for i in $(seq 1 50); do
		kill -0 "$(_pid_of ntp-s)" 2>/dev/null || _daemon_failed ntp-s "exited during start-up"
		nsx c "$PYTHON" "$NTP_PROBE" -t 0.2 "$1" 123 >"$T/ntp-s/ready.json" 2>/dev/null
		if [ "$(jf reply "$T/ntp-s/ready.json")" = true ]; then
			echo "# chronyd answers on $1 port 123 after $i tries"
			return 0
		fi
		sleep 0.2
	done
	_daemon_failed ntp-s "no NTP reply from $1 port 123"
}
wait_ntp 10.9.9.9
wait_ntp 2001:db8:99::9
_assert_no_sys_time ntp-s

# sundial in the client namespace, through lib.sh's run_sundial.
printf '#!/bin/sh\nexec ip netns exec %s "%s" "$@"\n' "$P-c" "$SUNDIAL" >"$T/sundial-client"
printf '#!/bin/sh\nexec ip netns exec %s setpriv --inh-caps=-all --bounding-set=-net_raw -- "%s" "$@"\n' \
	"$P-c" "$SUNDIAL" >"$T/sundial-noraw"
chmod +x "$T/sundial-client" "$T/sundial-noraw"
run_trace() { SUNDIAL=$T/sundial-client run_sundial trace "$@"; }

# path N: flow N's hops in the last JSON output, "*" where none answered.
path() {
	"$PYTHON" -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(" ".join(a or "*" for a in d["flows"][int(sys.argv[2])]["path"]))
except Exception as e:
    print("<no path: %s>" % e)
' "$T/out" "$1"
}

# last_answer N: the answers of flow N's last hop.
last_answer() {
	"$PYTHON" -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print(" ".join(sorted({p["answer"] for p in d["flows"][int(sys.argv[2])]["hops"][-1]["probes"]})))
except Exception as e:
    print("<none: %s>" % e)
' "$T/out" "$1"
}

# oracle ARGS...: the hops Debian's traceroute finds from the client.
oracle() {
	nsx c traceroute -n -q 1 -w 3 -m 8 "$@" 2>"$T/tr.err" >"$T/tr.out"
	echo "# traceroute $*: $(tail -n +2 "$T/tr.out" | tr -s ' \n' ' ')" >&2
	awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $2 }' "$T/tr.out" | tr '\n' ' ' | sed 's/ $//'
}

# --- IPv4: tcp:80 and icmp part after r1 ------------------------------------

TCP4="10.9.1.1 10.9.3.2 10.9.4.2 10.9.9.9"
ICMP4="10.9.1.1 10.9.2.2 10.9.9.9"
run_trace -p tcp:80,icmp -q 3 -w 3 -m 8 --json 10.9.9.9
is "$RC" 0 "v4 tcp:80,icmp: exit 0 (both reached the server)"
check "v4: the JSON parses" json_valid || show_run
is "$(path 0)" "$TCP4" "v4 tcp:80: r1, r2b, r3, server (the policy route)"
is "$(path 1)" "$ICMP4" "v4 icmp: r1, r2a, server"
is "$(last_answer 0)" "SYN-ACK" "v4 tcp:80: the server's SYN-ACKs end it"
is "$(last_answer 1)" "echo-reply" "v4 icmp: echo replies end it"
jis flows.0.destination_hop 4 "v4 tcp:80: destination at hop 4"
jis flows.1.destination_hop 3 "v4 icmp: destination at hop 3"
jis flows.0.hops.1.probes.2.answer time-exceeded "v4 tcp:80: hop 2 answered time exceeded"
jis divergence.0.parted true "v4: the paths part"
jis divergence.0.common_hop 1 "v4: the last hop in common is 1"
jis divergence.0.part_hop 2 "v4: they part at hop 2"
jis divergence.0.join_address 10.9.9.9 "v4: they join again at the server"
jis divergence.0.join_hop 3 "v4: at hop 3 of icmp"
jis divergence.0.reference_join_hop 4 "v4: and hop 4 of tcp:80"
is "$(oracle -T -p 80 10.9.9.9)" "$TCP4" "v4: traceroute -T -p 80 finds the same tcp:80 path"
is "$(oracle -I 10.9.9.9)" "$ICMP4" "v4: traceroute -I finds the same icmp path"

run_trace -p tcp:80,icmp -q 2 -w 3 -m 8 10.9.9.9
is "$RC" 0 "v4 text: exit 0"
like "$OUT" "icmp parts from tcp:80 after hop 1 \(10\.9\.1\.1\)" "v4 text: where the paths part"
like "$OUT" "joins it again at 10\.9\.9\.9 \(hop 3 of icmp, hop 4 of tcp:80\)" "v4 text: where they join again"
like "$OUT" "(^|$(printf '\n'))  2  10\.9\.3\.2 .* x 10\.9\.2\.2 " "v4 text: hop 2 side by side, marked as different"
like "$OUT" "(^|$(printf '\n'))  1  10\.9\.1\.1 .* = 10\.9\.1\.1 " "v4 text: hop 1 side by side, marked as the same"
like "$OUT" "\[SYN-ACK\]" "v4 text: the SYN-ACK is shown"

# A closed port: the server's RST ends the TCP trace (not policy-routed).
run_trace -p tcp:81 -q 1 -w 3 -m 8 --json 10.9.9.9
is "$RC" 0 "v4 tcp:81 (closed): exit 0"
is "$(path 0)" "$ICMP4" "v4 tcp:81: through r2a"
is "$(last_answer 0)" "RST" "v4 tcp:81: the RST ends it"

# UDP: port unreachable ends it.
run_trace -p udp:33434 -q 2 -w 3 -m 8 --json 10.9.9.9
is "$RC" 0 "v4 udp:33434: exit 0"
is "$(path 0)" "$ICMP4" "v4 udp:33434: through r2a"
is "$(last_answer 0)" "unreachable" "v4 udp:33434: port unreachable ends it"
jis flows.0.hops.2.probes.0.icmp_code 3 "v4 udp:33434: code 3 (port unreachable)"
is "$(oracle -U -p 33434 10.9.9.9)" "$ICMP4" "v4: traceroute -U -p 33434 finds the same path"

# --- IPv6 -------------------------------------------------------------------

TCP6="2001:db8:1::1 2001:db8:3::2 2001:db8:4::2 2001:db8:99::9"
ICMP6="2001:db8:1::1 2001:db8:2::2 2001:db8:99::9"
run_trace -p tcp:80,icmp,udp:33434 -q 2 -w 3 -m 8 --json 2001:db8:99::9
is "$RC" 0 "v6 tcp:80,icmp,udp: exit 0"
is "$(path 0)" "$TCP6" "v6 tcp:80: r1, r2b, r3, server"
is "$(path 1)" "$ICMP6" "v6 icmp: r1, r2a, server"
is "$(path 2)" "$ICMP6" "v6 udp:33434: r1, r2a, server"
is "$(last_answer 0)" "SYN-ACK" "v6 tcp:80: SYN-ACK"
is "$(last_answer 1)" "echo-reply" "v6 icmp: echo reply"
is "$(last_answer 2)" "unreachable" "v6 udp: port unreachable"
jis divergence.0.join_address 2001:db8:99::9 "v6: icmp joins tcp:80 again at the server"
jis divergence.1.part_hop 2 "v6: udp parts from tcp:80 at hop 2"
is "$(oracle -6 -T -p 80 2001:db8:99::9)" "$TCP6" "v6: traceroute -T -p 80 finds the same tcp:80 path"
is "$(oracle -6 -I 2001:db8:99::9)" "$ICMP6" "v6: traceroute -I finds the same icmp path"

# --- NTP: udp:123 sends NTP requests, the server's reply ends it ------------

# ntp_ok N WHAT: flow N's last hop was answered by NTP replies only, each
# from chronyd (version 4, stratum 3, no KoD).
# shellcheck disable=SC2317 # called through check
ntp_ok() {
	"$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
ps = d["flows"][int(sys.argv[2])]["hops"][-1]["probes"]
ok = ps and all(p["answer"] == "ntp-reply" and p["address"] == d["address"] and
                p["ntp"]["version"] == 4 and p["ntp"]["stratum"] == 3 and
                p["ntp"]["kiss_code"] is None and "icmp_type" not in p for p in ps)
sys.exit(0 if ok else 1)
' "$T/out" "$1"
}

# routers HOPS: the first two of traceroute's hops (the routers).
routers() { echo "$1" | cut -d' ' -f1-2; }

for fam in 4 6; do
	if [ "$fam" = 4 ]; then dst=10.9.9.9 icmp_path=$ICMP4; else dst=2001:db8:99::9 icmp_path=$ICMP6; fi
	run_trace -p udp:123,icmp -q 2 -w 3 -m 8 --json "$dst"
	is "$RC" 0 "v$fam udp:123,icmp: exit 0 (both reached the server)"
	check "v$fam udp:123: the JSON parses" json_valid || show_run
	is "$(path 0)" "$icmp_path" "v$fam udp:123: r1, r2a, server"
	is "$(last_answer 0)" "ntp-reply" "v$fam udp:123: NTP replies end it"
	jis flows.0.end ntp-reply "v$fam udp:123: the JSON says an NTP reply ended it"
	jis flows.1.end echo-reply "v$fam icmp: the JSON says an echo reply ended it"
	jis flows.0.destination_hop "$(jf flows.1.destination_hop)" "v$fam udp:123: at the hop where icmp reached the server"
	jis flows.0.destination_hop 3 "v$fam udp:123: destination at hop 3"
	jis flows.0.port 123 "v$fam udp:123: port 123"
	check "v$fam udp:123: every probe of the last hop has chronyd's reply (version 4, stratum 3)" ntp_ok 0 || show_run
	jis flows.0.hops.1.probes.0.answer time-exceeded "v$fam udp:123: hop 2 answered time exceeded"
	jis divergence.0.parted false "v$fam: udp:123 and icmp take the same path"
	# traceroute -U -p 123 sends the same port each time but no NTP request
	# (its data is not an NTP header): chronyd ignores it and sends no port
	# unreachable either, so its trace never ends at the server.
	tr=$(oracle "-$fam" -U -p 123 "$dst")
	is "$(routers "$tr")" "$(routers "$icmp_path")" "v$fam: traceroute -U -p 123 finds the same routers"
	like "$tr" "^[^ ]+ [^ ]+ \*( \*)*$" "v$fam: traceroute -U -p 123 gets no answer from the NTP server"
done

run_trace -p udp:123 -q 1 -w 3 -m 8 10.9.9.9
is "$RC" 0 "v4 udp:123 text: exit 0"
like "$OUT" "(^|$(printf '\n'))  3  10\.9\.9\.9 .* ms \[NTP reply, stratum 3\]" "v4 udp:123 text: the NTP reply is shown"
like "$OUT" "udp:123: reached the destination at hop 3 \(ntp-reply\)" "v4 udp:123 text: the summary says how it ended"

# Without the NTP server, port unreachable ends udp:123 at the same hop.
stop_daemon ntp-s
run_trace -p udp:123 -q 2 -w 3 -m 8 --json 10.9.9.9
is "$RC" 0 "v4 udp:123, no NTP server: exit 0"
is "$(last_answer 0)" "unreachable" "v4 udp:123, no NTP server: port unreachable ends it"
jis flows.0.end unreachable "v4 udp:123, no NTP server: the JSON says so"
jis flows.0.destination_hop 3 "v4 udp:123, no NTP server: destination at hop 3"
jis flows.0.hops.2.probes.1.icmp_code 3 "v4 udp:123, no NTP server: code 3 (port unreachable)"
run_trace -p udp:123 -q 2 -w 3 -m 8 --json 2001:db8:99::9
is "$(last_answer 0)" "unreachable" "v6 udp:123, no NTP server: port unreachable ends it"
jis flows.0.destination_hop 3 "v6 udp:123, no NTP server: destination at hop 3"

# --- without CAP_NET_RAW ----------------------------------------------------

SUNDIAL=$T/sundial-noraw run_sundial trace -p icmp -q 1 -w 1 10.9.9.9
is "$RC" 77 "no CAP_NET_RAW: exit 77"
like "$ERR" "CAP_NET_RAW" "no CAP_NET_RAW: says so"
like "$ERR" "setcap cap_net_raw\+ep" "no CAP_NET_RAW: says how to grant it"
is "$OUT" "" "no CAP_NET_RAW: nothing on stdout"

# --- usage ------------------------------------------------------------------

usage_error() {
	local name=$1 want=$2
	shift 2
	run_sundial trace "$@"
	is "$RC" 64 "usage: $name: exit 64"
	like "$ERR" "$want" "usage: $name: stderr says what is wrong"
}
usage_error "no HOST" "HOST"
usage_error "-p sctp:80" "'sctp'" -p sctp:80 10.9.9.9
usage_error "-p tcp:0" "port from 1 to 65535" -p tcp:0 10.9.9.9
usage_error "-p icmp:1" "icmp has no port" -p icmp:1 10.9.9.9
usage_error "-p twice" "given twice" -p tcp:80,tcp:80 10.9.9.9
usage_error "-q 11" "-q needs" -q 11 10.9.9.9
usage_error "-m 0" "-m needs" -m 0 10.9.9.9
usage_error "HOST:port" "takes no port" 10.9.9.9:80

finish
