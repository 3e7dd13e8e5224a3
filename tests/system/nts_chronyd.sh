#!/bin/bash
# nts_chronyd.sh - `sundial query --nts` against chronyd as an NTS server.
#
# Peers (started here, on free ports of 127.0.0.1 and ::1, chronyd -x
# without CAP_SYS_TIME):
#   chronyd-nts        NTS server with a certificate for localhost,
#                      127.0.0.1 and ::1 from the test CA (make_nts_certs)
#   chronyd-expired    the same names, expired in 2020
#   chronyd-wrongname  a certificate for wrong.example only
#   chronyd-untrusted  the right names, from a CA nobody trusts
#   tcp-close, tcp-garbage, tcp-silent   TCP listeners that are not TLS
#   fake-ntske-*       fake_ntske.py: NTS-KE responses a real server never
#                      sends (Error, Warning, no cookies, ...)
# Facts about chronyd 4.3 this test relies on (and checks):
#   - its NTS-KE server sends an NTPv4 Port Negotiation record with its
#     NTP port whenever `port` is not 123 (nts_ke_server.c), no Server
#     Negotiation unless `ntsntpserver` is set, eight cookies;
#   - `chronyc serverstats` counts accepted NTS-KE connections and
#     authenticated NTP packets; `chronyc clients -k` lists NTS-KE clients.
# Oracles: ntske_probe (a Python NTS-KE client, nts_common.sh) for the
# records, openssl for the certificate, chronyc for the server's view.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=query_common.sh
. "$SYS_DIR/query_common.sh"
# shellcheck source=nts_common.sh
. "$SYS_DIR/nts_common.sh"

require_sundial
require_chronyc
make_nts_certs
start_chronyd_nts chronyd-nts "$NTS_CERT" "$NTS_KEY"
P=$CHRONYD_NTS_PORT
K=$CHRONYD_NTS_KEPORT
SOCK=$CHRONYD_NTS_SOCK

# serverstat SOCKET FIELD: a number of `chronyc serverstats` ("NTS-KE
# connections accepted", "Authenticated NTP packets", "NTP packets
# received").
serverstat() {
	chronyc_at "$1" serverstats 2>/dev/null | sed -n "s/^$2 *: *\([0-9]*\)$/\1/p"
}

# The records, from a second client: the port chronyd negotiates is its
# NTP port, eight cookies.
ntske_probe 127.0.0.1 "$K" "$NTS_CA" >"$T/probe.json" 2>"$T/probe.err" || diag "$(cat "$T/probe.err")"
is "$(jf alpn "$T/probe.json")/$(jf tls "$T/probe.json")/$(jf next "$T/probe.json")/$(jf aead "$T/probe.json")" \
	"ntske/1/TLSv1.3/0/15" "probe: chronyd agrees to ntske/1, TLS 1.3, NTPv4, AES-SIV-CMAC-256"
is "$(jf port "$T/probe.json")" "$P" "probe: chronyd sends Port Negotiation with its NTP port $P"
is "$(jf server "$T/probe.json")" null "probe: no Server Negotiation (no ntsntpserver)"
is "$(jf cookies "$T/probe.json")" 8 "probe: 8 cookies"
CLEN=$(jf cookie_lengths.0 "$T/probe.json")

for host in 127.0.0.1 ::1 localhost; do
	case "$host" in
		*:*) spec="[$host]:$K" addr=$host ;;
		localhost) spec="$host:$K" addr="" ;;
		*) spec="$host:$K" addr=$host ;;
	esac
	l="chronyd NTS $spec"
	ke0=$(serverstat "$SOCK" "NTS-KE connections accepted")
	au0=$(serverstat "$SOCK" "Authenticated NTP packets")
	check_nts_ok "$l" "$spec" "$P" "$CLEN" "$addr"
	jis servers.0.nts.server "$host" "$l: the NTP server is the NTS-KE server's name (no Server Negotiation)"
	ke1=$(serverstat "$SOCK" "NTS-KE connections accepted")
	au1=$(serverstat "$SOCK" "Authenticated NTP packets")
	is "$((ke1 - ke0))" 1 "$l: chronyd counted 1 NTS-KE connection (serverstats $ke0 -> $ke1)"
	is "$((au1 - au0))" 4 "$l: chronyd counted 4 authenticated NTP packets (serverstats $au0 -> $au1)"
done
clients=$(chronyc_at "$SOCK" -c clients -k 2>&1)
like "$clients" '^127\.0\.0\.1,[0-9]+,[0-9]+,[-0-9]+,[-0-9]+,[0-9]+,[1-9]' \
	"chronyc clients -k: 127.0.0.1 made NTS-KE connections"
like "$clients" '^::1,[0-9]+,[0-9]+,[-0-9]+,[-0-9]+,[0-9]+,[1-9]' \
	"chronyc clients -k: ::1 made NTS-KE connections"

# The address family: -4 for the name (/etc/hosts), -6 with an address.
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --json -4 "localhost:$K"
is "$RC/$(jf servers.0.address)" "0/127.0.0.1" "-4 localhost: over IPv4"
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --json -6 "127.0.0.1:$K"
is "$RC/$(jf servers.0.nts.failure)" "4/resolve" "-6 with an IPv4 address: exit 4, failure resolve"
like "$(jf servers.0.message)" "has no IPv6 address" "-6 with an IPv4 address: says so"
# --nts-port when SERVER names none.
run_sundial query --nts --ca "$NTS_CA" --nts-port "$K" -n 1 -t 1 --json 127.0.0.1
is "$RC/$(jf servers.0.nts.ke_port)/$(jf servers.0.port)" "0/$K/$P" "--nts-port $K: key exchange there, NTP on $P"
# All at once (-i 0): more samples than cookies; each reply brings more.
run_sundial query --nts --ca "$NTS_CA" -n 20 -i 0 -t 1 --json "127.0.0.1:$K"
is "$RC/$(jf servers.0.samples.valid)/$(jf servers.0.nts.cookies_left)" "0/20/8" \
	"-n 20 -i 0: 20 valid samples from 8 cookies, 8 left"

# The other output forms.
l="chronyd NTS text"
run_sundial query --nts --ca "$NTS_CA" "${QFAST[@]}" "127.0.0.1:$K"
is "$RC" 0 "$l: exit 0"
like "$OUT" "^127\.0\.0\.1 \(127\.0\.0\.1 port $P\): ok: 4 of 4 samples answered, NTS-authenticated" "$l: first line"
like "$OUT" "  nts        AES-SIV-CMAC-256; key exchange with 127\.0\.0\.1 port $K in [0-9.]+ s, TLSv1\.3 " "$l: nts line"
like "$OUT" "  nts server 127\.0\.0\.1 port $P" "$l: nts server line"
like "$OUT" "  cookies    8 received \($CLEN octets\), 8 left" "$l: cookies line"
like "$OUT" "  cert       CN=localhost, issuer CN=sundial test CA" "$l: cert line"
like "$OUT" "  expires    $(date -u -d "@$NTS_CERT_NOT_AFTER" +%Y-%m-%dT%H:%M:%SZ), (89\.9|90\.0)[0-9]* days left" "$l: expires line"
like "$OUT" "  verdicts   ok ok ok ok" "$l: per-sample verdicts"
l="chronyd NTS brief"
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --brief "127.0.0.1:$K"
like "$OUT" "nts +cookies +cert_days" "$l: header has nts, cookies, cert_days"
like "$OUT" "127\.0\.0\.1 +127\.0\.0\.1 +ok .* AES-SIV-CMAC-256 +8 +(89\.9|90\.0)" "$l: the row"
l="chronyd NTS nagios"
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --nagios "127.0.0.1:$K"
is "$RC" 0 "$l: exit 0 (OK)"
like "$OUT" '^NTP OK: Offset .*\|offset=.* nts_days_left=(89\.9|90\.0)[0-9]*;28:;7:;;$' "$l: perfdata nts_days_left with thresholds 28:/7:"
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --nagios --nts-warn-days 100 "127.0.0.1:$K"
is "$RC" 1 "$l: --nts-warn-days 100: exit 1 (WARNING)"
like "$OUT" '^NTP WARNING: .*NTS certificate expires in (89\.9|90\.0) days' "$l: --nts-warn-days 100: says when"
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --nagios --nts-crit-days 90.5 "127.0.0.1:$K"
is "$RC" 2 "$l: --nts-crit-days 90.5: exit 2 (CRITICAL)"
l="chronyd NTS prom"
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --prom "127.0.0.1:$K"
is "$RC" 0 "$l: exit 0"
cp "$T/out" "$T/nts.prom"
prom_check "$T/nts.prom" "$l"
num_is "$(prom_value "$T/nts.prom" sundial_query_nts_ke_up)" '==' 1 "$l: sundial_query_nts_ke_up 1"
num_is "$(prom_value "$T/nts.prom" sundial_query_nts_cookies_received)" '==' 8 "$l: sundial_query_nts_cookies_received 8"
num_is "$(prom_value "$T/nts.prom" sundial_query_nts_cookies_left)" '==' 8 "$l: sundial_query_nts_cookies_left 8"
num_is "$(prom_value "$T/nts.prom" sundial_query_nts_cert_not_after_seconds)" '==' "$NTS_CERT_NOT_AFTER" "$l: sundial_query_nts_cert_not_after_seconds"
num_is "$(prom_value "$T/nts.prom" sundial_query_nts_cert_remaining_seconds)" '>' $((89 * 86400)) "$l: sundial_query_nts_cert_remaining_seconds > 89 days"
num_is "$(prom_value "$T/nts.prom" sundial_query_up)" '==' 1 "$l: sundial_query_up 1"

# --- failures: each its own message and exit status; never any time -----

start_chronyd_nts chronyd-expired "$NTS_CERT_EXPIRED" "$NTS_KEY"
E=$CHRONYD_NTS_KEPORT
ESOCK=$CHRONYD_NTS_SOCK
start_chronyd_nts chronyd-wrongname "$NTS_CERT_WRONGNAME" "$NTS_KEY"
W=$CHRONYD_NTS_KEPORT
start_chronyd_nts chronyd-untrusted "$NTS_CERT_UNTRUSTED" "$NTS_KEY"
U=$CHRONYD_NTS_KEPORT

n0=$(serverstat "$ESOCK" "NTP packets received")
check_nts_fail "expired certificate" 7 cert_expired "expired on 2020-04-01T00:00:00Z" --ca "$NTS_CA" "127.0.0.1:$E"
run_sundial query --nts --ca "$NTS_CA" --json "127.0.0.1:$E"
num_is "$(jf servers.0.nts.certificate.days_left)" '<' -2000 "expired certificate: days_left is negative ($(jf servers.0.nts.certificate.days_left))"
jis servers.0.nts.certificate.not_after 2020-04-01T00:00:00Z "expired certificate: not_after reported although it failed"
n1=$(serverstat "$ESOCK" "NTP packets received")
is "$n1" "$n0" "expired certificate: chronyd got no NTP request at all (no fallback)"
run_sundial query --nts --ca "$NTS_CA" --nagios "127.0.0.1:$E"
is "$RC" 2 "expired certificate: --nagios CRITICAL"
like "$OUT" '^NTP CRITICAL: NTS key exchange failed: .*expired.*\|nts_days_left=-[0-9.]+;28:;7:;;$' "expired certificate: --nagios says why, with nts_days_left"

check_nts_fail "wrong name (localhost)" 9 cert_name "not for 'localhost'.*DNS:wrong\.example" --ca "$NTS_CA" "localhost:$W"
check_nts_fail "wrong name (127.0.0.1)" 9 cert_name "not for '127\.0\.0\.1'" --ca "$NTS_CA" "127.0.0.1:$W"
run_sundial query --nts --ca "$NTS_CA" --json "127.0.0.1:$W"
jis servers.0.nts.certificate.subject "CN=wrong.example" "wrong name: the certificate's subject is reported"
check_nts_fail "untrusted CA" 8 cert_untrusted "not signed by a trusted CA.*issuer CN=sundial other CA" --ca "$NTS_CA" "127.0.0.1:$U"
check_nts_fail "no --ca (system store)" 8 cert_untrusted "not signed by a trusted CA" "127.0.0.1:$K"
check_nts_fail "--ca of another CA" 8 cert_untrusted "not signed by a trusted CA" --ca "$NTS_OTHER_CA" "127.0.0.1:$K"
run_sundial query --nts --ca "$NTS_OTHER_CA" --json "127.0.0.1:$K"
jis servers.0.nts.certificate.issuer "CN=sundial test CA" "--ca of another CA: the certificate's issuer is reported"

closed=$(free_tcp_port)
check_nts_fail "nothing listening" 5 connect "refused the connection" "127.0.0.1:$closed"
check_nts_fail "nothing listening (IPv6)" 5 connect "refused the connection" "[::1]:$closed"
start_tcp_fake tcp-close close
check_nts_fail "TCP server that closes" 10 tls "closed the connection during the TLS handshake" "127.0.0.1:$FAKE_TCP_PORT"
start_tcp_fake tcp-garbage garbage
check_nts_fail "TCP server that is not TLS" 10 tls "did not answer with TLS" "127.0.0.1:$FAKE_TCP_PORT"
start_tcp_fake tcp-silent silent
start=$(date +%s.%N)
run_sundial query --nts -t 1 --json "127.0.0.1:$FAKE_TCP_PORT"
end=$(date +%s.%N)
is "$RC/$(jf servers.0.nts.failure)" "3/timeout" "silent TLS server: exit 3, failure timeout"
like "$(jf servers.0.message)" "no answer from 127\.0\.0\.1 port $FAKE_TCP_PORT .* within 1 s \(TLS handshake\)" "silent TLS server: message"
el=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
num_is "$el" '>=' 0.9 "silent TLS server: waited the 1 s timeout (${el}s)"
num_is "$el" '<' 3 "silent TLS server: gave up soon after it (${el}s)"

# Responses a real server does not send.
start_fake_ntp 0.25
for m in error warning nocookies badaead notntp truncated garbage noalpn tls12; do
	start_fake_ntske "fake-ntske-$m" "$m"
	case "$m" in
		error) code=12 failure=error_record re='sent NTS-KE error 1 \(bad request\)' ;;
		warning) code=13 failure=protocol re='sent NTS-KE warning 7' ;;
		nocookies) code=14 failure=no_cookies re='sent no cookies' ;;
		badaead) code=13 failure=protocol re='chose AEAD algorithm 99 .*did not offer' ;;
		notntp) code=13 failure=protocol re='did not agree to NTPv4' ;;
		truncated) code=13 failure=protocol re='closed the connection before End of Message' ;;
		garbage) code=13 failure=protocol re='response .* is malformed' ;;
		noalpn) code=11 failure=alpn re='did not select ALPN "ntske/1"' ;;
		tls12) code=10 failure=tls re='does not speak TLS 1\.3' ;;
	esac
	check_nts_fail "fake NTS-KE server ($m)" "$code" "$failure" "$re" --ca "$NTS_CA" "localhost:$FAKE_NTSKE_PORT"
done

# A key exchange that sends the client to a plain NTP server: its replies
# are not authenticated, so no time is taken from them (exit 6).
start_fake_ntske fake-ntske-plain "plain:$FAKE_PORT"
l="NTS-KE to a plain NTP server"
run_sundial query --nts --ca "$NTS_CA" -n 2 -i 0.05 -t 1 --json "localhost:$FAKE_NTSKE_PORT"
is "$RC" 6 "$l: exit 6 (authentication failed)"
jis servers.0.status auth_failed "$l: status auth_failed"
jis servers.0.port "$FAKE_PORT" "$l: the negotiated port $FAKE_PORT was queried"
jis servers.0.auth.result no_uid "$l: auth.result no_uid"
jis servers.0.sample_list.0.nts no_uid "$l: sample 0: verdict no_uid"
jis servers.0.offset "<missing>" "$l: no offset (the server is 0.25 s off; never a fallback)"
jis servers.0.samples.offset_median "<missing>" "$l: no median offset either"
like "$(jf servers.0.message)" "NTS authentication failed: the reply does not echo" "$l: message"
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --nagios "localhost:$FAKE_NTSKE_PORT"
like "$OUT" "^NTP CRITICAL: NTS authentication failed" "$l: --nagios CRITICAL"
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 --prom "localhost:$FAKE_NTSKE_PORT"
cp "$T/out" "$T/plain.prom"
num_is "$(prom_value "$T/plain.prom" sundial_query_up)" '==' 0 "$l: --prom sundial_query_up 0"
is "$(prom_value "$T/plain.prom" sundial_query_offset_seconds)" "<missing>" "$l: --prom has no offset"

# Several servers: the first failing one decides the exit status.
run_sundial query --nts --ca "$NTS_CA" -n 1 -t 1 "127.0.0.1:$K" "127.0.0.1:$E" "localhost:$W"
is "$RC" 7 "ok, expired, wrong name: exit 7 (the expired one comes first)"

# Usage.
run_sundial query --ca "$NTS_CA" "127.0.0.1:$K"
is "$RC" 64 "--ca without --nts: exit 64"
run_sundial query --nts -k "$KEYS/client-chrony.keys" -a 1 "127.0.0.1:$K"
is "$RC" 64 "--nts with a symmetric key: exit 64"
like "$ERR" "exclude each other" "--nts with a key: says why"
run_sundial query --nts -A "127.0.0.1:$K"
is "$RC" 64 "--nts -A: exit 64"
run_sundial query --nts -p 123 "127.0.0.1:$K"
is "$RC" 64 "--nts -p: exit 64 (the NTP port comes from the key exchange)"
run_sundial query --nts --ca "$T/nonexistent.pem" "127.0.0.1:$K"
is "$RC" 78 "--ca FILE that does not exist: exit 78"
like "$ERR" "cannot read the CA file" "--ca FILE that does not exist: says so"
printf 'not a certificate\n' >"$T/bad-ca.pem"
run_sundial query --nts --ca "$T/bad-ca.pem" --json "127.0.0.1:$K"
is "$RC" 78 "--ca FILE without certificates: exit 78"
like "$ERR" "holds no usable PEM certificate" "--ca FILE without certificates: says so"

finish
