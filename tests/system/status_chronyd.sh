#!/bin/bash
# status_chronyd.sh - `sundial status` against chronyd (its command
# protocol, over UDP and over the Unix socket), with chronyc asked at the
# same moment as the oracle.
#
# Peers (lib.sh start_chronyd_mon):
#   chronyd-mon      -x; NTP on 127.0.0.1/::1; command port 323 (free in the
#                    test's namespace) on 127.0.0.1/::1; Unix socket
#                    $T/chronyd-mon/chronyd.sock; sources 127.0.0.11 (chronyd,
#                    stratum 3), 127.0.0.12 (chronyd, stratum 4), 127.0.0.13
#                    (nothing there), polled every 0.25 s: stratum 4
#   chronyd-unsync   the same with only the dead source: not synchronised
#   blackhole        a UDP port that never answers
# Facts about chronyd 4.3 this test relies on (cmdmon.c, and re-checked with
# chronyc below):
#   - over UDP only the "open" commands are allowed (tracking, sources,
#     sourcestats, activity, ...); serverstats, clients, ntpdata,
#     selectdata get status 2 (chronyc: "501 Not authorised") from any
#     address: they need the Unix socket (root or chrony's user);
#   - the Unix socket's folder must be 0770 or less, owned by chronyd's
#     user, or chronyd disables the socket ("Wrong permissions");
#   - chronyc (and any client) binds its own datagram socket next to it
#     ("chronyc.PID.sock") for the reply.
# Values that move between readings (counters, sample counts) are checked
# to lie between a chronyc reading just before and one just after sundial's.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

require_status
require_chronyc
private_run_chrony
# Port 323 is free in the test's own namespace: then `sundial status`
# without a target finds this chronyd as it would the local one.
[ -n "${SUNDIAL_IN_NETNS:-}" ] && CHRONYD_CMD_WANT_PORT=323
start_chronyd_mon chronyd-mon sync
unset CHRONYD_CMD_WANT_PORT
CMD=$CHRONYD_MON_CMDPORT
SOCK=$CHRONYD_MON_SOCK
NTPP=$CHRONYD_MON_PORT
U="127.0.0.1:$CMD"

leap_name() {
	case "$1" in Normal) echo none ;; "Insert second") echo insert ;; "Delete second") echo delete ;;
		"Not synchronised") echo unsynchronised ;; *) echo "?$1" ;; esac
}
oct_to_int() { printf '%d\n' "0$1" 2>/dev/null || echo x; }

# check_tracking LABEL TARGET [sundial options]
check_tracking() {
	local l=$1 target=$2 rf
	shift 2
	oracle_to "$T/tr-a.json" chronyc "$target" tracking
	run_sundial status --json "$@" "$target"
	oracle_to "$T/tr-b.json" chronyc "$target" tracking
	cp "$T/out" "$T/st-tr.json"
	is "$RC" 0 "$l: synchronised chronyd: exit 0"
	if json_valid "$T/out"; then ok "$l: --json output is valid JSON"; else not_ok "$l: --json output is valid JSON"; show_run; return; fi
	jis daemon chronyd "$l: daemon chronyd"
	jis system.synchronised true "$l: system.synchronised true"
	is "$(jf system.leap)" "$(leap_name "$(jf rows.0.leap "$T/tr-a.json")")" "$l: leap as chronyc tracking ('$(jf rows.0.leap "$T/tr-a.json")')"
	is "$(jf system.stratum)" "$(jf rows.0.stratum "$T/tr-a.json")" "$l: stratum as chronyc tracking ($(jf rows.0.stratum "$T/tr-a.json"))"
	rf=$(jf rows.0.refid "$T/tr-a.json")
	[ -n "$rf" ] || rf=$(jf rows.0.refid_hex "$T/tr-a.json")
	is "$(jf system.refid)" "$rf" "$l: refid as chronyc tracking ($rf)"
	like "$(jf system.sys_peer)" "^$rf$" "$l: sys_peer is the reference ($rf)"
	for f in root_delay root_dispersion; do
		if near "$(jf "system.$f")" "$(jf "rows.0.$f" "$T/tr-a.json")" 0.001 ||
		   near "$(jf "system.$f")" "$(jf "rows.0.$f" "$T/tr-b.json")" 0.001; then
			ok "$l: $f as chronyc tracking ($(jf "system.$f") s)"
		else not_ok "$l: $f as chronyc tracking" "got $(jf "system.$f"); chronyc $(jf "rows.0.$f" "$T/tr-a.json") / $(jf "rows.0.$f" "$T/tr-b.json")"; fi
	done
	# chronyc was asked just before and just after sundial: an update may
	# fall between, so either answer will do.
	if near "$(jf system.update_interval)" "$(jf rows.0.update_interval "$T/tr-b.json")" 0.3 ||
		near "$(jf system.update_interval)" "$(jf rows.0.update_interval "$T/tr-a.json")" 0.3; then
		ok "$l: update_interval as chronyc tracking (~0.25 s polls)"
	else not_ok "$l: update_interval as chronyc tracking" "got $(jf system.update_interval); chronyc $(jf rows.0.update_interval "$T/tr-a.json") before, $(jf rows.0.update_interval "$T/tr-b.json") after"; fi
	for f in rms_offset skew residual_frequency frequency; do
		like "$(jf "system.$f")" '^-?[0-9]' "$l: system.$f is a number"
	done
}

# check_sources LABEL TARGET
check_sources() {
	local l=$1 target=$2 n k a i m lo hi st
	oracle_to "$T/so-a.json" chronyc "$target" sources
	oracle_to "$T/ss-a.json" chronyc "$target" sourcestats
	run_sundial status --json "$target"
	oracle_to "$T/ss-b.json" chronyc "$target" sourcestats
	cp "$T/out" "$T/st-so.json"
	n=$(jlen rows "$T/so-a.json")
	is "$(jlen sources)" "$n" "$l: as many sources as chronyc sources ($n)"
	for k in $(seq 0 $((n - 1))); do
		a=$(jf "rows.$k.address" "$T/so-a.json")
		i=$(jidx sources address "$a")
		if [ "$i" -lt 0 ]; then not_ok "$l: source $a is listed"; show_run; continue; fi
		m="$l: $a"
		st=$(jf "rows.$k.state" "$T/so-a.json")
		is "$(jf "sources.$i.tally")" "$st" "$m: tally '$st' as chronyc sources"
		case "$st" in
			'*') jis "sources.$i.selection" sys.peer "$m: selection sys.peer" ;;
			'+') jis "sources.$i.selection" candidate "$m: selection candidate" ;;
		esac
		jis "sources.$i.mode" server "$m: mode server ('^')"
		is "$(jf "sources.$i.stratum")" "$(jf "rows.$k.stratum" "$T/so-a.json")" "$m: stratum as chronyc sources"
		is "$(jf "sources.$i.reach")" "$(oct_to_int "$(jf "rows.$k.reach" "$T/so-a.json")")" "$m: reach as chronyc sources ($(jf "rows.$k.reach" "$T/so-a.json") octal)"
		is "$(jf "sources.$i.hpoll")" "$(jf "rows.$k.poll" "$T/so-a.json")" "$m: poll as chronyc sources"
		lo=$(jf "rows.$k.np" "$T/ss-a.json"); hi=$(jf "rows.$k.np" "$T/ss-b.json")
		num_between "$(awk -v a="$lo" -v b="$hi" 'BEGIN{print (a<b?a:b) - 2}')" "$(jf "sources.$i.samples")" \
			"$(awk -v a="$lo" -v b="$hi" 'BEGIN{print (a>b?a:b) + 2}')" "$m: samples as chronyc sourcestats NP"
		case "$st" in
			'*'|'+'|'-')
				num_is "$(absval "$(jf "sources.$i.std_dev")")" '<' 0.001 "$m: std_dev in seconds (< 1 ms on loopback)"
				num_is "$(absval "$(jf "sources.$i.offset")")" '<' 0.001 "$m: offset in seconds (< 1 ms on loopback)"
				;;
		esac
	done
	is "$(jf "sources.$(jidx sources address 127.0.0.13).reach")" 0 "$l: 127.0.0.13 (nothing there): reach 0"
}

for via in udp sock; do
	case $via in
		udp)  target=$U;     l="chronyd udp" ;;
		sock) target=$SOCK;  l="chronyd socket" ;;
	esac
	check_tracking "$l" "$target"
	like "$(jf target "$T/st-tr.json")" "$([ $via = udp ] && echo "127\.0\.0\.1" || echo "chronyd\.sock")" "$l: target named"
	check_sources "$l sources" "$target"
done
run_sundial status --json --chronyd -p "$CMD" 127.0.0.1
is "$RC/$(jf daemon)/$(jf system.stratum)" "0/chronyd/4" "chronyd udp --chronyd -p $CMD 127.0.0.1: exit 0, chronyd, stratum 4"
run_sundial status --json "[::1]:$CMD"
is "$RC/$(jf daemon)/$(jf system.stratum)" "0/chronyd/4" "chronyd udp [::1]:$CMD: exit 0, chronyd, stratum 4"

# --- serverstats: socket only -----------------------------------------------
l="chronyd serverstats"
for a in 127.0.0.2 127.0.0.3; do probe -b "$a" 127.0.0.1 "$NTPP" >/dev/null; done
oracle_to "$T/sv-a.json" chronyc "$SOCK" serverstats
run_sundial status --json "$SOCK"
oracle_to "$T/sv-b.json" chronyc "$SOCK" serverstats
cp "$T/out" "$T/st-sv.json"
jis errors "[]" "$l: over the socket: no errors"
for c in ntp_hits ntp_drops cmd_hits cmd_drops log_drops nke_hits nke_drops ntp_auth_hits ntp_interleaved_hits; do
	num_between "$(jf "rows.0.$c" "$T/sv-a.json")" "$(jf "counters.$c")" "$(jf "rows.0.$c" "$T/sv-b.json")" \
		"$l: $c between chronyc serverstats before and after"
done
num_is "$(jf counters.ntp_hits)" '>=' 2 "$l: ntp_hits counts the 2 requests sent (>= 2)"
# Over UDP chronyd refuses serverstats (chronyc too); sundial shows the rest
# and says why.
l="chronyd udp serverstats"
oracle_to "$T/sv-u.json" chronyc "$U" serverstats
like "$(jf error "$T/sv-u.json")" "Not authorised" "$l: chronyc over UDP is refused too ('$(jf error "$T/sv-u.json")')"
run_sundial status --json "$U"
is "$RC" 0 "$l: refused serverstats does not fail the rest: exit 0"
is "$(jf system.stratum)/$(jlen sources)" "4/3" "$l: tracking and sources still shown"
i=$(jidx errors what serverstats)
if [ "$i" -ge 0 ]; then
	ok "$l: errors lists serverstats"
	like "$(jf "errors.$i.message")" "needs chronyd's Unix socket" "$l: the message says it needs chronyd's Unix socket"
else not_ok "$l: errors lists serverstats"; show_run; fi
is "$(jf counters.ntp_hits)" "<missing>" "$l: no made-up ntp_hits"
run_sundial status "$U"
is "$RC" 0 "$l: text: exit 0"
like "$OUT$ERR" "needs chronyd's Unix socket" "$l: text says serverstats needs chronyd's Unix socket"

# --- clients -------------------------------------------------------------------
l="chronyd clients"
run_sundial query -n 1 -t 1 -b 127.0.0.4 "127.0.0.1:$NTPP" >/dev/null
oracle_to "$T/cl-a.json" chronyc "$SOCK" clients
run_sundial status --json --clients "$SOCK"
cp "$T/out" "$T/st-cl.json"
is "$RC" 0 "$l: --clients over the socket: exit 0"
jis clients.from "chronyd client log" "$l: clients.from 'chronyd client log'"
n=$(jlen rows "$T/cl-a.json")
for k in $(seq 0 $((n - 1))); do
	a=$(jf "rows.$k.address" "$T/cl-a.json")
	i=$(jidx clients.entries address "$a")
	if [ "$i" -ge 0 ]; then
		ok "$l: lists $a, as chronyc clients"
		case "$a" in
			127.0.0.[234]) is "$(jf "clients.entries.$i.count")" "$(jf "rows.$k.ntp_hits" "$T/cl-a.json")" "$l: $a: count as chronyc clients NTP hits" ;;
		esac
	else not_ok "$l: lists $a, as chronyc clients"; fi
done
for a in 127.0.0.2 127.0.0.3 127.0.0.4; do
	num_is "$(jidx clients.entries address "$a")" '>=' 0 "$l: lists $a (queried from it)"
done
run_sundial status --json --clients --limit 1 "$SOCK"
is "$(jlen clients.entries)" 1 "$l: --limit 1 keeps one entry"
num_is "$(jf clients.total)" '>=' 3 "$l: --limit 1 still counts them all (total $(jf clients.total))"
run_sundial status --clients "$SOCK"
like "$OUT" "127\.0\.0\.3" "$l: text output lists 127.0.0.3"
l="chronyd udp clients"
run_sundial status --json --clients "$U"
is "$RC" 0 "$l: refused client log does not fail the rest: exit 0"
i=$(jidx errors what clients)
if [ "$i" -ge 0 ]; then
	like "$(jf "errors.$i.message")" "needs chronyd's Unix socket" "$l: errors says the client log needs chronyd's Unix socket"
else not_ok "$l: errors lists clients"; show_run; fi

# --- Nagios, Prometheus ----------------------------------------------------------
l="chronyd nagios"
oracle_to "$T/so-n.json" chronyc "$SOCK" sources
good=$("$PYTHON" -c 'import json,sys; print(sum(1 for r in json.load(open(sys.argv[1]))["rows"] if r["state"] in "*+"))' "$T/so-n.json")
run_sundial status --nagios "$SOCK"
is "$RC" 0 "$l: synchronised: exit 0"
like "$OUT" "^NTP OK" "$l: 'NTP OK'"
like "$OUT" "\|.*offset=[-+0-9.eE]+s" "$l: perfdata offset=..s"
like "$OUT" "\|.*jitter=[-+0-9.eE]+s" "$l: perfdata jitter=..s"
like "$OUT" "\|.*stratum=4([^0-9]|$)" "$l: perfdata stratum=4 (as chronyc tracking)"
like "$OUT" "\|.*truechimers=$good([^0-9]|$)" "$l: perfdata truechimers=$good ('*' and '+' in chronyc sources)"
run_sundial status --nagios -M 3 "$U"
is "$RC" 2 "$l: -M 3 with $good good sources: CRITICAL, exit 2"
like "$OUT" "^NTP CRITICAL" "$l: -M 3: 'NTP CRITICAL'"

l="chronyd prom"
run_sundial status --prom "$SOCK"
is "$RC" 0 "$l: exit 0"
cp "$T/out" "$T/prom.txt"
prom_check "$T/prom.txt" "$l"
is "$(grep -v '^#' "$T/prom.txt" | grep -v '^$' | grep -cv '^sundial_')" 0 "$l: every sample is named sundial_*"
is "$(prom_value "$T/prom.txt" sundial_daemon_stratum)" 4.0 "$l: sundial_daemon_stratum 4"
is "$(prom_value "$T/prom.txt" sundial_daemon_synchronised)" 1.0 "$l: sundial_daemon_synchronised 1"
is "$(prom_value "$T/prom.txt" sundial_daemon_source_reach_ratio)" 1.0 "$l: the first source's reach ratio is 1"

# --- without a target ----------------------------------------------------------
if [ -n "${SUNDIAL_IN_NETNS:-}" ] && [ "$CMD" = 323 ]; then
	l="chronyd no target"
	if [ -n "$RUN_CHRONY" ]; then
		ln -s "$SOCK" "$RUN_CHRONY/chronyd.sock"
		run_sundial status --json
		is "$RC/$(jf daemon)/$(jf system.stratum)" "0/chronyd/4" "$l: finds chronyd's socket /run/chrony/chronyd.sock"
		like "$(jf target)" "/run/chrony/chronyd\.sock" "$l: target is /run/chrony/chronyd.sock"
		num_is "$(jf counters.ntp_hits)" '>=' 2 "$l: over the socket, serverstats are there"
		rm -f "$RUN_CHRONY/chronyd.sock"
	else
		echo "# no /run/chrony here: the default socket is not tried"
	fi
	run_sundial status --json
	is "$RC/$(jf daemon)/$(jf system.stratum)" "0/chronyd/4" "$l: without the socket, finds chronyd on 127.0.0.1:323"
	like "$(jf target)" "127\.0\.0\.1" "$l: target 127.0.0.1(:323)"
	run_sundial status --json 127.0.0.1:323
	is "$RC/$(jf daemon)" "0/chronyd" "$l: 127.0.0.1:323 is chronyd"
fi

# --- unsynchronised; exit statuses -------------------------------------------------
start_chronyd_mon chronyd-unsync unsync
l="chronyd unsync"
UU="127.0.0.1:$CHRONYD_MON_CMDPORT"
oracle_to "$T/tr-u.json" chronyc "$CHRONYD_MON_SOCK" tracking
run_sundial status --json "$CHRONYD_MON_SOCK"
is "$RC" 1 "$l: exit 1"
jis system.synchronised false "$l: synchronised false"
is "$(jf system.leap)" "$(leap_name "$(jf rows.0.leap "$T/tr-u.json")")" "$l: leap as chronyc tracking ('$(jf rows.0.leap "$T/tr-u.json")')"
is "$(jf system.stratum)" "$(jf rows.0.stratum "$T/tr-u.json")" "$l: stratum as chronyc tracking"
is "$(jf system.refid)" "$(jf rows.0.refid_hex "$T/tr-u.json")" "$l: refid as chronyc tracking (no reference)"
# Another port than 323 without --chronyd: chronyd's protocol is tried first.
run_sundial status --json "$UU"
is "$RC/$(jf daemon)" "1/chronyd" "$l: $UU (not 323) is detected as chronyd"
run_sundial status --nagios "$UU"
is "$RC" 2 "$l: --nagios: CRITICAL, exit 2"
like "$OUT" "^NTP CRITICAL" "$l: --nagios: 'NTP CRITICAL'"

l="chronyd exit"
closed=$(free_udp_port)
run_sundial status --json --chronyd -t 1 "127.0.0.1:$closed"
is "$RC" 5 "$l: nothing listening (port unreachable): exit 5"
run_sundial status --json "$T/no-such.sock"
is "$RC" 5 "$l: no such socket: exit 5"
start_blackhole
start=$(date +%s)
run_sundial status --json --chronyd -t 1 "127.0.0.1:$BLACKHOLE_PORT"
is "$RC" 3 "$l: no answer: exit 3"
num_is "$(( $(date +%s) - start ))" '<=' 8 "$l: no answer: gives up within 3 tries of 1 s"
run_sundial status --nagios --chronyd -t 1 "127.0.0.1:$closed"
like "$RC" "^[23]$" "$l: --nagios, nothing listening: exit 2 or 3"
like "$OUT" "^NTP (CRITICAL|UNKNOWN)" "$l: --nagios, nothing listening: 'NTP CRITICAL' or 'NTP UNKNOWN'"
if [ -n "${SUNDIAL_IN_NETNS:-}" ]; then
	start_nxdomain_dns
	run_sundial status --json --chronyd no-such-host.example
	is "$RC" 4 "$l: a name that does not resolve: exit 4"
fi
run_sundial status --json --chronyd --ntpd 127.0.0.1
is "$RC" 64 "$l: --chronyd with --ntpd: usage error, exit 64"

finish
