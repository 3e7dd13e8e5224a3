#!/bin/bash
# collect_nts.sh - the collector's `server HOST nts` against chronyd as an
# NTS server on loopback (certificates made by the test with openssl):
#   - a good certificate: the source works, sundial_nts_ok 1, the key
#     exchange ran (sundial_nts_ke_ok 1, its time), cookies are kept and
#     renewed across samples (one key exchange for many samples: chronyd's
#     NTS-KE connection count), the certificate's days left as openssl has
#     them, in /metrics and in its RRD file; the offset near 0;
#   - an expired certificate: no time is taken from it (sundial_query_up 0,
#     sundial_nts_ok 0, sundial_nts_ke_ok 0), the days left are negative
#     and the nts-certificate alert turns CRITICAL;
#   - chronyd restarted with new server keys: an NTS NAK for the old
#     cookie, a new key exchange, and the source works again;
#   - an untrusted CA: no time either, the key exchange fails.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
for t in curl rrdtool openssl; do
	command -v "$t" >/dev/null 2>&1 || bail_out "$t is not installed (scripts/install-deps)"
done
require_chronyc
make_nts_certs
start_chronyd_nts chronyd-nts "$NTS_CERT" "$NTS_KEY"
K=$CHRONYD_NTS_KEPORT
SOCK=$CHRONYD_NTS_SOCK
start_chronyd_nts chronyd-expired "$NTS_CERT_EXPIRED" "$NTS_KEY"
KX=$CHRONYD_NTS_KEPORT
start_chronyd_nts chronyd-other "$NTS_CERT" "$NTS_KEY"
KO=$CHRONYD_NTS_KEPORT

HP=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/sundial.conf" <<EOC
datadir $T/data
listen 127.0.0.1:$HP
interval 1s
server localhost:$K nts ca $NTS_CA
server 127.0.0.1:$KX nts ca $NTS_CA
server [::1]:$KO nts ca $NTS_OTHER_CA
EOC
run_sundial collect -c "$T/sundial.conf" --check
is "$RC" 0 "--check accepts 'server HOST nts ca FILE'"
nke() { chronyc_at "$SOCK" serverstats 2>/dev/null | sed -n 's/^NTS-KE connections accepted *: *\([0-9]*\)$/\1/p'; }
NKE0=$(nke)
"$SUNDIAL" collect -f -c "$T/sundial.conf" -v >"$T/collect.log" 2>&1 &
CPID=$!
DAEMONS="$DAEMONS collect:$CPID"
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$HP/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 6
curl -sf "http://127.0.0.1:$HP/metrics" >"$T/m.txt"
prom_check "$T/m.txt" "collect /metrics with NTS sources"
g() { prom_value "$T/m.txt" "$1" "target=$2"; }

# a good certificate
num_is "$(g sundial_query_up "localhost:$K")" '==' 1 "NTS: the source gives time"
num_is "$(g sundial_nts_ok "localhost:$K")" '==' 1 "NTS: the last request was authenticated"
num_is "$(g sundial_nts_ke_ok "localhost:$K")" '==' 1 "NTS: the key exchange worked"
num_is "$(absval "$(g sundial_query_offset_seconds "localhost:$K")")" '<' 0.01 "NTS: the offset is near 0 on loopback"
num_is "$(g sundial_nts_cookies "localhost:$K")" '>=' 7 "NTS: cookies are renewed by the replies ($(g sundial_nts_cookies "localhost:$K") left)"
WANT_DAYS=$(awk -v a="$NTS_CERT_NOT_AFTER" -v n="$(date +%s)" 'BEGIN { printf "%.3f", (a - n) / 86400 }')
DAYS=$(awk -v s="$(g sundial_nts_certificate_remaining_seconds "localhost:$K")" 'BEGIN { if (s !~ /^[-+0-9.e]+$/) print "x"; else printf "%.4f", s / 86400 }')
num_is "$(absdiff "$DAYS" "$WANT_DAYS")" '<' 0.01 "NTS: time left = the certificate's ($WANT_DAYS days)"
NKE1=$(nke)
num_is "$((NKE1 - NKE0))" '==' 1 "NTS: one key exchange for all the samples so far (chronyd: $NKE0 -> $NKE1)"
num_is "$(curl -s "http://127.0.0.1:$HP/api/v1/sources" | grep -o '"runs": [0-9]*' | head -n 1 | grep -o '[0-9]*$')" '>=' 4 "NTS: several samples made"
F=$(find "$T/data/server" -path "*localhost*" -name 'sundial_nts_certificate_remaining_seconds.rrd' | head -n 1)
V=$(rrdtool lastupdate "$F" 2>/dev/null | awk -F': ' 'NF == 2 { v = $2 } END { print v }')
num_is "$(absdiff "$(awk -v s="$V" 'BEGIN { printf "%.4f", s / 86400 }')" "$WANT_DAYS")" '<' 0.01 "NTS: the time left is in the RRD file too"

# chronyd restarted with new server keys: the collector's cookies are
# refused with an NTS NAK; it runs a new key exchange and goes on.
stop_daemon chronyd-nts
rm -f "$T/chronyd-nts/ntskeys"
_chronyd_spawn chronyd-nts
_wait_tcp chronyd-nts 127.0.0.1 "$K"
for _ in $(seq 1 100); do
	grep -q "localhost:$K: NTS: .*NAK" "$T/collect.log" && break
	sleep 0.1
done
diag "$(grep "localhost:$K" "$T/collect.log" | tail -n 5)"
like "$(grep "localhost:$K" "$T/collect.log")" "NTS: .*NAK" "new server keys: the old cookie is refused with an NTS NAK (logged)"
for _ in $(seq 1 100); do
	grep -q "localhost:$K: works again" "$T/collect.log" && break
	sleep 0.1
done
like "$(grep "localhost:$K" "$T/collect.log")" "works again" "new server keys: a new key exchange, and the source works again"
num_is "$(nke)" '>=' 1 "new server keys: the restarted chronyd served a key exchange ($(nke))"
sleep 1.5
curl -sf "http://127.0.0.1:$HP/metrics" >"$T/m.txt"
num_is "$(g sundial_nts_ok "localhost:$K")" '==' 1 "new server keys: authenticated again"

# an expired certificate
num_is "$(g sundial_query_up "127.0.0.1:$KX")" '==' 0 "expired certificate: no time taken"
num_is "$(g sundial_nts_ok "127.0.0.1:$KX")" '==' 0 "expired certificate: sundial_nts_ok 0"
num_is "$(g sundial_nts_ke_ok "127.0.0.1:$KX")" '==' 0 "expired certificate: the key exchange failed"
num_is "$(g sundial_nts_certificate_remaining_seconds "127.0.0.1:$KX")" '<' 0 "expired certificate: time left negative"
num_is "$(prom_value "$T/m.txt" sundial_alert_state alert=nts-certificate "target=127.0.0.1:$KX")" '==' 2 "expired certificate: the nts-certificate alert is CRITICAL"
like "$(cat "$T/collect.log")" "127\.0\.0\.1:$KX: .*expired" "expired certificate: the log says so"

# an untrusted CA
num_is "$(g sundial_query_up "[::1]:$KO")" '==' 0 "untrusted CA: no time taken"
num_is "$(g sundial_nts_ke_ok "[::1]:$KO")" '==' 0 "untrusted CA: the key exchange failed"
like "$(grep "\[::1\]:$KO" "$T/collect.log")" "untrusted|not trusted|unable to get" "untrusted CA: the log says why"

kill -TERM "$CPID"
wait "$CPID"
is "$?" 0 "SIGTERM: exit 0"
finish
