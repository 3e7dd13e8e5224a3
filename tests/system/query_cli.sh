#!/bin/bash
# query_cli.sh - `sundial query`'s command line: usage errors (exit 64),
# names that do not resolve (exit 4), key-file problems (exit 78), --help.
#
# No NTP peer is needed.  Where a command would send a request it goes to a
# closed port on 127.0.0.1.  The name test needs a resolver that says
# NXDOMAIN without asking anyone outside: inside the test's network namespace
# a DNS stub on 127.0.0.1 does that; without a namespace the test falls back
# to the host's resolver (the name is under .invalid, RFC 6761).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=query_common.sh
. "$SYS_DIR/query_common.sh"

require_sundial
CLOSED=127.0.0.1:$(free_udp_port)

# usage_error NAME WANT_IN_MESSAGE ARGS...: exit 64 and a message on stderr
# that names the problem, nothing on stdout.
usage_error() {
	local name=$1 want=$2
	shift 2
	run_sundial query "$@"
	is "$RC" 64 "usage: $name: exit 64"
	like "$ERR" "$want" "usage: $name: stderr says what is wrong ($want)"
	is "$OUT" "" "usage: $name: nothing on stdout"
}

usage_error "no SERVER" "SERVER" 
usage_error "unknown option" "--bogus" --bogus "$CLOSED"
usage_error "-n abc" "'abc'" -n abc "$CLOSED"
usage_error "-n 0" "-n .*'0'" -n 0 "$CLOSED"
usage_error "-n -1" "-n" -n -1 "$CLOSED"
usage_error "-t -1" "-t .*'-1'" -t -1 "$CLOSED"
usage_error "-t 0" "-t .*'0'" -t 0 "$CLOSED"
usage_error "-i abc" "-i .*'abc'" -i abc "$CLOSED"
usage_error "-i -1" "-i .*'-1'" -i -1 "$CLOSED"
usage_error "-p 70000" "70000" -p 70000 "$CLOSED"
usage_error "-p 0" "-p .*'0'" -p 0 "$CLOSED"
usage_error "--key-format pem" "pem" --key-format pem -k /dev/null -a 1 "$CLOSED"
usage_error "-a without -k" "-k" -a 1 "$CLOSED"
usage_error "-k without -a" "-a" -k /dev/null "$CLOSED"
usage_error "-a x" "'x'" -a x -k /dev/null "$CLOSED"
usage_error "-a 0" "-a" -a 0 -k /dev/null "$CLOSED"
usage_error "-b not-an-address" "not-an-address" -b not-an-address "$CLOSED"
# A SERVER that does not follow the grammar (host:port, [v6]:port) is a
# mistake on the command line, not a name that fails to resolve.
usage_error "port 99999 in SERVER" "99999" "127.0.0.1:99999"
usage_error "unclosed [ in SERVER" "]" "[::1"

# Names that do not resolve.
if [ -n "${SUNDIAL_IN_NETNS:-}" ]; then
	start_nxdomain_dns
	echo "# resolver: NXDOMAIN stub on 127.0.0.1:53"
else
	echo "# resolver: the host's (no network namespace)"
fi
run_sundial query -n 1 -t 1 --json no-such-host.invalid
is "$RC" 4 "unresolvable name: exit 4"
jis servers.0.status unresolved "unresolvable name: status unresolved"
like "$(jf servers.0.message)" "does not resolve" "unresolvable name: message 'does not resolve'"
run_sundial query -n 1 -t 1 no-such-host.invalid
is "$RC" 4 "unresolvable name: exit 4 without --json"
like "$OUT$ERR" "no-such-host.invalid does not resolve" "unresolvable name: text names it and says 'does not resolve'"
run_sundial query -n 1 -t 1 --nagios no-such-host.invalid
is "$RC" 3 "unresolvable name: --nagios exit 3 (UNKNOWN)"
like "$OUT" "^NTP UNKNOWN" "unresolvable name: --nagios 'NTP UNKNOWN'"
if [ -x "$CHECK_NTP_TIME" ]; then
	"$CHECK_NTP_TIME" -H no-such-host.invalid -t 5 >"$T/cnt.out" 2>&1
	cnt_rc=$?
	echo "# check_ntp_time: $(tr '\n' ' ' <"$T/cnt.out") (exit $cnt_rc)"
	is "$cnt_rc" 3 "unresolvable name: check_ntp_time (oracle) exits 3 too"
else
	not_ok "check_ntp_time ($CHECK_NTP_TIME) is missing (monitoring-plugins-basic)"
fi
# The first failing server decides: a name that does not resolve, then a
# closed port.
run_sundial query -n 1 -t 1 no-such-host.invalid "$CLOSED"
is "$RC" 4 "unresolvable name before a closed port: exit 4"
run_sundial query -n 1 -t 1 "$CLOSED" no-such-host.invalid
is "$RC" 5 "closed port before an unresolvable name: exit 5"

# A host whose only addresses are 127.0.0.1 and ::1 (a container, a laptop
# offline): -4, -6 and -b must still reach loopback servers.  AI_ADDRCONFIG
# alone would say such a host has no IPv4 or IPv6 at all.  Needs a nested
# network namespace; the commands go to a closed port, so the right answer
# is "unreachable" (exit 5), not "has no IPv4 address" (exit 4).
if [ -n "${SUNDIAL_IN_NETNS:-}" ]; then
	for args in "-4 127.0.0.1:9" "-6 [::1]:9" "-b 127.0.0.1 127.0.0.1:9" "-b ::1 [::1]:9" "-4 localhost:9"; do
		# shellcheck disable=SC2086 # args are words
		unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh \
			timeout 30 "$SUNDIAL" query -n 1 -t 1 $args >"$T/out" 2>"$T/err"
		rc=$?
		is "$rc" 5 "loopback-only host: 'query $args' reaches loopback (exit 5 unreachable for a closed port)"
		[ "$rc" = 5 ] || diag "$(cat "$T/out" "$T/err")"
	done
else
	echo "# loopback-only host: not checked (needs a network namespace)"
fi

# Key files: missing, unreadable, malformed, key id not in it.
KF=$KEYS/client-ntp.keys
key_error() {
	local name=$1 want=$2
	shift 2
	run_sundial query -n 1 -t 1 "$@" "$CLOSED"
	is "$RC" 78 "key file: $name: exit 78"
	like "$ERR" "$want" "key file: $name: stderr says so ($want)"
}
key_error "missing file" "$T/nonexistent.keys.*(No such file|not found|does not exist)" \
	-k "$T/nonexistent.keys" -a 1
key_error "a directory" "$T" -k "$T" -a 1
key_error "key id not in the file" "42|7" -k "$KEYS/server-ntp.keys" -a 42
key_error "key id not in the file (chrony.keys)" "7" -k "$KEYS/client-chrony.keys" -a 7
printf '1 FOO 00112233445566778899aabbccddeeff\n' >"$T/badtype.keys"
chmod 600 "$T/badtype.keys"
key_error "unknown key type" "badtype.keys:1" -k "$T/badtype.keys" -a 1
printf '1 MD5\n' >"$T/nokey.keys"
chmod 600 "$T/nokey.keys"
key_error "line without a key" "nokey.keys:1" -k "$T/nokey.keys" -a 1
printf '1 AES-128 0011\n' >"$T/short.keys"
chmod 600 "$T/short.keys"
key_error "AES-128 key of 2 octets" "short.keys" -k "$T/short.keys" -a 1
# Secrets never appear in messages.
run_sundial query -n 1 -t 1 -k "$T/badtype.keys" -a 1 "$CLOSED"
if printf '%s' "$OUT$ERR" | grep -qi 00112233445566778899aabbccddeeff; then
	not_ok "key file: the secret of a malformed line is not echoed" "$ERR"
else
	ok "key file: the secret of a malformed line is not echoed"
fi
if [ "$(id -u)" = 0 ]; then
	echo "# as root, an unreadable (mode 000) key file is still readable; not tested"
else
	cp "$KF" "$T/unreadable.keys"
	chmod 000 "$T/unreadable.keys"
	key_error "unreadable" "unreadable.keys" -k "$T/unreadable.keys" -a 1
fi

# --help: the whole option list on one 80x24 screen.
run_sundial query --help
is "$RC" 0 "--help: exit 0"
lines=$(printf '%s\n' "$OUT" | wc -l)
width=$(printf '%s\n' "$OUT" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
num_is "$lines" '<=' 24 "--help: fits in 24 lines ($lines)"
num_is "$width" '<=' 80 "--help: fits in 80 columns ($width)"
if printf '%s' "$OUT" | grep -q "$(printf '\t')"; then not_ok "--help: no tabs"; else ok "--help: no tabs"; fi
is "$ERR" "" "--help: nothing on stderr"
for opt in -4 -6 -A --all-addresses -n --samples -i --interval -t --timeout -p --port \
	   -k --keyfile -a --key-id --key-format -b --bind -j --json --nagios --prom -v --verbose; do
	if printf '%s\n' "$OUT" | grep -Eq -- "(^|[ ,])$opt([ ,=]|$)"; then ok "--help: lists $opt"
	else not_ok "--help: lists $opt"; fi
done
run_sundial query -h
is "$RC/$(printf '%s\n' "$OUT" | wc -l)" "0/$lines" "-h: same as --help"

finish
