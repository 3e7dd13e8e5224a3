#!/bin/bash
# query_ntpsec.sh - `sundial query` against NTPsec's ntpd on loopback.
#
# NTPsec 1.2.2 serves on port 123 only, so this test runs one ntpd at a time
# (and is not run in parallel with the others; in its own network namespace
# when run as root).  ntpd runs without CAP_SYS_TIME, with "disable ntp" and
# "disable kernel": it cannot touch this machine's clock.
#
# Peers:
#   ntpsec         orphan mode ("tos orphan 5 orphanwait 0"): LI 0, stratum 5,
#                  refid 127.0.0.1 about 1 s after start, no refclock needed
#   ntpsec-unsync  no orphan, no source: LI 3, stratum 0, refid "INIT"
# Facts about NTPsec 1.2.2 this test relies on (and re-checks):
#   - a request whose MAC does not verify, or with a key id it does not have
#     (or does not trust), is dropped without a reply: no crypto-NAK
#     (ntp_proto.c receive(): "FIXME: crypto-NAK?");
#   - "restrict default limited kod" applies to clients on 127.0.0.1 too (ntpd
#     only exempts its own addresses as NTP peers, source port 123), so
#     127.0.0.1 and ::1 are unrestricted here and the KoD test sends from
#     127.0.0.2 with `sundial query -b`;
#   - the KoD RATE reply has LI 3, stratum 0, refid "RATE", and echoes the
#     client's transmit timestamp as origin.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=query_common.sh
. "$SYS_DIR/query_common.sh"

require_sundial
start_ntpsec
P=$NTPSEC_PORT

for host in 127.0.0.1 ::1; do
	case "$host" in
		*:*) l="ntpsec IPv6"; hp="[$host]:$P" ;;
		*)   l="ntpsec IPv4"; hp="$host:$P" ;;
	esac

	check_plain "$l" "$hp" "$host" "$P" 5 127.0.0.1
	check_forms "$l" "$P" "$host"
	# Port 123 is the default.
	run_sundial query -n 1 -t 1 --json "$host"
	is "$RC/$(jf servers.0.port)" "0/123" "$l: a bare address queries port 123"

	check_auth_valid "$l" "$hp" "$KEYS/client-ntp.keys" 1 MD5
	check_auth_valid "$l" "$hp" "$KEYS/client-ntp.keys" 2 SHA1
	check_auth_valid "$l" "$hp" "$KEYS/client-ntp.keys" 3 AES128-CMAC
	check_auth_valid "$l" "$hp" "$KEYS/client-chrony.keys" 3 AES128-CMAC
	check_auth_valid "$l" "$hp" "$KEYS/client-ntp.keys" 2 SHA1 ntp

	check_auth_ignored "$l" "$host" "$P" "$hp" "$KEYS/wrong-ntp.keys" 1 "a wrong MD5 key" "$(probe_key 1 wrong)"
	check_auth_ignored "$l" "$host" "$P" "$hp" "$KEYS/wrong-ntp.keys" 2 "a wrong SHA1 key" "$(probe_key 2 wrong)"
	check_auth_ignored "$l" "$host" "$P" "$hp" "$KEYS/wrong-chrony.keys" 3 "a wrong AES-128-CMAC key" "$(probe_key 3 wrong)"
	check_auth_ignored "$l" "$host" "$P" "$hp" "$KEYS/client-ntp.keys" 42 "an unknown key id" "$(probe_key 42)"

	check_nagios "$l" "$host" "$P" "$hp"
	check_oracles "$l" "$host" "$P" "$hp"
done

# Kiss-o'-death RATE, from 127.0.0.2 (rate-limited; see above).  The first
# request from an address is always answered; every later one within ~30 s
# gets a KoD.
l="ntpsec KoD"
is "$(probe_field stratum -b 127.0.0.2 127.0.0.1 "$P")" 5 "$l: first request from 127.0.0.2 is answered normally (probe)"
probe -b 127.0.0.2 127.0.0.1 "$P" >"$T/kod.json"
is "$(jf kiss "$T/kod.json")/$(jf leap "$T/kod.json")/$(jf stratum "$T/kod.json")/$(jf origin_ok "$T/kod.json")" \
	"RATE/3/0/true" "$l: the next one gets a KoD: refid RATE, LI 3, stratum 0, origin echoed (probe)"
run_sundial query -n 1 -t 1 --json -b 127.0.0.2 "127.0.0.1:$P"
is "$RC" 2 "$l: exit 2"
jis servers.0.status kod "$l: status kod"
jis servers.0.kiss_code RATE "$l: kiss_code RATE"
like "$(jf servers.0.message)" "kiss-o'-death RATE" "$l: message \"kiss-o'-death RATE\""
run_sundial query -n 3 -i 0.05 -t 1 -b 127.0.0.2 "127.0.0.1:$P"
is "$RC" 2 "$l: -n 3: exit 2"
like "$OUT$ERR" "kiss-o'-death RATE" "$l: -n 3: text says \"kiss-o'-death RATE\""
run_sundial query -n 1 -t 1 --json "127.0.0.1:$P"
is "$RC/$(jf servers.0.status)" "0/ok" "$l: meanwhile 127.0.0.1 is still served"

stop_daemon ntpsec
start_ntpsec_unsync
for host in 127.0.0.1 ::1; do
	case "$host" in
		*:*) l="ntpsec IPv6"; hp="[$host]:$P" ;;
		*)   l="ntpsec IPv4"; hp="$host:$P" ;;
	esac
	is "$(probe_field stratum "$host" "$P")/$(probe_field leap "$host" "$P")/$(probe_field kiss "$host" "$P")" \
		"0/3/INIT" "$l: unsynchronised ntpd answers stratum 0, LI 3, refid INIT (probe)"
	check_unsync "$l unsync" "$host" "$P" "$hp"
done

finish
