# shellcheck shell=bash
# lib.sh - sourced by every system test (tests/system/*.sh).
#
# Each test gets:
#   - its own network namespace when it can have one (root + unshare): only a
#     loopback interface (with 127.0.0.1, ::1, 192.0.2.1 and 2001:db8::1),
#     so nothing the test sends can leave the machine,
#     port 123 is free for NTPsec, and /etc/resolv.conf is replaced by one
#     that points at 127.0.0.1 (no query reaches the host's resolver).
#     SUNDIAL_NETNS=0 turns this off, SUNDIAL_NETNS=1 makes it mandatory.
#   - a temporary folder $T, removed on exit (kept with KEEP=1);
#   - peers it starts itself on loopback (start_chronyd, start_ntpsec, ...),
#     all killed on exit;
#   - TAP-like assertions: each prints "ok - ..." or "not ok - ..."; finish
#     exits 1 if any failed.
#
# A missing peer is a failure ("not ok"), never a skip.
#
# Environment: SUNDIAL (the binary), TESTS_DIR (tests/), KEEP, PYTHON,
# CHRONYD, NTPD, NTPDIG, CHECK_NTP_TIME, READY_TIMEOUT (s), SUNDIAL_NETNS.

set -u

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTS_DIR=${TESTS_DIR:-$(dirname "$LIB_DIR")}
SYS_DIR=$TESTS_DIR/system
SUNDIAL=${SUNDIAL:-$(dirname "$TESTS_DIR")/build/sundial}
PYTHON=${PYTHON:-python3}
CHRONYD=${CHRONYD:-chronyd}
NTPD=${NTPD:-/opt/sundial-peers/ntpsec/usr/sbin/ntpd}
NTPDIG=${NTPDIG:-ntpdig}
CHECK_NTP_TIME=${CHECK_NTP_TIME:-/usr/lib/nagios/plugins/check_ntp_time}
READY_TIMEOUT=${READY_TIMEOUT:-20}
SUNDIAL_RUN_TIMEOUT=${SUNDIAL_RUN_TIMEOUT:-60}
NTP_PROBE=$SYS_DIR/ntp_probe.py

# ---------------------------------------------------------------------------
# Isolation: re-run this test inside a new network + mount namespace.
# Done before anything else so the outer process leaves nothing behind.

# SUNDIAL_IN_NETNS holds the namespaces of the process that made the new
# ones; a stale value inherited outside them is ignored (so resolv.conf is
# never replaced in the host's mount namespace).
_ns_ids() { readlink /proc/self/ns/net /proc/self/ns/mnt 2>/dev/null | tr '\n' ' '; }
case "${SUNDIAL_IN_NETNS:-}" in
	"$(_ns_ids)") unset SUNDIAL_IN_NETNS ;;
	"net:["*"] mnt:["*"] ") ;;
	*) unset SUNDIAL_IN_NETNS ;;
esac
if [ -z "${SUNDIAL_IN_NETNS:-}" ] && [ "${SUNDIAL_NETNS:-auto}" != 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
	   command -v ip >/dev/null 2>&1 && unshare --net --mount true 2>/dev/null; then
		SUNDIAL_IN_NETNS=$(_ns_ids)
		export SUNDIAL_IN_NETNS
		exec unshare --net --mount -- "$BASH" "$0" "$@"
	elif [ "${SUNDIAL_NETNS:-auto}" = 1 ]; then
		echo "not ok - SUNDIAL_NETNS=1 but no network namespace (needs root, unshare and ip)"
		exit 1
	fi
fi

# ---------------------------------------------------------------------------
# Temporary folder and cleanup.

T=$(mktemp -d "${TMPDIR:-/tmp}/sundial-$(basename "$0" .sh).XXXXXX") || exit 1
chmod 700 "$T"
DAEMONS=""        # "name:pid name:pid ..."
N_OK=0
N_FAIL=0

_kill_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

_cleanup() {
	local rc=$? d
	trap - EXIT
	for d in $DAEMONS; do
		_kill_pid "${d#*:}"
	done
	DAEMONS=""
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# KEEP=1: left $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "${SUNDIAL_IN_NETNS:-}" ]; then
	ip link set lo up || { echo "not ok - cannot bring up lo in the test namespace"; exit 1; }
	# A namespace with nothing but 127.0.0.1 and ::1 is unlike a host on a
	# network: getaddrinfo()'s AI_ADDRCONFIG counts no address there.  One
	# documentation address per family (RFC 5737, RFC 3849) on lo makes it
	# look like one; nothing is ever sent to them.  query_cli.sh checks the
	# loopback-only case on its own.
	if ! ip addr add 192.0.2.1/32 dev lo || ! ip addr add 2001:db8::1/128 dev lo nodad; then
		echo "not ok - cannot add addresses to lo in the test namespace"
		exit 1
	fi
	# Only a resolver on 127.0.0.1 (started by the tests that need one).
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$T/resolv.conf"
	mount --bind "$T/resolv.conf" /etc/resolv.conf ||
		{ echo "not ok - cannot replace /etc/resolv.conf in the test namespace"; exit 1; }
	echo "# isolated: own network namespace (loopback only), resolver 127.0.0.1"
else
	echo "# not isolated: using the host's loopback (no network namespace)"
fi

# ---------------------------------------------------------------------------
# Assertions.

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

ok() { N_OK=$((N_OK + 1)); echo "ok - $*"; }

not_ok() {
	N_FAIL=$((N_FAIL + 1))
	echo "not ok - $1"
	shift
	[ $# -gt 0 ] && diag "$@"
	return 0
}

# check NAME CMD...: ok if CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}

# is GOT WANT NAME
is() {
	if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3" "got:  '$1'" "want: '$2'"; fi
}

# like TEXT ERE NAME (grep -E, case-sensitive)
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then ok "$3"
	else not_ok "$3" "text: '$(printf '%s' "$1" | head -c 400)'" "does not match /$2/"; fi
}

# numcmp A OP B: true if the numbers compare so (OP: < <= > >= ==); false
# also when A or B is not a number.
numcmp() {
	awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN {
		if (a !~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ ||
		    b !~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/) exit 2
		a += 0; b += 0
		if (op == "<") r = a < b; else if (op == "<=") r = a <= b
		else if (op == ">") r = a > b; else if (op == ">=") r = a >= b
		else if (op == "==") r = a == b; else exit 2
		exit !r }'
}

# absdiff A B: prints |A - B| ("x", which no numcmp accepts, if A or B is
# not a number)
absdiff() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = "^[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?$"
		if (a !~ n || b !~ n) { print "x"; exit }
		d = a - b; if (d < 0) d = -d; printf "%.9f\n", d }'
}
absval() { absdiff "$1" 0; }

# num_is A OP B NAME
num_is() {
	if numcmp "$1" "$2" "$3"; then ok "$4"; else not_ok "$4" "want: $1 $2 $3"; fi
}

bail_out() {
	not_ok "$1"
	shift
	[ $# -gt 0 ] && diag "$@"
	finish
}

finish() {
	echo "# $N_OK passed, $N_FAIL failed"
	if [ "$N_FAIL" -gt 0 ] || [ "$N_OK" -eq 0 ]; then exit 1; fi
	exit 0
}

# ---------------------------------------------------------------------------
# Running sundial and reading its output.

# run_sundial ARGS...: runs $SUNDIAL; stdout in $T/out, stderr in $T/err,
# exit status in RC (124 if it hung for SUNDIAL_RUN_TIMEOUT s).
run_sundial() {
	echo "# \$ sundial $*"
	timeout -k 5 "$SUNDIAL_RUN_TIMEOUT" "$SUNDIAL" "$@" >"$T/out" 2>"$T/err"
	RC=$?
	# shellcheck disable=SC2034 # OUT and ERR are for the tests
	OUT=$(cat "$T/out")
	# shellcheck disable=SC2034
	ERR=$(cat "$T/err")
	echo "#   exit $RC"
	# Under ASan/UBSan a report on stderr is a failure whatever the exit.
	if grep -Eq 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$T/err"; then
		not_ok "sundial $* runs clean under the sanitizers" "$(head -n 40 "$T/err")"
	fi
	return 0
}

# jf PATH [FILE]: one field of a JSON document ($T/out by default), PATH like
# servers.0.auth.result.  Strings print raw, null as "null", missing as
# "<missing>", a bad document as "<invalid json>".
jf() {
	"$PYTHON" - "$1" "${2:-$T/out}" <<'EOF'
import json, sys
path, f = sys.argv[1], sys.argv[2]
try:
    d = json.load(open(f))
except Exception:
    print("<invalid json>"); sys.exit(0)
for k in path.split("."):
    try:
        d = d[int(k)] if isinstance(d, list) else d[k]
    except (KeyError, IndexError, ValueError, TypeError):
        print("<missing>"); sys.exit(0)
if d is None: print("null")
elif isinstance(d, bool): print("true" if d else "false")
elif isinstance(d, (dict, list)): print(json.dumps(d))
else: print(d)
EOF
}

# jis PATH WANT NAME: a field of the last JSON output.
jis() { is "$(jf "$1")" "$2" "$3"; }

# json_valid [FILE]
json_valid() { "$PYTHON" -c 'import json,sys; json.load(open(sys.argv[1]))' "${1:-$T/out}" 2>/dev/null; }

# show_run: the last run's output as diagnostics.
show_run() { diag "stdout: $(head -c 2000 "$T/out")" "stderr: $(head -c 1000 "$T/err")"; }

# ---------------------------------------------------------------------------
# Keys: one set of secrets, written as ntp.keys and chrony.keys files.
#   1 MD5 (20 octets), 2 SHA1 (20 octets), 3 AES-128-CMAC (16 octets);
#   42 MD5 is only in the client files (unknown to the servers);
#   the "wrong" client files have ids 1-3 with other secrets.

KEY1_HEX=6d2f1e3a9b0c4d5e7f8091a2b3c4d5e6f7081920
KEY2_HEX=0a1b2c3d4e5f60718293a4b5c6d7e8f901122334
KEY3_HEX=8c3b9f0e1d2a4b5c6d7e8f9001a2b3c4
KEY42_HEX=42424242424242424242424242424242deadbeef
WKEY1_HEX=6d2f1e3a9b0c4d5e7f8091a2b3c4d5e6f7081921
WKEY2_HEX=ffeeddccbbaa99887766554433221100ffeeddcc
WKEY3_HEX=8c3b9f0e1d2a4b5c6d7e8f9001a2b3c5
KEYS=$T/keys

_write_keys() {
	mkdir -p "$KEYS"
	(
		umask 077
		printf '1 MD5 %s\n2 SHA1 %s\n3 AES-128 %s\n' "$KEY1_HEX" "$KEY2_HEX" "$KEY3_HEX" >"$KEYS/server-ntp.keys"
		printf '1 MD5 HEX:%s\n2 SHA1 HEX:%s\n3 AES128 HEX:%s\n' "$KEY1_HEX" "$KEY2_HEX" "$KEY3_HEX" >"$KEYS/server-chrony.keys"
		{
			echo "# sundial system test client keys (ntp.keys format)"
			printf '1 MD5 %s\n2 SHA1 %s\n3 AES-128 %s\n42 MD5 %s\n' "$KEY1_HEX" "$KEY2_HEX" "$KEY3_HEX" "$KEY42_HEX"
		} >"$KEYS/client-ntp.keys"
		{
			echo "# sundial system test client keys (chrony.keys format)"
			printf '1 MD5 HEX:%s\n2 SHA1 HEX:%s\n3 AES128 HEX:%s\n42 MD5 HEX:%s\n' "$KEY1_HEX" "$KEY2_HEX" "$KEY3_HEX" "$KEY42_HEX"
		} >"$KEYS/client-chrony.keys"
		printf '1 MD5 %s\n2 SHA1 %s\n3 AES-128 %s\n' "$WKEY1_HEX" "$WKEY2_HEX" "$WKEY3_HEX" >"$KEYS/wrong-ntp.keys"
		printf '1 MD5 HEX:%s\n2 SHA1 HEX:%s\n3 AES128 HEX:%s\n' "$WKEY1_HEX" "$WKEY2_HEX" "$WKEY3_HEX" >"$KEYS/wrong-chrony.keys"
	)
}
_write_keys

# probe_key ID [wrong]: the ID:TYPE:HEX argument of ntp_probe.py -k
probe_key() {
	local w=${2:-}
	case "$1$w" in
		1) echo "1:md5:$KEY1_HEX" ;; 2) echo "2:sha1:$KEY2_HEX" ;; 3) echo "3:aes128:$KEY3_HEX" ;;
		42) echo "42:md5:$KEY42_HEX" ;;
		1wrong) echo "1:md5:$WKEY1_HEX" ;; 2wrong) echo "2:sha1:$WKEY2_HEX" ;; 3wrong) echo "3:aes128:$WKEY3_HEX" ;;
	esac
}

# ---------------------------------------------------------------------------
# Ports and probes.

# _free_port udp|tcp: a port of that protocol free on both 127.0.0.1 and ::1.
_free_port() {
	"$PYTHON" - "$1" <<'EOF'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
for _ in range(100):
    s4 = socket.socket(socket.AF_INET, kind)
    s4.bind(("127.0.0.1", 0))
    port = s4.getsockname()[1]
    s6 = socket.socket(socket.AF_INET6, kind)
    try:
        s6.bind(("::1", port))
    except OSError:
        continue
    finally:
        s6.close()
    s4.close()
    print(port)
    break
EOF
}

# free_udp_port: a UDP port free on both 127.0.0.1 and ::1.
free_udp_port() { _free_port udp; }

# udp_port_free PORT
udp_port_free() {
	"$PYTHON" - "$1" <<'EOF'
import socket, sys
p = int(sys.argv[1])
try:
    for fam, a in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((a, p)); s.close()
except OSError:
    sys.exit(1)
EOF
}

# probe [ntp_probe.py args]: one request, prints the reply as JSON.
probe() { "$PYTHON" "$NTP_PROBE" "$@"; }

# probe_field FIELD [ntp_probe.py args]
probe_field() {
	local f=$1
	shift
	probe "$@" >"$T/probe.json" 2>"$T/probe.err" || { echo "<probe failed: $(cat "$T/probe.err")>"; return 0; }
	jf "$f" "$T/probe.json"
}

# ---------------------------------------------------------------------------
# Daemons.

_pid_of() {
	local d
	for d in $DAEMONS; do
		[ "${d%%:*}" = "$1" ] && { echo "${d#*:}"; return 0; }
	done
	return 1
}

# stop_daemon NAME
stop_daemon() {
	local pid d rest=""
	pid=$(_pid_of "$1") || return 0
	_kill_pid "$pid"
	for d in $DAEMONS; do [ "${d%%:*}" = "$1" ] || rest="$rest $d"; done
	DAEMONS=$rest
}

# _spawn NAME CMD...: starts CMD in the background, output in $T/NAME/out.
_spawn() {
	local name=$1
	shift
	mkdir -p "$T/$name"
	echo "# start $name: $(printf "%s " "$@" | tr "\n" " " | cut -c1-160)"
	"$@" >"$T/$name/out" 2>&1 </dev/null &
	DAEMONS="$DAEMONS $name:$!"
}

# _daemon_failed NAME WHY: bails out with the daemon's output.
_daemon_failed() {
	local name=$1 f
	shift
	not_ok "$name: $*"
	for f in "$T/$name"/out "$T/$name"/*.log; do
		[ -s "$f" ] && diag "--- $f" "$(tail -n 30 "$f")"
	done
	finish
}

# _wait_ready NAME HOST PORT sync|unsync: polls with ntp_probe.py until the
# server answers (sync: with LI != 3 and stratum 1..15), at most
# READY_TIMEOUT s.  Fails the test if the daemon dies or never gets there.
_wait_ready() {
	local name=$1 host=$2 port=$3 want=$4 pid start now leap stratum
	pid=$(_pid_of "$name")
	start=$(date +%s.%N)
	while :; do
		kill -0 "$pid" 2>/dev/null || _daemon_failed "$name" "exited during start-up"
		probe -t 0.2 "$host" "$port" >"$T/$name/ready.json" 2>"$T/$name/ready.err"
		if [ "$(jf reply "$T/$name/ready.json")" = true ]; then
			leap=$(jf leap "$T/$name/ready.json")
			stratum=$(jf stratum "$T/$name/ready.json")
			if [ "$want" = unsync ] || { [ "$leap" != 3 ] && [ "$stratum" -ge 1 ] && [ "$stratum" -le 15 ]; }; then
				now=$(date +%s.%N)
				echo "# $name ready on $host port $port after $(awk -v a="$start" -v b="$now" 'BEGIN{printf "%.1f", b-a}') s (leap $leap, stratum $stratum)"
				return 0
			fi
		fi
		now=$(date +%s.%N)
		if numcmp "$(awk -v a="$start" -v b="$now" 'BEGIN{print b-a}')" '>' "$READY_TIMEOUT"; then
			_daemon_failed "$name" "no $want reply from $host port $port within $READY_TIMEOUT s; last: $(cat "$T/$name/ready.json" "$T/$name/ready.err")"
		fi
		sleep 0.2
	done
}

# _nosystime CMD...: execs CMD without CAP_SYS_TIME in its bounding set, so
# neither it nor anything it runs can set this machine's clock, whatever its
# configuration says.  Used as _spawn NAME _nosystime CMD...
_nosystime() {
	if command -v setpriv >/dev/null 2>&1; then
		exec setpriv --bounding-set -sys_time --inh-caps=-all -- "$@"
	else
		exec capsh --drop=cap_sys_time -- -c 'exec "$@"' nosystime "$@"
	fi
}

_have_nosystime() { command -v setpriv >/dev/null 2>&1 || command -v capsh >/dev/null 2>&1; }

# _assert_no_sys_time NAME: the running daemon's effective capabilities
# must not contain CAP_SYS_TIME (bit 25).
_assert_no_sys_time() {
	local pid eff
	pid=$(_pid_of "$1")
	eff=$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	[ -n "$eff" ] || _daemon_failed "$1" "cannot read /proc/$pid/status"
	if (( (16#$eff >> 25) & 1 )); then
		_daemon_failed "$1" "still has CAP_SYS_TIME (CapEff $eff); refusing to go on"
	fi
	ok "$1 runs without CAP_SYS_TIME (CapEff $eff, $(readlink "/proc/$pid/exe"))"
}

# _start_chronyd NAME sync|unsync: chronyd on a free port of 127.0.0.1 and
# ::1 (or on $CHRONYD_WANT_PORT); sets _PORT.  -x: never touches the clock.
_start_chronyd() {
	local name=$1 mode=$2 dir=$T/$1
	command -v "$CHRONYD" >/dev/null 2>&1 || bail_out "chronyd ($CHRONYD) is not installed (scripts/install-deps)"
	_have_nosystime || bail_out "neither setpriv nor capsh is installed"
	_PORT=${CHRONYD_WANT_PORT:-$(free_udp_port)}
	mkdir -p "$dir"
	{
		echo "port $_PORT"
		echo "bindaddress 127.0.0.1"
		echo "bindaddress ::1"
		[ "$mode" = sync ] && echo "local stratum 3"
		echo "allow"
		echo "keyfile $KEYS/server-chrony.keys"
		echo "cmdport 0"
		echo "bindcmdaddress /"
		echo "pidfile $dir/chronyd.pid"
		echo "driftfile $dir/drift"
	} >"$dir/chrony.conf"
	_spawn "$name" _nosystime "$CHRONYD" -x -d -u root -f "$dir/chrony.conf"
	_wait_ready "$name" 127.0.0.1 "$_PORT" "$mode"
	_wait_ready "$name" ::1 "$_PORT" "$mode"
	_assert_no_sys_time "$name"
}

# start_chronyd: local stratum 3; sets CHRONYD_PORT.
# shellcheck disable=SC2034 # for the tests
start_chronyd() { _start_chronyd chronyd sync; CHRONYD_PORT=$_PORT; }

# start_chronyd_unsync: no reference at all (answers LI=3, stratum 0);
# sets CHRONYD_UNSYNC_PORT.
# shellcheck disable=SC2034 # for the tests
start_chronyd_unsync() { _start_chronyd chronyd-unsync unsync; CHRONYD_UNSYNC_PORT=$_PORT; }

# NTPsec 1.2.2 cannot serve on another port than 123 (the "port" keyword
# came later), hence NTPSEC_PORT=123 and one NTPsec at a time.
NTPSEC_PORT=123

# _start_ntpsec NAME sync|unsync: NTPsec's ntpd on 127.0.0.1:123 and
# [::1]:123, without CAP_SYS_TIME and with "disable ntp" / "disable kernel".
# sync: orphan mode, stratum 5, refid 127.0.0.1, LI=0 about 1 s after start.
# Rate limiting (KoD RATE) applies to every client but 127.0.0.1 and ::1:
# send from 127.0.0.2 to get one (see query_ntpsec.sh).
_start_ntpsec() {
	local name=$1 mode=$2 dir=$T/$1
	[ -x "$NTPD" ] || bail_out "NTPsec's ntpd ($NTPD) is missing (scripts/install-deps unpacks it)"
	_have_nosystime || bail_out "neither setpriv nor capsh is installed: ntpd must not run with CAP_SYS_TIME"
	udp_port_free "$NTPSEC_PORT" || bail_out "UDP port $NTPSEC_PORT is in use on loopback; NTPsec 1.2.2 can only serve on 123 (run the test as root, which isolates it in a network namespace, or stop the other NTP server)"
	mkdir -p "$dir"
	{
		[ "$mode" = sync ] && echo "tos orphan 5 orphanwait 0"
		echo "disable ntp"
		echo "disable kernel"
		echo "keys $KEYS/server-ntp.keys"
		echo "trustedkey 1 2 3"
		echo "interface ignore wildcard"
		echo "interface listen 127.0.0.1"
		echo "interface listen ::1"
		echo "driftfile $dir/drift"
		echo "statsdir $dir/"
		echo "restrict default limited kod"
		echo "restrict 127.0.0.1"
		echo "restrict ::1"
		# Score: +1/20 a packet, decaying with a 20 s time constant; over
		# 0.01 the client is limited: every packet but the first in ~30 s
		# gets a KoD RATE (kod 1000 keeps bursts from suppressing it).
		echo "limit average 0.01 burst 20 kod 1000"
	} >"$dir/ntp.conf"
	_spawn "$name" _nosystime "$NTPD" -n -c "$dir/ntp.conf" -p "$dir/ntpd.pid" -l "$dir/ntpd.log"
	_wait_ready "$name" 127.0.0.1 "$NTPSEC_PORT" "$mode"
	_wait_ready "$name" ::1 "$NTPSEC_PORT" "$mode"
	_assert_no_sys_time "$name"
	if grep -q 'syntax error' "$dir/ntpd.log" 2>/dev/null; then
		_daemon_failed "$name" "ntpd rejected its configuration"
	fi
}

start_ntpsec() { _start_ntpsec ntpsec sync; }
start_ntpsec_unsync() { _start_ntpsec ntpsec-unsync unsync; }

# start_blackhole: a UDP port on 127.0.0.1 and ::1 that takes requests and
# never answers (a true timeout, no ICMP); sets BLACKHOLE_PORT.
start_blackhole() {
	BLACKHOLE_PORT=$(free_udp_port)
	_spawn blackhole "$PYTHON" -c '
import select, socket, sys
p = int(sys.argv[1])
a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("127.0.0.1", p))
b = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); b.bind(("::1", p))
while True:
    for s in select.select([a, b], [], [])[0]:
        s.recv(2048)
' "$BLACKHOLE_PORT"
	sleep 0.3
	kill -0 "$(_pid_of blackhole)" 2>/dev/null || _daemon_failed blackhole "did not start"
}

# start_fake_ntp OFFSET: fake_ntp.py, a server OFFSET s ahead of this clock
# (to check the sign of offsets); sets FAKE_PORT.
start_fake_ntp() {
	FAKE_PORT=$(free_udp_port)
	_spawn fake-ntp "$PYTHON" "$SYS_DIR/fake_ntp.py" "$FAKE_PORT" "$1"
	_wait_ready fake-ntp 127.0.0.1 "$FAKE_PORT" sync
}

# start_nxdomain_dns: a DNS server on 127.0.0.1:53 that answers every query
# with NXDOMAIN (only inside the test's namespace, where resolv.conf points
# at it).
start_nxdomain_dns() {
	_spawn dns "$PYTHON" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 53))
while True:
    q, a = s.recvfrom(2048)
    if len(q) < 12: continue
    # id, flags QR|RD(from query)|RA, rcode 3; qdcount as asked, no answers
    flags = 0x8000 | (q[2] & 0x01) << 8 | 0x0080 | 3
    s.sendto(q[:2] + flags.to_bytes(2, "big") + q[4:6] + bytes(6) + q[12:], a)
'
	sleep 0.3
	kill -0 "$(_pid_of dns)" 2>/dev/null || _daemon_failed dns "did not start (port 53 taken?)"
}

# ---------------------------------------------------------------------------
# Oracles.

# ntpdig_at HOST PORT [ntpdig args]: ntpdig can only ask port 123; this runs
# it with getaddrinfo() patched to ask PORT instead.  JSON output (-j).
ntpdig_at() {
	local host=$1 port=$2 path interp
	shift 2
	path=$(command -v "$NTPDIG") || { echo "ntpdig is not installed" >&2; return 127; }
	interp=$(sed -n '1s/^#! *//p' "$path")
	# shellcheck disable=SC2086
	timeout 30 ${interp:-$PYTHON} -c '
import runpy, socket, sys
port, script = int(sys.argv[1]), sys.argv[2]
real = socket.getaddrinfo
socket.getaddrinfo = lambda h, p, *a, **k: real(h, port if p == 123 else p, *a, **k)
sys.argv = [script] + sys.argv[3:]
runpy.run_path(script, run_name="__main__")
' "$port" "$path" -j -t 2 "$@" "$host"
}

# chronyd_q HOST PORT: chronyd -Q (measure only, never sets the clock)
# pointed at the server; prints the offset it measured (the "System clock
# wrong by X seconds" line, X = server - local, the NTP offset sign).
chronyd_q() {
	local out
	out=$(timeout 30 "$CHRONYD" -Q -u root -t 10 \
		"server $1 port $2 iburst maxsamples 1" \
		"pidfile $T/chronyd-q.pid" 2>&1)
	printf '%s\n' "$out" >"$T/chronyd-q.log"
	printf '%s\n' "$out" | sed -n 's/.*System clock wrong by \([-+0-9.e]*\) seconds.*/\1/p' | head -n 1
}

# ---------------------------------------------------------------------------
# Peers for `sundial status` (status_chronyd.sh, status_ntpsec.sh): daemons
# with their control interfaces open, real sources, a reference clock, and
# their own tools as oracles.

NTPQ=${NTPQ:-/opt/sundial-peers/ntpsec/usr/bin/ntpq}
CHRONYC=${CHRONYC:-chronyc}
ORACLE=$SYS_DIR/oracle.py
export NTPQ CHRONYC

# oracle ARGS...: oracle.py (ntpq / chronyc output as JSON).
oracle() { "$PYTHON" "$ORACLE" "$@"; }

# oracle_to FILE ARGS...: oracle output into FILE (read it with jf PATH FILE).
oracle_to() {
	local f=$1
	shift
	oracle "$@" >"$f" 2>"$f.err" || echo "# oracle $* failed: $(head -c 300 "$f.err")"
}

# require_oracles: ntpq (python, needs the ntp module: python3-ntp, pulled in
# by ntpsec-ntpdig) and chronyc must run.
require_ntpq() {
	[ -x "$NTPQ" ] || bail_out "NTPsec's ntpq ($NTPQ) is missing (scripts/install-deps unpacks it)"
	"$NTPQ" --version >"$T/ntpq-version" 2>&1 ||
		bail_out "NTPsec's ntpq does not run (it needs python3 and the ntp module, python3-ntp)" "$(cat "$T/ntpq-version")"
}
require_chronyc() {
	command -v "$CHRONYC" >/dev/null 2>&1 || bail_out "chronyc ($CHRONYC) is not installed (scripts/install-deps)"
}

# require_isolated: the test needs its own network namespace (it adds
# addresses and routes to lo, and serves on port 123/323).
require_isolated() {
	[ -n "${SUNDIAL_IN_NETNS:-}" ] ||
		bail_out "this test needs its own network namespace: run it as root (with unshare and ip)"
}

# private_run_chrony: inside the test's mount namespace, /run/chrony (where
# chronyd's default command socket lives) becomes $T/run-chrony, so that
# `sundial status` without a target never finds the host's chronyd.  Sets
# RUN_CHRONY=/run/chrony when done, else empty (no /run/chrony here, so
# there is no host socket to hide either).
RUN_CHRONY=""
private_run_chrony() {
	[ -n "${SUNDIAL_IN_NETNS:-}" ] || return 0
	[ -d /run/chrony ] || return 0
	mkdir -p "$T/run-chrony"
	chmod 700 "$T/run-chrony"
	mount --bind "$T/run-chrony" /run/chrony || bail_out "cannot bind $T/run-chrony over /run/chrony"
	# shellcheck disable=SC2034 # for the tests
	RUN_CHRONY=/run/chrony
}

# _chronyd_spawn NAME: chronyd -x without CAP_SYS_TIME, on $T/NAME/chrony.conf.
_chronyd_spawn() {
	local name=$1
	shift
	command -v "$CHRONYD" >/dev/null 2>&1 || bail_out "chronyd ($CHRONYD) is not installed (scripts/install-deps)"
	_have_nosystime || bail_out "neither setpriv nor capsh is installed"
	_spawn "$name" _nosystime "$CHRONYD" -x -d -u root "$@" -f "$T/$name/chrony.conf"
}

# start_chronyd_server NAME ADDR PORT STRATUM: a plain NTP server for other
# daemons to follow ("local stratum STRATUM", LI 0 at once), IPv4 only
# (-4) when ADDR is IPv4; no command socket.
start_chronyd_server() {
	local name=$1 addr=$2 port=$3 stratum=$4 dir=$T/$1 fam=()
	mkdir -p "$dir"
	case "$addr" in *:*) ;; *) fam=(-4) ;; esac
	{
		echo "port $port"
		echo "bindaddress $addr"
		echo "local stratum $stratum"
		echo "allow"
		echo "cmdport 0"
		echo "bindcmdaddress /"
		echo "pidfile $dir/chronyd.pid"
		echo "driftfile $dir/drift"
	} >"$dir/chrony.conf"
	_chronyd_spawn "$name" "${fam[@]}"
	_wait_ready "$name" "$addr" "$port" sync
}

# chronyc_at TARGET ARGS...: chronyc (-n) at TARGET: a socket path or HOST:PORT.
chronyc_at() {
	local target=$1 host port
	shift
	case "$target" in
		/*) timeout 20 "$CHRONYC" -n -h "$target" "$@" ;;
		*)  port=${target##*:}; host=${target%:*}; host=${host#[}; host=${host%]}
		    timeout 20 "$CHRONYC" -n -h "$host" -p "$port" "$@" ;;
	esac
}

# start_chronyd_mon NAME sync|unsync: the chronyd that `sundial status` asks.
#   NTP server on 127.0.0.1 and ::1 (CHRONYD_MON_PORT), command port on
#   127.0.0.1 and ::1 (CHRONYD_MON_CMDPORT; $CHRONYD_CMD_WANT_PORT if set,
#   e.g. 323), Unix command socket $T/NAME/chronyd.sock (CHRONYD_MON_SOCK).
#   sync:   sources 127.0.0.11 (NAME-up1, chronyd "local stratum 3") and
#           127.0.0.12 (NAME-up2, stratum 4), both polled every 0.25 s
#           (minpoll/maxpoll -2; chrony 4.3 allows down to -7), and
#           127.0.0.13 where nothing listens; waits until chronyc shows
#           reach 377 for both servers and a selected source (stratum 4).
#   unsync: only the silent 127.0.0.13: LI 3, stratum 0, "Not synchronised".
#   chronyd 4.3 will not take two sources with the same address (even on
#   different ports: "Could not add source"), hence 127.0.0.11/12/13.
start_chronyd_mon() {
	local name=$1 mode=$2 dir=$T/$1 up1 up2 dead start now
	mkdir -p "$dir"
	# chronyd disables a command socket whose folder others can enter
	# ("Wrong permissions"): it wants 0770 or less, owned by its user.
	chmod 700 "$dir"
	CHRONYD_MON_PORT=$(free_udp_port)
	CHRONYD_MON_CMDPORT=${CHRONYD_CMD_WANT_PORT:-$(free_udp_port)}
	CHRONYD_MON_SOCK=$dir/chronyd.sock
	dead=$(free_udp_port)
	if [ "$mode" = sync ]; then
		up1=$(free_udp_port)
		up2=$(free_udp_port)
		start_chronyd_server "$name-up1" 127.0.0.11 "$up1" 3
		start_chronyd_server "$name-up2" 127.0.0.12 "$up2" 4
	fi
	{
		echo "port $CHRONYD_MON_PORT"
		echo "bindaddress 127.0.0.1"
		echo "bindaddress ::1"
		if [ "$mode" = sync ]; then
			echo "server 127.0.0.11 port $up1 iburst minpoll -2 maxpoll -2"
			echo "server 127.0.0.12 port $up2 iburst minpoll -2 maxpoll -2"
		fi
		echo "server 127.0.0.13 port $dead iburst minpoll -2 maxpoll -2"
		echo "allow"
		echo "keyfile $KEYS/server-chrony.keys"
		echo "cmdport $CHRONYD_MON_CMDPORT"
		echo "bindcmdaddress 127.0.0.1"
		echo "bindcmdaddress ::1"
		echo "bindcmdaddress $CHRONYD_MON_SOCK"
		echo "pidfile $dir/chronyd.pid"
		echo "driftfile $dir/drift"
	} >"$dir/chrony.conf"
	_chronyd_spawn "$name"
	_wait_ready "$name" 127.0.0.1 "$CHRONYD_MON_PORT" "$mode"
	_assert_no_sys_time "$name"
	start=$(date +%s)
	while :; do
		kill -0 "$(_pid_of "$name")" 2>/dev/null || _daemon_failed "$name" "exited during start-up"
		chronyc_at "$CHRONYD_MON_SOCK" -c sources >"$dir/ready.sources" 2>&1
		if [ "$mode" = unsync ]; then
			grep -q '^\^,?,127\.0\.0\.13,' "$dir/ready.sources" && break
		elif [ "$(grep -Ec '^\^,[*+-],127\.0\.0\.1[12],[0-9]+,-2,377,' "$dir/ready.sources")" = 2 ] &&
		     grep -q '^\^,\*,' "$dir/ready.sources"; then
			break
		fi
		now=$(date +%s)
		[ $((now - start)) -gt "$READY_TIMEOUT" ] &&
			_daemon_failed "$name" "sources not ready within $READY_TIMEOUT s: $(cat "$dir/ready.sources")"
		sleep 0.3
	done
	echo "# $name: sources ready after $(( $(date +%s) - start )) s: $(tr '\n' ' ' <"$dir/ready.sources")"
}

# ---- NTPsec with a reference clock and a server ---------------------------
#
# start_ntpsec_refclock: NTPsec's ntpd on 127.0.0.1:123 and [::1]:123 with
#   - an NMEA refclock ("refclock nmea unit 0 path $T/nmea/gps0"), fed
#     through a pseudo-terminal by nmea_feeder.py (no socat needed: python's
#     pty module gives the pair, the feeder links the slave side);
#     nmea_mode good|bad|silent switches what it sends;
#   - a server association to a chronyd on 192.0.2.2:123 (local stratum 3);
#   - keys 1-3 trusted, controlkey 1 (authenticated mode 6);
#   - $NTPSEC_REF_NMEA_OPTS appended to the refclock line (e.g. "mode N")
#     and $NTPSEC_REF_EXTRA (lines) to ntp.conf, when set.
# Facts (NTPsec 1.2.2) this relies on:
#   - "server" takes no port, and ntpd refuses any 127.x address but
#     127.0.0.1 as a source ("attempt to configure invalid address",
#     ISBADADR), so the chronyd it follows serves on 192.0.2.2 port 123.
#     ntpd must send from an address it listens on; for a destination on lo
#     the kernel picks the destination itself as source, and ntpd will not
#     fall back to a loopback interface (findclosestinterface excludes
#     them), so the local route of 192.0.2.2 gets "src 192.0.2.1" and ntpd
#     also listens on 192.0.2.1.  All of it is in the test's namespace, on lo.
#   - with "disable ntp" ntpd never sets LI 0 itself (local_clock() returns
#     early, clock_update() leaves sys_leap alone); orphan mode does.  So
#     ntpd starts with a silent GPS and no server answering, turns orphan
#     (LI 0, stratum 5), and only then do the GPS and the server start: it
#     keeps LI 0 and becomes stratum 1, refid GPS.
#   - "tos mindist 0.05": the GPS through a pty is a few ms late, the
#     server on loopback has a root distance of microseconds; with the
#     default 1 ms their intervals do not meet and both are falsetickers.
#   - kludge_day() rejects $GPGGA (no date in it) while ntpd's LI is 3: it
#     counts baddata then; with LI 0 $GPGGA is accepted (or filtered as the
#     same second as $GPRMC).
# Waits until ntpq says: stratum 1, LI 0, both associations reach 377 (at
# most ~40 s: the GPS is polled every 2 s).  Sets NTPSEC_REF_UP=192.0.2.2.
NTPSEC_REF_UP=192.0.2.2
NMEA_MODE_FILE=$T/nmea/mode

nmea_mode() { echo "$1" >"$NMEA_MODE_FILE"; }

start_ntpsec_refclock() {
	local name=ntpsec-ref dir=$T/ntpsec-ref start now
	require_isolated
	[ -x "$NTPD" ] || bail_out "NTPsec's ntpd ($NTPD) is missing (scripts/install-deps unpacks it)"
	_have_nosystime || bail_out "neither setpriv nor capsh is installed: ntpd must not run with CAP_SYS_TIME"
	udp_port_free "$NTPSEC_PORT" || bail_out "UDP port $NTPSEC_PORT is in use on loopback"
	ip -o addr show dev lo | grep -q ' 192\.0\.2\.1/' || bail_out "192.0.2.1 is not on lo"
	ip addr add "$NTPSEC_REF_UP/32" dev lo || bail_out "cannot add $NTPSEC_REF_UP to lo"
	ip route replace local "$NTPSEC_REF_UP" dev lo table local scope host src 192.0.2.1 ||
		bail_out "cannot set the source address of the local route to $NTPSEC_REF_UP"
	mkdir -p "$dir" "$T/nmea"
	nmea_mode silent
	_spawn nmea "$PYTHON" "$SYS_DIR/nmea_feeder.py" "$T/nmea/gps0" "$NMEA_MODE_FILE"
	for _ in $(seq 1 50); do [ -L "$T/nmea/gps0" ] && break; sleep 0.1; done
	[ -L "$T/nmea/gps0" ] || _daemon_failed nmea "no pty after 5 s"
	{
		echo "tos orphan 5 orphanwait 0"
		echo "tos mindist 0.05"
		echo "disable ntp"
		echo "disable kernel"
		echo "keys $KEYS/server-ntp.keys"
		echo "trustedkey 1 2 3"
		echo "controlkey 1"
		echo "interface ignore wildcard"
		echo "interface listen 127.0.0.1"
		echo "interface listen ::1"
		echo "interface listen 192.0.2.1"
		echo "driftfile $dir/drift"
		echo "statsdir $dir/"
		echo "restrict default limited kod"
		echo "restrict 127.0.0.1"
		echo "restrict ::1"
		echo "restrict $NTPSEC_REF_UP"
		echo "limit average 0.01 burst 20 kod 1000"
		echo "refclock nmea unit 0 path $T/nmea/gps0 minpoll 1 maxpoll 1${NTPSEC_REF_NMEA_OPTS:+ $NTPSEC_REF_NMEA_OPTS}"
		echo "server $NTPSEC_REF_UP iburst minpoll 0 maxpoll 0"
		[ -n "${NTPSEC_REF_EXTRA:-}" ] && printf '%s\n' "$NTPSEC_REF_EXTRA"
	} >"$dir/ntp.conf"
	_spawn "$name" _nosystime "$NTPD" -n -c "$dir/ntp.conf" -p "$dir/ntpd.pid" -l "$dir/ntpd.log"
	_wait_ready "$name" 127.0.0.1 "$NTPSEC_PORT" sync
	_assert_no_sys_time "$name"
	grep -Eq 'syntax error|invalid address|open\(.*\) failed' "$dir/ntpd.log" 2>/dev/null &&
		_daemon_failed "$name" "ntpd rejected part of its configuration"
	start_chronyd_server ntpsec-ref-up "$NTPSEC_REF_UP" 123 3
	nmea_mode good
	start=$(date +%s)
	while :; do
		kill -0 "$(_pid_of "$name")" 2>/dev/null || _daemon_failed "$name" "exited during start-up"
		oracle ntpq-peers 127.0.0.1 >"$dir/ready.json" 2>"$dir/ready.err"
		oracle ntpq-rv 127.0.0.1 0 leap,stratum,refid >"$dir/ready-sys.json" 2>>"$dir/ready.err"
		if [ "$(jf vars.stratum "$dir/ready-sys.json")/$(jf vars.leap "$dir/ready-sys.json")" = 1/0 ] &&
		   [ "$(jf 0.vars.reach "$dir/ready.json")/$(jf 1.vars.reach "$dir/ready.json")" = "0xff/0xff" ]; then
			break
		fi
		now=$(date +%s)
		[ $((now - start)) -gt 45 ] &&
			_daemon_failed "$name" "not stratum 1 with both sources reached within 45 s: $(cat "$dir/ready-sys.json" "$dir/ready.json" "$dir/ready.err" | tr '\n' ' ' | cut -c1-1500)"
		sleep 1
	done
	echo "# $name: stratum 1 (GPS), both sources reach 377 after $(( $(date +%s) - start )) s"
}

# ---- helpers for the status tests ------------------------------------------

# require_status: the binary must exist and know `status`.
require_status() {
	[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
	"$SUNDIAL" status --help >"$T/status-help" 2>&1 ||
		bail_out "'$SUNDIAL status --help' fails" "$(head -n 5 "$T/status-help")"
}

# jidx ARRAY KEY VALUE [FILE]: the index of the first element of the JSON
# array at path ARRAY whose KEY equals VALUE (compared as strings), or -1.
jidx() {
	"$PYTHON" - "$1" "$2" "$3" "${4:-$T/out}" <<'PYEOF'
import json, sys
path, key, want, f = sys.argv[1:5]
try:
    d = json.load(open(f))
    for k in path.split("."):
        d = d[int(k)] if isinstance(d, list) else d[k]
    for i, e in enumerate(d):
        v = e.get(key) if isinstance(e, dict) else None
        if v is not None and (str(v) == want or (isinstance(v, bool) and str(v).lower() == want)):
            print(i); sys.exit(0)
except Exception:
    pass
print(-1)
PYEOF
}

# jlen PATH [FILE]: the length of a JSON array or object (-1 if missing).
jlen() {
	"$PYTHON" - "$1" "${2:-$T/out}" <<'PYEOF'
import json, sys
try:
    d = json.load(open(sys.argv[2]))
    for k in sys.argv[1].split("."):
        if k:
            d = d[int(k)] if isinstance(d, list) else d[k]
    print(len(d))
except Exception:
    print(-1)
PYEOF
}

# num_between LO X HI NAME: LO <= X <= HI (for a value read between two
# readings of the oracle: before and after).
num_between() {
	if numcmp "$1" '<=' "$2" && numcmp "$2" '<=' "$3"; then ok "$4 ($1 <= $2 <= $3)"
	else not_ok "$4" "want: $1 <= $2 <= $3"; fi
}

# ms_to_s MS: milliseconds (as ntpd gives them) in seconds.
ms_to_s() { awk -v a="$1" 'BEGIN { if (a !~ /^[-+]?[0-9.eE+-]+$/) { print "x"; exit } printf "%.9f\n", a / 1000 }'; }

# near A B TOL: |A - B| <= TOL
near() { numcmp "$(absdiff "$1" "$2")" '<=' "$3"; }

# prom_check FILE LABEL: the Prometheus text exposition in FILE parses
# (oracle.py's parser) and passes promtool check metrics (which must be
# installed in CI: the prometheus package, scripts/install-deps).
prom_check() {
	local f=$1 l=$2
	oracle prom "$f" >"$f.json" 2>"$f.err"
	if [ "$(jf ok "$f.json")" = true ]; then ok "$l: --prom output parses as Prometheus text format"
	else not_ok "$l: --prom output parses as Prometheus text format" "$(jf errors "$f.json")" "$(head -c 600 "$f")"; fi
	if command -v promtool >/dev/null 2>&1; then
		if promtool check metrics <"$f" >"$f.promtool" 2>&1; then ok "$l: promtool check metrics accepts it"
		else not_ok "$l: promtool check metrics accepts it" "$(head -n 20 "$f.promtool")"; fi
	elif [ "${CI:-}" = true ]; then
		not_ok "$l: promtool check metrics accepts it" "promtool is not installed (scripts/install-deps installs prometheus)"
	else
		echo "# promtool is not installed; checked with oracle.py's parser only"
	fi
}

# prom_value FILE NAME [LABEL=VALUE...]: the value of the first sample NAME
# with those labels, or <missing>.
prom_value() { oracle prom-get "$@"; }

# ---- helpers for the traffic tests (traffic_chronyd.sh, traffic_golden.sh) --

TSHARK=${TSHARK:-tshark}
TCPDUMP=${TCPDUMP:-tcpdump}

# require_traffic: the binary must exist and know `traffic`; tshark is the
# oracle and must be installed.
require_traffic() {
	[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
	"$SUNDIAL" traffic --help >"$T/traffic-help" 2>&1 ||
		bail_out "'$SUNDIAL traffic --help' fails" "$(head -n 5 "$T/traffic-help")"
	command -v "$TSHARK" >/dev/null 2>&1 || bail_out "tshark ($TSHARK) is not installed (scripts/install-deps)"
}

# start_tcpdump NAME FILE FILTER: tcpdump on lo writing FILE (pcap with
# nanosecond time stamps, flushed after every packet); returns once it is
# listening.  Stop it with stop_daemon NAME (SIGTERM: it closes FILE).
start_tcpdump() {
	local name=$1 file=$2 filter=$3
	command -v "$TCPDUMP" >/dev/null 2>&1 || bail_out "tcpdump ($TCPDUMP) is not installed (scripts/install-deps)"
	# -Z root: as root tcpdump would otherwise write FILE as user tcpdump,
	# who cannot enter $T (0700).
	_spawn "$name" "$TCPDUMP" -i lo -n -U -Z root --time-stamp-precision nano -w "$file" "$filter"
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$T/$name/out" 2>/dev/null && return 0
		kill -0 "$(_pid_of "$name")" 2>/dev/null || _daemon_failed "$name" "exited during start-up"
		sleep 0.1
	done
	_daemon_failed "$name" "not listening after 10 s"
}

# start_silent NAME PORT ADDR...: UDP sockets on ADDR:PORT that read every
# request and never answer (no ICMP either), e.g. an NTP server that lost
# its replies.
start_silent() {
	local name=$1 port=$2
	shift 2
	_spawn "$name" "$PYTHON" -c '
import select, socket, sys
port, socks = int(sys.argv[1]), []
for a in sys.argv[2:]:
    s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a, port))
    socks.append(s)
print("ready", flush=True)
while True:
    for s in select.select(socks, [], [])[0]:
        s.recv(2048)
' "$port" "$@"
	for _ in $(seq 1 50); do
		grep -q ready "$T/$name/out" 2>/dev/null && return 0
		kill -0 "$(_pid_of "$name")" 2>/dev/null || _daemon_failed "$name" "did not start"
		sleep 0.1
	done
	_daemon_failed "$name" "not ready after 5 s"
}

# tshark_view FILE [TIMEOUT]: tshark's view of the NTP in a capture, as JSON
# on stdout.  Every number comes from `tshark -2` fields; the only logic
# here is counting and, for "pairs", matching each response (mode 4 or 2)
# to the request (mode 3 or 1) of the same flow whose transmit timestamp it
# echoes as origin, not older than TIMEOUT s (default 5): the pairing
# RFC 5905 allows, which tshark's own does not do (it pairs a response
# with the latest request of its UDP conversation, and mode 3/4 only).
#   packets, ntp_packets, first, last (ns), requests, responses, modes,
#   versions (of requests), control (mode 6/7), clients_v4/_v6 (distinct
#   request sources) and their lists, requests_per_client, kod (responses
#   with stratum 0), rate_kod (those with refid RATE), n_pairs,
#   unanswered, unmatched, duplicates, retransmits (a request's transmit
#   timestamp seen before in its flow), tshark_pairs (responses tshark
#   gives a ntp.delta_time), tshark_wrong_pairs (responses tshark pairs
#   with another request than the one they echo), flows,
#   alternating_flows, and pairs: per pair
#   req/resp frame numbers, t_request (ns), client, cport, server_addr,
#   sport, wire (ns), server (T3-T2 in ns from ntp.xmt - ntp.rec, null if
#   either is zero), tshark_req (ntp.request_in) and tshark_delta
#   (ntp.delta_time, ns), unambiguous (its request was the only one of
#   its flow waiting for an answer when the response came: there tshark's
#   pairing cannot be wrong).
tshark_view() {
	TSHARK=$TSHARK "$PYTHON" - "$@" <<'PYEOF'
import calendar, json, os, re, subprocess, sys

path = sys.argv[1]
timeout_ns = int(float(sys.argv[2]) * 1e9) if len(sys.argv) > 2 else 5 * 10**9
FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "udp.srcport", "udp.dstport", "ntp.flags.vn", "ntp.flags.mode", "ntp.stratum",
          "ntp.refid", "ntp.org", "ntp.rec", "ntp.xmt", "ntp.response_in", "ntp.request_in",
          "ntp.delta_time", "icmp.type", "icmpv6.type"]
cmd = [os.environ.get("TSHARK", "tshark"), "-2", "-n", "-r", path, "-T", "fields", "-E", "separator=\t",
       "-E", "occurrence=f"]
for f in FIELDS:
    cmd += ["-e", f]
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
MON = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                   "Sep", "Oct", "Nov", "Dec"], 1)}
TS = re.compile(r"^(\w{3})\s+(\d+), (\d+) (\d+):(\d+):(\d+)(?:\.(\d+))? UTC$")


def ns_abs(s):
    """An absolute time as tshark prints ntp.org/rec/xmt, in ns since 1970
    (0 for NULL, None if tshark printed something else)."""
    if s == "NULL":
        return 0
    m = TS.match(s)
    if not m:
        return None
    mo, d, y, hh, mm, ss, frac = m.groups()
    sec = calendar.timegm((int(y), MON[mo], int(d), int(hh), int(mm), int(ss)))
    return sec * 10**9 + int((frac or "0")[:9].ljust(9, "0"))


def ns_rel(s):
    """'1503494516.928851000' or '0.000301000' in ns (exact: no floats)."""
    if s == "":
        return None
    neg = s.startswith("-")
    a, _, b = s.lstrip("-").partition(".")
    v = int(a) * 10**9 + int((b or "0")[:9].ljust(9, "0"))
    return -v if neg else v


frames, all_times = [], []
for line in p.stdout.splitlines():
    v = line.split("\t")
    v += [""] * (len(FIELDS) - len(v))
    r = dict(zip(FIELDS, v))
    t = ns_rel(r["frame.time_epoch"])
    all_times.append(t)
    # NTP quoted inside an ICMP error is not a packet of its own.
    if r["ntp.flags.mode"] == "" or r["icmp.type"] or r["icmpv6.type"]:
        continue
    v6 = r["ipv6.src"] != ""
    frames.append(dict(
        num=int(r["frame.number"]), t=t, ipv=6 if v6 else 4,
        src=r["ipv6.src"] if v6 else r["ip.src"], dst=r["ipv6.dst"] if v6 else r["ip.dst"],
        sport=int(r["udp.srcport"] or 0), dport=int(r["udp.dstport"] or 0),
        vn=int(r["ntp.flags.vn"] or 0), mode=int(r["ntp.flags.mode"]),
        stratum=int(r["ntp.stratum"]) if r["ntp.stratum"] else None, refid=r["ntp.refid"],
        org=r["ntp.org"], rec=r["ntp.rec"], xmt=r["ntp.xmt"],
        request_in=int(r["ntp.request_in"]) if r["ntp.request_in"] else None,
        delta=ns_rel(r["ntp.delta_time"])))

REQ, RESP = (1, 3), (2, 4)


def flow(f):
    """client, client port, server, server port"""
    if f["mode"] in REQ:
        return (f["src"], f["sport"], f["dst"], f["dport"])
    return (f["dst"], f["dport"], f["src"], f["sport"])


seq = {}
for f in frames:
    if f["mode"] in REQ + RESP:
        seq.setdefault(flow(f), []).append("q" if f["mode"] in REQ else "r")
alternating = set()
for k, s in seq.items():
    s = "".join(s)
    # q r q r ... (a last request may stay unanswered)
    if not s.startswith("r") and "rr" not in s and "qq" not in s:
        alternating.add(k)

pending, seen_xmt, answered = {}, set(), set()
outstanding = {}  # flow -> request frame numbers not answered yet
pairs, unmatched, duplicates, retransmits = [], 0, 0, 0
for f in frames:
    if f["mode"] in REQ:
        k = (flow(f), f["xmt"])
        if k in seen_xmt:
            retransmits += 1
        seen_xmt.add(k)
        pending[k] = f
        outstanding.setdefault(flow(f), set()).add(f["num"])
    elif f["mode"] in RESP:
        q = pending.get((flow(f), f["org"]))
        if q is None or f["t"] - q["t"] > timeout_ns:
            unmatched += 1
            continue
        if q["num"] in answered:
            duplicates += 1
            continue
        answered.add(q["num"])
        out = outstanding[flow(f)]
        # the only request of its flow waiting: tshark's pairing (the
        # latest request of the conversation) cannot be wrong here
        alone = out == {q["num"]}
        out.discard(q["num"])
        rec, xmt = ns_abs(f["rec"]), ns_abs(f["xmt"])
        pairs.append(dict(
            req=q["num"], resp=f["num"], t_request=q["t"], client=q["src"], cport=q["sport"],
            server_addr=q["dst"], sport=q["dport"], wire=f["t"] - q["t"],
            server=(xmt - rec) if rec and xmt else None,
            tshark_req=f["request_in"], tshark_delta=f["delta"],
            unambiguous=alone, ipv=q["ipv"]))

reqs = [f for f in frames if f["mode"] in REQ]
resps = [f for f in frames if f["mode"] in RESP]
per_client, versions, modes = {}, {}, {}
for f in reqs:
    per_client[f["src"]] = per_client.get(f["src"], 0) + 1
    versions[str(f["vn"])] = versions.get(str(f["vn"]), 0) + 1
for f in frames:
    modes[str(f["mode"])] = modes.get(str(f["mode"]), 0) + 1
c4 = sorted({f["src"] for f in reqs if f["ipv"] == 4})
c6 = sorted({f["src"] for f in reqs if f["ipv"] == 6})
kod = [f for f in resps if f["stratum"] == 0]
json.dump(dict(
    file=path, tshark_rc=p.returncode, tshark_stderr=p.stderr.strip()[-300:],
    packets=len(all_times), ntp_packets=len(frames),
    first=min(all_times) if all_times else None, last=max(all_times) if all_times else None,
    requests=len(reqs), responses=len(resps), modes=modes, versions=versions,
    control=sum(1 for f in frames if f["mode"] in (6, 7)),
    clients_v4=len(c4), clients_v6=len(c6), client_list_v4=c4, client_list_v6=c6,
    requests_per_client=per_client,
    kod=len(kod), rate_kod=sum(1 for f in kod if f["refid"] == "52415445"),
    request_times=[[f["t"], f["ipv"], f["src"]] for f in reqs], response_times=[f["t"] for f in resps],
    pairs=pairs, n_pairs=len(pairs), unanswered=len(reqs) - len(pairs), unmatched=unmatched,
    duplicates=duplicates, retransmits=retransmits,
    tshark_pairs=sum(1 for f in resps if f["delta"] is not None),
    tshark_wrong_pairs=sum(1 for p in pairs if p["tshark_req"] not in (None, p["req"])),
    flows=len(seq), alternating_flows=len(alternating)), sys.stdout, indent=1)
print()
PYEOF
}

# pairs_check VIEW PAIRS: the PAIR lines of `sundial traffic --pairs`
# (file PAIRS) against tshark_view's JSON (file VIEW); prints JSON: lines,
# n_bad_lines (not of the documented form), n_unknown (no such request and
# response in tshark's view: client, server, exact request time), missing
# (pairs tshark's view has and sundial not), n_wire_bad (wire delta not the
# exact difference of the capture times), tshark_compared / n_tshark_bad (pairs whose request was the
# only one waiting, against ntp.delta_time and ntp.request_in),
# n_missing_tshark, repeated (PAIR lines for a pair already printed),
# max_t_diff_ns (request time vs the capture's: must be 0), server_compared /
# n_server_bad (T3 - T2 against ntp.xmt - ntp.rec, within 2 ns: both are
# rounded to the ns), max_*_diff_ns, ambiguous; the first few of
# each kind of failure in bad_lines, unknown, wire_bad, tshark_bad,
# server_bad, missing_tshark.
pairs_check() {
	"$PYTHON" - "$1" "$2" <<'PYEOF'
import ipaddress, json, re, sys
v = json.load(open(sys.argv[1]))
NUM = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
LINE = re.compile(r"^PAIR (\d+\.\d{9}) (\S+) (\S+) (" + NUM + r") (" + NUM + r"|-)$")


def ep(s):
    """client:port, [v6]:port or v6:port -> (address, port)"""
    if s.startswith("["):
        a, _, p = s[1:].partition("]:")
    else:
        a, _, p = s.rpartition(":")
    return str(ipaddress.ip_address(a)), int(p)


def ns(s):
    """'1767225600.000000001' or '-0.000001000' in ns, exactly."""
    neg = s.startswith("-")
    a, _, b = s.lstrip("-").partition(".")
    v = int(a) * 10**9 + int(b[:9].ljust(9, "0"))
    return -v if neg else v


# Pairs by flow.  PAIR lines carry exact nanoseconds: request times and wire
# deltas must equal the capture's and tshark's to the nanosecond.
want, by_flow = {}, {}
for p in v["pairs"]:
    f = (str(ipaddress.ip_address(p["client"])), p["cport"], str(ipaddress.ip_address(p["server_addr"])), p["sport"])
    want[f + (p["t_request"],)] = p
    by_flow.setdefault(f, []).append(p)
res = dict(lines=0, bad_lines=[], unknown=[], matched=0, wire_bad=[], server_bad=[],
           tshark_compared=0, tshark_bad=[], max_tshark_diff_ns=0, max_wire_diff_ns=0,
           max_server_diff_ns=0, server_compared=0, missing_tshark=[], max_t_diff_ns=0,
           repeated=0)
got = set()
for line in open(sys.argv[2]):
    line = line.rstrip("\n")
    if not line.startswith("PAIR"):
        continue
    res["lines"] += 1
    m = LINE.match(line)
    if not m:
        res["bad_lines"].append(line)
        continue
    t, c, s, wire, server = m.groups()
    try:
        (ca, cp), (sa, sp) = ep(c), ep(s)
    except ValueError:
        res["bad_lines"].append(line)
        continue
    t = ns(t)
    near = [p for p in by_flow.get((ca, cp, sa, sp), []) if p["t_request"] == t]
    if not near:
        res["unknown"].append(line)
        continue
    p = min(near, key=lambda p: abs(p["t_request"] - t))
    res["max_t_diff_ns"] = max(res["max_t_diff_ns"], abs(p["t_request"] - t))
    k = (ca, cp, sa, sp, p["t_request"])
    if k in got:
        res["repeated"] += 1
    got.add(k)
    res["matched"] += 1
    wire_ns = ns(wire)
    d = abs(wire_ns - p["wire"])
    res["max_wire_diff_ns"] = max(res["max_wire_diff_ns"], d)
    if d != 0:
        res["wire_bad"].append([line, p["wire"]])
    if p["unambiguous"] and p["tshark_delta"] is not None:
        res["tshark_compared"] += 1
        d = abs(wire_ns - p["tshark_delta"])
        res["max_tshark_diff_ns"] = max(res["max_tshark_diff_ns"], d)
        if d != 0 or p["tshark_req"] != p["req"]:
            res["tshark_bad"].append([line, p["tshark_delta"], p["tshark_req"], p["req"]])
    if p["server"] is None:
        if server != "-":
            res["server_bad"].append([line, None])
    else:
        res["server_compared"] += 1
        d = abs(round(float(server) * 1e9) - p["server"]) if server != "-" else 10**18
        res["max_server_diff_ns"] = max(res["max_server_diff_ns"], d)
        if d > 2:  # both sides rounded to the ns
            res["server_bad"].append([line, p["server"]])
# Every pair tshark makes with one request waiting must be among sundial's.
for k, p in want.items():
    if p["unambiguous"] and p["tshark_delta"] is not None and k not in got:
        res["missing_tshark"].append(k)
res["missing"] = len(want) - len(got)
res["unambiguous_with_delta"] = sum(1 for p in want.values() if p["unambiguous"] and p["tshark_delta"] is not None)
res["ambiguous"] = sum(1 for p in want.values() if not p["unambiguous"])
for key in ("bad_lines", "unknown", "wire_bad", "tshark_bad", "server_bad", "missing_tshark"):
    res["n_" + key] = len(res[key])
    res[key] = res[key][:5]
json.dump(res, sys.stdout)
PYEOF
}

# ---------------------------------------------------------------------------
# NTS (RFC 8915): certificates, NTS servers, and TCP listeners that are not
# NTS-KE servers (nts_chronyd.sh, nts_ntpsec.sh).

# free_tcp_port: a TCP port free on both 127.0.0.1 and ::1.
free_tcp_port() { _free_port tcp; }

# _wait_tcp NAME HOST PORT: waits until HOST:PORT accepts TCP connections
# (at most READY_TIMEOUT s); fails the test if the daemon NAME dies first.
_wait_tcp() {
	local name=$1 host=$2 port=$3 pid start now
	pid=$(_pid_of "$name")
	start=$(date +%s)
	until "$PYTHON" -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.5).close()' "$host" "$port" 2>/dev/null; do
		kill -0 "$pid" 2>/dev/null || _daemon_failed "$name" "exited during start-up"
		now=$(date +%s)
		[ $((now - start)) -gt "$READY_TIMEOUT" ] &&
			_daemon_failed "$name" "nothing accepts TCP connections on $host port $port within $READY_TIMEOUT s"
		sleep 0.2
	done
}

# make_nts_certs: certificates for NTS-KE servers in $T/nts, made with
# openssl (EC P-256 keys, one key for every server certificate):
#   NTS_CA              the test CA ("CN=sundial test CA"), the one --ca trusts
#   NTS_KEY             the servers' private key
#   NTS_CERT            CN=localhost, DNS:localhost, IP:127.0.0.1, IP:::1,
#                       valid from an hour ago for NTS_CERT_DAYS (90) days,
#                       until NTS_CERT_NOT_AFTER (Unix time)
#   NTS_CERT_EXPIRED    the same names, valid 2020-01-01 to 2020-04-01
#                       (`openssl ca -startdate/-enddate`)
#   NTS_CERT_WRONGNAME  CN=wrong.example, DNS:wrong.example only
#   NTS_CERT_UNTRUSTED  the names of NTS_CERT, signed by a second CA
#   NTS_OTHER_CA        that second CA ("CN=sundial other CA"), trusted by nobody
# Each certificate file holds the server certificate alone (no chain).
# shellcheck disable=SC2034 # for the tests
make_nts_certs() {
	local d=$T/nts ca
	command -v openssl >/dev/null 2>&1 || bail_out "openssl is not installed"
	mkdir -p "$d"
	NTS_CERT_DAYS=90
	# A minimal `openssl ca` configuration: the CA's folder comes from
	# CADIR, the names of each certificate from SAN.
	cat >"$d/ca.cnf" <<'EOF'
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $ENV::CADIR
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = $ENV::SAN
EOF
	for ca in ca other-ca; do
		mkdir -p "$d/$ca/newcerts"
		: >"$d/$ca/index.txt"
		echo 1000 >"$d/$ca/serial"
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$ca/ca.key" 2>"$d/openssl.err" &&
		openssl req -x509 -new -key "$d/$ca/ca.key" -sha256 -days 3650 \
			-subj "/CN=sundial $([ "$ca" = ca ] && echo test || echo other) CA" \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign" \
			-out "$d/$ca/ca.pem" 2>>"$d/openssl.err" ||
			bail_out "openssl could not make the $ca certificate" "$(cat "$d/openssl.err")"
	done
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/server.key" 2>>"$d/openssl.err" &&
	openssl req -new -key "$d/server.key" -subj "/CN=localhost" -out "$d/server.csr" 2>>"$d/openssl.err" &&
	openssl req -new -key "$d/server.key" -subj "/CN=wrong.example" -out "$d/wrong.csr" 2>>"$d/openssl.err" ||
		bail_out "openssl could not make the server key" "$(cat "$d/openssl.err")"
	# _nts_sign CA OUT SAN ARGS...: the server key's request ($csr)
	# signed by CA.
	local csr=server.csr
	_nts_sign() {
		local ca=$1 out=$2 san=$3
		shift 3
		CADIR=$d/$ca SAN=$san openssl ca -batch -notext -config "$d/ca.cnf" \
			-extensions server_ext -in "$d/$csr" -out "$d/$out" "$@" \
			>>"$d/openssl.err" 2>&1 ||
			bail_out "openssl ca could not make $out" "$(tail -n 20 "$d/openssl.err")"
	}
	local names="DNS:localhost,IP:127.0.0.1,IP:::1" t0
	# Valid from an hour ago (a clock a little behind does not matter) for
	# NTS_CERT_DAYS days from then: NTS_CERT_NOT_AFTER (Unix time).
	t0=$(($(date +%s) - 3600))
	NTS_CERT_NOT_AFTER=$((t0 + NTS_CERT_DAYS * 86400))
	_nts_sign ca server.pem "$names" -startdate "$(date -u -d "@$t0" +%Y%m%d%H%M%SZ)" \
		-enddate "$(date -u -d "@$NTS_CERT_NOT_AFTER" +%Y%m%d%H%M%SZ)"
	_nts_sign ca expired.pem "$names" -startdate 20200101000000Z -enddate 20200401000000Z
	csr=wrong.csr _nts_sign ca wrongname.pem "DNS:wrong.example" -days "$NTS_CERT_DAYS"
	_nts_sign other-ca untrusted.pem "$names" -days "$NTS_CERT_DAYS"
	NTS_CA=$d/ca/ca.pem
	NTS_OTHER_CA=$d/other-ca/ca.pem
	NTS_KEY=$d/server.key
	NTS_CERT=$d/server.pem
	NTS_CERT_EXPIRED=$d/expired.pem
	NTS_CERT_WRONGNAME=$d/wrongname.pem
	NTS_CERT_UNTRUSTED=$d/untrusted.pem
	echo "# NTS certificates in $d: CA $(openssl x509 -in "$NTS_CA" -noout -subject), server $(openssl x509 -in "$NTS_CERT" -noout -enddate)"
}

# start_chronyd_nts NAME CERT KEY: chronyd -x as an NTS server ("local
# stratum 3") with certificate CERT and key KEY: NTP on a free UDP port of
# 127.0.0.1 and ::1 (chrony's `port`), NTS-KE on a free TCP port of both
# (`ntsport`), the server keys in $T/NAME (`ntsdumpdir`), and a command
# socket $T/NAME/chronyd.sock for chronyc.  chronyd 4.3 tells NTS clients
# the NTP port in an NTPv4 Port Negotiation record whenever `port` is not
# 123 (nts_ke_server.c), so clients need nothing else to find it.  Sets
# CHRONYD_NTS_PORT (NTP), CHRONYD_NTS_KEPORT and CHRONYD_NTS_SOCK.
# shellcheck disable=SC2034 # for the tests
start_chronyd_nts() {
	local name=$1 cert=$2 key=$3 dir=$T/$1
	mkdir -p "$dir"
	chmod 700 "$dir" # chronyd wants its socket's folder private
	CHRONYD_NTS_PORT=$(free_udp_port)
	CHRONYD_NTS_KEPORT=$(free_tcp_port)
	CHRONYD_NTS_SOCK=$dir/chronyd.sock
	{
		echo "port $CHRONYD_NTS_PORT"
		echo "bindaddress 127.0.0.1"
		echo "bindaddress ::1"
		echo "local stratum 3"
		echo "allow"
		echo "ntsserverkey $key"
		echo "ntsservercert $cert"
		echo "ntsport $CHRONYD_NTS_KEPORT"
		echo "ntsdumpdir $dir"
		echo "cmdport 0"
		echo "bindcmdaddress $CHRONYD_NTS_SOCK"
		echo "pidfile $dir/chronyd.pid"
		echo "driftfile $dir/drift"
	} >"$dir/chrony.conf"
	_chronyd_spawn "$name"
	_wait_ready "$name" 127.0.0.1 "$CHRONYD_NTS_PORT" sync
	_wait_ready "$name" ::1 "$CHRONYD_NTS_PORT" sync
	_wait_tcp "$name" 127.0.0.1 "$CHRONYD_NTS_KEPORT"
	_wait_tcp "$name" ::1 "$CHRONYD_NTS_KEPORT"
	_assert_no_sys_time "$name"
}

# NTPsec 1.2.2 serves NTS-KE on TCP port 4460 of every address, always (no
# `nts port` yet), and NTP on 123: one NTPsec NTS server at a time.
NTPSEC_NTS_KEPORT=4460

# start_ntpsec_nts NAME CERT KEY: NTPsec's ntpd as an NTS server (orphan
# mode, stratum 5, like start_ntpsec) with `nts enable`, `nts cert CERT`,
# `nts key KEY`, TLS 1.3 only (`nts mintls TLS1.3`) and its cookie keys in
# $T/NAME/nts-keys (`nts cookie`); NTP on 127.0.0.1:123 and [::1]:123
# (NTPsec sends no Port Negotiation: clients use 123), NTS-KE on 4460.
# Without CAP_SYS_TIME, "disable ntp", "disable kernel".  Each NTS-KE
# connection is logged in $T/NAME/ntpd.log ("NTSs: NTS-KE from ...").
start_ntpsec_nts() {
	local name=$1 cert=$2 key=$3 dir=$T/$1
	[ -x "$NTPD" ] || bail_out "NTPsec's ntpd ($NTPD) is missing (scripts/install-deps unpacks it)"
	_have_nosystime || bail_out "neither setpriv nor capsh is installed: ntpd must not run with CAP_SYS_TIME"
	udp_port_free "$NTPSEC_PORT" || bail_out "UDP port $NTPSEC_PORT is in use on loopback (run the test as root, in its own network namespace)"
	mkdir -p "$dir"
	{
		echo "tos orphan 5 orphanwait 0"
		echo "disable ntp"
		echo "disable kernel"
		echo "interface ignore wildcard"
		echo "interface listen 127.0.0.1"
		echo "interface listen ::1"
		echo "driftfile $dir/drift"
		echo "statsdir $dir/"
		# Without a restrict line ntpd 1.2.2 answers no mode 6 query
		# (ntpq -c ntsinfo times out); these allow everything.
		echo "restrict default"
		echo "restrict 127.0.0.1"
		echo "restrict ::1"
		echo "nts enable"
		echo "nts cert $cert"
		echo "nts key $key"
		echo "nts cookie $dir/nts-keys"
		echo "nts mintls TLS1.3"
	} >"$dir/ntp.conf"
	_spawn "$name" _nosystime "$NTPD" -n -c "$dir/ntp.conf" -p "$dir/ntpd.pid" -l "$dir/ntpd.log"
	_wait_ready "$name" 127.0.0.1 "$NTPSEC_PORT" sync
	_wait_ready "$name" ::1 "$NTPSEC_PORT" sync
	_wait_tcp "$name" 127.0.0.1 "$NTPSEC_NTS_KEPORT"
	_wait_tcp "$name" ::1 "$NTPSEC_NTS_KEPORT"
	_assert_no_sys_time "$name"
	if grep -q 'syntax error' "$dir/ntpd.log" 2>/dev/null; then
		_daemon_failed "$name" "ntpd rejected its configuration"
	fi
}

# start_tcp_fake NAME MODE: a TCP listener on a free port of 127.0.0.1 and
# ::1 that is not an NTS-KE server; sets FAKE_TCP_PORT.  MODE:
#   close    accepts and closes at once
#   garbage  accepts, sends an HTTP error (not TLS) and closes
#   silent   accepts, reads and never answers
start_tcp_fake() {
	local name=$1 mode=$2
	FAKE_TCP_PORT=$(free_tcp_port)
	_spawn "$name" "$PYTHON" -c '
import select, socket, sys
port, mode = int(sys.argv[1]), sys.argv[2]
ls = []
for fam, a in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, port)); s.listen(16); ls.append(s)
print("ready", flush=True)
keep = []
while True:
    r = select.select(ls + keep, [], [])[0]
    for s in r:
        if s in ls:
            c, _ = s.accept()
            if mode == "close":
                c.close()
            elif mode == "garbage":
                c.sendall(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                c.close()
            else:
                keep.append(c)
        else:
            try:
                d = s.recv(4096)
            except OSError:
                d = b""
            if not d:
                keep.remove(s); s.close()
' "$FAKE_TCP_PORT" "$mode"
	for _ in $(seq 1 50); do
		grep -q ready "$T/$name/out" 2>/dev/null && return 0
		kill -0 "$(_pid_of "$name")" 2>/dev/null || _daemon_failed "$name" "did not start"
		sleep 0.1
	done
	_daemon_failed "$name" "not ready after 5 s"
}

# start_fake_ntske NAME MODE: fake_ntske.py, an NTS-KE server on a free TCP
# port of 127.0.0.1 and ::1 with NTS_CERT, answering as MODE says (error,
# warning, nocookies, badaead, notntp, truncated, garbage, noalpn, tls12,
# plain:PORT); sets FAKE_NTSKE_PORT.  Needs make_nts_certs first.
start_fake_ntske() {
	local name=$1 mode=$2
	FAKE_NTSKE_PORT=$(free_tcp_port)
	_spawn "$name" "$PYTHON" "$SYS_DIR/fake_ntske.py" "$FAKE_NTSKE_PORT" "$mode" "$NTS_CERT" "$NTS_KEY"
	for _ in $(seq 1 50); do
		grep -q ready "$T/$name/out" 2>/dev/null && return 0
		kill -0 "$(_pid_of "$name")" 2>/dev/null || _daemon_failed "$name" "did not start"
		sleep 0.1
	done
	_daemon_failed "$name" "not ready after 5 s"
}

# ---- helpers for the SNMP tests (collect_snmp.sh, snmp_cli.sh) ----

SNMPD=${SNMPD:-/usr/sbin/snmpd}
SNMPGET=${SNMPGET:-snmpget}
SNMP_V3_USER=sundialv3
SNMP_V3_AUTH="auth pass phrase 256"
SNMP_V3_PRIV="priv pass phrase aes"

# require_snmp: snmpd and snmpget must be there.
require_snmp() {
	[ -x "$SNMPD" ] || bail_out "net-snmp's snmpd ($SNMPD) is not installed (scripts/install-deps)"
	command -v "$SNMPGET" >/dev/null 2>&1 || bail_out "$SNMPGET is not installed (scripts/install-deps: snmp)"
	# numeric OIDs only, and no configuration of the user running the test
	export MIBS="" MIBDIRS="" SNMPCONFPATH="$T/snmp-client-conf" HOME="$T"
	mkdir -p "$SNMPCONFPATH"
}

# start_snmpd NAME PORT ADDR...: net-snmp's snmpd listening on UDP PORT of
# each loopback ADDR, serving the host MIBs to community public and to the
# SNMPv3 user $SNMP_V3_USER (SHA-256, AES-128), and Meinberg's LTNG subtree
# from $T/NAME/meinberg.rec (a copy of tests/data/meinberg-ltng.rec the test
# may rewrite) through pass_persist and tests/system/mbg_agent.py, and the
# legacy subtree (enterprises.5597.3) from $T/NAME/legacy.rec (empty until a
# test writes "OID TYPE VALUE" lines there).  Waits
# until the first ADDR answers snmpget.
start_snmpd() {
	local name=$1 port=$2 a addrs=""
	shift 2
	for a in "$@"; do addrs="${addrs:+$addrs,}udp:$a:$port"; done
	mkdir -p "$T/$name/persist"
	chmod 700 "$T/$name"
	cp "$TESTS_DIR/data/meinberg-ltng.rec" "$T/$name/meinberg.rec"
	echo "# the legacy MBG-SNMP-LT-MIB: nothing until a test writes it" >"$T/$name/legacy.rec"
	cat >"$T/$name/snmpd.conf" <<EOC
agentaddress $addrs
engineID sundial-$name
rocommunity public 127.0.0.0/8
createUser $SNMP_V3_USER SHA-256 "$SNMP_V3_AUTH" AES "$SNMP_V3_PRIV"
rouser $SNMP_V3_USER priv
sysLocation sundial test lab
sysContact test@sundial.invalid
pass_persist .1.3.6.1.4.1.5597.30 $(command -v "$PYTHON") $SYS_DIR/mbg_agent.py $T/$name/meinberg.rec
pass_persist .1.3.6.1.4.1.5597.3 $(command -v "$PYTHON") $SYS_DIR/mbg_agent.py $T/$name/legacy.rec
[snmp] persistentDir $T/$name/persist
EOC
	_spawn "$name" env SNMP_PERSISTENT_DIR="$T/$name/persist" "$SNMPD" -f -C -c "$T/$name/snmpd.conf" \
		-Lf "$T/$name/snmpd.log" -p "$T/$name/snmpd.pid" -M /nonexistent -m ""
	for _ in $(seq 1 100); do
		"$SNMPGET" -v2c -c public -t 0.2 -r 0 -On -Oq "$1:$port" 1.3.6.1.2.1.1.1.0 >/dev/null 2>&1 && break
		kill -0 "$(_pid_of "$name")" 2>/dev/null || _daemon_failed "$name" "exited during start-up"
		sleep 0.1
	done
	"$SNMPGET" -v2c -c public -t 0.5 -r 0 -On -Oq "$1:$port" 1.3.6.1.4.1.5597.30.0.0.2.0 >"$T/$name/ready" 2>&1 ||
		_daemon_failed "$name" "does not answer snmpget on $1 port $port"
	grep -q 7.08 "$T/$name/ready" || _daemon_failed "$name" "its Meinberg subtree does not answer: $(cat "$T/$name/ready")"
	echo "# $name ready on $* port $port"
}

# snmp_creds NAME LINE...: a credentials file $T/NAME.creds, mode 600; its path.
snmp_creds() {
	local f=$T/$1.creds
	shift
	(umask 077 && printf '%s\n' "$@" >"$f")
	echo "$f"
}

# snmp_value OID [ADDR:PORT]: what snmpget says (the value only).
snmp_value() {
	"$SNMPGET" -v2c -c public -t 1 -r 1 -On -Oqv -Oe -Oa -Ot "${2:-127.0.0.1:$SNMP_PORT}" "$1" 2>&1 | tr -d '"'
}
