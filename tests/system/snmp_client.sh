#!/bin/bash
# snmp_client.sh - net/snmp_client against net-snmp's snmpd on loopback,
# through the test-only driver snmp_probe (tests/system/snmp_probe.c), with
# net-snmp's own snmpget and snmpwalk as the oracle:
#   - SNMPv2c: GET of sysDescr.0, sysObjectID.0 and sysUpTime.0 gives what
#     snmpget gives (the uptime within a few seconds);
#   - a GETBULK walk of ifTable's ifDescr column, of IF-MIB::ifName and of
#     the whole system group gives what snmpwalk gives, also with
#     max-repetitions 1 (one request per row) and when driven as an event
#     loop would;
#   - a GET of an absent object gives noSuchObject, a walk of an empty
#     subtree nothing;
#   - SNMPv3 authPriv with SHA-256 and AES-128, for a user the test creates
#     (createUser, persistent state under $T), also with SHA-1 for a second
#     user: the same values as v2c;
#   - a wrong authentication passphrase: "authentication failure" at once;
#     a wrong privacy passphrase: a timeout that says it may be that (snmpd
#     drops what it cannot decrypt, counting snmpInASNParseErrs); an
#     unknown user: "unknown user";
#   - a wrong community and a port where nothing listens: "timeout" after
#     timeout x (retries + 1), not later;
#   - a credentials file readable by others is refused, saying so;
#   - an address without a route: "unreachable" at once.
#
# Environment: SNMP_PROBE (the driver; default build/tests/snmp_probe),
# SNMPD, SNMPGET, SNMPWALK.

# shellcheck source=tests/system/lib.sh
. "$(dirname "$0")/lib.sh"

SNMP_PROBE=${SNMP_PROBE:-$(dirname "$TESTS_DIR")/build/tests/snmp_probe}
SNMPD=${SNMPD:-/usr/sbin/snmpd}
SNMPGET=${SNMPGET:-snmpget}
SNMPWALK=${SNMPWALK:-snmpwalk}

[ -x "$SNMP_PROBE" ] || bail_out "the driver '$SNMP_PROBE' is missing (ninja -C build)"
[ -x "$SNMPD" ] || bail_out "net-snmp's snmpd ($SNMPD) is not installed (scripts/install-deps)"
for t in "$SNMPGET" "$SNMPWALK"; do
	command -v "$t" >/dev/null 2>&1 || bail_out "$t is not installed (scripts/install-deps: snmp)"
done

# Numeric OIDs only, and no configuration of the user running the test.
export MIBS="" MIBDIRS="" SNMPCONFPATH="$T/snmp-client-conf" HOME="$T"
mkdir -p "$SNMPCONFPATH"

V3_USER=sundialv3
V3_AUTH="auth pass phrase 256"
V3_PRIV="priv pass phrase aes"
V3_USER1=sundialsha1
V3_AUTH1="sha1 auth phrase"
V3_PRIV1="sha1 priv phrase"

# --- snmpd on loopback ---
PORT=$(free_udp_port)
mkdir -p "$T/snmpd/persist"
chmod 700 "$T/snmpd"
cat >"$T/snmpd/snmpd.conf" <<EOC
agentaddress udp:127.0.0.1:$PORT
rocommunity public 127.0.0.1
createUser $V3_USER SHA-256 "$V3_AUTH" AES "$V3_PRIV"
createUser $V3_USER1 SHA "$V3_AUTH1" AES "$V3_PRIV1"
rouser $V3_USER priv
rouser $V3_USER1 priv
sysLocation sundial test lab
sysContact test@sundial.invalid
[snmp] persistentDir $T/snmpd/persist
EOC
_spawn snmpd env SNMP_PERSISTENT_DIR="$T/snmpd/persist" "$SNMPD" -f -C -c "$T/snmpd/snmpd.conf" \
	-Lf "$T/snmpd/snmpd.log" -p "$T/snmpd/snmpd.pid" -M /nonexistent -m ""

SYSDESCR=1.3.6.1.2.1.1.1.0
SYSOBJID=1.3.6.1.2.1.1.2.0
SYSUPTIME=1.3.6.1.2.1.1.3.0
SYSTEM=1.3.6.1.2.1.1
IFDESCR=1.3.6.1.2.1.2.2.1.2
IFNAME=1.3.6.1.2.1.31.1.1.1.1

for _ in $(seq 1 100); do
	"$SNMPGET" -v2c -c public -t 0.2 -r 0 -On -Oq "127.0.0.1:$PORT" "$SYSDESCR" >/dev/null 2>&1 && break
	kill -0 "$(_pid_of snmpd)" 2>/dev/null || _daemon_failed snmpd "exited during start-up"
	sleep 0.1
done
"$SNMPGET" -v2c -c public -t 0.5 -r 0 -On -Oq "127.0.0.1:$PORT" "$SYSDESCR" >/dev/null 2>&1 ||
	_daemon_failed snmpd "does not answer snmpget on 127.0.0.1 port $PORT"
echo "# snmpd ready on 127.0.0.1 port $PORT"

# --- credentials ---
creds() { # NAME TEXT...: a credentials file $T/NAME.creds, mode 600
	local f=$T/$1.creds
	shift
	(umask 077 && printf '%s\n' "$@" >"$f")
	echo "$f"
}
C_V2=$(creds v2 "community public")
C_BADCOMM=$(creds badcomm "community private")
C_V3=$(creds v3 "user $V3_USER" "auth sha256 $V3_AUTH" "priv aes $V3_PRIV")
C_V3SHA1=$(creds v3sha1 "user $V3_USER1" "auth sha $V3_AUTH1" "priv aes $V3_PRIV1")
C_V3BADAUTH=$(creds v3badauth "user $V3_USER" "auth sha256 wrong $V3_AUTH" "priv aes $V3_PRIV")
C_V3BADPRIV=$(creds v3badpriv "user $V3_USER" "auth sha256 $V3_AUTH" "priv aes wrong $V3_PRIV")
C_V3NOUSER=$(creds v3nouser "user nosuchuser" "auth sha256 $V3_AUTH" "priv aes $V3_PRIV")

# probe ARGS...: runs the driver; stdout in $T/p.out (PO), stderr in
# $T/p.err (PE), exit status in PRC, the time it took in PT.
probe() {
	echo "# \$ snmp_probe $*"
	timeout -k 5 60 "$SNMP_PROBE" "$@" >"$T/p.out" 2>"$T/p.err"
	PRC=$?
	PO=$(cat "$T/p.out")
	PE=$(cat "$T/p.err")
	PERR=$(grep "^error:" "$T/p.err")
	PT=$(sed -n 's/^# took \([0-9.]*\) s.*/\1/p' "$T/p.err")
	echo "#   exit $PRC, $PT s"
	if grep -Eq 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' "$T/p.err"; then
		not_ok "snmp_probe $* runs clean under the sanitizers" "$(head -n 40 "$T/p.err")"
	fi
}
# value OID: the value column of the driver's line for OID
value() { awk -v o=".$1" '$1 == o { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$T/p.out"; }
# oracle output (-On -Oq -Oe -Ot: numeric OID, value, numbers as numbers,
# strings unquoted with -Oa) reduced to "OID VALUE"
oracle_get() { "$SNMPGET" -v2c -c public -t 1 -r 1 -On -Oq -Ot -Oe -Oa "127.0.0.1:$PORT" "$@" 2>&1; }
oracle_walk() { "$SNMPWALK" -v2c -c public -t 1 -r 1 -On -Oq -Ot -Oe -Oa "127.0.0.1:$PORT" "$@" 2>&1; }
# the driver's output as "OID VALUE" (the type dropped)
pairs() { awk '{ o = $1; $1 = ""; $2 = ""; sub(/^  /, ""); print o, $0 }' "$T/p.out"; }
# drop the quotes snmpwalk puts around strings
unquote() { sed -E 's/^([^ ]+) "(.*)"$/\1 \2/'; }

# --- SNMPv2c GET ---
probe -c "$C_V2" 127.0.0.1 "$PORT" get "$SYSDESCR" "$SYSOBJID" "$SYSUPTIME"
is "$PRC" 0 "v2c GET: exit 0"
WANT_DESCR=$(oracle_get "$SYSDESCR" | unquote | cut -d' ' -f2-)
is "$(value $SYSDESCR)" "$WANT_DESCR" "v2c GET: sysDescr.0 is snmpget's"
is "$(awk -v o=".$SYSDESCR" '$1 == o { print $2 }' "$T/p.out")" string "v2c GET: sysDescr.0 is a string"
is "$(value $SYSOBJID)" "$(oracle_get "$SYSOBJID" | cut -d' ' -f2-)" "v2c GET: sysObjectID.0 is snmpget's"
UP=$(value $SYSUPTIME)
UP_WANT=$(oracle_get "$SYSUPTIME" | cut -d' ' -f2)
is "$(awk -v o=".$SYSUPTIME" '$1 == o { print $2 }' "$T/p.out")" timeticks "v2c GET: sysUpTime.0 is TimeTicks"
num_is "$(absdiff "$UP" "$UP_WANT")" '<=' 300 "v2c GET: sysUpTime.0 ($UP) within 3 s of snmpget's ($UP_WANT)"

# --- GETBULK walks against snmpwalk ---
for col in "$IFDESCR" "$IFNAME" "$SYSTEM"; do
	oracle_walk "$col" | unquote | grep -v "^.$SYSUPTIME " >"$T/want"
	for mr in 0 1; do
		probe -c "$C_V2" -m "$mr" 127.0.0.1 "$PORT" walk "$col"
		pairs | grep -v "^.$SYSUPTIME " >"$T/got"
		is "$PRC" 0 "v2c walk of $col (max-repetitions ${mr/#0/20}): exit 0"
		if cmp -s "$T/got" "$T/want" && [ -s "$T/want" ]; then
			ok "v2c walk of $col (max-repetitions ${mr/#0/20}): what snmpwalk gives ($(wc -l <"$T/want") values)"
		else
			not_ok "v2c walk of $col (max-repetitions ${mr/#0/20}): what snmpwalk gives" "$(diff "$T/want" "$T/got" | head -n 20)"
		fi
	done
done
probe -c "$C_V2" -m 1 127.0.0.1 "$PORT" walk "$IFNAME"
N_IF=$(wc -l <"$T/p.out")
like "$PE" "$((N_IF + 1)) requests" "v2c walk with max-repetitions 1: one GETBULK per row and one past the end ($N_IF rows)"
like "$PO" "^.$IFNAME.1 string lo$" "v2c walk: ifName.1 is lo"
probe -e -c "$C_V2" 127.0.0.1 "$PORT" walk "$SYSTEM"
pairs | grep -v "^.$SYSUPTIME " >"$T/got"
oracle_walk "$SYSTEM" | unquote | grep -v "^.$SYSUPTIME " >"$T/want"
check "v2c walk driven by an event loop (fd, next timeout, done callback): snmpwalk's values" cmp -s "$T/got" "$T/want"

probe -c "$C_V2" 127.0.0.1 "$PORT" get 1.3.6.1.2.1.1.99.0 "$SYSDESCR"
is "$PRC" 0 "v2c GET of an absent object: exit 0"
like "$PO" "^.1.3.6.1.2.1.1.99.0 noSuchObject $" "v2c GET of an absent object: noSuchObject"
probe -c "$C_V2" 127.0.0.1 "$PORT" get 1.3.6.1.2.1.1.1.7
like "$PO" "noSuchInstance" "v2c GET of sysDescr.7: noSuchInstance"
probe -c "$C_V2" 127.0.0.1 "$PORT" walk 1.3.6.1.2.1.1.99
is "$PRC/$PO" "0/" "v2c walk of an empty subtree: nothing, exit 0"
probe -c "$C_V2" 127.0.0.1 "$PORT" walk 1.3.6.1.9.9.9
is "$PRC/$PO" "0/" "v2c walk past the last OID (endOfMibView): nothing, exit 0"

# --- SNMPv3 authPriv ---
probe -c "$C_V3" 127.0.0.1 "$PORT" get "$SYSDESCR" "$SYSOBJID"
is "$PRC" 0 "v3 SHA-256/AES GET: exit 0 ($(tail -n 1 "$T/p.err"))"
is "$(value $SYSDESCR)" "$WANT_DESCR" "v3 SHA-256/AES GET: sysDescr.0 as over v2c"
probe -c "$C_V3" -m 2 127.0.0.1 "$PORT" walk "$SYSTEM"
pairs | grep -v "^.$SYSUPTIME " >"$T/got"
check "v3 SHA-256/AES walk of the system group: snmpwalk's (v2c) values" cmp -s "$T/got" "$T/want"
probe -e -c "$C_V3SHA1" 127.0.0.1 "$PORT" get "$SYSDESCR"
is "$PRC/$(value $SYSDESCR)" "0/$WANT_DESCR" "v3 SHA-1/AES GET (event loop): sysDescr.0"
V3ORACLE=$("$SNMPGET" -v3 -l authPriv -u "$V3_USER" -a SHA-256 -A "$V3_AUTH" -x AES -X "$V3_PRIV" -On -Oq -Oa "127.0.0.1:$PORT" "$SYSDESCR" 2>&1 | unquote | cut -d' ' -f2-)
is "$V3ORACLE" "$WANT_DESCR" "oracle: snmpget over v3 SHA-256/AES agrees"

probe -c "$C_V3BADAUTH" -t 1 -r 2 127.0.0.1 "$PORT" get "$SYSDESCR"
is "$PRC" 2 "v3 wrong authentication passphrase: exit 2"
like "$PERR" "^error: authentication failure: .*user $V3_USER.*wrong authentication passphrase" "v3 wrong authentication passphrase: says authentication failure"
num_is "$PT" '<' 1 "v3 wrong authentication passphrase: at once, not after the timeout ($PT s)"
if printf '%s' "$PE" | grep -qF "$V3_AUTH"; then not_ok "v3: the passphrase is not in the message"; else ok "v3: the passphrase is not in the message"; fi

# net-snmp's snmpd drops a request it cannot decrypt (AES with the wrong
# key gives garbage: it logs "error parsing ScopedPDU" and counts
# snmpInASNParseErrs; no report): a timeout that says what it may be.
# Agents that report usmStatsDecryptionErrors give "decryption error".
PARSE_ERRS=1.3.6.1.2.1.11.6.0
BEFORE=$(oracle_get "$PARSE_ERRS" | cut -d' ' -f2)
probe -c "$C_V3BADPRIV" -t 0.5 -r 0 127.0.0.1 "$PORT" get "$SYSDESCR"
like "$PRC: $PERR" "^2: error: (decryption error: .*wrong privacy passphrase|timeout: .*wrong privacy passphrase looks like this)" "v3 wrong privacy passphrase: a timeout that names the privacy passphrase"
AFTER=$(oracle_get "$PARSE_ERRS" | cut -d' ' -f2)
num_is "$AFTER" '>' "$BEFORE" "v3 wrong privacy passphrase: snmpd could not read it (snmpInASNParseErrs $BEFORE -> $AFTER)"

probe -c "$C_V3NOUSER" -t 1 -r 0 127.0.0.1 "$PORT" get "$SYSDESCR"
like "$PRC: $PERR" "^2: error: unknown user: .*nosuchuser" "v3 unknown user: says so"

# --- timeouts ---
probe -c "$C_BADCOMM" -t 0.4 -r 2 127.0.0.1 "$PORT" get "$SYSDESCR"
like "$PRC: $PERR" "^2: error: timeout: .*3 tries of 0.4 s" "v2c wrong community: timeout (snmpd drops it)"
num_is "$PT" '>=' 1.1 "v2c wrong community: it waited for 3 tries of 0.4 s ($PT s)"
num_is "$PT" '<' 2 "v2c wrong community: and no longer ($PT s)"

SILENT=$(free_udp_port)
probe -c "$C_V2" -t 0.3 -r 1 127.0.0.1 "$SILENT" walk "$SYSTEM"
like "$PRC: $PERR" "^2: error: timeout" "nothing on the port (v2c walk): timeout"
num_is "$PT" '<' 1.2 "nothing on the port (v2c walk): within 2 tries of 0.3 s ($PT s)"
probe -c "$C_V3" -t 0.3 -r 0 127.0.0.1 "$SILENT" get "$SYSDESCR"
like "$PRC: $PERR" "^2: error: timeout: .*engine discovery" "nothing on the port (v3): timeout in the engine discovery"
num_is "$PT" '<' 0.8 "nothing on the port (v3): within the timeout ($PT s)"
probe -c "$C_V2" -t 5 -r 5 -l 0.5 127.0.0.1 "$SILENT" get "$SYSDESCR"
like "$PRC: $PERR" "^2: error: timeout: .*within 0.5 s" "the overall limit of a run ends a longer wait"
num_is "$PT" '<' 1 "the overall limit of a run: after 0.5 s ($PT s)"

# --- credentials and addresses ---
chmod 644 "$C_V2"
probe -c "$C_V2" 127.0.0.1 "$PORT" get "$SYSDESCR"
like "$PRC: $PERR" "^2: error: credentials: .*readable by group or others \(mode 0644\).*chmod 600" "a credentials file readable by others is refused"
chmod 600 "$C_V2"

if [ -n "${SUNDIAL_IN_NETNS:-}" ]; then
	probe -c "$C_V2" -t 2 -r 3 198.51.100.7 161 get "$SYSDESCR"
	like "$PRC: $PERR" "^2: error: unreachable: " "an address without a route: unreachable"
	num_is "$PT" '<' 0.5 "an address without a route: at once ($PT s)"
else
	diag "not isolated: the no-route case needs the test's own namespace"
fi

kill -0 "$(_pid_of snmpd)" 2>/dev/null
is "$?" 0 "snmpd still runs"
finish
