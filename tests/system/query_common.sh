# shellcheck shell=bash
# query_common.sh - checks of `sundial query` shared by query_chronyd.sh and
# query_ntpsec.sh.  Sourced after lib.sh.  Each function takes a label (the
# daemon and the address family) so that the "ok" lines say what was tested.

# Fast but complete: 4 samples 50 ms apart, 1 s timeout.
QFAST=(-n 4 -i 0.05 -t 1)

# require_sundial: the binary must exist and answer --help.
require_sundial() {
	[ -x "$SUNDIAL" ] || bail_out "sundial binary '$SUNDIAL' is missing (ninja -C build)"
	"$SUNDIAL" query --help >/dev/null 2>&1 || bail_out "'$SUNDIAL query --help' fails"
}

# jis PATH WANT NAME (lib.sh): a field of the last JSON output.

# check_plain LABEL SERVER ADDRESS PORT STRATUM REFID
#   A plain query: exit 0, status ok, the server's stratum and refid,
#   |offset| < 1 ms, 0 < delay < 10 ms, 4 of 4 samples.
check_plain() {
	local l=$1 server=$2 addr=$3 port=$4 stratum=$5 refid=$6 off del
	run_sundial query "${QFAST[@]}" --json "$server"
	is "$RC" 0 "$l: plain query of $server exits 0"
	if ! json_valid; then not_ok "$l: --json output is valid JSON"; show_run; return; fi
	ok "$l: --json output is valid JSON"
	jis servers.0.status ok "$l: status ok"
	jis servers.0.address "$addr" "$l: address $addr"
	jis servers.0.port "$port" "$l: port $port"
	jis servers.0.stratum "$stratum" "$l: stratum $stratum"
	jis servers.0.refid "$refid" "$l: refid $refid"
	jis servers.0.leap none "$l: leap none"
	jis servers.0.version 4 "$l: version 4"
	jis servers.0.kiss_code null "$l: no kiss code"
	jis servers.0.auth.result none "$l: auth.result none (no key given)"
	jis servers.0.samples.sent 4 "$l: 4 samples sent"
	jis servers.0.samples.received 4 "$l: 4 samples received"
	off=$(jf servers.0.offset)
	del=$(jf servers.0.delay)
	num_is "$(absval "$off")" '<' 0.001 "$l: |offset| < 1 ms (offset $off s)"
	num_is "$del" '>' 0 "$l: delay > 0 (delay $del s)"
	num_is "$del" '<' 0.01 "$l: delay < 10 ms on loopback"
	num_is "$(jf servers.0.samples.delay_min)" '<=' "$(jf servers.0.samples.delay_median)" \
		"$l: delay_min <= delay_median"
}

# check_forms LABEL PORT HOST: the same server named three ways.
check_forms() {
	local l=$1 port=$2 host=$3 hp
	case "$host" in *:*) hp="[$host]:$port" ;; *) hp="$host:$port" ;; esac
	run_sundial query -n 1 -t 1 --json "$hp"
	is "$RC" 0 "$l: '$hp' form exits 0"
	is "$(jf servers.0.address)/$(jf servers.0.port)" "$host/$port" "$l: '$hp' queries $host port $port"
	run_sundial query -n 1 -t 1 --json -p "$port" "$host"
	is "$RC" 0 "$l: '-p $port $host' form exits 0"
	is "$(jf servers.0.address)/$(jf servers.0.port)" "$host/$port" "$l: '-p $port $host' queries $host port $port"
	# An explicit :port wins over -p.
	run_sundial query -n 1 -t 1 --json -p 9 "$hp"
	is "$RC/$(jf servers.0.port)" "0/$port" "$l: '$hp' overrides -p 9"
	# Text output names the address.
	run_sundial query -n 1 -t 1 "$hp"
	is "$RC" 0 "$l: text output exits 0"
	like "$OUT" "$host" "$l: text output names $host"
}

# check_auth_valid LABEL SERVER KEYFILE ID ALGORITHM [FORMAT]
check_auth_valid() {
	local l=$1 server=$2 kf=$3 id=$4 alg=$5 fmt=${6:-}
	local extra=()
	[ -n "$fmt" ] && extra=(--key-format "$fmt")
	run_sundial query -n 1 -t 1 --json -k "$kf" -a "$id" "${extra[@]}" "$server"
	is "$RC" 0 "$l: key $id ($alg, $(basename "$kf")${fmt:+, --key-format $fmt}) accepted, exit 0"
	jis servers.0.status ok "$l: key $id: status ok"
	jis servers.0.auth.result valid "$l: key $id: auth.result valid"
	jis servers.0.auth.key_id "$id" "$l: key $id: auth.key_id $id"
	jis servers.0.auth.algorithm "$alg" "$l: key $id: auth.algorithm $alg"
}

# check_auth_ignored LABEL HOST PORT SERVER KEYFILE ID WHAT PROBEKEY
#   The daemon sends nothing back to a request whose MAC it cannot verify
#   (checked first with ntp_probe.py, so a daemon that starts sending a
#   crypto-NAK makes this fail loudly), and sundial, which sees the same
#   server answer unauthenticated requests, reports an authentication failure.
check_auth_ignored() {
	local l=$1 host=$2 port=$3 server=$4 kf=$5 id=$6 what=$7 pk=$8
	is "$(probe_field reply -t 1 -k "$pk" "$host" "$port")" false \
		"$l: the daemon sends nothing back to a request with $what (probe)"
	run_sundial query -n 1 -t 1 --json -k "$kf" -a "$id" "$server"
	is "$RC" 6 "$l: $what: exit 6"
	jis servers.0.status auth_failed "$l: $what: status auth_failed"
	jis servers.0.auth.result ignored "$l: $what: auth.result ignored (request dropped, no crypto-NAK)"
	jis servers.0.auth.key_id "$id" "$l: $what: auth.key_id $id"
	like "$(jf servers.0.message)" "authentication failed" "$l: $what: message says 'authentication failed'"
	run_sundial query -n 1 -t 1 -k "$kf" -a "$id" "$server"
	is "$RC" 6 "$l: $what: exit 6 without --json too"
	like "$OUT$ERR" "authentication failed" "$l: $what: text output says 'authentication failed'"
}

# check_nagios LABEL HOST PORT SERVER
#   --nagios beside check_ntp_time (the plugin it claims to replace).
check_nagios() {
	local l=$1 host=$2 port=$3 server=$4 line cnt cnt_rc off
	[ -x "$CHECK_NTP_TIME" ] || { not_ok "$l: check_ntp_time ($CHECK_NTP_TIME) is missing (monitoring-plugins-basic)"; return; }
	run_sundial query -n 1 -t 1 --nagios "$server"
	line=$(printf '%s\n' "$OUT" | head -n 1)
	is "$RC" 0 "$l: --nagios exits 0 (OK)"
	like "$line" '^NTP OK:' "$l: --nagios output starts with 'NTP OK:'"
	like "$line" '\|.*offset=[-+]?[0-9.]+(e[-+]?[0-9]+)?s;60(\.0*)?;120(\.0*)?;' \
		"$l: --nagios perfdata has offset=<s>s;60;120; like check_ntp_time"
	off=$(printf '%s\n' "$line" | sed -n 's/.*offset=\([-+0-9.e]*\)s;.*/\1/p')
	num_is "$(absval "${off:-x}")" '<' 0.001 "$l: --nagios perfdata offset within 1 ms ($off)"
	cnt=$("$CHECK_NTP_TIME" -H "$host" -p "$port" -t 5 2>&1)
	cnt_rc=$?
	echo "# check_ntp_time: $cnt (exit $cnt_rc)"
	like "$cnt" '^NTP OK:.*\|offset=' "$l: check_ntp_time (oracle) also says NTP OK"
	# Thresholds: offsets on loopback are ~1e-6 s, never under 1e-9 s.
	run_sundial query -n 1 -t 1 --nagios -w 0.000000001 -c 1 "$server"
	is "$RC" 1 "$l: --nagios -w 1e-9: exit 1 (WARNING)"
	like "$OUT" '^NTP WARNING:' "$l: --nagios -w 1e-9: 'NTP WARNING:'"
	run_sundial query -n 1 -t 1 --nagios -w 0.000000001 -c 0.000000002 "$server"
	is "$RC" 2 "$l: --nagios -c 2e-9: exit 2 (CRITICAL)"
	like "$OUT" '^NTP CRITICAL:' "$l: --nagios -c 2e-9: 'NTP CRITICAL:'"
	"$CHECK_NTP_TIME" -H "$host" -p "$port" -w 0.000000001 -c 0.000000002 >/dev/null 2>&1
	is "$?" 2 "$l: check_ntp_time -c 2e-9 also exits 2 (oracle)"
}

# check_oracles LABEL HOST PORT SERVER
#   sundial's offset and stratum against ntpdig's and chronyd -Q's.
check_oracles() {
	local l=$1 host=$2 port=$3 server=$4 s_off s_str d_json d_off d_str q_off
	run_sundial query "${QFAST[@]}" --json "$server"
	s_off=$(jf servers.0.offset)
	s_str=$(jf servers.0.stratum)
	is "$RC" 0 "$l: oracle run of sundial exits 0"

	if [ "$port" = 123 ]; then
		d_json=$(timeout 30 "$NTPDIG" -j -t 2 "$host" 2>"$T/ntpdig.err")
	else
		d_json=$(ntpdig_at "$host" "$port" 2>"$T/ntpdig.err")
	fi
	printf '%s\n' "$d_json" >"$T/ntpdig.json"
	echo "# ntpdig: $d_json $(head -c 300 "$T/ntpdig.err")"
	d_off=$(jf offset "$T/ntpdig.json")
	d_str=$(jf stratum "$T/ntpdig.json")
	if [ "$d_off" = "<invalid json>" ] || [ "$d_off" = "<missing>" ]; then
		not_ok "$l: ntpdig (oracle) answers" "$(cat "$T/ntpdig.err")"
	else
		num_is "$(absdiff "$s_off" "$d_off")" '<' 0.001 "$l: offset agrees with ntpdig within 1 ms (sundial $s_off, ntpdig $d_off)"
		is "$s_str" "$d_str" "$l: stratum agrees with ntpdig ($d_str)"
	fi

	q_off=$(chronyd_q "$host" "$port")
	echo "# chronyd -Q: $(grep -v 'starting\|exiting' "$T/chronyd-q.log" | tr '\n' ' ')"
	if [ -z "$q_off" ]; then
		not_ok "$l: chronyd -Q (oracle) measures an offset" "$(cat "$T/chronyd-q.log")"
	else
		num_is "$(absdiff "$s_off" "$q_off")" '<' 0.001 "$l: offset agrees with chronyd -Q within 1 ms (sundial $s_off, chronyd -Q $q_off)"
	fi
}

# check_unsync LABEL HOST PORT SERVER
check_unsync() {
	local l=$1 host=$2 port=$3 server=$4 cnt_rc
	run_sundial query -n 1 -t 1 --json "$server"
	is "$RC" 1 "$l: unsynchronised server: exit 1"
	jis servers.0.status unsynchronised "$l: unsynchronised server: status unsynchronised"
	jis servers.0.leap unsynchronised "$l: unsynchronised server: leap unsynchronised"
	# An unsynchronised server is not a kiss-o'-death, even when its refid
	# looks like a kiss code (NTPsec: stratum 0, refid INIT; RFC 5905 7.4
	# makes only DENY, RSTR and RATE ask anything of the client).
	echo "# kiss_code: $(jf servers.0.kiss_code)"
	like "$(jf servers.0.message)" "not synchronised" "$l: unsynchronised server: message 'not synchronised'"
	run_sundial query -n 1 -t 1 "$server"
	is "$RC" 1 "$l: unsynchronised server: exit 1 without --json"
	like "$OUT$ERR" "not synchronised" "$l: unsynchronised server: text says 'not synchronised'"
	run_sundial query -n 1 -t 1 --nagios "$server"
	is "$RC" 2 "$l: unsynchronised server: --nagios exit 2 (CRITICAL)"
	like "$OUT" '^NTP CRITICAL:' "$l: unsynchronised server: 'NTP CRITICAL:'"
	"$CHECK_NTP_TIME" -H "$host" -p "$port" -t 5 >"$T/cnt.out" 2>&1
	cnt_rc=$?
	echo "# check_ntp_time: $(cat "$T/cnt.out") (exit $cnt_rc)"
	is "$cnt_rc" 2 "$l: unsynchronised server: check_ntp_time (oracle) exits 2 too"
}
