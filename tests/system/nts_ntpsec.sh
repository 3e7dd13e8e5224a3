#!/bin/bash
# nts_ntpsec.sh - `sundial query --nts` against NTPsec's ntpd as an NTS
# server.
#
# NTPsec 1.2.2 serves NTP on port 123 only and NTS-KE on TCP port 4460 of
# every address only, so this test runs one ntpd at a time (as root, in its
# own network namespace).  ntpd runs without CAP_SYS_TIME, "disable ntp",
# "disable kernel", in orphan mode (stratum 5), with `nts enable`,
# `nts cert`, `nts key`, `nts cookie` and `nts mintls TLS1.3`
# (start_ntpsec_nts in lib.sh).
# Facts about NTPsec 1.2.2 this test relies on (and checks):
#   - its NTS-KE response has no Port or Server Negotiation: clients use
#     the NTS-KE server's address and port 123; eight cookies;
#   - `ntpq -c ntsinfo` counts NTS-KE serves and NTS requests received;
#   - each NTS-KE connection is logged ("NTSs: NTS-KE from ADDR, Using
#     TLSv1.3, CIPHER") with the TLS version and cipher it used;
#   - a request without a restrict line gets no mode 6 answer, hence the
#     restrict lines in start_ntpsec_nts.
# Oracles: ntske_probe (a Python NTS-KE client, nts_common.sh), ntpq, the
# log.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=query_common.sh
. "$SYS_DIR/query_common.sh"
# shellcheck source=nts_common.sh
. "$SYS_DIR/nts_common.sh"

require_sundial
require_ntpq
make_nts_certs
start_ntpsec_nts ntpsec-nts "$NTS_CERT" "$NTS_KEY"
P=$NTPSEC_PORT
K=$NTPSEC_NTS_KEPORT
LOG=$T/ntpsec-nts/ntpd.log

# ntsinfo VAR: one of ntpd's NTS counters (ntpq rv 0 VAR, as `ntpq -c
# ntsinfo` shows them).
ntsinfo() {
	oracle ntpq-rv 127.0.0.1 0 "$1" >"$T/ntsinfo.json" 2>"$T/ntsinfo.err"
	jf "vars.$1" "$T/ntsinfo.json"
}

ntske_probe 127.0.0.1 "$K" "$NTS_CA" >"$T/probe.json" 2>"$T/probe.err" || diag "$(cat "$T/probe.err")"
is "$(jf alpn "$T/probe.json")/$(jf tls "$T/probe.json")/$(jf next "$T/probe.json")/$(jf aead "$T/probe.json")" \
	"ntske/1/TLSv1.3/0/15" "probe: ntpd agrees to ntske/1, TLS 1.3, NTPv4, AES-SIV-CMAC-256"
is "$(jf port "$T/probe.json")/$(jf server "$T/probe.json")" "null/null" "probe: no Port or Server Negotiation"
is "$(jf cookies "$T/probe.json")" 8 "probe: 8 cookies"
CLEN=$(jf cookie_lengths.0 "$T/probe.json")
"$NTPQ" -c ntsinfo 127.0.0.1 >"$T/ntsinfo.txt" 2>&1
like "$(cat "$T/ntsinfo.txt")" "NTS KE serves good: +[1-9]" "ntpq -c ntsinfo counts the probe's NTS-KE"

for host in 127.0.0.1 ::1 localhost; do
	case "$host" in
		*:*) spec="[$host]" addr=$host ;;
		localhost) spec=$host addr="" ;;
		*) spec=$host addr=$host ;;
	esac
	l="ntpsec NTS $spec"
	ke0=$(ntsinfo nts_ke_serves_good)
	rg0=$(ntsinfo nts_server_recv_good)
	lines0=$(grep -c 'NTSs: NTS-KE from' "$LOG")
	# No port: the NTS-KE port is 4460.
	check_nts_ok "$l" "$spec" "$P" "$CLEN" "$addr"
	jis servers.0.nts.ke_port 4460 "$l: NTS-KE on port 4460 by default"
	jis servers.0.nts.server "$host" "$l: the NTP server is the NTS-KE server's name"
	ke1=$(ntsinfo nts_ke_serves_good)
	rg1=$(ntsinfo nts_server_recv_good)
	is "$((ke1 - ke0))" 1 "$l: ntpd counted 1 NTS-KE serve (nts_ke_serves_good $ke0 -> $ke1)"
	is "$((rg1 - rg0))" 4 "$l: ntpd counted 4 good NTS requests (nts_server_recv_good $rg0 -> $rg1)"
	is "$(grep -c 'NTSs: NTS-KE from' "$LOG")" "$((lines0 + 1))" "$l: ntpd logged the NTS-KE connection"
	cipher=$(jf servers.0.nts.cipher)
	line=$(grep 'NTSs: NTS-KE from' "$LOG" | tail -n 1)
	like "$line" "Using TLSv1\.3, $cipher " "$l: ntpd's log names the same TLS version and cipher ($cipher)"
done

run_sundial query --nts --ca "$NTS_CA" "${QFAST[@]}" "127.0.0.1:4460"
is "$RC" 0 "127.0.0.1:4460: an explicit NTS-KE port"
like "$OUT" "  nts server 127\.0\.0\.1 port 123" "127.0.0.1:4460: text: NTP server 127.0.0.1 port 123"
like "$OUT" "  cookies    8 received \($CLEN octets\), 8 left" "127.0.0.1:4460: text: cookies"
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --nagios localhost
is "$RC" 0 "--nagios: exit 0"
like "$OUT" '^NTP OK: Offset .* stratum 5, .*nts_days_left=(89\.9|90\.0)[0-9]*;28:;7:;;$' "--nagios: OK, stratum 5, nts_days_left"

# Failures with a real NTS-KE server.
check_nts_fail "ntpsec, no --ca" 8 cert_untrusted "not signed by a trusted CA" 127.0.0.1
stop_daemon ntpsec-nts
start_ntpsec_nts ntpsec-expired "$NTS_CERT_EXPIRED" "$NTS_KEY"
rg0=$(ntsinfo nts_server_recv_good)
check_nts_fail "ntpsec, expired certificate" 7 cert_expired "expired on 2020-04-01T00:00:00Z" --ca "$NTS_CA" localhost
is "$(ntsinfo nts_server_recv_good)" "$rg0" "ntpsec, expired certificate: no NTS request reached ntpd"
stop_daemon ntpsec-expired
start_ntpsec_nts ntpsec-wrongname "$NTS_CERT_WRONGNAME" "$NTS_KEY"
check_nts_fail "ntpsec, wrong name" 9 cert_name "not for 'localhost'" --ca "$NTS_CA" localhost
stop_daemon ntpsec-wrongname
start_ntpsec_nts ntpsec-untrusted "$NTS_CERT_UNTRUSTED" "$NTS_KEY"
check_nts_fail "ntpsec, untrusted CA" 8 cert_untrusted "issuer CN=sundial other CA" --ca "$NTS_CA" "[::1]"
stop_daemon ntpsec-untrusted
check_nts_fail "ntpsec stopped: nothing listens on 4460" 5 connect "refused the connection" --ca "$NTS_CA" 127.0.0.1

finish
