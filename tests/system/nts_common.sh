# shellcheck shell=bash
# nts_common.sh - checks of `sundial query --nts` shared by nts_chronyd.sh
# and nts_ntpsec.sh.  Sourced after lib.sh and query_common.sh.

# ntske_probe HOST PORT CA: a second NTS-KE client, in Python (ssl module:
# TLS 1.3, ALPN ntske/1, the CA given), that sends the request sundial sends
# (NTPv4, AES-SIV-CMAC-256) and prints what the response said as JSON:
# next, aead, cookies, cookie_lengths, server, port, error, alpn, tls.  An
# oracle for the records, independent of sundial's codec.
ntske_probe() {
	"$PYTHON" - "$@" <<'EOF'
import json, socket, ssl, struct, sys
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.set_alpn_protocols(["ntske/1"])
out = dict(next=None, aead=None, cookies=0, cookie_lengths=[], server=None, port=None, error=None)
with socket.create_connection((host, port), 5) as raw:
    with ctx.wrap_socket(raw, server_hostname=host) as t:
        out["alpn"], out["tls"] = t.selected_alpn_protocol(), t.version()
        t.sendall(bytes.fromhex("80010002 0000 8004 0002 000f 80000000".replace(" ", "")))
        data = b""
        while True:
            d = t.recv(65536)
            if not d:
                break
            data += d
            if data.endswith(b"\x80\x00\x00\x00"):
                break
i = 0
while i + 4 <= len(data):
    typ, n = struct.unpack(">HH", data[i:i + 4])
    body = data[i + 4:i + 4 + n]
    typ &= 0x7fff
    i += 4 + n
    if typ == 0:
        break
    if typ == 1: out["next"] = struct.unpack(">H", body[:2])[0]
    elif typ == 2: out["error"] = struct.unpack(">H", body[:2])[0]
    elif typ == 4: out["aead"] = struct.unpack(">H", body[:2])[0]
    elif typ == 5:
        out["cookies"] += 1
        out["cookie_lengths"].append(n)
    elif typ == 6: out["server"] = body.decode("ascii", "replace")
    elif typ == 7: out["port"] = struct.unpack(">H", body[:2])[0]
json.dump(out, sys.stdout)
print()
EOF
}

# check_nts_ok LABEL SPEC NTP_PORT COOKIE_LEN [ADDRESS]: `sundial query
#   --nts --ca NTS_CA -n 4 SPEC` succeeds with everything the key exchange
#   and the certificate say; ADDRESS (if given) is the NTP server's.
#   Leaves the JSON in $T/out.
check_nts_ok() {
	local l=$1 spec=$2 port=$3 clen=$4 addr=${5:-} want_days now i
	run_sundial query --nts --ca "$NTS_CA" "${QFAST[@]}" --json "$spec"
	is "$RC" 0 "$l: exit 0"
	[ "$RC" = 0 ] || show_run
	jis servers.0.status ok "$l: status ok"
	like "$(jf servers.0.message)" "NTS-authenticated" "$l: message says NTS-authenticated"
	jis servers.0.auth.method nts "$l: auth.method nts"
	jis servers.0.auth.result valid "$l: auth.result valid"
	num_is "$(absval "$(jf servers.0.offset)")" '<' 0.001 "$l: |offset| < 1 ms ($(jf servers.0.offset))"
	num_is "$(jf servers.0.delay)" '<' 0.01 "$l: delay < 10 ms"
	jis servers.0.samples.valid 4 "$l: 4 of 4 samples valid"
	for i in 0 1 2 3; do
		jis "servers.0.sample_list.$i.nts" ok "$l: sample $i: NTS verdict ok"
	done
	jis servers.0.port "$port" "$l: NTP port is the daemon's ($port)"
	jis servers.0.nts.port "$port" "$l: nts.port (negotiated or 123) is $port"
	[ -n "$addr" ] && jis servers.0.address "$addr" "$l: NTP server address $addr"
	jis servers.0.nts.ke_ok true "$l: nts.ke_ok"
	jis servers.0.nts.aead AES-SIV-CMAC-256 "$l: AEAD AES-SIV-CMAC-256"
	jis servers.0.nts.aead_id 15 "$l: AEAD id 15"
	jis servers.0.nts.tls_version TLSv1.3 "$l: TLS 1.3"
	jis servers.0.nts.cookies_received 8 "$l: 8 cookies received"
	jis servers.0.nts.cookie_length "$clen" "$l: cookies of $clen octets"
	jis servers.0.nts.cookies_left 8 "$l: 8 cookies left (each reply refilled what its request spent)"
	num_is "$(jf servers.0.nts.ke_seconds)" '>' 0 "$l: ke_seconds > 0"
	num_is "$(jf servers.0.nts.ke_seconds)" '<' 1 "$l: ke_seconds < 1 ($(jf servers.0.nts.ke_seconds))"
	jis servers.0.nts.certificate.subject "CN=localhost" "$l: certificate subject CN=localhost"
	jis servers.0.nts.certificate.issuer "CN=sundial test CA" "$l: certificate issuer CN=sundial test CA"
	jis servers.0.nts.certificate.not_after "$(date -u -d "@$NTS_CERT_NOT_AFTER" +%Y-%m-%dT%H:%M:%SZ)" \
		"$l: certificate not_after is the certificate's (openssl ca -enddate)"
	now=$(date +%s)
	want_days=$(awk -v a="$NTS_CERT_NOT_AFTER" -v n="$now" 'BEGIN { printf "%.6f", (a - n) / 86400 }')
	num_is "$(absdiff "$(jf servers.0.nts.certificate.days_left)" "$want_days")" '<' 0.001 \
		"$l: days_left $(jf servers.0.nts.certificate.days_left) is the certificate's ($want_days)"
}

# check_nts_fail LABEL EXIT FAILURE MESSAGE_ERE ARGS...: `sundial query
#   --nts ARGS` fails with that exit status, nts.failure and message, and
#   reports no offset (never a fallback to unauthenticated time).
check_nts_fail() {
	local l=$1 want=$2 failure=$3 re=$4
	shift 4
	run_sundial query --nts -n 2 -i 0.05 --json "$@"
	is "$RC" "$want" "$l: exit $want"
	[ "$RC" = "$want" ] || show_run
	jis servers.0.status nts_ke_failed "$l: status nts_ke_failed"
	jis servers.0.nts.failure "$failure" "$l: nts.failure $failure"
	like "$(jf servers.0.message)" "$re" "$l: message /$re/"
	jis servers.0.offset "<missing>" "$l: no offset reported"
	jis servers.0.address null "$l: no NTP server queried"
	run_sundial query --nts -n 2 -i 0.05 "$@"
	is "$RC" "$want" "$l: text: exit $want"
	like "$OUT" "NTS key exchange failed: .*$re" "$l: text: 'NTS key exchange failed: ...'"
	like "$ERR" "NTS key exchange failed" "$l: stderr names the failure"
}
