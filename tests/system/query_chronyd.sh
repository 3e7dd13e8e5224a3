#!/bin/bash
# query_chronyd.sh - `sundial query` against chronyd on loopback.
#
# Peers (started here, on free ports of 127.0.0.1 and ::1):
#   chronyd         -x, "local stratum 3" (LI 0, stratum 3, refid 127.127.1.1)
#   chronyd-unsync  -x, no reference: answers LI 3, stratum 0, refid 0
#   blackhole       reads requests and never answers
# Keys 1 MD5, 2 SHA1, 3 AES-128-CMAC (see lib.sh).  Facts about chronyd 4.3
# this test relies on (and re-checks with ntp_probe.py):
#   - a request with a MAC that does not verify (wrong secret) gets no reply;
#   - a request with a key id chronyd does not have gets no reply;
#   - neither gets a crypto-NAK.
# Oracles: ntpdig (NTPsec's SNTP client, port patched), chronyd -Q,
# check_ntp_time for --nagios.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=query_common.sh
. "$SYS_DIR/query_common.sh"

require_sundial
start_chronyd
start_chronyd_unsync
start_blackhole
P=$CHRONYD_PORT
U=$CHRONYD_UNSYNC_PORT
B=$BLACKHOLE_PORT

for host in 127.0.0.1 ::1; do
	case "$host" in
		*:*) l="chronyd IPv6"; hp="[$host]:$P"; up="[$host]:$U"; bp="[$host]:$B" ;;
		*)   l="chronyd IPv4"; hp="$host:$P";   up="$host:$U";   bp="$host:$B" ;;
	esac

	check_plain "$l" "$hp" "$host" "$P" 3 127.127.1.1
	check_forms "$l" "$P" "$host"

	# Symmetric keys: each algorithm, both key-file syntaxes.
	check_auth_valid "$l" "$hp" "$KEYS/client-chrony.keys" 1 MD5
	check_auth_valid "$l" "$hp" "$KEYS/client-chrony.keys" 2 SHA1
	check_auth_valid "$l" "$hp" "$KEYS/client-chrony.keys" 3 AES128-CMAC
	check_auth_valid "$l" "$hp" "$KEYS/client-ntp.keys" 3 AES128-CMAC
	check_auth_valid "$l" "$hp" "$KEYS/client-ntp.keys" 1 MD5 ntp
	check_auth_valid "$l" "$hp" "$KEYS/client-chrony.keys" 2 SHA1 chrony

	# Wrong secret (same id) and an id the server does not know.
	check_auth_ignored "$l" "$host" "$P" "$hp" "$KEYS/wrong-chrony.keys" 1 "a wrong MD5 key" "$(probe_key 1 wrong)"
	check_auth_ignored "$l" "$host" "$P" "$hp" "$KEYS/wrong-ntp.keys" 3 "a wrong AES-128-CMAC key" "$(probe_key 3 wrong)"
	check_auth_ignored "$l" "$host" "$P" "$hp" "$KEYS/client-chrony.keys" 42 "an unknown key id" "$(probe_key 42)"

	check_nagios "$l" "$host" "$P" "$hp"
	check_oracles "$l" "$host" "$P" "$hp"

	# An unsynchronised chronyd answers LI=3 with stratum 0 and refid 0,
	# which looks like a kiss-o'-death with an empty code; it is not one.
	is "$(probe_field stratum "$host" "$U")/$(probe_field leap "$host" "$U")/$(probe_field refid "$host" "$U")" \
		"0/3/00000000" "$l: unsynchronised chronyd answers stratum 0, LI 3, refid 0 (probe)"
	check_unsync "$l unsync" "$host" "$U" "$up"

	# A port that takes requests and never answers.
	start=$(date +%s.%N)
	run_sundial query -n 1 -t 1 --json "$bp"
	end=$(date +%s.%N)
	is "$RC" 3 "$l: silent port: exit 3"
	jis servers.0.status timeout "$l: silent port: status timeout"
	like "$(jf servers.0.message)" "no reply" "$l: silent port: message 'no reply'"
	jis servers.0.samples.received 0 "$l: silent port: 0 samples received"
	el=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
	num_is "$el" '>=' 0.9 "$l: silent port: waited the 1 s timeout (${el}s)"
	num_is "$el" '<' 3 "$l: silent port: gave up soon after the timeout (${el}s)"
	run_sundial query -n 1 -t 1 "$bp"
	like "$OUT$ERR" "no reply" "$l: silent port: text says 'no reply'"

	# A closed port: on loopback the kernel answers with ICMP port
	# unreachable, which sundial reports as unreachable (exit 5) rather
	# than waiting for the timeout.
	closed=$(free_udp_port)
	case "$host" in *:*) cp="[$host]:$closed" ;; *) cp="$host:$closed" ;; esac
	run_sundial query -n 1 -t 1 --json "$cp"
	is "$RC" 5 "$l: closed port (ICMP port unreachable): exit 5"
	jis servers.0.status unreachable "$l: closed port: status unreachable"
	like "$(jf servers.0.message)" "unreachable" "$l: closed port: message 'unreachable'"
done

# Several servers in one run; the first failing one in command-line order
# decides the exit status.
run_sundial query -n 1 -t 1 --json "127.0.0.1:$P" "[::1]:$P"
is "$RC" 0 "two servers: exit 0"
is "$(jf servers.0.address) $(jf servers.1.address)" "127.0.0.1 ::1" "two servers: both reported, in order"
run_sundial query -n 1 -t 1 "127.0.0.1:$P" "127.0.0.1:$U" "127.0.0.1:$B"
is "$RC" 1 "ok, unsynchronised, silent: exit 1 (the unsynchronised one comes first)"
run_sundial query -n 1 -t 1 "127.0.0.1:$B" "127.0.0.1:$U" "127.0.0.1:$P"
is "$RC" 3 "silent, unsynchronised, ok: exit 3 (the silent one comes first)"

# The sign of the offset.  Every real peer here shares this machine's clock,
# so a sign error would pass everything above.  fake_ntp.py serves time
# 0.25 s ahead; ntpdig and chronyd -Q must see +0.25 s, and so must sundial.
start_fake_ntp 0.25
run_sundial query "${QFAST[@]}" --json "127.0.0.1:$FAKE_PORT"
s_off=$(jf servers.0.offset)
is "$RC" 0 "server 0.25 s ahead: exit 0"
num_is "$(absdiff "$s_off" 0.25)" '<' 0.001 "server 0.25 s ahead: sundial offset is +0.25 s ($s_off)"
d_off=$(ntpdig_at 127.0.0.1 "$FAKE_PORT" 2>/dev/null | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["offset"])' 2>/dev/null)
num_is "$(absdiff "${d_off:-x}" 0.25)" '<' 0.001 "server 0.25 s ahead: ntpdig (oracle) agrees, +0.25 s ($d_off)"
q_off=$(chronyd_q 127.0.0.1 "$FAKE_PORT")
num_is "$(absdiff "${q_off:-x}" 0.25)" '<' 0.001 "server 0.25 s ahead: chronyd -Q (oracle) agrees, +0.25 s ($q_off)"
run_sundial query "${QFAST[@]}" --json "[::1]:$FAKE_PORT"
num_is "$(absdiff "$(jf servers.0.offset)" 0.25)" '<' 0.001 "server 0.25 s ahead over IPv6: sundial offset is +0.25 s"
stop_daemon fake-ntp

# A name from /etc/hosts.
run_sundial query -n 1 -t 1 --json -4 -p "$P" localhost
is "$RC" 0 "'-4 localhost' (from /etc/hosts) exits 0"
jis servers.0.address 127.0.0.1 "'-4 localhost' queries 127.0.0.1"
[ "$RC" = 0 ] || show_run

finish
